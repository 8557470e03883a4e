/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The reference for the first-frame benchmark: the least a libadwaita application shows, an
 * AdwApplicationWindow with a header bar and a label, at the main window's default size of
 * 1100 × 720 so that both draw the same number of pixels. */
#include <adwaita.h>

#define MINIMAL_WINDOW_TITLE "Minimal Adwaita Window"

static void
activate_cb (GApplication *application,
             gpointer      user_data)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (application));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *label = gtk_label_new ("A label");

  gtk_widget_set_vexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), label);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);

  gtk_window_set_title (GTK_WINDOW (window), MINIMAL_WINDOW_TITLE);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) application = NULL;

  /* Non-unique like the app, so that both start up the same way on the session bus. */
  application = adw_application_new ("org.dynamorelease.DynamoRelease.MinimalWindow",
                                     G_APPLICATION_NON_UNIQUE);
  g_signal_connect (application, "activate", G_CALLBACK (activate_cb), NULL);

  return g_application_run (G_APPLICATION (application), argc, argv);
}
