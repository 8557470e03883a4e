/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n-lib.h>

#include "dr-run-step-row.h"
#include "dr-run-view.h"

struct _DrRunView
{
  GtkWidget       parent_instance;

  GtkLabel       *title_label;
  GtkStack       *state_stack;
  GtkImage       *state_image;
  GtkSpinner     *spinner;
  GtkLabel       *state_label;
  GtkLabel       *message_label;
  GtkProgressBar *progress_bar;
  GtkButton      *cancel_button;
  GtkButton      *rollback_button;
  GtkButton      *show_log_button;
  GtkListBox     *step_list;

  DrRun          *run;
  GBinding       *fraction_binding;
  gboolean        cancel_requested;
};

G_DEFINE_FINAL_TYPE (DrRunView, dr_run_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_RUN,
  N_PROPS
};

enum {
  SHOW_LOG_REQUESTED,
  ROLLBACK_REQUESTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Returns "Step 2 of 5: Build image" for the first running step, or NULL when none runs. */
static char *
describe_running_step (DrRun *run)
{
  GListModel *steps = dr_run_get_steps (run);
  guint n_steps = g_list_model_get_n_items (steps);

  for (guint i = 0; i < n_steps; i++) {
    g_autoptr(DrRunStep) step = g_list_model_get_item (steps, i);

    if (dr_run_step_get_state (step) == DR_STEP_STATE_RUNNING)
      /* Translators: the step that runs now, its number, the number of steps and its name. */
      return g_strdup_printf (_("Step %u of %u: %s"), i + 1, n_steps,
                              dr_run_step_get_name (step));
  }

  return NULL;
}

static void
update_title (DrRunView *self)
{
  g_autofree char *title = dr_run_dup_title (self->run);

  gtk_label_set_text (self->title_label, title);
}

static void
update_state (DrRunView *self)
{
  DrRunState state = dr_run_get_state (self->run);
  const char *icon_name = NULL;
  const char *style_class = NULL;
  const char *text = NULL;
  g_autofree char *message = NULL;
  gboolean running = state == DR_RUN_STATE_RUNNING;
  gboolean can_roll_back;

  switch (state) {
  case DR_RUN_STATE_RUNNING:
    text = self->cancel_requested ? _("Cancelling…") : _("Running");
    break;
  case DR_RUN_STATE_SUCCEEDED:
    icon_name = "emblem-ok-symbolic";
    style_class = "success";
    text = _("Succeeded");
    break;
  case DR_RUN_STATE_FAILED:
    icon_name = "dialog-error-symbolic";
    style_class = "error";
    text = _("Failed");
    break;
  case DR_RUN_STATE_CANCELLED:
    icon_name = "process-stop-symbolic";
    style_class = "warning";
    text = _("Cancelled");
    break;
  case DR_RUN_STATE_INTERRUPTED:
    icon_name = "dialog-warning-symbolic";
    style_class = "warning";
    text = _("Interrupted");
    break;
  default:
    g_assert_not_reached ();
  }

  gtk_spinner_set_spinning (self->spinner, running);
  gtk_stack_set_visible_child_name (self->state_stack, running ? "spinner" : "icon");
  if (icon_name != NULL) {
    const char *classes[] = { style_class, NULL };

    gtk_image_set_from_icon_name (self->state_image, icon_name);
    gtk_widget_set_css_classes (GTK_WIDGET (self->state_image), classes);
  }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->state_image),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->spinner),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  gtk_label_set_text (self->state_label, text);

  /* A full bar reads as success, so a run that ended badly colours it. */
  gtk_widget_remove_css_class (GTK_WIDGET (self->progress_bar), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->progress_bar), "warning");
  if (style_class != NULL && !g_str_equal (style_class, "success"))
    gtk_widget_add_css_class (GTK_WIDGET (self->progress_bar), style_class);

  if (dr_run_get_message (self->run) != NULL)
    message = g_strdup (dr_run_get_message (self->run));
  else if (running)
    message = describe_running_step (self->run);
  gtk_label_set_text (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label),
                          message != NULL && message[0] != '\0');

  can_roll_back = dr_run_get_kind (self->run) == DR_RUN_KIND_DEPLOY &&
                  (state == DR_RUN_STATE_FAILED || state == DR_RUN_STATE_CANCELLED ||
                   state == DR_RUN_STATE_INTERRUPTED);
  /* Only the process that runs the steps can end them. */
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), running && dr_run_is_local (self->run));
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button), !self->cancel_requested);
  gtk_widget_set_visible (GTK_WIDGET (self->rollback_button), can_roll_back);
}

static void
run_notify_cb (DrRunView  *self,
               GParamSpec *pspec,
               DrRun      *run)
{
  if (g_str_equal (pspec->name, "title"))
    update_title (self);
  else
    update_state (self);
}

