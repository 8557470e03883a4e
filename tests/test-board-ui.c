/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The board as a person uses it, on a real X server: cards dragged with real pointer events,
 * boxes ticked and buttons clicked with xdotool, real runs of the Dynamo workspace's pipelines
 * against the end-to-end clones. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-board.h"
#include "dr-credentials.h"
#include "dr-e2e.h"
#include "dr-keyring-test.h"
#include "dr-log-window.h"
#include "dr-run-window.h"
#include "dr-ui-test.h"
#include "dr-window.h"
#include "kube-api-double.h"

typedef struct
{
  DrE2e    *e2e;
  DrWindow *window;
} Fixture;

static gboolean
window_is_loaded (gpointer user_data)
{
  Fixture *fixture = user_data;

  return dr_window_is_loaded (fixture->window, "api-gateway");
}

/* Waits until the window shows the store as it is now. */
static void
wait_for_board (Fixture *fixture)
{
  /* A change is announced after it is written; give the reload time to start. */
  dr_ui_wait_ms (300);
  g_assert_true (dr_ui_wait_until (window_is_loaded, fixture, 20000));
  dr_ui_wait_ms (200);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  gboolean with_clones = GPOINTER_TO_INT (data);

  fixture->e2e = dr_e2e_new (NULL, with_clones);
  fixture->window = dr_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1240, 780);
  gtk_window_present (GTK_WINDOW (fixture->window));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  /* Close every window, the run and log windows included, before the engine goes. */
  while (g_list_model_get_n_items (toplevels) > 0) {
    g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, 0);

    gtk_window_destroy (window);
  }
  dr_ui_wait_ms (100);

  g_clear_pointer (&fixture->e2e, dr_e2e_free);
}

static void
show_service (Fixture    *fixture,
              const char *service)
{
  dr_window_set_engine (fixture->window, fixture->e2e->engine);
  dr_ui_wait_for_mapped (GTK_WIDGET (fixture->window));
  dr_window_select_service (fixture->window, service);
  wait_for_board (fixture);
}

static DrBoardColumn *
column (Fixture    *fixture,
        const char *environment)
{
  DrBoardColumn *found = dr_board_get_column (dr_window_get_board (fixture->window), environment);

  g_assert_nonnull (found);

  return found;
}

static DrBuildCard *
card (Fixture    *fixture,
      const char *environment,
      const char *version)
{
  DrBuildCard *found = dr_board_column_find_card (column (fixture, environment), version);

  g_assert_nonnull (found);

  return found;
}

static AdwMessageDialog *
find_dialog (void)
{
  return ADW_MESSAGE_DIALOG (dr_ui_find_window (ADW_TYPE_MESSAGE_DIALOG));
}

static gboolean
dialog_is_shown (gpointer user_data)
{
  AdwMessageDialog *dialog = find_dialog ();

  return dialog != NULL && gtk_widget_get_mapped (GTK_WIDGET (dialog));
}

/* Returns the text of a message dialog: its body, then the text of its extra child. */
static const char *
dialog_text (AdwMessageDialog *dialog)
{
  GtkWidget *extra = adw_message_dialog_get_extra_child (dialog);
  g_autofree char *text = NULL;

  text = g_strdup_printf ("%s\n%s", adw_message_dialog_get_body (dialog),
                          GTK_IS_LABEL (extra) ? gtk_label_get_text (GTK_LABEL (extra)) : "");
  g_object_set_data_full (G_OBJECT (dialog), "text", g_steal_pointer (&text), g_free);

  return g_object_get_data (G_OBJECT (dialog), "text");
}

/* Waits until a message dialog is on screen and has settled, so a click lands on it. */
static AdwMessageDialog *
wait_for_dialog (void)
{
  g_assert_true (dr_ui_wait_until (dialog_is_shown, NULL, 10000));
  dr_ui_wait_ms (300);

  return find_dialog ();
}

static gboolean
dialog_is_gone (gpointer user_data)
{
  return find_dialog () == NULL;
}

