/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Rolling a Deployment back through the API, as `kubectl rollout undo` does: GET the
 * Deployment, list the ReplicaSets its selector matches and it controls, take the pod template
 * of the chosen revision without its pod-template-hash label, and patch spec.template with it.
 * The patch carries the resourceVersion that was read, which makes it a precondition: when anyone
 * changed the Deployment in between, the API server responds 409 Conflict and nothing changes. */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "dr-kube-client.h"
#include "dr-kube-client-private.h"

#define REVISION_ANNOTATION "deployment.kubernetes.io/revision"
#define HASH_LABEL "pod-template-hash"
#define MERGE_PATCH_TYPE "application/merge-patch+json"

typedef struct
{
  char           *namespace;
  char           *name;
  gint64          to_revision;        /* as requested, 0 for the previous revision */
  JsonNode       *deployment;
  SoupMessage    *patch_message;
  DrKubeRollback *rollback;
} Undo;

static void
undo_free (Undo *undo)
{
  g_free (undo->namespace);
  g_free (undo->name);
  g_clear_pointer (&undo->deployment, json_node_unref);
  g_clear_object (&undo->patch_message);
  g_clear_pointer (&undo->rollback, dr_kube_rollback_free);
  g_free (undo);
}

void
dr_kube_rollback_free (DrKubeRollback *rollback)
{
  if (rollback == NULL)
    return;

  g_free (rollback->from_image);
  g_free (rollback->to_image);
  g_free (rollback);
}

/* Reads a deployment.kubernetes.io/revision annotation. Returns 0 when it is missing or not a
 * positive number. */
static gint64
read_revision (JsonObject *object)
{
  JsonObject *metadata = dr_kube_json_get_object (object, "metadata");
  JsonObject *annotations = dr_kube_json_get_object (metadata, "annotations");
  const char *text = dr_kube_json_get_string (annotations, REVISION_ANNOTATION);
  gint64 revision = 0;

  if (text == NULL || !g_ascii_string_to_signed (text, 10, 1, G_MAXINT64, &revision, NULL))
    return 0;

  return revision;
}

static const char *
template_first_image (JsonObject *template)
{
  JsonObject *pod_spec = dr_kube_json_get_object (template, "spec");
  JsonArray *containers = dr_kube_json_get_array (pod_spec, "containers");
  JsonNode *first;

  if (containers == NULL || json_array_get_length (containers) == 0)
    return NULL;

  first = json_array_get_element (containers, 0);
  if (!JSON_NODE_HOLDS_OBJECT (first))
    return NULL;

  return dr_kube_json_get_string (json_node_get_object (first), "image");
}

/* Errors */

/* Wraps an error of one of the rollback's requests so that it names what was rolled back. */
static GError *
undo_wrap_error (Undo   *undo,
                 GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (undo->rollback != NULL && undo->rollback->to_revision > 0)
    return g_error_new (error->domain, error->code,
                        _("Could not roll back Deployment “%s” in namespace “%s” to revision "
                          "%lld: %s"),
                        undo->name, undo->namespace, (long long) undo->rollback->to_revision,
                        error->message);

  return g_error_new (error->domain, error->code,
                      _("Could not roll back Deployment “%s” in namespace “%s”: %s"),
                      undo->name, undo->namespace, error->message);
}

static GError *
undo_invalid_response_error (DrKubeClient *self,
                             Undo         *undo,
                             const char   *detail)
{
  return g_error_new (DR_KUBE_ERROR, DR_KUBE_ERROR_INVALID_RESPONSE,
                      _("Could not roll back Deployment “%s” in namespace “%s”: the API server "
                        "of cluster “%s” sent %s. Check that the server URL points to a "
                        "Kubernetes API server."),
                      undo->name, undo->namespace, dr_kube_client_get_cluster (self), detail);
}

/* Lists revisions as "1, 2 and 4" for an error message. */
static char *
describe_revisions (GArray *revisions)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < revisions->len; i++) {
    if (i > 0 && i == revisions->len - 1)
      /* Translators: between the last two revision numbers of a list, as in "1, 2 and 4". */
      g_string_append (text, _(" and "));
    else if (i > 0)
      g_string_append (text, ", ");
    g_string_append_printf (text, "%" G_GINT64_FORMAT, g_array_index (revisions, gint64, i));
  }

  return g_string_free (text, FALSE);
}

/* JSON merge patches */

