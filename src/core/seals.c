/* Seal applications, issuance (keys, certificates, picture, SESeal) and states.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include "eseal/auth.h"
#include "eseal/picture.h"
#include "eseal/seal.h"
#include "core.h"
#include "util/util.h"

#define ES_SEAL_VALID_DAYS (3 * 365)
#define ES_SEAL_PNG_DPI 300
#define ES_SEAL_VID "eseal"
#define ES_SEAL_TYPE_ORG 1     /* docs/seal-format.md */
#define ES_SEAL_TYPE_PERSON 2
#define ES_CRL_REASON_CESSATION 5
#define ES_CRL_REASON_HOLD 6
#define ES_TAXPAYER_MIN_LEN 15
#define ES_TAXPAYER_MAX_LEN 20

static int kind_is_org(es_seal_kind k)
{
	return k == ES_KIND_COMPANY || k == ES_KIND_CONTRACT || k == ES_KIND_FINANCE ||
	       k == ES_KIND_INVOICE;
}

static int check_taxpayer(const char *t, es_err *err)
{
	size_t i, n = strlen(t);

	if (n < ES_TAXPAYER_MIN_LEN || n > ES_TAXPAYER_MAX_LEN)
		return es_err_set(err, ES_EINVAL, "taxpayer number must have 15 to 20 characters, got %zu", n);
	for (i = 0; i < n; i++)
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'A' && t[i] <= 'Z')))
			return es_err_set(err, ES_EINVAL,
				"taxpayer number may contain only digits and upper-case letters (position %zu)", i + 1);
	return 0;
}

/* Check the owner exists and fits the kind. */
static int check_owner(es_platform *p, const es_apply_req *r, es_seal_kind kind, es_err *err)
{
	es_org_row org = {0};
	es_user_row u = {0};
	int rc = 0;

	if (strcmp(r->owner_kind, "org") == 0) {
		if (!kind_is_org(kind))
			return es_err_set(err, ES_EINVAL, "a %s seal belongs to a person: use --owner user:LOGIN",
					  es_seal_kind_name(kind));
		rc = es_store_org_get(p->st, r->owner_org_id, &org, err);
		es_org_row_clear(&org);
		return rc;
	}
	if (strcmp(r->owner_kind, "user") != 0)
		return es_err_set(err, ES_EINVAL, "owner must be org:ID or user:LOGIN");
	if (kind_is_org(kind))
		return es_err_set(err, ES_EINVAL, "a %s seal belongs to an organisation: use --owner org:ID",
				  es_seal_kind_name(kind));
	if ((rc = es_store_user_get(p->st, r->owner_login ? r->owner_login : "", &u, err)) < 0)
		return rc;
	if (!u.identity_checked)
		rc = es_err_set(err, ES_EIDENTITY, "user %s has no checked identity; a personal seal needs one",
				u.login);
	else if (kind == ES_KIND_LEGAL_REP && u.org_id <= 0)
		rc = es_err_set(err, ES_EINVAL, "a legal-representative seal needs a user who belongs to an organisation");
	es_user_row_clear(&u);
	return rc;
}

