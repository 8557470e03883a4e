/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "dr-log-private.h"

/* Complete lines are written once this many bytes of them are buffered, and at the end of
 * every dr_log_writer_feed() call. */
#define FLUSH_BYTES (256 * 1024)

/* A CSI sequence with longer parameters is dropped even when it is SGR. */
#define MAX_CSI_BYTES 64

/* SGR codes in effect are repeated at the start of each line, up to this many bytes. */
#define MAX_SGR_CARRY_BYTES 128

/* In a secret of several lines, shorter lines (the "==" ending a PEM block) are not masked,
 * because they would mask common text. */
#define MIN_SECRET_PIECE_BYTES 4

#define SECRET_MASK "********"
#define REPLACEMENT_CHARACTER "\xef\xbf\xbd"
#define SGR_RESET "\033[0m"

typedef enum
{
  STATE_GROUND,
  STATE_ESCAPE,
  STATE_ESCAPE_INTERMEDIATE,
  STATE_CSI,
  STATE_STRING,             /* OSC, DCS, SOS, PM or APC, dropped up to its terminator */
  STATE_STRING_ESCAPE,
} ParserState;

/* Turns a child's output into log lines and writes them to the index's file.
 *
 * Output waits in `buffer`: complete lines in [0, line_start), each ending in a newline, then
 * the current line. Only complete lines reach the file. The current line starts with
 * `line_prefix` bytes of SGR codes carried over from earlier lines. One mutex guards the
 * whole writer because a step's output is fed from a worker thread while the app's own lines
 * come from the main thread. */
struct _DrLogWriter
{
  DrLogIndex  *index;
  int          fd;
  GMutex       mutex;
  GPtrArray   *secrets;         /* longest first */

  ParserState  state;
  guchar       utf8[4];
  guint        utf8_length;
  guint        utf8_needed;     /* 0 outside a multibyte character */
  guchar       utf8_low;        /* range of the next continuation byte */
  guchar       utf8_high;
  char         csi[MAX_CSI_BYTES];
  guint        csi_length;
  gboolean     csi_overflow;

  char        *buffer;
  gsize        length;
  gsize        capacity;
  gsize        line_start;
  gsize        line_prefix;
  gboolean     line_has_text;   /* anything but SGR codes after the prefix */
  gboolean     line_has_cr;     /* a bare carriage return restarted the line */
  gboolean     cr_pending;      /* the next text replaces the line, unless a newline comes */
  GString     *sgr_carry;

  GArray      *line_ends;       /* guint64 file offsets of the buffered complete lines */
  guint64      file_size;
  char        *published_pending;
  GError      *error;
  gboolean     closed;
};

/* Secrets */

static gboolean
mask_secrets (GPtrArray  *secrets,
              const char *text,
              gsize       length,
              GString    *out)
{
  gboolean found = FALSE;
  gsize i = 0;

  for (guint s = 0; s < secrets->len && !found; s++) {
    const char *secret = g_ptr_array_index (secrets, s);

    found = memmem (text, length, secret, strlen (secret)) != NULL;
  }

  if (!found)
    return FALSE;

  while (i < length) {
    gboolean matched = FALSE;

    for (guint s = 0; s < secrets->len; s++) {
      const char *secret = g_ptr_array_index (secrets, s);
      gsize secret_length = strlen (secret);

      if (secret_length <= length - i && memcmp (text + i, secret, secret_length) == 0) {
        g_string_append (out, SECRET_MASK);
        i += secret_length;
        matched = TRUE;
        break;
      }
    }

    if (!matched)
      g_string_append_c (out, text[i++]);
  }

  return TRUE;
}

/* Returns the length of the longest end of `text` that is the start of a secret, so that a
 * secret cut by a line split or still being printed is not shown half. */
