/* Sessions, API tokens, TOTP enrolment.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "eseal/auth.h"
#include "http_int.h"

#define ES_TOKEN_NAME_MAX 100

static json_t *roles_json(unsigned bits)
{
	static const char *const names[] = {"platform-admin", "reviewer", "org-admin", "seal-keeper",
					    "member", "auditor"};
	json_t *a = json_array();
	size_t k;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (bits & (1u << k))
			json_array_append_new(a, json_string(names[k]));
	return a;
}

static json_t *me_json(es_hreq *q, const char *login)
{
	es_user_row u = {0};
	json_t *j;

	if (es_store_user_get(es_platform_store(q->p), login, &u, NULL) < 0)
		return json_pack("{s:s}", "login", login);
	j = json_pack("{s:s,s:s,s:I,s:o,s:b}", "login", u.login, "name", u.name, "org_id", (json_int_t)u.org_id,
		      "roles", roles_json(es_http_role_bits(u.roles, u.nroles)), "totp", u.totp_enc.len > 0);
	es_user_row_clear(&u);
	return j;
}

static void addr_key(char *buf, size_t cap, const char *client)
{
	snprintf(buf, cap, "addr:%s", client ? client : "");
}

/* Account locked by es_user_authenticate: seconds left. */
static long account_retry(es_hreq *q, const char *login)
{
	es_user_row u = {0};
	long s = 1;

	if (es_store_user_get(es_platform_store(q->p), login, &u, NULL) == 0 && u.locked_until > time(NULL))
		s = (long)(u.locked_until - time(NULL));
	es_user_row_clear(&u);
	return s;
}

static int login_failed(es_hreq *q, es_hresp *r, const char *login, const es_err *err, const char *key)
{
	es_user_row u = {0};
	int known = es_store_user_get(es_platform_store(q->p), login, &u, NULL) == 0;

	es_user_row_clear(&u);
	if (err->code == ES_EBUSY) {
		es_resp_retry(r, account_retry(q, login), "this account is locked after repeated failures; try later");
	} else {
		es_throttle_fail(q->p, key, q->opts->addr_failures, time(NULL));
		es_resp_error(r, 401, "unauthenticated", err->msg);
	}
	/* Unknown logins are not written down: they are often mistyped passwords. */
	es_srv_audit(q->p, known ? login : "anonymous", "session.open", known ? login : "", NULL,
		     "refused", q->client, NULL);
	return 0;
}

int h_session_open(es_hreq *q, es_hresp *r)
{
	json_t *j = es_req_json(q, r), *out;
	const char *login, *password, *totp, *old;
	char key[96], sid[ES_SECRET_HEX_LEN] = "", csrf[ES_SECRET_HEX_LEN] = "";
	es_err err = ES_ERR_INIT;
	long retry = 0;

	if (j == NULL)
		return 0;
	login = es_jstr(j, "login");
	password = es_jstr(j, "password");
	totp = es_jstr(j, "totp");
	if (login == NULL || password == NULL) {
		es_resp_error(r, 400, "bad_request", "login and password are required");
		goto out;
	}
	addr_key(key, sizeof(key), q->client);
	if (es_throttle_check(q->p, key, time(NULL), &retry, &err) < 0) {
		es_resp_retry(r, retry, err.msg);
		goto out;
	}
	if (es_user_authenticate(q->p, login, password, totp, &err) < 0) {
		login_failed(q, r, login, &err, key);
		goto out;
	}
	/* Rotation: a session that came with this request ends here. */
	old = es_req_cookie(q, ES_SESSION_COOKIE);
	if (old != NULL && strlen(old) == ES_SECRET_HEX_LEN - 1)
		(void)es_session_close(q->p, old, NULL);
	if (es_session_open(q->p, login, q->client, sid, csrf, &err) < 0) {
		es_resp_err(r, &err);
		goto out;
	}
	snprintf(r->set_cookie, sizeof(r->set_cookie), "%s=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%d%s",
		 ES_SESSION_COOKIE, sid, ES_SESSION_MAX_S, q->tls ? "; Secure" : "");
	out = json_pack("{s:s,s:o}", "csrf_token", csrf, "user", me_json(q, login));
	es_resp_json(r, 200, out);
out:
	OPENSSL_cleanse(sid, sizeof(sid));
	OPENSSL_cleanse(csrf, sizeof(csrf));
	if (password != NULL && j != NULL)
		OPENSSL_cleanse((char *)password, strlen(password));
	json_decref(j);
	return 0;
}

