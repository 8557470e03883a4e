/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Planning and starting runs: promotion, verification, checklist checks and rollback. */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "dr-engine-run-private.h"
#include "dr-placeholders.h"
#include "dr-run-private.h"

static void
planned_step_free (PlannedStep *planned)
{
  g_free (planned->name);
  g_free (planned->skip_reason);
  g_free (planned);
}

void
dr_execution_free (Execution *execution)
{
  g_clear_object (&execution->engine);
  g_clear_pointer (&execution->identity, dr_identity_free);
  g_clear_pointer (&execution->checklist, g_free);
  g_clear_pointer (&execution->version, g_free);
  g_clear_pointer (&execution->previous_version, g_free);
  g_clear_pointer (&execution->clones_folder, g_free);
  g_clear_pointer (&execution->directory, g_free);
  g_clear_pointer (&execution->plan, g_ptr_array_unref);
  g_clear_pointer (&execution->credentials, dr_cluster_credentials_free);
  g_clear_pointer (&execution->kubeconfig_path, g_free);
  g_clear_pointer (&execution->refusals, g_ptr_array_unref);
  g_clear_error (&execution->clone_error);
  g_clear_pointer (&execution->record, dr_run_record_free);
  g_clear_pointer (&execution->deployment, dr_deployment_free);
  g_clear_object (&execution->run);
  g_clear_pointer (&execution->writer, dr_log_writer_free);
  g_clear_object (&execution->kube);
  g_clear_pointer (&execution->final_message, g_free);
  g_free (execution);
}

/* Planning: which steps a run has. Needs only the workspace, so it runs on the calling thread. */

static void
plan_add_steps (Execution *execution,
                GPtrArray *steps)
{
  for (guint i = 0; steps != NULL && i < steps->len; i++) {
    const DrStep *step = g_ptr_array_index (steps, i);
    PlannedStep *planned = g_new0 (PlannedStep, 1);

    planned->step = step;
    planned->name = g_strdup (step->name);
    if (step->needs_cluster)
      execution->needs_cluster = TRUE;

    g_ptr_array_add (execution->plan, planned);
  }
}

const DrStep *
dr_execution_get_command_step (Execution   *execution,
                      PlannedStep *planned)
{
  if (planned->step->kind == DR_STEP_KIND_ACTION &&
      planned->step->action == DR_STEP_ACTION_ENVIRONMENT_BUILD)
    return execution->environment->build_step;

  return planned->step;
}

gboolean
dr_execution_plan (Execution  *execution,
                   GError    **error)
{
  DrWorkspace *workspace = dr_engine_get_workspace (execution->engine);
  const DrPipeline *pipeline = execution->service->pipeline;

  execution->plan = g_ptr_array_new_with_free_func ((GDestroyNotify) planned_step_free);

  switch (execution->kind) {
  case DR_RUN_KIND_DEPLOY:
    plan_add_steps (execution, pipeline->steps[DR_PIPELINE_DEPLOY]);
    execution->first_verify_step = execution->plan->len;
    if (dr_workspace_get_verify_after_deploy (workspace))
      plan_add_steps (execution, pipeline->steps[DR_PIPELINE_VERIFY]);
    break;

  case DR_RUN_KIND_VERIFY:
    execution->first_verify_step = 0;
    plan_add_steps (execution, pipeline->steps[DR_PIPELINE_VERIFY]);
    break;

  case DR_RUN_KIND_ROLLBACK:
    plan_add_steps (execution, pipeline->steps[DR_PIPELINE_ROLLBACK]);
    execution->first_verify_step = execution->plan->len;
    break;

  case DR_RUN_KIND_CHECK: {
    PlannedStep *planned;

    if (execution->item->check == NULL) {
      g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                   _("“%s” has no command that signs it; tick it by hand instead."),
                   execution->item->title);
      return FALSE;
    }

    planned = g_new0 (PlannedStep, 1);
    planned->step = execution->item->check;
    planned->name = g_strdup (execution->item->title);
    execution->needs_cluster = execution->item->check->needs_cluster;
    execution->first_verify_step = 1;
    g_ptr_array_add (execution->plan, planned);
    break;
  }

  default:
    g_assert_not_reached ();
  }

  if (execution->plan->len == 0 && execution->kind == DR_RUN_KIND_VERIFY) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                 _("The pipeline of %s has no verify steps, so there is nothing to verify: "
                   "each successful deploy of it counts as verified."),
                 execution->service->title);
    return FALSE;
  }
  if (execution->plan->len == 0 && execution->kind == DR_RUN_KIND_ROLLBACK) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                 _("The pipeline of %s has no rollback steps, so a rollback has nothing to run. "
                   "Deploy the earlier build again instead."),
                 execution->service->title);
    return FALSE;
  }
  if (execution->plan->len == 0) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                 _("The pipeline of %s has no steps for this run."), execution->service->title);
    return FALSE;
  }

  return TRUE;
}

