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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "eseal/pki.h"
#include "eseal/seal.h"
#include "eseal/verify.h"
#include "util/util.h"

#define VEC ESEAL_SHARED_DIR "/vectors/ofd/"
#define MAX_VEC_LEN (1024 * 1024)

static time_t utc(int y, int mo, int d)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d};

	return timegm(&tm);
}

static void load(es_buf *b, const char *path)
{
	memset(b, 0, sizeof(*b));
	assert_int_equal(es_file_read(b, path, MAX_VEC_LEN, NULL), 0);
}

static X509 *load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static EVP_PKEY *load_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

static int has_finding(const es_sig_report *sig, const char *code)
{
	size_t i;

	for (i = 0; i < sig->nfindings; i++)
		if (strcmp(sig->findings[i].code, code) == 0)
			return 1;
	return 0;
}

/* Parse bytes and check them into a fresh report; returns the sig verdict. */
static es_verdict check_bytes(const unsigned char *p, size_t n, STACK_OF(X509) *anchors,
			      time_t at, es_report *r)
{
	es_seal *s = NULL;
	es_sig_report *sig = NULL;

	memset(r, 0, sizeof(*r));
	assert_int_equal(es_seal_parse(&s, p, n, NULL), 0);
	assert_int_equal(es_report_add_sig(r, &sig, "seal", NULL), 0);
	assert_int_equal(es_seal_check(s, r, sig, anchors, at, NULL), 0);
	es_report_finish(r);
	es_seal_free(s);
	for (size_t i = 0; i < r->sigs[0].nfindings; i++) {
		assert_true(r->sigs[0].findings[i].en[0] != '\0');
		assert_true(r->sigs[0].findings[i].zh[0] != '\0');
	}
	return r->sigs[0].verdict;
}

/* ---- vectors ---- */

typedef struct vec {
	const char *file;
	int version;
	const char *vid;
	const char *esid;
	int type;
	size_t ncerts;
	const char *pic_type;
	int w, h;
	int verifies; /* MANIFEST.md: maker signature valid */
} vec;

static const vec VECTORS[] = {
	{"ofdrw-UserV1.esl", 1, "OFDR&WTest", "40C8CDD24DEF43388B86E62CCE1D6832", 1, 1, "PNG", 40, 40, 1},
	{"ofdrw-UserV4.esl", 4, "OFDR&WTest", "51f044b76510434e9bc67a1185c2fba5", 3, 1, "PNG", 40, 40, 1},
	{"ofdrw-UserV5.esl", 5, "OFDR&WTestV5", "09aaf39291e049e4b3d716414590937e", 3, 1, "PNG", 40, 40, 1},
	{"gomain-zhejiang-tax.esl", 4, "GOMAIN", "33010600000001", 3, 1, "ofd", 30, 20, 1},
	{"shandong-zibo-realestate.esl", 4, "SHANDONG.TONGZHIWEIYE", "37030000001721", 6, 1, "PNG", 42, 42, 1},
	{"hebeigede-SESealData.esl", 4, "Vid HebeiGede", "esID130600", 4, 2, "GIF", 42, 42, 0},
};

