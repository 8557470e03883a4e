/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Measures a step that prints 1,000,000 lines of 90 bytes while its log window is open and
 * following, against the same command with its output redirected to a file by the shell.
 *
 * Each round runs both, in alternating order. The product path is a DrLogWindow presented and
 * following, fed by dr_process_run_async() through a DrLogWriter into a DrLogIndex, as the
 * engine runs a step. For it the round records:
 * - the wall time from the start to the completion callback.
 * - the time from completion until the row showing the last line is inside the viewport. It is
 *   checked after every main-loop iteration while the log is still open for writing, as it is
 *   when a step ends and the run goes on.
 * - the maximum gap between two frame-clock ticks from the start until that row shows, and the
 *   maximum wait of a 5 ms timer (see tick_cb() and timer_cb()).
 * - the peak resident memory of this process (VmHWM, reset before each round through
 *   /proc/self/clear_refs). The command and its shell are separate processes, so their memory
 *   is not in that figure.
 *
 * Prints every round, the medians, and one verdict line per target. Exits non-zero only when
 * something is wrong: a log without exactly 1,000,000 lines and 90,000,000 bytes, follow mode
 * turned off, or a last line that is not visible 5 s after completion. In that last case the
 * round still closes the log and records how long the line then takes to show, and every
 * figure is printed before the exit. DYNAMO_BENCH_ROUNDS sets the number of rounds (5 unless
 * set). With DYNAMO_BENCH_SCREENSHOT_DIR set, one more round, not counted, saves screenshots of
 * the screen halfway through, when the last line is hidden, and at the end. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "bench-common.h"
#include "dr-log-window.h"
#include "dr-process.h"

#define N_LINES BENCH_N_LINES
#define N_BYTES BENCH_N_BYTES
#define LAST_LINE BENCH_LAST_LINE
#define DEFAULT_ROUNDS 5

#define TARGET_RATIO 3.0
#define TARGET_LAST_LINE_MS 100.0
#define TARGET_STALL_MS 50.0
#define TARGET_PEAK_MB 300.0

/* How long the last line may take to show after completion while the log is open (50 times
 * the target), and after it is closed. Past the second limit the benchmark fails. */
#define OPEN_LIMIT_US (5 * G_USEC_PER_SEC)
#define CLOSED_LIMIT_US (30 * G_USEC_PER_SEC)

typedef struct
{
  double baseline_s;
  double product_s;
  double last_line_ms;        /* -1 when the last line did not show while the log was open */
  char  *hidden_row;          /* then the lowest row that was visible instead */
  double after_close_ms;      /* then the time it took to show after the log was closed */
  double frame_gap_ms;        /* maximum gap between two frame-clock ticks */
  guint  frame_gap_lines;     /* lines in the index when that gap ended */
  double timer_gap_ms;        /* maximum gap between two runs of the 5 ms timer */
  guint  frames;              /* frames drawn from the start until completion */
  double layout_ms;           /* update and layout phases of the slowest frame */
  double paint_ms;            /* paint phase of the slowest frame */
  double model_change_ms;     /* maximum time the list's "items-changed" handlers took */
  double start_mb;            /* resident memory when the round started */
  double peak_mb;
} RoundResult;

typedef struct
{
  DrLogIndex     *index;
  gboolean        done;
  gint64          done_at;
  DrProcessResult result;
  GError         *error;

  gint64          last_tick;
  gint64          frame_gap;
  guint           frame_gap_lines;
  guint           frames;
  gint64          layout_end;
  gint64          slowest_frame;
  gint64          slowest_layout;
  gint64          slowest_paint;
  GListModel     *list_model;
  gint64          model_change_start;
  gint64          model_change;
  gint64          last_timer;
  gint64          timer_gap;

  const char     *screenshot_dir;
  GSubprocess    *screenshot;
} ProductRun;

/* The rows of the log window */

static GtkWidget *
find_by_id (GtkWidget  *root,
            const char *id)
{
  if (g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (root)), id) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *found = find_by_id (child, id);

    if (found != NULL)
      return found;
  }

  return NULL;
}

static GtkWidget *
window_child (DrLogWindow *window,
              const char  *id)
{
  GtkWidget *widget = find_by_id (GTK_WIDGET (window), id);

  if (widget == NULL)
    bench_die ("the log window has no widget with the id “%s”", id);

  return widget;
}

