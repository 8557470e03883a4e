/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A Kubernetes API double. The shapes follow the Kubernetes API reference: Deployment
 * (apps/v1) with DeploymentStatus and DeploymentCondition, ReplicaSet (apps/v1) with its
 * ownerReferences, WatchEvent ({"type", "object"}), and Status (kind "Status", status
 * "Failure", message, reason, code) for every error. */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "kube-api-double.h"

#define REVISION_ANNOTATION "deployment.kubernetes.io/revision"
#define REVISION_HISTORY_ANNOTATION "deployment.kubernetes.io/revision-history"
#define HASH_LABEL "pod-template-hash"
#define DEPLOYMENTS_PREFIX "/apis/apps/v1/namespaces/"
/* The user that the double's RBAC denies requests to, as a service account token's user. */
#define FORBIDDEN_USER "system:serviceaccount:dynamo:release"

typedef struct
{
  char    *namespace;
  char    *name;
  char    *uid;
  char    *created;
  char    *container_name;
  char    *image;
  char    *pod_template_hash;     /* of the newest ReplicaSet */
  char    *touched_by;            /* an annotation another writer sets, or NULL */
  int      replicas;
  gint64   generation;
  gint64   observed_generation;
  gint64   revision;
  guint64  resource_version;
  gboolean paused;

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

/* A ReplicaSet as the Deployment controller makes one for each pod template: named
 * "<deployment>-<pod-template-hash>", with the template's labels plus pod-template-hash, and an
 * ownerReference to its Deployment unless it is an orphan. */
typedef struct
{
  char    *namespace;
  char    *name;
  char    *uid;
  char    *created;
  char    *app;                   /* the "app" label */
  char    *owner_name;            /* the controlling Deployment, or NULL for an orphan */
  char    *owner_uid;
  char    *hash;
  char    *container_name;
  char    *image;
  gint64   revision;
  char    *revision_history;      /* earlier revisions of this template, "1,3", or NULL */
  int      replicas;
  guint64  resource_version;
} ReplicaSet;

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
  GHashTable *replica_sets;       /* "namespace/name" → ReplicaSet */
  GHashTable *forbidden;          /* "VERB RESOURCE", such as "patch deployments" */
  char       *hook_kind;          /* runs hook after the next request of this kind */
  KubeApiDoubleHook hook;
  gpointer    hook_data;
  gboolean    hook_due;
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
replica_set_free (ReplicaSet *replica_set)
{
  g_free (replica_set->namespace);
  g_free (replica_set->name);
  g_free (replica_set->uid);
  g_free (replica_set->created);
  g_free (replica_set->app);
  g_free (replica_set->owner_name);
  g_free (replica_set->owner_uid);
  g_free (replica_set->hash);
  g_free (replica_set->container_name);
  g_free (replica_set->image);
  g_free (replica_set->revision_history);
  g_free (replica_set);
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

  if (g_strcmp0 (kind, self->hook_kind) == 0)
    self->hook_due = TRUE;
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
  /* The API server omits false booleans. */
  if (deployment->paused) {
    json_builder_set_member_name (builder, "paused");
    json_builder_add_boolean_value (builder, TRUE);
  }
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

static void
add_labels (JsonBuilder *builder,
            const char  *app,
            const char  *hash)
{
  json_builder_set_member_name (builder, "labels");
  json_builder_begin_object (builder);
  add_string (builder, "app", app);
  add_string (builder, HASH_LABEL, hash);
  json_builder_end_object (builder);
}

static void
build_replica_set (JsonBuilder *builder,
                   ReplicaSet  *replica_set)
{
  g_autofree char *resource_version = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                                       replica_set->resource_version);
  g_autofree char *revision = g_strdup_printf ("%" G_GINT64_FORMAT, replica_set->revision);

  json_builder_begin_object (builder);
  add_string (builder, "kind", "ReplicaSet");
  add_string (builder, "apiVersion", "apps/v1");

  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  add_string (builder, "name", replica_set->name);
  add_string (builder, "namespace", replica_set->namespace);
  add_string (builder, "uid", replica_set->uid);
  add_string (builder, "resourceVersion", resource_version);
  json_builder_set_member_name (builder, "generation");
  json_builder_add_int_value (builder, 1);
  add_string (builder, "creationTimestamp", replica_set->created);
  add_labels (builder, replica_set->app, replica_set->hash);
  json_builder_set_member_name (builder, "annotations");
  json_builder_begin_object (builder);
  add_string (builder, REVISION_ANNOTATION, revision);
  if (replica_set->revision_history != NULL)
    add_string (builder, REVISION_HISTORY_ANNOTATION, replica_set->revision_history);
  json_builder_end_object (builder);
  if (replica_set->owner_uid != NULL) {
    json_builder_set_member_name (builder, "ownerReferences");
    json_builder_begin_array (builder);
    json_builder_begin_object (builder);
    add_string (builder, "apiVersion", "apps/v1");
    add_string (builder, "kind", "Deployment");
    add_string (builder, "name", replica_set->owner_name);
    add_string (builder, "uid", replica_set->owner_uid);
    json_builder_set_member_name (builder, "controller");
    json_builder_add_boolean_value (builder, TRUE);
    json_builder_set_member_name (builder, "blockOwnerDeletion");
    json_builder_add_boolean_value (builder, TRUE);
    json_builder_end_object (builder);
    json_builder_end_array (builder);
  }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "spec");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "replicas");
  json_builder_add_int_value (builder, replica_set->replicas);
  json_builder_set_member_name (builder, "selector");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "matchLabels");
  json_builder_begin_object (builder);
  add_string (builder, "app", replica_set->app);
  add_string (builder, HASH_LABEL, replica_set->hash);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "template");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  /* The API server writes the empty timestamp of an embedded template as null. */
  json_builder_set_member_name (builder, "creationTimestamp");
  json_builder_add_null_value (builder);
  add_labels (builder, replica_set->app, replica_set->hash);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "spec");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "containers");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  add_string (builder, "name", replica_set->container_name);
  add_string (builder, "image", replica_set->image);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "status");
  json_builder_begin_object (builder);
  add_int_unless_zero (builder, "replicas", replica_set->replicas);
  add_int_unless_zero (builder, "fullyLabeledReplicas", replica_set->replicas);
  add_int_unless_zero (builder, "readyReplicas", replica_set->replicas);
  add_int_unless_zero (builder, "availableReplicas", replica_set->replicas);
  json_builder_set_member_name (builder, "observedGeneration");
  json_builder_add_int_value (builder, 1);
  json_builder_end_object (builder);

  json_builder_end_object (builder);
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

