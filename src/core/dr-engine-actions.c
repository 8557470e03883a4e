/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The engine's records that are not runs: builds, sign-offs and approvals. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dr-engine-private.h"
#include "dr-placeholders.h"

typedef struct
{
  DrIdentity      *identity;
  char            *service;
  char            *version;
  char            *environment;
  char            *checklist;
  char            *item;
  char            *commit;
  char            *comment;
  DrDecision       decision;
  DrVersionSource  source;
} ActionData;

static void
action_data_free (ActionData *data)
{
  g_clear_pointer (&data->identity, dr_identity_free);
  g_free (data->service);
  g_free (data->version);
  g_free (data->environment);
  g_free (data->checklist);
  g_free (data->item);
  g_free (data->commit);
  g_free (data->comment);
  g_free (data);
}

static ActionData *
action_data_new (DrEngine   *self,
                 const char *service,
                 const char *version)
{
  ActionData *data = g_new0 (ActionData, 1);

  data->identity = dr_identity_copy (dr_engine_get_identity (self));
  data->service = g_strdup (service);
  data->version = g_strdup (version);

  return data;
}

/* The caller's task of a write: which service it changes, and how to free its result. */
typedef struct
{
  char           *service;
  GDestroyNotify  result_destroy;
} Write;

static void
write_free (Write *write)
{
  g_free (write->service);
  g_free (write);
}

static void
write_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Write *write = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gpointer value;

  value = g_task_propagate_pointer (G_TASK (result), &error);
  if (error != NULL) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  dr_engine_emit_changed (DR_ENGINE (object), write->service);
  g_task_return_pointer (task, value, write->result_destroy);
}

/* Queues `work` and, when it succeeds, emits service-changed before completing the caller's
 * task, so that a callback sees the change announced. */
static void
queue_write (DrEngine            *self,
             const char          *service,
             DrEngineWork         work,
             gpointer             data,
             GDestroyNotify       data_destroy,
             GDestroyNotify       result_destroy,
             gpointer             source_tag,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Write *write = g_new0 (Write, 1);

  write->service = g_strdup (service);
  write->result_destroy = result_destroy;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, write, (GDestroyNotify) write_free);

  dr_engine_queue_work (self, work, data, data_destroy, result_destroy, source_tag, cancellable,
                        write_done_cb, task);
}

static const DrService *
require_service (DrEngine    *self,
                 const char  *service_id,
                 GError     **error)
{
  const DrService *service = dr_workspace_get_service (dr_engine_get_workspace (self), service_id);

  if (service == NULL)
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                 _("Unknown service “%s”. Use one of the services of workspace “%s”."),
                 service_id, dr_workspace_get_name (dr_engine_get_workspace (self)));

  return service;
}

static gboolean
require_version (const char  *version,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (dr_placeholder_validate ("version", version, &local_error))
    return TRUE;

  g_set_error_literal (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID, local_error->message);

  return FALSE;
}

/* Checks a build's commit: a hash, full or abbreviated, or the name of a tag or branch as git
 * allows it, so that nothing else ends up in the build's record and on its card. */
static gboolean
require_commit (const char  *commit,
                GError     **error)
{
  gsize length = strlen (commit);
  gboolean valid = length <= 255 && commit[0] != '-' && commit[0] != '.' && commit[0] != '/' &&
                   commit[length - 1] != '/' && commit[length - 1] != '.' &&
                   strstr (commit, "..") == NULL && strstr (commit, "//") == NULL &&
                   !g_str_has_suffix (commit, ".lock");

  for (const char *c = commit; valid && *c != '\0'; c++)
    valid = g_ascii_isalnum (*c) || *c == '.' || *c == '_' || *c == '/' || *c == '-';

  if (valid)
    return TRUE;

  g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
               _("invalid commit “%s”: give a commit hash such as “3f2a9c1”, or the name of a "
                 "tag or branch made of letters, digits, “.”, “_”, “/” and “-”, or leave the "
                 "commit empty"),
               commit);

  return FALSE;
}

