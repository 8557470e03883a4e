/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The application as a whole, started as `dynamo-release` starts it. A SIGTERM, as at logout
 * or shutdown, cancels the runs that the application executes, waits until their processes
 * have ended and their kubeconfigs are deleted, and then quits. A run that ends while the
 * window is not focused sends a desktop notification to a real notification server, and a
 * click on it opens the run. */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/wait.h>

#include "dr-application.h"
#include "dr-e2e.h"
#include "dr-run-window.h"
#include "dr-sqlite-store.h"
#include "dr-ui-test.h"
#include "dr-window.h"

typedef struct
{
  DrE2e         *e2e;
  DrApplication *app;
  DrRun         *run;
  GSourceFunc    drive;
  gboolean       start_run;
  gboolean       signalled;
  gboolean       timed_out;
  guint          drive_source;
  guint          deadline_source;
} AppTest;

static char *
e2e_workspace_path (const char *name)
{
  return g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "e2e", name, NULL);
}

static char *
state_file (AppTest    *test,
            const char *name)
{
  return g_build_filename (test->e2e->state, name, NULL);
}

/* Returns the process id that the slow deploy step wrote to @name, or 0 before it did. */
static GPid
read_pid (AppTest    *test,
          const char *name)
{
  g_autofree char *path = state_file (test, name);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL) || strchr (text, '\n') == NULL)
    return 0;

  return (GPid) g_ascii_strtoll (text, NULL, 10);
}

static char *
read_kubeconfig_path (AppTest *test)
{
  g_autofree char *path = state_file (test, "step.kubeconfig");
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;

  return g_strdup (g_strstrip (text));
}

static void
promote_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  AppTest *test = user_data;
  g_autoptr(GError) error = NULL;

  test->run = dr_engine_start_run_finish (DR_ENGINE (object), result, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (test->run);
}

/* Starts the slow deploy through the application's own engine once its store is open. When the
 * step's processes are up, sends this process SIGTERM. */
static gboolean
drive_cb (gpointer user_data)
{
  AppTest *test = user_data;
  DrEngine *engine = dr_application_get_engine (test->app);

  if (engine == NULL)
    return G_SOURCE_CONTINUE;

  if (test->start_run) {
    test->start_run = FALSE;
    dr_engine_promote_async (engine, "slow", "1.0.0", "development", NULL, promote_cb, test);
    return G_SOURCE_CONTINUE;
  }

  if (test->e2e != NULL && test->run == NULL)
    return G_SOURCE_CONTINUE;

  if (test->run != NULL && (read_pid (test, "step.pid") == 0 ||
                            read_pid (test, "background.pid") == 0))
    return G_SOURCE_CONTINUE;

  test->signalled = TRUE;
  g_assert_cmpint (kill (getpid (), SIGTERM), ==, 0);
  test->drive_source = 0;

  return G_SOURCE_REMOVE;
}

static gboolean
deadline_cb (gpointer user_data)
{
  AppTest *test = user_data;

  test->timed_out = TRUE;
  test->deadline_source = 0;
  g_application_quit (G_APPLICATION (test->app));

  return G_SOURCE_REMOVE;
}

/* Runs the application on @workspace until it quits, and returns its exit status. */
static int
run_application (AppTest    *test,
                 const char *workspace,
                 const char *store_path,
                 const char *clones)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  const char *roles[] = { "release-manager", NULL };
  const char *argv[] = {
    "dynamo-release", "--workspace", workspace, "--store", store_path, "--clones", clones, NULL
  };
  int status;

  g_settings_set_string (settings, "person-name", "Rita");
  g_settings_set_strv (settings, "roles", roles);

  test->app = dr_application_new ();
  test->drive_source = g_timeout_add (50, test->drive != NULL ? test->drive : drive_cb, test);
  test->deadline_source = g_timeout_add_seconds (90, deadline_cb, test);

  status = g_application_run (G_APPLICATION (test->app), G_N_ELEMENTS (argv) - 1, (char **) argv);

  g_clear_handle_id (&test->drive_source, g_source_remove);
  g_clear_handle_id (&test->deadline_source, g_source_remove);

  return status;
}

/* Waits for a process that the step left behind to end, and reaps it. The test is the
 * subreaper of its descendants, so the orphans of a step's leader are its children. */
