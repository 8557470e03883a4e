/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <glib/gprintf.h>

#include "bench-common.h"

/* Prints the message and exits with a failure status: for a benchmark that found something
 * wrong, never for a slow figure. */
void
bench_die (const char *format,
           ...)
{
  va_list args;

  va_start (args, format);
  g_vfprintf (stderr, format, args);
  va_end (args);
  g_printerr ("\n");

  exit (EXIT_FAILURE);
}

/* Returns DYNAMO_BENCH_ROUNDS, or `default_rounds` when it is not set. */
guint
bench_get_n_rounds (guint default_rounds)
{
  const char *text = g_getenv ("DYNAMO_BENCH_ROUNDS");
  g_autoptr(GError) error = NULL;
  guint64 n_rounds;

  if (text == NULL)
    return default_rounds;

  if (!g_ascii_string_to_unsigned (text, 10, 1, 1000, &n_rounds, &error))
    bench_die ("invalid DYNAMO_BENCH_ROUNDS “%s”: %s", text, error->message);

  return (guint) n_rounds;
}

double
bench_seconds_between (gint64 start,
                       gint64 end)
{
  return (double) (end - start) / G_USEC_PER_SEC;
}

/* Returns a field of /proc/self/status given in kB, such as "VmHWM" (the peak resident
 * memory of this process) or "VmRSS" (the current one), in MB of 1,048,576 bytes, or -1 when
 * it cannot be read. */
double
bench_read_memory_mb (const char *field)
{
  g_autofree char *key = g_strconcat ("\n", field, ":", NULL);
  g_autofree char *contents = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &contents, NULL, NULL))
    return -1;

  line = strstr (contents, key);
  if (line == NULL)
    return -1;

  return g_ascii_strtoll (line + strlen (key), NULL, 10) / 1024.0;
}

/* Sets VmHWM back to the current resident size (Linux 4.0 and later). */
gboolean
bench_reset_peak_memory (void)
{
  int fd = open ("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  gboolean done;

  if (fd < 0)
    return FALSE;

  done = write (fd, "5", 1) == 1;
  close (fd);

  return done;
}

static void
set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Iterates the main context for `milliseconds`. */
void
bench_wait_ms (guint milliseconds)
{
  gboolean expired = FALSE;

  g_timeout_add_once (milliseconds, set_flag_cb, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

/* Runs the command with the shell redirecting its output to a file in `directory`, waits for
 * it and returns the wall time in seconds. Exits when the file does not have the expected
 * size. */
double
bench_run_baseline (const char *directory)
{
  g_autofree char *path = g_build_filename (directory, "redirected.log", NULL);
  g_autofree char *quoted_path = g_shell_quote (path);
  g_autofree char *command = g_strconcat (BENCH_OUTPUT_COMMAND, " > ", quoted_path, NULL);
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf info;
  gint64 start;
  double elapsed;

  start = g_get_monotonic_time ();
  subprocess = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sh", "-c", command, NULL);
  if (subprocess == NULL || !g_subprocess_wait_check (subprocess, NULL, &error))
    bench_die ("the baseline command failed: %s", error->message);
  elapsed = bench_seconds_between (start, g_get_monotonic_time ());

  if (g_stat (path, &info) != 0)
    bench_die ("the baseline wrote no file %s: %s", path, g_strerror (errno));
  if ((guint64) info.st_size != BENCH_N_BYTES)
    bench_die ("the baseline wrote %" G_GUINT64_FORMAT " bytes to %s, expected %"
               G_GUINT64_FORMAT ": check that awk is installed", (guint64) info.st_size, path,
               BENCH_N_BYTES);
  g_remove (path);

  return elapsed;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

double
bench_median (const double *values,
              guint         n_values)
{
  g_autofree double *sorted = g_memdup2 (values, n_values * sizeof (double));

  g_assert (n_values > 0);

  qsort (sorted, n_values, sizeof (double), compare_doubles);
  if (n_values % 2 == 1)
    return sorted[n_values / 2];

  return (sorted[n_values / 2 - 1] + sorted[n_values / 2]) / 2;
}

double
bench_max (const double *values,
           guint         n_values)
{
  double max = values[0];

  for (guint i = 1; i < n_values; i++)
    max = MAX (max, values[i]);

  return max;
}

const char *
bench_verdict (gboolean met)
{
  return met ? "met" : "missed";
}
