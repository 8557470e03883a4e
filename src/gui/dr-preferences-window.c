/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-credentials.h"
#include "dr-engine.h"
#include "dr-kubeconfig-import.h"
#include "dr-label.h"
#include "dr-preferences-window.h"
#include "dr-records.h"

struct _DrPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;
  DrWorkspace          *workspace;         /* NULL when no workspace could be loaded */
  GCancellable         *cancellable;       /* cancelled when the window goes away */
  GCancellable         *clones_cancellable;
  GPtrArray            *role_rows;         /* of RoleRow */
  GPtrArray            *clone_rows;        /* of CloneRow */
  GPtrArray            *cluster_groups;    /* of DrClusterGroup */
  GtkFileChooserNative *chooser;
  gboolean              updating_roles;
  gboolean              updating_name;

  AdwPreferencesPage   *general_page;
  AdwEntryRow          *name_row;
  GtkLabel             *name_hint_label;
  GtkLabel             *name_error_label;
  AdwPreferencesGroup  *roles_group;
  AdwPreferencesGroup  *clones_group;
  AdwActionRow         *folder_row;
  GtkButton            *folder_button;
  AdwPreferencesPage   *clusters_page;
  AdwPreferencesGroup  *import_group;
  AdwActionRow         *import_row;
  GtkLabel             *import_status_label;
};

G_DEFINE_FINAL_TYPE (DrPreferencesWindow, dr_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_WORKSPACE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  const DrRole   *role;
  GtkCheckButton *check;
} RoleRow;

typedef struct
{
  const DrService *service;
  AdwActionRow    *row;
  GtkImage        *icon;
  GtkButton       *copy_button;
  char            *path;
} CloneRow;

static void
clone_row_free (CloneRow *clone_row)
{
  g_free (clone_row->path);
  g_free (clone_row);
}

/* Joins names as a sentence fragment: "A", "A and B", "A, B and C". */
static char *
join_names (GPtrArray *names)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < names->len; i++) {
    if (i > 0 && i == names->len - 1)
      /* Translators: the word between the last two names of a list. */
      g_string_append (text, _(" and "));
    else if (i > 0)
      g_string_append (text, ", ");
    g_string_append (text, g_ptr_array_index (names, i));
  }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
strv_contains (const char * const *strv,
               const char         *value)
{
  return strv != NULL && g_strv_contains (strv, value);
}

/* Describes what a role may do in the workspace, from its gates and checklists. */
static char *
describe_role (DrWorkspace  *workspace,
               const DrRole *role)
{
  GPtrArray *environments = dr_workspace_get_environments (workspace);
  GPtrArray *checklists = dr_workspace_get_checklists (workspace);
  const DrChecklist *monitoring = dr_workspace_get_monitoring (workspace);
  g_autoptr(GPtrArray) promotes = g_ptr_array_new ();
  g_autoptr(GPtrArray) approves = g_ptr_array_new ();
  g_autoptr(GPtrArray) signs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) sentences = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);
    const DrGate *gate = dr_workspace_get_gate (workspace, environment->id);

    if (gate == NULL)
      continue;
    if (g_strcmp0 (gate->promoter_role, role->id) == 0)
      g_ptr_array_add (promotes, environment->title);
    if (strv_contains ((const char * const *) gate->approval_roles, role->id))
      g_ptr_array_add (approves, environment->title);
  }

  for (guint i = 0; i <= checklists->len; i++) {
    const DrChecklist *checklist = i < checklists->len ? g_ptr_array_index (checklists, i)
                                                       : monitoring;

    /* The monitoring checklist may also be listed with the others. */
    if (checklist == NULL || (i == checklists->len && g_ptr_array_find (checklists, checklist,
                                                                        NULL)))
      continue;

    for (guint j = 0; j < checklist->items->len; j++) {
      const DrChecklistItem *item = g_ptr_array_index (checklist->items, j);

      if (g_strcmp0 (item->role, role->id) == 0)
        g_ptr_array_add (signs, g_strdup_printf ("“%s”", item->title));
    }
  }

  if (promotes->len > 0) {
    g_autofree char *list = join_names (promotes);

    /* Translators: %s is a list of environments, such as “QA and Production”. */
    g_ptr_array_add (sentences, g_strdup_printf (_("Promotes builds to %s."), list));
  }
  if (approves->len > 0) {
    g_autofree char *list = join_names (approves);

    /* Translators: %s is a list of environments, such as “Production”. */
    g_ptr_array_add (sentences, g_strdup_printf (_("Approves builds for %s."), list));
  }
  if (signs->len > 0) {
    g_autofree char *list = join_names (signs);

    /* Translators: %s is a list of checklist items in quotes. */
    g_ptr_array_add (sentences, g_strdup_printf (_("Signs %s."), list));
  }

  if (sentences->len == 0)
    return g_strdup (_("Gives no permissions in this workspace."));

  g_ptr_array_add (sentences, NULL);
  return g_strjoinv (" ", (char **) sentences->pdata);
}

