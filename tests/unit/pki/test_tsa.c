/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include "pki_test.h"
#include "pki/sigctx.h"
#include "util/util.h"

static es_pki_family sm2, p256;
static STACK_OF(X509) *sm2_chain, *p256_chain;
static unsigned char digest[32], sm3_digest[32];
static char digest_hex[65];

static int setup(void **state)
{
	(void)state;
	if (es_pki_family_create(&sm2, ES_ALG_SM2, "tsa test", NULL, NULL) < 0 ||
	    es_pki_family_create(&p256, ES_ALG_P256, "tsa test", NULL, NULL) < 0)
		return -1;
	sm2_chain = sk_X509_new_null();
	sk_X509_push(sm2_chain, sm2.issuing);
	p256_chain = sk_X509_new_null();
	sk_X509_push(p256_chain, p256.issuing);
	SHA256((const unsigned char *)"document", 8, digest);
	es_sm3(sm3_digest, (const unsigned char *)"document", 8, NULL);
	for (int i = 0; i < 32; i++)
		snprintf(digest_hex + 2 * i, 3, "%02x", digest[i]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sk_X509_free(sm2_chain);
	sk_X509_free(p256_chain);
	es_pki_family_clear(&sm2);
	es_pki_family_clear(&p256);
	return 0;
}

static void write_ca_files(const char *dir, es_pki_family *f)
{
	pt_write_pems(dir, "root.pem", f->root, NULL);
	pt_write_pems(dir, "issuing.pem", f->issuing, NULL);
}

static TS_TST_INFO *tst_of_token(const unsigned char *tok, size_t len)
{
	const unsigned char *p = tok;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);
	TS_TST_INFO *tst;

	assert_non_null(p7);
	tst = PKCS7_to_TS_TST_INFO(p7);
	assert_non_null(tst);
	PKCS7_free(p7);
	return tst;
}

static void tst_has_eseal_policy_accuracy_serial_and_name(TS_TST_INFO *tst)
{
	char oid[64];
	const TS_ACCURACY *acc = TS_TST_INFO_get_accuracy(tst);

	assert_int_equal(TS_TST_INFO_get_version(tst), 1);
	OBJ_obj2txt(oid, sizeof(oid), TS_TST_INFO_get_policy_id(tst), 1);
	assert_string_equal(oid, ES_TSA_POLICY_OID);
	assert_non_null(acc);
	assert_int_equal(ASN1_INTEGER_get(TS_ACCURACY_get_seconds(acc)), 1);
	assert_int_equal(ASN1_STRING_length(TS_TST_INFO_get_serial(tst)), 16);
	assert_non_null(TS_TST_INFO_get_tsa(tst));
}

static void p256_token_verifies_with_openssl_ts(void **state)
{
	unsigned char *tok = NULL;
	size_t len = 0;
	char dir[64], out[PT_OUT_LEN], cmd[512], bad[65];
	es_err err = ES_ERR_INIT;
	TS_TST_INFO *tst;
	time_t t = 0;
	X509 *who = NULL;

	(void)state;
	assert_int_equal(es_tsa_stamp(&tok, &len, digest, 32, NID_sha256, p256.tsa, p256.tsa_key,
				      p256_chain, &err), 0);
	tst = tst_of_token(tok, len);
	tst_has_eseal_policy_accuracy_serial_and_name(tst);
	assert_null(TS_TST_INFO_get_nonce(tst));
	TS_TST_INFO_free(tst);
	assert_int_equal(es_tsa_token_verify(&t, &who, tok, len, digest, 32, NID_sha256, NULL, &err), 0);
	assert_true(labs((long)(t - time(NULL))) < 5);
	assert_int_equal(X509_cmp(who, p256.tsa), 0);
	X509_free(who);

	pt_tmpdir(dir, sizeof(dir));
	write_ca_files(dir, &p256);
	pt_write(dir, "tok.der", tok, len);
	snprintf(cmd, sizeof(cmd), "openssl ts -verify -digest %s -token_in -in tok.der "
		 "-CAfile root.pem -untrusted issuing.pem", digest_hex);
	assert_int_equal(pt_run(out, sizeof(out), dir, cmd), 0);
	assert_non_null(strstr(out, "Verification: OK"));
	memcpy(bad, digest_hex, sizeof(bad));
	bad[0] = bad[0] == '0' ? '1' : '0';
	snprintf(cmd, sizeof(cmd), "openssl ts -verify -digest %s -token_in -in tok.der "
		 "-CAfile root.pem -untrusted issuing.pem", bad);
	assert_int_not_equal(pt_run(out, sizeof(out), dir, cmd), 0);
	assert_non_null(strstr(out, "message imprint mismatch"));
	free(tok);
	pt_rmtree(dir);
}