/**
 * dr_engine_dup_run_title:
 *
 * Returns a run's title for people, such as "Deploy API Gateway 1.4.0 to QA", with the
 * workspace's titles; ids stand in for what the workspace no longer has.
 */
char *
dr_engine_dup_run_title (DrEngine          *self,
                         const DrRunRecord *record)
{
  DrWorkspace *workspace = dr_engine_get_workspace (self);
  const DrService *service = dr_workspace_get_service (workspace, record->service);
  const DrEnvironment *environment = dr_workspace_get_environment (workspace,
                                                                   record->environment);
  const DrChecklistItem *item = NULL;
  const char *service_title = service != NULL ? service->title : record->service;
  const char *environment_title = environment != NULL ? environment->title
                                                      : record->environment;

  if (record->checklist != NULL && record->item != NULL)
    item = dr_workspace_find_checklist_item (workspace, record->checklist, record->item);

  switch (record->kind) {
  case DR_RUN_KIND_DEPLOY:
    /* Translators: service, version, environment, e.g. "Deploy API Gateway 1.4.0 to QA". */
    return g_strdup_printf (_("Deploy %s %s to %s"), service_title, record->version,
                            environment_title);
  case DR_RUN_KIND_VERIFY:
    return g_strdup_printf (_("Verify %s %s in %s"), service_title, record->version,
                            environment_title);
  case DR_RUN_KIND_CHECK:
    /* Translators: checklist item, service, version. */
    return g_strdup_printf (_("Check “%s” for %s %s"),
                            item != NULL ? item->title : record->item, service_title,
                            record->version);
  case DR_RUN_KIND_ROLLBACK:
    return g_strdup_printf (_("Roll back %s %s in %s"), service_title, record->version,
                            environment_title);
  default:
    g_assert_not_reached ();
  }
}

GHashTable *
dr_execution_dup_values (Execution *execution,
                        gint64     run_id)
{
  GHashTable *values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (values, (char *) "service", g_strdup (execution->service->id));
  g_hash_table_insert (values, (char *) "environment", g_strdup (execution->environment->id));
  g_hash_table_insert (values, (char *) "namespace", g_strdup (execution->environment->namespace));
  g_hash_table_insert (values, (char *) "cluster", g_strdup (execution->environment->cluster));
  g_hash_table_insert (values, (char *) "base-url", g_strdup (execution->environment->base_url));
  g_hash_table_insert (values, (char *) "run", g_strdup_printf ("%" G_GINT64_FORMAT, run_id));
  if (execution->version != NULL)
    g_hash_table_insert (values, (char *) "version", g_strdup (execution->version));
  if (execution->previous_version != NULL)
    g_hash_table_insert (values, (char *) "previous-version",
                         g_strdup (execution->previous_version));

  return values;
}

/* Returns the argument vector of a planned step, placeholders substituted, or NULL for a
 * built-in action that runs no process. */
char **
dr_execution_dup_argv (Execution    *execution,
               PlannedStep  *planned,
               GHashTable   *values,
               GError      **error)
{
  const DrStep *step = dr_execution_get_command_step (execution, planned);

  switch (step->kind) {
  case DR_STEP_KIND_COMMAND:
    return dr_placeholders_expand_argv ((const char * const *) step->argv_template, values, error);

  case DR_STEP_KIND_SHELL: {
    /* A shell step gets the values only through DYNAMO_* variables. */
    char *argv[] = { (char *) "/bin/sh", (char *) "-c", step->command, NULL };

    return g_strdupv (argv);
  }

  case DR_STEP_KIND_ACTION:
  default:
    return NULL;
  }
}