static void vectors_parse_with_expected_fields(void **state)
{
	size_t i, n;
	es_buf b;
	es_seal *s;

	(void)state;
	for (i = 0; i < ES_ARRAY_LEN(VECTORS); i++) {
		const vec *v = &VECTORS[i];
		char path[512];

		snprintf(path, sizeof(path), VEC "%s", v->file);
		load(&b, path);
		s = NULL;
		assert_int_equal(es_seal_parse(&s, b.data, b.len, NULL), 0);
		assert_int_equal(es_seal_version(s), v->version);
		assert_string_equal(es_seal_vid(s), v->vid);
		assert_string_equal(es_seal_esid(s), v->esid);
		assert_int_equal(es_seal_type(s), v->type);
		assert_int_equal(es_seal_cert_list_type(s), 1);
		assert_int_equal(es_seal_cert_count(s), v->ncerts);
		assert_string_equal(es_seal_picture_type(s), v->pic_type);
		assert_int_equal(es_seal_picture_width_mm(s), v->w);
		assert_int_equal(es_seal_picture_height_mm(s), v->h);
		assert_non_null(es_seal_picture(s, &n));
		assert_true(n > 0);
		assert_non_null(es_seal_maker_cert(s, &n));
		assert_true(n > 100);
		assert_non_null(es_seal_cert_at(s, 0, &n));
		assert_null(es_seal_cert_at(s, v->ncerts, &n));
		assert_true(es_seal_valid_start(s) < es_seal_valid_end(s));
		assert_memory_equal(es_seal_der(s, &n), b.data, b.len);
		es_seal_free(s);
		es_buf_free(&b, 0);
	}
}

static void vector_fields_decode_dates_and_utf8_names(void **state)
{
	es_buf b;
	es_seal *s = NULL;

	(void)state;
	load(&b, VEC "ofdrw-UserV1.esl");
	assert_int_equal(es_seal_parse(&s, b.data, b.len, NULL), 0);
	/* GM/T 0031 UTCTime 220422021807Z */
	assert_int_equal(es_seal_valid_end(s), utc(2022, 4, 22) + 2 * 3600 + 18 * 60 + 7);
	assert_string_equal(es_seal_name(s), "OFDRW测试用印章");
	es_seal_free(s);
	es_buf_free(&b, 0);
	load(&b, VEC "gomain-zhejiang-tax.esl");
	assert_int_equal(es_seal_parse(&s, b.data, b.len, NULL), 0);
	assert_string_equal(es_seal_name(s), "国家税务总局浙江省税务局");
	assert_int_equal(es_seal_valid_start(s), utc(2019, 10, 23) + 16 * 3600);
	es_seal_free(s);
	es_buf_free(&b, 0);
}

static void intact_vectors_verify_and_are_never_failed(void **state)
{
	size_t i;
	es_buf b;
	es_report r;

	(void)state;
	for (i = 0; i < ES_ARRAY_LEN(VECTORS); i++) {
		const vec *v = &VECTORS[i];
		char path[512];
		es_verdict verdict;

		snprintf(path, sizeof(path), VEC "%s", v->file);
		load(&b, path);
		verdict = check_bytes(b.data, b.len, NULL, 0, &r);
		if (v->verifies) {
			assert_int_equal(r.sigs[0].integrity_ok, 1);
			assert_true(has_finding(&r.sigs[0], "SEAL_SIGNATURE_VALID"));
			/* no anchors: never PASSED, and an intact seal is never FAILED */
			assert_int_equal(verdict, ES_INDETERMINATE);
			assert_true(has_finding(&r.sigs[0], "CHAIN_UNTRUSTED"));
			assert_string_equal(r.sigs[0].seal_code, v->esid);
			assert_string_equal(r.sigs[0].level, v->version == 1 ? "SES-v1" : "SES-v4");
			assert_true(r.sigs[0].seal_maker[0] != '\0');
			assert_true(r.sigs[0].valid_from[0] != '\0');
		} else {
			/* hebeigede: parse-only; whatever it is, it does not pass */
			assert_int_not_equal(verdict, ES_TOTAL_PASSED);
			assert_int_equal(r.sigs[0].integrity_ok, 0);
		}
		es_report_clear(&r);
		es_buf_free(&b, 0);
	}
}

/* Trusting the seal's own maker certificate, at a time inside every validity
 * window, a real ofdrw seal reaches TOTAL_PASSED. */
