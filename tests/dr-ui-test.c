/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gdk/x11/gdkx.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "dr-ui-test.h"

void
dr_ui_test_init (int    *argc,
                 char ***argv)
{
  const char *localedir = g_getenv ("DYNAMO_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_init (argc, argv, NULL);
  gtk_init ();
  adw_init ();

  /* The application loads its style sheet; tests that make windows without one do it here. */
  {
    g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (provider, "/org/dynamorelease/DynamoRelease/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                GTK_STYLE_PROVIDER (provider),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }
}

static gboolean
wait_timeout_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;

  return G_SOURCE_REMOVE;
}

/* Iterates the main context until condition() returns TRUE or timeout_ms pass. Returns the
 * last value of condition(). */
gboolean
dr_ui_wait_until (gboolean (*condition) (gpointer user_data),
                  gpointer   user_data,
                  guint      timeout_ms)
{
  gboolean expired = FALSE;
  guint source = g_timeout_add (timeout_ms, wait_timeout_cb, &expired);

  while (!condition (user_data) && !expired)
    g_main_context_iteration (NULL, TRUE);

  if (!expired)
    g_source_remove (source);

  return condition (user_data);
}

static gboolean
never (gpointer user_data)
{
  return FALSE;
}

void
dr_ui_wait_ms (guint milliseconds)
{
  dr_ui_wait_until (never, NULL, milliseconds);
}

static gboolean
widget_is_ready (gpointer user_data)
{
  GtkWidget *widget = user_data;

  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0;
}

void
dr_ui_wait_for_mapped (GtkWidget *widget)
{
  g_assert_true (dr_ui_wait_until (widget_is_ready, widget, 10000));
  /* One more frame, so that allocations settle. */
  dr_ui_wait_ms (100);
}

static void
xdotool_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  int *status = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_subprocess_wait_check_finish (G_SUBPROCESS (object), result, &error)) {
    g_printerr ("# xdotool failed: %s\n", error->message);
    *status = 1;
    return;
  }

  *status = 0;
}

static gboolean
status_is_set (gpointer user_data)
{
  return *(int *) user_data >= 0;
}

/* Runs xdotool with the given arguments while the main loop goes on, so the widgets can react
 * to the events as they arrive. */
gboolean
dr_ui_xdotool (const char *first_argument,
               ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;
  va_list args;

  g_ptr_array_add (argv, (char *) "xdotool");
  va_start (args, first_argument);
  for (const char *argument = first_argument; argument != NULL;
       argument = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) argument);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_NONE,
                               &error);
  g_assert_no_error (error);

  g_subprocess_wait_check_async (process, NULL, xdotool_done_cb, &status);
  dr_ui_wait_until (status_is_set, &status, 60000);

  return status == 0;
}

/* Returns the screen position of a point of `widget`, given as fractions of its width and
 * height. It asks the X server, so it is right wherever the window is. */
gboolean
dr_ui_widget_screen_point (GtkWidget *widget,
                           double     x_fraction,
                           double     y_fraction,
                           int       *screen_x,
                           int       *screen_y)
{
  GtkNative *native = gtk_widget_get_native (widget);
  GdkSurface *surface;
  graphene_point_t point;
  graphene_point_t in_native;
  double surface_x, surface_y;
  Window child;
  int root_x, root_y;
  Display *display;

  g_return_val_if_fail (native != NULL, FALSE);

  point = GRAPHENE_POINT_INIT (gtk_widget_get_width (widget) * x_fraction,
                               gtk_widget_get_height (widget) * y_fraction);
  if (!gtk_widget_compute_point (widget, GTK_WIDGET (native), &point, &in_native))
    return FALSE;

  gtk_native_get_surface_transform (native, &surface_x, &surface_y);
  surface = gtk_native_get_surface (native);
  display = gdk_x11_display_get_xdisplay (gdk_surface_get_display (surface));

  XTranslateCoordinates (display, gdk_x11_surface_get_xid (surface),
                         DefaultRootWindow (display),
                         (int) (in_native.x + surface_x), (int) (in_native.y + surface_y),
                         &root_x, &root_y, &child);

  *screen_x = root_x;
  *screen_y = root_y;

  return TRUE;
}

/* Scrolls the nearest scrolled window around `widget` so that all of it is visible, as a
 * person would before clicking it. */
void
dr_ui_reveal (GtkWidget *widget)
{
  GtkWidget *scroller = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adjustment;
  graphene_rect_t bounds;
  double value, page;

  if (scroller == NULL || !gtk_widget_compute_bounds (widget, scroller, &bounds))
    return;

  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
  value = gtk_adjustment_get_value (adjustment);
  page = gtk_adjustment_get_page_size (adjustment);

  if (bounds.origin.y < 0)
    gtk_adjustment_set_value (adjustment, value + bounds.origin.y - 12);
  else if (bounds.origin.y + bounds.size.height > page)
    gtk_adjustment_set_value (adjustment, value + bounds.origin.y + bounds.size.height - page + 12);
  else
    return;

  dr_ui_wait_ms (200);
}

gboolean
dr_ui_click (GtkWidget *widget)
{
  g_autofree char *x = NULL;
  g_autofree char *y = NULL;
  int screen_x, screen_y;

  dr_ui_reveal (widget);

  /* Wait until the widget stops moving, as a layout settles after a change. */
  if (!dr_ui_widget_screen_point (widget, 0.5, 0.5, &screen_x, &screen_y))
    return FALSE;
  for (int i = 0; i < 20; i++) {
    int next_x, next_y;

    dr_ui_wait_ms (60);
    if (!dr_ui_widget_screen_point (widget, 0.5, 0.5, &next_x, &next_y))
      return FALSE;
    if (next_x == screen_x && next_y == screen_y)
      break;
    screen_x = next_x;
    screen_y = next_y;
  }

  x = g_strdup_printf ("%d", screen_x);
  y = g_strdup_printf ("%d", screen_y);

  return dr_ui_xdotool ("mousemove", x, y, "sleep", "0.05", "click", "1", "sleep", "0.1", NULL);
}

