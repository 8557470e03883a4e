/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "dr-credentials-private.h"
#include "dr-kube-client.h"

#define REVISION_ANNOTATION "deployment.kubernetes.io/revision"
#define PROGRESS_DEADLINE_REASON "ProgressDeadlineExceeded"

/* Maximum pause between two watches that ended without an event, in seconds. */
#define MAX_REWATCH_DELAY 5

struct _DrKubeClient
{
  GObject          parent_instance;

  SoupSession     *session;
  char            *cluster;
  char            *base_url;            /* the server URL without a trailing "/" */
  char            *authorization;       /* "Bearer TOKEN", or NULL */
  GPtrArray       *trusted_cas;         /* GTlsCertificate, or NULL for the system's CAs */
  GTlsCertificate *client_certificate;  /* with its private key, or NULL */
  gboolean         insecure_skip_tls_verify;
};

G_DEFINE_FINAL_TYPE (DrKubeClient, dr_kube_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (dr-kube-error-quark, dr_kube_error)

static void
dr_kube_client_finalize (GObject *object)
{
  DrKubeClient *self = DR_KUBE_CLIENT (object);

  g_free (self->cluster);
  g_free (self->base_url);
  dr_secret_string_free (self->authorization);
  g_clear_pointer (&self->trusted_cas, g_ptr_array_unref);

  G_OBJECT_CLASS (dr_kube_client_parent_class)->finalize (object);
}

static void
dr_kube_client_dispose (GObject *object)
{
  DrKubeClient *self = DR_KUBE_CLIENT (object);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->client_certificate);

  G_OBJECT_CLASS (dr_kube_client_parent_class)->dispose (object);
}

static void
dr_kube_client_class_init (DrKubeClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dr_kube_client_dispose;
  object_class->finalize = dr_kube_client_finalize;
}

static void
dr_kube_client_init (DrKubeClient *self)
{
}

DrKubeClient *
dr_kube_client_new (const DrClusterCredentials  *credentials,
                    GError                     **error)
{
  g_autoptr(DrKubeClient) self = NULL;
  gsize length;

  g_return_val_if_fail (credentials != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!dr_cluster_credentials_validate (credentials, error))
    return NULL;

  self = g_object_new (DR_TYPE_KUBE_CLIENT, NULL);
  self->cluster = g_strdup (credentials->cluster);
  self->insecure_skip_tls_verify = credentials->insecure_skip_tls_verify;

  length = strlen (credentials->server);
  while (length > 0 && credentials->server[length - 1] == '/')
    length--;
  self->base_url = g_strndup (credentials->server, length);

  if (credentials->token != NULL && credentials->token[0] != '\0')
    self->authorization = g_strconcat ("Bearer ", credentials->token, NULL);

  if (credentials->certificate_authority != NULL && credentials->certificate_authority[0] != '\0') {
    self->trusted_cas = dr_pem_parse_certificates (credentials->certificate_authority, error);
    if (self->trusted_cas == NULL)
      return NULL;
  }

  if (credentials->client_certificate != NULL && credentials->client_certificate[0] != '\0') {
    g_autofree char *pem = g_strconcat (credentials->client_certificate, "\n",
                                        credentials->client_key, NULL);

    self->client_certificate = g_tls_certificate_new_from_pem (pem, -1, error);
    explicit_bzero (pem, strlen (pem));
    if (self->client_certificate == NULL)
      return NULL;
  }

  self->session = soup_session_new ();

  /* With no database every certificate fails verification, so accept_certificate_cb decides
   * alone: the cluster's CA replaces the system's CAs instead of adding to them. */
  if (self->trusted_cas != NULL || self->insecure_skip_tls_verify)
    soup_session_set_tls_database (self->session, NULL);

  return g_steal_pointer (&self);
}

/* Requests */

