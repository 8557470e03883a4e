/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsecret/secret.h>
#include <string.h>

#include "dr-keyring-test.h"

/* The login password that tests/with-keyring.sh gives the keyring. */
#define KEYRING_PASSWORD "test"

static SecretService *
get_service (void)
{
  g_autoptr(GError) error = NULL;
  SecretService *service;

  service = secret_service_get_sync (SECRET_SERVICE_NONE, NULL, &error);
  g_assert_no_error (error);

  return service;
}

static SecretCollection *
get_default_collection (SecretService *service)
{
  g_autoptr(GError) error = NULL;
  SecretCollection *collection;

  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (collection);

  return collection;
}

static char *
default_collection_path (void)
{
  g_autoptr(SecretService) service = get_service ();
  g_autoptr(SecretCollection) collection = get_default_collection (service);

  return g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (collection)));
}

/* Locks the default collection with the Secret Service Lock call; `secret-tool lock` of
 * libsecret-tools 0.20.5 crashes after locking. */
void
dr_keyring_test_lock (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SecretService) service = get_service ();
  g_autoptr(SecretCollection) collection = get_default_collection (service);
  GList *objects;
  int n_locked;

  objects = g_list_append (NULL, collection);
  n_locked = secret_service_lock_sync (service, objects, NULL, NULL, &error);
  g_list_free (objects);
  g_assert_no_error (error);
  g_assert_cmpint (n_locked, ==, 1);
}

/* Unlocks with the login password through gnome-keyring's private interface, which takes the
 * password over a "plain" Secret Service session. gnome-keyring answers the standard Unlock
 * method with a password prompt, which needs a display. */
#define GNOME_KEYRING_INTERFACE "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"

void
dr_keyring_test_unlock (void)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) session_reply = NULL;
  g_autoptr(GVariant) unlock_reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *collection_path = default_collection_path ();
  const char *session_path;
  GVariant *secret;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);

  session_reply = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets",
                                               "/org/freedesktop/secrets",
                                               "org.freedesktop.Secret.Service", "OpenSession",
                                               g_variant_new ("(sv)", "plain",
                                                              g_variant_new_string ("")),
                                               G_VARIANT_TYPE ("(vo)"), G_DBUS_CALL_FLAGS_NONE,
                                               -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (session_reply, "(v&o)", NULL, &session_path);

  secret = g_variant_new ("(o@ay@ays)", session_path,
                          g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "", 0, 1),
                          g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, KEYRING_PASSWORD,
                                                     strlen (KEYRING_PASSWORD), 1),
                          "text/plain");
  unlock_reply = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets",
                                              "/org/freedesktop/secrets",
                                              GNOME_KEYRING_INTERFACE,
                                              "UnlockWithMasterPassword",
                                              g_variant_new ("(o@(oayays))", collection_path,
                                                             secret),
                                              NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}
