/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Measures how long a step printing 1,000,000 lines (about 90 MB) takes in two ways. The first
 * has the shell redirect the output to a file. The second drains it through
 * dr_process_run_async() into a DrLogIndex, with a DrLogModel connected and a main loop running
 * as in the log window. Prints the median of several runs of each, the longest main loop stall,
 * the delay between the end of the step and the model showing its last line, and the peak
 * resident memory. */
#include "config.h"

#include <stdio.h>
#include <sys/resource.h>

#include <glib/gstdio.h>

#include "dr-process.h"

#define N_RUNS 5
#define N_LINES 1000000

/* About 91 bytes a line, like compiler output. */
static const char *script =
  "seq 1 1000000 | sed 's/$/ compiling module with flags -O2 -g -Wall -Wextra, "
  "the quick brown fox jumps over it/'";

typedef struct
{
  DrLogModel *model;
  gboolean    process_done;
  gboolean    last_line_shown;
  gint64      process_end_time;
  gint64      last_line_time;
  gint64      last_tick;
  gint64      longest_stall;
} DrainRun;

static double
seconds_since (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

static double
run_redirected (const char *directory,
                goffset    *n_bytes)
{
  g_autofree char *path = g_build_filename (directory, "redirected.log", NULL);
  g_autofree char *command = g_strdup_printf ("%s > '%s'", script, path);
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  GStatBuf info;
  double elapsed;

  subprocess = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sh", "-c", command, NULL);
  g_assert_no_error (error);
  g_subprocess_wait (subprocess, NULL, &error);
  g_assert_no_error (error);
  elapsed = seconds_since (start);

  g_assert_cmpint (g_stat (path, &info), ==, 0);
  *n_bytes = info.st_size;
  g_remove (path);

  return elapsed;
}

static gboolean
tick_cb (gpointer user_data)
{
  DrainRun *run = user_data;
  gint64 now = g_get_monotonic_time ();

  run->longest_stall = MAX (run->longest_stall, now - run->last_tick);
  run->last_tick = now;

  return G_SOURCE_CONTINUE;
}

/* Reads the visible end of the list on each change, as a list view following the log does. */
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

  if (run->process_done && n_items >= N_LINES && !run->last_line_shown) {
    run->last_line_shown = TRUE;
    run->last_line_time = g_get_monotonic_time ();
  }
}

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  DrainRun *run = user_data;
  DrProcessResult process_result;
  g_autoptr(GError) error = NULL;

  dr_process_run_finish (result, &process_result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (process_result.exit_status, ==, 0);

  run->process_done = TRUE;
  run->process_end_time = g_get_monotonic_time ();
  if (g_list_model_get_n_items (G_LIST_MODEL (run->model)) >= N_LINES) {
    run->last_line_shown = TRUE;
    run->last_line_time = run->process_end_time;
  }
}

static double
run_drained (const char *directory,
             goffset     n_bytes,
             double     *last_line_delay,
             double     *longest_stall)
{
  g_autofree char *path = g_build_filename (directory, "drained.log", NULL);
  const char *argv[] = { "sh", "-c", script, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(DrLogIndex) index = NULL;
  g_autoptr(DrLogModel) model = NULL;
  DrLogWriter *writer;
  DrainRun run = { 0 };
  GSource *tick;
  gint64 start;
  double elapsed;

  index = dr_log_index_new_for_writing (path, &error);
  g_assert_no_error (error);
  writer = dr_log_writer_new (index);
  model = dr_log_model_new (index);
  run.model = model;
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &run);

  tick = g_timeout_source_new (5);
  g_source_set_callback (tick, tick_cb, &run, NULL);
  g_source_attach (tick, NULL);

  start = g_get_monotonic_time ();
  run.last_tick = start;
  dr_process_run_async (argv, directory, NULL, 0, 5, writer, NULL, run_cb, &run);
  while (!run.process_done || !run.last_line_shown)
    g_main_context_iteration (NULL, TRUE);
  elapsed = (double) (run.process_end_time - start) / G_USEC_PER_SEC;

  g_source_destroy (tick);
  g_source_unref (tick);

  /* The log contains exactly the bytes that the redirected run wrote. */
  g_assert_cmpuint (dr_log_index_get_n_lines (index), ==, N_LINES);
  g_assert_cmpuint (dr_log_index_get_n_bytes (index), ==, (guint64) n_bytes);
  *last_line_delay = (double) (run.last_line_time - run.process_end_time) / G_USEC_PER_SEC;
  *longest_stall = (double) run.longest_stall / G_USEC_PER_SEC;

  dr_log_writer_free (writer);
  g_clear_object (&model);
  g_clear_object (&index);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_remove (path);

  return elapsed;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  if (x < y)
    return -1;
  if (x > y)
    return 1;

  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *directory = g_dir_make_tmp ("dynamo-bench-XXXXXX", &error);
  double redirected[N_RUNS];
  double drained[N_RUNS];
  double last_line_delay = 0;
  double longest_stall = 0;
  struct rusage usage;

  g_assert_no_error (error);

  for (guint i = 0; i < N_RUNS; i++) {
    goffset n_bytes;
    double delay;
    double stall;

    redirected[i] = run_redirected (directory, &n_bytes);
    drained[i] = run_drained (directory, n_bytes, &delay, &stall);
    last_line_delay = MAX (last_line_delay, delay);
    longest_stall = MAX (longest_stall, stall);
    printf ("run %u: %.1f MB, redirected %.3f s, drained %.3f s\n", i + 1,
            (double) n_bytes / 1e6, redirected[i], drained[i]);
  }

  qsort (redirected, N_RUNS, sizeof (double), compare_doubles);
  qsort (drained, N_RUNS, sizeof (double), compare_doubles);
  getrusage (RUSAGE_SELF, &usage);

  printf ("median redirected to a file: %.3f s\n", redirected[N_RUNS / 2]);
  printf ("median through DrLogIndex:   %.3f s (%.2f times)\n", drained[N_RUNS / 2],
          drained[N_RUNS / 2] / redirected[N_RUNS / 2]);
  printf ("last line in the model after the step ended: at most %.0f ms\n",
          last_line_delay * 1000);
  printf ("longest main loop stall: %.0f ms\n", longest_stall * 1000);
  printf ("peak resident memory: %ld MB\n", usage.ru_maxrss / 1024);

  g_rmdir (directory);

  return 0;
}
