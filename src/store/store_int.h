/* Private to src/store: the SQLite connection behind es_store.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_STORE_INT_H
#define ES_STORE_INT_H

#include <sqlite3.h>
#include "eseal/store.h"

/* One prepared statement kept for the life of the connection, found by the
 * address of its SQL text (the callers pass string literals). */
typedef struct st_cached {
	const char *sql;
	sqlite3_stmt *stmt;
	int in_use;
} st_cached;

/* The in-process writer lock of one database file (sqlite.c). */
struct st_wlock;

struct es_store {
	sqlite3 *db;
	int in_tx;
	st_cached *cache;          /* prepared statements, reset after each use */
	size_t ncache, cache_cap;
	struct st_wlock *wlock;    /* shared by every es_store of this file in the process */
	int wlocked;               /* this connection holds wlock */
	sqlite3_stmt *auto_write;  /* autocommit write statement holding wlock until released */
	char *trust_path;          /* <store>-trust: verifiers' copy of the trust inputs */
	int trust_changing;        /* revocations changing in this connection's transaction */
	int trust_fd;              /* data directory, locked exclusively meanwhile; or -1 */
};

/* The revocations are about to change: lock out writers of the trust file
 * and remove it (again when the change is over: st_trust_change_end). */
void st_trust_change_begin(es_store *st);
void st_trust_change_end(es_store *st);

/* Load libsqlite3 now (sqlite_shim.c); ES_ENOTSUP naming the package when missing. */
int es_sqlite_require(es_err *err);

/* Statement helpers shared by the store's SQL files (src/store/sqlite.c). */
int st_db_err(es_store *st, es_err *err, const char *what);
/* A prepared statement for sql, from the connection's cache when sql (a
 * string literal: its address is the key) was prepared before.  Give it back
 * with st_release(), never sqlite3_finalize(). */
int st_prep(es_store *st, sqlite3_stmt **s, const char *sql, es_err *err);
/* Reset a cached statement and clear its bindings (finalize an uncached one).
 * NULL is a no-op. */
void st_release(es_store *st, sqlite3_stmt *s);
/* sqlite3_step(), with a write outside a transaction serialised against the
 * process's other writers of the file (st_release() lets go). */
int st_step(es_store *st, sqlite3_stmt *s);
void st_bind_text(sqlite3_stmt *s, int i, const char *v);
char *st_col_text(sqlite3_stmt *s, int i);
/* Run a statement without rows; UNIQUE → ES_EEXISTS.  Releases s. */
int st_step_done(es_store *st, sqlite3_stmt *s, const char *what, es_err *err);

/* Generic "collect rows" loop: grow an array of row structs. */
#define COLLECT(st, s, rows, n, type, from, err)                                   \
	do {                                                                       \
		size_t cap_ = 0;                                                   \
		int r_;                                                            \
		*(rows) = NULL;                                                    \
		*(n) = 0;                                                          \
		while ((r_ = st_step(st, s)) == SQLITE_ROW) {                      \
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
