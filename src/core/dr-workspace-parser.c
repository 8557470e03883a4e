/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "dr-placeholders.h"
#include "dr-workspace-private.h"

/* Checks a composed YAML document against the workspace format and fills a DrWorkspace. The
 * sections are read in dependency order (roles, environments, pipelines, checklists, services,
 * gates, monitoring) so that a reference may point to a section written later in the file.
 * The first problem stops the parse with a “file:line:column: sentence” error. */

#define MAX_FIELDS 12

/* Durations are bounded so that they fit in a guint. A week is far above any step of a
 * deploy. */
#define MAX_DURATION_SECONDS (7 * 24 * 60 * 60)

typedef enum
{
  FIELD_OPTIONAL     = 0,
  FIELD_REQUIRED     = 1 << 0,
  FIELD_TRANSLATABLE = 1 << 1,
} DrFieldFlags;

typedef struct
{
  const char   *name;
  DrFieldFlags  flags;
} DrFieldSpec;

/* The keys of one mapping, sorted by spec. Translations (“title[es]”) are looked up in the
 * mapping when the translated text is needed. */
typedef struct
{
  const DrYamlNode  *mapping;
  const DrFieldSpec *specs;
  guint              n_specs;
  const DrYamlNode  *keys[MAX_FIELDS];
  const DrYamlNode  *values[MAX_FIELDS];
} DrFields;

typedef struct
{
  DrWorkspace        *workspace;
  const char         *display_name;
  const char * const *languages;
  GError            **error;
} DrParser;

