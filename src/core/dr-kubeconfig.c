/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <yaml.h>

#include "dr-credentials.h"
#include "dr-credentials-private.h"

#define RUN_FOLDER_NAME "dynamo-release"

/* Writing */

typedef struct
{
  yaml_emitter_t emitter;
  GString       *output;
  gboolean       failed;
} Writer;

static int
writer_append (void          *data,
               unsigned char *buffer,
               size_t         size)
{
  GString *output = data;

  g_string_append_len (output, (const char *) buffer, size);

  return 1;
}

static void
writer_emit (Writer      *writer,
             yaml_event_t *event)
{
  if (writer->failed) {
    yaml_event_delete (event);
    return;
  }

  /* yaml_emitter_emit takes the event in both outcomes. */
  if (!yaml_emitter_emit (&writer->emitter, event))
    writer->failed = TRUE;
}

static void
writer_mapping_start (Writer *writer)
{
  yaml_event_t event;

  yaml_mapping_start_event_initialize (&event, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
  writer_emit (writer, &event);
}

static void
writer_mapping_end (Writer *writer)
{
  yaml_event_t event;

  yaml_mapping_end_event_initialize (&event);
  writer_emit (writer, &event);
}

static void
writer_sequence_start (Writer *writer)
{
  yaml_event_t event;

  yaml_sequence_start_event_initialize (&event, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
  writer_emit (writer, &event);
}

static void
writer_sequence_end (Writer *writer)
{
  yaml_event_t event;

  yaml_sequence_end_event_initialize (&event);
  writer_emit (writer, &event);
}

/* Keys and fixed words go out plain. Values are double-quoted, so that a namespace such as "123"
 * or a token such as "true" stays a string for kubectl. */
static void
writer_scalar (Writer     *writer,
               const char *value,
               gboolean    quoted)
{
  yaml_event_t event;

  yaml_scalar_event_initialize (&event, NULL, NULL, (yaml_char_t *) value, strlen (value),
                                !quoted, quoted,
                                quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE);
  writer_emit (writer, &event);
}

static void
writer_pair (Writer     *writer,
             const char *key,
             const char *value)
{
  writer_scalar (writer, key, FALSE);
  writer_scalar (writer, value, TRUE);
}

static void
writer_base64_pair (Writer     *writer,
                    const char *key,
                    const char *value)
{
  g_autofree char *encoded = NULL;

  if (value == NULL || value[0] == '\0')
    return;

  encoded = g_base64_encode ((const guchar *) value, strlen (value));
  writer_pair (writer, key, encoded);
  explicit_bzero (encoded, strlen (encoded));
}

static void
write_kubeconfig (Writer                     *writer,
                  const DrClusterCredentials *credentials,
                  const char                 *namespace)
{
  const char *name = credentials->cluster;
  yaml_event_t event;

  yaml_stream_start_event_initialize (&event, YAML_UTF8_ENCODING);
  writer_emit (writer, &event);
  yaml_document_start_event_initialize (&event, NULL, NULL, NULL, 1);
  writer_emit (writer, &event);
  writer_mapping_start (writer);

  writer_scalar (writer, "apiVersion", FALSE);
  writer_scalar (writer, "v1", FALSE);
  writer_scalar (writer, "kind", FALSE);
  writer_scalar (writer, "Config", FALSE);

  writer_scalar (writer, "clusters", FALSE);
  writer_sequence_start (writer);
  writer_mapping_start (writer);
  writer_pair (writer, "name", name);
  writer_scalar (writer, "cluster", FALSE);
  writer_mapping_start (writer);
  writer_pair (writer, "server", credentials->server);
  /* kubectl rejects a cluster that has both a CA and insecure-skip-tls-verify. */
  if (!credentials->insecure_skip_tls_verify)
    writer_base64_pair (writer, "certificate-authority-data",
                        credentials->certificate_authority);
  if (credentials->insecure_skip_tls_verify) {
    writer_scalar (writer, "insecure-skip-tls-verify", FALSE);
    writer_scalar (writer, "true", FALSE);
  }
  writer_mapping_end (writer);
  writer_mapping_end (writer);
  writer_sequence_end (writer);

  writer_scalar (writer, "users", FALSE);
  writer_sequence_start (writer);
  writer_mapping_start (writer);
  writer_pair (writer, "name", name);
  writer_scalar (writer, "user", FALSE);
  writer_mapping_start (writer);
  if (credentials->token != NULL && credentials->token[0] != '\0')
    writer_pair (writer, "token", credentials->token);
  writer_base64_pair (writer, "client-certificate-data", credentials->client_certificate);
  writer_base64_pair (writer, "client-key-data", credentials->client_key);
  writer_mapping_end (writer);
  writer_mapping_end (writer);
  writer_sequence_end (writer);

  writer_scalar (writer, "contexts", FALSE);
  writer_sequence_start (writer);
  writer_mapping_start (writer);
  writer_pair (writer, "name", name);
  writer_scalar (writer, "context", FALSE);
  writer_mapping_start (writer);
  writer_pair (writer, "cluster", name);
  writer_pair (writer, "user", name);
  if (namespace != NULL && namespace[0] != '\0')
    writer_pair (writer, "namespace", namespace);
  writer_mapping_end (writer);
  writer_mapping_end (writer);
  writer_sequence_end (writer);

  writer_pair (writer, "current-context", name);

  writer_mapping_end (writer);
  yaml_document_end_event_initialize (&event, 1);
  writer_emit (writer, &event);
  yaml_stream_end_event_initialize (&event);
  writer_emit (writer, &event);
}

/* Returns $XDG_RUNTIME_DIR/dynamo-release, created if missing, after checking that only the
 * user can enter it. */
static char *
ensure_run_folder (GError **error)
{
  const char *runtime_dir = g_getenv ("XDG_RUNTIME_DIR");
  g_autofree char *folder = NULL;
  struct stat info;

  if (runtime_dir == NULL || runtime_dir[0] == '\0') {
    g_set_error_literal (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_FAILED,
                         _("XDG_RUNTIME_DIR is not set, so there is no private folder for the "
                           "run's kubeconfig. Log in through a desktop or systemd session, or set "
                           "XDG_RUNTIME_DIR to a folder of mode 0700 that you own."));
    return NULL;
  }

  folder = g_build_filename (runtime_dir, RUN_FOLDER_NAME, NULL);

  if (g_mkdir (folder, 0700) == 0) {
    /* The umask may have taken bits away. */
    if (g_chmod (folder, 0700) != 0) {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not set mode 0700 on “%s”: %s"), folder, g_strerror (saved_errno));
      return NULL;
    }
  } else if (errno != EEXIST) {
    int saved_errno = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 _("Could not create the folder “%s” for the run’s kubeconfig: %s. Check that "
                   "XDG_RUNTIME_DIR points to a writable folder."),
                 folder, g_strerror (saved_errno));
    return NULL;
  }

  if (g_lstat (folder, &info) != 0) {
    int saved_errno = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 _("Could not inspect the folder “%s”: %s"), folder, g_strerror (saved_errno));
    return NULL;
  }

  if (!S_ISDIR (info.st_mode) || info.st_uid != getuid () || (info.st_mode & 07777) != 0700) {
    g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_FAILED,
                 _("“%s” is not a private folder (a directory of mode 0700 owned by you), so "
                   "Dynamo Release does not write credentials into it. Remove it, or make it "
                   "yours with “chown” and private with “chmod 700”, then try again."),
                 folder);
    return NULL;
  }

  return g_steal_pointer (&folder);
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        length,
           const char  *path,
           GError     **error)
{
  while (length > 0) {
    gssize written = write (fd, data, length);

    if (written < 0 && errno == EINTR)
      continue;

    if (written < 0) {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not write the kubeconfig “%s”: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }

    data += written;
    length -= written;
  }

  return TRUE;
}

