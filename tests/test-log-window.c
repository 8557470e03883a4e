/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dr-log-window.h"
#include "dr-process.h"
#include "dr-run-private.h"
#include "dr-sgr.h"
#include "dr-ui-test.h"

/* The script prints two coloured lines, five dim notes, then N plain lines (100,000 unless
 * DYNAMO_LOG_TEST_LINES sets another multiple of 10, to measure a larger log). */
#define N_PLAIN_LINES 100000
#define N_COLOURED_LINES 7

#define OUTPUT_SCRIPT \
  "printf '\\033[1mbold header\\033[0m\\n'\n" \
  "printf '\\033[31mred error\\033[0m \\033[38;5;208morange\\033[0m " \
  "\\033[38;2;10;200;30mtrue\\033[0m\\n'\n" \
  "i=0\n" \
  "while [ $i -lt 5 ]; do printf '\\033[2mnote %d\\033[0m\\n' $i; i=$((i+1)); done\n" \
  "seq -f 'plain line %.0f' 0 $((N - 1))\n"

/* The log, the window over it and the process that wrote it, shared by the tests in order. */
static char *folder;
static DrLogIndex *log_index;
static DrLogWindow *window;
static guint n_plain_lines;
static guint n_lines_expected;

/* The finished log that a window opens on: long enough that its end is far off screen. */
#define N_FINISHED_LINES 20000
#define LAST_FINISHED_LINE "finished line 19999"

/* Widgets */

static GtkWidget *
find_by_id (GtkWidget  *root,
            const char *id)
{
  const char *root_id = gtk_buildable_get_buildable_id (GTK_BUILDABLE (root));

  if (g_strcmp0 (root_id, id) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *found = find_by_id (child, id);

    if (found != NULL)
      return found;
  }

  return NULL;
}

static GtkWidget *
window_child (const char *id)
{
  GtkWidget *widget = find_by_id (GTK_WIDGET (window), id);

  g_assert_nonnull (widget);

  return widget;
}

static void
collect_row_labels (GtkWidget *widget,
                    GPtrArray *labels)
{
  if (GTK_IS_INSCRIPTION (widget) && gtk_widget_has_css_class (widget, "dr-log-line"))
    g_ptr_array_add (labels, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_row_labels (child, labels);
}

/* Returns TRUE when `widget` lies wholly inside the scrolled window's viewport. */
static gboolean
is_in_viewport (GtkWidget *widget)
{
  GtkWidget *viewport = window_child ("scrolled_window");
  graphene_rect_t bounds;

  if (!gtk_widget_get_mapped (widget) || !gtk_widget_compute_bounds (widget, viewport, &bounds))
    return FALSE;

  return bounds.origin.y >= -0.5 &&
         bounds.origin.y + bounds.size.height <= gtk_widget_get_height (viewport) + 0.5 &&
         bounds.size.height > 0;
}

/* Returns the bound row showing `text` that is inside the viewport, or NULL. */
static GtkInscription *
find_visible_row (const char *text)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  collect_row_labels (window_child ("list_view"), labels);
  for (guint i = 0; i < labels->len; i++) {
    GtkInscription *row = g_ptr_array_index (labels, i);

    if (g_strcmp0 (gtk_inscription_get_text (row), text) == 0 &&
        is_in_viewport (GTK_WIDGET (row)))
      return row;
  }

  return NULL;
}

static gboolean
row_is_visible (gpointer user_data)
{
  return find_visible_row (user_data) != NULL;
}

static gboolean
is_at_bottom (void)
{
  GtkScrolledWindow *scrolled = GTK_SCROLLED_WINDOW (window_child ("scrolled_window"));
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (scrolled);

  return gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
         gtk_adjustment_get_upper (adjustment) - 1.0;
}

static gboolean
view_is_at_bottom (gpointer user_data)
{
  return is_at_bottom ();
}

static GtkSelectionModel *
selection_model (void)
{
  return gtk_list_view_get_model (GTK_LIST_VIEW (window_child ("list_view")));
}

static const char *
label_text (const char *id)
{
  return gtk_label_get_text (GTK_LABEL (window_child (id)));
}

static gboolean
label_text_is (gpointer user_data)
{
  const char **expected = user_data;

  return g_strcmp0 (label_text (expected[0]), expected[1]) == 0;
}

static void
wait_for_label_text (const char *id,
                     const char *text)
{
  const char *expected[] = { id, text };

  dr_ui_wait_until (label_text_is, expected, 20000);
  g_assert_cmpstr (label_text (id), ==, text);
}

/* Returns the position of the line whose plain text is `text`, searching from the end. */
static guint
find_line (const char *text)
{
  guint n_lines = dr_log_index_get_n_lines (log_index);

  for (guint i = n_lines; i > 0; i--) {
    g_autofree char *line = dr_log_index_dup_line (log_index, i - 1);
    g_autofree char *plain = dr_log_strip_sgr (line);

    if (g_str_equal (plain, text))
      return i - 1;
  }

  g_assert_not_reached ();
}

/* Moves the pointer onto the log, so that keys typed with xdotool reach this window. */
static void
point_at_window (void)
{
  int x, y;
  g_autofree char *x_text = NULL;
  g_autofree char *y_text = NULL;

  g_assert_true (dr_ui_widget_screen_point (window_child ("list_view"), 0.5, 0.5, &x, &y));
  x_text = g_strdup_printf ("%d", x);
  y_text = g_strdup_printf ("%d", y);
  g_assert_true (dr_ui_xdotool ("mousemove", x_text, y_text, "sleep", "0.1", NULL));
}