static gboolean
accept_certificate_cb (SoupMessage          *message,
                       GTlsCertificate      *peer_certificate,
                       GTlsCertificateFlags  errors,
                       DrKubeClient         *self)
{
  g_autoptr(GSocketConnectable) identity = NULL;
  GUri *uri = soup_message_get_uri (message);
  GTlsCertificateFlags flags = G_TLS_CERTIFICATE_UNKNOWN_CA;

  if (self->insecure_skip_tls_verify)
    return TRUE;

  if (self->trusted_cas == NULL)
    return FALSE;

  identity = g_network_address_new (g_uri_get_host (uri), g_uri_get_port (uri));

  for (guint i = 0; i < self->trusted_cas->len; i++) {
    flags = g_tls_certificate_verify (peer_certificate, identity,
                                      g_ptr_array_index (self->trusted_cas, i));
    if (flags == 0)
      return TRUE;
  }

  g_object_set_data (G_OBJECT (message), "dr-tls-errors", GUINT_TO_POINTER (flags));

  return FALSE;
}

static SoupMessage *
create_message (DrKubeClient *self,
                const char   *method,
                const char   *path)
{
  g_autofree char *url = g_strconcat (self->base_url, path, NULL);
  SoupMessage *message = soup_message_new (method, url);
  SoupMessageHeaders *headers;

  /* The base URL passed validation and the path is built from checked names. */
  g_assert (message != NULL);

  headers = soup_message_get_request_headers (message);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (self->authorization != NULL)
    soup_message_headers_replace (headers, "Authorization", self->authorization);

  if (self->client_certificate != NULL)
    soup_message_set_tls_client_certificate (message, self->client_certificate);

  if (self->trusted_cas != NULL || self->insecure_skip_tls_verify)
    g_signal_connect_object (message, "accept-certificate", G_CALLBACK (accept_certificate_cb),
                             self, G_CONNECT_DEFAULT);

  return message;
}

