/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "dr-store.h"

/* Number of audit events read at a time while verifying the chain. */
#define AUDIT_PAGE_SIZE 500

#define FIRST_PREVIOUS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

G_DEFINE_QUARK (dr-store-error-quark, dr_store_error)

G_DEFINE_INTERFACE (DrStore, dr_store, G_TYPE_OBJECT)

static void
dr_store_default_init (DrStoreInterface *iface)
{
}

/* Dispatch to the implementation. */

gboolean
dr_store_transaction (DrStore                *self,
                      DrStoreTransactionFunc  func,
                      gpointer                user_data,
                      GError                **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return DR_STORE_GET_IFACE (self)->transaction (self, func, user_data, error);
}

gboolean
dr_store_insert_build (DrStore  *self,
                       DrBuild  *build,
                       GError  **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), FALSE);
  g_return_val_if_fail (build != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return DR_STORE_GET_IFACE (self)->insert_build (self, build, error);
}

DrBuild *
dr_store_find_build (DrStore     *self,
                     const char  *service,
                     const char  *version,
                     GError     **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), NULL);
  g_return_val_if_fail (service != NULL, NULL);
  g_return_val_if_fail (version != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return DR_STORE_GET_IFACE (self)->find_build (self, service, version, error);
}

GPtrArray *
dr_store_list_builds (DrStore     *self,
                      const char  *service,
                      GError     **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return DR_STORE_GET_IFACE (self)->list_builds (self, service, error);
}

gboolean
dr_store_insert_deployment (DrStore       *self,
                            DrDeployment  *deployment,
                            GError       **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), FALSE);
  g_return_val_if_fail (deployment != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return DR_STORE_GET_IFACE (self)->insert_deployment (self, deployment, error);
}

gboolean
dr_store_update_deployment (DrStore             *self,
                            const DrDeployment  *deployment,
                            GError             **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), FALSE);
  g_return_val_if_fail (deployment != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return DR_STORE_GET_IFACE (self)->update_deployment (self, deployment, error);
}

GPtrArray *
dr_store_list_deployments (DrStore     *self,
                           const char  *service,
                           GError     **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return DR_STORE_GET_IFACE (self)->list_deployments (self, service, error);
}

gboolean
dr_store_insert_run (DrStore      *self,
                     DrRunRecord  *run,
                     GError      **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), FALSE);
  g_return_val_if_fail (run != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return DR_STORE_GET_IFACE (self)->insert_run (self, run, error);
}

gboolean
dr_store_update_run (DrStore            *self,
                     const DrRunRecord  *run,
                     GError            **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), FALSE);
  g_return_val_if_fail (run != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return DR_STORE_GET_IFACE (self)->update_run (self, run, error);
}

gboolean
dr_store_update_run_step (DrStore                *self,
                          gint64                  run_id,
                          const DrRunStepRecord  *step,
                          GError                **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), FALSE);
  g_return_val_if_fail (step != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return DR_STORE_GET_IFACE (self)->update_run_step (self, run_id, step, error);
}

DrRunRecord *
dr_store_find_run (DrStore  *self,
                   gint64    run_id,
                   GError  **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return DR_STORE_GET_IFACE (self)->find_run (self, run_id, error);
}

GPtrArray *
dr_store_list_runs (DrStore            *self,
                    const DrRunFilter  *filter,
                    GError            **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return DR_STORE_GET_IFACE (self)->list_runs (self, filter, error);
}

gboolean
dr_store_insert_signoff (DrStore    *self,
                         DrSignoff  *signoff,
                         GError    **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), FALSE);
  g_return_val_if_fail (signoff != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return DR_STORE_GET_IFACE (self)->insert_signoff (self, signoff, error);
}

GPtrArray *
dr_store_list_signoffs (DrStore     *self,
                        const char  *service,
                        const char  *version,
                        GError     **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), NULL);
  g_return_val_if_fail (service != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return DR_STORE_GET_IFACE (self)->list_signoffs (self, service, version, error);
}