static gboolean
log_window_is_shown (gpointer user_data)
{
  GtkWindow *window = dr_ui_find_window (DR_TYPE_LOG_WINDOW);

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

static gboolean
run_window_is_shown (gpointer user_data)
{
  GtkWindow *window = dr_ui_find_window (DR_TYPE_RUN_WINDOW);

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

/* Waits for the run window that a started run opens, then for the run to end. */
static DrRun *
wait_for_run_window (Fixture *fixture)
{
  DrRunWindow *window;
  DrRun *run;

  if (!dr_ui_wait_until (run_window_is_shown, NULL, 30000)) {
    dr_ui_screenshot ("no-run-window");
    g_error ("No run window appeared");
  }
  window = DR_RUN_WINDOW (dr_ui_find_window (DR_TYPE_RUN_WINDOW));
  run = dr_run_window_get_run (window);
  g_assert_nonnull (run);

  return run;
}

static void
close_run_windows (void)
{
  GtkWindow *window;

  while ((window = dr_ui_find_window (DR_TYPE_RUN_WINDOW)) != NULL)
    gtk_window_destroy (window);
  dr_ui_wait_ms (100);
}

static const char *
item_title (Fixture    *fixture,
            const char *item)
{
  return dr_workspace_find_checklist_item (fixture->e2e->workspace, "pre-production", item)->title;
}

static const char *
role_title (Fixture    *fixture,
            const char *role)
{
  return dr_workspace_get_role (fixture->e2e->workspace, role)->title;
}

static gboolean
check_is_active (gpointer user_data)
{
  Fixture *fixture = user_data;
  DrChecklistView *view = dr_window_get_checklist_view (fixture->window);
  const char *item = g_object_get_data (G_OBJECT (fixture->window), "waiting-item");
  GtkWidget *check = dr_checklist_view_get_item_check (view, item);

  return check != NULL && gtk_check_button_get_active (GTK_CHECK_BUTTON (check));
}

/* Ticks a checklist box with a real click and waits until the store has the sign-off. */
static void
tick (Fixture    *fixture,
      const char *item)
{
  DrChecklistView *view = dr_window_get_checklist_view (fixture->window);
  GtkWidget *check = dr_checklist_view_get_item_check (view, item);

  g_assert_nonnull (check);
  g_assert_true (gtk_widget_get_sensitive (check));
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)));
  g_assert_true (dr_ui_click (check));

  g_object_set_data_full (G_OBJECT (fixture->window), "waiting-item", g_strdup (item), g_free);
  g_assert_true (dr_ui_wait_until (check_is_active, fixture, 20000));
}

static void
assert_current (Fixture    *fixture,
                const char *environment,
                const char *version)
{
  DrBuildCard *current = card (fixture, environment, version);

  g_assert_cmpint (dr_build_card_get_kind (current), ==, DR_BUILD_CARD_CURRENT);
}

