/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "dr-kube-client.h"
#include "kube-api-double.h"

#define TOKEN "double-token-3f9a2c"
#define NAMESPACE "qa"
#define NAME "web"
#define IMAGE_1 "registry.example.test/web:1.4.0"
#define IMAGE_2 "registry.example.test/web:1.5.0"
#define IMAGE_3 "registry.example.test/web:1.6.0"
#define DEPLOYMENT_PATH "/apis/apps/v1/namespaces/" NAMESPACE "/deployments/" NAME
#define REPLICA_SETS_PATH "/apis/apps/v1/namespaces/" NAMESPACE "/replicasets"

/* Certificates made with openssl for this run, or NULL when openssl is missing. */
static char *server_certificate;
static char *server_key;
static char *other_certificate;
static char *other_key;
static char *scratch_dir;

static gboolean
generate_certificate (const char  *name,
                      char       **certificate,
                      char       **key)
{
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *cert_file = g_strconcat (name, "-cert.pem", NULL);
  g_autofree char *key_file = g_strconcat (name, "-key.pem", NULL);
  g_autofree char *cert_path = g_build_filename (scratch_dir, cert_file, NULL);
  g_autofree char *key_path = g_build_filename (scratch_dir, key_file, NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  if (openssl == NULL)
    return FALSE;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                              G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                              &error,
                              openssl, "req", "-x509", "-newkey", "ec",
                              "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                              "-keyout", key_path, "-out", cert_path, "-days", "2",
                              "-subj", "/CN=127.0.0.1",
                              "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check (process, NULL, &error);
  g_assert_no_error (error);

  g_file_get_contents (cert_path, certificate, NULL, &error);
  g_assert_no_error (error);
  g_file_get_contents (key_path, key, NULL, &error);
  g_assert_no_error (error);

  g_unlink (cert_path);
  g_unlink (key_path);

  return TRUE;
}

typedef struct
{
  KubeApiDouble *api;
  DrKubeClient  *client;
  GPtrArray     *states;          /* DrKubeDeployment copies, in the order reported */
  gboolean       tick_on_progress;
  GCancellable  *cancellable;
} Fixture;

static DrClusterCredentials *
make_credentials (const char *server,
                  const char *token)
{
  DrClusterCredentials *credentials = dr_cluster_credentials_new ("qa-cluster");

  credentials->server = g_strdup (server);
  credentials->token = g_strdup (token);

  return credentials;
}

static DrKubeClient *
make_client (const char *server,
             const char *token)
{
  g_autoptr(DrClusterCredentials) credentials = make_credentials (server, token);
  g_autoptr(GError) error = NULL;
  DrKubeClient *client;

  client = dr_kube_client_new (credentials, &error);
  g_assert_no_error (error);

  return client;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->api = kube_api_double_new (TOKEN);
  kube_api_double_add_deployment (fixture->api, NAMESPACE, NAME, IMAGE_1, 3);
  fixture->client = make_client (kube_api_double_get_url (fixture->api), TOKEN);
  fixture->states = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_kube_deployment_free);
  fixture->tick_on_progress = TRUE;
  fixture->cancellable = g_cancellable_new ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->client);
  g_clear_pointer (&fixture->api, kube_api_double_free);
  g_clear_pointer (&fixture->states, g_ptr_array_unref);
  g_clear_object (&fixture->cancellable);

  /* Lets finished connections and sources of the client and the server run out. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *slot;
}

static char *
get_version (DrKubeClient  *client,
             GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  dr_kube_client_get_version_async (client, NULL, result_cb, &result);

  return dr_kube_client_get_version_finish (client, wait_for (&result), error);
}

static DrKubeDeployment *
get_deployment (DrKubeClient  *client,
                const char    *namespace,
                const char    *name,
                GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  dr_kube_client_get_deployment_async (client, namespace, name, NULL, result_cb, &result);

  return dr_kube_client_get_deployment_finish (client, wait_for (&result), error);
}

static DrKubeDeployment *
copy_deployment (const DrKubeDeployment *deployment)
{
  DrKubeDeployment *copy = g_memdup2 (deployment, sizeof *deployment);

  copy->name = g_strdup (deployment->name);
  copy->namespace = g_strdup (deployment->namespace);
  copy->image = g_strdup (deployment->image);
  copy->resource_version = g_strdup (deployment->resource_version);
  copy->message = g_strdup (deployment->message);

  return copy;
}

static gboolean
tick_cb (gpointer user_data)
{
  Fixture *fixture = user_data;

  /* The test may be over already. */
  if (fixture->api != NULL)
    kube_api_double_tick (fixture->api);

  return G_SOURCE_REMOVE;
}

/* Records each state and lets the double's rollout take one step, so that every step is seen
 * whatever the timing. */
static void
progress_cb (const DrKubeDeployment *deployment,
             gpointer                user_data)
{
  Fixture *fixture = user_data;

  g_ptr_array_add (fixture->states, copy_deployment (deployment));

  if (fixture->tick_on_progress)
    g_idle_add (tick_cb, fixture);
}

static DrKubeDeployment *
wait_for_rollout (Fixture  *fixture,
                  GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  dr_kube_client_wait_for_rollout_async (fixture->client, NAMESPACE, NAME, progress_cb, fixture,
                                         fixture->cancellable, result_cb, &result);

  return dr_kube_client_wait_for_rollout_finish (fixture->client, wait_for (&result), error);
}

/* Raw requests to the double, for what the client does not send */

static guint
send_raw (KubeApiDouble  *api,
          const char     *method,
          const char     *path,
          const char     *content_type,
          const char     *body,
          JsonObject    **response)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (kube_api_double_get_url (api), path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new (method, url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                "Bearer " TOKEN);
  if (body != NULL) {
    g_autoptr(GBytes) request_body = g_bytes_new (body, strlen (body));

    soup_message_set_request_body_from_bytes (message, content_type, request_body);
  }

  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL, result_cb,
                                    &result);
  bytes = soup_session_send_and_read_finish (session, wait_for (&result), &error);
  g_assert_no_error (error);

  json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                              &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  *response = json_object_ref (json_node_get_object (json_parser_get_root (parser)));

  return soup_message_get_status (message);
}

