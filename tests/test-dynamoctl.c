/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of dynamoctl: the real executable, spawned against an end-to-end fixture's store,
 * clones, stand-in docker and kubectl, and the keyring of a private session. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dr-credentials.h"
#include "dr-e2e.h"
#include "dr-keyring-test.h"
#include "kube-api-double.h"

typedef struct
{
  int   status;   /* the exit status, or -1 when a signal ended dynamoctl */
  char *out;
  char *err;
} CtlResult;

static void
ctl_result_free (CtlResult *result)
{
  g_free (result->out);
  g_free (result->err);
  g_free (result);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlResult, ctl_result_free)

static char *
dynamoctl_path (void)
{
  const char *build = g_getenv ("DYNAMO_BUILDDIR");

  g_assert_nonnull (build);

  return g_build_filename (build, "src", "cli", "dynamoctl", NULL);
}

/* Returns dynamoctl's argument vector: the fixture's workspace, store and clones, then
 * `arguments`. */
static GPtrArray *
dup_ctl_argv (DrE2e              *e2e,
              const char * const *arguments)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, dynamoctl_path ());
  g_ptr_array_add (argv, g_strdup ("--workspace"));
  g_ptr_array_add (argv, g_strdup (dr_workspace_get_path (e2e->workspace)));
  g_ptr_array_add (argv, g_strdup ("--store"));
  g_ptr_array_add (argv, g_strdup (e2e->store_path));
  g_ptr_array_add (argv, g_strdup ("--clones"));
  g_ptr_array_add (argv, g_strdup (e2e->clones));
  for (guint i = 0; arguments[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (arguments[i]));
  g_ptr_array_add (argv, NULL);

  return argv;
}

/* Starts dynamoctl with pipes for its standard input, output and error. */
static GSubprocess *
spawn_ctl_argv (DrE2e              *e2e,
                const char * const *arguments)
{
  g_autoptr(GPtrArray) argv = dup_ctl_argv (e2e, arguments);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);

  return process;
}

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Collects a spawned dynamoctl's output and exit status, with the main context running, so
 * that servers the test runs keep serving requests. */
static CtlResult *
finish_ctl (GSubprocess *process)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  CtlResult *outcome = g_new0 (CtlResult, 1);

  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicate_cb, &result);
  dr_e2e_wait_result (&result);
  g_subprocess_communicate_utf8_finish (process, result, &outcome->out, &outcome->err, &error);
  g_assert_no_error (error);

  outcome->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                                          : -1;
  if (g_test_verbose ())
    g_printerr ("exit %d\n--- stdout\n%s--- stderr\n%s", outcome->status, outcome->out,
                outcome->err);

  return outcome;
}

static CtlResult *
run_ctl (DrE2e      *e2e,
         const char *first_argument,
         ...)
{
  g_autoptr(GPtrArray) arguments = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  va_list args;

  va_start (args, first_argument);
  for (const char *argument = first_argument; argument != NULL;
       argument = va_arg (args, const char *))
    g_ptr_array_add (arguments, (char *) argument);
  va_end (args);
  g_ptr_array_add (arguments, NULL);

  process = spawn_ctl_argv (e2e, (const char * const *) arguments->pdata);

  return finish_ctl (process);
}

/* Runs dynamoctl with its standard input, output and error on a pseudo-terminal, as in a
 * person's terminal, after typing `input`. The result's out is everything the terminal
 * showed, with "\r\n" line ends. */
static CtlResult *
run_ctl_on_terminal (DrE2e              *e2e,
                     const char         *input,
                     const char * const *arguments)
{
  g_autoptr(GPtrArray) argv = dup_ctl_argv (e2e, arguments);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GString) shown = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  CtlResult *outcome = g_new0 (CtlResult, 1);
  char buffer[4096];
  ssize_t n_read;
  int controller;
  int terminal;

  controller = posix_openpt (O_RDWR | O_NOCTTY);
  g_assert_cmpint (controller, >=, 0);
  g_assert_cmpint (grantpt (controller), ==, 0);
  g_assert_cmpint (unlockpt (controller), ==, 0);
  terminal = open (ptsname (controller), O_RDWR | O_NOCTTY);
  g_assert_cmpint (terminal, >=, 0);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_unsetenv (launcher, "NO_COLOR");
  g_subprocess_launcher_take_stdin_fd (launcher, dup (terminal));
  g_subprocess_launcher_take_stderr_fd (launcher, dup (terminal));
  g_subprocess_launcher_take_stdout_fd (launcher, terminal);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  /* The launcher closes this process's copies of the terminal side. */
  g_clear_object (&launcher);

  if (input != NULL)
    g_assert_cmpint (write (controller, input, strlen (input)), ==, strlen (input));

  /* Reading fails with EIO once dynamoctl has closed its side. */
  while ((n_read = read (controller, buffer, sizeof buffer)) > 0)
    g_string_append_len (shown, buffer, n_read);
  close (controller);

  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);

  outcome->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                                          : -1;
  outcome->out = g_string_free (g_steal_pointer (&shown), FALSE);
  outcome->err = g_strdup ("");
  if (g_test_verbose ())
    g_printerr ("exit %d\n--- terminal\n%s", outcome->status, outcome->out);

  return outcome;
}

static guint
count_lines_with (const char *text,
                  const char *fragment)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint count = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], fragment) != NULL)
      count++;

  return count;
}

static guint
count_lines (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint count = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      count++;

  return count;
}

/* Returns the id from the "Run N: TITLE" line that starts a run's progress. */
static gint64
parse_run_id (const char *out)
{
  const char *line = strstr (out, "Run ");
  gint64 id;

  g_assert_nonnull (line);
  id = g_ascii_strtoll (line + strlen ("Run "), NULL, 10);
  g_assert_cmpint (id, >, 0);

  return id;
}

static guint
count_runs (DrE2e      *e2e,
            const char *service)
{
  DrRunFilter filter = { .service = service };
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GError) error = NULL;

  runs = dr_store_list_runs (e2e->store, &filter, &error);
  g_assert_no_error (error);

  return runs->len;
}

static void
assert_running (DrE2e      *e2e,
                const char *cluster,
                const char *service,
                const char *version)
{
  g_autofree char *running = dr_e2e_running_version (e2e, cluster, service);

  g_assert_cmpstr (running, ==, version);
}

/* Usage */

static void
test_usage (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, FALSE);
  g_autoptr(CtlResult) help = NULL;
  g_autoptr(CtlResult) command_help = NULL;
  g_autoptr(CtlResult) unknown = NULL;
  g_autoptr(CtlResult) missing = NULL;
  g_autoptr(CtlResult) extra = NULL;
  g_autoptr(CtlResult) bad_option = NULL;
  g_autoptr(CtlResult) bad_role = NULL;
  g_autoptr(CtlResult) cluster = NULL;
  g_autoptr(CtlResult) import_help = NULL;
  g_autoptr(CtlResult) empty_global = NULL;
  g_autoptr(CtlResult) empty_option = NULL;

  help = run_ctl (e2e, "--help", NULL);
  g_assert_cmpint (help->status, ==, 0);
  g_assert_nonnull (strstr (help->out, "the file in the app’s “workspace” setting"));
  g_assert_nonnull (strstr (help->out, "release-manager until someone changes them"));
  g_assert_nonnull (strstr (help->out, "promote SERVICE VERSION ENVIRONMENT"));
  g_assert_nonnull (strstr (help->out, "cluster import KUBECONFIG"));
  g_assert_nonnull (strstr (help->out, "  3  refused by a gate"));
  g_assert_nonnull (strstr (help->out, "  6  the keyring is locked or missing"));

  command_help = run_ctl (e2e, "rollback", "--help", NULL);
  g_assert_cmpint (command_help->status, ==, 0);
  g_assert_nonnull (strstr (command_help->out, "rollback SERVICE ENVIRONMENT"));
  g_assert_nonnull (strstr (command_help->out, "--yes"));
  g_assert_nonnull (strstr (command_help->out, "Exit status"));

  unknown = run_ctl (e2e, "deploy", "api-gateway", NULL);
  g_assert_cmpint (unknown->status, ==, 2);
  g_assert_true (g_str_has_prefix (unknown->err, "dynamoctl: "));
  g_assert_nonnull (strstr (unknown->err, "“deploy”"));
  g_assert_cmpuint (count_lines (unknown->err), ==, 1);

  missing = run_ctl (e2e, "promote", "api-gateway", "1.0.0", NULL);
  g_assert_cmpint (missing->status, ==, 2);
  g_assert_nonnull (strstr (missing->err, "SERVICE VERSION ENVIRONMENT"));

  extra = run_ctl (e2e, "verify", "api-gateway", "qa", "production", NULL);
  g_assert_cmpint (extra->status, ==, 2);

  bad_option = run_ctl (e2e, "runs", "--limit", "many", NULL);
  g_assert_cmpint (bad_option->status, ==, 2);

  bad_role = run_ctl (e2e, "--role", "admin", "board", NULL);
  g_assert_cmpint (bad_role->status, ==, 2);
  g_assert_nonnull (strstr (bad_role->err, "release-manager, qa, security"));

  cluster = run_ctl (e2e, "cluster", NULL);
  g_assert_cmpint (cluster->status, ==, 2);

  /* Importing copies the credentials; the file keeps them. */
  import_help = run_ctl (e2e, "help", "cluster", "import", NULL);
  g_assert_cmpint (import_help->status, ==, 0);
  g_assert_nonnull (strstr (import_help->out, "Copy the credentials"));

  /* An option's message ends in one period, before the global options and after a command. */
  empty_global = run_ctl (e2e, "--clones", "", "board", NULL);
  g_assert_cmpint (empty_global->status, ==, 2);
  g_assert_nonnull (strstr (empty_global->err, "not empty. Run “dynamoctl --help”"));
  g_assert_null (strstr (empty_global->err, ".."));
  empty_option = run_ctl (e2e, "board", "--as", "", NULL);
  g_assert_cmpint (empty_option->status, ==, 2);
  g_assert_nonnull (strstr (empty_option->err, "not empty. Run “dynamoctl board --help”"));
  g_assert_null (strstr (empty_option->err, ".."));
}

/* Without --as and --role, the app's settings name the person; without the settings schema,
 * the account's name acts with no role. */
static void
test_default_identity (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, FALSE);
  const char *board[] = { "board", "api-gateway", NULL };
  g_autoptr(GPtrArray) argv = dup_ctl_argv (e2e, board);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(CtlResult) with_settings = NULL;
  g_autoptr(CtlResult) without_schema = NULL;
  g_autofree char *no_schemas = g_build_filename (e2e->root, "no-schemas", NULL);

  build = dr_e2e_record_build (e2e, "api-gateway", "0.1.0", &error);
  g_assert_no_error (error);

  /* The schema's default roles hold release-manager, which the first gate requires. */
  with_settings = run_ctl (e2e, "board", "api-gateway", NULL);
  g_assert_cmpint (with_settings->status, ==, 0);
  g_assert_nonnull (strstr (with_settings->out, "  Gate:     open for "));

  g_assert_cmpint (g_mkdir_with_parents (no_schemas, 0700), ==, 0);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", no_schemas, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  without_schema = finish_ctl (process);
  g_assert_cmpint (without_schema->status, ==, 0);
  g_assert_nonnull (strstr (without_schema->out, "  Gate:     closed for "));
  g_assert_nonnull (strstr (without_schema->out, "Release manager"));
  g_assert_cmpstr (without_schema->err, ==, "");
}

