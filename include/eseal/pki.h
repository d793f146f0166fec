/* eseal: platform PKI — keys, key wrapping, certificates, CRLs, timestamps.
 *
 * Two algorithm families: SM2/SM3 (GB/T 38540 seals, OFD) and ECDSA P-256/SHA-256
 * (PAdES).  Every private key at rest is wrapped with AES-256-GCM under the
 * platform key-encryption key (KEK).  OpenSSL types are part of this API.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#ifndef ESEAL_PKI_H
#define ESEAL_PKI_H

#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "eseal/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ES_KEK_LEN 32
/** GM/T 0009 default SM2 distinguishing identifier. */
#define ES_SM2_DEFAULT_ID "1234567812345678"

typedef enum es_alg {
	ES_ALG_SM2 = 1,  /**< SM2 curve, SM3withSM2 signatures */
	ES_ALG_P256 = 2  /**< NIST P-256, ECDSA with SHA-256 */
} es_alg;

/** "sm2" or "p256" (used in URLs and file names). */
const char *es_alg_name(es_alg alg);

/* ---- SM2 primitives (src/pki/sm2.c) ---- */

/** SM3withSM2 signature (ZA with ES_SM2_DEFAULT_ID) of data; *sig is DER
 * SEQUENCE{r,s}, free with OPENSSL_free(). */
int es_sm2_sign(unsigned char **sig, size_t *siglen, EVP_PKEY *key,
		const unsigned char *data, size_t len, es_err *err);
/** Verify an SM3withSM2 signature.  sig may be DER SEQUENCE{r,s} or raw 64-byte
 * r||s (some producers write that).  Returns 0 when valid, ES_EVERIFY when not,
 * another code when the inputs are unusable. */
int es_sm2_verify(EVP_PKEY *pub, const unsigned char *sig, size_t siglen,
		  const unsigned char *data, size_t len, es_err *err);
/** SM3 digest (32 bytes). */
int es_sm3(unsigned char out[32], const unsigned char *data, size_t len, es_err *err);

/* ---- keys (src/pki/keys.c) ---- */

/** Generate a fresh key pair of the family. */
int es_key_generate(EVP_PKEY **out, es_alg alg, es_err *err);
/** Wrap a private key (PKCS#8 DER) with AES-256-GCM under kek.  aad binds the
 * blob to its owner (e.g. "seal:ES2026...:sm2"); unwrap must give the same aad.
 * *out is malloc'd; format documented in docs/keys.md. */
int es_key_wrap(unsigned char **out, size_t *outlen, EVP_PKEY *key,
		const unsigned char kek[ES_KEK_LEN], const char *aad, es_err *err);
int es_key_unwrap(EVP_PKEY **out, const unsigned char *blob, size_t len,
		  const unsigned char kek[ES_KEK_LEN], const char *aad, es_err *err);
/** AES-256-GCM of arbitrary bytes (personal data); same blob format. */
int es_secret_seal(unsigned char **out, size_t *outlen, const unsigned char *plain,
		   size_t len, const unsigned char kek[ES_KEK_LEN], const char *aad, es_err *err);
int es_secret_open(unsigned char **out, size_t *outlen, const unsigned char *blob,
		   size_t len, const unsigned char kek[ES_KEK_LEN], const char *aad, es_err *err);
/** Load the KEK: $ESEAL_MASTER_KEY_FILE if set, else DATA/master.key.  With
 * create != 0 and no file, generate one (0600).  The file holds 64 hex chars. */
int es_kek_load(unsigned char kek[ES_KEK_LEN], const char *data_dir, int create, es_err *err);

/* ---- certificates (src/pki/cert.c) ---- */

typedef enum es_cert_kind {
	ES_CERT_ROOT_CA = 1,
	ES_CERT_ISSUING_CA,
	ES_CERT_SEAL_MAKER,  /**< 制章人: signs SESeal objects (SM2) */
	ES_CERT_TSA,         /**< EKU timeStamping, critical */
	ES_CERT_OCSP,        /**< EKU OCSPSigning, id-pkix-ocsp-nocheck */
	ES_CERT_HOLDER       /**< seal holder: digitalSignature + nonRepudiation */
} es_cert_kind;

