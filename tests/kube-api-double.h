/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A stand-in for a Kubernetes API server, for tests: a SoupServer on 127.0.0.1 that serves
 * /version, apps/v1 Deployments and their ReplicaSets the way the Kubernetes API reference
 * documents them. It checks a bearer token and returns errors as Status objects. It bumps
 * metadata.generation and resourceVersion on PATCH and PUT, and takes a resourceVersion in a PUT
 * or patch as a precondition. It simulates a rolling update over a few ticks with one
 * ReplicaSet per pod template, and streams watch events as newline-delimited WatchEvent JSON
 * objects. It runs on the thread-default main context of the thread that creates it. */
typedef struct _KubeApiDouble KubeApiDouble;

typedef void (*KubeApiDoubleHook) (KubeApiDouble *self,
                                   gpointer       user_data);

KubeApiDouble *kube_api_double_new                    (const char      *token);
void           kube_api_double_free                   (KubeApiDouble   *self);

/* "http://127.0.0.1:PORT", without a trailing "/". */
const char    *kube_api_double_get_url                (KubeApiDouble   *self);
/* Also listens for HTTPS on another port, with @certificate (which needs its private key). */
gboolean       kube_api_double_listen_https           (KubeApiDouble   *self,
                                                       GTlsCertificate *certificate,
                                                       GError         **error);
/* Asks HTTPS clients for a certificate, and accepts requests that present @certificate as
 * authenticated, with or without a token. */
void           kube_api_double_trust_client_certificate (KubeApiDouble   *self,
                                                         GTlsCertificate *certificate);
/* "https://127.0.0.1:PORT", or NULL before kube_api_double_listen_https. */
const char    *kube_api_double_get_https_url          (KubeApiDouble   *self);

void           kube_api_double_set_git_version        (KubeApiDouble   *self,
                                                       const char      *git_version);

/* Adds a Deployment whose rollout of @image is complete: generation 1, revision 1, all
 * @replicas updated and available. Its one container is named after the Deployment. */
void           kube_api_double_add_deployment         (KubeApiDouble   *self,
                                                       const char      *namespace,
                                                       const char      *name,
                                                       const char      *image,
                                                       int              replicas);
/* Changes the image as a PATCH would, and starts a rollout. */
void           kube_api_double_set_image              (KubeApiDouble   *self,
                                                       const char      *namespace,
                                                       const char      *name,
                                                       const char      *image);
/* Makes the next rollouts of the Deployment stall after one new pod and end with
 * Progressing=False, reason ProgressDeadlineExceeded. */
void           kube_api_double_set_rollout_fails      (KubeApiDouble   *self,
                                                       const char      *namespace,
                                                       const char      *name,
                                                       gboolean         fails);

/* Makes all but @available replicas unready, as pods failing their readiness probe. */
void           kube_api_double_set_available_replicas (KubeApiDouble   *self,
                                                       const char      *namespace,
                                                       const char      *name,
                                                       int              available);

/* Advances every rollout in progress by one step. Returns TRUE when a Deployment changed. */
gboolean       kube_api_double_tick                   (KubeApiDouble   *self);
/* Ticks by itself every @interval_ms milliseconds; 0, the default, leaves ticks to
 * kube_api_double_tick. */
void           kube_api_double_set_tick_interval      (KubeApiDouble   *self,
                                                       guint            interval_ms);

/* Closes each watch from the server side after @n_events events (0, the default: never). */
void           kube_api_double_set_watch_close_after  (KubeApiDouble   *self,
                                                       guint            n_events);
/* Closes each watch from the server side after @timeout_ms milliseconds (0: never). A watch's
 * timeoutSeconds parameter is honoured too. */
void           kube_api_double_set_watch_timeout      (KubeApiDouble   *self,
                                                       guint            timeout_ms);
/* The number of watch events the server keeps for resuming watches (default 100). A watch
 * from an older resourceVersion gets an ERROR event with a 410 Gone Status. */
void           kube_api_double_set_history_size       (KubeApiDouble   *self,
                                                       guint            n_events);
/* After the next GET of a Deployment, another writer changes it and the history is compacted
 * past that change, so a watch from the resourceVersion that GET returned gets 410 Gone. */
void           kube_api_double_compact_after_next_get (KubeApiDouble   *self);

/* Requests served so far, by kind: "version", "get", "list", "watch", "patch", "put", "delete",
 * "list-replicasets", "get-replicaset", "unauthorized" for those rejected with 401 and
 * "forbidden" for those rejected with 403. */
guint          kube_api_double_get_request_count      (KubeApiDouble   *self,
                                                       const char      *kind);

/* Pauses or resumes the Deployment as a PATCH of spec.paused would. The controller starts no
 * rollout while it is paused. */
void           kube_api_double_set_paused             (KubeApiDouble   *self,
                                                       const char      *namespace,
                                                       const char      *name,
                                                       gboolean         paused);
/* The image of the Deployment's pod template. */
const char    *kube_api_double_get_image              (KubeApiDouble   *self,
                                                       const char      *namespace,
                                                       const char      *name);
/* Adds a ReplicaSet labelled app=@app with @image and @revision, owned by no Deployment, as one
 * left behind by a deleted Deployment whose selector matches another's. */
void           kube_api_double_add_orphan_replica_set (KubeApiDouble   *self,
                                                       const char      *namespace,
                                                       const char      *app,
                                                       const char      *image,
                                                       gint64           revision);
/* Denies @verb ("get", "list", "watch", "patch", "update" or "delete") on @resource
 * ("deployments" or "replicasets") with 403 Forbidden, as RBAC would. */
void           kube_api_double_forbid                 (KubeApiDouble   *self,
                                                       const char      *verb,
                                                       const char      *resource);
/* Calls @hook once, after the response to the next request of @kind (as counted by
 * kube_api_double_get_request_count) is complete, as another writer acting at that moment. */
void           kube_api_double_hook_next_request      (KubeApiDouble     *self,
                                                       const char        *kind,
                                                       KubeApiDoubleHook  hook,
                                                       gpointer           user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KubeApiDouble, kube_api_double_free)

G_END_DECLS
