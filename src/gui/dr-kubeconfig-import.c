/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-credentials.h"
#include "dr-kubeconfig-import.h"

/* Position 0 of every row's list is "Do not import", and position i + 1 is clusters[i]. */
#define CHOICE_SKIP 0

struct _DrKubeconfigImport
{
  GtkWidget       parent_instance;

  GFile          *file;
  GPtrArray      *entries;    /* of DrClusterCredentials, as read from the file */
  GPtrArray      *skipped;    /* of DrKubeconfigSkipped: contexts that cannot be imported */
  GStrv           clusters;   /* the workspace's clusters */
  GPtrArray      *rows;       /* of AdwComboRow, one per entry */
  GCancellable   *cancellable;
  GPtrArray      *queue;      /* of DrClusterCredentials still to store */
  GPtrArray      *stored;     /* of char *, the clusters stored so far */

  AdwWindowTitle *window_title;
  AdwPreferencesGroup *entries_group;
  GtkLabel       *status_label;
  GtkButton      *store_button;
  GtkSpinner     *store_spinner;
};

G_DEFINE_FINAL_TYPE (DrKubeconfigImport, dr_kubeconfig_import, GTK_TYPE_WIDGET)

enum {
  STORED,
  BACK,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_status (DrKubeconfigImport *self,
            gboolean            is_error,
            const char         *text)
{
  gtk_label_set_text (self->status_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL && text[0] != '\0');

  if (is_error) {
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "dim-label");
  } else {
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "dim-label");
  }
}

static gboolean
is_busy (DrKubeconfigImport *self)
{
  return self->queue != NULL;
}

/* Checks the choices: at least one entry is imported, and no workspace cluster is chosen for
 * two entries. */
static void
update_choices (DrKubeconfigImport *self)
{
  g_autoptr(GHashTable) chosen = g_hash_table_new (g_str_hash, g_str_equal);
  const char *duplicate = NULL;

  if (is_busy (self))
    return;

  for (guint i = 0; i < self->rows->len; i++) {
    AdwComboRow *row = g_ptr_array_index (self->rows, i);
    const char *cluster = dr_kubeconfig_import_get_choice (self, i);

    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");

    if (cluster == NULL)
      continue;
    if (!g_hash_table_add (chosen, (gpointer) cluster) && duplicate == NULL)
      duplicate = cluster;
  }

  if (duplicate != NULL) {
    g_autofree char *text = NULL;

    /* Translators: %s is a cluster name. */
    text = g_strdup_printf (_("Two contexts are mapped to cluster %s. Choose each workspace "
                              "cluster for one context only."),
                            duplicate);
    set_status (self, TRUE, text);
    gtk_widget_set_sensitive (GTK_WIDGET (self->store_button), FALSE);
    return;
  }

  if (g_hash_table_size (chosen) == 0) {
    set_status (self, FALSE, _("Choose a workspace cluster for at least one context."));
    gtk_widget_set_sensitive (GTK_WIDGET (self->store_button), FALSE);
    return;
  }

  set_status (self, FALSE, NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->store_button), TRUE);
}

static void
set_busy (DrKubeconfigImport *self,
          gboolean            busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->store_spinner), busy);
  if (busy)
    gtk_spinner_start (self->store_spinner);
  else
    gtk_spinner_stop (self->store_spinner);

  gtk_widget_set_sensitive (GTK_WIDGET (self->store_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->entries_group), !busy);
}

