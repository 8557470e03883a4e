/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Checking, before a deploy or a check starts, that the service's clone contains the build
 * the run is for: its version, and its commit when the build names one. Every gate decision
 * and sign-off is bound to a version, so a run must not build whatever else is checked out. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "dr-engine-run-private.h"

/* A package.json is a few KiB, so a larger file is not a package.json and is not read. */
#define MAX_PACKAGE_JSON_BYTES (1024 * 1024)

/**
 * dr_engine_parse_package_version:
 * @contents: the text of a package.json file
 * @path: the file, for messages
 *
 * Returns: (transfer full) (nullable): the "version" string of the package, or NULL with a
 *   DR_ENGINE_ERROR_INVALID when the text is not JSON or has no "version" string
 */
char *
dr_engine_parse_package_version (const char  *contents,
                                 gsize        length,
                                 const char  *path,
                                 GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonObject *package;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, contents, length, &local_error)) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                 _("%s is not valid JSON: %s"), path, local_error->message);
    return NULL;
  }

  root = json_parser_get_root (parser);
  package = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  if (package == NULL || !json_object_has_member (package, "version") ||
      json_node_get_value_type (json_object_get_member (package, "version")) != G_TYPE_STRING) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                 _("%s has no “version” string. Add one, or type the version."), path);
    return NULL;
  }

  return g_strdup (json_object_get_string_member (package, "version"));
}

static char *
read_package_version (const char  *directory,
                      GError     **error)
{
  g_autofree char *path = g_build_filename (directory, "package.json", NULL);
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GError) local_error = NULL;

  file = g_mapped_file_new (path, FALSE, &local_error);
  if (file == NULL) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                 _("Could not read %s to compare the clone’s version with the build: %s"),
                 path, local_error->message);
    return NULL;
  }

  if (g_mapped_file_get_length (file) == 0) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                 _("%s is empty, so the clone’s version cannot be compared with the build."),
                 path);
    return NULL;
  }

  if (g_mapped_file_get_length (file) > MAX_PACKAGE_JSON_BYTES) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                 _("%s is larger than %d bytes, so it is not read as a package.json."),
                 path, MAX_PACKAGE_JSON_BYTES);
    return NULL;
  }

  return dr_engine_parse_package_version (g_mapped_file_get_contents (file),
                                          g_mapped_file_get_length (file), path, error);
}

/* Runs git with @arguments in @directory and returns its output without the final line break,
 * or NULL with the reason. It runs on the engine's worker thread, so waiting blocks no view. */
static char *
run_git (const char          *directory,
         const char * const  *arguments,
         GError             **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *output = NULL;
  g_autofree char *errors = NULL;
  int status;

  g_ptr_array_add (argv, (char *) "git");
  for (guint i = 0; arguments[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) arguments[i]);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (directory, (char **) argv->pdata, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                     &output, &errors, &status, &local_error)) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_FAILED,
                 _("Could not run “git %s” in %s: %s"), arguments[0], directory,
                 local_error->message);
    return NULL;
  }

  if (!g_spawn_check_wait_status (status, NULL)) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_FAILED,
                 _("“git %s” failed in %s: %s"), arguments[0], directory, g_strstrip (errors));
    return NULL;
  }

  return g_strdup (g_strstrip (output));
}

/* Returns whether @directory is in a git repository whose top folder is inside the clones
 * folder. A repository around the clones folder, such as one that tracks a home folder, is
 * not the service's. */
static gboolean
is_clone_repository (const char *directory,
                     const char *clones_folder)
{
  const char *arguments[] = { "rev-parse", "--show-toplevel", NULL };
  g_autofree char *top = run_git (directory, arguments, NULL);
  g_autofree char *real_top = NULL;
  g_autofree char *real_clones = NULL;
  gsize clones_length;

  if (top == NULL || clones_folder == NULL)
    return FALSE;

  real_top = realpath (top, NULL);
  real_clones = realpath (clones_folder, NULL);
  if (real_top == NULL || real_clones == NULL)
    return FALSE;

  clones_length = strlen (real_clones);

  return strncmp (real_top, real_clones, clones_length) == 0 &&
         (real_top[clones_length] == '/' || real_top[clones_length] == '\0');
}

static gboolean
is_abbreviated_hash (const char *commit)
{
  gsize length = strlen (commit);

  if (length < 4 || length > 64)
    return FALSE;

  for (const char *c = commit; *c != '\0'; c++) {
    if (!g_ascii_isxdigit (*c))
      return FALSE;
  }

  return TRUE;
}

static gboolean
check_commit (Execution      *execution,
              const DrBuild  *build,
              GError        **error)
{
  const char *head_arguments[] = { "rev-parse", "HEAD", NULL };
  g_autofree char *head = NULL;
  g_autofree char *wanted = NULL;
  gboolean matches;

  if (!is_clone_repository (execution->directory, execution->clones_folder))
    return TRUE;

  head = run_git (execution->directory, head_arguments, error);
  if (head == NULL)
    return FALSE;

  /* A hash, full or abbreviated, is compared as it is. Anything else, such as a tag, is
   * resolved in the clone. */
  if (is_abbreviated_hash (build->commit)) {
    matches = strlen (build->commit) <= strlen (head) &&
              g_ascii_strncasecmp (head, build->commit, strlen (build->commit)) == 0;
  } else {
    g_autofree char *revision = g_strdup_printf ("%s^{commit}", build->commit);
    const char *resolve_arguments[] = { "rev-parse", "--verify", "--quiet", "--end-of-options",
                                        revision, NULL };

    wanted = run_git (execution->directory, resolve_arguments, NULL);
    matches = wanted != NULL && g_strcmp0 (wanted, head) == 0;
  }

  if (matches)
    return TRUE;

  g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
               /* Translators: service, folder, commit, version, commit, commit. */
               _("The clone of %s at %s is at commit %.12s, but build %s was recorded from "
                 "commit %s. Check out that commit in the clone (git checkout %s), then start "
                 "the run again."),
               execution->service->title, execution->directory, head, build->version,
               build->commit, build->commit);

  return FALSE;
}

