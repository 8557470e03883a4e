/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dr-log-selection.h"
#include "dr-log-window.h"

G_BEGIN_DECLS

/* What the parts of DrLogWindow share: dr-log-window.c (rows, follow mode, status, save),
 * dr-log-window-search.c and dr-log-window-copy.c. */

/* Work done in one main-loop iteration while copying many lines, so that the window keeps
 * drawing during a copy of a whole log. */
#define COPY_SLICE_USEC (8 * 1000)

/* While the log grows, an open search is run again at most this often, so that its matches
 * include the new lines. */
#define SEARCH_REFRESH_MSEC 1000

typedef struct
{
  DrLogWindow      *window;
  GtkBitset        *positions;
  GtkBitsetIter     iter;
  gboolean          iter_valid;
  GString          *text;
  guint             n_lines;
  guint             source;
} CopyJob;

struct _DrLogWindow
{
  AdwWindow          parent_instance;

  AdwWindowTitle    *window_title;
  GtkToggleButton   *follow_button;
  GtkToggleButton   *search_button;
  GtkSearchBar      *search_bar;
  GtkSearchEntry    *search_entry;
  GtkToggleButton   *case_button;
  GtkButton         *previous_button;
  GtkButton         *next_button;
  GtkLabel          *match_label;
  AdwToastOverlay   *toast_overlay;
  GtkScrolledWindow *scrolled_window;
  GtkListView       *list_view;
  GtkLabel          *status_label;

  DrLogIndex        *index;
  DrLogModel        *model;
  DrLogSelection    *selection;
  GHashTable        *bound_items;     /* GtkListItem → NULL, the rows on screen */
  guint              pin_tick;        /* tick callback that pins follow mode to the end */
  gboolean           follow;
  gboolean           dark;

  /* The last search that finished, and the one in flight. */
  GCancellable      *search_cancellable;
  char              *search_pattern;
  gboolean           search_case_sensitive;
  GArray            *matches;         /* of guint, line positions in ascending order */
  guint              current_match;
  guint              n_lines_searched;
  guint              search_refresh_source;

  CopyJob           *copy_job;
  GCancellable      *save_cancellable;
};

void      dr_log_window_scroll_to_position        (DrLogWindow *self,
                                                   guint        position);

void      dr_log_window_start_search              (DrLogWindow *self,
                                                   gboolean     keep_position);
void      dr_log_window_clear_matches             (DrLogWindow *self);
void      dr_log_window_refresh_search_cb         (gpointer     user_data);
void      dr_log_window_search_changed_cb         (DrLogWindow *self);
void      dr_log_window_case_toggled_cb           (DrLogWindow *self);
void      dr_log_window_next_match_cb             (DrLogWindow *self);
void      dr_log_window_previous_match_cb         (DrLogWindow *self);
gboolean  dr_log_window_previous_match_shortcut_cb (GtkWidget  *widget,
                                                   GVariant   *arguments,
                                                   gpointer    user_data);
void      dr_log_window_search_action_cb          (GtkWidget  *widget,
                                                   const char *action_name,
                                                   GVariant   *parameter);

void      dr_log_window_copy_job_free             (CopyJob    *job);
void      dr_log_window_copy_action_cb            (GtkWidget  *widget,
                                                   const char *action_name,
                                                   GVariant   *parameter);
void      dr_log_window_copy_all_action_cb        (GtkWidget  *widget,
                                                   const char *action_name,
                                                   GVariant   *parameter);

G_END_DECLS
