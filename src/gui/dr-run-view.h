/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dr-run.h"

G_BEGIN_DECLS

/* The progress view of one run: title, state and message, overall progress, one row per
 * step, and the Cancel, Show Log and Roll Back buttons.
 *
 * Signals:
 * - "show-log-requested" (DrRun *run): Show Log was clicked.
 * - "rollback-requested" (DrRun *run): Roll Back was clicked on a failed or cancelled
 *   deploy. The handler requests confirmation before it starts anything. */
#define DR_TYPE_RUN_VIEW (dr_run_view_get_type ())
G_DECLARE_FINAL_TYPE (DrRunView, dr_run_view, DR, RUN_VIEW, GtkWidget)

GtkWidget *dr_run_view_new     (DrRun     *run);
DrRun     *dr_run_view_get_run (DrRunView *self);
void       dr_run_view_set_run (DrRunView *self,
                                DrRun     *run);

G_END_DECLS
