/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dr-log-selection.h"

struct _DrLogSelection
{
  GObject     parent_instance;

  GListModel *model;
  GtkBitset  *selected;
};

static void dr_log_selection_list_model_init      (GListModelInterface        *iface);
static void dr_log_selection_selection_model_init (GtkSelectionModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DrLogSelection, dr_log_selection, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      dr_log_selection_list_model_init)
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SELECTION_MODEL,
                                                      dr_log_selection_selection_model_init))

enum {
  PROP_0,
  PROP_MODEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
dr_log_selection_get_item_type (GListModel *list)
{
  DrLogSelection *self = DR_LOG_SELECTION (list);

  return g_list_model_get_item_type (self->model);
}

static guint
dr_log_selection_get_n_items (GListModel *list)
{
  DrLogSelection *self = DR_LOG_SELECTION (list);

  return g_list_model_get_n_items (self->model);
}

static gpointer
dr_log_selection_get_item (GListModel *list,
                           guint       position)
{
  DrLogSelection *self = DR_LOG_SELECTION (list);

  return g_list_model_get_item (self->model, position);
}

static void
dr_log_selection_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = dr_log_selection_get_item_type;
  iface->get_n_items = dr_log_selection_get_n_items;
  iface->get_item = dr_log_selection_get_item;
}

/* Replaces the selection inside `mask` by `selected`, limited to the positions that exist, and
 * emits selection-changed over the span of positions that changed. */
static gboolean
dr_log_selection_set_selection (GtkSelectionModel *model,
                                GtkBitset         *selected,
                                GtkBitset         *mask)
{
  DrLogSelection *self = DR_LOG_SELECTION (model);
  g_autoptr(GtkBitset) updated = gtk_bitset_copy (self->selected);
  g_autoptr(GtkBitset) added = gtk_bitset_copy (selected);
  g_autoptr(GtkBitset) changes = NULL;
  guint n_items = g_list_model_get_n_items (self->model);
  guint first, last;

  gtk_bitset_subtract (updated, mask);
  gtk_bitset_intersect (added, mask);
  gtk_bitset_union (updated, added);
  if (n_items == 0)
    gtk_bitset_remove_all (updated);
  else
    gtk_bitset_remove_range_closed (updated, n_items, G_MAXUINT);

  /* gtk_bitset_difference() computes the symmetric difference, so `changes` holds the
   * positions that flip. */
  changes = gtk_bitset_copy (self->selected);
  gtk_bitset_difference (changes, updated);
  if (gtk_bitset_is_empty (changes))
    return TRUE;

  gtk_bitset_unref (self->selected);
  self->selected = g_steal_pointer (&updated);

  first = gtk_bitset_get_minimum (changes);
  last = gtk_bitset_get_maximum (changes);
  gtk_selection_model_selection_changed (model, first, last - first + 1);

  return TRUE;
}

static gboolean
select_range (GtkSelectionModel *model,
              guint              position,
              guint              n_items,
              gboolean           selected,
              gboolean           unselect_rest)
{
  g_autoptr(GtkBitset) selection = gtk_bitset_new_range (position, n_items);
  g_autoptr(GtkBitset) mask = NULL;

  if (!selected)
    gtk_bitset_remove_all (selection);

  if (unselect_rest)
    mask = gtk_bitset_new_range (0, G_MAXUINT);
  else
    mask = gtk_bitset_new_range (position, n_items);

  return dr_log_selection_set_selection (model, selection, mask);
}

static gboolean
dr_log_selection_is_selected (GtkSelectionModel *model,
                              guint              position)
{
  DrLogSelection *self = DR_LOG_SELECTION (model);

  return gtk_bitset_contains (self->selected, position);
}

static GtkBitset *
dr_log_selection_get_selection_in_range (GtkSelectionModel *model,
                                         guint              position,
                                         guint              n_items)
{
  DrLogSelection *self = DR_LOG_SELECTION (model);
  GtkBitset *range = gtk_bitset_new_range (position, n_items);

  gtk_bitset_intersect (range, self->selected);

  return range;
}

