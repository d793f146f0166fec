/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include "pki_test.h"
#include "pki/sigctx.h"
#include "util/util.h"

static const unsigned char kek1[ES_KEK_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
#define AAD "seal:ES2026TEST0001:sm2"

static void alg_names_are_url_safe(void **state)
{
	(void)state;
	assert_string_equal(es_alg_name(ES_ALG_SM2), "sm2");
	assert_string_equal(es_alg_name(ES_ALG_P256), "p256");
	assert_string_equal(es_alg_name((es_alg)99), "unknown");
}

static void generate_makes_keys_of_each_family(void **state)
{
	EVP_PKEY *k = NULL;
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_key_generate(&k, ES_ALG_SM2, &err), 0);
	assert_true(EVP_PKEY_is_a(k, "SM2"));
	assert_int_equal(es_key_alg(k), ES_ALG_SM2);
	EVP_PKEY_free(k);
	assert_int_equal(es_key_generate(&k, ES_ALG_P256, &err), 0);
	assert_int_equal(es_key_alg(k), ES_ALG_P256);
	EVP_PKEY_free(k);
	assert_int_equal(es_key_generate(&k, (es_alg)7, &err), ES_EINVAL);
	assert_null(k);
}

static void wrap_then_unwrap_gives_the_same_key(void **state)
{
	es_alg algs[] = {ES_ALG_SM2, ES_ALG_P256};
	unsigned char *blob = NULL, *sig = NULL, msg[] = "hello";
	size_t i, len = 0, siglen = 0;
	EVP_PKEY *k = NULL, *back = NULL;
	es_err err = ES_ERR_INIT;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(es_key_generate(&k, algs[i], &err), 0);
		assert_int_equal(es_key_wrap(&blob, &len, k, kek1, AAD, &err), 0);
		assert_memory_equal(blob, "ESK1", 4);
		assert_int_equal(es_key_unwrap(&back, blob, len, kek1, AAD, &err), 0);
		assert_int_equal(EVP_PKEY_eq(k, back), 1);
		assert_int_equal(es_key_alg(back), algs[i]);
		free(blob);
		EVP_PKEY_free(k);
		if (algs[i] == ES_ALG_SM2) { /* still usable as an SM2 key */
			assert_int_equal(es_sm2_sign(&sig, &siglen, back, msg, sizeof(msg), &err), 0);
			assert_int_equal(es_sm2_verify(back, sig, siglen, msg, sizeof(msg), &err), 0);
			OPENSSL_free(sig);
		}
		EVP_PKEY_free(back);
	}
}

static void unwrap_fails_with_wrong_kek_or_aad(void **state)
{
	unsigned char kek2[ES_KEK_LEN], *blob = NULL;
	EVP_PKEY *k = NULL, *back = NULL;
	es_err err = ES_ERR_INIT;
	size_t len = 0;

	(void)state;
	memcpy(kek2, kek1, sizeof(kek2));
	kek2[31] ^= 0x80;
	assert_int_equal(es_key_generate(&k, ES_ALG_SM2, &err), 0);
	assert_int_equal(es_key_wrap(&blob, &len, k, kek1, AAD, &err), 0);
	assert_int_equal(es_key_unwrap(&back, blob, len, kek2, AAD, &err), ES_ECRYPTO);
	assert_null(back);
	assert_non_null(strstr(err.msg, "cannot decrypt"));
	assert_null(strstr(err.msg, AAD)); /* says nothing about the owner */
	assert_int_equal(es_key_unwrap(&back, blob, len, kek1, "seal:OTHER:sm2", &err), ES_ECRYPTO);
	assert_int_equal(es_key_unwrap(&back, blob, len, kek1, NULL, &err), ES_ECRYPTO);
	assert_null(back);
	free(blob);
	EVP_PKEY_free(k);
}

