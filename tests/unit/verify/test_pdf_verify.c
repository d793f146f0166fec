/* Strict PDF signature verification against the shared vectors
 * (shared/vectors/pdf/MANIFEST.md, parsed at run time) and tampered copies.
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
#include "eseal/verify.h"
#include "util/util.h"
#include "verify/vint.h"
#include <openssl/cms.h>
#include <openssl/x509.h>

#define VEC_DIR ESEAL_SHARED_DIR "/vectors/pdf"
#define ORIGINAL VEC_DIR "/dss-pdf-signed-original.pdf"
#define MAX_VECTOR_LEN ((size_t)64 * 1024 * 1024)

/* Vectors we do not get right yet, with the reason (printed).  Goal: empty. */
static const struct {
	const char *file;
	const char *reason;
} known_failures[] = {
	{NULL, NULL}
};

static const char *known_reason(const char *file)
{
	size_t i;

	for (i = 0; known_failures[i].file != NULL; i++)
		if (strcmp(known_failures[i].file, file) == 0)
			return known_failures[i].reason;
	return NULL;
}

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (s[i] == ' ')
		i++;
	memmove(s, s + i, n - i + 1);
}

static void print_codes(const es_report *r)
{
	size_t i, k;

	for (k = 0; k < r->nfindings; k++)
		printf(" doc:%s", r->findings[k].code);
	for (i = 0; i < r->nsigs; i++)
		for (k = 0; k < r->sigs[i].nfindings; k++)
			if (r->sigs[i].findings[k].severity != ES_SEV_INFO)
				printf(" s%zu:%s", i + 1, r->sigs[i].findings[k].code);
}

/* Verdict of a file: 0..3, or -1 when es_pdf_verify returned an error. */
static int verdict_of(const char *path, int dump)
{
	es_report r = {0};
	es_err err = ES_ERR_INIT;
	int rc = es_pdf_verify(&r, path, NULL, &err), v;

	v = rc < 0 ? -1 : (int)r.verdict;
	if (dump) {
		char *json = NULL;

		if (rc == 0 && es_report_json(&json, &r, NULL) == 0)
			printf("%s\n", json);
		else
			printf("    error %d: %s\n", rc, err.msg);
		free(json);
	} else if (rc == 0) {
		print_codes(&r);
	}
	es_report_clear(&r);
	return v;
}

static int expectation_met(const char *expected, int v)
{
	if (strcmp(expected, "valid") == 0)
		return v == ES_TOTAL_PASSED || v == ES_INDETERMINATE;
	if (strcmp(expected, "invalid") == 0)
		return v == ES_TOTAL_FAILED;
	return 1;  /* unsure: any verdict, as long as we did not crash */
}

static void manifest_vectors_meet_expectations(void **state)
{
	FILE *f = fopen(VEC_DIR "/MANIFEST.md", "r");
	char line[4096];
	int total = 0, met = 0, unexpected = 0, known = 0;
	const char *dump = getenv("ESEAL_VERIFY_DUMP");

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *cols[12] = {0}, *p = line, *bar, path[1024];
		const char *reason;
		int n = 0, v, ok;

		if (strncmp(line, "| ", 2) != 0 || strstr(line, ".pdf |") == NULL)
			continue;
		while (n < 12 && (bar = strchr(p, '|')) != NULL) {
			*bar = '\0';
			cols[n++] = p;
			p = bar + 1;
		}
		if (n < 7)
			continue;
		trim(cols[1]);
		trim(cols[6]);
		snprintf(path, sizeof(path), "%s/%s", VEC_DIR, cols[1]);
		printf("%-62s %-8s", cols[1], cols[6]);
		v = verdict_of(path, dump && (strcmp(dump, "1") == 0 || strcmp(dump, cols[1]) == 0));
		ok = expectation_met(cols[6], v);
		reason = known_reason(cols[1]);
		total++;
		met += ok;
		if (!ok && reason) {
			known++;
			printf("  -> %d KNOWN FAILURE: %s\n", v, reason);
		} else {
			printf("  -> %d %s%s\n", v, ok ? "ok" : "UNEXPECTED",
			       ok && reason ? " (fixed: remove from known_failures)" : "");
			unexpected += !ok;
		}
	}
	fclose(f);
	printf("vectors: %d, expectations met: %d, known failures: %d, unexpected: %d\n",
	       total, met, known, unexpected);
	assert_true(total >= 40);
	assert_int_equal(unexpected, 0);
}

