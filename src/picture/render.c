/* Raster output through MuPDF's draw device.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fzctx.h"
#include "picture_int.h"

#define ES_DPI_MIN 36
#define ES_DPI_MAX 2400

static fz_path *to_fz_path(fz_context *ctx, const es_pic_path *src)
{
	fz_path *path = fz_new_path(ctx);

	fz_try(ctx) {
		for (size_t i = 0; i < src->nsegs; i++) {
			const double *q = src->segs[i].p;

			switch (src->segs[i].op) {
			case ES_PIC_MOVE:
				fz_moveto(ctx, path, (float)q[0], (float)q[1]);
				break;
			case ES_PIC_LINE:
				fz_lineto(ctx, path, (float)q[0], (float)q[1]);
				break;
			case ES_PIC_CURVE:
				fz_curveto(ctx, path, (float)q[0], (float)q[1], (float)q[2], (float)q[3],
					   (float)q[4], (float)q[5]);
				break;
			case ES_PIC_CLOSE:
				fz_closepath(ctx, path);
				break;
			}
		}
	}
	fz_catch(ctx) {
		fz_drop_path(ctx, path);
		fz_rethrow(ctx);
	}
	return path;
}

static void paint(fz_context *ctx, fz_device *dev, const es_picture *p, fz_matrix ctm)
{
	static const float ink[3] = {ES_INK_R / 255.0f, ES_INK_G / 255.0f, ES_INK_B / 255.0f};
	fz_path *path = NULL;
	fz_stroke_state *stroke = NULL;

	fz_var(path);
	fz_var(stroke);
	fz_try(ctx) {
		for (size_t i = 0; i < p->npaths; i++) {
			const es_pic_path *pp = &p->paths[i];

			path = to_fz_path(ctx, pp);
			if (pp->stroke_mm > 0) {
				stroke = fz_new_stroke_state(ctx);
				stroke->linewidth = (float)pp->stroke_mm;
				fz_stroke_path(ctx, dev, path, stroke, ctm, fz_device_rgb(ctx), ink, 1.0f,
					       fz_default_color_params);
				fz_drop_stroke_state(ctx, stroke);
				stroke = NULL;
			} else {
				fz_fill_path(ctx, dev, path, 0, ctm, fz_device_rgb(ctx), ink, 1.0f,
					     fz_default_color_params);
			}
			fz_drop_path(ctx, path);
			path = NULL;
		}
	}
	fz_always(ctx) {
		fz_drop_path(ctx, path);
		fz_drop_stroke_state(ctx, stroke);
	}
	fz_catch(ctx)
		fz_rethrow(ctx);
}

/* Render p into a new transparent RGBA pixmap at dpi. */
static fz_pixmap *render(fz_context *ctx, const es_picture *p, int dpi)
{
	double k = dpi / ES_MM_PER_INCH;
	int w = (int)ceil(p->width_mm * k), h = (int)ceil(p->height_mm * k);
	fz_pixmap *pix = fz_new_pixmap(ctx, fz_device_rgb(ctx), w, h, NULL, 1);
	fz_device *dev = NULL;

	fz_var(dev);
	fz_try(ctx) {
		fz_clear_pixmap(ctx, pix);
		dev = fz_new_draw_device(ctx, fz_identity, pix);
		paint(ctx, dev, p, fz_scale((float)k, (float)k));
		fz_close_device(ctx, dev);
	}
	fz_always(ctx)
		fz_drop_device(ctx, dev);
	fz_catch(ctx) {
		fz_drop_pixmap(ctx, pix);
		fz_rethrow(ctx);
	}
	return pix;
}

static int check_dpi(int dpi, es_err *err)
{
	if (dpi < ES_DPI_MIN || dpi > ES_DPI_MAX)
		return es_err_set(err, ES_ERANGE, "resolution must be %d–%d dpi, not %d", ES_DPI_MIN,
				  ES_DPI_MAX, dpi);
	return 0;
}

int es_picture_png(unsigned char **out, size_t *len, const es_picture *p, int dpi, es_err *err)
{
	fz_context *ctx;
	fz_pixmap *pix = NULL;
	fz_buffer *buf = NULL;
	unsigned char *data = NULL;
	size_t n = 0;
	int rc;

	assert(out != NULL && p != NULL && len != NULL);
	*out = NULL;
	*len = 0;
	if ((rc = check_dpi(dpi, err)) < 0)
		return rc;
	ctx = es_fz_new_context();
	if (ctx == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory creating a MuPDF context");
	fz_var(rc);
	fz_var(pix);
	fz_var(buf);
	fz_var(data);
	fz_var(n);
	fz_try(ctx) {
		unsigned char *bytes;

		pix = render(ctx, p, dpi);
		buf = fz_new_buffer_from_pixmap_as_png(ctx, pix, fz_default_color_params);
		n = fz_buffer_storage(ctx, buf, &bytes);
		data = malloc(n);
		if (data == NULL)
			fz_throw(ctx, FZ_ERROR_GENERIC, "out of memory");
		memcpy(data, bytes, n);
	}
	fz_always(ctx) {
		fz_drop_buffer(ctx, buf);
		fz_drop_pixmap(ctx, pix);
	}
	fz_catch(ctx) {
		free(data);
		data = NULL;
		rc = es_err_set(err, ES_ENOMEM, "cannot render the seal as PNG: %s", fz_caught_message(ctx));
	}
	fz_drop_context(ctx);
	if (rc == 0) {
		*out = data;
		*len = n;
	}
	return rc;
}

/* MuPDF pixmaps carry premultiplied alpha; callers want straight RGBA. */
static void unpremultiply(unsigned char *dst, const unsigned char *src, int w, int h, int stride)
{
	for (int y = 0; y < h; y++) {
		const unsigned char *s = src + (size_t)y * (size_t)stride;

		for (int x = 0; x < w; x++, s += 4, dst += 4) {
			int a = s[3];

			for (int c = 0; c < 3; c++)
				dst[c] = a == 0 ? 0 : (unsigned char)((s[c] * 255 + a / 2) / a);
			dst[3] = (unsigned char)a;
		}
	}
}

int es_picture_rgba(unsigned char **out, int *w, int *h, const es_picture *p, int dpi, es_err *err)
{
	fz_context *ctx;
	fz_pixmap *pix = NULL;
	unsigned char *data = NULL;
	int rc;

	assert(out != NULL && p != NULL);
	*out = NULL;
	if ((rc = check_dpi(dpi, err)) < 0)
		return rc;
	ctx = es_fz_new_context();
	if (ctx == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory creating a MuPDF context");
	fz_var(rc);
	fz_var(pix);
	fz_var(data);
	fz_try(ctx) {
		pix = render(ctx, p, dpi);
		*w = fz_pixmap_width(ctx, pix);
		*h = fz_pixmap_height(ctx, pix);
		data = malloc((size_t)*w * (size_t)*h * 4);
		if (data == NULL)
			fz_throw(ctx, FZ_ERROR_GENERIC, "out of memory");
		unpremultiply(data, fz_pixmap_samples(ctx, pix), *w, *h, fz_pixmap_stride(ctx, pix));
	}
	fz_always(ctx)
		fz_drop_pixmap(ctx, pix);
	fz_catch(ctx) {
		free(data);
		data = NULL;
		rc = es_err_set(err, ES_ENOMEM, "cannot render the seal: %s", fz_caught_message(ctx));
	}
	fz_drop_context(ctx);
	*out = data;
	return rc;
}