/* The whole way to Production, each step by the person whose role it needs. */
static void
test_promote_through_gates (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  const char *rita[] = { "--as", "Rita", "--role", "release-manager" };
  g_autoptr(CtlResult) built = NULL;
  g_autoptr(CtlResult) skipped = NULL;
  g_autoptr(CtlResult) to_qa = NULL;
  g_autoptr(CtlResult) early = NULL;
  g_autoptr(CtlResult) board = NULL;
  g_autoptr(CtlResult) wrong_role = NULL;
  g_autoptr(CtlResult) check_by_qa = NULL;
  g_autoptr(CtlResult) check = NULL;
  g_autoptr(CtlResult) reject = NULL;
  g_autoptr(CtlResult) approve_by_qa = NULL;
  g_autoptr(CtlResult) approve = NULL;
  g_autoptr(CtlResult) to_production = NULL;
  g_autoptr(CtlResult) overview = NULL;
  g_autoptr(CtlResult) unknown_service = NULL;
  g_autoptr(CtlResult) unknown_environment = NULL;
  g_autoptr(CtlResult) unknown_item = NULL;
  const char *qa_items[] = { "qa-tests-pass", "functionality-verified", "performance-tests" };
  g_auto(GStrv) row = NULL;
  guint n_runs;

  /* new-build reads the version from package.json and deploys to Development. */
  dr_e2e_set_version (e2e, "api-gateway", "1.4.0");
  built = run_ctl (e2e, rita[0], rita[1], rita[2], rita[3], "new-build", "api-gateway", NULL);
  g_assert_cmpint (built->status, ==, 0);
  g_assert_nonnull (strstr (built->out, "Recorded build 1.4.0 of api-gateway"));
  g_assert_nonnull (strstr (built->out, ": Deploy API Gateway 1.4.0 to Development\n"));
  g_assert_nonnull (strstr (built->out, "[1/6] Update the route configuration (npm run "
                                        "update-routes)\n"));
  g_assert_nonnull (strstr (built->out, "[6/6] Verify the deployment: succeeded in "));
  g_assert_nonnull (strstr (built->out, " succeeded in "));
  /* In a pipe, the steps' own output is left out unless --log requests it. */
  g_assert_null (strstr (built->out, "routes updated"));
  g_assert_cmpstr (built->err, ==, "");
  assert_running (e2e, "dynamo-dev", "api-gateway", "1.4.0");

  /* Skipping QA is refused, with every reason on its own line. */
  n_runs = count_runs (e2e, "api-gateway");
  skipped = run_ctl (e2e, rita[0], rita[1], rita[2], rita[3],
                     "promote", "api-gateway", "1.4.0", "production", NULL);
  g_assert_cmpint (skipped->status, ==, 3);
  g_assert_true (g_str_has_prefix (skipped->err,
                                   "dynamoctl: API Gateway 1.4.0 may not enter Production:\n"));
  g_assert_cmpuint (count_lines_with (skipped->err, "Promote 1.4.0 to QA before Production"),
                    ==, 1);
  g_assert_cmpuint (count_lines_with (skipped->err, "is not signed for 1.4.0"), ==, 5);
  g_assert_cmpuint (count_lines_with (skipped->err, "has no approval"), ==, 1);
  g_assert_cmpstr (skipped->out, ==, "");
  g_assert_cmpuint (count_runs (e2e, "api-gateway"), ==, n_runs);

  to_qa = run_ctl (e2e, rita[0], rita[1], rita[2], rita[3],
                   "promote", "--log", "api-gateway", "1.4.0", "qa", NULL);
  g_assert_cmpint (to_qa->status, ==, 0);
  g_assert_nonnull (strstr (to_qa->out, "    routes updated: 6 services\n"));
  g_assert_nonnull (strstr (to_qa->out, "bearer token ********"));
  g_assert_null (strstr (to_qa->out, e2e->token));
  g_assert_null (strstr (to_qa->out, "\033["));
  assert_running (e2e, "dynamo-qa", "api-gateway", "1.4.0");

  /* Only the checklist and the approval are missing now: six reasons. */
  early = run_ctl (e2e, rita[0], rita[1], rita[2], rita[3],
                   "promote", "api-gateway", "1.4.0", "production", NULL);
  g_assert_cmpint (early->status, ==, 3);
  g_assert_cmpuint (count_lines (early->err), ==, 7);
  g_assert_cmpuint (count_lines_with (early->err, "“Security review completed” is not signed"),
                    ==, 1);

  board = run_ctl (e2e, rita[0], rita[1], rita[2], rita[3], "board", "api-gateway", NULL);
  g_assert_cmpint (board->status, ==, 0);
  g_assert_nonnull (strstr (board->out, "  Waiting:  1.4.0"));
  g_assert_nonnull (strstr (board->out, "    [ ] qa-tests-pass: All tests pass in the QA "
                                        "environment\n"));
  g_assert_nonnull (strstr (board->out, "    [ ] Security reviewer: no decision yet\n"));
  g_assert_nonnull (strstr (board->out, "  Gate:     closed for Rita:\n"));
  g_assert_cmpuint (count_lines_with (board->out, "    - "), ==, 6);

  for (guint i = 0; i < G_N_ELEMENTS (qa_items); i++) {
    g_autoptr(CtlResult) signed_item = run_ctl (e2e, "--as", "Quinn", "--role", "qa", "sign",
                                                "api-gateway", "1.4.0", qa_items[i],
                                                "--comment", "passes in QA", NULL);

    g_assert_cmpint (signed_item->status, ==, 0);
    g_assert_nonnull (strstr (signed_item->out, "as Quinn"));
  }

  /* QA may not sign the security review. */
  wrong_role = run_ctl (e2e, "--as", "Quinn", "--role", "qa",
                        "sign", "api-gateway", "1.4.0", "security-review", NULL);
  g_assert_cmpint (wrong_role->status, ==, 4);
  g_assert_nonnull (strstr (wrong_role->err, "Security reviewer"));

  {
    g_autoptr(CtlResult) security = run_ctl (e2e, "--as", "Sam", "--role", "security",
                                             "sign", "api-gateway", "1.4.0",
                                             "pre-production/security-review", NULL);

    g_assert_cmpint (security->status, ==, 0);
  }

  check_by_qa = run_ctl (e2e, "--as", "Quinn", "--role", "qa",
                         "check", "api-gateway", "1.4.0", "pre-deployment-verification", NULL);
  g_assert_cmpint (check_by_qa->status, ==, 4);

  check = run_ctl (e2e, rita[0], rita[1], rita[2], rita[3],
                   "check", "api-gateway", "1.4.0", "pre-deployment-verification", NULL);
  g_assert_cmpint (check->status, ==, 0);
  g_assert_nonnull (strstr (check->out, "[1/1] Pre-deployment verification script passes: "
                                        "succeeded"));

  reject = run_ctl (e2e, "--as", "Sam", "--role", "security",
                    "reject", "api-gateway", "1.4.0", NULL);
  g_assert_cmpint (reject->status, ==, 2);
  g_assert_nonnull (strstr (reject->err, "--comment"));

  approve_by_qa = run_ctl (e2e, "--as", "Quinn", "--role", "qa",
                           "approve", "api-gateway", "1.4.0", NULL);
  g_assert_cmpint (approve_by_qa->status, ==, 4);

  approve = run_ctl (e2e, "--as", "Sam", "--role", "security",
                     "approve", "api-gateway", "1.4.0", "--comment", "reviewed", NULL);
  g_assert_cmpint (approve->status, ==, 0);
  g_assert_nonnull (strstr (approve->out, "Approved api-gateway 1.4.0 for production as Sam"));

  to_production = run_ctl (e2e, rita[0], rita[1], rita[2], rita[3],
                           "promote", "api-gateway", "1.4.0", "production", NULL);
  g_assert_cmpint (to_production->status, ==, 0);
  g_assert_nonnull (strstr (to_production->out, "Deploy API Gateway 1.4.0 to Production"));
  assert_running (e2e, "dynamo-prod", "api-gateway", "1.4.0");

  overview = run_ctl (e2e, "board", NULL);
  g_assert_cmpint (overview->status, ==, 0);
  g_assert_true (g_str_has_prefix (overview->out, "SERVICE"));
  g_assert_nonnull (strstr (overview->out, "DEVELOPMENT"));
  g_assert_cmpuint (count_lines (overview->out), ==, 7);
  row = g_regex_split_simple ("\\s+", strstr (overview->out, "\napi-gateway ") + 1, 0, 0);
  g_assert_cmpstr (row[0], ==, "api-gateway");
  g_assert_cmpstr (row[1], ==, "1.4.0");
  g_assert_cmpstr (row[2], ==, "1.4.0");
  g_assert_cmpstr (row[3], ==, "1.4.0");
  g_assert_cmpstr (row[4], ==, "auth-service");

  unknown_service = run_ctl (e2e, "approve", "billing", "1.0.0", NULL);
  g_assert_cmpint (unknown_service->status, ==, 5);
  unknown_environment = run_ctl (e2e, rita[0], rita[1], rita[2], rita[3],
                                 "verify", "api-gateway", "staging", NULL);
  g_assert_cmpint (unknown_environment->status, ==, 5);
  unknown_item = run_ctl (e2e, "--as", "Quinn", "--role", "qa",
                          "sign", "api-gateway", "1.4.0", "load-tests", NULL);
  g_assert_cmpint (unknown_item->status, ==, 5);
  g_assert_nonnull (strstr (unknown_item->err, "pre-production/qa-tests-pass"));
}

/* A promotion does not ship what the clone contains under the promoted version's name. */
static void
test_clone_version (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(CtlResult) mismatch = NULL;
  g_autofree char *calls_before = NULL;
  g_autofree char *calls_after = NULL;
  guint n_runs;

  dr_e2e_deploy_through (e2e, "api-gateway", "1.5.0", "development");
  dr_e2e_set_version (e2e, "api-gateway", "1.6.0");
  n_runs = count_runs (e2e, NULL);
  calls_before = dr_e2e_read_calls (e2e);

  mismatch = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                      "promote", "api-gateway", "1.5.0", "qa", "--log", NULL);
  g_assert_cmpint (mismatch->status, ==, 2);
  g_assert_cmpstr (mismatch->out, ==, "");
  g_assert_nonnull (strstr (mismatch->err, "is at version 1.6.0 (from package.json), but the "
                                           "run is for build 1.5.0"));
  g_assert_cmpuint (count_runs (e2e, NULL), ==, n_runs);
  calls_after = dr_e2e_read_calls (e2e);
  g_assert_cmpstr (calls_after, ==, calls_before);
}

/* Runs dynamoctl with the fixture's workspace and store but no --clones, in `directory`. */
static CtlResult *
run_ctl_without_clones (DrE2e              *e2e,
                        const char         *directory,
                        const char * const *arguments)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, dynamoctl_path ());
  g_ptr_array_add (argv, g_strdup_printf ("--workspace=%s",
                                          dr_workspace_get_path (e2e->workspace)));
  g_ptr_array_add (argv, g_strdup_printf ("--store=%s", e2e->store_path));
  for (guint i = 0; arguments[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (arguments[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, directory);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  return finish_ctl (process);
}

/* The clones folder is checked before a build is recorded, and a relative one is made
 * absolute. */
static void
test_clones_folder (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autofree char *missing = g_build_filename (e2e->root, "nope", NULL);
  g_autofree char *missing_option = g_strdup_printf ("--clones=%s", missing);
  g_autofree char *file_option = g_strdup_printf ("--clones=%s", e2e->store_path);
  g_autofree char *expected = NULL;
  g_autoptr(CtlResult) unset = NULL;
  g_autoptr(CtlResult) absent = NULL;
  g_autoptr(CtlResult) not_folder = NULL;
  g_autoptr(CtlResult) promote_absent = NULL;
  g_autoptr(CtlResult) relative = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GError) error = NULL;

  unset = run_ctl_without_clones (e2e, e2e->root, (const char *[]) {
    "--as", "Rita", "--role", "release-manager", "new-build", "forms-service", "1.0.0", NULL });
  g_assert_cmpint (unset->status, ==, 2);
  g_assert_nonnull (strstr (unset->err, "The folder of service clones is not set"));
  g_assert_cmpstr (unset->out, ==, "");

  absent = run_ctl_without_clones (e2e, e2e->root, (const char *[]) {
    missing_option, "--as", "Rita", "--role", "release-manager",
    "new-build", "forms-service", "1.0.0", NULL });
  g_assert_cmpint (absent->status, ==, 2);
  g_assert_nonnull (strstr (absent->err, missing));
  g_assert_nonnull (strstr (absent->err, "does not exist"));

  not_folder = run_ctl_without_clones (e2e, e2e->root, (const char *[]) {
    file_option, "--as", "Rita", "--role", "release-manager",
    "new-build", "forms-service", "1.0.0", NULL });
  g_assert_cmpint (not_folder->status, ==, 2);
  g_assert_nonnull (strstr (not_folder->err, "is not a folder"));

  /* Nothing was recorded, so a retry with the right folder can record the build. */
  build = dr_store_find_build (e2e->store, "forms-service", "1.0.0", &error);
  g_assert_no_error (error);
  g_assert_null (build);
  g_assert_cmpuint (count_runs (e2e, NULL), ==, 0);

  promote_absent = run_ctl_without_clones (e2e, e2e->root, (const char *[]) {
    missing_option, "--as", "Rita", "--role", "release-manager",
    "promote", "forms-service", "1.0.0", "development", NULL });
  g_assert_cmpint (promote_absent->status, ==, 2);
  g_assert_nonnull (strstr (promote_absent->err, "does not exist"));

  /* A relative folder works from the folder it was given in, and the suggested commands
   * name it absolutely. */
  dr_e2e_set_version (e2e, "forms-service", "1.0.0");
  dr_e2e_fail (e2e, "verify", TRUE);
  relative = run_ctl_without_clones (e2e, e2e->root, (const char *[]) {
    "--clones", "clones", "--as", "Rita", "--role", "release-manager",
    "new-build", "forms-service", "1.0.0", NULL });
  dr_e2e_fail (e2e, "verify", FALSE);
  g_assert_cmpint (relative->status, ==, 1);
  g_assert_nonnull (strstr (relative->out, "Recorded build 1.0.0 of forms-service"));
  expected = g_strdup_printf (" --clones=%s ", e2e->clones);
  g_assert_nonnull (strstr (relative->out, expected));
}

/* `sign` reports a sign-off only when it recorded one. */
static void
test_sign_once (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(CtlResult) first = NULL;
  g_autoptr(CtlResult) second = NULL;
  g_autoptr(CtlResult) audit = NULL;
  g_autoptr(CtlResult) by_hand = NULL;
  g_autoptr(CtlResult) unsigned_revoke = NULL;
  g_autoptr(CtlResult) revoked = NULL;
  g_autoptr(CtlResult) signed_again = NULL;

  dr_e2e_deploy_through (e2e, "api-gateway", "1.5.0", "qa");

  first = run_ctl (e2e, "--as", "Quinn", "--role", "qa",
                   "sign", "api-gateway", "1.5.0", "qa-tests-pass", NULL);
  g_assert_cmpint (first->status, ==, 0);

  second = run_ctl (e2e, "--as", "Eve", "--role", "qa",
                    "sign", "api-gateway", "1.5.0", "qa-tests-pass", NULL);
  g_assert_cmpint (second->status, ==, 9);
  g_assert_cmpstr (second->out, ==, "");
  g_assert_nonnull (strstr (second->err, "already signed for api-gateway 1.5.0: Quinn signed it"));
  audit = run_ctl (e2e, "audit", NULL);
  g_assert_cmpuint (count_lines_with (audit->out, " signed "), ==, 1);
  g_assert_cmpuint (count_lines_with (audit->out, "Eve"), ==, 0);

  by_hand = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                     "sign", "api-gateway", "1.5.0", "pre-deployment-verification", NULL);
  g_assert_cmpint (by_hand->status, ==, 4);
  g_assert_nonnull (strstr (by_hand->err, "dynamoctl check api-gateway 1.5.0 "
                                          "pre-deployment-verification"));

  unsigned_revoke = run_ctl (e2e, "--as", "Quinn", "--role", "qa",
                             "revoke", "api-gateway", "1.5.0", "performance-tests", NULL);
  g_assert_cmpint (unsigned_revoke->status, ==, 5);
  g_assert_cmpstr (unsigned_revoke->out, ==, "");

  /* After a revocation the item can be signed again. */
  revoked = run_ctl (e2e, "--as", "Quinn", "--role", "qa",
                     "revoke", "api-gateway", "1.5.0", "qa-tests-pass", NULL);
  g_assert_cmpint (revoked->status, ==, 0);
  signed_again = run_ctl (e2e, "--as", "Eve", "--role", "qa",
                          "sign", "api-gateway", "1.5.0", "qa-tests-pass", NULL);
  g_assert_cmpint (signed_again->status, ==, 0);
  g_assert_nonnull (strstr (signed_again->out, "as Eve"));
}

