/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dr-cluster-fields.h"
#include "dr-cluster-group.h"
#include "dr-kube-client.h"

typedef enum
{
  STATUS_NORMAL,
  STATUS_SUCCESS,
  STATUS_ERROR,
} StatusKind;

struct _DrClusterGroup
{
  AdwPreferencesGroup   parent_instance;

  char                 *cluster;
  char                 *certificate_authority;  /* PEM, or NULL for the system's CAs */
  char                 *client_certificate;     /* PEM kept from the keyring or an import */
  char                 *client_key;             /* secret, cleared before it is freed */
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;
  gboolean              stored;
  guint                 busy;                   /* keyring and network requests in flight */
  gboolean              filling;                /* fields are being set by the code */

  GtkButton            *remove_button;
  AdwEntryRow          *server_row;
  AdwPreferencesRow    *server_message_row;
  GtkLabel             *server_message_label;
  AdwPasswordEntryRow  *token_row;
  AdwPreferencesRow    *token_message_row;
  GtkLabel             *token_message_label;
  AdwActionRow         *certificate_row;
  GtkButton            *certificate_choose_button;
  GtkButton            *certificate_clear_button;
  AdwPreferencesRow    *certificate_message_row;
  GtkLabel             *certificate_message_label;
  AdwActionRow         *client_certificate_row;
  AdwPreferencesRow    *client_certificate_message_row;
  GtkLabel             *client_certificate_message_label;
  GtkSwitch            *insecure_switch;
  GtkLabel             *status_label;
  GtkButton            *test_button;
  GtkSpinner           *test_spinner;
  GtkButton            *save_button;
  GtkSpinner           *save_spinner;
  GtkLabel             *connection_label;
};

G_DEFINE_FINAL_TYPE (DrClusterGroup, dr_cluster_group, ADW_TYPE_PREFERENCES_GROUP)

enum {
  PROP_0,
  PROP_CLUSTER,
  PROP_STORED,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clear_secret (char **secret)
{
  if (*secret == NULL)
    return;

  explicit_bzero (*secret, strlen (*secret));
  g_clear_pointer (secret, g_free);
}

static void
set_label_class (GtkWidget  *label,
                 StatusKind  kind)
{
  if (kind == STATUS_ERROR)
    gtk_widget_add_css_class (label, "error");
  else
    gtk_widget_remove_css_class (label, "error");

  if (kind == STATUS_SUCCESS)
    gtk_widget_add_css_class (label, "success");
  else
    gtk_widget_remove_css_class (label, "success");

  if (kind == STATUS_NORMAL)
    gtk_widget_add_css_class (label, "dim-label");
  else
    gtk_widget_remove_css_class (label, "dim-label");
}

static void
set_status (DrClusterGroup *self,
            StatusKind      kind,
            const char     *text)
{
  gtk_label_set_text (self->status_label, text);
  set_label_class (GTK_WIDGET (self->status_label), kind);
}

static void
set_stored (DrClusterGroup *self,
            gboolean        stored)
{
  stored = !!stored;
  gtk_widget_set_sensitive (GTK_WIDGET (self->remove_button), stored);

  if (self->stored == stored)
    return;

  self->stored = stored;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORED]);
}

static void
busy_begin (DrClusterGroup *self,
            GtkSpinner     *spinner)
{
  self->busy++;

  if (spinner != NULL) {
    gtk_widget_set_visible (GTK_WIDGET (spinner), TRUE);
    gtk_spinner_start (spinner);
  }

  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->remove_button), FALSE);

  if (self->busy == 1)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
busy_end (DrClusterGroup *self,
          GtkSpinner     *spinner)
{
  g_assert (self->busy > 0);

  self->busy--;

  if (spinner != NULL) {
    gtk_spinner_stop (spinner);
    gtk_widget_set_visible (GTK_WIDGET (spinner), FALSE);
  }

  if (self->busy > 0)
    return;

  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->remove_button), self->stored);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* Field messages */

