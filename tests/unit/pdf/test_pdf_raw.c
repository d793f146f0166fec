/* SPDX-License-Identifier: AGPL-3.0-or-later
 *
 * The byte-exact dictionary copier used when an update rewrites a page,
 * the catalog or /AcroForm (src/pdf/pdf_raw.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "pdf/pdf_int.h"

static es_buf copy(const char *src, const char *const *skip, int *rc)
{
	rawval v = {(const unsigned char *)src, strlen(src)};
	es_buf b = {0};

	*rc = raw_copy_entries(&b, &v, skip, NULL);
	es_buf_puts(&b, "", NULL);
	es_buf_append(&b, "", 1, NULL);
	return b;
}

static void copies_values_byte_for_byte_and_skips_keys(void **state)
{
	static const char *const skip[] = {"Annots", NULL};
	const char *src = "<</Type/Page/MediaBox[0 0 595.27559055 841.88976378]% comment >> [\n"
			  "/S (a (nested) \\) paren >> ) /H <4142 43>/N /A#20B /Annots [1 0 R 2 0 R]"
			  "/R 12 0 R/D<</X 1.50/Y[<<>>]>> /Z -.5 /B true>>";
	int rc;
	es_buf b = copy(src, skip, &rc);

	(void)state;
	assert_int_equal(rc, 0);
	assert_non_null(strstr((char *)b.data, "/MediaBox [0 0 595.27559055 841.88976378]\n"));
	assert_non_null(strstr((char *)b.data, "/S (a (nested) \\) paren >> )\n"));
	assert_non_null(strstr((char *)b.data, "/H <4142 43>\n"));
	assert_non_null(strstr((char *)b.data, "/N /A#20B\n"));
	assert_non_null(strstr((char *)b.data, "/R 12 0 R\n"));
	assert_non_null(strstr((char *)b.data, "/D <</X 1.50/Y[<<>>]>>\n"));
	assert_non_null(strstr((char *)b.data, "/Z -.5\n"));
	assert_non_null(strstr((char *)b.data, "/B true\n"));
	assert_null(strstr((char *)b.data, "Annots"));
	es_buf_free(&b, 0);
}

static void escaped_key_names_are_matched(void **state)
{
	static const char *const skip[] = {"Annots", NULL};
	int rc;
	es_buf b = copy("<< /Ann#6fts [3 0 R] /Type /Page >>", skip, &rc);

	(void)state;
	assert_int_equal(rc, 0);
	assert_string_equal((char *)b.data, "/Type /Page\n");
	es_buf_free(&b, 0);
}

static void references_are_recognised(void **state)
{
	const unsigned char *p = (const unsigned char *)"<< /A 7 0 R /B 7 /C [8 0] >>";
	rawent e[4];
	size_t n;
	int num = 0;

	(void)state;
	assert_int_equal(raw_entries(p, strlen((const char *)p), e, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_true(raw_ref(p, e[0].v0, e[0].v1, &num));
	assert_int_equal(num, 7);
	assert_false(raw_ref(p, e[1].v0, e[1].v1, &num)); /* 7 followed by a name */
	assert_false(raw_ref(p, e[2].v0, e[2].v1, &num));
}

static void broken_dictionaries_are_refused(void **state)
{
	const char *bad[] = {"<< /A (unterminated >>", "<< /A [1 2 >>", "<< 1 2 >>", "[ /A ]",
			     "<< /A <zz> >>", "<< /A >>"};
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		es_buf b = copy(bad[i], NULL, &rc);
		assert_int_equal(rc, ES_EPDF);
		es_buf_free(&b, 0);
	}
}

static void array_items_are_copied(void **state)
{
	rawval v = {(const unsigned char *)"[1 0 R 2 0 R (x]) ]", 19};
	es_buf b = {0};

	(void)state;
	assert_int_equal(raw_copy_items(&b, &v, NULL), 0);
	es_buf_append(&b, "", 1, NULL);
	assert_string_equal((char *)b.data, "1 0 R 2 0 R (x])  ");
	es_buf_free(&b, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copies_values_byte_for_byte_and_skips_keys),
		cmocka_unit_test(escaped_key_names_are_matched),
		cmocka_unit_test(references_are_recognised),
		cmocka_unit_test(broken_dictionaries_are_refused),
		cmocka_unit_test(array_items_are_copied),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
