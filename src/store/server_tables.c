/* Tables of the server (sessions, API tokens, grants, use requests,
 * documents, throttling): migration 2 and its queries.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "eseal/store.h"
#include "eseal/store_server.h"

/* Mirror of struct es_store in sqlite.c (first members); the lead may move
 * it into a private src/store/store_int.h shared by both files. */
#include "store_int.h"

/* Applied by es_store_open() after migration 1 (src/store/sqlite.c). */
const char *const es_store_migration_server =
	"CREATE TABLE IF NOT EXISTS server_placeholder (id INTEGER PRIMARY KEY);"
	"CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, login TEXT NOT NULL, csrf TEXT NOT NULL,"
	" client TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL);"
	"CREATE INDEX sessions_login ON sessions(login);"
	"CREATE TABLE api_tokens (id INTEGER PRIMARY KEY, login TEXT NOT NULL, name TEXT NOT NULL,"
	" hash TEXT NOT NULL UNIQUE, revoked INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	"CREATE TABLE grants (id INTEGER PRIMARY KEY, seal_code TEXT NOT NULL REFERENCES seals(code),"
	" login TEXT NOT NULL, granted_by TEXT NOT NULL, not_after INTEGER NOT NULL DEFAULT 0,"
	" max_uses INTEGER NOT NULL DEFAULT 0, uses INTEGER NOT NULL DEFAULT 0,"
	" needs_approval INTEGER NOT NULL DEFAULT 0, auto_sign INTEGER NOT NULL DEFAULT 0,"
	" revoked INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	"CREATE INDEX grants_seal_login ON grants(seal_code, login);"
	"CREATE TABLE documents (id INTEGER PRIMARY KEY, owner_login TEXT NOT NULL,"
	" org_id INTEGER NOT NULL DEFAULT 0, filename TEXT NOT NULL, format TEXT NOT NULL"
	" CHECK (format IN ('pdf','ofd')), sha256 TEXT NOT NULL, pages INTEGER NOT NULL,"
	" page_sizes TEXT NOT NULL, size INTEGER NOT NULL, parent_id INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE use_requests (id INTEGER PRIMARY KEY, seal_code TEXT NOT NULL REFERENCES seals(code),"
	" document_id INTEGER NOT NULL REFERENCES documents(id), doc_sha256 TEXT NOT NULL,"
	" login TEXT NOT NULL, reason TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'submitted'"
	" CHECK (state IN ('submitted','approved','rejected','used')),"
	" decider TEXT, decision_reason TEXT, created_at INTEGER NOT NULL, decided_at INTEGER);"
	"CREATE TABLE login_throttle (key TEXT PRIMARY KEY, failures INTEGER NOT NULL,"
	" locked_until INTEGER NOT NULL, last_failure INTEGER NOT NULL);"
	"CREATE TABLE totp_pending (login TEXT PRIMARY KEY, secret_enc BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS audit_anchors (id INTEGER PRIMARY KEY, audit_id INTEGER NOT NULL,"
	" head_hash TEXT NOT NULL, tst BLOB NOT NULL, created_at INTEGER NOT NULL);";

/* ---- helpers (shared with sqlite.c: store_int.h) ---- */

/* Like step_done, but ES_ESTATE (with msg) when no row changed. */
static int step_changed(es_store *st, sqlite3_stmt *s, const char *what, const char *msg, es_err *err)
{
	int rc = st_step_done(st, s, what, err);

	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = es_err_set(err, ES_ESTATE, "%s", msg);
	return rc;
}

/* Step a statement expected to return one row into from(); ES_ENOTFOUND otherwise.  Releases s. */
#define GET_ONE(st, s, out, from, what, err)                                        \
	do {                                                                        \
		int r_ = st_step(st, s);                                            \
		if (r_ == SQLITE_ROW) {                                             \
			memset((out), 0, sizeof(*(out)));                           \
			from(s, (out));                                             \
			rc = 0;                                                     \
		} else if (r_ == SQLITE_DONE) {                                     \
			rc = es_err_set(err, ES_ENOTFOUND, "%s not found", what);   \
		} else {                                                            \
			rc = st_db_err(st, err, what);                                 \
		}                                                                   \
		st_release(st, s);                                                  \
	} while (0)

/* ---- sessions ---- */

int es_store_session_insert(es_store *st, const es_session_row *r, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "INSERT INTO sessions(id_hash, login, csrf, client, created_at, last_seen)"
			       " VALUES (?,?,?,?,?,?)", err)) < 0)
		return rc;
	st_bind_text(s, 1, r->id_hash);
	st_bind_text(s, 2, r->login);
	st_bind_text(s, 3, r->csrf);
	st_bind_text(s, 4, r->client ? r->client : "");
	sqlite3_bind_int64(s, 5, (sqlite3_int64)r->created_at);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)r->last_seen);
	return st_step_done(st, s, "session", err);
}