/* ReplicaSets */

static ReplicaSet *
lookup_replica_set (KubeApiDouble *self,
                    const char    *namespace,
                    const char    *name)
{
  g_autofree char *key = g_strconcat (namespace, "/", name, NULL);

  return g_hash_table_lookup (self->replica_sets, key);
}

static gboolean
replica_set_is_owned_by (ReplicaSet *replica_set,
                         Deployment *deployment)
{
  return g_strcmp0 (replica_set->owner_uid, deployment->uid) == 0;
}

/* Gives a changed ReplicaSet a new resourceVersion. Watches of Deployments see no event. */
static void
touch_replica_set (KubeApiDouble *self,
                   ReplicaSet    *replica_set)
{
  replica_set->resource_version = ++self->resource_version;
}

/* Returns the pod-template-hash label of a template. The Deployment controller hashes the whole
 * pod template with FNV-32a and spells the decimal digits of the hash in an alphabet without
 * vowels. The double hashes the parts of the template that it models the same way. */
static char *
compute_template_hash (const char *app,
                       const char *container_name,
                       const char *image)
{
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  const char *parts[] = { app, container_name, image };
  guint32 hash = 2166136261u;
  char *text;

  /* Each part is hashed with its terminating NUL, so ("ab", "c") and ("a", "bc") differ. */
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++) {
    const char *c = parts[i];

    do {
      hash ^= (guchar) *c;
      hash *= 16777619u;
    } while (*c++ != '\0');
  }

  text = g_strdup_printf ("%u", hash);
  for (char *c = text; *c != '\0'; c++)
    *c = alphabet[(guchar) *c % (sizeof alphabet - 1)];

  return text;
}