static void
patch_image (KubeApiDouble *api,
             const char    *image)
{
  g_autoptr(JsonObject) response = NULL;
  g_autofree char *body = NULL;
  guint status;

  body = g_strdup_printf ("{\"spec\":{\"template\":{\"spec\":{\"containers\":"
                          "[{\"name\":\"" NAME "\",\"image\":\"%s\"}]}}}}", image);
  status = send_raw (api, "PATCH", "/apis/apps/v1/namespaces/" NAMESPACE "/deployments/" NAME,
                     "application/strategic-merge-patch+json", body, &response);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
}

/* Changes the image and lets the double's rollout run to its end. */
static void
roll_out (KubeApiDouble *api,
          const char    *image)
{
  patch_image (api, image);
  while (kube_api_double_tick (api))
    ;
}

static DrKubeRollback *
undo_rollout (DrKubeClient  *client,
              gint64         to_revision,
              GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  dr_kube_client_undo_rollout_async (client, NAMESPACE, NAME, to_revision, NULL, result_cb,
                                     &result);

  return dr_kube_client_undo_rollout_finish (client, wait_for (&result), error);
}

/* Tests */

static void
test_version (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;

  kube_api_double_set_git_version (fixture->api, "v1.29.2-double");

  version = get_version (fixture->client, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (version, ==, "v1.29.2-double");
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "version"), ==, 1);
}

static void
test_get_deployment (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;

  deployment = get_deployment (fixture->client, NAMESPACE, NAME, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (deployment->name, ==, NAME);
  g_assert_cmpstr (deployment->namespace, ==, NAMESPACE);
  g_assert_cmpstr (deployment->image, ==, IMAGE_1);
  g_assert_nonnull (deployment->resource_version);
  g_assert_cmpint (deployment->generation, ==, 1);
  g_assert_cmpint (deployment->observed_generation, ==, 1);
  g_assert_cmpint (deployment->revision, ==, 1);
  g_assert_cmpint (deployment->replicas, ==, 3);
  g_assert_cmpint (deployment->updated_replicas, ==, 3);
  g_assert_cmpint (deployment->ready_replicas, ==, 3);
  g_assert_cmpint (deployment->available_replicas, ==, 3);
  g_assert_true (deployment->available);
  g_assert_true (deployment->progressing);
  g_assert_false (deployment->progress_deadline_exceeded);
  g_assert_true (g_str_has_suffix (deployment->message, "has successfully progressed."));
}

static void
test_unauthorized (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(DrKubeClient) client = NULL;
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;
  const char *wrong_token = "wrong-token-77e1";

  client = make_client (kube_api_double_get_url (fixture->api), wrong_token);

  deployment = get_deployment (client, NAMESPACE, NAME, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_UNAUTHORIZED);
  g_assert_null (deployment);
  g_assert_nonnull (strstr (error->message, "GET /apis/apps/v1/namespaces/qa/deployments/web"));
  g_assert_nonnull (strstr (error->message, "Unauthorized"));
  g_assert_nonnull (strstr (error->message, "401"));
  g_assert_nonnull (strstr (error->message, "qa-cluster"));
  g_assert_null (strstr (error->message, wrong_token));
  g_assert_null (strstr (error->message, TOKEN));
  g_clear_error (&error);

  version = get_version (client, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_UNAUTHORIZED);
  g_assert_null (version);
  g_assert_null (strstr (error->message, wrong_token));

  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "unauthorized"), ==, 2);
}

static void
test_not_found (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;

  deployment = get_deployment (fixture->client, NAMESPACE, "nope", &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_NOT_FOUND);
  g_assert_null (deployment);
  g_assert_nonnull (strstr (error->message, "deployments.apps \"nope\" not found"));
  g_assert_nonnull (strstr (error->message, "/apis/apps/v1/namespaces/qa/deployments/nope"));
  g_assert_nonnull (strstr (error->message, "404"));
  g_assert_null (strstr (error->message, TOKEN));
}

static void
test_invalid_name (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(DrKubeDeployment) in_namespace = NULL;
  g_autoptr(GError) error = NULL;

  deployment = get_deployment (fixture->client, NAMESPACE, "../../version", &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_FAILED);
  g_assert_null (deployment);
  g_assert_nonnull (strstr (error->message, "“../../version”"));
  g_clear_error (&error);

  in_namespace = get_deployment (fixture->client, "QA", NAME, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_FAILED);
  g_assert_null (in_namespace);
  g_assert_nonnull (strstr (error->message, "“QA”"));

  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "get"), ==, 0);
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "version"), ==, 0);
}

static void
test_rollout_succeeds (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;
  DrKubeDeployment *state;

  patch_image (fixture->api, IMAGE_2);

  deployment = wait_for_rollout (fixture, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (deployment->image, ==, IMAGE_2);
  g_assert_cmpint (deployment->generation, ==, 2);
  g_assert_cmpint (deployment->observed_generation, ==, 2);
  g_assert_cmpint (deployment->revision, ==, 2);
  g_assert_cmpint (deployment->updated_replicas, ==, 3);
  g_assert_cmpint (deployment->available_replicas, ==, 3);
  g_assert_true (deployment->available);
  g_assert_true (deployment->progressing);

  /* The GET before the controller saw the change, then one state per step of the rollout. */
  g_assert_cmpuint (fixture->states->len, ==, 5);

  state = g_ptr_array_index (fixture->states, 0);
  g_assert_cmpint (state->generation, ==, 2);
  g_assert_cmpint (state->observed_generation, ==, 1);
  g_assert_cmpint (state->revision, ==, 1);

  state = g_ptr_array_index (fixture->states, 1);
  g_assert_cmpint (state->observed_generation, ==, 2);
  g_assert_cmpint (state->revision, ==, 2);
  g_assert_cmpint (state->updated_replicas, ==, 1);
  g_assert_nonnull (strstr (state->message, "Created new replica set"));

  state = g_ptr_array_index (fixture->states, 2);
  g_assert_cmpint (state->updated_replicas, ==, 2);

  /* All pods updated, but one old pod is still terminating: not complete yet. */
  state = g_ptr_array_index (fixture->states, 3);
  g_assert_cmpint (state->updated_replicas, ==, 3);

  state = g_ptr_array_index (fixture->states, 4);
  g_assert_cmpstr (state->resource_version, ==, deployment->resource_version);

  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "get"), ==, 1);
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "watch"), ==, 1);
}

