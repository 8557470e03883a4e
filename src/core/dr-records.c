/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include <string.h>

#include "dr-records.h"

/* Free and copy functions. */

void
dr_build_free (DrBuild *build)
{
  if (build == NULL)
    return;

  g_free (build->service);
  g_free (build->version);
  g_free (build->commit);
  g_free (build->image);
  g_free (build->source);
  g_free (build->recorded_by);
  g_free (build);
}

DrBuild *
dr_build_copy (const DrBuild *build)
{
  DrBuild *copy;

  g_return_val_if_fail (build != NULL, NULL);

  copy = g_new0 (DrBuild, 1);
  copy->id = build->id;
  copy->service = g_strdup (build->service);
  copy->version = g_strdup (build->version);
  copy->commit = g_strdup (build->commit);
  copy->image = g_strdup (build->image);
  copy->source = g_strdup (build->source);
  copy->recorded_by = g_strdup (build->recorded_by);
  copy->recorded_at = build->recorded_at;

  return copy;
}

void
dr_deployment_free (DrDeployment *deployment)
{
  if (deployment == NULL)
    return;

  g_free (deployment->service);
  g_free (deployment->version);
  g_free (deployment->environment);
  g_free (deployment->person);
  g_free (deployment);
}

DrDeployment *
dr_deployment_copy (const DrDeployment *deployment)
{
  DrDeployment *copy;

  g_return_val_if_fail (deployment != NULL, NULL);

  copy = g_memdup2 (deployment, sizeof *deployment);
  copy->service = g_strdup (deployment->service);
  copy->version = g_strdup (deployment->version);
  copy->environment = g_strdup (deployment->environment);
  copy->person = g_strdup (deployment->person);

  return copy;
}

void
dr_run_step_record_free (DrRunStepRecord *step)
{
  if (step == NULL)
    return;

  g_free (step->name);
  g_free (step->command);
  g_free (step->message);
  g_free (step);
}

DrRunStepRecord *
dr_run_step_record_copy (const DrRunStepRecord *step)
{
  DrRunStepRecord *copy;

  g_return_val_if_fail (step != NULL, NULL);

  copy = g_memdup2 (step, sizeof *step);
  copy->name = g_strdup (step->name);
  copy->command = g_strdup (step->command);
  copy->message = g_strdup (step->message);

  return copy;
}

void
dr_run_record_free (DrRunRecord *run)
{
  if (run == NULL)
    return;

  g_free (run->service);
  g_free (run->version);
  g_free (run->environment);
  g_free (run->checklist);
  g_free (run->item);
  g_free (run->person);
  g_free (run->log_path);
  g_free (run->message);
  g_free (run->owner);
  g_clear_pointer (&run->steps, g_ptr_array_unref);
  g_free (run);
}

static gpointer
copy_step_cb (gconstpointer src,
              gpointer      user_data)
{
  return dr_run_step_record_copy (src);
}

DrRunRecord *
dr_run_record_copy (const DrRunRecord *run)
{
  DrRunRecord *copy;

  g_return_val_if_fail (run != NULL, NULL);

  copy = g_memdup2 (run, sizeof *run);
  copy->service = g_strdup (run->service);
  copy->version = g_strdup (run->version);
  copy->environment = g_strdup (run->environment);
  copy->checklist = g_strdup (run->checklist);
  copy->item = g_strdup (run->item);
  copy->person = g_strdup (run->person);
  copy->log_path = g_strdup (run->log_path);
  copy->message = g_strdup (run->message);
  copy->owner = g_strdup (run->owner);

  if (run->steps != NULL) {
    copy->steps = g_ptr_array_copy (run->steps, copy_step_cb, NULL);
    g_ptr_array_set_free_func (copy->steps, (GDestroyNotify) dr_run_step_record_free);
  }

  return copy;
}

