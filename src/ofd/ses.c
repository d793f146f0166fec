/* SES_Signature readers: GB/T 38540 v4, GM/T 0031 v1, GB/T 35275 SignedData
 * (Type="Sign") and bare SM2 signatures.  Layouts: shared/research/gbt38540.md.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ofd_int.h"

#define TAG_INT 0x02
#define TAG_BITS 0x03
#define TAG_OCTETS 0x04
#define TAG_OID 0x06
#define TAG_IA5 0x16
#define TAG_UTCTIME 0x17
#define TAG_GENTIME 0x18
#define TAG_SEQ 0x30
#define TAG_SET 0x31
#define TAG_CTX0 0xa0
#define TAG_CTX1 0xa1

void ofd_ses_clear(ofd_ses *s)
{
	free(s->owned);
	memset(s, 0, sizeof(*s));
}

/* BIT STRING or OCTET STRING value (non-standard producers use either). */
static int octets_or_bits(const ofd_tlv *t, const unsigned char **p, size_t *len)
{
	if (t->tag == TAG_OCTETS) {
		*p = t->val;
		*len = t->vlen;
		return 0;
	}
	if (t->tag == TAG_BITS && t->vlen >= 1 && t->val[0] == 0) {
		*p = t->val + 1;
		*len = t->vlen - 1;
		return 0;
	}
	return -1;
}

