/* Platform operations of the server: sessions, tokens, throttling, TOTP
 * enrolment, grants, documents, use requests and signing.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "eseal/auth.h"
#include "eseal/ofd.h"
#include "eseal/pdf.h"
#include "eseal/server_ops.h"
#include "audit_anchor.h"
#include "core.h"
#include "util/util.h"

#define ES_THROTTLE_MAX_LOCK_S 3600
#define ES_THROTTLE_FORGET_S (15 * 60)
#define ES_DOC_MAX_SIZED_PAGES 2000
#define ES_PDF_MAGIC_WINDOW 1024
#define ES_REASON_MAX 500

const char *es_platform_dir(es_platform *p)
{
	return p->dir;
}

static const char *srv_client(const char *client)
{
	return client && *client ? client : "server";
}

int es_srv_audit(es_platform *p, const char *actor, const char *action, const char *object,
		 const char *details, const char *outcome, const char *client, es_err *err)
{
	return es_core_audit(p, actor, action, object, details, outcome, srv_client(client), err);
}

static int random_hex(char out[ES_SECRET_HEX_LEN], es_err *err)
{
	unsigned char r[ES_SECRET_BYTES];
	int rc;

	if ((rc = es_random(r, sizeof(r), err)) < 0)
		return rc;
	es_hex_encode(out, r, sizeof(r));
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

/* ---- sessions ---- */

int es_session_open(es_platform *p, const char *login, const char *client,
		    char sid[ES_SECRET_HEX_LEN], char csrf[ES_SECRET_HEX_LEN], es_err *err)
{
	es_session_row r = {0};
	char hash[65];
	time_t now = time(NULL);
	int rc;

	if ((rc = random_hex(sid, err)) < 0 || (rc = random_hex(csrf, err)) < 0 ||
	    (rc = es_sha256_hex(hash, sid, strlen(sid), err)) < 0)
		goto out;
	/* Old sessions of everyone go when they are past their limits. */
	(void)es_store_session_purge(p->st, now - ES_SESSION_IDLE_S, now - ES_SESSION_MAX_S, NULL);
	r.id_hash = hash;
	r.login = (char *)login;
	r.csrf = csrf;
	r.client = (char *)client;
	r.created_at = now;
	r.last_seen = now;
	if ((rc = es_store_session_insert(p->st, &r, err)) < 0)
		goto out;
	rc = es_srv_audit(p, login, "session.open", login, NULL, "ok", client, err);
out:
	if (rc < 0) {
		OPENSSL_cleanse(sid, ES_SECRET_HEX_LEN);
		OPENSSL_cleanse(csrf, ES_SECRET_HEX_LEN);
	}
	return rc;
}

int es_session_check(es_platform *p, const char *sid, time_t now, char login[ES_LOGIN_MAX],
		     char csrf[ES_SECRET_HEX_LEN], es_err *err)
{
	es_session_row r = {0};
	char hash[65];
	int rc;

	if (sid == NULL || strlen(sid) != ES_SECRET_HEX_LEN - 1)
		return es_err_set(err, ES_EAUTH, "not logged in; POST /api/v1/session first");
	if ((rc = es_sha256_hex(hash, sid, strlen(sid), err)) < 0)
		return rc;
	if (es_store_session_get(p->st, hash, &r, NULL) < 0)
		return es_err_set(err, ES_EAUTH, "session expired or unknown; log in again");
	if (r.last_seen < now - ES_SESSION_IDLE_S || r.created_at < now - ES_SESSION_MAX_S) {
		(void)es_store_session_delete(p->st, hash, NULL);
		rc = es_err_set(err, ES_EAUTH, "session expired; log in again");
		goto out;
	}
	snprintf(login, ES_LOGIN_MAX, "%s", r.login);
	snprintf(csrf, ES_SECRET_HEX_LEN, "%s", r.csrf);
	(void)es_store_session_touch(p->st, hash, now, NULL);
out:
	es_session_row_clear(&r);
	return rc;
}

int es_session_close(es_platform *p, const char *sid, es_err *err)
{
	char hash[65];
	int rc;

	if ((rc = es_sha256_hex(hash, sid, strlen(sid), err)) < 0)
		return rc;
	return es_store_session_delete(p->st, hash, err);
}

/* ---- passwords ---- */

