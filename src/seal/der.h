/* Minimal strict DER reader and writer for the SESeal structures.
 *
 * Reader: one-byte tags only, definite lengths in minimal form, every length
 * bounds-checked against what is left.  It never recurses: callers walk a fixed
 * schema, so nesting depth is bounded by the schema, not by the input.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_SEAL_DER_H
#define ES_SEAL_DER_H

#include <stddef.h>
#include <time.h>
#include "eseal/err.h"
#include "util/util.h"

#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_OID 0x06
#define DER_UTF8_STRING 0x0c
#define DER_PRINTABLE_STRING 0x13
#define DER_IA5_STRING 0x16
#define DER_UTC_TIME 0x17
#define DER_GENERALIZED_TIME 0x18
#define DER_SEQUENCE 0x30

/** Bytes still to read. */
typedef struct der_cur {
	const unsigned char *p;
	size_t len;
} der_cur;

/** One element: raw = whole TLV, val = contents. */
typedef struct der_tlv {
	unsigned char tag;
	const unsigned char *raw;
	size_t raw_len;
	const unsigned char *val;
	size_t len;
} der_tlv;

/** Read the next element; -1 when malformed or nothing left. */
int der_read(der_cur *c, der_tlv *out);
/** Read the next element and require its tag; -1 otherwise. */
int der_expect(der_cur *c, unsigned char tag, der_tlv *out);
/** Tag of the next element, -1 when none is left. */
int der_peek(const der_cur *c);
/** Cursor over an element's contents. */
der_cur der_in(const der_tlv *t);
/** Small non-negative INTEGER (fits in an int); -1 otherwise. */
int der_small_uint(const der_tlv *t, int *out);
/** UTCTime or GeneralizedTime → time_t (UTC); -1 when malformed. */
int der_time(const der_tlv *t, time_t *out);

/* Writer (appends to an es_buf). */
int der_put(es_buf *b, unsigned char tag, const void *p, size_t n, es_err *err);
int der_put_uint(es_buf *b, unsigned long v, es_err *err);
int der_put_gentime(es_buf *b, time_t t, es_err *err);
/** Write b's contents wrapped as one element with tag into out. */
int der_wrap(es_buf *out, unsigned char tag, const es_buf *b, es_err *err);

#endif