static void
set_field_message (GtkWidget         *field,
                   AdwPreferencesRow *message_row,
                   GtkLabel          *message_label,
                   const char        *message)
{
  gboolean invalid = message != NULL;

  gtk_label_set_text (message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (message_row), invalid);

  if (invalid)
    gtk_widget_add_css_class (field, "error");
  else
    gtk_widget_remove_css_class (field, "error");

  gtk_accessible_update_state (GTK_ACCESSIBLE (field), GTK_ACCESSIBLE_STATE_INVALID,
                               invalid ? GTK_ACCESSIBLE_INVALID_TRUE
                                       : GTK_ACCESSIBLE_INVALID_FALSE,
                               -1);
  if (invalid)
    gtk_accessible_update_relation (GTK_ACCESSIBLE (field), GTK_ACCESSIBLE_RELATION_ERROR_MESSAGE,
                                    message_label, -1);
  else
    gtk_accessible_reset_relation (GTK_ACCESSIBLE (field), GTK_ACCESSIBLE_RELATION_ERROR_MESSAGE);
}

static void
show_field_message (DrClusterGroup *self,
                    DrClusterField  field,
                    const char     *message)
{
  switch (field) {
  case DR_CLUSTER_FIELD_SERVER:
    set_field_message (GTK_WIDGET (self->server_row), self->server_message_row,
                       self->server_message_label, message);
    break;
  case DR_CLUSTER_FIELD_TOKEN:
    set_field_message (GTK_WIDGET (self->token_row), self->token_message_row,
                       self->token_message_label, message);
    break;
  case DR_CLUSTER_FIELD_CERTIFICATE_AUTHORITY:
    set_field_message (GTK_WIDGET (self->certificate_row), self->certificate_message_row,
                       self->certificate_message_label, message);
    break;
  case DR_CLUSTER_FIELD_CLIENT_CERTIFICATE:
    set_field_message (GTK_WIDGET (self->client_certificate_row),
                       self->client_certificate_message_row,
                       self->client_certificate_message_label, message);
    break;
  case DR_CLUSTER_FIELD_NONE:
  default:
    break;
  }
}

static void
clear_field_messages (DrClusterGroup *self)
{
  show_field_message (self, DR_CLUSTER_FIELD_SERVER, NULL);
  show_field_message (self, DR_CLUSTER_FIELD_TOKEN, NULL);
  show_field_message (self, DR_CLUSTER_FIELD_CERTIFICATE_AUTHORITY, NULL);
  show_field_message (self, DR_CLUSTER_FIELD_CLIENT_CERTIFICATE, NULL);
}

/* Credentials from the fields */

static DrClusterCredentials *
collect_credentials (DrClusterGroup *self)
{
  DrClusterCredentials *credentials = dr_cluster_credentials_new (self->cluster);
  g_autofree char *server = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->server_row)));
  char *token = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->token_row)));

  g_strstrip (server);
  g_strstrip (token);

  credentials->server = g_steal_pointer (&server);
  if (token[0] != '\0')
    credentials->token = token;
  else
    g_free (token);
  credentials->certificate_authority = g_strdup (self->certificate_authority);
  credentials->client_certificate = g_strdup (self->client_certificate);
  credentials->client_key = g_strdup (self->client_key);
  credentials->insecure_skip_tls_verify = gtk_switch_get_active (self->insecure_switch);

  return credentials;
}

/* Validates the fields and shows the message next to the field it is about. */
static gboolean
check_fields (DrClusterGroup             *self,
              const DrClusterCredentials *credentials)
{
  g_autoptr(GError) error = NULL;
  DrClusterField field;

  clear_field_messages (self);

  if (dr_cluster_credentials_validate (credentials, &error))
    return TRUE;

  field = dr_cluster_fields_find_invalid (credentials);
  if (field == DR_CLUSTER_FIELD_NONE)
    set_status (self, STATUS_ERROR, error->message);
  else
    show_field_message (self, field, error->message);

  return FALSE;
}

static void
update_certificate_rows (DrClusterGroup *self)
{
  if (self->certificate_authority == NULL) {
    adw_action_row_set_subtitle (self->certificate_row,
                                 _("The system’s certificate authorities"));
  } else {
    g_autoptr(GError) error = NULL;
    g_autofree char *description = dr_cluster_fields_describe_certificates (self->certificate_authority, &error);

    if (description == NULL)
      /* Translators: %s is why the certificate cannot be used. */
      description = g_strdup_printf (_("Not usable: %s"), error->message);
    adw_action_row_set_subtitle (self->certificate_row, description);
  }
  gtk_widget_set_visible (GTK_WIDGET (self->certificate_clear_button),
                          self->certificate_authority != NULL);

  gtk_widget_set_visible (GTK_WIDGET (self->client_certificate_row),
                          self->client_certificate != NULL || self->client_key != NULL);
  if (self->client_certificate != NULL) {
    g_autoptr(GError) error = NULL;
    g_autofree char *description = dr_cluster_fields_describe_certificates (self->client_certificate, &error);

    if (description == NULL)
      description = g_strdup_printf (_("Not usable: %s"), error->message);
    adw_action_row_set_subtitle (self->client_certificate_row, description);
  } else {
    adw_action_row_set_subtitle (self->client_certificate_row,
                                 _("A client key without its certificate"));
  }
}

