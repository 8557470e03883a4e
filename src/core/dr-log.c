/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "dr-log-private.h"

/* Signals reach the main context at most once per NOTIFY_INTERVAL_USEC while lines stream in.
 * The end of a stream and completion are announced at once. */
#define NOTIFY_INTERVAL_USEC (30 * 1000)

/* A followed file is read this often. A poll needs no main context in the worker thread and
 * detects appends on every file system. An idle poll costs one pread() that returns 0. */
#define FOLLOW_POLL_INTERVAL_USEC (100 * 1000)

#define BLOCK_LINES 4096
#define READ_CHUNK_BYTES (1024 * 1024)

typedef struct _LogFollower LogFollower;

/* Line offsets are kept in blocks of up to BLOCK_LINES lines, 4 bytes a line: a new block
 * starts when the current one is full or when an offset would not fit in 32 bits. */
typedef struct
{
  guint   first_position;
  guint   n_lines;
  guint64 base;                 /* file offset where the block's first line starts */
  guint32 ends[BLOCK_LINES];    /* offset after each line's newline, relative to base */
} LineBlock;

struct _DrLogIndex
{
  GObject       parent_instance;

  char         *path;
  int           read_fd;
  int           write_fd;
  GMainContext *context;
  LogFollower  *follower;       /* NULL unless the index follows another process's file */

  GMutex        mutex;
  /* Guarded by mutex. */
  GPtrArray    *blocks;
  guint         n_lines;
  guint64       n_bytes;
  char         *pending;
  guint         pending_serial;
  gboolean      complete;
  GSource      *notify_source;
  gint64        last_notify_time;

  /* State announced by the signals so far, used on the main context only. */
  guint         announced_lines;
  guint         announced_pending_serial;
  gboolean      announced_complete;
};

G_DEFINE_FINAL_TYPE (DrLogIndex, dr_log_index, G_TYPE_OBJECT)

