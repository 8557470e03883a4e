/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "dr-placeholders.h"

G_DEFINE_QUARK (dr-placeholder-error-quark, dr_placeholder_error)

/* Values longer than this are cut in error messages, so that one bad value cannot flood a log. */
#define MAX_SHOWN_VALUE 160

typedef gboolean (*DrValueCheck) (const char *value);

typedef struct
{
  const char   *name;
  const char   *variable;
  DrValueCheck  check;
} DrPlaceholder;

static gboolean
is_lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static gboolean
is_dns_label_range (const char *start,
                    gsize       length)
{
  if (length == 0 || length > 63)
    return FALSE;

  if (!is_lower_alnum (start[0]) || !is_lower_alnum (start[length - 1]))
    return FALSE;

  for (gsize i = 0; i < length; i++) {
    if (!is_lower_alnum (start[i]) && start[i] != '-')
      return FALSE;
  }

  return TRUE;
}

static gboolean
is_dns_label (const char *value)
{
  return is_dns_label_range (value, strlen (value));
}

static gboolean
is_dns_subdomain (const char *value)
{
  gsize length = strlen (value);
  const char *label = value;

  if (length == 0 || length > 253)
    return FALSE;

  for (;;) {
    const char *dot = strchr (label, '.');
    gsize label_length = dot != NULL ? (gsize) (dot - label) : strlen (label);

    if (!is_dns_label_range (label, label_length))
      return FALSE;

    if (dot == NULL)
      return TRUE;

    label = dot + 1;
  }
}

static gboolean
is_run_id (const char *value)
{
  gsize length = strlen (value);
  guint64 number;

  if (length == 0)
    return FALSE;

  for (gsize i = 0; i < length; i++) {
    if (!g_ascii_isdigit (value[i]))
      return FALSE;
  }

  /* Run ids are gint64 in the store. */
  return g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT64, &number, NULL);
}

/* Letters, digits and the URL punctuation a base URL needs. Quotes, spaces, "$", ";", "&", "|",
 * "`", "\", "<", ">", "(", ")", "*" and "!" are left out, so a base URL means nothing to a shell
 * even where a command passes it through one. */
static gboolean
is_base_url_char (char c)
{
  return g_ascii_isalnum (c) || strchr ("-._~:/?#[]@%+,=", c) != NULL;
}

static gboolean
is_base_url (const char *value)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  if (!g_str_has_prefix (value, "http://") && !g_str_has_prefix (value, "https://"))
    return FALSE;

  if (strlen (value) > 2048)
    return FALSE;

  for (const char *c = value; *c != '\0'; c++) {
    if (!is_base_url_char (*c))
      return FALSE;
  }

  uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);

  return (g_str_equal (scheme, "http") || g_str_equal (scheme, "https")) &&
         host != NULL && host[0] != '\0';
}

static const DrPlaceholder placeholders[] = {
  { "service", "DYNAMO_SERVICE", is_dns_label },
  { "version", "DYNAMO_VERSION", dr_version_is_valid },
  { "previous-version", "DYNAMO_PREVIOUS_VERSION", dr_version_is_valid },
  { "environment", "DYNAMO_ENVIRONMENT", is_dns_label },
  { "namespace", "DYNAMO_NAMESPACE", is_dns_label },
  { "cluster", "DYNAMO_CLUSTER", is_dns_subdomain },
  { "base-url", "DYNAMO_BASE_URL", is_base_url },
  { "run", "DYNAMO_RUN", is_run_id },
};

static const DrPlaceholder *
find_placeholder (const char *name,
                  gsize       length)
{
  for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++) {
    if (strlen (placeholders[i].name) == length &&
        strncmp (placeholders[i].name, name, length) == 0)
      return &placeholders[i];
  }

  return NULL;
}

/* Returns the value as it should appear in a message: control characters escaped and very long
 * values cut, so that the message stays one readable line. */
static char *
format_value_for_message (const char *value)
{
  g_autofree char *shown = NULL;

  if (strlen (value) > MAX_SHOWN_VALUE) {
    gsize cut = MAX_SHOWN_VALUE;
    g_autofree char *head = NULL;

    /* Cut before a UTF-8 continuation byte, never inside a character. */
    while (cut > 0 && ((guchar) value[cut] & 0xc0) == 0x80)
      cut--;
    head = g_strndup (value, cut);

    shown = g_strdup_printf ("%s…", head);
  } else {
    shown = g_strdup (value);
  }

  if (!g_utf8_validate (shown, -1, NULL))
    return g_strescape (shown, NULL);

  for (const char *c = shown; *c != '\0'; c++) {
    if ((guchar) *c < 0x20 || *c == 0x7f)
      return g_strescape (shown, "\"");
  }

  return g_steal_pointer (&shown);
}

