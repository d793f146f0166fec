/* Seal templates: one vector drawing per kind, in millimetres.
 *
 * Organisation seals follow the State Council seal rules (国发〔1999〕25号,
 * 《国务院关于国家行政机关和企业事业单位社会团体印章管理的规定》: round,
 * company seals at most 42 mm, special-purpose seals at most 40 mm, a
 * five-pointed star in the centre, the name around it read left to right)
 * and the public-security seal registration practice (star Ø14 mm, border
 * 1.2 mm, purpose text horizontal below the star, the 13-digit seal code on
 * the lower arc).  The invoice seal follows the
 * State Taxation Administration announcement 2011 No. 7 (国家税务总局公告
 * 2011年第7号): oval 40 x 30 mm, border 1 mm, name 4.2 mm high, taxpayer
 * number 3.7 x 1.3 mm digits, 发票专用章 4.6 x 3 mm.  docs/templates.md
 * lists every figure.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "picture_int.h"
#include "util/util.h"

#define ES_DEG (M_PI / 180.0)
#define ES_NAME_MAX_CHARS 40
#define ES_PURPOSE_MAX_CHARS 12
#define ES_CODE_MAX_CHARS 20
#define ES_TAXPAYER_MIN_CHARS 15
#define ES_TAXPAYER_MAX_CHARS 20
#define ES_PERSON_MIN_CHARS 2
#define ES_PERSON_MAX_CHARS 6
/* Inner radius of a regular five-pointed star over its outer radius:
 * cos 72° / cos 36°. */
#define ES_STAR_INNER_RATIO 0.381966011250105

/* Round organisation seals, at their default size. */
typedef struct round_tpl {
	es_seal_kind kind;
	double diameter_mm, size_min_mm, size_max_mm;
	double border_mm, star_mm;
	double name_h_mm, name_margin_mm, name_wf;
	double purpose_dy_mm, purpose_h_mm, purpose_w_mm, purpose_gap_mm;
	double code_h_mm, code_margin_mm, code_pitch_mm;
	const char *purpose;
} round_tpl;

/* 公章 Ø42 (Ø40 allowed): border 1.2, star Ø14.  专用章 Ø40 (38–40): border 1,
 * star Ø13. */
static const round_tpl round_tpls[] = {
	{ES_KIND_COMPANY, 42.0, 40.0, 42.0, 1.2, 14.0, 6.5, 0.8, 0.9,
	 9.6, 4.6, 4.0, 0.4, 2.0, 0.5, 1.6, NULL},
	{ES_KIND_CONTRACT, 40.0, 38.0, 40.0, 1.0, 13.0, 6.0, 0.7, 0.9,
	 9.0, 4.5, 3.8, 0.3, 1.9, 0.45, 1.55, "合同专用章"},
	{ES_KIND_FINANCE, 40.0, 38.0, 40.0, 1.0, 13.0, 6.0, 0.7, 0.9,
	 9.0, 4.5, 3.8, 0.3, 1.9, 0.45, 1.55, "财务专用章"},
};

/* Spread of the name on the upper arc: grows with the name, 180°–240°. */
#define ES_NAME_SPAN_BASE_DEG 140.0
#define ES_NAME_SPAN_PER_CHAR_DEG 9.0
#define ES_NAME_SPAN_MIN_DEG 180.0
#define ES_NAME_SPAN_MAX_DEG 240.0
#define ES_NAME_WF_MIN 0.45
#define ES_TEXT_GAP_MM 0.25
/* Clearance between the arc text and other text (purpose, code). */
#define ES_TEXT_CLEAR_MM 0.6
#define ES_CODE_WF 0.8
/* Horizontal purpose text stays within this share of the diameter. */
#define ES_PURPOSE_MAX_W_RATIO 0.6
#define ES_CODE_SPAN_MAX_DEG 100.0

/* 发票专用章 (STA 2011 No. 7). */
#define ES_OVAL_W_MM 40.0
#define ES_OVAL_H_MM 30.0
#define ES_OVAL_BORDER_MM 1.0
#define ES_OVAL_NAME_H_MM 4.2
#define ES_OVAL_NAME_MARGIN_MM 0.5
#define ES_OVAL_NAME_CLEAR_MM 0.8
#define ES_OVAL_SPAN_MAX_DEG 220.0
#define ES_OVAL_SPAN_MIN_DEG 170.0
#define ES_OVAL_TAX_H_MM 3.7
#define ES_OVAL_TAX_PITCH_MM 1.45
#define ES_OVAL_TAX_MAX_W_MM 30.0
#define ES_OVAL_PURPOSE_DY_MM 8.6
#define ES_OVAL_PURPOSE_H_MM 4.6
#define ES_OVAL_PURPOSE_W_MM 3.0
#define ES_OVAL_PURPOSE_GAP_MM 0.6