/* ---- tampered copies ---- */

static char tmpdir[64];

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/es-verify-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void load_original(es_buf *b)
{
	assert_int_equal(es_file_read(b, ORIGINAL, MAX_VECTOR_LEN, NULL), 0);
}

static int verdict_of_bytes(const char *name, const void *p, size_t n)
{
	char path[256];
	FILE *f;
	int v;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
	printf("%-30s", name);
	v = verdict_of(path, 0);
	printf("  -> %d\n", v);
	return v;
}

static void original_is_intact(void **state)
{
	es_buf b = {0};
	int v;

	(void)state;
	load_original(&b);
	v = verdict_of_bytes("original.pdf", b.data, b.len);
	assert_true(v == ES_TOTAL_PASSED || v == ES_INDETERMINATE);
	es_buf_free(&b, 0);
}

static void verify_detects_byte_flipped_in_signed_range(void **state)
{
	es_buf b = {0};
	size_t offs[3], k;

	(void)state;
	load_original(&b);
	offs[0] = 20;
	offs[1] = b.len / 3;
	offs[2] = b.len - 30;
	for (k = 0; k < 3; k++) {
		char name[32];

		b.data[offs[k]] ^= 0x01;
		snprintf(name, sizeof(name), "flip-%zu.pdf", k);
		assert_int_equal(verdict_of_bytes(name, b.data, b.len), ES_TOTAL_FAILED);
		b.data[offs[k]] ^= 0x01;
	}
	es_buf_free(&b, 0);
}

static void verify_rejects_truncated_file(void **state)
{
	es_buf b = {0};
	int v;

	(void)state;
	load_original(&b);
	v = verdict_of_bytes("truncated.pdf", b.data, b.len - 10);
	assert_true(v == ES_TOTAL_FAILED || v == -1);
	v = verdict_of_bytes("half.pdf", b.data, b.len / 2);
	assert_true(v == ES_TOTAL_FAILED || v == -1 || v == ES_UNREADABLE);
	es_buf_free(&b, 0);
}

static void verify_rejects_appended_garbage(void **state)
{
	es_buf b = {0};
	static const char junk[] = "this is not a PDF update\n";

	(void)state;
	load_original(&b);
	assert_int_equal(es_buf_append(&b, junk, sizeof(junk) - 1, NULL), 0);
	assert_int_equal(verdict_of_bytes("garbage.pdf", b.data, b.len), ES_TOTAL_FAILED);
	es_buf_free(&b, 0);
}

/* Span of the /ByteRange array "[...]" of the first signature dictionary. */
static void find_byterange(const es_buf *b, size_t *s, size_t *e, long long br[4])
{
	const unsigned char *k = memmem(b->data, b->len, "/ByteRange", 10);
	const unsigned char *o, *c;

	assert_non_null(k);
	o = memchr(k, '[', 40);
	assert_non_null(o);
	c = memchr(o, ']', 120);
	assert_non_null(c);
	*s = (size_t)(o - b->data);
	*e = (size_t)(c - b->data) + 1;
	assert_int_equal(sscanf((const char *)o + 1, "%lld %lld %lld %lld",
				&br[0], &br[1], &br[2], &br[3]), 4);
}

/* Rewrite the ByteRange text in place; edit(br) returns the new text. */
static void usf_with_byterange(const char *name, int variant)
{
	es_buf b = {0};
	size_t s, e;
	long long br[4];
	char text[160];
	int n;

	load_original(&b);
	find_byterange(&b, &s, &e, br);
	switch (variant) {
	case 0: n = snprintf(text, sizeof(text), "[%lld %lld %lld]", br[0], br[1], br[2]); break;
	case 1: n = snprintf(text, sizeof(text), "[%lld -1 %lld %lld]", br[0], br[2], br[3]); break;
	case 2: n = snprintf(text, sizeof(text), "[%lld %lld %lld %lld]", br[0], br[1] + 64, br[2] - 64, br[3] + 64); break;
	case 3: n = snprintf(text, sizeof(text), "[%lld %lld %lld %lld]", br[0], br[1], br[2], br[3] + 1); break;
	case 4: n = snprintf(text, sizeof(text), "[%lld %lld %lld %lld]", br[0] + 1, br[1] - 1, br[2], br[3]); break;
	default: n = snprintf(text, sizeof(text), "[%lld %lld %lld %lld]", br[0], br[2], br[1], br[3]); break;
	}
	assert_true(n > 0 && (size_t)n <= e - s);
	memset(b.data + s, ' ', e - s);
	memcpy(b.data + s, text, (size_t)n);
	assert_int_equal(verdict_of_bytes(name, b.data, b.len), ES_TOTAL_FAILED);
	es_buf_free(&b, 0);
}

