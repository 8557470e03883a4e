/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-log-window-private.h"
#include "dr-sgr.h"

/* Key of the run's data that points to its open log window. */
#define LOG_WINDOW_KEY "dr-log-window"

G_DEFINE_FINAL_TYPE (DrLogWindow, dr_log_window, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_INDEX,
  PROP_FOLLOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Rows
 *
 * Each row is a GtkInscription, which GTK 4.8 added for list rows. It measures from font
 * metrics and its character counts, and lays its text out only when it draws. GtkListView 4.8
 * keeps up to 200 row widgets bound around the scroll position, so in follow mode each batch of
 * lines binds about 200 new rows. As wrapped GtkLabels, laying them out took up to 104 ms per
 * frame while following a million lines (tests/test-log-window.c with DYNAMO_LOG_TEST_LINES,
 * under Xvfb). As inscriptions only the rows on screen are laid out, and long lines scroll
 * horizontally instead of wrapping. */

/* Returns the number of monospace columns `text` takes, with tab stops every 8 columns. */
static guint
count_columns (const char *text)
{
  guint columns = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p)) {
    gunichar character = g_utf8_get_char (p);

    if (character == '\t')
      columns = (columns / 8 + 1) * 8;
    else if (g_unichar_iswide (character))
      columns += 2;
    else if (!g_unichar_iszerowidth (character))
      columns++;
  }

  return columns;
}

static void
render_row (DrLogWindow *self,
            GtkListItem *list_item)
{
  DrLogLine *line = gtk_list_item_get_item (list_item);
  GtkInscription *inscription = GTK_INSCRIPTION (gtk_list_item_get_child (list_item));
  g_autoptr(PangoAttrList) attributes = NULL;
  g_autofree char *text = NULL;
  guint columns;

  if (line == NULL)
    return;

  text = dr_sgr_render (dr_log_line_get_text (line), self->dark, &attributes);
  columns = count_columns (text);

  gtk_inscription_set_text (inscription, text);
  gtk_inscription_set_attributes (inscription, attributes);
  gtk_inscription_set_min_chars (inscription, columns);
  gtk_inscription_set_nat_chars (inscription, columns);
}

static void
setup_row_cb (DrLogWindow              *self,
              GtkListItem              *list_item,
              GtkSignalListItemFactory *factory)
{
  GtkWidget *inscription = gtk_inscription_new (NULL);

  gtk_inscription_set_min_lines (GTK_INSCRIPTION (inscription), 1);
  gtk_inscription_set_nat_lines (GTK_INSCRIPTION (inscription), 1);
  gtk_inscription_set_xalign (GTK_INSCRIPTION (inscription), 0.0);
  gtk_widget_add_css_class (inscription, "dr-log-line");
  gtk_list_item_set_child (list_item, inscription);
}

static void
bind_row_cb (DrLogWindow              *self,
             GtkListItem              *list_item,
             GtkSignalListItemFactory *factory)
{
  render_row (self, list_item);
  g_hash_table_add (self->bound_items, list_item);
}

static void
unbind_row_cb (DrLogWindow              *self,
               GtkListItem              *list_item,
               GtkSignalListItemFactory *factory)
{
  g_hash_table_remove (self->bound_items, list_item);
}

/* Colours depend on the style, so the rows on screen are drawn again when it changes. */
static void
dark_changed_cb (DrLogWindow     *self,
                 GParamSpec      *pspec,
                 AdwStyleManager *style_manager)
{
  GHashTableIter iter;
  gpointer list_item;

  self->dark = adw_style_manager_get_dark (style_manager);

  g_hash_table_iter_init (&iter, self->bound_items);
  while (g_hash_table_iter_next (&iter, &list_item, NULL))
    render_row (self, list_item);
}

/* Follow mode */

void
dr_log_window_scroll_to_position (DrLogWindow *self,
                    guint        position)
{
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u",
                              position);
}

static void schedule_relayout (DrLogWindow *self);

static void
scroll_to_end (DrLogWindow *self)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->selection));

  if (n_items > 0)
    dr_log_window_scroll_to_position (self, n_items - 1);

  /* Scrolling to the item goes by estimated heights; the next frame pins the exact end. */
  schedule_relayout (self);
}

