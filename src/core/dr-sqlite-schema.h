/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>
#include <glib.h>

G_BEGIN_DECLS

/* The schema of the SQLite store file, private to DrSqliteStore. @path only names the file
 * in error messages. */

/* Returns the schema version that this release writes. */
int       dr_sqlite_schema_get_latest_version (void);

/* Reads the schema version of the file, 0 for a new file. */
gboolean  dr_sqlite_schema_read_version       (sqlite3     *db,
                                               const char  *path,
                                               int         *version,
                                               GError     **error);

/* Fails with DR_STORE_ERROR_TOO_NEW when @version is newer than this release reads, with a
 * message that names the release to update to when the file records it. */
gboolean  dr_sqlite_schema_check_supported    (sqlite3     *db,
                                               const char  *path,
                                               int          version,
                                               GError     **error);

/* Applies every migration after @from_version and records the new version. The caller must
 * have begun a write transaction, and rolls it back when this fails. */
gboolean  dr_sqlite_schema_migrate            (sqlite3     *db,
                                               const char  *path,
                                               int          from_version,
                                               GError     **error);

G_END_DECLS
