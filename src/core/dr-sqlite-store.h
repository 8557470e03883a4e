/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dr-store.h"

G_BEGIN_DECLS

#define DR_TYPE_SQLITE_STORE (dr_sqlite_store_get_type ())
G_DECLARE_FINAL_TYPE (DrSqliteStore, dr_sqlite_store, DR, SQLITE_STORE, GObject)

/* What dr_sqlite_store_open_full() may create when it is missing. */
typedef enum
{
  DR_SQLITE_STORE_OPEN_EXISTING = 0,
  DR_SQLITE_STORE_OPEN_CREATE_FILE = 1 << 0,     /* the store file, in an existing folder */
  DR_SQLITE_STORE_OPEN_CREATE_FOLDERS = 1 << 1,  /* the file's folder and its parents, mode 0700 */
} DrSqliteStoreOpenFlags;

DrStore    *dr_sqlite_store_open          (const char    *path,
                                           GError       **error);
DrStore    *dr_sqlite_store_open_full     (const char             *path,
                                           DrSqliteStoreOpenFlags  flags,
                                           GError                **error);
char       *dr_sqlite_store_default_path  (void);
const char *dr_sqlite_store_get_path      (DrSqliteStore *self);
int         dr_sqlite_store_get_schema_version (DrSqliteStore *self);

G_END_DECLS
