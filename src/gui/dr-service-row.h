/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dr-engine.h"

G_BEGIN_DECLS

typedef enum
{
  DR_SERVICE_STATUS_LOADING,
  DR_SERVICE_STATUS_EMPTY,     /* nothing deployed anywhere */
  DR_SERVICE_STATUS_HEALTHY,   /* deployed, nothing running or failed */
  DR_SERVICE_STATUS_WAITING,   /* a build waits for a gate with a checklist or approvals */
  DR_SERVICE_STATUS_RUNNING,
  DR_SERVICE_STATUS_FAILED,    /* the newest deploy somewhere failed */
} DrServiceStatus;

DrServiceStatus  dr_service_status_compute   (DrEngine                *engine,
                                              const DrServiceSnapshot *snapshot,
                                              char                   **description);
const char      *dr_service_status_icon_name (DrServiceStatus          status);
const char      *dr_service_status_css_class (DrServiceStatus          status);

/* A sidebar row: a service with an icon and a line for its status. */
#define DR_TYPE_SERVICE_ROW (dr_service_row_get_type ())
G_DECLARE_FINAL_TYPE (DrServiceRow, dr_service_row, DR, SERVICE_ROW, GtkListBoxRow)

DrServiceRow    *dr_service_row_new          (const DrService         *service);
const char      *dr_service_row_get_service  (DrServiceRow            *self);
void             dr_service_row_update       (DrServiceRow            *self,
                                              DrEngine                *engine,
                                              const DrServiceSnapshot *snapshot);

G_END_DECLS
