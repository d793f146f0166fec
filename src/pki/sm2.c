/* SM2/SM3 primitives with the GM/T 0009 default distinguishing identifier.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include "eseal/pki.h"

#define SM2_RAW_SIG_LEN 64
#define SM2_COORD_LEN 32

/* mctx set up for SM3withSM2 with the default id, for signing or verifying. */
static EVP_MD_CTX *sm2_md_ctx(EVP_PKEY *key, int sign)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key, NULL);
	int ok;

	if (mctx == NULL || pctx == NULL)
		goto fail;
	if (EVP_PKEY_CTX_set1_id(pctx, ES_SM2_DEFAULT_ID, strlen(ES_SM2_DEFAULT_ID)) <= 0)
		goto fail;
	EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
	ok = sign ? EVP_DigestSignInit(mctx, NULL, EVP_sm3(), NULL, key)
		  : EVP_DigestVerifyInit(mctx, NULL, EVP_sm3(), NULL, key);
	if (ok != 1) {
		EVP_MD_CTX_free(mctx);
		EVP_PKEY_CTX_free(pctx);
		return NULL;
	}
	return mctx; /* pctx is owned by the caller of set_pkey_ctx: freed below */
fail:
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
	return NULL;
}

static void sm2_md_ctx_free(EVP_MD_CTX *mctx)
{
	EVP_PKEY_CTX *pctx;

	if (mctx == NULL)
		return;
	pctx = EVP_MD_CTX_get_pkey_ctx(mctx);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
}

int es_sm2_sign(unsigned char **sig, size_t *siglen, EVP_PKEY *key,
		const unsigned char *data, size_t len, es_err *err)
{
	EVP_MD_CTX *mctx = sm2_md_ctx(key, 1);
	unsigned char *p = NULL;
	size_t n = 0;
	int rc = 0;

	*sig = NULL;
	if (mctx == NULL)
		return es_err_ssl(err, ES_ECRYPTO, "cannot set up SM2 signing; is the key an SM2 key?");
	if (EVP_DigestSign(mctx, NULL, &n, data, len) != 1 ||
	    (p = OPENSSL_malloc(n)) == NULL ||
	    EVP_DigestSign(mctx, p, &n, data, len) != 1) {
		OPENSSL_free(p);
		rc = es_err_ssl(err, ES_ECRYPTO, "SM2 signing failed");
		goto out;
	}
	*sig = p;
	*siglen = n;
out:
	sm2_md_ctx_free(mctx);
	return rc;
}

/* Re-encode a raw r||s signature as DER SEQUENCE{INTEGER r, INTEGER s}. */
static int raw_to_der(unsigned char **der, int *derlen, const unsigned char *raw)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, SM2_COORD_LEN, NULL);
	BIGNUM *t = BN_bin2bn(raw + SM2_COORD_LEN, SM2_COORD_LEN, NULL);

	*der = NULL;
	if (s == NULL || r == NULL || t == NULL || ECDSA_SIG_set0(s, r, t) != 1) {
		BN_free(r);
		BN_free(t);
		ECDSA_SIG_free(s);
		return -1;
	}
	*derlen = i2d_ECDSA_SIG(s, der);
	ECDSA_SIG_free(s);
	return *derlen > 0 ? 0 : -1;
}

int es_sm2_verify(EVP_PKEY *pub, const unsigned char *sig, size_t siglen,
		  const unsigned char *data, size_t len, es_err *err)
{
	EVP_MD_CTX *mctx = NULL;
	unsigned char *der = NULL;
	int derlen = 0, ok, rc = 0;

	if (siglen == SM2_RAW_SIG_LEN && sig[0] != 0x30) {
		if (raw_to_der(&der, &derlen, sig) < 0)
			return es_err_ssl(err, ES_ECRYPTO, "cannot convert raw SM2 signature");
		sig = der;
		siglen = (size_t)derlen;
	}
	mctx = sm2_md_ctx(pub, 0);
	if (mctx == NULL) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot set up SM2 verification; is the key an SM2 key?");
		goto out;
	}
	ok = EVP_DigestVerify(mctx, sig, siglen, data, len);
	if (ok != 1)
		rc = es_err_ssl(err, ES_EVERIFY, "SM2 signature does not verify");
out:
	sm2_md_ctx_free(mctx);
	OPENSSL_free(der);
	return rc;
}

int es_sm3(unsigned char out[32], const unsigned char *data, size_t len, es_err *err)
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sm3(), NULL) != 1 || n != 32)
		return es_err_ssl(err, ES_ECRYPTO, "SM3 digest failed");
	return 0;
}