static gboolean
adopted_process_ended (GPid pid)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  int status = 0;

  while (waitpid (pid, &status, WNOHANG) != pid) {
    if (g_get_monotonic_time () > deadline)
      return FALSE;
    g_usleep (20 * 1000);
  }

  return WIFSIGNALED (status);
}

static void
test_sigterm_cancels_runs (void)
{
  g_autofree char *workspace = e2e_workspace_path ("slow.yaml");
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(DrStore) store = NULL;
  g_autoptr(DrRunRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *kubeconfig = NULL;
  AppTest test = { .e2e = e2e, .start_run = TRUE };
  GPid step_pid, background_pid;
  int status;

  build = dr_e2e_record_build (e2e, "slow", "1.0.0", &error);
  g_assert_no_error (error);

  status = run_application (&test, workspace, e2e->store_path, e2e->clones);

  g_assert_false (test.timed_out);
  g_assert_true (test.signalled);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (test.run);

  /* The application quit only after the run ended, with every process of its group. */
  g_assert_true (dr_run_is_finished (test.run));
  g_assert_cmpint (dr_run_get_state (test.run), ==, DR_RUN_STATE_CANCELLED);
  step_pid = read_pid (&test, "step.pid");
  background_pid = read_pid (&test, "background.pid");
  g_assert_cmpint (step_pid, >, 0);
  g_assert_cmpint (background_pid, >, 0);
  g_assert_true (adopted_process_ended (background_pid));
  g_assert_cmpint (kill (step_pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
  g_assert_cmpint (kill (-step_pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);

  kubeconfig = read_kubeconfig_path (&test);
  g_assert_nonnull (kubeconfig);
  g_assert_cmpstr (kubeconfig, !=, "");
  g_assert_false (g_file_test (kubeconfig, G_FILE_TEST_EXISTS));

  /* The store, opened afresh, records the run as cancelled and finished. */
  store = dr_sqlite_store_open (e2e->store_path, &error);
  g_assert_no_error (error);
  record = dr_store_find_run (store, dr_run_get_id (test.run), &error);
  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, DR_RUN_STATE_CANCELLED);
  g_assert_cmpint (record->finished_at, >, 0);

  g_clear_object (&test.run);
  g_clear_object (&test.app);
}

static gboolean
dialog_is_shown (gpointer user_data)
{
  GtkWindow *dialog = dr_ui_find_window (ADW_TYPE_MESSAGE_DIALOG);

  return dialog != NULL && gtk_widget_get_mapped (GTK_WIDGET (dialog));
}

static gboolean
dialog_is_gone (gpointer user_data)
{
  return !dialog_is_shown (user_data);
}

/* Closes the main window, as its close button does, and waits for the question. */
static AdwMessageDialog *
close_and_wait_for_question (GtkWindow *window)
{
  gtk_window_close (window);
  g_assert_true (dr_ui_wait_until (dialog_is_shown, NULL, 10000));
  dr_ui_wait_ms (300);

  return ADW_MESSAGE_DIALOG (dr_ui_find_window (ADW_TYPE_MESSAGE_DIALOG));
}

/* Once the slow deploy runs, closes the main window twice: first keeps the run, then cancels
 * it and quits. */
static gboolean
drive_close_cb (gpointer user_data)
{
  AppTest *test = user_data;
  DrEngine *engine = dr_application_get_engine (test->app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (test->app));
  g_autofree char *title = NULL;
  g_autofree char *item = NULL;
  AdwMessageDialog *dialog;
  GPid step_pid;

  if (engine == NULL || window == NULL)
    return G_SOURCE_CONTINUE;

  if (test->start_run) {
    test->start_run = FALSE;
    dr_engine_promote_async (engine, "slow", "1.0.0", "development", NULL, promote_cb, test);
    return G_SOURCE_CONTINUE;
  }

  if (test->run == NULL || read_pid (test, "step.pid") == 0 ||
      read_pid (test, "background.pid") == 0)
    return G_SOURCE_CONTINUE;

  test->drive_source = 0;
  step_pid = read_pid (test, "step.pid");

  /* The question names the run, and keeping it leaves everything running. */
  dialog = close_and_wait_for_question (window);
  title = dr_run_dup_title (test->run);
  item = g_strdup_printf ("• %s", title);
  g_assert_nonnull (dr_ui_find_text (GTK_WIDGET (dialog),
                                     g_dngettext (GETTEXT_PACKAGE,
                                                  "Quit while a run is in progress?",
                                                  "Quit while %u runs are in progress?", 1)));
  g_assert_nonnull (dr_ui_find_text (GTK_WIDGET (dialog), item));
  dr_ui_screenshot ("quit-question");
  dr_ui_click_text (GTK_WIDGET (dialog), dr_ui_shown_label ("_Keep Running"));
  g_assert_true (dr_ui_wait_until (dialog_is_gone, NULL, 10000));
  dr_ui_wait_ms (500);
  g_assert_false (dr_run_is_finished (test->run));
  g_assert_cmpint (kill (step_pid, 0), ==, 0);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));

  /* Cancelling the runs quits once they have ended. */
  dialog = close_and_wait_for_question (window);
  test->signalled = TRUE;
  dr_ui_click_text (GTK_WIDGET (dialog), dr_ui_shown_label ("_Cancel Runs and Quit"));

  return G_SOURCE_REMOVE;
}

/* Once the slow deploy runs, closes the main window and leaves the question open while the
 * run ends on its own. */
static gboolean
drive_run_ends_cb (gpointer user_data)
{
  AppTest *test = user_data;
  DrEngine *engine = dr_application_get_engine (test->app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (test->app));

  if (engine == NULL || window == NULL)
    return G_SOURCE_CONTINUE;

  if (test->start_run) {
    test->start_run = FALSE;
    dr_engine_promote_async (engine, "slow", "1.0.0", "development", NULL, promote_cb, test);
    return G_SOURCE_CONTINUE;
  }

  if (test->run == NULL || read_pid (test, "step.pid") == 0 ||
      read_pid (test, "background.pid") == 0)
    return G_SOURCE_CONTINUE;

  test->drive_source = 0;
  close_and_wait_for_question (window);

  /* The run ends while the question is shown, as a person might have cancelled it elsewhere. */
  test->signalled = TRUE;
  dr_run_cancel (test->run);

  return G_SOURCE_REMOVE;
}

static void
test_quit_question_run_ends (void)
{
  g_autofree char *workspace = e2e_workspace_path ("slow.yaml");
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GError) error = NULL;
  AppTest test = { .e2e = e2e, .start_run = TRUE, .drive = drive_run_ends_cb };
  int status;

  build = dr_e2e_record_build (e2e, "slow", "1.0.0", &error);
  g_assert_no_error (error);

  status = run_application (&test, workspace, e2e->store_path, e2e->clones);

  /* The application quit once nothing was left to ask about. */
  g_assert_false (test.timed_out);
  g_assert_true (test.signalled);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (dr_run_is_finished (test.run));
  g_assert_true (adopted_process_ended (read_pid (&test, "background.pid")));

  g_clear_object (&test.run);
  g_clear_object (&test.app);
}

