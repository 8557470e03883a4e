/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dr-log.h"

G_BEGIN_DECLS

#define DR_PROCESS_ERROR (dr_process_error_quark ())

typedef enum
{
  DR_PROCESS_ERROR_NOT_FOUND,          /* argv[0] is not on PATH */
  DR_PROCESS_ERROR_NO_DIRECTORY,       /* the working directory does not exist */
  DR_PROCESS_ERROR_SPAWN,              /* any other failure to start */
} DrProcessError;

typedef enum
{
  DR_PROCESS_EXITED,
  DR_PROCESS_SIGNALED,
  DR_PROCESS_TIMED_OUT,
  DR_PROCESS_CANCELLED,
} DrProcessEnd;

typedef struct
{
  DrProcessEnd end;
  int          exit_status;      /* EXITED: the exit code */
  int          signal_number;    /* SIGNALED: the signal */
  gboolean     ended_stragglers; /* processes of the group outlived the step and were ended */
} DrProcessResult;

/* Runs argv as a child process in a new process group, in `directory`, with standard input on
 * /dev/null and standard output and error merged into `log`. The pipe is drained by a worker
 * thread at disk speed. On cancel or after timeout_seconds (0 for none) the whole group gets
 * SIGTERM, then SIGKILL after kill_grace_seconds. When the leader exits, processes left in its
 * group are ended the same way. The callback runs once the leader has been reaped and the pipe
 * is closed, or, when a process that left the group keeps the pipe open, kill_grace_seconds
 * after that with a note in the log. The drain thread ends the stream with
 * dr_log_writer_end_stream(); `log` must stay alive until the callback runs. */
void      dr_process_run_async  (const char * const  *argv,
                                 const char          *directory,
                                 const char * const  *envp,
                                 guint                timeout_seconds,
                                 guint                kill_grace_seconds,
                                 DrLogWriter         *log,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
gboolean  dr_process_run_finish (GAsyncResult        *result,
                                 DrProcessResult     *out_result,
                                 GError             **error);

/* Ends every process of this user whose environment contains all of `entries`, such as the
 * leftovers of a run whose app died. Blocks; see dr-process.c. */
guint     dr_process_end_by_environment (const char * const *entries,
                                         guint               kill_grace_seconds);

GQuark    dr_process_error_quark (void);

G_END_DECLS
