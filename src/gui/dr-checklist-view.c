/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "dr-checklist-view.h"
#include "dr-label.h"
#include "dr-format.h"
#include "dr-placeholders.h"

struct _DrChecklistView
{
  GtkWidget            parent_instance;

  GtkWidget           *content;
  AdwPreferencesGroup *checklist_group;
  AdwPreferencesGroup *approvals_group;
  AdwPreferencesGroup *monitoring_group;

  DrEngine            *engine;
  const DrEnvironment *environment;   /* whose gate has the checklist */
  const DrGate        *gate;
  char                *service;
  char                *version;       /* the waiting build, or NULL */
  char                *monitoring_id; /* "checklist@environment" of the monitoring rows */
  GPtrArray           *rows;          /* of GtkWidget added to the groups */
  GHashTable          *item_checks;   /* "checklist/item" → GtkCheckButton */
  GHashTable          *decision_buttons; /* "role/decision" → GtkButton */
  GHashTable          *comment_buttons;  /* "checklist/item" → GtkButton that signs with one */
  gboolean             updating;
};

G_DEFINE_FINAL_TYPE (DrChecklistView, dr_checklist_view, GTK_TYPE_WIDGET)

enum {
  RUN_STARTED,
  ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
report_error (DrChecklistView *self,
              const GError    *error)
{
  g_signal_emit (self, signals[ERROR], 0, error->message);
}

static const char *
role_title (DrChecklistView *self,
            const char      *role_id)
{
  const DrRole *role = dr_workspace_get_role (dr_engine_get_workspace (self->engine), role_id);

  return role != NULL ? role->title : role_id;
}

static void
write_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(DrChecklistView) self = user_data;
  g_autoptr(GError) error = NULL;

  /* The engine announces a change; after a refused one the boxes need putting back. */
  if (!dr_engine_write_finish (DR_ENGINE (object), result, &error)) {
    report_error (self, error);
    g_signal_emit_by_name (self->engine, "service-changed", self->service);
  }
}

typedef struct
{
  DrChecklistView *self;
  GtkWidget       *check;
  char            *checklist;
  char            *item;
  char            *version;
  GtkEditable     *comment;
  gboolean         revoke;
} SignRequest;

static void
sign_request_free (SignRequest *request)
{
  g_object_unref (request->self);
  g_object_unref (request->check);
  g_free (request->checklist);
  g_free (request->item);
  g_free (request->version);
  g_free (request);
}

static void
sign_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  SignRequest      *request)
{
  DrChecklistView *self = request->self;
  const char *comment = gtk_editable_get_text (request->comment);

  if (g_strcmp0 (response, "sign") == 0) {
    gtk_widget_set_sensitive (request->check, FALSE);
    if (request->revoke)
      dr_engine_revoke_async (self->engine, self->service, request->version, request->checklist,
                              request->item, comment, NULL, write_done_cb, g_object_ref (self));
    else
      dr_engine_sign_async (self->engine, self->service, request->version, request->checklist,
                            request->item, comment, NULL, write_done_cb, g_object_ref (self));
  }

  sign_request_free (request);
}

/* Formats who made @signoff and when, followed by its comment. */
static char *
describe_signoff (DrChecklistView *self,
                  const DrSignoff *signoff)
{
  g_autofree char *when = dr_format_time (signoff->at);
  g_autofree char *signed_by = NULL;

  if (signoff->run_id > 0)
    /* Translators: person, time, run id. */
    signed_by = g_strdup_printf (_("Signed by %s at %s by passing run %lld"),
                                 signoff->person, when, (long long) signoff->run_id);
  else
    /* Translators: person and time. */
    signed_by = g_strdup_printf (_("Signed by %s at %s"), signoff->person, when);

  if (signoff->comment == NULL)
    return g_steal_pointer (&signed_by);

  /* Translators: "Signed by … at …", then the signer's comment. */
  return g_strdup_printf (_("%s: “%s”"), signed_by, signoff->comment);
}

/* Opens the dialog that signs or revokes the item of @check, with an optional comment. A
 * revocation names who signed and when, because it may withdraw another person's sign-off. */