static gboolean
fail_at (DrParser         *parser,
         const DrYamlNode *node,
         const char       *format,
         ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail_at (DrParser         *parser,
         const DrYamlNode *node,
         const char       *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (parser->error, DR_WORKSPACE_ERROR, DR_WORKSPACE_ERROR_INVALID, "%s:%d:%d: %s",
               parser->display_name, node->line, node->column, message);

  return FALSE;
}

static const char *
describe_node (const DrYamlNode *node)
{
  if (dr_yaml_node_is_null (node))
    return _("an empty value");

  switch (node->type) {
  case DR_YAML_NODE_SEQUENCE:
    return _("a list");
  case DR_YAML_NODE_MAPPING:
    return _("a mapping");
  case DR_YAML_NODE_SCALAR:
  default:
    return _("a text");
  }
}

static gboolean
is_id (const char *text)
{
  gsize length = strlen (text);

  if (length == 0 || length > 63)
    return FALSE;

  for (gsize i = 0; i < length; i++) {
    char c = text[i];
    gboolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

    if (!alnum && (c != '-' || i == 0 || i == length - 1))
      return FALSE;
  }

  return TRUE;
}

static gboolean
is_language_code (const char *text,
                  gsize       length)
{
  if (length == 0)
    return FALSE;

  for (gsize i = 0; i < length; i++) {
    if (!g_ascii_isalnum (text[i]) && strchr ("_-.@", text[i]) == NULL)
      return FALSE;
  }

  return TRUE;
}

static char *
join_spec_names (const DrFieldSpec *specs,
                 guint              n_specs)
{
  GString *names = g_string_new (NULL);

  for (guint i = 0; i < n_specs; i++) {
    if (i > 0)
      g_string_append (names, ", ");
    g_string_append (names, specs[i].name);
  }

  return g_string_free (names, FALSE);
}

/* Returns the ids of `items`, whose first member is their `char *id`, as “a, b, c”. */
static char *
join_ids (GPtrArray *items)
{
  GString *ids = g_string_new (NULL);

  for (guint i = 0; i < items->len; i++) {
    char **id = g_ptr_array_index (items, i);

    if (i > 0)
      g_string_append (ids, ", ");
    g_string_append (ids, *id);
  }

  return g_string_free (ids, FALSE);
}

static gboolean
read_fields (DrParser          *parser,
             const DrYamlNode  *node,
             const char        *what,
             const DrFieldSpec *specs,
             guint              n_specs,
             DrFields          *fields)
{
  g_assert (n_specs <= MAX_FIELDS);

  memset (fields, 0, sizeof *fields);
  fields->mapping = node;
  fields->specs = specs;
  fields->n_specs = n_specs;

  if (node->type != DR_YAML_NODE_MAPPING) {
    return fail_at (parser, node,
                    _("expected %s as a mapping of “key: value” lines, found %s; write one "
                      "“key: value” line per key"),
                    what, describe_node (node));
  }

  for (guint pair = 0; pair < dr_yaml_node_n_pairs (node); pair++) {
    const DrYamlNode *key = dr_yaml_node_pair_key (node, pair);
    const DrYamlNode *value = dr_yaml_node_pair_value (node, pair);
    const char *bracket = strchr (key->value, '[');
    gsize base_length = bracket != NULL ? (gsize) (bracket - key->value) : strlen (key->value);
    const DrFieldSpec *spec = NULL;
    guint index = 0;

    for (index = 0; index < n_specs; index++) {
      if (strlen (specs[index].name) == base_length &&
          strncmp (specs[index].name, key->value, base_length) == 0) {
        spec = &specs[index];
        break;
      }
    }

    if (spec == NULL) {
      g_autofree char *allowed = join_spec_names (specs, n_specs);

      return fail_at (parser, key,
                      _("unknown key “%s” in %s; use one of %s, or remove it"),
                      key->value, what, allowed);
    }

    if (bracket != NULL) {
      gsize key_length = strlen (key->value);
      const char *language = bracket + 1;
      gsize language_length = key_length - base_length - 2;

      if (key_length < base_length + 3 || key->value[key_length - 1] != ']' ||
          !is_language_code (language, language_length)) {
        return fail_at (parser, key,
                        _("invalid key “%s”: write a translation as the key followed by a "
                          "language code in brackets, such as “title[es]”"),
                        key->value);
      }

      if (!(spec->flags & FIELD_TRANSLATABLE)) {
        return fail_at (parser, key,
                        _("“%s” cannot be translated, so remove “%s”; only title, badge, "
                          "feature-flags and the name of a step take translations"),
                        spec->name, key->value);
      }

      if (value->type != DR_YAML_NODE_SCALAR || dr_yaml_node_is_null (value)) {
        return fail_at (parser, value,
                        _("expected a text for “%s”, found %s"),
                        key->value, describe_node (value));
      }

      continue;
    }

    fields->keys[index] = key;
    fields->values[index] = value;
  }

  for (guint index = 0; index < n_specs; index++) {
    if ((specs[index].flags & FIELD_REQUIRED) && fields->values[index] == NULL) {
      return fail_at (parser, node,
                      _("missing key “%s” in %s; add a line “%s: …”"),
                      specs[index].name, what, specs[index].name);
    }
  }

  /* A translation needs the untranslated text that it translates. */
  for (guint pair = 0; pair < dr_yaml_node_n_pairs (node); pair++) {
    const DrYamlNode *key = dr_yaml_node_pair_key (node, pair);
    const char *bracket = strchr (key->value, '[');

    if (bracket == NULL)
      continue;

    for (guint index = 0; index < n_specs; index++) {
      gsize base_length = (gsize) (bracket - key->value);

      if (strlen (specs[index].name) == base_length &&
          strncmp (specs[index].name, key->value, base_length) == 0 &&
          fields->values[index] == NULL) {
        return fail_at (parser, key,
                        _("“%s” translates “%s”, which is missing; add the untranslated "
                          "“%s: …” line"),
                        key->value, specs[index].name, specs[index].name);
      }
    }
  }

  return TRUE;
}

static const DrYamlNode *
field_value (const DrFields *fields,
             const char     *name)
{
  for (guint index = 0; index < fields->n_specs; index++) {
    if (g_str_equal (fields->specs[index].name, name))
      return fields->values[index];
  }

  g_assert_not_reached ();
}

static const DrYamlNode *
field_key (const DrFields *fields,
           const char     *name)
{
  for (guint index = 0; index < fields->n_specs; index++) {
    if (g_str_equal (fields->specs[index].name, name))
      return fields->keys[index];
  }

  g_assert_not_reached ();
}

static gboolean
read_text (DrParser         *parser,
           const DrYamlNode *node,
           const char       *key,
           char            **out)
{
  if (dr_yaml_node_is_null (node)) {
    return fail_at (parser, node,
                    _("“%s” is empty; write a text after “%s:” or remove the line"),
                    key, key);
  }

  if (node->type != DR_YAML_NODE_SCALAR) {
    return fail_at (parser, node,
                    _("expected a text for “%s”, found %s"),
                    key, describe_node (node));
  }

  *out = g_strdup (node->value);

  return TRUE;
}

/* Reads a translatable field: the value of the first of the parser's languages that has a
 * “name[language]” key, else the untranslated value. "C" and "POSIX" mean the untranslated text,
 * so they end the search. */
static gboolean
read_translated (DrParser       *parser,
                 const DrFields *fields,
                 const char     *name,
                 char          **out)
{
  const DrYamlNode *value = field_value (fields, name);

  g_assert (value != NULL);

  if (!read_text (parser, value, name, out))
    return FALSE;

  for (guint i = 0; parser->languages[i] != NULL; i++) {
    const char *language = parser->languages[i];
    g_autofree char *translated_key = NULL;

    if (g_str_equal (language, "C") || g_str_equal (language, "POSIX"))
      break;

    translated_key = g_strdup_printf ("%s[%s]", name, language);
    for (guint pair = 0; pair < dr_yaml_node_n_pairs (fields->mapping); pair++) {
      const DrYamlNode *key = dr_yaml_node_pair_key (fields->mapping, pair);

      if (g_str_equal (key->value, translated_key)) {
        g_free (*out);
        *out = g_strdup (dr_yaml_node_pair_value (fields->mapping, pair)->value);
        return TRUE;
      }
    }
  }

  return TRUE;
}

static gboolean
read_id (DrParser         *parser,
         const DrYamlNode *node,
         const char       *key,
         char            **out)
{
  g_autofree char *text = NULL;

  if (!read_text (parser, node, key, &text))
    return FALSE;

  if (!is_id (text)) {
    return fail_at (parser, node,
                    _("invalid %s “%s”: write a DNS label of 1 to 63 lowercase letters, digits "
                      "and “-”, starting and ending with a letter or digit, such as "
                      "“auth-service”"),
                    key, text);
  }

  *out = g_steal_pointer (&text);

  return TRUE;
}

static gboolean
read_bool (DrParser         *parser,
           const DrYamlNode *node,
           const char       *key,
           gboolean         *out)
{
  const char *text = node->value;

  if (node->type != DR_YAML_NODE_SCALAR || !node->plain) {
    return fail_at (parser, node,
                    _("expected true or false for “%s”, found %s; write true or false without "
                      "quotes"),
                    key, describe_node (node));
  }

  if (g_str_equal (text, "true") || g_str_equal (text, "True") || g_str_equal (text, "TRUE")) {
    *out = TRUE;
    return TRUE;
  }

  if (g_str_equal (text, "false") || g_str_equal (text, "False") || g_str_equal (text, "FALSE")) {
    *out = FALSE;
    return TRUE;
  }

  return fail_at (parser, node,
                  _("invalid value “%s” for “%s”: write true or false"),
                  text, key);
}

/* Parses durations such as “90s”, “30m”, “2h” or “1h30m”. Returns FALSE for anything else. */
static gboolean
parse_duration (const char *text,
                guint64    *seconds)
{
  const char *c = text;

  *seconds = 0;
  if (*c == '\0')
    return FALSE;

  while (*c != '\0') {
    guint64 number = 0;
    guint64 unit;

    if (!g_ascii_isdigit (*c))
      return FALSE;

    while (g_ascii_isdigit (*c)) {
      number = number * 10 + (guint64) (*c - '0');
      if (number > MAX_DURATION_SECONDS)
        return FALSE;
      c++;
    }

    if (*c == 's')
      unit = 1;
    else if (*c == 'm')
      unit = 60;
    else if (*c == 'h')
      unit = 60 * 60;
    else
      return FALSE;
    c++;

    *seconds += number * unit;
    if (*seconds > MAX_DURATION_SECONDS)
      return FALSE;
  }

  return TRUE;
}

static gboolean
read_duration (DrParser         *parser,
               const DrYamlNode *node,
               const char       *key,
               guint            *out)
{
  g_autofree char *text = NULL;
  guint64 seconds;

  if (!read_text (parser, node, key, &text))
    return FALSE;

  if (!parse_duration (text, &seconds) || seconds == 0 || seconds > MAX_DURATION_SECONDS) {
    return fail_at (parser, node,
                    _("invalid duration “%s” for “%s”: write a whole number followed by s, m or "
                      "h, such as “90s”, “30m” or “2h”, between 1s and 168h"),
                    text, key);
  }

  *out = (guint) seconds;

  return TRUE;
}

static gboolean
read_placeholder_value (DrParser         *parser,
                        const DrYamlNode *node,
                        const char       *key,
                        const char       *placeholder,
                        char            **out)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;

  if (!read_text (parser, node, key, &text))
    return FALSE;

  if (!dr_placeholder_validate (placeholder, text, &local_error))
    return fail_at (parser, node, "%s", local_error->message);

  *out = g_steal_pointer (&text);

  return TRUE;
}