enum {
  LINES_ADDED,
  PENDING_CHANGED,
  COMPLETED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void log_follower_abandon (LogFollower *follower);

typedef gboolean (*LineFunc) (const char  *line,
                              gsize        length,
                              guint        position,
                              gpointer     user_data,
                              GError     **error);

static void
dr_log_index_finalize (GObject *object)
{
  DrLogIndex *self = DR_LOG_INDEX (object);

  g_assert (self->notify_source == NULL);

  g_clear_pointer (&self->follower, log_follower_abandon);

  if (self->read_fd >= 0)
    close (self->read_fd);
  if (self->write_fd >= 0)
    close (self->write_fd);

  g_clear_pointer (&self->blocks, g_ptr_array_unref);
  g_clear_pointer (&self->pending, g_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (dr_log_index_parent_class)->finalize (object);
}

static void
dr_log_index_class_init (DrLogIndexClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dr_log_index_finalize;

  /**
   * DrLogIndex::lines-added:
   * @position: the position of the first new line
   * @n_added: how many lines were added
   *
   * Announces lines written since the previous emission. Emitted on the main context the index
   * was created in, at most about 33 times a second.
   */
  signals[LINES_ADDED] = g_signal_new ("lines-added",
                                       G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);

  /**
   * DrLogIndex::pending-changed:
   *
   * Announces that the carriage-return line in progress changed, appeared or disappeared.
   * Emitted after #DrLogIndex::lines-added when both happened.
   */
  signals[PENDING_CHANGED] = g_signal_new ("pending-changed",
                                           G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);

  /**
   * DrLogIndex::completed:
   *
   * Announces that no more lines will be added: the writer was closed or the existing file was
   * read to its end. Emitted once, after the last #DrLogIndex::lines-added.
   */
  signals[COMPLETED] = g_signal_new ("completed",
                                     G_TYPE_FROM_CLASS (klass),
                                     G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL,
                                     G_TYPE_NONE, 0);
}

static void
dr_log_index_init (DrLogIndex *self)
{
  g_mutex_init (&self->mutex);
  self->read_fd = -1;
  self->write_fd = -1;
  self->blocks = g_ptr_array_new_with_free_func (g_free);
  self->context = g_main_context_ref_thread_default ();
}

/* Line offsets */

static void
append_line_end_locked (DrLogIndex *self,
                        guint64     end)
{
  LineBlock *block = NULL;
  guint64 start = 0;

  if (self->blocks->len > 0) {
    block = g_ptr_array_index (self->blocks, self->blocks->len - 1);
    start = block->base + block->ends[block->n_lines - 1];
  }

  g_assert (end >= start);

  if (block == NULL || block->n_lines == BLOCK_LINES || end - block->base > G_MAXUINT32) {
    block = g_new (LineBlock, 1);
    block->first_position = self->n_lines;
    block->n_lines = 0;
    block->base = start;
    g_ptr_array_add (self->blocks, block);
  }

  block->ends[block->n_lines++] = (guint32) (end - block->base);
  self->n_lines++;
}

static gboolean
get_line_bounds_locked (DrLogIndex *self,
                        guint       position,
                        guint64    *start,
                        guint64    *end)
{
  guint low = 0;
  guint high;
  LineBlock *block;
  guint i;

  if (position >= self->n_lines)
    return FALSE;

  /* Blocks are full except where an offset overflowed, so the first guess is nearly always
   * right, and the binary search covers the rest. */
  high = self->blocks->len;
  while (high - low > 1) {
    guint middle = low + (high - low) / 2;
    LineBlock *candidate = g_ptr_array_index (self->blocks, middle);

    if (candidate->first_position <= position)
      low = middle;
    else
      high = middle;
  }

  block = g_ptr_array_index (self->blocks, low);
  i = position - block->first_position;
  g_assert (i < block->n_lines);

  *start = i == 0 ? block->base : block->base + block->ends[i - 1];
  *end = block->base + block->ends[i];

  return TRUE;
}

/* Notifications */

static gboolean
notify_source_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  g_source_set_ready_time (source, -1);

  return callback (user_data);
}

static GSourceFuncs notify_source_funcs = {
  .dispatch = notify_source_dispatch,
};

static gboolean
notify_cb (gpointer user_data)
{
  DrLogIndex *self = user_data;
  guint n_lines;
  guint pending_serial;
  gboolean complete;

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->notify_source, g_source_unref);
  n_lines = self->n_lines;
  pending_serial = self->pending_serial;
  complete = self->complete;
  self->last_notify_time = g_get_monotonic_time ();
  g_mutex_unlock (&self->mutex);

  if (n_lines > self->announced_lines) {
    guint position = self->announced_lines;

    self->announced_lines = n_lines;
    g_signal_emit (self, signals[LINES_ADDED], 0, position, n_lines - position);
  }

  if (pending_serial != self->announced_pending_serial) {
    self->announced_pending_serial = pending_serial;
    g_signal_emit (self, signals[PENDING_CHANGED], 0);
  }

  if (complete && !self->announced_complete) {
    self->announced_complete = TRUE;
    g_signal_emit (self, signals[COMPLETED], 0);
  }

  return G_SOURCE_REMOVE;
}

/* Makes sure a notification is on its way to the main context: one NOTIFY_INTERVAL_USEC after
 * the previous one, or right away when `immediately` is set. The source holds a reference to
 * the index, so the index is never finalized while a notification is pending. */
static void
schedule_notify_locked (DrLogIndex *self,
                        gboolean    immediately)
{
  GSource *source;

  if (self->notify_source != NULL) {
    if (immediately)
      g_source_set_ready_time (self->notify_source, 0);
    return;
  }

  source = g_source_new (&notify_source_funcs, sizeof (GSource));
  g_source_set_static_name (source, "[dynamo] log index notify");
  g_source_set_ready_time (source,
                           immediately ? 0 : self->last_notify_time + NOTIFY_INTERVAL_USEC);
  g_source_set_callback (source, notify_cb, g_object_ref (self), g_object_unref);
  self->notify_source = source;
  g_source_attach (source, self->context);
}

/* Interface for the writer */

int
dr_log_index_steal_write_fd (DrLogIndex *self)
{
  int fd;

  g_return_val_if_fail (DR_IS_LOG_INDEX (self), -1);

  fd = self->write_fd;
  self->write_fd = -1;

  return fd;
}

/* Makes lines visible to readers. The bytes of every line in `line_ends` must already be
 * written to the file, because readers pread them as soon as the mutex is released. */
