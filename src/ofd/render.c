/* OFD page rendering with MuPDF's draw device: good enough for a person to
 * recognise the page (paths, text, images, seal pictures).  MuPDF stays in
 * this file; its exceptions become es_err here.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <mupdf/fitz.h>
#include "eseal/ofd.h"
#include "ofd_int.h"

#define MM_PER_INCH 25.4
#define MIN_DPI 36
#define MAX_DPI 600
#define MAX_PIXELS (64L * 1024 * 1024)
#define MAX_RES 512
#define MAX_GLYPHS_PER_CODE 4096
#define DEFAULT_LINE_MM 0.353
#define CJK_FONT "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
#define CJK_FONT_SC_INDEX 2 /* Simplified Chinese face of the collection */

typedef struct res_item {
	char id[32];
	char path[OFD_MAX_NAME_LEN]; /* font/image file, "" when none */
	fz_font *font;
	int is_font;
} res_item;

typedef struct rctx {
	fz_context *ctx;
	fz_device *dev;
	fz_matrix base; /* page mm → pixels */
	const ofd_pkg *p;
	const ofd_doc *d;
	res_item *res;
	size_t nres;
	fz_font *fallback;
	double dx[MAX_GLYPHS_PER_CODE], dy[MAX_GLYPHS_PER_CODE];
} rctx;

/* ---- resources ---- */

static void load_res_file(rctx *r, const char *path)
{
	const ofd_entry *e = ofd_pkg_find(r->p, path);
	xmlDocPtr x = NULL;
	xmlNode *root, *grp, *it;
	char base[OFD_MAX_NAME_LEN], tmp[OFD_MAX_NAME_LEN], dir[OFD_MAX_NAME_LEN + 4], file[OFD_MAX_NAME_LEN];

	if (e == NULL || ofd_xml_parse(&x, e->data, e->len, NULL) < 0)
		return;
	root = xmlDocGetRootElement(x);
	dir[0] = 0;
	if (ofd_xml_attr(root, "BaseLoc", base, sizeof(base)) == 0 && base[0] &&
	    ofd_path_resolve(tmp, sizeof(tmp), path, base) == 0 &&
	    snprintf(dir, sizeof(dir), "%s/x", tmp) < 0) /* "x": files resolve inside BaseLoc */
		dir[0] = 0;
	for (grp = root->children; grp; grp = grp->next) {
		int fonts = ofd_xml_is(grp, "Fonts");

		if (!fonts && !ofd_xml_is(grp, "MultiMedias"))
			continue;
		for (it = grp->children; it && r->nres < MAX_RES; it = it->next) {
			res_item *ri;

			if (it->type != XML_ELEMENT_NODE)
				continue;
			ri = &r->res[r->nres];
			memset(ri, 0, sizeof(*ri));
			ri->is_font = fonts;
			ofd_xml_attr(it, "ID", ri->id, sizeof(ri->id));
			ofd_xml_text(ofd_xml_child(it, fonts ? "FontFile" : "MediaFile"), file, sizeof(file));
			if (file[0] && ofd_path_resolve(ri->path, sizeof(ri->path), dir[0] ? dir : path, file) < 0)
				ri->path[0] = 0;
			r->nres++;
		}
	}
	xmlFreeDoc(x);
}

static res_item *find_res(rctx *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->nres; i++)
		if (strcmp(r->res[i].id, id) == 0)
			return &r->res[i];
	return NULL;
}

static fz_buffer *pkg_buffer(rctx *r, const char *path)
{
	const ofd_entry *e = path[0] ? ofd_pkg_find(r->p, path) : NULL;

	return e && e->len ? fz_new_buffer_from_copied_data(r->ctx, e->data, e->len) : NULL;
}

static fz_font *font_for(rctx *r, const char *id)
{
	res_item *ri = find_res(r, id);
	fz_buffer *buf = NULL;

	if (ri == NULL || !ri->is_font || ri->path[0] == 0)
		return r->fallback;
	if (ri->font)
		return ri->font;
	fz_var(buf);
	fz_try(r->ctx) {
		buf = pkg_buffer(r, ri->path);
		if (buf)
			ri->font = fz_new_font_from_buffer(r->ctx, NULL, buf, 0, 0);
	}
	fz_always(r->ctx)
		fz_drop_buffer(r->ctx, buf);
	fz_catch(r->ctx)
		ri->font = NULL;
	if (ri->font == NULL)
		ri->path[0] = 0; /* do not retry */
	return ri->font ? ri->font : r->fallback;
}

