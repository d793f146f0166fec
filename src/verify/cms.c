/* CMS / RFC 3161 checks of one PDF signature (ETSI EN 319 142-1, RFC 5652,
 * RFC 3161, RFC 5035).  OpenSSL 3.0.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/ts.h>
#include <openssl/err.h>
#include "eseal/pki.h"
#include "util/util.h"
#include "vint.h"

int vfind(es_report *r, es_sig_report *s, es_severity sev, const char *code,
	  es_err *err, const char *en, const char *zh, ...)
{
	char ebuf[256], zbuf[256];
	va_list ap, ap2;

	va_start(ap, zh);
	va_copy(ap2, ap);
	vsnprintf(ebuf, sizeof(ebuf), en, ap);
	vsnprintf(zbuf, sizeof(zbuf), zh, ap2);
	va_end(ap2);
	va_end(ap);
	return es_report_add(r, s, sev, code, ebuf, zbuf, err);
}

void cms_out_clear(cms_out *c)
{
	X509_free(c->signer);
	X509_free(c->tsa);
	sk_X509_pop_free(c->certs, X509_free);
	sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
	memset(c, 0, sizeof(*c));
}

void dss_data_clear(dss_data *d)
{
	size_t i;

	sk_X509_pop_free(d->certs, X509_free);
	sk_X509_CRL_pop_free(d->crls, X509_CRL_free);
	for (i = 0; i < d->nocsps; i++)
		free(d->ocsps[i]);
	free(d->ocsps);
	free(d->ocsp_lens);
	memset(d, 0, sizeof(*d));
}

/* Digest of the two signed byte ranges (from the shared pass when there is one). */
static int digest_ranges(const EVP_MD *md, const sig_input *in, unsigned char *out,
			 unsigned int *outlen)
{
	range_hasher own;
	int rc;

	if (in->rh != NULL)
		return rh_digest(in->rh, md, in->br, out, outlen);
	rh_init(&own, in->file, in->file_len);
	rc = rh_digest(&own, md, in->br, out, outlen);
	rh_clear(&own);
	return rc;
}

static void name_field(const X509_NAME *n, int nid, char *buf, size_t cap)
{
	int i = X509_NAME_get_index_by_NID(n, nid, -1);
	unsigned char *u = NULL;
	int len;

	buf[0] = '\0';
	if (i < 0)
		return;
	len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));
	if (len >= 0)
		snprintf(buf, cap, "%.*s", len, (char *)u);
	OPENSSL_free(u);
}

static void asn1_time_iso(const ASN1_TIME *t, char *buf, size_t cap, time_t *out)
{
	struct tm tm;

	buf[0] = '\0';
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return;
	if (out)
		*out = timegm(&tm);
	es_time_iso(buf, cap, timegm(&tm));
}

/* Subject, organisation, seal identity (GB/T 38540 holder certificates carry
 * C=CN, O=<owner>, OU=<seal code>, CN=<seal name>), validity. */
static void describe_signer(es_sig_report *s, X509 *c)
{
	const X509_NAME *n = X509_get_subject_name(c);
	char country[8], ou[128];

	name_field(n, NID_commonName, s->signer, sizeof(s->signer));
	name_field(n, NID_organizationName, s->organisation, sizeof(s->organisation));
	name_field(n, NID_countryName, country, sizeof(country));
	name_field(n, NID_organizationalUnitName, ou, sizeof(ou));
	if (strcmp(country, "CN") == 0 && ou[0] != '\0' && s->organisation[0] != '\0') {
		snprintf(s->seal_name, sizeof(s->seal_name), "%s", s->signer);
		snprintf(s->seal_code, sizeof(s->seal_code), "%s", ou);
	}
	asn1_time_iso(X509_get0_notBefore(c), s->valid_from, sizeof(s->valid_from), NULL);
	asn1_time_iso(X509_get0_notAfter(c), s->valid_to, sizeof(s->valid_to), NULL);
}

/* ---- CMS parsing with certificates from the cache (certcache.c) ---- */

#define DER_TAG_INTEGER 0x02
#define DER_TAG_SEQUENCE 0x30
#define DER_TAG_SET 0x31
#define DER_TAG_CTX0 0xa0  /* [0] constructed */
#define DER_TAG_CTX1 0xa1  /* [1] constructed */
#define DER_MAX_HEADER_LEN 10
#define SIGNED_DATA_MAX_FIELDS 6

/* id-signedData, RFC 5652 §5.1, as a complete DER OBJECT IDENTIFIER */
static const unsigned char OID_SIGNED_DATA[] = {
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02
};

/* One definite-length element: first byte, where its content starts and
 * where it ends. */
typedef struct der_el {
	unsigned char tag;
	const unsigned char *start, *body, *end;
} der_el;

static int der_next(der_el *e, const unsigned char *p, const unsigned char *end)
{
	const unsigned char *q = p;
	long len = 0;
	int tag, cls, ret;

	if (p >= end)
		return -1;
	ret = ASN1_get_object(&q, &len, &tag, &cls, (long)(end - p));
	if ((ret & 0x80) || (ret & 1))
		return -1;  /* malformed, too long or BER indefinite length */
	e->tag = p[0];
	e->start = p;
	e->body = q;
	e->end = q + len;
	return 0;
}