/* SGR rendering */

typedef struct
{
  PangoAttrType type;
  guint         start;
  guint         end;
  PangoAttribute *found;
} AttributeQuery;

static gboolean
match_attribute_cb (PangoAttribute *attribute,
                    gpointer        user_data)
{
  AttributeQuery *query = user_data;

  if (query->found == NULL && attribute->klass->type == query->type &&
      attribute->start_index <= query->start && attribute->end_index >= query->end)
    query->found = attribute;

  return FALSE;
}

/* Returns the attribute of `type` that covers the bytes [start, end), or NULL. */
static PangoAttribute *
find_attribute (PangoAttrList *attributes,
                PangoAttrType  type,
                guint          start,
                guint          end)
{
  AttributeQuery query = { type, start, end, NULL };

  pango_attr_list_filter (attributes, match_attribute_cb, &query);

  return query.found;
}

static double
luminance (const PangoColor *color)
{
  double channels[3] = { color->red / 65535.0, color->green / 65535.0, color->blue / 65535.0 };

  for (guint i = 0; i < 3; i++) {
    if (channels[i] <= 0.03928)
      channels[i] /= 12.92;
    else
      channels[i] = pow ((channels[i] + 0.055) / 1.055, 2.4);
  }

  return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
}

static void
test_sgr_basic_styles (void)
{
  g_autoptr(PangoAttrList) attributes = NULL;
  g_autofree char *text = dr_sgr_render ("\033[1mbold\033[0m \033[2mdim\033[22m "
                                         "\033[3mitalic\033[23m \033[4munder\033[24m plain",
                                         FALSE, &attributes);
  PangoAttribute *attribute;

  g_assert_cmpstr (text, ==, "bold dim italic under plain");

  attribute = find_attribute (attributes, PANGO_ATTR_WEIGHT, 0, 4);
  g_assert_nonnull (attribute);
  g_assert_cmpint (((PangoAttrInt *) attribute)->value, ==, PANGO_WEIGHT_BOLD);
  g_assert_null (find_attribute (attributes, PANGO_ATTR_WEIGHT, 5, 8));

  attribute = find_attribute (attributes, PANGO_ATTR_FOREGROUND_ALPHA, 5, 8);
  g_assert_nonnull (attribute);
  g_assert_cmpint (((PangoAttrInt *) attribute)->value, <, 65535);

  attribute = find_attribute (attributes, PANGO_ATTR_STYLE, 9, 15);
  g_assert_nonnull (attribute);
  g_assert_cmpint (((PangoAttrInt *) attribute)->value, ==, PANGO_STYLE_ITALIC);

  attribute = find_attribute (attributes, PANGO_ATTR_UNDERLINE, 16, 21);
  g_assert_nonnull (attribute);
  g_assert_cmpint (((PangoAttrInt *) attribute)->value, ==, PANGO_UNDERLINE_SINGLE);

  g_assert_null (find_attribute (attributes, PANGO_ATTR_FOREGROUND, 22, 27));
  g_assert_null (find_attribute (attributes, PANGO_ATTR_UNDERLINE, 22, 27));
  g_assert_null (find_attribute (attributes, PANGO_ATTR_STYLE, 22, 27));
}

typedef struct
{
  const char *line;
  guint       start;
  guint       end;
  gboolean    background;
  guint8      red;
  guint8      green;
  guint8      blue;
} ColorCase;