static void
test_drag_through_gate (Fixture       *fixture,
                        gconstpointer  data)
{
  DrE2e *e2e = fixture->e2e;
  DrChecklistView *view;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  AdwMessageDialog *dialog;
  g_autofree char *running = NULL;
  g_autoptr(GError) error = NULL;
  DrRun *run;

  /* 1.0.0 runs in Production; 1.1.0 is verified in QA and waits. */
  dr_e2e_deploy_through (e2e, "api-gateway", "1.0.0", "production");
  dr_e2e_deploy_through (e2e, "api-gateway", "1.1.0", "qa");
  dr_e2e_set_identity (e2e, "Rita", "release-manager", NULL);

  show_service (fixture, "api-gateway");
  view = dr_window_get_checklist_view (fixture->window);
  g_assert_cmpstr (dr_checklist_view_get_version (view), ==, "1.1.0");
  assert_current (fixture, "production", "1.0.0");
  assert_current (fixture, "qa", "1.1.0");
  dr_ui_screenshot ("board");

  /* A release manager may not tick QA's boxes. */
  g_assert_false (gtk_widget_get_sensitive (dr_checklist_view_get_item_check (view,
                                                                              "qa-tests-pass")));

  /* While the checklist is open, Production refuses the card and lists the reasons. */
  g_assert_true (dr_ui_drag_hold (GTK_WIDGET (card (fixture, "qa", "1.1.0")),
                                  GTK_WIDGET (column (fixture, "production"))));
  g_assert_cmpint (dr_board_column_get_verdict (column (fixture, "production")), ==,
                   DR_COLUMN_VERDICT_REFUSE);
  g_assert_cmpint (dr_board_column_get_verdict (column (fixture, "qa")), ==,
                   DR_COLUMN_VERDICT_SOURCE);
  g_assert_cmpint (dr_board_column_get_verdict (column (fixture, "development")), ==,
                   DR_COLUMN_VERDICT_REFUSE);
  dr_ui_screenshot ("refused-drag");
  g_assert_true (dr_ui_drag_release ());

  dialog = wait_for_dialog ();
  g_assert_nonnull (strstr (dialog_text (dialog), item_title (fixture, "performance-tests")));
  g_assert_nonnull (strstr (dialog_text (dialog), item_title (fixture, "security-review")));
  g_assert_nonnull (strstr (dialog_text (dialog), role_title (fixture, "security")));
  dr_ui_screenshot ("refused-drop");
  g_assert_true (dr_ui_key ("Escape"));
  g_assert_true (dr_ui_wait_until (dialog_is_gone, NULL, 10000));
  g_assert_true (dr_e2e_running_version (e2e, "dynamo-prod", "api-gateway") != NULL);

  /* QA signs its three items. */
  dr_e2e_set_identity (e2e, "Quinn", "qa", NULL);
  wait_for_board (fixture);
  tick (fixture, "qa-tests-pass");
  tick (fixture, "functionality-verified");
  tick (fixture, "performance-tests");

  /* Security signs its review and approves, with a comment typed into the dialog. */
  dr_e2e_set_identity (e2e, "Sam", "security", NULL);
  wait_for_board (fixture);
  tick (fixture, "security-review");
  g_assert_true (dr_ui_click (dr_checklist_view_get_decision_button (view, "security",
                                                                     DR_DECISION_APPROVED)));
  wait_for_dialog ();
  g_assert_true (dr_ui_type ("Reviewed the dependency updates"));
  dr_ui_screenshot ("approve-dialog");
  g_assert_true (dr_ui_key ("Return"));
  g_assert_true (dr_ui_wait_until (dialog_is_gone, NULL, 10000));
  wait_for_board (fixture);
  g_assert_null (dr_checklist_view_get_decision_button (view, "security",
                                                        DR_DECISION_APPROVED));

  /* The release manager runs the verification script, which signs the last item. */
  dr_e2e_set_identity (e2e, "Rita", "release-manager", NULL);
  wait_for_board (fixture);
  dr_ui_click_text (GTK_WIDGET (view), dr_ui_shown_label ("_Run Check"));
  run = wait_for_run_window (fixture);
  dr_e2e_wait_for_run (e2e, run);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_SUCCEEDED);
  close_run_windows ();
  wait_for_board (fixture);
  g_assert_true (gtk_check_button_get_active (
    GTK_CHECK_BUTTON (dr_checklist_view_get_item_check (view, "pre-deployment-verification"))));
  dr_ui_screenshot ("checklist");

  /* Now the same drag is accepted, and the deploy runs. */
  g_assert_true (dr_ui_drag_hold (GTK_WIDGET (card (fixture, "qa", "1.1.0")),
                                  GTK_WIDGET (column (fixture, "production"))));
  g_assert_cmpint (dr_board_column_get_verdict (column (fixture, "production")), ==,
                   DR_COLUMN_VERDICT_ACCEPT);
  dr_ui_screenshot ("accepted-drag");
  g_assert_true (dr_ui_drag_release ());

  run = wait_for_run_window (fixture);
  g_assert_cmpint (dr_run_get_kind (run), ==, DR_RUN_KIND_DEPLOY);
  g_assert_cmpstr (dr_run_get_environment (run), ==, "production");
  dr_ui_screenshot ("running-run");
  dr_e2e_wait_for_run (e2e, run);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_SUCCEEDED);
  dr_ui_screenshot ("finished-run");

  /* The run's log, from its window, which is raised first: without a window manager, the main
   * window may cover it after the drop. */
  gtk_window_present (dr_ui_find_window (DR_TYPE_RUN_WINDOW));
  dr_ui_wait_ms (300);
  dr_ui_click_text (GTK_WIDGET (dr_ui_find_window (DR_TYPE_RUN_WINDOW)),
                    dr_ui_shown_label ("Show _Log"));
  if (!dr_ui_wait_until (log_window_is_shown, NULL, 10000)) {
    dr_ui_screenshot ("no-log-window");
    g_error ("A click on Show Log opened no log window");
  }
  dr_ui_wait_ms (500);
  dr_ui_screenshot ("log-window");
  gtk_window_destroy (dr_ui_find_window (DR_TYPE_LOG_WINDOW));
  close_run_windows ();

  wait_for_board (fixture);
  assert_current (fixture, "production", "1.1.0");
  g_assert_nonnull (dr_board_column_find_card (column (fixture, "production"), "1.0.0"));
  running = dr_e2e_running_version (e2e, "dynamo-prod", "api-gateway");
  g_assert_cmpstr (running, ==, "1.1.0");
  g_clear_pointer (&running, g_free);
  dr_ui_screenshot ("promoted");

  /* After the deploy, the release manager signs the monitoring checks for 1.1.0. */
  tick (fixture, "service-metrics");
  tick (fixture, "error-logs");
  snapshot = dr_e2e_snapshot (e2e, "api-gateway");
  g_assert_nonnull (dr_service_snapshot_get_signoff (snapshot, "1.1.0", "post-deployment@production",
                                                     "service-metrics"));
  g_assert_null (dr_service_snapshot_get_signoff (snapshot, "1.1.0", "post-deployment@production",
                                                  "response-times"));
  /* Signed after the deploy to Production, not after the one to QA. */
  g_assert_null (dr_service_snapshot_get_signoff (snapshot, "1.1.0", "post-deployment@qa",
                                                  "service-metrics"));
  g_clear_pointer (&snapshot, dr_service_snapshot_free);
  dr_ui_screenshot ("monitoring");

  /* Roll back from the card's menu, after a confirmation that lists what will run. */
  g_assert_true (dr_ui_click (dr_build_card_get_menu_button (card (fixture, "production",
                                                                  "1.1.0"))));
  dr_ui_wait_ms (300);
  dr_ui_click_text (GTK_WIDGET (dr_build_card_get_menu_button (card (fixture, "production",
                                                                    "1.1.0"))),
                    dr_ui_shown_label ("Roll Back…"));
  dialog = wait_for_dialog ();
  g_assert_nonnull (strstr (dialog_text (dialog),
                            "kubectl rollout undo deployment/api-gateway"));
  g_assert_nonnull (strstr (dialog_text (dialog), "1.0.0"));
  dr_ui_screenshot ("rollback-confirmation");
  dr_ui_click_text (GTK_WIDGET (dialog), dr_ui_shown_label ("_Roll Back"));

  run = wait_for_run_window (fixture);
  g_assert_cmpint (dr_run_get_kind (run), ==, DR_RUN_KIND_ROLLBACK);
  dr_e2e_wait_for_run (e2e, run);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_SUCCEEDED);
  close_run_windows ();

  wait_for_board (fixture);
  assert_current (fixture, "production", "1.0.0");
  running = dr_e2e_running_version (e2e, "dynamo-prod", "api-gateway");
  g_assert_cmpstr (running, ==, "1.0.0");
  dr_ui_screenshot ("rolled-back");

  /* At 360 pixels the columns stack and every card stays reachable. */
  g_assert_true (dr_ui_xdotool ("search", "--onlyvisible", "--name", "^Dynamo Release$",
                                "windowsize", "%@", "360", "720", NULL));
  dr_ui_wait_ms (800);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->window)), <=, 360);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (column (fixture, "production"))), >, 200);
  dr_ui_screenshot ("board-narrow");
}

