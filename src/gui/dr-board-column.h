/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dr-build-card.h"
#include "dr-cluster-state.h"
#include "dr-records.h"
#include "dr-workspace.h"

G_BEGIN_DECLS

typedef enum
{
  DR_COLUMN_VERDICT_NONE,     /* no card is being dragged */
  DR_COLUMN_VERDICT_SOURCE,   /* the dragged card comes from this column */
  DR_COLUMN_VERDICT_ACCEPT,
  DR_COLUMN_VERDICT_REFUSE,
} DrColumnVerdict;

#define DR_TYPE_BOARD_COLUMN (dr_board_column_get_type ())
G_DECLARE_FINAL_TYPE (DrBoardColumn, dr_board_column, DR, BOARD_COLUMN, GtkWidget)

DrBoardColumn *dr_board_column_new             (DrWorkspace             *workspace,
                                                const DrEnvironment     *environment);
const char    *dr_board_column_get_environment (DrBoardColumn           *self);
void           dr_board_column_update          (DrBoardColumn           *self,
                                                const DrServiceSnapshot *snapshot);
void           dr_board_column_set_verdict     (DrBoardColumn           *self,
                                                DrColumnVerdict          verdict,
                                                const char              *version,
                                                GPtrArray               *refusals);
DrColumnVerdict dr_board_column_get_verdict    (DrBoardColumn           *self);
DrBuildCard   *dr_board_column_find_card       (DrBoardColumn           *self,
                                                const char              *version);
void           dr_board_column_set_cluster_state (DrBoardColumn         *self,
                                                const DrClusterState    *state);
GtkWidget     *dr_board_column_get_cluster_label (DrBoardColumn         *self);
GtkWidget     *dr_board_column_get_cluster_button (DrBoardColumn        *self);

G_END_DECLS
