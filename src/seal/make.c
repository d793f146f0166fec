/* Build and sign a GB/T 38540-2020 (v4) SESeal.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include "eseal/pki.h"
#include "der.h"
#include "seal_int.h"

#define SEAL_V4_VERSION 4        /* GB/T 38540-2020 header version */
#define SEAL_CERT_LIST_CERTS 1   /* certListType: certificates by value */
#define SEAL_MAX_PICTURE_MM 1000 /* a seal picture larger than 1 m is a mistake */

/* DER of OBJECT IDENTIFIER 1.2.156.10197.1.501 (SM3withSM2, GM/T 0006). */
static const unsigned char OID_SM3_WITH_SM2_TLV[] = {
	0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75};

static int put_str(es_buf *b, unsigned char tag, const char *s, es_err *err)
{
	return der_put(b, tag, s, strlen(s), err);
}

static int put_cert(es_buf *b, X509 *x, es_err *err)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der), rc;

	if (n <= 0)
		return es_err_ssl(err, ES_ECRYPTO, "cannot encode a certificate");
	rc = der_put(b, DER_OCTET_STRING, der, (size_t)n, err);
	OPENSSL_free(der);
	return rc;
}

static int build_header(es_buf *out, const es_seal_info *in, es_err *err)
{
	es_buf h = {0};
	int rc;

	if ((rc = put_str(&h, DER_IA5_STRING, "ES", err)) == 0 &&
	    (rc = der_put_uint(&h, SEAL_V4_VERSION, err)) == 0 &&
	    (rc = put_str(&h, DER_IA5_STRING, in->vid, err)) == 0)
		rc = der_wrap(out, DER_SEQUENCE, &h, err);
	es_buf_free(&h, 0);
	return rc;
}

static int build_property(es_buf *out, const es_seal_info *in, es_err *err)
{
	es_buf p = {0}, certs = {0};
	size_t i;
	int rc = 0;

	for (i = 0; i < in->ncerts && rc == 0; i++)
		rc = put_cert(&certs, in->certs[i], err);
	if (rc == 0 &&
	    (rc = der_put_uint(&p, (unsigned long)in->type, err)) == 0 &&
	    (rc = put_str(&p, DER_UTF8_STRING, in->name, err)) == 0 &&
	    (rc = der_put_uint(&p, SEAL_CERT_LIST_CERTS, err)) == 0 &&
	    (rc = der_wrap(&p, DER_SEQUENCE, &certs, err)) == 0 &&
	    (rc = der_put_gentime(&p, in->create_date, err)) == 0 &&
	    (rc = der_put_gentime(&p, in->valid_start, err)) == 0 &&
	    (rc = der_put_gentime(&p, in->valid_end, err)) == 0)
		rc = der_wrap(out, DER_SEQUENCE, &p, err);
	es_buf_free(&p, 0);
	es_buf_free(&certs, 0);
	return rc;
}

static int build_picture(es_buf *out, const es_seal_info *in, es_err *err)
{
	es_buf p = {0};
	int rc;

	if ((rc = put_str(&p, DER_IA5_STRING, in->picture_type, err)) == 0 &&
	    (rc = der_put(&p, DER_OCTET_STRING, in->picture, in->picture_len, err)) == 0 &&
	    (rc = der_put_uint(&p, (unsigned long)in->width_mm, err)) == 0 &&
	    (rc = der_put_uint(&p, (unsigned long)in->height_mm, err)) == 0)
		rc = der_wrap(out, DER_SEQUENCE, &p, err);
	es_buf_free(&p, 0);
	return rc;
}

static int build_info(es_buf *out, const es_seal_info *in, es_err *err)
{
	es_buf i = {0};
	int rc;

	if ((rc = build_header(&i, in, err)) == 0 &&
	    (rc = put_str(&i, DER_IA5_STRING, in->esid, err)) == 0 &&
	    (rc = build_property(&i, in, err)) == 0 &&
	    (rc = build_picture(&i, in, err)) == 0)
		rc = der_wrap(out, DER_SEQUENCE, &i, err);
	es_buf_free(&i, 0);
	return rc;
}

static int is_ia5(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s > 0x7f)
			return 0;
	return 1;
}