static gboolean
read_list (DrParser         *parser,
           const DrYamlNode *node,
           const char       *key,
           const char       *what)
{
  if (node->type != DR_YAML_NODE_SEQUENCE) {
    return fail_at (parser, node,
                    _("expected a list of %s for “%s”, found %s; write each one on its own line "
                      "starting with “- ”"),
                    what, key, describe_node (node));
  }

  return TRUE;
}

/* Records `id` in `seen`, or fails when an earlier item of the same kind has it. */
static gboolean
check_unique_id (DrParser         *parser,
                 GHashTable       *seen,
                 const char       *id,
                 const DrYamlNode *node,
                 const char       *kind)
{
  const DrYamlNode *first = g_hash_table_lookup (seen, id);

  if (first != NULL) {
    return fail_at (parser, node,
                    _("duplicate %s id “%s”: the first is at line %d, column %d; give each %s "
                      "its own id"),
                    kind, id, first->line, first->column, kind);
  }

  g_hash_table_insert (seen, (gpointer) id, (gpointer) node);

  return TRUE;
}

static gboolean
has_placeholder (const char *text)
{
  g_autoptr(GHashTable) no_values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *expanded = dr_placeholders_expand (text, no_values, &local_error);

  return g_error_matches (local_error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_MISSING);
}

static gboolean
is_kubectl (const char *program)
{
  g_autofree char *basename = g_path_get_basename (program);

  return g_str_equal (basename, "kubectl");
}

/* Splits a command line the way a shell would, without running one, and checks the
 * placeholders of each argument. */
static gboolean
read_command (DrParser         *parser,
              const DrYamlNode *node,
              const char       *key,
              char           ***argv_out)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) argv = NULL;

  if (!read_text (parser, node, key, &text))
    return FALSE;

  if (!g_shell_parse_argv (text, NULL, &argv, &local_error)) {
    if (g_error_matches (local_error, G_SHELL_ERROR, G_SHELL_ERROR_EMPTY_STRING)) {
      return fail_at (parser, node,
                      _("“%s” is empty; write the program to run and its arguments"), key);
    }

    if (g_error_matches (local_error, G_SHELL_ERROR, G_SHELL_ERROR_BAD_QUOTING)) {
      return fail_at (parser, node,
                      _("invalid command “%s”: a quote is not closed; close it, or put a "
                        "backslash before a quote that is part of an argument"),
                      text);
    }

    return fail_at (parser, node,
                    _("invalid command “%s”: %s; check its quotes and backslashes"),
                    text, local_error->message);
  }

  for (guint i = 0; argv[i] != NULL; i++) {
    if (!dr_placeholders_check (argv[i], &local_error))
      return fail_at (parser, node, "%s", local_error->message);
  }

  if (has_placeholder (argv[0])) {
    return fail_at (parser, node,
                    _("the command name “%s” contains a placeholder; write the program to run "
                      "literally and pass values as its arguments, as in “docker build -t "
                      "dynamo/{service}:{version} .”"),
                    argv[0]);
  }

  *argv_out = g_steal_pointer (&argv);

  return TRUE;
}

/* Rejects {name} placeholders in a shell script: substituting text into a script would let a
 * value change the script, so values reach scripts only as DYNAMO_* environment variables. */
static gboolean
check_shell_script (DrParser         *parser,
                    const DrYamlNode *node,
                    const char       *script)
{
  for (const char *open = strchr (script, '{'); open != NULL; open = strchr (open + 1, '{')) {
    const char *close = strchr (open + 1, '}');
    g_autofree char *name = NULL;

    if (close == NULL)
      break;

    name = g_strndup (open + 1, (gsize) (close - open - 1));
    if (dr_placeholder_is_known (name)) {
      return fail_at (parser, node,
                      _("placeholder “{%s}” in a shell script: a script gets values only as "
                        "environment variables, so write \"$%s\" instead; every placeholder has "
                        "one, from $DYNAMO_SERVICE to $DYNAMO_RUN"),
                      name, dr_placeholder_variable_name (name));
    }
  }

  return TRUE;
}

static DrStep *
new_command_step (const char *name,
                  const char *command,
                  char      **argv,
                  guint       timeout_seconds,
                  const DrYamlNode *node)
{
  DrStep *step = g_new0 (DrStep, 1);

  step->name = g_strdup (name);
  step->kind = DR_STEP_KIND_COMMAND;
  step->command = g_strdup (command);
  step->argv_template = argv;
  step->action = DR_STEP_ACTION_NONE;
  step->needs_cluster = is_kubectl (argv[0]);
  step->timeout_seconds = timeout_seconds;
  step->line = node->line;
  step->column = node->column;

  return step;
}

static const DrFieldSpec step_specs[] = {
  { "name", FIELD_REQUIRED | FIELD_TRANSLATABLE },
  { "run", FIELD_OPTIONAL },
  { "shell", FIELD_OPTIONAL },
  { "action", FIELD_OPTIONAL },
  { "timeout", FIELD_OPTIONAL },
  { "cluster", FIELD_OPTIONAL },
};

