/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dr-gate.h"

/* Loaded once from tests/data/gates.yaml: Development → QA → Production, where Production
 * needs the two-item pre-production checklist and a security approval, and every
 * environment needs the release-manager role to promote. */
static DrWorkspace *workspace;
static DrWorkspace *workspace_allowing_self_approval;

/* Times of the records a test adds, increasing, so that later records are newer. */
static gint64 clock_now;

static char *
read_test_workspace_text (void)
{
  const char *srcdir = g_getenv ("DYNAMO_TESTS_SRCDIR");
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  if (srcdir == NULL)
    g_error ("DYNAMO_TESTS_SRCDIR is not set. Run this test with meson test.");

  path = g_build_filename (srcdir, "data", "gates.yaml", NULL);
  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);

  return contents;
}

static void
load_workspaces (void)
{
  const char * const languages[] = { "C", NULL };
  g_autofree char *text = read_test_workspace_text ();
  g_autoptr(GString) allowing = g_string_new (text);
  g_autoptr(GError) error = NULL;

  workspace = dr_workspace_load_data (text, strlen (text), "gates.yaml", languages, &error);
  g_assert_no_error (error);
  g_assert_false (dr_workspace_get_allow_self_approval (workspace));

  g_assert_cmpuint (g_string_replace (allowing, "allow-self-approval: false",
                                      "allow-self-approval: true", 1), ==, 1);
  workspace_allowing_self_approval = dr_workspace_load_data (allowing->str, allowing->len,
                                                             "gates-self.yaml", languages,
                                                             &error);
  g_assert_no_error (error);
  g_assert_true (dr_workspace_get_allow_self_approval (workspace_allowing_self_approval));
}

/* Snapshots built by hand. */

static DrServiceSnapshot *
new_snapshot (const char *service)
{
  DrServiceSnapshot *snapshot = g_new0 (DrServiceSnapshot, 1);

  snapshot->service = g_strdup (service);
  snapshot->builds = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_build_free);
  snapshot->deployments = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_deployment_free);
  snapshot->active_runs = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_run_record_free);
  snapshot->signoffs = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_signoff_free);
  snapshot->approvals = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_approval_free);

  return snapshot;
}

static void
add_build (DrServiceSnapshot *snapshot,
           const char        *version)
{
  DrBuild *build = g_new0 (DrBuild, 1);

  build->id = ++clock_now;
  build->service = g_strdup (snapshot->service);
  build->version = g_strdup (version);
  build->source = g_strdup ("manual");
  build->recorded_by = g_strdup ("Ana");
  build->recorded_at = clock_now;
  g_ptr_array_insert (snapshot->builds, 0, build);
}

static DrDeployment *
add_deployment (DrServiceSnapshot *snapshot,
                const char        *version,
                const char        *environment,
                DrDeploymentState  state,
                gboolean           verified)
{
  DrDeployment *deployment = g_new0 (DrDeployment, 1);

  deployment->id = ++clock_now;
  deployment->service = g_strdup (snapshot->service);
  deployment->version = g_strdup (version);
  deployment->environment = g_strdup (environment);
  deployment->state = state;
  deployment->verified = verified;
  deployment->person = g_strdup ("Ana");
  deployment->started_at = clock_now;
  g_ptr_array_insert (snapshot->deployments, 0, deployment);

  return deployment;
}

static void
add_signoff (DrServiceSnapshot *snapshot,
             const char        *version,
             const char        *item,
             const char        *role,
             gboolean           revoked)
{
  DrSignoff *signoff = g_new0 (DrSignoff, 1);

  signoff->id = ++clock_now;
  signoff->service = g_strdup (snapshot->service);
  signoff->version = g_strdup (version);
  signoff->checklist = g_strdup ("pre-production");
  signoff->item = g_strdup (item);
  signoff->person = g_strdup ("Carla");
  signoff->role = g_strdup (role);
  signoff->at = clock_now;
  signoff->revoked = revoked;
  g_ptr_array_add (snapshot->signoffs, signoff);
}

static void
add_approval (DrServiceSnapshot *snapshot,
              const char        *version,
              const char        *person,
              DrDecision         decision,
              const char        *comment)
{
  DrApproval *approval = g_new0 (DrApproval, 1);

  approval->id = ++clock_now;
  approval->service = g_strdup (snapshot->service);
  approval->version = g_strdup (version);
  approval->environment = g_strdup ("production");
  approval->role = g_strdup ("security");
  approval->person = g_strdup (person);
  approval->decision = decision;
  approval->comment = g_strdup (comment);
  approval->at = clock_now;
  g_ptr_array_add (snapshot->approvals, approval);
}

