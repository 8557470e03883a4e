/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-new-build-dialog.h"
#include "dr-label.h"
#include "dr-placeholders.h"

struct _DrNewBuildDialog
{
  AdwWindow            parent_instance;

  DrEngine            *engine;
  char                *initial_service;
  GPtrArray           *services;           /* of const DrService, owned by the workspace */
  const DrEnvironment *first_environment;
  GCancellable        *cancellable;        /* cancelled when the window closes */
  /* The build that this window recorded and whose deploy has not started yet, or NULL. */
  char                *recorded_service;
  char                *recorded_version;
  /* The version that "Read from Clone" read last, and for which service, or NULL. */
  char                *derived_service;
  char                *derived_version;
  gboolean             reading;
  gboolean             deploying;
  gboolean             closed;

  GtkBox              *error_box;
  GtkLabel            *error_heading;
  GtkLabel            *error_label;
  AdwComboRow         *service_row;
  AdwEntryRow         *version_row;
  GtkButton           *read_button;
  GtkSpinner          *read_spinner;
  GtkLabel            *version_rule_label;
  AdwEntryRow         *commit_row;
  GtkButton           *deploy_button;
  GtkSpinner          *deploy_spinner;
  GtkLabel            *deploy_label;
};

G_DEFINE_FINAL_TYPE (DrNewBuildDialog, dr_new_build_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_ENGINE,
  PROP_SERVICE,
  PROP_BUSY,
  N_PROPS
};

enum {
  RUN_STARTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const DrService *
get_selected_service (DrNewBuildDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->service_row);

  if (selected == GTK_INVALID_LIST_POSITION || selected >= self->services->len)
    return NULL;

  return g_ptr_array_index (self->services, selected);
}

/* Returns the version as typed, without surrounding white space. */
static char *
dup_version (DrNewBuildDialog *self)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->version_row))));
}

static char *
dup_commit (DrNewBuildDialog *self)
{
  char *commit = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->commit_row))));

  if (commit[0] == '\0')
    g_clear_pointer (&commit, g_free);

  return commit;
}

static void
show_error (DrNewBuildDialog *self,
            const char       *heading,
            const char       *text)
{
  gtk_label_set_text (self->error_heading, heading);
  gtk_label_set_text (self->error_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->error_box), TRUE);
}

static void
hide_error (DrNewBuildDialog *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->error_box), FALSE);
}

/* Shows the version rule, or why the typed version breaks it, and sets what may be clicked. */
static void
update_state (DrNewBuildDialog *self)
{
  g_autofree char *version = dup_version (self);
  gboolean busy = self->reading || self->deploying;
  gboolean valid = version[0] != '\0' && dr_version_is_valid (version);
  const char *rule = _("A version is an image tag of up to 128 letters, digits, “_”, “.” and "
                       "“-”, starting with a letter, digit or “_”, such as 1.4.2 or 2024.05.1-rc1.");

  if (version[0] == '\0' || valid) {
    gtk_label_set_text (self->version_rule_label, rule);
    gtk_widget_remove_css_class (GTK_WIDGET (self->version_rule_label), "error");
    gtk_widget_add_css_class (GTK_WIDGET (self->version_rule_label), "dim-label");
    gtk_widget_remove_css_class (GTK_WIDGET (self->version_row), "error");
    gtk_accessible_update_state (GTK_ACCESSIBLE (self->version_row),
                                 GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_FALSE, -1);
  } else {
    g_autofree char *text = NULL;

    glong length = g_utf8_strlen (version, -1);

    if (length > 128) {
      g_autofree char *start = g_utf8_substring (version, 0, 24);

      /* Translators: the start of the version as typed, then its length in characters. */
      text = g_strdup_printf (_("The version “%s…” is %ld characters long, and a version has "
                                "at most 128."),
                              start, length);
    } else {
      /* Translators: the first %s is the version as typed, the second the rule for versions. */
      text = g_strdup_printf (_("“%s” is not a valid version. %s"), version, rule);
    }
    gtk_label_set_text (self->version_rule_label, text);
    gtk_widget_add_css_class (GTK_WIDGET (self->version_rule_label), "error");
    gtk_widget_remove_css_class (GTK_WIDGET (self->version_rule_label), "dim-label");
    gtk_widget_add_css_class (GTK_WIDGET (self->version_row), "error");
    gtk_accessible_update_state (GTK_ACCESSIBLE (self->version_row),
                                 GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE, -1);
  }

  gtk_widget_set_sensitive (GTK_WIDGET (self->deploy_button),
                            !busy && valid && get_selected_service (self) != NULL &&
                            self->first_environment != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->read_button),
                            !busy && get_selected_service (self) != NULL);
  /* A service whose versions are typed by hand has nothing to read. */
  gtk_widget_set_visible (GTK_WIDGET (self->read_button),
                          get_selected_service (self) == NULL ||
                          get_selected_service (self)->version_source != DR_VERSION_SOURCE_MANUAL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->service_row), !self->deploying);
  gtk_editable_set_editable (GTK_EDITABLE (self->version_row), !busy);
  gtk_editable_set_editable (GTK_EDITABLE (self->commit_row), !self->deploying);
}

