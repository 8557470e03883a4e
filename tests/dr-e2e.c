/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "dr-credentials.h"
#include "dr-e2e.h"
#include "dr-sqlite-store.h"

static void
run_command (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *errors = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &errors, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], errors);
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* Makes <clones>/<directory> for a service from tests/e2e/service: the scripts, a
 * package.json with the service's name and version, and k8s/<service>/deployment.yaml. */
static void
make_clone (DrE2e           *e2e,
            const DrService *service)
{
  const char *sources = g_getenv ("DYNAMO_TESTS_SRCDIR");
  g_autofree char *template = g_build_filename (sources, "e2e", "service", "scripts", NULL);
  g_autofree char *clone = g_build_filename (e2e->clones, service->directory, NULL);
  g_autofree char *manifests = g_build_filename (clone, "k8s", service->id, NULL);
  g_autofree char *manifest_template = g_build_filename (sources, "e2e", "service", "k8s",
                                                         "deployment.yaml", NULL);
  g_autofree char *manifest_path = g_build_filename (manifests, "deployment.yaml", NULL);
  g_autofree char *manifest = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) parts = NULL;

  g_assert_cmpint (g_mkdir_with_parents (manifests, 0700), ==, 0);
  run_command ((const char *[]) { "cp", "-R", template, clone, NULL });

  g_file_get_contents (manifest_template, &manifest, NULL, &error);
  g_assert_no_error (error);
  parts = g_strsplit (manifest, "SERVICE", -1);
  g_free (manifest);
  manifest = g_strjoinv (service->id, parts);
  write_file (manifest_path, manifest);

  dr_e2e_set_version (e2e, service->id, "0.0.0");
}

void
dr_e2e_set_version (DrE2e      *e2e,
                    const char *service_id,
                    const char *version)
{
  const DrService *service = dr_workspace_get_service (e2e->workspace, service_id);
  g_autofree char *path = g_build_filename (e2e->clones, service->directory, "package.json",
                                            NULL);
  g_autofree char *package = NULL;

  package = g_strdup_printf ("{\n"
                             "  \"name\": \"%s\",\n"
                             "  \"version\": \"%s\",\n"
                             "  \"private\": true,\n"
                             "  \"scripts\": {\n"
                             "    \"build\": \"node scripts/build.js\",\n"
                             "    \"build:dev\": \"node scripts/build.js development\",\n"
                             "    \"build:qa\": \"node scripts/build.js qa\",\n"
                             "    \"build:prod\": \"node scripts/build.js production\",\n"
                             "    \"update-routes\": \"node scripts/update-routes.js\",\n"
                             "    \"test\": \"node scripts/test.js\"\n"
                             "  }\n"
                             "}\n",
                             service->id, version);
  write_file (path, package);
}

static void
store_credentials (DrE2e *e2e)
{
  GPtrArray *environments = dr_workspace_get_environments (e2e->workspace);

  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);
    g_autoptr(DrClusterCredentials) credentials = dr_cluster_credentials_new (environment->cluster);
    g_autoptr(GError) error = NULL;

    credentials->server = g_strdup ("https://127.0.0.1:6443");
    credentials->token = g_strdup (e2e->token);
    dr_credentials_store_sync (credentials, NULL, &error);
    g_assert_no_error (error);
  }
}

/* Creates the fixture. With make_clones FALSE the clones folder exists but is empty, as on
 * a machine where nobody cloned the services yet. */
