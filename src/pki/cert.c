/* Certificate issuance (profiles in docs/keys.md), the platform PKI families,
 * and certificate (de)serialisation.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "eseal/pki.h"
#include "sigctx.h"
#include "util/util.h"

#define NOT_BEFORE_SKEW_SECS (5 * 60)
#define SECS_PER_DAY (24L * 60 * 60)
#define MAX_DAYS (100 * 366)
#define NAME_MAX_CHARS 64          /* RFC 5280 ub-common-name, ub-organization-name */
#define URL_MAX_LEN 512
#define ROOT_DAYS 7305             /* 20 years */
#define ISSUING_DAYS 3653          /* 10 years */
#define SERVICE_DAYS 1827          /* 5 years: TSA and OCSP responder */

/* Extensions of each kind (RFC 5280 4.2, RFC 3161 2.3, RFC 6960 4.2.2.2). */
typedef struct profile {
	es_cert_kind kind;
	const char *basic;   /* basicConstraints */
	const char *usage;   /* keyUsage */
	const char *ext_usage; /* extendedKeyUsage or NULL */
	int ocsp_nocheck;
} profile;

static const profile profiles[] = {
	{ES_CERT_ROOT_CA, "critical,CA:TRUE", "critical,keyCertSign,cRLSign", NULL, 0},
	{ES_CERT_ISSUING_CA, "critical,CA:TRUE,pathlen:0", "critical,keyCertSign,cRLSign", NULL, 0},
	{ES_CERT_SEAL_MAKER, "critical,CA:FALSE", "critical,digitalSignature,nonRepudiation", NULL, 0},
	{ES_CERT_TSA, "critical,CA:FALSE", "critical,digitalSignature", "critical,timeStamping", 0},
	{ES_CERT_OCSP, "critical,CA:FALSE", "critical,digitalSignature", "OCSPSigning", 1},
	{ES_CERT_HOLDER, "critical,CA:FALSE", "critical,digitalSignature,nonRepudiation", NULL, 0},
};

static const profile *profile_of(es_cert_kind kind)
{
	size_t i;

	for (i = 0; i < ES_ARRAY_LEN(profiles); i++)
		if (profiles[i].kind == kind)
			return &profiles[i];
	return NULL;
}

/* Number of UTF-8 characters in s, or -1 when s is not valid UTF-8. */
static long utf8_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	unsigned long cp;
	long n = 0;
	int used;

	while (left > 0) {
		used = UTF8_getc(p, left > INT_MAX ? INT_MAX : (int)left, &cp);
		if (used <= 0 || cp == 0)
			return -1;
		p += used;
		left -= (size_t)used;
		n++;
	}
	return n;
}

static int name_add(X509_NAME *name, int nid, const char *value, const char *what, es_err *err)
{
	long chars;

	if (value == NULL || value[0] == '\0')
		return 0;
	chars = utf8_chars(value);
	if (chars < 0)
		return es_err_set(err, ES_EINVAL, "certificate %s is not valid UTF-8", what);
	if (chars > NAME_MAX_CHARS)
		return es_err_set(err, ES_EINVAL, "certificate %s is longer than %d characters; shorten it",
				  what, NAME_MAX_CHARS);
	/* UTF8String explicitly, whatever the global string mask says (RFC 5280 4.1.2.6). */
	if (X509_NAME_add_entry_by_NID(name, nid, V_ASN1_UTF8STRING, (const unsigned char *)value,
				       (int)strlen(value), -1, 0) != 1)
		return es_err_ssl(err, ES_ECRYPTO, "cannot set certificate %s", what);
	return 0;
}

