/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "dr-records.h"

G_BEGIN_DECLS

/* Conversions between store records and SQLite rows, private to DrSqliteStore. Each
 * dr_sqlite_read_* function reads the current row of a statement that selected the matching
 * *_COLUMNS list, in that order, and returns a new record. */

#define DR_SQLITE_BUILD_COLUMNS \
  "id, service, version, git_commit, image, source, recorded_by, recorded_at"
#define DR_SQLITE_DEPLOYMENT_COLUMNS \
  "id, service, version, environment, state, verified, person, run_id, started_at, finished_at"
#define DR_SQLITE_RUN_COLUMNS \
  "id, kind, service, version, environment, checklist, item, state, person, started_at, " \
  "finished_at, log_path, message, owner"
#define DR_SQLITE_STEP_COLUMNS \
  "step_index, name, command, state, started_at, finished_at, exit_status, message"
#define DR_SQLITE_SIGNOFF_COLUMNS \
  "id, service, version, checklist, item, person, role, at, comment, revoked, run_id"
#define DR_SQLITE_APPROVAL_COLUMNS \
  "id, service, version, environment, role, person, decision, comment, at"
#define DR_SQLITE_AUDIT_COLUMNS \
  "seq, at, person, action, service, version, environment, detail, previous_hash, hash"

typedef gpointer (*DrSqliteRowReader) (sqlite3_stmt *stmt);

/* Maps an extended SQLite result code to a DrStoreError code. */
int       dr_sqlite_error_code          (int           result);

/* Sets @error to "OPERATION: SQLite's message" with the DrStoreError code for @result.
 * Returns FALSE, so that callers can return its value. */
gboolean  dr_sqlite_set_error           (sqlite3      *db,
                                         int           result,
                                         GError      **error,
                                         const char   *format,
                                         ...) G_GNUC_PRINTF (4, 5);

void      dr_sqlite_bind_text           (sqlite3_stmt *stmt,
                                         int           index,
                                         const char   *value);
/* Binds an id for which 0 means "none" as NULL, which a foreign key accepts. */
void      dr_sqlite_bind_optional_id    (sqlite3_stmt *stmt,
                                         int           index,
                                         gint64        id);
char     *dr_sqlite_column_dup_text     (sqlite3_stmt *stmt,
                                         int           column);

gpointer  dr_sqlite_read_build          (sqlite3_stmt *stmt);
gpointer  dr_sqlite_read_deployment     (sqlite3_stmt *stmt);
gpointer  dr_sqlite_read_run            (sqlite3_stmt *stmt);
gpointer  dr_sqlite_read_step           (sqlite3_stmt *stmt);
gpointer  dr_sqlite_read_signoff        (sqlite3_stmt *stmt);
gpointer  dr_sqlite_read_approval       (sqlite3_stmt *stmt);
gpointer  dr_sqlite_read_audit_event    (sqlite3_stmt *stmt);

G_END_DECLS
