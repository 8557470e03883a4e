/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Following a run from a terminal or a script: each step's start and end, the log lines as
 * they arrive when asked, Ctrl+C to cancel, and a summary at the end. */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <string.h>

#include "dr-format.h"
#include "dynamoctl.h"

struct _DrCtlFollow
{
  DrCtl     *ctl;
  gboolean   show_log;
  gboolean   keep_colour;
  DrRun     *run;
  GArray    *printed_states;    /* the DrStepState last printed for each step */
  GPtrArray *watched_steps;     /* of DrRunStep, with a notify::state handler */
  gulong     lines_handler;
  guint      n_printed_lines;
  gboolean   cancel_requested;
  guint      interrupt_source;
  guint      terminate_source;
  guint      hangup_source;
};

/* Log lines */

/* Prints the log lines from the first one not printed yet up to `end`, in one write. */
static void
print_log_lines (DrCtlFollow *follow,
                 guint        end)
{
  DrLogIndex *log = dr_run_get_log (follow->run);
  g_autoptr(GString) text = g_string_new (NULL);

  for (; follow->n_printed_lines < end; follow->n_printed_lines++) {
    g_autofree char *line = dr_log_index_dup_line (log, follow->n_printed_lines);
    g_autofree char *formatted = NULL;

    if (line == NULL)
      break;
    formatted = dr_ctl_format_line (line, follow->keep_colour);
    g_string_append_printf (text, "    %s\n", formatted);
  }

  if (text->len > 0)
    dr_ctl_write_stdout (text->str, text->len);
}

static void
lines_added_cb (DrCtlFollow *follow,
                guint        position,
                guint        n_added,
                DrLogIndex  *log)
{
  print_log_lines (follow, position + n_added);
}

/* Prints every line written so far, so that a step's output comes before its end. */
static void
catch_up_log (DrCtlFollow *follow)
{
  if (follow->show_log)
    print_log_lines (follow, dr_log_index_get_n_lines (dr_run_get_log (follow->run)));
}

/* Steps */

static char *
describe_step_end (DrRunStep *step)
{
  g_autofree char *duration = dr_format_duration (dr_run_step_get_duration (step));
  const char *name = dr_run_step_get_name (step);
  const char *message = dr_run_step_get_message (step);

  if (message == NULL)
    message = "";

  switch (dr_run_step_get_state (step)) {
  case DR_STEP_STATE_SUCCEEDED:
    /* Translators: step name, then a duration such as "12 s". */
    return g_strdup_printf (_("%s: succeeded in %s"), name, duration);
  case DR_STEP_STATE_FAILED:
    /* Translators: step name, duration, then why it failed. */
    return g_strdup_printf (_("%s: failed after %s. %s"), name, duration, message);
  case DR_STEP_STATE_TIMED_OUT:
    return g_strdup_printf (_("%s: timed out after %s. %s"), name, duration, message);
  case DR_STEP_STATE_CANCELLED:
    return g_strdup_printf (_("%s: cancelled after %s"), name, duration);
  case DR_STEP_STATE_SKIPPED:
    if (message[0] != '\0')
      /* Translators: step name, then why it was skipped. */
      return g_strdup_printf (_("%s: skipped. %s"), name, message);
    return g_strdup_printf (_("%s: skipped"), name);
  case DR_STEP_STATE_INTERRUPTED:
    return g_strdup_printf (_("%s: interrupted"), name);
  case DR_STEP_STATE_PENDING:
  case DR_STEP_STATE_RUNNING:
  default:
    g_return_val_if_reached (g_strdup (name));
  }
}

/* Prints what changed in the steps since the last call. Comparing with what was printed, not
 * reacting to each notification, means no state is printed twice or missed. */
static void
print_step_changes (DrCtlFollow *follow)
{
  GListModel *steps = dr_run_get_steps (follow->run);
  guint n_steps = g_list_model_get_n_items (steps);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < n_steps && i < follow->printed_states->len; i++) {
    g_autoptr(DrRunStep) step = g_list_model_get_item (steps, i);
    DrStepState state = dr_run_step_get_state (step);
    DrStepState *printed = &g_array_index (follow->printed_states, DrStepState, i);

    if (state == *printed)
      continue;

    catch_up_log (follow);
    if (state == DR_STEP_STATE_RUNNING) {
      g_string_append_printf (text, "[%u/%u] %s (%s)\n", i + 1, n_steps,
                              dr_run_step_get_name (step), dr_run_step_get_command (step));
    } else if (state != DR_STEP_STATE_PENDING) {
      g_autofree char *end = describe_step_end (step);

      g_string_append_printf (text, "[%u/%u] %s\n", i + 1, n_steps, g_strchomp (end));
    }
    *printed = state;

    dr_ctl_write_stdout (text->str, text->len);
    g_string_truncate (text, 0);
  }
}

