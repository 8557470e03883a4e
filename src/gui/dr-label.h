/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void dr_label_wrap_anywhere (GtkLabel *label);

G_END_DECLS
