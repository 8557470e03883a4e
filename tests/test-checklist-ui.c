/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The checklist, approvals and card menus on a real X server, driven with xdotool. Revoking a
 * sign-off needs a confirmation, comments show where the person and time are shown, and the
 * window offers no rollback or promotion that could only fail. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dr-board.h"
#include "dr-e2e.h"
#include "dr-format.h"
#include "dr-run-window.h"
#include "dr-ui-test.h"
#include "dr-window.h"

/* One long word, as a pasted URL is: the row must wrap it inside the word. */
#define LONG_WORD "https://qa.example.com/reports/api-gateway/1.1.0/functional-run-" \
                  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

typedef struct
{
  DrE2e    *e2e;
  DrWindow *window;
} Fixture;

static gboolean
window_is_loaded (gpointer user_data)
{
  Fixture *fixture = user_data;

  return dr_window_is_loaded (fixture->window, g_object_get_data (G_OBJECT (fixture->window),
                                                                  "service"));
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
  fixture->e2e = dr_e2e_new (NULL, TRUE);
  fixture->window = dr_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1240, 780);
  gtk_window_present (GTK_WINDOW (fixture->window));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

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
  g_object_set_data_full (G_OBJECT (fixture->window), "service", g_strdup (service), g_free);
  dr_window_set_engine (fixture->window, fixture->e2e->engine);
  dr_ui_wait_for_mapped (GTK_WIDGET (fixture->window));
  dr_window_select_service (fixture->window, service);
  wait_for_board (fixture);
}

static DrBuildCard *
card (Fixture    *fixture,
      const char *environment,
      const char *version)
{
  DrBoardColumn *column = dr_board_get_column (dr_window_get_board (fixture->window),
                                               environment);
  DrBuildCard *found;

  g_assert_nonnull (column);
  found = dr_board_column_find_card (column, version);
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

static gboolean
dialog_is_gone (gpointer user_data)
{
  return find_dialog () == NULL;
}

/* Waits until a message dialog is on screen and has settled, so a click lands on it. */
static AdwMessageDialog *
wait_for_dialog (void)
{
  g_assert_true (dr_ui_wait_until (dialog_is_shown, NULL, 10000));
  dr_ui_wait_ms (300);

  return find_dialog ();
}

static void
close_dialog (void)
{
  g_assert_true (dr_ui_key ("Escape"));
  g_assert_true (dr_ui_wait_until (dialog_is_gone, NULL, 10000));
}

static gboolean
run_window_is_shown (gpointer user_data)
{
  return dr_ui_find_window (DR_TYPE_RUN_WINDOW) != NULL;
}

/* Returns the first mapped label under @root whose text contains @needle, or NULL. */
static GtkLabel *
find_label_containing (GtkWidget  *root,
                       const char *needle)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_mapped (root) &&
      strstr (gtk_label_get_text (GTK_LABEL (root)), needle) != NULL)
    return GTK_LABEL (root);

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    GtkLabel *found = find_label_containing (child, needle);

    if (found != NULL)
      return found;
  }

  return NULL;
}

/* Checks that a label in @view shows @needle, wrapped to the view's width without hyphens
 * inserted into words. */
static void
assert_comment_shown (DrChecklistView *view,
                      const char      *needle)
{
  GtkLabel *label = find_label_containing (GTK_WIDGET (view), needle);
  graphene_rect_t bounds;

  if (label == NULL)
    g_error ("The checklist shows no “%s”", needle);

  g_assert_true (gtk_label_get_wrap (label));
  g_assert_nonnull (strstr (gtk_label_get_label (label), "insert_hyphens=\"false\""));
  g_assert_true (gtk_widget_compute_bounds (GTK_WIDGET (label), GTK_WIDGET (view), &bounds));
  g_assert_cmpfloat (bounds.origin.x + bounds.size.width, <=,
                     gtk_widget_get_width (GTK_WIDGET (view)));
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
sign_with_comment (DrE2e      *e2e,
                   const char *version,
                   const char *item,
                   const char *comment)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  dr_engine_sign_async (e2e->engine, "api-gateway", version, "pre-production", item, comment,
                        NULL, store_result_cb, &result);
  dr_engine_write_finish (e2e->engine, dr_e2e_wait_result (&result), &error);
  g_assert_no_error (error);
}

typedef struct
{
  GtkWidget *check;
  gboolean   active;
} CheckState;

