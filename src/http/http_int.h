/* Internals of the REST server: requests, responses, the route table.
 * The pieces here (matching, roles, JSON limits, error mapping) do not need
 * libmicrohttpd, so unit tests drive them directly.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_HTTP_INT_H
#define ES_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "eseal/http.h"
#include "eseal/platform.h"
#include "eseal/server_ops.h"

#define ES_API_PREFIX "/api/v1"
#define ES_HTTP_MAX_PARAMS 4
#define ES_HTTP_PARAM_LEN 128
#define ES_SESSION_COOKIE "eseal_session"

/* Role bits. */
enum {
	ES_R_PLATFORM_ADMIN = 1u << 0,
	ES_R_REVIEWER = 1u << 1,
	ES_R_ORG_ADMIN = 1u << 2,
	ES_R_SEAL_KEEPER = 1u << 3,
	ES_R_MEMBER = 1u << 4,
	ES_R_AUDITOR = 1u << 5,
};
#define ES_R_ANY 0x3fu      /* any authenticated user */
#define ES_R_PUBLIC 0u      /* no authentication */

/* Object scope a route acts on; checked centrally (access.c) before the
 * handler runs.  Invisible objects are 404, visible but not yours to
 * change 403. */
typedef enum es_scope {
	ES_SC_NONE = 0,
	ES_SC_SEAL_VIEW,      /* {id} = seal code: see it */
	ES_SC_SEAL_KEEP,      /* keep it: grants, use-request decisions */
	ES_SC_SEAL_ADMIN,     /* change its state */
	ES_SC_DOC,            /* {id} = document id */
	ES_SC_USER,           /* {login} */
	ES_SC_APP_DECIDE,     /* {id} = seal application */
	ES_SC_GRANT_KEEP,     /* {id} = grant */
	ES_SC_USEREQ_VIEW,    /* {id} = use request */
	ES_SC_USEREQ_DECIDE,
} es_scope;

typedef struct es_principal {
	char login[ES_LOGIN_MAX];
	int64_t org_id;
	unsigned roles;
	int via_token;
	int64_t token_id;
	char csrf[ES_SECRET_HEX_LEN];
	char sid[ES_SECRET_HEX_LEN];
} es_principal;

typedef struct es_hreq es_hreq;
typedef struct es_hresp es_hresp;
typedef int (*es_handler)(es_hreq *q, es_hresp *r);

typedef struct es_route {
	const char *method;
	const char *pattern;   /* below ES_API_PREFIX; "{name}" params, "{n}.png" suffixes */
	unsigned roles;        /* ES_R_PUBLIC or a mask of allowed roles */
	es_scope scope;
	es_handler fn;
	const char *summary;
} es_route;

struct es_hreq {
	const char *method, *path;     /* path without the query */
	const unsigned char *body;
	size_t body_len;
	const char *client;            /* peer address */
	int tls;
	const char *(*lookup)(void *ctx, int kind, const char *name);
	void *ctx;
	/* filled by the dispatcher */
	const es_route *route;
	char params[ES_HTTP_MAX_PARAMS][ES_HTTP_PARAM_LEN];
	size_t nparams;
	es_principal who;
	int authed;
	es_platform *p;
	const es_http_opts *opts;
	const char *web_dir;
};
enum { ES_LK_HEADER = 1, ES_LK_QUERY = 2, ES_LK_COOKIE = 3 };

struct es_hresp {
	int status;
	unsigned char *body;           /* malloc'd */
	size_t len;
	char ctype[64];
	char set_cookie[256];
	long retry_after;
	char disposition[160];
};

/* router.c */
const es_route *es_http_routes(size_t *n);
/** Match a path (below the API prefix) against a pattern; params filled. */
int es_http_match(const char *pattern, const char *path, char params[][ES_HTTP_PARAM_LEN], size_t *nparams);
/** Find the route; *method_mismatch set when the path exists with another method. */
const es_route *es_http_find(const char *method, const char *path, char params[][ES_HTTP_PARAM_LEN],
			     size_t *nparams, int *method_mismatch);
unsigned es_http_role_bits(char *const *roles, size_t n);
int es_http_roles_allow(const es_route *rt, unsigned roles);
/** 1 when the JSON text nests at most max_depth arrays/objects. */
int es_http_json_depth_ok(const char *s, size_t len, int max_depth);
int es_http_status_for(int es_code);
const char *es_http_code_for(int status);
void es_http_dispatch(es_hreq *q, es_hresp *r);

/* resp.c */
void es_resp_error(es_hresp *r, int status, const char *code, const char *msg);
void es_resp_err(es_hresp *r, const es_err *err);
void es_resp_json(es_hresp *r, int status, json_t *j); /* steals j */
void es_resp_bytes(es_hresp *r, int status, const char *ctype, unsigned char *data, size_t len); /* steals */
/** Parse the JSON body into an object (400/413 on failure, response set). */
json_t *es_req_json(es_hreq *q, es_hresp *r);
const char *es_req_header(es_hreq *q, const char *name);
const char *es_req_query(es_hreq *q, const char *name);
const char *es_req_cookie(es_hreq *q, const char *name);
/** JSON string member or NULL. */
const char *es_jstr(json_t *o, const char *key);
int es_param_id(es_hreq *q, size_t i, int64_t *out);

