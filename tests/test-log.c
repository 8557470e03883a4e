/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "dr-log.h"

#define MAX_LINE 65536
#define REPLACEMENT "\xef\xbf\xbd"

typedef struct
{
  char        *directory;
  char        *path;
  DrLogIndex  *index;
  DrLogWriter *writer;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->directory = g_dir_make_tmp ("dynamo-test-log-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->directory, "run.log", NULL);
  fixture->index = dr_log_index_new_for_writing (fixture->path, &error);
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

  /* Let pending notifications release their references. */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  remove_tree (fixture->directory);
  g_free (fixture->directory);
  g_free (fixture->path);
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);

  return contents;
}

static void
close_writer (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  dr_log_writer_close (fixture->writer, &error);
  g_assert_no_error (error);
}

static void
feed (DrLogWriter *writer,
      const char  *text)
{
  dr_log_writer_feed (writer, text, strlen (text));
}

/* Runs the default main context until `*flag` is set by a callback. */
static void
iterate_until (gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
}

static void
set_flag_cb (gpointer  object,
             gboolean *flag)
{
  *flag = TRUE;
}

static void
wait_for_completion (DrLogIndex *index)
{
  gboolean completed = dr_log_index_is_complete (index);
  gulong handler = g_signal_connect (index, "completed", G_CALLBACK (set_flag_cb), &completed);

  /* The signal may still be on its way even when the flag is already set. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  iterate_until (&completed);
  g_signal_handler_disconnect (index, handler);

  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Sanitizer */

typedef struct
{
  const char *name;
  const char *secret;
  const char *pieces[5];        /* fed one call each */
  const char *expected;         /* the file: lines joined by newlines */
} SanitizeCase;

static const SanitizeCase sanitize_cases[] = {
  { "plain lines", NULL, { "hello\nworld\n" }, "hello\nworld\n" },
  { "empty lines", NULL, { "\n\na\n" }, "\n\na\n" },
  { "last line without newline", NULL, { "a\nb" }, "a\nb\n" },
  { "line across feeds", NULL, { "hel", "lo\n" }, "hello\n" },
  { "CRLF", NULL, { "one\r\ntwo\r\n" }, "one\ntwo\n" },
  { "CRLF across feeds", NULL, { "one\r", "\ntwo\n" }, "one\ntwo\n" },
  { "carriage return progress", NULL,
    { "progress 10%\rprogress 50%\rprogress 100%\n" }, "progress 100%\n" },
  { "progress across feeds", NULL,
    { "progress 10%\r", "progress 60%\r", "progress 100%\n" }, "progress 100%\n" },
  { "carriage return at end of stream", NULL, { "done 100%\r" }, "done 100%\n" },
  { "progress with erase line", NULL, { "50%\r\033[K100%\n" }, "100%\n" },
  { "shorter progress text", NULL, { "downloading\rok\n" }, "ok\n" },
  { "colour after carriage return", NULL, { "\033[33m50%\r\033[32m100%\n" },
    "\033[33m\033[32m100%\n" },
  { "reset after final carriage return", NULL, { "\033[32mdone\r\033[0m\n" },
    "\033[32mdone\033[0m\n" },
  { "invalid byte", NULL, { "a\xff" "b\n" }, "a" REPLACEMENT "b\n" },
  { "lone continuation byte", NULL, { "a\x80" "b\n" }, "a" REPLACEMENT "b\n" },
  { "truncated character", NULL, { "\xe2\x82x\n" }, REPLACEMENT "x\n" },
  { "overlong encoding", NULL, { "\xc0\xaf\n" }, REPLACEMENT REPLACEMENT "\n" },
  { "surrogate", NULL, { "\xed\xa0\x80\n" }, REPLACEMENT REPLACEMENT REPLACEMENT "\n" },
  { "past U+10FFFF", NULL, { "\xf4\x90\x80\x80\n" },
    REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT "\n" },
  { "two-byte character split", NULL, { "caf\xc3", "\xa9\n" }, "café\n" },
  { "four-byte character in three feeds", NULL, { "\xf0\x9f", "\x98", "\x80 ok\n" },
    "😀 ok\n" },
  { "character cut by end of stream", NULL, { "x\xe2\x82" }, "x" REPLACEMENT "\n" },
  { "valid multibyte text", NULL, { "Entorno de Control de Calidad ✓\n" },
    "Entorno de Control de Calidad ✓\n" },
  { "SGR kept", NULL, { "\033[1;31mred\033[0m plain\n" }, "\033[1;31mred\033[0m plain\n" },
  { "SGR across feeds", NULL, { "\033[3", "1mred\n" }, "\033[31mred\n" },
  { "escape at end of feed", NULL, { "x\033", "[Ky\n" }, "xy\n" },
  { "SGR carried to next line", NULL, { "\033[32mgreen\nstill\033[0m\nplain\n" },
    "\033[32mgreen\n\033[32mstill\033[0m\nplain\n" },
  { "cursor movement dropped", NULL, { "a\033[2Kb\033[10;5Hc\033[?25ld\033[3A\n" }, "abcd\n" },
  { "private SGR-like sequence dropped", NULL, { "a\033[>4;2mb\n" }, "ab\n" },
  { "OSC ended by BEL", NULL, { "\033]0;title\007text\n" }, "text\n" },
  { "OSC ended by ST", NULL, { "\033]8;;http://example.com\033\\link\033]8;;\033\\\n" },
    "link\n" },
  { "OSC across feeds", NULL, { "\033]0;ti", "tle\007after\n" }, "after\n" },
  { "OSC cut by newline", NULL, { "\033]0;title\nnext\n" }, "\nnext\n" },
  { "DCS dropped", NULL, { "a\033Pq#0;2;0;0;0\033\\b\n" }, "ab\n" },
  { "two-byte escapes dropped", NULL, { "\033(Bx\0337y\033=z\033Mw\n" }, "xyzw\n" },
  { "C0 controls dropped except tab", NULL, { "a\x01" "b\x07" "c\td\x7f\x08\n" }, "abc\td\n" },
  { "C1 control dropped", NULL, { "a\xc2\x9b" "b\n" }, "ab\n" },
  { "only SGR after last newline", NULL, { "text\n\033[0m" }, "text\n" },
  { "secret", "hunter2", { "pw=hunter2 ok\n" }, "pw=******** ok\n" },
  { "secret twice", "hunter2", { "hunter2 and hunter2\n" }, "******** and ********\n" },
  { "secret across feeds", "hunter2", { "pw=hun", "ter", "2\n" }, "pw=********\n" },
  { "secret prefix only", "hunter2", { "hunter3 hunte\n" }, "hunter3 hunte\n" },
  { "secret after progress", "hunter2", { "hunter\rpw hunter2\n" }, "pw ********\n" },
  { "secret split by colour", "hunter2",
    { "\033[1mpw=hun\033[0mter2 ok\n" }, "pw=******** ok\n" },
};

static void
test_sanitize_case (Fixture       *fixture,
                    gconstpointer  user_data)
{
  const SanitizeCase *test_case = user_data;
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_lines;

  if (test_case->secret != NULL)
    dr_log_writer_add_secret (fixture->writer, test_case->secret);

  for (guint i = 0; i < G_N_ELEMENTS (test_case->pieces) && test_case->pieces[i]; i++)
    feed (fixture->writer, test_case->pieces[i]);
  close_writer (fixture);

  contents = read_file (fixture->path);
  g_assert_cmpstr (contents, ==, test_case->expected);

  lines = g_strsplit (test_case->expected, "\n", -1);
  n_lines = g_strv_length (lines) - 1;
  g_assert_cmpuint (dr_log_index_get_n_lines (fixture->index), ==, n_lines);
  g_assert_cmpuint (dr_log_index_get_n_bytes (fixture->index), ==, strlen (contents));

  for (guint i = 0; i < n_lines; i++) {
    g_autofree char *line = dr_log_index_dup_line (fixture->index, i);

    g_assert_cmpstr (line, ==, lines[i]);
  }

  g_assert_null (dr_log_index_dup_line (fixture->index, n_lines));
}

static void
test_sanitize_long_line (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *input = g_malloc (MAX_LINE + 11);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  memset (input, 'x', MAX_LINE + 10);
  input[MAX_LINE + 10] = '\n';
  dr_log_writer_feed (fixture->writer, input, MAX_LINE + 11);
  close_writer (fixture);

  g_assert_cmpuint (dr_log_index_get_n_lines (fixture->index), ==, 2);
  first = dr_log_index_dup_line (fixture->index, 0);
  second = dr_log_index_dup_line (fixture->index, 1);
  g_assert_cmpuint (strlen (first), ==, MAX_LINE);
  g_assert_cmpstr (second, ==, "xxxxxxxxxx");
}

static void
test_sanitize_long_multibyte_line (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  g_autoptr(GString) input = g_string_new (NULL);
  g_autoptr(GString) joined = g_string_new (NULL);
  guint n_lines;

  /* 2-byte and 3-byte characters, so that the limit falls inside one of them. */
  for (guint i = 0; i < 30000; i++)
    g_string_append (input, i % 2 == 0 ? "é" : "€");
  dr_log_writer_feed (fixture->writer, input->str, input->len);
  close_writer (fixture);

  n_lines = dr_log_index_get_n_lines (fixture->index);
  g_assert_cmpuint (n_lines, ==, 2);

  for (guint i = 0; i < n_lines; i++) {
    g_autofree char *line = dr_log_index_dup_line (fixture->index, i);

    g_assert_cmpuint (strlen (line), <=, MAX_LINE);
    g_assert_true (g_utf8_validate (line, -1, NULL));
    g_string_append (joined, line);
  }

  g_assert_cmpstr (joined->str, ==, input->str);
}

static void
test_sanitize_secret_at_split (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GString) input = g_string_new (NULL);
  g_autofree char *contents = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  dr_log_writer_add_secret (fixture->writer, "hunter2");

  /* The line limit falls inside the secret: "hun" would end the first line. */
  for (guint i = 0; i < MAX_LINE - 3; i++)
    g_string_append_c (input, 'x');
  g_string_append (input, "hunter2\n");
  dr_log_writer_feed (fixture->writer, input->str, input->len);
  close_writer (fixture);

  contents = read_file (fixture->path);
  g_assert_null (strstr (contents, "hun"));
  g_assert_null (strstr (contents, "ter2"));

  g_assert_cmpuint (dr_log_index_get_n_lines (fixture->index), ==, 2);
  first = dr_log_index_dup_line (fixture->index, 0);
  second = dr_log_index_dup_line (fixture->index, 1);
  g_assert_cmpuint (strlen (first), ==, MAX_LINE - 3);
  g_assert_cmpstr (second, ==, "********");
}

