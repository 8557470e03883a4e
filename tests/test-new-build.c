/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs under with-display.sh. The New Build dialog is driven with xdotool against a real
 * engine: a real SQLite store in a temporary folder, real clones with package.json files, and
 * deploy steps that run as real child processes. */
#include "config.h"

#include <string.h>

#include "dr-new-build-dialog.h"
#include "dr-resources.h"
#include "dr-sqlite-store.h"
#include "dr-ui-test.h"

/* Each deploy step runs in the service's clone and leaves a file there, so the test can tell
 * that the run really happened. */
static const char workspace_yaml[] =
  "version: 1\n"
  "name: shop\n"
  "settings:\n"
  "  verify-after-deploy: false\n"
  "roles:\n"
  "  - id: release-manager\n"
  "    title: Release manager\n"
  "environments:\n"
  "  - id: development\n"
  "    title: Development\n"
  "    base-url: https://dev.example.com\n"
  "    cluster: shop-dev\n"
  "    namespace: shop\n"
  "    build: touch built-for-development\n"
  "  - id: production\n"
  "    title: Production\n"
  "    base-url: https://example.com\n"
  "    cluster: shop-prod\n"
  "    namespace: shop\n"
  "    build: touch built-for-production\n"
  "services:\n"
  "  - id: gateway\n"
  "    title: Gateway\n"
  "    repository: https://git.example.com/shop/gateway\n"
  "    pipeline: service\n"
  "  - id: cart\n"
  "    title: Cart\n"
  "    repository: https://git.example.com/shop/cart\n"
  "    pipeline: service\n"
  "pipelines:\n"
  "  - id: service\n"
  "    deploy:\n"
  "      - name: Build\n"
  "        action: environment-build\n"
  "      - name: Deploy\n"
  "        run: touch deployed-{version}\n"
  "gates:\n"
  "  - environment: development\n"
  "    promoter-role: release-manager\n";

typedef struct
{
  char             *folder;
  DrWorkspace      *workspace;
  DrStore          *store;
  DrEngine         *engine;
  DrNewBuildDialog *dialog;
  DrRun            *run;
  guint             n_runs_started;
} Fixture;

static void
remove_tree (const char *path)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char *[]) { (char *) "rm", (char *) "-rf", (char *) path,
                                                  NULL },
                               NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status,
                               &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static void
write_package_json (Fixture    *fixture,
                    const char *service,
                    const char *contents)
{
  g_autofree char *folder = g_build_filename (fixture->folder, "clones", service, NULL);
  g_autofree char *path = g_build_filename (folder, "package.json", NULL);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
}

static void
set_roles (Fixture            *fixture,
           const char * const *roles)
{
  g_autoptr(DrIdentity) identity = dr_identity_new ("Ada Lovelace", roles);

  dr_engine_set_identity (fixture->engine, identity);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *store_path = NULL;
  g_autofree char *clones = NULL;
  const char * const languages[] = { "C", NULL };

  fixture->folder = g_dir_make_tmp ("dynamo-new-build-XXXXXX", &error);
  g_assert_no_error (error);

  fixture->workspace = dr_workspace_load_data (workspace_yaml, sizeof workspace_yaml - 1,
                                               "shop.yaml", languages, &error);
  g_assert_no_error (error);

  store_path = g_build_filename (fixture->folder, "records.sqlite", NULL);
  fixture->store = dr_sqlite_store_open (store_path, &error);
  g_assert_no_error (error);

  fixture->engine = dr_engine_new (fixture->workspace, fixture->store);
  clones = g_build_filename (fixture->folder, "clones", NULL);
  g_assert_cmpint (g_mkdir_with_parents (clones, 0700), ==, 0);
  dr_engine_set_clones_folder (fixture->engine, clones);
  set_roles (fixture, (const char * const[]) { "release-manager", NULL });

  write_package_json (fixture, "gateway", "{ \"name\": \"gateway\", \"version\": \"2.4.1\" }\n");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (fixture->dialog));
  g_clear_object (&fixture->dialog);

  if (fixture->run != NULL)
    dr_engine_wait_for_run (fixture->engine, fixture->run);
  g_clear_object (&fixture->run);
  dr_ui_wait_ms (50);

  g_clear_object (&fixture->engine);
  g_clear_object (&fixture->store);
  g_clear_object (&fixture->workspace);

  remove_tree (fixture->folder);
  g_free (fixture->folder);
}

