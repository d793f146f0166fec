/* Hostile packages: zip-slip names, duplicates, zip bombs, XXE and entity
 * bombs.  All must end in an error or TOTAL_FAILED, never a crash or a file
 * written outside the output.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <zip.h>
#include <zlib.h>
#include "ofd_test.h"

static char dir[64];

static const char OFD_XML[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\">"
			      "<ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>";

typedef struct ent {
	const char *name;
	const char *data;
} ent;

static void le16(FILE *f, unsigned v) { fputc((int)(v & 0xff), f); fputc((int)((v >> 8) & 0xff), f); }
static void le32(FILE *f, unsigned long v) { le16(f, (unsigned)(v & 0xffff)); le16(f, (unsigned)(v >> 16)); }

/* A stored zip written by hand, so names and duplicates are exactly as given. */
static void raw_zip(const char *path, const ent *e, size_t n)
{
	FILE *f = fopen(path, "wb");
	unsigned long off[16], cd, crc[16];
	size_t i;

	assert_non_null(f);
	for (i = 0; i < n; i++) {
		size_t nl = strlen(e[i].name), dl = strlen(e[i].data);

		off[i] = (unsigned long)ftell(f);
		crc[i] = crc32(0, (const Bytef *)e[i].data, (uInt)dl);
		le32(f, 0x04034b50); le16(f, 20); le16(f, 0x800); le16(f, 0); le16(f, 0); le16(f, 0x21);
		le32(f, crc[i]); le32(f, dl); le32(f, dl); le16(f, (unsigned)nl); le16(f, 0);
		fwrite(e[i].name, 1, nl, f);
		fwrite(e[i].data, 1, dl, f);
	}
	cd = (unsigned long)ftell(f);
	for (i = 0; i < n; i++) {
		size_t nl = strlen(e[i].name), dl = strlen(e[i].data);

		le32(f, 0x02014b50); le16(f, 20); le16(f, 20); le16(f, 0x800); le16(f, 0); le16(f, 0); le16(f, 0x21);
		le32(f, crc[i]); le32(f, dl); le32(f, dl); le16(f, (unsigned)nl); le16(f, 0); le16(f, 0);
		le16(f, 0); le16(f, 0); le32(f, 0); le32(f, off[i]);
		fwrite(e[i].name, 1, nl, f);
	}
	{
		unsigned long end = (unsigned long)ftell(f);

		le32(f, 0x06054b50); le16(f, 0); le16(f, 0); le16(f, (unsigned)n); le16(f, (unsigned)n);
		le32(f, end - cd); le32(f, cd); le16(f, 0);
	}
	fclose(f);
}

static int verify_rc(const char *path, es_report *r)
{
	es_verify_opts o = ES_VERIFY_OPTS_INIT;

	memset(r, 0, sizeof(*r));
	return es_ofd_verify(r, path, &o, NULL);
}

static void unsafe_names_are_refused(void **state)
{
	static const char *bad[] = {"../evil.xml", "/abs.xml", "Doc_0\\x.xml", "C:/x.xml", "a/../../b.xml", "a//b.xml"};
	char path[128], out[128], outside[128];
	es_report r;
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/sub/slip.ofd", dir);
	snprintf(out, sizeof(out), "%s/sub/out.ofd", dir);
	snprintf(outside, sizeof(outside), "%s/evil.xml", dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ent e[2] = {{"OFD.xml", OFD_XML}, {bad[i], "<x/>"}};
		es_ofd_sign_opts o = ES_OFD_SIGN_OPTS_INIT;
		EVP_PKEY *k = t_key();
		X509 *c = t_cert();

		raw_zip(path, e, 2);
		assert_int_equal(verify_rc(path, &r), ES_EFORMAT);
		es_report_clear(&r);
		assert_int_equal(es_ofd_is_ofd(path), 0);
		o.seal = (const unsigned char *)"0";
		o.seal_len = 1;
		o.key = k;
		o.cert = c;
		assert_true(es_ofd_sign(path, out, &o, NULL, NULL) < 0);
		assert_int_equal(access(outside, F_OK), -1);
		assert_int_equal(access(out, F_OK), -1);
		EVP_PKEY_free(k);
		X509_free(c);
	}
}

static void duplicate_names_are_refused(void **state)
{
	char path[128];
	ent e[3] = {{"OFD.xml", OFD_XML}, {"Doc_0/Document.xml", "<a/>"}, {"Doc_0/Document.xml", "<b/>"}};
	es_report r;

	(void)state;
	snprintf(path, sizeof(path), "%s/dup.ofd", dir);
	raw_zip(path, e, 3);
	assert_int_equal(verify_rc(path, &r), ES_EFORMAT);
	es_report_clear(&r);
}