static void
test_sanitize_multiline_secret (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autofree char *contents = NULL;

  dr_log_writer_add_secret (fixture->writer, "first-line-of-key\nsecond-line\n==");
  feed (fixture->writer, "a first-line-of-key\nsecond-line b ==\n");
  close_writer (fixture);

  contents = read_file (fixture->path);
  g_assert_cmpstr (contents, ==, "a ********\n******** b ==\n");
}

/* Pending line */

static void
test_pending_line (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *pending = NULL;
  g_autofree char *line = NULL;

  feed (fixture->writer, "partial");
  pending = dr_log_index_dup_pending (fixture->index);
  g_assert_null (pending);

  feed (fixture->writer, "\rstep 1/3");
  pending = dr_log_index_dup_pending (fixture->index);
  g_assert_cmpstr (pending, ==, "step 1/3");
  g_clear_pointer (&pending, g_free);

  feed (fixture->writer, "\r");
  pending = dr_log_index_dup_pending (fixture->index);
  g_assert_cmpstr (pending, ==, "step 1/3");
  g_clear_pointer (&pending, g_free);

  feed (fixture->writer, "step 2/3");
  pending = dr_log_index_dup_pending (fixture->index);
  g_assert_cmpstr (pending, ==, "step 2/3");
  g_clear_pointer (&pending, g_free);
  g_assert_cmpuint (dr_log_index_get_n_lines (fixture->index), ==, 0);

  feed (fixture->writer, "\rstep 3/3\n");
  pending = dr_log_index_dup_pending (fixture->index);
  g_assert_null (pending);
  g_assert_cmpuint (dr_log_index_get_n_lines (fixture->index), ==, 1);
  line = dr_log_index_dup_line (fixture->index, 0);
  g_assert_cmpstr (line, ==, "step 3/3");
}

