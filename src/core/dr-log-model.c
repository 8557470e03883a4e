/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dr-log-private.h"

/* DrLogLine */

struct _DrLogLine
{
  GObject   parent_instance;

  guint     position;
  char     *text;
  gboolean  pending;
};

G_DEFINE_FINAL_TYPE (DrLogLine, dr_log_line, G_TYPE_OBJECT)

enum {
  LINE_PROP_0,
  LINE_PROP_POSITION,
  LINE_PROP_TEXT,
  LINE_PROP_PENDING,
  LINE_N_PROPS
};

static GParamSpec *line_properties[LINE_N_PROPS];

static void
dr_log_line_finalize (GObject *object)
{
  DrLogLine *self = DR_LOG_LINE (object);

  g_clear_pointer (&self->text, g_free);

  G_OBJECT_CLASS (dr_log_line_parent_class)->finalize (object);
}

static void
dr_log_line_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DrLogLine *self = DR_LOG_LINE (object);

  switch (prop_id) {
  case LINE_PROP_POSITION:
    g_value_set_uint (value, self->position);
    break;
  case LINE_PROP_TEXT:
    g_value_set_string (value, self->text);
    break;
  case LINE_PROP_PENDING:
    g_value_set_boolean (value, self->pending);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_log_line_class_init (DrLogLineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dr_log_line_finalize;
  object_class->get_property = dr_log_line_get_property;

  line_properties[LINE_PROP_POSITION] =
    g_param_spec_uint ("position", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  line_properties[LINE_PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  line_properties[LINE_PROP_PENDING] =
    g_param_spec_boolean ("pending", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, LINE_N_PROPS, line_properties);
}

static void
dr_log_line_init (DrLogLine *self)
{
}

static DrLogLine *
dr_log_line_new (guint     position,
                 char     *text,
                 gboolean  pending)
{
  DrLogLine *self = g_object_new (DR_TYPE_LOG_LINE, NULL);

  self->position = position;
  self->text = text != NULL ? text : g_strdup ("");
  self->pending = pending;

  return self;
}

guint
dr_log_line_get_position (DrLogLine *self)
{
  g_return_val_if_fail (DR_IS_LOG_LINE (self), 0);

  return self->position;
}

/**
 * dr_log_line_get_text:
 * @self: a #DrLogLine
 *
 * Returns: the line as written to the log, SGR colour codes included
 */
const char *
dr_log_line_get_text (DrLogLine *self)
{
  g_return_val_if_fail (DR_IS_LOG_LINE (self), NULL);

  return self->text;
}

/**
 * dr_log_line_is_pending:
 * @self: a #DrLogLine
 *
 * Returns: whether this is the carriage-return line in progress, which changes in place
 */
gboolean
dr_log_line_is_pending (DrLogLine *self)
{
  g_return_val_if_fail (DR_IS_LOG_LINE (self), FALSE);

  return self->pending;
}

/* DrLogModel */

struct _DrLogModel
{
  GObject     parent_instance;

  DrLogIndex *index;
  guint       n_lines;
  gboolean    has_pending;
};

static void dr_log_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DrLogModel, dr_log_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      dr_log_model_list_model_init))

enum {
  PROP_0,
  PROP_INDEX,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
change_items (DrLogModel *self,
              guint       position,
              guint       removed,
              guint       added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);

  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* The new lines replace the pending item, which comes back after them if a line is still in
 * progress. The counts come from the signal, not from the index, so that the model changes
 * only when the main context hears about lines. */
static void
lines_added_cb (DrLogModel *self,
                guint       position,
                guint       n_added,
                DrLogIndex *index)
{
  guint n_lines = position + n_added;
  guint old_n_lines = self->n_lines;
  gboolean had_pending = self->has_pending;

  if (n_lines <= old_n_lines)
    return;

  self->n_lines = n_lines;
  self->has_pending = dr_log_index_has_pending (index);
  change_items (self, old_n_lines, had_pending ? 1 : 0,
                n_lines - old_n_lines + (self->has_pending ? 1 : 0));
}

static void
pending_changed_cb (DrLogModel *self,
                    DrLogIndex *index)
{
  gboolean had_pending = self->has_pending;

  self->has_pending = dr_log_index_has_pending (index);

  if (!had_pending && !self->has_pending)
    return;

  change_items (self, self->n_lines, had_pending ? 1 : 0, self->has_pending ? 1 : 0);
}

static void
dr_log_model_set_index (DrLogModel *self,
                        DrLogIndex *index)
{
  g_assert (self->index == NULL);

  if (index == NULL)
    return;

  self->index = g_object_ref (index);
  self->n_lines = dr_log_index_get_n_lines (index);
  self->has_pending = dr_log_index_has_pending (index);

  g_signal_connect_object (index, "lines-added", G_CALLBACK (lines_added_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (index, "pending-changed", G_CALLBACK (pending_changed_cb), self,
                           G_CONNECT_SWAPPED);
}

static void
dr_log_model_dispose (GObject *object)
{
  DrLogModel *self = DR_LOG_MODEL (object);

  g_clear_object (&self->index);

  G_OBJECT_CLASS (dr_log_model_parent_class)->dispose (object);
}

static void
dr_log_model_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  DrLogModel *self = DR_LOG_MODEL (object);

  switch (prop_id) {
  case PROP_INDEX:
    g_value_set_object (value, self->index);
    break;
  case PROP_N_ITEMS:
    g_value_set_uint (value, g_list_model_get_n_items (G_LIST_MODEL (self)));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_log_model_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  DrLogModel *self = DR_LOG_MODEL (object);

  switch (prop_id) {
  case PROP_INDEX:
    dr_log_model_set_index (self, g_value_get_object (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_log_model_class_init (DrLogModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dr_log_model_dispose;
  object_class->get_property = dr_log_model_get_property;
  object_class->set_property = dr_log_model_set_property;

  properties[PROP_INDEX] =
    g_param_spec_object ("index", NULL, NULL, DR_TYPE_LOG_INDEX,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dr_log_model_init (DrLogModel *self)
{
}

static GType
dr_log_model_get_item_type (GListModel *model)
{
  return DR_TYPE_LOG_LINE;
}

static guint
dr_log_model_get_n_items (GListModel *model)
{
  DrLogModel *self = DR_LOG_MODEL (model);

  return self->n_lines + (self->has_pending ? 1 : 0);
}

/* Reads the line from the file on each call: the model keeps no text. */
static gpointer
dr_log_model_get_item (GListModel *model,
                       guint       position)
{
  DrLogModel *self = DR_LOG_MODEL (model);
  char *text;

  if (position < self->n_lines)
    return dr_log_line_new (position, dr_log_index_dup_line (self->index, position), FALSE);

  if (position > self->n_lines || !self->has_pending)
    return NULL;

  /* The line in progress may have ended since the last signal: then it is in the file. */
  text = dr_log_index_dup_pending (self->index);
  if (text == NULL)
    text = dr_log_index_dup_line (self->index, position);

  return dr_log_line_new (position, text, TRUE);
}

static void
dr_log_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = dr_log_model_get_item_type;
  iface->get_n_items = dr_log_model_get_n_items;
  iface->get_item = dr_log_model_get_item;
}

/**
 * dr_log_model_new:
 * @index: the log to show
 *
 * Creates a list model of #DrLogLine over @index, updated from the index's signals on the
 * main context.
 */
DrLogModel *
dr_log_model_new (DrLogIndex *index)
{
  g_return_val_if_fail (DR_IS_LOG_INDEX (index), NULL);

  return g_object_new (DR_TYPE_LOG_MODEL, "index", index, NULL);
}

DrLogIndex *
dr_log_model_get_index (DrLogModel *self)
{
  g_return_val_if_fail (DR_IS_LOG_MODEL (self), NULL);

  return self->index;
}