void
dr_signoff_free (DrSignoff *signoff)
{
  if (signoff == NULL)
    return;

  g_free (signoff->service);
  g_free (signoff->version);
  g_free (signoff->checklist);
  g_free (signoff->item);
  g_free (signoff->person);
  g_free (signoff->role);
  g_free (signoff->comment);
  g_free (signoff);
}

DrSignoff *
dr_signoff_copy (const DrSignoff *signoff)
{
  DrSignoff *copy;

  g_return_val_if_fail (signoff != NULL, NULL);

  copy = g_memdup2 (signoff, sizeof *signoff);
  copy->service = g_strdup (signoff->service);
  copy->version = g_strdup (signoff->version);
  copy->checklist = g_strdup (signoff->checklist);
  copy->item = g_strdup (signoff->item);
  copy->person = g_strdup (signoff->person);
  copy->role = g_strdup (signoff->role);
  copy->comment = g_strdup (signoff->comment);

  return copy;
}

void
dr_approval_free (DrApproval *approval)
{
  if (approval == NULL)
    return;

  g_free (approval->service);
  g_free (approval->version);
  g_free (approval->environment);
  g_free (approval->role);
  g_free (approval->person);
  g_free (approval->comment);
  g_free (approval);
}

DrApproval *
dr_approval_copy (const DrApproval *approval)
{
  DrApproval *copy;

  g_return_val_if_fail (approval != NULL, NULL);

  copy = g_memdup2 (approval, sizeof *approval);
  copy->service = g_strdup (approval->service);
  copy->version = g_strdup (approval->version);
  copy->environment = g_strdup (approval->environment);
  copy->role = g_strdup (approval->role);
  copy->person = g_strdup (approval->person);
  copy->comment = g_strdup (approval->comment);

  return copy;
}

void
dr_audit_event_free (DrAuditEvent *event)
{
  if (event == NULL)
    return;

  g_free (event->person);
  g_free (event->action);
  g_free (event->service);
  g_free (event->version);
  g_free (event->environment);
  g_free (event->detail);
  g_free (event->previous_hash);
  g_free (event->hash);
  g_free (event);
}

/* Returns @name with leading and trailing whitespace removed and each run of whitespace
 * inside replaced by one space. Control characters are kept. */
static char *
collapse_whitespace (const char *name)
{
  GString *text = g_string_new (NULL);
  gboolean pending_space = FALSE;

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (g_unichar_isspace (c) && !g_unichar_iscntrl (c)) {
      pending_space = text->len > 0;
      continue;
    }

    if (pending_space)
      g_string_append_c (text, ' ');
    pending_space = FALSE;
    g_string_append_unichar (text, c);
  }

  return g_string_free (text, FALSE);
}

/* Returns the name for an error message: control characters escaped, at most
 * DR_IDENTITY_NAME_MAX_CHARS characters. */
static char *
dup_name_for_message (const char *name)
{
  g_autofree char *escaped = NULL;
  char non_ascii[129];

  /* g_strescape() would write the bytes of "é" as octal escapes too. */
  for (guint i = 0; i < 128; i++)
    non_ascii[i] = (char) (0x80 + i);
  non_ascii[128] = '\0';
  escaped = g_strescape (name, non_ascii);

  if (g_utf8_strlen (escaped, -1) <= DR_IDENTITY_NAME_MAX_CHARS)
    return g_steal_pointer (&escaped);

  *g_utf8_offset_to_pointer (escaped, DR_IDENTITY_NAME_MAX_CHARS) = '\0';

  return g_strconcat (escaped, "…", NULL);
}

/**
 * dr_identity_normalize_name:
 * @name: a person's name as typed
 * @error: return location for a G_IO_ERROR_INVALID_ARGUMENT that names the problem
 *
 * Normalises a person's name as every record stores it: leading and trailing whitespace
 * removed and each run of whitespace inside replaced by one space. A name is invalid when it
 * is empty afterwards, longer than DR_IDENTITY_NAME_MAX_CHARS characters or not UTF-8. It is
 * also invalid when it contains a control character such as a line break or an escape code,
 * which could forge lines in listings.
 *
 * Returns: (transfer full) (nullable): the normalised name, or NULL with @error set
 */
