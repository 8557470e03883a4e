/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs under with-display.sh: a private Xvfb inside a private D-Bus session with an unlocked
 * gnome-keyring. The window is driven with real pointer and keyboard events from xdotool. The
 * tests check credentials in the real keyring and test connections against the Kubernetes API
 * double on loopback. GSETTINGS_BACKEND=memory keeps settings in the process. */
#include "config.h"

#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <string.h>

#include "dr-cluster-fields.h"
#include "dr-credentials.h"
#include "dr-resources.h"
#include "dr-kubeconfig-import.h"
#include "dr-preferences-window.h"
#include "dr-records.h"
#include "dr-ui-test.h"
#include "kube-api-double.h"

#define TOKEN "s3cret-token-0123456789"
#define WRONG_TOKEN "wrong-token-9876543210"

static const char workspace_yaml[] =
  "version: 1\n"
  "name: shop\n"
  "title: Shop\n"
  "roles:\n"
  "  - id: release-manager\n"
  "    title: Release manager\n"
  "  - id: qa\n"
  "    title: QA engineer\n"
  "  - id: security\n"
  "    title: Security reviewer\n"
  "  - id: observer\n"
  "    title: Observer\n"
  "environments:\n"
  "  - id: development\n"
  "    title: Development\n"
  "    base-url: https://dev.example.com\n"
  "    cluster: shop-dev\n"
  "    namespace: shop\n"
  "    build: npm run build:dev\n"
  "  - id: qa\n"
  "    title: QA\n"
  "    base-url: https://qa.example.com\n"
  "    cluster: shop-dev\n"
  "    namespace: shop-qa\n"
  "    build: npm run build:qa\n"
  "  - id: production\n"
  "    title: Production\n"
  "    base-url: https://example.com\n"
  "    cluster: shop-prod\n"
  "    namespace: shop\n"
  "    build: npm run build:prod\n"
  "services:\n"
  "  - id: gateway\n"
  "    title: Gateway\n"
  "    repository: https://git.example.com/shop/gateway\n"
  "    directory: clones/gateway\n"
  "    pipeline: service\n"
  "  - id: cart\n"
  "    title: Cart\n"
  "    repository: https://git.example.com/shop/cart?ref=main&depth=1\n"
  "    pipeline: service\n"
  "  - id: orders\n"
  "    title: Orders\n"
  "    repository: https://git.example.com/shop/orders\n"
  "    pipeline: service\n"
  "pipelines:\n"
  "  - id: service\n"
  "    deploy:\n"
  "      - name: Deploy\n"
  "        run: kubectl apply -f k8s/{service}.yaml\n"
  "checklists:\n"
  "  - id: release\n"
  "    title: Release checklist\n"
  "    items:\n"
  "      - id: tests\n"
  "        title: Tests pass in QA\n"
  "        role: qa\n"
  "      - id: review\n"
  "        title: Security review done\n"
  "        role: security\n"
  "  - id: after\n"
  "    title: After the deploy\n"
  "    items:\n"
  "      - id: metrics\n"
  "        title: Metrics look normal\n"
  "        role: release-manager\n"
  "gates:\n"
  "  - environment: qa\n"
  "    promoter-role: release-manager\n"
  "  - environment: production\n"
  "    checklist: release\n"
  "    approvals: [security]\n"
  "    promoter-role: release-manager\n"
  "monitoring: after\n";

static const char * const all_clusters[] = { "shop-dev", "shop-prod", "elsewhere", NULL };

typedef struct
{
  char                *folder;
  GSettings           *settings;
  DrWorkspace         *workspace;
  DrPreferencesWindow *window;
  KubeApiDouble       *api;
} Fixture;

static void
delete_stored_credentials (void)
{
  for (guint i = 0; all_clusters[i] != NULL; i++) {
    g_autoptr(GError) error = NULL;

    if (!dr_credentials_delete_sync (all_clusters[i], NULL, &error))
      g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND);
  }
}

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
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char * const languages[] = { "C", NULL };

  fixture->folder = g_dir_make_tmp ("dynamo-preferences-XXXXXX", &error);
  g_assert_no_error (error);

  fixture->settings = g_settings_new (APPLICATION_ID);
  g_settings_reset (fixture->settings, "person-name");
  g_settings_reset (fixture->settings, "roles");
  g_settings_reset (fixture->settings, "clones-folder");

  fixture->workspace = dr_workspace_load_data (workspace_yaml, sizeof workspace_yaml - 1,
                                               "shop.yaml", languages, &error);
  g_assert_no_error (error);

  fixture->api = kube_api_double_new (TOKEN);
  kube_api_double_set_git_version (fixture->api, "v1.29.2");

  delete_stored_credentials ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->window != NULL)
    gtk_window_destroy (GTK_WINDOW (fixture->window));
  dr_ui_wait_ms (50);

  delete_stored_credentials ();
  g_clear_pointer (&fixture->api, kube_api_double_free);
  g_clear_object (&fixture->workspace);
  g_clear_object (&fixture->settings);

  remove_tree (fixture->folder);
  g_free (fixture->folder);
}

static void
open_window (Fixture *fixture,
             int      width)
{
  fixture->window = dr_preferences_window_new (fixture->settings, fixture->workspace);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), width, 780);
  gtk_window_present (GTK_WINDOW (fixture->window));
  dr_ui_wait_for_mapped (GTK_WIDGET (fixture->window));
}

static GtkWidget *
window_child (Fixture    *fixture,
              const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (fixture->window),
                                                  DR_TYPE_PREFERENCES_WINDOW, name);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

static GtkWidget *
group_child (DrClusterGroup *group,
             const char     *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (group), DR_TYPE_CLUSTER_GROUP,
                                                  name);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

static GtkWidget *
find_descendant (GtkWidget  *root,
                 GType       type,
                 const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *found;

    if (G_TYPE_CHECK_INSTANCE_TYPE (child, type) &&
        (name == NULL || g_strcmp0 (gtk_widget_get_name (child), name) == 0))
      return child;

    found = find_descendant (child, type, name);
    if (found != NULL)
      return found;
  }

  return NULL;
}

static GtkWidget *
find_button_with_label (GtkWidget  *root,
                        const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *found;

    if (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), label) == 0)
      return child;

    found = find_button_with_label (child, label);
    if (found != NULL)
      return found;
  }

  return NULL;
}

static const char *
label_text (GtkWidget *label)
{
  return gtk_label_get_text (GTK_LABEL (label));
}

