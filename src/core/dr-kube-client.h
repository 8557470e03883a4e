/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dr-credentials.h"

G_BEGIN_DECLS

#define DR_KUBE_ERROR (dr_kube_error_quark ())

typedef enum
{
  DR_KUBE_ERROR_UNREACHABLE,     /* connection or TLS failure */
  DR_KUBE_ERROR_UNAUTHORIZED,    /* 401 */
  DR_KUBE_ERROR_FORBIDDEN,       /* 403 */
  DR_KUBE_ERROR_NOT_FOUND,       /* 404 */
  DR_KUBE_ERROR_CONFLICT,        /* 409 */
  DR_KUBE_ERROR_PROGRESS_DEADLINE_EXCEEDED,
  DR_KUBE_ERROR_INVALID_RESPONSE,
  DR_KUBE_ERROR_FAILED,
  DR_KUBE_ERROR_REVISION_NOT_FOUND,  /* no earlier revision, or not the one requested */
  DR_KUBE_ERROR_PAUSED,              /* a paused Deployment cannot be rolled back */
} DrKubeError;

typedef struct
{
  char    *name;
  char    *namespace;
  char    *image;                 /* first container's image */
  char    *resource_version;
  gint64   generation;
  gint64   observed_generation;
  gint64   revision;              /* deployment.kubernetes.io/revision */
  int      replicas;
  int      updated_replicas;
  int      ready_replicas;
  int      available_replicas;
  gboolean available;             /* condition Available=True */
  gboolean progressing;           /* condition Progressing=True */
  gboolean progress_deadline_exceeded;
  char    *message;               /* the newest condition message */
} DrKubeDeployment;

/* What dr_kube_client_undo_rollout_async() changed. */
typedef struct
{
  gint64    from_revision;        /* the Deployment's revision before the rollback */
  char     *from_image;           /* its first container's image before the rollback */
  gint64    to_revision;          /* the revision whose pod template was restored */
  char     *to_image;
  gboolean  changed;              /* FALSE when the template already was that revision's */
} DrKubeRollback;

#define DR_TYPE_KUBE_CLIENT (dr_kube_client_get_type ())
G_DECLARE_FINAL_TYPE (DrKubeClient, dr_kube_client, DR, KUBE_CLIENT, GObject)

GQuark            dr_kube_error_quark            (void);

DrKubeClient     *dr_kube_client_new             (const DrClusterCredentials *credentials,
                                                  GError                    **error);

/* GET /version: returns "v1.29.2" or similar. */
void              dr_kube_client_get_version_async  (DrKubeClient        *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
char             *dr_kube_client_get_version_finish (DrKubeClient        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

void              dr_kube_client_get_deployment_async  (DrKubeClient        *self,
                                                        const char          *namespace,
                                                        const char          *name,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
DrKubeDeployment *dr_kube_client_get_deployment_finish (DrKubeClient        *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Watches the Deployment until its rollout is complete (observedGeneration caught up, all
 * replicas updated and available) or its progress deadline passes. progress_callback runs on
 * the calling thread's main context for each state seen. */
typedef void (*DrKubeRolloutProgress) (const DrKubeDeployment *deployment,
                                       gpointer                user_data);

void              dr_kube_client_wait_for_rollout_async  (DrKubeClient          *self,
                                                          const char            *namespace,
                                                          const char            *name,
                                                          DrKubeRolloutProgress  progress,
                                                          gpointer               progress_data,
                                                          GCancellable          *cancellable,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
DrKubeDeployment *dr_kube_client_wait_for_rollout_finish (DrKubeClient          *self,
                                                          GAsyncResult          *result,
                                                          GError               **error);

/* Rolls the Deployment back to an earlier revision as `kubectl rollout undo` does. It finds the
 * ReplicaSets that the Deployment controls and takes the pod template of @to_revision, or of the
 * revision before the newest when @to_revision is 0. It patches spec.template with it, on the
 * condition that the Deployment has not changed since it was read, and does not wait for the
 * rollout that follows. */
void              dr_kube_client_undo_rollout_async  (DrKubeClient        *self,
                                                      const char          *namespace,
                                                      const char          *name,
                                                      gint64               to_revision,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
DrKubeRollback   *dr_kube_client_undo_rollout_finish (DrKubeClient        *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

void              dr_kube_deployment_free        (DrKubeDeployment *deployment);
void              dr_kube_rollback_free          (DrKubeRollback   *rollback);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrKubeDeployment, dr_kube_deployment_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrKubeRollback, dr_kube_rollback_free)

G_END_DECLS
