/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dr-application.h"
#include "dr-board.h"
#include "dr-checklist-view.h"
#include "dr-label.h"
#include "dr-new-build-dialog.h"
#include "dr-overview.h"
#include "dr-run-window.h"
#include "dr-service-row.h"
#include "dr-window.h"

/* How often the board reads the selected service's Deployments again while the window is
 * shown. */
#define CLUSTER_REFRESH_SECONDS 30

struct _DrWindow
{
  AdwApplicationWindow  parent_instance;

  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  GtkSpinner           *loading_spinner;
  AdwStatusPage        *error_page;
  GtkLabel             *error_label;
  AdwLeaflet           *leaflet;
  AdwWindowTitle       *sidebar_title;
  GtkListBox           *service_list;
  AdwWindowTitle       *content_title;
  GtkStack             *content_stack;
  GtkRevealer          *setup_revealer;
  GtkLabel             *setup_label;
  GtkMenuButton        *runs_button;
  GtkStack             *runs_stack;
  GtkListBox           *runs_list;
  DrOverview           *overview;
  DrBoard              *board;
  DrChecklistView      *checklist_view;

  DrWorkspace          *workspace;
  DrEngine             *engine;
  char                 *service;        /* the selected service, NULL for the overview */
  GHashTable           *snapshots;      /* service id → DrServiceSnapshot */
  GHashTable           *loading;        /* service ids with a load in flight */
  GHashTable           *stale;          /* service ids changed while loading */
  GHashTable           *run_windows;    /* run id → DrRunWindow */
  GCancellable         *cancellable;

  GCancellable         *cluster_cancellable;  /* the cluster state read in flight, or NULL */
  gboolean              cluster_reload;       /* read again when the one in flight ends */
  char                 *cluster_key;          /* what the board shows that the drift depends on */
  GPtrArray            *cluster_states;       /* of DrClusterState: what the board shows, or NULL */
  guint                 cluster_refresh_id;

  GCancellable         *clones_cancellable;   /* the check of the clones folder in flight */
  char                 *clones_problem;       /* why the clones folder cannot be used, or NULL */
};

G_DEFINE_FINAL_TYPE (DrWindow, dr_window, ADW_TYPE_APPLICATION_WINDOW)

static void load_snapshot      (DrWindow   *self,
                                const char *service);
static void load_cluster_state (DrWindow   *self);
static void check_clones_folder (DrWindow  *self);

static void
show_toast (DrWindow   *self,
            const char *text)
{
  AdwToast *toast = adw_toast_new (text);

  adw_toast_set_timeout (toast, 6);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Shows a message whose body may hold versions, paths and commands, which the dialog's own
 * centred body would break with hyphens. */
static void
show_message (DrWindow   *self,
              const char *heading,
              const char *body)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL);

  dr_message_dialog_set_plain_heading (ADW_MESSAGE_DIALOG (dialog), heading);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), dr_dialog_list_new (body, FALSE));
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

static const char *
environment_title (DrWindow   *self,
                   const char *environment_id)
{
  const DrEnvironment *environment = dr_workspace_get_environment (self->workspace,
                                                                   environment_id);

  return environment != NULL ? environment->title : environment_id;
}

static const char *
service_title (DrWindow   *self,
               const char *service_id)
{
  const DrService *service = dr_workspace_get_service (self->workspace, service_id);

  return service != NULL ? service->title : service_id;
}

/* Runs */

static void
rollback_requested_cb (DrWindow *self,
                       DrRun    *run)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.rollback", "(ss)",
                              dr_run_get_service (run), dr_run_get_environment (run));
}

static void
run_window_destroyed_cb (DrWindow    *self,
                         DrRunWindow *window)
{
  GHashTableIter iter;
  gpointer value;

  /* The window may have let its run go by now, so find it by value. */
  g_hash_table_iter_init (&iter, self->run_windows);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (value == window)
      g_hash_table_iter_remove (&iter);
}

static void
present_run (DrWindow *self,
             DrRun    *run)
{
  gint64 id = dr_run_get_id (run);
  DrRunWindow *window = g_hash_table_lookup (self->run_windows, &id);

  if (window == NULL) {
    window = dr_run_window_new (run);
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (self));
    gtk_window_set_application (GTK_WINDOW (window),
                                gtk_window_get_application (GTK_WINDOW (self)));
    g_signal_connect_object (window, "rollback-requested", G_CALLBACK (rollback_requested_cb),
                             self, G_CONNECT_SWAPPED);
    g_hash_table_insert (self->run_windows, g_memdup2 (&id, sizeof id), window);
    g_signal_connect_object (window, "destroy", G_CALLBACK (run_window_destroyed_cb), self,
                             G_CONNECT_SWAPPED);
  }

  gtk_window_present (GTK_WINDOW (window));
}

static void
run_finished_cb (DrWindow *self,
                 DrRun    *run)
{
  g_autofree char *title = dr_run_dup_title (run);
  g_autofree char *text = NULL;
  gint64 id = dr_run_get_id (run);
  GtkWidget *run_window = g_hash_table_lookup (self->run_windows, &id);
  AdwToast *toast;

  /* The run's own window already shows how it ended. */
  if (run_window != NULL && gtk_widget_get_mapped (run_window))
    return;

  switch (dr_run_get_state (run)) {
  case DR_RUN_STATE_SUCCEEDED:
    /* Translators: %s is a run's title, e.g. "Deploy API Gateway 1.4.0 to QA". */
    text = g_strdup_printf (_("Succeeded: %s"), title);
    break;
  case DR_RUN_STATE_CANCELLED:
    text = g_strdup_printf (_("Cancelled: %s"), title);
    break;
  default:
    text = g_strdup_printf (_("Failed: %s"), title);
    break;
  }

  toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, 10);

  /* A failed deploy offers the way back. */
  if (dr_run_get_kind (run) == DR_RUN_KIND_DEPLOY &&
      dr_run_get_state (run) != DR_RUN_STATE_SUCCEEDED) {
    adw_toast_set_button_label (toast, _("Roll Back…"));
    adw_toast_set_action_name (toast, "win.rollback");
    adw_toast_set_action_target_value (toast,
                                       g_variant_new ("(ss)", dr_run_get_service (run),
                                                      dr_run_get_environment (run)));
  } else {
    adw_toast_set_button_label (toast, _("Show"));
    adw_toast_set_action_name (toast, "win.show-run");
    adw_toast_set_action_target_value (toast, g_variant_new_int64 (dr_run_get_id (run)));
  }

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* A run may have changed the Deployment, so the board reads the cluster again. */
static void
cluster_run_finished_cb (DrWindow *self,
                         DrRun    *run)
{
  if (g_strcmp0 (dr_run_get_service (run), self->service) == 0)
    load_cluster_state (self);
}

