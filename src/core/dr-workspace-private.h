/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dr-workspace.h"
#include "dr-yaml-document.h"

G_BEGIN_DECLS

struct _DrWorkspace
{
  GObject      parent_instance;

  char        *path;
  char        *name;
  char        *title;
  gboolean     allow_self_approval;
  gboolean     verify_after_deploy;
  guint        step_timeout_seconds;
  guint        kill_grace_seconds;

  GPtrArray   *roles;         /* of DrRole */
  GPtrArray   *environments;  /* of DrEnvironment, in promotion order */
  GPtrArray   *services;      /* of DrService */
  GPtrArray   *pipelines;     /* of DrPipeline */
  GPtrArray   *checklists;    /* of DrChecklist */
  GPtrArray   *gates;         /* of DrGate, one per environment, in promotion order */
  DrChecklist *monitoring;    /* one of `checklists`, or NULL */
};

void      dr_workspace_step_free            (DrStep             *step);
void      dr_workspace_role_free            (DrRole             *role);
void      dr_workspace_environment_free     (DrEnvironment      *environment);
void      dr_workspace_service_free         (DrService          *service);
void      dr_workspace_pipeline_free        (DrPipeline         *pipeline);
void      dr_workspace_checklist_item_free  (DrChecklistItem    *item);
void      dr_workspace_checklist_free       (DrChecklist        *checklist);
void      dr_workspace_gate_free            (DrGate             *gate);

gboolean  dr_workspace_parse                (DrWorkspace        *self,
                                             const DrYamlNode   *root,
                                             const char         *display_name,
                                             const char * const *languages,
                                             GError            **error);

G_END_DECLS