int es_seal_apply(es_platform *p, const es_apply_req *r, int64_t *app_id, es_err *err)
{
	es_seal_kind kind;
	es_app_row row = {0};
	char taxpayer[32] = "";
	char obj[32];
	int rc;

	if ((rc = es_seal_kind_parse(&kind, r->kind ? r->kind : "")) < 0)
		return es_err_set(err, ES_EINVAL,
			"unknown seal kind '%s'; kinds are company, contract, finance, invoice, legal-rep, personal",
			r->kind ? r->kind : "");
	if ((rc = check_owner(p, r, kind, err)) < 0)
		return rc;
	if (kind == ES_KIND_INVOICE) {
		es_org_row org = {0};
		if (r->taxpayer_no != NULL && *r->taxpayer_no)
			snprintf(taxpayer, sizeof(taxpayer), "%s", r->taxpayer_no);
		else if (es_store_org_get(p->st, r->owner_org_id, &org, NULL) == 0)
			snprintf(taxpayer, sizeof(taxpayer), "%s", org.uscc); /* USCC is the taxpayer id */
		es_org_row_clear(&org);
		if (taxpayer[0] == '\0')
			return es_err_set(err, ES_EINVAL, "an invoice seal needs the organisation's taxpayer number");
		if ((rc = check_taxpayer(taxpayer, err)) < 0)
			return rc;
	}
	if (r->text != NULL && strlen(r->text) > 200)
		return es_err_set(err, ES_EINVAL, "seal text is too long (at most 200 bytes)");
	if (r->applicant != NULL && *r->applicant) {
		es_user_row u = {0};
		if ((rc = es_store_user_get(p->st, r->applicant, &u, err)) < 0)
			return rc;
		es_user_row_clear(&u);
	}
	row.applicant = (char *)(r->applicant ? r->applicant : "");
	row.owner_kind = (char *)r->owner_kind;
	row.owner_org_id = r->owner_org_id;
	row.owner_login = (char *)r->owner_login;
	row.kind = (char *)es_seal_kind_name(kind);
	row.text = (char *)r->text;
	row.template_name = (char *)r->template_name;
	row.taxpayer_no = taxpayer[0] ? taxpayer : NULL;
	row.created_at = time(NULL);
	if ((rc = es_store_begin(p->st, err)) < 0)
		return rc;
	if ((rc = es_store_app_insert(p->st, &row, err)) < 0)
		goto fail;
	snprintf(obj, sizeof(obj), "application:%lld", (long long)row.id);
	if ((rc = es_audit(p, r->applicant, "seal.apply", obj, NULL, "ok", err)) < 0)
		goto fail;
	if ((rc = es_store_commit(p->st, err)) < 0)
		return rc;
	*app_id = row.id;
	return 0;
fail:
	es_store_rollback(p->st);
	return rc;
}

/* What the seal says: names and picture parameters from application + owner. */
typedef struct issue_ctx {
	es_seal_kind kind;
	char owner_name[256];   /* organisation or person */
	char seal_name[320];
	char text[256];         /* name drawn on the seal */
	char person[128];
} issue_ctx;

static int describe_owner(es_platform *p, const es_app_row *a, issue_ctx *c, es_err *err)
{
	int rc;

	if ((rc = es_seal_kind_parse(&c->kind, a->kind)) < 0)
		return es_err_set(err, ES_EINVAL, "application has an unknown kind '%s'", a->kind);
	if (strcmp(a->owner_kind, "org") == 0) {
		es_org_row org = {0};
		if ((rc = es_store_org_get(p->st, a->owner_org_id, &org, err)) < 0)
			return rc;
		snprintf(c->owner_name, sizeof(c->owner_name), "%s", org.name);
		es_org_row_clear(&org);
	} else {
		es_user_row u = {0};
		if ((rc = es_store_user_get(p->st, a->owner_login, &u, err)) < 0)
			return rc;
		snprintf(c->owner_name, sizeof(c->owner_name), "%s", u.name);
		snprintf(c->person, sizeof(c->person), "%s", u.name);
		es_user_row_clear(&u);
	}
	snprintf(c->text, sizeof(c->text), "%s", a->text && *a->text ? a->text : c->owner_name);
	if (c->kind == ES_KIND_COMPANY || c->kind == ES_KIND_PERSONAL)
		snprintf(c->seal_name, sizeof(c->seal_name), "%s", c->text);
	else
		snprintf(c->seal_name, sizeof(c->seal_name), "%s%s", c->text, es_seal_kind_label_zh(c->kind));
	return 0;
}

static void picture_spec(es_picture_spec *s, es_seal_kind kind, const char *text,
			 const char *code, const char *taxpayer, const char *template_name)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->template_name = template_name && *template_name ? template_name : NULL;
	if (kind == ES_KIND_PERSONAL || kind == ES_KIND_LEGAL_REP)
		s->person_name = text;
	else
		s->org_name = text;
	s->code = code;
	s->taxpayer_no = taxpayer && *taxpayer ? taxpayer : NULL;
}

