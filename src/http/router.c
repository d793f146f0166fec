/* The route table — every route with the roles allowed on it and the scope
 * of the object it acts on — and the dispatcher.  This table is the one
 * place that says who may do what; docs/server.md mirrors it.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <string.h>
#include "http_int.h"

#define PA ES_R_PLATFORM_ADMIN
#define RV ES_R_REVIEWER
#define OA ES_R_ORG_ADMIN
#define SK ES_R_SEAL_KEEPER
#define AU ES_R_AUDITOR

static const es_route routes[] = {
	{"GET", "/openapi.json", ES_R_PUBLIC, ES_SC_NONE, h_openapi, "this API description"},
	{"POST", "/session", ES_R_PUBLIC, ES_SC_NONE, h_session_open, "log in"},
	{"DELETE", "/session", ES_R_ANY, ES_SC_NONE, h_session_close, "log out"},
	{"GET", "/me", ES_R_ANY, ES_SC_NONE, h_me, "who am I"},
	{"POST", "/tokens", ES_R_ANY, ES_SC_NONE, h_token_create, "new API token"},
	{"DELETE", "/tokens/{id}", ES_R_ANY, ES_SC_NONE, h_token_revoke, "revoke an API token"},
	{"POST", "/me/totp", ES_R_ANY, ES_SC_NONE, h_totp_begin, "start TOTP enrolment"},
	{"POST", "/me/totp/confirm", ES_R_ANY, ES_SC_NONE, h_totp_confirm, "confirm TOTP enrolment"},
	{"POST", "/me/password", ES_R_ANY, ES_SC_NONE, h_me_password, "change my password"},
	{"POST", "/orgs", PA, ES_SC_NONE, h_org_add, "add an organisation"},
	{"GET", "/orgs", ES_R_ANY, ES_SC_NONE, h_org_list, "list organisations"},
	{"POST", "/users", PA | OA, ES_SC_NONE, h_user_add, "add a user"},
	{"GET", "/users/{login}", ES_R_ANY, ES_SC_USER, h_user_get, "show a user (masked)"},
	{"POST", "/seal-applications", ES_R_ANY, ES_SC_NONE, h_app_add, "apply for a seal"},
	{"GET", "/seal-applications", ES_R_ANY, ES_SC_NONE, h_app_list, "list seal applications"},
	{"POST", "/seal-applications/{id}/decision", PA | RV, ES_SC_APP_DECIDE, h_app_decide,
	 "approve or reject a seal application"},
	{"GET", "/seal-preview.svg", ES_R_ANY, ES_SC_NONE, h_seal_preview, "preview a seal picture (SVG)"},
	{"GET", "/seals", ES_R_ANY, ES_SC_NONE, h_seal_list, "list seals"},
	{"GET", "/seals/{id}", ES_R_ANY, ES_SC_SEAL_VIEW, h_seal_get, "show a seal"},
	{"GET", "/seals/{id}/picture.png", ES_R_ANY, ES_SC_SEAL_VIEW, h_seal_png, "seal picture (PNG)"},
	{"GET", "/seals/{id}/picture.svg", ES_R_ANY, ES_SC_SEAL_VIEW, h_seal_svg, "seal picture (SVG)"},
	{"GET", "/seals/{id}/seal.esl", ES_R_ANY, ES_SC_SEAL_VIEW, h_seal_esl, "SESeal DER"},
	{"POST", "/seals/{id}/revoke", PA | OA | ES_R_MEMBER, ES_SC_SEAL_ADMIN, h_seal_revoke, "revoke a seal"},
	{"POST", "/seals/{id}/suspend", PA | OA | ES_R_MEMBER, ES_SC_SEAL_ADMIN, h_seal_suspend, "suspend a seal"},
	{"POST", "/seals/{id}/resume", PA | OA | ES_R_MEMBER, ES_SC_SEAL_ADMIN, h_seal_resume, "resume a seal"},
	{"POST", "/seals/{id}/renew", PA | OA | ES_R_MEMBER, ES_SC_SEAL_ADMIN, h_seal_renew, "renew a seal"},
	{"POST", "/seals/{id}/grants", PA | OA | SK | ES_R_MEMBER, ES_SC_SEAL_KEEP, h_grant_add, "grant a seal"},
	{"GET", "/seals/{id}/grants", PA | OA | SK | ES_R_MEMBER, ES_SC_SEAL_KEEP, h_grant_list, "list grants of a seal"},
	{"DELETE", "/grants/{id}", PA | OA | SK | ES_R_MEMBER, ES_SC_GRANT_KEEP, h_grant_delete, "revoke a grant"},
	{"POST", "/documents", ES_R_ANY, ES_SC_NONE, h_doc_add, "upload a PDF or OFD"},
	{"GET", "/documents/{id}", ES_R_ANY, ES_SC_DOC, h_doc_get, "document metadata"},
	{"GET", "/documents/{id}/content", ES_R_ANY, ES_SC_DOC, h_doc_content, "document bytes"},
	{"GET", "/documents/{id}/pages/{n}.png", ES_R_ANY, ES_SC_DOC, h_doc_page, "render a page"},
	{"POST", "/documents/{id}/sign", ES_R_ANY, ES_SC_DOC, h_doc_sign, "seal a document"},
	{"POST", "/use-requests", ES_R_ANY, ES_SC_NONE, h_usereq_add, "ask to use a seal on a document"},
	{"GET", "/use-requests", ES_R_ANY, ES_SC_NONE, h_usereq_list, "use requests I made or may decide"},
	{"GET", "/use-requests/{id}", ES_R_ANY, ES_SC_USEREQ_VIEW, h_usereq_get, "show a use request"},
	{"POST", "/use-requests/{id}/decision", PA | OA | SK | ES_R_MEMBER, ES_SC_USEREQ_DECIDE, h_usereq_decide,
	 "approve or reject a use request"},
	{"POST", "/verify", ES_R_PUBLIC, ES_SC_NONE, h_verify, "verify a seal, PDF or OFD"},
	{"GET", "/audit", PA | AU, ES_SC_NONE, h_audit_list, "audit log"},
	{"GET", "/audit/verify", PA | AU, ES_SC_NONE, h_audit_verify, "check the audit hash chain"},
	{"POST", "/tsa", ES_R_PUBLIC, ES_SC_NONE, h_tsa, "RFC 3161 time-stamp authority"},
	{"POST", "/ocsp", ES_R_PUBLIC, ES_SC_NONE, h_ocsp, "RFC 6960 OCSP responder"},
	{"GET", "/crl/{family}.crl", ES_R_PUBLIC, ES_SC_NONE, h_crl, "current CRL (sm2 or p256)"},
};

const es_route *es_http_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}

/* Match one segment: literal, "{name}" or "{name}suffix". */
static int seg_match(const char *pat, size_t plen, const char *seg, size_t slen, char *param, int *is_param)
{
	const char *close;
	size_t suffix_len, vlen;

	*is_param = 0;
	if (plen == 0 || pat[0] != '{')
		return plen == slen && memcmp(pat, seg, slen) == 0;
	close = memchr(pat, '}', plen);
	if (close == NULL)
		return 0;
	suffix_len = plen - (size_t)(close + 1 - pat);
	if (slen <= suffix_len || memcmp(seg + slen - suffix_len, close + 1, suffix_len) != 0)
		return 0;
	vlen = slen - suffix_len;
	if (vlen >= ES_HTTP_PARAM_LEN)
		return 0;
	memcpy(param, seg, vlen);
	param[vlen] = '\0';
	*is_param = 1;
	return 1;
}