static const char *
describe_certificate_flags (GTlsCertificateFlags flags)
{
  if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
    return _("it is not signed by the cluster's certificate authority");
  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
    return _("it was issued for another host name");
  if (flags & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    return _("it is not valid yet");
  if (flags & G_TLS_CERTIFICATE_EXPIRED)
    return _("it has expired");
  if (flags & G_TLS_CERTIFICATE_REVOKED)
    return _("it has been revoked");
  if (flags & G_TLS_CERTIFICATE_INSECURE)
    return _("it uses an insecure algorithm");

  return _("it could not be verified");
}

/* Builds the error for a request that got no HTTP response. */
static GError *
transport_error (DrKubeClient *self,
                 SoupMessage  *message,
                 GError       *error)
{
  const char *path = g_uri_get_path (soup_message_get_uri (message));

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (error->domain == G_TLS_ERROR) {
    gpointer flags = g_object_get_data (G_OBJECT (message), "dr-tls-errors");

    if (flags != NULL)
      return g_error_new (DR_KUBE_ERROR, DR_KUBE_ERROR_UNREACHABLE,
                          _("The API server of cluster “%s” at %s presented a certificate that "
                            "was rejected: %s. Check the certificate authority in the cluster's "
                            "credentials."),
                          self->cluster, self->base_url,
                          describe_certificate_flags (GPOINTER_TO_UINT (flags)));

    return g_error_new (DR_KUBE_ERROR, DR_KUBE_ERROR_UNREACHABLE,
                        _("The TLS connection to the API server of cluster “%s” at %s failed: "
                          "%s. Check the server URL and the certificate authority in the "
                          "cluster's credentials."),
                        self->cluster, self->base_url, error->message);
  }

  return g_error_new (DR_KUBE_ERROR, DR_KUBE_ERROR_UNREACHABLE,
                      _("Could not reach the API server of cluster “%s” at %s (%s %s): %s. Check "
                        "the server URL and the network connection."),
                      self->cluster, self->base_url, soup_message_get_method (message), path,
                      error->message);
}

static const char *
json_get_string (JsonObject *object,
                 const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static gint64
json_get_int (JsonObject *object,
              const char *name,
              gint64      default_value)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return default_value;

  return json_node_get_int (node);
}

static JsonObject *
json_get_object (JsonObject *object,
                 const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

static JsonArray *
json_get_array (JsonObject *object,
                const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  return json_node_get_array (node);
}

/* Builds the error for an HTTP error response. Kubernetes explains errors with a Status object
 * (kind "Status", with code, reason and message), but a proxy on the way may send any body, so
 * @status is NULL unless the body is such an object. */
static GError *
status_error (DrKubeClient *self,
              SoupMessage  *message,
              guint         http_status,
              JsonObject   *status)
{
  g_autofree char *path = NULL;
  const char *server_message = json_get_string (status, "message");
  const char *reason = json_get_string (status, "reason");
  gint64 code = json_get_int (status, "code", http_status);
  GUri *uri = soup_message_get_uri (message);
  const char *hint;
  DrKubeError error_code;

  if (g_uri_get_query (uri) != NULL)
    path = g_strconcat (g_uri_get_path (uri), "?", g_uri_get_query (uri), NULL);
  else
    path = g_strdup (g_uri_get_path (uri));

  if (server_message == NULL)
    server_message = soup_message_get_reason_phrase (message);
  if (reason == NULL)
    reason = soup_status_get_phrase (code);

  switch (code) {
  case SOUP_STATUS_UNAUTHORIZED:
    error_code = DR_KUBE_ERROR_UNAUTHORIZED;
    hint = _("Check the token or client certificate stored for the cluster in Preferences.");
    break;
  case SOUP_STATUS_FORBIDDEN:
    error_code = DR_KUBE_ERROR_FORBIDDEN;
    hint = _("Ask the cluster's administrator to allow these credentials to get and watch "
             "Deployments in that namespace.");
    break;
  case SOUP_STATUS_NOT_FOUND:
    error_code = DR_KUBE_ERROR_NOT_FOUND;
    hint = _("Check the namespace and the Deployment name in the workspace.");
    break;
  case SOUP_STATUS_CONFLICT:
    error_code = DR_KUBE_ERROR_CONFLICT;
    hint = _("Someone else changed the object at the same time. Try again.");
    break;
  default:
    error_code = DR_KUBE_ERROR_FAILED;
    hint = _("Try again later, or check the health of the API server.");
    break;
  }

  return g_error_new (DR_KUBE_ERROR, error_code,
                      _("%s %s on cluster “%s” failed: %s (HTTP %d %s). %s"),
                      soup_message_get_method (message), path, self->cluster, server_message,
                      (int) code, reason, hint);
}

/* Parses @body as a JSON object. Returns NULL when it is not one. */
static JsonNode *
parse_json_object (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data = g_bytes_get_data (body, &size);
  JsonNode *root;

  if (data == NULL || !json_parser_load_from_data (parser, data, size, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_node_copy (root);
}

static GError *
error_from_response (DrKubeClient *self,
                     SoupMessage  *message,
                     GBytes       *body)
{
  g_autoptr(JsonNode) root = body != NULL ? parse_json_object (body) : NULL;
  JsonObject *status = NULL;

  if (root != NULL && g_strcmp0 (json_get_string (json_node_get_object (root), "kind"),
                                 "Status") == 0)
    status = json_node_get_object (root);

  return status_error (self, message, soup_message_get_status (message), status);
}

static GError *
invalid_response_error (DrKubeClient *self,
                        SoupMessage  *message,
                        const char   *detail)
{
  return g_error_new (DR_KUBE_ERROR, DR_KUBE_ERROR_INVALID_RESPONSE,
                      _("The API server of cluster “%s” sent an invalid response to %s %s: %s. "
                        "Check that the server URL points to a Kubernetes API server."),
                      self->cluster, soup_message_get_method (message),
                      g_uri_get_path (soup_message_get_uri (message)), detail);
}

/* Sends a GET and completes @task with the JSON object of a successful response, as a JsonNode,
 * or with an error. */

static void
get_json_read_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DrKubeClient *self = g_task_get_source_object (task);
  SoupMessage *message = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  JsonNode *root;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL) {
    g_task_return_error (task, transport_error (self, message, error));
    return;
  }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (message))) {
    g_task_return_error (task, error_from_response (self, message, body));
    return;
  }

  root = parse_json_object (body);
  if (root == NULL) {
    g_task_return_error (task, invalid_response_error (self, message,
                                                       _("the body is not a JSON object")));
    return;
  }

  g_task_return_pointer (task, root, (GDestroyNotify) json_node_unref);
}

static void
get_json_async (DrKubeClient        *self,
                const char          *path,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SoupMessage *message;

  g_assert (DR_IS_KUBE_CLIENT (self));

  message = create_message (self, SOUP_METHOD_GET, path);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, get_json_async);
  g_task_set_task_data (task, message, g_object_unref);

  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT, cancellable,
                                    get_json_read_cb, g_steal_pointer (&task));
}