static void session_from(sqlite3_stmt *s, es_session_row *r)
{
	r->id_hash = st_col_text(s, 0);
	r->login = st_col_text(s, 1);
	r->csrf = st_col_text(s, 2);
	r->client = st_col_text(s, 3);
	r->created_at = (time_t)sqlite3_column_int64(s, 4);
	r->last_seen = (time_t)sqlite3_column_int64(s, 5);
}

int es_store_session_get(es_store *st, const char *id_hash, es_session_row *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT id_hash, login, csrf, client, created_at, last_seen"
			       " FROM sessions WHERE id_hash = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, id_hash);
	GET_ONE(st, s, out, session_from, "session", err);
	return rc;
}

int es_store_session_touch(es_store *st, const char *id_hash, time_t now, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "UPDATE sessions SET last_seen = ? WHERE id_hash = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	st_bind_text(s, 2, id_hash);
	return st_step_done(st, s, "session", err);
}

int es_store_session_delete(es_store *st, const char *id_hash, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "DELETE FROM sessions WHERE id_hash = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, id_hash);
	return st_step_done(st, s, "session", err);
}

int es_store_session_delete_login(es_store *st, const char *login, const char *keep_hash, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "DELETE FROM sessions WHERE login = ? AND id_hash <> ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, login);
	st_bind_text(s, 2, keep_hash ? keep_hash : "");
	return st_step_done(st, s, "session", err);
}

int es_store_session_purge(es_store *st, time_t idle_before, time_t created_before, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "DELETE FROM sessions WHERE last_seen < ? OR created_at < ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)idle_before);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)created_before);
	return st_step_done(st, s, "session", err);
}

void es_session_row_clear(es_session_row *r)
{
	if (r == NULL)
		return;
	free(r->id_hash);
	free(r->login);
	free(r->csrf);
	free(r->client);
	memset(r, 0, sizeof(*r));
}

/* ---- API tokens ---- */

#define TOKEN_COLS "id, login, name, hash, revoked, created_at"
static void token_from(sqlite3_stmt *s, es_token_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->login = st_col_text(s, 1);
	r->name = st_col_text(s, 2);
	r->hash = st_col_text(s, 3);
	r->revoked = sqlite3_column_int(s, 4);
	r->created_at = (time_t)sqlite3_column_int64(s, 5);
}

int es_store_token_insert(es_store *st, es_token_row *r, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "INSERT INTO api_tokens(login, name, hash, created_at) VALUES (?,?,?,?)", err)) < 0)
		return rc;
	st_bind_text(s, 1, r->login);
	st_bind_text(s, 2, r->name ? r->name : "");
	st_bind_text(s, 3, r->hash);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)r->created_at);
	if ((rc = st_step_done(st, s, "API token", err)) == 0)
		r->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int es_store_token_get(es_store *st, int64_t id, es_token_row *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " TOKEN_COLS " FROM api_tokens WHERE id = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	GET_ONE(st, s, out, token_from, "API token", err);
	return rc;
}

int es_store_token_by_hash(es_store *st, const char *hash, es_token_row *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " TOKEN_COLS " FROM api_tokens WHERE hash = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, hash);
	GET_ONE(st, s, out, token_from, "API token", err);
	return rc;
}