/* 法定代表人章 / 个人名章: square. */
#define ES_SQUARE_DEFAULT_MM 20.0
#define ES_SQUARE_MIN_MM 18.0
#define ES_SQUARE_MAX_MM 25.0
#define ES_SQUARE_BORDER_MM 1.0
#define ES_SQUARE_PAD_MM 0.9
#define ES_SQUARE_GAP_MM 0.6

typedef struct fonts {
	es_font *cjk;   /* Chinese text */
	es_font *latin; /* seal code and taxpayer number */
} fonts;

/* Template names: "default" (or NULL, or the kind's name) and the shape
 * with its size: "round42", "round40", "round38", "oval40x30",
 * "square18" ... "square25".  The size must suit the kind (check_size). */
static int template_size(double *size, const es_picture_spec *spec, es_err *err)
{
	const char *t = spec->template_name, *num = NULL;
	int square = spec->kind == ES_KIND_LEGAL_REP || spec->kind == ES_KIND_PERSONAL;
	long mm = 0;

	*size = spec->size_mm;
	if (t == NULL || t[0] == '\0' || strcmp(t, "default") == 0 ||
	    strcmp(t, es_seal_kind_name(spec->kind)) == 0)
		return 0;
	if (spec->kind == ES_KIND_INVOICE && strcmp(t, "oval40x30") == 0)
		mm = (long)ES_OVAL_W_MM;
	else if (!square && spec->kind != ES_KIND_INVOICE && strncmp(t, "round", 5) == 0)
		num = t + 5;
	else if (square && strncmp(t, "square", 6) == 0)
		num = t + 6;
	if (num != NULL && es_parse_long(&mm, num, 1, 100) < 0)
		mm = 0;
	if (mm == 0)
		return es_err_set(err, ES_ENOTFOUND,
				  "no seal template \"%s\" for a %s seal; see docs/templates.md", t,
				  es_seal_kind_name(spec->kind));
	if (spec->size_mm != 0.0 && spec->size_mm != (double)mm)
		return es_err_set(err, ES_EINVAL, "template %s is %ld mm but the size asked is %.1f mm", t,
				  mm, spec->size_mm);
	*size = (double)mm;
	return 0;
}

static int check_size(double *scale, double size, double def, double lo, double hi, es_err *err)
{
	*scale = 1.0;
	if (size == 0.0)
		return 0;
	if (!(size >= lo && size <= hi))
		return es_err_set(err, ES_ERANGE, "a %s seal must be %.0f–%.0f mm, not %.1f mm",
				  lo == hi ? "fixed-size" : "this kind of", lo, hi, size);
	*scale = size / def;
	return 0;
}

/* Digits and capitals; with loose also small letters and '-' (seal codes
 * are made by the platform from an area prefix and a serial). */
static int check_ascii(const char *s, const char *what, int loose, size_t lo, size_t hi, es_err *err)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		int ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') ||
			 (loose && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'));

		if (!ok)
			return es_err_set(err, ES_EINVAL, "%s may hold only digits and %s", what,
					  loose ? "letters" : "capital letters");
	}
	if (n < lo || n > hi)
		return es_err_set(err, ES_ERANGE, "%s must have %zu–%zu characters, not %zu", what, lo, hi, n);
	return 0;
}

static int check_text(const char *s, const char *what, size_t max, es_err *err)
{
	uint32_t cps[ES_NAME_MAX_CHARS];
	size_t n = 0;
	int rc;

	if (s == NULL || s[0] == '\0')
		return es_err_set(err, ES_EINVAL, "the seal needs a %s", what);
	if ((rc = es_utf8_decode(cps, max, &n, s, err)) < 0)
		return rc;
	return 0;
}

static int ring(es_picture *p, double cx, double cy, double rx, double ry, double border, es_err *err)
{
	es_pic_path *path;
	int rc;

	/* Stroke centred half a border inside the outer edge. */
	if ((rc = es_pic_begin(p, border, &path, err)) < 0)
		return rc;
	return es_pic_ellipse(path, cx, cy, rx - border / 2.0, ry - border / 2.0, err);
}

