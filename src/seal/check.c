/* SESeal checks: maker signature, validity, maker certificate chain.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "eseal/pki.h"
#include "eseal/verify.h"
#include "der.h"
#include "seal_int.h"

/* Largest standalone seal file we read; real seals are tens of KiB. */
#define SEAL_FILE_MAX_LEN (16u * 1024u * 1024u)
#define SM2_COORD_LEN 32  /* bytes of r or s on the 256-bit SM2 curve */

/* DER contents of the OIDs a maker signature may name. */
static const unsigned char OID_SM3_WITH_SM2[] = {0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75};
static const unsigned char OID_SM2_SIGN[] = {0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d, 0x01};

static int is_oid(const seal_span *o, const unsigned char *want, size_t n)
{
	return o->len == n && memcmp(o->p, want, n) == 0;
}

/* Some producers store the SM2 signature as raw r||s (64 bytes) instead of
 * DER SEQUENCE{r,s}.  Decide by parsing, not by the first byte: r may well
 * start with 0x30.  *out is DER (OPENSSL_free) or NULL when sig is DER already. */
static int sig_to_der(unsigned char **out, int *outlen, const seal_span *sig)
{
	const unsigned char *q = sig->p;
	ECDSA_SIG *es;
	BIGNUM *r = NULL, *t = NULL;

	*out = NULL;
	es = d2i_ECDSA_SIG(NULL, &q, (long)sig->len);
	if (es != NULL && q == sig->p + sig->len) {
		ECDSA_SIG_free(es);
		return 0;
	}
	ECDSA_SIG_free(es);
	ERR_clear_error(); /* the failed DER parse is expected, not an error */
	if (sig->len != 2 * SM2_COORD_LEN)
		return 0; /* neither form: let the verifier reject it */
	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig->p, SM2_COORD_LEN, NULL);
	t = BN_bin2bn(sig->p + SM2_COORD_LEN, SM2_COORD_LEN, NULL);
	if (es == NULL || r == NULL || t == NULL || ECDSA_SIG_set0(es, r, t) != 1) {
		BN_free(r);
		BN_free(t);
		ECDSA_SIG_free(es);
		return ES_ENOMEM;
	}
	*outlen = i2d_ECDSA_SIG(es, out);
	ECDSA_SIG_free(es);
	return *outlen > 0 ? 0 : ES_ENOMEM;
}

static int verify_sm2(EVP_PKEY *pub, const seal_span *sig, const unsigned char *data,
		      size_t len, es_err *err)
{
	unsigned char *der = NULL;
	int derlen = 0, rc;

	if (sig_to_der(&der, &derlen, sig) < 0)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	if (der != NULL)
		rc = es_sm2_verify(pub, der, (size_t)derlen, data, len, err);
	else
		rc = es_sm2_verify(pub, sig->p, sig->len, data, len, err);
	OPENSSL_free(der);
	return rc;
}

/* GM/T 0031-2014: signData covers DER(SEQUENCE{esealInfo, cert, signatureAlgorithm}),
 * rebuilt from the elements exactly as they appear in the seal. */
static int v1_tbs(es_buf *out, const es_seal *s, es_err *err)
{
	es_buf body = {0};
	int rc;

	if ((rc = es_buf_append(&body, s->info_tlv.p, s->info_tlv.len, err)) == 0 &&
	    (rc = es_buf_append(&body, s->cert_tlv.p, s->cert_tlv.len, err)) == 0 &&
	    (rc = es_buf_append(&body, s->alg_tlv.p, s->alg_tlv.len, err)) == 0)
		rc = der_wrap(out, DER_SEQUENCE, &body, err);
	es_buf_free(&body, 0);
	return rc;
}

int seal_verify_maker_sig(const es_seal *s, X509 *maker, es_err *err)
{
	es_buf tbs = {0};
	EVP_PKEY *pub = X509_get0_pubkey(maker);
	int rc;

	if (pub == NULL)
		return es_err_ssl(err, ES_EFORMAT, "maker certificate has no usable public key");
	if (!is_oid(&s->alg_oid, OID_SM3_WITH_SM2, sizeof(OID_SM3_WITH_SM2)) &&
	    !is_oid(&s->alg_oid, OID_SM2_SIGN, sizeof(OID_SM2_SIGN)))
		return es_err_set(err, ES_ENOTSUP, "seal signature algorithm is not SM3withSM2");
	if (!EVP_PKEY_is_a(pub, "SM2"))
		return es_err_set(err, ES_ENOTSUP, "seal maker key is not an SM2 key");
	if (s->layout == SEAL_LAYOUT_V4) {
		/* GB/T 38540-2020: signedValue covers DER(eSealInfo) only. */
		return verify_sm2(pub, &s->sig, s->info_tlv.p, s->info_tlv.len, err);
	}
	if ((rc = v1_tbs(&tbs, s, err)) == 0)
		rc = verify_sm2(pub, &s->sig, tbs.data, tbs.len, err);
	es_buf_free(&tbs, 0);
	return rc;
}

