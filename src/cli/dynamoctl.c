/* SPDX-License-Identifier: GPL-3.0-or-later */
/* dynamoctl: the release engine from a terminal. This file contains the global options, the
 * command table, and opening the workspace, store and engine. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dr-sqlite-store.h"
#include "dynamoctl.h"

static const DrCtlCommand commands[] = {
  { "board", N_("[SERVICE]"),
    N_("Show every service by environment, or one service’s board"),
    N_("Without SERVICE, prints one line per service with the version and state in each "
       "environment. With SERVICE, prints each environment’s current, running, failed and "
       "earlier builds, the checklist and approvals of the build waiting to enter it, and "
       "whether its gate lets that build in for you. It also asks each environment’s cluster "
       "what its Deployment of SERVICE runs, and says when that differs from the board. With "
       "--no-cluster it reads only the store."),
    dr_ctl_board },
  { "record", N_("SERVICE [VERSION]"),
    N_("Record a new build"),
    N_("Without VERSION, reads the version from the service’s clone, as the workspace says "
       "(package.json or git describe)."),
    dr_ctl_record },
  { "new-build", N_("SERVICE [VERSION]"),
    N_("Record a new build and deploy it to the first environment"),
    NULL,
    dr_ctl_new_build },
  { "promote", N_("SERVICE VERSION ENVIRONMENT"),
    N_("Deploy a build to an environment once its gate lets it in"),
    NULL,
    dr_ctl_promote },
  { "redeploy", N_("SERVICE ENVIRONMENT"),
    N_("Deploy the build that the board records in an environment there again"),
    N_("Runs the deploy pipeline, then the verify pipeline, for the environment’s current "
       "build, such as when its cluster runs another build than the board shows. The "
       "environment’s gate must still let that build in: its checklist items signed and its "
       "approvals given for that version, by another person than you."),
    dr_ctl_redeploy },
  { "verify", N_("SERVICE ENVIRONMENT"),
    N_("Run the verify pipeline against the build deployed in an environment"),
    NULL,
    dr_ctl_verify },
  { "rollback", N_("SERVICE ENVIRONMENT"),
    N_("Roll back the newest deploy in an environment"),
    N_("Prints the commands the rollback will run and asks for confirmation on a terminal. "
       "Without a terminal, pass --yes."),
    dr_ctl_rollback },
  { "check", N_("SERVICE VERSION ITEM"),
    N_("Run the command of a checklist item; its success signs the item"),
    N_("ITEM is an item id, or CHECKLIST/ITEM when several checklists have that id."),
    dr_ctl_check },
  { "sign", N_("SERVICE VERSION ITEM"),
    N_("Sign a checklist item for one version"),
    N_("ITEM is an item id, or CHECKLIST/ITEM when several checklists have that id."),
    dr_ctl_sign },
  { "revoke", N_("SERVICE VERSION ITEM"),
    N_("Revoke the sign-off of a checklist item"),
    N_("The earlier sign-off stays in the store; the revocation is recorded next to it."),
    dr_ctl_revoke },
  { "approve", N_("SERVICE VERSION [ENVIRONMENT]"),
    N_("Approve a build for an environment"),
    N_("ENVIRONMENT defaults to the only environment whose gate requires approvals."),
    dr_ctl_approve },
  { "reject", N_("SERVICE VERSION [ENVIRONMENT]"),
    N_("Reject a build for an environment; --comment is required"),
    N_("ENVIRONMENT defaults to the only environment whose gate requires approvals."),
    dr_ctl_reject },
  { "withdraw", N_("SERVICE VERSION [ENVIRONMENT]"),
    N_("Withdraw your earlier approval or rejection"),
    N_("ENVIRONMENT defaults to the only environment whose gate requires approvals."),
    dr_ctl_withdraw },
  { "runs", N_("[SERVICE]"),
    N_("List the newest runs"),
    NULL,
    dr_ctl_runs },
  { "log", N_("RUN"),
    N_("Print a run’s log"),
    N_("Colour codes are kept when standard output is a terminal and removed otherwise. A run "
       "in progress in another process prints the lines written so far. With --follow, it "
       "prints new lines as they are written until the run ends, and Ctrl+C stops printing "
       "without touching the run. With --follow the exit status is the run’s outcome: 0 when "
       "it succeeded, 1 when it failed, was cancelled or was interrupted. Without it, the exit "
       "status is 0 once the log is printed."),
    dr_ctl_log },
  { "audit", "",
    N_("List the audit events, or verify their hash chain"),
    NULL,
    dr_ctl_audit },
  { "cluster set", N_("NAME"),
    N_("Store a cluster’s API server and credentials in the keyring"),
    N_("Replaces what is stored for NAME. The token and keys are read from files, never from "
       "the command line, so that they do not show in the process list; “-” reads the token "
       "from standard input."),
    dr_ctl_cluster_set },
  { "cluster test", N_("NAME"),
    N_("Connect to a cluster’s API server with the stored credentials"),
    NULL,
    dr_ctl_cluster_test },
  { "cluster remove", N_("NAME"),
    N_("Delete a cluster’s credentials from the keyring"),
    NULL,
    dr_ctl_cluster_remove },
  { "cluster import", N_("KUBECONFIG"),
    N_("Copy the credentials of a kubeconfig file’s contexts into the keyring"),
    N_("Each context whose cluster has the name of a workspace cluster is imported under that "
       "name; --map renames the others. The file is not changed."),
    dr_ctl_cluster_import },
};

/* The one list of exit statuses; README.md copies it, and a test compares the two. */
static const char exit_status_help[] =
  N_("Exit status:\n"
     "  0  success\n"
     "  1  a run failed or was cancelled, a cluster test failed, or a rollback was declined\n"
     "  2  usage error: unknown command or option, missing or invalid argument, a folder of\n"
     "     service clones that is not set, does not exist or is not a folder, or a clone that\n"
     "     holds another version or commit than the build to deploy or check\n"
     "  3  refused by a gate, or a run is already in progress there; every reason is printed,\n"
     "     one per line\n"
     "  4  not allowed: you lack the role for the action\n"
     "  5  not found: service, environment, build, item or its sign-off, run, credentials or\n"
     "     file, or the store that --store names (a command that only reads never creates a\n"
     "     store there, and no command creates its folder)\n"
     "  6  the keyring is locked or missing\n"
     "  7  store error: the store cannot be opened, is not a store or is damaged, or its audit\n"
     "     chain does not verify\n"
     "  8  the workspace file is missing or invalid\n"
     "  9  already done: the item is signed already, you made the same approval or rejection\n"
     "     already, or the build’s version is recorded and was deployed\n"
     "\n"
     "Errors are printed on standard error as “dynamoctl: MESSAGE”.");