static void copy_text(char *buf, size_t cap, const unsigned char *p, size_t n)
{
	size_t i;

	if (n >= cap)
		n = cap - 1;
	for (i = 0; i < n; i++)
		buf[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	buf[n] = 0;
}

static int small_int(const ofd_tlv *t, int *v)
{
	size_t i;

	if (t->tag != TAG_INT || t->vlen == 0 || t->vlen > 3)
		return -1;
	*v = 0;
	for (i = 0; i < t->vlen; i++)
		*v = (*v << 8) | t->val[i];
	return 0;
}

static int time_field(ofd_ses *s, const ofd_tlv *t)
{
	const unsigned char *p;
	size_t n;

	if (t->tag == TAG_GENTIME || t->tag == TAG_UTCTIME) {
		copy_text(s->time_text, sizeof(s->time_text), t->val, t->vlen);
		return 0;
	}
	if (octets_or_bits(t, &p, &n) == 0) { /* v1: text "yyyy-MM-dd HH:mm:ss" */
		copy_text(s->time_text, sizeof(s->time_text), p, n);
		return 0;
	}
	return -1;
}

static int parse_tbs(ofd_ses *s)
{
	const unsigned char *p = s->tbs.val;
	ofd_tlv t;

	if (ofd_der_child(&t, &s->tbs, &p) < 0 || small_int(&t, &s->version) < 0)
		return -1;
	if (ofd_der_child(&s->seal, &s->tbs, &p) < 0 || s->seal.tag != TAG_SEQ)
		return -1;
	if (ofd_der_child(&t, &s->tbs, &p) < 0 || time_field(s, &t) < 0)
		return -1;
	if (ofd_der_child(&t, &s->tbs, &p) < 0 || octets_or_bits(&t, &s->data_hash, &s->data_hash_len) < 0)
		return -1;
	if (ofd_der_child(&t, &s->tbs, &p) < 0 || (t.tag != TAG_IA5 && t.tag != 0x0c && t.tag != TAG_OCTETS))
		return -1;
	copy_text(s->property, sizeof(s->property), t.val, t.vlen);
	if (s->version == 1) { /* GM/T 0031: cert and algorithm inside TBS_Sign */
		if (ofd_der_child(&t, &s->tbs, &p) < 0 || t.tag != TAG_OCTETS)
			return -1;
		s->cert = t.val;
		s->cert_len = t.vlen;
		if (ofd_der_child(&t, &s->tbs, &p) < 0 || ofd_der_oid_text(s->alg, sizeof(s->alg), &t) < 0)
			return -1;
	}
	return 0;
}

static int parse_ses(ofd_ses *s, const ofd_tlv *top)
{
	const unsigned char *p = top->val;
	ofd_tlv t;

	if (ofd_der_child(&s->tbs, top, &p) < 0 || s->tbs.tag != TAG_SEQ || parse_tbs(s) < 0)
		return -1;
	s->signed_bytes = s->tbs.raw;
	s->signed_len = s->tbs.rawlen;
	if (s->version == 1) {
		s->kind = 1;
		if (ofd_der_child(&t, top, &p) < 0 || octets_or_bits(&t, &s->sig, &s->sig_len) < 0)
			return -1;
		return 0;
	}
	s->kind = 4;
	if (ofd_der_child(&t, top, &p) < 0 || t.tag != TAG_OCTETS)
		return -1;
	s->cert = t.val;
	s->cert_len = t.vlen;
	if (ofd_der_child(&t, top, &p) < 0 || ofd_der_oid_text(s->alg, sizeof(s->alg), &t) < 0)
		return -1;
	if (ofd_der_child(&t, top, &p) < 0 || octets_or_bits(&t, &s->sig, &s->sig_len) < 0)
		return -1;
	if (p < top->val + top->vlen) { /* timeStamp [0] EXPLICIT BIT STRING */
		ofd_tlv in;
		const unsigned char *q;

		if (ofd_der_child(&t, top, &p) < 0 || t.tag != TAG_CTX0)
			return -1;
		q = t.val;
		if (ofd_der_read(&in, &q, t.val + t.vlen) < 0 || octets_or_bits(&in, &s->ts, &s->ts_len) < 0)
			return -1;
	}
	return 0;
}

/* messageDigest among the signed attributes. */
static void find_message_digest(ofd_ses *s, const ofd_tlv *attrs)
{
	const unsigned char *p = attrs->val;
	ofd_tlv a;

	while (ofd_der_child(&a, attrs, &p) == 0) {
		const unsigned char *q = a.val;
		ofd_tlv oid, set, v;
		char txt[64];

		if (ofd_der_child(&oid, &a, &q) < 0 || ofd_der_oid_text(txt, sizeof(txt), &oid) < 0)
			continue;
		if (ofd_der_child(&set, &a, &q) < 0)
			continue;
		q = set.val;
		if (ofd_der_child(&v, &set, &q) < 0)
			continue;
		if (strcmp(txt, "1.2.840.113549.1.9.4") == 0 && v.tag == TAG_OCTETS) {
			s->data_hash = v.val;
			s->data_hash_len = v.vlen;
		} else if (strcmp(txt, "1.2.840.113549.1.9.5") == 0 &&
			   (v.tag == TAG_UTCTIME || v.tag == TAG_GENTIME)) {
			copy_text(s->time_text, sizeof(s->time_text), v.val, v.vlen);
		}
	}
}

static int parse_signer_info(ofd_ses *s, const ofd_tlv *si)
{
	const unsigned char *p = si->val;
	ofd_tlv t;

	if (ofd_der_child(&t, si, &p) < 0 || t.tag != TAG_INT) /* version */
		return -1;
	if (ofd_der_child(&t, si, &p) < 0 || ofd_der_child(&t, si, &p) < 0) /* sid, digestAlg */
		return -1;
	if (ofd_der_child(&t, si, &p) < 0)
		return -1;
	if (t.tag == TAG_CTX0) { /* signed attributes, signed as SET OF (RFC 5652 5.4) */
		find_message_digest(s, &t);
		s->owned = malloc(t.rawlen);
		if (s->owned == NULL)
			return -1;
		memcpy(s->owned, t.raw, t.rawlen);
		s->owned[0] = TAG_SET;
		s->signed_bytes = s->owned;
		s->signed_len = t.rawlen;
		if (ofd_der_child(&t, si, &p) < 0)
			return -1;
	}
	{
		const unsigned char *q = t.val;
		ofd_tlv oid;

		if (t.tag == TAG_SEQ && ofd_der_read(&oid, &q, t.val + t.vlen) == 0)
			ofd_der_oid_text(s->alg, sizeof(s->alg), &oid);
	}
	if (ofd_der_child(&t, si, &p) < 0 || t.tag != TAG_OCTETS)
		return -1;
	s->sig = t.val;
	s->sig_len = t.vlen;
	return 0;
}

/* encapContentInfo [0] OCTET STRING: some producers sign SM3(Signature.xml)
 * carried here instead of using signed attributes (keyword.ofd). */
static void embedded_content(ofd_ses *s, const ofd_tlv *ci)
{
	const unsigned char *p = ci->val, *q;
	ofd_tlv oid, ctx, oct;

	if (ofd_der_child(&oid, ci, &p) < 0 || ofd_der_child(&ctx, ci, &p) < 0 || ctx.tag != TAG_CTX0)
		return;
	q = ctx.val;
	if (ofd_der_read(&oct, &q, ctx.val + ctx.vlen) < 0 || oct.tag != TAG_OCTETS)
		return;
	s->data_hash = oct.val;
	s->data_hash_len = oct.vlen;
	s->signed_bytes = oct.val;
	s->signed_len = oct.vlen;
}

static int parse_signed_data(ofd_ses *s, const ofd_tlv *top)
{
	const unsigned char *p = top->val, *q;
	ofd_tlv oid, ctx, sd, t;

	if (ofd_der_child(&oid, top, &p) < 0 || ofd_der_child(&ctx, top, &p) < 0 || ctx.tag != TAG_CTX0)
		return -1;
	q = ctx.val;
	if (ofd_der_read(&sd, &q, ctx.val + ctx.vlen) < 0 || sd.tag != TAG_SEQ)
		return -1;
	s->kind = 35275;
	p = sd.val;
	if (ofd_der_child(&t, &sd, &p) < 0 || ofd_der_child(&t, &sd, &p) < 0 || ofd_der_child(&t, &sd, &p) < 0)
		return -1; /* version, digestAlgorithms, contentInfo */
	embedded_content(s, &t);
	if (ofd_der_child(&t, &sd, &p) < 0)
		return -1;
	if (t.tag == TAG_CTX0) {
		const unsigned char *c = t.val;
		ofd_tlv cert;

		while (s->ncerts < ES_ARRAY_LEN(s->certs) && ofd_der_child(&cert, &t, &c) == 0) {
			s->certs[s->ncerts] = cert.raw;
			s->certs_len[s->ncerts++] = cert.rawlen;
		}
		if (ofd_der_child(&t, &sd, &p) < 0)
			return -1;
	}
	if (t.tag == TAG_CTX1 && ofd_der_child(&t, &sd, &p) < 0)
		return -1;
	if (t.tag != TAG_SET)
		return -1;
	q = t.val;
	{
		ofd_tlv si;

		if (ofd_der_read(&si, &q, t.val + t.vlen) < 0 || si.tag != TAG_SEQ)
			return -1;
		if (parse_signer_info(s, &si) < 0)
			return -1;
	}
	if (s->ncerts) {
		s->cert = s->certs[0];
		s->cert_len = s->certs_len[0];
	}
	return 0;
}

int ofd_ses_parse(ofd_ses *s, const unsigned char *der, size_t len)
{
	const unsigned char *p = der, *q;
	ofd_tlv top, first;

	memset(s, 0, sizeof(*s));
	if (ofd_der_read(&top, &p, der + len) < 0 || top.tag != TAG_SEQ || p != der + len)
		return -1;
	q = top.val;
	if (ofd_der_child(&first, &top, &q) < 0)
		return -1;
	if (first.tag == TAG_SEQ)
		return parse_ses(s, &top);
	if (first.tag == TAG_OID)
		return parse_signed_data(s, &top);
	if (first.tag == TAG_INT) { /* bare DER SEQUENCE{r, s} */
		s->kind = 2;
		s->sig = der;
		s->sig_len = len;
		return 0;
	}
	return -1;
}
