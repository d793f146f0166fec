/* libsqlite3, loaded on first use (see src/util/dl.h for why): a one-shot
 * `eseal verify` reads the data directory's trust file and opens no store
 * (src/core/trust_cache.c), and mapping and relocating SQLite at its start
 * (1600 relocations, 1500 of them against its own symbols) was ≈ 0.4 ms of
 * a 9 ms verification (docs/PERFORMANCE.md).
 *
 * Defines the SQLite functions eseal calls, under their own names; each
 * forwards to the real one.  Where the library cannot be loaded
 * sqlite3_open_v2() fails with SQLITE_CANTOPEN (es_store_open() asks
 * es_sqlite_require() first, which names the Debian package).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stddef.h>
#include <sqlite3.h>
#include "store_int.h"
#include "util/dl.h"

static __typeof__(sqlite3_bind_int64) *p_sqlite3_bind_int64;
static __typeof__(sqlite3_column_int64) *p_sqlite3_column_int64;
static __typeof__(sqlite3_column_int) *p_sqlite3_column_int;
static __typeof__(sqlite3_column_text) *p_sqlite3_column_text;
static __typeof__(sqlite3_last_insert_rowid) *p_sqlite3_last_insert_rowid;
static __typeof__(sqlite3_bind_int) *p_sqlite3_bind_int;
static __typeof__(sqlite3_finalize) *p_sqlite3_finalize;
static __typeof__(sqlite3_changes) *p_sqlite3_changes;
static __typeof__(sqlite3_bind_null) *p_sqlite3_bind_null;
static __typeof__(sqlite3_step) *p_sqlite3_step;
static __typeof__(sqlite3_column_bytes) *p_sqlite3_column_bytes;
static __typeof__(sqlite3_bind_double) *p_sqlite3_bind_double;
static __typeof__(sqlite3_errmsg) *p_sqlite3_errmsg;
static __typeof__(sqlite3_column_blob) *p_sqlite3_column_blob;
static __typeof__(sqlite3_close) *p_sqlite3_close;
static __typeof__(sqlite3_bind_blob) *p_sqlite3_bind_blob;
static __typeof__(sqlite3_prepare_v2) *p_sqlite3_prepare_v2;
static __typeof__(sqlite3_extended_errcode) *p_sqlite3_extended_errcode;
static __typeof__(sqlite3_exec) *p_sqlite3_exec;
static __typeof__(sqlite3_column_double) *p_sqlite3_column_double;
static __typeof__(sqlite3_busy_timeout) *p_sqlite3_busy_timeout;
static __typeof__(sqlite3_stmt_readonly) *p_sqlite3_stmt_readonly;
static __typeof__(sqlite3_sql) *p_sqlite3_sql;
static __typeof__(sqlite3_reset) *p_sqlite3_reset;
static __typeof__(sqlite3_prepare_v3) *p_sqlite3_prepare_v3;
static __typeof__(sqlite3_file_control) *p_sqlite3_file_control;
static __typeof__(sqlite3_errstr) *p_sqlite3_errstr;
static __typeof__(sqlite3_close_v2) *p_sqlite3_close_v2;
static __typeof__(sqlite3_clear_bindings) *p_sqlite3_clear_bindings;
static __typeof__(sqlite3_bind_text) *p_sqlite3_bind_text;
static __typeof__(sqlite3_backup_step) *p_sqlite3_backup_step;
static __typeof__(sqlite3_backup_init) *p_sqlite3_backup_init;
static __typeof__(sqlite3_backup_finish) *p_sqlite3_backup_finish;
static __typeof__(sqlite3_open_v2) *p_sqlite3_open_v2;
static __typeof__(sqlite3_free) *p_sqlite3_free;

static const char *const sqlite_sonames[] = {"libsqlite3.so.0", NULL};
static const es_dl_sym sqlite_syms[] = {
	{"sqlite3_bind_int64", (void **)&p_sqlite3_bind_int64},
	{"sqlite3_column_int64", (void **)&p_sqlite3_column_int64},
	{"sqlite3_column_int", (void **)&p_sqlite3_column_int},
	{"sqlite3_column_text", (void **)&p_sqlite3_column_text},
	{"sqlite3_last_insert_rowid", (void **)&p_sqlite3_last_insert_rowid},
	{"sqlite3_bind_int", (void **)&p_sqlite3_bind_int},
	{"sqlite3_finalize", (void **)&p_sqlite3_finalize},
	{"sqlite3_changes", (void **)&p_sqlite3_changes},
	{"sqlite3_bind_null", (void **)&p_sqlite3_bind_null},
	{"sqlite3_step", (void **)&p_sqlite3_step},
	{"sqlite3_column_bytes", (void **)&p_sqlite3_column_bytes},
	{"sqlite3_bind_double", (void **)&p_sqlite3_bind_double},
	{"sqlite3_errmsg", (void **)&p_sqlite3_errmsg},
	{"sqlite3_column_blob", (void **)&p_sqlite3_column_blob},
	{"sqlite3_close", (void **)&p_sqlite3_close},
	{"sqlite3_bind_blob", (void **)&p_sqlite3_bind_blob},
	{"sqlite3_prepare_v2", (void **)&p_sqlite3_prepare_v2},
	{"sqlite3_extended_errcode", (void **)&p_sqlite3_extended_errcode},
	{"sqlite3_exec", (void **)&p_sqlite3_exec},
	{"sqlite3_column_double", (void **)&p_sqlite3_column_double},
	{"sqlite3_busy_timeout", (void **)&p_sqlite3_busy_timeout},
	{"sqlite3_stmt_readonly", (void **)&p_sqlite3_stmt_readonly},
	{"sqlite3_sql", (void **)&p_sqlite3_sql},
	{"sqlite3_reset", (void **)&p_sqlite3_reset},
	{"sqlite3_prepare_v3", (void **)&p_sqlite3_prepare_v3},
	{"sqlite3_file_control", (void **)&p_sqlite3_file_control},
	{"sqlite3_errstr", (void **)&p_sqlite3_errstr},
	{"sqlite3_close_v2", (void **)&p_sqlite3_close_v2},
	{"sqlite3_clear_bindings", (void **)&p_sqlite3_clear_bindings},
	{"sqlite3_bind_text", (void **)&p_sqlite3_bind_text},
	{"sqlite3_backup_step", (void **)&p_sqlite3_backup_step},
	{"sqlite3_backup_init", (void **)&p_sqlite3_backup_init},
	{"sqlite3_backup_finish", (void **)&p_sqlite3_backup_finish},
	{"sqlite3_open_v2", (void **)&p_sqlite3_open_v2},
	{"sqlite3_free", (void **)&p_sqlite3_free},
};
static es_dl_lib sqlite_lib = {sqlite_sonames, sqlite_syms, sizeof(sqlite_syms) / sizeof(sqlite_syms[0]),
			       "libsqlite3-0", NULL, 0, ""};

int es_sqlite_require(es_err *err)
{
	return es_dl_require(&sqlite_lib, err);
}

#define SQL_OK (es_sqlite_require(NULL) == 0)

int sqlite3_open_v2(const char *path, sqlite3 **db, int flags, const char *vfs)
{
	if (SQL_OK)
		return p_sqlite3_open_v2(path, db, flags, vfs);
	*db = NULL;
	return SQLITE_CANTOPEN;
}

void sqlite3_free(void *p)
{
	if (p != NULL && SQL_OK)
		p_sqlite3_free(p);
}

int sqlite3_bind_int64(sqlite3_stmt *s, int i, sqlite3_int64 v)
{
	return SQL_OK ? p_sqlite3_bind_int64(s, i, v) : SQLITE_MISUSE;
}

sqlite3_int64 sqlite3_column_int64(sqlite3_stmt *s, int i)
{
	return SQL_OK ? p_sqlite3_column_int64(s, i) : 0;
}

int sqlite3_column_int(sqlite3_stmt *s, int i)
{
	return SQL_OK ? p_sqlite3_column_int(s, i) : 0;
}

const unsigned char *sqlite3_column_text(sqlite3_stmt *s, int i)
{
	return SQL_OK ? p_sqlite3_column_text(s, i) : NULL;
}

sqlite3_int64 sqlite3_last_insert_rowid(sqlite3 *db)
{
	return SQL_OK ? p_sqlite3_last_insert_rowid(db) : 0;
}

int sqlite3_bind_int(sqlite3_stmt *s, int i, int v)
{
	return SQL_OK ? p_sqlite3_bind_int(s, i, v) : SQLITE_MISUSE;
}

int sqlite3_finalize(sqlite3_stmt *s)
{
	return SQL_OK ? p_sqlite3_finalize(s) : SQLITE_OK;
}

int sqlite3_changes(sqlite3 *db)
{
	return SQL_OK ? p_sqlite3_changes(db) : 0;
}

int sqlite3_bind_null(sqlite3_stmt *s, int i)
{
	return SQL_OK ? p_sqlite3_bind_null(s, i) : SQLITE_MISUSE;
}

int sqlite3_step(sqlite3_stmt *s)
{
	return SQL_OK ? p_sqlite3_step(s) : SQLITE_MISUSE;
}

int sqlite3_column_bytes(sqlite3_stmt *s, int i)
{
	return SQL_OK ? p_sqlite3_column_bytes(s, i) : 0;
}

int sqlite3_bind_double(sqlite3_stmt *s, int i, double v)
{
	return SQL_OK ? p_sqlite3_bind_double(s, i, v) : SQLITE_MISUSE;
}

const char *sqlite3_errmsg(sqlite3 *db)
{
	return SQL_OK ? p_sqlite3_errmsg(db) : "SQLite is not available";
}

const void *sqlite3_column_blob(sqlite3_stmt *s, int i)
{
	return SQL_OK ? p_sqlite3_column_blob(s, i) : NULL;
}

int sqlite3_close(sqlite3 *db)
{
	return SQL_OK ? p_sqlite3_close(db) : SQLITE_OK;
}

int sqlite3_bind_blob(sqlite3_stmt *s, int i, const void *v, int n, void (*d)(void *))
{
	return SQL_OK ? p_sqlite3_bind_blob(s, i, v, n, d) : SQLITE_MISUSE;
}

int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **out, const char **tail)
{
	return SQL_OK ? p_sqlite3_prepare_v2(db, sql, n, out, tail) : SQLITE_MISUSE;
}

int sqlite3_extended_errcode(sqlite3 *db)
{
	return SQL_OK ? p_sqlite3_extended_errcode(db) : SQLITE_MISUSE;
}

int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **), void *arg, char **errmsg)
{
	return SQL_OK ? p_sqlite3_exec(db, sql, cb, arg, errmsg) : SQLITE_MISUSE;
}

double sqlite3_column_double(sqlite3_stmt *s, int i)
{
	return SQL_OK ? p_sqlite3_column_double(s, i) : 0.0;
}

int sqlite3_busy_timeout(sqlite3 *db, int ms)
{
	return SQL_OK ? p_sqlite3_busy_timeout(db, ms) : SQLITE_MISUSE;
}

int sqlite3_stmt_readonly(sqlite3_stmt *s)
{
	return SQL_OK ? p_sqlite3_stmt_readonly(s) : 0;
}

const char *sqlite3_sql(sqlite3_stmt *s)
{
	return SQL_OK ? p_sqlite3_sql(s) : NULL;
}

int sqlite3_reset(sqlite3_stmt *s)
{
	return SQL_OK ? p_sqlite3_reset(s) : SQLITE_OK;
}

int sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned int flags, sqlite3_stmt **out, const char **tail)
{
	return SQL_OK ? p_sqlite3_prepare_v3(db, sql, n, flags, out, tail) : SQLITE_MISUSE;
}

int sqlite3_file_control(sqlite3 *db, const char *name, int op, void *arg)
{
	return SQL_OK ? p_sqlite3_file_control(db, name, op, arg) : SQLITE_MISUSE;
}

const char *sqlite3_errstr(int rc)
{
	return SQL_OK ? p_sqlite3_errstr(rc) : "SQLite is not available";
}

int sqlite3_close_v2(sqlite3 *db)
{
	return SQL_OK ? p_sqlite3_close_v2(db) : SQLITE_OK;
}

int sqlite3_clear_bindings(sqlite3_stmt *s)
{
	return SQL_OK ? p_sqlite3_clear_bindings(s) : SQLITE_OK;
}

int sqlite3_bind_text(sqlite3_stmt *s, int i, const char *v, int n, void (*d)(void *))
{
	return SQL_OK ? p_sqlite3_bind_text(s, i, v, n, d) : SQLITE_MISUSE;
}

int sqlite3_backup_step(sqlite3_backup *b, int n)
{
	return SQL_OK ? p_sqlite3_backup_step(b, n) : SQLITE_MISUSE;
}

sqlite3_backup *sqlite3_backup_init(sqlite3 *dst, const char *dname, sqlite3 *src, const char *sname)
{
	return SQL_OK ? p_sqlite3_backup_init(dst, dname, src, sname) : NULL;
}

int sqlite3_backup_finish(sqlite3_backup *b)
{
	return SQL_OK ? p_sqlite3_backup_finish(b) : SQLITE_OK;
}