/* Pins the adjustment to its end, if follow mode is on. */
static void
pin_to_end (DrLogWindow *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  double bottom = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  if (self->follow && gtk_adjustment_get_value (adjustment) < bottom)
    gtk_adjustment_set_value (adjustment, bottom);
}

static gboolean
relayout_tick_cb (GtkWidget     *widget,
                  GdkFrameClock *frame_clock,
                  gpointer       user_data)
{
  DrLogWindow *self = DR_LOG_WINDOW (user_data);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  double bottom = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  self->pin_tick = 0;
  if (!self->follow)
    return G_SOURCE_REMOVE;

  /* The list view scrolls by an anchor row that it updates when the value changes outside
   * its layout; a value it already holds would not move the anchor, so step off and back. */
  if (gtk_adjustment_get_value (adjustment) >= bottom && bottom > 0)
    gtk_adjustment_set_value (adjustment, bottom - 1);
  gtk_adjustment_set_value (adjustment, bottom);

  return G_SOURCE_REMOVE;
}

static void
schedule_relayout (DrLogWindow *self)
{
  if (self->follow && self->pin_tick == 0)
    self->pin_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->list_view),
                                                   relayout_tick_cb, self, NULL);
}

/* The list view sets the adjustment's upper bound and page size from its layout. GTK 4.8
 * places "list.scroll-to-item" by estimated row heights, which can leave the view short of the
 * end, so follow mode also pins the adjustment to its end whenever the layout changes its
 * bounds. GtkListView emits "changed" while it lays out its rows and does not lay them out again
 * for a value set then, so the next frame lays the rows out again at the pinned value; without
 * that, what is drawn would disagree with the adjustment until more lines arrive. */
static void
adjustment_changed_cb (DrLogWindow   *self,
                       GtkAdjustment *adjustment)
{
  if (!self->follow)
    return;

  pin_to_end (self);
  schedule_relayout (self);
}

static void
settled_scroll_cb (gpointer user_data)
{
  g_autoptr(DrLogWindow) self = user_data;

  if (self->follow && gtk_widget_get_mapped (GTK_WIDGET (self)))
    scroll_to_end (self);
}

/* A window opened on a finished log gets no new lines to follow, and its first layout comes
 * from estimated row heights, so it scrolls to the end again once the rows have been measured. */
static void
map_cb (DrLogWindow *self)
{
  if (!self->follow)
    return;

  scroll_to_end (self);
  g_timeout_add_once (150, settled_scroll_cb, g_object_ref (self));
}

/* Scrolling up with the wheel or the touchpad turns follow mode off. */
static gboolean
scroll_cb (DrLogWindow              *self,
           double                    dx,
           double                    dy,
           GtkEventControllerScroll *controller)
{
  if (dy < 0)
    dr_log_window_set_follow (self, FALSE);

  return FALSE;
}

/* The keys that move up turn follow mode off too. */
static gboolean
key_pressed_cb (DrLogWindow           *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  switch (keyval) {
  case GDK_KEY_Up:
  case GDK_KEY_KP_Up:
  case GDK_KEY_Page_Up:
  case GDK_KEY_KP_Page_Up:
  case GDK_KEY_Home:
  case GDK_KEY_KP_Home:
    dr_log_window_set_follow (self, FALSE);
    break;
  default:
    break;
  }

  return FALSE;
}

/* So does a press on the scroll bar. */
static void
scrollbar_pressed_cb (DrLogWindow     *self,
                      int              n_press,
                      double           x,
                      double           y,
                      GtkGestureClick *gesture)
{
  dr_log_window_set_follow (self, FALSE);
}

/* Status line */

static void
update_status (DrLogWindow *self)
{
  guint n_lines = dr_log_index_get_n_lines (self->index);
  g_autofree char *count = g_strdup_printf ("%'u", n_lines);
  g_autofree char *lines = NULL;
  g_autofree char *text = NULL;

  lines = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s line", "%s lines", n_lines), count);

  if (dr_log_index_is_complete (self->index))
    /* Translators: the number of lines of a log that is complete. */
    text = g_strdup_printf (_("%s, complete"), lines);
  else
    /* Translators: the number of lines of a log that the run is still writing. */
    text = g_strdup_printf (_("%s, writing…"), lines);

  gtk_label_set_text (self->status_label, text);
}

/* Runs on every change of the model, which the index coalesces to a bounded number per
 * second. Nothing here depends on how many lines arrived. */
