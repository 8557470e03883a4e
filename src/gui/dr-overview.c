/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "dr-label.h"
#include "dr-overview.h"
#include "dr-service-row.h"

struct _DrOverview
{
  GtkWidget   parent_instance;

  GtkFlowBox *flow;
  DrEngine   *engine;
  GHashTable *cards;  /* service id → GtkWidget card, borrowed from the flow box */
};

G_DEFINE_FINAL_TYPE (DrOverview, dr_overview, GTK_TYPE_WIDGET)

/* Natural widths that let three cards share a line in a window of 1100 pixels. */
#define VERSION_MAX_WIDTH_CHARS 12
#define STATUS_MAX_WIDTH_CHARS  26

enum {
  SERVICE_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
child_activated_cb (DrOverview      *self,
                    GtkFlowBoxChild *child,
                    GtkFlowBox      *flow)
{
  const char *service = g_object_get_data (G_OBJECT (child), "service");

  g_signal_emit (self, signals[SERVICE_ACTIVATED], 0, service);
}

static void
dr_overview_dispose (GObject *object)
{
  DrOverview *self = DR_OVERVIEW (object);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (dr_overview_parent_class)->dispose (object);
}

static void
dr_overview_finalize (GObject *object)
{
  DrOverview *self = DR_OVERVIEW (object);

  g_clear_pointer (&self->cards, g_hash_table_unref);

  G_OBJECT_CLASS (dr_overview_parent_class)->finalize (object);
}

static void
dr_overview_class_init (DrOverviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dr_overview_dispose;
  object_class->finalize = dr_overview_finalize;

  signals[SERVICE_ACTIVATED] =
    g_signal_new ("service-activated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "overview");
}

static void
dr_overview_init (DrOverview *self)
{
  self->cards = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  self->flow = GTK_FLOW_BOX (gtk_flow_box_new ());
  gtk_flow_box_set_selection_mode (self->flow, GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (self->flow, TRUE);
  gtk_flow_box_set_min_children_per_line (self->flow, 1);
  gtk_flow_box_set_max_children_per_line (self->flow, 3);
  gtk_flow_box_set_column_spacing (self->flow, 12);
  gtk_flow_box_set_row_spacing (self->flow, 12);
  gtk_flow_box_set_activate_on_single_click (self->flow, TRUE);
  gtk_widget_set_margin_top (GTK_WIDGET (self->flow), 18);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->flow), 18);
  gtk_widget_set_margin_start (GTK_WIDGET (self->flow), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->flow), 12);
  gtk_widget_set_valign (GTK_WIDGET (self->flow), GTK_ALIGN_START);
  g_signal_connect_object (self->flow, "child-activated", G_CALLBACK (child_activated_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_set_parent (GTK_WIDGET (self->flow), GTK_WIDGET (self));
}

static GtkWidget *
new_environment_line (const DrEnvironment *environment)
{
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *name = gtk_label_new (environment->title);
  GtkWidget *icon = gtk_image_new ();
  GtkWidget *version = gtk_label_new ("—");

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_add_css_class (name, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (version), 1);
  gtk_label_set_ellipsize (GTK_LABEL (version), PANGO_ELLIPSIZE_START);
  /* The flow box fits its cards by their natural width, so a long version must not widen it. */
  gtk_label_set_max_width_chars (GTK_LABEL (version), VERSION_MAX_WIDTH_CHARS);
  gtk_widget_add_css_class (version, "numeric");

  gtk_box_append (GTK_BOX (line), name);
  gtk_box_append (GTK_BOX (line), version);
  gtk_box_append (GTK_BOX (line), icon);

  g_object_set_data (G_OBJECT (line), "version", version);
  g_object_set_data (G_OBJECT (line), "icon", icon);

  return line;
}

void
dr_overview_set_engine (DrOverview *self,
                        DrEngine   *engine)
{
  DrWorkspace *workspace;
  GPtrArray *services;
  GPtrArray *environments;

  g_return_if_fail (DR_IS_OVERVIEW (self));
  g_return_if_fail (DR_IS_ENGINE (engine));

  g_set_object (&self->engine, engine);
  g_hash_table_remove_all (self->cards);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->flow));
       child != NULL;
       child = gtk_widget_get_first_child (GTK_WIDGET (self->flow)))
    gtk_flow_box_remove (self->flow, child);

  workspace = dr_engine_get_workspace (engine);
  services = dr_workspace_get_services (workspace);
  environments = dr_workspace_get_environments (workspace);

  for (guint i = 0; i < services->len; i++) {
    const DrService *service = g_ptr_array_index (services, i);
    GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
    GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
    GtkWidget *title = gtk_label_new (service->title);
    GtkWidget *status_icon = gtk_image_new_from_icon_name ("content-loading-symbolic");
    GtkWidget *status = gtk_label_new (NULL);
    GtkWidget *child;

    gtk_widget_add_css_class (card, "card");
    gtk_widget_add_css_class (card, "overview-card");
    gtk_label_set_xalign (GTK_LABEL (title), 0);
    gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
    gtk_widget_set_hexpand (title, TRUE);
    gtk_widget_add_css_class (title, "heading");
    gtk_label_set_xalign (GTK_LABEL (status), 0);
    dr_label_wrap_anywhere (GTK_LABEL (status));
    gtk_label_set_max_width_chars (GTK_LABEL (status), STATUS_MAX_WIDTH_CHARS);
    gtk_widget_add_css_class (status, "caption");

    gtk_box_append (GTK_BOX (header), title);
    gtk_box_append (GTK_BOX (header), status_icon);
    gtk_box_append (GTK_BOX (card), header);
    gtk_box_append (GTK_BOX (card), status);

    for (guint j = 0; j < environments->len; j++) {
      const DrEnvironment *environment = g_ptr_array_index (environments, j);
      GtkWidget *line = new_environment_line (environment);

      g_object_set_data_full (G_OBJECT (card), environment->id, g_object_ref (line),
                              g_object_unref);
      gtk_box_append (GTK_BOX (card), line);
    }

    g_object_set_data (G_OBJECT (card), "status", status);
    g_object_set_data (G_OBJECT (card), "status-icon", status_icon);

    gtk_flow_box_append (self->flow, card);
    child = gtk_widget_get_parent (card);
    g_object_set_data_full (G_OBJECT (child), "service", g_strdup (service->id), g_free);
    gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    service->title, -1);
    g_hash_table_insert (self->cards, g_strdup (service->id), card);
  }
}

