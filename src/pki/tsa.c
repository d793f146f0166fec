/* RFC 3161 time-stamping: TSA side (stamp, respond), client side (fetch),
 * and token checking.
 *
 * P-256 TSAs use OpenSSL's TS_RESP_CTX.  OpenSSL 3.0 cannot sign a PKCS#7
 * SignerInfo with an SM2 key ("signing not supported for this key type"),
 * so for SM2 the request checks are the same but the TSTInfo is built here
 * and signed through the CMS API, whose SignerInfo exposes the EVP_PKEY_CTX
 * that must carry the SM2 id.  OpenSSL's own verifiers (openssl ts -verify,
 * TS_RESP_verify_*) cannot check SM2 tokens for the same reason: use
 * es_tsa_token_verify().
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include "eseal/pki.h"
#include "curl_shim.h"
#include "sigctx.h"
#include "util/util.h"

#define TSA_ACCURACY_SECS 1
#define TSA_REQ_MAX_LEN (64 * 1024)
#define FETCH_TIMEOUT_SECS 15L
#define FETCH_CONNECT_TIMEOUT_SECS 10L
#define FETCH_MAX_LEN (1024 * 1024)
#define FETCH_NONCE_LEN 8
#define HTTP_OK 200

/* Imprint algorithms a TSA accepts (RFC 3161 2.4.1 leaves the set to us). */
static int md_accepted(int nid)
{
	return nid == NID_sha256 || nid == NID_sm3 || nid == NID_sha384 || nid == NID_sha512;
}

static int imprint_check(const unsigned char *digest, size_t dlen, int md_nid, es_err *err)
{
	const EVP_MD *md = EVP_get_digestbynid(md_nid);

	if (!md_accepted(md_nid) || md == NULL)
		return es_err_set(err, ES_EINVAL, "unsupported timestamp digest; use SHA-256 or SM3");
	if (digest == NULL || dlen != (size_t)EVP_MD_get_size(md))
		return es_err_set(err, ES_EINVAL, "digest length %zu does not fit %s", dlen,
				  OBJ_nid2sn(md_nid));
	return 0;
}

/* ---- building a TimeStampReq ---- */

static int req_make(TS_REQ **out, const unsigned char *digest, size_t dlen, int md_nid,
		    const ASN1_INTEGER *nonce, es_err *err)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *imp = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	int ok;

	*out = NULL;
	ok = req != NULL && imp != NULL && alg != NULL && TS_REQ_set_version(req, 1) == 1 &&
	     X509_ALGOR_set0(alg, OBJ_nid2obj(md_nid), V_ASN1_NULL, NULL) == 1 &&
	     TS_MSG_IMPRINT_set_algo(imp, alg) == 1 &&
	     TS_MSG_IMPRINT_set_msg(imp, (unsigned char *)digest, (int)dlen) == 1 &&
	     TS_REQ_set_msg_imprint(req, imp) == 1 && TS_REQ_set_cert_req(req, 1) == 1 &&
	     (nonce == NULL || TS_REQ_set_nonce(req, nonce) == 1);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(imp);
	if (!ok) {
		TS_REQ_free(req);
		return es_err_ssl(err, ES_ECRYPTO, "cannot build a timestamp request");
	}
	*out = req;
	return 0;
}

static int req_to_der(unsigned char **der, size_t *len, TS_REQ *req, es_err *err)
{
	unsigned char *p = NULL;
	int n = i2d_TS_REQ(req, &p);
	int rc = es_der_dup(der, len, p, n, err);

	OPENSSL_free(p);
	return rc;
}

/* ---- the TSA: P-256 through TS_RESP_CTX ---- */

static ASN1_INTEGER *serial_cb(TS_RESP_CTX *ctx, void *data)
{
	ASN1_INTEGER *serial = NULL;

	(void)data;
	/* RFC 3161 2.4.2: unique per TSA.  OpenSSL's default callback says 1. */
	if (es_serial_random(&serial, NULL) < 0) {
		TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "Cannot make a serial number.");
		TS_RESP_CTX_add_failure_info(ctx, TS_INFO_ADD_INFO_NOT_AVAILABLE);
	}
	return serial;
}

static int rctx_new(TS_RESP_CTX **out, X509 *cert, EVP_PKEY *key, STACK_OF(X509) *chain,
		    es_err *err)
{
	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	ASN1_OBJECT *policy = OBJ_txt2obj(ES_TSA_POLICY_OID, 1);
	int ok;

	*out = NULL;
	if (ctx == NULL || policy == NULL) {
		TS_RESP_CTX_free(ctx);
		ASN1_OBJECT_free(policy);
		return es_err_set(err, ES_ENOMEM, "out of memory");
	}
	if (TS_RESP_CTX_set_signer_cert(ctx, cert) != 1) {
		TS_RESP_CTX_free(ctx);
		ASN1_OBJECT_free(policy);
		return es_err_ssl(err, ES_EINVAL,
				  "not a TSA certificate (needs critical extendedKeyUsage timeStamping)");
	}
	ok = TS_RESP_CTX_set_signer_key(ctx, key) == 1 &&
	     TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()) == 1 &&
	     TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256()) == 1 && /* ESS v2 */
	     TS_RESP_CTX_set_def_policy(ctx, policy) == 1 &&
	     (chain == NULL || TS_RESP_CTX_set_certs(ctx, chain) == 1) &&
	     TS_RESP_CTX_add_md(ctx, EVP_sha256()) == 1 && TS_RESP_CTX_add_md(ctx, EVP_sm3()) == 1 &&
	     TS_RESP_CTX_add_md(ctx, EVP_sha384()) == 1 && TS_RESP_CTX_add_md(ctx, EVP_sha512()) == 1 &&
	     TS_RESP_CTX_set_accuracy(ctx, TSA_ACCURACY_SECS, 0, 0) == 1;
	ASN1_OBJECT_free(policy);
	if (!ok) {
		TS_RESP_CTX_free(ctx);
		return es_err_ssl(err, ES_ECRYPTO, "cannot set up the TSA");
	}
	TS_RESP_CTX_add_flags(ctx, TS_TSA_NAME);
	TS_RESP_CTX_set_serial_cb(ctx, serial_cb, NULL);
	*out = ctx;
	return 0;
}