static void verify_rejects_usf_byterange_variants(void **state)
{
	(void)state;
	usf_with_byterange("br-three.pdf", 0);
	usf_with_byterange("br-negative.pdf", 1);
	usf_with_byterange("br-overlap.pdf", 2);
	usf_with_byterange("br-beyond-eof.pdf", 3);
	usf_with_byterange("br-not-zero.pdf", 4);
	usf_with_byterange("br-swapped.pdf", 5);
}

/* The signature dictionary's "/Contents <" (page /Contents are references). */
static unsigned char *find_sig_contents(es_buf *b)
{
	unsigned char *k = memmem(b->data, b->len, "/Contents <", 11);
	unsigned char *k2 = memmem(b->data, b->len, "/Contents<", 10);

	if (k == NULL || (k2 != NULL && k2 < k))
		k = k2;
	assert_non_null(k);
	return k;
}

static void verify_rejects_missing_or_empty_contents(void **state)
{
	es_buf b = {0};
	unsigned char *k, *lt, *gt;

	(void)state;
	load_original(&b);
	k = find_sig_contents(&b);
	lt = memchr(k, '<', 20);
	assert_non_null(lt);
	gt = memchr(lt, '>', (size_t)(b.data + b.len - lt));
	assert_non_null(gt);
	memset(lt + 1, '0', (size_t)(gt - lt - 1));
	assert_int_equal(verdict_of_bytes("contents-zero.pdf", b.data, b.len), ES_TOTAL_FAILED);
	lt[1] = '1';  /* not DER: first byte 0x10 */
	assert_int_equal(verdict_of_bytes("contents-not-der.pdf", b.data, b.len), ES_TOTAL_FAILED);
	es_buf_free(&b, 0);

	load_original(&b);
	k = find_sig_contents(&b);
	k[8] = 'z';
	assert_int_equal(verdict_of_bytes("contents-removed.pdf", b.data, b.len), ES_TOTAL_FAILED);
	es_buf_free(&b, 0);
}

static void verify_rejects_non_pdf(void **state)
{
	static const char text[] = "hello, this is not a PDF\n";
	es_report r = {0};
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(verdict_of_bytes("hello.txt", text, sizeof(text) - 1), -1);
	assert_int_equal(es_pdf_verify(&r, "/nonexistent/none.pdf", NULL, &err), ES_EIO);
	es_report_clear(&r);
	assert_int_equal(es_pdf_verify_mem(&r, (const unsigned char *)"%PDF-1.7\n", 9, NULL, &err),
			 ES_EFORMAT);
	es_report_clear(&r);
}

typedef struct upd_obj {
	int num;
	const char *body;
} upd_obj;

/* Append a classic incremental update defining the objects, with a trailer
 * naming info_num as /Info (ISO 32000-2 §7.5.6). */