/* Adds to `rows` each row of the list (a GtkInscription with the CSS class "dr-log-line")
 * under `widget` that lies wholly inside the viewport. */
static void
collect_visible_rows (GtkWidget *widget,
                      GtkWidget *viewport,
                      GPtrArray *rows)
{
  graphene_rect_t bounds;

  if (GTK_IS_INSCRIPTION (widget) && gtk_widget_has_css_class (widget, "dr-log-line") &&
      gtk_widget_get_mapped (widget) &&
      gtk_widget_compute_bounds (widget, viewport, &bounds) &&
      bounds.size.height > 0 &&
      bounds.origin.y >= -0.5 &&
      bounds.origin.y + bounds.size.height <= gtk_widget_get_height (viewport) + 0.5)
    g_ptr_array_add (rows, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_visible_rows (child, viewport, rows);
}

static GPtrArray *
get_visible_rows (DrLogWindow *window)
{
  GPtrArray *rows = g_ptr_array_new ();

  collect_visible_rows (window_child (window, "list_view"),
                        window_child (window, "scrolled_window"), rows);

  return rows;
}

static gboolean
last_line_is_visible (DrLogWindow *window)
{
  g_autoptr(GPtrArray) rows = get_visible_rows (window);

  for (guint i = 0; i < rows->len; i++) {
    if (g_strcmp0 (gtk_inscription_get_text (rows->pdata[i]), LAST_LINE) == 0)
      return TRUE;
  }

  return FALSE;
}

/* Returns the text of the lowest row inside the viewport, or NULL when none is. */
static char *
dup_lowest_visible_row (DrLogWindow *window)
{
  g_autoptr(GPtrArray) rows = get_visible_rows (window);
  GtkWidget *viewport = window_child (window, "scrolled_window");
  GtkWidget *lowest = NULL;
  float lowest_y = -1;

  for (guint i = 0; i < rows->len; i++) {
    graphene_rect_t bounds;

    if (gtk_widget_compute_bounds (rows->pdata[i], viewport, &bounds) &&
        bounds.origin.y > lowest_y) {
      lowest = rows->pdata[i];
      lowest_y = bounds.origin.y;
    }
  }

  return lowest != NULL ? g_strdup (gtk_inscription_get_text (GTK_INSCRIPTION (lowest))) : NULL;
}

/* Iterates the main context until the last line is visible, checking after every iteration.
 * Returns the time it became visible, or 0 when `limit_us` passed since `since` first. */
static gint64
wait_for_last_line (DrLogWindow *window,
                    gint64       since,
                    gint64       limit_us)
{
  while (!last_line_is_visible (window)) {
    if (g_get_monotonic_time () - since > limit_us)
      return 0;
    g_main_context_iteration (NULL, TRUE);
  }

  return g_get_monotonic_time ();
}

/* Stalls and screenshots */

static GSubprocess *
start_screenshot (const char *directory,
                  const char *name)
{
  g_autofree char *file_name = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_build_filename (directory, file_name, NULL);
  g_autoptr(GError) error = NULL;
  GSubprocess *subprocess;

  subprocess = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error,
                                 "import", "-window", "root", path, NULL);
  if (subprocess == NULL)
    g_printerr ("# could not take the screenshot %s: %s\n", path, error->message);
  else
    printf ("screenshot: %s\n", path);

  return subprocess;
}

static void
take_screenshot (const char *directory,
                 const char *name)
{
  g_autoptr(GSubprocess) subprocess = start_screenshot (directory, name);

  if (subprocess != NULL)
    g_subprocess_wait (subprocess, NULL, NULL);
}

/* Runs at the start of every frame. While a tick callback is installed, the frame clock
 * requests a frame every refresh interval (16.7 ms under Xvfb). A longer gap is time in which
 * the main thread was busy with something else (a signal handler, layout, drawing the previous
 * frame), so the window showed nothing new. */
static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  ProductRun *run = user_data;
  gint64 now = g_get_monotonic_time ();

  if (run->last_tick != 0 && now - run->last_tick > run->frame_gap) {
    run->frame_gap = now - run->last_tick;
    run->frame_gap_lines = dr_log_index_get_n_lines (run->index);
  }
  run->last_tick = now;
  if (!run->done)
    run->frames++;

  if (run->screenshot_dir != NULL && run->screenshot == NULL &&
      dr_log_index_get_n_lines (run->index) >= N_LINES / 2)
    run->screenshot = start_screenshot (run->screenshot_dir, "log-window-streaming");

  return G_SOURCE_CONTINUE;
}