gboolean
dr_store_insert_approval (DrStore     *self,
                          DrApproval  *approval,
                          GError     **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), FALSE);
  g_return_val_if_fail (approval != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return DR_STORE_GET_IFACE (self)->insert_approval (self, approval, error);
}

GPtrArray *
dr_store_list_approvals (DrStore     *self,
                         const char  *service,
                         const char  *version,
                         GError     **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), NULL);
  g_return_val_if_fail (service != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return DR_STORE_GET_IFACE (self)->list_approvals (self, service, version, error);
}

gboolean
dr_store_append_audit (DrStore       *self,
                       DrAuditEvent  *event,
                       GError       **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), FALSE);
  g_return_val_if_fail (event != NULL, FALSE);
  g_return_val_if_fail (event->action != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return DR_STORE_GET_IFACE (self)->append_audit (self, event, error);
}

GPtrArray *
dr_store_list_audit (DrStore  *self,
                     gint64    after_seq,
                     guint     limit,
                     GError  **error)
{
  g_return_val_if_fail (DR_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return DR_STORE_GET_IFACE (self)->list_audit (self, after_seq, limit, error);
}

gint64
dr_store_get_change_counter (DrStore *self)
{
  g_return_val_if_fail (DR_IS_STORE (self), 0);

  return DR_STORE_GET_IFACE (self)->get_change_counter (self);
}

/**
 * dr_store_dup_location:
 *
 * Returns: (transfer full): where the records live, the same string in every process that
 *   opens this store, so that the processes of a run are not confused with those of another
 *   store's run with the same id
 */
char *
dr_store_dup_location (DrStore *self)
{
  g_return_val_if_fail (DR_IS_STORE (self), NULL);

  return DR_STORE_GET_IFACE (self)->dup_location (self);
}

/* The snapshot of one service. */

typedef struct
{
  const char        *service;
  DrServiceSnapshot *snapshot;
} LoadSnapshotData;

/* Reads the run of each environment's newest deployment when that one failed. The
 * deployments are newest first, so the first one seen in an environment is its newest. */
static gboolean
load_failed_deploy_runs (DrStore            *store,
                         DrServiceSnapshot  *snapshot,
                         GError            **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  snapshot->failed_deploy_runs =
    g_ptr_array_new_with_free_func ((GDestroyNotify) dr_run_record_free);

  for (guint i = 0; i < snapshot->deployments->len; i++) {
    const DrDeployment *deployment = g_ptr_array_index (snapshot->deployments, i);
    g_autoptr(GError) local_error = NULL;
    DrRunRecord *run;

    if (!g_hash_table_add (seen, deployment->environment))
      continue;
    if (deployment->state != DR_DEPLOYMENT_FAILED)
      continue;

    run = dr_store_find_run (store, deployment->run_id, &local_error);
    if (local_error != NULL) {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
    if (run != NULL)
      g_ptr_array_add (snapshot->failed_deploy_runs, run);
  }

  return TRUE;
}

static gboolean
load_snapshot_cb (gpointer   store,
                  gpointer   user_data,
                  GError   **error)
{
  LoadSnapshotData *data = user_data;
  DrServiceSnapshot *snapshot = data->snapshot;
  DrRunFilter filter = { .service = data->service, .running_only = TRUE };

  snapshot->builds = dr_store_list_builds (store, data->service, error);
  if (snapshot->builds == NULL)
    return FALSE;

  snapshot->deployments = dr_store_list_deployments (store, data->service, error);
  if (snapshot->deployments == NULL)
    return FALSE;

  snapshot->active_runs = dr_store_list_runs (store, &filter, error);
  if (snapshot->active_runs == NULL)
    return FALSE;

  snapshot->signoffs = dr_store_list_signoffs (store, data->service, NULL, error);
  if (snapshot->signoffs == NULL)
    return FALSE;

  snapshot->approvals = dr_store_list_approvals (store, data->service, NULL, error);
  if (snapshot->approvals == NULL)
    return FALSE;

  return load_failed_deploy_runs (store, snapshot, error);
}

/**
 * dr_store_load_snapshot:
 *
 * Reads every build, deployment, running run, sign-off and approval of @service, and the
 * runs of the failed deployments that a rollback would undo, inside one transaction, so the
 * snapshot never mixes states from before and after a write.
 *
 * Returns: (transfer full) (nullable): the snapshot, or NULL with @error set
 */
DrServiceSnapshot *
dr_store_load_snapshot (DrStore     *self,
                        const char  *service,
                        GError     **error)
{
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  LoadSnapshotData data;

  g_return_val_if_fail (DR_IS_STORE (self), NULL);
  g_return_val_if_fail (service != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  snapshot = g_new0 (DrServiceSnapshot, 1);
  snapshot->service = g_strdup (service);

  data.service = service;
  data.snapshot = snapshot;
  if (!dr_store_transaction (self, load_snapshot_cb, &data, error))
    return NULL;

  return g_steal_pointer (&snapshot);
}

/* The audit chain. */

/**
 * dr_store_audit:
 * @detail_json: (nullable): a short JSON object with what the other fields do not say
 *
 * Appends an audit event dated now. The store sets its sequence number and chains it to
 * the event before it.
 */
gboolean
dr_store_audit (DrStore     *self,
                const char  *person,
                const char  *action,
                const char  *service,
                const char  *version,
                const char  *environment,
                const char  *detail_json,
                GError     **error)
{
  DrAuditEvent event = { 0 };
  gboolean ok;

  g_return_val_if_fail (DR_IS_STORE (self), FALSE);
  g_return_val_if_fail (action != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  event.at = g_get_real_time ();
  event.person = (char *) person;
  event.action = (char *) action;
  event.service = (char *) service;
  event.version = (char *) version;
  event.environment = (char *) environment;
  event.detail = (char *) detail_json;

  ok = dr_store_append_audit (self, &event, error);

  /* append_audit fills in the chain fields, which the event owns. */
  g_free (event.previous_hash);
  g_free (event.hash);

  return ok;
}

/**
 * dr_store_verify_audit:
 * @n_events: (out) (optional): number of events checked
 *
 * Walks the audit chain from its first event. Each event must follow the one before it
 * without a gap in the sequence numbers, name that event's hash as its previous hash, and
 * hash to the value it stores.
 *
 * NOTE: events removed from the end of the chain leave no trace in the chain itself, so
 * this check cannot detect them.
 *
 * Returns: TRUE when the whole chain verifies, or FALSE with DR_STORE_ERROR_CORRUPT naming
 *   the first event that does not (or another error when the store cannot be read)
 */
gboolean
dr_store_verify_audit (DrStore  *self,
                       guint    *n_events,
                       GError  **error)
{
  g_autofree char *previous_hash = g_strdup (FIRST_PREVIOUS_HASH);
  gint64 expected_seq = 1;
  guint count = 0;

  g_return_val_if_fail (DR_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (n_events != NULL)
    *n_events = 0;

  for (;;) {
    g_autoptr(GPtrArray) page = NULL;

    page = dr_store_list_audit (self, expected_seq - 1, AUDIT_PAGE_SIZE, error);
    if (page == NULL)
      return FALSE;

    for (guint i = 0; i < page->len; i++) {
      const DrAuditEvent *event = g_ptr_array_index (page, i);
      g_autofree char *hash = NULL;

      if (event->seq != expected_seq) {
        g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_CORRUPT,
                     _("The audit record is broken at event %lld: the events from %lld to "
                       "%lld are missing. The store was changed outside Dynamo Release."),
                     (long long) expected_seq, (long long) expected_seq,
                     (long long) event->seq - 1);
        return FALSE;
      }

      if (g_strcmp0 (event->previous_hash, previous_hash) != 0) {
        g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_CORRUPT,
                     _("The audit record is broken at event %lld: it does "
                       "not link to the event before it. The store was changed outside "
                       "Dynamo Release."),
                     (long long) event->seq);
        return FALSE;
      }

      hash = dr_audit_event_compute_hash (event, previous_hash);
      if (g_strcmp0 (event->hash, hash) != 0) {
        g_set_error (error, DR_STORE_ERROR, DR_STORE_ERROR_CORRUPT,
                     _("The audit record is broken at event %lld: its "
                       "contents do not match its hash. The store was changed outside "
                       "Dynamo Release."),
                     (long long) event->seq);
        return FALSE;
      }

      g_free (previous_hash);
      previous_hash = g_steal_pointer (&hash);
      expected_seq++;
      count++;
    }

    if (page->len < AUDIT_PAGE_SIZE)
      break;
  }

  if (n_events != NULL)
    *n_events = count;

  return TRUE;
}

/* Process owners. A run records the process that executes it so that a later start can
 * tell a live run from one whose process died. */

static char *
read_boot_id (void)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents ("/proc/sys/kernel/random/boot_id", &contents, NULL, NULL))
    return NULL;

  return g_strstrip (g_steal_pointer (&contents));
}

/* Reads the state (field 3) and start time in clock ticks since boot (field 22) of a
 * process from /proc/PID/stat. The command name in field 2 may contain spaces and
 * parentheses, so the fields are counted from its closing parenthesis. */
static gboolean
read_process_stat (const char *pid,
                   char       *state,
                   char      **start_time)
{
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;
  const char *end_of_name;

  g_assert (pid != NULL);
  g_assert (state != NULL);
  g_assert (start_time != NULL);

  path = g_strdup_printf ("/proc/%s/stat", pid);
  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;

  end_of_name = strrchr (contents, ')');
  if (end_of_name == NULL)
    return FALSE;

  /* fields[0] is field 3, so field 22 is fields[19]. */
  fields = g_strsplit (g_strstrip ((char *) end_of_name + 1), " ", 21);
  if (g_strv_length (fields) < 20 || strlen (fields[0]) != 1)
    return FALSE;

  *state = fields[0][0];
  *start_time = g_strdup (fields[19]);
  return TRUE;
}

/**
 * dr_process_owner_for_self:
 *
 * Describes the calling process as "hostname boot-id pid start-time", which stays unique
 * when the kernel later reuses the pid.
 *
 * Returns: (transfer full): the owner string
 */
char *
dr_process_owner_for_self (void)
{
  g_autofree char *boot_id = read_boot_id ();
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  g_autofree char *start_time = NULL;
  char state;

  if (boot_id == NULL)
    boot_id = g_strdup ("unknown-boot");

  if (!read_process_stat (pid, &state, &start_time))
    start_time = g_strdup ("0");

  return g_strdup_printf ("%s %s %s %s", g_get_host_name (), boot_id, pid, start_time);
}

/**
 * dr_process_owner_is_alive:
 *
 * Checks whether the process described by @owner still runs: it is on this host, since
 * the same boot, and a process with its pid exists, is not a zombie and started at the
 * same time. A reused pid therefore does not count as alive.
 *
 * NOTE: a process on another host always counts as ended. That is right for a store file
 * on one machine but not for a store shared between machines.
 */
gboolean
dr_process_owner_is_alive (const char *owner)
{
  g_auto(GStrv) parts = NULL;
  g_autofree char *boot_id = NULL;
  g_autofree char *start_time = NULL;
  char state;

  if (owner == NULL)
    return FALSE;

  parts = g_strsplit (owner, " ", -1);
  if (g_strv_length (parts) != 4)
    return FALSE;

  if (g_strcmp0 (parts[0], g_get_host_name ()) != 0)
    return FALSE;

  boot_id = read_boot_id ();
  if (boot_id == NULL || g_strcmp0 (parts[1], boot_id) != 0)
    return FALSE;

  for (const char *c = parts[2]; *c != '\0'; c++) {
    if (!g_ascii_isdigit (*c))
      return FALSE;
  }

  if (!read_process_stat (parts[2], &state, &start_time))
    return FALSE;

  if (state == 'Z' || state == 'X')
    return FALSE;

  return g_strcmp0 (start_time, parts[3]) == 0;
}

/* Recovery of runs whose process died. */

typedef struct
{
  guint n_recovered;
} RecoverData;

static char *
describe_interrupted_run (const DrRunRecord *run)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  g_assert (run != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "run");
  json_builder_add_int_value (builder, run->id);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, dr_run_kind_to_string (run->kind));
  json_builder_set_member_name (builder, "owner");
  json_builder_add_string_value (builder, run->owner);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, NULL);
}