static void
test_pending_line_hides_secret_start (Fixture       *fixture,
                                      gconstpointer  user_data)
{
  g_autofree char *pending = NULL;

  dr_log_writer_add_secret (fixture->writer, "hunter2");
  feed (fixture->writer, "\rtoken=hunt");

  pending = dr_log_index_dup_pending (fixture->index);
  g_assert_cmpstr (pending, ==, "token=");
  g_clear_pointer (&pending, g_free);

  feed (fixture->writer, "er2 ok");
  pending = dr_log_index_dup_pending (fixture->index);
  g_assert_cmpstr (pending, ==, "token=******** ok");
}

/* The app's own lines */

static void
test_own_lines (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *contents = NULL;

  dr_log_writer_add_secret (fixture->writer, "s3cret");
  dr_log_writer_write_header (fixture->writer, "▶ Step 2 of 5: Build container image");
  feed (fixture->writer, "out 1\npartial");
  dr_log_writer_write_error (fixture->writer, "Login failed with s3cret");
  feed (fixture->writer, " rest\n");
  dr_log_writer_write_note (fixture->writer, "first\nsecond\x01\033[2J\n");
  close_writer (fixture);

  contents = read_file (fixture->path);
  g_assert_cmpstr (contents, ==,
                   "\033[1m▶ Step 2 of 5: Build container image\033[0m\n"
                   "out 1\n"
                   "\033[31mLogin failed with ********\033[0m\n"
                   "partial rest\n"
                   "\033[2mfirst\033[0m\n"
                   "\033[2msecond[2J\033[0m\n");
  g_assert_cmpuint (dr_log_index_get_n_lines (fixture->index), ==, 6);
}

