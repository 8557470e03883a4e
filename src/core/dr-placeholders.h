/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DR_PLACEHOLDER_ERROR (dr_placeholder_error_quark ())

typedef enum
{
  DR_PLACEHOLDER_ERROR_UNKNOWN,     /* {name} is not a known placeholder */
  DR_PLACEHOLDER_ERROR_SYNTAX,      /* unbalanced braces */
  DR_PLACEHOLDER_ERROR_INVALID,     /* a value fails its validation */
  DR_PLACEHOLDER_ERROR_MISSING,     /* a placeholder used by the step has no value */
} DrPlaceholderError;

/* Known placeholders, their DYNAMO_* variable and the rule their value must pass:
 *   {service}          DYNAMO_SERVICE           DNS label
 *   {version}          DYNAMO_VERSION           OCI tag [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   {previous-version} DYNAMO_PREVIOUS_VERSION  OCI tag
 *   {environment}      DYNAMO_ENVIRONMENT       DNS label
 *   {namespace}        DYNAMO_NAMESPACE         DNS label
 *   {cluster}          DYNAMO_CLUSTER           DNS subdomain
 *   {base-url}         DYNAMO_BASE_URL          http or https URL with a host, made of letters,
 *                                               digits and -._~:/?#[]@%+,= (so no spaces, quotes
 *                                               or shell metacharacters)
 *   {run}              DYNAMO_RUN               decimal run id
 */

GQuark       dr_placeholder_error_quark   (void);

gboolean     dr_placeholder_is_known      (const char          *name);
const char  *dr_placeholder_variable_name (const char          *name);
gboolean     dr_version_is_valid          (const char          *version);
gboolean     dr_placeholder_validate      (const char          *name,
                                           const char          *value,
                                           GError             **error);
gboolean     dr_placeholders_check        (const char          *text,
                                           GError             **error);
char        *dr_placeholders_expand       (const char          *text,
                                           GHashTable          *values,
                                           GError             **error);
char       **dr_placeholders_expand_argv  (const char * const  *argv_template,
                                           GHashTable          *values,
                                           GError             **error);
char       **dr_placeholders_environ      (char               **envp,
                                           GHashTable          *values);

G_END_DECLS