char *
dr_identity_normalize_name (const char  *name,
                            GError     **error)
{
  g_autofree char *display = NULL;
  g_autofree char *collapsed = NULL;
  glong n_chars;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_utf8_validate (name, -1, NULL)) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         _("Invalid name: it is not valid UTF-8 text"));
    return NULL;
  }

  display = dup_name_for_message (name);

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (g_unichar_iscntrl (c)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   /* Translators: a name, then a character code such as U+001B. */
                   _("Invalid name “%s”: it contains the control character U+%04X; a name "
                     "may not contain line breaks, tabs or escape codes"),
                   display, (guint) c);
      return NULL;
    }
  }

  collapsed = collapse_whitespace (name);
  if (collapsed[0] == '\0') {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         _("Invalid name: it is empty or only whitespace"));
    return NULL;
  }

  n_chars = g_utf8_strlen (collapsed, -1);
  if (n_chars > DR_IDENTITY_NAME_MAX_CHARS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 _("Invalid name “%s”: it has %ld characters, more than the %d a name may "
                   "have"),
                 display, n_chars, DR_IDENTITY_NAME_MAX_CHARS);
    return NULL;
  }

  return g_steal_pointer (&collapsed);
}

/**
 * dr_identity_name_equal:
 *
 * Compares two names the way the four-eyes rule needs: "Ana  Ruiz" and " ana ruiz" are the
 * same person. Whitespace is collapsed and case folded also for names stored before names
 * were normalised.
 */
gboolean
dr_identity_name_equal (const char *name,
                        const char *other)
{
  g_autofree char *collapsed = NULL;
  g_autofree char *other_collapsed = NULL;
  g_autofree char *folded = NULL;
  g_autofree char *other_folded = NULL;

  if (name == NULL || other == NULL)
    return FALSE;
  if (!g_utf8_validate (name, -1, NULL) || !g_utf8_validate (other, -1, NULL))
    return g_strcmp0 (name, other) == 0;

  collapsed = collapse_whitespace (name);
  other_collapsed = collapse_whitespace (other);
  folded = g_utf8_casefold (collapsed, -1);
  other_folded = g_utf8_casefold (other_collapsed, -1);

  return g_strcmp0 (folded, other_folded) == 0;
}

/**
 * dr_identity_new:
 * @name: the person's name
 * @roles: (nullable): the person's role ids
 *
 * Creates an identity with the name normalised by dr_identity_normalize_name(). An invalid
 * name is kept as given, so that the engine can reject the first action with an error that
 * names the problem.
 */
DrIdentity *
dr_identity_new (const char         *name,
                 const char * const *roles)
{
  DrIdentity *identity;
  char *normalized;

  g_return_val_if_fail (name != NULL, NULL);

  normalized = dr_identity_normalize_name (name, NULL);

  identity = g_new0 (DrIdentity, 1);
  identity->name = normalized != NULL ? normalized : g_strdup (name);
  identity->roles = roles != NULL ? g_strdupv ((char **) roles) : g_new0 (char *, 1);

  return identity;
}

DrIdentity *
dr_identity_copy (const DrIdentity *identity)
{
  g_return_val_if_fail (identity != NULL, NULL);

  return dr_identity_new (identity->name, (const char * const *) identity->roles);
}

void
dr_identity_free (DrIdentity *identity)
{
  if (identity == NULL)
    return;

  g_free (identity->name);
  g_strfreev (identity->roles);
  g_free (identity);
}

gboolean
dr_identity_has_role (const DrIdentity *identity,
                      const char       *role)
{
  g_return_val_if_fail (identity != NULL, FALSE);
  g_return_val_if_fail (role != NULL, FALSE);

  return identity->roles != NULL &&
         g_strv_contains ((const char * const *) identity->roles, role);
}

