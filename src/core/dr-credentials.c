/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>

#include "dr-credentials.h"
#include "dr-credentials-private.h"

/* Each cluster is one keyring item of this schema. Its secret is a JSON object with the fields
 * of DrClusterCredentials except the cluster name, which is the item's only attribute. */
#define DR_CLUSTER_SCHEMA_NAME "org.dynamorelease.DynamoRelease.Cluster"
#define DR_SECRET_CONTENT_TYPE "application/json"

#define SECRET_SERVICE_BUS_NAME "org.freedesktop.secrets"
#define SECRET_ERROR_IS_LOCKED "org.freedesktop.Secret.Error.IsLocked"
#define SECRET_COLLECTION_INTERFACE "org.freedesktop.Secret.Collection"
#define SECRET_ITEM_INTERFACE "org.freedesktop.Secret.Item"

G_DEFINE_QUARK (dr-credentials-error-quark, dr_credentials_error)

static const SecretSchema *
dr_cluster_schema (void)
{
  static const SecretSchema schema = {
    DR_CLUSTER_SCHEMA_NAME,
    SECRET_SCHEMA_NONE,
    {
      { "cluster", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

void
dr_secret_string_free (char *text)
{
  if (text == NULL)
    return;

  explicit_bzero (text, strlen (text));
  g_free (text);
}

gboolean
dr_host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  g_return_val_if_fail (host != NULL, FALSE);

  if (g_ascii_strcasecmp (host, "localhost") == 0 || g_str_has_suffix (host, ".localhost"))
    return TRUE;

  address = g_inet_address_new_from_string (host);

  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* Credentials */

DrClusterCredentials *
dr_cluster_credentials_new (const char *cluster)
{
  DrClusterCredentials *credentials;

  g_return_val_if_fail (cluster != NULL, NULL);

  credentials = g_new0 (DrClusterCredentials, 1);
  credentials->cluster = g_strdup (cluster);

  return credentials;
}

DrClusterCredentials *
dr_cluster_credentials_copy (const DrClusterCredentials *credentials)
{
  DrClusterCredentials *copy;

  g_return_val_if_fail (credentials != NULL, NULL);

  copy = dr_cluster_credentials_new (credentials->cluster);
  copy->server = g_strdup (credentials->server);
  copy->token = g_strdup (credentials->token);
  copy->certificate_authority = g_strdup (credentials->certificate_authority);
  copy->client_certificate = g_strdup (credentials->client_certificate);
  copy->client_key = g_strdup (credentials->client_key);
  copy->insecure_skip_tls_verify = credentials->insecure_skip_tls_verify;

  return copy;
}

void
dr_cluster_credentials_free (DrClusterCredentials *credentials)
{
  if (credentials == NULL)
    return;

  g_free (credentials->cluster);
  g_free (credentials->server);
  dr_secret_string_free (credentials->token);
  g_free (credentials->certificate_authority);
  g_free (credentials->client_certificate);
  dr_secret_string_free (credentials->client_key);
  g_free (credentials);
}

static gboolean
is_empty (const char *text)
{
  return text == NULL || text[0] == '\0';
}

GPtrArray *
dr_pem_parse_certificates (const char  *pem,
                           GError     **error)
{
  static const char begin_marker[] = "-----BEGIN CERTIFICATE-----";
  static const char end_marker[] = "-----END CERTIFICATE-----";
  g_autoptr(GPtrArray) certificates = NULL;
  const char *cursor;

  g_return_val_if_fail (pem != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  certificates = g_ptr_array_new_with_free_func (g_object_unref);
  cursor = pem;

  while ((cursor = strstr (cursor, begin_marker)) != NULL) {
    const char *end = strstr (cursor, end_marker);
    GTlsCertificate *certificate;

    if (end == NULL) {
      g_set_error_literal (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                           _("a PEM block has no “-----END CERTIFICATE-----” line"));
      return NULL;
    }

    end += strlen (end_marker);
    certificate = g_tls_certificate_new_from_pem (cursor, end - cursor, error);
    if (certificate == NULL)
      return NULL;

    g_ptr_array_add (certificates, certificate);
    cursor = end;
  }

  if (certificates->len == 0) {
    g_set_error_literal (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                         _("no “-----BEGIN CERTIFICATE-----” block found"));
    return NULL;
  }

  return g_steal_pointer (&certificates);
}

static gboolean
validate_server (const DrClusterCredentials  *credentials,
                 GError                     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *scheme;
  const char *host;

  if (is_empty (credentials->server)) {
    g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID,
                 _("Cluster “%s” has no API server URL. Enter the URL of its API server, "
                   "for example https://api.example.com:6443."),
                 credentials->cluster);
    return FALSE;
  }

  uri = g_uri_parse (credentials->server, G_URI_FLAGS_NONE, &local_error);
  if (uri == NULL) {
    g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID,
                 _("Invalid API server URL “%s” for cluster “%s”: %s. Enter a URL such as "
                   "https://api.example.com:6443."),
                 credentials->server, credentials->cluster, local_error->message);
    return FALSE;
  }

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);

  if (is_empty (host)) {
    g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID,
                 _("Invalid API server URL “%s” for cluster “%s”: the URL has no host. Enter a "
                   "URL such as https://api.example.com:6443."),
                 credentials->server, credentials->cluster);
    return FALSE;
  }

  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;

  if (g_ascii_strcasecmp (scheme, "http") == 0) {
    if (dr_host_is_loopback (host))
      return TRUE;

    g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID,
                 _("Invalid API server URL “%s” for cluster “%s”: plain http:// would send the "
                   "credentials unencrypted. Use https://, or http:// only for a server on this "
                   "machine (localhost, 127.0.0.1 or ::1)."),
                 credentials->server, credentials->cluster);
    return FALSE;
  }

  g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID,
               _("Invalid API server URL “%s” for cluster “%s”: the scheme “%s” is not "
                 "supported. Use an https:// URL."),
               credentials->server, credentials->cluster, scheme);
  return FALSE;
}

