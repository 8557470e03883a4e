/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dr-sqlite-rows.h"
#include "dr-store.h"

int
dr_sqlite_error_code (int result)
{
  switch (result) {
  case SQLITE_CONSTRAINT_UNIQUE:
  case SQLITE_CONSTRAINT_PRIMARYKEY:
    return DR_STORE_ERROR_EXISTS;
  case SQLITE_CONSTRAINT_FOREIGNKEY:
    return DR_STORE_ERROR_NOT_FOUND;
  default:
    break;
  }

  switch (result & 0xff) {
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return DR_STORE_ERROR_CORRUPT;
  default:
    return DR_STORE_ERROR_FAILED;
  }
}

gboolean
dr_sqlite_set_error (sqlite3     *db,
                     int          result,
                     GError     **error,
                     const char  *format,
                     ...)
{
  g_autofree char *operation = NULL;
  va_list args;

  va_start (args, format);
  operation = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, DR_STORE_ERROR, dr_sqlite_error_code (result), "%s: %s", operation,
               db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (result));
  return FALSE;
}

void
dr_sqlite_bind_text (sqlite3_stmt *stmt,
                     int           index,
                     const char   *value)
{
  if (value == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, value, -1, SQLITE_TRANSIENT);
}

void
dr_sqlite_bind_optional_id (sqlite3_stmt *stmt,
                            int           index,
                            gint64        id)
{
  if (id == 0)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_int64 (stmt, index, id);
}

char *
dr_sqlite_column_dup_text (sqlite3_stmt *stmt,
                           int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* The schema's CHECK constraints keep unknown names out of the enum columns, so an unknown
 * one means the file was changed by hand. The reader keeps its fallback value then. */
static void
warn_unknown_value (sqlite3_stmt *stmt,
                    int           column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);

  g_warning ("The store holds the unknown value “%s” in column %s",
             text != NULL ? text : "(null)", sqlite3_column_name (stmt, column));
}

static const char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return (const char *) sqlite3_column_text (stmt, column);
}

gpointer
dr_sqlite_read_build (sqlite3_stmt *stmt)
{
  DrBuild *build = g_new0 (DrBuild, 1);

  build->id = sqlite3_column_int64 (stmt, 0);
  build->service = dr_sqlite_column_dup_text (stmt, 1);
  build->version = dr_sqlite_column_dup_text (stmt, 2);
  build->commit = dr_sqlite_column_dup_text (stmt, 3);
  build->image = dr_sqlite_column_dup_text (stmt, 4);
  build->source = dr_sqlite_column_dup_text (stmt, 5);
  build->recorded_by = dr_sqlite_column_dup_text (stmt, 6);
  build->recorded_at = sqlite3_column_int64 (stmt, 7);

  return build;
}

gpointer
dr_sqlite_read_deployment (sqlite3_stmt *stmt)
{
  DrDeployment *deployment = g_new0 (DrDeployment, 1);

  deployment->id = sqlite3_column_int64 (stmt, 0);
  deployment->service = dr_sqlite_column_dup_text (stmt, 1);
  deployment->version = dr_sqlite_column_dup_text (stmt, 2);
  deployment->environment = dr_sqlite_column_dup_text (stmt, 3);
  deployment->state = DR_DEPLOYMENT_FAILED;
  if (!dr_deployment_state_from_string (column_text (stmt, 4), &deployment->state))
    warn_unknown_value (stmt, 4);
  deployment->verified = sqlite3_column_int (stmt, 5) != 0;
  deployment->person = dr_sqlite_column_dup_text (stmt, 6);
  deployment->run_id = sqlite3_column_int64 (stmt, 7);
  deployment->started_at = sqlite3_column_int64 (stmt, 8);
  deployment->finished_at = sqlite3_column_int64 (stmt, 9);

  return deployment;
}

