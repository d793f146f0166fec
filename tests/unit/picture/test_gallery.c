/* Draws the sample seals shown in docs/templates.md.  Writes PNG files to
 * $ESEAL_SEALS_OUT (e.g. docs/seals) or to the build directory.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eseal/picture.h"
#include "util/util.h"

#define GALLERY_DPI 300
#define PNG_SIGNATURE_LEN 8

static const struct {
	const char *file;
	es_picture_spec spec;
} samples[] = {
	{"company.png", {ES_KIND_COMPANY, NULL, "杭州示例科技有限公司", NULL, "3301060000001", NULL, NULL, 42.0, NULL}},
	{"contract.png", {ES_KIND_CONTRACT, NULL, "杭州示例科技有限公司", NULL, "3301060000002", NULL, NULL, 0, NULL}},
	{"finance.png", {ES_KIND_FINANCE, NULL, "杭州示例科技有限公司", NULL, "3301060000003", NULL, NULL, 0, NULL}},
	{"invoice.png", {ES_KIND_INVOICE, NULL, "杭州示例科技有限公司", NULL, NULL, "91330106MA2XXXXX0T", NULL, 0, NULL}},
	{"legal-rep.png", {ES_KIND_LEGAL_REP, NULL, NULL, NULL, NULL, NULL, "张三", 0, NULL}},
	{"personal.png", {ES_KIND_PERSONAL, NULL, NULL, NULL, NULL, NULL, "李四海", 0, NULL}},
	{"company-short-name.png", {ES_KIND_COMPANY, NULL, "示例商行", NULL, "3301060000005", NULL, NULL, 40.0, NULL}},
	{"company-long-name.png", {ES_KIND_COMPANY, NULL, "浙江省杭州市西湖区示例数字科技研究与发展服务有限责任公司", NULL, "3301060000004", NULL, NULL, 0, NULL}},
	{"invoice-long-name.png", {ES_KIND_INVOICE, NULL, "浙江省杭州市西湖区示例数字科技研究与发展服务有限责任公司", NULL, NULL, "330106123456789", NULL, 0, NULL}},
	{"personal-four.png", {ES_KIND_PERSONAL, NULL, NULL, NULL, NULL, NULL, "欧阳明月", 25.0, NULL}},
};

/* SVG and PDF twins go to the build directory only (for eyeballing). */
static void write_vectors(const es_picture *p, const char *png_name)
{
	char path[1024], *svg = NULL;
	unsigned char *pdf = NULL;
	size_t len = 0, base = strlen(png_name) - strlen(".png");

	assert_int_equal(es_picture_svg(&svg, p, NULL), 0);
	snprintf(path, sizeof(path), "%s/%.*s.svg", ESEAL_BINARY_DIR, (int)base, png_name);
	assert_int_equal(es_file_write_atomic(path, svg, strlen(svg), 0644, NULL), 0);
	assert_int_equal(es_picture_pdf(&pdf, &len, p, NULL), 0);
	snprintf(path, sizeof(path), "%s/%.*s.pdf", ESEAL_BINARY_DIR, (int)base, png_name);
	assert_int_equal(es_file_write_atomic(path, pdf, len, 0644, NULL), 0);
	free(svg);
	free(pdf);
}

static void gallery_draws_every_sample(void **state)
{
	const char *dir = getenv("ESEAL_SEALS_OUT");
	char path[1024];

	(void)state;
	if (dir == NULL || dir[0] == '\0')
		dir = ESEAL_BINARY_DIR;
	for (size_t i = 0; i < ES_ARRAY_LEN(samples); i++) {
		es_picture *p = NULL;
		unsigned char *png = NULL;
		size_t len = 0;
		es_err err = ES_ERR_INIT;
		int rc = es_picture_draw(&p, &samples[i].spec, &err);

		if (rc != 0)
			fail_msg("%s: %s", samples[i].file, err.msg);
		assert_int_equal(es_picture_png(&png, &len, p, GALLERY_DPI, &err), 0);
		assert_true(len > PNG_SIGNATURE_LEN);
		assert_memory_equal(png, "\x89PNG\r\n\x1a\n", PNG_SIGNATURE_LEN);
		snprintf(path, sizeof(path), "%s/%s", dir, samples[i].file);
		assert_int_equal(es_file_write_atomic(path, png, len, 0644, &err), 0);
		free(png);
		write_vectors(p, samples[i].file);
		es_picture_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gallery_draws_every_sample),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