/* Returns "NAME PARAMETERS" as --help and the error messages show a command's usage. */
static char *
dup_command_usage (const DrCtlCommand *command)
{
  /* An empty msgid would translate to the catalogue's header. */
  if (command->parameters[0] == '\0')
    return g_strdup (command->name);

  return g_strdup_printf ("%s %s", command->name, _(command->parameters));
}

/* Global options */

static gboolean
set_string_option (char       **target,
                   const char  *option_name,
                   const char  *value,
                   GError     **error)
{
  if (value == NULL || value[0] == '\0') {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 _("Option %s needs a value that is not empty."), option_name);
    return FALSE;
  }

  g_free (*target);
  *target = g_strdup (value);

  return TRUE;
}

static gboolean
workspace_option_cb (const char  *option_name,
                     const char  *value,
                     gpointer     data,
                     GError     **error)
{
  return set_string_option (&((DrCtl *) data)->workspace_path, option_name, value, error);
}

static gboolean
store_option_cb (const char  *option_name,
                 const char  *value,
                 gpointer     data,
                 GError     **error)
{
  return set_string_option (&((DrCtl *) data)->store_path, option_name, value, error);
}

static gboolean
clones_option_cb (const char  *option_name,
                  const char  *value,
                  gpointer     data,
                  GError     **error)
{
  DrCtl *ctl = data;

  if (!set_string_option (&ctl->clones_folder, option_name, value, error))
    return FALSE;

  /* Absolute, so that the commands dynamoctl suggests work from any folder. */
  g_free (ctl->clones_folder);
  ctl->clones_folder = g_canonicalize_filename (value, NULL);

  return TRUE;
}