/* The person */

static char *
dup_account_name (void)
{
  const char *name = g_get_real_name ();

  if (name == NULL || name[0] == '\0' || g_str_equal (name, "Unknown"))
    name = g_get_user_name ();

  return g_strdup (name);
}

/* Shows under the row why @text cannot be recorded, with the rule it breaks. Returns whether
 * @text may be saved: an empty name, which means the account's, or one the records accept. */
static gboolean
check_name (DrPreferencesWindow *self,
            const char          *text)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  g_autofree char *normalized = NULL;
  g_autoptr(GError) error = NULL;

  /* The same check as every write of the engine, so a saved name is never rejected later. */
  if (stripped[0] != '\0')
    normalized = dr_identity_normalize_name (text, &error);

  if (error != NULL) {
    gtk_label_set_text (self->name_error_label, error->message);
    gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
    gtk_accessible_update_state (GTK_ACCESSIBLE (self->name_row), GTK_ACCESSIBLE_STATE_INVALID,
                                 GTK_ACCESSIBLE_INVALID_TRUE, -1);
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->name_row),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, error->message, -1);
  } else {
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
    gtk_accessible_reset_state (GTK_ACCESSIBLE (self->name_row), GTK_ACCESSIBLE_STATE_INVALID);
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self->name_row),
                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  }
  gtk_widget_set_visible (GTK_WIDGET (self->name_error_label), error != NULL);

  return error == NULL;
}

/* Saves the name as typed once it is valid. An invalid name is not saved, so the settings keep
 * the last valid one. */
static void
name_changed_cb (DrPreferencesWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  g_autofree char *stored = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->name_hint_label), text[0] == '\0');

  if (self->updating_name || !check_name (self, text))
    return;

  stored = g_settings_get_string (self->settings, "person-name");
  if (g_strcmp0 (stored, text) == 0)
    return;

  self->updating_name = TRUE;
  g_settings_set_string (self->settings, "person-name", text);
  self->updating_name = FALSE;
}

static void
person_name_changed_cb (DrPreferencesWindow *self)
{
  g_autofree char *name = NULL;

  if (self->updating_name)
    return;

  name = g_settings_get_string (self->settings, "person-name");
  if (g_strcmp0 (name, gtk_editable_get_text (GTK_EDITABLE (self->name_row))) != 0) {
    self->updating_name = TRUE;
    gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
    self->updating_name = FALSE;
  }

  /* A name saved by an older version or by hand may be invalid too. */
  check_name (self, name);
}

/* Roles */

static void
update_role_checks (DrPreferencesWindow *self)
{
  g_auto(GStrv) roles = g_settings_get_strv (self->settings, "roles");

  self->updating_roles = TRUE;
  for (guint i = 0; i < self->role_rows->len; i++) {
    RoleRow *role_row = g_ptr_array_index (self->role_rows, i);

    gtk_check_button_set_active (role_row->check,
                                 g_strv_contains ((const char * const *) roles,
                                                  role_row->role->id));
  }
  self->updating_roles = FALSE;
}

static void
role_toggled_cb (DrPreferencesWindow *self,
                 GtkCheckButton      *check)
{
  g_auto(GStrv) old_roles = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) roles = NULL;

  if (self->updating_roles)
    return;

  old_roles = g_settings_get_strv (self->settings, "roles");
  builder = g_strv_builder_new ();

  /* Role ids that this workspace does not know are kept, since another workspace may. */
  for (guint i = 0; old_roles[i] != NULL; i++) {
    if (dr_workspace_get_role (self->workspace, old_roles[i]) == NULL)
      g_strv_builder_add (builder, old_roles[i]);
  }

  for (guint i = 0; i < self->role_rows->len; i++) {
    RoleRow *role_row = g_ptr_array_index (self->role_rows, i);

    if (gtk_check_button_get_active (role_row->check))
      g_strv_builder_add (builder, role_row->role->id);
  }

  roles = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "roles", (const char * const *) roles);
}

