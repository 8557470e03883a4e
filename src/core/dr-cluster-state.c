/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dr-cluster-state.h"

void
dr_cluster_state_free (DrClusterState *state)
{
  if (state == NULL)
    return;

  g_free (state->environment);
  g_free (state->cluster);
  g_free (state->namespace);
  g_free (state->name);
  g_free (state->image);
  g_free (state->tag);
  g_free (state->store_version);
  g_free (state->message);
  g_free (state);
}

DrClusterState *
dr_cluster_state_copy (const DrClusterState *state)
{
  DrClusterState *copy;

  g_return_val_if_fail (state != NULL, NULL);

  copy = g_memdup2 (state, sizeof *state);
  copy->environment = g_strdup (state->environment);
  copy->cluster = g_strdup (state->cluster);
  copy->namespace = g_strdup (state->namespace);
  copy->name = g_strdup (state->name);
  copy->image = g_strdup (state->image);
  copy->tag = g_strdup (state->tag);
  copy->store_version = g_strdup (state->store_version);
  copy->message = g_strdup (state->message);

  return copy;
}

/* Returns whether the Deployment was read, so that its image and replica counts are known. */
gboolean
dr_cluster_state_has_deployment (const DrClusterState *state)
{
  g_return_val_if_fail (state != NULL, FALSE);

  return state->status == DR_CLUSTER_STATUS_READY ||
         state->status == DR_CLUSTER_STATUS_PROGRESSING ||
         state->status == DR_CLUSTER_STATUS_DEGRADED;
}

/**
 * dr_cluster_image_dup_tag:
 * @image: (nullable): an image reference such as "registry:5000/dynamo/api:1.4.0"
 *
 * Returns: (nullable): the tag of @image, or "latest" when it names neither a tag nor a
 * digest, because container runtimes assume that tag. NULL when it is pinned by a digest alone.
 */
char *
dr_cluster_image_dup_tag (const char *image)
{
  const char *digest;
  const char *end;
  const char *slash = NULL;
  const char *colon = NULL;

  if (image == NULL || image[0] == '\0')
    return NULL;

  digest = strchr (image, '@');
  end = digest != NULL ? digest : image + strlen (image);

  for (const char *p = image; p < end; p++) {
    if (*p == '/')
      slash = p;
    else if (*p == ':')
      colon = p;
  }

  /* A colon before the last slash separates a registry's host from its port. */
  if (colon != NULL && (slash == NULL || colon > slash) && colon + 1 < end)
    return g_strndup (colon + 1, end - colon - 1);

  if (digest != NULL)
    return NULL;

  return g_strdup ("latest");
}

static const char *
running_build (const DrClusterState *state)
{
  return state->tag != NULL ? state->tag : state->image;
}

static char *
describe_drift (const DrClusterState *state)
{
  const char *build = running_build (state);
  g_autofree char *drift = NULL;
  g_autofree char *rollout = NULL;

  if (state->store_version != NULL)
    /* Translators: the version the cluster runs, then the version the store records. */
    drift = g_strdup_printf (_("Cluster runs %s, the board says %s"), build, state->store_version);
  else
    drift = g_strdup_printf (_("Cluster runs %s, the board shows nothing deployed"), build);

  /* A rollout made outside the board can stall too, so the line names both. */
  if (state->status == DR_CLUSTER_STATUS_PROGRESSING)
    rollout = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "its rollout is in progress (%d of %d updated)",
                                            "its rollout is in progress (%d of %d updated)",
                                            state->replicas),
                               state->updated_replicas, state->replicas);
  else if (state->status == DR_CLUSTER_STATUS_DEGRADED && state->progress_deadline_exceeded)
    rollout = g_strdup (_("its rollout stalled past its progress deadline"));
  else if (state->status == DR_CLUSTER_STATUS_DEGRADED)
    rollout = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d of %d available",
                                            "%d of %d available", state->replicas),
                               state->available_replicas, state->replicas);
  else
    return g_steal_pointer (&drift);

  /* Translators: the drift, then the rollout status: "Cluster runs 1.1.0, the board
   * says 1.0.0; its rollout stalled past its progress deadline". */
  return g_strdup_printf (_("%s; %s"), drift, rollout);
}

static char *
describe_deployment (const DrClusterState *state)
{
  const char *build = running_build (state);

  if (state->drift)
    return describe_drift (state);

  switch (state->status) {
  case DR_CLUSTER_STATUS_READY:
    /* Translators: a version, then ready replicas of all replicas: "1.4.0, 2 of 2 ready". */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Cluster: %s, %d of %d ready",
                                         "Cluster: %s, %d of %d ready", state->replicas),
                            build, state->ready_replicas, state->replicas);

  case DR_CLUSTER_STATUS_PROGRESSING:
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Cluster: rollout in progress (%d of %d updated)",
                                         "Cluster: rollout in progress (%d of %d updated)",
                                         state->replicas),
                            state->updated_replicas, state->replicas);

  case DR_CLUSTER_STATUS_DEGRADED:
    if (state->progress_deadline_exceeded)
      return g_strdup_printf (_("Cluster: rollout of %s stalled past its progress deadline"),
                              build);
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Cluster: %s degraded, %d of %d available",
                                         "Cluster: %s degraded, %d of %d available",
                                         state->replicas),
                            build, state->available_replicas, state->replicas);

  default:
    g_assert_not_reached ();
  }
}

/**
 * dr_cluster_state_describe:
 *
 * Returns: (transfer full): one line that says what the cluster runs and how its rollout
 * stands, or why it could not be asked, as the board and `dynamoctl board` show it
 */
char *
dr_cluster_state_describe (const DrClusterState *state)
{
  const char *message;

  g_return_val_if_fail (state != NULL, NULL);

  if (dr_cluster_state_has_deployment (state))
    return describe_deployment (state);

  message = state->message != NULL ? state->message : "";

  switch (state->status) {
  case DR_CLUSTER_STATUS_NOT_CONFIGURED:
    /* Translators: %s is a cluster name such as "dynamo-prod". */
    return g_strdup_printf (_("No credentials for %s"), state->cluster);

  case DR_CLUSTER_STATUS_KEYRING_UNAVAILABLE:
    if (!state->keyring_locked)
      return g_strdup (_("Keyring unavailable"));
    /* The window reads the credentials again when it becomes active and on its periodic
     * refresh, and dynamoctl at its next command. */
    return g_strdup (_("Keyring locked. Unlock it, for example by logging in again or with "
                       "Seahorse, and the credentials are read again."));

  case DR_CLUSTER_STATUS_UNREACHABLE:
    return g_strdup_printf (_("Cluster unreachable: %s"), message);

  case DR_CLUSTER_STATUS_UNAUTHORIZED:
    return g_strdup_printf (_("Cluster %s rejected the stored credentials"), state->cluster);

  case DR_CLUSTER_STATUS_FORBIDDEN:
    return g_strdup_printf (_("Cluster %s does not let these credentials read Deployments"),
                            state->cluster);

  case DR_CLUSTER_STATUS_NOT_FOUND:
    /* Translators: a Deployment name, then a namespace. */
    return g_strdup_printf (_("Cluster: no Deployment %s in namespace %s"), state->name,
                            state->namespace);

  case DR_CLUSTER_STATUS_FAILED:
  default:
    return g_strdup_printf (_("Cluster check failed: %s"), message);
  }
}