static void unwrap_detects_any_changed_byte(void **state)
{
	unsigned char *blob = NULL;
	EVP_PKEY *k = NULL, *back = NULL;
	es_err err = ES_ERR_INIT;
	size_t len = 0, i;
	int rc;

	(void)state;
	assert_int_equal(es_key_generate(&k, ES_ALG_P256, &err), 0);
	assert_int_equal(es_key_wrap(&blob, &len, k, kek1, AAD, &err), 0);
	for (i = 0; i < len; i++) {
		blob[i] ^= 0x01;
		rc = es_key_unwrap(&back, blob, len, kek1, AAD, &err);
		assert_int_equal(rc, i < 4 ? ES_EFORMAT : ES_ECRYPTO);
		assert_null(back);
		blob[i] ^= 0x01;
	}
	assert_int_equal(es_key_unwrap(&back, blob, len - 1, kek1, AAD, &err), ES_ECRYPTO);
	assert_int_equal(es_key_unwrap(&back, blob, 31, kek1, AAD, &err), ES_EFORMAT);
	assert_int_equal(es_key_unwrap(&back, blob, len, kek1, AAD, &err), 0);
	EVP_PKEY_free(back);
	free(blob);
	EVP_PKEY_free(k);
}

/* ---- EC keys read without OpenSSL's decoder (es_ec_key_from_p8) ---- */

static const unsigned char oid_ec_pub[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const unsigned char oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const unsigned char oid_sm2[] = {0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d};
static const unsigned char oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};

/* Append tag, length (< 256) and value to out at *n. */
static void put_tlv(unsigned char *out, size_t *n, int tag, const void *v, size_t len)
{
	assert_true(len < 256);
	out[(*n)++] = (unsigned char)tag;
	if (len >= 0x80)
		out[(*n)++] = 0x81;
	out[(*n)++] = (unsigned char)len;
	memcpy(out + *n, v, len);
	*n += len;
}

typedef struct p8_parts {
	const unsigned char *alg_curve; /* PKCS#8 algorithm parameters, NULL: absent */
	size_t alg_curve_len;
	int version;                    /* ECPrivateKey version */
	const unsigned char *d;         /* private scalar */
	size_t d_len;
	const unsigned char *curve;     /* [0] parameters, NULL: absent */
	size_t curve_len;
	const unsigned char *pub;       /* [1] point, NULL: absent */
	size_t pub_len;
	int trailing;                   /* 1: an extra INTEGER after the last part */
} p8_parts;

/* PKCS#8 PrivateKeyInfo DER around a hand-made ECPrivateKey. */
static PKCS8_PRIV_KEY_INFO *p8_build(const p8_parts *q)
{
	unsigned char ec[256], alg[64], body[512], der[512], t[128];
	size_t nec = 0, nalg = 0, nbody = 0, nder = 0, nt;
	unsigned char ver = (unsigned char)q->version, zero = 0;
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8;

	put_tlv(ec, &nec, 0x02, &ver, 1);
	put_tlv(ec, &nec, 0x04, q->d, q->d_len);
	if (q->curve != NULL) {
		nt = 0;
		put_tlv(t, &nt, 0x06, q->curve, q->curve_len);
		put_tlv(ec, &nec, 0xa0, t, nt);
	}
	if (q->pub != NULL) {
		nt = 0;
		t[nt++] = 0x03;
		t[nt++] = (unsigned char)(q->pub_len + 1);
		t[nt++] = 0;
		memcpy(t + nt, q->pub, q->pub_len);
		nt += q->pub_len;
		put_tlv(ec, &nec, 0xa1, t, nt);
	}
	if (q->trailing)
		put_tlv(ec, &nec, 0x02, &ver, 1);
	memmove(ec + 3, ec, nec); /* wrap in SEQUENCE (length < 256) */
	ec[0] = 0x30;
	ec[1] = 0x81;
	ec[2] = (unsigned char)nec;
	nec += 3;
	put_tlv(alg, &nalg, 0x06, oid_ec_pub, sizeof(oid_ec_pub));
	if (q->alg_curve != NULL)
		put_tlv(alg, &nalg, 0x06, q->alg_curve, q->alg_curve_len);
	put_tlv(body, &nbody, 0x02, &zero, 1);
	put_tlv(body, &nbody, 0x30, alg, nalg);
	put_tlv(body, &nbody, 0x04, ec, nec);
	put_tlv(der, &nder, 0x30, body, nbody);
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)nder);
	assert_non_null(p8);
	return p8;
}

