/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dr-engine.h"

G_BEGIN_DECLS

/* An end-to-end fixture: the bundled Dynamo workspace (or another), a folder of clones made
 * from tests/e2e/service with real Node scripts, stand-in docker and kubectl on PATH that
 * record into a state folder, a fresh SQLite store, credentials for every cluster in the
 * keyring, and an engine over all of it. */
typedef struct
{
  char        *root;          /* temporary folder that holds everything below */
  char        *clones;
  char        *state;         /* the stand-ins' records; a file "fail-X" makes X fail */
  char        *store_path;
  char        *token;         /* the bearer token stored for every cluster */
  DrWorkspace *workspace;
  DrStore     *store;
  DrEngine    *engine;
} DrE2e;

DrE2e       *dr_e2e_new              (const char   *workspace_path,
                                      gboolean      make_clones);
void         dr_e2e_free             (DrE2e        *e2e);
void         dr_e2e_set_identity     (DrE2e        *e2e,
                                      const char   *name,
                                      const char   *first_role,
                                      ...) G_GNUC_NULL_TERMINATED;
void         dr_e2e_set_version      (DrE2e        *e2e,
                                      const char   *service,
                                      const char   *version);
void         dr_e2e_fail             (DrE2e        *e2e,
                                      const char   *what,
                                      gboolean      failing);
char        *dr_e2e_read_calls       (DrE2e        *e2e);
char        *dr_e2e_running_version  (DrE2e        *e2e,
                                      const char   *cluster,
                                      const char   *service);

gpointer     dr_e2e_wait_result      (GAsyncResult **slot);
DrBuild     *dr_e2e_record_build     (DrE2e        *e2e,
                                      const char   *service,
                                      const char   *version,
                                      GError      **error);
DrRun       *dr_e2e_promote          (DrE2e        *e2e,
                                      const char   *service,
                                      const char   *version,
                                      const char   *environment,
                                      GPtrArray   **refusals,
                                      GError      **error);
DrRun       *dr_e2e_redeploy         (DrE2e        *e2e,
                                      const char   *service,
                                      const char   *environment,
                                      GPtrArray   **refusals,
                                      GError      **error);
DrRun       *dr_e2e_verify           (DrE2e        *e2e,
                                      const char   *service,
                                      const char   *environment,
                                      GError      **error);
DrRun       *dr_e2e_rollback         (DrE2e        *e2e,
                                      const char   *service,
                                      const char   *environment,
                                      GError      **error);
DrRun       *dr_e2e_check_item       (DrE2e        *e2e,
                                      const char   *service,
                                      const char   *version,
                                      const char   *item,
                                      GError      **error);
gboolean     dr_e2e_sign             (DrE2e        *e2e,
                                      const char   *service,
                                      const char   *version,
                                      const char   *item,
                                      gboolean      revoke,
                                      GError      **error);
gboolean     dr_e2e_decide           (DrE2e        *e2e,
                                      const char   *service,
                                      const char   *version,
                                      const char   *environment,
                                      DrDecision    decision,
                                      const char   *comment,
                                      GError      **error);
DrServiceSnapshot *dr_e2e_snapshot   (DrE2e        *e2e,
                                      const char   *service);
void         dr_e2e_wait_for_run     (DrE2e        *e2e,
                                      DrRun        *run);
char        *dr_e2e_read_log         (DrRun        *run);
void         dr_e2e_wait_for_log_text (DrE2e       *e2e,
                                      const char   *service,
                                      const char   *text);
void         dr_e2e_deploy_through   (DrE2e        *e2e,
                                      const char   *service,
                                      const char   *version,
                                      const char   *last_environment);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrE2e, dr_e2e_free)

G_END_DECLS
