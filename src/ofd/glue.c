/* The only calls from src/ofd into src/seal and the PKI chain code, so the
 * OFD concern has one place to adapt when those APIs move.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>
#include "eseal/pki.h"
#include "eseal/seal.h"
#include "ofd_int.h"

int ofd_seal_checks(es_report *r, es_sig_report *sig, const unsigned char *seal,
		    size_t seal_len, const unsigned char *cert, size_t cert_len,
		    STACK_OF(X509) *anchors, time_t at, int *listed, es_err *err)
{
	es_seal *s = NULL;
	es_err e2 = ES_ERR_INIT;
	int rc;

	*listed = -1;
	if (es_seal_parse(&s, seal, seal_len, &e2) < 0) {
		char en[256];

		snprintf(en, sizeof(en), "the embedded SESeal cannot be parsed: %.200s", e2.msg);
		return es_report_add(r, sig, ES_SEV_FAIL, "SEAL_MALFORMED", en,
				     "签名中嵌入的电子印章无法解析", err);
	}
	rc = es_seal_check(s, r, sig, anchors, at, err);
	/* A seal whose cert list names no certificate at all (non-standard v1
	 * producers) cannot say who may use it: leave *listed unknown (-1). */
	if (rc == 0 && cert && cert_len && es_seal_cert_count(s) > 0)
		*listed = es_seal_lists_cert(s, cert, cert_len) == 1;
	es_seal_free(s);
	return rc;
}

int ofd_seal_lists(const unsigned char *seal, size_t seal_len, X509 *cert, es_err *err)
{
	es_seal *s = NULL;
	unsigned char *der = NULL;
	int len, rc;

	if ((rc = es_seal_parse(&s, seal, seal_len, err)) < 0)
		return rc;
	len = i2d_X509(cert, &der);
	rc = len > 0 && es_seal_lists_cert(s, der, (size_t)len) == 1;
	OPENSSL_free(der);
	es_seal_free(s);
	return rc;
}

int ofd_seal_picture(unsigned char **pic, size_t *len, char *type, size_t tcap,
		     const unsigned char *seal, size_t seal_len, es_err *err)
{
	es_seal *s = NULL;
	const unsigned char *p;
	int rc;

	*pic = NULL;
	if ((rc = es_seal_parse(&s, seal, seal_len, err)) < 0)
		return rc;
	p = es_seal_picture(s, len);
	snprintf(type, tcap, "%s", es_seal_picture_type(s) ? es_seal_picture_type(s) : "");
	if (p && *len && (*pic = malloc(*len)) != NULL)
		memcpy(*pic, p, *len);
	else
		rc = es_err_set(err, ES_EFORMAT, "seal has no picture");
	es_seal_free(s);
	return rc;
}

int ofd_chain(int *status, X509 *cert, STACK_OF(X509) *anchors, time_t at, es_err *err)
{
	es_chain_status st = ES_CHAIN_UNTRUSTED;
	int rc;

	if (anchors == NULL || sk_X509_num(anchors) == 0) {
		*status = ES_CHAIN_UNTRUSTED;
		return 0;
	}
	rc = es_chain_check(&st, cert, NULL, anchors, at, err);
	*status = (int)st;
	return rc;
}

void ofd_cert_names(X509 *c, char *cn, size_t cncap, char *o, size_t ocap)
{
	es_cert_cn(c, cn, cncap);
	es_cert_o(c, o, ocap);
}

int ofd_seal_size(double *w_mm, double *h_mm, const unsigned char *seal, size_t seal_len,
		  es_err *err)
{
	es_seal *s = NULL;
	int rc;

	if ((rc = es_seal_parse(&s, seal, seal_len, err)) < 0)
		return rc;
	*w_mm = es_seal_picture_width_mm(s);
	*h_mm = es_seal_picture_height_mm(s);
	es_seal_free(s);
	return 0;
}

int ofd_tsa_verify(time_t *gen_time, X509 **tsa, const unsigned char *token, size_t len,
		   const unsigned char *sig, size_t siglen, es_err *err)
{
	static const int nids[] = {NID_sm3, NID_sha256};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t i;
	int rc = ES_EVERIFY;

	/* GB/T 38540 leaves the imprint algorithm to the TSA: SM3 first. */
	for (i = 0; i < ES_ARRAY_LEN(nids) && rc == ES_EVERIFY; i++) {
		if (EVP_Digest(sig, siglen, md, &mdlen, EVP_get_digestbynid(nids[i]), NULL) != 1)
			return es_err_ssl(err, ES_ECRYPTO, "digest failed");
		rc = es_tsa_token_verify(gen_time, tsa, token, len, md, mdlen, nids[i], NULL, err);
	}
	return rc;
}
