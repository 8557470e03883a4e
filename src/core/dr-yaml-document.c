/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <yaml.h>

#include "dr-workspace.h"
#include "dr-yaml-document.h"

/* Composes the events of libyaml's parser into a tree of DrYamlNode. Aliases share the anchored
 * node instead of copying it, and the number of nodes they add is bounded, so a small file never
 * expands into an exponentially large tree. Keys must be unique text within each mapping. */

typedef struct
{
  DrYamlNode *node;
  GHashTable *keys;  /* MAPPING: key text → key node, for duplicate keys */
} DrYamlFrame;

typedef struct
{
  const char     *data;
  gsize           length;
  const char     *display_name;
  DrYamlDocument *document;
  GArray         *stack;        /* of DrYamlFrame, the collections still open */
  GHashTable     *anchors;      /* anchor name → DrYamlNode */
  gsize           alias_nodes;  /* nodes added by aliases so far */
  guint           documents;
  GError         *error;
} DrYamlComposer;

static void
dr_yaml_node_free (DrYamlNode *node)
{
  g_free (node->value);
  g_clear_pointer (&node->children, g_ptr_array_unref);
  g_free (node);
}

void
dr_yaml_document_free (DrYamlDocument *document)
{
  if (document == NULL)
    return;

  g_ptr_array_unref (document->nodes);
  g_free (document);
}

static void
set_error_at (DrYamlComposer *composer,
              int             line,
              int             column,
              const char     *format,
              ...) G_GNUC_PRINTF (4, 5);

static void
set_error_at (DrYamlComposer *composer,
              int             line,
              int             column,
              const char     *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  g_assert (composer->error == NULL);

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  composer->error = g_error_new (DR_WORKSPACE_ERROR, DR_WORKSPACE_ERROR_SYNTAX, "%s:%d:%d: %s",
                                 composer->display_name, line, column, message);
}

/* Converts a byte offset into a 1-based line and column that count characters, for reader
 * errors, which libyaml reports by offset only. */
static void
offset_to_position (const char *data,
                    gsize       length,
                    gsize       offset,
                    int        *line,
                    int        *column)
{
  *line = 1;
  *column = 1;

  for (gsize i = 0; i < offset && i < length; i++) {
    guchar byte = (guchar) data[i];

    if (byte == '\n') {
      (*line)++;
      *column = 1;
    } else if ((byte & 0xc0) != 0x80) {
      (*column)++;
    }
  }
}

static void
set_parser_error (DrYamlComposer *composer,
                  yaml_parser_t  *parser)
{
  int line;
  int column;

  if (parser->error == YAML_MEMORY_ERROR) {
    set_error_at (composer, 1, 1, _("the parser ran out of memory: the file is too large"));
    return;
  }

  if (parser->error == YAML_READER_ERROR) {
    offset_to_position (composer->data, composer->length, parser->problem_offset, &line, &column);
    set_error_at (composer, line, column,
                  _("invalid text: %s; save the file as UTF-8 without control characters"),
                  parser->problem != NULL ? parser->problem : _("unreadable character"));
    return;
  }

  line = (int) parser->problem_mark.line + 1;
  column = (int) parser->problem_mark.column + 1;

  if (parser->context != NULL) {
    set_error_at (composer, line, column,
                  _("invalid YAML: %s (%s at line %d, column %d); check the indentation, quotes "
                    "and brackets here"),
                  parser->problem != NULL ? parser->problem : _("syntax error"),
                  parser->context,
                  (int) parser->context_mark.line + 1,
                  (int) parser->context_mark.column + 1);
  } else {
    set_error_at (composer, line, column,
                  _("invalid YAML: %s; check the indentation, quotes and brackets here"),
                  parser->problem != NULL ? parser->problem : _("syntax error"));
  }
}

static DrYamlNode *
create_node (DrYamlComposer     *composer,
             DrYamlNodeType      type,
             const yaml_event_t *event)
{
  DrYamlNode *node = g_new0 (DrYamlNode, 1);

  node->type = type;
  node->line = (int) event->start_mark.line + 1;
  node->column = (int) event->start_mark.column + 1;
  node->expanded_size = 1;
  if (type != DR_YAML_NODE_SCALAR)
    node->children = g_ptr_array_new ();

  g_ptr_array_add (composer->document->nodes, node);

  return node;
}

static void
register_anchor (DrYamlComposer *composer,
                 const char     *anchor,
                 DrYamlNode     *node)
{
  /* YAML lets a later anchor of the same name replace an earlier one for the aliases after it. */
  if (anchor != NULL)
    g_hash_table_replace (composer->anchors, g_strdup (anchor), node);
}

/* Adds `node` to the innermost open collection, or makes it the root. `line` and `column` are
 * where the node appears in the text, which for an alias differs from the node's own position. */