/* A build records where its version came from: package.json when dynamoctl read it, manual
 * when it was typed. */
static void
test_build_source (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(CtlResult) derived = NULL;
  g_autoptr(CtlResult) typed = NULL;
  g_autoptr(CtlResult) audit = NULL;
  g_autoptr(DrBuild) derived_build = NULL;
  g_autoptr(DrBuild) typed_build = NULL;
  g_autoptr(GError) error = NULL;

  dr_e2e_set_version (e2e, "forms-service", "1.3.0");
  derived = run_ctl (e2e, "--as", "Rita", "record", "forms-service", NULL);
  g_assert_cmpint (derived->status, ==, 0);
  typed = run_ctl (e2e, "--as", "Rita", "record", "forms-service", "1.3.1", NULL);
  g_assert_cmpint (typed->status, ==, 0);

  derived_build = dr_store_find_build (e2e->store, "forms-service", "1.3.0", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (derived_build->source, ==, "package.json");
  typed_build = dr_store_find_build (e2e->store, "forms-service", "1.3.1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (typed_build->source, ==, "manual");

  audit = run_ctl (e2e, "audit", NULL);
  g_assert_cmpuint (count_lines_with (audit->out, "\"source\":\"package.json\""), ==, 1);
  g_assert_cmpuint (count_lines_with (audit->out, "\"source\":\"manual\""), ==, 1);
}

/* The security reviewer who approved a build may not also promote it. */
static void
test_four_eyes (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) check = NULL;
  g_autoptr(CtlResult) self_approve = NULL;
  g_autoptr(CtlResult) refused = NULL;
  g_autoptr(CtlResult) withdraw = NULL;
  g_autoptr(CtlResult) approve = NULL;
  g_autoptr(CtlResult) promoted = NULL;
  const char *qa_items[] = { "qa-tests-pass", "functionality-verified", "performance-tests" };

  dr_e2e_deploy_through (e2e, "auth-service", "2.0.0", "qa");
  dr_e2e_set_identity (e2e, "Quinn", "qa", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (qa_items); i++) {
    dr_e2e_sign (e2e, "auth-service", "2.0.0", qa_items[i], FALSE, &error);
    g_assert_no_error (error);
  }
  dr_e2e_set_identity (e2e, "Sam", "security", NULL);
  dr_e2e_sign (e2e, "auth-service", "2.0.0", "security-review", FALSE, &error);
  g_assert_no_error (error);
  dr_e2e_set_identity (e2e, "Rita", "release-manager", NULL);
  check = dr_e2e_check_item (e2e, "auth-service", "2.0.0", "pre-deployment-verification",
                             &error);
  g_assert_no_error (error);
  g_assert_cmpint (dr_run_get_state (check), ==, DR_RUN_STATE_SUCCEEDED);

  self_approve = run_ctl (e2e, "--as", "Rita", "--role", "release-manager", "--role", "security",
                          "approve", "auth-service", "2.0.0", "production", NULL);
  g_assert_cmpint (self_approve->status, ==, 0);

  refused = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                     "promote", "auth-service", "2.0.0", "production", NULL);
  g_assert_cmpint (refused->status, ==, 3);
  g_assert_cmpuint (count_lines (refused->err), ==, 2);
  g_assert_nonnull (strstr (refused->err, "Rita approved 2.0.0"));
  g_assert_nonnull (strstr (refused->err, "may not also promote it"));

  /* Rita withdraws; Sam approves; now Rita may promote. */
  withdraw = run_ctl (e2e, "--as", "Rita", "--role", "security",
                      "withdraw", "auth-service", "2.0.0", NULL);
  g_assert_cmpint (withdraw->status, ==, 0);
  approve = run_ctl (e2e, "--as", "Sam", "--role", "security",
                     "approve", "auth-service", "2.0.0", NULL);
  g_assert_cmpint (approve->status, ==, 0);
  promoted = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                      "promote", "auth-service", "2.0.0", "production", NULL);
  g_assert_cmpint (promoted->status, ==, 0);
  assert_running (e2e, "dynamo-prod", "auth-service", "2.0.0");
}

/* Names are checked before anything is recorded, and recorded normalised. */
static void
test_names (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(CtlResult) blank = NULL;
  g_autoptr(CtlResult) forged = NULL;
  g_autoptr(CtlResult) spaced = NULL;
  g_autoptr(CtlResult) board = NULL;
  g_autoptr(CtlResult) audit = NULL;
  g_autoptr(GError) error = NULL;

  blank = run_ctl (e2e, "--as", "   ", "record", "forms-service", "1.0.0", NULL);
  g_assert_cmpint (blank->status, ==, 2);
  g_assert_nonnull (strstr (blank->err, "empty"));

  forged = run_ctl (e2e, "--as", "Eve\033[31mRED\033[0m\n67   2026-12-04 17:05:00 Sam  approved",
                    "record", "forms-service", "1.0.0", NULL);
  g_assert_cmpint (forged->status, ==, 2);
  g_assert_nonnull (strstr (forged->err, "U+001B"));
  g_assert_null (strchr (forged->err, '\033'));
  g_assert_cmpuint (count_lines (forged->err), ==, 1);
  g_assert_cmpuint (count_runs (e2e, NULL), ==, 0);

  spaced = run_ctl (e2e, "--as", "  Rita  Release ", "record", "forms-service", "1.0.0", NULL);
  g_assert_cmpint (spaced->status, ==, 0);
  board = run_ctl (e2e, "board", "forms-service", NULL);
  g_assert_nonnull (strstr (board->out, "  Waiting:  1.0.0, recorded by Rita Release\n"));

  /* A name stored by an older version, with a line break and colour codes, is listed on one
   * line with the codes escaped. */
  g_assert_true (dr_store_audit (e2e->store, "Eve\033[31m\n67 Sam approved", "signed",
                                 "forms-service", "1.0.0", NULL, NULL, &error));
  g_assert_no_error (error);

  audit = run_ctl (e2e, "audit", NULL);
  g_assert_cmpint (audit->status, ==, 0);
  g_assert_cmpuint (count_lines (audit->out), ==, 3);
  g_assert_nonnull (strstr (audit->out, " Rita Release "));
  g_assert_nonnull (strstr (audit->out, "Eve\\u001B[31m\\u000A67 Sam approved"));
  g_assert_null (strchr (audit->out, '\033'));
}

/* The cluster runs another build than the board records in Production, and QA has moved on.
 * Redeploy deploys the recorded build there again through Production's gate. */
static void
test_redeploy (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(CtlResult) help = NULL;
  g_autoptr(CtlResult) nothing = NULL;
  g_autoptr(CtlResult) not_allowed = NULL;
  g_autoptr(CtlResult) moved_on = NULL;
  g_autoptr(CtlResult) redeploy = NULL;
  g_autoptr(CtlResult) missing = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autofree char *revisions = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *drifted = NULL;
  g_autoptr(GError) error = NULL;
  const DrDeployment *current;
  guint n_runs;

  help = run_ctl (e2e, "help", "redeploy", NULL);
  g_assert_cmpint (help->status, ==, 0);
  g_assert_nonnull (strstr (help->out, "redeploy SERVICE ENVIRONMENT"));
  g_assert_nonnull (strstr (help->out, "then the verify pipeline"));

  missing = run_ctl (e2e, "redeploy", "tasks-service", NULL);
  g_assert_cmpint (missing->status, ==, 2);
  g_assert_nonnull (strstr (missing->err, "SERVICE ENVIRONMENT"));

  dr_e2e_deploy_through (e2e, "tasks-service", "3.1.0", "production");
  dr_e2e_deploy_through (e2e, "tasks-service", "3.2.0", "qa");

  /* Someone set another image in Production by hand. */
  revisions = g_build_filename (e2e->state, "clusters", "dynamo-prod", "dynamo",
                                "tasks-service.revisions", NULL);
  g_file_get_contents (revisions, &contents, NULL, &error);
  g_assert_no_error (error);
  drifted = g_strconcat (contents, "3.0.9\n", NULL);
  g_file_set_contents (revisions, drifted, -1, &error);
  g_assert_no_error (error);
  assert_running (e2e, "dynamo-prod", "tasks-service", "3.0.9");

  n_runs = count_runs (e2e, "tasks-service");
  nothing = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                     "redeploy", "auth-service", "qa", NULL);
  g_assert_cmpint (nothing->status, ==, 3);
  g_assert_true (g_str_has_prefix (nothing->err,
                                   "dynamoctl: Auth Service cannot be redeployed in QA:\n"));
  g_assert_nonnull (strstr (nothing->err, "nothing to redeploy"));
  g_assert_cmpstr (nothing->out, ==, "");

  not_allowed = run_ctl (e2e, "--as", "Quinn", "--role", "qa",
                         "redeploy", "tasks-service", "production", NULL);
  g_assert_cmpint (not_allowed->status, ==, 3);
  g_assert_nonnull (strstr (not_allowed->err, "Only a person with the role Release manager"));
  g_assert_cmpuint (count_runs (e2e, "tasks-service"), ==, n_runs);
  assert_running (e2e, "dynamo-prod", "tasks-service", "3.0.9");

  /* The clone contains 3.2.0 since the promotion to QA, so it must be checked out at 3.1.0. */
  moved_on = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                      "redeploy", "tasks-service", "production", NULL);
  g_assert_cmpint (moved_on->status, ==, 2);
  g_assert_nonnull (strstr (moved_on->err, "is at version 3.2.0 (from package.json)"));
  g_assert_cmpuint (count_runs (e2e, "tasks-service"), ==, n_runs);

  dr_e2e_set_version (e2e, "tasks-service", "3.1.0");
  redeploy = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                      "redeploy", "tasks-service", "production", NULL);
  g_assert_cmpint (redeploy->status, ==, 0);
  g_assert_nonnull (strstr (redeploy->out, ": Deploy Tasks Service 3.1.0 to Production\n"));
  g_assert_nonnull (strstr (redeploy->out, "[5/5] Verify the deployment: succeeded in "));
  g_assert_cmpstr (redeploy->err, ==, "");
  g_assert_cmpuint (count_runs (e2e, "tasks-service"), ==, n_runs + 1);
  assert_running (e2e, "dynamo-prod", "tasks-service", "3.1.0");
  assert_running (e2e, "dynamo-qa", "tasks-service", "3.2.0");

  snapshot = dr_e2e_snapshot (e2e, "tasks-service");
  current = dr_service_snapshot_get_current (snapshot, "production");
  g_assert_cmpstr (current->version, ==, "3.1.0");
  g_assert_cmpstr (current->person, ==, "Rita");
  g_assert_true (current->verified);
}

static void
test_rollback (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(CtlResult) unconfirmed = NULL;
  g_autoptr(CtlResult) not_allowed = NULL;
  g_autoptr(CtlResult) rollback = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;

  dr_e2e_deploy_through (e2e, "tasks-service", "3.1.0", "production");
  dr_e2e_deploy_through (e2e, "tasks-service", "3.2.0", "production");
  assert_running (e2e, "dynamo-prod", "tasks-service", "3.2.0");

  /* Without a terminal to confirm on, nothing runs unless --yes confirms. */
  unconfirmed = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                         "rollback", "tasks-service", "production", NULL);
  g_assert_cmpint (unconfirmed->status, ==, 2);
  g_assert_nonnull (strstr (unconfirmed->out, "3.2.0"));
  g_assert_nonnull (strstr (unconfirmed->out, "3.1.0 is current again"));
  g_assert_nonnull (strstr (unconfirmed->out,
                            "  kubectl rollout undo deployment/tasks-service\n"));
  g_assert_nonnull (strstr (unconfirmed->err, "--yes"));
  assert_running (e2e, "dynamo-prod", "tasks-service", "3.2.0");

  not_allowed = run_ctl (e2e, "--as", "Quinn", "--role", "qa",
                         "rollback", "--yes", "tasks-service", "production", NULL);
  g_assert_cmpint (not_allowed->status, ==, 4);
  assert_running (e2e, "dynamo-prod", "tasks-service", "3.2.0");

  rollback = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                      "rollback", "--yes", "tasks-service", "production", NULL);
  g_assert_cmpint (rollback->status, ==, 0);
  g_assert_nonnull (strstr (rollback->out, "Roll back Tasks Service 3.2.0 in Production"));
  g_assert_nonnull (strstr (rollback->out, "[2/2] Verify the service health: succeeded"));
  assert_running (e2e, "dynamo-prod", "tasks-service", "3.1.0");

  snapshot = dr_e2e_snapshot (e2e, "tasks-service");
  g_assert_cmpstr (dr_service_snapshot_get_current (snapshot, "production")->version, ==,
                   "3.1.0");
}

