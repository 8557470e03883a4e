/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "dr-process.h"

#define TEST_PATH "/usr/local/bin:/usr/bin:/bin"

typedef struct
{
  char        *directory;
  char        *log_path;
  char        *pid_path;
  DrLogIndex  *index;
  DrLogWriter *writer;
} Fixture;

typedef struct
{
  gboolean         done;
  gboolean         ran;
  DrProcessResult  result;
  GError          *error;
} RunOutcome;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->directory = g_dir_make_tmp ("dynamo-test-process-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->log_path = g_build_filename (fixture->directory, "run.log", NULL);
  fixture->pid_path = g_build_filename (fixture->directory, "pids", NULL);
  fixture->index = dr_log_index_new_for_writing (fixture->log_path, &error);
  g_assert_no_error (error);
  fixture->writer = dr_log_writer_new (fixture->index);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
  }

  g_remove (path);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_pointer (&fixture->writer, dr_log_writer_free);
  g_clear_object (&fixture->index);

  while (g_main_context_iteration (NULL, FALSE))
    ;

  remove_tree (fixture->directory);
  g_free (fixture->directory);
  g_free (fixture->log_path);
  g_free (fixture->pid_path);
}

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  RunOutcome *outcome = user_data;

  outcome->ran = dr_process_run_finish (result, &outcome->result, &outcome->error);
  outcome->done = TRUE;
}

static void
iterate_until (gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
}

static const char * const test_environment[] = {
  "PATH=" TEST_PATH,
  "LC_ALL=C.UTF-8",
  NULL
};

static void
start_shell (Fixture      *fixture,
             const char   *script,
             guint         timeout_seconds,
             GCancellable *cancellable,
             RunOutcome   *outcome)
{
  const char *argv[] = { "sh", "-c", script, "sh", fixture->pid_path, NULL };

  dr_process_run_async (argv, fixture->directory, test_environment, timeout_seconds, 1,
                        fixture->writer, cancellable, run_cb, outcome);
}

static void
run_shell (Fixture    *fixture,
           const char *script,
           RunOutcome *outcome)
{
  start_shell (fixture, script, 0, NULL, outcome);
  iterate_until (&outcome->done);
}

static char *
close_and_read_log (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  dr_log_writer_close (fixture->writer, &error);
  g_assert_no_error (error);

  g_file_get_contents (fixture->log_path, &contents, NULL, &error);
  g_assert_no_error (error);

  return contents;
}

/* Runs the main context until the script has written its pids. */
static GPid *
wait_for_pids (Fixture *fixture,
               guint    n_pids)
{
  for (;;) {
    g_autofree char *contents = NULL;

    if (g_file_get_contents (fixture->pid_path, &contents, NULL, NULL) &&
        g_str_has_suffix (contents, "\n")) {
      g_auto(GStrv) words = g_strsplit_set (g_strstrip (contents), " \n", -1);
      GPid *pids;

      g_assert_cmpuint (g_strv_length (words), ==, n_pids);
      pids = g_new0 (GPid, n_pids);
      for (guint i = 0; i < n_pids; i++)
        pids[i] = (GPid) g_ascii_strtoll (words[i], NULL, 10);

      return pids;
    }

    g_main_context_iteration (NULL, FALSE);
    g_usleep (10 * 1000);
  }
}

/* The test process is a child subreaper, so orphaned processes of a step are reparented to
 * it: reap them if they ended, then check that the pid is gone. */
static void
assert_process_gone (GPid pid)
{
  int saved_errno;

  g_assert_cmpint (pid, >, 1);

  waitpid (pid, NULL, WNOHANG);
  g_assert_cmpint (kill (pid, 0), ==, -1);
  saved_errno = errno;
  g_assert_cmpint (saved_errno, ==, ESRCH);
}

/* A process that is still a child of its parent makes waitpid() fail with ECHILD here. */
static void
assert_process_alive (GPid pid)
{
  g_assert_cmpint (waitpid (pid, NULL, WNOHANG), !=, pid);
  g_assert_cmpint (kill (pid, 0), ==, 0);
}

/* Tests */

typedef struct
{
  guint n_emissions;
  guint n_items;
} ModelLog;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  ModelLog   *log)
{
  log->n_emissions++;
  log->n_items = log->n_items - removed + added;
}