/* Returns the JSON merge patch (RFC 7386) that turns @current into @target, or NULL when they
 * are equal. Members of @current that @target lacks become null, which deletes them. Lists
 * are replaced whole, as a merge patch cannot change part of one. */
static JsonNode *
create_merge_patch (JsonNode *current,
                    JsonNode *target)
{
  g_autoptr(JsonObject) patch = NULL;
  g_autoptr(GList) target_members = NULL;
  g_autoptr(GList) current_members = NULL;
  JsonObject *current_object;
  JsonObject *target_object;
  JsonNode *node;

  if (!JSON_NODE_HOLDS_OBJECT (current) || !JSON_NODE_HOLDS_OBJECT (target))
    return json_node_equal (current, target) ? NULL : json_node_copy (target);

  current_object = json_node_get_object (current);
  target_object = json_node_get_object (target);
  patch = json_object_new ();

  target_members = json_object_get_members (target_object);
  for (GList *l = target_members; l != NULL; l = l->next) {
    JsonNode *target_member = json_object_get_member (target_object, l->data);
    JsonNode *current_member = json_object_get_member (current_object, l->data);
    JsonNode *member_patch;

    /* A null member of the target is an unset field, which the current object lacks too. */
    if (current_member == NULL) {
      if (!JSON_NODE_HOLDS_NULL (target_member))
        json_object_set_member (patch, l->data, json_node_copy (target_member));
      continue;
    }

    member_patch = create_merge_patch (current_member, target_member);
    if (member_patch != NULL)
      json_object_set_member (patch, l->data, member_patch);
  }

  current_members = json_object_get_members (current_object);
  for (GList *l = current_members; l != NULL; l = l->next) {
    JsonNode *current_member = json_object_get_member (current_object, l->data);

    if (!json_object_has_member (target_object, l->data) && !JSON_NODE_HOLDS_NULL (current_member))
      json_object_set_null_member (patch, l->data);
  }

  if (json_object_get_size (patch) == 0)
    return NULL;

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, patch);

  return node;
}

/* Label selectors */

static void
append_values (GString   *selector,
               JsonArray *values)
{
  g_string_append (selector, " (");
  for (guint i = 0; values != NULL && i < json_array_get_length (values); i++) {
    JsonNode *value = json_array_get_element (values, i);

    if (i > 0)
      g_string_append_c (selector, ',');
    if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
      g_string_append (selector, json_node_get_string (value));
  }
  g_string_append_c (selector, ')');
}

/* Writes a LabelSelector (matchLabels and matchExpressions) in the text form of the
 * labelSelector query parameter. Returns NULL when it selects nothing or has an unknown
 * operator. */
