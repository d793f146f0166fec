/* libFuzzer target: what `eseal serve` does with request bytes before any
 * handler logic (STYLE.md rule 12) — the route lookup with its path
 * parameters, the web page's path check and MIME table, the JSON nesting
 * check and the JSON body parse (es_req_json: size cap, depth, json_loadb).
 * Input: "METHOD PATH\nBODY"; a first line without a space is a GET path.
 * Seeds: fuzz/corpora/http_fuzz/.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "http/http_int.h"

#define FUZZ_LINE_MAX 8192
#define FUZZ_METHOD_MAX 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Split the first line into method and path (both NUL-terminated copies). */
static void split_line(const uint8_t *data, size_t n, char method[FUZZ_METHOD_MAX], char *path)
{
	const uint8_t *sp = memchr(data, ' ', n);
	size_t mlen;

	if (sp == NULL || (size_t)(sp - data) >= FUZZ_METHOD_MAX) {
		snprintf(method, FUZZ_METHOD_MAX, "GET");
		memcpy(path, data, n);
		path[n] = '\0';
		return;
	}
	mlen = (size_t)(sp - data);
	memcpy(method, data, mlen);
	method[mlen] = '\0';
	memcpy(path, sp + 1, n - mlen - 1);
	path[n - mlen - 1] = '\0';
}

static void fuzz_route(const char *method, const char *path)
{
	char params[ES_HTTP_MAX_PARAMS][ES_HTTP_PARAM_LEN];
	const char *below = path;
	const es_route *rt;
	size_t nparams = 0, i;
	int mismatch = 0;
	int64_t id;
	es_hreq q;

	if (strncmp(path, ES_API_PREFIX, strlen(ES_API_PREFIX)) == 0)
		below = path + strlen(ES_API_PREFIX);
	rt = es_http_find(method, below, params, &nparams, &mismatch);
	if (rt == NULL)
		return;
	/* Parameters are NUL-terminated and as many as the pattern has. */
	if (nparams > ES_HTTP_MAX_PARAMS)
		abort();
	memset(&q, 0, sizeof(q));
	memcpy(q.params, params, sizeof(params));
	q.nparams = nparams;
	for (i = 0; i < nparams; i++) {
		if (memchr(params[i], '\0', ES_HTTP_PARAM_LEN) == NULL)
			abort();
		(void)es_param_id(&q, i, &id);
	}
	(void)es_http_roles_allow(rt, ES_R_MEMBER);
}

static void fuzz_static(const char *path)
{
	/* A path the web page would serve has no "." or ".." segment, no hidden name. */
	if (es_http_static_path_ok(path) && strstr(path, "/.") != NULL)
		abort();
	(void)es_http_mime(path);
}

static void fuzz_json(const uint8_t *body, size_t len)
{
	es_hreq q;
	es_hresp r;
	json_t *j;

	(void)es_http_json_depth_ok((const char *)body, len, ES_HTTP_JSON_MAX_DEPTH);
	memset(&q, 0, sizeof(q));
	memset(&r, 0, sizeof(r));
	q.method = "POST";
	q.path = "/session";
	q.body = len ? body : NULL;
	q.body_len = len;
	j = es_req_json(&q, &r);
	if (j != NULL) {
		(void)es_jstr(j, "login");
		json_decref(j);
	} else if (r.status != 400 && r.status != 413) {
		abort();   /* a refused body always gets 400 or 413 */
	}
	free(r.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t line = nl ? (size_t)(nl - data) : size;
	char method[FUZZ_METHOD_MAX];
	char *path;

	if (line > FUZZ_LINE_MAX)
		return 0;
	path = malloc(line + 1);
	if (path == NULL)
		return 0;
	split_line(data, line, method, path);
	fuzz_route(method, path);
	fuzz_static(path);
	free(path);
	if (nl != NULL)
		fuzz_json(nl + 1, size - line - 1);
	return 0;
}
