/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "dr-format.h"
#include "dr-log-window.h"
#include "dr-run-private.h"
#include "dr-run-step-row.h"
#include "dr-run-window.h"
#include "dr-ui-test.h"

#define N_STEPS 3

static const char *step_names[N_STEPS] = { "Build", "Run tests", "Apply deployment" };
static const char *step_commands[N_STEPS] = {
  "npm run build",
  "docker run --rm dynamo/api-gateway:1.4.0 npm test",
  "kubectl apply -f k8s/api-gateway/deployment.yaml",
};

static char *folder;

/* Widgets */

static GtkWidget *
find_by_id (GtkWidget  *root,
            const char *id)
{
  const char *root_id = gtk_buildable_get_buildable_id (GTK_BUILDABLE (root));

  if (g_strcmp0 (root_id, id) == 0)
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
child_of (gpointer    root,
          const char *id)
{
  GtkWidget *widget = find_by_id (GTK_WIDGET (root), id);

  g_assert_nonnull (widget);

  return widget;
}

/* Returns a widget of the window's run view: the header bar's title has ids of its own. */
static GtkWidget *
view_child (DrRunWindow *window,
            const char  *id)
{
  return child_of (child_of (window, "run_view"), id);
}

static DrRunStepRow *
step_row (DrRunWindow *window,
          guint        index)
{
  GtkListBox *list = GTK_LIST_BOX (view_child (window, "step_list"));
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (list, (int) index);

  g_assert_true (DR_IS_RUN_STEP_ROW (row));

  return DR_RUN_STEP_ROW (row);
}

static const char *
row_label (DrRunWindow *window,
           guint        index,
           const char  *id)
{
  return gtk_label_get_text (GTK_LABEL (child_of (step_row (window, index), id)));
}

static const char *
row_icon (DrRunWindow *window,
          guint        index)
{
  return gtk_image_get_icon_name (GTK_IMAGE (child_of (step_row (window, index), "state_image")));
}

static const char *
row_stack_page (DrRunWindow *window,
                guint        index)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (child_of (step_row (window, index),
                                                                "state_stack")));
}

static double
progress (DrRunWindow *window)
{
  return gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (view_child (window, "progress_bar")));
}

/* Runs */

static DrRunStepRecord *
step_record (guint        index,
             DrStepState  state,
             gint64       started_at,
             gint64       finished_at,
             int          exit_status,
             const char  *message)
{
  DrRunStepRecord *record = g_new0 (DrRunStepRecord, 1);

  record->index = index;
  record->name = g_strdup (step_names[index]);
  record->command = g_strdup (step_commands[index]);
  record->state = state;
  record->started_at = started_at;
  record->finished_at = finished_at;
  record->exit_status = exit_status;
  record->message = g_strdup (message);

  return record;
}

static DrRun *
make_run (DrRunKind kind)
{
  static guint n_runs;
  g_autoptr(DrRunRecord) record = g_new0 (DrRunRecord, 1);
  g_autoptr(DrLogIndex) log = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("run-%u.log", ++n_runs);
  g_autofree char *path = g_build_filename (folder, name, NULL);
  DrRun *run;

  log = dr_log_index_new_for_writing (path, &error);
  g_assert_no_error (error);

  record->id = n_runs;
  record->kind = kind;
  record->service = g_strdup ("api-gateway");
  record->version = g_strdup ("1.4.0");
  record->environment = g_strdup ("qa");
  record->state = DR_RUN_STATE_RUNNING;
  record->person = g_strdup ("Ana");
  record->started_at = g_get_real_time ();
  record->log_path = g_strdup (path);
  record->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_run_step_record_free);
  for (guint i = 0; i < N_STEPS; i++)
    g_ptr_array_add (record->steps, step_record (i, DR_STEP_STATE_PENDING, 0, 0, -1, NULL));

  run = dr_run_new (record, log);
  dr_run_set_title (run, "Deploy api-gateway 1.4.0 to QA");

  return run;
}

