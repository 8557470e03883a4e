/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A multiple selection over a list model that keeps only a GtkBitset of positions.
 * GtkMultiSelection in GTK 4.8 also fetches and keeps every selected item, so selecting all
 * of a log of a million lines would read every line from disk on the main loop; this model
 * never calls get_item for the selection. */
#define DR_TYPE_LOG_SELECTION (dr_log_selection_get_type ())
G_DECLARE_FINAL_TYPE (DrLogSelection, dr_log_selection, DR, LOG_SELECTION, GObject)

DrLogSelection *dr_log_selection_new       (GListModel     *model);
GListModel     *dr_log_selection_get_model (DrLogSelection *self);

G_END_DECLS