static int star(es_picture *p, double cx, double cy, double diameter, es_err *err)
{
	es_pic_path *path;
	int rc;

	if ((rc = es_pic_begin(p, 0.0, &path, err)) < 0)
		return rc;
	for (int i = 0; i < 10; i++) {
		double r = (i % 2 == 0 ? 1.0 : ES_STAR_INNER_RATIO) * diameter / 2.0;
		double a = i * 36.0 * ES_DEG; /* point 0 straight up */
		double pt[2] = {cx + r * sin(a), cy - r * cos(a)};

		if ((rc = es_pic_seg_add(path, i == 0 ? ES_PIC_MOVE : ES_PIC_LINE, pt, err)) < 0)
			return rc;
	}
	return es_pic_seg_add(path, ES_PIC_CLOSE, NULL, err);
}

static double name_span(const char *utf8, double lo_deg, double hi_deg)
{
	uint32_t cps[ES_NAME_MAX_CHARS];
	size_t n = 0;
	double deg;

	if (es_utf8_decode(cps, ES_NAME_MAX_CHARS, &n, utf8, NULL) < 0)
		n = ES_NAME_MAX_CHARS;
	deg = ES_NAME_SPAN_BASE_DEG + ES_NAME_SPAN_PER_CHAR_DEG * (double)n;
	return fmin(fmax(deg, lo_deg), hi_deg) * ES_DEG;
}

static int draw_code(es_picture *p, es_font *f, const char *code, double cx, double cy,
		     double r_outer, double h, double pitch, es_err *err)
{
	es_arc a = {0};
	double r_mid = r_outer - h / 2.0;

	a.cx = cx;
	a.cy = cy;
	a.rx = a.ry = r_outer;
	a.span = fmin((double)strlen(code) * pitch / r_mid, ES_CODE_SPAN_MAX_DEG * ES_DEG);
	a.span_min = a.span;
	a.bottom = 1;
	a.h = h;
	a.wf = ES_CODE_WF;
	a.wf_min = ES_NAME_WF_MIN;
	a.gap_mm = ES_TEXT_GAP_MM / 2.0;
	a.clear_mm = ES_TEXT_CLEAR_MM;
	a.fit = ES_FIT_ADV_INKH;
	a.run = ES_RUN_CODE;
	return es_text_arc(p, f, code, &a, err);
}

static int draw_round(es_picture *p, const fonts *fo, const es_picture_spec *spec, es_err *err)
{
	const round_tpl *t = NULL;
	const char *purpose;
	double s, R, inner, size;
	es_arc a = {0};
	int rc;

	for (size_t i = 0; i < ES_ARRAY_LEN(round_tpls); i++)
		if (round_tpls[i].kind == spec->kind)
			t = &round_tpls[i];
	if ((rc = template_size(&size, spec, err)) < 0 ||
	    (rc = check_size(&s, size, t->diameter_mm, t->size_min_mm, t->size_max_mm, err)) < 0)
		return rc;
	if ((rc = check_text(spec->org_name, "organisation name", ES_NAME_MAX_CHARS, err)) < 0)
		return rc;
	purpose = spec->purpose != NULL ? spec->purpose : t->purpose;
	if (purpose != NULL && purpose[0] != '\0' &&
	    (rc = check_text(purpose, "purpose text", ES_PURPOSE_MAX_CHARS, err)) < 0)
		return rc;
	if (spec->code != NULL && spec->code[0] != '\0' &&
	    (rc = check_ascii(spec->code, "the seal code", 1, 1, ES_CODE_MAX_CHARS, err)) < 0)
		return rc;
	p->width_mm = p->height_mm = t->diameter_mm * s;
	R = p->width_mm / 2.0;
	inner = R - t->border_mm * s;
	if ((rc = ring(p, R, R, R, R, t->border_mm * s, err)) < 0)
		return rc;
	if ((rc = star(p, R, R, t->star_mm * s, err)) < 0)
		return rc;
	if (purpose != NULL && purpose[0] != '\0') {
		es_row row = {R, R + t->purpose_dy_mm * s, t->purpose_w_mm * s, t->purpose_h_mm * s,
			      t->purpose_gap_mm * s, ES_PURPOSE_MAX_W_RATIO * p->width_mm, ES_FIT_EM,
			      ES_RUN_PURPOSE};
		if ((rc = es_text_row(p, fo->cjk, purpose, &row, err)) < 0)
			return rc;
	}
	if (spec->code != NULL && spec->code[0] != '\0' &&
	    (rc = draw_code(p, fo->latin, spec->code, R, R, inner - t->code_margin_mm * s, t->code_h_mm * s,
			    t->code_pitch_mm * s, err)) < 0)
		return rc;
	a.cx = a.cy = R;
	a.rx = a.ry = inner - t->name_margin_mm * s;
	a.span = name_span(spec->org_name, ES_NAME_SPAN_MIN_DEG, ES_NAME_SPAN_MAX_DEG);
	a.span_min = ES_NAME_SPAN_MIN_DEG * ES_DEG;
	a.h = t->name_h_mm * s;
	a.wf = t->name_wf;
	a.wf_min = ES_NAME_WF_MIN;
	a.gap_mm = ES_TEXT_GAP_MM * s;
	a.clear_mm = ES_TEXT_CLEAR_MM * s;
	a.fit = ES_FIT_EM;
	a.run = ES_RUN_NAME;
	return es_text_arc(p, fo->cjk, spec->org_name, &a, err);
}

