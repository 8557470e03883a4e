/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The live cluster state of a service: the engine reads the Deployment from an API double on
 * loopback with credentials from the real keyring of a private session, and compares it with
 * a real SQLite store. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "dr-credentials.h"
#include "dr-engine.h"
#include "dr-keyring-test.h"
#include "dr-sqlite-store.h"
#include "kube-api-double.h"

#define TOKEN "cluster-state-token-5d81e7"
#define WRONG_TOKEN "stale-token-90c4aa"
#define SHARED_CLUSTER "state-shared"
#define PROD_CLUSTER "state-prod"
#define SERVICE "api"

typedef struct
{
  char          *root;
  DrWorkspace   *workspace;
  DrStore       *store;
  DrEngine      *engine;
  KubeApiDouble *api;
  gboolean       keyring_locked;
} Fixture;

static void
store_credentials (const char *cluster,
                   const char *server,
                   const char *token)
{
  g_autoptr(DrClusterCredentials) credentials = dr_cluster_credentials_new (cluster);
  g_autoptr(GError) error = NULL;

  credentials->server = g_strdup (server);
  credentials->token = g_strdup (token);
  dr_credentials_store_sync (credentials, NULL, &error);
  g_assert_no_error (error);
}

static void
delete_credentials (const char *cluster)
{
  g_autoptr(GError) error = NULL;

  if (!dr_credentials_delete_sync (cluster, NULL, &error))
    g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *workspace_path = NULL;
  g_autofree char *store_path = NULL;
  g_autoptr(GError) error = NULL;

  workspace_path = g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "data",
                                     "cluster-state.yaml", NULL);
  fixture->workspace = dr_workspace_load_file (workspace_path, NULL, &error);
  g_assert_no_error (error);

  fixture->root = g_dir_make_tmp ("dynamo-cluster-state-XXXXXX", &error);
  g_assert_no_error (error);
  store_path = g_build_filename (fixture->root, "store.sqlite3", NULL);
  fixture->store = dr_sqlite_store_open (store_path, &error);
  g_assert_no_error (error);

  fixture->engine = dr_engine_new (fixture->workspace, fixture->store);
  fixture->api = kube_api_double_new (TOKEN);

  /* Development and QA share a cluster; Production has none stored unless a test adds it. */
  store_credentials (SHARED_CLUSTER, kube_api_double_get_url (fixture->api), TOKEN);
  delete_credentials (PROD_CLUSTER);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *store_path = g_build_filename (fixture->root, "store.sqlite3", NULL);

  if (fixture->keyring_locked)
    dr_keyring_test_unlock ();

  delete_credentials (SHARED_CLUSTER);
  delete_credentials (PROD_CLUSTER);

  g_clear_object (&fixture->engine);
  g_clear_object (&fixture->store);
  g_clear_object (&fixture->workspace);
  g_clear_pointer (&fixture->api, kube_api_double_free);

  g_unlink (store_path);
  g_rmdir (fixture->root);
  g_free (fixture->root);
}

static gint64 next_time;

/* Records @version of the service as deployed and verified in @environment, newer than every
 * deployment recorded before. */
static void
record_deployment (Fixture    *fixture,
                   const char *version,
                   const char *environment)
{
  g_autoptr(DrBuild) existing = NULL;
  g_autoptr(GError) error = NULL;
  DrDeployment deployment = { 0 };

  next_time = MAX (next_time + 1, g_get_real_time ());

  existing = dr_store_find_build (fixture->store, SERVICE, version, &error);
  g_assert_no_error (error);
  if (existing == NULL) {
    DrBuild build = { 0 };

    build.service = (char *) SERVICE;
    build.version = (char *) version;
    build.source = (char *) "manual";
    build.recorded_by = (char *) "Rita";
    build.recorded_at = next_time;
    dr_store_insert_build (fixture->store, &build, &error);
    g_assert_no_error (error);
  }

  deployment.service = (char *) SERVICE;
  deployment.version = (char *) version;
  deployment.environment = (char *) environment;
  deployment.state = DR_DEPLOYMENT_SUCCEEDED;
  deployment.verified = TRUE;
  deployment.person = (char *) "Rita";
  deployment.started_at = next_time;
  deployment.finished_at = next_time;
  dr_store_insert_deployment (fixture->store, &deployment, &error);
  g_assert_no_error (error);
}