static void vector_seal_passes_when_maker_is_anchor_at_seal_time(void **state)
{
	es_buf b;
	es_seal *s = NULL;
	const unsigned char *mp;
	size_t mlen;
	X509 *maker;
	STACK_OF(X509) *anchors = sk_X509_new_null();
	es_report r;

	(void)state;
	load(&b, VEC "ofdrw-UserV4.esl");
	assert_int_equal(es_seal_parse(&s, b.data, b.len, NULL), 0);
	mp = es_seal_maker_cert(s, &mlen);
	maker = d2i_X509(NULL, &mp, (long)mlen);
	assert_non_null(maker);
	sk_X509_push(anchors, maker);
	assert_int_equal(check_bytes(b.data, b.len, anchors, utc(2021, 1, 1), &r), ES_TOTAL_PASSED);
	assert_int_equal(r.sigs[0].chain_trusted, 1);
	es_report_clear(&r);
	/* the same seal today: expired seal and certificate, still intact */
	assert_int_equal(check_bytes(b.data, b.len, anchors, 0, &r), ES_INDETERMINATE);
	assert_true(has_finding(&r.sigs[0], "SEAL_EXPIRED"));
	assert_true(has_finding(&r.sigs[0], "CERT_EXPIRED"));
	assert_int_equal(r.sigs[0].integrity_ok, 1);
	es_report_clear(&r);
	sk_X509_pop_free(anchors, X509_free);
	es_seal_free(s);
	es_buf_free(&b, 0);
}

/* ---- making seals ---- */

typedef struct made {
	unsigned char *der;
	size_t len;
	X509 *maker, *holder;
	EVP_PKEY *key;
} made;

static const unsigned char FAKE_PNG[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 'e', 's', 'e', 'a', 'l', '-', 'p', 'i', 'c'};

static void make_seal(made *m)
{
	es_seal_info in;
	es_err err = ES_ERR_INIT;

	memset(m, 0, sizeof(*m));
	m->maker = load_cert(VEC "ofdrw-sign_cert.pem");
	m->holder = load_cert(VEC "ofdrw-USER-cert.pem");
	m->key = load_key(VEC "ofdrw-sign_key.pem");
	memset(&in, 0, sizeof(in));
	in.vid = "eseal";
	in.esid = "ES3301000000000001";
	in.type = 1;
	in.name = "杭州测试有限公司合同专用章";
	in.certs = &m->holder;
	in.ncerts = 1;
	in.create_date = utc(2022, 6, 1);
	in.valid_start = utc(2022, 6, 1);
	in.valid_end = utc(2030, 6, 1);
	in.picture_type = "PNG";
	in.picture = FAKE_PNG;
	in.picture_len = sizeof(FAKE_PNG);
	in.width_mm = 42;
	in.height_mm = 42;
	assert_int_equal(es_seal_make_v4(&m->der, &m->len, &in, m->maker, m->key, &err), 0);
	assert_non_null(m->der);
}

static void made_free(made *m)
{
	free(m->der);
	X509_free(m->maker);
	X509_free(m->holder);
	EVP_PKEY_free(m->key);
}

static int cert_der(X509 *x, unsigned char **out)
{
	*out = NULL;
	return i2d_X509(x, out);
}

static const unsigned char *find(const unsigned char *h, size_t hl, const void *n, size_t nl)
{
	return memmem(h, hl, n, nl);
}

