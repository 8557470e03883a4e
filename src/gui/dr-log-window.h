/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dr-log.h"
#include "dr-run.h"

G_BEGIN_DECLS

/* The live log of a run: its lines with their colours, follow mode, regular-expression
 * search, copy and save. Only the rows on screen are bound, so a log of a million lines costs
 * the index's offsets and the visible rows. */
#define DR_TYPE_LOG_WINDOW (dr_log_window_get_type ())
G_DECLARE_FINAL_TYPE (DrLogWindow, dr_log_window, DR, LOG_WINDOW, AdwWindow)

DrLogWindow *dr_log_window_new             (DrLogIndex  *index,
                                            const char  *run_title);
DrLogWindow *dr_log_window_present_for_run (DrRun       *run,
                                            GtkWindow   *parent);
DrLogIndex  *dr_log_window_get_index       (DrLogWindow *self);
gboolean     dr_log_window_get_follow      (DrLogWindow *self);
void         dr_log_window_set_follow      (DrLogWindow *self,
                                            gboolean     follow);
void         dr_log_window_save_to_file    (DrLogWindow *self,
                                            GFile       *file);

G_END_DECLS
