/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/ocsp.h>
#include "pki_test.h"

static es_pki_family sm2, p256;
static X509 *sm2_holder, *p256_holder;
static EVP_PKEY *sm2_holder_key, *p256_holder_key;

/* Status source: one revoked serial, one unknown serial, or a failing store. */
typedef struct status_src {
	char revoked[64], unknown[64];
	int fail, calls;
} status_src;

static int status_cb(void *ctx, const char *serial_hex, int *revoked, time_t *when, int *reason)
{
	status_src *s = ctx;

	s->calls++;
	if (s->fail)
		return ES_ESTORE;
	if (strcmp(serial_hex, s->unknown) == 0)
		return ES_ENOTFOUND;
	*revoked = strcmp(serial_hex, s->revoked) == 0;
	*when = 1700000000;
	*reason = 1; /* keyCompromise */
	return 0;
}

static X509 *holder(es_pki_family *f, EVP_PKEY **k)
{
	es_cert_req req = {0};
	X509 *c = NULL;

	assert_int_equal(es_key_generate(k, f->alg, NULL), 0);
	req.kind = ES_CERT_HOLDER;
	req.subject_key = *k;
	req.cn = "holder";
	req.days = 100;
	assert_int_equal(es_cert_issue(&c, &req, f->issuing, f->issuing_key, NULL), 0);
	return c;
}

static int setup(void **state)
{
	(void)state;
	if (es_pki_family_create(&sm2, ES_ALG_SM2, "ocsp test", NULL, NULL) < 0 ||
	    es_pki_family_create(&p256, ES_ALG_P256, "ocsp test", NULL, NULL) < 0)
		return -1;
	sm2_holder = holder(&sm2, &sm2_holder_key);
	p256_holder = holder(&p256, &p256_holder_key);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	X509_free(sm2_holder);
	X509_free(p256_holder);
	EVP_PKEY_free(sm2_holder_key);
	EVP_PKEY_free(p256_holder_key);
	es_pki_family_clear(&sm2);
	es_pki_family_clear(&p256);
	return 0;
}

static STACK_OF(X509) *anchors_of(es_pki_family *f)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	sk_X509_push(sk, f->root);
	return sk;
}

/* request for cert → response by the family's OCSP responder */
static void ask(unsigned char **resp, size_t *len, es_pki_family *f, X509 *cert, status_src *src,
		unsigned char **req_out, size_t *req_len)
{
	unsigned char *req = NULL;
	size_t rlen = 0;
	es_err err = ES_ERR_INIT;

	assert_int_equal(es_ocsp_request_make(&req, &rlen, cert, f->issuing, &err), 0);
	assert_int_equal(es_ocsp_respond(resp, len, req, rlen, f->issuing, f->ocsp, f->ocsp_key,
					 status_cb, src, &err), 0);
	if (req_out != NULL) {
		*req_out = req;
		*req_len = rlen;
	} else {
		free(req);
	}
}

static void serial_of(X509 *c, char *buf, size_t cap)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL);
	char *hex = BN_bn2hex(bn);

	snprintf(buf, cap, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
}