/* Records a deploy run of @version into @environment that this process is running. */
static void
record_running_deploy (Fixture    *fixture,
                       const char *version,
                       const char *environment)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *log_path = g_build_filename (fixture->root, "deploy.log", NULL);
  g_autofree char *owner = dr_process_owner_for_self ();
  g_autoptr(GPtrArray) steps = g_ptr_array_new ();
  DrRunRecord run = { 0 };

  run.kind = DR_RUN_KIND_DEPLOY;
  run.service = (char *) SERVICE;
  run.version = (char *) version;
  run.environment = (char *) environment;
  run.state = DR_RUN_STATE_RUNNING;
  run.person = (char *) "Rita";
  run.started_at = g_get_real_time ();
  run.log_path = log_path;
  run.owner = owner;
  run.steps = steps;
  dr_store_insert_run (fixture->store, &run, &error);
  g_assert_no_error (error);
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static GPtrArray *
load_states (Fixture       *fixture,
             const char    *service,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  dr_engine_load_cluster_state_async (fixture->engine, service, cancellable, result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return dr_engine_load_cluster_state_finish (fixture->engine, result, error);
}

/* Loads the service's cluster state and returns the one of @environment. */
static DrClusterState *
load_state (Fixture    *fixture,
            const char *environment)
{
  g_autoptr(GPtrArray) states = NULL;
  g_autoptr(GError) error = NULL;

  states = load_states (fixture, SERVICE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (states);
  g_assert_cmpuint (states->len, ==, 3);

  for (guint i = 0; i < states->len; i++) {
    DrClusterState *state = g_ptr_array_index (states, i);

    if (g_str_equal (state->environment, environment))
      return dr_cluster_state_copy (state);
  }

  g_assert_not_reached ();
}

static void
assert_no_secret (const char *text)
{
  if (text == NULL)
    return;

  g_assert_null (strstr (text, TOKEN));
  g_assert_null (strstr (text, WRONG_TOKEN));
}

static void
test_ready (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GPtrArray) states = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  DrClusterState *state;

  kube_api_double_add_deployment (fixture->api, "dev", SERVICE,
                                  "registry.example.test:5000/dynamo/api:1.4.0", 2);
  record_deployment (fixture, "1.4.0", "development");

  states = load_states (fixture, SERVICE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (states->len, ==, 3);

  /* One state per environment, in promotion order. */
  g_assert_cmpstr (((DrClusterState *) g_ptr_array_index (states, 0))->environment, ==,
                   "development");
  g_assert_cmpstr (((DrClusterState *) g_ptr_array_index (states, 1))->environment, ==, "qa");
  g_assert_cmpstr (((DrClusterState *) g_ptr_array_index (states, 2))->environment, ==,
                   "production");

  state = g_ptr_array_index (states, 0);
  g_assert_cmpint (state->status, ==, DR_CLUSTER_STATUS_READY);
  g_assert_cmpstr (state->cluster, ==, SHARED_CLUSTER);
  g_assert_cmpstr (state->namespace, ==, "dev");
  g_assert_cmpstr (state->name, ==, SERVICE);
  g_assert_cmpstr (state->image, ==, "registry.example.test:5000/dynamo/api:1.4.0");
  g_assert_cmpstr (state->tag, ==, "1.4.0");
  g_assert_cmpstr (state->store_version, ==, "1.4.0");
  g_assert_false (state->drift);
  g_assert_cmpint (state->replicas, ==, 2);
  g_assert_cmpint (state->updated_replicas, ==, 2);
  g_assert_cmpint (state->ready_replicas, ==, 2);
  g_assert_cmpint (state->available_replicas, ==, 2);
  g_assert_cmpint (state->revision, ==, 1);
  g_assert_false (state->progress_deadline_exceeded);

  line = dr_cluster_state_describe (state);
  g_assert_cmpstr (line, ==, "Cluster: 1.4.0, 2 of 2 ready");

  /* Both environments of the shared cluster were read with its one set of credentials. */
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "get"), ==, 2);
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "unauthorized"), ==, 0);
}

static void
test_drift (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(DrClusterState) state = NULL;
  g_autoptr(DrClusterState) unrecorded = NULL;
  g_autofree char *line = NULL;
  g_autofree char *unrecorded_line = NULL;

  /* The store records that 1.4.0 replaced 1.3.0, but the cluster still runs 1.3.0. */
  kube_api_double_add_deployment (fixture->api, "qa", SERVICE, "dynamo/api:1.3.0", 2);
  record_deployment (fixture, "1.3.0", "qa");
  record_deployment (fixture, "1.4.0", "qa");

  state = load_state (fixture, "qa");
  g_assert_cmpint (state->status, ==, DR_CLUSTER_STATUS_READY);
  g_assert_cmpstr (state->tag, ==, "1.3.0");
  g_assert_cmpstr (state->store_version, ==, "1.4.0");
  g_assert_true (state->drift);
  line = dr_cluster_state_describe (state);
  g_assert_cmpstr (line, ==, "Cluster runs 1.3.0, the board says 1.4.0");

  /* A Deployment where the store records nothing is drift too. */
  kube_api_double_add_deployment (fixture->api, "dev", SERVICE, "dynamo/api", 1);
  unrecorded = load_state (fixture, "development");
  g_assert_cmpint (unrecorded->status, ==, DR_CLUSTER_STATUS_READY);
  g_assert_cmpstr (unrecorded->tag, ==, "latest");
  g_assert_null (unrecorded->store_version);
  g_assert_true (unrecorded->drift);
  unrecorded_line = dr_cluster_state_describe (unrecorded);
  g_assert_cmpstr (unrecorded_line, ==, "Cluster runs latest, the board shows nothing deployed");
}

