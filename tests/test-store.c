/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "dr-sqlite-store.h"
#include "dr-store.h"

/* The crash test starts this binary again with this flag to play the process that dies. */
#define CRASH_CHILD_FLAG "--crash-child"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct
{
  char    *dir;
  char    *path;
  DrStore *store;
} Fixture;

/* Helpers. */

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  }

  g_rmdir (path);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("dr-store-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "store.sqlite3", NULL);
  fixture->store = dr_sqlite_store_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->store);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->store);
  remove_tree (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static sqlite3 *
open_raw (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static void
exec_raw (sqlite3    *db,
          const char *sql)
{
  char *message = NULL;
  int result = sqlite3_exec (db, sql, NULL, NULL, &message);

  if (result != SQLITE_OK)
    g_error ("“%s” failed: %s", sql, message);
}

/* Runs @sql and returns the error message, or NULL when it succeeded. */
static char *
exec_raw_expecting_failure (sqlite3    *db,
                            const char *sql)
{
  char *message = NULL;
  g_autofree char *copy = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) == SQLITE_OK)
    return NULL;

  copy = g_strdup (message);
  sqlite3_free (message);
  return g_steal_pointer (&copy);
}

static char *
query_raw_text (sqlite3    *db,
                const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);

  return text;
}

static gint64
query_raw_int (sqlite3    *db,
               const char *sql)
{
  g_autofree char *text = query_raw_text (db, sql);

  g_assert_nonnull (text);
  return g_ascii_strtoll (text, NULL, 10);
}

static DrBuild *
make_build (const char *service,
            const char *version)
{
  DrBuild *build = g_new0 (DrBuild, 1);

  build->service = g_strdup (service);
  build->version = g_strdup (version);
  build->commit = g_strdup ("4f2a9c1");
  build->image = g_strdup_printf ("dynamo/%s:%s", service, version);
  build->source = g_strdup ("package.json");
  build->recorded_by = g_strdup ("Ana");
  build->recorded_at = 1700000000000000;

  return build;
}

static void
insert_build (DrStore    *store,
              const char *service,
              const char *version)
{
  g_autoptr(DrBuild) build = make_build (service, version);
  g_autoptr(GError) error = NULL;

  dr_store_insert_build (store, build, &error);
  g_assert_no_error (error);
}

static DrRunStepRecord *
make_step (guint        index,
           const char  *name,
           DrStepState  state)
{
  DrRunStepRecord *step = g_new0 (DrRunStepRecord, 1);

  step->index = index;
  step->name = g_strdup (name);
  step->command = g_strdup_printf ("echo %s", name);
  step->state = state;
  step->exit_status = -1;

  return step;
}

static DrRunRecord *
make_run (DrRunKind   kind,
          const char *service,
          const char *version,
          const char *environment,
          const char *person)
{
  DrRunRecord *run = g_new0 (DrRunRecord, 1);

  run->kind = kind;
  run->service = g_strdup (service);
  run->version = g_strdup (version);
  run->environment = g_strdup (environment);
  run->state = DR_RUN_STATE_RUNNING;
  run->person = g_strdup (person);
  run->started_at = g_get_real_time ();
  run->log_path = g_strdup ("/tmp/run.log");
  run->owner = dr_process_owner_for_self ();
  run->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_run_step_record_free);
  g_ptr_array_add (run->steps, make_step (0, "build", DR_STEP_STATE_PENDING));
  g_ptr_array_add (run->steps, make_step (1, "deploy", DR_STEP_STATE_PENDING));

  return run;
}

static DrDeployment *
make_deployment (const char        *version,
                 const char        *environment,
                 DrDeploymentState  state,
                 gint64             started_at)
{
  DrDeployment *deployment = g_new0 (DrDeployment, 1);

  deployment->service = g_strdup ("api-gateway");
  deployment->version = g_strdup (version);
  deployment->environment = g_strdup (environment);
  deployment->state = state;
  deployment->person = g_strdup ("Ana");
  deployment->started_at = started_at;
  deployment->finished_at = state == DR_DEPLOYMENT_IN_PROGRESS ? 0 : started_at + 1000;

  return deployment;
}

static DrSignoff *
make_signoff (const char *version,
              const char *item,
              gint64      at,
              gboolean    revoked)
{
  DrSignoff *signoff = g_new0 (DrSignoff, 1);

  signoff->service = g_strdup ("api-gateway");
  signoff->version = g_strdup (version);
  signoff->checklist = g_strdup ("pre-production");
  signoff->item = g_strdup (item);
  signoff->person = g_strdup ("Carla");
  signoff->role = g_strdup ("qa");
  signoff->at = at;
  signoff->comment = g_strdup ("Looks good");
  signoff->revoked = revoked;

  return signoff;
}

static DrApproval *
make_approval (const char *version,
               DrDecision  decision,
               gint64      at)
{
  DrApproval *approval = g_new0 (DrApproval, 1);

  approval->service = g_strdup ("api-gateway");
  approval->version = g_strdup (version);
  approval->environment = g_strdup ("production");
  approval->role = g_strdup ("security");
  approval->person = g_strdup ("Bea");
  approval->decision = decision;
  approval->comment = g_strdup ("Reviewed");
  approval->at = at;

  return approval;
}

/* Records and enums. */

static void
test_enum_strings (void)
{
  static const char * const deployment_states[] = {
    "in-progress", "succeeded", "failed", "rolled-back",
  };
  static const char * const run_kinds[] = { "deploy", "verify", "check", "rollback" };
  static const char * const run_states[] = {
    "running", "succeeded", "failed", "cancelled", "interrupted",
  };
  static const char * const step_states[] = {
    "pending", "running", "succeeded", "failed", "timed-out", "cancelled", "skipped",
    "interrupted",
  };
  static const char * const decisions[] = { "approved", "rejected", "withdrawn" };
  DrDeploymentState deployment_state;
  DrRunKind kind;
  DrRunState run_state;
  DrStepState step_state;
  DrDecision decision;

  for (guint i = 0; i < G_N_ELEMENTS (deployment_states); i++) {
    g_assert_cmpstr (dr_deployment_state_to_string (i), ==, deployment_states[i]);
    g_assert_true (dr_deployment_state_from_string (deployment_states[i], &deployment_state));
    g_assert_cmpint (deployment_state, ==, i);
  }
  for (guint i = 0; i < G_N_ELEMENTS (run_kinds); i++) {
    g_assert_cmpstr (dr_run_kind_to_string (i), ==, run_kinds[i]);
    g_assert_true (dr_run_kind_from_string (run_kinds[i], &kind));
    g_assert_cmpint (kind, ==, i);
  }
  for (guint i = 0; i < G_N_ELEMENTS (run_states); i++) {
    g_assert_cmpstr (dr_run_state_to_string (i), ==, run_states[i]);
    g_assert_true (dr_run_state_from_string (run_states[i], &run_state));
    g_assert_cmpint (run_state, ==, i);
  }
  for (guint i = 0; i < G_N_ELEMENTS (step_states); i++) {
    g_assert_cmpstr (dr_step_state_to_string (i), ==, step_states[i]);
    g_assert_true (dr_step_state_from_string (step_states[i], &step_state));
    g_assert_cmpint (step_state, ==, i);
  }
  for (guint i = 0; i < G_N_ELEMENTS (decisions); i++) {
    g_assert_cmpstr (dr_decision_to_string (i), ==, decisions[i]);
    g_assert_true (dr_decision_from_string (decisions[i], &decision));
    g_assert_cmpint (decision, ==, i);
  }

  g_assert_false (dr_run_state_from_string ("Running", &run_state));
  g_assert_false (dr_step_state_from_string ("", &step_state));
  g_assert_false (dr_decision_from_string (NULL, &decision));
  g_assert_null (dr_run_kind_to_string (42));
}

static void
test_identity_roles (void)
{
  const char * const roles[] = { "qa", "security", NULL };
  g_autoptr(DrIdentity) identity = dr_identity_new ("Bea", roles);
  g_autoptr(DrIdentity) copy = dr_identity_copy (identity);
  g_autoptr(DrIdentity) nobody = dr_identity_new ("Dan", NULL);

  g_assert_true (dr_identity_has_role (identity, "qa"));
  g_assert_true (dr_identity_has_role (copy, "security"));
  g_assert_false (dr_identity_has_role (copy, "release-manager"));
  g_assert_cmpstr (copy->name, ==, "Bea");
  g_assert_false (dr_identity_has_role (nobody, "qa"));
}