static void
open_sign_dialog (DrChecklistView *self,
                  GtkWidget       *check,
                  gboolean         revoke)
{
  const char *title = g_object_get_data (G_OBJECT (check), "title");
  const char *version = g_object_get_data (G_OBJECT (check), "version");
  const DrSignoff *signoff = g_object_get_data (G_OBJECT (check), "signoff");
  const DrIdentity *identity = dr_engine_get_identity (self->engine);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  SignRequest *request = g_new0 (SignRequest, 1);
  g_autofree char *heading = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *body_markup = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  g_assert (!revoke || signoff != NULL);

  if (revoke) {
    g_autofree char *signed_by = describe_signoff (self, signoff);

    /* Translators: a checklist item. */
    heading = g_strdup_printf (_("Revoke the sign-off of “%s”?"), title);
    if (signoff->role != NULL)
      /* Translators: "Signed by … at …", then the role the signer held. */
      g_string_append_printf (body, _("%s, as %s."), signed_by,
                              role_title (self, signoff->role));
    else
      g_string_append_printf (body, "%s.", signed_by);
    g_string_append_c (body, ' ');
    if (signoff->person != NULL &&
        (identity == NULL || !dr_identity_name_equal (signoff->person, identity->name))) {
      /* Translators: the person who signed. */
      g_string_append_printf (body, _("This sign-off is %s’s, not yours."), signoff->person);
      g_string_append_c (body, ' ');
    }
    /* Translators: a version. */
    g_string_append_printf (body, _("The revocation records your name, the time and your "
                                    "comment, and the item needs a new sign-off before %s can "
                                    "go on."),
                            version);
  } else {
    /* Translators: a checklist item. */
    heading = g_strdup_printf (_("Sign “%s”?"), title);
    /* Translators: a version. */
    g_string_append_printf (body, _("Your name, role, the time and your comment are recorded "
                                    "for %s only."),
                            version);
  }

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                              : NULL,
                                                       NULL, NULL));
  dr_message_dialog_set_plain_heading (dialog, heading);
  /* The body quotes the signer's comment, so it is escaped and wraps without hyphens. */
  body_markup = g_markup_printf_escaped ("<span insert_hyphens=\"false\">%s</span>", body->str);
  adw_message_dialog_set_body_use_markup (dialog, TRUE);
  adw_message_dialog_set_body (dialog, body_markup);

  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Comment (optional)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Comment"), -1);
  adw_message_dialog_set_extra_child (dialog, entry);

  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "sign", revoke ? _("_Revoke") : _("_Sign"),
                                    NULL);
  adw_message_dialog_set_close_response (dialog, "cancel");
  if (revoke) {
    /* Return in the comment entry must not revoke by accident. */
    adw_message_dialog_set_response_appearance (dialog, "sign", ADW_RESPONSE_DESTRUCTIVE);
    adw_message_dialog_set_default_response (dialog, "cancel");
  } else {
    adw_message_dialog_set_response_appearance (dialog, "sign", ADW_RESPONSE_SUGGESTED);
    adw_message_dialog_set_default_response (dialog, "sign");
    gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  }

  request->self = g_object_ref (self);
  request->check = g_object_ref (check);
  request->checklist = g_strdup (g_object_get_data (G_OBJECT (check), "checklist"));
  request->item = g_strdup (g_object_get_data (G_OBJECT (check), "item"));
  request->version = g_strdup (version);
  request->comment = GTK_EDITABLE (entry);
  request->revoke = revoke;
  g_signal_connect (dialog, "response", G_CALLBACK (sign_response_cb), request);

  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

/* Ticking a box signs at once, the common case. Unticking puts the tick back and opens a
 * confirmation first, because a revocation may withdraw another person's sign-off. */