char *
dr_execution_dup_step_display (Execution   *execution,
                               PlannedStep *planned,
                               GHashTable  *values)
{
  const DrStep *step = dr_execution_get_command_step (execution, planned);
  g_auto(GStrv) argv = NULL;
  g_autoptr(GString) text = NULL;

  if (step->kind == DR_STEP_KIND_ACTION) {
    if (step->action == DR_STEP_ACTION_WAIT_FOR_ROLLOUT)
      return g_strdup_printf (_("Wait for the rollout of deployment/%s in namespace %s"),
                              execution->service->id, execution->environment->namespace);
    if (step->action == DR_STEP_ACTION_ROLLOUT_UNDO)
      return g_strdup_printf (_("Roll back deployment/%s in namespace %s to its previous "
                                "revision"),
                              execution->service->id, execution->environment->namespace);
    return g_strdup (step->command);
  }

  argv = dr_execution_dup_argv (execution, planned, values, NULL);
  if (argv == NULL)
    return g_strdup (step->command);

  text = g_string_new (NULL);
  for (guint i = 0; argv[i] != NULL; i++) {
    g_autofree char *quoted = NULL;

    if (i > 0)
      g_string_append_c (text, ' ');
    if (strpbrk (argv[i], " \t\n'\"\\$`;&|<>()*?[]{}~#") != NULL || argv[i][0] == '\0') {
      quoted = g_shell_quote (argv[i]);
      g_string_append (text, quoted);
    } else {
      g_string_append (text, argv[i]);
    }
  }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Starting: the worker thread re-reads the service, applies the gate and records the run in
 * one transaction, so two processes can never both start a run for one environment. */

static gboolean
require_role (Execution   *execution,
              const char  *role_id,
              const char  *what,
              GError     **error)
{
  DrWorkspace *workspace = dr_engine_get_workspace (execution->engine);
  const DrRole *role;

  if (role_id == NULL || dr_identity_has_role (execution->identity, role_id))
    return TRUE;

  role = dr_workspace_get_role (workspace, role_id);
  g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_ALLOWED,
               /* Translators: the role, then an action such as "roll back API Gateway in QA". */
               _("Only a person with the role %s may %s. Add the role in Preferences if you hold it."),
               role != NULL ? role->title : role_id, what);

  return FALSE;
}

/* Applies the redeploy gate and takes the environment's current build as the run's version.
 * The clone was compared with the build that was current before the transaction began, so a
 * change of the current build in between stops the run. */
static gboolean
resolve_redeploy (Execution          *execution,
                  DrServiceSnapshot  *snapshot,
                  GError            **error)
{
  DrWorkspace *workspace = dr_engine_get_workspace (execution->engine);
  const char *environment_id = execution->environment->id;
  const DrDeployment *current = dr_service_snapshot_get_current (snapshot, environment_id);
  g_autoptr(GPtrArray) refusals = NULL;

  refusals = dr_gate_evaluate_redeploy (workspace, snapshot, execution->identity, environment_id);
  if (refusals->len > 0) {
    g_autofree char *reasons = dr_refusals_to_string (refusals);

    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_REFUSED,
                 /* Translators: service, environment, then one reason per line. */
                 _("%s cannot be redeployed in %s:\n%s"), execution->service->title,
                 execution->environment->title, reasons);
    execution->refusals = g_steal_pointer (&refusals);
    return FALSE;
  }

  if (g_strcmp0 (execution->version, current->version) != 0) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_FAILED,
                 /* Translators: service, the new current version, environment. */
                 _("The current build of %s changed to %s in %s while the redeploy started. "
                   "Start the redeploy again."),
                 execution->service->title, current->version, execution->environment->title);
    return FALSE;
  }

  g_free (execution->version);
  execution->version = g_strdup (current->version);
  execution->previous_version = g_strdup (current->version);

  return TRUE;
}