/* Split each frame into its update and layout phases, from the tick callback to the end of
 * layout, and its paint phase. These handlers are connected after GTK's own, so they run
 * when GTK's work in the phase is done. */
static void
layout_done_cb (GdkFrameClock *frame_clock,
                ProductRun    *run)
{
  run->layout_end = g_get_monotonic_time ();
}

static void
paint_done_cb (GdkFrameClock *frame_clock,
               ProductRun    *run)
{
  gint64 now = g_get_monotonic_time ();

  if (run->last_tick == 0 || run->layout_end < run->last_tick)
    return;

  if (now - run->last_tick > run->slowest_frame) {
    run->slowest_frame = now - run->last_tick;
    run->slowest_layout = run->layout_end - run->last_tick;
    run->slowest_paint = now - run->layout_end;
  }
}

/* Between frames, the list reacts to the model's "items-changed" in its handlers. This hook
 * runs before them and model_changed_cb() after them. */
static gboolean
model_change_hook (GSignalInvocationHint *hint,
                   guint                  n_values,
                   const GValue          *values,
                   gpointer               user_data)
{
  ProductRun *run = user_data;

  if (g_value_get_object (&values[0]) == run->list_model)
    run->model_change_start = g_get_monotonic_time ();

  return TRUE;
}

static void
model_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  ProductRun *run)
{
  if (run->model_change_start != 0)
    run->model_change = MAX (run->model_change, g_get_monotonic_time () - run->model_change_start);
  run->model_change_start = 0;
}

/* Runs every 5 ms at the default priority, the priority of input events, so a late run is as
 * late as a key press or a click would have been handled. */
static gboolean
timer_cb (gpointer user_data)
{
  ProductRun *run = user_data;
  gint64 now = g_get_monotonic_time ();

  if (run->last_timer != 0)
    run->timer_gap = MAX (run->timer_gap, now - run->last_timer);
  run->last_timer = now;

  return G_SOURCE_CONTINUE;
}

/* The product path */

static void
process_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ProductRun *run = user_data;

  run->done_at = g_get_monotonic_time ();
  dr_process_run_finish (result, &run->result, &run->error);
  run->done = TRUE;
}

static gboolean
window_is_ready (DrLogWindow *window)
{
  return gtk_widget_get_mapped (GTK_WIDGET (window)) &&
         gtk_widget_get_width (GTK_WIDGET (window)) > 0;
}

/* Counts the newlines of the file at `path`, reading it in blocks so that the count adds
 * nothing to the memory figures. */
static guint64
count_newlines (const char *path)
{
  g_autofree char *block = g_malloc (1024 * 1024);
  guint64 n_newlines = 0;
  FILE *file = g_fopen (path, "rb");
  size_t n_read;

  if (file == NULL)
    bench_die ("could not open the log %s: %s", path, g_strerror (errno));

  while ((n_read = fread (block, 1, 1024 * 1024, file)) > 0) {
    for (const char *p = block; (p = memchr (p, '\n', block + n_read - p)) != NULL; p++)
      n_newlines++;
  }
  fclose (file);

  return n_newlines;
}

/* Checks that the log contains exactly the output of the command. */
static void
check_log (DrLogIndex *index)
{
  const char *path = dr_log_index_get_path (index);
  g_autofree char *last = dr_log_index_dup_line (index, N_LINES - 1);
  GStatBuf info;
  guint64 n_newlines;

  if (dr_log_index_get_n_lines (index) != N_LINES)
    bench_die ("the log index counts %u lines, expected %u", dr_log_index_get_n_lines (index),
               N_LINES);
  if (dr_log_index_get_n_bytes (index) != N_BYTES)
    bench_die ("the log index counts %" G_GUINT64_FORMAT " bytes, expected %" G_GUINT64_FORMAT,
               dr_log_index_get_n_bytes (index), N_BYTES);
  if (g_strcmp0 (last, LAST_LINE) != 0)
    bench_die ("the last line of the log is “%s”, expected “%s”", last, LAST_LINE);

  if (g_stat (path, &info) != 0)
    bench_die ("could not read the log %s: %s", path, g_strerror (errno));
  if ((guint64) info.st_size != N_BYTES)
    bench_die ("the log file %s has %" G_GUINT64_FORMAT " bytes, expected %" G_GUINT64_FORMAT,
               path, (guint64) info.st_size, N_BYTES);

  n_newlines = count_newlines (path);
  if (n_newlines != N_LINES)
    bench_die ("the log file %s has %" G_GUINT64_FORMAT " lines, expected %u", path,
               n_newlines, N_LINES);
}

