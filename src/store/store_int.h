/* Private to src/store: the SQLite connection behind es_store.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_STORE_INT_H
#define ES_STORE_INT_H

#include <sqlite3.h>
#include "eseal/store.h"

struct es_store {
	sqlite3 *db;
	int in_tx;
};

#endif