static void respond_answers_openssl_query_with_nonce(void **state)
{
	char dir[64], out[PT_OUT_LEN], path[PT_PATH_LEN];
	unsigned char *resp = NULL;
	size_t len = 0;
	es_buf q = {0};

	(void)state;
	pt_tmpdir(dir, sizeof(dir));
	write_ca_files(dir, &p256);
	pt_write(dir, "doc.txt", "document", 8);
	assert_int_equal(pt_run(out, sizeof(out), dir,
				"openssl ts -query -data doc.txt -sha256 -cert -out req.tsq"), 0);
	pt_path(path, dir, "req.tsq");
	assert_int_equal(es_file_read(&q, path, 4096, NULL), 0);
	assert_int_equal(es_tsa_respond(&resp, &len, q.data, q.len, p256.tsa, p256.tsa_key,
					p256_chain, NULL), 0);
	pt_write(dir, "resp.tsr", resp, len);
	assert_int_equal(pt_run(out, sizeof(out), dir,
				"openssl ts -verify -queryfile req.tsq -in resp.tsr "
				"-CAfile root.pem -untrusted issuing.pem"), 0);
	assert_non_null(strstr(out, "Verification: OK"));
	assert_int_equal(pt_run(out, sizeof(out), dir, "openssl ts -reply -in resp.tsr -text"), 0);
	assert_non_null(strstr(out, "Status: Granted."));
	assert_non_null(strstr(out, "Policy OID: " ES_TSA_POLICY_OID));
	assert_non_null(strstr(out, "Accuracy: 0x01 seconds"));
	assert_null(strstr(out, "Nonce: unspecified"));
	/* another document: openssl says mismatch */
	pt_write(dir, "other.txt", "documenT", 8);
	assert_int_not_equal(pt_run(out, sizeof(out), dir,
				    "openssl ts -verify -data other.txt -in resp.tsr "
				    "-CAfile root.pem -untrusted issuing.pem"), 0);
	free(resp);
	es_buf_free(&q, 0);
	pt_rmtree(dir);
}

static long resp_status(const unsigned char *der, size_t len, int *fail_bit)
{
	const unsigned char *p = der;
	TS_RESP *r = d2i_TS_RESP(NULL, &p, (long)len);
	const ASN1_BIT_STRING *fi;
	long st;

	assert_non_null(r);
	st = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(r)));
	fi = TS_STATUS_INFO_get0_failure_info(TS_RESP_get_status_info(r));
	*fail_bit = -1;
	for (int i = 0; fi != NULL && i < 32; i++)
		if (ASN1_BIT_STRING_get_bit(fi, i))
			*fail_bit = i;
	assert_null(st != TS_STATUS_GRANTED ? TS_RESP_get_token(r) : NULL);
	TS_RESP_free(r);
	return st;
}

