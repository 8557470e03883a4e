/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>

#include "dr-application.h"
#include "dr-label.h"
#include "dr-preferences-window.h"
#include "dr-sqlite-store.h"
#include "dr-window.h"

/* The exit status when --store names a file in a folder that does not exist, the same as
 * dynamoctl's status for something not found. */
#define EXIT_STORE_NOT_FOUND 5

struct _DrApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  char           *workspace_path;  /* from --workspace, else NULL */
  char           *store_path;      /* from --store, else NULL */
  DrWorkspace    *workspace;
  GError         *workspace_error;
  DrEngine       *engine;
  GError         *store_error;
  char           *clones_error;    /* why --clones was not used, shown once the window opens */
  GHashTable     *notified_runs;   /* DrRun set, connected for a notification */
  guint           signal_sources[3];
  gboolean        quitting;        /* quitting once the cancelled runs have ended */
  guint           n_cancelling;    /* runs cancelled for quitting that have not ended yet */
  GtkWidget      *quit_dialog;     /* the question whether to quit with runs, while shown */
};

G_DEFINE_FINAL_TYPE (DrApplication, dr_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_ENGINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const GOptionEntry option_entries[] = {
  { "workspace", 'w', 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Open this workspace file instead of the configured one"), N_("FILE") },
  { "store", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Keep records in this SQLite file instead of the one in your data folder"), N_("FILE") },
  { "clones", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Use this folder of service clones and remember it"), N_("FOLDER") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
  { NULL }
};

DrApplication *
dr_application_new (void)
{
  return g_object_new (DR_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/org/dynamorelease/DynamoRelease",
                       NULL);
}

GSettings *
dr_application_get_settings (DrApplication *self)
{
  g_return_val_if_fail (DR_IS_APPLICATION (self), NULL);

  return self->settings;
}

DrWorkspace *
dr_application_get_workspace (DrApplication *self)
{
  g_return_val_if_fail (DR_IS_APPLICATION (self), NULL);

  return self->workspace;
}

DrEngine *
dr_application_get_engine (DrApplication *self)
{
  g_return_val_if_fail (DR_IS_APPLICATION (self), NULL);

  return self->engine;
}

/* Returns the person as Preferences describe them; an empty name means the account's. */
DrIdentity *
dr_application_dup_identity (DrApplication *self)
{
  g_autofree char *name = NULL;
  g_auto(GStrv) roles = NULL;

  g_return_val_if_fail (DR_IS_APPLICATION (self), NULL);

  name = g_settings_get_string (self->settings, "person-name");
  g_strstrip (name);
  if (name[0] == '\0') {
    g_free (name);
    name = g_strdup (g_get_real_name ());
    if (g_strcmp0 (name, "Unknown") == 0) {
      g_free (name);
      name = g_strdup (g_get_user_name ());
    }
  }

  roles = g_settings_get_strv (self->settings, "roles");

  return dr_identity_new (name, (const char * const *) roles);
}

static void
update_engine_from_settings (DrApplication *self)
{
  g_autoptr(DrIdentity) identity = NULL;
  g_autofree char *clones = NULL;

  if (self->engine == NULL)
    return;

  identity = dr_application_dup_identity (self);
  dr_engine_set_identity (self->engine, identity);

  clones = g_settings_get_string (self->settings, "clones-folder");
  dr_engine_set_clones_folder (self->engine, clones);
}

static void
settings_changed_cb (DrApplication *self,
                     const char    *key,
                     GSettings     *settings)
{
  if (g_strcmp0 (key, "person-name") == 0 || g_strcmp0 (key, "roles") == 0 ||
      g_strcmp0 (key, "clones-folder") == 0)
    update_engine_from_settings (self);
}

static void
run_finished_cb (DrApplication *self,
                 DrRun         *run)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = dr_run_dup_title (run);
  g_autofree char *id = g_strdup_printf ("run-%" G_GINT64_FORMAT, dr_run_get_id (run));
  gint64 seconds = (dr_run_get_finished_at (run) - dr_run_get_started_at (run)) / G_USEC_PER_SEC;
  guint threshold = g_settings_get_uint (self->settings, "notify-after-seconds");
  const char *heading;

  g_hash_table_remove (self->notified_runs, run);

  if (seconds < threshold || (window != NULL && gtk_window_is_active (window)))
    return;

  switch (dr_run_get_state (run)) {
  case DR_RUN_STATE_SUCCEEDED:
    heading = _("Run succeeded");
    break;
  case DR_RUN_STATE_CANCELLED:
    heading = _("Run cancelled");
    break;
  default:
    heading = _("Run failed");
    break;
  }

  notification = g_notification_new (heading);
  g_notification_set_body (notification, title);
  g_notification_set_default_action_and_target (notification, "app.show-run", "x",
                                                dr_run_get_id (run));
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

static void
run_started_cb (DrApplication *self,
                DrRun         *run,
                DrEngine      *engine)
{
  if (dr_run_is_finished (run) || g_hash_table_contains (self->notified_runs, run))
    return;

  g_hash_table_add (self->notified_runs, g_object_ref (run));
  g_signal_connect_object (run, "finished", G_CALLBACK (run_finished_cb), self,
                           G_CONNECT_SWAPPED);
}

static void
open_store_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  const char *path = task_data;
  GError *error = NULL;
  DrStore *store;

  /* A store named by --store is never given new folders, because a mistyped path must not
   * start an empty store that hides the real records. The default store is created as
   * needed. */
  if (path == NULL)
    store = dr_sqlite_store_open (NULL, &error);
  else
    store = dr_sqlite_store_open_full (path, DR_SQLITE_STORE_OPEN_CREATE_FILE, &error);
  if (store == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, store, g_object_unref);
}

static void
store_opened_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  DrApplication *self = DR_APPLICATION (object);
  g_autoptr(DrStore) store = NULL;
  GtkWindow *window;

  store = g_task_propagate_pointer (G_TASK (result), &self->store_error);
  if (store != NULL) {
    self->engine = dr_engine_new (self->workspace, store);
    update_engine_from_settings (self);
    g_signal_connect_object (self->engine, "run-started", G_CALLBACK (run_started_cb), self,
                             G_CONNECT_SWAPPED);
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENGINE]);
  } else {
    g_warning ("Could not open the store: %s", self->store_error->message);
  }

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (DR_IS_WINDOW (window)) {
    if (self->engine != NULL)
      dr_window_set_engine (DR_WINDOW (window), self->engine);
    else
      dr_window_show_error (DR_WINDOW (window), _("The records could not be opened"),
                            self->store_error->message);
  }
}

