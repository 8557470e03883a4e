/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What an environment's cluster reports about a service's Deployment, or why it could not be
 * asked. */
typedef enum
{
  DR_CLUSTER_STATUS_NOT_CONFIGURED,       /* no credentials are stored for the cluster */
  DR_CLUSTER_STATUS_KEYRING_UNAVAILABLE,  /* the keyring is locked, not running or failing */
  DR_CLUSTER_STATUS_UNREACHABLE,          /* no HTTP response: connection, TLS or timeout */
  DR_CLUSTER_STATUS_UNAUTHORIZED,         /* HTTP 401: the token or certificate was rejected */
  DR_CLUSTER_STATUS_FORBIDDEN,            /* HTTP 403: the credentials may not read it */
  DR_CLUSTER_STATUS_NOT_FOUND,            /* no Deployment named after the service */
  DR_CLUSTER_STATUS_FAILED,               /* any other error, such as unusable credentials */
  DR_CLUSTER_STATUS_READY,                /* rollout complete, every replica available */
  DR_CLUSTER_STATUS_PROGRESSING,          /* a rollout is under way */
  DR_CLUSTER_STATUS_DEGRADED,             /* progress deadline exceeded, or replicas missing */
} DrClusterStatus;

/* The live state of one environment's Deployment of a service, next to the build that the
 * store records as current in that environment. */
typedef struct
{
  char            *environment;
  char            *cluster;            /* the workspace's cluster name */
  char            *namespace;
  char            *name;               /* the Deployment's name, which is the service id */
  DrClusterStatus  status;
  gboolean         keyring_locked;     /* KEYRING_UNAVAILABLE because the keyring is locked */

  /* Read from the Deployment; NULL and 0 unless dr_cluster_state_has_deployment(). */
  char            *image;              /* the first container's image */
  char            *tag;                /* the image's tag, or NULL when pinned by digest alone */
  gint64           revision;
  int              replicas;
  int              updated_replicas;
  int              ready_replicas;
  int              available_replicas;
  gboolean         progress_deadline_exceeded;

  char            *store_version;      /* the current version according to the store, or NULL */
  gboolean         drift;              /* the tag differs from store_version, and no run of
                                        * this app that is changing the Deployment explains it */
  char            *message;            /* the error or newest condition, secrets masked */
} DrClusterState;

void             dr_cluster_state_free            (DrClusterState       *state);
DrClusterState  *dr_cluster_state_copy            (const DrClusterState *state);
gboolean         dr_cluster_state_has_deployment  (const DrClusterState *state);
char            *dr_cluster_state_describe        (const DrClusterState *state);
char            *dr_cluster_image_dup_tag         (const char           *image);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrClusterState, dr_cluster_state_free)

G_END_DECLS