static void
set_flag_cb (gpointer  object,
             gboolean *flag)
{
  *flag = TRUE;
}

static void
test_million_lines (Fixture       *fixture,
                    gconstpointer  user_data)
{
  const char *argv[] = {
    "awk", "BEGIN { for (i = 1; i <= 1000000; i++) "
           "printf \"line %d of the build output, padded to look like a compiler line\\n\", i }",
    NULL
  };
  g_autoptr(DrLogModel) model = dr_log_model_new (fixture->index);
  ModelLog log = { 0, 0 };
  RunOutcome outcome = { 0 };
  gboolean completed = FALSE;
  g_autofree char *contents = NULL;
  gsize n_newlines = 0;
  static const guint samples[] = { 0, 1, 12345, 500000, 999998, 999999 };

  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &log);
  g_signal_connect (fixture->index, "completed", G_CALLBACK (set_flag_cb), &completed);

  dr_process_run_async (argv, fixture->directory, test_environment, 0, 1, fixture->writer,
                        NULL, run_cb, &outcome);
  iterate_until (&outcome.done);

  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ran);
  g_assert_cmpint (outcome.result.end, ==, DR_PROCESS_EXITED);
  g_assert_cmpint (outcome.result.exit_status, ==, 0);
  g_assert_cmpuint (dr_log_index_get_n_lines (fixture->index), ==, 1000000);

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++) {
    g_autofree char *line = dr_log_index_dup_line (fixture->index, samples[i]);
    g_autofree char *expected = g_strdup_printf (
      "line %u of the build output, padded to look like a compiler line", samples[i] + 1);

    g_assert_cmpstr (line, ==, expected);
  }

  contents = close_and_read_log (fixture);
  for (const char *p = contents; (p = strchr (p, '\n')) != NULL; p++)
    n_newlines++;
  g_assert_cmpuint (n_newlines, ==, 1000000);
  g_assert_cmpuint (strlen (contents), ==, dr_log_index_get_n_bytes (fixture->index));

  iterate_until (&completed);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1000000);
  g_assert_cmpuint (log.n_items, ==, 1000000);
  /* The model hears about lines in batches. */
  g_assert_cmpuint (log.n_emissions, <, 10000);
}

static void
test_sanitized_output (Fixture       *fixture,
                       gconstpointer  user_data)
{
  RunOutcome outcome = { 0 };
  g_autofree char *contents = NULL;

  run_shell (fixture,
             "printf 'bad \\377 byte\\n'; "
             "printf '\\033[1;32mgreen\\033[0m\\n'; "
             "printf 'move\\033[2A\\033[Kd\\n'; "
             "printf 'progress 10%%\\r'; sleep 0.1; printf 'progress 100%%\\r\\n'; "
             "printf 'error line\\n' >&2",
             &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpint (outcome.result.end, ==, DR_PROCESS_EXITED);

  contents = close_and_read_log (fixture);
  g_assert_cmpstr (contents, ==,
                   "bad \xef\xbf\xbd byte\n"
                   "\033[1;32mgreen\033[0m\n"
                   "moved\n"
                   "progress 100%\n"
                   "error line\n");
}

static void
test_environment_and_directory (Fixture       *fixture,
                                gconstpointer  user_data)
{
  const char *argv[] = {
    "sh", "-c", "pwd; echo \"$DYNAMO_SERVICE\"; readlink /proc/self/fd/0; cat; echo end",
    NULL
  };
  const char *envp[] = { "PATH=" TEST_PATH, "DYNAMO_SERVICE=auth-service", NULL };
  RunOutcome outcome = { 0 };
  g_autofree char *contents = NULL;
  g_autofree char *expected = NULL;

  dr_process_run_async (argv, fixture->directory, envp, 0, 1, fixture->writer, NULL, run_cb,
                        &outcome);
  iterate_until (&outcome.done);

  g_assert_no_error (outcome.error);
  g_assert_cmpint (outcome.result.exit_status, ==, 0);

  contents = close_and_read_log (fixture);
  expected = g_strdup_printf ("%s\nauth-service\n/dev/null\nend\n", fixture->directory);
  g_assert_cmpstr (contents, ==, expected);
}

static void
test_process_group (Fixture       *fixture,
                    gconstpointer  user_data)
{
  RunOutcome outcome = { 0 };
  g_autofree char *contents = NULL;
  g_auto(GStrv) words = NULL;

  run_shell (fixture, "echo $$ $(ps -o pgid= -p $$)", &outcome);
  g_assert_no_error (outcome.error);

  contents = close_and_read_log (fixture);
  words = g_strsplit (g_strstrip (contents), " ", -1);
  g_assert_cmpuint (g_strv_length (words), ==, 2);
  g_assert_cmpstr (words[0], ==, words[1]);
}

static void
test_exit_status (Fixture       *fixture,
                  gconstpointer  user_data)
{
  RunOutcome outcome = { 0 };

  run_shell (fixture, "exit 3", &outcome);

  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ran);
  g_assert_cmpint (outcome.result.end, ==, DR_PROCESS_EXITED);
  g_assert_cmpint (outcome.result.exit_status, ==, 3);
  g_assert_false (outcome.result.ended_stragglers);
}

