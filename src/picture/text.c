/* Text layout: glyph cells on arcs, rows and grids, then outlines.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "picture_int.h"

#define ES_TEXT_MAX_CHARS 64
/* Name seals fill their cells, but a glyph is never stretched more than this
 * much in one direction relative to the other (一 stays a bar, not a block). */
#define ES_FILL_MAX_STRETCH 1.6
#define ES_ARC_SAMPLES 1024
#define ES_FIT_MAX_ROUNDS 400
#define ES_FIT_SHRINK 0.97
#define ES_SPAN_STEP_RAD (2.0 * M_PI / 180.0)

int es_utf8_decode(uint32_t *out, size_t cap, size_t *n, const char *s, es_err *err)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k = 0;

	while (*u != 0) {
		uint32_t cp;
		int more;

		if (*u < 0x80) {
			cp = *u;
			more = 0;
		} else if ((*u & 0xE0) == 0xC0) {
			cp = *u & 0x1F;
			more = 1;
		} else if ((*u & 0xF0) == 0xE0) {
			cp = *u & 0x0F;
			more = 2;
		} else if ((*u & 0xF8) == 0xF0) {
			cp = *u & 0x07;
			more = 3;
		} else {
			return es_err_set(err, ES_EINVAL, "seal text is not valid UTF-8");
		}
		u++;
		for (int i = 0; i < more; i++, u++) {
			if ((*u & 0xC0) != 0x80)
				return es_err_set(err, ES_EINVAL, "seal text is not valid UTF-8");
			cp = (cp << 6) | (*u & 0x3F);
		}
		if (cp < 0x20 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return es_err_set(err, ES_EINVAL, "seal text contains a control or invalid character");
		if (k == cap)
			return es_err_set(err, ES_ERANGE, "seal text is longer than %zu characters; shorten it", cap);
		out[k++] = cp;
	}
	*n = k;
	return 0;
}

static int load_glyphs(es_glyph_info *g, size_t *n, es_font *f, const char *utf8, es_err *err)
{
	uint32_t cps[ES_TEXT_MAX_CHARS];
	int rc;

	if ((rc = es_utf8_decode(cps, ES_TEXT_MAX_CHARS, n, utf8, err)) < 0)
		return rc;
	for (size_t i = 0; i < *n; i++)
		if ((rc = es_font_glyph(&g[i], f, cps[i], err)) < 0)
			return rc;
	return 0;
}

/* Source box of the glyph in em units (x0, y0, x1, y1; y up). */
static void source_box(double b[4], const es_glyph_info *g, es_fit fit, const es_font *f)
{
	double asc, desc;
	int blank = g->ink[2] <= g->ink[0] || g->ink[3] <= g->ink[1];

	es_font_em(f, &asc, &desc);
	b[0] = 0.0;
	b[1] = desc;
	b[2] = g->advance > 0 ? g->advance : 1.0;
	b[3] = asc;
	if (blank || fit == ES_FIT_EM)
		return;
	b[1] = g->ink[1];
	b[3] = g->ink[3];
	if (fit == ES_FIT_INK) {
		b[0] = g->ink[0];
		b[2] = g->ink[2];
	}
}

/* Affine map from glyph space (em, y up) into the cell on the page (mm, y down). */
static void glyph_matrix(double m[6], const es_glyph_info *g, const es_cell *c, es_fit fit,
			 const es_font *f)
{
	double b[4], sx, sy, bxm, bym, co = cos(c->angle), si = sin(c->angle);

	source_box(b, g, fit, f);
	sx = c->w / (b[2] - b[0]);
	sy = c->h / (b[3] - b[1]);
	if (fit == ES_FIT_INK) {
		sx = fmin(sx, sy * ES_FILL_MAX_STRETCH);
		sy = fmin(sy, sx * ES_FILL_MAX_STRETCH);
	}
	bxm = (b[0] + b[2]) / 2.0;
	bym = (b[1] + b[3]) / 2.0;
	m[0] = co * sx;
	m[1] = si * sx;
	m[2] = si * sy;
	m[3] = -co * sy;
	m[4] = c->cx - co * sx * bxm - si * sy * bym;
	m[5] = c->cy - si * sx * bxm + co * sy * bym;
}

