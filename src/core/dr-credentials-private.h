/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dr-credentials.h"

G_BEGIN_DECLS

/* Parses every "CERTIFICATE" PEM block of @pem into a GPtrArray of GTlsCertificate. Fails when
 * @pem has no such block or a block does not parse. */
GPtrArray *dr_pem_parse_certificates (const char  *pem,
                                      GError     **error);

/* Returns TRUE for "localhost", "*.localhost", 127.0.0.0/8 and ::1. */
gboolean   dr_host_is_loopback       (const char  *host);

/* Overwrites @text with zeros and frees it: for strings that contained a secret. */
void       dr_secret_string_free     (char        *text);

G_END_DECLS