static void
test_streams_reset_colour (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autofree char *contents = NULL;

  feed (fixture->writer, "\033[31mred\n");
  dr_log_writer_end_stream (fixture->writer);
  feed (fixture->writer, "next\n");
  close_writer (fixture);

  contents = read_file (fixture->path);
  g_assert_cmpstr (contents, ==, "\033[31mred\nnext\n");
}

/* strip_sgr */

static void
test_strip_sgr (void)
{
  static const struct {
    const char *line;
    const char *expected;
  } cases[] = {
    { "plain", "plain" },
    { "", "" },
    { "\033[1;31mred\033[0m text", "red text" },
    { "\033[mreset", "reset" },
    { "a\033[38;5;196mb\033[38:2:255:0:0mc", "abc" },
    { "cut \033[31", "cut " },
    { "é\033[1m€", "é€" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *plain = dr_log_strip_sgr (cases[i].line);

    g_assert_cmpstr (plain, ==, cases[i].expected);
  }
}

/* Model */

typedef struct
{
  DrLogModel *model;
  guint       n_emissions;
  guint       n_items;          /* the count implied by the emissions */
  gboolean    consistent;
} ItemsChangedLog;

static void
items_changed_cb (GListModel      *model,
                  guint            position,
                  guint            removed,
                  guint            added,
                  ItemsChangedLog *log)
{
  log->n_emissions++;
  if (position + removed > log->n_items)
    log->consistent = FALSE;
  log->n_items = log->n_items - removed + added;
  if (log->n_items != g_list_model_get_n_items (model))
    log->consistent = FALSE;
}

static gpointer
feed_lines_thread (gpointer data)
{
  DrLogWriter *writer = data;

  for (guint i = 0; i < 20000; i++) {
    g_autofree char *line = g_strdup_printf ("line %u\n", i);

    feed (writer, line);
  }
  dr_log_writer_close (writer, NULL);

  return NULL;
}

static void
test_model_items_changed (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(DrLogModel) model = dr_log_model_new (fixture->index);
  ItemsChangedLog log = { model, 0, 0, TRUE };
  g_autoptr(GThread) thread = NULL;
  g_autoptr(DrLogLine) first = NULL;
  g_autoptr(DrLogLine) last = NULL;

  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &log);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);

  thread = g_thread_new ("test-feed", feed_lines_thread, fixture->writer);
  wait_for_completion (fixture->index);
  g_thread_join (g_steal_pointer (&thread));

  g_assert_true (log.consistent);
  g_assert_cmpuint (log.n_items, ==, 20000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 20000);
  /* Lines are announced in batches, never one signal per line. */
  g_assert_cmpuint (log.n_emissions, >=, 1);
  g_assert_cmpuint (log.n_emissions, <, 20000 / 10);

  first = g_list_model_get_item (G_LIST_MODEL (model), 0);
  last = g_list_model_get_item (G_LIST_MODEL (model), 19999);
  g_assert_cmpstr (dr_log_line_get_text (first), ==, "line 0");
  g_assert_cmpuint (dr_log_line_get_position (first), ==, 0);
  g_assert_false (dr_log_line_is_pending (first));
  g_assert_cmpstr (dr_log_line_get_text (last), ==, "line 19999");
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), 20000));
}

