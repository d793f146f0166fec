/* Seals built by hand in the test (own tiny DER builder, OpenSSL signing) to
 * pin down what each layout signs and the lenient corners of the reader.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "eseal/pki.h"
#include "eseal/seal.h"

#define VEC ESEAL_SHARED_DIR "/vectors/ofd/"

/* ---- a tiny DER builder: every function consumes its blob arguments ---- */

typedef struct blob {
	unsigned char *p;
	size_t n;
} blob;

static blob raw(const void *p, size_t n)
{
	blob b = {malloc(n ? n : 1), n};

	assert_non_null(b.p);
	if (n)
		memcpy(b.p, p, n);
	return b;
}

static blob tlv(unsigned char tag, blob c)
{
	unsigned char h[6];
	size_t hl = 0;
	blob b;

	h[hl++] = tag;
	if (c.n < 0x80) {
		h[hl++] = (unsigned char)c.n;
	} else if (c.n < 0x100) {
		h[hl++] = 0x81;
		h[hl++] = (unsigned char)c.n;
	} else {
		assert_true(c.n < 0x10000);
		h[hl++] = 0x82;
		h[hl++] = (unsigned char)(c.n >> 8);
		h[hl++] = (unsigned char)c.n;
	}
	b.n = hl + c.n;
	b.p = malloc(b.n);
	assert_non_null(b.p);
	memcpy(b.p, h, hl);
	if (c.n)
		memcpy(b.p + hl, c.p, c.n);
	free(c.p);
	return b;
}

static blob cat(int k, ...)
{
	va_list ap;
	blob out = {NULL, 0};
	int i;

	va_start(ap, k);
	for (i = 0; i < k; i++) {
		blob b = va_arg(ap, blob);

		out.p = realloc(out.p, out.n + b.n + 1);
		assert_non_null(out.p);
		memcpy(out.p + out.n, b.p, b.n);
		out.n += b.n;
		free(b.p);
	}
	va_end(ap);
	return out;
}

static blob str(unsigned char tag, const char *s)
{
	return tlv(tag, raw(s, strlen(s)));
}

static blob small_int(unsigned char v)
{
	assert_true(v < 0x80);
	return tlv(0x02, raw(&v, 1));
}

static blob x509_der(X509 *x)
{
	unsigned char *d = NULL;
	int n = i2d_X509(x, &d);
	blob b;

	assert_true(n > 0);
	b = raw(d, (size_t)n);
	OPENSSL_free(d);
	return b;
}

static blob dup(blob b)
{
	return raw(b.p, b.n);
}

/* SM3withSM2 (default id) with plain OpenSSL calls; DER SEQUENCE{r,s}. */
static blob sm2_sign(EVP_PKEY *k, blob msg)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k, NULL);
	unsigned char sig[128];
	size_t n = sizeof(sig);

	assert_int_equal(EVP_PKEY_CTX_set1_id(pc, "1234567812345678", 16), 1);
	EVP_MD_CTX_set_pkey_ctx(m, pc);
	assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sm3(), NULL, k), 1);
	assert_int_equal(EVP_DigestSign(m, sig, &n, msg.p, msg.n), 1);
	EVP_MD_CTX_free(m);
	EVP_PKEY_CTX_free(pc);
	free(msg.p);
	return raw(sig, n);
}

static blob der_to_raw_rs(blob der)
{
	const unsigned char *p = der.p;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der.n);
	unsigned char rs[64];

	assert_non_null(s);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(s), rs, 32), 32);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(s), rs + 32, 32), 32);
	ECDSA_SIG_free(s);
	free(der.p);
	return raw(rs, 64);
}

static blob bits(blob sig)
{
	unsigned char z = 0;

	return tlv(0x03, cat(2, raw(&z, 1), sig));
}

static const unsigned char SM3_WITH_SM2[] = {0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75};
static const char PIC[] = "GIF89a-not-really";

