/* SPDX-License-Identifier: GPL-3.0-or-later */
/* End-to-end tests of the engine: real runs of the bundled Dynamo workspace's pipelines, with
 * real Node scripts in clones made for the test, stand-in docker and kubectl, a real SQLite
 * store and the real keyring of a private session. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dr-credentials.h"
#include "dr-e2e.h"
#include "dr-keyring-test.h"
#include "dr-sqlite-store.h"
#include "kube-api-double.h"

static guint
count_refusals (GPtrArray       *refusals,
                DrRefusalReason  reason)
{
  guint count = 0;

  for (guint i = 0; refusals != NULL && i < refusals->len; i++)
    if (((DrRefusal *) g_ptr_array_index (refusals, i))->reason == reason)
      count++;

  return count;
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static DrRunStep *
step_at (DrRun *run,
         guint  index)
{
  g_autoptr(DrRunStep) step = g_list_model_get_item (dr_run_get_steps (run), index);

  return step;
}

static void
test_deploy_to_development (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *calls = NULL;
  g_autofree char *log = NULL;
  g_autofree char *running = NULL;
  g_autofree char *kubeconfigs_path = NULL;
  g_autofree char *kubeconfigs = NULL;
  g_auto(GStrv) kubeconfig_paths = NULL;
  const DrDeployment *current;
  guint n_steps;

  dr_e2e_set_version (e2e, "api-gateway", "1.4.0");
  build = dr_e2e_record_build (e2e, "api-gateway", "1.4.0", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (build->image, ==, "dynamo/api-gateway:1.4.0");

  run = dr_e2e_promote (e2e, "api-gateway", "1.4.0", "development", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_SUCCEEDED);

  /* The gateway's pipeline updates its routes first, then builds, tests, deploys, verifies. */
  n_steps = g_list_model_get_n_items (dr_run_get_steps (run));
  g_assert_cmpuint (n_steps, ==, 6);
  g_assert_cmpstr (dr_run_step_get_command (step_at (run, 0)), ==, "npm run update-routes");
  g_assert_cmpstr (dr_run_step_get_command (step_at (run, 1)), ==, "npm run build:dev");
  g_assert_cmpstr (dr_run_step_get_command (step_at (run, 5)), ==,
                   "node scripts/verify-deployment.js --env=development --service=api-gateway");
  for (guint i = 0; i < n_steps; i++) {
    g_assert_cmpint (dr_run_step_get_state (step_at (run, i)), ==, DR_STEP_STATE_SUCCEEDED);
    g_assert_cmpint (dr_run_step_get_exit_status (step_at (run, i)), ==, 0);
  }

  calls = dr_e2e_read_calls (e2e);
  g_assert_nonnull (strstr (calls, "docker build -t dynamo/api-gateway:1.4.0 .\n"));
  g_assert_nonnull (strstr (calls, "docker run --rm dynamo/api-gateway:1.4.0 npm test\n"));
  g_assert_nonnull (strstr (calls, "kubectl apply -f k8s/api-gateway/deployment.yaml"));
  running = dr_e2e_running_version (e2e, "dynamo-dev", "api-gateway");
  g_assert_cmpstr (running, ==, "1.4.0");

  /* The output is in the log; the token the stand-in kubectl printed is masked. */
  log = dr_e2e_read_log (run);
  g_assert_nonnull (strstr (log, "routes updated: 6 services"));
  g_assert_nonnull (strstr (log, "bundling 100%"));
  g_assert_null (strstr (log, "bundling 25%"));
  g_assert_nonnull (strstr (log, "12 tests passed"));
  g_assert_nonnull (strstr (log, "bearer token ********"));
  g_assert_null (strstr (log, e2e->token));

  /* The run’s kubeconfig existed only while it ran. */
  kubeconfigs_path = g_build_filename (e2e->state, "kubeconfigs.log", NULL);
  g_file_get_contents (kubeconfigs_path, &kubeconfigs, NULL, &error);
  g_assert_no_error (error);
  kubeconfig_paths = g_strsplit (g_strstrip (kubeconfigs), "\n", -1);
  g_assert_cmpuint (g_strv_length (kubeconfig_paths), >=, 1);
  g_assert_true (g_str_has_prefix (kubeconfig_paths[0], g_get_user_runtime_dir ()));
  g_assert_false (g_file_test (kubeconfig_paths[0], G_FILE_TEST_EXISTS));

  snapshot = dr_e2e_snapshot (e2e, "api-gateway");
  current = dr_service_snapshot_get_current (snapshot, "development");
  g_assert_nonnull (current);
  g_assert_cmpstr (current->version, ==, "1.4.0");
  g_assert_true (current->verified);
  g_assert_cmpstr (current->person, ==, "Rita");
  g_assert_cmpuint (snapshot->active_runs->len, ==, 0);
}

static void
test_gate_refusals (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(DrRun) skipped = NULL;

  dr_e2e_deploy_through (e2e, "auth-service", "2.0.0", "development");

  /* Straight to Production skips QA. */
  skipped = dr_e2e_promote (e2e, "auth-service", "2.0.0", "production", &refusals, &error);
  g_assert_null (skipped);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_REFUSED);
  g_assert_cmpuint (count_refusals (refusals, DR_REFUSAL_NOT_NEXT_ENVIRONMENT), ==, 1);
  g_assert_cmpuint (count_refusals (refusals, DR_REFUSAL_CHECKLIST_ITEM_MISSING), ==, 5);
  g_assert_cmpuint (count_refusals (refusals, DR_REFUSAL_APPROVAL_MISSING), ==, 1);
  g_clear_error (&error);
  g_clear_pointer (&refusals, g_ptr_array_unref);

  run = dr_e2e_promote (e2e, "auth-service", "2.0.0", "qa", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_SUCCEEDED);

  /* Everything signed, but the promoter approved it herself. */
  dr_e2e_set_identity (e2e, "Rita", "release-manager", "qa", "security", NULL);
  for (guint i = 0; i < 4; i++) {
    const char *items[] = { "qa-tests-pass", "functionality-verified", "performance-tests", "security-review" };

    dr_e2e_sign (e2e, "auth-service", "2.0.0", items[i], FALSE, &error);
    g_assert_no_error (error);
  }
  g_clear_object (&run);
  run = dr_e2e_check_item (e2e, "auth-service", "2.0.0", "pre-deployment-verification", &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_SUCCEEDED);
  dr_e2e_decide (e2e, "auth-service", "2.0.0", "production", DR_DECISION_APPROVED, "ok", &error);
  g_assert_no_error (error);

  g_clear_object (&run);
  run = dr_e2e_promote (e2e, "auth-service", "2.0.0", "production", &refusals, &error);
  g_assert_null (run);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_REFUSED);
  g_assert_cmpuint (refusals->len, ==, 1);
  g_assert_cmpuint (count_refusals (refusals, DR_REFUSAL_APPROVER_IS_PROMOTER), ==, 1);
  g_assert_nonnull (strstr (error->message, "Production"));
  g_clear_error (&error);
  g_clear_pointer (&refusals, g_ptr_array_unref);

  /* Another security reviewer approves; now it goes. */
  dr_e2e_set_identity (e2e, "Sam", "security", NULL);
  dr_e2e_decide (e2e, "auth-service", "2.0.0", "production", DR_DECISION_APPROVED, NULL, &error);
  g_assert_no_error (error);
  dr_e2e_set_identity (e2e, "Rita", "release-manager", NULL);
  run = dr_e2e_promote (e2e, "auth-service", "2.0.0", "production", &refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_SUCCEEDED);
}

static void
test_signoffs_per_version (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrBuild) next = NULL;
  guint n_events = 0;

  dr_e2e_deploy_through (e2e, "forms-service", "1.0.0", "qa");

  dr_e2e_set_identity (e2e, "Quinn", "qa", NULL);
  dr_e2e_sign (e2e, "forms-service", "1.0.0", "qa-tests-pass", FALSE, &error);
  g_assert_no_error (error);

  /* A person without the role may not sign. */
  dr_e2e_sign (e2e, "forms-service", "1.0.0", "security-review", FALSE, &error);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_ALLOWED);
  g_assert_nonnull (strstr (error->message, "Security reviewer"));
  g_clear_error (&error);

  dr_e2e_set_identity (e2e, "Rita", "release-manager", NULL);
  next = dr_e2e_record_build (e2e, "forms-service", "1.1.0", &error);
  g_assert_no_error (error);

  snapshot = dr_e2e_snapshot (e2e, "forms-service");
  g_assert_nonnull (dr_service_snapshot_get_signoff (snapshot, "1.0.0", "pre-production",
                                                     "qa-tests-pass"));
  g_assert_null (dr_service_snapshot_get_signoff (snapshot, "1.1.0", "pre-production",
                                                  "qa-tests-pass"));
  g_clear_pointer (&snapshot, dr_service_snapshot_free);

  /* Un-ticking is a revocation, recorded next to the sign-off. */
  dr_e2e_set_identity (e2e, "Quinn", "qa", NULL);
  dr_e2e_sign (e2e, "forms-service", "1.0.0", "qa-tests-pass", TRUE, &error);
  g_assert_no_error (error);
  snapshot = dr_e2e_snapshot (e2e, "forms-service");
  g_assert_null (dr_service_snapshot_get_signoff (snapshot, "1.0.0", "pre-production",
                                                  "qa-tests-pass"));
  g_assert_cmpuint (snapshot->signoffs->len, ==, 2);

  g_assert_true (dr_store_verify_audit (e2e->store, &n_events, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_events, ==, 8);
}

/* An item is signed once: a second sign-off fails and names the first, and an item with a
 * check command is signed only by its check. */