static gboolean
dr_log_selection_select_item (GtkSelectionModel *model,
                              guint              position,
                              gboolean           unselect_rest)
{
  return select_range (model, position, 1, TRUE, unselect_rest);
}

static gboolean
dr_log_selection_unselect_item (GtkSelectionModel *model,
                                guint              position)
{
  return select_range (model, position, 1, FALSE, FALSE);
}

static gboolean
dr_log_selection_select_range (GtkSelectionModel *model,
                               guint              position,
                               guint              n_items,
                               gboolean           unselect_rest)
{
  return select_range (model, position, n_items, TRUE, unselect_rest);
}

static gboolean
dr_log_selection_unselect_range (GtkSelectionModel *model,
                                 guint              position,
                                 guint              n_items)
{
  return select_range (model, position, n_items, FALSE, FALSE);
}

static gboolean
dr_log_selection_select_all (GtkSelectionModel *model)
{
  return select_range (model, 0, g_list_model_get_n_items (G_LIST_MODEL (model)), TRUE, FALSE);
}

static gboolean
dr_log_selection_unselect_all (GtkSelectionModel *model)
{
  return select_range (model, 0, G_MAXUINT, FALSE, FALSE);
}

static void
dr_log_selection_selection_model_init (GtkSelectionModelInterface *iface)
{
  iface->is_selected = dr_log_selection_is_selected;
  iface->get_selection_in_range = dr_log_selection_get_selection_in_range;
  iface->select_item = dr_log_selection_select_item;
  iface->unselect_item = dr_log_selection_unselect_item;
  iface->select_range = dr_log_selection_select_range;
  iface->unselect_range = dr_log_selection_unselect_range;
  iface->select_all = dr_log_selection_select_all;
  iface->unselect_all = dr_log_selection_unselect_all;
  iface->set_selection = dr_log_selection_set_selection;
}

/* Moves the selection with the items, so that a selected line stays selected when lines are
 * added before it. Removed positions lose their selection. */
static void
items_changed_cb (DrLogSelection *self,
                  guint           position,
                  guint           removed,
                  guint           added,
                  GListModel     *model)
{
  gtk_bitset_splice (self->selected, position, removed, added);
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
}

static void
dr_log_selection_dispose (GObject *object)
{
  DrLogSelection *self = DR_LOG_SELECTION (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, items_changed_cb, self);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (dr_log_selection_parent_class)->dispose (object);
}

static void
dr_log_selection_finalize (GObject *object)
{
  DrLogSelection *self = DR_LOG_SELECTION (object);

  g_clear_pointer (&self->selected, gtk_bitset_unref);

  G_OBJECT_CLASS (dr_log_selection_parent_class)->finalize (object);
}

static void
dr_log_selection_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  DrLogSelection *self = DR_LOG_SELECTION (object);

  switch (prop_id) {
  case PROP_MODEL:
    g_value_set_object (value, self->model);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_log_selection_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  DrLogSelection *self = DR_LOG_SELECTION (object);

  switch (prop_id) {
  case PROP_MODEL:
    g_assert (self->model == NULL);
    self->model = g_value_dup_object (value);
    g_signal_connect_object (self->model, "items-changed", G_CALLBACK (items_changed_cb), self,
                             G_CONNECT_SWAPPED);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_log_selection_class_init (DrLogSelectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dr_log_selection_dispose;
  object_class->finalize = dr_log_selection_finalize;
  object_class->get_property = dr_log_selection_get_property;
  object_class->set_property = dr_log_selection_set_property;

  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dr_log_selection_init (DrLogSelection *self)
{
  self->selected = gtk_bitset_new_empty ();
}

DrLogSelection *
dr_log_selection_new (GListModel *model)
{
  g_return_val_if_fail (G_IS_LIST_MODEL (model), NULL);

  return g_object_new (DR_TYPE_LOG_SELECTION, "model", model, NULL);
}

GListModel *
dr_log_selection_get_model (DrLogSelection *self)
{
  g_return_val_if_fail (DR_IS_LOG_SELECTION (self), NULL);

  return self->model;
}
