/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "dr-credentials.h"
#include "dr-engine-private.h"
#include "dr-placeholders.h"
#include "dr-process.h"
#include "dr-run-private.h"

/* How often the engine looks for changes that another process (dynamoctl, or a second window)
 * committed to the store. */
#define CHANGE_POLL_SECONDS 1

/* How many change polls pass between two looks for runs whose process died. */
#define RECOVER_POLL_TICKS 5

/* Finished runs kept in the engine's list, for the progress views still open. */
#define MAX_KEPT_RUNS 50

struct _DrEngine
{
  GObject        parent_instance;

  DrWorkspace   *workspace;
  DrStore       *store;
  DrIdentity    *identity;
  char          *clones_folder;
  char          *log_folder;
  char          *store_location;  /* dr_store_dup_location(), for DYNAMO_STORE */
  char          *store_key;       /* a short hash of it, for file names */
  GListStore    *runs;
  GPtrArray     *watched_runs;   /* of DrRun: read back while another process runs them */

  GThreadPool   *worker;
  GMainContext  *context;
  guint          poll_source;
  gboolean       poll_queued;
  guint          poll_ticks;
  gint64         known_change_counter;
};

G_DEFINE_FINAL_TYPE (DrEngine, dr_engine, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLONES_FOLDER,
  PROP_IDENTITY,
  N_PROPS
};

enum {
  SERVICE_CHANGED,
  RUN_STARTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_QUARK (dr-engine-error-quark, dr_engine_error)

typedef struct
{
  DrEngineWork   work;
  gpointer       data;
  GDestroyNotify data_destroy;
  GDestroyNotify result_destroy;
} Job;

static void
job_free (Job *job)
{
  if (job->data_destroy != NULL)
    job->data_destroy (job->data);
  g_free (job);
}

static void
worker_run_job (gpointer task_pointer,
                gpointer unused)
{
  g_autoptr(GTask) task = task_pointer;
  DrEngine *self = g_task_get_source_object (task);
  Job *job = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gpointer result;

  if (g_task_return_error_if_cancelled (task))
    return;

  result = job->work (self, job->data, &error);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, result, job->result_destroy);
}

void
dr_engine_queue_work (DrEngine            *self,
                      DrEngineWork         work,
                      gpointer             data,
                      GDestroyNotify       data_destroy,
                      GDestroyNotify       result_destroy,
                      gpointer             source_tag,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task;
  Job *job;

  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (work != NULL);

  job = g_new0 (Job, 1);
  job->work = work;
  job->data = data;
  job->data_destroy = data_destroy;
  job->result_destroy = result_destroy;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);

  /* The pool has one thread, so jobs run one at a time in the order they were queued. */
  g_thread_pool_push (self->worker, task, NULL);
}

void
dr_engine_emit_changed (DrEngine   *self,
                        const char *service)
{
  g_return_if_fail (DR_IS_ENGINE (self));

  g_signal_emit (self, signals[SERVICE_CHANGED], 0, service);
}

void
dr_engine_add_run (DrEngine *self,
                   DrRun    *run)
{
  guint n_items;

  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (DR_IS_RUN (run));

  g_list_store_insert (self->runs, 0, run);

  /* Forget the oldest finished runs. A run still going is never dropped. */
  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->runs));
  for (guint i = n_items; i > MAX_KEPT_RUNS; i--) {
    g_autoptr(DrRun) oldest = g_list_model_get_item (G_LIST_MODEL (self->runs), i - 1);

    if (dr_run_is_finished (oldest))
      g_list_store_remove (self->runs, i - 1);
  }

  g_signal_emit (self, signals[RUN_STARTED], 0, run);
}

/* Builds a small JSON object for an audit event from key and value pairs, leaving out NULL
 * values. */
char *
dr_engine_dup_detail_json (const char *first_key,
                           ...)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  va_list args;

  json_builder_begin_object (builder);

  va_start (args, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (args, const char *)) {
    const char *value = va_arg (args, const char *);

    if (value == NULL)
      continue;
    json_builder_set_member_name (builder, key);
    json_builder_add_string_value (builder, value);
  }
  va_end (args);

  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, NULL);
}