typedef struct fixture {
	X509 *maker, *holder;
	EVP_PKEY *key;
	STACK_OF(X509) *anchors;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	FILE *fp;

	assert_non_null(f);
	fp = fopen(VEC "ofdrw-sign_cert.pem", "r");
	assert_non_null(fp);
	f->maker = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	fp = fopen(VEC "ofdrw-USER-cert.pem", "r");
	assert_non_null(fp);
	f->holder = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	fp = fopen(VEC "ofdrw-sign_key.pem", "r");
	assert_non_null(fp);
	f->key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(f->maker);
	assert_non_null(f->holder);
	assert_non_null(f->key);
	f->anchors = sk_X509_new_null();
	sk_X509_push(f->anchors, f->maker);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	sk_X509_free(f->anchors);
	X509_free(f->maker);
	X509_free(f->holder);
	EVP_PKEY_free(f->key);
	free(f);
	return 0;
}

/* certListType 2 entry: SEQUENCE { "SM3", SM3(holder DER) } */
static blob digest_list(X509 *holder)
{
	blob d = x509_der(holder);
	unsigned char md[32];
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(d.p, d.n, md, &n, EVP_sm3(), NULL), 1);
	free(d.p);
	return tlv(0x30, tlv(0x30, cat(2, str(0x13, "SM3"), tlv(0x04, raw(md, n)))));
}

/* eSealInfo; v1 → no certListType and UTCTime dates, v4 → digest list and
 * GeneralizedTime with a fraction and an offset. */
static const char *g_name = "手工印章";

static blob seal_info(const fixture *f, int version, int layout_v1)
{
	blob header = tlv(0x30, cat(3, str(0x16, "ES"), small_int((unsigned char)version),
				       str(0x16, "hand")));
	blob prop, pic;

	if (layout_v1)
		prop = tlv(0x30, cat(6, small_int(2), str(0x0c, g_name),
				     tlv(0x30, tlv(0x04, x509_der(f->holder))),
				     str(0x17, "220101000000Z"), str(0x17, "220101000000Z"),
				     str(0x17, "300101000000Z")));
	else
		prop = tlv(0x30, cat(7, small_int(2), str(0x0c, g_name), small_int(2),
				     digest_list(f->holder), str(0x18, "20220101000000.5Z"),
				     str(0x18, "20220101080000+0800"), str(0x18, "20300101000000")));
	pic = tlv(0x30, cat(4, str(0x16, "GIF"), tlv(0x04, raw(PIC, sizeof(PIC) - 1)),
			    small_int(20), small_int(30)));
	return tlv(0x30, cat(4, header, str(0x16, "HAND-1"), prop, pic));
}

/* v4: SEQUENCE{info, cert, alg, sig}; tbs_v1_style signs SEQUENCE{info,cert,alg}.
 * raw_rs: 1 → raw r||s; 2 → raw r||s whose first byte is 0x30 (like DER). */
static blob seal_v4(const fixture *f, int tbs_v1_style, int raw_rs)
{
	blob info = seal_info(f, 4, 0);
	blob cert = tlv(0x04, x509_der(f->maker));
	blob alg = tlv(0x06, raw(SM3_WITH_SM2, sizeof(SM3_WITH_SM2)));
	blob sig;
	int tries = 0;

	do {
		blob tbs = tbs_v1_style ? tlv(0x30, cat(3, dup(info), dup(cert), dup(alg))) : dup(info);

		if (tries++ > 0)
			free(sig.p);
		sig = sm2_sign(f->key, tbs);
		if (raw_rs)
			sig = der_to_raw_rs(sig);
	} while (raw_rs == 2 && sig.p[0] != 0x30 && tries < 100000);
	assert_true(raw_rs != 2 || sig.p[0] == 0x30);
	return tlv(0x30, cat(4, info, cert, alg, bits(sig)));
}

