/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A Kubernetes API double. The shapes follow the Kubernetes API reference: Deployment
 * (apps/v1) with DeploymentStatus and DeploymentCondition, WatchEvent ({"type", "object"}),
 * and Status (kind "Status", status "Failure", message, reason, code) for every error. */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "kube-api-double.h"

#define REVISION_ANNOTATION "deployment.kubernetes.io/revision"
#define DEPLOYMENTS_PREFIX "/apis/apps/v1/namespaces/"

typedef struct
{
  char    *namespace;
  char    *name;
  char    *uid;
  char    *created;
  char    *container_name;
  char    *image;
  char    *pod_template_hash;
  char    *touched_by;            /* an annotation another writer sets, or NULL */
  int      replicas;
  gint64   generation;
  gint64   observed_generation;
  gint64   revision;
  guint64  resource_version;

  /* status */
  int      status_replicas;
  int      updated_replicas;
  int      available_replicas;
  char    *available_status;
  char    *available_reason;
  char    *available_message;
  char    *available_time;
  char    *progressing_status;
  char    *progressing_reason;
  char    *progressing_message;
  char    *progressing_time;

  /* the simulated rollout */
  gboolean rolling;
  gboolean image_changed;
  guint    step;
  gboolean fails;
} Deployment;

typedef struct
{
  guint64  resource_version;
  char    *namespace;
  char    *name;
  char    *line;                  /* the WatchEvent as one JSON line, with its "\n" */
} Event;

typedef struct
{
  KubeApiDouble     *owner;
  SoupServerMessage *message;
  char              *namespace;
  char              *name;        /* from fieldSelector metadata.name=…, or NULL for all */
  guint              n_sent;
  guint              timeout_id;
  gulong             finished_id;
  gboolean           complete;
} Watcher;

struct _KubeApiDouble
{
  SoupServer *server;
  SoupServer *https_server;
  char       *url;
  char       *https_url;
  char       *token;
  GTlsCertificate *client_certificate;  /* accepted in place of the token, or NULL */
  char       *git_version;
  GHashTable *deployments;        /* "namespace/name" → Deployment */
  guint64     resource_version;   /* of the newest change, across all objects */
  GQueue      history;            /* Event, oldest first */
  guint       history_size;
  guint64     compacted_version;  /* events up to this resourceVersion are gone */
  GPtrArray  *watchers;
  guint       tick_interval;
  guint       tick_id;
  guint       watch_close_after;
  guint       watch_timeout;
  gboolean    compact_after_next_get;
  GHashTable *request_counts;     /* kind → GUINT_TO_POINTER (count) */
};

static void
deployment_free (Deployment *deployment)
{
  g_free (deployment->namespace);
  g_free (deployment->name);
  g_free (deployment->uid);
  g_free (deployment->created);
  g_free (deployment->container_name);
  g_free (deployment->image);
  g_free (deployment->pod_template_hash);
  g_free (deployment->touched_by);
  g_free (deployment->available_status);
  g_free (deployment->available_reason);
  g_free (deployment->available_message);
  g_free (deployment->available_time);
  g_free (deployment->progressing_status);
  g_free (deployment->progressing_reason);
  g_free (deployment->progressing_message);
  g_free (deployment->progressing_time);
  g_free (deployment);
}

static void
event_free (Event *event)
{
  g_free (event->namespace);
  g_free (event->name);
  g_free (event->line);
  g_free (event);
}

static char *
now_rfc3339 (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

static void
count_request (KubeApiDouble *self,
               const char    *kind)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->request_counts, kind));

  g_hash_table_insert (self->request_counts, g_strdup (kind), GUINT_TO_POINTER (count + 1));
}

/* JSON */

static char *
node_to_string (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);

  return json_generator_to_data (generator, NULL);
}