static void p256_good_and_revoked_verify_with_openssl_ocsp(void **state)
{
	status_src src = {0};
	unsigned char *resp = NULL, *req = NULL;
	size_t len = 0, rlen = 0;
	char dir[64], out[PT_OUT_LEN];
	/* With -cert the CLI builds its own request and ignores -reqin, so
	 * the status and the nonce are checked in two runs.  -no_nonce: add no
	 * nonce of its own; the loaded request's nonce is still compared. */
	static const char *verify = "openssl ocsp -no_nonce -respin resp.der -CAfile root.pem "
				    "-verify_other issuing.pem -issuer issuing.pem -cert holder.pem";
	static const char *nonce = "openssl ocsp -no_nonce -reqin req.der -respin resp.der "
				   "-CAfile root.pem -verify_other issuing.pem";

	(void)state;
	pt_tmpdir(dir, sizeof(dir));
	pt_write_pems(dir, "root.pem", p256.root, NULL);
	pt_write_pems(dir, "issuing.pem", p256.issuing, NULL);
	pt_write_pems(dir, "holder.pem", p256_holder, NULL);
	ask(&resp, &len, &p256, p256_holder, &src, &req, &rlen);
	assert_int_equal(src.calls, 1);
	pt_write(dir, "req.der", req, rlen);
	pt_write(dir, "resp.der", resp, len);
	assert_int_equal(pt_run(out, sizeof(out), dir, verify), 0);
	assert_non_null(strstr(out, "Response verify OK"));
	assert_non_null(strstr(out, "holder.pem: good"));
	assert_int_equal(pt_run(out, sizeof(out), dir, nonce), 0);
	assert_non_null(strstr(out, "Response verify OK"));
	assert_null(strstr(out, "WARNING")); /* nonce echoed */
	assert_int_equal(pt_run(out, sizeof(out), dir, "openssl ocsp -reqin req.der -req_text"), 0);
	assert_non_null(strstr(out, "OCSP Nonce"));
	/* the answer to another request (other nonce) is refused */
	free(req);
	assert_int_equal(es_ocsp_request_make(&req, &rlen, p256_holder, p256.issuing, NULL), 0);
	pt_write(dir, "req.der", req, rlen);
	assert_int_not_equal(pt_run(out, sizeof(out), dir, nonce), 0);
	assert_non_null(strstr(out, "Nonce Verify error"));
	free(resp);

	serial_of(p256_holder, src.revoked, sizeof(src.revoked));
	ask(&resp, &len, &p256, p256_holder, &src, NULL, NULL);
	pt_write(dir, "resp.der", resp, len);
	assert_int_equal(pt_run(out, sizeof(out), dir, verify), 0);
	assert_non_null(strstr(out, "holder.pem: revoked"));
	assert_non_null(strstr(out, "Reason: keyCompromise"));
	/* a changed byte in the signature: openssl says no */
	resp[len - 3] ^= 1;
	pt_write(dir, "resp.der", resp, len);
	pt_run(out, sizeof(out), dir, verify);
	assert_non_null(strstr(out, "Response Verify Failure"));
	free(resp);
	free(req);
	pt_rmtree(dir);
}

/* Offset of the [0] certs wrapper in a basic response carrying c. */
static size_t cert_offset(const unsigned char *resp, size_t len, X509 *c)
{
	unsigned char *der = NULL;
	int n = i2d_X509(c, &der);
	const unsigned char *at = memmem(resp, len, der, (size_t)n);

	OPENSSL_free(der);
	assert_non_null(at);
	return (size_t)(at - resp) - 8; /* a0 82 LL LL 30 82 LL LL */
}

static void status_is_read_back_in_c_for_both_families(void **state)
{
	es_pki_family *fams[] = {&p256, &sm2};
	X509 *holders[] = {p256_holder, sm2_holder};
	unsigned char *resp = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;
	int revoked = 9;
	size_t certs_at;

	(void)state;
	for (int i = 0; i < 2; i++) {
		status_src src = {0};
		STACK_OF(X509) *anchors = anchors_of(fams[i]);

		ask(&resp, &len, fams[i], holders[i], &src, NULL, NULL);
		assert_int_equal(es_ocsp_response_status(&revoked, resp, len, holders[i], fams[i]->issuing,
							 anchors, &err), 0);
		assert_int_equal(revoked, 0);
		free(resp);
		serial_of(holders[i], src.revoked, sizeof(src.revoked));
		ask(&resp, &len, fams[i], holders[i], &src, NULL, NULL);
		assert_int_equal(es_ocsp_response_status(&revoked, resp, len, holders[i], fams[i]->issuing,
							 NULL, &err), 0);
		assert_int_equal(revoked, 1);
		free(resp);
		serial_of(holders[i], src.unknown, sizeof(src.unknown));
		ask(&resp, &len, fams[i], holders[i], &src, NULL, NULL);
		assert_int_equal(es_ocsp_response_status(&revoked, resp, len, holders[i], fams[i]->issuing,
							 anchors, &err), 0);
		assert_int_equal(revoked, -1);
		/* tampered: every byte of the tbsResponseData and signature counts
		 * (not the certificates after them: they are checked on their own) */
		certs_at = cert_offset(resp, len, fams[i]->ocsp);
		for (size_t j = 0; j < certs_at; j++) {
			resp[j] ^= 0x20;
			assert_true(es_ocsp_response_status(&revoked, resp, len, holders[i], fams[i]->issuing,
							    anchors, NULL) < 0);
			resp[j] ^= 0x20;
		}
		free(resp);
		sk_X509_free(anchors);
	}
}

