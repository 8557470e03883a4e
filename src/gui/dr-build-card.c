/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dr-build-card.h"
#include "dr-format.h"
#include "dr-label.h"

struct _DrBuildCard
{
  GtkWidget        parent_instance;

  GtkWidget       *content;
  GtkLabel        *version_label;
  GtkMenuButton   *menu_button;
  GtkImage        *state_icon;
  GtkSpinner      *spinner;
  GtkLabel        *state_label;
  GtkLabel        *detail_label;

  char            *service;
  char            *version;
  char            *environment;
  DrBuildCardKind  kind;
};

G_DEFINE_FINAL_TYPE (DrBuildCard, dr_build_card, GTK_TYPE_WIDGET)

G_DEFINE_BOXED_TYPE (DrBuildRef, dr_build_ref, dr_build_ref_copy, dr_build_ref_free)

enum {
  DRAG_BEGIN,
  DRAG_END,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

DrBuildRef *
dr_build_ref_new (const char *service,
                  const char *version,
                  const char *environment)
{
  DrBuildRef *ref = g_new0 (DrBuildRef, 1);

  ref->service = g_strdup (service);
  ref->version = g_strdup (version);
  ref->environment = g_strdup (environment);

  return ref;
}

DrBuildRef *
dr_build_ref_copy (const DrBuildRef *ref)
{
  return dr_build_ref_new (ref->service, ref->version, ref->environment);
}

void
dr_build_ref_free (DrBuildRef *ref)
{
  if (ref == NULL)
    return;

  g_free (ref->service);
  g_free (ref->version);
  g_free (ref->environment);
  g_free (ref);
}

static GdkContentProvider *
drag_prepare_cb (DrBuildCard   *self,
                 double         x,
                 double         y,
                 GtkDragSource *source)
{
  g_autoptr(DrBuildRef) ref = dr_build_card_dup_ref (self);

  if (self->kind == DR_BUILD_CARD_IN_PROGRESS)
    return NULL;

  return gdk_content_provider_new_typed (DR_TYPE_BUILD_REF, ref);
}

static void
drag_begin_cb (DrBuildCard   *self,
               GdkDrag       *drag,
               GtkDragSource *source)
{
  g_autoptr(GdkPaintable) live = gtk_widget_paintable_new (GTK_WIDGET (self));
  g_autoptr(GdkPaintable) icon = gdk_paintable_get_current_image (live);
  g_autoptr(DrBuildRef) ref = dr_build_card_dup_ref (self);

  /* A still image of the card as it was, before it dims to show it is being dragged. */
  gtk_drag_source_set_icon (source, icon, gtk_widget_get_width (GTK_WIDGET (self)) / 2, 12);
  gtk_widget_add_css_class (GTK_WIDGET (self), "dragged");

  g_signal_emit (self, signals[DRAG_BEGIN], 0, ref);
}

static void
drag_end_cb (DrBuildCard   *self,
             GdkDrag       *drag,
             gboolean       delete_data,
             GtkDragSource *source)
{
  gtk_widget_remove_css_class (GTK_WIDGET (self), "dragged");

  g_signal_emit (self, signals[DRAG_END], 0);
}

static void
open_menu_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  DrBuildCard *self = DR_BUILD_CARD (widget);

  gtk_menu_button_popup (self->menu_button);
}

static void
dr_build_card_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), DR_TYPE_BUILD_CARD);

  G_OBJECT_CLASS (dr_build_card_parent_class)->dispose (object);
}

static void
dr_build_card_finalize (GObject *object)
{
  DrBuildCard *self = DR_BUILD_CARD (object);

  g_clear_pointer (&self->service, g_free);
  g_clear_pointer (&self->version, g_free);
  g_clear_pointer (&self->environment, g_free);

  G_OBJECT_CLASS (dr_build_card_parent_class)->finalize (object);
}