static gboolean
interrupt_run (DrStore      *store,
               DrRunRecord  *run,
               gint64        now,
               GError      **error)
{
  g_autoptr(GPtrArray) deployments = NULL;
  g_autofree char *detail = NULL;

  g_assert (DR_IS_STORE (store));
  g_assert (run != NULL);

  run->state = DR_RUN_STATE_INTERRUPTED;
  run->finished_at = now;
  g_free (run->message);
  run->message = g_strdup (_("The process running it ended unexpectedly"));
  if (!dr_store_update_run (store, run, error))
    return FALSE;

  for (guint i = 0; run->steps != NULL && i < run->steps->len; i++) {
    DrRunStepRecord *step = g_ptr_array_index (run->steps, i);

    if (step->state == DR_STEP_STATE_RUNNING) {
      step->state = DR_STEP_STATE_INTERRUPTED;
      step->finished_at = now;
    } else if (step->state == DR_STEP_STATE_PENDING) {
      step->state = DR_STEP_STATE_SKIPPED;
    } else {
      continue;
    }

    if (!dr_store_update_run_step (store, run->id, step, error))
      return FALSE;
  }

  deployments = dr_store_list_deployments (store, run->service, error);
  if (deployments == NULL)
    return FALSE;

  for (guint i = 0; i < deployments->len; i++) {
    DrDeployment *deployment = g_ptr_array_index (deployments, i);

    if (deployment->run_id != run->id || deployment->state != DR_DEPLOYMENT_IN_PROGRESS)
      continue;

    deployment->state = DR_DEPLOYMENT_FAILED;
    deployment->finished_at = now;
    if (!dr_store_update_deployment (store, deployment, error))
      return FALSE;
  }

  detail = describe_interrupted_run (run);

  return dr_store_audit (store, run->person, "run-interrupted", run->service, run->version,
                         run->environment, detail, error);
}

