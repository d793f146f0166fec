/* Pages in order from one walk (src/verify/pages.c) must be exactly what
 * MuPDF's per-index lookup gives, for sane and for broken page trees.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "verify/vint.h"
#include "verify/vpdf.h"

#define PDF_MAX_LEN 200000
#define MAX_OBJS 128
#define PROBE_PAST_END 3

/* A PDF with objects 1..n (objs[0] is object 1) and a correct xref. */
static size_t make_pdf(char *out, size_t cap, const char *const *objs, int n)
{
	size_t ofs[MAX_OBJS], len, xref;
	int i;

	assert_true(n < MAX_OBJS);
	len = (size_t)snprintf(out, cap, "%%PDF-1.7\n");
	for (i = 0; i < n; i++) {
		ofs[i] = len;
		len += (size_t)snprintf(out + len, cap - len, "%d 0 obj\n%s\nendobj\n", i + 1, objs[i]);
	}
	xref = len;
	len += (size_t)snprintf(out + len, cap - len, "xref\n0 %d\n0000000000 65535 f \n", n + 1);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, cap - len, "%010zu 00000 n \n", ofs[i]);
	len += (size_t)snprintf(out + len, cap - len,
				"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%zu\n%%%%EOF\n", n + 1, xref);
	assert_true(len < cap);
	return len;
}

/* Compare page_iter_get with pdf_lookup_page_obj for 0 .. count + 2;
 * raw: the walk may read plain page objects from the bytes itself. */
static void compare_walks_as(const char *const *objs, int n, int first, int raw)
{
	static char pdf[PDF_MAX_LEN];
	fz_context *ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
	fz_stream *stm = NULL;
	pdf_document *doc = NULL;
	page_iter it;
	size_t len = make_pdf(pdf, sizeof(pdf), objs, n);
	int i, count;

	assert_non_null(ctx);
	memset(&it, 0, sizeof(it));
	if (raw) {
		it.buf = (const unsigned char *)pdf;
		it.len = len;
	}
	fz_set_warning_callback(ctx, NULL, NULL);
	fz_set_error_callback(ctx, NULL, NULL);
	stm = fz_open_memory(ctx, (const unsigned char *)pdf, len);
	doc = pdf_open_document_with_stream(ctx, stm);
	count = pdf_count_pages(ctx, doc);
	for (i = first; i < count + PROBE_PAST_END; i++) {
		pdf_obj *a = NULL, *b = NULL;
		int threw_a = 0, threw_b = 0;

		fz_try(ctx)
			a = page_iter_get(ctx, doc, &it, i);
		fz_catch(ctx)
			threw_a = 1;
		fz_try(ctx)
			b = pdf_lookup_page_obj(ctx, doc, i);
		fz_catch(ctx)
			threw_b = 1;
		if (threw_a != threw_b || a != b)
			fail_msg("page %d: walk %s %p, lookup %s %p", i, threw_a ? "threw" : "gave", (void *)a,
				 threw_b ? "threw" : "gave", (void *)b);
	}
	page_iter_drop(ctx, &it);
	pdf_drop_document(ctx, doc);
	fz_drop_stream(ctx, stm);
	fz_drop_context(ctx);
}

#define CAT "<</Type/Catalog/Pages 2 0 R>>"
#define PAGE "<</Type/Page/MediaBox[0 0 100 100]>>"

static void compare_walks(const char *const *objs, int n, int first)
{
	compare_walks_as(objs, n, first, 0);
	compare_walks_as(objs, n, first, 1);
}

/* page_plain_names() of object 2 when it is body. */
static int plain_names_of(const char *body)
{
	static char pdf[PDF_MAX_LEN];
	const char *o[] = {"<</Type/Catalog/Pages 2 0 R>>", body};
	fz_context *ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
	fz_stream *stm;
	pdf_document *doc;
	pdf_obj *ref;
	size_t len = make_pdf(pdf, sizeof(pdf), o, 2);
	int names;

	assert_non_null(ctx);
	fz_set_warning_callback(ctx, NULL, NULL);
	fz_set_error_callback(ctx, NULL, NULL);
	stm = fz_open_memory(ctx, (const unsigned char *)pdf, len);
	doc = pdf_open_document_with_stream(ctx, stm);
	ref = pdf_new_indirect(ctx, doc, 2, 0);
	names = page_plain_names(ctx, doc, (const unsigned char *)pdf, len, ref);
	pdf_drop_obj(ctx, ref);
	pdf_drop_document(ctx, doc);
	fz_drop_stream(ctx, stm);
	fz_drop_context(ctx);
	return names;
}

