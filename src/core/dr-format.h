/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *dr_format_time     (gint64 microseconds_since_epoch);
char *dr_format_duration (gint64 microseconds);

G_END_DECLS