void
dr_overview_update (DrOverview              *self,
                    const DrServiceSnapshot *snapshot)
{
  GtkWidget *card;
  GPtrArray *environments;
  g_autofree char *description = NULL;
  DrServiceStatus status;
  GtkWidget *status_icon;

  g_return_if_fail (DR_IS_OVERVIEW (self));
  g_return_if_fail (snapshot != NULL);

  card = g_hash_table_lookup (self->cards, snapshot->service);
  if (card == NULL || self->engine == NULL)
    return;

  status = dr_service_status_compute (self->engine, snapshot, &description);
  gtk_label_set_label (g_object_get_data (G_OBJECT (card), "status"), description);
  status_icon = g_object_get_data (G_OBJECT (card), "status-icon");
  gtk_image_set_from_icon_name (GTK_IMAGE (status_icon), dr_service_status_icon_name (status));
  gtk_widget_set_css_classes (status_icon, (const char *[]) {
                                dr_service_status_css_class (status), NULL });

  environments = dr_workspace_get_environments (dr_engine_get_workspace (self->engine));
  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);
    GtkWidget *line = g_object_get_data (G_OBJECT (card), environment->id);
    GtkWidget *version = g_object_get_data (G_OBJECT (line), "version");
    GtkWidget *icon = g_object_get_data (G_OBJECT (line), "icon");
    const DrDeployment *current = dr_service_snapshot_get_current (snapshot, environment->id);

    gtk_label_set_label (GTK_LABEL (version), current != NULL ? current->version : "—");
    gtk_widget_set_tooltip_text (version, current != NULL ? current->version : NULL);
    if (current == NULL) {
      gtk_image_clear (GTK_IMAGE (icon));
      gtk_widget_set_tooltip_text (icon, NULL);
    } else if (current->verified) {
      gtk_image_set_from_icon_name (GTK_IMAGE (icon), "emblem-ok-symbolic");
      gtk_widget_set_tooltip_text (icon, _("Verified"));
    } else {
      gtk_image_set_from_icon_name (GTK_IMAGE (icon), "dialog-warning-symbolic");
      gtk_widget_set_tooltip_text (icon, _("Not verified"));
    }
  }
}