static void
test_close_asks_with_runs (void)
{
  g_autofree char *workspace = e2e_workspace_path ("slow.yaml");
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *kubeconfig = NULL;
  AppTest test = { .e2e = e2e, .start_run = TRUE, .drive = drive_close_cb };
  GPid step_pid, background_pid;
  int status;

  build = dr_e2e_record_build (e2e, "slow", "1.0.0", &error);
  g_assert_no_error (error);

  status = run_application (&test, workspace, e2e->store_path, e2e->clones);

  g_assert_false (test.timed_out);
  g_assert_true (test.signalled);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (test.run);
  g_assert_cmpint (dr_run_get_state (test.run), ==, DR_RUN_STATE_CANCELLED);

  step_pid = read_pid (&test, "step.pid");
  background_pid = read_pid (&test, "background.pid");
  g_assert_true (adopted_process_ended (background_pid));
  g_assert_cmpint (kill (step_pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
  kubeconfig = read_kubeconfig_path (&test);
  g_assert_nonnull (kubeconfig);
  g_assert_false (g_file_test (kubeconfig, G_FILE_TEST_EXISTS));

  g_clear_object (&test.run);
  g_clear_object (&test.app);
}

static void
test_sigterm_without_runs (void)
{
  g_autofree char *workspace = e2e_workspace_path ("slow.yaml");
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  AppTest test = { 0 };
  int status;

  status = run_application (&test, workspace, e2e->store_path, e2e->clones);

  g_assert_false (test.timed_out);
  g_assert_true (test.signalled);
  g_assert_cmpint (status, ==, 0);

  g_clear_object (&test.app);
}

/* The clones folder */

typedef struct
{
  AppTest     app_test;
  const char *clones;    /* the folder set before the application started */
  const char *missing;   /* the folder passed to --clones, which does not exist */
  guint       stage;
  gboolean    checked;
} ClonesTest;

static GtkWidget *
window_child (GtkWindow  *window,
              const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (window), DR_TYPE_WINDOW, name);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

/* Checks the dialog that rejects --clones, then moves the folder setting to a missing folder,
 * as when the folder is moved away later, and checks the bar above the board. */
static gboolean
drive_clones_cb (gpointer user_data)
{
  ClonesTest *test = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (test->app_test.app));
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autofree char *expected = NULL;
  g_autofree char *stored = NULL;
  GtkWindow *dialog;
  GtkWidget *setup_label;

  if (dr_application_get_engine (test->app_test.app) == NULL || !DR_IS_WINDOW (window))
    return G_SOURCE_CONTINUE;

  if (test->stage == 0) {
    dialog = dr_ui_find_window (ADW_TYPE_MESSAGE_DIALOG);
    if (dialog == NULL || !gtk_widget_get_mapped (GTK_WIDGET (dialog)))
      return G_SOURCE_CONTINUE;

    expected = g_strdup_printf ("Folder %s does not exist. Choose the folder that contains your "
                                "clones of the service repositories.\n"
                                "The clones folder is still %s.", test->missing, test->clones);
    dr_ui_screenshot ("app-clones-missing-option");
    g_assert_nonnull (dr_ui_find_text (GTK_WIDGET (dialog), expected));
    g_assert_nonnull (dr_ui_find_text (GTK_WIDGET (dialog), "The clones folder was not changed"));
    stored = g_settings_get_string (settings, "clones-folder");
    g_assert_cmpstr (stored, ==, test->clones);

    /* The setting is valid, so the bar shows no folder problem. */
    setup_label = window_child (window, "setup_label");
    g_assert_null (strstr (gtk_label_get_text (GTK_LABEL (setup_label)), "does not exist"));

    gtk_window_destroy (dialog);
    g_settings_set_string (settings, "clones-folder", test->missing);
    test->stage = 1;
    return G_SOURCE_CONTINUE;
  }

  expected = g_strdup_printf ("Folder %s does not exist. Choose the folder that contains your "
                              "clones of the service repositories.", test->missing);
  setup_label = window_child (window, "setup_label");
  if (g_strcmp0 (gtk_label_get_text (GTK_LABEL (setup_label)), expected) != 0)
    return G_SOURCE_CONTINUE;

  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (window_child (window,
                                                                            "setup_revealer"))));
  dr_ui_screenshot ("app-clones-missing-bar");

  test->checked = TRUE;
  test->app_test.drive_source = 0;
  g_application_quit (G_APPLICATION (test->app_test.app));

  return G_SOURCE_REMOVE;
}

