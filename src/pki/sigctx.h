/* Internal to src/pki: signing and verifying contexts that follow the key's
 * family, and small DER helpers.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_PKI_SIGCTX_H
#define ES_PKI_SIGCTX_H

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include "eseal/pki.h"

/** Digest-sign (sign != 0) or digest-verify context for key: SM3 with the
 * default SM2 id (GM/T 0009) for SM2, SHA-256 for P-256, ES_ENOTSUP for other
 * keys.  Free with es_md_ctx_free(). */
int es_md_ctx_new(EVP_MD_CTX **out, EVP_PKEY *key, int sign, es_err *err);
void es_md_ctx_free(EVP_MD_CTX *mctx);

/** Verify sig over the DER tbs with pub using es_md_ctx_new() rules.
 * Returns 0 or ES_EVERIFY. */
int es_sig_verify_tbs(EVP_PKEY *pub, const unsigned char *tbs, size_t len,
		      const ASN1_BIT_STRING *sig, es_err *err);

/** Copy an OpenSSL-allocated DER (from i2d) into a malloc'd buffer. */
int es_der_dup(unsigned char **out, size_t *outlen, const unsigned char *der, int len,
	       es_err *err);

/** Set the default SM2 id on cert when it carries an SM3withSM2 signature,
 * so that X509_verify() / X509_verify_cert() check it (OpenSSL 3.0 otherwise
 * uses an empty id).  Returns 0 or ES_ENOMEM. */
int es_cert_set_sm2_id(X509 *cert, es_err *err);

/** Positive serial from 1..40 hex digits, not zero (RFC 5280 4.1.2.2). */
int es_serial_parse(ASN1_INTEGER **out, const char *hex, es_err *err);
/** Random positive serial of exactly ES_SERIAL_LEN octets. */
#define ES_SERIAL_LEN 16
int es_serial_random(ASN1_INTEGER **out, es_err *err);

#endif