void
dr_log_index_publish (DrLogIndex    *self,
                      const guint64 *line_ends,
                      guint          n_line_ends,
                      guint64        n_bytes,
                      gboolean       pending_changed,
                      const char    *pending)
{
  g_return_if_fail (DR_IS_LOG_INDEX (self));
  g_return_if_fail (n_line_ends == 0 || line_ends != NULL);

  g_mutex_lock (&self->mutex);

  for (guint i = 0; i < n_line_ends; i++)
    append_line_end_locked (self, line_ends[i]);
  self->n_bytes = n_bytes;

  if (pending_changed) {
    g_free (self->pending);
    self->pending = g_strdup (pending);
    self->pending_serial++;
  }

  if (n_line_ends > 0 || pending_changed)
    schedule_notify_locked (self, FALSE);

  g_mutex_unlock (&self->mutex);
}

/* Sends what was published so far to the main context now instead of after the interval. */
void
dr_log_index_flush_notify (DrLogIndex *self)
{
  g_return_if_fail (DR_IS_LOG_INDEX (self));

  g_mutex_lock (&self->mutex);
  schedule_notify_locked (self, TRUE);
  g_mutex_unlock (&self->mutex);
}

void
dr_log_index_mark_complete (DrLogIndex *self)
{
  g_return_if_fail (DR_IS_LOG_INDEX (self));

  g_mutex_lock (&self->mutex);
  self->complete = TRUE;
  schedule_notify_locked (self, TRUE);
  g_mutex_unlock (&self->mutex);
}

gboolean
dr_log_index_has_pending (DrLogIndex *self)
{
  gboolean has_pending;

  g_return_val_if_fail (DR_IS_LOG_INDEX (self), FALSE);

  g_mutex_lock (&self->mutex);
  has_pending = self->pending != NULL;
  g_mutex_unlock (&self->mutex);

  return has_pending;
}

/* Construction */

/**
 * dr_log_index_new_for_writing:
 * @path: the log file to create; an existing file is truncated
 * @error: return location for a #GIOError
 *
 * Creates the log file, readable and writable by the user only, and an empty index over it.
 * Attach one #DrLogWriter to fill it. Signals are emitted on the thread-default main context
 * of the caller.
 */
DrLogIndex *
dr_log_index_new_for_writing (const char  *path,
                              GError     **error)
{
  g_autoptr(DrLogIndex) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (DR_TYPE_LOG_INDEX, NULL);
  self->path = g_strdup (path);

  self->write_fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (self->write_fd < 0) {
    int saved_errno = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 _("Failed to create the log file “%s”: %s. Check that its folder exists and "
                   "is writable."),
                 path, g_strerror (saved_errno));
    return NULL;
  }

  self->read_fd = open (path, O_RDONLY | O_CLOEXEC);
  if (self->read_fd < 0) {
    int saved_errno = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 _("Failed to open the log file “%s” for reading: %s"),
                 path, g_strerror (saved_errno));
    return NULL;
  }

  return g_steal_pointer (&self);
}

/* Reads the file from `*offset` to its current end and publishes every complete line in it.
 * `*last_end` is the end of the last complete line, where a line still being written starts.
 * Only newlines are looked for, so a line cut by a read or by a writer's partial write is
 * published whole once its newline is read. */
static gboolean
read_appended_lines (DrLogIndex *self,
                     char       *buffer,
                     GArray     *line_ends,
                     guint64    *offset,
                     guint64    *last_end)
{
  for (;;) {
    ssize_t n_read = pread (self->read_fd, buffer, READ_CHUNK_BYTES, (off_t) *offset);
    const char *p;
    const char *end;

    if (n_read < 0 && errno == EINTR)
      continue;
    if (n_read < 0) {
      int saved_errno = errno;

      g_warning ("Failed to read the log file “%s”: %s", self->path, g_strerror (saved_errno));
      return FALSE;
    }
    if (n_read == 0)
      return TRUE;

    p = buffer;
    end = buffer + n_read;
    while (p < end) {
      const char *newline = memchr (p, '\n', end - p);
      guint64 line_end;

      if (newline == NULL)
        break;

      line_end = *offset + (guint64) (newline + 1 - buffer);
      g_array_append_val (line_ends, line_end);
      *last_end = line_end;
      p = newline + 1;
    }

    *offset += (guint64) n_read;
    dr_log_index_publish (self, (const guint64 *) (gpointer) line_ends->data, line_ends->len,
                          *last_end, FALSE, NULL);
    g_array_set_size (line_ends, 0);
  }
}

