/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "dr-placeholders.h"

/* With this first argument the test program prints the rest of its arguments, each followed by
 * a NUL byte, and exits. The tests run it as a child to see the argv that really arrives. */
#define PRINT_ARGV_OPTION "--print-argv"

typedef struct
{
  const char *name;
  const char *value;
  gboolean    valid;
} ValidationCase;

static const ValidationCase validation_cases[] = {
  { "version", "1.4.2", TRUE },
  { "version", "v2.0.0-rc.1", TRUE },
  { "version", "_build.7", TRUE },
  { "version", "1.0_beta-3", TRUE },
  { "version", "", FALSE },
  { "version", "1.0;touch /tmp/x", FALSE },
  { "version", "$(id)", FALSE },
  { "version", "`id`", FALSE },
  { "version", "a b", FALSE },
  { "version", "-rf", FALSE },
  { "version", ".hidden", FALSE },
  { "version", "1.0\n", FALSE },
  { "version", "1.0|cat", FALSE },
  { "version", "1.0&", FALSE },
  { "version", "1.0'", FALSE },
  { "version", "1.0/2", FALSE },
  { "version", "versión", FALSE },
  { "previous-version", "1.4.1", TRUE },
  { "previous-version", "1.4.1 -x", FALSE },
  { "service", "auth-service", TRUE },
  { "service", "a", TRUE },
  { "service", "9lives", TRUE },
  { "service", "Auth-Service", FALSE },
  { "service", "-auth", FALSE },
  { "service", "auth-", FALSE },
  { "service", "auth.service", FALSE },
  { "service", "auth_service", FALSE },
  { "service", "", FALSE },
  { "environment", "production", TRUE },
  { "environment", "prod;rm", FALSE },
  { "namespace", "dynamo", TRUE },
  { "namespace", "dynamo system", FALSE },
  { "cluster", "dynamo-prod", TRUE },
  { "cluster", "eu-west.dynamo-prod", TRUE },
  { "cluster", "a..b", FALSE },
  { "cluster", ".dynamo", FALSE },
  { "cluster", "dynamo.", FALSE },
  { "cluster", "Dynamo", FALSE },
  { "cluster", "", FALSE },
  { "base-url", "https://qa.yourapp.com", TRUE },
  { "base-url", "http://localhost:8080/api/v1?x=1,2", TRUE },
  { "base-url", "https://[::1]:8443/", TRUE },
  { "base-url", "ftp://qa.yourapp.com", FALSE },
  { "base-url", "qa.yourapp.com", FALSE },
  { "base-url", "https://", FALSE },
  { "base-url", "https://qa.yourapp.com/a b", FALSE },
  { "base-url", "https://qa.yourapp.com/\"", FALSE },
  { "base-url", "https://qa.yourapp.com/'", FALSE },
  { "base-url", "https://qa.yourapp.com/;touch", FALSE },
  { "base-url", "https://qa.yourapp.com/$(id)", FALSE },
  { "base-url", "https://qa.yourapp.com/`id`", FALSE },
  { "base-url", "https://qa.yourapp.com/&x", FALSE },
  { "base-url", "https://qa.yourapp.com/|x", FALSE },
  { "base-url", "https://qa.yourapp.com/\n", FALSE },
  { "run", "42", TRUE },
  { "run", "9223372036854775807", TRUE },
  { "run", "9223372036854775808", FALSE },
  { "run", "9999999999999999999", FALSE },
  { "run", "12345678901234567890", FALSE },
  { "run", "+1", FALSE },
  { "run", "", FALSE },
  { "run", "-1", FALSE },
  { "run", "4a", FALSE },
};

static GHashTable *
new_values (const char *first_name,
            ...)
{
  GHashTable *values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *name = first_name;
  va_list args;

  va_start (args, first_name);
  while (name != NULL) {
    const char *value = va_arg (args, const char *);

    g_hash_table_insert (values, g_strdup (name), g_strdup (value));
    name = va_arg (args, const char *);
  }
  va_end (args);

  return values;
}

