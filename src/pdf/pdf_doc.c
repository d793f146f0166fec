/* Reading PDFs with MuPDF: open, page geometry, keyword search, rendering.
 * MuPDF exceptions are turned into es_err here; nothing fz_ leaves src/pdf.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pdf_int.h"

#define HEADER_SCAN_LEN 1024
#define MAX_HITS 512

static void quiet(void *user, const char *msg)
{
	(void)user;
	(void)msg;
}

/* Read the tail: last startxref value and what kind of section it points at
 * (ISO 32000-1 §7.5.5; an update's /Prev must name exactly this offset). */
static int scan_file(pdfdoc *d, const char *path, const char *name, es_err *err)
{
	char head[HEADER_SCAN_LEN + 1], tail[ES_PDF_TAIL_LEN + 1], at[16];
	struct stat st;
	ssize_t n;
	off_t toff;
	char *p, *last = NULL;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return es_err_set(err, ES_EIO, "cannot open %s: %s", name, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = es_err_set(err, ES_EIO, "%s is not a readable regular file", name);
		goto out;
	}
	d->file_len = st.st_size;
	n = pread(fd, head, HEADER_SCAN_LEN, 0);
	if (n < 8 || !memmem(head, (size_t)n, "%PDF-", 5)) {
		rc = es_err_set(err, ES_EFORMAT, "%s is not a PDF file (no %%PDF- header)", name);
		goto out;
	}
	toff = st.st_size > ES_PDF_TAIL_LEN ? st.st_size - ES_PDF_TAIL_LEN : 0;
	n = pread(fd, tail, ES_PDF_TAIL_LEN, toff);
	if (n <= 0) {
		rc = es_err_set(err, ES_EIO, "cannot read %s", name);
		goto out;
	}
	tail[n] = '\0';
	d->ends_with_eol = tail[n - 1] == '\n' || tail[n - 1] == '\r';
	for (p = tail; (p = memmem(p, (size_t)(tail + n - p), "startxref", 9)) != NULL; p += 9)
		last = p;
	if (!last) {
		rc = es_err_set(err, ES_EPDF, "%s has no startxref; it is damaged: repair it with qpdf first", name);
		goto out;
	}
	errno = 0;
	d->startxref = strtoll(last + 9, &p, 10);
	if (errno || p == last + 9 || d->startxref <= 0 || d->startxref >= st.st_size) {
		rc = es_err_set(err, ES_EPDF, "%s has a bad startxref; repair it with qpdf first", name);
		goto out;
	}
	memset(at, 0, sizeof(at));
	n = pread(fd, at, sizeof(at) - 1, (off_t)d->startxref);
	if (n >= 4 && memcmp(at, "xref", 4) == 0)
		d->xref_stream = 0;
	else if (n > 0 && at[0] >= '0' && at[0] <= '9')
		d->xref_stream = 1;
	else
		rc = es_err_set(err, ES_EPDF, "%s: startxref does not point at a cross-reference section; repair it with qpdf first", name);
out:
	close(fd);
	return rc;
}

static void ref_str(fz_context *ctx, char *buf, size_t cap, pdf_obj *ref)
{
	if (pdf_is_indirect(ctx, ref))
		snprintf(buf, cap, "%d %d R", pdf_to_num(ctx, ref), pdf_to_gen(ctx, ref));
	else
		buf[0] = '\0';
}

static void id_hex(fz_context *ctx, char *buf, size_t cap, pdf_obj *s)
{
	size_t len = pdf_to_str_len(ctx, s);

	buf[0] = '\0';
	if (!pdf_is_string(ctx, s) || len == 0 || 2 * len + 1 > cap)
		return;
	es_hex_encode(buf, (const unsigned char *)pdf_to_str_buf(ctx, s), len);
}