static gboolean
group_is_idle (gpointer user_data)
{
  return !dr_cluster_group_get_busy (user_data);
}

static DrClusterGroup *
show_cluster (Fixture    *fixture,
              const char *cluster)
{
  DrClusterGroup *group;

  dr_preferences_window_show_cluster (fixture->window, cluster);
  group = dr_preferences_window_get_cluster_group (fixture->window, cluster);
  g_assert_nonnull (group);
  g_assert_true (dr_ui_wait_until (group_is_idle, group, 10000));
  dr_ui_wait_ms (300);

  return group;
}

/* Scrolls @widget into view by giving it the keyboard focus, then clicks its middle. */
static gboolean
click (GtkWidget *widget)
{
  gtk_widget_grab_focus (widget);
  dr_ui_wait_ms (150);

  return dr_ui_click (widget);
}

/* Clicks the middle of an entry row and types @text into it. */
static void
type_into (GtkWidget  *row,
           const char *text)
{
  g_assert_true (click (row));
  g_assert_true (dr_ui_key ("ctrl+a"));
  g_assert_true (dr_ui_type (text));
}

static gboolean
store_credentials (const char *cluster,
                   const char *server,
                   const char *token)
{
  g_autoptr(DrClusterCredentials) credentials = dr_cluster_credentials_new (cluster);
  g_autoptr(GError) error = NULL;

  credentials->server = g_strdup (server);
  credentials->token = g_strdup (token);

  if (!dr_credentials_store_sync (credentials, NULL, &error)) {
    g_printerr ("# %s\n", error->message);
    return FALSE;
  }

  return TRUE;
}

/* The name */

static void
test_name (Fixture       *fixture,
           gconstpointer  data)
{
  GtkWidget *name_row;
  GtkWidget *hint;
  g_autofree char *stored = NULL;

  open_window (fixture, 640);
  name_row = window_child (fixture, "name_row");
  hint = window_child (fixture, "name_hint_label");

  g_assert_true (gtk_widget_get_visible (hint));
  g_assert_cmpstr (label_text (hint), !=, "");

  /* Alt+N is the mnemonic of the name. */
  gtk_widget_grab_focus (window_child (fixture, "folder_button"));
  g_assert_true (dr_ui_key ("alt+n"));
  dr_ui_wait_ms (100);
  g_assert_true (gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (fixture->window)),
                                         name_row));

  type_into (name_row, "Ada Lovelace");
  dr_ui_wait_ms (100);

  stored = g_settings_get_string (fixture->settings, "person-name");
  g_assert_cmpstr (stored, ==, "Ada Lovelace");
  g_assert_false (gtk_widget_get_visible (hint));

  g_settings_set_string (fixture->settings, "person-name", "Grace Hopper");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "Grace Hopper");
}

static gboolean
widget_is_visible (gpointer user_data)
{
  return gtk_widget_get_visible (user_data);
}

static void
test_name_invalid (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *long_name = g_strnfill (110, 'B');
  g_autofree char *stored = NULL;
  GtkWidget *name_row;
  GtkWidget *error_label;

  g_settings_set_string (fixture->settings, "person-name", "Ada Lovelace");
  open_window (fixture, 640);
  name_row = window_child (fixture, "name_row");
  error_label = window_child (fixture, "name_error_label");
  g_assert_false (gtk_widget_get_visible (error_label));

  /* A name longer than the records take shows the count and the rule, and is not saved. The
   * name is saved as it is typed, so the settings keep its last valid prefix. */
  type_into (name_row, long_name);
  g_assert_true (dr_ui_wait_until (widget_is_visible, error_label, 5000));
  dr_ui_screenshot ("preferences-name-invalid");
  g_assert_nonnull (strstr (label_text (error_label), "110 characters"));
  g_assert_nonnull (strstr (label_text (error_label), "more than the 100 a name may have"));
  g_assert_true (gtk_widget_has_css_class (name_row, "error"));
  stored = g_settings_get_string (fixture->settings, "person-name");
  g_assert_cmpuint (strlen (stored), ==, DR_IDENTITY_NAME_MAX_CHARS);

  /* A valid name clears the error and is saved. */
  type_into (name_row, "Grace Hopper");
  dr_ui_wait_ms (100);
  g_assert_false (gtk_widget_get_visible (error_label));
  g_assert_false (gtk_widget_has_css_class (name_row, "error"));
  g_clear_pointer (&stored, g_free);
  stored = g_settings_get_string (fixture->settings, "person-name");
  g_assert_cmpstr (stored, ==, "Grace Hopper");

  /* An invalid name saved elsewhere shows its problem as the window shows it. */
  g_settings_set_string (fixture->settings, "person-name", "Grace\nHopper");
  g_assert_true (gtk_widget_get_visible (error_label));
  g_assert_nonnull (strstr (label_text (error_label), "U+000A"));

  /* An empty name means the account's name, so it is valid. */
  g_assert_true (click (name_row));
  g_assert_true (dr_ui_key ("ctrl+a"));
  g_assert_true (dr_ui_key ("BackSpace"));
  dr_ui_wait_ms (100);
  g_assert_false (gtk_widget_get_visible (error_label));
  g_clear_pointer (&stored, g_free);
  stored = g_settings_get_string (fixture->settings, "person-name");
  g_assert_cmpstr (stored, ==, "");
}

/* Roles */

static GtkWidget *
role_row (Fixture    *fixture,
          const char *role)
{
  GtkWidget *row = find_descendant (window_child (fixture, "roles_group"), ADW_TYPE_ACTION_ROW,
                                    role);

  g_assert_nonnull (row);
  return row;
}

