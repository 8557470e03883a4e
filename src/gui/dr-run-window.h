/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dr-run.h"

G_BEGIN_DECLS

/* A window with the progress view of one run. Show Log opens the run's log window.
 *
 * Signals:
 * - "rollback-requested" (DrRun *run): Roll Back was clicked. The handler requests
 *   confirmation and starts the rollback. */
#define DR_TYPE_RUN_WINDOW (dr_run_window_get_type ())
G_DECLARE_FINAL_TYPE (DrRunWindow, dr_run_window, DR, RUN_WINDOW, AdwWindow)

DrRunWindow *dr_run_window_new             (DrRun       *run);
DrRunWindow *dr_run_window_present_for_run (DrRun       *run,
                                            GtkWindow   *parent);
DrRun       *dr_run_window_get_run         (DrRunWindow *self);

G_END_DECLS
