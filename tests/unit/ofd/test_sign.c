/* OFD sealing: placement, verification, independent check with the openssl
 * and unzip command-line tools, tampering.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <zip.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include "ofd_test.h"

typedef struct fx {
	char dir[64];
	EVP_PKEY *key;
	X509 *cert;
	unsigned char *seal;
	size_t seal_len;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/es-ofd-sign-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->key = t_key();
	f->cert = t_cert();
	f->seal = t_make_seal(&f->seal_len, f->cert, f->key);
	*state = f;
	return f->key && f->cert && f->seal ? 0 : -1;
}

static int teardown(void **state)
{
	fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (getenv("ESEAL_TEST_KEEP") == NULL && system(cmd) != 0)
		return -1;
	EVP_PKEY_free(f->key);
	X509_free(f->cert);
	free(f->seal);
	free(f);
	return 0;
}

static void path_in(const fx *f, char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", f->dir, name);
}

static es_ofd_sign_opts base_opts(const fx *f)
{
	es_ofd_sign_opts o = ES_OFD_SIGN_OPTS_INIT;

	o.seal = f->seal;
	o.seal_len = f->seal_len;
	o.key = f->key;
	o.cert = f->cert;
	return o;
}

static es_verdict verify(es_report *r, const char *path)
{
	es_verify_opts vo = ES_VERIFY_OPTS_INIT;
	es_err err = ES_ERR_INIT;

	memset(r, 0, sizeof(*r));
	assert_int_equal(es_ofd_verify(r, path, &vo, &err), 0);
	t_dump(r);
	return r->verdict;
}

/* intact = every signature integrity_ok and nothing failed */
static void assert_intact(const es_report *r, size_t nsigs)
{
	size_t i;

	assert_int_equal(r->nsigs, nsigs);
	for (i = 0; i < nsigs; i++) {
		assert_int_equal(r->sigs[i].integrity_ok, 1);
		assert_int_not_equal(r->sigs[i].verdict, ES_TOTAL_FAILED);
	}
	assert_int_not_equal(r->verdict, ES_TOTAL_FAILED);
}

static void seal_at_page_xy_verifies(void **state)
{
	fx *f = *state;
	char in[128], out[128];
	es_ofd_sign_opts o = base_opts(f);
	es_ofd_sign_result res;
	es_err err = ES_ERR_INIT;
	es_report r;

	path_in(f, in, sizeof(in), "plain.ofd");
	path_in(f, out, sizeof(out), "sealed.ofd");
	assert_int_equal(es_ofd_make_sample(in, 2, NULL, &err), 0);
	assert_int_equal(es_ofd_is_ofd(in), 1);
	o.page = 2;
	o.x_mm = 100;
	o.y_mm = 150;
	assert_int_equal(es_ofd_sign(in, out, &o, &res, &err), 0);
	assert_string_equal(res.sign_path, "/Doc_0/Signs/Sign_0/Signature.xml");
	assert_int_equal(res.nstamps, 1);
	assert_int_equal(res.stamps[0].page, 2);
	assert_true(fabs(res.stamps[0].x_mm - 80) < 0.01 && fabs(res.stamps[0].y_mm - 130) < 0.01);
	verify(&r, out);
	assert_intact(&r, 1);
	assert_string_equal(r.sigs[0].kind, "ofd-seal");
	assert_string_equal(r.sigs[0].level, "SES-v4");
	assert_int_equal(r.sigs[0].page, 2);
	assert_int_equal(r.sigs[0].covers_whole, 1);
	assert_true(fabs(r.sigs[0].x_mm - 80) < 0.01);
	es_report_clear(&r);
}

static int run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		printf("command failed (%d): %s\n", rc, cmd);
	return rc;
}

