/* Vector outputs: SVG, PDF content stream, one-page PDF.  All three walk
 * the same path list; none embeds a font (text is already outlines).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "picture_int.h"
#include "util/util.h"

#define ES_NUM_SCALE 1000 /* three decimals: 0.001 mm / 0.001 pt */
#define ES_PDF_OBJECTS 4

/* Fixed-point number, independent of the C locale's decimal separator. */
static int put_num(es_buf *b, double v, es_err *err)
{
	long long u = llround(fabs(v) * ES_NUM_SCALE);
	long long ip = u / ES_NUM_SCALE, fp = u % ES_NUM_SCALE;
	char frac[8];
	int n;

	if (u == 0)
		return es_buf_puts(b, "0", err);
	n = snprintf(frac, sizeof(frac), "%03lld", fp);
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	return es_buf_printf(b, err, "%s%lld%s%s", v < 0 ? "-" : "", ip, n > 0 ? "." : "", frac);
}

/* Append pts as "x y x y ..." after mapping each point through map. */
typedef void (*map_fn)(double *x, double *y, const es_picture *p);

static int put_points(es_buf *b, const double *q, int npts, map_fn map, const es_picture *p,
		      es_err *err)
{
	int rc = 0;

	for (int i = 0; i < npts && rc == 0; i++) {
		double x = q[2 * i], y = q[2 * i + 1];

		map(&x, &y, p);
		if ((rc = put_num(b, x, err)) == 0)
			rc = es_buf_puts(b, " ", err);
		if (rc == 0)
			rc = put_num(b, y, err);
		if (rc == 0)
			rc = es_buf_puts(b, " ", err);
	}
	return rc;
}

static void map_mm(double *x, double *y, const es_picture *p)
{
	(void)x;
	(void)y;
	(void)p;
}

static void map_pt(double *x, double *y, const es_picture *p)
{
	*x *= ES_PT_PER_MM;
	*y = (p->height_mm - *y) * ES_PT_PER_MM;
}

/* Path data with one-letter operators: SVG puts them before the points
 * (M L C Z), PDF after them (m l c h). */
static int put_path(es_buf *b, const es_pic_path *path, const char *ops[4], int prefix, map_fn map,
		    const es_picture *p, es_err *err)
{
	static const int npts[] = {1, 1, 3, 0};
	int rc = 0;

	for (size_t i = 0; i < path->nsegs && rc == 0; i++) {
		const es_pic_seg *s = &path->segs[i];

		if (prefix)
			rc = es_buf_puts(b, ops[s->op], err);
		if (rc == 0)
			rc = put_points(b, s->p, npts[s->op], map, p, err);
		if (rc == 0 && !prefix)
			rc = es_buf_puts(b, ops[s->op], err);
	}
	return rc;
}

int es_picture_svg(char **out, const es_picture *p, es_err *err)
{
	static const char *ops[4] = {"M ", "L ", "C ", "Z "};
	es_buf b = {0};
	int rc;

	assert(out != NULL && p != NULL);
	*out = NULL;
	rc = es_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"", err);
	if (rc == 0 && (rc = put_num(&b, p->width_mm, err)) == 0 &&
	    (rc = es_buf_puts(&b, "mm\" height=\"", err)) == 0 && (rc = put_num(&b, p->height_mm, err)) == 0 &&
	    (rc = es_buf_puts(&b, "mm\" viewBox=\"0 0 ", err)) == 0 && (rc = put_num(&b, p->width_mm, err)) == 0 &&
	    (rc = es_buf_puts(&b, " ", err)) == 0 && (rc = put_num(&b, p->height_mm, err)) == 0)
		rc = es_buf_printf(&b, err, "\">\n<title>%s</title>\n", es_seal_kind_label_zh(p->kind));
	for (size_t i = 0; i < p->npaths && rc == 0; i++) {
		const es_pic_path *pp = &p->paths[i];

		if (pp->stroke_mm > 0) {
			rc = es_buf_printf(&b, err, "<path fill=\"none\" stroke=\"#%02X%02X%02X\" stroke-width=\"",
					   ES_INK_R, ES_INK_G, ES_INK_B);
			if (rc == 0)
				rc = put_num(&b, pp->stroke_mm, err);
			if (rc == 0)
				rc = es_buf_puts(&b, "\" d=\"", err);
		} else {
			rc = es_buf_printf(&b, err, "<path fill=\"#%02X%02X%02X\" d=\"", ES_INK_R, ES_INK_G,
					   ES_INK_B);
		}
		if (rc == 0)
			rc = put_path(&b, pp, ops, 1, map_mm, p, err);
		if (rc == 0)
			rc = es_buf_puts(&b, "\"/>\n", err);
	}
	if (rc == 0)
		rc = es_buf_append(&b, "</svg>\n", 8, err); /* with the NUL */
	if (rc < 0) {
		es_buf_free(&b, 0);
		return rc;
	}
	*out = (char *)b.data;
	return 0;
}