static void
test_rollout_complete_already (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;

  deployment = wait_for_rollout (fixture, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (deployment->image, ==, IMAGE_1);
  g_assert_cmpuint (fixture->states->len, ==, 1);
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "watch"), ==, 0);
}

static void
test_rollout_deadline_exceeded (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;
  DrKubeDeployment *last;

  kube_api_double_set_rollout_fails (fixture->api, NAMESPACE, NAME, TRUE);
  patch_image (fixture->api, IMAGE_2);

  deployment = wait_for_rollout (fixture, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_PROGRESS_DEADLINE_EXCEEDED);
  g_assert_null (deployment);
  g_assert_nonnull (strstr (error->message, "has timed out progressing"));
  g_assert_nonnull (strstr (error->message, "“web”"));
  g_assert_nonnull (strstr (error->message, "“qa”"));

  g_assert_cmpuint (fixture->states->len, ==, 3);
  last = g_ptr_array_index (fixture->states, fixture->states->len - 1);
  g_assert_true (last->progress_deadline_exceeded);
  g_assert_false (last->progressing);
  g_assert_cmpint (last->updated_replicas, ==, 1);
}

static void
test_rollout_watch_closed (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;

  kube_api_double_set_watch_close_after (fixture->api, 1);
  patch_image (fixture->api, IMAGE_2);

  deployment = wait_for_rollout (fixture, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (deployment->image, ==, IMAGE_2);
  g_assert_cmpint (deployment->observed_generation, ==, 2);

  /* Each of the four steps came on its own watch, resumed from the last resourceVersion, and
   * no step was missed or reported twice. */
  g_assert_cmpuint (fixture->states->len, ==, 5);
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "watch"), ==, 4);
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "get"), ==, 1);
}

static gboolean
tick_after_second_watch_cb (gpointer user_data)
{
  Fixture *fixture = user_data;

  if (kube_api_double_get_request_count (fixture->api, "watch") < 2)
    return G_SOURCE_CONTINUE;

  fixture->tick_on_progress = TRUE;
  kube_api_double_tick (fixture->api);

  return G_SOURCE_REMOVE;
}

static void
test_rollout_watch_timeout (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;

  /* The first watch gets no event and the server ends it, and the rollout only moves once the
   * client has watched again. */
  kube_api_double_set_watch_timeout (fixture->api, 50);
  patch_image (fixture->api, IMAGE_2);
  fixture->tick_on_progress = FALSE;
  g_timeout_add (10, tick_after_second_watch_cb, fixture);

  deployment = wait_for_rollout (fixture, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (deployment->image, ==, IMAGE_2);
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "watch"), >=, 2);
  g_assert_cmpuint (fixture->states->len, ==, 5);
}

static void
test_rollout_gone (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;

  kube_api_double_compact_after_next_get (fixture->api);
  patch_image (fixture->api, IMAGE_2);

  deployment = wait_for_rollout (fixture, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (deployment->image, ==, IMAGE_2);
  g_assert_cmpint (deployment->observed_generation, ==, 2);
  g_assert_true (deployment->available);

  /* The first watch got 410 Gone, so the client read the Deployment again and watched from
   * there. */
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "get"), ==, 2);
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "watch"), >=, 2);
}

static gboolean
delete_when_watching_cb (gpointer user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(JsonObject) response = NULL;
  guint status;

  if (kube_api_double_get_request_count (fixture->api, "watch") < 1)
    return G_SOURCE_CONTINUE;

  status = send_raw (fixture->api, "DELETE", "/apis/apps/v1/namespaces/qa/deployments/web",
                     NULL, NULL, &response);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (response, "status"), ==, "Success");

  return G_SOURCE_REMOVE;
}

static void
test_rollout_deleted (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;

  patch_image (fixture->api, IMAGE_2);
  fixture->tick_on_progress = FALSE;
  g_timeout_add (10, delete_when_watching_cb, fixture);

  deployment = wait_for_rollout (fixture, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_NOT_FOUND);
  g_assert_null (deployment);
  g_assert_nonnull (strstr (error->message, "was deleted"));
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "delete"), ==, 1);
}

static void
test_rollout_auto_ticks (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;

  /* The rollout moves on the double's own timer, whatever the client sees of it. */
  fixture->tick_on_progress = FALSE;
  kube_api_double_set_tick_interval (fixture->api, 20);
  patch_image (fixture->api, IMAGE_2);

  deployment = wait_for_rollout (fixture, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (deployment->image, ==, IMAGE_2);
  g_assert_cmpint (deployment->observed_generation, ==, 2);
  g_assert_cmpint (deployment->available_replicas, ==, 3);
  g_assert_cmpuint (fixture->states->len, >=, 1);
}

static gboolean
cancel_when_watching_cb (gpointer user_data)
{
  Fixture *fixture = user_data;

  if (kube_api_double_get_request_count (fixture->api, "watch") < 1)
    return G_SOURCE_CONTINUE;

  g_cancellable_cancel (fixture->cancellable);

  return G_SOURCE_REMOVE;
}

static void
test_rollout_cancelled (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;

  patch_image (fixture->api, IMAGE_2);
  fixture->tick_on_progress = FALSE;
  g_timeout_add (10, cancel_when_watching_cb, fixture);

  deployment = wait_for_rollout (fixture, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (deployment);
  g_assert_cmpuint (fixture->states->len, ==, 1);
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "watch"), ==, 1);
}