/* DER header at p: returns header length and sets *len. */
static size_t der_hdr(const unsigned char *p, size_t *len)
{
	size_t n, i;

	if (p[1] < 0x80) {
		*len = p[1];
		return 2;
	}
	n = p[1] & 0x7f;
	*len = 0;
	for (i = 0; i < n; i++)
		*len = (*len << 8) | p[2 + i];
	return 2 + n;
}

/* Each Reference recomputed with `openssl dgst -sm3`, and the SM2 signature
 * over TBS_Sign checked with `openssl pkeyutl`, on files `unzip` extracted. */
static void sealed_file_checks_with_openssl_cli(void **state)
{
	fx *f = *state;
	char in[128], out[128], x[128], cmd[1024], sv[512];
	es_ofd_sign_opts o = base_opts(f);
	unsigned char *d;
	const unsigned char *p;
	size_t len = 0, hl, tbs_len, l, refs = 0;
	char *xml, *q;
	FILE *pem;

	path_in(f, in, sizeof(in), "plain2.ofd");
	path_in(f, out, sizeof(out), "sealed2.ofd");
	path_in(f, x, sizeof(x), "x");
	assert_int_equal(es_ofd_make_sample(in, 1, NULL, NULL), 0);
	o.x_mm = 60;
	o.y_mm = 60;
	assert_int_equal(es_ofd_sign(in, out, &o, NULL, NULL), 0);
	snprintf(cmd, sizeof(cmd), "unzip -qo %s -d %s", out, x);
	assert_int_equal(run(cmd), 0);
	snprintf(sv, sizeof(sv), "%s/Doc_0/Signs/Sign_0/Signature.xml", x);
	xml = (char *)t_read(sv, &len);
	assert_non_null(xml);
	for (q = strstr(xml, "FileRef=\""); q; q = strstr(q + 1, "FileRef=\"")) {
		char ref[256], val[128];

		assert_int_equal(sscanf(q, "FileRef=\"%255[^\"]\"><ofd:CheckValue>%127[^<]", ref, val), 2);
		snprintf(cmd, sizeof(cmd), "test \"$(openssl dgst -sm3 -binary '%s%s' | base64)\" = '%s'", x, ref, val);
		assert_int_equal(run(cmd), 0);
		refs++;
	}
	assert_int_equal(refs, 5); /* OFD.xml, Document.xml, PublicRes.xml, page, Seal.esl */
	assert_null(strstr(xml, "Signatures.xml\""));
	free(xml);
	/* TBS_Sign and signature cut from SignedValue.dat */
	snprintf(sv, sizeof(sv), "%s/Doc_0/Signs/Sign_0/SignedValue.dat", x);
	d = t_read(sv, &len);
	assert_non_null(d);
	hl = der_hdr(d, &l);
	p = d + hl;
	tbs_len = der_hdr(p, &l) + l;
	snprintf(sv, sizeof(sv), "%s/tbs.der", f->dir);
	assert_int_equal(t_write(sv, p, tbs_len), 0);
	p += tbs_len;
	p += der_hdr(p, &l) + l; /* cert */
	p += der_hdr(p, &l) + l; /* alg */
	hl = der_hdr(p, &l);     /* BIT STRING: skip unused-bits byte */
	snprintf(sv, sizeof(sv), "%s/sig.der", f->dir);
	assert_int_equal(t_write(sv, p + hl + 1, l - 1), 0);
	free(d);
	snprintf(sv, sizeof(sv), "%s/pub.pem", f->dir);
	pem = fopen(sv, "w");
	assert_non_null(pem);
	PEM_write_PUBKEY(pem, X509_get0_pubkey(f->cert));
	fclose(pem);
	snprintf(cmd, sizeof(cmd),
		 "openssl pkeyutl -verify -pubin -inkey %s/pub.pem -in %s/tbs.der -sigfile %s/sig.der -rawin "
		 "-digest sm3 -pkeyopt distid:1234567812345678 >/dev/null",
		 f->dir, f->dir, f->dir);
	assert_int_equal(run(cmd), 0);
	/* dataHash inside TBS_Sign = SM3(Signature.xml) by the openssl CLI */
	snprintf(cmd, sizeof(cmd), "openssl dgst -sm3 -binary %s/Doc_0/Signs/Sign_0/Signature.xml > %s/h.bin", x, f->dir);
	assert_int_equal(run(cmd), 0);
	snprintf(sv, sizeof(sv), "%s/h.bin", f->dir);
	{
		unsigned char *h = t_read(sv, &len), *tbs;
		const unsigned char *t;
		size_t tl;

		assert_int_equal(len, 32);
		snprintf(sv, sizeof(sv), "%s/tbs.der", f->dir);
		tbs = t_read(sv, &tl);
		t = tbs + der_hdr(tbs, &l);
		t += der_hdr(t, &l) + l; /* version */
		t += der_hdr(t, &l) + l; /* seal */
		t += der_hdr(t, &l) + l; /* time */
		assert_int_equal(t[0], 0x03);
		hl = der_hdr(t, &l);
		assert_int_equal(l, 33);
		assert_memory_equal(t + hl + 1, h, 32);
		free(h);
		free(tbs);
	}
}