/* Shows that the fields differ from what the keyring contains, and hides an old test result. */
static void
mark_changed (DrClusterGroup *self)
{
  if (self->filling)
    return;

  gtk_widget_set_visible (GTK_WIDGET (self->connection_label), FALSE);

  if (self->stored)
    set_status (self, STATUS_NORMAL,
                _("Stored in the keyring. Save to Keyring to keep your changes."));
}

static void
fill_fields (DrClusterGroup             *self,
             const DrClusterCredentials *credentials)
{
  self->filling = TRUE;

  gtk_editable_set_text (GTK_EDITABLE (self->server_row),
                         credentials != NULL && credentials->server != NULL
                         ? credentials->server : "");
  gtk_editable_set_text (GTK_EDITABLE (self->token_row),
                         credentials != NULL && credentials->token != NULL
                         ? credentials->token : "");
  gtk_switch_set_active (self->insecure_switch,
                         credentials != NULL && credentials->insecure_skip_tls_verify);

  g_clear_pointer (&self->certificate_authority, g_free);
  g_clear_pointer (&self->client_certificate, g_free);
  clear_secret (&self->client_key);

  if (credentials != NULL) {
    self->certificate_authority = g_strdup (credentials->certificate_authority);
    self->client_certificate = g_strdup (credentials->client_certificate);
    self->client_key = g_strdup (credentials->client_key);
  }

  update_certificate_rows (self);
  clear_field_messages (self);
  gtk_widget_set_visible (GTK_WIDGET (self->connection_label), FALSE);

  self->filling = FALSE;
}

/* Looking up the keyring */

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DrClusterGroup) self = user_data;
  g_autoptr(DrClusterCredentials) credentials = NULL;
  g_autoptr(GError) error = NULL;

  credentials = dr_credentials_lookup_finish (result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  busy_end (self, NULL);

  if (credentials != NULL) {
    fill_fields (self, credentials);
    set_stored (self, TRUE);
    set_status (self, STATUS_SUCCESS, _("Stored in the keyring"));
  } else if (g_error_matches (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND)) {
    set_stored (self, FALSE);
    set_status (self, STATUS_NORMAL, _("Not stored yet"));
  } else {
    set_stored (self, FALSE);
    set_status (self, STATUS_ERROR, error->message);
  }
}

/**
 * dr_cluster_group_reload:
 *
 * Looks the cluster's credentials up in the keyring and fills the fields with them. What was
 * typed and not saved is replaced.
 */
void
dr_cluster_group_reload (DrClusterGroup *self)
{
  g_return_if_fail (DR_IS_CLUSTER_GROUP (self));

  busy_begin (self, NULL);
  set_status (self, STATUS_NORMAL, _("Looking in the keyring…"));
  dr_credentials_lookup_async (self->cluster, self->cancellable, lookup_cb,
                               g_object_ref (self));
}

/* Testing the connection */

static void
show_connection (DrClusterGroup *self,
                 StatusKind      kind,
                 const char     *text)
{
  gtk_label_set_text (self->connection_label, text);
  set_label_class (GTK_WIDGET (self->connection_label), kind);
  gtk_widget_set_visible (GTK_WIDGET (self->connection_label), TRUE);
}

typedef struct
{
  DrClusterGroup       *self;
  DrClusterCredentials *credentials;
} TestData;

static void
test_data_free (TestData *data)
{
  g_object_unref (data->self);
  dr_cluster_credentials_free (data->credentials);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestData, test_data_free)