static gsize
secret_start_at_end (GPtrArray  *secrets,
                     const char *text,
                     gsize       length)
{
  gsize longest = 0;

  for (guint s = 0; s < secrets->len; s++) {
    const char *secret = g_ptr_array_index (secrets, s);
    gsize secret_length = strlen (secret);

    for (gsize k = MIN (secret_length - 1, length); k > longest; k--) {
      if (memcmp (text + length - k, secret, k) == 0) {
        longest = k;
        break;
      }
    }
  }

  return longest;
}

static int
compare_longest_first (gconstpointer a,
                       gconstpointer b)
{
  gsize length_a = strlen (*(const char * const *) a);
  gsize length_b = strlen (*(const char * const *) b);

  if (length_a < length_b)
    return 1;
  if (length_a > length_b)
    return -1;

  return 0;
}

/* Buffer */

static void
reserve (DrLogWriter *self,
         gsize        extra)
{
  if (self->length + extra <= self->capacity)
    return;

  self->capacity = MAX (self->capacity * 2, self->length + extra);
  self->buffer = g_realloc (self->buffer, self->capacity);
}

static void
append_bytes (DrLogWriter *self,
              const char  *bytes,
              gsize        length)
{
  reserve (self, length);
  memcpy (self->buffer + self->length, bytes, length);
  self->length += length;
}

static gboolean
write_all (DrLogWriter  *self,
           const char   *bytes,
           gsize         length,
           GError      **error)
{
  while (length > 0) {
    ssize_t n_written = write (self->fd, bytes, length);

    if (n_written < 0 && errno == EINTR)
      continue;
    if (n_written < 0) {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to write the log file “%s”: %s"),
                   dr_log_index_get_path (self->index), g_strerror (saved_errno));
      return FALSE;
    }

    bytes += n_written;
    length -= (gsize) n_written;
  }

  return TRUE;
}

/* Writes the complete lines, then makes them visible in the index. After a write error the
 * output is dropped, and the error is returned by dr_log_writer_close(). */
static void
flush_lines (DrLogWriter *self)
{
  if (self->line_start == 0)
    return;

  if (self->error == NULL && write_all (self, self->buffer, self->line_start, &self->error)) {
    self->file_size += self->line_start;
    dr_log_index_publish (self->index, (const guint64 *) (gpointer) self->line_ends->data,
                          self->line_ends->len, self->file_size, FALSE, NULL);
  }

  memmove (self->buffer, self->buffer + self->line_start, self->length - self->line_start);
  self->length -= self->line_start;
  self->line_start = 0;
  g_array_set_size (self->line_ends, 0);
}

/* Lines */

static void
begin_line (DrLogWriter *self)
{
  self->line_start = self->length;
  append_bytes (self, self->sgr_carry->str, self->sgr_carry->len);
  self->line_prefix = self->sgr_carry->len;
  self->line_has_text = FALSE;
  self->line_has_cr = FALSE;
  self->cr_pending = FALSE;
}

/* Text after a bare carriage return replaces the line. */
static void
restart_line (DrLogWriter *self)
{
  self->length = self->line_start;
  append_bytes (self, self->sgr_carry->str, self->sgr_carry->len);
  self->line_prefix = self->sgr_carry->len;
  self->line_has_text = FALSE;
  self->cr_pending = FALSE;
}

static void
mask_current_line (DrLogWriter *self)
{
  g_autoptr(GString) masked = NULL;

  if (self->secrets->len == 0)
    return;

  masked = g_string_new (NULL);
  if (!mask_secrets (self->secrets, self->buffer + self->line_start,
                     self->length - self->line_start, masked)) {
    g_autofree char *line = g_strndup (self->buffer + self->line_start,
                                       self->length - self->line_start);
    g_autofree char *plain = NULL;

    /* A colour code inside a secret hides it from the search above, but not from the
     * person reading the rendered line; such a line loses its colours to lose the secret. */
    if (strchr (line, '\033') == NULL)
      return;
    plain = dr_log_strip_sgr (line);
    if (!mask_secrets (self->secrets, plain, strlen (plain), masked))
      return;
  }

  self->length = self->line_start;
  append_bytes (self, masked->str, masked->len);
}

