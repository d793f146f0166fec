/* The picture's path list and small geometry helpers.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "picture_int.h"

/* Control-point distance for a quarter circle drawn as one cubic Bézier. */
#define ES_BEZIER_QUARTER_K 0.5522847498

static int grow(void **ptr, size_t *cap, size_t need, size_t elem, es_err *err)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap != 0 ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*ptr, ncap * elem);
	if (np == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory while drawing the seal");
	*ptr = np;
	*cap = ncap;
	return 0;
}

int es_pic_begin(es_picture *p, double stroke_mm, es_pic_path **out, es_err *err)
{
	int rc;

	rc = grow((void **)&p->paths, &p->cap, p->npaths + 1, sizeof(*p->paths), err);
	if (rc < 0)
		return rc;
	*out = &p->paths[p->npaths++];
	memset(*out, 0, sizeof(**out));
	(*out)->stroke_mm = stroke_mm;
	return 0;
}

int es_pic_seg_add(es_pic_path *path, es_pic_op op, const double *pts, es_err *err)
{
	static const int npts[] = {2, 2, 6, 0};
	es_pic_seg *s;
	int rc;

	rc = grow((void **)&path->segs, &path->cap, path->nsegs + 1, sizeof(*path->segs), err);
	if (rc < 0)
		return rc;
	s = &path->segs[path->nsegs++];
	memset(s, 0, sizeof(*s));
	s->op = op;
	if (npts[op] > 0)
		memcpy(s->p, pts, (size_t)npts[op] * sizeof(double));
	return 0;
}

int es_pic_glyph_add(es_picture *p, const es_pic_glyph *g, es_err *err)
{
	int rc;

	rc = grow((void **)&p->glyphs, &p->gcap, p->nglyphs + 1, sizeof(*p->glyphs), err);
	if (rc < 0)
		return rc;
	p->glyphs[p->nglyphs++] = *g;
	return 0;
}

int es_pic_ellipse(es_pic_path *path, double cx, double cy, double rx, double ry, es_err *err)
{
	const double kx = rx * ES_BEZIER_QUARTER_K, ky = ry * ES_BEZIER_QUARTER_K;
	/* Clockwise on the page from the top: top, right, bottom, left. */
	const double start[2] = {cx, cy - ry};
	const double arcs[4][6] = {
		{cx + kx, cy - ry, cx + rx, cy - ky, cx + rx, cy},
		{cx + rx, cy + ky, cx + kx, cy + ry, cx, cy + ry},
		{cx - kx, cy + ry, cx - rx, cy + ky, cx - rx, cy},
		{cx - rx, cy - ky, cx - kx, cy - ry, cx, cy - ry},
	};
	int rc;

	if ((rc = es_pic_seg_add(path, ES_PIC_MOVE, start, err)) < 0)
		return rc;
	for (int i = 0; i < 4; i++)
		if ((rc = es_pic_seg_add(path, ES_PIC_CURVE, arcs[i], err)) < 0)
			return rc;
	return es_pic_seg_add(path, ES_PIC_CLOSE, NULL, err);
}

void es_picture_free(es_picture *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->npaths; i++)
		free(p->paths[i].segs);
	free(p->paths);
	free(p->glyphs);
	free(p);
}

double es_picture_width_mm(const es_picture *p)
{
	return p->width_mm;
}

double es_picture_height_mm(const es_picture *p)
{
	return p->height_mm;
}

const es_pic_glyph *es_picture_glyphs(const es_picture *p, size_t *n)
{
	*n = p->nglyphs;
	return p->glyphs;
}

/* Gap between the projections of a and b on the normal of edge i of q. */
static double axis_gap(const double q[4][2], int i, const double a[4][2], const double b[4][2])
{
	const double *p0 = q[i], *p1 = q[(i + 1) % 4];
	double nx = p0[1] - p1[1], ny = p1[0] - p0[0];
	double len = hypot(nx, ny), amin = DBL_MAX, amax = -DBL_MAX, bmin = DBL_MAX, bmax = -DBL_MAX;

	if (len == 0.0)
		return -DBL_MAX;
	nx /= len;
	ny /= len;
	for (int k = 0; k < 4; k++) {
		double pa = a[k][0] * nx + a[k][1] * ny, pb = b[k][0] * nx + b[k][1] * ny;
		amin = fmin(amin, pa);
		amax = fmax(amax, pa);
		bmin = fmin(bmin, pb);
		bmax = fmax(bmax, pb);
	}
	return fmax(bmin - amax, amin - bmax);
}

double es_quad_separation(const double a[4][2], const double b[4][2])
{
	double best = -DBL_MAX;

	/* Separating axis theorem: convex shapes are apart iff some edge normal
	 * separates their projections. */
	for (int i = 0; i < 4; i++) {
		best = fmax(best, axis_gap(a, i, a, b));
		best = fmax(best, axis_gap(b, i, a, b));
	}
	return best;
}
