/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Executing a run's steps on the main context of the thread that started it, and recording
 * how the run ended together with what that means for deployments and sign-offs. */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "dr-engine-run-private.h"
#include "dr-placeholders.h"
#include "dr-process.h"
#include "dr-run-private.h"

/* Executing: each step on the calling thread's main context; processes never block it. */

static DrRunStepRecord *
current_step_record (Execution *execution)
{
  return g_ptr_array_index (execution->record->steps, execution->current);
}

typedef struct
{
  gint64           run_id;
  DrRunStepRecord *step;
} StepUpdate;

static void
step_update_free (StepUpdate *update)
{
  dr_run_step_record_free (update->step);
  g_free (update);
}

static gpointer
update_step_work (DrEngine  *self,
                  gpointer   user_data,
                  GError   **error)
{
  StepUpdate *update = user_data;

  dr_store_update_run_step (dr_engine_get_store (self), update->run_id, update->step, error);

  return NULL;
}

static void
update_step_done_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_task_propagate_pointer (G_TASK (result), &error);
  if (error != NULL)
    g_warning ("Could not record the state of a step: %s", error->message);
}

/* Shows the step's new state at once and records it in the store in the background. */
static void
publish_step (Execution       *execution,
              DrRunStepRecord *step)
{
  StepUpdate *update = g_new0 (StepUpdate, 1);

  dr_run_update_step (execution->run, step);

  update->run_id = execution->record->id;
  update->step = dr_run_step_record_copy (step);
  dr_engine_queue_work (execution->engine, update_step_work, update,
                        (GDestroyNotify) step_update_free, NULL, publish_step, NULL,
                        update_step_done_cb, NULL);
}

static char *
describe_duration (guint seconds)
{
  if (seconds % 3600 == 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u hour", "%u hours", seconds / 3600),
                            seconds / 3600);
  if (seconds % 60 == 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u minute", "%u minutes", seconds / 60),
                            seconds / 60);

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u second", "%u seconds", seconds),
                          seconds);
}

static guint
step_timeout (Execution    *execution,
              const DrStep *step)
{
  if (step->timeout_seconds > 0)
    return step->timeout_seconds;

  return dr_workspace_get_step_timeout_seconds (dr_engine_get_workspace (execution->engine));
}

/* Ends the current step and moves on: to the next step after a success, else to the end of
 * the run, skipping the rest. */
static void
end_step (Execution   *execution,
          DrStepState  state,
          int          exit_status,
          const char  *message)
{
  DrRunStepRecord *step = current_step_record (execution);

  step->state = state;
  step->finished_at = g_get_real_time ();
  step->exit_status = exit_status;
  g_clear_pointer (&step->message, g_free);
  step->message = g_strdup (message);

  if (message != NULL && state != DR_STEP_STATE_SUCCEEDED)
    dr_log_writer_write_error (execution->writer, message);

  publish_step (execution, step);

  if (state == DR_STEP_STATE_SUCCEEDED) {
    execution->current++;
    dr_execution_run_next_step (execution);
    return;
  }

  if (state == DR_STEP_STATE_CANCELLED) {
    dr_execution_finish (execution, DR_RUN_STATE_CANCELLED, _("The run was cancelled."));
  } else {
    g_autofree char *summary = g_strdup_printf (_("Step “%s” failed: %s"), step->name, message);

    dr_execution_finish (execution, DR_RUN_STATE_FAILED, summary);
  }
}

static char *
describe_missing_directory (Execution *execution)
{
  return g_strdup_printf (_("The clone of %s was not found at %s. Clone %s into that folder, "
                            "or choose the folder that contains your clones in Preferences."),
                          execution->service->title, execution->directory,
                          execution->service->repository);
}

