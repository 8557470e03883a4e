/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <glib/gi18n-lib.h>

#include "dr-process.h"

/* The drain thread reads up to this much at once, and requests a pipe buffer this large so
 * that a fast child rarely waits for it. */
#define DRAIN_BUFFER_BYTES (1024 * 1024)
#define PIPE_BYTES (1024 * 1024)

/* While processes of the group are being ended, the group is checked this often. */
#define GROUP_CHECK_MSEC 100

/* A process in uninterruptible sleep may outlive SIGKILL for a while. Past this many seconds
 * the step ends anyway. */
#define KILL_WAIT_SECONDS 5

G_DEFINE_QUARK (dr-process-error-quark, dr_process_error)

typedef struct
{
  GSubprocess   *subprocess;
  GInputStream  *output;        /* owns pipe_fd */
  int            pipe_fd;
  pid_t          pgid;
  DrLogWriter   *log;
  GMainContext  *context;
  guint          kill_grace_seconds;

  GCancellable  *drain_stop;
  GSource       *timeout_source;
  GSource       *cancel_source;
  GSource       *group_source;
  GSource       *escape_source;

  gboolean       stop_requested;   /* by timeout or cancel, and `end` records which */
  DrProcessEnd   end;
  int            exit_status;
  int            signal_number;
  gboolean       leader_reaped;
  gboolean       terminating;
  gboolean       killed;
  gint64         kill_time;
  gint64         give_up_time;
  gboolean       group_done;       /* no live process left in the group, or given up */
  gboolean       group_given_up;
  gboolean       ended_stragglers;
  gboolean       drain_done;
  gboolean       drain_reached_eof;
  gboolean       completed;
} ProcessRun;

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;

  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
process_run_free (ProcessRun *run)
{
  g_assert (run->timeout_source == NULL);
  g_assert (run->cancel_source == NULL);
  g_assert (run->group_source == NULL);
  g_assert (run->escape_source == NULL);

  if (run->output != NULL)
    g_input_stream_close (run->output, NULL, NULL);
  g_clear_object (&run->output);
  g_clear_object (&run->subprocess);
  g_clear_object (&run->drain_stop);
  g_clear_pointer (&run->context, g_main_context_unref);
  g_free (run);
}

static GSource *
attach_source (ProcessRun  *run,
               GSource     *source,
               GSourceFunc  func,
               GTask       *task)
{
  g_source_set_callback (source, func, g_object_ref (task), g_object_unref);
  g_source_attach (source, run->context);

  return source;
}

/* Process group */

/* Returns whether a process other than a zombie is left in the group. Zombies count for
 * kill(), and they stay where nothing reaps orphans, so /proc decides.
 *
 * NOTE: the kernel keeps a group id from being reused while any member exists, zombies
 * included. Once the group is empty it could in theory be reused before the next check, but
 * that takes the pid counter going round within one GROUP_CHECK_MSEC. */
static gboolean
group_has_live_members (pid_t pgid)
{
  g_autoptr(GDir) proc = NULL;
  const char *name;

  if (pgid <= 1)
    return FALSE;

  if (kill (-pgid, 0) != 0)
    return errno == EPERM;

  proc = g_dir_open ("/proc", 0, NULL);
  if (proc == NULL)
    return TRUE;

  while ((name = g_dir_read_name (proc)) != NULL) {
    char path[64];
    char stat[512];
    const char *after_name;
    char state;
    int parent;
    int group;
    ssize_t n_read;
    int fd;

    if (!g_ascii_isdigit (name[0]))
      continue;

    g_snprintf (path, sizeof path, "/proc/%s/stat", name);
    fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      continue;
    n_read = read (fd, stat, sizeof stat - 1);
    close (fd);
    if (n_read <= 0)
      continue;
    stat[n_read] = '\0';

    /* "pid (comm) state ppid pgrp …", where comm may contain spaces and parentheses. */
    after_name = strrchr (stat, ')');
    if (after_name == NULL || sscanf (after_name + 1, " %c %d %d", &state, &parent, &group) != 3)
      continue;

    if (group == pgid && state != 'Z' && state != 'X')
      return TRUE;
  }

  return FALSE;
}

/* kill() with 0 or -1 would reach the app's own group or every process. */
static void
signal_group (ProcessRun *run,
              int         signal_number)
{
  if (run->pgid > 1)
    kill (-run->pgid, signal_number);
}

static void maybe_complete (GTask *task);

