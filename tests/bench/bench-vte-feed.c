/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Measures a terminal widget showing the same step output as the log window benchmark:
 * 1,000,000 lines of 90 bytes, read from the command's pipe on the main loop and passed to a
 * VteTerminal with vte_terminal_feed() one read at a time. This is the alternative to the list
 * view over the log file, measured so that the choice rests on figures from the same machine.
 *
 * A program writing to a terminal goes through the terminal's line discipline, which turns
 * each "\n" into "\r\n" (ONLCR). VTE 0.70 ignores the line feed/new line mode (ESC [20h), so
 * bare "\n" would leave the cursor in its column, and each chunk is converted here the way the
 * line discipline would: 91 bytes a line reach the terminal. The terminal is 100 columns wide
 * so that no line wraps, and keeps unlimited scrollback, like the log window keeps every line.
 *
 * Each round runs the shell redirect as the baseline, then the terminal path. For the terminal
 * it records the wall time from the start until VTE has processed every byte, which is when its
 * cursor reaches row 1,000,000 (checked after every main-loop iteration). It also records the
 * maximum gap between frame-clock ticks and between runs of a 5 ms timer, and the peak resident
 * memory of this process (VmHWM, reset before each round). Exits non-zero only when something
 * is wrong: a terminal that does not end on row 1,000,000 or shows another last line.
 * DYNAMO_BENCH_ROUNDS sets the number of rounds (5 unless set). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <vte/vte.h>

#include "bench-common.h"

#define DEFAULT_ROUNDS 5
#define READ_SIZE (64 * 1024)
#define COLUMNS 100
#define ROWS 30

/* Output not processed this long after the pipe's end counts as a failure. */
#define PROCESSING_LIMIT_US (120 * G_USEC_PER_SEC)

typedef struct
{
  double baseline_s;
  double read_s;           /* from the start until the pipe's end was read */
  double terminal_s;       /* from the start until the terminal processed every byte */
  double frame_gap_ms;
  double timer_gap_ms;
  double start_mb;         /* resident memory when the round started */
  double peak_mb;
} RoundResult;

typedef struct
{
  VteTerminal  *terminal;
  GInputStream *output;
  GByteArray   *converted;
  guint64       n_bytes_read;
  gboolean      eof;
  gint64        eof_at;
  GError       *error;

  gint64        last_tick;
  gint64        frame_gap;
  gint64        last_timer;
  gint64        timer_gap;
} FeedRun;

static void read_output (FeedRun *run);

/* Feeds one chunk, with each "\n" turned into "\r\n" as a terminal's line discipline does. */
static void
feed_chunk (FeedRun    *run,
            const char *bytes,
            gsize       length)
{
  const char *end = bytes + length;
  const char *start = bytes;
  const char *newline;

  g_byte_array_set_size (run->converted, 0);
  while ((newline = memchr (start, '\n', end - start)) != NULL) {
    g_byte_array_append (run->converted, (const guint8 *) start, newline - start);
    g_byte_array_append (run->converted, (const guint8 *) "\r\n", 2);
    start = newline + 1;
  }
  g_byte_array_append (run->converted, (const guint8 *) start, end - start);

  vte_terminal_feed (run->terminal, (const char *) run->converted->data, run->converted->len);
}

static void
read_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  FeedRun *run = user_data;
  g_autoptr(GBytes) bytes = NULL;
  gsize length;
  const char *data;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &run->error);
  if (bytes == NULL || g_bytes_get_size (bytes) == 0) {
    run->eof = TRUE;
    run->eof_at = g_get_monotonic_time ();
    return;
  }

  data = g_bytes_get_data (bytes, &length);
  run->n_bytes_read += length;
  feed_chunk (run, data, length);
  read_output (run);
}

/* Reads the next chunk at the default priority. The pipe is pollable, so the read waits in
 * the main loop, not in a thread. */
static void
read_output (FeedRun *run)
{
  g_input_stream_read_bytes_async (run->output, READ_SIZE, G_PRIORITY_DEFAULT, NULL,
                                   read_done_cb, run);
}

