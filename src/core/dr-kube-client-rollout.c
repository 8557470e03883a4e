/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "dr-kube-client.h"
#include "dr-kube-client-private.h"

/* Maximum pause between two watches that ended without an event, in seconds. */
#define MAX_REWATCH_DELAY 5

/* Waiting for a rollout: GET the Deployment, then watch it from the resourceVersion of the last
 * state seen, until the rollout completes or its progress deadline passes. */

typedef struct
{
  char                  *namespace;
  char                  *name;
  DrKubeRolloutProgress  progress;
  gpointer               progress_data;
  char                  *resource_version;   /* of the newest state seen */
  char                  *reported_version;   /* of the last state passed to progress */
  SoupMessage           *watch_message;
  GDataInputStream      *watch_stream;
  guint                  events_in_watch;
  guint                  empty_watches;      /* watches in a row that ended without an event */
} Rollout;

static void
rollout_free (Rollout *rollout)
{
  g_free (rollout->namespace);
  g_free (rollout->name);
  g_free (rollout->resource_version);
  g_free (rollout->reported_version);
  g_clear_object (&rollout->watch_stream);
  g_clear_object (&rollout->watch_message);
  g_free (rollout);
}

static void rollout_get (GTask *task);
static void rollout_watch (GTask *task);
static void rollout_read_line (GTask *task);

static gboolean
rollout_is_complete (const DrKubeDeployment *deployment,
                     int                     status_replicas)
{
  return deployment->observed_generation >= deployment->generation &&
         deployment->updated_replicas == deployment->replicas &&
         deployment->available_replicas == deployment->replicas &&
         status_replicas == deployment->updated_replicas &&
         deployment->available;
}

/* Reports @deployment and finishes @task when the rollout is over. Takes @deployment. Returns
 * TRUE when @task is finished. */
static gboolean
rollout_handle_state (GTask            *task,
                      DrKubeDeployment *deployment,
                      int               status_replicas)
{
  g_autoptr(DrKubeDeployment) owned = deployment;
  DrKubeClient *self = g_task_get_source_object (task);
  Rollout *rollout = g_task_get_task_data (task);

  if (deployment->resource_version != NULL) {
    g_free (rollout->resource_version);
    rollout->resource_version = g_strdup (deployment->resource_version);
  }

  if (g_strcmp0 (deployment->resource_version, rollout->reported_version) != 0 ||
      deployment->resource_version == NULL) {
    g_free (rollout->reported_version);
    rollout->reported_version = g_strdup (deployment->resource_version);
    if (rollout->progress != NULL)
      rollout->progress (deployment, rollout->progress_data);
  }

  if (rollout_is_complete (deployment, status_replicas)) {
    g_task_return_pointer (task, g_steal_pointer (&owned),
                           (GDestroyNotify) dr_kube_deployment_free);
    return TRUE;
  }

  /* A condition from before the current generation was observed describes the previous
   * rollout, so it only counts once observedGeneration has caught up. */
  if (deployment->progress_deadline_exceeded &&
      deployment->observed_generation >= deployment->generation) {
    g_task_return_new_error (task, DR_KUBE_ERROR, DR_KUBE_ERROR_PROGRESS_DEADLINE_EXCEEDED,
                             _("The rollout of Deployment “%s” in namespace “%s” on cluster "
                               "“%s” exceeded its progress deadline: %s. Look at the events of "
                               "its new pods (kubectl describe deployment %s), then roll back "
                               "or fix the image."),
                             rollout->name, rollout->namespace, dr_kube_client_get_cluster (self),
                             deployment->message != NULL ? deployment->message : "",
                             rollout->name);
    return TRUE;
  }

  return FALSE;
}

static void
rollout_get_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DrKubeClient *self = DR_KUBE_CLIENT (source);
  g_autoptr(JsonNode) root = NULL;
  DrKubeDeployment *deployment;
  GError *error = NULL;
  int status_replicas;

  root = dr_kube_client_get_json_finish (self, result, &error);
  if (root == NULL) {
    g_task_return_error (task, error);
    return;
  }

  deployment = dr_kube_deployment_from_json (json_node_get_object (root), &status_replicas);
  if (deployment == NULL || deployment->resource_version == NULL) {
    dr_kube_deployment_free (deployment);
    g_task_return_new_error (task, DR_KUBE_ERROR, DR_KUBE_ERROR_INVALID_RESPONSE,
                             _("The API server of cluster “%s” sent a Deployment without a name "
                               "or resourceVersion. Check that the server URL points to a "
                               "Kubernetes API server."),
                             dr_kube_client_get_cluster (self));
    return;
  }

  if (rollout_handle_state (task, deployment, status_replicas))
    return;

  rollout_watch (g_steal_pointer (&task));
}

