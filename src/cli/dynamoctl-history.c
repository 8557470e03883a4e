/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The commands that read what happened: runs, a run's log and the audit record. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-format.h"
#include "dynamoctl.h"

/* How many runs `dynamoctl runs` lists without --limit. */
#define DEFAULT_RUN_LIMIT 20

/* How many audit events are read from the store at a time. */
#define AUDIT_PAGE_SIZE 500

/* Log lines are collected up to this many bytes before each write. */
#define LOG_WRITE_BYTES (64 * 1024)

static gboolean
check_service (DrCtl      *ctl,
               const char *service,
               int        *status)
{
  if (service == NULL || dr_workspace_get_service (ctl->workspace, service) != NULL)
    return TRUE;

  dr_ctl_print_message (_("Unknown service “%s”. Run “dynamoctl board” to see the services."),
                        service);
  *status = DR_CTL_EXIT_NOT_FOUND;

  return FALSE;
}

/* Runs */

int
dr_ctl_runs (DrCtl              *ctl,
             const DrCtlCommand *command,
             char              **args)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrCtlTable) table = NULL;
  int limit = DEFAULT_RUN_LIMIT;
  int status = DR_CTL_EXIT_OK;
  const GOptionEntry entries[] = {
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit,
      N_("How many of the newest runs to list, 0 for all (default: 20)"), N_("N") },
    G_OPTION_ENTRY_NULL
  };

  if (!dr_ctl_parse_command (ctl, command, entries, &args, 0, 1))
    return DR_CTL_EXIT_USAGE;
  if (limit < 0)
    return dr_ctl_fail_usage (_("Invalid --limit %d: give a number of runs, or 0 for all."),
                              limit);

  status = dr_ctl_open_engine_to_read (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;
  if (!check_service (ctl, args[1], &status))
    return status;

  dr_engine_list_runs_async (ctl->engine, args[1], limit, NULL, dr_ctl_result_cb, &result);
  runs = dr_engine_list_runs_finish (ctl->engine, dr_ctl_wait (&result), &error);
  if (runs == NULL)
    return dr_ctl_fail (error);

  if (runs->len == 0) {
    g_print (_("No runs are recorded.\n"));
    return DR_CTL_EXIT_OK;
  }

  table = dr_ctl_table_new (9);
  dr_ctl_table_add_row (table, (const char *[]) {
    _("RUN"), _("STATE"), _("KIND"), _("SERVICE"), _("VERSION"), _("ENVIRONMENT"),
    _("STARTED"), _("DURATION"), _("BY") });

  for (guint i = 0; i < runs->len; i++) {
    const DrRunRecord *run = g_ptr_array_index (runs, i);
    g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, run->id);
    g_autofree char *started = dr_format_time (run->started_at);
    g_autofree char *duration = run->finished_at > 0
                                ? dr_format_duration (run->finished_at - run->started_at)
                                : g_strdup ("-");

    /* States and kinds are the store's words, the same in every language, for scripts. */
    dr_ctl_table_add_row (table, (const char *[]) {
      id, dr_run_state_to_string (run->state), dr_run_kind_to_string (run->kind), run->service,
      run->version, run->environment, started, duration, run->person });
  }

  dr_ctl_table_print (table);

  return DR_CTL_EXIT_OK;
}

/* A run's log */

static int
print_log_file (const char *path,
                gboolean    keep_colour,
                gint64      run_id)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) input = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  input = g_file_read (file, NULL, &error);
  if (input == NULL) {
    dr_ctl_print_message (_("The log of run %lld cannot be read: %s"), (long long) run_id,
                          error->message);
    return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ? DR_CTL_EXIT_NOT_FOUND
                                                                     : DR_CTL_EXIT_FAILED;
  }

  lines = g_data_input_stream_new (G_INPUT_STREAM (input));
  g_data_input_stream_set_newline_type (lines, G_DATA_STREAM_NEWLINE_TYPE_LF);

  for (;;) {
    g_autofree char *line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
    g_autofree char *formatted = NULL;

    if (line == NULL)
      break;

    formatted = dr_ctl_format_line (line, keep_colour);
    g_string_append (text, formatted);
    g_string_append_c (text, '\n');

    if (text->len >= LOG_WRITE_BYTES) {
      /* The reader went away, as `dynamoctl log 4 | head` does. */
      if (!dr_ctl_write_stdout (text->str, text->len))
        return DR_CTL_EXIT_OK;
      g_string_truncate (text, 0);
    }
  }

  if (error != NULL) {
    dr_ctl_write_stdout (text->str, text->len);
    dr_ctl_print_message (_("The log of run %lld cannot be read: %s"), (long long) run_id,
                          error->message);
    return DR_CTL_EXIT_FAILED;
  }

  dr_ctl_write_stdout (text->str, text->len);

  return DR_CTL_EXIT_OK;
}

