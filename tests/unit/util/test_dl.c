/* Libraries loaded on first use (src/util/dl.c).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "util/dl.h"

typedef const char *(*version_fn)(void);

static int after_load_calls;

static void count_load(void)
{
	after_load_calls++;
}

static void resolves_symbols_once(void **state)
{
	static version_fn zver;
	static const char *const names[] = {"libz.so.1", NULL};
	static const es_dl_sym syms[] = {{"zlibVersion", (void **)&zver}};
	static es_dl_lib lib = {names, syms, 1, "zlib1g", count_load, 0, ""};
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_dl_require(&lib, &err), 0);
	assert_non_null(zver);
	assert_true(strlen(zver()) > 0);
	assert_int_equal(es_dl_require(&lib, &err), 0);
	assert_int_equal(after_load_calls, 1);
}

static void missing_library_names_the_package(void **state)
{
	static void *sym;
	static const char *const names[] = {"libeseal-no-such-library.so.9", "libeseal-nor-this.so.1", NULL};
	static const es_dl_sym syms[] = {{"anything", &sym}};
	static es_dl_lib lib = {names, syms, 1, "eseal-missing-package", NULL, 0, ""};
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_dl_require(&lib, &err), ES_ENOTSUP);
	assert_non_null(strstr(err.msg, "libeseal-no-such-library.so.9"));
	assert_non_null(strstr(err.msg, "eseal-missing-package"));
	/* the same answer later, without trying again */
	err = (es_err)ES_ERR_INIT;
	assert_int_equal(es_dl_require(&lib, &err), ES_ENOTSUP);
	assert_non_null(strstr(err.msg, "eseal-missing-package"));
}

static void missing_symbol_is_refused(void **state)
{
	static void *ok, *missing;
	static const char *const names[] = {"libz.so.1", NULL};
	static const es_dl_sym syms[] = {{"zlibVersion", &ok}, {"es_no_such_symbol_in_zlib", &missing}};
	static es_dl_lib lib = {names, syms, 2, "zlib1g", NULL, 0, ""};
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_dl_require(&lib, &err), ES_ENOTSUP);
	assert_non_null(strstr(err.msg, "es_no_such_symbol_in_zlib"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resolves_symbols_once),
		cmocka_unit_test(missing_library_names_the_package),
		cmocka_unit_test(missing_symbol_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