/* Returns the start of the file names of a run's kubeconfigs: "run-ID-" and, when @store_key
 * is set, "KEY-", so that runs with one id in two stores never share files. */
static char *
dup_run_prefix (gint64      run_id,
                const char *store_key)
{
  if (store_key != NULL)
    return g_strdup_printf ("run-%" G_GINT64_FORMAT "-%s-", run_id, store_key);

  return g_strdup_printf ("run-%" G_GINT64_FORMAT "-", run_id);
}

/**
 * dr_kubeconfig_write_for_run:
 * @namespace: (nullable): the context's namespace
 * @run_id: the run the kubeconfig is for
 * @store_key: (nullable): a short text, of letters, digits and "-", that distinguishes the
 *   run's store from others
 *
 * Writes a kubeconfig for one run: mode 0600, in a 0700 folder under $XDG_RUNTIME_DIR, named
 * "run-RUN-KEY-XXXXXX.kubeconfig", so that dr_kubeconfig_delete_for_run() finds it after a
 * crash.
 *
 * Returns: (transfer full): the file's path, or NULL with @error set
 */
char *
dr_kubeconfig_write_for_run (const DrClusterCredentials  *credentials,
                             const char                  *namespace,
                             gint64                       run_id,
                             const char                  *store_key,
                             GError                     **error)
{
  g_autofree char *folder = NULL;
  g_autofree char *path = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *basename = NULL;
  Writer writer = { 0 };
  gboolean written;
  int fd;

  g_return_val_if_fail (credentials != NULL, NULL);
  g_return_val_if_fail (credentials->cluster != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!dr_cluster_credentials_validate (credentials, error))
    return NULL;

  folder = ensure_run_folder (error);
  if (folder == NULL)
    return NULL;

  writer.output = g_string_new (NULL);
  yaml_emitter_initialize (&writer.emitter);
  yaml_emitter_set_output (&writer.emitter, writer_append, writer.output);
  yaml_emitter_set_unicode (&writer.emitter, 1);
  write_kubeconfig (&writer, credentials, namespace);
  yaml_emitter_delete (&writer.emitter);

  if (writer.failed) {
    explicit_bzero (writer.output->str, writer.output->len);
    g_string_free (writer.output, TRUE);
    g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_FAILED,
                 _("Could not write a kubeconfig for cluster “%s”: the YAML emitter failed."),
                 credentials->cluster);
    return NULL;
  }

  prefix = dup_run_prefix (run_id, store_key);
  basename = g_strdup_printf ("%sXXXXXX.kubeconfig", prefix);
  path = g_build_filename (folder, basename, NULL);

  /* g_mkstemp_full opens with O_CREAT | O_EXCL, so an existing file or link is never reused. */
  fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    int saved_errno = errno;

    explicit_bzero (writer.output->str, writer.output->len);
    g_string_free (writer.output, TRUE);
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 _("Could not create a kubeconfig file in “%s”: %s"),
                 folder, g_strerror (saved_errno));
    return NULL;
  }

  written = write_all (fd, writer.output->str, writer.output->len, path, error);
  explicit_bzero (writer.output->str, writer.output->len);
  g_string_free (writer.output, TRUE);

  if (close (fd) != 0 && written) {
    int saved_errno = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 _("Could not write the kubeconfig “%s”: %s"), path, g_strerror (saved_errno));
    written = FALSE;
  }

  if (!written) {
    g_unlink (path);
    return NULL;
  }

  return g_steal_pointer (&path);
}

