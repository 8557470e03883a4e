/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dr-credentials.h"

G_BEGIN_DECLS

/* The credentials of one cluster in Preferences: API server, token, certificate authority and
 * TLS verification, with buttons that test the connection and store or remove them in the
 * keyring. "stored" is TRUE while the keyring contains credentials for the cluster. */
#define DR_TYPE_CLUSTER_GROUP (dr_cluster_group_get_type ())
G_DECLARE_FINAL_TYPE (DrClusterGroup, dr_cluster_group, DR, CLUSTER_GROUP, AdwPreferencesGroup)

DrClusterGroup *dr_cluster_group_new         (const char     *cluster,
                                              const char     *description);
const char     *dr_cluster_group_get_cluster (DrClusterGroup *self);
gboolean        dr_cluster_group_get_stored  (DrClusterGroup *self);
gboolean        dr_cluster_group_get_busy    (DrClusterGroup *self);
void            dr_cluster_group_reload      (DrClusterGroup *self);
void            dr_cluster_group_load_certificate_authority (DrClusterGroup *self,
                                                             GFile          *file);
void            dr_cluster_group_focus       (DrClusterGroup *self);

G_END_DECLS
