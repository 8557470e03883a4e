/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Planning a rollback: which deployment it undoes, and which of its steps run. A deploy that
 * failed before any step that changes the cluster left nothing there to undo, and undoing the
 * deployment's newest rollout would then undo the release before it. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-engine-run-private.h"

/**
 * dr_rollback_find_target:
 *
 * Finds the deployment that a rollback in @environment_id undoes: the newest deploy there,
 * even one that failed, or the current build when the newest deploy was rolled back already.
 *
 * Returns: (nullable): the deployment, or NULL when nothing was deployed there
 */
const DrDeployment *
dr_rollback_find_target (const DrServiceSnapshot *snapshot,
                         const char              *environment_id)
{
  const DrDeployment *newest = dr_service_snapshot_get_newest (snapshot, environment_id);

  if (newest == NULL || newest->state == DR_DEPLOYMENT_ROLLED_BACK)
    return dr_service_snapshot_get_current (snapshot, environment_id);

  return newest;
}

/**
 * dr_engine_dup_rollback_blocker:
 *
 * Explains why a rollback in @environment cannot succeed: the deploy it undoes, as
 * dr_rollback_find_target() picks it, has no earlier build recorded there to go back to.
 * Without one, `kubectl rollout undo` fails, and the health check would test a service that
 * never ran.
 *
 * Returns: (transfer full) (nullable): the reason, or NULL when the rollback can succeed or
 *   nothing was deployed there
 */
char *
dr_engine_dup_rollback_blocker (DrEngine                *self,
                                const DrServiceSnapshot *snapshot,
                                const char              *environment)
{
  DrWorkspace *workspace;
  const DrDeployment *target;
  const DrDeployment *current;
  const DrService *service;
  const DrEnvironment *place;

  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (environment != NULL, NULL);

  target = dr_rollback_find_target (snapshot, environment);
  current = dr_service_snapshot_get_current (snapshot, environment);
  if (target == NULL)
    return NULL;

  if (target->state == DR_DEPLOYMENT_SUCCEEDED &&
      dr_service_snapshot_get_previous (snapshot, environment) != NULL)
    return NULL;
  if (target->state != DR_DEPLOYMENT_SUCCEEDED && current != NULL)
    return NULL;

  workspace = dr_engine_get_workspace (self);
  service = dr_workspace_get_service (workspace, snapshot->service);
  place = dr_workspace_get_environment (workspace, environment);

  /* Translators: version, service, environment. */
  return g_strdup_printf (_("No build of %2$s ran in %3$s before %1$s, so a rollback has "
                            "nothing to go back to and would fail. Deploy another build there "
                            "instead."),
                          target->version, service != NULL ? service->title : snapshot->service,
                          place != NULL ? place->title : environment);
}

/* Returns whether running @step gives it the cluster. The environment-build action runs the
 * environment's build command, which may. */
static gboolean
step_needs_cluster (Execution    *execution,
                    const DrStep *step)
{
  if (step->kind == DR_STEP_KIND_ACTION && step->action == DR_STEP_ACTION_ENVIRONMENT_BUILD)
    return execution->environment->build_step != NULL &&
           execution->environment->build_step->needs_cluster;

  return step->needs_cluster;
}

/* Returns the step of the deploy pipeline, followed by the verify pipeline, at @index: the
 * order in which a deploy run's steps were created. */
static const DrStep *
deploy_step_at (Execution *execution,
                guint      index)
{
  GPtrArray *deploy = execution->service->pipeline->steps[DR_PIPELINE_DEPLOY];
  GPtrArray *verify = execution->service->pipeline->steps[DR_PIPELINE_VERIFY];
  guint n_deploy = deploy != NULL ? deploy->len : 0;
  guint n_verify = verify != NULL ? verify->len : 0;

  if (index < n_deploy)
    return g_ptr_array_index (deploy, index);
  if (index < n_deploy + n_verify)
    return g_ptr_array_index (verify, index - n_deploy);

  return NULL;
}

/* Returns whether the step recorded at @index of a deploy run is @step of the pipeline: their
 * names agree, or, as names are translated when a workspace is loaded and the run may have been
 * made in another language, their commands do. */
static gboolean
recorded_step_matches (Execution             *execution,
                       const DrRunStepRecord *recorded,
                       const DrStep          *step)
{
  g_autoptr(GHashTable) values = NULL;
  g_autofree char *command = NULL;
  PlannedStep planned = { step, (char *) step->name, NULL };

  if (g_strcmp0 (recorded->name, step->name) == 0)
    return TRUE;

  values = dr_execution_dup_values (execution, 0);
  command = dr_execution_dup_step_display (execution, &planned, values);

  return g_strcmp0 (recorded->command, command) == 0;
}