/* TS_RESP_create_response() answers bad requests itself (rejection with
 * failInfo) and returns NULL only on internal failure. */
static int openssl_respond(TS_RESP **out, const unsigned char *der, size_t len, X509 *cert,
			   EVP_PKEY *key, STACK_OF(X509) *chain, es_err *err)
{
	TS_RESP_CTX *ctx = NULL;
	BIO *in;
	int rc;

	*out = NULL;
	if ((rc = rctx_new(&ctx, cert, key, chain, err)) < 0)
		return rc;
	in = BIO_new_mem_buf(der, (int)len);
	if (in != NULL)
		*out = TS_RESP_create_response(ctx, in);
	if (*out == NULL)
		rc = es_err_ssl(err, ES_ECRYPTO, "TSA cannot answer");
	BIO_free(in);
	TS_RESP_CTX_free(ctx);
	return rc;
}

/* ---- the TSA: SM2 through CMS ---- */

/* The same acceptance rules as TS_RESP_CTX (ts_RESP_check_request,
 * ts_RESP_get_policy, extensions).  1 when OpenSSL would sign. */
static int sm2_req_acceptable(TS_REQ *req)
{
	TS_MSG_IMPRINT *imp = TS_REQ_get_msg_imprint(req);
	X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(imp);
	ASN1_STRING *msg = TS_MSG_IMPRINT_get_msg(imp);
	ASN1_OBJECT *policy = TS_REQ_get_policy_id(req);
	const ASN1_OBJECT *oid;
	const void *pval;
	int ptype, nid;
	const EVP_MD *md;
	char buf[64];

	if (TS_REQ_get_version(req) != 1 || TS_REQ_get_ext_count(req) != 0)
		return 0;
	X509_ALGOR_get0(&oid, &ptype, &pval, alg);
	nid = OBJ_obj2nid(oid);
	md = EVP_get_digestbynid(nid);
	if (!md_accepted(nid) || md == NULL || (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL) ||
	    ASN1_STRING_length(msg) != EVP_MD_get_size(md))
		return 0;
	if (policy != NULL && (OBJ_obj2txt(buf, sizeof(buf), policy, 1) <= 0 ||
			       strcmp(buf, ES_TSA_POLICY_OID) != 0))
		return 0;
	return 1;
}

static int tst_build(TS_TST_INFO **out, TS_REQ *req, X509 *cert, es_err *err)
{
	TS_TST_INFO *tst = TS_TST_INFO_new();
	ASN1_OBJECT *policy = OBJ_txt2obj(ES_TSA_POLICY_OID, 1);
	ASN1_INTEGER *serial = NULL, *secs = ASN1_INTEGER_new();
	ASN1_GENERALIZEDTIME *now = ASN1_GENERALIZEDTIME_set(NULL, time(NULL));
	TS_ACCURACY *acc = TS_ACCURACY_new();
	GENERAL_NAME *tsa = GENERAL_NAME_new();
	X509_NAME *subject = X509_NAME_dup(X509_get_subject_name(cert));
	int rc, ok;

	*out = NULL;
	rc = es_serial_random(&serial, err);
	ok = rc == 0 && tst != NULL && policy != NULL && secs != NULL && now != NULL &&
	     acc != NULL && tsa != NULL && subject != NULL &&
	     TS_TST_INFO_set_version(tst, 1) == 1 && TS_TST_INFO_set_policy_id(tst, policy) == 1 &&
	     TS_TST_INFO_set_msg_imprint(tst, TS_REQ_get_msg_imprint(req)) == 1 &&
	     TS_TST_INFO_set_serial(tst, serial) == 1 && TS_TST_INFO_set_time(tst, now) == 1 &&
	     ASN1_INTEGER_set(secs, TSA_ACCURACY_SECS) == 1 && TS_ACCURACY_set_seconds(acc, secs) == 1 &&
	     TS_TST_INFO_set_accuracy(tst, acc) == 1 &&
	     (TS_REQ_get_nonce(req) == NULL || TS_TST_INFO_set_nonce(tst, TS_REQ_get_nonce(req)) == 1);
	if (ok) {
		GENERAL_NAME_set0_value(tsa, GEN_DIRNAME, subject);
		subject = NULL;
		ok = TS_TST_INFO_set_tsa(tst, tsa) == 1;
	}
	if (ok) {
		*out = tst;
		tst = NULL;
	} else if (rc == 0) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot build TSTInfo");
	}
	TS_TST_INFO_free(tst);
	ASN1_OBJECT_free(policy);
	ASN1_INTEGER_free(serial);
	ASN1_INTEGER_free(secs);
	ASN1_GENERALIZEDTIME_free(now);
	TS_ACCURACY_free(acc);
	GENERAL_NAME_free(tsa);
	X509_NAME_free(subject);
	return rc;
}

/* ESS signing-certificate-v2 (RFC 5035), SHA-256 cert hash. */
static int ess_v2_add(CMS_SignerInfo *si, X509 *cert)
{
	ESS_SIGNING_CERT_V2 *ss = OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), cert, NULL, 0);
	unsigned char *der = NULL;
	int n = ss != NULL ? i2d_ESS_SIGNING_CERT_V2(ss, &der) : -1;
	int ok = n > 0 && CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2,
						       V_ASN1_SEQUENCE, der, n) == 1;

	OPENSSL_free(der);
	ESS_SIGNING_CERT_V2_free(ss);
	return ok ? 0 : -1;
}

