/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-run-private.h"

struct _DrRunStep
{
  GObject      parent_instance;

  guint        index;
  char        *name;
  char        *command;
  DrStepState  state;
  gint64       started_at;
  gint64       finished_at;
  int          exit_status;
  char        *message;
};

G_DEFINE_FINAL_TYPE (DrRunStep, dr_run_step, G_TYPE_OBJECT)

enum {
  STEP_PROP_0,
  STEP_PROP_INDEX,
  STEP_PROP_NAME,
  STEP_PROP_COMMAND,
  STEP_PROP_STATE,
  STEP_PROP_STARTED_AT,
  STEP_PROP_FINISHED_AT,
  STEP_PROP_EXIT_STATUS,
  STEP_PROP_MESSAGE,
  N_STEP_PROPS
};

static GParamSpec *step_properties[N_STEP_PROPS];

static void
dr_run_step_finalize (GObject *object)
{
  DrRunStep *self = DR_RUN_STEP (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->command, g_free);
  g_clear_pointer (&self->message, g_free);

  G_OBJECT_CLASS (dr_run_step_parent_class)->finalize (object);
}

static void
dr_run_step_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DrRunStep *self = DR_RUN_STEP (object);

  switch (prop_id) {
  case STEP_PROP_INDEX:
    g_value_set_uint (value, self->index);
    break;
  case STEP_PROP_NAME:
    g_value_set_string (value, self->name);
    break;
  case STEP_PROP_COMMAND:
    g_value_set_string (value, self->command);
    break;
  case STEP_PROP_STATE:
    g_value_set_int (value, self->state);
    break;
  case STEP_PROP_STARTED_AT:
    g_value_set_int64 (value, self->started_at);
    break;
  case STEP_PROP_FINISHED_AT:
    g_value_set_int64 (value, self->finished_at);
    break;
  case STEP_PROP_EXIT_STATUS:
    g_value_set_int (value, self->exit_status);
    break;
  case STEP_PROP_MESSAGE:
    g_value_set_string (value, self->message);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_run_step_class_init (DrRunStepClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dr_run_step_finalize;
  object_class->get_property = dr_run_step_get_property;

  step_properties[STEP_PROP_INDEX] =
    g_param_spec_uint ("index", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  step_properties[STEP_PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  step_properties[STEP_PROP_COMMAND] =
    g_param_spec_string ("command", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  step_properties[STEP_PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, DR_STEP_STATE_PENDING, DR_STEP_STATE_INTERRUPTED,
                      DR_STEP_STATE_PENDING,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  step_properties[STEP_PROP_STARTED_AT] =
    g_param_spec_int64 ("started-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  step_properties[STEP_PROP_FINISHED_AT] =
    g_param_spec_int64 ("finished-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  step_properties[STEP_PROP_EXIT_STATUS] =
    g_param_spec_int ("exit-status", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  step_properties[STEP_PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_STEP_PROPS, step_properties);
}

static void
dr_run_step_init (DrRunStep *self)
{
  self->exit_status = -1;
}

static DrRunStep *
dr_run_step_new_from_record (const DrRunStepRecord *record)
{
  DrRunStep *self = g_object_new (DR_TYPE_RUN_STEP, NULL);

  self->index = record->index;
  self->name = g_strdup (record->name);
  self->command = g_strdup (record->command);
  self->state = record->state;
  self->started_at = record->started_at;
  self->finished_at = record->finished_at;
  self->exit_status = record->exit_status;
  self->message = g_strdup (record->message);

  return self;
}

static void
dr_run_step_apply (DrRunStep             *self,
                   const DrRunStepRecord *record)
{
  g_object_freeze_notify (G_OBJECT (self));

  if (self->state != record->state) {
    self->state = record->state;
    g_object_notify_by_pspec (G_OBJECT (self), step_properties[STEP_PROP_STATE]);
  }
  if (self->started_at != record->started_at) {
    self->started_at = record->started_at;
    g_object_notify_by_pspec (G_OBJECT (self), step_properties[STEP_PROP_STARTED_AT]);
  }
  if (self->finished_at != record->finished_at) {
    self->finished_at = record->finished_at;
    g_object_notify_by_pspec (G_OBJECT (self), step_properties[STEP_PROP_FINISHED_AT]);
  }
  if (self->exit_status != record->exit_status) {
    self->exit_status = record->exit_status;
    g_object_notify_by_pspec (G_OBJECT (self), step_properties[STEP_PROP_EXIT_STATUS]);
  }
  if (g_strcmp0 (self->message, record->message) != 0) {
    g_free (self->message);
    self->message = g_strdup (record->message);
    g_object_notify_by_pspec (G_OBJECT (self), step_properties[STEP_PROP_MESSAGE]);
  }

  g_object_thaw_notify (G_OBJECT (self));
}

guint
dr_run_step_get_index (DrRunStep *self)
{
  g_return_val_if_fail (DR_IS_RUN_STEP (self), 0);

  return self->index;
}

const char *
dr_run_step_get_name (DrRunStep *self)
{
  g_return_val_if_fail (DR_IS_RUN_STEP (self), NULL);

  return self->name;
}

const char *
dr_run_step_get_command (DrRunStep *self)
{
  g_return_val_if_fail (DR_IS_RUN_STEP (self), NULL);

  return self->command;
}

DrStepState
dr_run_step_get_state (DrRunStep *self)
{
  g_return_val_if_fail (DR_IS_RUN_STEP (self), DR_STEP_STATE_PENDING);

  return self->state;
}

gint64
dr_run_step_get_started_at (DrRunStep *self)
{
  g_return_val_if_fail (DR_IS_RUN_STEP (self), 0);

  return self->started_at;
}

gint64
dr_run_step_get_finished_at (DrRunStep *self)
{
  g_return_val_if_fail (DR_IS_RUN_STEP (self), 0);

  return self->finished_at;
}

/* Returns the step's duration in microseconds: up to now while it runs, 0 before it starts. */
gint64
dr_run_step_get_duration (DrRunStep *self)
{
  g_return_val_if_fail (DR_IS_RUN_STEP (self), 0);

  if (self->started_at == 0)
    return 0;
  if (self->finished_at == 0)
    return MAX (0, g_get_real_time () - self->started_at);

  return MAX (0, self->finished_at - self->started_at);
}

int
dr_run_step_get_exit_status (DrRunStep *self)
{
  g_return_val_if_fail (DR_IS_RUN_STEP (self), -1);

  return self->exit_status;
}

const char *
dr_run_step_get_message (DrRunStep *self)
{
  g_return_val_if_fail (DR_IS_RUN_STEP (self), NULL);

  return self->message;
}

struct _DrRun
{
  GObject       parent_instance;

  gint64        id;
  DrRunKind     kind;
  char         *service;
  char         *version;
  char         *environment;
  char         *checklist;
  char         *item;
  char         *person;
  char         *title;
  DrRunState    state;
  char         *message;
  gint64        started_at;
  gint64        finished_at;
  GListStore   *steps;
  DrLogIndex   *log;
  GCancellable *cancellable;
  gboolean      local;        /* this process executes the run */
};

G_DEFINE_FINAL_TYPE (DrRun, dr_run, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_TITLE,
  PROP_STATE,
  PROP_MESSAGE,
  PROP_FRACTION,
  PROP_FINISHED_AT,
  N_PROPS
};

enum {
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
dr_run_dispose (GObject *object)
{
  DrRun *self = DR_RUN (object);

  g_clear_object (&self->steps);
  g_clear_object (&self->log);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (dr_run_parent_class)->dispose (object);
}

static void
dr_run_finalize (GObject *object)
{
  DrRun *self = DR_RUN (object);

  g_clear_pointer (&self->service, g_free);
  g_clear_pointer (&self->version, g_free);
  g_clear_pointer (&self->environment, g_free);
  g_clear_pointer (&self->checklist, g_free);
  g_clear_pointer (&self->item, g_free);
  g_clear_pointer (&self->person, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->message, g_free);

  G_OBJECT_CLASS (dr_run_parent_class)->finalize (object);
}

static void
dr_run_get_property (GObject    *object,
                     guint       prop_id,
                     GValue     *value,
                     GParamSpec *pspec)
{
  DrRun *self = DR_RUN (object);

  switch (prop_id) {
  case PROP_ID:
    g_value_set_int64 (value, self->id);
    break;
  case PROP_TITLE:
    g_value_take_string (value, dr_run_dup_title (self));
    break;
  case PROP_STATE:
    g_value_set_int (value, self->state);
    break;
  case PROP_MESSAGE:
    g_value_set_string (value, self->message);
    break;
  case PROP_FRACTION:
    g_value_set_double (value, dr_run_get_fraction (self));
    break;
  case PROP_FINISHED_AT:
    g_value_set_int64 (value, self->finished_at);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_run_class_init (DrRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dr_run_dispose;
  object_class->finalize = dr_run_finalize;
  object_class->get_property = dr_run_get_property;

  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, DR_RUN_STATE_RUNNING, DR_RUN_STATE_INTERRUPTED,
                      DR_RUN_STATE_RUNNING,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FINISHED_AT] =
    g_param_spec_int64 ("finished-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[FINISHED] =
    g_signal_new ("finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
dr_run_init (DrRun *self)
{
  self->steps = g_list_store_new (DR_TYPE_RUN_STEP);
  self->cancellable = g_cancellable_new ();
}

DrRun *
dr_run_new (const DrRunRecord *record,
            DrLogIndex        *log)
{
  DrRun *self;

  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (DR_IS_LOG_INDEX (log), NULL);

  self = g_object_new (DR_TYPE_RUN, NULL);
  self->id = record->id;
  self->kind = record->kind;
  self->service = g_strdup (record->service);
  self->version = g_strdup (record->version);
  self->environment = g_strdup (record->environment);
  self->checklist = g_strdup (record->checklist);
  self->item = g_strdup (record->item);
  self->person = g_strdup (record->person);
  self->state = record->state;
  self->message = g_strdup (record->message);
  self->started_at = record->started_at;
  self->finished_at = record->finished_at;
  self->log = g_object_ref (log);
  self->local = TRUE;

  for (guint i = 0; record->steps != NULL && i < record->steps->len; i++) {
    g_autoptr(DrRunStep) step = dr_run_step_new_from_record (g_ptr_array_index (record->steps, i));

    g_list_store_append (self->steps, step);
  }

  return self;
}

/* Makes a DrRun from the store's record, for history and the log window. The log of a run
 * that is still running, in another process, is followed until dr_run_finish(). */
DrRun *
dr_run_new_from_record (const DrRunRecord *record)
{
  g_autoptr(DrLogIndex) log = NULL;
  DrRun *self;

  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (record->log_path != NULL, NULL);

  if (record->state == DR_RUN_STATE_RUNNING)
    log = dr_log_index_new_for_following (record->log_path);
  else
    log = dr_log_index_new_for_reading (record->log_path);
  self = dr_run_new (record, log);
  self->local = FALSE;

  return self;
}

void
dr_run_set_title (DrRun      *self,
                  const char *title)
{
  g_return_if_fail (DR_IS_RUN (self));

  if (g_strcmp0 (self->title, title) == 0)
    return;

  g_free (self->title);
  self->title = g_strdup (title);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

GCancellable *
dr_run_get_cancellable (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), NULL);

  return self->cancellable;
}

DrRunStep *
dr_run_get_step (DrRun *self,
                 guint  index)
{
  DrRunStep *step;

  g_return_val_if_fail (DR_IS_RUN (self), NULL);

  /* The store keeps its own reference, so the step outlives this one. */
  step = g_list_model_get_item (G_LIST_MODEL (self->steps), index);
  if (step != NULL)
    g_object_unref (step);

  return step;
}

void
dr_run_update_step (DrRun                 *self,
                    const DrRunStepRecord *record)
{
  DrRunStep *step;

  g_return_if_fail (DR_IS_RUN (self));
  g_return_if_fail (record != NULL);

  step = dr_run_get_step (self, record->index);
  g_return_if_fail (step != NULL);

  dr_run_step_apply (step, record);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
}

void
dr_run_finish (DrRun      *self,
               DrRunState  state,
               const char *message,
               gint64      finished_at)
{
  g_return_if_fail (DR_IS_RUN (self));
  g_return_if_fail (state != DR_RUN_STATE_RUNNING);
  g_return_if_fail (self->state == DR_RUN_STATE_RUNNING);

  g_object_freeze_notify (G_OBJECT (self));

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);

  if (g_strcmp0 (self->message, message) != 0) {
    g_free (self->message);
    self->message = g_strdup (message);
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
  }

  self->finished_at = finished_at;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINISHED_AT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);

  g_object_thaw_notify (G_OBJECT (self));

  /* The process that executed the run closed its log before it recorded the end, so the log
   * is whole now. */
  if (!self->local)
    dr_log_index_stop_following (self->log);

  g_signal_emit (self, signals[FINISHED], 0);
}

gint64
dr_run_get_id (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), 0);

  return self->id;
}

DrRunKind
dr_run_get_kind (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), DR_RUN_KIND_DEPLOY);

  return self->kind;
}

const char *
dr_run_get_service (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), NULL);

  return self->service;
}

const char *
dr_run_get_version (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), NULL);

  return self->version;
}

const char *
dr_run_get_environment (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), NULL);

  return self->environment;
}