void
dr_service_snapshot_free (DrServiceSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;

  g_free (snapshot->service);
  g_clear_pointer (&snapshot->builds, g_ptr_array_unref);
  g_clear_pointer (&snapshot->deployments, g_ptr_array_unref);
  g_clear_pointer (&snapshot->active_runs, g_ptr_array_unref);
  g_clear_pointer (&snapshot->signoffs, g_ptr_array_unref);
  g_clear_pointer (&snapshot->approvals, g_ptr_array_unref);
  g_clear_pointer (&snapshot->failed_deploy_runs, g_ptr_array_unref);
  g_free (snapshot);
}

/* Enum names as the store writes them. The arrays are indexed by the enum value. */

static const char * const deployment_state_names[] = {
  [DR_DEPLOYMENT_IN_PROGRESS] = "in-progress",
  [DR_DEPLOYMENT_SUCCEEDED] = "succeeded",
  [DR_DEPLOYMENT_FAILED] = "failed",
  [DR_DEPLOYMENT_ROLLED_BACK] = "rolled-back",
};

static const char * const run_kind_names[] = {
  [DR_RUN_KIND_DEPLOY] = "deploy",
  [DR_RUN_KIND_VERIFY] = "verify",
  [DR_RUN_KIND_CHECK] = "check",
  [DR_RUN_KIND_ROLLBACK] = "rollback",
};

static const char * const run_state_names[] = {
  [DR_RUN_STATE_RUNNING] = "running",
  [DR_RUN_STATE_SUCCEEDED] = "succeeded",
  [DR_RUN_STATE_FAILED] = "failed",
  [DR_RUN_STATE_CANCELLED] = "cancelled",
  [DR_RUN_STATE_INTERRUPTED] = "interrupted",
};

static const char * const step_state_names[] = {
  [DR_STEP_STATE_PENDING] = "pending",
  [DR_STEP_STATE_RUNNING] = "running",
  [DR_STEP_STATE_SUCCEEDED] = "succeeded",
  [DR_STEP_STATE_FAILED] = "failed",
  [DR_STEP_STATE_TIMED_OUT] = "timed-out",
  [DR_STEP_STATE_CANCELLED] = "cancelled",
  [DR_STEP_STATE_SKIPPED] = "skipped",
  [DR_STEP_STATE_INTERRUPTED] = "interrupted",
};

static const char * const decision_names[] = {
  [DR_DECISION_APPROVED] = "approved",
  [DR_DECISION_REJECTED] = "rejected",
  [DR_DECISION_WITHDRAWN] = "withdrawn",
};

static const char *
name_for_value (const char * const *names,
                guint               n_names,
                guint               value)
{
  g_assert (names != NULL);

  if (value >= n_names)
    return NULL;

  return names[value];
}

static gboolean
value_for_name (const char * const *names,
                guint               n_names,
                const char         *text,
                guint              *value)
{
  g_assert (names != NULL);
  g_assert (value != NULL);

  if (text == NULL)
    return FALSE;

  for (guint i = 0; i < n_names; i++) {
    if (g_strcmp0 (names[i], text) == 0) {
      *value = i;
      return TRUE;
    }
  }

  return FALSE;
}

const char *
dr_deployment_state_to_string (DrDeploymentState state)
{
  return name_for_value (deployment_state_names, G_N_ELEMENTS (deployment_state_names), state);
}

gboolean
dr_deployment_state_from_string (const char        *text,
                                 DrDeploymentState *state)
{
  guint value;

  g_return_val_if_fail (state != NULL, FALSE);

  if (!value_for_name (deployment_state_names, G_N_ELEMENTS (deployment_state_names), text,
                       &value))
    return FALSE;

  *state = value;
  return TRUE;
}

