/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dr-cluster-state.h"
#include "dr-gate.h"
#include "dr-records.h"
#include "dr-run.h"
#include "dr-store.h"
#include "dr-workspace.h"

G_BEGIN_DECLS

#define DR_ENGINE_ERROR (dr_engine_error_quark ())

typedef enum
{
  DR_ENGINE_ERROR_REFUSED,          /* a gate refused; the message lists every reason */
  DR_ENGINE_ERROR_INVALID,          /* an argument such as a version or an id is invalid */
  DR_ENGINE_ERROR_NOT_ALLOWED,      /* the person lacks the role for this action */
  DR_ENGINE_ERROR_NOT_FOUND,
  DR_ENGINE_ERROR_NO_CLONES_FOLDER, /* the folder of service clones is not set */
  DR_ENGINE_ERROR_FAILED,
  DR_ENGINE_ERROR_EXISTS,           /* the record exists already, such as the item's sign-off */
} DrEngineError;

/* The release engine: every action a person takes, for the window and for dynamoctl alike.
 * Writes run on one worker thread in the order they were requested, each in one store
 * transaction together with its audit event; callbacks run on the main context of the thread
 * that made the call. "service-changed" is emitted there after each write, and also when
 * another process changed the store. */
#define DR_TYPE_ENGINE (dr_engine_get_type ())
G_DECLARE_FINAL_TYPE (DrEngine, dr_engine, DR, ENGINE, GObject)

GQuark             dr_engine_error_quark          (void);

DrEngine          *dr_engine_new                  (DrWorkspace          *workspace,
                                                   DrStore              *store);
DrWorkspace       *dr_engine_get_workspace        (DrEngine             *self);
DrStore           *dr_engine_get_store            (DrEngine             *self);
const DrIdentity  *dr_engine_get_identity         (DrEngine             *self);
void               dr_engine_set_identity         (DrEngine             *self,
                                                   const DrIdentity     *identity);
const char        *dr_engine_get_clones_folder    (DrEngine             *self);
void               dr_engine_set_clones_folder    (DrEngine             *self,
                                                   const char           *path);
const char        *dr_engine_get_log_folder       (DrEngine             *self);
char              *dr_clones_folder_describe_problem (const char      *folder,
                                                    gboolean         exists);
char              *dr_engine_dup_service_directory (DrEngine            *self,
                                                   const char           *service);
GListModel        *dr_engine_get_runs             (DrEngine             *self);
DrRun             *dr_engine_find_run             (DrEngine             *self,
                                                   gint64                run_id);
void               dr_engine_load_run_async       (DrEngine             *self,
                                                   gint64                run_id,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
DrRun             *dr_engine_load_run_finish      (DrEngine             *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
void               dr_engine_list_runs_async      (DrEngine             *self,
                                                   const char           *service,
                                                   guint                 limit,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
GPtrArray         *dr_engine_list_runs_finish     (DrEngine             *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

/* Reads. */
void               dr_engine_load_snapshot_async  (DrEngine             *self,
                                                   const char           *service,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
DrServiceSnapshot *dr_engine_load_snapshot_finish (DrEngine             *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
GPtrArray         *dr_engine_check_promotion      (DrEngine             *self,
                                                   const DrServiceSnapshot *snapshot,
                                                   const char           *version,
                                                   const char           *target_environment);
GPtrArray         *dr_engine_check_redeploy       (DrEngine             *self,
                                                   const DrServiceSnapshot *snapshot,
                                                   const char           *environment);
const DrBuild     *dr_engine_find_waiting_build   (DrEngine             *self,
                                                   const DrServiceSnapshot *snapshot,
                                                   const char           *environment);

/* The live state of the service's Deployment in each environment's cluster, as a GPtrArray of
 * DrClusterState in promotion order. */
void               dr_engine_load_cluster_state_async  (DrEngine            *self,
                                                        const char          *service,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GPtrArray         *dr_engine_load_cluster_state_finish (DrEngine            *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Builds. dr_engine_derive_version_async() reads the version of a new build from the
 * service's package.json or `git describe`, as its version source selects. */
void               dr_engine_derive_version_async (DrEngine             *self,
                                                   const char           *service,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
char              *dr_engine_derive_version_finish (DrEngine            *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
void               dr_engine_record_build_async   (DrEngine             *self,
                                                   const char           *service,
                                                   const char           *version,
                                                   DrVersionSource       source,
                                                   const char           *commit,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
DrBuild           *dr_engine_record_build_finish  (DrEngine             *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

/* Runs. Each returns the started DrRun, or fails before anything ran: with
 * DR_ENGINE_ERROR_REFUSED and every unmet gate reason, with a credentials error when the
 * keyring is locked or missing, and so on. */
void               dr_engine_promote_async        (DrEngine             *self,
                                                   const char           *service,
                                                   const char           *version,
                                                   const char           *target_environment,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void               dr_engine_redeploy_async       (DrEngine             *self,
                                                   const char           *service,
                                                   const char           *environment,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void               dr_engine_verify_async         (DrEngine             *self,
                                                   const char           *service,
                                                   const char           *environment,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void               dr_engine_check_item_async     (DrEngine             *self,
                                                   const char           *service,
                                                   const char           *version,
                                                   const char           *checklist,
                                                   const char           *item,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void               dr_engine_rollback_async       (DrEngine             *self,
                                                   const char           *service,
                                                   const char           *environment,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
DrRun             *dr_engine_start_run_finish     (DrEngine             *self,
                                                   GAsyncResult         *result,
                                                   GPtrArray           **refusals,
                                                   GError              **error);
char             **dr_engine_describe_redeploy    (DrEngine             *self,
                                                   const DrServiceSnapshot *snapshot,
                                                   const char           *environment);
char             **dr_engine_describe_rollback    (DrEngine             *self,
                                                   const DrServiceSnapshot *snapshot,
                                                   const char           *environment);
char             **dr_engine_describe_rollback_full (DrEngine           *self,
                                                   const DrServiceSnapshot *snapshot,
                                                   const char           *environment,
                                                   char                **summary);
char              *dr_engine_dup_rollback_blocker (DrEngine            *self,
                                                   const DrServiceSnapshot *snapshot,
                                                   const char           *environment);

/* Sign-offs and approvals. */
void               dr_engine_sign_async           (DrEngine             *self,
                                                   const char           *service,
                                                   const char           *version,
                                                   const char           *checklist,
                                                   const char           *item,
                                                   const char           *comment,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void               dr_engine_revoke_async         (DrEngine             *self,
                                                   const char           *service,
                                                   const char           *version,
                                                   const char           *checklist,
                                                   const char           *item,
                                                   const char           *comment,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void               dr_engine_decide_async         (DrEngine             *self,
                                                   const char           *service,
                                                   const char           *version,
                                                   const char           *environment,
                                                   DrDecision            decision,
                                                   const char           *comment,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean           dr_engine_write_finish         (DrEngine             *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

/* Runs the main context of the calling thread until the run has finished. */
void               dr_engine_wait_for_run         (DrEngine             *self,
                                                   DrRun                *run);

G_END_DECLS