/* Private scalar (32 bytes) and uncompressed public point (65 bytes). */
static void key_parts(EVP_PKEY *k, unsigned char d[32], unsigned char pub[65])
{
	BIGNUM *bn = NULL;
	size_t n = 0;

	assert_int_equal(EVP_PKEY_get_bn_param(k, "priv", &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, d, 32), 32);
	BN_clear_free(bn);
	assert_int_equal(EVP_PKEY_get_octet_string_param(k, "encoded-pub-key", pub, 65, &n), 1);
	assert_int_equal(n, 65);
}

/* a signs, b verifies (SM3withSM2 or ECDSA-SHA256 by family). */
static void sign_verify(EVP_PKEY *a, EVP_PKEY *b)
{
	static const unsigned char msg[] = "sealed document digest";
	unsigned char *sig = NULL;
	size_t siglen = 0;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	es_err err = ES_ERR_INIT;

	if (es_key_alg(a) == ES_ALG_SM2) {
		assert_int_equal(es_sm2_sign(&sig, &siglen, a, msg, sizeof(msg), &err), 0);
		assert_int_equal(es_sm2_verify(b, sig, siglen, msg, sizeof(msg), &err), 0);
		OPENSSL_free(sig);
	} else {
		unsigned char buf[80];
		siglen = sizeof(buf);
		assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, a), 1);
		assert_int_equal(EVP_DigestSign(m, buf, &siglen, msg, sizeof(msg)), 1);
		assert_int_equal(EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, b), 1);
		assert_int_equal(EVP_DigestVerify(m, buf, siglen, msg, sizeof(msg)), 1);
	}
	EVP_MD_CTX_free(m);
}

static void ec_key_import_matches_openssl_decoder(void **state)
{
	es_alg algs[] = {ES_ALG_SM2, ES_ALG_P256};
	unsigned char d1[32], d2[32], pub1[65], pub2[65];
	EVP_PKEY *k = NULL, *fast, *ref;
	PKCS8_PRIV_KEY_INFO *p8;
	es_err err = ES_ERR_INIT;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(es_key_generate(&k, algs[i], &err), 0);
		p8 = EVP_PKEY2PKCS8(k);
		assert_non_null(p8);
		fast = es_ec_key_from_p8(p8);
		ref = EVP_PKCS82PKEY(p8);
		assert_non_null(fast);
		assert_non_null(ref);
		assert_int_equal(ERR_peek_error(), 0);
		assert_int_equal(es_key_alg(fast), algs[i]);
		assert_int_equal(EVP_PKEY_is_a(fast, "SM2"), EVP_PKEY_is_a(ref, "SM2"));
		assert_int_equal(EVP_PKEY_eq(fast, ref), 1);
		key_parts(fast, d1, pub1);
		key_parts(ref, d2, pub2);
		assert_memory_equal(d1, d2, 32);
		assert_memory_equal(pub1, pub2, 65);
		sign_verify(fast, ref);
		sign_verify(ref, fast);
		sign_verify(fast, k);
		OPENSSL_cleanse(d1, sizeof(d1));
		OPENSSL_cleanse(d2, sizeof(d2));
		PKCS8_PRIV_KEY_INFO_free(p8);
		EVP_PKEY_free(fast);
		EVP_PKEY_free(ref);
		EVP_PKEY_free(k);
	}
}