static unsigned char *req_der(size_t *len, int md_nid, const unsigned char *d, int dlen,
			      const char *policy)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *imp = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_OBJECT *pol = policy != NULL ? OBJ_txt2obj(policy, 1) : NULL;
	unsigned char *der = NULL;

	TS_REQ_set_version(req, 1);
	X509_ALGOR_set0(alg, OBJ_nid2obj(md_nid), V_ASN1_NULL, NULL);
	TS_MSG_IMPRINT_set_algo(imp, alg);
	TS_MSG_IMPRINT_set_msg(imp, (unsigned char *)d, dlen);
	TS_REQ_set_msg_imprint(req, imp);
	if (pol != NULL)
		TS_REQ_set_policy_id(req, pol);
	*len = (size_t)i2d_TS_REQ(req, &der);
	ASN1_OBJECT_free(pol);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(imp);
	TS_REQ_free(req);
	return der;
}

/* Bad requests get a refusal with failInfo (RFC 3161 2.4.2), from either
 * family, and never a crash or an error return. */
static void bad_requests_get_a_rejection_with_fail_info(void **state)
{
	es_pki_family *fams[] = {&p256, &sm2};
	unsigned char garbage[] = {0x30, 0x03, 0x02, 0x01}, *resp = NULL, *r;
	size_t len = 0, rlen;
	int bit;

	(void)state;
	for (int i = 0; i < 2; i++) {
		es_pki_family *f = fams[i];

		assert_int_equal(es_tsa_respond(&resp, &len, garbage, sizeof(garbage), f->tsa,
						f->tsa_key, NULL, NULL), 0);
		assert_int_equal(resp_status(resp, len, &bit), TS_STATUS_REJECTION);
		assert_int_equal(bit, TS_INFO_BAD_DATA_FORMAT);
		free(resp);
		assert_int_equal(es_tsa_respond(&resp, &len, garbage, 0, f->tsa, f->tsa_key, NULL, NULL), 0);
		assert_int_equal(resp_status(resp, len, &bit), TS_STATUS_REJECTION);
		free(resp);

		r = req_der(&rlen, NID_sha1, digest, 20, NULL); /* SHA-1 not accepted */
		assert_int_equal(es_tsa_respond(&resp, &len, r, rlen, f->tsa, f->tsa_key, NULL, NULL), 0);
		assert_int_equal(resp_status(resp, len, &bit), TS_STATUS_REJECTION);
		assert_int_equal(bit, TS_INFO_BAD_ALG);
		free(resp);
		OPENSSL_free(r);

		r = req_der(&rlen, NID_sha256, digest, 31, NULL); /* wrong length */
		assert_int_equal(es_tsa_respond(&resp, &len, r, rlen, f->tsa, f->tsa_key, NULL, NULL), 0);
		assert_int_equal(resp_status(resp, len, &bit), TS_STATUS_REJECTION);
		assert_int_equal(bit, TS_INFO_BAD_DATA_FORMAT);
		free(resp);
		OPENSSL_free(r);

		r = req_der(&rlen, NID_sha256, digest, 32, "1.2.3.4");
		assert_int_equal(es_tsa_respond(&resp, &len, r, rlen, f->tsa, f->tsa_key, NULL, NULL), 0);
		assert_int_equal(resp_status(resp, len, &bit), TS_STATUS_REJECTION);
		assert_int_equal(bit, TS_INFO_UNACCEPTED_POLICY);
		free(resp);
		OPENSSL_free(r);

		r = req_der(&rlen, NID_sha256, digest, 32, ES_TSA_POLICY_OID);
		assert_int_equal(es_tsa_respond(&resp, &len, r, rlen, f->tsa, f->tsa_key, NULL, NULL), 0);
		assert_int_equal(resp_status(resp, len, &bit), TS_STATUS_GRANTED);
		free(resp);
		OPENSSL_free(r);
	}
}