/* Publishes the bytes after the last newline as a last line and completes the index. */
static void
complete_read (DrLogIndex *self,
               guint64     offset,
               guint64     last_end)
{
  /* A file cut short by a crash may end without a newline: its last line still counts. */
  if (offset > last_end)
    dr_log_index_publish (self, &offset, 1, offset, FALSE, NULL);

  dr_log_index_mark_complete (self);
}

static gpointer
index_existing_file_thread (gpointer data)
{
  g_autoptr(DrLogIndex) self = data;
  g_autoptr(GArray) line_ends = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autofree char *buffer = g_malloc (READ_CHUNK_BYTES);
  guint64 offset = 0;
  guint64 last_end = 0;

  read_appended_lines (self, buffer, line_ends, &offset, &last_end);
  complete_read (self, offset, last_end);

  return NULL;
}

/**
 * dr_log_index_new_for_reading:
 * @path: an existing log file
 *
 * Creates an index over a finished run's log. A worker thread reads the file and publishes its
 * lines progressively; #DrLogIndex::completed follows the last of them. A file that cannot be
 * opened gives an index with no lines that completes at once.
 */
DrLogIndex *
dr_log_index_new_for_reading (const char *path)
{
  DrLogIndex *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (DR_TYPE_LOG_INDEX, NULL);
  self->path = g_strdup (path);

  self->read_fd = open (path, O_RDONLY | O_CLOEXEC);
  if (self->read_fd < 0) {
    int saved_errno = errno;

    g_message ("Failed to open the log file “%s”: %s", path, g_strerror (saved_errno));
    dr_log_index_mark_complete (self);
    return self;
  }

  g_thread_unref (g_thread_new ("dr-log-reader", index_existing_file_thread,
                                g_object_ref (self)));

  return self;
}

/* Following a file that another process writes */

/* State shared by a following index and its worker thread. The thread keeps only a weak
 * reference to the index between reads, so an index whose last user dropped it is finalized
 * and its thread ends. */
struct _LogFollower
{
  GMutex    mutex;
  GCond     cond;
  gboolean  stop;        /* guarded by mutex: read to the end once more, then complete */
  gboolean  abandoned;   /* guarded by mutex: the index was finalized */
  GWeakRef  index;
};

static void
log_follower_clear (gpointer data)
{
  LogFollower *follower = data;

  g_weak_ref_clear (&follower->index);
  g_cond_clear (&follower->cond);
  g_mutex_clear (&follower->mutex);
}

static void
log_follower_release (LogFollower *follower)
{
  g_atomic_rc_box_release_full (follower, log_follower_clear);
}

static void
log_follower_abandon (LogFollower *follower)
{
  g_mutex_lock (&follower->mutex);
  follower->abandoned = TRUE;
  g_cond_signal (&follower->cond);
  g_mutex_unlock (&follower->mutex);

  log_follower_release (follower);
}

/* Opens the file once it exists: the other process may create it after its run is recorded. */
static gboolean
open_followed_file (DrLogIndex *self)
{
  int fd;

  if (self->read_fd >= 0)
    return TRUE;

  fd = open (self->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT)
      g_debug ("Failed to open the log file “%s”: %s", self->path, g_strerror (errno));
    return FALSE;
  }

  /* Readers take the mutex before they use the descriptor, so they see it once lines are
   * published. */
  g_mutex_lock (&self->mutex);
  self->read_fd = fd;
  g_mutex_unlock (&self->mutex);

  return TRUE;
}

/* Reads what was appended every FOLLOW_POLL_INTERVAL_USEC until dr_log_index_stop_following(),
 * then reads to the end once more and completes the index. */