/**
 * dr_kubeconfig_delete_for_run:
 * @store_key: (nullable): as given to dr_kubeconfig_write_for_run()
 *
 * Deletes the kubeconfigs that dr_kubeconfig_write_for_run() wrote for a run, for the
 * recovery of a run whose app or dynamoctl died before it could delete them.
 *
 * Returns: the number of files deleted
 */
guint
dr_kubeconfig_delete_for_run (gint64      run_id,
                              const char *store_key)
{
  const char *runtime_dir = g_getenv ("XDG_RUNTIME_DIR");
  g_autofree char *folder = NULL;
  g_autofree char *prefix = dup_run_prefix (run_id, store_key);
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint n_deleted = 0;

  if (runtime_dir == NULL || runtime_dir[0] == '\0')
    return 0;

  folder = g_build_filename (runtime_dir, RUN_FOLDER_NAME, NULL);
  dir = g_dir_open (folder, 0, NULL);
  if (dir == NULL)
    return 0;

  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = NULL;
    const char *suffix = name + strlen (prefix);

    /* The name is the prefix, six random characters and ".kubeconfig". */
    if (!g_str_has_prefix (name, prefix) || strlen (suffix) != 6 + strlen (".kubeconfig") ||
        !g_str_has_suffix (name, ".kubeconfig"))
      continue;

    path = g_build_filename (folder, name, NULL);
    if (g_unlink (path) == 0)
      n_deleted++;
    else if (errno != ENOENT)
      g_warning ("Could not delete the kubeconfig %s: %s", path, g_strerror (errno));
  }

  return n_deleted;
}

