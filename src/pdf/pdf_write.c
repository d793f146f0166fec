/* Writing an incremental update (ISO 32000-1 §7.5.6): new and changed
 * objects, a cross-reference section of the same kind as the previous one,
 * and a trailer with /Prev.  We write every byte ourselves; MuPDF only
 * serialises copies of existing dictionaries.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "pdf_int.h"

#define XREF_ENTRY_LEN 20
#define XREF_GEN_BYTES 2
/* Deflate level of our streams (the seal drawing): level 9 costs twice
 * the instructions of level 1 for 7 % fewer bytes on a typical seal. */
#define FLATE_LEVEL Z_BEST_SPEED
#define FLATE_CACHE_SLOTS 8
#define FLATE_CACHE_MAX_INPUT (1024 * 1024)

void upd_init(pdfupd *u, pdfdoc *d)
{
	memset(u, 0, sizeof(*u));
	u->base = d->file_len;
	u->next_num = d->next_num;
}

void upd_free(pdfupd *u)
{
	es_buf_free(&u->b, 0);
	free(u->objs);
	memset(u, 0, sizeof(*u));
}

int upd_alloc(pdfupd *u)
{
	return u->next_num++;
}

int upd_obj(pdfupd *u, int num, int gen, es_err *err)
{
	if (u->nobjs == u->cap) {
		size_t nc = u->cap ? 2 * u->cap : 16;
		updobj *p = realloc(u->objs, nc * sizeof(*p));
		if (!p)
			return es_err_set(err, ES_ENOMEM, "out of memory");
		u->objs = p;
		u->cap = nc;
	}
	u->objs[u->nobjs].num = num;
	u->objs[u->nobjs].gen = gen;
	u->objs[u->nobjs].off = u->b.len;
	u->nobjs++;
	return es_buf_printf(&u->b, err, "%d %d obj\n", num, gen);
}

int upd_endobj(pdfupd *u, es_err *err)
{
	return es_buf_puts(&u->b, "\nendobj\n", err);
}

/* ---- deflate, remembered per process ----
 * Every signature with a seal deflates the same drawing again; a server
 * signs with a few seals all day.  The last results are kept by exact
 * content (length and memcmp: nothing to trust but the bytes), bounded in
 * count and size, behind one mutex (es_pdf_sign runs on many threads). */
typedef struct flate_slot {
	unsigned char *in, *z;
	size_t in_len, z_len;
	unsigned long long used;
} flate_slot;

static flate_slot flate_cache[FLATE_CACHE_SLOTS];
static unsigned long long flate_clock;
static pthread_mutex_t flate_lock = PTHREAD_MUTEX_INITIALIZER;

static flate_slot *flate_find(const void *data, size_t len)
{
	for (size_t i = 0; i < FLATE_CACHE_SLOTS; i++)
		if (flate_cache[i].in && flate_cache[i].in_len == len &&
		    memcmp(flate_cache[i].in, data, len) == 0)
			return &flate_cache[i];
	return NULL;
}

/* A malloc'd copy of the remembered deflate of data, or NULL. */
static unsigned char *flate_recall(const void *data, size_t len, size_t *zlen)
{
	unsigned char *z = NULL;
	flate_slot *s;

	pthread_mutex_lock(&flate_lock);
	s = flate_find(data, len);
	if (s)
		z = malloc(s->z_len);
	if (z) {
		memcpy(z, s->z, s->z_len);
		*zlen = s->z_len;
		s->used = ++flate_clock;
	}
	pthread_mutex_unlock(&flate_lock);
	return z;
}

/* Remember data -> z in the least recently used slot (best effort). */
static void flate_remember(const void *data, size_t len, const unsigned char *z, size_t zlen)
{
	unsigned char *in_copy, *z_copy;
	flate_slot *s = &flate_cache[0];

	if (len > FLATE_CACHE_MAX_INPUT)
		return;
	in_copy = malloc(len ? len : 1);
	z_copy = malloc(zlen ? zlen : 1);
	if (!in_copy || !z_copy) {
		free(in_copy);
		free(z_copy);
		return;
	}
	memcpy(in_copy, data, len);
	memcpy(z_copy, z, zlen);
	pthread_mutex_lock(&flate_lock);
	if (flate_find(data, len) == NULL) {
		for (size_t i = 1; i < FLATE_CACHE_SLOTS; i++)
			if (flate_cache[i].used < s->used)
				s = &flate_cache[i];
		free(s->in);
		free(s->z);
		s->in = in_copy;
		s->z = z_copy;
		s->in_len = len;
		s->z_len = zlen;
		s->used = ++flate_clock;
		in_copy = z_copy = NULL;
	}
	pthread_mutex_unlock(&flate_lock);
	free(in_copy);
	free(z_copy);
}

