/* The PAdES CMS (ETSI EN 319 142-1 §6.3, CAdES detached): signed attributes
 * contentType, messageDigest, ESS signing-certificate-v2 and nothing else -
 * in particular no signingTime (PAdES puts the claimed time in /M).
 * OpenSSL's CMS_SignerInfo_sign() always adds signingTime, so we encode the
 * signed attributes and sign them ourselves.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include "pdf_int.h"

#define MAX_SIGNED_ATTRS 16
#define DER_SET_TAG 0x31

typedef struct derpart {
	unsigned char *p;
	int len;
} derpart;

static int cmp_der(const void *a, const void *b)
{
	const derpart *x = a, *y = b;
	int n = x->len < y->len ? x->len : y->len, c = memcmp(x->p, y->p, (size_t)n);

	return c ? c : x->len - y->len;
}

static int der_len(es_buf *b, size_t n, es_err *err)
{
	unsigned char l[5];
	int k = 0;

	if (n < 0x80)
		return es_buf_append(b, (unsigned char[]){(unsigned char)n}, 1, err);
	while (n >> (8 * k))
		k++;
	l[0] = (unsigned char)(0x80 | k);
	for (int i = 0; i < k; i++)
		l[1 + i] = (unsigned char)(n >> (8 * (k - 1 - i)));
	return es_buf_append(b, l, (size_t)(1 + k), err);
}

/* DER of SignedAttributes as SET OF (RFC 5652 §5.4: the signature covers the
 * EXPLICIT SET OF encoding, elements in DER order). */
static int signed_attrs_der(es_buf *out, CMS_SignerInfo *si, es_err *err)
{
	derpart parts[MAX_SIGNED_ATTRS];
	int n = CMS_signed_get_attr_count(si), i, k = 0, rc = 0;
	size_t total = 0;

	if (n <= 0 || n > MAX_SIGNED_ATTRS)
		return es_err_set(err, ES_ECRYPTO, "unexpected signed attribute count %d", n);
	for (i = 0; i < n; i++) {
		parts[i].p = NULL;
		parts[i].len = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &parts[i].p);
		if (parts[i].len <= 0) {
			rc = es_err_ssl(err, ES_ECRYPTO, "cannot encode a signed attribute");
			goto out;
		}
		k++;
		total += (size_t)parts[i].len;
	}
	qsort(parts, (size_t)n, sizeof(parts[0]), cmp_der);
	if ((rc = es_buf_append(out, (unsigned char[]){DER_SET_TAG}, 1, err)) < 0 ||
	    (rc = der_len(out, total, err)) < 0)
		goto out;
	for (i = 0; i < n && rc == 0; i++)
		rc = es_buf_append(out, parts[i].p, (size_t)parts[i].len, err);
out:
	for (i = 0; i < k; i++)
		OPENSSL_free(parts[i].p);
	return rc;
}

/* Sign the attributes, store the value, and check it with the certificate. */
static int sign_attrs(CMS_SignerInfo *si, const es_pdf_sign_opts *o, es_err *err)
{
	es_buf attrs = {0};
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int rc;

	if ((rc = signed_attrs_der(&attrs, si, err)) < 0)
		goto out;
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, o->key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, attrs.data, attrs.len) != 1 ||
	    !(sig = OPENSSL_malloc(siglen)) ||
	    EVP_DigestSign(md, sig, &siglen, attrs.data, attrs.len) != 1) {
		rc = es_err_ssl(err, ES_ECRYPTO, "ECDSA signing failed");
		goto out;
	}
	EVP_MD_CTX_free(md);
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(o->cert)) != 1 ||
	    EVP_DigestVerify(md, sig, siglen, attrs.data, attrs.len) != 1) {
		rc = es_err_ssl(err, ES_ECRYPTO, "the new signature does not verify with the signer certificate");
		goto out;
	}
	if (ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)siglen) != 1)
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot store the signature value");
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(sig);
	es_buf_free(&attrs, 0);
	return rc;
}

