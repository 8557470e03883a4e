/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dr-cluster-group.h"
#include "dr-workspace.h"

G_BEGIN_DECLS

/* Preferences: the person's name and roles and the folder of service clones on the General
 * page, stored in GSettings, and the credentials of each cluster of the workspace on the
 * Clusters page, stored only in the keyring. */
#define DR_TYPE_PREFERENCES_WINDOW (dr_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (DrPreferencesWindow, dr_preferences_window, DR, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

DrPreferencesWindow *dr_preferences_window_new               (GSettings           *settings,
                                                              DrWorkspace         *workspace);
void                 dr_preferences_window_show_cluster      (DrPreferencesWindow *self,
                                                              const char          *cluster);
DrClusterGroup      *dr_preferences_window_get_cluster_group (DrPreferencesWindow *self,
                                                              const char          *cluster);
void                 dr_preferences_window_import_kubeconfig (DrPreferencesWindow *self,
                                                              GFile               *file);

G_END_DECLS