/* Shorthand: add a finding, keep the first error. */
typedef struct findings {
	es_report *r;
	es_sig_report *sig;
	int rc;
} findings;

static void add(findings *f, es_severity sev, const char *code, const char *en, const char *zh)
{
	if (f->rc == 0)
		f->rc = es_report_add(f->r, f->sig, sev, code, en, zh, NULL) < 0 ? ES_ENOMEM : 0;
}

static X509 *maker_x509(const es_seal *s)
{
	const unsigned char *p = s->maker_cert.p;
	X509 *x = d2i_X509(NULL, &p, (long)s->maker_cert.len);

	if (x != NULL && p != s->maker_cert.p + s->maker_cert.len) {
		X509_free(x); /* trailing bytes after the certificate */
		x = NULL;
	}
	return x;
}

static void check_signature(findings *f, const es_seal *s, X509 *maker)
{
	int rc = seal_verify_maker_sig(s, maker, NULL);

	if (rc == 0) {
		f->sig->integrity_ok = 1;
		add(f, ES_SEV_INFO, "SEAL_SIGNATURE_VALID",
		    "The seal maker's signature over the seal is valid.",
		    "制章人对印章数据的签名有效。");
	} else if (rc == ES_EVERIFY) {
		add(f, ES_SEV_FAIL, "SEAL_SIGNATURE_INVALID",
		    "The seal maker's signature does not match the seal data: the seal was altered or forged.",
		    "制章人签名与印章数据不符：印章已被篡改或伪造。");
	} else {
		add(f, ES_SEV_INDET, "SEAL_SIGNATURE_UNCHECKED",
		    "The seal signature uses an algorithm or key eseal cannot check (SM3withSM2 expected).",
		    "印章签名使用了无法验证的算法或密钥（应为 SM3withSM2）。");
	}
}

static void check_seal_dates(findings *f, const es_seal *s, time_t at)
{
	if (at < s->valid_start)
		add(f, ES_SEV_INDET, "SEAL_NOT_YET_VALID",
		    "The seal is not yet valid at the time checked.",
		    "在所验证的时间，印章尚未生效。");
	else if (at > s->valid_end)
		add(f, ES_SEV_INDET, "SEAL_EXPIRED",
		    "The seal's validity period had ended at the time checked.",
		    "在所验证的时间，印章已超过有效期。");
}

/* Returns 1 when the maker certificate itself is outside its validity at `at`. */
static int check_cert_dates(findings *f, X509 *maker, time_t at)
{
	int nb = ASN1_TIME_cmp_time_t(X509_get0_notBefore(maker), at);
	int na = ASN1_TIME_cmp_time_t(X509_get0_notAfter(maker), at);

	if (nb == -2 || na == -2 || nb > 0 || na < 0) {
		add(f, ES_SEV_INDET, "CERT_EXPIRED",
		    "The seal maker's certificate was not valid (expired or not yet valid) at the time checked.",
		    "在所验证的时间，制章人证书不在有效期内（已过期或尚未生效）。");
		return 1;
	}
	return 0;
}

static void check_chain(findings *f, X509 *maker, STACK_OF(X509) *anchors, time_t at,
			int maker_expired)
{
	es_chain_status st = ES_CHAIN_UNTRUSTED;

	if (es_chain_check(&st, maker, NULL, anchors, at, NULL) < 0)
		st = ES_CHAIN_UNTRUSTED;
	switch (st) {
	case ES_CHAIN_OK:
		f->sig->chain_trusted = 1;
		break;
	case ES_CHAIN_EXPIRED:
		f->sig->chain_trusted = 1;
		if (!maker_expired)
			add(f, ES_SEV_INDET, "CERT_EXPIRED",
			    "A certificate on the seal maker's path to the trust anchor was not valid at the time checked.",
			    "在所验证的时间，制章人证书链中的某个证书不在有效期内。");
		break;
	case ES_CHAIN_BAD_SIGNATURE:
		add(f, ES_SEV_FAIL, "CERT_SIGNATURE_INVALID",
		    "A certificate on the seal maker's path carries a signature that does not verify.",
		    "制章人证书链中存在签名无效的证书。");
		break;
	default:
		add(f, ES_SEV_INDET, "CHAIN_UNTRUSTED",
		    "The seal maker's certificate does not lead to a trusted root; add the issuer with --trust if you trust it.",
		    "制章人证书无法追溯到受信任的根证书；如信任其签发者，请用 --trust 添加。");
		break;
	}
}