int es_store_token_revoke(es_store *st, int64_t id, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "UPDATE api_tokens SET revoked = 1 WHERE id = ? AND revoked = 0", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	return step_changed(st, s, "API token", "API token is already revoked", err);
}

int es_store_token_list(es_store *st, const char *login, es_token_row **rows, size_t *n, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " TOKEN_COLS " FROM api_tokens WHERE login = ? ORDER BY id", err)) < 0)
		return rc;
	st_bind_text(s, 1, login);
	COLLECT(st, s, rows, n, es_token_row, token_from, err);
	st_release(st, s);
	return rc;
}

void es_token_row_clear(es_token_row *r)
{
	if (r == NULL)
		return;
	free(r->login);
	free(r->name);
	free(r->hash);
	memset(r, 0, sizeof(*r));
}

/* ---- grants ---- */

#define GRANT_COLS "id, seal_code, login, granted_by, not_after, max_uses, uses," \
		   " needs_approval, auto_sign, revoked, created_at"
static void grant_from(sqlite3_stmt *s, es_grant_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->seal_code = st_col_text(s, 1);
	r->login = st_col_text(s, 2);
	r->granted_by = st_col_text(s, 3);
	r->not_after = (time_t)sqlite3_column_int64(s, 4);
	r->max_uses = sqlite3_column_int64(s, 5);
	r->uses = sqlite3_column_int64(s, 6);
	r->needs_approval = sqlite3_column_int(s, 7);
	r->auto_sign = sqlite3_column_int(s, 8);
	r->revoked = sqlite3_column_int(s, 9);
	r->created_at = (time_t)sqlite3_column_int64(s, 10);
}

int es_store_grant_insert(es_store *st, es_grant_row *r, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "INSERT INTO grants(seal_code, login, granted_by, not_after, max_uses,"
			       " needs_approval, auto_sign, created_at) VALUES (?,?,?,?,?,?,?,?)", err)) < 0)
		return rc;
	st_bind_text(s, 1, r->seal_code);
	st_bind_text(s, 2, r->login);
	st_bind_text(s, 3, r->granted_by);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)r->not_after);
	sqlite3_bind_int64(s, 5, r->max_uses);
	sqlite3_bind_int(s, 6, r->needs_approval);
	sqlite3_bind_int(s, 7, r->auto_sign);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)r->created_at);
	if ((rc = st_step_done(st, s, "grant", err)) == 0)
		r->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int es_store_grant_get(es_store *st, int64_t id, es_grant_row *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " GRANT_COLS " FROM grants WHERE id = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	GET_ONE(st, s, out, grant_from, "grant", err);
	return rc;
}

int es_store_grant_list(es_store *st, const char *seal_code, const char *login,
			es_grant_row **rows, size_t *n, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " GRANT_COLS " FROM grants WHERE (?1 IS NULL OR seal_code = ?1)"
			       " AND (?2 IS NULL OR login = ?2) ORDER BY id", err)) < 0)
		return rc;
	st_bind_text(s, 1, seal_code);
	st_bind_text(s, 2, login);
	COLLECT(st, s, rows, n, es_grant_row, grant_from, err);
	st_release(st, s);
	return rc;
}

int es_store_grant_find_valid(es_store *st, const char *seal_code, const char *login, time_t now,
			      es_grant_row *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " GRANT_COLS " FROM grants WHERE seal_code = ? AND login = ?"
			       " AND revoked = 0 AND (not_after = 0 OR not_after > ?)"
			       " AND (max_uses = 0 OR uses < max_uses)"
			       " ORDER BY needs_approval, auto_sign DESC, id LIMIT 1", err)) < 0)
		return rc;
	st_bind_text(s, 1, seal_code);
	st_bind_text(s, 2, login);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	GET_ONE(st, s, out, grant_from, "grant", err);
	return rc;
}

int es_store_grant_revoke(es_store *st, int64_t id, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "UPDATE grants SET revoked = 1 WHERE id = ? AND revoked = 0", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	return step_changed(st, s, "grant", "grant is already revoked", err);
}