static void
add_role_rows (DrPreferencesWindow *self)
{
  GPtrArray *roles;

  if (self->workspace == NULL) {
    adw_preferences_group_set_description (self->roles_group,
                                           _("No workspace is loaded, so there are no roles to "
                                             "choose from."));
    return;
  }

  roles = dr_workspace_get_roles (self->workspace);
  for (guint i = 0; i < roles->len; i++) {
    const DrRole *role = g_ptr_array_index (roles, i);
    g_autofree char *subtitle = describe_role (self->workspace, role);
    GtkWidget *row = adw_action_row_new ();
    GtkWidget *check = gtk_check_button_new ();
    RoleRow *role_row;

    adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), role->title);
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
    gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
    adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
    adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
    gtk_widget_set_name (row, role->id);
    g_signal_connect_object (check, "toggled", G_CALLBACK (role_toggled_cb), self,
                             G_CONNECT_SWAPPED);

    role_row = g_new0 (RoleRow, 1);
    role_row->role = role;
    role_row->check = GTK_CHECK_BUTTON (check);
    g_ptr_array_add (self->role_rows, role_row);

    adw_preferences_group_add (self->roles_group, row);
  }

  update_role_checks (self);
}

/* Service clones */

static void
set_clone_state (CloneRow   *clone_row,
                 const char *icon_name,
                 const char *style_class,
                 const char *subtitle,
                 gboolean    show_copy)
{
  /* Every state has an icon, so the titles stay aligned. */
  gtk_image_set_from_icon_name (clone_row->icon, icon_name);
  gtk_widget_remove_css_class (GTK_WIDGET (clone_row->icon), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (clone_row->icon), "warning");
  gtk_widget_remove_css_class (GTK_WIDGET (clone_row->icon), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (clone_row->icon), style_class);

  adw_action_row_set_subtitle (clone_row->row, subtitle);
  gtk_widget_set_visible (GTK_WIDGET (clone_row->copy_button), show_copy);
}

typedef struct
{
  DrPreferencesWindow *self;
  GCancellable        *cancellable;
  CloneRow            *clone_row;
} CloneQuery;

static void
clone_query_free (CloneQuery *query)
{
  g_object_unref (query->self);
  g_object_unref (query->cancellable);
  g_free (query);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CloneQuery, clone_query_free)

static void
clone_queried_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CloneQuery) query = user_data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  CloneRow *clone_row = query->clone_row;
  g_autofree char *subtitle = NULL;

  info = g_file_query_info_finish (G_FILE (object), result, &error);
  if (g_cancellable_is_cancelled (query->cancellable))
    return;

  if (info != NULL && g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY) {
    /* Translators: %s is a folder. */
    subtitle = g_strdup_printf (_("Found at %s"), clone_row->path);
    set_clone_state (clone_row, "emblem-ok-symbolic", "success", subtitle, FALSE);
  } else if (info != NULL) {
    /* Translators: %s is a path. */
    subtitle = g_strdup_printf (_("Not a folder: %s. Move that file away and clone the "
                                  "repository there."),
                                clone_row->path);
    set_clone_state (clone_row, "dialog-warning-symbolic", "warning", subtitle, TRUE);
  } else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
    /* Translators: the first %s is a repository URL, the second a folder. */
    subtitle = g_strdup_printf (_("Not found: clone %s into %s"),
                                clone_row->service->repository, clone_row->path);
    set_clone_state (clone_row, "dialog-warning-symbolic", "warning", subtitle, TRUE);
  } else {
    /* Translators: the first %s is a folder, the second an error message. */
    subtitle = g_strdup_printf (_("Could not check %s: %s"), clone_row->path, error->message);
    set_clone_state (clone_row, "dialog-warning-symbolic", "warning", subtitle, FALSE);
  }
}

static void
set_clones_waiting (DrPreferencesWindow *self,
                    const char          *subtitle)
{
  for (guint i = 0; i < self->clone_rows->len; i++) {
    CloneRow *clone_row = g_ptr_array_index (self->clone_rows, i);

    set_clone_state (clone_row, "folder-symbolic", "dim-label", subtitle, FALSE);
  }
}

static void query_clones (DrPreferencesWindow *self,
                          const char          *folder);