/* Holder certificate of one family for the seal. */
static int holder_cert(es_platform *p, es_alg alg, const issue_ctx *c, const char *code,
		       EVP_PKEY **key, X509 **cert, es_err *err)
{
	const es_pki_family *f;
	es_cert_req req = {0};
	int rc;

	if ((rc = es_platform_family_keys(p, alg, ES_FAM_ISSUING_KEY, &f, err)) < 0 ||
	    (rc = es_key_generate(key, alg, err)) < 0)
		return rc;
	req.kind = ES_CERT_HOLDER;
	req.subject_key = *key;
	req.cn = c->seal_name;
	req.o = c->owner_name;
	req.ou = code;
	req.days = ES_SEAL_VALID_DAYS;
	req.base_url = p->base_url;
	return es_cert_issue(cert, &req, f->issuing, f->issuing_key, err);
}

static int wrap_key(es_platform *p, const char *code, es_alg alg, EVP_PKEY *k, es_blob *out, es_err *err)
{
	char aad[96];

	snprintf(aad, sizeof(aad), "seal:%s:%s", code, es_alg_name(alg));
	return es_key_wrap(&out->data, &out->len, k, p->kek, aad, err);
}

static int make_seal(es_platform *p, const es_app_row *a, const issue_ctx *c, const char *code,
		     es_seal_row *row, es_err *err)
{
	EVP_PKEY *sm2k = NULL, *eck = NULL, *maker_key;
	X509 *sm2c = NULL, *ecc = NULL, *maker, *certs[2];
	es_picture *pic = NULL;
	es_picture_spec spec;
	es_seal_info info = {0};
	time_t now = time(NULL);
	int rc;

	picture_spec(&spec, c->kind, c->text, kind_is_org(c->kind) ? code : NULL, a->taxpayer_no,
		     a->template_name);
	if ((rc = es_picture_draw(&pic, &spec, err)) < 0 ||
	    (rc = es_picture_png(&row->picture_png.data, &row->picture_png.len, pic, ES_SEAL_PNG_DPI, err)) < 0)
		goto out;
	{
		char *stream = NULL;
		if ((rc = es_picture_pdf_stream(&stream, &row->appearance.len, pic, err)) < 0)
			goto out;
		row->appearance.data = (unsigned char *)stream;
	}
	row->width_mm = es_picture_width_mm(pic);
	row->height_mm = es_picture_height_mm(pic);
	if ((rc = holder_cert(p, ES_ALG_SM2, c, code, &sm2k, &sm2c, err)) < 0 ||
	    (rc = holder_cert(p, ES_ALG_P256, c, code, &eck, &ecc, err)) < 0 ||
	    (rc = wrap_key(p, code, ES_ALG_SM2, sm2k, &row->sm2_key, err)) < 0 ||
	    (rc = wrap_key(p, code, ES_ALG_P256, eck, &row->p256_key, err)) < 0 ||
	    (rc = es_cert_to_der(&row->sm2_cert.data, &row->sm2_cert.len, sm2c, err)) < 0 ||
	    (rc = es_cert_to_der(&row->p256_cert.data, &row->p256_cert.len, ecc, err)) < 0 ||
	    (rc = es_platform_maker(p, &maker, &maker_key, err)) < 0)
		goto out;
	certs[0] = sm2c;
	certs[1] = ecc;
	info.vid = ES_SEAL_VID;
	info.esid = code;
	info.type = kind_is_org(c->kind) ? ES_SEAL_TYPE_ORG : ES_SEAL_TYPE_PERSON;
	info.name = c->seal_name;
	info.certs = certs;
	info.ncerts = 2;
	info.create_date = now;
	info.valid_start = now;
	info.valid_end = now + (time_t)ES_SEAL_VALID_DAYS * 86400;
	info.picture_type = "PNG";
	info.picture = row->picture_png.data;
	info.picture_len = row->picture_png.len;
	info.width_mm = (int)(row->width_mm + 0.5);
	info.height_mm = (int)(row->height_mm + 0.5);
	if ((rc = es_seal_make_v4(&row->esl.data, &row->esl.len, &info, maker, maker_key, err)) < 0)
		goto out;
	row->valid_start = info.valid_start;
	row->valid_end = info.valid_end;
	row->created_at = now;
out:
	es_picture_free(pic);
	EVP_PKEY_free(sm2k);
	EVP_PKEY_free(eck);
	X509_free(sm2c);
	X509_free(ecc);
	return rc;
}

