/* A login brings a password hash made with weaker Argon2id parameters up to
 * today's, and never weakens a stronger one.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eseal/platform.h"
#include "eseal/store.h"

static void stored_hash(es_platform *p, char *out, size_t cap)
{
	es_user_row u = {0};

	assert_int_equal(es_store_user_get(es_platform_store(p), "clerk", &u, NULL), 0);
	snprintf(out, cap, "%s", u.password_hash);
	es_user_row_clear(&u);
}

static void login_rehashes_upwards_only(void **state)
{
	char dir[] = "/tmp/es-rehash-XXXXXX", data[64], h[256], cmd[128];
	const char *roles[] = {"member"};
	const char *pw = "correct horse battery";
	es_user_new u = {0};
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	int64_t uid = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(data, sizeof(data), "%s/d", dir);
	setenv("ESEAL_ARGON2_M_KIB", "8", 1);
	setenv("ESEAL_ARGON2_T", "1", 1);
	assert_int_equal(es_platform_init(data, NULL, &err), 0);
	assert_int_equal(es_platform_open(&p, data, &err), 0);
	u.login = "clerk";
	u.name = "王五";
	u.id_number = "110105199003071239";
	u.roles = roles;
	u.nroles = 1;
	u.password = pw;
	assert_int_equal(es_user_add(p, &u, NULL, &uid, &err), 0);
	stored_hash(p, h, sizeof(h));
	assert_non_null(strstr(h, "m=8,t=1,"));

	/* stronger parameters now: the next login re-hashes */
	setenv("ESEAL_ARGON2_M_KIB", "1024", 1);
	setenv("ESEAL_ARGON2_T", "2", 1);
	assert_int_equal(es_user_authenticate(p, "clerk", pw, NULL, &err), 0);
	stored_hash(p, h, sizeof(h));
	assert_non_null(strstr(h, "m=1024,t=2,"));
	/* a wrong password changes nothing */
	setenv("ESEAL_ARGON2_T", "3", 1);
	assert_int_equal(es_user_authenticate(p, "clerk", "wrong horse battery", NULL, &err), ES_EAUTH);
	stored_hash(p, h, sizeof(h));
	assert_non_null(strstr(h, "m=1024,t=2,"));
	/* weaker parameters now: the stronger hash is kept, and still works */
	setenv("ESEAL_ARGON2_M_KIB", "8", 1);
	setenv("ESEAL_ARGON2_T", "1", 1);
	assert_int_equal(es_user_authenticate(p, "clerk", pw, NULL, &err), 0);
	stored_hash(p, h, sizeof(h));
	assert_non_null(strstr(h, "m=1024,t=2,"));

	es_platform_close(p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(login_rehashes_upwards_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