static void
engine_run_started_cb (DrWindow *self,
                       DrRun    *run,
                       DrEngine *engine)
{
  g_signal_connect_object (run, "finished", G_CALLBACK (run_finished_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (run, "finished", G_CALLBACK (cluster_run_finished_cb), self,
                           G_CONNECT_SWAPPED);
}

static void
run_started (DrWindow *self,
             DrRun    *run)
{
  present_run (self, run);
}

static void
run_loaded_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(DrWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;

  run = dr_engine_load_run_finish (DR_ENGINE (object), result, &error);
  if (run == NULL) {
    show_toast (self, error->message);
    return;
  }

  present_run (self, run);
}

void
dr_window_show_run (DrWindow *self,
                    gint64    run_id)
{
  g_return_if_fail (DR_IS_WINDOW (self));

  if (self->engine == NULL)
    return;

  dr_engine_load_run_async (self->engine, run_id, self->cancellable, run_loaded_cb,
                            g_object_ref (self));
}

/* Colours a run's bar in the runs list by how the run ended, so a full bar does not read as
 * success. */
static void
run_row_state_cb (GtkWidget  *progress,
                  GParamSpec *pspec,
                  DrRun      *run)
{
  DrRunState state = dr_run_get_state (run);

  gtk_widget_remove_css_class (progress, "failed");
  gtk_widget_remove_css_class (progress, "succeeded");
  if (state == DR_RUN_STATE_SUCCEEDED)
    gtk_widget_add_css_class (progress, "succeeded");
  else if (state != DR_RUN_STATE_RUNNING)
    gtk_widget_add_css_class (progress, "failed");
}

static GtkWidget *
create_run_row (gpointer item,
                gpointer user_data)
{
  DrRun *run = DR_RUN (item);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *progress = gtk_progress_bar_new ();

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  dr_label_wrap_anywhere (GTK_LABEL (title));
  g_object_bind_property (run, "title", title, "label", G_BINDING_SYNC_CREATE);
  g_object_bind_property (run, "fraction", progress, "fraction", G_BINDING_SYNC_CREATE);
  g_signal_connect_object (run, "notify::state", G_CALLBACK (run_row_state_cb), progress,
                           G_CONNECT_SWAPPED);
  run_row_state_cb (progress, NULL, run);
  gtk_widget_add_css_class (row, "run-row");

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), progress);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "run", g_object_ref (run), g_object_unref);

  return row;
}

static void
run_row_activated_cb (DrWindow      *self,
                      GtkListBoxRow *row)
{
  DrRun *run = g_object_get_data (G_OBJECT (row), "run");

  gtk_popover_popdown (gtk_menu_button_get_popover (self->runs_button));
  present_run (self, run);
}

static void
runs_changed_cb (DrWindow   *self,
                 guint       position,
                 guint       removed,
                 guint       added,
                 GListModel *runs)
{
  gtk_stack_set_visible_child_name (self->runs_stack,
                                    g_list_model_get_n_items (runs) > 0 ? "list" : "empty");
}

static void
start_run_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(DrWindow) self = user_data;
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;

  run = dr_engine_start_run_finish (DR_ENGINE (object), result, &refusals, &error);
  if (run == NULL) {
    if (g_error_matches (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_REFUSED))
      show_message (self, _("The promotion was refused"), error->message);
    else
      show_message (self, _("The run could not start"), error->message);
    return;
  }

  run_started (self, run);
}

/* Promotion */

static char *
join_refusals (GPtrArray *refusals)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < refusals->len; i++) {
    const DrRefusal *refusal = g_ptr_array_index (refusals, i);

    if (text->len > 0)
      g_string_append_c (text, '\n');
    g_string_append_printf (text, "• %s", refusal->message);
  }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
show_refusals (DrWindow   *self,
               const char *version,
               const char *environment,
               GPtrArray  *refusals)
{
  g_autofree char *heading = NULL;
  g_autofree char *body = join_refusals (refusals);

  /* Translators: version, environment, e.g. "1.4.0 cannot enter Production yet". */
  heading = g_strdup_printf (_("%s cannot enter %s yet"), version,
                             environment_title (self, environment));
  show_message (self, heading, body);
}

static void
start_promotion (DrWindow   *self,
                 const char *service,
                 const char *version,
                 const char *environment)
{
  dr_engine_promote_async (self->engine, service, version, environment, self->cancellable,
                           start_run_cb, g_object_ref (self));
}

static void
build_dropped_cb (DrWindow   *self,
                  DrBuildRef *ref,
                  const char *environment,
                  DrBoard    *board)
{
  const DrServiceSnapshot *snapshot = g_hash_table_lookup (self->snapshots, ref->service);
  g_autoptr(GPtrArray) refusals = NULL;

  if (snapshot == NULL)
    return;

  refusals = dr_engine_check_promotion (self->engine, snapshot, ref->version, environment);
  if (refusals->len > 0) {
    show_refusals (self, ref->version, environment, refusals);
    return;
  }

  /* The drag itself is the confirmation; the engine checks the gate again as it starts. */
  start_promotion (self, ref->service, ref->version, environment);
}