/* Adds an integer member unless it is 0, as the API server omits empty status fields. */
static void
add_int_unless_zero (JsonBuilder *builder,
                     const char  *name,
                     gint64       value)
{
  if (value == 0)
    return;

  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_condition (JsonBuilder *builder,
               const char  *type,
               const char  *status,
               const char  *reason,
               const char  *message,
               const char  *time)
{
  json_builder_begin_object (builder);
  add_string (builder, "type", type);
  add_string (builder, "status", status);
  add_string (builder, "lastUpdateTime", time);
  add_string (builder, "lastTransitionTime", time);
  add_string (builder, "reason", reason);
  add_string (builder, "message", message);
  json_builder_end_object (builder);
}

static void
build_deployment (JsonBuilder *builder,
                  Deployment  *deployment)
{
  g_autofree char *resource_version = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                                       deployment->resource_version);
  g_autofree char *revision = g_strdup_printf ("%" G_GINT64_FORMAT, deployment->revision);

  json_builder_begin_object (builder);
  add_string (builder, "kind", "Deployment");
  add_string (builder, "apiVersion", "apps/v1");

  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  add_string (builder, "name", deployment->name);
  add_string (builder, "namespace", deployment->namespace);
  add_string (builder, "uid", deployment->uid);
  add_string (builder, "resourceVersion", resource_version);
  json_builder_set_member_name (builder, "generation");
  json_builder_add_int_value (builder, deployment->generation);
  add_string (builder, "creationTimestamp", deployment->created);
  json_builder_set_member_name (builder, "labels");
  json_builder_begin_object (builder);
  add_string (builder, "app", deployment->name);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "annotations");
  json_builder_begin_object (builder);
  add_string (builder, REVISION_ANNOTATION, revision);
  if (deployment->touched_by != NULL)
    add_string (builder, "example.test/touched-by", deployment->touched_by);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "spec");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "replicas");
  json_builder_add_int_value (builder, deployment->replicas);
  json_builder_set_member_name (builder, "selector");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "matchLabels");
  json_builder_begin_object (builder);
  add_string (builder, "app", deployment->name);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "template");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "labels");
  json_builder_begin_object (builder);
  add_string (builder, "app", deployment->name);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "spec");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "containers");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  add_string (builder, "name", deployment->container_name);
  add_string (builder, "image", deployment->image);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "strategy");
  json_builder_begin_object (builder);
  add_string (builder, "type", "RollingUpdate");
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "progressDeadlineSeconds");
  json_builder_add_int_value (builder, 600);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "status");
  json_builder_begin_object (builder);
  add_int_unless_zero (builder, "observedGeneration", deployment->observed_generation);
  add_int_unless_zero (builder, "replicas", deployment->status_replicas);
  add_int_unless_zero (builder, "updatedReplicas", deployment->updated_replicas);
  add_int_unless_zero (builder, "readyReplicas", deployment->available_replicas);
  add_int_unless_zero (builder, "availableReplicas", deployment->available_replicas);
  add_int_unless_zero (builder, "unavailableReplicas",
                       MAX (deployment->status_replicas - deployment->available_replicas, 0));
  json_builder_set_member_name (builder, "conditions");
  json_builder_begin_array (builder);
  add_condition (builder, "Available", deployment->available_status,
                 deployment->available_reason, deployment->available_message,
                 deployment->available_time);
  add_condition (builder, "Progressing", deployment->progressing_status,
                 deployment->progressing_reason, deployment->progressing_message,
                 deployment->progressing_time);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  json_builder_end_object (builder);
}

static JsonNode *
deployment_to_node (Deployment *deployment)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  build_deployment (builder, deployment);

  return json_builder_get_root (builder);
}

static JsonNode *
status_node (guint       code,
             const char *reason,
             const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "kind", "Status");
  add_string (builder, "apiVersion", "v1");
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  json_builder_end_object (builder);
  add_string (builder, "status", "Failure");
  add_string (builder, "message", message);
  add_string (builder, "reason", reason);
  json_builder_set_member_name (builder, "code");
  json_builder_add_int_value (builder, code);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static char *
watch_event_line (const char *type,
                  JsonNode   *object)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  add_string (builder, "type", type);
  json_builder_set_member_name (builder, "object");
  json_builder_add_value (builder, json_node_copy (object));
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = node_to_string (root);

  return g_strconcat (text, "\n", NULL);
}

/* Responses */

static void
respond_json (SoupServerMessage *message,
              guint              status,
              JsonNode          *node)
{
  g_autofree char *body = node_to_string (node);

  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, body,
                                    strlen (body));
}

static void
respond_status (SoupServerMessage *message,
                guint              code,
                const char        *reason,
                const char        *text)
{
  g_autoptr(JsonNode) node = status_node (code, reason, text);

  respond_json (message, code, node);
}

static void
respond_deployment_not_found (SoupServerMessage *message,
                              const char        *name)
{
  g_autofree char *text = g_strdup_printf ("deployments.apps \"%s\" not found", name);

  respond_status (message, SOUP_STATUS_NOT_FOUND, "NotFound", text);
}

/* Watches */

static void
watcher_free (Watcher *watcher)
{
  g_clear_handle_id (&watcher->timeout_id, g_source_remove);
  g_clear_signal_handler (&watcher->finished_id, watcher->message);
  g_clear_object (&watcher->message);
  g_free (watcher->namespace);
  g_free (watcher->name);
  g_free (watcher);
}

static void
watcher_complete (Watcher *watcher)
{
  if (watcher->complete)
    return;

  watcher->complete = TRUE;
  g_clear_handle_id (&watcher->timeout_id, g_source_remove);
  soup_message_body_complete (soup_server_message_get_response_body (watcher->message));
  soup_server_message_unpause (watcher->message);
}

static gboolean
watcher_matches (Watcher    *watcher,
                 const char *namespace,
                 const char *name)
{
  return g_strcmp0 (watcher->namespace, namespace) == 0 &&
         (watcher->name == NULL || g_strcmp0 (watcher->name, name) == 0);
}

static void
watcher_send (Watcher    *watcher,
              const char *line)
{
  if (watcher->complete)
    return;

  soup_message_body_append (soup_server_message_get_response_body (watcher->message),
                            SOUP_MEMORY_COPY, line, strlen (line));
  soup_server_message_unpause (watcher->message);
  watcher->n_sent++;

  if (watcher->owner->watch_close_after > 0 &&
      watcher->n_sent >= watcher->owner->watch_close_after)
    watcher_complete (watcher);
}

static void
watcher_finished_cb (SoupServerMessage *message,
                     Watcher           *watcher)
{
  g_clear_signal_handler (&watcher->finished_id, message);
  g_ptr_array_remove (watcher->owner->watchers, watcher);
}