const char *
dr_run_kind_to_string (DrRunKind kind)
{
  return name_for_value (run_kind_names, G_N_ELEMENTS (run_kind_names), kind);
}

gboolean
dr_run_kind_from_string (const char *text,
                         DrRunKind  *kind)
{
  guint value;

  g_return_val_if_fail (kind != NULL, FALSE);

  if (!value_for_name (run_kind_names, G_N_ELEMENTS (run_kind_names), text, &value))
    return FALSE;

  *kind = value;
  return TRUE;
}

const char *
dr_run_state_to_string (DrRunState state)
{
  return name_for_value (run_state_names, G_N_ELEMENTS (run_state_names), state);
}

gboolean
dr_run_state_from_string (const char *text,
                          DrRunState *state)
{
  guint value;

  g_return_val_if_fail (state != NULL, FALSE);

  if (!value_for_name (run_state_names, G_N_ELEMENTS (run_state_names), text, &value))
    return FALSE;

  *state = value;
  return TRUE;
}

const char *
dr_step_state_to_string (DrStepState state)
{
  return name_for_value (step_state_names, G_N_ELEMENTS (step_state_names), state);
}

gboolean
dr_step_state_from_string (const char  *text,
                           DrStepState *state)
{
  guint value;

  g_return_val_if_fail (state != NULL, FALSE);

  if (!value_for_name (step_state_names, G_N_ELEMENTS (step_state_names), text, &value))
    return FALSE;

  *state = value;
  return TRUE;
}

const char *
dr_decision_to_string (DrDecision decision)
{
  return name_for_value (decision_names, G_N_ELEMENTS (decision_names), decision);
}

gboolean
dr_decision_from_string (const char *text,
                         DrDecision *decision)
{
  guint value;

  g_return_val_if_fail (decision != NULL, FALSE);

  if (!value_for_name (decision_names, G_N_ELEMENTS (decision_names), text, &value))
    return FALSE;

  *decision = value;
  return TRUE;
}

/* The audit hash. Each field is written with a type tag and, for strings, a byte length,
 * so that no two different events serialize to the same bytes: "ab" + "c" and "a" + "bc"
 * differ, and NULL differs from "". */

static void
hash_string (GChecksum  *checksum,
             const char *value)
{
  g_autofree char *prefix = NULL;

  g_assert (checksum != NULL);

  if (value == NULL) {
    g_checksum_update (checksum, (const guchar *) "N;", 2);
    return;
  }

  prefix = g_strdup_printf ("S%" G_GSIZE_FORMAT ":", strlen (value));
  g_checksum_update (checksum, (const guchar *) prefix, -1);
  g_checksum_update (checksum, (const guchar *) value, strlen (value));
  g_checksum_update (checksum, (const guchar *) ";", 1);
}

static void
hash_integer (GChecksum *checksum,
              gint64     value)
{
  g_autofree char *text = NULL;

  g_assert (checksum != NULL);

  text = g_strdup_printf ("I%" G_GINT64_FORMAT ";", value);
  g_checksum_update (checksum, (const guchar *) text, -1);
}

/**
 * dr_audit_event_compute_hash:
 * @event: the event; its own previous_hash and hash fields are ignored
 * @previous_hash: the hash of the event before it, or 64 zeros for the first event
 *
 * Computes the hex SHA-256 of @previous_hash followed by every field of @event in a fixed
 * order. Changing any field, or linking the event after a different one, changes the hash.
 *
 * Returns: (transfer full): 64 lowercase hex digits
 */
