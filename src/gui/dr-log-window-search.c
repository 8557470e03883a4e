/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-log-window-private.h"

/* Regular-expression search over the log, run in a worker thread by the index. */

static void
set_match_text (DrLogWindow *self,
                const char  *text,
                gboolean     error)
{
  const char *classes[] = { "caption", error ? "error" : "dim-label", NULL };

  gtk_label_set_text (self->match_label, text != NULL ? text : "");
  gtk_widget_set_css_classes (GTK_WIDGET (self->match_label), classes);
  gtk_widget_set_visible (GTK_WIDGET (self->match_label), text != NULL);
}

static void
update_match_label (DrLogWindow *self)
{
  gboolean has_matches = self->matches != NULL && self->matches->len > 0;

  gtk_widget_set_sensitive (GTK_WIDGET (self->previous_button), has_matches);
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), has_matches);

  if (self->matches == NULL) {
    set_match_text (self, NULL, FALSE);
  } else if (!has_matches) {
    set_match_text (self, _("No matches"), FALSE);
  } else {
    g_autofree char *current = g_strdup_printf ("%'u", self->current_match + 1);
    g_autofree char *total = g_strdup_printf ("%'u", self->matches->len);
    /* Translators: the selected match and the number of matches, as in "3 of 120". */
    g_autofree char *text = g_strdup_printf (_("%s of %s"), current, total);

    set_match_text (self, text, FALSE);
  }
}

static void
go_to_match (DrLogWindow *self,
             guint        match)
{
  guint position;

  g_assert (self->matches != NULL && match < self->matches->len);

  self->current_match = match;
  position = g_array_index (self->matches, guint, match);

  dr_log_window_set_follow (self, FALSE);
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), position, TRUE);
  dr_log_window_scroll_to_position (self, position);
  update_match_label (self);
}

void
dr_log_window_clear_matches (DrLogWindow *self)
{
  g_clear_pointer (&self->matches, g_array_unref);
  g_clear_pointer (&self->search_pattern, g_free);
  self->current_match = 0;
}

/* Returns the index of the first match at or after `position`. */
static guint
find_match_at_or_after (GArray *matches,
                        guint   position)
{
  guint low = 0;
  guint high = matches->len;

  while (low < high) {
    guint middle = low + (high - low) / 2;

    if (g_array_index (matches, guint, middle) < position)
      low = middle + 1;
    else
      high = middle;
  }

  return low;
}

typedef struct
{
  DrLogWindow *window;
  char        *pattern;
  gboolean     case_sensitive;
  gboolean     keep_position;
  guint        n_lines;
} SearchRequest;

static void
search_request_free (SearchRequest *request)
{
  g_object_unref (request->window);
  g_free (request->pattern);
  g_free (request);
}

/* Returns the message for a search that failed. GLib's message for a pattern that does not
 * compile quotes the regular expression compiler and gives no fix. */
static char *
describe_search_error (const char   *pattern,
                       const GError *error)
{
  gboolean compile_error = error->domain == G_REGEX_ERROR &&
                           error->code != G_REGEX_ERROR_OPTIMIZE &&
                           error->code != G_REGEX_ERROR_REPLACE &&
                           error->code != G_REGEX_ERROR_MATCH;

  if (!compile_error)
    return g_strdup (error->message);

  /* Translators: %s is the search text. */
  return g_strdup_printf (_("“%s” is not a valid regular expression. To search for ( [ { . * "
                            "+ ? | or \\ as written, put a backslash before it."),
                          pattern);
}

static void
search_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  SearchRequest *request = user_data;
  DrLogWindow *self = request->window;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) positions = NULL;
  guint previous_position = G_MAXUINT;

  positions = dr_log_index_search_finish (DR_LOG_INDEX (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    search_request_free (request);
    return;
  }

  g_clear_object (&self->search_cancellable);

  if (request->keep_position && self->matches != NULL && self->matches->len > 0)
    previous_position = g_array_index (self->matches, guint, self->current_match);

  dr_log_window_clear_matches (self);
  self->search_pattern = g_strdup (request->pattern);
  self->search_case_sensitive = request->case_sensitive;
  self->n_lines_searched = request->n_lines;

  if (error != NULL) {
    g_autofree char *text = describe_search_error (request->pattern, error);

    set_match_text (self, text, TRUE);
    gtk_widget_set_sensitive (GTK_WIDGET (self->previous_button), FALSE);
    gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), FALSE);
    gtk_widget_add_css_class (GTK_WIDGET (self->search_entry), "error");
    search_request_free (request);
    return;
  }

  gtk_widget_remove_css_class (GTK_WIDGET (self->search_entry), "error");
  self->matches = g_steal_pointer (&positions);

  if (self->matches->len > 0 && previous_position != G_MAXUINT) {
    self->current_match = MIN (find_match_at_or_after (self->matches, previous_position),
                               self->matches->len - 1);
    update_match_label (self);
  } else if (self->matches->len > 0) {
    go_to_match (self, 0);
  } else {
    update_match_label (self);
  }

  search_request_free (request);
}

