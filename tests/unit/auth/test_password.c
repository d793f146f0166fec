/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "eseal/auth.h"

/* Argon2id known answer from the reference implementation's tests
 * (phc-winner-argon2 src/test.c): "password", salt "somesalt", t=2, 64 MiB. */
#define REF_HASH "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"

static int cheap_params(void **state)
{
	(void)state;
	/* Keep the suite fast: 64 KiB, one pass (docs/identity.md). */
	setenv("ESEAL_ARGON2_M_KIB", "64", 1);
	setenv("ESEAL_ARGON2_T", "1", 1);
	return 0;
}

static void hash_then_verify_round_trips(void **state)
{
	char h1[ES_PASSWORD_HASH_LEN], h2[ES_PASSWORD_HASH_LEN];
	es_err e = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_password_hash(h1, "Correct horse 9", NULL), 0);
	assert_int_equal(strncmp(h1, "$argon2id$v=19$m=64,t=1,p=1$", 28), 0);
	assert_int_equal(es_password_verify(h1, "Correct horse 9", NULL), 0);
	assert_int_equal(es_password_verify(h1, "Correct horse 8", &e), ES_EAUTH);
	assert_int_equal(e.code, ES_EAUTH);
	assert_null(strstr(e.msg, "horse"));
	assert_int_equal(es_password_verify(h1, "", NULL), ES_EAUTH);
	/* fresh salt every time */
	assert_int_equal(es_password_hash(h2, "Correct horse 9", NULL), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(es_password_verify(h2, "Correct horse 9", NULL), 0);
}

static void verify_accepts_reference_vector(void **state)
{
	(void)state;
	assert_int_equal(es_password_verify(REF_HASH, "password", NULL), 0);
	assert_int_equal(es_password_verify(REF_HASH, "passwore", NULL), ES_EAUTH);
}

static void verify_detects_tampered_hash(void **state)
{
	char h[] = REF_HASH;
	size_t n = strlen(h);

	(void)state;
	h[n - 10] = h[n - 10] == 'A' ? 'B' : 'A';
	assert_int_equal(es_password_verify(h, "password", NULL), ES_EAUTH);
}

