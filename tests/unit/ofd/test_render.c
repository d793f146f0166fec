/* OFD rendering: text, paths and the seal picture appear on the PNG.
 * The PNG is decoded here with zlib only, independently of the renderer.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <zlib.h>
#include "ofd_test.h"

#define DPI 100
#define PX(mm) ((int)((mm) * DPI / 25.4))

typedef struct img {
	int w, h;
	unsigned char *rgb;
} img;

static unsigned be32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* 8-bit RGB or RGBA, non-interlaced PNG → RGB. */
static int png_decode(img *out, const unsigned char *d, size_t n)
{
	unsigned char *z = NULL, *raw = NULL;
	size_t zl = 0, off = 8, rawl, stride, bpp;
	int y, x, ct;
	uLongf got;

	if (n < 33 || memcmp(d, "\x89PNG", 4) != 0)
		return -1;
	out->w = (int)be32(d + 16);
	out->h = (int)be32(d + 20);
	ct = d[25];
	if (d[24] != 8 || (ct != 2 && ct != 6) || d[28] != 0)
		return -1;
	bpp = ct == 2 ? 3 : 4;
	while (off + 8 <= n) {
		unsigned len = be32(d + off);

		if (memcmp(d + off + 4, "IDAT", 4) == 0) {
			z = realloc(z, zl + len);
			memcpy(z + zl, d + off + 8, len);
			zl += len;
		}
		off += 12 + len;
	}
	stride = (size_t)out->w * bpp;
	rawl = (stride + 1) * (size_t)out->h;
	raw = malloc(rawl);
	got = rawl;
	if (uncompress(raw, &got, z, zl) != Z_OK || got != rawl) {
		free(z);
		free(raw);
		return -1;
	}
	out->rgb = malloc((size_t)out->w * (size_t)out->h * 3);
	for (y = 0; y < out->h; y++) {
		unsigned char *row = raw + (size_t)y * (stride + 1), f = row[0], *cur = row + 1;
		unsigned char *prev = y ? raw + (size_t)(y - 1) * (stride + 1) + 1 : NULL;

		for (x = 0; x < (int)stride; x++) {
			int a = x >= (int)bpp ? cur[x - bpp] : 0, b = prev ? prev[x] : 0;
			int c = prev && x >= (int)bpp ? prev[x - bpp] : 0, v = cur[x];

			v += f == 1 ? a : f == 2 ? b : f == 3 ? (a + b) / 2 : f == 4 ? paeth(a, b, c) : 0;
			cur[x] = (unsigned char)v;
		}
		for (x = 0; x < out->w; x++)
			memcpy(out->rgb + ((size_t)y * out->w + x) * 3, cur + (size_t)x * bpp, 3);
	}
	free(z);
	free(raw);
	return 0;
}

static size_t count(const img *im, int x0, int y0, int x1, int y1, int red)
{
	size_t n = 0;
	int x, y;

	for (y = y0 < 0 ? 0 : y0; y < y1 && y < im->h; y++)
		for (x = x0 < 0 ? 0 : x0; x < x1 && x < im->w; x++) {
			const unsigned char *p = im->rgb + ((size_t)y * im->w + x) * 3;

			if (red ? (p[0] > 150 && p[1] < 110 && p[2] < 110) : (p[0] < 128 && p[1] < 128 && p[2] < 128))
				n++;
		}
	return n;
}

static void sealed_page_shows_text_and_red_stamp(void **state)
{
	char dir[] = "/tmp/es-ofd-render-XXXXXX", in[96], out[96];
	EVP_PKEY *k = t_key();
	X509 *c = t_cert();
	size_t slen = 0, plen = 0;
	unsigned char *seal = t_make_seal(&slen, c, k), *png = NULL;
	es_ofd_sign_opts o = ES_OFD_SIGN_OPTS_INIT;
	es_err err = ES_ERR_INIT;
	img im = {0};

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/p.ofd", dir);
	snprintf(out, sizeof(out), "%s/s.ofd", dir);
	assert_int_equal(es_ofd_make_sample(in, 1, NULL, NULL), 0);
	o.seal = seal;
	o.seal_len = slen;
	o.key = k;
	o.cert = c;
	o.x_mm = 100;
	o.y_mm = 150;
	assert_int_equal(es_ofd_sign(in, out, &o, NULL, &err), 0);
	assert_int_equal(es_ofd_render_page(&png, &plen, out, 1, DPI, &err), 0);
	if (getenv("ESEAL_TEST_KEEP"))
		t_write("/tmp/es-ofd-render.png", png, plen);
	assert_int_equal(png_decode(&im, png, plen), 0);
	assert_int_equal(im.w, PX(210) + 1);
	/* title text at (25, 20) mm, 7 mm high */
	assert_true(count(&im, PX(25), PX(20), PX(120), PX(29), 0) > 200);
	/* red stamp picture centred at (100, 150) mm, 40 mm wide */
	assert_true(count(&im, PX(80), PX(130), PX(120), PX(170), 1) > 500);
	/* nothing red far from it */
	assert_int_equal(count(&im, PX(20), PX(230), PX(60), PX(280), 1), 0);
	free(png);
	assert_int_equal(es_ofd_render_page(&png, &plen, out, 2, DPI, &err), ES_EINVAL);
	assert_null(png);
	free(im.rgb);
	free(seal);
	EVP_PKEY_free(k);
	X509_free(c);
	snprintf(in, sizeof(in), "rm -rf %s", dir);
	assert_int_equal(system(in), 0);
}

static void vectors_render_without_crashing(void **state)
{
	static const char *v[] = {"v4signed.ofd", "SESV4SignDoc.ofd", "V4RideRight.ofd", "h-two-seals.ofd",
				  "keyword-modified.ofd", "n-v1-dms360.ofd", "DigitalSign.ofd", "sign-gbt35275-2sigs.ofd"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char path[512];
		unsigned char *png = NULL;
		size_t len = 0;
		img im = {0};
		es_err err = ES_ERR_INIT;

		snprintf(path, sizeof(path), VEC "%s", v[i]);
		assert_int_equal(es_ofd_render_page(&png, &len, path, 1, 50, &err), 0);
		assert_int_equal(png_decode(&im, png, len), 0);
		assert_true(count(&im, 0, 0, im.w, im.h, 0) + count(&im, 0, 0, im.w, im.h, 1) > 50);
		if (getenv("ESEAL_TEST_KEEP")) {
			snprintf(path, sizeof(path), "/tmp/es-ofd-render-%zu.png", i);
			t_write(path, png, len);
		}
		free(im.rgb);
		free(png);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sealed_page_shows_text_and_red_stamp),
		cmocka_unit_test(vectors_render_without_crashing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