static void
test_validation_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (validation_cases); i++) {
    const ValidationCase *test_case = &validation_cases[i];
    g_autoptr(GError) error = NULL;
    gboolean valid;

    g_test_message ("{%s} = “%s”", test_case->name, test_case->value);
    valid = dr_placeholder_validate (test_case->name, test_case->value, &error);

    if (test_case->valid) {
      g_assert_no_error (error);
      g_assert_true (valid);
    } else {
      g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID);
      g_assert_false (valid);
    }
  }
}

static void
test_version_length (void)
{
  g_autofree char *longest = g_strnfill (128, 'a');
  g_autofree char *too_long = g_strnfill (129, 'a');
  g_autoptr(GError) error = NULL;
  g_autofree char *quoted = NULL;

  g_assert_true (dr_version_is_valid (longest));
  g_assert_false (dr_version_is_valid (too_long));

  g_assert_false (dr_placeholder_validate ("version", too_long, &error));
  g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID);
  quoted = g_strdup_printf ("“%s”", too_long);
  g_assert_nonnull (strstr (error->message, quoted));
  g_assert_nonnull (strstr (error->message, "1 to 128"));
}

static void
test_version_error_message (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (dr_placeholder_validate ("version", "1.0;touch /tmp/x", &error));
  g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "invalid version “1.0;touch /tmp/x”: a version is an OCI tag of 1 to 128 "
                   "letters, digits, “_”, “.” and “-”, starting with a letter, digit or “_”; use "
                   "a tag such as “1.4.2”");
}

static void
test_empty_version_message (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (dr_placeholder_validate ("version", "", &error));
  g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "invalid version “”: "));
}

static void
test_control_characters_escaped (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (dr_placeholder_validate ("service", "auth\nservice", &error));
  g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID);
  g_assert_null (strchr (error->message, '\n'));
  g_assert_nonnull (strstr (error->message, "“auth\\nservice”"));
}

static void
test_unknown_name (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (dr_placeholder_is_known ("tag"));
  g_assert_null (dr_placeholder_variable_name ("tag"));
  g_assert_false (dr_placeholder_validate ("tag", "1.0", &error));
  g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_UNKNOWN);
}

static void
test_variable_names (void)
{
  g_assert_cmpstr (dr_placeholder_variable_name ("service"), ==, "DYNAMO_SERVICE");
  g_assert_cmpstr (dr_placeholder_variable_name ("version"), ==, "DYNAMO_VERSION");
  g_assert_cmpstr (dr_placeholder_variable_name ("previous-version"), ==,
                   "DYNAMO_PREVIOUS_VERSION");
  g_assert_cmpstr (dr_placeholder_variable_name ("environment"), ==, "DYNAMO_ENVIRONMENT");
  g_assert_cmpstr (dr_placeholder_variable_name ("namespace"), ==, "DYNAMO_NAMESPACE");
  g_assert_cmpstr (dr_placeholder_variable_name ("cluster"), ==, "DYNAMO_CLUSTER");
  g_assert_cmpstr (dr_placeholder_variable_name ("base-url"), ==, "DYNAMO_BASE_URL");
  g_assert_cmpstr (dr_placeholder_variable_name ("run"), ==, "DYNAMO_RUN");
}

