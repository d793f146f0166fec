/* libFuzzer target: the whole OFD verifier from memory — zip reader, XML,
 * SES_Signature / SignedData DER, seal checks (STYLE.md rule 12).
 * Inputs that start with "PK" go through es_ofd_verify_mem().  Mutated zips
 * rarely get past the CRC check, so two more shapes reach the inner code:
 * "Z" + parts separated by "\n--\n" is zipped (OFD.xml, Document.xml,
 * Signatures.xml, Signature.xml, SignedValue.dat, page) and verified; any
 * other input feeds the DER, XML and path parsers directly.
 * Build and run by hand: docs/ofd.md "Fuzzing"; seeds: shared/vectors/ofd.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "eseal/report.h"
#include "eseal/verify.h"
#include <zip.h>
#include "ofd/ofd_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inner_parsers(const uint8_t *data, size_t size)
{
	ofd_ses s;
	xmlDocPtr x = NULL;
	char *txt, out[OFD_MAX_NAME_LEN];

	(void)ofd_ses_parse(&s, data, size);
	ofd_ses_clear(&s); /* also after a failed parse */
	if (ofd_xml_parse(&x, data, size, NULL) == 0)
		xmlFreeDoc(x);
	txt = malloc(size + 1);
	if (txt == NULL)
		return;
	memcpy(txt, data, size);
	txt[size] = 0;
	(void)ofd_path_resolve(out, sizeof(out), "Doc_0/Document.xml", txt);
	(void)ofd_name_ok(txt);
	free(txt);
}

#define SEP "\n--\n"

static const char *part_names[] = {"OFD.xml", "Doc_0/Document.xml", "Doc_0/Signs/Signatures.xml",
				   "Doc_0/Signs/Sign_0/Signature.xml", "Doc_0/Signs/Sign_0/SignedValue.dat",
				   "Doc_0/Pages/Page_0/Content.xml"};

/* Zip the parts (stored) in memory and verify the package. */
static void zipped_parts(const uint8_t *data, size_t size, const es_verify_opts *o)
{
	zip_error_t ze;
	zip_source_t *dst;
	zip_t *z;
	const uint8_t *p = data, *end = data + size;
	size_t i;
	es_buf out = {0};

	zip_error_init(&ze);
	dst = zip_source_buffer_create(NULL, 0, 0, &ze);
	zip_source_keep(dst);
	z = dst ? zip_open_from_source(dst, ZIP_TRUNCATE, &ze) : NULL;
	zip_error_fini(&ze);
	if (z == NULL) {
		zip_source_free(dst);
		return;
	}
	for (i = 0; i < sizeof(part_names) / sizeof(part_names[0]) && p <= end; i++) {
		const uint8_t *q = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
		size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
		zip_source_t *src = zip_source_buffer(z, p, n, 0);
		zip_int64_t idx = src ? zip_file_add(z, part_names[i], src, 0) : -1;

		if (idx < 0)
			zip_source_free(src);
		else
			zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
		p = q ? q + strlen(SEP) : end + 1;
	}
	if (zip_close(z) < 0) {
		zip_discard(z);
	} else if (zip_source_open(dst) == 0) {
		zip_stat_t st;

		zip_stat_init(&st);
		if (zip_source_stat(dst, &st) == 0 && es_buf_reserve(&out, st.size, NULL) == 0 &&
		    zip_source_read(dst, out.data, st.size) == (zip_int64_t)st.size) {
			es_report r;

			memset(&r, 0, sizeof(r));
			(void)es_ofd_verify_mem(&r, out.data, st.size, o, NULL);
			es_report_clear(&r);
		}
		zip_source_close(dst);
	}
	zip_source_free(dst);
	es_buf_free(&out, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	es_verify_opts o = ES_VERIFY_OPTS_INIT;
	es_report r;

	o.now = (time_t)1700000000; /* reproducible runs */
	if (size >= 1 && data[0] == 'Z') {
		zipped_parts(data + 1, size - 1, &o);
		return 0;
	}
	if (size < 2 || data[0] != 'P' || data[1] != 'K') {
		inner_parsers(data, size);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	(void)es_ofd_verify_mem(&r, data, size, &o, NULL);
	es_report_clear(&r);
	return 0;
}
