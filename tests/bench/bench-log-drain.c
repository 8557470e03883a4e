/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Measures the log path without a window. The command of bench-log-window.c (1,000,000 lines
 * of 90 bytes) is drained through dr_process_run_async() into a DrLogIndex, with a DrLogModel
 * connected and a main loop running, and compared with the shell redirecting the same output
 * to a file. Set beside bench-log-window.c, it tells how much of that time the widgets take.
 *
 * Prints every round, the medians, the maximum wait of a 5 ms timer (a blocked main loop), the
 * time from completion until the model contains the last line, and the peak resident memory
 * of this process (VmHWM, reset before each round). Exits non-zero only when the log does not
 * contain exactly 1,000,000 lines and 90,000,000 bytes. DYNAMO_BENCH_ROUNDS sets the number of
 * rounds (5 unless set). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib/gstdio.h>

#include "bench-common.h"
#include "dr-process.h"

#define DEFAULT_ROUNDS 5

typedef struct
{
  DrLogModel     *model;
  gboolean        done;
  gint64          done_at;
  gint64          last_line_at;
  DrProcessResult result;
  GError         *error;
  gint64          last_timer;
  gint64          timer_gap;
} DrainRun;

static gboolean
timer_cb (gpointer user_data)
{
  DrainRun *run = user_data;
  gint64 now = g_get_monotonic_time ();

  if (run->last_timer != 0)
    run->timer_gap = MAX (run->timer_gap, now - run->last_timer);
  run->last_timer = now;

  return G_SOURCE_CONTINUE;
}

/* Reads the last 50 items on each change, as a list view following the log binds its rows. */
static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  DrainRun   *run)
{
  guint n_items = g_list_model_get_n_items (model);

  for (guint i = n_items > 50 ? n_items - 50 : 0; i < n_items; i++)
    g_object_unref (g_list_model_get_item (model, i));

  if (n_items >= BENCH_N_LINES && run->last_line_at == 0)
    run->last_line_at = g_get_monotonic_time ();
}

static void
process_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  DrainRun *run = user_data;

  run->done_at = g_get_monotonic_time ();
  dr_process_run_finish (result, &run->result, &run->error);
  run->done = TRUE;
}

/* Runs the command through a DrLogIndex and returns the wall time from the start to the
 * completion callback. Sets the other figures through the pointers. */
