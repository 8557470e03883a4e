/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dr-records.h"

G_BEGIN_DECLS

#define DR_STORE_ERROR (dr_store_error_quark ())

typedef enum
{
  DR_STORE_ERROR_FAILED,
  DR_STORE_ERROR_EXISTS,        /* a unique record, such as a build's version, exists */
  DR_STORE_ERROR_NOT_FOUND,
  DR_STORE_ERROR_BUSY,          /* a run is already in progress for that service and environment */
  DR_STORE_ERROR_CORRUPT,       /* the audit chain or the schema does not verify */
  DR_STORE_ERROR_TOO_NEW,       /* the file was written by a newer schema version */
} DrStoreError;

typedef struct
{
  const char *service;      /* NULL for every service */
  const char *environment;  /* NULL for every environment */
  gboolean    running_only;
  guint       limit;        /* 0 for no limit */
} DrRunFilter;

typedef gboolean (*DrStoreTransactionFunc) (gpointer   store,
                                            gpointer   user_data,
                                            GError   **error);

#define DR_TYPE_STORE (dr_store_get_type ())
G_DECLARE_INTERFACE (DrStore, dr_store, DR, STORE, GObject)

/* The store is the one interface between the engine and where records live. Implementations
 * are thread-safe: every call may come from any thread, and transaction() holds the store for
 * the whole function, so no other thread's writes interleave. A nested transaction() call runs
 * inside the outer one. Functions that return a record return NULL without setting an error
 * when the record does not exist.
 *
 * insert_* functions set the record's id. list_builds and list_deployments take NULL for
 * every service, list_signoffs and list_approvals NULL for every version of the service.
 * update_run writes the run's own fields only: insert_run writes its first steps and
 * update_run_step inserts or updates one step. */
struct _DrStoreInterface
{
  GTypeInterface parent_iface;

  gboolean       (*transaction)        (DrStore                *self,
                                        DrStoreTransactionFunc  func,
                                        gpointer                user_data,
                                        GError                **error);

  gboolean       (*insert_build)       (DrStore      *self,
                                        DrBuild      *build,
                                        GError      **error);
  DrBuild       *(*find_build)         (DrStore      *self,
                                        const char   *service,
                                        const char   *version,
                                        GError      **error);
  GPtrArray     *(*list_builds)        (DrStore      *self,
                                        const char   *service,
                                        GError      **error);

  gboolean       (*insert_deployment)  (DrStore      *self,
                                        DrDeployment *deployment,
                                        GError      **error);
  gboolean       (*update_deployment)  (DrStore      *self,
                                        const DrDeployment *deployment,
                                        GError      **error);
  GPtrArray     *(*list_deployments)   (DrStore      *self,
                                        const char   *service,
                                        GError      **error);

  gboolean       (*insert_run)         (DrStore      *self,
                                        DrRunRecord  *run,
                                        GError      **error);
  gboolean       (*update_run)         (DrStore      *self,
                                        const DrRunRecord *run,
                                        GError      **error);
  gboolean       (*update_run_step)    (DrStore      *self,
                                        gint64        run_id,
                                        const DrRunStepRecord *step,
                                        GError      **error);
  DrRunRecord   *(*find_run)           (DrStore      *self,
                                        gint64        run_id,
                                        GError      **error);
  GPtrArray     *(*list_runs)          (DrStore      *self,
                                        const DrRunFilter *filter,
                                        GError      **error);

  gboolean       (*insert_signoff)     (DrStore      *self,
                                        DrSignoff    *signoff,
                                        GError      **error);
  GPtrArray     *(*list_signoffs)      (DrStore      *self,
                                        const char   *service,
                                        const char   *version,
                                        GError      **error);
  gboolean       (*insert_approval)    (DrStore      *self,
                                        DrApproval   *approval,
                                        GError      **error);
  GPtrArray     *(*list_approvals)     (DrStore      *self,
                                        const char   *service,
                                        const char   *version,
                                        GError      **error);

