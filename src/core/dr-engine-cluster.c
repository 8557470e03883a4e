/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The live state of a service's Deployment in the cluster of each environment, compared with
 * the build that the store records as current there. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-credentials.h"
#include "dr-engine.h"
#include "dr-kube-client-private.h"

/* How long one request to an API server may take, connecting included, before its cluster
 * counts as unreachable. The board reloads every 30 s, so a slow cluster must not hold a read
 * for longer than that. */
#define CLUSTER_TIMEOUT_SECONDS 10

/* The environments that share one cluster, and so its credentials and its client. */
typedef struct
{
  char          *cluster;
  GPtrArray     *states;   /* of DrClusterState, borrowed from Load.states */
  DrKubeClient  *client;
  char         **secrets;  /* what must never appear in a message */
} ClusterQuery;

/* The task data of one load: every request it waits for, and what they found. */
typedef struct
{
  GPtrArray         *states;     /* of DrClusterState, one per environment in promotion order */
  GPtrArray         *queries;    /* of ClusterQuery, one per distinct cluster */
  DrServiceSnapshot *snapshot;
  GError            *snapshot_error;
  guint              n_pending;
} Load;

/* One request in flight. It keeps a reference to the task until its callback runs. */
typedef struct
{
  GTask          *task;
  ClusterQuery   *query;
  DrClusterState *state;
} Request;

static void
cluster_query_free (ClusterQuery *query)
{
  g_free (query->cluster);
  g_ptr_array_unref (query->states);
  g_clear_object (&query->client);
  g_strfreev (query->secrets);
  g_free (query);
}

static void
load_free (Load *load)
{
  g_ptr_array_unref (load->states);
  g_ptr_array_unref (load->queries);
  g_clear_pointer (&load->snapshot, dr_service_snapshot_free);
  g_clear_error (&load->snapshot_error);
  g_free (load);
}

static Request *
request_new (GTask          *task,
             ClusterQuery   *query,
             DrClusterState *state)
{
  Request *request = g_new0 (Request, 1);

  request->task = g_object_ref (task);
  request->query = query;
  request->state = state;

  return request;
}

static void
request_free (Request *request)
{
  g_object_unref (request->task);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_free)

static ClusterQuery *
find_or_add_query (Load       *load,
                   const char *cluster)
{
  ClusterQuery *query;

  for (guint i = 0; i < load->queries->len; i++) {
    query = g_ptr_array_index (load->queries, i);
    if (g_str_equal (query->cluster, cluster))
      return query;
  }

  query = g_new0 (ClusterQuery, 1);
  query->cluster = g_strdup (cluster);
  query->states = g_ptr_array_new ();
  g_ptr_array_add (load->queries, query);

  return query;
}

/* Replaces every secret of the cluster in @message by asterisks. The API client never puts the
 * token in an error, but the board shows these messages, so they are checked once more. */
static char *
dup_without_secrets (ClusterQuery *query,
                     const char   *message)
{
  GString *text;

  if (message == NULL)
    return NULL;

  text = g_string_new (message);
  for (guint i = 0; query->secrets != NULL && query->secrets[i] != NULL; i++)
    if (query->secrets[i][0] != '\0')
      g_string_replace (text, query->secrets[i], "********", 0);

  return g_string_free (text, FALSE);
}

static void
set_error (ClusterQuery    *query,
           DrClusterState  *state,
           DrClusterStatus  status,
           const char      *message)
{
  state->status = status;
  g_free (state->message);
  state->message = dup_without_secrets (query, message);
}

static void
set_credentials_error (ClusterQuery *query,
                       const GError *error)
{
  DrClusterStatus status = DR_CLUSTER_STATUS_FAILED;
  gboolean locked = FALSE;

  if (error->domain == DR_CREDENTIALS_ERROR) {
    switch (error->code) {
    case DR_CREDENTIALS_ERROR_NOT_FOUND:
      status = DR_CLUSTER_STATUS_NOT_CONFIGURED;
      break;
    case DR_CREDENTIALS_ERROR_LOCKED:
      status = DR_CLUSTER_STATUS_KEYRING_UNAVAILABLE;
      locked = TRUE;
      break;
    case DR_CREDENTIALS_ERROR_NO_KEYRING:
    case DR_CREDENTIALS_ERROR_FAILED:
      status = DR_CLUSTER_STATUS_KEYRING_UNAVAILABLE;
      break;
    case DR_CREDENTIALS_ERROR_INVALID:
    default:
      break;
    }
  }

  for (guint i = 0; i < query->states->len; i++) {
    DrClusterState *state = g_ptr_array_index (query->states, i);

    set_error (query, state, status, error->message);
    state->keyring_locked = locked;
  }
}