/* Checks that the person's name may be recorded: dr_identity_new() keeps an invalid name as
 * given, and each write and each run start rejects it here. */
gboolean
dr_engine_check_identity (const DrIdentity  *identity,
                          GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *normalized = NULL;

  normalized = dr_identity_normalize_name (identity->name, &local_error);
  if (normalized != NULL)
    return TRUE;

  g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_INVALID,
               /* Translators: %s is the reason the name is invalid. */
               _("%s. Set your name in Preferences, or pass --as NAME to dynamoctl."),
               local_error->message);

  return FALSE;
}

static gpointer
poll_changes_work (DrEngine  *self,
                   gpointer   data,
                   GError   **error)
{
  gint64 counter = dr_store_get_change_counter (self->store);
  gboolean changed = counter != self->known_change_counter;

  self->known_change_counter = counter;

  return GINT_TO_POINTER (changed);
}

static gpointer find_run_work (DrEngine  *self,
                               gpointer   data,
                               GError   **error);

/* Brings a run that another process executes up to date with the store: step states, and
 * its end. */
static void
watched_run_loaded_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  DrEngine *self = DR_ENGINE (object);
  g_autoptr(DrRun) run = user_data;
  g_autoptr(DrRunRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  record = g_task_propagate_pointer (G_TASK (result), &error);
  if (record == NULL) {
    g_debug ("Could not read run %lld back from the store: %s",
             (long long) dr_run_get_id (run), error->message);
    return;
  }

  for (guint i = 0; record->steps != NULL && i < record->steps->len; i++)
    if (dr_run_get_step (run, i) != NULL)
      dr_run_update_step (run, g_ptr_array_index (record->steps, i));

  if (record->state != DR_RUN_STATE_RUNNING && !dr_run_is_finished (run)) {
    g_ptr_array_remove (self->watched_runs, run);
    dr_run_finish (run, record->state, record->message, record->finished_at);
  }
}

static void
refresh_watched_runs (DrEngine *self)
{
  for (guint i = 0; i < self->watched_runs->len; i++) {
    DrRun *run = g_ptr_array_index (self->watched_runs, i);
    gint64 run_id = dr_run_get_id (run);

    dr_engine_queue_work (self, find_run_work, g_memdup2 (&run_id, sizeof run_id), g_free,
                          (GDestroyNotify) dr_run_record_free, refresh_watched_runs, NULL,
                          watched_run_loaded_cb, g_object_ref (run));
  }
}

static void
poll_changes_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  DrEngine *self = DR_ENGINE (object);
  gboolean changed = GPOINTER_TO_INT (g_task_propagate_pointer (G_TASK (result), NULL));

  self->poll_queued = FALSE;

  if (changed) {
    refresh_watched_runs (self);
    dr_engine_emit_changed (self, NULL);
  }
}

static gpointer recover_work (DrEngine  *self,
                              gpointer   data,
                              GError   **error);
static void recover_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data);

static gboolean
poll_changes_timeout_cb (gpointer user_data)
{
  DrEngine *self = user_data;

  /* A dynamoctl or another window that died mid-run leaves its run marked running, which
   * closes that environment's gate; such runs are recovered while this process goes on too. */
  if (++self->poll_ticks % RECOVER_POLL_TICKS == 0)
    dr_engine_queue_work (self, recover_work, NULL, NULL, NULL, poll_changes_timeout_cb, NULL,
                          recover_cb, NULL);

  if (!self->poll_queued) {
    self->poll_queued = TRUE;
    dr_engine_queue_work (self, poll_changes_work, NULL, NULL, NULL,
                          poll_changes_timeout_cb, NULL, poll_changes_cb, NULL);
  }

  return G_SOURCE_CONTINUE;
}

/* Ends what is left of the runs whose process died: the processes of their steps, found by
 * the DYNAMO_RUN and DYNAMO_STORE variables that every step gets, and their kubeconfigs. This
 * comes before the runs are marked interrupted, which opens their gate again. */