static void
update_step (DrRun       *run,
             guint        index,
             DrStepState  state,
             gint64       started_at,
             gint64       finished_at,
             int          exit_status,
             const char  *message)
{
  g_autoptr(DrRunStepRecord) record = step_record (index, state, started_at, finished_at,
                                                   exit_status, message);

  dr_run_update_step (run, record);
}

static DrRunWindow *
show_run (DrRun *run,
          int    width)
{
  DrRunWindow *window = dr_run_window_new (run);

  gtk_window_set_default_size (GTK_WINDOW (window), width, 600);
  gtk_window_present (GTK_WINDOW (window));
  dr_ui_wait_for_mapped (GTK_WIDGET (window));

  return window;
}

/* Tests */

static gboolean
duration_changed (gpointer user_data)
{
  DrRunWindow *window = user_data;
  const char *initial = g_object_get_data (G_OBJECT (window), "initial-duration");

  return g_strcmp0 (row_label (window, 0, "duration_label"), initial) != 0;
}

static void
test_rows_follow_steps (void)
{
  g_autoptr(DrRun) run = make_run (DR_RUN_KIND_DEPLOY);
  DrRunWindow *window = show_run (run, 560);
  gint64 now = g_get_real_time ();
  gint64 started = now - 65 * G_USEC_PER_SEC;
  GtkWidget *message;

  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (view_child (window, "title_label"))), ==,
                   "Deploy api-gateway 1.4.0 to QA");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==,
                   "Deploy api-gateway 1.4.0 to QA");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (view_child (window, "state_label"))), ==,
                   "Running");
  g_assert_cmpfloat (progress (window), ==, 0.0);
  g_assert_true (gtk_widget_get_visible (view_child (window, "cancel_button")));
  g_assert_false (gtk_widget_get_visible (view_child (window, "rollback_button")));

  for (guint i = 0; i < N_STEPS; i++) {
    g_assert_cmpstr (row_label (window, i, "name_label"), ==, step_names[i]);
    g_assert_cmpstr (row_label (window, i, "command_label"), ==, step_commands[i]);
    g_assert_cmpstr (gtk_widget_get_tooltip_text (child_of (step_row (window, i),
                                                            "command_label")),
                     ==, step_commands[i]);
    g_assert_cmpstr (row_icon (window, i), ==, "content-loading-symbolic");
    g_assert_cmpstr (row_stack_page (window, i), ==, "icon");
    g_assert_cmpstr (row_label (window, i, "duration_label"), ==, "");
  }
  g_assert_null (gtk_list_box_get_row_at_index (GTK_LIST_BOX (view_child (window, "step_list")),
                                                N_STEPS));

  /* The first step runs: a spinner, and a duration that goes on by itself. */
  update_step (run, 0, DR_STEP_STATE_RUNNING, started, 0, -1, NULL);
  g_assert_cmpstr (row_stack_page (window, 0), ==, "spinner");
  g_assert_true (gtk_spinner_get_spinning (GTK_SPINNER (child_of (step_row (window, 0),
                                                                  "spinner"))));
  g_assert_true (g_str_has_prefix (row_label (window, 0, "duration_label"), "1 min "));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (view_child (window, "message_label"))), ==,
                   "Step 1 of 3: Build");
  g_object_set_data_full (G_OBJECT (window), "initial-duration",
                          g_strdup (row_label (window, 0, "duration_label")), g_free);
  g_assert_true (dr_ui_wait_until (duration_changed, window, 5000));
  g_assert_true (g_str_has_prefix (row_label (window, 0, "duration_label"), "1 min "));
  dr_ui_screenshot ("run-window-running");

  /* It succeeds after 125 s; the second step fails with a message. */
  update_step (run, 0, DR_STEP_STATE_SUCCEEDED, started, started + 125 * G_USEC_PER_SEC, 0, NULL);
  g_assert_cmpstr (row_stack_page (window, 0), ==, "icon");
  g_assert_cmpstr (row_icon (window, 0), ==, "emblem-ok-symbolic");
  g_assert_true (gtk_widget_has_css_class (child_of (step_row (window, 0), "state_image"),
                                           "success"));
  g_assert_cmpstr (row_label (window, 0, "duration_label"), ==, "2 min 5 s");
  g_assert_cmpfloat_with_epsilon (progress (window), 1.0 / 3.0, 1e-9);

  update_step (run, 1, DR_STEP_STATE_RUNNING, now, 0, -1, NULL);
  update_step (run, 1, DR_STEP_STATE_FAILED, now, now + 12 * G_USEC_PER_SEC, 1,
               "npm test exited with status 1");
  g_assert_cmpstr (row_icon (window, 1), ==, "dialog-error-symbolic");
  g_assert_cmpstr (row_label (window, 1, "duration_label"), ==, "12 s");
  message = child_of (step_row (window, 1), "message_label");
  g_assert_true (gtk_widget_get_visible (message));
  g_assert_true (gtk_widget_has_css_class (message, "error"));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (message)), ==, "npm test exited with status 1");
  g_assert_cmpfloat_with_epsilon (progress (window), 2.0 / 3.0, 1e-9);

  update_step (run, 2, DR_STEP_STATE_SKIPPED, 0, 0, -1, NULL);
  g_assert_cmpstr (row_icon (window, 2), ==, "media-skip-forward-symbolic");
  g_assert_cmpstr (row_label (window, 2, "duration_label"), ==, "");
  g_assert_false (gtk_widget_get_visible (child_of (step_row (window, 2), "message_label")));

  dr_run_finish (run, DR_RUN_STATE_FAILED, "Step “Run tests” failed", g_get_real_time ());
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (view_child (window, "state_label"))), ==,
                   "Failed");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (view_child (window, "message_label"))), ==,
                   "Step “Run tests” failed");
  g_assert_cmpstr (gtk_image_get_icon_name (GTK_IMAGE (view_child (window, "state_image"))), ==,
                   "dialog-error-symbolic");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (view_child (window, "state_stack"))),
                   ==, "icon");
  g_assert_cmpfloat (progress (window), ==, 1.0);
  g_assert_false (gtk_widget_get_visible (view_child (window, "cancel_button")));
  g_assert_true (gtk_widget_get_visible (view_child (window, "rollback_button")));
  dr_ui_screenshot ("run-window-failed");

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_step_states_show_icons (void)
{
  static const struct {
    DrStepState  state;
    const char  *icon_name;
    const char  *style_class;
  } cases[] = {
    { DR_STEP_STATE_PENDING, "content-loading-symbolic", "dim-label" },
    { DR_STEP_STATE_SUCCEEDED, "emblem-ok-symbolic", "success" },
    { DR_STEP_STATE_FAILED, "dialog-error-symbolic", "error" },
    { DR_STEP_STATE_TIMED_OUT, "alarm-symbolic", "error" },
    { DR_STEP_STATE_CANCELLED, "process-stop-symbolic", "warning" },
    { DR_STEP_STATE_SKIPPED, "media-skip-forward-symbolic", "dim-label" },
    { DR_STEP_STATE_INTERRUPTED, "dialog-warning-symbolic", "warning" },
  };
  g_autoptr(DrRun) run = make_run (DR_RUN_KIND_VERIFY);
  DrRunWindow *window = show_run (run, 560);
  gint64 now = g_get_real_time ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GtkWidget *image;

    update_step (run, 0, cases[i].state, now, now + G_USEC_PER_SEC, -1, "message");
    image = child_of (step_row (window, 0), "state_image");
    g_test_message ("state %s", dr_step_state_to_string (cases[i].state));
    g_assert_cmpstr (row_stack_page (window, 0), ==, "icon");
    g_assert_cmpstr (gtk_image_get_icon_name (GTK_IMAGE (image)), ==, cases[i].icon_name);
    g_assert_true (gtk_widget_has_css_class (image, cases[i].style_class));
    g_assert_nonnull (gtk_widget_get_tooltip_text (child_of (step_row (window, 0),
                                                             "state_stack")));
  }

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_cancel_click_cancels_run (void)
{
  g_autoptr(DrRun) run = make_run (DR_RUN_KIND_DEPLOY);
  DrRunWindow *window = show_run (run, 560);
  GtkWidget *cancel = view_child (window, "cancel_button");

  update_step (run, 0, DR_STEP_STATE_RUNNING, g_get_real_time (), 0, -1, NULL);
  g_assert_false (g_cancellable_is_cancelled (dr_run_get_cancellable (run)));
  /* The running step's line above the buttons moves them: let the layout settle. */
  dr_ui_wait_ms (200);

  g_assert_true (dr_ui_click (cancel));
  g_assert_true (g_cancellable_is_cancelled (dr_run_get_cancellable (run)));
  g_assert_false (gtk_widget_get_sensitive (cancel));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (view_child (window, "state_label"))), ==,
                   "Cancelling…");
  dr_ui_screenshot ("run-window-cancelling");

  update_step (run, 0, DR_STEP_STATE_CANCELLED, g_get_real_time (), g_get_real_time (), -1,
               "Cancelled");
  dr_run_finish (run, DR_RUN_STATE_CANCELLED, NULL, g_get_real_time ());
  g_assert_false (gtk_widget_get_visible (cancel));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (view_child (window, "state_label"))), ==,
                   "Cancelled");
  g_assert_true (gtk_widget_get_visible (view_child (window, "rollback_button")));

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
rollback_requested_cb (DrRunWindow *window,
                       DrRun       *run,
                       DrRun      **requested)
{
  *requested = run;
}