static void
set_kube_error (ClusterQuery   *query,
                DrClusterState *state,
                const GError   *error)
{
  g_autofree char *message = NULL;
  DrClusterStatus status = DR_CLUSTER_STATUS_FAILED;

  if (error->domain == DR_KUBE_ERROR) {
    switch (error->code) {
    case DR_KUBE_ERROR_UNREACHABLE:
      status = DR_CLUSTER_STATUS_UNREACHABLE;
      break;
    case DR_KUBE_ERROR_UNAUTHORIZED:
      status = DR_CLUSTER_STATUS_UNAUTHORIZED;
      break;
    case DR_KUBE_ERROR_FORBIDDEN:
      status = DR_CLUSTER_STATUS_FORBIDDEN;
      break;
    case DR_KUBE_ERROR_NOT_FOUND:
      status = DR_CLUSTER_STATUS_NOT_FOUND;
      message = g_strdup_printf (_("Cluster “%s” has no Deployment “%s” in namespace “%s”. "
                                   "Deploy the service there, or check the environment’s "
                                   "namespace in the workspace."),
                                 state->cluster, state->name, state->namespace);
      break;
    default:
      break;
    }
  }

  set_error (query, state, status, message != NULL ? message : error->message);
}

/* Classifies the rollout. It is under way until the controller has observed the newest spec,
 * every replica runs the new pod template and no old pod is left, which status.replicas counts
 * too. After that the Deployment is ready when every replica is available. */
static void
read_deployment (ClusterQuery           *query,
                 DrClusterState         *state,
                 const DrKubeDeployment *deployment,
                 int                     status_replicas)
{
  gboolean observed = deployment->observed_generation >= deployment->generation;

  state->image = g_strdup (deployment->image);
  state->tag = dr_cluster_image_dup_tag (deployment->image);
  state->revision = deployment->revision;
  state->replicas = deployment->replicas;
  state->updated_replicas = deployment->updated_replicas;
  state->ready_replicas = deployment->ready_replicas;
  state->available_replicas = deployment->available_replicas;
  g_free (state->message);
  state->message = dup_without_secrets (query, deployment->message);

  /* A condition from before the newest spec was observed describes an earlier rollout. */
  state->progress_deadline_exceeded = deployment->progress_deadline_exceeded && observed;

  if (state->progress_deadline_exceeded)
    state->status = DR_CLUSTER_STATUS_DEGRADED;
  else if (!observed || deployment->updated_replicas < deployment->replicas ||
           status_replicas > deployment->updated_replicas)
    state->status = DR_CLUSTER_STATUS_PROGRESSING;
  else if (deployment->available_replicas < deployment->replicas)
    state->status = DR_CLUSTER_STATUS_DEGRADED;
  else
    state->status = DR_CLUSTER_STATUS_READY;
}

/* Sets store_version and drift. A run of this app that is changing the Deployment explains a
 * tag of the build it deploys or undoes, or of the build a rollback restores, so those are no
 * drift while it runs. */
static void
compare_with_store (DrClusterState          *state,
                    const DrServiceSnapshot *snapshot)
{
  const DrDeployment *current = dr_service_snapshot_get_current (snapshot, state->environment);
  const DrDeployment *previous;
  const DrRunRecord *active;

  state->store_version = current != NULL ? g_strdup (current->version) : NULL;
  state->drift = FALSE;

  if (!dr_cluster_state_has_deployment (state) || state->tag == NULL)
    return;
  if (g_strcmp0 (state->tag, state->store_version) == 0)
    return;

  active = dr_service_snapshot_find_active_run (snapshot, state->environment);
  if (active != NULL) {
    previous = dr_service_snapshot_get_previous (snapshot, state->environment);
    if (g_strcmp0 (state->tag, active->version) == 0 ||
        (previous != NULL && g_strcmp0 (state->tag, previous->version) == 0))
      return;
  }

  state->drift = TRUE;
}

static void
finish_load (GTask *task)
{
  Load *load = g_task_get_task_data (task);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (load->snapshot_error != NULL) {
    g_task_return_error (task, g_steal_pointer (&load->snapshot_error));
    return;
  }

  for (guint i = 0; i < load->states->len; i++)
    compare_with_store (g_ptr_array_index (load->states, i), load->snapshot);

  g_task_return_pointer (task, g_ptr_array_ref (load->states),
                         (GDestroyNotify) g_ptr_array_unref);
}

static void
request_done (GTask *task)
{
  Load *load = g_task_get_task_data (task);

  g_assert (load->n_pending > 0);

  load->n_pending--;
  if (load->n_pending == 0)
    finish_load (task);
}

static void
deployment_read_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(Request) request = user_data;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;
  int status_replicas = 0;

  root = dr_kube_client_get_json_finish (DR_KUBE_CLIENT (object), result, &error);
  if (root != NULL)
    deployment = dr_kube_deployment_from_json (json_node_get_object (root), &status_replicas);

  if (root == NULL)
    set_kube_error (request->query, request->state, error);
  else if (deployment == NULL)
    set_error (request->query, request->state, DR_CLUSTER_STATUS_FAILED,
               _("The API server sent a Deployment without a name. Check that the cluster’s "
                 "server URL points to a Kubernetes API server."));
  else
    read_deployment (request->query, request->state, deployment, status_replicas);

  request_done (request->task);
}