/* Following the rollback hint after a deploy that failed before `kubectl apply` leaves the
 * build before it running. */
static void
test_rollback_before_cluster (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(CtlResult) failed = NULL;
  g_autoptr(CtlResult) plan = NULL;
  g_autoptr(CtlResult) rollback = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autofree char *calls = NULL;

  dr_e2e_deploy_through (e2e, "auth-service", "1.0.0", "development");
  dr_e2e_deploy_through (e2e, "auth-service", "1.0.1", "development");

  dr_e2e_set_version (e2e, "auth-service", "1.1.0");
  dr_e2e_fail (e2e, "build", TRUE);
  failed = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                    "new-build", "auth-service", "1.1.0", NULL);
  dr_e2e_fail (e2e, "build", FALSE);
  g_assert_cmpint (failed->status, ==, 1);
  g_assert_nonnull (strstr (failed->out, "To roll back, run: "));

  plan = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                  "rollback", "auth-service", "development", NULL);
  g_assert_cmpint (plan->status, ==, 2);
  g_assert_nonnull (strstr (plan->out, "stopped before it changed the cluster"));
  g_assert_nonnull (strstr (plan->out, "1.0.1 stays current"));
  g_assert_nonnull (strstr (plan->out,
                            "\n  node scripts/verify-service-health.js --service=auth-service\n"));
  g_assert_null (strstr (plan->out, "  kubectl rollout undo"));

  rollback = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                      "rollback", "--yes", "auth-service", "development", NULL);
  g_assert_cmpint (rollback->status, ==, 0);
  g_assert_nonnull (strstr (rollback->out, "[1/2] Roll back the deployment: skipped. The deploy "
                                           "of Auth Service 1.1.0 stopped"));
  g_assert_nonnull (strstr (rollback->out, "[2/2] Verify the service health: succeeded"));

  calls = dr_e2e_read_calls (e2e);
  g_assert_null (strstr (calls, "rollout undo"));
  assert_running (e2e, "dynamo-dev", "auth-service", "1.0.1");
  snapshot = dr_e2e_snapshot (e2e, "auth-service");
  g_assert_cmpstr (dr_service_snapshot_get_current (snapshot, "development")->version, ==,
                   "1.0.1");
  g_assert_cmpint (dr_service_snapshot_find_deployment (snapshot, "1.1.0", "development")->state,
                   ==, DR_DEPLOYMENT_ROLLED_BACK);
}

/* On a terminal, rollback requests a confirmation first, and output keeps its colours. */
static void
test_terminal (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  const char *rollback[] = { "--as", "Rita", "--role", "release-manager",
                             "rollback", "tasks-service", "development", NULL };
  const char *log[] = { "log", NULL, NULL };
  g_autoptr(CtlResult) declined = NULL;
  g_autoptr(CtlResult) accepted = NULL;
  g_autoptr(CtlResult) printed = NULL;
  g_autofree char *run_id = NULL;

  dr_e2e_deploy_through (e2e, "tasks-service", "3.1.0", "development");
  dr_e2e_deploy_through (e2e, "tasks-service", "3.2.0", "development");

  declined = run_ctl_on_terminal (e2e, "n\n", rollback);
  g_assert_cmpint (declined->status, ==, 1);
  g_assert_nonnull (strstr (declined->out, "Roll back tasks-service in development? [y/N]"));
  g_assert_nonnull (strstr (declined->out, "Nothing was rolled back."));
  assert_running (e2e, "dynamo-dev", "tasks-service", "3.2.0");

  /* The steps' output shows by default on a terminal, in colour. */
  accepted = run_ctl_on_terminal (e2e, "y\n", rollback);
  g_assert_cmpint (accepted->status, ==, 0);
  g_assert_nonnull (strstr (accepted->out, "    \033[32mhealthy\033[0m tasks-service runs "
                                           "3.1.0\r\n"));
  g_assert_nonnull (strstr (accepted->out, "[2/2] Verify the service health: succeeded"));
  assert_running (e2e, "dynamo-dev", "tasks-service", "3.1.0");

  run_id = g_strdup_printf ("%" G_GINT64_FORMAT, parse_run_id (accepted->out));
  log[1] = run_id;
  printed = run_ctl_on_terminal (e2e, NULL, log);
  g_assert_cmpint (printed->status, ==, 0);
  g_assert_nonnull (strstr (printed->out, "\r\n\033[32mhealthy\033[0m tasks-service runs "
                                          "3.1.0\r\n"));
}

/* A failed deploy ends with exit status 1 and the rollback command to type. */
static void
test_failed_deploy (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(CtlResult) recorded = NULL;
  g_autoptr(CtlResult) board = NULL;
  g_autoptr(CtlResult) failed = NULL;
  g_autofree char *expected = NULL;

  dr_e2e_deploy_through (e2e, "notifications-service", "1.0.0", "development");
  dr_e2e_set_version (e2e, "notifications-service", "1.1.0");
  recorded = run_ctl (e2e, "--as", "Rita", "record", "notifications-service", "1.1.0",
                      "--commit", "4f2a9c1", NULL);
  g_assert_cmpint (recorded->status, ==, 0);
  board = run_ctl (e2e, "board", "notifications-service", NULL);
  g_assert_nonnull (strstr (board->out,
                            "  Waiting:  1.1.0 from commit 4f2a9c1, recorded by Rita\n"));

  dr_e2e_fail (e2e, "verify", TRUE);
  failed = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                    "promote", "notifications-service", "1.1.0", "development", NULL);
  dr_e2e_fail (e2e, "verify", FALSE);

  g_assert_cmpint (failed->status, ==, 1);
  g_assert_nonnull (strstr (failed->out, "[5/5] Verify the deployment: failed after "));
  g_assert_true (g_str_has_prefix (failed->err, "dynamoctl: Run "));
  g_assert_nonnull (strstr (failed->err, "Step “Verify the deployment” failed"));
  expected = g_strdup_printf ("To roll back, run: dynamoctl --workspace=%s --store=%s "
                              "--clones=%s --as=Rita --role=release-manager rollback "
                              "notifications-service development\n",
                              dr_workspace_get_path (e2e->workspace), e2e->store_path,
                              e2e->clones);
  g_assert_cmpuint (count_lines (failed->err), ==, 1);
  g_assert_nonnull (strstr (failed->out, expected));
  g_assert_nonnull (strstr (failed->out, "To read the log, run: dynamoctl "));
}

static char *
plain_workspace_path (void)
{
  return g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "e2e", "plain.yaml", NULL);
}

/* A pipeline without rollback steps gets no rollback suggestion, which would only run nothing. */
static void
test_failed_deploy_without_rollback (void)
{
  g_autofree char *workspace = plain_workspace_path ();
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(CtlResult) recorded = NULL;
  g_autoptr(CtlResult) failed = NULL;

  recorded = run_ctl (e2e, "--as", "Rita", "record", "plain", "1.0.0", NULL);
  g_assert_cmpint (recorded->status, ==, 0);

  dr_e2e_fail (e2e, "deploy", TRUE);
  failed = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                    "promote", "plain", "1.0.0", "development", NULL);
  dr_e2e_fail (e2e, "deploy", FALSE);

  g_assert_cmpint (failed->status, ==, 1);
  g_assert_nonnull (strstr (failed->err, "Step “Deploy” failed"));
  g_assert_nonnull (strstr (failed->out, "To read the log, run: dynamoctl "));
  g_assert_null (strstr (failed->out, "To roll back"));
}

/* A pipeline without verify steps: a deploy is verified when it succeeds, so the build can go
 * on to QA, and `verify` reports that there is nothing to verify. */
static void
test_verify_without_steps (void)
{
  g_autofree char *workspace = plain_workspace_path ();
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(CtlResult) built = NULL;
  g_autoptr(CtlResult) verify = NULL;
  g_autoptr(CtlResult) to_qa = NULL;

  built = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                   "new-build", "plain", "1.0.0", NULL);
  g_assert_cmpint (built->status, ==, 0);

  verify = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                    "verify", "plain", "development", NULL);
  g_assert_cmpint (verify->status, ==, 5);
  g_assert_nonnull (strstr (verify->err, "has no verify steps, so there is nothing to verify"));
  g_assert_null (strstr (verify->err, "has no steps"));

  to_qa = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                   "promote", "plain", "1.0.0", "qa", NULL);
  g_assert_cmpint (to_qa->status, ==, 0);
  g_assert_nonnull (strstr (to_qa->out, "Deploy Plain Service 1.0.0 to QA"));
}

static void
test_runs_and_log (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(CtlResult) first = NULL;
  g_autoptr(CtlResult) verify = NULL;
  g_autoptr(CtlResult) runs = NULL;
  g_autoptr(CtlResult) newest = NULL;
  g_autoptr(CtlResult) log = NULL;
  g_autoptr(CtlResult) missing = NULL;
  g_autoptr(CtlResult) invalid = NULL;
  g_autoptr(CtlResult) none = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *verify_id = NULL;
  g_auto(GStrv) lines = NULL;

  none = run_ctl (e2e, "runs", NULL);
  g_assert_cmpint (none->status, ==, 0);
  g_assert_cmpstr (none->out, ==, "No runs are recorded.\n");

  dr_e2e_set_version (e2e, "forms-service", "1.2.0");
  first = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                   "new-build", "forms-service", "1.2.0", NULL);
  g_assert_cmpint (first->status, ==, 0);
  first_id = g_strdup_printf ("%" G_GINT64_FORMAT, parse_run_id (first->out));

  verify = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                    "verify", "forms-service", "development", NULL);
  g_assert_cmpint (verify->status, ==, 0);
  verify_id = g_strdup_printf ("%" G_GINT64_FORMAT, parse_run_id (verify->out));
  g_assert_cmpstr (first_id, !=, verify_id);

  /* Newest first, with the store's words for states and kinds. */
  runs = run_ctl (e2e, "runs", NULL);
  g_assert_cmpint (runs->status, ==, 0);
  g_assert_cmpstr (runs->err, ==, "");
  lines = g_strsplit (runs->out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_true (g_str_has_prefix (lines[0], "RUN"));
  g_assert_true (g_str_has_prefix (lines[1], verify_id));
  g_assert_nonnull (strstr (lines[1], "succeeded"));
  g_assert_nonnull (strstr (lines[1], "verify"));
  g_assert_nonnull (strstr (lines[1], "forms-service"));
  g_assert_nonnull (strstr (lines[1], "Rita"));
  g_assert_true (g_str_has_prefix (lines[2], first_id));
  g_assert_nonnull (strstr (lines[2], "deploy"));
  g_assert_nonnull (strstr (lines[2], "1.2.0"));

  newest = run_ctl (e2e, "runs", "forms-service", "--limit", "1", NULL);
  g_assert_cmpint (newest->status, ==, 0);
  g_assert_cmpuint (count_lines (newest->out), ==, 2);
  g_assert_nonnull (strstr (newest->out, "verify"));

  /* The deploy's log, colour codes removed because standard output is a pipe. */
  log = run_ctl (e2e, "log", first_id, NULL);
  g_assert_cmpint (log->status, ==, 0);
  g_assert_true (g_str_has_prefix (log->out, "Deploy Forms Service 1.2.0 to Development\n"));
  g_assert_nonnull (strstr (log->out, "bundling 100%"));
  g_assert_nonnull (strstr (log->out, "12 tests passed"));
  g_assert_nonnull (strstr (log->out, "OK forms-service 1.2.0 answers in development"));
  g_assert_null (strstr (log->out, "\033"));
  g_assert_null (strstr (log->out, "Verify Forms Service"));
  g_assert_cmpstr (log->err, ==, "");

  missing = run_ctl (e2e, "log", "999", NULL);
  g_assert_cmpint (missing->status, ==, 5);
  invalid = run_ctl (e2e, "log", "12;id", NULL);
  g_assert_cmpint (invalid->status, ==, 2);
}

static void
test_audit (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(CtlResult) listed = NULL;
  g_autoptr(CtlResult) newest = NULL;
  g_autoptr(CtlResult) verified = NULL;
  g_autoptr(CtlResult) tampered = NULL;
  sqlite3 *db = NULL;
  char *message = NULL;
  int result;

  dr_e2e_deploy_through (e2e, "projects-service", "0.3.0", "qa");

  listed = run_ctl (e2e, "audit", "--service", "projects-service", NULL);
  g_assert_cmpint (listed->status, ==, 0);
  g_assert_true (g_str_has_prefix (listed->out, "SEQ"));
  g_assert_cmpuint (count_lines_with (listed->out, "build-recorded"), ==, 1);
  g_assert_cmpuint (count_lines_with (listed->out, "promotion-started"), ==, 2);
  g_assert_cmpuint (count_lines_with (listed->out, "run-finished"), ==, 2);

  newest = run_ctl (e2e, "audit", "--limit", "1", NULL);
  g_assert_cmpint (newest->status, ==, 0);
  g_assert_cmpuint (count_lines (newest->out), ==, 2);
  g_assert_nonnull (strstr (newest->out, "run-finished"));

  verified = run_ctl (e2e, "audit", "--verify", NULL);
  g_assert_cmpint (verified->status, ==, 0);
  g_assert_nonnull (strstr (verified->out, "The audit record is intact"));

  /* Someone edits an event behind the app's back; the chain no longer verifies. */
  g_clear_object (&e2e->engine);
  g_clear_object (&e2e->store);
  result = sqlite3_open (e2e->store_path, &db);
  g_assert_cmpint (result, ==, SQLITE_OK);
  result = sqlite3_exec (db, "DROP TRIGGER IF EXISTS audit_no_update;"
                             "UPDATE audit SET person = 'Mallory' WHERE seq = 1;",
                         NULL, NULL, &message);
  g_assert_cmpstr (message, ==, NULL);
  g_assert_cmpint (result, ==, SQLITE_OK);
  sqlite3_close (db);

  tampered = run_ctl (e2e, "audit", "--verify", NULL);
  g_assert_cmpint (tampered->status, ==, 7);
  g_assert_nonnull (strstr (tampered->err, "audit"));
  g_assert_null (strstr (tampered->out, "intact"));
}

