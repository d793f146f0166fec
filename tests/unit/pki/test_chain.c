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
#include <openssl/x509v3.h>
#include "eseal/pki.h"

#define DAY_S (24 * 60 * 60)

/* Independent certificate factory: plain OpenSSL calls, nothing from eseal. */
static EVP_PKEY *new_key(es_alg alg)
{
	EVP_PKEY *k = alg == ES_ALG_SM2 ? EVP_PKEY_Q_keygen(NULL, NULL, "SM2")
					: EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(k);
	return k;
}

static void sign_cert(X509 *x, EVP_PKEY *key)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int sm2 = EVP_PKEY_is_a(key, "SM2");

	assert_non_null(mctx);
	if (sm2) {
		pctx = EVP_PKEY_CTX_new(key, NULL);
		assert_non_null(pctx);
		assert_int_equal(EVP_PKEY_CTX_set1_id(pctx, "1234567812345678", 16), 1);
		EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
	}
	assert_int_equal(EVP_DigestSignInit(mctx, NULL, sm2 ? EVP_sm3() : EVP_sha256(),
					    NULL, key), 1);
	assert_true(X509_sign_ctx(x, mctx) > 0);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
}

/* subject CN=cn; issuer CN=issuer_cn signed by signer (self when NULL). */
static X509 *make_cert(EVP_PKEY *subject, const char *cn, const char *issuer_cn,
		       EVP_PKEY *signer, int ca, time_t nb, time_t na)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *sn = X509_NAME_new(), *in = X509_NAME_new();
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();

	assert_non_null(x);
	assert_non_null(bc);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_NAME_add_entry_by_txt(sn, "O", MBSTRING_UTF8, (const unsigned char *)"测试", -1, -1, 0);
	X509_NAME_add_entry_by_txt(sn, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_NAME_add_entry_by_txt(in, "O", MBSTRING_UTF8, (const unsigned char *)"测试", -1, -1, 0);
	X509_NAME_add_entry_by_txt(in, "CN", MBSTRING_UTF8,
				   (const unsigned char *)(issuer_cn ? issuer_cn : cn), -1, -1, 0);
	X509_set_subject_name(x, sn);
	X509_set_issuer_name(x, in);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), na));
	assert_int_equal(X509_set_pubkey(x, subject), 1);
	bc->ca = ca ? 0xff : 0;
	assert_int_equal(X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, 0), 1);
	sign_cert(x, signer ? signer : subject);
	BASIC_CONSTRAINTS_free(bc);
	X509_NAME_free(sn);
	X509_NAME_free(in);
	return x;
}

typedef struct pki3 {
	EVP_PKEY *rk, *ik, *lk;
	X509 *root, *ica, *leaf;
	STACK_OF(X509) *anchors, *extra;
} pki3;

static void pki3_make(pki3 *p, es_alg alg, time_t leaf_nb, time_t leaf_na)
{
	time_t now = time(NULL);

	p->rk = new_key(alg);
	p->ik = new_key(alg);
	p->lk = new_key(alg);
	p->root = make_cert(p->rk, "Root", NULL, NULL, 1, now - 30L * DAY_S, now + 3650L * DAY_S);
	p->ica = make_cert(p->ik, "Issuing", "Root", p->rk, 1, now - 30L * DAY_S, now + 1000L * DAY_S);
	p->leaf = make_cert(p->lk, "Maker 制章人", "Issuing", p->ik, 0, leaf_nb, leaf_na);
	p->anchors = sk_X509_new_null();
	p->extra = sk_X509_new_null();
	sk_X509_push(p->anchors, p->root);
	sk_X509_push(p->extra, p->ica);
}

static void pki3_free(pki3 *p)
{
	sk_X509_free(p->anchors);
	sk_X509_free(p->extra);
	X509_free(p->root);
	X509_free(p->ica);
	X509_free(p->leaf);
	EVP_PKEY_free(p->rk);
	EVP_PKEY_free(p->ik);
	EVP_PKEY_free(p->lk);
}