static void
terminate_line (DrLogWriter *self)
{
  guint64 end;

  append_bytes (self, "\n", 1);
  end = self->file_size + self->length;
  g_array_append_val (self->line_ends, end);
}

static void
end_line (DrLogWriter *self)
{
  mask_current_line (self);
  terminate_line (self);
  begin_line (self);

  if (self->line_start >= FLUSH_BYTES)
    flush_lines (self);
}

/* Ends a line that reached DR_LOG_MAX_LINE_BYTES and continues on a new one. The start of a
 * secret at the end of the line moves to the new line, so the secret is still masked whole. */
static void
split_line (DrLogWriter *self)
{
  gsize content_length;
  gsize carried_length;
  g_autofree char *carried = NULL;
  gboolean had_cr = self->line_has_cr;

  mask_current_line (self);

  content_length = self->length - self->line_start - self->line_prefix;
  carried_length = secret_start_at_end (self->secrets, self->buffer + self->length -
                                        content_length, content_length);
  if (carried_length >= content_length)
    carried_length = 0;

  carried = g_memdup2 (self->buffer + self->length - carried_length, carried_length);
  self->length -= carried_length;

  terminate_line (self);
  begin_line (self);
  self->line_has_cr = had_cr;

  if (carried_length > 0) {
    append_bytes (self, carried, carried_length);
    self->line_has_text = TRUE;
  }

  if (self->line_start >= FLUSH_BYTES)
    flush_lines (self);
}

/* Appends text that may be cut anywhere (ASCII). */
static void
append_text (DrLogWriter *self,
             const char  *text,
             gsize        length)
{
  while (length > 0) {
    gsize used;
    gsize n_copied;

    if (self->cr_pending)
      restart_line (self);

    used = self->length - self->line_start;
    if (used >= DR_LOG_MAX_LINE_BYTES) {
      split_line (self);
      continue;
    }

    n_copied = MIN (length, DR_LOG_MAX_LINE_BYTES - used);
    append_bytes (self, text, n_copied);
    self->line_has_text = TRUE;
    text += n_copied;
    length -= n_copied;
  }
}

/* Appends a multibyte character or an SGR sequence, which must stay on one line. Only text
 * replaces a line after a carriage return: an SGR sequence there goes on the old text, where it
 * changes nothing visible, and into the carry that starts the replacement. */
static void
append_unit (DrLogWriter *self,
             const char  *unit,
             gsize        length,
             gboolean     is_text)
{
  if (self->cr_pending && is_text)
    restart_line (self);

  if (self->length - self->line_start + length > DR_LOG_MAX_LINE_BYTES &&
      self->length - self->line_start > self->line_prefix)
    split_line (self);

  append_bytes (self, unit, length);
  if (is_text)
    self->line_has_text = TRUE;
}

/* Parser */

static gboolean
is_plain (guchar c)
{
  return (c >= 0x20 && c < 0x7f) || c == '\t';
}

static void
update_sgr_carry (DrLogWriter *self,
                  const char  *sequence,
                  gsize        sequence_length)
{
  gsize first_length = 0;
  gboolean first_is_reset = TRUE;

  /* "ESC [ m" and "ESC [ 0 m" reset every attribute, and "ESC [ 0 ; 31 m" resets first. */
  while (first_length < self->csi_length && self->csi[first_length] != ';' &&
         self->csi[first_length] != ':') {
    if (self->csi[first_length] != '0')
      first_is_reset = FALSE;
    first_length++;
  }

  if (first_is_reset || self->sgr_carry->len + sequence_length > MAX_SGR_CARRY_BYTES)
    g_string_truncate (self->sgr_carry, 0);

  if (!first_is_reset || first_length < self->csi_length)
    g_string_append_len (self->sgr_carry, sequence, (gssize) sequence_length);
}