/* A sign-off that the engine rejects shows the whole message, which names the problem and the
 * fix, in a dialog. */
static void
test_sign_invalid_name (Fixture       *fixture,
                        gconstpointer  data)
{
  DrE2e *e2e = fixture->e2e;
  g_autofree char *long_name = g_strnfill (110, 'B');
  DrChecklistView *view;
  AdwMessageDialog *dialog;
  GtkWidget *check;

  dr_e2e_deploy_through (e2e, "api-gateway", "1.1.0", "qa");
  dr_e2e_set_identity (e2e, long_name, "qa", NULL);
  show_service (fixture, "api-gateway");

  view = dr_window_get_checklist_view (fixture->window);
  check = dr_checklist_view_get_item_check (view, "qa-tests-pass");
  g_assert_nonnull (check);
  g_assert_true (dr_ui_click (check));

  dialog = wait_for_dialog ();
  dr_ui_screenshot ("sign-invalid-name");
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog),
                           _("The checklist was not changed")));
  g_assert_nonnull (strstr (dialog_text (dialog), "110"));
  g_assert_nonnull (strstr (dialog_text (dialog), "--as"));
  g_assert_true (dr_ui_key ("Escape"));
  g_assert_true (dr_ui_wait_until (dialog_is_gone, NULL, 10000));

  /* The box is put back, since nothing was signed. */
  wait_for_board (fixture);
  check = dr_checklist_view_get_item_check (view, "qa-tests-pass");
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)));
}

/* The bundled workspace on a machine without the clones: the deploy fails at once, the run
 * window says which clone is missing and where it comes from, and offers Roll Back. */
static void
test_missing_clones_shown (Fixture       *fixture,
                           gconstpointer  data)
{
  DrE2e *e2e = fixture->e2e;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *deploy_item = NULL;
  DrBuildCard *new_card;
  GtkWindow *run_window;
  DrRun *run;

  build = dr_e2e_record_build (e2e, "api-gateway", "2.0.0", &error);
  g_assert_no_error (error);
  show_service (fixture, "api-gateway");

  /* The keyboard path: Return on the focused new card opens its menu, then the confirmation. */
  new_card = card (fixture, "development", "2.0.0");
  g_assert_cmpint (dr_build_card_get_kind (new_card), ==, DR_BUILD_CARD_NEW);
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (new_card)));
  dr_ui_wait_ms (200);
  g_assert_true (dr_ui_key ("Return"));
  dr_ui_wait_ms (400);
  deploy_item = g_strdup_printf (_("Deploy to %s…"),
                                 dr_workspace_get_environment (e2e->workspace,
                                                               "development")->title);
  dr_ui_click_text (dr_build_card_get_menu_button (new_card), deploy_item);
  dr_ui_screenshot ("deploy-confirmation");
  dr_ui_click_text (GTK_WIDGET (wait_for_dialog ()), dr_ui_shown_label ("_Deploy"));

  run = wait_for_run_window (fixture);
  dr_e2e_wait_for_run (e2e, run);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_FAILED);
  dr_ui_wait_ms (300);

  run_window = dr_ui_find_window (DR_TYPE_RUN_WINDOW);
  g_assert_nonnull (dr_ui_find_text (GTK_WIDGET (run_window), dr_ui_shown_label ("_Roll Back…")));
  dr_ui_screenshot ("missing-clones");
}

static void
store_credentials (DrE2e         *e2e,
                   const char    *cluster,
                   KubeApiDouble *api)
{
  g_autoptr(DrClusterCredentials) credentials = dr_cluster_credentials_new (cluster);
  g_autoptr(GError) error = NULL;

  credentials->server = g_strdup (kube_api_double_get_url (api));
  credentials->token = g_strdup (e2e->token);
  dr_credentials_store_sync (credentials, NULL, &error);
  g_assert_no_error (error);
}

static gboolean
cluster_lines_shown (gpointer user_data)
{
  Fixture *fixture = user_data;
  const char *environments[] = { "development", "qa", "production" };

  for (guint i = 0; i < G_N_ELEMENTS (environments); i++) {
    GtkWidget *label = dr_board_column_get_cluster_label (column (fixture, environments[i]));

    if (!gtk_widget_get_mapped (label))
      return FALSE;
  }

  return TRUE;
}