/* Runs at the start of every frame, as in bench-log-window.c: a late tick is a frame the window
 * did not show. */
static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  FeedRun *run = user_data;
  gint64 now = g_get_monotonic_time ();

  if (run->last_tick != 0)
    run->frame_gap = MAX (run->frame_gap, now - run->last_tick);
  run->last_tick = now;

  return G_SOURCE_CONTINUE;
}

static gboolean
timer_cb (gpointer user_data)
{
  FeedRun *run = user_data;
  gint64 now = g_get_monotonic_time ();

  if (run->last_timer != 0)
    run->timer_gap = MAX (run->timer_gap, now - run->last_timer);
  run->last_timer = now;

  return G_SOURCE_CONTINUE;
}

static glong
cursor_row (VteTerminal *terminal)
{
  glong column, row;

  vte_terminal_get_cursor_position (terminal, &column, &row);

  return row;
}

static void
check_terminal (VteTerminal *terminal)
{
  g_autofree char *last = NULL;

  if (cursor_row (terminal) != BENCH_N_LINES)
    bench_die ("the terminal's cursor is on row %ld, expected %d", cursor_row (terminal),
               BENCH_N_LINES);

  last = vte_terminal_get_text_range (terminal, BENCH_N_LINES - 1, 0, BENCH_N_LINES - 1,
                                      COLUMNS - 1, NULL, NULL, NULL);
  if (last == NULL || g_strcmp0 (g_strchomp (last), BENCH_LAST_LINE) != 0)
    bench_die ("the terminal's last line is “%s”, expected “%s”", last, BENCH_LAST_LINE);
}

