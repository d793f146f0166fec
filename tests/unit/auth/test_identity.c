/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "eseal/auth.h"

#define FAKE_IDP "'" ESEAL_SOURCE_DIR "/tests/fixtures/fake-idp.sh'"
#define RID "11010519491231002X"
#define CARD "6222021234567890128"

static const es_identity ZHANG = {"person", "张小明", RID, NULL, "13812345678", NULL};
static const es_identity WANG = {"person", "王五", RID, NULL, NULL, NULL};

static int reset_env(void **state)
{
	(void)state;
	unsetenv("ESEAL_IDP_CMD");
	unsetenv("ESEAL_IDP_TIMEOUT_MS");
	return 0;
}

static void assert_has(const char *s, const char *needle)
{
	if (strstr(s, needle) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", s, needle);
}

/* Neither err nor reason may carry a full number. */
static void assert_clean(const es_err *e, const char *reason)
{
	static const char *numbers[] = {RID, CARD, "13812345678", "91350100M000100Y43"};
	size_t i;

	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		assert_null(strstr(e->msg, numbers[i]));
		assert_null(strstr(reason, numbers[i]));
	}
}

static int verify_with(const char *cmd, const es_identity *id, char *reason, size_t cap,
		       es_err *e)
{
	setenv("ESEAL_IDP_CMD", cmd, 1);
	return es_identity_verify(id, reason, cap, e);
}

static void builtin_checks_pass_without_provider(void **state)
{
	es_identity org = {"organisation", "厦门某某有限公司", NULL, NULL, NULL, "91350100M000100Y43"};
	es_identity card = {"bank-card", "张小明", "11010519491231002x", "6222 0212 3456 7890 128",
			    "13812345678", NULL};
	char reason[256];

	(void)state;
	assert_int_equal(es_identity_verify(&ZHANG, reason, sizeof(reason), NULL), 0);
	assert_has(reason, "no identity provider configured");
	assert_int_equal(es_identity_verify(&org, reason, sizeof(reason), NULL), 0);
	assert_int_equal(es_identity_verify(&card, NULL, 0, NULL), 0);
}

static void expect_builtin_fail(es_identity id, const char *needle)
{
	char reason[256];
	es_err e = ES_ERR_INIT;

	assert_int_equal(es_identity_verify(&id, reason, sizeof(reason), &e), ES_EIDENTITY);
	assert_int_equal(e.code, ES_EIDENTITY);
	assert_has(e.msg, needle);
	assert_string_equal(reason, e.msg);
	assert_clean(&e, reason);
}

static void builtin_checks_explain_failures(void **state)
{
	(void)state;
	/* the provider must not even be asked: it would say "match" */
	setenv("ESEAL_IDP_CMD", "echo '{\"match\":true}'", 1);
	expect_builtin_fail((es_identity){"robot", "x", RID, NULL, NULL, NULL}, "unknown identity kind");
	expect_builtin_fail((es_identity){NULL, "x", RID, NULL, NULL, NULL}, "unknown identity kind");
	expect_builtin_fail((es_identity){"person", NULL, RID, NULL, NULL, NULL}, "name is required");
	expect_builtin_fail((es_identity){"person", "张三", "", NULL, NULL, NULL},
			    "resident ID number is required");
	expect_builtin_fail((es_identity){"person", "张三", "11010519491231002Y", NULL, NULL, NULL},
			    "character 18");
	expect_builtin_fail((es_identity){"person", "张三", "110105194912310021", NULL, NULL, NULL},
			    "check character");
	expect_builtin_fail((es_identity){"person", "张\n三", RID, NULL, NULL, NULL}, "printable");
	expect_builtin_fail((es_identity){"person", "张三", RID, NULL, "1381234567", NULL},
			    "mobile number must be 11 digits");
	expect_builtin_fail((es_identity){"organisation", "某公司", NULL, NULL, NULL, NULL},
			    "unified social credit code is required");
	expect_builtin_fail((es_identity){"organisation", "某公司", NULL, NULL, NULL,
					  "91350100M000100Y44"}, "check character");
	expect_builtin_fail((es_identity){"bank-card", "张三", RID, NULL, NULL, NULL},
			    "bank card number is required");
	expect_builtin_fail((es_identity){"bank-card", "张三", RID, "6222021234567890129", NULL, NULL},
			    "check digit");
}

