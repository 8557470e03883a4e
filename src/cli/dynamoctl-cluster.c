/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dynamoctl cluster`: the clusters' API servers and credentials, kept in the keyring only. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "dr-credentials.h"
#include "dr-kube-client.h"
#include "dynamoctl.h"

/* Reads a secret or a PEM file; "-" reads standard input. The caller wipes the result. */
static char *
read_secret_file (const char  *path,
                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *contents = NULL;

  if (g_str_equal (path, "-")) {
    g_autoptr(GString) text = g_string_new (NULL);
    char buffer[4096];
    size_t n_read;

    while ((n_read = fread (buffer, 1, sizeof buffer, stdin)) > 0)
      g_string_append_len (text, buffer, n_read);
    explicit_bzero (buffer, sizeof buffer);

    if (ferror (stdin)) {
      explicit_bzero (text->str, text->len);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("Could not read standard input."));
      return NULL;
    }

    return g_string_free (g_steal_pointer (&text), FALSE);
  }

  if (!g_file_get_contents (path, &contents, NULL, &local_error)) {
    g_set_error (error, G_IO_ERROR,
                 g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                 ? G_IO_ERROR_NOT_FOUND : G_IO_ERROR_FAILED,
                 _("Could not read %s: %s"), path, local_error->message);
    return NULL;
  }

  return contents;
}

static void
wipe_string (char *text)
{
  if (text == NULL)
    return;

  explicit_bzero (text, strlen (text));
  g_free (text);
}

typedef char *DrCtlSecret;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (DrCtlSecret, wipe_string, NULL)

/* Replaces every secret of the credentials in a message by ********. */
static char *
mask_secrets (const DrClusterCredentials *credentials,
              const char                 *message)
{
  g_auto(GStrv) secrets = dr_cluster_credentials_dup_secrets (credentials);
  g_autofree char *masked = g_strdup (message);

  for (guint i = 0; secrets != NULL && secrets[i] != NULL; i++) {
    g_auto(GStrv) parts = NULL;

    if (secrets[i][0] == '\0')
      continue;
    parts = g_strsplit (masked, secrets[i], -1);
    g_free (masked);
    masked = g_strjoinv ("********", parts);
  }

  for (guint i = 0; secrets != NULL && secrets[i] != NULL; i++)
    explicit_bzero (secrets[i], strlen (secrets[i]));

  return g_steal_pointer (&masked);
}

static gboolean
is_workspace_cluster (DrWorkspace *workspace,
                      const char  *cluster)
{
  GPtrArray *environments = dr_workspace_get_environments (workspace);

  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);

    if (g_strcmp0 (environment->cluster, cluster) == 0)
      return TRUE;
  }

  return FALSE;
}

static char *
describe_workspace_clusters (DrWorkspace *workspace)
{
  GPtrArray *environments = dr_workspace_get_environments (workspace);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);

    if (!g_hash_table_add (seen, environment->cluster))
      continue;
    g_string_append_printf (text, "%s%s", text->len > 0 ? ", " : "", environment->cluster);
  }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

int
dr_ctl_cluster_set (DrCtl              *ctl,
                    const DrCtlCommand *command,
                    char              **args)
{
  g_autoptr(DrClusterCredentials) credentials = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;
  g_autofree char *token_file = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *certificate_file = NULL;
  g_autofree char *key_file = NULL;
  g_auto(DrCtlSecret) token = NULL;
  gboolean insecure = FALSE;
  const GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &server,
      N_("The API server’s URL, such as https://api.example.com:6443 (required)"), N_("URL") },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file,
      N_("File that contains the bearer token; “-” reads it from standard input"), N_("FILE") },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file,
      N_("PEM file of the certificate authority that signed the server’s certificate "
         "(default: the system’s authorities)"), N_("FILE") },
    { "client-certificate-file", 0, 0, G_OPTION_ARG_FILENAME, &certificate_file,
      N_("PEM file of a client certificate, instead of or besides a token"), N_("FILE") },
    { "client-key-file", 0, 0, G_OPTION_ARG_FILENAME, &key_file,
      N_("PEM file of the client certificate’s private key"), N_("FILE") },
    { "insecure", 0, 0, G_OPTION_ARG_NONE, &insecure,
      N_("Do not verify the server’s TLS certificate; for test clusters only"), NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!dr_ctl_parse_command (ctl, command, entries, &args, 1, 1))
    return DR_CTL_EXIT_USAGE;
  if (server == NULL)
    return dr_ctl_fail_usage (_("Pass --server URL, such as https://api.example.com:6443."));

  credentials = dr_cluster_credentials_new (args[1]);
  credentials->server = g_strdup (server);
  credentials->insecure_skip_tls_verify = insecure;

  if (token_file != NULL) {
    token = read_secret_file (token_file, &error);
    if (token == NULL)
      return dr_ctl_fail (error);
    credentials->token = g_strdup (g_strstrip (token));
  }
  if (ca_file != NULL) {
    credentials->certificate_authority = read_secret_file (ca_file, &error);
    if (credentials->certificate_authority == NULL)
      return dr_ctl_fail (error);
  }
  if (certificate_file != NULL) {
    credentials->client_certificate = read_secret_file (certificate_file, &error);
    if (credentials->client_certificate == NULL)
      return dr_ctl_fail (error);
  }
  if (key_file != NULL) {
    credentials->client_key = read_secret_file (key_file, &error);
    if (credentials->client_key == NULL)
      return dr_ctl_fail (error);
  }

  if (!dr_cluster_credentials_validate (credentials, &error) ||
      !dr_credentials_store_sync (credentials, NULL, &error))
    return dr_ctl_fail (error);

  g_print (_("Stored the credentials of cluster %s, server %s, in the keyring.\n"),
           credentials->cluster, credentials->server);

  /* A misspelt name stores credentials that no run ever uses. */
  if (dr_ctl_load_workspace (ctl, NULL) && !is_workspace_cluster (ctl->workspace, args[1])) {
    g_autofree char *known = describe_workspace_clusters (ctl->workspace);

    dr_ctl_print_message (_("No environment of workspace “%s” uses cluster “%s”; its clusters "
                             "are %s."),
                          dr_workspace_get_name (ctl->workspace), args[1], known);
  }

  return DR_CTL_EXIT_OK;
}

int
dr_ctl_cluster_test (DrCtl              *ctl,
                     const DrCtlCommand *command,
                     char              **args)
{
  g_autoptr(DrClusterCredentials) credentials = NULL;
  g_autoptr(DrKubeClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;

  if (!dr_ctl_parse_command (ctl, command, NULL, &args, 1, 1))
    return DR_CTL_EXIT_USAGE;

  credentials = dr_credentials_lookup_sync (args[1], NULL, &error);
  if (credentials == NULL)
    return dr_ctl_fail (error);

  client = dr_kube_client_new (credentials, &error);
  if (client != NULL) {
    dr_kube_client_get_version_async (client, NULL, dr_ctl_result_cb, &result);
    version = dr_kube_client_get_version_finish (client, dr_ctl_wait (&result), &error);
  }

  if (version == NULL) {
    g_autofree char *masked = mask_secrets (credentials, error->message);

    /* The Kubernetes client's errors name the cluster and the request already. */
    if (error->domain == DR_KUBE_ERROR)
      dr_ctl_print_error (masked);
    else
      /* Translators: cluster name, server URL, then why the connection failed. */
      dr_ctl_print_message (_("Could not connect to cluster %s at %s: %s"), args[1],
                            credentials->server, masked);
    return g_error_matches (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_INVALID)
           ? DR_CTL_EXIT_USAGE : DR_CTL_EXIT_FAILED;
  }

  /* Translators: cluster name, server URL, Kubernetes version such as v1.29.2. */
  g_print (_("Cluster %s at %s answers: Kubernetes %s.\n"), args[1], credentials->server,
           version);

  return DR_CTL_EXIT_OK;
}

int
dr_ctl_cluster_remove (DrCtl              *ctl,
                       const DrCtlCommand *command,
                       char              **args)
{
  g_autoptr(GError) error = NULL;

  if (!dr_ctl_parse_command (ctl, command, NULL, &args, 1, 1))
    return DR_CTL_EXIT_USAGE;

  if (!dr_credentials_delete_sync (args[1], NULL, &error))
    return dr_ctl_fail (error);

  g_print (_("Deleted the credentials of cluster %s from the keyring.\n"), args[1]);

  return DR_CTL_EXIT_OK;
}

/* Returns the workspace cluster that a kubeconfig entry is imported as, or NULL to skip it. */
static const char *
choose_target (DrWorkspace *workspace,
               GHashTable  *renames,
               const char  *cluster)
{
  const char *target = g_hash_table_lookup (renames, cluster);

  if (target != NULL)
    return target;

  return is_workspace_cluster (workspace, cluster) ? cluster : NULL;
}

static const DrKubeconfigSkipped *
find_skipped (GPtrArray  *skipped,
              const char *cluster)
{
  for (guint i = 0; skipped != NULL && i < skipped->len; i++) {
    const DrKubeconfigSkipped *context = g_ptr_array_index (skipped, i);

    if (g_strcmp0 (context->cluster, cluster) == 0)
      return context;
  }

  return NULL;
}

static gboolean
parse_renames (DrCtl       *ctl,
               char       **maps,
               GPtrArray   *entries,
               GPtrArray   *skipped,
               GHashTable  *renames,
               int         *status)
{
  for (guint i = 0; maps != NULL && maps[i] != NULL; i++) {
    const char *equals = strchr (maps[i], '=');
    g_autofree char *from = NULL;
    gboolean in_file = FALSE;

    if (equals == NULL || equals == maps[i] || equals[1] == '\0') {
      *status = dr_ctl_fail_usage (_("Invalid --map “%s”: write KUBECONFIG-CLUSTER="
                                     "WORKSPACE-CLUSTER."), maps[i]);
      return FALSE;
    }

    from = g_strndup (maps[i], equals - maps[i]);
    for (guint j = 0; j < entries->len && !in_file; j++)
      in_file = g_str_equal (((DrClusterCredentials *) g_ptr_array_index (entries, j))->cluster,
                             from);
    if (!in_file && find_skipped (skipped, from) != NULL) {
      const DrKubeconfigSkipped *context = find_skipped (skipped, from);

      *status = dr_ctl_fail_usage (_("Invalid --map “%s”: context “%s” for cluster “%s” cannot "
                                     "be imported: %s"),
                                   maps[i], context->context, from, context->reason);
      return FALSE;
    }
    if (!in_file) {
      *status = dr_ctl_fail_usage (_("Invalid --map “%s”: no context of the file is for "
                                     "cluster “%s”."), maps[i], from);
      return FALSE;
    }

    if (!is_workspace_cluster (ctl->workspace, equals + 1)) {
      g_autofree char *known = describe_workspace_clusters (ctl->workspace);

      *status = dr_ctl_fail_usage (_("Invalid --map “%s”: workspace “%s” has no cluster “%s”; "
                                     "its clusters are %s."),
                                   maps[i], dr_workspace_get_name (ctl->workspace), equals + 1,
                                   known);
      return FALSE;
    }

    g_hash_table_insert (renames, g_steal_pointer (&from), g_strdup (equals + 1));
  }

  return TRUE;
}

int
dr_ctl_cluster_import (DrCtl              *ctl,
                       const DrCtlCommand *command,
                       char              **args)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) unsupported = NULL;
  g_autoptr(GHashTable) renames = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) chosen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) skipped = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) maps = NULL;
  int status;
  const GOptionEntry options[] = {
    { "map", 0, 0, G_OPTION_ARG_STRING_ARRAY, &maps,
      N_("Import the kubeconfig’s cluster FROM as the workspace’s cluster TO; repeat it for "
         "several"), N_("FROM=TO") },
    G_OPTION_ENTRY_NULL
  };

  if (!dr_ctl_parse_command (ctl, command, options, &args, 1, 1))
    return DR_CTL_EXIT_USAGE;

  status = dr_ctl_open_workspace (ctl);
  if (status != DR_CTL_EXIT_OK)
    return status;

  if (!g_file_test (args[1], G_FILE_TEST_EXISTS)) {
    dr_ctl_print_message (_("The kubeconfig file %s does not exist."), args[1]);
    return DR_CTL_EXIT_NOT_FOUND;
  }

  entries = dr_kubeconfig_read (args[1], &unsupported, &error);
  if (entries == NULL) {
    dr_ctl_print_error (error->message);
    return DR_CTL_EXIT_USAGE;
  }

  if (!parse_renames (ctl, maps, entries, unsupported, renames, &status))
    return status;

  /* Everything is checked before anything is stored. */
  for (guint i = 0; i < entries->len; i++) {
    DrClusterCredentials *entry = g_ptr_array_index (entries, i);
    const char *target = choose_target (ctl->workspace, renames, entry->cluster);

    if (target == NULL) {
      g_string_append_printf (skipped, "%s%s", skipped->len > 0 ? ", " : "", entry->cluster);
      continue;
    }
    if (!g_hash_table_add (chosen, (gpointer) target))
      return dr_ctl_fail_usage (_("Several contexts of %s are for cluster %s. Import them one "
                                  "at a time with --map, from files with one context each."),
                                args[1], target);
  }

  if (g_hash_table_size (chosen) == 0) {
    g_autofree char *known = describe_workspace_clusters (ctl->workspace);

    dr_ctl_print_message (_("No context of %s is for a cluster of workspace “%s” (%s). Use "
                             "--map KUBECONFIG-CLUSTER=WORKSPACE-CLUSTER."),
                          args[1], dr_workspace_get_name (ctl->workspace), known);
    return DR_CTL_EXIT_NOT_FOUND;
  }

  for (guint i = 0; i < entries->len; i++) {
    DrClusterCredentials *entry = g_ptr_array_index (entries, i);
    g_autofree char *source = NULL;

    if (choose_target (ctl->workspace, renames, entry->cluster) == NULL)
      continue;

    /* target may be entry->cluster itself. */
    source = g_steal_pointer (&entry->cluster);
    entry->cluster = g_strdup (choose_target (ctl->workspace, renames, source));

    if (!dr_cluster_credentials_validate (entry, &error) ||
        !dr_credentials_store_sync (entry, NULL, &error))
      return dr_ctl_fail (error);

    /* Translators: cluster name in the file, workspace cluster name, server URL. */
    g_print (_("Imported cluster %s as %s, server %s.\n"), source, entry->cluster,
             entry->server);
  }

  if (skipped->len > 0)
    dr_ctl_print_message (_("Skipped the contexts for clusters %s: the workspace has no "
                             "clusters of those names. Use --map to import them."),
                          skipped->str);

  /* The other contexts were imported; these could not be, whatever their cluster. */
  for (guint i = 0; i < unsupported->len; i++) {
    const DrKubeconfigSkipped *context = g_ptr_array_index (unsupported, i);

    /* Translators: a context name, then why it cannot be imported. */
    dr_ctl_print_message (_("Not imported: context “%s”: %s"), context->context,
                          context->reason);
  }

  return DR_CTL_EXIT_OK;
}