static const char *
role_title (DrEngine   *self,
            const char *role_id)
{
  const DrRole *role = dr_workspace_get_role (dr_engine_get_workspace (self), role_id);

  return role != NULL ? role->title : role_id;
}

static char *
describe_roles (DrEngine         *self,
                const DrIdentity *identity)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; identity->roles != NULL && identity->roles[i] != NULL; i++) {
    if (text->len > 0)
      g_string_append (text, ", ");
    g_string_append (text, role_title (self, identity->roles[i]));
  }

  if (text->len == 0)
    /* Translators: shown when a person has no role. */
    g_string_append (text, _("none"));

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Builds */

/* Returns the words DrBuild.source stores for a version source. */
static const char *
describe_version_source (DrVersionSource source)
{
  switch (source) {
  case DR_VERSION_SOURCE_PACKAGE_JSON:
    return "package.json";
  case DR_VERSION_SOURCE_GIT_DESCRIBE:
    return "git describe";
  case DR_VERSION_SOURCE_MANUAL:
  default:
    return "manual";
  }
}

typedef struct
{
  DrStore    *store;
  ActionData *data;
  DrBuild    *build;
} RecordBuild;

static gboolean
record_build_transaction (gpointer   store,
                          gpointer   user_data,
                          GError   **error)
{
  RecordBuild *record = user_data;
  g_autofree char *detail = NULL;

  if (!dr_store_insert_build (store, record->build, error))
    return FALSE;

  detail = dr_engine_dup_detail_json ("source", record->build->source,
                                      "commit", record->build->commit, NULL);

  return dr_store_audit (store, record->data->identity->name, "build-recorded",
                         record->build->service, record->build->version, NULL, detail, error);
}

static gpointer
record_build_work (DrEngine  *self,
                   gpointer   user_data,
                   GError   **error)
{
  ActionData *data = user_data;
  g_autoptr(DrBuild) existing = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GError) local_error = NULL;
  RecordBuild record;

  if (!dr_engine_check_identity (data->identity, error))
    return NULL;
  if (require_service (self, data->service, error) == NULL)
    return NULL;
  if (!require_version (data->version, error))
    return NULL;
  if (data->commit != NULL && data->commit[0] != '\0' && !require_commit (data->commit, error))
    return NULL;

  existing = dr_store_find_build (dr_engine_get_store (self), data->service, data->version,
                                  &local_error);
  if (local_error != NULL) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return NULL;
  }
  if (existing != NULL) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_EXISTS,
                 _("Build %s of %s is already recorded. Give the new build another version."),
                 data->version, data->service);
    return NULL;
  }

  build = g_new0 (DrBuild, 1);
  build->service = g_strdup (data->service);
  build->version = g_strdup (data->version);
  build->commit = g_strdup (data->commit);
  /* A build of a git clone is bound to the commit it was made from, so that a later change
   * of the code under the same version is noticed before a deploy. */
  if (build->commit == NULL || build->commit[0] == '\0') {
    g_free (build->commit);
    build->commit = dr_engine_dup_clone_head (self, data->service);
  }
  build->image = g_strdup_printf ("dynamo/%s:%s", data->service, data->version);
  build->source = g_strdup (describe_version_source (data->source));
  build->recorded_by = g_strdup (data->identity->name);
  build->recorded_at = g_get_real_time ();

  record.store = dr_engine_get_store (self);
  record.data = data;
  record.build = build;
  if (!dr_store_transaction (record.store, record_build_transaction, &record, error))
    return NULL;

  return g_steal_pointer (&build);
}

/**
 * dr_engine_record_build_async:
 * @version: the version, which must be a valid image tag
 * @source: where @version comes from: DR_VERSION_SOURCE_MANUAL when a person typed it, else
 *   the service's version source that dr_engine_derive_version_async() read it from
 * @commit: (nullable): the commit the build comes from
 *
 * Records a new build of @service, with @source in the build record and its audit event. It
 * enters the board in no environment, and promoting it to the first environment deploys it
 * there.
 */