static void
run_terminal (const char  *directory,
              RoundResult *round)
{
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *terminal = vte_terminal_new ();
  FeedRun run = { 0 };
  guint tick_id, timer_id;
  gint64 start, processed_at;

  run.terminal = VTE_TERMINAL (terminal);
  run.converted = g_byte_array_sized_new (READ_SIZE + READ_SIZE / 8);
  vte_terminal_set_size (run.terminal, COLUMNS, ROWS);
  vte_terminal_set_scrollback_lines (run.terminal, -1);
  gtk_window_set_title (GTK_WINDOW (window), "Terminal");
  gtk_window_set_child (GTK_WINDOW (window), terminal);
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (terminal))
    g_main_context_iteration (NULL, TRUE);
  bench_wait_ms (300);

  round->start_mb = bench_read_memory_mb ("VmRSS");
  if (!bench_reset_peak_memory ())
    g_printerr ("# could not reset the peak memory: the figure covers every round so far\n");
  tick_id = gtk_widget_add_tick_callback (terminal, tick_cb, &run, NULL);
  timer_id = g_timeout_add (BENCH_TIMER_INTERVAL_MS, timer_cb, &run);

  start = g_get_monotonic_time ();
  subprocess = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                 "sh", "-c", BENCH_OUTPUT_COMMAND, NULL);
  if (subprocess == NULL)
    bench_die ("the command could not start: %s", error->message);
  run.output = g_subprocess_get_stdout_pipe (subprocess);
  read_output (&run);

  while (!run.eof)
    g_main_context_iteration (NULL, TRUE);
  if (run.error != NULL)
    bench_die ("could not read the command's output: %s", run.error->message);

  while (cursor_row (run.terminal) < BENCH_N_LINES) {
    if (g_get_monotonic_time () - run.eof_at > PROCESSING_LIMIT_US)
      bench_die ("the terminal had processed %ld lines %d s after the output ended",
                 cursor_row (run.terminal), (int) (PROCESSING_LIMIT_US / G_USEC_PER_SEC));
    g_main_context_iteration (NULL, TRUE);
  }
  processed_at = g_get_monotonic_time ();

  gtk_widget_remove_tick_callback (terminal, tick_id);
  g_source_remove (timer_id);

  round->read_s = bench_seconds_between (start, run.eof_at);
  round->terminal_s = bench_seconds_between (start, processed_at);
  round->frame_gap_ms = run.frame_gap / 1000.0;
  round->timer_gap_ms = run.timer_gap / 1000.0;
  round->peak_mb = bench_read_memory_mb ("VmHWM");

  if (!g_subprocess_wait_check (subprocess, NULL, &error))
    bench_die ("the command failed: %s", error->message);
  if (run.n_bytes_read != BENCH_N_BYTES)
    bench_die ("read %" G_GUINT64_FORMAT " bytes from the command, expected %" G_GUINT64_FORMAT,
               run.n_bytes_read, BENCH_N_BYTES);
  check_terminal (run.terminal);

  g_byte_array_unref (run.converted);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *directory = NULL;
  guint n_rounds = bench_get_n_rounds (DEFAULT_ROUNDS);
  g_autofree double *baselines = g_new (double, n_rounds);
  g_autofree double *terminals = g_new (double, n_rounds);
  g_autofree double *frame_gaps = g_new (double, n_rounds);
  g_autofree double *timer_gaps = g_new (double, n_rounds);
  g_autofree double *peaks = g_new (double, n_rounds);
  double baseline, terminal;

  gtk_init ();

  directory = g_dir_make_tmp ("dynamo-bench-XXXXXX", &error);
  if (directory == NULL)
    bench_die ("could not create a temporary folder: %s", error->message);

  printf ("VTE %d.%d.%d terminal of %d × %d with unlimited scrollback: %d lines of %d bytes "
          "(%.0f MB) fed from a pipe, %u rounds\n", vte_get_major_version (),
          vte_get_minor_version (), vte_get_micro_version (), COLUMNS, ROWS, BENCH_N_LINES,
          BENCH_LINE_BYTES, BENCH_N_BYTES / 1e6, n_rounds);
  for (guint i = 0; i < n_rounds; i++) {
    RoundResult round = { 0 };

    if (i % 2 == 0) {
      round.baseline_s = bench_run_baseline (directory);
      run_terminal (directory, &round);
    } else {
      run_terminal (directory, &round);
      round.baseline_s = bench_run_baseline (directory);
    }

    baselines[i] = round.baseline_s;
    terminals[i] = round.terminal_s;
    frame_gaps[i] = round.frame_gap_ms;
    timer_gaps[i] = round.timer_gap_ms;
    peaks[i] = round.peak_mb;
    printf ("round %u: redirected %.3f s, pipe read to its end after %.3f s, terminal done "
            "after %.3f s (%.2f times), max frame gap %.0f ms, max timer wait %.0f ms, "
            "resident %.0f MB at the start, peak %.0f MB\n", i + 1, round.baseline_s,
            round.read_s, round.terminal_s, round.terminal_s / round.baseline_s,
            round.frame_gap_ms, round.timer_gap_ms, round.start_mb, round.peak_mb);
    fflush (stdout);
  }

  baseline = bench_median (baselines, n_rounds);
  terminal = bench_median (terminals, n_rounds);
  printf ("median redirected to a file: %.3f s\n", baseline);
  printf ("median through the terminal: %.3f s\n", terminal);
  printf ("median max gap between frames: %.0f ms (max %.0f ms)\n",
          bench_median (frame_gaps, n_rounds), bench_max (frame_gaps, n_rounds));
  printf ("median max wait of the %d ms timer: %.0f ms (max %.0f ms)\n",
          BENCH_TIMER_INTERVAL_MS, bench_median (timer_gaps, n_rounds),
          bench_max (timer_gaps, n_rounds));
  printf ("peak resident memory of this process: median %.0f MB, max %.0f MB\n",
          bench_median (peaks, n_rounds), bench_max (peaks, n_rounds));
  /* The log window's targets, for comparison: the terminal is not part of the product. */
  printf ("verdict: terminal %.2f times the redirect (log window target at most 3): %s\n",
          terminal / baseline, bench_verdict (terminal / baseline <= 3.0));
  printf ("verdict: terminal peak resident memory %.0f MB (log window target under 300 MB): "
          "%s\n", bench_max (peaks, n_rounds), bench_verdict (bench_max (peaks, n_rounds) < 300));

  g_rmdir (directory);

  return EXIT_SUCCESS;
}