static void sealing_twice_keeps_both_valid(void **state)
{
	fx *f = *state;
	char in[128], mid[128], out[128];
	es_ofd_sign_opts o = base_opts(f);
	es_ofd_sign_result res;
	es_report r;

	path_in(f, in, sizeof(in), "p3.ofd");
	path_in(f, mid, sizeof(mid), "s3a.ofd");
	path_in(f, out, sizeof(out), "s3b.ofd");
	assert_int_equal(es_ofd_make_sample(in, 1, NULL, NULL), 0);
	o.x_mm = 50;
	o.y_mm = 50;
	assert_int_equal(es_ofd_sign(in, mid, &o, NULL, NULL), 0);
	o.x_mm = 150;
	o.type_sign = 1;
	assert_int_equal(es_ofd_sign(mid, out, &o, &res, NULL), 0);
	assert_string_equal(res.sign_path, "/Doc_0/Signs/Sign_1/Signature.xml");
	verify(&r, out);
	assert_intact(&r, 2);
	assert_string_equal(r.sigs[1].kind, "ofd-sign");
	assert_int_equal(r.sigs[0].covers_whole, 0); /* Sign_1 came later */
	assert_int_equal(r.sigs[1].covers_whole, 1);
	es_report_clear(&r);
}

static int replace_entry(const char *path, const char *name, const char *data)
{
	int zerr = 0;
	zip_t *z = zip_open(path, 0, &zerr);
	zip_source_t *s;

	if (z == NULL)
		return -1;
	s = zip_source_buffer(z, data, strlen(data), 0);
	if (s == NULL || zip_file_add(z, name, s, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8) < 0) {
		zip_source_free(s);
		zip_discard(z);
		return -1;
	}
	return zip_close(z);
}

static void tampered_page_fails(void **state)
{
	fx *f = *state;
	char in[128], out[128];
	es_ofd_sign_opts o = base_opts(f);
	es_report r;

	path_in(f, in, sizeof(in), "p4.ofd");
	path_in(f, out, sizeof(out), "s4.ofd");
	assert_int_equal(es_ofd_make_sample(in, 1, NULL, NULL), 0);
	o.x_mm = 50;
	o.y_mm = 50;
	assert_int_equal(es_ofd_sign(in, out, &o, NULL, NULL), 0);
	assert_int_equal(replace_entry(out, "Doc_0/Pages/Page_0/Content.xml",
				       "<?xml version=\"1.0\"?><ofd:Page xmlns:ofd=\"http://www.ofdspec.org/2016\"/>"),
			 0);
	assert_int_equal(verify(&r, out), ES_TOTAL_FAILED);
	assert_true(t_has_code(&r, 0, "REFERENCE_MISMATCH"));
	assert_true(strstr(r.sigs[0].findings[0].en, "Page_0/Content.xml") != NULL);
	assert_int_equal(r.sigs[0].integrity_ok, 0);
	es_report_clear(&r);
}