static gboolean
person_option_cb (const char  *option_name,
                  const char  *value,
                  gpointer     data,
                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = NULL;

  if (!set_string_option (&((DrCtl *) data)->person, option_name, value, error))
    return FALSE;

  /* The name is recorded with every action, so one that would not be recorded is a usage
   * error now rather than after a build was recorded. */
  name = dr_identity_normalize_name (value, &local_error);
  if (name == NULL) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, local_error->message);
    return FALSE;
  }

  return TRUE;
}

static gboolean
role_option_cb (const char  *option_name,
                const char  *value,
                gpointer     data,
                GError     **error)
{
  DrCtl *ctl = data;

  if (value == NULL || value[0] == '\0') {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 _("Option %s needs a role id, such as release-manager."), option_name);
    return FALSE;
  }

  if (ctl->roles == NULL)
    ctl->roles = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (ctl->roles, g_strdup (value));

  return TRUE;
}

static const GOptionEntry global_entries[] = {
  { "workspace", 0, G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK, workspace_option_cb,
    N_("Workspace file to use (default: the file in the app’s “workspace” setting when it is "
       "set, else the bundled Dynamo workspace)"), N_("FILE") },
  { "store", 0, G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK, store_option_cb,
    N_("SQLite store file (default: the app’s store in the user data folder, which every "
       "workspace shares). Its folder must exist, and a command that only reads needs a store "
       "that exists"), N_("FILE") },
  { "clones", 0, G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK, clones_option_cb,
    N_("Folder that contains the clones of the service repositories (default: the one chosen "
       "in the app)"), N_("FOLDER") },
  { "as", 0, 0, G_OPTION_ARG_CALLBACK, person_option_cb,
    N_("Name recorded as the person acting (default: the name set in the app, else the "
       "account’s full name)"), N_("NAME") },
  { "role", 0, 0, G_OPTION_ARG_CALLBACK, role_option_cb,
    N_("A role you hold, such as release-manager, qa or security; repeat it for several "
       "(default: the roles set in the app’s Preferences, release-manager until someone changes "
       "them; none where the app’s settings schema is not installed)"), N_("ROLE") },
  G_OPTION_ENTRY_NULL
};

static GOptionGroup *
global_group_new (DrCtl *ctl)
{
  GOptionGroup *group = g_option_group_new ("global", _("Global options:"),
                                            _("Show the global options"), ctl, NULL);

  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_group_add_entries (group, global_entries);

  return group;
}

/* Returns an option parser's message without its final period, so that the sentence that
 * follows it does not end in "..". GOption's own messages have none, ours have one. */
static char *
dup_without_period (const char *message)
{
  char *text = g_strdup (message);
  gsize length = strlen (text);

  if (length > 0 && text[length - 1] == '.')
    text[length - 1] = '\0';

  return text;
}

/**
 * dr_ctl_parse_command:
 * @args: (inout): the command's arguments, its name first; options are removed
 *
 * Parses a command's options, the global options among them, and checks the number of
 * positional arguments. Prints the error and returns FALSE on a usage error; `--help`
 * prints the command's help and exits.
 */