/* Cancellation */

static gboolean
cancel_signal_cb (gpointer user_data)
{
  DrCtlFollow *follow = user_data;

  if (follow->run != NULL && dr_run_is_finished (follow->run))
    return G_SOURCE_CONTINUE;

  if (follow->cancel_requested) {
    dr_ctl_print_message (_("Still cancelling; waiting for the step’s processes to end."));
    return G_SOURCE_CONTINUE;
  }

  follow->cancel_requested = TRUE;
  if (follow->run == NULL) {
    dr_ctl_print_message (_("Cancelling: the run stops as soon as it has started."));
    return G_SOURCE_CONTINUE;
  }

  dr_ctl_print_message (_("Cancelling run %lld: its processes get SIGTERM now, "
                           "and SIGKILL after the workspace’s grace period."),
                        (long long) dr_run_get_id (follow->run));
  dr_run_cancel (follow->run);

  return G_SOURCE_CONTINUE;
}

/**
 * dr_ctl_follow_new:
 * @show_log: whether to print the run's output lines as they arrive
 *
 * Prepares to follow a run that is about to start. From now on SIGINT, SIGTERM and SIGHUP (a
 * closed terminal or a dropped SSH session) cancel the run instead of ending dynamoctl, which
 * waits for the run to end.
 */
DrCtlFollow *
dr_ctl_follow_new (DrCtl    *ctl,
                   gboolean  show_log)
{
  DrCtlFollow *follow;
  const char *no_color = g_getenv ("NO_COLOR");

  g_return_val_if_fail (ctl != NULL, NULL);

  follow = g_new0 (DrCtlFollow, 1);
  follow->ctl = ctl;
  follow->show_log = show_log;
  follow->keep_colour = ctl->stdout_is_terminal && (no_color == NULL || no_color[0] == '\0');
  follow->printed_states = g_array_new (FALSE, TRUE, sizeof (DrStepState));
  follow->watched_steps = g_ptr_array_new_with_free_func (g_object_unref);
  follow->interrupt_source = g_unix_signal_add (SIGINT, cancel_signal_cb, follow);
  follow->terminate_source = g_unix_signal_add (SIGTERM, cancel_signal_cb, follow);
  follow->hangup_source = g_unix_signal_add (SIGHUP, cancel_signal_cb, follow);

  return follow;
}

void
dr_ctl_follow_free (DrCtlFollow *follow)
{
  if (follow == NULL)
    return;

  g_clear_handle_id (&follow->interrupt_source, g_source_remove);
  g_clear_handle_id (&follow->terminate_source, g_source_remove);
  g_clear_handle_id (&follow->hangup_source, g_source_remove);

  for (guint i = 0; i < follow->watched_steps->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (follow->watched_steps, i), follow);
  if (follow->lines_handler != 0)
    g_clear_signal_handler (&follow->lines_handler, dr_run_get_log (follow->run));

  g_ptr_array_unref (follow->watched_steps);
  g_array_unref (follow->printed_states);
  g_clear_object (&follow->run);
  g_free (follow);
}

/* Shows the output lines by default on a terminal, where a person watches. A pipe gets only
 * the step lines, which are easier to read back, and `dynamoctl log` prints the rest later. */
gboolean
dr_ctl_choose_show_log (DrCtl    *ctl,
                        gboolean  log,
                        gboolean  no_log)
{
  g_return_val_if_fail (ctl != NULL, FALSE);

  if (log)
    return TRUE;
  if (no_log)
    return FALSE;

  return ctl->stdout_is_terminal;
}

static int
fail_refused (const GError *error,
              GPtrArray    *refusals)
{
  g_autoptr(GString) message = g_string_new (NULL);
  const char *end = strchr (error->message, '\n');

  /* The error's first line names the build and the environment; the reasons follow, one a
   * line. */
  g_string_append_len (message, error->message,
                       end != NULL ? end - error->message : (gssize) strlen (error->message));
  for (guint i = 0; i < refusals->len; i++) {
    const DrRefusal *refusal = g_ptr_array_index (refusals, i);

    g_string_append_printf (message, "\n%s", refusal->message);
  }

  dr_ctl_print_error (message->str);

  return DR_CTL_EXIT_REFUSED;
}

static gboolean
has_rollback_steps (DrCtl *ctl,
                    DrRun *run)
{
  const DrService *service = dr_workspace_get_service (ctl->workspace, dr_run_get_service (run));
  GPtrArray *steps;

  if (service == NULL)
    return FALSE;

  steps = service->pipeline->steps[DR_PIPELINE_ROLLBACK];

  return steps != NULL && steps->len > 0;
}