static gboolean
group_check_cb (gpointer user_data)
{
  GTask *task = user_data;
  ProcessRun *run = g_task_get_task_data (task);
  gint64 now = g_get_monotonic_time ();

  if (group_has_live_members (run->pgid)) {
    if (!run->killed && now >= run->kill_time) {
      signal_group (run, SIGKILL);
      run->killed = TRUE;
      run->give_up_time = now + KILL_WAIT_SECONDS * G_USEC_PER_SEC;
      return G_SOURCE_CONTINUE;
    }

    if (!run->killed || now < run->give_up_time)
      return G_SOURCE_CONTINUE;

    g_warning ("Processes of group %d are still running %d s after SIGKILL", (int) run->pgid,
               KILL_WAIT_SECONDS);
    run->group_given_up = TRUE;
  }

  run->group_done = TRUE;
  g_clear_pointer (&run->group_source, g_source_unref);
  maybe_complete (task);

  return G_SOURCE_REMOVE;
}

/* Sends SIGTERM to the whole group, then SIGKILL after the grace period to what is left. */
static void
terminate_group (GTask *task)
{
  ProcessRun *run = g_task_get_task_data (task);

  if (run->terminating)
    return;

  run->terminating = TRUE;
  run->kill_time = g_get_monotonic_time () + run->kill_grace_seconds * G_USEC_PER_SEC;

  signal_group (run, SIGTERM);
  /* A stopped process handles SIGTERM only once it runs again. */
  signal_group (run, SIGCONT);

  if (run->kill_grace_seconds == 0) {
    signal_group (run, SIGKILL);
    run->killed = TRUE;
    run->give_up_time = g_get_monotonic_time () + KILL_WAIT_SECONDS * G_USEC_PER_SEC;
  }

  run->group_source = attach_source (run, g_timeout_source_new (GROUP_CHECK_MSEC),
                                     group_check_cb, task);
}

/* Drain thread */

static gboolean
drain_finished_cb (gpointer user_data)
{
  GTask *task = user_data;
  ProcessRun *run = g_task_get_task_data (task);

  run->drain_done = TRUE;
  maybe_complete (task);

  return G_SOURCE_REMOVE;
}

/* Reads the pipe with blocking reads until end of file, or until drain_stop is cancelled:
 * then it reads what the pipe holds, at most PIPE_BYTES more, and stops. */
static gpointer
drain_thread (gpointer data)
{
  GTask *task = data;
  ProcessRun *run = g_task_get_task_data (task);
  g_autofree char *buffer = g_malloc (DRAIN_BUFFER_BYTES);
  GPollFD fds[2] = { { run->pipe_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, 0 } };
  gboolean stopping = FALSE;
  gsize read_after_stop = 0;
  GSource *source;

  g_cancellable_make_pollfd (run->drain_stop, &fds[1]);

  for (;;) {
    ssize_t n_read;
    int n_ready;

    if (!stopping && g_cancellable_is_cancelled (run->drain_stop))
      stopping = TRUE;

    n_ready = g_poll (fds, stopping ? 1 : 2, stopping ? 0 : -1);
    if (n_ready < 0 && errno == EINTR)
      continue;
    if (n_ready < 0) {
      g_warning ("Failed to wait for the output of process %d: %s", (int) run->pgid,
                 g_strerror (errno));
      break;
    }
    if (stopping && n_ready == 0)
      break;
    if (fds[0].revents == 0)
      continue;

    n_read = read (run->pipe_fd, buffer, DRAIN_BUFFER_BYTES);
    if (n_read < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n_read < 0) {
      g_warning ("Failed to read the output of process %d: %s", (int) run->pgid,
                 g_strerror (errno));
      break;
    }
    if (n_read == 0) {
      run->drain_reached_eof = TRUE;
      break;
    }

    dr_log_writer_feed (run->log, buffer, (gsize) n_read);

    if (stopping) {
      read_after_stop += (gsize) n_read;
      if (read_after_stop >= PIPE_BYTES)
        break;
    }
  }

  g_cancellable_release_fd (run->drain_stop);
  dr_log_writer_end_stream (run->log);

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[dynamo] process drain finished");
  g_source_set_callback (source, drain_finished_cb, task, g_object_unref);
  g_source_attach (source, run->context);
  g_source_unref (source);

  return NULL;
}

/* Completion */

static gboolean
escape_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  ProcessRun *run = g_task_get_task_data (task);

  g_clear_pointer (&run->escape_source, g_source_unref);
  g_cancellable_cancel (run->drain_stop);

  return G_SOURCE_REMOVE;
}

