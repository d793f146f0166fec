/* Seal pictures: geometry, outputs checked with tools we did not write
 * (libpng, libxml2, poppler's pdftoppm, qpdf).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <png.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "eseal/picture.h"
#include "picture/picture_int.h"
#include "util/util.h"

#define TEST_DPI 300
#define POPPLER_DPI 100
#define WQY_FONT "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
#define ORG "杭州示例科技有限公司"
#define LONG_ORG "浙江省杭州市西湖区示例数字科技研究与发展服务有限公司"

typedef struct image {
	unsigned char *px; /* RGBA */
	int w, h;
} image;

static es_picture_spec org_spec(es_seal_kind kind)
{
	es_picture_spec s = {0};

	s.kind = kind;
	s.org_name = ORG;
	s.code = "3301060000001";
	s.taxpayer_no = "91330106MA2XXXXX0T";
	s.person_name = "张三";
	return s;
}

static es_picture *draw_ok(const es_picture_spec *s)
{
	es_picture *p = NULL;
	es_err err = ES_ERR_INIT;

	if (es_picture_draw(&p, s, &err) != 0)
		fail_msg("draw %s: %s", es_seal_kind_name(s->kind), err.msg);
	return p;
}

static void decode_png(image *img, const unsigned char *data, size_t len)
{
	png_image pi;

	memset(&pi, 0, sizeof(pi));
	pi.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_memory(&pi, data, len));
	pi.format = PNG_FORMAT_RGBA;
	img->w = (int)pi.width;
	img->h = (int)pi.height;
	img->px = malloc(PNG_IMAGE_SIZE(pi));
	assert_non_null(img->px);
	assert_true(png_image_finish_read(&pi, NULL, img->px, 0, NULL));
}

static void decode_png_file(image *img, const char *path)
{
	es_buf b = {0};

	assert_int_equal(es_file_read(&b, path, 64u << 20, NULL), 0);
	decode_png(img, b.data, b.len);
	es_buf_free(&b, 0);
}

static const unsigned char *pixel_mm(const image *img, double x_mm, double y_mm, int dpi)
{
	int x = (int)floor(x_mm * dpi / 25.4), y = (int)floor(y_mm * dpi / 25.4);

	assert_in_range(x, 0, img->w - 1);
	assert_in_range(y, 0, img->h - 1);
	return img->px + ((size_t)y * (size_t)img->w + (size_t)x) * 4;
}

static int is_red(const unsigned char *c)
{
	return c[3] > 240 && c[0] > 200 && c[1] < 60 && c[2] < 80;
}

static int run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void assert_glyphs_apart_and_inside(const es_picture *p, double border_mm);

static void kind_names_round_trip(void **state)
{
	static const char *names[] = {"company", "contract", "finance", "invoice", "legal-rep", "personal"};
	static const char *labels[] = {"公章", "合同专用章", "财务专用章", "发票专用章", "法定代表人章", "个人名章"};
	es_seal_kind k;

	(void)state;
	for (int i = 0; i < 6; i++) {
		assert_int_equal(es_seal_kind_parse(&k, names[i]), 0);
		assert_int_equal(k, ES_KIND_COMPANY + i);
		assert_string_equal(es_seal_kind_name(k), names[i]);
		assert_string_equal(es_seal_kind_label_zh(k), labels[i]);
	}
	assert_int_equal(es_seal_kind_parse(&k, "Company"), ES_EINVAL);
	assert_int_equal(es_seal_kind_parse(&k, NULL), ES_EINVAL);
	assert_null(es_seal_kind_name((es_seal_kind)0));
	assert_null(es_seal_kind_label_zh((es_seal_kind)99));
}

static void every_kind_draws_at_template_size(void **state)
{
	static const double sizes[][2] = {{42, 42}, {40, 40}, {40, 40}, {40, 30}, {20, 20}, {20, 20}};

	(void)state;
	for (int i = 0; i < 6; i++) {
		es_picture_spec s = org_spec(ES_KIND_COMPANY + i);
		es_picture *p = draw_ok(&s);
		size_t n;

		assert_float_equal(es_picture_width_mm(p), sizes[i][0], 1e-9);
		assert_float_equal(es_picture_height_mm(p), sizes[i][1], 1e-9);
		es_picture_glyphs(p, &n);
		assert_true(n >= 4);
		es_picture_free(p);
	}
}