typedef struct
{
  DrPreferencesWindow *self;
  GCancellable        *cancellable;
  char                *folder;
} FolderQuery;

static void
folder_query_free (FolderQuery *query)
{
  g_object_unref (query->self);
  g_object_unref (query->cancellable);
  g_free (query->folder);
  g_free (query);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FolderQuery, folder_query_free)

/* Checks the clones only when their folder exists. A missing folder is reported once on the
 * folder row, not as a missing clone on every service's row. */
static void
folder_queried_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FolderQuery) query = user_data;
  DrPreferencesWindow *self = query->self;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *subtitle = NULL;

  info = g_file_query_info_finish (G_FILE (object), result, &error);
  if (g_cancellable_is_cancelled (query->cancellable))
    return;

  if (info != NULL && g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY) {
    gtk_widget_remove_css_class (GTK_WIDGET (self->folder_row), "error");
    query_clones (self, query->folder);
    return;
  }

  if (info != NULL)
    subtitle = dr_clones_folder_describe_problem (query->folder, TRUE);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    subtitle = dr_clones_folder_describe_problem (query->folder, FALSE);
  else
    /* Translators: the first %s is a folder, the second an error message. */
    subtitle = g_strdup_printf (_("Could not check %s: %s"), query->folder, error->message);

  adw_action_row_set_subtitle (self->folder_row, subtitle);
  gtk_widget_add_css_class (GTK_WIDGET (self->folder_row), "error");
  set_clones_waiting (self, _("Choose the folder of your clones first"));
}

static void
check_clones (DrPreferencesWindow *self)
{
  g_autofree char *folder = g_settings_get_string (self->settings, "clones-folder");
  g_autoptr(GFile) file = NULL;
  FolderQuery *query;

  g_cancellable_cancel (self->clones_cancellable);
  g_clear_object (&self->clones_cancellable);
  self->clones_cancellable = g_cancellable_new ();

  adw_action_row_set_subtitle (self->folder_row,
                               folder[0] != '\0' ? folder : _("Not chosen yet"));
  gtk_widget_remove_css_class (GTK_WIDGET (self->folder_row), "error");

  for (guint i = 0; i < self->clone_rows->len; i++) {
    CloneRow *clone_row = g_ptr_array_index (self->clone_rows, i);

    g_clear_pointer (&clone_row->path, g_free);
  }

  if (folder[0] == '\0') {
    set_clones_waiting (self, _("Choose the folder of your clones first"));
    return;
  }

  set_clones_waiting (self, _("Checking…"));

  query = g_new0 (FolderQuery, 1);
  query->self = g_object_ref (self);
  query->cancellable = g_object_ref (self->clones_cancellable);
  query->folder = g_steal_pointer (&folder);

  file = g_file_new_for_path (query->folder);
  g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT, query->cancellable, folder_queried_cb, query);
}

/* The folder may vanish or appear while the window is open, so it is checked again each time
 * the window becomes active. */
static void
window_active_cb (DrPreferencesWindow *self)
{
  if (gtk_window_is_active (GTK_WINDOW (self)))
    check_clones (self);
}

static void
query_clones (DrPreferencesWindow *self,
              const char          *folder)
{
  for (guint i = 0; i < self->clone_rows->len; i++) {
    CloneRow *clone_row = g_ptr_array_index (self->clone_rows, i);
    g_autoptr(GFile) file = NULL;
    CloneQuery *query;

    clone_row->path = g_build_filename (folder, clone_row->service->directory, NULL);

    query = g_new0 (CloneQuery, 1);
    query->self = g_object_ref (self);
    query->cancellable = g_object_ref (self->clones_cancellable);
    query->clone_row = clone_row;

    file = g_file_new_for_path (clone_row->path);
    g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NONE,
                             G_PRIORITY_DEFAULT, query->cancellable, clone_queried_cb, query);
  }
}

static void
copy_clone_command_cb (GtkButton *button,
                       CloneRow  *clone_row)
{
  g_autofree char *command = NULL;
  g_autofree char *repository = NULL;
  g_autofree char *path = NULL;

  if (clone_row->path == NULL)
    return;

  repository = g_shell_quote (clone_row->service->repository);
  path = g_shell_quote (clone_row->path);
  command = g_strdup_printf ("git clone %s %s", repository, path);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), command);
}