static gpointer
follow_file_thread (gpointer data)
{
  LogFollower *follower = data;
  g_autoptr(GArray) line_ends = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autofree char *buffer = g_malloc (READ_CHUNK_BYTES);
  guint64 offset = 0;
  guint64 last_end = 0;

  for (;;) {
    g_autoptr(DrLogIndex) self = g_weak_ref_get (&follower->index);
    gboolean stop;
    gint64 deadline;

    if (self == NULL)
      break;

    /* The flag is read before the file, so the read after the request includes every line
     * that was written before the run was recorded as ended. */
    g_mutex_lock (&follower->mutex);
    stop = follower->stop;
    g_mutex_unlock (&follower->mutex);

    if (open_followed_file (self))
      read_appended_lines (self, buffer, line_ends, &offset, &last_end);

    if (stop) {
      complete_read (self, offset, last_end);
      break;
    }

    g_clear_object (&self);

    deadline = g_get_monotonic_time () + FOLLOW_POLL_INTERVAL_USEC;
    g_mutex_lock (&follower->mutex);
    while (!follower->stop && !follower->abandoned &&
           g_cond_wait_until (&follower->cond, &follower->mutex, deadline))
      ;
    stop = follower->abandoned;
    g_mutex_unlock (&follower->mutex);

    if (stop)
      break;
  }

  log_follower_release (follower);

  return NULL;
}

/**
 * dr_log_index_new_for_following:
 * @path: the log file of a run that another process executes
 *
 * Creates an index over a log file that another process is still writing. A worker thread
 * publishes its complete lines, then reads what is appended every 100 ms. Once
 * dr_log_index_stop_following() is called, it reads to the end once more and the index
 * completes. A file that does not exist yet is opened once it does. The index never has a
 * carriage-return line in progress, because the writing process keeps that line in memory
 * until a newline ends it.
 */
DrLogIndex *
dr_log_index_new_for_following (const char *path)
{
  DrLogIndex *self;
  LogFollower *follower;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (DR_TYPE_LOG_INDEX, NULL);
  self->path = g_strdup (path);

  follower = g_atomic_rc_box_new0 (LogFollower);
  g_mutex_init (&follower->mutex);
  g_cond_init (&follower->cond);
  g_weak_ref_init (&follower->index, self);
  self->follower = follower;

  g_thread_unref (g_thread_new ("dr-log-follower", follow_file_thread,
                                g_atomic_rc_box_acquire (follower)));

  return self;
}

/**
 * dr_log_index_stop_following:
 * @self: a #DrLogIndex
 *
 * Tells an index made by dr_log_index_new_for_following() that the run has ended and its log
 * is whole. The worker thread reads to the end of the file once more, counts bytes after the
 * last newline as a last line, and the index emits #DrLogIndex::completed. Does nothing on
 * other indexes, or when called again.
 */
void
dr_log_index_stop_following (DrLogIndex *self)
{
  g_return_if_fail (DR_IS_LOG_INDEX (self));

  if (self->follower == NULL)
    return;

  g_mutex_lock (&self->follower->mutex);
  self->follower->stop = TRUE;
  g_cond_signal (&self->follower->cond);
  g_mutex_unlock (&self->follower->mutex);
}

/* Reading */

const char *
dr_log_index_get_path (DrLogIndex *self)
{
  g_return_val_if_fail (DR_IS_LOG_INDEX (self), NULL);

  return self->path;
}

/**
 * dr_log_index_get_n_lines:
 * @self: a #DrLogIndex
 *
 * Returns: the number of lines readable now. Signals on the main context announce them a
 * little later, so a list model must count lines from #DrLogIndex::lines-added instead.
 */
guint
dr_log_index_get_n_lines (DrLogIndex *self)
{
  guint n_lines;

  g_return_val_if_fail (DR_IS_LOG_INDEX (self), 0);

  g_mutex_lock (&self->mutex);
  n_lines = self->n_lines;
  g_mutex_unlock (&self->mutex);

  return n_lines;
}

guint64
dr_log_index_get_n_bytes (DrLogIndex *self)
{
  guint64 n_bytes;

  g_return_val_if_fail (DR_IS_LOG_INDEX (self), 0);

  g_mutex_lock (&self->mutex);
  n_bytes = self->n_bytes;
  g_mutex_unlock (&self->mutex);

  return n_bytes;
}

