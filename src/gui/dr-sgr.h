/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <pango/pango.h>

G_BEGIN_DECLS

/* Turns a log line with SGR escape codes (ESC [ … m) into plain text and Pango attributes.
 * Every other escape sequence and control character except tab is dropped, so the text never
 * contains ESC. Colours drawn on the view's own background are adjusted until they reach a
 * contrast ratio of 4.5 against it, so the same line reads well in light and dark style. */
char *dr_sgr_render (const char     *line,
                     gboolean        dark,
                     PangoAttrList **attributes);

G_END_DECLS
