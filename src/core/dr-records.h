/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Plain records as the store keeps them. Times are microseconds since the Unix epoch, UTC.
 * Each record owns its strings; free it with its _free function. */

typedef enum
{
  DR_DEPLOYMENT_IN_PROGRESS,
  DR_DEPLOYMENT_SUCCEEDED,
  DR_DEPLOYMENT_FAILED,
  DR_DEPLOYMENT_ROLLED_BACK,
} DrDeploymentState;

typedef enum
{
  DR_RUN_KIND_DEPLOY,
  DR_RUN_KIND_VERIFY,
  DR_RUN_KIND_CHECK,
  DR_RUN_KIND_ROLLBACK,
} DrRunKind;

typedef enum
{
  DR_RUN_STATE_RUNNING,
  DR_RUN_STATE_SUCCEEDED,
  DR_RUN_STATE_FAILED,
  DR_RUN_STATE_CANCELLED,
  DR_RUN_STATE_INTERRUPTED,
} DrRunState;

typedef enum
{
  DR_STEP_STATE_PENDING,
  DR_STEP_STATE_RUNNING,
  DR_STEP_STATE_SUCCEEDED,
  DR_STEP_STATE_FAILED,
  DR_STEP_STATE_TIMED_OUT,
  DR_STEP_STATE_CANCELLED,
  DR_STEP_STATE_SKIPPED,
  DR_STEP_STATE_INTERRUPTED,
} DrStepState;

typedef enum
{
  DR_DECISION_APPROVED,
  DR_DECISION_REJECTED,
  DR_DECISION_WITHDRAWN,
} DrDecision;

typedef struct
{
  gint64  id;
  char   *service;
  char   *version;
  char   *commit;       /* NULL when unknown */
  char   *image;        /* NULL when unknown */
  char   *source;       /* "manual", "package.json" or "git describe" */
  char   *recorded_by;
  gint64  recorded_at;
} DrBuild;

typedef struct
{
  gint64             id;
  char              *service;
  char              *version;
  char              *environment;
  DrDeploymentState  state;
  gboolean           verified;
  char              *person;
  gint64             run_id;
  gint64             started_at;
  gint64             finished_at;  /* 0 while in progress */
} DrDeployment;

/* A step's exit_status when its process did not exit normally (a signal, a timeout, a built-in
 * action that failed), and when no process started at all (a missing command, folder or
 * credentials), so nothing it would have done happened. */
#define DR_EXIT_STATUS_ABNORMAL    (-1)
#define DR_EXIT_STATUS_NOT_STARTED (-2)

typedef struct
{
  guint        index;
  char        *name;
  char        *command;      /* argv joined for display, or the action's name */
  DrStepState  state;
  gint64       started_at;   /* 0 before the step starts */
  gint64       finished_at;  /* 0 before the step ends */
  int          exit_status;  /* exit code; DR_EXIT_STATUS_ABNORMAL or DR_EXIT_STATUS_NOT_STARTED */
  char        *message;      /* NULL, or why the step failed */
} DrRunStepRecord;

typedef struct
{
  gint64      id;
  DrRunKind   kind;
  char       *service;
  char       *version;
  char       *environment;
  char       *checklist;    /* CHECK runs: the checklist and item they sign */
  char       *item;
  DrRunState  state;
  char       *person;
  gint64      started_at;
  gint64      finished_at;  /* 0 while running */
  char       *log_path;
  char       *message;      /* NULL, or why the run failed */
  char       *owner;        /* process that runs it: "host boot-id pid start-time" */
  GPtrArray  *steps;        /* of DrRunStepRecord */
} DrRunRecord;

/* A sign-off event. An event with revoked set withdraws the item's earlier sign-off. */
typedef struct
{
  gint64    id;
  char     *service;
  char     *version;
  char     *checklist;
  char     *item;
  char     *person;
  char     *role;
  gint64    at;
  char     *comment;
  gboolean  revoked;
  gint64    run_id;    /* the check run that signed it, or 0 when a person ticked the box */
} DrSignoff;

typedef struct
{
  gint64      id;
  char       *service;
  char       *version;
  char       *environment;
  char       *role;
  char       *person;
  DrDecision  decision;
  char       *comment;
  gint64      at;
} DrApproval;

typedef struct
{
  gint64  seq;
  gint64  at;
  char   *person;
  char   *action;        /* "build-recorded", "run-started", "signed", ... */
  char   *service;
  char   *version;
  char   *environment;
  char   *detail;        /* a short JSON object */
  char   *previous_hash; /* hex SHA-256, 64 zeros for the first event */
  char   *hash;
} DrAuditEvent;

/* The maximum length of a person's name, in characters. */
#define DR_IDENTITY_NAME_MAX_CHARS 100

/* The person acting, as set in Preferences or on the dynamoctl command line. */
typedef struct
{
  char  *name;
  char **roles;
} DrIdentity;

/* Everything the board and the gates need to know about one service, read in one
 * transaction. Lists are newest first unless said otherwise. */