static void
load_workspace (DrApplication *self)
{
  g_autofree char *path = NULL;

  if (self->workspace != NULL || self->workspace_error != NULL)
    return;

  if (self->workspace_path != NULL)
    path = g_strdup (self->workspace_path);
  else
    path = g_settings_get_string (self->settings, "workspace");

  if (path == NULL || path[0] == '\0') {
    g_free (path);
    path = dr_workspace_find_default ();
  }

  if (path == NULL) {
    g_set_error (&self->workspace_error, DR_WORKSPACE_ERROR, DR_WORKSPACE_ERROR_IO,
                 _("The bundled Dynamo workspace is not installed. Open a workspace file with "
                   "--workspace FILE."));
    return;
  }

  /* The workspace is a small file that every part of the window needs, so it is read before
   * the first frame. The store, which may need migrating, opens in a thread. */
  self->workspace = dr_workspace_load_file (path, NULL, &self->workspace_error);
}

static void
dr_application_activate (GApplication *application)
{
  DrApplication *self = DR_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autoptr(GTask) task = NULL;

  if (window != NULL) {
    gtk_window_present (window);
    return;
  }

  load_workspace (self);

  window = GTK_WINDOW (dr_window_new (self));
  gtk_window_present (window);

  if (self->clones_error != NULL) {
    dr_window_show_message (DR_WINDOW (window), _("The clones folder was not changed"),
                            self->clones_error);
    g_clear_pointer (&self->clones_error, g_free);
  }

  if (self->workspace == NULL) {
    dr_window_show_error (DR_WINDOW (window), _("The workspace file has an error"),
                          self->workspace_error->message);
    return;
  }

  dr_window_set_workspace (DR_WINDOW (window), self->workspace);

  if (self->engine != NULL) {
    dr_window_set_engine (DR_WINDOW (window), self->engine);
    return;
  }

  task = g_task_new (self, NULL, store_opened_cb, NULL);
  g_task_set_source_tag (task, dr_application_activate);
  g_task_set_task_data (task, g_strdup (self->store_path), g_free);
  g_task_run_in_thread (task, open_store_thread);
}