static gboolean
resolve_target (Execution          *execution,
                DrServiceSnapshot  *snapshot,
                GError            **error)
{
  DrWorkspace *workspace = dr_engine_get_workspace (execution->engine);
  const char *environment_id = execution->environment->id;
  const DrGate *gate = dr_workspace_get_gate (workspace, environment_id);
  const DrDeployment *current = dr_service_snapshot_get_current (snapshot, environment_id);

  switch (execution->kind) {
  case DR_RUN_KIND_DEPLOY: {
    g_autoptr(GPtrArray) refusals = NULL;

    if (execution->redeploy)
      return resolve_redeploy (execution, snapshot, error);

    refusals = dr_gate_evaluate (workspace, snapshot, execution->identity, execution->version,
                                 environment_id);

    if (refusals->len > 0) {
      g_autofree char *reasons = dr_refusals_to_string (refusals);

      g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_REFUSED,
                   /* Translators: service, version, environment, then one reason per line. */
                   _("%s %s may not enter %s:\n%s"), execution->service->title,
                   execution->version, execution->environment->title, reasons);
      execution->refusals = g_steal_pointer (&refusals);
      return FALSE;
    }

    if (current != NULL)
      execution->previous_version = g_strdup (current->version);
    return TRUE;
  }

  case DR_RUN_KIND_VERIFY:
    if (current == NULL) {
      g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                   _("No build of %s is deployed in %s, so there is nothing to verify."),
                   execution->service->title, execution->environment->title);
      return FALSE;
    }
    execution->version = g_strdup (current->version);
    execution->deployment = dr_deployment_copy (current);
    break;

  case DR_RUN_KIND_ROLLBACK: {
    const DrDeployment *newest = dr_rollback_find_target (snapshot, environment_id);
    const DrDeployment *previous = dr_service_snapshot_get_previous (snapshot, environment_id);
    g_autofree char *what = NULL;

    if (newest == NULL) {
      g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                   _("No build of %s was deployed in %s, so there is nothing to roll back."),
                   execution->service->title, execution->environment->title);
      return FALSE;
    }

    what = g_strdup_printf (_("roll back %s in %s"), execution->service->title,
                            execution->environment->title);
    if (!require_role (execution, gate != NULL ? gate->promoter_role : NULL, what, error))
      return FALSE;

    execution->version = g_strdup (newest->version);
    execution->deployment = dr_deployment_copy (newest);
    if (newest->state == DR_DEPLOYMENT_SUCCEEDED && previous != NULL)
      execution->previous_version = g_strdup (previous->version);
    else if (newest->state != DR_DEPLOYMENT_SUCCEEDED && current != NULL)
      execution->previous_version = g_strdup (current->version);

    dr_execution_skip_unneeded_rollback_steps (execution, snapshot, newest);
    break;
  }

  case DR_RUN_KIND_CHECK: {
    g_autofree char *what = g_strdup_printf (_("sign “%s”"), execution->item->title);

    if (dr_service_snapshot_find_build (snapshot, execution->version) == NULL) {
      g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                   _("Build %s of %s was never recorded."), execution->version,
                   execution->service->title);
      return FALSE;
    }
    if (!require_role (execution, execution->item->role, what, error))
      return FALSE;
    break;
  }

  default:
    g_assert_not_reached ();
  }

  return TRUE;
}

static DrRunRecord *
new_run_record (Execution *execution)
{
  g_autoptr(GHashTable) values = dr_execution_dup_values (execution, 0);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *suffix = g_uuid_string_random ();
  g_autofree char *file_name = NULL;
  DrRunRecord *record = g_new0 (DrRunRecord, 1);

  suffix[8] = '\0';
  file_name = g_strdup_printf ("%s-%s-%s-%s.log", stamp, execution->service->id,
                               dr_run_kind_to_string (execution->kind), suffix);

  record->kind = execution->kind;
  record->service = g_strdup (execution->service->id);
  record->version = g_strdup (execution->version);
  record->environment = g_strdup (execution->environment->id);
  if (execution->item != NULL) {
    record->checklist = g_strdup (execution->checklist);
    record->item = g_strdup (execution->item->id);
  }
  record->state = DR_RUN_STATE_RUNNING;
  record->person = g_strdup (execution->identity->name);
  record->started_at = g_get_real_time ();
  record->log_path = g_build_filename (dr_engine_get_log_folder (execution->engine), file_name,
                                       NULL);
  record->owner = dr_process_owner_for_self ();
  record->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_run_step_record_free);

  for (guint i = 0; i < execution->plan->len; i++) {
    PlannedStep *planned = g_ptr_array_index (execution->plan, i);
    DrRunStepRecord *step = g_new0 (DrRunStepRecord, 1);

    step->index = i;
    step->name = g_strdup (planned->name);
    step->command = dr_execution_dup_step_display (execution, planned, values);
    step->state = planned->skip_reason != NULL ? DR_STEP_STATE_SKIPPED : DR_STEP_STATE_PENDING;
    step->message = g_strdup (planned->skip_reason);
    step->exit_status = -1;
    g_ptr_array_add (record->steps, step);
  }

  return record;
}