static void
run_started_cb (DrNewBuildDialog *dialog,
                DrRun            *run,
                Fixture          *fixture)
{
  fixture->n_runs_started++;
  g_set_object (&fixture->run, run);
}

static void
open_dialog (Fixture    *fixture,
             const char *service,
             int         width)
{
  fixture->dialog = g_object_ref (dr_new_build_dialog_new (fixture->engine, service));
  g_signal_connect (fixture->dialog, "run-started", G_CALLBACK (run_started_cb), fixture);
  gtk_window_set_default_size (GTK_WINDOW (fixture->dialog), width, 520);
  gtk_window_present (GTK_WINDOW (fixture->dialog));
  dr_ui_wait_for_mapped (GTK_WIDGET (fixture->dialog));
}

static GtkWidget *
child (Fixture    *fixture,
       const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (fixture->dialog),
                                                   DR_TYPE_NEW_BUILD_DIALOG, name);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

static const char *
label_text (Fixture    *fixture,
            const char *name)
{
  return gtk_label_get_text (GTK_LABEL (child (fixture, name)));
}

static const char *
version_text (Fixture *fixture)
{
  return gtk_editable_get_text (GTK_EDITABLE (child (fixture, "version_row")));
}

/* Scrolls @widget into view by giving it the keyboard focus, then clicks its middle. */
static gboolean
click (GtkWidget *widget)
{
  gtk_widget_grab_focus (widget);
  dr_ui_wait_ms (150);

  return dr_ui_click (widget);
}

static void
type_version (Fixture    *fixture,
              const char *version)
{
  g_assert_true (click (child (fixture, "version_row")));
  g_assert_true (dr_ui_key ("ctrl+a"));
  g_assert_true (dr_ui_type (version));
  dr_ui_wait_ms (100);
}

static gboolean
dialog_is_idle (gpointer user_data)
{
  return !dr_new_build_dialog_get_busy (user_data);
}

static gboolean
run_has_started (gpointer user_data)
{
  Fixture *fixture = user_data;

  return fixture->run != NULL;
}

static gboolean
file_exists (Fixture    *fixture,
             const char *service,
             const char *name)
{
  g_autofree char *path = g_build_filename (fixture->folder, "clones", service, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static DrBuild *
find_build (Fixture    *fixture,
            const char *service,
            const char *version)
{
  g_autoptr(GError) error = NULL;
  DrBuild *build = dr_store_find_build (fixture->store, service, version, &error);

  g_assert_no_error (error);
  return build;
}

static void
test_opens (Fixture       *fixture,
            gconstpointer  data)
{
  open_dialog (fixture, "cart", 480);

  g_assert_cmpstr (dr_new_build_dialog_get_service (fixture->dialog), ==, "cart");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (child (fixture, "service_row"))),
                    ==, 1);
  g_assert_cmpstr (label_text (fixture, "deploy_label"), ==, "Record and Deploy to Development");
  g_assert_false (gtk_widget_get_sensitive (child (fixture, "deploy_button")));
  g_assert_false (gtk_widget_get_visible (child (fixture, "error_box")));
  g_assert_true (g_str_has_prefix (label_text (fixture, "version_rule_label"),
                                   "A version is an image tag"));
  dr_ui_screenshot ("new-build");

  /* Every field has a mnemonic. */
  g_assert_true (dr_ui_key ("alt+c"));
  dr_ui_wait_ms (100);
  g_assert_true (gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (fixture->dialog)),
                                         child (fixture, "commit_row")));
  g_assert_true (dr_ui_key ("alt+v"));
  dr_ui_wait_ms (100);
  g_assert_true (gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (fixture->dialog)),
                                         child (fixture, "version_row")));

  gtk_window_destroy (GTK_WINDOW (fixture->dialog));
  g_clear_object (&fixture->dialog);

  /* Without a service, the first one is selected. */
  open_dialog (fixture, NULL, 480);
  g_assert_cmpstr (dr_new_build_dialog_get_service (fixture->dialog), ==, "gateway");
}