static void
process_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Execution *execution = user_data;
  const DrStep *step = dr_execution_get_command_step (execution,
                                             g_ptr_array_index (execution->plan,
                                                                execution->current));
  DrProcessResult outcome = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (!dr_process_run_finish (result, &outcome, &error)) {
    if (g_error_matches (error, DR_PROCESS_ERROR, DR_PROCESS_ERROR_NO_DIRECTORY))
      message = describe_missing_directory (execution);
    else
      message = g_strdup (error->message);
    end_step (execution, DR_STEP_STATE_FAILED, DR_EXIT_STATUS_NOT_STARTED, message);
    return;
  }

  if (outcome.ended_stragglers)
    dr_log_writer_write_note (execution->writer,
                              _("Processes the step left running in the background were ended."));

  switch (outcome.end) {
  case DR_PROCESS_EXITED:
    if (outcome.exit_status == 0) {
      end_step (execution, DR_STEP_STATE_SUCCEEDED, 0, NULL);
    } else {
      message = g_strdup_printf (_("The command exited with status %d."), outcome.exit_status);
      end_step (execution, DR_STEP_STATE_FAILED, outcome.exit_status, message);
    }
    break;

  case DR_PROCESS_SIGNALED:
    message = g_strdup_printf (_("The command was ended by signal %d (%s)."),
                               outcome.signal_number, g_strsignal (outcome.signal_number));
    end_step (execution, DR_STEP_STATE_FAILED, DR_EXIT_STATUS_ABNORMAL, message);
    break;

  case DR_PROCESS_TIMED_OUT: {
    g_autofree char *limit = describe_duration (step_timeout (execution, step));

    message = g_strdup_printf (_("The command did not finish within %s, so all its processes "
                                 "were ended. Raise the step’s timeout if it needs longer."),
                               limit);
    end_step (execution, DR_STEP_STATE_TIMED_OUT, DR_EXIT_STATUS_ABNORMAL, message);
    break;
  }

  case DR_PROCESS_CANCELLED:
  default:
    end_step (execution, DR_STEP_STATE_CANCELLED, DR_EXIT_STATUS_ABNORMAL, _("Cancelled."));
    break;
  }
}

static void
rollout_progress_cb (const DrKubeDeployment *deployment,
                     gpointer                user_data)
{
  Execution *execution = user_data;
  g_autofree char *line = NULL;

  line = g_strdup_printf (_("%d of %d replicas updated, %d available"),
                          deployment->updated_replicas, deployment->replicas,
                          deployment->available_replicas);
  dr_log_writer_write_note (execution->writer, line);
}

static void
rollout_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Execution *execution = user_data;
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;

  deployment = dr_kube_client_wait_for_rollout_finish (DR_KUBE_CLIENT (object), result, &error);
  if (deployment == NULL) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      end_step (execution, DR_STEP_STATE_CANCELLED, DR_EXIT_STATUS_ABNORMAL, _("Cancelled."));
    else
      end_step (execution, DR_STEP_STATE_FAILED, DR_EXIT_STATUS_ABNORMAL, error->message);
    return;
  }

  if (deployment->image != NULL) {
    g_autofree char *line = g_strdup_printf (_("Rollout complete: %s"), deployment->image);

    dr_log_writer_write_note (execution->writer, line);
  }
  end_step (execution, DR_STEP_STATE_SUCCEEDED, 0, NULL);
}

static char *
describe_missing_credentials (Execution *execution)
{
  return g_strdup_printf (_("No credentials for cluster “%s” are stored in the keyring. Add "
                            "them in Preferences › Clusters, then run again."),
                          execution->environment->cluster);
}

/* Creates the run's API client on first use. Ends the step and returns FALSE when the cluster's
 * credentials cannot make one. */
static gboolean
ensure_kube_client (Execution *execution)
{
  g_autoptr(GError) error = NULL;

  if (execution->kube == NULL)
    execution->kube = dr_kube_client_new (execution->credentials, &error);
  if (execution->kube == NULL) {
    end_step (execution, DR_STEP_STATE_FAILED, DR_EXIT_STATUS_NOT_STARTED, error->message);
    return FALSE;
  }

  return TRUE;
}

static void
execute_rollout_step (Execution *execution)
{
  if (!ensure_kube_client (execution))
    return;

  dr_kube_client_wait_for_rollout_async (execution->kube, execution->environment->namespace,
                                         execution->service->id, rollout_progress_cb, execution,
                                         dr_run_get_cancellable (execution->run),
                                         rollout_done_cb, execution);
}

static void
undo_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Execution *execution = user_data;
  g_autoptr(DrKubeRollback) rollback = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  rollback = dr_kube_client_undo_rollout_finish (DR_KUBE_CLIENT (object), result, &error);
  if (rollback == NULL) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      end_step (execution, DR_STEP_STATE_CANCELLED, DR_EXIT_STATUS_ABNORMAL, _("Cancelled."));
    else
      end_step (execution, DR_STEP_STATE_FAILED, DR_EXIT_STATUS_ABNORMAL, error->message);
    return;
  }

  if (rollback->changed)
    /* Translators: the Deployment, then revision numbers and container images. */
    line = g_strdup_printf (_("Rolled deployment/%s back from revision %lld (%s) to revision "
                              "%lld (%s)."),
                            execution->service->id, (long long) rollback->from_revision,
                            rollback->from_image != NULL ? rollback->from_image : "?",
                            (long long) rollback->to_revision, rollback->to_image);
  else
    line = g_strdup_printf (_("deployment/%s already runs the template of revision %lld (%s), "
                              "so nothing was changed."),
                            execution->service->id, (long long) rollback->to_revision,
                            rollback->to_image);
  dr_log_writer_write_note (execution->writer, line);

  end_step (execution, DR_STEP_STATE_SUCCEEDED, 0, NULL);
}

