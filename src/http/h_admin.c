/* Organisations, users and seal applications.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "eseal/auth.h"
#include "http_int.h"

#define ES_MAX_ROLES 6

static int is(const es_hreq *q, unsigned role)
{
	return (q->who.roles & role) != 0;
}

int h_org_add(es_hreq *q, es_hresp *r)
{
	json_t *j = es_req_json(q, r);
	es_err err = ES_ERR_INIT;
	int64_t id = 0;

	if (j == NULL)
		return 0;
	if (es_org_add(q->p, es_jstr(j, "name"), es_jstr(j, "uscc"), es_jstr(j, "legal_rep"), q->who.login,
		       &id, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
	json_decref(j);
	return 0;
}

int h_org_list(es_hreq *q, es_hresp *r)
{
	es_org_row *rows = NULL;
	size_t n = 0, i;
	es_err err = ES_ERR_INIT;
	int all = is(q, ES_R_PLATFORM_ADMIN) || is(q, ES_R_REVIEWER) || (is(q, ES_R_AUDITOR) && q->who.org_id == 0);
	json_t *a;

	if (es_store_org_list(es_platform_store(q->p), &rows, &n, &err) < 0) {
		es_resp_err(r, &err);
		return 0;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		if (all || rows[i].id == q->who.org_id)
			json_array_append_new(a, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)rows[i].id,
							   "name", rows[i].name, "uscc", rows[i].uscc));
	ES_ROWS_FREE(rows, n, es_org_row_clear);
	es_resp_json(r, 200, json_pack("{s:o}", "orgs", a));
	return 0;
}

/* An org admin creates users of its own organisation with org roles only. */
static int user_add_allowed(es_hreq *q, es_user_new *u, es_hresp *r)
{
	size_t i;

	if (is(q, ES_R_PLATFORM_ADMIN))
		return 0;
	if (u->org_id == 0)
		u->org_id = q->who.org_id;
	if (u->org_id != q->who.org_id || q->who.org_id == 0) {
		es_resp_error(r, 404, "not_found", "organisation not found");
		return -1;
	}
	for (i = 0; i < u->nroles; i++)
		if (strcmp(u->roles[i], "platform-admin") == 0 || strcmp(u->roles[i], "reviewer") == 0) {
			es_resp_error(r, 403, "forbidden", "an org admin cannot give platform roles");
			return -1;
		}
	return 0;
}