static void zip_with_big_entry(const char *path, size_t big)
{
	int zerr = 0;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	char *zeros = calloc(1, big);
	zip_source_t *s;

	assert_non_null(z);
	assert_non_null(zeros);
	s = zip_source_buffer(z, OFD_XML, strlen(OFD_XML), 0);
	assert_true(zip_file_add(z, "OFD.xml", s, 0) >= 0);
	s = zip_source_buffer(z, zeros, big, 0);
	assert_true(zip_file_add(z, "Doc_0/Res/bomb.bin", s, 0) >= 0);
	assert_int_equal(zip_close(z), 0);
	free(zeros);
}

static void zip_bombs_are_refused(void **state)
{
	char path[128];
	es_report r;

	(void)state;
	snprintf(path, sizeof(path), "%s/ratio.ofd", dir);
	zip_with_big_entry(path, 4u << 20); /* 4 MB of zeros: ~1000:1 */
	assert_int_equal(verify_rc(path, &r), ES_EFORMAT);
	es_report_clear(&r);
	snprintf(path, sizeof(path), "%s/big.ofd", dir);
	zip_with_big_entry(path, 70u << 20); /* over the 64 MB entry cap */
	assert_int_equal(verify_rc(path, &r), ES_EFORMAT);
	es_report_clear(&r);
}

static void doctype_in_ofd_xml_is_refused(void **state)
{
	char path[128];
	ent xxe[1] = {{"OFD.xml", "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
				   "<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\">&e;</ofd:OFD>"}};
	es_report r;

	(void)state;
	snprintf(path, sizeof(path), "%s/xxe.ofd", dir);
	raw_zip(path, xxe, 1);
	assert_int_equal(verify_rc(path, &r), ES_EFORMAT);
	es_report_clear(&r);
}

static void entity_bomb_in_signature_xml_fails(void **state)
{
	char in[128], out[128];
	size_t len = 0;
	EVP_PKEY *k = t_key();
	X509 *c = t_cert();
	unsigned char *seal = t_make_seal(&len, c, k);
	es_ofd_sign_opts o = ES_OFD_SIGN_OPTS_INIT;
	es_report r;
	int zerr = 0;
	zip_t *z;
	zip_source_t *s;
	static const char laughs[] =
		"<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>"
		"<ofd:Signature xmlns:ofd=\"http://www.ofdspec.org/2016\">&d;&d;&d;&d;</ofd:Signature>";

	(void)state;
	assert_non_null(seal);
	snprintf(in, sizeof(in), "%s/lp.ofd", dir);
	snprintf(out, sizeof(out), "%s/ls.ofd", dir);
	assert_int_equal(es_ofd_make_sample(in, 1, NULL, NULL), 0);
	o.seal = seal;
	o.seal_len = len;
	o.key = k;
	o.cert = c;
	assert_int_equal(es_ofd_sign(in, out, &o, NULL, NULL), 0);
	z = zip_open(out, 0, &zerr);
	assert_non_null(z);
	s = zip_source_buffer(z, laughs, strlen(laughs), 0);
	assert_true(zip_file_add(z, "Doc_0/Signs/Sign_0/Signature.xml", s, ZIP_FL_OVERWRITE) >= 0);
	assert_int_equal(zip_close(z), 0);
	assert_int_equal(verify_rc(out, &r), 0);
	assert_int_equal(r.verdict, ES_TOTAL_FAILED);
	assert_true(t_has_code(&r, 0, "SIGNATURE_XML_MALFORMED"));
	es_report_clear(&r);
	free(seal);
	EVP_PKEY_free(k);
	X509_free(c);
}

static void garbage_and_truncated_files_are_unreadable(void **state)
{
	char path[128];
	size_t len = 0;
	unsigned char *d = t_read(VEC "v4signed.ofd", &len);
	es_report r;

	(void)state;
	assert_non_null(d);
	snprintf(path, sizeof(path), "%s/trunc.ofd", dir);
	assert_int_equal(t_write(path, d, len / 2), 0);
	assert_int_equal(verify_rc(path, &r), ES_EFORMAT);
	es_report_clear(&r);
	assert_int_equal(t_write(path, "PK\003\004garbage", 11), 0);
	assert_int_equal(verify_rc(path, &r), ES_EFORMAT);
	es_report_clear(&r);
	free(d);
}

static int setup(void **state)
{
	char sub[96];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/es-ofd-hostile-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	return mkdir(sub, 0700);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unsafe_names_are_refused),
		cmocka_unit_test(duplicate_names_are_refused),
		cmocka_unit_test(zip_bombs_are_refused),
		cmocka_unit_test(doctype_in_ofd_xml_is_refused),
		cmocka_unit_test(entity_bomb_in_signature_xml_fails),
		cmocka_unit_test(garbage_and_truncated_files_are_unreadable),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