/* The exit status of `log --follow`: the run's outcome, as for the command that ran it. */
static int
exit_status_for_run (DrRun *run)
{
  return dr_run_get_state (run) == DR_RUN_STATE_SUCCEEDED ? DR_CTL_EXIT_OK : DR_CTL_EXIT_FAILED;
}

/* Prints the lines of a log that is still written as they are published, until the index
 * completes, which happens once the engine has read the run's end from the store. */
static int
follow_log (DrRun    *run,
            gboolean  keep_colour)
{
  DrLogIndex *log = dr_run_get_log (run);
  guint n_printed = 0;

  dr_ctl_print_message (_("Run %lld is in progress in another process. Its log is printed as "
                          "it is written until the run ends. Ctrl+C stops printing and leaves "
                          "the run running."),
                        (long long) dr_run_get_id (run));

  for (;;) {
    gboolean complete = dr_log_index_is_complete (log);
    guint n_lines = dr_log_index_get_n_lines (log);
    g_autoptr(GString) text = g_string_new (NULL);

    /* A complete index publishes nothing more, so the lines counted after the check are all
     * of them. */
    for (; n_printed < n_lines; n_printed++) {
      g_autofree char *line = dr_log_index_dup_line (log, n_printed);
      g_autofree char *formatted = NULL;

      if (line == NULL)
        break;
      formatted = dr_ctl_format_line (line, keep_colour);
      g_string_append (text, formatted);
      g_string_append_c (text, '\n');
    }

    /* The reader went away, as `dynamoctl log --follow 4 | head` does. */
    if (text->len > 0 && !dr_ctl_write_stdout (text->str, text->len))
      return DR_CTL_EXIT_OK;

    if (complete)
      break;

    g_main_context_iteration (NULL, TRUE);
  }

  return exit_status_for_run (run);
}