/* Runs the main context until the model has announced a change and shows `n_items` items,
 * the last one with `last_text`. */
static void
wait_for_model (ItemsChangedLog *log,
                guint            n_items,
                const char      *last_text,
                gboolean         last_pending)
{
  guint n_emissions = log->n_emissions;

  for (;;) {
    GListModel *model = G_LIST_MODEL (log->model);
    guint n = g_list_model_get_n_items (model);

    if (log->n_emissions > n_emissions && n == n_items) {
      g_autoptr(DrLogLine) last = g_list_model_get_item (model, n - 1);

      if (g_strcmp0 (dr_log_line_get_text (last), last_text) == 0 &&
          dr_log_line_is_pending (last) == last_pending)
        return;
    }

    g_main_context_iteration (NULL, TRUE);
  }
}

static void
test_model_pending_line (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(DrLogModel) model = dr_log_model_new (fixture->index);
  ItemsChangedLog log = { model, 0, 0, TRUE };

  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &log);

  feed (fixture->writer, "first\n10%\r");
  wait_for_model (&log, 2, "10%", TRUE);

  feed (fixture->writer, "20%\r");
  wait_for_model (&log, 2, "20%", TRUE);

  feed (fixture->writer, "\n");
  wait_for_model (&log, 2, "20%", FALSE);

  feed (fixture->writer, "30%\r");
  wait_for_model (&log, 3, "30%", TRUE);

  close_writer (fixture);
  wait_for_model (&log, 3, "30%", FALSE);

  g_assert_true (log.consistent);
  g_assert_cmpuint (log.n_items, ==, 3);
}

/* Reading an existing file */

static DrLogIndex *
index_file_with_contents (Fixture    *fixture,
                          const char *contents,
                          gssize      length)
{
  g_autofree char *path = g_build_filename (fixture->directory, "existing.log", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);

  return dr_log_index_new_for_reading (path);
}

static void
test_read_existing (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(DrLogIndex) index = NULL;
  g_autoptr(DrLogModel) model = NULL;
  g_autoptr(DrLogLine) second = NULL;
  g_autofree char *third = NULL;
  ItemsChangedLog log = { NULL, 0, 0, TRUE };

  index = index_file_with_contents (fixture, "one\n\033[31mtwo\033[0m\nthree", -1);
  model = dr_log_model_new (index);
  log.model = model;
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &log);

  wait_for_completion (index);

  g_assert_true (dr_log_index_is_complete (index));
  g_assert_cmpuint (dr_log_index_get_n_lines (index), ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 3);
  g_assert_true (log.consistent);

  second = g_list_model_get_item (G_LIST_MODEL (model), 1);
  g_assert_cmpstr (dr_log_line_get_text (second), ==, "\033[31mtwo\033[0m");
  third = dr_log_index_dup_line (index, 2);
  g_assert_cmpstr (third, ==, "three");
}