static void
test_signaled (Fixture       *fixture,
               gconstpointer  user_data)
{
  RunOutcome outcome = { 0 };

  run_shell (fixture, "kill -USR1 $$", &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpint (outcome.result.end, ==, DR_PROCESS_SIGNALED);
  g_assert_cmpint (outcome.result.signal_number, ==, SIGUSR1);
}

static void
test_cancel_ends_group (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  RunOutcome outcome = { 0 };
  g_autofree GPid *pids = NULL;
  g_autofree char *contents = NULL;

  /* Both the step and its grandchild ignore SIGTERM, so only SIGKILL ends them. */
  start_shell (fixture,
               "trap '' TERM; "
               "sh -c 'trap \"\" TERM; while :; do sleep 1; done' & "
               "echo $$ $! > \"$1\"; "
               "while :; do sleep 1; done",
               0, cancellable, &outcome);

  pids = wait_for_pids (fixture, 2);
  assert_process_alive (pids[1]);

  g_cancellable_cancel (cancellable);
  iterate_until (&outcome.done);

  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ran);
  g_assert_cmpint (outcome.result.end, ==, DR_PROCESS_CANCELLED);
  assert_process_gone (pids[0]);
  assert_process_gone (pids[1]);

  contents = close_and_read_log (fixture);
  g_assert_nonnull (strstr (contents, "killed with SIGKILL"));
}

static void
test_cancel_before_start (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  RunOutcome outcome = { 0 };

  g_cancellable_cancel (cancellable);
  start_shell (fixture, "echo $$ > \"$1\"", 0, cancellable, &outcome);
  iterate_until (&outcome.done);

  g_assert_no_error (outcome.error);
  g_assert_cmpint (outcome.result.end, ==, DR_PROCESS_CANCELLED);
  g_assert_false (g_file_test (fixture->pid_path, G_FILE_TEST_EXISTS));
}

static void
test_timeout (Fixture       *fixture,
              gconstpointer  user_data)
{
  RunOutcome outcome = { 0 };
  g_autofree GPid *pids = NULL;

  start_shell (fixture, "echo $$ > \"$1\"; exec sleep 30", 1, NULL, &outcome);
  iterate_until (&outcome.done);

  g_assert_no_error (outcome.error);
  g_assert_cmpint (outcome.result.end, ==, DR_PROCESS_TIMED_OUT);

  pids = wait_for_pids (fixture, 1);
  assert_process_gone (pids[0]);
}