static void made_seal_parses_back_and_passes(void **state)
{
	made m;
	es_seal *s = NULL;
	STACK_OF(X509) *anchors = sk_X509_new_null();
	unsigned char *hd = NULL, *md = NULL;
	int hl, ml;
	size_t n;
	es_report r;

	(void)state;
	make_seal(&m);
	assert_int_equal(es_seal_parse(&s, m.der, m.len, NULL), 0);
	assert_int_equal(es_seal_version(s), 4);
	assert_string_equal(es_seal_vid(s), "eseal");
	assert_string_equal(es_seal_esid(s), "ES3301000000000001");
	assert_string_equal(es_seal_name(s), "杭州测试有限公司合同专用章");
	assert_int_equal(es_seal_type(s), 1);
	assert_int_equal(es_seal_create_date(s), utc(2022, 6, 1));
	assert_int_equal(es_seal_valid_end(s), utc(2030, 6, 1));
	assert_int_equal(es_seal_picture_width_mm(s), 42);
	assert_memory_equal(es_seal_picture(s, &n), FAKE_PNG, sizeof(FAKE_PNG));
	assert_int_equal(n, sizeof(FAKE_PNG));
	hl = cert_der(m.holder, &hd);
	ml = cert_der(m.maker, &md);
	assert_int_equal(es_seal_lists_cert(s, hd, (size_t)hl), 1);
	assert_int_equal(es_seal_lists_cert(s, md, (size_t)ml), 0);
	assert_memory_equal(es_seal_maker_cert(s, &n), md, (size_t)ml);
	es_seal_free(s);

	sk_X509_push(anchors, m.maker);
	/* maker cert valid 2021-07-29 .. 2023-07-29 */
	assert_int_equal(check_bytes(m.der, m.len, anchors, utc(2022, 7, 1), &r), ES_TOTAL_PASSED);
	assert_int_equal(r.sigs[0].integrity_ok, 1);
	assert_int_equal(r.sigs[0].chain_trusted, 1);
	assert_string_equal(r.sigs[0].seal_maker, "Test Certificate");
	assert_string_equal(r.sigs[0].level, "SES-v4");
	assert_string_equal(r.sigs[0].valid_from, "2022-06-01T00:00:00Z");
	es_report_clear(&r);
	assert_int_equal(check_bytes(m.der, m.len, anchors, utc(2024, 1, 1), &r), ES_INDETERMINATE);
	assert_true(has_finding(&r.sigs[0], "CERT_EXPIRED"));
	assert_false(has_finding(&r.sigs[0], "SEAL_EXPIRED"));
	es_report_clear(&r);
	assert_int_equal(check_bytes(m.der, m.len, anchors, utc(2022, 5, 1), &r), ES_INDETERMINATE);
	assert_true(has_finding(&r.sigs[0], "SEAL_NOT_YET_VALID"));
	es_report_clear(&r);
	sk_X509_free(anchors);
	OPENSSL_free(hd);
	OPENSSL_free(md);
	made_free(&m);
}

static void flip_and_expect_failure(const made *m, size_t off)
{
	unsigned char *copy = malloc(m->len);
	es_report r;

	assert_non_null(copy);
	memcpy(copy, m->der, m->len);
	copy[off] ^= 0x01;
	assert_int_equal(check_bytes(copy, m->len, NULL, utc(2022, 7, 1), &r), ES_TOTAL_FAILED);
	assert_true(has_finding(&r.sigs[0], "SEAL_SIGNATURE_INVALID"));
	assert_int_equal(r.sigs[0].integrity_ok, 0);
	assert_int_equal(r.verdict, ES_TOTAL_FAILED);
	es_report_clear(&r);
	free(copy);
}

static void byte_flip_in_signed_part_fails(void **state)
{
	made m;
	const unsigned char *p;

	(void)state;
	make_seal(&m);
	p = find(m.der, m.len, FAKE_PNG, sizeof(FAKE_PNG));
	assert_non_null(p);
	flip_and_expect_failure(&m, (size_t)(p - m.der) + 9);     /* picture */
	p = find(m.der, m.len, "ES3301000000000001", 18);
	assert_non_null(p);
	flip_and_expect_failure(&m, (size_t)(p - m.der) + 17);    /* esID */
	flip_and_expect_failure(&m, m.len - 1);                   /* signature s */
	made_free(&m);
}

