/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DR_CREDENTIALS_ERROR (dr_credentials_error_quark ())

typedef enum
{
  DR_CREDENTIALS_ERROR_NO_KEYRING,   /* no Secret Service on the session bus */
  DR_CREDENTIALS_ERROR_LOCKED,       /* the keyring or the item is locked */
  DR_CREDENTIALS_ERROR_NOT_FOUND,    /* no credentials stored for that cluster */
  DR_CREDENTIALS_ERROR_INVALID,      /* stored or entered values are not usable */
  DR_CREDENTIALS_ERROR_FAILED,
} DrCredentialsError;

/* A cluster's credentials. Only the keyring keeps them; nothing here is written elsewhere
 * except the per-run kubeconfig, which is deleted when the run ends. */
typedef struct
{
  char     *cluster;                  /* the workspace's cluster name */
  char     *server;                   /* https://host:port */
  char     *token;                    /* bearer token, or NULL */
  char     *certificate_authority;    /* PEM, or NULL to use the system's CAs */
  char     *client_certificate;       /* PEM, or NULL */
  char     *client_key;               /* PEM, or NULL */
  gboolean  insecure_skip_tls_verify;
} DrClusterCredentials;

GQuark                dr_credentials_error_quark   (void);

DrClusterCredentials *dr_cluster_credentials_new   (const char                 *cluster);
DrClusterCredentials *dr_cluster_credentials_copy  (const DrClusterCredentials *credentials);
void                  dr_cluster_credentials_free  (DrClusterCredentials       *credentials);
gboolean              dr_cluster_credentials_validate (const DrClusterCredentials *credentials,
                                                    GError                    **error);
char                **dr_cluster_credentials_dup_secrets (const DrClusterCredentials *credentials);

void                  dr_credentials_store_async   (const DrClusterCredentials *credentials,
                                                    GCancellable               *cancellable,
                                                    GAsyncReadyCallback         callback,
                                                    gpointer                    user_data);
gboolean              dr_credentials_store_finish  (GAsyncResult               *result,
                                                    GError                    **error);
void                  dr_credentials_lookup_async  (const char                 *cluster,
                                                    GCancellable               *cancellable,
                                                    GAsyncReadyCallback         callback,
                                                    gpointer                    user_data);
DrClusterCredentials *dr_credentials_lookup_finish (GAsyncResult               *result,
                                                    GError                    **error);
void                  dr_credentials_delete_async  (const char                 *cluster,
                                                    GCancellable               *cancellable,
                                                    GAsyncReadyCallback         callback,
                                                    gpointer                    user_data);
gboolean              dr_credentials_delete_finish (GAsyncResult               *result,
                                                    GError                    **error);

/* Blocking forms for dynamoctl and worker threads. */
gboolean              dr_credentials_store_sync    (const DrClusterCredentials *credentials,
                                                    GCancellable               *cancellable,
                                                    GError                    **error);
DrClusterCredentials *dr_credentials_lookup_sync   (const char                 *cluster,
                                                    GCancellable               *cancellable,
                                                    GError                    **error);
gboolean              dr_credentials_delete_sync   (const char                 *cluster,
                                                    GCancellable               *cancellable,
                                                    GError                    **error);

/* Writes a kubeconfig for one run: mode 0600, in a 0700 folder under $XDG_RUNTIME_DIR. The
 * store key keeps runs of two stores with one id apart. */
char                 *dr_kubeconfig_write_for_run  (const DrClusterCredentials *credentials,
                                                    const char                 *namespace,
                                                    gint64                      run_id,
                                                    const char                 *store_key,
                                                    GError                    **error);
guint                 dr_kubeconfig_delete_for_run (gint64                      run_id,
                                                    const char                 *store_key);
/* A context of a kubeconfig file that cannot be imported. */
typedef struct
{
  char *context;   /* the context's name */
  char *cluster;   /* the name of its cluster, or NULL when it names none */
  char *reason;    /* why it cannot be imported, and what to change */
} DrKubeconfigSkipped;

void                  dr_kubeconfig_skipped_free   (DrKubeconfigSkipped        *skipped);

/* Reads every cluster of a kubeconfig file, with its user's credentials resolved; the contexts
 * that cannot be imported go to `skipped` (optional) with the reason. */
GPtrArray            *dr_kubeconfig_read           (const char                 *path,
                                                    GPtrArray                 **skipped,
                                                    GError                    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrClusterCredentials, dr_cluster_credentials_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrKubeconfigSkipped, dr_kubeconfig_skipped_free)

G_END_DECLS
