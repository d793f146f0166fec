/* Test generator: a small, valid, unsigned OFD with Chinese text.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>
#include "eseal/ofd.h"
#include "ofd_int.h"

#define SAMPLE_MAX_PAGES 500
#define BODY_SIZE_MM 4.0
#define TITLE_SIZE_MM 7.0

typedef struct part {
	char name[64];
	es_buf data;
} part;

static int put_text(es_buf *b, int *id, double x, double y, double size, const char *text,
		    size_t nchars, es_err *err)
{
	size_t i;
	int rc;

	rc = es_buf_printf(b, err,
			   "<ofd:TextObject ID=\"%d\" Boundary=\"%.2f %.2f %.2f %.2f\" Font=\"2\" Size=\"%.2f\">"
			   "<ofd:FillColor Value=\"0 0 0\"/><ofd:TextCode X=\"0\" Y=\"%.2f\" DeltaX=\"",
			   (*id)++, x, y, size * (double)nchars + 1, size * 1.4, size, size);
	for (i = 1; rc == 0 && i < nchars; i++)
		rc = es_buf_printf(b, err, "%s%.2f", i > 1 ? " " : "", size);
	if (rc == 0)
		rc = es_buf_printf(b, err, "\">%s</ofd:TextCode></ofd:TextObject>", text);
	return rc;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int page_content(es_buf *b, int page, int npages, const char *keyword, es_err *err)
{
	static const char *lines[] = {"甲方与乙方经友好协商，就电子印章服务达成如下协议。",
				      "一、本文件用于测试版式文档的电子签章与验证。",
				      "二、签章后任何修改都将导致验证失败。"};
	char title[128];
	int id = 10, rc;
	size_t i;

	snprintf(title, sizeof(title), "电子印章测试文档 第%d页", page + 1);
	if ((rc = es_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Page xmlns:ofd=\"" OFD_NS
			      "\"><ofd:Content><ofd:Layer ID=\"3\">", err)) < 0 ||
	    (rc = put_text(b, &id, 25, 20, TITLE_SIZE_MM, title, utf8_chars(title), err)) < 0)
		return rc;
	for (i = 0; i < ES_ARRAY_LEN(lines); i++)
		if ((rc = put_text(b, &id, 25, 45 + 10 * (double)i, BODY_SIZE_MM, lines[i], utf8_chars(lines[i]), err)) < 0)
			return rc;
	/* a frame, to have vector paths too */
	if ((rc = es_buf_printf(b, err,
				"<ofd:PathObject ID=\"%d\" Boundary=\"20 15 170 267\" LineWidth=\"0.5\">"
				"<ofd:StrokeColor Value=\"0 0 128\"/><ofd:AbbreviatedData>M 0 0 L 170 0 L 170 267 L 0 267 C"
				"</ofd:AbbreviatedData></ofd:PathObject>", id++)) < 0)
		return rc;
	if (keyword && page == npages - 1 &&
	    (rc = put_text(b, &id, ES_OFD_SAMPLE_KW_X_MM, ES_OFD_SAMPLE_KW_Y_MM, ES_OFD_SAMPLE_KW_SIZE_MM, keyword,
			   utf8_chars(keyword), err)) < 0)
		return rc;
	return es_buf_puts(b, "</ofd:Layer></ofd:Content></ofd:Page>", err);
}

static int document_xml(es_buf *b, int npages, es_err *err)
{
	int i, rc;

	rc = es_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Document xmlns:ofd=\"" OFD_NS
			 "\"><ofd:CommonData><ofd:MaxUnitID>1000</ofd:MaxUnitID><ofd:PageArea>"
			 "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
			 "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>", err);
	for (i = 0; rc == 0 && i < npages; i++)
		rc = es_buf_printf(b, err, "<ofd:Page ID=\"%d\" BaseLoc=\"Pages/Page_%d/Content.xml\"/>", 100 + i, i);
	return rc ? rc : es_buf_puts(b, "</ofd:Pages></ofd:Document>", err);
}