static void size_mm_scales_within_the_rules(void **state)
{
	es_picture_spec s = org_spec(ES_KIND_COMPANY);
	es_picture *p;

	(void)state;
	s.size_mm = 40.0;
	p = draw_ok(&s);
	assert_float_equal(es_picture_width_mm(p), 40.0, 1e-9);
	es_picture_free(p);
	s = org_spec(ES_KIND_PERSONAL);
	s.size_mm = 25.0;
	p = draw_ok(&s);
	assert_float_equal(es_picture_height_mm(p), 25.0, 1e-9);
	es_picture_free(p);
}

static void template_names_choose_the_size(void **state)
{
	static const struct {
		es_seal_kind kind;
		const char *tpl;
		double w, h;
	} ok[] = {{ES_KIND_COMPANY, "round40", 40, 40}, {ES_KIND_COMPANY, "company", 42, 42},
		  {ES_KIND_CONTRACT, "round38", 38, 38}, {ES_KIND_INVOICE, "oval40x30", 40, 30},
		  {ES_KIND_PERSONAL, "square18", 18, 18}, {ES_KIND_LEGAL_REP, "square25", 25, 25}};

	(void)state;
	for (size_t i = 0; i < ES_ARRAY_LEN(ok); i++) {
		es_picture_spec s = org_spec(ok[i].kind);
		es_picture *p;

		s.template_name = ok[i].tpl;
		p = draw_ok(&s);
		assert_float_equal(es_picture_width_mm(p), ok[i].w, 1e-9);
		assert_float_equal(es_picture_height_mm(p), ok[i].h, 1e-9);
		assert_glyphs_apart_and_inside(p, ok[i].kind == ES_KIND_COMPANY ? 1.2 : 1.0);
		es_picture_free(p);
	}
}

static void out_of_rule_sizes_are_rejected(void **state)
{
	static const struct {
		es_seal_kind kind;
		double size;
	} bad[] = {{ES_KIND_COMPANY, 50}, {ES_KIND_COMPANY, 38}, {ES_KIND_CONTRACT, 42},
		   {ES_KIND_INVOICE, 42}, {ES_KIND_PERSONAL, 30}, {ES_KIND_LEGAL_REP, 10}};

	(void)state;
	for (size_t i = 0; i < ES_ARRAY_LEN(bad); i++) {
		es_picture_spec s = org_spec(bad[i].kind);
		es_picture *p = NULL;
		es_err err = ES_ERR_INIT;

		s.size_mm = bad[i].size;
		assert_int_equal(es_picture_draw(&p, &s, &err), ES_ERANGE);
		assert_null(p);
		assert_true(strstr(err.msg, "mm") != NULL);
	}
}

static void bad_inputs_are_rejected(void **state)
{
	es_picture_spec s;
	es_picture *p = NULL;
	es_err err = ES_ERR_INIT;

	(void)state;
	s = org_spec(ES_KIND_COMPANY);
	s.org_name = NULL;
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_EINVAL);
	s = org_spec(ES_KIND_COMPANY);
	s.org_name = "\xE6\x9D";
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_EINVAL);
	s = org_spec(ES_KIND_COMPANY);
	s.code = "3301 06";
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_EINVAL);
	s = org_spec(ES_KIND_INVOICE);
	s.taxpayer_no = NULL;
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_EINVAL);
	s = org_spec(ES_KIND_INVOICE);
	s.taxpayer_no = "91330106ma2xxxxx0t";
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_EINVAL);
	s.taxpayer_no = "9133";
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_ERANGE);
	s = org_spec(ES_KIND_PERSONAL);
	s.person_name = "张";
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_ERANGE);
	s.person_name = "一二三四五六七";
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_ERANGE);
	s = org_spec(ES_KIND_COMPANY);
	s.template_name = "hexagon";
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_ENOTFOUND);
	s.template_name = "square20";
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_ENOTFOUND);
	s.template_name = "round40";
	s.size_mm = 42.0;
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_EINVAL);
	s.size_mm = 0;
	s.template_name = "round38";
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_ERANGE);
	s.template_name = "default";
	p = draw_ok(&s);
	es_picture_free(p);
	s = org_spec((es_seal_kind)42);
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_EINVAL);
	assert_null(p);
}