static void
items_changed_cb (DrLogWindow *self,
                  guint        position,
                  guint        removed,
                  guint        added,
                  GListModel  *model)
{
  update_status (self);

  if (self->follow)
    scroll_to_end (self);

  if (self->search_pattern != NULL && self->search_refresh_source == 0 &&
      self->search_cancellable == NULL && gtk_search_bar_get_search_mode (self->search_bar))
    self->search_refresh_source = g_timeout_add_once (SEARCH_REFRESH_MSEC, dr_log_window_refresh_search_cb,
                                                      self);
}

static void
completed_cb (DrLogWindow *self,
              DrLogIndex  *index)
{
  update_status (self);

  if (self->follow)
    scroll_to_end (self);
}

/* Save */

typedef struct
{
  DrLogWindow *window;
  GFile       *file;
} SaveRequest;

static void
save_request_free (SaveRequest *request)
{
  g_object_unref (request->window);
  g_object_unref (request->file);
  g_free (request);
}

static void
save_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  SaveRequest *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_file_get_basename (request->file);
  g_autofree char *title = NULL;

  if (dr_log_index_save_finish (DR_LOG_INDEX (object), result, &error)) {
    title = g_strdup_printf (_("Saved the log as “%s”"), name);
  } else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_autofree char *path = g_file_get_parse_name (request->file);

    g_warning ("Could not save the log %s to %s: %s",
               dr_log_index_get_path (DR_LOG_INDEX (object)), path, error->message);
    title = g_strdup_printf (_("Could not save the log as “%s”: %s"), name, error->message);
  }

  if (title != NULL)
    adw_toast_overlay_add_toast (request->window->toast_overlay, adw_toast_new (title));

  save_request_free (request);
}

static void
file_chooser_response_cb (DrLogWindow          *self,
                          int                   response,
                          GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

    if (file != NULL)
      dr_log_window_save_to_file (self, file);
  }

  g_object_unref (chooser);
}