static gboolean
recover_interrupted_runs_cb (gpointer   store,
                             gpointer   user_data,
                             GError   **error)
{
  RecoverData *data = user_data;
  DrRunFilter filter = { .running_only = TRUE };
  g_autoptr(GPtrArray) runs = NULL;
  gint64 now = g_get_real_time ();

  runs = dr_store_list_runs (store, &filter, error);
  if (runs == NULL)
    return FALSE;

  for (guint i = 0; i < runs->len; i++) {
    DrRunRecord *run = g_ptr_array_index (runs, i);

    if (dr_process_owner_is_alive (run->owner))
      continue;

    g_debug ("Run %" G_GINT64_FORMAT " of %s: its process %s ended, marking it interrupted",
             run->id, run->service, run->owner != NULL ? run->owner : "(none)");

    if (!interrupt_run (store, run, now, error))
      return FALSE;

    data->n_recovered++;
  }

  return TRUE;
}

/**
 * dr_store_recover_interrupted_runs:
 *
 * Marks every running run whose process has ended as interrupted, in one transaction.
 * Its running step becomes interrupted and its pending steps skipped, the deployment it
 * was making fails, and an audit event "run-interrupted" records each run.
 *
 * Returns: the number of runs marked; 0 with @error set on failure
 */
guint
dr_store_recover_interrupted_runs (DrStore  *self,
                                   GError  **error)
{
  RecoverData data = { 0 };

  g_return_val_if_fail (DR_IS_STORE (self), 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!dr_store_transaction (self, recover_interrupted_runs_cb, &data, error))
    return 0;

  return data.n_recovered;
}