/* Corners transparent, the ring red wherever we look along it. */
static void png_has_transparent_corners_and_red_border(void **state)
{
	(void)state;
	for (int k = 0; k < 6; k++) {
		es_picture_spec s = org_spec(ES_KIND_COMPANY + k);
		es_picture *p = draw_ok(&s);
		double w = es_picture_width_mm(p), h = es_picture_height_mm(p), bw;
		unsigned char *png = NULL;
		size_t len = 0;
		image img = {0};

		assert_int_equal(es_picture_png(&png, &len, p, TEST_DPI, NULL), 0);
		decode_png(&img, png, len);
		assert_int_equal(img.w, (int)ceil(w * TEST_DPI / 25.4));
		assert_int_equal(img.h, (int)ceil(h * TEST_DPI / 25.4));
		bw = s.kind == ES_KIND_COMPANY ? 1.2 : 1.0;
		if (s.kind == ES_KIND_LEGAL_REP || s.kind == ES_KIND_PERSONAL) {
			/* square: transparent just inside the border's inner corner */
			assert_int_equal(pixel_mm(&img, bw + 0.3, bw + 0.3, TEST_DPI)[3], 0);
			assert_int_equal(pixel_mm(&img, w - bw - 0.3, h - bw - 0.3, TEST_DPI)[3], 0);
		} else {
			assert_int_equal(img.px[3], 0);
			assert_int_equal(pixel_mm(&img, w - 0.05, 0.05, TEST_DPI)[3], 0);
			assert_int_equal(pixel_mm(&img, 0.05, h - 0.05, TEST_DPI)[3], 0);
			assert_int_equal(pixel_mm(&img, w - 0.05, h - 0.05, TEST_DPI)[3], 0);
		}
		for (int i = 0; i < 72; i++) {
			double a = i * 5.0 * M_PI / 180.0, x, y;

			if (s.kind == ES_KIND_LEGAL_REP || s.kind == ES_KIND_PERSONAL) {
				/* walk the square's border */
				double t = i / 72.0 * 4.0, f = t - floor(t), mid = bw / 2.0;
				double along = mid + f * (w - bw);
				x = t < 1 ? along : t < 2 ? w - mid : t < 3 ? w - along : mid;
				y = t < 1 ? mid : t < 2 ? along : t < 3 ? h - mid : h - along;
			} else {
				x = w / 2.0 + (w / 2.0 - bw / 2.0) * cos(a);
				y = h / 2.0 + (h / 2.0 - bw / 2.0) * sin(a);
			}
			if (!is_red(pixel_mm(&img, x, y, TEST_DPI)))
				fail_msg("%s: no red ink at (%.2f, %.2f) mm", es_seal_kind_name(s.kind), x, y);
		}
		if (s.kind != ES_KIND_INVOICE && s.kind <= ES_KIND_FINANCE)
			assert_true(is_red(pixel_mm(&img, w / 2.0, h / 2.0, TEST_DPI))); /* the star */
		free(img.px);
		free(png);
		es_picture_free(p);
	}
}

/* The test hook's pixels are what the PNG holds (lossless encoding). */
static void rgba_hook_matches_png(void **state)
{
	es_picture_spec s = org_spec(ES_KIND_CONTRACT);
	es_picture *p = draw_ok(&s);
	unsigned char *png = NULL, *rgba = NULL;
	size_t len = 0, red = 0;
	int w = 0, h = 0;
	image img = {0};

	(void)state;
	assert_int_equal(es_picture_png(&png, &len, p, 150, NULL), 0);
	assert_int_equal(es_picture_rgba(&rgba, &w, &h, p, 150, NULL), 0);
	decode_png(&img, png, len);
	assert_int_equal(w, img.w);
	assert_int_equal(h, img.h);
	for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
		assert_int_equal(rgba[i * 4 + 3], img.px[i * 4 + 3]);
		if (is_red(rgba + i * 4))
			red++;
	}
	/* Ring, star and text cover a good share of the disc, not all of it. */
	assert_true(red > (size_t)w * (size_t)h / 10);
	assert_true(red < (size_t)w * (size_t)h / 2);
	free(img.px);
	free(rgba);
	free(png);
	es_picture_free(p);
}