static void added_page_resource_fails_attachment_is_info(void **state)
{
	fx *f = *state;
	char in[128], out[128];
	es_ofd_sign_opts o = base_opts(f);
	es_report r;

	path_in(f, in, sizeof(in), "p5.ofd");
	path_in(f, out, sizeof(out), "s5.ofd");
	assert_int_equal(es_ofd_make_sample(in, 1, NULL, NULL), 0);
	o.x_mm = 50;
	o.y_mm = 50;
	assert_int_equal(es_ofd_sign(in, out, &o, NULL, NULL), 0);
	assert_int_equal(replace_entry(out, "Doc_0/Attachs/note.txt", "hello"), 0);
	assert_int_not_equal(verify(&r, out), ES_TOTAL_FAILED);
	assert_true(t_has_code(&r, (size_t)-1, "UNPROTECTED_FILE"));
	es_report_clear(&r);
	assert_int_equal(replace_entry(out, "Doc_0/Res/evil.png", "PNG"), 0);
	assert_int_equal(verify(&r, out), ES_TOTAL_FAILED);
	assert_true(t_has_code(&r, (size_t)-1, "UNPROTECTED_CONTENT"));
	es_report_clear(&r);
}

static void keyword_places_seal_on_text(void **state)
{
	fx *f = *state;
	char in[128], out[128];
	es_ofd_sign_opts o = base_opts(f);
	es_ofd_sign_result res;
	es_err err = ES_ERR_INIT;
	es_report r;
	double cx, cy;

	path_in(f, in, sizeof(in), "p6.ofd");
	path_in(f, out, sizeof(out), "s6.ofd");
	assert_int_equal(es_ofd_make_sample(in, 3, "盖章处", NULL), 0);
	o.keyword = "盖章处";
	assert_int_equal(es_ofd_sign(in, out, &o, &res, &err), 0);
	assert_int_equal(res.nstamps, 1);
	assert_int_equal(res.stamps[0].page, 3);
	cx = res.stamps[0].x_mm + res.stamps[0].w_mm / 2;
	cy = res.stamps[0].y_mm + res.stamps[0].h_mm / 2;
	/* three 6 mm glyphs from x=120, baseline at y=246 */
	assert_true(fabs(cx - (ES_OFD_SAMPLE_KW_X_MM + 9)) < 2);
	assert_true(fabs(cy - (ES_OFD_SAMPLE_KW_Y_MM + 3)) < 3);
	verify(&r, out);
	assert_intact(&r, 1);
	assert_int_equal(r.sigs[0].page, 3);
	es_report_clear(&r);
	o.keyword = "不存在的词";
	assert_int_equal(es_ofd_sign(in, out, &o, &res, &err), ES_ENOTFOUND);
}

static void cross_page_seal_one_stamp_per_page(void **state)
{
	fx *f = *state;
	char in[128], out[128], cmd[512];
	es_ofd_sign_opts o = base_opts(f);
	es_ofd_sign_result res;
	es_report r;
	size_t i;

	path_in(f, in, sizeof(in), "p7.ofd");
	path_in(f, out, sizeof(out), "s7.ofd");
	assert_int_equal(es_ofd_make_sample(in, 4, NULL, NULL), 0);
	o.cross_page = 1;
	o.y_mm = -1;
	assert_int_equal(es_ofd_sign(in, out, &o, &res, NULL), 0);
	assert_int_equal(res.nstamps, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(res.stamps[i].page, (int)i + 1);
		assert_true(fabs(res.stamps[i].x_mm - (210 - 10.0 * (double)(i + 1))) < 0.01);
		assert_true(fabs(res.stamps[i].y_mm - (148.5 - 20)) < 0.01);
	}
	snprintf(cmd, sizeof(cmd), "unzip -p %s Doc_0/Signs/Sign_0/Signature.xml | grep -o 'Clip=\"30.000 0.000 10.000 40.000\"' >/dev/null", out);
	assert_int_equal(run(cmd), 0);
	verify(&r, out);
	assert_intact(&r, 1);
	es_report_clear(&r);
}