static void ec_key_import_computes_a_missing_public_key(void **state)
{
	const unsigned char *oids[] = {oid_sm2, oid_p256};
	size_t oid_lens[] = {sizeof(oid_sm2), sizeof(oid_p256)};
	es_alg algs[] = {ES_ALG_SM2, ES_ALG_P256};
	unsigned char d[32], pub[65];
	EVP_PKEY *k = NULL, *fast;
	PKCS8_PRIV_KEY_INFO *p8;
	es_err err = ES_ERR_INIT;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		p8_parts q = {oids[i], oid_lens[i], 1, d, 32, NULL, 0, NULL, 0, 0};
		assert_int_equal(es_key_generate(&k, algs[i], &err), 0);
		key_parts(k, d, pub);
		/* curve in the algorithm parameters, no publicKey */
		p8 = p8_build(&q);
		fast = es_ec_key_from_p8(p8);
		assert_non_null(fast);
		assert_int_equal(EVP_PKEY_eq(fast, k), 1);
		assert_int_equal(es_key_alg(fast), algs[i]);
		sign_verify(fast, k);
		EVP_PKEY_free(fast);
		PKCS8_PRIV_KEY_INFO_free(p8);
		/* curve only inside ECPrivateKey [0], publicKey present */
		q.alg_curve = NULL;
		q.curve = oids[i];
		q.curve_len = oid_lens[i];
		q.pub = pub;
		q.pub_len = sizeof(pub);
		p8 = p8_build(&q);
		fast = es_ec_key_from_p8(p8);
		assert_non_null(fast);
		assert_int_equal(EVP_PKEY_eq(fast, k), 1);
		EVP_PKEY_free(fast);
		PKCS8_PRIV_KEY_INFO_free(p8);
		OPENSSL_cleanse(d, sizeof(d));
		EVP_PKEY_free(k);
	}
}

static void ec_key_import_leaves_unexpected_keys_to_the_decoder(void **state)
{
	unsigned char d[33] = {0}, pub[65];
	p8_parts ok = {oid_p256, sizeof(oid_p256), 1, d, 32, oid_p256, sizeof(oid_p256), NULL, 0, 0};
	p8_parts bad[7];
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *k;

	(void)state;
	d[31] = 7;
	memset(pub, 0, sizeof(pub));
	for (size_t i = 0; i < ES_ARRAY_LEN(bad); i++)
		bad[i] = ok;
	bad[0].alg_curve = oid_sm2;      /* curves disagree */
	bad[1].version = 2;              /* RFC 5915 says 1 */
	bad[2].d_len = 33;               /* longer than the field */
	bad[3].trailing = 1;             /* unknown extra part */
	bad[4].alg_curve = oid_p384;     /* other curve */
	bad[4].alg_curve_len = sizeof(oid_p384);
	bad[4].curve = oid_p384;
	bad[4].curve_len = sizeof(oid_p384);
	bad[5].d = pub;                  /* zero scalar */
	bad[5].d_len = 32;
	bad[6].alg_curve = NULL;         /* no curve anywhere */
	bad[6].curve = NULL;
	p8 = p8_build(&ok);
	k = es_ec_key_from_p8(p8);
	assert_non_null(k);
	EVP_PKEY_free(k);
	PKCS8_PRIV_KEY_INFO_free(p8);
	for (size_t i = 0; i < ES_ARRAY_LEN(bad); i++) {
		p8 = p8_build(&bad[i]);
		assert_null(es_ec_key_from_p8(p8));
		assert_int_equal(ERR_peek_error(), 0);
		PKCS8_PRIV_KEY_INFO_free(p8);
	}
}