static gboolean
read_step_kind (DrParser       *parser,
                const DrFields *fields,
                DrStep         *step)
{
  const char *kinds[] = { "run", "shell", "action" };
  const DrYamlNode *first = NULL;
  const DrYamlNode *value;

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++) {
    const DrYamlNode *key = field_key (fields, kinds[i]);

    if (key == NULL)
      continue;

    if (first != NULL) {
      return fail_at (parser, key,
                      _("a step takes exactly one of “run”, “shell” and “action”, but this one "
                        "has “%s” and “%s”; remove one of them or make it a separate step"),
                      first->value, key->value);
    }
    first = key;
  }

  if (first == NULL) {
    return fail_at (parser, fields->mapping,
                    _("this step does nothing; add “run:” with a command, “shell:” with a "
                      "script or “action:” with environment-build, wait-for-rollout or "
                      "rollout-undo"));
  }

  value = field_value (fields, first->value);

  if (g_str_equal (first->value, "run")) {
    step->kind = DR_STEP_KIND_COMMAND;
    if (!read_command (parser, value, "run", &step->argv_template))
      return FALSE;
    step->command = g_strdup (value->value);
    step->needs_cluster = is_kubectl (step->argv_template[0]);
    return TRUE;
  }

  if (g_str_equal (first->value, "shell")) {
    step->kind = DR_STEP_KIND_SHELL;
    if (!read_text (parser, value, "shell", &step->command))
      return FALSE;
    return check_shell_script (parser, value, step->command);
  }

  step->kind = DR_STEP_KIND_ACTION;
  if (!read_text (parser, value, "action", &step->command))
    return FALSE;

  if (g_str_equal (step->command, "environment-build")) {
    step->action = DR_STEP_ACTION_ENVIRONMENT_BUILD;
  } else if (g_str_equal (step->command, "wait-for-rollout")) {
    step->action = DR_STEP_ACTION_WAIT_FOR_ROLLOUT;
    step->needs_cluster = TRUE;
  } else if (g_str_equal (step->command, "rollout-undo")) {
    step->action = DR_STEP_ACTION_ROLLOUT_UNDO;
    step->needs_cluster = TRUE;
  } else {
    return fail_at (parser, value,
                    _("unknown action “%s”: use environment-build, wait-for-rollout or "
                      "rollout-undo"),
                    step->command);
  }

  return TRUE;
}

static DrStep *
read_step (DrParser         *parser,
           const DrYamlNode *node)
{
  g_autoptr(GPtrArray) holder = g_ptr_array_new_with_free_func (
    (GDestroyNotify) dr_workspace_step_free);
  const DrYamlNode *cluster;
  const DrYamlNode *timeout;
  DrFields fields;
  DrStep *step;

  if (!read_fields (parser, node, _("a step"), step_specs, G_N_ELEMENTS (step_specs), &fields))
    return NULL;

  step = g_new0 (DrStep, 1);
  g_ptr_array_add (holder, step);
  step->line = node->line;
  step->column = node->column;
  step->timeout_seconds = parser->workspace->step_timeout_seconds;

  if (!read_translated (parser, &fields, "name", &step->name))
    return NULL;

  if (!read_step_kind (parser, &fields, step))
    return NULL;

  timeout = field_value (&fields, "timeout");
  if (timeout != NULL && !read_duration (parser, timeout, "timeout", &step->timeout_seconds))
    return NULL;

  cluster = field_value (&fields, "cluster");
  if (cluster != NULL) {
    if (!read_bool (parser, cluster, "cluster", &step->needs_cluster))
      return NULL;

    if (!step->needs_cluster && step->action == DR_STEP_ACTION_WAIT_FOR_ROLLOUT) {
      fail_at (parser, cluster,
               _("wait-for-rollout always reads the cluster; remove “cluster: false”"));
      return NULL;
    }

    if (!step->needs_cluster && step->action == DR_STEP_ACTION_ROLLOUT_UNDO) {
      fail_at (parser, cluster,
               _("rollout-undo always changes the cluster; remove “cluster: false”"));
      return NULL;
    }
  }

  return g_ptr_array_steal_index (holder, 0);
}

static GPtrArray *
read_steps (DrParser         *parser,
            const DrYamlNode *node,
            const char       *key,
            gboolean          required)
{
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func (
    (GDestroyNotify) dr_workspace_step_free);

  if (!read_list (parser, node, key, _("steps")))
    return NULL;

  if (required && node->children->len == 0) {
    fail_at (parser, node,
             _("“%s” has no steps; add at least one step with a name and a command"), key);
    return NULL;
  }

  for (guint i = 0; i < node->children->len; i++) {
    DrStep *step = read_step (parser, g_ptr_array_index (node->children, i));

    if (step == NULL)
      return NULL;

    g_ptr_array_add (steps, step);
  }

  return g_steal_pointer (&steps);
}

static const DrFieldSpec settings_specs[] = {
  { "allow-self-approval", FIELD_OPTIONAL },
  { "step-timeout", FIELD_OPTIONAL },
  { "kill-grace", FIELD_OPTIONAL },
  { "verify-after-deploy", FIELD_OPTIONAL },
};

static gboolean
read_settings (DrParser         *parser,
               const DrYamlNode *node)
{
  DrWorkspace *workspace = parser->workspace;
  const DrYamlNode *value;
  DrFields fields;

  if (!read_fields (parser, node, _("the settings"), settings_specs,
                    G_N_ELEMENTS (settings_specs), &fields))
    return FALSE;

  value = field_value (&fields, "allow-self-approval");
  if (value != NULL &&
      !read_bool (parser, value, "allow-self-approval", &workspace->allow_self_approval))
    return FALSE;

  value = field_value (&fields, "step-timeout");
  if (value != NULL &&
      !read_duration (parser, value, "step-timeout", &workspace->step_timeout_seconds))
    return FALSE;

  value = field_value (&fields, "kill-grace");
  if (value != NULL &&
      !read_duration (parser, value, "kill-grace", &workspace->kill_grace_seconds))
    return FALSE;

  value = field_value (&fields, "verify-after-deploy");
  if (value != NULL &&
      !read_bool (parser, value, "verify-after-deploy", &workspace->verify_after_deploy))
    return FALSE;

  return TRUE;
}

static const DrFieldSpec role_specs[] = {
  { "id", FIELD_REQUIRED },
  { "title", FIELD_REQUIRED | FIELD_TRANSLATABLE },
};

static gboolean
read_roles (DrParser         *parser,
            const DrYamlNode *node)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (!read_list (parser, node, "roles", _("roles")))
    return FALSE;

  for (guint i = 0; i < node->children->len; i++) {
    const DrYamlNode *item = g_ptr_array_index (node->children, i);
    DrRole *role;
    DrFields fields;

    if (!read_fields (parser, item, _("a role"), role_specs, G_N_ELEMENTS (role_specs), &fields))
      return FALSE;

    role = g_new0 (DrRole, 1);
    g_ptr_array_add (parser->workspace->roles, role);

    if (!read_id (parser, field_value (&fields, "id"), "id", &role->id) ||
        !check_unique_id (parser, seen, role->id, field_value (&fields, "id"), _("role")) ||
        !read_translated (parser, &fields, "title", &role->title))
      return FALSE;
  }

  return TRUE;
}