/* ---- object geometry ---- */

static fz_matrix object_matrix(const xmlNode *obj, double box[4])
{
	char buf[256];
	double m[6] = {1, 0, 0, 1, 0, 0};
	fz_matrix ctm;

	box[0] = box[1] = box[2] = box[3] = 0;
	ofd_xml_attr(obj, "Boundary", buf, sizeof(buf));
	ofd_parse_doubles(buf, box, 4);
	if (ofd_xml_attr(obj, "CTM", buf, sizeof(buf)) == 0 && ofd_parse_doubles(buf, m, 6) != 6) {
		m[0] = m[3] = 1;
		m[1] = m[2] = m[4] = m[5] = 0;
	}
	ctm = fz_make_matrix((float)m[0], (float)m[1], (float)m[2], (float)m[3], (float)m[4], (float)m[5]);
	return fz_concat(ctm, fz_translate((float)box[0], (float)box[1]));
}

static void color_of(const xmlNode *obj, const char *name, float rgb[3], int *set)
{
	const xmlNode *c = ofd_xml_child(obj, name);
	char buf[128];
	double v[3];

	if (c == NULL || ofd_xml_attr(c, "Value", buf, sizeof(buf)) < 0)
		return;
	if (ofd_parse_doubles(buf, v, 3) == 3) {
		rgb[0] = (float)(v[0] / 255.0);
		rgb[1] = (float)(v[1] / 255.0);
		rgb[2] = (float)(v[2] / 255.0);
		if (set)
			*set = 1;
	}
}

static int attr_bool(const xmlNode *n, const char *name, int dflt)
{
	char buf[16];

	if (ofd_xml_attr(n, name, buf, sizeof(buf)) < 0)
		return dflt;
	return strcmp(buf, "true") == 0 || strcmp(buf, "1") == 0;
}

/* AbbreviatedData (GB/T 33190 9.3.2): S/M/L/Q/B/A/C. Arcs become lines. */
static fz_path *build_path(rctx *r, const char *s)
{
	fz_path *path = fz_new_path(r->ctx);
	double v[7];
	int started = 0;

	while (*s) {
		char op;
		int need, got;
		char *end;

		while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
			s++;
		if (!*s)
			break;
		op = *s++;
		need = op == 'M' || op == 'S' || op == 'L' ? 2 : op == 'Q' ? 4 : op == 'B' ? 6 : op == 'A' ? 7 : 0;
		if (op != 'C' && need == 0)
			break; /* unknown operator: stop, keep what we have */
		for (got = 0; got < need; got++) {
			v[got] = strtod(s, &end);
			if (end == s)
				return path;
			s = end;
		}
		if (op == 'C') {
			if (started)
				fz_closepath(r->ctx, path);
		} else if (op == 'M' || op == 'S' || !started) {
			fz_moveto(r->ctx, path, (float)v[need - 2], (float)v[need - 1]);
			started = 1;
		} else if (op == 'L' || op == 'A') {
			fz_lineto(r->ctx, path, (float)v[need - 2], (float)v[need - 1]);
		} else if (op == 'Q') {
			fz_quadto(r->ctx, path, (float)v[0], (float)v[1], (float)v[2], (float)v[3]);
		} else {
			fz_curveto(r->ctx, path, (float)v[0], (float)v[1], (float)v[2], (float)v[3], (float)v[4], (float)v[5]);
		}
	}
	return path;
}

