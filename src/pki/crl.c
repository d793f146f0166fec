/* Certificate revocation lists (RFC 5280 5), SM2-aware.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include "eseal/pki.h"
#include "sigctx.h"

#define SECS_PER_DAY (24L * 60 * 60)
#define MAX_NEXT_UPDATE_DAYS 366
#define CRL_REASON_MAX 10      /* aACompromise */
#define CRL_REASON_UNUSED 7    /* RFC 5280 5.3.1: value 7 is not used */
#define USEC_PER_SEC 1000000
#define CRL_MEMO_SLOTS 64

/* RFC 5280 5.2.3: CRL numbers increase.  Using the issue time in
 * microseconds keeps them increasing without storing a counter, as long as
 * the clock does not run backwards. */
static int crl_number_add(X509_CRL *crl, es_err *err)
{
	struct timeval tv;
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	int rc = 0;

	gettimeofday(&tv, NULL);
	if (num == NULL ||
	    ASN1_INTEGER_set_int64(num, (int64_t)tv.tv_sec * USEC_PER_SEC + tv.tv_usec) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot add CRL number");
	ASN1_INTEGER_free(num);
	return rc;
}

static int aki_add(X509_CRL *crl, X509 *ca, es_err *err)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	ok = e != NULL && X509_CRL_add_ext(crl, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok ? 0 : es_err_ssl(err, ES_ECRYPTO, "cannot add CRL authority key identifier");
}

static int revoked_add(X509_CRL *crl, const es_revoked *r, time_t now, es_err *err)
{
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *when = NULL;
	ASN1_ENUMERATED *reason = NULL;
	int rc;

	if (r->reason < 0 || r->reason > CRL_REASON_MAX || r->reason == CRL_REASON_UNUSED)
		return es_err_set(err, ES_EINVAL, "CRL reason %d is not a CRLReason code", r->reason);
	if ((rc = es_serial_parse(&serial, r->serial_hex != NULL ? r->serial_hex : "", err)) < 0)
		return rc;
	rev = X509_REVOKED_new();
	when = ASN1_TIME_set(NULL, r->when != 0 ? r->when : now);
	if (rev == NULL || when == NULL || X509_REVOKED_set_serialNumber(rev, serial) != 1 ||
	    X509_REVOKED_set_revocationDate(rev, when) != 1) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot add revoked certificate");
		goto out;
	}
	/* RFC 5280 5.3.1: unspecified (0) SHOULD be expressed by absence. */
	if (r->reason != 0)
		reason = ASN1_ENUMERATED_new();
	if (r->reason != 0 &&
	    (reason == NULL || ASN1_ENUMERATED_set(reason, r->reason) != 1 ||
	     X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) != 1)) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot add revocation reason");
		goto out;
	}
	if (X509_CRL_add0_revoked(crl, rev) != 1) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot add revoked certificate");
		goto out;
	}
	rev = NULL;
out:
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(when);
	ASN1_ENUMERATED_free(reason);
	return rc;
}

static int crl_build(X509_CRL *crl, X509 *ca, const es_revoked *list, size_t n, int days,
		     es_err *err)
{
	time_t now = time(NULL);
	ASN1_TIME *last = ASN1_TIME_set(NULL, now);
	ASN1_TIME *next = ASN1_TIME_set(NULL, now + (time_t)days * SECS_PER_DAY);
	size_t i;
	int rc = 0;

	if (last == NULL || next == NULL || X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) != 1 ||
	    X509_CRL_set1_lastUpdate(crl, last) != 1 || X509_CRL_set1_nextUpdate(crl, next) != 1)
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot build CRL");
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	for (i = 0; rc == 0 && i < n; i++)
		rc = revoked_add(crl, &list[i], now, err);
	if (rc == 0 && X509_CRL_sort(crl) != 1)
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot sort CRL");
	if (rc == 0)
		rc = aki_add(crl, ca, err);
	if (rc == 0)
		rc = crl_number_add(crl, err);
	return rc;
}

/* Good CRL signatures, process-wide.  A CRL is checked where it is made
 * (crl_check_der) and again by every verification that uses it (the
 * platform's own CRLs: every signature of every request); the signature
 * check (ECDSA ≈ 0.9 M, SM2 ≈ 4 M instructions) is done once. */
static unsigned char crl_memo_slots[CRL_MEMO_SLOTS][ES_SIG_MEMO_KEY_LEN];
static es_sig_memo crl_memo = ES_SIG_MEMO_INIT(crl_memo_slots);