static void store_next (DrKubeconfigImport *self);

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(DrKubeconfigImport) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean stored;

  stored = dr_credentials_store_finish (result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  if (!stored) {
    DrClusterCredentials *failed = g_ptr_array_index (self->queue, 0);
    g_autoptr(GString) text = g_string_new (error->message);

    if (self->stored->len > 0) {
      g_autofree char *list = NULL;

      g_ptr_array_add (self->stored, NULL);
      list = g_strjoinv (", ", (char **) self->stored->pdata);
      g_ptr_array_remove_index (self->stored, self->stored->len - 1);
      g_string_append_c (text, ' ');
      /* Translators: the first %s is a list of cluster names, the second a cluster name. */
      g_string_append_printf (text, _("Already stored: %s. Not stored: %s and the clusters "
                                      "after it."),
                              list, failed->cluster);
    }

    g_clear_pointer (&self->queue, g_ptr_array_unref);
    set_busy (self, FALSE);
    set_status (self, TRUE, text->str);
    return;
  }

  g_ptr_array_add (self->stored,
                   g_strdup (((DrClusterCredentials *) g_ptr_array_index (self->queue, 0))->cluster));
  g_ptr_array_remove_index (self->queue, 0);
  store_next (self);
}

static void
store_next (DrKubeconfigImport *self)
{
  g_assert (self->queue != NULL);

  if (self->queue->len == 0) {
    g_clear_pointer (&self->queue, g_ptr_array_unref);
    set_busy (self, FALSE);
    set_status (self, FALSE, NULL);

    g_ptr_array_add (self->stored, NULL);
    g_signal_emit (self, signals[STORED], 0, (const char * const *) self->stored->pdata);
    g_ptr_array_remove_index (self->stored, self->stored->len - 1);
    return;
  }

  dr_credentials_store_async (g_ptr_array_index (self->queue, 0), self->cancellable, store_cb,
                              g_object_ref (self));
}

static void
store_clicked_cb (DrKubeconfigImport *self)
{
  g_autoptr(GPtrArray) queue = NULL;

  if (is_busy (self))
    return;

  queue = g_ptr_array_new_with_free_func ((GDestroyNotify) dr_cluster_credentials_free);

  /* Every chosen entry is validated before any is stored, so that a bad entry stores none. */
  for (guint i = 0; i < self->entries->len; i++) {
    const DrClusterCredentials *entry = g_ptr_array_index (self->entries, i);
    const char *cluster = dr_kubeconfig_import_get_choice (self, i);
    g_autoptr(DrClusterCredentials) credentials = NULL;
    g_autoptr(GError) error = NULL;

    if (cluster == NULL)
      continue;

    credentials = dr_cluster_credentials_copy (entry);
    g_free (credentials->cluster);
    credentials->cluster = g_strdup (cluster);

    if (!dr_cluster_credentials_validate (credentials, &error)) {
      g_autofree char *text = NULL;
      GtkWidget *row = g_ptr_array_index (self->rows, i);

      /* Translators: the first %s is a cluster name from the kubeconfig file, the second an
       * error message. */
      text = g_strdup_printf (_("The entry for %s cannot be stored: %s"), entry->cluster,
                              error->message);
      set_status (self, TRUE, text);
      gtk_widget_add_css_class (row, "error");
      gtk_widget_grab_focus (row);
      return;
    }

    g_ptr_array_add (queue, g_steal_pointer (&credentials));
  }

  if (queue->len == 0)
    return;

  g_ptr_array_set_size (self->stored, 0);
  self->queue = g_steal_pointer (&queue);
  set_busy (self, TRUE);
  set_status (self, FALSE, _("Storing in the keyring…"));
  store_next (self);
}

static void
back_clicked_cb (DrKubeconfigImport *self)
{
  g_signal_emit (self, signals[BACK], 0);
}

static char *
describe_entry (const DrClusterCredentials *entry)
{
  const char *authentication;

  if (entry->token != NULL)
    authentication = _("token");
  else if (entry->client_certificate != NULL)
    authentication = _("client certificate");
  else
    authentication = _("no credentials");

  /* Translators: the first %s is a server URL, the second how the user authenticates, such as
   * “token”. */
  return g_strdup_printf (_("%s, %s"), entry->server != NULL ? entry->server : _("no server"),
                          authentication);
}