static void seal_row_free_blobs(es_seal_row *r)
{
	free(r->sm2_cert.data);
	free(r->p256_cert.data);
	free(r->sm2_key.data);
	free(r->p256_key.data);
	free(r->esl.data);
	free(r->picture_png.data);
	free(r->appearance.data);
}

static int check_reviewer(es_platform *p, const es_app_row *a, const char *reviewer, es_err *err)
{
	es_user_row u = {0};
	int rc;

	if (reviewer == NULL || *reviewer == '\0')
		return 0; /* the operator at the console */
	if ((rc = es_store_user_get(p->st, reviewer, &u, err)) < 0)
		return rc;
	if (!es_user_has_role(&u, "reviewer") && !es_user_has_role(&u, "platform-admin"))
		rc = es_err_set(err, ES_EPERM, "user %s may not review seal applications (needs role reviewer)", reviewer);
	else if (a->applicant && strcmp(a->applicant, reviewer) == 0)
		rc = es_err_set(err, ES_EPERM, "user %s applied for this seal and cannot review it", reviewer);
	es_user_row_clear(&u);
	return rc;
}

int es_seal_review(es_platform *p, int64_t app_id, int approve, const char *reason,
		   const char *reviewer, char seal_code[32], es_err *err)
{
	es_app_row a = {0};
	es_seal_row row = {0};
	issue_ctx c;
	int64_t serial = 0;
	char obj[64], code[32] = "";
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = es_store_app_get(p->st, app_id, &a, err)) < 0)
		return rc;
	if (strcmp(a.state, "submitted") != 0) {
		rc = es_err_set(err, ES_ESTATE, "seal application %lld has already been %s",
				(long long)app_id, a.state);
		goto out;
	}
	if ((rc = check_reviewer(p, &a, reviewer, err)) < 0)
		goto out;
	snprintf(obj, sizeof(obj), "application:%lld", (long long)app_id);
	if (!approve) {
		if ((rc = es_store_begin(p->st, err)) < 0)
			goto out;
		if ((rc = es_store_app_decide(p->st, app_id, "rejected", reason, reviewer, NULL, err)) < 0 ||
		    (rc = es_audit(p, reviewer, "seal.reject", obj, NULL, "ok", err)) < 0) {
			es_store_rollback(p->st);
			goto out;
		}
		rc = es_store_commit(p->st, err);
		goto out;
	}
	if ((rc = describe_owner(p, &a, &c, err)) < 0 ||
	    (rc = es_store_next_serial(p->st, "seal", &serial, err)) < 0)
		goto out;
	snprintf(code, sizeof(code), "%s%07lld", p->area, (long long)serial);
	/* Keys, certificates, picture and SESeal are made outside the write transaction. */
	if ((rc = make_seal(p, &a, &c, code, &row, err)) < 0)
		goto out;
	row.code = code;
	row.app_id = app_id;
	row.kind = a.kind;
	row.name = c.seal_name;
	row.owner_kind = a.owner_kind;
	row.owner_org_id = a.owner_org_id;
	row.owner_login = a.owner_login;
	row.template_name = a.template_name;
	row.text = c.text;
	row.taxpayer_no = a.taxpayer_no;
	if ((rc = es_store_begin(p->st, err)) < 0)
		goto out;
	if ((rc = es_store_app_decide(p->st, app_id, "approved", reason, reviewer, code, err)) < 0 ||
	    (rc = es_store_seal_insert(p->st, &row, err)) < 0 ||
	    (rc = es_audit(p, reviewer, "seal.issue", code, NULL, "ok", err)) < 0) {
		es_store_rollback(p->st);
		goto out;
	}
	if ((rc = es_store_commit(p->st, err)) < 0)
		goto out;
	snprintf(seal_code, 32, "%s", code);
out:
	seal_row_free_blobs(&row);
	es_app_row_clear(&a);
	return rc;
}

