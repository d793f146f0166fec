/* Minimal strict DER reader and writer (see der.h).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "der.h"

#define DER_HIGH_TAG 0x1f       /* X.690 8.1.2.4: multi-byte tag numbers */
#define DER_LONG_LEN 0x80       /* X.690 8.1.3.5: long-form length flag */
#define DER_MAX_LEN_BYTES 4     /* nothing in a seal is 4 GiB */
#define GENTIME_LEN 15          /* YYYYMMDDHHMMSSZ */
#define UTC_YEAR_PIVOT 50       /* RFC 5280 4.1.2.5.1: YY < 50 is 20YY */

int der_read(der_cur *c, der_tlv *out)
{
	const unsigned char *p = c->p;
	size_t left = c->len, len = 0, nlen, i, hdr;

	if (left < 2)
		return -1;
	if ((p[0] & DER_HIGH_TAG) == DER_HIGH_TAG)
		return -1;
	if (p[1] < DER_LONG_LEN) {
		len = p[1];
		hdr = 2;
	} else {
		nlen = p[1] & 0x7f;
		/* 0x80 is BER's indefinite length: not DER. */
		if (nlen == 0 || nlen > DER_MAX_LEN_BYTES || left - 2 < nlen)
			return -1;
		if (p[2] == 0) /* not minimal */
			return -1;
		for (i = 0; i < nlen; i++)
			len = (len << 8) | p[2 + i];
		if (len < DER_LONG_LEN) /* short form was required */
			return -1;
		hdr = 2 + nlen;
	}
	if (len > left - hdr)
		return -1;
	out->tag = p[0];
	out->raw = p;
	out->raw_len = hdr + len;
	out->val = p + hdr;
	out->len = len;
	c->p += hdr + len;
	c->len -= hdr + len;
	return 0;
}

int der_expect(der_cur *c, unsigned char tag, der_tlv *out)
{
	der_cur save = *c;

	if (der_read(c, out) < 0 || out->tag != tag) {
		*c = save;
		return -1;
	}
	return 0;
}

int der_peek(const der_cur *c)
{
	return c->len > 0 ? c->p[0] : -1;
}

der_cur der_in(const der_tlv *t)
{
	der_cur c = {t->val, t->len};

	return c;
}

int der_small_uint(const der_tlv *t, int *out)
{
	unsigned long v = 0;
	size_t i;

	if (t->tag != DER_INTEGER || t->len == 0 || t->len > sizeof(int) + 1)
		return -1;
	if (t->val[0] & 0x80) /* negative */
		return -1;
	if (t->len > 1 && t->val[0] == 0 && !(t->val[1] & 0x80)) /* not minimal */
		return -1;
	for (i = 0; i < t->len; i++)
		v = (v << 8) | t->val[i];
	if (v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* n decimal digits at s[*i] into *v; advances *i. */
static int digits(const unsigned char *s, size_t len, size_t *i, int n, int *v)
{
	int k;

	*v = 0;
	if (len - *i < (size_t)n)
		return -1;
	for (k = 0; k < n; k++, (*i)++) {
		if (s[*i] < '0' || s[*i] > '9')
			return -1;
		*v = *v * 10 + (s[*i] - '0');
	}
	return 0;
}

/* Z, +hhmm, -hhmm or nothing (producers that omit Z mean UTC in practice). */
static int zone(const unsigned char *s, size_t len, size_t i, long *offset_s)
{
	int hh, mm, sign;

	*offset_s = 0;
	if (i == len)
		return 0;
	if (s[i] == 'Z')
		return i + 1 == len ? 0 : -1;
	if (s[i] != '+' && s[i] != '-')
		return -1;
	sign = s[i] == '-' ? -1 : 1;
	i++;
	if (digits(s, len, &i, 2, &hh) < 0 || digits(s, len, &i, 2, &mm) < 0 || i != len)
		return -1;
	if (hh > 23 || mm > 59)
		return -1;
	*offset_s = sign * (hh * 3600L + mm * 60L);
	return 0;
}

int der_time(const der_tlv *t, time_t *out)
{
	const unsigned char *s = t->val;
	size_t len = t->len, i = 0;
	int y, mo, d, h, mi, sec = 0;
	long off;
	struct tm tm;
	time_t v;

	if (t->tag == DER_GENERALIZED_TIME) {
		if (digits(s, len, &i, 4, &y) < 0)
			return -1;
	} else if (t->tag == DER_UTC_TIME) {
		if (digits(s, len, &i, 2, &y) < 0)
			return -1;
		y += y < UTC_YEAR_PIVOT ? 2000 : 1900;
	} else {
		return -1;
	}
	if (digits(s, len, &i, 2, &mo) < 0 || digits(s, len, &i, 2, &d) < 0 ||
	    digits(s, len, &i, 2, &h) < 0 || digits(s, len, &i, 2, &mi) < 0)
		return -1;
	if (i < len && s[i] >= '0' && s[i] <= '9' && digits(s, len, &i, 2, &sec) < 0)
		return -1;
	if (t->tag == DER_GENERALIZED_TIME && i < len && (s[i] == '.' || s[i] == ',')) {
		i++; /* fraction of a second: ignored */
		if (i == len || s[i] < '0' || s[i] > '9')
			return -1;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (zone(s, len, i, &off) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	v = timegm(&tm);
	if (v == (time_t)-1)
		return -1;
	*out = v - off;
	return 0;
}

static int put_header(es_buf *b, unsigned char tag, size_t n, es_err *err)
{
	unsigned char h[2 + sizeof(size_t)];
	size_t hl = 0, k, nb = 0, v = n;

	h[hl++] = tag;
	if (n < DER_LONG_LEN) {
		h[hl++] = (unsigned char)n;
	} else {
		while (v > 0) {
			nb++;
			v >>= 8;
		}
		h[hl++] = (unsigned char)(DER_LONG_LEN | nb);
		for (k = nb; k > 0; k--)
			h[hl++] = (unsigned char)(n >> (8 * (k - 1)));
	}
	return es_buf_append(b, h, hl, err);
}

int der_put(es_buf *b, unsigned char tag, const void *p, size_t n, es_err *err)
{
	int rc = put_header(b, tag, n, err);

	if (rc < 0 || n == 0)
		return rc;
	return es_buf_append(b, p, n, err);
}

int der_put_uint(es_buf *b, unsigned long v, es_err *err)
{
	unsigned char tmp[sizeof(v) + 1];
	size_t n = 0, k;
	unsigned long x = v;

	do {
		n++;
		x >>= 8;
	} while (x > 0);
	for (k = 0; k < n; k++)
		tmp[1 + k] = (unsigned char)(v >> (8 * (n - 1 - k)));
	tmp[0] = 0;
	/* X.690 8.3.2: a leading 0x00 keeps the value positive. */
	if (tmp[1] & 0x80)
		return der_put(b, DER_INTEGER, tmp, n + 1, err);
	return der_put(b, DER_INTEGER, tmp + 1, n, err);
}

int der_put_gentime(es_buf *b, time_t t, es_err *err)
{
	struct tm tm;
	char s[GENTIME_LEN + 1];
	int n;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1)
		return es_err_set(err, ES_ERANGE, "date out of range for GeneralizedTime");
	n = snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n != GENTIME_LEN)
		return es_err_set(err, ES_ERANGE, "date out of range for GeneralizedTime");
	return der_put(b, DER_GENERALIZED_TIME, s, GENTIME_LEN, err);
}

int der_wrap(es_buf *out, unsigned char tag, const es_buf *b, es_err *err)
{
	return der_put(out, tag, b->data, b->len, err);
}