static char *
describe_known_placeholders (void)
{
  GString *names = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++) {
    if (i > 0)
      g_string_append (names, ", ");
    g_string_append_printf (names, "{%s}", placeholders[i].name);
  }

  return g_string_free (names, FALSE);
}

gboolean
dr_placeholder_is_known (const char *name)
{
  g_return_val_if_fail (name != NULL, FALSE);

  return find_placeholder (name, strlen (name)) != NULL;
}

const char *
dr_placeholder_variable_name (const char *name)
{
  const DrPlaceholder *placeholder;

  g_return_val_if_fail (name != NULL, NULL);

  placeholder = find_placeholder (name, strlen (name));

  return placeholder != NULL ? placeholder->variable : NULL;
}

gboolean
dr_version_is_valid (const char *version)
{
  gsize length;

  g_return_val_if_fail (version != NULL, FALSE);

  length = strlen (version);
  if (length == 0 || length > 128)
    return FALSE;

  if (!g_ascii_isalnum (version[0]) && version[0] != '_')
    return FALSE;

  for (gsize i = 1; i < length; i++) {
    char c = version[i];

    if (!g_ascii_isalnum (c) && c != '_' && c != '.' && c != '-')
      return FALSE;
  }

  return TRUE;
}

static void
set_invalid_value_error (GError     **error,
                         const char  *name,
                         const char  *value)
{
  g_autofree char *shown = format_value_for_message (value);
  const char *label_noun = NULL;

  if (g_str_equal (name, "version")) {
    g_set_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID,
                 _("invalid version “%s”: a version is an OCI tag of 1 to 128 letters, digits, "
                   "“_”, “.” and “-”, starting with a letter, digit or “_”; use a tag such as "
                   "“1.4.2”"),
                 shown);
    return;
  }

  if (g_str_equal (name, "previous-version")) {
    g_set_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID,
                 _("invalid previous version “%s”: a version is an OCI tag of 1 to 128 letters, "
                   "digits, “_”, “.” and “-”, starting with a letter, digit or “_”; use a tag "
                   "such as “1.4.1”"),
                 shown);
    return;
  }

  if (g_str_equal (name, "cluster")) {
    g_set_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID,
                 _("invalid cluster “%s”: a cluster name is a DNS subdomain of at most 253 "
                   "characters, made of DNS labels joined by “.”; use a name such as "
                   "“dynamo-prod”"),
                 shown);
    return;
  }

  if (g_str_equal (name, "base-url")) {
    g_set_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID,
                 _("invalid base URL “%s”: a base URL is an http:// or https:// URL with a host, "
                   "made only of letters, digits and “-._~:/?#[]@%%+,=”, so without spaces or "
                   "quotes; use a URL such as “https://qa.example.com”"),
                 shown);
    return;
  }

  if (g_str_equal (name, "run")) {
    g_set_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID,
                 _("invalid run id “%s”: a run id is a decimal number from 0 to "
                   "9223372036854775807"),
                 shown);
    return;
  }

  if (g_str_equal (name, "service"))
    label_noun = _("service");
  else if (g_str_equal (name, "environment"))
    label_noun = _("environment");
  else
    label_noun = _("namespace");

  /* TRANSLATORS: the first %s is “service”, “environment” or “namespace”. */
  g_set_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID,
               _("invalid %s “%s”: it must be a DNS label of 1 to 63 lowercase letters, digits "
                 "and “-”, starting and ending with a letter or digit; use a name such as "
                 "“auth-service”"),
               label_noun, shown);
}

gboolean
dr_placeholder_validate (const char  *name,
                         const char  *value,
                         GError     **error)
{
  const DrPlaceholder *placeholder;

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  placeholder = find_placeholder (name, strlen (name));
  if (placeholder == NULL) {
    g_autofree char *known = describe_known_placeholders ();

    g_set_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_UNKNOWN,
                 _("unknown placeholder “{%s}”: the known placeholders are %s"),
                 name, known);
    return FALSE;
  }

  if (!placeholder->check (value)) {
    set_invalid_value_error (error, name, value);
    return FALSE;
  }

  return TRUE;
}

/* Walks `text`, replacing "{{" and "}}" by single braces and each {name} by its value. With
 * `values` NULL it only checks the syntax and the names. Returns NULL and sets `error` on the
 * first problem. `found_placeholder`, when given, is set to whether `text` uses a placeholder. */
