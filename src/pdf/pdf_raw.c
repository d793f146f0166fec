/* Raw source bytes of existing objects, so that the copies we write keep
 * every value byte for byte.  MuPDF stores reals as float and would print
 * 595.27559055 back as 595.2756 - a strict verifier would then see the
 * /MediaBox of a signed page change (shadow-attack checks, research note
 * pdf-attacks.md §4/§6).  MuPDF still tells us where each object lives.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pdf_int.h"

#define RAW_MORE 1
#define RAW_BAD (-1)
#define RAW_MAX_DEPTH 64
#define RAW_FIRST_READ 4096
#define RAW_MAX_OBJECT (64u * 1024 * 1024)

static int is_ws(int c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static int is_delim(int c)
{
	return c && strchr("()<>[]{}/%", c) != NULL;
}

static size_t skip_ws(const unsigned char *p, size_t n, size_t i)
{
	while (i < n) {
		if (is_ws(p[i]))
			i++;
		else if (p[i] == '%')
			while (i < n && p[i] != '\n' && p[i] != '\r')
				i++;
		else
			break;
	}
	return i;
}

static int value_end(const unsigned char *p, size_t n, size_t i, size_t *end, int depth);

static int dict_end(const unsigned char *p, size_t n, size_t i, size_t *end, int depth)
{
	int rc;

	for (i += 2;;) {
		i = skip_ws(p, n, i);
		if (i + 1 >= n)
			return RAW_MORE;
		if (p[i] == '>')
			return p[i + 1] == '>' ? (*end = i + 2, 0) : RAW_BAD;
		if (p[i] != '/')
			return RAW_BAD;
		if ((rc = value_end(p, n, i, &i, depth + 1)) != 0 ||
		    (rc = value_end(p, n, i, &i, depth + 1)) != 0)
			return rc;
	}
}

static int literal_end(const unsigned char *p, size_t n, size_t i, size_t *end)
{
	int nest = 0;

	for (; i < n; i++) {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '(')
			nest++;
		else if (p[i] == ')' && --nest == 0)
			return *end = i + 1, 0;
	}
	return RAW_MORE;
}

/* "int int R" starting at token [i, j)? */
static int ref_end(const unsigned char *p, size_t n, size_t j, size_t *end)
{
	size_t k = skip_ws(p, n, j), k2 = k;

	if (k == j)
		return 0;
	while (k2 < n && isdigit(p[k2]))
		k2++;
	if (k2 == k || k2 >= n || !is_ws(p[k2]))
		return 0;
	k = skip_ws(p, n, k2);
	if (k + 1 < n && p[k] == 'R' && (is_ws(p[k + 1]) || is_delim(p[k + 1]))) {
		*end = k + 1;
		return 1;
	}
	return 0;
}

/* End of the object starting at or after i; 0, RAW_MORE or RAW_BAD. */
static int value_end(const unsigned char *p, size_t n, size_t i, size_t *end, int depth)
{
	size_t j;
	int rc, digits = 1;

	if (depth > RAW_MAX_DEPTH)
		return RAW_BAD;
	i = skip_ws(p, n, i);
	if (i + 1 >= n)
		return RAW_MORE;
	switch (p[i]) {
	case '<':
		if (p[i + 1] == '<')
			return dict_end(p, n, i, end, depth);
		for (j = i + 1; j < n && p[j] != '>'; j++)
			if (!isxdigit(p[j]) && !is_ws(p[j]))
				return RAW_BAD;
		return j < n ? (*end = j + 1, 0) : RAW_MORE;
	case '(':
		return literal_end(p, n, i, end);
	case '[':
		for (i++;;) {
			i = skip_ws(p, n, i);
			if (i >= n)
				return RAW_MORE;
			if (p[i] == ']')
				return *end = i + 1, 0;
			if ((rc = value_end(p, n, i, &i, depth + 1)) != 0)
				return rc;
		}
	case '/':
		for (j = i + 1; j < n && !is_ws(p[j]) && !is_delim(p[j]); j++)
			;
		return j < n ? (*end = j, 0) : RAW_MORE;
	case ')': case '>': case ']': case '{': case '}':
		return RAW_BAD;
	default:
		for (j = i; j < n && !is_ws(p[j]) && !is_delim(p[j]); j++)
			digits &= isdigit(p[j]) != 0;
		if (j >= n)
			return RAW_MORE;
		if (digits && ref_end(p, n, j, end))
			return 0;
		*end = j;
		return 0;
	}
}