static void verify_rejects_foreign_or_broken_hashes(void **state)
{
	es_err e = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_password_verify(
		"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
		"password", &e), ES_EFORMAT);
	assert_non_null(strstr(e.msg, "not an Argon2id"));
	assert_int_equal(es_password_verify("$2y$10$abcdefghijklmnopqrstuv", "x", NULL), ES_EFORMAT);
	assert_int_equal(es_password_verify(NULL, "x", NULL), ES_EFORMAT);
	assert_int_equal(es_password_verify("$argon2id$v=19$m=65536,t=2,p=1$", "x", NULL), ES_EFORMAT);
	assert_int_equal(es_password_verify("$argon2id$v=19$m=abc,t=2,p=1$c29tZXNhbHQ$CTFh", "x", &e),
			 ES_EFORMAT);
	assert_non_null(strstr(e.msg, "parameters"));
	/* parameters beyond our range are refused before any work is done */
	assert_int_equal(es_password_verify(
		"$argon2id$v=19$m=99999999,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"password", NULL), ES_EFORMAT);
	assert_int_equal(es_password_verify(
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$!!!!", "password", NULL), ES_EFORMAT);
}

static void hash_rejects_bad_overrides(void **state)
{
	char h[ES_PASSWORD_HASH_LEN];
	es_err e = ES_ERR_INIT;

	(void)state;
	setenv("ESEAL_ARGON2_M_KIB", "lots", 1);
	assert_int_equal(es_password_hash(h, "Correct horse 9", &e), ES_EINVAL);
	assert_non_null(strstr(e.msg, "ESEAL_ARGON2_M_KIB"));
	assert_string_equal(h, "");
	setenv("ESEAL_ARGON2_M_KIB", "4", 1); /* below libargon2's 8 KiB */
	assert_int_equal(es_password_hash(h, "Correct horse 9", NULL), ES_EINVAL);
	setenv("ESEAL_ARGON2_M_KIB", "64", 1);
	setenv("ESEAL_ARGON2_T", "0", 1);
	assert_int_equal(es_password_hash(h, "Correct horse 9", &e), ES_EINVAL);
	assert_non_null(strstr(e.msg, "ESEAL_ARGON2_T"));
	setenv("ESEAL_ARGON2_T", "1", 1);
}

static void hash_uses_default_cost_without_overrides(void **state)
{
	char h[ES_PASSWORD_HASH_LEN];

	(void)state;
	unsetenv("ESEAL_ARGON2_M_KIB");
	unsetenv("ESEAL_ARGON2_T");
	assert_int_equal(es_password_hash(h, "Correct horse 9", NULL), 0);
	assert_int_equal(strncmp(h, "$argon2id$v=19$m=65536,t=3,p=1$", 31), 0);
	assert_int_equal(es_password_needs_rehash(h, NULL), 0);
	assert_int_equal(es_password_needs_rehash(REF_HASH, NULL), 1); /* t=2 < 3 */
	cheap_params(NULL);
	/* cheaper parameters now: the stronger stored hash is kept, not weakened */
	assert_int_equal(es_password_needs_rehash(h, NULL), 0);
	assert_int_equal(es_password_needs_rehash(REF_HASH, NULL), 0);
}

static void needs_rehash_follows_parameters(void **state)
{
	char h[ES_PASSWORD_HASH_LEN];

	(void)state;
	assert_int_equal(es_password_hash(h, "Correct horse 9", NULL), 0);
	assert_int_equal(es_password_needs_rehash(h, NULL), 0);
	setenv("ESEAL_ARGON2_T", "2", 1);
	assert_int_equal(es_password_needs_rehash(h, NULL), 1);
	setenv("ESEAL_ARGON2_T", "1", 1);
	assert_int_equal(es_password_needs_rehash("bogus", NULL), ES_EFORMAT);
}

static void overlong_passwords_are_refused(void **state)
{
	char *big = malloc(ES_PASSWORD_MAX_BYTES + 2);
	char h[ES_PASSWORD_HASH_LEN];

	(void)state;
	assert_non_null(big);
	memset(big, 'a', ES_PASSWORD_MAX_BYTES + 1);
	big[ES_PASSWORD_MAX_BYTES + 1] = '\0';
	assert_int_equal(es_password_hash(h, big, NULL), ES_EINVAL);
	assert_int_equal(es_password_verify(REF_HASH, big, NULL), ES_EAUTH);
	assert_int_equal(es_password_policy_check(big, NULL), ES_EINVAL);
	free(big);
}

static void expect_policy(const char *pw, const char *needle)
{
	es_err e = ES_ERR_INIT;

	assert_int_equal(es_password_policy_check(pw, &e), ES_EINVAL);
	if (strstr(e.msg, needle) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, needle);
	if (pw != NULL && pw[0] != '\0')
		assert_null(strstr(e.msg, pw));
}

static void policy_says_what_is_wrong(void **state)
{
	(void)state;
	expect_policy(NULL, "empty");
	expect_policy("", "empty");
	expect_policy("Abc12345", "at least 10");
	expect_policy("abcdefghijkl", "only lower-case letters");
	expect_policy("ABCDEFGHIJKL", "only upper-case letters");
	expect_policy("123456789012", "only digits");
	expect_policy("!@#$%^&*()_+", "only symbols");
	expect_policy("密码密码密码密码密码密码", "only symbols");
	expect_policy("abcdefghij\n1", "control character");
	expect_policy("abcdefghij\xff" "1", "UTF-8");
	/* nine Chinese characters are 27 bytes but only 9 characters */
	expect_policy("密码密码密码密码1", "at least 10");
}

static void policy_accepts_mixed_passwords(void **state)
{
	(void)state;
	assert_int_equal(es_password_policy_check("correct horse 9", NULL), 0);
	assert_int_equal(es_password_policy_check("abcdefghiJ", NULL), 0);
	assert_int_equal(es_password_policy_check("我的印章密码2026", NULL), 0);
	assert_int_equal(es_password_policy_check("1234567890!", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_then_verify_round_trips),
		cmocka_unit_test(verify_accepts_reference_vector),
		cmocka_unit_test(verify_detects_tampered_hash),
		cmocka_unit_test(verify_rejects_foreign_or_broken_hashes),
		cmocka_unit_test(hash_rejects_bad_overrides),
		cmocka_unit_test(hash_uses_default_cost_without_overrides),
		cmocka_unit_test(needs_rehash_follows_parameters),
		cmocka_unit_test(overlong_passwords_are_refused),
		cmocka_unit_test(policy_says_what_is_wrong),
		cmocka_unit_test(policy_accepts_mixed_passwords),
	};
	return cmocka_run_group_tests(tests, cheap_params, NULL);
}