void
dr_engine_record_build_async (DrEngine            *self,
                              const char          *service,
                              const char          *version,
                              DrVersionSource      source,
                              const char          *commit,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  ActionData *data;

  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (service != NULL);
  g_return_if_fail (version != NULL);

  data = action_data_new (self, service, version);
  data->commit = g_strdup (commit);
  data->source = source;

  queue_write (self, service, record_build_work, data, (GDestroyNotify) action_data_free,
               (GDestroyNotify) dr_build_free, dr_engine_record_build_async, cancellable,
               callback, user_data);
}

DrBuild *
dr_engine_record_build_finish (DrEngine      *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Versions derived from a clone */

static void
derive_return_version (GTask      *task,
                       const char *version,
                       const char *origin)
{
  g_autoptr(GError) error = NULL;

  if (!dr_placeholder_validate ("version", version, &error)) {
    g_task_return_new_error (task, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                             /* Translators: the first %s is a file or command, the second an
                              * error message about the version. */
                             _("The version from %s cannot be used: %s"),
                             origin, error->message);
    return;
  }

  g_task_return_pointer (task, g_strdup (version), g_free);
}

static void
package_json_loaded_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *path = g_file_get_path (G_FILE (object));
  g_autofree char *version = NULL;
  gsize length;

  if (!g_file_load_contents_finish (G_FILE (object), result, &contents, &length, NULL, &error)) {
    g_task_return_new_error (task, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                             _("Could not read %s: %s. Type the version instead."),
                             path, error->message);
    return;
  }

  version = dr_engine_parse_package_version (contents, length, path, &error);
  if (version == NULL) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  derive_return_version (task, version, path);
}

static void
git_describe_done_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GSubprocess *process = G_SUBPROCESS (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  g_autofree char *errors = NULL;

  if (!g_subprocess_communicate_utf8_finish (process, result, &output, &errors, &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0) {
    g_task_return_new_error (task, DR_ENGINE_ERROR, DR_ENGINE_ERROR_FAILED,
                             _("“git describe” failed in %s: %s"),
                             (const char *) g_task_get_task_data (task),
                             errors != NULL ? g_strstrip (errors) : "");
    return;
  }

  derive_return_version (task, g_strstrip (output), "git describe");
}

/**
 * dr_engine_derive_version_async:
 *
 * Reads the version of @service's next build from its clone: the "version" field of its
 * package.json, or the output of `git describe --tags --always --dirty`, as the service's
 * `version-from` setting selects.
 */
void
dr_engine_derive_version_async (DrEngine            *self,
                                const char          *service_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *directory = NULL;
  const DrService *service;

  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (service_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_engine_derive_version_async);

  service = require_service (self, service_id, &error);
  if (service == NULL) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  directory = dr_engine_dup_service_directory (self, service_id);
  if (directory == NULL) {
    g_task_return_new_error (task, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NO_CLONES_FOLDER,
                             _("Choose the folder that contains your clones of the service "
                               "repositories in Preferences."));
    return;
  }

  switch (service->version_source) {
  case DR_VERSION_SOURCE_PACKAGE_JSON: {
    g_autofree char *path = g_build_filename (directory, "package.json", NULL);
    g_autoptr(GFile) file = g_file_new_for_path (path);

    g_file_load_contents_async (file, cancellable, package_json_loaded_cb, g_steal_pointer (&task));
    break;
  }

  case DR_VERSION_SOURCE_GIT_DESCRIBE: {
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(GSubprocess) process = NULL;

    launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                          G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_set_cwd (launcher, directory);
    process = g_subprocess_launcher_spawn (launcher, &error,
                                           "git", "describe", "--tags", "--always", "--dirty",
                                           NULL);
    if (process == NULL) {
      g_task_return_new_error (task, DR_ENGINE_ERROR, DR_ENGINE_ERROR_FAILED,
                               _("Could not run “git describe” in %s: %s"),
                               directory, error->message);
      return;
    }

    g_task_set_task_data (task, g_steal_pointer (&directory), g_free);
    g_subprocess_communicate_utf8_async (process, NULL, cancellable, git_describe_done_cb,
                                         g_steal_pointer (&task));
    break;
  }

  case DR_VERSION_SOURCE_MANUAL:
  default:
    g_task_return_new_error (task, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                             _("The workspace says the versions of %s are typed by hand. "
                               "Type the version."),
                             service->title);
    break;
  }
}

char *
dr_engine_derive_version_finish (DrEngine      *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Sign-offs */

typedef struct
{
  ActionData            *data;
  const DrChecklistItem *item;
  gboolean               revoke;
} SignOff;

static void
set_already_signed_error (GError                **error,
                          const DrChecklistItem  *item,
                          ActionData             *data,
                          const DrSignoff        *signoff)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (signoff->at / G_USEC_PER_SEC);
  g_autofree char *when = g_date_time_format (time, "%Y-%m-%d %H:%M");

  if (signoff->run_id > 0)
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_EXISTS,
                 /* Translators: item title, service, version, run id, person, date and time. */
                 _("“%s” is already signed for %s %s: run %lld, started by %s, signed it on %s. "
                   "Revoke that sign-off first to sign it again."),
                 item->title, data->service, data->version, (long long) signoff->run_id,
                 signoff->person, when);
  else
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_EXISTS,
                 /* Translators: item title, service, version, person, date and time. */
                 _("“%s” is already signed for %s %s: %s signed it on %s. Revoke that sign-off "
                   "first to sign it again."),
                 item->title, data->service, data->version, signoff->person, when);
}