static void sm2_token_verifies_in_c_and_detects_changes(void **state)
{
	unsigned char *tok = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;
	unsigned char other[32], *tder = NULL, *at;
	size_t tder_len;
	TS_TST_INFO *tst;
	time_t t = 0;

	(void)state;
	assert_int_equal(es_tsa_stamp(&tok, &len, sm3_digest, 32, NID_sm3, sm2.tsa, sm2.tsa_key,
				      sm2_chain, &err), 0);
	tst = tst_of_token(tok, len);
	tst_has_eseal_policy_accuracy_serial_and_name(tst);
	TS_TST_INFO_free(tst);
	assert_int_equal(es_tsa_token_verify(&t, NULL, tok, len, sm3_digest, 32, NID_sm3, sm2.tsa, &err), 0);
	assert_true(t > 0);
	/* another digest, another algorithm, another TSA */
	memcpy(other, sm3_digest, 32);
	other[31] ^= 1;
	assert_int_equal(es_tsa_token_verify(NULL, NULL, tok, len, other, 32, NID_sm3, NULL, &err),
			 ES_EVERIFY);
	assert_non_null(strstr(err.msg, "imprint"));
	assert_int_equal(es_tsa_token_verify(NULL, NULL, tok, len, sm3_digest, 32, NID_sha256, NULL, &err),
			 ES_EVERIFY);
	assert_int_equal(es_tsa_token_verify(NULL, NULL, tok, len, sm3_digest, 32, NID_sm3, p256.tsa, &err),
			 ES_EVERIFY);
	/* every byte of the TSTInfo and of the signature value matters (the
	 * certificates travelling in the token are not signed, and are not
	 * used when tsa_cert is given) */
	tst = tst_of_token(tok, len);
	tder_len = (size_t)i2d_TS_TST_INFO(tst, &tder);
	TS_TST_INFO_free(tst);
	at = memmem(tok, len, tder, tder_len);
	assert_non_null(at);
	for (size_t i = 0; i < tder_len; i++) {
		at[i] ^= 0x04;
		assert_true(es_tsa_token_verify(NULL, NULL, tok, len, sm3_digest, 32, NID_sm3, sm2.tsa,
						NULL) < 0);
		at[i] ^= 0x04;
	}
	for (size_t i = len - 64; i < len; i++) {
		tok[i] ^= 0x04;
		assert_true(es_tsa_token_verify(NULL, NULL, tok, len, sm3_digest, 32, NID_sm3, sm2.tsa,
						NULL) < 0);
		tok[i] ^= 0x04;
	}
	OPENSSL_free(tder);
	free(tok);
}

static void sm2_token_has_ess_v2_and_sm2_signature_algorithm(void **state)
{
	unsigned char *tok = NULL;
	size_t len = 0;
	char dir[64], out[PT_OUT_LEN];

	(void)state;
	assert_int_equal(es_tsa_stamp(&tok, &len, digest, 32, NID_sha256, sm2.tsa, sm2.tsa_key, NULL,
				      NULL), 0);
	pt_tmpdir(dir, sizeof(dir));
	pt_write(dir, "tok.der", tok, len);
	assert_int_equal(pt_run(out, sizeof(out), dir,
				"openssl cms -cmsout -print -inform DER -in tok.der"), 0);
	assert_non_null(strstr(out, "id-smime-ct-TSTInfo"));
	assert_non_null(strstr(out, "id-smime-aa-signingCertificateV2"));
	assert_non_null(strstr(out, "SM2-with-SM3"));
	assert_non_null(strstr(out, "sm3"));
	/* OpenSSL 3.0 cannot check an SM2 token (empty SM2 id): documented */
	write_ca_files(dir, &sm2);
	pt_write_pems(dir, "tsa.pem", sm2.tsa, NULL);
	assert_int_not_equal(pt_run(out, sizeof(out), dir,
				    "openssl ts -verify -digest 00 -token_in -in tok.der -CAfile root.pem "
				    "-untrusted issuing.pem"), 0);
	free(tok);
	pt_rmtree(dir);
}

