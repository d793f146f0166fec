/* Route table, matching, roles, JSON limits, errors, OpenAPI coverage.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <jansson.h>
#include "http/http_int.h"

static void match_binds_params_and_suffixes(void **state)
{
	char p[ES_HTTP_MAX_PARAMS][ES_HTTP_PARAM_LEN];
	size_t n = 0;

	(void)state;
	assert_true(es_http_match("/seals/{id}", "/seals/1100000000001", p, &n));
	assert_int_equal(n, 1);
	assert_string_equal(p[0], "1100000000001");
	assert_true(es_http_match("/documents/{id}/pages/{n}.png", "/documents/7/pages/12.png", p, &n));
	assert_int_equal(n, 2);
	assert_string_equal(p[0], "7");
	assert_string_equal(p[1], "12");
	assert_true(es_http_match("/crl/{family}.crl", "/crl/sm2.crl", p, &n));
	assert_string_equal(p[0], "sm2");
}

static void match_rejects_other_shapes(void **state)
{
	char p[ES_HTTP_MAX_PARAMS][ES_HTTP_PARAM_LEN];
	size_t n = 0;

	(void)state;
	assert_false(es_http_match("/seals/{id}", "/seals", p, &n));
	assert_false(es_http_match("/seals/{id}", "/seals/", p, &n));
	assert_false(es_http_match("/seals/{id}", "/seals/1/x", p, &n));
	assert_false(es_http_match("/crl/{family}.crl", "/crl/.crl", p, &n));
	assert_false(es_http_match("/documents/{id}/pages/{n}.png", "/documents/1/pages/2.jpg", p, &n));
	assert_false(es_http_match("/orgs", "/orgsx", p, &n));
}

static void find_tells_405_from_404(void **state)
{
	char p[ES_HTTP_MAX_PARAMS][ES_HTTP_PARAM_LEN];
	size_t n = 0;
	int mismatch = 0;

	(void)state;
	assert_non_null(es_http_find("GET", "/seals/123", p, &n, &mismatch));
	assert_null(es_http_find("PUT", "/seals/123", p, &n, &mismatch));
	assert_true(mismatch);
	assert_null(es_http_find("GET", "/nothing", p, &n, &mismatch));
	assert_false(mismatch);
	/* picture.png is its own route, not GET /seals/{id} with a dot */
	assert_ptr_equal(es_http_find("GET", "/seals/9/picture.png", p, &n, &mismatch)->fn, h_seal_png);
}

static void every_route_is_well_formed(void **state)
{
	size_t n, i, k;
	const es_route *rt = es_http_routes(&n);

	(void)state;
	assert_true(n >= 40);
	for (i = 0; i < n; i++) {
		assert_non_null(rt[i].fn);
		assert_true(rt[i].pattern[0] == '/');
		assert_true(strcmp(rt[i].method, "GET") == 0 || strcmp(rt[i].method, "POST") == 0 ||
			    strcmp(rt[i].method, "DELETE") == 0);
		for (k = i + 1; k < n; k++)
			assert_false(strcmp(rt[i].method, rt[k].method) == 0 &&
				     strcmp(rt[i].pattern, rt[k].pattern) == 0);
		/* object-scoped routes always authenticate */
		if (rt[i].scope != ES_SC_NONE)
			assert_int_not_equal(rt[i].roles, ES_R_PUBLIC);
	}
}

static const es_route *route(const char *method, const char *pattern)
{
	size_t n, i;
	const es_route *rt = es_http_routes(&n);

	for (i = 0; i < n; i++)
		if (strcmp(rt[i].method, method) == 0 && strcmp(rt[i].pattern, pattern) == 0)
			return &rt[i];
	fail_msg("no route %s %s", method, pattern);
	return NULL;
}