static gboolean
cluster_line_is_mapped (Fixture *fixture)
{
  return gtk_widget_get_mapped (dr_board_column_get_cluster_label (column (fixture,
                                                                           "development")));
}

static const char *
cluster_line (Fixture    *fixture,
              const char *environment)
{
  return gtk_label_get_text (GTK_LABEL (dr_board_column_get_cluster_label (column (fixture,
                                                                                   environment))));
}

static void
cluster_preferences_cb (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  char **cluster = user_data;

  g_free (*cluster);
  *cluster = g_variant_dup_string (parameter, NULL);
}

static gboolean
string_is_set (gpointer user_data)
{
  return *(char **) user_data != NULL;
}

static gboolean
line_has_prefix (gpointer user_data)
{
  Fixture *fixture = user_data;
  const char *prefix = g_object_get_data (G_OBJECT (fixture->window), "line-prefix");

  return cluster_line_is_mapped (fixture) &&
         g_str_has_prefix (cluster_line (fixture, "development"), prefix);
}

/* Waits until Development's cluster line starts with @prefix. */
static gboolean
wait_for_line (Fixture    *fixture,
               const char *prefix)
{
  g_object_set_data_full (G_OBJECT (fixture->window), "line-prefix", g_strdup (prefix), g_free);

  return dr_ui_wait_until (line_has_prefix, fixture, 20000);
}

/* A locked keyring gives the next step on each column, and the window reads the credentials
 * again once it is unlocked and the window is active again. */
static void
test_cluster_keyring_locked (Fixture       *fixture,
                             gconstpointer  data)
{
  DrE2e *e2e = fixture->e2e;
  g_autoptr(KubeApiDouble) dev_api = kube_api_double_new (e2e->token);
  const char *locked = _("Keyring locked. Unlock it, for example by logging in again or with "
                         "Seahorse, and the credentials are read again.");
  g_autofree char *ready = NULL;
  GtkWidget *other;

  dr_e2e_deploy_through (e2e, "api-gateway", "1.4.0", "development");
  kube_api_double_add_deployment (dev_api, "dynamo", "api-gateway", "dynamo/api-gateway:1.4.0",
                                  1);
  store_credentials (e2e, "dynamo-dev", dev_api);
  dr_keyring_test_lock ();

  show_service (fixture, "api-gateway");
  g_assert_true (wait_for_line (fixture, locked));
  g_assert_cmpstr (cluster_line (fixture, "development"), ==, locked);
  g_assert_cmpstr (cluster_line (fixture, "production"), ==, locked);
  dr_ui_screenshot ("cluster-keyring-locked");

  /* With no window manager on the test display, focus moves only when asked. */
  dr_keyring_test_unlock ();
  other = gtk_window_new ();
  gtk_window_set_title (GTK_WINDOW (other), "Other Window");
  gtk_window_present (GTK_WINDOW (other));
  dr_ui_wait_for_mapped (other);
  g_assert_true (dr_ui_xdotool ("search", "--name", "^Other Window$", "windowfocus", NULL));
  dr_ui_wait_ms (300);
  gtk_window_destroy (GTK_WINDOW (other));
  gtk_window_present (GTK_WINDOW (fixture->window));
  g_assert_true (dr_ui_xdotool ("search", "--name", "^Dynamo Release$", "windowfocus", NULL));
  ready = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Cluster: %s, %d of %d ready",
                                        "Cluster: %s, %d of %d ready", 1), "1.4.0", 1, 1);
  g_assert_true (wait_for_line (fixture, ready));
}

/* Each column says what its cluster runs: Development agrees with the board, QA's cluster
 * still runs the previous build, and Production has no credentials yet. */