static void
rollout_get (GTask *task)
{
  DrKubeClient *self = g_task_get_source_object (task);
  Rollout *rollout = g_task_get_task_data (task);
  g_autofree char *path = dr_kube_deployment_path (rollout->namespace, rollout->name);

  dr_kube_client_get_json_async (self, path, g_task_get_cancellable (task), rollout_get_cb, task);
}

static void
rollout_close_watch (Rollout *rollout)
{
  g_clear_object (&rollout->watch_stream);
  g_clear_object (&rollout->watch_message);
}

static gboolean
rollout_rewatch_cb (gpointer user_data)
{
  GTask *task = user_data;

  if (!g_task_return_error_if_cancelled (task))
    rollout_watch (g_object_ref (task));

  return G_SOURCE_REMOVE;
}

/* Starts the next watch after the server closed one. Watches that end without an event are
 * spaced out, so a server that closes every watch at once is not asked again in a tight loop. */
static void
rollout_rewatch (GTask *task)
{
  Rollout *rollout = g_task_get_task_data (task);
  g_autoptr(GSource) source = NULL;
  guint delay;

  rollout_close_watch (rollout);

  if (rollout->events_in_watch > 0)
    rollout->empty_watches = 0;
  else
    rollout->empty_watches++;

  if (rollout->empty_watches == 0) {
    rollout_watch (task);
    return;
  }

  delay = MIN (rollout->empty_watches, MAX_REWATCH_DELAY);
  g_debug ("Watch of Deployment %s/%s ended without an event, watching again in %u s",
           rollout->namespace, rollout->name, delay);

  source = g_timeout_source_new_seconds (delay);
  g_task_attach_source (task, source, rollout_rewatch_cb);
  g_object_unref (task);
}

/* Handles one WatchEvent ({"type": …, "object": …}). Returns TRUE when @task is finished or
 * has moved on to a new GET. */
static gboolean
rollout_handle_event (GTask      *task,
                      JsonObject *event)
{
  DrKubeClient *self = g_task_get_source_object (task);
  Rollout *rollout = g_task_get_task_data (task);
  const char *type = dr_kube_json_get_string (event, "type");
  JsonObject *object = dr_kube_json_get_object (event, "object");
  JsonObject *metadata = dr_kube_json_get_object (object, "metadata");
  DrKubeDeployment *deployment;
  int status_replicas;

  if (g_strcmp0 (type, "ERROR") == 0) {
    gint64 code = dr_kube_json_get_int (object, "code", SOUP_STATUS_INTERNAL_SERVER_ERROR);

    /* 410 Gone: the resourceVersion is older than the history the server keeps, so the state
     * must be read again before watching. */
    if (code == SOUP_STATUS_GONE) {
      g_debug ("Watch of Deployment %s/%s expired (%s), reading it again", rollout->namespace,
               rollout->name, dr_kube_json_get_string (object, "message"));
      rollout_close_watch (rollout);
      rollout_get (task);
      return TRUE;
    }

    g_task_return_error (task, dr_kube_client_status_error (self, rollout->watch_message, code,
                                                            object));
    g_object_unref (task);
    return TRUE;
  }

  if (g_strcmp0 (type, "BOOKMARK") == 0) {
    const char *version = dr_kube_json_get_string (metadata, "resourceVersion");

    if (version != NULL) {
      g_free (rollout->resource_version);
      rollout->resource_version = g_strdup (version);
    }
    return FALSE;
  }

  if (g_strcmp0 (dr_kube_json_get_string (metadata, "name"), rollout->name) != 0)
    return FALSE;

  if (g_strcmp0 (type, "DELETED") == 0) {
    g_task_return_new_error (task, DR_KUBE_ERROR, DR_KUBE_ERROR_NOT_FOUND,
                             _("Deployment “%s” in namespace “%s” on cluster “%s” was deleted "
                               "while waiting for its rollout. Check who deleted it, then deploy "
                               "again."),
                             rollout->name, rollout->namespace, dr_kube_client_get_cluster (self));
    g_object_unref (task);
    return TRUE;
  }

  if (g_strcmp0 (type, "ADDED") != 0 && g_strcmp0 (type, "MODIFIED") != 0)
    return FALSE;

  deployment = dr_kube_deployment_from_json (object, &status_replicas);
  if (deployment == NULL)
    return FALSE;

  rollout->events_in_watch++;
  if (rollout_handle_state (task, deployment, status_replicas)) {
    g_object_unref (task);
    return TRUE;
  }

  return FALSE;
}

