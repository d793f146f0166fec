/* OCSP responder and client (RFC 6960), SM2-aware.
 *
 * OCSP_basic_sign_ctx() takes our SM2 signing context, but OpenSSL 3.0
 * verifies basic responses without an SM2 id: SM2-signed responses are
 * checked here over DER(tbsResponseData) instead.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include "eseal/pki.h"
#include "sigctx.h"

#define OCSP_REQ_MAX_LEN (64 * 1024)
#define SERIAL_HEX_CAP 64

static int resp_der(unsigned char **out, size_t *len, OCSP_RESPONSE *r, es_err *err)
{
	unsigned char *p = NULL;
	int n = r != NULL ? i2d_OCSP_RESPONSE(r, &p) : -1;
	int rc = es_der_dup(out, len, p, n, err);

	OPENSSL_free(p);
	return rc;
}

/* An error response (no basic response, RFC 6960 4.2.1). */
static int status_only(unsigned char **out, size_t *len, int status, es_err *err)
{
	OCSP_RESPONSE *r = OCSP_response_create(status, NULL);
	int rc = resp_der(out, len, r, err);

	OCSP_RESPONSE_free(r);
	return rc;
}

/* The responder speaks for issuer: it is the issuer, or a certificate the
 * issuer gave OCSPSigning (RFC 6960 4.2.2.2). */
static int responder_authorised(X509 *responder, X509 *issuer)
{
	if (X509_cmp(responder, issuer) == 0)
		return 1;
	return X509_check_issued(issuer, responder) == X509_V_OK &&
	       (X509_get_extension_flags(responder) & EXFLAG_XKUSAGE) != 0 &&
	       (X509_get_extended_key_usage(responder) & XKU_OCSP_SIGN) != 0;
}

static int cid_is_for(OCSP_CERTID *cid, X509 *issuer)
{
	ASN1_OBJECT *md_oid = NULL;
	const EVP_MD *md;
	OCSP_CERTID *ca;
	int same;

	if (OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, cid) != 1)
		return 0;
	md = EVP_get_digestbyobj(md_oid);
	if (md == NULL)
		return 0;
	ca = OCSP_cert_to_id(md, NULL, issuer);
	same = ca != NULL && OCSP_id_issuer_cmp(ca, cid) == 0;
	OCSP_CERTID_free(ca);
	return same;
}