gboolean
dr_ctl_parse_command (DrCtl               *ctl,
                      const DrCtlCommand  *command,
                      const GOptionEntry  *entries,
                      char              ***args,
                      guint                min_arguments,
                      guint                max_arguments)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *usage = NULL;
  g_autofree char *description = NULL;
  guint n_arguments;

  g_return_val_if_fail (ctl != NULL, FALSE);
  g_return_val_if_fail (command != NULL, FALSE);

  usage = dup_command_usage (command);
  context = g_option_context_new (usage);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _(command->summary));

  description = command->description != NULL
                ? g_strdup_printf ("%s\n\n%s", _(command->description), _(exit_status_help))
                : g_strdup (_(exit_status_help));
  g_option_context_set_description (context, description);

  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_group (context, global_group_new (ctl));

  if (!g_option_context_parse_strv (context, args, &error)) {
    g_autofree char *message = dup_without_period (error->message);

    dr_ctl_fail_usage (_("%s. Run “dynamoctl %s --help” for the options."),
                       message, command->name);
    return FALSE;
  }

  /* GOption keeps a "--" when an argument after it starts with "-", as in `log -- -1`. */
  for (guint i = 1; (*args)[i] != NULL; i++) {
    if (g_str_equal ((*args)[i], "--")) {
      g_free ((*args)[i]);
      memmove (*args + i, *args + i + 1, (g_strv_length (*args + i + 1) + 1) * sizeof (char *));
      break;
    }
  }

  n_arguments = g_strv_length (*args) - 1;
  if (n_arguments < min_arguments || n_arguments > max_arguments) {
    dr_ctl_fail_usage (n_arguments < min_arguments
                       ? _("Missing arguments: the usage is “dynamoctl %s”.")
                       : _("Too many arguments: the usage is “dynamoctl %s”."),
                       usage);
    return FALSE;
  }

  return TRUE;
}

/* Waiting for the engine */

/* Stores an async result in the GAsyncResult * slot that user_data points to. */
void
dr_ctl_result_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

/* Runs the main context until dr_ctl_result_cb() has filled the slot. */
GAsyncResult *
dr_ctl_wait (GAsyncResult **slot)
{
  g_return_val_if_fail (slot != NULL, NULL);

  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *slot;
}

/* Returns a dynamoctl command line that a person can paste: the global options given to
 * this invocation, then the arguments, each quoted for the shell where needed. */
char *
dr_ctl_dup_command_line (DrCtl      *ctl,
                         const char *first_argument,
                         ...)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) line = g_string_new ("dynamoctl");
  va_list args;

  g_return_val_if_fail (ctl != NULL, NULL);

  if (ctl->workspace_path != NULL)
    g_ptr_array_add (words, g_strdup_printf ("--workspace=%s", ctl->workspace_path));
  if (ctl->store_path != NULL)
    g_ptr_array_add (words, g_strdup_printf ("--store=%s", ctl->store_path));
  if (ctl->clones_folder != NULL)
    g_ptr_array_add (words, g_strdup_printf ("--clones=%s", ctl->clones_folder));
  if (ctl->person != NULL)
    g_ptr_array_add (words, g_strdup_printf ("--as=%s", ctl->person));
  for (guint i = 0; ctl->roles != NULL && i < ctl->roles->len; i++)
    g_ptr_array_add (words, g_strdup_printf ("--role=%s",
                                             (char *) g_ptr_array_index (ctl->roles, i)));

  va_start (args, first_argument);
  for (const char *word = first_argument; word != NULL; word = va_arg (args, const char *))
    g_ptr_array_add (words, g_strdup (word));
  va_end (args);

  for (guint i = 0; i < words->len; i++) {
    const char *word = g_ptr_array_index (words, i);
    gboolean plain = word[0] != '\0';

    for (const char *c = word; *c != '\0' && plain; c++)
      plain = g_ascii_isalnum (*c) || strchr ("-_.,/:=@+", *c) != NULL;

    g_string_append_c (line, ' ');
    if (plain) {
      g_string_append (line, word);
    } else {
      g_autofree char *quoted = g_shell_quote (word);

      g_string_append (line, quoted);
    }
  }

  return g_string_free (g_steal_pointer (&line), FALSE);
}

/* Opening the workspace, the store and the engine */

static GSettings *
open_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  /* dynamoctl also runs where the app's schema is not installed; then only the options and
   * the built-in defaults count. */
  if (source == NULL)
    return NULL;

  schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema == NULL)
    return NULL;

  return g_settings_new_full (schema, NULL, NULL);
}