static void
check_toggled_cb (DrChecklistView *self,
                  GtkCheckButton  *check)
{
  const char *item = g_object_get_data (G_OBJECT (check), "item");
  const char *checklist = g_object_get_data (G_OBJECT (check), "checklist");
  const char *version = g_object_get_data (G_OBJECT (check), "version");

  if (self->updating)
    return;

  if (!gtk_check_button_get_active (check)) {
    self->updating = TRUE;
    gtk_check_button_set_active (check, TRUE);
    self->updating = FALSE;
    open_sign_dialog (self, GTK_WIDGET (check), TRUE);
    return;
  }

  gtk_widget_set_sensitive (GTK_WIDGET (check), FALSE);
  dr_engine_sign_async (self->engine, self->service, version, checklist, item, NULL,
                        NULL, write_done_cb, g_object_ref (self));
}

static void
sign_with_comment_clicked_cb (DrChecklistView *self,
                              GtkButton       *button)
{
  open_sign_dialog (self, g_object_get_data (G_OBJECT (button), "check"), FALSE);
}

static void
check_run_started_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(DrChecklistView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;

  run = dr_engine_start_run_finish (DR_ENGINE (object), result, NULL, &error);
  if (run == NULL) {
    report_error (self, error);
    return;
  }

  g_signal_emit (self, signals[RUN_STARTED], 0, run);
}

static void
run_check_clicked_cb (DrChecklistView *self,
                      GtkButton       *button)
{
  const char *item = g_object_get_data (G_OBJECT (button), "item");
  const char *checklist = g_object_get_data (G_OBJECT (button), "checklist");
  const char *version = g_object_get_data (G_OBJECT (button), "version");

  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  dr_engine_check_item_async (self->engine, self->service, version, checklist, item, NULL,
                              check_run_started_cb, g_object_ref (self));
}

typedef struct
{
  DrChecklistView *self;
  DrDecision       decision;
  GtkEditable     *comment;
} DecisionRequest;

static void
decision_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      DecisionRequest  *request)
{
  DrChecklistView *self = request->self;

  if (g_strcmp0 (response, "decide") == 0)
    dr_engine_decide_async (self->engine, self->service, self->version,
                            self->environment->id, request->decision,
                            gtk_editable_get_text (request->comment),
                            NULL, write_done_cb, g_object_ref (self));

  g_object_unref (request->self);
  g_free (request);
}

static void
comment_changed_cb (AdwMessageDialog *dialog,
                    GtkEditable      *comment)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (comment)));

  adw_message_dialog_set_response_enabled (dialog, "decide", text[0] != '\0');
}

/* Asks for the comment that goes with an approval or a rejection; a rejection needs one. */
static void
decision_clicked_cb (DrChecklistView *self,
                     GtkButton       *button)
{
  DrDecision decision = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "decision"));
  const DrService *service = dr_workspace_get_service (dr_engine_get_workspace (self->engine),
                                                       self->service);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  DecisionRequest *request = g_new0 (DecisionRequest, 1);
  AdwMessageDialog *dialog;
  GtkWidget *entry;
  g_autofree char *heading = NULL;

  if (decision == DR_DECISION_APPROVED)
    /* Translators: service, version, environment. */
    heading = g_strdup_printf (_("Approve %s %s for %s?"), service->title, self->version,
                               self->environment->title);
  else if (decision == DR_DECISION_REJECTED)
    heading = g_strdup_printf (_("Reject %s %s for %s?"), service->title, self->version,
                               self->environment->title);
  else
    heading = g_strdup_printf (_("Withdraw your decision on %s %s?"), service->title,
                               self->version);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                              : NULL,
                                                       NULL, NULL));
  dr_message_dialog_set_plain_heading (dialog, heading);
  adw_message_dialog_set_body (dialog,
                               _("Your name, the time and your comment are recorded with this "
                                 "version only; a new version needs a new decision."));

  entry = gtk_entry_new ();
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry),
                                  decision == DR_DECISION_REJECTED
                                  ? _("Reason (required)")
                                  : _("Comment (optional)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Comment"), -1);
  adw_message_dialog_set_extra_child (dialog, entry);

  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "decide", decision == DR_DECISION_APPROVED ? _("_Approve")
                                              : decision == DR_DECISION_REJECTED ? _("_Reject")
                                              : _("_Withdraw"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "decide",
                                              decision == DR_DECISION_APPROVED
                                              ? ADW_RESPONSE_SUGGESTED
                                              : ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "decide");
  adw_message_dialog_set_close_response (dialog, "cancel");

  if (decision == DR_DECISION_REJECTED) {
    adw_message_dialog_set_response_enabled (dialog, "decide", FALSE);
    g_signal_connect_object (entry, "changed", G_CALLBACK (comment_changed_cb), dialog,
                             G_CONNECT_SWAPPED);
  }

  request->self = g_object_ref (self);
  request->decision = decision;
  request->comment = GTK_EDITABLE (entry);
  g_signal_connect (dialog, "response", G_CALLBACK (decision_response_cb), request);

  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