/* TLS */

static KubeApiDouble *
start_https_double (void)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = g_strconcat (server_certificate, server_key, NULL);
  KubeApiDouble *api = kube_api_double_new (TOKEN);

  certificate = g_tls_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  kube_api_double_listen_https (api, certificate, &error);
  g_assert_no_error (error);

  return api;
}

static char *
https_version (KubeApiDouble  *api,
               const char     *certificate_authority,
               gboolean        insecure,
               GError        **error)
{
  g_autoptr(DrClusterCredentials) credentials = NULL;
  g_autoptr(DrKubeClient) client = NULL;
  g_autoptr(GError) local_error = NULL;

  credentials = make_credentials (kube_api_double_get_https_url (api), TOKEN);
  credentials->certificate_authority = g_strdup (certificate_authority);
  credentials->insecure_skip_tls_verify = insecure;

  client = dr_kube_client_new (credentials, &local_error);
  g_assert_no_error (local_error);

  return get_version (client, error);
}

static void
test_tls (void)
{
  g_autoptr(KubeApiDouble) api = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *accepted = NULL;
  g_autofree char *other_ca = NULL;
  g_autofree char *system_ca = NULL;
  g_autofree char *insecure = NULL;

  if (server_certificate == NULL) {
    g_test_skip ("openssl is not installed, so there is no certificate for the HTTPS server");
    return;
  }

  api = start_https_double ();

  accepted = https_version (api, server_certificate, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (accepted, ==, "v1.29.2");

  other_ca = https_version (api, other_certificate, FALSE, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_UNREACHABLE);
  g_assert_null (other_ca);
  g_assert_nonnull (strstr (error->message, "not signed by the cluster’s certificate authority"));
  g_clear_error (&error);

  system_ca = https_version (api, NULL, FALSE, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_UNREACHABLE);
  g_assert_null (system_ca);
  g_clear_error (&error);

  insecure = https_version (api, NULL, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (insecure, ==, "v1.29.2");

  /* Only the two accepted connections reached the server. */
  g_assert_cmpuint (kube_api_double_get_request_count (api, "version"), ==, 2);
}

static void
test_tls_client_certificate (void)
{
  g_autoptr(KubeApiDouble) api = NULL;
  g_autoptr(GTlsCertificate) trusted = NULL;
  g_autoptr(DrClusterCredentials) credentials = NULL;
  g_autoptr(DrClusterCredentials) untrusted_credentials = NULL;
  g_autoptr(DrKubeClient) client = NULL;
  g_autoptr(DrKubeClient) untrusted_client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;
  g_autofree char *untrusted_version = NULL;

  if (server_certificate == NULL) {
    g_test_skip ("openssl is not installed, so there are no certificates for TLS");
    return;
  }

  api = start_https_double ();
  trusted = g_tls_certificate_new_from_pem (other_certificate, -1, &error);
  g_assert_no_error (error);
  kube_api_double_trust_client_certificate (api, trusted);

  /* No token: the client certificate alone authenticates. */
  credentials = make_credentials (kube_api_double_get_https_url (api), NULL);
  credentials->certificate_authority = g_strdup (server_certificate);
  credentials->client_certificate = g_strdup (other_certificate);
  credentials->client_key = g_strdup (other_key);
  client = dr_kube_client_new (credentials, &error);
  g_assert_no_error (error);

  version = get_version (client, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (version, ==, "v1.29.2");

  /* The server's own certificate is valid PEM, but not the one the server trusts. */
  untrusted_credentials = make_credentials (kube_api_double_get_https_url (api), NULL);
  untrusted_credentials->certificate_authority = g_strdup (server_certificate);
  untrusted_credentials->client_certificate = g_strdup (server_certificate);
  untrusted_credentials->client_key = g_strdup (server_key);
  untrusted_client = dr_kube_client_new (untrusted_credentials, &error);
  g_assert_no_error (error);

  untrusted_version = get_version (untrusted_client, &error);
  /* The server ends the TLS handshake, so no HTTP response arrives. */
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_UNREACHABLE);
  g_assert_null (untrusted_version);
  g_assert_cmpuint (kube_api_double_get_request_count (api, "version"), ==, 1);
}

/* Rolling back */

static void
test_undo_previous (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(DrKubeRollback) rollback = NULL;
  g_autoptr(DrKubeDeployment) deployment = NULL;
  g_autoptr(GError) error = NULL;

  roll_out (fixture->api, IMAGE_2);
  roll_out (fixture->api, IMAGE_3);

  rollback = undo_rollout (fixture->client, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (rollback);
  g_assert_cmpint (rollback->from_revision, ==, 3);
  g_assert_cmpstr (rollback->from_image, ==, IMAGE_3);
  g_assert_cmpint (rollback->to_revision, ==, 2);
  g_assert_cmpstr (rollback->to_image, ==, IMAGE_2);
  g_assert_true (rollback->changed);
  g_assert_cmpstr (kube_api_double_get_image (fixture->api, NAMESPACE, NAME), ==, IMAGE_2);
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "list-replicasets"), ==, 1);
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "patch"), ==, 3);

  /* The controller adopts the ReplicaSet of revision 2 as the newest, revision 4. */
  while (kube_api_double_tick (fixture->api))
    ;
  deployment = get_deployment (fixture->client, NAMESPACE, NAME, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (deployment->image, ==, IMAGE_2);
  g_assert_cmpint (deployment->revision, ==, 4);
  g_assert_true (deployment->available);
}

