/* Sealing documents: authenticate, authorise, unwrap, sign, audit.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "eseal/ofd.h"
#include "eseal/pdf.h"
#include "eseal/picture.h"
#include "eseal/seal.h"
#include "eseal/store_server.h"
#include "core.h"
#include "util/util.h"

typedef struct tsa_ctx {
	const es_pki_family *fam;   /* platform TSA */
	STACK_OF(X509) *chain;
	const char *url;            /* external TSA when non-NULL */
} tsa_ctx;

static int tsa_cb(void *ctx, const unsigned char *digest, size_t dlen, int md_nid,
		  unsigned char **token, size_t *len, es_err *err)
{
	tsa_ctx *t = ctx;

	if (t->url != NULL)
		return es_tsa_fetch(token, len, t->url, digest, dlen, md_nid, err);
	return es_tsa_stamp(token, len, digest, dlen, md_nid, t->fam->tsa, t->fam->tsa_key,
			    t->chain, err);
}

/* Record where one seal picture went (at most ES_SIGN_MAX_PLACEMENTS). */
static void add_placement(es_sign_result *res, int page, double x_mm, double y_mm,
			  double w_mm, double h_mm)
{
	if (res->nplacements >= ES_SIGN_MAX_PLACEMENTS)
		return;
	res->placements[res->nplacements].page = page;
	res->placements[res->nplacements].x_mm = x_mm;
	res->placements[res->nplacements].y_mm = y_mm;
	res->placements[res->nplacements].w_mm = w_mm;
	res->placements[res->nplacements].h_mm = h_mm;
	res->nplacements++;
}

/* Platform OCSP answer for the holder certificate (B-LT). */
static int status_cb(void *ctx, const char *serial_hex, int *revoked, time_t *when, int *reason)
{
	es_platform *p = ctx;
	es_revocation_row *rows = NULL;
	size_t n = 0, i;

	*revoked = 0;
	if (es_store_revocation_list(p->st, "p256", &rows, &n, NULL) < 0)
		return ES_ESTORE;
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].serial_hex, serial_hex) == 0) {
			*revoked = 1;
			*when = rows[i].when;
			*reason = rows[i].reason;
		}
	}
	ES_ROWS_FREE(rows, n, es_revocation_row_clear);
	return 0;
}

