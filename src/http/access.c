/* Authentication (session cookie + CSRF, or API token) and the object
 * scope rules.  With the route table in router.c this is the whole of
 * "who may do what": another organisation's objects are invisible (404).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "eseal/store_server.h"
#include "http_int.h"

#define ES_BEARER "Bearer "

static int has(const es_principal *w, unsigned role)
{
	return (w->roles & role) != 0;
}

static int same_org(const es_principal *w, int64_t org_id)
{
	return w->org_id > 0 && w->org_id == org_id;
}

static int load_principal(es_hreq *q, const char *login, es_hresp *r)
{
	es_user_row u = {0};

	if (es_store_user_get(es_platform_store(q->p), login, &u, NULL) < 0) {
		es_resp_error(r, 401, "unauthenticated", "the account no longer exists");
		return -1;
	}
	snprintf(q->who.login, sizeof(q->who.login), "%s", u.login);
	q->who.org_id = u.org_id;
	q->who.roles = es_http_role_bits(u.roles, u.nroles);
	es_user_row_clear(&u);
	q->authed = 1;
	return 0;
}

static int is_safe_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

int es_http_authenticate(es_hreq *q, es_hresp *r)
{
	const char *authz = es_req_header(q, "Authorization");
	const char *sid = es_req_cookie(q, ES_SESSION_COOKIE);
	char login[ES_LOGIN_MAX];
	es_err err = ES_ERR_INIT;

	if (authz != NULL && strncmp(authz, ES_BEARER, strlen(ES_BEARER)) == 0) {
		if (es_token_check(q->p, authz + strlen(ES_BEARER), login, &q->who.token_id, &err) < 0) {
			es_resp_error(r, 401, "unauthenticated", err.msg);
			return -1;
		}
		q->who.via_token = 1;
		return load_principal(q, login, r);
	}
	if (sid == NULL) {
		es_resp_error(r, 401, "unauthenticated", "log in first (POST /api/v1/session) or send an API token");
		return -1;
	}
	if (es_session_check(q->p, sid, time(NULL), login, q->who.csrf, &err) < 0) {
		es_resp_error(r, 401, "unauthenticated", err.msg);
		return -1;
	}
	snprintf(q->who.sid, sizeof(q->who.sid), "%s", sid);
	if (!is_safe_method(q->method)) {
		const char *t = es_req_header(q, "X-CSRF-Token");
		size_t n = strlen(q->who.csrf);
		if (t == NULL || strlen(t) != n || CRYPTO_memcmp(t, q->who.csrf, n) != 0) {
			es_resp_error(r, 403, "csrf", "missing or wrong X-CSRF-Token header");
			return -1;
		}
	}
	return load_principal(q, login, r);
}

/* ---- visibility rules ---- */

int es_seal_keeps(const es_principal *w, const es_seal_row *s)
{
	if (has(w, ES_R_PLATFORM_ADMIN))
		return 1;
	if (strcmp(s->owner_kind, "user") == 0)
		return s->owner_login != NULL && strcmp(s->owner_login, w->login) == 0;
	return same_org(w, s->owner_org_id) && (has(w, ES_R_ORG_ADMIN) || has(w, ES_R_SEAL_KEEPER));
}

int es_seal_admin(const es_principal *w, const es_seal_row *s)
{
	if (has(w, ES_R_PLATFORM_ADMIN))
		return 1;
	if (strcmp(s->owner_kind, "user") == 0)
		return s->owner_login != NULL && strcmp(s->owner_login, w->login) == 0;
	return same_org(w, s->owner_org_id) && has(w, ES_R_ORG_ADMIN);
}

int es_seal_visible(es_hreq *q, const es_seal_row *s)
{
	const es_principal *w = &q->who;
	es_grant_row *g = NULL;
	size_t n = 0;
	int ok;

	if (has(w, ES_R_PLATFORM_ADMIN) || has(w, ES_R_REVIEWER) || (has(w, ES_R_AUDITOR) && w->org_id == 0))
		return 1;
	if (strcmp(s->owner_kind, "org") == 0 ? same_org(w, s->owner_org_id)
					      : strcmp(s->owner_login, w->login) == 0)
		return 1;
	if (strcmp(s->owner_kind, "user") == 0 && has(w, ES_R_ORG_ADMIN)) {
		es_user_row u = {0};
		ok = es_store_user_get(es_platform_store(q->p), s->owner_login, &u, NULL) == 0 &&
		     same_org(w, u.org_id);
		es_user_row_clear(&u);
		if (ok)
			return 1;
	}
	/* A grantee sees the seals granted to it. */
	if (es_store_grant_list(es_platform_store(q->p), s->code, w->login, &g, &n, NULL) < 0)
		return 0;
	ok = n > 0;
	ES_ROWS_FREE(g, n, es_grant_row_clear);
	return ok;
}

int es_doc_visible(const es_principal *w, const es_doc_row *d)
{
	if (has(w, ES_R_PLATFORM_ADMIN) || strcmp(d->owner_login, w->login) == 0)
		return 1;
	return same_org(w, d->org_id) && (has(w, ES_R_ORG_ADMIN) || has(w, ES_R_SEAL_KEEPER));
}

int es_user_visible(const es_principal *w, const es_user_row *u)
{
	if (has(w, ES_R_PLATFORM_ADMIN) || has(w, ES_R_REVIEWER) || strcmp(u->login, w->login) == 0)
		return 1;
	return same_org(w, u->org_id) && has(w, ES_R_ORG_ADMIN);
}