clear_rows (DrChecklistView *self)
{
  for (guint i = 0; i < self->rows->len; i++) {
    GtkWidget *row = g_ptr_array_index (self->rows, i);
    GtkWidget *group = gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP);

    if (group != NULL)
      adw_preferences_group_remove (ADW_PREFERENCES_GROUP (group), row);
  }
  g_ptr_array_set_size (self->rows, 0);
  g_hash_table_remove_all (self->item_checks);
  g_hash_table_remove_all (self->decision_buttons);
  g_hash_table_remove_all (self->comment_buttons);
}

static void
add_row (DrChecklistView     *self,
         AdwPreferencesGroup *group,
         GtkWidget           *row)
{
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->rows, row);
}

/* Sets a row's subtitle as plain text that wraps anywhere without inserted hyphens, because a
 * comment may contain "<" or "&" and may be one long word such as a URL. */
static void
set_row_subtitle (AdwActionRow *row,
                  const char   *text)
{
  g_autofree char *markup = g_markup_printf_escaped ("<span insert_hyphens=\"false\">%s</span>",
                                                     text);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), TRUE);
  adw_action_row_set_subtitle (row, markup);
}

/* Returns the item's command as it will run for the waiting build, placeholders filled in. */
static char *
dup_check_command (DrChecklistView       *self,
                   const char            *version,
                   const DrChecklistItem *item)
{
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *command = NULL;

  g_hash_table_insert (values, (char *) "service", self->service);
  g_hash_table_insert (values, (char *) "version", (char *) version);
  g_hash_table_insert (values, (char *) "environment", (char *) self->environment->id);
  g_hash_table_insert (values, (char *) "namespace", self->environment->namespace);
  g_hash_table_insert (values, (char *) "cluster", self->environment->cluster);
  g_hash_table_insert (values, (char *) "base-url", self->environment->base_url);

  command = dr_placeholders_expand (item->check->command, values, NULL);

  return command != NULL ? g_steal_pointer (&command) : g_strdup (item->check->command);
}

static void
set_item_data (GtkWidget  *widget,
               const char *checklist_id,
               const char *version,
               const char *item)
{
  g_object_set_data_full (G_OBJECT (widget), "item", g_strdup (item), g_free);
  g_object_set_data_full (G_OBJECT (widget), "checklist", g_strdup (checklist_id), g_free);
  g_object_set_data_full (G_OBJECT (widget), "version", g_strdup (version), g_free);
}