static void
test_roles (Fixture       *fixture,
            gconstpointer  data)
{
  const char * const initial[] = { "release-manager", "legacy-role", NULL };
  GtkWidget *release_manager;
  GtkWidget *qa;
  GtkWidget *security;
  GtkWidget *observer;
  g_auto(GStrv) roles = NULL;

  g_settings_set_strv (fixture->settings, "roles", initial);
  open_window (fixture, 640);

  release_manager = role_row (fixture, "release-manager");
  qa = role_row (fixture, "qa");
  security = role_row (fixture, "security");
  observer = role_row (fixture, "observer");

  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (qa)), ==, "QA engineer");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (release_manager)), ==,
                   "Promotes builds to QA and Production. Signs “Metrics look normal”.");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (qa)), ==,
                   "Signs “Tests pass in QA”.");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (security)), ==,
                   "Approves builds for Production. Signs “Security review done”.");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (observer)), ==,
                   "Gives no permissions in this workspace.");

  g_assert_true (gtk_check_button_get_active (
                   GTK_CHECK_BUTTON (find_descendant (release_manager, GTK_TYPE_CHECK_BUTTON,
                                                      NULL))));
  g_assert_false (gtk_check_button_get_active (
                    GTK_CHECK_BUTTON (find_descendant (qa, GTK_TYPE_CHECK_BUTTON, NULL))));

  /* Ticking QA and un-ticking the release manager by clicking their rows. */
  g_assert_true (dr_ui_click (qa));
  g_assert_true (dr_ui_click (release_manager));
  dr_ui_wait_ms (100);

  roles = g_settings_get_strv (fixture->settings, "roles");
  g_assert_true (g_strv_contains ((const char * const *) roles, "qa"));
  g_assert_false (g_strv_contains ((const char * const *) roles, "release-manager"));
  g_assert_true (g_strv_contains ((const char * const *) roles, "legacy-role"));
  g_assert_cmpuint (g_strv_length (roles), ==, 2);

  /* Space toggles the check of the focused row, so the keyboard reaches it too. */
  g_assert_true (dr_ui_key ("space"));
  dr_ui_wait_ms (100);
  g_clear_pointer (&roles, g_strfreev);
  roles = g_settings_get_strv (fixture->settings, "roles");
  g_assert_true (g_strv_contains ((const char * const *) roles, "release-manager"));

  /* A change from elsewhere shows in the window. */
  g_settings_set_strv (fixture->settings, "roles", (const char * const[]) { "security", NULL });
  g_assert_true (gtk_check_button_get_active (
                   GTK_CHECK_BUTTON (find_descendant (security, GTK_TYPE_CHECK_BUTTON, NULL))));
  g_assert_false (gtk_check_button_get_active (
                    GTK_CHECK_BUTTON (find_descendant (qa, GTK_TYPE_CHECK_BUTTON, NULL))));

  dr_ui_screenshot ("preferences-general");
}

/* Service clones */

typedef struct
{
  GtkWidget  *row;
  const char *prefix;
} SubtitleWait;

static gboolean
subtitle_has_prefix (gpointer user_data)
{
  SubtitleWait *wait = user_data;
  const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (wait->row));

  return subtitle != NULL && g_str_has_prefix (subtitle, wait->prefix);
}

static void
test_clones (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *gateway = g_build_filename (fixture->folder, "clones", "gateway", NULL);
  g_autofree char *cart = g_build_filename (fixture->folder, "cart", NULL);
  g_autofree char *orders = g_build_filename (fixture->folder, "orders", NULL);
  g_autofree char *expected = NULL;
  GtkWidget *clones_group;
  GtkWidget *folder_row;
  GtkWidget *gateway_row;
  GtkWidget *cart_row;
  GtkWidget *orders_row;
  SubtitleWait wait;

  g_assert_cmpint (g_mkdir_with_parents (gateway, 0700), ==, 0);
  g_assert_true (g_file_set_contents (orders, "not a folder", -1, NULL));

  open_window (fixture, 640);
  clones_group = window_child (fixture, "clones_group");
  folder_row = window_child (fixture, "folder_row");
  gateway_row = find_descendant (clones_group, ADW_TYPE_ACTION_ROW, "gateway");
  cart_row = find_descendant (clones_group, ADW_TYPE_ACTION_ROW, "cart");
  orders_row = find_descendant (clones_group, ADW_TYPE_ACTION_ROW, "orders");
  g_assert_nonnull (gateway_row);
  g_assert_nonnull (cart_row);
  g_assert_nonnull (orders_row);

  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (folder_row)), ==,
                   "Not chosen yet");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (gateway_row)), ==,
                   "Choose the folder of your clones first");

  g_settings_set_string (fixture->settings, "clones-folder", fixture->folder);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (folder_row)), ==,
                   fixture->folder);

  wait = (SubtitleWait) { gateway_row, "Found" };
  g_assert_true (dr_ui_wait_until (subtitle_has_prefix, &wait, 5000));
  expected = g_strdup_printf ("Found at %s", gateway);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (gateway_row)), ==, expected);
  g_clear_pointer (&expected, g_free);

  wait = (SubtitleWait) { cart_row, "Not found" };
  g_assert_true (dr_ui_wait_until (subtitle_has_prefix, &wait, 5000));
  expected = g_strdup_printf ("Not found: clone https://git.example.com/shop/cart?ref=main&depth=1 "
                              "into %s", cart);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (cart_row)), ==, expected);

  wait = (SubtitleWait) { orders_row, "Not a folder" };
  g_assert_true (dr_ui_wait_until (subtitle_has_prefix, &wait, 5000));

  dr_ui_screenshot ("preferences-clones");

  /* Cloning the missing one and choosing the folder again finds it. */
  g_assert_cmpint (g_mkdir (cart, 0700), ==, 0);
  g_settings_set_string (fixture->settings, "clones-folder", "");
  g_settings_set_string (fixture->settings, "clones-folder", fixture->folder);
  wait = (SubtitleWait) { cart_row, "Found" };
  g_assert_true (dr_ui_wait_until (subtitle_has_prefix, &wait, 5000));
}