static es_chain_status chain(X509 *leaf, STACK_OF(X509) *extra, STACK_OF(X509) *anchors, time_t at)
{
	es_chain_status st = (es_chain_status)-1;

	assert_int_equal(es_chain_check(&st, leaf, extra, anchors, at, NULL), 0);
	return st;
}

static void chain_ok_for(es_alg alg)
{
	pki3 p;
	time_t now = time(NULL);

	pki3_make(&p, alg, now - DAY_S, now + 365L * DAY_S);
	assert_int_equal(es_cert_check_signature(p.leaf, p.ica, NULL), 0);
	assert_int_equal(es_cert_check_signature(p.ica, p.root, NULL), 0);
	assert_int_equal(chain(p.leaf, p.extra, p.anchors, 0), ES_CHAIN_OK);
	/* the anchor itself and an anchored intermediate */
	assert_int_equal(chain(p.root, NULL, p.anchors, 0), ES_CHAIN_OK);
	assert_int_equal(chain(p.ica, NULL, p.anchors, 0), ES_CHAIN_OK);
	pki3_free(&p);
}

static void sm2_chain_reaches_anchor(void **state)
{
	pki3 p;
	time_t now = time(NULL);

	(void)state;
	chain_ok_for(ES_ALG_SM2);
	/* why es_cert_check_signature exists: plain X509_verify without the SM2
	 * id fails on OpenSSL 3.0, and our check leaves the cert untouched */
	pki3_make(&p, ES_ALG_SM2, now - DAY_S, now + DAY_S);
	assert_int_not_equal(X509_verify(p.leaf, X509_get0_pubkey(p.ica)), 1);
	assert_int_equal(es_cert_check_signature(p.leaf, p.ica, NULL), 0);
	assert_int_not_equal(X509_verify(p.leaf, X509_get0_pubkey(p.ica)), 1);
	{
		char buf[16];

		es_cert_cn(p.leaf, buf, 8); /* "Maker " + 3-byte 制 does not fit */
		assert_string_equal(buf, "Maker ");
		es_cert_cn(p.leaf, buf, 10);
		assert_string_equal(buf, "Maker 制");
		es_cert_o(p.leaf, buf, sizeof(buf));
		assert_string_equal(buf, "测试");
	}
	pki3_free(&p);
}

static void p256_chain_reaches_anchor(void **state)
{
	(void)state;
	chain_ok_for(ES_ALG_P256);
}

static void chain_without_anchor_or_intermediate_is_untrusted(void **state)
{
	pki3 p, other;
	time_t now = time(NULL);

	(void)state;
	pki3_make(&p, ES_ALG_SM2, now - DAY_S, now + DAY_S);
	pki3_make(&other, ES_ALG_SM2, now - DAY_S, now + DAY_S);
	assert_int_equal(chain(p.leaf, p.extra, NULL, 0), ES_CHAIN_UNTRUSTED);
	assert_int_equal(chain(p.leaf, NULL, p.anchors, 0), ES_CHAIN_UNTRUSTED);
	/* extra alone is not trust: the root in extra is not an anchor */
	sk_X509_push(p.extra, p.root);
	assert_int_equal(chain(p.leaf, p.extra, NULL, 0), ES_CHAIN_UNTRUSTED);
	pki3_free(&other);
	pki3_free(&p);
}

static void chain_with_expired_leaf_is_expired_but_ok_back_then(void **state)
{
	pki3 p;
	time_t now = time(NULL);

	(void)state;
	pki3_make(&p, ES_ALG_SM2, now - 20L * DAY_S, now - 10L * DAY_S);
	assert_int_equal(chain(p.leaf, p.extra, p.anchors, 0), ES_CHAIN_EXPIRED);
	assert_int_equal(chain(p.leaf, p.extra, p.anchors, now - 15L * DAY_S), ES_CHAIN_OK);
	/* before the root existed: expired too */
	assert_int_equal(chain(p.leaf, p.extra, p.anchors, now - 100L * DAY_S), ES_CHAIN_EXPIRED);
	pki3_free(&p);
}