static ReplicaSet *
add_replica_set (KubeApiDouble *self,
                 const char    *namespace,
                 const char    *app,
                 const char    *hash,
                 const char    *container_name,
                 const char    *image,
                 gint64         revision)
{
  ReplicaSet *replica_set = g_new0 (ReplicaSet, 1);

  replica_set->namespace = g_strdup (namespace);
  replica_set->name = g_strconcat (app, "-", hash, NULL);
  replica_set->uid = g_uuid_string_random ();
  replica_set->created = now_rfc3339 ();
  replica_set->app = g_strdup (app);
  replica_set->hash = g_strdup (hash);
  replica_set->container_name = g_strdup (container_name);
  replica_set->image = g_strdup (image);
  replica_set->revision = revision;
  touch_replica_set (self, replica_set);

  g_assert (lookup_replica_set (self, namespace, replica_set->name) == NULL);
  g_hash_table_insert (self->replica_sets, g_strconcat (namespace, "/", replica_set->name, NULL),
                       replica_set);

  return replica_set;
}

/* Makes the ReplicaSet of the Deployment's current template its newest, as the controller does
 * when it observes a template. A new template gets a new ReplicaSet with the next revision. The
 * ReplicaSet of an earlier revision with the same template is adopted instead: it gets the next
 * revision, and its old revision goes into the revision-history annotation. */
static void
sync_new_replica_set (KubeApiDouble *self,
                      Deployment    *deployment,
                      int            replicas)
{
  g_autofree char *hash = compute_template_hash (deployment->name, deployment->container_name,
                                                 deployment->image);
  g_autofree char *name = g_strconcat (deployment->name, "-", hash, NULL);
  ReplicaSet *replica_set = lookup_replica_set (self, deployment->namespace, name);
  GHashTableIter iter;
  gpointer value;
  gint64 max_revision = 0;

  g_hash_table_iter_init (&iter, self->replica_sets);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    if (replica_set_is_owned_by (value, deployment))
      max_revision = MAX (max_revision, ((ReplicaSet *) value)->revision);
  }

  if (replica_set == NULL) {
    replica_set = add_replica_set (self, deployment->namespace, deployment->name, hash,
                                   deployment->container_name, deployment->image,
                                   max_revision + 1);
    replica_set->owner_name = g_strdup (deployment->name);
    replica_set->owner_uid = g_strdup (deployment->uid);
  } else if (replica_set->revision < max_revision) {
    g_autofree char *history = replica_set->revision_history;

    /* NOTE: the controller would add a collision count to the hash of a template whose name
     * is taken by a ReplicaSet it does not own. The double expects no such clash. */
    g_assert (replica_set_is_owned_by (replica_set, deployment));

    if (history != NULL)
      replica_set->revision_history = g_strdup_printf ("%s,%" G_GINT64_FORMAT, history,
                                                       replica_set->revision);
    else
      replica_set->revision_history = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                       replica_set->revision);
    replica_set->revision = max_revision + 1;
  }

  replica_set->replicas = replicas;
  touch_replica_set (self, replica_set);

  deployment->revision = replica_set->revision;
  g_free (deployment->pod_template_hash);
  deployment->pod_template_hash = g_steal_pointer (&hash);
}

/* Scales the Deployment's ReplicaSets to the state of its rollout: the newest runs the updated
 * pods, and the older ones that still run pods keep the rest. */