static void
finish_csi (DrLogWriter *self,
            guchar       final)
{
  char sequence[MAX_CSI_BYTES + 3];

  if (final != 'm' || self->csi_overflow)
    return;

  for (guint i = 0; i < self->csi_length; i++) {
    if (!g_ascii_isdigit (self->csi[i]) && self->csi[i] != ';' && self->csi[i] != ':')
      return;
  }

  sequence[0] = '\033';
  sequence[1] = '[';
  memcpy (sequence + 2, self->csi, self->csi_length);
  sequence[2 + self->csi_length] = 'm';

  append_unit (self, sequence, self->csi_length + 3, FALSE);
  update_sgr_carry (self, sequence, self->csi_length + 3);
}

static void
start_utf8 (DrLogWriter *self,
            guchar       lead)
{
  guint needed;
  guchar low = 0x80;
  guchar high = 0xbf;

  /* The ranges exclude overlong forms, surrogates and code points past U+10FFFF. */
  if (lead >= 0xc2 && lead <= 0xdf) {
    needed = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    needed = 3;
    if (lead == 0xe0)
      low = 0xa0;
    else if (lead == 0xed)
      high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    needed = 4;
    if (lead == 0xf0)
      low = 0x90;
    else if (lead == 0xf4)
      high = 0x8f;
  } else {
    append_unit (self, REPLACEMENT_CHARACTER, 3, TRUE);
    return;
  }

  self->utf8[0] = lead;
  self->utf8_length = 1;
  self->utf8_needed = needed;
  self->utf8_low = low;
  self->utf8_high = high;
}

static void
finish_utf8 (DrLogWriter *self)
{
  gboolean is_c1_control = self->utf8_length == 2 && self->utf8[0] == 0xc2 &&
                           self->utf8[1] < 0xa0;

  if (!is_c1_control)
    append_unit (self, (const char *) self->utf8, self->utf8_length, TRUE);

  self->utf8_length = 0;
  self->utf8_needed = 0;
}

static void
parse (DrLogWriter  *self,
       const guchar *p,
       gsize         length)
{
  const guchar *end = p + length;

  while (p < end) {
    guchar c = *p;

    switch (self->state) {
    case STATE_GROUND:
      if (self->utf8_needed > 0) {
        if (c >= self->utf8_low && c <= self->utf8_high) {
          self->utf8[self->utf8_length++] = c;
          self->utf8_low = 0x80;
          self->utf8_high = 0xbf;
          p++;
          if (self->utf8_length == self->utf8_needed)
            finish_utf8 (self);
        } else {
          /* The incomplete character becomes one U+FFFD and `c` is read again. */
          append_unit (self, REPLACEMENT_CHARACTER, 3, TRUE);
          self->utf8_length = 0;
          self->utf8_needed = 0;
        }
        break;
      }

      if (is_plain (c)) {
        const guchar *run = p;

        while (p < end && is_plain (*p))
          p++;
        append_text (self, (const char *) run, (gsize) (p - run));
        break;
      }

      p++;
      if (c == '\n') {
        self->cr_pending = FALSE;
        end_line (self);
      } else if (c == '\r') {
        self->cr_pending = TRUE;
        self->line_has_cr = TRUE;
      } else if (c == 0x1b) {
        self->state = STATE_ESCAPE;
      } else if (c >= 0x80) {
        start_utf8 (self, c);
      }
      /* Other C0 controls and DEL are dropped. */
      break;

    case STATE_ESCAPE:
      if (c == '[') {
        self->state = STATE_CSI;
        self->csi_length = 0;
        self->csi_overflow = FALSE;
        p++;
      } else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
        self->state = STATE_STRING;
        p++;
      } else if (c >= 0x20 && c <= 0x2f) {
        self->state = STATE_ESCAPE_INTERMEDIATE;
        p++;
      } else if (c >= 0x30 && c <= 0x7e) {
        self->state = STATE_GROUND;
        p++;
      } else if (c == 0x1b) {
        p++;
      } else {
        self->state = STATE_GROUND;
      }
      break;

    case STATE_ESCAPE_INTERMEDIATE:
      if (c >= 0x20 && c <= 0x2f) {
        p++;
      } else if (c >= 0x30 && c <= 0x7e) {
        self->state = STATE_GROUND;
        p++;
      } else {
        self->state = STATE_GROUND;
      }
      break;

    case STATE_CSI:
      if (c >= 0x20 && c <= 0x3f) {
        if (self->csi_length < MAX_CSI_BYTES)
          self->csi[self->csi_length++] = (char) c;
        else
          self->csi_overflow = TRUE;
        p++;
      } else if (c >= 0x40 && c <= 0x7e) {
        self->state = STATE_GROUND;
        p++;
        finish_csi (self, c);
      } else if (c == 0x1b) {
        self->state = STATE_ESCAPE;
        p++;
      } else {
        /* A control byte or non-ASCII byte breaks the sequence and is read again. */
        self->state = STATE_GROUND;
      }
      break;

    case STATE_STRING:
      /* A newline ends an unterminated string, so that it swallows one line at most. */
      if (c == '\n') {
        self->state = STATE_GROUND;
        break;
      }
      if (c == 0x07)
        self->state = STATE_GROUND;
      else if (c == 0x1b)
        self->state = STATE_STRING_ESCAPE;
      p++;
      break;

    case STATE_STRING_ESCAPE:
      if (c == '\\') {
        self->state = STATE_GROUND;
        p++;
      } else {
        self->state = STATE_ESCAPE;
      }
      break;

    default:
      g_assert_not_reached ();
    }
  }
}