static void
test_invalid_version (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(DrBuild) build = NULL;
  g_autofree char *long_version = g_strnfill (130, 'a');

  open_dialog (fixture, "gateway", 480);

  type_version (fixture, "1.0;touch x");
  g_assert_cmpstr (version_text (fixture), ==, "1.0;touch x");
  g_assert_true (g_str_has_prefix (label_text (fixture, "version_rule_label"),
                                   "“1.0;touch x” is not a valid version. A version is an image "
                                   "tag of up to 128 letters, digits, “_”, “.” and “-”"));
  g_assert_true (gtk_widget_has_css_class (child (fixture, "version_rule_label"), "error"));
  g_assert_true (gtk_widget_has_css_class (child (fixture, "version_row"), "error"));
  g_assert_false (gtk_widget_get_sensitive (child (fixture, "deploy_button")));
  dr_ui_screenshot ("new-build-invalid");

  /* Enter does not record it either. */
  g_assert_true (dr_ui_key ("Return"));
  dr_ui_wait_ms (200);
  build = find_build (fixture, "gateway", "1.0;touch x");
  g_assert_null (build);
  g_assert_null (fixture->run);
  g_assert_false (file_exists (fixture, "gateway", "x"));

  /* A version that is too long gets its length and the limit, not the whole rule. */
  type_version (fixture, long_version);
  g_assert_cmpstr (label_text (fixture, "version_rule_label"), ==,
                   "The version “aaaaaaaaaaaaaaaaaaaaaaaa…” is 130 characters long, and a "
                   "version has at most 128.");
  g_assert_false (gtk_widget_get_sensitive (child (fixture, "deploy_button")));
  dr_ui_screenshot ("new-build-too-long");

  /* Correcting it makes the button usable. */
  type_version (fixture, "1.0.1");
  g_assert_true (gtk_widget_get_sensitive (child (fixture, "deploy_button")));
  g_assert_false (gtk_widget_has_css_class (child (fixture, "version_rule_label"), "error"));
}

static void
test_read_from_clone (Fixture       *fixture,
                      gconstpointer  data)
{
  open_dialog (fixture, "gateway", 480);

  g_assert_true (click (child (fixture, "read_button")));
  g_assert_true (dr_ui_wait_until (dialog_is_idle, fixture->dialog, 5000));
  g_assert_cmpstr (version_text (fixture), ==, "2.4.1");
  g_assert_false (gtk_widget_get_visible (child (fixture, "error_box")));
  g_assert_true (gtk_widget_get_sensitive (child (fixture, "deploy_button")));

  /* A package.json whose version breaks the rule is reported, and the field is kept. */
  write_package_json (fixture, "cart", "{ \"version\": \"$(id)\" }\n");
  adw_combo_row_set_selected (ADW_COMBO_ROW (child (fixture, "service_row")), 1);
  g_assert_true (click (child (fixture, "read_button")));
  g_assert_true (dr_ui_wait_until (dialog_is_idle, fixture->dialog, 5000));
  g_assert_true (gtk_widget_get_visible (child (fixture, "error_box")));
  g_assert_cmpstr (label_text (fixture, "error_heading"), ==, "Could not read the version");
  g_assert_nonnull (strstr (label_text (fixture, "error_label"), "package.json"));
  g_assert_cmpstr (version_text (fixture), ==, "2.4.1");
  dr_ui_screenshot ("new-build-read-error");
}

