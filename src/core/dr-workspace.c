/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "dr-workspace-private.h"

/* A workspace is the release process of one system: its environments, services, pipelines,
 * checklists and gates, read once from a YAML file and immutable afterwards. The file format is
 * described in data/workspaces/FORMAT.md and parsed in dr-workspace-parser.c. */

G_DEFINE_QUARK (dr-workspace-error-quark, dr_workspace_error)

G_DEFINE_FINAL_TYPE (DrWorkspace, dr_workspace, G_TYPE_OBJECT)

#define DEFAULT_WORKSPACE_FILE "dynamo.yaml"

/* The largest workspace file read. The bundled Dynamo workspace, with six services and three
 * environments, is under 10 KiB, so a file past this bound is not a workspace: it is a device,
 * a log or a mistake, and reading it would only fill memory. */
#define MAX_WORKSPACE_BYTES (1024 * 1024)

void
dr_workspace_step_free (DrStep *step)
{
  if (step == NULL)
    return;

  g_free (step->name);
  g_free (step->command);
  g_strfreev (step->argv_template);
  g_free (step);
}

void
dr_workspace_role_free (DrRole *role)
{
  if (role == NULL)
    return;

  g_free (role->id);
  g_free (role->title);
  g_free (role);
}

void
dr_workspace_environment_free (DrEnvironment *environment)
{
  if (environment == NULL)
    return;

  g_free (environment->id);
  g_free (environment->title);
  g_free (environment->badge);
  g_free (environment->base_url);
  g_free (environment->cluster);
  g_free (environment->namespace);
  dr_workspace_step_free (environment->build_step);
  g_free (environment->feature_flags);
  g_free (environment);
}

void
dr_workspace_service_free (DrService *service)
{
  if (service == NULL)
    return;

  g_free (service->id);
  g_free (service->title);
  g_free (service->repository);
  g_free (service->directory);
  g_free (service);
}

void
dr_workspace_pipeline_free (DrPipeline *pipeline)
{
  if (pipeline == NULL)
    return;

  g_free (pipeline->id);
  for (guint i = 0; i < DR_N_PIPELINE_KINDS; i++)
    g_clear_pointer (&pipeline->steps[i], g_ptr_array_unref);
  g_free (pipeline);
}

void
dr_workspace_checklist_item_free (DrChecklistItem *item)
{
  if (item == NULL)
    return;

  g_free (item->id);
  g_free (item->title);
  g_free (item->role);
  dr_workspace_step_free (item->check);
  g_free (item);
}

void
dr_workspace_checklist_free (DrChecklist *checklist)
{
  if (checklist == NULL)
    return;

  g_free (checklist->id);
  g_free (checklist->title);
  g_clear_pointer (&checklist->items, g_ptr_array_unref);
  g_free (checklist);
}

void
dr_workspace_gate_free (DrGate *gate)
{
  if (gate == NULL)
    return;

  g_free (gate->environment);
  g_strfreev (gate->approval_roles);
  g_free (gate->promoter_role);
  g_free (gate);
}

static void
dr_workspace_finalize (GObject *object)
{
  DrWorkspace *self = DR_WORKSPACE (object);

  g_free (self->path);
  g_free (self->name);
  g_free (self->title);
  /* Services and gates point into pipelines and checklists, so they go first. */
  g_clear_pointer (&self->gates, g_ptr_array_unref);
  g_clear_pointer (&self->services, g_ptr_array_unref);
  g_clear_pointer (&self->environments, g_ptr_array_unref);
  g_clear_pointer (&self->pipelines, g_ptr_array_unref);
  g_clear_pointer (&self->checklists, g_ptr_array_unref);
  g_clear_pointer (&self->roles, g_ptr_array_unref);

  G_OBJECT_CLASS (dr_workspace_parent_class)->finalize (object);
}

static void
dr_workspace_class_init (DrWorkspaceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dr_workspace_finalize;
}

