/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The commands that change the store: builds, runs, sign-offs and approvals. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dr-placeholders.h"
#include "dynamoctl.h"

/* The --log and --no-log options of every command that starts a run. */
#define RUN_LOG_ENTRIES(log, no_log) \
  { "log", 0, 0, G_OPTION_ARG_NONE, &(log), \
    N_("Print each step’s output as it arrives (the default when standard output is a " \
       "terminal)"), NULL }, \
  { "no-log", 0, 0, G_OPTION_ARG_NONE, &(no_log), \
    N_("Print only the start and the end of each step (the default otherwise)"), NULL }

/* Checks of arguments against the workspace */

static gboolean
check_version (const char *version,
               int        *status)
{
  g_autoptr(GError) error = NULL;

  if (dr_placeholder_validate ("version", version, &error))
    return TRUE;

  *status = dr_ctl_fail_usage ("%s", error->message);

  return FALSE;
}

static char *
join_ids (GPtrArray *records,
          gsize      id_offset)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < records->len; i++) {
    const char *id = G_STRUCT_MEMBER (const char *, g_ptr_array_index (records, i), id_offset);

    if (i > 0)
      g_string_append (text, ", ");
    g_string_append (text, id);
  }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static const DrService *
find_service (DrCtl      *ctl,
              const char *id,
              int        *status)
{
  const DrService *service = dr_workspace_get_service (ctl->workspace, id);
  g_autofree char *known = NULL;

  if (service != NULL)
    return service;

  known = join_ids (dr_workspace_get_services (ctl->workspace), G_STRUCT_OFFSET (DrService, id));
  dr_ctl_print_message (_("Unknown service “%s”. The services of workspace “%s” are: %s."),
                        id, dr_workspace_get_name (ctl->workspace), known);
  *status = DR_CTL_EXIT_NOT_FOUND;

  return NULL;
}

static const DrEnvironment *
find_environment (DrCtl      *ctl,
                  const char *id,
                  int        *status)
{
  const DrEnvironment *environment = dr_workspace_get_environment (ctl->workspace, id);
  g_autofree char *known = NULL;

  if (environment != NULL)
    return environment;

  known = join_ids (dr_workspace_get_environments (ctl->workspace),
                    G_STRUCT_OFFSET (DrEnvironment, id));
  dr_ctl_print_message (_("Unknown environment “%s”. The environments of workspace “%s” are, in "
                           "promotion order: %s."),
                        id, dr_workspace_get_name (ctl->workspace), known);
  *status = DR_CTL_EXIT_NOT_FOUND;

  return NULL;
}

/* Finds a checklist item by "ITEM", or by "CHECKLIST/ITEM" when several checklists use the
 * same item id. */
static const DrChecklistItem *
find_item (DrCtl              *ctl,
           const char         *spec,
           const DrChecklist **checklist,
           int                *status)
{
  GPtrArray *checklists = dr_workspace_get_checklists (ctl->workspace);
  const char *slash = strchr (spec, '/');
  const DrChecklistItem *found = NULL;
  g_autoptr(GString) owners = g_string_new (NULL);
  g_autoptr(GString) known = g_string_new (NULL);
  guint n_found = 0;

  for (guint i = 0; i < checklists->len; i++) {
    const DrChecklist *candidate = g_ptr_array_index (checklists, i);

    if (slash != NULL && strncmp (spec, candidate->id, slash - spec) != 0)
      continue;
    if (slash != NULL && candidate->id[slash - spec] != '\0')
      continue;

    for (guint j = 0; j < candidate->items->len; j++) {
      const DrChecklistItem *item = g_ptr_array_index (candidate->items, j);

      g_string_append_printf (known, "%s%s/%s", known->len > 0 ? ", " : "", candidate->id,
                              item->id);
      if (!g_str_equal (item->id, slash != NULL ? slash + 1 : spec))
        continue;

      g_string_append_printf (owners, "%s%s", owners->len > 0 ? ", " : "", candidate->id);
      found = item;
      *checklist = candidate;
      n_found++;
    }
  }

  if (n_found == 1)
    return found;

  if (n_found > 1) {
    *status = dr_ctl_fail_usage (_("Checklist item “%s” is in several checklists (%s). Write "
                                   "CHECKLIST/ITEM to choose one."),
                                 spec, owners->str);
    return NULL;
  }

  dr_ctl_print_message (_("Unknown checklist item “%s”. The items of workspace “%s” are: %s."),
                        spec, dr_workspace_get_name (ctl->workspace), known->str);
  *status = DR_CTL_EXIT_NOT_FOUND;

  return NULL;
}