static void
end_orphaned_runs (DrEngine *self)
{
  DrRunFilter filter = { .running_only = TRUE };
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *store_entry = g_strconcat ("DYNAMO_STORE=", self->store_location, NULL);
  guint grace = dr_workspace_get_kill_grace_seconds (self->workspace);

  runs = dr_store_list_runs (self->store, &filter, &error);
  if (runs == NULL) {
    g_warning ("Could not list the running runs to end what is left of them: %s",
               error->message);
    return;
  }

  for (guint i = 0; i < runs->len; i++) {
    const DrRunRecord *run = g_ptr_array_index (runs, i);
    g_autofree char *run_entry = NULL;
    guint n_ended;
    guint n_deleted;

    if (dr_process_owner_is_alive (run->owner))
      continue;

    run_entry = g_strdup_printf ("DYNAMO_RUN=%" G_GINT64_FORMAT, run->id);
    n_ended = dr_process_end_by_environment ((const char * const[]) { run_entry, store_entry,
                                                                     NULL },
                                             grace);
    n_deleted = dr_kubeconfig_delete_for_run (run->id, self->store_key);
    g_debug ("Run %" G_GINT64_FORMAT ": ended %u processes and deleted %u kubeconfigs left by "
             "its process %s", run->id, n_ended, n_deleted,
             run->owner != NULL ? run->owner : "(none)");
  }
}

static gpointer
recover_work (DrEngine  *self,
              gpointer   data,
              GError   **error)
{
  guint n_recovered;

  end_orphaned_runs (self);
  n_recovered = dr_store_recover_interrupted_runs (self->store, error);

  return GUINT_TO_POINTER (n_recovered);
}

static void
recover_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  DrEngine *self = DR_ENGINE (object);
  g_autoptr(GError) error = NULL;
  guint n_recovered;

  n_recovered = GPOINTER_TO_UINT (g_task_propagate_pointer (G_TASK (result), &error));
  if (error != NULL) {
    g_warning ("Could not mark interrupted runs in the store: %s", error->message);
    return;
  }

  if (n_recovered > 0) {
    refresh_watched_runs (self);
    /* Debug level: dynamoctl prints only its own messages on standard error, and the board
     * shows the interrupted runs. */
    g_debug ("Marked %u run(s) as interrupted because the process running them had ended",
             n_recovered);
    dr_engine_emit_changed (self, NULL);
  }
}

static void
dr_engine_dispose (GObject *object)
{
  DrEngine *self = DR_ENGINE (object);

  g_clear_handle_id (&self->poll_source, g_source_remove);
  g_clear_object (&self->runs);
  g_clear_pointer (&self->watched_runs, g_ptr_array_unref);

  G_OBJECT_CLASS (dr_engine_parent_class)->dispose (object);
}