static gboolean
check_has_state (gpointer user_data)
{
  CheckState *state = user_data;

  return gtk_widget_get_sensitive (state->check) &&
         gtk_check_button_get_active (GTK_CHECK_BUTTON (state->check)) == state->active;
}

/* Waits until the box of @item, rebuilt after each write, shows @active. */
static GtkWidget *
wait_for_check (Fixture    *fixture,
                const char *item,
                gboolean    active)
{
  DrChecklistView *view = dr_window_get_checklist_view (fixture->window);
  CheckState state = { NULL, active };

  wait_for_board (fixture);
  state.check = dr_checklist_view_get_item_check (view, item);
  g_assert_nonnull (state.check);
  g_assert_true (dr_ui_wait_until (check_has_state, &state, 20000));

  return state.check;
}

static const DrSignoff *
last_signoff_event (const DrServiceSnapshot *snapshot,
                    const char              *item)
{
  const DrSignoff *last = NULL;

  for (guint i = 0; i < snapshot->signoffs->len; i++) {
    const DrSignoff *signoff = g_ptr_array_index (snapshot->signoffs, i);

    if (g_strcmp0 (signoff->item, item) == 0)
      last = signoff;
  }

  return last;
}

static void
test_revoke_asks_first (Fixture       *fixture,
                        gconstpointer  data)
{
  DrE2e *e2e = fixture->e2e;
  DrChecklistView *view;
  g_autoptr(DrServiceSnapshot) snapshot = NULL;
  const DrSignoff *signoff;
  AdwMessageDialog *dialog;
  g_autofree char *when = NULL;
  const char *revoke_label = dr_ui_shown_label ("_Revoke");
  GtkLabel *body;
  GtkWidget *check;
  GtkWidget *button;

  /* 1.1.0 waits for Production, and Quinn signed one item with a comment. */
  dr_e2e_deploy_through (e2e, "api-gateway", "1.1.0", "qa");
  dr_e2e_set_identity (e2e, "Quinn", "qa", NULL);
  sign_with_comment (e2e, "1.1.0", "functionality-verified",
                     "Login & sign-up <staging> pass, see " LONG_WORD);
  snapshot = dr_e2e_snapshot (e2e, "api-gateway");
  signoff = dr_service_snapshot_get_signoff (snapshot, "1.1.0", "pre-production",
                                             "functionality-verified");
  g_assert_nonnull (signoff);
  when = dr_format_time (signoff->at);
  g_clear_pointer (&snapshot, dr_service_snapshot_free);

  /* Another QA engineer opens the window. */
  dr_e2e_set_identity (e2e, "Rosa", "qa", NULL);
  show_service (fixture, "api-gateway");
  view = dr_window_get_checklist_view (fixture->window);
  g_assert_cmpstr (dr_checklist_view_get_version (view), ==, "1.1.0");

  /* The sign-off's comment shows next to the person and time, markup characters as typed,
   * and the long word wraps inside the row. */
  assert_comment_shown (view, "Login & sign-up <staging> pass");
  assert_comment_shown (view, "Quinn");
  dr_ui_screenshot ("checklist-comment");

  /* Unticking opens a confirmation that names who signed and when. Until then the box stays
   * ticked. */
  check = dr_checklist_view_get_item_check (view, "functionality-verified");
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)));
  g_assert_true (dr_ui_click (check));
  dialog = wait_for_dialog ();
  body = find_label_containing (GTK_WIDGET (dialog), "Login & sign-up <staging>");
  g_assert_nonnull (body);
  g_assert_nonnull (strstr (gtk_label_get_text (body), "Quinn"));
  g_assert_nonnull (strstr (gtk_label_get_text (body), when));
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)));
  dr_ui_screenshot ("revoke-dialog");

  /* Escape keeps the sign-off. */
  close_dialog ();
  dr_ui_wait_ms (300);
  snapshot = dr_e2e_snapshot (e2e, "api-gateway");
  g_assert_nonnull (dr_service_snapshot_get_signoff (snapshot, "1.1.0", "pre-production",
                                                     "functionality-verified"));
  g_clear_pointer (&snapshot, dr_service_snapshot_free);
  check = dr_checklist_view_get_item_check (view, "functionality-verified");
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)));

  /* Revoking records the person who revoked and the comment typed in the dialog. */
  g_assert_true (dr_ui_click (check));
  dialog = wait_for_dialog ();
  g_assert_true (dr_ui_type ("Tested the wrong build"));
  dr_ui_click_text (GTK_WIDGET (dialog), revoke_label);
  g_assert_true (dr_ui_wait_until (dialog_is_gone, NULL, 10000));
  wait_for_check (fixture, "functionality-verified", FALSE);
  snapshot = dr_e2e_snapshot (e2e, "api-gateway");
  g_assert_null (dr_service_snapshot_get_signoff (snapshot, "1.1.0", "pre-production",
                                                  "functionality-verified"));
  signoff = last_signoff_event (snapshot, "functionality-verified");
  g_assert_nonnull (signoff);
  g_assert_true (signoff->revoked);
  g_assert_cmpstr (signoff->person, ==, "Rosa");
  g_assert_cmpstr (signoff->comment, ==, "Tested the wrong build");
  g_clear_pointer (&snapshot, dr_service_snapshot_free);

  /* The comment button signs with a comment: type it, then Return. */
  button = dr_checklist_view_get_comment_button (view, "functionality-verified");
  g_assert_nonnull (button);
  g_assert_true (dr_ui_click (button));
  wait_for_dialog ();
  g_assert_true (dr_ui_type ("Retested on the right build"));
  dr_ui_screenshot ("sign-dialog");
  g_assert_true (dr_ui_key ("Return"));
  g_assert_true (dr_ui_wait_until (dialog_is_gone, NULL, 10000));
  wait_for_check (fixture, "functionality-verified", TRUE);
  snapshot = dr_e2e_snapshot (e2e, "api-gateway");
  signoff = dr_service_snapshot_get_signoff (snapshot, "1.1.0", "pre-production",
                                             "functionality-verified");
  g_assert_nonnull (signoff);
  g_assert_cmpstr (signoff->person, ==, "Rosa");
  g_assert_cmpstr (signoff->comment, ==, "Retested on the right build");
  g_clear_pointer (&snapshot, dr_service_snapshot_free);
  assert_comment_shown (view, "Retested on the right build");
  g_assert_null (dr_checklist_view_get_comment_button (view, "functionality-verified"));

  /* Ticking a box still signs at once, with no dialog and no comment. */
  check = dr_checklist_view_get_item_check (view, "qa-tests-pass");
  g_assert_true (dr_ui_click (check));
  wait_for_check (fixture, "qa-tests-pass", TRUE);
  g_assert_null (find_dialog ());
  snapshot = dr_e2e_snapshot (e2e, "api-gateway");
  signoff = dr_service_snapshot_get_signoff (snapshot, "1.1.0", "pre-production",
                                             "qa-tests-pass");
  g_assert_nonnull (signoff);
  g_assert_null (signoff->comment);
  g_clear_pointer (&snapshot, dr_service_snapshot_free);
  dr_ui_screenshot ("checklist-signed");
}