static void
test_expand_text (void)
{
  g_autoptr(GHashTable) values = new_values ("service", "auth-service", "version", "1.4.2", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *image = NULL;
  g_autofree char *braces = NULL;
  g_autofree char *plain = NULL;

  image = dr_placeholders_expand ("dynamo/{service}:{version}", values, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (image, ==, "dynamo/auth-service:1.4.2");

  braces = dr_placeholders_expand ("{{\"tag\": \"{version}\"}}", values, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (braces, ==, "{\"tag\": \"1.4.2\"}");

  plain = dr_placeholders_expand ("npm test", values, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (plain, ==, "npm test");
}

static void
test_expand_errors (void)
{
  g_autoptr(GHashTable) values = new_values ("service", "auth-service", NULL);
  const struct {
    const char *text;
    int         code;
  } cases[] = {
    { "dynamo/{tag}", DR_PLACEHOLDER_ERROR_UNKNOWN },
    { "dynamo/{}", DR_PLACEHOLDER_ERROR_UNKNOWN },
    { "dynamo/{service", DR_PLACEHOLDER_ERROR_SYNTAX },
    { "dynamo/{ser{vice}", DR_PLACEHOLDER_ERROR_SYNTAX },
    { "dynamo/service}", DR_PLACEHOLDER_ERROR_SYNTAX },
    { "dynamo/{service}:{version}", DR_PLACEHOLDER_ERROR_MISSING },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *expanded = NULL;

    g_test_message ("%s", cases[i].text);
    expanded = dr_placeholders_expand (cases[i].text, values, &error);
    g_assert_error (error, DR_PLACEHOLDER_ERROR, cases[i].code);
    g_assert_null (expanded);
  }
}

static void
test_unknown_placeholder_message (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (dr_placeholders_check ("dynamo/{tag}", &error));
  g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_UNKNOWN);
  g_assert_cmpstr (error->message, ==,
                   "unknown placeholder “{tag}” in “dynamo/{tag}”: the known placeholders are "
                   "{service}, {version}, {previous-version}, {environment}, {namespace}, "
                   "{cluster}, {base-url}, {run}; write “{{” and “}}” for literal braces");
}

static void
test_check (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (dr_placeholders_check ("--env={environment}", &error));
  g_assert_no_error (error);
  g_assert_true (dr_placeholders_check ("{{literal}}", &error));
  g_assert_no_error (error);
  g_assert_true (dr_placeholders_check ("", &error));
  g_assert_no_error (error);

  g_assert_false (dr_placeholders_check ("{literal}", &error));
  g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_UNKNOWN);
  g_clear_error (&error);

  g_assert_false (dr_placeholders_check ("{version", &error));
  g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_SYNTAX);
}

static const char * const hostile_versions[] = {
  "1.0;touch /tmp/x",
  "$(id)",
  "a b",
  "-rf",
  "",
  "1.0\nid",
  "1.0 --privileged",
};

static void
test_expand_argv_rejects_hostile_values (void)
{
  const char * const template[] = {
    "docker", "build", "-t", "dynamo/{service}:{version}", ".", NULL
  };

  for (guint i = 0; i < G_N_ELEMENTS (hostile_versions); i++) {
    g_autoptr(GHashTable) values = new_values ("service", "auth-service",
                                               "version", hostile_versions[i], NULL);
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) argv = NULL;

    g_test_message ("version “%s”", hostile_versions[i]);
    argv = dr_placeholders_expand_argv (template, values, &error);
    g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID);
    g_assert_null (argv);
  }
}

static void
test_expand_argv_rejects_unused_invalid_value (void)
{
  const char * const template[] = { "npm", "test", NULL };
  g_autoptr(GHashTable) values = new_values ("version", "$(id)", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;

  argv = dr_placeholders_expand_argv (template, values, &error);
  g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID);
  g_assert_null (argv);
}