/* Colours on an explicit background are kept exactly, so each case sets both. */
static void
test_sgr_color_forms (void)
{
  static const ColorCase cases[] = {
    { "\033[31;47mx", 0, 1, FALSE, 0xc0, 0x1c, 0x28 },
    { "\033[91;47mx", 0, 1, FALSE, 0xf6, 0x61, 0x51 },
    { "\033[30;42mx", 0, 1, TRUE, 0x26, 0xa2, 0x69 },
    { "\033[30;104mx", 0, 1, TRUE, 0x2a, 0x7b, 0xde },
    { "\033[38;5;208;48;5;16mx", 0, 1, FALSE, 255, 135, 0 },
    { "\033[38;5;196;48;5;16mx", 0, 1, FALSE, 255, 0, 0 },
    { "\033[38;5;244;48;5;16mx", 0, 1, FALSE, 128, 128, 128 },
    { "\033[38;5;15;48;5;16mx", 0, 1, FALSE, 0xff, 0xff, 0xff },
    { "\033[38;2;10;200;30;48;2;0;0;0mx", 0, 1, FALSE, 10, 200, 30 },
    { "\033[38;2;10;200;30;48;2;1;2;3mx", 0, 1, TRUE, 1, 2, 3 },
    { "\033[38:2::10:200:30;48:5:16mx", 0, 1, FALSE, 10, 200, 30 },
    { "\033[38:2:10:200:30;48:5:16mx", 0, 1, FALSE, 10, 200, 30 },
    { "\033[31m\033[47mab\033[39mc", 0, 2, FALSE, 0xc0, 0x1c, 0x28 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const ColorCase *color_case = &cases[i];
    g_autoptr(PangoAttrList) attributes = NULL;
    g_autofree char *text = dr_sgr_render (color_case->line, FALSE, &attributes);
    PangoAttrType type = color_case->background ? PANGO_ATTR_BACKGROUND : PANGO_ATTR_FOREGROUND;
    PangoAttribute *attribute = find_attribute (attributes, type, color_case->start,
                                                color_case->end);
    PangoColor *color;

    g_test_message ("case %u: %s", i, color_case->line + 1);
    g_assert_null (strchr (text, '\033'));
    g_assert_nonnull (attribute);
    color = &((PangoAttrColor *) attribute)->color;
    g_assert_cmpuint (color->red >> 8, ==, color_case->red);
    g_assert_cmpuint (color->green >> 8, ==, color_case->green);
    g_assert_cmpuint (color->blue >> 8, ==, color_case->blue);
  }
}

static void
test_sgr_reset_and_stripping (void)
{
  g_autoptr(PangoAttrList) attributes = NULL;
  g_autofree char *text = dr_sgr_render ("\033[1;31mred\033[mplain\033]0;title\007"
                                         "\033[2Kgone\tkept\r\001\033[?25l!",
                                         FALSE, &attributes);

  g_assert_cmpstr (text, ==, "redplaingone\tkept!");
  g_assert_nonnull (find_attribute (attributes, PANGO_ATTR_FOREGROUND, 0, 3));
  g_assert_nonnull (find_attribute (attributes, PANGO_ATTR_WEIGHT, 0, 3));
  g_assert_null (find_attribute (attributes, PANGO_ATTR_FOREGROUND, 3, 8));
  g_assert_null (find_attribute (attributes, PANGO_ATTR_WEIGHT, 3, 8));
}

/* Black text on the dark view and white text on the light one are lightened or darkened until
 * they reach a contrast ratio of 4.5 against the view's background. */
static void
test_sgr_contrast_per_style (void)
{
  static const struct {
    const char *line;
    gboolean    dark;
    double      background_luminance;
  } cases[] = {
    { "\033[30mx", TRUE, 0.0129 },   /* #1e1e1e */
    { "\033[34mx", TRUE, 0.0129 },
    { "\033[97mx", FALSE, 1.0 },     /* #ffffff */
    { "\033[93mx", FALSE, 1.0 },
    { "\033[38;2;250;250;250mx", FALSE, 1.0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(PangoAttrList) attributes = NULL;
    g_autofree char *text = dr_sgr_render (cases[i].line, cases[i].dark, &attributes);
    PangoAttribute *attribute = find_attribute (attributes, PANGO_ATTR_FOREGROUND, 0, 1);
    double foreground, background, ratio;

    g_assert_nonnull (attribute);
    foreground = luminance (&((PangoAttrColor *) attribute)->color);
    background = cases[i].background_luminance;
    ratio = (MAX (foreground, background) + 0.05) / (MIN (foreground, background) + 0.05);
    g_test_message ("case %u: contrast %.2f", i, ratio);
    g_assert_cmpfloat (ratio, >=, 4.5);
  }
}

/* The window over a streaming process */

typedef struct
{
  gboolean        done;
  DrProcessResult result;
  GError         *error;
} ProcessRun;

static void
process_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ProcessRun *run = user_data;

  dr_process_run_finish (result, &run->result, &run->error);
  run->done = TRUE;
}

static gboolean
process_is_done (gpointer user_data)
{
  return ((ProcessRun *) user_data)->done;
}

static gboolean
log_is_complete (gpointer user_data)
{
  return dr_log_index_is_complete (log_index);
}

/* Counts the frames drawn while follow mode is on in which the view was not at the bottom. */
typedef struct
{
  guint frames;
  guint frames_off_bottom;
  guint n_items_at_last_frame;
} FrameWatch;

static void
after_paint_cb (GdkFrameClock *frame_clock,
                FrameWatch    *watch)
{
  watch->frames++;
  watch->n_items_at_last_frame = g_list_model_get_n_items (G_LIST_MODEL (selection_model ()));
  if (dr_log_window_get_follow (window) && !is_at_bottom ())
    watch->frames_off_bottom++;
}

/* Measures the longest time the main loop went without running a 5 ms timer. */
typedef struct
{
  gint64 last;
  gint64 longest;
} StallWatch;

static gboolean
stall_tick_cb (gpointer user_data)
{
  StallWatch *watch = user_data;
  gint64 now = g_get_monotonic_time ();

  if (watch->last != 0)
    watch->longest = MAX (watch->longest, now - watch->last);
  watch->last = now;

  return G_SOURCE_CONTINUE;
}

/* Returns the VmHWM line of /proc/self/status, the peak resident memory of this process. */
static char *
read_peak_memory (void)
{
  g_autofree char *contents = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &contents, NULL, NULL))
    return g_strdup ("unknown");

  line = strstr (contents, "VmHWM:");
  if (line == NULL)
    return g_strdup ("unknown");

  return g_strchug (g_strndup (line + strlen ("VmHWM:"), strcspn (line, "\n") - strlen ("VmHWM:")));
}