static gboolean
pointer_is_set (gpointer user_data)
{
  return *(gpointer *) user_data != NULL;
}

static void
test_rollback_only_failed_deploy (void)
{
  static const struct {
    DrRunKind   kind;
    DrRunState  state;
    gboolean    offered;
  } cases[] = {
    { DR_RUN_KIND_DEPLOY, DR_RUN_STATE_RUNNING, FALSE },
    { DR_RUN_KIND_DEPLOY, DR_RUN_STATE_SUCCEEDED, FALSE },
    { DR_RUN_KIND_DEPLOY, DR_RUN_STATE_FAILED, TRUE },
    { DR_RUN_KIND_DEPLOY, DR_RUN_STATE_CANCELLED, TRUE },
    { DR_RUN_KIND_DEPLOY, DR_RUN_STATE_INTERRUPTED, TRUE },
    { DR_RUN_KIND_VERIFY, DR_RUN_STATE_FAILED, FALSE },
    { DR_RUN_KIND_CHECK, DR_RUN_STATE_FAILED, FALSE },
    { DR_RUN_KIND_ROLLBACK, DR_RUN_STATE_FAILED, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(DrRun) run = make_run (cases[i].kind);
    DrRunWindow *window = show_run (run, 560);
    GtkWidget *rollback = view_child (window, "rollback_button");
    DrRun *requested = NULL;

    g_test_message ("%s %s", dr_run_kind_to_string (cases[i].kind),
                    dr_run_state_to_string (cases[i].state));
    if (cases[i].state != DR_RUN_STATE_RUNNING)
      dr_run_finish (run, cases[i].state, NULL, g_get_real_time ());
    g_assert_cmpint (gtk_widget_get_visible (rollback), ==, cases[i].offered);

    if (cases[i].offered) {
      g_signal_connect (window, "rollback-requested", G_CALLBACK (rollback_requested_cb),
                        &requested);
      dr_ui_wait_ms (100);
      g_assert_true (dr_ui_click (rollback));
      g_assert_true (dr_ui_wait_until (pointer_is_set, &requested, 5000));
      g_assert_true (requested == run);
    }

    gtk_window_destroy (GTK_WINDOW (window));
  }
}

static guint
count_log_windows (DrRun *run)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint count = 0;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++) {
    g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

    if (DR_IS_LOG_WINDOW (toplevel) &&
        dr_log_window_get_index (DR_LOG_WINDOW (toplevel)) == dr_run_get_log (run))
      count++;
  }

  return count;
}

