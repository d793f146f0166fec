/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/x509v3.h>
#include "pki_test.h"

#define BASE "http://127.0.0.1:8600"

static es_pki_family sm2, p256;

static int families_setup(void **state)
{
	es_err err = ES_ERR_INIT;

	(void)state;
	if (es_pki_family_create(&sm2, ES_ALG_SM2, "eseal test", BASE, &err) < 0 ||
	    es_pki_family_create(&p256, ES_ALG_P256, "eseal test", BASE, &err) < 0) {
		fprintf(stderr, "family: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int families_teardown(void **state)
{
	(void)state;
	es_pki_family_clear(&sm2);
	es_pki_family_clear(&p256);
	return 0;
}

static X509 *holder_issue(es_pki_family *f, const char *cn, EVP_PKEY **key)
{
	es_cert_req req = {0};
	es_err err = ES_ERR_INIT;
	X509 *c = NULL;

	assert_int_equal(es_key_generate(key, f->alg, &err), 0);
	req.kind = ES_CERT_HOLDER;
	req.subject_key = *key;
	req.cn = cn;
	req.o = "测试有限公司";
	req.ou = "财务部";
	req.days = 365;
	req.base_url = BASE "/";
	assert_int_equal(es_cert_issue(&c, &req, f->issuing, f->issuing_key, &err), 0);
	return c;
}

static int ext_critical(X509 *c, int nid)
{
	int i = X509_get_ext_by_NID(c, nid, -1);

	assert_true(i >= 0);
	return X509_EXTENSION_get_critical(X509_get_ext(c, i));
}

static int has_ext(X509 *c, int nid)
{
	return X509_get_ext_by_NID(c, nid, -1) >= 0;
}

static void ca_profiles_have_the_right_extensions(void **state)
{
	es_pki_family *fams[] = {&sm2, &p256};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		es_pki_family *f = fams[i];

		/* root: CA, no path length, self-signed, no AKI, no URLs */
		assert_true(X509_get_extension_flags(f->root) & EXFLAG_CA);
		assert_true(X509_get_extension_flags(f->root) & EXFLAG_SS);
		assert_int_equal(X509_get_pathlen(f->root), -1);
		assert_true(ext_critical(f->root, NID_basic_constraints));
		assert_true(ext_critical(f->root, NID_key_usage));
		assert_int_equal(X509_get_key_usage(f->root), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
		assert_non_null(X509_get0_subject_key_id(f->root));
		assert_false(has_ext(f->root, NID_authority_key_identifier));
		assert_false(has_ext(f->root, NID_crl_distribution_points));
		assert_false(has_ext(f->root, NID_info_access));
		/* issuing CA: pathlen 0, AKI = root SKI, CRL of the root, no OCSP */
		assert_true(X509_get_extension_flags(f->issuing) & EXFLAG_CA);
		assert_int_equal(X509_get_pathlen(f->issuing), 0);
		assert_int_equal(X509_get_key_usage(f->issuing), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
		assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(f->issuing),
						       X509_get0_subject_key_id(f->root)), 0);
		assert_true(has_ext(f->issuing, NID_crl_distribution_points));
		assert_false(has_ext(f->issuing, NID_info_access));
		assert_int_equal(X509_check_issued(f->root, f->issuing), X509_V_OK);
	}
}

static void service_profiles_have_the_right_extensions(void **state)
{
	ASN1_OCTET_STRING *nocheck;
	int crit = 0;

	(void)state;
	/* TSA: digitalSignature only, EKU timeStamping critical (RFC 3161 2.3) */
	assert_false(X509_get_extension_flags(sm2.tsa) & EXFLAG_CA);
	assert_int_equal(X509_get_key_usage(sm2.tsa), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(sm2.tsa), XKU_TIMESTAMP);
	assert_true(ext_critical(sm2.tsa, NID_ext_key_usage));
	assert_true(ext_critical(sm2.tsa, NID_key_usage));
	assert_int_equal(X509_check_purpose(p256.tsa, X509_PURPOSE_TIMESTAMP_SIGN, 0), 1);
	/* OCSP: OCSPSigning + id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2) */
	assert_int_equal(X509_get_key_usage(p256.ocsp), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(p256.ocsp), XKU_OCSP_SIGN);
	nocheck = X509_get_ext_d2i(p256.ocsp, NID_id_pkix_OCSP_noCheck, &crit, NULL);
	assert_true(crit == 0); /* present, not critical */
	ASN1_NULL_free((ASN1_NULL *)nocheck);
	assert_false(has_ext(p256.tsa, NID_id_pkix_OCSP_noCheck));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(p256.ocsp),
					       X509_get0_subject_key_id(p256.issuing)), 0);
}