  gboolean       (*append_audit)       (DrStore      *self,
                                        DrAuditEvent *event,
                                        GError      **error);
  GPtrArray     *(*list_audit)         (DrStore      *self,
                                        gint64        after_seq,
                                        guint         limit,
                                        GError      **error);

  /* A number that changes whenever another connection, in this process or another, commits a
   * change; commits of this store leave it as it was. For polling. */
  gint64         (*get_change_counter) (DrStore      *self);

  /* Where the records live, the same in every process that opens them, such as the canonical
   * path of a store file. */
  char          *(*dup_location)       (DrStore      *self);
};

GQuark             dr_store_error_quark      (void);

gboolean           dr_store_transaction      (DrStore                *self,
                                              DrStoreTransactionFunc  func,
                                              gpointer                user_data,
                                              GError                **error);
gboolean           dr_store_insert_build     (DrStore      *self,
                                              DrBuild      *build,
                                              GError      **error);
DrBuild           *dr_store_find_build       (DrStore      *self,
                                              const char   *service,
                                              const char   *version,
                                              GError      **error);
GPtrArray         *dr_store_list_builds      (DrStore      *self,
                                              const char   *service,
                                              GError      **error);
gboolean           dr_store_insert_deployment (DrStore     *self,
                                              DrDeployment *deployment,
                                              GError      **error);
gboolean           dr_store_update_deployment (DrStore     *self,
                                              const DrDeployment *deployment,
                                              GError      **error);
GPtrArray         *dr_store_list_deployments (DrStore      *self,
                                              const char   *service,
                                              GError      **error);
gboolean           dr_store_insert_run       (DrStore      *self,
                                              DrRunRecord  *run,
                                              GError      **error);
gboolean           dr_store_update_run       (DrStore      *self,
                                              const DrRunRecord *run,
                                              GError      **error);
gboolean           dr_store_update_run_step  (DrStore      *self,
                                              gint64        run_id,
                                              const DrRunStepRecord *step,
                                              GError      **error);
DrRunRecord       *dr_store_find_run         (DrStore      *self,
                                              gint64        run_id,
                                              GError      **error);
GPtrArray         *dr_store_list_runs        (DrStore      *self,
                                              const DrRunFilter *filter,
                                              GError      **error);
gboolean           dr_store_insert_signoff   (DrStore      *self,
                                              DrSignoff    *signoff,
                                              GError      **error);
GPtrArray         *dr_store_list_signoffs    (DrStore      *self,
                                              const char   *service,
                                              const char   *version,
                                              GError      **error);
gboolean           dr_store_insert_approval  (DrStore      *self,
                                              DrApproval   *approval,
                                              GError      **error);
GPtrArray         *dr_store_list_approvals   (DrStore      *self,
                                              const char   *service,
                                              const char   *version,
                                              GError      **error);
gboolean           dr_store_append_audit     (DrStore      *self,
                                              DrAuditEvent *event,
                                              GError      **error);
GPtrArray         *dr_store_list_audit       (DrStore      *self,
                                              gint64        after_seq,
                                              guint         limit,
                                              GError      **error);
gint64             dr_store_get_change_counter (DrStore    *self);
char              *dr_store_dup_location     (DrStore      *self);

/* Built on the primitives above, the same for every implementation. */
DrServiceSnapshot *dr_store_load_snapshot    (DrStore      *self,
                                              const char   *service,
                                              GError      **error);
gboolean           dr_store_audit            (DrStore      *self,
                                              const char   *person,
                                              const char   *action,
                                              const char   *service,
                                              const char   *version,
                                              const char   *environment,
                                              const char   *detail_json,
                                              GError      **error);
gboolean           dr_store_verify_audit     (DrStore      *self,
                                              guint        *n_events,
                                              GError      **error);
guint              dr_store_recover_interrupted_runs (DrStore *self,
                                              GError      **error);

char              *dr_process_owner_for_self (void);
gboolean           dr_process_owner_is_alive (const char   *owner);

G_END_DECLS