static void chain_with_forged_issuer_signature_is_bad(void **state)
{
	pki3 p;
	time_t now = time(NULL);
	EVP_PKEY *evil = NULL;
	X509 *forged = NULL;
	es_err err = ES_ERR_INIT;

	(void)state;
	pki3_make(&p, ES_ALG_SM2, now - DAY_S, now + DAY_S);
	evil = new_key(ES_ALG_SM2);
	/* names say "issued by Issuing" but another key signed it */
	forged = make_cert(p.lk, "Maker 制章人", "Issuing", evil, 0, now - DAY_S, now + DAY_S);
	assert_int_equal(es_cert_check_signature(forged, p.ica, &err), ES_EVERIFY);
	assert_int_equal(err.code, ES_EVERIFY);
	assert_int_equal(chain(forged, p.extra, p.anchors, 0), ES_CHAIN_BAD_SIGNATURE);
	X509_free(forged);
	EVP_PKEY_free(evil);
	pki3_free(&p);
}

static void p256_chain_with_flipped_signature_byte_is_bad(void **state)
{
	pki3 p;
	time_t now = time(NULL);
	unsigned char *der = NULL, *tmp;
	const unsigned char *q;
	int len;
	X509 *bad;

	(void)state;
	pki3_make(&p, ES_ALG_P256, now - DAY_S, now + DAY_S);
	len = i2d_X509(p.leaf, NULL);
	der = malloc((size_t)len);
	assert_non_null(der);
	tmp = der;
	assert_int_equal(i2d_X509(p.leaf, &tmp), len);
	der[len - 5] ^= 0x01; /* inside the ECDSA s value */
	q = der;
	bad = d2i_X509(NULL, &q, len);
	assert_non_null(bad);
	assert_int_not_equal(es_cert_check_signature(bad, p.ica, NULL), 0);
	assert_int_equal(chain(bad, p.extra, p.anchors, 0), ES_CHAIN_BAD_SIGNATURE);
	X509_free(bad);
	free(der);
	pki3_free(&p);
}

static void non_ca_intermediate_cannot_issue(void **state)
{
	EVP_PKEY *rk = new_key(ES_ALG_SM2), *ik = new_key(ES_ALG_SM2), *lk = new_key(ES_ALG_SM2);
	time_t now = time(NULL);
	X509 *root = make_cert(rk, "Root", NULL, NULL, 1, now - DAY_S, now + DAY_S);
	X509 *ee = make_cert(ik, "Not a CA", "Root", rk, 0, now - DAY_S, now + DAY_S);
	X509 *leaf = make_cert(lk, "Leaf", "Not a CA", ik, 0, now - DAY_S, now + DAY_S);
	STACK_OF(X509) *anchors = sk_X509_new_null(), *extra = sk_X509_new_null();

	(void)state;
	sk_X509_push(anchors, root);
	sk_X509_push(extra, ee);
	assert_int_equal(es_cert_check_signature(leaf, ee, NULL), 0); /* signature is fine */
	assert_int_equal(chain(ee, NULL, anchors, 0), ES_CHAIN_OK);
	assert_int_equal(chain(leaf, extra, anchors, 0), ES_CHAIN_UNTRUSTED);
	sk_X509_free(anchors);
	sk_X509_free(extra);
	X509_free(root);
	X509_free(ee);
	X509_free(leaf);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(lk);
}

static void write_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
}

static int openssl_verify_link(const char *ca, const char *cert, const char *distid)
{
	char cmd[512];

	/* apps/verify sets the SM2 id on the target certificate only, so an SM2
	 * path is checked one link at a time (-partial_chain: ca is the anchor). */
	snprintf(cmd, sizeof(cmd), "openssl verify -vfyopt distid:%s -partial_chain "
		 "-CAfile %s %s >/dev/null 2>&1", distid, ca, cert);
	return system(cmd);
}

/* openssl verify (not our code) agrees that the SM2 chain we accept is good,
 * and that the id matters. */
