/* Public services (verify, TSA, OCSP, CRL, API description) and the audit log.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/ocsp.h>
#include "eseal/report.h"
#include "http_int.h"
#include "util/util.h"

#define ES_AUDIT_PAGE_MAX 1000
#define ES_DAY_S 86400

int h_openapi(es_hreq *q, es_hresp *r)
{
	size_t len = 0;
	const char *doc = es_http_openapi(&len);
	unsigned char *copy = malloc(len + 1);

	(void)q;
	if (copy == NULL) {
		es_resp_error(r, 500, "internal", "out of memory");
		return 0;
	}
	memcpy(copy, doc, len + 1);
	es_resp_bytes(r, 200, "application/json", copy, len);
	return 0;
}

int h_verify(es_hreq *q, es_hresp *r)
{
	char *json = NULL;
	es_report rep;
	es_err err = ES_ERR_INIT;

	memset(&rep, 0, sizeof(rep));
	if (q->body_len == 0) {
		es_resp_error(r, 400, "bad_request", "send the file to verify as the request body");
		return 0;
	}
	/* In memory: an upload from anyone never touches the disk. */
	if (es_verify_mem(&rep, q->p, q->body, q->body_len, NULL, &err) < 0) {
		es_resp_error(r, 422, "invalid", "the file is not a seal, PDF or OFD that eseal can read");
	} else if (es_report_json(&json, &rep, &err) < 0) {
		es_resp_err(r, &err);
	} else {
		es_resp_bytes(r, 200, "application/json", (unsigned char *)json, strlen(json));
	}
	es_report_clear(&rep);
	return 0;
}

/* "1700000000" or "2026-11-25" (UTC). */
static int parse_time(const char *s, time_t *out)
{
	long v;
	struct tm tm;
	char *end;

	if (es_parse_long(&v, s, 0, LONG_MAX) == 0) {
		*out = (time_t)v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	*out = timegm(&tm);
	return 0;
}

static int in_list(char **logins, size_t n, const char *login)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(logins[i], login) == 0)
			return 1;
	return 0;
}

typedef struct audit_filter {
	time_t from, to;
	const char *actor, *seal;
	int scoped;            /* org auditor: only actors of its org */
	char **logins;
	size_t nlogins;
} audit_filter;

static int audit_keep(const audit_filter *f, const es_audit_row *a)
{
	if (a->ts < f->from || a->ts > f->to)
		return 0;
	if (f->actor && strcmp(a->actor, f->actor) != 0)
		return 0;
	if (f->seal && strstr(a->object, f->seal) == NULL && strstr(a->details, f->seal) == NULL)
		return 0;
	return !f->scoped || in_list(f->logins, f->nlogins, a->actor);
}

static int audit_scope(es_hreq *q, audit_filter *f, es_err *err)
{
	es_user_row *users = NULL;
	size_t n = 0, i;
	int rc;

	if ((q->who.roles & ES_R_PLATFORM_ADMIN) || q->who.org_id == 0)
		return 0;
	f->scoped = 1;
	if ((rc = es_store_user_list(es_platform_store(q->p), q->who.org_id, &users, &n, err)) < 0)
		return rc;
	f->logins = calloc(n ? n : 1, sizeof(char *));
	for (i = 0; f->logins && i < n; i++) {
		f->logins[i] = users[i].login;
		users[i].login = NULL;
	}
	f->nlogins = f->logins ? n : 0;
	ES_ROWS_FREE(users, n, es_user_row_clear);
	return 0;
}

int h_audit_list(es_hreq *q, es_hresp *r)
{
	audit_filter f = {0, 0, NULL, NULL, 0, NULL, 0};
	const char *from = es_req_query(q, "from"), *to = es_req_query(q, "to");
	es_audit_row *rows = NULL;
	size_t n = 0, i, shown = 0;
	es_err err = ES_ERR_INIT;
	json_t *a;

	f.to = (time_t)LONG_MAX;
	if ((from && parse_time(from, &f.from) < 0) || (to && parse_time(to, &f.to) < 0)) {
		es_resp_error(r, 422, "invalid", "from and to are Unix seconds or YYYY-MM-DD");
		return 0;
	}
	if (to && strchr(to, '-') != NULL)
		f.to += ES_DAY_S - 1; /* a date means the whole day */
	f.actor = es_req_query(q, "actor");
	f.seal = es_req_query(q, "seal");
	if (audit_scope(q, &f, &err) < 0 ||
	    es_store_audit_list(es_platform_store(q->p), &rows, &n, &err) < 0) {
		es_resp_err(r, &err);
		goto out;
	}
	a = json_array();
	for (i = n; i > 0 && shown < ES_AUDIT_PAGE_MAX; i--) {
		const es_audit_row *e = &rows[i - 1];
		if (!audit_keep(&f, e))
			continue;
		json_array_append_new(a, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
			"id", (json_int_t)e->id, "ts", (json_int_t)e->ts, "actor", e->actor, "action", e->action,
			"object", e->object, "details", e->details, "client", e->client, "outcome", e->outcome,
			"hash", e->hash));
		shown++;
	}
	es_resp_json(r, 200, json_pack("{s:o}", "entries", a));
out:
	ES_ROWS_FREE(rows, n, es_audit_row_clear);
	for (i = 0; i < f.nlogins; i++)
		free(f.logins[i]);
	free(f.logins);
	return 0;
}

