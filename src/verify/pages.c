/* Pages in order, as pdf_lookup_page_obj() gives them, in one walk.
 *
 * MuPDF's lookup walks the page tree from the root for every index, so
 * asking for every page of a large document is quadratic (1000 pages:
 * ≈ 280 M instructions).  page_iter_get() continues one walk instead.  The
 * walk follows the lookup's rules (ISO 32000-2 §7.7.3.2: /Type /Pages, or
 * /Kids without /MediaBox when /Type is missing, marks an intermediate node
 * whose /Count routes indexes) and touches the same objects in the same
 * order.  Where the two could differ (counts that do not add up, negative
 * counts, cycles, too deep, a repair of the xref meanwhile) it stops and
 * every later call is answered by the lookup itself.
 *
 * Parsing every page object with MuPDF (≈ 20 k instructions each) was most
 * of the verification of a long document, to learn two things a page's own
 * bytes usually show: whether it is a leaf, and whether it has /Annots.
 * page_plain_names() reads those bytes itself, but only when they are of a
 * kind every PDF lexer reads alike (see there); for anything else it says
 * "unknown" and MuPDF parses the object as before.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include "vint.h"
#include "vpdf.h"

#define PAGE_ITER_FIRST_CAP 64
#define PAGE_ITER_KID_BUDGET (8 * ES_PDF_MAX_PAGES)

#define PLAIN_MAX_LEN ((size_t)64 * 1024)

/* Byte classes of the plain kind (ISO 32000-2 §7.2.3 white space and
 * delimiters, and the few regular bytes it admits), one table lookup per
 * byte: this runs over every page object of a document. */
#define PL_WS 1       /* white space */
#define PL_DELIM 2    /* delimiter */
#define PL_NAME 4     /* in a name: letters, digits, . _ - + */
#define PL_NUM 8      /* in a number: digits, . + - */
#define PL_ALPHA 16   /* in a keyword: letters */
#define PL_HEX 32     /* in a hex string: hex digits (and white space) */
#define PL_END (PL_WS | PL_DELIM)
static unsigned char pl_class[256];
static pthread_once_t pl_once = PTHREAD_ONCE_INIT;

static void pl_init(void)
{
	const char *delims = "()<>[]{}/%";
	int c;

	pl_class[0] = pl_class['\t'] = pl_class['\n'] = pl_class['\f'] = pl_class['\r'] =
		pl_class[' '] = PL_WS | PL_HEX;
	for (; *delims; delims++)
		pl_class[(unsigned char)*delims] = PL_DELIM;
	for (c = 0; c < 256; c++) {
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'), digit = c >= '0' && c <= '9';

		if (alpha)
			pl_class[c] |= PL_NAME | PL_ALPHA;
		if (digit)
			pl_class[c] |= PL_NAME | PL_NUM | PL_HEX;
		if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			pl_class[c] |= PL_HEX;
	}
	pl_class['.'] |= PL_NAME | PL_NUM;
	pl_class['+'] |= PL_NAME | PL_NUM;
	pl_class['-'] |= PL_NAME | PL_NUM;
	pl_class['_'] |= PL_NAME;
}

/* End of the run of bytes of class cls from p, or 0 when the run is not
 * ended by white space or a delimiter (a byte outside the plain set). */
static inline size_t pl_run(const unsigned char *b, size_t end, size_t p, unsigned cls)
{
	while (p < end && (pl_class[b[p]] & cls))
		p++;
	return p < end && (pl_class[b[p]] & PL_END) ? p : 0;
}

static int pl_is(const unsigned char *b, size_t s, size_t e, const char *w)
{
	size_t n = strlen(w);

	return e - s == n && memcmp(b + s, w, n) == 0;
}

/* The names that matter to the walk, in a dictionary object whose body
 * starts at p: PAGE_HAS_* bits, or -1 unless the object is one dictionary
 * followed by endobj, made only of dictionaries, arrays, names of letters,
 * digits and ._-+, numbers, hex strings and the keywords R, true, false and
 * null.  In such bytes no name can hide inside a string, comment or stream,
 * no # escape can spell one, and every lexer splits the tokens alike. */