static size_t der_header(unsigned char *out, unsigned char tag, size_t len)
{
	unsigned char be[sizeof(size_t)];
	size_t n = 0, k = 0;

	out[n++] = tag;
	if (len < 0x80) {
		out[n++] = (unsigned char)len;
		return n;
	}
	for (; len > 0; len >>= 8)
		be[k++] = (unsigned char)(len & 0xff);
	out[n++] = (unsigned char)(0x80 | k);
	while (k > 0)
		out[n++] = be[--k];
	return n;
}

/* The SignedData fields of a ContentInfo in the plain DER shape
 * (version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls
 * optional, signerInfos).  Returns the field count and the index of the
 * certificates field in *certs_at, or -1 for anything else. */
static int signed_data_fields(der_el *f, int *certs_at, der_el *ci, der_el *sd,
			      const unsigned char *der, size_t len)
{
	der_el oid, ex;
	const unsigned char *p;
	int n = 0;

	if (der_next(ci, der, der + len) < 0 || ci->tag != DER_TAG_SEQUENCE ||
	    der_next(&oid, ci->body, ci->end) < 0 ||
	    (size_t)(oid.end - oid.start) != sizeof(OID_SIGNED_DATA) ||
	    memcmp(oid.start, OID_SIGNED_DATA, sizeof(OID_SIGNED_DATA)) != 0 ||
	    der_next(&ex, oid.end, ci->end) < 0 || ex.tag != DER_TAG_CTX0 || ex.end != ci->end ||
	    der_next(sd, ex.body, ex.end) < 0 || sd->tag != DER_TAG_SEQUENCE || sd->end != ex.end)
		return -1;
	for (p = sd->body; p < sd->end; p = f[n++].end)
		if (n == SIGNED_DATA_MAX_FIELDS || der_next(&f[n], p, sd->end) < 0)
			return -1;
	if (n < 5 || f[0].tag != DER_TAG_INTEGER || f[1].tag != DER_TAG_SET ||
	    f[2].tag != DER_TAG_SEQUENCE || f[3].tag != DER_TAG_CTX0 || f[n - 1].tag != DER_TAG_SET)
		return -1;
	if (n == 6 && f[4].tag != DER_TAG_CTX1)
		return -1;
	*certs_at = 3;
	return n;
}

/* Every element of the certificates field is a Certificate: parse each
 * through the cache.  -1 when one is something else (attribute
 * certificates, other formats) or does not parse. */
static int split_certs(const der_el *set, STACK_OF(X509) *certs)
{
	const unsigned char *p = set->body;
	der_el c;

	while (p < set->end) {
		const unsigned char *q;
		X509 *x;

		if (der_next(&c, p, set->end) < 0 || c.tag != DER_TAG_SEQUENCE)
			return -1;
		q = c.start;
		x = vcert_d2i(&q, (long)(c.end - c.start));
		if (x == NULL || q != c.end || sk_X509_push(certs, x) <= 0) {
			X509_free(x);
			return -1;
		}
		p = c.end;
	}
	return 0;
}

/* The ContentInfo without its certificates field, parsed. */
static CMS_ContentInfo *parse_stripped(const der_el *sd, const der_el *cf)
{
	size_t oid_len = sizeof(OID_SIGNED_DATA);
	size_t l2 = (size_t)(sd->end - sd->body) - (size_t)(cf->end - cf->start);
	unsigned char h2[DER_MAX_HEADER_LEN], h1[DER_MAX_HEADER_LEN], h0[DER_MAX_HEADER_LEN];
	size_t n2 = der_header(h2, DER_TAG_SEQUENCE, l2);
	size_t n1 = der_header(h1, DER_TAG_CTX0, n2 + l2);
	size_t n0 = der_header(h0, DER_TAG_SEQUENCE, oid_len + n1 + n2 + l2);
	size_t total = n0 + oid_len + n1 + n2 + l2;
	unsigned char *buf = malloc(total), *w = buf;
	const unsigned char *p;
	CMS_ContentInfo *cms;

	if (buf == NULL)
		return NULL;
	memcpy(w, h0, n0), w += n0;
	memcpy(w, OID_SIGNED_DATA, oid_len), w += oid_len;
	memcpy(w, h1, n1), w += n1;
	memcpy(w, h2, n2), w += n2;
	memcpy(w, sd->body, (size_t)(cf->start - sd->body)), w += cf->start - sd->body;
	memcpy(w, cf->end, (size_t)(sd->end - cf->end));
	p = buf;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)total);
	if (cms != NULL && p != buf + total) {
		CMS_ContentInfo_free(cms);
		cms = NULL;
	}
	free(buf);
	return cms;
}

/* d2i_CMS_ContentInfo plus CMS_get1_certs, with each certificate parsed
 * once per process: a plain DER SignedData is parsed without its
 * certificates field, which is parsed element by element through the
 * cache.  Anything else (BER, attribute certificates, other content types)
 * takes OpenSSL's own path, so what is accepted does not change.
 * *used = bytes the ContentInfo took.  *certs is never NULL on success. */
