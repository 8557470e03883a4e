/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dr-board.h"
#include "dr-board-layout.h"

struct _DrBoard
{
  GtkWidget                parent_instance;

  DrEngine                *engine;
  const DrServiceSnapshot *snapshot;  /* owned by the window, replaced through update() */
  GPtrArray               *columns;   /* of DrBoardColumn, borrowed from the widget tree */
  gboolean                 dragging;
  gboolean                 update_pending;
};

G_DEFINE_FINAL_TYPE (DrBoard, dr_board, GTK_TYPE_WIDGET)

enum {
  BUILD_DROPPED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
clear_verdicts (DrBoard *self)
{
  for (guint i = 0; i < self->columns->len; i++)
    dr_board_column_set_verdict (g_ptr_array_index (self->columns, i),
                                 DR_COLUMN_VERDICT_NONE, NULL, NULL);
}

/* While a card is dragged, every column shows whether it would take it. */
static void
card_drag_begin_cb (DrBoard       *self,
                    DrBuildRef    *ref,
                    DrBoardColumn *source)
{
  if (self->engine == NULL || self->snapshot == NULL)
    return;

  self->dragging = TRUE;

  for (guint i = 0; i < self->columns->len; i++) {
    DrBoardColumn *column = g_ptr_array_index (self->columns, i);
    const char *environment = dr_board_column_get_environment (column);
    g_autoptr(GPtrArray) refusals = NULL;

    if (column == source) {
      dr_board_column_set_verdict (column, DR_COLUMN_VERDICT_SOURCE, ref->version, NULL);
      continue;
    }

    refusals = dr_engine_check_promotion (self->engine, self->snapshot, ref->version,
                                          environment);
    dr_board_column_set_verdict (column,
                                 refusals->len == 0 ? DR_COLUMN_VERDICT_ACCEPT
                                                    : DR_COLUMN_VERDICT_REFUSE,
                                 ref->version, refusals);
  }
}

static void
card_drag_end_cb (DrBoard       *self,
                  DrBoardColumn *source)
{
  self->dragging = FALSE;
  clear_verdicts (self);

  if (self->update_pending && self->snapshot != NULL)
    dr_board_update (self, self->snapshot);
}

static void
build_dropped_cb (DrBoard       *self,
                  DrBuildRef    *ref,
                  DrBoardColumn *column)
{
  g_signal_emit (self, signals[BUILD_DROPPED], 0, ref, dr_board_column_get_environment (column));
}

static void
remove_columns (DrBoard *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  g_ptr_array_set_size (self->columns, 0);
}

static void
dr_board_dispose (GObject *object)
{
  DrBoard *self = DR_BOARD (object);

  remove_columns (self);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (dr_board_parent_class)->dispose (object);
}

static void
dr_board_finalize (GObject *object)
{
  DrBoard *self = DR_BOARD (object);

  g_clear_pointer (&self->columns, g_ptr_array_unref);

  G_OBJECT_CLASS (dr_board_parent_class)->finalize (object);
}

static void
dr_board_class_init (DrBoardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dr_board_dispose;
  object_class->finalize = dr_board_finalize;

  /* A card was dropped on a column other than its own: the build and the target
   * environment. The drop may be refused, and the handler then shows the reasons. */
  signals[BUILD_DROPPED] =
    g_signal_new ("build-dropped",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, DR_TYPE_BUILD_REF, G_TYPE_STRING);

  gtk_widget_class_set_layout_manager_type (widget_class, DR_TYPE_BOARD_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "board");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
dr_board_init (DrBoard *self)
{
  self->columns = g_ptr_array_new ();
}

/* Sets the engine and makes one column per environment of its workspace. */
void
dr_board_set_engine (DrBoard  *self,
                     DrEngine *engine)
{
  DrWorkspace *workspace;
  GPtrArray *environments;

  g_return_if_fail (DR_IS_BOARD (self));
  g_return_if_fail (DR_IS_ENGINE (engine));

  if (self->engine == engine)
    return;

  remove_columns (self);
  g_set_object (&self->engine, engine);
  self->snapshot = NULL;

  workspace = dr_engine_get_workspace (engine);
  environments = dr_workspace_get_environments (workspace);
  for (guint i = 0; i < environments->len; i++) {
    DrBoardColumn *column = dr_board_column_new (workspace, g_ptr_array_index (environments, i));

    g_signal_connect_object (column, "card-drag-begin", G_CALLBACK (card_drag_begin_cb), self,
                             G_CONNECT_SWAPPED);
    g_signal_connect_object (column, "card-drag-end", G_CALLBACK (card_drag_end_cb), self,
                             G_CONNECT_SWAPPED);
    g_signal_connect_object (column, "build-dropped", G_CALLBACK (build_dropped_cb), self,
                             G_CONNECT_SWAPPED);
    gtk_widget_set_parent (GTK_WIDGET (column), GTK_WIDGET (self));
    g_ptr_array_add (self->columns, column);
  }
}

/* Shows the snapshot's builds. The snapshot must stay alive until the next update. */
void
dr_board_update (DrBoard                 *self,
                 const DrServiceSnapshot *snapshot)
{
  g_return_if_fail (DR_IS_BOARD (self));
  g_return_if_fail (snapshot != NULL);

  self->snapshot = snapshot;

  /* Rebuilding the cards would destroy the one being dragged, so wait for the drop. */
  self->update_pending = self->dragging;
  if (self->dragging)
    return;

  for (guint i = 0; i < self->columns->len; i++)
    dr_board_column_update (g_ptr_array_index (self->columns, i), snapshot);
}

/**
 * dr_board_set_cluster_states:
 * @states: (nullable): a DrClusterState per environment, or NULL to hide the cluster lines
 *
 * Shows in each column what its environment's cluster runs.
 */
void
dr_board_set_cluster_states (DrBoard   *self,
                             GPtrArray *states)
{
  g_return_if_fail (DR_IS_BOARD (self));

  for (guint i = 0; i < self->columns->len; i++) {
    DrBoardColumn *column = g_ptr_array_index (self->columns, i);
    const char *environment = dr_board_column_get_environment (column);
    const DrClusterState *found = NULL;

    for (guint j = 0; states != NULL && j < states->len && found == NULL; j++) {
      const DrClusterState *state = g_ptr_array_index (states, j);

      if (g_strcmp0 (state->environment, environment) == 0)
        found = state;
    }

    dr_board_column_set_cluster_state (column, found);
  }
}

DrBoardColumn *
dr_board_get_column (DrBoard    *self,
                     const char *environment)
{
  g_return_val_if_fail (DR_IS_BOARD (self), NULL);

  for (guint i = 0; i < self->columns->len; i++) {
    DrBoardColumn *column = g_ptr_array_index (self->columns, i);

    if (g_strcmp0 (dr_board_column_get_environment (column), environment) == 0)
      return column;
  }

  return NULL;
}