static void
scale_replica_sets (KubeApiDouble *self,
                    Deployment    *deployment)
{
  int old_replicas = MAX (deployment->status_replicas - deployment->updated_replicas, 0);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->replica_sets);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    ReplicaSet *replica_set = value;
    int replicas;

    if (!replica_set_is_owned_by (replica_set, deployment))
      continue;

    if (g_strcmp0 (replica_set->hash, deployment->pod_template_hash) == 0)
      replicas = deployment->updated_replicas;
    else
      replicas = replica_set->replicas > 0 ? old_replicas : 0;

    if (replicas != replica_set->replicas) {
      replica_set->replicas = replicas;
      touch_replica_set (self, replica_set);
    }
  }
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

  /* The controller observes the spec of a paused Deployment but starts no rollout. */
  if (deployment->paused) {
    if (deployment->observed_generation == deployment->generation)
      return FALSE;

    deployment->observed_generation = deployment->generation;
    record_change (self, deployment, "MODIFIED");
    return TRUE;
  }

  deployment->step++;

  if (deployment->step == 1) {
    deployment->observed_generation = deployment->generation;

    if (!deployment->image_changed) {
      deployment->status_replicas = deployment->replicas;
      deployment->updated_replicas = deployment->replicas;
      deployment->available_replicas = deployment->replicas;
      deployment->rolling = FALSE;
      scale_replica_sets (self, deployment);
      record_change (self, deployment, "MODIFIED");
      return TRUE;
    }

    sync_new_replica_set (self, deployment, 1);
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

  scale_replica_sets (self, deployment);
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

/* Checks that the labels of a written pod template still match the Deployment's selector,
 * app=@app, as the API server does. A merge patch that leaves "app" out keeps it. */
static gboolean
check_template_labels (JsonObject  *template,
                       const char  *app,
                       char       **invalid)
{
  JsonNode *metadata = json_object_get_member (template, "metadata");
  JsonNode *labels = NULL;
  JsonNode *value = NULL;
  g_autofree char *text = NULL;

  if (metadata == NULL || !JSON_NODE_HOLDS_OBJECT (metadata))
    return TRUE;

  labels = json_object_get_member (json_node_get_object (metadata), "labels");
  if (labels == NULL)
    return TRUE;

  if (JSON_NODE_HOLDS_OBJECT (labels)) {
    value = json_object_get_member (json_node_get_object (labels), "app");
    if (value == NULL)
      return TRUE;
    if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING &&
        g_strcmp0 (json_node_get_string (value), app) == 0)
      return TRUE;
  }

  text = node_to_string (labels);
  *invalid = g_strdup_printf ("spec.template.metadata.labels: Invalid value: %s: `selector` does "
                              "not match template `labels`", text);

  return FALSE;
}

/* Reads the Deployment that a PATCH or PUT produces from its spec: the one container's name and
 * image and the replicas. */