static CMS_ContentInfo *cms_load(const unsigned char *der, size_t len, size_t *used,
				 STACK_OF(X509) **certs)
{
	der_el f[SIGNED_DATA_MAX_FIELDS], ci, sd;
	const unsigned char *p = der;
	CMS_ContentInfo *cms = NULL;
	int n, at = 0;

	*certs = sk_X509_new_null();
	if (*certs == NULL)
		return NULL;
	n = signed_data_fields(f, &at, &ci, &sd, der, len);
	if (n > 0 && split_certs(&f[at], *certs) == 0)
		cms = parse_stripped(&sd, &f[at]);
	if (cms != NULL) {
		*used = (size_t)(ci.end - der);
		return cms;
	}
	ERR_clear_error();
	sk_X509_pop_free(*certs, X509_free);
	*certs = NULL;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (cms == NULL)
		return NULL;
	*used = (size_t)(p - der);
	*certs = CMS_get1_certs(cms);
	if (*certs == NULL)
		*certs = sk_X509_new_null();
	if (*certs == NULL) {
		CMS_ContentInfo_free(cms);
		return NULL;
	}
	return cms;
}

/* DER /Contents: one SignedData followed only by zero padding. */
static CMS_ContentInfo *parse_der(es_report *r, es_sig_report *s, const sig_input *in,
				  STACK_OF(X509) **certs, es_err *err)
{
	size_t total = 0, i;
	CMS_ContentInfo *cms;

	/* BER indefinite lengths occur in the wild (Adobe); d2i tells how many
	 * bytes the structure took, everything after must be zero padding. */
	*certs = NULL;
	cms = in->der_len > 0 && in->der[0] == 0x30 ?
	      cms_load(in->der, in->der_len, &total, certs) : NULL;
	if (cms == NULL) {
		ERR_clear_error();
		vfind(r, s, ES_SEV_FAIL, "CMS_MALFORMED", err,
		      "/Contents is not a decodable CMS SignedData structure",
		      "/Contents 无法解码为 CMS SignedData 结构");
		return NULL;
	}
	for (i = total; i < in->der_len; i++)
		if (in->der[i] != 0) {
			CMS_ContentInfo_free(cms);
			sk_X509_pop_free(*certs, X509_free);
			*certs = NULL;
			vfind(r, s, ES_SEV_FAIL, "CONTENTS_TRAILING_DATA", err,
			      "/Contents has non-zero bytes after the CMS structure",
			      "/Contents 在 CMS 结构之后含有非零字节");
			return NULL;
		}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		CMS_ContentInfo_free(cms);
		sk_X509_pop_free(*certs, X509_free);
		*certs = NULL;
		vfind(r, s, ES_SEV_FAIL, "CMS_MALFORMED", err,
		      "/Contents is CMS but not SignedData", "/Contents 不是 SignedData");
		return NULL;
	}
	return cms;
}