static void
test_sign_once (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) check = NULL;
  guint n_events = 0;
  guint n_events_before = 0;

  /* The check needs the build's image, which the deploy to Development builds. */
  dr_e2e_deploy_through (e2e, "forms-service", "1.0.0", "development");

  dr_e2e_set_identity (e2e, "Quinn", "qa", NULL);
  dr_e2e_sign (e2e, "forms-service", "1.0.0", "qa-tests-pass", FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (dr_store_verify_audit (e2e->store, &n_events_before, &error));

  /* Eve's sign-off is not recorded, and the error names who signed. */
  dr_e2e_set_identity (e2e, "Eve", "qa", NULL);
  dr_e2e_sign (e2e, "forms-service", "1.0.0", "qa-tests-pass", FALSE, &error);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "already signed"));
  g_assert_nonnull (strstr (error->message, "Quinn signed it on "));
  g_clear_error (&error);
  g_assert_true (dr_store_verify_audit (e2e->store, &n_events, &error));
  g_assert_cmpuint (n_events, ==, n_events_before);

  /* Revoking what is not signed fails too. */
  dr_e2e_sign (e2e, "forms-service", "1.0.0", "performance-tests", TRUE, &error);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "not signed"));
  g_clear_error (&error);

  /* The release manager may not tick the item that the verification script signs. */
  dr_e2e_set_identity (e2e, "Rita", "release-manager", NULL);
  dr_e2e_sign (e2e, "forms-service", "1.0.0", "pre-deployment-verification", FALSE, &error);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_ALLOWED);
  g_assert_nonnull (strstr (error->message, "Run Check"));
  g_assert_nonnull (strstr (error->message,
                            "dynamoctl check forms-service 1.0.0 pre-deployment-verification"));
  g_clear_error (&error);

  check = dr_e2e_check_item (e2e, "forms-service", "1.0.0", "pre-deployment-verification",
                             &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (check), ==, DR_RUN_STATE_SUCCEEDED);
  dr_e2e_sign (e2e, "forms-service", "1.0.0", "pre-deployment-verification", FALSE, &error);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_ALLOWED);
  g_clear_error (&error);

  /* Revoking the check's sign-off still works. */
  dr_e2e_sign (e2e, "forms-service", "1.0.0", "pre-deployment-verification", TRUE, &error);
  g_assert_no_error (error);
  snapshot = dr_e2e_snapshot (e2e, "forms-service");
  g_assert_null (dr_service_snapshot_get_signoff (snapshot, "1.0.0", "pre-production",
                                                  "pre-deployment-verification"));
  g_assert_nonnull (dr_service_snapshot_get_signoff (snapshot, "1.0.0", "pre-production",
                                                     "qa-tests-pass"));
}

/* A name with control characters is not recorded by any action; a name with extra spaces is
 * recorded normalised. */
static void
test_names_normalized (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrBuild) forged = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrRun) run = NULL;
  guint n_events = 0;

  dr_e2e_set_identity (e2e, "Eve\033[31mRED\033[0m\n67 Sam approved", "release-manager", "qa",
                       NULL);
  forged = dr_e2e_record_build (e2e, "forms-service", "1.0.0", &error);
  g_assert_null (forged);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "U+001B"));
  g_assert_nonnull (strstr (error->message, "Preferences"));
  g_clear_error (&error);

  run = dr_e2e_promote (e2e, "forms-service", "1.0.0", "development", NULL, &error);
  g_assert_null (run);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_true (dr_store_verify_audit (e2e->store, &n_events, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_events, ==, 0);

  dr_e2e_set_identity (e2e, "  Rita   Release ", "release-manager", NULL);
  build = dr_e2e_record_build (e2e, "forms-service", "1.0.0", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (build->recorded_by, ==, "Rita Release");

  snapshot = dr_e2e_snapshot (e2e, "forms-service");
  g_assert_cmpstr (dr_service_snapshot_find_build (snapshot, "1.0.0")->recorded_by, ==,
                   "Rita Release");
}

static gboolean
sign_monitoring (DrE2e       *e2e,
                 const char  *checklist,
                 GError     **error)
{
  GAsyncResult *result = NULL;
  gboolean signed_off;

  dr_engine_sign_async (e2e->engine, "forms-service", "1.0.0", checklist, "service-metrics", NULL,
                        NULL, store_result_cb, &result);
  signed_off = dr_engine_write_finish (e2e->engine, dr_e2e_wait_result (&result), error);
  g_object_unref (result);

  return signed_off;
}

/* Monitoring is checked after each deploy, so its sign-offs belong to one environment. */
static void
test_monitoring_per_environment (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  dr_e2e_deploy_through (e2e, "forms-service", "1.0.0", "qa");
  dr_e2e_set_identity (e2e, "Rita", "release-manager", NULL);

  g_assert_false (sign_monitoring (e2e, "post-deployment", &error));
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "post-deployment@ENVIRONMENT"));
  g_clear_error (&error);

  g_assert_false (sign_monitoring (e2e, "pre-production@qa", &error));
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (sign_monitoring (e2e, "post-deployment@staging", &error));
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (sign_monitoring (e2e, "post-deployment@qa", &error));
  g_assert_no_error (error);

  snapshot = dr_e2e_snapshot (e2e, "forms-service");
  g_assert_nonnull (dr_service_snapshot_get_signoff (snapshot, "1.0.0", "post-deployment@qa",
                                                     "service-metrics"));
  g_assert_null (dr_service_snapshot_get_signoff (snapshot, "1.0.0", "post-deployment@production",
                                                  "service-metrics"));
  g_assert_null (dr_service_snapshot_get_signoff (snapshot, "1.0.0", "post-deployment",
                                                  "service-metrics"));
}

static void
test_rollback_restores_previous (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autofree char *running = NULL;
  g_autofree char *log = NULL;
  g_auto(GStrv) commands = NULL;
  const DrDeployment *current;

  dr_e2e_deploy_through (e2e, "tasks-service", "3.1.0", "production");
  dr_e2e_deploy_through (e2e, "tasks-service", "3.2.0", "production");

  running = dr_e2e_running_version (e2e, "dynamo-prod", "tasks-service");
  g_assert_cmpstr (running, ==, "3.2.0");
  g_clear_pointer (&running, g_free);

  snapshot = dr_e2e_snapshot (e2e, "tasks-service");
  commands = dr_engine_describe_rollback (e2e->engine, snapshot, "production");
  g_assert_cmpuint (g_strv_length (commands), ==, 2);
  g_assert_cmpstr (commands[0], ==, "kubectl rollout undo deployment/tasks-service");
  g_assert_cmpstr (commands[1], ==, "node scripts/verify-service-health.js --service=tasks-service");
  g_clear_pointer (&snapshot, dr_service_snapshot_free);

  run = dr_e2e_rollback (e2e, "tasks-service", "production", &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_SUCCEEDED);
  g_assert_cmpint (dr_run_get_kind (run), ==, DR_RUN_KIND_ROLLBACK);
  g_assert_cmpstr (dr_run_get_version (run), ==, "3.2.0");

  /* The health verification ran last. */
  log = dr_e2e_read_log (run);
  g_assert_nonnull (strstr (log, "healthy"));
  g_assert_nonnull (strstr (log, "tasks-service runs 3.1.0"));

  running = dr_e2e_running_version (e2e, "dynamo-prod", "tasks-service");
  g_assert_cmpstr (running, ==, "3.1.0");

  snapshot = dr_e2e_snapshot (e2e, "tasks-service");
  current = dr_service_snapshot_get_current (snapshot, "production");
  g_assert_nonnull (current);
  g_assert_cmpstr (current->version, ==, "3.1.0");
  g_assert_nonnull (dr_service_snapshot_find_deployment (snapshot, "3.2.0", "production"));
  g_assert_cmpint (dr_service_snapshot_find_deployment (snapshot, "3.2.0", "production")->state,
                   ==, DR_DEPLOYMENT_ROLLED_BACK);
}

static void
test_failed_deploy_offers_rollback (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(DrRun) rollback = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_auto(GStrv) commands = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *running = NULL;
  const DrDeployment *current;

  dr_e2e_deploy_through (e2e, "notifications-service", "1.0.0", "development");

  dr_e2e_set_version (e2e, "notifications-service", "1.1.0");
  build = dr_e2e_record_build (e2e, "notifications-service", "1.1.0", &error);
  g_assert_no_error (error);

  /* The deploy applies the manifest, then verification fails. */
  dr_e2e_fail (e2e, "verify", TRUE);
  run = dr_e2e_promote (e2e, "notifications-service", "1.1.0", "development", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_FAILED);
  g_assert_cmpint (dr_run_step_get_state (step_at (run, 3)), ==, DR_STEP_STATE_SUCCEEDED);
  g_assert_cmpint (dr_run_step_get_state (step_at (run, 4)), ==, DR_STEP_STATE_FAILED);
  g_assert_cmpint (dr_run_step_get_exit_status (step_at (run, 4)), ==, 1);
  g_assert_nonnull (strstr (dr_run_get_message (run), "Verify the deployment"));
  running = dr_e2e_running_version (e2e, "dynamo-dev", "notifications-service");
  g_assert_cmpstr (running, ==, "1.1.0");
  g_clear_pointer (&running, g_free);
  dr_e2e_fail (e2e, "verify", FALSE);

  snapshot = dr_e2e_snapshot (e2e, "notifications-service");
  current = dr_service_snapshot_get_current (snapshot, "development");
  g_assert_cmpstr (current->version, ==, "1.0.0");
  g_assert_cmpint (dr_service_snapshot_find_deployment (snapshot, "1.1.0", "development")->state,
                   ==, DR_DEPLOYMENT_FAILED);
  commands = dr_engine_describe_rollback_full (e2e->engine, snapshot, "development", &summary);
  g_assert_cmpstr (commands[0], ==, "kubectl rollout undo deployment/notifications-service");
  g_assert_nonnull (strstr (summary, "may have changed the cluster"));
  g_assert_nonnull (strstr (summary, "bring back 1.0.0"));
  g_clear_pointer (&snapshot, dr_service_snapshot_free);

  /* Rolling back undoes the failed rollout; 1.0.0 runs again. */
  rollback = dr_e2e_rollback (e2e, "notifications-service", "development", &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (rollback), ==, DR_RUN_STATE_SUCCEEDED);
  g_assert_cmpstr (dr_run_get_version (rollback), ==, "1.1.0");
  running = dr_e2e_running_version (e2e, "dynamo-dev", "notifications-service");
  g_assert_cmpstr (running, ==, "1.0.0");

  snapshot = dr_e2e_snapshot (e2e, "notifications-service");
  g_assert_cmpint (dr_service_snapshot_find_deployment (snapshot, "1.1.0", "development")->state,
                   ==, DR_DEPLOYMENT_ROLLED_BACK);
  g_assert_cmpstr (dr_service_snapshot_get_current (snapshot, "development")->version, ==,
                   "1.0.0");
}