static char *
format_label_selector (JsonObject *selector)
{
  g_autoptr(GString) text = g_string_new (NULL);
  JsonObject *match_labels = dr_kube_json_get_object (selector, "matchLabels");
  JsonArray *expressions = dr_kube_json_get_array (selector, "matchExpressions");
  g_autoptr(GList) keys = match_labels != NULL ? json_object_get_members (match_labels) : NULL;

  for (GList *l = keys; l != NULL; l = l->next) {
    const char *value = dr_kube_json_get_string (match_labels, l->data);

    if (value == NULL)
      return NULL;
    if (text->len > 0)
      g_string_append_c (text, ',');
    g_string_append_printf (text, "%s=%s", (const char *) l->data, value);
  }

  for (guint i = 0; expressions != NULL && i < json_array_get_length (expressions); i++) {
    JsonNode *node = json_array_get_element (expressions, i);
    JsonObject *expression = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    const char *key = dr_kube_json_get_string (expression, "key");
    const char *operator = dr_kube_json_get_string (expression, "operator");
    JsonArray *values = dr_kube_json_get_array (expression, "values");

    if (key == NULL || operator == NULL)
      return NULL;
    if (text->len > 0)
      g_string_append_c (text, ',');

    if (g_str_equal (operator, "In")) {
      g_string_append_printf (text, "%s in", key);
      append_values (text, values);
    } else if (g_str_equal (operator, "NotIn")) {
      g_string_append_printf (text, "%s notin", key);
      append_values (text, values);
    } else if (g_str_equal (operator, "Exists")) {
      g_string_append (text, key);
    } else if (g_str_equal (operator, "DoesNotExist")) {
      g_string_append_printf (text, "!%s", key);
    } else {
      return NULL;
    }
  }

  /* An empty selector would match every ReplicaSet in the namespace. */
  if (text->len == 0)
    return NULL;

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Returns whether @replica_set has an ownerReference to the Deployment with @uid that marks
 * the Deployment as its controller. Another Deployment's selector may match it too. */
static gboolean
is_controlled_by (JsonObject *replica_set,
                  const char *uid)
{
  JsonObject *metadata = dr_kube_json_get_object (replica_set, "metadata");
  JsonArray *owners = dr_kube_json_get_array (metadata, "ownerReferences");

  for (guint i = 0; owners != NULL && i < json_array_get_length (owners); i++) {
    JsonNode *node = json_array_get_element (owners, i);
    JsonObject *owner = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    JsonNode *controller = owner != NULL ? json_object_get_member (owner, "controller") : NULL;

    if (controller == NULL || !JSON_NODE_HOLDS_VALUE (controller) ||
        json_node_get_value_type (controller) != G_TYPE_BOOLEAN ||
        !json_node_get_boolean (controller))
      continue;

    if (g_strcmp0 (dr_kube_json_get_string (owner, "uid"), uid) == 0)
      return TRUE;
  }

  return FALSE;
}

/* Step 3: the patch */

static void
undo_patched_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DrKubeClient *self = g_task_get_source_object (task);
  Undo *undo = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) request_error = NULL;
  g_autoptr(GBytes) body = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL) {
    request_error = dr_kube_client_transport_error (self, undo->patch_message, error);
    g_task_return_error (task, undo_wrap_error (undo, request_error));
    return;
  }

  if (soup_message_get_status (undo->patch_message) == SOUP_STATUS_CONFLICT) {
    g_task_return_new_error (task, DR_KUBE_ERROR, DR_KUBE_ERROR_CONFLICT,
                             _("Deployment “%s” in namespace “%s” on cluster “%s” changed while "
                               "it was being rolled back to revision %lld, so the rollback "
                               "changed nothing. Check who changed it and what its newest "
                               "revision is, then try again."),
                             undo->name, undo->namespace, dr_kube_client_get_cluster (self),
                             (long long) undo->rollback->to_revision);
    return;
  }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (undo->patch_message))) {
    request_error = dr_kube_client_error_from_response (self, undo->patch_message, body);
    g_task_return_error (task, undo_wrap_error (undo, request_error));
    return;
  }

  g_task_return_pointer (task, g_steal_pointer (&undo->rollback),
                         (GDestroyNotify) dr_kube_rollback_free);
}

static void
undo_send_patch (GTask      *task,
                 JsonObject *template)
{
  DrKubeClient *self = g_task_get_source_object (task);
  Undo *undo = g_task_get_task_data (task);
  JsonObject *deployment = json_node_get_object (undo->deployment);
  JsonObject *metadata = dr_kube_json_get_object (deployment, "metadata");
  JsonObject *current = dr_kube_json_get_object (dr_kube_json_get_object (deployment, "spec"),
                                                 "template");
  g_autoptr(JsonNode) current_node = json_node_init_object (json_node_alloc (), current);
  g_autoptr(JsonNode) target_node = json_node_init_object (json_node_alloc (), template);
  g_autoptr(JsonNode) template_patch = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) patch = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *path = NULL;
  char *text;

  template_patch = create_merge_patch (current_node, target_node);
  if (template_patch == NULL) {
    /* The Deployment already runs that template, so there is nothing to patch. */
    undo->rollback->changed = FALSE;
    g_task_return_pointer (task, g_steal_pointer (&undo->rollback),
                           (GDestroyNotify) dr_kube_rollback_free);
    g_object_unref (task);
    return;
  }

  /* NOTE: kubectl also copies the ReplicaSet's annotations, such as kubernetes.io/change-cause,
   * to the Deployment. This rollback restores the pod template only. */
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "resourceVersion");
  json_builder_add_string_value (builder, dr_kube_json_get_string (metadata, "resourceVersion"));
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "spec");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "template");
  json_builder_add_value (builder, g_steal_pointer (&template_patch));
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  patch = json_builder_get_root (builder);

  text = json_to_string (patch, FALSE);
  body = g_bytes_new_take (text, strlen (text));

  path = dr_kube_deployment_path (undo->namespace, undo->name);
  undo->patch_message = dr_kube_client_create_message (self, "PATCH", path);
  soup_message_set_request_body_from_bytes (undo->patch_message, MERGE_PATCH_TYPE, body);

  undo->rollback->changed = TRUE;
  soup_session_send_and_read_async (dr_kube_client_get_session (self), undo->patch_message,
                                    G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                    undo_patched_cb, task);
}

