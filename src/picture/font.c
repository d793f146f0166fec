/* Glyph outlines from a CJK font through MuPDF.  Text in a seal picture is
 * always drawn as outlines, so no font is ever embedded in an output.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fzctx.h"
#include "picture_int.h"

/* Noto CJK collections order their faces JP, KR, SC, TC, HK. */
#define ES_NOTO_CJK_SC_INDEX 2
/* Ideographic em box of CJK fonts (Adobe/Noto: -120..880 of 1000 units). */
#define ES_CJK_EM_ASCENT 0.88
#define ES_CJK_EM_DESCENT (-0.12)

struct es_font {
	fz_context *ctx;
	fz_font *font;
	char path[512];
};

#define ES_NOTO_SERIF_BOLD "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"
#define ES_NOTO_SANS_BOLD "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
#define ES_WQY_ZENHEI "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"

/* Song (宋体) style for Chinese, as the seal rules ask. */
static const char *const default_fonts[] = {ES_NOTO_SERIF_BOLD, ES_NOTO_SANS_BOLD, ES_WQY_ZENHEI};
/* Digits and capitals: a plain sans (the invoice rule names Arial). */
static const char *const default_latin_fonts[] = {ES_NOTO_SANS_BOLD, ES_NOTO_SERIF_BOLD, ES_WQY_ZENHEI};

static int face_index(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	if (strstr(base, "NotoSerifCJK") != NULL || strstr(base, "NotoSansCJK") != NULL)
		return ES_NOTO_CJK_SC_INDEX;
	return 0;
}

static int pick_path(const char **out, const char *path, int latin, es_err *err)
{
	const char *const *list = latin ? default_latin_fonts : default_fonts;
	const char *env = getenv("ESEAL_FONT");

	if (path == NULL && env != NULL && env[0] != '\0')
		path = env;
	if (path != NULL) {
		if (access(path, R_OK) == 0) {
			*out = path;
			return 0;
		}
		if (errno == ENOENT || errno == ENOTDIR)
			return es_err_set(err, ES_ENOTFOUND,
					  "font file %s does not exist; fix the font path or ESEAL_FONT", path);
		return es_err_set(err, ES_EIO, "cannot read font file %s: %s", path, strerror(errno));
	}
	for (size_t i = 0; i < sizeof(default_fonts) / sizeof(default_fonts[0]); i++) {
		if (access(list[i], R_OK) == 0) {
			*out = list[i];
			return 0;
		}
	}
	return es_err_set(err, ES_ENOTFOUND,
			  "no CJK font found; install fonts-noto-cjk or set ESEAL_FONT to a .ttf/.otf/.ttc");
}

int es_font_open(es_font **out, const char *path, int latin, es_err *err)
{
	es_font *f = NULL;
	fz_font *font = NULL;
	const char *file = NULL;
	int rc;

	*out = NULL;
	if ((rc = pick_path(&file, path, latin, err)) < 0)
		return rc;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory loading a font");
	snprintf(f->path, sizeof(f->path), "%s", file);
	f->ctx = es_fz_new_context();
	if (f->ctx == NULL) {
		free(f);
		return es_err_set(err, ES_ENOMEM, "out of memory creating a MuPDF context");
	}
	fz_var(font);
	fz_var(file);
	fz_var(rc);
	fz_try(f->ctx)
		font = fz_new_font_from_file(f->ctx, NULL, file, face_index(file), 0);
	fz_catch(f->ctx)
		rc = es_err_set(err, ES_EIO, "cannot load font %s (%s); point ESEAL_FONT at a CJK font",
				file, fz_caught_message(f->ctx));
	if (rc < 0) {
		es_font_free(f);
		return rc;
	}
	f->font = font;
	*out = f;
	return 0;
}

void es_font_free(es_font *f)
{
	if (f == NULL)
		return;
	if (f->ctx != NULL) {
		fz_drop_font(f->ctx, f->font);
		fz_drop_context(f->ctx);
	}
	free(f);
}

void es_font_em(const es_font *f, double *ascender, double *descender)
{
	(void)f;
	*ascender = ES_CJK_EM_ASCENT;
	*descender = ES_CJK_EM_DESCENT;
}