static void draw_path(rctx *r, const xmlNode *obj)
{
	double box[4], lw = DEFAULT_LINE_MM;
	fz_matrix m = fz_concat(object_matrix(obj, box), r->base);
	float stroke_rgb[3] = {0, 0, 0}, fill_rgb[3] = {0, 0, 0};
	char buf[64], *data = NULL;
	xmlChar *t;
	fz_path *path = NULL;
	fz_stroke_state *st = NULL;

	t = xmlNodeGetContent(ofd_xml_child(obj, "AbbreviatedData"));
	if (t == NULL)
		return;
	data = (char *)t;
	if (ofd_xml_attr(obj, "LineWidth", buf, sizeof(buf)) == 0)
		ofd_parse_doubles(buf, &lw, 1);
	color_of(obj, "StrokeColor", stroke_rgb, NULL);
	color_of(obj, "FillColor", fill_rgb, NULL);
	fz_var(path);
	fz_var(st);
	fz_try(r->ctx) {
		path = build_path(r, data);
		if (attr_bool(obj, "Fill", 0))
			fz_fill_path(r->ctx, r->dev, path, 0, m, fz_device_rgb(r->ctx), fill_rgb, 1, fz_default_color_params);
		if (attr_bool(obj, "Stroke", 1)) {
			st = fz_new_stroke_state(r->ctx);
			st->linewidth = (float)(lw > 0 ? lw : DEFAULT_LINE_MM);
			fz_stroke_path(r->ctx, r->dev, path, st, m, fz_device_rgb(r->ctx), stroke_rgb, 1,
				       fz_default_color_params);
		}
	}
	fz_always(r->ctx) {
		fz_drop_path(r->ctx, path);
		fz_drop_stroke_state(r->ctx, st);
	}
	fz_catch(r->ctx) {
		/* skip a broken path, keep the page */
	}
	xmlFree(t);
}

static void show_code(rctx *r, fz_text *text, fz_font *font, const xmlNode *tc, double size, double *cx,
		      double *cy)
{
	char buf[64], dxs[8192], dys[8192];
	xmlChar *t = xmlNodeGetContent(tc);
	const unsigned char *s = t;
	size_t ndx, ndy, i = 0;
	double v;

	if (ofd_xml_attr(tc, "X", buf, sizeof(buf)) == 0 && ofd_parse_doubles(buf, &v, 1) == 1)
		*cx = v;
	if (ofd_xml_attr(tc, "Y", buf, sizeof(buf)) == 0 && ofd_parse_doubles(buf, &v, 1) == 1)
		*cy = v;
	ofd_xml_attr(tc, "DeltaX", dxs, sizeof(dxs));
	ofd_xml_attr(tc, "DeltaY", dys, sizeof(dys));
	ndx = ofd_parse_deltas(dxs, r->dx, MAX_GLYPHS_PER_CODE);
	ndy = ofd_parse_deltas(dys, r->dy, MAX_GLYPHS_PER_CODE);
	while (s && *s && i < MAX_GLYPHS_PER_CODE) {
		uint32_t cp = ofd_utf8_next(&s);
		fz_font *f = font;
		int gid = fz_encode_character(r->ctx, f, (int)cp);
		fz_matrix trm = fz_make_matrix((float)size, 0, 0, (float)-size, (float)*cx, (float)*cy);

		if (gid == 0 && f != r->fallback) {
			f = r->fallback;
			gid = fz_encode_character(r->ctx, f, (int)cp);
		}
		if (cp > ' ')
			fz_show_glyph(r->ctx, text, f, trm, gid, (int)cp, 0, 0, FZ_BIDI_LTR, FZ_LANG_UNSET);
		*cx += i < ndx ? r->dx[i] : size;
		*cy += i < ndy ? r->dy[i] : 0;
		i++;
	}
	xmlFree(t);
}

static void draw_text(rctx *r, const xmlNode *obj)
{
	double box[4], size = 3.5, cx = 0, cy = 0;
	fz_matrix m = fz_concat(object_matrix(obj, box), r->base);
	float rgb[3] = {0, 0, 0};
	char buf[64];
	fz_text *text = NULL;
	fz_font *font;
	const xmlNode *c;

	ofd_xml_attr(obj, "Size", buf, sizeof(buf));
	ofd_parse_doubles(buf, &size, 1);
	ofd_xml_attr(obj, "Font", buf, sizeof(buf));
	font = font_for(r, buf);
	color_of(obj, "FillColor", rgb, NULL);
	fz_var(text);
	fz_try(r->ctx) {
		text = fz_new_text(r->ctx);
		for (c = obj->children; c; c = c->next)
			if (ofd_xml_is(c, "TextCode"))
				show_code(r, text, font, c, size, &cx, &cy);
		fz_fill_text(r->ctx, r->dev, text, m, fz_device_rgb(r->ctx), rgb, 1, fz_default_color_params);
	}
	fz_always(r->ctx)
		fz_drop_text(r->ctx, text);
	fz_catch(r->ctx) {
		/* skip what cannot be drawn, keep the page */
	}
}