static void
test_clones_folder_missing (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (fixture->folder, "nope", NULL);
  g_autofree char *expected = NULL;
  g_autofree char *cart = NULL;
  GtkWidget *clones_group;
  GtkWidget *folder_row;
  GtkWidget *cart_row;
  GtkWidget *other;
  SubtitleWait wait;

  g_settings_set_string (fixture->settings, "clones-folder", missing);
  open_window (fixture, 640);
  clones_group = window_child (fixture, "clones_group");
  folder_row = window_child (fixture, "folder_row");
  cart_row = find_descendant (clones_group, ADW_TYPE_ACTION_ROW, "cart");
  g_assert_nonnull (cart_row);

  /* The folder row reports the missing folder once, and the service rows wait for it. */
  wait = (SubtitleWait) { folder_row, "Folder" };
  g_assert_true (dr_ui_wait_until (subtitle_has_prefix, &wait, 5000));
  dr_ui_screenshot ("preferences-clones-missing");
  expected = g_strdup_printf ("Folder %s does not exist. Choose the folder that contains your "
                              "clones of the service repositories.", missing);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (folder_row)), ==, expected);
  g_assert_true (gtk_widget_has_css_class (folder_row, "error"));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (cart_row)), ==,
                   "Choose the folder of your clones first");

  /* A file in its place is not a folder either. */
  g_assert_true (g_file_set_contents (missing, "", -1, NULL));
  g_settings_set_string (fixture->settings, "clones-folder", "");
  g_settings_set_string (fixture->settings, "clones-folder", missing);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("%s is not a folder", missing);
  wait = (SubtitleWait) { folder_row, expected };
  g_assert_true (dr_ui_wait_until (subtitle_has_prefix, &wait, 5000));

  /* A folder that appears later is checked when the window becomes active again. */
  g_assert_cmpint (g_unlink (missing), ==, 0);
  cart = g_build_filename (missing, "cart", NULL);
  g_assert_cmpint (g_mkdir_with_parents (cart, 0700), ==, 0);
  other = gtk_window_new ();
  gtk_window_set_title (GTK_WINDOW (other), "Other Window");
  gtk_window_present (GTK_WINDOW (other));
  dr_ui_wait_for_mapped (other);
  /* With no window manager on the test display, focus moves only when asked. */
  g_assert_true (dr_ui_xdotool ("search", "--name", "^Other Window$", "windowfocus", NULL));
  dr_ui_wait_ms (300);
  g_assert_false (gtk_window_is_active (GTK_WINDOW (fixture->window)));
  g_assert_true (dr_ui_xdotool ("search", "--name", "^Preferences$", "windowfocus", NULL));
  wait = (SubtitleWait) { cart_row, "Found" };
  g_assert_true (dr_ui_wait_until (subtitle_has_prefix, &wait, 5000));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (folder_row)), ==, missing);
  g_assert_false (gtk_widget_has_css_class (folder_row, "error"));
  gtk_window_destroy (GTK_WINDOW (other));
}

/* Clusters */

static void
test_cluster_groups (Fixture       *fixture,
                     gconstpointer  data)
{
  DrClusterGroup *dev;
  DrClusterGroup *prod;

  open_window (fixture, 640);

  dev = show_cluster (fixture, "shop-dev");
  prod = show_cluster (fixture, "shop-prod");
  g_assert_null (dr_preferences_window_get_cluster_group (fixture->window, "elsewhere"));

  g_assert_cmpstr (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (dev)), ==,
                   "shop-dev");
  g_assert_cmpstr (adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (dev)), ==,
                   "Used by Development and QA, namespaces shop and shop-qa");
  g_assert_cmpstr (adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (prod)), ==,
                   "Used by Production, namespace shop");

  g_assert_cmpstr (label_text (group_child (dev, "status_label")), ==, "Not stored yet");
  g_assert_false (dr_cluster_group_get_stored (dev));
  g_assert_false (gtk_widget_get_sensitive (group_child (dev, "remove_button")));

  dr_ui_screenshot ("preferences-clusters");
}

static void
test_cluster_save (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(DrClusterCredentials) stored = NULL;
  g_autoptr(GError) error = NULL;
  DrClusterGroup *group;

  open_window (fixture, 640);
  group = show_cluster (fixture, "shop-prod");

  type_into (group_child (group, "server_row"), kube_api_double_get_url (fixture->api));
  type_into (group_child (group, "token_row"), TOKEN);
  g_assert_true (click (group_child (group, "save_button")));
  g_assert_true (dr_ui_wait_until (group_is_idle, group, 10000));

  g_assert_cmpstr (label_text (group_child (group, "status_label")), ==,
                   "Stored in the keyring");
  g_assert_true (dr_cluster_group_get_stored (group));
  g_assert_true (gtk_widget_get_sensitive (group_child (group, "remove_button")));

  stored = dr_credentials_lookup_sync ("shop-prod", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored->cluster, ==, "shop-prod");
  g_assert_cmpstr (stored->server, ==, kube_api_double_get_url (fixture->api));
  g_assert_cmpstr (stored->token, ==, TOKEN);
  g_assert_null (stored->certificate_authority);
  g_assert_false (stored->insecure_skip_tls_verify);

  /* The other cluster stays empty. */
  g_clear_pointer (&stored, dr_cluster_credentials_free);
  stored = dr_credentials_lookup_sync ("shop-dev", NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND);

  dr_ui_screenshot ("preferences-cluster-stored");
}

static void
test_cluster_invalid (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(DrClusterCredentials) stored = NULL;
  g_autoptr(GError) error = NULL;
  DrClusterGroup *group;
  GtkWidget *server_message;
  GtkWidget *token_message;

  open_window (fixture, 640);
  group = show_cluster (fixture, "shop-dev");
  server_message = group_child (group, "server_message_label");
  token_message = group_child (group, "token_message_label");

  /* Plain http to another host would send the token unencrypted. */
  type_into (group_child (group, "server_row"), "http://cluster.example.com:6443");
  type_into (group_child (group, "token_row"), TOKEN);
  g_assert_true (click (group_child (group, "save_button")));
  dr_ui_wait_ms (200);

  g_assert_true (gtk_widget_get_visible (group_child (group, "server_message_row")));
  g_assert_true (g_str_has_prefix (label_text (server_message),
                                   "Invalid API server URL “http://cluster.example.com:6443”"));
  g_assert_true (gtk_widget_has_css_class (group_child (group, "server_row"), "error"));
  g_assert_false (gtk_widget_get_visible (group_child (group, "token_message_row")));
  g_assert_false (dr_cluster_group_get_stored (group));

  dr_ui_screenshot ("preferences-cluster-invalid");

  /* Fixing the server clears its message. An empty token is then named next to its field. */
  type_into (group_child (group, "server_row"), "https://cluster.example.com:6443");
  g_assert_false (gtk_widget_get_visible (group_child (group, "server_message_row")));
  type_into (group_child (group, "token_row"), " ");
  g_assert_true (dr_ui_key ("BackSpace"));
  g_assert_true (click (group_child (group, "save_button")));
  dr_ui_wait_ms (200);

  g_assert_false (gtk_widget_get_visible (group_child (group, "server_message_row")));
  g_assert_true (gtk_widget_get_visible (group_child (group, "token_message_row")));
  g_assert_true (g_str_has_prefix (label_text (token_message),
                                   "Cluster “shop-dev” has neither a token"));

  stored = dr_credentials_lookup_sync ("shop-dev", NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND);
}

static gboolean
connection_label_is_shown (gpointer user_data)
{
  DrClusterGroup *group = user_data;

  return gtk_widget_get_visible (group_child (group, "connection_label")) &&
         group_is_idle (group);
}