static void
test_record_and_deploy (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(DrBuild) build = NULL;

  open_dialog (fixture, "gateway", 480);
  type_version (fixture, "2.4.1");
  g_assert_true (click (child (fixture, "commit_row")));
  g_assert_true (dr_ui_type ("4f2a9c1"));

  /* A "clicked" emission starts the work at once, so the state while working can be checked
   * before the main loop runs the engine's callbacks. */
  g_signal_emit_by_name (child (fixture, "deploy_button"), "clicked");
  g_assert_true (dr_new_build_dialog_get_busy (fixture->dialog));
  g_assert_false (gtk_widget_get_sensitive (child (fixture, "deploy_button")));
  g_assert_true (gtk_widget_get_visible (child (fixture, "deploy_spinner")));
  g_assert_true (gtk_spinner_get_spinning (GTK_SPINNER (child (fixture, "deploy_spinner"))));

  g_assert_true (dr_ui_wait_until (run_has_started, fixture, 10000));
  g_assert_cmpuint (fixture->n_runs_started, ==, 1);
  g_assert_cmpstr (dr_run_get_service (fixture->run), ==, "gateway");
  g_assert_cmpstr (dr_run_get_version (fixture->run), ==, "2.4.1");
  g_assert_cmpstr (dr_run_get_environment (fixture->run), ==, "development");
  g_assert_cmpint (dr_run_get_kind (fixture->run), ==, DR_RUN_KIND_DEPLOY);

  /* The dialog closed itself. */
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (fixture->dialog)));

  build = find_build (fixture, "gateway", "2.4.1");
  g_assert_nonnull (build);
  g_assert_cmpstr (build->commit, ==, "4f2a9c1");
  g_assert_cmpstr (build->recorded_by, ==, "Ada Lovelace");
  g_assert_cmpstr (build->source, ==, "manual");

  dr_engine_wait_for_run (fixture->engine, fixture->run);
  g_assert_cmpint (dr_run_get_state (fixture->run), ==, DR_RUN_STATE_SUCCEEDED);
  g_assert_true (file_exists (fixture, "gateway", "built-for-development"));
  g_assert_true (file_exists (fixture, "gateway", "deployed-2.4.1"));
}

/* A version read from the clone is recorded with package.json as its source, until the
 * person edits it. */
static void
test_read_and_deploy (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(DrBuild) build = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  const DrAuditEvent *recorded;

  open_dialog (fixture, "gateway", 480);
  g_assert_true (click (child (fixture, "read_button")));
  g_assert_true (dr_ui_wait_until (dialog_is_idle, fixture->dialog, 5000));
  g_assert_cmpstr (version_text (fixture), ==, "2.4.1");

  g_assert_true (click (child (fixture, "deploy_button")));
  g_assert_true (dr_ui_wait_until (run_has_started, fixture, 10000));
  dr_engine_wait_for_run (fixture->engine, fixture->run);

  build = find_build (fixture, "gateway", "2.4.1");
  g_assert_nonnull (build);
  g_assert_cmpstr (build->source, ==, "package.json");

  events = dr_store_list_audit (fixture->store, 0, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  recorded = g_ptr_array_index (events, 0);
  g_assert_cmpstr (recorded->action, ==, "build-recorded");
  g_assert_nonnull (strstr (recorded->detail, "\"source\":\"package.json\""));
}

static void
test_refused (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(DrBuild) build = NULL;
  const char *heading;

  /* Without the release manager role, the gate of Development rejects the deploy. */
  set_roles (fixture, (const char * const[]) { NULL });

  open_dialog (fixture, "gateway", 480);
  type_version (fixture, "3.0.0");
  g_assert_true (click (child (fixture, "deploy_button")));
  g_assert_true (dr_ui_wait_until (dialog_is_idle, fixture->dialog, 10000));

  g_assert_null (fixture->run);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (fixture->dialog)));
  g_assert_true (gtk_widget_get_visible (child (fixture, "error_box")));
  heading = label_text (fixture, "error_heading");
  g_assert_cmpstr (heading, ==,
                   "Build 3.0.0 is recorded, but its deploy to Development did not start");
  g_assert_true (g_str_has_prefix (label_text (fixture, "error_label"), "• "));
  g_assert_cmpstr (label_text (fixture, "error_label"), ==,
                   "• Only a person with the role Release manager may promote to Development. "
                   "Add the role in Preferences if you hold it.");
  g_assert_cmpstr (version_text (fixture), ==, "3.0.0");
  g_assert_true (gtk_widget_get_sensitive (child (fixture, "deploy_button")));
  dr_ui_screenshot ("new-build-refused");

  build = find_build (fixture, "gateway", "3.0.0");
  g_assert_nonnull (build);

  /* With the role, the same click deploys the build recorded before instead of failing on
   * recording it twice, once the clone contains that version. */
  write_package_json (fixture, "gateway", "{ \"name\": \"gateway\", \"version\": \"3.0.0\" }\n");
  set_roles (fixture, (const char * const[]) { "release-manager", NULL });
  g_assert_true (click (child (fixture, "deploy_button")));
  g_assert_true (dr_ui_wait_until (run_has_started, fixture, 10000));
  g_assert_cmpstr (dr_run_get_version (fixture->run), ==, "3.0.0");
}