static gboolean
validate_steps (Execution  *execution,
                GError    **error)
{
  g_autoptr(GHashTable) values = dr_execution_dup_values (execution, 0);
  GHashTableIter iter;
  gpointer name, value;

  g_hash_table_iter_init (&iter, values);
  while (g_hash_table_iter_next (&iter, &name, &value)) {
    g_autoptr(GError) local_error = NULL;

    if (!dr_placeholder_validate (name, value, &local_error)) {
      g_set_error_literal (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID, local_error->message);
      return FALSE;
    }
  }

  for (guint i = 0; i < execution->plan->len; i++) {
    PlannedStep *planned = g_ptr_array_index (execution->plan, i);
    g_autoptr(GError) local_error = NULL;
    g_auto(GStrv) argv = dr_execution_dup_argv (execution, planned, values, &local_error);

    if (local_error != NULL) {
      g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                   _("Step “%s” cannot run: %s"), planned->name, local_error->message);
      return FALSE;
    }
  }

  return TRUE;
}

static gboolean
start_transaction (gpointer   store,
                   gpointer   user_data,
                   GError   **error)
{
  Execution *execution = user_data;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autofree char *detail = NULL;
  const DrRunRecord *active;
  const char *action;

  snapshot = dr_store_load_snapshot (store, execution->service->id, error);
  if (snapshot == NULL)
    return FALSE;

  if (!resolve_target (execution, snapshot, error))
    return FALSE;

  active = dr_service_snapshot_find_active_run (snapshot, execution->environment->id);
  if (active != NULL) {
    g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_BUSY,
                 _("Run %lld (%s, started by %s) is still in progress for %s "
                   "in %s. Wait for it to end or cancel it."),
                 (long long) active->id, dr_run_kind_describe (active->kind), active->person,
                 execution->service->title, execution->environment->title);
    return FALSE;
  }

  if (!validate_steps (execution, error))
    return FALSE;

  /* Nothing runs when a step would reach a cluster without credentials: building and testing
   * first would only waste the time. A rollback that skips its cluster steps needs none. */
  if (execution->needs_cluster && execution->credentials_missing) {
    g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND,
                 _("No credentials for cluster “%s” are stored in the keyring. Add them in "
                   "Preferences › Clusters, or with “dynamoctl cluster set %s”, then run "
                   "again."),
                 execution->environment->cluster, execution->environment->cluster);
    return FALSE;
  }

  /* Reported only now, so that a refused gate shows its reasons first. */
  if (execution->clone_error != NULL) {
    g_propagate_error (error, g_error_copy (execution->clone_error));
    return FALSE;
  }

  execution->record = new_run_record (execution);
  if (!dr_store_insert_run (store, execution->record, error))
    return FALSE;

  if (execution->kind == DR_RUN_KIND_DEPLOY) {
    execution->deployment = g_new0 (DrDeployment, 1);
    execution->deployment->service = g_strdup (execution->service->id);
    execution->deployment->version = g_strdup (execution->version);
    execution->deployment->environment = g_strdup (execution->environment->id);
    execution->deployment->state = DR_DEPLOYMENT_IN_PROGRESS;
    execution->deployment->person = g_strdup (execution->identity->name);
    execution->deployment->run_id = execution->record->id;
    execution->deployment->started_at = execution->record->started_at;
    if (!dr_store_insert_deployment (store, execution->deployment, error))
      return FALSE;
  }

  detail = dr_engine_dup_detail_json ("kind", dr_run_kind_to_string (execution->kind),
                                      "item", execution->item != NULL ? execution->item->id : NULL,
                                      "previous-version", execution->previous_version, NULL);

  if (execution->redeploy)
    action = "redeploy-started";
  else if (execution->kind == DR_RUN_KIND_DEPLOY)
    action = "promotion-started";
  else
    action = "run-started";

  return dr_store_audit (store, execution->identity->name, action, execution->service->id,
                         execution->version, execution->environment->id, detail, error);
}

/* Sets the version of a redeploy to the build that is current in its environment, or leaves
 * it unset when none is, so that the gate rejects the run. */
static gboolean
read_current_version (Execution  *execution,
                      GError    **error)
{
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  const DrDeployment *current;

  snapshot = dr_store_load_snapshot (dr_engine_get_store (execution->engine),
                                     execution->service->id, error);
  if (snapshot == NULL)
    return FALSE;

  current = dr_service_snapshot_get_current (snapshot, execution->environment->id);
  g_clear_pointer (&execution->version, g_free);
  if (current != NULL)
    execution->version = g_strdup (current->version);

  return TRUE;
}