static void
run_product (const char  *directory,
             const char  *screenshot_dir,
             RoundResult *round)
{
  g_autofree char *path = g_build_filename (directory, "run.log", NULL);
  const char *argv[] = { "sh", "-c", BENCH_OUTPUT_COMMAND, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(DrLogIndex) index = NULL;
  DrLogWriter *writer;
  DrLogWindow *window;
  ProductRun run = { 0 };
  GdkFrameClock *frame_clock;
  guint tick_id, timer_id, items_changed_id;
  gulong layout_id, paint_id, hook_id, model_changed_id;
  gint64 start, shown_at;

  index = dr_log_index_new_for_writing (path, &error);
  if (index == NULL)
    bench_die ("could not create the log %s: %s", path, error->message);
  writer = dr_log_writer_new (index);
  run.index = index;
  run.screenshot_dir = screenshot_dir;

  window = dr_log_window_new (index, "Build api-gateway 1.4.0");
  gtk_window_present (GTK_WINDOW (window));
  while (!window_is_ready (window))
    g_main_context_iteration (NULL, TRUE);
  /* Lets the first frames settle before the clock starts. */
  bench_wait_ms (300);
  if (!dr_log_window_get_follow (window))
    bench_die ("a new log window does not follow its log");

  round->start_mb = bench_read_memory_mb ("VmRSS");
  if (!bench_reset_peak_memory ())
    g_printerr ("# could not reset the peak memory: the figure covers every round so far\n");
  tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (window), tick_cb, &run, NULL);
  timer_id = g_timeout_add (BENCH_TIMER_INTERVAL_MS, timer_cb, &run);
  frame_clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  layout_id = g_signal_connect (frame_clock, "layout", G_CALLBACK (layout_done_cb), &run);
  paint_id = g_signal_connect (frame_clock, "paint", G_CALLBACK (paint_done_cb), &run);
  run.list_model = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (window_child (window,
                                                                                 "list_view"))));
  items_changed_id = g_signal_lookup ("items-changed", G_TYPE_LIST_MODEL);
  hook_id = g_signal_add_emission_hook (items_changed_id, 0, model_change_hook, &run, NULL);
  model_changed_id = g_signal_connect_after (run.list_model, "items-changed",
                                             G_CALLBACK (model_changed_cb), &run);

  start = g_get_monotonic_time ();
  dr_process_run_async (argv, directory, NULL, 0, 5, writer, NULL, process_done_cb, &run);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);

  if (run.error != NULL)
    bench_die ("the command could not run: %s", run.error->message);
  if (run.result.end != DR_PROCESS_EXITED || run.result.exit_status != 0)
    bench_die ("the command did not exit normally: end %d, status %d", run.result.end,
               run.result.exit_status);

  /* The engine writes its next lines and closes the log after the step, so the window must
   * show the last line while the log is still open for writing. */
  shown_at = wait_for_last_line (window, run.done_at, OPEN_LIMIT_US);
  if (shown_at == 0) {
    round->hidden_row = dup_lowest_visible_row (window);
    if (screenshot_dir != NULL)
      take_screenshot (screenshot_dir, "log-window-last-line-hidden");
  }

  gtk_widget_remove_tick_callback (GTK_WIDGET (window), tick_id);
  g_source_remove (timer_id);
  g_signal_handler_disconnect (frame_clock, layout_id);
  g_signal_handler_disconnect (frame_clock, paint_id);
  g_signal_remove_emission_hook (items_changed_id, hook_id);
  g_signal_handler_disconnect (run.list_model, model_changed_id);

  round->product_s = bench_seconds_between (start, run.done_at);
  round->last_line_ms = shown_at != 0 ? bench_seconds_between (run.done_at, shown_at) * 1000 : -1;
  round->frame_gap_ms = run.frame_gap / 1000.0;
  round->frame_gap_lines = run.frame_gap_lines;
  round->timer_gap_ms = run.timer_gap / 1000.0;
  round->frames = run.frames;
  round->layout_ms = run.slowest_layout / 1000.0;
  round->paint_ms = run.slowest_paint / 1000.0;
  round->model_change_ms = run.model_change / 1000.0;
  round->peak_mb = bench_read_memory_mb ("VmHWM");

  if (!dr_log_window_get_follow (window))
    bench_die ("follow mode turned off during the run");

  if (!dr_log_writer_close (writer, &error))
    bench_die ("could not close the log %s: %s", path, error->message);
  dr_log_writer_free (writer);

  /* Closing the log makes the window scroll to the end once more. */
  if (shown_at == 0) {
    gint64 closed_at = g_get_monotonic_time ();

    shown_at = wait_for_last_line (window, closed_at, CLOSED_LIMIT_US);
    if (shown_at == 0)
      bench_die ("the last line was not visible %d s after the log was closed",
                 (int) (CLOSED_LIMIT_US / G_USEC_PER_SEC));
    round->after_close_ms = bench_seconds_between (closed_at, shown_at) * 1000;
  }

  if (screenshot_dir != NULL) {
    take_screenshot (screenshot_dir, "log-window-done");
    if (run.screenshot != NULL)
      g_subprocess_wait (run.screenshot, NULL, NULL);
    g_clear_object (&run.screenshot);
  }

  check_log (index);

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_remove (path);
}

