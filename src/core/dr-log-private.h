/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dr-log.h"

G_BEGIN_DECLS

/* What DrLogWriter (dr-log-writer.c) needs from DrLogIndex (dr-log.c). */

/* Maximum length of a line in bytes, without the newline. The writer splits longer lines. */
#define DR_LOG_MAX_LINE_BYTES (64 * 1024)

int       dr_log_index_steal_write_fd (DrLogIndex    *self);
void      dr_log_index_publish        (DrLogIndex    *self,
                                       const guint64 *line_ends,
                                       guint          n_line_ends,
                                       guint64        n_bytes,
                                       gboolean       pending_changed,
                                       const char    *pending);
void      dr_log_index_flush_notify   (DrLogIndex    *self);
void      dr_log_index_mark_complete  (DrLogIndex    *self);
gboolean  dr_log_index_has_pending    (DrLogIndex    *self);

void      dr_log_strip_sgr_into       (GString       *out,
                                       const char    *line,
                                       gsize          length);

G_END_DECLS