static void
add_running_run (DrServiceSnapshot *snapshot,
                 gint64             id,
                 DrRunKind          kind,
                 const char        *environment,
                 const char        *person)
{
  DrRunRecord *run = g_new0 (DrRunRecord, 1);

  run->id = id;
  run->kind = kind;
  run->service = g_strdup (snapshot->service);
  run->version = g_strdup ("1.4.0");
  run->environment = g_strdup (environment);
  run->state = DR_RUN_STATE_RUNNING;
  run->person = g_strdup (person);
  run->started_at = ++clock_now;
  run->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_run_step_record_free);
  g_ptr_array_add (snapshot->active_runs, run);
}

/* 1.4.0 of the API gateway, deployed and verified in Development and QA, with 1.3.0 in
 * Production. */
static DrServiceSnapshot *
new_snapshot_in_qa (void)
{
  DrServiceSnapshot *snapshot = new_snapshot ("api-gateway");

  add_build (snapshot, "1.3.0");
  add_build (snapshot, "1.4.0");
  add_deployment (snapshot, "1.3.0", "development", DR_DEPLOYMENT_SUCCEEDED, TRUE);
  add_deployment (snapshot, "1.3.0", "qa", DR_DEPLOYMENT_SUCCEEDED, TRUE);
  add_deployment (snapshot, "1.3.0", "production", DR_DEPLOYMENT_SUCCEEDED, TRUE);
  add_deployment (snapshot, "1.4.0", "development", DR_DEPLOYMENT_SUCCEEDED, TRUE);
  add_deployment (snapshot, "1.4.0", "qa", DR_DEPLOYMENT_SUCCEEDED, TRUE);

  return snapshot;
}

/* The same, with the checklist signed and the security approval given: ready to go. */
static DrServiceSnapshot *
new_snapshot_ready_for_production (void)
{
  DrServiceSnapshot *snapshot = new_snapshot_in_qa ();

  add_signoff (snapshot, "1.4.0", "qa-tests-pass", "qa", FALSE);
  add_signoff (snapshot, "1.4.0", "performance-tests", "qa", FALSE);
  add_approval (snapshot, "1.4.0", "Bea", DR_DECISION_APPROVED, NULL);

  return snapshot;
}

static DrIdentity *
new_release_manager (void)
{
  const char * const roles[] = { "release-manager", NULL };

  return dr_identity_new ("Ana", roles);
}

/* Assertions. */

static guint
count_reason (GPtrArray       *refusals,
              DrRefusalReason  reason)
{
  guint count = 0;

  for (guint i = 0; i < refusals->len; i++) {
    const DrRefusal *refusal = g_ptr_array_index (refusals, i);

    if (refusal->reason == reason)
      count++;
  }

  return count;
}

static const DrRefusal *
find_reason (GPtrArray       *refusals,
             DrRefusalReason  reason)
{
  for (guint i = 0; i < refusals->len; i++) {
    const DrRefusal *refusal = g_ptr_array_index (refusals, i);

    if (refusal->reason == reason)
      return refusal;
  }

  return NULL;
}

static void
assert_contains (const char *text,
                 const char *fragment)
{
  if (strstr (text, fragment) == NULL)
    g_error ("“%s” does not contain “%s”", text, fragment);
}

/* Asserts that @refusals contains one refusal, of @reason about @subject, whose message contains
 * each of the NULL-terminated @fragments. */
static void
assert_single_refusal (GPtrArray       *refusals,
                       DrRefusalReason  reason,
                       const char      *subject,
                       ...)
{
  const DrRefusal *refusal;
  const char *fragment;
  va_list fragments;

  if (refusals->len != 1) {
    g_autofree char *text = dr_refusals_to_string (refusals);

    g_error ("Expected one refusal, got %u:\n%s", refusals->len, text);
  }

  refusal = g_ptr_array_index (refusals, 0);
  g_assert_cmpint (refusal->reason, ==, reason);
  g_assert_cmpstr (refusal->subject, ==, subject);

  va_start (fragments, subject);
  while ((fragment = va_arg (fragments, const char *)) != NULL)
    assert_contains (refusal->message, fragment);
  va_end (fragments);
}