static gboolean
validate_token (const DrClusterCredentials  *credentials,
                GError                     **error)
{
  /* The token goes into an HTTP header and a YAML file, so only visible ASCII is allowed. */
  for (const char *p = credentials->token; *p != '\0'; p++) {
    if (*p <= ' ' || *p >= 0x7f) {
      g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID,
                   _("The token of cluster “%s” contains spaces, line breaks or other characters "
                     "that a bearer token cannot contain. Paste the token alone, without quotes, "
                     "“Bearer ” or line breaks."),
                   credentials->cluster);
      return FALSE;
    }
  }

  return TRUE;
}

static gboolean
validate_certificate_authority (const DrClusterCredentials  *credentials,
                                GError                     **error)
{
  g_autoptr(GPtrArray) certificates = NULL;
  g_autoptr(GError) local_error = NULL;

  certificates = dr_pem_parse_certificates (credentials->certificate_authority, &local_error);
  if (certificates == NULL) {
    g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID,
                 _("The certificate authority of cluster “%s” is not a valid PEM certificate: %s. "
                   "Paste the CA certificate including its “-----BEGIN CERTIFICATE-----” line, "
                   "or leave the field empty to use the system's CAs."),
                 credentials->cluster, local_error->message);
    return FALSE;
  }

  return TRUE;
}

static gboolean
validate_client_certificate (const DrClusterCredentials  *credentials,
                             GError                     **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *pem = NULL;

  if (is_empty (credentials->client_key)) {
    g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID,
                 _("Cluster “%s” has a client certificate but no client key. Paste the private "
                   "key that belongs to the certificate."),
                 credentials->cluster);
    return FALSE;
  }

  if (is_empty (credentials->client_certificate)) {
    g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID,
                 _("Cluster “%s” has a client key but no client certificate. Paste the "
                   "certificate that belongs to the key."),
                 credentials->cluster);
    return FALSE;
  }

  pem = g_strconcat (credentials->client_certificate, "\n", credentials->client_key, NULL);
  certificate = g_tls_certificate_new_from_pem (pem, -1, &local_error);
  explicit_bzero (pem, strlen (pem));

  if (certificate == NULL) {
    g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID,
                 _("The client certificate or client key of cluster “%s” is not valid PEM: %s. "
                   "Paste the certificate with its “-----BEGIN CERTIFICATE-----” line and the key "
                   "with its “-----BEGIN … PRIVATE KEY-----” line."),
                 credentials->cluster, local_error->message);
    return FALSE;
  }

  return TRUE;
}

