/* SPDX-License-Identifier: AGPL-3.0-or-later
 *
 * Stream objects of the incremental-update writer (src/pdf/pdf_write.c),
 * in particular the per-process memory of deflated streams: it must never
 * hand back the deflate of other bytes, under eviction or threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "pdf/pdf_int.h"

#define DRAWING_LEN 20000
#define DISTINCT 20 /* more than the writer remembers */
#define THREADS 4
#define ROUNDS 50

/* A seal-like drawing whose bytes depend on variant. */
static unsigned char *drawing(int variant, size_t *len)
{
	unsigned char *d = malloc(DRAWING_LEN);
	size_t n = 0;

	assert_non_null(d);
	while (n + 40 < DRAWING_LEN)
		n += (size_t)snprintf((char *)d + n, DRAWING_LEN - n, "%d.%03d %d l\n", variant,
				      (int)(n % 997), (int)(n / 7));
	*len = n;
	return d;
}

/* The stream of one object written by upd_stream(), inflated. */
static unsigned char *stream_of(const void *data, size_t len, size_t *out_len, size_t *z_len)
{
	pdfdoc d;
	pdfupd u;
	const char *s, *e;
	unsigned char *out;
	uLongf n = DRAWING_LEN * 2;

	memset(&d, 0, sizeof(d));
	d.next_num = 10;
	upd_init(&u, &d);
	assert_int_equal(upd_stream(&u, 10, "/Type /XObject", data, len, 1, NULL), 0);
	s = memmem(u.b.data, u.b.len, "stream\n", 7);
	e = memmem(u.b.data, u.b.len, "\nendstream", 10);
	assert_non_null(s);
	assert_non_null(e);
	assert_non_null(memmem(u.b.data, u.b.len, "/Filter /FlateDecode", 20));
	s += 7;
	*z_len = (size_t)(e - s);
	out = malloc(n);
	assert_non_null(out);
	assert_int_equal(uncompress(out, &n, (const unsigned char *)s, (uLong)*z_len), Z_OK);
	*out_len = n;
	upd_free(&u);
	return out;
}

static void check_round_trip(int variant)
{
	size_t len, back_len, z_len;
	unsigned char *d = drawing(variant, &len);
	unsigned char *back = stream_of(d, len, &back_len, &z_len);

	assert_int_equal(back_len, len);
	assert_memory_equal(back, d, len);
	assert_true(z_len < len / 2);
	free(back);
	free(d);
}

static void deflated_stream_round_trips_and_repeats_exactly(void **state)
{
	size_t len, l1, l2, z1, z2;
	unsigned char *d = drawing(1, &len), *a, *b;

	(void)state;
	a = stream_of(d, len, &l1, &z1);
	b = stream_of(d, len, &l2, &z2); /* remembered this time */
	assert_int_equal(l1, len);
	assert_int_equal(l2, len);
	assert_int_equal(z1, z2);
	assert_memory_equal(a, d, len);
	assert_memory_equal(b, d, len);
	free(a);
	free(b);
	/* one byte changed, same length: not the remembered stream */
	d[len / 2] ^= 0x01;
	a = stream_of(d, len, &l1, &z1);
	assert_memory_equal(a, d, len);
	free(a);
	free(d);
}

static void remembered_streams_survive_eviction(void **state)
{
	(void)state;
	for (int round = 0; round < 3; round++)
		for (int v = 0; v < DISTINCT; v++)
			check_round_trip(v);
}

static void *worker(void *arg)
{
	int base = *(int *)arg;

	for (int i = 0; i < ROUNDS; i++)
		check_round_trip(base + i % 12);
	return NULL;
}

static void streams_are_right_from_many_threads(void **state)
{
	pthread_t th[THREADS];
	int base[THREADS];

	(void)state;
	for (int i = 0; i < THREADS; i++) {
		base[i] = i * 3;
		assert_int_equal(pthread_create(&th[i], NULL, worker, &base[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
}

static void plain_stream_is_written_as_is(void **state)
{
	pdfdoc d;
	pdfupd u;

	(void)state;
	memset(&d, 0, sizeof(d));
	upd_init(&u, &d);
	assert_int_equal(upd_stream(&u, 3, "", "abc", 3, 0, NULL), 0);
	assert_non_null(memmem(u.b.data, u.b.len, "/Length 3 >>\nstream\nabc\nendstream", 33));
	assert_null(memmem(u.b.data, u.b.len, "FlateDecode", 11));
	upd_free(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deflated_stream_round_trips_and_repeats_exactly),
		cmocka_unit_test(remembered_streams_survive_eviction),
		cmocka_unit_test(streams_are_right_from_many_threads),
		cmocka_unit_test(plain_stream_is_written_as_is),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
