/* Parsers of network input survive mangled bytes: deterministic mutations of
 * valid TimeStampReqs, OCSP requests/responses, tokens and ESK1 blobs (run
 * under ASan by `make test`; fuzz targets can go further).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/ts.h>
#include "pki_test.h"

#define ROUNDS 600

static es_pki_family fam[2];
static X509 *holder[2];
static EVP_PKEY *holder_key[2];
static uint32_t seed = 12345;

static uint32_t rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

/* One mutation of src into dst (cap >= len + 8): flip, change, cut, insert.
 * The result always differs from src. */
static size_t mutate(unsigned char *dst, const unsigned char *src, size_t len)
{
	size_t n = len, i, at = len > 0 ? rnd() % len : 0;

	memcpy(dst, src, len);
	switch (rnd() % 4) {
	case 0:
		dst[at] ^= (unsigned char)(1u << (rnd() % 8));
		break;
	case 1: /* a different byte: never a no-op */
		dst[at] = (unsigned char)(dst[at] ^ (1 + rnd() % 255));
		break;
	case 2:
		n = at; /* truncate */
		break;
	default:
		for (i = len; i > at; i--)
			dst[i] = dst[i - 1];
		dst[at] = (unsigned char)rnd();
		n = len + 1;
		break;
	}
	return n;
}

static int status_cb(void *ctx, const char *serial_hex, int *revoked, time_t *when, int *reason)
{
	(void)ctx;
	(void)serial_hex;
	*revoked = 1;
	*when = 1700000000;
	*reason = 4;
	return 0;
}

static int setup(void **state)
{
	es_alg algs[2] = {ES_ALG_SM2, ES_ALG_P256};
	es_cert_req req = {0};

	(void)state;
	for (int i = 0; i < 2; i++) {
		if (es_pki_family_create(&fam[i], algs[i], "mutate", NULL, NULL) < 0 ||
		    es_key_generate(&holder_key[i], algs[i], NULL) < 0)
			return -1;
		req.kind = ES_CERT_HOLDER;
		req.subject_key = holder_key[i];
		req.cn = "h";
		req.days = 10;
		if (es_cert_issue(&holder[i], &req, fam[i].issuing, fam[i].issuing_key, NULL) < 0)
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		X509_free(holder[i]);
		EVP_PKEY_free(holder_key[i]);
		es_pki_family_clear(&fam[i]);
	}
	return 0;
}

static void tsa_respond_survives_mangled_requests(void **state)
{
	unsigned char d[32] = {7}, *tok = NULL, *resp = NULL, buf[512];
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *imp = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	size_t len = 0, n;
	int dlen;

	(void)state;
	TS_REQ_set_version(req, 1);
	X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL);
	TS_MSG_IMPRINT_set_algo(imp, alg);
	TS_MSG_IMPRINT_set_msg(imp, d, 32);
	TS_REQ_set_msg_imprint(req, imp);
	ASN1_INTEGER_set(nonce, 99);
	TS_REQ_set_nonce(req, nonce);
	TS_REQ_set_cert_req(req, 1);
	dlen = i2d_TS_REQ(req, &der);
	for (int r = 0; r < ROUNDS; r++) {
		es_pki_family *f = &fam[r % 2];

		n = mutate(buf, der, (size_t)dlen);
		assert_int_equal(es_tsa_respond(&resp, &len, buf, n, f->tsa, f->tsa_key, NULL, NULL), 0);
		assert_non_null(resp);
		free(resp);
	}
	/* tokens */
	for (int i = 0; i < 2; i++) {
		unsigned char tbuf[4096];

		assert_int_equal(es_tsa_stamp(&tok, &len, d, 32, NID_sha256, fam[i].tsa, fam[i].tsa_key,
					      NULL, NULL), 0);
		assert_true(len + 8 < sizeof(tbuf));
		for (int r = 0; r < ROUNDS; r++) {
			time_t t;
			X509 *who = NULL;

			n = mutate(tbuf, tok, len);
			if (es_tsa_token_verify(&t, &who, tbuf, n, d, 32, NID_sha256, NULL, NULL) < 0)
				assert_null(who);
			X509_free(who);
		}
		free(tok);
	}
	OPENSSL_free(der);
	ASN1_INTEGER_free(nonce);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(imp);
	TS_REQ_free(req);
}

static void ocsp_survives_mangled_requests_and_responses(void **state)
{
	unsigned char *req = NULL, *resp = NULL, *r2 = NULL, buf[4096];
	size_t rlen = 0, len = 0, len2 = 0, n;
	int revoked;

	(void)state;
	for (int i = 0; i < 2; i++) {
		es_pki_family *f = &fam[i];

		assert_int_equal(es_ocsp_request_make(&req, &rlen, holder[i], f->issuing, NULL), 0);
		for (int r = 0; r < ROUNDS; r++) {
			n = mutate(buf, req, rlen);
			assert_int_equal(es_ocsp_respond(&r2, &len2, buf, n, f->issuing, f->ocsp, f->ocsp_key,
							 status_cb, NULL, NULL), 0);
			free(r2);
		}
		assert_int_equal(es_ocsp_respond(&resp, &len, req, rlen, f->issuing, f->ocsp, f->ocsp_key,
						 status_cb, NULL, NULL), 0);
		assert_true(len + 8 < sizeof(buf));
		for (int r = 0; r < ROUNDS; r++) {
			n = mutate(buf, resp, len);
			revoked = 5;
			if (es_ocsp_response_status(&revoked, buf, n, holder[i], f->issuing, NULL, NULL) == 0)
				assert_true(revoked >= -1 && revoked <= 1);
		}
		free(req);
		free(resp);
	}
}

static void unwrap_survives_mangled_blobs(void **state)
{
	unsigned char kek[ES_KEK_LEN] = {9}, *blob = NULL, buf[512];
	size_t len = 0, n;
	EVP_PKEY *k = NULL;

	(void)state;
	assert_int_equal(es_key_wrap(&blob, &len, holder_key[0], kek, "x", NULL), 0);
	for (int r = 0; r < ROUNDS; r++) {
		n = mutate(buf, blob, len);
		assert_true(es_key_unwrap(&k, buf, n, kek, "x", NULL) < 0);
		assert_null(k);
	}
	free(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tsa_respond_survives_mangled_requests),
		cmocka_unit_test(ocsp_survives_mangled_requests_and_responses),
		cmocka_unit_test(unwrap_survives_mangled_blobs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