static void
test_progressing (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(DrClusterState) state = NULL;
  g_autoptr(DrClusterState) finishing = NULL;
  g_autoptr(DrClusterState) done = NULL;
  g_autofree char *line = NULL;

  kube_api_double_add_deployment (fixture->api, "dev", SERVICE, "dynamo/api:1.4.0", 2);
  record_deployment (fixture, "1.4.0", "development");

  /* Someone else rolls out 1.5.0: one new pod so far. */
  kube_api_double_set_image (fixture->api, "dev", SERVICE, "dynamo/api:1.5.0");
  g_assert_true (kube_api_double_tick (fixture->api));

  state = load_state (fixture, "development");
  g_assert_cmpint (state->status, ==, DR_CLUSTER_STATUS_PROGRESSING);
  g_assert_cmpstr (state->tag, ==, "1.5.0");
  g_assert_cmpint (state->updated_replicas, ==, 1);
  g_assert_cmpint (state->replicas, ==, 2);
  g_assert_cmpint (state->revision, ==, 2);
  g_assert_true (state->drift);
  g_assert_nonnull (state->message);

  /* Every replica is updated but an old pod is still there, so the rollout is not over. */
  g_assert_true (kube_api_double_tick (fixture->api));
  finishing = load_state (fixture, "development");
  g_assert_cmpint (finishing->updated_replicas, ==, 2);
  g_assert_cmpint (finishing->status, ==, DR_CLUSTER_STATUS_PROGRESSING);
  line = dr_cluster_state_describe (finishing);
  g_assert_cmpstr (line, ==,
                   "Cluster runs 1.5.0, the board says 1.4.0; its rollout is in progress "
                   "(2 of 2 updated)");

  g_assert_true (kube_api_double_tick (fixture->api));
  done = load_state (fixture, "development");
  g_assert_cmpint (done->status, ==, DR_CLUSTER_STATUS_READY);
}

/* While this app's own deploy of 1.5.0 runs, the cluster moving to 1.5.0 is no drift. */
static void
test_own_rollout (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(DrClusterState) state = NULL;
  g_autofree char *line = NULL;

  kube_api_double_add_deployment (fixture->api, "dev", SERVICE, "dynamo/api:1.4.0", 3);
  record_deployment (fixture, "1.4.0", "development");
  record_running_deploy (fixture, "1.5.0", "development");
  kube_api_double_set_image (fixture->api, "dev", SERVICE, "dynamo/api:1.5.0");
  g_assert_true (kube_api_double_tick (fixture->api));

  state = load_state (fixture, "development");
  g_assert_cmpint (state->status, ==, DR_CLUSTER_STATUS_PROGRESSING);
  g_assert_cmpstr (state->tag, ==, "1.5.0");
  g_assert_cmpstr (state->store_version, ==, "1.4.0");
  g_assert_false (state->drift);
  line = dr_cluster_state_describe (state);
  g_assert_cmpstr (line, ==, "Cluster: rollout in progress (1 of 3 updated)");
}

static void
test_degraded_deadline (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(DrClusterState) state = NULL;
  g_autofree char *line = NULL;

  kube_api_double_add_deployment (fixture->api, "dev", SERVICE, "dynamo/api:1.4.0", 2);
  record_deployment (fixture, "1.5.0", "development");
  kube_api_double_set_rollout_fails (fixture->api, "dev", SERVICE, TRUE);
  kube_api_double_set_image (fixture->api, "dev", SERVICE, "dynamo/api:1.5.0");
  g_assert_true (kube_api_double_tick (fixture->api));
  g_assert_true (kube_api_double_tick (fixture->api));

  state = load_state (fixture, "development");
  g_assert_cmpint (state->status, ==, DR_CLUSTER_STATUS_DEGRADED);
  g_assert_true (state->progress_deadline_exceeded);
  g_assert_false (state->drift);
  g_assert_nonnull (strstr (state->message, "has timed out progressing"));
  line = dr_cluster_state_describe (state);
  g_assert_cmpstr (line, ==, "Cluster: rollout of 1.5.0 stalled past its progress deadline");
}

