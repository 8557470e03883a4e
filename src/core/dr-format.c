/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-format.h"

/* Formats a time in the local time zone, as short as is unambiguous: "14:02" today,
 * "yesterday 14:02", "3 Dec 14:02" this year, "3 Dec 2025" before. */
char *
dr_format_time (gint64 microseconds_since_epoch)
{
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  int days;

  if (microseconds_since_epoch <= 0)
    return g_strdup (_("unknown time"));

  time = g_date_time_new_from_unix_local (microseconds_since_epoch / G_USEC_PER_SEC);
  days = g_date_time_get_day_of_year (now) - g_date_time_get_day_of_year (time);

  if (g_date_time_get_year (time) != g_date_time_get_year (now))
    /* Translators: a date in another year, see the strftime manual. */
    return g_date_time_format (time, _("%-e %b %Y"));
  if (days == 0)
    /* Translators: a time of today, see the strftime manual. */
    return g_date_time_format (time, _("%H:%M"));
  if (days == 1)
    /* Translators: a time of yesterday, see the strftime manual. */
    return g_date_time_format (time, _("yesterday %H:%M"));

  /* Translators: a date and time of this year, see the strftime manual. */
  return g_date_time_format (time, _("%-e %b %H:%M"));
}

/* Formats a duration to the second: "0 s", "12 s", "2 min 5 s", "1 h 4 min". */
char *
dr_format_duration (gint64 microseconds)
{
  gint64 seconds = MAX (0, microseconds) / G_USEC_PER_SEC;

  if (seconds < 60)
    /* Translators: a duration in seconds. */
    return g_strdup_printf (_("%d s"), (int) seconds);
  if (seconds < 3600)
    /* Translators: a duration in minutes and seconds. */
    return g_strdup_printf (_("%d min %d s"), (int) (seconds / 60), (int) (seconds % 60));

  /* Translators: a duration in hours and minutes. */
  return g_strdup_printf (_("%d h %d min"), (int) (seconds / 3600), (int) (seconds % 3600 / 60));
}
