/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs under with-keyring.sh: a private D-Bus session with an unlocked gnome-keyring whose login
 * password is "test", and private HOME and XDG_* folders. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "dr-credentials.h"
#include "dr-keyring-test.h"

#define TEST_TOKEN "eyJhbGciOiJSUzI1NiJ9.dGVzdC10b2tlbi1wYXlsb2Fk.c2lnbmF0dXJl"
#define KEYRING_PASSWORD "test"

/* A certificate and key made with openssl for this run, or NULL when openssl is missing. */
static char *test_certificate;
static char *test_key;
static char *scratch_dir;

static gboolean
generate_certificate (const char  *folder,
                      char       **certificate,
                      char       **key)
{
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *cert_path = g_build_filename (folder, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (folder, "key.pem", NULL);
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

  return TRUE;
}

static DrClusterCredentials *
make_credentials (const char *cluster)
{
  DrClusterCredentials *credentials = dr_cluster_credentials_new (cluster);

  credentials->server = g_strdup ("https://api.qa.example.test:6443");
  credentials->token = g_strdup (TEST_TOKEN);

  return credentials;
}

static void
assert_credentials_equal (const DrClusterCredentials *actual,
                          const DrClusterCredentials *expected)
{
  g_assert_cmpstr (actual->cluster, ==, expected->cluster);
  g_assert_cmpstr (actual->server, ==, expected->server);
  g_assert_cmpstr (actual->token, ==, expected->token);
  g_assert_cmpstr (actual->certificate_authority, ==, expected->certificate_authority);
  g_assert_cmpstr (actual->client_certificate, ==, expected->client_certificate);
  g_assert_cmpstr (actual->client_key, ==, expected->client_key);
  g_assert_cmpint (actual->insecure_skip_tls_verify, ==, expected->insecure_skip_tls_verify);
}

static SecretService *
get_service (void)
{
  g_autoptr(GError) error = NULL;
  SecretService *service;

  service = secret_service_get_sync (SECRET_SERVICE_NONE, NULL, &error);
  g_assert_no_error (error);

  return service;
}

static guint
count_keyring_items (const char *cluster)
{
  static const SecretSchema schema = {
    "org.dynamorelease.DynamoRelease.Cluster", SECRET_SCHEMA_NONE,
    { { "cluster", SECRET_SCHEMA_ATTRIBUTE_STRING }, { NULL, 0 } },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(SecretService) service = get_service ();
  GList *items;
  guint count;

  attributes = secret_attributes_build (&schema, "cluster", cluster, NULL);
  items = secret_service_search_sync (service, &schema, attributes, SECRET_SEARCH_ALL, NULL,
                                      &error);
  g_assert_no_error (error);

  count = g_list_length (items);
  g_list_free_full (items, g_object_unref);

  return count;
}

static void
test_round_trip (void)
{
  g_autoptr(DrClusterCredentials) credentials = make_credentials ("qa-round-trip");
  g_autoptr(DrClusterCredentials) found = NULL;
  g_autoptr(DrClusterCredentials) after_delete = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (test_certificate != NULL) {
    credentials->certificate_authority = g_strdup (test_certificate);
    credentials->client_certificate = g_strdup (test_certificate);
    credentials->client_key = g_strdup (test_key);
  }
  credentials->insecure_skip_tls_verify = TRUE;

  ok = dr_credentials_store_sync (credentials, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpuint (count_keyring_items ("qa-round-trip"), ==, 1);

  found = dr_credentials_lookup_sync ("qa-round-trip", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (found);
  assert_credentials_equal (found, credentials);

  ok = dr_credentials_delete_sync ("qa-round-trip", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpuint (count_keyring_items ("qa-round-trip"), ==, 0);

  after_delete = dr_credentials_lookup_sync ("qa-round-trip", NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND);
  g_assert_null (after_delete);
}

static void
test_overwrite (void)
{
  g_autoptr(DrClusterCredentials) first = make_credentials ("qa-overwrite");
  g_autoptr(DrClusterCredentials) second = make_credentials ("qa-overwrite");
  g_autoptr(DrClusterCredentials) found = NULL;
  g_autoptr(GError) error = NULL;

  g_free (second->server);
  second->server = g_strdup ("https://api.qa2.example.test:6443");
  g_free (second->token);
  second->token = g_strdup ("second-token-value");

  dr_credentials_store_sync (first, NULL, &error);
  g_assert_no_error (error);
  dr_credentials_store_sync (second, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (count_keyring_items ("qa-overwrite"), ==, 1);

  found = dr_credentials_lookup_sync ("qa-overwrite", NULL, &error);
  g_assert_no_error (error);
  assert_credentials_equal (found, second);

  dr_credentials_delete_sync ("qa-overwrite", NULL, &error);
  g_assert_no_error (error);
}

static void
test_not_found (void)
{
  g_autoptr(DrClusterCredentials) found = NULL;
  g_autoptr(GError) error = NULL;
  gboolean deleted;

  found = dr_credentials_lookup_sync ("never-stored", NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "never-stored"));
  g_assert_null (found);
  g_clear_error (&error);

  deleted = dr_credentials_delete_sync ("never-stored", NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND);
  g_assert_false (deleted);
}

static void
test_store_invalid (void)
{
  g_autoptr(DrClusterCredentials) credentials = make_credentials ("qa-invalid");
  g_autoptr(GError) error = NULL;
  gboolean stored;

  g_clear_pointer (&credentials->token, g_free);
  stored = dr_credentials_store_sync (credentials, NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID);
  g_assert_false (stored);
  g_assert_cmpuint (count_keyring_items ("qa-invalid"), ==, 0);
}

/* Asynchronous forms */

static void
async_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **result_out = user_data;

  *result_out = g_object_ref (result);
}

static GAsyncResult *
wait_for_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *slot;
}

static void
test_async (void)
{
  g_autoptr(DrClusterCredentials) credentials = make_credentials ("qa-async");
  g_autoptr(DrClusterCredentials) found = NULL;
  g_autoptr(GAsyncResult) store_result = NULL;
  g_autoptr(GAsyncResult) lookup_result = NULL;
  g_autoptr(GAsyncResult) delete_result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  dr_credentials_store_async (credentials, NULL, async_done_cb, &store_result);
  ok = dr_credentials_store_finish (wait_for_result (&store_result), &error);
  g_assert_no_error (error);
  g_assert_true (ok);

  dr_credentials_lookup_async ("qa-async", NULL, async_done_cb, &lookup_result);
  found = dr_credentials_lookup_finish (wait_for_result (&lookup_result), &error);
  g_assert_no_error (error);
  assert_credentials_equal (found, credentials);

  dr_credentials_delete_async ("qa-async", NULL, async_done_cb, &delete_result);
  ok = dr_credentials_delete_finish (wait_for_result (&delete_result), &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpuint (count_keyring_items ("qa-async"), ==, 0);
}

/* The locked keyring */

static void
test_locked (void)
{
  g_autoptr(DrClusterCredentials) credentials = make_credentials ("qa-locked");
  g_autoptr(DrClusterCredentials) other = make_credentials ("qa-locked-other");
  g_autoptr(DrClusterCredentials) found = NULL;
  g_autoptr(DrClusterCredentials) async_found = NULL;
  g_autoptr(DrClusterCredentials) after_unlock = NULL;
  g_autoptr(GAsyncResult) lookup_result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  dr_credentials_store_sync (credentials, NULL, &error);
  g_assert_no_error (error);

  dr_keyring_test_lock ();

  found = dr_credentials_lookup_sync ("qa-locked", NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_LOCKED);
  g_assert_cmpstr (error->message, ==,
                   "The keyring is locked. Unlock it, for example by logging in again, then try "
                   "again.");
  g_assert_null (found);
  g_clear_error (&error);

  ok = dr_credentials_store_sync (other, NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_LOCKED);
  g_assert_false (ok);
  g_clear_error (&error);

  ok = dr_credentials_delete_sync ("qa-locked", NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_LOCKED);
  g_assert_false (ok);
  g_clear_error (&error);

  dr_credentials_lookup_async ("qa-locked", NULL, async_done_cb, &lookup_result);
  async_found = dr_credentials_lookup_finish (wait_for_result (&lookup_result), &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_LOCKED);
  g_assert_null (async_found);
  g_clear_error (&error);

  dr_keyring_test_unlock ();

  after_unlock = dr_credentials_lookup_sync ("qa-locked", NULL, &error);
  g_assert_no_error (error);
  assert_credentials_equal (after_unlock, credentials);
  g_assert_cmpuint (count_keyring_items ("qa-locked-other"), ==, 0);

  dr_credentials_delete_sync ("qa-locked", NULL, &error);
  g_assert_no_error (error);
}

/* No Secret Service: a bus of our own without any service files, so nothing gets activated. */

static const char empty_bus_config[] =
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
  "<busconfig>\n"
  "  <type>session</type>\n"
  "  <listen>unix:dir=%s</listen>\n"
  "  <auth>EXTERNAL</auth>\n"
  "  <policy context=\"default\">\n"
  "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
  "    <allow eavesdrop=\"true\"/>\n"
  "    <allow own=\"*\"/>\n"
  "  </policy>\n"
  "</busconfig>\n";

/* Ends the bus with this process, even when an assertion aborts it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
no_keyring_subprocess (void)
{
  g_autofree char *folder = g_build_filename (scratch_dir, "empty-bus", NULL);
  g_autofree char *config_path = g_build_filename (folder, "bus.conf", NULL);
  g_autofree char *config = g_strdup_printf (empty_bus_config, folder);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(DrClusterCredentials) credentials = make_credentials ("qa-no-keyring");
  g_autoptr(DrClusterCredentials) found = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  gboolean ok;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  daemon = g_subprocess_launcher_spawn (launcher, &error, "dbus-daemon", "--nofork",
                                        "--print-address=1", "--config-file", config_path, NULL);
  g_assert_no_error (error);

  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (daemon));
  address = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (address);

  /* Nothing in this process has touched the session bus yet, so the new address applies. */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);

  found = dr_credentials_lookup_sync ("qa-no-keyring", NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NO_KEYRING);
  g_assert_cmpstr (error->message, ==,
                   "No keyring is running. Start GNOME Keyring (or another Secret Service) and "
                   "unlock it, then try again.");
  g_assert_null (found);
  g_clear_error (&error);

  ok = dr_credentials_store_sync (credentials, NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NO_KEYRING);
  g_assert_false (ok);
  g_clear_error (&error);

  ok = dr_credentials_delete_sync ("qa-no-keyring", NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NO_KEYRING);
  g_assert_false (ok);
  g_clear_error (&error);

  g_subprocess_force_exit (daemon);
  g_subprocess_wait (daemon, NULL, &error);
  g_assert_no_error (error);
}

static void
test_no_keyring (void)
{
  if (g_test_subprocess ()) {
    no_keyring_subprocess ();
    return;
  }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* Validation */

typedef struct
{
  const char *name;
  const char *server;
  const char *token;
  gboolean    with_client_certificate;
  gboolean    with_client_key;
  const char *certificate_authority;   /* "generated" for the test certificate */
  gboolean    valid;
  const char *message_part;
} ValidateCase;

static void
test_validate (void)
{
  static const ValidateCase cases[] = {
    { "https with token", "https://api.example.test:6443", "abc", FALSE, FALSE, NULL, TRUE,
      NULL },
    { "http on loopback", "http://127.0.0.1:8080", "abc", FALSE, FALSE, NULL, TRUE, NULL },
    { "http on localhost", "http://localhost:8080", "abc", FALSE, FALSE, NULL, TRUE, NULL },
    { "http on ::1", "http://[::1]:8080", "abc", FALSE, FALSE, NULL, TRUE, NULL },
    { "http elsewhere", "http://api.example.test", "abc", FALSE, FALSE, NULL, FALSE,
      "http://" },
    { "no server", NULL, "abc", FALSE, FALSE, NULL, FALSE, "API server URL" },
    { "not a URL", "api.example.test:6443", "abc", FALSE, FALSE, NULL, FALSE,
      "api.example.test:6443" },
    { "ftp scheme", "ftp://api.example.test", "abc", FALSE, FALSE, NULL, FALSE, "“ftp”" },
    { "no credential", "https://api.example.test", NULL, FALSE, FALSE, NULL, FALSE,
      "neither a token nor a client certificate" },
    { "token with newline", "https://api.example.test", "abc\r\nX-Other: 1", FALSE, FALSE,
      NULL, FALSE, "token" },
    { "bad CA", "https://api.example.test", "abc", FALSE, FALSE, "not a pem", FALSE,
      "certificate authority" },
    { "truncated CA", "https://api.example.test", "abc", FALSE, FALSE,
      "-----BEGIN CERTIFICATE-----\nMIIB\n", FALSE, "certificate authority" },
    { "generated CA", "https://api.example.test", "abc", FALSE, FALSE, "generated", TRUE,
      NULL },
    { "client certificate and key", "https://api.example.test", NULL, TRUE, TRUE, NULL, TRUE,
      NULL },
    { "client certificate alone", "https://api.example.test", NULL, TRUE, FALSE, NULL, FALSE,
      "no client key" },
    { "client key alone", "https://api.example.test", NULL, FALSE, TRUE, NULL, FALSE,
      "no client certificate" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const ValidateCase *c = &cases[i];
    g_autoptr(DrClusterCredentials) credentials = dr_cluster_credentials_new ("prod");
    g_autoptr(GError) error = NULL;
    gboolean needs_pem = c->with_client_certificate || c->with_client_key ||
                         g_strcmp0 (c->certificate_authority, "generated") == 0;
    gboolean valid;

    if (needs_pem && test_certificate == NULL)
      continue;

    g_test_message ("case: %s", c->name);
    credentials->server = g_strdup (c->server);
    credentials->token = g_strdup (c->token);
    if (c->with_client_certificate)
      credentials->client_certificate = g_strdup (test_certificate);
    if (c->with_client_key)
      credentials->client_key = g_strdup (test_key);
    if (g_strcmp0 (c->certificate_authority, "generated") == 0)
      credentials->certificate_authority = g_strdup (test_certificate);
    else
      credentials->certificate_authority = g_strdup (c->certificate_authority);

    valid = dr_cluster_credentials_validate (credentials, &error);
    g_assert_cmpint (valid, ==, c->valid);

    if (c->valid) {
      g_assert_no_error (error);
    } else {
      g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, c->message_part));
      g_assert_null (strstr (error->message, "X-Other"));
    }
  }
}

static void
test_dup_secrets (void)
{
  g_autoptr(DrClusterCredentials) credentials = make_credentials ("prod");
  g_auto(GStrv) secrets = NULL;
  g_autofree char *token_base64 = g_base64_encode ((const guchar *) TEST_TOKEN,
                                                   strlen (TEST_TOKEN));

  credentials->client_key = g_strdup ("-----BEGIN PRIVATE KEY-----\n"
                                      "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n"
                                      "-----END PRIVATE KEY-----\n");
  credentials->client_certificate = g_strdup ("-----BEGIN CERTIFICATE-----\n");

  secrets = dr_cluster_credentials_dup_secrets (credentials);

  g_assert_true (g_strv_contains ((const char * const *) secrets, TEST_TOKEN));
  g_assert_true (g_strv_contains ((const char * const *) secrets, token_base64));
  g_assert_true (g_strv_contains ((const char * const *) secrets, credentials->client_key));
  g_assert_true (g_strv_contains ((const char * const *) secrets,
                                  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg"));
  g_assert_false (g_strv_contains ((const char * const *) secrets, credentials->server));
  g_assert_false (g_strv_contains ((const char * const *) secrets, "-----END PRIVATE KEY-----"));
  g_assert_false (g_strv_contains ((const char * const *) secrets,
                                   credentials->client_certificate));
}

/* Kubeconfig for a run */

static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;

  return g_strstr_len (contents, length, needle) != NULL;
}

/* Collects the regular files under @folder that contain @needle. */
static void
find_files_containing (const char *folder,
                       const char *needle,
                       GPtrArray  *found)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = g_build_filename (folder, name, NULL);

    if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
      continue;
    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      find_files_containing (path, needle, found);
    else if (g_file_test (path, G_FILE_TEST_IS_REGULAR) && file_contains (path, needle))
      g_ptr_array_add (found, g_steal_pointer (&path));
  }
}

static guint
count_occurrences (const char *haystack,
                   const char *needle)
{
  guint count = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    count++;

  return count;
}

static void
test_kubeconfig_write (void)
{
  g_autoptr(DrClusterCredentials) credentials = make_credentials ("qa-cluster");
  g_autoptr(GPtrArray) read_back = NULL;
  g_autoptr(GPtrArray) files_with_token = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *expected_folder = NULL;
  g_autofree char *basename = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *token_base64 = g_base64_encode ((const guchar *) TEST_TOKEN,
                                                   strlen (TEST_TOKEN));
  const char *watched_folders[] = { "HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME",
                                    "XDG_CONFIG_HOME", "XDG_CACHE_HOME" };
  DrClusterCredentials *entry;
  struct stat info;

  if (test_certificate != NULL) {
    credentials->certificate_authority = g_strdup (test_certificate);
    credentials->client_certificate = g_strdup (test_certificate);
    credentials->client_key = g_strdup (test_key);
  }

  /* The keyring file contains the token too, encrypted, so the search below also covers it. */
  dr_credentials_store_sync (credentials, NULL, &error);
  g_assert_no_error (error);

  path = dr_kubeconfig_write_for_run (credentials, "qa", 42, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (path);

  folder = g_path_get_dirname (path);
  expected_folder = g_build_filename (g_getenv ("XDG_RUNTIME_DIR"), "dynamo-release", NULL);
  g_assert_cmpstr (folder, ==, expected_folder);
  basename = g_path_get_basename (path);
  g_assert_true (g_str_has_prefix (basename, "run-42-"));
  g_assert_true (g_str_has_suffix (basename, ".kubeconfig"));

  g_assert_cmpint (g_lstat (folder, &info), ==, 0);
  g_assert_true (S_ISDIR (info.st_mode));
  g_assert_cmpint (info.st_mode & 07777, ==, 0700);
  g_assert_cmpint (info.st_uid, ==, getuid ());

  g_assert_cmpint (g_lstat (path, &info), ==, 0);
  g_assert_true (S_ISREG (info.st_mode));
  g_assert_cmpint (info.st_mode & 07777, ==, 0600);
  g_assert_cmpint (info.st_uid, ==, getuid ());

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_occurrences (contents, TEST_TOKEN), ==, 1);
  g_assert_nonnull (strstr (contents, "current-context: \"qa-cluster\""));
  g_assert_nonnull (strstr (contents, "namespace: \"qa\""));
  g_assert_null (strstr (contents, "insecure-skip-tls-verify"));
  if (test_certificate != NULL) {
    g_assert_nonnull (strstr (contents, "certificate-authority-data: \""));
    g_assert_nonnull (strstr (contents, "client-certificate-data: \""));
    g_assert_nonnull (strstr (contents, "client-key-data: \""));
    g_assert_null (strstr (contents, "-----BEGIN"));
  }

  read_back = dr_kubeconfig_read (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read_back->len, ==, 1);
  entry = g_ptr_array_index (read_back, 0);
  assert_credentials_equal (entry, credentials);

  /* The token is in that file and in no other file of the session, in plain or base64 form. */
  files_with_token = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < G_N_ELEMENTS (watched_folders); i++) {
    g_autoptr(GPtrArray) base64_files = g_ptr_array_new_with_free_func (g_free);

    find_files_containing (g_getenv (watched_folders[i]), TEST_TOKEN, files_with_token);
    find_files_containing (g_getenv (watched_folders[i]), token_base64, base64_files);
    g_assert_cmpuint (base64_files->len, ==, 0);
  }
  /* XDG_RUNTIME_DIR may sit inside another watched folder, so count distinct paths. */
  for (guint i = 0; i < files_with_token->len; i++)
    g_assert_cmpstr (g_ptr_array_index (files_with_token, i), ==, path);
  g_assert_cmpuint (files_with_token->len, >=, 1);

  g_assert_cmpint (g_unlink (path), ==, 0);
  dr_credentials_delete_sync ("qa-cluster", NULL, &error);
  g_assert_no_error (error);
}

