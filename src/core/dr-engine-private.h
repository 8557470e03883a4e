/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dr-engine.h"

G_BEGIN_DECLS

/* Work done on the engine's single worker thread, in the order it was queued. It returns a
 * result owned by the task, or NULL with error set. */
typedef gpointer (*DrEngineWork) (DrEngine  *self,
                                  gpointer   data,
                                  GError   **error);

void        dr_engine_queue_work       (DrEngine            *self,
                                        DrEngineWork         work,
                                        gpointer             data,
                                        GDestroyNotify       data_destroy,
                                        GDestroyNotify       result_destroy,
                                        gpointer             source_tag,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
void        dr_engine_emit_changed     (DrEngine            *self,
                                        const char          *service);
const char *dr_engine_get_store_location (DrEngine          *self);
const char *dr_engine_get_store_key    (DrEngine            *self);
void        dr_engine_add_run          (DrEngine            *self,
                                        DrRun               *run);
char       *dr_engine_dup_clone_head   (DrEngine            *self,
                                        const char          *service_id);
char       *dr_engine_dup_run_title    (DrEngine            *self,
                                        const DrRunRecord   *record);
char       *dr_engine_dup_detail_json  (const char          *first_key,
                                        ...) G_GNUC_NULL_TERMINATED;
gboolean    dr_engine_check_identity   (const DrIdentity    *identity,
                                        GError             **error);
char       *dr_engine_parse_package_version (const char     *contents,
                                        gsize                length,
                                        const char          *path,
                                        GError             **error);

G_END_DECLS
