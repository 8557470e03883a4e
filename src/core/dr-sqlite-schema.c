/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-sqlite-rows.h"
#include "dr-sqlite-schema.h"
#include "dr-store.h"

/* The schema, as an ordered list of migrations. Migration i takes a file from schema version
 * i to version i + 1, and PRAGMA user_version stores the version a file is at. To change the
 * schema, append an entry. Never edit an entry that has been released. */
static const char * const migrations[] = {
  /* 1: the first schema. */
  "CREATE TABLE store_info ("
  "  key TEXT PRIMARY KEY,"
  "  value TEXT NOT NULL"
  ");"

  "CREATE TABLE builds ("
  "  id INTEGER PRIMARY KEY,"
  "  service TEXT NOT NULL,"
  "  version TEXT NOT NULL,"
  "  git_commit TEXT,"
  "  image TEXT,"
  "  source TEXT,"
  "  recorded_by TEXT,"
  "  recorded_at INTEGER NOT NULL,"
  "  UNIQUE (service, version)"
  ");"

  "CREATE TABLE runs ("
  "  id INTEGER PRIMARY KEY,"
  "  kind TEXT NOT NULL CHECK (kind IN ('deploy', 'verify', 'check', 'rollback')),"
  "  service TEXT NOT NULL,"
  "  version TEXT,"
  "  environment TEXT,"
  "  checklist TEXT,"
  "  item TEXT,"
  "  state TEXT NOT NULL"
  "    CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),"
  "  person TEXT,"
  "  started_at INTEGER NOT NULL,"
  "  finished_at INTEGER NOT NULL DEFAULT 0,"
  "  log_path TEXT,"
  "  message TEXT,"
  "  owner TEXT"
  ");"
  "CREATE UNIQUE INDEX runs_one_running ON runs (service, environment)"
  "  WHERE state = 'running';"
  "CREATE INDEX runs_by_start ON runs (started_at);"
  "CREATE INDEX runs_by_service ON runs (service, started_at);"

  "CREATE TABLE run_steps ("
  "  run_id INTEGER NOT NULL REFERENCES runs (id),"
  "  step_index INTEGER NOT NULL,"
  "  name TEXT NOT NULL,"
  "  command TEXT,"
  "  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed',"
  "    'timed-out', 'cancelled', 'skipped', 'interrupted')),"
  "  started_at INTEGER NOT NULL DEFAULT 0,"
  "  finished_at INTEGER NOT NULL DEFAULT 0,"
  "  exit_status INTEGER NOT NULL DEFAULT -1,"
  "  message TEXT,"
  "  PRIMARY KEY (run_id, step_index)"
  ") WITHOUT ROWID;"

  "CREATE TABLE deployments ("
  "  id INTEGER PRIMARY KEY,"
  "  service TEXT NOT NULL,"
  "  version TEXT NOT NULL,"
  "  environment TEXT NOT NULL,"
  "  state TEXT NOT NULL"
  "    CHECK (state IN ('in-progress', 'succeeded', 'failed', 'rolled-back')),"
  "  verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),"
  "  person TEXT,"
  "  run_id INTEGER REFERENCES runs (id),"
  "  started_at INTEGER NOT NULL,"
  "  finished_at INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX deployments_by_service ON deployments (service, started_at);"
  "CREATE INDEX deployments_by_run ON deployments (run_id);"

  /* Sign-offs, approvals and audit events are append-only: a revocation or a withdrawal is
   * a new event, and the triggers reject any change to an existing row. */
  "CREATE TABLE signoffs ("
  "  id INTEGER PRIMARY KEY,"
  "  service TEXT NOT NULL,"
  "  version TEXT NOT NULL,"
  "  checklist TEXT NOT NULL,"
  "  item TEXT NOT NULL,"
  "  person TEXT,"
  "  role TEXT,"
  "  at INTEGER NOT NULL,"
  "  comment TEXT,"
  "  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),"
  "  run_id INTEGER REFERENCES runs (id)"
  ");"
  "CREATE INDEX signoffs_by_version ON signoffs (service, version);"
  "CREATE TRIGGER signoffs_no_update BEFORE UPDATE ON signoffs BEGIN"
  "  SELECT RAISE (ABORT, 'sign-offs are append-only; record a revocation instead');"
  "END;"
  "CREATE TRIGGER signoffs_no_delete BEFORE DELETE ON signoffs BEGIN"
  "  SELECT RAISE (ABORT, 'sign-offs are append-only; record a revocation instead');"
  "END;"

  "CREATE TABLE approvals ("
  "  id INTEGER PRIMARY KEY,"
  "  service TEXT NOT NULL,"
  "  version TEXT NOT NULL,"
  "  environment TEXT NOT NULL,"
  "  role TEXT NOT NULL,"
  "  person TEXT,"
  "  decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected', 'withdrawn')),"
  "  comment TEXT,"
  "  at INTEGER NOT NULL"
  ");"
  "CREATE INDEX approvals_by_version ON approvals (service, version);"
  "CREATE TRIGGER approvals_no_update BEFORE UPDATE ON approvals BEGIN"
  "  SELECT RAISE (ABORT, 'approvals are append-only; record a withdrawal instead');"
  "END;"
  "CREATE TRIGGER approvals_no_delete BEFORE DELETE ON approvals BEGIN"
  "  SELECT RAISE (ABORT, 'approvals are append-only; record a withdrawal instead');"
  "END;"

  "CREATE TABLE audit ("
  "  seq INTEGER PRIMARY KEY,"
  "  at INTEGER NOT NULL,"
  "  person TEXT,"
  "  action TEXT NOT NULL,"
  "  service TEXT,"
  "  version TEXT,"
  "  environment TEXT,"
  "  detail TEXT,"
  "  previous_hash TEXT NOT NULL,"
  "  hash TEXT NOT NULL"
  ");"
  "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
  "  SELECT RAISE (ABORT, 'the audit record is append-only');"
  "END;"
  "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN"
  "  SELECT RAISE (ABORT, 'the audit record is append-only');"
  "END;",
};

