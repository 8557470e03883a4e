/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Lays the board's columns side by side, in equal widths, when each gets at least
 * `min-column-width`; otherwise stacks them, so the board works at 360 pixels. */
#define DR_TYPE_BOARD_LAYOUT (dr_board_layout_get_type ())
G_DECLARE_FINAL_TYPE (DrBoardLayout, dr_board_layout, DR, BOARD_LAYOUT, GtkLayoutManager)

DrBoardLayout *dr_board_layout_new            (void);
gboolean       dr_board_layout_get_stacked    (DrBoardLayout *self);

G_END_DECLS