int es_store_grant_use(es_store *st, int64_t id, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "UPDATE grants SET uses = uses + 1 WHERE id = ? AND revoked = 0"
			       " AND (max_uses = 0 OR uses < max_uses)", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	return step_changed(st, s, "grant", "the grant has no uses left; ask the seal keeper for a new one", err);
}

int es_store_grant_unuse(es_store *st, int64_t id, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "UPDATE grants SET uses = uses - 1 WHERE id = ? AND uses > 0", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	return st_step_done(st, s, "grant", err);
}

void es_grant_row_clear(es_grant_row *r)
{
	if (r == NULL)
		return;
	free(r->seal_code);
	free(r->login);
	free(r->granted_by);
	memset(r, 0, sizeof(*r));
}

/* ---- documents ---- */

#define DOC_COLS "id, owner_login, org_id, filename, format, sha256, pages, page_sizes, size," \
		 " parent_id, created_at"
static void doc_from(sqlite3_stmt *s, es_doc_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->owner_login = st_col_text(s, 1);
	r->org_id = sqlite3_column_int64(s, 2);
	r->filename = st_col_text(s, 3);
	r->format = st_col_text(s, 4);
	r->sha256 = st_col_text(s, 5);
	r->pages = sqlite3_column_int(s, 6);
	r->page_sizes = st_col_text(s, 7);
	r->size = sqlite3_column_int64(s, 8);
	r->parent_id = sqlite3_column_int64(s, 9);
	r->created_at = (time_t)sqlite3_column_int64(s, 10);
}

/* Document ids come from a counter, never from the rowid: an id handed out
 * is never handed out again, even when its row was deleted or never
 * written, so a file stored under it cannot be taken by another document.
 * The counter starts (and stays) above the largest id in the table. */
#define ES_DOC_ID_COUNTER "documents"

