/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What the log benchmarks share: the command that prints the log, its expected size, and the
 * measuring helpers. */

#define BENCH_N_LINES 1000000
#define BENCH_LINE_BYTES 90
#define BENCH_N_BYTES ((guint64) BENCH_N_LINES * BENCH_LINE_BYTES)

/* Prints 1,000,000 lines of 90 bytes each with the newline, like a compiler's output. */
#define BENCH_OUTPUT_COMMAND \
  "awk 'BEGIN { for (i = 1; i <= 1000000; i++) printf \"line %07d: compiling " \
  "src/core/module.c with -O2 -g -Wall -Wextra -fPIC: all 9 tests OK\\n\", i }'"
#define BENCH_LAST_LINE \
  "line 1000000: compiling src/core/module.c with -O2 -g -Wall -Wextra -fPIC: all 9 tests OK"

/* The default priority timer whose late runs show a blocked main loop. */
#define BENCH_TIMER_INTERVAL_MS 5

void     bench_die               (const char *format,
                                  ...) G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN;
guint    bench_get_n_rounds      (guint       default_rounds);
double   bench_seconds_between   (gint64      start,
                                  gint64      end);
double   bench_read_memory_mb    (const char *field);
gboolean bench_reset_peak_memory (void);
void     bench_wait_ms           (guint       milliseconds);
double   bench_run_baseline      (const char *directory);
double   bench_median            (const double *values,
                                  guint         n_values);
double   bench_max               (const double *values,
                                  guint         n_values);
const char *bench_verdict        (gboolean    met);

G_END_DECLS
