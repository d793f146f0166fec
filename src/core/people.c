/* Organisations and users: identity checks, personal data at rest, login.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "eseal/auth.h"
#include "audit_anchor.h"
#include "core.h"
#include "util/util.h"

#define ES_LOGIN_MAX_LEN 64
#define ES_NAME_MAX_LEN 200
#define ES_LOCK_AFTER_FAILURES 5
#define ES_LOCK_BASE_S 60
#define ES_LOCK_MAX_S 3600

static const char *const roles[] = {
	"platform-admin", "reviewer", "org-admin", "seal-keeper", "member", "auditor",
};

int es_role_valid(const char *role)
{
	size_t i;

	for (i = 0; i < ES_ARRAY_LEN(roles); i++)
		if (strcmp(roles[i], role) == 0)
			return 1;
	return 0;
}

int es_core_audit_append(es_platform *p, const char *actor, const char *action, const char *object,
			 const char *details, const char *outcome, const char *client, int64_t *id,
			 es_err *err)
{
	es_audit_row a = {0};
	int rc;

	a.ts = time(NULL);
	a.actor = (char *)(actor && *actor ? actor : "operator");
	a.action = (char *)action;
	a.object = (char *)(object ? object : "");
	a.details = (char *)(details ? details : "{}");
	a.client = (char *)client;
	a.outcome = (char *)(outcome ? outcome : "ok");
	if ((rc = es_store_audit_append(p->st, &a, err)) < 0)
		return rc;
	if (id != NULL)
		*id = a.id;
	return 0;
}

int es_core_audit(es_platform *p, const char *actor, const char *action, const char *object,
		  const char *details, const char *outcome, const char *client, es_err *err)
{
	int64_t id = 0;
	int rc;

	if ((rc = es_core_audit_append(p, actor, action, object, details, outcome, client, &id, err)) < 0)
		return rc;
	return es_audit_anchor_after_append(p, id, err);
}

int es_audit(es_platform *p, const char *actor, const char *action, const char *object,
	     const char *details, const char *outcome, es_err *err)
{
	return es_core_audit(p, actor, action, object, details, outcome,
			     p->client[0] ? p->client : "cli", err);
}

static int check_text(const char *what, const char *s, size_t max, es_err *err)
{
	if (s == NULL || s[0] == '\0')
		return es_err_set(err, ES_EINVAL, "%s is required", what);
	if (strlen(s) > max)
		return es_err_set(err, ES_EINVAL, "%s is too long (at most %zu bytes)", what, max);
	return 0;
}

static int check_login(const char *login, es_err *err)
{
	size_t i;
	int rc;

	if ((rc = check_text("login", login, ES_LOGIN_MAX_LEN, err)) < 0)
		return rc;
	for (i = 0; login[i]; i++) {
		char c = login[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '@'))
			return es_err_set(err, ES_EINVAL,
				"login may only contain letters, digits and . _ - @ (position %zu)", i + 1);
	}
	return 0;
}

int es_org_add(es_platform *p, const char *name, const char *uscc, const char *legal_rep,
	       const char *actor, int64_t *id, es_err *err)
{
	char code[ES_USCC_LEN + 1];
	es_org_row row = {0};
	int rc;

	if ((rc = check_text("organisation name", name, ES_NAME_MAX_LEN, err)) < 0)
		return rc;
	if ((rc = es_uscc_normalise(code, uscc ? uscc : "", err)) < 0)
		return rc;
	row.name = (char *)name;
	row.uscc = code;
	row.legal_rep_login = (char *)legal_rep;
	row.created_at = time(NULL);
	if ((rc = es_store_begin(p->st, err)) < 0)
		return rc;
	if ((rc = es_store_org_insert(p->st, &row, err)) < 0)
		goto fail;
	{
		char obj[32];
		snprintf(obj, sizeof(obj), "org:%lld", (long long)row.id);
		if ((rc = es_audit(p, actor, "org.add", obj, NULL, "ok", err)) < 0)
			goto fail;
	}
	if ((rc = es_store_commit(p->st, err)) < 0)
		return rc;
	*id = row.id;
	return 0;
fail:
	es_store_rollback(p->st);
	return rc;
}

/* Keyed hash of the normalised resident ID: finds duplicates without storing it. */
static int id_hmac(es_platform *p, const char *id, char out[65], es_err *err)
{
	unsigned char md[32];
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), p->kek, ES_KEK_LEN, (const unsigned char *)id, strlen(id), md, &n) == NULL)
		return es_err_ssl(err, ES_ECRYPTO, "HMAC failed");
	es_hex_encode(out, md, sizeof(md));
	return 0;
}