static gboolean
settings_has_key (DrCtl      *ctl,
                  const char *key)
{
  g_autoptr(GSettingsSchema) schema = NULL;

  if (ctl->settings == NULL)
    return FALSE;

  g_object_get (ctl->settings, "settings-schema", &schema, NULL);

  return g_settings_schema_has_key (schema, key);
}

/* Returns the setting's string, or NULL when it is empty or the schema lacks it. */
static char *
settings_dup_string (DrCtl      *ctl,
                     const char *key)
{
  g_autofree char *value = NULL;

  if (!settings_has_key (ctl, key))
    return NULL;

  value = g_settings_get_string (ctl->settings, key);
  if (value[0] == '\0')
    return NULL;

  return g_steal_pointer (&value);
}

/* Loads the workspace the options or the settings name, without printing anything. */
gboolean
dr_ctl_load_workspace (DrCtl   *ctl,
                       GError **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (ctl != NULL, FALSE);

  if (ctl->workspace != NULL)
    return TRUE;

  if (ctl->workspace_path != NULL)
    path = g_strdup (ctl->workspace_path);
  if (path == NULL)
    path = settings_dup_string (ctl, "workspace");
  if (path == NULL)
    path = dr_workspace_find_default ();
  if (path == NULL) {
    g_set_error_literal (error, DR_WORKSPACE_ERROR, DR_WORKSPACE_ERROR_IO,
                         _("The bundled Dynamo workspace was not found, so Dynamo Release is "
                           "not installed completely. Pass --workspace FILE."));
    return FALSE;
  }

  ctl->workspace = dr_workspace_load_file (path, NULL, error);

  return ctl->workspace != NULL;
}

/* Loads the workspace; prints the error and returns the exit status when that fails. */
int
dr_ctl_open_workspace (DrCtl *ctl)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (ctl != NULL, DR_CTL_EXIT_FAILED);

  if (!dr_ctl_load_workspace (ctl, &error)) {
    dr_ctl_print_error (error->message);
    return DR_CTL_EXIT_WORKSPACE;
  }

  return DR_CTL_EXIT_OK;
}

static char *
describe_workspace_roles (DrWorkspace *workspace)
{
  GPtrArray *roles = dr_workspace_get_roles (workspace);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < roles->len; i++) {
    const DrRole *role = g_ptr_array_index (roles, i);

    if (i > 0)
      g_string_append (text, ", ");
    g_string_append (text, role->id);
  }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Returns the account's full name, or its user name when it has no full name. */
static char *
dup_account_name (void)
{
  const char *real_name = g_get_real_name ();

  /* g_get_real_name() returns "Unknown" when the account has no full name. */
  if (real_name == NULL || real_name[0] == '\0' || g_str_equal (real_name, "Unknown"))
    return g_strdup (g_get_user_name ());

  return g_strdup (real_name);
}

/* Returns the normalised name of the person acting: --as, else the app's setting, else the
 * account's name. Only commands that record something need a valid name, so for a command
 * that only reads, an invalid name in the settings is replaced by the account's name. */
static char *
dup_person_name (DrCtl     *ctl,
                 gboolean   read_only,
                 GError   **error)
{
  g_autofree char *name = NULL;
  g_autofree char *account = NULL;
  g_autoptr(GError) name_error = NULL;
  gboolean from_settings = FALSE;
  char *normalized;

  if (ctl->person != NULL) {
    name = g_strdup (ctl->person);
  } else {
    name = settings_dup_string (ctl, "person-name");
    from_settings = name != NULL;
  }
  if (name == NULL)
    name = dup_account_name ();

  normalized = dr_identity_normalize_name (name, &name_error);
  if (normalized != NULL)
    return normalized;

  if (!read_only || !from_settings) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 _("%s. Pass --as NAME, or set your name in the app’s Preferences."),
                 name_error->message);
    return NULL;
  }

  account = dup_account_name ();
  normalized = dr_identity_normalize_name (account, NULL);
  if (normalized == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 _("%s. Pass --as NAME, or set your name in the app’s Preferences."),
                 name_error->message);
    return NULL;
  }

  /* Translators: an error about the name, then the account's name. */
  dr_ctl_print_message (_("%s. This command only reads, so it goes on as %s. Set your name in "
                          "the app’s Preferences, or pass --as NAME, before you record "
                          "anything."),
                        name_error->message, normalized);

  return normalized;
}

