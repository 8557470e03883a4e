/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dr-cluster-fields.h"

static gboolean
credentials_are_valid (const DrClusterCredentials *credentials)
{
  return dr_cluster_credentials_validate (credentials, NULL);
}

/* Finds the field that dr_cluster_credentials_validate() rejects, because its message does not
 * name it. Each field is validated once more on its own, next to stand-ins known to pass. */
DrClusterField
dr_cluster_fields_find_invalid (const DrClusterCredentials *credentials)
{
  g_autoptr(DrClusterCredentials) probe = NULL;
  gboolean has_token = credentials->token != NULL;
  gboolean has_client_certificate = credentials->client_certificate != NULL ||
                                    credentials->client_key != NULL;

  probe = dr_cluster_credentials_new (credentials->cluster);
  probe->server = g_strdup (credentials->server);
  probe->token = g_strdup ("probe");
  if (!credentials_are_valid (probe))
    return DR_CLUSTER_FIELD_SERVER;

  g_free (probe->server);
  probe->server = g_strdup ("https://localhost:6443");

  if (has_token) {
    g_free (probe->token);
    probe->token = g_strdup (credentials->token);
    if (!credentials_are_valid (probe))
      return DR_CLUSTER_FIELD_TOKEN;
  }

  if (has_client_certificate) {
    g_clear_pointer (&probe->token, g_free);
    probe->client_certificate = g_strdup (credentials->client_certificate);
    probe->client_key = g_strdup (credentials->client_key);
    if (!credentials_are_valid (probe))
      return DR_CLUSTER_FIELD_CLIENT_CERTIFICATE;
  }

  if (!has_token && !has_client_certificate)
    return DR_CLUSTER_FIELD_TOKEN;

  if (credentials->certificate_authority != NULL)
    return DR_CLUSTER_FIELD_CERTIFICATE_AUTHORITY;

  return DR_CLUSTER_FIELD_NONE;
}

/* Replaces every secret of the credentials in a message by asterisks, in case a message from a
 * server or a library quotes one. */
char *
dr_cluster_fields_mask_secrets (const DrClusterCredentials *credentials,
                                const char                 *message)
{
  g_auto(GStrv) secrets = dr_cluster_credentials_dup_secrets (credentials);
  GString *masked = g_string_new (message);

  for (guint i = 0; secrets != NULL && secrets[i] != NULL; i++) {
    if (secrets[i][0] != '\0')
      g_string_replace (masked, secrets[i], "********", 0);
    explicit_bzero (secrets[i], strlen (secrets[i]));
  }

  return g_string_free (masked, FALSE);
}

/* Describes the certificates of a PEM text by the subject of the first one. The error message,
 * when there is none, continues a sentence that names the file, such as "“ca.crt” is not
 * usable: ". */
char *
dr_cluster_fields_describe_certificates (const char  *pem,
                                         GError     **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *subject = NULL;
  guint n_certificates = 0;

  if (!g_utf8_validate (pem, -1, NULL) || strstr (pem, "-----BEGIN CERTIFICATE-----") == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                         _("it contains no PEM certificate. Choose the CA certificate in PEM "
                           "format, which starts with “-----BEGIN CERTIFICATE-----”."));
    return NULL;
  }

  certificate = g_tls_certificate_new_from_pem (pem, -1, error);
  if (certificate == NULL)
    return NULL;

  for (const char *p = pem; (p = strstr (p, "-----BEGIN CERTIFICATE-----")) != NULL; p++)
    n_certificates++;

  subject = g_tls_certificate_get_subject_name (certificate);
  if (subject == NULL)
    subject = g_strdup (_("Certificate without a subject"));

  if (n_certificates <= 1)
    return g_steal_pointer (&subject);

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s and %u more certificate",
                                       "%s and %u more certificates", n_certificates - 1),
                          subject, n_certificates - 1);
}