static const char *uri_of_cdp(X509 *c, char *buf, size_t cap)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(c, NID_crl_distribution_points, NULL, NULL);
	DIST_POINT *dp;
	GENERAL_NAME *gn;

	assert_non_null(dps);
	assert_int_equal(sk_DIST_POINT_num(dps), 1);
	dp = sk_DIST_POINT_value(dps, 0);
	gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
	assert_int_equal(gn->type, GEN_URI);
	snprintf(buf, cap, "%s", (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier));
	CRL_DIST_POINTS_free(dps);
	return buf;
}

static const char *uri_of_ocsp(X509 *c, char *buf, size_t cap)
{
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(c, NID_info_access, NULL, NULL);
	ACCESS_DESCRIPTION *ad;

	assert_non_null(aia);
	ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
	assert_int_equal(OBJ_obj2nid(ad->method), NID_ad_OCSP);
	assert_int_equal(ad->location->type, GEN_URI);
	snprintf(buf, cap, "%s", (const char *)ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier));
	AUTHORITY_INFO_ACCESS_free(aia);
	return buf;
}

static void urls_point_at_the_family_crl_and_ocsp(void **state)
{
	char buf[256];
	EVP_PKEY *k = NULL;
	X509 *h;

	(void)state;
	assert_string_equal(uri_of_cdp(sm2.issuing, buf, sizeof(buf)), BASE "/api/v1/crl/sm2-root.crl");
	assert_string_equal(uri_of_cdp(p256.tsa, buf, sizeof(buf)), BASE "/api/v1/crl/p256.crl");
	assert_string_equal(uri_of_ocsp(p256.tsa, buf, sizeof(buf)), BASE "/api/v1/ocsp");
	h = holder_issue(&sm2, "张三", &k);
	/* trailing '/' of the base URL is not doubled */
	assert_string_equal(uri_of_cdp(h, buf, sizeof(buf)), BASE "/api/v1/crl/sm2.crl");
	assert_string_equal(uri_of_ocsp(h, buf, sizeof(buf)), BASE "/api/v1/ocsp");
	X509_free(h);
	EVP_PKEY_free(k);
}

static void holder_has_utf8_subject_and_signing_usage(void **state)
{
	X509_NAME *n;
	X509_NAME_ENTRY *e;
	EVP_PKEY *k = NULL;
	char buf[128];
	X509 *h;
	int i;

	(void)state;
	h = holder_issue(&sm2, "张三", &k);
	assert_int_equal(X509_get_key_usage(h), KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);
	assert_true(ext_critical(h, NID_key_usage));
	assert_false(X509_get_extension_flags(h) & EXFLAG_CA);
	assert_int_equal(X509_get_signature_nid(h), NID_SM2_with_SM3);
	n = X509_get_subject_name(h);
	assert_int_equal(X509_NAME_entry_count(n), 4);
	e = X509_NAME_get_entry(n, X509_NAME_get_index_by_NID(n, NID_countryName, -1));
	assert_int_equal(ASN1_STRING_type(X509_NAME_ENTRY_get_data(e)), V_ASN1_PRINTABLESTRING);
	assert_memory_equal(ASN1_STRING_get0_data(X509_NAME_ENTRY_get_data(e)), "CN", 2);
	i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	e = X509_NAME_get_entry(n, i);
	assert_int_equal(ASN1_STRING_type(X509_NAME_ENTRY_get_data(e)), V_ASN1_UTF8STRING);
	assert_int_equal(X509_NAME_get_text_by_NID(n, NID_commonName, buf, sizeof(buf)), strlen("张三"));
	assert_string_equal(buf, "张三");
	e = X509_NAME_get_entry(n, X509_NAME_get_index_by_NID(n, NID_organizationName, -1));
	assert_int_equal(ASN1_STRING_type(X509_NAME_ENTRY_get_data(e)), V_ASN1_UTF8STRING);
	X509_free(h);
	EVP_PKEY_free(k);
}