/* Returns the environment named on the command line, or the only one whose gate takes
 * approvals. */
static const DrEnvironment *
find_approval_environment (DrCtl      *ctl,
                           const char *id,
                           int        *status)
{
  GPtrArray *environments = dr_workspace_get_environments (ctl->workspace);
  const DrEnvironment *found = NULL;
  g_autoptr(GString) candidates = g_string_new (NULL);
  guint n_found = 0;

  if (id != NULL)
    return find_environment (ctl, id, status);

  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);
    const DrGate *gate = dr_workspace_get_gate (ctl->workspace, environment->id);

    if (gate == NULL || gate->approval_roles == NULL || gate->approval_roles[0] == NULL)
      continue;

    g_string_append_printf (candidates, "%s%s", candidates->len > 0 ? ", " : "",
                            environment->id);
    found = environment;
    n_found++;
  }

  if (n_found == 1)
    return found;

  if (n_found == 0)
    *status = dr_ctl_fail_usage (_("No environment of workspace “%s” takes approvals."),
                                 dr_workspace_get_name (ctl->workspace));
  else
    *status = dr_ctl_fail_usage (_("Several environments take approvals (%s). Name the "
                                   "ENVIRONMENT."), candidates->str);

  return NULL;
}

/* Builds */

static DrBuild *
record_build (DrCtl       *ctl,
              const char  *service,
              const char  *version,
              const char  *commit,
              DrBuild    **existing,
              int         *status)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *derived = NULL;
  const DrService *found;
  DrVersionSource source = DR_VERSION_SOURCE_MANUAL;
  DrBuild *build;

  found = find_service (ctl, service, status);
  if (found == NULL)
    return NULL;

  if (version == NULL) {
    dr_engine_derive_version_async (ctl->engine, service, NULL, dr_ctl_result_cb, &result);
    derived = dr_engine_derive_version_finish (ctl->engine, dr_ctl_wait (&result), &error);
    g_clear_object (&result);
    if (derived == NULL) {
      *status = dr_ctl_fail (error);
      return NULL;
    }
    version = derived;
    source = found->version_source;
  } else if (!check_version (version, status)) {
    return NULL;
  }

  dr_engine_record_build_async (ctl->engine, service, version, source, commit, NULL,
                                dr_ctl_result_cb, &result);
  build = dr_engine_record_build_finish (ctl->engine, dr_ctl_wait (&result), &error);
  if (build == NULL && existing != NULL &&
      g_error_matches (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_EXISTS)) {
    /* The caller decides what a build recorded earlier means. */
    *existing = dr_store_find_build (dr_engine_get_store (ctl->engine), service, version, NULL);
    if (*existing != NULL) {
      *status = DR_CTL_EXIT_EXISTS;
      return NULL;
    }
  }
  if (build == NULL) {
    *status = dr_ctl_fail (error);
    return NULL;
  }

  g_print (_("Recorded build %s of %s, image %s.\n"), build->version, build->service,
           build->image != NULL ? build->image : "-");

  return build;
}

