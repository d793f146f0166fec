/* Who may use a seal.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>
#include "core.h"

int es_seal_authorised(es_platform *p, const es_seal_row *s, const char *login, es_err *err)
{
	es_user_row u = {0};
	int ok = 0, rc;

	if ((rc = es_store_user_get(p->st, login, &u, err)) < 0)
		return rc;
	if (strcmp(s->owner_kind, "user") == 0)
		ok = strcmp(s->owner_login, login) == 0;
	else
		ok = u.org_id == s->owner_org_id &&
		     (es_user_has_role(&u, "org-admin") || es_user_has_role(&u, "seal-keeper"));
	es_user_row_clear(&u);
	if (!ok)
		return es_err_set(err, ES_EPERM, "user %s may not use seal %s; ask its keeper for a grant",
				  login, s->code);
	return 0;
}
