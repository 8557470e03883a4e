/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dr-run.h"

G_BEGIN_DECLS

/* One step of a run in the progress view: state icon, name, command, duration and, when the
 * step failed, its message. The row follows the step's notifications and, while the step
 * runs, updates the duration once a second. */
#define DR_TYPE_RUN_STEP_ROW (dr_run_step_row_get_type ())
G_DECLARE_FINAL_TYPE (DrRunStepRow, dr_run_step_row, DR, RUN_STEP_ROW, GtkListBoxRow)

GtkWidget  *dr_run_step_row_new      (DrRunStep    *step);
DrRunStep  *dr_run_step_row_get_step (DrRunStepRow *self);


G_END_DECLS
