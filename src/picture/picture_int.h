/* Internal model of a seal picture: a list of filled or stroked paths in
 * millimetres (origin top-left, y down), plus the placement of every glyph
 * so tests can check the layout.  No fz_ type appears here.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_PICTURE_INT_H
#define ES_PICTURE_INT_H

#include <stddef.h>
#include <stdint.h>
#include "eseal/picture.h"

/* Red seal ink, #E60012. */
#define ES_INK_R 0xE6
#define ES_INK_G 0x00
#define ES_INK_B 0x12

#define ES_MM_PER_INCH 25.4
#define ES_PT_PER_MM (72.0 / ES_MM_PER_INCH)

typedef enum es_pic_op {
	ES_PIC_MOVE,
	ES_PIC_LINE,
	ES_PIC_CURVE, /**< cubic Bézier: p[0..1], p[2..3] control points, p[4..5] end */
	ES_PIC_CLOSE
} es_pic_op;

typedef struct es_pic_seg {
	es_pic_op op;
	double p[6];
} es_pic_seg;

/** One painted path: filled with the non-zero rule when stroke_mm == 0,
 * otherwise stroked with that line width. */
typedef struct es_pic_path {
	es_pic_seg *segs;
	size_t nsegs, cap;
	double stroke_mm;
} es_pic_path;

/** Which piece of text a glyph belongs to. */
typedef enum es_pic_run {
	ES_RUN_NAME = 1,  /**< organisation name on the upper arc */
	ES_RUN_CODE,      /**< seal code on the lower arc */
	ES_RUN_PURPOSE,   /**< horizontal purpose text (合同专用章 ...) */
	ES_RUN_TAXPAYER,  /**< invoice seal: taxpayer number */
	ES_RUN_PERSON     /**< square seal: name grid */
} es_pic_run;

/** Where one glyph landed: its ink box as a quad (mm, corners in order),
 * the centre of its cell and its rotation (radians, clockwise on the page). */
typedef struct es_pic_glyph {
	es_pic_run run;
	uint32_t cp;
	double cx, cy, angle;
	double quad[4][2];
} es_pic_glyph;

struct es_picture {
	es_seal_kind kind;
	double width_mm, height_mm;
	es_pic_path *paths;
	size_t npaths, cap;
	es_pic_glyph *glyphs;
	size_t nglyphs, gcap;
};

/* --- path list (path.c) ------------------------------------------------ */
/** Start a new path; *out points into p (valid until the next call). */
int es_pic_begin(es_picture *p, double stroke_mm, es_pic_path **out, es_err *err);
int es_pic_seg_add(es_pic_path *path, es_pic_op op, const double *pts, es_err *err);
int es_pic_glyph_add(es_picture *p, const es_pic_glyph *g, es_err *err);
/** Ellipse (circle when rx == ry) of four cubic arcs, as a closed subpath. */
int es_pic_ellipse(es_pic_path *path, double cx, double cy, double rx, double ry, es_err *err);

/* --- glyph outlines (font.c, the only place that talks to MuPDF fonts) --- */
typedef struct es_font es_font;

/** Metrics of one glyph in em units (y up): advance and ink box. */
typedef struct es_glyph_info {
	uint32_t cp;
	int gid;
	double advance;
	double ink[4]; /**< x0, y0, x1, y1; all zero for blank glyphs */
} es_glyph_info;

/** Open the font: path, else $ESEAL_FONT, else a Debian CJK font (a serif
 * one, or a sans one when latin is set: for digits and capitals).
 * ES_ENOTFOUND when the file is missing, ES_EIO when it is not a font. */
int es_font_open(es_font **out, const char *path, int latin, es_err *err);
void es_font_free(es_font *f);
/** Em box (ascender, descender) of the font, y up, in em units. */
void es_font_em(const es_font *f, double *ascender, double *descender);
/** Look a code point up; ES_EINVAL when the font has no glyph for it. */
int es_font_glyph(es_glyph_info *out, es_font *f, uint32_t cp, es_err *err);
/** Append the glyph outline mapped by the affine m (x' = m0 x + m2 y + m4,
 * y' = m1 x + m3 y + m5; glyph space is em units, y up) as a filled path. */
int es_font_outline(es_picture *p, es_font *f, int gid, const double m[6], es_err *err);

/* --- text layout (text.c) ---------------------------------------------- */
/** Decode UTF-8 into at most cap code points; ES_EINVAL on bad UTF-8,
 * ES_ERANGE when longer than cap. */
int es_utf8_decode(uint32_t *out, size_t cap, size_t *n, const char *s, es_err *err);

/** How a glyph is mapped into its cell. */
typedef enum es_fit {
	ES_FIT_EM,      /**< em box (advance x ideographic em height) fills the cell */
	ES_FIT_INK,     /**< ink box fills the cell (name seals), stretch limited */
	ES_FIT_ADV_INKH /**< advance fills the width, ink height fills the height (digits) */
} es_fit;

/** A glyph cell: centre, rotation (radians, clockwise on the page; 0 is
 * upright) and size in mm. */
typedef struct es_cell {
	double cx, cy, angle, w, h;
} es_cell;

/** Text along an elliptical arc, spaced evenly by arc length. */
typedef struct es_arc {
	double cx, cy;    /**< centre of the seal */
	double rx, ry;    /**< semi-axes of the text's outer edge */
	double span;      /**< angular spread (radians) to start from */
	double span_min;  /**< the spread may shrink to this to avoid other text */
	int bottom;       /**< 0: upper arc, tops outward; 1: lower arc, tops inward */
	double h;         /**< glyph height (radial) to start from, mm */
	double wf;        /**< width factor to start from (1 = natural) */
	double wf_min;    /**< below this the height shrinks instead */
	double gap_mm;    /**< minimum gap between neighbouring ink boxes */
	double clear_mm;  /**< minimum gap to text already on the picture */
	es_fit fit;
	es_pic_run run;
} es_arc;

/** Horizontal row centred on (cx, cy); cells w x h with gap between them;
 * narrowed evenly when wider than max_w. */
typedef struct es_row {
	double cx, cy, w, h, gap_mm, max_w;
	es_fit fit;
	es_pic_run run;
} es_row;

int es_text_arc(es_picture *p, es_font *f, const char *utf8, const es_arc *arc, es_err *err);
int es_text_row(es_picture *p, es_font *f, const char *utf8, const es_row *row, es_err *err);
/** Code points laid out in a grid of cols columns read top to bottom, right
 * column first (Chinese name seals); cells fill the box. */
int es_text_grid(es_picture *p, es_font *f, const uint32_t *cps, size_t n, int cols,
		 double x0, double y0, double w, double h, double gap_mm, es_err *err);

/* --- test hooks ---------------------------------------------------------- */
/** Render to straight (not premultiplied) RGBA, row-major, *w x *h. */
int es_picture_rgba(unsigned char **out, int *w, int *h, const es_picture *p,
		    int dpi, es_err *err);
/** Glyph placements (borrowed; valid while p lives). */
const es_pic_glyph *es_picture_glyphs(const es_picture *p, size_t *n);
/** Separation of two convex quads along their edge normals: > 0 means they
 * do not touch (lower bound of their distance), <= 0 means they overlap. */
double es_quad_separation(const double a[4][2], const double b[4][2]);

#endif