/* Reading *//* Reading */

typedef struct
{
  char          *folder;
  yaml_document_t document;
} Reader;

/* Sets what is wrong with the file or one of its contexts. dr_kubeconfig_read() puts the
 * file's path in front of the problems that stop the whole import. */
static void
set_invalid (GError     **error,
             const char  *format,
             ...) G_GNUC_PRINTF (2, 3);

static void
set_invalid (GError     **error,
             const char  *format,
             ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error_literal (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID, detail);
}

static const char *
scalar_value (yaml_node_t *node)
{
  if (node == NULL || node->type != YAML_SCALAR_NODE)
    return NULL;

  return (const char *) node->data.scalar.value;
}

static yaml_node_t *
mapping_get (Reader      *reader,
             yaml_node_t *mapping,
             const char  *key)
{
  if (mapping == NULL || mapping->type != YAML_MAPPING_NODE)
    return NULL;

  for (yaml_node_pair_t *pair = mapping->data.mapping.pairs.start;
       pair < mapping->data.mapping.pairs.top;
       pair++) {
    yaml_node_t *key_node = yaml_document_get_node (&reader->document, pair->key);

    if (g_strcmp0 (scalar_value (key_node), key) == 0)
      return yaml_document_get_node (&reader->document, pair->value);
  }

  return NULL;
}

static const char *
mapping_get_string (Reader      *reader,
                    yaml_node_t *mapping,
                    const char  *key)
{
  const char *value = scalar_value (mapping_get (reader, mapping, key));

  return value != NULL && value[0] != '\0' ? value : NULL;
}

static gboolean
is_yaml_true (const char *value)
{
  /* The boolean spellings of YAML 1.1, which kubeconfig files often use. */
  static const char * const spellings[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "y",
                                            "Y", "on", "On", "ON", NULL };

  return value != NULL && g_strv_contains (spellings, value);
}

/* Finds the entry of @list (the "clusters" or "users" sequence) whose name is @name, and returns
 * its @field mapping ("cluster" or "user"). */
static yaml_node_t *
find_named_entry (Reader      *reader,
                  yaml_node_t *list,
                  const char  *name,
                  const char  *field)
{
  if (list == NULL || list->type != YAML_SEQUENCE_NODE)
    return NULL;

  for (yaml_node_item_t *item = list->data.sequence.items.start;
       item < list->data.sequence.items.top;
       item++) {
    yaml_node_t *entry = yaml_document_get_node (&reader->document, *item);

    if (g_strcmp0 (mapping_get_string (reader, entry, "name"), name) == 0)
      return mapping_get (reader, entry, field);
  }

  return NULL;
}

static char *
resolve_path (Reader     *reader,
              const char *path)
{
  if (g_path_is_absolute (path))
    return g_strdup (path);

  return g_build_filename (reader->folder, path, NULL);
}

/* Reads a credential field that is either inline base64 (@data_key) or a file (@file_key),
 * relative to the kubeconfig's folder. Leaves *value NULL when neither is set. */