/* A rollout made outside the board that stalls shows both the drift and the stall. */
static void
test_drift_stalled (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(DrClusterState) state = NULL;
  g_autofree char *line = NULL;

  kube_api_double_add_deployment (fixture->api, "dev", SERVICE, "dynamo/api:1.0.0", 2);
  record_deployment (fixture, "1.0.0", "development");
  kube_api_double_set_rollout_fails (fixture->api, "dev", SERVICE, TRUE);
  kube_api_double_set_image (fixture->api, "dev", SERVICE, "dynamo/api:1.1.0");
  g_assert_true (kube_api_double_tick (fixture->api));
  g_assert_true (kube_api_double_tick (fixture->api));

  state = load_state (fixture, "development");
  g_assert_cmpint (state->status, ==, DR_CLUSTER_STATUS_DEGRADED);
  g_assert_true (state->progress_deadline_exceeded);
  g_assert_true (state->drift);
  line = dr_cluster_state_describe (state);
  g_assert_cmpstr (line, ==,
                   "Cluster runs 1.1.0, the board says 1.0.0; its rollout stalled past its "
                   "progress deadline");
}

static void
test_degraded_unavailable (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(DrClusterState) state = NULL;
  g_autofree char *line = NULL;

  kube_api_double_add_deployment (fixture->api, "qa", SERVICE, "dynamo/api:1.4.0", 3);
  record_deployment (fixture, "1.4.0", "qa");
  kube_api_double_set_available_replicas (fixture->api, "qa", SERVICE, 1);

  state = load_state (fixture, "qa");
  g_assert_cmpint (state->status, ==, DR_CLUSTER_STATUS_DEGRADED);
  g_assert_false (state->progress_deadline_exceeded);
  g_assert_cmpint (state->available_replicas, ==, 1);
  g_assert_cmpint (state->ready_replicas, ==, 1);
  g_assert_false (state->drift);
  line = dr_cluster_state_describe (state);
  g_assert_cmpstr (line, ==, "Cluster: 1.4.0 degraded, 1 of 3 available");
}

static void
test_not_found (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(DrClusterState) state = NULL;
  g_autofree char *line = NULL;

  /* Another service's Deployment in the namespace does not count. */
  kube_api_double_add_deployment (fixture->api, "qa", "web", "dynamo/web:1.4.0", 1);
  record_deployment (fixture, "1.4.0", "qa");

  state = load_state (fixture, "qa");
  g_assert_cmpint (state->status, ==, DR_CLUSTER_STATUS_NOT_FOUND);
  g_assert_null (state->image);
  g_assert_null (state->tag);
  g_assert_cmpstr (state->store_version, ==, "1.4.0");
  g_assert_false (state->drift);
  g_assert_nonnull (strstr (state->message, "no Deployment “api” in namespace “qa”"));
  line = dr_cluster_state_describe (state);
  g_assert_cmpstr (line, ==, "Cluster: no Deployment api in namespace qa");
}

static void
test_unauthorized (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(DrClusterState) state = NULL;
  g_autofree char *line = NULL;

  kube_api_double_add_deployment (fixture->api, "dev", SERVICE, "dynamo/api:1.4.0", 1);
  store_credentials (SHARED_CLUSTER, kube_api_double_get_url (fixture->api), WRONG_TOKEN);

  state = load_state (fixture, "development");
  g_assert_cmpint (state->status, ==, DR_CLUSTER_STATUS_UNAUTHORIZED);
  g_assert_false (state->drift);
  g_assert_nonnull (state->message);
  g_assert_nonnull (strstr (state->message, "401"));
  assert_no_secret (state->message);
  line = dr_cluster_state_describe (state);
  g_assert_cmpstr (line, ==, "Cluster state-shared rejected the stored credentials");
  assert_no_secret (line);
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "unauthorized"), ==, 2);
}

static void
test_not_configured (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(DrClusterState) state = NULL;
  g_autofree char *line = NULL;

  record_deployment (fixture, "1.4.0", "production");

  state = load_state (fixture, "production");
  g_assert_cmpint (state->status, ==, DR_CLUSTER_STATUS_NOT_CONFIGURED);
  g_assert_cmpstr (state->cluster, ==, PROD_CLUSTER);
  g_assert_cmpstr (state->store_version, ==, "1.4.0");
  g_assert_false (state->drift);
  g_assert_nonnull (strstr (state->message, PROD_CLUSTER));
  line = dr_cluster_state_describe (state);
  g_assert_cmpstr (line, ==, "No credentials for state-prod");
}