static void
dr_engine_finalize (GObject *object)
{
  DrEngine *self = DR_ENGINE (object);

  /* Every queued task holds a reference to the engine, so the pool is idle by now. */
  g_thread_pool_free (self->worker, FALSE, TRUE);
  g_clear_object (&self->workspace);
  g_clear_object (&self->store);
  g_clear_pointer (&self->identity, dr_identity_free);
  g_clear_pointer (&self->clones_folder, g_free);
  g_clear_pointer (&self->log_folder, g_free);
  g_clear_pointer (&self->store_location, g_free);
  g_clear_pointer (&self->store_key, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (dr_engine_parent_class)->finalize (object);
}

static void
dr_engine_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  DrEngine *self = DR_ENGINE (object);

  switch (prop_id) {
  case PROP_CLONES_FOLDER:
    g_value_set_string (value, self->clones_folder);
    break;
  case PROP_IDENTITY:
    g_value_set_pointer (value, self->identity);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
dr_engine_class_init (DrEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dr_engine_dispose;
  object_class->finalize = dr_engine_finalize;
  object_class->get_property = dr_engine_get_property;

  properties[PROP_CLONES_FOLDER] =
    g_param_spec_string ("clones-folder", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IDENTITY] =
    g_param_spec_pointer ("identity", NULL, NULL,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The service id whose records changed, or NULL when any may have changed. */
  signals[SERVICE_CHANGED] =
    g_signal_new ("service-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[RUN_STARTED] =
    g_signal_new ("run-started",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, DR_TYPE_RUN);
}

static void
dr_engine_init (DrEngine *self)
{
  g_autoptr(GError) error = NULL;
  const char *roles[] = { NULL };

  self->runs = g_list_store_new (DR_TYPE_RUN);
  self->watched_runs = g_ptr_array_new_with_free_func (g_object_unref);
  self->context = g_main_context_ref_thread_default ();
  self->identity = dr_identity_new (g_get_real_name (), roles);
  self->log_folder = g_build_filename (g_get_user_data_dir (), "dynamo-release", "logs", NULL);
  self->worker = g_thread_pool_new (worker_run_job, NULL, 1, FALSE, &error);
  g_assert_no_error (error);
}

/**
 * dr_engine_new:
 * @workspace: the loaded workspace
 * @store: the store to read and write
 *
 * Creates the engine. In the background, it first ends the processes and deletes the
 * kubeconfigs left by runs whose process has ended, then marks those runs interrupted.
 */
DrEngine *
dr_engine_new (DrWorkspace *workspace,
               DrStore     *store)
{
  DrEngine *self;

  g_return_val_if_fail (DR_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (DR_IS_STORE (store), NULL);

  self = g_object_new (DR_TYPE_ENGINE, NULL);
  self->workspace = g_object_ref (workspace);
  self->store = g_object_ref (store);
  self->store_location = dr_store_dup_location (store);
  /* 48 bits of the hash tell apart the stores one person uses. */
  self->store_key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, self->store_location, -1);
  self->store_key[12] = '\0';
  self->known_change_counter = dr_store_get_change_counter (store);

  dr_engine_queue_work (self, recover_work, NULL, NULL, NULL,
                        dr_engine_new, NULL, recover_cb, NULL);
  self->poll_source = g_timeout_add_seconds (CHANGE_POLL_SECONDS, poll_changes_timeout_cb, self);

  return self;
}

DrWorkspace *
dr_engine_get_workspace (DrEngine *self)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);

  return self->workspace;
}

DrStore *
dr_engine_get_store (DrEngine *self)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);

  return self->store;
}

const DrIdentity *
dr_engine_get_identity (DrEngine *self)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);

  return self->identity;
}

void
dr_engine_set_identity (DrEngine         *self,
                        const DrIdentity *identity)
{
  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (identity != NULL);
  g_return_if_fail (identity->name != NULL);

  if (g_strcmp0 (self->identity->name, identity->name) == 0 &&
      g_strv_equal ((const char * const *) self->identity->roles,
                    (const char * const *) identity->roles))
    return;

  g_clear_pointer (&self->identity, dr_identity_free);
  self->identity = dr_identity_copy (identity);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IDENTITY]);
}

const char *
dr_engine_get_clones_folder (DrEngine *self)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);

  return self->clones_folder;
}

void
dr_engine_set_clones_folder (DrEngine   *self,
                             const char *path)
{
  g_return_if_fail (DR_IS_ENGINE (self));

  if (path != NULL && path[0] == '\0')
    path = NULL;
  if (g_strcmp0 (self->clones_folder, path) == 0)
    return;

  g_free (self->clones_folder);
  self->clones_folder = g_strdup (path);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLONES_FOLDER]);
}

/* Returns where the engine's store keeps its records, the value of DYNAMO_STORE in every
 * step's environment. */
const char *
dr_engine_get_store_location (DrEngine *self)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);

  return self->store_location;
}

/* Returns a short text that tells the engine's store from other stores in file names. */
const char *
dr_engine_get_store_key (DrEngine *self)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);

  return self->store_key;
}

const char *
dr_engine_get_log_folder (DrEngine *self)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);

  return self->log_folder;
}