static gboolean
check_role_reference (DrParser         *parser,
                      const DrYamlNode *node,
                      const char       *role)
{
  g_autofree char *known = NULL;

  if (dr_workspace_get_role (parser->workspace, role) != NULL)
    return TRUE;

  if (parser->workspace->roles->len == 0) {
    return fail_at (parser, node,
                    _("unknown role “%s”: the workspace defines no roles; add it under “roles”"),
                    role);
  }

  known = join_ids (parser->workspace->roles);

  return fail_at (parser, node,
                  _("unknown role “%s”: the roles are %s; use one of them or add it under "
                    "“roles”"),
                  role, known);
}

static gboolean
read_role_reference (DrParser         *parser,
                     const DrYamlNode *node,
                     const char       *key,
                     char            **out)
{
  g_autofree char *role = NULL;

  if (!read_text (parser, node, key, &role) || !check_role_reference (parser, node, role))
    return FALSE;

  *out = g_steal_pointer (&role);

  return TRUE;
}

static const DrFieldSpec environment_specs[] = {
  { "id", FIELD_REQUIRED },
  { "title", FIELD_REQUIRED | FIELD_TRANSLATABLE },
  { "badge", FIELD_OPTIONAL | FIELD_TRANSLATABLE },
  { "badge-style", FIELD_OPTIONAL },
  { "base-url", FIELD_REQUIRED },
  { "cluster", FIELD_REQUIRED },
  { "namespace", FIELD_REQUIRED },
  { "build", FIELD_REQUIRED },
  { "feature-flags", FIELD_OPTIONAL | FIELD_TRANSLATABLE },
};

static gboolean
read_badge (DrParser       *parser,
            const DrFields *fields,
            DrEnvironment  *environment)
{
  const DrYamlNode *badge = field_value (fields, "badge");
  const DrYamlNode *style = field_value (fields, "badge-style");
  g_autofree char *style_text = NULL;

  environment->badge_style = DR_BADGE_STYLE_NONE;

  if (style != NULL) {
    if (!read_text (parser, style, "badge-style", &style_text))
      return FALSE;

    if (g_str_equal (style_text, "blue")) {
      environment->badge_style = DR_BADGE_STYLE_BLUE;
    } else if (g_str_equal (style_text, "amber")) {
      environment->badge_style = DR_BADGE_STYLE_AMBER;
    } else if (!g_str_equal (style_text, "none")) {
      return fail_at (parser, style,
                      _("invalid badge-style “%s”: use none, blue or amber"), style_text);
    }
  }

  if (badge == NULL) {
    if (environment->badge_style != DR_BADGE_STYLE_NONE) {
      return fail_at (parser, style,
                      _("badge-style “%s” needs a badge; add “badge: …” with its text, or write "
                        "“badge-style: none”"),
                      style_text);
    }
    return TRUE;
  }

  if (environment->badge_style == DR_BADGE_STYLE_NONE) {
    return fail_at (parser, style != NULL ? style : field_key (fields, "badge"),
                    _("a badge needs a color; add “badge-style: blue” or “badge-style: amber”, "
                      "or remove the badge"));
  }

  return read_translated (parser, fields, "badge", &environment->badge);
}

static gboolean
read_environments (DrParser         *parser,
                   const DrYamlNode *node)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (!read_list (parser, node, "environments", _("environments")))
    return FALSE;

  for (guint i = 0; i < node->children->len; i++) {
    const DrYamlNode *item = g_ptr_array_index (node->children, i);
    const DrYamlNode *build;
    g_autofree char *build_name = NULL;
    g_auto(GStrv) build_argv = NULL;
    DrEnvironment *environment;
    DrFields fields;

    if (!read_fields (parser, item, _("an environment"), environment_specs,
                      G_N_ELEMENTS (environment_specs), &fields))
      return FALSE;

    environment = g_new0 (DrEnvironment, 1);
    environment->position = i;
    g_ptr_array_add (parser->workspace->environments, environment);

    if (!read_id (parser, field_value (&fields, "id"), "id", &environment->id) ||
        !check_unique_id (parser, seen, environment->id, field_value (&fields, "id"),
                          _("environment")) ||
        !read_translated (parser, &fields, "title", &environment->title) ||
        !read_badge (parser, &fields, environment) ||
        !read_placeholder_value (parser, field_value (&fields, "base-url"), "base-url",
                                 "base-url", &environment->base_url) ||
        !read_placeholder_value (parser, field_value (&fields, "cluster"), "cluster",
                                 "cluster", &environment->cluster) ||
        !read_placeholder_value (parser, field_value (&fields, "namespace"), "namespace",
                                 "namespace", &environment->namespace))
      return FALSE;

    if (field_value (&fields, "feature-flags") != NULL &&
        !read_translated (parser, &fields, "feature-flags", &environment->feature_flags))
      return FALSE;

    build = field_value (&fields, "build");
    if (!read_command (parser, build, "build", &build_argv))
      return FALSE;

    /* TRANSLATORS: the name of a step; %s is an environment's title, such as “QA”. */
    build_name = g_strdup_printf (_("Build for %s"), environment->title);
    environment->build_step = new_command_step (build_name, build->value,
                                                g_steal_pointer (&build_argv),
                                                parser->workspace->step_timeout_seconds, build);
  }

  return TRUE;
}

static const DrFieldSpec pipeline_specs[] = {
  { "id", FIELD_REQUIRED },
  { "deploy", FIELD_REQUIRED },
  { "verify", FIELD_OPTIONAL },
  { "rollback", FIELD_OPTIONAL },
};