int es_seal_usable(const es_seal_row *s, time_t now, es_err *err)
{
	if (strcmp(s->state, "revoked") == 0)
		return es_err_set(err, ES_ESTATE, "seal %s is revoked and can no longer be used", s->code);
	if (strcmp(s->state, "suspended") == 0)
		return es_err_set(err, ES_ESTATE,
			"seal %s is suspended; ask a seal keeper to resume it", s->code);
	if (now < s->valid_start)
		return es_err_set(err, ES_ESTATE, "seal %s is not valid yet", s->code);
	if (now > s->valid_end)
		return es_err_set(err, ES_ESTATE, "seal %s has expired; apply for a renewal", s->code);
	return 0;
}

static int crl_update_one(es_platform *p, const char *fam, const es_blob *der, int add, int reason,
			  es_err *err)
{
	X509 *c = NULL;
	char serial[80];
	int rc;

	if ((rc = es_cert_from_der(&c, der->data, der->len, err)) < 0)
		return rc;
	es_cert_serial_hex(c, serial, sizeof(serial));
	X509_free(c);
	return add ? es_store_revocation_add(p->st, fam, serial, time(NULL), reason, err)
		   : es_store_revocation_remove(p->st, fam, serial, err);
}

/* Put the holder certificates on (or take them off) the CRLs: the current
 * two and every one the seal had before a renewal. */
static int crl_update(es_platform *p, const es_seal_row *s, int add, int reason, es_err *err)
{
	es_seal_cert_row *old = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = crl_update_one(p, "sm2", &s->sm2_cert, add, reason, err)) < 0 ||
	    (rc = crl_update_one(p, "p256", &s->p256_cert, add, reason, err)) < 0 ||
	    (rc = es_store_seal_old_certs(p->st, s->code, &old, &n, err)) < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = crl_update_one(p, old[i].family, &old[i].cert, add, reason, err);
	es_seal_cert_rows_free(old, n);
	return rc;
}

int es_seal_change_state(es_platform *p, const char *code, const char *action,
			 const char *reason, const char *actor, es_err *err)
{
	es_seal_row s = {0};
	const char *to;
	char what[48];
	int rc;

	if ((rc = es_store_seal_get(p->st, code, &s, err)) < 0)
		return rc;
	if (strcmp(s.state, "revoked") == 0) {
		rc = es_err_set(err, ES_ESTATE, "seal %s is revoked; revocation is final", code);
		goto out;
	}
	if (strcmp(action, "revoke") == 0) {
		to = "revoked";
	} else if (strcmp(action, "suspend") == 0) {
		to = "suspended";
		if (strcmp(s.state, "suspended") == 0) {
			rc = es_err_set(err, ES_ESTATE, "seal %s is already suspended", code);
			goto out;
		}
	} else if (strcmp(action, "resume") == 0) {
		to = "active";
		if (strcmp(s.state, "suspended") != 0) {
			rc = es_err_set(err, ES_ESTATE, "seal %s is not suspended", code);
			goto out;
		}
	} else {
		rc = es_err_set(err, ES_EINVAL, "unknown action %s (revoke, suspend, resume)", action);
		goto out;
	}
	if (reason == NULL || *reason == '\0') {
		rc = es_err_set(err, ES_EINVAL, "a reason is required to %s a seal (--reason)", action);
		goto out;
	}
	if ((rc = es_store_begin(p->st, err)) < 0)
		goto out;
	if (strcmp(action, "resume") == 0)
		rc = crl_update(p, &s, 0, 0, err);
	else
		rc = crl_update(p, &s, 1, strcmp(action, "revoke") == 0 ? ES_CRL_REASON_CESSATION
									: ES_CRL_REASON_HOLD, err);
	snprintf(what, sizeof(what), "seal.%s", action);
	if (rc < 0 || (rc = es_store_seal_set_state(p->st, code, to, reason, err)) < 0 ||
	    (rc = es_audit(p, actor, what, code, NULL, "ok", err)) < 0) {
		es_store_rollback(p->st);
		goto out;
	}
	rc = es_store_commit(p->st, err);
	/* Other platforms (server threads) re-read the state before every use
	 * of a cached key; this one forgets the key at once as well. */
	es_core_seal_keys_drop(p, code);
out:
	es_seal_row_clear(&s);
	return rc;
}