typedef struct es_cert_req {
	es_cert_kind kind;
	EVP_PKEY *subject_key;      /**< public key to certify */
	const char *cn, *o, *ou;    /**< subject (UTF-8); C=CN is added */
	const char *serial_hex;     /**< NULL: random 16-byte serial */
	time_t not_before;          /**< 0: now - 5 minutes */
	int days;                   /**< validity */
	const char *base_url;       /**< e.g. http://127.0.0.1:8600; CDP <base>/api/v1/crl/<family>.crl, AIA OCSP <base>/api/v1/ocsp */
} es_cert_req;

/** Issue a certificate.  issuer == NULL means self-signed by req->subject_key
 * (root).  The signature algorithm follows the issuer key: SM3withSM2 (with the
 * default SM2 id) or ecdsa-with-SHA256. */
int es_cert_issue(X509 **out, const es_cert_req *req, X509 *issuer,
		  EVP_PKEY *issuer_key, es_err *err);
/** Subject CN / O as UTF-8 into buf ("" when absent). */
void es_cert_cn(const X509 *c, char *buf, size_t cap);
void es_cert_o(const X509 *c, char *buf, size_t cap);
/** Serial as upper-case hex. */
void es_cert_serial_hex(const X509 *c, char *buf, size_t cap);
/** Verify a certificate signature with issuer's key (handles SM2 id). 0 = ok.
 * Good results are remembered process-wide (256 entries, keyed by the SHA-256
 * of the certificate and of the issuer's public key); failures never are. */
int es_cert_check_signature(X509 *cert, X509 *issuer, es_err *err);

/** Outcome of a chain check. */
typedef enum es_chain_status {
	ES_CHAIN_OK = 0,        /**< reaches an anchor, all signatures good, valid at the time */
	ES_CHAIN_UNTRUSTED,     /**< does not reach an anchor */
	ES_CHAIN_EXPIRED,       /**< reaches an anchor but not valid at the time */
	ES_CHAIN_BAD_SIGNATURE  /**< a certificate signature in the path is wrong */
} es_chain_status;
/** Build and check leaf → anchor using extra (may be NULL); SM2-aware.
 * at == 0 means now. */
int es_chain_check(es_chain_status *out, X509 *leaf, STACK_OF(X509) *extra,
		   STACK_OF(X509) *anchors, time_t at, es_err *err);

/* ---- CRL and OCSP (src/pki/crl.c, src/pki/ocsp.c) ---- */

typedef struct es_revoked {
	const char *serial_hex;
	time_t when;
	int reason;                 /**< CRLReason code, e.g. 1 keyCompromise, 5 cessationOfOperation */
} es_revoked;
/** DER CRL signed by ca (next update in days). *der malloc'd. */
int es_crl_make(unsigned char **der, size_t *len, X509 *ca, EVP_PKEY *ca_key,
		const es_revoked *list, size_t n, int next_update_days, es_err *err);

/* ---- RFC 3161 timestamps (src/pki/tsa.c) ---- */

/** Make a TimeStampToken (DER ContentInfo) for a message imprint.
 * md_nid: NID_sha256 or NID_sm3. */
int es_tsa_stamp(unsigned char **token, size_t *len, const unsigned char *digest,
		 size_t dlen, int md_nid, X509 *tsa_cert, EVP_PKEY *tsa_key,
		 STACK_OF(X509) *chain, es_err *err);
/** Answer an RFC 3161 TimeStampReq (DER) with a TimeStampResp (DER). */
int es_tsa_respond(unsigned char **resp, size_t *len, const unsigned char *req,
		   size_t reqlen, X509 *tsa_cert, EVP_PKEY *tsa_key,
		   STACK_OF(X509) *chain, es_err *err);
/** Ask an external TSA over HTTP (libcurl) for a token over digest. */
int es_tsa_fetch(unsigned char **token, size_t *len, const char *url,
		 const unsigned char *digest, size_t dlen, int md_nid, es_err *err);

