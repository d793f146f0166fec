/* OFD verification against the shared vectors (shared/vectors/ofd/MANIFEST.md).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eseal/ofd.h"
#include "eseal/verify.h"

#define VEC ESEAL_SHARED_DIR "/vectors/ofd/"

static es_verdict verify_vector(const char *name, es_report *r)
{
	es_verify_opts o = ES_VERIFY_OPTS_INIT;
	es_err err = ES_ERR_INIT;
	char path[512];
	int rc;

	snprintf(path, sizeof(path), VEC "%s", name);
	memset(r, 0, sizeof(*r));
	rc = es_ofd_verify(r, path, &o, &err);
	if (getenv("ESEAL_TEST_VERBOSE")) {
		char *txt = NULL;

		if (es_report_text(&txt, r, "en", NULL) == 0)
			printf("== %s (rc %d %s)\n%s\n", name, rc, err.msg, txt);
		free(txt);
	}
	assert_int_equal(rc, 0);
	return r->verdict;
}

static int has_code(const es_report *r, size_t sig, const char *code)
{
	const es_finding *f = sig == (size_t)-1 ? r->findings : r->sigs[sig].findings;
	size_t n = sig == (size_t)-1 ? r->nfindings : r->sigs[sig].nfindings, i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].code, code) == 0)
			return 1;
	return 0;
}

static void intact_vectors_pass_or_indeterminate(void **state)
{
	static const char *ok[] = {"v4signed.ofd", "SESV4SignDoc.ofd", "V4RideRight.ofd",
				   "sign-gbt35275-2sigs.ofd", "DigitalSign.ofd", "h-two-seals.ofd"};
	es_report r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		es_verdict v = verify_vector(ok[i], &r);

		if (v != ES_TOTAL_PASSED && v != ES_INDETERMINATE)
			fail_msg("%s gave %s", ok[i], es_verdict_name(v));
		es_report_clear(&r);
	}
}

static void keyword_modified_fails_naming_files(void **state)
{
	es_report r;

	(void)state;
	assert_int_equal(verify_vector("keyword-modified.ofd", &r), ES_TOTAL_FAILED);
	assert_true(r.nsigs >= 1);
	assert_true(has_code(&r, 0, "REFERENCE_MISMATCH"));
	es_report_clear(&r);
}

static void two_seals_append_only_signatures_xml_allowed(void **state)
{
	es_report r;

	(void)state;
	verify_vector("h-two-seals.ofd", &r);
	assert_int_equal(r.nsigs, 2);
	assert_true(has_code(&r, 0, "SIGNATURES_XML_APPENDED"));
	assert_false(has_code(&r, 0, "REFERENCE_MISMATCH"));
	assert_int_equal(r.sigs[0].integrity_ok, 1);
	assert_int_equal(r.sigs[1].integrity_ok, 1);
	assert_int_not_equal(r.verdict, ES_TOTAL_FAILED);
	es_report_clear(&r);
}

static void dms360_nonstandard_method_not_passed(void **state)
{
	es_report r;

	(void)state;
	assert_int_not_equal(verify_vector("n-v1-dms360.ofd", &r), ES_TOTAL_PASSED);
	assert_true(has_code(&r, 0, "CHECK_METHOD_UNSUPPORTED"));
	/* its GM/T 0031 seal lists "1" instead of certificates: read, not rejected */
	assert_true(has_code(&r, 0, "CERT_LIST_NONSTANDARD"));
	assert_true(has_code(&r, 0, "SEAL_SIGNATURE_VALID"));
	assert_true(has_code(&r, 0, "SIGNER_NOT_CHECKABLE"));
	es_report_clear(&r);
}

static void bare_signature_without_cert_is_indeterminate(void **state)
{
	es_report r;

	(void)state;
	assert_int_equal(verify_vector("DigitalSign.ofd", &r), ES_INDETERMINATE);
	assert_true(has_code(&r, 0, "SIGNER_CERT_MISSING"));
	es_report_clear(&r);
}

static void riding_seal_has_stamp_on_first_page(void **state)
{
	es_report r;

	(void)state;
	verify_vector("V4RideRight.ofd", &r);
	assert_int_equal(r.nsigs, 1);
	assert_int_equal(r.sigs[0].page, 1);
	assert_int_equal(r.sigs[0].integrity_ok, 1);
	es_report_clear(&r);
}

static void non_ofd_is_unreadable(void **state)
{
	es_verify_opts o = ES_VERIFY_OPTS_INIT;
	es_report r;
	int rc;

	(void)state;
	memset(&r, 0, sizeof(r));
	rc = es_ofd_verify(&r, VEC "ofdrw-UserV4.esl", &o, NULL);
	assert_true(rc == ES_EFORMAT);
	es_report_clear(&r);
	memset(&r, 0, sizeof(r));
	rc = es_ofd_verify(&r, VEC "no-such-file.ofd", &o, NULL);
	assert_true(rc == ES_EIO);
	es_report_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(intact_vectors_pass_or_indeterminate),
		cmocka_unit_test(keyword_modified_fails_naming_files),
		cmocka_unit_test(two_seals_append_only_signatures_xml_allowed),
		cmocka_unit_test(dms360_nonstandard_method_not_passed),
		cmocka_unit_test(bare_signature_without_cert_is_indeterminate),
		cmocka_unit_test(riding_seal_has_stamp_on_first_page),
		cmocka_unit_test(non_ofd_is_unreadable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