int es_user_set_password(es_platform *p, const char *login, const char *password, const char *keep_sid,
			 const char *actor, const char *client, es_err *err)
{
	char hash[ES_PASSWORD_HASH_LEN], keep[65] = "";
	es_user_row u = {0};
	int rc;

	if ((rc = es_password_policy_check(password, err)) < 0)
		return rc;
	if ((rc = es_store_user_get(p->st, login ? login : "", &u, err)) < 0)
		return rc;
	if (keep_sid != NULL && (rc = es_sha256_hex(keep, keep_sid, strlen(keep_sid), err)) < 0)
		goto out;
	if ((rc = es_password_hash(hash, password, err)) < 0)
		goto out;
	if ((rc = es_store_begin(p->st, err)) < 0)
		goto out;
	/* a new password also ends every other session and any lock-out */
	if ((rc = es_store_user_set_password_hash(p->st, u.login, hash, err)) < 0 ||
	    (rc = es_store_user_set_login_state(p->st, u.login, 0, 0, err)) < 0 ||
	    (rc = es_store_session_delete_login(p->st, u.login, keep_sid ? keep : NULL, err)) < 0 ||
	    (rc = es_srv_audit(p, actor ? actor : u.login, "user.password", u.login, NULL, "ok", client, err)) < 0) {
		es_store_rollback(p->st);
		goto out;
	}
	rc = es_store_commit(p->st, err);
out:
	OPENSSL_cleanse(hash, sizeof(hash));
	es_user_row_clear(&u);
	return rc;
}

/* ---- API tokens ---- */

int es_token_create(es_platform *p, const char *login, const char *name, const char *client,
		    char token[ES_TOKEN_LEN], int64_t *id, es_err *err)
{
	char hex[ES_SECRET_HEX_LEN], hash[65], obj[32];
	es_token_row r = {0};
	int rc;

	if ((rc = random_hex(hex, err)) < 0)
		return rc;
	snprintf(token, ES_TOKEN_LEN, "%s%s", ES_TOKEN_PREFIX, hex);
	OPENSSL_cleanse(hex, sizeof(hex));
	if ((rc = es_sha256_hex(hash, token, strlen(token), err)) < 0)
		goto out;
	r.login = (char *)login;
	r.name = (char *)(name ? name : "");
	r.hash = hash;
	r.created_at = time(NULL);
	if ((rc = es_store_begin(p->st, err)) < 0)
		goto out;
	if ((rc = es_store_token_insert(p->st, &r, err)) == 0) {
		snprintf(obj, sizeof(obj), "token:%lld", (long long)r.id);
		rc = es_srv_audit(p, login, "token.create", obj, NULL, "ok", client, err);
	}
	if (rc == 0)
		rc = es_store_commit(p->st, err);
	else
		es_store_rollback(p->st);
	*id = r.id;
out:
	if (rc < 0)
		OPENSSL_cleanse(token, ES_TOKEN_LEN);
	return rc;
}

int es_token_check(es_platform *p, const char *token, char login[ES_LOGIN_MAX], int64_t *id, es_err *err)
{
	es_token_row r = {0};
	char hash[65];
	int rc;

	if (token == NULL || strncmp(token, ES_TOKEN_PREFIX, strlen(ES_TOKEN_PREFIX)) != 0 ||
	    strlen(token) != ES_TOKEN_LEN - 1)
		return es_err_set(err, ES_EAUTH, "unknown API token");
	if ((rc = es_sha256_hex(hash, token, strlen(token), err)) < 0)
		return rc;
	if (es_store_token_by_hash(p->st, hash, &r, NULL) < 0)
		return es_err_set(err, ES_EAUTH, "unknown API token");
	/* The look-up was by hash; compare again in constant time anyway. */
	if (r.revoked || strlen(r.hash) != 64 || CRYPTO_memcmp(r.hash, hash, 64) != 0) {
		rc = es_err_set(err, ES_EAUTH, "API token revoked or unknown");
		goto out;
	}
	snprintf(login, ES_LOGIN_MAX, "%s", r.login);
	*id = r.id;
out:
	es_token_row_clear(&r);
	return rc;
}

int es_token_revoke(es_platform *p, int64_t id, const char *actor, int is_admin, const char *client,
		    es_err *err)
{
	es_token_row r = {0};
	char obj[32];
	int rc;

	if ((rc = es_store_token_get(p->st, id, &r, err)) < 0)
		return rc;
	if (!is_admin && strcmp(r.login, actor) != 0) {
		rc = es_err_set(err, ES_ENOTFOUND, "API token not found");
		goto out;
	}
	if ((rc = es_store_token_revoke(p->st, id, err)) < 0)
		goto out;
	snprintf(obj, sizeof(obj), "token:%lld", (long long)id);
	rc = es_srv_audit(p, actor, "token.revoke", obj, NULL, "ok", client, err);
out:
	es_token_row_clear(&r);
	return rc;
}

/* ---- throttling ---- */

int es_throttle_check(es_platform *p, const char *key, time_t now, long *retry_after_s, es_err *err)
{
	int failures = 0;
	time_t until = 0, last = 0;

	*retry_after_s = 0;
	if (es_store_throttle_get(p->st, key, &failures, &until, &last, NULL) < 0)
		return 0;
	if (until > now) {
		*retry_after_s = (long)(until - now);
		return es_err_set(err, ES_EBUSY, "too many failed logins; try again in %ld s", *retry_after_s);
	}
	return 0;
}