typedef struct
{
  DrWindow *self;
  char     *service;
  char     *version;
  char     *environment;
} Promotion;

static void
promotion_free (Promotion *promotion)
{
  g_object_unref (promotion->self);
  g_free (promotion->service);
  g_free (promotion->version);
  g_free (promotion->environment);
  g_free (promotion);
}

static void
promote_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     Promotion        *promotion)
{
  if (g_strcmp0 (response, "deploy") == 0)
    start_promotion (promotion->self, promotion->service, promotion->version,
                     promotion->environment);

  promotion_free (promotion);
}

static char *
describe_pipeline (DrWindow        *self,
                   const DrService *service)
{
  GPtrArray *steps = service->pipeline->steps[DR_PIPELINE_DEPLOY];
  GPtrArray *verify = service->pipeline->steps[DR_PIPELINE_VERIFY];
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; steps != NULL && i < steps->len; i++) {
    const DrStep *step = g_ptr_array_index (steps, i);

    g_string_append_printf (text, "\n%u. %s", i + 1, step->name);
  }
  if (dr_workspace_get_verify_after_deploy (self->workspace)) {
    for (guint i = 0; verify != NULL && i < verify->len; i++) {
      const DrStep *step = g_ptr_array_index (verify, i);

      g_string_append_printf (text, "\n%u. %s", (steps != NULL ? steps->len : 0) + i + 1,
                              step->name);
    }
  }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The keyboard path to promotion: the gate's verdict, then a confirmation. */
static void
promote_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  DrWindow *self = DR_WINDOW (widget);
  const char *service_id, *version, *environment;
  const DrServiceSnapshot *snapshot;
  const DrService *service;
  g_autoptr(GPtrArray) refusals = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *steps = NULL;
  g_autofree char *body = NULL;
  Promotion *promotion;
  GtkWidget *dialog;

  g_variant_get (parameter, "(&s&s&s)", &service_id, &version, &environment);
  snapshot = g_hash_table_lookup (self->snapshots, service_id);
  service = dr_workspace_get_service (self->workspace, service_id);
  if (snapshot == NULL || service == NULL)
    return;

  refusals = dr_engine_check_promotion (self->engine, snapshot, version, environment);
  if (refusals->len > 0) {
    show_refusals (self, version, environment, refusals);
    return;
  }

  /* Translators: service, version, environment. */
  heading = g_strdup_printf (_("Deploy %s %s to %s?"), service->title, version,
                             environment_title (self, environment));
  steps = describe_pipeline (self, service);
  /* Translators: %s is a numbered list of steps. */
  body = g_strdup_printf (_("The gate is open. These steps will run:%s"), steps);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, body);
  dr_message_dialog_set_plain_heading (ADW_MESSAGE_DIALOG (dialog), heading);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "deploy", _("_Deploy"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "deploy",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "deploy");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  promotion = g_new0 (Promotion, 1);
  promotion->self = g_object_ref (self);
  promotion->service = g_strdup (service_id);
  promotion->version = g_strdup (version);
  promotion->environment = g_strdup (environment);
  g_signal_connect (dialog, "response", G_CALLBACK (promote_response_cb), promotion);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
verify_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  DrWindow *self = DR_WINDOW (widget);
  const char *service, *environment;

  g_variant_get (parameter, "(&s&s)", &service, &environment);
  dr_engine_verify_async (self->engine, service, environment, self->cancellable,
                          start_run_cb, g_object_ref (self));
}

static void
rollback_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      Promotion        *rollback)
{
  if (g_strcmp0 (response, "rollback") == 0)
    dr_engine_rollback_async (rollback->self->engine, rollback->service, rollback->environment,
                              rollback->self->cancellable, start_run_cb,
                              g_object_ref (rollback->self));

  promotion_free (rollback);
}

/* Rollback requests confirmation first, naming the commands that will run and where. When
 * nothing can be rolled back, the dialog gives the reason and its Roll Back button is
 * insensitive. */
static void
rollback_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  DrWindow *self = DR_WINDOW (widget);
  const char *service_id, *environment;
  const DrServiceSnapshot *snapshot;
  g_auto(GStrv) commands = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *directory = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *joined = NULL;
  g_autofree char *blocker = NULL;
  Promotion *rollback;
  GtkWidget *dialog;

  g_variant_get (parameter, "(&s&s)", &service_id, &environment);
  snapshot = g_hash_table_lookup (self->snapshots, service_id);
  if (snapshot == NULL)
    return;

  /* The engine describes which deploy is undone, which steps are skipped and what stays
   * current, as the rollback will do it. */
  commands = dr_engine_describe_rollback_full (self->engine, snapshot, environment, &summary);
  directory = dr_engine_dup_service_directory (self->engine, service_id);
  blocker = dr_engine_dup_rollback_blocker (self->engine, snapshot, environment);

  /* Translators: service, environment. */
  heading = g_strdup_printf (_("Roll back %s in %s?"), service_title (self, service_id),
                             environment_title (self, environment));

  if (blocker != NULL) {
    g_string_append (body, blocker);
  } else {
    g_string_append (body, summary);
    g_string_append_c (body, ' ');
    if (commands[0] == NULL)
      g_string_append (body, _("No command runs."));
    else
      /* Translators: %s is a folder. */
      g_string_append_printf (body, _("These commands run in %s:"),
                              directory != NULL ? directory : _("the service’s clone"));
  }
  joined = g_strjoinv ("\n", commands);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, body->str);
  dr_message_dialog_set_plain_heading (ADW_MESSAGE_DIALOG (dialog), heading);
  if (commands[0] != NULL && blocker == NULL)
    adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog),
                                        dr_dialog_list_new (joined, TRUE));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "rollback", _("_Roll Back"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rollback",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "rollback",
                                           blocker == NULL);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  rollback = g_new0 (Promotion, 1);
  rollback->self = g_object_ref (self);
  rollback->service = g_strdup (service_id);
  rollback->environment = g_strdup (environment);
  g_signal_connect (dialog, "response", G_CALLBACK (rollback_response_cb), rollback);

  gtk_window_present (GTK_WINDOW (dialog));
}