static void glyph_quad(double q[4][2], const es_glyph_info *g, const double m[6])
{
	const double xs[4] = {g->ink[0], g->ink[2], g->ink[2], g->ink[0]};
	const double ys[4] = {g->ink[1], g->ink[1], g->ink[3], g->ink[3]};

	for (int i = 0; i < 4; i++) {
		q[i][0] = m[0] * xs[i] + m[2] * ys[i] + m[4];
		q[i][1] = m[1] * xs[i] + m[3] * ys[i] + m[5];
	}
}

static int place(es_picture *p, es_font *f, const es_glyph_info *g, size_t n, const es_cell *cells,
		 es_fit fit, es_pic_run run, es_err *err)
{
	for (size_t i = 0; i < n; i++) {
		es_pic_glyph pg = {run, g[i].cp, cells[i].cx, cells[i].cy, cells[i].angle, {{0}}};
		double m[6];
		int rc;

		if (g[i].ink[2] <= g[i].ink[0])
			continue; /* a space */
		glyph_matrix(m, &g[i], &cells[i], fit, f);
		glyph_quad(pg.quad, &g[i], m);
		if ((rc = es_font_outline(p, f, g[i].gid, m, err)) < 0)
			return rc;
		if ((rc = es_pic_glyph_add(p, &pg, err)) < 0)
			return rc;
	}
	return 0;
}

/* Natural width of a glyph cell for height h. */
static double cell_width(const es_glyph_info *g, es_fit fit, const es_font *f, double h)
{
	double b[4];

	source_box(b, g, fit, f);
	return h * (b[2] - b[0]) / (b[3] - b[1]);
}

/* Point and outward (upper arc) or inward (lower arc) normal angle at t. */
static void arc_point(double *x, double *y, double *angle, const es_arc *a, double A, double B, double t)
{
	*x = a->cx + A * sin(t);
	if (!a->bottom) {
		*y = a->cy - B * cos(t);
		*angle = atan2(B * sin(t), A * cos(t));
	} else {
		*y = a->cy + B * cos(t);
		*angle = atan2(-B * sin(t), A * cos(t));
	}
}

/* Cells evenly spaced by arc length over the span, centre radius A x B. */
static void arc_cells(es_cell *cells, const es_glyph_info *g, size_t n, const es_arc *a,
		      const es_font *f, double span, double h, double wf)
{
	double A = a->rx - h / 2.0, B = a->ry - h / 2.0;
	double len[ES_ARC_SAMPLES + 1], t0 = -span / 2.0, dt = span / ES_ARC_SAMPLES;
	size_t k = 0;

	len[0] = 0.0;
	for (int i = 1; i <= ES_ARC_SAMPLES; i++) {
		double ta = t0 + dt * (i - 1), tb = t0 + dt * i;
		len[i] = len[i - 1] + hypot(A * (sin(tb) - sin(ta)), B * (cos(tb) - cos(ta)));
	}
	for (size_t i = 0; i < n; i++) {
		double s = len[ES_ARC_SAMPLES] * ((double)i + 0.5) / (double)n, t;

		while (k < ES_ARC_SAMPLES - 1 && len[k + 1] < s)
			k++;
		t = t0 + dt * ((double)k + (s - len[k]) / (len[k + 1] - len[k]));
		arc_point(&cells[i].cx, &cells[i].cy, &cells[i].angle, a, A, B, t);
		cells[i].h = h;
		cells[i].w = cell_width(&g[i], a->fit, f, h) * wf;
	}
}

/* Smallest gap between the ink of neighbours, and whether any glyph runs
 * into text already on the picture. */
static void arc_check(double *neigh, int *blocked, const es_picture *p, const es_glyph_info *g,
		      size_t n, const es_cell *cells, const es_arc *a, const es_font *f)
{
	double q[ES_TEXT_MAX_CHARS][4][2], m[6];

	*neigh = DBL_MAX;
	*blocked = 0;
	for (size_t i = 0; i < n; i++) {
		glyph_matrix(m, &g[i], &cells[i], a->fit, f);
		glyph_quad(q[i], &g[i], m);
		for (size_t j = 0; j < p->nglyphs; j++)
			if (es_quad_separation(q[i], p->glyphs[j].quad) < a->clear_mm)
				*blocked = 1;
	}
	for (size_t i = 0; i + 1 < n; i++)
		*neigh = fmin(*neigh, es_quad_separation(q[i], q[i + 1]));
	if (n > 2)
		*neigh = fmin(*neigh, es_quad_separation(q[0], q[n - 1]));
}