static void fake_provider_confirms_and_refuses(void **state)
{
	char reason[256];
	es_err e = ES_ERR_INIT;

	(void)state;
	assert_int_equal(verify_with(FAKE_IDP, &ZHANG, reason, sizeof(reason), &e), 0);
	assert_string_equal(reason, "identity confirmed by the identity provider");
	assert_int_equal(verify_with(FAKE_IDP, &WANG, reason, sizeof(reason), &e), ES_EIDENTITY);
	assert_string_equal(reason, "姓名与身份证号不一致");
	assert_int_equal(e.code, ES_EIDENTITY);
	assert_has(e.msg, "姓名与身份证号不一致");
	assert_clean(&e, reason);
}

static void provider_gets_normalised_json_on_stdin(void **state)
{
	es_identity card = {"bank-card", "张小明", "11010519491231002x", "6222 0212 3456 7890 128",
			    "13812345678", NULL};
	char path[] = "/tmp/es-idp-XXXXXX", cmd[256];
	json_t *j;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "cat > '%s'; echo '{\"match\":true,\"reason\":\"ok\"}'", path);
	assert_int_equal(verify_with(cmd, &card, NULL, 0, NULL), 0);
	j = json_load_file(path, 0, NULL);
	unlink(path);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "bank-card");
	assert_string_equal(json_string_value(json_object_get(j, "name")), "张小明");
	assert_string_equal(json_string_value(json_object_get(j, "id_number")), RID);
	assert_string_equal(json_string_value(json_object_get(j, "id_number_masked")),
			    "110***********002X");
	assert_string_equal(json_string_value(json_object_get(j, "bank_card")), CARD);
	assert_string_equal(json_string_value(json_object_get(j, "bank_card_masked")),
			    "6222 **** **** *** 0128");
	assert_string_equal(json_string_value(json_object_get(j, "mobile")), "13812345678");
	assert_string_equal(json_string_value(json_object_get(j, "mobile_masked")), "138****5678");
	assert_true(json_is_null(json_object_get(j, "uscc")));
	json_decref(j);
}

static void expect_provider_failure(const char *cmd, const char *needle)
{
	char reason[256];
	es_err e = ES_ERR_INIT;

	assert_int_equal(verify_with(cmd, &ZHANG, reason, sizeof(reason), &e), ES_EIDENTITY);
	assert_int_equal(e.code, ES_EIDENTITY);
	assert_has(e.msg, "identity provider failed: ");
	assert_has(e.msg, needle);
	assert_string_equal(reason, e.msg);
	assert_clean(&e, reason);
}

static void provider_failures_are_told_apart(void **state)
{
	(void)state;
	expect_provider_failure("/nonexistent/idp-program", "program not found");
	expect_provider_failure("'" ESEAL_SOURCE_DIR "/tests/unit/auth/CMakeLists.txt'",
				"not executable");
	expect_provider_failure("cat >/dev/null; exit 3", "exited with status 3");
	expect_provider_failure("kill -9 $$", "killed by signal 9");
	expect_provider_failure("echo garbage", "not a JSON object");
	expect_provider_failure("echo '[true]'", "not a JSON object");
	expect_provider_failure("true", "not a JSON object");
	expect_provider_failure("echo '{\"match\":\"yes\"}'", "no boolean \"match\"");
	expect_provider_failure("yes '{}' | head -n 40000", "larger than 65536 bytes");
}