static void truncated_garbage_and_empty_input_are_format_errors(void **state)
{
	made m;
	es_seal *s = NULL;
	es_err err = ES_ERR_INIT;
	size_t i;
	unsigned char *longer;
	static const unsigned char indefinite[] = {0x30, 0x80, 0x04, 0x00, 0x00, 0x00};
	static const unsigned char huge[] = {0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x00};
	static const unsigned char nonminimal[] = {0x30, 0x81, 0x02, 0x05, 0x00};
	static const unsigned char hightag[] = {0x3f, 0x81, 0x02, 0x00};

	(void)state;
	make_seal(&m);
	for (i = 0; i < m.len; i++) {
		assert_int_equal(es_seal_parse(&s, m.der, i, &err), ES_EFORMAT);
		assert_null(s);
	}
	longer = malloc(m.len + 1);
	assert_non_null(longer);
	memcpy(longer, m.der, m.len);
	longer[m.len] = 0;
	assert_int_equal(es_seal_parse(&s, longer, m.len + 1, &err), ES_EFORMAT);
	free(longer);
	assert_int_equal(es_seal_parse(&s, (const unsigned char *)"hello, seal", 11, &err), ES_EFORMAT);
	assert_int_equal(err.code, ES_EFORMAT);
	assert_int_equal(es_seal_parse(&s, NULL, 0, &err), ES_EFORMAT);
	assert_int_equal(es_seal_parse(&s, indefinite, sizeof(indefinite), &err), ES_EFORMAT);
	assert_int_equal(es_seal_parse(&s, huge, sizeof(huge), &err), ES_EFORMAT);
	assert_int_equal(es_seal_parse(&s, nonminimal, sizeof(nonminimal), &err), ES_EFORMAT);
	assert_int_equal(es_seal_parse(&s, hightag, sizeof(hightag), &err), ES_EFORMAT);
	assert_null(s);
	made_free(&m);
}

/* A made seal with every byte flipped in turn parses or fails cleanly.  GB/T
 * 38540 does not sign the maker certificate field itself, so a flip there can
 * leave the signature intact; it still never passes without the right anchor. */
static void every_single_byte_corruption_is_handled(void **state)
{
	made m;
	es_report r;
	size_t i, cert_off, cert_len;
	unsigned char *md = NULL;
	STACK_OF(X509) *anchors = sk_X509_new_null();
	const unsigned char *cp;

	(void)state;
	make_seal(&m);
	cert_len = (size_t)cert_der(m.maker, &md);
	cp = find(m.der, m.len, md, cert_len);
	assert_non_null(cp);
	cert_off = (size_t)(cp - m.der);
	OPENSSL_free(md);
	sk_X509_push(anchors, m.maker);
	for (i = 0; i < m.len; i++) {
		int in_cert = i >= cert_off && i < cert_off + cert_len;

		es_seal *s = NULL;
		es_sig_report *sig = NULL;

		m.der[i] ^= 0x80;
		memset(&r, 0, sizeof(r));
		if (es_seal_parse(&s, m.der, m.len, NULL) == 0) {
			assert_int_equal(es_report_add_sig(&r, &sig, "seal", NULL), 0);
			/* trusted maker, inside every validity window */
			assert_int_equal(es_seal_check(s, &r, sig, anchors, utc(2022, 7, 1), NULL), 0);
			es_report_finish(&r);
			assert_int_not_equal(r.verdict, ES_TOTAL_PASSED);
			if (!in_cert)
				assert_int_equal(sig->integrity_ok, 0);
		}
		es_seal_free(s);
		es_report_clear(&r);
		m.der[i] ^= 0x80;
	}
	/* unflipped, the same check passes: the loop above tested something */
	assert_int_equal(check_bytes(m.der, m.len, anchors, utc(2022, 7, 1), &r), ES_TOTAL_PASSED);
	es_report_clear(&r);
	sk_X509_free(anchors);
	made_free(&m);
}