static gboolean
watcher_timeout_cb (gpointer user_data)
{
  Watcher *watcher = user_data;

  watcher->timeout_id = 0;
  watcher_complete (watcher);

  return G_SOURCE_REMOVE;
}

/* Changes */

/* Records a change of @deployment: a new resourceVersion, a watch event in the history, and the
 * event sent to every matching watch. */
static void
record_change (KubeApiDouble *self,
               Deployment    *deployment,
               const char    *type)
{
  g_autoptr(JsonNode) node = NULL;
  Event *event;

  deployment->resource_version = ++self->resource_version;
  node = deployment_to_node (deployment);

  event = g_new0 (Event, 1);
  event->resource_version = deployment->resource_version;
  event->namespace = g_strdup (deployment->namespace);
  event->name = g_strdup (deployment->name);
  event->line = watch_event_line (type, node);
  g_queue_push_tail (&self->history, event);

  while (g_queue_get_length (&self->history) > self->history_size) {
    Event *oldest = g_queue_pop_head (&self->history);

    self->compacted_version = oldest->resource_version;
    event_free (oldest);
  }

  /* A watcher may complete while sending, which does not change the array. */
  for (guint i = 0; i < self->watchers->len; i++) {
    Watcher *watcher = g_ptr_array_index (self->watchers, i);

    if (watcher_matches (watcher, event->namespace, event->name))
      watcher_send (watcher, event->line);
  }
}

static void
set_condition (char       **status_field,
               char       **reason_field,
               char       **message_field,
               char       **time_field,
               const char  *status,
               const char  *reason,
               const char  *message)
{
  g_free (*status_field);
  *status_field = g_strdup (status);
  g_free (*reason_field);
  *reason_field = g_strdup (reason);
  g_free (*message_field);
  *message_field = g_strdup (message);
  g_free (*time_field);
  *time_field = now_rfc3339 ();
}

/* Sets the Progressing condition, with a message of @before, the quoted name of the new
 * ReplicaSet, and @after. */
static void
set_progressing (Deployment *deployment,
                 const char *status,
                 const char *reason,
                 const char *before,
                 const char *after)
{
  g_autofree char *message = g_strdup_printf ("%s\"%s-%s\"%s", before, deployment->name,
                                              deployment->pod_template_hash, after);

  set_condition (&deployment->progressing_status, &deployment->progressing_reason,
                 &deployment->progressing_message, &deployment->progressing_time,
                 status, reason, message);
}

static void
set_available (Deployment *deployment,
               gboolean    available)
{
  if (available)
    set_condition (&deployment->available_status, &deployment->available_reason,
                   &deployment->available_message, &deployment->available_time,
                   "True", "MinimumReplicasAvailable", "Deployment has minimum availability.");
  else
    set_condition (&deployment->available_status, &deployment->available_reason,
                   &deployment->available_message, &deployment->available_time,
                   "False", "MinimumReplicasUnavailable",
                   "Deployment does not have minimum availability.");
}

/* Applies a new spec. Like the API server, bumps metadata.generation only when the spec
 * changes, and starts a rollout then. Returns TRUE when something changed. */
static gboolean
apply_spec (KubeApiDouble *self,
            Deployment    *deployment,
            const char    *container_name,
            const char    *image,
            int            replicas)
{
  gboolean image_changed = g_strcmp0 (image, deployment->image) != 0 ||
                           g_strcmp0 (container_name, deployment->container_name) != 0;
  char *name_copy;

  if (!image_changed && replicas == deployment->replicas)
    return FALSE;

  /* kube_api_double_set_image passes the deployment's own container name, so copy it before
   * freeing. */
  name_copy = g_strdup (container_name);
  g_free (deployment->container_name);
  deployment->container_name = name_copy;
  g_free (deployment->image);
  deployment->image = g_strdup (image);
  deployment->replicas = replicas;
  deployment->generation++;
  deployment->rolling = TRUE;
  deployment->image_changed = deployment->image_changed || image_changed;
  deployment->step = 0;

  record_change (self, deployment, "MODIFIED");

  return TRUE;
}

/* One step of a RollingUpdate with maxSurge 1 and maxUnavailable 0. First the controller
 * observes the new generation and creates a ReplicaSet with one pod. Then it adds one updated
 * pod per step while the old pods go away, and finally reports the new ReplicaSet available.
 * A failing rollout stalls with its first new pod never ready, then passes its progress
 * deadline. */
