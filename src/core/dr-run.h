/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dr-log.h"
#include "dr-records.h"

G_BEGIN_DECLS

/* One step of a run as the progress view shows it. Properties change on the main thread. */
#define DR_TYPE_RUN_STEP (dr_run_step_get_type ())
G_DECLARE_FINAL_TYPE (DrRunStep, dr_run_step, DR, RUN_STEP, GObject)

guint        dr_run_step_get_index       (DrRunStep *self);
const char  *dr_run_step_get_name        (DrRunStep *self);
const char  *dr_run_step_get_command     (DrRunStep *self);
DrStepState  dr_run_step_get_state       (DrRunStep *self);
gint64       dr_run_step_get_started_at  (DrRunStep *self);
gint64       dr_run_step_get_finished_at (DrRunStep *self);
gint64       dr_run_step_get_duration    (DrRunStep *self);
int          dr_run_step_get_exit_status (DrRunStep *self);
const char  *dr_run_step_get_message     (DrRunStep *self);

/* A run in progress in this process, or one read back from the store: finished, or in
 * progress in another process, whose log file the DrLogIndex follows until the engine reads
 * the run's end from the store. Its steps are a GListModel of DrRunStep; its output is a
 * DrLogIndex over the log file. "finished" is emitted once, after the store has recorded the
 * outcome. */
#define DR_TYPE_RUN (dr_run_get_type ())
G_DECLARE_FINAL_TYPE (DrRun, dr_run, DR, RUN, GObject)

gint64       dr_run_get_id               (DrRun     *self);
DrRunKind    dr_run_get_kind             (DrRun     *self);
const char  *dr_run_get_service          (DrRun     *self);
const char  *dr_run_get_version          (DrRun     *self);
const char  *dr_run_get_environment      (DrRun     *self);
const char  *dr_run_get_checklist_item   (DrRun     *self);
const char  *dr_run_get_person           (DrRun     *self);
DrRunState   dr_run_get_state            (DrRun     *self);
const char  *dr_run_get_message          (DrRun     *self);
double       dr_run_get_fraction         (DrRun     *self);
gint64       dr_run_get_started_at       (DrRun     *self);
gint64       dr_run_get_finished_at      (DrRun     *self);
GListModel  *dr_run_get_steps            (DrRun     *self);
DrLogIndex  *dr_run_get_log              (DrRun     *self);
char        *dr_run_dup_title            (DrRun     *self);
gboolean     dr_run_is_finished          (DrRun     *self);
gboolean     dr_run_is_local             (DrRun     *self);
void         dr_run_cancel               (DrRun     *self);

DrRun       *dr_run_new_from_record      (const DrRunRecord *record);

G_END_DECLS