static void dpi_out_of_range_is_rejected(void **state)
{
	es_picture_spec s = org_spec(ES_KIND_PERSONAL);
	es_picture *p = draw_ok(&s);
	unsigned char *png = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_picture_png(&png, &len, p, 0, &err), ES_ERANGE);
	assert_null(png);
	assert_int_equal(es_picture_png(&png, &len, p, 100000, &err), ES_ERANGE);
	es_picture_free(p);
}

static void write_pdf(char *path, size_t cap, const es_picture *p)
{
	unsigned char *pdf = NULL;
	size_t len = 0;
	char dir[] = "/tmp/es-picture-XXXXXX";

	assert_non_null(mkdtemp(dir));
	snprintf(path, cap, "%s/seal.pdf", dir);
	assert_int_equal(es_picture_pdf(&pdf, &len, p, NULL), 0);
	assert_int_equal(es_file_write_atomic(path, pdf, len, 0600, NULL), 0);
	free(pdf);
}

static void remove_pdf_dir(const char *pdf_path)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "rm -rf \"$(dirname '%s')\"", pdf_path);
	assert_int_equal(run(cmd), 0);
}

/* Poppler renders our one-page PDF: page size is the seal, the border is red. */
static void pdf_renders_with_poppler(void **state)
{
	(void)state;
	for (int k = 0; k < 6; k++) {
		es_picture_spec s = org_spec(ES_KIND_COMPANY + k);
		es_picture *p = draw_ok(&s);
		double w = es_picture_width_mm(p), h = es_picture_height_mm(p);
		char path[1024], cmd[2300], out[1100];
		image img = {0};

		write_pdf(path, sizeof(path), p);
		snprintf(out, sizeof(out), "%.*s/page", (int)(strlen(path) - strlen("/seal.pdf")), path);
		snprintf(cmd, sizeof(cmd), "pdftoppm -r %d -png -singlefile '%s' '%s'", POPPLER_DPI, path, out);
		assert_int_equal(run(cmd), 0);
		strncat(out, ".png", sizeof(out) - strlen(out) - 1);
		decode_png_file(&img, out);
		/* poppler rounds the page up to whole pixels */
		assert_in_range(img.w, (int)floor(w * POPPLER_DPI / 25.4), (int)ceil(w * POPPLER_DPI / 25.4));
		assert_in_range(img.h, (int)floor(h * POPPLER_DPI / 25.4), (int)ceil(h * POPPLER_DPI / 25.4));
		/* white inside the corner, red border at the left, right, top, bottom middles */
		{
			const unsigned char *c = pixel_mm(&img, 2.0, 2.0, POPPLER_DPI);
			if (s.kind == ES_KIND_LEGAL_REP || s.kind == ES_KIND_PERSONAL)
				c = pixel_mm(&img, 1.5, 1.5, POPPLER_DPI);
			assert_true(c[0] > 240 && c[1] > 240 && c[2] > 240);
		}
		assert_true(is_red(pixel_mm(&img, 0.5, h / 2.0, POPPLER_DPI)));
		assert_true(is_red(pixel_mm(&img, w - 0.5, h / 2.0, POPPLER_DPI)));
		assert_true(is_red(pixel_mm(&img, w / 2.0, 0.5, POPPLER_DPI)));
		assert_true(is_red(pixel_mm(&img, w / 2.0, h - 0.5, POPPLER_DPI)));
		free(img.px);
		remove_pdf_dir(path);
		es_picture_free(p);
	}
}

static void pdf_passes_qpdf_check(void **state)
{
	es_picture_spec s = org_spec(ES_KIND_INVOICE);
	es_picture *p = draw_ok(&s);
	char path[1024], cmd[1200];

	(void)state;
	write_pdf(path, sizeof(path), p);
	snprintf(cmd, sizeof(cmd), "qpdf --check '%s' >/dev/null", path);
	assert_int_equal(run(cmd), 0);
	remove_pdf_dir(path);
	es_picture_free(p);
}

/* Only path construction/painting and graphics-state operators: no text,
 * no fonts, no resources. */