static void
add_item_row (DrChecklistView         *self,
              const DrServiceSnapshot *snapshot,
              AdwPreferencesGroup     *group,
              const char              *checklist_id,
              const char              *version,
              const DrChecklistItem   *item)
{
  const DrIdentity *identity = dr_engine_get_identity (self->engine);
  const DrSignoff *signoff = dr_service_snapshot_get_signoff (snapshot, version, checklist_id,
                                                              item->id);
  gboolean allowed = dr_identity_has_role (identity, item->role);
  const DrRunRecord *active = dr_service_snapshot_find_active_run (snapshot,
                                                                   self->environment->id);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();
  g_autofree char *subtitle = NULL;
  g_autofree char *needs = g_strdup_printf (_("Only a person with the role %s may sign this"),
                                            role_title (self, item->role));
  g_autofree char *command = item->check != NULL ? dup_check_command (self, version, item)
                                                  : NULL;
  g_autofree char *key = g_strdup_printf ("%s/%s", checklist_id, item->id);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), item->title);

  if (signoff != NULL)
    subtitle = describe_signoff (self, signoff);
  else if (item->check != NULL)
    /* Translators: the role that may sign, then the command that signs the item. */
    subtitle = g_strdup_printf (_("%s: signed when “%s” succeeds"),
                                role_title (self, item->role), command);
  else
    subtitle = g_strdup_printf (_("Waiting for a sign-off by %s"), role_title (self, item->role));
  set_row_subtitle (ADW_ACTION_ROW (row), subtitle);

  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), signoff != NULL);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  /* An item with a check is signed by its passing run only; ticking it by hand would skip
   * the check. Its sign-off can still be revoked. */
  gtk_widget_set_sensitive (check, allowed && (item->check == NULL || signoff != NULL));
  if (allowed && item->check != NULL && signoff == NULL)
    gtk_widget_set_tooltip_text (check, _("Signed by running the check"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  item->title, -1);
  if (!allowed)
    gtk_widget_set_tooltip_text (row, needs);
  set_item_data (check, checklist_id, version, item->id);
  g_object_set_data_full (G_OBJECT (check), "title", g_strdup (item->title), g_free);
  if (signoff != NULL)
    g_object_set_data_full (G_OBJECT (check), "signoff", dr_signoff_copy (signoff),
                            (GDestroyNotify) dr_signoff_free);
  g_signal_connect_object (check, "toggled", G_CALLBACK (check_toggled_cb), self,
                           G_CONNECT_SWAPPED);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);

  if (item->check != NULL) {
    GtkWidget *button = gtk_button_new_with_mnemonic (_("_Run Check"));

    gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
    gtk_widget_set_sensitive (button, allowed && signoff == NULL && active == NULL);
    gtk_widget_set_tooltip_text (button, allowed ? command : needs);
    set_item_data (button, checklist_id, version, item->id);
    g_signal_connect_object (button, "clicked", G_CALLBACK (run_check_clicked_cb), self,
                             G_CONNECT_SWAPPED);
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  }

  /* Ticking the box signs without a comment, and this button signs with one. */
  if (allowed && item->check == NULL && signoff == NULL) {
    GtkWidget *button = gtk_button_new_from_icon_name ("document-edit-symbolic");

    gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class (button, "flat");
    gtk_widget_set_tooltip_text (button, _("Sign with a Comment…"));
    gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    _("Sign with a Comment…"), -1);
    g_object_set_data (G_OBJECT (button), "check", check);
    g_signal_connect_object (button, "clicked", G_CALLBACK (sign_with_comment_clicked_cb), self,
                             G_CONNECT_SWAPPED);
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    g_hash_table_insert (self->comment_buttons, g_strdup (key), button);
  }

  if (!allowed) {
    GtkWidget *lock = gtk_image_new_from_icon_name ("action-unavailable-symbolic");

    gtk_widget_set_tooltip_text (lock, needs);
    gtk_accessible_update_property (GTK_ACCESSIBLE (lock), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    needs, -1);
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), lock);
  }

  g_hash_table_insert (self->item_checks, g_steal_pointer (&key), check);
  add_row (self, group, row);
}

static GtkWidget *
add_decision_button (DrChecklistView *self,
                     GtkWidget       *row,
                     const char      *role,
                     DrDecision       decision,
                     const char      *label,
                     const char      *css_class)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  if (css_class != NULL)
    gtk_widget_add_css_class (button, css_class);
  g_object_set_data (G_OBJECT (button), "decision", GINT_TO_POINTER (decision));
  g_signal_connect_object (button, "clicked", G_CALLBACK (decision_clicked_cb), self,
                           G_CONNECT_SWAPPED);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

  g_hash_table_insert (self->decision_buttons,
                       g_strdup_printf ("%s/%s", role, dr_decision_to_string (decision)), button);

  return button;
}