static void
test_cluster_drift (Fixture       *fixture,
                    gconstpointer  data)
{
  DrE2e *e2e = fixture->e2e;
  g_autoptr(KubeApiDouble) dev_api = kube_api_double_new (e2e->token);
  g_autoptr(KubeApiDouble) qa_api = kube_api_double_new (e2e->token);
  g_autofree char *ready = NULL;
  g_autofree char *drift = NULL;
  g_autofree char *drift_stalled = NULL;
  g_autofree char *missing = NULL;
  g_autoptr(GVariant) target = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSimpleActionGroup) app_actions = g_simple_action_group_new ();
  g_autoptr(GSimpleAction) preferences = NULL;
  g_autofree char *opened_cluster = NULL;
  g_autofree char *x_text = NULL;
  g_autofree char *y_text = NULL;
  GtkWidget *dev_label, *qa_label, *prod_label, *prod_button, *qa_button;
  const char *tooltip;
  int x, y;

  dr_e2e_deploy_through (e2e, "api-gateway", "1.4.0", "qa");
  kube_api_double_add_deployment (dev_api, "dynamo", "api-gateway", "dynamo/api-gateway:1.4.0",
                                  2);
  /* In QA someone rolled 1.3.0 out by hand, and that rollout stalled. */
  kube_api_double_add_deployment (qa_api, "dynamo", "api-gateway", "dynamo/api-gateway:1.4.0",
                                  2);
  kube_api_double_set_rollout_fails (qa_api, "dynamo", "api-gateway", TRUE);
  kube_api_double_set_image (qa_api, "dynamo", "api-gateway", "dynamo/api-gateway:1.3.0");
  g_assert_true (kube_api_double_tick (qa_api));
  g_assert_true (kube_api_double_tick (qa_api));
  store_credentials (e2e, "dynamo-dev", dev_api);
  store_credentials (e2e, "dynamo-qa", qa_api);
  dr_credentials_delete_sync ("dynamo-prod", NULL, &error);
  g_assert_no_error (error);

  /* The window has no application here, so the test stands in for its Preferences action. */
  preferences = g_simple_action_new ("cluster-preferences", G_VARIANT_TYPE_STRING);
  g_signal_connect (preferences, "activate", G_CALLBACK (cluster_preferences_cb), &opened_cluster);
  g_action_map_add_action (G_ACTION_MAP (app_actions), G_ACTION (preferences));
  gtk_widget_insert_action_group (GTK_WIDGET (fixture->window), "app",
                                  G_ACTION_GROUP (app_actions));

  show_service (fixture, "api-gateway");
  if (!dr_ui_wait_until (cluster_lines_shown, fixture, 20000)) {
    dr_ui_screenshot ("no-cluster-lines");
    g_error ("The board shows no cluster line");
  }

  dev_label = dr_board_column_get_cluster_label (column (fixture, "development"));
  qa_label = dr_board_column_get_cluster_label (column (fixture, "qa"));
  prod_label = dr_board_column_get_cluster_label (column (fixture, "production"));

  ready = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Cluster: %s, %d of %d ready",
                                        "Cluster: %s, %d of %d ready", 2), "1.4.0", 2, 2);
  g_assert_cmpstr (cluster_line (fixture, "development"), ==, ready);
  g_assert_true (gtk_widget_has_css_class (dev_label, "success"));
  g_assert_false (gtk_widget_has_css_class (dev_label, "warning"));

  drift = g_strdup_printf (_("Cluster runs %s, the board says %s"), "1.3.0", "1.4.0");
  drift_stalled = g_strdup_printf (_("%s; %s"), drift,
                                   _("its rollout stalled past its progress deadline"));
  g_assert_cmpstr (cluster_line (fixture, "qa"), ==, drift_stalled);
  g_assert_true (gtk_widget_has_css_class (qa_label, "warning"));
  g_assert_false (gtk_widget_has_css_class (qa_label, "success"));
  tooltip = gtk_widget_get_tooltip_text (qa_label);
  g_assert_nonnull (tooltip);
  g_assert_nonnull (strstr (tooltip, "1.3.0"));
  g_assert_nonnull (strstr (tooltip, "1.4.0"));
  g_assert_nonnull (strstr (tooltip, dr_workspace_get_environment (fixture->e2e->workspace,
                                                                   "qa")->title));
  g_assert_nonnull (strstr (tooltip, "Redeploy 1.4.0"));

  /* The drift line offers the fix: deploying the recorded build again. */
  qa_button = dr_board_column_get_cluster_button (column (fixture, "qa"));
  g_assert_true (gtk_widget_get_visible (qa_button));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (qa_button)), ==, _("Redeploy…"));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (qa_button)), ==,
                   "win.redeploy");
  target = g_variant_ref (gtk_actionable_get_action_target_value (GTK_ACTIONABLE (qa_button)));
  g_assert_cmpstr (g_variant_get_type_string (target), ==, "(ss)");
  g_assert_true (g_variant_equal (target, g_variant_new ("(ss)", "api-gateway", "qa")));
  g_clear_pointer (&target, g_variant_unref);

  /* Production offers to add the missing credentials on the Clusters page of Preferences. */
  missing = g_strdup_printf (_("No credentials for %s"), "dynamo-prod");
  g_assert_cmpstr (cluster_line (fixture, "production"), ==, missing);
  g_assert_true (gtk_widget_has_css_class (prod_label, "dim-label"));
  prod_button = dr_board_column_get_cluster_button (column (fixture, "production"));
  g_assert_true (gtk_widget_get_mapped (prod_button));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (prod_button)), ==,
                   "app.cluster-preferences");
  target = g_variant_ref (gtk_actionable_get_action_target_value (GTK_ACTIONABLE (prod_button)));
  g_assert_cmpstr (g_variant_get_string (target, NULL), ==, "dynamo-prod");
  g_assert_true (gtk_widget_is_sensitive (prod_button));
  g_assert_true (dr_ui_click (prod_button));
  g_assert_true (dr_ui_wait_until (string_is_set, &opened_cluster, 10000));
  g_assert_cmpstr (opened_cluster, ==, "dynamo-prod");

  /* The token never shows on the board. */
  g_assert_null (strstr (cluster_line (fixture, "development"), e2e->token));
  g_assert_null (strstr (tooltip, e2e->token));
  dr_ui_screenshot ("cluster-drift");

  /* Hovering the drift line shows what to do about it. */
  g_assert_true (dr_ui_widget_screen_point (qa_label, 0.3, 0.5, &x, &y));
  x_text = g_strdup_printf ("%d", x);
  y_text = g_strdup_printf ("%d", y);
  g_assert_true (dr_ui_xdotool ("mousemove", x_text, y_text, NULL));
  dr_ui_wait_ms (1500);
  dr_ui_screenshot ("cluster-drift-tooltip");

  /* At 360 pixels the columns stack and the drift line still shows in full. */
  g_assert_true (dr_ui_xdotool ("search", "--onlyvisible", "--name", "^Dynamo Release$",
                                "windowsize", "%@", "360", "720", NULL));
  dr_ui_wait_ms (800);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->window)), <=, 360);
  dr_ui_reveal (qa_label);
  dr_ui_wait_ms (300);
  g_assert_true (gtk_widget_get_mapped (qa_label));
  g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (qa_label))));
  g_assert_true (gtk_widget_get_mapped (prod_button));
  dr_ui_screenshot ("cluster-drift-narrow");
}