static void
assert_no_refusal (GPtrArray *refusals)
{
  if (refusals->len != 0) {
    g_autofree char *text = dr_refusals_to_string (refusals);

    g_error ("Expected no refusal, got %u:\n%s", refusals->len, text);
  }
}

/* Tests. */

static void
test_unknown_service (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot ("billing-service");
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;

  add_build (snapshot, "1.4.0");
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "development");

  assert_single_refusal (refusals, DR_REFUSAL_UNKNOWN_SERVICE, "billing-service",
                         "“billing-service”", NULL);
}

static void
test_unknown_environment (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_qa ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;

  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "staging");

  assert_single_refusal (refusals, DR_REFUSAL_UNKNOWN_ENVIRONMENT, "staging", "“staging”",
                         "development, qa, production", NULL);
}

static void
test_unknown_build (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_qa ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;

  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.5.0", "development");

  assert_single_refusal (refusals, DR_REFUSAL_UNKNOWN_BUILD, "1.5.0", "1.5.0", "API Gateway",
                         "never recorded", NULL);
}

static void
test_new_build_enters_first (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_qa ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;

  add_build (snapshot, "1.5.0");
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.5.0", "development");

  assert_no_refusal (refusals);
}

static void
test_production_passes (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_ready_for_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;
  g_autofree char *text = NULL;

  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");

  assert_no_refusal (refusals);
  text = dr_refusals_to_string (refusals);
  g_assert_cmpstr (text, ==, "");
}

static void
test_skipping_environment (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_ready_for_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;
  const DrRefusal *refusal;

  /* 1.5.0 runs only in Development, and its checklist and approval are missing too. */
  add_build (snapshot, "1.5.0");
  add_deployment (snapshot, "1.5.0", "development", DR_DEPLOYMENT_SUCCEEDED, TRUE);
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.5.0", "production");

  g_assert_cmpuint (count_reason (refusals, DR_REFUSAL_NOT_NEXT_ENVIRONMENT), ==, 1);
  refusal = find_reason (refusals, DR_REFUSAL_NOT_NEXT_ENVIRONMENT);
  g_assert_cmpstr (refusal->subject, ==, "qa");
  g_assert_cmpstr (refusal->message, ==, "Promote 1.5.0 to QA before Production.");
  g_assert_cmpuint (count_reason (refusals, DR_REFUSAL_NOT_DEPLOYED_IN_SOURCE), ==, 0);
  g_assert_cmpuint (count_reason (refusals, DR_REFUSAL_NOT_VERIFIED_IN_SOURCE), ==, 0);
  g_assert_cmpuint (count_reason (refusals, DR_REFUSAL_CHECKLIST_ITEM_MISSING), ==, 2);
  g_assert_cmpuint (count_reason (refusals, DR_REFUSAL_APPROVAL_MISSING), ==, 1);
  g_assert_cmpuint (refusals->len, ==, 4);
}

static void
test_new_build_skips_first (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_qa ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;

  add_build (snapshot, "1.5.0");
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.5.0", "qa");

  assert_single_refusal (refusals, DR_REFUSAL_NOT_NEXT_ENVIRONMENT, "development",
                         "Promote 1.5.0 to Development before QA.", NULL);
}

static void
test_already_deployed (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_qa ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;

  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "qa");

  assert_single_refusal (refusals, DR_REFUSAL_ALREADY_DEPLOYED, "qa", "1.4.0 already runs in QA.",
                         NULL);
}

static void
test_going_backwards (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_ready_for_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;

  /* 1.4.0 reached Production, then QA moved on to 1.5.0. */
  add_deployment (snapshot, "1.4.0", "production", DR_DEPLOYMENT_SUCCEEDED, TRUE);
  add_build (snapshot, "1.5.0");
  add_deployment (snapshot, "1.5.0", "development", DR_DEPLOYMENT_SUCCEEDED, TRUE);
  add_deployment (snapshot, "1.5.0", "qa", DR_DEPLOYMENT_SUCCEEDED, TRUE);
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "qa");

  assert_single_refusal (refusals, DR_REFUSAL_NOT_NEXT_ENVIRONMENT, "qa",
                         "1.4.0 is already past QA", "roll back", NULL);
}