static void
test_clones_missing (void)
{
  g_autofree char *workspace = e2e_workspace_path ("slow.yaml");
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autofree char *missing = g_build_filename (e2e->clones, "nope", NULL);
  ClonesTest test = { 0 };
  int status;

  g_settings_set_string (settings, "clones-folder", e2e->clones);
  test.clones = e2e->clones;
  test.missing = missing;
  test.app_test.drive = drive_clones_cb;

  status = run_application (&test.app_test, workspace, e2e->store_path, missing);

  g_assert_false (test.app_test.timed_out);
  g_assert_true (test.checked);
  g_assert_cmpint (status, ==, 0);

  g_settings_reset (settings, "clones-folder");
  g_clear_object (&test.app_test.app);
}

/* A connection that monitors the session bus for the Notify calls that the application makes
 * to the desktop's notification server. */
typedef struct
{
  GDBusConnection *connection;
  GMutex           lock;
  GPtrArray       *notifications;  /* of GVariant, the arguments of each Notify call */
} NotifyMonitor;

static GDBusMessage *
monitor_filter_cb (GDBusConnection *connection,
                   GDBusMessage    *message,
                   gboolean         incoming,
                   gpointer         user_data)
{
  NotifyMonitor *monitor = user_data;

  if (incoming && g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
      g_strcmp0 (g_dbus_message_get_member (message), "Notify") == 0) {
    g_mutex_lock (&monitor->lock);
    g_ptr_array_add (monitor->notifications, g_variant_ref (g_dbus_message_get_body (message)));
    g_mutex_unlock (&monitor->lock);
  }

  return message;
}