static gboolean
advance_rollout (KubeApiDouble *self,
                 Deployment    *deployment)
{
  if (!deployment->rolling)
    return FALSE;

  deployment->step++;

  if (deployment->step == 1) {
    deployment->observed_generation = deployment->generation;

    if (!deployment->image_changed) {
      deployment->status_replicas = deployment->replicas;
      deployment->updated_replicas = deployment->replicas;
      deployment->available_replicas = deployment->replicas;
      deployment->rolling = FALSE;
      record_change (self, deployment, "MODIFIED");
      return TRUE;
    }

    deployment->revision++;
    g_free (deployment->pod_template_hash);
    deployment->pod_template_hash = g_strdup_printf ("%08x", g_random_int ());
    deployment->updated_replicas = 1;
    deployment->status_replicas = deployment->replicas + 1;
    deployment->available_replicas = deployment->replicas;
    set_progressing (deployment, "True", "NewReplicaSetCreated",
                     "Created new replica set ", "");
  } else if (deployment->fails) {
    set_progressing (deployment, "False", "ProgressDeadlineExceeded",
                     "ReplicaSet ", " has timed out progressing.");
    deployment->rolling = FALSE;
    deployment->image_changed = FALSE;
  } else if (deployment->updated_replicas < deployment->replicas) {
    deployment->updated_replicas++;
    set_progressing (deployment, "True", "ReplicaSetUpdated",
                     "ReplicaSet ", " is progressing.");
  } else {
    deployment->status_replicas = deployment->replicas;
    deployment->available_replicas = deployment->replicas;
    set_available (deployment, TRUE);
    set_progressing (deployment, "True", "NewReplicaSetAvailable",
                     "ReplicaSet ", " has successfully progressed.");
    deployment->rolling = FALSE;
    deployment->image_changed = FALSE;
  }

  record_change (self, deployment, "MODIFIED");

  return TRUE;
}

gboolean
kube_api_double_tick (KubeApiDouble *self)
{
  g_autoptr(GList) deployments = g_hash_table_get_values (self->deployments);
  gboolean changed = FALSE;

  for (GList *l = deployments; l != NULL; l = l->next)
    changed |= advance_rollout (self, l->data);

  return changed;
}

static gboolean
tick_cb (gpointer user_data)
{
  kube_api_double_tick (user_data);

  return G_SOURCE_CONTINUE;
}

/* Request handlers */

static Deployment *
lookup_deployment (KubeApiDouble *self,
                   const char    *namespace,
                   const char    *name)
{
  g_autofree char *key = g_strconcat (namespace, "/", name, NULL);

  return g_hash_table_lookup (self->deployments, key);
}

static void
handle_version (KubeApiDouble     *self,
                SoupServerMessage *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  count_request (self, "version");

  json_builder_begin_object (builder);
  add_string (builder, "major", "1");
  add_string (builder, "minor", "29");
  add_string (builder, "gitVersion", self->git_version);
  add_string (builder, "gitTreeState", "clean");
  add_string (builder, "platform", "linux/amd64");
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  respond_json (message, SOUP_STATUS_OK, root);
}

static void
handle_get (KubeApiDouble     *self,
            SoupServerMessage *message,
            const char        *namespace,
            const char        *name)
{
  Deployment *deployment = lookup_deployment (self, namespace, name);
  g_autoptr(JsonNode) node = NULL;

  count_request (self, "get");

  if (deployment == NULL) {
    respond_deployment_not_found (message, name);
    return;
  }

  node = deployment_to_node (deployment);
  respond_json (message, SOUP_STATUS_OK, node);

  if (self->compact_after_next_get) {
    self->compact_after_next_get = FALSE;
    g_free (deployment->touched_by);
    deployment->touched_by = g_strdup_printf ("writer-%" G_GUINT64_FORMAT,
                                              self->resource_version);
    record_change (self, deployment, "MODIFIED");

    g_queue_clear_full (&self->history, (GDestroyNotify) event_free);
    self->compacted_version = self->resource_version;
  }
}

/* Reads the Deployment that a PATCH or PUT produces from its spec: the one container's name and
 * image and the replicas. */
static gboolean
read_spec (JsonObject  *spec,
           const char **container_name,
           const char **image,
           int         *replicas,
           gboolean     containers_replace,
           char       **invalid)
{
  JsonObject *template = NULL;
  JsonObject *pod_spec = NULL;
  JsonArray *containers = NULL;

  if (spec == NULL)
    return TRUE;

  if (json_object_has_member (spec, "replicas"))
    *replicas = json_object_get_int_member (spec, "replicas");

  if (json_object_has_member (spec, "template"))
    template = json_object_get_object_member (spec, "template");
  if (template != NULL && json_object_has_member (template, "spec"))
    pod_spec = json_object_get_object_member (template, "spec");
  if (pod_spec != NULL && json_object_has_member (pod_spec, "containers"))
    containers = json_object_get_array_member (pod_spec, "containers");

  if (containers == NULL)
    return TRUE;

  /* A strategic merge patch merges the containers list by name, while a JSON merge patch and a
   * PUT replace it. The double models one container. */
  if (containers_replace && json_array_get_length (containers) != 1) {
    *invalid = g_strdup ("spec.template.spec.containers: this API double supports exactly one "
                         "container");
    return FALSE;
  }

  for (guint i = 0; i < json_array_get_length (containers); i++) {
    JsonObject *container = json_array_get_object_element (containers, i);
    const char *name = container != NULL && json_object_has_member (container, "name")
                       ? json_object_get_string_member (container, "name") : NULL;

    if (name == NULL) {
      *invalid = g_strdup_printf ("spec.template.spec.containers[%u].name: Required value", i);
      return FALSE;
    }

    if (!containers_replace && g_strcmp0 (name, *container_name) != 0) {
      *invalid = g_strdup_printf ("spec.template.spec.containers[%u]: this API double has no "
                                  "container \"%s\" and does not add containers", i, name);
      return FALSE;
    }

    *container_name = name;
    if (json_object_has_member (container, "image"))
      *image = json_object_get_string_member (container, "image");
  }

  return TRUE;
}