static void
test_not_deployed_in_source (void)
{
  static const struct
  {
    DrDeploymentState  state;
    const char        *fragment;
  } cases[] = {
    { DR_DEPLOYMENT_IN_PROGRESS, "1.5.0 is still being deployed to QA." },
    { DR_DEPLOYMENT_FAILED, "The deployment of 1.5.0 to QA failed." },
    { DR_DEPLOYMENT_ROLLED_BACK, "1.5.0 was rolled back in QA." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_qa ();
    g_autoptr(DrIdentity) identity = new_release_manager ();
    g_autoptr(GPtrArray) refusals = NULL;

    add_build (snapshot, "1.5.0");
    add_deployment (snapshot, "1.5.0", "development", DR_DEPLOYMENT_SUCCEEDED, TRUE);
    add_deployment (snapshot, "1.5.0", "qa", cases[i].state, FALSE);
    add_signoff (snapshot, "1.5.0", "qa-tests-pass", "qa", FALSE);
    add_signoff (snapshot, "1.5.0", "performance-tests", "qa", FALSE);
    add_approval (snapshot, "1.5.0", "Bea", DR_DECISION_APPROVED, NULL);
    refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.5.0", "production");

    assert_single_refusal (refusals, DR_REFUSAL_NOT_DEPLOYED_IN_SOURCE, "qa", cases[i].fragment,
                           NULL);
  }
}

static void
test_replaced_in_source (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_ready_for_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;

  /* QA got 1.5.0 after 1.4.0, so 1.4.0 no longer runs there. */
  add_build (snapshot, "1.5.0");
  add_deployment (snapshot, "1.5.0", "development", DR_DEPLOYMENT_SUCCEEDED, TRUE);
  add_deployment (snapshot, "1.5.0", "qa", DR_DEPLOYMENT_SUCCEEDED, TRUE);
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");

  assert_single_refusal (refusals, DR_REFUSAL_NOT_DEPLOYED_IN_SOURCE, "qa",
                         "QA now runs 1.5.0 instead of 1.4.0.", NULL);
}

static void
test_not_verified_in_source (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_ready_for_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;

  add_deployment (snapshot, "1.4.0", "qa", DR_DEPLOYMENT_SUCCEEDED, FALSE);
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");

  assert_single_refusal (refusals, DR_REFUSAL_NOT_VERIFIED_IN_SOURCE, "qa",
                         "1.4.0 is deployed in QA but not verified.", NULL);
}

static void
test_run_in_progress (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_ready_for_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GPtrArray) elsewhere = NULL;

  add_running_run (snapshot, 12, DR_RUN_KIND_ROLLBACK, "production", "Dan");
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");

  assert_single_refusal (refusals, DR_REFUSAL_RUN_IN_PROGRESS, "production",
                         "A rollback run of API Gateway is in progress in Production",
                         "run 12", "Dan", NULL);

  /* A run in another environment does not block this one. */
  add_build (snapshot, "1.5.0");
  elsewhere = dr_gate_evaluate (workspace, snapshot, identity, "1.5.0", "development");
  assert_no_refusal (elsewhere);
}

static void
test_role_missing (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_ready_for_production ();
  g_autoptr(DrIdentity) identity = dr_identity_new ("Carla", (const char *[]) { "qa", NULL });
  g_autoptr(GPtrArray) refusals = NULL;

  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");

  assert_single_refusal (refusals, DR_REFUSAL_ROLE_MISSING, "release-manager",
                         "Only a person with the role Release manager may promote to Production.",
                         NULL);
}

static void
test_checklist_item_missing (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_qa ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GPtrArray) wrong_role = NULL;

  add_signoff (snapshot, "1.4.0", "qa-tests-pass", "qa", FALSE);
  add_approval (snapshot, "1.4.0", "Bea", DR_DECISION_APPROVED, NULL);
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");

  assert_single_refusal (refusals, DR_REFUSAL_CHECKLIST_ITEM_MISSING, "performance-tests",
                         "“Performance tests completed” is not signed for 1.4.0.",
                         "A person with the role QA engineer must sign it.", NULL);

  /* A sign-off under another role than the item's does not count. */
  add_signoff (snapshot, "1.4.0", "performance-tests", "release-manager", FALSE);
  wrong_role = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");
  assert_single_refusal (wrong_role, DR_REFUSAL_CHECKLIST_ITEM_MISSING, "performance-tests",
                         "Performance tests completed", NULL);
}