gboolean
dr_cluster_credentials_validate (const DrClusterCredentials  *credentials,
                                 GError                     **error)
{
  gboolean has_token;
  gboolean has_client_certificate;

  g_return_val_if_fail (credentials != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (is_empty (credentials->cluster)) {
    g_set_error_literal (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID,
                         _("The cluster has no name. Enter the cluster name that the workspace "
                           "uses for the environment."));
    return FALSE;
  }

  if (!validate_server (credentials, error))
    return FALSE;

  has_token = !is_empty (credentials->token);
  has_client_certificate = !is_empty (credentials->client_certificate) ||
                           !is_empty (credentials->client_key);

  if (!has_token && !has_client_certificate) {
    g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID,
                 _("Cluster “%s” has neither a token nor a client certificate. Enter a bearer "
                   "token, or a client certificate and its key."),
                 credentials->cluster);
    return FALSE;
  }

  if (has_token && !validate_token (credentials, error))
    return FALSE;

  if (has_client_certificate && !validate_client_certificate (credentials, error))
    return FALSE;

  if (!is_empty (credentials->certificate_authority) &&
      !validate_certificate_authority (credentials, error))
    return FALSE;

  return TRUE;
}

static void
add_secret (GPtrArray  *secrets,
            const char *secret)
{
  g_autofree char *encoded = NULL;

  if (is_empty (secret))
    return;

  encoded = g_base64_encode ((const guchar *) secret, strlen (secret));
  g_ptr_array_add (secrets, g_strdup (secret));
  g_ptr_array_add (secrets, g_steal_pointer (&encoded));
}

char **
dr_cluster_credentials_dup_secrets (const DrClusterCredentials *credentials)
{
  g_autoptr(GPtrArray) secrets = NULL;

  g_return_val_if_fail (credentials != NULL, NULL);

  secrets = g_ptr_array_new_with_free_func (g_free);
  add_secret (secrets, credentials->token);
  add_secret (secrets, credentials->client_key);

  /* A log masks line by line, so a key printed as PEM is masked by its base64 body lines. The
   * length limit keeps short lines such as a trailing "==" from masking ordinary text. */
  if (!is_empty (credentials->client_key)) {
    g_auto(GStrv) lines = g_strsplit (credentials->client_key, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++) {
      g_strstrip (lines[i]);
      if (strlen (lines[i]) >= 16 && !g_str_has_prefix (lines[i], "-----"))
        g_ptr_array_add (secrets, g_strdup (lines[i]));
      explicit_bzero (lines[i], strlen (lines[i]));
    }
  }

  g_ptr_array_add (secrets, NULL);

  return (char **) g_ptr_array_free (g_steal_pointer (&secrets), FALSE);
}

/* The secret's JSON form */

static void
add_string_member (JsonBuilder *builder,
                   const char  *name,
                   const char  *value)
{
  if (value == NULL)
    return;

  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static char *
credentials_to_json (const DrClusterCredentials *credentials)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, 1);
  add_string_member (builder, "server", credentials->server);
  add_string_member (builder, "token", credentials->token);
  add_string_member (builder, "certificate-authority", credentials->certificate_authority);
  add_string_member (builder, "client-certificate", credentials->client_certificate);
  add_string_member (builder, "client-key", credentials->client_key);
  json_builder_set_member_name (builder, "insecure-skip-tls-verify");
  json_builder_add_boolean_value (builder, credentials->insecure_skip_tls_verify);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, NULL);
}

static gboolean
read_string_member (JsonObject  *object,
                    const char  *name,
                    char       **value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return FALSE;

  *value = json_node_dup_string (node);

  return TRUE;
}

