/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-log-window-private.h"

/* Copying lines to the clipboard as plain text. */

static char *
dup_plain_line (DrLogWindow *self,
                guint        position)
{
  g_autofree char *line = NULL;

  if (position < dr_log_index_get_n_lines (self->index))
    line = dr_log_index_dup_line (self->index, position);
  else
    line = dr_log_index_dup_pending (self->index);

  return line != NULL ? dr_log_strip_sgr (line) : NULL;
}

void
dr_log_window_copy_job_free (CopyJob *job)
{
  g_clear_handle_id (&job->source, g_source_remove);
  gtk_bitset_unref (job->positions);
  if (job->text != NULL)
    g_string_free (job->text, TRUE);
  g_free (job);
}

static void
finish_copy (DrLogWindow *self)
{
  CopyJob *job = g_steal_pointer (&self->copy_job);
  g_autofree char *count = g_strdup_printf ("%'u", job->n_lines);
  g_autofree char *title = NULL;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), job->text->str);

  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Copied %s line", "Copied %s lines",
                                        job->n_lines),
                           count);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (title));

  dr_log_window_copy_job_free (job);
}

/* Reads lines for up to COPY_SLICE_USEC. Returns TRUE when every line has been read. */
static gboolean
copy_slice (DrLogWindow *self)
{
  CopyJob *job = self->copy_job;
  gint64 deadline = g_get_monotonic_time () + COPY_SLICE_USEC;
  guint position;

  while (job->iter_valid) {
    g_autofree char *line = NULL;

    position = gtk_bitset_iter_get_value (&job->iter);
    line = dup_plain_line (self, position);
    if (line != NULL) {
      if (job->n_lines > 0)
        g_string_append_c (job->text, '\n');
      g_string_append (job->text, line);
      job->n_lines++;
    }

    job->iter_valid = gtk_bitset_iter_next (&job->iter, &position);
    if (g_get_monotonic_time () >= deadline)
      break;
  }

  return !job->iter_valid;
}

static gboolean
copy_slice_cb (gpointer user_data)
{
  DrLogWindow *self = user_data;

  if (!copy_slice (self))
    return G_SOURCE_CONTINUE;

  self->copy_job->source = 0;
  finish_copy (self);

  return G_SOURCE_REMOVE;
}

/* Copies the plain text of the lines at `positions` to the clipboard. A large copy goes on in
 * slices on the main loop; a new copy replaces one still in progress. */
static void
copy_lines (DrLogWindow *self,
            GtkBitset   *positions)
{
  CopyJob *job;
  guint first;

  g_clear_pointer (&self->copy_job, dr_log_window_copy_job_free);

  if (gtk_bitset_is_empty (positions))
    return;

  job = g_new0 (CopyJob, 1);
  job->window = self;
  job->positions = gtk_bitset_ref (positions);
  job->iter_valid = gtk_bitset_iter_init_first (&job->iter, job->positions, &first);
  job->text = g_string_new (NULL);
  self->copy_job = job;

  if (copy_slice (self)) {
    finish_copy (self);
    return;
  }

  /* A 1 ms timeout at the default priority takes turns with the redraws. An idle callback would
   * wait behind a window whose frames take longer to paint than the frame interval. */
  job->source = g_timeout_add_full (G_PRIORITY_DEFAULT, 1, copy_slice_cb, self, NULL);
}

void
dr_log_window_copy_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  DrLogWindow *self = DR_LOG_WINDOW (widget);
  g_autoptr(GtkBitset) selected = NULL;

  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  copy_lines (self, selected);
}

void
dr_log_window_copy_all_action_cb (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  DrLogWindow *self = DR_LOG_WINDOW (widget);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  g_autoptr(GtkBitset) all = gtk_bitset_new_range (0, n_items);

  copy_lines (self, all);
}

