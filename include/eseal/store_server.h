/* eseal: store tables of the server — sessions, API tokens, grants (授权),
 * use requests (用印申请), documents, login throttling and pending TOTP
 * enrolments, audit anchors.  Migration 2 of the store (src/store/server_tables.c).
 *
 * Same conventions as store.h: rows own their strings (free with the
 * matching *_clear), lists are freed with ES_ROWS_FREE, one es_store per
 * thread.  Secrets are never stored: sessions and API tokens are kept as
 * SHA-256 hashes of the bearer value.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#ifndef ESEAL_STORE_SERVER_H
#define ESEAL_STORE_SERVER_H

#include <stdint.h>
#include <time.h>
#include "eseal/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- sessions ---- */
typedef struct es_session_row {
	char *id_hash;             /**< hex SHA-256 of the cookie value */
	char *login;
	char *csrf;                /**< CSRF token (not a bearer secret on its own) */
	char *client;              /**< address that logged in */
	time_t created_at, last_seen;
} es_session_row;
int es_store_session_insert(es_store *st, const es_session_row *r, es_err *err);
/** ES_ENOTFOUND when absent. */
int es_store_session_get(es_store *st, const char *id_hash, es_session_row *out, es_err *err);
int es_store_session_touch(es_store *st, const char *id_hash, time_t now, es_err *err);
int es_store_session_delete(es_store *st, const char *id_hash, es_err *err);
/** End every session of login except the one whose hash is keep_hash (may be NULL). */
int es_store_session_delete_login(es_store *st, const char *login, const char *keep_hash, es_err *err);
/** Delete sessions idle since before idle_before or created before created_before. */
int es_store_session_purge(es_store *st, time_t idle_before, time_t created_before, es_err *err);
void es_session_row_clear(es_session_row *r);

/* ---- API tokens ---- */
typedef struct es_token_row {
	int64_t id;
	char *login, *name;
	char *hash;                /**< hex SHA-256 of the token */
	int revoked;
	time_t created_at;
} es_token_row;
int es_store_token_insert(es_store *st, es_token_row *r, es_err *err); /**< sets r->id */
int es_store_token_get(es_store *st, int64_t id, es_token_row *out, es_err *err);
int es_store_token_by_hash(es_store *st, const char *hash, es_token_row *out, es_err *err);
int es_store_token_revoke(es_store *st, int64_t id, es_err *err);
int es_store_token_list(es_store *st, const char *login, es_token_row **rows, size_t *n, es_err *err);
void es_token_row_clear(es_token_row *r);

/* ---- grants (授权) ---- */
typedef struct es_grant_row {
	int64_t id;
	char *seal_code, *login, *granted_by;
	time_t not_after;          /**< 0 = no end */
	int64_t max_uses;          /**< 0 = unlimited */
	int64_t uses;
	int needs_approval, auto_sign, revoked;
	time_t created_at;
} es_grant_row;
int es_store_grant_insert(es_store *st, es_grant_row *r, es_err *err); /**< sets r->id */
int es_store_grant_get(es_store *st, int64_t id, es_grant_row *out, es_err *err);
/** Grants of a seal (seal_code != NULL) and/or of a user (login != NULL), revoked ones too. */
int es_store_grant_list(es_store *st, const char *seal_code, const char *login,
			es_grant_row **rows, size_t *n, es_err *err);
/** The first usable grant of login on seal at now (not revoked, not expired,
 * uses left), preferring grants without approval.  ES_ENOTFOUND when none. */
int es_store_grant_find_valid(es_store *st, const char *seal_code, const char *login, time_t now,
			      es_grant_row *out, es_err *err);
int es_store_grant_revoke(es_store *st, int64_t id, es_err *err);
/** Take one use atomically; ES_ESTATE when none is left. */
int es_store_grant_use(es_store *st, int64_t id, es_err *err);
/** Give a use back (signing failed after es_store_grant_use). */
int es_store_grant_unuse(es_store *st, int64_t id, es_err *err);
void es_grant_row_clear(es_grant_row *r);

/* ---- documents ---- */
typedef struct es_doc_row {
	int64_t id;
	char *owner_login;
	int64_t org_id;            /**< owner's organisation, 0 none */
	char *filename;
	char *format;              /**< "pdf" | "ofd" */
	char *sha256;
	int pages;
	char *page_sizes;          /**< JSON array of [w_mm, h_mm] */
	int64_t size;
	int64_t parent_id;         /**< signed from this document, 0 none */
	time_t created_at;
} es_doc_row;
/** A new document id, never handed out before (also when its row was
 * deleted or never written): reserve it, store the file under it, then
 * insert the row with that id. */