static void
dr_workspace_init (DrWorkspace *self)
{
  self->step_timeout_seconds = 30 * 60;
  self->kill_grace_seconds = 10;
  self->verify_after_deploy = TRUE;

  self->roles = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_workspace_role_free);
  self->environments =
    g_ptr_array_new_with_free_func ((GDestroyNotify) dr_workspace_environment_free);
  self->services = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_workspace_service_free);
  self->pipelines = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_workspace_pipeline_free);
  self->checklists =
    g_ptr_array_new_with_free_func ((GDestroyNotify) dr_workspace_checklist_free);
  self->gates = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_workspace_gate_free);
}

/**
 * dr_workspace_load_data:
 * @data: the YAML text
 * @length: the length of @data in bytes, or -1 when it ends with a NUL byte
 * @display_name: the name that starts each error message, such as the file's path
 * @languages: (nullable): language names in order of preference, as g_get_language_names()
 *   returns them; NULL means g_get_language_names()
 * @error: return location for a DR_WORKSPACE_ERROR
 *
 * Parses and checks a workspace. Every error message reads
 * “display_name:line:column: sentence”, and on error nothing is returned.
 *
 * Returns: (transfer full): the workspace, or NULL with @error set
 */
DrWorkspace *
dr_workspace_load_data (const char          *data,
                        gsize                length,
                        const char          *display_name,
                        const char * const  *languages,
                        GError             **error)
{
  g_autoptr(DrYamlDocument) document = NULL;
  g_autoptr(DrWorkspace) self = NULL;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (display_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length == (gsize) -1)
    length = strlen (data);

  if (languages == NULL)
    languages = g_get_language_names ();

  document = dr_yaml_document_parse (data, length, display_name, error);
  if (document == NULL)
    return NULL;

  self = g_object_new (DR_TYPE_WORKSPACE, NULL);
  if (!dr_workspace_parse (self, document->root, display_name, languages, error))
    return NULL;

  return g_steal_pointer (&self);
}

static void
set_read_error (GError     **error,
                const char  *path,
                int          saved_errno)
{
  g_set_error (error, DR_WORKSPACE_ERROR, DR_WORKSPACE_ERROR_IO,
               _("%s: could not read the workspace: %s; check the path and its permissions"),
               path, g_strerror (saved_errno));
}

/* Reads a regular file of at most MAX_WORKSPACE_BYTES. The checks come before the first read,
 * so that a path to /dev/zero or a named pipe neither fills memory nor blocks. */
static char *
read_bounded_file (const char  *path,
                   gsize       *length,
                   GError     **error)
{
  g_autofree char *contents = NULL;
  struct stat info;
  gsize n_total = 0;
  int fd;

  /* O_NONBLOCK keeps open() from waiting for a writer when the path is a named pipe. */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    set_read_error (error, path, errno);
    return NULL;
  }

  if (fstat (fd, &info) != 0) {
    set_read_error (error, path, errno);
    close (fd);
    return NULL;
  }

  if (!S_ISREG (info.st_mode)) {
    g_set_error (error, DR_WORKSPACE_ERROR, DR_WORKSPACE_ERROR_IO,
                 _("%s: not a regular file, so it is not read as a workspace; pass the path of "
                   "a workspace YAML file"),
                 path);
    close (fd);
    return NULL;
  }

  if (info.st_size > MAX_WORKSPACE_BYTES) {
    g_set_error (error, DR_WORKSPACE_ERROR, DR_WORKSPACE_ERROR_IO,
                 _("%s: the file has %lld bytes, more than the %d bytes a workspace may have; "
                   "check that the path names a workspace YAML file"),
                 path, (long long) info.st_size, MAX_WORKSPACE_BYTES);
    close (fd);
    return NULL;
  }

  /* Reading one byte past the bound detects a file that grew after fstat(). */
  contents = g_malloc (MAX_WORKSPACE_BYTES + 2);
  for (;;) {
    ssize_t n_read = read (fd, contents + n_total, MAX_WORKSPACE_BYTES + 1 - n_total);

    if (n_read < 0 && errno == EINTR)
      continue;
    if (n_read < 0) {
      set_read_error (error, path, errno);
      close (fd);
      return NULL;
    }
    if (n_read == 0)
      break;

    n_total += n_read;
    if (n_total > MAX_WORKSPACE_BYTES)
      break;
  }
  close (fd);

  if (n_total > MAX_WORKSPACE_BYTES) {
    g_set_error (error, DR_WORKSPACE_ERROR, DR_WORKSPACE_ERROR_IO,
                 _("%s: the file grew past the %d bytes a workspace may have while it was read"),
                 path, MAX_WORKSPACE_BYTES);
    return NULL;
  }

  contents[n_total] = '\0';
  *length = n_total;

  return g_steal_pointer (&contents);
}

