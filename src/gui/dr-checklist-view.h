/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dr-engine.h"

G_BEGIN_DECLS

/* The checklist and approvals of the build that waits to enter the environment whose gate asks
 * for them (Production, in the Dynamo workspace). */
#define DR_TYPE_CHECKLIST_VIEW (dr_checklist_view_get_type ())
G_DECLARE_FINAL_TYPE (DrChecklistView, dr_checklist_view, DR, CHECKLIST_VIEW, GtkWidget)

void        dr_checklist_view_set_engine   (DrChecklistView         *self,
                                            DrEngine                *engine);
void        dr_checklist_view_update       (DrChecklistView         *self,
                                            const DrServiceSnapshot *snapshot);
const char *dr_checklist_view_get_version  (DrChecklistView         *self);
GtkWidget  *dr_checklist_view_get_item_check (DrChecklistView       *self,
                                            const char              *item);
GtkWidget  *dr_checklist_view_get_comment_button (DrChecklistView   *self,
                                            const char              *item);
GtkWidget  *dr_checklist_view_get_decision_button (DrChecklistView  *self,
                                            const char              *role,
                                            DrDecision               decision);

G_END_DECLS