static void unwrap_refuses_bad_key_der_cleanly(void **state)
{
	static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	unsigned char *blob = NULL, *der = NULL;
	EVP_PKEY *k = NULL, *back = NULL;
	PKCS8_PRIV_KEY_INFO *p8;
	es_err err = ES_ERR_INIT;
	size_t len = 0;
	int n;

	(void)state;
	assert_int_equal(es_secret_seal(&blob, &len, junk, sizeof(junk), kek1, AAD, &err), 0);
	assert_int_equal(es_key_unwrap(&back, blob, len, kek1, AAD, &err), ES_EFORMAT);
	assert_null(back);
	free(blob);
	/* a truncated PKCS#8 */
	assert_int_equal(es_key_generate(&k, ES_ALG_P256, &err), 0);
	p8 = EVP_PKEY2PKCS8(k);
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	assert_true(n > 10);
	assert_int_equal(es_secret_seal(&blob, &len, der, (size_t)n - 3, kek1, AAD, &err), 0);
	assert_int_equal(es_key_unwrap(&back, blob, len, kek1, AAD, &err), ES_EFORMAT);
	assert_null(back);
	free(blob);
	OPENSSL_clear_free(der, (size_t)n);
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(k);
	/* a sound key of another curve goes through the decoder, then is refused */
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	assert_non_null(k);
	assert_int_equal(es_key_wrap(&blob, &len, k, kek1, AAD, &err), 0);
	assert_int_equal(es_key_unwrap(&back, blob, len, kek1, AAD, &err), ES_ENOTSUP);
	assert_null(back);
	free(blob);
	EVP_PKEY_free(k);
	ERR_clear_error();
}

static void secret_seal_round_trips_including_empty(void **state)
{
	const char *plain = "110101199003074514";
	unsigned char *blob = NULL, *back = NULL, *blob2 = NULL;
	size_t len = 0, blen = 0, len2 = 0;
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_secret_seal(&blob, &len, (const unsigned char *)plain, strlen(plain),
					kek1, "user:7:id_number", &err), 0);
	assert_int_equal(len, strlen(plain) + 32);
	assert_null(memmem(blob, len, plain, strlen(plain)));
	/* same plaintext, fresh nonce: a different blob */
	assert_int_equal(es_secret_seal(&blob2, &len2, (const unsigned char *)plain, strlen(plain),
					kek1, "user:7:id_number", &err), 0);
	assert_memory_not_equal(blob + 4, blob2 + 4, 12);
	assert_int_equal(es_secret_open(&back, &blen, blob, len, kek1, "user:7:id_number", &err), 0);
	assert_int_equal(blen, strlen(plain));
	assert_string_equal((char *)back, plain); /* NUL-terminated */
	free(back);
	assert_int_equal(es_secret_open(&back, &blen, blob, len, kek1, "user:8:id_number", &err),
			 ES_ECRYPTO);
	free(blob);
	free(blob2);

	assert_int_equal(es_secret_seal(&blob, &len, NULL, 0, kek1, NULL, &err), 0);
	assert_int_equal(len, 32);
	assert_int_equal(es_secret_open(&back, &blen, blob, len, kek1, "", &err), 0);
	assert_int_equal(blen, 0);
	free(back);
	free(blob);
}

/* ---- KEK file ---- */

static void kek_is_created_once_with_mode_0600(void **state)
{
	char dir[64], sub[PT_PATH_LEN], path[PT_PATH_LEN];
	unsigned char a[ES_KEK_LEN], b[ES_KEK_LEN];
	es_err err = ES_ERR_INIT;
	struct stat st;

	(void)state;
	unsetenv("ESEAL_MASTER_KEY_FILE");
	pt_tmpdir(dir, sizeof(dir));
	pt_path(sub, dir, "data");
	assert_int_equal(es_kek_load(a, sub, 0, &err), ES_ENOTFOUND);
	assert_non_null(strstr(err.msg, "ESEAL_MASTER_KEY_FILE"));
	assert_int_equal(es_kek_load(a, sub, 1, &err), 0);
	pt_path(path, sub, "master.key");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 65);
	assert_int_equal(es_kek_load(b, sub, 1, &err), 0); /* not replaced */
	assert_memory_equal(a, b, ES_KEK_LEN);
	assert_int_equal(es_kek_load(b, sub, 0, &err), 0);
	assert_memory_equal(a, b, ES_KEK_LEN);
	pt_rmtree(dir);
}