/* Stands in for a window whose frames take longer to paint than the frame interval: a source
 * at the priority of GTK's redraws that is always ready. */
static gboolean
busy_redraw_cb (gpointer user_data)
{
  guint *n_frames = user_data;

  (*n_frames)++;
  g_usleep (2000);

  return G_SOURCE_CONTINUE;
}

/* A run starts and ends while the main loop is never idle. */
static void
test_run_starts_while_busy (void)
{
  g_autofree char *workspace = g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "e2e",
                                                 "plain.yaml", NULL);
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  guint n_frames = 0;
  guint busy;
  gint64 deadline;

  build = dr_e2e_record_build (e2e, "plain", "1.0.0", &error);
  g_assert_no_error (error);

  busy = g_idle_add_full (G_PRIORITY_HIGH_IDLE + 20, busy_redraw_cb, &n_frames, NULL);
  dr_engine_promote_async (e2e->engine, "plain", "1.0.0", "development", NULL, store_result_cb,
                           &result);
  run = dr_engine_start_run_finish (e2e->engine, dr_e2e_wait_result (&result), NULL, &error);
  g_clear_object (&result);
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!dr_run_is_finished (run) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (busy);

  g_assert_true (dr_run_is_finished (run));
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_SUCCEEDED);
  g_assert_cmpuint (n_frames, >, 0);
}

/* A verify run judges the deployment only when a check ran: a failing check un-verifies it,
 * while a run whose check cannot start because the clone is gone leaves it verified. */
static void
test_verify_needs_a_check (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) missing = NULL;
  g_autoptr(DrRun) failing = NULL;
  g_autofree char *clone = g_build_filename (e2e->clones, "notifications-service", NULL);
  g_autofree char *moved = g_strconcat (clone, ".away", NULL);
  g_autofree char *log = NULL;

  dr_e2e_deploy_through (e2e, "notifications-service", "1.0.0", "development");
  snapshot = dr_e2e_snapshot (e2e, "notifications-service");
  g_assert_true (dr_service_snapshot_get_current (snapshot, "development")->verified);
  g_clear_pointer (&snapshot, dr_service_snapshot_free);

  /* The clone moved away: the check cannot start, and the deployment stays verified. */
  g_assert_cmpint (g_rename (clone, moved), ==, 0);
  missing = dr_e2e_verify (e2e, "notifications-service", "development", &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (missing), ==, DR_RUN_STATE_FAILED);
  g_assert_cmpint (dr_run_step_get_state (step_at (missing, 0)), ==, DR_STEP_STATE_FAILED);
  g_assert_cmpint (dr_run_step_get_exit_status (step_at (missing, 0)), ==,
                   DR_EXIT_STATUS_NOT_STARTED);
  log = dr_e2e_read_log (missing);
  g_assert_nonnull (strstr (log, "leaves the verification of 1.0.0 in Development as it was"));
  snapshot = dr_e2e_snapshot (e2e, "notifications-service");
  g_assert_true (dr_service_snapshot_get_current (snapshot, "development")->verified);
  g_clear_pointer (&snapshot, dr_service_snapshot_free);
  g_assert_cmpint (g_rename (moved, clone), ==, 0);

  /* A check that runs and fails un-verifies it. */
  dr_e2e_fail (e2e, "verify", TRUE);
  failing = dr_e2e_verify (e2e, "notifications-service", "development", &error);
  g_assert_no_error (error);
  dr_e2e_fail (e2e, "verify", FALSE);
  g_assert_cmpint (dr_run_get_state (failing), ==, DR_RUN_STATE_FAILED);
  snapshot = dr_e2e_snapshot (e2e, "notifications-service");
  g_assert_false (dr_service_snapshot_get_current (snapshot, "development")->verified);
}

/* A pipeline without verify steps: a successful deploy is verified, so the build may move on,
 * and a verify run has nothing to run. */
static void
test_pipeline_without_verify (void)
{
  g_autofree char *workspace = g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "e2e",
                                                 "plain.yaml", NULL);
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrRun) deploy = NULL;
  g_autoptr(DrRun) verify = NULL;
  g_autoptr(DrRun) to_qa = NULL;
  const DrDeployment *current;

  build = dr_e2e_record_build (e2e, "plain", "1.0.0", &error);
  g_assert_no_error (error);
  deploy = dr_e2e_promote (e2e, "plain", "1.0.0", "development", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (deploy), ==, DR_RUN_STATE_SUCCEEDED);

  snapshot = dr_e2e_snapshot (e2e, "plain");
  current = dr_service_snapshot_get_current (snapshot, "development");
  g_assert_nonnull (current);
  g_assert_true (current->verified);

  verify = dr_e2e_verify (e2e, "plain", "development", &error);
  g_assert_null (verify);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nothing to verify"));
  g_clear_error (&error);

  to_qa = dr_e2e_promote (e2e, "plain", "1.0.0", "qa", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (to_qa), ==, DR_RUN_STATE_SUCCEEDED);
}

static void
git (const char *directory,
     const char *first_argument,
     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *errors = NULL;
  va_list args;
  int status;

  g_ptr_array_add (argv, (char *) "git");
  g_ptr_array_add (argv, (char *) "-c");
  g_ptr_array_add (argv, (char *) "user.name=Dynamo Test");
  g_ptr_array_add (argv, (char *) "-c");
  g_ptr_array_add (argv, (char *) "user.email=test@example.test");
  va_start (args, first_argument);
  for (const char *argument = first_argument; argument != NULL;
       argument = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) argument);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (directory, (char **) argv->pdata, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &errors,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("git %s failed: %s", first_argument, errors);
}

static char *
git_head (const char *directory)
{
  g_autoptr(GError) error = NULL;
  char *output = NULL;
  const char *argv[] = { "git", "rev-parse", "HEAD", NULL };

  g_spawn_sync (directory, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &output,
                NULL, NULL, &error);
  g_assert_no_error (error);

  return g_strstrip (output);
}

static void
recorded_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static DrBuild *
record_build_from_commit (DrE2e       *e2e,
                          const char  *service,
                          const char  *version,
                          const char  *commit,
                          GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  dr_engine_record_build_async (e2e->engine, service, version, DR_VERSION_SOURCE_MANUAL, commit,
                                NULL, recorded_cb, &result);

  return dr_engine_record_build_finish (e2e->engine, dr_e2e_wait_result (&result), error);
}

static guint
count_runs (DrE2e *e2e)
{
  DrRunFilter filter = { 0 };
  g_autoptr(GPtrArray) runs = dr_store_list_runs (e2e->store, &filter, NULL);

  return runs->len;
}

/* A deploy or check of a build does not start while the clone contains another version,
 * because the sign-offs are bound to the build, not to what happens to be checked out. */
static void
test_clone_version_mismatch (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) to_qa = NULL;
  g_autoptr(DrRun) check = NULL;
  g_autoptr(DrRun) matching = NULL;
  g_autofree char *calls_before = NULL;
  g_autofree char *calls_after = NULL;
  guint n_runs;

  dr_e2e_deploy_through (e2e, "api-gateway", "1.5.0", "development");
  dr_e2e_set_version (e2e, "api-gateway", "1.6.0");
  n_runs = count_runs (e2e);
  calls_before = dr_e2e_read_calls (e2e);

  to_qa = dr_e2e_promote (e2e, "api-gateway", "1.5.0", "qa", NULL, &error);
  g_assert_null (to_qa);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "is at version 1.6.0 (from package.json)"));
  g_assert_nonnull (strstr (error->message, "the run is for build 1.5.0"));
  g_assert_nonnull (strstr (error->message, "Check out"));
  g_clear_error (&error);

  check = dr_e2e_check_item (e2e, "api-gateway", "1.5.0", "pre-deployment-verification",
                             &error);
  g_assert_null (check);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID);
  g_clear_error (&error);

  /* Nothing ran and nothing was recorded. */
  g_assert_cmpuint (count_runs (e2e), ==, n_runs);
  calls_after = dr_e2e_read_calls (e2e);
  g_assert_cmpstr (calls_after, ==, calls_before);

  dr_e2e_set_version (e2e, "api-gateway", "1.5.0");
  matching = dr_e2e_promote (e2e, "api-gateway", "1.5.0", "qa", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (matching), ==, DR_RUN_STATE_SUCCEEDED);
}

/* A build recorded from a commit deploys only while the clone's HEAD is that commit. */
static void
test_clone_commit_mismatch (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autofree char *clone = g_build_filename (e2e->clones, "forms-service", NULL);
  g_autofree char *first = NULL;
  g_autofree char *first_short = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrRun) moved_on = NULL;
  g_autoptr(DrRun) matching = NULL;

  dr_e2e_set_version (e2e, "forms-service", "1.0.0");
  git (clone, "init", "-q", NULL);
  git (clone, "add", "-A", NULL);
  git (clone, "commit", "-q", "-m", "Release 1.0.0", NULL);
  first = git_head (clone);
  first_short = g_strndup (first, 7);

  build = record_build_from_commit (e2e, "forms-service", "1.0.0", first_short, &error);
  g_assert_no_error (error);

  /* The version is still 1.0.0, but HEAD moved on. */
  git (clone, "commit", "-q", "--allow-empty", "-m", "Work after the release", NULL);
  moved_on = dr_e2e_promote (e2e, "forms-service", "1.0.0", "development", NULL, &error);
  g_assert_null (moved_on);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID);
  expected = g_strdup_printf ("was recorded from commit %s", first_short);
  g_assert_nonnull (strstr (error->message, expected));
  g_assert_nonnull (strstr (error->message, "git checkout"));
  g_clear_error (&error);

  git (clone, "checkout", "-q", first, NULL);
  matching = dr_e2e_promote (e2e, "forms-service", "1.0.0", "development", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (matching), ==, DR_RUN_STATE_SUCCEEDED);
}

/* A build of a git clone records the commit it was made from, and a clone with changes that no
 * commit holds is not deployed under the build's version. */