static void append_objects(es_buf *b, const upd_obj *objs, size_t n, int info_num)
{
	const unsigned char *sx = NULL, *p = b->data;
	long long prev;
	size_t ofs[4], xref_ofs, i;
	char *end;

	assert_true(n <= 4);
	while ((p = memmem(p, b->len - (size_t)(p - b->data), "startxref", 9)) != NULL)
		sx = p++;
	assert_non_null(sx);
	prev = strtoll((const char *)sx + 9, &end, 10);
	assert_true(prev > 0);
	for (i = 0; i < n; i++) {
		ofs[i] = b->len;
		assert_int_equal(es_buf_printf(b, NULL, "%d 0 obj\n%s\nendobj\n",
					       objs[i].num, objs[i].body), 0);
	}
	xref_ofs = b->len;
	assert_int_equal(es_buf_puts(b, "xref\n", NULL), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(es_buf_printf(b, NULL, "%d 1\n%010zu 00000 n \n",
					       objs[i].num, ofs[i]), 0);
	assert_int_equal(es_buf_printf(b, NULL,
		"trailer\n<< /Size 72 /Root 1 0 R /Info %d 0 R /Prev %lld >>\nstartxref\n%zu\n%%%%EOF\n",
		info_num, prev, xref_ofs), 0);
}

static void append_update(es_buf *b, int num, const char *body, int info_num)
{
	upd_obj o = {num, body};

	append_objects(b, &o, 1, info_num);
}

/* Evil Annotation Attack (S&P 2021): a FreeText annotation added to the page
 * after an approval signature (only DocMDP P=3 would allow it). */
static void verify_rejects_annotation_added_after_signing(void **state)
{
	es_buf b = {0};
	const upd_obj objs[2] = {
		{6, "<< /Type /Page /MediaBox [0 0 595 842] /Rotate 0 /Parent 3 0 R "
		    "/Resources << /ProcSet [/PDF /ImageB /Text] /ExtGState 58 0 R /Font 59 0 R >> "
		    "/Contents 7 0 R /Annots [61 0 R 71 0 R] >>"},
		{71, "<< /Type /Annot /Subtype /FreeText /Rect [100 100 400 200] "
		     "/Contents (pay 1000000) /DA (/Helv 24 Tf 0 g) >>"},
	};

	(void)state;
	load_original(&b);
	append_objects(&b, objs, 2, 2);
	assert_int_equal(verdict_of_bytes("eaa-freetext.pdf", b.data, b.len), ES_TOTAL_FAILED);
	es_buf_free(&b, 0);
}

static void verify_rejects_update_that_rewrites_page_content(void **state)
{
	es_buf b = {0};
	es_report r = {0};
	char path[256];

	(void)state;
	load_original(&b);
	/* object 7 is the page's content stream in this vector */
	append_update(&b, 7, "<< /Length 8 >>\nstream\n0 0 m S\n\nendstream", 2);
	assert_int_equal(verdict_of_bytes("isa-content.pdf", b.data, b.len), ES_TOTAL_FAILED);
	snprintf(path, sizeof(path), "%s/isa-content.pdf", tmpdir);
	assert_int_equal(es_pdf_verify(&r, path, NULL, NULL), 0);
	assert_false(r.sigs[0].covers_whole);
	es_report_clear(&r);
	es_buf_free(&b, 0);
}

static void verify_allows_update_of_document_info(void **state)
{
	es_buf b = {0};
	int v;

	(void)state;
	load_original(&b);
	append_update(&b, 71, "<< /Producer (eseal test) >>", 71);
	v = verdict_of_bytes("info-update.pdf", b.data, b.len);
	assert_true(v == ES_TOTAL_PASSED || v == ES_INDETERMINATE);
	es_buf_free(&b, 0);
}

/* Sneaky Signature Attack (S&P 2021): an unsigned signature widget whose
 * appearance paints new content, added after signing. */
static void verify_rejects_unsigned_signature_widget_with_appearance(void **state)
{
	es_buf b = {0};
	const upd_obj objs[3] = {
		{6, "<< /Type /Page /MediaBox [0 0 595 842] /Rotate 0 /Parent 3 0 R "
		    "/Resources << /ProcSet [/PDF /ImageB /Text] /ExtGState 58 0 R /Font 59 0 R >> "
		    "/Contents 7 0 R /Annots [61 0 R 71 0 R] >>"},
		{71, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (sneaky) /F 4 /P 6 0 R "
		     "/Rect [50 50 545 300] /AP << /N 72 0 R >> >>"},
		{72, "<< /Type /XObject /Subtype /Form /BBox [0 0 495 250] /Length 33 >>\n"
		     "stream\n1 1 1 rg 0 0 495 250 re f\n0 0 m\nendstream"},
	};

	(void)state;
	load_original(&b);
	append_objects(&b, objs, 3, 2);
	assert_int_equal(verdict_of_bytes("ssa-widget.pdf", b.data, b.len), ES_TOTAL_FAILED);
	es_buf_free(&b, 0);
}

/* Trust anchors = the self-signed certificates in the first signature's CMS
 * (a test-only shortcut: real anchors come from the platform). */
static STACK_OF(X509) *anchors_from_first_sig(const char *path)
{
	es_buf b = {0};
	unsigned char *k, *lt, *gt, *der;
	const unsigned char *p;
	long n;
	CMS_ContentInfo *cms;
	STACK_OF(X509) *certs, *out = sk_X509_new_null();
	int i;

	assert_int_equal(es_file_read(&b, path, MAX_VECTOR_LEN, NULL), 0);
	k = find_sig_contents(&b);
	lt = memchr(k, '<', 20);
	gt = memchr(lt, '>', (size_t)(b.data + b.len - lt));
	assert_non_null(gt);
	der = malloc((size_t)(gt - lt) / 2 + 1);
	n = es_hex_decode(der, (size_t)(gt - lt) / 2 + 1, (const char *)lt + 1, (size_t)(gt - lt - 1));
	assert_true(n > 0);
	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, n);
	assert_non_null(cms);
	certs = CMS_get1_certs(cms);
	for (i = 0; i < sk_X509_num(certs); i++)
		if (X509_check_issued(sk_X509_value(certs, i), sk_X509_value(certs, i)) == X509_V_OK) {
			X509_up_ref(sk_X509_value(certs, i));
			sk_X509_push(out, sk_X509_value(certs, i));
		}
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	free(der);
	es_buf_free(&b, 0);
	assert_true(sk_X509_num(out) > 0);
	return out;
}