static gboolean
log_window_is_open (gpointer user_data)
{
  return count_log_windows (user_data) > 0;
}

static void
test_show_log_opens_one_window (void)
{
  g_autoptr(DrRun) run = make_run (DR_RUN_KIND_DEPLOY);
  DrRunWindow *window = show_run (run, 560);
  DrLogWindow *log_window;

  g_assert_cmpuint (count_log_windows (run), ==, 0);

  g_assert_true (dr_ui_click (view_child (window, "show_log_button")));
  g_assert_true (dr_ui_wait_until (log_window_is_open, run, 5000));
  g_assert_cmpuint (count_log_windows (run), ==, 1);
  log_window = dr_log_window_present_for_run (run, NULL);
  dr_ui_wait_for_mapped (GTK_WIDGET (log_window));

  gtk_window_present (GTK_WINDOW (window));
  dr_ui_wait_ms (200);
  g_assert_true (dr_ui_click (view_child (window, "show_log_button")));
  dr_ui_wait_ms (300);
  g_assert_cmpuint (count_log_windows (run), ==, 1);
  g_assert_true (dr_log_window_present_for_run (run, NULL) == log_window);

  gtk_window_destroy (GTK_WINDOW (log_window));
  dr_ui_wait_ms (100);
  g_assert_cmpuint (count_log_windows (run), ==, 0);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_narrow_window_fits (void)
{
  g_autoptr(DrRun) run = make_run (DR_RUN_KIND_DEPLOY);
  DrRunWindow *window = show_run (run, 360);
  gint64 now = g_get_real_time ();
  int minimum_width;

  update_step (run, 0, DR_STEP_STATE_SUCCEEDED, now - 70 * G_USEC_PER_SEC,
               now - 5 * G_USEC_PER_SEC, 0, NULL);
  update_step (run, 1, DR_STEP_STATE_FAILED, now - 5 * G_USEC_PER_SEC, now, 1,
               "docker run --rm dynamo/api-gateway:1.4.0 npm test exited with status 1");
  update_step (run, 2, DR_STEP_STATE_SKIPPED, 0, 0, -1, NULL);
  dr_run_finish (run, DR_RUN_STATE_FAILED, "Step “Run tests” failed", now);
  dr_ui_wait_ms (300);
  dr_ui_screenshot ("run-window-narrow");

  gtk_widget_measure (adw_window_get_content (ADW_WINDOW (window)), GTK_ORIENTATION_HORIZONTAL,
                      -1, &minimum_width, NULL, NULL, NULL);
  g_assert_cmpint (minimum_width, <=, 360);
  g_assert_cmpint (gtk_widget_get_width (child_of (window, "run_view")), <=, 360);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_format_duration (void)
{
  static const struct {
    gint64      seconds;
    const char *text;
  } cases[] = {
    { 0, "0 s" },
    { 12, "12 s" },
    { 59, "59 s" },
    { 60, "1 min 0 s" },
    { 125, "2 min 5 s" },
    { 3599, "59 min 59 s" },
    { 3600, "1 h 0 min" },
    { 3 * 3600 + 7 * 60 + 30, "3 h 7 min" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *text = dr_format_duration (cases[i].seconds * G_USEC_PER_SEC + 400000);

    g_assert_cmpstr (text, ==, cases[i].text);
  }
}

/* Loads the app's style sheet, which AdwApplication loads by itself in the app. */
static void
load_style (void)
{
  g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();

  gtk_css_provider_load_from_resource (provider, "/org/dynamorelease/DynamoRelease/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
remove_folder (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *child = g_build_filename (path, name, NULL);

    g_unlink (child);
  }
  g_rmdir (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  dr_ui_test_init (&argc, &argv);
  load_style ();

  folder = g_dir_make_tmp ("dynamo-run-window-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/run-window/format-duration", test_format_duration);
  g_test_add_func ("/run-window/rows-follow-steps", test_rows_follow_steps);
  g_test_add_func ("/run-window/step-states-show-icons", test_step_states_show_icons);
  g_test_add_func ("/run-window/cancel-click-cancels-run", test_cancel_click_cancels_run);
  g_test_add_func ("/run-window/rollback-only-failed-deploy", test_rollback_only_failed_deploy);
  g_test_add_func ("/run-window/show-log-opens-one-window", test_show_log_opens_one_window);
  g_test_add_func ("/run-window/narrow-window-fits", test_narrow_window_fits);

  status = g_test_run ();

  remove_folder (folder);
  g_free (folder);

  return status;
}