static X509 *find_signer(CMS_SignerInfo *si, STACK_OF(X509) *certs)
{
	int i;

	for (i = 0; i < sk_X509_num(certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			return sk_X509_value(certs, i);
	return NULL;
}

/* Verify an RFC 3161 token: its own CMS signature, then that its imprint is
 * the hash of data (or of the byte ranges when data == NULL). */
static int tst_verify(es_report *r, es_sig_report *s, CMS_ContentInfo *cms,
		      STACK_OF(X509) *certs, const unsigned char *data, size_t dlen,
		      const sig_input *ranges, time_t *gen, cms_out *keep, es_err *err)
{
	BIO *out = BIO_new(BIO_s_mem());
	TS_TST_INFO *tst = NULL;
	const unsigned char *tp;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	long tlen;
	char *tdata;
	const EVP_MD *alg;
	TS_MSG_IMPRINT *imp;
	ASN1_OCTET_STRING *want;
	int rc = -1;

	if (cms == NULL || out == NULL ||
	    OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_id_smime_ct_TSTInfo) {
		vfind(r, s, ES_SEV_FAIL, "TST_MALFORMED", err,
		      "timestamp token is not an RFC 3161 TimeStampToken",
		      "时间戳令牌不是 RFC 3161 格式");
		goto out;
	}
	/* the token's own certificates, as CMS_verify would take them from it */
	if (CMS_verify(cms, certs, NULL, NULL, out, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		vfind(r, s, ES_SEV_FAIL, "TST_SIGNATURE_INVALID", err,
		      "the timestamp token's signature does not verify",
		      "时间戳令牌的签名验证失败");
		goto out;
	}
	tlen = BIO_get_mem_data(out, &tdata);
	tp = (const unsigned char *)tdata;
	tst = d2i_TS_TST_INFO(NULL, &tp, tlen);
	if (tst == NULL) {
		vfind(r, s, ES_SEV_FAIL, "TST_MALFORMED", err,
		      "the timestamp token's TSTInfo cannot be decoded",
		      "时间戳令牌的 TSTInfo 无法解码");
		goto out;
	}
	imp = TS_TST_INFO_get_msg_imprint(tst);
	alg = EVP_get_digestbyobj(TS_MSG_IMPRINT_get_algo(imp)->algorithm);
	want = TS_MSG_IMPRINT_get_msg(imp);
	if (alg == NULL) {
		vfind(r, s, ES_SEV_INDET, "ALGORITHM_UNSUPPORTED", err,
		      "the timestamp imprint uses an unsupported hash algorithm",
		      "时间戳摘要算法不受支持");
		goto out;
	}
	if (data != NULL) {
		if (EVP_Digest(data, dlen, md, &mdlen, alg, NULL) != 1)
			goto out;
	} else if (digest_ranges(alg, ranges, md, &mdlen) < 0) {
		goto out;
	}
	if ((unsigned int)ASN1_STRING_length(want) != mdlen ||
	    memcmp(ASN1_STRING_get0_data(want), md, mdlen) != 0) {
		vfind(r, s, ES_SEV_FAIL, "TST_IMPRINT_MISMATCH", err,
		      data ? "the signature timestamp was not made over this signature value (copied token?)"
			   : "the document timestamp imprint does not match the signed bytes",
		      data ? "签名时间戳不是针对本签名值生成的（可能是复制的令牌）"
			   : "文档时间戳摘要与签名字节不符");
		goto out;
	}
	{
		struct tm tm;

		if (ASN1_TIME_to_tm(TS_TST_INFO_get_time(tst), &tm) == 1)
			*gen = timegm(&tm);
	}
	if (keep != NULL && keep->tsa == NULL) {
		/* the TSA's certificate, for the chain check with the anchors */
		X509 *tsa = find_signer(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0), certs);

		if (tsa != NULL && X509_up_ref(tsa) == 1)
			keep->tsa = tsa;
	}
	while (keep != NULL && sk_X509_num(certs) > 0) {
		X509 *c = sk_X509_shift(certs);

		if (sk_X509_push(keep->certs, c) <= 0)
			X509_free(c);
	}
	rc = 0;
out:
	ERR_clear_error();
	TS_TST_INFO_free(tst);
	BIO_free(out);
	return rc;
}

/* tst_verify on the DER of a TimeStampToken (the first structure in der). */
static int tst_check(es_report *r, es_sig_report *s, const unsigned char *der,
		     size_t len, const unsigned char *data, size_t dlen,
		     const sig_input *ranges, time_t *gen, cms_out *keep, es_err *err)
{
	STACK_OF(X509) *certs = NULL;
	size_t used = 0;
	CMS_ContentInfo *cms = cms_load(der, len, &used, &certs);
	int rc = tst_verify(r, s, cms, certs, data, dlen, ranges, gen, keep, err);

	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	return rc;
}

/* Step into the SEQUENCE at *p (within end); returns its end or NULL. */
static const unsigned char *asn1_enter(const unsigned char **p, const unsigned char *end, int want_tag)
{
	long len = 0;
	int tag, cls, ret;
	const unsigned char *q = *p;

	if (q >= end)
		return NULL;
	ret = ASN1_get_object(&q, &len, &tag, &cls, (long)(end - q));
	if ((ret & 0x80) || tag != want_tag || cls != V_ASN1_UNIVERSAL || (ret & 1))
		return NULL;
	*p = q;
	return q + len;
}

/* RFC 2634 / RFC 5035: the first ESSCertID(v2) names the signer certificate
 * by hash.  Returns 1 match, 0 mismatch or malformed. */
static int ess_first_hash_matches(ASN1_STRING *attr, int v2, X509 *signer)
{
	const unsigned char *p = ASN1_STRING_get0_data(attr);
	const unsigned char *end = p + ASN1_STRING_length(attr), *e1, *e2, *e3, *q;
	const EVP_MD *md = v2 ? EVP_sha256() : EVP_sha1();
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;
	long len = 0;
	int tag, cls;

	if ((e1 = asn1_enter(&p, end, V_ASN1_SEQUENCE)) == NULL ||
	    (e2 = asn1_enter(&p, e1, V_ASN1_SEQUENCE)) == NULL ||
	    (e3 = asn1_enter(&p, e2, V_ASN1_SEQUENCE)) == NULL)
		return 0;
	if (v2 && p < e3 && *p == 0x30) {  /* hashAlgorithm present */
		const unsigned char *ae = asn1_enter(&p, e3, V_ASN1_SEQUENCE);
		ASN1_OBJECT *oid;

		if (ae == NULL || (oid = d2i_ASN1_OBJECT(NULL, &p, (long)(ae - p))) == NULL)
			return 0;
		md = EVP_get_digestbyobj(oid);
		ASN1_OBJECT_free(oid);
		p = ae;
		if (md == NULL)
			return 0;
	}
	q = p;
	if (ASN1_get_object(&q, &len, &tag, &cls, (long)(e3 - p)) & 0x80 || tag != V_ASN1_OCTET_STRING)
		return 0;
	if (X509_digest(signer, md, h, &hlen) != 1 || (unsigned int)len != hlen)
		return 0;
	return memcmp(q, h, hlen) == 0;
}

static int ess_check(es_report *r, es_sig_report *s, CMS_SignerInfo *si, X509 *signer,
		     es_err *err)
{
	ASN1_STRING *v1 = CMS_signed_get0_data_by_OBJ(si,
		OBJ_nid2obj(NID_id_smime_aa_signingCertificate), -3, V_ASN1_SEQUENCE);
	ASN1_STRING *v2 = CMS_signed_get0_data_by_OBJ(si,
		OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2), -3, V_ASN1_SEQUENCE);
	int ok = 1;

	if (v1 != NULL)
		ok = ess_first_hash_matches(v1, 0, signer);
	if (v2 != NULL && ok)
		ok = ess_first_hash_matches(v2, 1, signer);
	ERR_clear_error();
	if (!ok)
		return vfind(r, s, ES_SEV_FAIL, "SIGNING_CERT_MISMATCH", err,
			     "the ESS signing-certificate attribute does not match the signer certificate",
			     "ESS 签名证书属性与签名者证书不符");
	return 0;
}

/* Signed attributes: content type, message digest, signature, ESS. */
static int check_signed_attrs(es_report *r, es_sig_report *s, CMS_SignerInfo *si,
			      X509 *signer, cms_out *out, es_err *err)
{
	ASN1_OCTET_STRING *dg = CMS_signed_get0_data_by_OBJ(si,
		OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
	ASN1_OBJECT *ct = CMS_signed_get0_data_by_OBJ(si,
		OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT);
	int bad = 0;

	if (ct == NULL || OBJ_obj2nid(ct) != NID_pkcs7_data) {
		vfind(r, s, ES_SEV_FAIL, "CONTENT_TYPE_INVALID", err,
		      "signed attribute content-type is missing or not id-data",
		      "签名属性 content-type 缺失或不是 id-data");
		bad = 1;
	}
	/* compared with the digest of the signed bytes in cms_check_digest() */
	out->digest_pending = 1;
	out->want_len = 0;
	if (dg != NULL && ASN1_STRING_length(dg) > 0 &&
	    (size_t)ASN1_STRING_length(dg) <= sizeof(out->want)) {
		out->want_len = (unsigned int)ASN1_STRING_length(dg);
		memcpy(out->want, ASN1_STRING_get0_data(dg), out->want_len);
	}
	CMS_SignerInfo_set1_signer_cert(si, signer);
	if (CMS_SignerInfo_verify(si) != 1) {
		vfind(r, s, ES_SEV_FAIL, "SIGNATURE_INVALID", err,
		      "the CMS signature over the signed attributes does not verify",
		      "CMS 签名（签名属性）验证失败");
		bad = 1;
	}
	ERR_clear_error();
	{
		size_t before = s->nfindings;

		ess_check(r, s, si, signer, err);
		if (s->nfindings > before)
			bad = 1;
	}
	{
		ASN1_TYPE *t = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_signingTime),
							   -3, V_ASN1_ANY);
		if (t && (t->type == V_ASN1_UTCTIME || t->type == V_ASN1_GENERALIZEDTIME))
			asn1_time_iso((ASN1_TIME *)t->value.ptr, s->signing_time,
				      sizeof(s->signing_time), &out->sign_time);
	}
	return bad;
}