/** Callback a signer uses to get a timestamp token over digest. */
typedef int (*es_tsa_fn)(void *ctx, const unsigned char *digest, size_t dlen, int md_nid,
			 unsigned char **token, size_t *len, es_err *err);


/* ---- additions (src/pki/keys.c, cert.c, ocsp.c, tsa.c) ---- */

/* Notes on the functions above (docs/keys.md has the details):
 * - es_cert_issue(): notAfter is cut to the issuer's notAfter.  With a
 *   base_url, an ISSUING_CA certificate points at the root's CRL
 *   "<base>/api/v1/crl/<family>-root.crl" and has no OCSP pointer; every
 *   other non-root certificate points at "<family>.crl" and "<base>/api/v1/ocsp".
 * - es_crl_make(): CRL number = issue time in microseconds (increasing).
 * - es_tsa_stamp() / es_tsa_respond() also work with an SM2 TSA key: the
 *   token is then built with CMS (SM3, SM2-with-SM3, default SM2 id), which
 *   `openssl ts -verify` cannot check; use es_tsa_token_verify().  Refused
 *   requests get a rejection TimeStampResp with failInfo and return 0.
 * - es_tsa_fetch(): 15 s timeout, http/https only, reply must be granted and
 *   carry our nonce and imprint; ES_ENET for transport/refusal, ES_EVERIFY
 *   for a reply that does not match. */

/** Family of a key: ES_ALG_SM2 for an SM2 key, ES_ALG_P256 for an EC P-256
 * key, 0 for anything else.  Signing functions accept only these two. */
int es_key_alg(EVP_PKEY *key);

/** One algorithm family of the platform PKI: root CA (20 years) → issuing CA
 * (10 years, pathlen 0) → TSA and OCSP responder certificates (5 years).
 * Every member is owned by the struct; free with es_pki_family_clear(). */
typedef struct es_pki_family {
	es_alg alg;
	X509 *root, *issuing, *tsa, *ocsp;
	EVP_PKEY *root_key, *issuing_key, *tsa_key, *ocsp_key;
} es_pki_family;

/** Generate keys and certificates of a new family.  Subjects are
 * "<platform_name> SM2 Root CA", "... Issuing CA", "... TSA", "... OCSP
 * Responder" (P-256 instead of SM2 for the other family), O=<platform_name>.
 * base_url (may be NULL) goes into CRL distribution points and AIA.
 * On error *out is left cleared. */
int es_pki_family_create(es_pki_family *out, es_alg alg, const char *platform_name,
			 const char *base_url, es_err *err);
/** Free every member and zero the struct; NULL and cleared structs are fine. */
void es_pki_family_clear(es_pki_family *f);

/** DER of a certificate; *der malloc'd (free()). */
int es_cert_to_der(unsigned char **der, size_t *len, X509 *c, es_err *err);
/** Parse one DER certificate; trailing bytes → ES_EFORMAT.  Free with X509_free(). */
int es_cert_from_der(X509 **out, const unsigned char *der, size_t len, es_err *err);
/** PEM of a certificate, NUL-terminated; *pem malloc'd (free()). */
int es_cert_to_pem(char **pem, X509 *c, es_err *err);

/** Check a TimeStampToken (DER ContentInfo) against a message imprint:
 * signature by the token's signer (SM3withSM2 with the default id, or what
 * OpenSSL supports), ESS signing-certificate(-v2) binding, imprint == digest
 * with md_nid.  tsa_cert != NULL: the signer must be that certificate; NULL:
 * the certificate carried in the token is used.  Does NOT build the TSA's
 * chain: check *signer with es_chain_check().  gen_time and signer may be NULL;
 * *signer is a new reference (X509_free()).
 * @return 0, ES_EVERIFY when the token does not match or verify, ES_EFORMAT
 * when it cannot be parsed. */
int es_tsa_token_verify(time_t *gen_time, X509 **signer, const unsigned char *token,
			size_t len, const unsigned char *digest, size_t dlen, int md_nid,
			X509 *tsa_cert, es_err *err);