/* Facts from the trailer; throws on MuPDF errors. */
static int read_trailer(pdfdoc *d, es_err *err)
{
	fz_context *ctx = d->ctx;
	pdf_obj *tr = pdf_trailer(ctx, d->doc);
	pdf_obj *root = pdf_dict_get(ctx, tr, PDF_NAME(Root));
	pdf_obj *id = pdf_dict_get(ctx, tr, PDF_NAME(ID));
	int size = pdf_dict_get_int(ctx, tr, PDF_NAME(Size));

	if (pdf_dict_get(ctx, tr, PDF_NAME(Encrypt)))
		return es_err_set(err, ES_ENOTSUP,
				  "encrypted PDFs are not supported; decrypt first with qpdf --decrypt");
	if (!pdf_is_indirect(ctx, root) || !pdf_is_dict(ctx, root))
		return es_err_set(err, ES_EPDF, "the PDF has no document catalog (/Root)");
	ref_str(ctx, d->root_ref, sizeof(d->root_ref), root);
	ref_str(ctx, d->info_ref, sizeof(d->info_ref), pdf_dict_get(ctx, tr, PDF_NAME(Info)));
	id_hex(ctx, d->id0, sizeof(d->id0), pdf_array_get(ctx, id, 0));
	id_hex(ctx, d->id1, sizeof(d->id1), pdf_array_get(ctx, id, 1));
	d->next_num = pdf_xref_len(ctx, d->doc);
	if (size > d->next_num)
		d->next_num = size;
	d->npages = pdf_count_pages(ctx, d->doc);
	if (d->npages <= 0)
		return es_err_set(err, ES_EPDF, "the PDF has no pages");
	return 0;
}

int pdfdoc_open(pdfdoc *d, const char *path, es_err *err)
{
	return pdfdoc_open_as(d, path, path, err);
}

int pdfdoc_open_as(pdfdoc *d, const char *path, const char *name, es_err *err)
{
	int rc = 0;

	memset(d, 0, sizeof(*d));
	if (strlen(path) >= sizeof(d->path))
		return es_err_set(err, ES_EINVAL, "path too long: %s", name);
	memcpy(d->path, path, strlen(path) + 1);
	if ((rc = scan_file(d, path, name, err)) < 0)
		return rc;
	d->ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
	if (!d->ctx)
		return es_err_set(err, ES_ENOMEM, "cannot create a MuPDF context");
	fz_set_warning_callback(d->ctx, quiet, NULL);
	fz_set_error_callback(d->ctx, quiet, NULL);
	fz_try(d->ctx)
	{
		d->doc = pdf_open_document(d->ctx, path);
		rc = read_trailer(d, err);
		if (rc == 0 && pdf_was_repaired(d->ctx, d->doc))
			rc = es_err_set(err, ES_EPDF, "%s has a damaged cross-reference table; "
					"repair it first (qpdf in.pdf out.pdf)", name);
	}
	fz_catch(d->ctx)
		rc = es_err_set(err, ES_EPDF, "cannot read %s as PDF: %s", name,
				fz_caught_message(d->ctx));
	if (rc < 0)
		pdfdoc_close(d);
	return rc;
}

void pdfdoc_close(pdfdoc *d)
{
	if (!d || !d->ctx)
		return;
	pdf_drop_document(d->ctx, d->doc);
	fz_drop_context(d->ctx);
	d->ctx = NULL;
	d->doc = NULL;
}

/* Display bounds and display->user matrix of a page; throws. */
static void page_geom(fz_context *ctx, pdf_document *doc, int i, fz_rect *bounds, fz_matrix *inv)
{
	pdf_page *pg = pdf_load_page(ctx, doc, i);
	fz_rect mb;
	fz_matrix ctm;

	fz_try(ctx)
	{
		*bounds = pdf_bound_page(ctx, pg);
		pdf_page_transform(ctx, pg, &mb, &ctm);
		*inv = fz_invert_matrix(ctm);
	}
	fz_always(ctx)
		fz_drop_page(ctx, &pg->super);
	fz_catch(ctx)
		fz_rethrow(ctx);
}

static int add_widget(pdfwidget **ws, size_t *n, size_t *cap, const pdfwidget *w, es_err *err)
{
	if (*n >= ES_PDF_MAX_PLACEMENTS)
		return es_err_set(err, ES_ERANGE, "more than %d seal positions; sign in several passes",
				  ES_PDF_MAX_PLACEMENTS);
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 8;
		pdfwidget *p = realloc(*ws, nc * sizeof(*p));
		if (!p)
			return es_err_set(err, ES_ENOMEM, "out of memory");
		*ws = p;
		*cap = nc;
	}
	(*ws)[(*n)++] = *w;
	return 0;
}

static pdfwidget centred(int page, fz_matrix inv, double cx, double cy, double w_pt, double h_pt)
{
	pdfwidget w;

	memset(&w, 0, sizeof(w));
	w.page = page;
	w.box = fz_make_rect(cx - w_pt / 2, cy - h_pt / 2, cx + w_pt / 2, cy + h_pt / 2);
	w.disp_to_user = inv;
	w.seal_w_pt = w_pt;
	w.seal_h_pt = h_pt;
	return w;
}