/* Returns the service's working directory under the clones folder, or NULL when the folder
 * is not set. */
char *
dr_engine_dup_service_directory (DrEngine   *self,
                                 const char *service_id)
{
  const DrService *service;

  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (service_id != NULL, NULL);

  service = dr_workspace_get_service (self->workspace, service_id);
  if (service == NULL || self->clones_folder == NULL)
    return NULL;

  return g_build_filename (self->clones_folder, service->directory, NULL);
}

GListModel *
dr_engine_get_runs (DrEngine *self)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);

  return G_LIST_MODEL (self->runs);
}

DrRun *
dr_engine_find_run (DrEngine *self,
                    gint64    run_id)
{
  guint n_items;

  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);

  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->runs));
  for (guint i = 0; i < n_items; i++) {
    g_autoptr(DrRun) run = g_list_model_get_item (G_LIST_MODEL (self->runs), i);

    if (dr_run_get_id (run) == run_id)
      return run;
  }

  return NULL;
}

static gpointer
find_run_work (DrEngine  *self,
               gpointer   data,
               GError   **error)
{
  gint64 *run_id = data;
  DrRunRecord *record = dr_store_find_run (self->store, *run_id, error);

  if (record == NULL && (error == NULL || *error == NULL))
    g_set_error (error, DR_ENGINE_ERROR, DR_ENGINE_ERROR_NOT_FOUND,
                 _("Run %lld is not in the store."), (long long) *run_id);

  return record;
}

static void
run_record_loaded_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(DrRunRecord) record = NULL;
  g_autoptr(DrRun) run = NULL;
  g_autofree char *title = NULL;
  GError *error = NULL;
  DrEngine *self;

  record = g_task_propagate_pointer (G_TASK (result), &error);
  if (record == NULL) {
    g_task_return_error (task, error);
    return;
  }

  self = g_task_get_source_object (task);
  run = dr_run_new_from_record (record);
  title = dr_engine_dup_run_title (self, record);
  dr_run_set_title (run, title);

  /* Another process runs it: follow its steps through the store. */
  if (record->state == DR_RUN_STATE_RUNNING)
    g_ptr_array_add (self->watched_runs, g_object_ref (run));

  g_task_return_pointer (task, g_steal_pointer (&run), g_object_unref);
}

/**
 * dr_engine_load_run_async:
 *
 * Finds a run: the live DrRun when this process runs it, else one read back from the store
 * with its log file, for history and logs of earlier runs.
 */
void
dr_engine_load_run_async (DrEngine            *self,
                          gint64               run_id,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DrRun *run;

  g_return_if_fail (DR_IS_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dr_engine_load_run_async);

  run = dr_engine_find_run (self, run_id);
  if (run != NULL) {
    g_task_return_pointer (task, g_object_ref (run), g_object_unref);
    return;
  }

  dr_engine_queue_work (self, find_run_work, g_memdup2 (&run_id, sizeof run_id), g_free,
                        (GDestroyNotify) dr_run_record_free, dr_engine_load_run_async,
                        cancellable, run_record_loaded_cb, g_steal_pointer (&task));
}

DrRun *
dr_engine_load_run_finish (DrEngine      *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  char  *service;
  guint  limit;
} ListRuns;

static void
list_runs_free (ListRuns *list)
{
  g_free (list->service);
  g_free (list);
}

static gpointer
list_runs_work (DrEngine  *self,
                gpointer   data,
                GError   **error)
{
  ListRuns *list = data;
  DrRunFilter filter = { .service = list->service, .limit = list->limit };

  return dr_store_list_runs (self->store, &filter, error);
}

/**
 * dr_engine_list_runs_async:
 * @service: (nullable): only this service's runs
 * @limit: how many of the newest runs, 0 for all
 *
 * Lists run records from the store, newest first.
 */
