/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>
#include "eseal/auth.h"

/* RFC 6238 appendix B: SHA-1 seed "12345678901234567890" in Base32. */
#define RFC_SECRET "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static void code_matches_rfc6238_vectors(void **state)
{
	/* Appendix B gives 8 digits; 6-digit codes are their last 6. */
	static const struct { time_t t; const char *code; } v[] = {
		{59, "287082"},         /* 94287082 */
		{1111111109, "081804"}, /* 07081804 */
		{1111111111, "050471"}, /* 14050471 */
		{1234567890, "005924"}, /* 89005924 */
		{2000000000, "279037"}, /* 69279037 */
		{(time_t)20000000000LL, "353130"}, /* 65353130 */
	};
	char code[ES_TOTP_DIGITS + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(es_totp_code(RFC_SECRET, v[i].t, code, NULL), 0);
		assert_string_equal(code, v[i].code);
		assert_int_equal(es_totp_verify(RFC_SECRET, v[i].code, v[i].t, NULL), 0);
	}
}

static void verify_accepts_one_step_either_side(void **state)
{
	es_err e = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_totp_verify(RFC_SECRET, "287082", 59 + 30, NULL), 0);
	assert_int_equal(es_totp_verify(RFC_SECRET, "287082", 59 - 30, NULL), 0);
	assert_int_equal(es_totp_verify(RFC_SECRET, "287082", 59 + 60, &e), ES_EAUTH);
	assert_int_equal(e.code, ES_EAUTH);
	assert_int_equal(es_totp_verify(RFC_SECRET, "005924", 1234567890 - 61, NULL), ES_EAUTH);
	assert_int_equal(es_totp_verify(RFC_SECRET, "005924", 1234567890 + 60, NULL), ES_EAUTH);
}

static void verify_rejects_wrong_and_malformed_codes(void **state)
{
	es_err e = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_totp_verify(RFC_SECRET, "287083", 59, NULL), ES_EAUTH);
	assert_int_equal(es_totp_verify(RFC_SECRET, "94287082", 59, NULL), ES_EAUTH);
	assert_int_equal(es_totp_verify(RFC_SECRET, "28708", 59, NULL), ES_EAUTH);
	assert_int_equal(es_totp_verify(RFC_SECRET, "28708a", 59, NULL), ES_EAUTH);
	assert_int_equal(es_totp_verify(RFC_SECRET, "", 59, NULL), ES_EAUTH);
	assert_int_equal(es_totp_verify(RFC_SECRET, NULL, 59, &e), ES_EAUTH);
	assert_null(strstr(e.msg, RFC_SECRET));
}

static void verify_rejects_malformed_secrets(void **state)
{
	es_err e = ES_ERR_INIT;
	char code[ES_TOTP_DIGITS + 1];

	(void)state;
	assert_int_equal(es_totp_verify("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", "287082", 59, &e), ES_EINVAL);
	assert_int_equal(e.code, ES_EINVAL);
	assert_int_equal(es_totp_verify("GEZDGNBV", "287082", 59, NULL), ES_EINVAL);
	assert_int_equal(es_totp_verify(RFC_SECRET "====", "287082", 59, NULL), ES_EINVAL);
	assert_int_equal(es_totp_verify("GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ", "287082", 59, NULL), ES_EINVAL);
	assert_int_equal(es_totp_verify(NULL, "287082", 59, NULL), ES_EINVAL);
	assert_int_equal(es_totp_code("bad", 59, code, NULL), ES_EINVAL);
	assert_string_equal(code, "");
	assert_int_equal(es_totp_code(RFC_SECRET, -1, code, NULL), ES_EINVAL);
}

static void verify_step_blocks_replay(void **state)
{
	uint64_t step = 0;
	char next[ES_TOTP_DIGITS + 1];

	(void)state;
	assert_int_equal(es_totp_verify_step(RFC_SECRET, "287082", 59, 0, &step, NULL), 0);
	assert_int_equal(step, 1);
	assert_int_equal(es_totp_verify_step(RFC_SECRET, "287082", 59, step, &step, NULL), ES_EAUTH);
	assert_int_equal(es_totp_verify_step(RFC_SECRET, "287082", 70, 1, NULL, NULL), ES_EAUTH);
	assert_int_equal(es_totp_code(RFC_SECRET, 89, next, NULL), 0);
	assert_int_equal(es_totp_verify_step(RFC_SECRET, next, 70, 1, &step, NULL), 0);
	assert_int_equal(step, 2);
}

static void new_secret_is_random_base32_that_works(void **state)
{
	char a[ES_TOTP_SECRET_B32_LEN], b[ES_TOTP_SECRET_B32_LEN], code[ES_TOTP_DIGITS + 1];
	time_t now = time(NULL);
	size_t i;

	(void)state;
	assert_int_equal(es_totp_secret_new(a, NULL), 0);
	assert_int_equal(es_totp_secret_new(b, NULL), 0);
	assert_int_equal(strlen(a), ES_TOTP_SECRET_B32_LEN - 1);
	assert_string_not_equal(a, b);
	for (i = 0; a[i] != '\0'; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", a[i]));
	assert_int_equal(es_totp_code(a, now, code, NULL), 0);
	assert_int_equal(es_totp_verify(a, code, now, NULL), 0);
}

static void uri_has_issuer_and_encoded_login(void **state)
{
	char uri[256], small[20];
	es_err e = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_totp_uri(uri, sizeof(uri), "alice", RFC_SECRET, NULL), 0);
	assert_string_equal(uri, "otpauth://totp/eseal:alice?secret=" RFC_SECRET "&issuer=eseal");
	assert_int_equal(es_totp_uri(uri, sizeof(uri), "张三 a@b.cn", RFC_SECRET, NULL), 0);
	assert_string_equal(uri, "otpauth://totp/eseal:%E5%BC%A0%E4%B8%89%20a%40b.cn?secret="
			    RFC_SECRET "&issuer=eseal");
	assert_int_equal(es_totp_uri(small, sizeof(small), "alice", RFC_SECRET, &e), ES_ERANGE);
	assert_string_equal(small, "");
	assert_int_equal(es_totp_uri(uri, sizeof(uri), "", RFC_SECRET, NULL), ES_EINVAL);
	assert_int_equal(es_totp_uri(uri, sizeof(uri), NULL, RFC_SECRET, NULL), ES_EINVAL);
	assert_int_equal(es_totp_uri(uri, sizeof(uri), "alice", "x&issuer=evil", NULL), ES_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(code_matches_rfc6238_vectors),
		cmocka_unit_test(verify_accepts_one_step_either_side),
		cmocka_unit_test(verify_rejects_wrong_and_malformed_codes),
		cmocka_unit_test(verify_rejects_malformed_secrets),
		cmocka_unit_test(verify_step_blocks_replay),
		cmocka_unit_test(new_secret_is_random_base32_that_works),
		cmocka_unit_test(uri_has_issuer_and_encoded_login),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
