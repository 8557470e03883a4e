/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-log-window.h"
#include "dr-run-view.h"
#include "dr-run-window.h"

/* Key of the run's data that points to its open run window. */
#define RUN_WINDOW_KEY "dr-run-window"

struct _DrRunWindow
{
  AdwWindow       parent_instance;

  AdwWindowTitle *window_title;
  DrRunView      *run_view;

  DrRun          *run;
};

G_DEFINE_FINAL_TYPE (DrRunWindow, dr_run_window, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_RUN,
  N_PROPS
};

enum {
  ROLLBACK_REQUESTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
update_title (DrRunWindow *self)
{
  g_autofree char *title = dr_run_dup_title (self->run);

  gtk_window_set_title (GTK_WINDOW (self), title);
}

static void
show_log_requested_cb (DrRunWindow *self,
                       DrRun       *run)
{
  dr_log_window_present_for_run (run, GTK_WINDOW (self));
}

static void
rollback_requested_cb (DrRunWindow *self,
                       DrRun       *run)
{
  g_signal_emit (self, signals[ROLLBACK_REQUESTED], 0, run);
}

static void
dr_run_window_constructed (GObject *object)
{
  DrRunWindow *self = DR_RUN_WINDOW (object);

  G_OBJECT_CLASS (dr_run_window_parent_class)->constructed (object);

  dr_run_view_set_run (self->run_view, self->run);
  update_title (self);
  g_signal_connect_object (self->run, "notify::title", G_CALLBACK (update_title), self,
                           G_CONNECT_SWAPPED);
}

static void
dr_run_window_dispose (GObject *object)
{
  DrRunWindow *self = DR_RUN_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), DR_TYPE_RUN_WINDOW);
  g_clear_object (&self->run);

  G_OBJECT_CLASS (dr_run_window_parent_class)->dispose (object);
}

static void
dr_run_window_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DrRunWindow *self = DR_RUN_WINDOW (object);

  switch (prop_id) {
  case PROP_RUN:
    g_value_set_object (value, self->run);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_run_window_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  DrRunWindow *self = DR_RUN_WINDOW (object);

  switch (prop_id) {
  case PROP_RUN:
    self->run = g_value_dup_object (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_run_window_class_init (DrRunWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = dr_run_window_constructed;
  object_class->dispose = dr_run_window_dispose;
  object_class->get_property = dr_run_window_get_property;
  object_class->set_property = dr_run_window_set_property;

  properties[PROP_RUN] =
    g_param_spec_object ("run", NULL, NULL, DR_TYPE_RUN,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ROLLBACK_REQUESTED] =
    g_signal_new ("rollback-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, DR_TYPE_RUN);

  g_type_ensure (DR_TYPE_RUN_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynamorelease/DynamoRelease/dr-run-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DrRunWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, DrRunWindow, run_view);
  gtk_widget_class_bind_template_callback (widget_class, show_log_requested_cb);
  gtk_widget_class_bind_template_callback (widget_class, rollback_requested_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "window.close", NULL);
}

static void
dr_run_window_init (DrRunWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

DrRunWindow *
dr_run_window_new (DrRun *run)
{
  g_return_val_if_fail (DR_IS_RUN (run), NULL);

  return g_object_new (DR_TYPE_RUN_WINDOW, "run", run, NULL);
}

static void
forget_window_cb (DrRun *run)
{
  g_object_set_data (G_OBJECT (run), RUN_WINDOW_KEY, NULL);
}

/**
 * dr_run_window_present_for_run:
 * @run: the run to show
 * @parent: (nullable): a window of the application, whose application the new window joins
 *
 * Presents the run window of @run, and creates it first when the run has none open, so each
 * run has at most one.
 *
 * Returns: (transfer none): the window
 */
DrRunWindow *
dr_run_window_present_for_run (DrRun     *run,
                               GtkWindow *parent)
{
  DrRunWindow *window;

  g_return_val_if_fail (DR_IS_RUN (run), NULL);
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  window = g_object_get_data (G_OBJECT (run), RUN_WINDOW_KEY);
  if (window == NULL) {
    window = dr_run_window_new (run);
    if (parent != NULL)
      gtk_window_set_application (GTK_WINDOW (window), gtk_window_get_application (parent));
    g_object_set_data (G_OBJECT (run), RUN_WINDOW_KEY, window);
    g_signal_connect_object (window, "destroy", G_CALLBACK (forget_window_cb), run,
                             G_CONNECT_SWAPPED);
  }

  gtk_window_present (GTK_WINDOW (window));

  return window;
}

DrRun *
dr_run_window_get_run (DrRunWindow *self)
{
  g_return_val_if_fail (DR_IS_RUN_WINDOW (self), NULL);

  return self->run;
}