static void serial_hex_of(char *buf, size_t cap, OCSP_CERTID *cid)
{
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;

	buf[0] = '\0';
	if (OCSP_id_get0_info(NULL, NULL, NULL, &serial, cid) == 1)
		bn = ASN1_INTEGER_to_BN(serial, NULL);
	if (bn != NULL)
		hex = BN_bn2hex(bn); /* upper case, as es_cert_serial_hex() */
	if (hex != NULL)
		snprintf(buf, cap, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
}

/* One SingleResponse.  Returns 1 when the issuer is ours, 0 when not, <0
 * when the status look-up failed. */
static int single_add(OCSP_BASICRESP *bs, OCSP_CERTID *cid, X509 *issuer,
		      es_cert_status_fn status, void *ctx, ASN1_TIME *thisupd, ASN1_TIME *nextupd)
{
	char serial[SERIAL_HEX_CAP];
	int revoked = 0, reason = 0, rc, st = V_OCSP_CERTSTATUS_UNKNOWN, mine = cid_is_for(cid, issuer);
	time_t when = 0;
	ASN1_TIME *revtime = NULL;
	OCSP_SINGLERESP *sr;

	if (mine) {
		serial_hex_of(serial, sizeof(serial), cid);
		rc = serial[0] != '\0' ? status(ctx, serial, &revoked, &when, &reason) : ES_ENOTFOUND;
		if (rc < 0 && rc != ES_ENOTFOUND)
			return rc;
		if (rc == 0)
			st = revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD;
	}
	if (st == V_OCSP_CERTSTATUS_REVOKED) {
		revtime = ASN1_TIME_set(NULL, when);
		if (revtime == NULL)
			return ES_ENOMEM;
	}
	/* reason 0 (unspecified) is left out, as in CRLs (RFC 5280 5.3.1) */
	sr = OCSP_basic_add1_status(bs, cid, st, reason > 0 ? reason : OCSP_REVOKED_STATUS_NOSTATUS,
				    revtime, thisupd, nextupd);
	ASN1_TIME_free(revtime);
	return sr == NULL ? ES_ECRYPTO : mine;
}

static int basic_sign(OCSP_BASICRESP *bs, X509 *responder, EVP_PKEY *key, es_err *err)
{
	EVP_MD_CTX *mctx = NULL;
	int rc;

	if ((rc = es_md_ctx_new(&mctx, key, 1, err)) < 0)
		return rc;
	/* byKey responder id (RFC 5019 2.2.3); the responder certificate goes
	 * along so clients can check its authorisation. */
	if (OCSP_basic_sign_ctx(bs, responder, mctx, NULL, OCSP_RESPID_KEY) != 1)
		rc = es_err_ssl(err, ES_ECRYPTO, "OCSP response signing failed");
	es_md_ctx_free(mctx);
	return rc;
}

static int basic_sig_check(OCSP_BASICRESP *bs, X509 *signer, es_err *err);

static int respond_basic(unsigned char **resp, size_t *len, OCSP_REQUEST *req, X509 *issuer,
			 X509 *responder, EVP_PKEY *key, es_cert_status_fn status, void *ctx,
			 es_err *err)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *r = NULL;
	time_t now = time(NULL);
	ASN1_TIME *thisupd = ASN1_TIME_set(NULL, now);
	ASN1_TIME *nextupd = ASN1_TIME_set(NULL, now + ES_OCSP_VALID_SECS);
	int i, n = OCSP_request_onereq_count(req), mine = 0, one = 0, rc = 0;

	if (bs == NULL || thisupd == NULL || nextupd == NULL) {
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n && one >= 0; i++) {
		one = single_add(bs, OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i)), issuer,
				 status, ctx, thisupd, nextupd);
		mine += one > 0;
	}
	if (one < 0) {
		/* Fail loudly rather than hand out "internalError": a signer
		 * embedding the response must not carry a useless one. */
		rc = es_err_set(err, one, "certificate status look-up failed (%s); no OCSP response made",
				es_strerror(one));
		goto out;
	}
	if (mine == 0) {
		rc = status_only(resp, len, OCSP_RESPONSE_STATUS_UNAUTHORIZED, err);
		goto out;
	}
	if (OCSP_copy_nonce(bs, req) <= 0) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot echo the OCSP nonce");
		goto out;
	}
	if ((rc = basic_sign(bs, responder, key, err)) < 0)
		goto out;
	if (basic_sig_check(bs, responder, err) < 0) {
		rc = es_err_set(err, ES_ECRYPTO, "new OCSP response does not verify; not sent");
		goto out;
	}
	r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	rc = resp_der(resp, len, r, err);
out:
	OCSP_RESPONSE_free(r);
	OCSP_BASICRESP_free(bs);
	ASN1_TIME_free(thisupd);
	ASN1_TIME_free(nextupd);
	return rc;
}

int es_ocsp_respond(unsigned char **resp, size_t *len, const unsigned char *req,
		    size_t reqlen, X509 *issuer, X509 *responder, EVP_PKEY *responder_key,
		    es_cert_status_fn status, void *ctx, es_err *err)
{
	const unsigned char *p = req;
	OCSP_REQUEST *r = NULL;
	int rc;

	*resp = NULL;
	*len = 0;
	if (issuer == NULL || responder == NULL || responder_key == NULL || status == NULL)
		return es_err_set(err, ES_EINVAL, "an OCSP responder needs issuer, responder, key and status source");
	if (!responder_authorised(responder, issuer))
		return es_err_set(err, ES_EINVAL,
				  "OCSP responder certificate is neither the CA nor issued by it for OCSPSigning");
	if (X509_check_private_key(responder, responder_key) != 1) {
		ERR_clear_error();
		return es_err_set(err, ES_EINVAL, "OCSP key does not belong to the responder certificate");
	}
	if (reqlen > 0 && reqlen <= OCSP_REQ_MAX_LEN)
		r = d2i_OCSP_REQUEST(NULL, &p, (long)reqlen);
	if (r == NULL || p != req + reqlen || OCSP_request_onereq_count(r) <= 0) {
		ERR_clear_error();
		rc = status_only(resp, len, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, err);
	} else {
		rc = respond_basic(resp, len, r, issuer, responder, responder_key, status, ctx, err);
	}
	OCSP_REQUEST_free(r);
	return rc;
}