static void
test_clone_head_and_changes (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autofree char *clone = g_build_filename (e2e->clones, "forms-service", NULL);
  g_autofree char *script = g_build_filename (clone, "scripts", "test.js", NULL);
  g_autofree char *head = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrRun) changed = NULL;
  g_autoptr(DrRun) clean = NULL;

  dr_e2e_set_version (e2e, "forms-service", "1.0.0");
  git (clone, "init", "-q", NULL);
  git (clone, "add", "-A", NULL);
  git (clone, "commit", "-q", "-m", "Release 1.0.0", NULL);
  head = git_head (clone);

  build = dr_e2e_record_build (e2e, "forms-service", "1.0.0", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (build->commit, ==, head);

  g_assert_true (g_file_set_contents (script, "console.log('edited');\n", -1, NULL));
  changed = dr_e2e_promote (e2e, "forms-service", "1.0.0", "development", NULL, &error);
  g_assert_null (changed);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "not committed"));
  g_assert_nonnull (strstr (error->message, "scripts/test.js"));
  g_clear_error (&error);

  git (clone, "checkout", "-q", "--", ".", NULL);
  clean = dr_e2e_promote (e2e, "forms-service", "1.0.0", "development", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (clean), ==, DR_RUN_STATE_SUCCEEDED);
}

/* For a service whose versions come from `git describe`, the clone's description must be the
 * build's version: a commit after the tag is another build. */
static void
test_clone_described_mismatch (void)
{
  g_autofree char *plain = g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "e2e",
                                             "plain.yaml", NULL);
  g_autofree char *text = NULL;
  g_autofree char *workspace = NULL;
  g_autoptr(DrE2e) e2e = NULL;
  g_autofree char *clone = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrRun) tagged = NULL;
  g_autoptr(DrRun) after_tag = NULL;
  int fd;

  /* The plain workspace, with versions from git describe. */
  g_assert_true (g_file_get_contents (plain, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "version-from: manual"));
  fd = g_file_open_tmp ("dynamo-described-XXXXXX.yaml", &workspace, &error);
  g_assert_no_error (error);
  close (fd);
  {
    g_auto(GStrv) parts = g_strsplit (text, "version-from: manual", -1);
    g_autofree char *described = g_strjoinv ("version-from: git-describe", parts);

    g_assert_true (g_file_set_contents (workspace, described, -1, NULL));
  }

  e2e = dr_e2e_new (workspace, TRUE);
  clone = g_build_filename (e2e->clones, "plain", NULL);
  git (clone, "init", "-q", NULL);
  git (clone, "add", "-A", NULL);
  git (clone, "commit", "-q", "-m", "Release", NULL);
  git (clone, "tag", "v1.0.0", NULL);

  build = dr_e2e_record_build (e2e, "plain", "v1.0.0", &error);
  g_assert_no_error (error);
  tagged = dr_e2e_promote (e2e, "plain", "v1.0.0", "development", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (tagged), ==, DR_RUN_STATE_SUCCEEDED);

  git (clone, "commit", "-q", "--allow-empty", "-m", "After the tag", NULL);
  after_tag = dr_e2e_promote (e2e, "plain", "v1.0.0", "qa", NULL, &error);
  g_assert_null (after_tag);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "is at version v1.0.0-1-g"));
  g_assert_nonnull (strstr (error->message, "(from git describe)"));

  g_assert_cmpint (g_unlink (workspace), ==, 0);
}

/* A deploy that failed before `kubectl apply` left the cluster running the build before it.
 * Its rollback skips `kubectl rollout undo`, which would undo that build, runs the health
 * verification and marks the failed deploy rolled back. */
static void
test_rollback_before_cluster (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(DrServiceSnapshot) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrRun) failed = NULL;
  g_autoptr(DrRun) rollback = NULL;
  g_auto(GStrv) commands = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *calls = NULL;
  g_autofree char *running = NULL;
  g_autofree char *log = NULL;

  dr_e2e_deploy_through (e2e, "auth-service", "1.0.0", "development");
  dr_e2e_deploy_through (e2e, "auth-service", "1.0.1", "development");

  dr_e2e_set_version (e2e, "auth-service", "1.1.0");
  build = dr_e2e_record_build (e2e, "auth-service", "1.1.0", &error);
  g_assert_no_error (error);
  dr_e2e_fail (e2e, "build", TRUE);
  failed = dr_e2e_promote (e2e, "auth-service", "1.1.0", "development", NULL, &error);
  dr_e2e_fail (e2e, "build", FALSE);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (failed), ==, DR_RUN_STATE_FAILED);
  g_assert_cmpint (dr_run_step_get_state (step_at (failed, 0)), ==, DR_STEP_STATE_FAILED);

  /* The confirmation lists only what runs, and names the build that stays current. */
  snapshot = dr_e2e_snapshot (e2e, "auth-service");
  commands = dr_engine_describe_rollback_full (e2e->engine, snapshot, "development", &summary);
  g_assert_cmpuint (g_strv_length (commands), ==, 1);
  g_assert_cmpstr (commands[0], ==, "node scripts/verify-service-health.js --service=auth-service");
  g_assert_nonnull (strstr (summary, "Auth Service 1.1.0"));
  g_assert_nonnull (strstr (summary, "stopped before it changed the cluster"));
  g_assert_nonnull (strstr (summary, "skips “Roll back the deployment”"));
  g_assert_nonnull (strstr (summary, "1.0.1 stays current"));

  rollback = dr_e2e_rollback (e2e, "auth-service", "development", &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (rollback), ==, DR_RUN_STATE_SUCCEEDED);
  g_assert_cmpstr (dr_run_get_version (rollback), ==, "1.1.0");
  g_assert_cmpint (dr_run_step_get_state (step_at (rollback, 0)), ==, DR_STEP_STATE_SKIPPED);
  g_assert_nonnull (strstr (dr_run_step_get_message (step_at (rollback, 0)),
                            "stopped before any step that changes the cluster"));
  g_assert_cmpint (dr_run_step_get_state (step_at (rollback, 1)), ==, DR_STEP_STATE_SUCCEEDED);

  /* The cluster still runs 1.0.1, and nothing undid it. */
  calls = dr_e2e_read_calls (e2e);
  g_assert_null (strstr (calls, "rollout undo"));
  running = dr_e2e_running_version (e2e, "dynamo-dev", "auth-service");
  g_assert_cmpstr (running, ==, "1.0.1");
  log = dr_e2e_read_log (rollback);
  g_assert_nonnull (strstr (log, "Skipped: The deploy of Auth Service 1.1.0 stopped"));
  g_assert_nonnull (strstr (log, "auth-service runs 1.0.1"));

  after = dr_e2e_snapshot (e2e, "auth-service");
  g_assert_cmpint (dr_service_snapshot_find_deployment (after, "1.1.0", "development")->state,
                   ==, DR_DEPLOYMENT_ROLLED_BACK);
  g_assert_cmpstr (dr_service_snapshot_get_current (after, "development")->version, ==, "1.0.1");
}

/* A rollback that rolls the Deployment back through the Kubernetes API, served here by the API
 * double: the deploy of 1.1.0 stalls past its progress deadline, and the rollout-undo step
 * restores the pod template of 1.0.0, whose rollout the next step waits for. */
static void
test_rollout_undo_action (void)
{
  g_autofree char *workspace = g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "e2e",
                                                 "undo.yaml", NULL);
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(KubeApiDouble) api = kube_api_double_new (e2e->token);
  g_autoptr(DrClusterCredentials) credentials = dr_cluster_credentials_new ("undo-dev");
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrBuild) first_build = NULL;
  g_autoptr(DrBuild) second_build = NULL;
  g_autoptr(DrRun) first = NULL;
  g_autoptr(DrRun) failed = NULL;
  g_autoptr(DrRun) rollback = NULL;
  g_auto(GStrv) commands = NULL;
  g_autofree char *log = NULL;
  const DrDeployment *current;

  credentials->server = g_strdup (kube_api_double_get_url (api));
  credentials->token = g_strdup (e2e->token);
  dr_credentials_store_sync (credentials, NULL, &error);
  g_assert_no_error (error);

  kube_api_double_add_deployment (api, "undo", "api", "registry.example.test/api:1.0.0", 2);
  kube_api_double_set_tick_interval (api, 10);

  first_build = dr_e2e_record_build (e2e, "api", "1.0.0", &error);
  g_assert_no_error (error);
  first = dr_e2e_promote (e2e, "api", "1.0.0", "development", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (first), ==, DR_RUN_STATE_SUCCEEDED);

  /* As `kubectl apply` of the new manifest would: the image changes, and its rollout stalls. */
  kube_api_double_set_rollout_fails (api, "undo", "api", TRUE);
  kube_api_double_set_image (api, "undo", "api", "registry.example.test/api:1.1.0");
  second_build = dr_e2e_record_build (e2e, "api", "1.1.0", &error);
  g_assert_no_error (error);
  failed = dr_e2e_promote (e2e, "api", "1.1.0", "development", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (failed), ==, DR_RUN_STATE_FAILED);
  g_assert_cmpint (dr_run_step_get_state (step_at (failed, 1)), ==, DR_STEP_STATE_FAILED);
  g_assert_nonnull (strstr (dr_run_step_get_message (step_at (failed, 1)), "progress deadline"));
  kube_api_double_set_rollout_fails (api, "undo", "api", FALSE);

  snapshot = dr_e2e_snapshot (e2e, "api");
  commands = dr_engine_describe_rollback (e2e->engine, snapshot, "development");
  g_assert_cmpuint (g_strv_length (commands), ==, 2);
  g_assert_cmpstr (commands[0], ==,
                   "Roll back deployment/api in namespace undo to its previous revision");
  g_assert_cmpstr (commands[1], ==, "Wait for the rollout of deployment/api in namespace undo");
  g_clear_pointer (&snapshot, dr_service_snapshot_free);

  rollback = dr_e2e_rollback (e2e, "api", "development", &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (rollback), ==, DR_RUN_STATE_SUCCEEDED);
  g_assert_cmpint (dr_run_step_get_state (step_at (rollback, 0)), ==, DR_STEP_STATE_SUCCEEDED);
  g_assert_cmpint (dr_run_step_get_state (step_at (rollback, 1)), ==, DR_STEP_STATE_SUCCEEDED);

  /* One patch restored 1.0.0, and the log names the revisions and images before and after. */
  g_assert_cmpstr (kube_api_double_get_image (api, "undo", "api"), ==,
                   "registry.example.test/api:1.0.0");
  g_assert_cmpuint (kube_api_double_get_request_count (api, "patch"), ==, 1);
  g_assert_cmpuint (kube_api_double_get_request_count (api, "list-replicasets"), ==, 1);
  log = dr_e2e_read_log (rollback);
  g_assert_nonnull (strstr (log, "Rolled deployment/api back from revision 2 "
                                 "(registry.example.test/api:1.1.0) to revision 1 "
                                 "(registry.example.test/api:1.0.0)."));
  g_assert_nonnull (strstr (log, "Rollout complete: registry.example.test/api:1.0.0"));
  g_assert_null (strstr (log, e2e->token));

  snapshot = dr_e2e_snapshot (e2e, "api");
  current = dr_service_snapshot_get_current (snapshot, "development");
  g_assert_nonnull (current);
  g_assert_cmpstr (current->version, ==, "1.0.0");
  g_assert_cmpint (dr_service_snapshot_find_deployment (snapshot, "1.1.0", "development")->state,
                   ==, DR_DEPLOYMENT_ROLLED_BACK);
}

