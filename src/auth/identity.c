/* Identity verification: built-in format checks, then the pluggable
 * external provider (protocol in docs/identity.md).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include "eseal/auth.h"
#include "util/util.h"
#include "auth_int.h"

#define ENV_IDP_CMD "ESEAL_IDP_CMD"
#define ENV_IDP_TIMEOUT "ESEAL_IDP_TIMEOUT_MS"
#define IDP_TIMEOUT_MAX_MS 600000L
/* Longest accepted name (organisation names can be long). */
#define NAME_MAX_BYTES 300
/* Digit runs this long in a provider reason are masked whatever they are. */
#define REASON_DIGIT_RUN 6

/* Normalised copies of the fields present ("" when absent). */
typedef struct fields {
	const char *kind, *name;
	char id[ES_RESIDENT_ID_LEN + 1], card[ES_BANK_CARD_MAX_DIGITS + 1];
	char mobile[ES_MOBILE_LEN + 1], uscc[ES_USCC_LEN + 1];
	char id_m[ES_MASK_LEN], card_m[ES_MASK_LEN], mobile_m[ES_MASK_LEN];
	char uscc_m[ES_MASK_LEN];
	char name_m[NAME_MAX_BYTES + 1]; /* a masked name is never longer */
} fields;

static int present(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static int require(const char *v, const char *what, const char *kind, es_err *err)
{
	if (!present(v))
		return es_err_set(err, ES_EIDENTITY, "%s is required to verify a %s identity",
				  what, kind);
	return 0;
}

static int check_kind(const es_identity *id, es_err *err)
{
	const char *k = id->kind;
	int rc;

	if (k != NULL && strcmp(k, "person") == 0) {
		if ((rc = require(id->name, "name", k, err)) < 0)
			return rc;
		return require(id->id_number, "resident ID number", k, err);
	}
	if (k != NULL && strcmp(k, "organisation") == 0) {
		if ((rc = require(id->name, "name", k, err)) < 0)
			return rc;
		return require(id->uscc, "unified social credit code", k, err);
	}
	if (k != NULL && strcmp(k, "bank-card") == 0) {
		if ((rc = require(id->name, "name", k, err)) < 0)
			return rc;
		return require(id->bank_card, "bank card number", k, err);
	}
	return es_err_set(err, ES_EIDENTITY,
		"unknown identity kind; use person, organisation or bank-card");
}

static int check_name(const char *name, es_err *err)
{
	if (!present(name))
		return 0;
	if (strlen(name) > NAME_MAX_BYTES || !es_utf8_printable(name))
		return es_err_set(err, ES_EIDENTITY,
			"name must be printable UTF-8 text of at most %d bytes", NAME_MAX_BYTES);
	return 0;
}

static int builtin_checks(fields *f, const es_identity *id, es_err *err)
{
	int rc;

	memset(f, 0, sizeof(*f));
	f->kind = id->kind;
	f->name = present(id->name) ? id->name : "";
	if ((rc = check_kind(id, err)) < 0 || (rc = check_name(id->name, err)) < 0)
		return rc;
	if (present(id->id_number) &&
	    ((rc = es_resident_id_normalise(f->id, id->id_number, err)) < 0 ||
	     (rc = es_mask_id(f->id_m, sizeof(f->id_m), f->id, err)) < 0))
		return rc;
	if (present(id->bank_card) &&
	    ((rc = es_bank_card_normalise(f->card, id->bank_card, err)) < 0 ||
	     (rc = es_mask_bank_card(f->card_m, sizeof(f->card_m), f->card, err)) < 0))
		return rc;
	if (present(id->mobile) &&
	    ((rc = es_mobile_check(id->mobile, err)) < 0 ||
	     (rc = es_mask_mobile(f->mobile_m, sizeof(f->mobile_m), id->mobile, err)) < 0))
		return rc;
	if (present(id->mobile))
		memcpy(f->mobile, id->mobile, ES_MOBILE_LEN + 1);
	if (present(id->uscc) &&
	    ((rc = es_uscc_normalise(f->uscc, id->uscc, err)) < 0 ||
	     (rc = es_mask_id(f->uscc_m, sizeof(f->uscc_m), f->uscc, err)) < 0))
		return rc;
	if (present(id->name) &&
	    (rc = es_mask_name(f->name_m, sizeof(f->name_m), f->name, err)) < 0)
		return es_err_set(err, ES_EIDENTITY, "name is too long to display");
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

/* The provider request; *out is malloc'd, wipe before free. */
static int request_json(char **out, const fields *f, es_err *err)
{
	json_t *o = json_object();
	int bad = o == NULL;

	bad |= json_object_set_new(o, "kind", json_string(f->kind));
	bad |= json_object_set_new(o, "name", str_or_null(f->name));
	bad |= json_object_set_new(o, "id_number", str_or_null(f->id));
	bad |= json_object_set_new(o, "id_number_masked", str_or_null(f->id_m));
	bad |= json_object_set_new(o, "bank_card", str_or_null(f->card));
	bad |= json_object_set_new(o, "bank_card_masked", str_or_null(f->card_m));
	bad |= json_object_set_new(o, "mobile", str_or_null(f->mobile));
	bad |= json_object_set_new(o, "mobile_masked", str_or_null(f->mobile_m));
	bad |= json_object_set_new(o, "uscc", str_or_null(f->uscc));
	*out = bad ? NULL : json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (*out == NULL)
		return es_err_set(err, ES_ENOMEM, "cannot build identity provider request");
	return 0;
}

/* Replace every occurrence of needle in b by rep (same length or not). */
static int replace_all(es_buf *b, const char *needle, const char *rep, es_err *err)
{
	es_buf nb = {0};
	size_t nl = strlen(needle), i = 0;
	int rc = 0;

	if (nl == 0 || b->len == 0)
		return 0;
	while (i < b->len) {
		if (i + nl <= b->len && memcmp(b->data + i, needle, nl) == 0) {
			rc = es_buf_puts(&nb, rep, err);
			i += nl;
		} else {
			rc = es_buf_append(&nb, b->data + i, 1, err);
			i++;
		}
		if (rc < 0)
			goto out;
	}
	if ((rc = es_buf_append(&nb, "", 1, err)) < 0)
		goto out;
	nb.len--;
	es_buf_free(b, 1);
	*b = nb;
	nb = (es_buf){0};
out:
	es_buf_free(&nb, 1);
	return rc;
}

/* Provider text as printable UTF-8: controls become spaces, invalid bytes go. */
static int printable_copy(es_buf *b, const char *s, es_err *err)
{
	size_t len = strlen(s), i = 0, n;
	uint32_t cp;
	int rc = 0;

	while (i < len && rc == 0) {
		n = es_utf8_next(s + i, len - i, &cp);
		if (n == 0)
			n = 1;
		else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
			rc = es_buf_puts(b, " ", err);
		else
			rc = es_buf_append(b, s + i, n, err);
		i += n;
	}
	if (rc == 0)
		rc = es_buf_append(b, "", 1, err);
	if (rc == 0)
		b->len--;
	return rc;
}

static void mask_digit_runs(es_buf *b)
{
	size_t i = 0, j;

	while (i < b->len) {
		for (j = i; j < b->len && isdigit(b->data[j]); j++)
			;
		if (j - i >= REASON_DIGIT_RUN)
			memset(b->data + i, '*', j - i);
		i = j > i ? j : i + 1;
	}
}

/* Sanitise the provider's reason: printable, never echoing the input,
 * at most ES_IDP_REASON_MAX bytes. */
static int sanitise_reason(char *out, size_t cap, const char *reason,
			   const fields *f, const es_identity *id, es_err *err)
{
	const char *raw[][2] = {
		{id->id_number, f->id_m}, {id->bank_card, f->card_m}, {id->uscc, f->uscc_m},
		{f->id, f->id_m}, {f->card, f->card_m}, {f->mobile, f->mobile_m},
		{f->uscc, f->uscc_m}, {f->name, f->name_m}};
	es_buf b = {0};
	size_t i;
	int rc;

	if ((rc = printable_copy(&b, reason, err)) < 0)
		goto out;
	for (i = 0; i < ES_ARRAY_LEN(raw); i++)
		if (present(raw[i][0]) && (rc = replace_all(&b, raw[i][0], raw[i][1], err)) < 0)
			goto out;
	mask_digit_runs(&b);
	es_utf8_copy(out, cap, b.len > 0 ? (const char *)b.data : "");
out:
	es_buf_free(&b, 1);
	return rc;
}

static int idp_timeout(long *ms, es_err *err)
{
	const char *s = getenv(ENV_IDP_TIMEOUT);

	*ms = ES_IDP_TIMEOUT_MS;
	if (s == NULL || s[0] == '\0')
		return 0;
	if (es_parse_long(ms, s, 1, IDP_TIMEOUT_MAX_MS) < 0)
		return es_err_set(err, ES_EINVAL,
			"%s must be a whole number of milliseconds from 1 to %ld",
			ENV_IDP_TIMEOUT, IDP_TIMEOUT_MAX_MS);
	return 0;
}

static int read_reply(const es_buf *reply, const fields *f, const es_identity *id,
		      char *why, size_t why_cap, es_err *err)
{
	json_t *o = NULL, *m, *r;
	int rc = 0;

	o = json_loadb((const char *)reply->data, reply->len, 0, NULL);
	if (o == NULL || !json_is_object(o)) {
		rc = es_err_set(err, ES_EIDENTITY,
			"identity provider failed: reply is not a JSON object");
		goto out;
	}
	m = json_object_get(o, "match");
	r = json_object_get(o, "reason");
	if (!json_is_boolean(m)) {
		rc = es_err_set(err, ES_EIDENTITY,
			"identity provider failed: reply has no boolean \"match\"");
		goto out;
	}
	if ((rc = sanitise_reason(why, why_cap, json_is_string(r) ? json_string_value(r) : "",
				  f, id, err)) < 0)
		goto out;
	if (!json_is_true(m)) {
		if (why[0] == '\0')
			es_utf8_copy(why, why_cap, "the identity provider found no match");
		rc = es_err_set(err, ES_EIDENTITY, "identity not confirmed: %s", why);
	}
out:
	json_decref(o);
	return rc;
}

static int ask_provider(const char *cmd, const fields *f, const es_identity *id,
			char *why, size_t why_cap, es_err *err)
{
	char *req = NULL;
	es_buf reply = {0};
	long timeout_ms;
	int rc;

	if ((rc = idp_timeout(&timeout_ms, err)) < 0 || (rc = request_json(&req, f, err)) < 0)
		goto out;
	rc = es_idp_run(cmd, req, strlen(req), timeout_ms, ES_IDP_OUTPUT_MAX, &reply, err);
	if (rc < 0)
		goto out;
	rc = read_reply(&reply, f, id, why, why_cap, err);
out:
	if (req != NULL) {
		OPENSSL_cleanse(req, strlen(req));
		free(req);
	}
	es_buf_free(&reply, 1);
	return rc;
}

int es_identity_verify(const es_identity *id, char *reason, size_t reason_cap, es_err *err)
{
	es_err e = ES_ERR_INIT;
	char why[ES_IDP_REASON_MAX + 1] = "";
	const char *cmd = getenv(ENV_IDP_CMD);
	fields f;
	int rc;

	if (id == NULL) {
		rc = es_err_set(&e, ES_EINVAL, "no identity given");
		goto out;
	}
	if ((rc = builtin_checks(&f, id, &e)) < 0)
		goto out;
	if (cmd == NULL || cmd[0] == '\0') {
		es_utf8_copy(why, sizeof(why),
			     "format and check digits are valid; no identity provider configured");
		goto out;
	}
	if ((rc = ask_provider(cmd, &f, id, why, sizeof(why), &e)) < 0)
		goto out;
	if (why[0] == '\0')
		es_utf8_copy(why, sizeof(why), "identity confirmed by the identity provider");
out:
	if (rc < 0 && why[0] == '\0')
		es_utf8_copy(why, sizeof(why), e.msg);
	if (reason != NULL)
		es_utf8_copy(reason, reason_cap, why);
	if (rc < 0 && err != NULL)
		*err = e;
	OPENSSL_cleanse(&f, sizeof(f));
	return rc;
}