/* Redeploy */

static void
redeploy_started_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(DrWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;

  run = dr_engine_start_run_finish (DR_ENGINE (object), result, NULL, &error);
  if (run == NULL) {
    if (g_error_matches (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_REFUSED))
      show_message (self, _("The redeploy was refused"), error->message);
    else
      show_message (self, _("The run could not start"), error->message);
    return;
  }

  run_started (self, run);
}

static void
redeploy_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      Promotion        *redeploy)
{
  if (g_strcmp0 (response, "redeploy") == 0)
    dr_engine_redeploy_async (redeploy->self->engine, redeploy->service, redeploy->environment,
                              redeploy->self->cancellable, redeploy_started_cb,
                              g_object_ref (redeploy->self));

  promotion_free (redeploy);
}

/* Returns the cluster line's state of @environment when it shows drift, else NULL. */
static const DrClusterState *
find_drift (DrWindow   *self,
            const char *service,
            const char *environment)
{
  if (self->cluster_states == NULL || g_strcmp0 (service, self->service) != 0)
    return NULL;

  for (guint i = 0; i < self->cluster_states->len; i++) {
    const DrClusterState *state = g_ptr_array_index (self->cluster_states, i);

    if (g_strcmp0 (state->environment, environment) == 0)
      return state->drift ? state : NULL;
  }

  return NULL;
}

/* Redeploy applies the gate first, then requests confirmation, naming the build it deploys,
 * the drift it repairs and the commands that run. */
static void
redeploy_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  DrWindow *self = DR_WINDOW (widget);
  const char *service_id, *environment;
  const DrServiceSnapshot *snapshot;
  const DrService *service;
  const DrDeployment *current;
  const DrClusterState *drift;
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  g_auto(GStrv) commands = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *directory = NULL;
  g_autofree char *joined = NULL;
  Promotion *redeploy;
  GtkWidget *dialog;

  g_variant_get (parameter, "(&s&s)", &service_id, &environment);
  snapshot = g_hash_table_lookup (self->snapshots, service_id);
  service = dr_workspace_get_service (self->workspace, service_id);
  if (snapshot == NULL || service == NULL)
    return;

  refusals = dr_engine_check_redeploy (self->engine, snapshot, environment);
  if (refusals->len > 0) {
    g_autofree char *reasons = join_refusals (refusals);

    /* Translators: service, environment, e.g. "Auth Service cannot be redeployed in QA". */
    heading = g_strdup_printf (_("%s cannot be redeployed in %s"), service->title,
                               environment_title (self, environment));
    show_message (self, heading, reasons);
    return;
  }

  current = dr_service_snapshot_get_current (snapshot, environment);
  drift = find_drift (self, service_id, environment);
  commands = dr_engine_describe_redeploy (self->engine, snapshot, environment);
  directory = dr_engine_dup_service_directory (self->engine, service_id);

  /* Translators: service, version, environment. */
  heading = g_strdup_printf (_("Redeploy %s %s to %s?"), service->title, current->version,
                             environment_title (self, environment));

  if (drift != NULL) {
    const char *running = drift->tag != NULL ? drift->tag : drift->image;

    /* Translators: the version the cluster runs, then the version the board records. */
    g_string_append_printf (body, _("The cluster runs %s, but the board records %s."),
                            running, current->version);
    g_string_append_c (body, ' ');
  }
  /* Translators: a version. */
  g_string_append_printf (body, _("The redeploy deploys %s again, so that the cluster runs the "
                                  "build the board records."),
                          current->version);
  g_string_append_c (body, ' ');
  if (commands[0] == NULL)
    g_string_append (body, _("No command runs."));
  else
    /* Translators: %s is a folder. */
    g_string_append_printf (body, _("These commands run in %s:"),
                            directory != NULL ? directory : _("the service’s clone"));
  joined = g_strjoinv ("\n", commands);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, body->str);
  dr_message_dialog_set_plain_heading (ADW_MESSAGE_DIALOG (dialog), heading);
  if (commands[0] != NULL)
    adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog),
                                        dr_dialog_list_new (joined, TRUE));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "redeploy", _("_Redeploy"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "redeploy",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  redeploy = g_new0 (Promotion, 1);
  redeploy->self = g_object_ref (self);
  redeploy->service = g_strdup (service_id);
  redeploy->environment = g_strdup (environment);
  g_signal_connect (dialog, "response", G_CALLBACK (redeploy_response_cb), redeploy);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_run_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  dr_window_show_run (DR_WINDOW (widget), g_variant_get_int64 (parameter));
}

static void
new_build_run_started_cb (DrWindow *self,
                          DrRun    *run)
{
  run_started (self, run);
}