/** 429 with Retry-After and error.retry_after. */
void es_resp_retry(es_hresp *r, long seconds, const char *msg);

/* static.c: the web page */
/** Serve GET path from the web directory; 0 when handled (response set). */
int es_http_static(const char *web_dir, const char *method, const char *path, es_hresp *r);
/** Content type for a file name, NULL when not served. */
const char *es_http_mime(const char *name);
/** 1 when a request path may name a file of the web page (no dot-dot, no hidden files). */
int es_http_static_path_ok(const char *path);

/* access.c */
int es_http_authenticate(es_hreq *q, es_hresp *r);
int es_http_access(es_hreq *q, es_hresp *r);
/* visibility rules, shared by list handlers */
int es_seal_visible(es_hreq *q, const es_seal_row *s);
int es_seal_keeps(const es_principal *w, const es_seal_row *s);
int es_seal_admin(const es_principal *w, const es_seal_row *s);
int es_doc_visible(const es_principal *w, const es_doc_row *d);
int es_user_visible(const es_principal *w, const es_user_row *u);
int es_app_visible(const es_principal *w, const es_app_row *a);

/* handlers */
int h_openapi(es_hreq *q, es_hresp *r);
int h_session_open(es_hreq *q, es_hresp *r);
int h_session_close(es_hreq *q, es_hresp *r);
int h_me(es_hreq *q, es_hresp *r);
int h_token_create(es_hreq *q, es_hresp *r);
int h_token_revoke(es_hreq *q, es_hresp *r);
int h_totp_begin(es_hreq *q, es_hresp *r);
int h_totp_confirm(es_hreq *q, es_hresp *r);
int h_me_password(es_hreq *q, es_hresp *r);
int h_org_add(es_hreq *q, es_hresp *r);
int h_org_list(es_hreq *q, es_hresp *r);
int h_user_add(es_hreq *q, es_hresp *r);
int h_user_get(es_hreq *q, es_hresp *r);
int h_app_add(es_hreq *q, es_hresp *r);
int h_app_list(es_hreq *q, es_hresp *r);
int h_app_decide(es_hreq *q, es_hresp *r);
int h_seal_list(es_hreq *q, es_hresp *r);
int h_seal_get(es_hreq *q, es_hresp *r);
int h_seal_png(es_hreq *q, es_hresp *r);
int h_seal_svg(es_hreq *q, es_hresp *r);
int h_seal_esl(es_hreq *q, es_hresp *r);
int h_seal_revoke(es_hreq *q, es_hresp *r);
int h_seal_suspend(es_hreq *q, es_hresp *r);
int h_seal_resume(es_hreq *q, es_hresp *r);
int h_seal_renew(es_hreq *q, es_hresp *r);
int h_grant_add(es_hreq *q, es_hresp *r);
int h_grant_list(es_hreq *q, es_hresp *r);
int h_grant_delete(es_hreq *q, es_hresp *r);
int h_doc_add(es_hreq *q, es_hresp *r);
int h_doc_get(es_hreq *q, es_hresp *r);
int h_doc_content(es_hreq *q, es_hresp *r);
int h_doc_page(es_hreq *q, es_hresp *r);
int h_doc_sign(es_hreq *q, es_hresp *r);
int h_usereq_add(es_hreq *q, es_hresp *r);
int h_usereq_list(es_hreq *q, es_hresp *r);
int h_seal_preview(es_hreq *q, es_hresp *r);
int h_usereq_get(es_hreq *q, es_hresp *r);
int h_usereq_decide(es_hreq *q, es_hresp *r);
int h_verify(es_hreq *q, es_hresp *r);
int h_audit_list(es_hreq *q, es_hresp *r);
int h_audit_verify(es_hreq *q, es_hresp *r);
int h_tsa(es_hreq *q, es_hresp *r);
int h_ocsp(es_hreq *q, es_hresp *r);
int h_crl(es_hreq *q, es_hresp *r);

/** Load libmicrohttpd now (mhd_shim.c); ES_ENOTSUP with the reason when it
 * is missing. */
int es_mhd_require(es_err *err);

/** The client's address (proxy.c): peer itself, unless peer is one of the
 * comma-separated trusted proxies, then the right-most X-Forwarded-For entry
 * that is not a trusted proxy.  xff and trusted may be NULL. */
void es_http_client_address(char *out, size_t cap, const char *peer, const char *xff,
			    const char *trusted);
/** 1 when list is a non-empty comma-separated list of numeric IP addresses. */
int es_http_proxy_list_valid(const char *list);

#endif