static void
test_read_existing_large (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autoptr(DrLogIndex) index = NULL;
  g_autofree char *first = NULL;
  g_autofree char *middle = NULL;
  g_autofree char *last = NULL;

  /* About 3 MB, so the reader needs several chunks and lines straddle them. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_printf (contents, "line %06u of the existing log\n", i);

  index = index_file_with_contents (fixture, contents->str, (gssize) contents->len);
  wait_for_completion (index);

  g_assert_cmpuint (dr_log_index_get_n_lines (index), ==, 100000);
  g_assert_cmpuint (dr_log_index_get_n_bytes (index), ==, contents->len);
  first = dr_log_index_dup_line (index, 0);
  middle = dr_log_index_dup_line (index, 54321);
  last = dr_log_index_dup_line (index, 99999);
  g_assert_cmpstr (first, ==, "line 000000 of the existing log");
  g_assert_cmpstr (middle, ==, "line 054321 of the existing log");
  g_assert_cmpstr (last, ==, "line 099999 of the existing log");
}

static void
test_read_missing (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->directory, "missing.log", NULL);
  g_autoptr(DrLogIndex) index = dr_log_index_new_for_reading (path);

  wait_for_completion (index);

  g_assert_true (dr_log_index_is_complete (index));
  g_assert_cmpuint (dr_log_index_get_n_lines (index), ==, 0);
  g_assert_null (dr_log_index_dup_line (index, 0));
}

/* Following a file that another process writes */

/* Runs the main context until the model's last item is `text`, in follow mode or not. */
static void
wait_for_last_line (ItemsChangedLog *log,
                    const char      *text)
{
  for (;;) {
    GListModel *model = G_LIST_MODEL (log->model);
    guint n = g_list_model_get_n_items (model);

    if (n > 0) {
      g_autoptr(DrLogLine) last = g_list_model_get_item (model, n - 1);

      if (g_strcmp0 (dr_log_line_get_text (last), text) == 0)
        return;
    }

    g_main_context_iteration (NULL, TRUE);
  }
}

static void
assert_lines (DrLogIndex         *index,
              const char * const *expected)
{
  guint n_expected = g_strv_length ((char **) expected);

  g_assert_cmpuint (dr_log_index_get_n_lines (index), ==, n_expected);
  for (guint i = 0; i < n_expected; i++) {
    g_autofree char *line = dr_log_index_dup_line (index, i);

    g_assert_cmpstr (line, ==, expected[i]);
  }
}

/* Starts `cat`, which appends what the test writes to its input to `path` through its own
 * descriptor, one write() for each read(). */
static GSubprocess *
spawn_appender (const char *path)
{
  const char *argv[] = { "sh", "-c", "exec cat >> \"$0\"", path, NULL };
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE, &error);
  g_assert_no_error (error);

  return process;
}

static void
append_through (GSubprocess *appender,
                const char  *text)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_subprocess_get_stdin_pipe (appender), text, strlen (text), NULL,
                             NULL, &error);
  g_assert_no_error (error);
}

static void
test_follow_appended_lines (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->directory, "followed.log", NULL);
  g_autoptr(GSubprocess) appender = NULL;
  g_autoptr(DrLogIndex) index = NULL;
  g_autoptr(DrLogModel) model = NULL;
  g_autoptr(GError) error = NULL;
  ItemsChangedLog log = { NULL, 0, 0, TRUE };
  const char *before_stop[] = { "first", "second", "\033[1mthird\033[0m", NULL };
  const char *after_stop[] = { "first", "second", "\033[1mthird\033[0m", "cut short", NULL };

  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
  index = dr_log_index_new_for_following (path);
  model = dr_log_model_new (index);
  log.model = model;
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &log);
  appender = spawn_appender (path);

  /* The line "second" reaches the file in two writes; the follower has read the first part
   * once "first", written along with it, shows. */
  append_through (appender, "first\nsec");
  wait_for_last_line (&log, "first");
  g_assert_cmpuint (dr_log_index_get_n_bytes (index), ==, strlen ("first\n"));
  g_assert_false (dr_log_index_is_complete (index));

  append_through (appender, "ond\n\033[1mthird\033[0m\n");
  wait_for_last_line (&log, "\033[1mthird\033[0m");
  assert_lines (index, before_stop);
  g_assert_null (dr_log_index_dup_pending (index));
  g_assert_false (dr_log_index_is_complete (index));

  /* A last line without a newline counts once the run has ended, as in a file cut short by a
   * crash. */
  append_through (appender, "cut short");
  g_output_stream_close (g_subprocess_get_stdin_pipe (appender), NULL, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check (appender, NULL, &error);
  g_assert_no_error (error);

  dr_log_index_stop_following (index);
  wait_for_completion (index);

  g_assert_true (dr_log_index_is_complete (index));
  assert_lines (index, after_stop);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 4);
  g_assert_true (log.consistent);
}

/* The writing process keeps a carriage-return line in memory until a newline ends it, so the
 * follower never shows it in progress, and then shows its last state as one line. */