static void
notify_monitor_start (NotifyMonitor *monitor)
{
  const char *rules[] = {
    "type='method_call',interface='org.freedesktop.Notifications',member='Notify'", NULL
  };
  g_autofree char *address = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_mutex_init (&monitor->lock);
  monitor->notifications = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  monitor->connection = g_dbus_connection_new_for_address_sync (
    address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
             G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_add_filter (monitor->connection, monitor_filter_cb, monitor, NULL);
  reply = g_dbus_connection_call_sync (monitor->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus.Monitoring", "BecomeMonitor",
                                       g_variant_new ("(^asu)", rules, 0), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
}

static guint
notify_monitor_count (NotifyMonitor *monitor)
{
  guint count;

  g_mutex_lock (&monitor->lock);
  count = monitor->notifications->len;
  g_mutex_unlock (&monitor->lock);

  return count;
}

static void
notify_monitor_stop (NotifyMonitor *monitor)
{
  g_dbus_connection_close_sync (monitor->connection, NULL, NULL);
  g_clear_object (&monitor->connection);
  g_clear_pointer (&monitor->notifications, g_ptr_array_unref);
  g_mutex_clear (&monitor->lock);
}

typedef struct
{
  AppTest        app_test;
  NotifyMonitor *monitor;
  GtkWindow     *other;
  gboolean       clicked;
  gint64         give_up_at;
} NotifyTest;

/* Starts GNOME's notification-daemon on the test's display and session bus, and waits until
 * it owns the name that desktop notifications go to. */
static GSubprocess *
start_notification_server (void)
{
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  server = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error,
                             "/usr/lib/notification-daemon/notification-daemon", NULL);
  g_assert_no_error (error);
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);

  for (;;) {
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GError) owner_error = NULL;

    reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus", "GetNameOwner",
                                         g_variant_new ("(s)", "org.freedesktop.Notifications"),
                                         NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &owner_error);
    if (reply != NULL)
      break;
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (50 * 1000);
  }

  return g_steal_pointer (&server);
}

static gboolean
run_window_is_shown (NotifyTest *test)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++) {
    g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

    if (DR_IS_RUN_WINDOW (window) && gtk_widget_get_mapped (GTK_WIDGET (window)) &&
        dr_run_window_get_run (DR_RUN_WINDOW (window)) != NULL &&
        dr_run_get_id (dr_run_window_get_run (DR_RUN_WINDOW (window))) ==
          dr_run_get_id (test->app_test.run))
      return TRUE;
  }

  return FALSE;
}

/* Once the store is open, moves the focus to another window, as a person who turns to other
 * work, and starts a short deploy. When the notification is shown, clicks it, and quits once
 * the run's window is open, or 20 seconds after the run ended. */
static gboolean
drive_notify_cb (gpointer user_data)
{
  NotifyTest *test = user_data;
  DrEngine *engine = dr_application_get_engine (test->app_test.app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (test->app_test.app));

  if (engine == NULL || window == NULL)
    return G_SOURCE_CONTINUE;

  if (test->other == NULL) {
    test->other = GTK_WINDOW (gtk_window_new ());
    gtk_window_set_title (test->other, "Other work");
    gtk_window_present (test->other);
    return G_SOURCE_CONTINUE;
  }

  if (gtk_window_is_active (window))
    return G_SOURCE_CONTINUE;

  if (test->app_test.start_run) {
    test->app_test.start_run = FALSE;
    dr_engine_promote_async (engine, "plain", "1.0.0", "development", NULL, promote_cb,
                             &test->app_test);
    return G_SOURCE_CONTINUE;
  }

  if (test->app_test.run == NULL || !dr_run_is_finished (test->app_test.run))
    return G_SOURCE_CONTINUE;

  if (test->give_up_at == 0)
    test->give_up_at = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  if (g_get_monotonic_time () < test->give_up_at) {
    if (notify_monitor_count (test->monitor) == 0)
      return G_SOURCE_CONTINUE;

    /* A click on the notification's popup opens the run. */
    if (!test->clicked) {
      test->clicked = TRUE;
      dr_ui_screenshot ("notification");
      g_assert_true (dr_ui_xdotool ("search", "--sync", "--onlyvisible", "--name",
                                    "^Notification$", "mousemove", "--window", "%1",
                                    "150", "40", "click", "1", NULL));
    }
    if (!run_window_is_shown (test))
      return G_SOURCE_CONTINUE;
  }

  test->app_test.drive_source = 0;
  g_application_quit (G_APPLICATION (test->app_test.app));

  return G_SOURCE_REMOVE;
}