char *
dr_audit_event_compute_hash (const DrAuditEvent *event,
                             const char         *previous_hash)
{
  g_autoptr(GChecksum) checksum = NULL;

  g_return_val_if_fail (event != NULL, NULL);
  g_return_val_if_fail (previous_hash != NULL, NULL);

  checksum = g_checksum_new (G_CHECKSUM_SHA256);

  /* The format tag lets a later format change tell old events apart. */
  hash_string (checksum, "dynamo-release-audit-1");
  hash_string (checksum, previous_hash);
  hash_integer (checksum, event->seq);
  hash_integer (checksum, event->at);
  hash_string (checksum, event->person);
  hash_string (checksum, event->action);
  hash_string (checksum, event->service);
  hash_string (checksum, event->version);
  hash_string (checksum, event->environment);
  hash_string (checksum, event->detail);

  return g_strdup (g_checksum_get_string (checksum));
}

/* Snapshot queries. "Newer" compares the start time, then the id, so that the queries do
 * not depend on the order of the arrays. */

static gboolean
is_newer (gint64 at,
          gint64 id,
          gint64 other_at,
          gint64 other_id)
{
  if (at != other_at)
    return at > other_at;

  return id > other_id;
}

static gboolean
deployment_is_newer (const DrDeployment *deployment,
                     const DrDeployment *other)
{
  g_assert (deployment != NULL);

  if (other == NULL)
    return TRUE;

  return is_newer (deployment->started_at, deployment->id, other->started_at, other->id);
}

/**
 * dr_service_snapshot_get_current:
 *
 * Finds the deployment that runs in @environment now: the newest one there that
 * succeeded.
 *
 * Returns: (nullable): the deployment, or NULL when nothing was deployed there
 */
const DrDeployment *
dr_service_snapshot_get_current (const DrServiceSnapshot *snapshot,
                                 const char              *environment)
{
  const DrDeployment *current = NULL;

  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (environment != NULL, NULL);

  for (guint i = 0; snapshot->deployments != NULL && i < snapshot->deployments->len; i++) {
    const DrDeployment *deployment = g_ptr_array_index (snapshot->deployments, i);

    if (deployment->state != DR_DEPLOYMENT_SUCCEEDED ||
        g_strcmp0 (deployment->environment, environment) != 0)
      continue;

    if (deployment_is_newer (deployment, current))
      current = deployment;
  }

  return current;
}

/**
 * dr_service_snapshot_get_newest:
 *
 * Finds the newest deployment in @environment, whatever its state: the one a deploy in
 * progress, a failed deploy or a rollback is about.
 *
 * Returns: (nullable): the deployment, or NULL when nothing was deployed there
 */
const DrDeployment *
dr_service_snapshot_get_newest (const DrServiceSnapshot *snapshot,
                                const char              *environment)
{
  const DrDeployment *newest = NULL;

  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (environment != NULL, NULL);

  for (guint i = 0; snapshot->deployments != NULL && i < snapshot->deployments->len; i++) {
    const DrDeployment *deployment = g_ptr_array_index (snapshot->deployments, i);

    if (g_strcmp0 (deployment->environment, environment) == 0 &&
        deployment_is_newer (deployment, newest))
      newest = deployment;
  }

  return newest;
}

/**
 * dr_service_snapshot_was_deployed:
 *
 * Returns whether @version was ever deployed to any environment, whatever became of it.
 */
gboolean
dr_service_snapshot_was_deployed (const DrServiceSnapshot *snapshot,
                                  const char              *version)
{
  g_return_val_if_fail (snapshot != NULL, FALSE);

  for (guint i = 0; snapshot->deployments != NULL && i < snapshot->deployments->len; i++) {
    const DrDeployment *deployment = g_ptr_array_index (snapshot->deployments, i);

    if (g_strcmp0 (deployment->version, version) == 0)
      return TRUE;
  }

  return FALSE;
}

/**
 * dr_service_snapshot_get_previous:
 *
 * Finds what a rollback in @environment restores: the newest deployment there that
 * succeeded, is older than the current one and has a different version.
 *
 * Returns: (nullable): the deployment, or NULL when there is nothing to go back to
 */
