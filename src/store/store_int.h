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

/* Statement helpers shared by the store's SQL files (src/store/sqlite.c). */
int st_db_err(es_store *st, es_err *err, const char *what);
int st_prep(es_store *st, sqlite3_stmt **s, const char *sql, es_err *err);
void st_bind_text(sqlite3_stmt *s, int i, const char *v);
char *st_col_text(sqlite3_stmt *s, int i);
/* Run a statement without rows; UNIQUE → ES_EEXISTS.  Finalizes s. */
int st_step_done(es_store *st, sqlite3_stmt *s, const char *what, es_err *err);

/* Generic "collect rows" loop: grow an array of row structs. */
#define COLLECT(st, s, rows, n, type, from, err)                                   \
	do {                                                                       \
		size_t cap_ = 0;                                                   \
		int r_;                                                            \
		*(rows) = NULL;                                                    \
		*(n) = 0;                                                          \
		while ((r_ = sqlite3_step(s)) == SQLITE_ROW) {                     \
			if (*(n) == cap_) {                                        \
				type *p_;                                          \
				cap_ = cap_ ? cap_ * 2 : 16;                       \
				p_ = realloc(*(rows), cap_ * sizeof(type));        \
				if (p_ == NULL) {                                  \
					rc = es_err_set(err, ES_ENOMEM, "out of memory"); \
					break;                                     \
				}                                                  \
				*(rows) = p_;                                      \
			}                                                          \
			memset(&(*(rows))[*(n)], 0, sizeof(type));                 \
			from(s, &(*(rows))[(*(n))++]);                             \
		}                                                                  \
		if (rc == 0 && r_ != SQLITE_DONE)                                  \
			rc = st_db_err(st, err, "list");                              \
	} while (0)

#endif