static void
test_straggler (Fixture       *fixture,
                gconstpointer  user_data)
{
  RunOutcome outcome = { 0 };
  g_autofree GPid *pids = NULL;
  g_autofree char *contents = NULL;

  run_shell (fixture, "sleep 60 & echo $! > \"$1\"; echo started; exit 0", &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpint (outcome.result.end, ==, DR_PROCESS_EXITED);
  g_assert_cmpint (outcome.result.exit_status, ==, 0);
  g_assert_true (outcome.result.ended_stragglers);

  pids = wait_for_pids (fixture, 1);
  assert_process_gone (pids[0]);

  contents = close_and_read_log (fixture);
  g_assert_true (g_str_has_prefix (contents, "started\n"));
  g_assert_nonnull (strstr (contents, "left processes running"));
}

static void
test_no_straggler (Fixture       *fixture,
                   gconstpointer  user_data)
{
  RunOutcome outcome = { 0 };
  g_autofree char *contents = NULL;

  run_shell (fixture, "sleep 0.1 & wait; echo done", &outcome);

  g_assert_no_error (outcome.error);
  g_assert_false (outcome.result.ended_stragglers);

  contents = close_and_read_log (fixture);
  g_assert_cmpstr (contents, ==, "done\n");
}

static void
test_escaped_process (Fixture       *fixture,
                      gconstpointer  user_data)
{
  RunOutcome outcome = { 0 };
  g_autofree GPid *pids = NULL;
  g_autofree char *contents = NULL;

  /* setsid leaves the group but keeps the output pipe open. The step exits only once the
   * pid file shows that the other process has left. */
  run_shell (fixture,
             "setsid sh -c 'echo $$ > \"$1\"; exec sleep 30' sh \"$1\" & "
             "while [ ! -s \"$1\" ]; do sleep 0.05; done; echo started",
             &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpint (outcome.result.end, ==, DR_PROCESS_EXITED);
  g_assert_cmpint (outcome.result.exit_status, ==, 0);
  g_assert_false (outcome.result.ended_stragglers);

  pids = wait_for_pids (fixture, 1);
  assert_process_alive (pids[0]);
  kill (pids[0], SIGKILL);
  waitpid (pids[0], NULL, 0);

  contents = close_and_read_log (fixture);
  g_assert_true (g_str_has_prefix (contents, "started\n"));
  g_assert_nonnull (strstr (contents, "Stopped reading the step’s output"));
}

static void
test_not_found (Fixture       *fixture,
                gconstpointer  user_data)
{
  const char *argv[] = { "dynamo-no-such-command", "--version", NULL };
  RunOutcome outcome = { 0 };

  dr_process_run_async (argv, fixture->directory, test_environment, 0, 1, fixture->writer,
                        NULL, run_cb, &outcome);
  iterate_until (&outcome.done);

  g_assert_false (outcome.ran);
  g_assert_error (outcome.error, DR_PROCESS_ERROR, DR_PROCESS_ERROR_NOT_FOUND);
  g_assert_cmpstr (outcome.error->message, ==,
                   "Command “dynamo-no-such-command” was not found in PATH (" TEST_PATH "). "
                   "Install it or change the step.");
  g_clear_error (&outcome.error);
}

static void
test_not_found_relative (Fixture       *fixture,
                         gconstpointer  user_data)
{
  const char *argv[] = { "./scripts/verify.sh", NULL };
  RunOutcome outcome = { 0 };

  dr_process_run_async (argv, fixture->directory, test_environment, 0, 1, fixture->writer,
                        NULL, run_cb, &outcome);
  iterate_until (&outcome.done);

  g_assert_error (outcome.error, DR_PROCESS_ERROR, DR_PROCESS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (outcome.error->message, "./scripts/verify.sh"));
  g_clear_error (&outcome.error);
}

static void
test_relative_program (Fixture       *fixture,
                       gconstpointer  user_data)
{
  const char *argv[] = { "./hello.sh", NULL };
  g_autofree char *script = g_build_filename (fixture->directory, "hello.sh", NULL);
  g_autoptr(GError) error = NULL;
  RunOutcome outcome = { 0 };
  g_autofree char *contents = NULL;

  g_file_set_contents (script, "#!/bin/sh\necho hello from the working directory\n", -1,
                       &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (script, 0755), ==, 0);

  dr_process_run_async (argv, fixture->directory, test_environment, 0, 1, fixture->writer,
                        NULL, run_cb, &outcome);
  iterate_until (&outcome.done);

  g_assert_no_error (outcome.error);
  g_assert_cmpint (outcome.result.exit_status, ==, 0);
  contents = close_and_read_log (fixture);
  g_assert_cmpstr (contents, ==, "hello from the working directory\n");
}

static void
test_no_directory (Fixture       *fixture,
                   gconstpointer  user_data)
{
  const char *argv[] = { "true", NULL };
  g_autofree char *missing = g_build_filename (fixture->directory, "auth-service", NULL);
  RunOutcome outcome = { 0 };

  dr_process_run_async (argv, missing, test_environment, 0, 1, fixture->writer, NULL, run_cb,
                        &outcome);
  iterate_until (&outcome.done);

  g_assert_false (outcome.ran);
  g_assert_error (outcome.error, DR_PROCESS_ERROR, DR_PROCESS_ERROR_NO_DIRECTORY);
  g_assert_nonnull (strstr (outcome.error->message, missing));
  g_clear_error (&outcome.error);
}

static void
test_secret (Fixture       *fixture,
             gconstpointer  user_data)
{
  RunOutcome outcome = { 0 };
  g_autofree char *contents = NULL;

  dr_log_writer_add_secret (fixture->writer, "tok-3f9a8c7e");
  run_shell (fixture,
             "echo \"token: tok-3f9a8c7e\"; printf 'again tok-3f9'; sleep 0.1; "
             "printf 'a8c7e end\\n'",
             &outcome);
  g_assert_no_error (outcome.error);

  contents = close_and_read_log (fixture);
  g_assert_cmpstr (contents, ==, "token: ********\nagain ******** end\n");
}

static GSubprocess *
spawn_sleeper (const char *store,
               const char *script)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_setenv (launcher, "DYNAMO_RUN", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "DYNAMO_STORE", store, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, "/bin/sh", "-c", script, NULL);
  g_assert_no_error (error);

  return process;
}

/* Waits until the shell has run its script up to `exec sleep`, so that a trap it sets is in
 * place and /proc shows the process's own environment. */
static void
wait_until_started (GSubprocess *process)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/comm", g_subprocess_get_identifier (process));
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;) {
    g_autofree char *name = NULL;

    if (g_file_get_contents (path, &name, NULL, NULL) && g_str_equal (g_strstrip (name), "sleep"))
      return;

    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (10000);
  }
}

