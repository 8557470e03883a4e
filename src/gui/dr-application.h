/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dr-engine.h"

G_BEGIN_DECLS

#define DR_TYPE_APPLICATION (dr_application_get_type ())
G_DECLARE_FINAL_TYPE (DrApplication, dr_application, DR, APPLICATION, AdwApplication)

DrApplication *dr_application_new           (void);
GSettings     *dr_application_get_settings  (DrApplication *self);
DrWorkspace   *dr_application_get_workspace (DrApplication *self);
DrEngine      *dr_application_get_engine    (DrApplication *self);
DrIdentity    *dr_application_dup_identity  (DrApplication *self);
gboolean       dr_application_has_running_runs (DrApplication *self);
void           dr_application_request_quit  (DrApplication *self,
                                             GtkWindow     *parent);

G_END_DECLS