static void
test_expand_argv_keeps_count (void)
{
  const char * const template[] = {
    "node", "scripts/verify-deployment.js", "--env={environment}", "--service={service}",
    "--message=deploy {version} to {base-url} now", "{{raw}}", "", NULL
  };
  g_autoptr(GHashTable) values = new_values ("service", "auth-service",
                                             "version", "1.4.2",
                                             "environment", "qa",
                                             "base-url", "https://qa.yourapp.com/a?b=c,d",
                                             NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;

  argv = dr_placeholders_expand_argv (template, values, &error);
  g_assert_no_error (error);
  g_assert_nonnull (argv);
  g_assert_cmpuint (g_strv_length (argv), ==, g_strv_length ((char **) template));
  g_assert_cmpstr (argv[0], ==, "node");
  g_assert_cmpstr (argv[1], ==, "scripts/verify-deployment.js");
  g_assert_cmpstr (argv[2], ==, "--env=qa");
  g_assert_cmpstr (argv[3], ==, "--service=auth-service");
  g_assert_cmpstr (argv[4], ==, "--message=deploy 1.4.2 to https://qa.yourapp.com/a?b=c,d now");
  g_assert_cmpstr (argv[5], ==, "{raw}");
  g_assert_cmpstr (argv[6], ==, "");
}

static void
test_expand_argv_rejects_command_placeholder (void)
{
  const char * const template[] = { "{service}", "start", NULL };
  g_autoptr(GHashTable) values = new_values ("service", "auth-service", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;

  argv = dr_placeholders_expand_argv (template, values, &error);
  g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_SYNTAX);
  g_assert_null (argv);
}

static void
test_expand_argv_missing_value (void)
{
  const char * const template[] = { "kubectl", "rollout", "undo", "deployment/{service}", NULL };
  g_autoptr(GHashTable) values = new_values ("version", "1.4.2", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;

  argv = dr_placeholders_expand_argv (template, values, &error);
  g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_MISSING);
  g_assert_null (argv);
}

static void
test_environ (void)
{
  g_autoptr(GHashTable) values = new_values ("service", "auth-service",
                                             "version", "1.4.2",
                                             "base-url", "https://qa.yourapp.com",
                                             "run", "17",
                                             NULL);
  char **envp = g_new0 (char *, 1);

  envp = g_environ_setenv (envp, "PATH", "/usr/bin", TRUE);
  envp = g_environ_setenv (envp, "DYNAMO_ENVIRONMENT", "stale", TRUE);
  envp = dr_placeholders_environ (envp, values);

  g_assert_cmpstr (g_environ_getenv (envp, "PATH"), ==, "/usr/bin");
  g_assert_cmpstr (g_environ_getenv (envp, "DYNAMO_SERVICE"), ==, "auth-service");
  g_assert_cmpstr (g_environ_getenv (envp, "DYNAMO_VERSION"), ==, "1.4.2");
  g_assert_cmpstr (g_environ_getenv (envp, "DYNAMO_BASE_URL"), ==, "https://qa.yourapp.com");
  g_assert_cmpstr (g_environ_getenv (envp, "DYNAMO_RUN"), ==, "17");
  g_assert_null (g_environ_getenv (envp, "DYNAMO_ENVIRONMENT"));
  g_assert_null (g_environ_getenv (envp, "DYNAMO_CLUSTER"));

  g_strfreev (envp);
}

static void
test_environ_skips_invalid_values (void)
{
  g_autoptr(GHashTable) values = new_values ("service", "auth-service",
                                             "version", "1.0;touch /tmp/x",
                                             NULL);
  g_auto(GStrv) envp = dr_placeholders_environ (NULL, values);

  g_assert_cmpstr (g_environ_getenv (envp, "DYNAMO_SERVICE"), ==, "auth-service");
  g_assert_null (g_environ_getenv (envp, "DYNAMO_VERSION"));
}

static char *
get_own_executable (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_file_read_link ("/proc/self/exe", &error);

  g_assert_no_error (error);

  return path;
}

/* Runs `argv`, whose argv[0] is this test program, and returns the arguments that the child
 * received after PRINT_ARGV_OPTION. */
static GPtrArray *
run_argv_printer (char **argv)
{
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GBytes) output = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *received = g_ptr_array_new_with_free_func (g_free);
  const char *data;
  gsize length = 0;
  gsize start = 0;

  child = g_subprocess_newv ((const char * const *) argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                             &error);
  g_assert_no_error (error);

  g_subprocess_communicate (child, NULL, NULL, &output, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (child));

  data = g_bytes_get_data (output, &length);
  while (start < length) {
    gsize argument_length = strnlen (data + start, length - start);

    g_assert_cmpuint (start + argument_length, <, length);
    g_ptr_array_add (received, g_strndup (data + start, argument_length));
    start += argument_length + 1;
  }

  return received;
}

static void
test_child_receives_template_argv (void)
{
  g_autofree char *self_path = get_own_executable ();
  const char * const template[] = {
    self_path, PRINT_ARGV_OPTION, "build", "-t", "dynamo/{service}:{version}",
    "--label=deployed to {environment} at {base-url}", "{{not a placeholder}}", NULL
  };
  g_autoptr(GHashTable) values = new_values ("service", "auth-service",
                                             "version", "1.4.2",
                                             "environment", "qa",
                                             "base-url", "https://qa.yourapp.com/",
                                             NULL);
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;

  argv = dr_placeholders_expand_argv (template, values, &error);
  g_assert_no_error (error);

  received = run_argv_printer (argv);
  g_assert_cmpuint (received->len, ==, 5);
  g_assert_cmpstr (g_ptr_array_index (received, 0), ==, "build");
  g_assert_cmpstr (g_ptr_array_index (received, 1), ==, "-t");
  g_assert_cmpstr (g_ptr_array_index (received, 2), ==, "dynamo/auth-service:1.4.2");
  g_assert_cmpstr (g_ptr_array_index (received, 3), ==,
                   "--label=deployed to qa at https://qa.yourapp.com/");
  g_assert_cmpstr (g_ptr_array_index (received, 4), ==, "{not a placeholder}");
}