static void pdf_stream_has_paths_only(void **state)
{
	static const char *ops[] = {"q", "Q", "rg", "RG", "w", "m", "l", "c", "h", "f", "S", "re", "cm"};
	es_picture_spec s = org_spec(ES_KIND_COMPANY);
	es_picture *p = draw_ok(&s);
	char *stream = NULL, *tok, *save = NULL;
	size_t len = 0, nops = 0;
	double pt_max = 42.0 * 72.0 / 25.4;

	(void)state;
	assert_int_equal(es_picture_pdf_stream(&stream, &len, p, NULL), 0);
	assert_int_equal(strlen(stream), len);
	for (tok = strtok_r(stream, " \n", &save); tok != NULL; tok = strtok_r(NULL, " \n", &save)) {
		char *end;
		double v = strtod(tok, &end);
		int known = 0;

		if (*end == '\0') {
			/* every coordinate lies in the box */
			assert_true(v >= -0.01 && v <= pt_max + 0.01);
			continue;
		}
		for (size_t i = 0; i < ES_ARRAY_LEN(ops); i++)
			known |= strcmp(tok, ops[i]) == 0;
		if (!known)
			fail_msg("unexpected token %s in the content stream", tok);
		nops++;
	}
	assert_true(nops > 100);
	free(stream);
	es_picture_free(p);
}

static void svg_is_well_formed_with_mm_size(void **state)
{
	(void)state;
	for (int k = 0; k < 6; k++) {
		es_picture_spec s = org_spec(ES_KIND_COMPANY + k);
		es_picture *p = draw_ok(&s);
		char *svg = NULL, want[64];
		xmlDocPtr doc;
		xmlNodePtr root, n;
		xmlChar *v;
		int paths = 0;

		assert_int_equal(es_picture_svg(&svg, p, NULL), 0);
		doc = xmlReadMemory(svg, (int)strlen(svg), "seal.svg", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
		assert_non_null(doc);
		root = xmlDocGetRootElement(doc);
		assert_string_equal((const char *)root->name, "svg");
		v = xmlGetProp(root, (const xmlChar *)"width");
		snprintf(want, sizeof(want), "%gmm", es_picture_width_mm(p));
		assert_string_equal((const char *)v, want);
		xmlFree(v);
		v = xmlGetProp(root, (const xmlChar *)"height");
		snprintf(want, sizeof(want), "%gmm", es_picture_height_mm(p));
		assert_string_equal((const char *)v, want);
		xmlFree(v);
		v = xmlGetProp(root, (const xmlChar *)"viewBox");
		snprintf(want, sizeof(want), "0 0 %g %g", es_picture_width_mm(p), es_picture_height_mm(p));
		assert_string_equal((const char *)v, want);
		xmlFree(v);
		for (n = root->children; n != NULL; n = n->next) {
			if (n->type != XML_ELEMENT_NODE)
				continue;
			assert_true(strcmp((const char *)n->name, "text") != 0);
			if (strcmp((const char *)n->name, "path") == 0) {
				xmlChar *d = xmlGetProp(n, (const xmlChar *)"d");

				assert_non_null(d);
				assert_memory_equal(d, "M ", 2); /* SVG: command letter first */
				xmlFree(d);
				paths++;
			}
		}
		assert_true(paths >= 5);
		xmlFreeDoc(doc);
		free(svg);
		es_picture_free(p);
	}
}

/* An SVG renderer we did not write (mutool's SVG parser) draws our SVG at
 * real size with the border where it belongs. */
static void svg_renders_with_mutool(void **state)
{
	static const es_seal_kind kinds[] = {ES_KIND_COMPANY, ES_KIND_INVOICE, ES_KIND_PERSONAL};

	(void)state;
	for (size_t k = 0; k < ES_ARRAY_LEN(kinds); k++) {
		es_picture_spec s = org_spec(kinds[k]);
		es_picture *p = draw_ok(&s);
		double w = es_picture_width_mm(p), h = es_picture_height_mm(p);
		char dir[] = "/tmp/es-svg-XXXXXX", svgp[64], pngp[64], cmd[256], *svg = NULL;
		image img = {0};

		assert_non_null(mkdtemp(dir));
		snprintf(svgp, sizeof(svgp), "%s/seal.svg", dir);
		snprintf(pngp, sizeof(pngp), "%s/seal.png", dir);
		assert_int_equal(es_picture_svg(&svg, p, NULL), 0);
		assert_int_equal(es_file_write_atomic(svgp, svg, strlen(svg), 0600, NULL), 0);
		snprintf(cmd, sizeof(cmd), "mutool draw -q -r %d -o '%s' '%s' 2>/dev/null", POPPLER_DPI, pngp, svgp);
		assert_int_equal(run(cmd), 0);
		decode_png_file(&img, pngp);
		assert_in_range(img.w, (int)floor(w * POPPLER_DPI / 25.4), (int)ceil(w * POPPLER_DPI / 25.4));
		assert_true(is_red(pixel_mm(&img, 0.5, h / 2.0, POPPLER_DPI)));
		assert_true(is_red(pixel_mm(&img, w - 0.5, h / 2.0, POPPLER_DPI)));
		assert_true(is_red(pixel_mm(&img, w / 2.0, h - 0.5, POPPLER_DPI)));
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(run(cmd), 0);
		free(img.px);
		free(svg);
		es_picture_free(p);
	}
}

/* No two glyphs touch, every glyph stays inside the border. */
static void assert_glyphs_apart_and_inside(const es_picture *p, double border_mm)
{
	size_t n;
	const es_pic_glyph *g = es_picture_glyphs(p, &n);
	double cx = es_picture_width_mm(p) / 2.0, cy = es_picture_height_mm(p) / 2.0;

	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++)
			if (es_quad_separation(g[i].quad, g[j].quad) <= 0.0)
				fail_msg("glyphs %zu (U+%04X) and %zu (U+%04X) overlap", i, g[i].cp, j, g[j].cp);
		for (int c = 0; c < 4; c++) {
			double dx = (g[i].quad[c][0] - cx) / (cx - border_mm);
			double dy = (g[i].quad[c][1] - cy) / (cy - border_mm);

			if (p->kind == ES_KIND_PERSONAL || p->kind == ES_KIND_LEGAL_REP)
				assert_true(fabs(dx) < 1.0 && fabs(dy) < 1.0);
			else
				assert_true(dx * dx + dy * dy < 1.0);
		}
	}
}

