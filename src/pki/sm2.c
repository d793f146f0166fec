/* SM2/SM3 primitives with the GM/T 0009 default distinguishing identifier.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include "eseal/pki.h"
#include "sigctx.h"

#define SM2_RAW_SIG_LEN 64
#define SM2_COORD_LEN 32

/* es_md_ctx_new() picks SHA-256 for a P-256 key: refuse anything but SM2 here. */
static int sm2_md_ctx(EVP_MD_CTX **out, EVP_PKEY *key, int sign, es_err *err)
{
	*out = NULL;
	if (es_key_alg(key) != ES_ALG_SM2)
		return es_err_set(err, ES_EINVAL, "not an SM2 key; SM2 %s needs an SM2 key",
				  sign ? "signing" : "verification");
	return es_md_ctx_new(out, key, sign, err);
}

int es_sm2_sign(unsigned char **sig, size_t *siglen, EVP_PKEY *key,
		const unsigned char *data, size_t len, es_err *err)
{
	EVP_MD_CTX *mctx = NULL;
	unsigned char *p = NULL;
	size_t n = 0;
	int rc;

	*sig = NULL;
	if ((rc = sm2_md_ctx(&mctx, key, 1, err)) < 0)
		return rc;
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
	es_md_ctx_free(mctx);
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

/* A DER SEQUENCE{r,s} that uses every byte?  Raw r||s may start with 0x30 too. */
static int is_whole_der_sig(const unsigned char *sig, size_t len)
{
	const unsigned char *p = sig;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	int whole = s != NULL && p == sig + len;

	ECDSA_SIG_free(s);
	return whole;
}

int es_sm2_verify(EVP_PKEY *pub, const unsigned char *sig, size_t siglen,
		  const unsigned char *data, size_t len, es_err *err)
{
	EVP_MD_CTX *mctx = NULL;
	unsigned char *der = NULL;
	int derlen = 0, ok, rc = 0;

	if (siglen == SM2_RAW_SIG_LEN && !is_whole_der_sig(sig, siglen)) {
		if (raw_to_der(&der, &derlen, sig) < 0)
			return es_err_ssl(err, ES_ECRYPTO, "cannot convert raw SM2 signature");
		sig = der;
		siglen = (size_t)derlen;
	}
	if ((rc = sm2_md_ctx(&mctx, pub, 0, err)) < 0)
		goto out;
	ok = EVP_DigestVerify(mctx, sig, siglen, data, len);
	if (ok != 1)
		rc = es_err_ssl(err, ES_EVERIFY, "SM2 signature does not verify");
out:
	es_md_ctx_free(mctx);
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