static gboolean
read_spec (JsonObject  *spec,
           const char  *app,
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
  if (template != NULL && !check_template_labels (template, app, invalid))
    return FALSE;
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
  g_autofree char *current_version = NULL;
  const char *written_version = NULL;
  const char *content_type;
  const char *container_name;
  const char *image;
  JsonObject *object;
  JsonObject *metadata;
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

  metadata = json_object_has_member (object, "metadata")
             ? json_object_get_object_member (object, "metadata") : NULL;
  if (metadata != NULL && json_object_has_member (metadata, "resourceVersion"))
    written_version = json_object_get_string_member (metadata, "resourceVersion");

  if (is_put) {
    const char *put_name = metadata != NULL && json_object_has_member (metadata, "name")
                           ? json_object_get_string_member (metadata, "name") : NULL;

    if (g_strcmp0 (put_name, name) != 0) {
      respond_status (message, SOUP_STATUS_BAD_REQUEST, "BadRequest",
                      "the name of the object does not match the name on the URL");
      return;
    }
  }

  /* Optimistic concurrency: a PUT, or a patch that sets metadata.resourceVersion, stores the
   * object with that resourceVersion, and the store takes an old one as a conflict. */
  current_version = g_strdup_printf ("%" G_GUINT64_FORMAT, deployment->resource_version);
  if (written_version != NULL && g_strcmp0 (written_version, current_version) != 0) {
    g_autofree char *text = g_strdup_printf ("Operation cannot be fulfilled on "
                                             "deployments.apps \"%s\": the object has been "
                                             "modified; please apply your changes to the "
                                             "latest version and try again", name);

    respond_status (message, SOUP_STATUS_CONFLICT, "Conflict", text);
    return;
  }

  if (json_object_has_member (object, "spec"))
    spec = json_object_get_object_member (object, "spec");

  container_name = deployment->container_name;
  image = deployment->image;
  replicas = deployment->replicas;

  if (!read_spec (spec, name, &container_name, &image, &replicas, containers_replace,
                  &invalid)) {
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
  GHashTableIter iter;
  gpointer value;

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

  /* The garbage collector deletes the ReplicaSets the Deployment owns; the double at once. */
  g_hash_table_iter_init (&iter, self->replica_sets);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    if (replica_set_is_owned_by (value, deployment))
      g_hash_table_iter_remove (&iter);
  }

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

/* Label selectors, as the API reference describes them: requirements separated by ",", each
 * "key", "!key", "key=value", "key==value", "key!=value", "key in (v1,v2)" or
 * "key notin (v1,v2)". */

typedef enum
{
  SELECTOR_EXISTS,
  SELECTOR_NOT_EXISTS,
  SELECTOR_EQUALS,
  SELECTOR_NOT_EQUALS,
  SELECTOR_IN,
  SELECTOR_NOT_IN,
} SelectorOperator;

typedef struct
{
  char             *key;
  SelectorOperator  operator;
  GPtrArray        *values;
} Requirement;

static void
requirement_free (Requirement *requirement)
{
  g_free (requirement->key);
  g_ptr_array_unref (requirement->values);
  g_free (requirement);
}

static const char *
skip_spaces (const char *text)
{
  while (*text == ' ')
    text++;

  return text;
}

static gboolean
is_label_character (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_' || c == '.' || c == '/';
}

/* Reads a label key or value at @text into @word. Returns the text after it. */
static const char *
read_label_word (const char  *text,
                 char       **word)
{
  const char *end = text;

  while (is_label_character (*end))
    end++;
  *word = g_strndup (text, end - text);

  return end;
}

/* Reads "(v1, v2)" at @text into @values. Returns the text after it, or NULL when invalid. */
static const char *
read_value_set (const char *text,
                GPtrArray  *values)
{
  text = skip_spaces (text);
  if (*text != '(')
    return NULL;

  do {
    char *value;

    text = read_label_word (skip_spaces (text + 1), &value);
    g_ptr_array_add (values, value);
    text = skip_spaces (text);
  } while (*text == ',');

  return *text == ')' ? text + 1 : NULL;
}

static GPtrArray *
parse_label_selector (const char *selector)
{
  g_autoptr(GPtrArray) requirements = g_ptr_array_new_with_free_func (
    (GDestroyNotify) requirement_free);
  const char *text = selector != NULL ? skip_spaces (selector) : "";

  while (*text != '\0') {
    Requirement *requirement = g_new0 (Requirement, 1);
    gboolean negated = *text == '!';

    requirement->values = g_ptr_array_new_with_free_func (g_free);
    g_ptr_array_add (requirements, requirement);

    if (negated)
      text = skip_spaces (text + 1);
    text = skip_spaces (read_label_word (text, &requirement->key));
    if (requirement->key[0] == '\0')
      return NULL;

    if (negated) {
      requirement->operator = SELECTOR_NOT_EXISTS;
    } else if (*text == ',' || *text == '\0') {
      requirement->operator = SELECTOR_EXISTS;
    } else if (g_str_has_prefix (text, "notin") || g_str_has_prefix (text, "in")) {
      requirement->operator = text[0] == 'n' ? SELECTOR_NOT_IN : SELECTOR_IN;
      text = read_value_set (text + (text[0] == 'n' ? 5 : 2), requirement->values);
      if (text == NULL)
        return NULL;
    } else {
      char *value;

      if (g_str_has_prefix (text, "!=")) {
        requirement->operator = SELECTOR_NOT_EQUALS;
        text += 2;
      } else if (g_str_has_prefix (text, "==")) {
        requirement->operator = SELECTOR_EQUALS;
        text += 2;
      } else if (*text == '=') {
        requirement->operator = SELECTOR_EQUALS;
        text += 1;
      } else {
        return NULL;
      }

      text = read_label_word (skip_spaces (text), &value);
      g_ptr_array_add (requirement->values, value);
    }

    text = skip_spaces (text);
    if (*text == ',')
      text = skip_spaces (text + 1);
    else if (*text != '\0')
      return NULL;
  }

  return g_steal_pointer (&requirements);
}

static const char *
replica_set_get_label (ReplicaSet *replica_set,
                       const char *key)
{
  if (g_str_equal (key, "app"))
    return replica_set->app;
  if (g_str_equal (key, HASH_LABEL))
    return replica_set->hash;

  return NULL;
}

static gboolean
selector_matches (GPtrArray  *requirements,
                  ReplicaSet *replica_set)
{
  for (guint i = 0; i < requirements->len; i++) {
    Requirement *requirement = g_ptr_array_index (requirements, i);
    const char *label = replica_set_get_label (replica_set, requirement->key);
    gboolean in_values = FALSE;

    for (guint j = 0; label != NULL && j < requirement->values->len; j++)
      in_values |= g_str_equal (label, g_ptr_array_index (requirement->values, j));

    switch (requirement->operator) {
    case SELECTOR_EXISTS:
      if (label == NULL)
        return FALSE;
      break;
    case SELECTOR_NOT_EXISTS:
      if (label != NULL)
        return FALSE;
      break;
    case SELECTOR_EQUALS:
    case SELECTOR_IN:
      if (!in_values)
        return FALSE;
      break;
    case SELECTOR_NOT_EQUALS:
    case SELECTOR_NOT_IN:
      if (in_values)
        return FALSE;
      break;
    default:
      g_assert_not_reached ();
    }
  }

  return TRUE;
}

/* RBAC: responds 403 with the API server's message when kube_api_double_forbid denied @verb on
 * @resource. */
static gboolean
check_allowed (KubeApiDouble     *self,
               SoupServerMessage *message,
               const char        *verb,
               const char        *resource,
               const char        *namespace,
               const char        *name)
{
  g_autofree char *rule = g_strconcat (verb, " ", resource, NULL);
  g_autofree char *object = NULL;
  g_autofree char *text = NULL;

  if (!g_hash_table_contains (self->forbidden, rule))
    return TRUE;

  count_request (self, "forbidden");

  if (name != NULL)
    object = g_strdup_printf ("%s.apps \"%s\"", resource, name);
  else
    object = g_strdup_printf ("%s.apps", resource);
  text = g_strdup_printf ("%s is forbidden: User \"%s\" cannot %s resource \"%s\" in API group "
                          "\"apps\" in the namespace \"%s\"", object, FORBIDDEN_USER, verb,
                          resource, namespace);
  respond_status (message, SOUP_STATUS_FORBIDDEN, "Forbidden", text);

  return FALSE;
}

static void
handle_replica_set_list (KubeApiDouble     *self,
                         SoupServerMessage *message,
                         const char        *namespace,
                         GHashTable        *query)
{
  const char *selector = query != NULL ? g_hash_table_lookup (query, "labelSelector") : NULL;
  g_autoptr(GPtrArray) requirements = parse_label_selector (selector);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *version = g_strdup_printf ("%" G_GUINT64_FORMAT, self->resource_version);
  GHashTableIter iter;
  gpointer value;

  count_request (self, "list-replicasets");

  if (requirements == NULL) {
    g_autofree char *text = g_strdup_printf ("unable to parse requirement: invalid label "
                                             "selector \"%s\"", selector);

    respond_status (message, SOUP_STATUS_BAD_REQUEST, "BadRequest", text);
    return;
  }

  if (query != NULL && g_hash_table_contains (query, "watch")) {
    respond_status (message, SOUP_STATUS_BAD_REQUEST, "BadRequest",
                    "this API double does not watch ReplicaSets");
    return;
  }

  json_builder_begin_object (builder);
  add_string (builder, "kind", "ReplicaSetList");
  add_string (builder, "apiVersion", "apps/v1");
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  add_string (builder, "resourceVersion", version);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  g_hash_table_iter_init (&iter, self->replica_sets);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    ReplicaSet *replica_set = value;

    if (g_strcmp0 (replica_set->namespace, namespace) == 0 &&
        selector_matches (requirements, replica_set))
      build_replica_set (builder, replica_set);
  }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  respond_json (message, SOUP_STATUS_OK, root);
}