static void
write_notes (ProcessRun *run)
{
  if (run->ended_stragglers)
    dr_log_writer_write_note (run->log,
                              _("The step left processes running in its process group. They "
                                "were ended."));

  if (run->killed && run->kill_grace_seconds > 0) {
    g_autofree char *note = g_strdup_printf (_("Processes of the step were still running %u s "
                                               "after SIGTERM and were killed with SIGKILL."),
                                             run->kill_grace_seconds);

    dr_log_writer_write_note (run->log, note);
  }

  if (run->group_given_up)
    dr_log_writer_write_error (run->log,
                               _("Processes of the step are still running after SIGKILL."));

  if (!run->drain_reached_eof)
    dr_log_writer_write_note (run->log,
                              _("Stopped reading the step’s output: a process outside its "
                                "process group keeps it open."));
}

/* Completes the task once the leader is reaped, its group is gone and the drain thread ended.
 * When only the pipe is left, a process that left the group (setsid) keeps it open. That
 * process gets the grace period to close it, then the output is no longer read. */
static void
maybe_complete (GTask *task)
{
  ProcessRun *run = g_task_get_task_data (task);
  DrProcessResult *result;

  if (run->completed || !run->leader_reaped || !run->group_done)
    return;

  if (!run->drain_done) {
    if (run->escape_source == NULL && !g_cancellable_is_cancelled (run->drain_stop)) {
      run->escape_source = attach_source (run,
                                          g_timeout_source_new_seconds (run->kill_grace_seconds),
                                          escape_timeout_cb, task);
    }
    return;
  }

  run->completed = TRUE;
  clear_source (&run->timeout_source);
  clear_source (&run->cancel_source);
  clear_source (&run->group_source);
  clear_source (&run->escape_source);

  write_notes (run);

  result = g_new0 (DrProcessResult, 1);
  result->end = run->end;
  result->exit_status = run->exit_status;
  result->signal_number = run->signal_number;
  result->ended_stragglers = run->ended_stragglers;

  g_task_return_pointer (task, result, g_free);
}

static void
wait_cb (GObject      *object,
         GAsyncResult *async_result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ProcessRun *run = g_task_get_task_data (task);
  GSubprocess *subprocess = G_SUBPROCESS (object);
  g_autoptr(GError) error = NULL;

  /* The wait has no cancellable, so an error here is unexpected. */
  if (!g_subprocess_wait_finish (subprocess, async_result, &error))
    g_warning ("Failed to wait for process %d: %s", (int) run->pgid, error->message);

  run->leader_reaped = TRUE;

  if (!run->stop_requested) {
    if (g_subprocess_get_if_signaled (subprocess)) {
      run->end = DR_PROCESS_SIGNALED;
      run->signal_number = g_subprocess_get_term_sig (subprocess);
    } else {
      run->end = DR_PROCESS_EXITED;
      run->exit_status = g_subprocess_get_exit_status (subprocess);
    }
  }

  if (!run->terminating) {
    if (group_has_live_members (run->pgid)) {
      run->ended_stragglers = TRUE;
      terminate_group (task);
    } else {
      run->group_done = TRUE;
    }
  }

  maybe_complete (task);
}

static gboolean
timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  ProcessRun *run = g_task_get_task_data (task);

  g_clear_pointer (&run->timeout_source, g_source_unref);

  if (!run->leader_reaped && !run->stop_requested) {
    run->stop_requested = TRUE;
    run->end = DR_PROCESS_TIMED_OUT;
    terminate_group (task);
  }

  return G_SOURCE_REMOVE;
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  GTask *task = user_data;
  ProcessRun *run = g_task_get_task_data (task);

  g_clear_pointer (&run->cancel_source, g_source_unref);

  if (!run->leader_reaped) {
    if (!run->stop_requested) {
      run->stop_requested = TRUE;
      run->end = DR_PROCESS_CANCELLED;
    }
    terminate_group (task);
  } else {
    /* The step itself ended: stop waiting for its pipe. */
    g_cancellable_cancel (run->drain_stop);
  }

  return G_SOURCE_REMOVE;
}

/* Spawning */

static gboolean
is_executable_file (const char *path)
{
  return g_file_test (path, G_FILE_TEST_IS_EXECUTABLE) && !g_file_test (path, G_FILE_TEST_IS_DIR);
}

/* Resolves `program` the way execvp() would, with the PATH of `envp` (or of the app when
 * `envp` sets none), relative names against `directory`. */