static int plain_names(const unsigned char *b, size_t len, size_t p)
{
	size_t end = len - p > PLAIN_MAX_LEN ? p + PLAIN_MAX_LEN : len, q;
	int depth = 0, names = 0, closed = 0;

	pthread_once(&pl_once, pl_init);
	for (;;) {
		while (p < end && (pl_class[b[p]] & PL_WS))
			p++;
		if (p >= end)
			return -1;
		if (closed)   /* the dictionary is complete: only endobj may follow */
			return (q = pl_run(b, end, p, PL_ALPHA)) && pl_is(b, p, q, "endobj") ? names : -1;
		if (depth == 0 && (p + 1 >= end || b[p] != '<' || b[p + 1] != '<'))
			return -1;
		switch (b[p]) {
		case '<':
			if (p + 1 < end && b[p + 1] == '<') {
				if (++depth > ES_PDF_MAX_DEPTH)
					return -1;
				p += 2;
				break;
			}
			for (p++; p < end && (pl_class[b[p]] & PL_HEX); p++)
				;
			if (p >= end || b[p] != '>')
				return -1;
			p++;
			break;
		case '>':
			if (p + 1 >= end || b[p + 1] != '>')
				return -1;
			p += 2;
			closed = --depth == 0;
			break;
		case '[':
			if (++depth > ES_PDF_MAX_DEPTH)
				return -1;
			p++;
			break;
		case ']':
			if (--depth <= 0)
				return -1;
			p++;
			break;
		case '/':
			if ((q = pl_run(b, end, p + 1, PL_NAME)) == 0)
				return -1;
			if (pl_is(b, p + 1, q, "Annots"))
				names |= PAGE_HAS_ANNOTS;
			else if (pl_is(b, p + 1, q, "Kids"))
				names |= PAGE_HAS_KIDS;
			else if (pl_is(b, p + 1, q, "Pages"))
				names |= PAGE_HAS_PAGES;
			p = q;
			break;
		default:
			if (pl_class[b[p]] & PL_NUM)
				q = pl_run(b, end, p, PL_NUM);
			else if ((pl_class[b[p]] & PL_ALPHA) && (q = pl_run(b, end, p, PL_ALPHA)) != 0 &&
				 !pl_is(b, p, q, "R") && !pl_is(b, p, q, "true") &&
				 !pl_is(b, p, q, "false") && !pl_is(b, p, q, "null"))
				q = 0;
			else if (!(pl_class[b[p]] & PL_ALPHA))
				q = 0;
			if (q == 0)
				return -1;
			p = q;
		}
	}
}

int page_plain_names(fz_context *ctx, pdf_document *doc, const unsigned char *buf, size_t len,
		     pdf_obj *ref)
{
	pdf_xref_entry *e;
	size_t body;
	int num = pdf_to_num(ctx, ref);

	if (buf == NULL || !pdf_is_indirect(ctx, ref) || num <= 0 || num >= pdf_xref_len(ctx, doc))
		return -1;
	e = pdf_get_xref_entry_no_null(ctx, doc, num);
	/* only objects MuPDF would read from these very bytes, not yet read */
	if (e->type != 'n' || e->obj != NULL || e->stm_buf != NULL || e->ofs <= 0 ||
	    (uint64_t)e->ofs >= len || lx_obj_header(buf, len, (size_t)e->ofs, num, &body) < 0)
		return -1;
	return plain_names(buf, len, body);
}

/* Enter a node that a lookup would descend into with limit indexes. */
static int pt_push(fz_context *ctx, page_iter *it, pdf_obj *node, int limit)
{
	pt_frame *f;
	int k, num = pdf_to_num(ctx, node);

	if (it->depth > ES_PDF_MAX_DEPTH)
		return -1;
	f = &it->st[it->depth];
	f->kids = pdf_dict_get(ctx, node, PDF_NAME(Kids));
	f->len = pdf_array_len(ctx, f->kids);
	if (f->len == 0)
		return -1;  /* the lookup throws "malformed page tree" */
	for (k = 0; num > 0 && k < it->depth; k++)
		if (it->st[k].num == num)
			return -1;  /* the lookup throws "cycle in page tree" */
	f->num = num;
	f->i = 0;
	f->limit = limit;
	f->acc = 0;
	it->depth++;
	return 0;
}