int raw_entries(const unsigned char *p, size_t n, rawent *e, size_t max, size_t *count)
{
	size_t i = skip_ws(p, n, 0), k;
	int rc;

	*count = 0;
	if (i + 1 >= n || p[i] != '<' || p[i + 1] != '<')
		return RAW_BAD;
	for (i += 2;;) {
		i = skip_ws(p, n, i);
		if (i + 1 >= n || (p[i] == '>' && p[i + 1] != '>'))
			return RAW_BAD;
		if (p[i] == '>')
			return 0;
		if (p[i] != '/' || *count >= max)
			return RAW_BAD;
		e[*count].k0 = i;
		if ((rc = value_end(p, n, i, &k, 1)) != 0)
			return RAW_BAD;
		e[*count].k1 = k;
		e[*count].v0 = skip_ws(p, n, k);
		if ((rc = value_end(p, n, k, &i, 1)) != 0)
			return RAW_BAD;
		e[*count].v1 = i;
		(*count)++;
	}
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10);
}

int raw_name_is(const unsigned char *p, size_t k0, size_t k1, const char *want)
{
	size_t i = k0 + 1;

	for (; i < k1; want++) {
		int c = p[i];
		if (c == '#' && i + 2 < k1 && isxdigit(p[i + 1]) && isxdigit(p[i + 2])) {
			c = hexval(p[i + 1]) * 16 + hexval(p[i + 2]);
			i += 3;
		} else {
			i++;
		}
		if (*want != c)
			return 0;
	}
	return *want == '\0';
}

int raw_ref(const unsigned char *p, size_t v0, size_t v1, int *num)
{
	char tmp[48], *e;
	long v;
	size_t len = v1 - v0;

	if (len == 0 || len >= sizeof(tmp) || p[v1 - 1] != 'R')
		return 0;
	memcpy(tmp, p + v0, len);
	tmp[len] = '\0';
	errno = 0;
	v = strtol(tmp, &e, 10);
	if (errno || e == tmp || v <= 0 || v > INT32_MAX)
		return 0;
	*num = (int)v;
	return 1;
}

/* The value of "num gen obj <value>" at file offset ofs. */
static int raw_from_file(es_buf *out, const pdfdoc *d, int num, int64_t ofs, es_err *err)
{
	size_t want = RAW_FIRST_READ, i, end = 0;
	int fd = open(d->path, O_RDONLY | O_CLOEXEC), rc = RAW_MORE;
	unsigned char *p = NULL;
	ssize_t got = 0;
	long v;
	char *e;

	if (fd < 0)
		return es_err_set(err, ES_EIO, "cannot reopen %s", d->path);
	while (rc == RAW_MORE && want <= RAW_MAX_OBJECT) {
		unsigned char *np = realloc(p, want + 1);
		if (!np) {
			close(fd);
			free(p);
			return es_err_set(err, ES_ENOMEM, "out of memory");
		}
		p = np;
		got = pread(fd, p, want, (off_t)ofs);
		if (got <= 0)
			break;
		p[got] = '\0';
		i = skip_ws(p, (size_t)got, 0);
		v = strtol((char *)p + i, &e, 10);
		if (v != num)
			break;
		e = strstr(e, "obj");
		if (!e)
			break;
		rc = value_end(p, (size_t)got, (size_t)(e - (char *)p) + 3, &end, 0);
		if (rc == RAW_MORE && (size_t)got < want)
			break; /* the file ended inside the object */
		want *= 4;
	}
	close(fd);
	if (rc == 0) {
		i = skip_ws(p, end, (size_t)(e - (char *)p) + 3);
		out->len = 0;
		rc = es_buf_append(out, p + i, end - i, err);
		if (rc == 0)
			rc = es_buf_puts(out, "\n", err); /* a delimiter after the last token */
	} else {
		rc = es_err_set(err, ES_EPDF, "object %d at offset %lld cannot be copied exactly; "
				"rewrite the file with qpdf first", num, (long long)ofs);
	}
	free(p);
	return rc;
}

/* Offset of object num from the "num offset" pairs before /First; -1 if absent. */
static long objstm_offset(const unsigned char *p, size_t n, int first, int count, int num)
{
	size_t hl = first > 0 && (size_t)first <= n ? (size_t)first : 0;
	char *h = malloc(hl + 1), *s, *e;
	long off = -1;

	if (!h)
		return -1;
	memcpy(h, p, hl);
	h[hl] = '\0';
	s = h;
	for (int k = 0; k < count && off < 0; k++) {
		long on = strtol(s, &e, 10), oo;
		if (e == s)
			break;
		s = e;
		oo = strtol(s, &e, 10);
		if (e == s)
			break;
		s = e;
		if (on == num)
			off = oo;
	}
	free(h);
	return off < 0 || off > (long)n ? -1 : off;
}