static char *
find_program (const char          *program,
              const char          *directory,
              const char * const  *envp,
              GError             **error)
{
  g_autofree char *current_directory = g_get_current_dir ();
  const char *base = directory != NULL ? directory : current_directory;
  const char *search_path = NULL;
  g_auto(GStrv) path_entries = NULL;

  if (strchr (program, '/') != NULL) {
    g_autofree char *path = g_path_is_absolute (program) ? g_strdup (program)
                                                         : g_build_filename (base, program, NULL);

    if (is_executable_file (path))
      return g_steal_pointer (&path);

    g_set_error (error, DR_PROCESS_ERROR, DR_PROCESS_ERROR_NOT_FOUND,
                 _("Command “%s” was not found or is not executable. Check the path or change "
                   "the step."),
                 program);
    return NULL;
  }

  if (envp != NULL)
    search_path = g_environ_getenv ((char **) envp, "PATH");
  if (search_path == NULL)
    search_path = g_getenv ("PATH");
  if (search_path == NULL)
    search_path = "/usr/bin:/bin";

  path_entries = g_strsplit (search_path, ":", -1);
  for (guint i = 0; path_entries[i] != NULL; i++) {
    const char *entry = path_entries[i][0] != '\0' ? path_entries[i] : ".";
    g_autofree char *path = g_path_is_absolute (entry)
                              ? g_build_filename (entry, program, NULL)
                              : g_build_filename (base, entry, program, NULL);

    if (is_executable_file (path))
      return g_steal_pointer (&path);
  }

  g_set_error (error, DR_PROCESS_ERROR, DR_PROCESS_ERROR_NOT_FOUND,
               _("Command “%s” was not found in PATH (%s). Install it or change the step."),
               program, search_path);
  return NULL;
}

/* Memory shared between the parent and the child it forks. */
typedef struct
{
  pid_t child;    /* written by the child */
  pid_t parent;   /* written by the parent before the fork */
} SharedPids;

/* Runs in the child between fork and exec, so it may only make async-signal-safe calls.
 * `user_data` is memory shared with the parent, where the child stores its pid, because
 * g_subprocess_get_identifier() returns NULL once GLib has reaped the child, and a fast step
 * may be reaped before the parent asks.
 *
 * The child gets SIGTERM when the thread that forked it ends, so a step's leader does not
 * outlive a crashed app or dynamoctl. The engine forks on the main thread, which lives as long
 * as the process. A parent that died before prctl() took effect already left the child to
 * init, so the child then ends at once. */
static void
child_setup (gpointer user_data)
{
  volatile SharedPids *shared = user_data;
  sigset_t all_signals;

  shared->child = getpid ();
  setpgid (0, 0);

  prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (getppid () != shared->parent)
    _exit (128 + SIGTERM);

  signal (SIGPIPE, SIG_DFL);
  sigemptyset (&all_signals);
  sigprocmask (SIG_SETMASK, &all_signals, NULL);
}

static GSubprocess *
spawn (const char * const  *argv,
       const char          *directory,
       const char * const  *envp,
       pid_t               *out_pid,
       GError             **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) resolved_argv = NULL;
  g_autoptr(GError) spawn_error = NULL;
  char *program;
  GSubprocess *subprocess;
  SharedPids *shared;

  if (directory != NULL && !g_file_test (directory, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, DR_PROCESS_ERROR, DR_PROCESS_ERROR_NO_DIRECTORY,
                 _("Working directory “%s” does not exist. Create it or change the working "
                   "directory in the workspace."),
                 directory);
    return NULL;
  }

  program = find_program (argv[0], directory, envp, error);
  if (program == NULL)
    return NULL;

  resolved_argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (resolved_argv, program);
  for (guint i = 1; argv[i] != NULL; i++)
    g_ptr_array_add (resolved_argv, g_strdup (argv[i]));
  g_ptr_array_add (resolved_argv, NULL);

  /* Standard input is /dev/null because no STDIN flag is set. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  if (envp != NULL)
    g_subprocess_launcher_set_environ (launcher, (char **) envp);
  if (directory != NULL)
    g_subprocess_launcher_set_cwd (launcher, directory);

  shared = mmap (NULL, sizeof (SharedPids), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
  if (shared == MAP_FAILED) {
    int saved_errno = errno;

    g_set_error (error, DR_PROCESS_ERROR, DR_PROCESS_ERROR_SPAWN,
                 _("Failed to start “%s”: %s"), argv[0], g_strerror (saved_errno));
    return NULL;
  }
  shared->child = 0;
  shared->parent = getpid ();
  g_subprocess_launcher_set_child_setup (launcher, child_setup, shared, NULL);

  /* The spawn returns once the child has run child_setup and exec'd. */
  subprocess = g_subprocess_launcher_spawnv (launcher,
                                             (const char * const *) resolved_argv->pdata,
                                             &spawn_error);
  *out_pid = shared->child;
  munmap (shared, sizeof (SharedPids));

  if (*out_pid <= 0 && subprocess != NULL && g_subprocess_get_identifier (subprocess) != NULL)
    *out_pid = (pid_t) g_ascii_strtoll (g_subprocess_get_identifier (subprocess), NULL, 10);

  if (subprocess == NULL) {
    g_set_error (error, DR_PROCESS_ERROR, DR_PROCESS_ERROR_SPAWN,
                 _("Failed to start “%s”: %s"), argv[0], spawn_error->message);
    return NULL;
  }

  return subprocess;
}

