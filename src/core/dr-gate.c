/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-gate.h"

void
dr_refusal_free (DrRefusal *refusal)
{
  if (refusal == NULL)
    return;

  g_free (refusal->subject);
  g_free (refusal->message);
  g_free (refusal);
}

G_GNUC_PRINTF (4, 5)
static void
add_refusal (GPtrArray       *refusals,
             DrRefusalReason  reason,
             const char      *subject,
             const char      *format,
             ...)
{
  DrRefusal *refusal;
  va_list args;

  g_assert (refusals != NULL);

  refusal = g_new0 (DrRefusal, 1);
  refusal->reason = reason;
  refusal->subject = g_strdup (subject);

  va_start (args, format);
  refusal->message = g_strdup_vprintf (format, args);
  va_end (args);

  g_ptr_array_add (refusals, refusal);
}

static const char *
role_title (DrWorkspace *workspace,
            const char  *role_id)
{
  const DrRole *role = dr_workspace_get_role (workspace, role_id);

  return role != NULL ? role->title : role_id;
}

static char *
join_environment_ids (GPtrArray *environments)
{
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);

    if (i > 0)
      g_string_append (ids, ", ");
    g_string_append (ids, environment->id);
  }

  return g_string_free (g_steal_pointer (&ids), FALSE);
}

/* Adds a refusal for the service and the environment when the workspace does not know them.
 * Returns FALSE when one was added. */
static gboolean
check_known_ids (GPtrArray               *refusals,
                 DrWorkspace             *workspace,
                 const DrServiceSnapshot *snapshot,
                 const char              *target_id)
{
  const DrService *service = dr_workspace_get_service (workspace, snapshot->service);
  gboolean known = TRUE;

  if (service == NULL) {
    add_refusal (refusals, DR_REFUSAL_UNKNOWN_SERVICE, snapshot->service,
                 _("The workspace has no service “%s”. Check the service id against the "
                   "workspace file."),
                 snapshot->service);
    known = FALSE;
  }

  if (dr_workspace_get_environment (workspace, target_id) == NULL) {
    g_autofree char *ids = join_environment_ids (dr_workspace_get_environments (workspace));

    add_refusal (refusals, DR_REFUSAL_UNKNOWN_ENVIRONMENT, target_id,
                 /* Translators: an environment id, then the list of known ids. */
                 _("The workspace has no environment “%s”. Its environments are: %s."),
                 target_id, ids);
    known = FALSE;
  }

  return known;
}

/* Adds a refusal for each id that the workspace or the store does not know. Returns FALSE
 * when one was added, because the other checks need all three. */
static gboolean
check_known (GPtrArray               *refusals,
             DrWorkspace             *workspace,
             const DrServiceSnapshot *snapshot,
             const char              *version,
             const char              *target_id)
{
  const DrService *service = dr_workspace_get_service (workspace, snapshot->service);
  gboolean known = check_known_ids (refusals, workspace, snapshot, target_id);

  if (dr_service_snapshot_find_build (snapshot, version) == NULL) {
    add_refusal (refusals, DR_REFUSAL_UNKNOWN_BUILD, version,
                 /* Translators: a version, then a service title. */
                 _("Build %s of %s was never recorded. Record the build before promoting it."),
                 version, service != NULL ? service->title : snapshot->service);
    known = FALSE;
  }

  return known;
}

/* Returns the position of the furthest environment whose current deployment is @version,
 * or -1 when no environment runs it. */
static int
find_furthest_position (DrWorkspace             *workspace,
                        const DrServiceSnapshot *snapshot,
                        const char              *version)
{
  GPtrArray *environments = dr_workspace_get_environments (workspace);
  int furthest = -1;

  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);
    const DrDeployment *current = dr_service_snapshot_get_current (snapshot, environment->id);

    if (current != NULL && g_strcmp0 (current->version, version) == 0)
      furthest = (int) i;
  }

  return furthest;
}

/* Explains why @version, which was deployed to @source at some point, is not what runs
 * there now. */