/* Publishes the carriage-return line in progress when it changed. */
static void
publish_pending (DrLogWriter *self)
{
  g_autoptr(GString) pending = NULL;

  if (self->line_has_cr && self->line_has_text) {
    const char *line = self->buffer + self->line_start;
    gsize line_length = self->length - self->line_start;

    pending = g_string_new (NULL);
    if (!mask_secrets (self->secrets, line, line_length, pending))
      g_string_append_len (pending, line, (gssize) line_length);
    g_string_truncate (pending, pending->len - secret_start_at_end (self->secrets, pending->str,
                                                                    pending->len));
  }

  if (g_strcmp0 (pending != NULL ? pending->str : NULL, self->published_pending) == 0)
    return;

  g_free (self->published_pending);
  self->published_pending = pending != NULL ? g_strdup (pending->str) : NULL;
  dr_log_index_publish (self->index, NULL, 0, self->file_size, TRUE, self->published_pending);
}

/* Ends what a stream left unfinished: a cut character becomes U+FFFD, an unfinished escape
 * sequence is dropped, and a line without a newline is ended. Colours do not carry over. */
static void
finish_stream (DrLogWriter *self)
{
  if (self->utf8_needed > 0) {
    append_unit (self, REPLACEMENT_CHARACTER, 3, TRUE);
    self->utf8_length = 0;
    self->utf8_needed = 0;
  }
  self->state = STATE_GROUND;

  if (self->line_has_text)
    end_line (self);

  g_string_truncate (self->sgr_carry, 0);
  self->length = self->line_start;
  begin_line (self);

  flush_lines (self);
  publish_pending (self);
}

/* Public API */

/**
 * dr_log_writer_new:
 * @index: an index made by dr_log_index_new_for_writing() that has no writer yet
 *
 * Creates the writer that fills @index. Feed it from one thread at a time; the app's own lines
 * may come from another thread meanwhile.
 */
DrLogWriter *
dr_log_writer_new (DrLogIndex *index)
{
  DrLogWriter *self;
  int fd;

  g_return_val_if_fail (DR_IS_LOG_INDEX (index), NULL);

  fd = dr_log_index_steal_write_fd (index);
  g_return_val_if_fail (fd >= 0, NULL);

  self = g_new0 (DrLogWriter, 1);
  self->index = g_object_ref (index);
  self->fd = fd;
  g_mutex_init (&self->mutex);
  self->secrets = g_ptr_array_new_with_free_func (g_free);
  self->state = STATE_GROUND;
  self->capacity = FLUSH_BYTES + 2 * DR_LOG_MAX_LINE_BYTES;
  self->buffer = g_malloc (self->capacity);
  self->sgr_carry = g_string_new (NULL);
  self->line_ends = g_array_new (FALSE, FALSE, sizeof (guint64));

  return self;
}