gboolean
dr_ui_type (const char *text)
{
  return dr_ui_xdotool ("type", "--delay", "20", text, NULL);
}

gboolean
dr_ui_key (const char *keys)
{
  return dr_ui_xdotool ("key", "--delay", "30", keys, NULL);
}

static gboolean
run_xdotool_argv (GPtrArray *arguments)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_ptr_array_add (argv, (char *) "xdotool");
  for (guint i = 0; i < arguments->len; i++)
    g_ptr_array_add (argv, g_ptr_array_index (arguments, i));
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_NONE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_wait_check_async (process, NULL, xdotool_done_cb, &status);
  dr_ui_wait_until (status_is_set, &status, 60000);

  return status == 0;
}

#define ADD(...) g_ptr_array_add (arguments, g_strdup_printf (__VA_ARGS__))

/* Presses the left button on `source` and moves to the middle of `target` in steps of at most
 * 30 pixels 0.1 s apart, holding the button. GTK starts a drag only after the pointer has
 * moved a few pixels with the button down, and a single jump does not start one. */
gboolean
dr_ui_drag_hold (GtkWidget *source,
                 GtkWidget *target)
{
  g_autoptr(GPtrArray) arguments = g_ptr_array_new_with_free_func (g_free);
  int from_x, from_y, to_x, to_y;
  int n_steps;

  dr_ui_reveal (source);
  if (!dr_ui_widget_screen_point (source, 0.5, 0.3, &from_x, &from_y) ||
      !dr_ui_widget_screen_point (target, 0.5, 0.5, &to_x, &to_y))
    return FALSE;

  n_steps = MAX (4, MAX (ABS (to_x - from_x), ABS (to_y - from_y)) / 30 + 1);

  ADD ("mousemove"); ADD ("%d", from_x); ADD ("%d", from_y);
  ADD ("sleep"); ADD ("0.2");
  ADD ("mousedown"); ADD ("1");
  ADD ("sleep"); ADD ("0.2");
  for (int i = 1; i <= n_steps; i++) {
    ADD ("mousemove");
    ADD ("%d", from_x + (to_x - from_x) * i / n_steps);
    ADD ("%d", from_y + (to_y - from_y) * i / n_steps);
    ADD ("sleep"); ADD ("0.1");
  }
  ADD ("sleep"); ADD ("0.3");

  return run_xdotool_argv (arguments);
}

gboolean
dr_ui_drag_release (void)
{
  g_autoptr(GPtrArray) arguments = g_ptr_array_new_with_free_func (g_free);

  ADD ("mouseup"); ADD ("1");
  ADD ("sleep"); ADD ("0.2");

  return run_xdotool_argv (arguments);
}

#undef ADD

gboolean
dr_ui_drag (GtkWidget *source,
            GtkWidget *target)
{
  return dr_ui_drag_hold (source, target) && dr_ui_drag_release ();
}

/* Returns the first mapped widget under `root`, depth first, whose label or button text is
 * `text` (mnemonic underscores removed). */
GtkWidget *
dr_ui_find_text (GtkWidget  *root,
                 const char *text)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_mapped (root) &&
      g_strcmp0 (gtk_label_get_text (GTK_LABEL (root)), text) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *found = dr_ui_find_text (child, text);

    if (found != NULL)
      return found;
  }

  return NULL;
}

/* Returns the first visible toplevel window of `type`, or NULL. */
GtkWindow *
dr_ui_find_window (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint n_items = g_list_model_get_n_items (toplevels);

  for (guint i = 0; i < n_items; i++) {
    g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

    if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
      return window;
  }

  return NULL;
}

/* Saves a picture of the whole X screen as NAME.png in $DYNAMO_SCREENSHOT_DIR, when that is
 * set; tests call it at the moments worth looking at. */
void
dr_ui_screenshot (const char *name)
{
  const char *folder = g_getenv ("DYNAMO_SCREENSHOT_DIR");
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  if (folder == NULL || folder[0] == '\0')
    return;

  dr_ui_wait_ms (150);

  file_name = g_strdup_printf ("%s.png", name);
  path = g_build_filename (folder, file_name, NULL);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error,
                              "import", "-window", "root", path, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check_async (process, NULL, xdotool_done_cb, &status);
  dr_ui_wait_until (status_is_set, &status, 30000);
}

/* Clicks the widget under @root that shows @text, and fails the test when none does. */
void
dr_ui_click_text (GtkWidget  *root,
                  const char *text)
{
  GtkWidget *widget = dr_ui_find_text (root, text);

  if (widget == NULL)
    g_error ("No widget shows “%s”", text);
  g_assert_true (dr_ui_click (widget));
}

/* Returns a translated button label as it shows, without its mnemonic underscore, so that a
 * test runs in any language the app is translated to. The strings live until the test ends. */
const char *
dr_ui_shown_label (const char *msgid)
{
  static GHashTable *labels;
  g_autofree char *shown = NULL;
  const char *found;

  if (labels == NULL)
    labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  found = g_hash_table_lookup (labels, msgid);
  if (found != NULL)
    return found;

  shown = g_strdup (g_dgettext (GETTEXT_PACKAGE, msgid));
  for (char *p = strchr (shown, '_'); p != NULL; p = strchr (p, '_'))
    memmove (p, p + 1, strlen (p));
  g_hash_table_insert (labels, g_strdup (msgid), g_steal_pointer (&shown));

  return g_hash_table_lookup (labels, msgid);
}