static void
add_rows (DrKubeconfigImport *self)
{
  for (guint i = 0; i < self->entries->len; i++) {
    const DrClusterCredentials *entry = g_ptr_array_index (self->entries, i);
    g_autoptr(GtkStringList) choices = gtk_string_list_new (NULL);
    g_autofree char *subtitle = describe_entry (entry);
    AdwComboRow *row = ADW_COMBO_ROW (adw_combo_row_new ());
    guint selected = CHOICE_SKIP;

    gtk_string_list_append (choices, _("Do not import"));
    for (guint j = 0; self->clusters[j] != NULL; j++) {
      gtk_string_list_append (choices, self->clusters[j]);
      if (g_strcmp0 (self->clusters[j], entry->cluster) == 0)
        selected = j + 1;
    }

    adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), entry->cluster);
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
    adw_combo_row_set_model (row, G_LIST_MODEL (choices));
    adw_combo_row_set_selected (row, selected);
    g_signal_connect_object (row, "notify::selected", G_CALLBACK (update_choices), self,
                             G_CONNECT_SWAPPED);

    g_ptr_array_add (self->rows, row);
    adw_preferences_group_add (self->entries_group, GTK_WIDGET (row));
  }
}

/* Lists the contexts that cannot be imported below the others, each with the reason. */
static void
add_skipped_rows (DrKubeconfigImport *self)
{
  for (guint i = 0; self->skipped != NULL && i < self->skipped->len; i++) {
    const DrKubeconfigSkipped *context = g_ptr_array_index (self->skipped, i);
    GtkWidget *row = adw_action_row_new ();
    GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
    GtkWidget *label = gtk_label_new (_("Not imported"));
    g_autofree char *title = NULL;

    if (context->cluster != NULL)
      /* Translators: a context name, then its cluster's name. */
      title = g_strdup_printf (_("%s (cluster %s)"), context->context, context->cluster);
    else
      title = g_strdup (context->context);

    adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), context->reason);
    gtk_widget_add_css_class (label, "dim-label");
    adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
    adw_preferences_group_add (self->entries_group, row);
  }
}

static void
dr_kubeconfig_import_dispose (GObject *object)
{
  DrKubeconfigImport *self = DR_KUBECONFIG_IMPORT (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), DR_TYPE_KUBECONFIG_IMPORT);
  /* The header bar and the scrolled window have no ids, so the template leaves them. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_pointer (&self->rows, g_ptr_array_unref);

  G_OBJECT_CLASS (dr_kubeconfig_import_parent_class)->dispose (object);
}

static void
dr_kubeconfig_import_finalize (GObject *object)
{
  DrKubeconfigImport *self = DR_KUBECONFIG_IMPORT (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->file);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_pointer (&self->skipped, g_ptr_array_unref);
  g_clear_pointer (&self->clusters, g_strfreev);
  g_clear_pointer (&self->queue, g_ptr_array_unref);
  g_clear_pointer (&self->stored, g_ptr_array_unref);

  G_OBJECT_CLASS (dr_kubeconfig_import_parent_class)->finalize (object);
}

static void
dr_kubeconfig_import_class_init (DrKubeconfigImportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dr_kubeconfig_import_dispose;
  object_class->finalize = dr_kubeconfig_import_finalize;

  signals[STORED] =
    g_signal_new ("stored", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRV);
  signals[BACK] =
    g_signal_new ("back", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynamorelease/DynamoRelease/"
                                               "dr-kubeconfig-import.ui");
  gtk_widget_class_bind_template_child (widget_class, DrKubeconfigImport, window_title);
  gtk_widget_class_bind_template_child (widget_class, DrKubeconfigImport, entries_group);
  gtk_widget_class_bind_template_child (widget_class, DrKubeconfigImport, status_label);
  gtk_widget_class_bind_template_child (widget_class, DrKubeconfigImport, store_button);
  gtk_widget_class_bind_template_child (widget_class, DrKubeconfigImport, store_spinner);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, store_clicked_cb);
}

static void
dr_kubeconfig_import_init (DrKubeconfigImport *self)
{
  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new ();
  self->stored = g_ptr_array_new_with_free_func (g_free);

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);
}

/**
 * dr_kubeconfig_import_new:
 * @file: the kubeconfig file the entries were read from
 * @entries: (element-type DrClusterCredentials): from dr_kubeconfig_read()
 * @skipped: (element-type DrKubeconfigSkipped) (nullable): the contexts that
 *   dr_kubeconfig_read() could not import
 * @clusters: the workspace's cluster names
 *
 * Creates the page with one row per entry. An entry whose cluster has a workspace cluster's
 * name is preselected for it. Each skipped context gets a row with the reason it is not
 * imported.
 */