static JsonObject *
parse_request_object (SoupServerMessage *message,
                      JsonParser        *parser)
{
  g_autoptr(GBytes) body = NULL;
  gsize size;
  const char *data;

  body = soup_message_body_flatten (soup_server_message_get_request_body (message));
  data = g_bytes_get_data (body, &size);

  if (data == NULL || !json_parser_load_from_data (parser, data, size, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;

  return json_node_get_object (json_parser_get_root (parser));
}

static void
handle_write (KubeApiDouble     *self,
              SoupServerMessage *message,
              const char        *namespace,
              const char        *name,
              gboolean           is_put)
{
  Deployment *deployment = lookup_deployment (self, namespace, name);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *invalid = NULL;
  const char *content_type;
  const char *container_name;
  const char *image;
  JsonObject *object;
  JsonObject *spec = NULL;
  gboolean containers_replace;
  int replicas;

  count_request (self, is_put ? "put" : "patch");

  if (deployment == NULL) {
    respond_deployment_not_found (message, name);
    return;
  }

  content_type = soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (message), NULL);

  if (is_put) {
    containers_replace = TRUE;
  } else if (g_strcmp0 (content_type, "application/strategic-merge-patch+json") == 0) {
    containers_replace = FALSE;
  } else if (g_strcmp0 (content_type, "application/merge-patch+json") == 0) {
    containers_replace = TRUE;
  } else {
    g_autofree char *text = g_strdup_printf ("the body of the request was in an unknown format "
                                             "- accepted media types for this API double: "
                                             "application/strategic-merge-patch+json, "
                                             "application/merge-patch+json (got %s)",
                                             content_type != NULL ? content_type : "none");

    respond_status (message, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType", text);
    return;
  }

  object = parse_request_object (message, parser);
  if (object == NULL) {
    respond_status (message, SOUP_STATUS_BAD_REQUEST, "BadRequest",
                    "the request body is not a JSON object");
    return;
  }

  if (is_put) {
    JsonObject *metadata = json_object_has_member (object, "metadata")
                           ? json_object_get_object_member (object, "metadata") : NULL;
    const char *put_name = metadata != NULL && json_object_has_member (metadata, "name")
                           ? json_object_get_string_member (metadata, "name") : NULL;
    const char *put_version = metadata != NULL && json_object_has_member (metadata,
                                                                          "resourceVersion")
                              ? json_object_get_string_member (metadata, "resourceVersion")
                              : NULL;
    g_autofree char *current_version = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                                        deployment->resource_version);

    if (g_strcmp0 (put_name, name) != 0) {
      respond_status (message, SOUP_STATUS_BAD_REQUEST, "BadRequest",
                      "the name of the object does not match the name on the URL");
      return;
    }

    /* Optimistic concurrency: a PUT with an old resourceVersion is a conflict. */
    if (put_version != NULL && g_strcmp0 (put_version, current_version) != 0) {
      g_autofree char *text = g_strdup_printf ("Operation cannot be fulfilled on "
                                               "deployments.apps \"%s\": the object has been "
                                               "modified; please apply your changes to the "
                                               "latest version and try again", name);

      respond_status (message, SOUP_STATUS_CONFLICT, "Conflict", text);
      return;
    }
  }

  if (json_object_has_member (object, "spec"))
    spec = json_object_get_object_member (object, "spec");

  container_name = deployment->container_name;
  image = deployment->image;
  replicas = deployment->replicas;

  if (!read_spec (spec, &container_name, &image, &replicas, containers_replace, &invalid)) {
    g_autofree char *text = g_strdup_printf ("Deployment.apps \"%s\" is invalid: %s", name,
                                             invalid);

    respond_status (message, SOUP_STATUS_UNPROCESSABLE_ENTITY, "Invalid", text);
    return;
  }

  apply_spec (self, deployment, container_name, image, replicas);

  node = deployment_to_node (deployment);
  respond_json (message, SOUP_STATUS_OK, node);
}

static void
handle_delete (KubeApiDouble     *self,
               SoupServerMessage *message,
               const char        *namespace,
               const char        *name)
{
  Deployment *deployment = lookup_deployment (self, namespace, name);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *key = NULL;

  count_request (self, "delete");

  if (deployment == NULL) {
    respond_deployment_not_found (message, name);
    return;
  }

  json_builder_begin_object (builder);
  add_string (builder, "kind", "Status");
  add_string (builder, "apiVersion", "v1");
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  json_builder_end_object (builder);
  add_string (builder, "status", "Success");
  json_builder_set_member_name (builder, "details");
  json_builder_begin_object (builder);
  add_string (builder, "name", name);
  add_string (builder, "group", "apps");
  add_string (builder, "kind", "deployments");
  add_string (builder, "uid", deployment->uid);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  /* The DELETED event carries the object's last state with the deletion's resourceVersion. */
  record_change (self, deployment, "DELETED");
  key = g_strconcat (namespace, "/", name, NULL);
  g_hash_table_remove (self->deployments, key);

  respond_json (message, SOUP_STATUS_OK, root);
}

/* Parses fieldSelector: only "metadata.name=NAME" (or "==") is supported. */
static gboolean
parse_field_selector (const char  *selector,
                      char       **name)
{
  const char *value;

  if (selector == NULL || selector[0] == '\0')
    return TRUE;

  if (g_str_has_prefix (selector, "metadata.name=="))
    value = selector + strlen ("metadata.name==");
  else if (g_str_has_prefix (selector, "metadata.name="))
    value = selector + strlen ("metadata.name=");
  else
    return FALSE;

  *name = g_strdup (value);

  return TRUE;
}

static void
handle_watch (KubeApiDouble     *self,
              SoupServerMessage *message,
              const char        *namespace,
              const char        *name,
              const char        *version_text,
              const char        *timeout_text)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
  SoupMessageBody *body = soup_server_message_get_response_body (message);
  Watcher *watcher;
  guint64 version = 0;
  guint timeout = self->watch_timeout;
  guint64 timeout_seconds;

  count_request (self, "watch");

  if (version_text != NULL && version_text[0] != '\0' &&
      !g_ascii_string_to_unsigned (version_text, 10, 0, G_MAXUINT64, &version, NULL)) {
    respond_status (message, SOUP_STATUS_BAD_REQUEST, "BadRequest",
                    "resourceVersion: Invalid value: not a resource version");
    return;
  }

  if (timeout_text != NULL &&
      g_ascii_string_to_unsigned (timeout_text, 10, 1, G_MAXUINT / 1000, &timeout_seconds, NULL))
    timeout = timeout == 0 ? timeout_seconds * 1000 : MIN (timeout, timeout_seconds * 1000);

  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  soup_message_body_set_accumulate (body, FALSE);

  watcher = g_new0 (Watcher, 1);
  watcher->owner = self;
  watcher->message = g_object_ref (message);
  watcher->namespace = g_strdup (namespace);
  watcher->name = g_strdup (name);
  watcher->finished_id = g_signal_connect (message, "finished",
                                           G_CALLBACK (watcher_finished_cb), watcher);
  g_ptr_array_add (self->watchers, watcher);

  soup_server_message_pause (message);

  if (version == 0) {
    /* Without a resourceVersion (or with "0") a watch starts with the current state of every
     * matching object as ADDED events. */
    g_autoptr(GList) deployments = g_hash_table_get_values (self->deployments);

    for (GList *l = deployments; l != NULL; l = l->next) {
      Deployment *deployment = l->data;
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *line = NULL;

      if (!watcher_matches (watcher, deployment->namespace, deployment->name))
        continue;

      node = deployment_to_node (deployment);
      line = watch_event_line ("ADDED", node);
      watcher_send (watcher, line);
    }
  } else if (version < self->compacted_version) {
    g_autofree char *text = g_strdup_printf ("too old resource version: %" G_GUINT64_FORMAT
                                             " (%" G_GUINT64_FORMAT ")",
                                             version, self->compacted_version + 1);
    g_autoptr(JsonNode) status = status_node (SOUP_STATUS_GONE, "Expired", text);
    g_autofree char *line = watch_event_line ("ERROR", status);

    watcher_send (watcher, line);
    watcher_complete (watcher);
    return;
  } else {
    for (GList *l = self->history.head; l != NULL; l = l->next) {
      Event *event = l->data;

      if (event->resource_version > version &&
          watcher_matches (watcher, event->namespace, event->name))
        watcher_send (watcher, event->line);
    }
  }

  if (timeout > 0 && !watcher->complete)
    watcher->timeout_id = g_timeout_add (timeout, watcher_timeout_cb, watcher);
}