static void
handle_replica_set_get (KubeApiDouble     *self,
                        SoupServerMessage *message,
                        const char        *namespace,
                        const char        *name)
{
  ReplicaSet *replica_set = lookup_replica_set (self, namespace, name);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  count_request (self, "get-replicaset");

  if (replica_set == NULL) {
    g_autofree char *text = g_strdup_printf ("replicasets.apps \"%s\" not found", name);

    respond_status (message, SOUP_STATUS_NOT_FOUND, "NotFound", text);
    return;
  }

  build_replica_set (builder, replica_set);
  root = json_builder_get_root (builder);
  respond_json (message, SOUP_STATUS_OK, root);
}

static void
handle_replica_sets (KubeApiDouble     *self,
                     SoupServerMessage *message,
                     const char        *method,
                     const char        *namespace,
                     const char        *name,
                     GHashTable        *query)
{
  if (strcmp (method, SOUP_METHOD_GET) != 0) {
    respond_status (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "MethodNotAllowed",
                    "this API double only reads ReplicaSets");
    return;
  }

  if (!check_allowed (self, message, name != NULL ? "get" : "list", "replicasets", namespace,
                      name))
    return;

  if (name != NULL)
    handle_replica_set_get (self, message, namespace, name);
  else
    handle_replica_set_list (self, message, namespace, query);
}