static int has_code(const es_sig_report *s, const char *code)
{
	size_t k;

	for (k = 0; k < s->nfindings; k++)
		if (strcmp(s->findings[k].code, code) == 0)
			return 1;
	return 0;
}

#define LTA_VECTOR VEC_DIR "/pyhanko-pades-lta-dss-indirect-arrs-test.pdf"
#define TIME_2020_09 ((time_t)1600000000)  /* Alice's certificate valid 2020-2021 */
#define TIME_2023_11 ((time_t)1700000000)

static void trusted_lta_signature_passes_and_reports_details(void **state)
{
	es_verify_opts o = ES_VERIFY_OPTS_INIT;
	es_report r = {0};
	es_err err = ES_ERR_INIT;

	(void)state;
	o.anchors = anchors_from_first_sig(LTA_VECTOR);
	o.now = TIME_2020_09;
	assert_int_equal(es_pdf_verify(&r, LTA_VECTOR, &o, &err), 0);
	assert_int_equal(r.verdict, ES_TOTAL_PASSED);
	assert_int_equal(r.nsigs, 2);
	assert_string_equal(r.sigs[0].kind, "pades");
	assert_string_equal(r.sigs[0].signer, "Alice");
	assert_string_equal(r.sigs[0].organisation, "Example Inc");
	assert_string_equal(r.sigs[0].level, "B-LTA");
	assert_string_equal(r.sigs[0].time_source, "timestamp");
	assert_string_equal(r.sigs[0].revocation, "good");
	assert_true(r.sigs[0].chain_trusted);
	assert_true(r.sigs[0].integrity_ok);
	assert_true(r.sigs[0].covers_whole);
	assert_string_equal(r.sigs[1].kind, "doc-timestamp");
	es_report_clear(&r);

	/* after the signer certificate expired: intact, but indeterminate */
	o.now = TIME_2023_11;
	assert_int_equal(es_pdf_verify(&r, LTA_VECTOR, &o, &err), 0);
	assert_int_equal(r.verdict, ES_INDETERMINATE);
	assert_true(has_code(&r.sigs[0], "CERT_EXPIRED"));
	es_report_clear(&r);
	sk_X509_pop_free(o.anchors, X509_free);
}

/* ---- an object of the signed revision completed by a later update ---- */

#define SPAN_DOC_CAP 8192
#define SPAN_BR_WIDTH 10

static size_t put(char *d, size_t at, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(d + at, SPAN_DOC_CAP - at, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && at + (size_t)n < SPAN_DOC_CAP);
	return at + (size_t)n;
}

/* A one-page PDF, a signature update (placeholder CMS: the change analysis
 * runs whatever the CMS says), then an update that only adds an /Info
 * object.  spanning: the page content stream sits at the very end of the
 * original revision with a /Length far past it, so the bytes appended last
 * ("EI ... (EVIL) Tj") become part of it although its xref entry never
 * changes; viewers show them. */