static void
test_undo_to_revision (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(DrKubeRollback) rollback = NULL;
  g_autoptr(GError) error = NULL;

  roll_out (fixture->api, IMAGE_2);
  roll_out (fixture->api, IMAGE_3);

  rollback = undo_rollout (fixture->client, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rollback->from_revision, ==, 3);
  g_assert_cmpstr (rollback->from_image, ==, IMAGE_3);
  g_assert_cmpint (rollback->to_revision, ==, 1);
  g_assert_cmpstr (rollback->to_image, ==, IMAGE_1);
  g_assert_true (rollback->changed);
  g_assert_cmpstr (kube_api_double_get_image (fixture->api, NAMESPACE, NAME), ==, IMAGE_1);
}

/* Rolling back to the revision that runs already changes nothing, as kubectl skips it. */
static void
test_undo_current_revision (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(DrKubeRollback) rollback = NULL;
  g_autoptr(GError) error = NULL;

  roll_out (fixture->api, IMAGE_2);

  rollback = undo_rollout (fixture->client, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rollback->from_revision, ==, 2);
  g_assert_cmpint (rollback->to_revision, ==, 2);
  g_assert_cmpstr (rollback->to_image, ==, IMAGE_2);
  g_assert_false (rollback->changed);
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "patch"), ==, 1);
}

static void
test_undo_no_previous (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(DrKubeRollback) rollback = NULL;
  g_autoptr(GError) error = NULL;

  rollback = undo_rollout (fixture->client, 0, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_REVISION_NOT_FOUND);
  g_assert_null (rollback);
  g_assert_nonnull (strstr (error->message, "Deployment “web”"));
  g_assert_nonnull (strstr (error->message, "namespace “qa”"));
  g_assert_nonnull (strstr (error->message, "no revision before revision 1"));
  g_assert_nonnull (strstr (error->message, "Deploy an earlier build"));
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "patch"), ==, 0);
  g_assert_cmpstr (kube_api_double_get_image (fixture->api, NAMESPACE, NAME), ==, IMAGE_1);
}

static void
test_undo_revision_not_found (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(DrKubeRollback) rollback = NULL;
  g_autoptr(GError) error = NULL;

  roll_out (fixture->api, IMAGE_2);

  rollback = undo_rollout (fixture->client, 7, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_REVISION_NOT_FOUND);
  g_assert_null (rollback);
  g_assert_nonnull (strstr (error->message, "Deployment “web”"));
  g_assert_nonnull (strstr (error->message, "namespace “qa”"));
  g_assert_nonnull (strstr (error->message, "revision 7"));
  g_assert_nonnull (strstr (error->message, "only revisions 1 and 2"));
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "patch"), ==, 1);
}

/* A ReplicaSet that the selector matches but the Deployment does not control is no revision of
 * it, even when its revision number would make it the newest. */
static void
test_undo_ignores_foreign (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(DrKubeRollback) rollback = NULL;
  g_autoptr(GError) error = NULL;

  roll_out (fixture->api, IMAGE_2);
  kube_api_double_add_orphan_replica_set (fixture->api, NAMESPACE, NAME, IMAGE_3, 3);

  rollback = undo_rollout (fixture->client, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rollback->to_revision, ==, 1);
  g_assert_cmpstr (rollback->to_image, ==, IMAGE_1);
  g_assert_cmpstr (kube_api_double_get_image (fixture->api, NAMESPACE, NAME), ==, IMAGE_1);
}

static void
set_image_cb (KubeApiDouble *api,
              gpointer       user_data)
{
  kube_api_double_set_image (api, NAMESPACE, NAME, user_data);
}

/* Someone deploys between the read and the patch: the patch's resourceVersion no longer
 * matches, so their change stays and the rollback fails. */
static void
test_undo_conflict (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(DrKubeRollback) rollback = NULL;
  g_autoptr(GError) error = NULL;

  roll_out (fixture->api, IMAGE_2);
  kube_api_double_hook_next_request (fixture->api, "list-replicasets", set_image_cb,
                                     (gpointer) IMAGE_3);

  rollback = undo_rollout (fixture->client, 0, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_CONFLICT);
  g_assert_null (rollback);
  g_assert_nonnull (strstr (error->message, "Deployment “web”"));
  g_assert_nonnull (strstr (error->message, "namespace “qa”"));
  g_assert_nonnull (strstr (error->message, "revision 1"));
  g_assert_nonnull (strstr (error->message, "changed nothing"));
  g_assert_nonnull (strstr (error->message, "try again"));
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "patch"), ==, 2);
  g_assert_cmpstr (kube_api_double_get_image (fixture->api, NAMESPACE, NAME), ==, IMAGE_3);
}

static void
test_undo_paused (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(DrKubeRollback) rollback = NULL;
  g_autoptr(GError) error = NULL;

  roll_out (fixture->api, IMAGE_2);
  kube_api_double_set_paused (fixture->api, NAMESPACE, NAME, TRUE);

  rollback = undo_rollout (fixture->client, 0, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_PAUSED);
  g_assert_null (rollback);
  g_assert_nonnull (strstr (error->message, "Deployment “web”"));
  g_assert_nonnull (strstr (error->message, "namespace “qa”"));
  g_assert_nonnull (strstr (error->message, "paused at revision 2"));
  g_assert_nonnull (strstr (error->message, "kubectl rollout resume deployment/web -n qa"));
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "list-replicasets"), ==, 0);
  g_assert_cmpstr (kube_api_double_get_image (fixture->api, NAMESPACE, NAME), ==, IMAGE_2);
}