const char *
dr_run_get_checklist_item (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), NULL);

  return self->item;
}

const char *
dr_run_get_person (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), NULL);

  return self->person;
}

DrRunState
dr_run_get_state (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), DR_RUN_STATE_RUNNING);

  return self->state;
}

const char *
dr_run_get_message (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), NULL);

  return self->message;
}

/* Returns the share of steps that have ended, 1.0 once the run has finished. */
double
dr_run_get_fraction (DrRun *self)
{
  guint n_steps;
  guint n_ended = 0;

  g_return_val_if_fail (DR_IS_RUN (self), 0.0);

  if (self->state != DR_RUN_STATE_RUNNING)
    return 1.0;

  n_steps = g_list_model_get_n_items (G_LIST_MODEL (self->steps));
  if (n_steps == 0)
    return 0.0;

  for (guint i = 0; i < n_steps; i++) {
    DrRunStep *step = dr_run_get_step (self, i);

    if (step->state != DR_STEP_STATE_PENDING && step->state != DR_STEP_STATE_RUNNING)
      n_ended++;
  }

  return (double) n_ended / n_steps;
}

gint64
dr_run_get_started_at (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), 0);

  return self->started_at;
}

gint64
dr_run_get_finished_at (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), 0);

  return self->finished_at;
}