DrKubeconfigImport *
dr_kubeconfig_import_new (GFile              *file,
                          GPtrArray          *entries,
                          GPtrArray          *skipped,
                          const char * const *clusters)
{
  DrKubeconfigImport *self;
  g_autofree char *basename = NULL;
  g_autofree char *description = NULL;
  g_autofree char *escaped = NULL;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (entries != NULL, NULL);
  g_return_val_if_fail (clusters != NULL, NULL);

  self = g_object_new (DR_TYPE_KUBECONFIG_IMPORT, NULL);
  self->file = g_object_ref (file);
  self->entries = g_ptr_array_ref (entries);
  self->skipped = skipped != NULL ? g_ptr_array_ref (skipped) : NULL;
  self->clusters = g_strdupv ((char **) clusters);

  basename = g_file_get_basename (file);
  adw_window_title_set_subtitle (self->window_title, basename);

  /* Translators: %s is a file name. */
  description = g_strdup_printf (_("Choose the workspace cluster for each context of “%s”. "
                                   "Its credentials are copied into the keyring, replacing "
                                   "those stored for that cluster. The file is not changed."),
                                 basename);
  escaped = g_markup_escape_text (description, -1);
  adw_preferences_group_set_description (self->entries_group, escaped);

  add_rows (self);
  add_skipped_rows (self);
  update_choices (self);

  return self;
}

GFile *
dr_kubeconfig_import_get_file (DrKubeconfigImport *self)
{
  g_return_val_if_fail (DR_IS_KUBECONFIG_IMPORT (self), NULL);

  return self->file;
}

guint
dr_kubeconfig_import_get_n_entries (DrKubeconfigImport *self)
{
  g_return_val_if_fail (DR_IS_KUBECONFIG_IMPORT (self), 0);

  return self->entries->len;
}

guint
dr_kubeconfig_import_get_n_skipped (DrKubeconfigImport *self)
{
  g_return_val_if_fail (DR_IS_KUBECONFIG_IMPORT (self), 0);

  return self->skipped != NULL ? self->skipped->len : 0;
}

/* Returns the workspace cluster chosen for entry @index, or NULL when it is not imported. */
const char *
dr_kubeconfig_import_get_choice (DrKubeconfigImport *self,
                                 guint               index)
{
  guint selected;

  g_return_val_if_fail (DR_IS_KUBECONFIG_IMPORT (self), NULL);
  g_return_val_if_fail (index < self->rows->len, NULL);

  selected = adw_combo_row_get_selected (g_ptr_array_index (self->rows, index));
  if (selected == CHOICE_SKIP || selected == GTK_INVALID_LIST_POSITION ||
      selected > g_strv_length (self->clusters))
    return NULL;

  return self->clusters[selected - 1];
}

/* Chooses workspace cluster @cluster for entry @index, or not to import it when NULL. */
void
dr_kubeconfig_import_set_choice (DrKubeconfigImport *self,
                                 guint               index,
                                 const char         *cluster)
{
  guint selected = CHOICE_SKIP;

  g_return_if_fail (DR_IS_KUBECONFIG_IMPORT (self));
  g_return_if_fail (index < self->rows->len);

  for (guint j = 0; cluster != NULL && self->clusters[j] != NULL; j++) {
    if (g_str_equal (self->clusters[j], cluster))
      selected = j + 1;
  }

  adw_combo_row_set_selected (g_ptr_array_index (self->rows, index), selected);
}

gboolean
dr_kubeconfig_import_get_busy (DrKubeconfigImport *self)
{
  g_return_val_if_fail (DR_IS_KUBECONFIG_IMPORT (self), FALSE);

  return is_busy (self);
}