static void
test_undo_forbidden (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(DrKubeRollback) list_rollback = NULL;
  g_autoptr(DrKubeRollback) patch_rollback = NULL;
  g_autoptr(GError) error = NULL;

  roll_out (fixture->api, IMAGE_2);

  kube_api_double_forbid (fixture->api, "list", "replicasets");
  list_rollback = undo_rollout (fixture->client, 0, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_FORBIDDEN);
  g_assert_null (list_rollback);
  g_assert_nonnull (strstr (error->message, "Deployment “web”"));
  g_assert_nonnull (strstr (error->message, "namespace “qa”"));
  g_assert_nonnull (strstr (error->message, "HTTP 403"));
  g_assert_nonnull (strstr (error->message, "cannot list resource \"replicasets\""));
  g_assert_nonnull (strstr (error->message, "to list ReplicaSets"));
  g_clear_error (&error);

  /* Reading is allowed, patching is not. */
  kube_api_double_free (fixture->api);
  fixture->api = kube_api_double_new (TOKEN);
  kube_api_double_add_deployment (fixture->api, NAMESPACE, NAME, IMAGE_1, 3);
  roll_out (fixture->api, IMAGE_2);
  g_clear_object (&fixture->client);
  fixture->client = make_client (kube_api_double_get_url (fixture->api), TOKEN);
  kube_api_double_forbid (fixture->api, "patch", "deployments");

  patch_rollback = undo_rollout (fixture->client, 0, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_FORBIDDEN);
  g_assert_null (patch_rollback);
  g_assert_nonnull (strstr (error->message, "Deployment “web”"));
  g_assert_nonnull (strstr (error->message, "to revision 1"));
  g_assert_nonnull (strstr (error->message, "HTTP 403"));
  g_assert_nonnull (strstr (error->message, "to patch Deployments"));
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "forbidden"), ==, 1);
  g_assert_cmpstr (kube_api_double_get_image (fixture->api, NAMESPACE, NAME), ==, IMAGE_2);
}

static void
test_undo_unauthorized (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(DrKubeClient) client = NULL;
  g_autoptr(DrKubeRollback) rollback = NULL;
  g_autoptr(GError) error = NULL;
  const char *wrong_token = "wrong-token-51c0";

  roll_out (fixture->api, IMAGE_2);
  client = make_client (kube_api_double_get_url (fixture->api), wrong_token);

  rollback = undo_rollout (client, 0, &error);
  g_assert_error (error, DR_KUBE_ERROR, DR_KUBE_ERROR_UNAUTHORIZED);
  g_assert_null (rollback);
  g_assert_nonnull (strstr (error->message, "Deployment “web”"));
  g_assert_nonnull (strstr (error->message, "namespace “qa”"));
  g_assert_nonnull (strstr (error->message, "HTTP 401"));
  g_assert_null (strstr (error->message, wrong_token));
  g_assert_cmpstr (kube_api_double_get_image (fixture->api, NAMESPACE, NAME), ==, IMAGE_2);
}

/* The double itself: ReplicaSets as the Deployment controller keeps them */

static JsonObject *
find_replica_set (JsonObject *list,
                  const char *image)
{
  JsonArray *items = json_object_get_array_member (list, "items");

  for (guint i = 0; i < json_array_get_length (items); i++) {
    JsonObject *item = json_array_get_object_element (items, i);
    JsonObject *spec = json_object_get_object_member (item, "spec");
    JsonObject *template = json_object_get_object_member (spec, "template");
    JsonObject *pod_spec = json_object_get_object_member (template, "spec");
    JsonArray *containers = json_object_get_array_member (pod_spec, "containers");
    JsonObject *container = json_array_get_object_element (containers, 0);

    if (g_strcmp0 (json_object_get_string_member (container, "image"), image) == 0)
      return item;
  }

  return NULL;
}