static void
dr_build_card_class_init (DrBuildCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dr_build_card_dispose;
  object_class->finalize = dr_build_card_finalize;

  /* A build ref of the card, when a drag of it starts and when the drag ends. */
  signals[DRAG_BEGIN] =
    g_signal_new ("drag-begin",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, DR_TYPE_BUILD_REF);
  signals[DRAG_END] =
    g_signal_new ("drag-end",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynamorelease/DynamoRelease/dr-build-card.ui");
  gtk_widget_class_bind_template_child (widget_class, DrBuildCard, content);
  gtk_widget_class_bind_template_child (widget_class, DrBuildCard, version_label);
  gtk_widget_class_bind_template_child (widget_class, DrBuildCard, menu_button);
  gtk_widget_class_bind_template_child (widget_class, DrBuildCard, state_icon);
  gtk_widget_class_bind_template_child (widget_class, DrBuildCard, spinner);
  gtk_widget_class_bind_template_child (widget_class, DrBuildCard, state_label);
  gtk_widget_class_bind_template_child (widget_class, DrBuildCard, detail_label);

  /* The keyboard path to the card's actions: the same keys that open a context menu. */
  gtk_widget_class_install_action (widget_class, "card.open-menu", NULL, open_menu_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, 0, "card.open-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, 0, "card.open-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_space, 0, "card.open-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "card.open-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK,
                                       "card.open-menu", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "buildcard");
}

static void
dr_build_card_init (DrBuildCard *self)
{
  GtkDragSource *source;

  gtk_widget_init_template (GTK_WIDGET (self));
  dr_label_wrap_anywhere (self->state_label);
  dr_label_wrap_anywhere (self->detail_label);

  source = gtk_drag_source_new ();
  gtk_drag_source_set_actions (source, GDK_ACTION_MOVE | GDK_ACTION_COPY);
  g_signal_connect_object (source, "prepare", G_CALLBACK (drag_prepare_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (source, "drag-begin", G_CALLBACK (drag_begin_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (source, "drag-end", G_CALLBACK (drag_end_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (source));
}

static void
append_action (GMenu      *menu,
               const char *label,
               const char *action,
               GVariant   *target)
{
  g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

  g_menu_item_set_action_and_target_value (item, action, target);
  g_menu_append_item (menu, item);
}

/* Builds the card's menu: the keyboard path to everything a drag can do, and more. */
static GMenuModel *
build_menu (DrBuildCard         *self,
            DrWorkspace         *workspace,
            const DrEnvironment *environment,
            const DrDeployment  *deployment)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenu) runs = g_menu_new ();
  const DrEnvironment *next;

  if (self->kind == DR_BUILD_CARD_NEW) {
    /* Translators: %s is an environment, e.g. "Deploy to Development…". */
    g_autofree char *label = g_strdup_printf (_("Deploy to %s…"), environment->title);

    append_action (menu, label, "win.promote",
                   g_variant_new ("(sss)", self->service, self->version, environment->id));
  }

  next = dr_workspace_get_next_environment (workspace, environment);
  /* Only a build that is deployed in its column can move on, as the gate also requires. */
  if (next != NULL && (self->kind == DR_BUILD_CARD_CURRENT || self->kind == DR_BUILD_CARD_EARLIER)) {
    /* Translators: %s is an environment, e.g. "Promote to QA…". */
    g_autofree char *label = g_strdup_printf (_("Promote to %s…"), next->title);

    append_action (menu, label, "win.promote",
                   g_variant_new ("(sss)", self->service, self->version, next->id));
  }

  if (self->kind == DR_BUILD_CARD_CURRENT)
    append_action (menu, _("Verify"), "win.verify",
                   g_variant_new ("(ss)", self->service, environment->id));

  if (self->kind == DR_BUILD_CARD_CURRENT)
    append_action (menu, _("Redeploy…"), "win.redeploy",
                   g_variant_new ("(ss)", self->service, environment->id));

  if (self->kind == DR_BUILD_CARD_CURRENT || self->kind == DR_BUILD_CARD_FAILED)
    append_action (menu, _("Roll Back…"), "win.rollback",
                   g_variant_new ("(ss)", self->service, environment->id));

  if (deployment != NULL && deployment->run_id > 0)
    append_action (runs, self->kind == DR_BUILD_CARD_IN_PROGRESS ? _("Show Progress")
                                                                 : _("Show Deploy Run"),
                   "win.show-run", g_variant_new_int64 (deployment->run_id));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (runs));

  return G_MENU_MODEL (menu);
}

static void
set_state (DrBuildCard *self,
           const char  *icon_name,
           const char  *css_class,
           const char  *text)
{
  gtk_image_set_from_icon_name (self->state_icon, icon_name);
  gtk_widget_set_visible (GTK_WIDGET (self->state_icon), icon_name != NULL);
  gtk_label_set_label (self->state_label, text);
  if (css_class != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self), css_class);
}

DrBuildCard *
dr_build_card_new (DrWorkspace         *workspace,
                   const char          *service,
                   const DrEnvironment *environment,
                   const DrBuild       *build,
                   const DrDeployment  *deployment,
                   DrBuildCardKind      kind)
{
  DrBuildCard *self;
  g_autoptr(GMenuModel) menu = NULL;
  g_autoptr(GString) detail = g_string_new (NULL);
  g_autofree char *when = NULL;
  g_autofree char *accessible = NULL;
  const char *version;

  g_return_val_if_fail (DR_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (service != NULL, NULL);
  g_return_val_if_fail (environment != NULL, NULL);
  g_return_val_if_fail (build != NULL || deployment != NULL, NULL);

  version = build != NULL ? build->version : deployment->version;

  self = g_object_new (DR_TYPE_BUILD_CARD, NULL);
  self->service = g_strdup (service);
  self->version = g_strdup (version);
  self->environment = kind == DR_BUILD_CARD_NEW ? NULL : g_strdup (environment->id);
  self->kind = kind;

  gtk_label_set_label (self->version_label, version);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->version_label), version);

  switch (kind) {
  case DR_BUILD_CARD_CURRENT:
    if (deployment->verified)
      set_state (self, "emblem-ok-symbolic", "success", _("Deployed and verified"));
    else
      set_state (self, "dialog-warning-symbolic", "unverified", _("Deployed, not verified"));
    break;
  case DR_BUILD_CARD_IN_PROGRESS:
    set_state (self, NULL, "in-progress", _("Deploying…"));
    gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);
    gtk_spinner_start (self->spinner);
    break;
  case DR_BUILD_CARD_FAILED:
    set_state (self, "dialog-error-symbolic", "failed", _("Deploy failed"));
    break;
  case DR_BUILD_CARD_EARLIER:
    set_state (self, NULL, "earlier",
               deployment->state == DR_DEPLOYMENT_ROLLED_BACK ? _("Rolled back")
                                                              : _("Deployed earlier"));
    break;
  case DR_BUILD_CARD_NEW:
  default:
    set_state (self, "list-add-symbolic", "new", _("New build, not deployed"));
    break;
  }

  if (deployment != NULL) {
    when = dr_format_time (deployment->finished_at != 0 ? deployment->finished_at
                                                        : deployment->started_at);
    /* Translators: who deployed the build, and when. */
    g_string_append_printf (detail, _("by %s, %s"), deployment->person, when);
  } else if (build != NULL) {
    when = dr_format_time (build->recorded_at);
    /* Translators: who recorded the build, and when. */
    g_string_append_printf (detail, _("recorded by %s, %s"), build->recorded_by, when);
  }
  if (build != NULL && build->commit != NULL && kind != DR_BUILD_CARD_EARLIER) {
    g_string_append (detail, "\n");
    /* Translators: %s is a commit id. */
    g_string_append_printf (detail, _("commit %.12s"), build->commit);
  }
  gtk_label_set_label (self->detail_label, detail->str);

  menu = build_menu (self, workspace, environment, deployment);
  gtk_menu_button_set_menu_model (self->menu_button, menu);
  /* Translators: %s is a version, for the menu button of its card. */
  accessible = g_strdup_printf (_("Actions for %s"), version);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, version,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  gtk_label_get_label (self->state_label),
                                  -1);

  return self;
}