static void serial_is_random_positive_16_bytes_or_as_given(void **state)
{
	es_cert_req req = {0};
	es_err err = ES_ERR_INIT;
	const ASN1_INTEGER *s;
	BIGNUM *bn;
	X509 *a = NULL, *b = NULL;
	EVP_PKEY *k = NULL;
	char *hex;

	(void)state;
	a = holder_issue(&p256, "A", &k);
	EVP_PKEY_free(k);
	b = holder_issue(&p256, "B", &k);
	s = X509_get0_serialNumber(a);
	assert_int_equal(ASN1_STRING_type(s), V_ASN1_INTEGER); /* not V_ASN1_NEG_INTEGER */
	assert_int_equal(ASN1_STRING_length(s), 16);
	assert_int_not_equal(ASN1_INTEGER_cmp(s, X509_get0_serialNumber(b)), 0);
	X509_free(a);
	X509_free(b);

	req.kind = ES_CERT_SEAL_MAKER;
	req.subject_key = k;
	req.cn = "maker";
	req.days = 10;
	req.serial_hex = "0A1B2C";
	assert_int_equal(es_cert_issue(&a, &req, p256.issuing, p256.issuing_key, &err), 0);
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(a), NULL);
	hex = BN_bn2hex(bn);
	assert_string_equal(hex, "0A1B2C");
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(a);
	req.serial_hex = "xyz";
	assert_int_equal(es_cert_issue(&a, &req, p256.issuing, p256.issuing_key, &err), ES_EINVAL);
	req.serial_hex = "00";
	assert_int_equal(es_cert_issue(&a, &req, p256.issuing, p256.issuing_key, &err), ES_EINVAL);
	req.serial_hex = "-5";
	assert_int_equal(es_cert_issue(&a, &req, p256.issuing, p256.issuing_key, &err), ES_EINVAL);
	assert_null(a);
	EVP_PKEY_free(k);
}

static void bad_requests_are_refused(void **state)
{
	es_cert_req req = {0};
	es_err err = ES_ERR_INIT;
	EVP_PKEY *k = NULL;
	X509 *c = NULL;
	char longcn[70];

	(void)state;
	assert_int_equal(es_key_generate(&k, ES_ALG_SM2, &err), 0);
	req.kind = ES_CERT_HOLDER;
	req.subject_key = k;
	req.cn = "ok";
	req.days = 10;
	/* issuer key of another CA */
	assert_int_equal(es_cert_issue(&c, &req, sm2.issuing, sm2.root_key, &err), ES_EINVAL);
	assert_non_null(strstr(err.msg, "issuer key"));
	/* self-signed by a key that is not the subject's */
	assert_int_equal(es_cert_issue(&c, &req, NULL, sm2.root_key, &err), ES_EINVAL);
	req.days = 0;
	assert_int_equal(es_cert_issue(&c, &req, sm2.issuing, sm2.issuing_key, &err), ES_EINVAL);
	req.days = 10;
	req.cn = "\xff\xfe";
	assert_int_equal(es_cert_issue(&c, &req, sm2.issuing, sm2.issuing_key, &err), ES_EINVAL);
	memset(longcn, 'x', sizeof(longcn) - 1);
	longcn[sizeof(longcn) - 1] = '\0';
	req.cn = longcn;
	assert_int_equal(es_cert_issue(&c, &req, sm2.issuing, sm2.issuing_key, &err), ES_EINVAL);
	req.cn = "ok";
	req.base_url = "http://x/,URI:http://evil";
	assert_int_equal(es_cert_issue(&c, &req, sm2.issuing, sm2.issuing_key, &err), ES_EINVAL);
	req.base_url = "ftp://x";
	assert_int_equal(es_cert_issue(&c, &req, sm2.issuing, sm2.issuing_key, &err), ES_EINVAL);
	req.base_url = NULL;
	req.kind = (es_cert_kind)42;
	assert_int_equal(es_cert_issue(&c, &req, sm2.issuing, sm2.issuing_key, &err), ES_EINVAL);
	assert_null(c);
	EVP_PKEY_free(k);
}

