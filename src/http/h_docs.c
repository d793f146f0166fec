/* Documents, use requests (用印审批) and signing.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "eseal/pdf.h"
#include "http_int.h"
#include "util/util.h"

#define ES_FILENAME_MAX 200
#define ES_DPI_DEFAULT 96
#define ES_DPI_MIN 36
#define ES_DPI_MAX 300

/* X-Filename is percent-encoded UTF-8 (fetch cannot send other bytes in a
 * header).  Keep printable characters; never a path. */
static void clean_filename(char *out, size_t cap, const char *in)
{
	size_t i, o = 0;

	if (in == NULL)
		in = "";
	for (i = 0; in[i] && o + 1 < cap && i < 3 * ES_FILENAME_MAX; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '%' && es_hex_value((unsigned char)in[i + 1]) >= 0 && es_hex_value((unsigned char)in[i + 2]) >= 0) {
			c = (unsigned char)(es_hex_value((unsigned char)in[i + 1]) * 16 + es_hex_value((unsigned char)in[i + 2]));
			i += 2;
		}
		out[o++] = (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '"') ? '_' : (char)c;
	}
	out[o] = '\0';
}

static json_t *doc_json(const es_doc_row *d)
{
	json_t *sizes = json_loads(d->page_sizes, 0, NULL);

	return json_pack("{s:I,s:s,s:s,s:s,s:i,s:I,s:o,s:s,s:I,s:I}",
		"id", (json_int_t)d->id, "filename", d->filename, "format", d->format, "sha256", d->sha256,
		"pages", d->pages, "size", (json_int_t)d->size, "page_sizes_mm", sizes ? sizes : json_array(),
		"owner", d->owner_login, "parent_id", (json_int_t)d->parent_id,
		"created_at", (json_int_t)d->created_at);
}