static void
handle_list (KubeApiDouble     *self,
             SoupServerMessage *message,
             const char        *namespace,
             const char        *name)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GList) deployments = g_hash_table_get_values (self->deployments);
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *version = g_strdup_printf ("%" G_GUINT64_FORMAT, self->resource_version);

  count_request (self, "list");

  json_builder_begin_object (builder);
  add_string (builder, "kind", "DeploymentList");
  add_string (builder, "apiVersion", "apps/v1");
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  add_string (builder, "resourceVersion", version);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  for (GList *l = deployments; l != NULL; l = l->next) {
    Deployment *deployment = l->data;

    if (g_strcmp0 (deployment->namespace, namespace) == 0 &&
        (name == NULL || g_strcmp0 (deployment->name, name) == 0))
      build_deployment (builder, deployment);
  }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  respond_json (message, SOUP_STATUS_OK, root);
}

static gboolean
check_token (KubeApiDouble     *self,
             SoupServerMessage *message)
{
  const char *authorization;
  g_autofree char *expected = NULL;
  GTlsCertificate *peer_certificate = soup_server_message_get_tls_peer_certificate (message);

  if (self->token == NULL)
    return TRUE;

  if (self->client_certificate != NULL && peer_certificate != NULL &&
      g_tls_certificate_is_same (peer_certificate, self->client_certificate))
    return TRUE;

  authorization = soup_message_headers_get_one (soup_server_message_get_request_headers (message),
                                                "Authorization");
  expected = g_strconcat ("Bearer ", self->token, NULL);

  return g_strcmp0 (authorization, expected) == 0;
}

