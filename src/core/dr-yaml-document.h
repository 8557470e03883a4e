/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The maximum number of nodes that aliases may add to a document, counted with repeats. A
 * "billion laughs" file needs far more and is rejected before anything is expanded. */
#define DR_YAML_MAX_ALIAS_NODES 10000

/* The maximum nesting of lists and mappings. The workspace format needs five levels. libyaml
 * 0.2.5 gets slower with every open bracket (200,000 of them took over a minute), so the bound
 * stops such a file early. */
#define DR_YAML_MAX_DEPTH 64

typedef enum
{
  DR_YAML_NODE_SCALAR,
  DR_YAML_NODE_SEQUENCE,
  DR_YAML_NODE_MAPPING,
} DrYamlNodeType;

typedef struct _DrYamlNode DrYamlNode;

/* One node of a parsed document. A node that an alias refers to appears in several parents,
 * so nodes are shared and owned by their DrYamlDocument. */
struct _DrYamlNode
{
  DrYamlNodeType  type;
  char           *value;          /* SCALAR: the text, without NUL bytes */
  gboolean        plain;          /* SCALAR: written without quotes or a block indicator */
  GPtrArray      *children;       /* SEQUENCE: items; MAPPING: key, value, key, value… */
  int             line;           /* 1-based position of the node's first character */
  int             column;
  gsize           expanded_size;  /* the node and everything under it, aliases expanded */
  gboolean        complete;       /* its end event was seen */
};

typedef struct
{
  GPtrArray  *nodes;  /* of DrYamlNode, owning */
  DrYamlNode *root;
} DrYamlDocument;

DrYamlDocument *dr_yaml_document_parse   (const char      *data,
                                          gsize            length,
                                          const char      *display_name,
                                          GError         **error);
void            dr_yaml_document_free    (DrYamlDocument  *document);

guint           dr_yaml_node_n_pairs     (const DrYamlNode *node);
DrYamlNode     *dr_yaml_node_pair_key    (const DrYamlNode *node,
                                          guint             index);
DrYamlNode     *dr_yaml_node_pair_value  (const DrYamlNode *node,
                                          guint             index);
gboolean        dr_yaml_node_is_null     (const DrYamlNode *node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrYamlDocument, dr_yaml_document_free)

G_END_DECLS