static int
dr_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  DrApplication *self = DR_APPLICATION (application);
  const char *clones = NULL;

  if (g_variant_dict_contains (options, "version")) {
    g_print ("%s %s\n", "dynamo-release", PACKAGE_VERSION);
    return 0;
  }

  g_variant_dict_lookup (options, "workspace", "^ay", &self->workspace_path);
  g_variant_dict_lookup (options, "store", "^ay", &self->store_path);
  if (self->store_path != NULL) {
    g_autofree char *folder = g_path_get_dirname (self->store_path);

    if (!g_file_test (folder, G_FILE_TEST_IS_DIR)) {
      g_printerr ("dynamo-release: ");
      g_printerr (_("Store %s not found: the folder %s does not exist. Check the path given "
                    "with --store; Dynamo Release creates a store only in an existing "
                    "folder.\n"),
                  self->store_path, folder);
      return EXIT_STORE_NOT_FOUND;
    }
  }

  if (g_variant_dict_lookup (options, "clones", "^&ay", &clones)) {
    g_autoptr(GFile) folder = g_file_new_for_commandline_arg (clones);
    g_autofree char *path = g_file_get_path (folder);

    /* A mistyped folder would make every run fail, so the previous setting stays. This runs
     * before the main loop, so the check may block. */
    if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
      g_settings_set_string (self->settings, "clones-folder", path);
    } else {
      g_autofree char *previous = g_settings_get_string (self->settings, "clones-folder");
      g_autofree char *problem = dr_clones_folder_describe_problem (
        path, g_file_test (path, G_FILE_TEST_EXISTS));
      g_autoptr(GString) message = g_string_new (problem);

      g_string_append_c (message, '\n');
      if (previous[0] != '\0')
        /* Translators: %s is a folder. */
        g_string_append_printf (message, _("The clones folder is still %s."), previous);
      else
        g_string_append (message, _("No clones folder is chosen yet."));

      g_printerr ("%s\n", message->str);
      g_free (self->clones_error);
      self->clones_error = g_string_free (g_steal_pointer (&message), FALSE);
    }
  }

  return -1;
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  DrApplication *self = user_data;

  dr_application_request_quit (self, gtk_application_get_active_window (GTK_APPLICATION (self)));
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  DrApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  DrPreferencesWindow *preferences;

  preferences = dr_preferences_window_new (self->settings, self->workspace);
  gtk_window_set_transient_for (GTK_WINDOW (preferences), window);
  gtk_window_present (GTK_WINDOW (preferences));
}