gboolean
dr_log_index_is_complete (DrLogIndex *self)
{
  gboolean complete;

  g_return_val_if_fail (DR_IS_LOG_INDEX (self), FALSE);

  g_mutex_lock (&self->mutex);
  complete = self->complete;
  g_mutex_unlock (&self->mutex);

  return complete;
}

/**
 * dr_log_index_dup_line:
 * @self: a #DrLogIndex
 * @position: a line number, from 0
 *
 * Reads one line from the file, without its newline, SGR codes included.
 *
 * Returns: (transfer full) (nullable): the line as valid UTF-8, or %NULL when @position is
 *   past the last line or the file cannot be read
 */
char *
dr_log_index_dup_line (DrLogIndex *self,
                       guint       position)
{
  guint64 start;
  guint64 end;
  gboolean found;
  gsize length;
  gsize done = 0;
  g_autofree char *line = NULL;

  g_return_val_if_fail (DR_IS_LOG_INDEX (self), NULL);

  g_mutex_lock (&self->mutex);
  found = get_line_bounds_locked (self, position, &start, &end);
  g_mutex_unlock (&self->mutex);

  if (!found)
    return NULL;

  length = (gsize) (end - start);
  line = g_malloc (length + 1);
  while (done < length) {
    ssize_t n_read = pread (self->read_fd, line + done, length - done, (off_t) (start + done));

    if (n_read < 0 && errno == EINTR)
      continue;
    if (n_read <= 0) {
      g_debug ("Failed to read line %u of “%s”: %s", position, self->path,
               n_read < 0 ? g_strerror (errno) : "unexpected end of file");
      return NULL;
    }
    done += (gsize) n_read;
  }

  if (length > 0 && line[length - 1] == '\n')
    length--;
  line[length] = '\0';

  if (!g_utf8_validate_len (line, length, NULL))
    return g_utf8_make_valid (line, (gssize) length);

  return g_steal_pointer (&line);
}

/**
 * dr_log_index_dup_pending:
 * @self: a #DrLogIndex
 *
 * Returns: (transfer full) (nullable): the carriage-return line in progress, which is not in
 *   the file yet, or %NULL when there is none
 */
char *
dr_log_index_dup_pending (DrLogIndex *self)
{
  char *pending;

  g_return_val_if_fail (DR_IS_LOG_INDEX (self), NULL);

  g_mutex_lock (&self->mutex);
  pending = g_strdup (self->pending);
  g_mutex_unlock (&self->mutex);

  return pending;
}

/* Calls `func` on each of the first `n_lines` lines of the file, read sequentially in large
 * chunks. Only the first `n_bytes` bytes are read: they are the published lines. */
static gboolean
foreach_line (DrLogIndex    *self,
              guint          n_lines,
              guint64        n_bytes,
              LineFunc       func,
              gpointer       user_data,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autofree char *buffer = g_malloc (READ_CHUNK_BYTES);
  g_autoptr(GString) carry = g_string_new (NULL);
  guint64 offset = 0;
  guint position = 0;

  while (offset < n_bytes && position < n_lines) {
    gsize chunk_length = (gsize) MIN ((guint64) READ_CHUNK_BYTES, n_bytes - offset);
    ssize_t n_read = pread (self->read_fd, buffer, chunk_length, (off_t) offset);
    const char *p;
    const char *end;

    if (n_read < 0 && errno == EINTR)
      continue;
    if (n_read < 0) {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to read the log file “%s”: %s"), self->path,
                   g_strerror (saved_errno));
      return FALSE;
    }
    if (n_read == 0)
      break;

    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;

    p = buffer;
    end = buffer + n_read;
    while (p < end && position < n_lines) {
      const char *newline = memchr (p, '\n', end - p);

      if (newline == NULL) {
        g_string_append_len (carry, p, end - p);
        break;
      }

      if (carry->len > 0) {
        g_string_append_len (carry, p, newline - p);
        if (!func (carry->str, carry->len, position, user_data, error))
          return FALSE;
        g_string_truncate (carry, 0);
      } else if (!func (p, (gsize) (newline - p), position, user_data, error)) {
        return FALSE;
      }

      position++;
      p = newline + 1;
    }

    offset += (guint64) n_read;
  }

  if (position < n_lines && carry->len > 0)
    return func (carry->str, carry->len, position, user_data, error);

  return TRUE;
}

