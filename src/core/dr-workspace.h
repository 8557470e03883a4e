/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DR_WORKSPACE_ERROR (dr_workspace_error_quark ())

typedef enum
{
  DR_WORKSPACE_ERROR_IO,
  DR_WORKSPACE_ERROR_SYNTAX,
  DR_WORKSPACE_ERROR_INVALID,
} DrWorkspaceError;

typedef enum
{
  DR_BADGE_STYLE_NONE,
  DR_BADGE_STYLE_BLUE,
  DR_BADGE_STYLE_AMBER,
} DrBadgeStyle;

typedef enum
{
  DR_STEP_KIND_COMMAND,   /* argv split at load time, placeholders substituted per argument */
  DR_STEP_KIND_SHELL,     /* run by /bin/sh -c; values only as DYNAMO_* variables */
  DR_STEP_KIND_ACTION,    /* a built-in action, see DrStepAction */
} DrStepKind;

typedef enum
{
  DR_STEP_ACTION_NONE,
  DR_STEP_ACTION_ENVIRONMENT_BUILD,  /* runs the target environment's build command */
  DR_STEP_ACTION_WAIT_FOR_ROLLOUT,   /* watches the Deployment until available */
  DR_STEP_ACTION_ROLLOUT_UNDO,       /* rolls the Deployment back to its previous revision */
} DrStepAction;

typedef enum
{
  DR_PIPELINE_DEPLOY,
  DR_PIPELINE_VERIFY,
  DR_PIPELINE_ROLLBACK,
  DR_N_PIPELINE_KINDS,
} DrPipelineKind;

typedef enum
{
  DR_VERSION_SOURCE_MANUAL,
  DR_VERSION_SOURCE_PACKAGE_JSON,
  DR_VERSION_SOURCE_GIT_DESCRIBE,
} DrVersionSource;

/* Everything below is owned by its DrWorkspace and immutable after loading. Titles are
 * already translated for the languages the workspace was loaded with. */

typedef struct
{
  char          *name;
  DrStepKind     kind;
  char          *command;        /* the command line or script as written, or the action's name */
  char         **argv_template;  /* COMMAND: split command, placeholders not yet substituted;
                                  * NULL for SHELL and ACTION */
  DrStepAction   action;
  gboolean       needs_cluster;  /* gets a KUBECONFIG: argv[0] is kubectl, or `cluster: true` */
  guint          timeout_seconds;
  int            line;
  int            column;
} DrStep;

typedef struct
{
  char      *id;
  GPtrArray *steps[DR_N_PIPELINE_KINDS];  /* of DrStep */
} DrPipeline;

typedef struct
{
  char          *id;
  char          *title;
  char          *badge;           /* NULL when the environment shows no badge */
  DrBadgeStyle   badge_style;
  char          *base_url;
  char          *cluster;
  char          *namespace;
  DrStep        *build_step;      /* the environment's build command, such as npm run build:qa */
  char          *feature_flags;   /* policy text shown on the column */
  guint          position;        /* index in promotion order, 0 for the first */
} DrEnvironment;

typedef struct
{
  char            *id;
  char            *title;
  char            *repository;
  char            *directory;     /* relative to the person's clones folder */
  DrPipeline      *pipeline;
  DrVersionSource  version_source;
} DrService;

typedef struct
{
  char   *id;
  char   *title;
  char   *role;       /* id of the DrRole allowed to sign */
  DrStep *check;      /* NULL, or a step whose success signs the item */
} DrChecklistItem;

typedef struct
{
  char      *id;
  char      *title;
  GPtrArray *items;  /* of DrChecklistItem */
} DrChecklist;

typedef struct
{
  char *id;
  char *title;
} DrRole;

typedef struct
{
  char         *environment;
  DrChecklist  *checklist;        /* NULL when the gate needs no checklist */
  char        **approval_roles;   /* NULL-terminated role ids, possibly empty */
  char         *promoter_role;    /* NULL when anyone may promote */
} DrGate;

#define DR_TYPE_WORKSPACE (dr_workspace_get_type ())
G_DECLARE_FINAL_TYPE (DrWorkspace, dr_workspace, DR, WORKSPACE, GObject)

GQuark                dr_workspace_error_quark          (void);

DrWorkspace          *dr_workspace_load_file            (const char          *path,
                                                         const char * const  *languages,
                                                         GError             **error);
DrWorkspace          *dr_workspace_load_data            (const char          *data,
                                                         gsize                length,
                                                         const char          *display_name,
                                                         const char * const  *languages,
                                                         GError             **error);
char                 *dr_workspace_find_default         (void);

const char           *dr_workspace_get_path             (DrWorkspace         *self);
const char           *dr_workspace_get_name             (DrWorkspace         *self);
const char           *dr_workspace_get_title            (DrWorkspace         *self);
gboolean              dr_workspace_get_allow_self_approval (DrWorkspace      *self);
guint                 dr_workspace_get_kill_grace_seconds (DrWorkspace       *self);
guint                 dr_workspace_get_step_timeout_seconds (DrWorkspace     *self);
gboolean              dr_workspace_get_verify_after_deploy (DrWorkspace      *self);

GPtrArray            *dr_workspace_get_environments     (DrWorkspace         *self);
const DrEnvironment  *dr_workspace_get_environment      (DrWorkspace         *self,
                                                         const char          *id);
const DrEnvironment  *dr_workspace_get_next_environment (DrWorkspace         *self,
                                                         const DrEnvironment *environment);
const DrEnvironment  *dr_workspace_get_previous_environment (DrWorkspace     *self,
                                                         const DrEnvironment *environment);

GPtrArray            *dr_workspace_get_services         (DrWorkspace         *self);
const DrService      *dr_workspace_get_service          (DrWorkspace         *self,
                                                         const char          *id);

const DrPipeline     *dr_workspace_get_pipeline         (DrWorkspace         *self,
                                                         const char          *id);

GPtrArray            *dr_workspace_get_checklists       (DrWorkspace         *self);
const DrChecklist    *dr_workspace_get_checklist        (DrWorkspace         *self,
                                                         const char          *id);
const DrChecklistItem *dr_workspace_find_checklist_item (DrWorkspace         *self,
                                                         const char          *checklist_id,
                                                         const char          *item_id);
const DrChecklist    *dr_workspace_get_monitoring       (DrWorkspace         *self);

GPtrArray            *dr_workspace_get_roles            (DrWorkspace         *self);
const DrRole         *dr_workspace_get_role             (DrWorkspace         *self,
                                                         const char          *id);

const DrGate         *dr_workspace_get_gate             (DrWorkspace         *self,
                                                         const char          *environment_id);

G_END_DECLS