static gboolean
read_pipelines (DrParser         *parser,
                const DrYamlNode *node)
{
  static const char *kind_keys[DR_N_PIPELINE_KINDS] = { "deploy", "verify", "rollback" };
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (!read_list (parser, node, "pipelines", _("pipelines")))
    return FALSE;

  for (guint i = 0; i < node->children->len; i++) {
    const DrYamlNode *item = g_ptr_array_index (node->children, i);
    DrPipeline *pipeline;
    DrFields fields;

    if (!read_fields (parser, item, _("a pipeline"), pipeline_specs,
                      G_N_ELEMENTS (pipeline_specs), &fields))
      return FALSE;

    pipeline = g_new0 (DrPipeline, 1);
    g_ptr_array_add (parser->workspace->pipelines, pipeline);

    if (!read_id (parser, field_value (&fields, "id"), "id", &pipeline->id) ||
        !check_unique_id (parser, seen, pipeline->id, field_value (&fields, "id"),
                          _("pipeline")))
      return FALSE;

    for (guint kind = 0; kind < DR_N_PIPELINE_KINDS; kind++) {
      const DrYamlNode *steps = field_value (&fields, kind_keys[kind]);

      if (steps == NULL) {
        pipeline->steps[kind] =
          g_ptr_array_new_with_free_func ((GDestroyNotify) dr_workspace_step_free);
        continue;
      }

      pipeline->steps[kind] = read_steps (parser, steps, kind_keys[kind],
                                          kind == DR_PIPELINE_DEPLOY);
      if (pipeline->steps[kind] == NULL)
        return FALSE;
    }
  }

  return TRUE;
}

static const DrFieldSpec checklist_specs[] = {
  { "id", FIELD_REQUIRED },
  { "title", FIELD_REQUIRED | FIELD_TRANSLATABLE },
  { "items", FIELD_REQUIRED },
};

static const DrFieldSpec item_specs[] = {
  { "id", FIELD_REQUIRED },
  { "title", FIELD_REQUIRED | FIELD_TRANSLATABLE },
  { "role", FIELD_REQUIRED },
  { "run", FIELD_OPTIONAL },
};

static gboolean
read_checklist_items (DrParser         *parser,
                      const DrYamlNode *node,
                      DrChecklist      *checklist)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (!read_list (parser, node, "items", _("checklist items")))
    return FALSE;

  if (node->children->len == 0) {
    return fail_at (parser, node,
                    _("checklist “%s” has no items; add at least one item with an id, a title "
                      "and a role"),
                    checklist->id);
  }

  for (guint i = 0; i < node->children->len; i++) {
    const DrYamlNode *element = g_ptr_array_index (node->children, i);
    const DrYamlNode *run;
    DrChecklistItem *item;
    DrFields fields;

    if (!read_fields (parser, element, _("a checklist item"), item_specs,
                      G_N_ELEMENTS (item_specs), &fields))
      return FALSE;

    item = g_new0 (DrChecklistItem, 1);
    g_ptr_array_add (checklist->items, item);

    if (!read_id (parser, field_value (&fields, "id"), "id", &item->id) ||
        !check_unique_id (parser, seen, item->id, field_value (&fields, "id"),
                          _("checklist item")) ||
        !read_translated (parser, &fields, "title", &item->title) ||
        !read_role_reference (parser, field_value (&fields, "role"), "role", &item->role))
      return FALSE;

    run = field_value (&fields, "run");
    if (run != NULL) {
      g_auto(GStrv) argv = NULL;

      if (!read_command (parser, run, "run", &argv))
        return FALSE;

      item->check = new_command_step (item->title, run->value, g_steal_pointer (&argv),
                                      parser->workspace->step_timeout_seconds, run);
    }
  }

  return TRUE;
}

static gboolean
read_checklists (DrParser         *parser,
                 const DrYamlNode *node)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (!read_list (parser, node, "checklists", _("checklists")))
    return FALSE;

  for (guint i = 0; i < node->children->len; i++) {
    const DrYamlNode *item = g_ptr_array_index (node->children, i);
    DrChecklist *checklist;
    DrFields fields;

    if (!read_fields (parser, item, _("a checklist"), checklist_specs,
                      G_N_ELEMENTS (checklist_specs), &fields))
      return FALSE;

    checklist = g_new0 (DrChecklist, 1);
    checklist->items =
      g_ptr_array_new_with_free_func ((GDestroyNotify) dr_workspace_checklist_item_free);
    g_ptr_array_add (parser->workspace->checklists, checklist);

    if (!read_id (parser, field_value (&fields, "id"), "id", &checklist->id) ||
        !check_unique_id (parser, seen, checklist->id, field_value (&fields, "id"),
                          _("checklist")) ||
        !read_translated (parser, &fields, "title", &checklist->title) ||
        !read_checklist_items (parser, field_value (&fields, "items"), checklist))
      return FALSE;
  }

  return TRUE;
}

static gboolean
read_checklist_reference (DrParser           *parser,
                          const DrYamlNode   *node,
                          const char         *key,
                          DrChecklist       **out)
{
  g_autofree char *id = NULL;
  g_autofree char *known = NULL;

  if (!read_text (parser, node, key, &id))
    return FALSE;

  *out = (DrChecklist *) dr_workspace_get_checklist (parser->workspace, id);
  if (*out != NULL)
    return TRUE;

  if (parser->workspace->checklists->len == 0) {
    return fail_at (parser, node,
                    _("unknown checklist “%s”: the workspace defines no checklists; add it "
                      "under “checklists”"),
                    id);
  }

  known = join_ids (parser->workspace->checklists);

  return fail_at (parser, node,
                  _("unknown checklist “%s”: the checklists are %s; use one of them or add it "
                    "under “checklists”"),
                  id, known);
}

static const DrFieldSpec service_specs[] = {
  { "id", FIELD_REQUIRED },
  { "title", FIELD_REQUIRED | FIELD_TRANSLATABLE },
  { "repository", FIELD_REQUIRED },
  { "directory", FIELD_OPTIONAL },
  { "pipeline", FIELD_REQUIRED },
  { "version-from", FIELD_OPTIONAL },
};

static gboolean
read_repository (DrParser         *parser,
                 const DrYamlNode *node,
                 char            **out)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *text = NULL;
  const char *scheme = NULL;
  const char *host = NULL;

  if (!read_text (parser, node, "repository", &text))
    return FALSE;

  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  if (uri != NULL) {
    scheme = g_uri_get_scheme (uri);
    host = g_uri_get_host (uri);
  }

  if (uri == NULL || strpbrk (text, " \t\"'") != NULL ||
      !(g_str_equal (scheme, "https") || g_str_equal (scheme, "http") ||
        g_str_equal (scheme, "ssh") || g_str_equal (scheme, "git") ||
        g_str_equal (scheme, "file")) ||
      (!g_str_equal (scheme, "file") && (host == NULL || host[0] == '\0'))) {
    return fail_at (parser, node,
                    _("invalid repository “%s”: write an https://, http://, ssh://, git:// or "
                      "file:// URL, such as “https://github.com/your-org/auth-service”"),
                    text);
  }

  *out = g_steal_pointer (&text);

  return TRUE;
}

