/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dr-run.h"

G_BEGIN_DECLS

/* Used by the engine, which executes the run; the window and dynamoctl only read a DrRun. */
DrRun        *dr_run_new                (const DrRunRecord *record,
                                         DrLogIndex        *log);
void          dr_run_set_title          (DrRun             *self,
                                         const char        *title);
GCancellable *dr_run_get_cancellable    (DrRun             *self);
DrRunStep    *dr_run_get_step           (DrRun             *self,
                                         guint              index);
void          dr_run_update_step        (DrRun             *self,
                                         const DrRunStepRecord *record);
void          dr_run_finish             (DrRun             *self,
                                         DrRunState         state,
                                         const char        *message,
                                         gint64             finished_at);

G_END_DECLS