static void
refuse_not_deployed_in_source (GPtrArray               *refusals,
                               const DrServiceSnapshot *snapshot,
                               const char              *version,
                               const DrEnvironment     *source)
{
  const DrDeployment *deployment;
  const DrDeployment *current;

  deployment = dr_service_snapshot_find_deployment (snapshot, version, source->id);
  current = dr_service_snapshot_get_current (snapshot, source->id);

  if (deployment == NULL) {
    add_refusal (refusals, DR_REFUSAL_NOT_DEPLOYED_IN_SOURCE, source->id,
                 /* Translators: a version, then an environment title, twice. */
                 _("%s is not deployed in %s. Promote it to %s first."),
                 version, source->title, source->title);
    return;
  }

  switch (deployment->state) {
  case DR_DEPLOYMENT_IN_PROGRESS:
    add_refusal (refusals, DR_REFUSAL_NOT_DEPLOYED_IN_SOURCE, source->id,
                 _("%s is still being deployed to %s. Wait for that deployment to end."),
                 version, source->title);
    break;

  case DR_DEPLOYMENT_FAILED:
    add_refusal (refusals, DR_REFUSAL_NOT_DEPLOYED_IN_SOURCE, source->id,
                 _("The deployment of %s to %s failed. Deploy it to %s again first."),
                 version, source->title, source->title);
    break;

  case DR_DEPLOYMENT_ROLLED_BACK:
    add_refusal (refusals, DR_REFUSAL_NOT_DEPLOYED_IN_SOURCE, source->id,
                 _("%s was rolled back in %s. Deploy it to %s again first."),
                 version, source->title, source->title);
    break;

  case DR_DEPLOYMENT_SUCCEEDED:
  default:
    add_refusal (refusals, DR_REFUSAL_NOT_DEPLOYED_IN_SOURCE, source->id,
                 /* Translators: an environment title, the version it runs, the version
                  * being promoted, then that version again and the environment title. */
                 _("%s now runs %s instead of %s. Deploy %s to %s again first."),
                 source->title, current != NULL ? current->version : "?", version, version,
                 source->title);
    break;
  }
}

/* Checks that @target is the next environment for @version: the one right after the
 * furthest environment that runs it, or the first environment for a new build. Returns
 * FALSE when it is not, and then the source checks do not apply. */
static gboolean
check_position (GPtrArray               *refusals,
                DrWorkspace             *workspace,
                const DrServiceSnapshot *snapshot,
                const char              *version,
                const DrEnvironment     *target)
{
  GPtrArray *environments = dr_workspace_get_environments (workspace);
  int furthest = find_furthest_position (workspace, snapshot, version);
  int position = (int) target->position;

  if (position <= furthest) {
    const DrDeployment *current = dr_service_snapshot_get_current (snapshot, target->id);

    if (current != NULL && g_strcmp0 (current->version, version) == 0) {
      add_refusal (refusals, DR_REFUSAL_ALREADY_DEPLOYED, target->id,
                   /* Translators: a version, then an environment title. */
                   _("%s already runs in %s."), version, target->title);
    } else {
      add_refusal (refusals, DR_REFUSAL_NOT_NEXT_ENVIRONMENT, target->id,
                   /* Translators: a version, then an environment title. */
                   _("%s is already past %s, so roll back instead of promoting it there."),
                   version, target->title);
    }
    return FALSE;
  }

  if (position > furthest + 1) {
    const DrEnvironment *source = g_ptr_array_index (environments, position - 1);
    const DrEnvironment *first = g_ptr_array_index (environments, furthest + 1);

    /* A build that did reach the source but no longer runs there gets the reason that
     * explains what happened to it there. */
    if (dr_service_snapshot_find_deployment (snapshot, version, source->id) != NULL) {
      refuse_not_deployed_in_source (refusals, snapshot, version, source);
    } else {
      add_refusal (refusals, DR_REFUSAL_NOT_NEXT_ENVIRONMENT, first->id,
                   /* Translators: a version, then two environment titles, such as "Promote
                    * 1.4.0 to QA before Production." */
                   _("Promote %s to %s before %s."), version, first->title, target->title);
    }
    return FALSE;
  }

  return TRUE;
}

static void
check_source (GPtrArray               *refusals,
              DrWorkspace             *workspace,
              const DrServiceSnapshot *snapshot,
              const char              *version,
              const DrEnvironment     *target)
{
  const DrEnvironment *source;
  const DrDeployment *current;

  /* A new build enters the first environment without a source. */
  source = dr_workspace_get_previous_environment (workspace, target);
  if (source == NULL)
    return;

  current = dr_service_snapshot_get_current (snapshot, source->id);
  if (current == NULL || g_strcmp0 (current->version, version) != 0) {
    refuse_not_deployed_in_source (refusals, snapshot, version, source);
    return;
  }

  if (!current->verified) {
    add_refusal (refusals, DR_REFUSAL_NOT_VERIFIED_IN_SOURCE, source->id,
                 /* Translators: a version, then an environment title, twice. */
                 _("%s is deployed in %s but not verified. Verify it in %s first."),
                 version, source->title, source->title);
  }
}

