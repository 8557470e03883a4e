/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dr-label.h"

/* Lets a wrapping label break inside a word, without inserting hyphens. Versions, paths and
 * commands can be one long word, and a label that cannot break them makes the whole window
 * wider. A hyphen would read as part of a version, where "-" is allowed. */
void
dr_label_wrap_anywhere (GtkLabel *label)
{
  g_autoptr(PangoAttrList) attributes = NULL;

  g_return_if_fail (GTK_IS_LABEL (label));

  attributes = gtk_label_get_attributes (label) != NULL
               ? pango_attr_list_copy (gtk_label_get_attributes (label))
               : pango_attr_list_new ();
  pango_attr_list_insert (attributes, pango_attr_insert_hyphens_new (FALSE));

  gtk_label_set_wrap (label, TRUE);
  gtk_label_set_wrap_mode (label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_attributes (label, attributes);
}

/* Sets the heading of a message dialog to plain text that wraps without inserting hyphens,
 * because a long version in the heading would otherwise wrap with a hyphen. */
void
dr_message_dialog_set_plain_heading (AdwMessageDialog *dialog,
                                     const char       *heading)
{
  g_autofree char *markup = NULL;

  g_return_if_fail (ADW_IS_MESSAGE_DIALOG (dialog));
  g_return_if_fail (heading != NULL);

  markup = g_markup_printf_escaped ("<span insert_hyphens=\"false\">%s</span>", heading);
  adw_message_dialog_set_heading_use_markup (dialog, TRUE);
  adw_message_dialog_set_heading (dialog, markup);
}

/* Returns a left-aligned, selectable label for lists in a message dialog, which centres its
 * body: refusal reasons and the commands a run will execute. */
GtkWidget *
dr_dialog_list_new (const char *text,
                    gboolean    monospace)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  dr_label_wrap_anywhere (GTK_LABEL (label));
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 60);
  if (monospace)
    gtk_widget_add_css_class (label, "monospace");

  return label;
}