static void
test_signoffs_bound_to_version (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_qa ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;
  const DrRefusal *first;
  const DrRefusal *second;

  /* Everything was signed for 1.3.0, but 1.4.0 starts with an empty checklist. */
  add_signoff (snapshot, "1.3.0", "qa-tests-pass", "qa", FALSE);
  add_signoff (snapshot, "1.3.0", "performance-tests", "qa", FALSE);
  add_approval (snapshot, "1.4.0", "Bea", DR_DECISION_APPROVED, NULL);
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");

  g_assert_cmpuint (refusals->len, ==, 2);
  first = g_ptr_array_index (refusals, 0);
  second = g_ptr_array_index (refusals, 1);
  g_assert_cmpint (first->reason, ==, DR_REFUSAL_CHECKLIST_ITEM_MISSING);
  g_assert_cmpstr (first->subject, ==, "qa-tests-pass");
  g_assert_cmpint (second->reason, ==, DR_REFUSAL_CHECKLIST_ITEM_MISSING);
  g_assert_cmpstr (second->subject, ==, "performance-tests");
}

static void
test_revocation_unsigns (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_ready_for_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) revoked = NULL;
  g_autoptr(GPtrArray) signed_again = NULL;

  add_signoff (snapshot, "1.4.0", "qa-tests-pass", "qa", TRUE);
  revoked = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");
  assert_single_refusal (revoked, DR_REFUSAL_CHECKLIST_ITEM_MISSING, "qa-tests-pass",
                         "All tests pass in the QA environment", NULL);

  add_signoff (snapshot, "1.4.0", "qa-tests-pass", "qa", FALSE);
  signed_again = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");
  assert_no_refusal (signed_again);
}

static void
test_approval_missing (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_qa ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GPtrArray) withdrawn = NULL;

  add_signoff (snapshot, "1.4.0", "qa-tests-pass", "qa", FALSE);
  add_signoff (snapshot, "1.4.0", "performance-tests", "qa", FALSE);
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");
  assert_single_refusal (refusals, DR_REFUSAL_APPROVAL_MISSING, "security",
                         "1.4.0 has no approval for Production",
                         "the role Security reviewer", NULL);

  /* An approval that was withdrawn counts as none. */
  add_approval (snapshot, "1.4.0", "Bea", DR_DECISION_APPROVED, NULL);
  add_approval (snapshot, "1.4.0", "Bea", DR_DECISION_WITHDRAWN, "Approved the wrong build");
  withdrawn = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");
  assert_single_refusal (withdrawn, DR_REFUSAL_APPROVAL_MISSING, "security",
                         "Security reviewer", NULL);
}

static void
test_approval_rejected (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_ready_for_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;

  add_approval (snapshot, "1.4.0", "Bea", DR_DECISION_REJECTED, "Uses a vulnerable TLS library");
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");

  assert_single_refusal (refusals, DR_REFUSAL_APPROVAL_REJECTED, "security",
                         "Bea (Security reviewer) rejected 1.4.0 for Production",
                         "“Uses a vulnerable TLS library”", NULL);
}

static void
test_approver_is_promoter (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_ready_for_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GPtrArray) allowed = NULL;

  /* Ana approved the build herself, and now promotes it. */
  add_approval (snapshot, "1.4.0", "Ana", DR_DECISION_APPROVED, NULL);
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");
  assert_single_refusal (refusals, DR_REFUSAL_APPROVER_IS_PROMOTER, "security",
                         "Ana approved 1.4.0 as Security reviewer", "Another person", NULL);

  allowed = dr_gate_evaluate (workspace_allowing_self_approval, snapshot, identity, "1.4.0",
                              "production");
  assert_no_refusal (allowed);
}

/* Names differing only in case and whitespace are one person for the four-eyes rule. */
static void
test_approver_spelled_differently (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_ready_for_production ();
  const char * const roles[] = { "release-manager", NULL };
  g_autoptr(DrIdentity) identity = dr_identity_new ("Ana Ruiz", roles);
  g_autoptr(GPtrArray) refusals = NULL;

  /* An approval stored before names were normalised keeps its two spaces. */
  add_approval (snapshot, "1.4.0", " ana  RUIZ ", DR_DECISION_APPROVED, NULL);
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");
  assert_single_refusal (refusals, DR_REFUSAL_APPROVER_IS_PROMOTER, "security",
                         "may not also promote it", NULL);
}