/* zlib deflate of data (FlateDecode, ISO 32000-2 §7.4.4); *z malloc'd. */
static int flate(unsigned char **z, size_t *zlen, const void *data, size_t len, es_err *err)
{
	uLongf n;

	*z = flate_recall(data, len, zlen);
	if (*z)
		return 0;
	n = compressBound((uLong)len);
	*z = malloc(n);
	if (!*z)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	if (compress2(*z, &n, data, (uLong)len, FLATE_LEVEL) != Z_OK) {
		free(*z);
		*z = NULL;
		return es_err_set(err, ES_EPDF, "cannot compress a stream");
	}
	*zlen = n;
	flate_remember(data, len, *z, *zlen);
	return 0;
}

int upd_stream(pdfupd *u, int num, const char *dict_extra, const void *data, size_t len,
	       int flate_it, es_err *err)
{
	unsigned char *z = NULL;
	size_t zlen = 0;
	int rc;

	if (flate_it) {
		if ((rc = flate(&z, &zlen, data, len, err)) < 0)
			return rc;
		data = z;
		len = zlen;
	}
	if ((rc = upd_obj(u, num, 0, err)) < 0 ||
	    (rc = es_buf_printf(&u->b, err, "<< %s%s/Length %zu >>\nstream\n", dict_extra,
				flate_it ? " /Filter /FlateDecode " : " ", len)) < 0 ||
	    (rc = es_buf_append(&u->b, data, len, err)) < 0 ||
	    (rc = es_buf_puts(&u->b, "\nendstream", err)) < 0)
		goto out;
	rc = upd_endobj(u, err);
out:
	free(z);
	return rc;
}

int buf_num(es_buf *b, double v, es_err *err)
{
	char s[64];
	int n;

	if (fabs(v) < 0.00005)
		v = 0;
	n = snprintf(s, sizeof(s), "%.4f", v);
	if (n <= 0 || (size_t)n >= sizeof(s))
		return es_err_set(err, ES_ERANGE, "number out of range");
	while (n > 1 && s[n - 1] == '0')
		s[--n] = '\0';
	if (s[n - 1] == '.')
		s[--n] = '\0';
	return es_buf_puts(b, s, err);
}

/* One code point from UTF-8; returns bytes used or -1. */
static int utf8_next(const unsigned char *s, unsigned *cp)
{
	int n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		*cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		*cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		*cp = s[0] & 0x07;
	} else {
		return -1;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp > 0x10ffff || (*cp >= 0xd800 && *cp < 0xe000))
		return -1;
	return n;
}

int buf_text(es_buf *b, const char *utf8, es_err *err)
{
	const unsigned char *s = (const unsigned char *)utf8;
	unsigned cp;
	int n, rc;

	if ((rc = es_buf_puts(b, "<FEFF", err)) < 0)
		return rc;
	while (*s) {
		n = utf8_next(s, &cp);
		if (n < 0)
			return es_err_set(err, ES_EINVAL, "text \"%.40s\" is not valid UTF-8", utf8);
		s += n;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			rc = es_buf_printf(b, err, "%04X%04X", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
		} else {
			rc = es_buf_printf(b, err, "%04X", cp);
		}
		if (rc < 0)
			return rc;
	}
	return es_buf_puts(b, ">", err);
}

static int cmp_obj(const void *a, const void *b)
{
	const updobj *x = a, *y = b;
	return (x->num > y->num) - (x->num < y->num);
}

