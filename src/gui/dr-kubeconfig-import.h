/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The Preferences subpage that maps each context of a kubeconfig file to a workspace cluster
 * and copies the chosen credentials into the keyring. The file itself is only read.
 * "stored" is emitted once all chosen credentials are in the keyring, with the workspace
 * clusters stored as a NULL-terminated array. "back" is emitted when the person leaves. */
#define DR_TYPE_KUBECONFIG_IMPORT (dr_kubeconfig_import_get_type ())
G_DECLARE_FINAL_TYPE (DrKubeconfigImport, dr_kubeconfig_import, DR, KUBECONFIG_IMPORT, GtkWidget)

DrKubeconfigImport *dr_kubeconfig_import_new          (GFile              *file,
                                                       GPtrArray          *entries,
                                                       GPtrArray          *skipped,
                                                       const char * const *clusters);
GFile              *dr_kubeconfig_import_get_file     (DrKubeconfigImport *self);
guint               dr_kubeconfig_import_get_n_entries (DrKubeconfigImport *self);
guint               dr_kubeconfig_import_get_n_skipped (DrKubeconfigImport *self);
const char         *dr_kubeconfig_import_get_choice   (DrKubeconfigImport *self,
                                                       guint               index);
void                dr_kubeconfig_import_set_choice   (DrKubeconfigImport *self,
                                                       guint               index,
                                                       const char         *cluster);
gboolean            dr_kubeconfig_import_get_busy     (DrKubeconfigImport *self);

G_END_DECLS