static void make_rejects_bad_input_and_wrong_key(void **state)
{
	made m;
	es_seal_info in;
	unsigned char *der = NULL;
	size_t len = 0;
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	es_err err = ES_ERR_INIT;

	(void)state;
	make_seal(&m);
	memset(&in, 0, sizeof(in));
	in.vid = "eseal";
	in.esid = "X1";
	in.name = "n";
	in.picture_type = "PNG";
	in.picture = FAKE_PNG;
	in.picture_len = sizeof(FAKE_PNG);
	in.width_mm = in.height_mm = 40;
	in.valid_start = utc(2022, 1, 1);
	in.valid_end = utc(2021, 1, 1);
	assert_int_equal(es_seal_make_v4(&der, &len, &in, m.maker, m.key, &err), ES_EINVAL);
	in.valid_end = utc(2023, 1, 1);
	in.esid = "非ASCII";
	assert_int_equal(es_seal_make_v4(&der, &len, &in, m.maker, m.key, &err), ES_EINVAL);
	in.esid = "X1";
	in.name = "bad \xff utf-8";
	assert_int_equal(es_seal_make_v4(&der, &len, &in, m.maker, m.key, &err), ES_EINVAL);
	in.name = "n";
	/* key does not belong to the maker certificate: caught by verify-after-sign */
	assert_int_equal(es_seal_make_v4(&der, &len, &in, m.maker, other, &err), ES_ECRYPTO);
	assert_null(der);
	/* not an SM2 key */
	assert_true(es_seal_make_v4(&der, &len, &in, m.maker, p256, &err) < 0);
	assert_null(der);
	/* no holder certificates is allowed */
	assert_int_equal(es_seal_make_v4(&der, &len, &in, m.maker, m.key, &err), 0);
	free(der);
	EVP_PKEY_free(other);
	EVP_PKEY_free(p256);
	made_free(&m);
}

/* ---- independent tools ---- */

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* Tiny TLV skipper written for this test (not the library's reader). */
static size_t tlv_len(const unsigned char *p, size_t *hdr)
{
	size_t n = p[1], i, k;

	if (n < 0x80) {
		*hdr = 2;
		return n;
	}
	k = n & 0x7f;
	for (n = 0, i = 0; i < k; i++)
		n = (n << 8) | p[2 + i];
	*hdr = 2 + k;
	return n;
}

static void openssl_asn1parse_and_pkeyutl_accept_made_seal(void **state)
{
	made m;
	char dir[] = "/tmp/es-seal-XXXXXX", cmd[1024];
	char seal[64], info[64], sig[64], pub[64], cert[64];
	size_t hdr, off, n, inner_hdr;
	FILE *f;

	(void)state;
	make_seal(&m);
	assert_non_null(mkdtemp(dir));
	snprintf(seal, sizeof(seal), "%s/seal.der", dir);
	snprintf(info, sizeof(info), "%s/info.der", dir);
	snprintf(sig, sizeof(sig), "%s/sig.der", dir);
	snprintf(pub, sizeof(pub), "%s/pub.pem", dir);
	snprintf(cert, sizeof(cert), "%s/maker.pem", dir);
	write_file(seal, m.der, m.len);

	snprintf(cmd, sizeof(cmd), "openssl asn1parse -inform DER -in %s > %s/dump.txt 2>&1 && "
		 "grep -q 'IA5STRING *:ES$' %s/dump.txt && grep -q ':SM2-with-SM3' %s/dump.txt && "
		 "grep -q 'GENERALIZEDTIME *:20300601000000Z' %s/dump.txt", seal, dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);

	/* eSealInfo is the first element inside the outer SEQUENCE */
	tlv_len(m.der, &hdr);
	n = tlv_len(m.der + hdr, &inner_hdr);
	write_file(info, m.der + hdr, inner_hdr + n);
	/* signedValue: the last element, a BIT STRING; skip unused-bits byte */
	off = hdr;
	while (off < m.len) {
		size_t h, l = tlv_len(m.der + off, &h);

		if (m.der[off] == 0x03) {
			write_file(sig, m.der + off + h + 1, l - 1);
			break;
		}
		off += h + l;
	}
	assert_true(off < m.len);
	f = fopen(cert, "w");
	assert_non_null(f);
	PEM_write_X509(f, m.maker);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s -pubkey -noout > %s", cert, pub);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "openssl pkeyutl -verify -pubin -inkey %s -rawin -digest sm3 "
		 "-in %s -sigfile %s -pkeyopt distid:1234567812345678 >/dev/null 2>&1", pub, info, sig);
	assert_int_equal(system(cmd), 0);
	/* and the CLI agrees a changed eSealInfo does not verify */
	m.der[hdr + inner_hdr + 5] ^= 1;
	write_file(info, m.der + hdr, inner_hdr + n);
	assert_int_not_equal(system(cmd), 0);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	made_free(&m);
}