static void
version_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TestData) data = user_data;
  DrClusterGroup *self = data->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;

  version = dr_kube_client_get_version_finish (DR_KUBE_CLIENT (object), result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  busy_end (self, self->test_spinner);

  if (version != NULL) {
    g_autofree char *text = g_strdup_printf (_("Connected: Kubernetes %s"), version);

    show_connection (self, STATUS_SUCCESS, text);
  } else {
    g_autofree char *masked = dr_cluster_fields_mask_secrets (data->credentials, error->message);
    g_autofree char *text = g_strdup_printf (_("Could not connect: %s"), masked);

    show_connection (self, STATUS_ERROR, text);
  }
}

static void
test_clicked_cb (DrClusterGroup *self)
{
  g_autoptr(DrClusterCredentials) credentials = collect_credentials (self);
  g_autoptr(DrKubeClient) client = NULL;
  g_autoptr(GError) error = NULL;
  TestData *data;

  gtk_widget_set_visible (GTK_WIDGET (self->connection_label), FALSE);

  if (!check_fields (self, credentials))
    return;

  client = dr_kube_client_new (credentials, &error);
  if (client == NULL) {
    g_autofree char *masked = dr_cluster_fields_mask_secrets (credentials, error->message);
    g_autofree char *text = g_strdup_printf (_("Could not connect: %s"), masked);

    show_connection (self, STATUS_ERROR, text);
    return;
  }

  busy_begin (self, self->test_spinner);

  data = g_new0 (TestData, 1);
  data->self = g_object_ref (self);
  data->credentials = g_steal_pointer (&credentials);
  dr_kube_client_get_version_async (client, self->cancellable, version_cb, data);
}

/* Saving */

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(DrClusterGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean stored;

  stored = dr_credentials_store_finish (result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  if (stored) {
    set_stored (self, TRUE);
    set_status (self, STATUS_SUCCESS, _("Stored in the keyring"));
  } else {
    set_status (self, STATUS_ERROR, error->message);
  }

  busy_end (self, self->save_spinner);
}

static void
save_clicked_cb (DrClusterGroup *self)
{
  g_autoptr(DrClusterCredentials) credentials = collect_credentials (self);

  if (!check_fields (self, credentials))
    return;

  busy_begin (self, self->save_spinner);
  set_status (self, STATUS_NORMAL, _("Storing in the keyring…"));
  dr_credentials_store_async (credentials, self->cancellable, store_cb, g_object_ref (self));
}

/* Removing */

static void
delete_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DrClusterGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean deleted;

  deleted = dr_credentials_delete_finish (result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  if (deleted || g_error_matches (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND)) {
    fill_fields (self, NULL);
    set_stored (self, FALSE);
    set_status (self, STATUS_NORMAL, _("Removed from the keyring. Not stored now."));
  } else {
    set_status (self, STATUS_ERROR, error->message);
  }

  busy_end (self, NULL);
}

static void
remove_response_cb (DrClusterGroup   *self,
                    const char       *response,
                    AdwMessageDialog *dialog)
{
  if (g_strcmp0 (response, "remove") != 0)
    return;

  busy_begin (self, NULL);
  set_status (self, STATUS_NORMAL, _("Removing from the keyring…"));
  dr_credentials_delete_async (self->cluster, self->cancellable, delete_cb, g_object_ref (self));
}

static void
remove_clicked_cb (DrClusterGroup *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, NULL, NULL);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog),
                                     _("Remove the Credentials of %s?"), self->cluster);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("Runs that need cluster “%s” will not start until you store "
                                    "its credentials again. Only the keyring entry is removed."),
                                  self->cluster);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The certificate authority */

static void
certificate_loaded_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(DrClusterGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *description = NULL;
  g_autofree char *name = NULL;

  if (!g_file_load_contents_finish (G_FILE (object), result, &contents, NULL, NULL, &error)) {
    if (g_cancellable_is_cancelled (self->cancellable))
      return;

    name = g_file_get_parse_name (G_FILE (object));
    /* Translators: the first %s is a file name, the second an error message. */
    g_prefix_error (&error, _("Could not read “%s”: "), name);
    show_field_message (self, DR_CLUSTER_FIELD_CERTIFICATE_AUTHORITY, error->message);
    return;
  }

  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  description = dr_cluster_fields_describe_certificates (contents, &error);
  if (description == NULL) {
    name = g_file_get_parse_name (G_FILE (object));
    g_prefix_error (&error, _("“%s” is not usable: "), name);
    show_field_message (self, DR_CLUSTER_FIELD_CERTIFICATE_AUTHORITY, error->message);
    return;
  }

  show_field_message (self, DR_CLUSTER_FIELD_CERTIFICATE_AUTHORITY, NULL);
  g_free (self->certificate_authority);
  self->certificate_authority = g_steal_pointer (&contents);
  update_certificate_rows (self);
  mark_changed (self);
}