/* Image bytes drawn into the unit square mapped by m (fitz: top row at y=0). */
static void draw_image_bytes(rctx *r, const unsigned char *d, size_t n, fz_matrix m)
{
	fz_buffer *buf = NULL;
	fz_image *img = NULL;

	fz_var(buf);
	fz_var(img);
	fz_try(r->ctx) {
		buf = fz_new_buffer_from_copied_data(r->ctx, d, n);
		img = fz_new_image_from_buffer(r->ctx, buf);
		fz_fill_image(r->ctx, r->dev, img, m, 1, fz_default_color_params);
	}
	fz_always(r->ctx) {
		fz_drop_image(r->ctx, img);
		fz_drop_buffer(r->ctx, buf);
	}
	fz_catch(r->ctx) {
		/* skip what cannot be drawn, keep the page */
	}
}

static void draw_image(rctx *r, const xmlNode *obj)
{
	double box[4];
	fz_matrix m = fz_concat(object_matrix(obj, box), r->base);
	char id[32];
	res_item *ri;
	const ofd_entry *e;

	ofd_xml_attr(obj, "ResourceID", id, sizeof(id));
	ri = find_res(r, id);
	if (ri == NULL || ri->is_font || ri->path[0] == 0 || (e = ofd_pkg_find(r->p, ri->path)) == NULL)
		return;
	draw_image_bytes(r, e->data, e->len, m);
}

static void draw_objects(rctx *r, const xmlNode *n, int depth)
{
	for (; n && depth < OFD_MAX_XML_DEPTH; n = n->next) {
		if (ofd_xml_is(n, "PathObject"))
			draw_path(r, n);
		else if (ofd_xml_is(n, "TextObject"))
			draw_text(r, n);
		else if (ofd_xml_is(n, "ImageObject"))
			draw_image(r, n);
		else if (n->type == XML_ELEMENT_NODE)
			draw_objects(r, n->children, depth + 1);
	}
}

static void draw_part(rctx *r, const char *path, int with_templates, int depth)
{
	const ofd_entry *e = ofd_pkg_find(r->p, path);
	xmlDocPtr x = NULL;
	xmlNode *root, *t;
	size_t i;

	if (e == NULL || depth > 4 || ofd_xml_parse(&x, e->data, e->len, NULL) < 0)
		return;
	root = xmlDocGetRootElement(x);
	for (t = ofd_xml_child(root, "PageRes"); t; t = ofd_xml_next(t, "PageRes")) {
		char loc[OFD_MAX_NAME_LEN], res[OFD_MAX_NAME_LEN];

		ofd_xml_text(t, loc, sizeof(loc));
		if (ofd_path_resolve(res, sizeof(res), path, loc) == 0)
			load_res_file(r, res);
	}
	for (t = with_templates ? ofd_xml_child(root, "Template") : NULL; t; t = ofd_xml_next(t, "Template")) {
		char id[32];

		ofd_xml_attr(t, "TemplateID", id, sizeof(id));
		for (i = 0; i < r->d->ntpl; i++)
			if (strcmp(r->d->tpl_id[i], id) == 0)
				draw_part(r, r->d->tpl_path[i], 0, depth + 1);
	}
	draw_objects(r, ofd_xml_child(root, "Content"), 0);
	xmlFreeDoc(x);
}

/* ---- seals (StampAnnot) ---- */

static void draw_seal_picture(rctx *r, const unsigned char *pic, size_t n, const char *type, const double b[4],
			      const double *clip)
{
	fz_matrix at = fz_concat(fz_translate((float)b[0], (float)b[1]), r->base);
	fz_matrix m = fz_concat(fz_scale((float)b[2], (float)b[3]), at);
	fz_path *cp = NULL;

	fz_var(cp);
	fz_try(r->ctx) {
		if (clip) {
			cp = fz_new_path(r->ctx);
			fz_rectto(r->ctx, cp, (float)clip[0], (float)clip[1], (float)(clip[0] + clip[2]),
				  (float)(clip[1] + clip[3]));
			fz_clip_path(r->ctx, r->dev, cp, 0, at, fz_infinite_rect);
		}
		if (strcasecmp(type, "ofd") != 0) {
			draw_image_bytes(r, pic, n, m);
		} else { /* vector seal picture: a red ring stands in for it */
			fz_path *ring = fz_new_path(r->ctx);
			fz_stroke_state *st = fz_new_stroke_state(r->ctx);
			float red[3] = {0.85f, 0, 0};

			fz_moveto(r->ctx, ring, (float)b[2], (float)b[3] / 2);
			fz_curveto(r->ctx, ring, (float)b[2], (float)(b[3] * 1.05), 0, (float)(b[3] * 1.05), 0, (float)b[3] / 2);
			fz_curveto(r->ctx, ring, 0, (float)(-b[3] * 0.05), (float)b[2], (float)(-b[3] * 0.05), (float)b[2],
				   (float)b[3] / 2);
			st->linewidth = 1.2f;
			fz_stroke_path(r->ctx, r->dev, ring, st, at, fz_device_rgb(r->ctx), red, 1, fz_default_color_params);
			fz_drop_path(r->ctx, ring);
			fz_drop_stroke_state(r->ctx, st);
		}
		if (clip)
			fz_pop_clip(r->ctx, r->dev);
	}
	fz_always(r->ctx)
		fz_drop_path(r->ctx, cp);
	fz_catch(r->ctx) {
		/* skip what cannot be drawn, keep the page */
	}
}

