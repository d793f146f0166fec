/* Raw PDF lexer and revision scan used by the verifier (src/verify/lex.c).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "verify/vint.h"

#define U(s) ((const unsigned char *)(s))

static void dict_find_returns_value_span_and_count(void **state)
{
	const char *d = "<< /Type /Sig /Contents <00ff> /ByteRange [0 10 20 30] "
			"/Sub << /Contents (x) >> /Ref 12 0 R >>";
	size_t s = 0, e = 0;

	(void)state;
	assert_int_equal(lx_dict_find(U(d), strlen(d), 0, "Contents", &s, &e), 1);
	assert_memory_equal(d + s, "<00ff>", 6);
	assert_int_equal(e - s, 6);
	assert_int_equal(lx_dict_find(U(d), strlen(d), 0, "Ref", &s, &e), 1);
	assert_memory_equal(d + s, "12 0 R", 6);
	assert_int_equal(lx_dict_find(U(d), strlen(d), 0, "Missing", &s, &e), 0);
}

static void dict_find_counts_duplicate_keys(void **state)
{
	const char *d = "<< /Contents <00> /ByteRange [0 1 2 3] /Contents <11> >>";
	size_t s = 0, e = 0;

	(void)state;
	assert_int_equal(lx_dict_find(U(d), strlen(d), 0, "Contents", &s, &e), 2);
	assert_memory_equal(d + s, "<00>", 4);  /* first one */
}

static void dict_find_rejects_malformed_and_deep_input(void **state)
{
	char deep[400];
	size_t s, e, i;

	(void)state;
	assert_int_equal(lx_dict_find(U("<< /A [1 2 >>"), 13, 0, "A", &s, &e), -1);
	assert_int_equal(lx_dict_find(U("<< /A (unterminated >>"), 22, 0, "A", &s, &e), -1);
	assert_int_equal(lx_dict_find(U("[1 2]"), 5, 0, "A", &s, &e), -1);
	memcpy(deep, "<< /A ", 6);
	for (i = 6; i < sizeof(deep) - 1; i++)
		deep[i] = '[';
	deep[sizeof(deep) - 1] = '\0';
	assert_int_equal(lx_dict_find(U(deep), strlen(deep), 0, "A", &s, &e), -1);
}

static void obj_header_checks_number(void **state)
{
	const char *o = "\n12 0 obj\n<< >>";
	size_t body = 0;

	(void)state;
	assert_int_equal(lx_obj_header(U(o), strlen(o), 0, 12, &body), 0);
	assert_int_equal(o[body + 1], '<');
	assert_int_equal(lx_obj_header(U(o), strlen(o), 0, 13, &body), -1);
}

static void revisions_follow_eof_and_prev_chain(void **state)
{
	char f[512];
	pdf_revs rv;
	int n1, n2;

	(void)state;
	n1 = snprintf(f, sizeof(f), "%%PDF-1.7\n1 0 obj\n<< >>\nendobj\n");
	n2 = snprintf(f + n1, sizeof(f) - (size_t)n1,
		      "xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \n"
		      "trailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", n1);
	n1 += n2;
	n2 = snprintf(f + n1, sizeof(f) - (size_t)n1,
		      "xref\n0 1\n0000000000 65535 f \n"
		      "trailer\n<< /Size 2 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\r\n",
		      (int)(strstr(f, "xref") - f), n1);
	pdf_revs_scan(&rv, U(f), (size_t)(n1 + n2));
	assert_int_equal(rv.n, 2);
	assert_int_equal(rv.chain_len, 2);
	assert_true(rv.chain_ok);
	assert_true(rv.tail_ws_only);
	assert_int_equal(rv.ends[1], (size_t)(n1 + n2));
	assert_true(pdf_revs_is_end(&rv, rv.eof_at[0]));
	assert_false(pdf_revs_is_end(&rv, rv.eof_at[0] - 1));
}

static void revisions_detect_prev_loop_and_trailing_garbage(void **state)
{
	const char *f = "%PDF-1.7\nxref\n0 1\n0000000000 65535 f \n"
			"trailer\n<< /Size 1 /Prev 9 >>\nstartxref\n9\n%%EOF\ngarbage";
	pdf_revs rv;

	(void)state;
	pdf_revs_scan(&rv, U(f), strlen(f));
	assert_false(rv.chain_ok);
	assert_false(rv.tail_ws_only);
	assert_int_equal(rv.tail_len, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dict_find_returns_value_span_and_count),
		cmocka_unit_test(dict_find_counts_duplicate_keys),
		cmocka_unit_test(dict_find_rejects_malformed_and_deep_input),
		cmocka_unit_test(obj_header_checks_number),
		cmocka_unit_test(revisions_follow_eof_and_prev_chain),
		cmocka_unit_test(revisions_detect_prev_loop_and_trailing_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