static void
chooser_response_cb (DrClusterGroup       *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  g_clear_object (&self->chooser);

  if (file != NULL)
    dr_cluster_group_load_certificate_authority (self, file);
}

static void
certificate_choose_clicked_cb (DrClusterGroup *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr(GtkFileFilter) pem_filter = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all_filter = gtk_file_filter_new ();
  g_autofree char *title = NULL;

  if (self->chooser != NULL)
    return;

  /* Translators: %s is a cluster name. */
  title = g_strdup_printf (_("Certificate Authority of %s"), self->cluster);
  self->chooser = gtk_file_chooser_native_new (title,
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);

  gtk_file_filter_set_name (pem_filter, _("PEM certificates"));
  gtk_file_filter_add_pattern (pem_filter, "*.pem");
  gtk_file_filter_add_pattern (pem_filter, "*.crt");
  gtk_file_filter_add_pattern (pem_filter, "*.cer");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), pem_filter);
  gtk_file_filter_set_name (all_filter, _("All files"));
  gtk_file_filter_add_pattern (all_filter, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all_filter);

  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
certificate_clear_clicked_cb (DrClusterGroup *self)
{
  g_clear_pointer (&self->certificate_authority, g_free);
  show_field_message (self, DR_CLUSTER_FIELD_CERTIFICATE_AUTHORITY, NULL);
  update_certificate_rows (self);
  mark_changed (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->certificate_choose_button));
}

static void
client_certificate_clear_clicked_cb (DrClusterGroup *self)
{
  g_clear_pointer (&self->client_certificate, g_free);
  clear_secret (&self->client_key);
  show_field_message (self, DR_CLUSTER_FIELD_CLIENT_CERTIFICATE, NULL);
  update_certificate_rows (self);
  mark_changed (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->token_row));
}

/* Edits */

static void
field_changed_cb (DrClusterGroup *self,
                  GtkEditable    *field)
{
  if (self->filling)
    return;

  if (field == GTK_EDITABLE (self->server_row))
    show_field_message (self, DR_CLUSTER_FIELD_SERVER, NULL);
  else if (field == GTK_EDITABLE (self->token_row))
    show_field_message (self, DR_CLUSTER_FIELD_TOKEN, NULL);

  mark_changed (self);
}

static void
insecure_changed_cb (DrClusterGroup *self)
{
  mark_changed (self);
}

/* GObject */

static void
dr_cluster_group_constructed (GObject *object)
{
  DrClusterGroup *self = DR_CLUSTER_GROUP (object);
  g_autofree char *remove_label = NULL;
  g_autofree char *test_label = NULL;
  g_autofree char *save_label = NULL;

  G_OBJECT_CLASS (dr_cluster_group_parent_class)->constructed (object);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self), self->cluster);

  /* Every cluster has the same buttons, so their accessible names include the cluster. */
  /* Translators: %s is a cluster name. */
  remove_label = g_strdup_printf (_("Remove the credentials of %s from the keyring"),
                                  self->cluster);
  /* Translators: %s is a cluster name. */
  test_label = g_strdup_printf (_("Test the connection to %s"), self->cluster);
  /* Translators: %s is a cluster name. */
  save_label = g_strdup_printf (_("Save the credentials of %s to the keyring"), self->cluster);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->remove_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->test_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, test_label, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->save_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, save_label, -1);

  update_certificate_rows (self);
}

static void
dr_cluster_group_dispose (GObject *object)
{
  DrClusterGroup *self = DR_CLUSTER_GROUP (object);

  g_cancellable_cancel (self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);

  G_OBJECT_CLASS (dr_cluster_group_parent_class)->dispose (object);
}

static void
dr_cluster_group_finalize (GObject *object)
{
  DrClusterGroup *self = DR_CLUSTER_GROUP (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->cluster, g_free);
  g_clear_pointer (&self->certificate_authority, g_free);
  g_clear_pointer (&self->client_certificate, g_free);
  clear_secret (&self->client_key);

  G_OBJECT_CLASS (dr_cluster_group_parent_class)->finalize (object);
}