static void
test_cluster_connection (Fixture       *fixture,
                         gconstpointer  data)
{
  DrClusterGroup *group;
  GtkWidget *connection;

  open_window (fixture, 640);
  group = show_cluster (fixture, "shop-dev");
  connection = group_child (group, "connection_label");

  type_into (group_child (group, "server_row"), kube_api_double_get_url (fixture->api));
  type_into (group_child (group, "token_row"), TOKEN);
  g_assert_true (click (group_child (group, "test_button")));
  g_assert_true (dr_ui_wait_until (connection_label_is_shown, group, 10000));

  g_assert_cmpstr (label_text (connection), ==, "Connected: Kubernetes v1.29.2");
  g_assert_true (gtk_widget_has_css_class (connection, "success"));
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "version"), ==, 1);

  dr_ui_screenshot ("preferences-cluster-connected");

  /* Editing a field hides the result, which no longer applies. */
  type_into (group_child (group, "token_row"), WRONG_TOKEN);
  g_assert_false (gtk_widget_get_visible (connection));

  g_assert_true (click (group_child (group, "test_button")));
  g_assert_true (dr_ui_wait_until (connection_label_is_shown, group, 10000));

  g_assert_true (g_str_has_prefix (label_text (connection), "Could not connect: "));
  g_assert_null (strstr (label_text (connection), WRONG_TOKEN));
  g_assert_null (strstr (label_text (connection), TOKEN));
  g_assert_true (gtk_widget_has_css_class (connection, "error"));
  g_assert_cmpuint (kube_api_double_get_request_count (fixture->api, "unauthorized"), ==, 1);

  /* Testing stores nothing. */
  g_assert_false (dr_cluster_group_get_stored (group));

  dr_ui_screenshot ("preferences-cluster-unauthorized");
}

static void
test_cluster_lookup (Fixture       *fixture,
                     gconstpointer  data)
{
  DrClusterGroup *prod;
  DrClusterGroup *dev;

  g_assert_true (store_credentials ("shop-prod", "https://prod.example.com:6443", TOKEN));

  open_window (fixture, 640);
  prod = show_cluster (fixture, "shop-prod");
  dev = show_cluster (fixture, "shop-dev");

  g_assert_cmpstr (label_text (group_child (prod, "status_label")), ==, "Stored in the keyring");
  g_assert_true (dr_cluster_group_get_stored (prod));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (group_child (prod, "server_row"))), ==,
                   "https://prod.example.com:6443");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (group_child (prod, "token_row"))), ==,
                   TOKEN);

  g_assert_cmpstr (label_text (group_child (dev, "status_label")), ==, "Not stored yet");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (group_child (dev, "server_row"))), ==,
                   "");

  /* After an edit, the status shows that the keyring still contains the old values. */
  type_into (group_child (prod, "server_row"), "https://new.example.com");
  g_assert_cmpstr (label_text (group_child (prod, "status_label")), ==,
                   "Stored in the keyring. Save to Keyring to keep your changes.");
}

static GtkWindow *
find_message_dialog (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next) {
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_mapped (l->data))
      return l->data;
  }

  return NULL;
}

static gboolean
message_dialog_is_shown (gpointer user_data)
{
  return find_message_dialog () != NULL;
}

static void
test_cluster_remove (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(DrClusterCredentials) stored = NULL;
  g_autoptr(GError) error = NULL;
  DrClusterGroup *group;
  GtkWindow *dialog;
  GtkWidget *remove;

  g_assert_true (store_credentials ("shop-prod", "https://prod.example.com:6443", TOKEN));

  open_window (fixture, 640);
  group = show_cluster (fixture, "shop-prod");
  g_assert_true (dr_cluster_group_get_stored (group));

  /* Cancelling the confirmation keeps the credentials. */
  g_assert_true (click (group_child (group, "remove_button")));
  g_assert_true (dr_ui_wait_until (message_dialog_is_shown, NULL, 5000));
  dialog = find_message_dialog ();
  dr_ui_wait_for_mapped (GTK_WIDGET (dialog));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Remove the Credentials of shop-prod?");
  dr_ui_screenshot ("preferences-cluster-remove");
  g_assert_true (dr_ui_key ("Escape"));
  dr_ui_wait_ms (300);
  g_assert_null (find_message_dialog ());
  stored = dr_credentials_lookup_sync ("shop-prod", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (stored);

  /* Confirming removes them. */
  g_assert_true (click (group_child (group, "remove_button")));
  g_assert_true (dr_ui_wait_until (message_dialog_is_shown, NULL, 5000));
  dialog = find_message_dialog ();
  dr_ui_wait_for_mapped (GTK_WIDGET (dialog));
  remove = find_button_with_label (GTK_WIDGET (dialog), "_Remove");
  g_assert_nonnull (remove);
  g_assert_true (click (remove));
  dr_ui_wait_ms (200);
  g_assert_true (dr_ui_wait_until (group_is_idle, group, 10000));

  g_assert_false (dr_cluster_group_get_stored (group));
  g_assert_cmpstr (label_text (group_child (group, "status_label")), ==,
                   "Removed from the keyring. Not stored now.");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (group_child (group, "server_row"))), ==,
                   "");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (group_child (group, "token_row"))), ==,
                   "");

  g_clear_pointer (&stored, dr_cluster_credentials_free);
  stored = dr_credentials_lookup_sync ("shop-prod", NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND);
  g_assert_null (stored);
}

/* The certificate authority */

static gboolean
make_certificate (const char *folder,
                  const char *subject,
                  char      **path)
{
  g_autofree char *key = g_build_filename (folder, "ca.key", NULL);
  g_autoptr(GError) error = NULL;
  int status;

  *path = g_build_filename (folder, "ca.pem", NULL);

  /* A real self-signed certificate, made by openssl. */
  if (!g_spawn_sync (NULL,
                     (char *[]) { (char *) "openssl", (char *) "req", (char *) "-x509",
                                  (char *) "-newkey", (char *) "rsa:2048", (char *) "-nodes",
                                  (char *) "-keyout", key, (char *) "-out", *path,
                                  (char *) "-days", (char *) "2", (char *) "-subj",
                                  (char *) subject, NULL },
                     NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                     G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, &error)) {
    g_printerr ("# openssl: %s\n", error->message);
    return FALSE;
  }

  return g_spawn_check_wait_status (status, NULL);
}