static gboolean
sign_transaction (gpointer   store,
                  gpointer   user_data,
                  GError   **error)
{
  SignOff *sign = user_data;
  ActionData *data = sign->data;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *detail = NULL;
  const DrSignoff *current;
  DrSignoff event = { 0 };

  build = dr_store_find_build (store, data->service, data->version, &local_error);
  if (local_error != NULL) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  if (build == NULL) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                 _("Build %s of %s was never recorded. Record it before signing."),
                 data->version, data->service);
    return FALSE;
  }

  snapshot = dr_store_load_snapshot (store, data->service, error);
  if (snapshot == NULL)
    return FALSE;

  /* Signing twice or revoking what is not signed fails, so that no caller reports a
   * sign-off or a revocation that was not recorded. */
  current = dr_service_snapshot_get_signoff (snapshot, data->version, data->checklist,
                                             data->item);
  if (current != NULL && !sign->revoke) {
    set_already_signed_error (error, sign->item, data, current);
    return FALSE;
  }
  if (current == NULL && sign->revoke) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                 /* Translators: item title, service, version. */
                 _("“%s” is not signed for %s %s, so there is no sign-off to revoke."),
                 sign->item->title, data->service, data->version);
    return FALSE;
  }

  event.service = data->service;
  event.version = data->version;
  event.checklist = data->checklist;
  event.item = data->item;
  event.person = data->identity->name;
  event.role = sign->item->role;
  event.at = g_get_real_time ();
  event.comment = data->comment;
  event.revoked = sign->revoke;

  if (!dr_store_insert_signoff (store, &event, error))
    return FALSE;

  detail = dr_engine_dup_detail_json ("checklist", data->checklist, "item", data->item,
                                      "role", sign->item->role, "comment", data->comment, NULL);

  return dr_store_audit (store, data->identity->name, sign->revoke ? "sign-off-revoked" : "signed",
                         data->service, data->version, NULL, detail, error);
}

/* Finds the item that a sign-off names. The monitoring checklist is checked after each deploy,
 * so its sign-offs belong to one environment as well as to one version: their checklist is
 * written "CHECKLIST@ENVIRONMENT", such as "post-deployment@production". */