static void
test_approval_comment_shown (Fixture       *fixture,
                             gconstpointer  data)
{
  DrE2e *e2e = fixture->e2e;
  DrChecklistView *view;
  g_autoptr(GError) error = NULL;

  dr_e2e_deploy_through (e2e, "api-gateway", "1.1.0", "qa");
  dr_e2e_set_identity (e2e, "Sam", "security", NULL);
  dr_e2e_decide (e2e, "api-gateway", "1.1.0", "production", DR_DECISION_APPROVED,
                 "Looks fine ✓ after reading " LONG_WORD, &error);
  g_assert_no_error (error);

  /* Shown to a person without the security role, too. */
  dr_e2e_set_identity (e2e, "Rita", "release-manager", NULL);
  show_service (fixture, "api-gateway");
  view = dr_window_get_checklist_view (fixture->window);

  assert_comment_shown (view, "Looks fine ✓ after reading");
  assert_comment_shown (view, "Sam");

  /* At 360 pixels the comment still wraps within the view. */
  g_assert_true (dr_ui_xdotool ("search", "--onlyvisible", "--name", "^Dynamo Release$",
                                "windowsize", "%@", "360", "720", NULL));
  dr_ui_wait_ms (800);
  dr_ui_reveal (GTK_WIDGET (find_label_containing (GTK_WIDGET (view), "Looks fine")));
  dr_ui_wait_ms (300);
  assert_comment_shown (view, "Looks fine ✓ after reading");
  dr_ui_screenshot ("approval-comment-narrow");
}

typedef struct
{
  GtkWidget  *menu_button;
  const char *text;
} MenuText;

static gboolean
menu_shows_text (gpointer user_data)
{
  MenuText *menu = user_data;

  return dr_ui_find_text (menu->menu_button, menu->text) != NULL;
}