static void
test_double_replica_sets (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(JsonObject) deployment = NULL;
  g_autoptr(JsonObject) list = NULL;
  g_autoptr(JsonObject) filtered = NULL;
  g_autoptr(JsonObject) single = NULL;
  g_autoptr(JsonObject) missing = NULL;
  g_autoptr(JsonObject) invalid = NULL;
  g_autoptr(JsonObject) stale = NULL;
  g_autoptr(JsonObject) mislabelled = NULL;
  g_autofree char *filtered_path = NULL;
  g_autofree char *single_path = NULL;
  JsonObject *first;
  JsonObject *second;
  JsonObject *metadata;
  JsonObject *labels;
  JsonObject *annotations;
  JsonObject *owner;
  const char *hash;
  const char *uid;
  guint status;

  roll_out (fixture->api, IMAGE_2);
  roll_out (fixture->api, IMAGE_1);

  status = send_raw (fixture->api, "GET", DEPLOYMENT_PATH, NULL, NULL, &deployment);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  uid = json_object_get_string_member (json_object_get_object_member (deployment, "metadata"),
                                       "uid");

  status = send_raw (fixture->api, "GET", REPLICA_SETS_PATH "?labelSelector=app%3Dweb", NULL,
                     NULL, &list);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (list, "kind"), ==, "ReplicaSetList");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "items")), ==, 2);

  /* Going back to the first template reuses its ReplicaSet with the next revision. */
  first = find_replica_set (list, IMAGE_1);
  g_assert_nonnull (first);
  metadata = json_object_get_object_member (first, "metadata");
  labels = json_object_get_object_member (metadata, "labels");
  annotations = json_object_get_object_member (metadata, "annotations");
  hash = json_object_get_string_member (labels, "pod-template-hash");
  g_assert_nonnull (hash);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (metadata, "name"), "web-"));
  g_assert_cmpstr (json_object_get_string_member (metadata, "name") + 4, ==, hash);
  g_assert_cmpstr (json_object_get_string_member (labels, "app"), ==, "web");
  g_assert_cmpstr (json_object_get_string_member (annotations,
                                                  "deployment.kubernetes.io/revision"), ==, "3");
  g_assert_cmpstr (json_object_get_string_member (annotations,
                                                  "deployment.kubernetes.io/revision-history"),
                   ==, "1");
  owner = json_array_get_object_element (json_object_get_array_member (metadata,
                                                                       "ownerReferences"), 0);
  g_assert_cmpstr (json_object_get_string_member (owner, "kind"), ==, "Deployment");
  g_assert_cmpstr (json_object_get_string_member (owner, "name"), ==, "web");
  g_assert_cmpstr (json_object_get_string_member (owner, "uid"), ==, uid);
  g_assert_true (json_object_get_boolean_member (owner, "controller"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (first, "spec"),
                                               "replicas"), ==, 3);

  second = find_replica_set (list, IMAGE_2);
  g_assert_nonnull (second);
  metadata = json_object_get_object_member (second, "metadata");
  annotations = json_object_get_object_member (metadata, "annotations");
  g_assert_cmpstr (json_object_get_string_member (annotations,
                                                  "deployment.kubernetes.io/revision"), ==, "2");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (second, "spec"),
                                               "replicas"), ==, 0);

  filtered_path = g_strdup_printf (REPLICA_SETS_PATH "?labelSelector=app%%3Dweb%%2C"
                                   "pod-template-hash%%20notin%%20(%s)", hash);
  status = send_raw (fixture->api, "GET", filtered_path, NULL, NULL, &filtered);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (filtered, "items")), ==,
                    1);
  g_assert_nonnull (find_replica_set (filtered, IMAGE_2));

  single_path = g_strdup_printf (REPLICA_SETS_PATH "/web-%s", hash);
  status = send_raw (fixture->api, "GET", single_path, NULL, NULL, &single);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (single, "kind"), ==, "ReplicaSet");

  status = send_raw (fixture->api, "GET", REPLICA_SETS_PATH "/web-none", NULL, NULL, &missing);
  g_assert_cmpuint (status, ==, SOUP_STATUS_NOT_FOUND);
  g_assert_cmpstr (json_object_get_string_member (missing, "kind"), ==, "Status");
  g_assert_cmpstr (json_object_get_string_member (missing, "message"), ==,
                   "replicasets.apps \"web-none\" not found");

  status = send_raw (fixture->api, "GET", REPLICA_SETS_PATH "?labelSelector=app%20in%20web",
                     NULL, NULL, &invalid);
  g_assert_cmpuint (status, ==, SOUP_STATUS_BAD_REQUEST);
  g_assert_cmpstr (json_object_get_string_member (invalid, "reason"), ==, "BadRequest");

  /* A patch that carries an old resourceVersion is a conflict, whatever it changes. */
  status = send_raw (fixture->api, "PATCH", DEPLOYMENT_PATH, "application/merge-patch+json",
                     "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"replicas\":5}}",
                     &stale);
  g_assert_cmpuint (status, ==, SOUP_STATUS_CONFLICT);
  g_assert_cmpstr (json_object_get_string_member (stale, "reason"), ==, "Conflict");

  status = send_raw (fixture->api, "PATCH", DEPLOYMENT_PATH, "application/merge-patch+json",
                     "{\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":\"api\"}}}}}",
                     &mislabelled);
  g_assert_cmpuint (status, ==, SOUP_STATUS_UNPROCESSABLE_ENTITY);
  g_assert_cmpstr (json_object_get_string_member (mislabelled, "reason"), ==, "Invalid");
  g_assert_nonnull (strstr (json_object_get_string_member (mislabelled, "message"),
                            "`selector` does not match template `labels`"));
}

/* The double itself: writes as the API reference documents them */

