/* Seals, their pictures and states, and grants (授权).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "eseal/picture.h"
#include "http_int.h"

#define ES_PREVIEW_TEXT_MAX 200

static json_t *opt_str(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* The seal as JSON; for a signed-in user also whether they may seal with it
 * now (usable: active and within its validity; can_sign: usable and the user
 * is its owner, keeper or holds a valid grant; needs_approval: that grant
 * wants an approved use request first), so the web page offers only those. */
static json_t *seal_json(es_hreq *q, const es_seal_row *s)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I,s:o,s:s,s:o,s:I,s:I,s:f,s:f}",
		"id", s->code, "kind", s->kind, "name", s->name, "owner_kind", s->owner_kind,
		"owner_org_id", (json_int_t)s->owner_org_id, "owner_login", opt_str(s->owner_login),
		"state", s->state, "state_reason", opt_str(s->state_reason),
		"valid_start", (json_int_t)s->valid_start, "valid_end", (json_int_t)s->valid_end,
		"width_mm", s->width_mm, "height_mm", s->height_mm);
	time_t now = time(NULL);
	int usable = es_seal_usable(s, now, NULL) == 0, may = 0, approval = 0;
	es_grant_row g = {0};

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "usable", json_boolean(usable));
	if (!q->authed)
		return j;
	may = es_seal_authorised(q->p, s, q->who.login, NULL) == 0;
	if (!may && es_store_grant_find_valid(es_platform_store(q->p), s->code, q->who.login, now, &g, NULL) == 0) {
		/* a grant that needs an approved use request (用印审批) first */
		may = 1;
		approval = g.needs_approval != 0;
	}
	es_grant_row_clear(&g);
	json_object_set_new(j, "can_sign", json_boolean(usable && may));
	json_object_set_new(j, "needs_approval", json_boolean(approval));
	return j;
}