const char *
dr_build_card_get_version (DrBuildCard *self)
{
  g_return_val_if_fail (DR_IS_BUILD_CARD (self), NULL);

  return self->version;
}

DrBuildCardKind
dr_build_card_get_kind (DrBuildCard *self)
{
  g_return_val_if_fail (DR_IS_BUILD_CARD (self), DR_BUILD_CARD_CURRENT);

  return self->kind;
}

DrBuildRef *
dr_build_card_dup_ref (DrBuildCard *self)
{
  g_return_val_if_fail (DR_IS_BUILD_CARD (self), NULL);

  return dr_build_ref_new (self->service, self->version, self->environment);
}

GtkWidget *
dr_build_card_get_menu_button (DrBuildCard *self)
{
  g_return_val_if_fail (DR_IS_BUILD_CARD (self), NULL);

  return GTK_WIDGET (self->menu_button);
}

/* Says how the deploy of a failed card ended, when it was cancelled or interrupted rather than
 * failed. */
void
dr_build_card_set_ended_as (DrBuildCard *self,
                            DrRunState   state)
{
  g_return_if_fail (DR_IS_BUILD_CARD (self));
  g_return_if_fail (self->kind == DR_BUILD_CARD_FAILED);

  if (state == DR_RUN_STATE_CANCELLED)
    gtk_label_set_label (self->state_label, _("Deploy cancelled"));
  else if (state == DR_RUN_STATE_INTERRUPTED)
    gtk_label_set_label (self->state_label, _("Deploy interrupted"));
}