void es_throttle_fail(es_platform *p, const char *key, int threshold, time_t now)
{
	int failures = 0;
	time_t until = 0, last = 0;

	if (es_store_throttle_get(p->st, key, &failures, &until, &last, NULL) < 0)
		return;
	if (last != 0 && now - last > ES_THROTTLE_FORGET_S && until <= now)
		failures = 0;
	failures++;
	if (failures >= threshold) {
		int shift = failures - threshold;
		long s = 2L << (shift < 11 ? shift : 11);
		until = now + (s > ES_THROTTLE_MAX_LOCK_S ? ES_THROTTLE_MAX_LOCK_S : s);
	}
	(void)es_store_throttle_put(p->st, key, failures, until, now, NULL);
}

void es_throttle_reset(es_platform *p, const char *key)
{
	(void)es_store_throttle_clear(p->st, key, NULL);
}

/* ---- TOTP enrolment ---- */

static int totp_aad(char *aad, size_t cap, const char *login, const char *what)
{
	int n = snprintf(aad, cap, "user:%s:%s", login, what);
	return n < 0 || (size_t)n >= cap ? ES_ERANGE : 0;
}

int es_totp_enrol_begin(es_platform *p, const char *login, char secret[ES_TOTP_SECRET_B32_LEN],
			char *uri, size_t uri_cap, es_err *err)
{
	es_blob enc = {0};
	char aad[128];
	int rc;

	if (totp_aad(aad, sizeof(aad), login, "totp-pending") < 0)
		return es_err_set(err, ES_ERANGE, "login too long");
	if ((rc = es_totp_secret_new(secret, err)) < 0 ||
	    (rc = es_totp_uri(uri, uri_cap, login, secret, err)) < 0 ||
	    (rc = es_secret_seal(&enc.data, &enc.len, (const unsigned char *)secret, strlen(secret),
				 p->kek, aad, err)) < 0 ||
	    (rc = es_store_totp_pending_put(p->st, login, &enc, err)) < 0)
		OPENSSL_cleanse(secret, ES_TOTP_SECRET_B32_LEN);
	free(enc.data);
	return rc;
}