static void
test_record_copies (void)
{
  g_autoptr(DrRunRecord) run = make_run (DR_RUN_KIND_CHECK, "api-gateway", "1.4.0", "qa",
                                         "Carla");
  g_autoptr(DrRunRecord) run_copy = NULL;
  g_autoptr(DrSignoff) signoff = make_signoff ("1.4.0", "qa-tests-pass", 5, TRUE);
  g_autoptr(DrSignoff) signoff_copy = dr_signoff_copy (signoff);
  g_autoptr(DrApproval) approval = make_approval ("1.4.0", DR_DECISION_REJECTED, 7);
  g_autoptr(DrApproval) approval_copy = dr_approval_copy (approval);

  run->checklist = g_strdup ("pre-production");
  run->item = g_strdup ("qa-tests-pass");
  run_copy = dr_run_record_copy (run);

  g_assert_true (run_copy->steps != run->steps);
  g_assert_cmpuint (run_copy->steps->len, ==, 2);
  g_assert_cmpstr (((DrRunStepRecord *) g_ptr_array_index (run_copy->steps, 1))->name, ==,
                   "deploy");
  g_assert_cmpstr (run_copy->item, ==, "qa-tests-pass");
  g_assert_cmpstr (run_copy->owner, ==, run->owner);
  g_assert_true (signoff_copy->revoked);
  g_assert_cmpstr (signoff_copy->comment, ==, "Looks good");
  g_assert_cmpint (approval_copy->decision, ==, DR_DECISION_REJECTED);
  g_assert_cmpint (approval_copy->at, ==, 7);
}

/* Each field of an audit event, and the link to the event before, goes into the hash. */
static void
test_audit_hash_fields (void)
{
  DrAuditEvent event = {
    .seq = 3, .at = 1700000000000000, .person = "Ana", .action = "signed",
    .service = "api-gateway", .version = "1.4.0", .environment = "qa",
    .detail = "{\"item\":\"qa-tests-pass\"}",
  };
  DrAuditEvent changed;
  g_autofree char *hash = dr_audit_event_compute_hash (&event, ZERO_HASH);
  g_autofree char *again = dr_audit_event_compute_hash (&event, ZERO_HASH);
  char **string_fields[] = {
    &changed.person, &changed.action, &changed.service, &changed.version,
    &changed.environment, &changed.detail,
  };

  g_assert_cmpuint (strlen (hash), ==, 64);
  g_assert_cmpstr (hash, ==, again);

  for (guint i = 0; i < G_N_ELEMENTS (string_fields); i++) {
    g_autofree char *other = NULL;

    changed = event;
    *string_fields[i] = "something else";
    other = dr_audit_event_compute_hash (&changed, ZERO_HASH);
    g_assert_cmpstr (other, !=, hash);
  }

  {
    g_autofree char *other_seq = NULL;
    g_autofree char *other_at = NULL;
    g_autofree char *other_link = NULL;
    g_autofree char *null_field = NULL;
    g_autofree char *empty_field = NULL;
    g_autofree char *split_one = NULL;
    g_autofree char *split_two = NULL;

    changed = event;
    changed.seq = 4;
    other_seq = dr_audit_event_compute_hash (&changed, ZERO_HASH);
    g_assert_cmpstr (other_seq, !=, hash);

    changed = event;
    changed.at++;
    other_at = dr_audit_event_compute_hash (&changed, ZERO_HASH);
    g_assert_cmpstr (other_at, !=, hash);

    other_link = dr_audit_event_compute_hash (&event, hash);
    g_assert_cmpstr (other_link, !=, hash);

    /* NULL and "" differ, and moving the boundary between two fields changes the hash. */
    changed = event;
    changed.environment = NULL;
    null_field = dr_audit_event_compute_hash (&changed, ZERO_HASH);
    changed.environment = "";
    empty_field = dr_audit_event_compute_hash (&changed, ZERO_HASH);
    g_assert_cmpstr (null_field, !=, empty_field);

    changed = event;
    changed.service = "api-gateway1";
    changed.version = ".4.0";
    split_one = dr_audit_event_compute_hash (&changed, ZERO_HASH);
    changed.service = "api-gateway";
    changed.version = "1.4.0";
    split_two = dr_audit_event_compute_hash (&changed, ZERO_HASH);
    g_assert_cmpstr (split_one, !=, split_two);
  }
}

/* Snapshot queries on hand-made records. */

static DrServiceSnapshot *
new_snapshot (void)
{
  DrServiceSnapshot *snapshot = g_new0 (DrServiceSnapshot, 1);

  snapshot->service = g_strdup ("api-gateway");
  snapshot->builds = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_build_free);
  snapshot->deployments = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_deployment_free);
  snapshot->active_runs = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_run_record_free);
  snapshot->signoffs = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_signoff_free);
  snapshot->approvals = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_approval_free);

  return snapshot;
}

static void
add_deployment (DrServiceSnapshot *snapshot,
                gint64             id,
                const char        *version,
                const char        *environment,
                DrDeploymentState  state,
                gint64             started_at)
{
  DrDeployment *deployment = make_deployment (version, environment, state, started_at);

  deployment->id = id;
  g_ptr_array_add (snapshot->deployments, deployment);
}

static void
test_snapshot_current_and_previous (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot ();
  const DrDeployment *deployment;

  g_assert_null (dr_service_snapshot_get_current (snapshot, "qa"));
  g_assert_null (dr_service_snapshot_get_previous (snapshot, "qa"));

  /* Out of order on purpose: the queries compare times, not array positions. */
  add_deployment (snapshot, 4, "1.4.0", "qa", DR_DEPLOYMENT_FAILED, 400);
  add_deployment (snapshot, 1, "1.2.0", "qa", DR_DEPLOYMENT_SUCCEEDED, 100);
  add_deployment (snapshot, 3, "1.3.0", "qa", DR_DEPLOYMENT_SUCCEEDED, 300);
  add_deployment (snapshot, 2, "1.3.0", "qa", DR_DEPLOYMENT_SUCCEEDED, 200);
  add_deployment (snapshot, 5, "1.5.0", "development", DR_DEPLOYMENT_SUCCEEDED, 500);

  deployment = dr_service_snapshot_get_current (snapshot, "qa");
  g_assert_nonnull (deployment);
  g_assert_cmpint (deployment->id, ==, 3);

  /* The redeploy of 1.3.0 at 200 has the same version, so 1.2.0 is what a rollback restores. */
  deployment = dr_service_snapshot_get_previous (snapshot, "qa");
  g_assert_nonnull (deployment);
  g_assert_cmpint (deployment->id, ==, 1);

  deployment = dr_service_snapshot_find_deployment (snapshot, "1.4.0", "qa");
  g_assert_nonnull (deployment);
  g_assert_cmpint (deployment->state, ==, DR_DEPLOYMENT_FAILED);
  g_assert_null (dr_service_snapshot_find_deployment (snapshot, "1.4.0", "production"));

  deployment = dr_service_snapshot_get_current (snapshot, "development");
  g_assert_cmpstr (deployment->version, ==, "1.5.0");
  g_assert_null (dr_service_snapshot_get_previous (snapshot, "development"));

  /* After a rollback of 1.3.0, the older 1.2.0 runs again. */
  ((DrDeployment *) g_ptr_array_index (snapshot->deployments, 2))->state =
    DR_DEPLOYMENT_ROLLED_BACK;
  ((DrDeployment *) g_ptr_array_index (snapshot->deployments, 3))->state =
    DR_DEPLOYMENT_ROLLED_BACK;
  deployment = dr_service_snapshot_get_current (snapshot, "qa");
  g_assert_cmpstr (deployment->version, ==, "1.2.0");
  g_assert_null (dr_service_snapshot_get_previous (snapshot, "qa"));
}

static void
test_snapshot_signoffs_and_approvals (void)
{
  g_autoptr(DrServiceSnapshot) snapshot = new_snapshot ();
  DrSignoff *signoff;
  DrApproval *approval;
  const DrSignoff *found;
  const DrApproval *decision;

  signoff = make_signoff ("1.4.0", "qa-tests-pass", 100, FALSE);
  signoff->id = 1;
  g_ptr_array_add (snapshot->signoffs, signoff);

  found = dr_service_snapshot_get_signoff (snapshot, "1.4.0", "pre-production", "qa-tests-pass");
  g_assert_true (found == signoff);
  g_assert_null (dr_service_snapshot_get_signoff (snapshot, "1.3.0", "pre-production",
                                                  "qa-tests-pass"));
  g_assert_null (dr_service_snapshot_get_signoff (snapshot, "1.4.0", "pre-production",
                                                  "performance-tests"));

  signoff = make_signoff ("1.4.0", "qa-tests-pass", 200, TRUE);
  signoff->id = 2;
  g_ptr_array_add (snapshot->signoffs, signoff);
  g_assert_null (dr_service_snapshot_get_signoff (snapshot, "1.4.0", "pre-production",
                                                  "qa-tests-pass"));

  signoff = make_signoff ("1.4.0", "qa-tests-pass", 300, FALSE);
  signoff->id = 3;
  g_ptr_array_add (snapshot->signoffs, signoff);
  found = dr_service_snapshot_get_signoff (snapshot, "1.4.0", "pre-production", "qa-tests-pass");
  g_assert_nonnull (found);
  g_assert_cmpint (found->id, ==, 3);

  g_assert_null (dr_service_snapshot_get_approval (snapshot, "1.4.0", "production", "security"));

  approval = make_approval ("1.4.0", DR_DECISION_REJECTED, 100);
  approval->id = 1;
  g_ptr_array_add (snapshot->approvals, approval);
  decision = dr_service_snapshot_get_approval (snapshot, "1.4.0", "production", "security");
  g_assert_nonnull (decision);
  g_assert_cmpint (decision->decision, ==, DR_DECISION_REJECTED);

  approval = make_approval ("1.4.0", DR_DECISION_APPROVED, 200);
  approval->id = 2;
  g_ptr_array_add (snapshot->approvals, approval);
  decision = dr_service_snapshot_get_approval (snapshot, "1.4.0", "production", "security");
  g_assert_cmpint (decision->decision, ==, DR_DECISION_APPROVED);
  g_assert_null (dr_service_snapshot_get_approval (snapshot, "1.4.0", "qa", "security"));

  approval = make_approval ("1.4.0", DR_DECISION_WITHDRAWN, 300);
  approval->id = 3;
  g_ptr_array_add (snapshot->approvals, approval);
  g_assert_null (dr_service_snapshot_get_approval (snapshot, "1.4.0", "production", "security"));
}