/**
 * dr_log_writer_add_secret:
 * @self: a #DrLogWriter
 * @secret: a value to hide
 *
 * Masks @secret as `********` in every line written from now on. Each line of a secret of
 * several lines is masked on its own.
 */
void
dr_log_writer_add_secret (DrLogWriter *self,
                          const char  *secret)
{
  g_auto(GStrv) pieces = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (secret != NULL);

  pieces = g_strsplit (secret, "\n", -1);

  g_mutex_lock (&self->mutex);

  for (guint i = 0; pieces[i] != NULL; i++) {
    g_autofree char *piece = g_utf8_make_valid (pieces[i], -1);
    gsize length = strlen (piece);
    gboolean known = FALSE;

    if (length > 0 && piece[length - 1] == '\r')
      piece[--length] = '\0';
    if (length == 0 || (pieces[1] != NULL && length < MIN_SECRET_PIECE_BYTES))
      continue;

    for (guint s = 0; s < self->secrets->len && !known; s++)
      known = strcmp (g_ptr_array_index (self->secrets, s), piece) == 0;
    if (!known)
      g_ptr_array_add (self->secrets, g_steal_pointer (&piece));
  }

  g_ptr_array_sort (self->secrets, compare_longest_first);

  g_mutex_unlock (&self->mutex);
}

/**
 * dr_log_writer_feed:
 * @self: a #DrLogWriter
 * @bytes: (array length=length): raw output of a process
 * @length: the number of bytes
 *
 * Sanitizes output and writes the lines it completes. A character, escape sequence, secret
 * or line may continue in the next call. Blocks on the file, never on the main context.
 */
void
dr_log_writer_feed (DrLogWriter *self,
                    const char  *bytes,
                    gsize        length)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (bytes != NULL || length == 0);

  g_mutex_lock (&self->mutex);

  if (self->closed) {
    g_mutex_unlock (&self->mutex);
    g_return_if_reached ();
  }

  parse (self, (const guchar *) bytes, length);
  flush_lines (self);
  publish_pending (self);

  g_mutex_unlock (&self->mutex);
}

/**
 * dr_log_writer_end_stream:
 * @self: a #DrLogWriter
 *
 * Ends one process's output: its last line is written even without a newline, and the next
 * dr_log_writer_feed() starts a new stream with default colours. Readers hear about the new
 * lines at once.
 */
void
dr_log_writer_end_stream (DrLogWriter *self)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->mutex);
  if (!self->closed) {
    finish_stream (self);
    dr_log_index_flush_notify (self->index);
  }
  g_mutex_unlock (&self->mutex);
}

static void
append_own_line (DrLogWriter *self,
                 GString     *out,
                 GArray      *line_ends,
                 const char  *style,
                 const char  *text)
{
  g_autoptr(GString) line = g_string_new (NULL);
  g_autoptr(GString) masked = g_string_new (NULL);
  guint64 end;

  /* The text is the app's own, but it may quote output or a value: it gets the same rules. */
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if ((c < 0x20 && c != '\t') || (c >= 0x7f && c < 0xa0))
      continue;
    g_string_append_unichar (line, c);
  }

  if (mask_secrets (self->secrets, line->str, line->len, masked))
    g_string_assign (line, masked->str);

  if (line->len > DR_LOG_MAX_LINE_BYTES) {
    const char *cut = g_utf8_find_prev_char (line->str, line->str + DR_LOG_MAX_LINE_BYTES + 1);

    g_string_truncate (line, (gsize) (cut - line->str));
  }

  g_string_append (out, style);
  g_string_append_len (out, line->str, (gssize) line->len);
  g_string_append (out, SGR_RESET "\n");

  end = self->file_size + out->len;
  g_array_append_val (line_ends, end);
}

/* Writes the app's own text as lines between the step's complete lines and its line in
 * progress, each line wrapped in `style` and a reset. */