static gboolean
add_node (DrYamlComposer *composer,
          DrYamlNode     *node,
          int             line,
          int             column)
{
  DrYamlFrame *parent;

  if (composer->stack->len == 0) {
    composer->document->root = node;
    return TRUE;
  }

  parent = &g_array_index (composer->stack, DrYamlFrame, composer->stack->len - 1);

  if (parent->node->type == DR_YAML_NODE_MAPPING && parent->node->children->len % 2 == 0) {
    DrYamlNode *first;

    if (node->type != DR_YAML_NODE_SCALAR) {
      set_error_at (composer, line, column,
                    _("a key must be a plain text, not a list or a mapping; write the key as "
                      "a name followed by “:”"));
      return FALSE;
    }

    first = g_hash_table_lookup (parent->keys, node->value);
    if (first != NULL) {
      set_error_at (composer, line, column,
                    _("duplicate key “%s”: the first is at line %d, column %d; remove one of "
                      "them"),
                    node->value, first->line, first->column);
      return FALSE;
    }

    g_hash_table_insert (parent->keys, node->value, node);
  }

  g_ptr_array_add (parent->node->children, node);

  return TRUE;
}

static gboolean
handle_scalar (DrYamlComposer *composer,
               yaml_event_t   *event)
{
  DrYamlNode *node;
  int line = (int) event->start_mark.line + 1;
  int column = (int) event->start_mark.column + 1;

  if (memchr (event->data.scalar.value, '\0', event->data.scalar.length) != NULL) {
    set_error_at (composer, line, column,
                  _("a text contains a NUL character (“\\0”); remove it"));
    return FALSE;
  }

  node = create_node (composer, DR_YAML_NODE_SCALAR, event);
  node->value = g_strndup ((const char *) event->data.scalar.value, event->data.scalar.length);
  node->plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  node->complete = TRUE;

  register_anchor (composer, (const char *) event->data.scalar.anchor, node);

  return add_node (composer, node, line, column);
}

static gboolean
handle_collection_start (DrYamlComposer *composer,
                         yaml_event_t   *event)
{
  gboolean is_mapping = event->type == YAML_MAPPING_START_EVENT;
  DrYamlFrame frame = { NULL, NULL };
  const char *anchor;

  frame.node = create_node (composer,
                            is_mapping ? DR_YAML_NODE_MAPPING : DR_YAML_NODE_SEQUENCE,
                            event);
  anchor = (const char *) (is_mapping ? event->data.mapping_start.anchor
                                      : event->data.sequence_start.anchor);
  register_anchor (composer, anchor, frame.node);

  if (!add_node (composer, frame.node, frame.node->line, frame.node->column))
    return FALSE;

  if (composer->stack->len >= DR_YAML_MAX_DEPTH) {
    set_error_at (composer, frame.node->line, frame.node->column,
                  _("lists and mappings nest more than %d levels deep here, which a workspace "
                    "never needs; remove the extra brackets or indentation"),
                  DR_YAML_MAX_DEPTH);
    return FALSE;
  }

  if (is_mapping)
    frame.keys = g_hash_table_new (g_str_hash, g_str_equal);

  g_array_append_val (composer->stack, frame);

  return TRUE;
}

static void
handle_collection_end (DrYamlComposer *composer)
{
  DrYamlFrame *frame = &g_array_index (composer->stack, DrYamlFrame, composer->stack->len - 1);
  DrYamlNode *node = frame->node;

  /* Each child's size is bounded by the alias limit, so this sum cannot overflow. */
  for (guint i = 0; i < node->children->len; i++) {
    DrYamlNode *child = g_ptr_array_index (node->children, i);

    node->expanded_size += child->expanded_size;
  }
  node->complete = TRUE;

  g_clear_pointer (&frame->keys, g_hash_table_unref);
  g_array_set_size (composer->stack, composer->stack->len - 1);
}

static gboolean
handle_alias (DrYamlComposer *composer,
              yaml_event_t   *event)
{
  const char *anchor = (const char *) event->data.alias.anchor;
  int line = (int) event->start_mark.line + 1;
  int column = (int) event->start_mark.column + 1;
  DrYamlNode *node = g_hash_table_lookup (composer->anchors, anchor);

  if (node == NULL) {
    set_error_at (composer, line, column,
                  _("unknown alias “*%s”: define the anchor “&%s” on a value before this line, "
                    "or remove the alias"),
                  anchor, anchor);
    return FALSE;
  }

  if (!node->complete) {
    set_error_at (composer, line, column,
                  _("alias “*%s” refers to a node that contains it, which would repeat forever; "
                    "remove the alias or move the anchor “&%s”"),
                  anchor, anchor);
    return FALSE;
  }

  if (node->expanded_size > DR_YAML_MAX_ALIAS_NODES - composer->alias_nodes) {
    set_error_at (composer, line, column,
                  _("aliases expand to more than %d nodes, which this file does not need; write "
                    "the values out or use fewer nested aliases"),
                  DR_YAML_MAX_ALIAS_NODES);
    return FALSE;
  }
  composer->alias_nodes += node->expanded_size;

  return add_node (composer, node, line, column);
}