/* v1: SEQUENCE{info, SEQUENCE{cert, alg, sig}}. */
static blob seal_v1(const fixture *f, int version, int tbs_info_only)
{
	blob info = seal_info(f, version, 1);
	blob cert = tlv(0x04, x509_der(f->maker));
	blob alg = tlv(0x06, raw(SM3_WITH_SM2, sizeof(SM3_WITH_SM2)));
	blob tbs = tbs_info_only ? dup(info) : tlv(0x30, cat(3, dup(info), dup(cert), dup(alg)));
	blob sig = sm2_sign(f->key, tbs);

	return tlv(0x30, cat(2, info, tlv(0x30, cat(3, cert, alg, bits(sig)))));
}

/* Parse + check at 2022-07-01 with the maker as anchor; returns the verdict. */
static es_verdict verdict_of(const fixture *f, blob b, int *integrity)
{
	es_seal *s = NULL;
	es_report r = {0};
	es_sig_report *sig = NULL;
	struct tm tm = {.tm_year = 122, .tm_mon = 6, .tm_mday = 1};
	es_verdict v;

	assert_int_equal(es_seal_parse(&s, b.p, b.n, NULL), 0);
	assert_int_equal(es_report_add_sig(&r, &sig, "seal", NULL), 0);
	assert_int_equal(es_seal_check(s, &r, sig, f->anchors, timegm(&tm), NULL), 0);
	es_report_finish(&r);
	v = r.verdict;
	*integrity = sig->integrity_ok;
	es_report_clear(&r);
	es_seal_free(s);
	return v;
}

static void v1_signature_covers_info_cert_and_alg(void **state)
{
	fixture *f = *state;
	blob good = seal_v1(f, 1, 0), bad = seal_v1(f, 1, 1);
	es_seal *s = NULL;
	int ok = -1;

	assert_int_equal(es_seal_parse(&s, good.p, good.n, NULL), 0);
	assert_int_equal(es_seal_version(s), 1);
	assert_int_equal(es_seal_cert_list_type(s), 1);
	assert_int_equal(es_seal_valid_end(s), 1893456000); /* UTCTime 300101000000Z */
	es_seal_free(s);
	assert_int_equal(verdict_of(f, good, &ok), ES_TOTAL_PASSED);
	assert_int_equal(ok, 1);
	/* the v4 rule applied to a v1 seal must not be accepted */
	assert_int_equal(verdict_of(f, bad, &ok), ES_TOTAL_FAILED);
	assert_int_equal(ok, 0);
	free(good.p);
	free(bad.p);
}

static void v4_signature_covers_info_only(void **state)
{
	fixture *f = *state;
	blob good = seal_v4(f, 0, 0), bad = seal_v4(f, 1, 0);
	int ok = -1;

	assert_int_equal(verdict_of(f, good, &ok), ES_TOTAL_PASSED);
	assert_int_equal(ok, 1);
	assert_int_equal(verdict_of(f, bad, &ok), ES_TOTAL_FAILED);
	free(good.p);
	free(bad.p);
}

static void v4_raw_rs_signature_is_accepted(void **state)
{
	fixture *f = *state;
	blob b = seal_v4(f, 0, 1);
	int ok = -1;

	assert_int_equal(verdict_of(f, b, &ok), ES_TOTAL_PASSED);
	assert_int_equal(ok, 1);
	free(b.p);
}

/* Regression: raw r||s with r starting 0x30 was once taken for DER. */
static void v4_raw_rs_signature_starting_0x30_is_accepted(void **state)
{
	fixture *f = *state;
	blob b = seal_v4(f, 0, 2);
	int ok = -1;

	assert_int_equal(verdict_of(f, b, &ok), ES_TOTAL_PASSED);
	assert_int_equal(ok, 1);
	free(b.p);
}