/**
 * dr_workspace_load_file:
 * @path: the workspace file
 * @languages: (nullable): as for dr_workspace_load_data()
 * @error: return location for a DR_WORKSPACE_ERROR
 *
 * Reads and parses a workspace file: a regular file of at most 1 MiB. The read blocks, which
 * suits start-up and dynamoctl because the file is small.
 *
 * Returns: (transfer full): the workspace, or NULL with @error set
 */
DrWorkspace *
dr_workspace_load_file (const char          *path,
                        const char * const  *languages,
                        GError             **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  DrWorkspace *self;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  contents = read_bounded_file (path, &length, error);
  if (contents == NULL)
    return NULL;

  self = dr_workspace_load_data (contents, length, path, languages, error);
  if (self != NULL)
    self->path = g_canonicalize_filename (path, NULL);

  return self;
}

static char *
find_workspace_in (const char *data_directory)
{
  g_autofree char *path = g_build_filename (data_directory, "workspaces", DEFAULT_WORKSPACE_FILE,
                                            NULL);

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&path);

  return NULL;
}

/**
 * dr_workspace_find_default:
 *
 * Finds the bundled Dynamo workspace: in $DYNAMO_DATADIR/workspaces when that variable is set,
 * as it is in the build tree, then in the installed data folder, then in the system data folders.
 *
 * Returns: (transfer full) (nullable): the path of the file, or NULL when none exists
 */
char *
dr_workspace_find_default (void)
{
  const char *override = g_getenv ("DYNAMO_DATADIR");
  const char * const *system_directories = g_get_system_data_dirs ();
  char *path;

  if (override != NULL && override[0] != '\0') {
    path = find_workspace_in (override);
    if (path != NULL)
      return path;
  }

  path = find_workspace_in (PKGDATADIR);
  if (path != NULL)
    return path;

  for (guint i = 0; system_directories[i] != NULL; i++) {
    g_autofree char *directory = g_build_filename (system_directories[i], GETTEXT_PACKAGE, NULL);

    path = find_workspace_in (directory);
    if (path != NULL)
      return path;
  }

  return NULL;
}

/* Returns the canonical path of the loaded file, or NULL for a workspace loaded from data. */
const char *
dr_workspace_get_path (DrWorkspace *self)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);

  return self->path;
}

const char *
dr_workspace_get_name (DrWorkspace *self)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);

  return self->name;
}

const char *
dr_workspace_get_title (DrWorkspace *self)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);

  return self->title;
}

gboolean
dr_workspace_get_allow_self_approval (DrWorkspace *self)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), FALSE);

  return self->allow_self_approval;
}

guint
dr_workspace_get_kill_grace_seconds (DrWorkspace *self)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), 0);

  return self->kill_grace_seconds;
}

/* Returns the timeout of steps that set none themselves. */
guint
dr_workspace_get_step_timeout_seconds (DrWorkspace *self)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), 0);

  return self->step_timeout_seconds;
}

/* Returns whether a deploy run ends with the steps of the service's verify pipeline. */
gboolean
dr_workspace_get_verify_after_deploy (DrWorkspace *self)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), FALSE);

  return self->verify_after_deploy;
}

GPtrArray *
dr_workspace_get_environments (DrWorkspace *self)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);

  return self->environments;
}