/* No signed attributes (allowed by adbe.pkcs7.detached): the signature is
 * directly over the content. */
static int check_raw_signature(es_report *r, es_sig_report *s, CMS_SignerInfo *si,
			       X509 *signer, const EVP_MD *md, const sig_input *in,
			       es_err *err)
{
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestVerifyInit(c, NULL, md, NULL, X509_get0_pubkey(signer)) == 1;
	int k;

	for (k = 0; k < 2 && ok; k++)
		ok = EVP_DigestVerifyUpdate(c, in->file + in->br[2 * k], (size_t)in->br[2 * k + 1]) == 1;
	ok = ok && EVP_DigestVerifyFinal(c, ASN1_STRING_get0_data(sig),
					 (size_t)ASN1_STRING_length(sig)) == 1;
	EVP_MD_CTX_free(c);
	ERR_clear_error();
	if (!ok)
		vfind(r, s, ES_SEV_FAIL, "SIGNATURE_INVALID", err,
		      "the CMS signature over the signed bytes does not verify",
		      "CMS 签名验证失败");
	return !ok;
}

static void check_sig_tst(es_report *r, es_sig_report *s, CMS_SignerInfo *si,
			  cms_out *out, es_err *err)
{
	int i = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;
	ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
	time_t gen = 0;

	if (i < 0)
		return;
	a = CMS_unsigned_get_attr(si, i);
	t = X509_ATTRIBUTE_get0_type(a, 0);
	if (X509_ATTRIBUTE_count(a) != 1 || t == NULL || t->type != V_ASN1_SEQUENCE) {
		vfind(r, s, ES_SEV_FAIL, "TST_MALFORMED", err,
		      "signature-timestamp attribute is malformed", "签名时间戳属性格式错误");
		return;
	}
	if (tst_check(r, s, ASN1_STRING_get0_data(t->value.sequence),
		      (size_t)ASN1_STRING_length(t->value.sequence),
		      ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv),
		      NULL, &gen, out, err) == 0) {
		out->has_tst = 1;
		out->sign_time = gen;
		es_time_iso(s->signing_time, sizeof(s->signing_time), gen);
		snprintf(s->time_source, sizeof(s->time_source), "timestamp");
	}
}