/* A rollout-undo step that finds no earlier revision fails with the API client's message, and
 * the Deployment stays as it was. */
static void
test_rollout_undo_no_previous (void)
{
  g_autofree char *workspace = g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "e2e",
                                                 "undo.yaml", NULL);
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(KubeApiDouble) api = kube_api_double_new (e2e->token);
  g_autoptr(DrClusterCredentials) credentials = dr_cluster_credentials_new ("undo-dev");
  g_autoptr(GError) error = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrRun) deploy = NULL;
  g_autoptr(DrRun) rollback = NULL;
  g_autofree char *log = NULL;
  const char *message;

  credentials->server = g_strdup (kube_api_double_get_url (api));
  credentials->token = g_strdup (e2e->token);
  dr_credentials_store_sync (credentials, NULL, &error);
  g_assert_no_error (error);

  kube_api_double_add_deployment (api, "undo", "api", "registry.example.test/api:1.0.0", 2);

  build = dr_e2e_record_build (e2e, "api", "1.0.0", &error);
  g_assert_no_error (error);
  deploy = dr_e2e_promote (e2e, "api", "1.0.0", "development", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (deploy), ==, DR_RUN_STATE_SUCCEEDED);

  rollback = dr_e2e_rollback (e2e, "api", "development", &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (rollback), ==, DR_RUN_STATE_FAILED);
  g_assert_cmpint (dr_run_step_get_state (step_at (rollback, 0)), ==, DR_STEP_STATE_FAILED);
  g_assert_cmpint (dr_run_step_get_state (step_at (rollback, 1)), ==, DR_STEP_STATE_SKIPPED);
  message = dr_run_step_get_message (step_at (rollback, 0));
  g_assert_nonnull (strstr (message, "Deployment “api” in namespace “undo”"));
  g_assert_nonnull (strstr (message, "no revision before revision 1"));
  log = dr_e2e_read_log (rollback);
  g_assert_nonnull (strstr (log, message));
  g_assert_cmpuint (kube_api_double_get_request_count (api, "patch"), ==, 0);
  g_assert_cmpstr (kube_api_double_get_image (api, "undo", "api"), ==,
                   "registry.example.test/api:1.0.0");
}

/* When the failed run's steps do not match the pipeline, the engine cannot tell whether the
 * deploy reached the cluster, and the rollback runs all its steps. */
static void
test_rollback_unknown_steps (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrRun) failed = NULL;
  g_auto(GStrv) commands = NULL;
  g_autofree char *summary = NULL;
  DrRunRecord *run;
  DrRunStepRecord *first;

  dr_e2e_deploy_through (e2e, "forms-service", "1.0.0", "development");
  dr_e2e_set_version (e2e, "forms-service", "1.1.0");
  build = dr_e2e_record_build (e2e, "forms-service", "1.1.0", &error);
  g_assert_no_error (error);
  dr_e2e_fail (e2e, "build", TRUE);
  failed = dr_e2e_promote (e2e, "forms-service", "1.1.0", "development", NULL, &error);
  dr_e2e_fail (e2e, "build", FALSE);
  g_assert_no_error (error);

  snapshot = dr_e2e_snapshot (e2e, "forms-service");
  g_assert_nonnull (snapshot->failed_deploy_runs);
  g_assert_cmpuint (snapshot->failed_deploy_runs->len, ==, 1);
  run = g_ptr_array_index (snapshot->failed_deploy_runs, 0);
  g_assert_cmpint (run->id, ==, dr_run_get_id (failed));

  /* As if the workspace had replaced its first step since the deploy. */
  first = g_ptr_array_index (run->steps, 0);
  g_free (first->name);
  first->name = g_strdup ("Build the bundle");
  g_free (first->command);
  first->command = g_strdup ("npm run bundle");

  commands = dr_engine_describe_rollback_full (e2e->engine, snapshot, "development", &summary);
  g_assert_cmpuint (g_strv_length (commands), ==, 2);
  g_assert_cmpstr (commands[0], ==, "kubectl rollout undo deployment/forms-service");
  g_assert_nonnull (strstr (summary, "may have changed the cluster"));
  g_assert_nonnull (strstr (summary, "bring back 1.0.0"));
}

/* The bundled workspace, unmodified, on a machine that has neither the clones nor a
 * container engine: the run fails at its first step and names what is missing and where to get
 * it. The deploy can be rolled back without touching the cluster. */
static void
test_missing_clones (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, FALSE);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_auto(GStrv) commands = NULL;
  g_autofree char *log = NULL;
  const char *message;
  guint n_steps;

  build = dr_e2e_record_build (e2e, "projects-service", "0.9.0", &error);
  g_assert_no_error (error);

  run = dr_e2e_promote (e2e, "projects-service", "0.9.0", "development", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_FAILED);

  message = dr_run_step_get_message (step_at (run, 0));
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "projects-service"));
  g_assert_nonnull (strstr (message, "https://github.com/your-org/projects-service"));
  g_assert_nonnull (strstr (message, e2e->clones));
  g_assert_nonnull (strstr (dr_run_get_message (run), message));

  n_steps = g_list_model_get_n_items (dr_run_get_steps (run));
  for (guint i = 1; i < n_steps; i++)
    g_assert_cmpint (dr_run_step_get_state (step_at (run, i)), ==, DR_STEP_STATE_SKIPPED);

  log = dr_e2e_read_log (run);
  g_assert_nonnull (strstr (log, message));

  snapshot = dr_e2e_snapshot (e2e, "projects-service");
  g_assert_cmpint (dr_service_snapshot_find_deployment (snapshot, "0.9.0", "development")->state,
                   ==, DR_DEPLOYMENT_FAILED);
  /* Nothing reached the cluster, so a rollback would not undo any rollout there. */
  commands = dr_engine_describe_rollback (e2e->engine, snapshot, "development");
  g_assert_cmpuint (g_strv_length (commands), ==, 1);
  g_assert_cmpstr (commands[0], ==,
                   "node scripts/verify-service-health.js --service=projects-service");
}

static void
test_missing_container_engine (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autofree char *bin = g_build_filename (e2e->root, "bin", NULL);
  g_autofree char *kubectl = g_build_filename (bin, "kubectl", NULL);
  g_autofree char *stand_in = g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "e2e", "bin",
                                                "kubectl", NULL);
  g_autofree char *saved_path = g_strdup (g_getenv ("PATH"));
  g_autofree char *path = NULL;
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *node_folder = g_path_get_dirname (node);
  const char *message;

  /* PATH has node and npm, the stand-in kubectl, and the system folders. Docker is the real
   * client if one is installed, with no engine behind it. */
  g_assert_cmpint (g_mkdir_with_parents (bin, 0700), ==, 0);
  g_assert_cmpint (symlink (stand_in, kubectl), ==, 0);
  path = g_strdup_printf ("%s:%s:/usr/bin:/bin", bin, node_folder);
  g_setenv ("PATH", path, TRUE);

  dr_e2e_set_version (e2e, "forms-service", "1.0.0");
  build = dr_e2e_record_build (e2e, "forms-service", "1.0.0", &error);
  g_assert_no_error (error);
  run = dr_e2e_promote (e2e, "forms-service", "1.0.0", "development", NULL, &error);
  g_setenv ("PATH", saved_path, TRUE);
  g_assert_no_error (error);

  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_FAILED);
  g_assert_cmpint (dr_run_step_get_state (step_at (run, 0)), ==, DR_STEP_STATE_SUCCEEDED);
  g_assert_cmpint (dr_run_step_get_state (step_at (run, 1)), ==, DR_STEP_STATE_FAILED);
  message = dr_run_get_message (run);
  g_assert_nonnull (strstr (message, "Build the container image"));
  if (g_find_program_in_path ("docker") == NULL)
    g_assert_nonnull (strstr (message, "“docker” was not found"));
}

static void
test_missing_credentials (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autofree char *calls = NULL;

  dr_credentials_delete_sync ("dynamo-dev", NULL, &error);
  g_assert_no_error (error);

  dr_e2e_set_version (e2e, "auth-service", "1.0.0");
  build = dr_e2e_record_build (e2e, "auth-service", "1.0.0", &error);
  g_assert_no_error (error);

  /* The pipeline reaches the cluster, so nothing runs: no build, no test, no kubectl. */
  run = dr_e2e_promote (e2e, "auth-service", "1.0.0", "development", NULL, &error);
  g_assert_null (run);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "dynamo-dev"));
  g_assert_nonnull (strstr (error->message, "Preferences"));
  calls = dr_e2e_read_calls (e2e);
  g_assert_cmpstr (calls, ==, "");

  snapshot = dr_e2e_snapshot (e2e, "auth-service");
  g_assert_cmpuint (snapshot->deployments->len, ==, 0);
  g_assert_cmpuint (snapshot->active_runs->len, ==, 0);
}

/* A deploy whose cluster step could not start left the cluster as it was, so its rollback
 * skips `kubectl rollout undo`, which would undo the release before it. */