/* The seal of a signature: embedded in SignedValue (v4/v1) or Seal.esl. */
static int seal_of(rctx *r, const char *sig_path, const xmlNode *root, unsigned char **pic, size_t *n,
		   char *type, size_t tcap)
{
	char loc[OFD_MAX_NAME_LEN], path[OFD_MAX_NAME_LEN];
	const ofd_entry *e;
	ofd_ses s;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	ofd_xml_text(ofd_xml_child(root, "SignedValue"), loc, sizeof(loc));
	if (ofd_path_resolve(path, sizeof(path), sig_path, loc) == 0 && (e = ofd_pkg_find(r->p, path)) != NULL &&
	    ofd_ses_parse(&s, e->data, e->len) == 0 && s.seal.raw)
		rc = ofd_seal_picture(pic, n, type, tcap, s.seal.raw, s.seal.rawlen, NULL);
	ofd_ses_clear(&s);
	if (rc == 0)
		return 0;
	ofd_xml_text(ofd_xml_child(ofd_xml_child(ofd_xml_child(root, "SignedInfo"), "Seal"), "BaseLoc"), loc, sizeof(loc));
	if (loc[0] && ofd_path_resolve(path, sizeof(path), sig_path, loc) == 0 && (e = ofd_pkg_find(r->p, path)) != NULL)
		return ofd_seal_picture(pic, n, type, tcap, e->data, e->len, NULL);
	return -1;
}

static void draw_stamps_of(rctx *r, const char *sig_path, const char *page_id)
{
	const ofd_entry *e = ofd_pkg_find(r->p, sig_path);
	xmlDocPtr x = NULL;
	xmlNode *root, *sa;
	unsigned char *pic = NULL;
	size_t n = 0;
	char type[16] = "", buf[256];
	int have = 0;

	if (e == NULL || ofd_xml_parse(&x, e->data, e->len, NULL) < 0)
		return;
	root = xmlDocGetRootElement(x);
	for (sa = ofd_xml_child(ofd_xml_child(root, "SignedInfo"), "StampAnnot"); sa; sa = ofd_xml_next(sa, "StampAnnot")) {
		double b[4], c[4];
		int has_clip;

		ofd_xml_attr(sa, "PageRef", buf, sizeof(buf));
		if (strcmp(buf, page_id) != 0)
			continue;
		ofd_xml_attr(sa, "Boundary", buf, sizeof(buf));
		if (ofd_parse_doubles(buf, b, 4) != 4)
			continue;
		has_clip = ofd_xml_attr(sa, "Clip", buf, sizeof(buf)) == 0 && ofd_parse_doubles(buf, c, 4) == 4;
		if (!have)
			have = seal_of(r, sig_path, root, &pic, &n, type, sizeof(type)) == 0 ? 1 : -1;
		if (have > 0)
			draw_seal_picture(r, pic, n, type, b, has_clip ? c : NULL);
	}
	free(pic);
	xmlFreeDoc(x);
}

static void draw_stamps(rctx *r, const char *page_id)
{
	const ofd_entry *e = r->d->ofd_xml_docbody_sigs[0] ? ofd_pkg_find(r->p, r->d->ofd_xml_docbody_sigs) : NULL;
	xmlDocPtr x = NULL;
	xmlNode *s;

	if (e == NULL || ofd_xml_parse(&x, e->data, e->len, NULL) < 0)
		return;
	for (s = ofd_xml_child(xmlDocGetRootElement(x), "Signature"); s; s = ofd_xml_next(s, "Signature")) {
		char loc[OFD_MAX_NAME_LEN], path[OFD_MAX_NAME_LEN];

		ofd_xml_attr(s, "BaseLoc", loc, sizeof(loc));
		if (ofd_path_resolve(path, sizeof(path), r->d->ofd_xml_docbody_sigs, loc) == 0)
			draw_stamps_of(r, path, page_id);
	}
	xmlFreeDoc(x);
}