static gboolean
read_directory (DrParser         *parser,
                const DrYamlNode *node,
                char            **out)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) components = NULL;

  if (!read_text (parser, node, "directory", &text))
    return FALSE;

  if (g_path_is_absolute (text) || text[0] == '~') {
    return fail_at (parser, node,
                    _("invalid directory “%s”: write a path relative to the folder of clones, "
                      "such as “auth-service”"),
                    text);
  }

  components = g_strsplit (text, "/", -1);
  for (guint i = 0; components[i] != NULL; i++) {
    if (g_str_equal (components[i], "..")) {
      return fail_at (parser, node,
                      _("invalid directory “%s”: “..” would leave the folder of clones; write a "
                        "path inside it, such as “auth-service”"),
                      text);
    }
  }

  *out = g_steal_pointer (&text);

  return TRUE;
}

static gboolean
read_version_source (DrParser         *parser,
                     const DrYamlNode *node,
                     DrVersionSource  *out)
{
  g_autofree char *text = NULL;

  if (!read_text (parser, node, "version-from", &text))
    return FALSE;

  if (g_str_equal (text, "package.json"))
    *out = DR_VERSION_SOURCE_PACKAGE_JSON;
  else if (g_str_equal (text, "git-describe"))
    *out = DR_VERSION_SOURCE_GIT_DESCRIBE;
  else if (g_str_equal (text, "manual"))
    *out = DR_VERSION_SOURCE_MANUAL;
  else
    return fail_at (parser, node,
                    _("invalid version-from “%s”: use package.json, git-describe or manual"),
                    text);

  return TRUE;
}

static gboolean
read_pipeline_reference (DrParser         *parser,
                         const DrYamlNode *node,
                         DrPipeline      **out)
{
  g_autofree char *id = NULL;
  g_autofree char *known = NULL;

  if (!read_text (parser, node, "pipeline", &id))
    return FALSE;

  *out = (DrPipeline *) dr_workspace_get_pipeline (parser->workspace, id);
  if (*out != NULL)
    return TRUE;

  if (parser->workspace->pipelines->len == 0) {
    return fail_at (parser, node,
                    _("unknown pipeline “%s”: the workspace defines no pipelines; add it under "
                      "“pipelines”"),
                    id);
  }

  known = join_ids (parser->workspace->pipelines);

  return fail_at (parser, node,
                  _("unknown pipeline “%s”: the pipelines are %s; use one of them or add it "
                    "under “pipelines”"),
                  id, known);
}

static gboolean
read_services (DrParser         *parser,
               const DrYamlNode *node)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (!read_list (parser, node, "services", _("services")))
    return FALSE;

  for (guint i = 0; i < node->children->len; i++) {
    const DrYamlNode *item = g_ptr_array_index (node->children, i);
    const DrYamlNode *directory;
    const DrYamlNode *version_from;
    DrService *service;
    DrFields fields;

    if (!read_fields (parser, item, _("a service"), service_specs,
                      G_N_ELEMENTS (service_specs), &fields))
      return FALSE;

    service = g_new0 (DrService, 1);
    service->version_source = DR_VERSION_SOURCE_PACKAGE_JSON;
    g_ptr_array_add (parser->workspace->services, service);

    if (!read_id (parser, field_value (&fields, "id"), "id", &service->id) ||
        !check_unique_id (parser, seen, service->id, field_value (&fields, "id"),
                          _("service")) ||
        !read_translated (parser, &fields, "title", &service->title) ||
        !read_repository (parser, field_value (&fields, "repository"), &service->repository) ||
        !read_pipeline_reference (parser, field_value (&fields, "pipeline"),
                                  &service->pipeline))
      return FALSE;

    directory = field_value (&fields, "directory");
    if (directory == NULL)
      service->directory = g_strdup (service->id);
    else if (!read_directory (parser, directory, &service->directory))
      return FALSE;

    version_from = field_value (&fields, "version-from");
    if (version_from != NULL &&
        !read_version_source (parser, version_from, &service->version_source))
      return FALSE;
  }

  return TRUE;
}

static const DrFieldSpec gate_specs[] = {
  { "environment", FIELD_REQUIRED },
  { "checklist", FIELD_OPTIONAL },
  { "approvals", FIELD_OPTIONAL },
  { "promoter-role", FIELD_OPTIONAL },
};

static gboolean
read_environment_reference (DrParser         *parser,
                            const DrYamlNode *node,
                            char            **out)
{
  g_autofree char *id = NULL;
  g_autofree char *known = NULL;

  if (!read_text (parser, node, "environment", &id))
    return FALSE;

  if (dr_workspace_get_environment (parser->workspace, id) != NULL) {
    *out = g_steal_pointer (&id);
    return TRUE;
  }

  if (parser->workspace->environments->len == 0) {
    return fail_at (parser, node,
                    _("unknown environment “%s”: the workspace defines no environments; add it "
                      "under “environments”"),
                    id);
  }

  known = join_ids (parser->workspace->environments);

  return fail_at (parser, node,
                  _("unknown environment “%s”: the environments are %s; use one of them or add "
                    "it under “environments”"),
                  id, known);
}

static gboolean
read_approvals (DrParser         *parser,
                const DrYamlNode *node,
                DrGate           *gate)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) roles = g_ptr_array_new_with_free_func (g_free);

  if (!read_list (parser, node, "approvals", _("role ids")))
    return FALSE;

  for (guint i = 0; i < node->children->len; i++) {
    const DrYamlNode *element = g_ptr_array_index (node->children, i);
    const DrYamlNode *first;
    char *role = NULL;

    if (!read_role_reference (parser, element, "approvals", &role))
      return FALSE;
    g_ptr_array_add (roles, role);

    first = g_hash_table_lookup (seen, role);
    if (first != NULL) {
      return fail_at (parser, element,
                      _("role “%s” is listed twice in approvals: the first is at line %d, "
                        "column %d; remove one"),
                      role, first->line, first->column);
    }
    g_hash_table_insert (seen, role, (gpointer) element);
  }

  g_ptr_array_add (roles, NULL);
  g_strfreev (gate->approval_roles);
  gate->approval_roles = (char **) g_ptr_array_free (g_steal_pointer (&roles), FALSE);

  return TRUE;
}