int h_audit_verify(es_hreq *q, es_hresp *r)
{
	int64_t bad = 0;
	size_t count = 0;
	char why[256];
	es_err err = ES_ERR_INIT;

	if (es_audit_verify(q->p, &bad, &count, why, sizeof(why), &err) < 0) {
		es_resp_err(r, &err);
		return 0;
	}
	es_resp_json(r, 200, json_pack("{s:b,s:I,s:I,s:s}", "intact", bad == 0, "entries", (json_int_t)count,
				       "first_bad_id", (json_int_t)bad, "reason", bad ? why : ""));
	return 0;
}

/* ---- TSA, OCSP, CRL ---- */

static int content_type_is(es_hreq *q, const char *want)
{
	const char *ct = es_req_header(q, "Content-Type");
	return ct != NULL && strncmp(ct, want, strlen(want)) == 0;
}

int h_tsa(es_hreq *q, es_hresp *r)
{
	const es_pki_family *f;
	STACK_OF(X509) *chain = NULL;
	unsigned char *resp = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;

	if (!content_type_is(q, "application/timestamp-query")) {
		es_resp_error(r, 415, "unsupported_media_type", "send an application/timestamp-query");
		return 0;
	}
	if (es_platform_family(q->p, ES_ALG_P256, &f, &err) < 0) {
		es_resp_err(r, &err);
		return 0;
	}
	chain = sk_X509_new_null();
	if (chain != NULL && X509_up_ref(f->issuing) && !sk_X509_push(chain, f->issuing))
		X509_free(f->issuing);
	if (es_tsa_respond(&resp, &len, q->body, q->body_len, f->tsa, f->tsa_key, chain, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_bytes(r, 200, "application/timestamp-reply", resp, len);
	sk_X509_pop_free(chain, X509_free);
	return 0;
}

typedef struct ocsp_ctx {
	es_platform *p;
	const char *family;
} ocsp_ctx;

static int ocsp_status(void *ctx, const char *serial_hex, int *revoked, time_t *when, int *reason)
{
	ocsp_ctx *c = ctx;
	es_revocation_row *rows = NULL;
	size_t n = 0, i;

	*revoked = 0;
	if (es_store_revocation_list(es_platform_store(c->p), c->family, &rows, &n, NULL) < 0)
		return ES_ESTORE;
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].serial_hex, serial_hex) == 0) {
			*revoked = 1;
			*when = rows[i].when;
			*reason = rows[i].reason;
		}
	}
	ES_ROWS_FREE(rows, n, es_revocation_row_clear);
	return 0;
}

/* Which family's issuing CA does the first CertID of the request name? */
static es_alg ocsp_family(es_platform *p, const unsigned char *req, size_t len)
{
	const unsigned char *d = req;
	OCSP_REQUEST *rq = d2i_OCSP_REQUEST(NULL, &d, (long)len);
	const es_pki_family *f;
	es_alg alg = ES_ALG_P256;

	if (rq != NULL && OCSP_request_onereq_count(rq) > 0 &&
	    es_platform_family(p, ES_ALG_SM2, &f, NULL) == 0) {
		OCSP_CERTID *id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(rq, 0));
		ASN1_OBJECT *md_obj = NULL;
		const EVP_MD *md;
		OCSP_CERTID *mine;
		OCSP_id_get0_info(NULL, &md_obj, NULL, NULL, id);
		md = md_obj ? EVP_get_digestbyobj(md_obj) : NULL;
		mine = md ? OCSP_cert_id_new(md, X509_get_subject_name(f->issuing),
					     X509_get0_pubkey_bitstr(f->issuing), NULL) : NULL;
		if (mine != NULL && OCSP_id_issuer_cmp(mine, id) == 0)
			alg = ES_ALG_SM2;
		OCSP_CERTID_free(mine);
	}
	OCSP_REQUEST_free(rq);
	return alg;
}

int h_ocsp(es_hreq *q, es_hresp *r)
{
	const es_pki_family *f;
	unsigned char *resp = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;
	ocsp_ctx c;
	es_alg alg;

	if (!content_type_is(q, "application/ocsp-request")) {
		es_resp_error(r, 415, "unsupported_media_type", "send an application/ocsp-request");
		return 0;
	}
	alg = ocsp_family(q->p, q->body, q->body_len);
	c.p = q->p;
	c.family = es_alg_name(alg);
	if (es_platform_family(q->p, alg, &f, &err) < 0 ||
	    es_ocsp_respond(&resp, &len, q->body, q->body_len, f->issuing, f->ocsp, f->ocsp_key, ocsp_status,
			    &c, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_bytes(r, 200, "application/ocsp-response", resp, len);
	return 0;
}

int h_crl(es_hreq *q, es_hresp *r)
{
	unsigned char *der = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;
	es_alg alg;

	if (strcmp(q->params[0], "sm2") == 0)
		alg = ES_ALG_SM2;
	else if (strcmp(q->params[0], "p256") == 0)
		alg = ES_ALG_P256;
	else {
		es_resp_error(r, 404, "not_found", "CRLs are sm2.crl and p256.crl");
		return 0;
	}
	if (es_platform_crl(q->p, alg, &der, &len, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_bytes(r, 200, "application/pkix-crl", der, len);
	return 0;
}