static void
add_clone_rows (DrPreferencesWindow *self)
{
  GPtrArray *services;

  if (self->workspace == NULL)
    return;

  services = dr_workspace_get_services (self->workspace);
  for (guint i = 0; i < services->len; i++) {
    const DrService *service = g_ptr_array_index (services, i);
    CloneRow *clone_row = g_new0 (CloneRow, 1);
    g_autofree char *copy_label = NULL;
    GtkWidget *icon;
    GtkWidget *button;

    clone_row->service = service;
    clone_row->row = ADW_ACTION_ROW (adw_action_row_new ());
    adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (clone_row->row), FALSE);
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (clone_row->row), service->title);
    gtk_widget_set_name (GTK_WIDGET (clone_row->row), service->id);

    /* The subtitle gives the same state in words, so screen readers skip the icon. */
    icon = g_object_new (GTK_TYPE_IMAGE, "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                         NULL);
    adw_action_row_add_prefix (clone_row->row, icon);
    clone_row->icon = GTK_IMAGE (icon);

    button = gtk_button_new_from_icon_name ("edit-copy-symbolic");
    gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class (button, "flat");
    gtk_widget_set_tooltip_text (button, _("Copy the Clone Command"));
    /* Translators: %s is a service name. */
    copy_label = g_strdup_printf (_("Copy the command that clones %s"), service->title);
    gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    copy_label, -1);
    g_signal_connect (button, "clicked", G_CALLBACK (copy_clone_command_cb), clone_row);
    adw_action_row_add_suffix (clone_row->row, button);
    clone_row->copy_button = GTK_BUTTON (button);

    g_ptr_array_add (self->clone_rows, clone_row);
    adw_preferences_group_add (self->clones_group, GTK_WIDGET (clone_row->row));
  }
}

static void
folder_chooser_response_cb (DrPreferencesWindow  *self,
                            int                   response,
                            GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);

  if (file == NULL)
    return;

  path = g_file_get_path (file);
  if (path == NULL) {
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                      adw_toast_new (_("Choose a folder on this computer")));
    return;
  }

  g_settings_set_string (self->settings, "clones-folder", path);
}

static void
folder_clicked_cb (DrPreferencesWindow *self)
{
  g_autofree char *folder = NULL;

  if (self->chooser != NULL)
    return;

  self->chooser = gtk_file_chooser_native_new (_("Folder of Service Clones"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                               _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);

  folder = g_settings_get_string (self->settings, "clones-folder");
  if (folder[0] != '\0') {
    g_autoptr(GFile) file = g_file_new_for_path (folder);

    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), file, NULL);
  }

  g_signal_connect_object (self->chooser, "response", G_CALLBACK (folder_chooser_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* Clusters */

/* Returns the workspace's clusters in the order their first environment comes. */
static GStrv
dup_clusters (DrWorkspace *workspace)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *environments;

  if (workspace == NULL)
    return g_strv_builder_end (builder);

  environments = dr_workspace_get_environments (workspace);
  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);

    if (environment->cluster != NULL && g_hash_table_add (seen, environment->cluster))
      g_strv_builder_add (builder, environment->cluster);
  }

  return g_strv_builder_end (builder);
}

/* Describes which environments use a cluster: "Used by Production, namespace dynamo". */
static char *
describe_cluster (DrWorkspace *workspace,
                  const char  *cluster)
{
  GPtrArray *environments = dr_workspace_get_environments (workspace);
  g_autoptr(GPtrArray) titles = g_ptr_array_new ();
  g_autoptr(GPtrArray) namespaces = g_ptr_array_new ();
  g_autofree char *title_list = NULL;
  g_autofree char *namespace_list = NULL;

  for (guint i = 0; i < environments->len; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);

    if (g_strcmp0 (environment->cluster, cluster) != 0)
      continue;

    g_ptr_array_add (titles, environment->title);
    if (environment->namespace != NULL &&
        !g_ptr_array_find_with_equal_func (namespaces, environment->namespace, g_str_equal,
                                           NULL))
      g_ptr_array_add (namespaces, environment->namespace);
  }

  title_list = join_names (titles);
  if (namespaces->len == 0)
    /* Translators: %s is a list of environments. */
    return g_strdup_printf (_("Used by %s"), title_list);

  namespace_list = join_names (namespaces);
  /* Translators: the first %s is a list of environments, the second a list of Kubernetes
   * namespaces. */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Used by %s, namespace %s",
                                       "Used by %s, namespaces %s", namespaces->len),
                          title_list, namespace_list);
}