/* Searches the log for the entry's pattern. A refresh (keep_position) keeps the selected
 * match where it is; a new pattern selects the first match. */
void
dr_log_window_start_search (DrLogWindow *self,
              gboolean     keep_position)
{
  const char *pattern = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  SearchRequest *request;

  self->search_refresh_source = 0;

  if (self->search_cancellable != NULL) {
    g_cancellable_cancel (self->search_cancellable);
    g_clear_object (&self->search_cancellable);
  }

  if (pattern[0] == '\0') {
    dr_log_window_clear_matches (self);
    gtk_widget_remove_css_class (GTK_WIDGET (self->search_entry), "error");
    update_match_label (self);
    return;
  }

  /* A refresh is only worth it when lines arrived since the last search. */
  if (keep_position && self->search_pattern != NULL &&
      self->n_lines_searched == dr_log_index_get_n_lines (self->index))
    return;

  request = g_new0 (SearchRequest, 1);
  request->window = g_object_ref (self);
  request->pattern = g_strdup (pattern);
  request->case_sensitive = gtk_toggle_button_get_active (self->case_button);
  request->keep_position = keep_position;
  request->n_lines = dr_log_index_get_n_lines (self->index);

  if (!keep_position)
    set_match_text (self, _("Searching…"), FALSE);

  self->search_cancellable = g_cancellable_new ();
  dr_log_index_search_async (self->index, request->pattern, request->case_sensitive,
                             self->search_cancellable, search_done_cb, request);
}

void
dr_log_window_search_changed_cb (DrLogWindow *self)
{
  g_clear_handle_id (&self->search_refresh_source, g_source_remove);
  dr_log_window_start_search (self, FALSE);
}

void
dr_log_window_case_toggled_cb (DrLogWindow *self)
{
  dr_log_window_search_changed_cb (self);
}

/* Returns TRUE when the entry contains the pattern and case of the last finished search. */
static gboolean
search_is_current (DrLogWindow *self)
{
  const char *pattern = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  return self->search_pattern != NULL &&
         g_str_equal (pattern, self->search_pattern) &&
         self->search_case_sensitive == gtk_toggle_button_get_active (self->case_button);
}

void
dr_log_window_next_match_cb (DrLogWindow *self)
{
  if (!search_is_current (self)) {
    if (self->search_cancellable == NULL)
      dr_log_window_search_changed_cb (self);
    return;
  }

  if (self->matches != NULL && self->matches->len > 0)
    go_to_match (self, (self->current_match + 1) % self->matches->len);
}

void
dr_log_window_previous_match_cb (DrLogWindow *self)
{
  if (!search_is_current (self)) {
    if (self->search_cancellable == NULL)
      dr_log_window_search_changed_cb (self);
    return;
  }

  if (self->matches != NULL && self->matches->len > 0)
    go_to_match (self, (self->current_match + self->matches->len - 1) % self->matches->len);
}

gboolean
dr_log_window_previous_match_shortcut_cb (GtkWidget *widget,
                            GVariant  *arguments,
                            gpointer   user_data)
{
  dr_log_window_previous_match_cb (DR_LOG_WINDOW (user_data));

  return TRUE;
}

void
dr_log_window_search_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  DrLogWindow *self = DR_LOG_WINDOW (widget);

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  gtk_editable_select_region (GTK_EDITABLE (self->search_entry), 0, -1);
}

void
dr_log_window_refresh_search_cb (gpointer user_data)
{
  DrLogWindow *self = user_data;

  self->search_refresh_source = 0;
  dr_log_window_start_search (self, TRUE);
}