/* B-T: RFC 3161 token over SHA-256 of the signature value, as unsigned
 * attribute id-aa-signatureTimeStampToken (RFC 3161 Appendix A). */
static int add_tst(CMS_SignerInfo *si, const es_pdf_sign_opts *o, es_err *err)
{
	ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
	unsigned char dg[SHA256_DIGEST_LENGTH];
	unsigned char *tok = NULL;
	size_t toklen = 0;
	int rc;

	SHA256(ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv), dg);
	if ((rc = o->tsa(o->tsa_ctx, dg, sizeof(dg), NID_sha256, &tok, &toklen, err)) < 0)
		return rc;
	if (!tok || toklen == 0 || toklen > INT32_MAX) {
		rc = es_err_set(err, ES_ENET, "the timestamp authority returned no token");
		goto out;
	}
	if (CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE,
					  tok, (int)toklen) != 1)
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot add the timestamp token");
out:
	free(tok);
	return rc;
}

/* Dry run: a signature value as long as the key's longest (for ECDSA a
 * DER SEQUENCE of two full-length INTEGERs), without signing. */
static int placeholder_sig(CMS_SignerInfo *si, const es_pdf_sign_opts *o, es_err *err)
{
	unsigned char buf[EVP_MAX_MD_SIZE * 4];
	int n = EVP_PKEY_get_size(o->key);

	if (n <= 0 || (size_t)n > sizeof(buf))
		return es_err_set(err, ES_ECRYPTO, "unexpected signature size %d", n);
	memset(buf, 0, (size_t)n);
	if (ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), buf, n) != 1)
		return es_err_ssl(err, ES_ECRYPTO, "cannot store the signature value");
	return 0;
}

static int add_chain(CMS_ContentInfo *cms, const es_pdf_sign_opts *o, es_err *err)
{
	for (int i = 0; o->chain && i < sk_X509_num(o->chain); i++) {
		X509 *c = sk_X509_value(o->chain, i);
		if (X509_cmp(c, o->cert) == 0)
			continue;
		if (CMS_add1_cert(cms, c) != 1)
			return es_err_ssl(err, ES_ECRYPTO, "cannot add a chain certificate");
	}
	return 0;
}

int pdf_cms_make(unsigned char **der, size_t *len, const unsigned char digest[32],
		 const es_pdf_sign_opts *o, int dry_run, es_err *err)
{
	const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	unsigned char *p = NULL;
	int n, rc = 0;

	*der = NULL;
	*len = 0;
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (!cms) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot start the CMS");
		goto out;
	}
	/* CMS_CADES: ESS signing-certificate-v2 with SHA-256 and issuerSerial. */
	si = CMS_add1_signer(cms, o->cert, o->key, EVP_sha256(), flags | CMS_CADES);
	if (!si) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot add the signer (key and certificate must match)");
		goto out;
	}
	if ((rc = add_chain(cms, o, err)) < 0)
		goto out;
	if (CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
					OBJ_nid2obj(NID_pkcs7_data), -1) != 1 ||
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING,
					digest, 32) != 1) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot add signed attributes");
		goto out;
	}
	if ((rc = dry_run ? placeholder_sig(si, o, err) : sign_attrs(si, o, err)) < 0)
		goto out;
	if (o->level >= ES_PADES_B_T && !(dry_run && o->tsa_reserve > 0) &&
	    (rc = add_tst(si, o, err)) < 0)
		goto out;
	n = i2d_CMS_ContentInfo(cms, &p);
	if (n <= 0) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot encode the CMS");
		goto out;
	}
	*der = malloc((size_t)n);
	if (!*der) {
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*der, p, (size_t)n);
	*len = (size_t)n;
out:
	OPENSSL_free(p);
	CMS_ContentInfo_free(cms);
	return rc;
}