static void
test_follow_shows_last_line (void)
{
  g_autofree char *path = g_build_filename (folder, "run.log", NULL);
  g_autofree char *script = NULL;
  g_autofree char *last_line = NULL;
  g_autoptr(GError) error = NULL;
  DrLogWriter *writer;
  ProcessRun run = { 0 };
  FrameWatch frames = { 0 };
  StallWatch stalls = { 0 };
  GdkFrameClock *frame_clock;
  g_autofree char *n_assignment = g_strdup_printf ("N=%u\n", n_plain_lines);
  g_autofree char *status = NULL;
  g_autofree char *peak_memory = NULL;
  const char *argv[] = { "sh", "-c", NULL, NULL };
  gulong handler;
  guint stall_source;
  gint64 completed_at, shown_at;

  log_index = dr_log_index_new_for_writing (path, &error);
  g_assert_no_error (error);
  writer = dr_log_writer_new (log_index);

  window = dr_log_window_new (log_index, "Deploy api-gateway 1.4.0 to QA");
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 500);
  gtk_window_present (GTK_WINDOW (window));
  dr_ui_wait_for_mapped (GTK_WIDGET (window));
  g_assert_true (dr_log_window_get_follow (window));

  frame_clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  handler = g_signal_connect (frame_clock, "after-paint", G_CALLBACK (after_paint_cb), &frames);
  stall_source = g_timeout_add (5, stall_tick_cb, &stalls);

  script = g_strconcat (n_assignment, OUTPUT_SCRIPT, NULL);
  argv[2] = script;
  dr_process_run_async (argv, folder, NULL, 0, 2, writer, NULL, process_done_cb, &run);
  g_assert_true (dr_ui_wait_until (process_is_done, &run, 100000));
  g_assert_no_error (run.error);
  g_assert_cmpint (run.result.end, ==, DR_PROCESS_EXITED);
  g_assert_cmpint (run.result.exit_status, ==, 0);

  g_assert_true (dr_log_writer_close (writer, &error));
  g_assert_no_error (error);
  dr_log_writer_free (writer);
  g_assert_true (dr_ui_wait_until (log_is_complete, NULL, 10000));
  completed_at = g_get_monotonic_time ();

  n_lines_expected = N_COLOURED_LINES + n_plain_lines;
  last_line = g_strdup_printf ("plain line %u", n_plain_lines - 1);
  g_assert_cmpuint (dr_log_index_get_n_lines (log_index), ==, n_lines_expected);
  g_assert_true (dr_ui_wait_until (row_is_visible, last_line, 10000));
  shown_at = g_get_monotonic_time ();

  g_source_remove (stall_source);
  g_signal_handler_disconnect (frame_clock, handler);

  /* Timings and memory are reported, not asserted: they depend on the machine. */
  g_test_message ("frames drawn while streaming: %u, longest main loop stall: %" G_GINT64_FORMAT
                  " ms, last line shown %" G_GINT64_FORMAT " ms after the log completed, "
                  "peak resident memory: %s",
                  frames.frames, stalls.longest / 1000, (shown_at - completed_at) / 1000,
                  peak_memory = read_peak_memory ());

  g_assert_cmpuint (frames.frames, >, 0);
  g_assert_cmpuint (frames.frames_off_bottom, ==, 0);
  g_assert_true (dr_log_window_get_follow (window));
  g_assert_true (is_at_bottom ());
  /* The index is complete before its "completed" signal reaches the window. */
  status = g_strdup_printf ("%u lines, complete", n_lines_expected);
  wait_for_label_text ("status_label", status);
  g_assert_cmpstr (label_text ("status_label"), ==, status);
}

static void
test_colours_become_attributes (void)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  GtkInscription *bold, *red;
  PangoAttrList *attributes;
  PangoAttribute *attribute;
  PangoColor *color;

  dr_log_window_set_follow (window, FALSE);
  gtk_widget_activate_action (window_child ("list_view"), "list.scroll-to-item", "u", 0);
  g_assert_true (dr_ui_wait_until (row_is_visible, (gpointer) "bold header", 10000));
  g_assert_true (dr_ui_wait_until (row_is_visible, (gpointer) "red error orange true", 10000));
  dr_ui_screenshot ("log-window-colours");

  bold = find_visible_row ("bold header");
  attributes = gtk_inscription_get_attributes (bold);
  g_assert_nonnull (attributes);
  attribute = find_attribute (attributes, PANGO_ATTR_WEIGHT, 0, 11);
  g_assert_nonnull (attribute);
  g_assert_cmpint (((PangoAttrInt *) attribute)->value, ==, PANGO_WEIGHT_BOLD);

  red = find_visible_row ("red error orange true");
  attributes = gtk_inscription_get_attributes (red);
  g_assert_nonnull (attributes);
  attribute = find_attribute (attributes, PANGO_ATTR_FOREGROUND, 0, 9);
  g_assert_nonnull (attribute);
  color = &((PangoAttrColor *) attribute)->color;
  g_assert_cmpuint (color->red, >, color->green * 2);
  g_assert_cmpuint (color->red, >, color->blue * 2);
  g_assert_nonnull (find_attribute (attributes, PANGO_ATTR_FOREGROUND, 10, 16));
  g_assert_nonnull (find_attribute (attributes, PANGO_ATTR_FOREGROUND, 17, 21));
  g_assert_null (find_attribute (attributes, PANGO_ATTR_FOREGROUND, 9, 10));

  collect_row_labels (window_child ("list_view"), labels);
  g_assert_cmpuint (labels->len, >, 0);
  for (guint i = 0; i < labels->len; i++)
    g_assert_null (strchr (gtk_inscription_get_text (g_ptr_array_index (labels, i)), '\033'));
}

static guint16
red_text_colour (void)
{
  GtkInscription *red = find_visible_row ("red error orange true");
  PangoAttribute *attribute;

  g_assert_nonnull (red);
  attribute = find_attribute (gtk_inscription_get_attributes (red), PANGO_ATTR_FOREGROUND, 0, 9);
  g_assert_nonnull (attribute);

  return ((PangoAttrColor *) attribute)->color.green;
}