/* Opens the menu of a card and returns its button. Each reload of the board rebuilds its cards,
 * which closes an open menu, so a second click follows when the menu does not show. */
static GtkWidget *
open_card_menu (Fixture    *fixture,
                const char *environment,
                const char *version)
{
  const char *show_run = dr_ui_shown_label ("Show Deploy Run");
  MenuText menu = { NULL, show_run };

  for (guint attempt = 0; attempt < 2; attempt++) {
    menu.menu_button = dr_build_card_get_menu_button (card (fixture, environment, version));
    g_assert_true (dr_ui_click (menu.menu_button));
    /* Every card with a deploy has "Show Deploy Run" in its menu. */
    if (dr_ui_wait_until (menu_shows_text, &menu, 3000)) {
      dr_ui_wait_ms (200);
      return menu.menu_button;
    }
  }

  dr_ui_screenshot ("menu-not-open");
  g_error ("The menu of %s in %s did not open", version, environment);
}

/* Opens the menu of a card and returns whether it offers @label. */
static gboolean
menu_offers (Fixture    *fixture,
             const char *environment,
             const char *version,
             const char *label)
{
  GtkWidget *menu_button = open_card_menu (fixture, environment, version);
  gboolean offered = dr_ui_find_text (menu_button, label) != NULL;

  g_assert_true (dr_ui_key ("Escape"));
  dr_ui_wait_ms (300);

  return offered;
}

/* Opens the menu of a card, chooses Roll Back…, and returns the confirmation. */
static AdwMessageDialog *
open_rollback_dialog (Fixture    *fixture,
                      const char *environment,
                      const char *version)
{
  const char *label = dr_ui_shown_label ("Roll Back…");

  dr_ui_click_text (open_card_menu (fixture, environment, version), label);

  return wait_for_dialog ();
}

static void
test_rollback_needs_earlier (Fixture       *fixture,
                             gconstpointer  data)
{
  DrE2e *e2e = fixture->e2e;
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrRun) run = NULL;
  AdwMessageDialog *dialog;
  const char *rollback_label = dr_ui_shown_label ("_Roll Back");
  const char *roll_back_item = _("Roll Back…");

  /* 1.0.0 is the only build ever deployed to Development. */
  dr_e2e_deploy_through (e2e, "api-gateway", "1.0.0", "development");
  show_service (fixture, "api-gateway");

  dialog = open_rollback_dialog (fixture, "development", "1.0.0");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "rollback"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "1.0.0"));
  g_assert_null (adw_message_dialog_get_extra_child (dialog));
  dr_ui_screenshot ("rollback-nothing-earlier");

  /* A click on the insensitive button starts nothing. */
  dr_ui_click_text (GTK_WIDGET (dialog), rollback_label);
  dr_ui_wait_ms (500);
  g_assert_nonnull (find_dialog ());
  g_assert_false (run_window_is_shown (NULL));
  close_dialog ();

  /* With 1.1.0 deployed over it, the rollback can bring 1.0.0 back. */
  dr_e2e_set_version (e2e, "api-gateway", "1.1.0");
  build = dr_e2e_record_build (e2e, "api-gateway", "1.1.0", &error);
  g_assert_no_error (error);
  run = dr_e2e_promote (e2e, "api-gateway", "1.1.0", "development", NULL, &error);
  g_assert_no_error (error);
  dr_e2e_wait_for_run (e2e, run);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_SUCCEEDED);
  g_clear_object (&run);
  while (dr_ui_find_window (DR_TYPE_RUN_WINDOW) != NULL)
    gtk_window_destroy (dr_ui_find_window (DR_TYPE_RUN_WINDOW));
  wait_for_board (fixture);

  dialog = open_rollback_dialog (fixture, "development", "1.1.0");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "rollback"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "1.0.0"));
  g_assert_nonnull (adw_message_dialog_get_extra_child (dialog));
  close_dialog ();

  /* After a failed deploy of 1.2.0, the failed card offers the rollback, which undoes that
   * deploy, and the current card no longer does. */
  g_clear_pointer (&build, dr_build_free);
  g_clear_object (&run);
  dr_e2e_set_version (e2e, "api-gateway", "1.2.0");
  build = dr_e2e_record_build (e2e, "api-gateway", "1.2.0", &error);
  g_assert_no_error (error);
  dr_e2e_fail (e2e, "build", TRUE);
  run = dr_e2e_promote (e2e, "api-gateway", "1.2.0", "development", NULL, &error);
  g_assert_no_error (error);
  dr_e2e_wait_for_run (e2e, run);
  dr_e2e_fail (e2e, "build", FALSE);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_FAILED);
  g_clear_object (&run);
  while (dr_ui_find_window (DR_TYPE_RUN_WINDOW) != NULL)
    gtk_window_destroy (dr_ui_find_window (DR_TYPE_RUN_WINDOW));
  wait_for_board (fixture);
  g_assert_cmpint (dr_build_card_get_kind (card (fixture, "development", "1.2.0")), ==,
                   DR_BUILD_CARD_FAILED);
  g_assert_true (menu_offers (fixture, "development", "1.2.0", roll_back_item));
  g_assert_false (menu_offers (fixture, "development", "1.1.0", roll_back_item));

  /* A first deploy that failed before it changed the cluster leaves nothing to go back to. */
  g_clear_pointer (&build, dr_build_free);
  dr_e2e_set_version (e2e, "auth-service", "3.0.0");
  build = dr_e2e_record_build (e2e, "auth-service", "3.0.0", &error);
  g_assert_no_error (error);
  dr_e2e_fail (e2e, "build", TRUE);
  run = dr_e2e_promote (e2e, "auth-service", "3.0.0", "development", NULL, &error);
  g_assert_no_error (error);
  dr_e2e_wait_for_run (e2e, run);
  dr_e2e_fail (e2e, "build", FALSE);
  g_assert_cmpint (dr_run_get_state (run), ==, DR_RUN_STATE_FAILED);
  while (dr_ui_find_window (DR_TYPE_RUN_WINDOW) != NULL)
    gtk_window_destroy (dr_ui_find_window (DR_TYPE_RUN_WINDOW));

  g_object_set_data_full (G_OBJECT (fixture->window), "service", g_strdup ("auth-service"),
                          g_free);
  dr_window_select_service (fixture->window, "auth-service");
  wait_for_board (fixture);
  g_assert_cmpint (dr_build_card_get_kind (card (fixture, "development", "3.0.0")), ==,
                   DR_BUILD_CARD_FAILED);
  dialog = open_rollback_dialog (fixture, "development", "3.0.0");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "rollback"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "3.0.0"));
  dr_ui_screenshot ("rollback-failed-first-deploy");
  close_dialog ();
}