/* Opening and schema. */

static void
test_open_creates_folder (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("dr-store-XXXXXX", &error);
  g_autofree char *folder = g_build_filename (dir, "nested", "dynamo-release", NULL);
  g_autofree char *path = g_build_filename (folder, "store.sqlite3", NULL);
  g_autoptr(DrStore) store = NULL;
  g_autofree char *journal_mode = NULL;
  g_autofree char *migrated_by = NULL;
  GStatBuf info;
  sqlite3 *db;

  g_assert_no_error (error);

  store = dr_sqlite_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dr_sqlite_store_get_path (DR_SQLITE_STORE (store)), ==, path);
  g_assert_cmpint (dr_sqlite_store_get_schema_version (DR_SQLITE_STORE (store)), ==, 1);

  g_assert_cmpint (g_stat (folder, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0700);

  db = open_raw (path);
  journal_mode = query_raw_text (db, "PRAGMA journal_mode");
  g_assert_cmpstr (journal_mode, ==, "wal");
  g_assert_cmpint (query_raw_int (db, "PRAGMA user_version"), ==, 1);
  migrated_by = query_raw_text (db, "SELECT value FROM store_info WHERE key = 'migrated-by'");
  g_assert_cmpstr (migrated_by, ==, PACKAGE_VERSION);
  sqlite3_close (db);

  g_clear_object (&store);
  remove_tree (dir);
}

/* A file that is not a Dynamo Release store stays as it was: another program's database, an
 * empty file that a command only reads, and a folder. */
static void
test_open_leaves_other_files (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("dr-store-XXXXXX", &error);
  g_autofree char *other = g_build_filename (dir, "other.sqlite3", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.sqlite3", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gsize before_length = 0, after_length = 0;
  g_autoptr(DrStore) store = NULL;
  sqlite3 *db = NULL;

  g_assert_no_error (error);

  g_assert_cmpint (sqlite3_open (other, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE notes (text TEXT); "
                                     "INSERT INTO notes VALUES ('keep me')", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_true (g_file_get_contents (other, &before, &before_length, NULL));

  store = dr_sqlite_store_open_full (other, DR_SQLITE_STORE_OPEN_CREATE_FILE, &error);
  g_assert_null (store);
  g_assert_error (error, DR_STORE_ERROR, DR_STORE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, other));
  g_assert_nonnull (strstr (error->message, "Nothing in it was changed"));
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (other, &after, &after_length, NULL));
  g_assert_cmpmem (after, after_length, before, before_length);

  /* An empty file: a command that only reads leaves it empty, one that records makes a store. */
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  store = dr_sqlite_store_open_full (empty, DR_SQLITE_STORE_OPEN_EXISTING, &error);
  g_assert_null (store);
  g_assert_error (error, DR_STORE_ERROR, DR_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&after, g_free);
  g_assert_true (g_file_get_contents (empty, &after, &after_length, NULL));
  g_assert_cmpuint (after_length, ==, 0);
  store = dr_sqlite_store_open_full (empty, DR_SQLITE_STORE_OPEN_CREATE_FILE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  g_clear_object (&store);

  store = dr_sqlite_store_open_full (dir, DR_SQLITE_STORE_OPEN_CREATE_FILE, &error);
  g_assert_null (store);
  g_assert_error (error, DR_STORE_ERROR, DR_STORE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "is a folder"));
  remove_tree (dir);
}

/* Without the create flags, a missing folder or file is reported and nothing is created. A
 * file that is not a database is reported and left as it was. */
static void
test_open_existing_only (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("dr-store-XXXXXX", &error);
  g_autofree char *folder = g_build_filename (dir, "nested", NULL);
  g_autofree char *in_folder = g_build_filename (folder, "store.sqlite3", NULL);
  g_autofree char *path = g_build_filename (dir, "store.sqlite3", NULL);
  g_autofree char *notes = g_build_filename (dir, "notes.sqlite3", NULL);
  g_autofree char *after = NULL;
  const char *notes_text = "not a database\n";
  g_autoptr(DrStore) missing_folder = NULL;
  g_autoptr(DrStore) missing_file = NULL;
  g_autoptr(DrStore) created = NULL;
  g_autoptr(DrStore) reopened = NULL;
  g_autoptr(DrStore) corrupt = NULL;

  g_assert_no_error (error);

  missing_folder = dr_sqlite_store_open_full (in_folder, DR_SQLITE_STORE_OPEN_CREATE_FILE,
                                              &error);
  g_assert_null (missing_folder);
  g_assert_error (error, DR_STORE_ERROR, DR_STORE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, folder));
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  missing_file = dr_sqlite_store_open_full (path, DR_SQLITE_STORE_OPEN_EXISTING, &error);
  g_assert_null (missing_file);
  g_assert_error (error, DR_STORE_ERROR, DR_STORE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  created = dr_sqlite_store_open_full (path, DR_SQLITE_STORE_OPEN_CREATE_FILE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (created);
  g_clear_object (&created);
  reopened = dr_sqlite_store_open_full (path, DR_SQLITE_STORE_OPEN_EXISTING, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reopened);
  g_clear_object (&reopened);

  g_assert_true (g_file_set_contents (notes, notes_text, -1, NULL));
  corrupt = dr_sqlite_store_open_full (notes, DR_SQLITE_STORE_OPEN_EXISTING, &error);
  g_assert_null (corrupt);
  g_assert_error (error, DR_STORE_ERROR, DR_STORE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "is not a Dynamo Release store, or it is damaged"));
  g_assert_nonnull (strstr (error->message, "Move the file away"));
  g_assert_true (g_file_get_contents (notes, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, notes_text);

  remove_tree (dir);
}

static void
test_default_path (void)
{
  g_autofree char *path = dr_sqlite_store_default_path ();
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "dynamo-release",
                                                "store.sqlite3", NULL);

  g_assert_cmpstr (path, ==, expected);
}

static void
test_migrate_from_version_zero (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "empty.sqlite3", NULL);
  g_autoptr(DrStore) store = NULL;
  g_autoptr(GError) error = NULL;
  const char *tables[] = {
    "builds", "deployments", "runs", "run_steps", "signoffs", "approvals", "audit",
  };
  sqlite3 *db;

  /* A hand-made file: valid SQLite, no tables, user_version 0. */
  db = open_raw (path);
  exec_raw (db, "PRAGMA user_version = 0");
  exec_raw (db, "VACUUM");
  g_assert_cmpint (query_raw_int (db, "SELECT count(*) FROM sqlite_master"), ==, 0);
  sqlite3_close (db);

  store = dr_sqlite_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_sqlite_store_get_schema_version (DR_SQLITE_STORE (store)), ==, 1);
  insert_build (store, "api-gateway", "1.4.0");

  db = open_raw (path);
  g_assert_cmpint (query_raw_int (db, "PRAGMA user_version"), ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++) {
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM sqlite_master "
                                            "WHERE type = 'table' AND name = '%s'", tables[i]);

    g_assert_cmpint (query_raw_int (db, sql), ==, 1);
  }
  sqlite3_close (db);

  /* Opening again migrates nothing and keeps the data. */
  g_clear_object (&store);
  store = dr_sqlite_store_open (path, &error);
  g_assert_no_error (error);
  {
    g_autoptr(DrBuild) build = dr_store_find_build (store, "api-gateway", "1.4.0", &error);

    g_assert_no_error (error);
    g_assert_nonnull (build);
  }
}

