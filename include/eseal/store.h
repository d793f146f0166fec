/* eseal: the data store.  SQL lives only behind this interface (src/store/),
 * so a PostgreSQL back-end can follow without touching callers.
 *
 * Strings are UTF-8 and owned by the row structs (free with the matching
 * *_clear function).  Personal data is stored encrypted (the *_enc blobs,
 * sealed by the caller with es_secret_seal) next to a masked copy for display.
 *
 * Thread-safety: one es_store per thread (SQLite connections are not shared).
 * Each es_store keeps its prepared statements for its whole life.  The write
 * transactions of all es_store objects of one database file in a process
 * take turns on a mutex (es_store_begin … commit/rollback, and a single write
 * outside a transaction), so threads queue instead of sleeping in SQLite's
 * busy handler; other processes still meet the busy timeout.
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#ifndef ESEAL_STORE_H
#define ESEAL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "eseal/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct es_store es_store;

/** A blob owned by a row. */
typedef struct es_blob {
	unsigned char *data;
	size_t len;
} es_blob;

/** Open (create when create != 0) the SQLite store at path: WAL, busy
 * timeout, foreign keys, migrations run on open. */
int es_store_open(es_store **out, const char *path, int create, es_err *err);
void es_store_close(es_store *st);
/** Schema version after migrations. */
int es_store_schema_version(es_store *st);

/** Short write transactions.  Nested begin is an error. */
int es_store_begin(es_store *st, es_err *err);
int es_store_commit(es_store *st, es_err *err);
void es_store_rollback(es_store *st);

/* ---- key/value settings and PKI objects ---- */
int es_store_meta_put(es_store *st, const char *key, const void *val, size_t len, es_err *err);
/** ES_ENOTFOUND when absent.  out->data malloc'd (NUL-terminated too). */
int es_store_meta_get(es_store *st, const char *key, es_blob *out, es_err *err);
/** PKI object by name, e.g. "sm2.root", "p256.issuing", "maker". */
int es_store_pki_put(es_store *st, const char *name, const es_blob *cert_der,
		     const es_blob *key_wrapped, es_err *err);
int es_store_pki_get(es_store *st, const char *name, es_blob *cert_der,
		     es_blob *key_wrapped, es_err *err);

/* ---- organisations ---- */
typedef struct es_org_row {
	int64_t id;
	char *name, *uscc, *legal_rep_login;
	time_t created_at;
} es_org_row;
int es_store_org_insert(es_store *st, es_org_row *row, es_err *err); /**< sets row->id; ES_EEXISTS on duplicate USCC */
int es_store_org_get(es_store *st, int64_t id, es_org_row *out, es_err *err);
int es_store_org_list(es_store *st, es_org_row **rows, size_t *n, es_err *err);
void es_org_row_clear(es_org_row *r);

/* ---- users ---- */
typedef struct es_user_row {
	int64_t id;
	char *login, *name;
	es_blob id_number_enc, bank_card_enc, mobile_enc, totp_enc;
	char *id_number_masked, *bank_card_masked, *mobile_masked;
	char *id_number_hmac;      /**< keyed hash, finds duplicates without decrypting */
	int64_t org_id;            /**< 0 = none */
	char *password_hash;       /**< Argon2id encoded */
	int identity_checked;
	int failed_logins;
	time_t locked_until, created_at;
	char **roles;
	size_t nroles;
} es_user_row;
int es_store_user_insert(es_store *st, es_user_row *row, es_err *err); /**< ES_EEXISTS on duplicate login */
int es_store_user_get(es_store *st, const char *login, es_user_row *out, es_err *err);
int es_store_user_list(es_store *st, int64_t org_id /* 0 all */, es_user_row **rows, size_t *n, es_err *err);
int es_store_user_set_login_state(es_store *st, const char *login, int failed, time_t locked_until, es_err *err);
int es_store_user_set_totp(es_store *st, const char *login, const es_blob *totp_enc, es_err *err);
/** Replace login's Argon2id hash (a re-hash with stronger parameters). */
int es_store_user_set_password_hash(es_store *st, const char *login, const char *hash, es_err *err);
/** Spend TOTP time step `step` of login: 0 when it is later than the last one
 * spent (atomically, so one code cannot pass twice, even concurrently),
 * ES_EAUTH when not (a replayed code). */
int es_store_user_totp_spend(es_store *st, const char *login, uint64_t step, es_err *err);
void es_user_row_clear(es_user_row *r);
int es_user_has_role(const es_user_row *u, const char *role);

/* ---- seal applications ---- */
typedef struct es_app_row {
	int64_t id;
	char *applicant;           /**< login or "" (operator) */
	char *owner_kind;          /**< "org" | "user" */
	int64_t owner_org_id;
	char *owner_login;
	char *kind, *text, *template_name, *taxpayer_no;
	char *state;               /**< submitted | approved | rejected */
	char *reason, *reviewer, *seal_code;
	time_t created_at, decided_at;
} es_app_row;
int es_store_app_insert(es_store *st, es_app_row *row, es_err *err);
int es_store_app_get(es_store *st, int64_t id, es_app_row *out, es_err *err);
int es_store_app_decide(es_store *st, int64_t id, const char *state, const char *reason,
			const char *reviewer, const char *seal_code, es_err *err); /**< only from "submitted" */
