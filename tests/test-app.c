/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The application as a whole, started as `dynamo-release` starts it: a SIGTERM, as at logout
 * or shutdown, cancels the runs that the application executes, waits until their processes
 * have ended and their kubeconfigs are deleted, and then quits. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "dr-application.h"
#include "dr-e2e.h"
#include "dr-sqlite-store.h"
#include "dr-ui-test.h"

typedef struct
{
  DrE2e         *e2e;
  DrApplication *app;
  DrRun         *run;
  gboolean       start_run;
  gboolean       signalled;
  gboolean       timed_out;
  guint          drive_source;
  guint          deadline_source;
} AppTest;

static char *
slow_workspace_path (void)
{
  return g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "e2e", "slow.yaml", NULL);
}

static char *
state_file (AppTest    *test,
            const char *name)
{
  return g_build_filename (test->e2e->state, name, NULL);
}

/* Returns the process id that the slow deploy step wrote to @name, or 0 before it did. */
static GPid
read_pid (AppTest    *test,
          const char *name)
{
  g_autofree char *path = state_file (test, name);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL) || strchr (text, '\n') == NULL)
    return 0;

  return (GPid) g_ascii_strtoll (text, NULL, 10);
}

static char *
read_kubeconfig_path (AppTest *test)
{
  g_autofree char *path = state_file (test, "step.kubeconfig");
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;

  return g_strdup (g_strstrip (text));
}

static void
promote_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  AppTest *test = user_data;
  g_autoptr(GError) error = NULL;

  test->run = dr_engine_start_run_finish (DR_ENGINE (object), result, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (test->run);
}

/* Starts the slow deploy through the application's own engine once its store is open. When the
 * step's processes are up, sends this process SIGTERM. */
static gboolean
drive_cb (gpointer user_data)
{
  AppTest *test = user_data;
  DrEngine *engine = dr_application_get_engine (test->app);

  if (engine == NULL)
    return G_SOURCE_CONTINUE;

  if (test->start_run) {
    test->start_run = FALSE;
    dr_engine_promote_async (engine, "slow", "1.0.0", "development", NULL, promote_cb, test);
    return G_SOURCE_CONTINUE;
  }

  if (test->e2e != NULL && test->run == NULL)
    return G_SOURCE_CONTINUE;

  if (test->run != NULL && (read_pid (test, "step.pid") == 0 ||
                            read_pid (test, "background.pid") == 0))
    return G_SOURCE_CONTINUE;

  test->signalled = TRUE;
  g_assert_cmpint (kill (getpid (), SIGTERM), ==, 0);
  test->drive_source = 0;

  return G_SOURCE_REMOVE;
}

static gboolean
deadline_cb (gpointer user_data)
{
  AppTest *test = user_data;

  test->timed_out = TRUE;
  test->deadline_source = 0;
  g_application_quit (G_APPLICATION (test->app));

  return G_SOURCE_REMOVE;
}

/* Runs the application on @workspace until it quits, and returns its exit status. */
static int
run_application (AppTest    *test,
                 const char *workspace,
                 const char *store_path,
                 const char *clones)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  const char *roles[] = { "release-manager", NULL };
  const char *argv[] = {
    "dynamo-release", "--workspace", workspace, "--store", store_path, "--clones", clones, NULL
  };
  int status;

  g_settings_set_string (settings, "person-name", "Rita");
  g_settings_set_strv (settings, "roles", roles);

  test->app = dr_application_new ();
  test->drive_source = g_timeout_add (50, drive_cb, test);
  test->deadline_source = g_timeout_add_seconds (90, deadline_cb, test);

  status = g_application_run (G_APPLICATION (test->app), G_N_ELEMENTS (argv) - 1, (char **) argv);

  g_clear_handle_id (&test->drive_source, g_source_remove);
  g_clear_handle_id (&test->deadline_source, g_source_remove);

  return status;
}

/* Waits for a process that the step left behind to end, and reaps it. The test is the
 * subreaper of its descendants, so the orphans of a step's leader are its children. */
static gboolean
adopted_process_ended (GPid pid)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  int status = 0;

  while (waitpid (pid, &status, WNOHANG) != pid) {
    if (g_get_monotonic_time () > deadline)
      return FALSE;
    g_usleep (20 * 1000);
  }

  return WIFSIGNALED (status);
}

static void
test_sigterm_cancels_runs (void)
{
  g_autofree char *workspace = slow_workspace_path ();
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrStore) store = NULL;
  g_autoptr(DrRunRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *kubeconfig = NULL;
  AppTest test = { .e2e = e2e, .start_run = TRUE };
  GPid step_pid, background_pid;
  int status;

  build = dr_e2e_record_build (e2e, "slow", "1.0.0", &error);
  g_assert_no_error (error);

  status = run_application (&test, workspace, e2e->store_path, e2e->clones);

  g_assert_false (test.timed_out);
  g_assert_true (test.signalled);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (test.run);

  /* The application quit only after the run ended, with every process of its group. */
  g_assert_true (dr_run_is_finished (test.run));
  g_assert_cmpint (dr_run_get_state (test.run), ==, DR_RUN_STATE_CANCELLED);
  step_pid = read_pid (&test, "step.pid");
  background_pid = read_pid (&test, "background.pid");
  g_assert_cmpint (step_pid, >, 0);
  g_assert_cmpint (background_pid, >, 0);
  g_assert_true (adopted_process_ended (background_pid));
  g_assert_cmpint (kill (step_pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
  g_assert_cmpint (kill (-step_pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);

  kubeconfig = read_kubeconfig_path (&test);
  g_assert_nonnull (kubeconfig);
  g_assert_cmpstr (kubeconfig, !=, "");
  g_assert_false (g_file_test (kubeconfig, G_FILE_TEST_EXISTS));

  /* The store, opened afresh, records the run as cancelled and finished. */
  store = dr_sqlite_store_open (e2e->store_path, &error);
  g_assert_no_error (error);
  record = dr_store_find_run (store, dr_run_get_id (test.run), &error);
  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, DR_RUN_STATE_CANCELLED);
  g_assert_cmpint (record->finished_at, >, 0);

  g_clear_object (&test.run);
  g_clear_object (&test.app);
}

static void
test_sigterm_without_runs (void)
{
  g_autofree char *workspace = slow_workspace_path ();
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  AppTest test = { 0 };
  int status;

  status = run_application (&test, workspace, e2e->store_path, e2e->clones);

  g_assert_false (test.timed_out);
  g_assert_true (test.signalled);
  g_assert_cmpint (status, ==, 0);

  g_clear_object (&test.app);
}

int
main (int   argc,
      char *argv[])
{
  dr_ui_test_init (&argc, &argv);
  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 1), ==, 0);

  g_test_add_func ("/app/sigterm-cancels-runs", test_sigterm_cancels_runs);
  g_test_add_func ("/app/sigterm-without-runs", test_sigterm_without_runs);

  return g_test_run ();
}
