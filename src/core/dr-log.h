/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A run's log is one UTF-8 text file. Each line is what a step printed, with invalid bytes
 * replaced by U+FFFD, every escape sequence except SGR colour codes removed, carriage-return
 * progress collapsed to its last state, and secrets replaced by ********. The app's own lines
 * (step headers, errors) are in the same file, marked with SGR bold or red.
 *
 * DrLogIndex is the file plus the byte offset of every line. A DrLogWriter fills it from a
 * worker thread; the main thread reads the count and the lines, and hears about new lines
 * through signals emitted on the main context the index was created in, coalesced so that a
 * fast writer causes a bounded number of emissions per second. The signals are:
 *
 *   "lines-added" (guint position, guint n_added): lines [position, position + n_added) are
 *     readable; emitted at most about every 30 ms, and at once when a stream ends.
 *   "pending-changed": the carriage-return line in progress changed, appeared or went away.
 *   "completed": the writer was closed, an existing file was read to its end, or a followed
 *     file was read to its end after dr_log_index_stop_following().
 *
 * dr_log_index_get_n_lines() counts lines written so far, which may be more than the signals
 * announced yet.
 *
 * An index made with dr_log_index_new_for_following() reads a file that another process's
 * DrLogWriter fills: it publishes complete lines only, as they reach the file, and has no
 * carriage-return line in progress, since that line is not in the file yet. */

#define DR_TYPE_LOG_INDEX (dr_log_index_get_type ())
G_DECLARE_FINAL_TYPE (DrLogIndex, dr_log_index, DR, LOG_INDEX, GObject)

DrLogIndex  *dr_log_index_new_for_writing (const char  *path,
                                           GError     **error);
DrLogIndex  *dr_log_index_new_for_reading (const char  *path);
DrLogIndex  *dr_log_index_new_for_following (const char *path);
void         dr_log_index_stop_following  (DrLogIndex  *self);
const char  *dr_log_index_get_path        (DrLogIndex  *self);
guint        dr_log_index_get_n_lines     (DrLogIndex  *self);
char        *dr_log_index_dup_line        (DrLogIndex  *self,
                                           guint        position);
char        *dr_log_index_dup_pending     (DrLogIndex  *self);
gboolean     dr_log_index_is_complete     (DrLogIndex  *self);
guint64      dr_log_index_get_n_bytes     (DrLogIndex  *self);

/* Searching runs in a worker thread and returns the positions of matching lines, SGR codes
 * excluded from the text that the regular expression sees. */
void         dr_log_index_search_async    (DrLogIndex          *self,
                                           const char          *pattern,
                                           gboolean             case_sensitive,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
GArray      *dr_log_index_search_finish   (DrLogIndex          *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* Copies the plain text (SGR codes removed) of every line written so far to a file, in a
 * worker thread. */
void         dr_log_index_save_async      (DrLogIndex          *self,
                                           GFile               *destination,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean     dr_log_index_save_finish     (DrLogIndex          *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* Fills a DrLogIndex: dr_log_writer_feed() takes a process's raw output (from one thread at a
 * time) and dr_log_writer_end_stream() ends it. The header, error and note lines are the app's
 * own, written as given in bold, red or dim. They may come from the main thread while another
 * thread feeds, and they never wait for the disk to sync. */
typedef struct _DrLogWriter DrLogWriter;

DrLogWriter *dr_log_writer_new            (DrLogIndex  *index);
void         dr_log_writer_add_secret     (DrLogWriter *self,
                                           const char  *secret);
void         dr_log_writer_feed           (DrLogWriter *self,
                                           const char  *bytes,
                                           gsize        length);
void         dr_log_writer_end_stream     (DrLogWriter *self);
void         dr_log_writer_write_header   (DrLogWriter *self,
                                           const char  *text);
void         dr_log_writer_write_error    (DrLogWriter *self,
                                           const char  *text);
void         dr_log_writer_write_note     (DrLogWriter *self,
                                           const char  *text);
gboolean     dr_log_writer_close          (DrLogWriter *self,
                                           GError     **error);
void         dr_log_writer_free           (DrLogWriter *self);

char        *dr_log_strip_sgr             (const char  *line);

/* A GListModel of DrLogLine over a DrLogIndex: items are made on demand, so a model over a
 * million lines costs the index's offsets and the lines on screen. A carriage-return line in
 * progress shows as one extra last item that changes in place. */

#define DR_TYPE_LOG_LINE (dr_log_line_get_type ())
G_DECLARE_FINAL_TYPE (DrLogLine, dr_log_line, DR, LOG_LINE, GObject)

guint        dr_log_line_get_position     (DrLogLine   *self);
const char  *dr_log_line_get_text         (DrLogLine   *self);
gboolean     dr_log_line_is_pending       (DrLogLine   *self);

#define DR_TYPE_LOG_MODEL (dr_log_model_get_type ())
G_DECLARE_FINAL_TYPE (DrLogModel, dr_log_model, DR, LOG_MODEL, GObject)

DrLogModel  *dr_log_model_new             (DrLogIndex  *index);
DrLogIndex  *dr_log_model_get_index       (DrLogModel  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrLogWriter, dr_log_writer_free)

G_END_DECLS