static gboolean
red_text_colour_changed (gpointer user_data)
{
  return red_text_colour () != GPOINTER_TO_UINT (user_data);
}

/* The rows on screen are drawn again in the other style's colours: red is lightened on the
 * dark background, which raises its green and blue with its lightness. */
static void
test_colours_follow_style (void)
{
  AdwStyleManager *style_manager = adw_style_manager_get_default ();
  gboolean dark = adw_style_manager_get_dark (style_manager);
  guint16 before = red_text_colour ();
  guint16 other;

  adw_style_manager_set_color_scheme (style_manager, dark ? ADW_COLOR_SCHEME_FORCE_LIGHT
                                                          : ADW_COLOR_SCHEME_FORCE_DARK);
  g_assert_true (dr_ui_wait_until (red_text_colour_changed, GUINT_TO_POINTER (before), 5000));
  if (dark)
    g_assert_cmpuint (red_text_colour (), <, before);
  else
    g_assert_cmpuint (red_text_colour (), >, before);
  dr_ui_screenshot ("log-window-other-style");

  other = red_text_colour ();
  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_DEFAULT);
  g_assert_true (dr_ui_wait_until (red_text_colour_changed, GUINT_TO_POINTER (other), 5000));
  g_assert_cmpuint (red_text_colour (), ==, before);
}

static void
test_scrolling_up_stops_follow (void)
{
  dr_log_window_set_follow (window, TRUE);
  g_assert_true (dr_ui_wait_until (view_is_at_bottom, NULL, 5000));

  point_at_window ();
  g_assert_true (dr_ui_xdotool ("click", "4", "sleep", "0.2", NULL));
  g_assert_false (dr_log_window_get_follow (window));
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (window_child ("follow_button"))));

  g_assert_true (dr_ui_click (window_child ("follow_button")));
  g_assert_true (dr_log_window_get_follow (window));
  g_assert_true (dr_ui_wait_until (view_is_at_bottom, NULL, 5000));
}

/* The pattern matches the last ten plain lines, "plain line 99990" to "plain line 99999". */
static char *
last_ten_lines_pattern (gboolean upper_case)
{
  return g_strdup_printf ("%s %u[0-9]$", upper_case ? "PLAIN LINE" : "plain line",
                          n_plain_lines / 10 - 1);
}

static void
test_search_selects_matches (void)
{
  g_autofree char *first_text = g_strdup_printf ("plain line %u", n_plain_lines - 10);
  g_autofree char *pattern = last_ten_lines_pattern (FALSE);
  guint first = find_line (first_text);
  g_autoptr(GtkBitset) selected = NULL;
  GtkWidget *entry;

  point_at_window ();
  g_assert_true (dr_ui_key ("ctrl+f"));
  entry = window_child ("search_entry");
  g_assert_true (gtk_search_bar_get_search_mode (GTK_SEARCH_BAR (window_child ("search_bar"))));
  g_assert_true (gtk_widget_has_focus (entry) ||
                 gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (window)), entry));

  g_assert_true (dr_ui_type (pattern));
  wait_for_label_text ("match_label", "1 of 10");
  dr_ui_screenshot ("log-window-search");

  selected = gtk_selection_model_get_selection (selection_model ());
  g_assert_cmpuint (gtk_bitset_get_size (selected), ==, 1);
  g_assert_true (gtk_bitset_contains (selected, first));
  g_assert_false (dr_log_window_get_follow (window));
  g_assert_true (dr_ui_wait_until (row_is_visible, first_text, 5000));

  g_assert_true (dr_ui_key ("Return"));
  wait_for_label_text ("match_label", "2 of 10");
  g_assert_true (gtk_selection_model_is_selected (selection_model (), first + 1));
  g_assert_false (gtk_selection_model_is_selected (selection_model (), first));

  g_assert_true (dr_ui_key ("shift+Return"));
  wait_for_label_text ("match_label", "1 of 10");
  g_assert_true (gtk_selection_model_is_selected (selection_model (), first));

  g_assert_true (dr_ui_key ("shift+Return"));
  wait_for_label_text ("match_label", "10 of 10");
  g_assert_true (gtk_selection_model_is_selected (selection_model (), first + 9));

  g_assert_true (dr_ui_click (window_child ("next_button")));
  wait_for_label_text ("match_label", "1 of 10");
  g_assert_true (gtk_selection_model_is_selected (selection_model (), first));
}

static gboolean
match_label_shows_error (gpointer user_data)
{
  return gtk_widget_has_css_class (window_child ("match_label"), "error");
}

