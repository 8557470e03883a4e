/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dr-service-row.h"

struct _DrServiceRow
{
  GtkListBoxRow  parent_instance;

  char          *service;
  GtkImage      *icon;
  GtkLabel      *title;
  GtkLabel      *subtitle;
  DrServiceStatus status;
};

G_DEFINE_FINAL_TYPE (DrServiceRow, dr_service_row, GTK_TYPE_LIST_BOX_ROW)

/* Sums a service up in one state and one sentence, the most urgent first: a run going on, a
 * failed deploy, a build waiting at a gate, then where the newest build is. */
DrServiceStatus
dr_service_status_compute (DrEngine                *engine,
                           const DrServiceSnapshot *snapshot,
                           char                   **description)
{
  DrWorkspace *workspace = dr_engine_get_workspace (engine);
  GPtrArray *environments = dr_workspace_get_environments (workspace);

  if (snapshot->active_runs->len > 0) {
    const DrRunRecord *run = g_ptr_array_index (snapshot->active_runs, 0);
    const DrEnvironment *environment = dr_workspace_get_environment (workspace, run->environment);

    /* Translators: version, environment, e.g. "Running: 1.4.0 in QA". */
    *description = g_strdup_printf (_("Running: %s in %s"), run->version,
                                    environment != NULL ? environment->title : run->environment);
    return DR_SERVICE_STATUS_RUNNING;
  }

  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);
    const DrDeployment *newest = dr_service_snapshot_get_newest (snapshot, environment->id);

    if (newest != NULL && newest->state == DR_DEPLOYMENT_FAILED) {
      DrRunState ended = dr_service_snapshot_get_failed_state (snapshot, newest);

      if (ended == DR_RUN_STATE_CANCELLED)
        /* Translators: version, environment. */
        *description = g_strdup_printf (_("Deploy of %s to %s cancelled"), newest->version,
                                        environment->title);
      else if (ended == DR_RUN_STATE_INTERRUPTED)
        *description = g_strdup_printf (_("Deploy of %s to %s interrupted"), newest->version,
                                        environment->title);
      else
        *description = g_strdup_printf (_("Deploy of %s to %s failed"), newest->version,
                                        environment->title);
      return DR_SERVICE_STATUS_FAILED;
    }
  }

  for (guint i = environments->len; i > 0; i--) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i - 1);
    const DrGate *gate = dr_workspace_get_gate (workspace, environment->id);
    const DrBuild *waiting;

    if (gate == NULL || (gate->checklist == NULL &&
                         (gate->approval_roles == NULL || gate->approval_roles[0] == NULL)))
      continue;

    waiting = dr_engine_find_waiting_build (engine, snapshot, environment->id);
    if (waiting != NULL) {
      *description = g_strdup_printf (_("%s waits for %s"), waiting->version, environment->title);
      return DR_SERVICE_STATUS_WAITING;
    }
  }

  for (guint i = environments->len; i > 0; i--) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i - 1);
    const DrDeployment *current = dr_service_snapshot_get_current (snapshot, environment->id);

    if (current != NULL) {
      /* Translators: version, environment, e.g. "1.4.0 in Production". */
      *description = g_strdup_printf (_("%s in %s"), current->version, environment->title);
      return DR_SERVICE_STATUS_HEALTHY;
    }
  }

  *description = g_strdup (_("Nothing deployed"));

  return DR_SERVICE_STATUS_EMPTY;
}

const char *
dr_service_status_icon_name (DrServiceStatus status)
{
  switch (status) {
  case DR_SERVICE_STATUS_RUNNING:
    return "emblem-synchronizing-symbolic";
  case DR_SERVICE_STATUS_FAILED:
    return "dialog-error-symbolic";
  case DR_SERVICE_STATUS_WAITING:
    return "emblem-important-symbolic";
  case DR_SERVICE_STATUS_HEALTHY:
    return "emblem-ok-symbolic";
  case DR_SERVICE_STATUS_EMPTY:
    return NULL;
  case DR_SERVICE_STATUS_LOADING:
  default:
    return "content-loading-symbolic";
  }
}

const char *
dr_service_status_css_class (DrServiceStatus status)
{
  switch (status) {
  case DR_SERVICE_STATUS_RUNNING:
    return "accent";
  case DR_SERVICE_STATUS_FAILED:
    return "error";
  case DR_SERVICE_STATUS_WAITING:
    return "warning";
  case DR_SERVICE_STATUS_HEALTHY:
    return "success";
  case DR_SERVICE_STATUS_EMPTY:
  case DR_SERVICE_STATUS_LOADING:
  default:
    return "dim-label";
  }
}

static void
dr_service_row_finalize (GObject *object)
{
  DrServiceRow *self = DR_SERVICE_ROW (object);

  g_clear_pointer (&self->service, g_free);

  G_OBJECT_CLASS (dr_service_row_parent_class)->finalize (object);
}

static void
dr_service_row_class_init (DrServiceRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dr_service_row_finalize;
}

static void
dr_service_row_init (DrServiceRow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);

  self->icon = GTK_IMAGE (gtk_image_new ());
  self->title = GTK_LABEL (gtk_label_new (NULL));
  self->subtitle = GTK_LABEL (gtk_label_new (NULL));

  gtk_label_set_xalign (self->title, 0);
  gtk_label_set_ellipsize (self->title, PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (self->subtitle, 0);
  gtk_label_set_ellipsize (self->subtitle, PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (GTK_WIDGET (self->subtitle), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->subtitle), "dim-label");

  gtk_box_append (GTK_BOX (labels), GTK_WIDGET (self->title));
  gtk_box_append (GTK_BOX (labels), GTK_WIDGET (self->subtitle));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->icon));
  gtk_box_append (GTK_BOX (box), labels);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (self), box);

  self->status = DR_SERVICE_STATUS_LOADING;
  gtk_image_set_from_icon_name (self->icon, dr_service_status_icon_name (self->status));
  gtk_widget_add_css_class (GTK_WIDGET (self->icon), "dim-label");
}

DrServiceRow *
dr_service_row_new (const DrService *service)
{
  DrServiceRow *self;

  g_return_val_if_fail (service != NULL, NULL);

  self = g_object_new (DR_TYPE_SERVICE_ROW, NULL);
  self->service = g_strdup (service->id);
  gtk_label_set_label (self->title, service->title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  service->title, -1);

  return self;
}

const char *
dr_service_row_get_service (DrServiceRow *self)
{
  g_return_val_if_fail (DR_IS_SERVICE_ROW (self), NULL);

  return self->service;
}

void
dr_service_row_update (DrServiceRow            *self,
                       DrEngine                *engine,
                       const DrServiceSnapshot *snapshot)
{
  g_autofree char *description = NULL;
  DrServiceStatus status;

  g_return_if_fail (DR_IS_SERVICE_ROW (self));

  status = dr_service_status_compute (engine, snapshot, &description);

  gtk_widget_remove_css_class (GTK_WIDGET (self->icon), dr_service_status_css_class (self->status));
  gtk_widget_add_css_class (GTK_WIDGET (self->icon), dr_service_status_css_class (status));
  gtk_image_set_from_icon_name (self->icon, dr_service_status_icon_name (status));
  gtk_image_set_pixel_size (self->icon, 16);
  gtk_label_set_label (self->subtitle, description);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), description);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description, -1);
  self->status = status;
}