static DrIdentity *
dup_identity (DrCtl     *ctl,
              gboolean   read_only,
              GError   **error)
{
  g_autofree char *normalized = NULL;
  g_auto(GStrv) roles = NULL;

  normalized = dup_person_name (ctl, read_only, error);
  if (normalized == NULL)
    return NULL;

  if (ctl->roles != NULL) {
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

    for (guint i = 0; i < ctl->roles->len; i++) {
      const char *role = g_ptr_array_index (ctl->roles, i);

      if (dr_workspace_get_role (ctl->workspace, role) == NULL) {
        g_autofree char *known = describe_workspace_roles (ctl->workspace);

        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     _("Unknown role “%s”. The roles of workspace “%s” are: %s."),
                     role, dr_workspace_get_name (ctl->workspace), known);
        return NULL;
      }
      g_strv_builder_add (builder, role);
    }
    roles = g_strv_builder_end (builder);
  } else if (settings_has_key (ctl, "roles")) {
    roles = g_settings_get_strv (ctl->settings, "roles");
  } else {
    roles = g_new0 (char *, 1);
  }

  return dr_identity_new (normalized, (const char * const *) roles);
}

/* Opens the store that --store names, else the one in the user data folder. Only the default
 * store is created with its folders when it is missing, because a mistyped --store must not
 * start an empty store that hides the real records. A command that only reads creates no
 * file at a --store path. */
static int
open_store (DrCtl    *ctl,
            gboolean  read_only)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *folder = NULL;
  DrSqliteStoreOpenFlags flags;

  if (ctl->store_path == NULL) {
    path = dr_sqlite_store_default_path ();
    flags = DR_SQLITE_STORE_OPEN_CREATE_FILE | DR_SQLITE_STORE_OPEN_CREATE_FOLDERS;
  } else {
    path = g_strdup (ctl->store_path);
    flags = read_only ? DR_SQLITE_STORE_OPEN_EXISTING : DR_SQLITE_STORE_OPEN_CREATE_FILE;
  }

  ctl->store = dr_sqlite_store_open_full (path, flags, &error);
  if (ctl->store != NULL)
    return DR_CTL_EXIT_OK;

  if (g_error_matches (error, DR_STORE_ERROR, DR_STORE_ERROR_NOT_FOUND)) {
    folder = g_path_get_dirname (path);
    if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
      dr_ctl_print_message (_("Store %s not found: the folder %s does not exist. Check the path "
                              "given with --store; dynamoctl creates a store only in an "
                              "existing folder."),
                            path, folder);
    else
      dr_ctl_print_message (_("No store exists at %s yet, so there is nothing to read. Check "
                              "the path given with --store, or record a build to create a "
                              "store there."),
                            path);
    return DR_CTL_EXIT_NOT_FOUND;
  }

  if (g_error_matches (error, DR_STORE_ERROR, DR_STORE_ERROR_CORRUPT)) {
    dr_ctl_print_message ("%s\n%s", error->message,
                          _("To open another store, pass --store FILE."));
    return DR_CTL_EXIT_STORE;
  }

  dr_ctl_print_error (error->message);

  return DR_CTL_EXIT_STORE;
}

static int
open_engine (DrCtl    *ctl,
             gboolean  read_only)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrIdentity) identity = NULL;
  g_autofree char *clones = NULL;
  int status;

  if (ctl->engine != NULL)
    return DR_CTL_EXIT_OK;

  status = dr_ctl_open_workspace (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  identity = dup_identity (ctl, read_only, &error);
  if (identity == NULL)
    return dr_ctl_fail (error);

  status = open_store (ctl, read_only);
  if (status != DR_CTL_EXIT_OK)
    return status;

  clones = ctl->clones_folder != NULL ? g_strdup (ctl->clones_folder)
                                      : settings_dup_string (ctl, "clones-folder");

  ctl->engine = dr_engine_new (ctl->workspace, ctl->store);
  dr_engine_set_identity (ctl->engine, identity);
  dr_engine_set_clones_folder (ctl->engine, clones);

  return DR_CTL_EXIT_OK;
}

