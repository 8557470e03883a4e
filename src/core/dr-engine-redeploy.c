/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Describing a redeploy for a confirmation: the commands it runs for an environment's current
 * build. dr-engine-runs.c starts it. */
#include "config.h"

#include "dr-engine-run-private.h"

/**
 * dr_engine_describe_redeploy:
 * @snapshot: the service's records, from dr_engine_load_snapshot_async()
 * @environment: the environment whose current build would be deployed again
 *
 * Describes the run that dr_engine_redeploy_async() would start now: the deploy pipeline,
 * then the verify pipeline when the workspace verifies after each deploy, with the values of
 * the build that is current in @environment.
 *
 * Returns: (transfer full): the commands the redeploy runs, in order, as a person would type
 *   them. The list is empty when no build is current there or the run cannot be planned.
 */
char **
dr_engine_describe_redeploy (DrEngine                *self,
                             const DrServiceSnapshot *snapshot,
                             const char              *environment)
{
  g_autoptr(GStrvBuilder) commands = g_strv_builder_new ();
  g_autoptr(Execution) execution = NULL;
  g_autoptr(GHashTable) values = NULL;
  const DrDeployment *current;

  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (environment != NULL, NULL);

  execution = dr_execution_new (self, DR_RUN_KIND_DEPLOY, snapshot->service, environment, NULL);
  if (execution == NULL)
    return g_strv_builder_end (commands);

  current = dr_service_snapshot_get_current (snapshot, environment);
  if (current == NULL)
    return g_strv_builder_end (commands);

  /* The same values as the run would have, so that the commands read as they will run. */
  execution->engine = g_object_ref (self);
  execution->redeploy = TRUE;
  execution->version = g_strdup (current->version);
  execution->previous_version = g_strdup (current->version);
  if (!dr_execution_plan (execution, NULL))
    return g_strv_builder_end (commands);

  values = dr_execution_dup_values (execution, 0);
  for (guint i = 0; i < execution->plan->len; i++) {
    PlannedStep *planned = g_ptr_array_index (execution->plan, i);
    g_autofree char *command = dr_execution_dup_step_display (execution, planned, values);

    g_strv_builder_add (commands, command);
  }

  return g_strv_builder_end (commands);
}