static void
test_rollback_after_step_not_started (void)
{
  g_autofree char *workspace = g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "e2e",
                                                 "unstarted.yaml", NULL);
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(DrRun) rollback = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autofree char *calls = NULL;

  build = dr_e2e_record_build (e2e, "unstarted", "1.1.0", &error);
  g_assert_no_error (error);
  run = dr_e2e_promote (e2e, "unstarted", "1.1.0", "development", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_FAILED);
  g_assert_cmpint (dr_run_step_get_state (step_at (run, 0)), ==, DR_STEP_STATE_FAILED);
  g_assert_cmpint (dr_run_step_get_exit_status (step_at (run, 0)), ==,
                   DR_EXIT_STATUS_NOT_STARTED);
  g_assert_nonnull (strstr (dr_run_step_get_message (step_at (run, 0)),
                            "dynamo-test-missing-tool"));

  rollback = dr_e2e_rollback (e2e, "unstarted", "development", &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (rollback), ==, DR_RUN_STATE_SUCCEEDED);
  g_assert_cmpint (dr_run_step_get_state (step_at (rollback, 0)), ==, DR_STEP_STATE_SKIPPED);
  g_assert_cmpint (dr_run_step_get_state (step_at (rollback, 1)), ==, DR_STEP_STATE_SUCCEEDED);

  calls = dr_e2e_read_calls (e2e);
  g_assert_null (strstr (calls, "kubectl"));
}

static void
test_invalid_version (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autofree char *marker = g_build_filename (e2e->root, "x", NULL);
  g_autofree char *version = g_strdup_printf ("1.0;touch %s", marker);

  build = dr_e2e_record_build (e2e, "auth-service", version, &error);
  g_assert_null (build);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, version));
  g_clear_error (&error);

  build = dr_e2e_record_build (e2e, "auth-service", "$(id)", &error);
  g_assert_null (build);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
}

/* A commit is a hash or a tag or branch name; anything else is rejected and nothing is
 * recorded. */
static void
test_invalid_commit (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, FALSE);
  const char *invalid[] = { "zz;rm -rf ~", "$(id)", "-x", "a b", "v1..2", "main/", ".hidden",
                            "v1.lock", "tab\there" };
  const char *valid[] = { "3f2a9c1", "v1.4.0", "release/1.4", "RC_2" };
  g_autoptr(DrServiceSnapshot) snapshot = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(DrBuild) build = NULL;
    g_autofree char *version = g_strdup_printf ("1.0.%u", i);

    build = record_build_from_commit (e2e, "auth-service", version, invalid[i], &error);
    g_assert_null (build);
    g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, invalid[i]));
    g_assert_nonnull (strstr (error->message, "invalid commit"));
  }

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(DrBuild) build = NULL;
    g_autofree char *version = g_strdup_printf ("2.0.%u", i);

    build = record_build_from_commit (e2e, "auth-service", version, valid[i], &error);
    g_assert_no_error (error);
    g_assert_cmpstr (build->commit, ==, valid[i]);
  }

  snapshot = dr_e2e_snapshot (e2e, "auth-service");
  g_assert_cmpuint (snapshot->builds->len, ==, G_N_ELEMENTS (valid));
}

static char *
slow_workspace_path (void)
{
  return g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "e2e", "slow.yaml", NULL);
}

static gboolean
file_contains (const char *path,
               const char *text)
{
  g_autofree char *contents = NULL;

  return g_file_get_contents (path, &contents, NULL, NULL) && strstr (contents, text) != NULL;
}

/* Waits, with the main loop running, until a file contains some text. */
static void
wait_for_file_text (const char *path,
                    const char *text)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!file_contains (path, text)) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_main_context_iteration (NULL, FALSE);
    g_usleep (20000);
  }
}

static GPid
read_step_pid (DrE2e *e2e)
{
  g_autofree char *path = g_build_filename (e2e->state, "step.pid", NULL);
  g_autofree char *text = NULL;

  wait_for_file_text (path, "\n");
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));

  return (GPid) g_ascii_strtoll (text, NULL, 10);
}


static void
test_cancel_ends_run (void)
{
  g_autofree char *workspace = slow_workspace_path ();
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  GAsyncResult *result = NULL;
  GPid step_pid;

  build = dr_e2e_record_build (e2e, "slow", "1.0.0", &error);
  g_assert_no_error (error);

  dr_engine_promote_async (e2e->engine, "slow", "1.0.0", "development", NULL, store_result_cb,
                           &result);
  run = dr_engine_start_run_finish (e2e->engine, dr_e2e_wait_result (&result), NULL, &error);
  g_clear_object (&result);
  g_assert_no_error (error);

  step_pid = read_step_pid (e2e);
  g_assert_cmpint (kill (step_pid, 0), ==, 0);

  dr_run_cancel (run);
  dr_e2e_wait_for_run (e2e, run);

  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_CANCELLED);
  g_assert_cmpint (dr_run_step_get_state (step_at (run, 0)), ==, DR_STEP_STATE_CANCELLED);
  g_assert_cmpint (dr_run_step_get_state (step_at (run, 1)), ==, DR_STEP_STATE_SKIPPED);
  g_assert_cmpint (kill (step_pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);

  snapshot = dr_e2e_snapshot (e2e, "slow");
  g_assert_cmpuint (snapshot->active_runs->len, ==, 0);
  g_assert_cmpint (dr_service_snapshot_find_deployment (snapshot, "1.0.0", "development")->state,
                   ==, DR_DEPLOYMENT_FAILED);
  g_assert_cmpint (dr_service_snapshot_get_failed_state (
                     snapshot, dr_service_snapshot_find_deployment (snapshot, "1.0.0",
                                                                    "development")),
                   ==, DR_RUN_STATE_CANCELLED);
}

static gboolean
run_is_finished (gpointer user_data)
{
  return dr_run_is_finished (user_data);
}

/* A second engine, as in a second process, shows a run it does not execute and follows its
 * steps and its end through the store. */
static void
test_foreign_run_follows_store (void)
{
  g_autofree char *workspace = slow_workspace_path ();
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(DrStore) second_store = NULL;
  g_autoptr(DrEngine) second = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(DrRun) seen = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *seen_title = NULL;
  g_autofree char *run_title = NULL;
  GAsyncResult *result = NULL;
  gint64 deadline;

  build = dr_e2e_record_build (e2e, "slow", "1.0.0", &error);
  g_assert_no_error (error);
  dr_engine_promote_async (e2e->engine, "slow", "1.0.0", "development", NULL, store_result_cb,
                           &result);
  run = dr_engine_start_run_finish (e2e->engine, dr_e2e_wait_result (&result), NULL, &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  read_step_pid (e2e);

  second_store = dr_sqlite_store_open (e2e->store_path, &error);
  g_assert_no_error (error);
  second = dr_engine_new (e2e->workspace, second_store);
  dr_engine_load_run_async (second, dr_run_get_id (run), NULL, store_result_cb, &result);
  seen = dr_engine_load_run_finish (second, dr_e2e_wait_result (&result), &error);
  g_clear_object (&result);
  g_assert_no_error (error);

  g_assert_false (dr_run_is_local (seen));
  g_assert_true (dr_run_is_local (run));
  g_assert_cmpint (dr_run_get_state (seen), ==, DR_RUN_STATE_RUNNING);
  g_assert_cmpint (dr_run_step_get_state (step_at (seen, 0)), ==, DR_STEP_STATE_RUNNING);
  seen_title = dr_run_dup_title (seen);
  run_title = dr_run_dup_title (run);
  g_assert_cmpstr (seen_title, ==, run_title);

  dr_run_cancel (run);
  dr_e2e_wait_for_run (e2e, run);

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!run_is_finished (seen)) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_main_context_iteration (NULL, TRUE);
  }
  g_assert_cmpint (dr_run_get_state (seen), ==, DR_RUN_STATE_CANCELLED);
  g_assert_cmpint (dr_run_step_get_state (step_at (seen, 0)), ==, DR_STEP_STATE_CANCELLED);
  g_assert_cmpint (dr_run_step_get_state (step_at (seen, 1)), ==, DR_STEP_STATE_SKIPPED);
}

/* The child half of the crash test: starts a run that never ends and waits to be killed. */
static int
run_crash_child (const char *store_path,
                 const char *clones)
{
  g_autofree char *workspace_path = slow_workspace_path ();
  g_autoptr(DrWorkspace) workspace = NULL;
  g_autoptr(DrStore) store = NULL;
  g_autoptr(DrEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  g_autoptr(DrRun) run = NULL;
  const char *roles[] = { "release-manager", NULL };
  g_autoptr(DrIdentity) identity = dr_identity_new ("Rita", roles);

  workspace = dr_workspace_load_file (workspace_path, NULL, &error);
  g_assert_no_error (error);
  store = dr_sqlite_store_open (store_path, &error);
  g_assert_no_error (error);
  engine = dr_engine_new (workspace, store);
  dr_engine_set_clones_folder (engine, clones);
  dr_engine_set_identity (engine, identity);

  dr_engine_record_build_async (engine, "slow", "2.0.0", DR_VERSION_SOURCE_MANUAL, NULL, NULL,
                                store_result_cb, &result);
  dr_engine_record_build_finish (engine, dr_e2e_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  dr_engine_promote_async (engine, "slow", "2.0.0", "development", NULL, store_result_cb,
                           &result);
  run = dr_engine_start_run_finish (engine, dr_e2e_wait_result (&result), NULL, &error);
  g_assert_no_error (error);

  for (;;)
    g_main_context_iteration (NULL, TRUE);

  return 0;
}

static GPid
read_pid_file (DrE2e      *e2e,
               const char *name)
{
  g_autofree char *path = g_build_filename (e2e->state, name, NULL);
  g_autofree char *text = NULL;

  wait_for_file_text (path, "\n");
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));

  return (GPid) g_ascii_strtoll (text, NULL, 10);
}

/* Waits for an adopted process to end and reaps it. The test is the subreaper of its
 * descendants, so the orphans of the crash child become its children. Returns the wait
 * status. */
static int
wait_for_adopted (GPid pid)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  int status = 0;

  while (waitpid (pid, &status, WNOHANG) != pid) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (20000);
  }

  return status;
}