static void
check_active_run (GPtrArray               *refusals,
                  DrWorkspace             *workspace,
                  const DrServiceSnapshot *snapshot,
                  const DrEnvironment     *target)
{
  const DrService *service = dr_workspace_get_service (workspace, snapshot->service);
  const DrRunRecord *run = dr_service_snapshot_find_active_run (snapshot, target->id);

  if (run == NULL)
    return;

  add_refusal (refusals, DR_REFUSAL_RUN_IN_PROGRESS, target->id,
               /* Translators: a run kind such as "deploy", a service title, an environment
                * title, the run number and the person who started it. */
               _("A %s run of %s is in progress in %s (run %lld, started by "
                 "%s). Wait for it to end or cancel it."),
               dr_run_kind_describe (run->kind), service->title, target->title, (long long) run->id,
               run->person != NULL ? run->person : _("an unknown person"));
}

static void
check_checklist (GPtrArray               *refusals,
                 DrWorkspace             *workspace,
                 const DrServiceSnapshot *snapshot,
                 const char              *version,
                 const DrChecklist       *checklist)
{
  for (guint i = 0; i < checklist->items->len; i++) {
    const DrChecklistItem *item = g_ptr_array_index (checklist->items, i);
    const DrSignoff *signoff;

    signoff = dr_service_snapshot_get_signoff (snapshot, version, checklist->id, item->id);
    if (signoff != NULL && g_strcmp0 (signoff->role, item->role) == 0)
      continue;

    add_refusal (refusals, DR_REFUSAL_CHECKLIST_ITEM_MISSING, item->id,
                 /* Translators: a checklist item title, a version and a role title. */
                 _("“%s” is not signed for %s. A person with the role %s must sign it."),
                 item->title, version, role_title (workspace, item->role));
  }
}

static void
check_approvals (GPtrArray               *refusals,
                 DrWorkspace             *workspace,
                 const DrServiceSnapshot *snapshot,
                 const DrIdentity        *identity,
                 const char              *version,
                 const DrEnvironment     *target,
                 const char * const      *roles)
{
  for (guint i = 0; roles != NULL && roles[i] != NULL; i++) {
    const char *role = roles[i];
    const DrApproval *approval;

    approval = dr_service_snapshot_get_approval (snapshot, version, target->id, role);

    if (approval == NULL) {
      add_refusal (refusals, DR_REFUSAL_APPROVAL_MISSING, role,
                   /* Translators: a version, an environment title and a role title. */
                   _("%s has no approval for %s from a person with the role %s."),
                   version, target->title, role_title (workspace, role));
    } else if (approval->decision == DR_DECISION_REJECTED) {
      if (approval->comment != NULL && approval->comment[0] != '\0') {
        add_refusal (refusals, DR_REFUSAL_APPROVAL_REJECTED, role,
                     /* Translators: a person, a role title, a version, an environment
                      * title and the person's comment. */
                     _("%s (%s) rejected %s for %s: “%s”."),
                     approval->person, role_title (workspace, role), version, target->title,
                     approval->comment);
      } else {
        add_refusal (refusals, DR_REFUSAL_APPROVAL_REJECTED, role,
                     /* Translators: a person, a role title, a version and an environment
                      * title. */
                     _("%s (%s) rejected %s for %s."),
                     approval->person, role_title (workspace, role), version, target->title);
      }
    } else if (dr_identity_name_equal (approval->person, identity->name) &&
               !dr_workspace_get_allow_self_approval (workspace)) {
      add_refusal (refusals, DR_REFUSAL_APPROVER_IS_PROMOTER, role,
                   /* Translators: a person, a version, a role title, then that role title
                    * again. */
                   _("%s approved %s as %s and may not also promote it. Another person must "
                     "promote it, or another person with the role %s must approve it."),
                   approval->person, version, role_title (workspace, role),
                   role_title (workspace, role));
    }
  }
}

/* Checks the target's gate for @version: the promoter's role, the checklist items signed for
 * @version and the approvals of @version for the target. */
static void
check_target_gate (GPtrArray               *refusals,
                   DrWorkspace             *workspace,
                   const DrServiceSnapshot *snapshot,
                   const DrIdentity        *identity,
                   const char              *version,
                   const DrEnvironment     *target)
{
  const DrGate *gate = dr_workspace_get_gate (workspace, target->id);

  if (gate == NULL)
    return;

  if (gate->promoter_role != NULL && !dr_identity_has_role (identity, gate->promoter_role)) {
    add_refusal (refusals, DR_REFUSAL_ROLE_MISSING, gate->promoter_role,
                 /* Translators: a role title, then an environment title. */
                 _("Only a person with the role %s may promote to %s. Add the role in "
                   "Preferences if you hold it."),
                 role_title (workspace, gate->promoter_role), target->title);
  }

  if (gate->checklist != NULL)
    check_checklist (refusals, workspace, snapshot, version, gate->checklist);

  check_approvals (refusals, workspace, snapshot, identity, version, target,
                   (const char * const *) gate->approval_roles);
}