static void
new_build_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  DrWindow *self = DR_WINDOW (widget);
  DrNewBuildDialog *dialog;
  const char *service = self->service;

  if (self->engine == NULL)
    return;

  if (service == NULL) {
    GPtrArray *services = dr_workspace_get_services (self->workspace);

    service = ((const DrService *) g_ptr_array_index (services, 0))->id;
  }

  dialog = dr_new_build_dialog_new (self->engine, service);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (self));
  g_signal_connect_object (dialog, "run-started", G_CALLBACK (new_build_run_started_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_overview_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  dr_window_select_service (DR_WINDOW (widget), NULL);
}

static void
show_sidebar_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  DrWindow *self = DR_WINDOW (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
show_runs_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  DrWindow *self = DR_WINDOW (widget);

  gtk_menu_button_popup (self->runs_button);
}

/* Cluster state: what the selected service's Deployments run. Errors stay on the board's
 * cluster lines and raise no toast and no dialog. */

typedef struct
{
  DrWindow     *self;
  GCancellable *cancellable;
  char         *service;
} ClusterRead;

static void
cluster_read_free (ClusterRead *read)
{
  g_object_unref (read->self);
  g_object_unref (read->cancellable);
  g_free (read->service);
  g_free (read);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClusterRead, cluster_read_free)

static void
cluster_state_loaded_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(ClusterRead) read = user_data;
  DrWindow *self = read->self;
  g_autoptr(GPtrArray) states = NULL;
  g_autoptr(GError) error = NULL;

  states = dr_engine_load_cluster_state_finish (DR_ENGINE (object), result, &error);

  /* Another service was selected, or the window closed, since this read began. */
  if (read->cancellable != self->cluster_cancellable)
    return;
  g_clear_object (&self->cluster_cancellable);

  if (states == NULL)
    g_debug ("Could not read the cluster state of %s: %s", read->service, error->message);
  else if (g_strcmp0 (read->service, self->service) == 0) {
    dr_board_set_cluster_states (self->board, states);
    g_clear_pointer (&self->cluster_states, g_ptr_array_unref);
    self->cluster_states = g_ptr_array_ref (states);
  }

  if (self->cluster_reload) {
    self->cluster_reload = FALSE;
    load_cluster_state (self);
  }
}

/* Reads the selected service's cluster state, or reads it again once the read in flight
 * ends, so that one read at a time goes to the clusters. */
static void
load_cluster_state (DrWindow *self)
{
  ClusterRead *read;

  if (self->engine == NULL || self->service == NULL)
    return;

  if (self->cluster_cancellable != NULL) {
    self->cluster_reload = TRUE;
    return;
  }

  read = g_new0 (ClusterRead, 1);
  read->self = g_object_ref (self);
  read->cancellable = g_cancellable_new ();
  read->service = g_strdup (self->service);
  self->cluster_cancellable = g_object_ref (read->cancellable);

  dr_engine_load_cluster_state_async (self->engine, self->service, read->cancellable,
                                      cluster_state_loaded_cb, read);
}

/* Drops what the board shows about the previous service's clusters and reads the new one's. */
static void
restart_cluster_state (DrWindow *self)
{
  if (self->cluster_cancellable != NULL)
    g_cancellable_cancel (self->cluster_cancellable);
  g_clear_object (&self->cluster_cancellable);
  self->cluster_reload = FALSE;
  g_clear_pointer (&self->cluster_key, g_free);
  g_clear_pointer (&self->cluster_states, g_ptr_array_unref);

  dr_board_set_cluster_states (self->board, NULL);
  load_cluster_state (self);
}

/* Returns the current version and the active run of each environment, the parts of a snapshot
 * that drift is measured against. */
static char *
dup_cluster_key (DrWindow                *self,
                 const DrServiceSnapshot *snapshot)
{
  GPtrArray *environments = dr_workspace_get_environments (self->workspace);
  GString *key = g_string_new (NULL);

  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);
    const DrDeployment *current = dr_service_snapshot_get_current (snapshot, environment->id);
    const DrRunRecord *active = dr_service_snapshot_find_active_run (snapshot, environment->id);

    g_string_append_printf (key, "%s=%s,%" G_GINT64_FORMAT ";", environment->id,
                            current != NULL ? current->version : "",
                            active != NULL ? active->id : 0);
  }

  return g_string_free (key, FALSE);
}

/* Reads the cluster again when the board's versions changed, for example after a run in
 * another process, so that drift is measured against what the board shows. */
static void
check_cluster_key (DrWindow                *self,
                   const DrServiceSnapshot *snapshot)
{
  g_autofree char *key = dup_cluster_key (self, snapshot);

  if (self->cluster_key != NULL && !g_str_equal (key, self->cluster_key))
    load_cluster_state (self);

  g_free (self->cluster_key);
  self->cluster_key = g_steal_pointer (&key);
}

static gboolean
cluster_refresh_cb (gpointer user_data)
{
  DrWindow *self = user_data;
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (self));

  if (surface != NULL && GDK_IS_TOPLEVEL (surface) &&
      (gdk_toplevel_get_state (GDK_TOPLEVEL (surface)) & GDK_TOPLEVEL_STATE_MINIMIZED) != 0)
    return G_SOURCE_CONTINUE;

  load_cluster_state (self);

  return G_SOURCE_CONTINUE;
}

/* Credentials added in Preferences show on the board when the window is back in front. */
static void
active_changed_cb (DrWindow   *self,
                   GParamSpec *pspec)
{
  if (gtk_window_is_active (GTK_WINDOW (self))) {
    load_cluster_state (self);
    check_clones_folder (self);
  }
}

/* Snapshots */

static void
apply_snapshot (DrWindow                *self,
                const DrServiceSnapshot *snapshot)
{
  dr_overview_update (self->overview, snapshot);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->service_list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (DR_IS_SERVICE_ROW (row) &&
        g_strcmp0 (dr_service_row_get_service (DR_SERVICE_ROW (row)), snapshot->service) == 0)
      dr_service_row_update (DR_SERVICE_ROW (row), self->engine, snapshot);

  if (g_strcmp0 (self->service, snapshot->service) == 0) {
    dr_board_update (self->board, snapshot);
    dr_checklist_view_update (self->checklist_view, snapshot);
    check_cluster_key (self, snapshot);
  }
}

static void
snapshot_loaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(DrWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  DrServiceSnapshot *snapshot;
  g_autofree char *service = NULL;

  snapshot = dr_engine_load_snapshot_finish (DR_ENGINE (object), result, &error);
  if (snapshot == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      show_toast (self, error->message);
    return;
  }

  service = g_strdup (snapshot->service);
  g_hash_table_remove (self->loading, service);
  g_hash_table_insert (self->snapshots, g_strdup (service), snapshot);
  apply_snapshot (self, snapshot);

  /* A change announced while this was being read needs another read. */
  if (g_hash_table_remove (self->stale, service))
    load_snapshot (self, service);
}