static int check_info(const es_seal_info *in, es_err *err)
{
	if (in->vid == NULL || in->esid == NULL || in->name == NULL || in->picture_type == NULL)
		return es_err_set(err, ES_EINVAL, "seal needs vid, esID, name and picture type");
	if (in->vid[0] == '\0' || in->esid[0] == '\0' || in->name[0] == '\0')
		return es_err_set(err, ES_EINVAL, "seal vid, esID and name must not be empty");
	if (!is_ia5(in->vid) || !is_ia5(in->esid) || !is_ia5(in->picture_type))
		return es_err_set(err, ES_EINVAL, "seal vid, esID and picture type must be ASCII (IA5String)");
	if (!seal_utf8_valid(in->name))
		return es_err_set(err, ES_EINVAL, "seal name is not valid UTF-8");
	if (in->picture == NULL || in->picture_len == 0)
		return es_err_set(err, ES_EINVAL, "seal needs a picture");
	if (in->ncerts > 0 && in->certs == NULL)
		return es_err_set(err, ES_EINVAL, "holder certificate list is missing");
	if (in->type < 0)
		return es_err_set(err, ES_EINVAL, "seal type must not be negative");
	if (in->width_mm <= 0 || in->height_mm <= 0 || in->width_mm > SEAL_MAX_PICTURE_MM ||
	    in->height_mm > SEAL_MAX_PICTURE_MM)
		return es_err_set(err, ES_ERANGE, "seal picture size %dx%d mm is out of range",
				  in->width_mm, in->height_mm);
	if (in->valid_end <= in->valid_start)
		return es_err_set(err, ES_EINVAL, "seal validity ends before it starts");
	return 0;
}

/* SESeal ::= SEQUENCE { eSealInfo, cert OCTET STRING, signAlgID OID, signedValue BIT STRING } */
static int assemble(es_buf *out, const es_buf *info, X509 *maker, const unsigned char *sig,
		    size_t siglen, es_err *err)
{
	es_buf body = {0}, bits = {0};
	unsigned char unused = 0;
	int rc;

	if ((rc = es_buf_append(&body, info->data, info->len, err)) == 0 &&
	    (rc = put_cert(&body, maker, err)) == 0 &&
	    (rc = es_buf_append(&body, OID_SM3_WITH_SM2_TLV, sizeof(OID_SM3_WITH_SM2_TLV), err)) == 0 &&
	    (rc = es_buf_append(&bits, &unused, 1, err)) == 0 &&
	    (rc = es_buf_append(&bits, sig, siglen, err)) == 0 &&
	    (rc = der_wrap(&body, DER_BIT_STRING, &bits, err)) == 0)
		rc = der_wrap(out, DER_SEQUENCE, &body, err);
	es_buf_free(&body, 0);
	es_buf_free(&bits, 0);
	return rc;
}

/* minisign-style: never hand out a seal we have not verified ourselves. */
static int verify_made(const es_buf *out, X509 *maker, es_err *err)
{
	es_seal *s = NULL;
	int rc = es_seal_parse(&s, out->data, out->len, err);

	if (rc == 0 && (rc = seal_verify_maker_sig(s, maker, err)) < 0)
		rc = es_err_set(err, ES_ECRYPTO,
				"the new seal does not verify; does the maker key match the maker certificate?");
	es_seal_free(s);
	return rc;
}

int es_seal_make_v4(unsigned char **der, size_t *len, const es_seal_info *info,
		    X509 *maker, EVP_PKEY *maker_key, es_err *err)
{
	es_buf tbs = {0}, out = {0};
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int rc;

	*der = NULL;
	*len = 0;
	if (info == NULL || maker == NULL || maker_key == NULL)
		return es_err_set(err, ES_EINVAL, "seal info, maker certificate and key are required");
	if ((rc = check_info(info, err)) < 0)
		goto out;
	if ((rc = build_info(&tbs, info, err)) < 0)
		goto out;
	/* GB/T 38540-2020: the maker signs DER(eSealInfo). */
	if ((rc = es_sm2_sign(&sig, &siglen, maker_key, tbs.data, tbs.len, err)) < 0)
		goto out;
	if ((rc = assemble(&out, &tbs, maker, sig, siglen, err)) < 0)
		goto out;
	if ((rc = verify_made(&out, maker, err)) < 0)
		goto out;
	*der = out.data;
	*len = out.len;
	out.data = NULL;
out:
	OPENSSL_free(sig);
	es_buf_free(&tbs, 0);
	es_buf_free(&out, 0);
	return rc;
}