/* Opens the workspace, the store and an engine acting as the person the options name, for a
 * command that records something. */
int
dr_ctl_open_engine (DrCtl *ctl)
{
  g_return_val_if_fail (ctl != NULL, DR_CTL_EXIT_FAILED);

  return open_engine (ctl, FALSE);
}

/* Opens the engine for a command that only reads: an explicit --store that does not exist
 * yet is not created, and an invalid name in the app's settings does not stop the command. */
int
dr_ctl_open_engine_to_read (DrCtl *ctl)
{
  g_return_val_if_fail (ctl != NULL, DR_CTL_EXIT_FAILED);

  return open_engine (ctl, TRUE);
}

/**
 * dr_ctl_check_clones_folder:
 *
 * Checks that the folder of service clones is set, exists and is a folder, before a command
 * records anything or starts a run. Prints the error and returns its exit status otherwise.
 */
int
dr_ctl_check_clones_folder (DrCtl *ctl)
{
  const char *folder;

  g_return_val_if_fail (ctl != NULL && ctl->engine != NULL, DR_CTL_EXIT_FAILED);

  folder = dr_engine_get_clones_folder (ctl->engine);
  if (folder == NULL)
    return dr_ctl_fail_usage (_("The folder of service clones is not set. Pass --clones FOLDER, "
                                "or choose the folder in the app’s Preferences."));

  if (!g_file_test (folder, G_FILE_TEST_EXISTS))
    return dr_ctl_fail_usage (_("The folder of service clones %s does not exist. Pass --clones "
                                "with the folder that contains your clones, or choose it in "
                                "the app’s Preferences."),
                              folder);

  if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
    return dr_ctl_fail_usage (_("The folder of service clones %s is not a folder. Pass --clones "
                                "with the folder that contains your clones, or choose it in "
                                "the app’s Preferences."),
                              folder);

  return DR_CTL_EXIT_OK;
}

/* The command line */

static char *
dup_command_summary (void)
{
  g_autoptr(GString) text = g_string_new (_("Promote builds of a workspace’s services through "
                                            "its environments, with the same gates and store "
                                            "as the Dynamo Release window."));

  g_string_append_printf (text, "\n\n%s\n", _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
    g_autofree char *usage = dup_command_usage (&commands[i]);
    glong width = g_utf8_strlen (usage, -1);

    g_string_append_printf (text, "  %s%*s  %s\n", usage, (int) MAX (0, 42 - width), "",
                            _(commands[i].summary));
  }
  g_string_append (text, _("\nRun “dynamoctl COMMAND --help” for a command’s options, and "
                           "“dynamoctl COMMAND --help-global” for the options every command takes."));

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static const DrCtlCommand *
find_command (char **args,
              guint *n_words)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
    g_auto(GStrv) words = g_strsplit (commands[i].name, " ", 2);

    if (g_strcmp0 (args[0], words[0]) != 0)
      continue;
    if (words[1] != NULL && g_strcmp0 (args[1], words[1]) != 0)
      continue;

    *n_words = g_strv_length (words);
    return &commands[i];
  }

  return NULL;
}

/* Prints the usage of the cluster subcommands, for `dynamoctl cluster` without one. */
static void
print_cluster_usage (FILE *stream)
{
  g_autoptr(GString) text = g_string_new (_("Usage:"));

  g_string_append_c (text, '\n');
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
    g_autofree char *usage = NULL;

    if (!g_str_has_prefix (commands[i].name, "cluster "))
      continue;
    usage = dup_command_usage (&commands[i]);
    g_string_append_printf (text, "  dynamoctl %s\n      %s\n", usage, _(commands[i].summary));
  }

  fputs (text->str, stream);
}

