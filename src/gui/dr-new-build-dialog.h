/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dr-engine.h"

G_BEGIN_DECLS

/* A modal window that records a new build of a service and deploys it to the first
 * environment. It emits "run-started" with the deploy's DrRun and closes once the run has
 * started. Every error, gate refusals included, is shown in the window, which keeps what was
 * typed. */
#define DR_TYPE_NEW_BUILD_DIALOG (dr_new_build_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DrNewBuildDialog, dr_new_build_dialog, DR, NEW_BUILD_DIALOG, AdwWindow)

DrNewBuildDialog *dr_new_build_dialog_new         (DrEngine         *engine,
                                                   const char       *service_id);
const char       *dr_new_build_dialog_get_service (DrNewBuildDialog *self);
gboolean          dr_new_build_dialog_get_busy    (DrNewBuildDialog *self);

G_END_DECLS