static void glyphs_never_overlap_in_any_kind(void **state)
{
	(void)state;
	for (int k = 0; k < 6; k++) {
		es_picture_spec s = org_spec(ES_KIND_COMPANY + k);
		es_picture *p = draw_ok(&s);

		assert_glyphs_apart_and_inside(p, k == 0 ? 1.2 : 1.0);
		es_picture_free(p);
	}
}

/* A 30-character name shrinks to fit: 30 glyphs, apart, within 240°. */
static void long_name_fits_the_arc_without_overlap(void **state)
{
	static const es_seal_kind kinds[] = {ES_KIND_COMPANY, ES_KIND_CONTRACT, ES_KIND_INVOICE};

	(void)state;
	for (size_t k = 0; k < ES_ARRAY_LEN(kinds); k++) {
		es_picture_spec s = org_spec(kinds[k]);
		es_picture *p;
		const es_pic_glyph *g;
		size_t n, names = 0;
		double cx, cy, prev = -1000.0;

		s.org_name = "浙江省杭州市西湖区示例数字科技研究与发展服务有限责任公司总部";
		p = draw_ok(&s);
		cx = es_picture_width_mm(p) / 2.0;
		cy = es_picture_height_mm(p) / 2.0;
		g = es_picture_glyphs(p, &n);
		for (size_t i = 0; i < n; i++) {
			double a;

			if (g[i].run != ES_RUN_NAME)
				continue;
			names++;
			/* clockwise from 12 o'clock, left to right, within ±120° */
			a = atan2(g[i].cx - cx, cy - g[i].cy) * 180.0 / M_PI;
			if (!(a > prev) || fabs(a) > 120.0)
				fail_msg("%s: glyph %zu at %.1f° after %.1f°", es_seal_kind_name(kinds[k]), names, a, prev);
			prev = a;
		}
		assert_int_equal(names, 30);
		assert_glyphs_apart_and_inside(p, 1.2);
		es_picture_free(p);
	}
}

/* Name on the upper arc with feet to the centre; code on the lower arc
 * read left to right, tops to the centre. */