int es_store_doc_reserve_id(es_store *st, int64_t *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc, r;

	*out = 0;
	if ((rc = st_prep(st, &s, "INSERT INTO counters(name, value)"
			       " VALUES (?1, (SELECT COALESCE(MAX(id), 0) + 1 FROM documents))"
			       " ON CONFLICT(name) DO UPDATE SET"
			       " value = MAX(value + 1, (SELECT COALESCE(MAX(id), 0) + 1 FROM documents))"
			       " RETURNING value", err)) < 0)
		return rc;
	st_bind_text(s, 1, ES_DOC_ID_COUNTER);
	r = st_step(st, s);
	if (r == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		rc = st_db_err(st, err, "document id");
	st_release(st, s);
	return rc;
}

int es_store_doc_insert(es_store *st, es_doc_row *r, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (r->id <= 0 && (rc = es_store_doc_reserve_id(st, &r->id, err)) < 0)
		return rc;
	if ((rc = st_prep(st, &s, "INSERT INTO documents(id, owner_login, org_id, filename, format, sha256, pages,"
			       " page_sizes, size, parent_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, r->id);
	st_bind_text(s, 2, r->owner_login);
	sqlite3_bind_int64(s, 3, r->org_id);
	st_bind_text(s, 4, r->filename ? r->filename : "");
	st_bind_text(s, 5, r->format);
	st_bind_text(s, 6, r->sha256);
	sqlite3_bind_int(s, 7, r->pages);
	st_bind_text(s, 8, r->page_sizes ? r->page_sizes : "[]");
	sqlite3_bind_int64(s, 9, r->size);
	sqlite3_bind_int64(s, 10, r->parent_id);
	sqlite3_bind_int64(s, 11, (sqlite3_int64)r->created_at);
	return st_step_done(st, s, "document", err);
}

int es_store_doc_get(es_store *st, int64_t id, es_doc_row *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " DOC_COLS " FROM documents WHERE id = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	GET_ONE(st, s, out, doc_from, "document", err);
	return rc;
}

int es_store_doc_delete(es_store *st, int64_t id, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "DELETE FROM documents WHERE id = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	return st_step_done(st, s, "document", err);
}

void es_doc_row_clear(es_doc_row *r)
{
	if (r == NULL)
		return;
	free(r->owner_login);
	free(r->filename);
	free(r->format);
	free(r->sha256);
	free(r->page_sizes);
	memset(r, 0, sizeof(*r));
}

/* ---- use requests ---- */

#define UR_COLS "id, seal_code, document_id, doc_sha256, login, reason, state, decider," \
		" decision_reason, created_at, decided_at"
static void usereq_from(sqlite3_stmt *s, es_usereq_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->seal_code = st_col_text(s, 1);
	r->document_id = sqlite3_column_int64(s, 2);
	r->doc_sha256 = st_col_text(s, 3);
	r->login = st_col_text(s, 4);
	r->reason = st_col_text(s, 5);
	r->state = st_col_text(s, 6);
	r->decider = st_col_text(s, 7);
	r->decision_reason = st_col_text(s, 8);
	r->created_at = (time_t)sqlite3_column_int64(s, 9);
	r->decided_at = (time_t)sqlite3_column_int64(s, 10);
}

int es_store_usereq_insert(es_store *st, es_usereq_row *r, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "INSERT INTO use_requests(seal_code, document_id, doc_sha256, login, reason,"
			       " created_at) VALUES (?,?,?,?,?,?)", err)) < 0)
		return rc;
	st_bind_text(s, 1, r->seal_code);
	sqlite3_bind_int64(s, 2, r->document_id);
	st_bind_text(s, 3, r->doc_sha256);
	st_bind_text(s, 4, r->login);
	st_bind_text(s, 5, r->reason ? r->reason : "");
	sqlite3_bind_int64(s, 6, (sqlite3_int64)r->created_at);
	if ((rc = st_step_done(st, s, "use request", err)) == 0)
		r->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int es_store_usereq_get(es_store *st, int64_t id, es_usereq_row *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " UR_COLS " FROM use_requests WHERE id = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	GET_ONE(st, s, out, usereq_from, "use request", err);
	return rc;
}

int es_store_usereq_decide(es_store *st, int64_t id, const char *state, const char *decider,
			   const char *reason, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "UPDATE use_requests SET state = ?, decider = ?, decision_reason = ?,"
			       " decided_at = strftime('%s','now') WHERE id = ? AND state = 'submitted'", err)) < 0)
		return rc;
	st_bind_text(s, 1, state);
	st_bind_text(s, 2, decider);
	st_bind_text(s, 3, reason ? reason : "");
	sqlite3_bind_int64(s, 4, id);
	return step_changed(st, s, "use request", "the use request was decided already", err);
}

int es_store_usereq_list(es_store *st, const char *state, es_usereq_row **rows, size_t *n, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " UR_COLS " FROM use_requests WHERE (?1 IS NULL OR state = ?1)"
			       " ORDER BY id DESC", err)) < 0)
		return rc;
	st_bind_text(s, 1, state);
	COLLECT(st, s, rows, n, es_usereq_row, usereq_from, err);
	st_release(st, s);
	return rc;
}

static int usereq_move(es_store *st, int64_t id, const char *from, const char *to, const char *msg, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "UPDATE use_requests SET state = ? WHERE id = ? AND state = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, to);
	sqlite3_bind_int64(s, 2, id);
	st_bind_text(s, 3, from);
	return step_changed(st, s, "use request", msg, err);
}

int es_store_usereq_consume(es_store *st, int64_t id, es_err *err)
{
	return usereq_move(st, id, "approved", "used", "the use request is not approved or was used already", err);
}

int es_store_usereq_unconsume(es_store *st, int64_t id, es_err *err)
{
	return usereq_move(st, id, "used", "approved", "the use request is not in use", err);
}

int es_store_usereq_pending_approved(es_store *st, const char *seal_code, const char *login)
{
	sqlite3_stmt *s;
	int found = 0;

	if (st_prep(st, &s, "SELECT 1 FROM use_requests WHERE seal_code = ? AND login = ?"
			 " AND state = 'approved' LIMIT 1", NULL) < 0)
		return 0;
	st_bind_text(s, 1, seal_code);
	st_bind_text(s, 2, login);
	found = st_step(st, s) == SQLITE_ROW;
	st_release(st, s);
	return found;
}