/* The processes of a run are found by its environment: those of the same run id in another
 * store are left alone, and one that ignores SIGTERM gets SIGKILL after the grace period. */
static void
test_end_by_environment (void)
{
  const char *entries[] = { "DYNAMO_RUN=1", "DYNAMO_STORE=/stores/first.sqlite3", NULL };
  g_autoptr(GSubprocess) polite = spawn_sleeper ("/stores/first.sqlite3", "exec sleep 600");
  g_autoptr(GSubprocess) stubborn = spawn_sleeper ("/stores/first.sqlite3",
                                                   "trap '' TERM; exec sleep 600");
  g_autoptr(GSubprocess) other_store = spawn_sleeper ("/stores/second.sqlite3",
                                                      "exec sleep 600");
  g_autoptr(GError) error = NULL;

  wait_until_started (polite);
  wait_until_started (stubborn);
  wait_until_started (other_store);

  g_assert_cmpuint (dr_process_end_by_environment (entries, 1), ==, 2);

  g_subprocess_wait (polite, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (polite));
  g_assert_cmpint (g_subprocess_get_term_sig (polite), ==, SIGTERM);

  g_subprocess_wait (stubborn, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (stubborn));
  g_assert_cmpint (g_subprocess_get_term_sig (stubborn), ==, SIGKILL);

  g_assert_cmpint (kill ((pid_t) g_ascii_strtoll (g_subprocess_get_identifier (other_store),
                                                  NULL, 10), 0), ==, 0);
  g_subprocess_force_exit (other_store);
  g_subprocess_wait (other_store, NULL, &error);
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* Orphans of the steps come back to this process, so tests can reap them and check that
   * they are gone even where init does not reap orphans. */
  prctl (PR_SET_CHILD_SUBREAPER, 1);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/process/million-lines", test_million_lines);
  ADD ("/process/sanitized-output", test_sanitized_output);
  ADD ("/process/environment-and-directory", test_environment_and_directory);
  ADD ("/process/process-group", test_process_group);
  ADD ("/process/exit-status", test_exit_status);
  ADD ("/process/signaled", test_signaled);
  ADD ("/process/cancel-ends-group", test_cancel_ends_group);
  ADD ("/process/cancel-before-start", test_cancel_before_start);
  ADD ("/process/timeout", test_timeout);
  ADD ("/process/straggler", test_straggler);
  ADD ("/process/no-straggler", test_no_straggler);
  ADD ("/process/escaped-process", test_escaped_process);
  ADD ("/process/not-found", test_not_found);
  ADD ("/process/not-found-relative", test_not_found_relative);
  ADD ("/process/relative-program", test_relative_program);
  ADD ("/process/no-directory", test_no_directory);
  ADD ("/process/secret", test_secret);
#undef ADD
  g_test_add_func ("/process/end-by-environment", test_end_by_environment);

  return g_test_run ();
}