/* ---- entry ---- */

static int render(rctx *r, const ofd_page *pg, int dpi, unsigned char **png, size_t *len, es_err *err)
{
	double scale = dpi / MM_PER_INCH;
	long w = (long)(pg->box[2] * scale + 0.5), h = (long)(pg->box[3] * scale + 0.5);
	fz_pixmap *pix = NULL;
	fz_buffer *out = NULL;
	size_t i;
	int rc = 0;

	if (w <= 0 || h <= 0 || w * h > MAX_PIXELS)
		return es_err_set(err, ES_ERANGE, "page too large to render at %d dpi", dpi);
	r->base = fz_concat(fz_translate((float)-pg->box[0], (float)-pg->box[1]), fz_scale((float)scale, (float)scale));
	fz_var(pix);
	fz_var(out);
	fz_try(r->ctx) {
		r->fallback = fz_new_font_from_file(r->ctx, NULL, CJK_FONT, CJK_FONT_SC_INDEX, 0);
		pix = fz_new_pixmap(r->ctx, fz_device_rgb(r->ctx), (int)w, (int)h, NULL, 0);
		fz_clear_pixmap_with_value(r->ctx, pix, 0xff);
		r->dev = fz_new_draw_device(r->ctx, fz_identity, pix);
		draw_part(r, pg->path, 1, 0);
		draw_stamps(r, pg->id);
		fz_close_device(r->ctx, r->dev);
		out = fz_new_buffer_from_pixmap_as_png(r->ctx, pix, fz_default_color_params);
		{
			unsigned char *data = NULL;
			size_t n = fz_buffer_storage(r->ctx, out, &data);

			*png = malloc(n ? n : 1);
			if (*png == NULL)
				fz_throw(r->ctx, FZ_ERROR_GENERIC, "out of memory");
			memcpy(*png, data, n);
			*len = n;
		}
	}
	fz_always(r->ctx) {
		fz_drop_device(r->ctx, r->dev);
		r->dev = NULL;
		fz_drop_pixmap(r->ctx, pix);
		fz_drop_buffer(r->ctx, out);
		for (i = 0; i < r->nres; i++)
			fz_drop_font(r->ctx, r->res[i].font);
		fz_drop_font(r->ctx, r->fallback);
	}
	fz_catch(r->ctx)
		rc = es_err_set(err, ES_EOFD, "cannot render the page: %s", fz_caught_message(r->ctx));
	return rc;
}

int es_ofd_render_page(unsigned char **png, size_t *len, const char *path, int page, int dpi, es_err *err)
{
	ofd_pkg *p = NULL;
	ofd_doc d;
	rctx *r = NULL;
	size_t i;
	int rc;

	*png = NULL;
	*len = 0;
	memset(&d, 0, sizeof(d));
	if (dpi < MIN_DPI || dpi > MAX_DPI)
		return es_err_set(err, ES_EINVAL, "dpi must be %d..%d", MIN_DPI, MAX_DPI);
	if ((rc = ofd_pkg_open(&p, path, err)) < 0 || (rc = ofd_doc_load(&d, p, err)) < 0)
		goto out;
	if (page == -1)
		page = (int)d.npages;
	if (page < 1 || (size_t)page > d.npages) {
		rc = es_err_set(err, ES_EINVAL, "page %d does not exist; the document has %zu pages", page, d.npages);
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->res = calloc(MAX_RES, sizeof(*r->res))) == NULL) {
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
		goto out;
	}
	r->ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
	if (r->ctx == NULL) {
		rc = es_err_set(err, ES_ENOMEM, "cannot start the renderer");
		goto out;
	}
	r->p = p;
	r->d = &d;
	for (i = 0; i < d.npubres; i++)
		load_res_file(r, d.pubres[i]);
	rc = render(r, &d.pages[page - 1], dpi, png, len, err);
out:
	if (r) {
		fz_drop_context(r->ctx);
		free(r->res);
		free(r);
	}
	ofd_doc_clear(&d);
	ofd_pkg_free(p);
	return rc;
}