DrE2e *
dr_e2e_new (const char *workspace_path,
            gboolean    make_clones)
{
  const char *sources = g_getenv ("DYNAMO_TESTS_SRCDIR");
  DrE2e *e2e = g_new0 (DrE2e, 1);
  g_autofree char *bin = NULL;
  g_autofree char *default_path = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *services;

  g_assert_nonnull (sources);

  e2e->root = g_dir_make_tmp ("dynamo-e2e-XXXXXX", &error);
  g_assert_no_error (error);
  e2e->clones = g_build_filename (e2e->root, "clones", NULL);
  e2e->state = g_build_filename (e2e->root, "state", NULL);
  e2e->store_path = g_build_filename (e2e->root, "store.sqlite3", NULL);
  e2e->token = g_strdup_printf ("e2e-token-%08x%08x", g_random_int (), g_random_int ());
  g_assert_cmpint (g_mkdir_with_parents (e2e->clones, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (e2e->state, 0700), ==, 0);

  /* The stand-ins come first on PATH; npm must not look for updates. */
  bin = g_build_filename (sources, "e2e", "bin", NULL);
  path = g_strdup_printf ("%s:%s", bin, g_getenv ("PATH"));
  g_setenv ("PATH", path, TRUE);
  g_setenv ("DYNAMO_E2E_STATE", e2e->state, TRUE);
  g_setenv ("NPM_CONFIG_UPDATE_NOTIFIER", "false", TRUE);
  g_setenv ("NPM_CONFIG_FUND", "false", TRUE);
  g_setenv ("NPM_CONFIG_AUDIT", "false", TRUE);

  if (workspace_path == NULL)
    workspace_path = default_path = dr_workspace_find_default ();
  e2e->workspace = dr_workspace_load_file (workspace_path, NULL, &error);
  g_assert_no_error (error);

  services = dr_workspace_get_services (e2e->workspace);
  for (guint i = 0; make_clones && i < services->len; i++)
    make_clone (e2e, g_ptr_array_index (services, i));

  e2e->store = dr_sqlite_store_open (e2e->store_path, &error);
  g_assert_no_error (error);

  store_credentials (e2e);

  e2e->engine = dr_engine_new (e2e->workspace, e2e->store);
  dr_engine_set_clones_folder (e2e->engine, e2e->clones);
  dr_e2e_set_identity (e2e, "Rita", "release-manager", NULL);

  return e2e;
}

void
dr_e2e_free (DrE2e *e2e)
{
  g_autofree char *quoted = NULL;

  if (e2e == NULL)
    return;

  g_clear_object (&e2e->engine);
  g_clear_object (&e2e->store);
  g_clear_object (&e2e->workspace);

  if (g_getenv ("DYNAMO_KEEP_E2E") == NULL)
    run_command ((const char *[]) { "rm", "-rf", e2e->root, NULL });

  g_free (e2e->root);
  g_free (e2e->clones);
  g_free (e2e->state);
  g_free (e2e->store_path);
  g_free (e2e->token);
  g_free (e2e);
}

void
dr_e2e_set_identity (DrE2e      *e2e,
                     const char *name,
                     const char *first_role,
                     ...)
{
  g_autoptr(GPtrArray) roles = g_ptr_array_new ();
  g_autoptr(DrIdentity) identity = NULL;
  va_list args;

  va_start (args, first_role);
  for (const char *role = first_role; role != NULL; role = va_arg (args, const char *))
    g_ptr_array_add (roles, (char *) role);
  va_end (args);
  g_ptr_array_add (roles, NULL);

  identity = dr_identity_new (name, (const char * const *) roles->pdata);
  dr_engine_set_identity (e2e->engine, identity);
}

/* Makes a stand-in fail ("docker", "kubectl") or a script ("build", "tests", "verify",
 * "health") from now on, or stops making it fail. */
void
dr_e2e_fail (DrE2e      *e2e,
             const char *what,
             gboolean    failing)
{
  g_autofree char *name = g_strdup_printf ("fail-%s", what);
  g_autofree char *path = g_build_filename (e2e->state, name, NULL);

  if (failing)
    write_file (path, "");
  else
    g_unlink (path);
}

char *
dr_e2e_read_calls (DrE2e *e2e)
{
  g_autofree char *path = g_build_filename (e2e->state, "calls.log", NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return g_strdup ("");

  return contents;
}

/* Returns the version the stand-in cluster runs for a service, or NULL. */
char *
dr_e2e_running_version (DrE2e      *e2e,
                        const char *cluster,
                        const char *service)
{
  g_autofree char *name = g_strdup_printf ("%s.revisions", service);
  g_autofree char *path = g_build_filename (e2e->state, "clusters", cluster, "dynamo", name, NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_lines;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;

  g_strchomp (contents);
  lines = g_strsplit (contents, "\n", -1);
  n_lines = g_strv_length (lines);

  return n_lines > 0 && lines[n_lines - 1][0] != '\0' ? g_strdup (lines[n_lines - 1]) : NULL;
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

/* Iterates the main context until an async call stored its result. */
gpointer
dr_e2e_wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *slot;
}

DrBuild *
dr_e2e_record_build (DrE2e       *e2e,
                     const char  *service,
                     const char  *version,
                     GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  dr_engine_record_build_async (e2e->engine, service, version, DR_VERSION_SOURCE_MANUAL, NULL,
                                NULL, store_result_cb, &result);

  return dr_engine_record_build_finish (e2e->engine, dr_e2e_wait_result (&result), error);
}

void
dr_e2e_wait_for_run (DrE2e *e2e,
                     DrRun *run)
{
  dr_engine_wait_for_run (e2e->engine, run);
}

static DrRun *
finish_run (DrE2e         *e2e,
            GAsyncResult **result,
            GPtrArray    **refusals,
            GError       **error)
{
  DrRun *run = dr_engine_start_run_finish (e2e->engine, dr_e2e_wait_result (result), refusals,
                                           error);

  g_clear_object (result);
  if (run != NULL)
    dr_e2e_wait_for_run (e2e, run);

  return run;
}

/* Each of these starts a run and returns it once it has finished, or NULL when it could not
 * start. */
DrRun *
dr_e2e_promote (DrE2e       *e2e,
                const char  *service,
                const char  *version,
                const char  *environment,
                GPtrArray  **refusals,
                GError     **error)
{
  GAsyncResult *result = NULL;

  dr_engine_promote_async (e2e->engine, service, version, environment, NULL, store_result_cb,
                           &result);

  return finish_run (e2e, &result, refusals, error);
}

DrRun *
dr_e2e_redeploy (DrE2e       *e2e,
                 const char  *service,
                 const char  *environment,
                 GPtrArray  **refusals,
                 GError     **error)
{
  GAsyncResult *result = NULL;

  dr_engine_redeploy_async (e2e->engine, service, environment, NULL, store_result_cb, &result);

  return finish_run (e2e, &result, refusals, error);
}

DrRun *
dr_e2e_verify (DrE2e       *e2e,
               const char  *service,
               const char  *environment,
               GError     **error)
{
  GAsyncResult *result = NULL;

  dr_engine_verify_async (e2e->engine, service, environment, NULL, store_result_cb, &result);

  return finish_run (e2e, &result, NULL, error);
}

DrRun *
dr_e2e_rollback (DrE2e       *e2e,
                 const char  *service,
                 const char  *environment,
                 GError     **error)
{
  GAsyncResult *result = NULL;

  dr_engine_rollback_async (e2e->engine, service, environment, NULL, store_result_cb, &result);

  return finish_run (e2e, &result, NULL, error);
}

DrRun *
dr_e2e_check_item (DrE2e       *e2e,
                   const char  *service,
                   const char  *version,
                   const char  *item,
                   GError     **error)
{
  GAsyncResult *result = NULL;

  dr_engine_check_item_async (e2e->engine, service, version, "pre-production", item, NULL,
                              store_result_cb, &result);

  return finish_run (e2e, &result, NULL, error);
}

gboolean
dr_e2e_sign (DrE2e       *e2e,
             const char  *service,
             const char  *version,
             const char  *item,
             gboolean     revoke,
             GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (revoke)
    dr_engine_revoke_async (e2e->engine, service, version, "pre-production", item, NULL, NULL,
                            store_result_cb, &result);
  else
    dr_engine_sign_async (e2e->engine, service, version, "pre-production", item, NULL, NULL,
                          store_result_cb, &result);

  return dr_engine_write_finish (e2e->engine, dr_e2e_wait_result (&result), error);
}

gboolean
dr_e2e_decide (DrE2e       *e2e,
               const char  *service,
               const char  *version,
               const char  *environment,
               DrDecision   decision,
               const char  *comment,
               GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  dr_engine_decide_async (e2e->engine, service, version, environment, decision, comment, NULL,
                          store_result_cb, &result);

  return dr_engine_write_finish (e2e->engine, dr_e2e_wait_result (&result), error);
}

DrServiceSnapshot *
dr_e2e_snapshot (DrE2e      *e2e,
                 const char *service)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DrServiceSnapshot *snapshot;

  dr_engine_load_snapshot_async (e2e->engine, service, NULL, store_result_cb, &result);
  snapshot = dr_engine_load_snapshot_finish (e2e->engine, dr_e2e_wait_result (&result), &error);
  g_assert_no_error (error);

  return snapshot;
}

char *
dr_e2e_read_log (DrRun *run)
{
  const char *path = dr_log_index_get_path (dr_run_get_log (run));
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);

  return contents;
}

static void
assert_run_succeeded (DrRun *run)
{
  g_assert_nonnull (run);
  if (dr_run_get_state (run) != DR_RUN_STATE_SUCCEEDED)
    g_error ("run %s ended %s: %s", dr_run_dup_title (run),
             dr_run_state_to_string (dr_run_get_state (run)), dr_run_get_message (run));
}

/* Takes a build through every gate up to last_environment with real runs: QA signs its items,
 * security signs and approves, the release manager runs the check and promotes. */
void
dr_e2e_deploy_through (DrE2e      *e2e,
                       const char *service,
                       const char *version,
                       const char *last_environment)
{
  GPtrArray *environments = dr_workspace_get_environments (e2e->workspace);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrBuild) build = NULL;

  dr_e2e_set_version (e2e, service, version);
  dr_e2e_set_identity (e2e, "Rita", "release-manager", NULL);
  build = dr_e2e_record_build (e2e, service, version, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);
    const DrGate *gate = dr_workspace_get_gate (e2e->workspace, environment->id);
    g_autoptr(DrRun) run = NULL;

    if (gate != NULL && gate->checklist != NULL) {
      for (guint j = 0; j < gate->checklist->items->len; j++) {
        const DrChecklistItem *item = g_ptr_array_index (gate->checklist->items, j);

        if (item->check != NULL) {
          g_autoptr(DrRun) check = NULL;

          dr_e2e_set_identity (e2e, "Rita", "release-manager", NULL);
          check = dr_e2e_check_item (e2e, service, version, item->id, &error);
          g_assert_no_error (error);
          assert_run_succeeded (check);
        } else {
          dr_e2e_set_identity (e2e, g_str_equal (item->role, "qa") ? "Quinn" : "Sam",
                               item->role, NULL);
          dr_e2e_sign (e2e, service, version, item->id, FALSE, &error);
          g_assert_no_error (error);
        }
      }
    }

    for (guint j = 0; gate != NULL && gate->approval_roles != NULL && gate->approval_roles[j]; j++) {
      dr_e2e_set_identity (e2e, "Sam", gate->approval_roles[j], NULL);
      dr_e2e_decide (e2e, service, version, environment->id, DR_DECISION_APPROVED, NULL, &error);
      g_assert_no_error (error);
    }

    dr_e2e_set_identity (e2e, "Rita", "release-manager", NULL);
    run = dr_e2e_promote (e2e, service, version, environment->id, NULL, &error);
    g_assert_no_error (error);
    assert_run_succeeded (run);

    if (g_strcmp0 (environment->id, last_environment) == 0)
      break;
  }
}

/* Waits until the log of the service's newest run contains `text`, reading the store through a
 * connection of its own, as another process would. A step's output reaches the log through
 * the drain thread, so a file the step wrote itself can appear first. */
void
dr_e2e_wait_for_log_text (DrE2e      *e2e,
                          const char *service,
                          const char *text)
{
  g_autoptr(DrStore) store = NULL;
  g_autoptr(GError) error = NULL;
  DrRunFilter filter = { .service = service, .limit = 1 };
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  store = dr_sqlite_store_open (e2e->store_path, &error);
  g_assert_no_error (error);

  for (;;) {
    g_autoptr(GPtrArray) runs = dr_store_list_runs (store, &filter, &error);
    g_autofree char *contents = NULL;

    g_assert_no_error (error);
    if (runs->len > 0) {
      const DrRunRecord *run = g_ptr_array_index (runs, 0);

      if (g_file_get_contents (run->log_path, &contents, NULL, NULL) &&
          strstr (contents, text) != NULL)
        return;
    }

    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_main_context_iteration (NULL, FALSE);
    g_usleep (20000);
  }
}