static void plain_names_reads_only_plain_bytes(void **state)
{
	(void)state;
	/* plain: the names that matter, at any depth */
	assert_int_equal(plain_names_of("<</Type/Page/MediaBox[0 0 595.3 842]/Parent 1 0 R>>"), 0);
	assert_int_equal(plain_names_of("<</Type /Page /Annots [3 0 R] /Rotate -90>>"), PAGE_HAS_ANNOTS);
	assert_int_equal(plain_names_of("<</Type/Pages/Kids[]/Count 0>>"), PAGE_HAS_KIDS | PAGE_HAS_PAGES);
	assert_int_equal(plain_names_of("<</Resources<</XObject<</Kids 1 0 R>>>>/ID<0a1B 2c>/X true>>"),
			 PAGE_HAS_KIDS);
	assert_int_equal(plain_names_of("<</Annotsx 1/XAnnots 2/F1.a-b+c null>>"), 0);
	/* anything else: only parsing can tell */
	assert_int_equal(plain_names_of("<</Type/Page/Ann#6Fts[3 0 R]>>"), -1);      /* escape */
	assert_int_equal(plain_names_of("<</Type/Page/T(/Annots)>>"), -1);          /* string */
	assert_int_equal(plain_names_of("<</Type/Page % /Annots\n>>"), -1);         /* comment */
	assert_int_equal(plain_names_of("<</Type/Page/Contents<0g>>>"), -1);        /* bad hex */
	assert_int_equal(plain_names_of("<</Length 0>>stream\n\nendstream"), -1);  /* stream */
	assert_int_equal(plain_names_of("<</Type/Page>> <</Annots[]>>"), -1);      /* two objects */
	assert_int_equal(plain_names_of("<</Type/Page/X{}>>"), -1);
	assert_int_equal(plain_names_of("<</Type/Page/N\xe9>>"), -1);               /* non-ASCII name */
	assert_int_equal(plain_names_of("<</Type/Page/X foo>>"), -1);                /* unknown keyword */
	assert_int_equal(plain_names_of("[/Annots]"), -1);                          /* not a dictionary */
	assert_int_equal(plain_names_of("<</Type/Page/MediaBox[0 0 1 1]"), -1);     /* unterminated */
	assert_int_equal(plain_names_of("<</Type/Page]>>"), -1);
}

static void walk_matches_lookup_when_names_are_spelt_oddly(void **state)
{
	/* escaped, commented and stringy nodes and pages: MuPDF decides */
	const char *o[] = {CAT, "<</Type/Pages/Count 5/Kids[3 0 R 4 0 R 6 0 R 7 0 R]>>",
			   "<</Type/P#61ges/Count 1/Kids[5 0 R]>>", "<</K#69ds[5 0 R]/Count 1>>", PAGE,
			   "<</Type/Page/T(/Kids [5 0 R])>>",
			   "<</Type/Pages % /Type/Page\n/Count 1/Kids[5 0 R]>>"};

	(void)state;
	compare_walks(o, 7, 0);
}


static void walk_matches_lookup_on_flat_tree(void **state)
{
	const char *o[] = {CAT, "<</Type/Pages/Count 3/Kids[3 0 R 4 0 R 5 0 R]>>", PAGE, PAGE, PAGE};

	(void)state;
	compare_walks(o, 5, 0);
}

static void walk_matches_lookup_on_nested_tree(void **state)
{
	const char *o[] = {CAT, "<</Type/Pages/Count 5/Kids[3 0 R 6 0 R 9 0 R]>>",
			   "<</Type/Pages/Count 2/Kids[4 0 R 5 0 R]>>", PAGE, PAGE,
			   "<</Type/Pages/Count 2/Kids[7 0 R 8 0 R]>>", PAGE, PAGE, PAGE};

	(void)state;
	compare_walks(o, 9, 0);
}

static void walk_matches_lookup_when_counts_are_too_small(void **state)
{
	const char *o[] = {CAT, "<</Type/Pages/Count 3/Kids[3 0 R 6 0 R]>>",
			   "<</Type/Pages/Count 1/Kids[4 0 R 5 0 R]>>", PAGE, PAGE,
			   "<</Type/Pages/Count 2/Kids[7 0 R 8 0 R]>>", PAGE, PAGE};

	(void)state;
	compare_walks(o, 8, 0);
}