static void digest_cert_list_and_lenient_dates_are_read(void **state)
{
	fixture *f = *state;
	blob b = seal_v4(f, 0, 0), h = x509_der(f->holder), m = x509_der(f->maker);
	es_seal *s = NULL;
	size_t n;

	assert_int_equal(es_seal_parse(&s, b.p, b.n, NULL), 0);
	assert_int_equal(es_seal_cert_list_type(s), 2);
	assert_int_equal(es_seal_cert_count(s), 1);
	assert_non_null(es_seal_cert_at(s, 0, &n));
	assert_int_equal(n, 32);
	assert_int_equal(es_seal_lists_cert(s, h.p, h.n), 1);
	assert_int_equal(es_seal_lists_cert(s, m.p, m.n), 0);
	/* 20220101000000.5Z, 20220101080000+0800 and zone-less 20300101000000 */
	assert_int_equal(es_seal_create_date(s), 1640995200);
	assert_int_equal(es_seal_valid_start(s), 1640995200);
	assert_int_equal(es_seal_valid_end(s), 1893456000);
	assert_int_equal(es_seal_picture_width_mm(s), 20);
	assert_int_equal(es_seal_picture_height_mm(s), 30);
	es_seal_free(s);
	free(b.p);
	free(h.p);
	free(m.p);
}

static void header_version_must_match_layout(void **state)
{
	fixture *f = *state;
	blob b = seal_v1(f, 4, 0);
	es_seal *s = NULL;
	es_err err = ES_ERR_INIT;

	assert_int_equal(es_seal_parse(&s, b.p, b.n, &err), ES_EFORMAT);
	assert_null(s);
	free(b.p);
}

static void wrong_header_id_is_rejected(void **state)
{
	fixture *f = *state;
	blob b = seal_v4(f, 0, 0);
	es_seal *s = NULL;
	unsigned char *p = memmem(b.p, b.n, "\x16\x02" "ES", 4);

	assert_non_null(p);
	p[3] = 'X';
	assert_int_equal(es_seal_parse(&s, b.p, b.n, NULL), ES_EFORMAT);
	free(b.p);
}

/* Hostile text cannot break the report: control characters and bad UTF-8
 * become '?', long names are cut between characters. */
static void report_text_is_sanitised_utf8(void **state)
{
	fixture *f = *state;
	char longname[100 * 3 + 1] = "";
	es_seal *s = NULL;
	es_report r = {0};
	es_sig_report *sig = NULL;
	blob b;
	int i;

	g_name = "\x1b[31mA\xff\xe6\xb5";
	b = seal_v4(f, 0, 0);
	assert_int_equal(es_seal_parse(&s, b.p, b.n, NULL), 0);
	assert_int_equal(es_report_add_sig(&r, &sig, "seal", NULL), 0);
	assert_int_equal(es_seal_check(s, &r, sig, NULL, 0, NULL), 0);
	assert_string_equal(sig->seal_name, "?[31mA???");
	es_report_clear(&r);
	es_seal_free(s);
	free(b.p);

	for (i = 0; i < 100; i++)
		memcpy(longname + 3 * i, "章", 3);
	g_name = longname;
	b = seal_v4(f, 0, 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(es_seal_parse(&s, b.p, b.n, NULL), 0);
	assert_string_equal(es_seal_name(s), longname);
	assert_int_equal(es_report_add_sig(&r, &sig, "seal", NULL), 0);
	assert_int_equal(es_seal_check(s, &r, sig, NULL, 0, NULL), 0);
	assert_int_equal(strlen(sig->seal_name), 255); /* 85 whole characters */
	assert_memory_equal(sig->seal_name, longname, 255);
	es_report_clear(&r);
	es_seal_free(s);
	free(b.p);
	g_name = "手工印章";
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v1_signature_covers_info_cert_and_alg),
		cmocka_unit_test(v4_signature_covers_info_only),
		cmocka_unit_test(v4_raw_rs_signature_is_accepted),
		cmocka_unit_test(v4_raw_rs_signature_starting_0x30_is_accepted),
		cmocka_unit_test(digest_cert_list_and_lenient_dates_are_read),
		cmocka_unit_test(header_version_must_match_layout),
		cmocka_unit_test(wrong_header_id_is_rejected),
		cmocka_unit_test(report_text_is_sanitised_utf8),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
