/* Auto-sign reuses the seal's unwrapped key for a few seconds and records a
 * signature in one transaction.  A suspension, revocation or revoked grant
 * must still refuse the next request at once, even with the key cached and
 * even when another connection (another server thread) made the change.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "eseal/platform.h"
#include "eseal/server_ops.h"
#include "eseal/store_server.h"
#include "core/core.h"
#include "util/util.h"

#define TEST_PASSWORD "correct horse battery"

typedef struct fixture {
	char dir[32];
	char data[64];
	char code[32];
	es_platform *p;       /* the signing "thread" */
	es_platform *admin;   /* another connection: the keeper's requests */
	int64_t doc, grant;
} fixture;

static void add_user(es_platform *p, const char *login, const char *id_number, int64_t org, const char *role)
{
	const char *roles[1];
	es_user_new u = {0};
	int64_t uid = 0;
	es_err err = ES_ERR_INIT;

	roles[0] = role;
	u.login = login;
	u.name = "张三";
	u.id_number = id_number;
	u.org_id = org;
	u.roles = roles;
	u.nroles = 1;
	u.password = TEST_PASSWORD;
	assert_int_equal(es_user_add(p, &u, NULL, &uid, &err), 0);
}

static int64_t add_grant(fixture *f, int64_t max_uses)
{
	es_grant_new g = {0};
	int64_t id = 0;
	es_err err = ES_ERR_INIT;

	g.seal_code = f->code;
	g.login = "robot";
	g.max_uses = max_uses;
	g.auto_sign = 1;
	assert_int_equal(es_grant_add(f->admin, &g, "boss", 1, NULL, &id, &err), 0);
	return id;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	es_apply_req a = {0};
	unsigned char *pdf = NULL;
	size_t len = 0;
	int64_t org = 0, app = 0;
	es_err err = ES_ERR_INIT;

	assert_non_null(f);
	setenv("ESEAL_ARGON2_M_KIB", "1024", 1);
	setenv("ESEAL_ARGON2_T", "1", 1);
	snprintf(f->dir, sizeof(f->dir), "/tmp/es-sign-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->data, sizeof(f->data), "%s/d", f->dir);
	assert_int_equal(es_platform_init(f->data, NULL, &err), 0);
	assert_int_equal(es_platform_open(&f->p, f->data, &err), 0);
	assert_int_equal(es_platform_open(&f->admin, f->data, &err), 0);
	assert_int_equal(es_org_add(f->admin, "测试有限公司", "91330106MA2B3C4D5D", NULL, NULL, &org, &err), 0);
	add_user(f->admin, "boss", "11010519491231002X", org, "org-admin");
	add_user(f->admin, "robot", "330106199003071236", org, "member");
	a.owner_kind = "org";
	a.owner_org_id = org;
	a.kind = "contract";
	assert_int_equal(es_seal_apply(f->admin, &a, &app, &err), 0);
	assert_int_equal(es_seal_review(f->admin, app, 1, NULL, NULL, f->code, &err), 0);
	/* the seal's own one-page PDF is a fine document to seal */
	assert_int_equal(es_platform_seal_render(f->admin, f->code, "pdf", &pdf, &len, &err), 0);
	assert_int_equal(es_document_add(f->admin, "robot", "in.pdf", pdf, len, 0, NULL, &f->doc, &err), 0);
	free(pdf);
	f->grant = add_grant(f, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[96];

	es_platform_close(f->p);
	es_platform_close(f->admin);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* One auto-sign request of robot, as POST /documents/{id}/sign with a token. */
static int auto_sign(fixture *f, int64_t *new_id, es_err *err)
{
	es_srv_sign_req r;
	es_sign_result res;

	memset(&r, 0, sizeof(r));
	r.document_id = f->doc;
	r.seal_code = f->code;
	r.login = "robot";
	r.page = 1;
	r.x_mm = 20;
	r.y_mm = 20;
	r.auto_sign = 1;
	return es_srv_sign(f->p, &r, new_id, &res, err);
}

static void auto_sign_reuses_the_seal_key(void **state)
{
	fixture *f = *state;
	int64_t id1 = 0, id2 = 0;
	es_err err = ES_ERR_INIT;

	assert_int_equal(es_core_seal_keys_cached(f->p), 0);
	assert_int_equal(auto_sign(f, &id1, &err), 0);
	assert_int_equal(es_core_seal_keys_cached(f->p), 1);
	assert_int_equal(auto_sign(f, &id2, &err), 0);
	assert_int_equal(es_core_seal_keys_cached(f->p), 1);
	assert_true(id2 > id1);
}

static void suspended_seal_is_refused_although_its_key_is_cached(void **state)
{
	fixture *f = *state;
	int64_t id = 0;
	es_err err = ES_ERR_INIT;

	assert_int_equal(auto_sign(f, &id, &err), 0);
	assert_int_equal(es_seal_change_state(f->admin, f->code, "suspend", "盖章人离职", "boss", &err), 0);
	/* the other connection changed it: this platform still holds the key */
	assert_int_equal(es_core_seal_keys_cached(f->p), 1);
	assert_int_equal(auto_sign(f, &id, &err), ES_ESTATE);
	assert_non_null(strstr(err.msg, "suspended"));
	assert_int_equal(es_seal_change_state(f->admin, f->code, "resume", "复岗", "boss", &err), 0);
	assert_int_equal(auto_sign(f, &id, &err), 0);
}

static void revoked_seal_is_refused_although_its_key_is_cached(void **state)
{
	fixture *f = *state;
	int64_t id = 0;
	es_err err = ES_ERR_INIT;

	assert_int_equal(auto_sign(f, &id, &err), 0);
	assert_int_equal(es_seal_change_state(f->admin, f->code, "revoke", "单位注销", "boss", &err), 0);
	assert_int_equal(auto_sign(f, &id, &err), ES_ESTATE);
	assert_non_null(strstr(err.msg, "revoked"));
}

static void revoked_grant_is_refused_although_the_key_is_cached(void **state)
{
	fixture *f = *state;
	int64_t id = 0;
	es_err err = ES_ERR_INIT;

	assert_int_equal(auto_sign(f, &id, &err), 0);
	assert_int_equal(es_core_seal_keys_cached(f->p), 1);
	assert_int_equal(es_grant_remove(f->admin, f->grant, "boss", NULL, &err), 0);
	assert_int_equal(auto_sign(f, &id, &err), ES_EPERM);
}

static void state_change_on_the_same_platform_drops_the_key(void **state)
{
	fixture *f = *state;
	int64_t id = 0;
	es_err err = ES_ERR_INIT;

	assert_int_equal(auto_sign(f, &id, &err), 0);
	assert_int_equal(es_core_seal_keys_cached(f->p), 1);
	assert_int_equal(es_seal_change_state(f->p, f->code, "suspend", "盖章人离职", "boss", &err), 0);
	assert_int_equal(es_core_seal_keys_cached(f->p), 0);
}

static void cached_key_expires(void **state)
{
	fixture *f = *state;
	int64_t id = 0;
	es_err err = ES_ERR_INIT;

	/* two seconds: a whole-second clock may tick once between keeping the
	 * key and counting it (a TTL of one second made this flaky) */
	f->p->seal_key_ttl_s = 2;
	assert_int_equal(auto_sign(f, &id, &err), 0);
	assert_int_equal(es_core_seal_keys_cached(f->p), 1);
	sleep(3);
	assert_int_equal(es_core_seal_keys_cached(f->p), 0);
	f->p->seal_key_ttl_s = 0;   /* 0: nothing is kept */
	assert_int_equal(auto_sign(f, &id, &err), 0);
	assert_int_equal(es_core_seal_keys_cached(f->p), 0);
}

static void grant_uses_are_counted_once_per_signature(void **state)
{
	fixture *f = *state;
	es_grant_row g = {0};
	int64_t id = 0;
	es_err err = ES_ERR_INIT;

	assert_int_equal(es_grant_remove(f->admin, f->grant, "boss", NULL, &err), 0);
	f->grant = add_grant(f, 2);
	assert_int_equal(auto_sign(f, &id, &err), 0);
	assert_int_equal(auto_sign(f, &id, &err), 0);
	assert_int_equal(es_store_grant_get(es_platform_store(f->admin), f->grant, &g, &err), 0);
	assert_int_equal(g.uses, 2);
	es_grant_row_clear(&g);
	assert_int_equal(auto_sign(f, &id, &err), ES_EPERM);
	assert_int_equal(es_store_grant_get(es_platform_store(f->admin), f->grant, &g, &err), 0);
	assert_int_equal(g.uses, 2);
	es_grant_row_clear(&g);
}

/* es_sign_document (the console): a grant's use is spent, a grant that
 * needs approval is refused, the seal's owner organisation's keeper needs none. */
static void console_signature_through_a_grant_spends_one_use(void **state)
{
	fixture *f = *state;
	es_sign_req s = ES_SIGN_REQ_INIT;
	es_sign_result res;
	es_grant_new gn = {0};
	es_grant_row g = {0};
	char in[PATH_MAX], out[96];
	int64_t id = 0;
	es_err err = ES_ERR_INIT;

	assert_int_equal(es_document_path(f->admin, f->doc, in, sizeof(in), &err), 0);
	snprintf(out, sizeof(out), "%s/console.pdf", f->dir);
	s.seal_code = f->code;
	s.login = "robot";
	s.password = TEST_PASSWORD;
	s.in_path = in;
	s.out_path = out;
	s.x_mm = 20;
	s.y_mm = 20;
	assert_int_equal(es_sign_document(f->p, &s, &res, &err), 0);
	assert_int_equal(es_store_grant_get(es_platform_store(f->admin), f->grant, &g, &err), 0);
	assert_int_equal(g.uses, 1);
	es_grant_row_clear(&g);
	assert_int_equal(es_grant_remove(f->admin, f->grant, "boss", NULL, &err), 0);
	gn.seal_code = f->code;
	gn.login = "robot";
	gn.needs_approval = 1;
	assert_int_equal(es_grant_add(f->admin, &gn, "boss", 1, NULL, &id, &err), 0);
	assert_int_equal(es_sign_document(f->p, &s, &res, &err), ES_EPERM);
	assert_non_null(strstr(err.msg, "use request"));
	s.login = "boss";
	assert_int_equal(es_sign_document(f->p, &s, &res, &err), 0);
}

/* The signed document: the input's page table, the output's real hash, and
 * its three audit entries in order, written together. */
static void signed_document_row_and_audit(void **state)
{
	fixture *f = *state;
	es_doc_row in = {0}, out = {0};
	es_audit_row *rows = NULL;
	size_t n = 0;
	char path[PATH_MAX], sha[65], obj[32];
	int64_t id = 0;
	es_err err = ES_ERR_INIT;

	assert_int_equal(auto_sign(f, &id, &err), 0);
	assert_int_equal(es_store_doc_get(es_platform_store(f->admin), f->doc, &in, &err), 0);
	assert_int_equal(es_store_doc_get(es_platform_store(f->admin), id, &out, &err), 0);
	assert_int_equal(out.pages, in.pages);
	assert_string_equal(out.page_sizes, in.page_sizes);
	assert_string_equal(out.format, "pdf");
	assert_int_equal(out.parent_id, in.id);
	assert_int_equal(es_document_path(f->admin, id, path, sizeof(path), &err), 0);
	assert_int_equal(es_file_sha256(sha, path, &err), 0);
	assert_string_equal(out.sha256, sha);
	assert_int_equal(es_store_audit_list(es_platform_store(f->admin), &rows, &n, &err), 0);
	assert_true(n >= 3);
	assert_string_equal(rows[n - 3].action, "document.sign");
	assert_string_equal(rows[n - 3].outcome, "ok");
	assert_string_equal(rows[n - 2].action, "document.add");
	snprintf(obj, sizeof(obj), "document:%lld", (long long)id);
	assert_string_equal(rows[n - 2].object, obj);
	assert_string_equal(rows[n - 1].action, "server.sign");
	ES_ROWS_FREE(rows, n, es_audit_row_clear);
	es_doc_row_clear(&in);
	es_doc_row_clear(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(auto_sign_reuses_the_seal_key, setup, teardown),
		cmocka_unit_test_setup_teardown(suspended_seal_is_refused_although_its_key_is_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(revoked_seal_is_refused_although_its_key_is_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(revoked_grant_is_refused_although_the_key_is_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(state_change_on_the_same_platform_drops_the_key, setup, teardown),
		cmocka_unit_test_setup_teardown(cached_key_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(grant_uses_are_counted_once_per_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(signed_document_row_and_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(console_signature_through_a_grant_spends_one_use, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