static gboolean
read_data_or_file (Reader       *reader,
                   yaml_node_t  *mapping,
                   const char   *entry_kind,
                   const char   *entry_name,
                   const char   *data_key,
                   const char   *file_key,
                   char        **value,
                   GError      **error)
{
  const char *data = mapping_get_string (reader, mapping, data_key);
  const char *file = mapping_get_string (reader, mapping, file_key);
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (data != NULL) {
    contents = (char *) g_base64_decode (data, &length);
    if (length == 0) {
      set_invalid (error, _("the field “%s” of %s “%s” is not base64 data. Put "
                            "the base64 of the PEM text there, or a file name in "
                            "“%s”."),
                   data_key, entry_kind, entry_name, file_key);
      return FALSE;
    }
  } else if (file != NULL) {
    g_autofree char *resolved = resolve_path (reader, file);
    g_autoptr(GError) local_error = NULL;

    if (!g_file_get_contents (resolved, &contents, &length, &local_error)) {
      set_invalid (error, _("the file “%s” named by “%s” of %s “%s” could not be "
                            "read: %s. Fix the path, or put the file's contents "
                            "base64-encoded into “%s”."),
                   resolved, file_key, entry_kind, entry_name, local_error->message, data_key);
      return FALSE;
    }
  } else {
    return TRUE;
  }

  if (memchr (contents, '\0', length) != NULL || !g_utf8_validate (contents, length, NULL)) {
    explicit_bzero (contents, length);
    set_invalid (error, _("the “%s” of %s “%s” is binary, not PEM text. Convert "
                          "it to PEM, for example with “openssl x509 -inform DER”."),
                 data != NULL ? data_key : file_key, entry_kind, entry_name);
    return FALSE;
  }

  *value = g_steal_pointer (&contents);

  return TRUE;
}

static gboolean
read_cluster (Reader                *reader,
              yaml_node_t           *cluster,
              const char            *cluster_name,
              DrClusterCredentials  *credentials,
              GError               **error)
{
  credentials->server = g_strdup (mapping_get_string (reader, cluster, "server"));
  credentials->insecure_skip_tls_verify =
    is_yaml_true (mapping_get_string (reader, cluster, "insecure-skip-tls-verify"));

  return read_data_or_file (reader, cluster, _("cluster"), cluster_name,
                            "certificate-authority-data", "certificate-authority",
                            &credentials->certificate_authority, error);
}

static gboolean
check_user_auth_supported (Reader       *reader,
                           yaml_node_t  *user,
                           const char   *user_name,
                           GError      **error)
{
  yaml_node_t *exec = mapping_get (reader, user, "exec");
  yaml_node_t *auth_provider = mapping_get (reader, user, "auth-provider");

  if (exec != NULL) {
    const char *command = mapping_get_string (reader, exec, "command");

    set_invalid (error,
                 _("user “%s” gets its credentials from the exec plugin “%s”, which Dynamo "
                   "Release does not run. Give that user a token (for example from “kubectl "
                   "create token SERVICE-ACCOUNT”) or a client certificate and key, then import "
                   "again."),
                 user_name, command != NULL ? command : "?");
    return FALSE;
  }

  if (auth_provider != NULL) {
    const char *provider = mapping_get_string (reader, auth_provider, "name");

    set_invalid (error,
                 _("user “%s” uses the auth provider “%s”, which Dynamo Release does not "
                   "support. Give that user a token (for example from “kubectl create token "
                   "SERVICE-ACCOUNT”) or a client certificate and key, then import again."),
                 user_name, provider != NULL ? provider : "?");
    return FALSE;
  }

  if (mapping_get (reader, user, "username") != NULL ||
      mapping_get (reader, user, "password") != NULL) {
    set_invalid (error,
                 _("user “%s” uses a username and password, which Dynamo Release does not "
                   "support. Give that user a token or a client certificate and key, then "
                   "import again."),
                 user_name);
    return FALSE;
  }

  return TRUE;
}

