/* The store's logs: CRL entries and the hash-chained audit log (SQLite).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <openssl/evp.h>
#include "eseal/store.h"
#include "store_int.h"
#include "util/util.h"

/* ---- revocations ---- */

/* Bumped by every change of the revocations table, so that callers can
 * cache what they derive from it (CRLs) and notice changes by other processes. */
#define ES_REVOCATION_GENERATION "revocations"

int es_store_revocation_generation(es_store *st, int64_t *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc, r;

	*out = 0;
	if ((rc = st_prep(st, &s, "SELECT value FROM counters WHERE name = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, ES_REVOCATION_GENERATION);
	r = st_step(st, s);
	if (r == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else if (r != SQLITE_DONE)
		rc = st_db_err(st, err, "revocation generation");
	st_release(st, s);
	return rc;
}

int es_store_revocation_add(es_store *st, const char *family, const char *serial_hex,
			    time_t when, int reason, es_err *err)
{
	sqlite3_stmt *s;
	int64_t gen;
	int rc;

	st_trust_change_begin(st);
	if ((rc = st_prep(st, &s, "INSERT OR IGNORE INTO revocations(family, serial, revoked_at, reason)"
			       " VALUES (?,?,?,?)", err)) == 0) {
		st_bind_text(s, 1, family);
		st_bind_text(s, 2, serial_hex);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)when);
		sqlite3_bind_int(s, 4, reason);
		if ((rc = st_step_done(st, s, "revocation", err)) == 0)
			rc = es_store_next_serial(st, ES_REVOCATION_GENERATION, &gen, err);
	}
	if (!st->in_tx)
		st_trust_change_end(st);  /* committed (or not) already */
	return rc;
}

int es_store_revocation_remove(es_store *st, const char *family, const char *serial_hex, es_err *err)
{
	sqlite3_stmt *s;
	int64_t gen;
	int rc;

	st_trust_change_begin(st);
	if ((rc = st_prep(st, &s, "DELETE FROM revocations WHERE family = ? AND serial = ?", err)) == 0) {
		st_bind_text(s, 1, family);
		st_bind_text(s, 2, serial_hex);
		if ((rc = st_step_done(st, s, "revocation", err)) == 0)
			rc = es_store_next_serial(st, ES_REVOCATION_GENERATION, &gen, err);
	}
	if (!st->in_tx)
		st_trust_change_end(st);
	return rc;
}

static void rev_from(sqlite3_stmt *s, es_revocation_row *r)
{
	r->family = st_col_text(s, 0);
	r->serial_hex = st_col_text(s, 1);
	r->when = (time_t)sqlite3_column_int64(s, 2);
	r->reason = sqlite3_column_int(s, 3);
}

int es_store_revocation_list(es_store *st, const char *family,
			     es_revocation_row **rows, size_t *n, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT family, serial, revoked_at, reason FROM revocations"
			       " WHERE family = ? ORDER BY revoked_at", err)) < 0)
		return rc;
	st_bind_text(s, 1, family);
	COLLECT(st, s, rows, n, es_revocation_row, rev_from, err);
	st_release(st, s);
	return rc;
}

void es_revocation_row_clear(es_revocation_row *r)
{
	if (r == NULL)
		return;
	free(r->family);
	free(r->serial_hex);
	memset(r, 0, sizeof(*r));
}

/* ---- audit ---- */

int es_audit_entry_hash(char out_hex[65], const es_audit_row *a, es_err *err)
{
	es_buf b = {0};
	unsigned char md[32];
	unsigned int mdlen = 0;
	int rc;

	/* Length-prefixed fields: no separator ambiguity. */
	rc = es_buf_printf(&b, err, "eseal-audit-v1|%lld|%lld|%zu:%s|%zu:%s|%zu:%s|%zu:%s|%zu:%s|%zu:%s|%s",
		(long long)a->id, (long long)a->ts,
		strlen(a->actor), a->actor, strlen(a->action), a->action,
		strlen(a->object), a->object, strlen(a->details), a->details,
		strlen(a->client), a->client, strlen(a->outcome), a->outcome, a->prev_hash);
	if (rc == 0 && EVP_Digest(b.data, b.len, md, &mdlen, EVP_sha256(), NULL) != 1)
		rc = es_err_set(err, ES_ECRYPTO, "audit hash failed");
	if (rc == 0)
		es_hex_encode(out_hex, md, sizeof(md));
	es_buf_free(&b, 0);
	return rc;
}

#define AUDIT_COLS "id, ts, actor, action, object, details, client, outcome, prev_hash, hash"
static void audit_from(sqlite3_stmt *s, es_audit_row *a)
{
	a->id = sqlite3_column_int64(s, 0);
	a->ts = (time_t)sqlite3_column_int64(s, 1);
	a->actor = st_col_text(s, 2);
	a->action = st_col_text(s, 3);
	a->object = st_col_text(s, 4);
	a->details = st_col_text(s, 5);
	a->client = st_col_text(s, 6);
	a->outcome = st_col_text(s, 7);
	a->prev_hash = st_col_text(s, 8);
	a->hash = st_col_text(s, 9);
}

int es_store_audit_append(es_store *st, es_audit_row *a, es_err *err)
{
	sqlite3_stmt *s = NULL;
	char prev[65] = "", hash[65];
	int own_tx = !st->in_tx, rc;

	if (own_tx && (rc = es_store_begin(st, err)) < 0)
		return rc;
	if ((rc = st_prep(st, &s, "SELECT COALESCE(MAX(id), 0), (SELECT hash FROM audit ORDER BY id DESC LIMIT 1) FROM audit", err)) < 0)
		goto out;
	if (st_step(st, s) != SQLITE_ROW) {
		rc = st_db_err(st, err, "audit head");
		goto out;
	}
	a->id = sqlite3_column_int64(s, 0) + 1;
	snprintf(prev, sizeof(prev), "%s", sqlite3_column_text(s, 1) ? (const char *)sqlite3_column_text(s, 1)
		 : "0000000000000000000000000000000000000000000000000000000000000000");
	st_release(st, s);
	s = NULL;
	a->prev_hash = prev;
	if ((rc = es_audit_entry_hash(hash, a, err)) < 0)
		goto out;
	if ((rc = st_prep(st, &s, "INSERT INTO audit(" AUDIT_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?)", err)) < 0)
		goto out;
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)a->ts);
	st_bind_text(s, 3, a->actor);
	st_bind_text(s, 4, a->action);
	st_bind_text(s, 5, a->object);
	st_bind_text(s, 6, a->details);
	st_bind_text(s, 7, a->client);
	st_bind_text(s, 8, a->outcome);
	st_bind_text(s, 9, prev);
	st_bind_text(s, 10, hash);
	rc = st_step_done(st, s, "audit entry", err);
	s = NULL;
out:
	st_release(st, s);
	a->prev_hash = NULL;
	if (own_tx) {
		if (rc == 0)
			rc = es_store_commit(st, err);
		else
			es_store_rollback(st);
	}
	return rc;
}

int es_store_audit_list(es_store *st, es_audit_row **rows, size_t *n, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " AUDIT_COLS " FROM audit ORDER BY rowid", err)) < 0)
		return rc;
	COLLECT(st, s, rows, n, es_audit_row, audit_from, err);
	st_release(st, s);
	return rc;
}

void es_audit_row_clear(es_audit_row *a)
{
	if (a == NULL)
		return;
	free(a->actor);
	free(a->action);
	free(a->object);
	free(a->details);
	free(a->client);
	free(a->outcome);
	free(a->prev_hash);
	free(a->hash);
	memset(a, 0, sizeof(*a));
}
