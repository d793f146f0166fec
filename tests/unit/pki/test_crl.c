/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/x509v3.h>
#include "pki_test.h"

static es_pki_family sm2, p256;

static int families_setup(void **state)
{
	(void)state;
	if (es_pki_family_create(&sm2, ES_ALG_SM2, "crl test", NULL, NULL) < 0 ||
	    es_pki_family_create(&p256, ES_ALG_P256, "crl test", NULL, NULL) < 0)
		return -1;
	return 0;
}

static int families_teardown(void **state)
{
	(void)state;
	es_pki_family_clear(&sm2);
	es_pki_family_clear(&p256);
	return 0;
}

static const es_revoked two[] = {
	{"7F0102", 1700000000, 1},  /* keyCompromise */
	{"0A", 1700000100, 0},      /* unspecified: no reason extension */
};

static X509_CRL *crl_parse(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);

	assert_non_null(crl);
	assert_ptr_equal(p, der + len);
	return crl;
}

static void crl_holds_entries_reasons_number_and_aki(void **state)
{
	unsigned char *der = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;
	X509_CRL *crl;
	X509_REVOKED *r;
	ASN1_INTEGER *num;
	ASN1_ENUMERATED *reason;
	AUTHORITY_KEYID *aki;
	int crit = -1;

	(void)state;
	assert_int_equal(es_crl_make(&der, &len, sm2.issuing, sm2.issuing_key, two, 2, 7, &err), 0);
	crl = crl_parse(der, len);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_SM2_with_SM3);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(sm2.issuing)), 0);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	/* sorted by serial: 0A first */
	r = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 0);
	assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(r)), 0x0A);
	assert_null(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL));
	r = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 1);
	assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(r)), 0x7F0102);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(r), 1700000000), 0);
	reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
	assert_int_equal(ASN1_ENUMERATED_get(reason), 1);
	ASN1_ENUMERATED_free(reason);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	assert_non_null(num);
	assert_int_equal(crit, 0);
	assert_true(ASN1_INTEGER_get(num) > 0);
	ASN1_INTEGER_free(num);
	aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki->keyid, X509_get0_subject_key_id(sm2.issuing)), 0);
	AUTHORITY_KEYID_free(aki);
	assert_true(ASN1_TIME_diff(&crit, NULL, X509_CRL_get0_lastUpdate(crl),
				   X509_CRL_get0_nextUpdate(crl)));
	assert_int_equal(crit, 7);
	assert_int_equal(es_crl_check_signature(crl, sm2.issuing, &err), 0);
	assert_int_equal(es_crl_check_signature(crl, sm2.root, &err), ES_EVERIFY);
	X509_CRL_free(crl);
	free(der);
}

static void crl_numbers_increase(void **state)
{
	unsigned char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	X509_CRL *ca, *cb;
	ASN1_INTEGER *na, *nb;

	(void)state;
	assert_int_equal(es_crl_make(&a, &alen, p256.issuing, p256.issuing_key, NULL, 0, 1, NULL), 0);
	assert_int_equal(es_crl_make(&b, &blen, p256.issuing, p256.issuing_key, NULL, 0, 1, NULL), 0);
	ca = crl_parse(a, alen);
	cb = crl_parse(b, blen);
	na = X509_CRL_get_ext_d2i(ca, NID_crl_number, NULL, NULL);
	nb = X509_CRL_get_ext_d2i(cb, NID_crl_number, NULL, NULL);
	assert_true(ASN1_INTEGER_cmp(na, nb) < 0);
	assert_null(X509_CRL_get_REVOKED(ca));
	ASN1_INTEGER_free(na);
	ASN1_INTEGER_free(nb);
	X509_CRL_free(ca);
	X509_CRL_free(cb);
	free(a);
	free(b);
}

