/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Output of dynamoctl: errors and notes on standard error with their exit statuses, tables
 * and log lines on standard output. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>

#include "dr-credentials.h"
#include "dr-log.h"
#include "dr-placeholders.h"
#include "dynamoctl.h"

/* Returns the line with its first letter in upper case when its first word is a plain
 * lower-case word, as in "invalid version …". Some core messages start in lower case because
 * they also follow a "FILE:LINE:" prefix, but dynamoctl prints every message as a sentence,
 * as GNOME's command-line tools do. A first word with other characters, such as a file name
 * or a service id, is left as it is. */
static char *
dup_sentence_case (const char *line)
{
  const char *p;
  GString *text;

  for (p = line; *p != '\0' && *p != ' '; p = g_utf8_next_char (p))
    if (!g_unichar_islower (g_utf8_get_char (p)))
      return g_strdup (line);

  if (p == line || *p != ' ')
    return g_strdup (line);

  text = g_string_new (NULL);
  g_string_append_unichar (text, g_unichar_toupper (g_utf8_get_char (line)));
  g_string_append (text, g_utf8_next_char (line));

  return g_string_free (text, FALSE);
}

/* Prints "dynamoctl: MESSAGE" on standard error, MESSAGE starting with a capital letter. A
 * message of several lines, such as a gate's reasons, gets its further lines indented below
 * the first. */
void
dr_ctl_print_error (const char *message)
{
  g_auto(GStrv) lines = NULL;
  g_autofree char *first_line = NULL;
  g_autoptr(GString) text = g_string_new ("dynamoctl: ");

  g_return_if_fail (message != NULL);

  lines = g_strsplit (message, "\n", -1);
  first_line = dup_sentence_case (lines[0]);
  g_string_append (text, first_line);
  g_string_append_c (text, '\n');
  for (guint i = 1; lines[i] != NULL; i++) {
    if (lines[i][0] == '\0')
      continue;
    g_string_append_printf (text, "  %s\n", lines[i]);
  }

  fflush (stdout);
  fputs (text->str, stderr);
  fflush (stderr);
}

void
dr_ctl_print_message (const char *format,
                      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  dr_ctl_print_error (message);
}

/* Errors and exit statuses */

int
dr_ctl_exit_for_error (const GError *error)
{
  g_return_val_if_fail (error != NULL, DR_CTL_EXIT_FAILED);

  if (error->domain == DR_ENGINE_ERROR) {
    switch (error->code) {
    case DR_ENGINE_ERROR_REFUSED:
      return DR_CTL_EXIT_REFUSED;
    case DR_ENGINE_ERROR_INVALID:
    case DR_ENGINE_ERROR_NO_CLONES_FOLDER:
      return DR_CTL_EXIT_USAGE;
    case DR_ENGINE_ERROR_NOT_ALLOWED:
      return DR_CTL_EXIT_NOT_ALLOWED;
    case DR_ENGINE_ERROR_NOT_FOUND:
      return DR_CTL_EXIT_NOT_FOUND;
    case DR_ENGINE_ERROR_EXISTS:
      return DR_CTL_EXIT_EXISTS;
    default:
      return DR_CTL_EXIT_FAILED;
    }
  }

  if (error->domain == DR_STORE_ERROR) {
    switch (error->code) {
    case DR_STORE_ERROR_BUSY:
      /* Another run in the same service and environment: the gate's own rule. */
      return DR_CTL_EXIT_REFUSED;
    case DR_STORE_ERROR_NOT_FOUND:
      return DR_CTL_EXIT_NOT_FOUND;
    case DR_STORE_ERROR_EXISTS:
      return DR_CTL_EXIT_USAGE;
    default:
      return DR_CTL_EXIT_STORE;
    }
  }

  if (error->domain == DR_CREDENTIALS_ERROR) {
    switch (error->code) {
    case DR_CREDENTIALS_ERROR_NOT_FOUND:
      return DR_CTL_EXIT_NOT_FOUND;
    case DR_CREDENTIALS_ERROR_INVALID:
      return DR_CTL_EXIT_USAGE;
    default:
      return DR_CTL_EXIT_KEYRING;
    }
  }

  if (error->domain == DR_WORKSPACE_ERROR)
    return DR_CTL_EXIT_WORKSPACE;
  if (error->domain == DR_PLACEHOLDER_ERROR || error->domain == G_OPTION_ERROR)
    return DR_CTL_EXIT_USAGE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    return DR_CTL_EXIT_NOT_FOUND;

  return DR_CTL_EXIT_FAILED;
}