static int check_doc_ts(es_report *r, es_sig_report *s, const sig_input *in,
			cms_out *out, es_err *err)
{
	time_t gen = 0;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	X509 *signer;

	if ((cms = parse_der(r, s, in, &out->certs, err)) == NULL)
		return 0;
	if (sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) != 1) {
		vfind(r, s, ES_SEV_FAIL, "MULTIPLE_SIGNER_INFOS", err,
		      "the timestamp token must have exactly one SignerInfo",
		      "时间戳令牌必须且只能有一个 SignerInfo");
		CMS_ContentInfo_free(cms);
		return 0;
	}
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	signer = find_signer(si, out->certs);
	if (signer != NULL && X509_up_ref(signer) == 1)
		out->signer = signer;
	if (tst_verify(r, s, cms, out->certs, NULL, 0, in, &gen, NULL, err) == 0) {
		out->crypto_ok = out->signer != NULL;
		out->sign_time = gen;
		es_time_iso(s->signing_time, sizeof(s->signing_time), gen);
		snprintf(s->time_source, sizeof(s->time_source), "timestamp");
	}
	CMS_ContentInfo_free(cms);
	if (out->signer)
		describe_signer(s, out->signer);
	return 0;
}

/* SignedData structure rules for PAdES: one SignerInfo, detached id-data. */
static CMS_SignerInfo *check_structure(es_report *r, es_sig_report *s, CMS_ContentInfo *cms,
				       const char *subfilter, es_err *err)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);

	if (sk_CMS_SignerInfo_num(sis) != 1) {
		vfind(r, s, ES_SEV_FAIL, sk_CMS_SignerInfo_num(sis) > 1 ?
		      "MULTIPLE_SIGNER_INFOS" : "NO_SIGNER_INFO", err,
		      "the CMS has %d SignerInfos; a PDF signature must have exactly one",
		      "CMS 含有 %d 个 SignerInfo；PDF 签名必须且只能有一个",
		      sk_CMS_SignerInfo_num(sis));
		return NULL;
	}
	if (!CMS_is_detached(cms)) {
		vfind(r, s, ES_SEV_FAIL, "ENVELOPED_CMS", err,
		      "the CMS carries encapsulated content; %s requires a detached signature",
		      "CMS 封装了内容；%s 要求分离式签名", subfilter);
		return NULL;
	}
	if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data) {
		vfind(r, s, ES_SEV_FAIL, "CONTENT_TYPE_INVALID", err,
		      "the CMS eContentType is not id-data", "CMS eContentType 不是 id-data");
		return NULL;
	}
	return sk_CMS_SignerInfo_value(sis, 0);
}

/* The SignerInfo signatureAlgorithm must name a signature scheme or a
 * public-key algorithm OpenSSL can verify with (RFC 5652 §5.3, RFC 5754);
 * anything else (e.g. a curve OID) cannot be processed: indeterminate. */
static int known_sig_alg(const X509_ALGOR *salg)
{
	int nid = salg ? OBJ_obj2nid(salg->algorithm) : NID_undef, dn, pn;

	if (nid == NID_undef)
		return 0;
	return OBJ_find_sigid_algs(nid, &dn, &pn) || nid == NID_rsaEncryption ||
	       nid == NID_X9_62_id_ecPublicKey || nid == NID_rsassaPss ||
	       nid == NID_ED25519 || nid == NID_ED448 || nid == NID_sm2 || nid == NID_dsa;
}

static int check_algorithms(es_report *r, es_sig_report *s, CMS_SignerInfo *si,
			    X509 *signer, const EVP_MD **md, es_err *err)
{
	X509_ALGOR *dalg = NULL, *salg = NULL;
	EVP_PKEY *pk = NULL;

	CMS_SignerInfo_get0_algs(si, &pk, NULL, &dalg, &salg);
	*md = dalg ? EVP_get_digestbyobj(dalg->algorithm) : NULL;
	if (*md == NULL || X509_get0_pubkey(signer) == NULL || !known_sig_alg(salg)) {
		char name[80] = "?";

		if (*md != NULL && salg)
			OBJ_obj2txt(name, sizeof(name), salg->algorithm, 0);
		else if (dalg)
			OBJ_obj2txt(name, sizeof(name), dalg->algorithm, 0);
		ERR_clear_error();
		vfind(r, s, ES_SEV_INDET, "ALGORITHM_UNSUPPORTED", err,
		      "unsupported digest or key algorithm (%s); the signature cannot be checked",
		      "不支持的摘要或密钥算法（%s），无法验证签名", name);
		return -1;
	}
	return 0;
}