static int doc_reply(es_hreq *q, es_hresp *r, int status, int64_t id)
{
	es_doc_row d = {0};
	es_err err = ES_ERR_INIT;

	if (es_store_doc_get(es_platform_store(q->p), id, &d, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_json(r, status, doc_json(&d));
	es_doc_row_clear(&d);
	return 0;
}

int h_doc_add(es_hreq *q, es_hresp *r)
{
	const char *ct = es_req_header(q, "Content-Type");
	char name[ES_FILENAME_MAX + 1];
	es_err err = ES_ERR_INIT;
	int64_t id = 0;

	if (ct == NULL || (strncmp(ct, "application/pdf", 15) != 0 && strncmp(ct, "application/ofd", 15) != 0)) {
		es_resp_error(r, 415, "unsupported_media_type", "send the document as application/pdf or application/ofd");
		return 0;
	}
	clean_filename(name, sizeof(name), es_req_header(q, "X-Filename"));
	if (es_document_add(q->p, q->who.login, name, q->body, q->body_len, 0, q->client, &id, &err) < 0) {
		es_resp_err(r, &err);
		return 0;
	}
	return doc_reply(q, r, 201, id);
}

int h_doc_get(es_hreq *q, es_hresp *r)
{
	int64_t id = 0;

	(void)es_param_id(q, 0, &id);
	return doc_reply(q, r, 200, id);
}

int h_doc_content(es_hreq *q, es_hresp *r)
{
	es_doc_row d = {0};
	es_buf b = {0};
	es_err err = ES_ERR_INIT;
	char path[PATH_MAX];
	int64_t id = 0;

	(void)es_param_id(q, 0, &id);
	if (es_store_doc_get(es_platform_store(q->p), id, &d, &err) < 0 ||
	    es_document_path(q->p, id, path, sizeof(path), &err) < 0 ||
	    es_file_read(&b, path, q->opts->max_body * 2, &err) < 0) {
		es_resp_err(r, &err);
	} else {
		es_resp_bytes(r, 200, strcmp(d.format, "pdf") == 0 ? "application/pdf" : "application/ofd",
			      b.data, b.len);
		snprintf(r->disposition, sizeof(r->disposition), "attachment; filename=\"document-%lld.%s\"",
			 (long long)id, d.format);
	}
	es_doc_row_clear(&d);
	return 0;
}

int h_doc_page(es_hreq *q, es_hresp *r)
{
	char path[PATH_MAX];
	const char *dpis = es_req_query(q, "dpi");
	unsigned char *png = NULL;
	size_t len = 0;
	long page = 0, dpi = ES_DPI_DEFAULT;
	es_err err = ES_ERR_INIT;
	int64_t id = 0;

	(void)es_param_id(q, 0, &id);
	if (q->nparams < 2 || es_parse_long(&page, q->params[1], 1, INT_MAX) < 0) {
		es_resp_error(r, 404, "not_found", "page not found");
		return 0;
	}
	if (dpis != NULL && es_parse_long(&dpi, dpis, ES_DPI_MIN, ES_DPI_MAX) < 0) {
		es_resp_error(r, 422, "invalid", "dpi must be between 36 and 300");
		return 0;
	}
	if (es_document_path(q->p, id, path, sizeof(path), &err) < 0 ||
	    es_render_page(path, (int)page, (int)dpi, &png, &len, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_bytes(r, 200, "image/png", png, len);
	return 0;
}

static int parse_level(const char *s)
{
	if (s == NULL)
		return 0;
	if (strcmp(s, "B-B") == 0)
		return ES_PADES_B_B;
	if (strcmp(s, "B-T") == 0)
		return ES_PADES_B_T;
	if (strcmp(s, "B-LT") == 0)
		return ES_PADES_B_LT;
	if (strcmp(s, "B-LTA") == 0)
		return ES_PADES_B_LTA;
	return -1;
}

/* placement: {page, x_mm, y_mm} | {keyword} | {cross_page: true} */
static int parse_placement(json_t *pl, es_srv_sign_req *s)
{
	json_t *v;

	if (!json_is_object(pl))
		return -1;
	if (json_is_true(json_object_get(pl, "cross_page"))) {
		s->cross_page = 1;
		s->page = ES_PDF_PAGE_ALL;
		return 0;
	}
	if (es_jstr(pl, "keyword") != NULL) {
		s->keyword = es_jstr(pl, "keyword");
		s->page = ES_PDF_PAGE_ALL;
		return 0;
	}
	v = json_object_get(pl, "page");
	if (!json_is_integer(v) || !json_is_number(json_object_get(pl, "x_mm")) ||
	    !json_is_number(json_object_get(pl, "y_mm")))
		return -1;
	s->page = (int)json_integer_value(v);
	s->x_mm = json_number_value(json_object_get(pl, "x_mm"));
	s->y_mm = json_number_value(json_object_get(pl, "y_mm"));
	return s->page >= 1 || s->page == ES_PDF_PAGE_LAST ? 0 : -1;
}

#define ES_SIGN_BATCH_MAX 20

/* One signature's fields ({seal_id, placement, level?, use_request_id?}) from o. */
static int parse_one(json_t *o, es_srv_sign_req *s)
{
	json_t *v = json_object_get(o, "use_request_id");
	int level = parse_level(es_jstr(o, "level"));

	s->seal_code = es_jstr(o, "seal_id");
	s->use_request_id = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
	s->level = level;
	s->page = 0;
	s->x_mm = s->y_mm = 0;
	s->keyword = NULL;
	s->cross_page = 0;
	return s->seal_code == NULL || parse_placement(json_object_get(o, "placement"), s) < 0 || level < 0 ? -1 : 0;
}

/* POST /documents/{id}/sign: one signature ({seal_id, placement, ...}) or a
 * batch ({signatures: [{seal_id, placement, ...}, ...]}) made one after the
 * other, each on the previous result, after one identity proof: a TOTP code
 * passes once, so several seals on one document need one request. */
int h_doc_sign(es_hreq *q, es_hresp *r)
{
	json_t *j = es_req_json(q, r), *list, *done = NULL;
	es_srv_sign_req s;
	es_sign_result res;
	es_err err = ES_ERR_INIT;
	int64_t new_id = 0;
	size_t n = 1, i;

	if (j == NULL)
		return 0;
	memset(&s, 0, sizeof(s));
	(void)es_param_id(q, 0, &s.document_id);
	s.login = q->who.login;
	s.password = es_jstr(j, "password");
	s.totp = es_jstr(j, "totp");
	s.client = q->client;
	/* Auto-sign (自动签署): an API token without password, through an auto-sign grant only. */
	s.auto_sign = s.password == NULL && s.totp == NULL && q->who.via_token;
	list = json_object_get(j, "signatures");
	if (list != NULL)
		n = json_is_array(list) ? json_array_size(list) : 0;
	if (n == 0 || n > ES_SIGN_BATCH_MAX || parse_one(list ? json_array_get(list, 0) : j, &s) < 0) {
		es_resp_error(r, 400, "bad_request",
			      "seal_id and placement ({page,x_mm,y_mm}, {keyword} or {cross_page:true}) are required "
			      "(or signatures: a list of 1 to 20 of them); level is B-B, B-T, B-LT or B-LTA");
		goto out;
	}
	for (i = 1; i < n; i++) {
		es_srv_sign_req t = s;

		if (parse_one(json_array_get(list, i), &t) < 0) {
			char msg[96];

			snprintf(msg, sizeof(msg), "signature %zu of the list: seal_id and placement are required", i + 1);
			es_resp_error(r, 400, "bad_request", msg);
			goto out;
		}
	}
	if (s.password == NULL && s.totp == NULL && !q->who.via_token) {
		/* 意愿确认: a person signs by proving it is them, every time. */
		es_resp_error(r, 401, "unauthenticated", "confirm it is you: send password (and totp when enrolled)");
		goto out;
	}
	done = json_array();
	for (i = 0; i < n; i++) {
		if (i > 0) {
			(void)parse_one(json_array_get(list, i), &s);
			s.document_id = new_id;
			s.identity_checked = 1;
		}
		if (es_srv_sign(q->p, &s, &new_id, &res, &err) < 0) {
			if (i > 0) { /* the signatures made so far stay, as documents of their own */
				es_err why = err;

				es_err_set(&err, why.code, "signature %zu of %zu: %.150s (signatures 1 to %zu were made: "
					   "document %lld)", i + 1, n, why.msg, i, (long long)s.document_id);
			}
			es_resp_err(r, &err);
			goto out;
		}
		json_array_append_new(done, json_integer(new_id));
	}
	es_resp_json(r, 201, json_pack("{s:I,s:s,s:s,s:O}", "document_id", (json_int_t)new_id,
				       "sha256", res.sha256_after, "format", res.format, "documents", done));
out:
	json_decref(done);
	if (s.password != NULL)
		OPENSSL_cleanse((char *)s.password, strlen(s.password));
	json_decref(j);
	return 0;
}

/* ---- use requests ---- */

int h_usereq_add(es_hreq *q, es_hresp *r)
{
	json_t *j = es_req_json(q, r), *v;
	es_seal_row s = {0};
	es_doc_row d = {0};
	es_err err = ES_ERR_INIT;
	const char *code;
	int64_t doc_id, id = 0;

	if (j == NULL)
		return 0;
	code = es_jstr(j, "seal_id");
	v = json_object_get(j, "document_id");
	doc_id = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
	if (code == NULL || doc_id <= 0) {
		es_resp_error(r, 400, "bad_request", "seal_id and document_id are required");
		goto out;
	}
	/* Both must be visible to the requester: the same rules as their routes. */
	if (es_store_seal_get(es_platform_store(q->p), code, &s, NULL) < 0 || !es_seal_visible(q, &s)) {
		es_resp_error(r, 404, "not_found", "seal not found");
		goto out;
	}
	if (es_store_doc_get(es_platform_store(q->p), doc_id, &d, NULL) < 0 || !es_doc_visible(&q->who, &d)) {
		es_resp_error(r, 404, "not_found", "document not found");
		goto out;
	}
	if (es_use_request_add(q->p, code, doc_id, q->who.login, es_jstr(j, "reason"), q->client, &id, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_json(r, 201, json_pack("{s:I,s:s}", "id", (json_int_t)id, "sha256", d.sha256));
out:
	es_seal_row_clear(&s);
	es_doc_row_clear(&d);
	json_decref(j);
	return 0;
}

static json_t *usereq_json(const es_usereq_row *u)
{
	return json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:I}",
		"id", (json_int_t)u->id, "seal_id", u->seal_code, "document_id", (json_int_t)u->document_id,
		"sha256", u->doc_sha256, "login", u->login, "reason", u->reason, "state", u->state,
		"decider", u->decider, "created_at", (json_int_t)u->created_at);
}

/* May the caller see this request?  Its requester, or a keeper of its seal. */
static int usereq_listed(es_hreq *q, const es_usereq_row *u)
{
	es_seal_row s = {0};
	int ok;

	if (strcmp(u->login, q->who.login) == 0)
		return 1;
	if (es_store_seal_get(es_platform_store(q->p), u->seal_code, &s, NULL) < 0)
		return 0;
	ok = es_seal_keeps(&q->who, &s);
	es_seal_row_clear(&s);
	return ok;
}

int h_usereq_list(es_hreq *q, es_hresp *r)
{
	const char *state = es_req_query(q, "state");
	es_usereq_row *rows = NULL;
	size_t n = 0, i;
	es_err err = ES_ERR_INIT;
	json_t *a;

	if (state != NULL && strcmp(state, "pending") == 0)
		state = "submitted";
	if (es_store_usereq_list(es_platform_store(q->p), state, &rows, &n, &err) < 0) {
		es_resp_err(r, &err);
		return 0;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		if (usereq_listed(q, &rows[i]))
			json_array_append_new(a, usereq_json(&rows[i]));
	ES_ROWS_FREE(rows, n, es_usereq_row_clear);
	es_resp_json(r, 200, json_pack("{s:o}", "use_requests", a));
	return 0;
}

int h_usereq_get(es_hreq *q, es_hresp *r)
{
	es_usereq_row u = {0};
	es_err err = ES_ERR_INIT;
	int64_t id = 0;

	(void)es_param_id(q, 0, &id);
	if (es_store_usereq_get(es_platform_store(q->p), id, &u, &err) < 0) {
		es_resp_err(r, &err);
		return 0;
	}
	es_resp_json(r, 200, usereq_json(&u));
	es_usereq_row_clear(&u);
	return 0;
}

int h_usereq_decide(es_hreq *q, es_hresp *r)
{
	json_t *j = es_req_json(q, r), *approve;
	es_err err = ES_ERR_INIT;
	int64_t id = 0;

	if (j == NULL)
		return 0;
	approve = json_object_get(j, "approve");
	(void)es_param_id(q, 0, &id);
	if (!json_is_boolean(approve))
		es_resp_error(r, 400, "bad_request", "approve (true or false) is required");
	else if (es_use_request_decide(q->p, id, json_is_true(approve), es_jstr(j, "reason"), q->who.login,
				       q->client, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_json(r, 200, json_pack("{s:I,s:s}", "id", (json_int_t)id,
					       "state", json_is_true(approve) ? "approved" : "rejected"));
	json_decref(j);
	return 0;
}