static int crl_memo_key(unsigned char key[ES_SIG_MEMO_KEY_LEN], X509_CRL *crl, X509 *issuer)
{
	unsigned char md[32];
	unsigned int n = 0;

	if (X509_CRL_digest(crl, EVP_sha256(), md, &n) != 1 || n != sizeof(md))
		return -1;
	return es_sig_memo_key(key, md, issuer);
}

static int crl_check_signature_uncached(X509_CRL *crl, EVP_PKEY *pub, es_err *err)
{
	const ASN1_BIT_STRING *sig = NULL;
	unsigned char *tbs = NULL;
	int n, rc;

	if (X509_CRL_get_signature_nid(crl) != NID_SM2_with_SM3) {
		if (X509_CRL_verify(crl, pub) != 1)
			return es_err_ssl(err, ES_EVERIFY, "CRL signature does not verify");
		return 0;
	}
	/* X509_CRL_verify() in OpenSSL 3.0 has no way to take the SM2 id. */
	X509_CRL_get0_signature(crl, &sig, NULL);
	n = i2d_re_X509_CRL_tbs(crl, &tbs);
	if (n <= 0)
		return es_err_ssl(err, ES_EFORMAT, "cannot encode the CRL");
	rc = es_sig_verify_tbs(pub, tbs, (size_t)n, sig, err);
	OPENSSL_free(tbs);
	return rc;
}

int es_crl_check_signature(X509_CRL *crl, X509 *issuer, es_err *err)
{
	unsigned char key[ES_SIG_MEMO_KEY_LEN];
	EVP_PKEY *pub = X509_get0_pubkey(issuer);
	int memo, rc;

	if (pub == NULL || X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0)
		return es_err_set(err, ES_EVERIFY, "CRL was not issued by this CA");
	memo = crl_memo_key(key, crl, issuer) == 0;
	if (memo && es_sig_memo_known(&crl_memo, key))
		return 0;
	rc = crl_check_signature_uncached(crl, pub, err);
	if (rc == 0 && memo)
		es_sig_memo_add(&crl_memo, key);
	return rc;
}

/* Parse what we are about to hand out and check its signature. */
static int crl_check_der(const unsigned char *der, int len, X509 *ca, es_err *err)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, len);
	int rc;

	if (crl == NULL)
		return es_err_ssl(err, ES_ECRYPTO, "new CRL does not parse");
	rc = es_crl_check_signature(crl, ca, err);
	X509_CRL_free(crl);
	if (rc < 0)
		return es_err_set(err, ES_ECRYPTO, "new CRL does not verify; not issued");
	return 0;
}

int es_crl_make(unsigned char **der, size_t *len, X509 *ca, EVP_PKEY *ca_key,
		const es_revoked *list, size_t n, int next_update_days, es_err *err)
{
	X509_CRL *crl = NULL;
	EVP_MD_CTX *mctx = NULL;
	unsigned char *p = NULL;
	int plen = 0, rc;

	*der = NULL;
	*len = 0;
	if (next_update_days <= 0 || next_update_days > MAX_NEXT_UPDATE_DAYS)
		return es_err_set(err, ES_EINVAL, "CRL next update of %d days is out of range (1..%d)",
				  next_update_days, MAX_NEXT_UPDATE_DAYS);
	if (n > 0 && list == NULL)
		return es_err_set(err, ES_EINVAL, "no revocation list given");
	if (X509_check_private_key(ca, ca_key) != 1) {
		ERR_clear_error();
		return es_err_set(err, ES_EINVAL, "CA key does not belong to the CA certificate");
	}
	crl = X509_CRL_new();
	if (crl == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	if ((rc = crl_build(crl, ca, list, n, next_update_days, err)) < 0 ||
	    (rc = es_md_ctx_new(&mctx, ca_key, 1, err)) < 0)
		goto out;
	if (X509_CRL_sign_ctx(crl, mctx) > 0)
		plen = i2d_X509_CRL(crl, &p);
	if (plen <= 0) {
		rc = es_err_ssl(err, ES_ECRYPTO, "CRL signing failed");
		goto out;
	}
	if ((rc = crl_check_der(p, plen, ca, err)) == 0)
		rc = es_der_dup(der, len, p, plen, err);
out:
	OPENSSL_free(p);
	es_md_ctx_free(mctx);
	X509_CRL_free(crl);
	return rc;
}