static gboolean
read_user (Reader                *reader,
           yaml_node_t           *user,
           const char            *user_name,
           DrClusterCredentials  *credentials,
           GError               **error)
{
  const char *token;
  const char *token_file;

  if (!check_user_auth_supported (reader, user, user_name, error))
    return FALSE;

  token = mapping_get_string (reader, user, "token");
  token_file = mapping_get_string (reader, user, "tokenFile");

  if (token != NULL) {
    credentials->token = g_strdup (token);
  } else if (token_file != NULL) {
    g_autofree char *resolved = resolve_path (reader, token_file);
    g_autoptr(GError) local_error = NULL;
    char *contents = NULL;

    if (!g_file_get_contents (resolved, &contents, NULL, &local_error)) {
      set_invalid (error, _("the token file “%s” of user “%s” could not be read: "
                            "%s. Fix the path in “tokenFile”, or put the token "
                            "into “token”."),
                   resolved, user_name, local_error->message);
      return FALSE;
    }

    credentials->token = g_strdup (g_strstrip (contents));
    dr_secret_string_free (contents);
  }

  if (!read_data_or_file (reader, user, _("user"), user_name, "client-certificate-data",
                          "client-certificate", &credentials->client_certificate, error))
    return FALSE;

  return read_data_or_file (reader, user, _("user"), user_name, "client-key-data", "client-key",
                            &credentials->client_key, error);
}

static DrClusterCredentials *
read_context (Reader       *reader,
              yaml_node_t  *root,
              yaml_node_t  *entry,
              GError      **error)
{
  const char *context_name = mapping_get_string (reader, entry, "name");
  yaml_node_t *context = mapping_get (reader, entry, "context");
  const char *cluster_name = mapping_get_string (reader, context, "cluster");
  const char *user_name = mapping_get_string (reader, context, "user");
  g_autoptr(DrClusterCredentials) credentials = NULL;
  yaml_node_t *cluster;

  if (context_name == NULL || context == NULL || context->type != YAML_MAPPING_NODE) {
    set_invalid (error, _("a context has no name or no “context” mapping. Each "
                          "entry of “contexts” needs both."));
    return NULL;
  }

  if (cluster_name == NULL) {
    set_invalid (error, _("context “%s” names no cluster. Add a “cluster” field "
                          "to it."),
                 context_name);
    return NULL;
  }

  cluster = find_named_entry (reader, mapping_get (reader, root, "clusters"), cluster_name,
                              "cluster");
  if (cluster == NULL) {
    set_invalid (error, _("context “%s” refers to cluster “%s”, which the file "
                          "does not define under “clusters”."),
                 context_name, cluster_name);
    return NULL;
  }

  credentials = dr_cluster_credentials_new (cluster_name);

  if (!read_cluster (reader, cluster, cluster_name, credentials, error))
    return NULL;

  if (user_name != NULL) {
    yaml_node_t *user = find_named_entry (reader, mapping_get (reader, root, "users"), user_name,
                                          "user");

    if (user == NULL) {
      set_invalid (error, _("context “%s” refers to user “%s”, which the file "
                            "does not define under “users”."),
                   context_name, user_name);
      return NULL;
    }

    if (!read_user (reader, user, user_name, credentials, error))
      return NULL;
  }

  return g_steal_pointer (&credentials);
}

void
dr_kubeconfig_skipped_free (DrKubeconfigSkipped *skipped)
{
  if (skipped == NULL)
    return;

  g_free (skipped->context);
  g_free (skipped->cluster);
  g_free (skipped->reason);
  g_free (skipped);
}

/* Describes every context that cannot be imported, one per line, for the error of a file with
 * no context that can. */
static char *
join_skipped (GPtrArray *skipped)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < skipped->len; i++) {
    const DrKubeconfigSkipped *context = g_ptr_array_index (skipped, i);

    g_string_append_c (text, '\n');
    /* Translators: a context name, then why it cannot be imported. */
    g_string_append_printf (text, _("context “%s”: %s"), context->context, context->reason);
  }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Reads every context. A context that cannot be imported, such as one whose user gets its
 * credentials from an exec plugin, goes to `skipped` with the reason; only a file with no
 * context that can be imported is an error. */