void es_usereq_row_clear(es_usereq_row *r)
{
	if (r == NULL)
		return;
	free(r->seal_code);
	free(r->doc_sha256);
	free(r->login);
	free(r->reason);
	free(r->state);
	free(r->decider);
	free(r->decision_reason);
	memset(r, 0, sizeof(*r));
}

/* ---- login throttling ---- */

int es_store_throttle_get(es_store *st, const char *key, int *failures, time_t *locked_until,
			  time_t *last_failure, es_err *err)
{
	sqlite3_stmt *s;
	int rc, r;

	*failures = 0;
	*locked_until = 0;
	*last_failure = 0;
	if ((rc = st_prep(st, &s, "SELECT failures, locked_until, last_failure FROM login_throttle WHERE key = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, key);
	r = st_step(st, s);
	if (r == SQLITE_ROW) {
		*failures = sqlite3_column_int(s, 0);
		*locked_until = (time_t)sqlite3_column_int64(s, 1);
		*last_failure = (time_t)sqlite3_column_int64(s, 2);
	} else if (r != SQLITE_DONE) {
		rc = st_db_err(st, err, "throttle");
	}
	st_release(st, s);
	return rc;
}

int es_store_throttle_put(es_store *st, const char *key, int failures, time_t locked_until,
			  time_t last_failure, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "INSERT OR REPLACE INTO login_throttle(key, failures, locked_until, last_failure)"
			       " VALUES (?,?,?,?)", err)) < 0)
		return rc;
	st_bind_text(s, 1, key);
	sqlite3_bind_int(s, 2, failures);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)locked_until);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)last_failure);
	return st_step_done(st, s, "throttle", err);
}

int es_store_throttle_clear(es_store *st, const char *key, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "DELETE FROM login_throttle WHERE key = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, key);
	return st_step_done(st, s, "throttle", err);
}

/* ---- pending TOTP enrolment ---- */

int es_store_totp_pending_put(es_store *st, const char *login, const es_blob *secret_enc, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "INSERT OR REPLACE INTO totp_pending(login, secret_enc) VALUES (?,?)", err)) < 0)
		return rc;
	st_bind_text(s, 1, login);
	sqlite3_bind_blob(s, 2, secret_enc->data, (int)secret_enc->len, SQLITE_TRANSIENT);
	return st_step_done(st, s, "TOTP enrolment", err);
}

