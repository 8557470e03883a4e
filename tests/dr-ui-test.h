/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Helpers for widget tests that run on a real X server (Xvfb) and drive the widgets with real
 * pointer and keyboard events from xdotool, while the test's main loop keeps running. */

void      dr_ui_test_init          (int          *argc,
                                    char       ***argv);
gboolean  dr_ui_wait_until         (gboolean    (*condition) (gpointer user_data),
                                    gpointer      user_data,
                                    guint         timeout_ms);
void      dr_ui_wait_ms            (guint         milliseconds);
void      dr_ui_wait_for_mapped    (GtkWidget    *widget);
gboolean  dr_ui_xdotool            (const char   *first_argument,
                                    ...) G_GNUC_NULL_TERMINATED;
gboolean  dr_ui_widget_screen_point (GtkWidget   *widget,
                                    double        x_fraction,
                                    double        y_fraction,
                                    int          *screen_x,
                                    int          *screen_y);
void      dr_ui_reveal             (GtkWidget    *widget);
gboolean  dr_ui_click              (GtkWidget    *widget);
gboolean  dr_ui_type               (const char   *text);
gboolean  dr_ui_key                (const char   *keys);
gboolean  dr_ui_drag               (GtkWidget    *source,
                                    GtkWidget    *target);
gboolean  dr_ui_drag_hold          (GtkWidget    *source,
                                    GtkWidget    *target);
gboolean  dr_ui_drag_release       (void);
GtkWidget *dr_ui_find_text         (GtkWidget    *root,
                                    const char   *text);
void       dr_ui_click_text         (GtkWidget    *root,
                                     const char   *text);
const char *dr_ui_shown_label       (const char   *msgid);
GtkWindow *dr_ui_find_window       (GType         type);
void      dr_ui_screenshot         (const char   *name);

G_END_DECLS