typedef struct
{
  const char *name;
  const char *normalized;   /* NULL when the name is invalid */
  const char *message;      /* part of the error message of an invalid name */
} NameCase;

static const NameCase name_cases[] = {
  { "Ana", "Ana", NULL },
  { "  Rita   Release ", "Rita Release", NULL },
  { "José\u00a0García", "José García", NULL },
  { "Eve\033[31mRED", NULL, "U+001B" },
  { "Eve\n67  Sam approved", NULL, "U+000A" },
  { "Rita\tRelease", NULL, "U+0009" },
  { "   ", NULL, "empty" },
  { "", NULL, "empty" },
};

static void
test_normalize_names (void)
{
  g_autofree char *longest = g_strnfill (DR_IDENTITY_NAME_MAX_CHARS, 'a');
  g_autofree char *too_long = g_strnfill (DR_IDENTITY_NAME_MAX_CHARS + 1, 'a');
  g_autofree char *kept = NULL;
  g_autofree char *rejected = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrIdentity) identity = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (name_cases); i++) {
    g_autoptr(GError) case_error = NULL;
    g_autofree char *normalized = dr_identity_normalize_name (name_cases[i].name, &case_error);

    g_assert_cmpstr (normalized, ==, name_cases[i].normalized);
    if (name_cases[i].normalized != NULL) {
      g_assert_no_error (case_error);
    } else {
      g_assert_error (case_error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (case_error->message, name_cases[i].message));
      /* The message shows the name with its control characters escaped. */
      g_assert_null (strchr (case_error->message, '\033'));
      g_assert_null (strchr (case_error->message, '\n'));
    }
  }

  kept = dr_identity_normalize_name (longest, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kept, ==, longest);
  rejected = dr_identity_normalize_name (too_long, &error);
  g_assert_null (rejected);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "101 characters"));

  identity = dr_identity_new ("  Rita   Release ", NULL);
  g_assert_cmpstr (identity->name, ==, "Rita Release");

  g_assert_true (dr_identity_name_equal ("Rita  Release", "rita release"));
  g_assert_false (dr_identity_name_equal ("Rita Release", "Rita Releases"));
}

static void
test_every_reason_reported (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_qa ();
  g_autoptr(DrIdentity) identity = dr_identity_new ("Carla", NULL);
  g_autoptr(GPtrArray) refusals = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  add_running_run (snapshot, 7, DR_RUN_KIND_VERIFY, "production", "Dan");
  refusals = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");

  g_assert_cmpuint (refusals->len, ==, 5);
  g_assert_cmpuint (count_reason (refusals, DR_REFUSAL_RUN_IN_PROGRESS), ==, 1);
  g_assert_cmpuint (count_reason (refusals, DR_REFUSAL_ROLE_MISSING), ==, 1);
  g_assert_cmpuint (count_reason (refusals, DR_REFUSAL_CHECKLIST_ITEM_MISSING), ==, 2);
  g_assert_cmpuint (count_reason (refusals, DR_REFUSAL_APPROVAL_MISSING), ==, 1);

  text = dr_refusals_to_string (refusals);
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  for (guint i = 0; i < refusals->len; i++)
    g_assert_cmpstr (lines[i], ==, ((DrRefusal *) g_ptr_array_index (refusals, i))->message);
}

/* Redeploy: the current build of an environment deployed there again. */

/* 1.4.0 promoted to Production with its checklist and approval, then 1.5.0 deployed and
 * verified in QA, so that QA has moved on. */
static DrServiceSnapshot *
new_snapshot_in_production (void)
{
  DrServiceSnapshot *snapshot = new_snapshot_ready_for_production ();

  add_deployment (snapshot, "1.4.0", "production", DR_DEPLOYMENT_SUCCEEDED, TRUE);
  add_build (snapshot, "1.5.0");
  add_deployment (snapshot, "1.5.0", "development", DR_DEPLOYMENT_SUCCEEDED, TRUE);
  add_deployment (snapshot, "1.5.0", "qa", DR_DEPLOYMENT_SUCCEEDED, TRUE);

  return snapshot;
}