static DrClusterCredentials *
credentials_from_json (const char  *cluster,
                       const char  *json,
                       gsize        length,
                       GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(DrClusterCredentials) credentials = dr_cluster_credentials_new (cluster);
  JsonObject *object;
  JsonNode *insecure;

  if (!json_parser_load_from_data (parser, json, length, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    goto invalid;

  object = json_node_get_object (json_parser_get_root (parser));

  if (!read_string_member (object, "server", &credentials->server) ||
      !read_string_member (object, "token", &credentials->token) ||
      !read_string_member (object, "certificate-authority",
                           &credentials->certificate_authority) ||
      !read_string_member (object, "client-certificate", &credentials->client_certificate) ||
      !read_string_member (object, "client-key", &credentials->client_key))
    goto invalid;

  insecure = json_object_get_member (object, "insecure-skip-tls-verify");
  if (insecure != NULL) {
    if (!JSON_NODE_HOLDS_VALUE (insecure) ||
        json_node_get_value_type (insecure) != G_TYPE_BOOLEAN)
      goto invalid;
    credentials->insecure_skip_tls_verify = json_node_get_boolean (insecure);
  }

  return g_steal_pointer (&credentials);

invalid:
  g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID,
               _("The keyring entry of cluster “%s” is not in the format Dynamo Release stores. "
                 "Enter the cluster's credentials again in Preferences to replace it."),
               cluster);
  return NULL;
}

/* Talking to the Secret Service */

static void
set_no_keyring_error (GError **error)
{
  g_set_error_literal (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NO_KEYRING,
                       _("No keyring is running. Start GNOME Keyring (or another Secret Service) "
                         "and unlock it, then try again."));
}

static void
set_locked_error (GError **error)
{
  g_set_error_literal (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_LOCKED,
                       _("The keyring is locked. Unlock it, for example by logging in again, "
                         "then try again."));
}

static void
set_not_found_error (GError     **error,
                     const char  *cluster)
{
  g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND,
               _("No credentials are stored for cluster “%s”. Add them in Preferences, or "
                 "import a kubeconfig file."),
               cluster);
}

static gboolean
is_no_service_error (const GError *error)
{
  return g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_CHILD_EXITED) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_DISCONNECTED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

typedef enum
{
  ACTION_READ,
  ACTION_STORE,
  ACTION_DELETE,
} Action;

/* Turns an error from libsecret or D-Bus into a DrCredentialsError. */
static void
propagate_secret_error (GError     **error,
                        GError      *local_error,
                        Action       action,
                        const char  *cluster)
{
  g_autofree char *remote_name = NULL;

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_propagate_error (error, local_error);
    return;
  }

  remote_name = g_dbus_error_get_remote_error (local_error);

  if (g_strcmp0 (remote_name, SECRET_ERROR_IS_LOCKED) == 0) {
    set_locked_error (error);
  } else if (is_no_service_error (local_error)) {
    g_debug ("Secret Service unavailable: %s", local_error->message);
    set_no_keyring_error (error);
  } else {
    g_dbus_error_strip_remote_error (local_error);

    if (action == ACTION_STORE)
      g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_FAILED,
                   _("Could not store the credentials of cluster “%s” in the keyring: %s. Check "
                     "that the keyring works, for example in Passwords and Keys, then try "
                     "again."),
                   cluster, local_error->message);
    else if (action == ACTION_DELETE)
      g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_FAILED,
                   _("Could not delete the credentials of cluster “%s” from the keyring: %s. "
                     "Check that the keyring works, for example in Passwords and Keys, then try "
                     "again."),
                   cluster, local_error->message);
    else
      g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_FAILED,
                   _("Could not read the credentials of cluster “%s” from the keyring: %s. "
                     "Check that the keyring works, for example in Passwords and Keys, then try "
                     "again."),
                   cluster, local_error->message);
  }

  g_error_free (local_error);
}

static SecretService *
get_service (GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  SecretService *service;

  /* Opening a session makes a D-Bus call, so a missing Secret Service fails here instead of at
   * the first real request. */
  service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, cancellable, &local_error);
  if (service == NULL) {
    if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_propagate_error (error, g_steal_pointer (&local_error));
    } else {
      g_debug ("Could not connect to the Secret Service: %s", local_error->message);
      set_no_keyring_error (error);
    }
    return NULL;
  }

  return service;
}

/* Reads the Locked property from the service instead of the proxy's cache, because the cache
 * follows PropertiesChanged signals, which are not dispatched in a thread without a main loop. */