int es_http_match(const char *pattern, const char *path, char params[][ES_HTTP_PARAM_LEN], size_t *nparams)
{
	const char *p = pattern, *s = path;

	*nparams = 0;
	while (*p == '/' && *s == '/') {
		const char *pe = strchr(p + 1, '/'), *se = strchr(s + 1, '/');
		size_t pl, sl;
		int is_param;
		char tmp[ES_HTTP_PARAM_LEN];

		pl = pe ? (size_t)(pe - p - 1) : strlen(p + 1);
		sl = se ? (size_t)(se - s - 1) : strlen(s + 1);
		if (!seg_match(p + 1, pl, s + 1, sl, tmp, &is_param))
			return 0;
		if (is_param) {
			if (*nparams >= ES_HTTP_MAX_PARAMS)
				return 0;
			memcpy(params[(*nparams)++], tmp, sizeof(tmp));
		}
		p += 1 + pl;
		s += 1 + sl;
	}
	return *p == '\0' && *s == '\0';
}

const es_route *es_http_find(const char *method, const char *path, char params[][ES_HTTP_PARAM_LEN],
			     size_t *nparams, int *method_mismatch)
{
	size_t i;

	*method_mismatch = 0;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!es_http_match(routes[i].pattern, path, params, nparams))
			continue;
		if (strcmp(routes[i].method, method) == 0)
			return &routes[i];
		*method_mismatch = 1;
	}
	*nparams = 0;
	return NULL;
}

