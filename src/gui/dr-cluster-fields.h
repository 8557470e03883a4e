/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dr-credentials.h"

G_BEGIN_DECLS

/* Checks for the fields of the cluster credentials in Preferences. */

typedef enum
{
  DR_CLUSTER_FIELD_NONE,
  DR_CLUSTER_FIELD_SERVER,
  DR_CLUSTER_FIELD_TOKEN,
  DR_CLUSTER_FIELD_CERTIFICATE_AUTHORITY,
  DR_CLUSTER_FIELD_CLIENT_CERTIFICATE,
} DrClusterField;

DrClusterField dr_cluster_fields_find_invalid          (const DrClusterCredentials *credentials);
char          *dr_cluster_fields_mask_secrets          (const DrClusterCredentials *credentials,
                                                        const char                 *message);
char          *dr_cluster_fields_describe_certificates (const char                 *pem,
                                                        GError                    **error);

G_END_DECLS
