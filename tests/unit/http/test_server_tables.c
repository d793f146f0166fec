/* Store tables of the server: sessions, tokens, grants, use requests, throttling.
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
#include "eseal/store.h"
#include "eseal/store_server.h"
#include "store_fixture.h"

static int setup(void **state)
{
	fixture *f = NULL;
	es_seal_row s;
	static unsigned char b[] = {1};

	if (store_fixture_open(&f, "es-srvtab") < 0) {
		*state = f;
		return -1;
	}
	/* grants and use requests reference a seal */
	memset(&s, 0, sizeof(s));
	s.code = "1100000000001";
	s.kind = "company";
	s.name = "x";
	s.owner_kind = "org";
	s.state = "active";
	s.valid_end = 1;
	s.sm2_cert.data = s.sm2_key.data = s.p256_cert.data = s.p256_key.data = s.esl.data = s.picture_png.data = b;
	s.sm2_cert.len = s.sm2_key.len = s.p256_cert.len = s.p256_key.len = s.esl.len = s.picture_png.len = 1;
	if (es_store_seal_insert(f->st, &s, NULL) < 0)
		return -1;
	*state = f;
	return 0;
}

static void schema_includes_server_tables(void **state)
{
	fixture *f = *state;
	assert_true(es_store_schema_version(f->st) >= 2);
}

static void grant_uses_run_out(void **state)
{
	fixture *f = *state;
	es_grant_row g = {0}, got = {0};

	g.seal_code = "1100000000001";
	g.login = "bob";
	g.granted_by = "alice";
	g.max_uses = 2;
	g.created_at = 1;
	assert_int_equal(es_store_grant_insert(f->st, &g, NULL), 0);
	assert_true(g.id > 0);
	assert_int_equal(es_store_grant_find_valid(f->st, "1100000000001", "bob", 10, &got, NULL), 0);
	assert_int_equal(got.id, g.id);
	es_grant_row_clear(&got);
	assert_int_equal(es_store_grant_use(f->st, g.id, NULL), 0);
	assert_int_equal(es_store_grant_use(f->st, g.id, NULL), 0);
	assert_int_equal(es_store_grant_use(f->st, g.id, NULL), ES_ESTATE);
	assert_int_equal(es_store_grant_find_valid(f->st, "1100000000001", "bob", 10, &got, NULL), ES_ENOTFOUND);
	assert_int_equal(es_store_grant_unuse(f->st, g.id, NULL), 0);
	assert_int_equal(es_store_grant_find_valid(f->st, "1100000000001", "bob", 10, &got, NULL), 0);
	es_grant_row_clear(&got);
	assert_int_equal(es_store_grant_revoke(f->st, g.id, NULL), 0);
	assert_int_equal(es_store_grant_revoke(f->st, g.id, NULL), ES_ESTATE);
	assert_int_equal(es_store_grant_find_valid(f->st, "1100000000001", "bob", 10, &got, NULL), ES_ENOTFOUND);
}

static void expired_grant_is_not_valid(void **state)
{
	fixture *f = *state;
	es_grant_row g = {0}, got = {0};

	g.seal_code = "1100000000001";
	g.login = "carol";
	g.granted_by = "alice";
	g.not_after = 100;
	assert_int_equal(es_store_grant_insert(f->st, &g, NULL), 0);
	assert_int_equal(es_store_grant_find_valid(f->st, "1100000000001", "carol", 99, &got, NULL), 0);
	es_grant_row_clear(&got);
	assert_int_equal(es_store_grant_find_valid(f->st, "1100000000001", "carol", 100, &got, NULL), ES_ENOTFOUND);
}