static void
execute_undo_step (Execution *execution)
{
  if (!ensure_kube_client (execution))
    return;

  dr_kube_client_undo_rollout_async (execution->kube, execution->environment->namespace,
                                     execution->service->id, 0,
                                     dr_run_get_cancellable (execution->run), undo_done_cb,
                                     execution);
}

void
dr_execution_run_next_step (Execution *execution)
{
  PlannedStep *planned;
  const DrStep *step;
  DrRunStepRecord *record;
  g_autoptr(GHashTable) values = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) envp = NULL;
  g_autofree char *header = NULL;

  if (execution->current >= execution->plan->len) {
    dr_execution_finish (execution, DR_RUN_STATE_SUCCEEDED, NULL);
    return;
  }

  planned = g_ptr_array_index (execution->plan, execution->current);
  step = dr_execution_get_command_step (execution, planned);
  record = current_step_record (execution);

  /* A step planned as skipped was recorded so, with its reason, and the log notes it too. */
  if (planned->skip_reason != NULL) {
    g_autofree char *note = NULL;

    header = g_strdup_printf (_("Step %u of %u: %s"), execution->current + 1,
                              execution->plan->len, planned->name);
    /* Translators: why the step does not run. */
    note = g_strdup_printf (_("Skipped: %s"), planned->skip_reason);
    dr_log_writer_write_header (execution->writer, header);
    dr_log_writer_write_note (execution->writer, note);
    execution->current++;
    dr_execution_run_next_step (execution);
    return;
  }

  record->state = DR_STEP_STATE_RUNNING;
  record->started_at = g_get_real_time ();
  publish_step (execution, record);

  /* Translators: step number, number of steps, step name. */
  header = g_strdup_printf (_("Step %u of %u: %s"), execution->current + 1,
                            execution->plan->len, planned->name);
  dr_log_writer_write_header (execution->writer, header);
  dr_log_writer_write_note (execution->writer, record->command);

  if (g_cancellable_is_cancelled (dr_run_get_cancellable (execution->run))) {
    end_step (execution, DR_STEP_STATE_CANCELLED, DR_EXIT_STATUS_NOT_STARTED, _("Cancelled."));
    return;
  }

  if (step->needs_cluster && execution->credentials == NULL) {
    g_autofree char *message = describe_missing_credentials (execution);

    end_step (execution, DR_STEP_STATE_FAILED, DR_EXIT_STATUS_NOT_STARTED, message);
    return;
  }
  if (step->needs_cluster && execution->kubeconfig_path == NULL) {
    end_step (execution, DR_STEP_STATE_FAILED, DR_EXIT_STATUS_NOT_STARTED,
              _("The kubeconfig for this run could not be written. Check that $XDG_RUNTIME_DIR "
                "exists and belongs to you."));
    return;
  }

  if (step->kind == DR_STEP_KIND_ACTION && step->action == DR_STEP_ACTION_WAIT_FOR_ROLLOUT) {
    execute_rollout_step (execution);
    return;
  }
  if (step->kind == DR_STEP_KIND_ACTION && step->action == DR_STEP_ACTION_ROLLOUT_UNDO) {
    execute_undo_step (execution);
    return;
  }

  values = dr_execution_dup_values (execution, execution->record->id);
  argv = dr_execution_dup_argv (execution, planned, values, &error);
  if (argv == NULL) {
    end_step (execution, DR_STEP_STATE_FAILED, DR_EXIT_STATUS_NOT_STARTED,
              error != NULL ? error->message : _("The step has nothing to run."));
    return;
  }

  envp = dr_placeholders_environ (g_get_environ (), values);
  /* With DYNAMO_RUN, this tells the step's processes from those of a run with the same id in
   * another store, for the recovery after a crash. */
  envp = g_environ_setenv (envp, "DYNAMO_STORE",
                           dr_engine_get_store_location (execution->engine), TRUE);
  if (step->needs_cluster)
    envp = g_environ_setenv (envp, "KUBECONFIG", execution->kubeconfig_path, TRUE);

  dr_process_run_async ((const char * const *) argv, execution->directory,
                        (const char * const *) envp, step_timeout (execution, step),
                        dr_workspace_get_kill_grace_seconds (dr_engine_get_workspace (execution->engine)),
                        execution->writer, dr_run_get_cancellable (execution->run),
                        process_done_cb, execution);
}