/* Step 2: the ReplicaSets */

static int
compare_revisions (gconstpointer a,
                   gconstpointer b)
{
  gint64 first = *(const gint64 *) a;
  gint64 second = *(const gint64 *) b;

  return first < second ? -1 : first > second;
}

/* Picks the ReplicaSet of the requested revision, or of the one before the newest. Returns
 * NULL with @error set when there is none. */
static JsonObject *
choose_replica_set (DrKubeClient  *self,
                    Undo          *undo,
                    JsonArray     *items,
                    GError       **error)
{
  JsonObject *deployment = json_node_get_object (undo->deployment);
  const char *uid = dr_kube_json_get_string (dr_kube_json_get_object (deployment, "metadata"),
                                             "uid");
  g_autoptr(GArray) revisions = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *listed = NULL;
  JsonObject *newest = NULL;
  JsonObject *previous = NULL;
  gint64 newest_revision = 0;
  gint64 previous_revision = 0;

  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++) {
    JsonNode *node = json_array_get_element (items, i);
    JsonObject *replica_set = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    gint64 revision = replica_set != NULL ? read_revision (replica_set) : 0;

    if (revision == 0 || !is_controlled_by (replica_set, uid))
      continue;

    g_array_append_val (revisions, revision);

    if (undo->to_revision > 0 && revision == undo->to_revision)
      return replica_set;

    if (revision > newest_revision) {
      previous = newest;
      previous_revision = newest_revision;
      newest = replica_set;
      newest_revision = revision;
    } else if (revision > previous_revision) {
      previous = replica_set;
      previous_revision = revision;
    }
  }

  g_array_sort (revisions, compare_revisions);

  if (undo->to_revision > 0) {
    if (revisions->len == 0) {
      g_set_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_REVISION_NOT_FOUND,
                   _("Could not roll back Deployment “%s” in namespace “%s” on cluster “%s” to "
                     "revision %lld: the cluster keeps no revisions of it. Deploy the build of "
                     "that revision instead."),
                   undo->name, undo->namespace, dr_kube_client_get_cluster (self),
                   (long long) undo->to_revision);
      return NULL;
    }

    listed = describe_revisions (revisions);
    g_set_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_REVISION_NOT_FOUND,
                 _("Could not roll back Deployment “%s” in namespace “%s” on cluster “%s” to "
                   "revision %lld: the cluster keeps only revisions %s. Choose one of them, or "
                   "deploy the build of that revision instead."),
                 undo->name, undo->namespace, dr_kube_client_get_cluster (self),
                 (long long) undo->to_revision, listed);
    return NULL;
  }

  if (previous == NULL) {
    g_set_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_REVISION_NOT_FOUND,
                 _("Could not roll back Deployment “%s” in namespace “%s” on cluster “%s”: the "
                   "cluster keeps no revision before revision %lld. Deploy an earlier build "
                   "instead."),
                 undo->name, undo->namespace, dr_kube_client_get_cluster (self),
                 (long long) (newest_revision > 0 ? newest_revision
                                                  : read_revision (deployment)));
    return NULL;
  }

  return previous;
}

static void
undo_listed_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DrKubeClient *self = DR_KUBE_CLIENT (source);
  Undo *undo = g_task_get_task_data (task);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *replica_set;
  JsonObject *template;
  JsonObject *labels;
  const char *image;

  root = dr_kube_client_get_json_finish (self, result, &error);
  if (root == NULL) {
    g_task_return_error (task, undo_wrap_error (undo, error));
    return;
  }

  replica_set = choose_replica_set (self, undo,
                                    dr_kube_json_get_array (json_node_get_object (root), "items"),
                                    &error);
  if (replica_set == NULL) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  template = dr_kube_json_get_object (dr_kube_json_get_object (replica_set, "spec"), "template");
  image = template_first_image (template);
  if (template == NULL || image == NULL) {
    g_task_return_error (task, undo_invalid_response_error (self, undo,
                                                            _("a ReplicaSet without a pod "
                                                              "template")));
    return;
  }

  undo->rollback->to_revision = read_revision (replica_set);
  undo->rollback->to_image = g_strdup (image);

  /* The controller adds pod-template-hash to the template of each ReplicaSet it makes, and the
   * Deployment's own template has no such label. The list is not used again, so the label is
   * removed in place. */
  labels = dr_kube_json_get_object (dr_kube_json_get_object (template, "metadata"), "labels");
  if (labels != NULL)
    json_object_remove_member (labels, HASH_LABEL);

  undo_send_patch (g_steal_pointer (&task), template);
}

