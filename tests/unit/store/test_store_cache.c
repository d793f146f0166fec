/* The store keeps prepared statements per connection and lets the writers
 * of one file in a process take turns on a mutex: a kept statement must not
 * hold on to old rows or a read snapshot, and concurrent writers must all
 * get through without SQLITE_BUSY.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "eseal/store.h"
#include "store_fixture.h"
#include "eseal/store_server.h"

#define WRITER_THREADS 4
#define WRITES_PER_THREAD 150

static int setup(void **state)
{
	fixture *f = NULL;
	int rc = store_fixture_open(&f, "es-store");

	*state = f;
	return rc;
}

static void meta_is(es_store *st, const char *key, const char *want)
{
	es_blob b = {0};

	assert_int_equal(es_store_meta_get(st, key, &b, NULL), 0);
	assert_string_equal((const char *)b.data, want);
	free(b.data);
}

static void cached_statement_answers_with_new_bindings(void **state)
{
	fixture *f = *state;
	es_blob b = {0};
	es_err err = ES_ERR_INIT;

	assert_int_equal(es_store_meta_put(f->st, "a", "one", 3, NULL), 0);
	assert_int_equal(es_store_meta_put(f->st, "b", "two", 3, NULL), 0);
	meta_is(f->st, "a", "one");
	meta_is(f->st, "b", "two");
	meta_is(f->st, "a", "one");
	/* a miss after hits: no row left over from the last use */
	assert_int_equal(es_store_meta_get(f->st, "missing", &b, &err), ES_ENOTFOUND);
	assert_null(b.data);
}

static void cached_statement_works_after_a_constraint_failure(void **state)
{
	fixture *f = *state;
	es_org_row o = {0};
	es_err err = ES_ERR_INIT;

	o.name = "甲公司";
	o.uscc = "91330106MA2B3C4D5D";
	o.created_at = 1;
	assert_int_equal(es_store_org_insert(f->st, &o, NULL), 0);
	assert_int_equal(es_store_org_insert(f->st, &o, &err), ES_EEXISTS);
	o.uscc = "91110000100000000X";
	assert_int_equal(es_store_org_insert(f->st, &o, &err), 0);
	assert_true(o.id > 1);
}

/* A statement kept open after its last row would pin its read snapshot:
 * the other connection's write would stay invisible. */
static void kept_statement_sees_writes_of_another_connection(void **state)
{
	fixture *f = *state;
	es_store *other = NULL;
	int i;

	assert_int_equal(es_store_open(&other, f->path, 0, NULL), 0);
	for (i = 0; i < 3; i++) {
		char v[16];
		snprintf(v, sizeof(v), "v%d", i);
		assert_int_equal(es_store_meta_put(other, "k", v, strlen(v), NULL), 0);
		meta_is(f->st, "k", v);
	}
	es_store_close(other);
}

static void rollback_discards_and_the_next_transaction_starts(void **state)
{
	fixture *f = *state;
	es_blob b = {0};

	assert_int_equal(es_store_begin(f->st, NULL), 0);
	assert_int_equal(es_store_meta_put(f->st, "x", "1", 1, NULL), 0);
	es_store_rollback(f->st);
	assert_int_equal(es_store_meta_get(f->st, "x", &b, NULL), ES_ENOTFOUND);
	assert_int_equal(es_store_begin(f->st, NULL), 0);
	assert_int_equal(es_store_meta_put(f->st, "x", "2", 1, NULL), 0);
	assert_int_equal(es_store_commit(f->st, NULL), 0);
	meta_is(f->st, "x", "2");
}

/* A document's file is stored under its id before its row is written: an
 * id must never come back, not even after a delete or an unused reservation. */
static void document_ids_are_never_handed_out_twice(void **state)
{
	fixture *f = *state;
	es_doc_row d = {0};
	es_err err = ES_ERR_INIT;
	int64_t reserved = 0;

	d.owner_login = "alice";
	d.format = "pdf";
	d.sha256 = "00";
	d.pages = 1;
	assert_int_equal(es_store_doc_insert(f->st, &d, &err), 0);
	assert_int_equal(d.id, 1);
	assert_int_equal(es_store_doc_reserve_id(f->st, &reserved, &err), 0);
	assert_int_equal(reserved, 2);
	d.id = 0;
	assert_int_equal(es_store_doc_insert(f->st, &d, &err), 0);
	assert_int_equal(d.id, 3);
	assert_int_equal(es_store_doc_delete(f->st, 3, &err), 0);
	d.id = 0;
	assert_int_equal(es_store_doc_insert(f->st, &d, &err), 0);
	assert_int_equal(d.id, 4);
	d.id = reserved;
	assert_int_equal(es_store_doc_insert(f->st, &d, &err), 0);
	d.id = 4;
	assert_int_equal(es_store_doc_insert(f->st, &d, &err), ES_EEXISTS);
}

typedef struct writer {
	const char *path;
	int failures;
} writer;

/* Each thread its own connection, as the server does: transactions and
 * single writes outside a transaction, interleaved. */
static void *write_many(void *arg)
{
	writer *w = arg;
	es_store *st = NULL;
	int64_t v = 0;
	int i;

	if (es_store_open(&st, w->path, 0, NULL) < 0) {
		w->failures++;
		return NULL;
	}
	for (i = 0; i < WRITES_PER_THREAD; i++) {
		if (i % 2 == 0) {
			if (es_store_next_serial(st, "n", &v, NULL) < 0)
				w->failures++;
			continue;
		}
		if (es_store_begin(st, NULL) < 0) {
			w->failures++;
			continue;
		}
		if (es_store_next_serial(st, "n", &v, NULL) < 0 || es_store_meta_put(st, "t", "x", 1, NULL) < 0) {
			w->failures++;
			es_store_rollback(st);
		} else if (es_store_commit(st, NULL) < 0) {
			w->failures++;
		}
	}
	es_store_close(st);
	return NULL;
}

static void concurrent_writers_of_one_file_all_succeed(void **state)
{
	fixture *f = *state;
	pthread_t t[WRITER_THREADS];
	writer w[WRITER_THREADS];
	int64_t last = 0;
	int i;

	for (i = 0; i < WRITER_THREADS; i++) {
		w[i].path = f->path;
		w[i].failures = 0;
		assert_int_equal(pthread_create(&t[i], NULL, write_many, &w[i]), 0);
	}
	for (i = 0; i < WRITER_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	/* no lost update: every write counted once */
	assert_int_equal(es_store_next_serial(f->st, "n", &last, NULL), 0);
	assert_int_equal(last, (int64_t)WRITER_THREADS * WRITES_PER_THREAD + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(cached_statement_answers_with_new_bindings, setup, teardown),
		cmocka_unit_test_setup_teardown(cached_statement_works_after_a_constraint_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(kept_statement_sees_writes_of_another_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_discards_and_the_next_transaction_starts, setup, teardown),
		cmocka_unit_test_setup_teardown(document_ids_are_never_handed_out_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_writers_of_one_file_all_succeed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