static int
run_command (DrCtl  *ctl,
             char  **args)
{
  const DrCtlCommand *command;
  g_auto(GStrv) command_args = NULL;
  guint n_words = 0;
  gboolean help = g_str_equal (args[0], "help");

  /* `dynamoctl help COMMAND` is `dynamoctl COMMAND --help`. */
  if (help)
    args++;

  command = find_command (args, &n_words);
  if (command == NULL && g_str_equal (args[0], "cluster")) {
    if (help) {
      print_cluster_usage (stdout);
      return DR_CTL_EXIT_OK;
    }
    dr_ctl_print_error (_("“dynamoctl cluster” needs one of the subcommands set, test, remove "
                          "and import."));
    print_cluster_usage (stderr);
    return DR_CTL_EXIT_USAGE;
  }
  if (command == NULL)
    return dr_ctl_fail_usage (_("Unknown command “%s”. Run “dynamoctl --help” for the list of "
                                "commands."), args[0]);

  /* The command gets its own arguments, its name in place of the program name. */
  if (help) {
    const char *help_args[] = { command->name, "--help", NULL };

    command_args = g_strdupv ((char **) help_args);
  } else {
    command_args = g_strdupv (args + n_words - 1);
    g_free (command_args[0]);
    command_args[0] = g_strdup (command->name);
  }

  return command->func (ctl, command, command_args);
}

static void
dr_ctl_free (DrCtl *ctl)
{
  g_clear_object (&ctl->engine);
  g_clear_object (&ctl->store);
  g_clear_object (&ctl->workspace);
  g_clear_object (&ctl->settings);
  g_clear_pointer (&ctl->roles, g_ptr_array_unref);
  g_free (ctl->workspace_path);
  g_free (ctl->store_path);
  g_free (ctl->clones_folder);
  g_free (ctl->person);
  g_free (ctl);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrCtl, dr_ctl_free)

int
main (int   argc,
      char *argv[])
{
  g_autoptr(DrCtl) ctl = g_new0 (DrCtl, 1);
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *summary = NULL;
  const char *localedir = g_getenv ("DYNAMO_LOCALEDIR");
  gboolean show_version = FALSE;
  int status;
  const GOptionEntry main_entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, &show_version,
      N_("Print the version and exit"), NULL },
    G_OPTION_ENTRY_NULL
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("dynamoctl");

  /* A reader that goes away, as `dynamoctl log 4 | head` does, must not kill a run halfway:
   * writes then fail with EPIPE instead. */
  signal (SIGPIPE, SIG_IGN);

  ctl->stdout_is_terminal = isatty (STDOUT_FILENO);
  ctl->settings = open_settings ();

  /* Parsing stops at the command, which parses the rest with its own options. */
  context = g_option_context_new (_("COMMAND [ARGUMENT…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_strict_posix (context, TRUE);
  summary = dup_command_summary ();
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, _(exit_status_help));
  g_option_context_set_main_group (context, global_group_new (ctl));
  g_option_context_add_main_entries (context, main_entries, GETTEXT_PACKAGE);

  args = g_strdupv (argv);
  if (!g_option_context_parse_strv (context, &args, &error)) {
    g_autofree char *message = dup_without_period (error->message);

    return dr_ctl_fail_usage (_("%s. Run “dynamoctl --help” for the options."), message);
  }

  if (show_version) {
    g_print ("dynamoctl %s\n", PACKAGE_VERSION);
    return DR_CTL_EXIT_OK;
  }

  /* Plain `dynamoctl` is a usage error; `dynamoctl help` prints the same help on standard
   * output. */
  if (args[1] == NULL || (g_str_equal (args[1], "help") && args[2] == NULL)) {
    g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

    if (args[1] == NULL) {
      g_printerr ("%s", help);
      return DR_CTL_EXIT_USAGE;
    }
    g_print ("%s", help);
    return DR_CTL_EXIT_OK;
  }

  status = run_command (ctl, args + 1);

  fflush (stdout);

  return status;
}