/* SGR codes */

void
dr_log_strip_sgr_into (GString    *out,
                       const char *line,
                       gsize       length)
{
  const char *p = line;
  const char *end = line + length;

  while (p < end) {
    const char *escape = memchr (p, '\033', end - p);

    if (escape == NULL) {
      g_string_append_len (out, p, end - p);
      return;
    }

    g_string_append_len (out, p, escape - p);
    p = escape + 1;

    if (p < end && *p == '[') {
      p++;
      while (p < end && (guchar) *p >= 0x20 && (guchar) *p <= 0x3f)
        p++;
      if (p < end && (guchar) *p >= 0x40 && (guchar) *p <= 0x7e)
        p++;
    }
  }
}

/**
 * dr_log_strip_sgr:
 * @line: a log line
 *
 * Removes SGR colour codes (`ESC [ … m`) from a line, for searching, copying and saving.
 *
 * Returns: (transfer full): the plain text
 */
char *
dr_log_strip_sgr (const char *line)
{
  GString *plain;
  gsize length;

  g_return_val_if_fail (line != NULL, NULL);

  length = strlen (line);
  plain = g_string_sized_new (length);
  dr_log_strip_sgr_into (plain, line, length);

  return g_string_free (plain, FALSE);
}

/* Search */

typedef struct
{
  GRegex  *regex;
  guint    n_lines;
  guint64  n_bytes;
  GArray  *positions;
  GString *plain;
} SearchData;

static void
search_data_free (SearchData *data)
{
  g_clear_pointer (&data->regex, g_regex_unref);
  g_clear_pointer (&data->positions, g_array_unref);
  if (data->plain != NULL)
    g_string_free (data->plain, TRUE);
  g_free (data);
}

static gboolean
search_line (const char  *line,
             gsize        length,
             guint        position,
             gpointer     user_data,
             GError     **error)
{
  SearchData *data = user_data;

  g_string_truncate (data->plain, 0);
  dr_log_strip_sgr_into (data->plain, line, length);

  if (!g_utf8_validate_len (data->plain->str, data->plain->len, NULL)) {
    g_autofree char *valid = g_utf8_make_valid (data->plain->str, (gssize) data->plain->len);

    g_string_assign (data->plain, valid);
  }

  if (g_regex_match (data->regex, data->plain->str, 0, NULL))
    g_array_append_val (data->positions, position);

  return TRUE;
}

static void
search_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  DrLogIndex *self = source_object;
  SearchData *data = task_data;
  GError *error = NULL;

  if (!foreach_line (self, data->n_lines, data->n_bytes, search_line, data, cancellable,
                     &error)) {
    g_task_return_error (task, error);
    return;
  }

  g_task_return_pointer (task, g_steal_pointer (&data->positions),
                         (GDestroyNotify) g_array_unref);
}

/**
 * dr_log_index_search_async:
 * @self: a #DrLogIndex
 * @pattern: a Perl-compatible regular expression
 * @case_sensitive: whether letters must match in case
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on the caller's main context when the search ends
 * @user_data: data for @callback
 *
 * Searches the lines published when the call is made, in a worker thread.
 */
void
dr_log_index_search_async (DrLogIndex          *self,
                           const char          *pattern,
                           gboolean             case_sensitive,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SearchData *data;
  GError *error = NULL;
  GRegex *regex;

  g_return_if_fail (DR_IS_LOG_INDEX (self));
  g_return_if_fail (pattern != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_log_index_search_async);

  regex = g_regex_new (pattern, case_sensitive ? 0 : G_REGEX_CASELESS, 0, &error);
  if (regex == NULL) {
    g_task_return_error (task, error);
    return;
  }

  data = g_new0 (SearchData, 1);
  data->regex = regex;
  data->positions = g_array_new (FALSE, FALSE, sizeof (guint));
  data->plain = g_string_new (NULL);

  g_mutex_lock (&self->mutex);
  data->n_lines = self->n_lines;
  data->n_bytes = self->n_bytes;
  g_mutex_unlock (&self->mutex);

  g_task_set_task_data (task, data, (GDestroyNotify) search_data_free);
  g_task_run_in_thread (task, search_thread);
}