/* Finishing: one transaction records the outcome and what it means for deployments and
 * sign-offs. */

/* A pipeline without verify steps has nothing that could verify a deploy, so a deploy that
 * succeeded counts as verified. */
static gboolean
has_verify_steps (Execution *execution)
{
  GPtrArray *steps = execution->service->pipeline->steps[DR_PIPELINE_VERIFY];

  return steps != NULL && steps->len > 0;
}

/* Returns whether one of a verify run's checks ran and failed or timed out. Only then does a
 * run that did not succeed mark the deployment unverified: a cancelled run, or a check that
 * could not start (a missing clone or command), leaves the verification unchanged. */
static gboolean
verify_failed_a_check (Execution *execution)
{
  GPtrArray *steps = execution->record->steps;

  for (guint i = 0; i < steps->len; i++) {
    const DrRunStepRecord *step = g_ptr_array_index (steps, i);

    if (step->state == DR_STEP_STATE_TIMED_OUT)
      return TRUE;
    if (step->state == DR_STEP_STATE_FAILED && step->exit_status != DR_EXIT_STATUS_NOT_STARTED)
      return TRUE;
  }

  return FALSE;
}

/* Marks as rolled back the earlier deployments of the build that a successful rollback
 * undoes, back to the build before it. A redeploy adds a second deployment of the current
 * build, and without this the first one would become current again after the rollback. The
 * rollback's summary promises the build before, and `kubectl rollout undo` restores it too.
 * NOTE: after a redeploy that repaired drift, the cluster's previous revision is the drifted
 * image, so `kubectl rollout undo` restores that image while the board records the build
 * before, and the board shows the drift again. */
static gboolean
roll_back_redeploys (DrStore    *store,
                     Execution  *execution,
                     GError    **error)
{
  const DrDeployment *undone = execution->deployment;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  const DrDeployment *previous;

  snapshot = dr_store_load_snapshot (store, undone->service, error);
  if (snapshot == NULL)
    return FALSE;

  previous = dr_service_snapshot_get_previous (snapshot, undone->environment);

  for (guint i = 0; i < snapshot->deployments->len; i++) {
    DrDeployment *deployment = g_ptr_array_index (snapshot->deployments, i);

    if (deployment->id == undone->id || deployment->state != DR_DEPLOYMENT_SUCCEEDED ||
        g_strcmp0 (deployment->environment, undone->environment) != 0 ||
        g_strcmp0 (deployment->version, undone->version) != 0)
      continue;

    /* An older deployment of the same build, from before the one that is restored, stays. */
    if (previous != NULL && (deployment->started_at < previous->started_at ||
                             (deployment->started_at == previous->started_at &&
                              deployment->id < previous->id)))
      continue;

    deployment->state = DR_DEPLOYMENT_ROLLED_BACK;
    if (!dr_store_update_deployment (store, deployment, error))
      return FALSE;
  }

  return TRUE;
}