static int subject_set(X509 *x, const es_cert_req *req, es_err *err)
{
	X509_NAME *name = X509_NAME_new();
	int rc = 0;

	if (name == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	/* countryName is a PrintableString (X.520). */
	if (X509_NAME_add_entry_by_NID(name, NID_countryName, V_ASN1_PRINTABLESTRING,
				       (const unsigned char *)"CN", 2, -1, 0) != 1)
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot set certificate country");
	if (rc == 0)
		rc = name_add(name, NID_organizationName, req->o, "organisation (O)", err);
	if (rc == 0)
		rc = name_add(name, NID_organizationalUnitName, req->ou, "unit (OU)", err);
	if (rc == 0)
		rc = name_add(name, NID_commonName, req->cn, "common name (CN)", err);
	if (rc == 0 && X509_set_subject_name(x, name) != 1)
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot set certificate subject");
	X509_NAME_free(name);
	return rc;
}

static int serial_set(X509 *x, const char *hex, es_err *err)
{
	ASN1_INTEGER *serial = NULL;
	int rc;

	if (hex != NULL)
		rc = es_serial_parse(&serial, hex, err);
	else
		rc = es_serial_random(&serial, err);
	if (rc == 0 && X509_set_serialNumber(x, serial) != 1)
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot set certificate serial");
	ASN1_INTEGER_free(serial);
	return rc;
}

static int validity_set(X509 *x, const es_cert_req *req, X509 *issuer, es_err *err)
{
	time_t nb = req->not_before != 0 ? req->not_before : time(NULL) - NOT_BEFORE_SKEW_SECS;
	time_t na = nb + (time_t)req->days * SECS_PER_DAY;

	if (ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL)
		return es_err_ssl(err, ES_ECRYPTO, "cannot set certificate validity");
	/* A certificate never outlives its issuer: past the issuer's notAfter
	 * no path through it validates anyway. */
	if (issuer != NULL && ASN1_TIME_cmp_time_t(X509_get0_notAfter(issuer), na) < 0 &&
	    X509_set1_notAfter(x, X509_get0_notAfter(issuer)) != 1)
		return es_err_ssl(err, ES_ECRYPTO, "cannot set certificate validity");
	return 0;
}

static int ext_add(X509 *x, X509V3_CTX *ctx, int nid, const char *value, es_err *err)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = e != NULL && X509_add_ext(x, e, -1) == 1;

	X509_EXTENSION_free(e);
	if (!ok)
		return es_err_ssl(err, ES_ECRYPTO, "cannot add certificate extension %s",
				  OBJ_nid2sn(nid));
	return 0;
}

/* base_url goes into OpenSSL's extension config syntax, where ',' and ';'
 * separate values: allow only plain URL characters. */
static int base_url_check(const char *url, es_err *err)
{
	const char *p;

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return es_err_set(err, ES_EINVAL, "base URL must start with http:// or https://");
	if (strlen(url) > URL_MAX_LEN / 2)
		return es_err_set(err, ES_EINVAL, "base URL too long");
	for (p = url; *p != '\0'; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
		      ('0' <= *p && *p <= '9') || strchr("-._~:/[]%@", *p) != NULL))
			return es_err_set(err, ES_EINVAL,
					  "base URL has a character not allowed here: '%c'", *p);
	return 0;
}

/* CRL distribution point and AIA OCSP (RFC 5280 4.2.1.13, 4.2.2.1).  The
 * issuing CA is revoked by the root's CRL ("<family>-root.crl") and has no
 * OCSP pointer: the online responder speaks only for the issuing CA. */
static int urls_add(X509 *x, X509V3_CTX *ctx, es_cert_kind kind, const char *base,
		    es_alg family, es_err *err)
{
	char val[URL_MAX_LEN];
	size_t blen = strlen(base);
	int rc, n;

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	n = snprintf(val, sizeof(val), "URI:%.*s/api/v1/crl/%s%s.crl", (int)blen, base,
		     es_alg_name(family), kind == ES_CERT_ISSUING_CA ? "-root" : "");
	if (n < 0 || (size_t)n >= sizeof(val))
		return es_err_set(err, ES_EINVAL, "base URL too long");
	if ((rc = ext_add(x, ctx, NID_crl_distribution_points, val, err)) < 0)
		return rc;
	if (kind == ES_CERT_ISSUING_CA)
		return 0;
	n = snprintf(val, sizeof(val), "OCSP;URI:%.*s/api/v1/ocsp", (int)blen, base);
	if (n < 0 || (size_t)n >= sizeof(val))
		return es_err_set(err, ES_EINVAL, "base URL too long");
	return ext_add(x, ctx, NID_info_access, val, err);
}