static void roles_table_says_who(void **state)
{
	char *pa[] = {"platform-admin"}, *rv[] = {"reviewer"}, *oa[] = {"org-admin"}, *au[] = {"auditor"},
	     *mem[] = {"member"};
	unsigned PA = es_http_role_bits(pa, 1), RV = es_http_role_bits(rv, 1), OA = es_http_role_bits(oa, 1),
		 AU = es_http_role_bits(au, 1), M = es_http_role_bits(mem, 1);

	(void)state;
	assert_true(es_http_roles_allow(route("POST", "/orgs"), PA));
	assert_false(es_http_roles_allow(route("POST", "/orgs"), OA));
	assert_false(es_http_roles_allow(route("POST", "/orgs"), M));
	assert_true(es_http_roles_allow(route("POST", "/users"), OA));
	assert_false(es_http_roles_allow(route("POST", "/users"), RV));
	assert_true(es_http_roles_allow(route("POST", "/seal-applications/{id}/decision"), RV));
	assert_false(es_http_roles_allow(route("POST", "/seal-applications/{id}/decision"), OA));
	assert_true(es_http_roles_allow(route("GET", "/audit"), AU));
	assert_true(es_http_roles_allow(route("GET", "/audit/verify"), PA));
	assert_false(es_http_roles_allow(route("GET", "/audit"), OA));
	assert_false(es_http_roles_allow(route("GET", "/audit"), M));
	assert_true(es_http_roles_allow(route("POST", "/verify"), 0));
	/* every user is a member */
	assert_true((es_http_role_bits(au, 1) & ES_R_MEMBER) != 0);
}

static void json_depth_is_limited(void **state)
{
	char deep[200];
	size_t i;

	(void)state;
	assert_true(es_http_json_depth_ok("{\"a\":[1,{\"b\":2}]}", 17, 3));
	assert_false(es_http_json_depth_ok("{\"a\":[1,{\"b\":2}]}", 17, 2));
	/* brackets inside strings do not count */
	assert_true(es_http_json_depth_ok("{\"a\":\"[[[[[\\\"[[[\"}", 18, 1));
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	for (i = 100; i < 200; i++)
		deep[i] = ']';
	assert_false(es_http_json_depth_ok(deep, sizeof(deep), ES_HTTP_JSON_MAX_DEPTH));
}

static void errors_map_to_statuses(void **state)
{
	(void)state;
	assert_int_equal(es_http_status_for(ES_EINVAL), 422);
	assert_int_equal(es_http_status_for(ES_ENOTFOUND), 404);
	assert_int_equal(es_http_status_for(ES_EEXISTS), 409);
	assert_int_equal(es_http_status_for(ES_ESTATE), 409);
	assert_int_equal(es_http_status_for(ES_EAUTH), 401);
	assert_int_equal(es_http_status_for(ES_EPERM), 403);
	assert_int_equal(es_http_status_for(ES_EBUSY), 429);
	assert_int_equal(es_http_status_for(ES_ESTORE), 500);
	assert_string_equal(es_http_code_for(413), "too_large");
}

static void error_body_is_json(void **state)
{
	es_hresp r;
	json_t *j;

	(void)state;
	memset(&r, 0, sizeof(r));
	es_resp_error(&r, 404, "not_found", "seal not found");
	assert_int_equal(r.status, 404);
	assert_string_equal(r.ctype, "application/json");
	j = json_loadb((const char *)r.body, r.len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "not_found");
	json_decref(j);
	free(r.body);
}

static void protected_route_without_credentials_is_401(void **state)
{
	es_hreq q;
	es_hresp r;

	(void)state;
	memset(&q, 0, sizeof(q));
	memset(&r, 0, sizeof(r));
	q.method = "GET";
	q.path = "/api/v1/seals";
	es_http_dispatch(&q, &r);
	assert_int_equal(r.status, 401);
	free(r.body);
	memset(&r, 0, sizeof(r));
	q.path = "/elsewhere";
	es_http_dispatch(&q, &r);
	assert_int_equal(r.status, 404);
	free(r.body);
	memset(&r, 0, sizeof(r));
	q.method = "PATCH";
	q.path = "/api/v1/orgs";
	es_http_dispatch(&q, &r);
	assert_int_equal(r.status, 405);
	free(r.body);
}