static void openssl_cli_agrees_on_sm2_chain(void **state)
{
	pki3 p;
	time_t now = time(NULL);
	char dir[] = "/tmp/es-chain-XXXXXX", r[64], i[64], l[64];

	(void)state;
	pki3_make(&p, ES_ALG_SM2, now - DAY_S, now + DAY_S);
	assert_non_null(mkdtemp(dir));
	snprintf(r, sizeof(r), "%s/root.pem", dir);
	snprintf(i, sizeof(i), "%s/ica.pem", dir);
	snprintf(l, sizeof(l), "%s/leaf.pem", dir);
	write_pem(r, p.root);
	write_pem(i, p.ica);
	write_pem(l, p.leaf);
	assert_int_equal(openssl_verify_link(r, i, ES_SM2_DEFAULT_ID), 0);
	assert_int_equal(openssl_verify_link(i, l, ES_SM2_DEFAULT_ID), 0);
	assert_int_not_equal(openssl_verify_link(i, l, "1234567812345679"), 0);
	assert_int_not_equal(openssl_verify_link(r, l, ES_SM2_DEFAULT_ID), 0);
	assert_int_equal(chain(p.leaf, p.extra, p.anchors, 0), ES_CHAIN_OK);
	unlink(r);
	unlink(i);
	unlink(l);
	rmdir(dir);
	pki3_free(&p);
}

static X509 *load_vector_cert(void)
{
	FILE *f = fopen(ESEAL_SHARED_DIR "/vectors/ofd/ofdrw-sign_cert.pem", "r");
	X509 *x;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static void vector_cert_names_serial_and_dates(void **state)
{
	X509 *x = load_vector_cert();
	STACK_OF(X509) *anchors = sk_X509_new_null();
	char buf[128];
	struct tm tm2022 = {.tm_year = 122, .tm_mon = 0, .tm_mday = 1};
	time_t in_2022 = timegm(&tm2022);

	(void)state;
	es_cert_cn(x, buf, sizeof(buf));
	assert_string_equal(buf, "Test Certificate");
	es_cert_o(x, buf, sizeof(buf));
	assert_string_equal(buf, "OFD R&W");
	es_cert_serial_hex(x, buf, sizeof(buf));
	assert_string_equal(buf, "017AF20E3374");
	es_cert_cn(x, buf, 5); /* truncates, stays terminated */
	assert_string_equal(buf, "Test");
	es_cert_cn(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* its issuer (ofdrw ROOT) is not in the vectors: untrusted */
	assert_int_equal(chain(x, NULL, NULL, in_2022), ES_CHAIN_UNTRUSTED);
	sk_X509_push(anchors, x);
	assert_int_equal(chain(x, NULL, anchors, in_2022), ES_CHAIN_OK);
	assert_int_equal(chain(x, NULL, anchors, 0), ES_CHAIN_EXPIRED); /* notAfter 2023-07-29 */
	sk_X509_free(anchors);
	X509_free(x);
}

static void check_signature_rejects_null(void **state)
{
	es_err err = ES_ERR_INIT;
	es_chain_status st;

	(void)state;
	assert_int_equal(es_cert_check_signature(NULL, NULL, &err), ES_EINVAL);
	assert_int_equal(es_chain_check(&st, NULL, NULL, NULL, 0, &err), ES_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sm2_chain_reaches_anchor),
		cmocka_unit_test(p256_chain_reaches_anchor),
		cmocka_unit_test(chain_without_anchor_or_intermediate_is_untrusted),
		cmocka_unit_test(chain_with_expired_leaf_is_expired_but_ok_back_then),
		cmocka_unit_test(chain_with_forged_issuer_signature_is_bad),
		cmocka_unit_test(p256_chain_with_flipped_signature_byte_is_bad),
		cmocka_unit_test(non_ca_intermediate_cannot_issue),
		cmocka_unit_test(openssl_cli_agrees_on_sm2_chain),
		cmocka_unit_test(vector_cert_names_serial_and_dates),
		cmocka_unit_test(check_signature_rejects_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
