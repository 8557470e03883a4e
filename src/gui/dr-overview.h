/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dr-engine.h"

G_BEGIN_DECLS

/* Every service by environment: which version runs where, at a glance. */
#define DR_TYPE_OVERVIEW (dr_overview_get_type ())
G_DECLARE_FINAL_TYPE (DrOverview, dr_overview, DR, OVERVIEW, GtkWidget)

void dr_overview_set_engine (DrOverview              *self,
                             DrEngine                *engine);
void dr_overview_update     (DrOverview              *self,
                             const DrServiceSnapshot *snapshot);

G_END_DECLS