static void arc_text_is_upright_and_left_to_right(void **state)
{
	es_picture_spec s = org_spec(ES_KIND_COMPANY);
	es_picture *p = draw_ok(&s);
	const es_pic_glyph *g;
	size_t n, codes = 0;
	double c = 21.0, last_name_a = -1000.0, last_code_x = -1;

	(void)state;
	g = es_picture_glyphs(p, &n);
	for (size_t i = 0; i < n; i++) {
		double radial = atan2(g[i].cx - c, c - g[i].cy);

		if (g[i].run == ES_RUN_NAME) {
			assert_float_equal(g[i].angle, radial, 1e-6);
			assert_true(radial > last_name_a); /* clockwise = left to right */
			last_name_a = radial;
		} else if (g[i].run == ES_RUN_CODE) {
			assert_true(g[i].cy > c + 15.0);
			assert_true(g[i].cx > last_code_x);
			last_code_x = g[i].cx;
			assert_float_equal(g[i].angle, atan2(g[i].cx - c, g[i].cy - c) * -1.0, 1e-6);
			codes++;
		}
	}
	assert_int_equal(codes, 13);
	es_picture_free(p);
}

static void purpose_text_sits_below_the_star(void **state)
{
	es_picture_spec s = org_spec(ES_KIND_FINANCE);
	es_picture *p = draw_ok(&s);
	const es_pic_glyph *g;
	size_t n, seen = 0;
	static const uint32_t want[] = {0x8D22, 0x52A1, 0x4E13, 0x7528, 0x7AE0}; /* 财务专用章 */

	(void)state;
	g = es_picture_glyphs(p, &n);
	for (size_t i = 0; i < n; i++) {
		if (g[i].run != ES_RUN_PURPOSE)
			continue;
		assert_int_equal(g[i].cp, want[seen]);
		assert_true(g[i].cy > 20.0 + 6.5); /* below the star's lower points */
		assert_float_equal(g[i].angle, 0.0, 1e-12);
		seen++;
	}
	assert_int_equal(seen, 5);
	es_picture_free(p);
}

/* 2×2 grid read top to bottom, right column first. */
static void name_seal_fills_grid_right_column_first(void **state)
{
	static const struct {
		const char *name;
		uint32_t want[4];
	} cases[] = {
		{"张三", {0x5F20, 0x4E09, 0x4E4B, 0x5370}},     /* 张三之印 */
		{"李四海", {0x674E, 0x56DB, 0x6D77, 0x5370}},   /* 李四海印 */
		{"欧阳明月", {0x6B27, 0x9633, 0x660E, 0x6708}}, /* as is */
	};

	(void)state;
	for (size_t k = 0; k < ES_ARRAY_LEN(cases); k++) {
		es_picture_spec s = org_spec(ES_KIND_PERSONAL);
		es_picture *p;
		const es_pic_glyph *g;
		size_t n;

		s.person_name = cases[k].name;
		p = draw_ok(&s);
		g = es_picture_glyphs(p, &n);
		assert_int_equal(n, 4);
		for (int i = 0; i < 4; i++)
			assert_int_equal(g[i].cp, cases[k].want[i]);
		assert_true(g[0].cx > 10.0 && g[0].cy < 10.0); /* top right */
		assert_true(g[1].cx > 10.0 && g[1].cy > 10.0); /* bottom right */
		assert_true(g[2].cx < 10.0 && g[2].cy < 10.0); /* top left */
		assert_true(g[3].cx < 10.0 && g[3].cy > 10.0); /* bottom left */
		/* the ink fills most of its 8 mm cell */
		assert_true(fabs(g[0].quad[2][1] - g[0].quad[0][1]) > 6.5);
		es_picture_free(p);
	}
}

static void missing_font_is_reported(void **state)
{
	es_picture_spec s = org_spec(ES_KIND_COMPANY);
	es_picture *p = NULL;
	es_err err = ES_ERR_INIT;
	char junk[] = "/tmp/es-font-XXXXXX";
	int fd;

	(void)state;
	s.font_path = "/nonexistent/fonts/seal.ttc";
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_ENOTFOUND);
	assert_null(p);
	assert_true(strstr(err.msg, "/nonexistent/fonts/seal.ttc") != NULL);

	fd = mkstemp(junk);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a font at all", 17), 17);
	close(fd);
	s.font_path = junk;
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_EIO);
	assert_null(p);
	unlink(junk);

	s.font_path = NULL;
	assert_int_equal(setenv("ESEAL_FONT", "/nonexistent/env.ttf", 1), 0);
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_ENOTFOUND);
	assert_true(strstr(err.msg, "ESEAL_FONT") != NULL);
	assert_int_equal(unsetenv("ESEAL_FONT"), 0);
}