static gboolean
check_unlocked (GDBusProxy    *proxy,
                const char    *interface,
                const char    *cluster,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  GError *local_error = NULL;

  reply = g_dbus_connection_call_sync (g_dbus_proxy_get_connection (proxy),
                                       SECRET_SERVICE_BUS_NAME,
                                       g_dbus_proxy_get_object_path (proxy),
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", interface, "Locked"),
                                       G_VARIANT_TYPE ("(v)"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                                       cancellable, &local_error);
  if (reply == NULL) {
    propagate_secret_error (error, local_error, ACTION_READ, cluster);
    return FALSE;
  }

  g_variant_get (reply, "(v)", &value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN) && !g_variant_get_boolean (value))
    return TRUE;

  set_locked_error (error);
  return FALSE;
}

/* Returns the default collection, unlocked, or NULL with an error. */
static SecretCollection *
get_default_collection (SecretService  *service,
                        const char     *cluster,
                        Action          action,
                        GCancellable   *cancellable,
                        GError        **error)
{
  g_autoptr(SecretCollection) collection = NULL;
  GError *local_error = NULL;

  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_NONE, cancellable,
                                                 &local_error);
  if (local_error != NULL) {
    propagate_secret_error (error, local_error, action, cluster);
    return NULL;
  }

  if (collection == NULL && action == ACTION_STORE) {
    g_set_error_literal (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_FAILED,
                         _("The keyring has no default collection to store credentials in. "
                           "Create a default keyring, for example in Passwords and Keys, then "
                           "try again."));
    return NULL;
  }

  /* Credentials are only ever stored in the default collection. */
  if (collection == NULL) {
    set_not_found_error (error, cluster);
    return NULL;
  }

  if (!check_unlocked (G_DBUS_PROXY (collection), SECRET_COLLECTION_INTERFACE, cluster,
                       cancellable, error))
    return NULL;

  return g_steal_pointer (&collection);
}

/* Returns the items stored for @cluster, all of them unlocked, or NULL with an error. An empty
 * list is a NOT_FOUND error. */
static GList *
find_items (SecretService  *service,
            const char     *cluster,
            Action          action,
            GCancellable   *cancellable,
            GError        **error)
{
  g_autoptr(GHashTable) attributes = NULL;
  GError *local_error = NULL;
  GList *items;

  attributes = secret_attributes_build (dr_cluster_schema (), "cluster", cluster, NULL);

  /* Neither SECRET_SEARCH_UNLOCK nor SECRET_SEARCH_LOAD_SECRETS: both could show a prompt. */
  items = secret_service_search_sync (service, dr_cluster_schema (), attributes,
                                      SECRET_SEARCH_ALL, cancellable, &local_error);
  if (local_error != NULL) {
    propagate_secret_error (error, local_error, action, cluster);
    return NULL;
  }

  if (items == NULL) {
    set_not_found_error (error, cluster);
    return NULL;
  }

  for (GList *l = items; l != NULL; l = l->next) {
    if (!check_unlocked (G_DBUS_PROXY (l->data), SECRET_ITEM_INTERFACE, cluster, cancellable,
                         error)) {
      g_list_free_full (items, g_object_unref);
      return NULL;
    }
  }

  return items;
}

gboolean
dr_credentials_store_sync (const DrClusterCredentials  *credentials,
                           GCancellable                *cancellable,
                           GError                     **error)
{
  g_autoptr(SecretService) service = NULL;
  g_autoptr(SecretCollection) collection = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(SecretValue) value = NULL;
  g_autoptr(SecretItem) item = NULL;
  g_autofree char *label = NULL;
  GError *local_error = NULL;
  char *json;

  g_return_val_if_fail (credentials != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!dr_cluster_credentials_validate (credentials, error))
    return FALSE;

  service = get_service (cancellable, error);
  if (service == NULL)
    return FALSE;

  collection = get_default_collection (service, credentials->cluster, ACTION_STORE,
                                       cancellable, error);
  if (collection == NULL)
    return FALSE;

  json = credentials_to_json (credentials);
  value = secret_value_new (json, -1, DR_SECRET_CONTENT_TYPE);
  dr_secret_string_free (json);

  attributes = secret_attributes_build (dr_cluster_schema (), "cluster", credentials->cluster,
                                        NULL);
  label = g_strdup_printf (_("Dynamo Release cluster “%s”"), credentials->cluster);

  item = secret_item_create_sync (collection, dr_cluster_schema (), attributes, label, value,
                                  SECRET_ITEM_CREATE_REPLACE, cancellable, &local_error);
  if (item == NULL) {
    propagate_secret_error (error, local_error, ACTION_STORE, credentials->cluster);
    return FALSE;
  }

  return TRUE;
}