int cms_check(es_report *r, es_sig_report *s, const sig_input *in, cms_out *out,
	      es_err *err)
{
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	X509 *signer;
	const EVP_MD *md = NULL;
	int bad;

	out->crls = sk_X509_CRL_new_null();
	if (in->doc_ts)
		return check_doc_ts(r, s, in, out, err);
	if ((cms = parse_der(r, s, in, &out->certs, err)) == NULL)
		goto out;
	{
		STACK_OF(X509_CRL) *c = CMS_get1_crls(cms);

		while (c != NULL && sk_X509_CRL_num(c) > 0)
			sk_X509_CRL_push(out->crls, sk_X509_CRL_shift(c));
		sk_X509_CRL_free(c);
	}
	if ((si = check_structure(r, s, cms, in->subfilter, err)) == NULL)
		goto out;
	signer = find_signer(si, out->certs);
	if (signer == NULL) {
		vfind(r, s, ES_SEV_INDET, "SIGNER_CERT_NOT_FOUND", err,
		      "the signer certificate is not in the CMS; the signature cannot be checked",
		      "CMS 中没有签名者证书，无法验证签名");
		goto out;
	}
	X509_up_ref(signer);
	out->signer = signer;
	describe_signer(s, signer);
	if (check_algorithms(r, s, si, signer, &md, err) < 0)
		goto out;
	out->md = md;
	if (CMS_signed_get_attr_count(si) >= 0) {
		bad = check_signed_attrs(r, s, si, signer, out, err);
	} else if (strcmp(in->subfilter, "ETSI.CAdES.detached") == 0) {
		/* EN 319 142-1 §6.3: CAdES signatures always have signed attributes */
		vfind(r, s, ES_SEV_FAIL, "SIGNED_ATTRS_MISSING", err,
		      "an ETSI.CAdES.detached signature without signed attributes",
		      "ETSI.CAdES.detached 签名缺少签名属性");
		bad = 1;
	} else {
		bad = check_raw_signature(r, s, si, signer, md, in, err);
	}
	out->crypto_ok = !bad;
	if (s->signing_time[0] == '\0' && in->claimed_m && in->claimed_m[0])
		snprintf(s->signing_time, sizeof(s->signing_time), "%s", in->claimed_m);
	if (s->signing_time[0] != '\0')
		snprintf(s->time_source, sizeof(s->time_source), "claimed");
	check_sig_tst(r, s, si, out, err);
out:
	ERR_clear_error();
	CMS_ContentInfo_free(cms);
	return 0;
}

void cms_check_digest(es_report *r, es_sig_report *s, const sig_input *in, cms_out *out,
		      es_err *err)
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dglen = 0;

	if (!out->digest_pending)
		return;
	out->digest_pending = 0;
	if (digest_ranges(out->md, in, dg, &dglen) < 0) {
		vfind(r, s, ES_SEV_INDET, "ALGORITHM_UNSUPPORTED", err,
		      "cannot compute the digest of the signed bytes", "无法计算签名字节的摘要");
		out->crypto_ok = 0;
	} else if (out->want_len != dglen || CRYPTO_memcmp(out->want, dg, dglen) != 0) {
		vfind(r, s, ES_SEV_FAIL, "DIGEST_MISMATCH", err,
		      "the signed bytes do not match the signed message digest (document changed)",
		      "签名范围内的字节与签名摘要不符（文档已被修改）");
		out->crypto_ok = 0;
	}
}

static X509 *find_issuer(X509 *c, STACK_OF(X509) *a, STACK_OF(X509) *b, STACK_OF(X509) *d)
{
	STACK_OF(X509) *all[3] = {a, b, d};
	int k, i;

	for (k = 0; k < 3; k++)
		for (i = 0; i < sk_X509_num(all[k]); i++)
			if (X509_check_issued(sk_X509_value(all[k], i), c) == X509_V_OK)
				return sk_X509_value(all[k], i);
	return NULL;
}

/* 1 good, 2 revoked, 0 no usable data; *revoked_at set when revoked. */
static int crl_status(STACK_OF(X509_CRL) *crls, X509 *c, X509 *issuer, time_t *revoked_at)
{
	int i, st = 0;

	for (i = 0; i < sk_X509_CRL_num(crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(crls, i);
		X509_REVOKED *rev = NULL;
		struct tm tm;

		/* es_crl_check_signature remembers good signatures: the platform's
		 * CRLs come back in every signature and every request */
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(c)) != 0 ||
		    es_crl_check_signature(crl, issuer, NULL) < 0)
			continue;
		if (X509_CRL_get0_by_cert(crl, &rev, c) == 1) {
			if (ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(rev), &tm) == 1)
				*revoked_at = timegm(&tm);
			return 2;
		}
		st = 1;
	}
	ERR_clear_error();
	return st;
}

static int ocsp_status(const dss_data *d, X509 *c, X509 *issuer, STACK_OF(X509) *certs,
		       time_t *revoked_at)
{
	size_t k;
	int st = 0;
	X509_STORE *store = X509_STORE_new();

	for (k = 0; k < d->nocsps && store; k++) {
		const unsigned char *p = d->ocsps[k];
		OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)d->ocsp_lens[k]);
		OCSP_BASICRESP *bs = resp ? OCSP_response_get1_basic(resp) : NULL;
		OCSP_CERTID *id = OCSP_cert_to_id(NULL, c, issuer);
		ASN1_GENERALIZEDTIME *rt = NULL, *tu = NULL, *nu = NULL;
		int status = -1, reason = 0;
		struct tm tm;

		if (bs && id && OCSP_basic_verify(bs, certs, store, OCSP_NOVERIFY) == 1 &&
		    OCSP_resp_find_status(bs, id, &status, &reason, &rt, &tu, &nu) == 1) {
			if (status == V_OCSP_CERTSTATUS_REVOKED) {
				if (rt && ASN1_TIME_to_tm(rt, &tm) == 1)
					*revoked_at = timegm(&tm);
				st = 2;
			} else if (status == V_OCSP_CERTSTATUS_GOOD && st == 0) {
				st = 1;
			}
		}
		OCSP_CERTID_free(id);
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(resp);
	}
	X509_STORE_free(store);
	ERR_clear_error();
	return st;
}

