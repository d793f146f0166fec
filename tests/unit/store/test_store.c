/* SPDX-License-Identifier: AGPL-3.0-or-later */
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
#include "store_fixture.h"

static int setup(void **state)
{
	fixture *f = NULL;
	int rc = store_fixture_open(&f, "es-store");

	*state = f;
	return rc;
}

static void open_runs_migrations_to_latest(void **state)
{
	fixture *f = *state;

	assert_true(es_store_schema_version(f->st) >= 1);
}

static void open_without_create_refuses_missing_store(void **state)
{
	es_store *st = NULL;
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_store_open(&st, "/tmp/does-not-exist-eseal.db", 0, &err), ES_ENOTFOUND);
	assert_null(st);
	assert_non_null(strstr(err.msg, "eseal init"));
}

static void org_duplicate_uscc_is_refused(void **state)
{
	fixture *f = *state;
	es_org_row a = {0}, b = {0}, got = {0};
	es_err err = ES_ERR_INIT;

	a.name = "甲公司";
	a.uscc = "91350100M000100Y43";
	assert_int_equal(es_store_org_insert(f->st, &a, NULL), 0);
	assert_true(a.id > 0);
	b.name = "乙公司";
	b.uscc = "91350100M000100Y43";
	assert_int_equal(es_store_org_insert(f->st, &b, &err), ES_EEXISTS);
	assert_int_equal(es_store_org_get(f->st, a.id, &got, NULL), 0);
	assert_string_equal(got.name, "甲公司");
	es_org_row_clear(&got);
	assert_int_equal(es_store_org_get(f->st, 999, &got, NULL), ES_ENOTFOUND);
}

static void application_can_be_decided_once(void **state)
{
	fixture *f = *state;
	es_app_row a = {0}, got = {0};
	es_org_row o = {0};

	o.name = "丙公司";
	o.uscc = "91110000100000000X";
	assert_int_equal(es_store_org_insert(f->st, &o, NULL), 0);
	a.applicant = "alice";
	a.owner_kind = "org";
	a.owner_org_id = o.id;
	a.kind = "company";
	assert_int_equal(es_store_app_insert(f->st, &a, NULL), 0);
	assert_int_equal(es_store_app_decide(f->st, a.id, "approved", "ok", "rev", "1100000000001", NULL), 0);
	assert_int_equal(es_store_app_decide(f->st, a.id, "rejected", "no", "rev", NULL, NULL), ES_ESTATE);
	assert_int_equal(es_store_app_get(f->st, a.id, &got, NULL), 0);
	assert_string_equal(got.state, "approved");
	assert_string_equal(got.seal_code, "1100000000001");
	es_app_row_clear(&got);
}

static void serials_increase(void **state)
{
	fixture *f = *state;
	int64_t a = 0, b = 0;

	assert_int_equal(es_store_next_serial(f->st, "seal", &a, NULL), 0);
	assert_int_equal(es_store_next_serial(f->st, "seal", &b, NULL), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
}

static void audit_entries_chain_hashes(void **state)
{
	fixture *f = *state;
	es_audit_row a = {0}, *rows = NULL;
	size_t n = 0;
	char h[65];

	a.actor = "alice";
	a.action = "seal.issue";
	a.object = "1";
	a.details = "{}";
	a.client = "cli";
	a.outcome = "ok";
	a.ts = 1;
	assert_int_equal(es_store_audit_append(f->st, &a, NULL), 0);
	a.ts = 2;
	assert_int_equal(es_store_audit_append(f->st, &a, NULL), 0);
	assert_int_equal(es_store_audit_list(f->st, &rows, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rows[1].prev_hash, rows[0].hash);
	assert_int_equal(es_audit_entry_hash(h, &rows[1], NULL), 0);
	assert_string_equal(h, rows[1].hash);
	free(rows[1].actor);
	rows[1].actor = strdup("mallory");
	assert_int_equal(es_audit_entry_hash(h, &rows[1], NULL), 0);
	assert_string_not_equal(h, rows[1].hash);
	ES_ROWS_FREE(rows, n, es_audit_row_clear);
}

/* RFC 6238 5.2: a TOTP time step is spent once, and only forwards. */
static void totp_steps_are_spent_once(void **state)
{
	fixture *f = *state;
	es_user_row u = {0};
	es_err err = ES_ERR_INIT;

	u.login = "otp";
	u.name = "otp";
	u.password_hash = "x";
	assert_int_equal(es_store_user_insert(f->st, &u, &err), 0);
	assert_int_equal(es_store_user_totp_spend(f->st, "otp", 1000, &err), 0);
	assert_int_equal(es_store_user_totp_spend(f->st, "otp", 1000, &err), ES_EAUTH);
	assert_non_null(strstr(err.msg, "used already"));
	assert_int_equal(es_store_user_totp_spend(f->st, "otp", 999, &err), ES_EAUTH);
	assert_int_equal(es_store_user_totp_spend(f->st, "otp", 1001, &err), 0);
	assert_int_equal(es_store_user_totp_spend(f->st, "nobody", 5000, &err), ES_EAUTH);
}

static void nested_transactions_are_refused(void **state)
{
	fixture *f = *state;

	assert_int_equal(es_store_begin(f->st, NULL), 0);
	assert_int_equal(es_store_begin(f->st, NULL), ES_ESTATE);
	es_store_rollback(f->st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(open_runs_migrations_to_latest, setup, teardown),
		cmocka_unit_test(open_without_create_refuses_missing_store),
		cmocka_unit_test_setup_teardown(org_duplicate_uscc_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(application_can_be_decided_once, setup, teardown),
		cmocka_unit_test_setup_teardown(serials_increase, setup, teardown),
		cmocka_unit_test_setup_teardown(audit_entries_chain_hashes, setup, teardown),
		cmocka_unit_test_setup_teardown(nested_transactions_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(totp_steps_are_spent_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