/* Opens Preferences on the Clusters page, in the fields of the cluster named by @parameter. */
static void
cluster_preferences_activated (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  DrApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  DrPreferencesWindow *preferences;

  preferences = dr_preferences_window_new (self->settings, self->workspace);
  gtk_window_set_transient_for (GTK_WINDOW (preferences), window);
  gtk_window_present (GTK_WINDOW (preferences));
  dr_preferences_window_show_cluster (preferences, g_variant_get_string (parameter, NULL));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  DrApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  const char *developers[] = { "Dynamo Release developers", NULL };

  adw_show_about_window (window,
                         "application-name", _("Dynamo Release"),
                         "application-icon", APPLICATION_ID,
                         "version", PACKAGE_VERSION,
                         "developer-name", _("Dynamo Release developers"),
                         "developers", developers,
                         "comments", _("Promote builds from Development to QA to Production."),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         /* Translators: put your names here, one per line. */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
show_run_activated (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  DrApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (!DR_IS_WINDOW (window))
    return;

  gtk_window_present (window);
  dr_window_show_run (DR_WINDOW (window), g_variant_get_int64 (parameter));
}

/* Quitting on a signal */

static void
cancelled_run_finished_cb (DrApplication *self,
                           DrRun         *run)
{
  g_assert (self->n_cancelling > 0);

  self->n_cancelling--;
  if (self->n_cancelling == 0)
    g_application_quit (G_APPLICATION (self));
}

/* Returns the runs that this process executes and that have not ended yet. */
static GPtrArray *
dup_running_runs (DrApplication *self)
{
  GPtrArray *running = g_ptr_array_new_with_free_func (g_object_unref);
  GListModel *runs = self->engine != NULL ? dr_engine_get_runs (self->engine) : NULL;

  for (guint i = 0; runs != NULL && i < g_list_model_get_n_items (runs); i++) {
    g_autoptr(DrRun) run = g_list_model_get_item (runs, i);

    if (dr_run_is_local (run) && !dr_run_is_finished (run))
      g_ptr_array_add (running, g_steal_pointer (&run));
  }

  return running;
}

/* Cancels every run of this process and quits once the steps' processes have ended, so that
 * none is left running and every kubeconfig is deleted. */
static void
cancel_runs_and_quit (DrApplication *self)
{
  g_autoptr(GPtrArray) running = dup_running_runs (self);

  self->quitting = TRUE;

  for (guint i = 0; i < running->len; i++) {
    DrRun *run = g_ptr_array_index (running, i);

    self->n_cancelling++;
    g_signal_connect_object (run, "finished", G_CALLBACK (cancelled_run_finished_cb), self,
                             G_CONNECT_SWAPPED);
    dr_run_cancel (run);
  }

  if (self->n_cancelling == 0)
    g_application_quit (G_APPLICATION (self));
}

/* Quits on SIGINT, SIGTERM or SIGHUP, as at logout or shutdown, after cancelling every run of
 * this process. A second signal quits at once. */
static gboolean
quit_signal_cb (gpointer user_data)
{
  DrApplication *self = user_data;

  if (self->quitting)
    g_application_quit (G_APPLICATION (self));
  else
    cancel_runs_and_quit (self);

  return G_SOURCE_CONTINUE;
}

/* Quits when the runs that the quit question lists have all ended while it was shown: the
 * person asked to quit, and nothing is left to cancel. */
static void
asked_run_finished_cb (DrApplication *self,
                       DrRun         *run)
{
  if (self->quit_dialog == NULL || self->quitting || dr_application_has_running_runs (self))
    return;

  gtk_window_destroy (GTK_WINDOW (self->quit_dialog));
  g_application_quit (G_APPLICATION (self));
}

static void
quit_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  DrApplication    *self)
{
  if (g_str_equal (response, "quit") && !self->quitting)
    cancel_runs_and_quit (self);
}

/**
 * dr_application_has_running_runs:
 * @self: a #DrApplication
 *
 * Returns: whether this process executes a run that has not ended, which quitting would cancel
 */
gboolean
dr_application_has_running_runs (DrApplication *self)
{
  g_autoptr(GPtrArray) running = NULL;

  g_return_val_if_fail (DR_IS_APPLICATION (self), FALSE);

  running = dup_running_runs (self);

  return running->len > 0;
}

/**
 * dr_application_request_quit:
 * @self: a #DrApplication
 * @parent: (nullable): the window to show the question over
 *
 * Quits at once when this process executes no run. Otherwise shows a question: cancel the
 * runs in progress and quit, or keep them running. A run whose process quits without cancelling
 * it would leave its steps' processes and its kubeconfig behind.
 */
void
dr_application_request_quit (DrApplication *self,
                             GtkWindow     *parent)
{
  g_autoptr(GPtrArray) running = NULL;
  g_autoptr(GString) titles = g_string_new (NULL);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  g_return_if_fail (DR_IS_APPLICATION (self));
  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));

  if (self->quitting)
    return;

  if (self->quit_dialog != NULL) {
    gtk_window_present (GTK_WINDOW (self->quit_dialog));
    return;
  }

  running = dup_running_runs (self);
  if (running->len == 0) {
    g_application_quit (G_APPLICATION (self));
    return;
  }

  for (guint i = 0; i < running->len; i++) {
    g_autofree char *title = dr_run_dup_title (g_ptr_array_index (running, i));

    g_string_append_printf (titles, "%s• %s", i > 0 ? "\n" : "", title);
  }

  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Quit while a run is in progress?",
                                          "Quit while %u runs are in progress?", running->len),
                             running->len);
  dialog = adw_message_dialog_new (parent, NULL,
                                   g_dngettext (GETTEXT_PACKAGE,
                                                "Quitting cancels this run: its processes are "
                                                "ended and it is recorded as cancelled.",
                                                "Quitting cancels these runs: their processes "
                                                "are ended and they are recorded as cancelled.",
                                                running->len));
  dr_message_dialog_set_plain_heading (ADW_MESSAGE_DIALOG (dialog), heading);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog),
                                      dr_dialog_list_new (titles->str, FALSE));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep Running"),
                                    "quit", _("_Cancel Runs and Quit"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "quit",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_signal_connect_object (dialog, "response", G_CALLBACK (quit_response_cb), self, 0);
  for (guint i = 0; i < running->len; i++)
    g_signal_connect_object (g_ptr_array_index (running, i), "finished",
                             G_CALLBACK (asked_run_finished_cb), self, G_CONNECT_SWAPPED);
  self->quit_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->quit_dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "preferences", preferences_activated },
  { "cluster-preferences", cluster_preferences_activated, "s" },
  { "about", about_activated },
  { "show-run", show_run_activated, "x" },
};