static void
test_invalid_version (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autofree char *marker = g_build_filename (e2e->root, "x", NULL);
  g_autofree char *version = g_strdup_printf ("1.0;touch %s", marker);
  g_autofree char *substitution = g_strdup_printf ("$(touch %s)", marker);
  g_autoptr(CtlResult) record = NULL;
  g_autoptr(CtlResult) promote = NULL;
  g_autoptr(CtlResult) sign = NULL;

  record = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                    "record", "auth-service", version, NULL);
  g_assert_cmpint (record->status, ==, 2);
  g_assert_true (g_str_has_prefix (record->err, "dynamoctl: Invalid version “"));
  g_assert_cmpuint (count_lines (record->err), ==, 1);

  promote = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                     "promote", "auth-service", substitution, "development", NULL);
  g_assert_cmpint (promote->status, ==, 2);

  sign = run_ctl (e2e, "--as", "Quinn", "--role", "qa",
                  "sign", "auth-service", version, "qa-tests-pass", NULL);
  g_assert_cmpint (sign->status, ==, 2);

  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_runs (e2e, NULL), ==, 0);
}

/* Runs of the slow workspace, whose deploy step runs until it is ended */

static char *
slow_workspace_path (void)
{
  return g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "e2e", "slow.yaml", NULL);
}

/* Waits, with the main context running, for the step to write its process id. */
static GPid
wait_for_step_pid (DrE2e *e2e)
{
  g_autofree char *path = g_build_filename (e2e->state, "step.pid", NULL);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  g_autofree char *text = NULL;

  while (!g_file_get_contents (path, &text, NULL, NULL) || strchr (text, '\n') == NULL) {
    g_clear_pointer (&text, g_free);
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_main_context_iteration (NULL, FALSE);
    g_usleep (20 * 1000);
  }

  return (GPid) g_ascii_strtoll (text, NULL, 10);
}

/* Waits, with the main context running, for a file of the step to hold a line. */
static char *
wait_for_step_file (DrE2e      *e2e,
                    const char *name)
{
  g_autofree char *path = g_build_filename (e2e->state, name, NULL);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  char *text = NULL;

  while (!g_file_get_contents (path, &text, NULL, NULL) || strchr (text, '\n') == NULL) {
    g_clear_pointer (&text, g_free);
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_main_context_iteration (NULL, FALSE);
    g_usleep (20 * 1000);
  }

  return g_strstrip (text);
}

/* Waits for an adopted process to end and reaps it, returning its wait status. The test is
 * the subreaper of its descendants, so the orphans of a killed dynamoctl are its children. */
static int
wait_for_adopted (GPid pid)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  int status = 0;

  while (waitpid (pid, &status, WNOHANG) != pid) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (20 * 1000);
  }

  return status;
}

static GPid
read_background_pid (DrE2e *e2e)
{
  g_autofree char *text = wait_for_step_file (e2e, "background.pid");

  return (GPid) g_ascii_strtoll (text, NULL, 10);
}

static GSubprocess *
start_slow_promote (DrE2e      *e2e,
                    const char *version)
{
  const char *record[] = { "--as", "Rita", "--role", "release-manager", "record", "slow",
                           version, NULL };
  const char *promote[] = { "--as", "Rita", "--role", "release-manager", "promote", "--log",
                            "slow", version, "development", NULL };
  g_autoptr(GSubprocess) recording = spawn_ctl_argv (e2e, record);
  g_autoptr(CtlResult) recorded = finish_ctl (recording);

  g_assert_cmpint (recorded->status, ==, 0);

  return spawn_ctl_argv (e2e, promote);
}