/* Figures */

/* Returns a new array of the `double` at `field_offset` in every round. */
static double *
collect (const RoundResult *rounds,
         guint              n_rounds,
         gsize              field_offset)
{
  double *values = g_new (double, n_rounds);

  for (guint i = 0; i < n_rounds; i++)
    values[i] = G_STRUCT_MEMBER (double, &rounds[i], field_offset);

  return values;
}

#define COLLECT(field) collect (rounds, n_rounds, G_STRUCT_OFFSET (RoundResult, field))

/* Prints the figures and the verdicts. Returns FALSE when the last line stayed hidden while
 * the log was open in any round. */
static gboolean
print_summary (const RoundResult *rounds,
               guint              n_rounds)
{
  g_autofree double *baselines = COLLECT (baseline_s);
  g_autofree double *products = COLLECT (product_s);
  g_autofree double *frame_gaps = COLLECT (frame_gap_ms);
  g_autofree double *timer_gaps = COLLECT (timer_gap_ms);
  g_autofree double *peaks = COLLECT (peak_mb);
  g_autoptr(GArray) last_lines = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) after_closes = g_array_new (FALSE, FALSE, sizeof (double));
  double baseline = bench_median (baselines, n_rounds);
  double product = bench_median (products, n_rounds);
  double ratio = product / baseline;
  double frame_gap = bench_median (frame_gaps, n_rounds);
  double peak = bench_max (peaks, n_rounds);

  for (guint i = 0; i < n_rounds; i++) {
    if (rounds[i].last_line_ms >= 0)
      g_array_append_val (last_lines, rounds[i].last_line_ms);
    else
      g_array_append_val (after_closes, rounds[i].after_close_ms);
  }

  printf ("median redirected to a file: %.3f s\n", baseline);
  printf ("median through the log window: %.3f s\n", product);
  if (last_lines->len > 0)
    printf ("median last line visible after completion: %.0f ms (max %.0f ms, %u of %u rounds)\n",
            bench_median ((double *) last_lines->data, last_lines->len),
            bench_max ((double *) last_lines->data, last_lines->len), last_lines->len, n_rounds);
  if (after_closes->len > 0)
    printf ("last line hidden %d s after completion in %u of %u rounds; visible a median of "
            "%.0f ms after the log was closed\n", (int) (OPEN_LIMIT_US / G_USEC_PER_SEC),
            after_closes->len, n_rounds,
            bench_median ((double *) after_closes->data, after_closes->len));
  printf ("median max gap between frames: %.0f ms (max %.0f ms)\n", frame_gap,
          bench_max (frame_gaps, n_rounds));
  printf ("median max wait of the %d ms timer: %.0f ms (max %.0f ms)\n",
          BENCH_TIMER_INTERVAL_MS, bench_median (timer_gaps, n_rounds),
          bench_max (timer_gaps, n_rounds));
  printf ("peak resident memory of this process: median %.0f MB, max %.0f MB\n",
          bench_median (peaks, n_rounds), peak);

  printf ("verdict: throughput %.2f times the redirect (target at most %.0f): %s\n", ratio,
          TARGET_RATIO, bench_verdict (ratio <= TARGET_RATIO));
  if (after_closes->len == 0) {
    double last_line = bench_median ((double *) last_lines->data, last_lines->len);

    printf ("verdict: last line visible %.0f ms after completion (target at most %.0f ms): %s\n",
            last_line, TARGET_LAST_LINE_MS, bench_verdict (last_line <= TARGET_LAST_LINE_MS));
  } else {
    printf ("verdict: last line not visible after completion in %u of %u rounds (target at most "
            "%.0f ms): missed\n", after_closes->len, n_rounds, TARGET_LAST_LINE_MS);
  }
  printf ("verdict: max stall (frame gap) %.0f ms (target at most %.0f ms): %s\n", frame_gap,
          TARGET_STALL_MS, bench_verdict (frame_gap <= TARGET_STALL_MS));
  printf ("verdict: peak resident memory %.0f MB (target under %.0f MB): %s\n", peak,
          TARGET_PEAK_MB, bench_verdict (peak < TARGET_PEAK_MB));

  return after_closes->len == 0;
}