static void
write_own_lines (DrLogWriter *self,
                 const char  *style,
                 const char  *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  g_auto(GStrv) lines = g_strsplit (valid, "\n", -1);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GArray) line_ends = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint n_lines = g_strv_length (lines);

  /* "text\n" is one line, and "" too. */
  if (n_lines > 1 && lines[n_lines - 1][0] == '\0')
    n_lines--;

  g_mutex_lock (&self->mutex);

  if (self->closed) {
    g_mutex_unlock (&self->mutex);
    g_return_if_reached ();
  }

  flush_lines (self);

  for (guint i = 0; i < n_lines; i++)
    append_own_line (self, out, line_ends, style, lines[i]);

  if (self->error == NULL && write_all (self, out->str, out->len, &self->error)) {
    self->file_size += out->len;
    dr_log_index_publish (self->index, (const guint64 *) (gpointer) line_ends->data,
                          line_ends->len, self->file_size, FALSE, NULL);
  }

  g_mutex_unlock (&self->mutex);
}

/**
 * dr_log_writer_write_header:
 * @self: a #DrLogWriter
 * @text: a step title, such as "▶ Step 2 of 5: Build container image"
 *
 * Writes @text as it is, in bold. Each line of @text becomes one log line. The writer writes
 * to the file without syncing it, so this is safe to call on the main thread.
 */
void
dr_log_writer_write_header (DrLogWriter *self,
                            const char  *text)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (text != NULL);

  write_own_lines (self, "\033[1m", text);
}

/**
 * dr_log_writer_write_error:
 * @self: a #DrLogWriter
 * @text: an error message
 *
 * Writes @text in red, like dr_log_writer_write_header().
 */
void
dr_log_writer_write_error (DrLogWriter *self,
                           const char  *text)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (text != NULL);

  write_own_lines (self, "\033[31m", text);
}

/**
 * dr_log_writer_write_note:
 * @self: a #DrLogWriter
 * @text: a remark of the app's
 *
 * Writes @text dimmed, like dr_log_writer_write_header().
 */
void
dr_log_writer_write_note (DrLogWriter *self,
                          const char  *text)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (text != NULL);

  write_own_lines (self, "\033[2m", text);
}

/**
 * dr_log_writer_close:
 * @self: a #DrLogWriter
 * @error: return location for a #GIOError
 *
 * Ends the stream, closes the file and marks the index complete. Calling it again returns the
 * same result.
 *
 * Returns: %FALSE if a write to the log file failed since the writer was made
 */
gboolean
dr_log_writer_close (DrLogWriter  *self,
                     GError      **error)
{
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&self->mutex);

  if (!self->closed) {
    finish_stream (self);
    self->closed = TRUE;

    if (close (self->fd) != 0 && self->error == NULL) {
      int saved_errno = errno;

      g_set_error (&self->error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to write the log file “%s”: %s"),
                   dr_log_index_get_path (self->index), g_strerror (saved_errno));
    }
    self->fd = -1;

    dr_log_index_mark_complete (self->index);
  }

  ok = self->error == NULL;
  if (!ok)
    g_propagate_error (error, g_error_copy (self->error));

  g_mutex_unlock (&self->mutex);

  return ok;
}

/**
 * dr_log_writer_free:
 * @self: (transfer full): a #DrLogWriter
 *
 * Closes the writer if needed, dropping any error, and frees it. No thread may be feeding it.
 */
void
dr_log_writer_free (DrLogWriter *self)
{
  if (self == NULL)
    return;

  dr_log_writer_close (self, NULL);

  g_clear_object (&self->index);
  g_clear_pointer (&self->secrets, g_ptr_array_unref);
  g_clear_pointer (&self->buffer, g_free);
  g_string_free (self->sgr_carry, TRUE);
  g_clear_pointer (&self->line_ends, g_array_unref);
  g_clear_pointer (&self->published_pending, g_free);
  g_clear_error (&self->error);
  g_mutex_clear (&self->mutex);
  g_free (self);
}