static void pt_emit(fz_context *ctx, page_iter *it, pdf_obj *kid, int names)
{
	if (it->n == it->cap) {
		int cap = it->cap ? 2 * it->cap : PAGE_ITER_FIRST_CAP;

		it->pages = fz_realloc_array(ctx, it->pages, cap, pdf_obj *);
		it->names = fz_realloc_array(ctx, it->names, cap, int);
		it->cap = cap;
	}
	it->names[it->n] = names;
	it->pages[it->n++] = pdf_keep_obj(ctx, kid);
}

/* One more page: 1, or 0 when the walk cannot say what the lookup would. */
static int pt_step(fz_context *ctx, page_iter *it)
{
	while (it->depth > 0 && --it->budget > 0) {
		pt_frame *f = &it->st[it->depth - 1];
		pdf_obj *kid, *type;
		int count, room, names;

		if (f->acc >= f->limit) {
			it->depth--;  /* no index reaches the rest of this node */
			continue;
		}
		if (f->i == f->len)
			return 0;     /* indexes left but no kids: the lookup throws */
		kid = pdf_array_get(ctx, f->kids, f->i++);
		names = page_plain_names(ctx, it->doc, it->buf, it->len, kid);
		if (names >= 0 && !(names & (PAGE_HAS_KIDS | PAGE_HAS_PAGES))) {
			/* neither /Type /Pages nor /Kids: a leaf, as the lookup says */
			f->acc++;
			pt_emit(ctx, it, kid, names);
			return 1;
		}
		type = pdf_dict_get(ctx, kid, PDF_NAME(Type));
		if (!(type ? pdf_name_eq(ctx, type, PDF_NAME(Pages)) :
		      pdf_dict_get(ctx, kid, PDF_NAME(Kids)) && !pdf_dict_get(ctx, kid, PDF_NAME(MediaBox)))) {
			if (kid == NULL)
				return 0;  /* a null kid: the lookup loops on and throws */
			f->acc++;
			pt_emit(ctx, it, kid, -1);  /* parsed already: nothing to save */
			return 1;
		}
		count = pdf_dict_get_int(ctx, kid, PDF_NAME(Count));
		if (count < 0)
			return 0;
		if (count == 0)
			continue;     /* the lookup skips it without entering */
		room = f->limit - f->acc;
		if (pt_push(ctx, it, kid, count < room ? count : room) < 0)
			return 0;
		f->acc = count < room ? f->acc + count : f->limit;
	}
	return 0;
}

static void pt_start(fz_context *ctx, pdf_document *doc, page_iter *it)
{
	pdf_obj *root = pdf_dict_get(ctx, pdf_trailer(ctx, doc), PDF_NAME(Root));
	pdf_obj *node = pdf_dict_get(ctx, root, PDF_NAME(Pages));
	int n = pdf_count_pages(ctx, doc);

	it->started = 1;
	it->dead = 1;
	it->repaired = pdf_was_repaired(ctx, doc);
	it->budget = PAGE_ITER_KID_BUDGET;
	if (node != NULL && n > 0 &&
	    pt_push(ctx, it, node, n < ES_PDF_MAX_PAGES ? n : ES_PDF_MAX_PAGES) == 0)
		it->dead = 0;
}

pdf_obj *page_iter_get(fz_context *ctx, pdf_document *doc, page_iter *it, int i)
{
	it->doc = doc;
	if (!it->started) {
		it->dead = 1;  /* stays so if the start throws */
		pt_start(ctx, doc, it);
	}
	if (!it->dead && pdf_was_repaired(ctx, doc) != it->repaired)
		it->dead = 1;
	if (!it->dead && i == it->n) {
		it->dead = 1;  /* stays so if the walk throws */
		it->dead = !pt_step(ctx, it);
	}
	if (!it->dead && i >= 0 && i < it->n)
		return it->pages[i];
	return pdf_lookup_page_obj(ctx, doc, i);
}

int page_iter_names(const page_iter *it, int i)
{
	return !it->dead && i >= 0 && i < it->n ? it->names[i] : PAGE_NAMES_UNKNOWN;
}

void page_iter_drop(fz_context *ctx, page_iter *it)
{
	int i;

	for (i = 0; i < it->n; i++)
		pdf_drop_obj(ctx, it->pages[i]);
	fz_free(ctx, it->pages);
	fz_free(ctx, it->names);
	memset(it, 0, sizeof(*it));
}