static void signer_not_in_seal_is_refused(void **state)
{
	fx *f = *state;
	char in[128], out[128];
	es_ofd_sign_opts o = base_opts(f);
	size_t len = 0;
	unsigned char *v4 = t_read(VEC "ofdrw-UserV4.esl", &len);
	es_err err = ES_ERR_INIT;

	path_in(f, in, sizeof(in), "p8.ofd");
	path_in(f, out, sizeof(out), "s8.ofd");
	assert_int_equal(es_ofd_make_sample(in, 1, NULL, NULL), 0);
	o.seal = v4; /* lists ofdrw-USER, not the sign cert */
	o.seal_len = len;
	assert_int_equal(es_ofd_sign(in, out, &o, NULL, &err), ES_EINVAL);
	assert_int_equal(access(out, F_OK), -1);
	o = base_opts(f);
	assert_int_equal(es_ofd_sign(in, in, &o, NULL, &err), ES_EINVAL);
	o.page = 9;
	assert_int_equal(es_ofd_sign(in, out, &o, NULL, &err), ES_EINVAL);
	free(v4);
}

static void pages_and_sizes(void **state)
{
	fx *f = *state;
	char in[128];
	int n = 0;
	double w = 0, h = 0;

	path_in(f, in, sizeof(in), "p9.ofd");
	assert_int_equal(es_ofd_make_sample(in, 5, NULL, NULL), 0);
	assert_int_equal(es_ofd_page_count(&n, in, NULL), 0);
	assert_int_equal(n, 5);
	assert_int_equal(es_ofd_page_size_mm(&w, &h, in, -1, NULL), 0);
	assert_true(w == 210 && h == 297);
	assert_int_equal(es_ofd_page_size_mm(&w, &h, in, 6, NULL), ES_EINVAL);
	assert_int_equal(es_ofd_page_count(&n, VEC "V4RideRight.ofd", NULL), 0);
	assert_true(n >= 5);
}


/* Earlier entries are copied raw: same CRC, same compressed size. */
static void assert_entries_copied(const char *in, const char *out)
{
	int e1 = 0, e2 = 0;
	zip_t *a = zip_open(in, ZIP_RDONLY, &e1), *b = zip_open(out, ZIP_RDONLY, &e2);
	zip_int64_t i, n;

	assert_non_null(a);
	assert_non_null(b);
	n = zip_get_num_entries(a, 0);
	for (i = 0; i < n; i++) {
		zip_stat_t sa, sb;
		const char *name = zip_get_name(a, (zip_uint64_t)i, 0);

		assert_int_equal(zip_stat_index(a, (zip_uint64_t)i, 0, &sa), 0);
		assert_int_equal(zip_stat(b, name, 0, &sb), 0);
		if (strstr(name, "Signatures.xml") || strcmp(name, "OFD.xml") == 0)
			continue;
		assert_int_equal(sa.crc, sb.crc);
		assert_int_equal(sa.comp_size, sb.comp_size);
		assert_int_equal(sa.comp_method, sb.comp_method);
	}
	zip_discard(a);
	zip_discard(b);
}