/**
 * dr_build_card_remove_promotion:
 * @environment: the environment the menu offers to promote the card's build to
 *
 * Removes the menu item that promotes the card's build to @environment, for a target that
 * already runs the build, where the gate would reject the promotion.
 */
void
dr_build_card_remove_promotion (DrBuildCard *self,
                                const char  *environment)
{
  GMenuModel *menu;

  g_return_if_fail (DR_IS_BUILD_CARD (self));
  g_return_if_fail (environment != NULL);

  menu = gtk_menu_button_get_menu_model (self->menu_button);
  for (int i = g_menu_model_get_n_items (menu) - 1; i >= 0; i--) {
    g_autoptr(GVariant) action = NULL;
    g_autoptr(GVariant) target = NULL;
    const char *target_environment = NULL;

    action = g_menu_model_get_item_attribute_value (menu, i, G_MENU_ATTRIBUTE_ACTION,
                                                    G_VARIANT_TYPE_STRING);
    target = g_menu_model_get_item_attribute_value (menu, i, G_MENU_ATTRIBUTE_TARGET,
                                                    G_VARIANT_TYPE ("(sss)"));
    if (action == NULL || target == NULL ||
        g_strcmp0 (g_variant_get_string (action, NULL), "win.promote") != 0)
      continue;

    g_variant_get (target, "(&s&s&s)", NULL, NULL, &target_environment);
    if (g_strcmp0 (target_environment, environment) == 0)
      g_menu_remove (G_MENU (menu), i);
  }
}

/**
 * dr_build_card_remove_action:
 * @action_name: a detailed action name of the card's menu, such as "win.rollback"
 *
 * Removes the menu items that activate @action_name, for an action that another card of the
 * column offers instead.
 */
void
dr_build_card_remove_action (DrBuildCard *self,
                             const char  *action_name)
{
  GMenuModel *menu;

  g_return_if_fail (DR_IS_BUILD_CARD (self));
  g_return_if_fail (action_name != NULL);

  menu = gtk_menu_button_get_menu_model (self->menu_button);
  for (int i = g_menu_model_get_n_items (menu) - 1; i >= 0; i--) {
    g_autoptr(GVariant) action = NULL;

    action = g_menu_model_get_item_attribute_value (menu, i, G_MENU_ATTRIBUTE_ACTION,
                                                    G_VARIANT_TYPE_STRING);
    if (action != NULL && g_strcmp0 (g_variant_get_string (action, NULL), action_name) == 0)
      g_menu_remove (G_MENU (menu), i);
  }
}
