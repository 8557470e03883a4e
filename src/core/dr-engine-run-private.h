/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dr-credentials.h"
#include "dr-engine-private.h"
#include "dr-kube-client.h"
#include "dr-log.h"

G_BEGIN_DECLS

/* Shared by dr-engine-runs.c, which plans and starts runs, and dr-engine-execute.c, which runs
 * their steps and records how they ended. */

typedef struct
{
  const DrStep *step;
  char         *name;
  char         *skip_reason;  /* NULL, or why the step does not run in this run */
} PlannedStep;

/* Everything one run needs from the moment it is requested until it has finished. */
typedef struct
{
  DrEngine             *engine;
  DrRunKind             kind;
  gboolean              redeploy;           /* a deploy of the environment's current build */
  DrIdentity           *identity;
  const DrService      *service;
  const DrEnvironment  *environment;
  const DrChecklistItem *item;
  char                 *checklist;
  char                 *version;
  char                 *previous_version;
  char                 *clones_folder;
  char                 *directory;
  GPtrArray            *plan;               /* of PlannedStep */
  guint                 first_verify_step;  /* index of the first verify step, or plan->len */
  gboolean              needs_cluster;

  DrClusterCredentials *credentials;        /* NULL when none are stored */
  char                 *kubeconfig_path;
  gboolean              credentials_missing; /* the keyring has none for the cluster */
  GPtrArray            *refusals;
  GError               *clone_error;        /* set when the clone contains another build */
  DrRunRecord          *record;
  DrDeployment         *deployment;         /* the deployment the run creates or acts on */

  DrRun                *run;
  DrLogWriter          *writer;
  DrKubeClient         *kube;
  guint                 current;
  DrRunState            final_state;
  char                 *final_message;
} Execution;

Execution    *dr_execution_new              (DrEngine     *self,
                                             DrRunKind     kind,
                                             const char   *service_id,
                                             const char   *environment_id,
                                             GError      **error);
gboolean      dr_execution_plan             (Execution    *execution,
                                             GError      **error);
char         *dr_execution_dup_step_display (Execution    *execution,
                                             PlannedStep  *planned,
                                             GHashTable   *values);
void          dr_execution_free             (Execution    *execution);
const DrStep *dr_execution_get_command_step (Execution    *execution,
                                             PlannedStep  *planned);
GHashTable   *dr_execution_dup_values       (Execution    *execution,
                                             gint64        run_id);
char        **dr_execution_dup_argv         (Execution    *execution,
                                             PlannedStep  *planned,
                                             GHashTable   *values,
                                             GError      **error);
void          dr_execution_run_next_step    (Execution    *execution);
void          dr_execution_finish           (Execution    *execution,
                                             DrRunState    state,
                                             const char   *message);
gboolean      dr_execution_check_clone      (Execution    *execution,
                                             DrStore      *store,
                                             GError      **error);

/* dr-engine-rollback.c */
const DrDeployment *dr_rollback_find_target (const DrServiceSnapshot *snapshot,
                                             const char   *environment_id);
gboolean      dr_execution_skip_unneeded_rollback_steps (Execution *execution,
                                             const DrServiceSnapshot *snapshot,
                                             const DrDeployment *target);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Execution, dr_execution_free)

G_END_DECLS