static void
load_snapshot (DrWindow   *self,
               const char *service)
{
  if (g_hash_table_contains (self->loading, service)) {
    g_hash_table_add (self->stale, g_strdup (service));
    return;
  }

  g_hash_table_add (self->loading, g_strdup (service));
  dr_engine_load_snapshot_async (self->engine, service, self->cancellable, snapshot_loaded_cb,
                                 g_object_ref (self));
}

static void
load_all_snapshots (DrWindow *self)
{
  GPtrArray *services = dr_workspace_get_services (self->workspace);

  for (guint i = 0; i < services->len; i++)
    load_snapshot (self, ((const DrService *) g_ptr_array_index (services, i))->id);
}

static void
service_changed_cb (DrWindow   *self,
                    const char *service,
                    DrEngine   *engine)
{
  if (service == NULL)
    load_all_snapshots (self);
  else
    load_snapshot (self, service);
}

/* Says what is missing before a first run can work: the folder of clones, and roles. */
static void
update_setup_bar (DrWindow *self)
{
  const DrIdentity *identity = dr_engine_get_identity (self->engine);
  gboolean has_roles = identity->roles != NULL && identity->roles[0] != NULL;
  gboolean has_clones = dr_engine_get_clones_folder (self->engine) != NULL;
  const char *text = NULL;

  /* A missing folder is reported once here, before any run fails on one service's clone. */
  if (has_clones && self->clones_problem != NULL)
    text = self->clones_problem;
  else if (!has_clones && !has_roles)
    text = _("Before the first run, choose the folder that contains your clones of the service "
             "repositories, and your roles.");
  else if (!has_clones)
    text = _("Before the first run, choose the folder that contains your clones of the service "
             "repositories.");
  else if (!has_roles)
    text = _("You hold no role yet, so you can follow the board but not promote, sign or "
             "approve. Choose your roles.");

  if (text != NULL)
    gtk_label_set_label (self->setup_label, text);
  gtk_revealer_set_reveal_child (self->setup_revealer, text != NULL);
}

static void
clones_folder_queried_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(DrWindow) self = user_data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_file_get_path (G_FILE (object));

  info = g_file_query_info_finish (G_FILE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->clones_cancellable);
  g_clear_pointer (&self->clones_problem, g_free);

  if (info != NULL && g_file_info_get_file_type (info) != G_FILE_TYPE_DIRECTORY)
    self->clones_problem = dr_clones_folder_describe_problem (folder, TRUE);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    self->clones_problem = dr_clones_folder_describe_problem (folder, FALSE);

  update_setup_bar (self);
}

/* Checks that the clones folder exists. It is checked when it changes and each time the window
 * becomes active, because it may be moved away while the application runs. */
static void
check_clones_folder (DrWindow *self)
{
  const char *folder;
  g_autoptr(GFile) file = NULL;

  if (self->clones_cancellable != NULL)
    g_cancellable_cancel (self->clones_cancellable);
  g_clear_object (&self->clones_cancellable);

  if (self->engine == NULL)
    return;

  folder = dr_engine_get_clones_folder (self->engine);
  if (folder == NULL) {
    g_clear_pointer (&self->clones_problem, g_free);
    update_setup_bar (self);
    return;
  }

  self->clones_cancellable = g_cancellable_new ();
  file = g_file_new_for_path (folder);
  g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT, self->clones_cancellable,
                           clones_folder_queried_cb, g_object_ref (self));
}

static void
clones_folder_changed_cb (DrWindow   *self,
                          GParamSpec *pspec,
                          DrEngine   *engine)
{
  g_clear_pointer (&self->clones_problem, g_free);
  update_setup_bar (self);
  check_clones_folder (self);
}

static void
identity_changed_cb (DrWindow   *self,
                     GParamSpec *pspec,
                     DrEngine   *engine)
{
  GHashTableIter iter;
  gpointer snapshot;

  update_setup_bar (self);

  /* Roles decide which boxes and buttons are sensitive, and what the gates report. */
  g_hash_table_iter_init (&iter, self->snapshots);
  while (g_hash_table_iter_next (&iter, NULL, &snapshot))
    apply_snapshot (self, snapshot);
}

/* Selection */

static void
update_content_title (DrWindow *self)
{
  if (self->service == NULL) {
    adw_window_title_set_title (self->content_title, _("Overview"));
    adw_window_title_set_subtitle (self->content_title,
                                   self->workspace != NULL
                                   ? dr_workspace_get_title (self->workspace) : NULL);
    return;
  }

  adw_window_title_set_title (self->content_title, service_title (self, self->service));
  adw_window_title_set_subtitle (self->content_title,
                                 dr_workspace_get_service (self->workspace,
                                                           self->service)->repository);
}

void
dr_window_select_service (DrWindow   *self,
                          const char *service)
{
  const DrServiceSnapshot *snapshot;
  DrApplication *application;
  gboolean changed;

  g_return_if_fail (DR_IS_WINDOW (self));

  changed = g_strcmp0 (self->service, service) != 0;
  g_free (self->service);
  self->service = g_strdup (service);

  application = DR_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  if (application != NULL)
    g_settings_set_string (dr_application_get_settings (application), "selected-service",
                           service != NULL ? service : "");

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->service_list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row)) {
    gboolean selected = DR_IS_SERVICE_ROW (row)
                        ? g_strcmp0 (dr_service_row_get_service (DR_SERVICE_ROW (row)), service) == 0
                        : service == NULL;

    if (selected)
      gtk_list_box_select_row (self->service_list, GTK_LIST_BOX_ROW (row));
  }

  update_content_title (self);
  gtk_stack_set_visible_child_name (self->content_stack, service != NULL ? "board" : "overview");
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);

  if (changed)
    restart_cluster_state (self);
  else
    load_cluster_state (self);

  if (service == NULL)
    return;

  snapshot = self->snapshots != NULL ? g_hash_table_lookup (self->snapshots, service) : NULL;
  if (snapshot != NULL) {
    dr_board_update (self->board, snapshot);
    dr_checklist_view_update (self->checklist_view, snapshot);
    check_cluster_key (self, snapshot);
  }
}