static void
test_search_case_and_errors (void)
{
  GtkWidget *entry = window_child ("search_entry");
  GtkWidget *match_label = window_child ("match_label");
  g_autofree char *pattern = last_ten_lines_pattern (TRUE);

  gtk_widget_grab_focus (entry);
  g_assert_true (dr_ui_key ("ctrl+a"));
  g_assert_true (dr_ui_type (pattern));
  wait_for_label_text ("match_label", "1 of 10");

  g_assert_true (dr_ui_click (window_child ("case_button")));
  wait_for_label_text ("match_label", "No matches");
  g_assert_false (gtk_widget_get_sensitive (window_child ("next_button")));
  g_assert_true (dr_ui_click (window_child ("case_button")));
  wait_for_label_text ("match_label", "1 of 10");

  gtk_widget_grab_focus (entry);
  g_assert_true (dr_ui_key ("ctrl+a"));
  g_assert_true (dr_ui_type ("plain("));
  dr_ui_wait_until (match_label_shows_error, NULL, 20000);
  dr_ui_screenshot ("log-window-search-error");
  g_assert_true (gtk_widget_has_css_class (match_label, "error"));
  g_assert_true (gtk_widget_get_visible (match_label));
  g_assert_nonnull (strstr (label_text ("match_label"), "“plain(” is not a valid regular "
                                                        "expression"));
  g_assert_nonnull (strstr (label_text ("match_label"), "put a backslash before it"));
  g_assert_null (strstr (label_text ("match_label"), "Error while compiling"));
  g_assert_false (gtk_widget_get_sensitive (window_child ("next_button")));

  g_assert_true (dr_ui_key ("Escape"));
  g_assert_false (gtk_search_bar_get_search_mode (GTK_SEARCH_BAR (window_child ("search_bar"))));
}

/* Clipboard */

typedef struct
{
  gboolean  done;
  char     *text;
} ClipboardRead;

static void
clipboard_read_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ClipboardRead *read = user_data;
  g_autoptr(GError) error = NULL;

  read->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
  read->done = TRUE;
}

static gboolean
clipboard_read_is_done (gpointer user_data)
{
  return ((ClipboardRead *) user_data)->done;
}

static char *
read_clipboard (void)
{
  ClipboardRead read = { FALSE, NULL };

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (window)), NULL,
                                 clipboard_read_cb, &read);
  g_assert_true (dr_ui_wait_until (clipboard_read_is_done, &read, 30000));

  return read.text;
}

typedef struct
{
  guint  n_changes;
} ClipboardWatch;

static void
clipboard_changed_cb (GdkClipboard   *clipboard,
                      ClipboardWatch *watch)
{
  watch->n_changes++;
}

static gboolean
clipboard_changed (gpointer user_data)
{
  return ((ClipboardWatch *) user_data)->n_changes > 0;
}

static void
test_copy_selected_plain_text (void)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (window));
  ClipboardWatch watch = { 0 };
  g_autofree char *text = NULL;
  GtkInscription *bold, *red;
  gulong handler;

  dr_log_window_set_follow (window, FALSE);
  gtk_widget_activate_action (window_child ("list_view"), "list.scroll-to-item", "u", 0);
  g_assert_true (dr_ui_wait_until (row_is_visible, (gpointer) "bold header", 10000));
  g_assert_true (dr_ui_wait_until (row_is_visible, (gpointer) "red error orange true", 10000));

  bold = find_visible_row ("bold header");
  g_assert_true (dr_ui_click (GTK_WIDGET (bold)));
  red = find_visible_row ("red error orange true");
  g_assert_true (dr_ui_xdotool ("keydown", "shift", NULL));
  g_assert_true (dr_ui_click (GTK_WIDGET (red)));
  g_assert_true (dr_ui_xdotool ("keyup", "shift", NULL));
  g_assert_true (gtk_selection_model_is_selected (selection_model (), 0));
  g_assert_true (gtk_selection_model_is_selected (selection_model (), 1));
  g_assert_false (gtk_selection_model_is_selected (selection_model (), 2));
  dr_ui_screenshot ("log-window-selection");

  handler = g_signal_connect (clipboard, "changed", G_CALLBACK (clipboard_changed_cb), &watch);
  g_assert_true (dr_ui_key ("ctrl+c"));
  g_assert_true (dr_ui_wait_until (clipboard_changed, &watch, 10000));
  g_signal_handler_disconnect (clipboard, handler);

  text = read_clipboard ();
  g_assert_cmpstr (text, ==, "bold header\nred error orange true");
}

static void
test_copy_all_plain_text (void)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (window));
  ClipboardWatch watch = { 0 };
  g_autofree char *text = NULL;
  g_autofree char *expected_end = NULL;
  g_auto(GStrv) lines = NULL;
  gulong handler;

  handler = g_signal_connect (clipboard, "changed", G_CALLBACK (clipboard_changed_cb), &watch);
  gtk_widget_activate_action (GTK_WIDGET (window), "log.copy-all", NULL);
  g_assert_true (dr_ui_wait_until (clipboard_changed, &watch, 60000));
  g_signal_handler_disconnect (clipboard, handler);

  text = read_clipboard ();
  g_assert_null (strchr (text, '\033'));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, n_lines_expected);
  g_assert_cmpstr (lines[0], ==, "bold header");
  g_assert_cmpstr (lines[1], ==, "red error orange true");
  g_assert_cmpstr (lines[2], ==, "note 0");
  expected_end = g_strdup_printf ("plain line %u", n_plain_lines - 1);
  g_assert_cmpstr (lines[n_lines_expected - 1], ==, expected_end);
}

/* Save */

static GtkWindow *
find_file_chooser (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++) {
    g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

    if (GTK_IS_FILE_CHOOSER (toplevel) && gtk_widget_get_mapped (GTK_WIDGET (toplevel)))
      return toplevel;
  }

  return NULL;
}

static gboolean
file_chooser_is_open (gpointer user_data)
{
  return find_file_chooser () != NULL;
}

static gboolean
file_has_length (gpointer user_data)
{
  const char *path = user_data;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                 G_FILE_QUERY_INFO_NONE, NULL, NULL);
  guint64 expected = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (window), "expected-size"));

  return info != NULL && (guint64) g_file_info_get_size (info) == expected;
}