static void validity_never_exceeds_the_issuer(void **state)
{
	es_cert_req req = {0};
	es_err err = ES_ERR_INIT;
	EVP_PKEY *k = NULL;
	X509 *c = NULL;
	int days = 0, secs = 0;

	(void)state;
	assert_int_equal(es_key_generate(&k, ES_ALG_P256, &err), 0);
	req.kind = ES_CERT_HOLDER;
	req.subject_key = k;
	req.cn = "long";
	req.days = 365 * 30;
	assert_int_equal(es_cert_issue(&c, &req, p256.issuing, p256.issuing_key, &err), 0);
	assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(c), X509_get0_notAfter(p256.issuing)), 0);
	X509_free(c);
	req.days = 30;
	req.not_before = 1700000000;
	assert_int_equal(es_cert_issue(&c, &req, p256.issuing, p256.issuing_key, &err), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(c), 1700000000), 0);
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(c), X509_get0_notAfter(c)), 1);
	assert_int_equal(days, 30);
	assert_int_equal(secs, 0);
	X509_free(c);
	EVP_PKEY_free(k);
}

static void p256_chain_verifies_with_openssl_cli(void **state)
{
	char dir[64], out[PT_OUT_LEN];
	EVP_PKEY *k = NULL;
	X509 *h;

	(void)state;
	pt_tmpdir(dir, sizeof(dir));
	h = holder_issue(&p256, "holder", &k);
	assert_int_equal(X509_get_signature_nid(h), NID_ecdsa_with_SHA256);
	pt_write_pems(dir, "root.pem", p256.root, NULL);
	pt_write_pems(dir, "issuing.pem", p256.issuing, NULL);
	/* one certificate per file: `openssl verify` reads only the first */
	pt_write_pems(dir, "tsa.pem", p256.tsa, NULL);
	pt_write_pems(dir, "ocsp.pem", p256.ocsp, NULL);
	pt_write_pems(dir, "holder.pem", h, NULL);
	pt_write_pems(dir, "other.pem", sm2.root, NULL);
	assert_int_equal(pt_run(out, sizeof(out), dir,
				"openssl verify -x509_strict -CAfile root.pem -untrusted issuing.pem "
				"issuing.pem tsa.pem ocsp.pem holder.pem"), 0);
	assert_int_equal(pt_run(out, sizeof(out), dir,
				"openssl verify -CAfile other.pem -untrusted issuing.pem holder.pem"), 2);
	X509_free(h);
	EVP_PKEY_free(k);
	pt_rmtree(dir);
}

/* OpenSSL 3.0 hashes an EMPTY SM2 id unless told otherwise, and the CLI's
 * -vfyopt distid applies to the certificate named on the command line only,
 * not to an -untrusted intermediate.  So the CLI checks our SM2 chains one
 * link at a time: issuing CA under the root, then each leaf under the
 * issuing CA as a partial-chain anchor. */
static void sm2_chain_verifies_with_openssl_cli_link_by_link(void **state)
{
	char dir[64], out[PT_OUT_LEN];
	EVP_PKEY *k = NULL;
	X509 *h;

	(void)state;
	pt_tmpdir(dir, sizeof(dir));
	h = holder_issue(&sm2, "holder", &k);
	pt_write_pems(dir, "root.pem", sm2.root, NULL);
	pt_write_pems(dir, "issuing.pem", sm2.issuing, NULL);
	pt_write_pems(dir, "tsa.pem", sm2.tsa, NULL);
	pt_write_pems(dir, "ocsp.pem", sm2.ocsp, NULL);
	pt_write_pems(dir, "holder.pem", h, NULL);
	assert_int_equal(pt_run(out, sizeof(out), dir,
				"openssl verify -x509_strict -vfyopt distid:" ES_SM2_DEFAULT_ID
				" -CAfile root.pem issuing.pem"), 0);
	assert_int_equal(pt_run(out, sizeof(out), dir,
				"openssl verify -x509_strict -partial_chain -vfyopt distid:" ES_SM2_DEFAULT_ID
				" -CAfile issuing.pem tsa.pem ocsp.pem holder.pem"), 0);
	/* without the id, or across the untrusted intermediate: fails */
	assert_int_not_equal(pt_run(out, sizeof(out), dir,
				    "openssl verify -partial_chain -CAfile issuing.pem holder.pem"), 0);
	assert_non_null(strstr(out, "signature failure"));
	assert_int_not_equal(pt_run(out, sizeof(out), dir,
				    "openssl verify -vfyopt distid:" ES_SM2_DEFAULT_ID
				    " -CAfile root.pem -untrusted issuing.pem holder.pem"), 0);
	assert_non_null(strstr(out, "error 7 at 1 depth"));
	X509_free(h);
	EVP_PKEY_free(k);
	pt_rmtree(dir);
}

/* The same in C: set the id on each SM2-signed certificate, then
 * X509_verify_cert() works. */