/**
 * dr_gate_evaluate:
 * @workspace: the workspace with the environments and gates
 * @snapshot: the records of the service being promoted
 * @identity: the person promoting
 * @version: the build to promote
 * @target_environment: the environment id it should enter
 *
 * Checks every condition for @version of the snapshot's service to enter
 * @target_environment: its place in the promotion order, its deployment and verification in
 * the environment before, runs in progress, the promoter's role, the checklist and the
 * approvals of the target's gate.
 *
 * Returns: (transfer full) (element-type DrRefusal): every unmet condition, empty when the
 *   promotion may go ahead
 */
GPtrArray *
dr_gate_evaluate (DrWorkspace             *workspace,
                  const DrServiceSnapshot *snapshot,
                  const DrIdentity        *identity,
                  const char              *version,
                  const char              *target_environment)
{
  g_autoptr(GPtrArray) refusals = NULL;
  const DrEnvironment *target;

  g_return_val_if_fail (DR_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (identity != NULL, NULL);
  g_return_val_if_fail (version != NULL, NULL);
  g_return_val_if_fail (target_environment != NULL, NULL);

  refusals = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_refusal_free);

  if (!check_known (refusals, workspace, snapshot, version, target_environment))
    return g_steal_pointer (&refusals);

  target = dr_workspace_get_environment (workspace, target_environment);

  if (check_position (refusals, workspace, snapshot, version, target))
    check_source (refusals, workspace, snapshot, version, target);

  check_active_run (refusals, workspace, snapshot, target);

  check_target_gate (refusals, workspace, snapshot, identity, version, target);

  return g_steal_pointer (&refusals);
}

/**
 * dr_gate_evaluate_redeploy:
 * @workspace: the workspace with the environments and gates
 * @snapshot: the records of the service being redeployed
 * @identity: the person redeploying
 * @environment: the environment id whose current build is deployed again
 *
 * Checks every condition for deploying the current build of @environment there again, such
 * as after the cluster drifted from the board. A build must be current there and no run may
 * be in progress there. The environment's gate must still let that build in, so sign-offs
 * revoked and approvals withdrawn or turned into rejections since the first deploy refuse it.
 * The environment before is not checked, because it may have moved on to a newer build since.
 *
 * Returns: (transfer full) (element-type DrRefusal): every unmet condition, empty when the
 *   redeploy may go ahead
 */
GPtrArray *
dr_gate_evaluate_redeploy (DrWorkspace             *workspace,
                           const DrServiceSnapshot *snapshot,
                           const DrIdentity        *identity,
                           const char              *environment)
{
  g_autoptr(GPtrArray) refusals = NULL;
  const DrService *service;
  const DrEnvironment *target;
  const DrDeployment *current;

  g_return_val_if_fail (DR_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (identity != NULL, NULL);
  g_return_val_if_fail (environment != NULL, NULL);

  refusals = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_refusal_free);

  if (!check_known_ids (refusals, workspace, snapshot, environment))
    return g_steal_pointer (&refusals);

  service = dr_workspace_get_service (workspace, snapshot->service);
  target = dr_workspace_get_environment (workspace, environment);

  current = dr_service_snapshot_get_current (snapshot, target->id);
  if (current == NULL) {
    add_refusal (refusals, DR_REFUSAL_NOTHING_DEPLOYED, target->id,
                 /* Translators: a service title, an environment title, then that environment
                  * title again. */
                 _("No build of %s is deployed in %s, so there is nothing to redeploy. Promote "
                   "a build to %s instead."),
                 service->title, target->title, target->title);
  }

  check_active_run (refusals, workspace, snapshot, target);

  if (current != NULL)
    check_target_gate (refusals, workspace, snapshot, identity, current->version, target);

  return g_steal_pointer (&refusals);
}

/**
 * dr_refusals_to_string:
 * @refusals: (element-type DrRefusal) (nullable): refusals from dr_gate_evaluate ()
 *
 * Joins the messages of @refusals, one per line.
 *
 * Returns: (transfer full): the messages, or an empty string when there are none
 */
char *
dr_refusals_to_string (GPtrArray *refusals)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; refusals != NULL && i < refusals->len; i++) {
    const DrRefusal *refusal = g_ptr_array_index (refusals, i);

    if (i > 0)
      g_string_append_c (text, '\n');
    g_string_append (text, refusal->message);
  }

  return g_string_free (g_steal_pointer (&text), FALSE);
}