static void walk_matches_lookup_when_counts_are_too_large(void **state)
{
	const char *o[] = {CAT, "<</Type/Pages/Count 7/Kids[3 0 R 6 0 R]>>",
			   "<</Type/Pages/Count 5/Kids[4 0 R 5 0 R]>>", PAGE, PAGE,
			   "<</Type/Pages/Count 2/Kids[7 0 R 8 0 R]>>", PAGE, PAGE};

	(void)state;
	compare_walks(o, 8, 0);
}

static void walk_matches_lookup_with_zero_and_negative_counts(void **state)
{
	const char *zero[] = {CAT, "<</Type/Pages/Count 2/Kids[3 0 R 5 0 R 6 0 R]>>",
			      "<</Type/Pages/Count 0/Kids[4 0 R]>>", PAGE, PAGE, PAGE};
	const char *neg[] = {CAT, "<</Type/Pages/Count 2/Kids[3 0 R 5 0 R 6 0 R]>>",
			     "<</Type/Pages/Count -1/Kids[4 0 R]>>", PAGE, PAGE, PAGE};

	(void)state;
	compare_walks(zero, 6, 0);
	compare_walks(neg, 6, 0);
}

static void walk_matches_lookup_on_untyped_and_odd_kids(void **state)
{
	/* no /Type: /Kids without /MediaBox is a node, with it a page; a
	 * number, a null and a direct dictionary count as pages */
	const char *o[] = {CAT, "<</Type/Pages/Count 7/Kids[3 0 R 5 0 R 6 0 R 42 null "
			   "<</Type/Page/MediaBox[0 0 1 1]>>]>>",
			   "<</Count 1/Kids[4 0 R]>>", PAGE, "<</Kids[4 0 R]/MediaBox[0 0 9 9]>>", PAGE};

	(void)state;
	compare_walks(o, 6, 0);
}

static void walk_matches_lookup_on_cycles_and_empty_nodes(void **state)
{
	const char *cycle[] = {CAT, "<</Type/Pages/Count 3/Kids[4 0 R 3 0 R]>>",
			       "<</Type/Pages/Count 2/Kids[4 0 R 3 0 R]>>", PAGE};
	const char *empty[] = {CAT, "<</Type/Pages/Count 2/Kids[4 0 R 3 0 R]>>",
			       "<</Type/Pages/Count 1/Kids[]>>", PAGE};
	const char *no_kids[] = {CAT, "<</Type/Pages/Count 1>>"};

	(void)state;
	compare_walks(cycle, 4, 0);
	compare_walks(empty, 4, 0);
	compare_walks(no_kids, 2, 0);
}

static void walk_matches_lookup_on_deep_tree(void **state)
{
	/* deeper than ES_PDF_MAX_DEPTH: the walk gives up, the lookup answers */
	static char bufs[MAX_OBJS][64];
	const char *o[MAX_OBJS];
	int depth = ES_PDF_MAX_DEPTH + 10, i;

	(void)state;
	o[0] = CAT;
	for (i = 0; i < depth; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "<</Type/Pages/Count 1/Kids[%d 0 R]>>", i + 3);
		o[i + 1] = bufs[i];
	}
	o[depth + 1] = PAGE;
	compare_walks(o, depth + 2, 0);
}

static void walk_matches_lookup_when_asked_out_of_order(void **state)
{
	const char *o[] = {CAT, "<</Type/Pages/Count 4/Kids[3 0 R 6 0 R]>>",
			   "<</Type/Pages/Count 2/Kids[4 0 R 5 0 R]>>", PAGE, PAGE,
			   "<</Type/Pages/Count 2/Kids[7 0 R 8 0 R]>>", PAGE, PAGE};

	(void)state;
	compare_walks(o, 8, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(walk_matches_lookup_on_flat_tree),
		cmocka_unit_test(walk_matches_lookup_on_nested_tree),
		cmocka_unit_test(walk_matches_lookup_when_counts_are_too_small),
		cmocka_unit_test(walk_matches_lookup_when_counts_are_too_large),
		cmocka_unit_test(walk_matches_lookup_with_zero_and_negative_counts),
		cmocka_unit_test(walk_matches_lookup_on_untyped_and_odd_kids),
		cmocka_unit_test(walk_matches_lookup_on_cycles_and_empty_nodes),
		cmocka_unit_test(walk_matches_lookup_on_deep_tree),
		cmocka_unit_test(walk_matches_lookup_when_asked_out_of_order),
		cmocka_unit_test(walk_matches_lookup_when_names_are_spelt_oddly),
		cmocka_unit_test(plain_names_reads_only_plain_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