static void fill_fields(es_sig_report *sig, const es_seal *s, X509 *maker)
{
	seal_text_copy(sig->seal_name, sizeof(sig->seal_name), s->name);
	seal_text_copy(sig->seal_code, sizeof(sig->seal_code), s->esid);
	snprintf(sig->level, sizeof(sig->level), "%s",
		 s->layout == SEAL_LAYOUT_V1 ? "SES-v1" : "SES-v4");
	es_time_iso(sig->valid_from, sizeof(sig->valid_from), s->valid_start);
	es_time_iso(sig->valid_to, sizeof(sig->valid_to), s->valid_end);
	if (maker != NULL) {
		char cn[sizeof(sig->seal_maker)];

		es_cert_cn(maker, cn, sizeof(cn));
		seal_text_copy(sig->seal_maker, sizeof(sig->seal_maker), cn);
	}
}

int es_seal_check(const es_seal *s, es_report *r, es_sig_report *sig,
		  STACK_OF(X509) *anchors, time_t at, es_err *err)
{
	findings f = {r, sig, 0};
	X509 *maker;
	int expired;

	if (s == NULL || r == NULL || sig == NULL)
		return es_err_set(err, ES_EINVAL, "no seal or report to check");
	if (at == 0)
		at = time(NULL);
	maker = maker_x509(s);
	fill_fields(sig, s, maker);
	if (s->version == 5)
		add(&f, ES_SEV_INFO, "SEAL_HEADER_V5",
		    "The seal header says version 5 (ofdrw variant); it is read as GB/T 38540 v4.",
		    "印章头版本号为 5（ofdrw 变体），按 GB/T 38540 第 4 版解析。");
	if (s->nodd_certs > 0)
		add(&f, ES_SEV_INFO, "CERT_LIST_NONSTANDARD",
		    "The seal's certificate list holds entries that are not certificates (non-standard GM/T 0031 producer); they were skipped.",
		    "印章证书列表中含有非证书条目（不符合 GM/T 0031 的制章系统），已跳过。");
	if (maker == NULL) {
		add(&f, ES_SEV_INDET, "MAKER_CERT_UNREADABLE",
		    "The seal maker's certificate in the seal cannot be read, so the seal signature cannot be checked.",
		    "印章中的制章人证书无法解析，无法验证印章签名。");
		check_seal_dates(&f, s, at);
		goto out;
	}
	check_signature(&f, s, maker);
	check_seal_dates(&f, s, at);
	expired = check_cert_dates(&f, maker, at);
	check_chain(&f, maker, anchors, at, expired);
out:
	X509_free(maker);
	if (f.rc < 0)
		return es_err_set(err, f.rc, "out of memory while writing the report");
	return 0;
}

/* A file that is not a seal is reported (NOT_A_SEAL), not returned as an
 * error: the caller prints the report. */
int es_seal_verify_mem(es_report *r, const unsigned char *data, size_t len, const es_verify_opts *o,
		       es_err *err)
{
	es_verify_opts def = ES_VERIFY_OPTS_INIT;
	es_seal *s = NULL;
	es_sig_report *sig = NULL;
	int rc;

	if (o == NULL)
		o = &def;
	if (len > SEAL_FILE_MAX_LEN)
		return es_err_set(err, ES_ERANGE, "a seal file is at most %u bytes", SEAL_FILE_MAX_LEN);
	snprintf(r->file_type, sizeof(r->file_type), "seal");
	if ((rc = es_sha256_hex(r->file_sha256, data, len, err)) < 0)
		return rc;
	rc = es_seal_parse(&s, data, len, NULL);
	if (rc == ES_EFORMAT) {
		rc = es_report_add(r, NULL, ES_SEV_INFO, "NOT_A_SEAL",
				   "The file is not a GB/T 38540 or GM/T 0031 electronic seal (SESeal DER).",
				   "该文件不是 GB/T 38540 或 GM/T 0031 电子印章（SESeal DER）。", err);
		goto finish;
	}
	if (rc < 0) {
		es_err_set(err, rc, "cannot parse the seal");
		goto out;
	}
	if ((rc = es_report_add_sig(r, &sig, "seal", err)) < 0 ||
	    (rc = es_seal_check(s, r, sig, o->anchors, o->now, err)) < 0)
		goto out;
finish:
	es_report_finish(r);
out:
	es_seal_free(s);
	return rc;
}

/* I/O failures are returned; the rest as es_seal_verify_mem(). */
int es_seal_verify_file(es_report *r, const char *path, const es_verify_opts *o, es_err *err)
{
	es_buf b = {0};
	int rc;

	if ((rc = es_file_read(&b, path, SEAL_FILE_MAX_LEN, err)) < 0)
		return rc;
	rc = es_seal_verify_mem(r, b.data, b.len, o, err);
	es_buf_free(&b, 0);
	return rc;
}