GListModel *
dr_run_get_steps (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), NULL);

  return G_LIST_MODEL (self->steps);
}

DrLogIndex *
dr_run_get_log (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), NULL);

  return self->log;
}

/* Returns the title the engine gave the run, such as "Deploy api-gateway 1.4.0 to QA", or
 * one made of its ids for a run read back without a workspace. */
char *
dr_run_dup_title (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), NULL);

  if (self->title != NULL)
    return g_strdup (self->title);

  /* Translators: run kind, service, version and environment ids, such as
   * "deploy api-gateway 1.4.0 (qa)". */
  return g_strdup_printf (_("%s %s %s (%s)"),
                          dr_run_kind_describe (self->kind),
                          self->service, self->version, self->environment);
}

/* Returns whether this process executes the run, so that it can cancel it. A run read back
 * from the store, finished or running in another process, is not local. */
gboolean
dr_run_is_local (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), FALSE);

  return self->local;
}

gboolean
dr_run_is_finished (DrRun *self)
{
  g_return_val_if_fail (DR_IS_RUN (self), FALSE);

  return self->state != DR_RUN_STATE_RUNNING;
}

/* Requests cancellation: the running step's process group gets SIGTERM, then SIGKILL after
 * the workspace's grace period, and the remaining steps are skipped. */
void
dr_run_cancel (DrRun *self)
{
  g_return_if_fail (DR_IS_RUN (self));

  g_cancellable_cancel (self->cancellable);
}