static const DrChecklistItem *
find_signable_item (DrEngine    *self,
                    const char  *checklist,
                    const char  *item_id,
                    GError     **error)
{
  DrWorkspace *workspace = dr_engine_get_workspace (self);
  const DrChecklist *monitoring = dr_workspace_get_monitoring (workspace);
  const char *at = strchr (checklist, '@');
  g_autofree char *base = at != NULL ? g_strndup (checklist, at - checklist) : g_strdup (checklist);
  const DrChecklistItem *item;

  if (at != NULL && (monitoring == NULL || g_strcmp0 (base, monitoring->id) != 0)) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                 _("Only the monitoring checklist is signed for one environment; sign “%s” "
                   "without “@%s”."),
                 base, at + 1);
    return NULL;
  }
  if (at != NULL && dr_workspace_get_environment (workspace, at + 1) == NULL) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                 _("Unknown environment “%s”. Use one of the environments of workspace “%s”."),
                 at + 1, dr_workspace_get_name (workspace));
    return NULL;
  }
  if (at == NULL && monitoring != NULL && g_strcmp0 (base, monitoring->id) == 0) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                 _("“%s” is checked after each deploy, so it is signed for one environment: "
                   "name the checklist as “%s@ENVIRONMENT”."),
                 base, base);
    return NULL;
  }

  item = dr_workspace_find_checklist_item (workspace, base, item_id);
  if (item == NULL)
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                 _("Checklist “%s” has no item “%s”."), base, item_id);

  return item;
}

static gpointer
sign_work (DrEngine  *self,
           gpointer   user_data,
           GError   **error)
{
  SignOff *sign = user_data;
  ActionData *data = sign->data;
  g_autofree char *roles = NULL;

  if (!dr_engine_check_identity (data->identity, error))
    return NULL;
  if (require_service (self, data->service, error) == NULL)
    return NULL;
  if (!require_version (data->version, error))
    return NULL;

  sign->item = find_signable_item (self, data->checklist, data->item, error);
  if (sign->item == NULL)
    return NULL;

  if (!dr_identity_has_role (data->identity, sign->item->role)) {
    roles = describe_roles (self, data->identity);
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_ALLOWED,
                 /* Translators: item title, role title, then the person's roles. */
                 _("Only a person with the role %2$s may sign or revoke “%1$s”. Your roles: %3$s."),
                 sign->item->title, role_title (self, sign->item->role), roles);
    return NULL;
  }

  /* An item with a check command is signed by the check passing, never by hand. Revoking
   * it stays possible. */
  if (sign->item->check != NULL && !sign->revoke) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_ALLOWED,
                 /* Translators: item title, then service, version and item id in a command. */
                 _("“%s” is signed only by its check passing. Run the check: with the Run Check "
                   "button in the app, or with “dynamoctl check %s %s %s”."),
                 sign->item->title, data->service, data->version, data->item);
    return NULL;
  }

  if (!dr_store_transaction (dr_engine_get_store (self), sign_transaction, sign, error))
    return NULL;

  return NULL;
}

static void
sign_free (SignOff *sign)
{
  action_data_free (sign->data);
  g_free (sign);
}

static void
queue_sign (DrEngine            *self,
            const char          *service,
            const char          *version,
            const char          *checklist,
            const char          *item,
            const char          *comment,
            gboolean             revoke,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  SignOff *sign = g_new0 (SignOff, 1);

  sign->data = action_data_new (self, service, version);
  sign->data->checklist = g_strdup (checklist);
  sign->data->item = g_strdup (item);
  sign->data->comment = comment != NULL && comment[0] != '\0' ? g_strdup (comment) : NULL;
  sign->revoke = revoke;

  queue_write (self, service, sign_work, sign, (GDestroyNotify) sign_free, NULL, source_tag,
               cancellable, callback, user_data);
}

