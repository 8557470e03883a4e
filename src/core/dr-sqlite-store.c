/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include <glib/gi18n-lib.h>
#include <sqlite3.h>

#include "dr-sqlite-rows.h"
#include "dr-sqlite-schema.h"
#include "dr-sqlite-store.h"

/* How long a statement waits for another connection's write lock before it fails. The app
 * and dynamoctl open the same file at once, and their transactions are short. */
#define BUSY_TIMEOUT_MS 5000

#define FIRST_PREVIOUS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

struct _DrSqliteStore
{
  GObject     parent_instance;

  char       *path;
  sqlite3    *db;
  int         schema_version;

  /* Locked from the start to the end of each transaction. It guards every field below. */
  GRecMutex   mutex;
  guint       depth;              /* open transactions, nested ones included */
  GHashTable *statements;         /* SQL text → prepared sqlite3_stmt */
};

static void dr_sqlite_store_iface_init (DrStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DrSqliteStore, dr_sqlite_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DR_TYPE_STORE, dr_sqlite_store_iface_init))

/* A cached statement borrowed for one use. Releasing it resets it for the next user, which
 * also ends the read it may hold open. */
typedef sqlite3_stmt DrCachedStatement;

static void
dr_cached_statement_release (DrCachedStatement *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrCachedStatement, dr_cached_statement_release)

/* Statements. */

static DrCachedStatement *
prepare_cached (DrSqliteStore  *self,
                const char     *sql,
                GError        **error)
{
  sqlite3_stmt *stmt;
  int result;

  g_assert (DR_IS_SQLITE_STORE (self));
  g_assert (sql != NULL);

  stmt = g_hash_table_lookup (self->statements, sql);
  if (stmt != NULL)
    return stmt;

  result = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (result != SQLITE_OK) {
    dr_sqlite_set_error (self->db, result, error, _("Could not prepare a query of the store %s"),
                         self->path);
    return NULL;
  }

  /* The SQL strings are literals that live as long as the program. */
  g_hash_table_insert (self->statements, (gpointer) sql, stmt);
  return stmt;
}

static gboolean
exec_sql (DrSqliteStore  *self,
          const char     *sql,
          GError        **error)
{
  int result;

  g_assert (DR_IS_SQLITE_STORE (self));

  result = sqlite3_exec (self->db, sql, NULL, NULL, NULL);
  if (result != SQLITE_OK)
    return dr_sqlite_set_error (self->db, result, error,
                                _("Could not run “%s” on the store %s"), sql, self->path);

  return TRUE;
}

/* Transactions. Each public method runs between begin_transaction () and
 * end_transaction (). The outer level is a real transaction. Nested levels are savepoints,
 * so a failed inner call undoes only its own writes and the outer function decides what
 * happens next. */

static gboolean
begin_transaction (DrSqliteStore  *self,
                   gboolean        write,
                   GError        **error)
{
  int result;

  g_assert (DR_IS_SQLITE_STORE (self));

  g_rec_mutex_lock (&self->mutex);

  if (self->depth == 0) {
    /* IMMEDIATE takes the write lock at once, so a write cannot fail half-way with
     * SQLITE_BUSY because another connection started writing first. */
    result = sqlite3_exec (self->db, write ? "BEGIN IMMEDIATE" : "BEGIN", NULL, NULL, NULL);
  } else {
    result = sqlite3_exec (self->db, "SAVEPOINT dr_nested", NULL, NULL, NULL);
  }

  if (result != SQLITE_OK) {
    dr_sqlite_set_error (self->db, result, error,
                         _("Could not start a transaction on the store %s"), self->path);
    g_rec_mutex_unlock (&self->mutex);
    return FALSE;
  }

  self->depth++;
  return TRUE;
}

/* Commits the innermost transaction when @ok, or rolls it back. Returns whether it was
 * committed; a failed commit sets @error. */
static gboolean
end_transaction (DrSqliteStore  *self,
                 gboolean        ok,
                 GError        **error)
{
  g_assert (DR_IS_SQLITE_STORE (self));
  g_assert (self->depth > 0);

  self->depth--;

  if (self->depth > 0) {
    if (ok) {
      ok = exec_sql (self, "RELEASE dr_nested", error);
    } else {
      sqlite3_exec (self->db, "ROLLBACK TO dr_nested", NULL, NULL, NULL);
      sqlite3_exec (self->db, "RELEASE dr_nested", NULL, NULL, NULL);
    }
  } else if (ok) {
    int result = sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);

    if (result != SQLITE_OK)
      ok = dr_sqlite_set_error (self->db, result, error,
                                _("Could not save changes to the store %s"), self->path);
  }

  /* Some errors roll the transaction back by themselves, and then ROLLBACK would fail. */
  if (!ok && self->depth == 0 && !sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);

  g_rec_mutex_unlock (&self->mutex);
  return ok;
}

static gboolean
dr_sqlite_store_transaction (DrStore                *store,
                             DrStoreTransactionFunc  func,
                             gpointer                user_data,
                             GError                **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  gboolean ok;

  if (!begin_transaction (self, TRUE, error))
    return FALSE;

  ok = func (store, user_data, error);

  return end_transaction (self, ok, error);
}

/* Wraps a method that returns a new object or array: a NULL result is a failure only when
 * it came with an error. */
static gpointer
end_read (DrSqliteStore   *self,
          gpointer         result,
          GDestroyNotify   free_func,
          GError          *local_error,
          GError         **error)
{
  if (!end_transaction (self, local_error == NULL, &local_error)) {
    g_clear_pointer (&result, free_func);
    g_propagate_error (error, local_error);
    return NULL;
  }

  return result;
}