static void
test_double_writes (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) merge = NULL;
  g_autoptr(JsonObject) stale = NULL;
  g_autoptr(JsonObject) put = NULL;
  g_autoptr(JsonObject) unsupported = NULL;
  g_autoptr(JsonObject) unchanged = NULL;
  g_autofree char *current_version = NULL;
  g_autofree char *put_body = NULL;
  JsonObject *metadata;
  guint status;

  status = send_raw (fixture->api, "PATCH", "/apis/apps/v1/namespaces/qa/deployments/web",
                     "application/merge-patch+json",
                     "{\"spec\":{\"template\":{\"spec\":{\"containers\":"
                     "[{\"name\":\"web\",\"image\":\"" IMAGE_2 "\"}]}}}}", &merge);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  metadata = json_object_get_object_member (merge, "metadata");
  g_assert_cmpint (json_object_get_int_member (metadata, "generation"), ==, 2);
  current_version = g_strdup (json_object_get_string_member (metadata, "resourceVersion"));

  /* The same patch again changes nothing, so neither generation nor resourceVersion moves. */
  status = send_raw (fixture->api, "PATCH", "/apis/apps/v1/namespaces/qa/deployments/web",
                     "application/merge-patch+json",
                     "{\"spec\":{\"template\":{\"spec\":{\"containers\":"
                     "[{\"name\":\"web\",\"image\":\"" IMAGE_2 "\"}]}}}}", &unchanged);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  metadata = json_object_get_object_member (unchanged, "metadata");
  g_assert_cmpint (json_object_get_int_member (metadata, "generation"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (metadata, "resourceVersion"), ==,
                   current_version);

  status = send_raw (fixture->api, "PUT", "/apis/apps/v1/namespaces/qa/deployments/web",
                     "application/json",
                     "{\"metadata\":{\"name\":\"web\",\"resourceVersion\":\"1\"},"
                     "\"spec\":{\"replicas\":3,\"template\":{\"spec\":{\"containers\":"
                     "[{\"name\":\"web\",\"image\":\"" IMAGE_1 "\"}]}}}}", &stale);
  g_assert_cmpuint (status, ==, SOUP_STATUS_CONFLICT);
  g_assert_cmpstr (json_object_get_string_member (stale, "kind"), ==, "Status");
  g_assert_cmpstr (json_object_get_string_member (stale, "reason"), ==, "Conflict");
  g_assert_cmpint (json_object_get_int_member (stale, "code"), ==, 409);

  put_body = g_strdup_printf ("{\"metadata\":{\"name\":\"web\",\"resourceVersion\":\"%s\"},"
                              "\"spec\":{\"replicas\":3,\"template\":{\"spec\":{\"containers\":"
                              "[{\"name\":\"web\",\"image\":\"" IMAGE_1 "\"}]}}}}",
                              current_version);
  status = send_raw (fixture->api, "PUT", "/apis/apps/v1/namespaces/qa/deployments/web",
                     "application/json", put_body, &put);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  metadata = json_object_get_object_member (put, "metadata");
  g_assert_cmpint (json_object_get_int_member (metadata, "generation"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (metadata, "resourceVersion"), !=,
                   current_version);

  status = send_raw (fixture->api, "PATCH", "/apis/apps/v1/namespaces/qa/deployments/web",
                     "application/json-patch+json", "[]", &unsupported);
  g_assert_cmpuint (status, ==, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
  g_assert_cmpstr (json_object_get_string_member (unsupported, "reason"), ==,
                   "UnsupportedMediaType");
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *child = g_build_filename (path, name, NULL);

    g_unlink (child);
  }
  g_rmdir (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  scratch_dir = g_dir_make_tmp ("dynamo-kube-client-XXXXXX", &error);
  g_assert_no_error (error);

  if (generate_certificate ("server", &server_certificate, &server_key))
    generate_certificate ("other", &other_certificate, &other_key);

  g_test_add ("/kube-client/version", Fixture, NULL, fixture_set_up, test_version,
              fixture_tear_down);
  g_test_add ("/kube-client/get-deployment", Fixture, NULL, fixture_set_up,
              test_get_deployment, fixture_tear_down);
  g_test_add ("/kube-client/unauthorized", Fixture, NULL, fixture_set_up, test_unauthorized,
              fixture_tear_down);
  g_test_add ("/kube-client/not-found", Fixture, NULL, fixture_set_up, test_not_found,
              fixture_tear_down);
  g_test_add ("/kube-client/invalid-name", Fixture, NULL, fixture_set_up, test_invalid_name,
              fixture_tear_down);
  g_test_add ("/kube-client/rollout/succeeds", Fixture, NULL, fixture_set_up,
              test_rollout_succeeds, fixture_tear_down);
  g_test_add ("/kube-client/rollout/complete-already", Fixture, NULL, fixture_set_up,
              test_rollout_complete_already, fixture_tear_down);
  g_test_add ("/kube-client/rollout/deadline-exceeded", Fixture, NULL, fixture_set_up,
              test_rollout_deadline_exceeded, fixture_tear_down);
  g_test_add ("/kube-client/rollout/watch-closed", Fixture, NULL, fixture_set_up,
              test_rollout_watch_closed, fixture_tear_down);
  g_test_add ("/kube-client/rollout/watch-timeout", Fixture, NULL, fixture_set_up,
              test_rollout_watch_timeout, fixture_tear_down);
  g_test_add ("/kube-client/rollout/gone", Fixture, NULL, fixture_set_up, test_rollout_gone,
              fixture_tear_down);
  g_test_add ("/kube-client/rollout/deleted", Fixture, NULL, fixture_set_up,
              test_rollout_deleted, fixture_tear_down);
  g_test_add ("/kube-client/rollout/auto-ticks", Fixture, NULL, fixture_set_up,
              test_rollout_auto_ticks, fixture_tear_down);
  g_test_add ("/kube-client/rollout/cancelled", Fixture, NULL, fixture_set_up,
              test_rollout_cancelled, fixture_tear_down);
  g_test_add_func ("/kube-client/tls", test_tls);
  g_test_add_func ("/kube-client/tls-client-certificate", test_tls_client_certificate);
  g_test_add ("/kube-client/undo/previous", Fixture, NULL, fixture_set_up, test_undo_previous,
              fixture_tear_down);
  g_test_add ("/kube-client/undo/to-revision", Fixture, NULL, fixture_set_up,
              test_undo_to_revision, fixture_tear_down);
  g_test_add ("/kube-client/undo/current-revision", Fixture, NULL, fixture_set_up,
              test_undo_current_revision, fixture_tear_down);
  g_test_add ("/kube-client/undo/no-previous", Fixture, NULL, fixture_set_up,
              test_undo_no_previous, fixture_tear_down);
  g_test_add ("/kube-client/undo/revision-not-found", Fixture, NULL, fixture_set_up,
              test_undo_revision_not_found, fixture_tear_down);
  g_test_add ("/kube-client/undo/ignores-foreign", Fixture, NULL, fixture_set_up,
              test_undo_ignores_foreign, fixture_tear_down);
  g_test_add ("/kube-client/undo/conflict", Fixture, NULL, fixture_set_up, test_undo_conflict,
              fixture_tear_down);
  g_test_add ("/kube-client/undo/paused", Fixture, NULL, fixture_set_up, test_undo_paused,
              fixture_tear_down);
  g_test_add ("/kube-client/undo/forbidden", Fixture, NULL, fixture_set_up, test_undo_forbidden,
              fixture_tear_down);
  g_test_add ("/kube-client/undo/unauthorized", Fixture, NULL, fixture_set_up,
              test_undo_unauthorized, fixture_tear_down);
  g_test_add ("/kube-api-double/replica-sets", Fixture, NULL, fixture_set_up,
              test_double_replica_sets, fixture_tear_down);
  g_test_add ("/kube-api-double/writes", Fixture, NULL, fixture_set_up, test_double_writes,
              fixture_tear_down);

  status = g_test_run ();

  remove_tree (scratch_dir);
  g_free (scratch_dir);
  g_free (server_certificate);
  g_free (server_key);
  g_free (other_certificate);
  g_free (other_key);

  return status;
}