/* Step 1: the Deployment */

static void
undo_got_deployment_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DrKubeClient *self = DR_KUBE_CLIENT (source);
  Undo *undo = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *selector = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  GCancellable *cancellable;
  JsonObject *deployment;
  JsonObject *metadata;
  JsonObject *spec;
  JsonNode *paused;

  undo->deployment = dr_kube_client_get_json_finish (self, result, &error);
  if (undo->deployment == NULL) {
    g_task_return_error (task, undo_wrap_error (undo, error));
    return;
  }

  deployment = json_node_get_object (undo->deployment);
  metadata = dr_kube_json_get_object (deployment, "metadata");
  spec = dr_kube_json_get_object (deployment, "spec");

  if (dr_kube_json_get_string (metadata, "uid") == NULL ||
      dr_kube_json_get_string (metadata, "resourceVersion") == NULL ||
      dr_kube_json_get_object (spec, "template") == NULL) {
    g_task_return_error (task, undo_invalid_response_error (self, undo,
                                                            _("a Deployment without a uid, "
                                                              "resourceVersion or pod "
                                                              "template")));
    return;
  }

  paused = spec != NULL ? json_object_get_member (spec, "paused") : NULL;
  if (paused != NULL && JSON_NODE_HOLDS_VALUE (paused) &&
      json_node_get_value_type (paused) == G_TYPE_BOOLEAN && json_node_get_boolean (paused)) {
    g_task_return_new_error (task, DR_KUBE_ERROR, DR_KUBE_ERROR_PAUSED,
                             _("Deployment “%s” in namespace “%s” on cluster “%s” is paused at "
                               "revision %lld, and a paused Deployment cannot be rolled back. "
                               "Resume it (kubectl rollout resume deployment/%s -n %s), then "
                               "try again."),
                             undo->name, undo->namespace, dr_kube_client_get_cluster (self),
                             (long long) read_revision (deployment), undo->name,
                             undo->namespace);
    return;
  }

  selector = format_label_selector (dr_kube_json_get_object (spec, "selector"));
  if (selector == NULL) {
    g_task_return_error (task, undo_invalid_response_error (self, undo,
                                                            _("a Deployment whose selector "
                                                              "is empty or invalid")));
    return;
  }

  undo->rollback = g_new0 (DrKubeRollback, 1);
  undo->rollback->from_revision = read_revision (deployment);
  undo->rollback->from_image = g_strdup (template_first_image (dr_kube_json_get_object (spec,
                                                                                    "template")));

  escaped = g_uri_escape_string (selector, NULL, FALSE);
  path = g_strdup_printf ("/apis/apps/v1/namespaces/%s/replicasets?labelSelector=%s",
                          undo->namespace, escaped);
  cancellable = g_task_get_cancellable (task);
  dr_kube_client_get_json_async (self, path, cancellable, undo_listed_cb,
                                 g_steal_pointer (&task));
}

void
dr_kube_client_undo_rollout_async (DrKubeClient        *self,
                                   const char          *namespace,
                                   const char          *name,
                                   gint64               to_revision,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;
  Undo *undo;

  g_return_if_fail (DR_IS_KUBE_CLIENT (self));
  g_return_if_fail (namespace != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (to_revision >= 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_kube_client_undo_rollout_async);

  if (!dr_kube_check_names (namespace, name, &error)) {
    g_task_return_error (task, error);
    return;
  }

  undo = g_new0 (Undo, 1);
  undo->namespace = g_strdup (namespace);
  undo->name = g_strdup (name);
  undo->to_revision = to_revision;
  g_task_set_task_data (task, undo, (GDestroyNotify) undo_free);

  path = dr_kube_deployment_path (namespace, name);
  dr_kube_client_get_json_async (self, path, cancellable, undo_got_deployment_cb,
                                 g_steal_pointer (&task));
}

DrKubeRollback *
dr_kube_client_undo_rollout_finish (DrKubeClient  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (DR_IS_KUBE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        dr_kube_client_undo_rollout_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