/** Upper bound of the DER length of a TimeStampToken that es_tsa_stamp()
 * makes with tsa_cert and chain (both embedded; any accepted imprint; no
 * nonce): the room to reserve before stamping, e.g. in
 * es_pdf_sign_opts.tsa_reserve.  Computed from the certificates' DER
 * lengths plus a fixed allowance for everything else (src/pki/tsa.c).
 * @return 0, ES_EINVAL without a certificate, ES_ECRYPTO when one cannot
 * be encoded. */
int es_tsa_token_max_len(size_t *out, X509 *tsa_cert, STACK_OF(X509) *chain, es_err *err);

/** Check a CRL's signature with issuer's key (SM3withSM2 with the default
 * id, or ECDSA-SHA256).  0, or ES_EVERIFY (also when the CRL names another
 * issuer).  Does not look at the update times.  Good results are remembered
 * process-wide (64 entries, keyed by the CRL's and the issuer key's SHA-256). */
int es_crl_check_signature(X509_CRL *crl, X509 *issuer, es_err *err);

/** TSA policy of eseal timestamps.  A placeholder under an unassigned private
 * enterprise arc (docs/keys.md): replace once eseal has its own PEN. */
#define ES_TSA_POLICY_OID "1.3.6.1.4.1.99999.1"

/* ---- OCSP (src/pki/ocsp.c, RFC 6960) ---- */

/** Status look-up used by the responder.  serial_hex is upper-case hex as
 * es_cert_serial_hex() writes it.  Return 0 and set *revoked (0 good, 1
 * revoked; then *when and *reason, a CRLReason code, 0 = unspecified);
 * ES_ENOTFOUND for a serial the CA never issued (answered "unknown"); any
 * other negative code fails es_ocsp_respond() with that code (a server may
 * then answer HTTP 500 or an internalError OCSPResponse, 30 03 0A 01 02). */
typedef int (*es_cert_status_fn)(void *ctx, const char *serial_hex, int *revoked,
				 time_t *when, int *reason);

/** Answer a DER OCSPRequest with a DER OCSPResponse: a basic response signed
 * by responder (the issuer itself, or a certificate issued by it with
 * OCSPSigning), thisUpdate now, nextUpdate in ES_OCSP_VALID_SECS, request nonce
 * echoed.  Unparseable request → malformedRequest; no CertID for issuer →
 * unauthorized; a mix → those CertIDs answered unknown.  Those are valid
 * answers: the function still returns 0.  *resp malloc'd (free()).
 * @return 0, ES_EINVAL when responder is not authorised by issuer, the status
 * callback's code when it failed, ES_ECRYPTO. */
#define ES_OCSP_VALID_SECS (24 * 60 * 60)
int es_ocsp_respond(unsigned char **resp, size_t *len, const unsigned char *req,
		    size_t reqlen, X509 *issuer, X509 *responder, EVP_PKEY *responder_key,
		    es_cert_status_fn status, void *ctx, es_err *err);
/** DER OCSPRequest for cert (SHA-1 CertID, as RFC 5019 clients send) with a
 * random nonce.  *req malloc'd (free()). */
int es_ocsp_request_make(unsigned char **req, size_t *len, X509 *cert, X509 *issuer,
			 es_err *err);
/** Read an OCSPResponse for cert: response status successful, signature by
 * issuer or by a responder certificate issued by it with OCSPSigning that
 * chains to anchors (SM2 aware), thisUpdate not in the future and nextUpdate
 * (when present) not past, allowing ES_OCSP_SKEW_SECS.
 * *revoked: 0 good, 1 revoked, -1 unknown.
 * @return 0, ES_EVERIFY (bad signature, untrusted responder, stale, cert not
 * in the response), ES_ENET (responder answered an error status), ES_EFORMAT. */
#define ES_OCSP_SKEW_SECS (5 * 60)
int es_ocsp_response_status(int *revoked, const unsigned char *resp, size_t len,
			    X509 *cert, X509 *issuer, STACK_OF(X509) *anchors, es_err *err);

#ifdef __cplusplus
}
#endif
#endif