static void
dr_application_startup (GApplication *application)
{
  DrApplication *self = DR_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  static const char *new_build_accels[] = { "<Control>n", NULL };
  static const char *overview_accels[] = { "<Alt>Home", NULL };
  static const char *runs_accels[] = { "<Control>r", NULL };
  static const char *sidebar_accels[] = { "F9", NULL };

  G_APPLICATION_CLASS (dr_application_parent_class)->startup (application);

  self->signal_sources[0] = g_unix_signal_add (SIGINT, quit_signal_cb, self);
  self->signal_sources[1] = g_unix_signal_add (SIGTERM, quit_signal_cb, self);
  self->signal_sources[2] = g_unix_signal_add (SIGHUP, quit_signal_cb, self);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.new-build",
                                         new_build_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-overview",
                                         overview_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-runs", runs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.toggle-sidebar",
                                         sidebar_accels);
}

static void
dr_application_dispose (GObject *object)
{
  DrApplication *self = DR_APPLICATION (object);

  for (guint i = 0; i < G_N_ELEMENTS (self->signal_sources); i++)
    g_clear_handle_id (&self->signal_sources[i], g_source_remove);
  g_clear_pointer (&self->notified_runs, g_hash_table_unref);
  if (self->quit_dialog != NULL) {
    g_object_remove_weak_pointer (G_OBJECT (self->quit_dialog), (gpointer *) &self->quit_dialog);
    self->quit_dialog = NULL;
  }
  g_clear_object (&self->engine);
  g_clear_object (&self->workspace);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (dr_application_parent_class)->dispose (object);
}

static void
dr_application_finalize (GObject *object)
{
  DrApplication *self = DR_APPLICATION (object);

  g_clear_pointer (&self->workspace_path, g_free);
  g_clear_pointer (&self->store_path, g_free);
  g_clear_error (&self->workspace_error);
  g_clear_error (&self->store_error);
  g_clear_pointer (&self->clones_error, g_free);

  G_OBJECT_CLASS (dr_application_parent_class)->finalize (object);
}

static void
dr_application_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DrApplication *self = DR_APPLICATION (object);

  switch (prop_id) {
  case PROP_ENGINE:
    g_value_set_object (value, self->engine);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_application_class_init (DrApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = dr_application_dispose;
  object_class->finalize = dr_application_finalize;
  object_class->get_property = dr_application_get_property;

  application_class->activate = dr_application_activate;
  application_class->startup = dr_application_startup;
  application_class->handle_local_options = dr_application_handle_local_options;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, DR_TYPE_ENGINE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dr_application_init (DrApplication *self)
{
  self->settings = g_settings_new (APPLICATION_ID);
  self->notified_runs = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);

  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_description (G_APPLICATION (self),
                                                _("Exit status: 0 on success, 1 for an invalid "
                                                  "option, 5 when the folder of the --store "
                                                  "file does not exist."));
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb), self,
                           G_CONNECT_SWAPPED);
}