static gpointer
start_work (DrEngine  *self,
            gpointer   user_data,
            GError   **error)
{
  Execution *execution = user_data;
  g_autoptr(GError) local_error = NULL;

  if (g_mkdir_with_parents (dr_engine_get_log_folder (self), 0700) != 0) {
    int saved_errno = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 _("Could not create the log folder %s: %s"),
                 dr_engine_get_log_folder (self), g_strerror (saved_errno));
    return NULL;
  }

  /* A redeploy learns its version from the store, and the clone check needs it. */
  if (execution->redeploy && !read_current_version (execution, error))
    return NULL;

  /* The clone is read before the transaction, which would hold the store while git runs. */
  if ((execution->kind == DR_RUN_KIND_DEPLOY || execution->kind == DR_RUN_KIND_CHECK) &&
      execution->version != NULL)
    dr_execution_check_clone (execution, dr_engine_get_store (self), &execution->clone_error);

  if (!dr_store_transaction (dr_engine_get_store (self), start_transaction, execution, error))
    return NULL;

  /* The kubeconfig exists from here until the run ends, and only for this run. */
  if (execution->needs_cluster && execution->credentials != NULL) {
    execution->kubeconfig_path = dr_kubeconfig_write_for_run (execution->credentials,
                                                              execution->environment->namespace,
                                                              execution->record->id,
                                                              dr_engine_get_store_key (self),
                                                              &local_error);
    if (execution->kubeconfig_path == NULL)
      g_warning ("Could not write the kubeconfig of run %" G_GINT64_FORMAT ": %s",
                 execution->record->id, local_error->message);
  }

  return GINT_TO_POINTER (TRUE);
}

static gboolean
start_first_step_cb (gpointer user_data)
{
  dr_execution_run_next_step (user_data);

  return G_SOURCE_REMOVE;
}

/* The task data of a run being started. It owns the execution until the steps take it over. */
typedef struct
{
  Execution *execution;
} Start;

static void
start_free (Start *start)
{
  g_clear_pointer (&start->execution, dr_execution_free);
  g_free (start);
}

static void
start_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Start *start = g_task_get_task_data (task);
  Execution *execution = start->execution;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrLogIndex) log = NULL;
  g_autofree char *title = NULL;

  g_task_propagate_pointer (G_TASK (result), &error);
  if (error != NULL) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  /* From here the run is recorded, so it must also be recorded as ended. */
  start->execution = NULL;
  dr_engine_emit_changed (execution->engine, execution->service->id);

  title = dr_engine_dup_run_title (execution->engine, execution->record);
  log = dr_log_index_new_for_writing (execution->record->log_path, &error);
  if (log == NULL) {
    g_autofree char *message = g_strdup_printf (_("Could not create the log file: %s"),
                                                error->message);

    log = dr_log_index_new_for_reading (execution->record->log_path);
    execution->run = dr_run_new (execution->record, log);
    dr_run_set_title (execution->run, title);
    dr_engine_add_run (execution->engine, execution->run);
    g_task_return_pointer (task, g_object_ref (execution->run), g_object_unref);
    dr_execution_finish (execution, DR_RUN_STATE_FAILED, message);
    return;
  }

  execution->run = dr_run_new (execution->record, log);
  dr_run_set_title (execution->run, title);
  execution->writer = dr_log_writer_new (log);
  if (execution->credentials != NULL) {
    g_auto(GStrv) secrets = dr_cluster_credentials_dup_secrets (execution->credentials);

    for (guint i = 0; secrets != NULL && secrets[i] != NULL; i++)
      dr_log_writer_add_secret (execution->writer, secrets[i]);
  }

  dr_log_writer_write_header (execution->writer, title);
  dr_engine_add_run (execution->engine, execution->run);

  g_task_return_pointer (task, g_object_ref (execution->run), g_object_unref);

  /* The first step starts after the caller has seen the run, at the default priority. An idle
   * callback would wait behind a window that redraws without pause, because its frames take
   * longer to paint than the frame interval. */
  g_idle_add_full (G_PRIORITY_DEFAULT, start_first_step_cb, execution, NULL);
}

static void
credentials_looked_up_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Start *start = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  start->execution->credentials = dr_credentials_lookup_finish (result, &error);
  if (error != NULL &&
      !g_error_matches (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND)) {
    /* A locked or missing keyring stops the run before anything runs. */
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  start->execution->credentials_missing = start->execution->credentials == NULL;

  dr_engine_queue_work (start->execution->engine, start_work, start->execution, NULL, NULL,
                        g_task_get_source_tag (task), g_task_get_cancellable (task),
                        start_done_cb, g_object_ref (task));
}