static gboolean
toast_with_prefix_is_shown (GtkWidget  *widget,
                            const char *prefix)
{
  if (GTK_IS_LABEL (widget) && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), prefix))
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    if (toast_with_prefix_is_shown (child, prefix))
      return TRUE;
  }

  return FALSE;
}

static gboolean
saved_toast_is_shown (gpointer user_data)
{
  return toast_with_prefix_is_shown (window_child ("toast_overlay"), "Saved the log as");
}

static void
test_save_writes_plain_text (void)
{
  g_autofree char *path = g_build_filename (folder, "saved.log", NULL);
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autoptr(GFile) destination_folder = g_file_new_for_path (folder);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  GtkWindow *chooser;

  for (guint i = 0; i < dr_log_index_get_n_lines (log_index); i++) {
    g_autofree char *line = dr_log_index_dup_line (log_index, i);
    g_autofree char *plain = dr_log_strip_sgr (line);

    g_string_append (expected, plain);
    g_string_append_c (expected, '\n');
  }
  g_object_set_data (G_OBJECT (window), "expected-size", GSIZE_TO_POINTER (expected->len));

  point_at_window ();
  g_assert_true (dr_ui_key ("ctrl+s"));
  g_assert_true (dr_ui_wait_until (file_chooser_is_open, NULL, 10000));
  chooser = find_file_chooser ();
  dr_ui_wait_for_mapped (GTK_WIDGET (chooser));
  dr_ui_screenshot ("log-window-save-chooser");

  /* The chooser's folder is set through its API, because browsing to it with the pointer
   * depends on the files of the machine. The name and the Save key go through X. */
  g_assert_true (gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser),
                                                      destination_folder, &error));
  g_assert_no_error (error);
  dr_ui_wait_ms (300);
  g_assert_true (dr_ui_key ("ctrl+a"));
  g_assert_true (dr_ui_type ("saved.log"));
  g_assert_true (dr_ui_key ("Return"));

  g_assert_true (dr_ui_wait_until (file_has_length, path, 30000));
  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, expected->str);
  g_assert_null (strchr (contents, '\033'));
  g_assert_true (dr_ui_wait_until (saved_toast_is_shown, NULL, 10000));
  dr_ui_screenshot ("log-window-saved");
}

static void
test_narrow_window_fits (void)
{
  int minimum_width;

  gtk_window_set_default_size (GTK_WINDOW (window), 360, 600);
  dr_ui_wait_ms (300);
  gtk_search_bar_set_search_mode (GTK_SEARCH_BAR (window_child ("search_bar")), TRUE);
  dr_log_window_set_follow (window, TRUE);
  dr_ui_wait_ms (300);
  dr_ui_screenshot ("log-window-narrow");

  gtk_widget_measure (adw_window_get_content (ADW_WINDOW (window)), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum_width, NULL, NULL, NULL);
  g_assert_cmpint (minimum_width, <=, 360);
  g_assert_cmpint (gtk_widget_get_width (window_child ("list_view")), <=, 360);
}