/* Returns whether the failed deploy @run started a step that gives the cluster to its command,
 * such as `kubectl apply` or the wait for the rollout. A step whose process never started (no
 * credentials, no such command) did not. The run's steps were created from the pipeline in
 * order, so step i of the run is step i of the pipeline when they match. When they do not,
 * because the workspace changed since, or when the run is not known, the answer is yes, so that
 * nothing that may need undoing is left in place. */
static gboolean
deploy_reached_cluster (Execution         *execution,
                        const DrRunRecord *run)
{
  if (run == NULL || run->steps == NULL || run->steps->len == 0)
    return TRUE;

  for (guint i = 0; i < run->steps->len; i++) {
    const DrRunStepRecord *recorded = g_ptr_array_index (run->steps, i);
    const DrStep *step = deploy_step_at (execution, i);

    if (step == NULL || !recorded_step_matches (execution, recorded, step))
      return TRUE;

    if (recorded->state == DR_STEP_STATE_PENDING || recorded->state == DR_STEP_STATE_SKIPPED ||
        recorded->exit_status == DR_EXIT_STATUS_NOT_STARTED)
      continue;

    if (step_needs_cluster (execution, step))
      return TRUE;
  }

  return FALSE;
}

/**
 * dr_execution_skip_unneeded_rollback_steps:
 * @target: the deployment the rollback undoes, from dr_rollback_find_target()
 *
 * Marks the steps of a planned rollback that give the cluster to their command as skipped,
 * with the reason, when @target is a deploy that failed before it started such a step. The
 * other steps, such as the health verification, still run. Nothing is skipped for a deploy
 * that succeeded or may have changed the cluster.
 *
 * Returns: whether @target is a failed deploy that left the cluster unchanged
 */
gboolean
dr_execution_skip_unneeded_rollback_steps (Execution               *execution,
                                           const DrServiceSnapshot *snapshot,
                                           const DrDeployment      *target)
{
  const DrRunRecord *run;

  if (target == NULL || target->state != DR_DEPLOYMENT_FAILED)
    return FALSE;

  run = dr_service_snapshot_find_failed_run (snapshot, target->run_id);
  if (deploy_reached_cluster (execution, run))
    return FALSE;

  execution->needs_cluster = FALSE;

  for (guint i = 0; i < execution->plan->len; i++) {
    PlannedStep *planned = g_ptr_array_index (execution->plan, i);

    if (!step_needs_cluster (execution, dr_execution_get_command_step (execution, planned)))
      continue;

    g_free (planned->skip_reason);
    /* Translators: service title, version. */
    planned->skip_reason = g_strdup_printf (_("The deploy of %s %s stopped before any step "
                                              "that changes the cluster, so there is nothing "
                                              "to undo there."),
                                            execution->service->title, target->version);
  }

  return TRUE;
}

/* Joins the names of the steps that a rollback skips, such as "“Roll back the deployment”". */
static char *
join_skipped_steps (Execution *execution)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < execution->plan->len; i++) {
    PlannedStep *planned = g_ptr_array_index (execution->plan, i);

    if (planned->skip_reason == NULL)
      continue;

    if (names->len > 0)
      g_string_append (names, ", ");
    g_string_append_printf (names, "“%s”", planned->name);
  }

  return g_string_free (g_steal_pointer (&names), FALSE);
}

/* Returns the sentence that describes what a rollback of @target does and what is current
 * afterwards. @untouched is whether @target is a failed deploy that left the cluster as it
 * was. */
static char *
describe_target (Execution               *execution,
                 const DrServiceSnapshot *snapshot,
                 const DrDeployment      *target,
                 gboolean                 untouched)
{
  const char *service = execution->service->title;
  const char *environment = execution->environment->title;
  const DrDeployment *current = dr_service_snapshot_get_current (snapshot,
                                                                 execution->environment->id);
  const DrDeployment *previous = dr_service_snapshot_get_previous (snapshot,
                                                                   execution->environment->id);
  g_autofree char *skipped = join_skipped_steps (execution);
  g_autofree char *what = NULL;

  if (target->state == DR_DEPLOYMENT_SUCCEEDED && previous != NULL)
    /* Translators: service, version, environment, then the version that is current after. */
    return g_strdup_printf (_("The rollback undoes %s %s in %s; %s is current again."),
                            service, target->version, environment, previous->version);

  if (target->state == DR_DEPLOYMENT_SUCCEEDED)
    return g_strdup_printf (_("The rollback undoes %s %s in %s; no earlier build of it is "
                              "recorded there."),
                            service, target->version, environment);

  if (!untouched && current != NULL)
    /* Translators: service, version, environment, then the version the rollback brings back. */
    return g_strdup_printf (_("The deploy of %s %s in %s did not finish and may have changed "
                              "the cluster, so the rollback runs all its steps to bring back "
                              "%s."),
                            service, target->version, environment, current->version);

  if (!untouched)
    return g_strdup_printf (_("The deploy of %s %s in %s did not finish and may have changed "
                              "the cluster, so the rollback runs all its steps; no earlier "
                              "build of it is recorded there."),
                            service, target->version, environment);

  if (skipped[0] != '\0')
    /* Translators: service, version, environment, then the names of the skipped steps. */
    what = g_strdup_printf (_("The deploy of %s %s in %s stopped before it changed the cluster, "
                              "so the rollback skips %s, runs its other steps and marks the "
                              "deploy rolled back."),
                            service, target->version, environment, skipped);
  else
    what = g_strdup_printf (_("The deploy of %s %s in %s stopped before it changed the cluster. "
                              "The rollback runs its steps and marks the deploy rolled back."),
                            service, target->version, environment);

  if (current == NULL)
    return g_steal_pointer (&what);

  /* Translators: a sentence, then the version that stays current. */
  return g_strdup_printf (_("%s %s stays current."), what, current->version);
}