static void
add_approval_row (DrChecklistView         *self,
                  const DrServiceSnapshot *snapshot,
                  const char              *role)
{
  const DrIdentity *identity = dr_engine_get_identity (self->engine);
  const DrApproval *approval = dr_service_snapshot_get_approval (snapshot, self->version,
                                                                 self->environment->id, role);
  gboolean allowed = dr_identity_has_role (identity, role);
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  GtkWidget *icon;

  /* Translators: %s is a role, e.g. "Approval by the role Security reviewer". */
  title = g_strdup_printf (_("Approval by the role %s"), role_title (self, role));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);

  if (approval != NULL) {
    g_autofree char *when = dr_format_time (approval->at);

    if (approval->decision == DR_DECISION_APPROVED)
      subtitle = approval->comment != NULL
                 /* Translators: person, time, comment. */
                 ? g_strdup_printf (_("Approved by %s at %s: “%s”"), approval->person, when,
                                    approval->comment)
                 : g_strdup_printf (_("Approved by %s at %s"), approval->person, when);
    else
      subtitle = g_strdup_printf (_("Rejected by %s at %s: “%s”"), approval->person, when,
                                  approval->comment != NULL ? approval->comment : "");
    icon = gtk_image_new_from_icon_name (approval->decision == DR_DECISION_APPROVED
                                         ? "emblem-ok-symbolic" : "dialog-error-symbolic");
    gtk_widget_add_css_class (icon, approval->decision == DR_DECISION_APPROVED ? "success"
                                                                                : "error");
  } else {
    subtitle = allowed ? g_strdup (_("Waiting for your decision"))
                       : g_strdup_printf (_("Waiting for someone with the role %s"),
                                         role_title (self, role));
    icon = gtk_image_new_from_icon_name ("content-loading-symbolic");
    gtk_widget_add_css_class (icon, "dim-label");
  }
  set_row_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);

  if (allowed) {
    if (approval == NULL || approval->decision != DR_DECISION_APPROVED)
      add_decision_button (self, row, role, DR_DECISION_APPROVED, _("_Approve…"),
                           "suggested-action");
    if (approval == NULL || approval->decision != DR_DECISION_REJECTED)
      add_decision_button (self, row, role, DR_DECISION_REJECTED, _("_Reject…"),
                           "destructive-action");
    if (approval != NULL && g_strcmp0 (approval->person, identity->name) == 0)
      add_decision_button (self, row, role, DR_DECISION_WITHDRAWN, _("_Withdraw…"), NULL);
  } else {
    g_autofree char *needs = g_strdup_printf (_("Only a person with the role %s may decide"),
                                              role_title (self, role));

    gtk_widget_set_tooltip_text (row, needs);
  }

  add_row (self, self->approvals_group, row);
}

static void
show_message (DrChecklistView *self,
              const char      *text)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), text);
  gtk_widget_add_css_class (row, "dim-label");
  add_row (self, self->checklist_group, row);
}

static void
dr_checklist_view_dispose (GObject *object)
{
  DrChecklistView *self = DR_CHECKLIST_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), DR_TYPE_CHECKLIST_VIEW);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (dr_checklist_view_parent_class)->dispose (object);
}

static void
dr_checklist_view_finalize (GObject *object)
{
  DrChecklistView *self = DR_CHECKLIST_VIEW (object);

  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->item_checks, g_hash_table_unref);
  g_clear_pointer (&self->decision_buttons, g_hash_table_unref);
  g_clear_pointer (&self->comment_buttons, g_hash_table_unref);
  g_clear_pointer (&self->service, g_free);
  g_clear_pointer (&self->version, g_free);
  g_clear_pointer (&self->monitoring_id, g_free);

  G_OBJECT_CLASS (dr_checklist_view_parent_class)->finalize (object);
}