static JsonNode *
get_json_finish (DrKubeClient  *self,
                 GAsyncResult  *result,
                 GError       **error)
{
  g_assert (g_task_is_valid (result, self));

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Names in request paths */

static gboolean
is_dns_label (const char *text,
              gsize       length)
{
  if (length == 0 || length > 63)
    return FALSE;

  if (!g_ascii_isalnum (text[0]) || !g_ascii_isalnum (text[length - 1]))
    return FALSE;

  for (gsize i = 0; i < length; i++) {
    if (!(g_ascii_islower (text[i]) || g_ascii_isdigit (text[i]) || text[i] == '-'))
      return FALSE;
  }

  return TRUE;
}

static gboolean
is_dns_subdomain (const char *text)
{
  gsize length = strlen (text);
  const char *start = text;

  if (length == 0 || length > 253)
    return FALSE;

  for (const char *dot = strchr (start, '.'); dot != NULL; dot = strchr (start, '.')) {
    if (!is_dns_label (start, dot - start))
      return FALSE;
    start = dot + 1;
  }

  return is_dns_label (start, strlen (start));
}

/* Checks the names that go into a request path, so that no name can change the path. */
static gboolean
check_names (const char  *namespace,
             const char  *name,
             GError     **error)
{
  if (!is_dns_label (namespace, strlen (namespace))) {
    g_set_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_FAILED,
                 _("Invalid namespace “%s”: a namespace has 1 to 63 lower-case letters, digits "
                   "and “-”, and starts and ends with a letter or digit. Fix it in the "
                   "workspace."),
                 namespace);
    return FALSE;
  }

  if (!is_dns_subdomain (name)) {
    g_set_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_FAILED,
                 _("Invalid Deployment name “%s”: a name has up to 253 lower-case letters, "
                   "digits, “-” and “.”, and starts and ends with a letter or digit. Fix it in "
                   "the workspace."),
                 name);
    return FALSE;
  }

  return TRUE;
}

static char *
deployment_path (const char *namespace,
                 const char *name)
{
  return g_strdup_printf ("/apis/apps/v1/namespaces/%s/deployments/%s", namespace, name);
}

/* Version */

static void
get_version_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DrKubeClient *self = DR_KUBE_CLIENT (source);
  g_autoptr(JsonNode) root = NULL;
  GError *error = NULL;
  const char *version;

  root = get_json_finish (self, result, &error);
  if (root == NULL) {
    g_task_return_error (task, error);
    return;
  }

  version = json_get_string (json_node_get_object (root), "gitVersion");
  if (version == NULL) {
    g_task_return_new_error (task, DR_KUBE_ERROR, DR_KUBE_ERROR_INVALID_RESPONSE,
                             _("The API server of cluster “%s” sent no “gitVersion” for GET "
                               "/version. Check that the server URL points to a Kubernetes API "
                               "server."),
                             self->cluster);
    return;
  }

  g_task_return_pointer (task, g_strdup (version), g_free);
}

void
dr_kube_client_get_version_async (DrKubeClient        *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DR_IS_KUBE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_kube_client_get_version_async);

  get_json_async (self, "/version", cancellable, get_version_cb, task);
}