/* Chain check behind one function so the PKI concern's implementation
 * (es_chain_check, SM2-aware) is the single place that decides trust. */
static int chain_check(es_chain_status *st, X509 *leaf, STACK_OF(X509) *extra,
		       STACK_OF(X509) *anchors, time_t at, es_err *err)
{
	if (anchors == NULL || sk_X509_num(anchors) == 0) {
		*st = ES_CHAIN_UNTRUSTED;
		return 0;
	}
	return es_chain_check(st, leaf, extra, anchors, at, err);
}

static void report_chain(es_report *r, es_sig_report *s, es_chain_status st, es_err *err)
{
	switch (st) {
	case ES_CHAIN_OK:
		s->chain_trusted = 1;
		break;
	case ES_CHAIN_EXPIRED:
		vfind(r, s, ES_SEV_INDET, "CERT_EXPIRED", err,
		      "the certificate chain reaches a trust anchor but is not valid at the validation time",
		      "证书链可达信任锚，但在验证时间不在有效期内");
		break;
	case ES_CHAIN_BAD_SIGNATURE:
		vfind(r, s, ES_SEV_INDET, "CHAIN_BAD_SIGNATURE", err,
		      "a certificate signature in the chain is wrong", "证书链中有证书签名错误");
		break;
	default:
		vfind(r, s, ES_SEV_INDET, "CHAIN_UNTRUSTED", err,
		      "the signer certificate does not chain to a trusted anchor",
		      "签名者证书无法链接到受信任的根证书");
	}
}

int cms_trust(es_report *r, es_sig_report *s, cms_out *c, const es_verify_opts *o,
	      const dss_data *dss, int *lt, es_err *err)
{
	STACK_OF(X509) *extra = sk_X509_new_null();
	es_chain_status st = ES_CHAIN_UNTRUSTED;
	X509 *issuer;
	time_t revoked_at = 0;
	int crl_dss, crl_other, oc;
	int i;
	es_err e2 = ES_ERR_INIT;

	*lt = 0;
	if (c->signer == NULL || extra == NULL) {
		sk_X509_free(extra);
		return 0;
	}
	for (i = 0; i < sk_X509_num(c->certs); i++)
		sk_X509_push(extra, sk_X509_value(c->certs, i));
	for (i = 0; i < sk_X509_num(dss->certs); i++)
		sk_X509_push(extra, sk_X509_value(dss->certs, i));
	if (chain_check(&st, c->signer, extra, o->anchors, o->now, &e2) < 0)
		st = ES_CHAIN_UNTRUSTED;
	report_chain(r, s, st, err);
	if (c->has_tst) {
		/* The time of a signature timestamp is proof only when its TSA is
		 * trusted: anyone can run a TSA and write any time. */
		es_chain_status ts = ES_CHAIN_UNTRUSTED;

		if (c->tsa == NULL || chain_check(&ts, c->tsa, extra, o->anchors, c->sign_time, &e2) < 0)
			ts = ES_CHAIN_UNTRUSTED;
		if (ts != ES_CHAIN_OK) {
			c->has_tst = 0;
			snprintf(s->time_source, sizeof(s->time_source), "untrusted-timestamp");
			vfind(r, s, ES_SEV_INDET, "TST_UNTRUSTED", err,
			      "the signature timestamp's TSA does not chain to a trust anchor: its time is not proven",
			      "签名时间戳的 TSA 证书不能链接到信任锚：时间未获证明");
		}
	}
	issuer = find_issuer(c->signer, c->certs, dss->certs, o->anchors);
	if (issuer == NULL) {
		snprintf(s->revocation, sizeof(s->revocation), "unknown");
	} else {
		crl_dss = crl_status(dss->crls, c->signer, issuer, &revoked_at);
		oc = ocsp_status(dss, c->signer, issuer, extra, &revoked_at);
		crl_other = crl_status(c->crls, c->signer, issuer, &revoked_at);
		if (crl_other == 0 && o->crls)
			crl_other = crl_status(o->crls, c->signer, issuer, &revoked_at);
		*lt = crl_dss != 0 || oc != 0;
		if (crl_dss == 2 || oc == 2 || crl_other == 2)
			snprintf(s->revocation, sizeof(s->revocation), "revoked");
		else if (crl_dss == 1 || oc == 1 || crl_other == 1)
			snprintf(s->revocation, sizeof(s->revocation), "good");
		else
			snprintf(s->revocation, sizeof(s->revocation), "unknown");
	}
	sk_X509_free(extra);
	if (strcmp(s->revocation, "revoked") == 0) {
		/* EN 319 102-1 §5.2.6: revoked before the proven signing time fails;
		 * otherwise no proof of existence → indeterminate. */
		int before = c->has_tst && revoked_at != 0 && revoked_at <= c->sign_time;

		return vfind(r, s, before ? ES_SEV_FAIL : ES_SEV_INDET, "CERT_REVOKED", err,
			     "the signer certificate is revoked", "签名者证书已被吊销");
	}
	if (strcmp(s->revocation, "unknown") == 0)
		return vfind(r, s, ES_SEV_INDET, "REVOCATION_UNKNOWN", err,
			     "no revocation data (CRL/OCSP) for the signer certificate",
			     "没有签名者证书的吊销信息（CRL/OCSP）");
	return 0;
}