int es_seal_renew(es_platform *p, const char *code, const char *reason, const char *actor,
		  es_err *err)
{
	es_seal_row s = {0}, row = {0};
	es_app_row a = {0};
	issue_ctx c;
	json_t *dj = NULL;
	char *details = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	if (reason == NULL || *reason == '\0')
		return es_err_set(err, ES_EINVAL, "a reason is required to renew a seal (--reason)");
	if ((rc = es_store_seal_get(p->st, code, &s, err)) < 0)
		return rc;
	if (strcmp(s.state, "revoked") == 0) {
		rc = es_err_set(err, ES_ESTATE, "seal %s is revoked; revocation is final", code);
		goto out;
	}
	if (strcmp(s.state, "suspended") == 0) {
		rc = es_err_set(err, ES_ESTATE, "seal %s is suspended; resume it before renewing it", code);
		goto out;
	}
	/* the same seal as issued: kind, owner, the text drawn, template and
	 * taxpayer number come from the seal, not from a new application */
	a.kind = s.kind;
	a.owner_kind = s.owner_kind;
	a.owner_org_id = s.owner_org_id;
	a.owner_login = s.owner_login;
	a.text = s.text;
	a.template_name = s.template_name;
	a.taxpayer_no = s.taxpayer_no;
	/* keys, certificates, picture and SESeal outside the write transaction */
	if ((rc = describe_owner(p, &a, &c, err)) < 0 || (rc = make_seal(p, &a, &c, code, &row, err)) < 0)
		goto out;
	row.code = s.code;
	dj = json_pack("{s:s, s:I}", "reason", reason, "valid_end", (json_int_t)row.valid_end);
	details = dj ? json_dumps(dj, JSON_COMPACT) : NULL;
	if (details == NULL) {
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = es_store_begin(p->st, err)) < 0)
		goto out;
	if ((rc = es_store_seal_renew(p->st, &row, time(NULL), err)) < 0 ||
	    (rc = es_audit(p, actor, "seal.renew", code, details, "ok", err)) < 0) {
		es_store_rollback(p->st);
		goto out;
	}
	rc = es_store_commit(p->st, err);
	es_core_seal_keys_drop(p, code);
out:
	row.code = NULL;
	seal_row_free_blobs(&row);
	es_seal_row_clear(&s);
	json_decref(dj);
	free(details);
	return rc;
}

int es_core_seal_picture(const es_seal_row *s, es_picture **out, es_err *err)
{
	es_picture_spec spec;
	es_seal_kind kind;

	if (es_seal_kind_parse(&kind, s->kind) < 0)
		return es_err_set(err, ES_EINVAL, "seal %s has an unknown kind", s->code);
	picture_spec(&spec, kind, s->text, kind_is_org(kind) ? s->code : NULL, s->taxpayer_no,
		     s->template_name);
	return es_picture_draw(out, &spec, err);
}

int es_platform_seal_render(es_platform *p, const char *code, const char *fmt,
			    unsigned char **out, size_t *len, es_err *err)
{
	es_seal_row s = {0};
	es_picture *pic = NULL;
	int rc;

	if ((rc = es_store_seal_get(p->st, code, &s, err)) < 0)
		return rc;
	if ((rc = es_core_seal_picture(&s, &pic, err)) < 0)
		goto out;
	if (strcmp(fmt, "png") == 0) {
		rc = es_picture_png(out, len, pic, ES_SEAL_PNG_DPI, err);
	} else if (strcmp(fmt, "svg") == 0) {
		char *svg = NULL;
		if ((rc = es_picture_svg(&svg, pic, err)) == 0) {
			*out = (unsigned char *)svg;
			*len = strlen(svg);
		}
	} else if (strcmp(fmt, "pdf") == 0) {
		rc = es_picture_pdf(out, len, pic, err);
	} else {
		rc = es_err_set(err, ES_EINVAL, "unknown picture format %s (png, svg, pdf)", fmt);
	}
out:
	es_picture_free(pic);
	es_seal_row_clear(&s);
	return rc;
}