/* Steps every row of @stmt into a new array through @read_row. */
static GPtrArray *
collect_rows (DrSqliteStore      *self,
              sqlite3_stmt       *stmt,
              DrSqliteRowReader   read_row,
              GDestroyNotify      free_func,
              const char         *operation,
              GError            **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  int result;

  g_assert (DR_IS_SQLITE_STORE (self));

  while ((result = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, read_row (stmt));

  if (result != SQLITE_DONE) {
    dr_sqlite_set_error (self->db, result, error, "%s", operation);
    return NULL;
  }

  return g_steal_pointer (&rows);
}

/* Runs a statement that returns no rows. */
static gboolean
step_done (DrSqliteStore *self,
           sqlite3_stmt  *stmt,
           int           *result)
{
  g_assert (DR_IS_SQLITE_STORE (self));

  *result = sqlite3_step (stmt);
  return *result == SQLITE_DONE;
}

/* Builds. */

static gboolean
insert_build_locked (DrSqliteStore  *self,
                     DrBuild        *build,
                     GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  int result;

  stmt = prepare_cached (self,
                         "INSERT INTO builds (service, version, git_commit, image, source, "
                         "recorded_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                         error);
  if (stmt == NULL)
    return FALSE;

  dr_sqlite_bind_text (stmt, 1, build->service);
  dr_sqlite_bind_text (stmt, 2, build->version);
  dr_sqlite_bind_text (stmt, 3, build->commit);
  dr_sqlite_bind_text (stmt, 4, build->image);
  dr_sqlite_bind_text (stmt, 5, build->source);
  dr_sqlite_bind_text (stmt, 6, build->recorded_by);
  sqlite3_bind_int64 (stmt, 7, build->recorded_at);

  if (!step_done (self, stmt, &result)) {
    if (dr_sqlite_error_code (result) == DR_STORE_ERROR_EXISTS) {
      g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_EXISTS,
                   _("Could not record build %s %s: that version is already recorded, so "
                     "give the new build a new version (%s)"),
                   build->service, build->version, sqlite3_errmsg (self->db));
      return FALSE;
    }

    return dr_sqlite_set_error (self->db, result, error, _("Could not record build %s %s"),
                                build->service, build->version);
  }

  build->id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

static gboolean
dr_sqlite_store_insert_build (DrStore  *store,
                              DrBuild  *build,
                              GError  **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  gboolean ok;

  if (!begin_transaction (self, TRUE, error))
    return FALSE;

  ok = insert_build_locked (self, build, error);

  return end_transaction (self, ok, error);
}

static DrBuild *
find_build_locked (DrSqliteStore  *self,
                   const char     *service,
                   const char     *version,
                   GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *operation = NULL;

  stmt = prepare_cached (self,
                         "SELECT " DR_SQLITE_BUILD_COLUMNS " FROM builds "
                         "WHERE service = ?1 AND version = ?2",
                         error);
  if (stmt == NULL)
    return NULL;

  operation = g_strdup_printf (_("Could not read build %s %s"), service, version);
  dr_sqlite_bind_text (stmt, 1, service);
  dr_sqlite_bind_text (stmt, 2, version);
  rows = collect_rows (self, stmt, dr_sqlite_read_build, (GDestroyNotify) dr_build_free, operation,
                       error);
  if (rows == NULL || rows->len == 0)
    return NULL;

  return g_ptr_array_steal_index (rows, 0);
}

static DrBuild *
dr_sqlite_store_find_build (DrStore     *store,
                            const char  *service,
                            const char  *version,
                            GError     **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  g_autoptr(GError) local_error = NULL;
  DrBuild *result;

  if (!begin_transaction (self, FALSE, error))
    return NULL;

  result = find_build_locked (self, service, version, &local_error);

  return end_read (self, result, (GDestroyNotify) dr_build_free, g_steal_pointer (&local_error),
                   error);
}

static GPtrArray *
list_builds_locked (DrSqliteStore  *self,
                    const char     *service,
                    GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;

  stmt = prepare_cached (self,
                         "SELECT " DR_SQLITE_BUILD_COLUMNS " FROM builds "
                         "WHERE ?1 IS NULL OR service = ?1 ORDER BY recorded_at DESC, id DESC",
                         error);
  if (stmt == NULL)
    return NULL;

  dr_sqlite_bind_text (stmt, 1, service);
  return collect_rows (self, stmt, dr_sqlite_read_build, (GDestroyNotify) dr_build_free,
                       _("Could not read the builds"), error);
}

static GPtrArray *
dr_sqlite_store_list_builds (DrStore     *store,
                             const char  *service,
                             GError     **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  g_autoptr(GError) local_error = NULL;
  GPtrArray *result;

  if (!begin_transaction (self, FALSE, error))
    return NULL;

  result = list_builds_locked (self, service, &local_error);

  return end_read (self, result, (GDestroyNotify) g_ptr_array_unref, g_steal_pointer (&local_error),
                   error);
}

/* Deployments. */

static gboolean
insert_deployment_locked (DrSqliteStore  *self,
                          DrDeployment   *deployment,
                          GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  int result;

  stmt = prepare_cached (self,
                         "INSERT INTO deployments (service, version, environment, state, "
                         "verified, person, run_id, started_at, finished_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                         error);
  if (stmt == NULL)
    return FALSE;

  dr_sqlite_bind_text (stmt, 1, deployment->service);
  dr_sqlite_bind_text (stmt, 2, deployment->version);
  dr_sqlite_bind_text (stmt, 3, deployment->environment);
  dr_sqlite_bind_text (stmt, 4, dr_deployment_state_to_string (deployment->state));
  sqlite3_bind_int (stmt, 5, deployment->verified ? 1 : 0);
  dr_sqlite_bind_text (stmt, 6, deployment->person);
  dr_sqlite_bind_optional_id (stmt, 7, deployment->run_id);
  sqlite3_bind_int64 (stmt, 8, deployment->started_at);
  sqlite3_bind_int64 (stmt, 9, deployment->finished_at);

  if (!step_done (self, stmt, &result))
    return dr_sqlite_set_error (self->db, result, error,
                                _("Could not record the deployment of %s %s to %s"),
                                deployment->service, deployment->version,
                                deployment->environment);

  deployment->id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

static gboolean
dr_sqlite_store_insert_deployment (DrStore       *store,
                                   DrDeployment  *deployment,
                                   GError       **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  gboolean ok;

  if (!begin_transaction (self, TRUE, error))
    return FALSE;

  ok = insert_deployment_locked (self, deployment, error);

  return end_transaction (self, ok, error);
}

static gboolean
update_deployment_locked (DrSqliteStore       *self,
                          const DrDeployment  *deployment,
                          GError             **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  int result;

  stmt = prepare_cached (self,
                         "UPDATE deployments SET service = ?2, version = ?3, environment = ?4, "
                         "state = ?5, verified = ?6, person = ?7, run_id = ?8, "
                         "started_at = ?9, finished_at = ?10 WHERE id = ?1",
                         error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, deployment->id);
  dr_sqlite_bind_text (stmt, 2, deployment->service);
  dr_sqlite_bind_text (stmt, 3, deployment->version);
  dr_sqlite_bind_text (stmt, 4, deployment->environment);
  dr_sqlite_bind_text (stmt, 5, dr_deployment_state_to_string (deployment->state));
  sqlite3_bind_int (stmt, 6, deployment->verified ? 1 : 0);
  dr_sqlite_bind_text (stmt, 7, deployment->person);
  dr_sqlite_bind_optional_id (stmt, 8, deployment->run_id);
  sqlite3_bind_int64 (stmt, 9, deployment->started_at);
  sqlite3_bind_int64 (stmt, 10, deployment->finished_at);

  if (!step_done (self, stmt, &result))
    return dr_sqlite_set_error (self->db, result, error,
                                _("Could not update deployment %lld of %s %s"),
                                (long long) deployment->id, deployment->service,
                                deployment->version);

  if (sqlite3_changes (self->db) == 0) {
    g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_NOT_FOUND,
                 _("Could not update deployment %lld of %s %s: the store "
                   "has no deployment with that id"),
                 (long long) deployment->id, deployment->service, deployment->version);
    return FALSE;
  }

  return TRUE;
}

static gboolean
dr_sqlite_store_update_deployment (DrStore             *store,
                                   const DrDeployment  *deployment,
                                   GError             **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  gboolean ok;

  if (!begin_transaction (self, TRUE, error))
    return FALSE;

  ok = update_deployment_locked (self, deployment, error);

  return end_transaction (self, ok, error);
}

static GPtrArray *
list_deployments_locked (DrSqliteStore  *self,
                         const char     *service,
                         GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;

  stmt = prepare_cached (self,
                         "SELECT " DR_SQLITE_DEPLOYMENT_COLUMNS " FROM deployments "
                         "WHERE ?1 IS NULL OR service = ?1 ORDER BY started_at DESC, id DESC",
                         error);
  if (stmt == NULL)
    return NULL;

  dr_sqlite_bind_text (stmt, 1, service);
  return collect_rows (self, stmt, dr_sqlite_read_deployment, (GDestroyNotify) dr_deployment_free,
                       _("Could not read the deployments"), error);
}

static GPtrArray *
dr_sqlite_store_list_deployments (DrStore     *store,
                                  const char  *service,
                                  GError     **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  g_autoptr(GError) local_error = NULL;
  GPtrArray *result;

  if (!begin_transaction (self, FALSE, error))
    return NULL;

  result = list_deployments_locked (self, service, &local_error);

  return end_read (self, result, (GDestroyNotify) g_ptr_array_unref, g_steal_pointer (&local_error),
                   error);
}

/* Runs. */

static gboolean
upsert_step_locked (DrSqliteStore          *self,
                    gint64                  run_id,
                    const DrRunStepRecord  *step,
                    GError                **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  int result;

  stmt = prepare_cached (self,
                         "INSERT INTO run_steps (run_id, " DR_SQLITE_STEP_COLUMNS ") "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                         "ON CONFLICT (run_id, step_index) DO UPDATE SET "
                         "name = excluded.name, command = excluded.command, "
                         "state = excluded.state, started_at = excluded.started_at, "
                         "finished_at = excluded.finished_at, "
                         "exit_status = excluded.exit_status, message = excluded.message",
                         error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int (stmt, 2, step->index);
  dr_sqlite_bind_text (stmt, 3, step->name);
  dr_sqlite_bind_text (stmt, 4, step->command);
  dr_sqlite_bind_text (stmt, 5, dr_step_state_to_string (step->state));
  sqlite3_bind_int64 (stmt, 6, step->started_at);
  sqlite3_bind_int64 (stmt, 7, step->finished_at);
  sqlite3_bind_int (stmt, 8, step->exit_status);
  dr_sqlite_bind_text (stmt, 9, step->message);

  if (!step_done (self, stmt, &result))
    return dr_sqlite_set_error (self->db, result, error,
                                _("Could not record step %u “%s” of run %lld"),
                                step->index, step->name, (long long) run_id);

  return TRUE;
}

static DrRunRecord *
find_running_run_locked (DrSqliteStore  *self,
                         const char     *service,
                         const char     *environment,
                         GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  stmt = prepare_cached (self,
                         "SELECT " DR_SQLITE_RUN_COLUMNS " FROM runs WHERE state = 'running' "
                         "AND service = ?1 AND environment IS ?2",
                         error);
  if (stmt == NULL)
    return NULL;

  dr_sqlite_bind_text (stmt, 1, service);
  dr_sqlite_bind_text (stmt, 2, environment);
  rows = collect_rows (self, stmt, dr_sqlite_read_run, (GDestroyNotify) dr_run_record_free,
                       _("Could not read the running runs"), error);
  if (rows == NULL || rows->len == 0)
    return NULL;

  return g_ptr_array_steal_index (rows, 0);
}

static void
set_busy_error (GError            **error,
                const DrRunRecord  *new_run,
                const DrRunRecord  *running)
{
  g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_BUSY,
               _("Could not start a %s run of %s in %s: run %lld (%s, started "
                 "by %s) is still running there. Wait for it to end, or cancel it."),
               dr_run_kind_describe (new_run->kind), new_run->service,
               new_run->environment != NULL ? new_run->environment : _("no environment"),
               (long long) running->id, dr_run_kind_describe (running->kind),
               running->person != NULL ? running->person : _("an unknown person"));
}

static gboolean
insert_run_locked (DrSqliteStore  *self,
                   DrRunRecord    *run,
                   GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  int result;

  if (run->state == DR_RUN_STATE_RUNNING) {
    g_autoptr(GError) local_error = NULL;
    g_autoptr(DrRunRecord) running = NULL;

    running = find_running_run_locked (self, run->service, run->environment, &local_error);
    if (local_error != NULL) {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

    if (running != NULL) {
      set_busy_error (error, run, running);
      return FALSE;
    }
  }

  stmt = prepare_cached (self,
                         "INSERT INTO runs (kind, service, version, environment, checklist, "
                         "item, state, person, started_at, finished_at, log_path, message, "
                         "owner) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                         error);
  if (stmt == NULL)
    return FALSE;

  dr_sqlite_bind_text (stmt, 1, dr_run_kind_to_string (run->kind));
  dr_sqlite_bind_text (stmt, 2, run->service);
  dr_sqlite_bind_text (stmt, 3, run->version);
  dr_sqlite_bind_text (stmt, 4, run->environment);
  dr_sqlite_bind_text (stmt, 5, run->checklist);
  dr_sqlite_bind_text (stmt, 6, run->item);
  dr_sqlite_bind_text (stmt, 7, dr_run_state_to_string (run->state));
  dr_sqlite_bind_text (stmt, 8, run->person);
  sqlite3_bind_int64 (stmt, 9, run->started_at);
  sqlite3_bind_int64 (stmt, 10, run->finished_at);
  dr_sqlite_bind_text (stmt, 11, run->log_path);
  dr_sqlite_bind_text (stmt, 12, run->message);
  dr_sqlite_bind_text (stmt, 13, run->owner);

  if (!step_done (self, stmt, &result))
    return dr_sqlite_set_error (self->db, result, error, _("Could not record the %s run of %s %s"),
                                dr_run_kind_describe (run->kind), run->service,
                                run->version != NULL ? run->version : "");

  run->id = sqlite3_last_insert_rowid (self->db);

  for (guint i = 0; run->steps != NULL && i < run->steps->len; i++) {
    if (!upsert_step_locked (self, run->id, g_ptr_array_index (run->steps, i), error))
      return FALSE;
  }

  return TRUE;
}

static gboolean
dr_sqlite_store_insert_run (DrStore      *store,
                            DrRunRecord  *run,
                            GError      **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  gint64 id_before = run->id;
  gboolean ok;

  if (!begin_transaction (self, TRUE, error))
    return FALSE;

  ok = insert_run_locked (self, run, error);
  if (!ok)
    run->id = id_before;

  return end_transaction (self, ok, error);
}

static gboolean
update_run_locked (DrSqliteStore      *self,
                   const DrRunRecord  *run,
                   GError            **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  int result;

  stmt = prepare_cached (self,
                         "UPDATE runs SET kind = ?2, service = ?3, version = ?4, "
                         "environment = ?5, checklist = ?6, item = ?7, state = ?8, "
                         "person = ?9, started_at = ?10, finished_at = ?11, log_path = ?12, "
                         "message = ?13, owner = ?14 WHERE id = ?1",
                         error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, run->id);
  dr_sqlite_bind_text (stmt, 2, dr_run_kind_to_string (run->kind));
  dr_sqlite_bind_text (stmt, 3, run->service);
  dr_sqlite_bind_text (stmt, 4, run->version);
  dr_sqlite_bind_text (stmt, 5, run->environment);
  dr_sqlite_bind_text (stmt, 6, run->checklist);
  dr_sqlite_bind_text (stmt, 7, run->item);
  dr_sqlite_bind_text (stmt, 8, dr_run_state_to_string (run->state));
  dr_sqlite_bind_text (stmt, 9, run->person);
  sqlite3_bind_int64 (stmt, 10, run->started_at);
  sqlite3_bind_int64 (stmt, 11, run->finished_at);
  dr_sqlite_bind_text (stmt, 12, run->log_path);
  dr_sqlite_bind_text (stmt, 13, run->message);
  dr_sqlite_bind_text (stmt, 14, run->owner);

  if (!step_done (self, stmt, &result)) {
    if (dr_sqlite_error_code (result) == DR_STORE_ERROR_EXISTS) {
      g_autoptr(DrRunRecord) running = find_running_run_locked (self, run->service,
                                                                run->environment, NULL);

      if (running != NULL) {
        set_busy_error (error, run, running);
        return FALSE;
      }
    }

    return dr_sqlite_set_error (self->db, result, error,
                                _("Could not update run %lld"), (long long) run->id);
  }

  if (sqlite3_changes (self->db) == 0) {
    g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_NOT_FOUND,
                 _("Could not update run %lld: the store has no run with that id"),
                 (long long) run->id);
    return FALSE;
  }

  return TRUE;
}

static gboolean
dr_sqlite_store_update_run (DrStore            *store,
                            const DrRunRecord  *run,
                            GError            **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  gboolean ok;

  if (!begin_transaction (self, TRUE, error))
    return FALSE;

  ok = update_run_locked (self, run, error);

  return end_transaction (self, ok, error);
}

static gboolean
dr_sqlite_store_update_run_step (DrStore                *store,
                                 gint64                  run_id,
                                 const DrRunStepRecord  *step,
                                 GError                **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  gboolean ok;

  if (!begin_transaction (self, TRUE, error))
    return FALSE;

  ok = upsert_step_locked (self, run_id, step, error);

  return end_transaction (self, ok, error);
}

static gboolean
load_steps_locked (DrSqliteStore  *self,
                   DrRunRecord    *run,
                   GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  g_autofree char *operation = NULL;
  GPtrArray *steps;

  stmt = prepare_cached (self,
                         "SELECT " DR_SQLITE_STEP_COLUMNS " FROM run_steps WHERE run_id = ?1 "
                         "ORDER BY step_index",
                         error);
  if (stmt == NULL)
    return FALSE;

  operation = g_strdup_printf (_("Could not read the steps of run %lld"),
                               (long long) run->id);
  sqlite3_bind_int64 (stmt, 1, run->id);
  steps = collect_rows (self, stmt, dr_sqlite_read_step,
                        (GDestroyNotify) dr_run_step_record_free, operation, error);
  if (steps == NULL)
    return FALSE;

  g_clear_pointer (&run->steps, g_ptr_array_unref);
  run->steps = steps;
  return TRUE;
}

/* Reads the runs that @filter selects, newest first, each with its steps. */
static GPtrArray *
list_runs_locked (DrSqliteStore      *self,
                  const DrRunFilter  *filter,
                  GError            **error)
{
  DrRunFilter everything = { 0 };
  g_autoptr(GPtrArray) runs = NULL;

  if (filter == NULL)
    filter = &everything;

  {
    g_autoptr(DrCachedStatement) stmt = NULL;

    stmt = prepare_cached (self,
                           "SELECT " DR_SQLITE_RUN_COLUMNS " FROM runs "
                           "WHERE (?1 IS NULL OR service = ?1) "
                           "AND (?2 IS NULL OR environment = ?2) "
                           "AND (?3 = 0 OR state = 'running') "
                           "ORDER BY started_at DESC, id DESC LIMIT ?4",
                           error);
    if (stmt == NULL)
      return NULL;

    dr_sqlite_bind_text (stmt, 1, filter->service);
    dr_sqlite_bind_text (stmt, 2, filter->environment);
    sqlite3_bind_int (stmt, 3, filter->running_only ? 1 : 0);
    sqlite3_bind_int64 (stmt, 4, filter->limit > 0 ? (gint64) filter->limit : -1);
    runs = collect_rows (self, stmt, dr_sqlite_read_run, (GDestroyNotify) dr_run_record_free,
                         _("Could not read the runs"), error);
    if (runs == NULL)
      return NULL;
  }

  /* The steps are read after the runs statement has been reset, so that the two cached
   * statements never interleave. */
  for (guint i = 0; i < runs->len; i++) {
    if (!load_steps_locked (self, g_ptr_array_index (runs, i), error))
      return NULL;
  }

  return g_steal_pointer (&runs);
}

static DrRunRecord *
find_run_locked (DrSqliteStore  *self,
                 gint64          run_id,
                 GError        **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(DrRunRecord) run = NULL;

  {
    g_autoptr(DrCachedStatement) stmt = NULL;
    g_autofree char *operation = NULL;

    stmt = prepare_cached (self, "SELECT " DR_SQLITE_RUN_COLUMNS " FROM runs WHERE id = ?1", error);
    if (stmt == NULL)
      return NULL;

    operation = g_strdup_printf (_("Could not read run %lld"), (long long) run_id);
    sqlite3_bind_int64 (stmt, 1, run_id);
    rows = collect_rows (self, stmt, dr_sqlite_read_run, (GDestroyNotify) dr_run_record_free,
                         operation, error);
    if (rows == NULL || rows->len == 0)
      return NULL;
  }

  run = g_ptr_array_steal_index (rows, 0);
  if (!load_steps_locked (self, run, error))
    return NULL;

  return g_steal_pointer (&run);
}

static DrRunRecord *
dr_sqlite_store_find_run (DrStore  *store,
                          gint64    run_id,
                          GError  **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  g_autoptr(GError) local_error = NULL;
  DrRunRecord *result;

  if (!begin_transaction (self, FALSE, error))
    return NULL;

  result = find_run_locked (self, run_id, &local_error);

  return end_read (self, result, (GDestroyNotify) dr_run_record_free,
                   g_steal_pointer (&local_error), error);
}

static GPtrArray *
dr_sqlite_store_list_runs (DrStore            *store,
                           const DrRunFilter  *filter,
                           GError            **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  g_autoptr(GError) local_error = NULL;
  GPtrArray *result;

  if (!begin_transaction (self, FALSE, error))
    return NULL;

  result = list_runs_locked (self, filter, &local_error);

  return end_read (self, result, (GDestroyNotify) g_ptr_array_unref, g_steal_pointer (&local_error),
                   error);
}

/* Sign-offs and approvals. */

static gboolean
insert_signoff_locked (DrSqliteStore  *self,
                       DrSignoff      *signoff,
                       GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  int result;

  stmt = prepare_cached (self,
                         "INSERT INTO signoffs (service, version, checklist, item, person, "
                         "role, at, comment, revoked, run_id) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                         error);
  if (stmt == NULL)
    return FALSE;

  dr_sqlite_bind_text (stmt, 1, signoff->service);
  dr_sqlite_bind_text (stmt, 2, signoff->version);
  dr_sqlite_bind_text (stmt, 3, signoff->checklist);
  dr_sqlite_bind_text (stmt, 4, signoff->item);
  dr_sqlite_bind_text (stmt, 5, signoff->person);
  dr_sqlite_bind_text (stmt, 6, signoff->role);
  sqlite3_bind_int64 (stmt, 7, signoff->at);
  dr_sqlite_bind_text (stmt, 8, signoff->comment);
  sqlite3_bind_int (stmt, 9, signoff->revoked ? 1 : 0);
  dr_sqlite_bind_optional_id (stmt, 10, signoff->run_id);

  if (!step_done (self, stmt, &result))
    return dr_sqlite_set_error (self->db, result, error,
                                _("Could not record the sign-off of “%s” for %s %s"),
                                signoff->item, signoff->service, signoff->version);

  signoff->id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

static gboolean
dr_sqlite_store_insert_signoff (DrStore    *store,
                                DrSignoff  *signoff,
                                GError    **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  gboolean ok;

  if (!begin_transaction (self, TRUE, error))
    return FALSE;

  ok = insert_signoff_locked (self, signoff, error);

  return end_transaction (self, ok, error);
}

static GPtrArray *
list_signoffs_locked (DrSqliteStore  *self,
                      const char     *service,
                      const char     *version,
                      GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  g_autofree char *operation = NULL;

  stmt = prepare_cached (self,
                         "SELECT " DR_SQLITE_SIGNOFF_COLUMNS " FROM signoffs "
                         "WHERE service = ?1 AND (?2 IS NULL OR version = ?2) ORDER BY at, id",
                         error);
  if (stmt == NULL)
    return NULL;

  operation = g_strdup_printf (_("Could not read the sign-offs of %s"), service);
  dr_sqlite_bind_text (stmt, 1, service);
  dr_sqlite_bind_text (stmt, 2, version);
  return collect_rows (self, stmt, dr_sqlite_read_signoff, (GDestroyNotify) dr_signoff_free,
                       operation, error);
}

static GPtrArray *
dr_sqlite_store_list_signoffs (DrStore     *store,
                               const char  *service,
                               const char  *version,
                               GError     **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  g_autoptr(GError) local_error = NULL;
  GPtrArray *result;

  if (!begin_transaction (self, FALSE, error))
    return NULL;

  result = list_signoffs_locked (self, service, version, &local_error);

  return end_read (self, result, (GDestroyNotify) g_ptr_array_unref, g_steal_pointer (&local_error),
                   error);
}

static gboolean
insert_approval_locked (DrSqliteStore  *self,
                        DrApproval     *approval,
                        GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  int result;

  stmt = prepare_cached (self,
                         "INSERT INTO approvals (service, version, environment, role, person, "
                         "decision, comment, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                         error);
  if (stmt == NULL)
    return FALSE;

  dr_sqlite_bind_text (stmt, 1, approval->service);
  dr_sqlite_bind_text (stmt, 2, approval->version);
  dr_sqlite_bind_text (stmt, 3, approval->environment);
  dr_sqlite_bind_text (stmt, 4, approval->role);
  dr_sqlite_bind_text (stmt, 5, approval->person);
  dr_sqlite_bind_text (stmt, 6, dr_decision_to_string (approval->decision));
  dr_sqlite_bind_text (stmt, 7, approval->comment);
  sqlite3_bind_int64 (stmt, 8, approval->at);

  if (!step_done (self, stmt, &result))
    return dr_sqlite_set_error (self->db, result, error,
                                _("Could not record the decision on %s %s for %s"),
                                approval->service, approval->version, approval->environment);

  approval->id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

static gboolean
dr_sqlite_store_insert_approval (DrStore     *store,
                                 DrApproval  *approval,
                                 GError     **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  gboolean ok;

  if (!begin_transaction (self, TRUE, error))
    return FALSE;

  ok = insert_approval_locked (self, approval, error);

  return end_transaction (self, ok, error);
}

static GPtrArray *
list_approvals_locked (DrSqliteStore  *self,
                       const char     *service,
                       const char     *version,
                       GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  g_autofree char *operation = NULL;

  stmt = prepare_cached (self,
                         "SELECT " DR_SQLITE_APPROVAL_COLUMNS " FROM approvals "
                         "WHERE service = ?1 AND (?2 IS NULL OR version = ?2) ORDER BY at, id",
                         error);
  if (stmt == NULL)
    return NULL;

  operation = g_strdup_printf (_("Could not read the approvals of %s"), service);
  dr_sqlite_bind_text (stmt, 1, service);
  dr_sqlite_bind_text (stmt, 2, version);
  return collect_rows (self, stmt, dr_sqlite_read_approval, (GDestroyNotify) dr_approval_free,
                       operation, error);
}

static GPtrArray *
dr_sqlite_store_list_approvals (DrStore     *store,
                                const char  *service,
                                const char  *version,
                                GError     **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  g_autoptr(GError) local_error = NULL;
  GPtrArray *result;

  if (!begin_transaction (self, FALSE, error))
    return NULL;

  result = list_approvals_locked (self, service, version, &local_error);

  return end_read (self, result, (GDestroyNotify) g_ptr_array_unref, g_steal_pointer (&local_error),
                   error);
}

/* The audit record. */

/* Reads the sequence number and hash of the last audit event, or 0 and the all-zero hash
 * when there is none. */
static gboolean
read_audit_tail_locked (DrSqliteStore  *self,
                        gint64         *seq,
                        char          **hash,
                        GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  int result;

  stmt = prepare_cached (self, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", error);
  if (stmt == NULL)
    return FALSE;

  result = sqlite3_step (stmt);
  if (result == SQLITE_ROW) {
    *seq = sqlite3_column_int64 (stmt, 0);
    *hash = dr_sqlite_column_dup_text (stmt, 1);
    return TRUE;
  }

  if (result == SQLITE_DONE) {
    *seq = 0;
    *hash = g_strdup (FIRST_PREVIOUS_HASH);
    return TRUE;
  }

  return dr_sqlite_set_error (self->db, result, error, _("Could not read the audit record"));
}

static gboolean
append_audit_locked (DrSqliteStore  *self,
                     DrAuditEvent   *event,
                     GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;
  g_autofree char *previous_hash = NULL;
  gint64 last_seq = 0;
  int result;

  if (!read_audit_tail_locked (self, &last_seq, &previous_hash, error))
    return FALSE;

  event->seq = last_seq + 1;
  g_free (event->previous_hash);
  event->previous_hash = g_strdup (previous_hash);
  g_free (event->hash);
  event->hash = dr_audit_event_compute_hash (event, previous_hash);

  stmt = prepare_cached (self,
                         "INSERT INTO audit (" DR_SQLITE_AUDIT_COLUMNS ") "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                         error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, event->seq);
  sqlite3_bind_int64 (stmt, 2, event->at);
  dr_sqlite_bind_text (stmt, 3, event->person);
  dr_sqlite_bind_text (stmt, 4, event->action);
  dr_sqlite_bind_text (stmt, 5, event->service);
  dr_sqlite_bind_text (stmt, 6, event->version);
  dr_sqlite_bind_text (stmt, 7, event->environment);
  dr_sqlite_bind_text (stmt, 8, event->detail);
  dr_sqlite_bind_text (stmt, 9, event->previous_hash);
  dr_sqlite_bind_text (stmt, 10, event->hash);

  if (!step_done (self, stmt, &result))
    return dr_sqlite_set_error (self->db, result, error, _("Could not record the audit event “%s”"),
                                event->action);

  return TRUE;
}

static gboolean
dr_sqlite_store_append_audit (DrStore       *store,
                              DrAuditEvent  *event,
                              GError       **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  gboolean ok;

  if (!begin_transaction (self, TRUE, error))
    return FALSE;

  ok = append_audit_locked (self, event, error);

  return end_transaction (self, ok, error);
}

static GPtrArray *
list_audit_locked (DrSqliteStore  *self,
                   gint64          after_seq,
                   guint           limit,
                   GError        **error)
{
  g_autoptr(DrCachedStatement) stmt = NULL;

  stmt = prepare_cached (self,
                         "SELECT " DR_SQLITE_AUDIT_COLUMNS " FROM audit WHERE seq > ?1 "
                         "ORDER BY seq LIMIT ?2",
                         error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_int64 (stmt, 1, after_seq);
  sqlite3_bind_int64 (stmt, 2, limit > 0 ? (gint64) limit : -1);
  return collect_rows (self, stmt, dr_sqlite_read_audit_event, (GDestroyNotify) dr_audit_event_free,
                       _("Could not read the audit record"), error);
}

static GPtrArray *
dr_sqlite_store_list_audit (DrStore  *store,
                            gint64    after_seq,
                            guint     limit,
                            GError  **error)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  g_autoptr(GError) local_error = NULL;
  GPtrArray *result;

  if (!begin_transaction (self, FALSE, error))
    return NULL;

  result = list_audit_locked (self, after_seq, limit, &local_error);

  return end_read (self, result, (GDestroyNotify) g_ptr_array_unref, g_steal_pointer (&local_error),
                   error);
}

/* PRAGMA data_version changes when another connection commits, and only then. */
static gint64
dr_sqlite_store_get_change_counter (DrStore *store)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrCachedStatement) stmt = NULL;
  gint64 counter = 0;

  g_rec_mutex_lock (&self->mutex);

  stmt = prepare_cached (self, "PRAGMA data_version", &error);
  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    counter = sqlite3_column_int64 (stmt, 0);
  else
    g_debug ("Could not read the data version of %s: %s", self->path,
             error != NULL ? error->message : sqlite3_errmsg (self->db));
  g_clear_pointer (&stmt, dr_cached_statement_release);

  g_rec_mutex_unlock (&self->mutex);
  return counter;
}

/* The file's path with symbolic links resolved, so that two paths to one file give one
 * location. */
static char *
dr_sqlite_store_dup_location (DrStore *store)
{
  DrSqliteStore *self = DR_SQLITE_STORE (store);
  /* GLib allocates with the system's malloc(), so g_free() frees what realpath() returns. */
  char *resolved = realpath (self->path, NULL);

  if (resolved == NULL)
    return g_canonicalize_filename (self->path, NULL);

  return resolved;
}

static void
dr_sqlite_store_iface_init (DrStoreInterface *iface)
{
  iface->transaction = dr_sqlite_store_transaction;
  iface->insert_build = dr_sqlite_store_insert_build;
  iface->find_build = dr_sqlite_store_find_build;
  iface->list_builds = dr_sqlite_store_list_builds;
  iface->insert_deployment = dr_sqlite_store_insert_deployment;
  iface->update_deployment = dr_sqlite_store_update_deployment;
  iface->list_deployments = dr_sqlite_store_list_deployments;
  iface->insert_run = dr_sqlite_store_insert_run;
  iface->update_run = dr_sqlite_store_update_run;
  iface->update_run_step = dr_sqlite_store_update_run_step;
  iface->find_run = dr_sqlite_store_find_run;
  iface->list_runs = dr_sqlite_store_list_runs;
  iface->insert_signoff = dr_sqlite_store_insert_signoff;
  iface->list_signoffs = dr_sqlite_store_list_signoffs;
  iface->insert_approval = dr_sqlite_store_insert_approval;
  iface->list_approvals = dr_sqlite_store_list_approvals;
  iface->append_audit = dr_sqlite_store_append_audit;
  iface->list_audit = dr_sqlite_store_list_audit;
  iface->get_change_counter = dr_sqlite_store_get_change_counter;
  iface->dup_location = dr_sqlite_store_dup_location;
}

/* Opening and migrating. */

/* Brings the file to the latest schema version in one transaction, so that a failed
 * migration leaves the file as it was. The version is read again under the write lock
 * because another process may have migrated the file in the meantime. */
static gboolean
migrate (DrSqliteStore  *self,
         GError        **error)
{
  int latest = dr_sqlite_schema_get_latest_version ();
  int version;
  gboolean ok;

  if (!begin_transaction (self, TRUE, error))
    return FALSE;

  ok = dr_sqlite_schema_read_version (self->db, self->path, &version, error) &&
       dr_sqlite_schema_check_supported (self->db, self->path, version, error);

  if (ok && version < latest) {
    g_debug ("Migrating the store %s from schema version %d to %d", self->path, version,
             latest);
    ok = dr_sqlite_schema_migrate (self->db, self->path, version, error);
  }

  if (!end_transaction (self, ok, error))
    return FALSE;

  self->schema_version = latest;
  return TRUE;
}

/* Counts the tables of the database, SQLite's own excluded. */
static gboolean
count_tables (DrSqliteStore  *self,
              int            *n_tables,
              GError        **error)
{
  sqlite3_stmt *stmt = NULL;
  int result;

  result = sqlite3_prepare_v2 (self->db,
                               "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                               "AND name NOT LIKE 'sqlite_%'",
                               -1, &stmt, NULL);
  if (result == SQLITE_OK) {
    result = sqlite3_step (stmt);
    if (result == SQLITE_ROW) {
      *n_tables = sqlite3_column_int (stmt, 0);
      result = SQLITE_OK;
    }
  }
  sqlite3_finalize (stmt);

  if (result != SQLITE_OK)
    return dr_sqlite_set_error (self->db, result, error, _("Could not read the store %s"),
                                self->path);

  return TRUE;
}

static gboolean
configure_connection (DrSqliteStore           *self,
                      DrSqliteStoreOpenFlags   flags,
                      GError                 **error)
{
  int version;
  int n_tables = 0;

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);

  if (!exec_sql (self, "PRAGMA foreign_keys = ON", error))
    return FALSE;

  /* Refuse a newer file before anything writes to it, the journal mode included. */
  if (!dr_sqlite_schema_read_version (self->db, self->path, &version, error) ||
      !dr_sqlite_schema_check_supported (self->db, self->path, version, error))
    return FALSE;

  /* A file without a schema is a new store only when it is empty and may be created: another
   * program's database, or an empty file that a command only reads, stays as it is. */
  if (version == 0) {
    if (!count_tables (self, &n_tables, error))
      return FALSE;

    if (n_tables > 0) {
      g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_CORRUPT,
                   _("The file %s is an SQLite database of another program, not a Dynamo "
                     "Release store. Nothing in it was changed. Choose another store file."),
                   self->path);
      return FALSE;
    }

    if (!(flags & DR_SQLITE_STORE_OPEN_CREATE_FILE)) {
      g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_NOT_FOUND,
                   _("No store exists at %s yet."), self->path);
      return FALSE;
    }
  }

  /* WAL lets readers in other processes go on while one process writes. With WAL,
   * synchronous=NORMAL keeps the file consistent, but a power cut may lose the last
   * commits (SQLite documentation of PRAGMA synchronous). */
  if (!exec_sql (self, "PRAGMA journal_mode = WAL", error))
    return FALSE;

  return exec_sql (self, "PRAGMA synchronous = NORMAL", error);
}

/**
 * dr_sqlite_store_open:
 * @path: (nullable): the store file, or NULL for dr_sqlite_store_default_path ()
 *
 * Opens the SQLite store at @path, creating the file and its folder (mode 0700) when they
 * do not exist. See dr_sqlite_store_open_full().
 *
 * Returns: (transfer full) (nullable): the store, or NULL with @error set
 */
DrStore *
dr_sqlite_store_open (const char  *path,
                      GError     **error)
{
  return dr_sqlite_store_open_full (path,
                                    DR_SQLITE_STORE_OPEN_CREATE_FILE |
                                    DR_SQLITE_STORE_OPEN_CREATE_FOLDERS,
                                    error);
}

/**
 * dr_sqlite_store_open_full:
 * @path: (nullable): the store file, or NULL for dr_sqlite_store_default_path ()
 * @flags: what may be created when it does not exist
 *
 * Opens the SQLite store at @path and updates its schema to the version this release writes.
 * A missing folder, or a missing file without DR_SQLITE_STORE_OPEN_CREATE_FILE, fails with
 * DR_STORE_ERROR_NOT_FOUND before anything is created. A file that is not an SQLite database
 * fails with DR_STORE_ERROR_CORRUPT, and a file written by a newer release with
 * DR_STORE_ERROR_TOO_NEW; neither file is changed.
 *
 * Returns: (transfer full) (nullable): the store, or NULL with @error set
 */
DrStore *
dr_sqlite_store_open_full (const char              *path,
                           DrSqliteStoreOpenFlags   flags,
                           GError                 **error)
{
  g_autoptr(DrSqliteStore) self = NULL;
  g_autofree char *folder = NULL;
  int open_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;
  int result;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (DR_TYPE_SQLITE_STORE, NULL);
  self->path = path != NULL ? g_strdup (path) : dr_sqlite_store_default_path ();
  folder = g_path_get_dirname (self->path);

  if (flags & DR_SQLITE_STORE_OPEN_CREATE_FOLDERS) {
    if (g_mkdir_with_parents (folder, 0700) != 0) {
      int saved_errno = errno;

      g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_FAILED,
                   _("Could not create the folder %s for the store: %s"), folder,
                   g_strerror (saved_errno));
      return NULL;
    }
  } else if (!g_file_test (folder, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_NOT_FOUND,
                 _("Store %s not found: the folder %s does not exist. Choose a store file in "
                   "an existing folder."),
                 self->path, folder);
    return NULL;
  }

  if (g_file_test (self->path, G_FILE_TEST_IS_DIR)) {
    g_autofree char *example = g_build_filename (self->path, "store.sqlite3", NULL);

    g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_NOT_FOUND,
                 /* Translators: a folder, then a file in it. */
                 _("%s is a folder, not a store file. Give the path of a file, such as %s."),
                 self->path, example);
    return NULL;
  }

  if (flags & DR_SQLITE_STORE_OPEN_CREATE_FILE) {
    open_flags |= SQLITE_OPEN_CREATE;
  } else if (!g_file_test (self->path, G_FILE_TEST_EXISTS)) {
    g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_NOT_FOUND,
                 _("No store exists at %s yet."), self->path);
    return NULL;
  }

  result = sqlite3_open_v2 (self->path, &self->db, open_flags, NULL);
  if (result != SQLITE_OK) {
    dr_sqlite_set_error (self->db, result, error, _("Could not open the store %s"), self->path);
    return NULL;
  }

  if (!configure_connection (self, flags, error) || !migrate (self, error))
    return NULL;

  return DR_STORE (g_steal_pointer (&self));
}

/**
 * dr_sqlite_store_default_path:
 *
 * Returns: (transfer full): the store file in the user's data folder
 */
char *
dr_sqlite_store_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "dynamo-release", "store.sqlite3", NULL);
}

const char *
dr_sqlite_store_get_path (DrSqliteStore *self)
{
  g_return_val_if_fail (DR_IS_SQLITE_STORE (self), NULL);

  return self->path;
}

int
dr_sqlite_store_get_schema_version (DrSqliteStore *self)
{
  g_return_val_if_fail (DR_IS_SQLITE_STORE (self), 0);

  return self->schema_version;
}

static void
finalize_statement (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static void
dr_sqlite_store_finalize (GObject *object)
{
  DrSqliteStore *self = DR_SQLITE_STORE (object);

  g_warn_if_fail (self->depth == 0);

  /* Finalizing the statements first lets sqlite3_close () release the file at once. */
  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_free (self->path);
  g_rec_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (dr_sqlite_store_parent_class)->finalize (object);
}

static void
dr_sqlite_store_class_init (DrSqliteStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dr_sqlite_store_finalize;
}

static void
dr_sqlite_store_init (DrSqliteStore *self)
{
  g_rec_mutex_init (&self->mutex);
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, finalize_statement);
}