#define SCHEMA_VERSION ((int) G_N_ELEMENTS (migrations))

/* The store_info key that names the release which last migrated the file, so that an older
 * release can name the release to update to. */
#define INFO_MIGRATED_BY "migrated-by"

/* Returns the release that last migrated the file, or NULL when the file does not record it. */
static char *
read_migrated_by (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  char *release = NULL;

  if (sqlite3_prepare_v2 (db, "SELECT value FROM store_info WHERE key = ?1", -1, &stmt,
                          NULL) != SQLITE_OK) {
    sqlite3_finalize (stmt);
    return NULL;
  }

  dr_sqlite_bind_text (stmt, 1, INFO_MIGRATED_BY);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    release = dr_sqlite_column_dup_text (stmt, 0);
  sqlite3_finalize (stmt);

  return release;
}

int
dr_sqlite_schema_get_latest_version (void)
{
  return SCHEMA_VERSION;
}

gboolean
dr_sqlite_schema_read_version (sqlite3     *db,
                               const char  *path,
                               int         *version,
                               GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int result;

  g_assert (db != NULL);
  g_assert (version != NULL);

  result = sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL);
  if (result == SQLITE_OK) {
    result = sqlite3_step (stmt);
    if (result == SQLITE_ROW) {
      *version = sqlite3_column_int (stmt, 0);
      result = SQLITE_OK;
    }
  }
  sqlite3_finalize (stmt);

  /* The first read of a file that is not an SQLite database fails here, before anything
   * writes to it. */
  if ((result & 0xff) == SQLITE_NOTADB || (result & 0xff) == SQLITE_CORRUPT) {
    g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_CORRUPT,
                 /* Translators: a file path, then SQLite's reason, such as "file is not a
                  * database". */
                 _("The file %s is not a Dynamo Release store, or it is damaged (%s). Nothing "
                   "in it was changed. Move the file away to start a new store there, or "
                   "choose another store file."),
                 path, sqlite3_errmsg (db));
    return FALSE;
  }

  if (result != SQLITE_OK)
    return dr_sqlite_set_error (db, result, error,
                                _("Could not read the schema version of the store %s"), path);

  return TRUE;
}

gboolean
dr_sqlite_schema_check_supported (sqlite3     *db,
                                  const char  *path,
                                  int          version,
                                  GError     **error)
{
  g_autofree char *release = NULL;

  g_assert (db != NULL);

  if (version <= SCHEMA_VERSION)
    return TRUE;

  release = read_migrated_by (db);
  if (release != NULL) {
    g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_TOO_NEW,
                 _("The store %s was written by Dynamo Release %s, with schema version %d, "
                   "but this is Dynamo Release %s, which reads schema versions up to %d. "
                   "Update Dynamo Release to %s or newer."),
                 path, release, version, PACKAGE_VERSION, SCHEMA_VERSION, release);
  } else {
    g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_TOO_NEW,
                 _("The store %s has schema version %d, but this is Dynamo Release %s, which "
                   "reads schema versions up to %d. Update Dynamo Release to a release that "
                   "reads schema version %d."),
                 path, version, PACKAGE_VERSION, SCHEMA_VERSION, version);
  }

  return FALSE;
}

gboolean
dr_sqlite_schema_migrate (sqlite3     *db,
                          const char  *path,
                          int          from_version,
                          GError     **error)
{
  g_autofree char *set_version = NULL;
  sqlite3_stmt *stmt = NULL;
  int result;

  g_assert (db != NULL);
  g_assert (from_version >= 0 && from_version <= SCHEMA_VERSION);

  for (int version = from_version; version < SCHEMA_VERSION; version++) {
    result = sqlite3_exec (db, migrations[version], NULL, NULL, NULL);
    if (result != SQLITE_OK)
      return dr_sqlite_set_error (db, result, error,
                                  _("Could not update the store %s to schema version %d"),
                                  path, version + 1);
  }

  result = sqlite3_prepare_v2 (db,
                               "INSERT OR REPLACE INTO store_info (key, value) VALUES (?1, ?2)",
                               -1, &stmt, NULL);
  if (result == SQLITE_OK) {
    dr_sqlite_bind_text (stmt, 1, INFO_MIGRATED_BY);
    dr_sqlite_bind_text (stmt, 2, PACKAGE_VERSION);
    result = sqlite3_step (stmt);
    if (result == SQLITE_DONE)
      result = SQLITE_OK;
  }
  sqlite3_finalize (stmt);

  /* PRAGMA takes no bound parameters; the value is an integer that this code chose. */
  if (result == SQLITE_OK) {
    set_version = g_strdup_printf ("PRAGMA user_version = %d", SCHEMA_VERSION);
    result = sqlite3_exec (db, set_version, NULL, NULL, NULL);
  }

  if (result != SQLITE_OK)
    return dr_sqlite_set_error (db, result, error,
                                _("Could not update the store %s to schema version %d"),
                                path, SCHEMA_VERSION);

  return TRUE;
}