int es_store_app_list(es_store *st, const char *state /* NULL all */, es_app_row **rows, size_t *n, es_err *err);
void es_app_row_clear(es_app_row *r);

/* ---- seals ---- */
typedef struct es_seal_row {
	char *code;                /**< esID, unique seal code */
	int64_t app_id;
	char *kind, *name, *owner_kind, *owner_login, *template_name, *text, *taxpayer_no;
	int64_t owner_org_id;
	char *state;               /**< active | suspended | revoked */
	char *state_reason;
	time_t valid_start, valid_end, created_at;
	es_blob sm2_cert, sm2_key, p256_cert, p256_key; /**< DER certs, wrapped keys */
	es_blob esl;               /**< SESeal DER */
	es_blob picture_png;
	es_blob appearance;        /**< PDF content stream of the vector picture (es_picture_pdf_stream) */
	double width_mm, height_mm;
} es_seal_row;
int es_store_seal_insert(es_store *st, const es_seal_row *row, es_err *err);
int es_store_seal_get(es_store *st, const char *code, es_seal_row *out, es_err *err);
int es_store_seal_set_state(es_store *st, const char *code, const char *state,
			    const char *reason, es_err *err);
#define ES_SEAL_STATE_CAP 16
/** The seal's state alone ("active", "suspended" or "revoked"; cap bytes at
 * most, ES_SEAL_STATE_CAP is enough), e.g. to re-check it inside the
 * transaction that records a signature.  ES_ENOTFOUND when absent. */
int es_store_seal_state_get(es_store *st, const char *code, char *state, size_t cap, es_err *err);
int es_store_seal_list(es_store *st, es_seal_row **rows, size_t *n, es_err *err); /**< without blobs */
/** Renewal: the seal's current holder certificates go to its history
 * (seal_certs, replaced at now), and its row takes r's validity, keys,
 * certificates, SESeal and picture (the code, names and state stay). */
int es_store_seal_renew(es_store *st, const es_seal_row *r, time_t now, es_err *err);
/** A holder certificate the seal had before a renewal. */
typedef struct es_seal_cert_row {
	char family[8];            /**< "sm2" | "p256" */
	es_blob cert;              /**< DER */
	time_t replaced_at;
} es_seal_cert_row;
/** The seal's earlier certificates, oldest first; free with es_seal_cert_rows_free(). */
int es_store_seal_old_certs(es_store *st, const char *code, es_seal_cert_row **rows, size_t *n,
			    es_err *err);
void es_seal_cert_rows_free(es_seal_cert_row *rows, size_t n);
/** Next value of a named counter (seal serial numbers), starting at 1. */
int es_store_next_serial(es_store *st, const char *name, int64_t *out, es_err *err);
void es_seal_row_clear(es_seal_row *r);

/* ---- revocations (CRL entries) ---- */
typedef struct es_revocation_row {
	char *family;              /**< "sm2" | "p256" */
	char *serial_hex;
	time_t when;
	int reason;
} es_revocation_row;
int es_store_revocation_add(es_store *st, const char *family, const char *serial_hex,
			    time_t when, int reason, es_err *err);
/** A number that changes whenever the revocations change (any process). */
int es_store_revocation_generation(es_store *st, int64_t *out, es_err *err);
/** Remove an entry (a suspended certificate put back in service). */
int es_store_revocation_remove(es_store *st, const char *family, const char *serial_hex, es_err *err);

/** The file beside the store where one-shot verifiers keep the trust
 * anchors and CRLs they read from it (src/core/trust_cache.c): the store's
 * path + ES_STORE_TRUST_SUFFIX.  Adding or removing a revocation removes it
 * before and after its transaction, holding the data directory locked. */
#define ES_STORE_TRUST_SUFFIX "-trust"
const char *es_store_trust_path(const es_store *st);
/** A shared lock for writing that file: an fd (give it to
 * es_store_trust_unlock), or -1 while a change of the revocations holds the
 * directory (then write nothing).  Never waits. */
int es_store_trust_lock_shared(es_store *st);
void es_store_trust_unlock(int fd);
int es_store_revocation_list(es_store *st, const char *family,
			     es_revocation_row **rows, size_t *n, es_err *err);
void es_revocation_row_clear(es_revocation_row *r);

/* ---- audit log (hash chain) ---- */
typedef struct es_audit_row {
	int64_t id;
	time_t ts;
	char *actor, *action, *object, *details, *client, *outcome;
	char *prev_hash, *hash;    /**< hex SHA-256 */
} es_audit_row;
/** Append; computes prev_hash/hash inside the same transaction. */
int es_store_audit_append(es_store *st, es_audit_row *row, es_err *err);
int es_store_audit_list(es_store *st, es_audit_row **rows, size_t *n, es_err *err);
void es_audit_row_clear(es_audit_row *r);
/** Canonical bytes hashed for an entry (shared by append and verify). */
int es_audit_entry_hash(char out_hex[65], const es_audit_row *row, es_err *err);

/** Free an array of rows returned by a *_list call. */
#define ES_ROWS_FREE(rows, n, clear) do { size_t i_; for (i_ = 0; i_ < (n); i_++) clear(&(rows)[i_]); free(rows); } while (0)

#ifdef __cplusplus
}
#endif
#endif
