/* Responses and request helpers.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_int.h"
#include "util/util.h"

void es_resp_json(es_hresp *r, int status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	free(r->body);
	r->body = NULL;
	r->len = 0;
	if (s == NULL) {
		static const char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
		r->body = (unsigned char *)strdup(oom);
		r->len = r->body ? strlen(oom) : 0;
		r->status = 500;
	} else {
		r->body = (unsigned char *)s;
		r->len = strlen(s);
		r->status = status;
	}
	snprintf(r->ctype, sizeof(r->ctype), "application/json");
}

void es_resp_error(es_hresp *r, int status, const char *code, const char *msg)
{
	es_resp_json(r, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
}

void es_resp_retry(es_hresp *r, long seconds, const char *msg)
{
	r->retry_after = seconds > 0 ? seconds : 1;
	es_resp_json(r, 429, json_pack("{s:{s:s,s:s,s:I}}", "error", "code", "rate_limited", "message", msg,
				       "retry_after", (json_int_t)r->retry_after));
}

void es_resp_err(es_hresp *r, const es_err *err)
{
	int status = es_http_status_for(err->code);

	if (status == 500)
		fprintf(stderr, "eseal serve: internal error: %s\n", err->msg);
	es_resp_error(r, status, es_http_code_for(status),
		      status == 500 ? "internal error; see the server log" :
		      err->msg[0] ? err->msg : es_strerror(err->code));
}

void es_resp_bytes(es_hresp *r, int status, const char *ctype, unsigned char *data, size_t len)
{
	free(r->body);
	r->body = data;
	r->len = len;
	r->status = status;
	snprintf(r->ctype, sizeof(r->ctype), "%s", ctype);
}

const char *es_req_header(es_hreq *q, const char *name)
{
	return q->lookup ? q->lookup(q->ctx, ES_LK_HEADER, name) : NULL;
}

const char *es_req_query(es_hreq *q, const char *name)
{
	return q->lookup ? q->lookup(q->ctx, ES_LK_QUERY, name) : NULL;
}

const char *es_req_cookie(es_hreq *q, const char *name)
{
	return q->lookup ? q->lookup(q->ctx, ES_LK_COOKIE, name) : NULL;
}

json_t *es_req_json(es_hreq *q, es_hresp *r)
{
	json_error_t je;
	json_t *j;

	if (q->body_len > ES_HTTP_JSON_MAX_BYTES) {
		es_resp_error(r, 413, "too_large", "JSON body too large");
		return NULL;
	}
	if (!es_http_json_depth_ok((const char *)q->body, q->body_len, ES_HTTP_JSON_MAX_DEPTH)) {
		es_resp_error(r, 400, "bad_request", "JSON nested too deeply");
		return NULL;
	}
	j = json_loadb((const char *)(q->body ? q->body : (const unsigned char *)""), q->body_len,
		       JSON_REJECT_DUPLICATES, &je);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		es_resp_error(r, 400, "bad_request", "the body must be a JSON object");
		return NULL;
	}
	return j;
}

const char *es_jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int es_param_id(es_hreq *q, size_t i, int64_t *out)
{
	long v;

	if (i >= q->nparams || es_parse_long(&v, q->params[i], 1, LONG_MAX) < 0)
		return -1;
	*out = v;
	return 0;
}