char *
dr_kube_client_get_version_finish (DrKubeClient  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (DR_IS_KUBE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        dr_kube_client_get_version_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Deployments */

void
dr_kube_deployment_free (DrKubeDeployment *deployment)
{
  if (deployment == NULL)
    return;

  g_free (deployment->name);
  g_free (deployment->namespace);
  g_free (deployment->image);
  g_free (deployment->resource_version);
  g_free (deployment->message);
  g_free (deployment);
}

static void
read_conditions (DrKubeDeployment *deployment,
                 JsonArray        *conditions)
{
  g_autoptr(GDateTime) newest_time = NULL;

  for (guint i = 0; conditions != NULL && i < json_array_get_length (conditions); i++) {
    JsonNode *node = json_array_get_element (conditions, i);
    JsonObject *condition = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    const char *type = json_get_string (condition, "type");
    const char *status = json_get_string (condition, "status");
    const char *reason = json_get_string (condition, "reason");
    const char *message = json_get_string (condition, "message");
    const char *updated = json_get_string (condition, "lastUpdateTime");
    g_autoptr(GDateTime) time = updated != NULL ? g_date_time_new_from_iso8601 (updated, NULL)
                                                : NULL;

    if (condition == NULL)
      continue;

    if (g_strcmp0 (type, "Available") == 0) {
      deployment->available = g_strcmp0 (status, "True") == 0;
    } else if (g_strcmp0 (type, "Progressing") == 0) {
      deployment->progressing = g_strcmp0 (status, "True") == 0;
      deployment->progress_deadline_exceeded = g_strcmp0 (status, "False") == 0 &&
                                               g_strcmp0 (reason, PROGRESS_DEADLINE_REASON) == 0;
    }

    /* Among equal times the later condition in the list wins. */
    if (message != NULL &&
        (deployment->message == NULL || newest_time == NULL || time == NULL ||
         g_date_time_compare (time, newest_time) >= 0)) {
      g_free (deployment->message);
      deployment->message = g_strdup (message);
      g_clear_pointer (&newest_time, g_date_time_unref);
      newest_time = time != NULL ? g_date_time_ref (time) : NULL;
    }
  }
}

/* Reads a Deployment object. @status_replicas receives status.replicas, which counts the pods
 * of old ReplicaSets too. */
static DrKubeDeployment *
deployment_from_json (JsonObject *object,
                      int        *status_replicas)
{
  g_autoptr(DrKubeDeployment) deployment = g_new0 (DrKubeDeployment, 1);
  JsonObject *metadata = json_get_object (object, "metadata");
  JsonObject *annotations = json_get_object (metadata, "annotations");
  JsonObject *spec = json_get_object (object, "spec");
  JsonObject *template = json_get_object (spec, "template");
  JsonObject *pod_spec = json_get_object (template, "spec");
  JsonArray *containers = json_get_array (pod_spec, "containers");
  JsonObject *status = json_get_object (object, "status");
  const char *revision = json_get_string (annotations, REVISION_ANNOTATION);

  if (json_get_string (metadata, "name") == NULL)
    return NULL;

  deployment->name = g_strdup (json_get_string (metadata, "name"));
  deployment->namespace = g_strdup (json_get_string (metadata, "namespace"));
  deployment->resource_version = g_strdup (json_get_string (metadata, "resourceVersion"));
  deployment->generation = json_get_int (metadata, "generation", 0);

  if (revision != NULL)
    g_ascii_string_to_signed (revision, 10, 0, G_MAXINT64, &deployment->revision, NULL);

  if (containers != NULL && json_array_get_length (containers) > 0) {
    JsonNode *first = json_array_get_element (containers, 0);

    if (JSON_NODE_HOLDS_OBJECT (first))
      deployment->image = g_strdup (json_get_string (json_node_get_object (first), "image"));
  }

  /* The API server fills in spec.replicas, with 1 when a manifest leaves it out. */
  deployment->replicas = json_get_int (spec, "replicas", 1);
  deployment->observed_generation = json_get_int (status, "observedGeneration", 0);
  deployment->updated_replicas = json_get_int (status, "updatedReplicas", 0);
  deployment->ready_replicas = json_get_int (status, "readyReplicas", 0);
  deployment->available_replicas = json_get_int (status, "availableReplicas", 0);
  *status_replicas = json_get_int (status, "replicas", 0);

  read_conditions (deployment, json_get_array (status, "conditions"));

  return g_steal_pointer (&deployment);
}

static void
get_deployment_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DrKubeClient *self = DR_KUBE_CLIENT (source);
  g_autoptr(JsonNode) root = NULL;
  DrKubeDeployment *deployment;
  GError *error = NULL;
  int status_replicas;

  root = get_json_finish (self, result, &error);
  if (root == NULL) {
    g_task_return_error (task, error);
    return;
  }

  deployment = deployment_from_json (json_node_get_object (root), &status_replicas);
  if (deployment == NULL) {
    g_task_return_new_error (task, DR_KUBE_ERROR, DR_KUBE_ERROR_INVALID_RESPONSE,
                             _("The API server of cluster “%s” sent a Deployment without a "
                               "name. Check that the server URL points to a Kubernetes API "
                               "server."),
                             self->cluster);
    return;
  }

  g_task_return_pointer (task, deployment, (GDestroyNotify) dr_kube_deployment_free);
}

void
dr_kube_client_get_deployment_async (DrKubeClient        *self,
                                     const char          *namespace,
                                     const char          *name,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;

  g_return_if_fail (DR_IS_KUBE_CLIENT (self));
  g_return_if_fail (namespace != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_kube_client_get_deployment_async);

  if (!check_names (namespace, name, &error)) {
    g_task_return_error (task, error);
    return;
  }

  path = deployment_path (namespace, name);
  get_json_async (self, path, cancellable, get_deployment_cb, g_steal_pointer (&task));
}

DrKubeDeployment *
dr_kube_client_get_deployment_finish (DrKubeClient  *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (DR_IS_KUBE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        dr_kube_client_get_deployment_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

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
                             rollout->name, rollout->namespace, self->cluster,
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

  root = get_json_finish (self, result, &error);
  if (root == NULL) {
    g_task_return_error (task, error);
    return;
  }

  deployment = deployment_from_json (json_node_get_object (root), &status_replicas);
  if (deployment == NULL || deployment->resource_version == NULL) {
    dr_kube_deployment_free (deployment);
    g_task_return_new_error (task, DR_KUBE_ERROR, DR_KUBE_ERROR_INVALID_RESPONSE,
                             _("The API server of cluster “%s” sent a Deployment without a name "
                               "or resourceVersion. Check that the server URL points to a "
                               "Kubernetes API server."),
                             self->cluster);
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
  g_autofree char *path = deployment_path (rollout->namespace, rollout->name);

  get_json_async (self, path, g_task_get_cancellable (task), rollout_get_cb, task);
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
  const char *type = json_get_string (event, "type");
  JsonObject *object = json_get_object (event, "object");
  JsonObject *metadata = json_get_object (object, "metadata");
  DrKubeDeployment *deployment;
  int status_replicas;

  if (g_strcmp0 (type, "ERROR") == 0) {
    /* 410 Gone: the resourceVersion is older than the history the server keeps, so the state
     * must be read again before watching. */
    if (json_get_int (object, "code", 0) == SOUP_STATUS_GONE) {
      g_debug ("Watch of Deployment %s/%s expired (%s), reading it again", rollout->namespace,
               rollout->name, json_get_string (object, "message"));
      rollout_close_watch (rollout);
      rollout_get (task);
      return TRUE;
    }

    g_task_return_error (task, status_error (self, rollout->watch_message,
                                             json_get_int (object, "code", 500), object));
    g_object_unref (task);
    return TRUE;
  }

  if (g_strcmp0 (type, "BOOKMARK") == 0) {
    const char *version = json_get_string (metadata, "resourceVersion");

    if (version != NULL) {
      g_free (rollout->resource_version);
      rollout->resource_version = g_strdup (version);
    }
    return FALSE;
  }

  if (g_strcmp0 (json_get_string (metadata, "name"), rollout->name) != 0)
    return FALSE;

  if (g_strcmp0 (type, "DELETED") == 0) {
    g_task_return_new_error (task, DR_KUBE_ERROR, DR_KUBE_ERROR_NOT_FOUND,
                             _("Deployment “%s” in namespace “%s” on cluster “%s” was deleted "
                               "while waiting for its rollout. Check who deleted it, then deploy "
                               "again."),
                             rollout->name, rollout->namespace, self->cluster);
    g_object_unref (task);
    return TRUE;
  }

  if (g_strcmp0 (type, "ADDED") != 0 && g_strcmp0 (type, "MODIFIED") != 0)
    return FALSE;

  deployment = deployment_from_json (object, &status_replicas);
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
    g_task_return_error (task, invalid_response_error (self, rollout->watch_message,
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
    g_task_return_error (task, transport_error (self, rollout->watch_message, error));
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

  g_task_return_error (task, error_from_response (self, rollout->watch_message, body));
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
    g_task_return_error (task, transport_error (self, rollout->watch_message, error));
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
  rollout->watch_message = create_message (self, SOUP_METHOD_GET, path);

  soup_session_send_async (self->session, rollout->watch_message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), rollout_watch_sent_cb, task);
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

  if (!check_names (namespace, name, &error)) {
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
