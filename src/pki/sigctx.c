/* Signing and verifying contexts that follow the key's family.
 *
 * OpenSSL 3.0 hashes an empty SM2 distinguishing id unless one is set on the
 * EVP_PKEY_CTX, while GM/T 0009 and every Chinese verifier use
 * "1234567812345678".  Everything in src/pki that signs or verifies goes
 * through here so that the id is never forgotten.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include "sigctx.h"
#include "util/util.h"

#define SERIAL_MAX_LEN 20 /* RFC 5280 4.1.2.2 */

int es_key_alg(EVP_PKEY *key)
{
	char group[64];
	size_t n = 0;

	if (key == NULL)
		return 0;
	if (EVP_PKEY_is_a(key, "SM2"))
		return ES_ALG_SM2;
	if (!EVP_PKEY_is_a(key, "EC") ||
	    EVP_PKEY_get_group_name(key, group, sizeof(group), &n) != 1)
		return 0;
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
		return ES_ALG_P256;
	return 0;
}

int es_md_ctx_new(EVP_MD_CTX **out, EVP_PKEY *key, int sign, es_err *err)
{
	int alg = es_key_alg(key);
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = alg == ES_ALG_SM2 ? EVP_sm3() : EVP_sha256();
	int ok;

	*out = NULL;
	if (alg == 0)
		return es_err_set(err, ES_ENOTSUP,
				  "unsupported key type; eseal signs with SM2 or EC P-256 keys only");
	mctx = EVP_MD_CTX_new();
	if (mctx == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	if (alg == ES_ALG_SM2) {
		/* The id must be on the EVP_PKEY_CTX before the digest init:
		 * 3.0 caches it and applies it when the operation starts. */
		pctx = EVP_PKEY_CTX_new(key, NULL);
		if (pctx == NULL ||
		    EVP_PKEY_CTX_set1_id(pctx, ES_SM2_DEFAULT_ID, strlen(ES_SM2_DEFAULT_ID)) <= 0) {
			EVP_PKEY_CTX_free(pctx);
			EVP_MD_CTX_free(mctx);
			return es_err_ssl(err, ES_ECRYPTO, "cannot set the SM2 id");
		}
		EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
	}
	ok = sign ? EVP_DigestSignInit(mctx, NULL, md, NULL, key)
		  : EVP_DigestVerifyInit(mctx, NULL, md, NULL, key);
	if (ok != 1) {
		es_md_ctx_free(mctx);
		return es_err_ssl(err, ES_ECRYPTO, "cannot set up %s",
				  sign ? "signing" : "signature verification");
	}
	*out = mctx;
	return 0;
}

void es_md_ctx_free(EVP_MD_CTX *mctx)
{
	EVP_PKEY_CTX *pctx;

	if (mctx == NULL)
		return;
	/* A pkey ctx given with EVP_MD_CTX_set_pkey_ctx() stays the caller's:
	 * es_md_ctx_new() gives one exactly for SM2 keys. */
	pctx = EVP_MD_CTX_get_pkey_ctx(mctx);
	if (pctx != NULL && es_key_alg(EVP_PKEY_CTX_get0_pkey(pctx)) != ES_ALG_SM2)
		pctx = NULL;
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
}

int es_sig_verify_tbs(EVP_PKEY *pub, const unsigned char *tbs, size_t len,
		      const ASN1_BIT_STRING *sig, es_err *err)
{
	EVP_MD_CTX *mctx = NULL;
	int rc;

	if (sig == NULL)
		return es_err_set(err, ES_EVERIFY, "signature missing");
	if ((rc = es_md_ctx_new(&mctx, pub, 0, err)) < 0)
		return rc == ES_ENOTSUP ? es_err_set(err, ES_EVERIFY,
			"signature by an unsupported key type") : rc;
	if (EVP_DigestVerify(mctx, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig),
			     tbs, len) != 1)
		rc = es_err_ssl(err, ES_EVERIFY, "signature does not verify");
	es_md_ctx_free(mctx);
	return rc;
}

int es_der_dup(unsigned char **out, size_t *outlen, const unsigned char *der, int len,
	       es_err *err)
{
	*out = NULL;
	*outlen = 0;
	if (der == NULL || len <= 0)
		return es_err_ssl(err, ES_ECRYPTO, "DER encoding failed");
	*out = malloc((size_t)len);
	if (*out == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	memcpy(*out, der, (size_t)len);
	*outlen = (size_t)len;
	return 0;
}

int es_cert_set_sm2_id(X509 *cert, es_err *err)
{
	ASN1_OCTET_STRING *id;

	if (X509_get_signature_nid(cert) != NID_SM2_with_SM3)
		return 0;
	id = ASN1_OCTET_STRING_new();
	if (id == NULL ||
	    ASN1_OCTET_STRING_set(id, (const unsigned char *)ES_SM2_DEFAULT_ID,
				  (int)strlen(ES_SM2_DEFAULT_ID)) != 1) {
		ASN1_OCTET_STRING_free(id);
		return es_err_set(err, ES_ENOMEM, "out of memory");
	}
	X509_set0_distinguishing_id(cert, id);
	return 0;
}

static int serial_from_bn(ASN1_INTEGER **out, BIGNUM *bn, es_err *err)
{
	*out = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	BN_free(bn);
	if (*out == NULL)
		return es_err_ssl(err, ES_ECRYPTO, "cannot make a serial number");
	return 0;
}

int es_serial_parse(ASN1_INTEGER **out, const char *hex, es_err *err)
{
	BIGNUM *bn = NULL;
	size_t n = strlen(hex);

	*out = NULL;
	if (n == 0 || n > 2 * SERIAL_MAX_LEN || BN_hex2bn(&bn, hex) != (int)n ||
	    BN_is_zero(bn) || BN_is_negative(bn)) {
		BN_free(bn);
		return es_err_set(err, ES_EINVAL, "serial \"%.48s\" must be 1 to %d hex digits, not zero",
				  hex, 2 * SERIAL_MAX_LEN);
	}
	return serial_from_bn(out, bn, err);
}

int es_serial_random(ASN1_INTEGER **out, es_err *err)
{
	unsigned char raw[ES_SERIAL_LEN];
	int rc;

	*out = NULL;
	if ((rc = es_random(raw, sizeof(raw), err)) < 0)
		return rc;
	/* Positive and exactly ES_SERIAL_LEN octets in DER: top bit clear,
	 * the next one set. */
	raw[0] = (unsigned char)((raw[0] & 0x7f) | 0x40);
	return serial_from_bn(out, BN_bin2bn(raw, sizeof(raw), NULL), err);
}
