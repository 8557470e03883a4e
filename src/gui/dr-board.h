/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dr-board-column.h"
#include "dr-engine.h"

G_BEGIN_DECLS

/* The promotion board of one service: one column per environment, in promotion order. */
#define DR_TYPE_BOARD (dr_board_get_type ())
G_DECLARE_FINAL_TYPE (DrBoard, dr_board, DR, BOARD, GtkWidget)

void           dr_board_set_engine  (DrBoard                 *self,
                                     DrEngine                *engine);
void           dr_board_update      (DrBoard                 *self,
                                     const DrServiceSnapshot *snapshot);
DrBoardColumn *dr_board_get_column  (DrBoard                 *self,
                                     const char              *environment);
void           dr_board_set_cluster_states (DrBoard          *self,
                                     GPtrArray               *states);

G_END_DECLS