int h_user_add(es_hreq *q, es_hresp *r)
{
	json_t *j = es_req_json(q, r), *roles, *v;
	const char *rl[ES_MAX_ROLES];
	es_user_new u;
	es_err err = ES_ERR_INIT;
	int64_t id = 0;
	size_t i;

	if (j == NULL)
		return 0;
	memset(&u, 0, sizeof(u));
	u.login = es_jstr(j, "login");
	u.name = es_jstr(j, "name");
	u.id_number = es_jstr(j, "id_number");
	u.bank_card = es_jstr(j, "bank_card");
	u.mobile = es_jstr(j, "mobile");
	u.password = es_jstr(j, "password");
	v = json_object_get(j, "org_id");
	u.org_id = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
	roles = json_object_get(j, "roles");
	if (roles != NULL && (!json_is_array(roles) || json_array_size(roles) > ES_MAX_ROLES)) {
		es_resp_error(r, 400, "bad_request", "roles must be an array of at most 6 role names");
		goto out;
	}
	json_array_foreach(roles, i, v) {
		if (!json_is_string(v)) {
			es_resp_error(r, 400, "bad_request", "roles must be strings");
			goto out;
		}
		rl[u.nroles++] = json_string_value(v);
	}
	u.roles = rl;
	if (user_add_allowed(q, &u, r) < 0)
		goto out;
	if (es_user_add(q->p, &u, q->who.login, &id, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_json(r, 201, json_pack("{s:I,s:s}", "id", (json_int_t)id, "login", u.login));
out:
	if (u.password != NULL)
		OPENSSL_cleanse((char *)u.password, strlen(u.password));
	json_decref(j);
	return 0;
}

static json_t *opt_str(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

int h_user_get(es_hreq *q, es_hresp *r)
{
	es_user_row u = {0};
	es_err err = ES_ERR_INIT;
	char name[ES_MASK_LEN] = "";
	json_t *roles;
	size_t i;
	int self;

	if (es_store_user_get(es_platform_store(q->p), q->params[0], &u, &err) < 0) {
		es_resp_err(r, &err);
		return 0;
	}
	self = strcmp(u.login, q->who.login) == 0;
	if (!self && es_mask_name(name, sizeof(name), u.name, NULL) < 0)
		snprintf(name, sizeof(name), "*");
	roles = json_array();
	for (i = 0; i < u.nroles; i++)
		json_array_append_new(roles, json_string(u.roles[i]));
	es_resp_json(r, 200, json_pack("{s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:b,s:b}",
		"login", u.login, "name", self ? u.name : name, "org_id", (json_int_t)u.org_id,
		"roles", roles, "id_number", opt_str(u.id_number_masked),
		"bank_card", opt_str(u.bank_card_masked), "mobile", opt_str(u.mobile_masked),
		"identity_checked", u.identity_checked, "totp", u.totp_enc.len > 0));
	es_user_row_clear(&u);
	return 0;
}

/* ---- seal applications ---- */

/* May the caller apply for a seal of this owner? */
static int apply_allowed(es_hreq *q, const es_apply_req *a, es_hresp *r)
{
	es_user_row u = {0};
	int ok;

	if (is(q, ES_R_PLATFORM_ADMIN))
		return 0;
	if (strcmp(a->owner_kind, "org") == 0) {
		if (a->owner_org_id != q->who.org_id || q->who.org_id == 0) {
			es_resp_error(r, 404, "not_found", "organisation not found");
			return -1;
		}
		if (!is(q, ES_R_ORG_ADMIN)) {
			es_resp_error(r, 403, "forbidden", "only an org admin applies for the organisation's seals");
			return -1;
		}
		return 0;
	}
	if (strcmp(a->owner_login, q->who.login) == 0)
		return 0;
	ok = es_store_user_get(es_platform_store(q->p), a->owner_login, &u, NULL) == 0 &&
	     q->who.org_id > 0 && u.org_id == q->who.org_id && is(q, ES_R_ORG_ADMIN);
	es_user_row_clear(&u);
	if (!ok) {
		es_resp_error(r, 404, "not_found", "user not found");
		return -1;
	}
	return 0;
}

int h_app_add(es_hreq *q, es_hresp *r)
{
	json_t *j = es_req_json(q, r), *owner, *v;
	es_apply_req a;
	es_err err = ES_ERR_INIT;
	int64_t id = 0;

	if (j == NULL)
		return 0;
	memset(&a, 0, sizeof(a));
	owner = json_object_get(j, "owner");
	v = json_object_get(owner, "org_id");
	if (json_is_integer(v)) {
		a.owner_kind = "org";
		a.owner_org_id = (int64_t)json_integer_value(v);
	} else if (es_jstr(owner, "login") != NULL) {
		a.owner_kind = "user";
		a.owner_login = es_jstr(owner, "login");
	} else {
		es_resp_error(r, 400, "bad_request", "owner must be {\"org_id\": N} or {\"login\": \"...\"}");
		goto out;
	}
	a.kind = es_jstr(j, "kind");
	a.text = es_jstr(j, "text");
	a.template_name = es_jstr(j, "template");
	a.taxpayer_no = es_jstr(j, "taxpayer_no");
	a.applicant = q->who.login;
	if (apply_allowed(q, &a, r) < 0)
		goto out;
	if (es_seal_apply(q->p, &a, &id, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
out:
	json_decref(j);
	return 0;
}

static json_t *app_json(const es_app_row *a)
{
	return json_pack("{s:I,s:s,s:s,s:I,s:o,s:s,s:o,s:s,s:o,s:o,s:o,s:I}",
		"id", (json_int_t)a->id, "applicant", a->applicant ? a->applicant : "",
		"owner_kind", a->owner_kind, "owner_org_id", (json_int_t)a->owner_org_id,
		"owner_login", opt_str(a->owner_login), "kind", a->kind, "text", opt_str(a->text),
		"state", a->state, "reason", opt_str(a->reason), "reviewer", opt_str(a->reviewer),
		"seal_id", opt_str(a->seal_code), "created_at", (json_int_t)a->created_at);
}

int h_app_list(es_hreq *q, es_hresp *r)
{
	es_app_row *rows = NULL;
	size_t n = 0, i;
	es_err err = ES_ERR_INIT;
	json_t *arr;

	if (es_store_app_list(es_platform_store(q->p), es_req_query(q, "state"), &rows, &n, &err) < 0) {
		es_resp_err(r, &err);
		return 0;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		if (es_app_visible(&q->who, &rows[i]))
			json_array_append_new(arr, app_json(&rows[i]));
	ES_ROWS_FREE(rows, n, es_app_row_clear);
	es_resp_json(r, 200, json_pack("{s:o}", "applications", arr));
	return 0;
}

int h_app_decide(es_hreq *q, es_hresp *r)
{
	json_t *j = es_req_json(q, r), *approve;
	char code[32] = "";
	es_err err = ES_ERR_INIT;
	int64_t id = 0;

	if (j == NULL)
		return 0;
	approve = json_object_get(j, "approve");
	if (!json_is_boolean(approve) || es_param_id(q, 0, &id) < 0) {
		es_resp_error(r, 400, "bad_request", "approve (true or false) is required");
	} else if (!json_is_true(approve) && (es_jstr(j, "reason") == NULL || !*es_jstr(j, "reason"))) {
		es_resp_error(r, 422, "invalid", "a rejection needs a reason");
	} else if (es_seal_review(q->p, id, json_is_true(approve), es_jstr(j, "reason"), q->who.login, code,
				  &err) < 0) {
		es_resp_err(r, &err);
	} else {
		es_resp_json(r, 200, json_pack("{s:s,s:o}", "state", json_is_true(approve) ? "approved" : "rejected",
					       "seal_id", opt_str(code)));
	}
	json_decref(j);
	return 0;
}