static void
read_deployment_async (GTask          *task,
                       ClusterQuery   *query,
                       DrClusterState *state)
{
  Load *load = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  if (!dr_kube_check_names (state->namespace, state->name, &error)) {
    set_error (query, state, DR_CLUSTER_STATUS_FAILED, error->message);
    return;
  }

  path = dr_kube_deployment_path (state->namespace, state->name);
  load->n_pending++;
  dr_kube_client_get_json_async (query->client, path, g_task_get_cancellable (task),
                                 deployment_read_cb, request_new (task, query, state));
}

static void
credentials_looked_up_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(Request) request = user_data;
  ClusterQuery *query = request->query;
  g_autoptr(DrClusterCredentials) credentials = NULL;
  g_autoptr(GError) error = NULL;

  credentials = dr_credentials_lookup_finish (result, &error);
  if (credentials == NULL) {
    set_credentials_error (query, error);
    request_done (request->task);
    return;
  }

  query->secrets = dr_cluster_credentials_dup_secrets (credentials);
  query->client = dr_kube_client_new (credentials, &error);
  if (query->client == NULL) {
    set_credentials_error (query, error);
    request_done (request->task);
    return;
  }

  soup_session_set_timeout (dr_kube_client_get_session (query->client), CLUSTER_TIMEOUT_SECONDS);

  /* The environments on this cluster are read in parallel over one session. */
  for (guint i = 0; i < query->states->len; i++)
    read_deployment_async (request->task, query, g_ptr_array_index (query->states, i));

  request_done (request->task);
}

static void
snapshot_loaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Load *load = g_task_get_task_data (task);

  load->snapshot = dr_engine_load_snapshot_finish (DR_ENGINE (object), result,
                                                   &load->snapshot_error);
  request_done (task);
}

/**
 * dr_engine_load_cluster_state_async:
 * @service: a service id of the workspace
 *
 * Reads the Deployment named after @service in each environment's namespace, and compares its
 * image tag with the version the store records as current there. The credentials of each
 * distinct cluster are looked up once, the environments are read in parallel, each request
 * gives up after 10 s, and nothing blocks the calling thread's main context. A cluster that
 * cannot be asked makes a state with the reason, not an error. Finish with
 * dr_engine_load_cluster_state_finish().
 */
void
dr_engine_load_cluster_state_async (DrEngine            *self,
                                    const char          *service_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DrWorkspace *workspace;
  GPtrArray *environments;
  Load *load;

  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (service_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_engine_load_cluster_state_async);

  workspace = dr_engine_get_workspace (self);
  if (dr_workspace_get_service (workspace, service_id) == NULL) {
    g_task_return_new_error (task, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                             _("Unknown service “%s”. Use one of the services of workspace "
                               "“%s”."),
                             service_id, dr_workspace_get_name (workspace));
    return;
  }

  load = g_new0 (Load, 1);
  load->states = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_cluster_state_free);
  load->queries = g_ptr_array_new_with_free_func ((GDestroyNotify) cluster_query_free);
  g_task_set_task_data (task, load, (GDestroyNotify) load_free);

  environments = dr_workspace_get_environments (workspace);
  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);
    DrClusterState *state = g_new0 (DrClusterState, 1);

    state->environment = g_strdup (environment->id);
    state->cluster = g_strdup (environment->cluster);
    state->namespace = g_strdup (environment->namespace);
    state->name = g_strdup (service_id);
    state->status = DR_CLUSTER_STATUS_FAILED;
    g_ptr_array_add (load->states, state);
    g_ptr_array_add (find_or_add_query (load, environment->cluster)->states, state);
  }

  /* Every callback below runs on a later main loop iteration, so the count is complete before
   * the first one. */
  load->n_pending = 1 + load->queries->len;

  dr_engine_load_snapshot_async (self, service_id, cancellable, snapshot_loaded_cb,
                                 g_object_ref (task));
  for (guint i = 0; i < load->queries->len; i++) {
    ClusterQuery *query = g_ptr_array_index (load->queries, i);

    dr_credentials_lookup_async (query->cluster, cancellable, credentials_looked_up_cb,
                                 request_new (task, query, NULL));
  }
}

/**
 * dr_engine_load_cluster_state_finish:
 *
 * Returns: (transfer full): a DrClusterState for each environment, in promotion order;
 * NULL with @error set when the service is unknown, the store could not be read or the load
 * was cancelled
 */
GPtrArray *
dr_engine_load_cluster_state_finish (DrEngine      *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        dr_engine_load_cluster_state_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