int h_session_close(es_hreq *q, es_hresp *r)
{
	if (q->who.sid[0] != '\0')
		(void)es_session_close(q->p, q->who.sid, NULL);
	es_srv_audit(q->p, q->who.login, "session.close", q->who.login, NULL, "ok", q->client, NULL);
	snprintf(r->set_cookie, sizeof(r->set_cookie), "%s=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0%s",
		 ES_SESSION_COOKIE, q->tls ? "; Secure" : "");
	es_resp_json(r, 200, json_pack("{s:b}", "ok", 1));
	return 0;
}

int h_me(es_hreq *q, es_hresp *r)
{
	es_resp_json(r, 200, me_json(q, q->who.login));
	return 0;
}

int h_token_create(es_hreq *q, es_hresp *r)
{
	json_t *j = q->body_len ? es_req_json(q, r) : json_object();
	const char *name;
	char token[ES_TOKEN_LEN];
	int64_t id = 0;
	es_err err = ES_ERR_INIT;

	if (j == NULL)
		return 0;
	name = es_jstr(j, "name");
	if (name != NULL && strlen(name) > ES_TOKEN_NAME_MAX) {
		es_resp_error(r, 422, "invalid", "token name too long");
	} else if (es_token_create(q->p, q->who.login, name, q->client, token, &id, &err) < 0) {
		es_resp_err(r, &err);
	} else {
		es_resp_json(r, 201, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "token", token,
					       "note", "shown once; store it now"));
		OPENSSL_cleanse(token, sizeof(token));
	}
	json_decref(j);
	return 0;
}

int h_token_revoke(es_hreq *q, es_hresp *r)
{
	es_err err = ES_ERR_INIT;
	int64_t id;

	if (es_param_id(q, 0, &id) < 0) {
		es_resp_error(r, 404, "not_found", "API token not found");
		return 0;
	}
	if (es_token_revoke(q->p, id, q->who.login, (q->who.roles & ES_R_PLATFORM_ADMIN) != 0, q->client, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_json(r, 200, json_pack("{s:b}", "revoked", 1));
	return 0;
}

int h_totp_begin(es_hreq *q, es_hresp *r)
{
	char secret[ES_TOTP_SECRET_B32_LEN] = "", uri[ES_TOTP_URI_MAX] = "";
	es_err err = ES_ERR_INIT;

	if (es_totp_enrol_begin(q->p, q->who.login, secret, uri, sizeof(uri), &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_json(r, 200, json_pack("{s:s,s:s}", "secret", secret, "otpauth_uri", uri));
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(uri, sizeof(uri));
	return 0;
}

int h_totp_confirm(es_hreq *q, es_hresp *r)
{
	json_t *j = es_req_json(q, r);
	es_err err = ES_ERR_INIT;

	if (j == NULL)
		return 0;
	if (es_jstr(j, "code") == NULL)
		es_resp_error(r, 400, "bad_request", "code is required");
	else if (es_totp_enrol_confirm(q->p, q->who.login, es_jstr(j, "code"), q->client, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_json(r, 200, json_pack("{s:b}", "totp", 1));
	json_decref(j);
	return 0;
}

/* POST /me/password {current_password, new_password, totp?}: the current
 * password (and TOTP code when enrolled) first; other sessions end. */
int h_me_password(es_hreq *q, es_hresp *r)
{
	json_t *j = es_req_json(q, r);
	const char *cur, *nw;
	es_err err = ES_ERR_INIT;

	if (j == NULL)
		return 0;
	cur = es_jstr(j, "current_password");
	nw = es_jstr(j, "new_password");
	if (cur == NULL || nw == NULL)
		es_resp_error(r, 400, "bad_request", "current_password and new_password are required");
	else if (es_user_authenticate(q->p, q->who.login, cur, es_jstr(j, "totp"), &err) < 0 ||
		 es_user_set_password(q->p, q->who.login, nw, q->who.via_token ? NULL : q->who.sid, NULL,
				      q->client, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_json(r, 200, json_pack("{s:b}", "changed", 1));
	if (cur != NULL)
		OPENSSL_cleanse((char *)cur, strlen(cur));
	if (nw != NULL)
		OPENSSL_cleanse((char *)nw, strlen(nw));
	json_decref(j);
	return 0;
}