int
dr_ctl_log (DrCtl              *ctl,
            const DrCtlCommand *command,
            char              **args)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(GError) error = NULL;
  const char *no_color = g_getenv ("NO_COLOR");
  gboolean keep_colour;
  gboolean follow = FALSE;
  gint64 run_id;
  int status;
  const GOptionEntry entries[] = {
    { "follow", 'f', 0, G_OPTION_ARG_NONE, &follow,
      N_("Print new lines of a run in progress as they are written, until the run ends"),
      NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!dr_ctl_parse_command (ctl, command, entries, &args, 1, 1))
    return DR_CTL_EXIT_USAGE;

  if (!g_ascii_string_to_signed (args[1], 10, 1, G_MAXINT64, &run_id, NULL))
    return dr_ctl_fail_usage (_("Invalid run id “%s”: a run id is a positive whole number, "
                                "as “dynamoctl runs” lists it."), args[1]);

  status = dr_ctl_open_engine_to_read (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  dr_engine_load_run_async (ctl->engine, run_id, NULL, dr_ctl_result_cb, &result);
  run = dr_engine_load_run_finish (ctl->engine, dr_ctl_wait (&result), &error);
  if (run == NULL)
    return dr_ctl_fail (error);

  keep_colour = ctl->stdout_is_terminal && (no_color == NULL || no_color[0] == '\0');

  /* This process runs nothing, so a run in progress belongs to another process and its log
   * keeps growing after what is printed here. */
  if (!dr_run_is_finished (run)) {
    if (follow)
      return follow_log (run, keep_colour);

    dr_ctl_print_message (_("Run %lld is still in progress in another process. "
                             "This is its log so far. Add --follow to print the rest as it is "
                             "written."),
                          (long long) run_id);
  }

  status = print_log_file (dr_log_index_get_path (dr_run_get_log (run)), keep_colour, run_id);
  if (status != DR_CTL_EXIT_OK || !follow)
    return status;

  return exit_status_for_run (run);
}

/* The audit record */

static char *
format_exact_time (gint64 microseconds_since_epoch)
{
  g_autoptr(GDateTime) time = NULL;

  time = g_date_time_new_from_unix_local (microseconds_since_epoch / G_USEC_PER_SEC);
  if (time == NULL)
    return g_strdup ("?");

  return g_date_time_format (time, "%Y-%m-%d %H:%M:%S");
}

static int
verify_audit (DrCtl *ctl)
{
  g_autoptr(GError) error = NULL;
  guint n_events = 0;

  if (!dr_store_verify_audit (ctl->store, &n_events, &error)) {
    dr_ctl_print_error (error->message);
    return DR_CTL_EXIT_STORE;
  }

  g_print (g_dngettext (GETTEXT_PACKAGE,
                        "The audit record is intact: %u event, each linked to the one before.\n",
                        "The audit record is intact: %u events, each linked to the one before.\n",
                        n_events),
           n_events);

  return DR_CTL_EXIT_OK;
}

int
dr_ctl_audit (DrCtl              *ctl,
              const DrCtlCommand *command,
              char              **args)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(DrCtlTable) table = NULL;
  g_autofree char *service = NULL;
  gboolean verify = FALSE;
  gint64 after = 0;
  int limit = 0;
  int status;
  const GOptionEntry entries[] = {
    { "verify", 0, 0, G_OPTION_ARG_NONE, &verify,
      N_("Check that every event links to the one before it by its hash, instead of listing"),
      NULL },
    { "service", 's', 0, G_OPTION_ARG_STRING, &service,
      N_("List only the events of this service"), N_("SERVICE") },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit,
      N_("List only the newest N events (default: all)"), N_("N") },
    G_OPTION_ENTRY_NULL
  };

  if (!dr_ctl_parse_command (ctl, command, entries, &args, 0, 0))
    return DR_CTL_EXIT_USAGE;
  if (limit < 0)
    return dr_ctl_fail_usage (_("Invalid --limit %d: give a number of events."), limit);

  status = dr_ctl_open_engine_to_read (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  if (verify)
    return verify_audit (ctl);

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_audit_event_free);

  for (;;) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) page = dr_store_list_audit (ctl->store, after, AUDIT_PAGE_SIZE, &error);

    if (page == NULL)
      return dr_ctl_fail (error);

    /* The events move to the list or are freed here, one by one. */
    g_ptr_array_set_free_func (page, NULL);
    for (guint i = 0; i < page->len; i++) {
      DrAuditEvent *event = g_ptr_array_index (page, i);

      after = event->seq;
      if (service == NULL || g_strcmp0 (event->service, service) == 0)
        g_ptr_array_add (events, event);
      else
        dr_audit_event_free (event);
    }

    if (page->len < AUDIT_PAGE_SIZE)
      break;
  }

  if (limit > 0 && events->len > (guint) limit)
    g_ptr_array_remove_range (events, 0, events->len - limit);

  table = dr_ctl_table_new (8);
  dr_ctl_table_add_row (table, (const char *[]) {
    _("SEQ"), _("TIME"), _("PERSON"), _("ACTION"), _("SERVICE"), _("VERSION"),
    _("ENVIRONMENT"), _("DETAIL") });

  for (guint i = 0; i < events->len; i++) {
    const DrAuditEvent *event = g_ptr_array_index (events, i);
    g_autofree char *seq = g_strdup_printf ("%" G_GINT64_FORMAT, event->seq);
    g_autofree char *time = format_exact_time (event->at);

    dr_ctl_table_add_row (table, (const char *[]) {
      seq, time, event->person, event->action, event->service, event->version,
      event->environment, event->detail });
  }

  dr_ctl_table_print (table);

  return DR_CTL_EXIT_OK;
}