static gboolean
row_subtitle_changed (gpointer user_data)
{
  SubtitleWait *wait = user_data;

  return g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (wait->row)), wait->prefix) != 0;
}

static void
test_cluster_certificate (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *certificate_path = NULL;
  g_autofree char *not_pem_path = g_build_filename (fixture->folder, "notes.txt", NULL);
  g_autofree char *pem = NULL;
  g_autoptr(GFile) certificate = NULL;
  g_autoptr(GFile) not_pem = NULL;
  g_autoptr(DrClusterCredentials) stored = NULL;
  g_autoptr(GError) error = NULL;
  DrClusterGroup *group;
  GtkWidget *certificate_row;
  const char *initial_subtitle;
  SubtitleWait wait;

  g_assert_true (make_certificate (fixture->folder, "/CN=Shop Test CA", &certificate_path));
  g_assert_true (g_file_get_contents (certificate_path, &pem, NULL, NULL));
  g_assert_true (g_file_set_contents (not_pem_path, "just some notes\n", -1, NULL));
  certificate = g_file_new_for_path (certificate_path);
  not_pem = g_file_new_for_path (not_pem_path);

  open_window (fixture, 640);
  group = show_cluster (fixture, "shop-prod");
  certificate_row = group_child (group, "certificate_row");
  initial_subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (certificate_row));
  g_assert_cmpstr (initial_subtitle, ==, "The system’s certificate authorities");
  g_assert_false (gtk_widget_get_visible (group_child (group, "certificate_clear_button")));

  wait = (SubtitleWait) { certificate_row, initial_subtitle };
  dr_cluster_group_load_certificate_authority (group, certificate);
  g_assert_true (dr_ui_wait_until (row_subtitle_changed, &wait, 5000));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (certificate_row)), ==,
                   "CN=Shop Test CA");
  g_assert_true (gtk_widget_get_visible (group_child (group, "certificate_clear_button")));

  /* A file without a certificate is rejected next to the row, and the CA is kept. */
  dr_cluster_group_load_certificate_authority (group, not_pem);
  g_assert_true (dr_ui_wait_until (widget_is_visible,
                                   group_child (group, "certificate_message_row"), 5000));
  g_assert_true (g_str_has_prefix (label_text (group_child (group, "certificate_message_label")),
                                   "“"));
  g_assert_nonnull (strstr (label_text (group_child (group, "certificate_message_label")),
                            "contains no PEM certificate"));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (certificate_row)), ==,
                   "CN=Shop Test CA");

  gtk_widget_grab_focus (group_child (group, "certificate_choose_button"));
  dr_ui_screenshot ("preferences-cluster-certificate");

  /* Saved with the other fields. */
  type_into (group_child (group, "server_row"), "https://prod.example.com:6443");
  type_into (group_child (group, "token_row"), TOKEN);
  g_assert_true (click (group_child (group, "insecure_switch")));
  g_assert_true (click (group_child (group, "save_button")));
  g_assert_true (dr_ui_wait_until (group_is_idle, group, 10000));

  stored = dr_credentials_lookup_sync ("shop-prod", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored->certificate_authority, ==, pem);
  g_assert_true (stored->insecure_skip_tls_verify);

  /* Clear goes back to the system's CAs. */
  g_assert_true (click (group_child (group, "certificate_clear_button")));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (certificate_row)), ==,
                   "The system’s certificate authorities");
  g_assert_true (click (group_child (group, "save_button")));
  g_assert_true (dr_ui_wait_until (group_is_idle, group, 10000));
  g_clear_pointer (&stored, dr_cluster_credentials_free);
  stored = dr_credentials_lookup_sync ("shop-prod", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (stored->certificate_authority);
}

/* Importing a kubeconfig file */

static gboolean
import_page_is_shown (gpointer user_data)
{
  Fixture *fixture = user_data;
  GtkWidget *page = find_descendant (GTK_WIDGET (fixture->window), DR_TYPE_KUBECONFIG_IMPORT,
                                     NULL);

  return page != NULL && gtk_widget_get_mapped (page);
}

static gboolean
import_status_is_shown (gpointer user_data)
{
  Fixture *fixture = user_data;

  return gtk_widget_get_visible (window_child (fixture, "import_status_label"));
}