static int sm2_signer_add(CMS_ContentInfo *cms, X509 *cert, EVP_PKEY *key, int flags)
{
	CMS_SignerInfo *si;
	X509_ALGOR *sigalg = NULL;

	/* CMS_KEY_PARAM: set up the pkey ctx now so the id can go on it. */
	si = CMS_add1_signer(cms, cert, key, EVP_sm3(), flags | CMS_KEY_PARAM);
	if (si == NULL ||
	    EVP_PKEY_CTX_set1_id(CMS_SignerInfo_get0_pkey_ctx(si), ES_SM2_DEFAULT_ID,
				 strlen(ES_SM2_DEFAULT_ID)) <= 0)
		return -1;
	/* OpenSSL leaves signatureAlgorithm empty for SM2: SM2-with-SM3, as in
	 * X.509 and GM/T 0010 implementations. */
	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &sigalg);
	if (sigalg == NULL ||
	    X509_ALGOR_set0(sigalg, OBJ_nid2obj(NID_SM2_with_SM3), V_ASN1_UNDEF, NULL) != 1)
		return -1;
	return ess_v2_add(si, cert);
}

/* The certificates go into the PKCS7 after the round trip below, not into
 * the CMS: parsing them back (d2i_PKCS7) would cost an OpenSSL 3.0 key
 * decoder per certificate.  They are outside the signature (RFC 5652 5.1). */
static int certs_add(PKCS7 *p7, X509 *cert, STACK_OF(X509) *chain)
{
	int ok = PKCS7_add_certificate(p7, cert) == 1;

	for (int i = 0; ok && chain != NULL && i < sk_X509_num(chain); i++)
		ok = X509_cmp(sk_X509_value(chain, i), cert) == 0 ||
		     PKCS7_add_certificate(p7, sk_X509_value(chain, i)) == 1;
	return ok;
}

static int sm2_token_sign(PKCS7 **out, TS_TST_INFO *tst, X509 *cert, EVP_PKEY *key,
			  STACK_OF(X509) *chain, int with_certs, es_err *err)
{
	int flags = CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOCERTS;
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	unsigned char *tder = NULL, *cder = NULL;
	const unsigned char *p;
	BIO *content = NULL;
	int tlen = -1, clen = -1, ok;

	*out = NULL;
	ok = cms != NULL && CMS_set1_eContentType(cms, OBJ_nid2obj(NID_id_smime_ct_TSTInfo)) == 1 &&
	     sm2_signer_add(cms, cert, key, flags & ~CMS_PARTIAL) == 0;
	if (ok)
		tlen = i2d_TS_TST_INFO(tst, &tder);
	if (tlen > 0)
		content = BIO_new_mem_buf(tder, tlen);
	if (content != NULL && CMS_final(cms, content, NULL, CMS_BINARY) == 1)
		clen = i2d_CMS_ContentInfo(cms, &cder);
	/* Hand back a PKCS7, the type TS_RESP carries the token in. */
	p = cder;
	if (clen > 0)
		*out = d2i_PKCS7(NULL, &p, clen);
	ok = *out != NULL && p == cder + clen && (!with_certs || certs_add(*out, cert, chain));
	if (!ok) {
		PKCS7_free(*out);
		*out = NULL;
	}
	BIO_free(content);
	OPENSSL_free(tder);
	OPENSSL_free(cder);
	CMS_ContentInfo_free(cms);
	return ok ? 0 : es_err_ssl(err, ES_ECRYPTO, "SM2 timestamp signing failed");
}

static int granted_resp(TS_RESP **out, PKCS7 *token, TS_TST_INFO *tst, es_err *err)
{
	TS_RESP *resp = TS_RESP_new();
	TS_STATUS_INFO *st = TS_STATUS_INFO_new();
	int ok = resp != NULL && st != NULL && TS_STATUS_INFO_set_status(st, TS_STATUS_GRANTED) == 1 &&
		 TS_RESP_set_status_info(resp, st) == 1;

	TS_STATUS_INFO_free(st);
	if (!ok) {
		TS_RESP_free(resp);
		PKCS7_free(token);
		TS_TST_INFO_free(tst);
		return es_err_ssl(err, ES_ECRYPTO, "cannot build a timestamp response");
	}
	TS_RESP_set_tst_info(resp, token, tst); /* takes both */
	*out = resp;
	return 0;
}

static int sm2_respond(TS_RESP **out, const unsigned char *der, size_t len, X509 *cert,
		       EVP_PKEY *key, STACK_OF(X509) *chain, es_err *err)
{
	const unsigned char *p = der;
	TS_REQ *req = d2i_TS_REQ(NULL, &p, (long)len);
	TS_TST_INFO *tst = NULL;
	PKCS7 *token = NULL;
	int rc;

	*out = NULL;
	if (X509_check_purpose(cert, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1) {
		TS_REQ_free(req);
		return es_err_set(err, ES_EINVAL,
				  "not a TSA certificate (needs critical extendedKeyUsage timeStamping)");
	}
	/* A request OpenSSL would refuse: let it write the refusal (it fails
	 * before signing, so the SM2 key is never used there). */
	if (req == NULL || p != der + len || !sm2_req_acceptable(req)) {
		TS_REQ_free(req);
		ERR_clear_error();
		return openssl_respond(out, der, len, cert, key, chain, err);
	}
	if ((rc = tst_build(&tst, req, cert, err)) == 0 &&
	    (rc = sm2_token_sign(&token, tst, cert, key, chain, TS_REQ_get_cert_req(req), err)) == 0) {
		rc = granted_resp(out, token, tst, err);
		tst = NULL;
	}
	TS_TST_INFO_free(tst);
	TS_REQ_free(req);
	return rc;
}

/* ---- shared TSA entry ---- */

static int resp_granted(TS_RESP *resp)
{
	long st = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp)));

	return (st == TS_STATUS_GRANTED || st == TS_STATUS_GRANTED_WITH_MODS) &&
	       TS_RESP_get_token(resp) != NULL;
}

