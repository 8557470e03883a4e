/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dr-board-column.h"
#include "dr-gate.h"
#include "dr-label.h"

/* Earlier builds shown under the current one; older ones are counted, not shown. */
#define MAX_EARLIER_CARDS 4

struct _DrBoardColumn
{
  GtkWidget            parent_instance;

  GtkWidget           *content;
  GtkLabel            *title_label;
  GtkLabel            *count_label;
  GtkLabel            *badge_label;
  GtkLabel            *url_label;
  GtkWidget           *cluster_box;
  GtkLabel            *cluster_label;
  GtkButton           *cluster_button;
  GtkLabel            *flags_label;
  GtkRevealer         *verdict_revealer;
  GtkLabel            *verdict_title;
  GtkLabel            *verdict_reasons;
  GtkBox              *cards_box;
  GtkLabel            *empty_label;
  GtkLabel            *earlier_heading;
  GtkBox              *earlier_box;

  DrWorkspace         *workspace;
  const DrEnvironment *environment;
  DrColumnVerdict      verdict;
};

G_DEFINE_FINAL_TYPE (DrBoardColumn, dr_board_column, GTK_TYPE_WIDGET)

enum {
  BUILD_DROPPED,
  CARD_DRAG_BEGIN,
  CARD_DRAG_END,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
drop_cb (DrBoardColumn *self,
         const GValue  *value,
         double         x,
         double         y,
         GtkDropTarget *target)
{
  DrBuildRef *ref = g_value_get_boxed (value);
  gboolean accepted = self->verdict == DR_COLUMN_VERDICT_ACCEPT;

  if (ref == NULL || g_strcmp0 (ref->environment, self->environment->id) == 0)
    return FALSE;

  /* The board decides what a drop means; a refused one still reaches it, to say why. */
  g_signal_emit (self, signals[BUILD_DROPPED], 0, ref);

  return accepted;
}

static GdkDragAction
drop_enter_cb (DrBoardColumn *self,
               double         x,
               double         y,
               GtkDropTarget *target)
{
  gtk_widget_add_css_class (GTK_WIDGET (self), "drop-hover");

  return self->verdict == DR_COLUMN_VERDICT_SOURCE ? 0 : GDK_ACTION_MOVE;
}

static void
drop_leave_cb (DrBoardColumn *self,
               GtkDropTarget *target)
{
  gtk_widget_remove_css_class (GTK_WIDGET (self), "drop-hover");
}

static void
card_drag_begin_cb (DrBoardColumn *self,
                    DrBuildRef    *ref,
                    DrBuildCard   *card)
{
  g_signal_emit (self, signals[CARD_DRAG_BEGIN], 0, ref);
}

static void
card_drag_end_cb (DrBoardColumn *self,
                  DrBuildCard   *card)
{
  g_signal_emit (self, signals[CARD_DRAG_END], 0);
}

static void
dr_board_column_dispose (GObject *object)
{
  DrBoardColumn *self = DR_BOARD_COLUMN (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), DR_TYPE_BOARD_COLUMN);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (dr_board_column_parent_class)->dispose (object);
}

static void
dr_board_column_class_init (DrBoardColumnClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dr_board_column_dispose;

  signals[BUILD_DROPPED] =
    g_signal_new ("build-dropped",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, DR_TYPE_BUILD_REF);
  signals[CARD_DRAG_BEGIN] =
    g_signal_new ("card-drag-begin",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, DR_TYPE_BUILD_REF);
  signals[CARD_DRAG_END] =
    g_signal_new ("card-drag-end",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynamorelease/DynamoRelease/dr-board-column.ui");
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, content);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, title_label);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, count_label);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, badge_label);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, url_label);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, cluster_box);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, cluster_label);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, cluster_button);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, flags_label);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, verdict_revealer);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, verdict_title);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, verdict_reasons);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, cards_box);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, empty_label);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, earlier_heading);
  gtk_widget_class_bind_template_child (widget_class, DrBoardColumn, earlier_box);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "boardcolumn");
}