int h_seal_list(es_hreq *q, es_hresp *r)
{
	es_seal_row *rows = NULL;
	size_t n = 0, i;
	es_err err = ES_ERR_INIT;
	json_t *a;

	if (es_store_seal_list(es_platform_store(q->p), &rows, &n, &err) < 0) {
		es_resp_err(r, &err);
		return 0;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		if (es_seal_visible(q, &rows[i]))
			json_array_append_new(a, seal_json(q, &rows[i]));
	ES_ROWS_FREE(rows, n, es_seal_row_clear);
	es_resp_json(r, 200, json_pack("{s:o}", "seals", a));
	return 0;
}

int h_seal_get(es_hreq *q, es_hresp *r)
{
	es_seal_row s = {0};
	es_err err = ES_ERR_INIT;

	if (es_store_seal_get(es_platform_store(q->p), q->params[0], &s, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_json(r, 200, seal_json(q, &s));
	es_seal_row_clear(&s);
	return 0;
}

static int render(es_hreq *q, es_hresp *r, const char *fmt, const char *ctype)
{
	unsigned char *out = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;

	if (es_platform_seal_render(q->p, q->params[0], fmt, &out, &len, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_bytes(r, 200, ctype, out, len);
	return 0;
}

int h_seal_png(es_hreq *q, es_hresp *r)
{
	return render(q, r, "png", "image/png");
}

int h_seal_svg(es_hreq *q, es_hresp *r)
{
	return render(q, r, "svg", "image/svg+xml");
}

int h_seal_esl(es_hreq *q, es_hresp *r)
{
	es_seal_row s = {0};
	es_err err = ES_ERR_INIT;

	if (es_store_seal_get(es_platform_store(q->p), q->params[0], &s, &err) < 0) {
		es_resp_err(r, &err);
	} else {
		es_resp_bytes(r, 200, "application/octet-stream", s.esl.data, s.esl.len);
		s.esl.data = NULL;
		snprintf(r->disposition, sizeof(r->disposition), "attachment; filename=\"%s.esl\"", s.code);
	}
	es_seal_row_clear(&s);
	return 0;
}

static int change_state(es_hreq *q, es_hresp *r, const char *action)
{
	json_t *j = es_req_json(q, r);
	es_err err = ES_ERR_INIT;
	const char *reason;

	if (j == NULL)
		return 0;
	reason = es_jstr(j, "reason");
	if (reason == NULL || *reason == '\0')
		es_resp_error(r, 422, "invalid", "a reason is required");
	else if ((strcmp(action, "renew") == 0
			  ? es_seal_renew(q->p, q->params[0], reason, q->who.login, &err)
			  : es_seal_change_state(q->p, q->params[0], action, reason, q->who.login, &err)) < 0)
		es_resp_err(r, &err);
	else
		h_seal_get(q, r);
	json_decref(j);
	return 0;
}

int h_seal_revoke(es_hreq *q, es_hresp *r)
{
	return change_state(q, r, "revoke");
}

int h_seal_suspend(es_hreq *q, es_hresp *r)
{
	return change_state(q, r, "suspend");
}

int h_seal_resume(es_hreq *q, es_hresp *r)
{
	return change_state(q, r, "resume");
}

int h_seal_renew(es_hreq *q, es_hresp *r)
{
	return change_state(q, r, "renew");
}

/* ---- grants ---- */

/* Only an org admin of the seal's organisation (or a platform admin) may
 * grant auto-sign; the route table lets seal keepers reach here too. */
static int may_auto_sign(es_hreq *q)
{
	es_seal_row s = {0};
	int ok;

	if (q->who.roles & ES_R_PLATFORM_ADMIN)
		return 1;
	if (es_store_seal_get(es_platform_store(q->p), q->params[0], &s, NULL) < 0)
		return 0;
	ok = strcmp(s.owner_kind, "org") == 0 && q->who.org_id == s.owner_org_id &&
	     (q->who.roles & ES_R_ORG_ADMIN) != 0;
	es_seal_row_clear(&s);
	return ok;
}

int h_grant_add(es_hreq *q, es_hresp *r)
{
	json_t *j = es_req_json(q, r), *v;
	es_grant_new g;
	es_err err = ES_ERR_INIT;
	int64_t id = 0;

	if (j == NULL)
		return 0;
	memset(&g, 0, sizeof(g));
	g.seal_code = q->params[0];
	g.login = es_jstr(j, "login");
	v = json_object_get(j, "not_after");
	g.not_after = json_is_integer(v) ? (time_t)json_integer_value(v) : 0;
	v = json_object_get(j, "max_uses");
	g.max_uses = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
	g.needs_approval = json_is_true(json_object_get(j, "needs_approval"));
	g.auto_sign = json_is_true(json_object_get(j, "auto_sign"));
	if (g.login == NULL) {
		es_resp_error(r, 400, "bad_request", "login is required");
	} else if (es_grant_add(q->p, &g, q->who.login, may_auto_sign(q), q->client, &id, &err) < 0) {
		es_resp_err(r, &err);
	} else {
		es_resp_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
	}
	json_decref(j);
	return 0;
}

static json_t *grant_json(const es_grant_row *g)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:I,s:b,s:b,s:b,s:I}",
		"id", (json_int_t)g->id, "seal_id", g->seal_code, "login", g->login,
		"granted_by", g->granted_by, "not_after", (json_int_t)g->not_after,
		"max_uses", (json_int_t)g->max_uses, "uses", (json_int_t)g->uses,
		"needs_approval", g->needs_approval, "auto_sign", g->auto_sign, "revoked", g->revoked,
		"created_at", (json_int_t)g->created_at);
}

int h_grant_list(es_hreq *q, es_hresp *r)
{
	es_grant_row *rows = NULL;
	size_t n = 0, i;
	es_err err = ES_ERR_INIT;
	json_t *a;

	if (es_store_grant_list(es_platform_store(q->p), q->params[0], NULL, &rows, &n, &err) < 0) {
		es_resp_err(r, &err);
		return 0;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, grant_json(&rows[i]));
	ES_ROWS_FREE(rows, n, es_grant_row_clear);
	es_resp_json(r, 200, json_pack("{s:o}", "grants", a));
	return 0;
}

int h_grant_delete(es_hreq *q, es_hresp *r)
{
	es_err err = ES_ERR_INIT;
	int64_t id = 0;

	if (es_param_id(q, 0, &id) < 0 || es_grant_remove(q->p, id, q->who.login, q->client, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_json(r, 200, json_pack("{s:b}", "revoked", 1));
	return 0;
}

/* Live preview while applying: nothing is stored. */
int h_seal_preview(es_hreq *q, es_hresp *r)
{
	const char *kind = es_req_query(q, "kind"), *text = es_req_query(q, "text");
	es_picture_spec spec;
	es_picture *pic = NULL;
	es_seal_kind k;
	es_err err = ES_ERR_INIT;
	char *svg = NULL;

	if (kind == NULL || es_seal_kind_parse(&k, kind) < 0) {
		es_resp_error(r, 422, "invalid", "kind is company, contract, finance, invoice, legal-rep or personal");
		return 0;
	}
	if (text == NULL || *text == '\0' || strlen(text) > ES_PREVIEW_TEXT_MAX) {
		es_resp_error(r, 422, "invalid", "text is required (at most 200 bytes)");
		return 0;
	}
	memset(&spec, 0, sizeof(spec));
	spec.kind = k;
	spec.template_name = es_req_query(q, "template");
	if (spec.template_name != NULL && *spec.template_name == '\0')
		spec.template_name = NULL;
	if (k == ES_KIND_PERSONAL || k == ES_KIND_LEGAL_REP)
		spec.person_name = text;
	else
		spec.org_name = text;
	if (es_picture_draw(&pic, &spec, &err) < 0 || es_picture_svg(&svg, pic, &err) < 0)
		es_resp_err(r, &err);
	else
		es_resp_bytes(r, 200, "image/svg+xml", (unsigned char *)svg, strlen(svg));
	es_picture_free(pic);
	return 0;
}
