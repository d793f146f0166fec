/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "eseal/auth.h"

/* GB 11643-1999 example number and published company codes (GB 32100). */
#define RID_STANDARD "11010519491231002X"
#define USCC_SAMPLE "91350100M000100Y43"

/* The message must never contain the whole (or most of the) number. */
static void assert_no_number(const es_err *e, const char *number)
{
	char head[12];

	snprintf(head, sizeof(head), "%.10s", number);
	assert_null(strstr(e->msg, number));
	assert_null(strstr(e->msg, head));
}

static void expect_fail(int (*fn)(const char *, es_err *), const char *v, const char *needle)
{
	es_err e = ES_ERR_INIT;

	assert_int_equal(fn(v, &e), ES_EIDENTITY);
	assert_int_equal(e.code, ES_EIDENTITY);
	if (strstr(e.msg, needle) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, needle);
	if (v != NULL && strlen(v) >= 10)
		assert_no_number(&e, v);
}

static void uscc_accepts_published_codes(void **state)
{
	static const char *good[] = {
		USCC_SAMPLE, "914403001922038216", "91330100716105852F",
		"9144030071526726XG", "91110108551385082Q"};
	char norm[ES_USCC_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(es_uscc_check(good[i], NULL), 0);
	assert_int_equal(es_uscc_normalise(norm, "91350100m000100y43", NULL), 0);
	assert_string_equal(norm, USCC_SAMPLE);
}

static void uscc_rejects_each_single_character_change(void **state)
{
	char v[ES_USCC_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < ES_USCC_LEN; i++) {
		es_err e = ES_ERR_INIT;

		memcpy(v, USCC_SAMPLE, sizeof(v));
		/* 0->1 / letters->next allowed letter keeps the alphabet valid */
		v[i] = v[i] == '9' ? '8' : v[i] == 'Y' ? 'X' : v[i] == 'M' ? 'N' : (char)(v[i] + 1);
		assert_int_equal(es_uscc_check(v, &e), ES_EIDENTITY);
		assert_no_number(&e, v);
	}
}

static void uscc_errors_name_the_problem(void **state)
{
	(void)state;
	expect_fail(es_uscc_check, NULL, "missing");
	expect_fail(es_uscc_check, "", "missing");
	expect_fail(es_uscc_check, "91350100M000100Y4", "18 characters, got 17");
	expect_fail(es_uscc_check, "91350100M000100Y433", "got 19");
	expect_fail(es_uscc_check, "91350100M000I00Y43", "character 13 ('I')");
	expect_fail(es_uscc_check, "91350100O000100Y43", "character 9 ('O')");
	expect_fail(es_uscc_check, "91350100M000100Z43", "character 16 ('Z')");
	expect_fail(es_uscc_check, "91350100M000100S43", "not allowed");
	expect_fail(es_uscc_check, "B1350100M000100Y43", "registration authority");
	expect_fail(es_uscc_check, "9135A100M000100Y43", "character 5 ('A') must be a digit");
	expect_fail(es_uscc_check, "91350100M000100Y44", "check character");
}

static void resident_id_accepts_standard_example(void **state)
{
	char norm[ES_RESIDENT_ID_LEN + 1];

	(void)state;
	assert_int_equal(es_resident_id_check(RID_STANDARD, NULL), 0);
	assert_int_equal(es_resident_id_check("440308199901101512", NULL), 0);
	/* 2000 is a leap year */
	assert_int_equal(es_resident_id_check("110101200002290018", NULL), 0);
	/* lower-case x is X */
	assert_int_equal(es_resident_id_normalise(norm, "11010519491231002x", NULL), 0);
	assert_string_equal(norm, RID_STANDARD);
}

static void resident_id_rejects_each_single_digit_change(void **state)
{
	char v[ES_RESIDENT_ID_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < ES_RESIDENT_ID_LEN; i++) {
		es_err e = ES_ERR_INIT;

		memcpy(v, RID_STANDARD, sizeof(v));
		v[i] = v[i] == 'X' ? '0' : v[i] == '9' ? '0' : (char)(v[i] + 1);
		assert_int_equal(es_resident_id_check(v, &e), ES_EIDENTITY);
		assert_no_number(&e, v);
	}
}

static void resident_id_errors_name_the_problem(void **state)
{
	(void)state;
	expect_fail(es_resident_id_check, NULL, "missing");
	expect_fail(es_resident_id_check, "11010519491231002", "18 characters, got 17");
	expect_fail(es_resident_id_check, "11010519491231002X1", "got 19");
	expect_fail(es_resident_id_check, "1101051949123100AX", "character 17 ('A') must be a digit");
	expect_fail(es_resident_id_check, "X10105194912310021", "character 1 ('X')");
	expect_fail(es_resident_id_check, "11010519491231002Y", "character 18 ('Y') must be a digit or X");
	expect_fail(es_resident_id_check, "110105194912310029", "check character");
	/* 1900 is not a leap year (check character is right for the digits) */
	expect_fail(es_resident_id_check, "110101190002290011", "birth date");
	expect_fail(es_resident_id_check, "110101202302300010", "birth date");
	expect_fail(es_resident_id_check, "110101200013010018", "birth date");
	expect_fail(es_resident_id_check, "11010118991231001X", "year 1900 or later");
	expect_fail(es_resident_id_check, "110101209901010017", "in the future");
}

static void resident_id_accepts_birth_today_and_rejects_tomorrow(void **state)
{
	/* Build an ID for a birth date in Beijing time, computing the check
	 * character independently of the library. */
	static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	time_t t[2] = {time(NULL) + 8 * 3600, time(NULL) + 8 * 3600 + 2 * 86400};
	char id[64];
	struct tm tm;
	int k, i, sum;

	(void)state;
	for (k = 0; k < 2; k++) {
		gmtime_r(&t[k], &tm);
		snprintf(id, sizeof(id), "110101%04d%02d%02d001?", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday);
		assert_int_equal(strlen(id), ES_RESIDENT_ID_LEN);
		for (sum = 0, i = 0; i < 17; i++)
			sum += (id[i] - '0') * w[i];
		id[17] = "10X98765432"[sum % 11];
		assert_int_equal(es_resident_id_check(id, NULL), k == 0 ? 0 : ES_EIDENTITY);
	}
}

static void bank_card_accepts_luhn_numbers_with_spaces(void **state)
{
	char norm[ES_BANK_CARD_MAX_DIGITS + 1];

	(void)state;
	assert_int_equal(es_bank_card_check("4111111111111111", NULL), 0);
	assert_int_equal(es_bank_card_check("4111 1111 1111 1111", NULL), 0);
	assert_int_equal(es_bank_card_check("6222021234567890128", NULL), 0); /* 19 */
	assert_int_equal(es_bank_card_check("622202123452", NULL), 0);        /* 12 */
	assert_int_equal(es_bank_card_normalise(norm, " 6222 0212 3456 7890 128 ", NULL), 0);
	assert_string_equal(norm, "6222021234567890128");
}

static void bank_card_errors_name_the_problem(void **state)
{
	char v[] = "6222021234567890128";
	size_t i;

	(void)state;
	expect_fail(es_bank_card_check, NULL, "missing");
	expect_fail(es_bank_card_check, "62220212345", "12 to 19 digits, got 11");
	expect_fail(es_bank_card_check, "62220212345678901280", "got 20");
	expect_fail(es_bank_card_check, "    ", "got 0");
	expect_fail(es_bank_card_check, "6222-0212-3456-7890", "character 5 ('-')");
	expect_fail(es_bank_card_check, "4111111111111112", "check digit");
	for (i = 0; i < strlen(v); i++) {
		char c = v[i];

		v[i] = c == '9' ? '0' : (char)(c + 1);
		assert_int_equal(es_bank_card_check(v, NULL), ES_EIDENTITY);
		v[i] = c;
	}
}

static void mobile_accepts_mainland_numbers_only(void **state)
{
	(void)state;
	assert_int_equal(es_mobile_check("13800138000", NULL), 0);
	assert_int_equal(es_mobile_check("19912345678", NULL), 0);
	expect_fail(es_mobile_check, NULL, "missing");
	expect_fail(es_mobile_check, "1380013800", "got 10");
	expect_fail(es_mobile_check, "+8613800138000", "without +86");
	expect_fail(es_mobile_check, "1380013800a", "character 11 ('a')");
	expect_fail(es_mobile_check, "12800138000", "13 to 19");
	expect_fail(es_mobile_check, "23800138000", "13 to 19");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uscc_accepts_published_codes),
		cmocka_unit_test(uscc_rejects_each_single_character_change),
		cmocka_unit_test(uscc_errors_name_the_problem),
		cmocka_unit_test(resident_id_accepts_standard_example),
		cmocka_unit_test(resident_id_rejects_each_single_digit_change),
		cmocka_unit_test(resident_id_errors_name_the_problem),
		cmocka_unit_test(resident_id_accepts_birth_today_and_rejects_tomorrow),
		cmocka_unit_test(bank_card_accepts_luhn_numbers_with_spaces),
		cmocka_unit_test(bank_card_errors_name_the_problem),
		cmocka_unit_test(mobile_accepts_mainland_numbers_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