typedef struct
{
  char      *service;
  GPtrArray *builds;       /* of DrBuild */
  GPtrArray *deployments;  /* of DrDeployment */
  GPtrArray *active_runs;  /* of DrRunRecord, state RUNNING */
  GPtrArray *signoffs;     /* of DrSignoff, oldest first */
  GPtrArray *approvals;    /* of DrApproval, oldest first */
  /* of DrRunRecord with its steps: the run of each environment's newest deployment when that
   * deployment failed, from which a rollback learns what it has to undo; NULL in a snapshot
   * built without it */
  GPtrArray *failed_deploy_runs;
} DrServiceSnapshot;

void                 dr_build_free                (DrBuild           *build);
DrBuild             *dr_build_copy                (const DrBuild     *build);
void                 dr_deployment_free           (DrDeployment      *deployment);
DrDeployment        *dr_deployment_copy           (const DrDeployment *deployment);
void                 dr_run_step_record_free      (DrRunStepRecord   *step);
DrRunStepRecord     *dr_run_step_record_copy      (const DrRunStepRecord *step);
void                 dr_run_record_free           (DrRunRecord       *run);
DrRunRecord         *dr_run_record_copy           (const DrRunRecord *run);
void                 dr_signoff_free              (DrSignoff         *signoff);
DrSignoff           *dr_signoff_copy              (const DrSignoff   *signoff);
void                 dr_approval_free             (DrApproval        *approval);
DrApproval          *dr_approval_copy             (const DrApproval  *approval);
void                 dr_audit_event_free          (DrAuditEvent      *event);
DrIdentity          *dr_identity_new              (const char        *name,
                                                   const char * const *roles);
DrIdentity          *dr_identity_copy             (const DrIdentity  *identity);
char                *dr_identity_normalize_name   (const char        *name,
                                                   GError           **error);
gboolean             dr_identity_name_equal       (const char        *name,
                                                   const char        *other);
void                 dr_identity_free             (DrIdentity        *identity);
gboolean             dr_identity_has_role         (const DrIdentity  *identity,
                                                   const char        *role);
void                 dr_service_snapshot_free     (DrServiceSnapshot *snapshot);

const char          *dr_deployment_state_to_string (DrDeploymentState state);
gboolean             dr_deployment_state_from_string (const char     *text,
                                                   DrDeploymentState *state);
const char          *dr_run_kind_to_string        (DrRunKind          kind);
const char          *dr_run_kind_describe         (DrRunKind          kind);
gboolean             dr_run_kind_from_string      (const char        *text,
                                                   DrRunKind         *kind);
const char          *dr_run_state_to_string       (DrRunState         state);
gboolean             dr_run_state_from_string     (const char        *text,
                                                   DrRunState        *state);
const char          *dr_step_state_to_string      (DrStepState        state);
gboolean             dr_step_state_from_string    (const char        *text,
                                                   DrStepState       *state);
const char          *dr_decision_to_string        (DrDecision         decision);
gboolean             dr_decision_from_string      (const char        *text,
                                                   DrDecision        *decision);

char                *dr_audit_event_compute_hash  (const DrAuditEvent *event,
                                                   const char        *previous_hash);

/* Queries over a snapshot. */
const DrDeployment  *dr_service_snapshot_get_current     (const DrServiceSnapshot *snapshot,
                                                          const char              *environment);
const DrDeployment  *dr_service_snapshot_get_previous    (const DrServiceSnapshot *snapshot,
                                                          const char              *environment);
const DrDeployment  *dr_service_snapshot_get_newest      (const DrServiceSnapshot *snapshot,
                                                          const char              *environment);
gboolean             dr_service_snapshot_was_deployed    (const DrServiceSnapshot *snapshot,
                                                          const char              *version);
DrRunState           dr_service_snapshot_get_failed_state (const DrServiceSnapshot *snapshot,
                                                          const DrDeployment      *deployment);
const DrDeployment  *dr_service_snapshot_find_deployment (const DrServiceSnapshot *snapshot,
                                                          const char              *version,
                                                          const char              *environment);
const DrBuild       *dr_service_snapshot_find_build      (const DrServiceSnapshot *snapshot,
                                                          const char              *version);
const DrRunRecord   *dr_service_snapshot_find_active_run (const DrServiceSnapshot *snapshot,
                                                          const char              *environment);
const DrSignoff     *dr_service_snapshot_get_signoff     (const DrServiceSnapshot *snapshot,
                                                          const char              *version,
                                                          const char              *checklist,
                                                          const char              *item);
const DrRunRecord   *dr_service_snapshot_find_failed_run (const DrServiceSnapshot *snapshot,
                                                          gint64                   run_id);
const DrApproval    *dr_service_snapshot_get_approval    (const DrServiceSnapshot *snapshot,
                                                          const char              *version,
                                                          const char              *environment,
                                                          const char              *role);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrBuild, dr_build_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrDeployment, dr_deployment_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrRunStepRecord, dr_run_step_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrRunRecord, dr_run_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrSignoff, dr_signoff_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrApproval, dr_approval_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrAuditEvent, dr_audit_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrIdentity, dr_identity_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrServiceSnapshot, dr_service_snapshot_free)

G_END_DECLS