/* QA's cluster runs another build than the board records. The keyboard opens the current
 * card's menu, Redeploy requests confirmation and names the drift, and the run deploys the
 * recorded build again. */
static void
test_redeploy_drift (Fixture       *fixture,
                     gconstpointer  data)
{
  DrE2e *e2e = fixture->e2e;
  g_autoptr(KubeApiDouble) qa_api = kube_api_double_new (e2e->token);
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *running = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *drift = NULL;
  const DrDeployment *current;
  AdwMessageDialog *dialog;
  DrBuildCard *qa_card;
  GtkWidget *menu_button;
  DrRun *run;

  dr_e2e_deploy_through (e2e, "api-gateway", "1.4.0", "qa");
  kube_api_double_add_deployment (qa_api, "dynamo", "api-gateway", "dynamo/api-gateway:1.3.0",
                                  2);
  store_credentials (e2e, "dynamo-qa", qa_api);
  dr_credentials_delete_sync ("dynamo-dev", NULL, &error);
  g_assert_no_error (error);
  dr_credentials_delete_sync ("dynamo-prod", NULL, &error);
  g_assert_no_error (error);

  show_service (fixture, "api-gateway");
  if (!dr_ui_wait_until (cluster_lines_shown, fixture, 20000)) {
    dr_ui_screenshot ("no-cluster-lines");
    g_error ("The board shows no cluster line");
  }
  g_assert_true (gtk_widget_has_css_class (dr_board_column_get_cluster_label (column (fixture,
                                                                                     "qa")),
                                           "warning"));

  /* Return on the focused current card opens its menu. */
  qa_card = card (fixture, "qa", "1.4.0");
  g_assert_cmpint (dr_build_card_get_kind (qa_card), ==, DR_BUILD_CARD_CURRENT);
  menu_button = dr_build_card_get_menu_button (qa_card);
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (qa_card)));
  dr_ui_wait_ms (200);
  g_assert_true (dr_ui_key ("Return"));
  dr_ui_wait_ms (400);
  g_assert_nonnull (dr_ui_find_text (menu_button, _("Redeploy…")));
  dr_ui_screenshot ("redeploy-menu");
  dr_ui_click_text (menu_button, _("Redeploy…"));

  dialog = wait_for_dialog ();
  heading = g_strdup_printf (_("Redeploy %s %s to %s?"), "API Gateway", "1.4.0",
                             dr_workspace_get_environment (e2e->workspace, "qa")->title);
  g_assert_nonnull (dr_ui_find_text (GTK_WIDGET (dialog), heading));
  drift = g_strdup_printf (_("The cluster runs %s, but the board records %s."), "1.3.0", "1.4.0");
  g_assert_nonnull (strstr (dialog_text (dialog), drift));
  g_assert_nonnull (strstr (dialog_text (dialog), "docker build -t dynamo/api-gateway:1.4.0 .\n"));
  g_assert_nonnull (strstr (dialog_text (dialog),
                            "kubectl apply -f k8s/api-gateway/deployment.yaml\n"));
  g_assert_nonnull (strstr (dialog_text (dialog),
                            "node scripts/verify-deployment.js --env=qa --service=api-gateway"));
  dr_ui_screenshot ("redeploy-confirmation");
  dr_ui_click_text (GTK_WIDGET (dialog), dr_ui_shown_label ("_Redeploy"));

  run = wait_for_run_window (fixture);
  g_assert_cmpint (dr_run_get_kind (run), ==, DR_RUN_KIND_DEPLOY);
  g_assert_cmpstr (dr_run_get_version (run), ==, "1.4.0");
  g_assert_cmpstr (dr_run_get_environment (run), ==, "qa");
  dr_e2e_wait_for_run (e2e, run);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_SUCCEEDED);
  close_run_windows ();

  running = dr_e2e_running_version (e2e, "dynamo-qa", "api-gateway");
  g_assert_cmpstr (running, ==, "1.4.0");
  snapshot = dr_e2e_snapshot (e2e, "api-gateway");
  current = dr_service_snapshot_get_current (snapshot, "qa");
  g_assert_nonnull (current);
  g_assert_cmpstr (current->version, ==, "1.4.0");
  g_assert_cmpint (current->run_id, ==, dr_run_get_id (run));

  wait_for_board (fixture);
  assert_current (fixture, "qa", "1.4.0");
}