static gboolean
finish_transaction (gpointer   store,
                    gpointer   user_data,
                    GError   **error)
{
  Execution *execution = user_data;
  DrRunRecord *record = execution->record;
  gboolean succeeded = execution->final_state == DR_RUN_STATE_SUCCEEDED;
  g_autofree char *detail = NULL;

  for (guint i = 0; i < record->steps->len; i++)
    if (!dr_store_update_run_step (store, record->id, g_ptr_array_index (record->steps, i), error))
      return FALSE;

  if (!dr_store_update_run (store, record, error))
    return FALSE;

  switch (execution->kind) {
  case DR_RUN_KIND_DEPLOY: {
    gboolean verify_ran = execution->first_verify_step < record->steps->len;

    execution->deployment->state = succeeded ? DR_DEPLOYMENT_SUCCEEDED : DR_DEPLOYMENT_FAILED;
    execution->deployment->verified = succeeded && (verify_ran || !has_verify_steps (execution));
    execution->deployment->finished_at = record->finished_at;
    if (!dr_store_update_deployment (store, execution->deployment, error))
      return FALSE;
    break;
  }

  case DR_RUN_KIND_VERIFY:
    if (!succeeded && !verify_failed_a_check (execution))
      break;
    execution->deployment->verified = succeeded;
    if (!dr_store_update_deployment (store, execution->deployment, error))
      return FALSE;
    break;

  case DR_RUN_KIND_ROLLBACK:
    if (succeeded) {
      if (execution->deployment->state == DR_DEPLOYMENT_SUCCEEDED &&
          !roll_back_redeploys (store, execution, error))
        return FALSE;

      execution->deployment->state = DR_DEPLOYMENT_ROLLED_BACK;
      if (!dr_store_update_deployment (store, execution->deployment, error))
        return FALSE;
    }
    break;

  case DR_RUN_KIND_CHECK:
    if (succeeded) {
      g_autoptr(DrServiceSnapshot) snapshot = dr_store_load_snapshot (store, record->service,
                                                                      error);
      DrSignoff signoff = { 0 };

      if (snapshot == NULL)
        return FALSE;

      if (dr_service_snapshot_get_signoff (snapshot, record->version, record->checklist,
                                           record->item) == NULL) {
        signoff.service = record->service;
        signoff.version = record->version;
        signoff.checklist = record->checklist;
        signoff.item = record->item;
        signoff.person = record->person;
        signoff.role = execution->item->role;
        signoff.at = record->finished_at;
        signoff.run_id = record->id;
        if (!dr_store_insert_signoff (store, &signoff, error))
          return FALSE;
      }
    }
    break;

  default:
    g_assert_not_reached ();
  }

  detail = dr_engine_dup_detail_json ("kind", dr_run_kind_to_string (record->kind),
                                      "state", dr_run_state_to_string (record->state),
                                      "message", record->message, NULL);

  return dr_store_audit (store, record->person, "run-finished", record->service,
                         record->version, record->environment, detail, error);
}

static gpointer
finish_work (DrEngine  *self,
             gpointer   user_data,
             GError   **error)
{
  Execution *execution = user_data;

  if (execution->kubeconfig_path != NULL) {
    if (g_unlink (execution->kubeconfig_path) != 0 && errno != ENOENT)
      g_warning ("Could not delete the kubeconfig of run %" G_GINT64_FORMAT ": %s",
                 execution->record->id, g_strerror (errno));
    g_clear_pointer (&execution->kubeconfig_path, g_free);
  }

  if (!dr_store_transaction (dr_engine_get_store (self), finish_transaction, execution, error))
    return NULL;

  return NULL;
}

static void
finish_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Execution) execution = user_data;
  g_autoptr(GError) error = NULL;

  g_task_propagate_pointer (G_TASK (result), &error);
  if (error != NULL)
    g_warning ("Could not record the end of run %" G_GINT64_FORMAT ": %s",
               execution->record->id, error->message);

  dr_run_finish (execution->run, execution->final_state, execution->final_message,
                 execution->record->finished_at);
  dr_engine_emit_changed (execution->engine, execution->service->id);
}

void
dr_execution_finish (Execution  *execution,
            DrRunState  state,
            const char *message)
{
  DrRunRecord *record = execution->record;
  g_autoptr(GError) error = NULL;

  /* Steps that never started are skipped. */
  for (guint i = 0; i < record->steps->len; i++) {
    DrRunStepRecord *step = g_ptr_array_index (record->steps, i);

    if (step->state == DR_STEP_STATE_PENDING) {
      step->state = DR_STEP_STATE_SKIPPED;
      dr_run_update_step (execution->run, step);
    }
  }

  execution->final_state = state;
  execution->final_message = g_strdup (message);
  record->state = state;
  record->finished_at = g_get_real_time ();
  g_free (record->message);
  record->message = g_strdup (message);

  if (execution->writer != NULL) {
    if (state == DR_RUN_STATE_SUCCEEDED)
      dr_log_writer_write_header (execution->writer, _("The run succeeded."));
    else if (message != NULL)
      dr_log_writer_write_error (execution->writer, message);

    if (execution->kind == DR_RUN_KIND_VERIFY && state != DR_RUN_STATE_SUCCEEDED &&
        !verify_failed_a_check (execution)) {
      g_autofree char *note = NULL;

      /* Translators: a version, then an environment title. */
      note = g_strdup_printf (_("No check ran to its end, so this run leaves the verification "
                                "of %s in %s as it was."),
                              record->version, execution->environment->title);
      dr_log_writer_write_note (execution->writer, note);
    }

    if (!dr_log_writer_close (execution->writer, &error))
      g_warning ("Could not finish the log of run %" G_GINT64_FORMAT ": %s",
                 record->id, error->message);
  }

  dr_engine_queue_work (execution->engine, finish_work, execution, NULL, NULL, dr_execution_finish, NULL,
                        finish_done_cb, execution);
}

