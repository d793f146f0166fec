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
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>
#include "vint.h"
#include "vpdf.h"

#define PAGE_ITER_FIRST_CAP 64
#define PAGE_ITER_KID_BUDGET (8 * ES_PDF_MAX_PAGES)

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

static void pt_emit(fz_context *ctx, page_iter *it, pdf_obj *kid)
{
	if (it->n == it->cap) {
		int cap = it->cap ? 2 * it->cap : PAGE_ITER_FIRST_CAP;

		it->pages = fz_realloc_array(ctx, it->pages, cap, pdf_obj *);
		it->cap = cap;
	}
	it->pages[it->n++] = pdf_keep_obj(ctx, kid);
}

/* One more page: 1, or 0 when the walk cannot say what the lookup would. */
static int pt_step(fz_context *ctx, page_iter *it)
{
	while (it->depth > 0 && --it->budget > 0) {
		pt_frame *f = &it->st[it->depth - 1];
		pdf_obj *kid, *type;
		int count, room;

		if (f->acc >= f->limit) {
			it->depth--;  /* no index reaches the rest of this node */
			continue;
		}
		if (f->i == f->len)
			return 0;     /* indexes left but no kids: the lookup throws */
		kid = pdf_array_get(ctx, f->kids, f->i++);
		type = pdf_dict_get(ctx, kid, PDF_NAME(Type));
		if (!(type ? pdf_name_eq(ctx, type, PDF_NAME(Pages)) :
		      pdf_dict_get(ctx, kid, PDF_NAME(Kids)) && !pdf_dict_get(ctx, kid, PDF_NAME(MediaBox)))) {
			if (kid == NULL)
				return 0;  /* a null kid: the lookup loops on and throws */
			f->acc++;
			pt_emit(ctx, it, kid);
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

void page_iter_drop(fz_context *ctx, page_iter *it)
{
	int i;

	for (i = 0; i < it->n; i++)
		pdf_drop_obj(ctx, it->pages[i]);
	fz_free(ctx, it->pages);
	memset(it, 0, sizeof(*it));
}