static TS_MSG_IMPRINT *imprint_new(int md_nid, const unsigned char *d, int dlen)
{
	TS_MSG_IMPRINT *imp = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();

	assert_int_equal(X509_ALGOR_set0(alg, OBJ_nid2obj(md_nid), V_ASN1_NULL, NULL), 1);
	assert_int_equal(TS_MSG_IMPRINT_set_algo(imp, alg), 1);
	assert_int_equal(TS_MSG_IMPRINT_set_msg(imp, (unsigned char *)d, dlen), 1);
	X509_ALGOR_free(alg);
	return imp;
}

static PKCS7 *token_p7(const unsigned char *tok, size_t len)
{
	const unsigned char *p = tok;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);

	assert_non_null(p7);
	return p7;
}

/* Flip one bit of a byte inside an ASN1_STRING of the parsed token. */
static void flip(ASN1_STRING *s, int at)
{
	unsigned char *d = (unsigned char *)ASN1_STRING_get0_data(s);

	assert_true(at < ASN1_STRING_length(s));
	d[at] ^= 0x01;
}

static void self_check_accepts_new_tokens_and_catches_changes(void **state)
{
	es_pki_family *fams[] = {&p256, &sm2};
	STACK_OF(X509) *chains[] = {p256_chain, sm2_chain};
	unsigned char other[32], *tok = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;

	(void)state;
	memcpy(other, digest, 32);
	other[0] ^= 0x80;
	for (int i = 0; i < 2; i++) {
		es_pki_family *f = fams[i];
		TS_MSG_IMPRINT *want = imprint_new(NID_sha256, digest, 32);
		TS_MSG_IMPRINT *wrong = imprint_new(NID_sha256, other, 32);
		TS_MSG_IMPRINT *wrong_alg = imprint_new(NID_sm3, digest, 32);
		PKCS7 *p7;
		PKCS7_SIGNER_INFO *si;

		assert_int_equal(es_tsa_stamp(&tok, &len, digest, 32, NID_sha256, f->tsa, f->tsa_key,
					      chains[i], &err), 0);
		p7 = token_p7(tok, len);
		si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
		assert_int_equal(es_tsa_token_self_check(p7, want, f->tsa, &err), 0);
		assert_int_equal(es_tsa_token_self_check(p7, wrong, f->tsa, &err), ES_EVERIFY);
		assert_int_equal(es_tsa_token_self_check(p7, wrong_alg, f->tsa, &err), ES_EVERIFY);
		assert_int_equal(es_tsa_token_self_check(p7, want, f->ocsp, &err), ES_EVERIFY);
		assert_int_equal(es_tsa_token_self_check(NULL, want, f->tsa, &err), ES_EVERIFY);
		/* the signature value */
		flip(si->enc_digest, ASN1_STRING_length(si->enc_digest) - 3);
		assert_int_equal(es_tsa_token_self_check(p7, want, f->tsa, &err), ES_EVERIFY);
		flip(si->enc_digest, ASN1_STRING_length(si->enc_digest) - 3);
		/* the TSTInfo content (its messageDigest no longer matches) */
		flip(p7->d.sign->contents->d.other->value.octet_string, 20);
		assert_int_equal(es_tsa_token_self_check(p7, want, f->tsa, &err), ES_EVERIFY);
		assert_non_null(strstr(err.msg, "does not match"));
		flip(p7->d.sign->contents->d.other->value.octet_string, 20);
		/* a signed attribute (the signature no longer covers it) */
		flip(PKCS7_digest_from_attributes(si->auth_attr), 0);
		assert_int_equal(es_tsa_token_self_check(p7, want, f->tsa, &err), ES_EVERIFY);
		flip(PKCS7_digest_from_attributes(si->auth_attr), 0);
		assert_int_equal(es_tsa_token_self_check(p7, want, f->tsa, &err), 0);
		PKCS7_free(p7);
		free(tok);
		TS_MSG_IMPRINT_free(want);
		TS_MSG_IMPRINT_free(wrong);
		TS_MSG_IMPRINT_free(wrong_alg);
	}
}

