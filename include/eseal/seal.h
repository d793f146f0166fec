/* eseal: GB/T 38540-2020 SESeal (v4) and GM/T 0031-2014 SESeal (v1) objects.
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#ifndef ESEAL_SEAL_H
#define ESEAL_SEAL_H

#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include "eseal/err.h"
#include "eseal/report.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Parsed SESeal (read-only).  Free with es_seal_free(). */
typedef struct es_seal es_seal;

/** Parse a DER SESeal: v4 (GB/T 38540), ofdrw "v5" (same layout) or v1
 * (GM/T 0031).  Trailing bytes, wrong tags, absurd lengths → ES_EFORMAT.
 * The input is copied; *out owns its memory. */
int es_seal_parse(es_seal **out, const unsigned char *der, size_t len, es_err *err);
void es_seal_free(es_seal *s);

int es_seal_version(const es_seal *s);          /**< header version: 1, 4 or 5 */
const char *es_seal_vid(const es_seal *s);      /**< header vendor id */
const char *es_seal_esid(const es_seal *s);     /**< seal code (esID) */
int es_seal_type(const es_seal *s);             /**< property type */
const char *es_seal_name(const es_seal *s);     /**< property name, UTF-8 */
time_t es_seal_create_date(const es_seal *s);
time_t es_seal_valid_start(const es_seal *s);
time_t es_seal_valid_end(const es_seal *s);
/** certListType: 1 = certificates, 2 = certificate digests (v1: 1). */
int es_seal_cert_list_type(const es_seal *s);
size_t es_seal_cert_count(const es_seal *s);
/** i-th entry of the cert list (DER cert, or digest for type 2); borrowed. */
const unsigned char *es_seal_cert_at(const es_seal *s, size_t i, size_t *len);
const char *es_seal_picture_type(const es_seal *s);  /**< "PNG", "GIF", "ofd", ... */
const unsigned char *es_seal_picture(const es_seal *s, size_t *len);
int es_seal_picture_width_mm(const es_seal *s);
int es_seal_picture_height_mm(const es_seal *s);
/** Maker (制章人) certificate DER; borrowed. */
const unsigned char *es_seal_maker_cert(const es_seal *s, size_t *len);
/** The whole DER as parsed; borrowed. */
const unsigned char *es_seal_der(const es_seal *s, size_t *len);

/** Is cert (DER) one of the seal's holder certificates (by value, or by
 * digest for certListType 2)?  1 yes, 0 no. */
int es_seal_lists_cert(const es_seal *s, const unsigned char *cert, size_t len);

/** Checks a seal: maker signature (v4: over DER(eSealInfo); v1: over
 * DER(SEQUENCE{sealInfo, cert, alg})), validity at `at` (0 = now), maker
 * certificate chain to anchors (may be NULL → INDETERMINATE).  Adds findings to
 * sig and fills its seal_* fields.  Returns 0 when the checks ran (the verdict
 * is in the findings), <0 when they could not run. */
int es_seal_check(const es_seal *s, es_report *r, es_sig_report *sig,
		  STACK_OF(X509) *anchors, time_t at, es_err *err);

/** What a new v4 seal says. */
typedef struct es_seal_info {
	const char *vid;              /**< vendor id, e.g. "eseal" */
	const char *esid;             /**< seal code */
	int type;                     /**< 1 organisation seal, 2 personal (GB/T 38540 leaves values to the platform; see docs) */
	const char *name;             /**< seal name, UTF-8 */
	X509 **certs;                 /**< holder certificates (certListType 1) */
	size_t ncerts;
	time_t create_date, valid_start, valid_end;
	const char *picture_type;     /**< "PNG" */
	const unsigned char *picture;
	size_t picture_len;
	int width_mm, height_mm;
} es_seal_info;

/** Build and sign a GB/T 38540 v4 SESeal with the maker's SM2 key, verify it,
 * and return its DER (*der malloc'd). */
int es_seal_make_v4(unsigned char **der, size_t *len, const es_seal_info *info,
		    X509 *maker, EVP_PKEY *maker_key, es_err *err);

#ifdef __cplusplus
}
#endif
#endif
