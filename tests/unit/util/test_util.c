/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/util.h"
#include "eseal/report.h"

static void base64_round_trips_binary(void **state)
{
	unsigned char in[5] = {0, 1, 0xfe, 0xff, 0x80};
	char *b64 = NULL;
	es_buf out = {0};

	(void)state;
	assert_int_equal(es_base64_encode(&b64, in, sizeof(in), NULL), 0);
	assert_string_equal(b64, "AAH+/4A=");
	assert_int_equal(es_base64_decode(&out, b64, strlen(b64), NULL), 0);
	assert_int_equal(out.len, sizeof(in));
	assert_memory_equal(out.data, in, sizeof(in));
	free(b64);
	es_buf_free(&out, 0);
}

static void base64_rejects_garbage(void **state)
{
	es_buf out = {0};
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_base64_decode(&out, "abc", 3, &err), ES_EFORMAT);
	assert_int_equal(err.code, ES_EFORMAT);
	es_buf_free(&out, 0);
}

static void hex_decode_rejects_odd_and_bad_digits(void **state)
{
	unsigned char b[4];

	(void)state;
	assert_int_equal(es_hex_decode(b, sizeof(b), "0aFF", 4), 2);
	assert_int_equal(b[0], 0x0a);
	assert_int_equal(b[1], 0xff);
	assert_int_equal(es_hex_decode(b, sizeof(b), "abc", 3), -1);
	assert_int_equal(es_hex_decode(b, sizeof(b), "zz", 2), -1);
}

static void atomic_write_replaces_file_with_mode(void **state)
{
	char dir[] = "/tmp/es-util-XXXXXX", path[64];
	es_buf back = {0};
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(es_file_write_atomic(path, "one", 3, 0600, NULL), 0);
	assert_int_equal(es_file_write_atomic(path, "second", 6, 0600, NULL), 0);
	assert_int_equal(es_file_read(&back, path, 100, NULL), 0);
	assert_int_equal(back.len, 6);
	assert_memory_equal(back.data, "second", 6);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	es_buf_free(&back, 0);
	unlink(path);
	rmdir(dir);
}

static void atomic_write_into_missing_dir_fails_cleanly(void **state)
{
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_file_write_atomic("/nonexistent-dir/x", "a", 1, 0600, &err), ES_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x"));
}

static void report_verdict_is_worst_finding(void **state)
{
	es_report r = {0};
	es_sig_report *a, *b;
	char *json = NULL;

	(void)state;
	es_report_finish(&r);
	assert_int_equal(r.verdict, ES_UNREADABLE);
	assert_int_equal(es_report_add_sig(&r, &a, "seal", NULL), 0);
	assert_int_equal(es_report_add_sig(&r, &b, "seal", NULL), 0);
	a = &r.sigs[0];
	b = &r.sigs[1];
	assert_int_equal(es_report_add(&r, a, ES_SEV_INDET, "CHAIN_UNTRUSTED", "x", "x", NULL), 0);
	es_report_finish(&r);
	assert_int_equal(r.verdict, ES_INDETERMINATE);
	assert_int_equal(r.sigs[1].verdict, ES_TOTAL_PASSED);
	assert_int_equal(es_report_add(&r, b, ES_SEV_FAIL, "DIGEST_MISMATCH", "y", "y", NULL), 0);
	es_report_finish(&r);
	assert_int_equal(r.verdict, ES_TOTAL_FAILED);
	assert_int_equal(es_report_json(&json, &r, NULL), 0);
	assert_non_null(strstr(json, "\"verdict\": \"TOTAL_FAILED\""));
	free(json);
	es_report_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(base64_round_trips_binary),
		cmocka_unit_test(base64_rejects_garbage),
		cmocka_unit_test(hex_decode_rejects_odd_and_bad_digits),
		cmocka_unit_test(atomic_write_replaces_file_with_mode),
		cmocka_unit_test(atomic_write_into_missing_dir_fails_cleanly),
		cmocka_unit_test(report_verdict_is_worst_finding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
