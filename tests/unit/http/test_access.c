/* Object scope rules: who sees and who keeps seals, documents, users,
 * applications.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "http/http_int.h"

static es_principal who(const char *login, int64_t org, unsigned roles)
{
	es_principal w;

	memset(&w, 0, sizeof(w));
	snprintf(w.login, sizeof(w.login), "%s", login);
	w.org_id = org;
	w.roles = roles | ES_R_MEMBER;
	return w;
}

static es_seal_row org_seal(int64_t org)
{
	es_seal_row s;

	memset(&s, 0, sizeof(s));
	s.code = "1100000000001";
	s.owner_kind = "org";
	s.owner_org_id = org;
	return s;
}

static void keepers_are_org_admins_and_seal_keepers_of_the_owner(void **state)
{
	es_seal_row s = org_seal(1);
	es_principal oa = who("oa", 1, ES_R_ORG_ADMIN), sk = who("sk", 1, ES_R_SEAL_KEEPER),
		     mem = who("mem", 1, 0), ob = who("ob", 2, ES_R_ORG_ADMIN),
		     pa = who("admin", 0, ES_R_PLATFORM_ADMIN), rv = who("rev", 0, ES_R_REVIEWER);

	(void)state;
	assert_true(es_seal_keeps(&oa, &s));
	assert_true(es_seal_keeps(&sk, &s));
	assert_true(es_seal_keeps(&pa, &s));
	assert_false(es_seal_keeps(&mem, &s));
	assert_false(es_seal_keeps(&ob, &s));
	assert_false(es_seal_keeps(&rv, &s));
	/* state changes: org admins, not keepers */
	assert_true(es_seal_admin(&oa, &s));
	assert_false(es_seal_admin(&sk, &s));
	assert_false(es_seal_admin(&ob, &s));
}

static void personal_seal_belongs_to_its_owner(void **state)
{
	es_seal_row s;
	es_principal owner = who("tot", 1, 0), oa = who("oa", 1, ES_R_ORG_ADMIN);

	(void)state;
	memset(&s, 0, sizeof(s));
	s.code = "1100000000002";
	s.owner_kind = "user";
	s.owner_login = "tot";
	assert_true(es_seal_keeps(&owner, &s));
	assert_true(es_seal_admin(&owner, &s));
	assert_false(es_seal_keeps(&oa, &s));
}

static void org_zero_is_not_an_organisation(void **state)
{
	es_seal_row s = org_seal(0);
	es_principal sk = who("sk", 0, ES_R_SEAL_KEEPER);

	(void)state;
	/* users without an organisation never match "same org" */
	assert_false(es_seal_keeps(&sk, &s));
}

static void documents_are_seen_by_owner_and_org_keepers(void **state)
{
	es_doc_row d;
	es_principal mem = who("mem", 1, 0), mem2 = who("mem2", 1, 0), sk = who("sk", 1, ES_R_SEAL_KEEPER),
		     ob = who("ob", 2, ES_R_ORG_ADMIN), rv = who("rev", 0, ES_R_REVIEWER),
		     pa = who("admin", 0, ES_R_PLATFORM_ADMIN);

	(void)state;
	memset(&d, 0, sizeof(d));
	d.owner_login = "mem";
	d.org_id = 1;
	assert_true(es_doc_visible(&mem, &d));
	assert_true(es_doc_visible(&sk, &d));
	assert_true(es_doc_visible(&pa, &d));
	assert_false(es_doc_visible(&mem2, &d));
	assert_false(es_doc_visible(&ob, &d));
	assert_false(es_doc_visible(&rv, &d));
}

static void users_are_seen_by_self_org_admin_and_platform(void **state)
{
	es_user_row u;
	es_principal self = who("mem", 1, 0), oa = who("oa", 1, ES_R_ORG_ADMIN), sk = who("sk", 1, ES_R_SEAL_KEEPER),
		     ob = who("ob", 2, ES_R_ORG_ADMIN), au = who("aud", 0, ES_R_AUDITOR);

	(void)state;
	memset(&u, 0, sizeof(u));
	u.login = "mem";
	u.org_id = 1;
	assert_true(es_user_visible(&self, &u));
	assert_true(es_user_visible(&oa, &u));
	assert_false(es_user_visible(&sk, &u));
	assert_false(es_user_visible(&ob, &u));
	assert_false(es_user_visible(&au, &u));
}

static void applications_are_seen_by_reviewers_applicants_and_org_admins(void **state)
{
	es_app_row a;
	es_principal rv = who("rev", 0, ES_R_REVIEWER), oa = who("oa", 1, ES_R_ORG_ADMIN),
		     ob = who("ob", 2, ES_R_ORG_ADMIN), mem = who("mem", 1, 0);

	(void)state;
	memset(&a, 0, sizeof(a));
	a.applicant = "oa";
	a.owner_kind = "org";
	a.owner_org_id = 1;
	assert_true(es_app_visible(&rv, &a));
	assert_true(es_app_visible(&oa, &a));
	assert_false(es_app_visible(&ob, &a));
	assert_false(es_app_visible(&mem, &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keepers_are_org_admins_and_seal_keepers_of_the_owner),
		cmocka_unit_test(personal_seal_belongs_to_its_owner),
		cmocka_unit_test(org_zero_is_not_an_organisation),
		cmocka_unit_test(documents_are_seen_by_owner_and_org_keepers),
		cmocka_unit_test(users_are_seen_by_self_org_admin_and_platform),
		cmocka_unit_test(applications_are_seen_by_reviewers_applicants_and_org_admins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
