/* Certificates parsed once (src/verify/certcache.c), the CMS parsed without
 * re-parsing its certificates (src/verify/cms.c), and the memos of
 * certificate and CRL signature checks (src/pki/chain.c, src/verify/cms.c):
 * reuse must never change a result.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "eseal/pki.h"
#include "eseal/report.h"
#include "verify/vint.h"

#define DAY_SECS (24L * 60 * 60)
#define MANY_CERTS 100
#define THREADS 4
#define THREAD_ROUNDS 300
#define SIGNED_PREFIX_LEN 700
#define GAP_LEN 9000
#define SIGNED_SUFFIX_LEN 300

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX c;
	X509_EXTENSION *e;

	X509V3_set_ctx(&c, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &c, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for key, signed by ikey (self-signed when issuer is NULL). */
static X509 *new_cert(const char *cn, long serial, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
		      int ca)
{
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -DAY_SECS);
	X509_gmtime_adj(X509_getm_notAfter(x), 365 * DAY_SECS);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	if (ca) {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	}
	assert_true(X509_sign(x, ikey ? ikey : key, EVP_sha256()) > 0);
	return x;
}

static unsigned char *der_of(X509 *x, int *len)
{
	unsigned char *d = NULL;

	*len = i2d_X509(x, &d);
	assert_true(*len > 0);
	return d;
}

static void cache_gives_one_parse_for_equal_bytes(void **state)
{
	EVP_PKEY *k = new_key();
	X509 *x = new_cert("one", 1, k, NULL, NULL, 1), *a, *b;
	int len;
	unsigned char *d = der_of(x, &len);
	const unsigned char *p = d;
	unsigned long h0, m0, h1, m1;

	(void)state;
	vcert_cache_stats(&h0, &m0);
	a = vcert_d2i(&p, len);
	assert_non_null(a);
	assert_ptr_equal(p, d + len);
	p = d;
	b = vcert_d2i(&p, len);
	assert_ptr_equal(a, b);
	assert_int_equal(X509_cmp(a, x), 0);
	vcert_cache_stats(&h1, &m1);
	assert_int_equal(h1, h0 + 1);
	assert_int_equal(m1, m0 + 1);
	X509_free(a);
	X509_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
	OPENSSL_free(d);
}

