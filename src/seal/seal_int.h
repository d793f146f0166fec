/* Private: the parsed SESeal shared by parse, check and make.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_SEAL_INT_H
#define ES_SEAL_INT_H

#include <stddef.h>
#include <time.h>
#include "eseal/seal.h"

/* Which ASN.1 module the bytes follow (not the header version number). */
enum { SEAL_LAYOUT_V1 = 1, SEAL_LAYOUT_V4 = 4 };

typedef struct seal_cert {
	const unsigned char *p; /* DER cert (type 1) or digest value (type 2) */
	size_t len;
	char *digest_alg;       /* type 2 only: e.g. "SM3", "SHA1" */
} seal_cert;

typedef struct seal_span {
	const unsigned char *p;
	size_t len;
} seal_span;

struct es_seal {
	unsigned char *der;
	size_t der_len;
	int layout;
	int version;
	char *vid, *esid, *name, *pic_type;
	int type, cert_list_type;
	time_t create_date, valid_start, valid_end;
	seal_cert *certs;
	size_t ncerts;
	size_t nodd_certs;       /* GM/T 0031 certList entries that are not certificates (skipped) */
	seal_span picture;
	int width_mm, height_mm;
	seal_span info_tlv;    /* whole eSealInfo element */
	seal_span cert_tlv;    /* whole maker cert OCTET STRING element */
	seal_span alg_tlv;     /* whole signature algorithm OID element */
	seal_span maker_cert;  /* maker cert DER (contents of cert_tlv) */
	seal_span alg_oid;     /* OID contents */
	seal_span sig;         /* signature bytes (BIT STRING minus unused-bits byte) */
};

/** Verify the maker signature of s with maker's public key: 0 good,
 * ES_EVERIFY bad, other codes when it cannot be checked. */
int seal_verify_maker_sig(const es_seal *s, X509 *maker, es_err *err);

/** Length of the well-formed UTF-8 sequence at s (n bytes left), 0 if none. */
size_t seal_utf8_seq(const unsigned char *s, size_t n);
/** 1 when s is well-formed UTF-8. */
int seal_utf8_valid(const char *s);
/** Copy src as UTF-8 for a report: bad bytes and control characters become
 * '?', truncation happens between characters; dst always terminated. */
void seal_text_copy(char *dst, size_t cap, const char *src);

#endif