int es_store_doc_reserve_id(es_store *st, int64_t *out, es_err *err);
/** Insert with r->id from es_store_doc_reserve_id, or 0: one is reserved
 * and r->id set.  ES_EEXISTS when the id is taken. */
int es_store_doc_insert(es_store *st, es_doc_row *r, es_err *err);
int es_store_doc_get(es_store *st, int64_t id, es_doc_row *out, es_err *err);
int es_store_doc_delete(es_store *st, int64_t id, es_err *err);
void es_doc_row_clear(es_doc_row *r);

/* ---- use requests (用印申请) ---- */
typedef struct es_usereq_row {
	int64_t id;
	char *seal_code;
	int64_t document_id;
	char *doc_sha256;          /**< the exact bytes the approval is for */
	char *login, *reason;
	char *state;               /**< submitted | approved | rejected | used */
	char *decider, *decision_reason;
	time_t created_at, decided_at;
} es_usereq_row;
int es_store_usereq_insert(es_store *st, es_usereq_row *r, es_err *err); /**< sets r->id */
int es_store_usereq_get(es_store *st, int64_t id, es_usereq_row *out, es_err *err);
/** submitted → approved | rejected; ES_ESTATE from any other state. */
int es_store_usereq_decide(es_store *st, int64_t id, const char *state, const char *decider,
			   const char *reason, es_err *err);
/** Requests in a state (NULL all), newest first. */
int es_store_usereq_list(es_store *st, const char *state, es_usereq_row **rows, size_t *n, es_err *err);
/** approved → used (once); ES_ESTATE otherwise. */
int es_store_usereq_consume(es_store *st, int64_t id, es_err *err);
/** used → approved (signing failed after consuming). */
int es_store_usereq_unconsume(es_store *st, int64_t id, es_err *err);
/** Is there an approved, unused request of login for seal? (1/0) */
int es_store_usereq_pending_approved(es_store *st, const char *seal_code, const char *login);
void es_usereq_row_clear(es_usereq_row *r);

/* ---- login throttling (per account or per client address) ---- */
/** Failures and lock of key ("addr:1.2.3.4"); zeros when unknown. */
int es_store_throttle_get(es_store *st, const char *key, int *failures, time_t *locked_until,
			  time_t *last_failure, es_err *err);
int es_store_throttle_put(es_store *st, const char *key, int failures, time_t locked_until,
			  time_t last_failure, es_err *err);
int es_store_throttle_clear(es_store *st, const char *key, es_err *err);

/* ---- TOTP enrolment waiting for its first code ---- */
int es_store_totp_pending_put(es_store *st, const char *login, const es_blob *secret_enc, es_err *err);
int es_store_totp_pending_get(es_store *st, const char *login, es_blob *secret_enc, es_err *err);
int es_store_totp_pending_delete(es_store *st, const char *login, es_err *err);

/* ---- audit anchors (src/core/audit_anchor.c, docs/server.md "Audit") ---- */
/** A timestamp over the audit chain's head: the platform TSA's token over
 * SHA-256 of the 32 bytes of entry audit_id's hash. */
typedef struct es_audit_anchor_row {
	int64_t id;
	int64_t audit_id;          /**< the anchored entry (the head when stamped) */
	char *head_hash;           /**< hex SHA-256: that entry's hash */
	es_blob tst;               /**< RFC 3161 TimeStampToken (DER) */
	time_t created_at;
} es_audit_anchor_row;
int es_store_audit_anchor_insert(es_store *st, es_audit_anchor_row *r, es_err *err); /**< sets r->id */
/** The newest anchor; ES_ENOTFOUND when there is none. */
int es_store_audit_anchor_last(es_store *st, es_audit_anchor_row *out, es_err *err);
/** Every anchor in insertion order. */
int es_store_audit_anchor_list(es_store *st, es_audit_anchor_row **rows, size_t *n, es_err *err);
/** Hash (hex) of audit entry id; ES_ENOTFOUND when absent. */
int es_store_audit_hash_get(es_store *st, int64_t id, char out[65], es_err *err);
void es_audit_anchor_row_clear(es_audit_anchor_row *r);

#ifdef __cplusplus
}
#endif
#endif