/**
 * dr_engine_sign_async:
 *
 * Signs a checklist item for one version of a service. The person must hold the item's role,
 * and the item must have no check command: such an item is signed by
 * dr_engine_check_item_async(). Signing an item that is signed already fails with
 * DR_ENGINE_ERROR_EXISTS. Finish with dr_engine_write_finish().
 */
void
dr_engine_sign_async (DrEngine            *self,
                      const char          *service,
                      const char          *version,
                      const char          *checklist,
                      const char          *item,
                      const char          *comment,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (service != NULL && version != NULL);
  g_return_if_fail (checklist != NULL && item != NULL);

  queue_sign (self, service, version, checklist, item, comment, FALSE,
              dr_engine_sign_async, cancellable, callback, user_data);
}

/**
 * dr_engine_revoke_async:
 *
 * Records the revocation of a checklist item's sign-off; the earlier sign-off stays in the
 * store. Revoking an item that is not signed fails with DR_ENGINE_ERROR_NOT_FOUND. Finish with
 * dr_engine_write_finish().
 */
void
dr_engine_revoke_async (DrEngine            *self,
                        const char          *service,
                        const char          *version,
                        const char          *checklist,
                        const char          *item,
                        const char          *comment,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (service != NULL && version != NULL);
  g_return_if_fail (checklist != NULL && item != NULL);

  queue_sign (self, service, version, checklist, item, comment, TRUE,
              dr_engine_revoke_async, cancellable, callback, user_data);
}

/* Approvals */

typedef struct
{
  ActionData          *data;
  const DrEnvironment *environment;
  const char          *role;
} Decision;

/* Returns TRUE with @error set when the person's own decision in force already records the
 * decision and comment of the new one. Recording it again would only add an event, and an
 * approval without a comment would hide the comment of the first. */
static gboolean
is_repeated_decision (const Decision           *decision,
                      const DrServiceSnapshot  *snapshot,
                      GError                  **error)
{
  ActionData *data = decision->data;
  const DrApproval *current;
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *when = NULL;

  current = dr_service_snapshot_get_approval (snapshot, data->version, data->environment,
                                              decision->role);
  if (current == NULL || current->decision != data->decision ||
      !dr_identity_name_equal (current->person, data->identity->name))
    return FALSE;
  if (data->comment != NULL && g_strcmp0 (data->comment, current->comment) != 0)
    return FALSE;

  time = g_date_time_new_from_unix_local (current->at / G_USEC_PER_SEC);
  when = g_date_time_format (time, "%Y-%m-%d %H:%M");

  if (current->decision == DR_DECISION_REJECTED)
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_EXISTS,
                 /* Translators: service, version, environment title, date and time. */
                 _("You already rejected %s %s for %s on %s, with the same comment. Give "
                   "another comment to replace it, or withdraw the rejection."),
                 data->service, data->version, decision->environment->title, when);
  else if (current->comment != NULL)
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_EXISTS,
                 /* Translators: service, version, environment title, date and time, then
                  * the comment of that approval. */
                 _("You already approved %s %s for %s on %s, with the comment “%s”. Approving "
                   "again changes nothing; give another comment to replace it, or withdraw "
                   "the approval."),
                 data->service, data->version, decision->environment->title, when,
                 current->comment);
  else
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_EXISTS,
                 /* Translators: service, version, environment title, date and time. */
                 _("You already approved %s %s for %s on %s. Approving again changes nothing; "
                   "give a comment to add one, or withdraw the approval."),
                 data->service, data->version, decision->environment->title, when);

  return TRUE;
}