int es_totp_enrol_confirm(es_platform *p, const char *login, const char *code, const char *client,
			  es_err *err)
{
	es_blob enc = {0}, fin = {0};
	unsigned char *plain = NULL;
	size_t n = 0;
	char aad[128], secret[ES_TOTP_SECRET_B32_LEN] = "";
	uint64_t step = 0;
	int rc;

	if (totp_aad(aad, sizeof(aad), login, "totp-pending") < 0)
		return es_err_set(err, ES_ERANGE, "login too long");
	if ((rc = es_store_totp_pending_get(p->st, login, &enc, err)) < 0)
		return rc;
	if ((rc = es_secret_open(&plain, &n, enc.data, enc.len, p->kek, aad, err)) < 0)
		goto out;
	snprintf(secret, sizeof(secret), "%.*s", (int)n, (const char *)plain);
	if ((rc = es_totp_verify_step(secret, code ? code : "", time(NULL), 0, &step, NULL)) < 0) {
		rc = es_err_set(err, ES_EAUTH, "wrong TOTP code; check the authenticator's clock and try again");
		goto out;
	}
	/* Same sealing as people.c reads: AAD user:LOGIN:totp. */
	totp_aad(aad, sizeof(aad), login, "totp");
	if ((rc = es_secret_seal(&fin.data, &fin.len, (const unsigned char *)secret, strlen(secret),
				 p->kek, aad, err)) < 0)
		goto out;
	if ((rc = es_store_begin(p->st, err)) < 0)
		goto out;
	if ((rc = es_store_user_set_totp(p->st, login, &fin, err)) < 0 ||
	    (rc = es_store_user_totp_spend(p->st, login, step, err)) < 0 ||
	    (rc = es_store_totp_pending_delete(p->st, login, err)) < 0 ||
	    (rc = es_srv_audit(p, login, "user.totp.enrol", login, NULL, "ok", client, err)) < 0) {
		es_store_rollback(p->st);
		goto out;
	}
	rc = es_store_commit(p->st, err);
out:
	if (plain != NULL) {
		OPENSSL_cleanse(plain, n);
		free(plain);
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	free(enc.data);
	free(fin.data);
	return rc;
}

/* ---- grants ---- */

int es_grant_add(es_platform *p, const es_grant_new *g, const char *actor, int actor_can_auto_sign,
		 const char *client, int64_t *id, es_err *err)
{
	es_grant_row row = {0};
	es_seal_row s = {0};
	es_user_row u = {0};
	char obj[48], details[256];
	int rc;

	if (g->auto_sign && !actor_can_auto_sign)
		return es_err_set(err, ES_EPERM, "only an org admin of the seal's organisation may grant auto-sign");
	if (g->max_uses < 0)
		return es_err_set(err, ES_EINVAL, "max_uses must be 0 (unlimited) or more");
	if (g->not_after != 0 && g->not_after <= time(NULL))
		return es_err_set(err, ES_EINVAL, "not_after is in the past");
	if ((rc = es_store_seal_get(p->st, g->seal_code, &s, err)) < 0)
		return rc;
	if ((rc = es_store_user_get(p->st, g->login ? g->login : "", &u, err)) < 0)
		goto out;
	if (strcmp(s.owner_kind, "org") == 0 && u.org_id != s.owner_org_id) {
		rc = es_err_set(err, ES_EINVAL, "user %s is not in the organisation that owns seal %s",
				u.login, s.code);
		goto out;
	}
	if ((rc = es_seal_usable(&s, time(NULL), err)) < 0)
		goto out;
	row.seal_code = s.code;
	row.login = u.login;
	row.granted_by = (char *)actor;
	row.not_after = g->not_after;
	row.max_uses = g->max_uses;
	row.needs_approval = g->needs_approval != 0;
	row.auto_sign = g->auto_sign != 0;
	row.created_at = time(NULL);
	snprintf(details, sizeof(details),
		 "{\"login\":\"%s\",\"not_after\":%lld,\"max_uses\":%lld,\"needs_approval\":%s,\"auto_sign\":%s}",
		 u.login, (long long)row.not_after, (long long)row.max_uses,
		 row.needs_approval ? "true" : "false", row.auto_sign ? "true" : "false");
	if ((rc = es_store_begin(p->st, err)) < 0)
		goto out;
	if ((rc = es_store_grant_insert(p->st, &row, err)) == 0) {
		snprintf(obj, sizeof(obj), "seal:%s", s.code);
		rc = es_srv_audit(p, actor, row.auto_sign ? "grant.add.auto-sign" : "grant.add", obj, details,
				  "ok", client, err);
	}
	if (rc == 0)
		rc = es_store_commit(p->st, err);
	else
		es_store_rollback(p->st);
	if (rc == 0)
		*id = row.id;
out:
	es_seal_row_clear(&s);
	es_user_row_clear(&u);
	return rc;
}

int es_grant_remove(es_platform *p, int64_t id, const char *actor, const char *client, es_err *err)
{
	char obj[32];
	int rc;

	if ((rc = es_store_begin(p->st, err)) < 0)
		return rc;
	snprintf(obj, sizeof(obj), "grant:%lld", (long long)id);
	if ((rc = es_store_grant_revoke(p->st, id, err)) < 0 ||
	    (rc = es_srv_audit(p, actor, "grant.revoke", obj, NULL, "ok", client, err)) < 0) {
		es_store_rollback(p->st);
		return rc;
	}
	return es_store_commit(p->st, err);
}

/* ---- documents ---- */

static int doc_dir(es_platform *p, char *buf, size_t cap, es_err *err)
{
	int n = snprintf(buf, cap, "%s/%s", p->dir, ES_DOC_DIR);
	int rc;

	if (n < 0 || (size_t)n >= cap)
		return es_err_set(err, ES_ERANGE, "data directory path too long");
	if (p->doc_dir_ready)
		return 0;
	if ((rc = es_mkdir_p(buf, 0700, err)) == 0)
		p->doc_dir_ready = 1;
	return rc;
}

/* A rename into <data>/documents is durable once the directory is synced. */
static int doc_dir_sync(es_platform *p, es_err *err)
{
	char dir[PATH_MAX];
	int fd, rc;

	if ((rc = doc_dir(p, dir, sizeof(dir), err)) < 0)
		return rc;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		rc = es_err_set(err, ES_EIO, "cannot store document: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

int es_document_path(es_platform *p, int64_t id, char *buf, size_t cap, es_err *err)
{
	int n = snprintf(buf, cap, "%s/%s/%lld", p->dir, ES_DOC_DIR, (long long)id);

	if (n < 0 || (size_t)n >= cap)
		return es_err_set(err, ES_ERANGE, "data directory path too long");
	return 0;
}

static int is_pdf_bytes(const unsigned char *d, size_t n)
{
	size_t w = n < ES_PDF_MAGIC_WINDOW ? n : ES_PDF_MAGIC_WINDOW;

	return w >= 5 && memmem(d, w, "%PDF-", 5) != NULL;
}

/* Page count and sizes as a JSON array [[w,h],...]. */
static int doc_analyse(const char *path, int is_pdf, int *pages, char **sizes, es_err *err)
{
	es_buf b = {0};
	int i, rc;

	*sizes = NULL;
	rc = is_pdf ? es_pdf_page_count(pages, path, err) : es_ofd_page_count(pages, path, err);
	if (rc < 0)
		return rc;
	if (*pages <= 0)
		return es_err_set(err, ES_EFORMAT, "the document has no pages");
	rc = es_buf_puts(&b, "[", err);
	for (i = 1; rc == 0 && i <= *pages && i <= ES_DOC_MAX_SIZED_PAGES; i++) {
		double w = 0, h = 0;
		rc = is_pdf ? es_pdf_page_size_mm(&w, &h, path, i, err) : es_ofd_page_size_mm(&w, &h, path, i, err);
		if (rc == 0)
			rc = es_buf_printf(&b, err, "%s[%.1f,%.1f]", i > 1 ? "," : "", w, h);
	}
	if (rc == 0)
		rc = es_buf_append(&b, "]", 2, err);
	if (rc < 0) {
		es_buf_free(&b, 0);
		return rc;
	}
	*sizes = (char *)b.data;
	return 0;
}

/* Inside the caller's transaction: the document row (row->id reserved, its
 * file in place) and its "document.add" entry (*audit_id). */
static int doc_insert(es_platform *p, es_doc_row *row, const char *client, int64_t *audit_id, es_err *err)
{
	char obj[32], details[160];
	int rc;

	if ((rc = es_store_doc_insert(p->st, row, err)) < 0)
		return rc;
	snprintf(obj, sizeof(obj), "document:%lld", (long long)row->id);
	snprintf(details, sizeof(details), "{\"sha256\":\"%s\",\"parent\":%lld}", row->sha256,
		 (long long)row->parent_id);
	return es_core_audit_append(p, row->owner_login, "document.add", obj, details, "ok", srv_client(client),
				    audit_id, err);
}

/* Move the durable file at tmp to a newly reserved id, make that name
 * durable, then insert its row.  The file system work happens before the
 * transaction (SQLite admits one writer at a time), and a committed row
 * never names a file a crash could lose.  On failure the file is back at
 * tmp.  The audit head is anchored after the commit, outside the write
 * lock; a failed anchor is tried again after the next entry (it stays due). */
static int doc_publish(es_platform *p, es_doc_row *row, const char *tmp, const char *client, es_err *err)
{
	char path[PATH_MAX];
	int64_t head = 0;
	int rc;

	if ((rc = es_store_doc_reserve_id(p->st, &row->id, err)) < 0 ||
	    (rc = es_document_path(p, row->id, path, sizeof(path), err)) < 0)
		return rc;
	if (rename(tmp, path) != 0)
		return es_err_set(err, ES_EIO, "cannot store document: %s", strerror(errno));
	if ((rc = doc_dir_sync(p, err)) < 0 || (rc = es_store_begin(p->st, err)) < 0)
		goto undo;
	if ((rc = doc_insert(p, row, client, &head, err)) < 0 || (rc = es_store_commit(p->st, err)) < 0) {
		es_store_rollback(p->st);
		goto undo;
	}
	(void)es_audit_anchor_after_append(p, head, NULL);
	return 0;
undo:
	(void)rename(path, tmp);
	return rc;
}

static int write_tmp(es_platform *p, char *tmp, size_t cap, const unsigned char *data, size_t len, es_err *err)
{
	char dir[PATH_MAX];
	int fd, rc;
	size_t off = 0;

	if ((rc = doc_dir(p, dir, sizeof(dir), err)) < 0)
		return rc;
	if (snprintf(tmp, cap, "%s/.upload-XXXXXX", dir) >= (int)cap)
		return es_err_set(err, ES_ERANGE, "data directory path too long");
	fd = mkstemp(tmp);
	if (fd < 0)
		return es_err_set(err, ES_EIO, "cannot create a temporary file: %s", strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return es_err_set(err, ES_EIO, "cannot write document: %s", strerror(errno));
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		unlink(tmp);
		return es_err_set(err, ES_EIO, "cannot write document: %s", strerror(errno));
	}
	return 0;
}

static int doc_register(es_platform *p, const char *owner, const char *filename, const char *tmp,
			int64_t parent_id, const char *client, int64_t *id, es_err *err)
{
	struct stat sb;
	es_doc_row row = {0};
	es_user_row u = {0};
	char sha[65];
	char *sizes = NULL;
	unsigned char head[ES_PDF_MAGIC_WINDOW];
	size_t hn = 0;
	FILE *f;
	int is_pdf, pages = 0, rc;

	f = fopen(tmp, "rb");
	if (f != NULL) {
		hn = fread(head, 1, sizeof(head), f);
		fclose(f);
	}
	is_pdf = is_pdf_bytes(head, hn);
	if (!is_pdf && !es_ofd_is_ofd(tmp))
		return es_err_set(err, ES_EFORMAT, "the document is neither a PDF nor an OFD");
	if (stat(tmp, &sb) != 0)
		return es_err_set(err, ES_EIO, "cannot read the stored document: %s", strerror(errno));
	if ((rc = es_store_user_get(p->st, owner, &u, err)) < 0)
		return rc;
	if ((rc = es_file_sha256(sha, tmp, err)) < 0 ||
	    (rc = doc_analyse(tmp, is_pdf, &pages, &sizes, err)) < 0)
		goto out;
	row.owner_login = (char *)owner;
	row.org_id = u.org_id;
	row.filename = (char *)(filename ? filename : "");
	row.format = (char *)(is_pdf ? "pdf" : "ofd");
	row.sha256 = sha;
	row.pages = pages;
	row.page_sizes = sizes;
	row.size = (int64_t)sb.st_size;
	row.parent_id = parent_id;
	row.created_at = time(NULL);
	if ((rc = doc_publish(p, &row, tmp, client, err)) == 0)
		*id = row.id;
out:
	free(sizes);
	es_user_row_clear(&u);
	return rc;
}

int es_document_add(es_platform *p, const char *owner, const char *filename, const unsigned char *data,
		    size_t len, int64_t parent_id, const char *client, int64_t *id, es_err *err)
{
	char tmp[PATH_MAX];
	int rc;

	if (len == 0)
		return es_err_set(err, ES_EINVAL, "the document is empty");
	if ((rc = write_tmp(p, tmp, sizeof(tmp), data, len, err)) < 0)
		return rc;
	rc = doc_register(p, owner, filename, tmp, parent_id, client, id, err);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* ---- use requests ---- */

int es_use_request_add(es_platform *p, const char *seal_code, int64_t document_id, const char *login,
		       const char *reason, const char *client, int64_t *id, es_err *err)
{
	es_usereq_row r = {0};
	es_doc_row d = {0};
	es_seal_row s = {0};
	char obj[48], details[200];
	int rc;

	if (reason == NULL || *reason == '\0' || strlen(reason) > ES_REASON_MAX)
		return es_err_set(err, ES_EINVAL, "a reason (at most %d bytes) is required", ES_REASON_MAX);
	if ((rc = es_store_seal_get(p->st, seal_code, &s, err)) < 0)
		return rc;
	if ((rc = es_store_doc_get(p->st, document_id, &d, err)) < 0)
		goto out;
	r.seal_code = s.code;
	r.document_id = d.id;
	r.doc_sha256 = d.sha256;
	r.login = (char *)login;
	r.reason = (char *)reason;
	r.created_at = time(NULL);
	if ((rc = es_store_begin(p->st, err)) < 0)
		goto out;
	if ((rc = es_store_usereq_insert(p->st, &r, err)) == 0) {
		snprintf(obj, sizeof(obj), "seal:%s", s.code);
		snprintf(details, sizeof(details), "{\"use_request\":%lld,\"document\":%lld,\"sha256\":\"%s\"}",
			 (long long)r.id, (long long)d.id, d.sha256);
		rc = es_srv_audit(p, login, "use-request.add", obj, details, "ok", client, err);
	}
	if (rc == 0)
		rc = es_store_commit(p->st, err);
	else
		es_store_rollback(p->st);
	if (rc == 0)
		*id = r.id;
out:
	es_doc_row_clear(&d);
	es_seal_row_clear(&s);
	return rc;
}

int es_use_request_decide(es_platform *p, int64_t id, int approve, const char *reason,
			  const char *actor, const char *client, es_err *err)
{
	es_usereq_row r = {0};
	char obj[48], details[80];
	int rc;

	if ((rc = es_store_usereq_get(p->st, id, &r, err)) < 0)
		return rc;
	if (strcmp(r.login, actor) == 0) {
		rc = es_err_set(err, ES_EPERM, "you cannot decide your own use request; ask another approver");
		goto out;
	}
	if ((rc = es_store_begin(p->st, err)) < 0)
		goto out;
	snprintf(obj, sizeof(obj), "seal:%s", r.seal_code);
	snprintf(details, sizeof(details), "{\"use_request\":%lld,\"approve\":%s}", (long long)id,
		 approve ? "true" : "false");
	if ((rc = es_store_usereq_decide(p->st, id, approve ? "approved" : "rejected", actor, reason, err)) < 0 ||
	    (rc = es_srv_audit(p, actor, "use-request.decide", obj, details, "ok", client, err)) < 0) {
		es_store_rollback(p->st);
		goto out;
	}
	rc = es_store_commit(p->st, err);
out:
	es_usereq_row_clear(&r);
	return rc;
}

/* ---- signing ---- */

/* A usable auto-sign grant of login on seal: *out filled, or ES_EPERM. */
static int auto_sign_grant(es_platform *p, const char *code, const char *login, es_grant_row *out, es_err *err)
{
	es_grant_row *rows = NULL;
	size_t n = 0, i;
	time_t now = time(NULL);
	int rc;

	if ((rc = es_store_grant_list(p->st, code, login, &rows, &n, err)) < 0)
		return rc;
	rc = es_err_set(err, ES_EPERM, "no auto-sign grant for seal %s; sign with your password", code);
	for (i = 0; i < n; i++) {
		es_grant_row *g = &rows[i];
		if (g->auto_sign && !g->revoked && (g->not_after == 0 || g->not_after > now) &&
		    (g->max_uses == 0 || g->uses < g->max_uses)) {
			*out = *g;
			memset(g, 0, sizeof(*g));
			rc = 0;
			break;
		}
	}
	ES_ROWS_FREE(rows, n, es_grant_row_clear);
	if (rc == 0)
		es_err_clear(err);
	return rc;
}

/* What es_srv_sign found out before signing. */
typedef struct sign_job {
	es_doc_row d;              /* the document to sign */
	es_seal_row s;             /* the seal, as stored at the start of the request */
	int64_t org_id;            /* the signer's organisation: owner of the result */
	int64_t grant_id;          /* the grant that allows it, 0 for a keeper */
	int64_t usereq_id;         /* the approved use request, 0 none */
} sign_job;

/* Which grant lets r->login use the seal, and is its approval in order?
 * Fills j->s, j->org_id, j->grant_id and j->usereq_id. */
static int sign_precheck(es_platform *p, const es_srv_sign_req *r, sign_job *j, es_err *err)
{
	es_user_row u = {0};
	es_grant_row g = {0};
	es_usereq_row ur = {0};
	int rc, keeper;

	if ((rc = es_store_seal_get(p->st, r->seal_code, &j->s, err)) < 0)
		return rc;
	if ((rc = es_store_user_get(p->st, r->login, &u, err)) < 0)
		goto out;
	j->org_id = u.org_id;
	if (strcmp(j->s.owner_kind, "user") == 0)
		keeper = strcmp(j->s.owner_login, u.login) == 0;
	else
		keeper = u.org_id == j->s.owner_org_id &&
			 (es_user_has_role(&u, "org-admin") || es_user_has_role(&u, "seal-keeper"));
	if (r->auto_sign) {
		/* Unattended sealing only ever through an auto-sign grant. */
		if ((rc = auto_sign_grant(p, j->s.code, u.login, &g, err)) < 0)
			goto out;
	} else if (keeper) {
		goto out;
	} else if (es_store_grant_find_valid(p->st, j->s.code, u.login, time(NULL), &g, NULL) < 0) {
		rc = es_err_set(err, ES_EPERM, "you have no valid grant for seal %s; ask its keeper", j->s.code);
		goto out;
	}
	j->grant_id = g.id;
	if (!g.needs_approval)
		goto out;
	if (r->use_request_id <= 0) {
		rc = es_err_set(err, ES_ESTATE, "this grant needs an approved use request (use_request_id)");
		goto out;
	}
	if ((rc = es_store_usereq_get(p->st, r->use_request_id, &ur, err)) < 0)
		goto out;
	if (strcmp(ur.login, u.login) != 0 || strcmp(ur.seal_code, j->s.code) != 0 ||
	    strcmp(ur.doc_sha256, j->d.sha256) != 0) {
		rc = es_err_set(err, ES_ESTATE, "use request %lld is not for this seal, signer and document",
				(long long)ur.id);
		goto out;
	}
	if (strcmp(ur.state, "approved") != 0) {
		rc = es_err_set(err, ES_ESTATE, "use request %lld is %s, not approved", (long long)ur.id, ur.state);
		goto out;
	}
	j->usereq_id = ur.id;
out:
	es_usereq_row_clear(&ur);
	es_grant_row_clear(&g);
	es_user_row_clear(&u);
	return rc;
}

static int sign_req_fill(es_sign_req *q, const es_srv_sign_req *r, const char *in, const char *out, es_err *err)
{
	q->seal_code = r->seal_code;
	q->login = r->login;
	q->password = r->password;
	q->totp = r->totp;
	q->in_path = in;
	q->out_path = out;
	q->page = r->page;
	q->x_mm = r->x_mm;
	q->y_mm = r->y_mm;
	q->keyword = r->keyword;
	q->cross_page = r->cross_page;
	q->level = r->level;
	q->client = r->client;
#ifdef ES_SIGN_REQ_PREAUTHENTICATED
	/* The caller proved an auto-sign grant with an API token (自动签署), or
	 * it is a later signature of one request whose first was checked. */
	q->preauthenticated = r->auto_sign || r->identity_checked;
	q->cache_key = r->auto_sign;
#else
	if (r->auto_sign)
		return es_err_set(err, ES_ENOTSUP,
			"auto-sign is not available in this build; sign with your password");
#endif
	(void)err;
	return 0;
}

/* One transaction for everything a signature changes: the grant's use, the
 * use request, the "document.sign", "document.add" and "server.sign" audit
 * entries and the new document's row (SQLite admits one writer: one short
 * transaction instead of four, and no file system work inside it — the
 * signer already made the file durable under the reserved id).  The grant's
 * use is taken here, after signing: a grant revoked or used up meanwhile, or
 * a seal suspended or revoked meanwhile, refuses the result. */
static int sign_publish(es_platform *p, const es_srv_sign_req *r, const es_sign_req *q, const sign_job *j,
			int64_t id, const es_sign_result *res, es_err *err)
{
	es_doc_row row = {0};
	struct stat sb;
	char obj[48], details[400], state[ES_SEAL_STATE_CAP];
	int64_t head = 0;
	int rc;

	if (stat(q->out_path, &sb) != 0)
		return es_err_set(err, ES_EIO, "cannot read the signed document: %s", strerror(errno));
	row.id = id;
	row.owner_login = (char *)r->login;
	row.org_id = j->org_id;
	row.filename = j->d.filename;
	row.format = (char *)res->format;
	row.sha256 = (char *)res->sha256_after;
	/* Sealing appends a revision (PDF) or signature files (OFD) and changes
	 * no page: the input's page table is the output's. */
	row.pages = j->d.pages;
	row.page_sizes = j->d.page_sizes;
	row.size = (int64_t)sb.st_size;
	row.parent_id = j->d.id;
	row.created_at = time(NULL);
	if ((rc = es_store_begin(p->st, err)) < 0)
		return rc;
	if ((rc = es_store_seal_state_get(p->st, j->s.code, state, sizeof(state), err)) < 0)
		goto fail;
	if (strcmp(state, "active") != 0) {
		rc = es_err_set(err, ES_ESTATE, "seal %s was %s while signing; the signature was discarded",
				j->s.code, state);
		goto fail;
	}
	if ((j->grant_id > 0 && (rc = es_store_grant_use(p->st, j->grant_id, err)) < 0) ||
	    (j->usereq_id > 0 && (rc = es_store_usereq_consume(p->st, j->usereq_id, err)) < 0) ||
	    (rc = es_core_sign_audit(p, q, res, "ok", NULL, err)) < 0 ||
	    (rc = doc_insert(p, &row, r->client, NULL, err)) < 0)
		goto fail;
	snprintf(obj, sizeof(obj), "seal:%s", r->seal_code);
	snprintf(details, sizeof(details),
		 "{\"document\":%lld,\"signed_document\":%lld,\"sha256_before\":\"%s\",\"sha256_after\":\"%s\","
		 "\"grant\":%lld,\"use_request\":%lld,\"auto_sign\":%s}",
		 (long long)j->d.id, (long long)row.id, res->sha256_before, res->sha256_after,
		 (long long)j->grant_id, (long long)j->usereq_id, r->auto_sign ? "true" : "false");
	if ((rc = es_core_audit_append(p, r->login, "server.sign", obj, details, "ok", srv_client(r->client),
				       &head, err)) < 0 ||
	    (rc = es_store_commit(p->st, err)) < 0)
		goto fail;
	(void)es_audit_anchor_after_append(p, head, NULL);
	return 0;
fail:
	es_store_rollback(p->st);
	return rc;
}

int es_srv_sign(es_platform *p, const es_srv_sign_req *r, int64_t *new_id, es_sign_result *res,
		es_err *err)
{
	sign_job j;
	es_sign_req q = ES_SIGN_REQ_INIT;
	char in[PATH_MAX], out[PATH_MAX], dir[PATH_MAX];
	int64_t id = 0, audit_id = 0;
	int rc;

	out[0] = '\0';
	memset(&j, 0, sizeof(j));
	memset(res, 0, sizeof(*res));
	if ((rc = es_store_doc_get(p->st, r->document_id, &j.d, err)) < 0)
		return rc;
	if ((rc = es_document_path(p, j.d.id, in, sizeof(in), err)) < 0 ||
	    (rc = sign_precheck(p, r, &j, err)) < 0 ||
	    (rc = doc_dir(p, dir, sizeof(dir), err)) < 0)
		goto out;
	/* The signer writes the result straight under its id, durably (temp
	 * file, fsync, rename, directory fsync): no second rename and sync. */
	if ((rc = es_store_doc_reserve_id(p->st, &id, err)) < 0 ||
	    (rc = es_document_path(p, id, out, sizeof(out), err)) < 0) {
		out[0] = '\0';
		goto out;
	}
	if ((rc = sign_req_fill(&q, r, in, out, err)) < 0)
		goto out;
	if ((rc = es_core_sign(p, &q, &j.s, j.d.format, res, err)) < 0)
		goto out;
	if ((rc = sign_publish(p, r, &q, &j, id, res, err)) < 0) {
		/* signed, but not kept: say so in the log */
		if (es_core_sign_audit(p, &q, res, "refused", &audit_id, NULL) == 0)
			(void)es_audit_anchor_after_append(p, audit_id, NULL);
		goto out;
	}
	*new_id = id;
	out[0] = '\0';
out:
	if (out[0] != '\0')
		unlink(out);
	es_seal_row_clear(&j.s);
	es_doc_row_clear(&j.d);
	return rc;
}