static void
dr_cluster_group_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  DrClusterGroup *self = DR_CLUSTER_GROUP (object);

  switch (prop_id) {
  case PROP_CLUSTER:
    g_value_set_string (value, self->cluster);
    break;
  case PROP_STORED:
    g_value_set_boolean (value, self->stored);
    break;
  case PROP_BUSY:
    g_value_set_boolean (value, self->busy > 0);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_cluster_group_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  DrClusterGroup *self = DR_CLUSTER_GROUP (object);

  switch (prop_id) {
  case PROP_CLUSTER:
    self->cluster = g_value_dup_string (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_cluster_group_class_init (DrClusterGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = dr_cluster_group_constructed;
  object_class->dispose = dr_cluster_group_dispose;
  object_class->finalize = dr_cluster_group_finalize;
  object_class->get_property = dr_cluster_group_get_property;
  object_class->set_property = dr_cluster_group_set_property;

  properties[PROP_CLUSTER] =
    g_param_spec_string ("cluster", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORED] =
    g_param_spec_boolean ("stored", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynamorelease/DynamoRelease/"
                                               "dr-cluster-group.ui");
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, remove_button);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, server_row);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, server_message_row);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, server_message_label);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, token_row);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, token_message_row);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, token_message_label);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, certificate_row);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, certificate_choose_button);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, certificate_clear_button);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, certificate_message_row);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, certificate_message_label);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, client_certificate_row);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup,
                                        client_certificate_message_row);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup,
                                        client_certificate_message_label);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, insecure_switch);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, status_label);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, test_button);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, test_spinner);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, save_button);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, save_spinner);
  gtk_widget_class_bind_template_child (widget_class, DrClusterGroup, connection_label);
  gtk_widget_class_bind_template_callback (widget_class, remove_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, certificate_choose_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, certificate_clear_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, client_certificate_clear_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, insecure_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, test_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
}

static void
dr_cluster_group_init (DrClusterGroup *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * dr_cluster_group_new:
 * @cluster: the workspace's name for the cluster
 * @description: (nullable): which environments use it
 *
 * Creates the group. Call dr_cluster_group_reload() to fill it from the keyring.
 */
DrClusterGroup *
dr_cluster_group_new (const char *cluster,
                      const char *description)
{
  DrClusterGroup *self;

  g_return_val_if_fail (cluster != NULL, NULL);

  self = g_object_new (DR_TYPE_CLUSTER_GROUP, "cluster", cluster, NULL);
  if (description != NULL) {
    g_autofree char *escaped = g_markup_escape_text (description, -1);

    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self), escaped);
  }

  return self;
}

const char *
dr_cluster_group_get_cluster (DrClusterGroup *self)
{
  g_return_val_if_fail (DR_IS_CLUSTER_GROUP (self), NULL);

  return self->cluster;
}

gboolean
dr_cluster_group_get_stored (DrClusterGroup *self)
{
  g_return_val_if_fail (DR_IS_CLUSTER_GROUP (self), FALSE);

  return self->stored;
}

gboolean
dr_cluster_group_get_busy (DrClusterGroup *self)
{
  g_return_val_if_fail (DR_IS_CLUSTER_GROUP (self), FALSE);

  return self->busy > 0;
}

/**
 * dr_cluster_group_load_certificate_authority:
 * @file: a PEM file with the cluster's CA certificate
 *
 * Reads @file and, when it contains a PEM certificate, uses it as the certificate authority and
 * shows its subject. Otherwise it shows why next to the field and keeps the previous one. Like
 * every other field, it reaches the keyring only with Save to Keyring.
 */
void
dr_cluster_group_load_certificate_authority (DrClusterGroup *self,
                                             GFile          *file)
{
  g_return_if_fail (DR_IS_CLUSTER_GROUP (self));
  g_return_if_fail (G_IS_FILE (file));

  g_file_load_contents_async (file, self->cancellable, certificate_loaded_cb,
                              g_object_ref (self));
}

/* Moves the keyboard focus to the first field, which also scrolls the group into view. */
void
dr_cluster_group_focus (DrClusterGroup *self)
{
  g_return_if_fail (DR_IS_CLUSTER_GROUP (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
}