static void other_cjk_font_can_be_chosen(void **state)
{
	es_picture_spec s = org_spec(ES_KIND_CONTRACT);
	es_picture *p;

	(void)state;
	if (access(WQY_FONT, R_OK) != 0)
		skip();
	s.font_path = WQY_FONT;
	p = draw_ok(&s);
	assert_glyphs_apart_and_inside(p, 1.0);
	es_picture_free(p);
}

static void character_missing_from_font_is_reported(void **state)
{
	es_picture_spec s = org_spec(ES_KIND_COMPANY);
	es_picture *p = NULL;
	es_err err = ES_ERR_INIT;

	(void)state;
	s.org_name = "示例\xF0\x9F\x98\x80公司"; /* an emoji */
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_EINVAL);
	assert_true(strstr(err.msg, "U+1F600") != NULL);
	assert_null(p);
}

/* 40 characters is the longest name accepted; it still fits. */
static void longest_name_fits_and_longer_is_rejected(void **state)
{
	es_picture_spec s = org_spec(ES_KIND_COMPANY);
	es_picture *p = NULL;
	es_err err = ES_ERR_INIT;
	const char *forty = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十";
	char longer[256];

	(void)state;
	s.org_name = forty;
	p = draw_ok(&s);
	assert_glyphs_apart_and_inside(p, 1.2);
	es_picture_free(p);
	p = NULL;
	snprintf(longer, sizeof(longer), "%s一", forty);
	s.org_name = longer;
	assert_int_equal(es_picture_draw(&p, &s, &err), ES_ERANGE);
	assert_null(p);
}

static void *draw_in_thread(void *arg)
{
	es_seal_kind kind = *(const es_seal_kind *)arg;
	es_picture_spec s = org_spec(kind);
	es_picture *p = NULL;
	unsigned char *png = NULL;
	size_t len = 0;
	intptr_t ok;

	ok = es_picture_draw(&p, &s, NULL) == 0 && es_picture_png(&png, &len, p, 72, NULL) == 0;
	free(png);
	es_picture_free(p);
	return (void *)ok;
}

/* The server draws from several threads at once. */
static void pictures_draw_concurrently(void **state)
{
	static const es_seal_kind kinds[] = {ES_KIND_COMPANY, ES_KIND_INVOICE, ES_KIND_PERSONAL,
					      ES_KIND_CONTRACT};
	pthread_t th[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, draw_in_thread, (void *)&kinds[i]), 0);
	for (int i = 0; i < 4; i++) {
		void *ok = NULL;

		assert_int_equal(pthread_join(th[i], &ok), 0);
		assert_true(ok != NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kind_names_round_trip),
		cmocka_unit_test(every_kind_draws_at_template_size),
		cmocka_unit_test(size_mm_scales_within_the_rules),
		cmocka_unit_test(template_names_choose_the_size),
		cmocka_unit_test(out_of_rule_sizes_are_rejected),
		cmocka_unit_test(bad_inputs_are_rejected),
		cmocka_unit_test(png_has_transparent_corners_and_red_border),
		cmocka_unit_test(rgba_hook_matches_png),
		cmocka_unit_test(dpi_out_of_range_is_rejected),
		cmocka_unit_test(pdf_renders_with_poppler),
		cmocka_unit_test(pdf_passes_qpdf_check),
		cmocka_unit_test(pdf_stream_has_paths_only),
		cmocka_unit_test(svg_is_well_formed_with_mm_size),
		cmocka_unit_test(svg_renders_with_mutool),
		cmocka_unit_test(glyphs_never_overlap_in_any_kind),
		cmocka_unit_test(long_name_fits_the_arc_without_overlap),
		cmocka_unit_test(arc_text_is_upright_and_left_to_right),
		cmocka_unit_test(purpose_text_sits_below_the_star),
		cmocka_unit_test(name_seal_fills_grid_right_column_first),
		cmocka_unit_test(missing_font_is_reported),
		cmocka_unit_test(other_cjk_font_can_be_chosen),
		cmocka_unit_test(character_missing_from_font_is_reported),
		cmocka_unit_test(longest_name_fits_and_longer_is_rejected),
		cmocka_unit_test(pictures_draw_concurrently),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