static void sealing_signed_vectors_keeps_earlier_signatures(void **state)
{
	static const char *vec[] = {"h-two-seals.ofd", "v4signed.ofd", "SESV4SignDoc.ofd"};
	static const size_t before[] = {2, 1, 1};
	fx *f = *state;
	char in[256], out[128];
	es_ofd_sign_opts o = base_opts(f);
	es_err err = ES_ERR_INIT;
	es_report r;
	size_t i, k;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		snprintf(in, sizeof(in), VEC "%s", vec[i]);
		path_in(f, out, sizeof(out), "resealed.ofd");
		o.x_mm = 100;
		o.y_mm = 200;
		assert_int_equal(es_ofd_sign(in, out, &o, NULL, &err), 0);
		assert_entries_copied(in, out);
		verify(&r, out);
		assert_int_equal(r.nsigs, before[i] + 1);
		for (k = 0; k < r.nsigs; k++) {
			assert_int_equal(r.sigs[k].integrity_ok, 1);
			assert_false(t_has_code(&r, k, "REFERENCE_MISMATCH"));
		}
		assert_int_not_equal(r.verdict, ES_TOTAL_FAILED);
		if (i == 0)
			assert_true(t_has_code(&r, 0, "SIGNATURES_XML_APPENDED"));
		es_report_clear(&r);
	}
}

/* The vector seal UserV4.esl lists the USER certificate, whose key is in a
 * legacy (RC2) PKCS#12: sealing with a third-party seal verifies cleanly. */
static void vector_seal_with_p12_holder_verifies(void **state)
{
	fx *f = *state;
	char in[128], out[128];
	size_t len = 0;
	unsigned char *v4 = t_read(VEC "ofdrw-UserV4.esl", &len);
	OSSL_PROVIDER *legacy = OSSL_PROVIDER_load(NULL, "legacy");
	OSSL_PROVIDER *dflt = OSSL_PROVIDER_load(NULL, "default");
	FILE *fp = fopen(VEC "ofdrw-USER.p12", "rb");
	PKCS12 *p12 = fp ? d2i_PKCS12_fp(fp, NULL) : NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	es_ofd_sign_opts o = base_opts(f);
	es_err err = ES_ERR_INIT;
	es_report r;

	if (fp)
		fclose(fp);
	if (legacy == NULL || p12 == NULL || PKCS12_parse(p12, "777777", &key, &cert, NULL) != 1) {
		PKCS12_free(p12);
		OSSL_PROVIDER_unload(legacy);
		OSSL_PROVIDER_unload(dflt);
		free(v4);
		skip();
	}
	path_in(f, in, sizeof(in), "p10.ofd");
	path_in(f, out, sizeof(out), "s10.ofd");
	assert_int_equal(es_ofd_make_sample(in, 1, NULL, NULL), 0);
	o.seal = v4;
	o.seal_len = len;
	o.key = key;
	o.cert = cert;
	o.x_mm = 100;
	o.y_mm = 100;
	assert_int_equal(es_ofd_sign(in, out, &o, NULL, &err), 0);
	verify(&r, out);
	assert_intact(&r, 1);
	assert_false(t_has_code(&r, 0, "SIGNER_NOT_IN_SEAL"));
	assert_string_equal(r.sigs[0].seal_name, "OFD R&W 测试用印章");
	es_report_clear(&r);
	EVP_PKEY_free(key);
	X509_free(cert);
	PKCS12_free(p12);
	OSSL_PROVIDER_unload(legacy);
	OSSL_PROVIDER_unload(dflt);
	free(v4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seal_at_page_xy_verifies),
		cmocka_unit_test(sealed_file_checks_with_openssl_cli),
		cmocka_unit_test(sealing_twice_keeps_both_valid),
		cmocka_unit_test(tampered_page_fails),
		cmocka_unit_test(added_page_resource_fails_attachment_is_info),
		cmocka_unit_test(keyword_places_seal_on_text),
		cmocka_unit_test(cross_page_seal_one_stamp_per_page),
		cmocka_unit_test(signer_not_in_seal_is_refused),
		cmocka_unit_test(pages_and_sizes),
		cmocka_unit_test(sealing_signed_vectors_keeps_earlier_signatures),
		cmocka_unit_test(vector_seal_with_p12_holder_verifies),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