static gboolean
read_gates (DrParser         *parser,
            const DrYamlNode *node)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *gates = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_workspace_gate_free);
  GPtrArray *environments = parser->workspace->environments;

  /* One gate per environment, in promotion order, so every environment has a gate to check. */
  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);
    DrGate *gate = g_new0 (DrGate, 1);

    gate->environment = g_strdup (environment->id);
    gate->approval_roles = g_new0 (char *, 1);
    g_ptr_array_add (gates, gate);
  }
  g_ptr_array_unref (parser->workspace->gates);
  parser->workspace->gates = gates;

  if (node == NULL)
    return TRUE;

  if (!read_list (parser, node, "gates", _("gates")))
    return FALSE;

  for (guint i = 0; i < node->children->len; i++) {
    const DrYamlNode *item = g_ptr_array_index (node->children, i);
    const DrYamlNode *value;
    const DrYamlNode *first;
    g_autofree char *environment_id = NULL;
    DrGate *gate;
    DrFields fields;

    if (!read_fields (parser, item, _("a gate"), gate_specs, G_N_ELEMENTS (gate_specs), &fields))
      return FALSE;

    value = field_value (&fields, "environment");
    if (!read_environment_reference (parser, value, &environment_id))
      return FALSE;

    gate = (DrGate *) dr_workspace_get_gate (parser->workspace, environment_id);
    first = g_hash_table_lookup (seen, gate->environment);
    if (first != NULL) {
      return fail_at (parser, value,
                      _("a second gate for “%s”: the first is at line %d, column %d; merge them "
                        "into one gate"),
                      gate->environment, first->line, first->column);
    }
    g_hash_table_insert (seen, gate->environment, (gpointer) value);

    value = field_value (&fields, "checklist");
    if (value != NULL && !read_checklist_reference (parser, value, "checklist", &gate->checklist))
      return FALSE;

    value = field_value (&fields, "approvals");
    if (value != NULL && !read_approvals (parser, value, gate))
      return FALSE;

    value = field_value (&fields, "promoter-role");
    if (value != NULL &&
        !read_role_reference (parser, value, "promoter-role", &gate->promoter_role))
      return FALSE;
  }

  return TRUE;
}

static const DrFieldSpec workspace_specs[] = {
  { "version", FIELD_REQUIRED },
  { "name", FIELD_REQUIRED },
  { "title", FIELD_OPTIONAL | FIELD_TRANSLATABLE },
  { "settings", FIELD_OPTIONAL },
  { "roles", FIELD_OPTIONAL },
  { "environments", FIELD_OPTIONAL },
  { "services", FIELD_OPTIONAL },
  { "pipelines", FIELD_OPTIONAL },
  { "checklists", FIELD_OPTIONAL },
  { "gates", FIELD_OPTIONAL },
  { "monitoring", FIELD_OPTIONAL },
};

/* Checks the format version before anything else, so that a file written for a later format
 * gets that explanation rather than a complaint about a key this version does not know. */
static gboolean
check_version (DrParser         *parser,
               const DrYamlNode *root)
{
  for (guint pair = 0; pair < dr_yaml_node_n_pairs (root); pair++) {
    const DrYamlNode *key = dr_yaml_node_pair_key (root, pair);
    const DrYamlNode *value = dr_yaml_node_pair_value (root, pair);

    if (!g_str_equal (key->value, "version"))
      continue;

    if (value->type == DR_YAML_NODE_SCALAR && g_str_equal (value->value, "1"))
      return TRUE;

    if (value->type == DR_YAML_NODE_SCALAR && !dr_yaml_node_is_null (value)) {
      return fail_at (parser, value,
                      _("unsupported version “%s”: this Dynamo Release reads version 1 "
                        "workspaces; write “version: 1” or update Dynamo Release"),
                      value->value);
    }

    return fail_at (parser, value,
                    _("expected the number 1 for “version”, found %s; write “version: 1”"),
                    describe_node (value));
  }

  return TRUE;
}

gboolean
dr_workspace_parse (DrWorkspace        *self,
                    const DrYamlNode   *root,
                    const char         *display_name,
                    const char * const *languages,
                    GError            **error)
{
  DrParser parser = { self, display_name, languages, error };
  const DrYamlNode *value;
  DrFields fields;

  g_return_val_if_fail (DR_IS_WORKSPACE (self), FALSE);
  g_return_val_if_fail (root != NULL, FALSE);
  g_return_val_if_fail (languages != NULL, FALSE);

  if (root->type == DR_YAML_NODE_MAPPING && !check_version (&parser, root))
    return FALSE;

  if (!read_fields (&parser, root, _("a workspace"), workspace_specs,
                    G_N_ELEMENTS (workspace_specs), &fields))
    return FALSE;

  if (!read_id (&parser, field_value (&fields, "name"), "name", &self->name))
    return FALSE;

  if (field_value (&fields, "title") != NULL) {
    if (!read_translated (&parser, &fields, "title", &self->title))
      return FALSE;
  } else {
    self->title = g_strdup (self->name);
  }

  value = field_value (&fields, "settings");
  if (value != NULL && !read_settings (&parser, value))
    return FALSE;

  value = field_value (&fields, "roles");
  if (value != NULL && !read_roles (&parser, value))
    return FALSE;

  value = field_value (&fields, "environments");
  if (value != NULL && !read_environments (&parser, value))
    return FALSE;

  value = field_value (&fields, "pipelines");
  if (value != NULL && !read_pipelines (&parser, value))
    return FALSE;

  value = field_value (&fields, "checklists");
  if (value != NULL && !read_checklists (&parser, value))
    return FALSE;

  value = field_value (&fields, "services");
  if (value != NULL && !read_services (&parser, value))
    return FALSE;

  if (!read_gates (&parser, field_value (&fields, "gates")))
    return FALSE;

  value = field_value (&fields, "monitoring");
  if (value != NULL && !read_checklist_reference (&parser, value, "monitoring", &self->monitoring))
    return FALSE;

  return TRUE;
}