static GtkWidget *
create_step_row_cb (gpointer item,
                    gpointer user_data)
{
  return dr_run_step_row_new (DR_RUN_STEP (item));
}

static void
cancel_clicked_cb (DrRunView *self)
{
  if (self->run == NULL || dr_run_is_finished (self->run))
    return;

  self->cancel_requested = TRUE;
  dr_run_cancel (self->run);
  update_state (self);
}

static void
show_log_clicked_cb (DrRunView *self)
{
  if (self->run != NULL)
    g_signal_emit (self, signals[SHOW_LOG_REQUESTED], 0, self->run);
}

static void
rollback_clicked_cb (DrRunView *self)
{
  if (self->run != NULL)
    g_signal_emit (self, signals[ROLLBACK_REQUESTED], 0, self->run);
}

static void
dr_run_view_dispose (GObject *object)
{
  DrRunView *self = DR_RUN_VIEW (object);

  GtkWidget *child;

  dr_run_view_set_run (self, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), DR_TYPE_RUN_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (dr_run_view_parent_class)->dispose (object);
}

static void
dr_run_view_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DrRunView *self = DR_RUN_VIEW (object);

  switch (prop_id) {
  case PROP_RUN:
    g_value_set_object (value, self->run);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_run_view_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  DrRunView *self = DR_RUN_VIEW (object);

  switch (prop_id) {
  case PROP_RUN:
    dr_run_view_set_run (self, g_value_get_object (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_run_view_class_init (DrRunViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dr_run_view_dispose;
  object_class->get_property = dr_run_view_get_property;
  object_class->set_property = dr_run_view_set_property;

  properties[PROP_RUN] =
    g_param_spec_object ("run", NULL, NULL, DR_TYPE_RUN,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SHOW_LOG_REQUESTED] =
    g_signal_new ("show-log-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, DR_TYPE_RUN);

  signals[ROLLBACK_REQUESTED] =
    g_signal_new ("rollback-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, DR_TYPE_RUN);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "dr-run-view");

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynamorelease/DynamoRelease/dr-run-view.ui");
  gtk_widget_class_bind_template_child (widget_class, DrRunView, title_label);
  gtk_widget_class_bind_template_child (widget_class, DrRunView, state_stack);
  gtk_widget_class_bind_template_child (widget_class, DrRunView, state_image);
  gtk_widget_class_bind_template_child (widget_class, DrRunView, spinner);
  gtk_widget_class_bind_template_child (widget_class, DrRunView, state_label);
  gtk_widget_class_bind_template_child (widget_class, DrRunView, message_label);
  gtk_widget_class_bind_template_child (widget_class, DrRunView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, DrRunView, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, DrRunView, rollback_button);
  gtk_widget_class_bind_template_child (widget_class, DrRunView, show_log_button);
  gtk_widget_class_bind_template_child (widget_class, DrRunView, step_list);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, show_log_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, rollback_clicked_cb);
}

static void
dr_run_view_init (DrRunView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
dr_run_view_new (DrRun *run)
{
  g_return_val_if_fail (run == NULL || DR_IS_RUN (run), NULL);

  return g_object_new (DR_TYPE_RUN_VIEW, "run", run, NULL);
}

DrRun *
dr_run_view_get_run (DrRunView *self)
{
  g_return_val_if_fail (DR_IS_RUN_VIEW (self), NULL);

  return self->run;
}

/* Shows `run`, or nothing when it is NULL. The step rows are bound to the run's steps model
 * and each row listens to its step, so the view updates itself as the run goes on. */
void
dr_run_view_set_run (DrRunView *self,
                     DrRun     *run)
{
  g_return_if_fail (DR_IS_RUN_VIEW (self));
  g_return_if_fail (run == NULL || DR_IS_RUN (run));

  if (self->run == run)
    return;

  if (self->run != NULL) {
    g_signal_handlers_disconnect_by_data (self->run, self);
    g_clear_pointer (&self->fraction_binding, g_binding_unbind);
    gtk_list_box_bind_model (self->step_list, NULL, NULL, NULL, NULL);
    g_clear_object (&self->run);
  }

  self->cancel_requested = FALSE;

  if (run != NULL) {
    self->run = g_object_ref (run);
    g_signal_connect_object (run, "notify", G_CALLBACK (run_notify_cb), self, G_CONNECT_SWAPPED);
    self->fraction_binding = g_object_bind_property (run, "fraction",
                                                     self->progress_bar, "fraction",
                                                     G_BINDING_SYNC_CREATE);
    gtk_list_box_bind_model (self->step_list, dr_run_get_steps (run),
                             create_step_row_cb, NULL, NULL);
    update_title (self);
    update_state (self);
  }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUN]);
}
