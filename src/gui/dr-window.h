/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dr-board.h"
#include "dr-checklist-view.h"
#include "dr-engine.h"

G_BEGIN_DECLS

typedef struct _DrApplication DrApplication;

#define DR_TYPE_WINDOW (dr_window_get_type ())
G_DECLARE_FINAL_TYPE (DrWindow, dr_window, DR, WINDOW, AdwApplicationWindow)

DrWindow        *dr_window_new                (DrApplication *application);
void             dr_window_set_workspace      (DrWindow      *self,
                                               DrWorkspace   *workspace);
void             dr_window_set_engine         (DrWindow      *self,
                                               DrEngine      *engine);
void             dr_window_show_error         (DrWindow      *self,
                                               const char    *title,
                                               const char    *message);
void             dr_window_show_message       (DrWindow      *self,
                                               const char    *heading,
                                               const char    *body);
void             dr_window_select_service     (DrWindow      *self,
                                               const char    *service);
void             dr_window_show_run           (DrWindow      *self,
                                               gint64         run_id);
const char      *dr_window_get_service        (DrWindow      *self);
DrBoard         *dr_window_get_board          (DrWindow      *self);
DrChecklistView *dr_window_get_checklist_view (DrWindow      *self);
gboolean         dr_window_is_loaded          (DrWindow      *self,
                                               const char    *service);

G_END_DECLS