static void
test_import (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->folder, "config", NULL);
  g_autofree char *kubeconfig = NULL;
  g_autofree char *after = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(DrClusterCredentials) prod = NULL;
  g_autoptr(DrClusterCredentials) dev = NULL;
  g_autoptr(GError) error = NULL;
  DrKubeconfigImport *page;
  GStatBuf before_stat;
  GStatBuf after_stat;

  kubeconfig = g_strdup_printf (
    "apiVersion: v1\n"
    "kind: Config\n"
    "clusters:\n"
    "  - name: shop-prod\n"
    "    cluster:\n"
    "      server: %s\n"
    "  - name: minikube\n"
    "    cluster:\n"
    "      server: https://192.168.49.2:8443\n"
    "users:\n"
    "  - name: admin\n"
    "    user:\n"
    "      token: %s\n"
    "  - name: developer\n"
    "    user:\n"
    "      token: developer-token-42\n"
    "  - name: eks-user\n"
    "    user:\n"
    "      exec:\n"
    "        apiVersion: client.authentication.k8s.io/v1beta1\n"
    "        command: aws\n"
    "contexts:\n"
    "  - name: prod\n"
    "    context:\n"
    "      cluster: shop-prod\n"
    "      user: admin\n"
    "  - name: local\n"
    "    context:\n"
    "      cluster: minikube\n"
    "      user: developer\n"
    "  - name: eks\n"
    "    context:\n"
    "      cluster: shop-prod\n"
    "      user: eks-user\n"
    "current-context: prod\n",
    kube_api_double_get_url (fixture->api), TOKEN);
  g_assert_true (g_file_set_contents (path, kubeconfig, -1, NULL));
  g_assert_cmpint (g_stat (path, &before_stat), ==, 0);
  file = g_file_new_for_path (path);

  open_window (fixture, 640);
  dr_preferences_window_import_kubeconfig (fixture->window, file);
  g_assert_true (dr_ui_wait_until (import_page_is_shown, fixture, 5000));
  page = DR_KUBECONFIG_IMPORT (find_descendant (GTK_WIDGET (fixture->window),
                                                DR_TYPE_KUBECONFIG_IMPORT, NULL));
  dr_ui_wait_ms (500);

  /* Equal names are preselected, and the others are not imported unless chosen. The context
   * whose user runs an exec plugin is listed as not imported. */
  g_assert_cmpuint (dr_kubeconfig_import_get_n_entries (page), ==, 2);
  g_assert_cmpuint (dr_kubeconfig_import_get_n_skipped (page), ==, 1);
  g_assert_nonnull (dr_ui_find_text (GTK_WIDGET (page), "eks (cluster shop-prod)"));
  g_assert_cmpstr (dr_kubeconfig_import_get_choice (page, 0), ==, "shop-prod");
  g_assert_null (dr_kubeconfig_import_get_choice (page, 1));

  /* Choosing one workspace cluster twice is rejected before anything is stored. */
  dr_kubeconfig_import_set_choice (page, 1, "shop-prod");
  g_assert_false (gtk_widget_get_sensitive (
                    GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (page),
                                                               DR_TYPE_KUBECONFIG_IMPORT,
                                                               "store_button"))));
  dr_kubeconfig_import_set_choice (page, 1, "shop-dev");
  dr_ui_screenshot ("preferences-import");

  g_assert_true (click (GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (page),
                                                                         DR_TYPE_KUBECONFIG_IMPORT,
                                                                         "store_button"))));
  g_assert_true (dr_ui_wait_until (import_status_is_shown, fixture, 10000));

  expected = g_strdup_printf ("Stored the credentials of shop-prod and shop-dev in the keyring. "
                              "The file “%s” was not changed.", path);
  g_assert_cmpstr (label_text (window_child (fixture, "import_status_label")), ==, expected);

  prod = dr_credentials_lookup_sync ("shop-prod", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (prod->server, ==, kube_api_double_get_url (fixture->api));
  g_assert_cmpstr (prod->token, ==, TOKEN);
  dev = dr_credentials_lookup_sync ("shop-dev", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dev->server, ==, "https://192.168.49.2:8443");
  g_assert_cmpstr (dev->token, ==, "developer-token-42");

  /* The file is untouched. */
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, kubeconfig);
  g_assert_cmpint (g_stat (path, &after_stat), ==, 0);
  g_assert_cmpint (after_stat.st_mtime, ==, before_stat.st_mtime);

  /* The groups show what was imported. */
  {
    DrClusterGroup *group = show_cluster (fixture, "shop-dev");

    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (group_child (group, "server_row"))),
                     ==, "https://192.168.49.2:8443");
    g_assert_true (dr_cluster_group_get_stored (group));
  }
}

static void
test_import_invalid (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->folder, "broken", NULL);
  g_autoptr(GFile) file = NULL;
  const char *text;

  g_assert_true (g_file_set_contents (path, "clusters: [\n", -1, NULL));
  file = g_file_new_for_path (path);

  open_window (fixture, 640);
  dr_preferences_window_import_kubeconfig (fixture->window, file);
  g_assert_true (dr_ui_wait_until (import_status_is_shown, fixture, 5000));

  text = label_text (window_child (fixture, "import_status_label"));
  g_assert_nonnull (strstr (text, path));
  g_assert_true (gtk_widget_has_css_class (window_child (fixture, "import_status_label"),
                                           "error"));
  g_assert_false (import_page_is_shown (fixture));
}

static void
test_import_invalid_entry (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->folder, "config", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(DrClusterCredentials) stored = NULL;
  g_autoptr(GError) error = NULL;
  DrKubeconfigImport *page;
  GtkWidget *status;

  /* Plain http to another host is not stored, and neither is the valid entry next to it. */
  g_assert_true (g_file_set_contents (path,
                                      "clusters:\n"
                                      "  - name: shop-prod\n"
                                      "    cluster:\n"
                                      "      server: http://cluster.example.com\n"
                                      "  - name: shop-dev\n"
                                      "    cluster:\n"
                                      "      server: https://dev.example.com\n"
                                      "users:\n"
                                      "  - name: admin\n"
                                      "    user:\n"
                                      "      token: " TOKEN "\n"
                                      "contexts:\n"
                                      "  - name: dev\n"
                                      "    context: { cluster: shop-dev, user: admin }\n"
                                      "  - name: prod\n"
                                      "    context: { cluster: shop-prod, user: admin }\n",
                                      -1, NULL));

  open_window (fixture, 640);
  dr_preferences_window_import_kubeconfig (fixture->window, file);
  g_assert_true (dr_ui_wait_until (import_page_is_shown, fixture, 5000));
  page = DR_KUBECONFIG_IMPORT (find_descendant (GTK_WIDGET (fixture->window),
                                                DR_TYPE_KUBECONFIG_IMPORT, NULL));
  dr_ui_wait_ms (500);
  g_assert_cmpstr (dr_kubeconfig_import_get_choice (page, 0), ==, "shop-dev");
  g_assert_cmpstr (dr_kubeconfig_import_get_choice (page, 1), ==, "shop-prod");

  g_assert_true (click (GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (page),
                                                                   DR_TYPE_KUBECONFIG_IMPORT,
                                                                   "store_button"))));
  dr_ui_wait_ms (300);

  status = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (page),
                                                     DR_TYPE_KUBECONFIG_IMPORT,
                                                     "status_label"));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (status)),
                                   "The entry for shop-prod cannot be stored: Invalid API server "
                                   "URL “http://cluster.example.com”"));
  g_assert_true (gtk_widget_has_css_class (status, "error"));
  g_assert_false (import_status_is_shown (fixture));
  dr_ui_screenshot ("preferences-import-invalid-entry");

  stored = dr_credentials_lookup_sync ("shop-dev", NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  stored = dr_credentials_lookup_sync ("shop-prod", NULL, &error);
  g_assert_error (error, DR_CREDENTIALS_ERROR, DR_CREDENTIALS_ERROR_NOT_FOUND);
}

/* Keyboard */

static gboolean
focus_is_within (Fixture   *fixture,
                 GtkWidget *widget)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (fixture->window));

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