int es_font_glyph(es_glyph_info *out, es_font *f, uint32_t cp, es_err *err)
{
	fz_context *ctx = f->ctx;
	fz_path *path = NULL;
	fz_rect r = fz_empty_rect;
	int gid = 0, rc = 0;
	float adv = 0;

	memset(out, 0, sizeof(*out));
	fz_var(path);
	fz_var(rc);
	fz_var(gid);
	fz_var(adv);
	fz_var(r);
	fz_try(ctx) {
		gid = fz_encode_character(ctx, f->font, (int)cp);
		if (gid > 0) {
			adv = fz_advance_glyph(ctx, f->font, gid, 0);
			path = fz_outline_glyph(ctx, f->font, gid, fz_identity);
			if (path != NULL)
				r = fz_bound_path(ctx, path, NULL, fz_identity);
		}
	}
	fz_always(ctx)
		fz_drop_path(ctx, path);
	fz_catch(ctx)
		rc = es_err_set(err, ES_EIO, "cannot read glyph U+%04X from %s: %s", (unsigned)cp,
				f->path, fz_caught_message(ctx));
	if (rc < 0)
		return rc;
	if (gid <= 0)
		return es_err_set(err, ES_EINVAL,
				  "character U+%04X is not in font %s; use another font or text", (unsigned)cp,
				  f->path);
	out->cp = cp;
	out->gid = gid;
	out->advance = adv;
	if (!fz_is_empty_rect(r)) {
		out->ink[0] = r.x0;
		out->ink[1] = r.y0;
		out->ink[2] = r.x1;
		out->ink[3] = r.y1;
	}
	return 0;
}

typedef struct walk_state {
	es_pic_path *path;
	es_err *err;
	int rc;
} walk_state;

static void add(fz_context *ctx, walk_state *w, es_pic_op op, const double *pts)
{
	if (w->rc < 0)
		return;
	w->rc = es_pic_seg_add(w->path, op, pts, w->err);
	if (w->rc < 0)
		fz_throw(ctx, FZ_ERROR_GENERIC, "out of memory");
}

static void w_moveto(fz_context *ctx, void *arg, float x, float y)
{
	const double p[2] = {x, y};

	add(ctx, arg, ES_PIC_MOVE, p);
}

static void w_lineto(fz_context *ctx, void *arg, float x, float y)
{
	const double p[2] = {x, y};

	add(ctx, arg, ES_PIC_LINE, p);
}

static void w_curveto(fz_context *ctx, void *arg, float x1, float y1, float x2, float y2,
		      float x3, float y3)
{
	const double p[6] = {x1, y1, x2, y2, x3, y3};

	add(ctx, arg, ES_PIC_CURVE, p);
}

static void w_closepath(fz_context *ctx, void *arg)
{
	add(ctx, arg, ES_PIC_CLOSE, NULL);
}

int es_font_outline(es_picture *p, es_font *f, int gid, const double m[6], es_err *err)
{
	static const fz_path_walker walker = {w_moveto, w_lineto, w_curveto, w_closepath,
					      NULL, NULL, NULL, NULL};
	fz_context *ctx = f->ctx;
	fz_matrix ctm = fz_make_matrix((float)m[0], (float)m[1], (float)m[2], (float)m[3],
				       (float)m[4], (float)m[5]);
	fz_path *path = NULL;
	walk_state w = {NULL, err, 0};
	int rc;

	if ((rc = es_pic_begin(p, 0.0, &w.path, err)) < 0)
		return rc;
	fz_var(path);
	fz_var(w);
	fz_try(ctx) {
		path = fz_outline_glyph(ctx, f->font, gid, ctm);
		if (path != NULL)
			fz_walk_path(ctx, path, &walker, &w);
	}
	fz_always(ctx)
		fz_drop_path(ctx, path);
	fz_catch(ctx) {
		if (w.rc == 0)
			w.rc = es_err_set(err, ES_EIO, "cannot outline glyph %d of %s: %s", gid,
					  f->path, fz_caught_message(ctx));
	}
	return w.rc;
}