static int extensions_add(X509 *x, const es_cert_req *req, X509 *issuer, es_alg family,
			  es_err *err)
{
	const profile *pr = profile_of(req->kind);
	X509V3_CTX ctx;
	ASN1_NULL *null = NULL;
	int rc;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if ((rc = ext_add(x, &ctx, NID_basic_constraints, pr->basic, err)) < 0 ||
	    (rc = ext_add(x, &ctx, NID_key_usage, pr->usage, err)) < 0 ||
	    (rc = ext_add(x, &ctx, NID_subject_key_identifier, "hash", err)) < 0)
		return rc;
	if (issuer != NULL &&
	    (rc = ext_add(x, &ctx, NID_authority_key_identifier, "keyid:always", err)) < 0)
		return rc;
	if (pr->ext_usage != NULL &&
	    (rc = ext_add(x, &ctx, NID_ext_key_usage, pr->ext_usage, err)) < 0)
		return rc;
	if (pr->ocsp_nocheck) {
		/* id-pkix-ocsp-nocheck: value NULL (RFC 6960 4.2.2.2.1). */
		null = ASN1_NULL_new();
		if (null == NULL || X509_add1_ext_i2d(x, NID_id_pkix_OCSP_noCheck, null, 0, 0) != 1)
			rc = es_err_ssl(err, ES_ECRYPTO, "cannot add OCSP no-check extension");
		ASN1_NULL_free(null);
		if (rc < 0)
			return rc;
	}
	if (issuer != NULL && req->base_url != NULL)
		return urls_add(x, &ctx, req->kind, req->base_url, family, err);
	return 0;
}

static int req_check(const es_cert_req *req, X509 *issuer, EVP_PKEY *signer, es_err *err)
{
	int rc;

	if (profile_of(req->kind) == NULL)
		return es_err_set(err, ES_EINVAL, "unknown certificate kind %d", (int)req->kind);
	if (req->subject_key == NULL || req->cn == NULL || req->cn[0] == '\0')
		return es_err_set(err, ES_EINVAL, "a certificate needs a subject key and a CN");
	if (req->days <= 0 || req->days > MAX_DAYS)
		return es_err_set(err, ES_EINVAL, "validity of %d days is out of range (1..%d)",
				  req->days, MAX_DAYS);
	if (es_key_alg(req->subject_key) == 0)
		return es_err_set(err, ES_ENOTSUP, "subject key is neither SM2 nor P-256");
	if (req->base_url != NULL && (rc = base_url_check(req->base_url, err)) < 0)
		return rc;
	if (signer == NULL)
		return es_err_set(err, ES_EINVAL, "no issuer key to sign the certificate with");
	if (issuer == NULL && EVP_PKEY_eq(signer, req->subject_key) != 1)
		return es_err_set(err, ES_EINVAL,
				  "a self-signed certificate must be signed by its own key");
	if (issuer != NULL && X509_check_private_key(issuer, signer) != 1) {
		ERR_clear_error();
		return es_err_set(err, ES_EINVAL, "issuer key does not belong to the issuer certificate");
	}
	return 0;
}

/* Sign, then check the signature before anyone sees the certificate. */
static int sign_and_check(X509 *x, EVP_PKEY *signer, es_err *err)
{
	EVP_MD_CTX *mctx = NULL;
	int rc;

	if ((rc = es_md_ctx_new(&mctx, signer, 1, err)) < 0)
		return rc;
	if (X509_sign_ctx(x, mctx) <= 0)
		rc = es_err_ssl(err, ES_ECRYPTO, "certificate signing failed");
	es_md_ctx_free(mctx);
	if (rc == 0 && (rc = es_cert_set_sm2_id(x, err)) == 0 && X509_verify(x, signer) != 1)
		rc = es_err_ssl(err, ES_ECRYPTO, "new certificate does not verify; not issued");
	return rc;
}

int es_cert_issue(X509 **out, const es_cert_req *req, X509 *issuer,
		  EVP_PKEY *issuer_key, es_err *err)
{
	EVP_PKEY *signer = issuer_key != NULL ? issuer_key : (issuer == NULL ? req->subject_key : NULL);
	X509 *x = NULL;
	int rc;

	*out = NULL;
	if ((rc = req_check(req, issuer, signer, err)) < 0)
		return rc;
	x = X509_new();
	if (x == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_pubkey(x, req->subject_key) != 1) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot build certificate");
		goto out;
	}
	if ((rc = serial_set(x, req->serial_hex, err)) < 0 || (rc = subject_set(x, req, err)) < 0 ||
	    (rc = validity_set(x, req, issuer, err)) < 0)
		goto out;
	if (X509_set_issuer_name(x, X509_get_subject_name(issuer != NULL ? issuer : x)) != 1) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot set certificate issuer");
		goto out;
	}
	if ((rc = extensions_add(x, req, issuer, (es_alg)es_key_alg(signer), err)) < 0 ||
	    (rc = sign_and_check(x, signer, err)) < 0)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return rc;
}

/* ---- families ---- */