static void sm2_token_carries_tsa_and_chain_certificates(void **state)
{
	unsigned char *tok = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;
	STACK_OF(X509) *with_self = sk_X509_new_null();
	X509 *who = NULL;
	PKCS7 *p7;

	(void)state;
	/* the TSA certificate in the chain is not embedded twice */
	sk_X509_push(with_self, sm2.tsa);
	sk_X509_push(with_self, sm2.issuing);
	assert_int_equal(es_tsa_stamp(&tok, &len, sm3_digest, 32, NID_sm3, sm2.tsa, sm2.tsa_key,
				      with_self, &err), 0);
	p7 = token_p7(tok, len);
	assert_int_equal(sk_X509_num(p7->d.sign->cert), 2);
	assert_int_equal(X509_cmp(sk_X509_value(p7->d.sign->cert, 0), sm2.tsa), 0);
	assert_int_equal(X509_cmp(sk_X509_value(p7->d.sign->cert, 1), sm2.issuing), 0);
	PKCS7_free(p7);
	/* the verifier finds the signer among them */
	assert_int_equal(es_tsa_token_verify(NULL, &who, tok, len, sm3_digest, 32, NID_sm3, NULL, &err), 0);
	assert_int_equal(X509_cmp(who, sm2.tsa), 0);
	X509_free(who);
	free(tok);
	sk_X509_free(with_self);
}

/* es_tsa_token_max_len() never undershoots a real token, whatever the
 * family, chain, imprint or serial, and is not wildly loose either. */
static void token_max_len_bounds_real_tokens(void **state)
{
	es_pki_family *fams[] = {&p256, &sm2};
	int mds[] = {NID_sha256, NID_sm3, NID_sha512};
	unsigned char d64[64];
	es_err err = ES_ERR_INIT;
	size_t max = 0, len = 0, slack_min = SIZE_MAX;

	(void)state;
	memset(d64, 0x5a, sizeof(d64));
	for (int i = 0; i < 2; i++) {
		es_pki_family *f = fams[i];
		STACK_OF(X509) *chains[3] = {NULL, sk_X509_new_null(), sk_X509_new_null()};

		sk_X509_push(chains[1], f->issuing);
		sk_X509_push(chains[1], f->root);
		sk_X509_push(chains[2], f->tsa); /* P-256 embeds it twice */
		sk_X509_push(chains[2], f->issuing);
		for (int c = 0; c < 3; c++) {
			assert_int_equal(es_tsa_token_max_len(&max, f->tsa, chains[c], &err), 0);
			for (int m = 0; m < 3; m++) {
				for (int k = 0; k < 8; k++) {
					unsigned char *tok = NULL;
					assert_int_equal(es_tsa_stamp(&tok, &len, d64,
								      (size_t)EVP_MD_get_size(EVP_get_digestbynid(mds[m])),
								      mds[m], f->tsa, f->tsa_key, chains[c], &err), 0);
					assert_true(len <= max);
					if (max - len < slack_min)
						slack_min = max - len;
					free(tok);
				}
			}
			sk_X509_free(chains[c]);
		}
	}
	print_message("smallest slack: %zu bytes\n", slack_min);
	assert_true(slack_min < 1024);
	assert_int_equal(es_tsa_token_max_len(&max, NULL, NULL, &err), ES_EINVAL);
}