gpointer
dr_sqlite_read_run (sqlite3_stmt *stmt)
{
  DrRunRecord *run = g_new0 (DrRunRecord, 1);

  run->id = sqlite3_column_int64 (stmt, 0);
  run->kind = DR_RUN_KIND_DEPLOY;
  if (!dr_run_kind_from_string (column_text (stmt, 1), &run->kind))
    warn_unknown_value (stmt, 1);
  run->service = dr_sqlite_column_dup_text (stmt, 2);
  run->version = dr_sqlite_column_dup_text (stmt, 3);
  run->environment = dr_sqlite_column_dup_text (stmt, 4);
  run->checklist = dr_sqlite_column_dup_text (stmt, 5);
  run->item = dr_sqlite_column_dup_text (stmt, 6);
  run->state = DR_RUN_STATE_FAILED;
  if (!dr_run_state_from_string (column_text (stmt, 7), &run->state))
    warn_unknown_value (stmt, 7);
  run->person = dr_sqlite_column_dup_text (stmt, 8);
  run->started_at = sqlite3_column_int64 (stmt, 9);
  run->finished_at = sqlite3_column_int64 (stmt, 10);
  run->log_path = dr_sqlite_column_dup_text (stmt, 11);
  run->message = dr_sqlite_column_dup_text (stmt, 12);
  run->owner = dr_sqlite_column_dup_text (stmt, 13);
  run->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_run_step_record_free);

  return run;
}

gpointer
dr_sqlite_read_step (sqlite3_stmt *stmt)
{
  DrRunStepRecord *step = g_new0 (DrRunStepRecord, 1);

  step->index = sqlite3_column_int (stmt, 0);
  step->name = dr_sqlite_column_dup_text (stmt, 1);
  step->command = dr_sqlite_column_dup_text (stmt, 2);
  step->state = DR_STEP_STATE_FAILED;
  if (!dr_step_state_from_string (column_text (stmt, 3), &step->state))
    warn_unknown_value (stmt, 3);
  step->started_at = sqlite3_column_int64 (stmt, 4);
  step->finished_at = sqlite3_column_int64 (stmt, 5);
  step->exit_status = sqlite3_column_int (stmt, 6);
  step->message = dr_sqlite_column_dup_text (stmt, 7);

  return step;
}

gpointer
dr_sqlite_read_signoff (sqlite3_stmt *stmt)
{
  DrSignoff *signoff = g_new0 (DrSignoff, 1);

  signoff->id = sqlite3_column_int64 (stmt, 0);
  signoff->service = dr_sqlite_column_dup_text (stmt, 1);
  signoff->version = dr_sqlite_column_dup_text (stmt, 2);
  signoff->checklist = dr_sqlite_column_dup_text (stmt, 3);
  signoff->item = dr_sqlite_column_dup_text (stmt, 4);
  signoff->person = dr_sqlite_column_dup_text (stmt, 5);
  signoff->role = dr_sqlite_column_dup_text (stmt, 6);
  signoff->at = sqlite3_column_int64 (stmt, 7);
  signoff->comment = dr_sqlite_column_dup_text (stmt, 8);
  signoff->revoked = sqlite3_column_int (stmt, 9) != 0;
  signoff->run_id = sqlite3_column_int64 (stmt, 10);

  return signoff;
}

gpointer
dr_sqlite_read_approval (sqlite3_stmt *stmt)
{
  DrApproval *approval = g_new0 (DrApproval, 1);

  approval->id = sqlite3_column_int64 (stmt, 0);
  approval->service = dr_sqlite_column_dup_text (stmt, 1);
  approval->version = dr_sqlite_column_dup_text (stmt, 2);
  approval->environment = dr_sqlite_column_dup_text (stmt, 3);
  approval->role = dr_sqlite_column_dup_text (stmt, 4);
  approval->person = dr_sqlite_column_dup_text (stmt, 5);
  approval->decision = DR_DECISION_WITHDRAWN;
  if (!dr_decision_from_string (column_text (stmt, 6), &approval->decision))
    warn_unknown_value (stmt, 6);
  approval->comment = dr_sqlite_column_dup_text (stmt, 7);
  approval->at = sqlite3_column_int64 (stmt, 8);

  return approval;
}

gpointer
dr_sqlite_read_audit_event (sqlite3_stmt *stmt)
{
  DrAuditEvent *event = g_new0 (DrAuditEvent, 1);

  event->seq = sqlite3_column_int64 (stmt, 0);
  event->at = sqlite3_column_int64 (stmt, 1);
  event->person = dr_sqlite_column_dup_text (stmt, 2);
  event->action = dr_sqlite_column_dup_text (stmt, 3);
  event->service = dr_sqlite_column_dup_text (stmt, 4);
  event->version = dr_sqlite_column_dup_text (stmt, 5);
  event->environment = dr_sqlite_column_dup_text (stmt, 6);
  event->detail = dr_sqlite_column_dup_text (stmt, 7);
  event->previous_hash = dr_sqlite_column_dup_text (stmt, 8);
  event->hash = dr_sqlite_column_dup_text (stmt, 9);

  return event;
}