static int member_make(X509 **cert, EVP_PKEY **key, const es_pki_family *f, es_cert_kind kind,
		       const char *role, int days, const char *platform, const char *base_url,
		       X509 *issuer, EVP_PKEY *issuer_key, es_err *err)
{
	es_cert_req req;
	char cn[NAME_MAX_CHARS * 4 + 1];
	int n, rc;

	n = snprintf(cn, sizeof(cn), "%s %s %s", platform, f->alg == ES_ALG_SM2 ? "SM2" : "P-256",
		     role);
	if (n < 0 || (size_t)n >= sizeof(cn))
		return es_err_set(err, ES_EINVAL, "platform name too long; shorten it");
	if ((rc = es_key_generate(key, f->alg, err)) < 0)
		return rc;
	memset(&req, 0, sizeof(req));
	req.kind = kind;
	req.subject_key = *key;
	req.cn = cn;
	req.o = platform;
	req.days = days;
	req.base_url = base_url;
	return es_cert_issue(cert, &req, issuer, issuer_key, err);
}

int es_pki_family_create(es_pki_family *out, es_alg alg, const char *platform_name,
			 const char *base_url, es_err *err)
{
	es_pki_family f;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&f, 0, sizeof(f));
	if (alg != ES_ALG_SM2 && alg != ES_ALG_P256)
		return es_err_set(err, ES_EINVAL, "unknown key family %d; use SM2 or P-256", (int)alg);
	if (platform_name == NULL || platform_name[0] == '\0')
		return es_err_set(err, ES_EINVAL, "a PKI family needs a platform name");
	f.alg = alg;
	if ((rc = member_make(&f.root, &f.root_key, &f, ES_CERT_ROOT_CA, "Root CA", ROOT_DAYS,
			      platform_name, base_url, NULL, NULL, err)) < 0 ||
	    (rc = member_make(&f.issuing, &f.issuing_key, &f, ES_CERT_ISSUING_CA, "Issuing CA",
			      ISSUING_DAYS, platform_name, base_url, f.root, f.root_key, err)) < 0 ||
	    (rc = member_make(&f.tsa, &f.tsa_key, &f, ES_CERT_TSA, "TSA", SERVICE_DAYS,
			      platform_name, base_url, f.issuing, f.issuing_key, err)) < 0 ||
	    (rc = member_make(&f.ocsp, &f.ocsp_key, &f, ES_CERT_OCSP, "OCSP Responder",
			      SERVICE_DAYS, platform_name, base_url, f.issuing, f.issuing_key, err)) < 0) {
		es_pki_family_clear(&f);
		return rc;
	}
	*out = f;
	return 0;
}

void es_pki_family_clear(es_pki_family *f)
{
	if (f == NULL)
		return;
	X509_free(f->root);
	X509_free(f->issuing);
	X509_free(f->tsa);
	X509_free(f->ocsp);
	EVP_PKEY_free(f->root_key);
	EVP_PKEY_free(f->issuing_key);
	EVP_PKEY_free(f->tsa_key);
	EVP_PKEY_free(f->ocsp_key);
	memset(f, 0, sizeof(*f));
}

/* ---- serialisation ---- */

int es_cert_to_der(unsigned char **der, size_t *len, X509 *c, es_err *err)
{
	unsigned char *p = NULL;
	int n = i2d_X509(c, &p);
	int rc = es_der_dup(der, len, p, n, err);

	OPENSSL_free(p);
	return rc;
}

int es_cert_from_der(X509 **out, const unsigned char *der, size_t len, es_err *err)
{
	const unsigned char *p = der;

	*out = NULL;
	if (len == 0 || len > LONG_MAX)
		return es_err_set(err, ES_EFORMAT, "empty or oversized certificate");
	*out = d2i_X509(NULL, &p, (long)len);
	if (*out == NULL)
		return es_err_ssl(err, ES_EFORMAT, "not a DER certificate");
	if (p != der + len) {
		X509_free(*out);
		*out = NULL;
		return es_err_set(err, ES_EFORMAT, "trailing bytes after the certificate");
	}
	return 0;
}

int es_cert_to_pem(char **pem, X509 *c, es_err *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n = 0;
	int rc = 0;

	*pem = NULL;
	if (b != NULL && PEM_write_bio_X509(b, c) == 1)
		n = BIO_get_mem_data(b, &data);
	if (n <= 0) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot write PEM certificate");
		goto out;
	}
	*pem = malloc((size_t)n + 1);
	if (*pem == NULL) {
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = '\0';
out:
	BIO_free(b);
	return rc;
}