static void
test_redeploy_passes (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GPtrArray) promotion = NULL;

  /* QA runs 1.5.0 now, which does not matter to a redeploy of 1.4.0 in Production. */
  refusals = dr_gate_evaluate_redeploy (workspace, snapshot, identity, "production");
  assert_no_refusal (refusals);

  /* The promotion gate still turns the same build away. */
  promotion = dr_gate_evaluate (workspace, snapshot, identity, "1.4.0", "production");
  assert_single_refusal (promotion, DR_REFUSAL_ALREADY_DEPLOYED, "production", NULL);
}

static void
test_redeploy_nothing_deployed (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot ("api-gateway");
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) empty = NULL;
  g_autoptr(GPtrArray) failed = NULL;
  g_autoptr(GPtrArray) rolled_back = NULL;

  add_build (snapshot, "1.4.0");
  empty = dr_gate_evaluate_redeploy (workspace, snapshot, identity, "qa");
  assert_single_refusal (empty, DR_REFUSAL_NOTHING_DEPLOYED, "qa",
                         "No build of API Gateway is deployed in QA",
                         "nothing to redeploy", "Promote a build to QA instead.", NULL);

  /* A failed deploy leaves nothing current either. */
  add_deployment (snapshot, "1.4.0", "qa", DR_DEPLOYMENT_FAILED, FALSE);
  failed = dr_gate_evaluate_redeploy (workspace, snapshot, identity, "qa");
  assert_single_refusal (failed, DR_REFUSAL_NOTHING_DEPLOYED, "qa", NULL);

  add_deployment (snapshot, "1.4.0", "qa", DR_DEPLOYMENT_ROLLED_BACK, TRUE);
  rolled_back = dr_gate_evaluate_redeploy (workspace, snapshot, identity, "qa");
  assert_single_refusal (rolled_back, DR_REFUSAL_NOTHING_DEPLOYED, "qa", NULL);
}

static void
test_redeploy_unknown_ids (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_production ();
  g_autoptr(DrServiceSnapshot) unknown = new_snapshot ("billing");
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) environment = NULL;
  g_autoptr(GPtrArray) service = NULL;

  environment = dr_gate_evaluate_redeploy (workspace, snapshot, identity, "staging");
  assert_single_refusal (environment, DR_REFUSAL_UNKNOWN_ENVIRONMENT, "staging",
                         "no environment “staging”", NULL);

  service = dr_gate_evaluate_redeploy (workspace, unknown, identity, "qa");
  assert_single_refusal (service, DR_REFUSAL_UNKNOWN_SERVICE, "billing", NULL);
}

static void
test_redeploy_run_in_progress (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GPtrArray) elsewhere = NULL;

  add_running_run (snapshot, 31, DR_RUN_KIND_VERIFY, "production", "Dan");
  refusals = dr_gate_evaluate_redeploy (workspace, snapshot, identity, "production");
  assert_single_refusal (refusals, DR_REFUSAL_RUN_IN_PROGRESS, "production",
                         "A verify run of API Gateway is in progress in Production",
                         "run 31", "Dan", NULL);

  elsewhere = dr_gate_evaluate_redeploy (workspace, snapshot, identity, "qa");
  assert_no_refusal (elsewhere);
}

static void
test_redeploy_role_missing (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_production ();
  g_autoptr(DrIdentity) identity = dr_identity_new ("Carla", (const char *[]) { "qa", NULL });
  g_autoptr(GPtrArray) refusals = NULL;

  refusals = dr_gate_evaluate_redeploy (workspace, snapshot, identity, "production");
  assert_single_refusal (refusals, DR_REFUSAL_ROLE_MISSING, "release-manager",
                         "Only a person with the role Release manager", NULL);
}

/* A sign-off revoked after the deploy closes the gate to the build that runs. */
static void
test_redeploy_item_revoked (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;

  add_signoff (snapshot, "1.4.0", "performance-tests", "qa", TRUE);
  refusals = dr_gate_evaluate_redeploy (workspace, snapshot, identity, "production");
  assert_single_refusal (refusals, DR_REFUSAL_CHECKLIST_ITEM_MISSING, "performance-tests",
                         "is not signed for 1.4.0", NULL);
}

