/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

void       dr_label_wrap_anywhere              (GtkLabel         *label);
GtkWidget *dr_dialog_list_new                  (const char       *text,
                                                gboolean          monospace);
void       dr_message_dialog_set_plain_heading (AdwMessageDialog *dialog,
                                                const char       *heading);

G_END_DECLS