/* Loads the app's style sheet, which AdwApplication loads by itself in the app. */
static void
load_style (void)
{
  g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();

  gtk_css_provider_load_from_resource (provider, "/org/dynamorelease/DynamoRelease/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

/* A window opened on a long log that is already complete, as for an earlier run, shows its
 * last lines at once, without waiting for new lines to follow. */
static void
test_finished_log_opens_at_end (void)
{
  g_autofree char *path = g_build_filename (folder, "finished.log", NULL);
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autoptr(DrLogIndex) finished = NULL;
  g_autoptr(GError) error = NULL;
  DrLogWindow *shared = window;
  gint64 opened_at, shown_at;

  for (guint i = 0; i < N_FINISHED_LINES; i++)
    g_string_append_printf (contents, "finished line %u\n", i);
  g_file_set_contents (path, contents->str, contents->len, &error);
  g_assert_no_error (error);

  finished = dr_log_index_new_for_reading (path);
  opened_at = g_get_monotonic_time ();
  window = dr_log_window_new (finished, "Verify api-gateway 1.4.0 in QA");
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 500);
  gtk_window_present (GTK_WINDOW (window));
  dr_ui_wait_for_mapped (GTK_WIDGET (window));

  g_assert_true (dr_ui_wait_until (row_is_visible, (gpointer) LAST_FINISHED_LINE, 10000));
  shown_at = g_get_monotonic_time ();
  g_assert_true (is_at_bottom ());
  g_test_message ("a finished log of %u lines showed its last line %lld ms after opening",
                  N_FINISHED_LINES, (long long) (shown_at - opened_at) / 1000);

  gtk_window_destroy (GTK_WINDOW (window));
  window = shared;
  g_unlink (path);
}

/* Appends to other.log in `folder`: a line, then, once the file "go" exists, a line in two
 * writes 300 ms apart and a last line. */
#define OTHER_PROCESS_SCRIPT \
  "exec >> other.log\n" \
  "echo 'other first'\n" \
  "while [ ! -e go ]; do sleep 0.05; done\n" \
  "printf 'other sec'\n" \
  "sleep 0.3\n" \
  "printf 'ond\\n'\n" \
  "echo 'other third'\n"

static gboolean
subprocess_has_exited (gpointer user_data)
{
  GSubprocess *process = user_data;

  return g_subprocess_get_identifier (process) == NULL;
}

/* The window of a run that another process runs shows the lines that process appends while
 * the window is open, and completes once the run is known to have ended. */
static void
test_other_process_run_grows (void)
{
  g_autofree char *path = g_build_filename (folder, "other.log", NULL);
  g_autofree char *go = g_build_filename (folder, "go", NULL);
  g_autoptr(DrRunRecord) record = g_new0 (DrRunRecord, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autoptr(GError) error = NULL;
  DrLogWindow *shared = window;
  DrLogIndex *shared_index = log_index;

  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);

  record->id = 99;
  record->kind = DR_RUN_KIND_DEPLOY;
  record->service = g_strdup ("api-gateway");
  record->version = g_strdup ("1.4.0");
  record->environment = g_strdup ("qa");
  record->state = DR_RUN_STATE_RUNNING;
  record->person = g_strdup ("Ana");
  record->started_at = g_get_real_time ();
  record->log_path = g_strdup (path);
  run = dr_run_new_from_record (record);
  dr_run_set_title (run, "Deploy api-gateway 1.4.0 to QA");
  g_assert_false (dr_run_is_local (run));

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_cwd (launcher, folder);
  process = g_subprocess_launcher_spawn (launcher, &error, "sh", "-c", OTHER_PROCESS_SCRIPT,
                                         NULL);
  g_assert_no_error (error);

  window = dr_log_window_present_for_run (run, NULL);
  log_index = dr_run_get_log (run);
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 500);
  dr_ui_wait_for_mapped (GTK_WIDGET (window));

  g_assert_true (dr_ui_wait_until (row_is_visible, (gpointer) "other first", 10000));
  wait_for_label_text ("status_label", "1 line, writing…");
  g_assert_false (dr_log_index_is_complete (log_index));

  g_file_set_contents (go, "", 0, &error);
  g_assert_no_error (error);
  g_assert_true (dr_ui_wait_until (row_is_visible, (gpointer) "other third", 10000));
  g_assert_true (row_is_visible ((gpointer) "other second"));
  g_assert_false (row_is_visible ((gpointer) "other sec"));
  g_assert_false (row_is_visible ((gpointer) "ond"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (selection_model ())), ==, 3);
  g_assert_true (is_at_bottom ());
  dr_ui_screenshot ("log-window-other-process");

  /* The engine makes this call once it reads the run's end from the store. */
  g_assert_true (dr_ui_wait_until (subprocess_has_exited, process, 10000));
  dr_run_finish (run, DR_RUN_STATE_SUCCEEDED, NULL, g_get_real_time ());
  wait_for_label_text ("status_label", "3 lines, complete");
  g_assert_true (dr_log_index_is_complete (log_index));
  g_assert_cmpuint (dr_log_index_get_n_lines (log_index), ==, 3);

  gtk_window_destroy (GTK_WINDOW (window));
  window = shared;
  log_index = shared_index;
  g_unlink (go);
  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  const char *n_text = g_getenv ("DYNAMO_LOG_TEST_LINES");
  int status;

  dr_ui_test_init (&argc, &argv);
  load_style ();

  n_plain_lines = N_PLAIN_LINES;
  if (n_text != NULL)
    n_plain_lines = (guint) g_ascii_strtoull (n_text, NULL, 10);
  g_assert_cmpuint (n_plain_lines % 10, ==, 0);
  g_assert_cmpuint (n_plain_lines, >=, 10);

  folder = g_dir_make_tmp ("dynamo-log-window-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/log-window/sgr-basic-styles", test_sgr_basic_styles);
  g_test_add_func ("/log-window/sgr-color-forms", test_sgr_color_forms);
  g_test_add_func ("/log-window/sgr-reset-and-stripping", test_sgr_reset_and_stripping);
  g_test_add_func ("/log-window/sgr-contrast-per-style", test_sgr_contrast_per_style);
  /* The tests below share one log and one window, in this order. */
  g_test_add_func ("/log-window/follow-shows-last-line", test_follow_shows_last_line);
  g_test_add_func ("/log-window/colours-become-attributes", test_colours_become_attributes);
  g_test_add_func ("/log-window/colours-follow-style", test_colours_follow_style);
  g_test_add_func ("/log-window/scrolling-up-stops-follow", test_scrolling_up_stops_follow);
  g_test_add_func ("/log-window/search-selects-matches", test_search_selects_matches);
  g_test_add_func ("/log-window/search-case-and-errors", test_search_case_and_errors);
  g_test_add_func ("/log-window/copy-selected-plain-text", test_copy_selected_plain_text);
  g_test_add_func ("/log-window/copy-all-plain-text", test_copy_all_plain_text);
  g_test_add_func ("/log-window/save-writes-plain-text", test_save_writes_plain_text);
  g_test_add_func ("/log-window/narrow-window-fits", test_narrow_window_fits);
  g_test_add_func ("/log-window/finished-log-opens-at-end", test_finished_log_opens_at_end);
  g_test_add_func ("/log-window/other-process-run-grows", test_other_process_run_grows);

  status = g_test_run ();

  if (window != NULL)
    gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&log_index);
  /* The log files are left for inspection only when a test failed. */
  if (status == 0) {
    g_autofree char *run_log = g_build_filename (folder, "run.log", NULL);
    g_autofree char *saved_log = g_build_filename (folder, "saved.log", NULL);

    g_unlink (run_log);
    g_unlink (saved_log);
    g_rmdir (folder);
  }
  g_free (folder);

  return status;
}