static void
test_cluster_keyboard (Fixture       *fixture,
                       gconstpointer  data)
{
  const char * const controls[] = {
    "token_row", "certificate_choose_button", "insecure_switch", "test_button", "save_button",
  };
  gboolean reached[G_N_ELEMENTS (controls)] = { FALSE };
  DrClusterGroup *group;

  open_window (fixture, 640);
  group = show_cluster (fixture, "shop-dev");
  g_assert_true (focus_is_within (fixture, group_child (group, "server_row")));

  /* Tab reaches every control of the group. */
  for (guint presses = 0; presses < 16 && !reached[G_N_ELEMENTS (controls) - 1]; presses++) {
    g_assert_true (dr_ui_key ("Tab"));
    dr_ui_wait_ms (50);

    for (guint i = 0; i < G_N_ELEMENTS (controls); i++) {
      if (focus_is_within (fixture, group_child (group, controls[i])))
        reached[i] = TRUE;
    }
  }

  for (guint i = 0; i < G_N_ELEMENTS (controls); i++) {
    if (!reached[i])
      g_printerr ("# Tab never reached %s\n", controls[i]);
    g_assert_true (reached[i]);
  }

  /* Space on the focused Save button validates, and the empty server is named. */
  g_assert_true (dr_ui_key ("space"));
  dr_ui_wait_ms (200);
  g_assert_true (gtk_widget_get_visible (group_child (group, "server_message_row")));
}

/* Secrets in messages */

static void
test_mask_secrets (void)
{
  g_autoptr(DrClusterCredentials) credentials = dr_cluster_credentials_new ("shop-dev");
  g_autofree char *masked = NULL;
  g_autofree char *encoded = g_base64_encode ((const guchar *) TOKEN, strlen (TOKEN));
  g_autofree char *message = NULL;

  credentials->server = g_strdup ("https://dev.example.com");
  credentials->token = g_strdup (TOKEN);

  message = g_strdup_printf ("server echoed “Bearer %s” and %s", TOKEN, encoded);
  masked = dr_cluster_fields_mask_secrets (credentials, message);

  g_assert_cmpstr (masked, ==, "server echoed “Bearer ********” and ********");
}

/* Narrow windows */

static void
test_narrow (Fixture       *fixture,
             gconstpointer  data)
{
  DrClusterGroup *group;
  int minimum;

  g_assert_true (store_credentials ("shop-prod", kube_api_double_get_url (fixture->api), TOKEN));

  open_window (fixture, 360);
  /* The window's own minimum also counts its shadow, so the pages are measured. */
  gtk_widget_measure (window_child (fixture, "general_page"), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
  gtk_widget_measure (window_child (fixture, "clusters_page"), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
  dr_ui_screenshot ("preferences-general-360");

  group = show_cluster (fixture, "shop-prod");
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (group)), <=, 360);
  dr_ui_screenshot ("preferences-clusters-360");

  g_assert_true (click (group_child (group, "test_button")));
  g_assert_true (dr_ui_wait_until (connection_label_is_shown, group, 10000));
  g_assert_cmpstr (label_text (group_child (group, "connection_label")), ==,
                   "Connected: Kubernetes v1.29.2");
  gtk_widget_grab_focus (group_child (group, "connection_label"));
  dr_ui_screenshot ("preferences-clusters-360-tested");
}

/* A locked keyring. This test runs last because the keyring stays locked. */

static void
lock_keyring (void)
{
  g_autoptr(SecretService) service = NULL;
  g_autoptr(SecretCollection) collection = NULL;
  g_autoptr(GError) error = NULL;
  GList *objects;
  int n_locked;

  service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, NULL, &error);
  g_assert_no_error (error);
  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_NONE, NULL, &error);
  g_assert_no_error (error);

  objects = g_list_append (NULL, collection);
  n_locked = secret_service_lock_sync (service, objects, NULL, NULL, &error);
  g_list_free (objects);
  g_assert_no_error (error);
  g_assert_cmpint (n_locked, ==, 1);
}

static void
test_locked_keyring (Fixture       *fixture,
                     gconstpointer  data)
{
  DrClusterGroup *group;
  GtkWidget *status;

  g_assert_true (store_credentials ("shop-prod", "https://prod.example.com:6443", TOKEN));
  lock_keyring ();

  open_window (fixture, 640);
  group = show_cluster (fixture, "shop-prod");
  status = group_child (group, "status_label");

  g_assert_true (g_str_has_prefix (label_text (status), "The keyring is locked."));
  g_assert_true (gtk_widget_has_css_class (status, "error"));
  g_assert_false (dr_cluster_group_get_stored (group));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (group_child (group, "token_row"))), ==,
                   "");

  /* Saving reports the same, and nothing is written anywhere else. */
  type_into (group_child (group, "server_row"), "https://prod.example.com:6443");
  type_into (group_child (group, "token_row"), TOKEN);
  g_assert_true (click (group_child (group, "save_button")));
  g_assert_true (dr_ui_wait_until (group_is_idle, group, 10000));
  g_assert_true (g_str_has_prefix (label_text (status), "The keyring is locked."));

  dr_ui_screenshot ("preferences-cluster-locked");

  /* The tear-down cannot delete from a locked keyring, and the session ends with this program
   * anyway. */
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  fixture->window = NULL;
}

static void
locked_tear_down (Fixture       *fixture,
                  gconstpointer  data)
{
  dr_ui_wait_ms (50);
  g_clear_pointer (&fixture->api, kube_api_double_free);
  g_clear_object (&fixture->workspace);
  g_clear_object (&fixture->settings);
  remove_tree (fixture->folder);
  g_free (fixture->folder);
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
  ADD ("/preferences/name", test_name);
  ADD ("/preferences/roles", test_roles);
  ADD ("/preferences/name-invalid", test_name_invalid);
  ADD ("/preferences/clones", test_clones);
  ADD ("/preferences/clones-folder-missing", test_clones_folder_missing);
  ADD ("/preferences/cluster/groups", test_cluster_groups);
  ADD ("/preferences/cluster/save", test_cluster_save);
  ADD ("/preferences/cluster/invalid", test_cluster_invalid);
  ADD ("/preferences/cluster/connection", test_cluster_connection);
  ADD ("/preferences/cluster/lookup", test_cluster_lookup);
  ADD ("/preferences/cluster/remove", test_cluster_remove);
  ADD ("/preferences/cluster/certificate", test_cluster_certificate);
  ADD ("/preferences/cluster/keyboard", test_cluster_keyboard);
  ADD ("/preferences/import", test_import);
  ADD ("/preferences/import-invalid", test_import_invalid);
  ADD ("/preferences/import-invalid-entry", test_import_invalid_entry);
  ADD ("/preferences/narrow", test_narrow);
#undef ADD
  g_test_add_func ("/preferences/cluster/mask-secrets", test_mask_secrets);
  g_test_add ("/preferences/cluster/locked-keyring", Fixture, NULL, fixture_set_up,
              test_locked_keyring, locked_tear_down);

  return g_test_run ();
}
