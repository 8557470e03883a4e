/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "dr-kube-client.h"

G_BEGIN_DECLS

/* Shared by dr-kube-client.c (requests, version, Deployments), dr-kube-client-rollout.c
 * (waiting for a rollout) and dr-kube-client-undo.c (rolling back). */

const char       *dr_kube_client_get_cluster            (DrKubeClient        *self);
SoupSession      *dr_kube_client_get_session            (DrKubeClient        *self);

/* A request to the API server, with the token, the client certificate and the TLS check. */
SoupMessage      *dr_kube_client_create_message         (DrKubeClient        *self,
                                                         const char          *method,
                                                         const char          *path);

/* Sends a GET and returns the JSON object of a successful response, as a JsonNode. */
void              dr_kube_client_get_json_async         (DrKubeClient        *self,
                                                         const char          *path,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
JsonNode         *dr_kube_client_get_json_finish        (DrKubeClient        *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* Errors name the request, the cluster and what to do next, never the token. */
GError           *dr_kube_client_transport_error        (DrKubeClient        *self,
                                                         SoupMessage         *message,
                                                         GError              *error);
GError           *dr_kube_client_status_error           (DrKubeClient        *self,
                                                         SoupMessage         *message,
                                                         guint                http_status,
                                                         JsonObject          *status);
GError           *dr_kube_client_error_from_response    (DrKubeClient        *self,
                                                         SoupMessage         *message,
                                                         GBytes              *body);
GError           *dr_kube_client_invalid_response_error (DrKubeClient        *self,
                                                         SoupMessage         *message,
                                                         const char          *detail);

/* Typed members of a JSON object, or NULL (@default_value) when missing or of another type. */
const char       *dr_kube_json_get_string               (JsonObject          *object,
                                                         const char          *name);
gint64            dr_kube_json_get_int                  (JsonObject          *object,
                                                         const char          *name,
                                                         gint64               default_value);
JsonObject       *dr_kube_json_get_object               (JsonObject          *object,
                                                         const char          *name);
JsonArray        *dr_kube_json_get_array                (JsonObject          *object,
                                                         const char          *name);

/* Parses @body as a JSON object. Returns NULL when it is not one. */
JsonNode         *dr_kube_parse_json_object             (GBytes              *body);

/* Reads a Deployment object, or returns NULL when it has no name. @status_replicas receives
 * status.replicas, which counts the pods of old ReplicaSets too. */
DrKubeDeployment *dr_kube_deployment_from_json          (JsonObject          *object,
                                                         int                 *status_replicas);

/* Checks the names that go into a request path, so that no name can change the path. */
gboolean          dr_kube_check_names                   (const char          *namespace,
                                                         const char          *name,
                                                         GError             **error);
char             *dr_kube_deployment_path               (const char          *namespace,
                                                         const char          *name);

G_END_DECLS