static void
prepare_pipe (int fd)
{
  int flags = fcntl (fd, F_GETFL);

  if (flags >= 0 && (flags & O_NONBLOCK) != 0)
    fcntl (fd, F_SETFL, flags & ~O_NONBLOCK);

  /* Best effort: the system may cap pipe sizes lower. */
  fcntl (fd, F_SETPIPE_SZ, PIPE_BYTES);
}

/**
 * dr_process_run_async:
 * @argv: (array zero-terminated=1): the program and its arguments; argv[0] is looked up on
 *   the PATH of @envp
 * @directory: (nullable): the working directory, or %NULL for the app's
 * @envp: (array zero-terminated=1) (nullable): the whole environment, or %NULL for the app's
 * @timeout_seconds: how long the step may run, or 0 for no limit
 * @kill_grace_seconds: how long processes get between SIGTERM and SIGKILL
 * @log: where the output goes; it must stay alive until @callback runs
 * @cancellable: (nullable): cancels the step, ending its whole process group
 * @callback: called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * See the header for the life of the process. Nothing here blocks on the child.
 */
void
dr_process_run_async (const char * const  *argv,
                      const char          *directory,
                      const char * const  *envp,
                      guint                timeout_seconds,
                      guint                kill_grace_seconds,
                      DrLogWriter         *log,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  ProcessRun *run;
  GSubprocess *subprocess;
  pid_t pid = 0;

  g_return_if_fail (argv != NULL && argv[0] != NULL && argv[0][0] != '\0');
  g_return_if_fail (log != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_process_run_async);
  /* Cancelling is a result (DR_PROCESS_CANCELLED), not an error. */
  g_task_set_check_cancellable (task, FALSE);

  if (g_cancellable_is_cancelled (cancellable)) {
    DrProcessResult *result = g_new0 (DrProcessResult, 1);

    result->end = DR_PROCESS_CANCELLED;
    g_task_return_pointer (task, result, g_free);
    return;
  }

  subprocess = spawn (argv, directory, envp, &pid, &error);
  if (subprocess == NULL) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  run = g_new0 (ProcessRun, 1);
  run->subprocess = subprocess;
  run->pgid = pid;
  run->output = g_object_ref (g_subprocess_get_stdout_pipe (subprocess));
  run->pipe_fd = g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (run->output));
  run->log = log;
  run->context = g_main_context_ref_thread_default ();
  run->kill_grace_seconds = kill_grace_seconds;
  run->drain_stop = g_cancellable_new ();
  run->end = DR_PROCESS_EXITED;
  g_task_set_task_data (task, run, (GDestroyNotify) process_run_free);

  /* The child did the same before exec, so this only repeats it. The pid is never 0 here
   * in practice, but setpgid (0, 0) would move the app itself. */
  if (run->pgid > 1)
    setpgid (run->pgid, run->pgid);
  else
    g_warning ("Failed to learn the pid of “%s”: its process group cannot be ended", argv[0]);

  prepare_pipe (run->pipe_fd);

  g_thread_unref (g_thread_new ("dr-process-drain", drain_thread, g_object_ref (task)));
  g_subprocess_wait_async (subprocess, NULL, wait_cb, g_object_ref (task));

  if (timeout_seconds > 0)
    run->timeout_source = attach_source (run, g_timeout_source_new_seconds (timeout_seconds),
                                         timeout_cb, task);

  if (cancellable != NULL)
    run->cancel_source = attach_source (run, g_cancellable_source_new (cancellable),
                                        (GSourceFunc) (void (*) (void)) cancelled_cb, task);
}