/**
 * dr_log_index_search_finish:
 * @self: a #DrLogIndex
 * @result: the result passed to the callback
 * @error: return location for a #GRegexError, #GIOError or %G_IO_ERROR_CANCELLED
 *
 * Returns: (transfer full) (element-type guint): the positions of the matching lines, in
 *   increasing order
 */
GArray *
dr_log_index_search_finish (DrLogIndex    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (DR_IS_LOG_INDEX (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dr_log_index_search_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Save */

typedef struct
{
  GFile         *destination;
  guint          n_lines;
  guint64        n_bytes;
  GOutputStream *stream;
  GString       *buffer;
  GCancellable  *cancellable;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_clear_object (&data->destination);
  g_clear_object (&data->stream);
  if (data->buffer != NULL)
    g_string_free (data->buffer, TRUE);
  g_free (data);
}

static gboolean
save_flush (SaveData  *data,
            GError   **error)
{
  if (!g_output_stream_write_all (data->stream, data->buffer->str, data->buffer->len, NULL,
                                  data->cancellable, error))
    return FALSE;

  g_string_truncate (data->buffer, 0);

  return TRUE;
}

static gboolean
save_line (const char  *line,
           gsize        length,
           guint        position,
           gpointer     user_data,
           GError     **error)
{
  SaveData *data = user_data;

  dr_log_strip_sgr_into (data->buffer, line, length);
  g_string_append_c (data->buffer, '\n');

  if (data->buffer->len >= READ_CHUNK_BYTES)
    return save_flush (data, error);

  return TRUE;
}

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  DrLogIndex *self = source_object;
  SaveData *data = task_data;
  g_autoptr(GFileOutputStream) stream = NULL;
  GError *error = NULL;

  stream = g_file_replace (data->destination, NULL, FALSE, G_FILE_CREATE_NONE, cancellable,
                           &error);
  if (stream == NULL) {
    g_task_return_error (task, error);
    return;
  }

  data->stream = G_OUTPUT_STREAM (g_steal_pointer (&stream));
  data->cancellable = cancellable;

  if (!foreach_line (self, data->n_lines, data->n_bytes, save_line, data, cancellable,
                     &error) ||
      !save_flush (data, &error)) {
    /* Closing a cancelled replace stream leaves any earlier file at the destination. */
    g_autoptr(GCancellable) abandon = g_cancellable_new ();

    g_cancellable_cancel (abandon);
    g_output_stream_close (data->stream, abandon, NULL);
    g_task_return_error (task, error);
    return;
  }

  if (!g_output_stream_close (data->stream, cancellable, &error)) {
    g_task_return_error (task, error);
    return;
  }

  g_task_return_boolean (task, TRUE);
}

/**
 * dr_log_index_save_async:
 * @self: a #DrLogIndex
 * @destination: the file to write; it is replaced only once all lines are written
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on the caller's main context when the file is written
 * @user_data: data for @callback
 *
 * Writes the plain text (SGR codes removed) of the lines published when the call is made to
 * @destination, one line per line of text, in a worker thread. The carriage-return line in
 * progress, which is not in the log file yet, is left out.
 */
void
dr_log_index_save_async (DrLogIndex          *self,
                         GFile               *destination,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SaveData *data;

  g_return_if_fail (DR_IS_LOG_INDEX (self));
  g_return_if_fail (G_IS_FILE (destination));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_log_index_save_async);

  data = g_new0 (SaveData, 1);
  data->destination = g_object_ref (destination);
  data->buffer = g_string_sized_new (READ_CHUNK_BYTES + DR_LOG_MAX_LINE_BYTES);

  g_mutex_lock (&self->mutex);
  data->n_lines = self->n_lines;
  data->n_bytes = self->n_bytes;
  g_mutex_unlock (&self->mutex);

  g_task_set_task_data (task, data, (GDestroyNotify) save_data_free);
  g_task_run_in_thread (task, save_thread);
}

gboolean
dr_log_index_save_finish (DrLogIndex    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (DR_IS_LOG_INDEX (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dr_log_index_save_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