static void
dr_checklist_view_class_init (DrChecklistViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dr_checklist_view_dispose;
  object_class->finalize = dr_checklist_view_finalize;

  signals[RUN_STARTED] =
    g_signal_new ("run-started",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, DR_TYPE_RUN);
  /* A sentence for the person when a sign-off, decision or check could not be made. */
  signals[ERROR] =
    g_signal_new ("error",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynamorelease/DynamoRelease/dr-checklist-view.ui");
  gtk_widget_class_bind_template_child (widget_class, DrChecklistView, content);
  gtk_widget_class_bind_template_child (widget_class, DrChecklistView, checklist_group);
  gtk_widget_class_bind_template_child (widget_class, DrChecklistView, approvals_group);
  gtk_widget_class_bind_template_child (widget_class, DrChecklistView, monitoring_group);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
dr_checklist_view_init (DrChecklistView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->rows = g_ptr_array_new ();
  self->item_checks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->decision_buttons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->comment_buttons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

void
dr_checklist_view_set_engine (DrChecklistView *self,
                              DrEngine        *engine)
{
  DrWorkspace *workspace;
  GPtrArray *environments;

  g_return_if_fail (DR_IS_CHECKLIST_VIEW (self));
  g_return_if_fail (DR_IS_ENGINE (engine));

  g_set_object (&self->engine, engine);

  /* The first environment whose gate requires a checklist or approvals. */
  workspace = dr_engine_get_workspace (engine);
  environments = dr_workspace_get_environments (workspace);
  self->environment = NULL;
  self->gate = NULL;
  for (guint i = 0; i < environments->len && self->gate == NULL; i++) {
    const DrEnvironment *environment = g_ptr_array_index (environments, i);
    const DrGate *gate = dr_workspace_get_gate (workspace, environment->id);

    if (gate != NULL && (gate->checklist != NULL ||
                         (gate->approval_roles != NULL && gate->approval_roles[0] != NULL))) {
      self->environment = environment;
      self->gate = gate;
    }
  }

  gtk_widget_set_visible (GTK_WIDGET (self), self->gate != NULL);
}

/* Shows the workspace's monitoring checklist for the newest deploy that succeeded, in any
 * environment: its checks are done once a build runs there. */
static void
update_monitoring (DrChecklistView         *self,
                   const DrServiceSnapshot *snapshot)
{
  DrWorkspace *workspace = dr_engine_get_workspace (self->engine);
  const DrChecklist *monitoring = dr_workspace_get_monitoring (workspace);
  const DrDeployment *newest = NULL;
  const DrEnvironment *environment;
  g_autofree char *description = NULL;
  g_autofree char *scoped_id = NULL;

  for (guint i = 0; monitoring != NULL && i < snapshot->deployments->len; i++) {
    const DrDeployment *deployment = g_ptr_array_index (snapshot->deployments, i);

    if (deployment->state != DR_DEPLOYMENT_SUCCEEDED)
      continue;
    if (newest == NULL || deployment->finished_at > newest->finished_at)
      newest = deployment;
  }

  gtk_widget_set_visible (GTK_WIDGET (self->monitoring_group), newest != NULL);
  if (newest == NULL)
    return;

  environment = dr_workspace_get_environment (workspace, newest->environment);
  adw_preferences_group_set_title (self->monitoring_group, monitoring->title);
  /* Translators: version, environment. */
  description = g_strdup_printf (_("After deploying %s to %s. Sign each check once you have "
                                   "looked; sign-offs count for this version only."),
                                 newest->version,
                                 environment != NULL ? environment->title : newest->environment);
  adw_preferences_group_set_description (self->monitoring_group, description);

  /* Monitoring is signed per environment: see the engine's signable items. */
  scoped_id = g_strdup_printf ("%s@%s", monitoring->id, newest->environment);
  g_free (self->monitoring_id);
  self->monitoring_id = g_strdup (scoped_id);
  for (guint i = 0; i < monitoring->items->len; i++)
    add_item_row (self, snapshot, self->monitoring_group, scoped_id, newest->version,
                  g_ptr_array_index (monitoring->items, i));
}

void
dr_checklist_view_update (DrChecklistView         *self,
                          const DrServiceSnapshot *snapshot)
{
  const DrService *service;
  const DrBuild *waiting;
  g_autofree char *title = NULL;
  g_autofree char *description = NULL;

  g_return_if_fail (DR_IS_CHECKLIST_VIEW (self));
  g_return_if_fail (snapshot != NULL);

  if (self->engine == NULL || self->gate == NULL)
    return;

  self->updating = TRUE;
  clear_rows (self);

  g_free (self->service);
  self->service = g_strdup (snapshot->service);
  service = dr_workspace_get_service (dr_engine_get_workspace (self->engine), snapshot->service);
  update_monitoring (self, snapshot);

  waiting = dr_engine_find_waiting_build (self->engine, snapshot, self->environment->id);
  g_free (self->version);
  self->version = waiting != NULL ? g_strdup (waiting->version) : NULL;

  title = self->gate->checklist != NULL
          ? g_strdup (self->gate->checklist->title)
          /* Translators: %s is an environment. */
          : g_strdup_printf (_("Before %s"), self->environment->title);
  adw_preferences_group_set_title (self->checklist_group, title);

  if (waiting == NULL) {
    /* Translators: service, environment, then the environment before it. */
    description = g_strdup_printf (_("No build of %s waits for %s. A build waits once it is "
                                     "deployed and verified in %s."),
                                   service->title, self->environment->title,
                                   dr_workspace_get_previous_environment (
                                     dr_engine_get_workspace (self->engine),
                                     self->environment)->title);
    adw_preferences_group_set_description (self->checklist_group, description);
    gtk_widget_set_visible (GTK_WIDGET (self->approvals_group), FALSE);
    self->updating = FALSE;
    return;
  }

  /* Translators: service, version, environment. */
  description = g_strdup_printf (_("For %s %s, which waits for %s. Sign-offs count for this "
                                   "version only."),
                                 service->title, waiting->version, self->environment->title);
  adw_preferences_group_set_description (self->checklist_group, description);

  if (self->gate->checklist != NULL) {
    for (guint i = 0; i < self->gate->checklist->items->len; i++)
      add_item_row (self, snapshot, self->checklist_group, self->gate->checklist->id,
                    self->version, g_ptr_array_index (self->gate->checklist->items, i));
  } else {
    show_message (self, _("This environment needs no checklist."));
  }

  gtk_widget_set_visible (GTK_WIDGET (self->approvals_group),
                          self->gate->approval_roles != NULL &&
                          self->gate->approval_roles[0] != NULL);
  for (guint i = 0; self->gate->approval_roles != NULL && self->gate->approval_roles[i] != NULL; i++)
    add_approval_row (self, snapshot, self->gate->approval_roles[i]);

  self->updating = FALSE;
}

const char *
dr_checklist_view_get_version (DrChecklistView *self)
{
  g_return_val_if_fail (DR_IS_CHECKLIST_VIEW (self), NULL);

  return self->version;
}

/* Looks @item up in @widgets, first in the gate's checklist, then in monitoring. */
static GtkWidget *
lookup_item_widget (DrChecklistView *self,
                    GHashTable      *widgets,
                    const char      *item)
{
  GtkWidget *widget = NULL;

  if (self->gate != NULL && self->gate->checklist != NULL) {
    g_autofree char *key = g_strdup_printf ("%s/%s", self->gate->checklist->id, item);

    widget = g_hash_table_lookup (widgets, key);
  }

  if (widget == NULL && self->monitoring_id != NULL) {
    g_autofree char *key = g_strdup_printf ("%s/%s", self->monitoring_id, item);

    widget = g_hash_table_lookup (widgets, key);
  }

  return widget;
}

GtkWidget *
dr_checklist_view_get_item_check (DrChecklistView *self,
                                  const char      *item)
{
  g_return_val_if_fail (DR_IS_CHECKLIST_VIEW (self), NULL);

  return lookup_item_widget (self, self->item_checks, item);
}

/**
 * dr_checklist_view_get_comment_button:
 *
 * Returns: (nullable): the button that signs @item with a comment, or NULL when the item is
 *   signed, is signed by its check, or needs a role the person lacks
 */
GtkWidget *
dr_checklist_view_get_comment_button (DrChecklistView *self,
                                      const char      *item)
{
  g_return_val_if_fail (DR_IS_CHECKLIST_VIEW (self), NULL);

  return lookup_item_widget (self, self->comment_buttons, item);
}

GtkWidget *
dr_checklist_view_get_decision_button (DrChecklistView *self,
                                       const char      *role,
                                       DrDecision       decision)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (DR_IS_CHECKLIST_VIEW (self), NULL);

  key = g_strdup_printf ("%s/%s", role, dr_decision_to_string (decision));

  return g_hash_table_lookup (self->decision_buttons, key);
}