int es_app_visible(const es_principal *w, const es_app_row *a)
{
	if (has(w, ES_R_PLATFORM_ADMIN) || has(w, ES_R_REVIEWER))
		return 1;
	if (a->applicant != NULL && strcmp(a->applicant, w->login) == 0)
		return 1;
	if (strcmp(a->owner_kind, "user") == 0 && a->owner_login && strcmp(a->owner_login, w->login) == 0)
		return 1;
	return strcmp(a->owner_kind, "org") == 0 && same_org(w, a->owner_org_id) && has(w, ES_R_ORG_ADMIN);
}

/* ---- the scope check of a route ---- */

static int deny(es_hresp *r, int visible, const char *what)
{
	char msg[128];

	if (!visible) {
		snprintf(msg, sizeof(msg), "%s not found", what);
		es_resp_error(r, 404, "not_found", msg);
	} else {
		snprintf(msg, sizeof(msg), "you may not do this with this %s", what);
		es_resp_error(r, 403, "forbidden", msg);
	}
	return -1;
}

/* Seal by code: view, keep or admin level. */
static int seal_scope(es_hreq *q, es_hresp *r, const char *code, es_scope sc)
{
	es_seal_row s = {0};
	int vis, ok;

	if (es_store_seal_get(es_platform_store(q->p), code, &s, NULL) < 0)
		return deny(r, 0, "seal");
	vis = es_seal_visible(q, &s);
	ok = vis && (sc == ES_SC_SEAL_VIEW || (sc == ES_SC_SEAL_KEEP && es_seal_keeps(&q->who, &s)) ||
		     (sc == ES_SC_SEAL_ADMIN && es_seal_admin(&q->who, &s)));
	es_seal_row_clear(&s);
	return ok ? 0 : deny(r, vis, "seal");
}

static int doc_scope(es_hreq *q, es_hresp *r)
{
	es_doc_row d = {0};
	int64_t id;
	int ok;

	if (es_param_id(q, 0, &id) < 0 || es_store_doc_get(es_platform_store(q->p), id, &d, NULL) < 0)
		return deny(r, 0, "document");
	ok = es_doc_visible(&q->who, &d);
	es_doc_row_clear(&d);
	return ok ? 0 : deny(r, 0, "document");
}

static int user_scope(es_hreq *q, es_hresp *r)
{
	es_user_row u = {0};
	int ok;

	if (es_store_user_get(es_platform_store(q->p), q->params[0], &u, NULL) < 0)
		return deny(r, 0, "user");
	ok = es_user_visible(&q->who, &u);
	es_user_row_clear(&u);
	return ok ? 0 : deny(r, 0, "user");
}

static int app_scope(es_hreq *q, es_hresp *r)
{
	es_app_row a = {0};
	int64_t id;
	int ok;

	if (es_param_id(q, 0, &id) < 0 || es_store_app_get(es_platform_store(q->p), id, &a, NULL) < 0)
		return deny(r, 0, "seal application");
	ok = es_app_visible(&q->who, &a);
	es_app_row_clear(&a);
	return ok ? 0 : deny(r, 0, "seal application");
}

static int grant_scope(es_hreq *q, es_hresp *r)
{
	es_grant_row g = {0};
	int64_t id;
	int rc;

	if (es_param_id(q, 0, &id) < 0 || es_store_grant_get(es_platform_store(q->p), id, &g, NULL) < 0)
		return deny(r, 0, "grant");
	rc = seal_scope(q, r, g.seal_code, ES_SC_SEAL_KEEP);
	es_grant_row_clear(&g);
	return rc;
}

static int usereq_scope(es_hreq *q, es_hresp *r, int decide)
{
	es_usereq_row u = {0};
	int64_t id;
	int rc = 0;

	if (es_param_id(q, 0, &id) < 0 || es_store_usereq_get(es_platform_store(q->p), id, &u, NULL) < 0)
		return deny(r, 0, "use request");
	if (decide || strcmp(u.login, q->who.login) != 0) {
		es_hresp tmp = {0};
		/* Someone else's request: only the seal's keepers see it. */
		rc = seal_scope(q, &tmp, u.seal_code, ES_SC_SEAL_KEEP);
		if (rc < 0) {
			if (tmp.status == 403 && strcmp(u.login, q->who.login) == 0)
				es_resp_error(r, 403, "forbidden", "you cannot decide your own use request");
			else
				deny(r, 0, "use request");
		}
		free(tmp.body);
	}
	es_usereq_row_clear(&u);
	return rc;
}

int es_http_access(es_hreq *q, es_hresp *r)
{
	switch (q->route->scope) {
	case ES_SC_NONE: return 0;
	case ES_SC_SEAL_VIEW: case ES_SC_SEAL_KEEP: case ES_SC_SEAL_ADMIN:
		return seal_scope(q, r, q->params[0], q->route->scope);
	case ES_SC_DOC: return doc_scope(q, r);
	case ES_SC_USER: return user_scope(q, r);
	case ES_SC_APP_DECIDE: return app_scope(q, r);
	case ES_SC_GRANT_KEEP: return grant_scope(q, r);
	case ES_SC_USEREQ_VIEW: return usereq_scope(q, r, 0);
	case ES_SC_USEREQ_DECIDE: return usereq_scope(q, r, 1);
	}
	return deny(r, 0, "object");
}