const DrDeployment *
dr_service_snapshot_get_previous (const DrServiceSnapshot *snapshot,
                                  const char              *environment)
{
  const DrDeployment *current;
  const DrDeployment *previous = NULL;

  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (environment != NULL, NULL);

  current = dr_service_snapshot_get_current (snapshot, environment);
  if (current == NULL)
    return NULL;

  for (guint i = 0; i < snapshot->deployments->len; i++) {
    const DrDeployment *deployment = g_ptr_array_index (snapshot->deployments, i);

    if (deployment->state != DR_DEPLOYMENT_SUCCEEDED ||
        g_strcmp0 (deployment->environment, environment) != 0 ||
        g_strcmp0 (deployment->version, current->version) == 0 ||
        !deployment_is_newer (current, deployment))
      continue;

    if (deployment_is_newer (deployment, previous))
      previous = deployment;
  }

  return previous;
}

/**
 * dr_service_snapshot_find_failed_run:
 *
 * Finds the run of a failed deployment among the snapshot's failed_deploy_runs.
 *
 * Returns: (nullable): the run with its steps, or NULL when the snapshot does not have it
 */
const DrRunRecord *
dr_service_snapshot_find_failed_run (const DrServiceSnapshot *snapshot,
                                     gint64                   run_id)
{
  g_return_val_if_fail (snapshot != NULL, NULL);

  for (guint i = 0; snapshot->failed_deploy_runs != NULL &&
                    i < snapshot->failed_deploy_runs->len; i++) {
    const DrRunRecord *run = g_ptr_array_index (snapshot->failed_deploy_runs, i);

    if (run->id == run_id)
      return run;
  }

  return NULL;
}

/**
 * dr_service_snapshot_find_deployment:
 *
 * Finds the newest deployment of @version to @environment, whatever its state.
 *
 * Returns: (nullable): the deployment, or NULL when there is none
 */
const DrDeployment *
dr_service_snapshot_find_deployment (const DrServiceSnapshot *snapshot,
                                     const char              *version,
                                     const char              *environment)
{
  const DrDeployment *found = NULL;

  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (version != NULL, NULL);
  g_return_val_if_fail (environment != NULL, NULL);

  for (guint i = 0; snapshot->deployments != NULL && i < snapshot->deployments->len; i++) {
    const DrDeployment *deployment = g_ptr_array_index (snapshot->deployments, i);

    if (g_strcmp0 (deployment->version, version) != 0 ||
        g_strcmp0 (deployment->environment, environment) != 0)
      continue;

    if (deployment_is_newer (deployment, found))
      found = deployment;
  }

  return found;
}

const DrBuild *
dr_service_snapshot_find_build (const DrServiceSnapshot *snapshot,
                                const char              *version)
{
  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (version != NULL, NULL);

  for (guint i = 0; snapshot->builds != NULL && i < snapshot->builds->len; i++) {
    const DrBuild *build = g_ptr_array_index (snapshot->builds, i);

    if (g_strcmp0 (build->version, version) == 0)
      return build;
  }

  return NULL;
}

/**
 * dr_service_snapshot_find_active_run:
 *
 * Finds the run in state RUNNING for the snapshot's service in @environment.
 *
 * Returns: (nullable): the run, or NULL when none is running there
 */
const DrRunRecord *
dr_service_snapshot_find_active_run (const DrServiceSnapshot *snapshot,
                                     const char              *environment)
{
  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (environment != NULL, NULL);

  for (guint i = 0; snapshot->active_runs != NULL && i < snapshot->active_runs->len; i++) {
    const DrRunRecord *run = g_ptr_array_index (snapshot->active_runs, i);

    if (run->state == DR_RUN_STATE_RUNNING && g_strcmp0 (run->environment, environment) == 0)
      return run;
  }

  return NULL;
}

/**
 * dr_service_snapshot_get_signoff:
 *
 * Finds the sign-off in force for one checklist item of @version: the newest event for
 * the item, unless that event is a revocation.
 *
 * Returns: (nullable): the sign-off, or NULL when the item is not signed
 */