static void
handle_deployments (KubeApiDouble     *self,
                    SoupServerMessage *message,
                    const char        *method,
                    const char        *rest,
                    GHashTable        *query)
{
  g_auto(GStrv) parts = g_strsplit (rest, "/", -1);
  const char *namespace;

  /* rest is "NAMESPACE/deployments" or "NAMESPACE/deployments/NAME". */
  if (g_strv_length (parts) < 2 || g_strv_length (parts) > 3 ||
      g_strcmp0 (parts[1], "deployments") != 0 || parts[0][0] == '\0') {
    respond_status (message, SOUP_STATUS_NOT_FOUND, "NotFound",
                    "the server could not find the requested resource");
    return;
  }

  namespace = parts[0];

  if (parts[2] == NULL) {
    const char *watch = query != NULL ? g_hash_table_lookup (query, "watch") : NULL;
    const char *selector = query != NULL ? g_hash_table_lookup (query, "fieldSelector") : NULL;
    g_autofree char *name = NULL;

    if (strcmp (method, SOUP_METHOD_GET) != 0) {
      respond_status (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "MethodNotAllowed",
                      "the server does not allow this method on the requested resource");
      return;
    }

    if (!parse_field_selector (selector, &name)) {
      respond_status (message, SOUP_STATUS_BAD_REQUEST, "BadRequest",
                      "field label not supported by this API double");
      return;
    }

    if (g_strcmp0 (watch, "true") == 0 || g_strcmp0 (watch, "1") == 0)
      handle_watch (self, message, namespace, name,
                    g_hash_table_lookup (query, "resourceVersion"),
                    g_hash_table_lookup (query, "timeoutSeconds"));
    else
      handle_list (self, message, namespace, name);
    return;
  }

  if (strcmp (method, SOUP_METHOD_GET) == 0)
    handle_get (self, message, namespace, parts[2]);
  else if (strcmp (method, "PATCH") == 0)
    handle_write (self, message, namespace, parts[2], FALSE);
  else if (strcmp (method, SOUP_METHOD_PUT) == 0)
    handle_write (self, message, namespace, parts[2], TRUE);
  else if (strcmp (method, SOUP_METHOD_DELETE) == 0)
    handle_delete (self, message, namespace, parts[2]);
  else
    respond_status (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "MethodNotAllowed",
                    "the server does not allow this method on the requested resource");
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *message,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  KubeApiDouble *self = user_data;
  const char *method = soup_server_message_get_method (message);

  if (!check_token (self, message)) {
    count_request (self, "unauthorized");
    respond_status (message, SOUP_STATUS_UNAUTHORIZED, "Unauthorized", "Unauthorized");
    return;
  }

  if (strcmp (path, "/version") == 0 && strcmp (method, SOUP_METHOD_GET) == 0)
    handle_version (self, message);
  else if (g_str_has_prefix (path, DEPLOYMENTS_PREFIX))
    handle_deployments (self, message, method, path + strlen (DEPLOYMENTS_PREFIX), query);
  else
    respond_status (message, SOUP_STATUS_NOT_FOUND, "NotFound",
                    "the server could not find the requested resource");
}

/* Public API */

static char *
listen_on_loopback (SoupServer              *server,
                    SoupServerListenOptions  options,
                    const char              *scheme,
                    GError                 **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;
  char *url;

  if (!soup_server_listen (server, address, options, error))
    return NULL;

  uris = soup_server_get_uris (server);
  g_assert (uris != NULL);
  url = g_strdup_printf ("%s://127.0.0.1:%d", scheme, g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return url;
}

KubeApiDouble *
kube_api_double_new (const char *token)
{
  KubeApiDouble *self = g_new0 (KubeApiDouble, 1);
  g_autoptr(GError) error = NULL;

  self->token = g_strdup (token);
  self->git_version = g_strdup ("v1.29.2");
  self->deployments = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) deployment_free);
  self->history_size = 100;
  self->resource_version = 1000;
  self->watchers = g_ptr_array_new_with_free_func ((GDestroyNotify) watcher_free);
  self->request_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->history);

  self->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);
  self->url = listen_on_loopback (self->server, 0, "http", &error);
  g_assert_no_error (error);

  return self;
}

gboolean
kube_api_double_listen_https (KubeApiDouble    *self,
                              GTlsCertificate  *certificate,
                              GError          **error)
{
  g_assert (self->https_server == NULL);

  self->https_server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (self->https_server, NULL, server_cb, self, NULL);
  self->https_url = listen_on_loopback (self->https_server, SOUP_SERVER_LISTEN_HTTPS, "https",
                                        error);

  return self->https_url != NULL;
}

static gboolean
accept_client_certificate_cb (SoupServerMessage    *message,
                              GTlsCertificate      *peer_certificate,
                              GTlsCertificateFlags  errors,
                              KubeApiDouble        *self)
{
  return self->client_certificate != NULL &&
         g_tls_certificate_is_same (peer_certificate, self->client_certificate);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *message,
                    KubeApiDouble     *self)
{
  g_signal_connect (message, "accept-certificate", G_CALLBACK (accept_client_certificate_cb),
                    self);
}