static void
save_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  DrLogWindow *self = DR_LOG_WINDOW (widget);
  GtkFileChooserNative *chooser;
  g_autofree char *name = g_path_get_basename (dr_log_index_get_path (self->index));

  chooser = gtk_file_chooser_native_new (_("Save Log"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect_object (chooser, "response", G_CALLBACK (file_chooser_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* GObject */

static void
dr_log_window_constructed (GObject *object)
{
  DrLogWindow *self = DR_LOG_WINDOW (object);
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  AdwStyleManager *style_manager = adw_style_manager_get_default ();

  G_OBJECT_CLASS (dr_log_window_parent_class)->constructed (object);

  g_assert (self->index != NULL);

  self->model = dr_log_model_new (self->index);
  self->selection = dr_log_selection_new (G_LIST_MODEL (self->model));

  g_signal_connect_object (factory, "setup", G_CALLBACK (setup_row_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (factory, "bind", G_CALLBACK (bind_row_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (unbind_row_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  /* Connected after the list view, so that the new items exist when follow mode scrolls. */
  g_signal_connect_object (self->selection, "items-changed", G_CALLBACK (items_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->index, "completed", G_CALLBACK (completed_cb), self,
                           G_CONNECT_SWAPPED);

  self->dark = adw_style_manager_get_dark (style_manager);
  g_signal_connect_object (style_manager, "notify::dark", G_CALLBACK (dark_changed_cb), self,
                           G_CONNECT_SWAPPED);

  update_status (self);
  if (self->follow)
    scroll_to_end (self);
}

static void
dr_log_window_dispose (GObject *object)
{
  DrLogWindow *self = DR_LOG_WINDOW (object);

  if (self->pin_tick != 0 && self->list_view != NULL)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->list_view), self->pin_tick);
  self->pin_tick = 0;
  g_clear_pointer (&self->copy_job, dr_log_window_copy_job_free);
  g_clear_handle_id (&self->search_refresh_source, g_source_remove);
  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  g_cancellable_cancel (self->save_cancellable);
  g_clear_object (&self->save_cancellable);
  dr_log_window_clear_matches (self);

  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);
  g_hash_table_remove_all (self->bound_items);

  gtk_widget_dispose_template (GTK_WIDGET (self), DR_TYPE_LOG_WINDOW);

  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  g_clear_object (&self->index);

  G_OBJECT_CLASS (dr_log_window_parent_class)->dispose (object);
}

static void
dr_log_window_finalize (GObject *object)
{
  DrLogWindow *self = DR_LOG_WINDOW (object);

  g_clear_pointer (&self->bound_items, g_hash_table_unref);

  G_OBJECT_CLASS (dr_log_window_parent_class)->finalize (object);
}

static void
dr_log_window_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DrLogWindow *self = DR_LOG_WINDOW (object);

  switch (prop_id) {
  case PROP_INDEX:
    g_value_set_object (value, self->index);
    break;
  case PROP_FOLLOW:
    g_value_set_boolean (value, self->follow);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_log_window_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  DrLogWindow *self = DR_LOG_WINDOW (object);

  switch (prop_id) {
  case PROP_INDEX:
    self->index = g_value_dup_object (value);
    break;
  case PROP_FOLLOW:
    dr_log_window_set_follow (self, g_value_get_boolean (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_log_window_class_init (DrLogWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = dr_log_window_constructed;
  object_class->dispose = dr_log_window_dispose;
  object_class->finalize = dr_log_window_finalize;
  object_class->get_property = dr_log_window_get_property;
  object_class->set_property = dr_log_window_set_property;

  properties[PROP_INDEX] =
    g_param_spec_object ("index", NULL, NULL, DR_TYPE_LOG_INDEX,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FOLLOW] =
    g_param_spec_boolean ("follow", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynamorelease/DynamoRelease/dr-log-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DrLogWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, DrLogWindow, follow_button);
  gtk_widget_class_bind_template_child (widget_class, DrLogWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, DrLogWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, DrLogWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DrLogWindow, case_button);
  gtk_widget_class_bind_template_child (widget_class, DrLogWindow, previous_button);
  gtk_widget_class_bind_template_child (widget_class, DrLogWindow, next_button);
  gtk_widget_class_bind_template_child (widget_class, DrLogWindow, match_label);
  gtk_widget_class_bind_template_child (widget_class, DrLogWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DrLogWindow, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, DrLogWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, DrLogWindow, status_label);
  gtk_widget_class_bind_template_callback_full (widget_class, "search_changed_cb",
                                                G_CALLBACK (dr_log_window_search_changed_cb));
  gtk_widget_class_bind_template_callback_full (widget_class, "case_toggled_cb",
                                                G_CALLBACK (dr_log_window_case_toggled_cb));
  gtk_widget_class_bind_template_callback_full (widget_class, "next_match_cb",
                                                G_CALLBACK (dr_log_window_next_match_cb));
  gtk_widget_class_bind_template_callback_full (widget_class, "previous_match_cb",
                                                G_CALLBACK (dr_log_window_previous_match_cb));

  gtk_widget_class_install_action (widget_class, "log.copy", NULL, dr_log_window_copy_action_cb);
  gtk_widget_class_install_action (widget_class, "log.copy-all", NULL, dr_log_window_copy_all_action_cb);
  gtk_widget_class_install_action (widget_class, "log.save", NULL, save_action_cb);
  gtk_widget_class_install_action (widget_class, "log.search", NULL, dr_log_window_search_action_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK,
                                       "log.copy", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK,
                                       "log.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "log.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "window.close", NULL);
}

static void
dr_log_window_init (DrLogWindow *self)
{
  GtkEventController *controller;
  GtkShortcutController *shortcuts;
  GtkGesture *gesture;
  GtkWidget *scrollbar;

  self->follow = TRUE;
  self->bound_items = g_hash_table_new (NULL, NULL);

  gtk_widget_init_template (GTK_WIDGET (self));

  g_object_bind_property (self, "follow", self->follow_button, "active",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_list_view_set_enable_rubberband (self->list_view, TRUE);

  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scrolled_window), "changed",
                           G_CALLBACK (adjustment_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "map", G_CALLBACK (map_cb), NULL);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (controller, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->scrolled_window), controller);

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (controller, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->list_view), controller);

  scrollbar = gtk_scrolled_window_get_vscrollbar (self->scrolled_window);
  gesture = gtk_gesture_click_new ();
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (gesture), GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (gesture, "pressed", G_CALLBACK (scrollbar_pressed_cb), self);
  gtk_widget_add_controller (scrollbar, GTK_EVENT_CONTROLLER (gesture));

  /* Shift+Enter in the search entry goes to the previous match. */
  shortcuts = GTK_SHORTCUT_CONTROLLER (gtk_shortcut_controller_new ());
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (shortcuts), GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_add_shortcut (shortcuts,
    gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Return, GDK_SHIFT_MASK),
                      gtk_callback_action_new (dr_log_window_previous_match_shortcut_cb, self, NULL)));
  gtk_shortcut_controller_add_shortcut (shortcuts,
    gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_KP_Enter, GDK_SHIFT_MASK),
                      gtk_callback_action_new (dr_log_window_previous_match_shortcut_cb, self, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self->search_entry), GTK_EVENT_CONTROLLER (shortcuts));
}

DrLogWindow *
dr_log_window_new (DrLogIndex *index,
                   const char *run_title)
{
  DrLogWindow *self;

  g_return_val_if_fail (DR_IS_LOG_INDEX (index), NULL);

  self = g_object_new (DR_TYPE_LOG_WINDOW, "index", index, NULL);
  adw_window_title_set_subtitle (self->window_title, run_title);
  if (run_title != NULL) {
    /* Translators: the title of a log window, with the run's title. */
    g_autofree char *title = g_strdup_printf (_("Log of %s"), run_title);

    gtk_window_set_title (GTK_WINDOW (self), title);
  } else {
    gtk_window_set_title (GTK_WINDOW (self), _("Log"));
  }

  return self;
}

static void
forget_window_cb (DrRun *run)
{
  g_object_set_data (G_OBJECT (run), LOG_WINDOW_KEY, NULL);
}

/**
 * dr_log_window_present_for_run:
 * @run: the run whose log to show
 * @parent: (nullable): a window of the application, whose application the new window joins
 *
 * Presents the log window of @run, and creates it first when the run has none open, so each
 * run has at most one.
 *
 * Returns: (transfer none): the window
 */
DrLogWindow *
dr_log_window_present_for_run (DrRun     *run,
                               GtkWindow *parent)
{
  DrLogWindow *window;

  g_return_val_if_fail (DR_IS_RUN (run), NULL);
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  window = g_object_get_data (G_OBJECT (run), LOG_WINDOW_KEY);
  if (window == NULL) {
    g_autofree char *title = dr_run_dup_title (run);

    window = dr_log_window_new (dr_run_get_log (run), title);
    if (parent != NULL)
      gtk_window_set_application (GTK_WINDOW (window), gtk_window_get_application (parent));
    g_object_set_data (G_OBJECT (run), LOG_WINDOW_KEY, window);
    g_signal_connect_object (window, "destroy", G_CALLBACK (forget_window_cb), run,
                             G_CONNECT_SWAPPED);
  }

  gtk_window_present (GTK_WINDOW (window));

  return window;
}

DrLogIndex *
dr_log_window_get_index (DrLogWindow *self)
{
  g_return_val_if_fail (DR_IS_LOG_WINDOW (self), NULL);

  return self->index;
}

gboolean
dr_log_window_get_follow (DrLogWindow *self)
{
  g_return_val_if_fail (DR_IS_LOG_WINDOW (self), FALSE);

  return self->follow;
}

/* Turns follow mode on or off. Turning it on jumps to the last line, and while it is on, new
 * lines keep the view at the bottom. */
void
dr_log_window_set_follow (DrLogWindow *self,
                          gboolean     follow)
{
  g_return_if_fail (DR_IS_LOG_WINDOW (self));

  follow = !!follow;
  if (self->follow == follow)
    return;

  self->follow = follow;
  if (follow && self->selection != NULL)
    scroll_to_end (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLLOW]);
}

/**
 * dr_log_window_save_to_file:
 * @self: a #DrLogWindow
 * @file: the destination, replaced if it exists
 *
 * Saves the plain text of the log to @file in a worker thread and shows a toast when it is
 * done or failed. Save As… in the window's menu and Ctrl+S end here after the file chooser.
 */
void
dr_log_window_save_to_file (DrLogWindow *self,
                            GFile       *file)
{
  SaveRequest *request;

  g_return_if_fail (DR_IS_LOG_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->save_cancellable == NULL)
    self->save_cancellable = g_cancellable_new ();

  request = g_new0 (SaveRequest, 1);
  request->window = g_object_ref (self);
  request->file = g_object_ref (file);
  dr_log_index_save_async (self->index, file, self->save_cancellable, save_done_cb, request);
}