/* Check a granted response before it leaves (verify what we sign): the
 * token in hand is checked under cert and must carry the request's
 * imprint (es_tsa_token_self_check). */
static int resp_self_check(TS_RESP *resp, const unsigned char *der, size_t len, X509 *cert,
			   es_err *err)
{
	const unsigned char *p = der;
	TS_REQ *req = d2i_TS_REQ(NULL, &p, (long)len);
	TS_MSG_IMPRINT *imp = req != NULL ? TS_REQ_get_msg_imprint(req) : NULL;
	int rc;

	if (imp == NULL) {
		TS_REQ_free(req);
		return es_err_set(err, ES_ECRYPTO, "granted a request that does not parse");
	}
	rc = es_tsa_token_self_check(TS_RESP_get_token(resp), imp, cert, err);
	TS_REQ_free(req);
	if (rc < 0)
		return es_err_set(err, ES_ECRYPTO, "new timestamp token does not verify; not issued");
	return 0;
}

static int tsa_answer(TS_RESP **out, const unsigned char *req, size_t len, X509 *cert,
		      EVP_PKEY *key, STACK_OF(X509) *chain, es_err *err)
{
	int alg = es_key_alg(key), rc;

	*out = NULL;
	if (cert == NULL || key == NULL)
		return es_err_set(err, ES_EINVAL, "a TSA needs its certificate and key");
	if (alg == 0)
		return es_err_set(err, ES_ENOTSUP, "TSA key is neither SM2 nor P-256");
	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		return es_err_set(err, ES_EINVAL, "TSA key does not belong to the TSA certificate");
	}
	/* A TimeStampReq is about a hundred bytes: parse no more than this, so
	 * lengths stay ints; a longer input still gets its badDataFormat. */
	if (len > TSA_REQ_MAX_LEN)
		len = TSA_REQ_MAX_LEN;
	rc = alg == ES_ALG_SM2 ? sm2_respond(out, req, len, cert, key, chain, err)
			       : openssl_respond(out, req, len, cert, key, chain, err);
	if (rc == 0 && resp_granted(*out) && (rc = resp_self_check(*out, req, len, cert, err)) < 0) {
		TS_RESP_free(*out);
		*out = NULL;
	}
	return rc;
}

int es_tsa_respond(unsigned char **resp, size_t *len, const unsigned char *req,
		   size_t reqlen, X509 *tsa_cert, EVP_PKEY *tsa_key,
		   STACK_OF(X509) *chain, es_err *err)
{
	TS_RESP *r = NULL;
	unsigned char *p = NULL;
	int n, rc;

	*resp = NULL;
	*len = 0;
	if ((rc = tsa_answer(&r, req, reqlen, tsa_cert, tsa_key, chain, err)) < 0)
		return rc;
	n = i2d_TS_RESP(r, &p);
	rc = es_der_dup(resp, len, p, n, err);
	OPENSSL_free(p);
	TS_RESP_free(r);
	return rc;
}

/* Status text of a refused response, for messages. */
static void resp_why(TS_RESP *r, char *buf, size_t cap)
{
	const STACK_OF(ASN1_UTF8STRING) *text = TS_STATUS_INFO_get0_text(TS_RESP_get_status_info(r));
	const ASN1_UTF8STRING *t = text != NULL ? sk_ASN1_UTF8STRING_value(text, 0) : NULL;

	snprintf(buf, cap, "%.*s", t != NULL ? ASN1_STRING_length(t) : 0,
		 t != NULL ? (const char *)ASN1_STRING_get0_data(t) : "");
}

int es_tsa_stamp(unsigned char **token, size_t *len, const unsigned char *digest,
		 size_t dlen, int md_nid, X509 *tsa_cert, EVP_PKEY *tsa_key,
		 STACK_OF(X509) *chain, es_err *err)
{
	TS_REQ *req = NULL;
	TS_RESP *resp = NULL;
	unsigned char *der = NULL, *p = NULL;
	size_t dlen_req = 0;
	char why[128];
	int n, rc;

	*token = NULL;
	*len = 0;
	if ((rc = imprint_check(digest, dlen, md_nid, err)) < 0 ||
	    (rc = req_make(&req, digest, dlen, md_nid, NULL, err)) < 0 ||
	    (rc = req_to_der(&der, &dlen_req, req, err)) < 0 ||
	    (rc = tsa_answer(&resp, der, dlen_req, tsa_cert, tsa_key, chain, err)) < 0)
		goto out;
	if (!resp_granted(resp)) {
		resp_why(resp, why, sizeof(why));
		rc = es_err_set(err, ES_ECRYPTO, "TSA refused to stamp: %s", why);
		goto out;
	}
	n = i2d_PKCS7(TS_RESP_get_token(resp), &p);
	rc = es_der_dup(token, len, p, n, err);
out:
	OPENSSL_free(p);
	free(der);
	TS_REQ_free(req);
	TS_RESP_free(resp);
	return rc;
}

/* ---- size of a token before making it ----
 *
 * Upper bounds of every part of an es_tsa_stamp() token except the
 * certificates and the TSA certificate's names and serial, each TLV header
 * counted at its longest for a token under 64 KiB (tag, 0x82, 2 octets).
 * RFC 5652 5.1-5.4 (SignedData, SignerInfo), RFC 3161 2.4.2 (TSTInfo),
 * RFC 5035 (ESS signing-certificate-v2). */