static void
test_keyring_locked (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(DrClusterState) state = NULL;
  g_autofree char *line = NULL;

  kube_api_double_add_deployment (fixture->api, "dev", SERVICE, "dynamo/api:1.4.0", 1);
  dr_keyring_test_lock ();
  fixture->keyring_locked = TRUE;

  state = load_state (fixture, "development");
  g_assert_cmpint (state->status, ==, DR_CLUSTER_STATUS_KEYRING_UNAVAILABLE);
  g_assert_true (state->keyring_locked);
  g_assert_nonnull (strstr (state->message, "locked"));
  line = dr_cluster_state_describe (state);
  g_assert_cmpstr (line, ==, "Keyring locked. Unlock it, for example by logging in again or "
                             "with Seahorse, and the credentials are read again.");

  /* Nothing reached the cluster without credentials. */
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "get"), ==, 0);

  dr_keyring_test_unlock ();
  fixture->keyring_locked = FALSE;
  g_clear_pointer (&state, dr_cluster_state_free);
  state = load_state (fixture, "development");
  g_assert_cmpint (state->status, ==, DR_CLUSTER_STATUS_READY);
}

/* Returns a loopback port that nothing listens on: one the kernel handed out and that was
 * closed again at once. */
static guint16
closed_loopback_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  g_socket_bind (socket, any_port, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, &error);
  g_assert_no_error (error);

  return port;
}

static void
test_unreachable (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(DrClusterState) state = NULL;
  g_autofree char *server = g_strdup_printf ("http://127.0.0.1:%u", closed_loopback_port ());
  g_autofree char *line = NULL;

  store_credentials (PROD_CLUSTER, server, TOKEN);
  record_deployment (fixture, "1.4.0", "production");

  state = load_state (fixture, "production");
  g_assert_cmpint (state->status, ==, DR_CLUSTER_STATUS_UNREACHABLE);
  g_assert_nonnull (strstr (state->message, server));
  g_assert_false (state->drift);
  assert_no_secret (state->message);
  line = dr_cluster_state_describe (state);
  g_assert_true (g_str_has_prefix (line, "Cluster unreachable: "));
  g_assert_nonnull (strstr (line, server));
}

static void
test_cancelled (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) states = NULL;
  g_autoptr(GError) error = NULL;

  kube_api_double_add_deployment (fixture->api, "dev", SERVICE, "dynamo/api:1.4.0", 1);
  g_cancellable_cancel (cancellable);

  states = load_states (fixture, SERVICE, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (states);
}

static void
test_unknown_service (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) states = NULL;
  g_autoptr(GError) error = NULL;

  states = load_states (fixture, "billing", NULL, &error);
  g_assert_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "billing"));
  g_assert_null (states);
}

static void
test_image_tag (void)
{
  const struct {
    const char *image;
    const char *tag;
  } cases[] = {
    { "dynamo/api:1.4.0", "1.4.0" },
    { "registry.example.test:5000/dynamo/api:1.4.0", "1.4.0" },
    { "registry.example.test:5000/dynamo/api", "latest" },
    { "api", "latest" },
    { "dynamo/api:1.4.0@sha256:0123abcd", "1.4.0" },
    { "dynamo/api@sha256:0123abcd", NULL },
    { "", NULL },
    { NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *tag = dr_cluster_image_dup_tag (cases[i].image);

    g_assert_cmpstr (tag, ==, cases[i].tag);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cluster-state/image-tag", test_image_tag);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/cluster-state/ready", test_ready);
  ADD ("/cluster-state/drift", test_drift);
  ADD ("/cluster-state/drift-stalled", test_drift_stalled);
  ADD ("/cluster-state/progressing", test_progressing);
  ADD ("/cluster-state/own-rollout", test_own_rollout);
  ADD ("/cluster-state/degraded-deadline", test_degraded_deadline);
  ADD ("/cluster-state/degraded-unavailable", test_degraded_unavailable);
  ADD ("/cluster-state/not-found", test_not_found);
  ADD ("/cluster-state/unauthorized", test_unauthorized);
  ADD ("/cluster-state/not-configured", test_not_configured);
  ADD ("/cluster-state/keyring-locked", test_keyring_locked);
  ADD ("/cluster-state/unreachable", test_unreachable);
  ADD ("/cluster-state/cancelled", test_cancelled);
  ADD ("/cluster-state/unknown-service", test_unknown_service);

#undef ADD

  return g_test_run ();
}