static void use_request_is_decided_and_used_once(void **state)
{
	fixture *f = *state;
	es_doc_row d = {0};
	es_usereq_row u = {0}, got = {0};

	d.owner_login = "bob";
	d.format = "pdf";
	d.sha256 = "ab";
	d.pages = 1;
	assert_int_equal(es_store_doc_insert(f->st, &d, NULL), 0);
	u.seal_code = "1100000000001";
	u.document_id = d.id;
	u.doc_sha256 = "ab";
	u.login = "bob";
	u.reason = "contract";
	assert_int_equal(es_store_usereq_insert(f->st, &u, NULL), 0);
	assert_false(es_store_usereq_pending_approved(f->st, "1100000000001", "bob"));
	assert_int_equal(es_store_usereq_consume(f->st, u.id, NULL), ES_ESTATE);
	assert_int_equal(es_store_usereq_decide(f->st, u.id, "approved", "alice", "ok", NULL), 0);
	assert_int_equal(es_store_usereq_decide(f->st, u.id, "rejected", "alice", "no", NULL), ES_ESTATE);
	assert_true(es_store_usereq_pending_approved(f->st, "1100000000001", "bob"));
	assert_int_equal(es_store_usereq_consume(f->st, u.id, NULL), 0);
	assert_int_equal(es_store_usereq_consume(f->st, u.id, NULL), ES_ESTATE);
	assert_int_equal(es_store_usereq_get(f->st, u.id, &got, NULL), 0);
	assert_string_equal(got.state, "used");
	assert_string_equal(got.decider, "alice");
	es_usereq_row_clear(&got);
}

static void sessions_and_tokens_round_trip(void **state)
{
	fixture *f = *state;
	es_session_row s = {0}, got = {0};
	es_token_row t = {0}, tg = {0};

	s.id_hash = "h1";
	s.login = "bob";
	s.csrf = "c1";
	s.created_at = 10;
	s.last_seen = 10;
	assert_int_equal(es_store_session_insert(f->st, &s, NULL), 0);
	assert_int_equal(es_store_session_get(f->st, "h1", &got, NULL), 0);
	assert_string_equal(got.login, "bob");
	es_session_row_clear(&got);
	assert_int_equal(es_store_session_purge(f->st, 11, 0, NULL), 0);
	assert_int_equal(es_store_session_get(f->st, "h1", &got, NULL), ES_ENOTFOUND);
	t.login = "bob";
	t.hash = "th";
	assert_int_equal(es_store_token_insert(f->st, &t, NULL), 0);
	assert_int_equal(es_store_token_insert(f->st, &t, NULL), ES_EEXISTS);
	assert_int_equal(es_store_token_by_hash(f->st, "th", &tg, NULL), 0);
	assert_int_equal(tg.revoked, 0);
	es_token_row_clear(&tg);
	assert_int_equal(es_store_token_revoke(f->st, t.id, NULL), 0);
	assert_int_equal(es_store_token_by_hash(f->st, "th", &tg, NULL), 0);
	assert_int_equal(tg.revoked, 1);
	es_token_row_clear(&tg);
}

static void throttle_remembers_failures(void **state)
{
	fixture *f = *state;
	int n = -1;
	time_t until = -1, last = -1;

	assert_int_equal(es_store_throttle_get(f->st, "addr:1.2.3.4", &n, &until, &last, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(es_store_throttle_put(f->st, "addr:1.2.3.4", 3, 50, 40, NULL), 0);
	assert_int_equal(es_store_throttle_get(f->st, "addr:1.2.3.4", &n, &until, &last, NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(until, 50);
	assert_int_equal(es_store_throttle_clear(f->st, "addr:1.2.3.4", NULL), 0);
	assert_int_equal(es_store_throttle_get(f->st, "addr:1.2.3.4", &n, &until, &last, NULL), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(schema_includes_server_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(grant_uses_run_out, setup, teardown),
		cmocka_unit_test_setup_teardown(expired_grant_is_not_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(use_request_is_decided_and_used_once, setup, teardown),
		cmocka_unit_test_setup_teardown(sessions_and_tokens_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(throttle_remembers_failures, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
