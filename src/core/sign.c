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
		    EVP_PKEY *key, es_sign_result *res, es_err *err)
{
	es_pdf_sign_opts o = ES_PDF_SIGN_OPTS_INIT;
	es_pdf_sign_result pr;
	const es_pki_family *f;
	es_picture *pic = NULL;
	X509 *cert = NULL;
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
			ES_FAM_TSA_KEY | ES_FAM_ISSUING_KEY | ES_FAM_OCSP_KEY : ES_FAM_TSA_KEY, &f, err)) < 0 ||
	    (rc = es_cert_from_der(&cert, s->p256_cert.data, s->p256_cert.len, err)) < 0)
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
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

static int sign_ofd(es_platform *p, const es_sign_req *r, const es_seal_row *s,
		    EVP_PKEY *key, es_sign_result *res, es_err *err)
{
	es_ofd_sign_opts o = ES_OFD_SIGN_OPTS_INIT;
	es_ofd_sign_result orr;
	const es_pki_family *f;
	X509 *cert = NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	tsa_ctx t = {0};
	size_t i;
	int rc;

	memset(&orr, 0, sizeof(orr));
	if (chain == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	/* The OFD timestamp comes from the platform's P-256 TSA (SM3 imprint). */
	if ((rc = es_platform_family_keys(p, ES_ALG_P256, ES_FAM_TSA_KEY, &f, err)) < 0 ||
	    (rc = es_cert_from_der(&cert, s->sm2_cert.data, s->sm2_cert.len, err)) < 0)
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
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

static void audit_sign(es_platform *p, const es_sign_req *r, const es_sign_result *res, const char *outcome)
{
	char details[512];

	snprintf(details, sizeof(details),
		 "{\"format\":\"%s\",\"sha256_before\":\"%s\",\"sha256_after\":\"%s\",\"placements\":%zu}",
		 res->format, res->sha256_before, res->sha256_after, res->nplacements);
	es_audit(p, r->login, "document.sign", r->seal_code ? r->seal_code : "", details, outcome, NULL);
}

int es_sign_document(es_platform *p, const es_sign_req *r, es_sign_result *res, es_err *err)
{
	es_seal_row s = {0};
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *before = EVP_MD_CTX_new(), *after = EVP_MD_CTX_new();
	long long in_len = 0;
	char aad[96];
	int is_pdf = 0, rc;

	memset(res, 0, sizeof(*res));
	if (r->seal_code == NULL || r->login == NULL || r->in_path == NULL || r->out_path == NULL) {
		rc = es_err_set(err, ES_EINVAL, "signing needs a seal, a signer, an input and an output");
		goto out;
	}
	/* Audit digests.  A PDF is sealed by an incremental update that keeps the
	 * input bytes in front (es_pdf_sign), so the digest of the output
	 * continues the input's digest state with the appended bytes only. */
	if (before == NULL || after == NULL || EVP_DigestInit_ex(before, EVP_sha256(), NULL) != 1) {
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = es_file_digest_update(before, r->in_path, 0, &in_len, err)) < 0 ||
	    EVP_MD_CTX_copy_ex(after, before) != 1 ||
	    (rc = es_digest_final_hex(res->sha256_before, before, err)) < 0) {
		rc = rc < 0 ? rc : es_err_set(err, ES_ENOMEM, "out of memory");
		goto out;
	}
	/* 意愿确认: the signer proves it is them before anything else happens. */
	if (!r->preauthenticated && (rc = es_user_authenticate(p, r->login, r->password, r->totp, err)) < 0)
		goto refused;
	if ((rc = es_store_seal_get(p->st, r->seal_code, &s, err)) < 0 ||
	    (rc = es_seal_authorised(p, &s, r->login, err)) < 0 ||
	    (rc = es_seal_usable(&s, time(NULL), err)) < 0)
		goto refused;
	is_pdf = !es_ofd_is_ofd(r->in_path);
	snprintf(aad, sizeof(aad), "seal:%s:%s", s.code, is_pdf ? "p256" : "sm2");
	if ((rc = is_pdf ? es_key_unwrap(&key, s.p256_key.data, s.p256_key.len, p->kek, aad, err)
			 : es_key_unwrap(&key, s.sm2_key.data, s.sm2_key.len, p->kek, aad, err)) < 0)
		goto refused;
	rc = is_pdf ? sign_pdf(p, r, &s, key, res, err) : sign_ofd(p, r, &s, key, res, err);
	if (rc < 0)
		goto refused;
	if (is_pdf)
		rc = es_file_digest_update(after, r->out_path, in_len, NULL, err);
	else if ((rc = EVP_DigestInit_ex(after, EVP_sha256(), NULL) == 1 ? 0 : ES_ECRYPTO) == 0)
		rc = es_file_digest_update(after, r->out_path, 0, NULL, err);
	if (rc < 0 || (rc = es_digest_final_hex(res->sha256_after, after, err)) < 0)
		goto refused;
	audit_sign(p, r, res, "ok");
	goto out;
refused:
	audit_sign(p, r, res, "refused");
out:
	EVP_PKEY_free(key);
	es_seal_row_clear(&s);
	EVP_MD_CTX_free(before);
	EVP_MD_CTX_free(after);
	return rc;
}

int es_render_page(const char *path, int page, int dpi, unsigned char **png, size_t *len, es_err *err)
{
	if (es_ofd_is_ofd(path))
		return es_ofd_render_page(png, len, path, page, dpi, err);
	return es_pdf_render_page(png, len, path, page, dpi, err);
}