static void stamp_refuses_bad_input(void **state)
{
	unsigned char *tok = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_tsa_stamp(&tok, &len, digest, 31, NID_sha256, p256.tsa, p256.tsa_key, NULL,
				      &err), ES_EINVAL);
	assert_int_equal(es_tsa_stamp(&tok, &len, digest, 16, NID_md5, p256.tsa, p256.tsa_key, NULL,
				      &err), ES_EINVAL);
	/* not a TSA certificate */
	assert_int_equal(es_tsa_stamp(&tok, &len, digest, 32, NID_sha256, p256.ocsp, p256.ocsp_key,
				      NULL, &err), ES_EINVAL);
	assert_int_equal(es_tsa_stamp(&tok, &len, digest, 32, NID_sha256, sm2.ocsp, sm2.ocsp_key,
				      NULL, &err), ES_EINVAL);
	/* key of another certificate */
	assert_int_equal(es_tsa_stamp(&tok, &len, digest, 32, NID_sha256, p256.tsa, p256.ocsp_key,
				      NULL, &err), ES_EINVAL);
	assert_null(tok);
}

/* ---- es_tsa_fetch against a one-shot HTTP server ---- */

enum srv_mode { SRV_GOOD, SRV_OTHER_IMPRINT, SRV_HTTP_500, SRV_GARBAGE, SRV_REJECT };

typedef struct srv {
	int fd, port;
	enum srv_mode mode;
	es_pki_family *f;
	pthread_t th;
	char content_type[128];
} srv;

static size_t srv_read_request(int c, char *buf, size_t cap, unsigned char **body)
{
	size_t n = 0, want = 0;
	char *end = NULL, *cl;
	ssize_t got;

	while (n < cap - 1) {
		got = read(c, buf + n, cap - 1 - n);
		if (got <= 0)
			break;
		n += (size_t)got;
		buf[n] = '\0';
		if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			cl = strcasestr(buf, "content-length:");
			want = cl != NULL ? strtoul(cl + 15, NULL, 10) : 0;
		}
		if (end != NULL && n >= (size_t)(end + 4 - buf) + want)
			break;
	}
	*body = (unsigned char *)end + 4;
	return want;
}

static void *srv_main(void *arg)
{
	srv *s = arg;
	char buf[8192], head[256];
	unsigned char *body, *resp = NULL, *req2 = NULL;
	size_t blen, rlen = 0;
	int c = accept(s->fd, NULL, NULL), n;
	const char *status = "200 OK";

	blen = srv_read_request(c, buf, sizeof(buf), &body);
	{
		char *ct = strcasestr(buf, "content-type:");
		snprintf(s->content_type, sizeof(s->content_type), "%.*s", ct ? (int)strcspn(ct, "\r") : 0,
			 ct ? ct : "");
	}
	if (s->mode == SRV_OTHER_IMPRINT) { /* answer the same request for other data */
		const unsigned char *p = body;
		TS_REQ *q = d2i_TS_REQ(NULL, &p, (long)blen);
		ASN1_STRING *m = TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(q));
		unsigned char *d = (unsigned char *)ASN1_STRING_get0_data(m);
		d[0] ^= 1;
		n = i2d_TS_REQ(q, &req2);
		TS_REQ_free(q);
		body = req2;
		blen = (size_t)n;
	}
	if (s->mode == SRV_REJECT)
		blen = 3; /* refusal from the TSA */
	if (s->mode == SRV_GOOD || s->mode == SRV_OTHER_IMPRINT || s->mode == SRV_REJECT)
		es_tsa_respond(&resp, &rlen, body, blen, s->f->tsa, s->f->tsa_key, NULL, NULL);
	if (s->mode == SRV_HTTP_500)
		status = "500 Internal Server Error";
	if (s->mode == SRV_GARBAGE) {
		resp = (unsigned char *)strdup("not DER at all");
		rlen = strlen((char *)resp);
	}
	n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: application/timestamp-reply\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, rlen);
	assert_int_equal(write(c, head, (size_t)n), n);
	if (rlen > 0)
		assert_int_equal(write(c, resp, rlen), (ssize_t)rlen);
	close(c);
	free(resp);
	OPENSSL_free(req2);
	return NULL;
}