static GPtrArray *
read_document (Reader     *reader,
               GPtrArray  *skipped,
               GError    **error)
{
  g_autoptr(GPtrArray) result = NULL;
  yaml_node_t *root = yaml_document_get_root_node (&reader->document);
  yaml_node_t *contexts = mapping_get (reader, root, "contexts");
  guint index = 0;

  if (root == NULL || root->type != YAML_MAPPING_NODE) {
    set_invalid (error, _("the file is not a YAML mapping. Choose a kubeconfig "
                          "file, such as ~/.kube/config."));
    return NULL;
  }

  if (contexts == NULL || contexts->type != YAML_SEQUENCE_NODE ||
      contexts->data.sequence.items.start == contexts->data.sequence.items.top) {
    set_invalid (error, _("the file has no contexts. Choose a kubeconfig file "
                          "with at least one entry under “contexts”."));
    return NULL;
  }

  result = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_cluster_credentials_free);

  for (yaml_node_item_t *item = contexts->data.sequence.items.start;
       item < contexts->data.sequence.items.top;
       item++, index++) {
    yaml_node_t *entry = yaml_document_get_node (&reader->document, *item);
    g_autoptr(GError) context_error = NULL;
    DrClusterCredentials *credentials = read_context (reader, root, entry, &context_error);
    DrKubeconfigSkipped *problem;
    const char *name;

    if (credentials != NULL) {
      g_ptr_array_add (result, credentials);
      continue;
    }

    name = mapping_get_string (reader, entry, "name");
    problem = g_new0 (DrKubeconfigSkipped, 1);
    /* A context without a name is named by its position, as in "contexts[2]". */
    problem->context = name != NULL ? g_strdup (name) : g_strdup_printf ("contexts[%u]", index);
    problem->cluster = g_strdup (mapping_get_string (reader, mapping_get (reader, entry,
                                                                          "context"),
                                                     "cluster"));
    problem->reason = g_strdup (context_error->message);
    g_ptr_array_add (skipped, problem);
  }

  if (result->len == 0) {
    g_autofree char *reasons = join_skipped (skipped);

    set_invalid (error, "%s%s", _("no context of the file can be imported:"), reasons);
    return NULL;
  }

  return g_steal_pointer (&result);
}

/**
 * dr_kubeconfig_read:
 * @path: a kubeconfig file
 * @skipped: (out) (optional) (element-type DrKubeconfigSkipped): the contexts that cannot be
 *   imported, with the reason for each; left out silently when NULL
 *
 * Reads every context of a kubeconfig file, with its cluster and its user's credentials
 * resolved. A context that cannot be imported does not keep the others from being read.
 *
 * Returns: (transfer full) (element-type DrClusterCredentials): one entry per context that
 *   can be imported, or NULL with @error set when the file cannot be read or none can
 */
GPtrArray *
dr_kubeconfig_read (const char  *path,
                    GPtrArray  **skipped,
                    GError     **error)
{
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  GPtrArray *result;
  yaml_parser_t parser;
  Reader reader = { 0 };
  gsize length;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (skipped != NULL)
    *skipped = NULL;

  if (!g_file_get_contents (path, &contents, &length, &local_error)) {
    g_set_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_FAILED,
                 _("Could not read the kubeconfig “%s”: %s"), path, local_error->message);
    return NULL;
  }

  yaml_parser_initialize (&parser);
  yaml_parser_set_input_string (&parser, (const unsigned char *) contents, length);

  if (!yaml_parser_load (&parser, &reader.document)) {
    set_invalid (error, _("line %zu, column %zu: %s. Fix the YAML syntax there."),
                 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                 parser.problem != NULL ? parser.problem : "syntax error");
    g_prefix_error (error, _("Invalid kubeconfig “%s”: "), path);
    yaml_parser_delete (&parser);
    explicit_bzero (contents, length);
    return NULL;
  }

  problems = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_kubeconfig_skipped_free);
  reader.folder = g_path_get_dirname (path);
  result = read_document (&reader, problems, error);
  if (result == NULL)
    g_prefix_error (error, _("Invalid kubeconfig “%s”: "), path);

  g_free (reader.folder);
  yaml_document_delete (&reader.document);
  yaml_parser_delete (&parser);
  explicit_bzero (contents, length);

  if (result != NULL && skipped != NULL)
    *skipped = g_steal_pointer (&problems);

  return result;
}