static void
set_spinner (GtkSpinner *spinner,
             gboolean    spinning)
{
  gtk_widget_set_visible (GTK_WIDGET (spinner), spinning);
  gtk_spinner_set_spinning (spinner, spinning);
}

static void
set_reading (DrNewBuildDialog *self,
             gboolean          reading)
{
  gboolean was_busy = self->reading || self->deploying;

  self->reading = reading;
  set_spinner (self->read_spinner, reading);
  update_state (self);

  if (was_busy != (self->reading || self->deploying))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
set_deploying (DrNewBuildDialog *self,
               gboolean          deploying)
{
  gboolean was_busy = self->reading || self->deploying;

  self->deploying = deploying;
  set_spinner (self->deploy_spinner, deploying);
  update_state (self);

  if (was_busy != (self->reading || self->deploying))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
input_changed_cb (DrNewBuildDialog *self)
{
  hide_error (self);
  update_state (self);
}

/* Reading the version from the clone */

static void
version_derived_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(DrNewBuildDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;
  const DrService *service;

  version = dr_engine_derive_version_finish (DR_ENGINE (object), result, &error);
  if (self->closed || g_cancellable_is_cancelled (self->cancellable))
    return;

  set_reading (self, FALSE);

  if (version == NULL) {
    show_error (self, _("Could not read the version"), error->message);
    return;
  }

  service = get_selected_service (self);
  g_free (self->derived_service);
  self->derived_service = g_strdup (service != NULL ? service->id : NULL);
  g_free (self->derived_version);
  self->derived_version = g_strdup (version);

  gtk_editable_set_text (GTK_EDITABLE (self->version_row), version);
  gtk_editable_set_position (GTK_EDITABLE (self->version_row), -1);
}

static void
read_clicked_cb (DrNewBuildDialog *self)
{
  const DrService *service = get_selected_service (self);

  if (service == NULL || self->reading || self->deploying)
    return;

  hide_error (self);
  set_reading (self, TRUE);
  dr_engine_derive_version_async (self->engine, service->id, self->cancellable,
                                  version_derived_cb, g_object_ref (self));
}

/* Recording and deploying */

static char *
format_refusals (GPtrArray *refusals)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < refusals->len; i++) {
    const DrRefusal *refusal = g_ptr_array_index (refusals, i);

    if (i > 0)
      g_string_append_c (text, '\n');
    g_string_append_printf (text, "• %s", refusal->message);
  }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
promoted_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(DrNewBuildDialog) self = user_data;
  g_autoptr(GPtrArray) refusals = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *text = NULL;

  run = dr_engine_start_run_finish (DR_ENGINE (object), result, &refusals, &error);

  if (run != NULL) {
    g_clear_pointer (&self->recorded_service, g_free);
    g_clear_pointer (&self->recorded_version, g_free);
    g_signal_emit (self, signals[RUN_STARTED], 0, run);
    if (!self->closed)
      gtk_window_destroy (GTK_WINDOW (self));
    return;
  }

  if (self->closed)
    return;

  set_deploying (self, FALSE);

  /* Translators: the first %s is a version, the second an environment. */
  heading = g_strdup_printf (_("Build %s is recorded, but its deploy to %s did not start"),
                             self->recorded_version, self->first_environment->title);
  if (refusals != NULL && refusals->len > 0)
    text = format_refusals (refusals);
  else
    text = g_strdup (error->message);

  show_error (self, heading, text);
}

static void
promote (DrNewBuildDialog *self)
{
  dr_engine_promote_async (self->engine, self->recorded_service, self->recorded_version,
                           self->first_environment->id, NULL, promoted_cb, g_object_ref (self));
}