/* ---- es_seal_verify_file ---- */

static void verify_file_reports_seal_and_not_a_seal(void **state)
{
	made m;
	char dir[] = "/tmp/es-sealf-XXXXXX", path[64], want[65];
	es_report r;
	es_verify_opts o = ES_VERIFY_OPTS_INIT;
	STACK_OF(X509) *anchors = sk_X509_new_null();
	unsigned char d[32];
	unsigned int dn = 0;
	es_err err = ES_ERR_INIT;

	(void)state;
	make_seal(&m);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.esl", dir);
	write_file(path, m.der, m.len);
	sk_X509_push(anchors, m.maker);
	o.anchors = anchors;
	o.now = utc(2022, 7, 1);
	memset(&r, 0, sizeof(r));
	assert_int_equal(es_seal_verify_file(&r, path, &o, &err), 0);
	assert_string_equal(r.file_type, "seal");
	assert_int_equal(EVP_Digest(m.der, m.len, d, &dn, EVP_sha256(), NULL), 1);
	es_hex_encode(want, d, 32);
	assert_string_equal(r.file_sha256, want);
	assert_int_equal(r.nsigs, 1);
	assert_string_equal(r.sigs[0].kind, "seal");
	assert_int_equal(r.verdict, ES_TOTAL_PASSED);
	es_report_clear(&r);

	memset(&r, 0, sizeof(r));
	assert_int_equal(es_seal_verify_file(&r, path, NULL, &err), 0);
	assert_int_equal(r.verdict, ES_INDETERMINATE); /* no anchors, cert expired */
	es_report_clear(&r);

	write_file(path, "%PDF-1.7\n", 9);
	memset(&r, 0, sizeof(r));
	assert_int_equal(es_seal_verify_file(&r, path, &o, &err), 0);
	assert_int_equal(r.verdict, ES_UNREADABLE);
	assert_int_equal(r.nsigs, 0);
	assert_int_equal(r.nfindings, 1);
	assert_string_equal(r.findings[0].code, "NOT_A_SEAL");
	es_report_clear(&r);

	memset(&r, 0, sizeof(r));
	unlink(path);
	assert_true(es_seal_verify_file(&r, path, &o, &err) < 0);
	rmdir(dir);
	sk_X509_free(anchors);
	made_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vectors_parse_with_expected_fields),
		cmocka_unit_test(vector_fields_decode_dates_and_utf8_names),
		cmocka_unit_test(intact_vectors_verify_and_are_never_failed),
		cmocka_unit_test(vector_seal_passes_when_maker_is_anchor_at_seal_time),
		cmocka_unit_test(made_seal_parses_back_and_passes),
		cmocka_unit_test(byte_flip_in_signed_part_fails),
		cmocka_unit_test(truncated_garbage_and_empty_input_are_format_errors),
		cmocka_unit_test(every_single_byte_corruption_is_handled),
		cmocka_unit_test(make_rejects_bad_input_and_wrong_key),
		cmocka_unit_test(openssl_asn1parse_and_pkeyutl_accept_made_seal),
		cmocka_unit_test(verify_file_reports_seal_and_not_a_seal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