/* The application loads its style sheet when it starts; this window has no application. */
static void
load_style (void)
{
  g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();

  gtk_css_provider_load_from_resource (provider, "/org/dynamorelease/DynamoRelease/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *directory = NULL;
  g_autofree RoundResult *rounds = NULL;
  const char *screenshot_dir = g_getenv ("DYNAMO_BENCH_SCREENSHOT_DIR");
  guint n_rounds = bench_get_n_rounds (DEFAULT_ROUNDS);
  gboolean last_line_shown;

  gtk_init ();
  adw_init ();
  load_style ();

  directory = g_dir_make_tmp ("dynamo-bench-XXXXXX", &error);
  if (directory == NULL)
    bench_die ("could not create a temporary folder: %s", error->message);
  rounds = g_new0 (RoundResult, n_rounds);

  printf ("log window: %u lines of %u bytes (%.0f MB), %u rounds\n", N_LINES,
          BENCH_LINE_BYTES, N_BYTES / 1e6, n_rounds);
  for (guint i = 0; i < n_rounds; i++) {
    RoundResult *round = &rounds[i];

    if (i % 2 == 0) {
      round->baseline_s = bench_run_baseline (directory);
      run_product (directory, NULL, round);
    } else {
      run_product (directory, NULL, round);
      round->baseline_s = bench_run_baseline (directory);
    }

    printf ("round %u: redirected %.3f s, log window %.3f s (%.2f times), ", i + 1,
            round->baseline_s, round->product_s, round->product_s / round->baseline_s);
    if (round->last_line_ms >= 0)
      printf ("last line after %.0f ms, ", round->last_line_ms);
    else
      printf ("last line hidden (lowest visible row “%s”) until the log was closed, then after "
              "%.0f ms, ", round->hidden_row, round->after_close_ms);
    printf ("max frame gap %.0f ms at line %u, max timer wait %.0f ms, slowest frame %.0f ms "
            "layout + %.0f ms paint, max items-changed %.0f ms, %u frames, resident %.0f MB at "
            "the start, peak %.0f MB (%s first)\n", round->frame_gap_ms, round->frame_gap_lines,
            round->timer_gap_ms, round->layout_ms, round->paint_ms, round->model_change_ms,
            round->frames, round->start_mb,
            round->peak_mb,
            i % 2 == 0 ? "redirect" : "log window");
    fflush (stdout);
  }

  last_line_shown = print_summary (rounds, n_rounds);

  if (screenshot_dir != NULL) {
    RoundResult extra = { 0 };

    run_product (directory, screenshot_dir, &extra);
    printf ("screenshot round (not counted): log window %.3f s\n", extra.product_s);
  }

  for (guint i = 0; i < n_rounds; i++)
    g_free (rounds[i].hidden_row);
  g_rmdir (directory);

  if (!last_line_shown) {
    fflush (stdout);
    g_printerr ("the last line stayed hidden in a following log window while the log was open "
                "for writing\n");
    return EXIT_FAILURE;
  }

  return EXIT_SUCCESS;
}