static void sm2_response_parses_with_openssl_and_is_sm2_signed(void **state)
{
	status_src src = {0};
	unsigned char *resp = NULL;
	size_t len = 0;
	char dir[64], out[PT_OUT_LEN];

	(void)state;
	ask(&resp, &len, &sm2, sm2_holder, &src, NULL, NULL);
	pt_tmpdir(dir, sizeof(dir));
	pt_write(dir, "resp.der", resp, len);
	assert_int_equal(pt_run(out, sizeof(out), dir, "openssl ocsp -respin resp.der -resp_text -noverify"), 0);
	assert_non_null(strstr(out, "Signature Algorithm: SM2-with-SM3"));
	assert_non_null(strstr(out, "Cert Status: good"));
	assert_non_null(strstr(out, "Next Update:"));
	free(resp);
	pt_rmtree(dir);
}

static OCSP_BASICRESP *basic_of(const unsigned char *der, size_t len, int *status)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs;

	assert_non_null(r);
	*status = OCSP_response_status(r);
	bs = OCSP_response_get1_basic(r);
	OCSP_RESPONSE_free(r);
	return bs;
}

static void response_echoes_nonce_and_has_update_times(void **state)
{
	status_src src = {0};
	unsigned char *resp = NULL, *req = NULL;
	size_t len = 0, rlen = 0;
	const unsigned char *p;
	OCSP_REQUEST *rq;
	OCSP_BASICRESP *bs;
	OCSP_SINGLERESP *single;
	ASN1_GENERALIZEDTIME *thisupd, *nextupd;
	int st, days = 0, secs = 0;

	(void)state;
	ask(&resp, &len, &sm2, sm2_holder, &src, &req, &rlen);
	bs = basic_of(resp, len, &st);
	assert_int_equal(st, OCSP_RESPONSE_STATUS_SUCCESSFUL);
	p = req;
	rq = d2i_OCSP_REQUEST(NULL, &p, (long)rlen);
	assert_int_equal(OCSP_check_nonce(rq, bs), 1);
	single = OCSP_resp_get0(bs, 0);
	assert_int_equal(OCSP_single_get0_status(single, NULL, NULL, &thisupd, &nextupd),
			 V_OCSP_CERTSTATUS_GOOD);
	assert_non_null(nextupd);
	assert_int_equal(ASN1_TIME_diff(&days, &secs, thisupd, nextupd), 1);
	assert_int_equal(days * 86400 + secs, ES_OCSP_VALID_SECS);
	OCSP_REQUEST_free(rq);
	OCSP_BASICRESP_free(bs);
	free(resp);
	free(req);
}

