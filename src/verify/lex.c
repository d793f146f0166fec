/* Raw PDF lexer used to check signature dictionaries at their real byte
 * offsets and to split the file into revisions.  It never trusts MuPDF's
 * (possibly repaired) view: ISO 32000-2 §7.2-7.5 syntax, §12.8.1 ByteRange.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>
#include "vint.h"

#define LX_KEYWORD_MAX_LEN 32
#define LX_INT_SATURATE 1000000000000LL
#define REV_TAIL_SEARCH_LEN 1100  /* startxref must be near its %%EOF */
#define EOF_MARK_LEN 5            /* "%%EOF" */

/* Bytes allowed inside a hex string (ISO 32000-2 §7.3.4.3): hex digits
 * and white space.  A table: /Contents is tens of kilobytes of hex that is
 * skipped every time a key after it is looked up. */
static const unsigned char HEX_OR_WS[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	[0] = 1, ['\t'] = 1, ['\n'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1,
};

/* Character classes of ISO 32000-2 §7.2.3 (Table 1 white space, Table 2
 * delimiters) as one table: the lexer asks for every byte it passes. */
#define CC_WS 1
#define CC_DELIM 2
static const unsigned char CHAR_CLASS[256] = {
	[0] = CC_WS, ['\t'] = CC_WS, ['\n'] = CC_WS, ['\f'] = CC_WS, ['\r'] = CC_WS, [' '] = CC_WS,
	['('] = CC_DELIM, [')'] = CC_DELIM, ['<'] = CC_DELIM, ['>'] = CC_DELIM, ['['] = CC_DELIM,
	[']'] = CC_DELIM, ['{'] = CC_DELIM, ['}'] = CC_DELIM, ['/'] = CC_DELIM, ['%'] = CC_DELIM,
};

static inline int is_ws(unsigned char c)
{
	return CHAR_CLASS[c] & CC_WS;
}

static inline int is_regular(unsigned char c)
{
	return CHAR_CLASS[c] == 0;
}

static size_t skip_ws(const unsigned char *b, size_t len, size_t p)
{
	while (p < len) {
		if (is_ws(b[p])) {
			p++;
		} else if (b[p] == '%') {
			while (p < len && b[p] != '\n' && b[p] != '\r')
				p++;
		} else {
			break;
		}
	}
	return p;
}

static size_t skip_literal(const unsigned char *b, size_t len, size_t p)
{
	int depth = 0;

	/* p is at '(' */
	for (; p < len; p++) {
		if (b[p] == '\\') {
			p++;
		} else if (b[p] == '(') {
			depth++;
		} else if (b[p] == ')') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return 0;
}

static lx_tok lex_number(const unsigned char *b, size_t len, size_t p)
{
	lx_tok t = {LX_INT, p, p, 0};
	int neg = 0, digits = 0, dot = 0;

	if (b[p] == '+' || b[p] == '-') {
		neg = b[p] == '-';
		p++;
	}
	for (; p < len && is_regular(b[p]); p++) {
		if (b[p] >= '0' && b[p] <= '9') {
			digits++;
			if (!dot && t.ival < LX_INT_SATURATE)
				t.ival = t.ival * 10 + (b[p] - '0');
		} else if (b[p] == '.' && !dot) {
			dot = 1;
		} else {
			t.kind = LX_KEYWORD;  /* e.g. "1e5" or garbage: not a number */
		}
	}
	if (digits == 0)
		t.kind = LX_KEYWORD;
	else if (t.kind == LX_INT && dot)
		t.kind = LX_REAL;
	if (neg)
		t.ival = -t.ival;
	t.end = p;
	return t;
}

lx_tok lx_next(const unsigned char *b, size_t len, size_t *pos)
{
	size_t p = skip_ws(b, len, *pos), q;
	lx_tok t = {LX_EOF, p, p, 0};

	if (p >= len) {
		*pos = p;
		return t;
	}
	switch (b[p]) {
	case '/':
		for (q = p + 1; q < len && is_regular(b[q]); q++)
			;
		t.kind = LX_NAME;
		t.end = q;
		break;
	case '(':
		q = skip_literal(b, len, p);
		t.kind = q ? LX_STR : LX_ERR;
		t.end = q ? q : len;
		break;
	case '<':
		if (p + 1 < len && b[p + 1] == '<') {
			t.kind = LX_DICT_OPEN;
			t.end = p + 2;
			break;
		}
		for (q = p + 1; q < len && HEX_OR_WS[b[q]]; q++)
			;
		t.kind = q < len && b[q] == '>' ? LX_HEX : LX_ERR;
		t.end = q < len ? q + 1 : len;
		break;
	case '>':
		t.kind = p + 1 < len && b[p + 1] == '>' ? LX_DICT_CLOSE : LX_ERR;
		t.end = p + (t.kind == LX_DICT_CLOSE ? 2 : 1);
		break;
	case '[': t.kind = LX_ARR_OPEN; t.end = p + 1; break;
	case ']': t.kind = LX_ARR_CLOSE; t.end = p + 1; break;
	case ')': case '{': case '}':
		t.kind = LX_ERR; t.end = p + 1; break;
	default:
		if ((b[p] >= '0' && b[p] <= '9') || b[p] == '+' || b[p] == '-' || b[p] == '.') {
			t = lex_number(b, len, p);
		} else {
			for (q = p; q < len && is_regular(b[q]); q++)
				;
			t.kind = LX_KEYWORD;
			t.end = q;
		}
	}
	*pos = t.end;
	return t;
}

static int tok_is_kw(const unsigned char *b, const lx_tok *t, const char *kw)
{
	size_t n = strlen(kw);

	return t->kind == LX_KEYWORD && t->end - t->start == n &&
	       memcmp(b + t->start, kw, n) == 0;
}

int lx_value(const unsigned char *b, size_t len, size_t pos, size_t *vstart,
	     size_t *vend, int depth)
{
	size_t p = pos, save;
	lx_tok t = lx_next(b, len, &p), t2, t3;

	if (depth > ES_PDF_MAX_DEPTH)
		return -1;
	*vstart = t.start;
	switch (t.kind) {
	case LX_DICT_OPEN:
		for (;;) {
			size_t s, e;

			save = p;
			t2 = lx_next(b, len, &p);
			if (t2.kind == LX_DICT_CLOSE)
				break;
			if (t2.kind != LX_NAME)
				return -1;
			if (lx_value(b, len, p, &s, &e, depth + 1) < 0)
				return -1;
			p = e;
			(void)save;
		}
		*vend = p;
		return 0;
	case LX_ARR_OPEN:
		for (;;) {
			size_t s, e;

			save = p;
			t2 = lx_next(b, len, &p);
			if (t2.kind == LX_ARR_CLOSE)
				break;
			if (t2.kind == LX_EOF || t2.kind == LX_ERR)
				return -1;
			if (lx_value(b, len, save, &s, &e, depth + 1) < 0)
				return -1;
			p = e;
		}
		*vend = p;
		return 0;
	case LX_INT:
		/* maybe "num gen R" */
		save = p;
		t2 = lx_next(b, len, &p);
		if (t2.kind == LX_INT) {
			t3 = lx_next(b, len, &p);
			if (tok_is_kw(b, &t3, "R")) {
				*vend = p;
				return 0;
			}
		}
		*vend = save;
		return 0;
	case LX_NAME: case LX_REAL: case LX_STR: case LX_HEX:
		*vend = p;
		return 0;
	case LX_KEYWORD:
		if (tok_is_kw(b, &t, "true") || tok_is_kw(b, &t, "false") ||
		    tok_is_kw(b, &t, "null")) {
			*vend = p;
			return 0;
		}
		return -1;
	default:
		return -1;
	}
}

int lx_dict_find(const unsigned char *b, size_t len, size_t dict_ofs,
		 const char *key, size_t *vstart, size_t *vend)
{
	size_t p = dict_ofs, klen = strlen(key);
	lx_tok t = lx_next(b, len, &p);
	int found = 0;

	if (t.kind != LX_DICT_OPEN)
		return -1;
	for (;;) {
		size_t s, e;

		t = lx_next(b, len, &p);
		if (t.kind == LX_DICT_CLOSE)
			return found;
		if (t.kind != LX_NAME)
			return -1;
		if (lx_value(b, len, p, &s, &e, 1) < 0)
			return -1;
		if (t.end - t.start == klen + 1 && memcmp(b + t.start + 1, key, klen) == 0) {
			if (found++ == 0) {
				*vstart = s;
				*vend = e;
			}
		}
		p = e;
	}
}

int lx_obj_header(const unsigned char *b, size_t len, size_t ofs, int num,
		  size_t *body)
{
	size_t p = ofs;
	lx_tok t1, t2, t3;

	if (ofs >= len)
		return -1;
	t1 = lx_next(b, len, &p);
	t2 = lx_next(b, len, &p);
	t3 = lx_next(b, len, &p);
	if (t1.kind != LX_INT || t1.ival != num || t2.kind != LX_INT ||
	    !tok_is_kw(b, &t3, "obj"))
		return -1;
	*body = p;
	return 0;
}

/* ---- revisions ---- */

static size_t eol_after(const unsigned char *b, size_t len, size_t p)
{
	if (p < len && b[p] == '\r')
		p++;
	if (p < len && b[p] == '\n')
		p++;
	return p;
}

/* First "%%EOF" in [p, end), as memmem finds it, but at memchr speed: on
 * compressed data '%' is rare, and memmem compares at every byte. */
static const unsigned char *find_eof(const unsigned char *p, const unsigned char *end)
{
	while (end - p >= EOF_MARK_LEN) {
		const unsigned char *q = memchr(p, '%', (size_t)(end - p) - (EOF_MARK_LEN - 1));

		if (q == NULL)
			return NULL;
		if (memcmp(q, "%%EOF", EOF_MARK_LEN) == 0)
			return q;
		p = q + 1;
	}
	return NULL;
}

static void scan_eofs(pdf_revs *rv, const unsigned char *b, size_t len)
{
	const unsigned char *p = b, *hit;

	while (rv->n < ES_PDF_MAX_REVISIONS && (hit = find_eof(p, b + len)) != NULL) {
		size_t at = (size_t)(hit - b) + 5;

		rv->eof_at[rv->n] = at;
		rv->ends[rv->n] = eol_after(b, len, at);
		rv->n++;
		p = hit + 5;
	}
}

/* Offset of the xref section a trailer dict's /Prev names, or -1. */
static long long dict_int(const unsigned char *b, size_t len, size_t dict_ofs,
			  const char *key)
{
	size_t s, e, p;
	lx_tok t;

	if (lx_dict_find(b, len, dict_ofs, key, &s, &e) != 1)
		return -1;
	p = s;
	t = lx_next(b, len, &p);
	return t.kind == LX_INT && t.ival >= 0 ? t.ival : -1;
}

/* Parse the xref section at ofs; return its /Prev (-1 none, -2 malformed). */
static long long xref_prev(const unsigned char *b, size_t len, size_t ofs)
{
	size_t p = ofs;
	lx_tok t = lx_next(b, len, &p);
	const unsigned char *tr;

	/* some writers point startxref at the EOL before "xref": tolerate
	 * white space only */
	if (t.start - ofs > 4)
		return -2;
	if (tok_is_kw(b, &t, "xref")) {
		tr = memmem(b + p, len - p, "trailer", 7);
		if (tr == NULL)
			return -2;
		p = (size_t)(tr - b) + 7;
		t = lx_next(b, len, &p);
		if (t.kind != LX_DICT_OPEN)
			return -2;
		return dict_int(b, len, t.start, "Prev");
	}
	if (t.kind == LX_INT) {
		size_t body;

		if (lx_obj_header(b, len, t.start, (int)t.ival, &body) < 0)
			return -2;
		p = body;
		t = lx_next(b, len, &p);
		if (t.kind != LX_DICT_OPEN)
			return -2;
		return dict_int(b, len, t.start, "Prev");
	}
	return -2;
}

static long long last_startxref(const unsigned char *b, size_t len, size_t eof_at)
{
	size_t from = eof_at > REV_TAIL_SEARCH_LEN ? eof_at - REV_TAIL_SEARCH_LEN : 0;
	const unsigned char *p = b + from, *hit, *last = NULL;
	size_t q;
	lx_tok t;

	while ((hit = memmem(p, eof_at - (size_t)(p - b), "startxref", 9)) != NULL) {
		last = hit;
		p = hit + 9;
	}
	if (last == NULL)
		return -1;
	q = (size_t)(last - b) + 9;
	t = lx_next(b, len, &q);
	return t.kind == LX_INT && t.ival >= 0 && (size_t)t.ival < len ? t.ival : -1;
}

void pdf_revs_scan(pdf_revs *rv, const unsigned char *b, size_t len)
{
	long long seen[ES_PDF_MAX_REVISIONS];
	long long x;
	size_t i;
	int k;

	memset(rv, 0, sizeof(*rv));
	scan_eofs(rv, b, len);
	if (rv->n == 0) {
		rv->tail_len = len;
		return;
	}
	rv->tail_len = len - rv->ends[rv->n - 1];
	rv->tail_ws_only = 1;
	for (i = rv->ends[rv->n - 1]; i < len; i++)
		if (!is_ws(b[i]))
			rv->tail_ws_only = 0;
	x = last_startxref(b, len, rv->eof_at[rv->n - 1]);
	rv->chain_ok = x >= 0;
	while (x >= 0 && rv->chain_len < ES_PDF_MAX_REVISIONS) {
		for (k = 0; k < rv->chain_len; k++)
			if (seen[k] == x) {
				rv->chain_ok = 0;  /* /Prev loop */
				return;
			}
		seen[rv->chain_len++] = x;
		x = xref_prev(b, len, (size_t)x);
		if (x == -2 || (x >= 0 && (size_t)x >= len))
			rv->chain_ok = 0;
	}
}

int pdf_revs_is_end(const pdf_revs *rv, size_t off)
{
	int i;

	for (i = 0; i < rv->n; i++)
		if (off == rv->ends[i] || off == rv->eof_at[i])
			return 1;
	return 0;
}