static void
dr_board_column_init (DrBoardColumn *self)
{
  GtkDropTarget *target;

  gtk_widget_init_template (GTK_WIDGET (self));
  dr_label_wrap_anywhere (self->verdict_title);
  dr_label_wrap_anywhere (self->verdict_reasons);
  dr_label_wrap_anywhere (self->flags_label);
  dr_label_wrap_anywhere (self->cluster_label);

  target = gtk_drop_target_new (DR_TYPE_BUILD_REF, GDK_ACTION_MOVE | GDK_ACTION_COPY);
  g_signal_connect_object (target, "drop", G_CALLBACK (drop_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (target, "enter", G_CALLBACK (drop_enter_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (target, "leave", G_CALLBACK (drop_leave_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}

DrBoardColumn *
dr_board_column_new (DrWorkspace         *workspace,
                     const DrEnvironment *environment)
{
  DrBoardColumn *self;
  g_autofree char *escaped = NULL;
  g_autofree char *markup = NULL;

  g_return_val_if_fail (DR_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (environment != NULL, NULL);

  self = g_object_new (DR_TYPE_BOARD_COLUMN, NULL);
  self->workspace = g_object_ref (workspace);
  self->environment = environment;

  gtk_label_set_label (self->title_label, environment->title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, environment->title, -1);

  if (environment->badge != NULL && environment->badge_style != DR_BADGE_STYLE_NONE) {
    gtk_label_set_label (self->badge_label, environment->badge);
    gtk_widget_add_css_class (GTK_WIDGET (self->badge_label),
                              environment->badge_style == DR_BADGE_STYLE_BLUE ? "blue" : "amber");
    gtk_widget_set_visible (GTK_WIDGET (self->badge_label), TRUE);
  }

  escaped = g_markup_escape_text (environment->base_url, -1);
  markup = g_strdup_printf ("<a href=\"%s\">%s</a>", escaped, escaped);
  gtk_label_set_markup (self->url_label, markup);

  gtk_label_set_label (self->flags_label, environment->feature_flags);
  gtk_widget_set_visible (GTK_WIDGET (self->flags_label), environment->feature_flags != NULL);

  return self;
}

const char *
dr_board_column_get_environment (DrBoardColumn *self)
{
  g_return_val_if_fail (DR_IS_BOARD_COLUMN (self), NULL);

  return self->environment->id;
}

static void
clear_box (GtkBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_box_remove (box, child);
}

static DrBuildCard *
add_card (DrBoardColumn      *self,
          GtkBox             *box,
          const char         *service,
          const DrBuild      *build,
          const DrDeployment *deployment,
          DrBuildCardKind     kind)
{
  DrBuildCard *card = dr_build_card_new (self->workspace, service, self->environment, build,
                                         deployment, kind);

  g_signal_connect_object (card, "drag-begin", G_CALLBACK (card_drag_begin_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (card, "drag-end", G_CALLBACK (card_drag_end_cb), self,
                           G_CONNECT_SWAPPED);
  if (kind == DR_BUILD_CARD_EARLIER)
    gtk_widget_add_css_class (GTK_WIDGET (card), "compact");

  gtk_box_append (box, GTK_WIDGET (card));

  return card;
}

/* Removes "Promote to …" from the menus of cards whose build already runs in the next
 * environment, which the gate would reject. */
static void
remove_done_promotions (DrBoardColumn           *self,
                        GtkBox                  *box,
                        const DrServiceSnapshot *snapshot)
{
  const DrEnvironment *next = dr_workspace_get_next_environment (self->workspace,
                                                                  self->environment);
  const DrDeployment *next_current;

  if (next == NULL)
    return;

  next_current = dr_service_snapshot_get_current (snapshot, next->id);
  if (next_current == NULL)
    return;

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (box));
       child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    if (DR_IS_BUILD_CARD (child) &&
        g_strcmp0 (dr_build_card_get_version (DR_BUILD_CARD (child)), next_current->version) == 0)
      dr_build_card_remove_promotion (DR_BUILD_CARD (child), next->id);
  }
}

/* Shows the column's builds: a running deploy or a failed one first, then the current build,
 * then earlier builds, newest first. The first column also shows new builds. */
void
dr_board_column_update (DrBoardColumn           *self,
                        const DrServiceSnapshot *snapshot)
{
  const DrDeployment *current;
  const DrDeployment *newest = NULL;
  g_autoptr(GHashTable) shown = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_earlier = 0;
  guint n_hidden = 0;
  guint n_cards = 0;

  g_return_if_fail (DR_IS_BOARD_COLUMN (self));
  g_return_if_fail (snapshot != NULL);

  clear_box (self->cards_box);
  clear_box (self->earlier_box);

  current = dr_service_snapshot_get_current (snapshot, self->environment->id);
  newest = dr_service_snapshot_get_newest (snapshot, self->environment->id);

  if (newest != NULL && newest != current &&
      (newest->state == DR_DEPLOYMENT_IN_PROGRESS || newest->state == DR_DEPLOYMENT_FAILED)) {
    DrBuildCard *card = add_card (self, self->cards_box, snapshot->service,
                                  dr_service_snapshot_find_build (snapshot, newest->version),
                                  newest,
                                  newest->state == DR_DEPLOYMENT_IN_PROGRESS
                                  ? DR_BUILD_CARD_IN_PROGRESS : DR_BUILD_CARD_FAILED);

    if (newest->state == DR_DEPLOYMENT_FAILED)
      dr_build_card_set_ended_as (card, dr_service_snapshot_get_failed_state (snapshot, newest));
    n_cards++;
  }

  if (current != NULL) {
    DrBuildCard *card = add_card (self, self->cards_box, snapshot->service,
                                  dr_service_snapshot_find_build (snapshot, current->version),
                                  current, DR_BUILD_CARD_CURRENT);

    /* A rollback undoes the newest deploy, so the running or failed card above offers it, not
     * the current one. */
    if (newest != NULL && newest != current &&
        (newest->state == DR_DEPLOYMENT_IN_PROGRESS || newest->state == DR_DEPLOYMENT_FAILED))
      dr_build_card_remove_action (card, "win.rollback");
    g_hash_table_add (shown, current->version);
    n_cards++;
  }

  if (self->environment->position == 0) {
    for (guint i = 0; i < snapshot->builds->len; i++) {
      const DrBuild *build = g_ptr_array_index (snapshot->builds, i);

      if (dr_service_snapshot_was_deployed (snapshot, build->version))
        continue;
      add_card (self, self->cards_box, snapshot->service, build, NULL, DR_BUILD_CARD_NEW);
      n_cards++;
    }
  }

  for (guint i = 0; i < snapshot->deployments->len; i++) {
    const DrDeployment *deployment = g_ptr_array_index (snapshot->deployments, i);

    if (g_strcmp0 (deployment->environment, self->environment->id) != 0 ||
        deployment->state == DR_DEPLOYMENT_IN_PROGRESS ||
        deployment->state == DR_DEPLOYMENT_FAILED ||
        g_hash_table_contains (shown, deployment->version))
      continue;

    g_hash_table_add (shown, deployment->version);
    if (n_earlier >= MAX_EARLIER_CARDS) {
      n_hidden++;
      continue;
    }
    add_card (self, self->earlier_box, snapshot->service,
              dr_service_snapshot_find_build (snapshot, deployment->version), deployment,
              DR_BUILD_CARD_EARLIER);
    n_earlier++;
  }

  remove_done_promotions (self, self->cards_box, snapshot);
  remove_done_promotions (self, self->earlier_box, snapshot);

  /* An environment whose deploys were all rolled back has history but runs nothing. */
  gtk_label_set_label (self->empty_label,
                       n_earlier > 0 || n_hidden > 0 ? _("No build runs here now")
                                                     : _("Nothing deployed yet"));
  gtk_widget_set_visible (GTK_WIDGET (self->empty_label), n_cards == 0);
  gtk_widget_set_visible (GTK_WIDGET (self->earlier_heading), n_earlier > 0);

  if (n_hidden > 0) {
    /* Translators: shown under the earlier builds of a column. */
    g_autofree char *more = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "and %u older build",
                                                          "and %u older builds", n_hidden),
                                             n_hidden);

    gtk_label_set_label (self->count_label, more);
  } else {
    gtk_label_set_label (self->count_label, NULL);
  }
}

/* The cluster line */

static const char *cluster_styles[] = { "success", "warning", "error", "dim-label" };

static char *
describe_drift (DrBoardColumn        *self,
                const DrClusterState *state)
{
  const char *running = state->tag != NULL ? state->tag : state->image;

  if (state->store_version == NULL)
    /* Translators: the version the cluster runs, then an environment. */
    return g_strdup_printf (_("The cluster runs %s, but the board records no build in %s. "
                              "Someone may have deployed outside Dynamo Release. Promote a "
                              "build through the board so that it records what runs."),
                            running, self->environment->title);

  /* Translators: the running version, the version the board records, an environment, then
   * the recorded version again. */
  return g_strdup_printf (_("The cluster runs %s, but the board records %s as the current "
                            "build in %s. Someone may have deployed or rolled back outside "
                            "Dynamo Release. Redeploy %s so that the cluster runs it again, or "
                            "roll back to the build before it."),
                          running, state->store_version, self->environment->title,
                          state->store_version);
}

static char *
describe_image (const DrClusterState *state)
{
  g_autofree char *image = NULL;

  /* Translators: an image reference, then a rollout revision number. */
  image = g_strdup_printf (_("Image %s, revision %lld"), state->image != NULL ? state->image : "?",
                           (long long) state->revision);
  if (state->message == NULL)
    return g_steal_pointer (&image);

  return g_strdup_printf ("%s\n%s", image, state->message);
}

static const char *
choose_style (const DrClusterState *state)
{
  if (state->drift)
    return "warning";

  switch (state->status) {
  case DR_CLUSTER_STATUS_READY:
    return "success";
  case DR_CLUSTER_STATUS_DEGRADED:
    return "error";
  case DR_CLUSTER_STATUS_PROGRESSING:
    return NULL;
  default:
    return "dim-label";
  }
}

/**
 * dr_board_column_set_cluster_state:
 * @state: (nullable): what the environment's cluster runs, or NULL to hide the line
 *
 * Shows one line under the base URL: the build the cluster runs and its rollout, drift from
 * the board in the warning style, or why the cluster could not be asked. Missing or rejected
 * credentials come with a button that opens them in Preferences.
 */
void
dr_board_column_set_cluster_state (DrBoardColumn        *self,
                                   const DrClusterState *state)
{
  GtkWidget *label;
  g_autofree char *text = NULL;
  g_autofree char *tooltip = NULL;
  const char *style;
  const char *button_label = NULL;

  g_return_if_fail (DR_IS_BOARD_COLUMN (self));
  g_return_if_fail (state == NULL || g_strcmp0 (state->environment, self->environment->id) == 0);

  label = GTK_WIDGET (self->cluster_label);
  for (guint i = 0; i < G_N_ELEMENTS (cluster_styles); i++)
    gtk_widget_remove_css_class (label, cluster_styles[i]);

  if (state == NULL) {
    gtk_widget_set_visible (self->cluster_box, FALSE);
    return;
  }

  text = dr_cluster_state_describe (state);
  if (state->drift)
    tooltip = describe_drift (self, state);
  else if (dr_cluster_state_has_deployment (state))
    tooltip = describe_image (state);
  else
    tooltip = g_strdup (state->message);

  style = choose_style (state);
  if (style != NULL)
    gtk_widget_add_css_class (label, style);

  gtk_label_set_label (self->cluster_label, text);
  gtk_widget_set_tooltip_text (label, tooltip);

  if (state->status == DR_CLUSTER_STATUS_NOT_CONFIGURED)
    button_label = _("Add Credentials…");
  else if (state->status == DR_CLUSTER_STATUS_UNAUTHORIZED)
    button_label = _("Edit Credentials…");

  /* Drift from a recorded build is repaired by deploying that build again. The Deployment is
   * named after the service. */
  if (state->drift && state->store_version != NULL) {
    gtk_button_set_label (self->cluster_button, _("Redeploy…"));
    gtk_actionable_set_action_name (GTK_ACTIONABLE (self->cluster_button), NULL);
    gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->cluster_button),
                                            g_variant_new ("(ss)", state->name,
                                                           state->environment));
    gtk_actionable_set_action_name (GTK_ACTIONABLE (self->cluster_button), "win.redeploy");
    gtk_widget_set_visible (GTK_WIDGET (self->cluster_button), TRUE);
    gtk_widget_set_visible (self->cluster_box, TRUE);
    return;
  }

  /* The target comes first: the action takes a cluster name, so it cannot go without one. */
  if (button_label != NULL) {
    gtk_button_set_label (self->cluster_button, button_label);
    gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->cluster_button),
                                            g_variant_new_string (state->cluster));
    gtk_actionable_set_action_name (GTK_ACTIONABLE (self->cluster_button),
                                    "app.cluster-preferences");
  }
  gtk_widget_set_visible (GTK_WIDGET (self->cluster_button), button_label != NULL);
  gtk_widget_set_visible (self->cluster_box, TRUE);
}

GtkWidget *
dr_board_column_get_cluster_label (DrBoardColumn *self)
{
  g_return_val_if_fail (DR_IS_BOARD_COLUMN (self), NULL);

  return GTK_WIDGET (self->cluster_label);
}

GtkWidget *
dr_board_column_get_cluster_button (DrBoardColumn *self)
{
  g_return_val_if_fail (DR_IS_BOARD_COLUMN (self), NULL);

  return GTK_WIDGET (self->cluster_button);
}

/* Shows, while a card is dragged, whether this column would accept it, and every reason why
 * not. */
void
dr_board_column_set_verdict (DrBoardColumn   *self,
                             DrColumnVerdict  verdict,
                             const char      *version,
                             GPtrArray       *refusals)
{
  GtkWidget *widget = GTK_WIDGET (self);
  g_autofree char *title = NULL;

  g_return_if_fail (DR_IS_BOARD_COLUMN (self));

  self->verdict = verdict;

  gtk_widget_remove_css_class (widget, "drop-accept");
  gtk_widget_remove_css_class (widget, "drop-refuse");
  gtk_widget_remove_css_class (widget, "drop-source");
  gtk_widget_remove_css_class (widget, "drop-hover");

  switch (verdict) {
  case DR_COLUMN_VERDICT_ACCEPT:
    gtk_widget_add_css_class (widget, "drop-accept");
    /* Translators: %s is a version, %s an environment. */
    title = g_strdup_printf (_("Drop to deploy %s to %s"), version, self->environment->title);
    gtk_label_set_label (self->verdict_title, title);
    gtk_widget_set_visible (GTK_WIDGET (self->verdict_reasons), FALSE);
    gtk_revealer_set_reveal_child (self->verdict_revealer, TRUE);
    break;

  case DR_COLUMN_VERDICT_REFUSE: {
    g_autoptr(GString) reasons = g_string_new (NULL);

    gtk_widget_add_css_class (widget, "drop-refuse");
    title = g_strdup_printf (_("%s cannot enter %s"), version, self->environment->title);
    gtk_label_set_label (self->verdict_title, title);

    for (guint i = 0; refusals != NULL && i < refusals->len; i++) {
      const DrRefusal *refusal = g_ptr_array_index (refusals, i);

      if (reasons->len > 0)
        g_string_append_c (reasons, '\n');
      g_string_append_printf (reasons, "• %s", refusal->message);
    }
    gtk_label_set_label (self->verdict_reasons, reasons->str);
    gtk_widget_set_visible (GTK_WIDGET (self->verdict_reasons), reasons->len > 0);
    gtk_revealer_set_reveal_child (self->verdict_revealer, TRUE);
    break;
  }

  case DR_COLUMN_VERDICT_SOURCE:
    gtk_widget_add_css_class (widget, "drop-source");
    gtk_revealer_set_reveal_child (self->verdict_revealer, FALSE);
    break;

  case DR_COLUMN_VERDICT_NONE:
  default:
    gtk_revealer_set_reveal_child (self->verdict_revealer, FALSE);
    break;
  }
}

DrColumnVerdict
dr_board_column_get_verdict (DrBoardColumn *self)
{
  g_return_val_if_fail (DR_IS_BOARD_COLUMN (self), DR_COLUMN_VERDICT_NONE);

  return self->verdict;
}

static DrBuildCard *
find_card_in (GtkBox     *box,
              const char *version)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (box));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (DR_IS_BUILD_CARD (child) &&
        g_strcmp0 (dr_build_card_get_version (DR_BUILD_CARD (child)), version) == 0)
      return DR_BUILD_CARD (child);

  return NULL;
}

/* Returns the card of `version` in this column, the top one when there are two. */
DrBuildCard *
dr_board_column_find_card (DrBoardColumn *self,
                           const char    *version)
{
  DrBuildCard *card;

  g_return_val_if_fail (DR_IS_BOARD_COLUMN (self), NULL);

  card = find_card_in (self->cards_box, version);
  if (card == NULL)
    card = find_card_in (self->earlier_box, version);

  return card;
}