static void
test_interrupt_cancels_run (void)
{
  g_autofree char *workspace = slow_workspace_path ();
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(GSubprocess) promote = NULL;
  g_autoptr(CtlResult) ended = NULL;
  g_autoptr(CtlResult) log = NULL;
  g_autoptr(CtlResult) runs = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  GPid step_pid;
  GPid background_pid;

  promote = start_slow_promote (e2e, "1.0.0");
  step_pid = wait_for_step_pid (e2e);
  g_assert_cmpint (kill (step_pid, 0), ==, 0);

  /* Another process reads the log of the run in progress. */
  log = run_ctl (e2e, "log", "1", NULL);
  g_assert_cmpint (log->status, ==, 0);
  g_assert_nonnull (strstr (log->out, "started 1.0.0"));
  g_assert_nonnull (strstr (log->err, "still in progress in another process"));

  g_subprocess_send_signal (promote, SIGINT);
  ended = finish_ctl (promote);
  background_pid = read_background_pid (e2e);

  g_assert_cmpint (ended->status, ==, 1);
  g_assert_nonnull (strstr (ended->out, "Run 1: Deploy Slow Service 1.0.0 to Development\n"));
  g_assert_nonnull (strstr (ended->out, "    started 1.0.0\n"));
  g_assert_nonnull (strstr (ended->out, "[1/2] Start: cancelled after "));
  g_assert_nonnull (strstr (ended->out, "[2/2] Check: skipped\n"));
  g_assert_nonnull (strstr (ended->err, "Cancelling run 1"));
  g_assert_nonnull (strstr (ended->err, "dynamoctl: Run 1 was cancelled after "));

  /* The step's whole process group is gone. */
  g_assert_true (WIFSIGNALED (wait_for_adopted (background_pid)));
  g_assert_cmpint (kill (step_pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
  g_assert_cmpint (kill (-step_pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);

  runs = run_ctl (e2e, "runs", NULL);
  g_assert_cmpuint (count_lines_with (runs->out, "cancelled"), ==, 1);

  snapshot = dr_e2e_snapshot (e2e, "slow");
  g_assert_cmpuint (snapshot->active_runs->len, ==, 0);
}

/* A killed dynamoctl leaves nothing running: its step's leader ends with it, and the next
 * dynamoctl ends the rest, deletes the kubeconfig and marks the run interrupted. */
static void
test_crash_leaves_run_interrupted (void)
{
  g_autofree char *workspace = slow_workspace_path ();
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(GSubprocess) promote = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CtlResult) runs = NULL;
  g_autoptr(CtlResult) log = NULL;
  g_autoptr(CtlResult) verified = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *kubeconfig = NULL;
  GPid step_pid;
  GPid background_pid;
  int status;

  promote = start_slow_promote (e2e, "2.0.0");
  background_pid = read_background_pid (e2e);
  step_pid = wait_for_step_pid (e2e);
  kubeconfig = wait_for_step_file (e2e, "step.kubeconfig");
  g_assert_true (g_file_test (kubeconfig, G_FILE_TEST_EXISTS));
  dr_e2e_wait_for_log_text (e2e, "slow", "started 2.0.0");

  g_subprocess_force_exit (promote);
  g_subprocess_wait (promote, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_term_sig (promote), ==, SIGKILL);

  status = wait_for_adopted (step_pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGTERM);
  g_assert_cmpint (kill (background_pid, 0), ==, 0);

  runs = run_ctl (e2e, "runs", NULL);
  g_assert_cmpint (runs->status, ==, 0);
  g_assert_cmpstr (runs->err, ==, "");
  lines = g_strsplit (runs->out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (g_str_has_prefix (lines[1], "1 "));
  g_assert_nonnull (strstr (lines[1], "interrupted"));
  g_assert_nonnull (strstr (lines[1], "2.0.0"));

  /* That dynamoctl ended the background process and deleted the kubeconfig. */
  g_assert_cmpint (waitpid (background_pid, &status, WNOHANG), ==, background_pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (kill (background_pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
  g_assert_false (g_file_test (kubeconfig, G_FILE_TEST_EXISTS));

  /* What the step printed before the crash is in the log. */
  log = run_ctl (e2e, "log", "1", NULL);
  g_assert_cmpint (log->status, ==, 0);
  g_assert_nonnull (strstr (log->out, "started 2.0.0"));
  g_assert_null (strstr (log->err, "still in progress"));

  verified = run_ctl (e2e, "audit", "--verify", NULL);
  g_assert_cmpint (verified->status, ==, 0);
}

/* Following a run from another dynamoctl */

/* Reads a spawned dynamoctl's standard output, with the main context running, until it
 * contains `text`, and returns what was read. The rest stays in the pipe for finish_ctl(). */
static char *
read_output_until (GSubprocess *process,
                   const char  *text)
{
  GPollableInputStream *output = G_POLLABLE_INPUT_STREAM (g_subprocess_get_stdout_pipe (process));
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  g_autoptr(GString) read = g_string_new (NULL);

  while (strstr (read->str, text) == NULL) {
    g_autoptr(GError) error = NULL;
    char buffer[4096];
    gssize n_read;

    n_read = g_pollable_input_stream_read_nonblocking (output, buffer, sizeof buffer, NULL,
                                                       &error);
    if (n_read > 0) {
      g_string_append_len (read, buffer, n_read);
      continue;
    }

    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_assert_no_error (error);
      g_error ("dynamoctl closed its output before printing “%s”:\n%s", text, read->str);
    }

    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_main_context_iteration (NULL, FALSE);
    g_usleep (20 * 1000);
  }

  return g_string_free (g_steal_pointer (&read), FALSE);
}

static char *
paced_workspace_path (void)
{
  return g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "e2e", "paced.yaml", NULL);
}

static void
test_log_follow (void)
{
  g_autofree char *workspace = paced_workspace_path ();
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autofree char *go = g_build_filename (e2e->state, "go", NULL);
  const char *record[] = { "--as", "Rita", "--role", "release-manager", "record", "paced",
                           "1.0.0", NULL };
  const char *promote[] = { "--as", "Rita", "--role", "release-manager", "promote", "paced",
                            "1.0.0", "development", NULL };
  const char *follow[] = { "log", "--follow", "1", NULL };
  g_autoptr(GSubprocess) recording = NULL;
  g_autoptr(GSubprocess) promoting = NULL;
  g_autoptr(GSubprocess) following = NULL;
  g_autoptr(CtlResult) recorded = NULL;
  g_autoptr(CtlResult) promoted = NULL;
  g_autoptr(CtlResult) followed = NULL;
  g_autoptr(CtlResult) logged = NULL;
  g_autoptr(CtlResult) followed_again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first_part = NULL;
  g_autofree char *printed = NULL;

  recording = spawn_ctl_argv (e2e, record);
  recorded = finish_ctl (recording);
  g_assert_cmpint (recorded->status, ==, 0);

  promoting = spawn_ctl_argv (e2e, promote);
  dr_e2e_wait_for_log_text (e2e, "paced", "first 1.0.0");

  /* The step waits for the file "go", so the follower prints its first line alone. The step's
   * script, which the log shows before its output, names the later lines too. */
  following = spawn_ctl_argv (e2e, follow);
  first_part = read_output_until (following, "first 1.0.0\n");
  g_assert_null (strstr (first_part, "second 1.0.0"));

  g_file_set_contents (go, "", 0, &error);
  g_assert_no_error (error);

  followed = finish_ctl (following);
  promoted = finish_ctl (promoting);
  printed = g_strconcat (first_part, followed->out, NULL);

  g_assert_cmpint (promoted->status, ==, 0);
  g_assert_cmpint (followed->status, ==, 0);
  g_assert_nonnull (strstr (followed->err, "Run 1 is in progress in another process"));
  g_assert_nonnull (strstr (printed, "first 1.0.0\n"));
  g_assert_nonnull (strstr (printed, "second 1.0.0\n"));
  g_assert_nonnull (strstr (printed, "\ncopying 100%\n"));
  g_assert_nonnull (strstr (printed, "last 1.0.0\n"));
  g_assert_nonnull (strstr (printed, "The run succeeded."));
  g_assert_null (strstr (printed, "\ncopying 10%\n"));

  /* The follower printed every line once, as the whole log prints after the run. */
  logged = run_ctl (e2e, "log", "1", NULL);
  g_assert_cmpint (logged->status, ==, 0);
  g_assert_cmpstr (printed, ==, logged->out);

  /* A run that has ended prints its log and gives its outcome. */
  followed_again = run_ctl (e2e, "log", "-f", "1", NULL);
  g_assert_cmpint (followed_again->status, ==, 0);
  g_assert_cmpstr (followed_again->out, ==, logged->out);
  g_assert_cmpstr (followed_again->err, ==, "");
}

/* Ctrl+C ends the follower only. A follower that is still running exits with the run's
 * outcome. */
static void
test_log_follow_interrupt (void)
{
  g_autofree char *workspace = slow_workspace_path ();
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  const char *follow[] = { "log", "--follow", "1", NULL };
  g_autoptr(GSubprocess) promote = NULL;
  g_autoptr(GSubprocess) interrupted = NULL;
  g_autoptr(GSubprocess) following = NULL;
  g_autoptr(CtlResult) ended = NULL;
  g_autoptr(CtlResult) followed = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *interrupted_output = NULL;
  g_autofree char *first_part = NULL;
  g_autofree char *printed = NULL;
  GPid step_pid;
  GPid background_pid;

  promote = start_slow_promote (e2e, "1.0.0");
  step_pid = wait_for_step_pid (e2e);
  background_pid = read_background_pid (e2e);

  interrupted = spawn_ctl_argv (e2e, follow);
  interrupted_output = read_output_until (interrupted, "started 1.0.0\n");
  g_subprocess_send_signal (interrupted, SIGINT);
  g_subprocess_wait (interrupted, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (interrupted));
  g_assert_cmpint (g_subprocess_get_term_sig (interrupted), ==, SIGINT);

  /* The run goes on. */
  g_assert_cmpint (kill (step_pid, 0), ==, 0);
  snapshot = dr_e2e_snapshot (e2e, "slow");
  g_assert_cmpuint (snapshot->active_runs->len, ==, 1);

  following = spawn_ctl_argv (e2e, follow);
  first_part = read_output_until (following, "started 1.0.0\n");
  g_subprocess_send_signal (promote, SIGINT);
  ended = finish_ctl (promote);
  followed = finish_ctl (following);
  printed = g_strconcat (first_part, followed->out, NULL);

  g_assert_cmpint (ended->status, ==, 1);
  g_assert_cmpint (followed->status, ==, 1);
  g_assert_nonnull (strstr (printed, "started 1.0.0\n"));
  g_assert_nonnull (strstr (printed, "The run was cancelled."));
  g_assert_true (WIFSIGNALED (wait_for_adopted (background_pid)));
}

/* A follower whose run's process was killed marks the run interrupted, as every dynamoctl
 * does, and exits with that outcome. */
static void
test_log_follow_crash (void)
{
  g_autofree char *workspace = slow_workspace_path ();
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  const char *follow[] = { "log", "--follow", "1", NULL };
  g_autoptr(GSubprocess) promote = NULL;
  g_autoptr(GSubprocess) following = NULL;
  g_autoptr(CtlResult) followed = NULL;
  g_autoptr(CtlResult) runs = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first_part = NULL;
  g_autofree char *printed = NULL;
  GPid step_pid;
  GPid background_pid;

  promote = start_slow_promote (e2e, "2.0.0");
  step_pid = wait_for_step_pid (e2e);
  background_pid = read_background_pid (e2e);

  following = spawn_ctl_argv (e2e, follow);
  first_part = read_output_until (following, "started 2.0.0\n");

  g_subprocess_force_exit (promote);
  g_subprocess_wait (promote, NULL, &error);
  g_assert_no_error (error);

  followed = finish_ctl (following);
  printed = g_strconcat (first_part, followed->out, NULL);

  g_assert_cmpint (followed->status, ==, 1);
  g_assert_nonnull (strstr (printed, "started 2.0.0\n"));
  g_assert_true (WIFSIGNALED (wait_for_adopted (step_pid)));
  g_assert_true (WIFSIGNALED (wait_for_adopted (background_pid)));

  runs = run_ctl (e2e, "runs", NULL);
  g_assert_cmpuint (count_lines_with (runs->out, "interrupted"), ==, 1);
}

/* A closed terminal or a dropped SSH session sends SIGHUP, which cancels the run as Ctrl+C
 * does. */
static void
test_hangup_cancels_run (void)
{
  g_autofree char *workspace = slow_workspace_path ();
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(GSubprocess) promote = NULL;
  g_autoptr(CtlResult) ended = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  GPid step_pid;
  GPid background_pid;

  promote = start_slow_promote (e2e, "3.0.0");
  background_pid = read_background_pid (e2e);
  step_pid = wait_for_step_pid (e2e);

  g_subprocess_send_signal (promote, SIGHUP);
  ended = finish_ctl (promote);

  g_assert_cmpint (ended->status, ==, 1);
  g_assert_nonnull (strstr (ended->err, "Cancelling run 1"));
  g_assert_nonnull (strstr (ended->err, "dynamoctl: Run 1 was cancelled after "));

  /* The whole process group got SIGTERM. */
  g_assert_true (WIFSIGNALED (wait_for_adopted (background_pid)));
  g_assert_cmpint (kill (step_pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
  g_assert_cmpint (kill (-step_pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);

  snapshot = dr_e2e_snapshot (e2e, "slow");
  g_assert_cmpuint (snapshot->active_runs->len, ==, 0);
}

/* Clusters */

typedef struct
{
  SoupServer *server;
  char       *url;
  char       *token;
  guint       n_requests;
} ApiServer;

static void
version_cb (SoupServer        *server,
            SoupServerMessage *message,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  ApiServer *api = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  g_autofree char *expected = g_strdup_printf ("Bearer %s", api->token);
  const char *body;

  api->n_requests++;

  if (g_strcmp0 (authorization, expected) != 0) {
    body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
           "\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}";
    soup_server_message_set_status (message, SOUP_STATUS_UNAUTHORIZED, NULL);
  } else {
    body = "{\"major\":\"1\",\"minor\":\"29\",\"gitVersion\":\"v1.29.2\"}";
    soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  }

  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_STATIC, body,
                                    strlen (body));
}

static ApiServer *
api_server_new (const char *token)
{
  ApiServer *api = g_new0 (ApiServer, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  api->token = g_strdup (token);
  api->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (api->server, "/version", version_cb, api, NULL);
  soup_server_listen_local (api->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (api->server);
  g_assert_nonnull (uris);
  api->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return api;
}

static void
api_server_free (ApiServer *api)
{
  soup_server_disconnect (api->server);
  g_object_unref (api->server);
  g_free (api->url);
  g_free (api->token);
  g_free (api);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ApiServer, api_server_free)

static void
write_file (const char *path,
            const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
test_clusters (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, FALSE);
  g_autoptr(ApiServer) api = api_server_new ("qa-token-7f3a9");
  g_autofree char *token_path = g_build_filename (e2e->root, "token", NULL);
  g_autofree char *wrong_path = g_build_filename (e2e->root, "wrong-token", NULL);
  g_autofree char *kubeconfig_path = g_build_filename (e2e->root, "kubeconfig", NULL);
  g_autofree char *kubeconfig = NULL;
  g_autoptr(CtlResult) set = NULL;
  g_autoptr(CtlResult) tested = NULL;
  g_autoptr(CtlResult) set_wrong = NULL;
  g_autoptr(CtlResult) unauthorized = NULL;
  g_autoptr(CtlResult) no_server = NULL;
  g_autoptr(CtlResult) plain_http = NULL;
  g_autoptr(CtlResult) removed = NULL;
  g_autoptr(CtlResult) gone = NULL;
  g_autoptr(CtlResult) removed_again = NULL;
  g_autoptr(CtlResult) imported = NULL;
  g_autoptr(CtlResult) imported_test = NULL;
  g_autoptr(CtlResult) mapped = NULL;
  g_autoptr(CtlResult) mapped_test = NULL;
  g_autoptr(CtlResult) bad_map = NULL;
  g_autoptr(CtlResult) no_file = NULL;
  g_autoptr(CtlResult) with_exec = NULL;
  g_autoptr(CtlResult) map_exec = NULL;
  g_autofree char *exec_path = g_build_filename (e2e->root, "kubeconfig-exec", NULL);
  g_autofree char *exec_kubeconfig = NULL;

  write_file (token_path, "qa-token-7f3a9\n");
  write_file (wrong_path, "stale-token-0c1d2\n");

  set = run_ctl (e2e, "cluster", "set", "dynamo-qa", "--server", api->url,
                 "--token-file", token_path, NULL);
  g_assert_cmpint (set->status, ==, 0);
  g_assert_nonnull (strstr (set->out, "dynamo-qa"));
  g_assert_null (strstr (set->out, "qa-token-7f3a9"));
  g_assert_cmpstr (set->err, ==, "");

  tested = run_ctl (e2e, "cluster", "test", "dynamo-qa", NULL);
  g_assert_cmpint (tested->status, ==, 0);
  g_assert_nonnull (strstr (tested->out, "Kubernetes v1.29.2"));
  g_assert_cmpuint (api->n_requests, ==, 1);

  /* A rejected token fails the test; the token is never printed. */
  set_wrong = run_ctl (e2e, "cluster", "set", "dynamo-dev", "--server", api->url,
                       "--token-file", wrong_path, NULL);
  g_assert_cmpint (set_wrong->status, ==, 0);
  unauthorized = run_ctl (e2e, "cluster", "test", "dynamo-dev", NULL);
  g_assert_cmpint (unauthorized->status, ==, 1);
  g_assert_nonnull (strstr (unauthorized->err, "dynamo-dev"));
  g_assert_null (strstr (unauthorized->err, "stale-token-0c1d2"));
  g_assert_null (strstr (unauthorized->out, "stale-token-0c1d2"));

  no_server = run_ctl (e2e, "cluster", "set", "dynamo-dev", "--token-file", token_path, NULL);
  g_assert_cmpint (no_server->status, ==, 2);
  plain_http = run_ctl (e2e, "cluster", "set", "dynamo-dev", "--server",
                        "http://api.example.test:6443", "--token-file", token_path, NULL);
  g_assert_cmpint (plain_http->status, ==, 2);

  removed = run_ctl (e2e, "cluster", "remove", "dynamo-qa", NULL);
  g_assert_cmpint (removed->status, ==, 0);
  gone = run_ctl (e2e, "cluster", "test", "dynamo-qa", NULL);
  g_assert_cmpint (gone->status, ==, 5);
  removed_again = run_ctl (e2e, "cluster", "remove", "dynamo-qa", NULL);
  g_assert_cmpint (removed_again->status, ==, 5);

  /* Import: the context for a workspace cluster is imported, the other one skipped. */
  kubeconfig = g_strdup_printf ("apiVersion: v1\n"
                                "kind: Config\n"
                                "clusters:\n"
                                "- name: dynamo-qa\n"
                                "  cluster:\n"
                                "    server: %s\n"
                                "- name: laptop\n"
                                "  cluster:\n"
                                "    server: %s\n"
                                "contexts:\n"
                                "- name: qa\n"
                                "  context:\n"
                                "    cluster: dynamo-qa\n"
                                "    user: qa-user\n"
                                "- name: laptop\n"
                                "  context:\n"
                                "    cluster: laptop\n"
                                "    user: qa-user\n"
                                "users:\n"
                                "- name: qa-user\n"
                                "  user:\n"
                                "    token: qa-token-7f3a9\n",
                                api->url, api->url);
  write_file (kubeconfig_path, kubeconfig);

  imported = run_ctl (e2e, "cluster", "import", kubeconfig_path, NULL);
  g_assert_cmpint (imported->status, ==, 0);
  g_assert_nonnull (strstr (imported->out, "Imported cluster dynamo-qa as dynamo-qa"));
  g_assert_null (strstr (imported->out, "laptop"));
  g_assert_nonnull (strstr (imported->err, "Skipped the contexts for clusters laptop"));
  imported_test = run_ctl (e2e, "cluster", "test", "dynamo-qa", NULL);
  g_assert_cmpint (imported_test->status, ==, 0);

  mapped = run_ctl (e2e, "cluster", "import", "--map", "laptop=dynamo-dev", kubeconfig_path,
                    NULL);
  g_assert_cmpint (mapped->status, ==, 0);
  g_assert_nonnull (strstr (mapped->out, "Imported cluster laptop as dynamo-dev"));
  mapped_test = run_ctl (e2e, "cluster", "test", "dynamo-dev", NULL);
  g_assert_cmpint (mapped_test->status, ==, 0);

  bad_map = run_ctl (e2e, "cluster", "import", "--map", "laptop=staging", kubeconfig_path, NULL);
  g_assert_cmpint (bad_map->status, ==, 2);
  no_file = run_ctl (e2e, "cluster", "import", "/nonexistent/kubeconfig", NULL);
  g_assert_cmpint (no_file->status, ==, 5);

  /* A context whose user runs an exec plugin is listed with the reason; the others are
   * imported. */
  exec_kubeconfig = g_strdup_printf ("apiVersion: v1\n"
                                     "clusters:\n"
                                     "- name: prod-eks\n"
                                     "  cluster: {server: https://eks.example.test}\n"
                                     "- name: dynamo-qa\n"
                                     "  cluster: {server: %s}\n"
                                     "users:\n"
                                     "- name: other-user\n"
                                     "  user:\n"
                                     "    exec: {command: aws, apiVersion: "
                                     "client.authentication.k8s.io/v1beta1}\n"
                                     "- name: qa-user\n"
                                     "  user: {token: qa-token-7f3a9}\n"
                                     "contexts:\n"
                                     "- name: eks\n"
                                     "  context: {cluster: prod-eks, user: other-user}\n"
                                     "- name: qa\n"
                                     "  context: {cluster: dynamo-qa, user: qa-user}\n",
                                     api->url);
  write_file (exec_path, exec_kubeconfig);

  with_exec = run_ctl (e2e, "cluster", "import", exec_path, NULL);
  g_assert_cmpint (with_exec->status, ==, 0);
  g_assert_nonnull (strstr (with_exec->out, "Imported cluster dynamo-qa as dynamo-qa"));
  g_assert_nonnull (strstr (with_exec->err, "Not imported: context “eks”: user “other-user” "
                                            "gets its credentials from the exec plugin “aws”"));

  map_exec = run_ctl (e2e, "cluster", "import", "--map", "prod-eks=dynamo-prod", exec_path,
                      NULL);
  g_assert_cmpint (map_exec->status, ==, 2);
  g_assert_nonnull (strstr (map_exec->err, "cannot be imported"));
  g_assert_nonnull (strstr (map_exec->err, "exec plugin"));
}

/* Last, because the keyring stays locked for the rest of the session. */
static void
store_double_credentials (DrE2e         *e2e,
                          const char    *cluster,
                          KubeApiDouble *api)
{
  g_autoptr(DrClusterCredentials) credentials = dr_cluster_credentials_new (cluster);
  g_autoptr(GError) error = NULL;

  credentials->server = g_strdup (kube_api_double_get_url (api));
  credentials->token = g_strdup (e2e->token);
  dr_credentials_store_sync (credentials, NULL, &error);
  g_assert_no_error (error);
}

/* The board prints the line the window shows about each environment's cluster, and what to
 * type about drift or missing credentials; --no-cluster leaves the clusters alone. */
static void
test_board_cluster (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(KubeApiDouble) dev_api = kube_api_double_new (e2e->token);
  g_autoptr(KubeApiDouble) qa_api = kube_api_double_new (e2e->token);
  g_autoptr(CtlResult) board = NULL;
  g_autoptr(CtlResult) offline = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *verify = NULL;
  g_autofree char *rollback = NULL;
  g_autofree char *redeploy = NULL;
  g_autofree char *set = NULL;
  g_autofree char *prefix = NULL;

  dr_e2e_deploy_through (e2e, "forms-service", "2.1.0", "qa");
  kube_api_double_add_deployment (dev_api, "dynamo", "forms-service",
                                  "dynamo/forms-service:2.1.0", 2);
  kube_api_double_add_deployment (qa_api, "dynamo", "forms-service",
                                  "dynamo/forms-service:2.0.3", 2);
  store_double_credentials (e2e, "dynamo-dev", dev_api);
  store_double_credentials (e2e, "dynamo-qa", qa_api);
  dr_credentials_delete_sync ("dynamo-prod", NULL, &error);
  g_assert_no_error (error);

  board = run_ctl (e2e, "board", "forms-service", NULL);
  g_assert_cmpint (board->status, ==, 0);
  g_assert_cmpstr (board->err, ==, "");
  g_assert_nonnull (strstr (board->out, "https://dev.yourapp.com\n"
                                        "  Cluster: 2.1.0, 2 of 2 ready\n"));
  g_assert_nonnull (strstr (board->out, "https://qa.yourapp.com\n"
                                        "  Cluster runs 2.0.3, the board says 2.1.0\n"));
  g_assert_nonnull (strstr (board->out, "\n  No credentials for dynamo-prod\n"));
  g_assert_null (strstr (board->out, e2e->token));

  prefix = g_strdup_printf ("dynamoctl --workspace=%s --store=%s --clones=%s",
                            dr_workspace_get_path (e2e->workspace), e2e->store_path,
                            e2e->clones);
  verify = g_strdup_printf ("    Check what runs: %s verify forms-service qa\n", prefix);
  redeploy = g_strdup_printf ("    Make the cluster run 2.1.0 again: %s redeploy "
                              "forms-service qa\n", prefix);
  rollback = g_strdup_printf ("    or roll back to the build before 2.1.0: %s rollback "
                              "forms-service qa\n", prefix);
  set = g_strdup_printf ("    Add them: %s cluster set dynamo-prod --server URL "
                         "--token-file FILE\n", prefix);
  g_assert_nonnull (strstr (board->out, redeploy));
  g_assert_nonnull (strstr (board->out, verify));
  g_assert_nonnull (strstr (board->out, rollback));
  g_assert_nonnull (strstr (board->out, set));
  g_assert_cmpuint (kube_api_double_get_request_count (dev_api, "get"), ==, 1);
  g_assert_cmpuint (kube_api_double_get_request_count (qa_api, "get"), ==, 1);

  offline = run_ctl (e2e, "board", "forms-service", "--no-cluster", NULL);
  g_assert_cmpint (offline->status, ==, 0);
  g_assert_null (strstr (offline->out, "Cluster"));
  g_assert_null (strstr (offline->out, "No credentials"));
  g_assert_nonnull (strstr (offline->out, "  Current:  2.1.0, verified"));
  g_assert_cmpuint (kube_api_double_get_request_count (dev_api, "get"), ==, 1);
  g_assert_cmpuint (kube_api_double_get_request_count (qa_api, "get"), ==, 1);
}

static void
test_locked_keyring (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(CtlResult) recorded = NULL;
  g_autoptr(CtlResult) promote = NULL;
  g_autoptr(CtlResult) cluster = NULL;
  g_autoptr(CtlResult) board = NULL;
  g_autofree char *calls = NULL;

  recorded = run_ctl (e2e, "--as", "Rita", "record", "auth-service", "1.0.0", NULL);
  g_assert_cmpint (recorded->status, ==, 0);

  dr_keyring_test_lock ();

  promote = run_ctl (e2e, "--as", "Rita", "--role", "release-manager",
                     "promote", "auth-service", "1.0.0", "development", NULL);
  g_assert_cmpint (promote->status, ==, 6);
  g_assert_nonnull (strstr (promote->err, "locked"));
  g_assert_cmpuint (count_lines (promote->err), ==, 1);

  cluster = run_ctl (e2e, "cluster", "test", "dynamo-dev", NULL);
  g_assert_cmpint (cluster->status, ==, 6);

  /* The board still prints, and says why it shows no cluster. */
  board = run_ctl (e2e, "board", "auth-service", NULL);
  g_assert_cmpint (board->status, ==, 0);
  g_assert_cmpuint (count_lines_with (board->out, "  Keyring locked"), ==, 3);

  /* Nothing ran and nothing was recorded as running. */
  g_assert_cmpuint (count_runs (e2e, NULL), ==, 0);
  calls = dr_e2e_read_calls (e2e);
  g_assert_cmpstr (calls, ==, "");
}

/* Monitoring checks are signed for the environment of the deploy they followed. */
static void
test_sign_monitoring (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(CtlResult) without = NULL;
  g_autoptr(CtlResult) with = NULL;
  g_autoptr(CtlResult) misplaced = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;

  dr_e2e_deploy_through (e2e, "auth-service", "1.0.0", "development");

  without = run_ctl (e2e, "--as", "Rita", "--role", "release-manager", "sign", "auth-service",
                     "1.0.0", "service-metrics", NULL);
  g_assert_cmpint (without->status, ==, 2);
  g_assert_nonnull (strstr (without->err, "--environment"));

  misplaced = run_ctl (e2e, "--as", "Quinn", "--role", "qa", "sign", "auth-service", "1.0.0",
                       "qa-tests-pass", "--environment", "qa", NULL);
  g_assert_cmpint (misplaced->status, ==, 2);

  with = run_ctl (e2e, "--as", "Rita", "--role", "release-manager", "sign", "auth-service",
                  "1.0.0", "service-metrics", "--environment", "development", NULL);
  g_assert_cmpint (with->status, ==, 0);

  snapshot = dr_e2e_snapshot (e2e, "auth-service");
  g_assert_nonnull (dr_service_snapshot_get_signoff (snapshot, "1.0.0",
                                                     "post-deployment@development",
                                                     "service-metrics"));
}

/* A new-build whose deploy could not start leaves its build recorded; running the command
 * again deploys it, and once deployed, the version is taken. */
static void
test_new_build_again (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrClusterCredentials) credentials = dr_cluster_credentials_new ("dynamo-dev");
  g_autoptr(CtlResult) refused = NULL;
  g_autoptr(CtlResult) again = NULL;
  g_autoptr(CtlResult) taken = NULL;
  g_autoptr(GError) error = NULL;

  dr_credentials_delete_sync ("dynamo-dev", NULL, &error);
  g_assert_no_error (error);
  dr_e2e_set_version (e2e, "tasks-service", "4.0.0");

  refused = run_ctl (e2e, "--as", "Rita", "--role", "release-manager", "new-build",
                     "tasks-service", NULL);
  g_assert_cmpint (refused->status, !=, 0);
  g_assert_nonnull (strstr (refused->err, "dynamo-dev"));

  credentials->server = g_strdup ("https://127.0.0.1:6443");
  credentials->token = g_strdup (e2e->token);
  dr_credentials_store_sync (credentials, NULL, &error);
  g_assert_no_error (error);

  again = run_ctl (e2e, "--as", "Rita", "--role", "release-manager", "new-build",
                   "tasks-service", NULL);
  g_assert_cmpint (again->status, ==, 0);
  g_assert_nonnull (strstr (again->out, "never deployed"));

  taken = run_ctl (e2e, "--as", "Rita", "--role", "release-manager", "new-build",
                   "tasks-service", NULL);
  g_assert_cmpint (taken->status, ==, 9);
  g_assert_nonnull (strstr (taken->err, "deployed before"));
}

/* A store named with --store is created only in a folder that exists, and never by a command
 * that only reads. A file that is not a store is reported and left as it was. */
static void
test_store_path (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autofree char *missing_folder = g_build_filename (e2e->root, "nonexistent", NULL);
  g_autofree char *in_missing = g_build_filename (missing_folder, "dir", "x.sqlite3", NULL);
  g_autofree char *new_store = g_build_filename (e2e->root, "new.sqlite3", NULL);
  g_autofree char *not_store = g_build_filename (e2e->root, "notes.sqlite3", NULL);
  g_autofree char *no_store_yet = g_strdup_printf ("No store exists at %s yet", new_store);
  const char *not_store_text = "meeting notes, not a database\n";
  const char *readers[][4] = {
    { "board", "--no-cluster", NULL },
    { "board", "api-gateway", "--no-cluster", NULL },
    { "runs", NULL },
    { "log", "1", NULL },
    { "audit", NULL },
    { "audit", "--verify", NULL },
  };
  g_autoptr(CtlResult) board = NULL;
  g_autoptr(CtlResult) record_missing = NULL;
  g_autoptr(CtlResult) recorded = NULL;
  g_autoptr(CtlResult) audit = NULL;
  g_autoptr(CtlResult) corrupt = NULL;
  g_autofree char *after = NULL;

  board = run_ctl (e2e, "--store", in_missing, "board", "--no-cluster", NULL);
  g_assert_cmpint (board->status, ==, 5);
  g_assert_cmpstr (board->out, ==, "");
  g_assert_nonnull (strstr (board->err, in_missing));
  g_assert_nonnull (strstr (board->err, "--store"));
  g_assert_false (g_file_test (missing_folder, G_FILE_TEST_EXISTS));

  record_missing = run_ctl (e2e, "--as", "Rita", "--store", in_missing,
                            "record", "forms-service", "1.0.0", NULL);
  g_assert_cmpint (record_missing->status, ==, 5);
  g_assert_nonnull (strstr (record_missing->err, in_missing));
  g_assert_false (g_file_test (missing_folder, G_FILE_TEST_EXISTS));

  /* In a folder that exists, a command that only reads does not create the file. */
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++) {
    g_autoptr(GPtrArray) arguments = g_ptr_array_new ();
    g_autoptr(GSubprocess) process = NULL;
    g_autoptr(CtlResult) result = NULL;

    g_ptr_array_add (arguments, "--store");
    g_ptr_array_add (arguments, new_store);
    for (guint j = 0; readers[i][j] != NULL; j++)
      g_ptr_array_add (arguments, (char *) readers[i][j]);
    g_ptr_array_add (arguments, NULL);

    process = spawn_ctl_argv (e2e, (const char * const *) arguments->pdata);
    result = finish_ctl (process);
    g_assert_cmpint (result->status, ==, 5);
    g_assert_nonnull (strstr (result->err, no_store_yet));
    g_assert_nonnull (strstr (result->err, "--store"));
    g_assert_false (g_file_test (new_store, G_FILE_TEST_EXISTS));
  }

  /* A command that records something creates it there. */
  recorded = run_ctl (e2e, "--as", "Rita", "--store", new_store,
                      "record", "forms-service", "1.0.0", NULL);
  g_assert_cmpint (recorded->status, ==, 0);
  g_assert_true (g_file_test (new_store, G_FILE_TEST_IS_REGULAR));
  audit = run_ctl (e2e, "--store", new_store, "audit", NULL);
  g_assert_cmpint (audit->status, ==, 0);
  g_assert_cmpuint (count_lines_with (audit->out, "build-recorded"), ==, 1);

  write_file (not_store, not_store_text);
  corrupt = run_ctl (e2e, "--store", not_store, "runs", NULL);
  g_assert_cmpint (corrupt->status, ==, 7);
  g_assert_nonnull (strstr (corrupt->err, not_store));
  g_assert_nonnull (strstr (corrupt->err, "is not a Dynamo Release store, or it is damaged"));
  g_assert_nonnull (strstr (corrupt->err, "Nothing in it was changed."));
  g_assert_nonnull (strstr (corrupt->err, "pass --store FILE"));
  g_assert_true (g_file_get_contents (not_store, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, not_store_text);
}

/* Runs dynamoctl with the app's settings in a key file under `config`, as the app wrote them. */
static CtlResult *
run_ctl_with_settings (DrE2e              *e2e,
                       const char         *config,
                       const char * const *arguments)
{
  g_autoptr(GPtrArray) argv = dup_ctl_argv (e2e, arguments);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  return finish_ctl (process);
}

/* A name in the settings that no record accepts stops only the commands that record. */
static void
test_read_with_invalid_name (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autofree char *config = g_build_filename (e2e->root, "config", NULL);
  g_autofree char *settings_folder = g_build_filename (config, "glib-2.0", "settings", NULL);
  g_autofree char *keyfile = g_build_filename (settings_folder, "keyfile", NULL);
  g_autofree char *long_name = g_strnfill (110, 'B');
  g_autofree char *contents = NULL;
  const char *readers[][4] = {
    { "board", "--no-cluster", NULL },
    { "board", "forms-service", "--no-cluster", NULL },
    { "runs", NULL },
    { "audit", NULL },
    { "log", "1", NULL },
  };
  const char *record[] = { "record", "forms-service", "1.1.0", NULL };
  const char *help[] = { "help", "runs", NULL };
  g_autoptr(CtlResult) recorded = NULL;
  g_autoptr(CtlResult) helped = NULL;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GError) error = NULL;

  dr_e2e_deploy_through (e2e, "forms-service", "1.0.0", "development");

  g_assert_cmpint (g_mkdir_with_parents (settings_folder, 0700), ==, 0);
  contents = g_strdup_printf ("[org/dynamorelease/DynamoRelease]\n"
                              "person-name='%s'\n"
                              "roles=['release-manager']\n",
                              long_name);
  write_file (keyfile, contents);

  for (guint i = 0; i < G_N_ELEMENTS (readers); i++) {
    g_autoptr(CtlResult) result = run_ctl_with_settings (e2e, config, readers[i]);

    g_assert_cmpint (result->status, ==, 0);
    g_assert_cmpstr (result->out, !=, "");
    g_assert_nonnull (strstr (result->err, "110 characters"));
    g_assert_nonnull (strstr (result->err, "This command only reads"));
  }

  recorded = run_ctl_with_settings (e2e, config, record);
  g_assert_cmpint (recorded->status, ==, 2);
  g_assert_nonnull (strstr (recorded->err, "110 characters"));
  g_assert_nonnull (strstr (recorded->err, "Pass --as NAME"));
  build = dr_store_find_build (e2e->store, "forms-service", "1.1.0", &error);
  g_assert_no_error (error);
  g_assert_null (build);

  helped = run_ctl_with_settings (e2e, config, help);
  g_assert_cmpint (helped->status, ==, 0);
  g_assert_nonnull (strstr (helped->out, "runs [SERVICE]"));
}

/* Messages start with a capital letter, say each fact once, and name the rule broken. */
static void
test_messages (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, FALSE);
  g_autofree char *token_path = g_build_filename (e2e->root, "token", NULL);
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;
  g_autoptr(CtlResult) negative = NULL;
  g_autoptr(CtlResult) set = NULL;
  g_autoptr(CtlResult) unreachable = NULL;
  g_autoptr(CtlResult) unknown = NULL;

  negative = run_ctl (e2e, "log", "--", "-1", NULL);
  g_assert_cmpint (negative->status, ==, 2);
  g_assert_cmpstr (negative->err, ==, "dynamoctl: Invalid run id “-1”: a run id is a positive "
                                      "whole number, as “dynamoctl runs” lists it.\n");

  unknown = run_ctl (e2e, "runs", "billing", NULL);
  g_assert_cmpint (unknown->status, ==, 5);
  g_assert_true (g_str_has_prefix (unknown->err, "dynamoctl: Unknown service “billing”"));

  /* A loopback port that was free a moment ago, where nothing listens. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  server = g_strdup_printf ("https://127.0.0.1:%u",
                            g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, &error);
  g_assert_no_error (error);

  write_file (token_path, "dev-token-51b7\n");
  set = run_ctl (e2e, "cluster", "set", "dynamo-dev", "--server", server,
                 "--token-file", token_path, NULL);
  g_assert_cmpint (set->status, ==, 0);
  unreachable = run_ctl (e2e, "cluster", "test", "dynamo-dev", NULL);
  g_assert_cmpint (unreachable->status, ==, 1);
  g_assert_cmpuint (count_lines (unreachable->err), ==, 1);
  g_assert_true (g_str_has_prefix (unreachable->err,
                                   "dynamoctl: Could not reach the API server of cluster "
                                   "“dynamo-dev”"));
  g_assert_null (strstr (unreachable->err, "Could not connect to cluster"));
  g_assert_nonnull (strstr (unreachable->err, server));
  g_assert_null (strstr (unreachable->err, "dev-token-51b7"));
}

/* Repeating one's own approval records nothing, unless it brings a new comment. */
static void
test_approve_once (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, TRUE);
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CtlResult) first = NULL;
  g_autoptr(CtlResult) bare = NULL;
  g_autoptr(CtlResult) same = NULL;
  g_autoptr(CtlResult) renamed = NULL;
  g_autoptr(CtlResult) audit = NULL;
  g_autoptr(CtlResult) new_comment = NULL;
  g_autoptr(CtlResult) rejected = NULL;
  g_autoptr(CtlResult) rejected_again = NULL;
  g_autoptr(CtlResult) final_audit = NULL;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  const DrApproval *approval;

  build = dr_e2e_record_build (e2e, "api-gateway", "1.4.0", &error);
  g_assert_no_error (error);

  first = run_ctl (e2e, "--as", "Sam", "--role", "security",
                   "approve", "api-gateway", "1.4.0", "-m", "Looks fine ✓", NULL);
  g_assert_cmpint (first->status, ==, 0);

  bare = run_ctl (e2e, "--as", "Sam", "--role", "security",
                  "approve", "api-gateway", "1.4.0", NULL);
  g_assert_cmpint (bare->status, ==, 9);
  g_assert_cmpstr (bare->out, ==, "");
  g_assert_true (g_str_has_prefix (bare->err, "dynamoctl: You already approved api-gateway "
                                              "1.4.0 for Production on "));
  g_assert_nonnull (strstr (bare->err, "“Looks fine ✓”"));

  same = run_ctl (e2e, "--as", "Sam", "--role", "security",
                  "approve", "api-gateway", "1.4.0", "-m", "Looks fine ✓", NULL);
  g_assert_cmpint (same->status, ==, 9);

  /* The same person, written another way. */
  renamed = run_ctl (e2e, "--as", " sam ", "--role", "security",
                     "approve", "api-gateway", "1.4.0", NULL);
  g_assert_cmpint (renamed->status, ==, 9);

  audit = run_ctl (e2e, "audit", NULL);
  g_assert_cmpuint (count_lines_with (audit->out, " approved "), ==, 1);

  new_comment = run_ctl (e2e, "--as", "Sam", "--role", "security",
                         "approve", "api-gateway", "1.4.0", "-m", "Checked the new routes", NULL);
  g_assert_cmpint (new_comment->status, ==, 0);
  snapshot = dr_e2e_snapshot (e2e, "api-gateway");
  approval = dr_service_snapshot_get_approval (snapshot, "1.4.0", "production", "security");
  g_assert_nonnull (approval);
  g_assert_cmpstr (approval->comment, ==, "Checked the new routes");

  rejected = run_ctl (e2e, "--as", "Sam", "--role", "security",
                      "reject", "api-gateway", "1.4.0", "-m", "The routes leak", NULL);
  g_assert_cmpint (rejected->status, ==, 0);
  rejected_again = run_ctl (e2e, "--as", "Sam", "--role", "security",
                            "reject", "api-gateway", "1.4.0", "-m", "The routes leak", NULL);
  g_assert_cmpint (rejected_again->status, ==, 9);
  g_assert_nonnull (strstr (rejected_again->err, "You already rejected api-gateway 1.4.0"));

  final_audit = run_ctl (e2e, "audit", NULL);
  g_assert_cmpuint (count_lines_with (final_audit->out, " approved "), ==, 2);
  g_assert_cmpuint (count_lines_with (final_audit->out, " rejected "), ==, 1);
}

/* Returns each exit status's meaning from `dynamoctl --help`, indexed by status, with the
 * continuation lines joined and white space collapsed. */
static GPtrArray *
parse_help_statuses (const char *help)
{
  g_autoptr(GPtrArray) meanings = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = NULL;
  const char *start = strstr (help, "Exit status:\n");
  GString *current = NULL;

  g_assert_nonnull (start);
  lines = g_strsplit (start + strlen ("Exit status:\n"), "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
    const char *line = lines[i];

    if (g_str_has_prefix (line, "  ") && g_ascii_isdigit (line[2]) && line[3] == ' ') {
      g_autofree char *text = g_strstrip (g_strdup (line + 3));

      if (current != NULL)
        g_ptr_array_add (meanings, g_string_free (current, FALSE));
      g_assert_cmpuint (line[2] - '0', ==, meanings->len);
      current = g_string_new (text);
    } else {
      g_assert_nonnull (current);
      g_string_append_printf (current, " %s", line + strspn (line, " "));
    }
  }
  if (current != NULL)
    g_ptr_array_add (meanings, g_string_free (current, FALSE));

  return g_steal_pointer (&meanings);
}

/* README.md's table of exit statuses matches the list in `dynamoctl --help`. */
static void
test_readme_exit_statuses (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, FALSE);
  g_autofree char *readme_path = g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "..",
                                                   "README.md", NULL);
  g_autofree char *readme = NULL;
  g_autoptr(CtlResult) help = NULL;
  g_autoptr(GPtrArray) meanings = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_rows = 0;

  help = run_ctl (e2e, "--help", NULL);
  g_assert_cmpint (help->status, ==, 0);
  meanings = parse_help_statuses (help->out);
  g_assert_cmpuint (meanings->len, ==, 10);

  g_assert_true (g_file_get_contents (readme_path, &readme, NULL, NULL));
  lines = g_strsplit (readme, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    g_auto(GStrv) cells = NULL;
    guint64 status;

    if (!g_str_has_prefix (lines[i], "| ") || !g_ascii_isdigit (lines[i][2]))
      continue;

    cells = g_strsplit (lines[i], "|", -1);
    g_assert_cmpuint (g_strv_length (cells), ==, 4);
    g_assert_true (g_ascii_string_to_unsigned (g_strstrip (cells[1]), 10, 0, 9, &status, NULL));
    g_assert_cmpuint (status, ==, n_rows);
    g_assert_cmpstr (g_strstrip (cells[2]), ==, g_ptr_array_index (meanings, status));
    n_rows++;
  }
  g_assert_cmpuint (n_rows, ==, meanings->len);
}

int
main (int   argc,
      char *argv[])
{
  /* The orphans of a step, such as a process it left in the background, become children of
   * the test, which reaps them. Otherwise they could stay zombies of an init that does not
   * reap, and a zombie still counts as a member of its process group. */
  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 1), ==, 0);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dynamoctl/usage", test_usage);
  g_test_add_func ("/dynamoctl/default-identity", test_default_identity);
  g_test_add_func ("/dynamoctl/promote-through-gates", test_promote_through_gates);
  g_test_add_func ("/dynamoctl/build-source", test_build_source);
  g_test_add_func ("/dynamoctl/sign-once", test_sign_once);
  g_test_add_func ("/dynamoctl/sign-monitoring", test_sign_monitoring);
  g_test_add_func ("/dynamoctl/new-build-again", test_new_build_again);
  g_test_add_func ("/dynamoctl/clones-folder", test_clones_folder);
  g_test_add_func ("/dynamoctl/clone-version", test_clone_version);
  g_test_add_func ("/dynamoctl/four-eyes", test_four_eyes);
  g_test_add_func ("/dynamoctl/names", test_names);
  g_test_add_func ("/dynamoctl/redeploy", test_redeploy);
  g_test_add_func ("/dynamoctl/rollback", test_rollback);
  g_test_add_func ("/dynamoctl/rollback-before-cluster", test_rollback_before_cluster);
  g_test_add_func ("/dynamoctl/terminal", test_terminal);
  g_test_add_func ("/dynamoctl/failed-deploy", test_failed_deploy);
  g_test_add_func ("/dynamoctl/failed-deploy-without-rollback",
                   test_failed_deploy_without_rollback);
  g_test_add_func ("/dynamoctl/verify-without-steps", test_verify_without_steps);
  g_test_add_func ("/dynamoctl/runs-and-log", test_runs_and_log);
  g_test_add_func ("/dynamoctl/audit", test_audit);
  g_test_add_func ("/dynamoctl/invalid-version", test_invalid_version);
  g_test_add_func ("/dynamoctl/interrupt-cancels-run", test_interrupt_cancels_run);
  g_test_add_func ("/dynamoctl/crash-leaves-run-interrupted", test_crash_leaves_run_interrupted);
  g_test_add_func ("/dynamoctl/board-cluster", test_board_cluster);
  g_test_add_func ("/dynamoctl/hangup-cancels-run", test_hangup_cancels_run);
  g_test_add_func ("/dynamoctl/log-follow", test_log_follow);
  g_test_add_func ("/dynamoctl/log-follow-interrupt", test_log_follow_interrupt);
  g_test_add_func ("/dynamoctl/log-follow-crash", test_log_follow_crash);
  g_test_add_func ("/dynamoctl/clusters", test_clusters);
  g_test_add_func ("/dynamoctl/store-path", test_store_path);
  g_test_add_func ("/dynamoctl/read-with-invalid-name", test_read_with_invalid_name);
  g_test_add_func ("/dynamoctl/messages", test_messages);
  g_test_add_func ("/dynamoctl/approve-once", test_approve_once);
  g_test_add_func ("/dynamoctl/readme-exit-statuses", test_readme_exit_statuses);
  /* Last, because it leaves the keyring locked. */
  g_test_add_func ("/dynamoctl/locked-keyring", test_locked_keyring);

  return g_test_run ();
}