DrClusterCredentials *
dr_credentials_lookup_sync (const char    *cluster,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(SecretService) service = NULL;
  g_autoptr(SecretCollection) collection = NULL;
  g_autoptr(SecretValue) value = NULL;
  GList *items;
  SecretItem *item;
  GError *local_error = NULL;
  const char *secret;
  gsize length;
  DrClusterCredentials *credentials;

  g_return_val_if_fail (cluster != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  service = get_service (cancellable, error);
  if (service == NULL)
    return NULL;

  collection = get_default_collection (service, cluster, ACTION_READ, cancellable, error);
  if (collection == NULL)
    return NULL;

  items = find_items (service, cluster, ACTION_READ, cancellable, error);
  if (items == NULL)
    return NULL;

  item = items->data;
  if (!secret_item_load_secret_sync (item, cancellable, &local_error)) {
    g_list_free_full (items, g_object_unref);
    propagate_secret_error (error, local_error, ACTION_READ, cluster);
    return NULL;
  }

  value = secret_item_get_secret (item);
  g_list_free_full (items, g_object_unref);

  if (value == NULL) {
    set_locked_error (error);
    return NULL;
  }

  secret = secret_value_get (value, &length);
  credentials = credentials_from_json (cluster, secret, length, error);

  return credentials;
}

gboolean
dr_credentials_delete_sync (const char    *cluster,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(SecretService) service = NULL;
  g_autoptr(SecretCollection) collection = NULL;
  GList *items;
  gboolean deleted = TRUE;

  g_return_val_if_fail (cluster != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  service = get_service (cancellable, error);
  if (service == NULL)
    return FALSE;

  collection = get_default_collection (service, cluster, ACTION_DELETE, cancellable, error);
  if (collection == NULL)
    return FALSE;

  items = find_items (service, cluster, ACTION_DELETE, cancellable, error);
  if (items == NULL)
    return FALSE;

  for (GList *l = items; l != NULL && deleted; l = l->next) {
    GError *local_error = NULL;

    deleted = secret_item_delete_sync (l->data, cancellable, &local_error);
    if (!deleted)
      propagate_secret_error (error, local_error, ACTION_DELETE, cluster);
  }

  g_list_free_full (items, g_object_unref);

  return deleted;
}

/* Asynchronous forms: the blocking forms in a worker thread. */

static void
store_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GError *error = NULL;

  if (dr_credentials_store_sync (task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
dr_credentials_store_async (const DrClusterCredentials *credentials,
                            GCancellable               *cancellable,
                            GAsyncReadyCallback         callback,
                            gpointer                    user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (credentials != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_credentials_store_async);
  g_task_set_task_data (task, dr_cluster_credentials_copy (credentials),
                        (GDestroyNotify) dr_cluster_credentials_free);
  g_task_run_in_thread (task, store_thread);
}

gboolean
dr_credentials_store_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dr_credentials_store_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lookup_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  DrClusterCredentials *credentials;
  GError *error = NULL;

  credentials = dr_credentials_lookup_sync (task_data, cancellable, &error);
  if (credentials != NULL)
    g_task_return_pointer (task, credentials, (GDestroyNotify) dr_cluster_credentials_free);
  else
    g_task_return_error (task, error);
}

void
dr_credentials_lookup_async (const char          *cluster,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (cluster != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_credentials_lookup_async);
  g_task_set_task_data (task, g_strdup (cluster), g_free);
  g_task_run_in_thread (task, lookup_thread);
}

DrClusterCredentials *
dr_credentials_lookup_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dr_credentials_lookup_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
delete_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;

  if (dr_credentials_delete_sync (task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
dr_credentials_delete_async (const char          *cluster,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (cluster != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_credentials_delete_async);
  g_task_set_task_data (task, g_strdup (cluster), g_free);
  g_task_run_in_thread (task, delete_thread);
}

gboolean
dr_credentials_delete_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dr_credentials_delete_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