static void
test_already_recorded (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(DrBuild) build = g_new0 (DrBuild, 1);
  g_autoptr(GError) error = NULL;

  build->service = g_strdup ("cart");
  build->version = g_strdup ("1.2.0");
  build->source = g_strdup ("manual");
  build->recorded_by = g_strdup ("Grace Hopper");
  build->recorded_at = g_get_real_time ();
  g_assert_true (dr_store_insert_build (fixture->store, build, &error));
  g_assert_no_error (error);

  open_dialog (fixture, "cart", 480);
  type_version (fixture, "1.2.0");
  g_assert_true (click (child (fixture, "commit_row")));
  g_assert_true (dr_ui_type ("abc123"));
  g_assert_true (click (child (fixture, "deploy_button")));
  g_assert_true (dr_ui_wait_until (dialog_is_idle, fixture->dialog, 10000));

  g_assert_null (fixture->run);
  g_assert_cmpstr (label_text (fixture, "error_heading"), ==, "The build was not recorded");
  g_assert_nonnull (strstr (label_text (fixture, "error_label"), "already recorded"));
  g_assert_cmpstr (version_text (fixture), ==, "1.2.0");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child (fixture, "commit_row"))), ==,
                   "abc123");
  g_assert_cmpstr (dr_new_build_dialog_get_service (fixture->dialog), ==, "cart");

  /* Editing hides the old error. */
  type_version (fixture, "1.2.1");
  g_assert_false (gtk_widget_get_visible (child (fixture, "error_box")));
}

static void
test_narrow (Fixture       *fixture,
             gconstpointer  data)
{
  int minimum;

  set_roles (fixture, (const char * const[]) { NULL });
  open_dialog (fixture, "gateway", 360);

  gtk_widget_measure (gtk_window_get_child (GTK_WINDOW (fixture->dialog)),
                      GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->dialog)), <=, 360);
  dr_ui_screenshot ("new-build-360");

  type_version (fixture, "4.0.0");
  g_assert_true (click (child (fixture, "deploy_button")));
  g_assert_true (dr_ui_wait_until (dialog_is_idle, fixture->dialog, 10000));
  dr_ui_screenshot ("new-build-360-refused");
}

int
main (int   argc,
      char *argv[])
{
  dr_ui_test_init (&argc, &argv);
  /* Referring to the resource bundle links it in from the static library, which also
   * registers it. */
  g_assert_nonnull (dr_get_resource ());

#define ADD(path, function) \
  g_test_add (path, Fixture, NULL, fixture_set_up, function, fixture_tear_down)
  ADD ("/new-build/opens", test_opens);
  ADD ("/new-build/invalid-version", test_invalid_version);
  ADD ("/new-build/read-from-clone", test_read_from_clone);
  ADD ("/new-build/record-and-deploy", test_record_and_deploy);
  ADD ("/new-build/read-and-deploy", test_read_and_deploy);
  ADD ("/new-build/refused", test_refused);
  ADD ("/new-build/already-recorded", test_already_recorded);
  ADD ("/new-build/narrow", test_narrow);
#undef ADD

  return g_test_run ();
}