void
dr_engine_list_runs_async (DrEngine            *self,
                           const char          *service,
                           guint                limit,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  ListRuns *list;

  g_return_if_fail (DR_IS_ENGINE (self));

  list = g_new0 (ListRuns, 1);
  list->service = g_strdup (service);
  list->limit = limit;

  dr_engine_queue_work (self, list_runs_work, list, (GDestroyNotify) list_runs_free,
                        (GDestroyNotify) g_ptr_array_unref, dr_engine_list_runs_async,
                        cancellable, callback, user_data);
}

GPtrArray *
dr_engine_list_runs_finish (DrEngine      *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gpointer
load_snapshot_work (DrEngine  *self,
                    gpointer   data,
                    GError   **error)
{
  return dr_store_load_snapshot (self->store, data, error);
}

void
dr_engine_load_snapshot_async (DrEngine            *self,
                               const char          *service,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (service != NULL);

  dr_engine_queue_work (self, load_snapshot_work, g_strdup (service), g_free,
                        (GDestroyNotify) dr_service_snapshot_free,
                        dr_engine_load_snapshot_async, cancellable, callback, user_data);
}

DrServiceSnapshot *
dr_engine_load_snapshot_finish (DrEngine      *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

GPtrArray *
dr_engine_check_promotion (DrEngine                *self,
                           const DrServiceSnapshot *snapshot,
                           const char              *version,
                           const char              *target_environment)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (snapshot != NULL, NULL);

  return dr_gate_evaluate (self->workspace, snapshot, self->identity, version,
                           target_environment);
}

/**
 * dr_engine_check_redeploy:
 * @snapshot: the service's records, from dr_engine_load_snapshot_async()
 * @environment: the environment whose current build would be deployed again
 *
 * Applies the gate of dr_engine_redeploy_async() for the engine's identity, as it would
 * apply now.
 *
 * Returns: (transfer full) (element-type DrRefusal): every unmet condition, empty when the
 *   redeploy may go ahead
 */
GPtrArray *
dr_engine_check_redeploy (DrEngine                *self,
                          const DrServiceSnapshot *snapshot,
                          const char              *environment)
{
  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (environment != NULL, NULL);

  return dr_gate_evaluate_redeploy (self->workspace, snapshot, self->identity, environment);
}

/* Returns the build that waits to enter `environment`: the one that is current and verified
 * in the environment before it, and not yet current in `environment` itself. */
const DrBuild *
dr_engine_find_waiting_build (DrEngine                *self,
                              const DrServiceSnapshot *snapshot,
                              const char              *environment_id)
{
  const DrEnvironment *environment;
  const DrEnvironment *source;
  const DrDeployment *candidate;
  const DrDeployment *current;

  g_return_val_if_fail (DR_IS_ENGINE (self), NULL);
  g_return_val_if_fail (snapshot != NULL, NULL);

  environment = dr_workspace_get_environment (self->workspace, environment_id);
  if (environment == NULL)
    return NULL;

  source = dr_workspace_get_previous_environment (self->workspace, environment);
  if (source == NULL)
    return NULL;

  candidate = dr_service_snapshot_get_current (snapshot, source->id);
  if (candidate == NULL)
    return NULL;

  current = dr_service_snapshot_get_current (snapshot, environment->id);
  if (current != NULL && g_strcmp0 (current->version, candidate->version) == 0)
    return NULL;

  return dr_service_snapshot_find_build (snapshot, candidate->version);
}

gboolean
dr_engine_write_finish (DrEngine      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (DR_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }

  return TRUE;
}

static void
wait_for_run_finished_cb (DrRun    *run,
                          gboolean *finished)
{
  *finished = TRUE;
}

void
dr_engine_wait_for_run (DrEngine *self,
                        DrRun    *run)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  gboolean finished = dr_run_is_finished (run);
  gulong handler;

  g_return_if_fail (DR_IS_ENGINE (self));
  g_return_if_fail (DR_IS_RUN (run));

  handler = g_signal_connect (run, "finished", G_CALLBACK (wait_for_run_finished_cb), &finished);
  while (!finished)
    g_main_context_iteration (context, TRUE);
  g_signal_handler_disconnect (run, handler);

  g_main_context_unref (context);
}
