/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dynamoctl board`: the overview of every service, or one service's board as the window
 * shows it, column by column, with what each environment's cluster runs. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-format.h"
#include "dr-gate.h"
#include "dynamoctl.h"

/* Earlier builds listed under an environment; older ones are counted. */
#define MAX_EARLIER_BUILDS 4

static const char *
role_title (DrCtl      *ctl,
            const char *role_id)
{
  const DrRole *role = dr_workspace_get_role (ctl->workspace, role_id);

  return role != NULL ? role->title : role_id;
}

/* The overview */

static char *
describe_cell (const DrServiceSnapshot *snapshot,
               const DrEnvironment     *environment)
{
  const DrDeployment *current = dr_service_snapshot_get_current (snapshot, environment->id);
  const DrDeployment *newest = dr_service_snapshot_get_newest (snapshot, environment->id);
  const DrRunRecord *active = dr_service_snapshot_find_active_run (snapshot, environment->id);
  g_autoptr(GString) text = g_string_new (NULL);

  if (newest != NULL && newest != current && newest->state == DR_DEPLOYMENT_IN_PROGRESS)
    /* Translators: a version being deployed, in a cell of the overview. */
    g_string_append_printf (text, _("%s deploying"), newest->version);
  else if (newest != NULL && newest != current && newest->state == DR_DEPLOYMENT_FAILED)
    /* Translators: a version whose deploy failed, in a cell of the overview. */
    g_string_append_printf (text, _("%s failed"), newest->version);

  if (current != NULL) {
    if (text->len > 0)
      g_string_append (text, ", ");
    if (current->verified)
      g_string_append (text, current->version);
    else
      /* Translators: the current version, not verified since its deploy. */
      g_string_append_printf (text, _("%s unverified"), current->version);
  }

  if (active != NULL && active->kind != DR_RUN_KIND_DEPLOY) {
    if (text->len > 0)
      g_string_append (text, ", ");
    /* Translators: a run kind such as "verify" or "rollback" in progress. */
    g_string_append_printf (text, _("%s running"), dr_run_kind_describe (active->kind));
  }

  if (text->len == 0)
    g_string_append (text, "-");

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static int
print_overview (DrCtl *ctl)
{
  GPtrArray *services = dr_workspace_get_services (ctl->workspace);
  GPtrArray *environments = dr_workspace_get_environments (ctl->workspace);
  g_autoptr(DrCtlTable) table = dr_ctl_table_new (environments->len + 1);
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (cells, g_strdup (_("SERVICE")));
  for (guint i = 0; i < environments->len; i++)
    g_ptr_array_add (cells, g_utf8_strup (((DrEnvironment *) g_ptr_array_index (environments,
                                                                               i))->id, -1));
  dr_ctl_table_add_row (table, (const char * const *) cells->pdata);

  /* The reads queue on the engine's worker together and are collected in order. */
  for (guint i = 0; i < services->len; i++) {
    const DrService *service = g_ptr_array_index (services, i);
    GAsyncResult **slot = g_new0 (GAsyncResult *, 1);

    g_ptr_array_add (results, slot);
    dr_engine_load_snapshot_async (ctl->engine, service->id, NULL, dr_ctl_result_cb, slot);
  }

  for (guint i = 0; i < services->len; i++) {
    const DrService *service = g_ptr_array_index (services, i);
    GAsyncResult **slot = g_ptr_array_index (results, i);
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(DrServiceSnapshot) snapshot = NULL;
    g_autoptr(GError) error = NULL;

    dr_ctl_wait (slot);
    result = g_steal_pointer (slot);
    snapshot = dr_engine_load_snapshot_finish (ctl->engine, result, &error);
    if (snapshot == NULL)
      return dr_ctl_fail (error);

    g_ptr_array_set_size (cells, 0);
    g_ptr_array_add (cells, g_strdup (service->id));
    for (guint j = 0; j < environments->len; j++)
      g_ptr_array_add (cells, describe_cell (snapshot, g_ptr_array_index (environments, j)));
    dr_ctl_table_add_row (table, (const char * const *) cells->pdata);
  }

  dr_ctl_table_print (table);

  return DR_CTL_EXIT_OK;
}

/* One service's board */

static void
append_deployment_line (GString            *text,
                        const char         *label,
                        const DrDeployment *deployment)
{
  g_autofree char *when = dr_format_time (deployment->finished_at > 0 ? deployment->finished_at
                                                                       : deployment->started_at);
  const char *verified = "";

  if (deployment->state == DR_DEPLOYMENT_SUCCEEDED)
    verified = deployment->verified ? _(", verified") : _(", not verified");

  /* Translators: a label such as "Current:", version, ", verified" or nothing, time, person,
   * run id. */
  g_string_append_printf (text, _("  %-9s %s%s, %s by %s, run %lld\n"),
                          label, deployment->version, verified, when,
                          deployment->person != NULL ? deployment->person : "?",
                          (long long) deployment->run_id);
}

static void
append_checklist (DrCtl                   *ctl,
                  GString                 *text,
                  const DrServiceSnapshot *snapshot,
                  const DrChecklist       *checklist,
                  const char              *version)
{
  /* Translators: checklist title, then the version it is for. */
  g_string_append_printf (text, _("  %s for %s:\n"), checklist->title, version);

  for (guint i = 0; i < checklist->items->len; i++) {
    const DrChecklistItem *item = g_ptr_array_index (checklist->items, i);
    const DrSignoff *signoff = dr_service_snapshot_get_signoff (snapshot, version, checklist->id,
                                                                item->id);

    g_string_append_printf (text, "    [%s] %s: %s\n", signoff != NULL ? "x" : " ", item->id,
                            item->title);

    if (signoff != NULL) {
      g_autofree char *when = dr_format_time (signoff->at);

      /* Translators: person, role title, time. */
      g_string_append_printf (text, _("        signed by %s (%s), %s"), signoff->person,
                              role_title (ctl, signoff->role), when);
      if (signoff->run_id != 0)
        g_string_append_printf (text, _(", by run %lld"), (long long) signoff->run_id);
      if (signoff->comment != NULL)
        g_string_append_printf (text, ": “%s”", signoff->comment);
      g_string_append_c (text, '\n');
    } else if (item->check != NULL) {
      g_autofree char *check = dr_ctl_dup_command_line (ctl, "check", snapshot->service, version,
                                                        item->id, NULL);

      /* Translators: role title, then a command line. */
      g_string_append_printf (text, _("        the role %s signs it by running: %s\n"),
                              role_title (ctl, item->role), check);
    } else {
      g_string_append_printf (text, _("        to be signed by the role %s\n"),
                              role_title (ctl, item->role));
    }
  }
}

static void
append_approvals (DrCtl                   *ctl,
                  GString                 *text,
                  const DrServiceSnapshot *snapshot,
                  const DrGate            *gate,
                  const char              *version)
{
  g_string_append_printf (text, _("  Approvals for %s:\n"), version);

  for (guint i = 0; gate->approval_roles[i] != NULL; i++) {
    const char *role = gate->approval_roles[i];
    const DrApproval *approval = dr_service_snapshot_get_approval (snapshot, version,
                                                                  gate->environment, role);
    g_autofree char *when = NULL;

    if (approval == NULL) {
      g_string_append_printf (text, _("    [ ] %s: no decision yet\n"), role_title (ctl, role));
      continue;
    }

    when = dr_format_time (approval->at);
    if (approval->decision == DR_DECISION_APPROVED)
      /* Translators: role title, person, time. */
      g_string_append_printf (text, _("    [x] %s: approved by %s, %s"), role_title (ctl, role),
                              approval->person, when);
    else
      g_string_append_printf (text, _("    [!] %s: rejected by %s, %s"), role_title (ctl, role),
                              approval->person, when);
    if (approval->comment != NULL)
      g_string_append_printf (text, ": “%s”", approval->comment);
    g_string_append_c (text, '\n');
  }
}

/* Shows what the build waiting to enter `environment` still needs, and whether its gate lets
 * it in for the person acting. */
static void
append_waiting_build (DrCtl                   *ctl,
                      GString                 *text,
                      const DrServiceSnapshot *snapshot,
                      const DrEnvironment     *environment,
                      const DrBuild           *build)
{
  const DrGate *gate = dr_workspace_get_gate (ctl->workspace, environment->id);
  const char *person = dr_engine_get_identity (ctl->engine)->name;
  g_autoptr(GPtrArray) refusals = NULL;

  if (build->commit != NULL)
    /* Translators: version, commit, person. */
    g_string_append_printf (text, _("  Waiting:  %s from commit %s, recorded by %s\n"),
                            build->version, build->commit,
                            build->recorded_by != NULL ? build->recorded_by : "?");
  else
    g_string_append_printf (text, _("  Waiting:  %s, recorded by %s\n"), build->version,
                            build->recorded_by != NULL ? build->recorded_by : "?");

  if (gate != NULL && gate->checklist != NULL)
    append_checklist (ctl, text, snapshot, gate->checklist, build->version);
  if (gate != NULL && gate->approval_roles != NULL && gate->approval_roles[0] != NULL)
    append_approvals (ctl, text, snapshot, gate, build->version);

  refusals = dr_engine_check_promotion (ctl->engine, snapshot, build->version, environment->id);
  if (refusals->len == 0) {
    g_autofree char *promote = dr_ctl_dup_command_line (ctl, "promote", snapshot->service,
                                                        build->version, environment->id, NULL);

    /* Translators: the person, then a command line. */
    g_string_append_printf (text, _("  Gate:     open for %s: %s\n"), person, promote);
    return;
  }

  g_string_append_printf (text, _("  Gate:     closed for %s:\n"), person);
  for (guint i = 0; i < refusals->len; i++) {
    const DrRefusal *refusal = g_ptr_array_index (refusals, i);

    g_string_append_printf (text, "    - %s\n", refusal->message);
  }
}

/* Prints the line the board shows under an environment's base URL, and what to do when the
 * cluster disagrees with the store or could not be asked. */
static void
append_cluster_state (DrCtl                *ctl,
                      GString              *text,
                      const DrClusterState *state)
{
  g_autofree char *line = dr_cluster_state_describe (state);
  g_autofree char *verify = NULL;
  g_autofree char *rollback = NULL;
  g_autofree char *redeploy = NULL;
  g_autofree char *set = NULL;

  g_string_append_printf (text, "  %s\n", line);

  if (state->drift && state->store_version != NULL) {
    verify = dr_ctl_dup_command_line (ctl, "verify", state->name, state->environment, NULL);
    rollback = dr_ctl_dup_command_line (ctl, "rollback", state->name, state->environment, NULL);
    redeploy = dr_ctl_dup_command_line (ctl, "redeploy", state->name, state->environment, NULL);
    /* Translators: the version the board records, then a command line. */
    g_string_append_printf (text, _("    Make the cluster run %s again: %s\n"),
                            state->store_version, redeploy);
    /* Translators: a command line, the version the board records, a command line. */
    g_string_append_printf (text, _("    Check what runs: %s\n"
                                    "    or roll back to the build before %s: %s\n"),
                            verify, state->store_version, rollback);
    return;
  }

  switch (state->status) {
  case DR_CLUSTER_STATUS_NOT_CONFIGURED:
    set = dr_ctl_dup_command_line (ctl, "cluster", "set", state->cluster, "--server", "URL",
                                   "--token-file", "FILE", NULL);
    /* Translators: a command line. */
    g_string_append_printf (text, _("    Add them: %s\n"), set);
    break;

  case DR_CLUSTER_STATUS_KEYRING_UNAVAILABLE:
  case DR_CLUSTER_STATUS_UNAUTHORIZED:
  case DR_CLUSTER_STATUS_FORBIDDEN:
  case DR_CLUSTER_STATUS_DEGRADED:
    if (state->message != NULL)
      g_string_append_printf (text, "    %s\n", state->message);
    break;

  default:
    break;
  }
}

static void
append_environment (DrCtl                   *ctl,
                    GString                 *text,
                    const DrServiceSnapshot *snapshot,
                    const DrEnvironment     *environment,
                    const DrClusterState    *cluster)
{
  const DrDeployment *current = dr_service_snapshot_get_current (snapshot, environment->id);
  const DrDeployment *newest = dr_service_snapshot_get_newest (snapshot, environment->id);
  const DrRunRecord *active = dr_service_snapshot_find_active_run (snapshot, environment->id);
  const DrBuild *waiting = NULL;
  g_autoptr(GHashTable) shown = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) earlier = g_string_new (NULL);
  g_autoptr(GString) fresh = g_string_new (NULL);
  guint n_earlier = 0;
  guint n_older = 0;

  g_string_append_printf (text, "\n%s (%s)", environment->title, environment->id);
  if (environment->badge != NULL)
    g_string_append_printf (text, " · %s", environment->badge);
  g_string_append_printf (text, " · %s\n", environment->base_url);

  if (cluster != NULL)
    append_cluster_state (ctl, text, cluster);

  if (active != NULL) {
    g_autofree char *when = dr_format_time (active->started_at);

    /* Translators: run id, run kind, version, time, person. */
    g_string_append_printf (text, _("  Running:  run %lld, %s of %s, started %s "
                                    "by %s\n"),
                            (long long) active->id, dr_run_kind_describe (active->kind), active->version,
                            when, active->person);
  }

  if (newest != NULL && newest != current && newest->state == DR_DEPLOYMENT_FAILED)
    append_deployment_line (text, _("Failed:"), newest);

  if (current != NULL) {
    append_deployment_line (text, _("Current:"), current);
    g_hash_table_add (shown, current->version);
  } else {
    g_string_append (text, _("  Current:  nothing deployed\n"));
  }

  for (guint i = 0; i < snapshot->deployments->len; i++) {
    const DrDeployment *deployment = g_ptr_array_index (snapshot->deployments, i);

    if (g_strcmp0 (deployment->environment, environment->id) != 0 || deployment == newest ||
        deployment->state == DR_DEPLOYMENT_IN_PROGRESS ||
        deployment->state == DR_DEPLOYMENT_FAILED ||
        g_hash_table_contains (shown, deployment->version))
      continue;

    g_hash_table_add (shown, deployment->version);
    if (n_earlier == MAX_EARLIER_BUILDS) {
      n_older++;
      continue;
    }
    g_string_append_printf (earlier, "%s%s", n_earlier > 0 ? ", " : "", deployment->version);
    n_earlier++;
  }
  if (n_earlier > 0) {
    g_string_append_printf (text, _("  Earlier:  %s"), earlier->str);
    if (n_older > 0)
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, " and %u older build",
                                                 " and %u older builds", n_older), n_older);
    g_string_append_c (text, '\n');
  }

  /* The first environment receives new builds; the others the one verified before them. */
  if (environment->position == 0) {
    for (guint i = 0; i < snapshot->builds->len; i++) {
      const DrBuild *build = g_ptr_array_index (snapshot->builds, i);

      if (dr_service_snapshot_was_deployed (snapshot, build->version))
        continue;
      if (waiting == NULL)
        waiting = build;
      g_string_append_printf (fresh, "%s%s", fresh->len > 0 ? ", " : "", build->version);
    }
    if (fresh->len > 0)
      g_string_append_printf (text, _("  New:      %s\n"), fresh->str);
  } else {
    waiting = dr_engine_find_waiting_build (ctl->engine, snapshot, environment->id);
  }

  if (waiting != NULL && (active == NULL || g_strcmp0 (active->version, waiting->version) != 0))
    append_waiting_build (ctl, text, snapshot, environment, waiting);
}

static const DrClusterState *
find_cluster_state (GPtrArray  *states,
                    const char *environment)
{
  for (guint i = 0; states != NULL && i < states->len; i++) {
    const DrClusterState *state = g_ptr_array_index (states, i);

    if (g_strcmp0 (state->environment, environment) == 0)
      return state;
  }

  return NULL;
}

static int
print_service_board (DrCtl      *ctl,
                     const char *service_id,
                     gboolean    with_cluster)
{
  const DrService *service = dr_workspace_get_service (ctl->workspace, service_id);
  GPtrArray *environments = dr_workspace_get_environments (ctl->workspace);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GPtrArray) cluster_states = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) cluster_result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *directory = NULL;

  if (service == NULL) {
    dr_ctl_print_message (_("Unknown service “%s”. Run “dynamoctl board” to see the services."),
                          service_id);
    return DR_CTL_EXIT_NOT_FOUND;
  }

  /* The clusters are asked while the store is read, and both results are in before either
   * is used. */
  if (with_cluster)
    dr_engine_load_cluster_state_async (ctl->engine, service->id, NULL, dr_ctl_result_cb,
                                        &cluster_result);
  dr_engine_load_snapshot_async (ctl->engine, service->id, NULL, dr_ctl_result_cb, &result);
  dr_ctl_wait (&result);
  if (with_cluster)
    dr_ctl_wait (&cluster_result);

  snapshot = dr_engine_load_snapshot_finish (ctl->engine, result, &error);
  if (snapshot == NULL)
    return dr_ctl_fail (error);

  if (with_cluster) {
    cluster_states = dr_engine_load_cluster_state_finish (ctl->engine, cluster_result, &error);
    if (cluster_states == NULL)
      return dr_ctl_fail (error);
  }

  g_string_append_printf (text, "%s (%s)\n", service->title, service->id);
  g_string_append_printf (text, _("Repository: %s\n"), service->repository);
  directory = dr_engine_dup_service_directory (ctl->engine, service->id);
  if (directory != NULL)
    g_string_append_printf (text, _("Clone:      %s\n"), directory);
  else
    g_string_append (text, _("Clone:      unknown; pass --clones FOLDER\n"));

  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);

    append_environment (ctl, text, snapshot, environment,
                        find_cluster_state (cluster_states, environment->id));
  }

  dr_ctl_write_stdout (text->str, text->len);

  return DR_CTL_EXIT_OK;
}

int
dr_ctl_board (DrCtl              *ctl,
              const DrCtlCommand *command,
              char              **args)
{
  gboolean no_cluster = FALSE;
  const GOptionEntry entries[] = {
    { "no-cluster", 0, 0, G_OPTION_ARG_NONE, &no_cluster,
      N_("Read only the store, without asking the clusters what they run"), NULL },
    G_OPTION_ENTRY_NULL
  };
  int status;

  if (!dr_ctl_parse_command (ctl, command, entries, &args, 0, 1))
    return DR_CTL_EXIT_USAGE;

  status = dr_ctl_open_engine_to_read (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  if (args[1] != NULL)
    return print_service_board (ctl, args[1], !no_cluster);

  return print_overview (ctl);
}