/* The value of object num inside object stream stm (ISO 32000-1 §7.5.7). */
static int raw_from_objstm(es_buf *out, pdfdoc *d, int num, int stm, es_err *err)
{
	fz_context *ctx = d->ctx;
	pdf_obj *sd = pdf_load_object(ctx, d->doc, stm);
	int count = pdf_dict_get_int(ctx, sd, PDF_NAME(N)), first = pdf_dict_get_int(ctx, sd, PDF_NAME(First));
	fz_buffer *buf = NULL;
	unsigned char *p;
	size_t n, i = 0, end = 0;
	long off = -1;
	int rc = 0;

	pdf_drop_obj(ctx, sd);
	buf = pdf_load_stream_number(ctx, d->doc, stm);
	n = fz_buffer_storage(ctx, buf, &p);
	off = objstm_offset(p, n, first, count, num);
	if (off < 0 || first < 0 || (size_t)first + (size_t)off >= n ||
	    value_end(p, n, (size_t)first + (size_t)off, &end, 0) != 0) {
		/* the last object may end with the stream: retry with a delimiter */
		es_buf tmp = {0};
		if (off >= 0 && first >= 0 && (size_t)first + (size_t)off < n &&
		    es_buf_append(&tmp, p, n, err) == 0 && es_buf_puts(&tmp, "\n", err) == 0 &&
		    value_end(tmp.data, tmp.len, (size_t)first + (size_t)off, &end, 0) == 0) {
			i = skip_ws(tmp.data, end, (size_t)first + (size_t)off);
			out->len = 0;
			rc = es_buf_append(out, tmp.data + i, end - i, err);
		} else {
			rc = es_err_set(err, ES_EPDF, "object %d in object stream %d cannot be copied", num, stm);
		}
		es_buf_free(&tmp, 0);
	} else {
		i = skip_ws(p, end, (size_t)first + (size_t)off);
		out->len = 0;
		rc = es_buf_append(out, p + i, end - i, err);
	}
	fz_drop_buffer(ctx, buf);
	return rc ? rc : es_buf_puts(out, "\n", err);
}

int raw_object(es_buf *out, pdfdoc *d, int num, es_err *err)
{
	pdf_xref_entry *x = pdf_get_xref_entry(d->ctx, d->doc, num);

	if (x && x->type == 'n')
		return raw_from_file(out, d, num, x->ofs, err);
	if (x && x->type == 'o')
		return raw_from_objstm(out, d, num, (int)x->ofs, err);
	return es_err_set(err, ES_EPDF, "object %d is missing from the cross-reference table", num);
}

int raw_lookup(rawval *v, pdfdoc *d, const rawval *dict, const char *key, es_buf *store, es_err *err)
{
	rawent e[RAW_MAX_ENTRIES];
	size_t n;
	int num;

	v->p = NULL;
	v->n = 0;
	if (!dict->p)
		return 0;
	if (raw_entries(dict->p, dict->n, e, RAW_MAX_ENTRIES, &n) != 0)
		return es_err_set(err, ES_EPDF, "a dictionary cannot be parsed for copying");
	for (size_t i = 0; i < n; i++) {
		if (!raw_name_is(dict->p, e[i].k0, e[i].k1, key))
			continue;
		if (raw_ref(dict->p, e[i].v0, e[i].v1, &num)) {
			int rc = raw_object(store, d, num, err);
			if (rc < 0)
				return rc;
			v->p = store->data;
			v->n = store->len;
		} else {
			v->p = dict->p + e[i].v0;
			v->n = e[i].v1 - e[i].v0;
		}
		return 0;
	}
	return 0;
}

int raw_copy_entries(es_buf *b, const rawval *dict, const char *const *skip, es_err *err)
{
	rawent e[RAW_MAX_ENTRIES];
	size_t n;
	int rc = 0;

	if (!dict->p)
		return 0;
	if (raw_entries(dict->p, dict->n, e, RAW_MAX_ENTRIES, &n) != 0)
		return es_err_set(err, ES_EPDF, "a dictionary cannot be parsed for copying");
	for (size_t i = 0; i < n && rc == 0; i++) {
		int skipped = 0;
		for (const char *const *s = skip; s && *s && !skipped; s++)
			skipped = raw_name_is(dict->p, e[i].k0, e[i].k1, *s);
		if (skipped)
			continue;
		if ((rc = es_buf_append(b, dict->p + e[i].k0, e[i].k1 - e[i].k0, err)) == 0 &&
		    (rc = es_buf_puts(b, " ", err)) == 0 &&
		    (rc = es_buf_append(b, dict->p + e[i].v0, e[i].v1 - e[i].v0, err)) == 0)
			rc = es_buf_puts(b, "\n", err);
	}
	return rc;
}

int raw_copy_items(es_buf *b, const rawval *arr, es_err *err)
{
	size_t i, j, end;
	int rc;

	if (!arr->p)
		return 0;
	i = skip_ws(arr->p, arr->n, 0);
	if (i >= arr->n || arr->p[i] != '[' || value_end(arr->p, arr->n, i, &end, 0) != 0)
		return es_err_set(err, ES_EPDF, "an array cannot be parsed for copying");
	for (j = end - 1; j > i && arr->p[j] != ']'; j--)
		;
	if ((rc = es_buf_append(b, arr->p + i + 1, j - i - 1, err)) < 0)
		return rc;
	return es_buf_puts(b, " ", err);
}