int es_text_arc(es_picture *p, es_font *f, const char *utf8, const es_arc *a, es_err *err)
{
	es_glyph_info g[ES_TEXT_MAX_CHARS];
	es_cell cells[ES_TEXT_MAX_CHARS];
	double span = a->span, h = a->h, wf = a->wf, neigh;
	size_t n = 0;
	int rc, blocked, round;

	if ((rc = load_glyphs(g, &n, f, utf8, err)) < 0)
		return rc;
	if (n == 0)
		return 0;
	/* Give way to text already placed by narrowing the spread (then by
	 * smaller glyphs); keep neighbours apart by narrower glyphs, then
	 * smaller ones. */
	for (round = 0; round < ES_FIT_MAX_ROUNDS; round++) {
		arc_cells(cells, g, n, a, f, span, h, wf);
		arc_check(&neigh, &blocked, p, g, n, cells, a, f);
		if (!blocked && neigh >= a->gap_mm)
			break;
		if (blocked && span - ES_SPAN_STEP_RAD >= a->span_min)
			span -= ES_SPAN_STEP_RAD;
		else if (!blocked && wf * ES_FIT_SHRINK >= a->wf_min)
			wf *= ES_FIT_SHRINK;
		else
			h *= ES_FIT_SHRINK; /* smaller glyphs also sit further out */
	}
	if (round == ES_FIT_MAX_ROUNDS)
		return es_err_set(err, ES_ERANGE, "text \"%s\" does not fit the seal; shorten it", utf8);
	return place(p, f, g, n, cells, a->fit, a->run, err);
}

int es_text_row(es_picture *p, es_font *f, const char *utf8, const es_row *r, es_err *err)
{
	es_glyph_info g[ES_TEXT_MAX_CHARS];
	es_cell cells[ES_TEXT_MAX_CHARS];
	double total, scale = 1.0, x;
	size_t n = 0;
	int rc;

	if ((rc = load_glyphs(g, &n, f, utf8, err)) < 0)
		return rc;
	if (n == 0)
		return 0;
	total = (double)n * r->w + (double)(n - 1) * r->gap_mm;
	if (total > r->max_w)
		scale = r->max_w / total; /* condense: narrower cells, same height */
	x = r->cx - total * scale / 2.0;
	for (size_t i = 0; i < n; i++) {
		cells[i] = (es_cell){x + r->w * scale / 2.0, r->cy, 0.0, r->w * scale, r->h};
		x += (r->w + r->gap_mm) * scale;
	}
	return place(p, f, g, n, cells, r->fit, r->run, err);
}

int es_text_grid(es_picture *p, es_font *f, const uint32_t *cps, size_t n, int cols,
		 double x0, double y0, double w, double h, double gap_mm, es_err *err)
{
	es_glyph_info g[ES_TEXT_MAX_CHARS];
	es_cell cells[ES_TEXT_MAX_CHARS];
	size_t rows = (n + (size_t)cols - 1) / (size_t)cols;
	double cw = (w - gap_mm * (cols - 1)) / cols, ch = (h - gap_mm * (double)(rows - 1)) / (double)rows;
	int rc;

	if (n > ES_TEXT_MAX_CHARS)
		return es_err_set(err, ES_ERANGE, "too many characters for a name seal");
	for (size_t i = 0; i < n; i++) {
		size_t col = (size_t)cols - 1 - i / rows, row = i % rows;

		if ((rc = es_font_glyph(&g[i], f, cps[i], err)) < 0)
			return rc;
		cells[i] = (es_cell){x0 + (double)col * (cw + gap_mm) + cw / 2.0,
				     y0 + (double)row * (ch + gap_mm) + ch / 2.0, 0.0, cw, ch};
	}
	return place(p, f, g, n, cells, ES_FIT_INK, ES_RUN_PERSON, err);
}