static void
test_injection_marker_never_created (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *directory = g_dir_make_tmp ("dynamo-placeholders-XXXXXX", &error);
  g_autofree char *marker = NULL;
  g_autofree char *hostile = NULL;
  g_autoptr(GHashTable) values = NULL;
  g_auto(GStrv) argv = NULL;
  const char * const template[] = { "/bin/sh", "-c", "echo {version}", NULL };

  g_assert_no_error (error);
  marker = g_build_filename (directory, "x", NULL);
  hostile = g_strdup_printf ("1.0;touch %s", marker);
  values = new_values ("version", hostile, NULL);

  argv = dr_placeholders_expand_argv (template, values, &error);
  g_assert_error (error, DR_PLACEHOLDER_ERROR, DR_PLACEHOLDER_ERROR_INVALID);
  g_assert_null (argv);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));

  g_assert_no_errno (g_rmdir (directory));
}

/* Shows that the marker check above can fail: the same value pasted into the script by plain
 * text substitution does run the injected command. */
static void
test_injection_marker_control (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *directory = g_dir_make_tmp ("dynamo-placeholders-XXXXXX", &error);
  g_autofree char *marker = NULL;
  g_autofree char *script = NULL;
  int wait_status = 0;

  g_assert_no_error (error);
  marker = g_build_filename (directory, "x", NULL);
  script = g_strdup_printf ("echo 1.0;touch %s", marker);

  {
    const char * const argv[] = { "/bin/sh", "-c", script, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                  &wait_status, &error);
  }
  g_assert_no_error (error);
  g_assert_true (g_file_test (marker, G_FILE_TEST_EXISTS));

  g_assert_no_errno (g_unlink (marker));
  g_assert_no_errno (g_rmdir (directory));
}

static int
print_argv (int    argc,
            char **argv)
{
  for (int i = 2; i < argc; i++)
    fwrite (argv[i], 1, strlen (argv[i]) + 1, stdout);

  return 0;
}

int
main (int    argc,
      char **argv)
{
  if (argc >= 2 && g_str_equal (argv[1], PRINT_ARGV_OPTION))
    return print_argv (argc, argv);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/placeholders/validation-table", test_validation_table);
  g_test_add_func ("/placeholders/version-length", test_version_length);
  g_test_add_func ("/placeholders/version-error-message", test_version_error_message);
  g_test_add_func ("/placeholders/empty-version-message", test_empty_version_message);
  g_test_add_func ("/placeholders/control-characters-escaped", test_control_characters_escaped);
  g_test_add_func ("/placeholders/unknown-name", test_unknown_name);
  g_test_add_func ("/placeholders/variable-names", test_variable_names);
  g_test_add_func ("/placeholders/expand-text", test_expand_text);
  g_test_add_func ("/placeholders/expand-errors", test_expand_errors);
  g_test_add_func ("/placeholders/unknown-placeholder-message", test_unknown_placeholder_message);
  g_test_add_func ("/placeholders/check", test_check);
  g_test_add_func ("/placeholders/argv/hostile-values", test_expand_argv_rejects_hostile_values);
  g_test_add_func ("/placeholders/argv/unused-invalid-value",
                   test_expand_argv_rejects_unused_invalid_value);
  g_test_add_func ("/placeholders/argv/keeps-count", test_expand_argv_keeps_count);
  g_test_add_func ("/placeholders/argv/command-placeholder",
                   test_expand_argv_rejects_command_placeholder);
  g_test_add_func ("/placeholders/argv/missing-value", test_expand_argv_missing_value);
  g_test_add_func ("/placeholders/environ", test_environ);
  g_test_add_func ("/placeholders/environ-skips-invalid", test_environ_skips_invalid_values);
  g_test_add_func ("/placeholders/child/argv", test_child_receives_template_argv);
  g_test_add_func ("/placeholders/child/no-injection", test_injection_marker_never_created);
  g_test_add_func ("/placeholders/child/injection-control", test_injection_marker_control);

  return g_test_run ();
}