/**
 * dr_engine_describe_rollback_full:
 * @snapshot: the service's records, from dr_engine_load_snapshot_async()
 * @environment: the environment to roll back
 * @summary: (out) (optional): a sentence for a confirmation: which deploy the rollback undoes,
 *   which steps it skips and which build is current afterwards
 *
 * Describes the rollback that dr_engine_rollback_async() would start now, with the same
 * choice of the deploy it undoes and of the steps it skips.
 *
 * Returns: (transfer full): the commands the rollback runs, in order, as a person would type
 *   them. The list is empty when the rollback runs none or cannot start, and @summary then
 *   explains why.
 */
char **
dr_engine_describe_rollback_full (DrEngine                *self,
                                  const DrServiceSnapshot *snapshot,
                                  const char              *environment,
                                  char                   **summary)
{
  g_autoptr(GStrvBuilder) commands = g_strv_builder_new ();
  g_autoptr(Execution) execution = NULL;
  g_autoptr(GHashTable) values = NULL;
  g_autoptr(GError) error = NULL;
  const DrDeployment *target;
  const DrDeployment *current;
  const DrDeployment *previous;
  gboolean untouched;

  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (environment != NULL, NULL);

  if (summary != NULL)
    *summary = NULL;

  execution = dr_execution_new (self, DR_RUN_KIND_ROLLBACK, snapshot->service, environment,
                                &error);
  if (execution != NULL) {
    execution->engine = g_object_ref (self);
    dr_execution_plan (execution, &error);
  }
  if (error != NULL) {
    if (summary != NULL)
      *summary = g_strdup (error->message);
    return g_strv_builder_end (commands);
  }

  target = dr_rollback_find_target (snapshot, environment);
  if (target == NULL) {
    if (summary != NULL)
      *summary = g_strdup_printf (_("No build of %s was deployed in %s, so there is nothing to "
                                    "roll back."),
                                  execution->service->title, execution->environment->title);
    return g_strv_builder_end (commands);
  }

  /* The same values as the run would have, so that the commands read as they will run. */
  current = dr_service_snapshot_get_current (snapshot, environment);
  previous = dr_service_snapshot_get_previous (snapshot, environment);
  execution->version = g_strdup (target->version);
  if (target->state == DR_DEPLOYMENT_SUCCEEDED && previous != NULL)
    execution->previous_version = g_strdup (previous->version);
  else if (target->state != DR_DEPLOYMENT_SUCCEEDED && current != NULL)
    execution->previous_version = g_strdup (current->version);

  untouched = dr_execution_skip_unneeded_rollback_steps (execution, snapshot, target);

  values = dr_execution_dup_values (execution, 0);
  for (guint i = 0; i < execution->plan->len; i++) {
    PlannedStep *planned = g_ptr_array_index (execution->plan, i);
    g_autofree char *command = NULL;

    if (planned->skip_reason != NULL)
      continue;

    command = dr_execution_dup_step_display (execution, planned, values);
    g_strv_builder_add (commands, command);
  }

  if (summary != NULL)
    *summary = describe_target (execution, snapshot, target, untouched);

  return g_strv_builder_end (commands);
}

/**
 * dr_engine_describe_rollback:
 *
 * Returns: (transfer full): the commands a rollback in @environment would run, as a person
 * would type them, for a confirmation that lists what will run; see
 * dr_engine_describe_rollback_full() for the sentence that goes with them
 */
char **
dr_engine_describe_rollback (DrEngine                *self,
                             const DrServiceSnapshot *snapshot,
                             const char              *environment)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (snapshot != NULL, NULL);

  return dr_engine_describe_rollback_full (self, snapshot, environment, NULL);
}