#define TOK_HDR 4
#define TOK_OID 16                                /* every fixed OID here is shorter */
#define TOK_ALGID (TOK_HDR + TOK_OID + 2)         /* OID and NULL parameters */
#define TOK_SMALL_INT 3                           /* versions */
#define TOK_TIME (TOK_HDR + 24)                   /* GeneralizedTime with fraction */
#define TOK_DIGEST (TOK_HDR + EVP_MAX_MD_SIZE)    /* OCTET STRING of a digest */
#define TOK_SERIAL (TOK_HDR + 21)                 /* TSTInfo serial, up to 20 octets + sign */
#define TOK_ACCURACY (TOK_HDR + 3 * (TOK_HDR + 4))
#define TOK_BOOL 3                                /* ordering */
#define TOK_ATTR(value) (TOK_HDR + TOK_OID + TOK_HDR + (value))
/* version, imprint, serial, genTime, accuracy, ordering, tsa [0] [4]
 * (the policy OID is counted as encoded) */
#define TOK_TSTINFO_FIXED                                                       \
	(TOK_HDR + TOK_SMALL_INT + (TOK_HDR + TOK_ALGID + TOK_DIGEST) +           \
	 TOK_SERIAL + TOK_TIME + TOK_ACCURACY + TOK_BOOL + 2 * TOK_HDR)
/* ContentInfo, OID, [0], SignedData, version, digestAlgorithms,
 * encapContentInfo (OID, [0], OCTET STRING), certificates [0], signerInfos */
#define TOK_SIGNED_DATA_FIXED                                                   \
	(3 * TOK_HDR + TOK_OID + TOK_SMALL_INT + (TOK_HDR + TOK_ALGID) +          \
	 (TOK_HDR + TOK_OID + 2 * TOK_HDR) + 2 * TOK_HDR)
/* SigningCertificateV2, certs, ESSCertIDv2, hashAlgorithm, certHash,
 * issuerSerial (GeneralNames, [4]) */
#define TOK_ESS_V2_FIXED (3 * TOK_HDR + TOK_ALGID + TOK_DIGEST + 3 * TOK_HDR)
/* SignerInfo, version, issuerAndSerialNumber, digestAlgorithm, [0] signed
 * attributes (contentType, signingTime, messageDigest, ESS v2),
 * signatureAlgorithm, signature OCTET STRING */
#define TOK_SIGNER_FIXED                                                        \
	(TOK_HDR + TOK_SMALL_INT + TOK_HDR + TOK_ALGID + TOK_HDR +                \
	 TOK_ATTR(TOK_OID) + TOK_ATTR(TOK_TIME) + TOK_ATTR(TOK_DIGEST) +           \
	 TOK_ATTR(TOK_ESS_V2_FIXED) + TOK_ALGID + TOK_HDR)
#define TOK_FIXED (TOK_TSTINFO_FIXED + TOK_SIGNED_DATA_FIXED + TOK_SIGNER_FIXED)

static int der_len_add(size_t *sum, int n, es_err *err)
{
	if (n <= 0)
		return es_err_ssl(err, ES_ECRYPTO, "cannot encode a TSA certificate or the TSA policy");
	*sum += (size_t)n;
	return 0;
}

int es_tsa_token_max_len(size_t *out, X509 *tsa_cert, STACK_OF(X509) *chain, es_err *err)
{
	EVP_PKEY *pub = tsa_cert != NULL ? X509_get0_pubkey(tsa_cert) : NULL;
	ASN1_OBJECT *policy = OBJ_txt2obj(ES_TSA_POLICY_OID, 1);
	int policy_len = policy != NULL ? i2d_ASN1_OBJECT(policy, NULL) : -1;
	size_t n = TOK_FIXED, names = 0;
	int rc = 0;

	*out = 0;
	ASN1_OBJECT_free(policy);
	if (pub == NULL || EVP_PKEY_get_size(pub) <= 0)
		return es_err_set(err, ES_EINVAL, "a TSA certificate with a usable key is needed");
	if ((rc = der_len_add(&n, policy_len, err)) < 0)
		return rc;
	n += (size_t)EVP_PKEY_get_size(pub); /* largest signature value */
	/* tsa name in TSTInfo; issuer and serial in issuerAndSerialNumber and
	 * again in an ESS issuerSerial */
	if ((rc = der_len_add(&n, i2d_X509_NAME(X509_get_subject_name(tsa_cert), NULL), err)) < 0 ||
	    (rc = der_len_add(&names, i2d_X509_NAME(X509_get_issuer_name(tsa_cert), NULL), err)) < 0 ||
	    (rc = der_len_add(&names, i2d_ASN1_INTEGER(X509_get0_serialNumber(tsa_cert), NULL), err)) < 0 ||
	    (rc = der_len_add(&n, i2d_X509(tsa_cert, NULL), err)) < 0)
		return rc;
	n += 2 * names;
	/* every chain member counted, as the P-256 TSA embeds duplicates too */
	for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		if ((rc = der_len_add(&n, i2d_X509(sk_X509_value(chain, i), NULL), err)) < 0)
			return rc;
	*out = n;
	return 0;
}

/* ---- checking a token ---- */

static int token_parse(PKCS7 **p7, TS_TST_INFO **tst, const unsigned char *der, size_t len,
		       es_err *err)
{
	const unsigned char *p = der;

	*p7 = NULL;
	*tst = NULL;
	if (len == 0 || len > LONG_MAX)
		return es_err_set(err, ES_EFORMAT, "empty or oversized timestamp token");
	*p7 = d2i_PKCS7(NULL, &p, (long)len);
	if (*p7 != NULL && p == der + len && PKCS7_type_is_signed(*p7) &&
	    sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(*p7)) == 1)
		*tst = PKCS7_to_TS_TST_INFO(*p7);
	if (*tst == NULL || TS_TST_INFO_get_version(*tst) != 1) {
		PKCS7_free(*p7);
		*p7 = NULL;
		TS_TST_INFO_free(*tst);
		*tst = NULL;
		return es_err_ssl(err, ES_EFORMAT, "not an RFC 3161 timestamp token");
	}
	return 0;
}