static int zip_parts(unsigned char **out, size_t *len, part *parts, size_t n, es_err *err)
{
	zip_error_t ze;
	zip_source_t *dst, *src;
	zip_t *z;
	zip_stat_t st;
	size_t i;

	*out = NULL;
	zip_error_init(&ze);
	dst = zip_source_buffer_create(NULL, 0, 0, &ze);
	zip_source_keep(dst);
	z = dst ? zip_open_from_source(dst, ZIP_TRUNCATE, &ze) : NULL;
	zip_error_fini(&ze);
	if (z == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		src = zip_source_buffer(z, parts[i].data.data, parts[i].data.len, 0);
		if (src == NULL || zip_file_add(z, parts[i].name, src, ZIP_FL_ENC_UTF_8) < 0) {
			zip_source_free(src);
			zip_discard(z);
			goto fail;
		}
	}
	if (zip_close(z) < 0) {
		zip_discard(z);
		goto fail;
	}
	zip_stat_init(&st);
	if (zip_source_open(dst) < 0)
		goto fail;
	if (zip_source_stat(dst, &st) == 0 && (*out = malloc(st.size ? st.size : 1)) != NULL &&
	    zip_source_read(dst, *out, st.size) == (zip_int64_t)st.size)
		*len = st.size;
	zip_source_close(dst);
	zip_source_free(dst);
	return *out ? 0 : es_err_set(err, ES_EIO, "cannot build the sample package");
fail:
	zip_source_free(dst);
	return es_err_set(err, ES_EIO, "cannot build the sample package");
}

int es_ofd_make_sample(const char *out_path, int npages, const char *keyword, es_err *err)
{
	part *parts;
	size_t n = 0, i, len = 0;
	unsigned char *zipped = NULL;
	int rc = 0, pg;

	if (npages < 1 || npages > SAMPLE_MAX_PAGES)
		return es_err_set(err, ES_EINVAL, "sample pages must be 1..%d", SAMPLE_MAX_PAGES);
	if ((parts = calloc((size_t)npages + 3, sizeof(*parts))) == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	snprintf(parts[n].name, sizeof(parts[0].name), "OFD.xml");
	rc = es_buf_puts(&parts[n++].data,
			 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:OFD xmlns:ofd=\"" OFD_NS
			 "\" Version=\"1.0\" DocType=\"OFD\"><ofd:DocBody><ofd:DocInfo><ofd:DocID>eseal-sample</ofd:DocID>"
			 "<ofd:Creator>eseal</ofd:Creator></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
			 "</ofd:DocBody></ofd:OFD>", err);
	snprintf(parts[n].name, sizeof(parts[0].name), "Doc_0/Document.xml");
	if (rc == 0)
		rc = document_xml(&parts[n++].data, npages, err);
	snprintf(parts[n].name, sizeof(parts[0].name), "Doc_0/PublicRes.xml");
	if (rc == 0)
		rc = es_buf_puts(&parts[n++].data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Res xmlns:ofd=\"" OFD_NS
				 "\" BaseLoc=\"Res\"><ofd:Fonts><ofd:Font ID=\"2\" FontName=\"宋体\" FamilyName=\"宋体\"/>"
				 "</ofd:Fonts></ofd:Res>", err);
	for (pg = 0; rc == 0 && pg < npages; pg++) {
		snprintf(parts[n].name, sizeof(parts[0].name), "Doc_0/Pages/Page_%d/Content.xml", pg);
		rc = page_content(&parts[n++].data, pg, npages, keyword, err);
	}
	if (rc == 0 && (rc = zip_parts(&zipped, &len, parts, n, err)) == 0)
		rc = es_file_write_atomic(out_path, zipped, len, 0644, err);
	free(zipped);
	for (i = 0; i < n; i++)
		es_buf_free(&parts[i].data, 0);
	free(parts);
	return rc;
}