static const char *
deployment_verb (const char *method,
                 const char *name,
                 GHashTable *query)
{
  const char *watch = query != NULL ? g_hash_table_lookup (query, "watch") : NULL;

  if (strcmp (method, "PATCH") == 0)
    return "patch";
  if (strcmp (method, SOUP_METHOD_PUT) == 0)
    return "update";
  if (strcmp (method, SOUP_METHOD_DELETE) == 0)
    return "delete";
  if (name != NULL)
    return "get";
  if (g_strcmp0 (watch, "true") == 0 || g_strcmp0 (watch, "1") == 0)
    return "watch";

  return "list";
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

  /* rest is "NAMESPACE/RESOURCE" or "NAMESPACE/RESOURCE/NAME", for deployments and
   * replicasets. */
  if (g_strv_length (parts) < 2 || g_strv_length (parts) > 3 || parts[0][0] == '\0' ||
      (parts[2] != NULL && parts[2][0] == '\0') ||
      (g_strcmp0 (parts[1], "deployments") != 0 && g_strcmp0 (parts[1], "replicasets") != 0)) {
    respond_status (message, SOUP_STATUS_NOT_FOUND, "NotFound",
                    "the server could not find the requested resource");
    return;
  }

  namespace = parts[0];

  if (g_str_equal (parts[1], "replicasets")) {
    handle_replica_sets (self, message, method, namespace, parts[2], query);
    return;
  }

  if (!check_allowed (self, message, deployment_verb (method, parts[2], query), "deployments",
                      namespace, parts[2]))
    return;

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

  /* The response is complete, so the hook's change comes after it, as another writer's
   * would. */
  if (self->hook_due) {
    KubeApiDoubleHook hook = self->hook;
    gpointer hook_data = self->hook_data;

    self->hook_due = FALSE;
    self->hook = NULL;
    self->hook_data = NULL;
    g_clear_pointer (&self->hook_kind, g_free);
    hook (self, hook_data);
  }
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
  self->replica_sets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) replica_set_free);
  self->forbidden = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
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
  g_hash_table_unref (self->replica_sets);
  g_hash_table_unref (self->forbidden);
  g_free (self->hook_kind);
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
  deployment->replicas = replicas;
  deployment->generation = 1;
  deployment->observed_generation = 1;
  sync_new_replica_set (self, deployment, replicas);
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

void
kube_api_double_set_paused (KubeApiDouble *self,
                            const char    *namespace,
                            const char    *name,
                            gboolean       paused)
{
  Deployment *deployment = lookup_deployment (self, namespace, name);

  g_assert (deployment != NULL);

  if (deployment->paused == paused)
    return;

  /* spec.paused is part of the spec, so the controller has a new generation to observe. */
  deployment->paused = paused;
  deployment->generation++;
  if (!deployment->rolling) {
    deployment->rolling = TRUE;
    deployment->step = 0;
  }
  record_change (self, deployment, "MODIFIED");
}

const char *
kube_api_double_get_image (KubeApiDouble *self,
                           const char    *namespace,
                           const char    *name)
{
  Deployment *deployment = lookup_deployment (self, namespace, name);

  g_assert (deployment != NULL);

  return deployment->image;
}

void
kube_api_double_add_orphan_replica_set (KubeApiDouble *self,
                                        const char    *namespace,
                                        const char    *app,
                                        const char    *image,
                                        gint64         revision)
{
  g_autofree char *hash = compute_template_hash (app, app, image);

  add_replica_set (self, namespace, app, hash, app, image, revision);
}

void
kube_api_double_forbid (KubeApiDouble *self,
                        const char    *verb,
                        const char    *resource)
{
  g_hash_table_add (self->forbidden, g_strconcat (verb, " ", resource, NULL));
}

void
kube_api_double_hook_next_request (KubeApiDouble     *self,
                                   const char        *kind,
                                   KubeApiDoubleHook  hook,
                                   gpointer           user_data)
{
  g_assert (self->hook_kind == NULL);

  self->hook_kind = g_strdup (kind);
  self->hook = hook;
  self->hook_data = user_data;
}