static int trailer_entries(pdfupd *u, const pdfdoc *d, es_err *err)
{
	unsigned char rnd[16];
	char id1[33];
	int rc;

	/* §14.4: the first /ID string stays, the second changes per revision. */
	if ((rc = es_random(rnd, sizeof(rnd), err)) < 0)
		return rc;
	es_hex_encode(id1, rnd, sizeof(rnd));
	rc = es_buf_printf(&u->b, err, "/Size %d /Root %s /Prev %lld /ID [<%s> <%s>]", u->next_num,
			   d->root_ref, (long long)d->startxref, d->id0[0] ? d->id0 : id1, id1);
	if (rc == 0 && d->info_ref[0])
		rc = es_buf_printf(&u->b, err, " /Info %s", d->info_ref);
	return rc;
}

static int xref_table(pdfupd *u, const pdfdoc *d, es_err *err)
{
	int64_t at = u->base + (int64_t)u->b.len;
	size_t i, j;
	int rc = es_buf_puts(&u->b, "xref\n", err);

	for (i = 0; i < u->nobjs && rc == 0; i = j) {
		for (j = i + 1; j < u->nobjs && u->objs[j].num == u->objs[j - 1].num + 1; j++)
			;
		rc = es_buf_printf(&u->b, err, "%d %zu\n", u->objs[i].num, j - i);
		for (size_t k = i; k < j && rc == 0; k++)
			rc = es_buf_printf(&u->b, err, "%010lld %05d n \n",
					   (long long)(u->base + (int64_t)u->objs[k].off), u->objs[k].gen);
	}
	if (rc == 0)
		rc = es_buf_puts(&u->b, "trailer\n<< ", err);
	if (rc == 0)
		rc = trailer_entries(u, d, err);
	if (rc == 0)
		rc = es_buf_printf(&u->b, err, " >>\nstartxref\n%lld\n%%%%EOF\n", (long long)at);
	return rc;
}

/* §7.5.8: uncompressed xref stream, /W [1 off 2], its own entry included. */
static int xref_stream(pdfupd *u, const pdfdoc *d, es_err *err)
{
	int num = upd_alloc(u), rc, ow = 4;
	int64_t at = u->base + (int64_t)u->b.len, max = at;
	es_buf idx = {0}, rows = {0};
	size_t i, j;

	if ((rc = upd_obj(u, num, 0, err)) < 0)
		return rc;
	qsort(u->objs, u->nobjs, sizeof(u->objs[0]), cmp_obj);
	while (ow < 8 && (max >> (8 * ow)) != 0)
		ow++;
	for (i = 0; i < u->nobjs && rc == 0; i = j) {
		for (j = i + 1; j < u->nobjs && u->objs[j].num == u->objs[j - 1].num + 1; j++)
			;
		rc = es_buf_printf(&idx, err, "%d %zu ", u->objs[i].num, j - i);
		for (size_t k = i; k < j && rc == 0; k++) {
			unsigned char row[1 + 8 + XREF_GEN_BYTES];
			int64_t off = u->base + (int64_t)u->objs[k].off;
			row[0] = 1;
			for (int b = 0; b < ow; b++)
				row[1 + b] = (unsigned char)(off >> (8 * (ow - 1 - b)));
			row[1 + ow] = (unsigned char)(u->objs[k].gen >> 8);
			row[2 + ow] = (unsigned char)u->objs[k].gen;
			rc = es_buf_append(&rows, row, (size_t)(1 + ow + XREF_GEN_BYTES), err);
		}
	}
	if (rc == 0)
		rc = es_buf_printf(&u->b, err, "<< /Type /XRef /W [1 %d %d] /Index [%.*s] ", ow,
				   XREF_GEN_BYTES, (int)(idx.len ? idx.len - 1 : 0), (char *)idx.data);
	if (rc == 0)
		rc = trailer_entries(u, d, err);
	if (rc == 0)
		rc = es_buf_printf(&u->b, err, " /Length %zu >>\nstream\n", rows.len);
	if (rc == 0)
		rc = es_buf_append(&u->b, rows.data, rows.len, err);
	if (rc == 0)
		rc = es_buf_printf(&u->b, err, "\nendstream\nendobj\nstartxref\n%lld\n%%%%EOF\n",
				   (long long)at);
	es_buf_free(&idx, 0);
	es_buf_free(&rows, 0);
	return rc;
}

int upd_finish(pdfupd *u, const pdfdoc *d, es_err *err)
{
	if (d->xref_stream)
		return xref_stream(u, d, err);
	qsort(u->objs, u->nobjs, sizeof(u->objs[0]), cmp_obj);
	return xref_table(u, d, err);
}
