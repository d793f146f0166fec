/* Internal to src/pki: signing and verifying contexts that follow the key's
 * family, and small DER helpers.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_PKI_SIGCTX_H
#define ES_PKI_SIGCTX_H

#include <pthread.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
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

/** The private key of p8 when it is an ECPrivateKey (RFC 5915) on P-256 or
 * the SM2 curve with a named curve, built with EVP_PKEY_fromdata() ("SM2"
 * type for the SM2 curve, like OpenSSL's decoder); the public point is
 * computed when absent.  NULL for anything else or anything unexpected:
 * then use EVP_PKCS82PKEY(), which is far slower in OpenSSL 3.0 (it builds
 * an OSSL_DECODER chain per key).  Leaves no OpenSSL error behind. */
EVP_PKEY *es_ec_key_from_p8(const PKCS8_PRIV_KEY_INFO *p8);

/** Check a TimeStampToken this TSA just made, from the structure in hand
 * (no re-encoding, no parsing of the certificates it carries): one
 * SignerInfo naming cert with its ESS signing-certificate binding, the
 * digest of cert's family (SM3 or SHA-256), contentType and messageDigest
 * matching the TSTInfo, the signature over the signed attributes under
 * cert's key (es_md_ctx_new() rules), and want's imprint inside the signed
 * TSTInfo.  Returns 0, ES_EVERIFY, or another code when unusable. */
int es_tsa_token_self_check(PKCS7 *p7, TS_MSG_IMPRINT *want, X509 *cert, es_err *err);

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

/* ---- signature checks known to have passed (sigmemo.c) ----
 * A small ring of keys, each the SHA-256 of the signed object (certificate,
 * CRL) and of the issuer's SubjectPublicKeyInfo: everything the check reads.
 * Only positive results go in.  Define one per kind of object:
 *   static unsigned char slots[N][ES_SIG_MEMO_KEY_LEN];
 *   static es_sig_memo memo = ES_SIG_MEMO_INIT(slots); */
#define ES_SIG_MEMO_KEY_LEN 64
typedef struct es_sig_memo {
	unsigned char (*slot)[ES_SIG_MEMO_KEY_LEN];
	int cap, n, next;
	pthread_mutex_t lock;
} es_sig_memo;
#define ES_SIG_MEMO_INIT(slots) {slots, (int)(sizeof(slots) / sizeof((slots)[0])), 0, 0, PTHREAD_MUTEX_INITIALIZER}
int es_sig_memo_key(unsigned char key[ES_SIG_MEMO_KEY_LEN], const unsigned char object_sha256[32], X509 *issuer);
int es_sig_memo_known(es_sig_memo *m, const unsigned char key[ES_SIG_MEMO_KEY_LEN]);
void es_sig_memo_add(es_sig_memo *m, const unsigned char key[ES_SIG_MEMO_KEY_LEN]);

#endif