static void
service_row_activated_cb (DrWindow      *self,
                          GtkListBoxRow *row)
{
  dr_window_select_service (self, DR_IS_SERVICE_ROW (row)
                                  ? dr_service_row_get_service (DR_SERVICE_ROW (row))
                                  : NULL);
}

static void
overview_service_activated_cb (DrWindow   *self,
                               const char *service)
{
  dr_window_select_service (self, service);
}

/* The engine's messages name the value and the fix, so they go in a dialog that shows them
 * whole. A toast would cut them to one line. */
static void
checklist_error_cb (DrWindow        *self,
                    const char      *message,
                    DrChecklistView *view)
{
  show_message (self, _("The checklist was not changed"), message);
}

static void
checklist_run_started_cb (DrWindow        *self,
                          DrRun           *run,
                          DrChecklistView *view)
{
  run_started (self, run);
}

/* Window */

static void
dr_window_close_request_save (DrWindow *self)
{
  DrApplication *application = DR_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  GSettings *settings;
  int width, height;

  if (application == NULL)
    return;

  settings = dr_application_get_settings (application);
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_int (settings, "window-width", width);
  g_settings_set_int (settings, "window-height", height);
  g_settings_set_boolean (settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
}

static gboolean
dr_window_close_request (GtkWindow *window)
{
  DrApplication *application = DR_APPLICATION (gtk_window_get_application (window));

  dr_window_close_request_save (DR_WINDOW (window));

  /* Closing the main window quits, which must not leave runs half done: ask first. */
  if (application != NULL && dr_application_has_running_runs (application)) {
    dr_application_request_quit (application, window);
    return TRUE;
  }

  return GTK_WINDOW_CLASS (dr_window_parent_class)->close_request (window);
}

/* The cluster lines refresh while the window is shown. */
static void
dr_window_map (GtkWidget *widget)
{
  DrWindow *self = DR_WINDOW (widget);

  GTK_WIDGET_CLASS (dr_window_parent_class)->map (widget);

  if (self->cluster_refresh_id == 0)
    self->cluster_refresh_id = g_timeout_add_seconds (CLUSTER_REFRESH_SECONDS,
                                                      cluster_refresh_cb, self);
}

static void
dr_window_unmap (GtkWidget *widget)
{
  DrWindow *self = DR_WINDOW (widget);

  g_clear_handle_id (&self->cluster_refresh_id, g_source_remove);

  GTK_WIDGET_CLASS (dr_window_parent_class)->unmap (widget);
}

static void
dr_window_dispose (GObject *object)
{
  DrWindow *self = DR_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->cluster_cancellable != NULL)
    g_cancellable_cancel (self->cluster_cancellable);
  g_clear_object (&self->cluster_cancellable);
  if (self->clones_cancellable != NULL)
    g_cancellable_cancel (self->clones_cancellable);
  g_clear_object (&self->clones_cancellable);
  g_clear_pointer (&self->clones_problem, g_free);
  g_clear_handle_id (&self->cluster_refresh_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), DR_TYPE_WINDOW);
  g_clear_object (&self->engine);
  g_clear_object (&self->workspace);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (dr_window_parent_class)->dispose (object);
}

static void
dr_window_finalize (GObject *object)
{
  DrWindow *self = DR_WINDOW (object);

  g_clear_pointer (&self->service, g_free);
  g_clear_pointer (&self->cluster_key, g_free);
  g_clear_pointer (&self->cluster_states, g_ptr_array_unref);
  g_clear_pointer (&self->snapshots, g_hash_table_unref);
  g_clear_pointer (&self->loading, g_hash_table_unref);
  g_clear_pointer (&self->stale, g_hash_table_unref);
  g_clear_pointer (&self->run_windows, g_hash_table_unref);

  G_OBJECT_CLASS (dr_window_parent_class)->finalize (object);
}

static void
dr_window_class_init (DrWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = dr_window_dispose;
  object_class->finalize = dr_window_finalize;
  widget_class->map = dr_window_map;
  widget_class->unmap = dr_window_unmap;
  window_class->close_request = dr_window_close_request;

  g_type_ensure (DR_TYPE_BOARD);
  g_type_ensure (DR_TYPE_CHECKLIST_VIEW);
  g_type_ensure (DR_TYPE_OVERVIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynamorelease/DynamoRelease/dr-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DrWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, sidebar_title);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, service_list);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, content_title);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, setup_revealer);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, setup_label);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, runs_button);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, runs_stack);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, runs_list);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, overview);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, board);
  gtk_widget_class_bind_template_child (widget_class, DrWindow, checklist_view);
  gtk_widget_class_bind_template_callback (widget_class, service_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, run_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, overview_service_activated_cb);

  gtk_widget_class_install_action (widget_class, "win.promote", "(sss)", promote_activated);
  gtk_widget_class_install_action (widget_class, "win.verify", "(ss)", verify_activated);
  gtk_widget_class_install_action (widget_class, "win.rollback", "(ss)", rollback_activated);
  gtk_widget_class_install_action (widget_class, "win.redeploy", "(ss)", redeploy_activated);
  gtk_widget_class_install_action (widget_class, "win.show-run", "x", show_run_activated);
  gtk_widget_class_install_action (widget_class, "win.new-build", NULL, new_build_activated);
  gtk_widget_class_install_action (widget_class, "win.show-overview", NULL,
                                   show_overview_activated);
  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL,
                                   show_sidebar_activated);
  gtk_widget_class_install_action (widget_class, "win.show-runs", NULL, show_runs_activated);
}