static size_t build_spanning_doc(char *d, int spanning)
{
	const char *content = "BT /F1 24 Tf 30 200 Td (Hello) Tj ET\n";
	size_t at, o[9] = {0}, xref0, xref1, xref2, br_at, cs, ce, end1;
	char br[64];
	int k;

	at = put(d, 0, "%%PDF-1.7\n");
	o[1] = at;
	at = put(d, at, "1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n");
	o[2] = at;
	at = put(d, at, "2 0 obj\n<</Type/Pages/Count 1/Kids[3 0 R]>>\nendobj\n");
	o[3] = at;
	at = put(d, at, "3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 300]/Contents 4 0 R"
		 "/Resources<</Font<</F1 5 0 R>>>>>>\nendobj\n");
	o[5] = at;
	at = put(d, at, "5 0 obj\n<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>\nendobj\n");
	if (!spanning) {
		o[4] = at;
		at = put(d, at, "4 0 obj\n<</Length %zu>>stream\n%sendstream\nendobj\n", strlen(content),
			 content);
	}
	xref0 = at;
	/* object 4 of the spanning variant follows startxref: its offset is known
	 * once the xref and trailer are written, all fixed width */
	if (spanning)
		o[4] = xref0 + strlen("xref\n0 6\n") + 6 * 20 +
		       strlen("trailer\n<</Size 6/Root 1 0 R>>\nstartxref\n") + 10 + 1;
	at = put(d, at, "xref\n0 6\n0000000000 65535 f \n");
	for (k = 1; k <= 5; k++)
		at = put(d, at, "%010zu 00000 n \n", o[k]);
	at = put(d, at, "trailer\n<</Size 6/Root 1 0 R>>\nstartxref\n%010zu\n", xref0);
	if (spanning) {
		assert_int_equal(at, o[4]);
		at = put(d, at, "4 0 obj\n<</Length 100000>>stream\n%sBI /W 1 /H 1 /BPC 8 /CS /G ID\n",
			 content);
	}
	at = put(d, at, "%%%%EOF\n");
	/* the signature update */
	o[6] = at;
	at = put(d, at, "6 0 obj\n<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange[");
	br_at = at;
	at = put(d, at, "%*s]/Contents", 4 * SPAN_BR_WIDTH + 3, "");
	cs = at;
	at = put(d, at, "<3000000000000000000000000000000000000000>");
	ce = at;
	at = put(d, at, ">>\nendobj\n");
	o[7] = at;
	at = put(d, at, "7 0 obj\n<</FT/Sig/T(s1)/V 6 0 R/Type/Annot/Subtype/Widget/Rect[0 0 0 0]"
		 "/P 3 0 R/F 132>>\nendobj\n");
	o[3] = at;
	at = put(d, at, "3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 300]/Contents 4 0 R"
		 "/Resources<</Font<</F1 5 0 R>>>>/Annots[7 0 R]>>\nendobj\n");
	o[1] = at;
	at = put(d, at, "1 0 obj\n<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[7 0 R]/SigFlags 3>>>>\n"
		 "endobj\n");
	xref1 = at;
	at = put(d, at, "xref\n0 2\n0000000000 65535 f \n%010zu 00000 n \n3 1\n%010zu 00000 n \n"
		 "6 2\n%010zu 00000 n \n%010zu 00000 n \n", o[1], o[3], o[6], o[7]);
	at = put(d, at, "trailer\n<</Size 8/Root 1 0 R/Prev %zu>>\nstartxref\n%zu\n%%%%EOF\n", xref0,
		 xref1);
	end1 = at;
	snprintf(br, sizeof(br), "0 %*zu %*zu %*zu", SPAN_BR_WIDTH, cs, SPAN_BR_WIDTH, ce, SPAN_BR_WIDTH,
		 end1 - ce);
	memcpy(d + br_at, br, strlen(br));
	/* the later update: text for the stream, then a harmless /Info object */
	at = put(d, at, "EI\nBT /F1 24 Tf 30 100 Td (EVIL) Tj ET\nendstream\nendobj\n");
	o[8] = at;
	at = put(d, at, "8 0 obj\n<</Producer(x)>>\nendobj\n");
	xref2 = at;
	at = put(d, at, "xref\n0 1\n0000000000 65535 f \n8 1\n%010zu 00000 n \n", o[8]);
	at = put(d, at, "trailer\n<</Size 9/Root 1 0 R/Prev %zu/Info 8 0 R>>\nstartxref\n%zu\n%%%%EOF\n",
		 xref1, xref2);
	return at;
}