const DrSignoff *
dr_service_snapshot_get_signoff (const DrServiceSnapshot *snapshot,
                                 const char              *version,
                                 const char              *checklist,
                                 const char              *item)
{
  const DrSignoff *newest = NULL;

  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (version != NULL, NULL);
  g_return_val_if_fail (checklist != NULL, NULL);
  g_return_val_if_fail (item != NULL, NULL);

  for (guint i = 0; snapshot->signoffs != NULL && i < snapshot->signoffs->len; i++) {
    const DrSignoff *signoff = g_ptr_array_index (snapshot->signoffs, i);

    if (g_strcmp0 (signoff->version, version) != 0 ||
        g_strcmp0 (signoff->checklist, checklist) != 0 ||
        g_strcmp0 (signoff->item, item) != 0)
      continue;

    if (newest == NULL || is_newer (signoff->at, signoff->id, newest->at, newest->id))
      newest = signoff;
  }

  if (newest == NULL || newest->revoked)
    return NULL;

  return newest;
}

/**
 * dr_service_snapshot_get_approval:
 *
 * Finds the decision in force for @version entering @environment from the approvers of
 * @role: the newest one, unless it was withdrawn.
 *
 * Returns: (nullable): an approval or a rejection, or NULL when there is none
 */
const DrApproval *
dr_service_snapshot_get_approval (const DrServiceSnapshot *snapshot,
                                  const char              *version,
                                  const char              *environment,
                                  const char              *role)
{
  const DrApproval *newest = NULL;

  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (version != NULL, NULL);
  g_return_val_if_fail (environment != NULL, NULL);
  g_return_val_if_fail (role != NULL, NULL);

  for (guint i = 0; snapshot->approvals != NULL && i < snapshot->approvals->len; i++) {
    const DrApproval *approval = g_ptr_array_index (snapshot->approvals, i);

    if (g_strcmp0 (approval->version, version) != 0 ||
        g_strcmp0 (approval->environment, environment) != 0 ||
        g_strcmp0 (approval->role, role) != 0)
      continue;

    if (newest == NULL || is_newer (approval->at, approval->id, newest->at, newest->id))
      newest = approval;
  }

  if (newest == NULL || newest->decision == DR_DECISION_WITHDRAWN)
    return NULL;

  return newest;
}

/* Returns the translated noun for a run kind, for sentences such as "a deploy is running"; the
 * ids of dr_run_kind_to_string() are for files and the store. */
const char *
dr_run_kind_describe (DrRunKind kind)
{
  switch (kind) {
  case DR_RUN_KIND_DEPLOY:
    return C_("run kind", "deploy");
  case DR_RUN_KIND_VERIFY:
    return C_("run kind", "verify");
  case DR_RUN_KIND_CHECK:
    return C_("run kind", "check");
  case DR_RUN_KIND_ROLLBACK:
    return C_("run kind", "rollback");
  default:
    return dr_run_kind_to_string (kind);
  }
}

/**
 * dr_service_snapshot_get_failed_state:
 *
 * Returns how the run of a failed deployment ended: failed, cancelled or interrupted. A
 * deployment of a run that is not in the snapshot counts as failed.
 */
DrRunState
dr_service_snapshot_get_failed_state (const DrServiceSnapshot *snapshot,
                                      const DrDeployment      *deployment)
{
  const DrRunRecord *run;

  g_return_val_if_fail (snapshot != NULL, DR_RUN_STATE_FAILED);
  g_return_val_if_fail (deployment != NULL, DR_RUN_STATE_FAILED);

  run = dr_service_snapshot_find_failed_run (snapshot, deployment->run_id);
  if (run == NULL || run->state == DR_RUN_STATE_RUNNING || run->state == DR_RUN_STATE_SUCCEEDED)
    return DR_RUN_STATE_FAILED;

  return run->state;
}