void
kube_api_double_trust_client_certificate (KubeApiDouble   *self,
                                          GTlsCertificate *certificate)
{
  g_assert (self->https_server != NULL);
  g_assert (self->client_certificate == NULL);

  self->client_certificate = g_object_ref (certificate);
  soup_server_set_tls_auth_mode (self->https_server, G_TLS_AUTHENTICATION_REQUESTED);
  g_signal_connect (self->https_server, "request-started", G_CALLBACK (request_started_cb),
                    self);
}

void
kube_api_double_free (KubeApiDouble *self)
{
  if (self == NULL)
    return;

  g_clear_handle_id (&self->tick_id, g_source_remove);

  for (guint i = 0; i < self->watchers->len; i++)
    watcher_complete (g_ptr_array_index (self->watchers, i));

  if (self->https_server != NULL)
    soup_server_disconnect (self->https_server);
  soup_server_disconnect (self->server);
  g_clear_object (&self->https_server);
  g_clear_object (&self->server);

  g_ptr_array_unref (self->watchers);
  g_queue_clear_full (&self->history, (GDestroyNotify) event_free);
  g_hash_table_unref (self->deployments);
  g_hash_table_unref (self->request_counts);
  g_free (self->url);
  g_free (self->https_url);
  g_free (self->token);
  g_clear_object (&self->client_certificate);
  g_free (self->git_version);
  g_free (self);
}

const char *
kube_api_double_get_url (KubeApiDouble *self)
{
  return self->url;
}

const char *
kube_api_double_get_https_url (KubeApiDouble *self)
{
  return self->https_url;
}

void
kube_api_double_set_git_version (KubeApiDouble *self,
                                 const char    *git_version)
{
  g_free (self->git_version);
  self->git_version = g_strdup (git_version);
}

void
kube_api_double_add_deployment (KubeApiDouble *self,
                                const char    *namespace,
                                const char    *name,
                                const char    *image,
                                int            replicas)
{
  Deployment *deployment = g_new0 (Deployment, 1);

  g_assert (lookup_deployment (self, namespace, name) == NULL);

  deployment->namespace = g_strdup (namespace);
  deployment->name = g_strdup (name);
  deployment->uid = g_uuid_string_random ();
  deployment->created = now_rfc3339 ();
  deployment->container_name = g_strdup (name);
  deployment->image = g_strdup (image);
  deployment->pod_template_hash = g_strdup_printf ("%08x", g_random_int ());
  deployment->replicas = replicas;
  deployment->generation = 1;
  deployment->observed_generation = 1;
  deployment->revision = 1;
  deployment->status_replicas = replicas;
  deployment->updated_replicas = replicas;
  deployment->available_replicas = replicas;
  set_available (deployment, TRUE);
  set_progressing (deployment, "True", "NewReplicaSetAvailable",
                   "ReplicaSet ", " has successfully progressed.");

  g_hash_table_insert (self->deployments, g_strconcat (namespace, "/", name, NULL), deployment);
  record_change (self, deployment, "ADDED");
}

void
kube_api_double_set_image (KubeApiDouble *self,
                           const char    *namespace,
                           const char    *name,
                           const char    *image)
{
  Deployment *deployment = lookup_deployment (self, namespace, name);

  g_assert (deployment != NULL);

  apply_spec (self, deployment, deployment->container_name, image, deployment->replicas);
}

void
kube_api_double_set_rollout_fails (KubeApiDouble *self,
                                   const char    *namespace,
                                   const char    *name,
                                   gboolean       fails)
{
  Deployment *deployment = lookup_deployment (self, namespace, name);

  g_assert (deployment != NULL);

  deployment->fails = fails;
}

/* Like pods that stop passing their readiness probe: the status counts @available of the
 * replicas as ready and available, and the Available condition turns False when fewer than
 * all are, as with maxUnavailable 0. No rollout starts. */
void
kube_api_double_set_available_replicas (KubeApiDouble *self,
                                        const char    *namespace,
                                        const char    *name,
                                        int            available)
{
  Deployment *deployment = lookup_deployment (self, namespace, name);

  g_assert (deployment != NULL);
  g_assert (available >= 0 && available <= deployment->replicas);

  deployment->available_replicas = available;
  set_available (deployment, available == deployment->replicas);
  record_change (self, deployment, "MODIFIED");
}

void
kube_api_double_set_tick_interval (KubeApiDouble *self,
                                   guint          interval_ms)
{
  g_clear_handle_id (&self->tick_id, g_source_remove);

  self->tick_interval = interval_ms;
  if (interval_ms > 0)
    self->tick_id = g_timeout_add (interval_ms, tick_cb, self);
}

void
kube_api_double_set_watch_close_after (KubeApiDouble *self,
                                       guint          n_events)
{
  self->watch_close_after = n_events;
}

void
kube_api_double_set_watch_timeout (KubeApiDouble *self,
                                   guint          timeout_ms)
{
  self->watch_timeout = timeout_ms;
}

void
kube_api_double_set_history_size (KubeApiDouble *self,
                                  guint          n_events)
{
  g_assert (n_events > 0);

  self->history_size = n_events;
}

void
kube_api_double_compact_after_next_get (KubeApiDouble *self)
{
  self->compact_after_next_get = TRUE;
}

guint
kube_api_double_get_request_count (KubeApiDouble *self,
                                   const char    *kind)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->request_counts, kind));
}