static void
test_redeploy_approval_withdrawn (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) withdrawn = NULL;
  g_autoptr(GPtrArray) rejected = NULL;

  add_approval (snapshot, "1.4.0", "Bea", DR_DECISION_WITHDRAWN, NULL);
  withdrawn = dr_gate_evaluate_redeploy (workspace, snapshot, identity, "production");
  assert_single_refusal (withdrawn, DR_REFUSAL_APPROVAL_MISSING, "security",
                         "1.4.0 has no approval for Production", NULL);

  add_approval (snapshot, "1.4.0", "Bea", DR_DECISION_REJECTED, "A CVE in the TLS library");
  rejected = dr_gate_evaluate_redeploy (workspace, snapshot, identity, "production");
  assert_single_refusal (rejected, DR_REFUSAL_APPROVAL_REJECTED, "security",
                         "Bea (Security reviewer) rejected 1.4.0 for Production",
                         "“A CVE in the TLS library”", NULL);
}

/* The person who approved the build may not also redeploy it, unless the workspace allows it. */
static void
test_redeploy_approver_is_promoter (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot_in_production ();
  g_autoptr(DrIdentity) identity = new_release_manager ();
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GPtrArray) allowed = NULL;

  add_approval (snapshot, "1.4.0", "Ana", DR_DECISION_APPROVED, NULL);
  refusals = dr_gate_evaluate_redeploy (workspace, snapshot, identity, "production");
  assert_single_refusal (refusals, DR_REFUSAL_APPROVER_IS_PROMOTER, "security",
                         "Ana approved 1.4.0 as Security reviewer", NULL);

  allowed = dr_gate_evaluate_redeploy (workspace_allowing_self_approval, snapshot, identity,
                                       "production");
  assert_no_refusal (allowed);
}

int
main (int   argc,
      char *argv[])
{
  int result;

  g_test_init (&argc, &argv, NULL);
  load_workspaces ();

  g_test_add_func ("/gates/unknown-service", test_unknown_service);
  g_test_add_func ("/gates/unknown-environment", test_unknown_environment);
  g_test_add_func ("/gates/unknown-build", test_unknown_build);
  g_test_add_func ("/gates/new-build-enters-first", test_new_build_enters_first);
  g_test_add_func ("/gates/production-passes", test_production_passes);
  g_test_add_func ("/gates/skipping-environment", test_skipping_environment);
  g_test_add_func ("/gates/new-build-skips-first", test_new_build_skips_first);
  g_test_add_func ("/gates/already-deployed", test_already_deployed);
  g_test_add_func ("/gates/going-backwards", test_going_backwards);
  g_test_add_func ("/gates/not-deployed-in-source", test_not_deployed_in_source);
  g_test_add_func ("/gates/replaced-in-source", test_replaced_in_source);
  g_test_add_func ("/gates/not-verified-in-source", test_not_verified_in_source);
  g_test_add_func ("/gates/run-in-progress", test_run_in_progress);
  g_test_add_func ("/gates/role-missing", test_role_missing);
  g_test_add_func ("/gates/checklist-item-missing", test_checklist_item_missing);
  g_test_add_func ("/gates/signoffs-bound-to-version", test_signoffs_bound_to_version);
  g_test_add_func ("/gates/revocation-unsigns", test_revocation_unsigns);
  g_test_add_func ("/gates/approval-missing", test_approval_missing);
  g_test_add_func ("/gates/approval-rejected", test_approval_rejected);
  g_test_add_func ("/gates/approver-is-promoter", test_approver_is_promoter);
  g_test_add_func ("/gates/every-reason-reported", test_every_reason_reported);
  g_test_add_func ("/gates/approver-spelled-differently", test_approver_spelled_differently);
  g_test_add_func ("/gates/normalize-names", test_normalize_names);
  g_test_add_func ("/gates/redeploy/passes", test_redeploy_passes);
  g_test_add_func ("/gates/redeploy/nothing-deployed", test_redeploy_nothing_deployed);
  g_test_add_func ("/gates/redeploy/unknown-ids", test_redeploy_unknown_ids);
  g_test_add_func ("/gates/redeploy/run-in-progress", test_redeploy_run_in_progress);
  g_test_add_func ("/gates/redeploy/role-missing", test_redeploy_role_missing);
  g_test_add_func ("/gates/redeploy/item-revoked", test_redeploy_item_revoked);
  g_test_add_func ("/gates/redeploy/approval-withdrawn", test_redeploy_approval_withdrawn);
  g_test_add_func ("/gates/redeploy/approver-is-promoter", test_redeploy_approver_is_promoter);

  result = g_test_run ();

  g_clear_object (&workspace);
  g_clear_object (&workspace_allowing_self_approval);

  return result;
}