const DrEnvironment *
dr_workspace_get_environment (DrWorkspace *self,
                              const char  *id)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < self->environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (self->environments, i);

    if (g_str_equal (environment->id, id))
      return environment;
  }

  return NULL;
}

/* Returns the environment after `environment` in promotion order, or NULL for the last one. */
const DrEnvironment *
dr_workspace_get_next_environment (DrWorkspace         *self,
                                   const DrEnvironment *environment)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (environment != NULL, NULL);
  g_return_val_if_fail (environment->position < self->environments->len, NULL);

  if (environment->position + 1 >= self->environments->len)
    return NULL;

  return g_ptr_array_index (self->environments, environment->position + 1);
}

/* Returns the environment before `environment` in promotion order, or NULL for the first one. */
const DrEnvironment *
dr_workspace_get_previous_environment (DrWorkspace         *self,
                                       const DrEnvironment *environment)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (environment != NULL, NULL);
  g_return_val_if_fail (environment->position < self->environments->len, NULL);

  if (environment->position == 0)
    return NULL;

  return g_ptr_array_index (self->environments, environment->position - 1);
}

GPtrArray *
dr_workspace_get_services (DrWorkspace *self)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);

  return self->services;
}

const DrService *
dr_workspace_get_service (DrWorkspace *self,
                          const char  *id)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < self->services->len; i++) {
    const DrService *service = g_ptr_array_index (self->services, i);

    if (g_str_equal (service->id, id))
      return service;
  }

  return NULL;
}

const DrPipeline *
dr_workspace_get_pipeline (DrWorkspace *self,
                           const char  *id)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < self->pipelines->len; i++) {
    const DrPipeline *pipeline = g_ptr_array_index (self->pipelines, i);

    if (g_str_equal (pipeline->id, id))
      return pipeline;
  }

  return NULL;
}

GPtrArray *
dr_workspace_get_checklists (DrWorkspace *self)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);

  return self->checklists;
}

const DrChecklist *
dr_workspace_get_checklist (DrWorkspace *self,
                            const char  *id)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < self->checklists->len; i++) {
    const DrChecklist *checklist = g_ptr_array_index (self->checklists, i);

    if (g_str_equal (checklist->id, id))
      return checklist;
  }

  return NULL;
}

const DrChecklistItem *
dr_workspace_find_checklist_item (DrWorkspace *self,
                                  const char  *checklist_id,
                                  const char  *item_id)
{
  const DrChecklist *checklist;

  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (checklist_id != NULL, NULL);
  g_return_val_if_fail (item_id != NULL, NULL);

  checklist = dr_workspace_get_checklist (self, checklist_id);
  if (checklist == NULL)
    return NULL;

  for (guint i = 0; i < checklist->items->len; i++) {
    const DrChecklistItem *item = g_ptr_array_index (checklist->items, i);

    if (g_str_equal (item->id, item_id))
      return item;
  }

  return NULL;
}

/* Returns the checklist shown after each deploy, or NULL when the workspace names none. */
const DrChecklist *
dr_workspace_get_monitoring (DrWorkspace *self)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);

  return self->monitoring;
}

GPtrArray *
dr_workspace_get_roles (DrWorkspace *self)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);

  return self->roles;
}

const DrRole *
dr_workspace_get_role (DrWorkspace *self,
                       const char  *id)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < self->roles->len; i++) {
    const DrRole *role = g_ptr_array_index (self->roles, i);

    if (g_str_equal (role->id, id))
      return role;
  }

  return NULL;
}

/* Returns the gate of an environment. Every environment has one: an environment that the file
 * gives no gate gets one with no checklist, no approvals and no promoter role. Returns NULL only
 * for an unknown environment. */
const DrGate *
dr_workspace_get_gate (DrWorkspace *self,
                       const char  *environment_id)
{
  g_return_val_if_fail (DR_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (environment_id != NULL, NULL);

  for (guint i = 0; i < self->gates->len; i++) {
    const DrGate *gate = g_ptr_array_index (self->gates, i);

    if (g_str_equal (gate->environment, environment_id))
      return gate;
  }

  return NULL;
}