/* Hits of needle on page i (centres in display points); throws. */
static int page_hits(fz_context *ctx, pdf_document *doc, int i, const char *needle,
		     fz_point *centres, int max)
{
	fz_quad quads[MAX_HITS];
	int marks[MAX_HITS];
	fz_page *pg = NULL;
	fz_stext_page *st = NULL;
	int nq = 0, nh = 0, q;
	fz_rect r = fz_empty_rect;

	fz_var(pg);
	fz_var(st);
	fz_try(ctx)
	{
		pg = fz_load_page(ctx, &doc->super, i);
		st = fz_new_stext_page_from_page(ctx, pg, NULL);
		memset(marks, 0, sizeof(marks));
		nq = fz_search_stext_page(ctx, st, needle, marks, quads, MAX_HITS);
	}
	fz_always(ctx)
	{
		fz_drop_stext_page(ctx, st);
		fz_drop_page(ctx, pg);
	}
	fz_catch(ctx)
		fz_rethrow(ctx);
	for (q = 0; q < nq; q++) {
		if (marks[q] && q > 0 && nh < max) {
			centres[nh++] = fz_make_point((r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2);
			r = fz_empty_rect;
		}
		r = fz_union_rect(r, fz_rect_from_quad(quads[q]));
	}
	if (nq > 0 && nh < max)
		centres[nh++] = fz_make_point((r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2);
	return nh;
}

static int place_keyword(pdfwidget **ws, size_t *n, size_t *cap, pdfdoc *d,
			 const es_pdf_sign_opts *o, double w_pt, double h_pt, es_err *err)
{
	fz_context *ctx = d->ctx;
	fz_point c[MAX_HITS];
	fz_rect b;
	fz_matrix inv;
	int i, k, nh, seen = 0, rc = 0;

	for (i = 0; i < d->npages && rc == 0; i++) {
		nh = page_hits(ctx, d->doc, i, o->keyword, c, MAX_HITS);
		if (nh == 0)
			continue;
		page_geom(ctx, d->doc, i, &b, &inv);
		for (k = 0; k < nh && rc == 0; k++) {
			pdfwidget w = centred(i, inv, c[k].x, c[k].y, w_pt, h_pt);
			seen++;
			if (o->occurrence == 0 || o->occurrence == seen)
				rc = add_widget(ws, n, cap, &w, err);
		}
		if (o->occurrence > 0 && seen >= o->occurrence)
			break;
	}
	if (rc == 0 && *n == 0) {
		if (seen == 0)
			rc = es_err_set(err, ES_ENOTFOUND, "keyword \"%s\" not found in the document "
					"(scanned PDFs have no text to search)", o->keyword);
		else
			rc = es_err_set(err, ES_ENOTFOUND, "keyword \"%s\" occurs %d times; occurrence %d "
					"does not exist", o->keyword, seen, o->occurrence);
	}
	return rc;
}

static int place_cross(pdfwidget **ws, size_t *n, size_t *cap, pdfdoc *d,
		       const es_pdf_sign_opts *o, double w_pt, double h_pt, es_err *err)
{
	double sw = w_pt / d->npages, cy;
	fz_rect b;
	fz_matrix inv;
	int i, rc = 0;

	for (i = 0; i < d->npages && rc == 0; i++) {
		pdfwidget w;
		page_geom(d->ctx, d->doc, i, &b, &inv);
		cy = o->y_mm < 0 ? (b.y0 + b.y1) / 2 : b.y0 + o->y_mm * ES_PT_PER_MM;
		w = centred(i, inv, b.x1 - sw / 2, cy, sw, h_pt);
		w.strip = 1;
		w.strip_x0_pt = sw * i;
		w.seal_w_pt = w_pt;
		rc = add_widget(ws, n, cap, &w, err);
	}
	return rc;
}

static int place_xy(pdfwidget **ws, size_t *n, size_t *cap, pdfdoc *d,
		    const es_pdf_sign_opts *o, double w_pt, double h_pt, es_err *err)
{
	int first, last, i, rc = 0;
	fz_rect b;
	fz_matrix inv;

	if (o->page == ES_PDF_PAGE_ALL) {
		first = 0;
		last = d->npages - 1;
	} else if (o->page == ES_PDF_PAGE_LAST) {
		first = last = d->npages - 1;
	} else if (o->page >= 1 && o->page <= d->npages) {
		first = last = o->page - 1;
	} else {
		return es_err_set(err, ES_EINVAL, "page %d does not exist; the document has %d pages",
				  o->page, d->npages);
	}
	for (i = first; i <= last && rc == 0; i++) {
		pdfwidget w;
		page_geom(d->ctx, d->doc, i, &b, &inv);
		w = centred(i, inv, b.x0 + o->x_mm * ES_PT_PER_MM, b.y0 + o->y_mm * ES_PT_PER_MM,
			    w_pt, h_pt);
		rc = add_widget(ws, n, cap, &w, err);
	}
	return rc;
}

int pdf_place(pdfwidget **out, size_t *n, pdfdoc *d, const es_pdf_sign_opts *o, es_err *err)
{
	pdfwidget *ws = NULL;
	size_t cap = 0;
	double w_pt = o->width_mm * ES_PT_PER_MM, h_pt = o->height_mm * ES_PT_PER_MM;
	int rc = 0;

	*out = NULL;
	*n = 0;
	fz_var(ws);
	fz_try(d->ctx)
	{
		if (o->cross_page)
			rc = place_cross(&ws, n, &cap, d, o, w_pt, h_pt, err);
		else if (o->keyword)
			rc = place_keyword(&ws, n, &cap, d, o, w_pt, h_pt, err);
		else
			rc = place_xy(&ws, n, &cap, d, o, w_pt, h_pt, err);
	}
	fz_catch(d->ctx)
		rc = es_err_set(err, ES_EPDF, "cannot read the pages: %s", fz_caught_message(d->ctx));
	if (rc < 0) {
		free(ws);
		*n = 0;
		return rc;
	}
	*out = ws;
	return 0;
}

int es_pdf_page_count(int *out, const char *path, es_err *err)
{
	pdfdoc d;
	int rc = pdfdoc_open(&d, path, err);

	if (rc < 0)
		return rc;
	*out = d.npages;
	pdfdoc_close(&d);
	return 0;
}

int es_pdf_page_size_mm(double *w, double *h, const char *path, int page, es_err *err)
{
	pdfdoc d;
	fz_rect b = fz_empty_rect;
	fz_matrix inv;
	int rc = pdfdoc_open(&d, path, err);

	if (rc < 0)
		return rc;
	if (page < 1 || page > d.npages) {
		rc = es_err_set(err, ES_EINVAL, "page %d does not exist; the document has %d pages",
				page, d.npages);
		goto out;
	}
	fz_try(d.ctx)
		page_geom(d.ctx, d.doc, page - 1, &b, &inv);
	fz_catch(d.ctx)
		rc = es_err_set(err, ES_EPDF, "cannot read page %d: %s", page, fz_caught_message(d.ctx));
	*w = (b.x1 - b.x0) / ES_PT_PER_MM;
	*h = (b.y1 - b.y0) / ES_PT_PER_MM;
out:
	pdfdoc_close(&d);
	return rc;
}

int es_pdf_render_page(unsigned char **png, size_t *len, const char *path, int page,
		       int dpi, es_err *err)
{
	pdfdoc d;
	fz_pixmap *pix = NULL;
	fz_buffer *buf = NULL;
	int rc = pdfdoc_open(&d, path, err);

	*png = NULL;
	*len = 0;
	if (rc < 0)
		return rc;
	if (page < 1 || page > d.npages || dpi < 1 || dpi > 2400) {
		rc = es_err_set(err, ES_EINVAL, "page %d / %d dpi out of range (%d pages, 1..2400 dpi)",
				page, dpi, d.npages);
		goto out;
	}
	fz_var(pix);
	fz_var(buf);
	fz_try(d.ctx)
	{
		pix = fz_new_pixmap_from_page_number(d.ctx, &d.doc->super, page - 1,
						     fz_scale(dpi / 72.0, dpi / 72.0),
						     fz_device_rgb(d.ctx), 0);
		buf = fz_new_buffer_from_pixmap_as_png(d.ctx, pix, fz_default_color_params);
	}
	fz_catch(d.ctx)
		rc = es_err_set(err, ES_EPDF, "cannot render page %d: %s", page, fz_caught_message(d.ctx));
	if (rc == 0) {
		unsigned char *data = NULL;
		size_t n = fz_buffer_storage(d.ctx, buf, &data);
		*png = malloc(n ? n : 1);
		if (!*png)
			rc = es_err_set(err, ES_ENOMEM, "out of memory");
		else {
			memcpy(*png, data, n);
			*len = n;
		}
	}
	fz_drop_buffer(d.ctx, buf);
	fz_drop_pixmap(d.ctx, pix);
out:
	pdfdoc_close(&d);
	return rc;
}