static void
recorded_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(DrNewBuildDialog) self = user_data;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GError) error = NULL;

  build = dr_engine_record_build_finish (DR_ENGINE (object), result, &error);
  if (build == NULL) {
    if (self->closed)
      return;

    set_deploying (self, FALSE);
    show_error (self, _("The build was not recorded"), error->message);
    return;
  }

  /* The deploy goes on even when the window was closed meanwhile, so the build that was just
   * recorded does not stay undeployed without the person knowing. */
  g_free (self->recorded_service);
  self->recorded_service = g_strdup (build->service);
  g_free (self->recorded_version);
  self->recorded_version = g_strdup (build->version);
  promote (self);
}

static void
deploy_clicked_cb (DrNewBuildDialog *self)
{
  const DrService *service = get_selected_service (self);
  g_autofree char *version = dup_version (self);
  g_autofree char *commit = dup_commit (self);
  DrVersionSource source = DR_VERSION_SOURCE_MANUAL;

  if (service == NULL || self->first_environment == NULL || self->reading || self->deploying)
    return;
  if (!dr_version_is_valid (version))
    return;

  hide_error (self);
  set_deploying (self, TRUE);

  /* A build recorded by an earlier click whose deploy did not start is only deployed now,
   * because recording it again would fail. */
  if (g_strcmp0 (self->recorded_service, service->id) == 0 &&
      g_strcmp0 (self->recorded_version, version) == 0) {
    promote (self);
    return;
  }

  /* The version counts as read from the clone only while it is the one read. */
  if (g_strcmp0 (self->derived_service, service->id) == 0 &&
      g_strcmp0 (self->derived_version, version) == 0)
    source = service->version_source;

  dr_engine_record_build_async (self->engine, service->id, version, source, commit, NULL,
                                recorded_cb, g_object_ref (self));
}

/* Set-up */

static void
set_up_services (DrNewBuildDialog *self)
{
  DrWorkspace *workspace = dr_engine_get_workspace (self->engine);
  GPtrArray *environments = dr_workspace_get_environments (workspace);
  g_autoptr(GtkStringList) titles = gtk_string_list_new (NULL);
  guint selected = 0;

  self->services = g_ptr_array_ref (dr_workspace_get_services (workspace));
  for (guint i = 0; i < self->services->len; i++) {
    const DrService *service = g_ptr_array_index (self->services, i);

    gtk_string_list_append (titles, service->title);
    if (g_strcmp0 (service->id, self->initial_service) == 0)
      selected = i;
  }
  adw_combo_row_set_model (self->service_row, G_LIST_MODEL (titles));
  adw_combo_row_set_selected (self->service_row, selected);

  self->first_environment = environments->len > 0 ? g_ptr_array_index (environments, 0) : NULL;
  if (self->first_environment != NULL) {
    g_autoptr(GString) title = g_string_new (self->first_environment->title);
    g_autofree char *label = NULL;

    /* The label uses a mnemonic, so underscores in the title are doubled to show as they are. */
    g_string_replace (title, "_", "__", 0);
    /* Translators: %s is an environment, such as “Development”. */
    label = g_strdup_printf (_("_Record and Deploy to %s"), title->str);
    gtk_label_set_text_with_mnemonic (self->deploy_label, label);
  } else {
    gtk_label_set_text_with_mnemonic (self->deploy_label, _("_Record and Deploy"));
  }
}

static gboolean
dr_new_build_dialog_close_request (GtkWindow *window)
{
  DrNewBuildDialog *self = DR_NEW_BUILD_DIALOG (window);

  self->closed = TRUE;
  g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (dr_new_build_dialog_parent_class)->close_request (window);
}

static void
dr_new_build_dialog_constructed (GObject *object)
{
  DrNewBuildDialog *self = DR_NEW_BUILD_DIALOG (object);

  G_OBJECT_CLASS (dr_new_build_dialog_parent_class)->constructed (object);

  set_up_services (self);
  gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->deploy_button));
  update_state (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->version_row));
}

static void
dr_new_build_dialog_dispose (GObject *object)
{
  DrNewBuildDialog *self = DR_NEW_BUILD_DIALOG (object);

  self->closed = TRUE;
  g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (dr_new_build_dialog_parent_class)->dispose (object);
}

static void
dr_new_build_dialog_finalize (GObject *object)
{
  DrNewBuildDialog *self = DR_NEW_BUILD_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->services, g_ptr_array_unref);
  g_clear_pointer (&self->initial_service, g_free);
  g_clear_pointer (&self->recorded_service, g_free);
  g_clear_pointer (&self->recorded_version, g_free);
  g_clear_pointer (&self->derived_service, g_free);
  g_clear_pointer (&self->derived_version, g_free);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (dr_new_build_dialog_parent_class)->finalize (object);
}