/* The engine of a killed process leaves nothing behind. The step's leader gets SIGTERM when the
 * process dies. The next engine on the store ends the step's other processes and deletes the
 * run's kubeconfig before it marks the run interrupted. */
static void
test_crash_marks_interrupted (void)
{
  g_autofree char *workspace = slow_workspace_path ();
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrStore) reopened = NULL;
  g_autoptr(DrEngine) engine = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(DrRun) seen = NULL;
  GAsyncResult *result = NULL;
  g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *kubeconfig_record = g_build_filename (e2e->state, "step.kubeconfig", NULL);
  g_autofree char *kubeconfig = NULL;
  DrRunFilter filter = { .service = "slow" };
  const DrRunRecord *record;
  gint64 deadline;
  guint n_events = 0;
  GPid step_pid;
  GPid background_pid;
  int status;

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error,
                            self_path, "--crash-child", e2e->store_path, e2e->clones, NULL);
  g_assert_no_error (error);

  /* Kill it hard once its step runs and has written to the log. */
  background_pid = read_pid_file (e2e, "background.pid");
  step_pid = read_pid_file (e2e, "step.pid");
  dr_e2e_wait_for_log_text (e2e, "slow", "started 2.0.0");
  g_assert_true (g_file_get_contents (kubeconfig_record, &kubeconfig, NULL, NULL));
  g_strstrip (kubeconfig);
  g_assert_true (g_str_has_prefix (kubeconfig, g_get_user_runtime_dir ()));
  g_assert_true (g_file_test (kubeconfig, G_FILE_TEST_EXISTS));

  /* An engine that is already open, as a window would be, shows the run as it goes. */
  reopened = dr_sqlite_store_open (e2e->store_path, &error);
  g_assert_no_error (error);
  engine = dr_engine_new (e2e->workspace, reopened);
  runs = dr_store_list_runs (reopened, &filter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  dr_engine_load_run_async (engine, ((DrRunRecord *) g_ptr_array_index (runs, 0))->id, NULL,
                            store_result_cb, &result);
  seen = dr_engine_load_run_finish (engine, dr_e2e_wait_result (&result), &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (seen), ==, DR_RUN_STATE_RUNNING);

  g_subprocess_force_exit (child);
  g_subprocess_wait (child, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);

  /* The leader ends with the process that started it; the background process outlives it. */
  status = wait_for_adopted (step_pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGTERM);
  g_assert_cmpint (kill (background_pid, 0), ==, 0);
  g_assert_true (g_file_test (kubeconfig, G_FILE_TEST_EXISTS));

  /* The open engine notices the dead process on its own, without a restart. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  do {
    g_clear_pointer (&runs, g_ptr_array_unref);
    while (g_main_context_iteration (NULL, FALSE))
      ;
    runs = dr_store_list_runs (reopened, &filter, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (runs->len, ==, 1);
    record = g_ptr_array_index (runs, 0);
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    /* Pausing leaves the store to the engine's worker, which waits for the same lock. */
    g_usleep (20000);
  } while (record->state == DR_RUN_STATE_RUNNING || !dr_run_is_finished (seen));
  g_assert_cmpint (dr_run_get_state (seen), ==, DR_RUN_STATE_INTERRUPTED);

  /* The recovery ended the background process before it marked the run. */
  g_assert_cmpint (waitpid (background_pid, &status, WNOHANG), ==, background_pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGTERM);
  g_assert_cmpint (kill (background_pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
  g_assert_false (g_file_test (kubeconfig, G_FILE_TEST_EXISTS));

  g_assert_cmpint (record->state, ==, DR_RUN_STATE_INTERRUPTED);
  g_assert_cmpstr (record->version, ==, "2.0.0");
  g_assert_nonnull (record->message);
  g_assert_true (file_contains (record->log_path, "started 2.0.0"));

  snapshot = dr_store_load_snapshot (reopened, "slow", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot->active_runs->len, ==, 0);
  g_assert_cmpint (dr_service_snapshot_find_deployment (snapshot, "2.0.0", "development")->state,
                   ==, DR_DEPLOYMENT_FAILED);
  g_assert_cmpint (dr_service_snapshot_get_failed_state (
                     snapshot, dr_service_snapshot_find_deployment (snapshot, "2.0.0",
                                                                    "development")),
                   ==, DR_RUN_STATE_INTERRUPTED);
  g_assert_nonnull (dr_service_snapshot_find_build (snapshot, "2.0.0"));

  g_assert_true (dr_store_verify_audit (reopened, &n_events, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_events, >=, 3);
}

static void
test_locked_keyring_stops_run (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autofree char *calls = NULL;
  DrRunFilter filter = { 0 };

  dr_e2e_set_version (e2e, "auth-service", "1.0.0");
  build = dr_e2e_record_build (e2e, "auth-service", "1.0.0", &error);
  g_assert_no_error (error);

  dr_keyring_test_lock ();
  run = dr_e2e_promote (e2e, "auth-service", "1.0.0", "development", NULL, &error);
  g_assert_null (run);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_LOCKED);
  g_assert_nonnull (strstr (error->message, "locked"));

  /* Nothing ran and nothing was recorded as running. */
  runs = dr_store_list_runs (e2e->store, &filter, NULL);
  g_assert_cmpuint (runs->len, ==, 0);
  calls = dr_e2e_read_calls (e2e);
  g_assert_cmpstr (calls, ==, "");

  dr_keyring_test_unlock ();
}

/* Records in the stand-in cluster that someone set another image outside the app. */
static void
drift_cluster (DrE2e      *e2e,
               const char *cluster,
               const char *service,
               const char *version)
{
  g_autofree char *name = g_strdup_printf ("%s.revisions", service);
  g_autofree char *path = g_build_filename (e2e->state, "clusters", cluster, "dynamo", name, NULL);
  g_autofree char *contents = NULL;
  g_autofree char *changed = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  changed = g_strdup_printf ("%s%s\n", contents, version);
  g_file_set_contents (path, changed, -1, &error);
  g_assert_no_error (error);
}

static guint
count_deployments (const DrServiceSnapshot *snapshot,
                   const char              *version,
                   const char              *environment,
                   DrDeploymentState        state)
{
  guint count = 0;

  for (guint i = 0; i < snapshot->deployments->len; i++) {
    const DrDeployment *deployment = g_ptr_array_index (snapshot->deployments, i);

    if (g_strcmp0 (deployment->version, version) == 0 &&
        g_strcmp0 (deployment->environment, environment) == 0 && deployment->state == state)
      count++;
  }

  return count;
}

/* The cluster drifted to another image. A redeploy in Production runs the deploy and verify
 * pipelines for the recorded build again, through Production's gate. */
static void
test_redeploy_repairs_drift (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrServiceSnapshot) before = NULL;
  g_autoptr(DrServiceSnapshot) after = NULL;
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autofree char *running = NULL;
  g_autofree char *calls = NULL;
  g_autofree char *log = NULL;
  g_auto(GStrv) commands = NULL;
  g_auto(GStrv) nothing = NULL;
  const DrDeployment *first;
  const DrDeployment *current;
  const DrAuditEvent *started = NULL;

  dr_e2e_deploy_through (e2e, "tasks-service", "3.1.0", "production");
  before = dr_e2e_snapshot (e2e, "tasks-service");
  first = dr_service_snapshot_get_current (before, "production");
  g_assert_nonnull (first);

  drift_cluster (e2e, "dynamo-prod", "tasks-service", "3.0.9");
  running = dr_e2e_running_version (e2e, "dynamo-prod", "tasks-service");
  g_assert_cmpstr (running, ==, "3.0.9");
  g_clear_pointer (&running, g_free);

  /* The confirmation lists the commands of the deploy and verify pipelines for 3.1.0. */
  commands = dr_engine_describe_redeploy (e2e->engine, before, "production");
  g_assert_cmpuint (g_strv_length (commands), ==, 5);
  g_assert_cmpstr (commands[1], ==, "docker build -t dynamo/tasks-service:3.1.0 .");
  g_assert_cmpstr (commands[3], ==, "kubectl apply -f k8s/tasks-service/deployment.yaml");
  g_assert_cmpstr (commands[4], ==,
                   "node scripts/verify-deployment.js --env=production --service=tasks-service");
  nothing = dr_engine_describe_redeploy (e2e->engine, before, "staging");
  g_assert_cmpuint (g_strv_length (nothing), ==, 0);

  /* Production's gate still passes for 3.1.0: Sam approved it, Rita redeploys it. */
  run = dr_e2e_redeploy (e2e, "tasks-service", "production", &refusals, &error);
  g_assert_no_error (error);
  g_assert_null (refusals);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_SUCCEEDED);
  g_assert_cmpint (dr_run_get_kind (run), ==, DR_RUN_KIND_DEPLOY);
  g_assert_cmpstr (dr_run_get_version (run), ==, "3.1.0");
  g_assert_cmpstr (dr_run_get_environment (run), ==, "production");

  /* The deploy pipeline ran, then the verify pipeline. */
  calls = dr_e2e_read_calls (e2e);
  g_assert_nonnull (strstr (calls, "docker build -t dynamo/tasks-service:3.1.0 ."));
  log = dr_e2e_read_log (run);
  g_assert_nonnull (strstr (log, "Verify the deployment"));
  running = dr_e2e_running_version (e2e, "dynamo-prod", "tasks-service");
  g_assert_cmpstr (running, ==, "3.1.0");

  after = dr_e2e_snapshot (e2e, "tasks-service");
  current = dr_service_snapshot_get_current (after, "production");
  g_assert_nonnull (current);
  g_assert_cmpstr (current->version, ==, "3.1.0");
  g_assert_cmpint (current->id, !=, first->id);
  g_assert_cmpint (current->run_id, ==, dr_run_get_id (run));
  g_assert_cmpstr (current->person, ==, "Rita");
  g_assert_true (current->verified);
  g_assert_cmpuint (count_deployments (after, "3.1.0", "production", DR_DEPLOYMENT_SUCCEEDED),
                    ==, 2);

  events = dr_store_list_audit (e2e->store, 0, 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++) {
    const DrAuditEvent *event = g_ptr_array_index (events, i);

    if (g_strcmp0 (event->action, "redeploy-started") == 0)
      started = event;
  }
  g_assert_nonnull (started);
  g_assert_cmpstr (started->person, ==, "Rita");
  g_assert_cmpstr (started->version, ==, "3.1.0");
  g_assert_cmpstr (started->environment, ==, "production");
  g_assert_true (dr_store_verify_audit (e2e->store, NULL, &error));
  g_assert_no_error (error);
}