static void p256_crl_verifies_with_openssl_cli(void **state)
{
	unsigned char *der = NULL;
	size_t len = 0;
	char dir[64], out[PT_OUT_LEN];

	(void)state;
	pt_tmpdir(dir, sizeof(dir));
	assert_int_equal(es_crl_make(&der, &len, p256.issuing, p256.issuing_key, two, 2, 7, NULL), 0);
	pt_write(dir, "p256.crl", der, len);
	pt_write_pems(dir, "ca.pem", p256.issuing, NULL);
	pt_write_pems(dir, "wrong.pem", p256.root, NULL);
	assert_int_equal(pt_run(out, sizeof(out), dir,
				"openssl crl -inform DER -in p256.crl -CAfile ca.pem -noout"), 0);
	assert_non_null(strstr(out, "verify OK"));
	assert_int_not_equal(pt_run(out, sizeof(out), dir,
				    "openssl crl -inform DER -in p256.crl -CAfile wrong.pem -noout"), 0);
	der[len - 5] ^= 1; /* inside the signature */
	pt_write(dir, "bad.crl", der, len);
	/* openssl crl 3.0 exits 0 on a bad signature; it says so on stderr */
	pt_run(out, sizeof(out), dir, "openssl crl -inform DER -in bad.crl -CAfile ca.pem -noout");
	assert_non_null(strstr(out, "verify failure"));
	assert_null(strstr(out, "verify OK"));
	free(der);
	pt_rmtree(dir);
}

/* `openssl crl -CAfile` cannot take an SM2 id in 3.0: the CLI only parses
 * the SM2 CRL; es_crl_check_signature() verifies it. */
static void sm2_crl_parses_with_openssl_cli_and_verifies_in_c(void **state)
{
	unsigned char *der = NULL;
	size_t len = 0;
	char dir[64], out[PT_OUT_LEN];
	X509_CRL *crl;

	(void)state;
	pt_tmpdir(dir, sizeof(dir));
	assert_int_equal(es_crl_make(&der, &len, sm2.issuing, sm2.issuing_key, two, 2, 7, NULL), 0);
	pt_write(dir, "sm2.crl", der, len);
	assert_int_equal(pt_run(out, sizeof(out), dir, "openssl crl -inform DER -in sm2.crl -noout -text"), 0);
	assert_non_null(strstr(out, "SM2-with-SM3"));
	assert_non_null(strstr(out, "Key Compromise"));
	assert_non_null(strstr(out, "X509v3 CRL Number"));
	der[len - 5] ^= 1;
	crl = crl_parse(der, len);
	assert_int_equal(es_crl_check_signature(crl, sm2.issuing, NULL), ES_EVERIFY);
	X509_CRL_free(crl);
	free(der);
	pt_rmtree(dir);
}

static void crl_refuses_bad_input(void **state)
{
	es_revoked bad = {"0A", 0, 7};
	unsigned char *der = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_crl_make(&der, &len, sm2.issuing, sm2.issuing_key, &bad, 1, 7, &err), ES_EINVAL);
	bad.reason = 11;
	assert_int_equal(es_crl_make(&der, &len, sm2.issuing, sm2.issuing_key, &bad, 1, 7, &err), ES_EINVAL);
	bad.reason = 4;
	bad.serial_hex = "G1";
	assert_int_equal(es_crl_make(&der, &len, sm2.issuing, sm2.issuing_key, &bad, 1, 7, &err), ES_EINVAL);
	bad.serial_hex = NULL;
	assert_int_equal(es_crl_make(&der, &len, sm2.issuing, sm2.issuing_key, &bad, 1, 7, &err), ES_EINVAL);
	assert_int_equal(es_crl_make(&der, &len, sm2.issuing, sm2.root_key, NULL, 0, 7, &err), ES_EINVAL);
	assert_int_equal(es_crl_make(&der, &len, sm2.issuing, sm2.issuing_key, NULL, 0, 0, &err), ES_EINVAL);
	assert_null(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crl_holds_entries_reasons_number_and_aki),
		cmocka_unit_test(crl_numbers_increase),
		cmocka_unit_test(p256_crl_verifies_with_openssl_cli),
		cmocka_unit_test(sm2_crl_parses_with_openssl_cli_and_verifies_in_c),
		cmocka_unit_test(crl_refuses_bad_input),
	};
	return cmocka_run_group_tests(tests, families_setup, families_teardown);
}