/* Prints the error as "dynamoctl: MESSAGE" and returns its exit status. */
int
dr_ctl_fail (const GError *error)
{
  g_return_val_if_fail (error != NULL, DR_CTL_EXIT_FAILED);

  /* The engine's sentence points at the window's Preferences. */
  if (g_error_matches (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NO_CLONES_FOLDER))
    dr_ctl_print_error (_("The folder of service clones is not set. Pass --clones FOLDER, or "
                          "choose the folder in the app’s Preferences."));
  else
    dr_ctl_print_error (error->message);

  return dr_ctl_exit_for_error (error);
}

int
dr_ctl_fail_usage (const char *format,
                   ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  dr_ctl_print_error (message);

  return DR_CTL_EXIT_USAGE;
}

/* Writes to standard output at once. Returns FALSE when the reader went away. */
gboolean
dr_ctl_write_stdout (const char *text,
                     gsize       length)
{
  g_return_val_if_fail (text != NULL || length == 0, FALSE);

  if (length > 0 && fwrite (text, 1, length, stdout) != length)
    return FALSE;

  return fflush (stdout) == 0;
}

/* Returns a log line as dynamoctl prints it: with its SGR colour codes on a terminal, as plain
 * text otherwise. */
char *
dr_ctl_format_line (const char *line,
                    gboolean    keep_colour)
{
  g_return_val_if_fail (line != NULL, NULL);

  if (keep_colour)
    return g_strdup (line);

  return dr_log_strip_sgr (line);
}

const char *
dr_ctl_describe_run_state (DrRunState state)
{
  switch (state) {
  case DR_RUN_STATE_RUNNING:
    return _("running");
  case DR_RUN_STATE_SUCCEEDED:
    return _("succeeded");
  case DR_RUN_STATE_FAILED:
    return _("failed");
  case DR_RUN_STATE_CANCELLED:
    return _("cancelled");
  case DR_RUN_STATE_INTERRUPTED:
    return _("interrupted");
  default:
    g_return_val_if_reached ("?");
  }
}

/* Tables: columns padded to their widest cell, the last one left unpadded. */

struct _DrCtlTable
{
  guint      n_columns;
  GPtrArray *rows;   /* of GStrv */
};

DrCtlTable *
dr_ctl_table_new (guint n_columns)
{
  DrCtlTable *table;

  g_return_val_if_fail (n_columns > 0, NULL);

  table = g_new0 (DrCtlTable, 1);
  table->n_columns = n_columns;
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  return table;
}

/* Returns a cell's text with each control character written as \uXXXX, so that a stored
 * value with a line break or an escape code cannot add or colour lines of a listing. */
static char *
dup_printable (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *printable = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (g_unichar_iscntrl (c))
      g_string_append_printf (printable, "\\u%04X", (guint) c);
    else
      g_string_append_unichar (printable, c);
  }

  return g_string_free (printable, FALSE);
}

/* Adds a row of n_columns cells; NULL cells print as empty. */
void
dr_ctl_table_add_row (DrCtlTable         *table,
                      const char * const *cells)
{
  char **row;

  g_return_if_fail (table != NULL);
  g_return_if_fail (cells != NULL);

  row = g_new0 (char *, table->n_columns + 1);
  for (guint i = 0; i < table->n_columns; i++)
    row[i] = dup_printable (cells[i] != NULL ? cells[i] : "");

  g_ptr_array_add (table->rows, row);
}

void
dr_ctl_table_print (DrCtlTable *table)
{
  g_autofree glong *widths = NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_if_fail (table != NULL);

  widths = g_new0 (glong, table->n_columns);
  for (guint i = 0; i < table->rows->len; i++) {
    char **row = g_ptr_array_index (table->rows, i);

    for (guint j = 0; j < table->n_columns; j++)
      widths[j] = MAX (widths[j], g_utf8_strlen (row[j], -1));
  }

  for (guint i = 0; i < table->rows->len; i++) {
    char **row = g_ptr_array_index (table->rows, i);

    for (guint j = 0; j < table->n_columns; j++) {
      g_string_append (text, row[j]);
      if (j + 1 < table->n_columns) {
        glong padding = widths[j] - g_utf8_strlen (row[j], -1) + 2;

        for (glong k = 0; k < padding; k++)
          g_string_append_c (text, ' ');
      }
    }

    /* Empty trailing cells leave no trailing spaces. */
    while (text->len > 0 && text->str[text->len - 1] == ' ')
      g_string_truncate (text, text->len - 1);
    g_string_append_c (text, '\n');
  }

  dr_ctl_write_stdout (text->str, text->len);
}

void
dr_ctl_table_free (DrCtlTable *table)
{
  if (table == NULL)
    return;

  g_ptr_array_unref (table->rows);
  g_free (table);
}