static void verify_rejects_stream_completed_by_a_later_update(void **state)
{
	static char doc[SPAN_DOC_CAP];
	int spanning;

	(void)state;
	for (spanning = 0; spanning < 2; spanning++) {
		size_t n = build_spanning_doc(doc, spanning);
		es_report r = {0};
		es_err err = ES_ERR_INIT;

		assert_int_equal(es_pdf_verify_mem(&r, (const unsigned char *)doc, n, NULL, &err), 0);
		assert_int_equal(r.nsigs, 1);
		if (spanning)
			assert_true(has_code(&r.sigs[0], "DISALLOWED_CHANGE"));
		else
			assert_true(has_code(&r.sigs[0], "LATER_CHANGES_ALLOWED") &&
				    !has_code(&r.sigs[0], "DISALLOWED_CHANGE"));
		es_report_clear(&r);
	}
}

/* A signature widget that /AcroForm /Fields does not list, on page 2 of 3,
 * whose page spells /Annots as annots_key. */
static size_t build_unlisted_doc(char *d, const char *annots_key)
{
	size_t o[8], at = 0, xref;
	int k;

	at = put(d, at, "%%PDF-1.7\n");
	o[1] = at;
	at = put(d, at, "1 0 obj\n<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[]>>>>\nendobj\n");
	o[2] = at;
	at = put(d, at, "2 0 obj\n<</Type/Pages/Count 3/Kids[3 0 R 4 0 R 5 0 R]>>\nendobj\n");
	o[3] = at;
	at = put(d, at, "3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 300]>>\nendobj\n");
	o[4] = at;
	at = put(d, at, "4 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 300]/%s[6 0 R]>>\nendobj\n",
		 annots_key);
	o[5] = at;
	at = put(d, at, "5 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 300]>>\nendobj\n");
	o[6] = at;
	at = put(d, at, "6 0 obj\n<</FT/Sig/T(hidden)/V 7 0 R/Type/Annot/Subtype/Widget/Rect[10 10 60 60]"
		 "/F 4>>\nendobj\n");
	o[7] = at;
	at = put(d, at, "7 0 obj\n<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached"
		 "/ByteRange[0 10 20 30]/Contents<3000>>>\nendobj\n");
	xref = at;
	at = put(d, at, "xref\n0 8\n0000000000 65535 f \n");
	for (k = 1; k <= 7; k++)
		at = put(d, at, "%010zu 00000 n \n", o[k]);
	at = put(d, at, "trailer\n<</Size 8/Root 1 0 R>>\nstartxref\n%zu\n%%%%EOF\n", xref);
	return at;
}

/* Widgets outside /Fields are found however the page spells /Annots: the
 * plain-bytes shortcut of the page walk never hides one. */
static void verify_finds_unlisted_signature_widgets(void **state)
{
	static char doc[SPAN_DOC_CAP];
	static const char *const keys[] = {"Annots", "Ann#6Fts", "#41nnots"};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		size_t n = build_unlisted_doc(doc, keys[k]);
		es_report r = {0};
		es_err err = ES_ERR_INIT;

		assert_int_equal(es_pdf_verify_mem(&r, (const unsigned char *)doc, n, NULL, &err), 0);
		assert_int_equal(r.nsigs, 1);
		assert_int_equal(r.sigs[0].page, 2);
		assert_int_equal(r.verdict, ES_TOTAL_FAILED);
		es_report_clear(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(manifest_vectors_meet_expectations),
		cmocka_unit_test(verify_finds_unlisted_signature_widgets),
		cmocka_unit_test(original_is_intact),
		cmocka_unit_test(verify_detects_byte_flipped_in_signed_range),
		cmocka_unit_test(verify_rejects_truncated_file),
		cmocka_unit_test(verify_rejects_appended_garbage),
		cmocka_unit_test(verify_rejects_usf_byterange_variants),
		cmocka_unit_test(verify_rejects_missing_or_empty_contents),
		cmocka_unit_test(verify_rejects_non_pdf),
		cmocka_unit_test(verify_rejects_update_that_rewrites_page_content),
		cmocka_unit_test(verify_allows_update_of_document_info),
		cmocka_unit_test(verify_rejects_annotation_added_after_signing),
		cmocka_unit_test(verify_rejects_unsigned_signature_widget_with_appearance),
		cmocka_unit_test(trusted_lta_signature_passes_and_reports_details),
		cmocka_unit_test(verify_rejects_stream_completed_by_a_later_update),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