static void
dr_window_init (DrWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->snapshots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) dr_service_snapshot_free);
  self->loading = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->stale = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->run_windows = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-build", FALSE);

  g_signal_connect_object (self->board, "build-dropped", G_CALLBACK (build_dropped_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->checklist_view, "error", G_CALLBACK (checklist_error_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->checklist_view, "run-started",
                           G_CALLBACK (checklist_run_started_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::is-active", G_CALLBACK (active_changed_cb), NULL);

}

DrWindow *
dr_window_new (DrApplication *application)
{
  DrWindow *self = g_object_new (DR_TYPE_WINDOW, "application", application, NULL);

  if (application != NULL) {
    GSettings *settings = dr_application_get_settings (application);

    gtk_window_set_default_size (GTK_WINDOW (self),
                                 g_settings_get_int (settings, "window-width"),
                                 g_settings_get_int (settings, "window-height"));
    if (g_settings_get_boolean (settings, "window-maximized"))
      gtk_window_maximize (GTK_WINDOW (self));
  } else {
    gtk_window_set_default_size (GTK_WINDOW (self), 1100, 720);
  }

  return self;
}

void
dr_window_set_workspace (DrWindow    *self,
                         DrWorkspace *workspace)
{
  GPtrArray *services;
  GtkWidget *overview_row;
  GtkWidget *overview_box;

  g_return_if_fail (DR_IS_WINDOW (self));
  g_return_if_fail (DR_IS_WORKSPACE (workspace));

  g_set_object (&self->workspace, workspace);
  adw_window_title_set_subtitle (self->sidebar_title, dr_workspace_get_title (workspace));

  overview_row = gtk_list_box_row_new ();
  overview_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_append (GTK_BOX (overview_box), gtk_image_new_from_icon_name ("view-grid-symbolic"));
  gtk_box_append (GTK_BOX (overview_box), gtk_label_new (_("Overview")));
  gtk_widget_set_margin_top (overview_box, 6);
  gtk_widget_set_margin_bottom (overview_box, 6);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (overview_row), overview_box);
  gtk_list_box_append (self->service_list, overview_row);

  services = dr_workspace_get_services (workspace);
  for (guint i = 0; i < services->len; i++)
    gtk_list_box_append (self->service_list,
                         GTK_WIDGET (dr_service_row_new (g_ptr_array_index (services, i))));

  update_content_title (self);
}

void
dr_window_set_engine (DrWindow *self,
                      DrEngine *engine)
{
  DrApplication *application;
  g_autofree char *selected = NULL;

  g_return_if_fail (DR_IS_WINDOW (self));
  g_return_if_fail (DR_IS_ENGINE (engine));

  if (self->workspace == NULL)
    dr_window_set_workspace (self, dr_engine_get_workspace (engine));

  g_set_object (&self->engine, engine);

  dr_board_set_engine (self->board, engine);
  dr_checklist_view_set_engine (self->checklist_view, engine);
  dr_overview_set_engine (self->overview, engine);

  g_signal_connect_object (engine, "service-changed", G_CALLBACK (service_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (engine, "notify::identity", G_CALLBACK (identity_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (engine, "notify::clones-folder", G_CALLBACK (clones_folder_changed_cb),
                           self, G_CONNECT_SWAPPED);
  update_setup_bar (self);
  check_clones_folder (self);
  g_signal_connect_object (engine, "run-started", G_CALLBACK (engine_run_started_cb), self,
                           G_CONNECT_SWAPPED);

  gtk_list_box_bind_model (self->runs_list, dr_engine_get_runs (engine), create_run_row,
                           NULL, NULL);
  g_signal_connect_object (dr_engine_get_runs (engine), "items-changed",
                           G_CALLBACK (runs_changed_cb), self, G_CONNECT_SWAPPED);
  runs_changed_cb (self, 0, 0, 0, dr_engine_get_runs (engine));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-build", TRUE);
  gtk_stack_set_visible_child_name (self->main_stack, "main");
  /* A hidden spinner that spins still costs a layout every frame. */
  gtk_spinner_stop (self->loading_spinner);

  load_all_snapshots (self);

  application = DR_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  if (application != NULL)
    selected = g_settings_get_string (dr_application_get_settings (application),
                                      "selected-service");
  if (selected != NULL && dr_workspace_get_service (self->workspace, selected) != NULL)
    dr_window_select_service (self, selected);
  else
    dr_window_select_service (self, NULL);
}

/**
 * dr_window_show_message:
 * @heading: what failed, in one line
 * @body: the reason and what to do next
 *
 * Shows a message dialog over the window, for a problem that leaves the window usable.
 */
void
dr_window_show_message (DrWindow   *self,
                        const char *heading,
                        const char *body)
{
  g_return_if_fail (DR_IS_WINDOW (self));
  g_return_if_fail (heading != NULL);
  g_return_if_fail (body != NULL);

  show_message (self, heading, body);
}

void
dr_window_show_error (DrWindow   *self,
                      const char *title,
                      const char *message)
{
  g_return_if_fail (DR_IS_WINDOW (self));

  adw_status_page_set_title (self->error_page, title);
  gtk_label_set_label (self->error_label, message);
  gtk_stack_set_visible_child_name (self->main_stack, "error");
  gtk_spinner_stop (self->loading_spinner);
}

const char *
dr_window_get_service (DrWindow *self)
{
  g_return_val_if_fail (DR_IS_WINDOW (self), NULL);

  return self->service;
}

DrBoard *
dr_window_get_board (DrWindow *self)
{
  g_return_val_if_fail (DR_IS_WINDOW (self), NULL);

  return self->board;
}

DrChecklistView *
dr_window_get_checklist_view (DrWindow *self)
{
  g_return_val_if_fail (DR_IS_WINDOW (self), NULL);

  return self->checklist_view;
}

/* Returns whether the service's records are shown and no newer read is pending. */
gboolean
dr_window_is_loaded (DrWindow   *self,
                     const char *service)
{
  g_return_val_if_fail (DR_IS_WINDOW (self), FALSE);

  return g_hash_table_contains (self->snapshots, service) &&
         !g_hash_table_contains (self->loading, service);
}