static void
test_kubeconfig_write_insecure (void)
{
  g_autoptr(DrClusterCredentials) credentials = make_credentials ("qa-insecure");
  g_autoptr(GPtrArray) read_back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  DrClusterCredentials *entry;

  if (test_certificate != NULL)
    credentials->certificate_authority = g_strdup (test_certificate);
  credentials->insecure_skip_tls_verify = TRUE;

  path = dr_kubeconfig_write_for_run (credentials, "123", 43, NULL, &error);
  g_assert_no_error (error);

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, "insecure-skip-tls-verify: true"));
  g_assert_null (strstr (contents, "certificate-authority"));
  /* Quoted, so that kubectl reads the namespace as a string and not as a number. */
  g_assert_nonnull (strstr (contents, "namespace: \"123\""));

  read_back = dr_kubeconfig_read (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read_back->len, ==, 1);
  entry = g_ptr_array_index (read_back, 0);
  g_assert_true (entry->insecure_skip_tls_verify);
  g_assert_null (entry->certificate_authority);
  g_assert_cmpstr (entry->token, ==, TEST_TOKEN);

  g_assert_cmpint (g_unlink (path), ==, 0);
}

/* Deleting a run's kubeconfigs leaves those of other runs and of the same run id in another
 * store. */
static void
test_kubeconfig_delete_for_run (void)
{
  g_autoptr(DrClusterCredentials) credentials = make_credentials ("qa-delete");
  g_autoptr(GError) error = NULL;
  g_autofree char *own = NULL;
  g_autofree char *other_store = NULL;
  g_autofree char *other_run = NULL;
  g_autofree char *basename = NULL;

  own = dr_kubeconfig_write_for_run (credentials, "qa", 5, "aaaa1111", &error);
  g_assert_no_error (error);
  other_store = dr_kubeconfig_write_for_run (credentials, "qa", 5, "bbbb2222", &error);
  g_assert_no_error (error);
  other_run = dr_kubeconfig_write_for_run (credentials, "qa", 55, "aaaa1111", &error);
  g_assert_no_error (error);

  basename = g_path_get_basename (own);
  g_assert_true (g_str_has_prefix (basename, "run-5-aaaa1111-"));

  g_assert_cmpuint (dr_kubeconfig_delete_for_run (5, "aaaa1111"), ==, 1);
  g_assert_false (g_file_test (own, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (other_store, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (other_run, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (dr_kubeconfig_delete_for_run (5, "aaaa1111"), ==, 0);

  g_assert_cmpint (g_unlink (other_store), ==, 0);
  g_assert_cmpint (g_unlink (other_run), ==, 0);
}

/* Changes XDG_RUNTIME_DIR, so it runs in a subprocess: setenv is not safe once threads run. */
static void
unsafe_folder_subprocess (void)
{
  g_autoptr(DrClusterCredentials) credentials = make_credentials ("qa-cluster");
  g_autoptr(GError) error = NULL;
  g_autofree char *runtime = g_build_filename (scratch_dir, "runtime-unsafe", NULL);
  g_autofree char *folder = g_build_filename (runtime, "dynamo-release", NULL);
  g_autoptr(GDir) dir = NULL;
  char *path;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_assert_cmpint (g_chmod (folder, 0755), ==, 0);
  g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);

  path = dr_kubeconfig_write_for_run (credentials, "qa", 7, NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, folder));
  g_assert_null (path);
  g_clear_error (&error);

  dir = g_dir_open (folder, 0, &error);
  g_assert_no_error (error);
  g_assert_null (g_dir_read_name (dir));

  g_unsetenv ("XDG_RUNTIME_DIR");
  path = dr_kubeconfig_write_for_run (credentials, "qa", 7, NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "XDG_RUNTIME_DIR"));
  g_assert_null (path);
}

static void
test_kubeconfig_unsafe_folder (void)
{
  if (g_test_subprocess ()) {
    unsafe_folder_subprocess ();
    return;
  }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* Reading kubeconfig files */

static char *
write_scratch_file (const char *relative_path,
                    const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (scratch_dir, relative_path, NULL);
  g_autofree char *folder = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);

  return path;
}

static void
test_kubeconfig_read_data_fields (void)
{
  g_autofree char *ca_data = NULL;
  g_autofree char *cert_data = NULL;
  g_autofree char *key_data = NULL;
  g_autofree char *yaml = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) clusters = NULL;
  g_autoptr(GError) error = NULL;
  DrClusterCredentials *qa;
  DrClusterCredentials *prod;

  if (test_certificate == NULL) {
    g_test_skip ("openssl is not installed, so there is no certificate to embed");
    return;
  }

  ca_data = g_base64_encode ((const guchar *) test_certificate, strlen (test_certificate));
  cert_data = g_base64_encode ((const guchar *) test_certificate, strlen (test_certificate));
  key_data = g_base64_encode ((const guchar *) test_key, strlen (test_key));
  yaml = g_strdup_printf ("apiVersion: v1\n"
                          "kind: Config\n"
                          "clusters:\n"
                          "- name: qa-cluster\n"
                          "  cluster:\n"
                          "    server: https://qa.example.test:6443\n"
                          "    certificate-authority-data: %s\n"
                          "- name: prod-cluster\n"
                          "  cluster:\n"
                          "    server: https://prod.example.test\n"
                          "    insecure-skip-tls-verify: true\n"
                          "users:\n"
                          "- name: qa-admin\n"
                          "  user:\n"
                          "    token: " TEST_TOKEN "\n"
                          "- name: prod-deployer\n"
                          "  user:\n"
                          "    client-certificate-data: %s\n"
                          "    client-key-data: %s\n"
                          "contexts:\n"
                          "- name: qa\n"
                          "  context: {cluster: qa-cluster, user: qa-admin, namespace: qa}\n"
                          "- name: prod\n"
                          "  context:\n"
                          "    cluster: prod-cluster\n"
                          "    user: prod-deployer\n"
                          "current-context: qa\n",
                          ca_data, cert_data, key_data);
  path = write_scratch_file ("data-fields/config", yaml);

  clusters = dr_kubeconfig_read (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (clusters->len, ==, 2);

  qa = g_ptr_array_index (clusters, 0);
  g_assert_cmpstr (qa->cluster, ==, "qa-cluster");
  g_assert_cmpstr (qa->server, ==, "https://qa.example.test:6443");
  g_assert_cmpstr (qa->token, ==, TEST_TOKEN);
  g_assert_cmpstr (qa->certificate_authority, ==, test_certificate);
  g_assert_null (qa->client_certificate);
  g_assert_null (qa->client_key);
  g_assert_false (qa->insecure_skip_tls_verify);

  prod = g_ptr_array_index (clusters, 1);
  g_assert_cmpstr (prod->cluster, ==, "prod-cluster");
  g_assert_cmpstr (prod->server, ==, "https://prod.example.test");
  g_assert_null (prod->token);
  g_assert_null (prod->certificate_authority);
  g_assert_cmpstr (prod->client_certificate, ==, test_certificate);
  g_assert_cmpstr (prod->client_key, ==, test_key);
  g_assert_true (prod->insecure_skip_tls_verify);
}

static void
test_kubeconfig_read_files (void)
{
  g_autofree char *ca_path = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *token_path = NULL;
  g_autofree char *yaml = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) clusters = NULL;
  g_autoptr(GError) error = NULL;
  DrClusterCredentials *first;
  DrClusterCredentials *second;
  const char *certificate = test_certificate != NULL ? test_certificate : "CA TEXT\n";
  const char *key = test_key != NULL ? test_key : "KEY TEXT\n";

  ca_path = write_scratch_file ("files/ca.pem", certificate);
  cert_path = write_scratch_file ("files/certs/client.pem", certificate);
  key_path = write_scratch_file ("elsewhere/client-key.pem", key);
  token_path = write_scratch_file ("files/token", "file-token-value\n");

  /* Relative paths are relative to the kubeconfig's folder, and the key path is absolute. */
  yaml = g_strdup_printf ("apiVersion: v1\n"
                          "kind: Config\n"
                          "clusters:\n"
                          "- name: staging\n"
                          "  cluster:\n"
                          "    server: https://staging.example.test\n"
                          "    certificate-authority: ca.pem\n"
                          "users:\n"
                          "- name: by-file\n"
                          "  user:\n"
                          "    tokenFile: token\n"
                          "- name: by-cert\n"
                          "  user:\n"
                          "    client-certificate: certs/client.pem\n"
                          "    client-key: %s\n"
                          "contexts:\n"
                          "- name: one\n"
                          "  context:\n"
                          "    cluster: staging\n"
                          "    user: by-file\n"
                          "- name: two\n"
                          "  context:\n"
                          "    cluster: staging\n"
                          "    user: by-cert\n",
                          key_path);
  path = write_scratch_file ("files/kubeconfig", yaml);

  clusters = dr_kubeconfig_read (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (clusters->len, ==, 2);

  first = g_ptr_array_index (clusters, 0);
  g_assert_cmpstr (first->cluster, ==, "staging");
  g_assert_cmpstr (first->certificate_authority, ==, certificate);
  g_assert_cmpstr (first->token, ==, "file-token-value");
  g_assert_null (first->client_certificate);

  second = g_ptr_array_index (clusters, 1);
  g_assert_cmpstr (second->cluster, ==, "staging");
  g_assert_null (second->token);
  g_assert_cmpstr (second->client_certificate, ==, certificate);
  g_assert_cmpstr (second->client_key, ==, key);
}

typedef struct
{
  const char *name;
  const char *user_yaml;
  const char *message_parts[3];
} UnsupportedCase;

static void
test_kubeconfig_read_unsupported (void)
{
  static const UnsupportedCase cases[] = {
    { "exec plugin",
      "    exec:\n"
      "      apiVersion: client.authentication.k8s.io/v1beta1\n"
      "      command: aws-iam-authenticator\n"
      "      args: [token, -i, qa]\n",
      { "“eks-user”", "exec plugin", "aws-iam-authenticator" } },
    { "auth provider",
      "    auth-provider:\n"
      "      name: oidc\n"
      "      config: {idp-issuer-url: https://issuer.example.test}\n",
      { "“eks-user”", "auth provider", "oidc" } },
    { "basic auth",
      "    username: admin\n"
      "    password: hunter2\n",
      { "“eks-user”", "username and password", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *yaml = NULL;
    g_autofree char *path = NULL;
    g_autofree char *relative = g_strdup_printf ("unsupported-%u/config", i);
    g_autoptr(GPtrArray) clusters = NULL;
    g_autoptr(GError) error = NULL;

    g_test_message ("case: %s", cases[i].name);
    yaml = g_strconcat ("apiVersion: v1\n"
                        "clusters:\n"
                        "- name: eks\n"
                        "  cluster: {server: https://eks.example.test}\n"
                        "users:\n"
                        "- name: eks-user\n"
                        "  user:\n",
                        cases[i].user_yaml,
                        "contexts:\n"
                        "- name: eks\n"
                        "  context: {cluster: eks, user: eks-user}\n",
                        NULL);
    path = write_scratch_file (relative, yaml);

    clusters = dr_kubeconfig_read (path, NULL, &error);
    g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID);
    g_assert_null (clusters);
    g_assert_nonnull (strstr (error->message, path));
    for (guint j = 0; j < G_N_ELEMENTS (cases[i].message_parts); j++) {
      if (cases[i].message_parts[j] != NULL)
        g_assert_nonnull (strstr (error->message, cases[i].message_parts[j]));
    }
    g_assert_null (strstr (error->message, "hunter2"));
  }
}

/* A context whose user runs an exec plugin does not keep the other contexts from being read;
 * it is listed with the reason. */
static void
test_kubeconfig_read_mixed (void)
{
  const char *yaml = "apiVersion: v1\n"
                     "clusters:\n"
                     "- name: qa-cluster\n"
                     "  cluster: {server: https://qa.example.test}\n"
                     "- name: eks\n"
                     "  cluster: {server: https://eks.example.test}\n"
                     "users:\n"
                     "- name: qa-admin\n"
                     "  user: {token: " TEST_TOKEN "}\n"
                     "- name: other-user\n"
                     "  user:\n"
                     "    exec:\n"
                     "      apiVersion: client.authentication.k8s.io/v1beta1\n"
                     "      command: aws\n"
                     "contexts:\n"
                     "- name: prod-eks\n"
                     "  context: {cluster: eks, user: other-user}\n"
                     "- name: qa\n"
                     "  context: {cluster: qa-cluster, user: qa-admin}\n";
  g_autofree char *path = write_scratch_file ("mixed/config", yaml);
  g_autoptr(GPtrArray) clusters = NULL;
  g_autoptr(GPtrArray) without_list = NULL;
  g_autoptr(GPtrArray) skipped = NULL;
  g_autoptr(GError) error = NULL;
  const DrKubeconfigSkipped *eks;

  clusters = dr_kubeconfig_read (path, &skipped, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (clusters->len, ==, 1);
  g_assert_cmpstr (((DrClusterCredentials *) g_ptr_array_index (clusters, 0))->cluster, ==,
                   "qa-cluster");
  g_assert_cmpstr (((DrClusterCredentials *) g_ptr_array_index (clusters, 0))->token, ==,
                   TEST_TOKEN);

  g_assert_nonnull (skipped);
  g_assert_cmpuint (skipped->len, ==, 1);
  eks = g_ptr_array_index (skipped, 0);
  g_assert_cmpstr (eks->context, ==, "prod-eks");
  g_assert_cmpstr (eks->cluster, ==, "eks");
  g_assert_nonnull (strstr (eks->reason, "“other-user”"));
  g_assert_nonnull (strstr (eks->reason, "exec plugin “aws”"));
  g_assert_null (strstr (eks->reason, path));

  /* Without a list, the importable contexts are returned all the same. */
  without_list = dr_kubeconfig_read (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (without_list->len, ==, 1);
}

typedef struct
{
  const char *name;
  const char *yaml;
  const char *message_part;
} BrokenCase;

static void
test_kubeconfig_read_broken (void)
{
  static const BrokenCase cases[] = {
    { "syntax error", "clusters: [\n  - name: x\n", "line " },
    { "not a mapping", "- a\n- b\n", "not a YAML mapping" },
    { "no contexts", "apiVersion: v1\nclusters: []\n", "no contexts" },
    { "unknown cluster",
      "contexts:\n- name: c\n  context: {cluster: missing, user: u}\n", "“missing”" },
    { "unknown user",
      "clusters:\n- name: k\n  cluster: {server: https://k.example.test}\n"
      "contexts:\n- name: c\n  context: {cluster: k, user: nobody}\n", "“nobody”" },
    { "missing CA file",
      "clusters:\n- name: k\n  cluster:\n    server: https://k.example.test\n"
      "    certificate-authority: does-not-exist.pem\n"
      "contexts:\n- name: c\n  context: {cluster: k}\n", "does-not-exist.pem" },
    { "missing token file",
      "clusters:\n- name: k\n  cluster: {server: https://k.example.test}\n"
      "users:\n- name: u\n  user: {tokenFile: /nonexistent/token}\n"
      "contexts:\n- name: c\n  context: {cluster: k, user: u}\n", "/nonexistent/token" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *relative = g_strdup_printf ("broken-%u/config", i);
    g_autofree char *path = write_scratch_file (relative, cases[i].yaml);
    g_autoptr(GPtrArray) clusters = NULL;
    g_autoptr(GError) error = NULL;

    g_test_message ("case: %s", cases[i].name);
    clusters = dr_kubeconfig_read (path, NULL, &error);
    g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID);
    g_assert_null (clusters);
    g_assert_nonnull (strstr (error->message, cases[i].message_part));
  }
}

static void
test_kubeconfig_read_missing_file (void)
{
  g_autoptr(GPtrArray) clusters = NULL;
  g_autoptr(GError) error = NULL;

  clusters = dr_kubeconfig_read ("/nonexistent/kubeconfig", NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "/nonexistent/kubeconfig"));
  g_assert_null (clusters);
}

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  scratch_dir = g_dir_make_tmp ("dynamo-credentials-XXXXXX", &error);
  g_assert_no_error (error);

  /* The subprocesses need no certificate. */
  if (!g_test_subprocess () && !generate_certificate (scratch_dir, &test_certificate, &test_key))
    g_test_message ("openssl is not installed: the cases that need a certificate are skipped");

  g_test_add_func ("/credentials/round-trip", test_round_trip);
  g_test_add_func ("/credentials/overwrite", test_overwrite);
  g_test_add_func ("/credentials/not-found", test_not_found);
  g_test_add_func ("/credentials/store-invalid", test_store_invalid);
  g_test_add_func ("/credentials/async", test_async);
  g_test_add_func ("/credentials/locked", test_locked);
  g_test_add_func ("/credentials/no-keyring", test_no_keyring);
  g_test_add_func ("/credentials/validate", test_validate);
  g_test_add_func ("/credentials/dup-secrets", test_dup_secrets);
  g_test_add_func ("/kubeconfig/write", test_kubeconfig_write);
  g_test_add_func ("/kubeconfig/write-insecure", test_kubeconfig_write_insecure);
  g_test_add_func ("/kubeconfig/delete-for-run", test_kubeconfig_delete_for_run);
  g_test_add_func ("/kubeconfig/unsafe-folder", test_kubeconfig_unsafe_folder);
  g_test_add_func ("/kubeconfig/read-data-fields", test_kubeconfig_read_data_fields);
  g_test_add_func ("/kubeconfig/read-files", test_kubeconfig_read_files);
  g_test_add_func ("/kubeconfig/read-unsupported", test_kubeconfig_read_unsupported);
  g_test_add_func ("/kubeconfig/read-mixed", test_kubeconfig_read_mixed);
  g_test_add_func ("/kubeconfig/read-broken", test_kubeconfig_read_broken);
  g_test_add_func ("/kubeconfig/read-missing-file", test_kubeconfig_read_missing_file);

  status = g_test_run ();

  remove_tree (scratch_dir);
  g_free (scratch_dir);
  g_free (test_certificate);
  g_free (test_key);

  return status;
}