static int signer_matches(PKCS7_SIGNER_INFO *si, X509 *c)
{
	return X509_NAME_cmp(si->issuer_and_serial->issuer, X509_get_issuer_name(c)) == 0 &&
	       ASN1_INTEGER_cmp(si->issuer_and_serial->serial, X509_get0_serialNumber(c)) == 0;
}

static X509 *signer_find(PKCS7 *p7, PKCS7_SIGNER_INFO *si, X509 *want)
{
	STACK_OF(X509) *certs = p7->d.sign->cert;
	int i;

	if (want != NULL)
		return signer_matches(si, want) ? want : NULL;
	for (i = 0; i < sk_X509_num(certs); i++)
		if (signer_matches(si, sk_X509_value(certs, i)))
			return sk_X509_value(certs, i);
	return NULL;
}

static ASN1_STRING *attr_seq(PKCS7_SIGNER_INFO *si, int nid)
{
	ASN1_TYPE *t = PKCS7_get_signed_attribute(si, nid);

	return t != NULL && t->type == V_ASN1_SEQUENCE ? t->value.sequence : NULL;
}

/* ESS signing-certificate (v1 or v2) must name the signer (RFC 3161 2.4.2,
 * RFC 5816). */
static int ess_check(PKCS7_SIGNER_INFO *si, X509 *signer, es_err *err)
{
	ASN1_STRING *a1 = attr_seq(si, NID_id_smime_aa_signingCertificate);
	ASN1_STRING *a2 = attr_seq(si, NID_id_smime_aa_signingCertificateV2);
	ESS_SIGNING_CERT *ss = NULL;
	ESS_SIGNING_CERT_V2 *ss2 = NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	const unsigned char *p;
	int ok;

	if (a1 != NULL) {
		p = ASN1_STRING_get0_data(a1);
		ss = d2i_ESS_SIGNING_CERT(NULL, &p, ASN1_STRING_length(a1));
	}
	if (a2 != NULL) {
		p = ASN1_STRING_get0_data(a2);
		ss2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(a2));
	}
	ok = chain != NULL && sk_X509_push(chain, signer) > 0 &&
	     OSSL_ESS_check_signing_certs(ss, ss2, chain, 1) > 0;
	sk_X509_free(chain);
	ESS_SIGNING_CERT_free(ss);
	ESS_SIGNING_CERT_V2_free(ss2);
	return ok ? 0 : es_err_ssl(err, ES_EVERIFY, "timestamp does not name its signing certificate");
}

static ASN1_OCTET_STRING *econtent(PKCS7 *p7)
{
	PKCS7 *inner = p7->d.sign->contents;

	if (inner == NULL || OBJ_obj2nid(inner->type) != NID_id_smime_ct_TSTInfo ||
	    inner->d.other == NULL || inner->d.other->type != V_ASN1_OCTET_STRING)
		return NULL;
	return inner->d.other->value.octet_string;
}

/* contentType and messageDigest signed attributes against the TSTInfo
 * content, checked by hand (RFC 5652 5.4, 5.6). */
static int attrs_match_content(PKCS7 *p7, PKCS7_SIGNER_INFO *si, es_err *err)
{
	ASN1_OCTET_STRING *content = econtent(p7), *md_attr = PKCS7_digest_from_attributes(si->auth_attr);
	ASN1_TYPE *ct = PKCS7_get_signed_attribute(si, NID_pkcs9_contentType);
	const EVP_MD *md = EVP_get_digestbyobj(si->digest_alg->algorithm);
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dn = 0;

	if (content == NULL || md_attr == NULL || md == NULL || ct == NULL ||
	    ct->type != V_ASN1_OBJECT || OBJ_obj2nid(ct->value.object) != NID_id_smime_ct_TSTInfo)
		return es_err_set(err, ES_EVERIFY, "timestamp signed attributes are incomplete");
	if (EVP_Digest(ASN1_STRING_get0_data(content), (size_t)ASN1_STRING_length(content), dig,
		       &dn, md, NULL) != 1)
		return es_err_ssl(err, ES_ECRYPTO, "digest failed");
	if ((int)dn != ASN1_STRING_length(md_attr) ||
	    CRYPTO_memcmp(dig, ASN1_STRING_get0_data(md_attr), dn) != 0)
		return es_err_set(err, ES_EVERIFY, "timestamp content does not match its signature");
	return 0;
}

/* DER of the signed attributes as the signature covers them: the SET OF
 * encoding (RFC 5652 5.4).  Returns the length (*der: OPENSSL_free) or a
 * negative code. */
static int attrs_der(unsigned char **der, PKCS7_SIGNER_INFO *si, es_err *err)
{
	int n = ASN1_item_i2d((ASN1_VALUE *)si->auth_attr, der, ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));

	return n > 0 ? n : es_err_ssl(err, ES_EFORMAT, "cannot encode timestamp signed attributes");
}

/* SM3withSM2 over DER(signedAttrs) with the default id. */
static int sm2_signature_check(PKCS7 *p7, PKCS7_SIGNER_INFO *si, X509 *signer, es_err *err)
{
	unsigned char *attrs = NULL;
	int an, rc;

	if ((rc = attrs_match_content(p7, si, err)) < 0)
		return rc;
	an = attrs_der(&attrs, si, err);
	if (an < 0)
		return an;
	rc = es_sm2_verify(X509_get0_pubkey(signer), ASN1_STRING_get0_data(si->enc_digest),
			   (size_t)ASN1_STRING_length(si->enc_digest), attrs, (size_t)an, err);
	OPENSSL_free(attrs);
	return rc < 0 ? es_err_set(err, ES_EVERIFY, "timestamp signature does not verify") : 0;
}