static void srv_start(srv *s, es_pki_family *f, enum srv_mode mode)
{
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof(a);

	s->f = f;
	s->mode = mode;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 1), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void srv_stop(srv *s)
{
	pthread_join(s->th, NULL);
	close(s->fd);
}

static int fetch_from(srv *s, es_pki_family *f, enum srv_mode mode, const unsigned char *d,
		      int md_nid, unsigned char **tok, size_t *len, es_err *err)
{
	char url[64];
	int rc;

	srv_start(s, f, mode);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/tsa", s->port);
	rc = es_tsa_fetch(tok, len, url, d, 32, md_nid, err);
	srv_stop(s);
	return rc;
}

static void fetch_gets_a_checked_token(void **state)
{
	unsigned char *tok = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;
	X509 *who = NULL;
	srv s;

	(void)state;
	assert_int_equal(fetch_from(&s, &p256, SRV_GOOD, digest, NID_sha256, &tok, &len, &err), 0);
	assert_string_equal(s.content_type, "Content-Type: application/timestamp-query");
	assert_int_equal(es_tsa_token_verify(NULL, &who, tok, len, digest, 32, NID_sha256, NULL, &err), 0);
	assert_int_equal(X509_cmp(who, p256.tsa), 0);
	X509_free(who);
	free(tok);
	assert_int_equal(fetch_from(&s, &sm2, SRV_GOOD, sm3_digest, NID_sm3, &tok, &len, &err), 0);
	assert_int_equal(es_tsa_token_verify(NULL, NULL, tok, len, sm3_digest, 32, NID_sm3, sm2.tsa, &err), 0);
	free(tok);
}

static void fetch_rejects_wrong_or_failed_answers(void **state)
{
	unsigned char *tok = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;
	srv s;

	(void)state;
	assert_int_equal(fetch_from(&s, &p256, SRV_OTHER_IMPRINT, digest, NID_sha256, &tok, &len, &err),
			 ES_EVERIFY);
	assert_non_null(strstr(err.msg, "imprint"));
	assert_int_equal(fetch_from(&s, &p256, SRV_HTTP_500, digest, NID_sha256, &tok, &len, &err), ES_ENET);
	assert_non_null(strstr(err.msg, "HTTP 500"));
	assert_int_equal(fetch_from(&s, &p256, SRV_GARBAGE, digest, NID_sha256, &tok, &len, &err), ES_ENET);
	assert_non_null(strstr(err.msg, "malformed"));
	assert_int_equal(fetch_from(&s, &sm2, SRV_REJECT, digest, NID_sha256, &tok, &len, &err), ES_ENET);
	assert_non_null(strstr(err.msg, "refused"));
	assert_null(tok);
	/* nobody listening */
	assert_int_equal(es_tsa_fetch(&tok, &len, "http://127.0.0.1:1/tsa", digest, 32, NID_sha256, &err),
			 ES_ENET);
	assert_int_equal(es_tsa_fetch(&tok, &len, "file:///etc/passwd", digest, 32, NID_sha256, &err),
			 ES_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(p256_token_verifies_with_openssl_ts),
		cmocka_unit_test(respond_answers_openssl_query_with_nonce),
		cmocka_unit_test(bad_requests_get_a_rejection_with_fail_info),
		cmocka_unit_test(sm2_token_verifies_in_c_and_detects_changes),
		cmocka_unit_test(sm2_token_has_ess_v2_and_sm2_signature_algorithm),
		cmocka_unit_test(self_check_accepts_new_tokens_and_catches_changes),
		cmocka_unit_test(sm2_token_carries_tsa_and_chain_certificates),
		cmocka_unit_test(token_max_len_bounds_real_tokens),
		cmocka_unit_test(stamp_refuses_bad_input),
		cmocka_unit_test(fetch_gets_a_checked_token),
		cmocka_unit_test(fetch_rejects_wrong_or_failed_answers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