static void
add_cluster_groups (DrPreferencesWindow *self)
{
  g_auto(GStrv) clusters = dup_clusters (self->workspace);

  if (clusters[0] == NULL) {
    gtk_widget_set_sensitive (GTK_WIDGET (self->import_row), FALSE);
    adw_preferences_group_set_description (self->import_group,
                                           _("The workspace names no clusters, so there are no "
                                             "credentials to set up."));
    return;
  }

  for (guint i = 0; clusters[i] != NULL; i++) {
    g_autofree char *description = describe_cluster (self->workspace, clusters[i]);
    DrClusterGroup *group = dr_cluster_group_new (clusters[i], description);

    g_ptr_array_add (self->cluster_groups, group);
    adw_preferences_page_add (self->clusters_page, ADW_PREFERENCES_GROUP (group));
    dr_cluster_group_reload (group);
  }
}

/* Importing a kubeconfig file */

static void
set_import_status (DrPreferencesWindow *self,
                   gboolean             is_error,
                   const char          *text)
{
  gtk_label_set_text (self->import_status_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->import_status_label), TRUE);

  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->import_status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->import_status_label), "error");
}

static void
import_back_cb (DrPreferencesWindow *self)
{
  adw_preferences_window_close_subpage (ADW_PREFERENCES_WINDOW (self));
}

static void
import_stored_cb (DrPreferencesWindow *self,
                  const char * const  *clusters,
                  DrKubeconfigImport  *page)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autofree char *list = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *text = NULL;

  for (guint i = 0; clusters[i] != NULL; i++) {
    DrClusterGroup *group = dr_preferences_window_get_cluster_group (self, clusters[i]);

    g_ptr_array_add (names, (gpointer) clusters[i]);
    if (group != NULL)
      dr_cluster_group_reload (group);
  }

  list = join_names (names);
  file_name = g_file_get_parse_name (dr_kubeconfig_import_get_file (page));
  /* Translators: the first %s is a list of cluster names, the second a file name. */
  text = g_strdup_printf (_("Stored the credentials of %s in the keyring. The file “%s” was "
                            "not changed."),
                          list, file_name);
  set_import_status (self, FALSE, text);
  adw_preferences_window_close_subpage (ADW_PREFERENCES_WINDOW (self));
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("Credentials imported into the keyring")));
}

/* What the import thread read: the contexts that can be imported and those that cannot. */
typedef struct
{
  GPtrArray *entries;   /* of DrClusterCredentials */
  GPtrArray *skipped;   /* of DrKubeconfigSkipped */
} KubeconfigContents;

static void
kubeconfig_contents_free (KubeconfigContents *contents)
{
  g_clear_pointer (&contents->entries, g_ptr_array_unref);
  g_clear_pointer (&contents->skipped, g_ptr_array_unref);
  g_free (contents);
}

static void
read_kubeconfig_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  const char *path = task_data;
  GError *error = NULL;
  KubeconfigContents *contents = g_new0 (KubeconfigContents, 1);

  contents->entries = dr_kubeconfig_read (path, &contents->skipped, &error);
  if (contents->entries == NULL) {
    kubeconfig_contents_free (contents);
    g_task_return_error (task, error);
  } else {
    g_task_return_pointer (task, contents, (GDestroyNotify) kubeconfig_contents_free);
  }
}

static void
kubeconfig_read_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  DrPreferencesWindow *self = DR_PREFERENCES_WINDOW (object);
  g_autoptr(GFile) file = user_data;
  KubeconfigContents *contents;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) clusters = NULL;
  DrKubeconfigImport *page;

  contents = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_cancellable_is_cancelled (self->cancellable)) {
    g_clear_pointer (&contents, kubeconfig_contents_free);
    return;
  }

  gtk_widget_set_sensitive (GTK_WIDGET (self->import_row), TRUE);

  if (contents == NULL) {
    set_import_status (self, TRUE, error->message);
    return;
  }

  gtk_widget_set_visible (GTK_WIDGET (self->import_status_label), FALSE);

  clusters = dup_clusters (self->workspace);
  page = dr_kubeconfig_import_new (file, contents->entries, contents->skipped,
                                   (const char * const *) clusters);
  kubeconfig_contents_free (contents);
  g_signal_connect_object (page, "back", G_CALLBACK (import_back_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (page, "stored", G_CALLBACK (import_stored_cb), self,
                           G_CONNECT_SWAPPED);
  adw_preferences_window_present_subpage (ADW_PREFERENCES_WINDOW (self), GTK_WIDGET (page));
}

static void
import_chooser_response_cb (DrPreferencesWindow  *self,
                            int                   response,
                            GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);

  if (file != NULL)
    dr_preferences_window_import_kubeconfig (self, file);
}