int es_store_totp_pending_get(es_store *st, const char *login, es_blob *secret_enc, es_err *err)
{
	sqlite3_stmt *s;
	int rc, r;

	secret_enc->data = NULL;
	secret_enc->len = 0;
	if ((rc = st_prep(st, &s, "SELECT secret_enc FROM totp_pending WHERE login = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, login);
	r = st_step(st, s);
	if (r == SQLITE_ROW) {
		int n = sqlite3_column_bytes(s, 0);
		const void *p = sqlite3_column_blob(s, 0);
		secret_enc->data = malloc((size_t)n + 1);
		if (secret_enc->data == NULL) {
			rc = es_err_set(err, ES_ENOMEM, "out of memory");
		} else {
			if (n > 0)
				memcpy(secret_enc->data, p, (size_t)n);
			secret_enc->len = (size_t)n;
		}
	} else if (r == SQLITE_DONE) {
		rc = es_err_set(err, ES_ENOTFOUND, "no TOTP enrolment is waiting; start with POST /api/v1/me/totp");
	} else {
		rc = st_db_err(st, err, "TOTP enrolment");
	}
	st_release(st, s);
	return rc;
}

int es_store_totp_pending_delete(es_store *st, const char *login, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "DELETE FROM totp_pending WHERE login = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, login);
	return st_step_done(st, s, "TOTP enrolment", err);
}

/* ---- audit anchors ---- */

#define ANCHOR_COLS "id, audit_id, head_hash, tst, created_at"
static int anchor_from(sqlite3_stmt *s, es_audit_anchor_row *r)
{
	int n = sqlite3_column_bytes(s, 3);
	const void *p = sqlite3_column_blob(s, 3);

	r->id = sqlite3_column_int64(s, 0);
	r->audit_id = sqlite3_column_int64(s, 1);
	r->head_hash = st_col_text(s, 2);
	r->created_at = (time_t)sqlite3_column_int64(s, 4);
	r->tst.data = malloc((size_t)n + 1);
	if (r->tst.data == NULL || r->head_hash == NULL)
		return -1;
	if (n > 0)
		memcpy(r->tst.data, p, (size_t)n);
	r->tst.len = (size_t)n;
	return 0;
}

int es_store_audit_anchor_insert(es_store *st, es_audit_anchor_row *r, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "INSERT INTO audit_anchors(audit_id, head_hash, tst, created_at)"
			       " VALUES (?,?,?,?)", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, r->audit_id);
	st_bind_text(s, 2, r->head_hash);
	sqlite3_bind_blob(s, 3, r->tst.data, (int)r->tst.len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)r->created_at);
	if ((rc = st_step_done(st, s, "audit anchor", err)) == 0)
		r->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

/* By rowid: one row read, whatever the size of the table.  Anchors are written
 * in audit order (two racing writers can only add an extra anchor). */
int es_store_audit_anchor_last(es_store *st, es_audit_anchor_row *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc, r;

	memset(out, 0, sizeof(*out));
	if ((rc = st_prep(st, &s, "SELECT " ANCHOR_COLS " FROM audit_anchors ORDER BY id DESC LIMIT 1",
			  err)) < 0)
		return rc;
	r = st_step(st, s);
	if (r == SQLITE_ROW) {
		if (anchor_from(s, out) < 0) {
			es_audit_anchor_row_clear(out);
			rc = es_err_set(err, ES_ENOMEM, "out of memory");
		}
	} else if (r == SQLITE_DONE) {
		rc = es_err_set(err, ES_ENOTFOUND, "the audit log has no anchor yet");
	} else {
		rc = st_db_err(st, err, "audit anchor");
	}
	st_release(st, s);
	return rc;
}

int es_store_audit_anchor_list(es_store *st, es_audit_anchor_row **rows, size_t *n, es_err *err)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, r;

	*rows = NULL;
	*n = 0;
	if ((rc = st_prep(st, &s, "SELECT " ANCHOR_COLS " FROM audit_anchors ORDER BY id", err)) < 0)
		return rc;
	while ((r = st_step(st, s)) == SQLITE_ROW) {
		if (*n == cap) {
			es_audit_anchor_row *g;
			cap = cap ? cap * 2 : 16;
			g = realloc(*rows, cap * sizeof(**rows));
			if (g == NULL) {
				rc = es_err_set(err, ES_ENOMEM, "out of memory");
				break;
			}
			*rows = g;
		}
		memset(&(*rows)[*n], 0, sizeof(**rows));
		if (anchor_from(s, &(*rows)[(*n)++]) < 0) {
			rc = es_err_set(err, ES_ENOMEM, "out of memory");
			break;
		}
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = st_db_err(st, err, "audit anchors");
	st_release(st, s);
	if (rc < 0) {
		ES_ROWS_FREE(*rows, *n, es_audit_anchor_row_clear);
		*rows = NULL;
		*n = 0;
	}
	return rc;
}

int es_store_audit_hash_get(es_store *st, int64_t id, char out[65], es_err *err)
{
	sqlite3_stmt *s;
	int rc, r;

	out[0] = '\0';
	if ((rc = st_prep(st, &s, "SELECT hash FROM audit WHERE id = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	r = st_step(st, s);
	if (r == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		snprintf(out, 65, "%s", (const char *)sqlite3_column_text(s, 0));
	else if (r == SQLITE_ROW || r == SQLITE_DONE)
		rc = es_err_set(err, ES_ENOTFOUND, "audit entry %lld not found", (long long)id);
	else
		rc = st_db_err(st, err, "audit entry");
	st_release(st, s);
	return rc;
}

void es_audit_anchor_row_clear(es_audit_anchor_row *r)
{
	if (r == NULL)
		return;
	free(r->head_hash);
	free(r->tst.data);
	memset(r, 0, sizeof(*r));
}