static void
start_run (DrEngine            *self,
           Execution           *execution,
           gpointer             source_tag,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Start *start;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  start = g_new0 (Start, 1);
  start->execution = execution;
  g_task_set_task_data (task, start, (GDestroyNotify) start_free);

  execution->engine = g_object_ref (self);
  execution->identity = dr_identity_copy (dr_engine_get_identity (self));
  execution->directory = dr_engine_dup_service_directory (self, execution->service->id);
  execution->clones_folder = g_strdup (dr_engine_get_clones_folder (self));

  if (!dr_engine_check_identity (execution->identity, &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  if (execution->directory == NULL) {
    g_task_return_new_error (task, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NO_CLONES_FOLDER,
                             _("Choose the folder that contains your clones of the service "
                               "repositories in Preferences, then start the run again."));
    return;
  }

  if (!dr_execution_plan (execution, &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  if (execution->needs_cluster) {
    dr_credentials_lookup_async (execution->environment->cluster, cancellable,
                                 credentials_looked_up_cb, g_steal_pointer (&task));
    return;
  }

  dr_engine_queue_work (self, start_work, execution, NULL, NULL, source_tag, cancellable,
                        start_done_cb, g_steal_pointer (&task));
}

/* The public entry points. */

Execution *
dr_execution_new (DrEngine    *self,
                  DrRunKind    kind,
                  const char  *service_id,
                  const char  *environment_id,
                  GError     **error)
{
  DrWorkspace *workspace = dr_engine_get_workspace (self);
  Execution *execution;

  execution = g_new0 (Execution, 1);
  execution->kind = kind;
  execution->service = dr_workspace_get_service (workspace, service_id);
  execution->environment = environment_id != NULL
                           ? dr_workspace_get_environment (workspace, environment_id)
                           : NULL;

  if (execution->service == NULL) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                 _("Unknown service “%s”. Use one of the services of workspace “%s”."),
                 service_id, dr_workspace_get_name (workspace));
    dr_execution_free (execution);
    return NULL;
  }

  if (environment_id != NULL && execution->environment == NULL) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                 _("Unknown environment “%s”. Use one of the environments of workspace “%s”."),
                 environment_id, dr_workspace_get_name (workspace));
    dr_execution_free (execution);
    return NULL;
  }

  return execution;
}

static void
report_error (DrEngine            *self,
              gpointer             source_tag,
              GError              *error,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_return_error (task, error);
}

/**
 * dr_engine_promote_async:
 * @version: the build's version
 * @target_environment: the environment to deploy it to; the first environment for a new build
 *
 * Starts a deploy run once the target's gate passes. Finish with
 * dr_engine_start_run_finish(), which returns the refusals when the gate does not pass.
 */
void
dr_engine_promote_async (DrEngine            *self,
                         const char          *service,
                         const char          *version,
                         const char          *target_environment,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  Execution *execution;
  GError *error = NULL;

  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (service != NULL && version != NULL && target_environment != NULL);

  execution = dr_execution_new (self, DR_RUN_KIND_DEPLOY, service, target_environment, &error);
  if (execution == NULL) {
    report_error (self, dr_engine_promote_async, error, callback, user_data);
    return;
  }

  execution->version = g_strdup (version);
  start_run (self, execution, dr_engine_promote_async, cancellable, callback, user_data);
}

/**
 * dr_engine_redeploy_async:
 * @environment: the environment whose current build is deployed again
 *
 * Starts a deploy run of the build that the store records as current in @environment, such
 * as when the cluster runs another build than the board shows. It runs the deploy pipeline,
 * then the verify pipeline as a promotion does, once dr_engine_check_redeploy() passes, and
 * records a new deployment of that build. Finish with dr_engine_start_run_finish(), which
 * returns the refusals when the gate does not pass.
 */
void
dr_engine_redeploy_async (DrEngine            *self,
                          const char          *service,
                          const char          *environment,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  Execution *execution;
  GError *error = NULL;

  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (service != NULL && environment != NULL);

  execution = dr_execution_new (self, DR_RUN_KIND_DEPLOY, service, environment, &error);
  if (execution == NULL) {
    report_error (self, dr_engine_redeploy_async, error, callback, user_data);
    return;
  }

  execution->redeploy = TRUE;
  start_run (self, execution, dr_engine_redeploy_async, cancellable, callback, user_data);
}