typedef struct
{
  Fixture    *fixture;
  const char *text;
} FindText;

static gboolean
text_is_shown (gpointer user_data)
{
  FindText *find = user_data;
  GtkWidget *label = dr_ui_find_text (GTK_WIDGET (find->fixture->window), find->text);

  return label != NULL && gtk_widget_get_mapped (label);
}

/* Returns whether the text of @layout has the attribute that stops Pango from inserting
 * hyphens where it wraps a word. */
static gboolean
layout_forbids_hyphens (PangoLayout *layout)
{
  PangoAttrList *attributes = pango_layout_get_attributes (layout);
  g_autoptr(GSList) found = NULL;
  gboolean forbids = FALSE;

  if (attributes == NULL)
    return FALSE;

  found = pango_attr_list_get_attributes (attributes);
  for (GSList *l = found; l != NULL; l = l->next) {
    PangoAttribute *attribute = l->data;

    if (attribute->klass->type == PANGO_ATTR_INSERT_HYPHENS &&
        !((PangoAttrInt *) attribute)->value)
      forbids = TRUE;
  }
  g_slist_free_full (g_steal_pointer (&found), (GDestroyNotify) pango_attribute_destroy);

  return forbids;
}

static void
test_overview_long_version (Fixture       *fixture,
                            gconstpointer  data)
{
  /* The longest version an image tag allows. */
  g_autofree char *version = g_strnfill (128, 'a');
  FindText find = { fixture, version };
  GtkWidget *label;
  GtkWidget *flow;
  graphene_point_t first;
  graphene_point_t third;
  g_autofree char *heading = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *heading_label;
  PangoLayout *layout;

  dr_e2e_deploy_through (fixture->e2e, "notifications-service", version, "development");
  dr_window_set_engine (fixture->window, fixture->e2e->engine);
  dr_ui_wait_for_mapped (GTK_WIDGET (fixture->window));
  g_assert_true (dr_ui_xdotool ("search", "--onlyvisible", "--name", "^Dynamo Release$",
                                "windowsize", "%@", "1100", "780", NULL));
  g_assert_true (dr_ui_wait_until (text_is_shown, &find, 20000));
  dr_ui_wait_ms (500);
  dr_ui_screenshot ("overview-long-version");

  /* The version is cut short on its card, with the full one in the tooltip. */
  label = dr_ui_find_text (GTK_WIDGET (fixture->window), version);
  g_assert_true (pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (label))));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (label), ==, version);

  /* Three cards still share the first line. */
  flow = gtk_widget_get_ancestor (label, GTK_TYPE_FLOW_BOX);
  g_assert_nonnull (flow);
  g_assert_true (gtk_widget_compute_point (GTK_WIDGET (gtk_flow_box_get_child_at_index (
                                             GTK_FLOW_BOX (flow), 0)),
                                           flow, &GRAPHENE_POINT_INIT (0, 0), &first));
  g_assert_true (gtk_widget_compute_point (GTK_WIDGET (gtk_flow_box_get_child_at_index (
                                             GTK_FLOW_BOX (flow), 2)),
                                           flow, &GRAPHENE_POINT_INIT (0, 0), &third));
  g_assert_cmpfloat (first.y, ==, third.y);
  g_assert_cmpfloat (third.x, >, first.x);

  /* The version wraps in a dialog's heading without a hyphen, which would read as part of
   * it. */
  heading = g_strdup_printf (_("%s cannot enter %s yet"), version,
                             dr_workspace_get_environment (fixture->e2e->workspace,
                                                           "production")->title);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.promote", "(sss)",
                              "notifications-service", version, "production");
  dialog = wait_for_dialog ();
  heading_label = dr_ui_find_text (GTK_WIDGET (dialog), heading);
  g_assert_nonnull (heading_label);
  layout = gtk_label_get_layout (GTK_LABEL (heading_label));
  g_assert_cmpint (pango_layout_get_line_count (layout), >, 1);
  g_assert_true (layout_forbids_hyphens (layout));
  dr_ui_screenshot ("refusal-long-version");
}

int
main (int   argc,
      char *argv[])
{
  dr_ui_test_init (&argc, &argv);

  g_test_add ("/board-ui/drag-through-gate", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_drag_through_gate, fixture_tear_down);
  g_test_add ("/board-ui/sign-invalid-name", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_sign_invalid_name, fixture_tear_down);
  g_test_add ("/board-ui/missing-clones-shown", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_missing_clones_shown, fixture_tear_down);
  g_test_add ("/board-ui/cluster-keyring-locked", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_cluster_keyring_locked, fixture_tear_down);
  g_test_add ("/board-ui/cluster-drift", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_cluster_drift, fixture_tear_down);
  g_test_add ("/board-ui/redeploy-drift", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_redeploy_drift, fixture_tear_down);
  g_test_add ("/board-ui/overview-long-version", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_overview_long_version, fixture_tear_down);

  return g_test_run ();
}
