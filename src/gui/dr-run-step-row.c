/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-format.h"
#include "dr-run-step-row.h"

struct _DrRunStepRow
{
  GtkListBoxRow  parent_instance;

  GtkStack      *state_stack;
  GtkImage      *state_image;
  GtkSpinner    *spinner;
  GtkLabel      *name_label;
  GtkLabel      *command_label;
  GtkLabel      *message_label;
  GtkLabel      *duration_label;

  DrRunStep     *step;
  guint          tick_source;
};

G_DEFINE_FINAL_TYPE (DrRunStepRow, dr_run_step_row, GTK_TYPE_LIST_BOX_ROW)

enum {
  PROP_0,
  PROP_STEP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  const char *icon_name;
  const char *style_class;
  const char *description;
} StatePresentation;

static StatePresentation
present_state (DrStepState state)
{
  switch (state) {
  case DR_STEP_STATE_PENDING:
    return (StatePresentation) { "content-loading-symbolic", "dim-label", _("Pending") };
  case DR_STEP_STATE_RUNNING:
    return (StatePresentation) { NULL, NULL, _("Running") };
  case DR_STEP_STATE_SUCCEEDED:
    return (StatePresentation) { "emblem-ok-symbolic", "success", _("Succeeded") };
  case DR_STEP_STATE_FAILED:
    return (StatePresentation) { "dialog-error-symbolic", "error", _("Failed") };
  case DR_STEP_STATE_TIMED_OUT:
    return (StatePresentation) { "alarm-symbolic", "error", _("Timed out") };
  case DR_STEP_STATE_CANCELLED:
    return (StatePresentation) { "process-stop-symbolic", "warning", _("Cancelled") };
  case DR_STEP_STATE_SKIPPED:
    return (StatePresentation) { "media-skip-forward-symbolic", "dim-label", _("Skipped") };
  case DR_STEP_STATE_INTERRUPTED:
    return (StatePresentation) { "dialog-warning-symbolic", "warning", _("Interrupted") };
  default:
    g_assert_not_reached ();
  }
}

static void
update_duration (DrRunStepRow *self)
{
  g_autofree char *text = NULL;

  if (dr_run_step_get_started_at (self->step) != 0)
    text = dr_format_duration (dr_run_step_get_duration (self->step));

  gtk_label_set_text (self->duration_label, text != NULL ? text : "");
}

static gboolean tick_cb (gpointer user_data);

/* Schedules the next update just after the running step's duration reaches a whole second, so
 * the label changes once a second and in step with the clock. */
static void
schedule_tick (DrRunStepRow *self)
{
  gint64 elapsed_ms = dr_run_step_get_duration (self->step) / 1000;
  guint delay_ms = 1000 - (guint) (elapsed_ms % 1000) + 5;

  g_clear_handle_id (&self->tick_source, g_source_remove);
  self->tick_source = g_timeout_add (delay_ms, tick_cb, self);
}

static gboolean
tick_cb (gpointer user_data)
{
  DrRunStepRow *self = user_data;

  self->tick_source = 0;
  update_duration (self);
  schedule_tick (self);

  return G_SOURCE_REMOVE;
}

static void
update_message (DrRunStepRow *self)
{
  DrStepState state = dr_run_step_get_state (self->step);
  const char *message = dr_run_step_get_message (self->step);
  gboolean failed = state == DR_STEP_STATE_FAILED || state == DR_STEP_STATE_TIMED_OUT;
  gboolean ended = failed ||
                   state == DR_STEP_STATE_CANCELLED || state == DR_STEP_STATE_INTERRUPTED;
  const char *classes[] = { "caption", failed ? "error" : "dim-label", NULL };

  gtk_label_set_text (self->message_label, message != NULL ? message : "");
  gtk_widget_set_css_classes (GTK_WIDGET (self->message_label), classes);
  gtk_widget_set_visible (GTK_WIDGET (self->message_label),
                          ended && message != NULL && message[0] != '\0');
}

static void
update_state (DrRunStepRow *self)
{
  DrStepState state = dr_run_step_get_state (self->step);
  StatePresentation presentation = present_state (state);
  gboolean running = state == DR_STEP_STATE_RUNNING;

  gtk_spinner_set_spinning (self->spinner, running);
  gtk_stack_set_visible_child_name (self->state_stack, running ? "spinner" : "icon");

  if (presentation.icon_name != NULL) {
    const char *classes[] = { presentation.style_class, NULL };

    gtk_image_set_from_icon_name (self->state_image, presentation.icon_name);
    gtk_widget_set_css_classes (GTK_WIDGET (self->state_image), classes);
  }

  gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_stack), presentation.description);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->state_image),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, presentation.description, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->spinner),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, presentation.description, -1);

  if (state == DR_STEP_STATE_SKIPPED)
    gtk_widget_add_css_class (GTK_WIDGET (self->name_label), "dim-label");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_label), "dim-label");

  if (running && gtk_widget_get_mapped (GTK_WIDGET (self)))
    schedule_tick (self);
  else if (!running)
    g_clear_handle_id (&self->tick_source, g_source_remove);

  update_message (self);
  update_duration (self);
}