/* Ending the processes of a run whose app or dynamoctl died */

/* Returns whether process @pid belongs to this user and its environment contains each of
 * @entries. A zombie's environment reads as empty, so a process that ended does not match. */
static gboolean
process_has_environment (const char         *pid,
                         const char * const *entries)
{
  char path[64];
  struct stat info;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_snprintf (path, sizeof path, "/proc/%s", pid);
  if (stat (path, &info) != 0 || info.st_uid != getuid ())
    return FALSE;

  g_snprintf (path, sizeof path, "/proc/%s/environ", pid);
  if (!g_file_get_contents (path, &contents, &length, NULL) || length == 0)
    return FALSE;

  for (guint i = 0; entries[i] != NULL; i++) {
    gsize entry_length = strlen (entries[i]);
    gboolean found = FALSE;

    /* The environment is NUL-separated NAME=VALUE entries. */
    for (gsize start = 0; start < length && !found; start += strlen (contents + start) + 1)
      found = strlen (contents + start) == entry_length &&
              memcmp (contents + start, entries[i], entry_length) == 0;

    if (!found)
      return FALSE;
  }

  return TRUE;
}

/* Returns the pids of the processes that match, other than the caller. */
static GArray *
find_processes_with_environment (const char * const *entries)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  pid_t self = getpid ();
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL) {
    pid_t pid;

    if (!g_ascii_isdigit (name[0]))
      continue;

    pid = (pid_t) g_ascii_strtoll (name, NULL, 10);
    if (pid <= 1 || pid == self || !process_has_environment (name, entries))
      continue;

    g_array_append_val (pids, pid);
  }

  return pids;
}

/**
 * dr_process_end_by_environment:
 * @entries: (array zero-terminated=1): NAME=VALUE entries that a process's environment must
 *   all contain, such as the run and store variables the engine gives every step
 * @kill_grace_seconds: how long processes get between SIGTERM and SIGKILL
 *
 * Ends every process of this user, other than the caller, whose environment contains each of
 * @entries: SIGTERM first, then SIGKILL to those left after the grace period. Processes they
 * start meanwhile are found and ended too, because the environment is inherited. Blocks until
 * none is left, or KILL_WAIT_SECONDS after SIGKILL, so call it off the main loop.
 *
 * Returns: the number of processes that got SIGTERM
 */
guint
dr_process_end_by_environment (const char * const *entries,
                               guint               kill_grace_seconds)
{
  g_autoptr(GHashTable) signalled = g_hash_table_new (NULL, NULL);
  gint64 kill_time = g_get_monotonic_time () + kill_grace_seconds * G_USEC_PER_SEC;
  gint64 give_up_time = kill_time + KILL_WAIT_SECONDS * G_USEC_PER_SEC;

  g_return_val_if_fail (entries != NULL && entries[0] != NULL, 0);

  for (;;) {
    g_autoptr(GArray) pids = find_processes_with_environment (entries);
    gint64 now = g_get_monotonic_time ();

    if (pids->len == 0)
      break;

    if (now >= give_up_time) {
      g_warning ("%u processes with %s are still running %d s after SIGKILL", pids->len,
                 entries[0], KILL_WAIT_SECONDS);
      break;
    }

    for (guint i = 0; i < pids->len; i++) {
      pid_t pid = g_array_index (pids, pid_t, i);

      if (g_hash_table_add (signalled, GINT_TO_POINTER (pid))) {
        kill (pid, SIGTERM);
        /* A stopped process handles SIGTERM only once it runs again. */
        kill (pid, SIGCONT);
      }
      if (now >= kill_time)
        kill (pid, SIGKILL);
    }

    g_usleep (GROUP_CHECK_MSEC * 1000);
  }

  return g_hash_table_size (signalled);
}

/**
 * dr_process_run_finish:
 * @result: the result passed to the callback
 * @out_result: (out caller-allocates): how the process ended
 * @error: return location for a #DrProcessError
 *
 * Returns: %TRUE if the process ran, whatever its exit status; %FALSE if it could not start
 */
gboolean
dr_process_run_finish (GAsyncResult     *result,
                       DrProcessResult  *out_result,
                       GError          **error)
{
  g_autofree DrProcessResult *process_result = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dr_process_run_async, FALSE);
  g_return_val_if_fail (out_result != NULL, FALSE);

  process_result = g_task_propagate_pointer (G_TASK (result), error);
  if (process_result == NULL)
    return FALSE;

  *out_result = *process_result;

  return TRUE;
}