static void
test_notify_run_end (void)
{
  g_autofree char *workspace = e2e_workspace_path ("plain.yaml");
  g_autoptr(DrE2e) e2e = dr_e2e_new (workspace, TRUE);
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  g_autoptr(GSubprocess) server = NULL;
  NotifyMonitor monitor = { 0 };
  NotifyTest test = { .app_test = { .e2e = e2e, .start_run = TRUE }, .monitor = &monitor };
  const char *summary, *body;
  int status;

  build = dr_e2e_record_build (e2e, "plain", "1.0.0", &error);
  g_assert_no_error (error);
  /* Every run counts as long. */
  g_settings_set_uint (settings, "notify-after-seconds", 0);
  server = start_notification_server ();
  notify_monitor_start (&monitor);

  test.app_test.drive = drive_notify_cb;
  status = run_application (&test.app_test, workspace, e2e->store_path, e2e->clones);

  g_assert_false (test.app_test.timed_out);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (test.app_test.run);
  g_assert_cmpint (dr_run_get_state (test.app_test.run), ==, DR_RUN_STATE_SUCCEEDED);

  /* Notify (app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout) */
  g_assert_cmpuint (notify_monitor_count (&monitor), ==, 1);
  g_variant_get_child (g_ptr_array_index (monitor.notifications, 0), 3, "&s", &summary);
  g_variant_get_child (g_ptr_array_index (monitor.notifications, 0), 4, "&s", &body);
  g_assert_cmpstr (summary, ==, _("Run succeeded"));
  title = dr_run_dup_title (test.app_test.run);
  g_assert_cmpstr (body, ==, title);
  g_assert_nonnull (strstr (body, "1.0.0"));
  g_assert_true (test.clicked);
  g_assert_true (run_window_is_shown (&test));

  g_assert_nonnull (test.other);
  gtk_window_destroy (test.other);
  g_settings_reset (settings, "notify-after-seconds");
  notify_monitor_stop (&monitor);
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
  g_clear_object (&test.app_test.run);
  g_clear_object (&test.app_test.app);
}

typedef struct
{
  GApplication *app;
  guint         source;
} QuitLater;

static gboolean
quit_later_cb (gpointer user_data)
{
  QuitLater *later = user_data;

  later->source = 0;
  g_application_quit (later->app);

  return G_SOURCE_REMOVE;
}

/* --store in a folder that does not exist is rejected before the window opens, and the
 * folder is not created. */
static void
test_store_folder_missing (void)
{
  g_autoptr(DrE2e) e2e = dr_e2e_new (NULL, FALSE);
  g_autofree char *folder = g_build_filename (e2e->root, "nonexistent", "dir", NULL);
  g_autofree char *store_path = g_build_filename (folder, "x.sqlite3", NULL);
  g_autoptr(DrApplication) app = dr_application_new ();
  const char *argv[] = { "dynamo-release", "--store", store_path, NULL };
  QuitLater later = { G_APPLICATION (app), 0 };
  int status;

  /* An application that opened its window instead quits here, so that the test fails. */
  later.source = g_timeout_add_seconds (20, quit_later_cb, &later);
  status = g_application_run (G_APPLICATION (app), G_N_ELEMENTS (argv) - 1, (char **) argv);
  g_clear_handle_id (&later.source, g_source_remove);

  g_assert_cmpint (status, ==, 5);
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
}

int
main (int   argc,
      char *argv[])
{
  dr_ui_test_init (&argc, &argv);
  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 1), ==, 0);

  g_test_add_func ("/app/store-folder-missing", test_store_folder_missing);
  g_test_add_func ("/app/sigterm-cancels-runs", test_sigterm_cancels_runs);
  g_test_add_func ("/app/sigterm-without-runs", test_sigterm_without_runs);
  g_test_add_func ("/app/notify-run-end", test_notify_run_end);
  g_test_add_func ("/app/close-asks-with-runs", test_close_asks_with_runs);
  g_test_add_func ("/app/quit-question-run-ends", test_quit_question_run_ends);
  g_test_add_func ("/app/clones-missing", test_clones_missing);

  return g_test_run ();
}