static int seal_field(es_platform *p, const char *login, const char *field, const char *plain,
		      es_blob *out, es_err *err)
{
	char aad[128];

	if (plain == NULL || plain[0] == '\0')
		return 0;
	snprintf(aad, sizeof(aad), "user:%s:%s", login, field);
	return es_secret_seal(&out->data, &out->len, (const unsigned char *)plain, strlen(plain),
			      p->kek, aad, err);
}

int es_user_add(es_platform *p, const es_user_new *u, const char *actor, int64_t *id, es_err *err)
{
	char idn[ES_RESIDENT_ID_LEN + 1] = "", card[ES_BANK_CARD_MAX_DIGITS + 1] = "";
	char mid[ES_MASK_LEN] = "", mcard[ES_MASK_LEN] = "", mmob[ES_MASK_LEN] = "", hmac[65] = "";
	char hash[ES_PASSWORD_HASH_LEN] = "", reason[256] = "";
	es_user_row row = {0};
	es_identity ident = {0};
	es_org_row org = {0};
	size_t i;
	int rc;

	if ((rc = check_login(u->login, err)) < 0 ||
	    (rc = check_text("name", u->name, ES_NAME_MAX_LEN, err)) < 0)
		return rc;
	for (i = 0; i < u->nroles; i++)
		if (!es_role_valid(u->roles[i]))
			return es_err_set(err, ES_EINVAL,
				"unknown role '%s'; roles are platform-admin, reviewer, org-admin, seal-keeper, member, auditor",
				u->roles[i]);
	if (u->org_id > 0 && (rc = es_store_org_get(p->st, u->org_id, &org, err)) < 0)
		return rc;
	es_org_row_clear(&org);
	if ((rc = es_resident_id_normalise(idn, u->id_number ? u->id_number : "", err)) < 0)
		goto out;
	if (u->bank_card && *u->bank_card &&
	    (rc = es_bank_card_normalise(card, u->bank_card, err)) < 0)
		goto out;
	if (u->mobile && *u->mobile && (rc = es_mobile_check(u->mobile, err)) < 0)
		goto out;
	if ((rc = es_password_policy_check(u->password ? u->password : "", err)) < 0)
		goto out;
	ident.kind = "person";
	ident.name = u->name;
	ident.id_number = idn;
	ident.bank_card = card[0] ? card : NULL;
	ident.mobile = u->mobile && *u->mobile ? u->mobile : NULL;
	if ((rc = es_identity_verify(&ident, reason, sizeof(reason), err)) < 0)
		goto out;
	if ((rc = es_mask_id(mid, sizeof(mid), idn, err)) < 0 ||
	    (card[0] && (rc = es_mask_bank_card(mcard, sizeof(mcard), card, err)) < 0) ||
	    (ident.mobile && (rc = es_mask_mobile(mmob, sizeof(mmob), u->mobile, err)) < 0) ||
	    (rc = id_hmac(p, idn, hmac, err)) < 0 ||
	    (rc = es_password_hash(hash, u->password, err)) < 0)
		goto out;
	if ((rc = seal_field(p, u->login, "id_number", idn, &row.id_number_enc, err)) < 0 ||
	    (rc = seal_field(p, u->login, "bank_card", card, &row.bank_card_enc, err)) < 0 ||
	    (rc = seal_field(p, u->login, "mobile", u->mobile, &row.mobile_enc, err)) < 0)
		goto out;
	row.login = (char *)u->login;
	row.name = (char *)u->name;
	row.id_number_masked = mid;
	row.bank_card_masked = card[0] ? mcard : NULL;
	row.mobile_masked = ident.mobile ? mmob : NULL;
	row.id_number_hmac = hmac;
	row.org_id = u->org_id;
	row.password_hash = hash;
	row.identity_checked = 1;
	row.roles = (char **)u->roles;
	row.nroles = u->nroles;
	row.created_at = time(NULL);
	if ((rc = es_store_begin(p->st, err)) < 0)
		goto out;
	if ((rc = es_store_user_insert(p->st, &row, err)) < 0 ||
	    (rc = es_audit(p, actor, "user.add", u->login, NULL, "ok", err)) < 0) {
		es_store_rollback(p->st);
		goto out;
	}
	if ((rc = es_store_commit(p->st, err)) < 0)
		goto out;
	*id = row.id;
out:
	free(row.id_number_enc.data);
	free(row.bank_card_enc.data);
	free(row.mobile_enc.data);
	OPENSSL_cleanse(idn, sizeof(idn));
	OPENSSL_cleanse(card, sizeof(card));
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

static int totp_secret(es_platform *p, const es_user_row *u, char *out, size_t cap, es_err *err)
{
	unsigned char *plain = NULL;
	size_t n = 0;
	char aad[128];
	int rc;

	snprintf(aad, sizeof(aad), "user:%s:totp", u->login);
	if ((rc = es_secret_open(&plain, &n, u->totp_enc.data, u->totp_enc.len, p->kek, aad, err)) < 0)
		return rc;
	snprintf(out, cap, "%.*s", (int)n, (const char *)plain);
	OPENSSL_cleanse(plain, n);
	free(plain);
	return 0;
}

/* A hash with the current parameters, verified for unknown logins so that
 * they take as long as known ones.  Made once per process (threads share it). */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[ES_PASSWORD_HASH_LEN];

static void make_dummy_hash(void)
{
	if (es_password_hash(dummy_hash, "eseal-dummy-password", NULL) < 0)
		dummy_hash[0] = '\0';
}

int es_user_authenticate(es_platform *p, const char *login, const char *password,
			 const char *totp, es_err *err)
{
	es_user_row u = {0};
	time_t now = time(NULL);
	char secret[64] = "";
	int rc, ok;

	if ((rc = es_store_user_get(p->st, login ? login : "", &u, NULL)) < 0) {
		/* Same message and about the same time for unknown users: no login
		 * enumeration.  The dummy hash is computed once per process. */
		pthread_once(&dummy_once, make_dummy_hash);
		if (dummy_hash[0] != '\0')
			(void)es_password_verify(dummy_hash, password ? password : "", NULL);
		return es_err_set(err, ES_EAUTH, "wrong login or password");
	}
	if (u.locked_until > now) {
		rc = es_err_set(err, ES_EBUSY, "account %s is locked after repeated failures; try again in %ld s",
				login, (long)(u.locked_until - now));
		goto out;
	}
	ok = es_password_verify(u.password_hash, password ? password : "", NULL) == 0;
	if (ok && u.totp_enc.len > 0) {
		uint64_t step = 0;

		ok = (rc = totp_secret(p, &u, secret, sizeof(secret), err)) == 0 && totp != NULL &&
		     es_totp_verify_step(secret, totp, now, 0, &step, NULL) == 0;
		/* A code passes once (RFC 6238 5.2): a replay fails like a wrong
		 * code, so it tells nobody whether the password was right. */
		if (ok && es_store_user_totp_spend(p->st, u.login, step, NULL) < 0)
			ok = 0;
	}
	if (!ok) {
		int failed = u.failed_logins + 1;
		time_t lock = 0;
		if (failed >= ES_LOCK_AFTER_FAILURES) {
			long s = ES_LOCK_BASE_S << (failed - ES_LOCK_AFTER_FAILURES < 6 ? failed - ES_LOCK_AFTER_FAILURES : 6);
			lock = now + (s > ES_LOCK_MAX_S ? ES_LOCK_MAX_S : s);
		}
		es_store_user_set_login_state(p->st, login, failed, lock, NULL);
		rc = es_err_set(err, ES_EAUTH, u.totp_enc.len > 0 ?
				"wrong login, password or TOTP code (each code works once: wait for the next)" :
				"wrong login or password");
		goto out;
	}
	if (u.failed_logins != 0)
		es_store_user_set_login_state(p->st, login, 0, 0, NULL);
	/* The password is at hand only now: bring a hash made with weaker
	 * parameters up to today's (best effort; the login stands either way). */
	if (es_password_needs_rehash(u.password_hash, NULL) == 1) {
		char fresh[ES_PASSWORD_HASH_LEN];

		if (es_password_hash(fresh, password, NULL) == 0)
			(void)es_store_user_set_password_hash(p->st, u.login, fresh, NULL);
		OPENSSL_cleanse(fresh, sizeof(fresh));
	}
	rc = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	es_user_row_clear(&u);
	return rc;
}