/* Refuses a clone whose tracked files have changes that no commit holds: the run would ship
 * them under a version that does not contain them. Files that git does not track, such as
 * build output, do not count. */
static gboolean
check_committed (Execution      *execution,
                 const DrBuild  *build,
                 GError        **error)
{
  const char *arguments[] = { "diff", "--name-only", "HEAD", NULL };
  g_autofree char *changes = run_git (execution->directory, arguments, error);
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) files = NULL;
  guint n_lines;

  if (changes == NULL)
    return FALSE;
  if (changes[0] == '\0')
    return TRUE;

  lines = g_strsplit (changes, "\n", -1);
  n_lines = g_strv_length (lines);
  files = g_string_new (NULL);
  for (guint i = 0; i < n_lines && i < 3; i++) {
    if (files->len > 0)
      g_string_append (files, ", ");
    g_string_append (files, lines[i]);
  }
  if (n_lines > 3)
    g_string_append (files, ", …");

  g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
               /* Translators: service, folder, changed files, then the build's version. */
               _("The clone of %s at %s has changes that are not committed (%s). Commit or "
                 "stash them, so that what runs is build %s, then start the run again."),
               execution->service->title, execution->directory, files->str, build->version);

  return FALSE;
}

/**
 * dr_execution_check_clone:
 *
 * Compares the clone with the build that a deploy or check run is for. The version comes from
 * package.json or `git describe`, as the service's version source selects. The commit of HEAD
 * is compared too when the build names a commit and the clone is a git repository. A clone
 * folder that does not exist passes, because the run's first step then fails with a message
 * that tells where to clone the service. Runs on the engine's worker thread.
 *
 * Returns: FALSE with DR_ENGINE_ERROR_INVALID naming both versions or commits when the clone
 *   contains another build, or with the reason when the clone cannot be read
 */
gboolean
dr_execution_check_clone (Execution  *execution,
                          DrStore    *store,
                          GError    **error)
{
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *clone_version = NULL;
  const char *origin = NULL;

  g_assert (execution->version != NULL);

  if (execution->directory == NULL || !g_file_test (execution->directory, G_FILE_TEST_IS_DIR))
    return TRUE;

  /* An unknown build is the gate's to report. */
  build = dr_store_find_build (store, execution->service->id, execution->version, &local_error);
  if (local_error != NULL) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  if (build == NULL)
    return TRUE;

  switch (execution->service->version_source) {
  case DR_VERSION_SOURCE_PACKAGE_JSON:
    origin = "package.json";
    clone_version = read_package_version (execution->directory, error);
    if (clone_version == NULL)
      return FALSE;
    break;

  case DR_VERSION_SOURCE_GIT_DESCRIBE: {
    const char *arguments[] = { "describe", "--tags", "--always", "--dirty", NULL };

    origin = "git describe";
    clone_version = run_git (execution->directory, arguments, error);
    if (clone_version == NULL)
      return FALSE;
    break;
  }

  case DR_VERSION_SOURCE_MANUAL:
  default:
    break;
  }

  if (clone_version != NULL && g_strcmp0 (clone_version, build->version) != 0) {
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
                 /* Translators: service, folder, the clone's version, where that version comes
                  * from, then the build's version twice. */
                 _("The clone of %s at %s is at version %s (from %s), but the run is for build "
                   "%s. Check out the commit of build %s in the clone, then start the run "
                   "again."),
                 execution->service->title, execution->directory, clone_version, origin,
                 build->version, build->version);
    return FALSE;
  }

  if (is_clone_repository (execution->directory,
                           dr_engine_get_clones_folder (execution->engine)) &&
      !check_committed (execution, build, error))
    return FALSE;

  if (build->commit != NULL && build->commit[0] != '\0')
    return check_commit (execution, build, error);

  return TRUE;
}

/**
 * dr_engine_dup_clone_head:
 *
 * Returns the commit that the clone of @service_id has checked out, when the clone is a git
 * repository of its own, for a build recorded without a commit. Runs git, so it belongs on a
 * worker thread.
 *
 * Returns: (nullable): the full commit hash, or NULL
 */
char *
dr_engine_dup_clone_head (DrEngine   *self,
                          const char *service_id)
{
  const char *arguments[] = { "rev-parse", "HEAD", NULL };
  g_autofree char *directory = dr_engine_dup_service_directory (self, service_id);

  if (directory == NULL || !g_file_test (directory, G_FILE_TEST_IS_DIR) ||
      !is_clone_repository (directory, dr_engine_get_clones_folder (self)))
    return NULL;

  return run_git (directory, arguments, NULL);
}

/**
 * dr_clones_folder_describe_problem:
 * @folder: the chosen folder of clones, which is not a folder
 * @exists: whether something else exists at @folder, such as a file
 *
 * Returns: (transfer full): the sentence that names @folder's problem and the fix, the same in
 *   the window, Preferences and the command line's --clones
 */
char *
dr_clones_folder_describe_problem (const char *folder,
                                   gboolean    exists)
{
  g_return_val_if_fail (folder != NULL, NULL);

  if (exists)
    /* Translators: %s is a path. */
    return g_strdup_printf (_("%s is not a folder. Choose the folder that contains your clones "
                              "of the service repositories."),
                            folder);

  /* Translators: %s is a folder. */
  return g_strdup_printf (_("Folder %s does not exist. Choose the folder that contains your "
                            "clones of the service repositories."),
                          folder);
}