static void sm2_chain_verifies_in_c_with_distinguishing_id(void **state)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	ASN1_OCTET_STRING *id;
	EVP_PKEY *k = NULL;
	X509 *h, *issuing;
	unsigned char *der = NULL;
	size_t len = 0;

	(void)state;
	h = holder_issue(&sm2, "holder", &k);
	/* fresh copies, as a verifier reading DER would have */
	assert_int_equal(es_cert_to_der(&der, &len, sm2.issuing, NULL), 0);
	assert_int_equal(es_cert_from_der(&issuing, der, len, NULL), 0);
	free(der);
	assert_int_equal(es_cert_to_der(&der, &len, h, NULL), 0);
	X509_free(h);
	assert_int_equal(es_cert_from_der(&h, der, len, NULL), 0);
	free(der);
	X509_STORE_add_cert(store, sm2.root);
	sk_X509_push(untrusted, issuing);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, h, untrusted), 1);
	assert_int_equal(X509_verify_cert(ctx), 0);
	assert_int_equal(X509_STORE_CTX_get_error(ctx), X509_V_ERR_CERT_SIGNATURE_FAILURE);
	X509_STORE_CTX_cleanup(ctx);

	id = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(id, (const unsigned char *)ES_SM2_DEFAULT_ID, 16);
	X509_set0_distinguishing_id(h, id);
	id = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(id, (const unsigned char *)ES_SM2_DEFAULT_ID, 16);
	X509_set0_distinguishing_id(issuing, id);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, h, untrusted), 1);
	assert_int_equal(X509_verify_cert(ctx), 1);

	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(h);
	EVP_PKEY_free(k);
}

static void der_and_pem_round_trip(void **state)
{
	unsigned char *der = NULL, *der2;
	size_t len = 0;
	char *pem = NULL;
	X509 *c = NULL;
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_cert_to_der(&der, &len, sm2.tsa, &err), 0);
	assert_int_equal(es_cert_from_der(&c, der, len, &err), 0);
	assert_int_equal(X509_cmp(c, sm2.tsa), 0);
	X509_free(c);
	der2 = malloc(len + 1);
	memcpy(der2, der, len);
	der2[len] = 0;
	assert_int_equal(es_cert_from_der(&c, der2, len + 1, &err), ES_EFORMAT);
	assert_int_equal(es_cert_from_der(&c, der2, len - 1, &err), ES_EFORMAT);
	assert_int_equal(es_cert_from_der(&c, der2, 0, &err), ES_EFORMAT);
	assert_null(c);
	free(der2);
	free(der);
	assert_int_equal(es_cert_to_pem(&pem, p256.root, &err), 0);
	assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----\n"));
	assert_int_equal(pem[strlen(pem) - 1], '\n');
	free(pem);
}

static void family_clear_is_idempotent(void **state)
{
	es_pki_family f;
	es_err err = ES_ERR_INIT;

	(void)state;
	es_pki_family_clear(NULL);
	assert_int_equal(es_pki_family_create(&f, (es_alg)5, "x", NULL, &err), ES_EINVAL);
	es_pki_family_clear(&f);
	assert_int_equal(es_pki_family_create(&f, ES_ALG_P256, "no urls", NULL, &err), 0);
	assert_false(has_ext(f.tsa, NID_crl_distribution_points));
	assert_int_equal(f.alg, ES_ALG_P256);
	es_pki_family_clear(&f);
	es_pki_family_clear(&f);
	assert_null(f.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ca_profiles_have_the_right_extensions),
		cmocka_unit_test(service_profiles_have_the_right_extensions),
		cmocka_unit_test(urls_point_at_the_family_crl_and_ocsp),
		cmocka_unit_test(holder_has_utf8_subject_and_signing_usage),
		cmocka_unit_test(serial_is_random_positive_16_bytes_or_as_given),
		cmocka_unit_test(bad_requests_are_refused),
		cmocka_unit_test(validity_never_exceeds_the_issuer),
		cmocka_unit_test(p256_chain_verifies_with_openssl_cli),
		cmocka_unit_test(sm2_chain_verifies_with_openssl_cli_link_by_link),
		cmocka_unit_test(sm2_chain_verifies_in_c_with_distinguishing_id),
		cmocka_unit_test(der_and_pem_round_trip),
		cmocka_unit_test(family_clear_is_idempotent),
	};
	return cmocka_run_group_tests(tests, families_setup, families_teardown);
}