static void provider_timeout_kills_it(void **state)
{
	struct timespec a, b;
	double s;

	(void)state;
	setenv("ESEAL_IDP_TIMEOUT_MS", "300", 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	expect_provider_failure("sleep 5; echo '{\"match\":true}'", "no answer within 300 ms");
	/* closes stdout early, then hangs before exiting */
	expect_provider_failure("exec >&-; sleep 5", "no exit within 300 ms");
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	assert_true(s < 3.0);
}

static void bad_timeout_setting_is_reported(void **state)
{
	es_err e = ES_ERR_INIT;

	(void)state;
	setenv("ESEAL_IDP_TIMEOUT_MS", "soon", 1);
	assert_int_equal(verify_with(FAKE_IDP, &ZHANG, NULL, 0, &e), ES_EINVAL);
	assert_has(e.msg, "ESEAL_IDP_TIMEOUT_MS");
	setenv("ESEAL_IDP_TIMEOUT_MS", "0", 1);
	assert_int_equal(verify_with(FAKE_IDP, &ZHANG, NULL, 0, NULL), ES_EINVAL);
}

static void provider_reason_never_echoes_input(void **state)
{
	char reason[256];
	es_err e = ES_ERR_INIT;

	(void)state;
	assert_int_equal(verify_with(
		"printf '%s' '{\"match\":false,\"reason\":\"" RID " / 11010519491231002x 张小明 "
		"13812345678 ref 12345678\\u0007end\"}'", &ZHANG, reason, sizeof(reason), &e),
		ES_EIDENTITY);
	assert_clean(&e, reason);
	assert_null(strstr(reason, "张小明"));
	assert_null(strstr(reason, "11010519491231002x"));
	assert_null(strstr(reason, "12345678"));
	assert_null(strchr(reason, '\a'));
	assert_has(reason, "110***********002X");
	assert_has(reason, "张*明");
	assert_has(reason, "138****5678");
	assert_has(reason, " end");
}

static void provider_reason_is_truncated_on_a_character_boundary(void **state)
{
	char cmd[2048] = "printf '%s' '{\"match\":false,\"reason\":\"", reason[512];
	size_t i, n;
	es_err e = ES_ERR_INIT;

	(void)state;
	for (i = 0; i < 300; i++)
		strncat(cmd, "错", sizeof(cmd) - strlen(cmd) - 1);
	strncat(cmd, "\"}'", sizeof(cmd) - strlen(cmd) - 1);
	assert_int_equal(verify_with(cmd, &ZHANG, reason, sizeof(reason), &e), ES_EIDENTITY);
	n = strlen(reason);
	assert_true(n <= ES_IDP_REASON_MAX);
	assert_int_equal(n % 3, 0); /* whole 3-byte characters only */
	assert_true(n > 0);
	assert_memory_equal(reason, "错错", 6);
	/* a small caller buffer also gets whole characters */
	assert_int_equal(verify_with(FAKE_IDP, &WANG, reason, 8, NULL), ES_EIDENTITY);
	assert_string_equal(reason, "姓名");
}

static void provider_match_with_reason_is_passed_on(void **state)
{
	char reason[256];

	(void)state;
	assert_int_equal(verify_with("cat >/dev/null; echo '{\"match\":true,\"reason\":\"三要素一致\"}'",
				     &ZHANG, reason, sizeof(reason), NULL), 0);
	assert_string_equal(reason, "三要素一致");
	/* a provider that never reads its stdin still works (no SIGPIPE) */
	assert_int_equal(verify_with("echo '{\"match\":true}'", &ZHANG, NULL, 0, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(builtin_checks_pass_without_provider, reset_env),
		cmocka_unit_test_setup(builtin_checks_explain_failures, reset_env),
		cmocka_unit_test_setup(fake_provider_confirms_and_refuses, reset_env),
		cmocka_unit_test_setup(provider_gets_normalised_json_on_stdin, reset_env),
		cmocka_unit_test_setup(provider_failures_are_told_apart, reset_env),
		cmocka_unit_test_setup(provider_timeout_kills_it, reset_env),
		cmocka_unit_test_setup(bad_timeout_setting_is_reported, reset_env),
		cmocka_unit_test_setup(provider_reason_never_echoes_input, reset_env),
		cmocka_unit_test_setup(provider_reason_is_truncated_on_a_character_boundary, reset_env),
		cmocka_unit_test_setup(provider_match_with_reason_is_passed_on, reset_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