static void
dr_new_build_dialog_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  DrNewBuildDialog *self = DR_NEW_BUILD_DIALOG (object);

  switch (prop_id) {
  case PROP_ENGINE:
    g_value_set_object (value, self->engine);
    break;
  case PROP_SERVICE:
    g_value_set_string (value, dr_new_build_dialog_get_service (self));
    break;
  case PROP_BUSY:
    g_value_set_boolean (value, self->reading || self->deploying);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_new_build_dialog_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  DrNewBuildDialog *self = DR_NEW_BUILD_DIALOG (object);

  switch (prop_id) {
  case PROP_ENGINE:
    self->engine = g_value_dup_object (value);
    break;
  case PROP_SERVICE:
    self->initial_service = g_value_dup_string (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_new_build_dialog_class_init (DrNewBuildDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = dr_new_build_dialog_constructed;
  object_class->dispose = dr_new_build_dialog_dispose;
  object_class->finalize = dr_new_build_dialog_finalize;
  object_class->get_property = dr_new_build_dialog_get_property;
  object_class->set_property = dr_new_build_dialog_set_property;
  window_class->close_request = dr_new_build_dialog_close_request;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, DR_TYPE_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* The service preselected when the window opens; reading it returns the selected one. */
  properties[PROP_SERVICE] =
    g_param_spec_string ("service", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DrNewBuildDialog::run-started:
   * @run: the deploy run of the new build to the first environment
   *
   * Emitted once the build is recorded and its deploy has started, just before the window
   * closes.
   */
  signals[RUN_STARTED] =
    g_signal_new ("run-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, DR_TYPE_RUN);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynamorelease/DynamoRelease/"
                                               "dr-new-build-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DrNewBuildDialog, error_box);
  gtk_widget_class_bind_template_child (widget_class, DrNewBuildDialog, error_heading);
  gtk_widget_class_bind_template_child (widget_class, DrNewBuildDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, DrNewBuildDialog, service_row);
  gtk_widget_class_bind_template_child (widget_class, DrNewBuildDialog, version_row);
  gtk_widget_class_bind_template_child (widget_class, DrNewBuildDialog, read_button);
  gtk_widget_class_bind_template_child (widget_class, DrNewBuildDialog, read_spinner);
  gtk_widget_class_bind_template_child (widget_class, DrNewBuildDialog, version_rule_label);
  gtk_widget_class_bind_template_child (widget_class, DrNewBuildDialog, commit_row);
  gtk_widget_class_bind_template_child (widget_class, DrNewBuildDialog, deploy_button);
  gtk_widget_class_bind_template_child (widget_class, DrNewBuildDialog, deploy_spinner);
  gtk_widget_class_bind_template_child (widget_class, DrNewBuildDialog, deploy_label);
  gtk_widget_class_bind_template_callback (widget_class, input_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, read_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, deploy_clicked_cb);
}

static void
dr_new_build_dialog_init (DrNewBuildDialog *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  dr_label_wrap_anywhere (self->version_rule_label);
}

/**
 * dr_new_build_dialog_new:
 * @engine: the release engine
 * @service_id: (nullable): the service to preselect, or NULL for the first one
 *
 * Creates the window. Set it transient for the main window and present it.
 */
DrNewBuildDialog *
dr_new_build_dialog_new (DrEngine   *engine,
                         const char *service_id)
{
  g_return_val_if_fail (DR_IS_ENGINE (engine), NULL);

  return g_object_new (DR_TYPE_NEW_BUILD_DIALOG,
                       "engine", engine,
                       "service", service_id,
                       NULL);
}

/* Returns the id of the selected service. */
const char *
dr_new_build_dialog_get_service (DrNewBuildDialog *self)
{
  const DrService *service;

  g_return_val_if_fail (DR_IS_NEW_BUILD_DIALOG (self), NULL);

  if (self->services == NULL)
    return self->initial_service;

  service = get_selected_service (self);

  return service != NULL ? service->id : NULL;
}

gboolean
dr_new_build_dialog_get_busy (DrNewBuildDialog *self)
{
  g_return_val_if_fail (DR_IS_NEW_BUILD_DIALOG (self), FALSE);

  return self->reading || self->deploying;
}