static gboolean
decide_transaction (gpointer   store,
                    gpointer   user_data,
                    GError   **error)
{
  Decision *decision = user_data;
  ActionData *data = decision->data;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *detail = NULL;
  DrApproval event = { 0 };

  build = dr_store_find_build (store, data->service, data->version, &local_error);
  if (local_error != NULL) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  if (build == NULL) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                 _("Build %s of %s was never recorded."), data->version, data->service);
    return FALSE;
  }

  snapshot = dr_store_load_snapshot (store, data->service, error);
  if (snapshot == NULL)
    return FALSE;
  if (is_repeated_decision (decision, snapshot, error))
    return FALSE;

  event.service = data->service;
  event.version = data->version;
  event.environment = data->environment;
  event.role = (char *) decision->role;
  event.person = data->identity->name;
  event.decision = data->decision;
  event.comment = data->comment;
  event.at = g_get_real_time ();

  if (!dr_store_insert_approval (store, &event, error))
    return FALSE;

  detail = dr_engine_dup_detail_json ("role", decision->role,
                                      "decision", dr_decision_to_string (data->decision),
                                      "comment", data->comment, NULL);

  return dr_store_audit (store, data->identity->name, dr_decision_to_string (data->decision),
                         data->service, data->version, data->environment, detail, error);
}

static gpointer
decide_work (DrEngine  *self,
             gpointer   user_data,
             GError   **error)
{
  Decision *decision = user_data;
  ActionData *data = decision->data;
  const DrEnvironment *environment;
  const DrGate *gate;

  if (!dr_engine_check_identity (data->identity, error))
    return NULL;
  if (require_service (self, data->service, error) == NULL)
    return NULL;
  if (!require_version (data->version, error))
    return NULL;

  environment = dr_workspace_get_environment (dr_engine_get_workspace (self), data->environment);
  gate = dr_workspace_get_gate (dr_engine_get_workspace (self), data->environment);
  if (environment == NULL || gate == NULL || gate->approval_roles == NULL ||
      gate->approval_roles[0] == NULL) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                 _("Environment “%s” takes no approvals."), data->environment);
    return NULL;
  }

  for (guint i = 0; gate->approval_roles[i] != NULL && decision->role == NULL; i++)
    if (dr_identity_has_role (data->identity, gate->approval_roles[i]))
      decision->role = gate->approval_roles[i];

  decision->environment = environment;
  if (decision->role == NULL) {
    g_autofree char *roles = describe_roles (self, data->identity);

    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_ALLOWED,
                 _("Only a person with the role %s may approve or reject builds for %s. "
                   "Your roles: %s."),
                 role_title (self, gate->approval_roles[0]), environment->title, roles);
    return NULL;
  }

  if (data->decision == DR_DECISION_REJECTED && data->comment == NULL) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                 _("Say why you reject %s %s: a rejection needs a comment."),
                 data->service, data->version);
    return NULL;
  }

  if (!dr_store_transaction (dr_engine_get_store (self), decide_transaction, decision, error))
    return NULL;

  return NULL;
}

static void
decision_free (Decision *decision)
{
  action_data_free (decision->data);
  g_free (decision);
}

/**
 * dr_engine_decide_async:
 * @decision: approve, reject, or withdraw an earlier decision
 * @comment: (nullable): required when rejecting
 *
 * Records the person's decision on one version entering @environment, under the first of the
 * environment's approval roles the person holds. Repeating the person's own decision in force
 * with no new comment fails with DR_ENGINE_ERROR_EXISTS and records nothing. Finish with
 * dr_engine_write_finish().
 */
void
dr_engine_decide_async (DrEngine            *self,
                        const char          *service,
                        const char          *version,
                        const char          *environment,
                        DrDecision           decision,
                        const char          *comment,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  Decision *data;

  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (service != NULL && version != NULL && environment != NULL);

  data = g_new0 (Decision, 1);
  data->data = action_data_new (self, service, version);
  data->data->environment = g_strdup (environment);
  data->data->decision = decision;
  data->data->comment = comment != NULL && comment[0] != '\0' ? g_strdup (comment) : NULL;

  queue_write (self, service, decide_work, data, (GDestroyNotify) decision_free, NULL,
               dr_engine_decide_async, cancellable, callback, user_data);
}