static int
print_summary (DrCtlFollow *follow)
{
  DrRun *run = follow->run;
  gint64 id = dr_run_get_id (run);
  g_autofree char *title = dr_run_dup_title (run);
  g_autofree char *duration = dr_format_duration (dr_run_get_finished_at (run) -
                                                  dr_run_get_started_at (run));
  g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_autofree char *log_command = dr_ctl_dup_command_line (follow->ctl, "log", id_text, NULL);
  g_autoptr(GString) message = g_string_new (NULL);
  g_autoptr(GString) hints = g_string_new (NULL);
  const char *reason = dr_run_get_message (run);

  switch (dr_run_get_state (run)) {
  case DR_RUN_STATE_SUCCEEDED: {
    /* Translators: run id, duration, run title. */
    g_autofree char *line = g_strdup_printf (_("Run %s succeeded in %s: %s.\n"), id_text,
                                             duration, title);

    dr_ctl_write_stdout (line, strlen (line));
    return DR_CTL_EXIT_OK;
  }

  case DR_RUN_STATE_CANCELLED:
    g_string_append_printf (message, _("Run %s was cancelled after %s: %s."), id_text,
                            duration, title);
    break;

  default:
    /* Translators: run id, a state such as "failed", duration, then the reason. */
    g_string_append_printf (message, _("Run %s %s after %s: %s"), id_text,
                            dr_ctl_describe_run_state (dr_run_get_state (run)), duration,
                            reason != NULL ? reason : title);
    break;
  }

  /* The error is one line on standard error; what to type next goes to standard output. A
   * deploy that did not finish may have changed the cluster, so it gets the rollback when the
   * pipeline has one. */
  if (dr_run_get_kind (run) == DR_RUN_KIND_DEPLOY && has_rollback_steps (follow->ctl, run)) {
    g_autofree char *rollback = dr_ctl_dup_command_line (follow->ctl, "rollback",
                                                         dr_run_get_service (run),
                                                         dr_run_get_environment (run), NULL);

    g_string_append_printf (hints, "%s %s\n", _("To roll back, run:"), rollback);
  }
  g_string_append_printf (hints, "%s %s\n", _("To read the log, run:"), log_command);

  dr_ctl_print_error (message->str);
  dr_ctl_write_stdout (hints->str, hints->len);

  return DR_CTL_EXIT_FAILED;
}

/**
 * dr_ctl_follow_start:
 * @result: the result of one of the engine's run-starting calls
 *
 * Finishes starting the run and prints its progress until it has ended.
 *
 * Returns: the exit status: 0 when the run succeeded, 1 when it failed or was cancelled, or
 * the status of the error that kept it from starting
 */
int
dr_ctl_follow_start (DrCtlFollow  *follow,
                     GAsyncResult *result)
{
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *steps;
  g_autofree char *title = NULL;
  g_autofree char *header = NULL;
  guint n_steps;

  g_return_val_if_fail (follow != NULL, DR_CTL_EXIT_FAILED);
  g_return_val_if_fail (follow->run == NULL, DR_CTL_EXIT_FAILED);

  follow->run = dr_engine_start_run_finish (follow->ctl->engine, result, &refusals, &error);
  if (follow->run == NULL) {
    if (refusals != NULL && refusals->len > 0)
      return fail_refused (error, refusals);
    return dr_ctl_fail (error);
  }

  title = dr_run_dup_title (follow->run);
  /* Translators: run id and title, such as "Run 12: Deploy API Gateway 1.4.0 to QA". */
  header = g_strdup_printf (_("Run %lld: %s\n"), (long long) dr_run_get_id (follow->run),
                            title);
  dr_ctl_write_stdout (header, strlen (header));

  if (follow->cancel_requested)
    dr_run_cancel (follow->run);

  steps = dr_run_get_steps (follow->run);
  n_steps = g_list_model_get_n_items (steps);
  g_array_set_size (follow->printed_states, n_steps);
  for (guint i = 0; i < n_steps; i++) {
    DrRunStep *step = g_list_model_get_item (steps, i);

    g_signal_connect_swapped (step, "notify::state", G_CALLBACK (print_step_changes), follow);
    g_ptr_array_add (follow->watched_steps, step);
  }

  if (follow->show_log)
    follow->lines_handler = g_signal_connect_swapped (dr_run_get_log (follow->run),
                                                      "lines-added",
                                                      G_CALLBACK (lines_added_cb), follow);

  print_step_changes (follow);
  dr_engine_wait_for_run (follow->ctl->engine, follow->run);
  print_step_changes (follow);
  catch_up_log (follow);

  return print_summary (follow);
}
