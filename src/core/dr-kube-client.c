/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "dr-credentials-private.h"
#include "dr-kube-client.h"
#include "dr-kube-client-private.h"

#define REVISION_ANNOTATION "deployment.kubernetes.io/revision"
#define PROGRESS_DEADLINE_REASON "ProgressDeadlineExceeded"

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

const char *
dr_kube_client_get_cluster (DrKubeClient *self)
{
  g_assert (DR_IS_KUBE_CLIENT (self));

  return self->cluster;
}

SoupSession *
dr_kube_client_get_session (DrKubeClient *self)
{
  g_assert (DR_IS_KUBE_CLIENT (self));

  return self->session;
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

SoupMessage *
dr_kube_client_create_message (DrKubeClient *self,
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
    return _("it is not signed by the cluster’s certificate authority");
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
GError *
dr_kube_client_transport_error (DrKubeClient *self,
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

const char *
dr_kube_json_get_string (JsonObject *object,
                         const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

gint64
dr_kube_json_get_int (JsonObject *object,
                      const char *name,
                      gint64      default_value)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return default_value;

  return json_node_get_int (node);
}

JsonObject *
dr_kube_json_get_object (JsonObject *object,
                         const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

JsonArray *
dr_kube_json_get_array (JsonObject *object,
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
GError *
dr_kube_client_status_error (DrKubeClient *self,
                             SoupMessage  *message,
                             guint         http_status,
                             JsonObject   *status)
{
  g_autofree char *path = NULL;
  const char *server_message = dr_kube_json_get_string (status, "message");
  const char *reason = dr_kube_json_get_string (status, "reason");
  gint64 code = dr_kube_json_get_int (status, "code", http_status);
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
    if (strstr (path, "/replicasets") != NULL)
      hint = _("Ask the cluster’s administrator to allow these credentials to list "
               "ReplicaSets in that namespace.");
    else if (g_strcmp0 (soup_message_get_method (message), "PATCH") == 0)
      hint = _("Ask the cluster’s administrator to allow these credentials to patch "
               "Deployments in that namespace.");
    else
      hint = _("Ask the cluster’s administrator to allow these credentials to get and watch "
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
JsonNode *
dr_kube_parse_json_object (GBytes *body)
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

GError *
dr_kube_client_error_from_response (DrKubeClient *self,
                                    SoupMessage  *message,
                                    GBytes       *body)
{
  g_autoptr(JsonNode) root = body != NULL ? dr_kube_parse_json_object (body) : NULL;
  JsonObject *object = root != NULL ? json_node_get_object (root) : NULL;
  JsonObject *status = NULL;

  if (g_strcmp0 (dr_kube_json_get_string (object, "kind"), "Status") == 0)
    status = object;

  return dr_kube_client_status_error (self, message, soup_message_get_status (message), status);
}

GError *
dr_kube_client_invalid_response_error (DrKubeClient *self,
                                       SoupMessage  *message,
                                       const char   *detail)
{
  return g_error_new (DR_KUBE_ERROR, DR_KUBE_ERROR_INVALID_RESPONSE,
                      _("The API server of cluster “%s” sent an invalid response to %s %s: %s. "
                        "Check that the server URL points to a Kubernetes API server."),
                      self->cluster, soup_message_get_method (message),
                      g_uri_get_path (soup_message_get_uri (message)), detail);
}

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
    g_task_return_error (task, dr_kube_client_transport_error (self, message, error));
    return;
  }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (message))) {
    g_task_return_error (task, dr_kube_client_error_from_response (self, message, body));
    return;
  }

  root = dr_kube_parse_json_object (body);
  if (root == NULL) {
    g_task_return_error (task,
                         dr_kube_client_invalid_response_error (self, message,
                                                                _("the body is not a JSON "
                                                                  "object")));
    return;
  }

  g_task_return_pointer (task, root, (GDestroyNotify) json_node_unref);
}

void
dr_kube_client_get_json_async (DrKubeClient        *self,
                               const char          *path,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SoupMessage *message;

  g_assert (DR_IS_KUBE_CLIENT (self));

  message = dr_kube_client_create_message (self, SOUP_METHOD_GET, path);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_kube_client_get_json_async);
  g_task_set_task_data (task, message, g_object_unref);

  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT, cancellable,
                                    get_json_read_cb, g_steal_pointer (&task));
}

JsonNode *
dr_kube_client_get_json_finish (DrKubeClient  *self,
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

gboolean
dr_kube_check_names (const char  *namespace,
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

char *
dr_kube_deployment_path (const char *namespace,
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

  root = dr_kube_client_get_json_finish (self, result, &error);
  if (root == NULL) {
    g_task_return_error (task, error);
    return;
  }

  version = dr_kube_json_get_string (json_node_get_object (root), "gitVersion");
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

  dr_kube_client_get_json_async (self, "/version", cancellable, get_version_cb, task);
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
    const char *type = dr_kube_json_get_string (condition, "type");
    const char *status = dr_kube_json_get_string (condition, "status");
    const char *reason = dr_kube_json_get_string (condition, "reason");
    const char *message = dr_kube_json_get_string (condition, "message");
    const char *updated = dr_kube_json_get_string (condition, "lastUpdateTime");
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

DrKubeDeployment *
dr_kube_deployment_from_json (JsonObject *object,
                              int        *status_replicas)
{
  g_autoptr(DrKubeDeployment) deployment = g_new0 (DrKubeDeployment, 1);
  JsonObject *metadata = dr_kube_json_get_object (object, "metadata");
  JsonObject *annotations = dr_kube_json_get_object (metadata, "annotations");
  JsonObject *spec = dr_kube_json_get_object (object, "spec");
  JsonObject *template = dr_kube_json_get_object (spec, "template");
  JsonObject *pod_spec = dr_kube_json_get_object (template, "spec");
  JsonArray *containers = dr_kube_json_get_array (pod_spec, "containers");
  JsonObject *status = dr_kube_json_get_object (object, "status");
  const char *revision = dr_kube_json_get_string (annotations, REVISION_ANNOTATION);

  if (dr_kube_json_get_string (metadata, "name") == NULL)
    return NULL;

  deployment->name = g_strdup (dr_kube_json_get_string (metadata, "name"));
  deployment->namespace = g_strdup (dr_kube_json_get_string (metadata, "namespace"));
  deployment->resource_version = g_strdup (dr_kube_json_get_string (metadata, "resourceVersion"));
  deployment->generation = dr_kube_json_get_int (metadata, "generation", 0);

  if (revision != NULL)
    g_ascii_string_to_signed (revision, 10, 0, G_MAXINT64, &deployment->revision, NULL);

  if (containers != NULL && json_array_get_length (containers) > 0) {
    JsonNode *first = json_array_get_element (containers, 0);

    JsonObject *container = JSON_NODE_HOLDS_OBJECT (first) ? json_node_get_object (first) : NULL;

    deployment->image = g_strdup (dr_kube_json_get_string (container, "image"));
  }

  /* The API server fills in spec.replicas, with 1 when a manifest leaves it out. */
  deployment->replicas = dr_kube_json_get_int (spec, "replicas", 1);
  deployment->observed_generation = dr_kube_json_get_int (status, "observedGeneration", 0);
  deployment->updated_replicas = dr_kube_json_get_int (status, "updatedReplicas", 0);
  deployment->ready_replicas = dr_kube_json_get_int (status, "readyReplicas", 0);
  deployment->available_replicas = dr_kube_json_get_int (status, "availableReplicas", 0);
  *status_replicas = dr_kube_json_get_int (status, "replicas", 0);

  read_conditions (deployment, dr_kube_json_get_array (status, "conditions"));

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

  root = dr_kube_client_get_json_finish (self, result, &error);
  if (root == NULL) {
    g_task_return_error (task, error);
    return;
  }

  deployment = dr_kube_deployment_from_json (json_node_get_object (root), &status_replicas);
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

  if (!dr_kube_check_names (namespace, name, &error)) {
    g_task_return_error (task, error);
    return;
  }

  path = dr_kube_deployment_path (namespace, name);
  dr_kube_client_get_json_async (self, path, cancellable, get_deployment_cb,
                                 g_steal_pointer (&task));
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
