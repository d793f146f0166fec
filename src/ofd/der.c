/* Minimal DER reader/writer for SES_Signature and GB/T 35275 SignedData.
 * Definite lengths only, single-byte tags, bounds checked on every step.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ofd_int.h"

int ofd_der_read(ofd_tlv *t, const unsigned char **p, const unsigned char *end)
{
	const unsigned char *q = *p;
	size_t len = 0, nb, i;

	if (q >= end || end - q < 2)
		return -1;
	t->raw = q;
	t->tag = *q++;
	if ((t->tag & 0x1f) == 0x1f)
		return -1; /* multi-byte tags do not occur in these structures */
	if (*q < 0x80) {
		len = *q++;
	} else {
		nb = *q++ & 0x7f;
		if (nb == 0 || nb > 4 || (size_t)(end - q) < nb)
			return -1;
		for (i = 0; i < nb; i++)
			len = (len << 8) | *q++;
	}
	if ((size_t)(end - q) < len)
		return -1;
	t->val = q;
	t->vlen = len;
	t->rawlen = (size_t)(q - t->raw) + len;
	*p = q + len;
	return 0;
}

int ofd_der_child(ofd_tlv *c, const ofd_tlv *parent, const unsigned char **p)
{
	return ofd_der_read(c, p, parent->val + parent->vlen);
}

int ofd_der_put(es_buf *b, unsigned tag, const void *val, size_t len, es_err *err)
{
	unsigned char hdr[6];
	size_t h = 0;
	int rc;

	hdr[h++] = (unsigned char)tag;
	if (len < 0x80) {
		hdr[h++] = (unsigned char)len;
	} else if (len < 0x100) {
		hdr[h++] = 0x81;
		hdr[h++] = (unsigned char)len;
	} else if (len < 0x10000) {
		hdr[h++] = 0x82;
		hdr[h++] = (unsigned char)(len >> 8);
		hdr[h++] = (unsigned char)len;
	} else if (len < 0x1000000) {
		hdr[h++] = 0x83;
		hdr[h++] = (unsigned char)(len >> 16);
		hdr[h++] = (unsigned char)(len >> 8);
		hdr[h++] = (unsigned char)len;
	} else {
		return es_err_set(err, ES_ERANGE, "DER value too long");
	}
	if ((rc = es_buf_append(b, hdr, h, err)) < 0)
		return rc;
	return len ? es_buf_append(b, val, len, err) : 0;
}

int ofd_der_oid_text(char *buf, size_t cap, const ofd_tlv *t)
{
	size_t i, o = 0;
	unsigned long v = 0;
	int first = 1, n;

	buf[0] = 0;
	if (t->tag != 0x06 || t->vlen == 0 || t->vlen > 64)
		return -1;
	for (i = 0; i < t->vlen; i++) {
		if (v > (1UL << 48))
			return -1;
		v = (v << 7) | (t->val[i] & 0x7f);
		if (t->val[i] & 0x80)
			continue;
		if (first) {
			unsigned long a = v < 40 ? 0 : v < 80 ? 1 : 2;
			n = snprintf(buf + o, cap - o, "%lu.%lu", a, v - a * 40);
			first = 0;
		} else {
			n = snprintf(buf + o, cap - o, ".%lu", v);
		}
		if (n < 0 || (size_t)n >= cap - o)
			return -1;
		o += (size_t)n;
		v = 0;
	}
	return (t->val[t->vlen - 1] & 0x80) ? -1 : 0;
}

int ofd_der_put_oid(es_buf *b, const char *dotted, es_err *err)
{
	unsigned char out[64];
	unsigned long arcs[32];
	size_t n = 0, o = 0, i;
	const char *s = dotted;

	while (*s && n < ES_ARRAY_LEN(arcs)) {
		char *end;

		arcs[n++] = strtoul(s, &end, 10);
		if (end == s)
			return es_err_set(err, ES_EINVAL, "bad OID %s", dotted);
		s = *end == '.' ? end + 1 : end;
	}
	if (n < 2)
		return es_err_set(err, ES_EINVAL, "bad OID %s", dotted);
	arcs[1] += arcs[0] * 40;
	for (i = 1; i < n; i++) {
		unsigned char tmp[10];
		size_t k = 0;
		unsigned long v = arcs[i];

		do {
			tmp[k++] = v & 0x7f;
			v >>= 7;
		} while (v);
		if (o + k > sizeof(out))
			return es_err_set(err, ES_EINVAL, "OID too long");
		while (k--)
			out[o++] = tmp[k] | (k ? 0x80 : 0);
	}
	return ofd_der_put(b, 0x06, out, o, err);
}