static void
test_no_promote_when_deployed (Fixture       *fixture,
                               gconstpointer  data)
{
  DrE2e *e2e = fixture->e2e;
  const char *production = dr_workspace_get_environment (e2e->workspace, "production")->title;
  const char *qa = dr_workspace_get_environment (e2e->workspace, "qa")->title;
  g_autofree char *to_production = g_strdup_printf (_("Promote to %s…"), production);
  g_autofree char *to_qa = g_strdup_printf (_("Promote to %s…"), qa);

  /* 1.0.0 runs in Production, and 1.1.0 runs in Development and QA and waits. */
  dr_e2e_deploy_through (e2e, "api-gateway", "1.0.0", "production");
  dr_e2e_deploy_through (e2e, "api-gateway", "1.1.0", "qa");
  show_service (fixture, "api-gateway");

  g_assert_true (menu_offers (fixture, "qa", "1.1.0", to_production));
  g_assert_false (menu_offers (fixture, "qa", "1.0.0", to_production));
  g_assert_false (menu_offers (fixture, "development", "1.1.0", to_qa));

  open_card_menu (fixture, "qa", "1.0.0");
  dr_ui_screenshot ("qa-menu-deployed");
  g_assert_true (dr_ui_key ("Escape"));
}

int
main (int   argc,
      char *argv[])
{
  dr_ui_test_init (&argc, &argv);

  g_test_add ("/checklist-ui/revoke-asks-first", Fixture, NULL,
              fixture_set_up, test_revoke_asks_first, fixture_tear_down);
  g_test_add ("/checklist-ui/approval-comment-shown", Fixture, NULL,
              fixture_set_up, test_approval_comment_shown, fixture_tear_down);
  g_test_add ("/checklist-ui/rollback-needs-earlier", Fixture, NULL,
              fixture_set_up, test_rollback_needs_earlier, fixture_tear_down);
  g_test_add ("/checklist-ui/no-promote-when-deployed", Fixture, NULL,
              fixture_set_up, test_no_promote_when_deployed, fixture_tear_down);

  return g_test_run ();
}