static void foreign_bad_and_failing_requests_get_error_statuses(void **state)
{
	status_src src = {0};
	unsigned char *resp = NULL, *req = NULL, junk[] = {0x30, 0x00};
	size_t len = 0, rlen = 0;
	es_err err = ES_ERR_INIT;
	int st, revoked;

	(void)state;
	/* a certificate of the other family: not our issuer */
	assert_int_equal(es_ocsp_request_make(&req, &rlen, sm2_holder, sm2.issuing, NULL), 0);
	assert_int_equal(es_ocsp_respond(&resp, &len, req, rlen, p256.issuing, p256.ocsp, p256.ocsp_key,
					 status_cb, &src, &err), 0);
	assert_null(basic_of(resp, len, &st));
	assert_int_equal(st, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	assert_int_equal(src.calls, 0);
	assert_int_equal(es_ocsp_response_status(&revoked, resp, len, sm2_holder, sm2.issuing, NULL, &err),
			 ES_ENET);
	assert_non_null(strstr(err.msg, "unauthorized"));
	free(resp);
	/* garbage */
	assert_int_equal(es_ocsp_respond(&resp, &len, junk, sizeof(junk), p256.issuing, p256.ocsp,
					 p256.ocsp_key, status_cb, &src, &err), 0);
	assert_null(basic_of(resp, len, &st));
	assert_int_equal(st, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	free(resp);
	assert_int_equal(es_ocsp_respond(&resp, &len, req, 0, p256.issuing, p256.ocsp,
					 p256.ocsp_key, status_cb, &src, &err), 0);
	assert_null(basic_of(resp, len, &st));
	assert_int_equal(st, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	free(resp);
	free(req);
	/* the status store fails: an error, not a signed "internalError" */
	src.fail = 1;
	assert_int_equal(es_ocsp_request_make(&req, &rlen, p256_holder, p256.issuing, NULL), 0);
	assert_int_equal(es_ocsp_respond(&resp, &len, req, rlen, p256.issuing, p256.ocsp, p256.ocsp_key,
					 status_cb, &src, &err), ES_ESTORE);
	assert_null(resp);
	assert_non_null(strstr(err.msg, "look-up failed"));
	free(req);
}

static void responder_must_be_authorised(void **state)
{
	status_src src = {0};
	unsigned char *resp = NULL, *req = NULL;
	size_t len = 0, rlen = 0;
	es_err err = ES_ERR_INIT;
	int revoked = 9;

	(void)state;
	assert_int_equal(es_ocsp_request_make(&req, &rlen, p256_holder, p256.issuing, NULL), 0);
	/* the TSA has no OCSPSigning */
	assert_int_equal(es_ocsp_respond(&resp, &len, req, rlen, p256.issuing, p256.tsa, p256.tsa_key,
					 status_cb, &src, &err), ES_EINVAL);
	/* key of another certificate */
	assert_int_equal(es_ocsp_respond(&resp, &len, req, rlen, p256.issuing, p256.ocsp, p256.tsa_key,
					 status_cb, &src, &err), ES_EINVAL);
	/* the CA itself may answer */
	assert_int_equal(es_ocsp_respond(&resp, &len, req, rlen, p256.issuing, p256.issuing,
					 p256.issuing_key, status_cb, &src, &err), 0);
	assert_int_equal(es_ocsp_response_status(&revoked, resp, len, p256_holder, p256.issuing, NULL,
						 &err), 0);
	assert_int_equal(revoked, 0);
	free(resp);
	free(req);
	assert_int_equal(es_ocsp_request_make(&req, &rlen, p256_holder, sm2.issuing, &err), ES_EINVAL);
}

/* A response signed by an unrelated OCSP certificate, or checked against
 * the wrong anchors, is refused. */
static void untrusted_or_foreign_responses_are_refused(void **state)
{
	es_pki_family other;
	status_src src = {0};
	unsigned char *resp = NULL, *req = NULL;
	size_t len = 0, rlen = 0;
	es_err err = ES_ERR_INIT;
	STACK_OF(X509) *wrong = anchors_of(&sm2);
	int revoked;

	(void)state;
	assert_int_equal(es_pki_family_create(&other, ES_ALG_P256, "other", NULL, NULL), 0);
	ask(&resp, &len, &p256, p256_holder, &src, &req, &rlen);
	assert_int_equal(es_ocsp_response_status(&revoked, resp, len, p256_holder, p256.issuing, wrong,
						 &err), ES_EVERIFY);
	assert_non_null(strstr(err.msg, "anchor"));
	/* asked about another CA's certificate */
	assert_int_equal(es_ocsp_response_status(&revoked, resp, len, other.ocsp, other.issuing, NULL,
						 &err), ES_EVERIFY);
	free(resp);
	/* another CA's responder answering for our issuer's CertID */
	assert_int_equal(es_ocsp_respond(&resp, &len, req, rlen, other.issuing, other.ocsp, other.ocsp_key,
					 status_cb, &src, &err), 0);
	assert_int_equal(es_ocsp_response_status(&revoked, resp, len, p256_holder, p256.issuing, NULL,
						 &err), ES_ENET); /* unauthorized */
	free(resp);
	free(req);
	sk_X509_free(wrong);
	es_pki_family_clear(&other);
}

/* A response past its nextUpdate is not used. */
static void stale_response_is_refused(void **state)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, p256_holder, p256.issuing);
	ASN1_TIME *t1 = ASN1_TIME_set(NULL, time(NULL) - 3 * 86400);
	ASN1_TIME *t2 = ASN1_TIME_set(NULL, time(NULL) - 2 * 86400);
	OCSP_RESPONSE *r;
	unsigned char *der = NULL;
	int len, revoked;
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_non_null(OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL, t1, t2));
	assert_int_equal(OCSP_basic_sign(bs, p256.ocsp, p256.ocsp_key, EVP_sha256(), NULL, 0), 1);
	r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	len = i2d_OCSP_RESPONSE(r, &der);
	assert_int_equal(es_ocsp_response_status(&revoked, der, (size_t)len, p256_holder, p256.issuing,
						 NULL, &err), ES_EVERIFY);
	assert_non_null(strstr(err.msg, "current"));
	OPENSSL_free(der);
	OCSP_RESPONSE_free(r);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(p256_good_and_revoked_verify_with_openssl_ocsp),
		cmocka_unit_test(status_is_read_back_in_c_for_both_families),
		cmocka_unit_test(sm2_response_parses_with_openssl_and_is_sm2_signed),
		cmocka_unit_test(response_echoes_nonce_and_has_update_times),
		cmocka_unit_test(foreign_bad_and_failing_requests_get_error_statuses),
		cmocka_unit_test(responder_must_be_authorised),
		cmocka_unit_test(untrusted_or_foreign_responses_are_refused),
		cmocka_unit_test(stale_response_is_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