static void static_paths_stay_inside_the_web_dir(void **state)
{
	char dir[] = "/tmp/es-web-XXXXXX", path[128], link[128];
	es_hresp r;
	FILE *f;

	(void)state;
	assert_true(es_http_static_path_ok("/js/app.js"));
	assert_false(es_http_static_path_ok("/../etc/passwd"));
	assert_false(es_http_static_path_ok("/js/../../x.js"));
	assert_false(es_http_static_path_ok("/.git/config"));
	assert_false(es_http_static_path_ok("//etc/passwd"));
	assert_false(es_http_static_path_ok("/a%2e%2e/x.js"));
	assert_string_equal(es_http_mime("/js/app.js"), "text/javascript; charset=utf-8");
	assert_null(es_http_mime("/eseal.db"));
	assert_null(es_http_mime("/js.d/file"));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/index.html", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("<p>hi</p>", f);
	fclose(f);
	/* a symlink out of the directory is refused */
	snprintf(link, sizeof(link), "%s/passwd.txt", dir);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(es_http_static(dir, "GET", "/", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "text/html; charset=utf-8");
	free(r.body);
	memset(&r, 0, sizeof(r));
	assert_int_equal(es_http_static(dir, "GET", "/passwd.txt", &r), -1);
	assert_int_equal(es_http_static(dir, "POST", "/index.html", &r), -1);
	assert_null(r.body);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

/* Hostile paths and bodies: no crash, no match out of bounds (run under ASan). */
static void router_survives_random_input(void **state)
{
	char p[ES_HTTP_MAX_PARAMS][ES_HTTP_PARAM_LEN], path[300];
	unsigned seed = 12345;
	size_t n, i, k, len;
	int mismatch;
	static const char alphabet[] = "/{}.%a1-_[]\"\\";

	(void)state;
	for (i = 0; i < 20000; i++) {
		len = (seed = seed * 1103515245u + 12345u) % (sizeof(path) - 1);
		for (k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			path[k] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		path[len] = '\0';
		(void)es_http_find("GET", path, p, &n, &mismatch);
		(void)es_http_json_depth_ok(path, len, ES_HTTP_JSON_MAX_DEPTH);
		(void)es_http_static_path_ok(path);
		(void)es_http_mime(path);
	}
	/* a parameter longer than the buffer does not match */
	memset(path, '1', sizeof(path) - 1);
	memcpy(path, "/seals/", 7);
	path[sizeof(path) - 1] = '\0';
	assert_null(es_http_find("GET", path, p, &n, &mismatch));
}

/* Every route of the table is in docs/openapi.json and the other way round. */
static void openapi_lists_exactly_the_routes(void **state)
{
	size_t len = 0, n, i, count = 0;
	const char *doc = es_http_openapi(&len);
	const es_route *rt = es_http_routes(&n);
	json_t *j = json_loadb(doc, len, 0, NULL), *paths, *item, *op;
	const char *path, *method;

	(void)state;
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "openapi")), "3.0.3");
	paths = json_object_get(j, "paths");
	for (i = 0; i < n; i++) {
		char m[8];
		size_t k;
		for (k = 0; rt[i].method[k] && k + 1 < sizeof(m); k++)
			m[k] = (char)(rt[i].method[k] | 0x20);
		m[k] = '\0';
		if (json_object_get(json_object_get(paths, rt[i].pattern), m) == NULL)
			fail_msg("%s %s is not in docs/openapi.json", rt[i].method, rt[i].pattern);
	}
	json_object_foreach(paths, path, item) {
		json_object_foreach(item, method, op) {
			char up[8];
			size_t k;
			int found = 0;
			for (k = 0; method[k] && k + 1 < sizeof(up); k++)
				up[k] = (char)(method[k] & ~0x20);
			up[k] = '\0';
			for (i = 0; i < n; i++)
				found |= strcmp(rt[i].method, up) == 0 && strcmp(rt[i].pattern, path) == 0;
			if (!found)
				fail_msg("openapi.json has %s %s but the router does not", up, path);
			count++;
		}
	}
	assert_int_equal(count, n);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(match_binds_params_and_suffixes),
		cmocka_unit_test(match_rejects_other_shapes),
		cmocka_unit_test(find_tells_405_from_404),
		cmocka_unit_test(every_route_is_well_formed),
		cmocka_unit_test(roles_table_says_who),
		cmocka_unit_test(json_depth_is_limited),
		cmocka_unit_test(errors_map_to_statuses),
		cmocka_unit_test(error_body_is_json),
		cmocka_unit_test(protected_route_without_credentials_is_401),
		cmocka_unit_test(static_paths_stay_inside_the_web_dir),
		cmocka_unit_test(router_survives_random_input),
		cmocka_unit_test(openapi_lists_exactly_the_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