/* Other algorithms: OpenSSL's PKCS#7 verifier, as TS_RESP_verify_signature. */
static int openssl_signature_check(PKCS7 *p7, PKCS7_SIGNER_INFO *si, X509 *signer, es_err *err)
{
	BIO *b = PKCS7_dataInit(p7, NULL);
	char buf[4096];
	int ok;

	if (b == NULL)
		return es_err_ssl(err, ES_EFORMAT, "cannot read the timestamp content");
	while (BIO_read(b, buf, sizeof(buf)) > 0)
		;
	ok = PKCS7_signatureVerify(b, p7, si, signer) > 0;
	BIO_free_all(b);
	return ok ? 0 : es_err_ssl(err, ES_EVERIFY, "timestamp signature does not verify");
}

static int imprint_matches(TS_TST_INFO *tst, const unsigned char *digest, size_t dlen, int md_nid)
{
	TS_MSG_IMPRINT *imp = TS_TST_INFO_get_msg_imprint(tst);
	ASN1_STRING *msg = TS_MSG_IMPRINT_get_msg(imp);
	const ASN1_OBJECT *oid = NULL;

	X509_ALGOR_get0(&oid, NULL, NULL, TS_MSG_IMPRINT_get_algo(imp));
	return OBJ_obj2nid(oid) == md_nid && (size_t)ASN1_STRING_length(msg) == dlen &&
	       CRYPTO_memcmp(ASN1_STRING_get0_data(msg), digest, dlen) == 0;
}

static int gen_time_of(time_t *out, TS_TST_INFO *tst, es_err *err)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(TS_TST_INFO_get_time(tst), &tm) != 1)
		return es_err_set(err, ES_EFORMAT, "timestamp genTime unreadable");
	*out = timegm(&tm);
	return 0;
}

int es_tsa_token_verify(time_t *gen_time, X509 **signer, const unsigned char *token,
			size_t len, const unsigned char *digest, size_t dlen, int md_nid,
			X509 *tsa_cert, es_err *err)
{
	PKCS7 *p7 = NULL;
	TS_TST_INFO *tst = NULL;
	PKCS7_SIGNER_INFO *si;
	X509 *who;
	time_t t = 0;
	int rc;

	if (signer != NULL)
		*signer = NULL;
	if ((rc = token_parse(&p7, &tst, token, len, err)) < 0)
		return rc;
	si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
	who = signer_find(p7, si, tsa_cert);
	if (who == NULL) {
		rc = es_err_set(err, ES_EVERIFY, tsa_cert != NULL
				? "timestamp was not signed by the expected TSA certificate"
				: "timestamp carries no signing certificate");
		goto out;
	}
	if (X509_check_purpose(who, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1) {
		rc = es_err_set(err, ES_EVERIFY, "timestamp signer is not a TSA certificate");
		goto out;
	}
	if ((rc = ess_check(si, who, err)) < 0)
		goto out;
	rc = es_key_alg(X509_get0_pubkey(who)) == ES_ALG_SM2 ? sm2_signature_check(p7, si, who, err)
							      : openssl_signature_check(p7, si, who, err);
	if (rc < 0)
		goto out;
	if (!imprint_matches(tst, digest, dlen, md_nid)) {
		rc = es_err_set(err, ES_EVERIFY, "timestamp is for other data (message imprint differs)");
		goto out;
	}
	if ((rc = gen_time_of(&t, tst, err)) < 0)
		goto out;
	if (gen_time != NULL)
		*gen_time = t;
	if (signer != NULL && X509_up_ref(who) == 1)
		*signer = who;
out:
	TS_TST_INFO_free(tst);
	PKCS7_free(p7);
	return rc;
}

/* The imprint of the TSTInfo bytes that were signed (not of a TS_TST_INFO
 * kept beside them) against want. */
static int signed_imprint_check(PKCS7 *p7, TS_MSG_IMPRINT *want, es_err *err)
{
	ASN1_OCTET_STRING *content = econtent(p7);
	const unsigned char *p = ASN1_STRING_get0_data(content);
	ASN1_STRING *msg = TS_MSG_IMPRINT_get_msg(want);
	const ASN1_OBJECT *oid = NULL;
	TS_TST_INFO *tst;
	int ok;

	tst = d2i_TS_TST_INFO(NULL, &p, ASN1_STRING_length(content));
	X509_ALGOR_get0(&oid, NULL, NULL, TS_MSG_IMPRINT_get_algo(want));
	ok = tst != NULL && p == ASN1_STRING_get0_data(content) + ASN1_STRING_length(content) &&
	     TS_TST_INFO_get_version(tst) == 1 &&
	     imprint_matches(tst, ASN1_STRING_get0_data(msg), (size_t)ASN1_STRING_length(msg),
			     OBJ_obj2nid(oid));
	TS_TST_INFO_free(tst);
	return ok ? 0 : es_err_set(err, ES_EVERIFY, "new timestamp is for other data");
}

int es_tsa_token_self_check(PKCS7 *p7, TS_MSG_IMPRINT *want, X509 *cert, es_err *err)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	int md_nid = es_key_alg(pub) == ES_ALG_SM2 ? NID_sm3 : NID_sha256;
	PKCS7_SIGNER_INFO *si;
	unsigned char *attrs = NULL;
	int an, rc;

	if (p7 == NULL || !PKCS7_type_is_signed(p7) ||
	    sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(p7)) != 1)
		return es_err_set(err, ES_EVERIFY, "new timestamp token has no single signer");
	si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
	/* es_md_ctx_new() hashes with the family's digest: the token must say so. */
	if (!signer_matches(si, cert) || OBJ_obj2nid(si->digest_alg->algorithm) != md_nid)
		return es_err_set(err, ES_EVERIFY, "new timestamp names another signer or digest");
	if ((rc = ess_check(si, cert, err)) < 0 || (rc = attrs_match_content(p7, si, err)) < 0)
		return rc;
	an = attrs_der(&attrs, si, err);
	if (an < 0)
		return an;
	rc = es_sig_verify_tbs(pub, attrs, (size_t)an, si->enc_digest, err);
	OPENSSL_free(attrs);
	return rc < 0 ? rc : signed_imprint_check(p7, want, err);
}

