/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dr-records.h"
#include "dr-workspace.h"

G_BEGIN_DECLS

typedef enum
{
  DR_REFUSAL_UNKNOWN_SERVICE,
  DR_REFUSAL_UNKNOWN_ENVIRONMENT,
  DR_REFUSAL_UNKNOWN_BUILD,             /* the version was never recorded for the service */
  DR_REFUSAL_NOT_NEXT_ENVIRONMENT,      /* skips an environment, or goes backwards */
  DR_REFUSAL_ALREADY_DEPLOYED,          /* the target already runs this version */
  DR_REFUSAL_NOT_DEPLOYED_IN_SOURCE,
  DR_REFUSAL_NOT_VERIFIED_IN_SOURCE,
  DR_REFUSAL_RUN_IN_PROGRESS,
  DR_REFUSAL_ROLE_MISSING,              /* the promoter lacks the gate's promoter role */
  DR_REFUSAL_CHECKLIST_ITEM_MISSING,    /* subject: the item id */
  DR_REFUSAL_APPROVAL_MISSING,          /* subject: the role id */
  DR_REFUSAL_APPROVAL_REJECTED,         /* subject: the role id */
  DR_REFUSAL_APPROVER_IS_PROMOTER,      /* subject: the role id */
  DR_REFUSAL_NOTHING_DEPLOYED,          /* a redeploy finds no current build in the target */
} DrRefusalReason;

typedef struct
{
  DrRefusalReason  reason;
  char            *subject;  /* item or role id the reason is about, or NULL */
  char            *message;  /* one translated sentence for the person */
} DrRefusal;

void        dr_refusal_free      (DrRefusal               *refusal);

GPtrArray  *dr_gate_evaluate     (DrWorkspace             *workspace,
                                  const DrServiceSnapshot *snapshot,
                                  const DrIdentity        *identity,
                                  const char              *version,
                                  const char              *target_environment);
GPtrArray  *dr_gate_evaluate_redeploy (DrWorkspace         *workspace,
                                  const DrServiceSnapshot *snapshot,
                                  const DrIdentity        *identity,
                                  const char              *environment);
char       *dr_refusals_to_string (GPtrArray              *refusals);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrRefusal, dr_refusal_free)

G_END_DECLS