static void
import_activated_cb (DrPreferencesWindow *self)
{
  g_autofree char *kube_folder = NULL;

  if (self->chooser != NULL)
    return;

  self->chooser = gtk_file_chooser_native_new (_("Import kubeconfig"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);

  kube_folder = g_build_filename (g_get_home_dir (), ".kube", NULL);
  if (g_file_test (kube_folder, G_FILE_TEST_IS_DIR)) {
    g_autoptr(GFile) folder = g_file_new_for_path (kube_folder);

    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), folder, NULL);
  }

  g_signal_connect_object (self->chooser, "response", G_CALLBACK (import_chooser_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* GObject */

static void
dr_preferences_window_constructed (GObject *object)
{
  DrPreferencesWindow *self = DR_PREFERENCES_WINDOW (object);
  g_autofree char *account_name = dup_account_name ();

  G_OBJECT_CLASS (dr_preferences_window_parent_class)->constructed (object);

  gtk_label_set_text (self->name_hint_label, account_name);
  /* The message quotes the name, which hyphenation would change. */
  dr_label_wrap_anywhere (self->name_error_label);
  g_signal_connect_object (self->settings, "changed::person-name",
                           G_CALLBACK (person_name_changed_cb), self, G_CONNECT_SWAPPED);
  person_name_changed_cb (self);
  name_changed_cb (self);

  add_role_rows (self);
  g_signal_connect_object (self->settings, "changed::roles", G_CALLBACK (update_role_checks),
                           self, G_CONNECT_SWAPPED);

  add_clone_rows (self);
  g_signal_connect_object (self->settings, "changed::clones-folder", G_CALLBACK (check_clones),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::is-active", G_CALLBACK (window_active_cb), NULL);
  check_clones (self);

  add_cluster_groups (self);
}

static void
dr_preferences_window_dispose (GObject *object)
{
  DrPreferencesWindow *self = DR_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->clones_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_pointer (&self->cluster_groups, g_ptr_array_unref);

  G_OBJECT_CLASS (dr_preferences_window_parent_class)->dispose (object);
}

static void
dr_preferences_window_finalize (GObject *object)
{
  DrPreferencesWindow *self = DR_PREFERENCES_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->clones_cancellable);
  g_clear_pointer (&self->role_rows, g_ptr_array_unref);
  g_clear_pointer (&self->clone_rows, g_ptr_array_unref);
  g_clear_object (&self->settings);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (dr_preferences_window_parent_class)->finalize (object);
}

static void
dr_preferences_window_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  DrPreferencesWindow *self = DR_PREFERENCES_WINDOW (object);

  switch (prop_id) {
  case PROP_SETTINGS:
    g_value_set_object (value, self->settings);
    break;
  case PROP_WORKSPACE:
    g_value_set_object (value, self->workspace);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_preferences_window_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  DrPreferencesWindow *self = DR_PREFERENCES_WINDOW (object);

  switch (prop_id) {
  case PROP_SETTINGS:
    self->settings = g_value_dup_object (value);
    break;
  case PROP_WORKSPACE:
    self->workspace = g_value_dup_object (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_preferences_window_class_init (DrPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = dr_preferences_window_constructed;
  object_class->dispose = dr_preferences_window_dispose;
  object_class->finalize = dr_preferences_window_finalize;
  object_class->get_property = dr_preferences_window_get_property;
  object_class->set_property = dr_preferences_window_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL, DR_TYPE_WORKSPACE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (DR_TYPE_CLUSTER_GROUP);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynamorelease/DynamoRelease/"
                                               "dr-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DrPreferencesWindow, general_page);
  gtk_widget_class_bind_template_child (widget_class, DrPreferencesWindow, name_row);
  gtk_widget_class_bind_template_child (widget_class, DrPreferencesWindow, name_hint_label);
  gtk_widget_class_bind_template_child (widget_class, DrPreferencesWindow, name_error_label);
  gtk_widget_class_bind_template_child (widget_class, DrPreferencesWindow, roles_group);
  gtk_widget_class_bind_template_child (widget_class, DrPreferencesWindow, clones_group);
  gtk_widget_class_bind_template_child (widget_class, DrPreferencesWindow, folder_row);
  gtk_widget_class_bind_template_child (widget_class, DrPreferencesWindow, folder_button);
  gtk_widget_class_bind_template_child (widget_class, DrPreferencesWindow, clusters_page);
  gtk_widget_class_bind_template_child (widget_class, DrPreferencesWindow, import_group);
  gtk_widget_class_bind_template_child (widget_class, DrPreferencesWindow, import_row);
  gtk_widget_class_bind_template_child (widget_class, DrPreferencesWindow, import_status_label);
  gtk_widget_class_bind_template_callback (widget_class, name_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, folder_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, import_activated_cb);
}

static void
dr_preferences_window_init (DrPreferencesWindow *self)
{
  self->cancellable = g_cancellable_new ();
  self->role_rows = g_ptr_array_new_with_free_func (g_free);
  self->clone_rows = g_ptr_array_new_with_free_func ((GDestroyNotify) clone_row_free);
  self->cluster_groups = g_ptr_array_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * dr_preferences_window_new:
 * @settings: the application's settings
 * @workspace: (nullable): the open workspace, or NULL when none could be loaded
 *
 * Creates the window. Each cluster's credentials are looked up in the keyring as it opens.
 */
DrPreferencesWindow *
dr_preferences_window_new (GSettings   *settings,
                           DrWorkspace *workspace)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (workspace == NULL || DR_IS_WORKSPACE (workspace), NULL);

  return g_object_new (DR_TYPE_PREFERENCES_WINDOW,
                       "settings", settings,
                       "workspace", workspace,
                       NULL);
}

/**
 * dr_preferences_window_show_cluster:
 * @cluster: a cluster name of the workspace
 *
 * Shows the Clusters page with the keyboard focus in @cluster's first field, for example after
 * a run failed because the cluster has no credentials.
 */
void
dr_preferences_window_show_cluster (DrPreferencesWindow *self,
                                    const char          *cluster)
{
  DrClusterGroup *group;

  g_return_if_fail (DR_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (cluster != NULL);

  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (self),
                                           ADW_PREFERENCES_PAGE (self->clusters_page));

  group = dr_preferences_window_get_cluster_group (self, cluster);
  if (group != NULL)
    dr_cluster_group_focus (group);
}

/* Returns the group of @cluster, or NULL when no environment of the workspace uses it. */
DrClusterGroup *
dr_preferences_window_get_cluster_group (DrPreferencesWindow *self,
                                         const char          *cluster)
{
  g_return_val_if_fail (DR_IS_PREFERENCES_WINDOW (self), NULL);
  g_return_val_if_fail (cluster != NULL, NULL);

  for (guint i = 0; self->cluster_groups != NULL && i < self->cluster_groups->len; i++) {
    DrClusterGroup *group = g_ptr_array_index (self->cluster_groups, i);

    if (g_str_equal (dr_cluster_group_get_cluster (group), cluster))
      return group;
  }

  return NULL;
}

/**
 * dr_preferences_window_import_kubeconfig:
 * @file: a kubeconfig file
 *
 * Reads @file in a thread and shows a page that maps each of its contexts to a workspace
 * cluster and stores the chosen credentials in the keyring. An unreadable or invalid file is
 * reported on the Clusters page. The file is never written.
 */
void
dr_preferences_window_import_kubeconfig (DrPreferencesWindow *self,
                                         GFile               *file)
{
  g_autoptr(GTask) task = NULL;
  char *path;

  g_return_if_fail (DR_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (self),
                                           ADW_PREFERENCES_PAGE (self->clusters_page));

  path = g_file_get_path (file);
  if (path == NULL) {
    set_import_status (self, TRUE, _("The kubeconfig file is not on this computer. Copy it to a "
                                     "local folder, then import it from there."));
    return;
  }

  gtk_widget_set_sensitive (GTK_WIDGET (self->import_row), FALSE);

  task = g_task_new (self, self->cancellable, kubeconfig_read_cb, g_object_ref (file));
  g_task_set_source_tag (task, dr_preferences_window_import_kubeconfig);
  g_task_set_task_data (task, path, g_free);
  g_task_run_in_thread (task, read_kubeconfig_thread);
}
