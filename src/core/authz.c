/* Who may use a seal.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>
#include "eseal/store_server.h"
#include "core.h"

/* Owner of a personal seal, or org-admin/seal-keeper of the owning org. */
static int owner_or_keeper(const es_seal_row *s, const es_user_row *u)
{
	if (strcmp(s->owner_kind, "user") == 0)
		return s->owner_login != NULL && strcmp(s->owner_login, u->login) == 0;
	return u->org_id == s->owner_org_id &&
	       (es_user_has_role(u, "org-admin") || es_user_has_role(u, "seal-keeper"));
}

/* A grant (授权) that is not revoked, not expired and has uses left.  A grant
 * that needs approval counts only while an approved, unused use request of
 * this user for this seal exists; the server checks that request against
 * the exact document hash before signing. */
static int granted(es_platform *p, const es_seal_row *s, const char *login)
{
	es_grant_row g = {0};
	int ok;

	if (es_store_grant_find_valid(p->st, s->code, login, time(NULL), &g, NULL) < 0)
		return 0;
	ok = !g.needs_approval || es_store_usereq_pending_approved(p->st, s->code, login);
	es_grant_row_clear(&g);
	return ok;
}

int es_core_sign_grant(es_platform *p, const es_seal_row *s, const char *login, int64_t *grant_id, es_err *err)
{
	es_user_row u = {0};
	es_grant_row g = {0};
	int keeper, rc;

	*grant_id = 0;
	if ((rc = es_store_user_get(p->st, login, &u, err)) < 0)
		return rc;
	keeper = owner_or_keeper(s, &u);
	es_user_row_clear(&u);
	if (keeper)
		return 0;
	if (es_store_grant_find_valid(p->st, s->code, login, time(NULL), &g, NULL) < 0)
		return es_err_set(err, ES_EPERM, "user %s may not use seal %s; ask its keeper for a grant",
				  login, s->code);
	/* The approval is for one document's exact bytes; only the server's
	 * signing (use_request_id) checks it. */
	if (g.needs_approval)
		rc = es_err_set(err, ES_EPERM, "the grant of seal %s to %s needs an approved use request;"
				" sign through the server with use_request_id", s->code, login);
	else
		*grant_id = g.id;
	es_grant_row_clear(&g);
	return rc;
}

int es_seal_authorised(es_platform *p, const es_seal_row *s, const char *login, es_err *err)
{
	es_user_row u = {0};
	int ok = 0, rc;

	if ((rc = es_store_user_get(p->st, login, &u, err)) < 0)
		return rc;
	ok = owner_or_keeper(s, &u) || granted(p, s, login);
	es_user_row_clear(&u);
	if (!ok)
		return es_err_set(err, ES_EPERM, "user %s may not use seal %s; ask its keeper for a grant",
				  login, s->code);
	return 0;
}
