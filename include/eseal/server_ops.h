/* eseal: platform operations of the server — sessions, API tokens, login
 * throttling, TOTP enrolment, grants (授权), documents, use requests
 * (用印审批) and signing on behalf of a logged-in user.
 *
 * Built on es_platform and the store (store_server.h).  Every state change
 * is audited with the client address.  Functions take the platform of the
 * calling thread (one es_platform per thread).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#ifndef ESEAL_SERVER_OPS_H
#define ESEAL_SERVER_OPS_H

#include <stdint.h>
#include <time.h>
#include "eseal/platform.h"
#include "eseal/store_server.h"
#include "eseal/auth.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Session limits: idle timeout and absolute lifetime. */
#define ES_SESSION_IDLE_S (30 * 60)
#define ES_SESSION_MAX_S (8 * 60 * 60)
/** Random bytes in session ids, CSRF tokens and API tokens (hex doubles them). */
#define ES_SECRET_BYTES 32
#define ES_SECRET_HEX_LEN (2 * ES_SECRET_BYTES + 1)
/** API tokens are "esk_" + hex. */
#define ES_TOKEN_PREFIX "esk_"
#define ES_TOKEN_LEN (sizeof(ES_TOKEN_PREFIX) - 1 + ES_SECRET_HEX_LEN)
#define ES_LOGIN_MAX 65
/** Room for an otpauth:// URI. */
#define ES_TOTP_URI_MAX 512

/** Append an audit entry carrying the client address (NULL → "server"). */
int es_srv_audit(es_platform *p, const char *actor, const char *action, const char *object,
		 const char *details, const char *outcome, const char *client, es_err *err);

/* ---- sessions ---- */
/** New session for login: fresh random id and CSRF token (rotation: every
 * login gets new values).  Only the id's SHA-256 is stored. */
int es_session_open(es_platform *p, const char *login, const char *client,
		    char sid[ES_SECRET_HEX_LEN], char csrf[ES_SECRET_HEX_LEN], es_err *err);
/** Check a session id: exists, not idle too long, not too old; touches it.
 * @return 0, ES_EAUTH when unknown or expired. */
int es_session_check(es_platform *p, const char *sid, time_t now, char login[ES_LOGIN_MAX],
		     char csrf[ES_SECRET_HEX_LEN], es_err *err);
int es_session_close(es_platform *p, const char *sid, es_err *err);

/** Set login's password (policy-checked, Argon2id): ends the lock-out and every
 * session of login but keep_sid (the caller's own, may be NULL); audited as
 * user.password by actor (NULL: login). */
int es_user_set_password(es_platform *p, const char *login, const char *password, const char *keep_sid,
			 const char *actor, const char *client, es_err *err);

/* ---- API tokens ---- */
/** New token for login, shown once; the store keeps its SHA-256. */
int es_token_create(es_platform *p, const char *login, const char *name, const char *client,
		    char token[ES_TOKEN_LEN], int64_t *id, es_err *err);
/** Who does the bearer token belong to?  ES_EAUTH when unknown or revoked. */
int es_token_check(es_platform *p, const char *token, char login[ES_LOGIN_MAX], int64_t *id, es_err *err);
/** Revoke token id; only its owner or a platform admin (is_admin). ES_ENOTFOUND otherwise. */
int es_token_revoke(es_platform *p, int64_t id, const char *actor, int is_admin, const char *client,
		    es_err *err);

/* ---- login throttling (per account and per client address) ---- */
/** ES_EBUSY with *retry_after_s when key is locked now. */
int es_throttle_check(es_platform *p, const char *key, time_t now, long *retry_after_s, es_err *err);
/** Count a failure; after `threshold` failures lock for 2^(n - threshold + 1) s, at most 1 h. */
void es_throttle_fail(es_platform *p, const char *key, int threshold, time_t now);
void es_throttle_reset(es_platform *p, const char *key);

/* ---- TOTP enrolment ---- */
/** Start enrolment: new secret (kept sealed until confirmed) and its otpauth URI. */
int es_totp_enrol_begin(es_platform *p, const char *login, char secret[ES_TOTP_SECRET_B32_LEN],
			char *uri, size_t uri_cap, es_err *err);
/** Confirm with a current code: the secret becomes the user's TOTP. */
int es_totp_enrol_confirm(es_platform *p, const char *login, const char *code, const char *client,
			  es_err *err);

/* ---- grants ---- */
typedef struct es_grant_new {
	const char *seal_code, *login;
	time_t not_after;          /**< 0 none */
	int64_t max_uses;          /**< 0 unlimited */
	int needs_approval, auto_sign;
} es_grant_new;
/** Grant a seal to a user.  auto_sign only by an org admin of the seal's
 * organisation or a platform admin (actor_can_auto_sign). */
int es_grant_add(es_platform *p, const es_grant_new *g, const char *actor, int actor_can_auto_sign,
		 const char *client, int64_t *id, es_err *err);
int es_grant_remove(es_platform *p, int64_t id, const char *actor, const char *client, es_err *err);

/* ---- documents ---- */
#define ES_DOC_DIR "documents"
/** Store an uploaded PDF or OFD (detected by content) for owner.  *id set. */
int es_document_add(es_platform *p, const char *owner, const char *filename, const unsigned char *data,
		    size_t len, int64_t parent_id, const char *client, int64_t *id, es_err *err);
/** Path of a stored document's bytes. */
int es_document_path(es_platform *p, int64_t id, char *buf, size_t cap, es_err *err);

/* ---- use requests (用印申请) ---- */
int es_use_request_add(es_platform *p, const char *seal_code, int64_t document_id, const char *login,
		       const char *reason, const char *client, int64_t *id, es_err *err);
/** Decide; the requester cannot decide their own request (ES_EPERM). */
int es_use_request_decide(es_platform *p, int64_t id, int approve, const char *reason,
			  const char *actor, const char *client, es_err *err);

/* ---- signing on the server ---- */
typedef struct es_srv_sign_req {
	int64_t document_id;
	const char *seal_code;
	const char *login;
	const char *password, *totp;   /**< 意愿确认 on every signing */
	int64_t use_request_id;        /**< 0 none */
	int page;
	double x_mm, y_mm;
	const char *keyword;
	int cross_page;
	int level;
	const char *client;
	int auto_sign;                 /**< API token without password: needs an auto-sign grant */
	int identity_checked;          /**< password/TOTP already checked for an earlier signature of
	                                    the same request (a batch): not asked again */
} es_srv_sign_req;
/** Sign a stored document: grant/approval checks, the signature (es_core_sign,
 * written straight to the new document's file), then one write transaction
 * that re-checks the seal state and the grant, spends the grant use and the
 * use request, and records the new document (*new_id) and its audit entries. */
int es_srv_sign(es_platform *p, const es_srv_sign_req *r, int64_t *new_id, es_sign_result *res,
		es_err *err);

/** Data directory of the platform (borrowed). */
const char *es_platform_dir(es_platform *p);

#ifdef __cplusplus
}
#endif
#endif