static char *
expand_text (const char  *text,
             GHashTable  *values,
             gboolean    *found_placeholder,
             GError     **error)
{
  g_autoptr(GString) result = g_string_new (NULL);
  const char *c = text;

  g_assert (text != NULL);

  if (found_placeholder != NULL)
    *found_placeholder = FALSE;

  while (*c != '\0') {
    if (c[0] == '{' && c[1] == '{') {
      g_string_append_c (result, '{');
      c += 2;
    } else if (c[0] == '}' && c[1] == '}') {
      g_string_append_c (result, '}');
      c += 2;
    } else if (c[0] == '}') {
      g_set_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_SYNTAX,
                   _("unmatched “}” in “%s”: write “}}” for a literal brace"), text);
      return NULL;
    } else if (c[0] == '{') {
      const char *name = c + 1;
      gsize length = strcspn (name, "{}");
      g_autofree char *name_copy = g_strndup (name, length);
      const DrPlaceholder *placeholder;
      const char *value;

      if (name[length] != '}') {
        g_set_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_SYNTAX,
                     _("unclosed “{” in “%s”: end the placeholder with “}”, or write “{{” for "
                       "a literal brace"),
                     text);
        return NULL;
      }

      placeholder = find_placeholder (name, length);
      if (placeholder == NULL) {
        g_autofree char *known = describe_known_placeholders ();

        g_set_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_UNKNOWN,
                     _("unknown placeholder “{%s}” in “%s”: the known placeholders are %s; "
                       "write “{{” and “}}” for literal braces"),
                     name_copy, text, known);
        return NULL;
      }

      if (found_placeholder != NULL)
        *found_placeholder = TRUE;

      if (values != NULL) {
        value = g_hash_table_lookup (values, name_copy);
        if (value == NULL) {
          g_set_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_MISSING,
                       _("missing value for “{%s}” in “%s”: this step can only run once "
                         "{%s} is known"),
                       name_copy, text, name_copy);
          return NULL;
        }
        g_string_append (result, value);
      }

      c = name + length + 1;
    } else {
      g_string_append_c (result, *c);
      c++;
    }
  }

  return g_string_free (g_steal_pointer (&result), FALSE);
}

static gboolean
validate_values (GHashTable  *values,
                 GError     **error)
{
  GHashTableIter iter;
  gpointer key;

  /* Checked in the fixed order of the table, so the same bad values give the same error. */
  for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++) {
    const char *value = g_hash_table_lookup (values, placeholders[i].name);

    if (value != NULL && !dr_placeholder_validate (placeholders[i].name, value, error))
      return FALSE;
  }

  g_hash_table_iter_init (&iter, values);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    if (!dr_placeholder_is_known (key))
      return dr_placeholder_validate (key, "", error);
  }

  return TRUE;
}

gboolean
dr_placeholders_check (const char  *text,
                       GError     **error)
{
  g_autofree char *checked = NULL;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  checked = expand_text (text, NULL, NULL, error);

  return checked != NULL;
}

char *
dr_placeholders_expand (const char  *text,
                        GHashTable  *values,
                        GError     **error)
{
  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (values != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!validate_values (values, error))
    return NULL;

  return expand_text (text, values, NULL, error);
}

char **
dr_placeholders_expand_argv (const char * const  *argv_template,
                             GHashTable          *values,
                             GError             **error)
{
  g_autoptr(GPtrArray) argv = NULL;
  gboolean command_has_placeholder = FALSE;
  g_autofree char *command = NULL;

  g_return_val_if_fail (argv_template != NULL, NULL);
  g_return_val_if_fail (argv_template[0] != NULL, NULL);
  g_return_val_if_fail (values != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!validate_values (values, error))
    return NULL;

  /* The program to run never comes from a value, whatever the values are. */
  command = expand_text (argv_template[0], NULL, &command_has_placeholder, error);
  if (command == NULL)
    return NULL;

  if (command_has_placeholder) {
    g_set_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_SYNTAX,
                 _("placeholder in the command name “%s”: write the program to run literally "
                   "and pass values as its arguments"),
                 argv_template[0]);
    return NULL;
  }

  /* One template argument gives exactly one argument, so a value can never add one. */
  argv = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; argv_template[i] != NULL; i++) {
    char *argument = expand_text (argv_template[i], values, NULL, error);

    if (argument == NULL)
      return NULL;

    g_ptr_array_add (argv, argument);
  }
  g_ptr_array_add (argv, NULL);

  return (char **) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
}

char **
dr_placeholders_environ (char       **envp,
                         GHashTable  *values)
{
  g_return_val_if_fail (values != NULL, envp);

  if (envp == NULL)
    envp = g_new0 (char *, 1);

  for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++) {
    const char *value = g_hash_table_lookup (values, placeholders[i].name);

    /* A stale DYNAMO_* variable inherited from the caller must not pose as a value of this run,
     * and a value that fails its rule never reaches a shell. */
    envp = g_environ_unsetenv (envp, placeholders[i].variable);

    if (value != NULL && placeholders[i].check (value))
      envp = g_environ_setenv (envp, placeholders[i].variable, value, TRUE);
  }

  return envp;
}
