/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dr-board-layout.h"

#define MIN_COLUMN_WIDTH 240
#define SPACING 12

struct _DrBoardLayout
{
  GtkLayoutManager parent_instance;

  gboolean         stacked;
};

G_DEFINE_FINAL_TYPE (DrBoardLayout, dr_board_layout, GTK_TYPE_LAYOUT_MANAGER)

static guint
count_visible_children (GtkWidget *widget)
{
  guint n_children = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_should_layout (child))
      n_children++;

  return n_children;
}

static gboolean
fits_side_by_side (GtkWidget *widget,
                   int        width)
{
  guint n_children = count_visible_children (widget);

  if (n_children == 0)
    return TRUE;

  return width >= (int) (n_children * MIN_COLUMN_WIDTH + (n_children - 1) * SPACING);
}

static int
column_width (GtkWidget *widget,
              int        width)
{
  guint n_children = MAX (1, count_visible_children (widget));

  return (width - (int) (n_children - 1) * SPACING) / (int) n_children;
}

static void
dr_board_layout_measure (GtkLayoutManager *manager,
                         GtkWidget        *widget,
                         GtkOrientation    orientation,
                         int               for_size,
                         int              *minimum,
                         int              *natural,
                         int              *minimum_baseline,
                         int              *natural_baseline)
{
  gboolean side_by_side = for_size < 0 || fits_side_by_side (widget, for_size);
  int child_for_size = -1;
  int n_children = 0;

  *minimum = 0;
  *natural = 0;

  if (orientation == GTK_ORIENTATION_VERTICAL && for_size >= 0)
    child_for_size = side_by_side ? column_width (widget, for_size) : for_size;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    int child_minimum, child_natural;

    if (!gtk_widget_should_layout (child))
      continue;

    gtk_widget_measure (child, orientation, child_for_size,
                        &child_minimum, &child_natural, NULL, NULL);

    if (orientation == GTK_ORIENTATION_HORIZONTAL) {
      /* Narrow enough to stack, wide enough to show all columns side by side. */
      *minimum = MAX (*minimum, child_minimum);
      *natural += MAX (child_natural, MIN_COLUMN_WIDTH) + (n_children > 0 ? SPACING : 0);
    } else if (side_by_side) {
      *minimum = MAX (*minimum, child_minimum);
      *natural = MAX (*natural, child_natural);
    } else {
      *minimum += child_minimum + (n_children > 0 ? SPACING : 0);
      *natural += child_natural + (n_children > 0 ? SPACING : 0);
    }

    n_children++;
  }
}

static void
dr_board_layout_allocate (GtkLayoutManager *manager,
                          GtkWidget        *widget,
                          int               width,
                          int               height,
                          int               baseline)
{
  DrBoardLayout *self = DR_BOARD_LAYOUT (manager);
  gboolean side_by_side = fits_side_by_side (widget, width);
  int each_width = side_by_side ? column_width (widget, width) : width;
  int x = 0;
  int y = 0;

  self->stacked = !side_by_side;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    int child_height;

    if (!gtk_widget_should_layout (child))
      continue;

    if (side_by_side) {
      gtk_widget_size_allocate (child,
                                &(GtkAllocation) { x, 0, each_width, height }, -1);
      x += each_width + SPACING;
    } else {
      gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, width, NULL, &child_height,
                          NULL, NULL);
      gtk_widget_size_allocate (child, &(GtkAllocation) { 0, y, width, child_height }, -1);
      y += child_height + SPACING;
    }
  }
}

static GtkSizeRequestMode
dr_board_layout_get_request_mode (GtkLayoutManager *manager,
                                  GtkWidget        *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
dr_board_layout_class_init (DrBoardLayoutClass *klass)
{
  GtkLayoutManagerClass *manager_class = GTK_LAYOUT_MANAGER_CLASS (klass);

  manager_class->measure = dr_board_layout_measure;
  manager_class->allocate = dr_board_layout_allocate;
  manager_class->get_request_mode = dr_board_layout_get_request_mode;
}

static void
dr_board_layout_init (DrBoardLayout *self)
{
}

DrBoardLayout *
dr_board_layout_new (void)
{
  return g_object_new (DR_TYPE_BOARD_LAYOUT, NULL);
}

gboolean
dr_board_layout_get_stacked (DrBoardLayout *self)
{
  g_return_val_if_fail (DR_IS_BOARD_LAYOUT (self), FALSE);

  return self->stacked;
}