unsigned es_http_role_bits(char *const *roles, size_t n)
{
	static const char *const names[] = {"platform-admin", "reviewer", "org-admin", "seal-keeper",
					    "member", "auditor"};
	unsigned bits = 0;
	size_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strcmp(roles[i], names[k]) == 0)
				bits |= 1u << k;
	/* Every user is at least a member. */
	return bits | ES_R_MEMBER;
}

int es_http_roles_allow(const es_route *rt, unsigned roles)
{
	if (rt->roles == ES_R_PUBLIC)
		return 1;
	return (rt->roles & roles) != 0;
}

int es_http_json_depth_ok(const char *s, size_t len, int max_depth)
{
	int depth = 0, in_str = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max_depth)
				return 0;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 1;
}

int es_http_status_for(int code)
{
	switch (code) {
	case ES_EINVAL: case ES_EFORMAT: case ES_EIDENTITY: case ES_ERANGE:
	case ES_EPDF: case ES_EOFD: case ES_EVERIFY:
		return 422;
	case ES_ENOTFOUND: return 404;
	case ES_EEXISTS: case ES_ESTATE: return 409;
	case ES_EAUTH: return 401;
	case ES_EPERM: return 403;
	case ES_EBUSY: return 429;
	case ES_ENOTSUP: return 501;
	case ES_ENET: return 502;
	default: return 500;
	}
}

const char *es_http_code_for(int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 401: return "unauthenticated";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 409: return "conflict";
	case 413: return "too_large";
	case 415: return "unsupported_media_type";
	case 422: return "invalid";
	case 429: return "rate_limited";
	case 501: return "not_implemented";
	case 502: return "upstream_failed";
	default: return "internal";
	}
}

void es_http_dispatch(es_hreq *q, es_hresp *r)
{
	const char *path = q->path;
	int mismatch = 0;

	if (strncmp(path, ES_API_PREFIX "/", sizeof(ES_API_PREFIX)) != 0) {
		if (es_http_static(q->web_dir, q->method, path, r) < 0)
			es_resp_error(r, 404, "not_found", "no such resource; the API lives under /api/v1");
		return;
	}
	path += sizeof(ES_API_PREFIX) - 1;
	q->route = es_http_find(q->method, path, q->params, &q->nparams, &mismatch);
	if (q->route == NULL) {
		if (mismatch)
			es_resp_error(r, 405, "method_not_allowed", "this resource does not support that method");
		else
			es_resp_error(r, 404, "not_found", "no such resource; see /api/v1/openapi.json");
		return;
	}
	if (q->route->roles != ES_R_PUBLIC) {
		if (es_http_authenticate(q, r) < 0)
			return;
		if (!es_http_roles_allow(q->route, q->who.roles)) {
			es_resp_error(r, 403, "forbidden", "your roles do not allow this");
			return;
		}
		if (es_http_access(q, r) < 0)
			return;
	}
	q->route->fn(q, r);
}