static int sign_pdf(es_platform *p, const es_sign_req *r, const es_seal_row *s,
		    EVP_PKEY *key, X509 *cert, es_sign_result *res, es_err *err)
{
	es_pdf_sign_opts o = ES_PDF_SIGN_OPTS_INIT;
	es_pdf_sign_result pr;
	const es_pki_family *f;
	es_picture *pic = NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	char *stream = NULL;
	size_t slen = 0, i;
	unsigned char *crl = NULL, *oreq = NULL, *oresp = NULL;
	size_t crl_len = 0, oreq_len = 0, oresp_len = 0;
	const unsigned char *crls[1], *ocsps[1];
	size_t crl_lens[1], ocsp_lens[1];
	tsa_ctx t = {0};
	int rc;

	memset(&pr, 0, sizeof(pr));
	if (chain == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	if ((rc = es_platform_family_keys(p, ES_ALG_P256, r->level >= ES_PADES_B_LT ?
			ES_FAM_TSA_KEY | ES_FAM_ISSUING_KEY | ES_FAM_OCSP_KEY : ES_FAM_TSA_KEY, &f, err)) < 0)
		goto out;
	if (s->appearance.len > 0) {
		/* made at issuance: no font to load while signing */
		o.appearance = (const char *)s->appearance.data;
		o.appearance_len = s->appearance.len;
		o.width_mm = s->width_mm;
		o.height_mm = s->height_mm;
	} else {
		if ((rc = es_core_seal_picture(s, &pic, err)) < 0 ||
		    (rc = es_picture_pdf_stream(&stream, &slen, pic, err)) < 0)
			goto out;
		o.appearance = stream;
		o.appearance_len = slen;
		o.width_mm = es_picture_width_mm(pic);
		o.height_mm = es_picture_height_mm(pic);
	}
	X509_up_ref(f->issuing);
	sk_X509_push(chain, f->issuing);
	X509_up_ref(f->root);
	sk_X509_push(chain, f->root);
	t.fam = f;
	t.chain = chain;
	t.url = r->tsa_url;
	o.page = r->page;
	o.x_mm = r->x_mm;
	o.y_mm = r->y_mm;
	o.keyword = r->keyword;
	o.occurrence = r->occurrence;
	o.cross_page = r->cross_page;
	o.key = key;
	o.cert = cert;
	o.chain = chain;
	o.level = r->level ? (es_pades_level)r->level : ES_PADES_B_T;
	o.certify = r->certify;
	o.reason = r->reason;
	o.location = r->location;
	o.name = s->name;
	o.tsa = tsa_cb;
	o.tsa_ctx = &t;
	/* the platform TSA: reserve its token's bound instead of a dry-run stamp */
	if (t.url == NULL && (rc = es_tsa_token_max_len(&o.tsa_reserve, f->tsa, chain, err)) < 0)
		goto out;
	if (o.level >= ES_PADES_B_LT) {
		if ((rc = es_platform_crl(p, ES_ALG_P256, &crl, &crl_len, err)) < 0 ||
		    (rc = es_ocsp_request_make(&oreq, &oreq_len, cert, f->issuing, err)) < 0 ||
		    (rc = es_ocsp_respond(&oresp, &oresp_len, oreq, oreq_len, f->issuing, f->ocsp,
					  f->ocsp_key, status_cb, p, err)) < 0)
			goto out;
		crls[0] = crl;
		crl_lens[0] = crl_len;
		ocsps[0] = oresp;
		ocsp_lens[0] = oresp_len;
		o.crls = crls;
		o.crl_lens = crl_lens;
		o.ncrls = 1;
		o.ocsps = ocsps;
		o.ocsp_lens = ocsp_lens;
		o.nocsps = 1;
		o.dss_certs = chain;
	}
	if ((rc = es_pdf_sign(r->in_path, r->out_path, &o, &pr, err)) < 0)
		goto out;
	/* es_pdf_sign read the input once and hashed it on the way: no re-read */
	memcpy(res->sha256_before, pr.in_sha256, sizeof(res->sha256_before));
	memcpy(res->sha256_after, pr.out_sha256, sizeof(res->sha256_after));
	snprintf(res->format, sizeof(res->format), "pdf");
	for (i = 0; i < pr.nplacements; i++)
		add_placement(res, pr.placements[i].page, pr.placements[i].x_mm, pr.placements[i].y_mm,
			      pr.placements[i].w_mm, pr.placements[i].h_mm);
out:
	free(crl);
	free(oreq);
	free(oresp);
	free(stream);
	es_picture_free(pic);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

static int sign_ofd(es_platform *p, const es_sign_req *r, const es_seal_row *s,
		    EVP_PKEY *key, X509 *cert, es_sign_result *res, es_err *err)
{
	es_ofd_sign_opts o = ES_OFD_SIGN_OPTS_INIT;
	es_ofd_sign_result orr;
	const es_pki_family *f;
	STACK_OF(X509) *chain = sk_X509_new_null();
	tsa_ctx t = {0};
	size_t i;
	int rc;

	memset(&orr, 0, sizeof(orr));
	if (chain == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	/* The OFD timestamp comes from the platform's P-256 TSA (SM3 imprint). */
	if ((rc = es_platform_family_keys(p, ES_ALG_P256, ES_FAM_TSA_KEY, &f, err)) < 0)
		goto out;
	X509_up_ref(f->issuing);
	sk_X509_push(chain, f->issuing);
	t.fam = f;
	t.chain = chain;
	t.url = r->tsa_url;
	o.page = r->page == -2 ? 1 : r->page;
	o.x_mm = r->x_mm;
	o.y_mm = r->y_mm;
	o.keyword = r->keyword;
	o.occurrence = r->occurrence;
	o.cross_page = r->cross_page;
	o.type_sign = r->ofd_type_sign;
	o.seal = s->esl.data;
	o.seal_len = s->esl.len;
	o.width_mm = s->width_mm;
	o.height_mm = s->height_mm;
	o.key = key;
	o.cert = cert;
	o.tsa = tsa_cb;
	o.tsa_ctx = &t;
	if ((rc = es_ofd_sign(r->in_path, r->out_path, &o, &orr, err)) < 0)
		goto out;
	snprintf(res->format, sizeof(res->format), "ofd");
	for (i = 0; i < orr.nstamps; i++)
		add_placement(res, orr.stamps[i].page, orr.stamps[i].x_mm, orr.stamps[i].y_mm,
			      orr.stamps[i].w_mm, orr.stamps[i].h_mm);
out:
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

/* The fields are bounded (format, two hex digests, a count): cap = 512 fits. */
static void sign_audit_details(char *buf, size_t cap, const es_sign_result *res)
{
	snprintf(buf, cap,
		 "{\"format\":\"%s\",\"sha256_before\":\"%s\",\"sha256_after\":\"%s\",\"placements\":%zu}",
		 res->format, res->sha256_before, res->sha256_after, res->nplacements);
}

static void audit_sign(es_platform *p, const es_sign_req *r, const es_sign_result *res, const char *outcome)
{
	char details[512];

	sign_audit_details(details, sizeof(details), res);
	es_audit(p, r->login, "document.sign", r->seal_code ? r->seal_code : "", details, outcome, NULL);
}

int es_core_sign_audit(es_platform *p, const es_sign_req *r, const es_sign_result *res,
		       const char *outcome, int64_t *id, es_err *err)
{
	char details[512];

	sign_audit_details(details, sizeof(details), res);
	return es_core_audit_append(p, r->login, "document.sign", r->seal_code ? r->seal_code : "", details,
				    outcome, p->client[0] ? p->client : "cli", id, err);
}

/* ---- seal key cache (auto-sign) ----
 * Unwrapping a seal key (AES-GCM, then PKCS#8 decoding) and decoding its
 * certificate (OpenSSL 3 looks the public key decoder up every time) cost a
 * good part of a one-page signature.  An auto-sign client signs with the
 * same seal again and again, so both are kept for a few seconds.  The cache
 * only replaces the decoding: seal state, grant and signer are checked from
 * the store before every use, so a suspension, revocation or revoked grant
 * refuses the next request although the key is still here. */

/* EVP_PKEY_free() clears the private scalar (BN_clear_free); the wrapped
 * copy is ciphertext. */
static void key_slot_clear(es_seal_key_slot *k)
{
	EVP_PKEY_free(k->key);
	X509_free(k->cert);
	free(k->wrapped);
	free(k->cert_der);
	memset(k, 0, sizeof(*k));
}

static void seal_keys_expire(es_platform *p, time_t now)
{
	size_t i;

	for (i = 0; i < ES_SEAL_KEY_CACHE_SLOTS; i++)
		if (p->seal_keys[i].key != NULL && p->seal_keys[i].expires <= now)
			key_slot_clear(&p->seal_keys[i]);
}

void es_core_seal_keys_drop(es_platform *p, const char *code)
{
	size_t i;

	for (i = 0; i < ES_SEAL_KEY_CACHE_SLOTS; i++)
		if (p->seal_keys[i].key != NULL && (code == NULL || strcmp(p->seal_keys[i].code, code) == 0))
			key_slot_clear(&p->seal_keys[i]);
}

size_t es_core_seal_keys_cached(es_platform *p)
{
	size_t i, n = 0;

	seal_keys_expire(p, time(NULL));
	for (i = 0; i < ES_SEAL_KEY_CACHE_SLOTS; i++)
		n += p->seal_keys[i].key != NULL;
	return n;
}

static int blob_is(const unsigned char *d, size_t n, const es_blob *b)
{
	return n == b->len && d != NULL && memcmp(d, b->data, n) == 0;
}

/* Keep key and cert (the caller keeps its own references) as those of
 * wrapped and cert_der. */
static void seal_key_keep(es_platform *p, const char *code, const char *aad, const es_blob *wrapped,
			  const es_blob *cert_der, EVP_PKEY *key, X509 *cert, time_t now)
{
	es_seal_key_slot *k = NULL;
	size_t i;

	for (i = 0; i < ES_SEAL_KEY_CACHE_SLOTS; i++) {
		es_seal_key_slot *c = &p->seal_keys[i];
		if (c->key == NULL) {
			k = c;
			break;
		}
		if (k == NULL || c->expires < k->expires)
			k = c;   /* the oldest makes room */
	}
	key_slot_clear(k);
	if ((k->wrapped = malloc(wrapped->len)) == NULL || (k->cert_der = malloc(cert_der->len)) == NULL ||
	    EVP_PKEY_up_ref(key) != 1) {
		key_slot_clear(k);
		return;
	}
	k->key = key;
	if (X509_up_ref(cert) != 1) {
		key_slot_clear(k);
		return;
	}
	k->cert = cert;
	memcpy(k->wrapped, wrapped->data, wrapped->len);
	k->wrapped_len = wrapped->len;
	memcpy(k->cert_der, cert_der->data, cert_der->len);
	k->cert_der_len = cert_der->len;
	snprintf(k->code, sizeof(k->code), "%s", code);
	snprintf(k->aad, sizeof(k->aad), "%s", aad);
	k->expires = now + p->seal_key_ttl_s;
}

/* A cached key and certificate for exactly these stored bytes: 1 and
 * references in *key and *cert, or 0. */
static int seal_key_cached(es_platform *p, const char *aad, const es_blob *wrapped, const es_blob *cert_der,
			   EVP_PKEY **key, X509 **cert)
{
	size_t i;

	for (i = 0; i < ES_SEAL_KEY_CACHE_SLOTS; i++) {
		es_seal_key_slot *k = &p->seal_keys[i];
		if (k->key == NULL || strcmp(k->aad, aad) != 0 || !blob_is(k->wrapped, k->wrapped_len, wrapped) ||
		    !blob_is(k->cert_der, k->cert_der_len, cert_der))
			continue;
		if (EVP_PKEY_up_ref(k->key) != 1)
			return 0;
		if (X509_up_ref(k->cert) != 1) {
			EVP_PKEY_free(k->key);
			return 0;
		}
		*key = k->key;
		*cert = k->cert;
		return 1;
	}
	return 0;
}

/* The seal's private key from its wrapped form and its certificate; with
 * cache, those decoded from the very same stored bytes less than
 * seal_key_ttl_s ago are used again.  *key and *cert are the caller's
 * references (EVP_PKEY_free, X509_free). */
static int seal_key(es_platform *p, const char *code, const char *aad, const es_blob *wrapped,
		    const es_blob *cert_der, int cache, EVP_PKEY **key, X509 **cert, es_err *err)
{
	time_t now = time(NULL);
	int rc;

	*key = NULL;
	*cert = NULL;
	cache = cache && p->seal_key_ttl_s > 0 && strlen(code) < ES_SEAL_CODE_CAP &&
		strlen(aad) < ES_SEAL_KEY_AAD_CAP;
	if (cache) {
		seal_keys_expire(p, now);
		if (seal_key_cached(p, aad, wrapped, cert_der, key, cert))
			return 0;
	}
	if ((rc = es_key_unwrap(key, wrapped->data, wrapped->len, p->kek, aad, err)) < 0)
		return rc;
	if ((rc = es_cert_from_der(cert, cert_der->data, cert_der->len, err)) < 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return rc;
	}
	if (cache)
		seal_key_keep(p, code, aad, wrapped, cert_der, *key, *cert, now);
	return 0;
}

/* ---- signing ---- */

/* Audit digests.  A PDF's come from es_pdf_sign, which hashes the input while
 * copying it and the output as it is written; an OFD is rewritten as a new
 * package, so both files are hashed here.  A refused attempt records the
 * input's digest (refused_digest). */
static void refused_digest(const es_sign_req *r, es_sign_result *res)
{
	if (res->sha256_before[0] == '\0' && r->in_path != NULL)
		(void)es_file_sha256(res->sha256_before, r->in_path, NULL);
}

/* Unwrap (or reuse) the seal's key, sign, and have both audit digests. */
static int sign_with(es_platform *p, const es_sign_req *r, const es_seal_row *s, const char *format,
		     int key_cache, es_sign_result *res, es_err *err)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char aad[ES_SEAL_KEY_AAD_CAP];
	int is_pdf = format != NULL ? strcmp(format, "ofd") != 0 : !es_ofd_is_ofd(r->in_path), rc;

	snprintf(aad, sizeof(aad), "seal:%s:%s", s->code, is_pdf ? "p256" : "sm2");
	if ((rc = seal_key(p, s->code, aad, is_pdf ? &s->p256_key : &s->sm2_key,
			   is_pdf ? &s->p256_cert : &s->sm2_cert, key_cache, &key, &cert, err)) < 0)
		return rc;
	if (!is_pdf && (rc = es_file_sha256(res->sha256_before, r->in_path, err)) < 0)
		goto out;
	rc = is_pdf ? sign_pdf(p, r, s, key, cert, res, err) : sign_ofd(p, r, s, key, cert, res, err);
	if (rc == 0 && !is_pdf)
		rc = es_file_sha256(res->sha256_after, r->out_path, err);
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	return rc;
}

int es_sign_document(es_platform *p, const es_sign_req *r, es_sign_result *res, es_err *err)
{
	es_seal_row s = {0};
	int64_t grant_id = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if (r->seal_code == NULL || r->login == NULL || r->in_path == NULL || r->out_path == NULL) {
		rc = es_err_set(err, ES_EINVAL, "signing needs a seal, a signer, an input and an output");
		goto out;
	}
	/* 意愿确认: the signer proves it is them before anything else happens. */
	if (!r->preauthenticated && (rc = es_user_authenticate(p, r->login, r->password, r->totp, err)) < 0)
		goto refused;
	if ((rc = es_store_seal_get(p->st, r->seal_code, &s, err)) < 0 ||
	    (rc = es_core_sign_grant(p, &s, r->login, &grant_id, err)) < 0 ||
	    (rc = es_seal_usable(&s, time(NULL), err)) < 0)
		goto refused;
	/* A signature through a grant spends one of its uses (taken first, so
	 * that two signers cannot both spend the last one). */
	if (grant_id > 0 && (rc = es_store_grant_use(p->st, grant_id, err)) < 0)
		goto refused;
	if ((rc = sign_with(p, r, &s, NULL, 0, res, err)) < 0) {
		if (grant_id > 0)
			(void)es_store_grant_unuse(p->st, grant_id, NULL);
		goto refused;
	}
	audit_sign(p, r, res, "ok");
	goto out;
refused:
	refused_digest(r, res);
	audit_sign(p, r, res, "refused");
out:
	es_seal_row_clear(&s);
	return rc;
}

int es_core_sign(es_platform *p, const es_sign_req *r, const es_seal_row *s, const char *format,
		 es_sign_result *res, es_err *err)
{
	int rc;

	memset(res, 0, sizeof(*res));
	if (s == NULL || r->login == NULL || r->in_path == NULL || r->out_path == NULL)
		return es_err_set(err, ES_EINVAL, "signing needs a seal, a signer, an input and an output");
	/* 意愿确认 first, as in es_sign_document */
	if (!r->preauthenticated && (rc = es_user_authenticate(p, r->login, r->password, r->totp, err)) < 0)
		goto refused;
	/* the row is this request's: a suspension or revocation shows here
	 * before any cached key is touched */
	if ((rc = es_seal_usable(s, time(NULL), err)) < 0)
		goto refused;
	if ((rc = sign_with(p, r, s, format, r->cache_key, res, err)) == 0)
		return 0;
refused:
	refused_digest(r, res);
	audit_sign(p, r, res, "refused");
	return rc;
}

int es_render_page(const char *path, int page, int dpi, unsigned char **png, size_t *len, es_err *err)
{
	if (es_ofd_is_ofd(path))
		return es_ofd_render_page(png, len, path, page, dpi, err);
	return es_pdf_render_page(png, len, path, page, dpi, err);
}