/* ---- client ---- */

typedef struct fetch_buf {
	es_buf b;
	int too_big;
} fetch_buf;

static size_t fetch_write(char *p, size_t size, size_t n, void *arg)
{
	fetch_buf *fb = arg;
	size_t len = size * n;

	if (fb->b.len + len > FETCH_MAX_LEN) {
		fb->too_big = 1;
		return 0;
	}
	return es_buf_append(&fb->b, p, len, NULL) == 0 ? len : 0;
}

static int http_post(fetch_buf *fb, const char *url, const unsigned char *body, size_t len,
		     es_err *err)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	long code = 0;
	CURLcode cc;
	int rc = 0;

	if ((rc = es_curl_require(err)) < 0)
		return rc;
	if (c == NULL)
		return es_err_set(err, ES_ENOMEM, "cannot start an HTTP client");
	h = curl_slist_append(h, "Content-Type: application/timestamp-query");
	h = curl_slist_append(h, "Accept: application/timestamp-reply");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, FETCH_TIMEOUT_SECS);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, FETCH_CONNECT_TIMEOUT_SECS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, fb);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (fb->too_big)
		rc = es_err_set(err, ES_ENET, "TSA %s sent more than %d bytes", url, FETCH_MAX_LEN);
	else if (cc != CURLE_OK)
		rc = es_err_set(err, ES_ENET, "TSA %s unreachable: %s", url,
				cerr[0] != '\0' ? cerr : curl_easy_strerror(cc));
	else if (code != HTTP_OK)
		rc = es_err_set(err, ES_ENET, "TSA %s answered HTTP %ld", url, code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}

/* Status granted, token there, same nonce as asked. */
static int reply_check(TS_RESP **out, const es_buf *body, const ASN1_INTEGER *nonce,
		       const char *url, es_err *err)
{
	const unsigned char *p = body->data;
	TS_RESP *r = d2i_TS_RESP(NULL, &p, (long)body->len);
	TS_TST_INFO *tst;
	char why[128];

	*out = NULL;
	if (r == NULL || p != body->data + body->len) {
		TS_RESP_free(r);
		return es_err_ssl(err, ES_ENET, "TSA %s sent a malformed reply", url);
	}
	if (!resp_granted(r)) {
		resp_why(r, why, sizeof(why));
		TS_RESP_free(r);
		return es_err_set(err, ES_ENET, "TSA %s refused the request: %s", url,
				  why[0] != '\0' ? why : "no reason given");
	}
	tst = TS_RESP_get_tst_info(r);
	if (tst == NULL || TS_TST_INFO_get_nonce(tst) == NULL ||
	    ASN1_INTEGER_cmp(TS_TST_INFO_get_nonce(tst), nonce) != 0) {
		TS_RESP_free(r);
		return es_err_set(err, ES_EVERIFY, "TSA %s answered another request (nonce differs)", url);
	}
	*out = r;
	return 0;
}

static int nonce_new(ASN1_INTEGER **out, es_err *err)
{
	unsigned char raw[FETCH_NONCE_LEN];
	BIGNUM *bn;
	int rc;

	*out = NULL;
	if ((rc = es_random(raw, sizeof(raw), err)) < 0)
		return rc;
	raw[0] &= 0x7f;
	raw[0] |= 0x01; /* positive, never zero */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	*out = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	BN_free(bn);
	return *out != NULL ? 0 : es_err_set(err, ES_ENOMEM, "out of memory");
}

int es_tsa_fetch(unsigned char **token, size_t *len, const char *url,
		 const unsigned char *digest, size_t dlen, int md_nid, es_err *err)
{
	ASN1_INTEGER *nonce = NULL;
	TS_REQ *req = NULL;
	TS_RESP *resp = NULL;
	fetch_buf fb = {{0}, 0};
	unsigned char *der = NULL, *p = NULL;
	size_t derlen = 0;
	int n, rc;

	*token = NULL;
	*len = 0;
	if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return es_err_set(err, ES_EINVAL, "TSA URL must start with http:// or https://");
	if ((rc = imprint_check(digest, dlen, md_nid, err)) < 0 || (rc = nonce_new(&nonce, err)) < 0 ||
	    (rc = req_make(&req, digest, dlen, md_nid, nonce, err)) < 0 ||
	    (rc = req_to_der(&der, &derlen, req, err)) < 0 ||
	    (rc = http_post(&fb, url, der, derlen, err)) < 0 ||
	    (rc = reply_check(&resp, &fb.b, nonce, url, err)) < 0)
		goto out;
	n = i2d_PKCS7(TS_RESP_get_token(resp), &p);
	if (n <= 0) {
		rc = es_err_ssl(err, ES_ENET, "TSA %s sent an unusable token", url);
		goto out;
	}
	/* Signature and imprint; whether the TSA is trusted is the verifier's
	 * business (es_chain_check on the signer). */
	if ((rc = es_tsa_token_verify(NULL, NULL, p, (size_t)n, digest, dlen, md_nid, NULL, err)) < 0)
		goto out;
	rc = es_der_dup(token, len, p, n, err);
out:
	OPENSSL_free(p);
	free(der);
	es_buf_free(&fb.b, 0);
	TS_RESP_free(resp);
	TS_REQ_free(req);
	ASN1_INTEGER_free(nonce);
	return rc;
}