/**
 * dr_engine_verify_async:
 *
 * Starts a run of the verify pipeline against the build deployed in @environment. Success
 * marks that deployment verified, and a check that fails or times out marks it unverified. A
 * run that is cancelled, or whose check cannot start, leaves the verification as it was.
 */
void
dr_engine_verify_async (DrEngine            *self,
                        const char          *service,
                        const char          *environment,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  Execution *execution;
  GError *error = NULL;

  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (service != NULL && environment != NULL);

  execution = dr_execution_new (self, DR_RUN_KIND_VERIFY, service, environment, &error);
  if (execution == NULL) {
    report_error (self, dr_engine_verify_async, error, callback, user_data);
    return;
  }

  start_run (self, execution, dr_engine_verify_async, cancellable, callback, user_data);
}

/**
 * dr_engine_check_item_async:
 *
 * Starts the command of a checklist item; its success signs the item for @version in the
 * name of the person who started it.
 */
void
dr_engine_check_item_async (DrEngine            *self,
                            const char          *service,
                            const char          *version,
                            const char          *checklist,
                            const char          *item,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  DrWorkspace *workspace;
  const DrGate *gate = NULL;
  Execution *execution;
  GError *error = NULL;

  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (service != NULL && version != NULL);
  g_return_if_fail (checklist != NULL && item != NULL);

  /* The run belongs to the environment whose gate asks for the checklist. */
  workspace = dr_engine_get_workspace (self);
  for (guint i = 0; i < dr_workspace_get_environments (workspace)->len && gate == NULL; i++) {
    const DrEnvironment *environment = g_ptr_array_index (dr_workspace_get_environments (workspace), i);
    const DrGate *candidate = dr_workspace_get_gate (workspace, environment->id);

    if (candidate != NULL && candidate->checklist != NULL &&
        g_strcmp0 (candidate->checklist->id, checklist) == 0)
      gate = candidate;
  }

  execution = dr_execution_new (self, DR_RUN_KIND_CHECK, service,
                             gate != NULL ? gate->environment : NULL, &error);
  if (execution != NULL && gate == NULL) {
    g_set_error (&error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                 _("No environment’s gate uses checklist “%s”."), checklist);
    g_clear_pointer (&execution, dr_execution_free);
  }
  if (execution != NULL) {
    execution->item = dr_workspace_find_checklist_item (workspace, checklist, item);
    if (execution->item == NULL) {
      g_set_error (&error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                   _("Checklist “%s” has no item “%s”."), checklist, item);
      g_clear_pointer (&execution, dr_execution_free);
    }
  }
  if (execution == NULL) {
    report_error (self, dr_engine_check_item_async, error, callback, user_data);
    return;
  }

  execution->version = g_strdup (version);
  execution->checklist = g_strdup (checklist);
  start_run (self, execution, dr_engine_check_item_async, cancellable, callback, user_data);
}

/**
 * dr_engine_rollback_async:
 *
 * Starts the rollback pipeline in @environment: it undoes a failed deploy, or else the
 * current build, so the previous build is current again. The pipeline's last steps verify
 * the service's health.
 */
void
dr_engine_rollback_async (DrEngine            *self,
                          const char          *service,
                          const char          *environment,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  Execution *execution;
  GError *error = NULL;

  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (service != NULL && environment != NULL);

  execution = dr_execution_new (self, DR_RUN_KIND_ROLLBACK, service, environment, &error);
  if (execution == NULL) {
    report_error (self, dr_engine_rollback_async, error, callback, user_data);
    return;
  }

  start_run (self, execution, dr_engine_rollback_async, cancellable, callback, user_data);
}

/**
 * dr_engine_start_run_finish:
 * @refusals: (out) (optional): every unmet gate reason, when the gate refused
 *
 * Returns: (transfer full): the run, which goes on in the background
 */
DrRun *
dr_engine_start_run_finish (DrEngine      *self,
                            GAsyncResult  *result,
                            GPtrArray    **refusals,
                            GError       **error)
{
  Start *start;

  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  start = g_task_get_task_data (G_TASK (result));
  if (refusals != NULL)
    *refusals = start != NULL && start->execution != NULL && start->execution->refusals != NULL
                ? g_ptr_array_ref (start->execution->refusals)
                : NULL;

  return g_task_propagate_pointer (G_TASK (result), error);
}
