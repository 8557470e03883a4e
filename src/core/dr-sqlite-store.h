/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dr-store.h"

G_BEGIN_DECLS

#define DR_TYPE_SQLITE_STORE (dr_sqlite_store_get_type ())
G_DECLARE_FINAL_TYPE (DrSqliteStore, dr_sqlite_store, DR, SQLITE_STORE, GObject)

DrStore    *dr_sqlite_store_open          (const char    *path,
                                           GError       **error);
char       *dr_sqlite_store_default_path  (void);
const char *dr_sqlite_store_get_path      (DrSqliteStore *self);
int         dr_sqlite_store_get_schema_version (DrSqliteStore *self);

G_END_DECLS
