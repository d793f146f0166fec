/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "eseal/auth.h"

static void mask_id_keeps_first_three_and_last_four(void **state)
{
	char out[ES_MASK_LEN];

	(void)state;
	assert_int_equal(es_mask_id(out, sizeof(out), "11010519491231002X", NULL), 0);
	assert_string_equal(out, "110***********002X");
	assert_int_equal(es_mask_id(out, sizeof(out), "110105194912311234", NULL), 0);
	assert_string_equal(out, "110***********1234");
	/* too short to keep both ends: everything masked */
	assert_int_equal(es_mask_id(out, sizeof(out), "1234567", NULL), 0);
	assert_string_equal(out, "*******");
}

static void mask_bank_card_groups_by_four(void **state)
{
	char out[ES_MASK_LEN];

	(void)state;
	assert_int_equal(es_mask_bank_card(out, sizeof(out), "6222021234561234", NULL), 0);
	assert_string_equal(out, "6222 **** **** 1234");
	assert_int_equal(es_mask_bank_card(out, sizeof(out), "6222 0212 3456 1234", NULL), 0);
	assert_string_equal(out, "6222 **** **** 1234");
	assert_int_equal(es_mask_bank_card(out, sizeof(out), "6222021234567890128", NULL), 0);
	assert_string_equal(out, "6222 **** **** *** 0128");
	assert_int_equal(es_mask_bank_card(out, sizeof(out), "622202123452", NULL), 0);
	assert_string_equal(out, "6222 **** 3452");
	assert_int_equal(es_mask_bank_card(out, sizeof(out), "12345678", NULL), 0);
	assert_string_equal(out, "**** ****");
}

static void mask_mobile_keeps_three_and_four(void **state)
{
	char out[ES_MASK_LEN];

	(void)state;
	assert_int_equal(es_mask_mobile(out, sizeof(out), "13812345678", NULL), 0);
	assert_string_equal(out, "138****5678");
}

static void mask_name_is_utf8_aware(void **state)
{
	char out[ES_MASK_LEN];

	(void)state;
	assert_int_equal(es_mask_name(out, sizeof(out), "张三", NULL), 0);
	assert_string_equal(out, "张*");
	assert_int_equal(es_mask_name(out, sizeof(out), "张小明", NULL), 0);
	assert_string_equal(out, "张*明");
	assert_int_equal(es_mask_name(out, sizeof(out), "欧阳小锋", NULL), 0);
	assert_string_equal(out, "欧**锋");
	assert_int_equal(es_mask_name(out, sizeof(out), "买买提·艾力", NULL), 0);
	assert_string_equal(out, "买****力");
	assert_int_equal(es_mask_name(out, sizeof(out), "王", NULL), 0);
	assert_string_equal(out, "*");
	assert_int_equal(es_mask_name(out, sizeof(out), "Li", NULL), 0);
	assert_string_equal(out, "L*");
	assert_int_equal(es_mask_name(out, sizeof(out), "", NULL), 0);
	assert_string_equal(out, "");
}

static void mask_rejects_bad_utf8_and_null(void **state)
{
	char out[ES_MASK_LEN] = "x";
	es_err e = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_mask_name(out, sizeof(out), "\xe5\xbc", &e), ES_EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(es_mask_name(out, sizeof(out), "\xc0\xaf", NULL), ES_EINVAL); /* overlong */
	assert_int_equal(es_mask_name(out, sizeof(out), "\xed\xa0\x80", NULL), ES_EINVAL); /* surrogate */
	assert_int_equal(es_mask_name(out, sizeof(out), "\xf4\x90\x80\x80", NULL), ES_EINVAL); /* > U+10FFFF */
	/* four-byte characters count as one */
	assert_int_equal(es_mask_name(out, sizeof(out), "\xf0\xa0\x80\x80\xe5\xbc\xa0\xf0\xa0\x80\x81", NULL), 0);
	assert_string_equal(out, "\xf0\xa0\x80\x80*\xf0\xa0\x80\x81");
	assert_int_equal(es_mask_id(out, sizeof(out), NULL, NULL), ES_EINVAL);
	assert_int_equal(es_mask_bank_card(out, sizeof(out), NULL, NULL), ES_EINVAL);
}

static void mask_reports_small_buffer_without_partial_output(void **state)
{
	char out[8];
	es_err e = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_mask_id(out, sizeof(out), "11010519491231002X", &e), ES_ERANGE);
	assert_string_equal(out, "");
	assert_int_equal(es_mask_bank_card(out, sizeof(out), "6222021234561234", NULL), ES_ERANGE);
	assert_string_equal(out, "");
	assert_int_equal(es_mask_name(out, 4, "张小明", NULL), ES_ERANGE);
	assert_string_equal(out, "");
	assert_int_equal(es_mask_mobile(out, 0, "13812345678", NULL), ES_ERANGE);
	/* exactly enough */
	assert_int_equal(es_mask_name(out, 8, "张小明", NULL), 0);
	assert_string_equal(out, "张*明");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mask_id_keeps_first_three_and_last_four),
		cmocka_unit_test(mask_bank_card_groups_by_four),
		cmocka_unit_test(mask_mobile_keeps_three_and_four),
		cmocka_unit_test(mask_name_is_utf8_aware),
		cmocka_unit_test(mask_rejects_bad_utf8_and_null),
		cmocka_unit_test(mask_reports_small_buffer_without_partial_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