static int draw_oval(es_picture *p, const fonts *fo, const es_picture_spec *spec, es_err *err)
{
	const char *purpose = spec->purpose != NULL ? spec->purpose : "发票专用章";
	double s, cx = ES_OVAL_W_MM / 2.0, cy = ES_OVAL_H_MM / 2.0, size;
	es_arc a = {0};
	int rc;

	if ((rc = template_size(&size, spec, err)) < 0 ||
	    (rc = check_size(&s, size, ES_OVAL_W_MM, ES_OVAL_W_MM, ES_OVAL_W_MM, err)) < 0)
		return rc;
	if ((rc = check_text(spec->org_name, "taxpayer name", ES_NAME_MAX_CHARS, err)) < 0)
		return rc;
	if (spec->taxpayer_no == NULL)
		return es_err_set(err, ES_EINVAL, "an invoice seal needs the taxpayer number");
	if ((rc = check_ascii(spec->taxpayer_no, "the taxpayer number", 0, ES_TAXPAYER_MIN_CHARS,
			      ES_TAXPAYER_MAX_CHARS, err)) < 0)
		return rc;
	if (purpose[0] != '\0' && (rc = check_text(purpose, "purpose text", ES_PURPOSE_MAX_CHARS, err)) < 0)
		return rc;
	p->width_mm = ES_OVAL_W_MM;
	p->height_mm = ES_OVAL_H_MM;
	if ((rc = ring(p, cx, cy, cx, cy, ES_OVAL_BORDER_MM, err)) < 0)
		return rc;
	{
		es_row row = {cx, cy, ES_OVAL_TAX_PITCH_MM, ES_OVAL_TAX_H_MM, 0.0, ES_OVAL_TAX_MAX_W_MM,
			      ES_FIT_ADV_INKH, ES_RUN_TAXPAYER};
		if ((rc = es_text_row(p, fo->latin, spec->taxpayer_no, &row, err)) < 0)
			return rc;
	}
	if (purpose[0] != '\0') {
		es_row row = {cx, cy + ES_OVAL_PURPOSE_DY_MM, ES_OVAL_PURPOSE_W_MM, ES_OVAL_PURPOSE_H_MM,
			      ES_OVAL_PURPOSE_GAP_MM, ES_OVAL_W_MM / 2.0, ES_FIT_EM, ES_RUN_PURPOSE};
		if ((rc = es_text_row(p, fo->cjk, purpose, &row, err)) < 0)
			return rc;
	}
	a.cx = cx;
	a.cy = cy;
	a.rx = cx - ES_OVAL_BORDER_MM - ES_OVAL_NAME_MARGIN_MM;
	a.ry = cy - ES_OVAL_BORDER_MM - ES_OVAL_NAME_MARGIN_MM;
	a.span = name_span(spec->org_name, ES_OVAL_SPAN_MIN_DEG, ES_OVAL_SPAN_MAX_DEG);
	a.span_min = ES_OVAL_SPAN_MIN_DEG * ES_DEG;
	a.h = ES_OVAL_NAME_H_MM;
	a.wf = 1.0;
	a.wf_min = ES_NAME_WF_MIN;
	a.gap_mm = ES_TEXT_GAP_MM;
	a.clear_mm = ES_OVAL_NAME_CLEAR_MM;
	a.fit = ES_FIT_EM;
	a.run = ES_RUN_NAME;
	return es_text_arc(p, fo->cjk, spec->org_name, &a, err);
}