static void
test_follow_writer_progress (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(DrLogIndex) index = dr_log_index_new_for_following (fixture->path);
  g_autoptr(DrLogModel) model = dr_log_model_new (index);
  ItemsChangedLog log = { model, 0, 0, TRUE };
  g_autofree char *writer_pending = NULL;
  const char *expected[] = { "\033[1m▶ Step 1 of 1: Download\033[0m", "before",
                             "Downloading 100%", "after", NULL };

  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &log);

  dr_log_writer_write_header (fixture->writer, "▶ Step 1 of 1: Download");
  feed (fixture->writer, "before\nDownloading 10%\r");
  wait_for_last_line (&log, "before");
  writer_pending = dr_log_index_dup_pending (fixture->index);
  g_assert_cmpstr (writer_pending, ==, "Downloading 10%");
  g_assert_null (dr_log_index_dup_pending (index));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 2);

  feed (fixture->writer, "Downloading 60%\rDownloading 100%");
  feed (fixture->writer, "\nafter\n");
  wait_for_last_line (&log, "after");
  close_writer (fixture);

  dr_log_index_stop_following (index);
  wait_for_completion (index);

  assert_lines (index, expected);
  g_assert_null (dr_log_index_dup_pending (index));
  g_assert_true (log.consistent);
  g_assert_cmpuint (log.n_items, ==, 4);
}

/* A run is recorded before its process creates the log file. */
static void
test_follow_file_created_later (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->directory, "later.log", NULL);
  g_autoptr(DrLogIndex) index = dr_log_index_new_for_following (path);
  g_autoptr(DrLogModel) model = dr_log_model_new (index);
  g_autoptr(GSubprocess) appender = NULL;
  g_autoptr(GError) error = NULL;
  ItemsChangedLog log = { model, 0, 0, TRUE };
  const char *expected[] = { "created", NULL };

  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &log);

  appender = spawn_appender (path);
  append_through (appender, "created\n");
  wait_for_last_line (&log, "created");

  g_output_stream_close (g_subprocess_get_stdin_pipe (appender), NULL, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check (appender, NULL, &error);
  g_assert_no_error (error);
  dr_log_index_stop_following (index);
  wait_for_completion (index);

  assert_lines (index, expected);
}

/* A dropped index is finalized although its run never ended, and its thread ends. */
static void
test_follow_dropped (Fixture       *fixture,
                     gconstpointer  user_data)
{
  DrLogIndex *index = dr_log_index_new_for_following (fixture->path);
  gpointer weak = index;

  g_object_add_weak_pointer (G_OBJECT (index), &weak);
  g_object_unref (index);

  /* The worker thread may hold a reference during a read, so the index goes after it. */
  while (weak != NULL) {
    g_main_context_iteration (NULL, FALSE);
    g_usleep (10 * 1000);
  }

  g_assert_null (weak);
}

/* Search and save */

typedef struct
{
  gboolean  done;
  GArray   *positions;
  GError   *error;
} SearchResult;

static void
search_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  SearchResult *search = user_data;

  search->positions = dr_log_index_search_finish (DR_LOG_INDEX (object), result,
                                                  &search->error);
  search->done = TRUE;
}

static GArray *
search (DrLogIndex  *index,
        const char  *pattern,
        gboolean     case_sensitive,
        GError     **error)
{
  SearchResult search = { FALSE, NULL, NULL };

  dr_log_index_search_async (index, pattern, case_sensitive, NULL, search_cb, &search);
  iterate_until (&search.done);
  if (search.error != NULL)
    g_propagate_error (error, search.error);

  return search.positions;
}

static void
write_search_lines (Fixture *fixture)
{
  static const char *lines[] = {
    "Starting build",
    "\033[31mERR\033[0mOR: image not found",
    "retrying",
    "error: timeout",
    "done",
  };

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++) {
    feed (fixture->writer, lines[i]);
    feed (fixture->writer, "\n");
  }

  /* Enough lines that the search reads more than one chunk of the file. */
  for (guint i = 0; i < 40000; i++) {
    g_autofree char *line = g_strdup_printf ("filler line %u of the build output\n", i);

    feed (fixture->writer, line);
  }
  feed (fixture->writer, "final error\n");
  close_writer (fixture);
}