static void
rollout_line_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  DrKubeClient *self = g_task_get_source_object (task);
  Rollout *rollout = g_task_get_task_data (task);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  JsonNode *root;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL,
                                               &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_task_return_error (task, g_steal_pointer (&error));
    g_object_unref (task);
    return;
  }

  /* The server closes watches after a while, and a broken connection looks the same. Either
   * way, watching again from the newest resourceVersion misses no event. */
  if (error != NULL || line == NULL) {
    if (error != NULL)
      g_debug ("Watch of Deployment %s/%s broke: %s", rollout->namespace, rollout->name,
               error->message);
    rollout_rewatch (task);
    return;
  }

  g_strstrip (line);
  if (line[0] == '\0') {
    rollout_read_line (task);
    return;
  }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, line, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT ((root = json_parser_get_root (parser)))) {
    g_task_return_error (task,
                         dr_kube_client_invalid_response_error (self, rollout->watch_message,
                                                                _("a watch event is not a JSON "
                                                                  "object")));
    g_object_unref (task);
    return;
  }

  if (rollout_handle_event (task, json_node_get_object (root)))
    return;

  rollout_read_line (task);
}

static void
rollout_read_line (GTask *task)
{
  Rollout *rollout = g_task_get_task_data (task);

  g_data_input_stream_read_line_async (rollout->watch_stream, G_PRIORITY_DEFAULT,
                                       g_task_get_cancellable (task), rollout_line_cb, task);
}

static void
rollout_error_body_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DrKubeClient *self = g_task_get_source_object (task);
  Rollout *rollout = g_task_get_task_data (task);
  g_autoptr(GOutputStream) output = G_OUTPUT_STREAM (g_object_ref (source));
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  if (g_output_stream_splice_finish (output, result, &error) < 0) {
    g_task_return_error (task, dr_kube_client_transport_error (self, rollout->watch_message,
                                                               error));
    return;
  }

  body = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (output));

  if (soup_message_get_status (rollout->watch_message) == SOUP_STATUS_GONE) {
    g_debug ("Watch of Deployment %s/%s expired, reading it again", rollout->namespace,
             rollout->name);
    rollout_close_watch (rollout);
    rollout_get (g_steal_pointer (&task));
    return;
  }

  g_task_return_error (task, dr_kube_client_error_from_response (self, rollout->watch_message,
                                                                 body));
}

static void
rollout_watch_sent_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DrKubeClient *self = g_task_get_source_object (task);
  Rollout *rollout = g_task_get_task_data (task);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (stream == NULL) {
    g_task_return_error (task, dr_kube_client_transport_error (self, rollout->watch_message,
                                                               error));
    return;
  }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (rollout->watch_message))) {
    g_autoptr(GOutputStream) output = g_memory_output_stream_new_resizable ();

    g_output_stream_splice_async (output, stream, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
                                                  G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                  G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                  rollout_error_body_cb, g_steal_pointer (&task));
    return;
  }

  rollout->watch_stream = g_data_input_stream_new (stream);
  g_data_input_stream_set_newline_type (rollout->watch_stream, G_DATA_STREAM_NEWLINE_TYPE_LF);
  rollout->events_in_watch = 0;

  rollout_read_line (g_steal_pointer (&task));
}

static void
rollout_watch (GTask *task)
{
  DrKubeClient *self = g_task_get_source_object (task);
  Rollout *rollout = g_task_get_task_data (task);
  g_autofree char *version = g_uri_escape_string (rollout->resource_version, NULL, FALSE);
  g_autofree char *path = NULL;

  path = g_strdup_printf ("/apis/apps/v1/namespaces/%s/deployments?watch=true"
                          "&fieldSelector=metadata.name%%3D%s&resourceVersion=%s",
                          rollout->namespace, rollout->name, version);

  g_clear_object (&rollout->watch_message);
  rollout->watch_message = dr_kube_client_create_message (self, SOUP_METHOD_GET, path);

  soup_session_send_async (dr_kube_client_get_session (self), rollout->watch_message,
                           G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                           rollout_watch_sent_cb, task);
}

void
dr_kube_client_wait_for_rollout_async (DrKubeClient          *self,
                                       const char            *namespace,
                                       const char            *name,
                                       DrKubeRolloutProgress  progress,
                                       gpointer               progress_data,
                                       GCancellable          *cancellable,
                                       GAsyncReadyCallback    callback,
                                       gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  Rollout *rollout;

  g_return_if_fail (DR_IS_KUBE_CLIENT (self));
  g_return_if_fail (namespace != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_kube_client_wait_for_rollout_async);

  if (!dr_kube_check_names (namespace, name, &error)) {
    g_task_return_error (task, error);
    return;
  }

  rollout = g_new0 (Rollout, 1);
  rollout->namespace = g_strdup (namespace);
  rollout->name = g_strdup (name);
  rollout->progress = progress;
  rollout->progress_data = progress_data;
  g_task_set_task_data (task, rollout, (GDestroyNotify) rollout_free);

  rollout_get (g_steal_pointer (&task));
}

DrKubeDeployment *
dr_kube_client_wait_for_rollout_finish (DrKubeClient  *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (DR_IS_KUBE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        dr_kube_client_wait_for_rollout_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