/* 张三 -> 张三之印, 李四海 -> 李四海印, 4 or 6 characters as they are. */
static int person_chars(uint32_t *cps, size_t *n, const char *name, es_err *err)
{
	int rc;

	if (name == NULL || name[0] == '\0')
		return es_err_set(err, ES_EINVAL, "a name seal needs the person's name");
	if ((rc = es_utf8_decode(cps, ES_PERSON_MAX_CHARS, n, name, err)) < 0)
		return rc;
	if (*n < ES_PERSON_MIN_CHARS)
		return es_err_set(err, ES_ERANGE, "a name seal needs at least %d characters",
				  ES_PERSON_MIN_CHARS);
	if (*n == 2) {
		cps[(*n)++] = 0x4E4B; /* 之 */
		cps[(*n)++] = 0x5370; /* 印 */
	} else if (*n % 2 == 1) {
		cps[(*n)++] = 0x5370;
	}
	return 0;
}

static int draw_square(es_picture *p, const fonts *fo, const es_picture_spec *spec, es_err *err)
{
	uint32_t cps[ES_PERSON_MAX_CHARS + 2];
	size_t n = 0;
	double s, side, in, size;
	es_pic_path *path;
	int rc;

	if ((rc = template_size(&size, spec, err)) < 0 ||
	    (rc = check_size(&s, size, ES_SQUARE_DEFAULT_MM, ES_SQUARE_MIN_MM, ES_SQUARE_MAX_MM,
			     err)) < 0)
		return rc;
	if ((rc = person_chars(cps, &n, spec->person_name, err)) < 0)
		return rc;
	side = ES_SQUARE_DEFAULT_MM * s;
	p->width_mm = p->height_mm = side;
	if ((rc = es_pic_begin(p, ES_SQUARE_BORDER_MM, &path, err)) < 0)
		return rc;
	{
		const double b = ES_SQUARE_BORDER_MM / 2.0;
		const double pts[4][2] = {{b, b}, {side - b, b}, {side - b, side - b}, {b, side - b}};

		for (int i = 0; i < 4; i++)
			if ((rc = es_pic_seg_add(path, i == 0 ? ES_PIC_MOVE : ES_PIC_LINE, pts[i], err)) < 0)
				return rc;
		if ((rc = es_pic_seg_add(path, ES_PIC_CLOSE, NULL, err)) < 0)
			return rc;
	}
	in = ES_SQUARE_BORDER_MM + ES_SQUARE_PAD_MM * s;
	return es_text_grid(p, fo->cjk, cps, n, 2, in, in, side - 2 * in, side - 2 * in, ES_SQUARE_GAP_MM * s,
			    err);
}

int es_picture_draw(es_picture **out, const es_picture_spec *spec, es_err *err)
{
	es_picture *p = NULL;
	fonts fo = {NULL, NULL};
	int rc;

	assert(out != NULL && spec != NULL);
	*out = NULL;
	if (es_seal_kind_name(spec->kind) == NULL)
		return es_err_set(err, ES_EINVAL, "unknown seal kind %d", (int)spec->kind);
	if ((rc = es_font_open(&fo.cjk, spec->font_path, 0, err)) < 0)
		goto out;
	if ((rc = es_font_open(&fo.latin, spec->font_path, 1, err)) < 0)
		goto out;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		rc = es_err_set(err, ES_ENOMEM, "out of memory drawing a seal");
		goto out;
	}
	p->kind = spec->kind;
	switch (spec->kind) {
	case ES_KIND_INVOICE:
		rc = draw_oval(p, &fo, spec, err);
		break;
	case ES_KIND_LEGAL_REP:
	case ES_KIND_PERSONAL:
		rc = draw_square(p, &fo, spec, err);
		break;
	default:
		rc = draw_round(p, &fo, spec, err);
		break;
	}
	if (rc < 0)
		goto out;
	*out = p;
	p = NULL;
out:
	es_picture_free(p);
	es_font_free(fo.cjk);
	es_font_free(fo.latin);
	return rc;
}