static int stream_body(es_buf *b, const es_picture *p, es_err *err)
{
	static const char *ops[4] = {"m\n", "l\n", "c\n", "h\n"};
	const double r = ES_INK_R / 255.0, g = ES_INK_G / 255.0, bl = ES_INK_B / 255.0;
	int rc;

	rc = es_buf_puts(b, "q\n", err);
	for (int i = 0; i < 3 && rc == 0; i++) {
		const double c[3] = {r, g, bl};

		if ((rc = put_num(b, c[i], err)) == 0)
			rc = es_buf_puts(b, " ", err);
	}
	if (rc == 0)
		rc = es_buf_puts(b, "rg\n", err);
	for (int i = 0; i < 3 && rc == 0; i++) {
		const double c[3] = {r, g, bl};

		if ((rc = put_num(b, c[i], err)) == 0)
			rc = es_buf_puts(b, " ", err);
	}
	if (rc == 0)
		rc = es_buf_puts(b, "RG\n", err);
	for (size_t i = 0; i < p->npaths && rc == 0; i++) {
		const es_pic_path *pp = &p->paths[i];

		if (pp->stroke_mm > 0) {
			if ((rc = put_num(b, pp->stroke_mm * ES_PT_PER_MM, err)) == 0)
				rc = es_buf_puts(b, " w\n", err);
		}
		if (rc == 0)
			rc = put_path(b, pp, ops, 0, map_pt, p, err);
		if (rc == 0)
			rc = es_buf_puts(b, pp->stroke_mm > 0 ? "S\n" : "f\n", err);
	}
	if (rc == 0)
		rc = es_buf_puts(b, "Q\n", err);
	return rc;
}

int es_picture_pdf_stream(char **out, size_t *len, const es_picture *p, es_err *err)
{
	es_buf b = {0};
	int rc;

	assert(out != NULL && p != NULL && len != NULL);
	*out = NULL;
	*len = 0;
	rc = stream_body(&b, p, err);
	if (rc == 0)
		rc = es_buf_append(&b, "", 1, err); /* NUL for convenience, not counted */
	if (rc < 0) {
		es_buf_free(&b, 0);
		return rc;
	}
	*out = (char *)b.data;
	*len = b.len - 1;
	return 0;
}

/* PDF 1.4, ISO 32000-1 §7.5: header, four objects (catalog, page tree,
 * page, content stream), cross-reference table and trailer. */
int es_picture_pdf(unsigned char **out, size_t *len, const es_picture *p, es_err *err)
{
	es_buf b = {0}, content = {0};
	size_t off[ES_PDF_OBJECTS + 1];
	size_t xref;
	int rc;

	assert(out != NULL && p != NULL && len != NULL);
	*out = NULL;
	*len = 0;
	if ((rc = stream_body(&content, p, err)) < 0)
		goto out;
	if ((rc = es_buf_puts(&b, "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n", err)) < 0)
		goto out;
	off[1] = b.len;
	if ((rc = es_buf_puts(&b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n", err)) < 0)
		goto out;
	off[2] = b.len;
	if ((rc = es_buf_puts(&b, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n", err)) < 0)
		goto out;
	off[3] = b.len;
	if ((rc = es_buf_puts(&b, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ", err)) < 0 ||
	    (rc = put_num(&b, p->width_mm * ES_PT_PER_MM, err)) < 0 || (rc = es_buf_puts(&b, " ", err)) < 0 ||
	    (rc = put_num(&b, p->height_mm * ES_PT_PER_MM, err)) < 0 ||
	    (rc = es_buf_puts(&b, "] /Resources << >> /Contents 4 0 R >>\nendobj\n", err)) < 0)
		goto out;
	off[4] = b.len;
	if ((rc = es_buf_printf(&b, err, "4 0 obj\n<< /Length %zu >>\nstream\n", content.len)) < 0 ||
	    (rc = es_buf_append(&b, content.data, content.len, err)) < 0 ||
	    (rc = es_buf_puts(&b, "endstream\nendobj\n", err)) < 0)
		goto out;
	xref = b.len;
	if ((rc = es_buf_printf(&b, err, "xref\n0 %d\n0000000000 65535 f \n", ES_PDF_OBJECTS + 1)) < 0)
		goto out;
	for (int i = 1; i <= ES_PDF_OBJECTS; i++)
		if ((rc = es_buf_printf(&b, err, "%010zu 00000 n \n", off[i])) < 0)
			goto out;
	rc = es_buf_printf(&b, err, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
			   ES_PDF_OBJECTS + 1, xref);
out:
	es_buf_free(&content, 0);
	if (rc < 0) {
		es_buf_free(&b, 0);
		return rc;
	}
	*out = b.data;
	*len = b.len;
	return 0;
}