static void
test_refuse_newer_schema (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "newer.sqlite3", NULL);
  g_autofree char *named_path = g_build_filename (fixture->dir, "named.sqlite3", NULL);
  g_autofree char *wal_path = g_strconcat (path, "-wal", NULL);
  g_autoptr(DrStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *journal_mode = NULL;
  sqlite3 *db;

  db = open_raw (path);
  exec_raw (db, "CREATE TABLE future (x); PRAGMA user_version = 99");
  sqlite3_close (db);

  store = dr_sqlite_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, DR_STORE_ERROR, DR_STORE_ERROR_TOO_NEW);
  g_assert_nonnull (strstr (error->message, "schema version 99"));
  g_assert_nonnull (strstr (error->message, "up to 1"));
  g_assert_nonnull (strstr (error->message, "Update Dynamo Release"));
  g_clear_error (&error);

  /* The file is left exactly as it was: same version, no switch to WAL. */
  db = open_raw (path);
  g_assert_cmpint (query_raw_int (db, "PRAGMA user_version"), ==, 99);
  journal_mode = query_raw_text (db, "PRAGMA journal_mode");
  g_assert_cmpstr (journal_mode, ==, "delete");
  sqlite3_close (db);
  g_assert_false (g_file_test (wal_path, G_FILE_TEST_EXISTS));

  /* A file that records the release that wrote it names that release. */
  db = open_raw (named_path);
  exec_raw (db, "CREATE TABLE store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                "INSERT INTO store_info VALUES ('migrated-by', '7.2.0');"
                "PRAGMA user_version = 5");
  sqlite3_close (db);

  store = dr_sqlite_store_open (named_path, &error);
  g_assert_null (store);
  g_assert_error (error, DR_STORE_ERROR, DR_STORE_ERROR_TOO_NEW);
  g_assert_nonnull (strstr (error->message, "Update Dynamo Release to 7.2.0 or newer"));
}

static void
test_refuse_not_a_database (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "notes.txt", NULL);
  g_autoptr(DrStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = g_strnfill (4096, 'x');

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);

  store = dr_sqlite_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, DR_STORE_ERROR, DR_STORE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, path));
}

/* Round trips. */

