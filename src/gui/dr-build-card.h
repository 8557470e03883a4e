/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dr-records.h"
#include "dr-workspace.h"

G_BEGIN_DECLS

/* What a dragged card carries: which build, and from which column. */
typedef struct
{
  char *service;
  char *version;
  char *environment;  /* the column the card was dragged from, or NULL */
} DrBuildRef;

#define DR_TYPE_BUILD_REF (dr_build_ref_get_type ())
GType         dr_build_ref_get_type (void) G_GNUC_CONST;
DrBuildRef   *dr_build_ref_new      (const char       *service,
                                     const char       *version,
                                     const char       *environment);
DrBuildRef   *dr_build_ref_copy     (const DrBuildRef *ref);
void          dr_build_ref_free     (DrBuildRef       *ref);

typedef enum
{
  DR_BUILD_CARD_CURRENT,      /* the build deployed in its column */
  DR_BUILD_CARD_IN_PROGRESS,  /* a deploy to its column is running */
  DR_BUILD_CARD_FAILED,       /* the newest deploy to its column failed */
  DR_BUILD_CARD_EARLIER,      /* deployed there before */
  DR_BUILD_CARD_NEW,          /* recorded, never deployed anywhere */
} DrBuildCardKind;

#define DR_TYPE_BUILD_CARD (dr_build_card_get_type ())
G_DECLARE_FINAL_TYPE (DrBuildCard, dr_build_card, DR, BUILD_CARD, GtkWidget)

DrBuildCard     *dr_build_card_new              (DrWorkspace         *workspace,
                                                 const char          *service,
                                                 const DrEnvironment *environment,
                                                 const DrBuild       *build,
                                                 const DrDeployment  *deployment,
                                                 DrBuildCardKind      kind);
const char      *dr_build_card_get_version      (DrBuildCard         *self);
DrBuildCardKind  dr_build_card_get_kind         (DrBuildCard         *self);
DrBuildRef      *dr_build_card_dup_ref          (DrBuildCard         *self);
GtkWidget       *dr_build_card_get_menu_button  (DrBuildCard         *self);
void             dr_build_card_set_ended_as     (DrBuildCard         *self,
                                                 DrRunState           state);
void             dr_build_card_remove_promotion (DrBuildCard         *self,
                                                 const char          *environment);
void             dr_build_card_remove_action    (DrBuildCard         *self,
                                                 const char          *action_name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrBuildRef, dr_build_ref_free)

G_END_DECLS