static double
run_drained (const char *directory,
             double     *last_line_ms,
             double     *timer_gap_ms,
             double     *peak_mb)
{
  g_autofree char *path = g_build_filename (directory, "drained.log", NULL);
  const char *argv[] = { "sh", "-c", BENCH_OUTPUT_COMMAND, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(DrLogIndex) index = NULL;
  g_autoptr(DrLogModel) model = NULL;
  g_autofree char *last = NULL;
  DrLogWriter *writer;
  DrainRun run = { 0 };
  guint timer_id;
  gint64 start;

  index = dr_log_index_new_for_writing (path, &error);
  if (index == NULL)
    bench_die ("could not create the log %s: %s", path, error->message);
  writer = dr_log_writer_new (index);
  model = dr_log_model_new (index);
  run.model = model;
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &run);

  if (!bench_reset_peak_memory ())
    g_printerr ("# could not reset the peak memory: the figure covers every round so far\n");
  timer_id = g_timeout_add (BENCH_TIMER_INTERVAL_MS, timer_cb, &run);

  start = g_get_monotonic_time ();
  dr_process_run_async (argv, directory, NULL, 0, 5, writer, NULL, process_done_cb, &run);
  while (!run.done || run.last_line_at == 0)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timer_id);

  if (run.error != NULL)
    bench_die ("the command could not run: %s", run.error->message);
  if (run.result.end != DR_PROCESS_EXITED || run.result.exit_status != 0)
    bench_die ("the command ended with status %d", run.result.exit_status);

  *last_line_ms = MAX (0, run.last_line_at - run.done_at) / 1000.0;
  *timer_gap_ms = run.timer_gap / 1000.0;
  *peak_mb = bench_read_memory_mb ("VmHWM");

  if (dr_log_index_get_n_lines (index) != BENCH_N_LINES)
    bench_die ("the log index counts %u lines, expected %d", dr_log_index_get_n_lines (index),
               BENCH_N_LINES);
  if (dr_log_index_get_n_bytes (index) != BENCH_N_BYTES)
    bench_die ("the log index counts %" G_GUINT64_FORMAT " bytes, expected %" G_GUINT64_FORMAT,
               dr_log_index_get_n_bytes (index), BENCH_N_BYTES);
  last = dr_log_index_dup_line (index, BENCH_N_LINES - 1);
  if (g_strcmp0 (last, BENCH_LAST_LINE) != 0)
    bench_die ("the last line of the log is “%s”, expected “%s”", last, BENCH_LAST_LINE);

  if (!dr_log_writer_close (writer, &error))
    bench_die ("could not close the log %s: %s", path, error->message);
  dr_log_writer_free (writer);
  g_clear_object (&model);
  g_clear_object (&index);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_remove (path);

  return bench_seconds_between (start, run.done_at);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *directory = g_dir_make_tmp ("dynamo-bench-XXXXXX", &error);
  guint n_rounds = bench_get_n_rounds (DEFAULT_ROUNDS);
  g_autofree double *redirected = g_new (double, n_rounds);
  g_autofree double *drained = g_new (double, n_rounds);
  g_autofree double *last_lines = g_new (double, n_rounds);
  g_autofree double *timer_gaps = g_new (double, n_rounds);
  g_autofree double *peaks = g_new (double, n_rounds);
  double baseline, product;

  if (directory == NULL)
    bench_die ("could not create a temporary folder: %s", error->message);

  printf ("log drain without a window: %d lines of %d bytes (%.0f MB), %u rounds\n",
          BENCH_N_LINES, BENCH_LINE_BYTES, BENCH_N_BYTES / 1e6, n_rounds);
  for (guint i = 0; i < n_rounds; i++) {
    if (i % 2 == 0) {
      redirected[i] = bench_run_baseline (directory);
      drained[i] = run_drained (directory, &last_lines[i], &timer_gaps[i], &peaks[i]);
    } else {
      drained[i] = run_drained (directory, &last_lines[i], &timer_gaps[i], &peaks[i]);
      redirected[i] = bench_run_baseline (directory);
    }
    printf ("round %u: redirected %.3f s, drained %.3f s (%.2f times), last line in the model "
            "after %.0f ms, max timer wait %.0f ms, peak %.0f MB (%s first)\n", i + 1,
            redirected[i], drained[i], drained[i] / redirected[i], last_lines[i], timer_gaps[i],
            peaks[i], i % 2 == 0 ? "redirect" : "drain");
    fflush (stdout);
  }

  baseline = bench_median (redirected, n_rounds);
  product = bench_median (drained, n_rounds);
  printf ("median redirected to a file: %.3f s\n", baseline);
  printf ("median through DrLogIndex: %.3f s\n", product);
  printf ("median last line in the model after completion: %.0f ms (max %.0f ms)\n",
          bench_median (last_lines, n_rounds), bench_max (last_lines, n_rounds));
  printf ("median max wait of the %d ms timer: %.0f ms (max %.0f ms)\n",
          BENCH_TIMER_INTERVAL_MS, bench_median (timer_gaps, n_rounds),
          bench_max (timer_gaps, n_rounds));
  printf ("peak resident memory of this process: max %.0f MB\n", bench_max (peaks, n_rounds));
  /* The log window's throughput target, which this path bounds from below. */
  printf ("verdict: drain %.2f times the redirect (log window target at most 3): %s\n",
          product / baseline, bench_verdict (product / baseline <= 3.0));

  g_rmdir (directory);

  return EXIT_SUCCESS;
}