static void
step_notify_cb (DrRunStepRow *self,
                GParamSpec   *pspec,
                DrRunStep    *step)
{
  if (g_str_equal (pspec->name, "message"))
    update_message (self);
  else if (g_str_equal (pspec->name, "started-at") || g_str_equal (pspec->name, "finished-at"))
    update_duration (self);
  else
    update_state (self);
}

static void
dr_run_step_row_set_step (DrRunStepRow *self,
                          DrRunStep    *step)
{
  const char *command;

  g_assert (self->step == NULL);
  g_assert (DR_IS_RUN_STEP (step));

  self->step = g_object_ref (step);
  command = dr_run_step_get_command (step);

  gtk_label_set_text (self->name_label, dr_run_step_get_name (step));
  gtk_label_set_text (self->command_label, command != NULL ? command : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->command_label), command);
  gtk_widget_set_visible (GTK_WIDGET (self->command_label), command != NULL && command[0] != '\0');

  g_signal_connect_object (step, "notify", G_CALLBACK (step_notify_cb), self, G_CONNECT_SWAPPED);
  update_state (self);
}

/* The duration ticks only while the row is on screen. */
static void
dr_run_step_row_map (GtkWidget *widget)
{
  DrRunStepRow *self = DR_RUN_STEP_ROW (widget);

  GTK_WIDGET_CLASS (dr_run_step_row_parent_class)->map (widget);

  if (dr_run_step_get_state (self->step) == DR_STEP_STATE_RUNNING) {
    update_duration (self);
    schedule_tick (self);
  }
}

static void
dr_run_step_row_unmap (GtkWidget *widget)
{
  DrRunStepRow *self = DR_RUN_STEP_ROW (widget);

  g_clear_handle_id (&self->tick_source, g_source_remove);

  GTK_WIDGET_CLASS (dr_run_step_row_parent_class)->unmap (widget);
}

static void
dr_run_step_row_dispose (GObject *object)
{
  DrRunStepRow *self = DR_RUN_STEP_ROW (object);

  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_object (&self->step);

  gtk_widget_dispose_template (GTK_WIDGET (self), DR_TYPE_RUN_STEP_ROW);

  G_OBJECT_CLASS (dr_run_step_row_parent_class)->dispose (object);
}

static void
dr_run_step_row_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DrRunStepRow *self = DR_RUN_STEP_ROW (object);

  switch (prop_id) {
  case PROP_STEP:
    g_value_set_object (value, self->step);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_run_step_row_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DrRunStepRow *self = DR_RUN_STEP_ROW (object);

  switch (prop_id) {
  case PROP_STEP:
    dr_run_step_row_set_step (self, g_value_get_object (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_run_step_row_class_init (DrRunStepRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dr_run_step_row_dispose;
  object_class->get_property = dr_run_step_row_get_property;
  object_class->set_property = dr_run_step_row_set_property;

  widget_class->map = dr_run_step_row_map;
  widget_class->unmap = dr_run_step_row_unmap;

  properties[PROP_STEP] =
    g_param_spec_object ("step", NULL, NULL, DR_TYPE_RUN_STEP,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynamorelease/DynamoRelease/dr-run-step-row.ui");
  gtk_widget_class_bind_template_child (widget_class, DrRunStepRow, state_stack);
  gtk_widget_class_bind_template_child (widget_class, DrRunStepRow, state_image);
  gtk_widget_class_bind_template_child (widget_class, DrRunStepRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, DrRunStepRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, DrRunStepRow, command_label);
  gtk_widget_class_bind_template_child (widget_class, DrRunStepRow, message_label);
  gtk_widget_class_bind_template_child (widget_class, DrRunStepRow, duration_label);
}

static void
dr_run_step_row_init (DrRunStepRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
dr_run_step_row_new (DrRunStep *step)
{
  g_return_val_if_fail (DR_IS_RUN_STEP (step), NULL);

  return g_object_new (DR_TYPE_RUN_STEP_ROW, "step", step, NULL);
}

DrRunStep *
dr_run_step_row_get_step (DrRunStepRow *self)
{
  g_return_val_if_fail (DR_IS_RUN_STEP_ROW (self), NULL);

  return self->step;
}