static gboolean
handle_event (DrYamlComposer *composer,
              yaml_event_t   *event)
{
  switch (event->type) {
  case YAML_DOCUMENT_START_EVENT:
    if (composer->documents > 0) {
      set_error_at (composer, (int) event->start_mark.line + 1,
                    (int) event->start_mark.column + 1,
                    _("a second document starts here, but a workspace file holds one document; "
                      "remove this “---” and what follows, or move it to another file"));
      return FALSE;
    }
    return TRUE;

  case YAML_DOCUMENT_END_EVENT:
    composer->documents++;
    return TRUE;

  case YAML_SCALAR_EVENT:
    return handle_scalar (composer, event);

  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT:
    return handle_collection_start (composer, event);

  case YAML_SEQUENCE_END_EVENT:
  case YAML_MAPPING_END_EVENT:
    handle_collection_end (composer);
    return TRUE;

  case YAML_ALIAS_EVENT:
    return handle_alias (composer, event);

  case YAML_NO_EVENT:
  case YAML_STREAM_START_EVENT:
  case YAML_STREAM_END_EVENT:
  default:
    return TRUE;
  }
}

static void
clear_frame (gpointer data)
{
  DrYamlFrame *frame = data;

  g_clear_pointer (&frame->keys, g_hash_table_unref);
}

/* Parses one YAML document. Errors are DR_WORKSPACE_ERROR_SYNTAX and start with
 * “display_name:line:column: ”. */
DrYamlDocument *
dr_yaml_document_parse (const char  *data,
                        gsize        length,
                        const char  *display_name,
                        GError     **error)
{
  g_autoptr(DrYamlDocument) document = NULL;
  DrYamlComposer composer = { 0 };
  yaml_parser_t parser;
  const char *invalid = NULL;
  gboolean done = FALSE;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (display_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  document = g_new0 (DrYamlDocument, 1);
  document->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_yaml_node_free);

  composer.data = data;
  composer.length = length;
  composer.display_name = display_name;
  composer.document = document;
  composer.stack = g_array_new (FALSE, FALSE, sizeof (DrYamlFrame));
  g_array_set_clear_func (composer.stack, clear_frame);
  composer.anchors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* libyaml also reads UTF-16 and reports a bad byte sequence at its last byte, so UTF-8 is
   * checked here first, which also points at the first byte of the broken character. */
  if (!g_utf8_validate_len (data != NULL ? data : "", length, &invalid)) {
    int line;
    int column;

    offset_to_position (data, length, (gsize) (invalid - data), &line, &column);
    if (*invalid == '\0') {
      set_error_at (&composer, line, column,
                    _("invalid text: the file contains a NUL byte; save it as UTF-8 text"));
    } else {
      set_error_at (&composer, line, column,
                    _("invalid text: this is not UTF-8; save the file as UTF-8"));
    }
    done = TRUE;
  }

  if (!yaml_parser_initialize (&parser))
    g_error ("Could not initialize the YAML parser: out of memory");
  yaml_parser_set_input_string (&parser, (const unsigned char *) (data != NULL ? data : ""),
                                length);

  while (!done && composer.error == NULL) {
    yaml_event_t event;

    if (!yaml_parser_parse (&parser, &event)) {
      set_parser_error (&composer, &parser);
      break;
    }

    done = event.type == YAML_STREAM_END_EVENT;
    handle_event (&composer, &event);
    yaml_event_delete (&event);
  }

  yaml_parser_delete (&parser);
  g_array_unref (composer.stack);
  g_hash_table_unref (composer.anchors);

  if (composer.error == NULL && document->root == NULL) {
    set_error_at (&composer, 1, 1,
                  _("the file is empty; a workspace starts with “version: 1” and a “name”"));
  }

  if (composer.error != NULL) {
    g_propagate_error (error, composer.error);
    return NULL;
  }

  return g_steal_pointer (&document);
}

guint
dr_yaml_node_n_pairs (const DrYamlNode *node)
{
  g_return_val_if_fail (node != NULL, 0);
  g_return_val_if_fail (node->type == DR_YAML_NODE_MAPPING, 0);

  return node->children->len / 2;
}

DrYamlNode *
dr_yaml_node_pair_key (const DrYamlNode *node,
                       guint             index)
{
  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (node->type == DR_YAML_NODE_MAPPING, NULL);
  g_return_val_if_fail (index * 2 < node->children->len, NULL);

  return g_ptr_array_index (node->children, index * 2);
}

DrYamlNode *
dr_yaml_node_pair_value (const DrYamlNode *node,
                         guint             index)
{
  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (node->type == DR_YAML_NODE_MAPPING, NULL);
  g_return_val_if_fail (index * 2 + 1 < node->children->len, NULL);

  return g_ptr_array_index (node->children, index * 2 + 1);
}

/* Returns whether `node` is YAML's null: an empty plain value, “~” or “null”. */
gboolean
dr_yaml_node_is_null (const DrYamlNode *node)
{
  g_return_val_if_fail (node != NULL, FALSE);

  if (node->type != DR_YAML_NODE_SCALAR || !node->plain)
    return FALSE;

  return node->value[0] == '\0' ||
         g_str_equal (node->value, "~") ||
         g_str_equal (node->value, "null") ||
         g_str_equal (node->value, "Null") ||
         g_str_equal (node->value, "NULL");
}