static void
test_search (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr(GArray) insensitive = NULL;
  g_autoptr(GArray) sensitive = NULL;
  g_autoptr(GArray) regex = NULL;
  g_autoptr(GArray) none = NULL;
  g_autoptr(GError) error = NULL;

  write_search_lines (fixture);

  insensitive = search (fixture->index, "error", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (insensitive->len, ==, 3);
  g_assert_cmpuint (g_array_index (insensitive, guint, 0), ==, 1);
  g_assert_cmpuint (g_array_index (insensitive, guint, 1), ==, 3);
  g_assert_cmpuint (g_array_index (insensitive, guint, 2), ==, 40005);

  sensitive = search (fixture->index, "ERROR", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sensitive->len, ==, 1);
  g_assert_cmpuint (g_array_index (sensitive, guint, 0), ==, 1);

  regex = search (fixture->index, "^filler line 3999[0-9] ", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (regex->len, ==, 10);
  g_assert_cmpuint (g_array_index (regex, guint, 0), ==, 5 + 39990);

  none = search (fixture->index, "31m", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
}

static void
test_search_invalid_pattern (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(GArray) positions = NULL;
  g_autoptr(GError) error = NULL;

  close_writer (fixture);

  positions = search (fixture->index, "([unclosed", TRUE, &error);
  g_assert_error (error, G_REGEX_ERROR, G_REGEX_ERROR_UNTERMINATED_CHARACTER_CLASS);
  g_assert_null (positions);
}

static void
save_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SearchResult *save = user_data;

  dr_log_index_save_finish (DR_LOG_INDEX (object), result, &save->error);
  save->done = TRUE;
}

static void
test_save (Fixture       *fixture,
           gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->directory, "saved.txt", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (path);
  SearchResult save = { FALSE, NULL, NULL };
  g_autofree char *contents = NULL;

  dr_log_writer_write_header (fixture->writer, "▶ Step 1 of 1: Build");
  feed (fixture->writer, "\033[32mok\033[0m done\nplain\n");
  feed (fixture->writer, "progress\r");

  dr_log_index_save_async (fixture->index, destination, NULL, save_cb, &save);
  iterate_until (&save.done);
  g_assert_no_error (save.error);

  contents = read_file (path);
  g_assert_cmpstr (contents, ==, "▶ Step 1 of 1: Build\nok done\nplain\n");
}

static void
add_fixture_test (const char    *path,
                  gconstpointer  data,
                  void         (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, data, fixture_set_up, func, fixture_tear_down);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (sanitize_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/log/sanitize/%s", sanitize_cases[i].name);

    add_fixture_test (path, &sanitize_cases[i], test_sanitize_case);
  }
  add_fixture_test ("/log/sanitize/long-line", NULL, test_sanitize_long_line);
  add_fixture_test ("/log/sanitize/long-multibyte-line", NULL,
                    test_sanitize_long_multibyte_line);
  add_fixture_test ("/log/sanitize/secret-at-split", NULL, test_sanitize_secret_at_split);
  add_fixture_test ("/log/sanitize/multiline-secret", NULL, test_sanitize_multiline_secret);
  add_fixture_test ("/log/pending/progress", NULL, test_pending_line);
  add_fixture_test ("/log/pending/secret-start", NULL, test_pending_line_hides_secret_start);
  add_fixture_test ("/log/own-lines", NULL, test_own_lines);
  add_fixture_test ("/log/streams-reset-colour", NULL, test_streams_reset_colour);
  g_test_add_func ("/log/strip-sgr", test_strip_sgr);
  add_fixture_test ("/log/model/items-changed", NULL, test_model_items_changed);
  add_fixture_test ("/log/model/pending-line", NULL, test_model_pending_line);
  add_fixture_test ("/log/read/existing", NULL, test_read_existing);
  add_fixture_test ("/log/read/large", NULL, test_read_existing_large);
  add_fixture_test ("/log/read/missing", NULL, test_read_missing);
  add_fixture_test ("/log/follow/appended-lines", NULL, test_follow_appended_lines);
  add_fixture_test ("/log/follow/writer-progress", NULL, test_follow_writer_progress);
  add_fixture_test ("/log/follow/file-created-later", NULL, test_follow_file_created_later);
  add_fixture_test ("/log/follow/dropped", NULL, test_follow_dropped);
  add_fixture_test ("/log/search", NULL, test_search);
  add_fixture_test ("/log/search/invalid-pattern", NULL, test_search_invalid_pattern);
  add_fixture_test ("/log/save", NULL, test_save);

  return g_test_run ();
}