int
dr_ctl_record (DrCtl              *ctl,
               const DrCtlCommand *command,
               char              **args)
{
  g_autofree char *commit = NULL;
  g_autoptr(DrBuild) build = NULL;
  int status;
  const GOptionEntry entries[] = {
    { "commit", 0, 0, G_OPTION_ARG_STRING, &commit,
      N_("The commit the build comes from"), N_("COMMIT") },
    G_OPTION_ENTRY_NULL
  };

  if (!dr_ctl_parse_command (ctl, command, entries, &args, 1, 2))
    return DR_CTL_EXIT_USAGE;

  status = dr_ctl_open_engine (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  /* Only a version read from the clone needs the clones. */
  if (args[2] == NULL) {
    status = dr_ctl_check_clones_folder (ctl);
    if (status != DR_CTL_EXIT_OK)
      return status;
  }

  build = record_build (ctl, args[1], args[2], commit, NULL, &status);

  return build != NULL ? DR_CTL_EXIT_OK : status;
}

int
dr_ctl_new_build (DrCtl              *ctl,
                  const DrCtlCommand *command,
                  char              **args)
{
  g_autofree char *commit = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrBuild) existing = NULL;
  g_autoptr(DrCtlFollow) follow = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  const DrEnvironment *first;
  gboolean log = FALSE;
  gboolean no_log = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { "commit", 0, 0, G_OPTION_ARG_STRING, &commit,
      N_("The commit the build comes from"), N_("COMMIT") },
    RUN_LOG_ENTRIES (log, no_log),
    G_OPTION_ENTRY_NULL
  };

  if (!dr_ctl_parse_command (ctl, command, entries, &args, 1, 2))
    return DR_CTL_EXIT_USAGE;

  status = dr_ctl_open_engine (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  /* Checked before the build is recorded: a retry could not record it again. */
  status = dr_ctl_check_clones_folder (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  build = record_build (ctl, args[1], args[2], commit, &existing, &status);
  if (build == NULL && existing == NULL)
    return status;

  /* A build recorded by an earlier new-build whose deploy could not start is deployed now,
   * so the command can simply be run again. One that was ever deployed is a new version's. */
  if (build == NULL) {
    g_autoptr(DrServiceSnapshot) snapshot = NULL;
    g_autoptr(GError) error = NULL;

    dr_engine_load_snapshot_async (ctl->engine, existing->service, NULL, dr_ctl_result_cb,
                                   &result);
    snapshot = dr_engine_load_snapshot_finish (ctl->engine, dr_ctl_wait (&result), &error);
    g_clear_object (&result);
    if (snapshot == NULL)
      return dr_ctl_fail (error);
    if (dr_service_snapshot_was_deployed (snapshot, existing->version)) {
      dr_ctl_print_message (_("Build %s of %s is already recorded and was deployed before. "
                              "Give the new build another version."),
                            existing->version, existing->service);
      return status;
    }

    g_print (_("Build %s of %s was recorded earlier and never deployed; deploying it now.\n"),
             existing->version, existing->service);
    build = g_steal_pointer (&existing);
  }

  first = g_ptr_array_index (dr_workspace_get_environments (ctl->workspace), 0);
  follow = dr_ctl_follow_new (ctl, dr_ctl_choose_show_log (ctl, log, no_log));
  dr_engine_promote_async (ctl->engine, build->service, build->version, first->id, NULL,
                           dr_ctl_result_cb, &result);

  return dr_ctl_follow_start (follow, dr_ctl_wait (&result));
}

/* Runs */

int
dr_ctl_promote (DrCtl              *ctl,
                const DrCtlCommand *command,
                char              **args)
{
  g_autoptr(DrCtlFollow) follow = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gboolean log = FALSE;
  gboolean no_log = FALSE;
  int status = DR_CTL_EXIT_OK;
  const GOptionEntry entries[] = {
    RUN_LOG_ENTRIES (log, no_log),
    G_OPTION_ENTRY_NULL
  };

  if (!dr_ctl_parse_command (ctl, command, entries, &args, 3, 3))
    return DR_CTL_EXIT_USAGE;
  if (!check_version (args[2], &status))
    return status;

  status = dr_ctl_open_engine (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;
  status = dr_ctl_check_clones_folder (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  follow = dr_ctl_follow_new (ctl, dr_ctl_choose_show_log (ctl, log, no_log));
  dr_engine_promote_async (ctl->engine, args[1], args[2], args[3], NULL, dr_ctl_result_cb,
                           &result);

  return dr_ctl_follow_start (follow, dr_ctl_wait (&result));
}

typedef void (*StartEnvironmentRun) (DrEngine            *engine,
                                     const char          *service,
                                     const char          *environment,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);

/* Runs a command of the form COMMAND SERVICE ENVIRONMENT that starts one run there, such as
 * verify and redeploy, and follows the run to its end. */
static int
run_in_environment (DrCtl               *ctl,
                    const DrCtlCommand  *command,
                    char               **args,
                    StartEnvironmentRun  start)
{
  g_autoptr(DrCtlFollow) follow = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gboolean log = FALSE;
  gboolean no_log = FALSE;
  int status;
  const GOptionEntry entries[] = {
    RUN_LOG_ENTRIES (log, no_log),
    G_OPTION_ENTRY_NULL
  };

  if (!dr_ctl_parse_command (ctl, command, entries, &args, 2, 2))
    return DR_CTL_EXIT_USAGE;

  status = dr_ctl_open_engine (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;
  status = dr_ctl_check_clones_folder (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  follow = dr_ctl_follow_new (ctl, dr_ctl_choose_show_log (ctl, log, no_log));
  start (ctl->engine, args[1], args[2], NULL, dr_ctl_result_cb, &result);

  return dr_ctl_follow_start (follow, dr_ctl_wait (&result));
}

int
dr_ctl_redeploy (DrCtl              *ctl,
                 const DrCtlCommand *command,
                 char              **args)
{
  return run_in_environment (ctl, command, args, dr_engine_redeploy_async);
}

int
dr_ctl_verify (DrCtl              *ctl,
               const DrCtlCommand *command,
               char              **args)
{
  return run_in_environment (ctl, command, args, dr_engine_verify_async);
}

int
dr_ctl_check (DrCtl              *ctl,
              const DrCtlCommand *command,
              char              **args)
{
  g_autoptr(DrCtlFollow) follow = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  const DrChecklist *checklist = NULL;
  const DrChecklistItem *item;
  gboolean log = FALSE;
  gboolean no_log = FALSE;
  int status = DR_CTL_EXIT_OK;
  const GOptionEntry entries[] = {
    RUN_LOG_ENTRIES (log, no_log),
    G_OPTION_ENTRY_NULL
  };

  if (!dr_ctl_parse_command (ctl, command, entries, &args, 3, 3))
    return DR_CTL_EXIT_USAGE;
  if (!check_version (args[2], &status))
    return status;

  status = dr_ctl_open_engine (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;
  status = dr_ctl_check_clones_folder (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  item = find_item (ctl, args[3], &checklist, &status);
  if (item == NULL)
    return status;

  follow = dr_ctl_follow_new (ctl, dr_ctl_choose_show_log (ctl, log, no_log));
  dr_engine_check_item_async (ctl->engine, args[1], args[2], checklist->id, item->id, NULL,
                              dr_ctl_result_cb, &result);

  return dr_ctl_follow_start (follow, dr_ctl_wait (&result));
}

/* Rollback */

static DrServiceSnapshot *
load_snapshot (DrCtl      *ctl,
               const char *service,
               int        *status)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DrServiceSnapshot *snapshot;

  dr_engine_load_snapshot_async (ctl->engine, service, NULL, dr_ctl_result_cb, &result);
  snapshot = dr_engine_load_snapshot_finish (ctl->engine, dr_ctl_wait (&result), &error);
  if (snapshot == NULL)
    *status = dr_ctl_fail (error);

  return snapshot;
}

/* Prints what the rollback undoes and the commands it runs, as the engine will choose them. */
static void
print_rollback_plan (DrCtl                   *ctl,
                     const DrService         *service,
                     const DrEnvironment     *environment,
                     const DrServiceSnapshot *snapshot)
{
  g_auto(GStrv) commands = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *directory = NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  commands = dr_engine_describe_rollback_full (ctl->engine, snapshot, environment->id,
                                               &summary);
  g_string_append_printf (text, "%s\n", summary);

  directory = dr_engine_dup_service_directory (ctl->engine, service->id);
  if (commands[0] == NULL)
    g_string_append (text, _("It runs no commands.\n"));
  else if (directory != NULL)
    g_string_append_printf (text, _("It runs these commands in %s:\n"), directory);
  else
    g_string_append_printf (text, _("It runs these commands:\n"));
  for (guint i = 0; commands[i] != NULL; i++)
    g_string_append_printf (text, "  %s\n", commands[i]);

  dr_ctl_write_stdout (text->str, text->len);
}

static gboolean
confirm (const char *question)
{
  char answer[64] = { 0 };
  g_auto(GStrv) yes = NULL;

  g_print ("%s ", question);
  fflush (stdout);

  if (fgets (answer, sizeof answer, stdin) == NULL)
    return FALSE;
  g_strstrip (answer);

  if (g_ascii_strcasecmp (answer, "y") == 0 || g_ascii_strcasecmp (answer, "yes") == 0)
    return TRUE;

  /* Translators: the replies that mean yes in your language, separated by "|". */
  yes = g_strsplit (C_("confirmation", "y|yes"), "|", -1);
  for (guint i = 0; yes[i] != NULL; i++)
    if (g_utf8_collate (answer, yes[i]) == 0)
      return TRUE;

  return FALSE;
}

int
dr_ctl_rollback (DrCtl              *ctl,
                 const DrCtlCommand *command,
                 char              **args)
{
  g_autoptr(DrCtlFollow) follow = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  const DrService *service;
  const DrEnvironment *environment;
  gboolean yes = FALSE;
  gboolean log = FALSE;
  gboolean no_log = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &yes,
      N_("Roll back without asking for confirmation"), NULL },
    RUN_LOG_ENTRIES (log, no_log),
    G_OPTION_ENTRY_NULL
  };

  if (!dr_ctl_parse_command (ctl, command, entries, &args, 2, 2))
    return DR_CTL_EXIT_USAGE;

  status = dr_ctl_open_engine (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;
  status = dr_ctl_check_clones_folder (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  service = find_service (ctl, args[1], &status);
  if (service == NULL)
    return status;
  environment = find_environment (ctl, args[2], &status);
  if (environment == NULL)
    return status;

  snapshot = load_snapshot (ctl, service->id, &status);
  if (snapshot == NULL)
    return status;

  print_rollback_plan (ctl, service, environment, snapshot);

  if (!yes) {
    g_autofree char *question = NULL;

    if (!isatty (STDIN_FILENO))
      return dr_ctl_fail_usage (_("Not rolling back without a confirmation: standard input is "
                                  "not a terminal. Pass --yes to roll back."));

    /* Translators: service and environment ids. The person types y or n. */
    question = g_strdup_printf (_("Roll back %s in %s? [y/N]"), service->id, environment->id);
    if (!confirm (question)) {
      dr_ctl_print_message (_("Nothing was rolled back."));
      return DR_CTL_EXIT_FAILED;
    }
  }

  follow = dr_ctl_follow_new (ctl, dr_ctl_choose_show_log (ctl, log, no_log));
  dr_engine_rollback_async (ctl->engine, service->id, environment->id, NULL, dr_ctl_result_cb,
                            &result);

  return dr_ctl_follow_start (follow, dr_ctl_wait (&result));
}

/* Sign-offs */

static int
sign_or_revoke (DrCtl              *ctl,
                const DrCtlCommand *command,
                char              **args,
                gboolean            revoke)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *comment = NULL;
  g_autofree char *environment = NULL;
  g_autofree char *checklist_id = NULL;
  const DrChecklist *checklist = NULL;
  const DrChecklist *monitoring;
  const DrChecklistItem *item;
  const DrIdentity *identity;
  int status = DR_CTL_EXIT_OK;
  const GOptionEntry entries[] = {
    { "comment", 'm', 0, G_OPTION_ARG_STRING, &comment,
      N_("A comment recorded with the sign-off"), N_("TEXT") },
    { "environment", 'e', 0, G_OPTION_ARG_STRING, &environment,
      N_("The environment a monitoring check is signed for, after a deploy there"),
      N_("ENVIRONMENT") },
    G_OPTION_ENTRY_NULL
  };

  if (!dr_ctl_parse_command (ctl, command, entries, &args, 3, 3))
    return DR_CTL_EXIT_USAGE;
  if (!check_version (args[2], &status))
    return status;

  status = dr_ctl_open_engine (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  if (find_service (ctl, args[1], &status) == NULL)
    return status;
  item = find_item (ctl, args[3], &checklist, &status);
  if (item == NULL)
    return status;

  /* The monitoring checklist is signed after each deploy, for that environment. */
  monitoring = dr_workspace_get_monitoring (ctl->workspace);
  if (monitoring != NULL && checklist == monitoring) {
    if (environment == NULL)
      return dr_ctl_fail_usage (_("“%s” is a monitoring check, signed for the environment it "
                                  "was checked in: add --environment ENVIRONMENT."),
                                args[3]);
    checklist_id = g_strdup_printf ("%s@%s", checklist->id, environment);
  } else if (environment != NULL) {
    return dr_ctl_fail_usage (_("--environment is only for monitoring checks; “%s” belongs to "
                                "checklist “%s”."),
                              args[3], checklist->id);
  } else {
    checklist_id = g_strdup (checklist->id);
  }

  if (revoke)
    dr_engine_revoke_async (ctl->engine, args[1], args[2], checklist_id, item->id, comment,
                            NULL, dr_ctl_result_cb, &result);
  else
    dr_engine_sign_async (ctl->engine, args[1], args[2], checklist_id, item->id, comment,
                          NULL, dr_ctl_result_cb, &result);

  if (!dr_engine_write_finish (ctl->engine, dr_ctl_wait (&result), &error))
    return dr_ctl_fail (error);

  identity = dr_engine_get_identity (ctl->engine);
  if (revoke)
    /* Translators: item title, service, version, person. */
    g_print (_("Revoked the sign-off of “%s” for %s %s as %s.\n"), item->title, args[1],
             args[2], identity->name);
  else
    g_print (_("Signed “%s” for %s %s as %s.\n"), item->title, args[1], args[2],
             identity->name);

  return DR_CTL_EXIT_OK;
}

int
dr_ctl_sign (DrCtl              *ctl,
             const DrCtlCommand *command,
             char              **args)
{
  return sign_or_revoke (ctl, command, args, FALSE);
}

int
dr_ctl_revoke (DrCtl              *ctl,
               const DrCtlCommand *command,
               char              **args)
{
  return sign_or_revoke (ctl, command, args, TRUE);
}

/* Approvals */

static int
decide (DrCtl              *ctl,
        const DrCtlCommand *command,
        char              **args,
        DrDecision          decision)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *comment = NULL;
  const DrEnvironment *environment;
  const char *name;
  int status = DR_CTL_EXIT_OK;
  const GOptionEntry entries[] = {
    { "comment", 'm', 0, G_OPTION_ARG_STRING, &comment,
      decision == DR_DECISION_REJECTED ? N_("Why the build is rejected (required)")
                                       : N_("A comment recorded with the decision"),
      N_("TEXT") },
    G_OPTION_ENTRY_NULL
  };

  if (!dr_ctl_parse_command (ctl, command, entries, &args, 2, 3))
    return DR_CTL_EXIT_USAGE;
  if (!check_version (args[2], &status))
    return status;
  if (decision == DR_DECISION_REJECTED && (comment == NULL || g_strstrip (comment)[0] == '\0'))
    return dr_ctl_fail_usage (_("A rejection needs a reason. Pass --comment TEXT."));

  status = dr_ctl_open_engine (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  if (find_service (ctl, args[1], &status) == NULL)
    return status;
  environment = find_approval_environment (ctl, args[3], &status);
  if (environment == NULL)
    return status;

  dr_engine_decide_async (ctl->engine, args[1], args[2], environment->id, decision, comment,
                          NULL, dr_ctl_result_cb, &result);
  if (!dr_engine_write_finish (ctl->engine, dr_ctl_wait (&result), &error))
    return dr_ctl_fail (error);

  name = dr_engine_get_identity (ctl->engine)->name;
  switch (decision) {
  case DR_DECISION_APPROVED:
    /* Translators: service, version, environment, person. */
    g_print (_("Approved %s %s for %s as %s.\n"), args[1], args[2], environment->id, name);
    break;
  case DR_DECISION_REJECTED:
    g_print (_("Rejected %s %s for %s as %s.\n"), args[1], args[2], environment->id, name);
    break;
  case DR_DECISION_WITHDRAWN:
  default:
    g_print (_("Withdrew the decision on %s %s for %s as %s.\n"), args[1], args[2],
             environment->id, name);
    break;
  }

  return DR_CTL_EXIT_OK;
}

int
dr_ctl_approve (DrCtl              *ctl,
                const DrCtlCommand *command,
                char              **args)
{
  return decide (ctl, command, args, DR_DECISION_APPROVED);
}

int
dr_ctl_reject (DrCtl              *ctl,
               const DrCtlCommand *command,
               char              **args)
{
  return decide (ctl, command, args, DR_DECISION_REJECTED);
}

int
dr_ctl_withdraw (DrCtl              *ctl,
                 const DrCtlCommand *command,
                 char              **args)
{
  return decide (ctl, command, args, DR_DECISION_WITHDRAWN);
}