int es_ocsp_request_make(unsigned char **req, size_t *len, X509 *cert, X509 *issuer,
			 es_err *err)
{
	OCSP_REQUEST *r = OCSP_REQUEST_new();
	OCSP_CERTID *id = NULL;
	unsigned char *p = NULL;
	int n = -1, rc;

	*req = NULL;
	*len = 0;
	if (r == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	if (X509_check_issued(issuer, cert) != X509_V_OK) {
		OCSP_REQUEST_free(r);
		return es_err_set(err, ES_EINVAL, "certificate was not issued by the given issuer");
	}
	id = OCSP_cert_to_id(NULL, cert, issuer); /* SHA-1 CertID, RFC 5019 2.1.1 */
	if (id != NULL && OCSP_request_add0_id(r, id) != NULL)
		id = NULL;
	if (id == NULL && OCSP_request_add1_nonce(r, NULL, -1) == 1)
		n = i2d_OCSP_REQUEST(r, &p);
	rc = es_der_dup(req, len, p, n, err);
	OPENSSL_free(p);
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(r);
	return rc;
}

/* ---- client: reading a response ---- */

static int basic_sig_check(OCSP_BASICRESP *bs, X509 *signer, es_err *err)
{
	STACK_OF(X509) *one;
	unsigned char *tbs = NULL;
	const ASN1_OCTET_STRING *sig;
	int n, ok, rc;

	if (OBJ_obj2nid(OCSP_resp_get0_tbs_sigalg(bs)->algorithm) != NID_SM2_with_SM3) {
		/* NOVERIFY: signature only; trust is decided by the caller. */
		one = sk_X509_new_null();
		ok = one != NULL && sk_X509_push(one, signer) > 0 &&
		     OCSP_basic_verify(bs, one, NULL, OCSP_NOVERIFY | OCSP_NOINTERN) > 0;
		sk_X509_free(one);
		return ok ? 0 : es_err_ssl(err, ES_EVERIFY, "OCSP response signature does not verify");
	}
	sig = OCSP_resp_get0_signature(bs);
	n = i2d_OCSP_RESPDATA((OCSP_RESPDATA *)OCSP_resp_get0_respdata(bs), &tbs);
	if (n <= 0)
		return es_err_ssl(err, ES_EFORMAT, "cannot encode the OCSP response data");
	rc = es_sig_verify_tbs(X509_get0_pubkey(signer), tbs, (size_t)n, sig, err);
	OPENSSL_free(tbs);
	return rc < 0 ? es_err_set(err, ES_EVERIFY, "OCSP response signature does not verify") : 0;
}

/* A delegated responder: issued by issuer (signature checked, SM2-aware),
 * OCSPSigning, valid now. */
static int delegate_check(X509 *signer, X509 *issuer, es_err *err)
{
	if (!responder_authorised(signer, issuer))
		return es_err_set(err, ES_EVERIFY, "OCSP response signed by a certificate not authorised by the CA");
	if (es_cert_check_signature(signer, issuer, err) < 0)
		return es_err_set(err, ES_EVERIFY, "OCSP responder certificate does not verify under the CA");
	if (X509_cmp_time(X509_get0_notBefore(signer), NULL) > 0 ||
	    X509_cmp_time(X509_get0_notAfter(signer), NULL) < 0)
		return es_err_set(err, ES_EVERIFY, "OCSP responder certificate is not valid now");
	return 0;
}

static int issuer_anchored(X509 *issuer, STACK_OF(X509) *anchors, es_err *err)
{
	es_chain_status st = ES_CHAIN_UNTRUSTED;
	int rc;

	if (anchors == NULL)
		return 0; /* the caller vouches for issuer */
	if ((rc = es_chain_check(&st, issuer, NULL, anchors, 0, err)) < 0)
		return rc;
	if (st != ES_CHAIN_OK)
		return es_err_set(err, ES_EVERIFY, "the CA of the OCSP response does not chain to a trust anchor");
	return 0;
}

static int signer_check(OCSP_BASICRESP *bs, X509 *issuer, STACK_OF(X509) *anchors, es_err *err)
{
	STACK_OF(X509) *extra = sk_X509_new_null();
	X509 *signer = NULL;
	int rc;

	if (extra == NULL || sk_X509_push(extra, issuer) <= 0) {
		sk_X509_free(extra);
		return es_err_set(err, ES_ENOMEM, "out of memory");
	}
	if (OCSP_resp_get0_signer(bs, &signer, extra) != 1)
		rc = es_err_set(err, ES_EVERIFY, "OCSP response signer unknown (certificate not included)");
	else if (X509_cmp(signer, issuer) != 0 && (rc = delegate_check(signer, issuer, err)) < 0)
		;
	else if ((rc = basic_sig_check(bs, signer, err)) == 0)
		rc = issuer_anchored(issuer, anchors, err);
	sk_X509_free(extra);
	ERR_clear_error();
	return rc;
}

/* Step into (enter != 0) or over the next TLV, which must have tag/class. */
static int der_step(const unsigned char **p, const unsigned char *end, int tag, int cls, int enter)
{
	const unsigned char *q = *p;
	long n = 0;
	int t = -1, c = -1, r = ASN1_get_object(&q, &n, &t, &c, end - *p);

	if ((r & 0x80) != 0 || r == 0x21 || t != tag || c != cls)
		return -1;
	*p = enter ? q : q + n;
	return 0;
}

/* OpenSSL re-encodes tbsResponseData before checking the signature and its
 * decoder takes some BER (e.g. a SEQUENCE OF tagged 0x10), so a changed
 * byte can still "verify".  RFC 6960 4.2.1 wants DER: the received bytes
 * must be exactly what re-encoding gives. */
static int tbs_is_der(OCSP_BASICRESP *bs, const unsigned char *resp, size_t len, es_err *err)
{
	const unsigned char *p = resp, *end = resp + len, *start;
	unsigned char *again = NULL;
	int n, ok;

	ok = der_step(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1) == 0 &&
	     der_step(&p, end, V_ASN1_ENUMERATED, V_ASN1_UNIVERSAL, 0) == 0 &&
	     der_step(&p, end, 0, V_ASN1_CONTEXT_SPECIFIC, 1) == 0 &&
	     der_step(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1) == 0 &&
	     der_step(&p, end, V_ASN1_OBJECT, V_ASN1_UNIVERSAL, 0) == 0 &&
	     der_step(&p, end, V_ASN1_OCTET_STRING, V_ASN1_UNIVERSAL, 1) == 0 &&
	     der_step(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1) == 0;
	start = p;
	ok = ok && der_step(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 0) == 0;
	n = ok ? i2d_OCSP_RESPDATA((OCSP_RESPDATA *)OCSP_resp_get0_respdata(bs), &again) : -1;
	ok = ok && n == p - start && memcmp(again, start, (size_t)n) == 0;
	OPENSSL_free(again);
	ERR_clear_error();
	return ok ? 0 : es_err_set(err, ES_EFORMAT, "OCSP response data is not DER");
}

static int single_find(int *revoked, OCSP_BASICRESP *bs, X509 *cert, X509 *issuer, es_err *err)
{
	const EVP_MD *mds[] = {EVP_sha1(), EVP_sha256(), EVP_sm3()};
	ASN1_GENERALIZEDTIME *thisupd = NULL, *nextupd = NULL, *rev = NULL;
	int status = -1, reason = -1, found = 0;
	size_t i;

	for (i = 0; !found && i < sizeof(mds) / sizeof(mds[0]); i++) {
		OCSP_CERTID *id = OCSP_cert_to_id(mds[i], cert, issuer);

		found = id != NULL && OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd,
							    &nextupd) == 1;
		OCSP_CERTID_free(id);
	}
	if (!found)
		return es_err_set(err, ES_EVERIFY, "OCSP response does not cover this certificate");
	if (OCSP_check_validity(thisupd, nextupd, ES_OCSP_SKEW_SECS, -1) != 1) {
		ERR_clear_error();
		return es_err_set(err, ES_EVERIFY, "OCSP response is not current (thisUpdate/nextUpdate)");
	}
	*revoked = status == V_OCSP_CERTSTATUS_GOOD ? 0 : status == V_OCSP_CERTSTATUS_REVOKED ? 1 : -1;
	return 0;
}

int es_ocsp_response_status(int *revoked, const unsigned char *resp, size_t len,
			    X509 *cert, X509 *issuer, STACK_OF(X509) *anchors, es_err *err)
{
	const unsigned char *p = resp;
	OCSP_RESPONSE *r = NULL;
	OCSP_BASICRESP *bs = NULL;
	int st, rc;

	*revoked = -1;
	if (len > 0 && len <= LONG_MAX)
		r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	if (r == NULL || p != resp + len) {
		OCSP_RESPONSE_free(r);
		return es_err_ssl(err, ES_EFORMAT, "not an OCSP response");
	}
	st = OCSP_response_status(r);
	if (st != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		rc = es_err_set(err, ES_ENET, "OCSP responder answered \"%s\"", OCSP_response_status_str(st));
		goto out;
	}
	bs = OCSP_response_get1_basic(r);
	if (bs == NULL) {
		rc = es_err_ssl(err, ES_EFORMAT, "OCSP response has no basic response");
		goto out;
	}
	if ((rc = tbs_is_der(bs, resp, len, err)) == 0 && (rc = signer_check(bs, issuer, anchors, err)) == 0)
		rc = single_find(revoked, bs, cert, issuer, err);
out:
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	return rc;
}