static void kek_readable_by_others_is_refused(void **state)
{
	char dir[64], path[PT_PATH_LEN];
	unsigned char k[ES_KEK_LEN];
	es_err err = ES_ERR_INIT;

	(void)state;
	unsetenv("ESEAL_MASTER_KEY_FILE");
	pt_tmpdir(dir, sizeof(dir));
	assert_int_equal(es_kek_load(k, dir, 1, &err), 0);
	pt_path(path, dir, "master.key");
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(es_kek_load(k, dir, 0, &err), ES_EPERM);
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(es_kek_load(k, dir, 1, &err), ES_EPERM);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(es_kek_load(k, dir, 0, &err), 0);
	pt_rmtree(dir);
}

static void kek_file_from_environment_wins(void **state)
{
	char dir[64], path[PT_PATH_LEN], data[PT_PATH_LEN];
	static const char hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F\n";
	unsigned char k[ES_KEK_LEN];
	es_err err = ES_ERR_INIT;
	int i;

	(void)state;
	pt_tmpdir(dir, sizeof(dir));
	pt_write(dir, "kek.hex", hex, strlen(hex));
	pt_path(path, dir, "kek.hex");
	assert_int_equal(chmod(path, 0600), 0);
	pt_path(data, dir, "data");
	setenv("ESEAL_MASTER_KEY_FILE", path, 1);
	assert_int_equal(es_kek_load(k, data, 1, &err), 0);
	for (i = 0; i < ES_KEK_LEN; i++)
		assert_int_equal(k[i], i);
	assert_int_not_equal(access(data, F_OK), 0); /* data dir untouched */
	unsetenv("ESEAL_MASTER_KEY_FILE");
	pt_rmtree(dir);
}

static void kek_with_bad_content_is_rejected(void **state)
{
	char dir[64], path[PT_PATH_LEN];
	unsigned char k[ES_KEK_LEN];
	es_err err = ES_ERR_INIT;
	const char *bad[] = {"abcd\n", "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
			     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00", ""};
	size_t i;

	(void)state;
	pt_tmpdir(dir, sizeof(dir));
	pt_path(path, dir, "k");
	setenv("ESEAL_MASTER_KEY_FILE", path, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pt_write(dir, "k", bad[i], strlen(bad[i]));
		assert_int_equal(chmod(path, 0600), 0);
		assert_int_equal(es_kek_load(k, NULL, 1, &err), ES_EFORMAT);
		assert_non_null(strstr(err.msg, "64 hex"));
	}
	unsetenv("ESEAL_MASTER_KEY_FILE");
	assert_int_equal(es_kek_load(k, NULL, 1, &err), ES_EINVAL);
	pt_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alg_names_are_url_safe),
		cmocka_unit_test(generate_makes_keys_of_each_family),
		cmocka_unit_test(wrap_then_unwrap_gives_the_same_key),
		cmocka_unit_test(unwrap_fails_with_wrong_kek_or_aad),
		cmocka_unit_test(unwrap_detects_any_changed_byte),
		cmocka_unit_test(ec_key_import_matches_openssl_decoder),
		cmocka_unit_test(ec_key_import_computes_a_missing_public_key),
		cmocka_unit_test(ec_key_import_leaves_unexpected_keys_to_the_decoder),
		cmocka_unit_test(unwrap_refuses_bad_key_der_cleanly),
		cmocka_unit_test(secret_seal_round_trips_including_empty),
		cmocka_unit_test(kek_is_created_once_with_mode_0600),
		cmocka_unit_test(kek_readable_by_others_is_refused),
		cmocka_unit_test(kek_file_from_environment_wins),
		cmocka_unit_test(kek_with_bad_content_is_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