static void
test_build_round_trip (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(DrBuild) build = make_build ("api-gateway", "1.4.0");
  g_autoptr(DrBuild) newer = make_build ("api-gateway", "1.5.0");
  g_autoptr(DrBuild) other = make_build ("auth-service", "2.0.0");
  g_autoptr(DrBuild) found = NULL;
  g_autoptr(GPtrArray) builds = NULL;
  g_autoptr(GError) error = NULL;

  build->commit = (g_free (build->commit), NULL);
  newer->recorded_at = build->recorded_at + 10;

  g_assert_true (dr_store_insert_build (fixture->store, build, &error));
  g_assert_no_error (error);
  g_assert_cmpint (build->id, >, 0);
  g_assert_true (dr_store_insert_build (fixture->store, newer, &error));
  g_assert_true (dr_store_insert_build (fixture->store, other, &error));
  g_assert_no_error (error);

  found = dr_store_find_build (fixture->store, "api-gateway", "1.4.0", &error);
  g_assert_no_error (error);
  g_assert_nonnull (found);
  g_assert_cmpint (found->id, ==, build->id);
  g_assert_cmpstr (found->service, ==, "api-gateway");
  g_assert_cmpstr (found->version, ==, "1.4.0");
  g_assert_null (found->commit);
  g_assert_cmpstr (found->image, ==, "dynamo/api-gateway:1.4.0");
  g_assert_cmpstr (found->source, ==, "package.json");
  g_assert_cmpstr (found->recorded_by, ==, "Ana");
  g_assert_cmpint (found->recorded_at, ==, 1700000000000000);

  g_clear_pointer (&found, dr_build_free);
  found = dr_store_find_build (fixture->store, "api-gateway", "9.9.9", &error);
  g_assert_no_error (error);
  g_assert_null (found);

  builds = dr_store_list_builds (fixture->store, "api-gateway", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (builds->len, ==, 2);
  g_assert_cmpstr (((DrBuild *) g_ptr_array_index (builds, 0))->version, ==, "1.5.0");
  g_assert_cmpstr (((DrBuild *) g_ptr_array_index (builds, 1))->version, ==, "1.4.0");

  g_clear_pointer (&builds, g_ptr_array_unref);
  builds = dr_store_list_builds (fixture->store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (builds->len, ==, 3);
}

static void
test_build_unique (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(DrBuild) first = make_build ("api-gateway", "1.4.0");
  g_autoptr(DrBuild) again = make_build ("api-gateway", "1.4.0");
  g_autoptr(DrBuild) other_service = make_build ("auth-service", "1.4.0");
  g_autoptr(GPtrArray) builds = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (dr_store_insert_build (fixture->store, first, &error));
  g_assert_no_error (error);

  g_assert_false (dr_store_insert_build (fixture->store, again, &error));
  g_assert_error (error, DR_STORE_ERROR, DR_STORE_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "Could not record build api-gateway 1.4.0"));
  g_assert_nonnull (strstr (error->message, "UNIQUE constraint failed"));
  g_clear_error (&error);

  g_assert_true (dr_store_insert_build (fixture->store, other_service, &error));
  g_assert_no_error (error);

  builds = dr_store_list_builds (fixture->store, NULL, &error);
  g_assert_cmpuint (builds->len, ==, 2);
}

static void
test_deployment_round_trip (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(DrDeployment) deployment = make_deployment ("1.4.0", "qa",
                                                        DR_DEPLOYMENT_IN_PROGRESS, 100);
  g_autoptr(DrDeployment) missing = make_deployment ("1.4.0", "qa", DR_DEPLOYMENT_FAILED, 1);
  g_autoptr(DrRunRecord) run = make_run (DR_RUN_KIND_DEPLOY, "api-gateway", "1.4.0", "qa",
                                         "Ana");
  g_autoptr(GPtrArray) deployments = NULL;
  g_autoptr(GError) error = NULL;
  DrDeployment *read;

  insert_build (fixture->store, "api-gateway", "1.4.0");
  g_assert_true (dr_store_insert_run (fixture->store, run, &error));
  g_assert_no_error (error);

  deployment->run_id = run->id;
  g_assert_true (dr_store_insert_deployment (fixture->store, deployment, &error));
  g_assert_no_error (error);
  g_assert_cmpint (deployment->id, >, 0);

  deployment->state = DR_DEPLOYMENT_SUCCEEDED;
  deployment->verified = TRUE;
  deployment->finished_at = 250;
  g_assert_true (dr_store_update_deployment (fixture->store, deployment, &error));
  g_assert_no_error (error);

  deployments = dr_store_list_deployments (fixture->store, "api-gateway", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (deployments->len, ==, 1);
  read = g_ptr_array_index (deployments, 0);
  g_assert_cmpint (read->id, ==, deployment->id);
  g_assert_cmpstr (read->version, ==, "1.4.0");
  g_assert_cmpstr (read->environment, ==, "qa");
  g_assert_cmpint (read->state, ==, DR_DEPLOYMENT_SUCCEEDED);
  g_assert_true (read->verified);
  g_assert_cmpstr (read->person, ==, "Ana");
  g_assert_cmpint (read->run_id, ==, run->id);
  g_assert_cmpint (read->started_at, ==, 100);
  g_assert_cmpint (read->finished_at, ==, 250);

  missing->id = 4242;
  g_assert_false (dr_store_update_deployment (fixture->store, missing, &error));
  g_assert_error (error, DR_STORE_ERROR, DR_STORE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "4242"));
}

static void
test_run_round_trip (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(DrRunRecord) run = make_run (DR_RUN_KIND_CHECK, "api-gateway", "1.4.0", "qa",
                                         "Carla");
  g_autoptr(DrRunRecord) other = make_run (DR_RUN_KIND_VERIFY, "auth-service", "2.0.0",
                                           "production", "Ana");
  g_autoptr(DrRunRecord) found = NULL;
  g_autoptr(DrRunStepRecord) extra = make_step (2, "sign", DR_STEP_STATE_PENDING);
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GError) error = NULL;
  DrRunFilter filter = { 0 };
  DrRunStepRecord *step;

  run->checklist = g_strdup ("pre-production");
  run->item = g_strdup ("qa-tests-pass");
  g_assert_true (dr_store_insert_run (fixture->store, run, &error));
  g_assert_no_error (error);
  g_assert_cmpint (run->id, >, 0);
  other->started_at = run->started_at + 5;
  g_assert_true (dr_store_insert_run (fixture->store, other, &error));
  g_assert_no_error (error);

  /* A step changes on its own, then the run ends. */
  step = g_ptr_array_index (run->steps, 0);
  step->state = DR_STEP_STATE_FAILED;
  step->started_at = 10;
  step->finished_at = 20;
  step->exit_status = 2;
  step->message = g_strdup ("The command exited with status 2");
  g_assert_true (dr_store_update_run_step (fixture->store, run->id, step, &error));
  g_assert_no_error (error);
  g_assert_true (dr_store_update_run_step (fixture->store, run->id, extra, &error));
  g_assert_no_error (error);

  run->state = DR_RUN_STATE_FAILED;
  run->finished_at = run->started_at + 100;
  run->message = g_strdup ("Step “build” failed");
  g_assert_true (dr_store_update_run (fixture->store, run, &error));
  g_assert_no_error (error);

  found = dr_store_find_run (fixture->store, run->id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (found);
  g_assert_cmpint (found->kind, ==, DR_RUN_KIND_CHECK);
  g_assert_cmpstr (found->service, ==, "api-gateway");
  g_assert_cmpstr (found->version, ==, "1.4.0");
  g_assert_cmpstr (found->environment, ==, "qa");
  g_assert_cmpstr (found->checklist, ==, "pre-production");
  g_assert_cmpstr (found->item, ==, "qa-tests-pass");
  g_assert_cmpint (found->state, ==, DR_RUN_STATE_FAILED);
  g_assert_cmpstr (found->person, ==, "Carla");
  g_assert_cmpint (found->started_at, ==, run->started_at);
  g_assert_cmpint (found->finished_at, ==, run->finished_at);
  g_assert_cmpstr (found->log_path, ==, "/tmp/run.log");
  g_assert_cmpstr (found->message, ==, "Step “build” failed");
  g_assert_cmpstr (found->owner, ==, run->owner);
  g_assert_cmpuint (found->steps->len, ==, 3);

  step = g_ptr_array_index (found->steps, 0);
  g_assert_cmpuint (step->index, ==, 0);
  g_assert_cmpstr (step->name, ==, "build");
  g_assert_cmpstr (step->command, ==, "echo build");
  g_assert_cmpint (step->state, ==, DR_STEP_STATE_FAILED);
  g_assert_cmpint (step->started_at, ==, 10);
  g_assert_cmpint (step->finished_at, ==, 20);
  g_assert_cmpint (step->exit_status, ==, 2);
  g_assert_cmpstr (step->message, ==, "The command exited with status 2");
  step = g_ptr_array_index (found->steps, 1);
  g_assert_cmpint (step->state, ==, DR_STEP_STATE_PENDING);
  g_assert_cmpint (step->exit_status, ==, -1);
  g_assert_null (step->message);
  step = g_ptr_array_index (found->steps, 2);
  g_assert_cmpstr (step->name, ==, "sign");

  g_clear_pointer (&found, dr_run_record_free);
  found = dr_store_find_run (fixture->store, 4242, &error);
  g_assert_no_error (error);
  g_assert_null (found);

  /* Newest first, and each filter narrows the list. */
  runs = dr_store_list_runs (fixture->store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 2);
  g_assert_cmpint (((DrRunRecord *) g_ptr_array_index (runs, 0))->id, ==, other->id);
  g_assert_cmpuint (((DrRunRecord *) g_ptr_array_index (runs, 1))->steps->len, ==, 3);
  g_clear_pointer (&runs, g_ptr_array_unref);

  filter.service = "api-gateway";
  runs = dr_store_list_runs (fixture->store, &filter, &error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_clear_pointer (&runs, g_ptr_array_unref);

  filter.service = NULL;
  filter.environment = "production";
  runs = dr_store_list_runs (fixture->store, &filter, &error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_assert_cmpstr (((DrRunRecord *) g_ptr_array_index (runs, 0))->service, ==, "auth-service");
  g_clear_pointer (&runs, g_ptr_array_unref);

  filter.environment = NULL;
  filter.running_only = TRUE;
  runs = dr_store_list_runs (fixture->store, &filter, &error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_assert_cmpint (((DrRunRecord *) g_ptr_array_index (runs, 0))->id, ==, other->id);
  g_clear_pointer (&runs, g_ptr_array_unref);

  filter.running_only = FALSE;
  filter.limit = 1;
  runs = dr_store_list_runs (fixture->store, &filter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
}

static void
test_one_running_run (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(DrRunRecord) first = make_run (DR_RUN_KIND_DEPLOY, "api-gateway", "1.4.0", "qa",
                                           "Ana");
  g_autoptr(DrRunRecord) second = make_run (DR_RUN_KIND_ROLLBACK, "api-gateway", "1.4.0", "qa",
                                            "Bea");
  g_autoptr(DrRunRecord) elsewhere = make_run (DR_RUN_KIND_DEPLOY, "api-gateway", "1.4.0",
                                               "production", "Bea");
  g_autoptr(DrRunRecord) other_service = make_run (DR_RUN_KIND_DEPLOY, "auth-service", "2.0.0",
                                                   "qa", "Bea");
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first_id = NULL;
  sqlite3 *db;

  g_assert_true (dr_store_insert_run (fixture->store, first, &error));
  g_assert_no_error (error);
  first_id = g_strdup_printf ("run %" G_GINT64_FORMAT " ", first->id);

  g_assert_false (dr_store_insert_run (fixture->store, second, &error));
  g_assert_error (error, DR_STORE_ERROR, DR_STORE_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, first_id));
  g_assert_nonnull (strstr (error->message, "deploy"));
  g_assert_nonnull (strstr (error->message, "Ana"));
  g_assert_cmpint (second->id, ==, 0);
  g_clear_error (&error);

  g_assert_true (dr_store_insert_run (fixture->store, elsewhere, &error));
  g_assert_no_error (error);
  g_assert_true (dr_store_insert_run (fixture->store, other_service, &error));
  g_assert_no_error (error);

  runs = dr_store_list_runs (fixture->store, NULL, &error);
  g_assert_cmpuint (runs->len, ==, 3);

  /* The partial unique index also applies to a writer that skips the store's check. */
  db = open_raw (fixture->path);
  {
    g_autofree char *message = exec_raw_expecting_failure (db,
      "INSERT INTO runs (kind, service, environment, state, started_at) "
      "VALUES ('deploy', 'api-gateway', 'qa', 'running', 1)");

    g_assert_nonnull (message);
    g_assert_nonnull (strstr (message, "UNIQUE"));
  }
  sqlite3_close (db);

  /* Once the first run ends, a new one may start. */
  first->state = DR_RUN_STATE_SUCCEEDED;
  first->finished_at = first->started_at + 1;
  g_assert_true (dr_store_update_run (fixture->store, first, &error));
  g_assert_no_error (error);
  g_assert_true (dr_store_insert_run (fixture->store, second, &error));
  g_assert_no_error (error);
  g_assert_cmpint (second->id, >, first->id);
}

static void
test_signoff_and_approval_round_trip (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autoptr(DrSignoff) signed_item = make_signoff ("1.4.0", "qa-tests-pass", 100, FALSE);
  g_autoptr(DrSignoff) revoked = make_signoff ("1.4.0", "qa-tests-pass", 200, TRUE);
  g_autoptr(DrSignoff) older_version = make_signoff ("1.3.0", "qa-tests-pass", 50, FALSE);
  g_autoptr(DrApproval) rejected = make_approval ("1.4.0", DR_DECISION_REJECTED, 100);
  g_autoptr(DrApproval) approved = make_approval ("1.4.0", DR_DECISION_APPROVED, 200);
  g_autoptr(DrRunRecord) run = make_run (DR_RUN_KIND_CHECK, "api-gateway", "1.4.0", "qa",
                                         "Carla");
  g_autoptr(GPtrArray) signoffs = NULL;
  g_autoptr(GPtrArray) approvals = NULL;
  g_autoptr(GError) error = NULL;
  DrSignoff *signoff;
  DrApproval *approval;

  g_assert_true (dr_store_insert_run (fixture->store, run, &error));
  signed_item->run_id = run->id;
  g_assert_true (dr_store_insert_signoff (fixture->store, signed_item, &error));
  g_assert_true (dr_store_insert_signoff (fixture->store, revoked, &error));
  g_assert_true (dr_store_insert_signoff (fixture->store, older_version, &error));
  g_assert_no_error (error);
  g_assert_cmpint (signed_item->id, >, 0);

  signoffs = dr_store_list_signoffs (fixture->store, "api-gateway", "1.4.0", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (signoffs->len, ==, 2);
  signoff = g_ptr_array_index (signoffs, 0);
  g_assert_cmpint (signoff->id, ==, signed_item->id);
  g_assert_cmpstr (signoff->version, ==, "1.4.0");
  g_assert_cmpstr (signoff->checklist, ==, "pre-production");
  g_assert_cmpstr (signoff->item, ==, "qa-tests-pass");
  g_assert_cmpstr (signoff->person, ==, "Carla");
  g_assert_cmpstr (signoff->role, ==, "qa");
  g_assert_cmpint (signoff->at, ==, 100);
  g_assert_cmpstr (signoff->comment, ==, "Looks good");
  g_assert_false (signoff->revoked);
  g_assert_cmpint (signoff->run_id, ==, run->id);
  signoff = g_ptr_array_index (signoffs, 1);
  g_assert_true (signoff->revoked);
  g_assert_cmpint (signoff->run_id, ==, 0);
  g_clear_pointer (&signoffs, g_ptr_array_unref);

  signoffs = dr_store_list_signoffs (fixture->store, "api-gateway", NULL, &error);
  g_assert_cmpuint (signoffs->len, ==, 3);
  g_assert_cmpstr (((DrSignoff *) g_ptr_array_index (signoffs, 0))->version, ==, "1.3.0");

  g_assert_true (dr_store_insert_approval (fixture->store, rejected, &error));
  g_assert_true (dr_store_insert_approval (fixture->store, approved, &error));
  g_assert_no_error (error);
  approvals = dr_store_list_approvals (fixture->store, "api-gateway", "1.4.0", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (approvals->len, ==, 2);
  approval = g_ptr_array_index (approvals, 0);
  g_assert_cmpint (approval->id, ==, rejected->id);
  g_assert_cmpint (approval->decision, ==, DR_DECISION_REJECTED);
  g_assert_cmpstr (approval->environment, ==, "production");
  g_assert_cmpstr (approval->role, ==, "security");
  g_assert_cmpstr (approval->person, ==, "Bea");
  g_assert_cmpstr (approval->comment, ==, "Reviewed");
  g_assert_cmpint (approval->at, ==, 100);
  g_assert_cmpint (((DrApproval *) g_ptr_array_index (approvals, 1))->decision, ==,
                   DR_DECISION_APPROVED);
}

static void
test_append_only (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(DrSignoff) signoff = make_signoff ("1.4.0", "qa-tests-pass", 100, FALSE);
  g_autoptr(DrApproval) approval = make_approval ("1.4.0", DR_DECISION_APPROVED, 100);
  g_autoptr(GError) error = NULL;
  const char *statements[] = {
    "UPDATE signoffs SET revoked = 1",
    "DELETE FROM signoffs",
    "UPDATE approvals SET decision = 'rejected'",
    "DELETE FROM approvals",
    "UPDATE audit SET person = 'Eve'",
    "DELETE FROM audit",
  };
  sqlite3 *db;

  g_assert_true (dr_store_insert_signoff (fixture->store, signoff, &error));
  g_assert_true (dr_store_insert_approval (fixture->store, approval, &error));
  g_assert_true (dr_store_audit (fixture->store, "Ana", "signed", "api-gateway", "1.4.0", NULL,
                                 NULL, &error));
  g_assert_no_error (error);

  db = open_raw (fixture->path);
  for (guint i = 0; i < G_N_ELEMENTS (statements); i++) {
    g_autofree char *message = exec_raw_expecting_failure (db, statements[i]);

    g_assert_nonnull (message);
    g_assert_nonnull (strstr (message, "append-only"));
  }
  g_assert_cmpint (query_raw_int (db, "SELECT count(*) FROM signoffs WHERE revoked = 0"), ==, 1);
  g_assert_cmpint (query_raw_int (db, "SELECT count(*) FROM approvals"), ==, 1);
  g_assert_cmpint (query_raw_int (db, "SELECT count(*) FROM audit"), ==, 1);
  sqlite3_close (db);
}

/* Transactions. */

static gboolean
insert_then_fail_cb (gpointer   store,
                     gpointer   user_data,
                     GError   **error)
{
  g_autoptr(DrBuild) build = make_build ("api-gateway", "1.4.0");
  g_autoptr(DrDeployment) deployment = make_deployment ("1.4.0", "development",
                                                        DR_DEPLOYMENT_SUCCEEDED, 1);

  if (!dr_store_insert_build (store, build, error) ||
      !dr_store_insert_deployment (store, deployment, error) ||
      !dr_store_audit (store, "Ana", "build-recorded", "api-gateway", "1.4.0", NULL, NULL,
                       error))
    return FALSE;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Stopped on purpose");
  return FALSE;
}

static gboolean
inner_fails_outer_goes_on_cb (gpointer   store,
                              gpointer   user_data,
                              GError   **error)
{
  g_autoptr(GError) inner_error = NULL;
  g_autoptr(DrBuild) build = make_build ("api-gateway", "1.5.0");

  /* The inner transaction fails and is undone; the outer one ignores that and goes on. */
  g_assert_false (dr_store_transaction (store, insert_then_fail_cb, NULL, &inner_error));
  g_assert_error (inner_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  return dr_store_insert_build (store, build, error);
}

static void
test_transaction_rollback (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GPtrArray) builds = NULL;
  g_autoptr(GPtrArray) deployments = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrStore) watcher = dr_sqlite_store_open (fixture->path, &error);
  gint64 counter;

  g_assert_no_error (error);
  counter = dr_store_get_change_counter (watcher);

  g_assert_false (dr_store_transaction (fixture->store, insert_then_fail_cb, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  builds = dr_store_list_builds (fixture->store, NULL, &error);
  g_assert_cmpuint (builds->len, ==, 0);
  deployments = dr_store_list_deployments (fixture->store, NULL, &error);
  g_assert_cmpuint (deployments->len, ==, 0);
  events = dr_store_list_audit (fixture->store, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 0);
  /* Another process polling the store sees no change. */
  g_assert_cmpint (dr_store_get_change_counter (watcher), ==, counter);

  g_assert_true (dr_store_transaction (fixture->store, inner_fails_outer_goes_on_cb, NULL,
                                       &error));
  g_assert_no_error (error);
  g_clear_pointer (&builds, g_ptr_array_unref);
  builds = dr_store_list_builds (fixture->store, NULL, &error);
  g_assert_cmpuint (builds->len, ==, 1);
  g_assert_cmpstr (((DrBuild *) g_ptr_array_index (builds, 0))->version, ==, "1.5.0");
  g_clear_pointer (&events, g_ptr_array_unref);
  events = dr_store_list_audit (fixture->store, 0, 0, &error);
  g_assert_cmpuint (events->len, ==, 0);
}

typedef struct
{
  DrStore *store;
  guint    thread_index;
} ThreadData;

/* Reads the number of builds and records the next one under that number. Without a store
 * held across the transaction, two threads would pick the same number. */
static gboolean
record_next_build_cb (gpointer   store,
                      gpointer   user_data,
                      GError   **error)
{
  ThreadData *data = user_data;
  g_autoptr(GPtrArray) builds = dr_store_list_builds (store, "api-gateway", error);
  g_autoptr(DrBuild) build = NULL;
  g_autofree char *version = NULL;

  if (builds == NULL)
    return FALSE;

  version = g_strdup_printf ("1.0.%u", builds->len);
  g_thread_yield ();
  build = make_build ("api-gateway", version);
  g_free (build->recorded_by);
  build->recorded_by = g_strdup_printf ("thread %u", data->thread_index);

  return dr_store_insert_build (store, build, error);
}

static gpointer
record_builds_thread (gpointer user_data)
{
  for (guint i = 0; i < 50; i++) {
    g_autoptr(GError) error = NULL;

    if (!dr_store_transaction (((ThreadData *) user_data)->store, record_next_build_cb,
                               user_data, &error))
      return g_strdup (error->message);
  }

  return NULL;
}

static void
test_transaction_threads (Fixture       *fixture,
                          gconstpointer  data)
{
  ThreadData thread_data[4];
  GThread *threads[4];
  g_autoptr(GPtrArray) builds = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++) {
    thread_data[i].store = fixture->store;
    thread_data[i].thread_index = i;
    threads[i] = g_thread_new ("recorder", record_builds_thread, &thread_data[i]);
  }

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++) {
    g_autofree char *failure = g_thread_join (threads[i]);

    g_assert_cmpstr (failure, ==, NULL);
  }

  builds = dr_store_list_builds (fixture->store, "api-gateway", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (builds->len, ==, 200);
}

/* The audit chain. */

static void
append_events (DrStore *store,
               guint    n_events)
{
  for (guint i = 0; i < n_events; i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *detail = g_strdup_printf ("{\"n\":%u}", i);

    dr_store_audit (store, "Ana", "signed", "api-gateway", "1.4.0", i % 2 ? "qa" : NULL, detail,
                    &error);
    g_assert_no_error (error);
  }
}

static void
test_audit_chain (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  guint n_events = 0;

  g_assert_true (dr_store_verify_audit (fixture->store, &n_events, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_events, ==, 0);

  /* More than one page of the walk, so paging is part of the check. */
  append_events (fixture->store, 1203);

  g_assert_true (dr_store_verify_audit (fixture->store, &n_events, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_events, ==, 1203);

  events = dr_store_list_audit (fixture->store, 0, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 3);
  for (guint i = 0; i < events->len; i++) {
    DrAuditEvent *event = g_ptr_array_index (events, i);
    g_autofree char *hash = NULL;

    g_assert_cmpint (event->seq, ==, i + 1);
    g_assert_cmpstr (event->person, ==, "Ana");
    g_assert_cmpstr (event->action, ==, "signed");
    g_assert_cmpint (event->at, >, 0);
    if (i == 0)
      g_assert_cmpstr (event->previous_hash, ==, ZERO_HASH);
    else
      g_assert_cmpstr (event->previous_hash, ==,
                       ((DrAuditEvent *) g_ptr_array_index (events, i - 1))->hash);
    hash = dr_audit_event_compute_hash (event, event->previous_hash);
    g_assert_cmpstr (event->hash, ==, hash);
  }
  g_assert_null (((DrAuditEvent *) g_ptr_array_index (events, 0))->environment);
  g_assert_cmpstr (((DrAuditEvent *) g_ptr_array_index (events, 1))->environment, ==, "qa");

  page = dr_store_list_audit (fixture->store, 1200, 0, &error);
  g_assert_cmpuint (page->len, ==, 3);
  g_assert_cmpint (((DrAuditEvent *) g_ptr_array_index (page, 0))->seq, ==, 1201);
}

static void
assert_chain_broken_at (DrStore    *store,
                        const char *event_text,
                        const char *why)
{
  g_autoptr(GError) error = NULL;
  guint n_events = 99;

  g_assert_false (dr_store_verify_audit (store, &n_events, &error));
  g_assert_error (error, DR_STORE_ERROR, DR_STORE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, event_text));
  g_assert_nonnull (strstr (error->message, why));
  g_assert_cmpuint (n_events, ==, 0);
}

static void
test_audit_tamper_edit (Fixture       *fixture,
                        gconstpointer  data)
{
  sqlite3 *db;

  append_events (fixture->store, 6);

  db = open_raw (fixture->path);
  exec_raw (db, "DROP TRIGGER audit_no_update");
  exec_raw (db, "UPDATE audit SET detail = '{\"n\":99}' WHERE seq = 3");
  sqlite3_close (db);

  assert_chain_broken_at (fixture->store, "at event 3:", "do not match its hash");
}

static void
test_audit_tamper_rehash (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *sql = NULL;
  DrAuditEvent *event;
  sqlite3 *db;

  append_events (fixture->store, 6);

  /* Someone who edits event 4 and recomputes its hash still breaks the link from event 5. */
  events = dr_store_list_audit (fixture->store, 3, 1, &error);
  g_assert_no_error (error);
  event = g_ptr_array_index (events, 0);
  g_free (event->person);
  event->person = g_strdup ("Eve");
  hash = dr_audit_event_compute_hash (event, event->previous_hash);

  db = open_raw (fixture->path);
  exec_raw (db, "DROP TRIGGER audit_no_update");
  sql = g_strdup_printf ("UPDATE audit SET person = 'Eve', hash = '%s' WHERE seq = 4", hash);
  exec_raw (db, sql);
  sqlite3_close (db);

  assert_chain_broken_at (fixture->store, "at event 5:", "does not link");
}

static void
test_audit_tamper_delete (Fixture       *fixture,
                          gconstpointer  data)
{
  sqlite3 *db;

  append_events (fixture->store, 4);

  db = open_raw (fixture->path);
  exec_raw (db, "DROP TRIGGER audit_no_delete");
  exec_raw (db, "DELETE FROM audit WHERE seq = 2");
  sqlite3_close (db);

  assert_chain_broken_at (fixture->store, "at event 2:", "missing");
}

/* Two connections. */

static void
test_second_connection (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(DrStore) second = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  gint64 first_counter;
  gint64 second_counter;

  second = dr_sqlite_store_open (fixture->path, &error);
  g_assert_no_error (error);

  first_counter = dr_store_get_change_counter (fixture->store);
  second_counter = dr_store_get_change_counter (second);

  /* Reads, snapshots included, commit no change. */
  snapshot = dr_store_load_snapshot (fixture->store, "api-gateway", &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_store_get_change_counter (fixture->store), ==, first_counter);
  g_assert_cmpint (dr_store_get_change_counter (second), ==, second_counter);

  /* A commit shows in the counter of every other connection, and not in its own. */
  insert_build (fixture->store, "api-gateway", "1.4.0");
  g_assert_cmpint (dr_store_get_change_counter (fixture->store), ==, first_counter);
  g_assert_cmpint (dr_store_get_change_counter (second), !=, second_counter);

  build = dr_store_find_build (second, "api-gateway", "1.4.0", &error);
  g_assert_no_error (error);
  g_assert_nonnull (build);

  /* And the other way round. */
  first_counter = dr_store_get_change_counter (fixture->store);
  second_counter = dr_store_get_change_counter (second);
  g_assert_true (dr_store_audit (second, "Bea", "approved", "api-gateway", "1.4.0",
                                 "production", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (dr_store_get_change_counter (fixture->store), !=, first_counter);
  g_assert_cmpint (dr_store_get_change_counter (second), ==, second_counter);
  g_assert_true (dr_store_verify_audit (fixture->store, NULL, &error));
  g_assert_no_error (error);
}

static void
test_load_snapshot (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(DrRunRecord) running = make_run (DR_RUN_KIND_DEPLOY, "api-gateway", "1.4.0", "qa",
                                             "Ana");
  g_autoptr(DrRunRecord) finished = make_run (DR_RUN_KIND_VERIFY, "api-gateway", "1.3.0",
                                              "production", "Ana");
  g_autoptr(DrRunRecord) other_service = make_run (DR_RUN_KIND_DEPLOY, "auth-service", "2.0.0",
                                                   "qa", "Ana");
  g_autoptr(DrDeployment) deployment = make_deployment ("1.3.0", "production",
                                                        DR_DEPLOYMENT_SUCCEEDED, 10);
  g_autoptr(DrSignoff) signoff = make_signoff ("1.4.0", "qa-tests-pass", 100, FALSE);
  g_autoptr(DrApproval) approval = make_approval ("1.3.0", DR_DECISION_APPROVED, 10);
  g_autoptr(GError) error = NULL;
  const DrRunRecord *active;

  insert_build (fixture->store, "api-gateway", "1.3.0");
  insert_build (fixture->store, "api-gateway", "1.4.0");
  insert_build (fixture->store, "auth-service", "2.0.0");
  finished->state = DR_RUN_STATE_SUCCEEDED;
  g_assert_true (dr_store_insert_run (fixture->store, running, &error));
  g_assert_true (dr_store_insert_run (fixture->store, finished, &error));
  g_assert_true (dr_store_insert_run (fixture->store, other_service, &error));
  g_assert_true (dr_store_insert_deployment (fixture->store, deployment, &error));
  g_assert_true (dr_store_insert_signoff (fixture->store, signoff, &error));
  g_assert_true (dr_store_insert_approval (fixture->store, approval, &error));
  g_assert_no_error (error);

  snapshot = dr_store_load_snapshot (fixture->store, "api-gateway", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (snapshot->service, ==, "api-gateway");
  g_assert_cmpuint (snapshot->builds->len, ==, 2);
  g_assert_cmpuint (snapshot->deployments->len, ==, 1);
  g_assert_cmpuint (snapshot->active_runs->len, ==, 1);
  g_assert_cmpuint (snapshot->signoffs->len, ==, 1);
  g_assert_cmpuint (snapshot->approvals->len, ==, 1);

  active = dr_service_snapshot_find_active_run (snapshot, "qa");
  g_assert_nonnull (active);
  g_assert_cmpint (active->id, ==, running->id);
  g_assert_cmpuint (active->steps->len, ==, 2);
  g_assert_null (dr_service_snapshot_find_active_run (snapshot, "production"));
  g_assert_nonnull (dr_service_snapshot_find_build (snapshot, "1.3.0"));
  g_assert_null (dr_service_snapshot_find_build (snapshot, "2.0.0"));
  g_assert_cmpstr (dr_service_snapshot_get_current (snapshot, "production")->version, ==,
                   "1.3.0");
}

/* Process owners and crash recovery. */

static void
test_process_owner (void)
{
  g_autofree char *owner = dr_process_owner_for_self ();
  g_auto(GStrv) parts = g_strsplit (owner, " ", -1);
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  g_autofree char *other_start = NULL;
  g_autofree char *other_boot = NULL;
  g_autofree char *other_host = NULL;
  g_autofree char *ended = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  const char *child_pid;

  g_assert_cmpuint (g_strv_length (parts), ==, 4);
  g_assert_cmpstr (parts[0], ==, g_get_host_name ());
  g_assert_cmpuint (strlen (parts[1]), ==, 36);
  g_assert_cmpstr (parts[2], ==, pid);
  g_assert_true (dr_process_owner_is_alive (owner));

  /* Same pid but another start time: a reused pid, so not the same process. */
  other_start = g_strdup_printf ("%s %s %s %s1", parts[0], parts[1], parts[2], parts[3]);
  g_assert_false (dr_process_owner_is_alive (other_start));

  other_boot = g_strdup_printf ("%s 00000000-0000-0000-0000-000000000000 %s %s", parts[0],
                                parts[2], parts[3]);
  g_assert_false (dr_process_owner_is_alive (other_boot));

  other_host = g_strdup_printf ("elsewhere.invalid %s %s %s", parts[1], parts[2], parts[3]);
  g_assert_false (dr_process_owner_is_alive (other_host));

  /* A process that has ended and been reaped. */
  child = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "true", NULL);
  g_assert_no_error (error);
  child_pid = g_subprocess_get_identifier (child);
  ended = g_strdup_printf ("%s %s %s %s", parts[0], parts[1], child_pid, parts[3]);
  g_assert_true (g_subprocess_wait (child, NULL, &error));
  g_assert_false (dr_process_owner_is_alive (ended));

  g_assert_false (dr_process_owner_is_alive (NULL));
  g_assert_false (dr_process_owner_is_alive (""));
  g_assert_false (dr_process_owner_is_alive ("not an owner"));
  g_assert_false (dr_process_owner_is_alive ("a b ../1 c"));
}

/* The child side of the crash test: records a running deploy as its own, writes log lines,
 * prints "ready" on standard output and waits to be killed. */
static int
run_crash_child (const char *store_path,
                 const char *log_path)
{
  g_autoptr(DrStore) store = NULL;
  g_autoptr(DrRunRecord) run = NULL;
  g_autoptr(DrDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;
  FILE *log;

  store = dr_sqlite_store_open (store_path, &error);
  if (store == NULL)
    g_error ("%s", error->message);

  run = make_run (DR_RUN_KIND_DEPLOY, "api-gateway", "1.4.0", "qa", "Ana");
  g_free (run->log_path);
  run->log_path = g_strdup (log_path);
  ((DrRunStepRecord *) g_ptr_array_index (run->steps, 0))->state = DR_STEP_STATE_SUCCEEDED;
  ((DrRunStepRecord *) g_ptr_array_index (run->steps, 0))->exit_status = 0;
  ((DrRunStepRecord *) g_ptr_array_index (run->steps, 1))->state = DR_STEP_STATE_RUNNING;
  g_ptr_array_add (run->steps, make_step (2, "verify", DR_STEP_STATE_PENDING));
  if (!dr_store_insert_run (store, run, &error))
    g_error ("%s", error->message);

  deployment = make_deployment ("1.4.0", "qa", DR_DEPLOYMENT_IN_PROGRESS, run->started_at);
  deployment->run_id = run->id;
  if (!dr_store_insert_deployment (store, deployment, &error) ||
      !dr_store_audit (store, "Ana", "promotion-started", "api-gateway", "1.4.0", "qa", NULL,
                       &error))
    g_error ("%s", error->message);

  log = fopen (log_path, "w");
  g_assert_nonnull (log);
  for (guint i = 0; i < 100; i++)
    fprintf (log, "deploy line %u\n", i);
  fflush (log);

  printf ("ready %" G_GINT64_FORMAT "\n", run->id);
  fflush (stdout);

  for (;;)
    pause ();

  return 0;
}

static void
test_recover_interrupted_runs (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *log_path = g_build_filename (fixture->dir, "deploy.log", NULL);
  g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(DrRunRecord) own_run = make_run (DR_RUN_KIND_VERIFY, "api-gateway", "1.3.0",
                                             "production", "Bea");
  g_autoptr(DrRunRecord) crashed = NULL;
  g_autoptr(DrRunRecord) untouched = NULL;
  g_autoptr(DrStore) reopened = NULL;
  g_autoptr(GPtrArray) deployments = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) builds = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *log_contents = NULL;
  DrDeployment *deployment;
  DrAuditEvent *last;
  gint64 crashed_id;
  guint n_recovered;
  guint n_events;

  insert_build (fixture->store, "api-gateway", "1.3.0");
  insert_build (fixture->store, "api-gateway", "1.4.0");
  g_assert_true (dr_store_insert_run (fixture->store, own_run, &error));
  g_assert_no_error (error);

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, self_path, CRASH_CHILD_FLAG,
                            fixture->path, log_path, NULL);
  g_assert_no_error (error);

  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  line = g_data_input_stream_read_line_utf8 (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "ready "));
  crashed_id = g_ascii_strtoll (line + strlen ("ready "), NULL, 10);
  g_assert_cmpint (crashed_id, >, 0);

  /* While the child lives, its run is left alone. */
  n_recovered = dr_store_recover_interrupted_runs (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_recovered, ==, 0);

  g_subprocess_send_signal (child, SIGKILL);
  g_assert_true (g_subprocess_wait (child, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (child));
  g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);

  /* A new start of the app: a fresh connection to the same file. */
  g_clear_object (&fixture->store);
  reopened = dr_sqlite_store_open (fixture->path, &error);
  g_assert_no_error (error);

  n_recovered = dr_store_recover_interrupted_runs (reopened, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_recovered, ==, 1);

  crashed = dr_store_find_run (reopened, crashed_id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (crashed);
  g_assert_cmpint (crashed->state, ==, DR_RUN_STATE_INTERRUPTED);
  g_assert_cmpint (crashed->finished_at, >=, crashed->started_at);
  g_assert_cmpstr (crashed->message, ==, "The process running it ended unexpectedly");
  g_assert_cmpuint (crashed->steps->len, ==, 3);
  g_assert_cmpint (((DrRunStepRecord *) g_ptr_array_index (crashed->steps, 0))->state, ==,
                   DR_STEP_STATE_SUCCEEDED);
  g_assert_cmpint (((DrRunStepRecord *) g_ptr_array_index (crashed->steps, 1))->state, ==,
                   DR_STEP_STATE_INTERRUPTED);
  g_assert_cmpint (((DrRunStepRecord *) g_ptr_array_index (crashed->steps, 1))->finished_at, ==,
                   crashed->finished_at);
  g_assert_cmpint (((DrRunStepRecord *) g_ptr_array_index (crashed->steps, 2))->state, ==,
                   DR_STEP_STATE_SKIPPED);

  deployments = dr_store_list_deployments (reopened, "api-gateway", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (deployments->len, ==, 1);
  deployment = g_ptr_array_index (deployments, 0);
  g_assert_cmpint (deployment->run_id, ==, crashed_id);
  g_assert_cmpint (deployment->state, ==, DR_DEPLOYMENT_FAILED);
  g_assert_cmpint (deployment->finished_at, ==, crashed->finished_at);

  /* The run of a live process, the builds and the log are kept. */
  untouched = dr_store_find_run (reopened, own_run->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (untouched->state, ==, DR_RUN_STATE_RUNNING);
  g_assert_cmpint (untouched->finished_at, ==, 0);
  builds = dr_store_list_builds (reopened, "api-gateway", &error);
  g_assert_cmpuint (builds->len, ==, 2);
  g_file_get_contents (log_path, &log_contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (log_contents, "deploy line 0\n"));
  g_assert_true (g_str_has_suffix (log_contents, "deploy line 99\n"));

  g_assert_true (dr_store_verify_audit (reopened, &n_events, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_events, ==, 2);
  events = dr_store_list_audit (reopened, 1, 0, &error);
  last = g_ptr_array_index (events, 0);
  g_assert_cmpstr (last->action, ==, "run-interrupted");
  g_assert_cmpstr (last->service, ==, "api-gateway");
  g_assert_cmpstr (last->environment, ==, "qa");
  g_assert_nonnull (strstr (last->detail, "\"kind\":\"deploy\""));

  /* Recovery is done once. */
  g_assert_cmpuint (dr_store_recover_interrupted_runs (reopened, &error), ==, 0);
  g_assert_no_error (error);
}

static void
add_store_test (const char *path,
                void      (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 4 && g_strcmp0 (argv[1], CRASH_CHILD_FLAG) == 0)
    return run_crash_child (argv[2], argv[3]);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/records/enum-strings", test_enum_strings);
  g_test_add_func ("/records/identity-roles", test_identity_roles);
  g_test_add_func ("/records/copies", test_record_copies);
  g_test_add_func ("/records/audit-hash-fields", test_audit_hash_fields);
  g_test_add_func ("/records/snapshot-current-previous", test_snapshot_current_and_previous);
  g_test_add_func ("/records/snapshot-signoffs-approvals", test_snapshot_signoffs_and_approvals);

  g_test_add_func ("/store/open-creates-folder", test_open_creates_folder);
  g_test_add_func ("/store/open-existing-only", test_open_existing_only);
  g_test_add_func ("/store/open-leaves-other-files", test_open_leaves_other_files);
  g_test_add_func ("/store/default-path", test_default_path);
  add_store_test ("/store/migrate-from-version-zero", test_migrate_from_version_zero);
  add_store_test ("/store/refuse-newer-schema", test_refuse_newer_schema);
  add_store_test ("/store/refuse-not-a-database", test_refuse_not_a_database);
  add_store_test ("/store/build-round-trip", test_build_round_trip);
  add_store_test ("/store/build-unique", test_build_unique);
  add_store_test ("/store/deployment-round-trip", test_deployment_round_trip);
  add_store_test ("/store/run-round-trip", test_run_round_trip);
  add_store_test ("/store/one-running-run", test_one_running_run);
  add_store_test ("/store/signoff-approval-round-trip", test_signoff_and_approval_round_trip);
  add_store_test ("/store/append-only", test_append_only);
  add_store_test ("/store/transaction-rollback", test_transaction_rollback);
  add_store_test ("/store/transaction-threads", test_transaction_threads);
  add_store_test ("/store/audit-chain", test_audit_chain);
  add_store_test ("/store/audit-tamper-edit", test_audit_tamper_edit);
  add_store_test ("/store/audit-tamper-rehash", test_audit_tamper_rehash);
  add_store_test ("/store/audit-tamper-delete", test_audit_tamper_delete);
  add_store_test ("/store/second-connection", test_second_connection);
  add_store_test ("/store/load-snapshot", test_load_snapshot);
  g_test_add_func ("/store/process-owner", test_process_owner);
  add_store_test ("/store/recover-interrupted-runs", test_recover_interrupted_runs);

  return g_test_run ();
}
