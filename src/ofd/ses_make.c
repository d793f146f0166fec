/* GB/T 38540-2020 SES_Signature v4 writer.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "eseal/ofd.h"
#include "eseal/pki.h"
#include "ofd_int.h"

#define SES_VERSION 4
#define SM3_LEN 32

static int put_bits(es_buf *b, const unsigned char *p, size_t n, es_err *err)
{
	es_buf t = {0};
	int rc;

	if ((rc = es_buf_append(&t, "\0", 1, err)) == 0 && (rc = es_buf_append(&t, p, n, err)) == 0)
		rc = ofd_der_put(b, 0x03, t.data, t.len, err);
	es_buf_free(&t, 0);
	return rc;
}

/* TBS_Sign ::= SEQUENCE { version, eseal, timeInfo, dataHash, propertyInfo } */
static int make_tbs(es_buf *out, const unsigned char *seal, size_t seal_len,
		    const unsigned char *xml, size_t xml_len, const char *prop, time_t when,
		    es_err *err)
{
	es_buf b = {0};
	unsigned char ver = SES_VERSION, md[SM3_LEN];
	char gt[32];
	struct tm tm;
	int rc;

	gmtime_r(&when, &tm);
	strftime(gt, sizeof(gt), "%Y%m%d%H%M%SZ", &tm);
	if ((rc = ofd_der_put(&b, 0x02, &ver, 1, err)) < 0 ||
	    (rc = es_buf_append(&b, seal, seal_len, err)) < 0 ||
	    (rc = ofd_der_put(&b, 0x18, gt, strlen(gt), err)) < 0 ||
	    (rc = es_sm3(md, xml, xml_len, err)) < 0 ||
	    (rc = put_bits(&b, md, sizeof(md), err)) < 0 ||
	    (rc = ofd_der_put(&b, 0x16, prop, strlen(prop), err)) < 0)
		goto out;
	rc = ofd_der_put(out, 0x30, b.data, b.len, err);
out:
	es_buf_free(&b, 0);
	return rc;
}

static int seal_is_one_tlv(const unsigned char *seal, size_t len)
{
	const unsigned char *p = seal;
	ofd_tlv t;

	return ofd_der_read(&t, &p, seal + len) == 0 && t.tag == 0x30 && p == seal + len;
}

static int add_timestamp(es_buf *b, const unsigned char *sig, size_t siglen, es_tsa_fn tsa,
			 void *ctx, es_err *err)
{
	unsigned char md[SM3_LEN], *tok = NULL;
	size_t toklen = 0;
	es_buf bits = {0};
	int rc;

	if ((rc = es_sm3(md, sig, siglen, err)) < 0 ||
	    (rc = tsa(ctx, md, sizeof(md), NID_sm3, &tok, &toklen, err)) < 0)
		goto out;
	if ((rc = put_bits(&bits, tok, toklen, err)) == 0)
		rc = ofd_der_put(b, 0xa0, bits.data, bits.len, err);
out:
	free(tok);
	es_buf_free(&bits, 0);
	return rc;
}

int es_ses_signature_make_v4(unsigned char **der, size_t *len, const unsigned char *seal,
			     size_t seal_len, const unsigned char *signature_xml, size_t xml_len,
			     const char *property_info, time_t when, EVP_PKEY *key, X509 *cert,
			     es_tsa_fn tsa, void *tsa_ctx, es_err *err)
{
	es_buf tbs = {0}, body = {0}, out = {0};
	unsigned char *sig = NULL, *cder = NULL;
	size_t siglen = 0;
	int clen, rc;

	*der = NULL;
	*len = 0;
	if (seal == NULL || !seal_is_one_tlv(seal, seal_len))
		return es_err_set(err, ES_EINVAL, "the seal is not one DER SEQUENCE; pass the SESeal file bytes");
	clen = i2d_X509(cert, &cder);
	if (clen <= 0)
		return es_err_ssl(err, ES_EINVAL, "cannot encode the signer certificate");
	if ((rc = make_tbs(&tbs, seal, seal_len, signature_xml, xml_len, property_info, when, err)) < 0 ||
	    (rc = es_sm2_sign(&sig, &siglen, key, tbs.data, tbs.len, err)) < 0)
		goto out;
	/* minisign rule: check what we made with the certificate before handing it out. */
	if ((rc = es_sm2_verify(X509_get0_pubkey(cert), sig, siglen, tbs.data, tbs.len, err)) < 0) {
		rc = es_err_set(err, ES_EINVAL, "the signer key does not match the signer certificate");
		goto out;
	}
	if ((rc = es_buf_append(&body, tbs.data, tbs.len, err)) < 0 ||
	    (rc = ofd_der_put(&body, 0x04, cder, (size_t)clen, err)) < 0 ||
	    (rc = ofd_der_put_oid(&body, OID_SM3_SM2, err)) < 0 ||
	    (rc = put_bits(&body, sig, siglen, err)) < 0)
		goto out;
	if (tsa && (rc = add_timestamp(&body, sig, siglen, tsa, tsa_ctx, err)) < 0)
		goto out;
	if ((rc = ofd_der_put(&out, 0x30, body.data, body.len, err)) < 0)
		goto out;
	*der = out.data;
	*len = out.len;
	out.data = NULL;
out:
	OPENSSL_free(sig);
	OPENSSL_free(cder);
	es_buf_free(&tbs, 0);
	es_buf_free(&body, 0);
	es_buf_free(&out, 0);
	return rc;
}