/* A rollback after a redeploy restores the build before the redeployed one, in the store and
 * in the cluster, not the redeployed build again. */
static void
test_rollback_after_redeploy (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) redeploy = NULL;
  g_autoptr(DrRun) rollback = NULL;
  g_auto(GStrv) commands = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *running = NULL;
  const DrDeployment *current;

  dr_e2e_deploy_through (e2e, "tasks-service", "3.1.0", "development");
  dr_e2e_deploy_through (e2e, "tasks-service", "3.2.0", "development");

  redeploy = dr_e2e_redeploy (e2e, "tasks-service", "development", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (redeploy), ==, DR_RUN_STATE_SUCCEEDED);
  g_assert_cmpstr (dr_run_get_version (redeploy), ==, "3.2.0");

  snapshot = dr_e2e_snapshot (e2e, "tasks-service");
  g_assert_cmpstr (dr_service_snapshot_get_previous (snapshot, "development")->version, ==,
                   "3.1.0");
  commands = dr_engine_describe_rollback_full (e2e->engine, snapshot, "development", &summary);
  g_assert_nonnull (strstr (summary, "undoes Tasks Service 3.2.0 in Development"));
  g_assert_nonnull (strstr (summary, "3.1.0 is current again"));
  g_clear_pointer (&snapshot, dr_service_snapshot_free);

  rollback = dr_e2e_rollback (e2e, "tasks-service", "development", &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (rollback), ==, DR_RUN_STATE_SUCCEEDED);
  g_assert_cmpstr (dr_run_get_version (rollback), ==, "3.2.0");

  running = dr_e2e_running_version (e2e, "dynamo-dev", "tasks-service");
  g_assert_cmpstr (running, ==, "3.1.0");

  snapshot = dr_e2e_snapshot (e2e, "tasks-service");
  current = dr_service_snapshot_get_current (snapshot, "development");
  g_assert_nonnull (current);
  g_assert_cmpstr (current->version, ==, "3.1.0");
  g_assert_cmpuint (count_deployments (snapshot, "3.2.0", "development", DR_DEPLOYMENT_ROLLED_BACK),
                    ==, 2);
  g_assert_cmpuint (count_deployments (snapshot, "3.2.0", "development", DR_DEPLOYMENT_SUCCEEDED),
                    ==, 0);
  g_assert_cmpuint (count_deployments (snapshot, "3.1.0", "development", DR_DEPLOYMENT_SUCCEEDED),
                    ==, 1);
}

/* Nothing current there, or a gate that no longer lets the build in: no run starts. */
static void
test_redeploy_refused (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;

  dr_e2e_deploy_through (e2e, "forms-service", "2.0.0", "production");

  run = dr_e2e_redeploy (e2e, "forms-service", "staging", NULL, &error);
  g_assert_null (run);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  run = dr_e2e_redeploy (e2e, "auth-service", "qa", &refusals, &error);
  g_assert_null (run);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "nothing to redeploy"));
  g_assert_nonnull (refusals);
  g_assert_cmpuint (refusals->len, ==, 1);
  g_assert_cmpuint (count_refusals (refusals, DR_REFUSAL_NOTHING_DEPLOYED), ==, 1);
  g_clear_error (&error);

  /* Production's performance sign-off of 2.0.0 is revoked after the deploy. */
  dr_e2e_set_identity (e2e, "Quinn", "qa", NULL);
  g_assert_true (dr_e2e_sign (e2e, "forms-service", "2.0.0", "performance-tests", TRUE,
                              &error));
  g_assert_no_error (error);
  dr_e2e_set_identity (e2e, "Rita", "release-manager", NULL);

  run = dr_e2e_redeploy (e2e, "forms-service", "production", &revoked, &error);
  g_assert_null (run);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "Forms Service cannot be redeployed in Production"));
  g_assert_nonnull (revoked);
  g_assert_cmpuint (revoked->len, ==, 1);
  g_assert_cmpuint (count_refusals (revoked, DR_REFUSAL_CHECKLIST_ITEM_MISSING), ==, 1);
  g_clear_error (&error);

  snapshot = dr_e2e_snapshot (e2e, "forms-service");
  g_assert_cmpuint (count_deployments (snapshot, "2.0.0", "production", DR_DEPLOYMENT_SUCCEEDED),
                    ==, 1);
  g_assert_cmpuint (count_deployments (snapshot, "2.0.0", "production",
                                       DR_DEPLOYMENT_IN_PROGRESS), ==, 0);
}

/* A person's repeated decision is rejected and recorded once, but a new comment is recorded. */
static void
test_decide_once (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  const DrApproval *approval;
  guint n_events = 0;
  guint n_after = 0;

  build = dr_e2e_record_build (e2e, "auth-service", "2.0.0", &error);
  g_assert_no_error (error);
  dr_e2e_set_identity (e2e, "Sam", "security", NULL);

  dr_e2e_decide (e2e, "auth-service", "2.0.0", "production", DR_DECISION_APPROVED,
                 "Reviewed the token handling", &error);
  g_assert_no_error (error);
  g_assert_true (dr_store_verify_audit (e2e->store, &n_events, &error));
  g_assert_no_error (error);

  dr_e2e_decide (e2e, "auth-service", "2.0.0", "production", DR_DECISION_APPROVED, NULL, &error);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "You already approved auth-service 2.0.0 for "
                                            "Production on "));
  g_assert_nonnull (strstr (error->message, "“Reviewed the token handling”"));
  g_clear_error (&error);
  g_assert_true (dr_store_verify_audit (e2e->store, &n_after, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_after, ==, n_events);

  snapshot = dr_e2e_snapshot (e2e, "auth-service");
  approval = dr_service_snapshot_get_approval (snapshot, "2.0.0", "production", "security");
  g_assert_nonnull (approval);
  g_assert_cmpstr (approval->comment, ==, "Reviewed the token handling");
  g_clear_pointer (&snapshot, dr_service_snapshot_free);

  /* Another reviewer's approval is a decision of its own. */
  dr_e2e_set_identity (e2e, "Bea", "security", NULL);
  dr_e2e_decide (e2e, "auth-service", "2.0.0", "production", DR_DECISION_APPROVED, NULL, &error);
  g_assert_no_error (error);

  /* A withdrawn approval may be given again. */
  dr_e2e_decide (e2e, "auth-service", "2.0.0", "production", DR_DECISION_WITHDRAWN, NULL, &error);
  g_assert_no_error (error);
  dr_e2e_decide (e2e, "auth-service", "2.0.0", "production", DR_DECISION_APPROVED, NULL, &error);
  g_assert_no_error (error);
  snapshot = dr_e2e_snapshot (e2e, "auth-service");
  approval = dr_service_snapshot_get_approval (snapshot, "2.0.0", "production", "security");
  g_assert_nonnull (approval);
  g_assert_cmpstr (approval->person, ==, "Bea");
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 4 && g_str_equal (argv[1], "--crash-child"))
    return run_crash_child (argv[2], argv[3]);

  /* The orphans of a step, such as those of the killed crash child, become children of the
   * test, which reaps them. */
  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 1), ==, 0);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/deploy-to-development", test_deploy_to_development);
  g_test_add_func ("/engine/gate-refusals", test_gate_refusals);
  g_test_add_func ("/engine/signoffs-per-version", test_signoffs_per_version);
  g_test_add_func ("/engine/sign-once", test_sign_once);
  g_test_add_func ("/engine/decide-once", test_decide_once);
  g_test_add_func ("/engine/names-normalized", test_names_normalized);
  g_test_add_func ("/engine/monitoring-per-environment", test_monitoring_per_environment);
  g_test_add_func ("/engine/rollback-restores-previous", test_rollback_restores_previous);
  g_test_add_func ("/engine/failed-deploy-offers-rollback", test_failed_deploy_offers_rollback);
  g_test_add_func ("/engine/pipeline-without-verify", test_pipeline_without_verify);
  g_test_add_func ("/engine/verify-needs-a-check", test_verify_needs_a_check);
  g_test_add_func ("/engine/run-starts-while-busy", test_run_starts_while_busy);
  g_test_add_func ("/engine/rollback-before-cluster", test_rollback_before_cluster);
  g_test_add_func ("/engine/rollback-unknown-steps", test_rollback_unknown_steps);
  g_test_add_func ("/engine/rollout-undo-action", test_rollout_undo_action);
  g_test_add_func ("/engine/rollout-undo-no-previous", test_rollout_undo_no_previous);
  g_test_add_func ("/engine/clone-version-mismatch", test_clone_version_mismatch);
  g_test_add_func ("/engine/clone-commit-mismatch", test_clone_commit_mismatch);
  g_test_add_func ("/engine/clone-head-and-changes", test_clone_head_and_changes);
  g_test_add_func ("/engine/clone-described-mismatch", test_clone_described_mismatch);
  g_test_add_func ("/engine/missing-clones", test_missing_clones);
  g_test_add_func ("/engine/missing-container-engine", test_missing_container_engine);
  g_test_add_func ("/engine/missing-credentials", test_missing_credentials);
  g_test_add_func ("/engine/rollback-after-step-not-started", test_rollback_after_step_not_started);
  g_test_add_func ("/engine/invalid-version", test_invalid_version);
  g_test_add_func ("/engine/invalid-commit", test_invalid_commit);
  g_test_add_func ("/engine/cancel-ends-run", test_cancel_ends_run);
  g_test_add_func ("/engine/foreign-run-follows-store", test_foreign_run_follows_store);
  g_test_add_func ("/engine/crash-marks-interrupted", test_crash_marks_interrupted);
  g_test_add_func ("/engine/locked-keyring-stops-run", test_locked_keyring_stops_run);
  g_test_add_func ("/engine/redeploy-repairs-drift", test_redeploy_repairs_drift);
  g_test_add_func ("/engine/rollback-after-redeploy", test_rollback_after_redeploy);
  g_test_add_func ("/engine/redeploy-refused", test_redeploy_refused);

  return g_test_run ();
}