static void cache_keeps_the_d2i_contract(void **state)
{
	EVP_PKEY *k = new_key();
	X509 *x = new_cert("contract", 2, k, NULL, NULL, 0), *a, *b;
	int len;
	unsigned char *d = der_of(x, &len), *longer = malloc((size_t)len + 3), junk[] = {0x30, 0x82, 0x7f};
	const unsigned char *p, *q;

	(void)state;
	assert_non_null(longer);
	memcpy(longer, d, (size_t)len);
	memcpy(longer + len, "xyz", 3);
	/* trailing bytes: both stop after the certificate */
	p = longer;
	q = longer;
	a = vcert_d2i(&p, len + 3);
	b = d2i_X509(NULL, &q, len + 3);
	assert_non_null(a);
	assert_ptr_equal(p, q);
	assert_int_equal(X509_cmp(a, b), 0);
	X509_free(a);
	X509_free(b);
	/* garbage and truncation: NULL, pointer unchanged */
	p = junk;
	assert_null(vcert_d2i(&p, sizeof(junk)));
	assert_ptr_equal(p, junk);
	p = d;
	assert_null(vcert_d2i(&p, len - 1));
	assert_ptr_equal(p, d);
	free(longer);
	OPENSSL_free(d);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void remembered_anchor_is_the_parse_of_its_bytes(void **state)
{
	EVP_PKEY *k = new_key();
	X509 *x = new_cert("anchor", 3, k, NULL, NULL, 1), *a;
	int len;
	unsigned char *d = der_of(x, &len);
	const unsigned char *p = d;

	(void)state;
	vcert_remember(x);
	vcert_remember(x);
	a = vcert_d2i(&p, len);
	assert_ptr_equal(a, x);
	X509_free(a);
	X509_free(x);
	EVP_PKEY_free(k);
	OPENSSL_free(d);
}

static void cache_stays_right_beyond_its_size(void **state)
{
	EVP_PKEY *k = new_key();
	unsigned char *ders[MANY_CERTS];
	int lens[MANY_CERTS], i, round;

	(void)state;
	for (i = 0; i < MANY_CERTS; i++) {
		X509 *x = new_cert("many", 100 + i, k, NULL, NULL, 0);

		ders[i] = der_of(x, &lens[i]);
		X509_free(x);
	}
	for (round = 0; round < 2; round++)
		for (i = 0; i < MANY_CERTS; i++) {
			const unsigned char *p = ders[i];
			X509 *c = vcert_d2i(&p, lens[i]);
			unsigned char *back = NULL;
			int n;

			assert_non_null(c);
			n = i2d_X509(c, &back);
			assert_int_equal(n, lens[i]);
			assert_memory_equal(back, ders[i], (size_t)n);
			OPENSSL_free(back);
			X509_free(c);
		}
	for (i = 0; i < MANY_CERTS; i++)
		OPENSSL_free(ders[i]);
	EVP_PKEY_free(k);
}

typedef struct thread_arg {
	unsigned char **ders;
	int *lens;
	int n, seed, bad;
} thread_arg;

static void *parse_many(void *v)
{
	thread_arg *a = v;
	int r;

	for (r = 0; r < THREAD_ROUNDS; r++) {
		int i = (a->seed * 7 + r * 13) % a->n;
		const unsigned char *p = a->ders[i];
		X509 *c = vcert_d2i(&p, a->lens[i]);
		unsigned char *back = NULL;
		int n = c ? i2d_X509(c, &back) : -1;

		if (n != a->lens[i] || memcmp(back, a->ders[i], (size_t)n) != 0)
			a->bad++;
		OPENSSL_free(back);
		X509_free(c);
		if (r % 50 == 0)
			vcert_cache_flush();
	}
	return NULL;
}

static void cache_is_safe_across_threads(void **state)
{
	EVP_PKEY *k = new_key();
	unsigned char *ders[MANY_CERTS];
	int lens[MANY_CERTS], i;
	pthread_t t[THREADS];
	thread_arg args[THREADS];

	(void)state;
	for (i = 0; i < MANY_CERTS; i++) {
		X509 *x = new_cert("threads", 1000 + i, k, NULL, NULL, 0);

		ders[i] = der_of(x, &lens[i]);
		X509_free(x);
	}
	for (i = 0; i < THREADS; i++) {
		args[i] = (thread_arg){ders, lens, MANY_CERTS, i, 0};
		assert_int_equal(pthread_create(&t[i], NULL, parse_many, &args[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(args[i].bad, 0);
	}
	for (i = 0; i < MANY_CERTS; i++)
		OPENSSL_free(ders[i]);
	EVP_PKEY_free(k);
}

static void remembered_good_signature_does_not_bless_a_forged_one(void **state)
{
	EVP_PKEY *ck = new_key(), *lk = new_key(), *other = new_key();
	X509 *ca = new_cert("memo CA", 10, ck, NULL, NULL, 1);
	X509 *leaf = new_cert("memo leaf", 11, lk, ca, ck, 0);
	X509 *forged = new_cert("memo leaf", 11, lk, ca, other, 0);  /* same names, wrong key */
	X509 *bent;
	int len;
	unsigned char *d = der_of(leaf, &len);
	const unsigned char *p = d;

	(void)state;
	assert_int_equal(es_cert_check_signature(leaf, ca, NULL), 0);
	assert_int_equal(es_cert_check_signature(leaf, ca, NULL), 0);
	assert_true(es_cert_check_signature(forged, ca, NULL) < 0);
	/* the same certificate with one signature bit flipped */
	d[len - 1] ^= 0x01;
	bent = d2i_X509(NULL, &p, len);
	assert_non_null(bent);
	assert_true(es_cert_check_signature(bent, ca, NULL) < 0);
	assert_int_equal(es_cert_check_signature(leaf, ca, NULL), 0);
	X509_free(bent);
	OPENSSL_free(d);
	X509_free(forged);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(other);
	EVP_PKEY_free(lk);
	EVP_PKEY_free(ck);
}

/* A CRL of ca, signed by key, listing serial (0: none). */
static X509_CRL *new_crl(X509 *ca, EVP_PKEY *key, long serial)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_adj(NULL, time(NULL), -1, 0);
	ASN1_TIME *next = ASN1_TIME_adj(NULL, time(NULL), 30, 0);

	assert_non_null(c);
	X509_CRL_set_version(c, X509_CRL_VERSION_2);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(ca));
	X509_CRL_set1_lastUpdate(c, t);
	X509_CRL_set1_nextUpdate(c, next);
	if (serial != 0) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();

		ASN1_INTEGER_set(s, serial);
		X509_REVOKED_set_serialNumber(r, s);
		X509_REVOKED_set_revocationDate(r, t);
		X509_CRL_add0_revoked(c, r);
		ASN1_INTEGER_free(s);
	}
	X509_CRL_sort(c);
	assert_true(X509_CRL_sign(c, key, EVP_sha256()) > 0);
	ASN1_TIME_free(t);
	ASN1_TIME_free(next);
	return c;
}

/* cms_trust on leaf with the given CRLs: the revocation status string. */
static void revocation_with(X509 *leaf, X509 *ca, X509_CRL *crl, char *out, size_t cap)
{
	es_report r;
	es_sig_report *s = NULL;
	cms_out c;
	dss_data dss;
	es_verify_opts o = ES_VERIFY_OPTS_INIT;
	STACK_OF(X509) *anchors = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	int lt = 0;

	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	memset(&dss, 0, sizeof(dss));
	assert_int_equal(es_report_add_sig(&r, &s, "pades", NULL), 0);
	sk_X509_push(anchors, ca);
	sk_X509_CRL_push(crls, crl);
	o.anchors = anchors;
	o.crls = crls;
	c.signer = leaf;
	c.certs = sk_X509_new_null();
	c.crls = sk_X509_CRL_new_null();
	dss.certs = sk_X509_new_null();
	dss.crls = sk_X509_CRL_new_null();
	cms_trust(&r, s, &c, &o, &dss, &lt, NULL);
	snprintf(out, cap, "%s", s->revocation);
	sk_X509_free(c.certs);
	sk_X509_CRL_free(c.crls);
	sk_X509_free(dss.certs);
	sk_X509_CRL_free(dss.crls);
	sk_X509_free(anchors);
	sk_X509_CRL_free(crls);
	es_report_clear(&r);
}

static void remembered_crl_signature_does_not_bless_a_forged_crl(void **state)
{
	EVP_PKEY *ck = new_key(), *lk = new_key(), *other = new_key();
	X509 *ca = new_cert("crl CA", 20, ck, NULL, NULL, 1);
	X509 *leaf = new_cert("crl leaf", 21, lk, ca, ck, 0);
	X509_CRL *good = new_crl(ca, ck, 0), *forged = new_crl(ca, other, 0);
	X509_CRL *revoked = new_crl(ca, ck, 21), *forged_revoked = new_crl(ca, other, 21);
	char st[16];

	(void)state;
	revocation_with(leaf, ca, good, st, sizeof(st));
	assert_string_equal(st, "good");
	revocation_with(leaf, ca, good, st, sizeof(st));
	assert_string_equal(st, "good");
	revocation_with(leaf, ca, forged, st, sizeof(st));
	assert_string_equal(st, "unknown");
	revocation_with(leaf, ca, revoked, st, sizeof(st));
	assert_string_equal(st, "revoked");
	revocation_with(leaf, ca, forged_revoked, st, sizeof(st));
	assert_string_equal(st, "unknown");
	X509_CRL_free(good);
	X509_CRL_free(forged);
	X509_CRL_free(revoked);
	X509_CRL_free(forged_revoked);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(other);
	EVP_PKEY_free(lk);
	EVP_PKEY_free(ck);
}

/* ---- CMS /Contents parsed with and without OpenSSL's own path ---- */

typedef struct signed_file {
	unsigned char file[SIGNED_PREFIX_LEN + GAP_LEN + SIGNED_SUFFIX_LEN];
	long long br[4];
	EVP_PKEY *ck, *lk;
	X509 *ca, *leaf;
} signed_file;

static void make_signed_file(signed_file *f)
{
	size_t i;

	for (i = 0; i < sizeof(f->file); i++)
		f->file[i] = (unsigned char)('a' + i % 26);
	f->br[0] = 0;
	f->br[1] = SIGNED_PREFIX_LEN;
	f->br[2] = SIGNED_PREFIX_LEN + GAP_LEN;
	f->br[3] = SIGNED_SUFFIX_LEN;
	f->ck = new_key();
	f->lk = new_key();
	f->ca = new_cert("cms CA", 30, f->ck, NULL, NULL, 1);
	f->leaf = new_cert("cms signer", 31, f->lk, f->ca, f->ck, 0);
}

static void free_signed_file(signed_file *f)
{
	X509_free(f->leaf);
	X509_free(f->ca);
	EVP_PKEY_free(f->lk);
	EVP_PKEY_free(f->ck);
}

/* Detached CMS (DER) over the two ranges. */
static unsigned char *sign_ranges(signed_file *f, int *len)
{
	BIO *in = BIO_new(BIO_s_mem());
	STACK_OF(X509) *chain = sk_X509_new_null();
	CMS_ContentInfo *cms;
	unsigned char *d = NULL;

	BIO_write(in, f->file, SIGNED_PREFIX_LEN);
	BIO_write(in, f->file + f->br[2], SIGNED_SUFFIX_LEN);
	sk_X509_push(chain, f->ca);
	cms = CMS_sign(f->leaf, f->lk, chain, in, CMS_DETACHED | CMS_BINARY);
	assert_non_null(cms);
	*len = i2d_CMS_ContentInfo(cms, &d);
	assert_true(*len > 0);
	CMS_ContentInfo_free(cms);
	sk_X509_free(chain);
	BIO_free(in);
	return d;
}

/* The same with the outer SEQUENCE in BER indefinite length (as Adobe
 * writes /Contents): OpenSSL's own parser takes it. */
static unsigned char *to_indefinite(const unsigned char *der, int len, int *blen)
{
	const unsigned char *p = der;
	long clen = 0;
	int tag, cls, hl;
	unsigned char *b;

	assert_int_equal(ASN1_get_object(&p, &clen, &tag, &cls, len), V_ASN1_CONSTRUCTED);
	hl = (int)(p - der);
	*blen = 2 + (int)clen + 2;
	b = malloc((size_t)*blen);
	assert_non_null(b);
	b[0] = 0x30;
	b[1] = 0x80;
	memcpy(b + 2, der + hl, (size_t)clen);
	b[2 + clen] = 0;
	b[3 + clen] = 0;
	return b;
}

static int has_code(const es_sig_report *s, const char *code)
{
	size_t i;

	for (i = 0; i < s->nfindings; i++)
		if (strcmp(s->findings[i].code, code) == 0)
			return 1;
	return 0;
}

/* cms_check on der; returns crypto_ok and the number of certificates. */
static int check_der(signed_file *f, const unsigned char *der, int len, int *ncerts,
		     const char *want_code)
{
	es_report r;
	es_sig_report *s = NULL;
	sig_input in;
	cms_out out;
	int ok;

	memset(&r, 0, sizeof(r));
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	assert_int_equal(es_report_add_sig(&r, &s, "pades", NULL), 0);
	in.file = f->file;
	in.file_len = sizeof(f->file);
	memcpy(in.br, f->br, sizeof(in.br));
	in.der = der;
	in.der_len = (size_t)len;
	in.subfilter = "ETSI.CAdES.detached";
	in.claimed_m = "";
	cms_check(&r, s, &in, &out, NULL);
	cms_check_digest(&r, s, &in, &out, NULL);
	ok = out.crypto_ok;
	*ncerts = out.certs ? sk_X509_num(out.certs) : -1;
	if (want_code != NULL)
		assert_true(has_code(s, want_code));
	if (ok)
		assert_int_equal(X509_cmp(out.signer, f->leaf), 0);
	cms_out_clear(&out);
	es_report_clear(&r);
	return ok;
}

static void cms_with_der_and_ber_lengths_verifies_the_same(void **state)
{
	signed_file f;
	unsigned char *der, *ber, *padded;
	int dlen, blen, n1 = 0, n2 = 0, n3 = 0;

	(void)state;
	make_signed_file(&f);
	der = sign_ranges(&f, &dlen);
	ber = to_indefinite(der, dlen, &blen);
	assert_int_equal(check_der(&f, der, dlen, &n1, NULL), 1);
	assert_int_equal(check_der(&f, ber, blen, &n2, NULL), 1);
	assert_int_equal(n1, 2);  /* signer and CA, as CMS_get1_certs gives them */
	assert_int_equal(n2, 2);
	/* zero padding after the structure, as in /Contents */
	padded = calloc(1, (size_t)dlen + 100);
	memcpy(padded, der, (size_t)dlen);
	assert_int_equal(check_der(&f, padded, dlen + 100, &n3, NULL), 1);
	padded[dlen + 50] = 1;
	assert_int_equal(check_der(&f, padded, dlen + 100, &n3, "CONTENTS_TRAILING_DATA"), 0);
	free(padded);
	OPENSSL_free(der);
	free(ber);
	free_signed_file(&f);
}

/* Offset of the first certificate inside the CMS certificates field. */
static size_t first_cert_at(const unsigned char *der, int len, X509 *cert)
{
	int clen;
	unsigned char *c = der_of(cert, &clen);
	size_t i;

	for (i = 0; i + (size_t)clen <= (size_t)len; i++)
		if (memcmp(der + i, c, (size_t)clen) == 0) {
			OPENSSL_free(c);
			return i;
		}
	OPENSSL_free(c);
	fail_msg("certificate not found in the CMS");
	return 0;
}

static void cms_with_a_broken_certificate_is_malformed(void **state)
{
	signed_file f;
	unsigned char *der;
	int dlen, n = 0;
	size_t at;

	(void)state;
	make_signed_file(&f);
	der = sign_ranges(&f, &dlen);
	/* a certificate that is a SET, not a SEQUENCE: no CertificateChoices */
	at = first_cert_at(der, dlen, f.ca);
	der[at] = 0x31;
	assert_int_equal(check_der(&f, der, dlen, &n, "CMS_MALFORMED"), 0);
	der[at] = 0x30;
	/* a certificate whose inner structure is cut */
	der[at + 4] ^= 0xff;
	assert_int_equal(check_der(&f, der, dlen, &n, NULL), 0);
	OPENSSL_free(der);
	free_signed_file(&f);
}

static void cms_signed_bytes_changed_still_fails(void **state)
{
	signed_file f;
	unsigned char *der;
	int dlen, n = 0;

	(void)state;
	make_signed_file(&f);
	der = sign_ranges(&f, &dlen);
	f.file[5] ^= 1;
	assert_int_equal(check_der(&f, der, dlen, &n, "DIGEST_MISMATCH"), 0);
	OPENSSL_free(der);
	free_signed_file(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cache_gives_one_parse_for_equal_bytes),
		cmocka_unit_test(cache_keeps_the_d2i_contract),
		cmocka_unit_test(remembered_anchor_is_the_parse_of_its_bytes),
		cmocka_unit_test(cache_stays_right_beyond_its_size),
		cmocka_unit_test(cache_is_safe_across_threads),
		cmocka_unit_test(remembered_good_signature_does_not_bless_a_forged_one),
		cmocka_unit_test(remembered_crl_signature_does_not_bless_a_forged_crl),
		cmocka_unit_test(cms_with_der_and_ber_lengths_verifies_the_same),
		cmocka_unit_test(cms_with_a_broken_certificate_is_malformed),
		cmocka_unit_test(cms_signed_bytes_changed_still_fails),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	vcert_cache_flush();
	return rc;
}
