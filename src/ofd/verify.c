/* OFD signature verification (GB/T 38540 clause 8, GM/T 0031): references,
 * SES_Signature, embedded seal, signer in seal, chain, timestamp; then the
 * files no signature protects.  Rules and codes: docs/ofd.md.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include "eseal/pki.h"
#include "ofd_int.h"

#define SM3_LEN 32
#define MAX_SIGS 256
#define APPEND_SEARCH_MAX_BYTES (1024u * 1024u)

typedef struct sig_entry {
	char id[64];
	char type[16];
	char path[OFD_MAX_NAME_LEN];
} sig_entry;

typedef struct vctx {
	es_report *r;
	const es_verify_opts *o;
	const ofd_pkg *p;
	ofd_doc doc;
	int have_doc;
	char sigs_path[OFD_MAX_NAME_LEN];
	unsigned char *covered; /* per entry: referenced by a signature */
	unsigned char *exempt;  /* per entry: signature machinery */
	sig_entry *sigs;
	size_t nsigs;
	time_t now;
} vctx;

typedef struct sig_state {
	es_sig_report *sr;
	const sig_entry *se;
	size_t index;
	int nonstd;     /* unknown CheckMethod: crypto mismatches are INDET */
	int intact;     /* no integrity failure so far */
	const ofd_entry *sigxml;
	char seal_file[OFD_MAX_NAME_LEN];
	unsigned char *mine; /* per entry: referenced or owned by this signature */
	time_t at;           /* when validity is judged: trusted timestamp, else now */
	int ts_trusted;      /* a verified timestamp from a trusted TSA fixed `at` */
} sig_state;

static int add(vctx *v, es_sig_report *sr, es_severity sev, const char *code,
	       const char *zh, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int add(vctx *v, es_sig_report *sr, es_severity sev, const char *code,
	       const char *zh, const char *fmt, ...)
{
	char en[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(en, sizeof(en), fmt, ap);
	va_end(ap);
	return es_report_add(v->r, sr, sev, code, en, zh, NULL);
}

static size_t entry_index(const vctx *v, const ofd_entry *e)
{
	return (size_t)(e - v->p->e);
}

/* ---- Signatures.xml ---- */

static int load_sig_list(vctx *v, es_err *err)
{
	const ofd_entry *e = ofd_pkg_find(v->p, v->sigs_path);
	xmlDocPtr x = NULL;
	xmlNode *n;
	int rc;

	if (e == NULL)
		return add(v, NULL, ES_SEV_FAIL, "SIGNATURES_XML_MISSING", "签名列表文件缺失",
			   "OFD.xml names %s but the package has no such file", v->sigs_path);
	v->exempt[entry_index(v, e)] = 1;
	if ((rc = ofd_xml_parse(&x, e->data, e->len, err)) < 0)
		return add(v, NULL, ES_SEV_FAIL, "SIGNATURES_XML_MALFORMED", "签名列表文件格式错误",
			   "%s cannot be read: %s", v->sigs_path, err ? err->msg : "malformed");
	v->sigs = calloc(MAX_SIGS, sizeof(*v->sigs));
	if (v->sigs == NULL) {
		xmlFreeDoc(x);
		return es_err_set(err, ES_ENOMEM, "out of memory");
	}
	for (n = ofd_xml_child(xmlDocGetRootElement(x), "Signature"); n && v->nsigs < MAX_SIGS;
	     n = ofd_xml_next(n, "Signature")) {
		sig_entry *s = &v->sigs[v->nsigs];
		char loc[OFD_MAX_NAME_LEN];

		ofd_xml_attr(n, "ID", s->id, sizeof(s->id));
		if (ofd_xml_attr(n, "Type", s->type, sizeof(s->type)) < 0)
			snprintf(s->type, sizeof(s->type), "Seal");
		ofd_xml_attr(n, "BaseLoc", loc, sizeof(loc));
		if (ofd_path_resolve(s->path, sizeof(s->path), v->sigs_path, loc) < 0)
			s->path[0] = 0;
		v->nsigs++;
	}
	xmlFreeDoc(x);
	return 0;
}

/* ---- append-only check for Signatures.xml (h.ofd, ofdrw style) ---- */

/* Is text made only of Signature / MaxSignId elements (and whitespace)? */
static int only_signature_entries(const char *s, const char *end)
{
	while (s < end) {
		const char *name, *close;
		char local[32], endtag[80];
		size_t nl;

		if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') {
			s++;
			continue;
		}
		if (*s != '<' || s + 1 >= end || s[1] == '/')
			return 0;
		name = s + 1;
		for (close = name; close < end && *close != ' ' && *close != '>' && *close != '/'; close++)
			;
		nl = (size_t)(close - name);
		if (nl == 0 || nl >= 48)
			return 0;
		{
			const char *colon = memchr(name, ':', nl);
			const char *ln = colon ? colon + 1 : name;
			size_t lnl = (size_t)(close - ln);

			if (lnl >= sizeof(local))
				return 0;
			memcpy(local, ln, lnl);
			local[lnl] = 0;
		}
		if (strcmp(local, "Signature") != 0 && strcmp(local, "MaxSignId") != 0)
			return 0;
		snprintf(endtag, sizeof(endtag), "</%.*s>", (int)nl, name);
		{
			const char *gt = memchr(close, '>', (size_t)(end - close));

			if (gt == NULL)
				return 0;
			if (gt[-1] == '/') {
				s = gt + 1;
				continue;
			}
			close = memmem(gt, (size_t)(end - gt), endtag, strlen(endtag));
			if (close == NULL || memchr(gt + 1, '<', (size_t)(close - gt - 1)))
				return 0;
			s = close + strlen(endtag);
		}
	}
	return 1;
}

/* Does some earlier state of Signatures.xml, obtained by removing entries
 * appended at the end, hash (SM3) to want? */
static int signatures_appended(const ofd_entry *e, const unsigned char *want)
{
	const unsigned char *d = e->data;
	size_t tail = 0, i;
	EVP_MD_CTX *run = NULL, *tmp = NULL;
	int found = 0;

	if (e->len < 4 || e->len > APPEND_SEARCH_MAX_BYTES)
		return 0;
	for (i = e->len - 2; i > 0; i--)
		if (d[i] == '<' && d[i + 1] == '/') {
			tail = i;
			break;
		}
	if (tail == 0 || (run = EVP_MD_CTX_new()) == NULL || (tmp = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(run, EVP_sm3(), NULL) != 1)
		goto out;
	for (i = 0; i < tail && !found; i++) {
		unsigned char md[SM3_LEN];
		unsigned int mdlen = 0;

		if (EVP_DigestUpdate(run, d + i, 1) != 1)
			goto out;
		if (d[i] != '>')
			continue;
		if (EVP_MD_CTX_copy_ex(tmp, run) != 1 ||
		    EVP_DigestUpdate(tmp, d + tail, e->len - tail) != 1 ||
		    EVP_DigestFinal_ex(tmp, md, &mdlen) != 1)
			goto out;
		if (mdlen == SM3_LEN && CRYPTO_memcmp(md, want, SM3_LEN) == 0 &&
		    only_signature_entries((const char *)d + i + 1, (const char *)d + tail))
			found = 1;
	}
out:
	EVP_MD_CTX_free(run);
	EVP_MD_CTX_free(tmp);
	return found;
}

/* ---- references ---- */

static int method_supported(const char *m)
{
	return m[0] == 0 || strcmp(m, OID_SM3) == 0 || strcasecmp(m, "SM3") == 0;
}

static void check_reference(vctx *v, sig_state *st, const xmlNode *ref)
{
	char loc[OFD_MAX_NAME_LEN], path[OFD_MAX_NAME_LEN], b64[256];
	unsigned char md[SM3_LEN];
	es_buf want = {0};
	const ofd_entry *e;

	ofd_xml_attr(ref, "FileRef", loc, sizeof(loc));
	ofd_xml_text(ofd_xml_child(ref, "CheckValue"), b64, sizeof(b64));
	if (ofd_path_resolve(path, sizeof(path), "OFD.xml", loc) < 0) {
		st->intact = 0;
		add(v, st->sr, ES_SEV_FAIL, "REFERENCE_UNSAFE", "签名引用的文件路径非法",
		    "reference to an unsafe path (%.200s)", loc);
		return;
	}
	e = ofd_pkg_find(v->p, path);
	if (e == NULL) {
		st->intact = 0;
		add(v, st->sr, ES_SEV_FAIL, "REFERENCE_MISSING", "签名保护的文件已被删除",
		    "signed file /%.200s is missing from the package", path);
		return;
	}
	v->covered[entry_index(v, e)] = 1;
	if (st->mine)
		st->mine[entry_index(v, e)] = 1;
	if (st->nonstd)
		return;
	if (es_base64_decode(&want, b64, strlen(b64), NULL) < 0 || want.len != SM3_LEN ||
	    es_sm3(md, e->data, e->len, NULL) < 0 || CRYPTO_memcmp(md, want.data, SM3_LEN) != 0) {
		if (want.len == SM3_LEN && strcasecmp(path, v->sigs_path) == 0 &&
		    signatures_appended(e, want.data)) {
			add(v, st->sr, ES_SEV_INFO, "SIGNATURES_XML_APPENDED", "签名后仅追加了新的签名条目",
			    "/%.200s changed after signing only by appending later signatures (allowed)", path);
		} else {
			st->intact = 0;
			add(v, st->sr, ES_SEV_FAIL, "REFERENCE_MISMATCH", "签名后文件被修改",
			    "signed file /%.200s was changed after signing", path);
		}
	}
	es_buf_free(&want, 0);
}

static void check_references(vctx *v, sig_state *st, const xmlNode *si)
{
	const xmlNode *refs = ofd_xml_child(si, "References"), *ref;
	char method[128];

	if (refs == NULL) {
		st->intact = 0;
		add(v, st->sr, ES_SEV_FAIL, "NO_REFERENCES", "签名未保护任何文件",
		    "the signature protects no file (no References)");
		return;
	}
	ofd_xml_attr(refs, "CheckMethod", method, sizeof(method));
	if (!method_supported(method)) {
		st->nonstd = 1;
		add(v, st->sr, ES_SEV_INDET, "CHECK_METHOD_UNSUPPORTED", "不支持的摘要算法",
		    "digest method %.100s is not standard (expected SM3 %s); integrity cannot be checked",
		    method, OID_SM3);
	}
	for (ref = ofd_xml_child(refs, "Reference"); ref; ref = ofd_xml_next(ref, "Reference"))
		check_reference(v, st, ref);
}

/* ---- SignedInfo facts ---- */

static void claimed_time(es_sig_report *sr, const char *t)
{
	int Y, M, D, h, m, s;

	int dashed = strchr(t, '-') != NULL;

	if ((!dashed && sscanf(t, "%4d%2d%2d%2d%2d%2d", &Y, &M, &D, &h, &m, &s) == 6) ||
	    (dashed && sscanf(t, "%4d-%2d-%2d %2d:%2d:%2d", &Y, &M, &D, &h, &m, &s) == 6) ||
	    (dashed && sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &Y, &M, &D, &h, &m, &s) == 6))
		snprintf(sr->signing_time, sizeof(sr->signing_time), "%04d-%02d-%02dT%02d:%02d:%02d",
			 Y % 10000, M % 100, D % 100, h % 100, m % 100, s % 100);
	snprintf(sr->time_source, sizeof(sr->time_source), "%s", sr->signing_time[0] ? "claimed" : "none");
}

static void stamp_position(vctx *v, sig_state *st, const xmlNode *si)
{
	const xmlNode *sa = ofd_xml_child(si, "StampAnnot");
	char buf[128];
	double b[4];
	int idx;

	if (sa == NULL)
		return;
	ofd_xml_attr(sa, "PageRef", buf, sizeof(buf));
	idx = v->have_doc ? ofd_doc_page_by_id(&v->doc, buf) : -1;
	st->sr->page = idx >= 0 ? idx + 1 : 0;
	ofd_xml_attr(sa, "Boundary", buf, sizeof(buf));
	if (ofd_parse_doubles(buf, b, 4) == 4) {
		double ox = idx >= 0 ? v->doc.pages[idx].box[0] : 0;
		double oy = idx >= 0 ? v->doc.pages[idx].box[1] : 0;

		st->sr->x_mm = b[0] - ox;
		st->sr->y_mm = b[1] - oy;
		st->sr->w_mm = b[2];
		st->sr->h_mm = b[3];
	}
	if (idx < 0)
		add(v, st->sr, ES_SEV_INFO, "STAMP_PAGE_UNKNOWN", "印章所在页面不存在",
		    "the stamp annotation points at page object %s, which the document does not have", buf);
}

/* ---- SignedValue ---- */

static void fail_or_indet(vctx *v, sig_state *st, const char *code, const char *zh, const char *en)
{
	if (!st->nonstd)
		st->intact = 0;
	add(v, st->sr, st->nonstd ? ES_SEV_INDET : ES_SEV_FAIL, code, zh, "%s%s", en,
	    st->nonstd ? " (non-standard digest method; treated as unsupported)" : "");
}

static void check_data_hash(vctx *v, sig_state *st, const ofd_ses *s)
{
	unsigned char md[SM3_LEN];

	if (s->data_hash == NULL)
		return;
	if (s->data_hash_len != SM3_LEN || es_sm3(md, st->sigxml->data, st->sigxml->len, NULL) < 0 ||
	    CRYPTO_memcmp(md, s->data_hash, SM3_LEN) != 0)
		fail_or_indet(v, st, "DATA_HASH_MISMATCH", "签名描述文件被修改",
			      "Signature.xml does not match the signed data hash");
}

static X509 *signer_cert(vctx *v, sig_state *st, const unsigned char *der, size_t len)
{
	const unsigned char *q = der;
	X509 *c = der ? d2i_X509(NULL, &q, (long)len) : NULL;

	if (c == NULL) {
		st->intact = 0;
		add(v, st->sr, ES_SEV_FAIL, "SIGNER_CERT_MALFORMED", "签名者证书无法解析",
		    "the signer certificate in the signed value cannot be parsed");
		return NULL;
	}
	ofd_cert_names(c, st->sr->signer, sizeof(st->sr->signer), st->sr->organisation,
		       sizeof(st->sr->organisation));
	return c;
}

static void check_sig_value(vctx *v, sig_state *st, const ofd_ses *s, X509 *cert)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	const unsigned char *data = s->signed_bytes ? s->signed_bytes : st->sigxml->data;
	size_t len = s->signed_bytes ? s->signed_len : st->sigxml->len;
	es_err e2 = ES_ERR_INIT;
	int rc;

	if (pub == NULL || !EVP_PKEY_is_a(pub, "SM2")) {
		add(v, st->sr, ES_SEV_INDET, "SIGNATURE_ALG_UNSUPPORTED", "不支持的签名算法",
		    "the signer key is not an SM2 key; the signature cannot be checked");
		return;
	}
	rc = es_sm2_verify(pub, s->sig, s->sig_len, data, len, &e2);
	if (rc == ES_EVERIFY || (rc < 0 && rc != ES_ECRYPTO))
		fail_or_indet(v, st, "SIGNATURE_INVALID", "签名值验证失败",
			      "the SM2 signature value does not verify");
	else if (rc < 0)
		add(v, st->sr, ES_SEV_INDET, "SIGNATURE_ALG_UNSUPPORTED", "不支持的签名算法",
		    "the signature cannot be checked with SM2/SM3");
}

/* Issuer of c among the trust anchors (platform roots issue holder certs
 * directly or the chain has been checked by es_chain_check already). */
static X509 *anchor_issuer(const vctx *v, X509 *c)
{
	STACK_OF(X509) *a = v->o ? v->o->anchors : NULL;
	int i;

	for (i = 0; i < sk_X509_num(a); i++)
		if (X509_check_issued(sk_X509_value(a, i), c) == X509_V_OK)
			return sk_X509_value(a, i);
	return NULL;
}

/* Offline revocation from the caller's CRLs: 1 good, 2 revoked, 0 unknown. */
static int crl_lookup(const vctx *v, X509 *c, X509 *issuer, time_t *revoked_at)
{
	STACK_OF(X509_CRL) *crls = v->o ? v->o->crls : NULL;
	int i, found = 0;

	for (i = 0; issuer && i < sk_X509_CRL_num(crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(crls, i);
		X509_REVOKED *rev = NULL;
		struct tm tm;

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(c)) != 0 ||
		    es_crl_check_signature(crl, issuer, NULL) < 0)
			continue;
		if (X509_CRL_get0_by_cert(crl, &rev, c) == 1) {
			if (ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(rev), &tm) == 1)
				*revoked_at = timegm(&tm);
			return 2;
		}
		found = 1;
	}
	ERR_clear_error();
	return found;
}

static void check_revocation(vctx *v, sig_state *st, X509 *cert)
{
	time_t revoked_at = 0;
	int status = crl_lookup(v, cert, anchor_issuer(v, cert), &revoked_at);
	int proven = st->ts_trusted;

	snprintf(st->sr->revocation, sizeof(st->sr->revocation), "%s",
		 status == 2 ? "revoked" : status == 1 ? "good" : "unknown");
	if (status == 1)
		return;
	if (status == 0) {
		add(v, st->sr, ES_SEV_INDET, "REVOCATION_UNKNOWN", "无法确认签名者证书是否被吊销",
		    "no CRL for the signer certificate was available; its revocation status is unknown");
		return;
	}
	/* EN 319 102-1 5.2.6: revoked before a proven signing time fails; after
	 * it the signature stands; without proof of time it is undecided. */
	if (proven && revoked_at > st->at)
		add(v, st->sr, ES_SEV_INFO, "CERT_REVOKED_AFTER_SIGNING", "签名者证书在签名之后被吊销",
		    "the signer certificate was revoked after the timestamped signing time");
	else
		add(v, st->sr, proven ? ES_SEV_FAIL : ES_SEV_INDET, "CERT_REVOKED", "签名者证书已被吊销",
		    "the signer certificate is revoked");
}

static void check_chain(vctx *v, sig_state *st, X509 *cert)
{
	int status = 0;

	if (ofd_chain(&status, cert, v->o ? v->o->anchors : NULL, st->at, NULL) < 0) {
		add(v, st->sr, ES_SEV_INDET, "CHAIN_UNCHECKED", "无法检查证书链",
		    "the signer certificate chain could not be checked");
		return;
	}
	st->sr->chain_trusted = status == ES_CHAIN_OK;
	if (status == ES_CHAIN_OK)
		check_revocation(v, st, cert);
	else if (status == ES_CHAIN_UNTRUSTED)
		add(v, st->sr, ES_SEV_INDET, "CHAIN_UNTRUSTED", "签名者证书不受信任",
		    "the signer certificate does not chain to a trusted root; add the issuer with --trust");
	else if (status == ES_CHAIN_EXPIRED)
		add(v, st->sr, ES_SEV_INDET, "CERT_EXPIRED", "签名者证书已过期",
		    "the signer certificate is not valid at the validation time");
	else
		add(v, st->sr, ES_SEV_INDET, "CHAIN_BAD_SIGNATURE", "证书链签名错误",
		    "a certificate signature in the signer's chain is wrong");
}

static void check_timestamp(vctx *v, sig_state *st, const ofd_ses *s)
{
	time_t gen = 0;
	X509 *tsa = NULL;
	int status = ES_CHAIN_UNTRUSTED;

	if (ofd_tsa_verify(&gen, &tsa, s->ts, s->ts_len, s->sig, s->sig_len, NULL) < 0) {
		add(v, st->sr, ES_SEV_INDET, "TIMESTAMP_INVALID", "时间戳无法验证",
		    "the timestamp token does not cover this signature or does not verify");
		return;
	}
	es_time_iso(st->sr->signing_time, sizeof(st->sr->signing_time), gen);
	snprintf(st->sr->time_source, sizeof(st->sr->time_source), "timestamp");
	if (ofd_chain(&status, tsa, v->o ? v->o->anchors : NULL, gen, NULL) < 0 || status != ES_CHAIN_OK)
		add(v, st->sr, ES_SEV_INDET, "TIMESTAMP_UNTRUSTED", "时间戳服务证书不受信任",
		    "the timestamp verifies but its TSA certificate does not chain to a trusted root");
	else {
		st->at = gen; /* certificates and seal are judged when the timestamp says */
		st->ts_trusted = 1;
		add(v, st->sr, ES_SEV_INFO, "TIMESTAMP_VALID", "时间戳有效",
		    "an RFC 3161 timestamp proves the signature existed at the signing time shown");
	}
	X509_free(tsa);
}

static void check_seal(vctx *v, sig_state *st, const ofd_ses *s)
{
	int listed = -1;
	const ofd_entry *sf;

	if (ofd_seal_checks(v->r, st->sr, s->seal.raw, s->seal.rawlen, s->cert, s->cert_len,
			    v->o ? v->o->anchors : NULL, st->at, &listed, NULL) < 0) {
		add(v, st->sr, ES_SEV_INDET, "SEAL_UNCHECKED", "电子印章无法检查",
		    "the embedded seal could not be checked");
		return;
	}
	if (listed == 0)
		add(v, st->sr, ES_SEV_FAIL, "SIGNER_NOT_IN_SEAL", "签章人证书不在印章证书列表中",
		    "the signer certificate is not one of the seal's holder certificates (GB/T 38540 8.3)");
	else if (listed < 0 && s->cert && s->cert_len)
		add(v, st->sr, ES_SEV_INDET, "SIGNER_NOT_CHECKABLE", "印章未列出任何证书，无法确认签章人是否有权使用",
		    "the seal lists no certificate, so whether the signer may use it cannot be checked");
	sf = st->seal_file[0] ? ofd_pkg_find(v->p, st->seal_file) : NULL;
	if (sf && (sf->len != s->seal.rawlen || memcmp(sf->data, s->seal.raw, sf->len) != 0))
		add(v, st->sr, ES_SEV_INFO, "SEAL_FILE_DIFFERS", "印章文件与签名中的印章不同",
		    "/%.200s differs from the seal embedded in the signature (the embedded one was checked)",
		    st->seal_file);
}

/* SignedData may carry CA certificates too: the signer is the one whose key
 * verifies (issuerAndSerialNumber matching would give the same answer). */
static void pick_signed_data_cert(sig_state *st, ofd_ses *s)
{
	const unsigned char *data = s->signed_bytes ? s->signed_bytes : st->sigxml->data;
	size_t len = s->signed_bytes ? s->signed_len : st->sigxml->len, i;

	for (i = 0; i < s->ncerts; i++) {
		const unsigned char *q = s->certs[i];
		X509 *c = d2i_X509(NULL, &q, (long)s->certs_len[i]);
		EVP_PKEY *pub = c ? X509_get0_pubkey(c) : NULL;
		int ok = pub && EVP_PKEY_is_a(pub, "SM2") && es_sm2_verify(pub, s->sig, s->sig_len, data, len, NULL) == 0;

		X509_free(c);
		if (ok) {
			s->cert = s->certs[i];
			s->cert_len = s->certs_len[i];
			return;
		}
	}
}

static void check_ses(vctx *v, sig_state *st, ofd_ses *s)
{
	X509 *cert = NULL;

	snprintf(st->sr->level, sizeof(st->sr->level), "%s", s->kind == 4 ? "SES-v4" : s->kind == 1 ? "SES-v1" : "");
	if (s->property[0] && strcmp(s->property[0] == '/' ? s->property + 1 : s->property, st->se->path) != 0)
		add(v, st->sr, ES_SEV_INFO, "PROPERTY_INFO_DIFFERS", "签名属性信息与签名文件路径不一致",
		    "propertyInfo \"%.100s\" does not name this Signature.xml", s->property);
	check_data_hash(v, st, s);
	if (s->kind == 2) {
		add(v, st->sr, ES_SEV_INDET, "SIGNER_CERT_MISSING", "签名值中没有签名者证书",
		    "the signed value is a bare SM2 signature without a certificate; the signer cannot be identified");
		return;
	}
	if (s->kind == 35275)
		pick_signed_data_cert(st, s);
	if ((cert = signer_cert(v, st, s->cert, s->cert_len)) == NULL)
		return;
	check_sig_value(v, st, s, cert);
	if (s->ts)
		check_timestamp(v, st, s);
	if (s->kind == 4 || s->kind == 1)
		check_seal(v, st, s);
	check_chain(v, st, cert);
	X509_free(cert);
}

static void check_signed_value(vctx *v, sig_state *st, const xmlNode *root)
{
	char loc[OFD_MAX_NAME_LEN], path[OFD_MAX_NAME_LEN];
	const ofd_entry *e;
	ofd_ses s;

	ofd_xml_text(ofd_xml_child(root, "SignedValue"), loc, sizeof(loc));
	if (ofd_path_resolve(path, sizeof(path), st->se->path, loc) < 0 ||
	    (e = ofd_pkg_find(v->p, path)) == NULL) {
		st->intact = 0;
		add(v, st->sr, ES_SEV_FAIL, "SIGNED_VALUE_MISSING", "签名值文件缺失",
		    "the signed value file (%.200s) is missing", loc);
		return;
	}
	v->exempt[entry_index(v, e)] = 1;
	if (st->mine)
		st->mine[entry_index(v, e)] = 1;
	if (ofd_ses_parse(&s, e->data, e->len) < 0) {
		ofd_ses_clear(&s);
		add(v, st->sr, ES_SEV_INDET, "SIGNED_VALUE_UNSUPPORTED", "签名值格式无法识别",
		    "/%.200s is not a SES_Signature, GB/T 35275 SignedData or SM2 signature we can read", path);
		return;
	}
	check_ses(v, st, &s);
	ofd_ses_clear(&s);
}

/* Does this signature protect every file now in the package (apart from
 * Signatures.xml, which GB/T 38540 signers leave out)? */
static int covers_all(const vctx *v, const sig_state *st)
{
	size_t i;

	if (st->mine == NULL)
		return 0;
	for (i = 0; i < v->p->n; i++)
		if (!v->p->e[i].is_dir && !st->mine[i] && strcasecmp(v->p->e[i].name, v->sigs_path) != 0)
			return 0;
	return 1;
}

static void verify_one(vctx *v, const sig_entry *se, size_t index)
{
	sig_state st;
	xmlDocPtr x = NULL;
	xmlNode *root, *si;
	es_sig_report *sr;
	char buf[256], loc[OFD_MAX_NAME_LEN];

	memset(&st, 0, sizeof(st));
	if (es_report_add_sig(v->r, &sr, strcmp(se->type, "Sign") == 0 ? "ofd-sign" : "ofd-seal", NULL) < 0)
		return;
	st.sr = sr;
	st.se = se;
	st.index = index;
	st.intact = 1;
	st.at = v->now;
	snprintf(sr->field, sizeof(sr->field), "%s", se->id);
	st.sigxml = se->path[0] ? ofd_pkg_find(v->p, se->path) : NULL;
	if (st.sigxml == NULL) {
		add(v, sr, ES_SEV_FAIL, "SIGNATURE_XML_MISSING", "签名描述文件缺失",
		    "signature %.60s: its Signature.xml is missing", se->id);
		return;
	}
	v->exempt[entry_index(v, st.sigxml)] = 1;
	st.mine = calloc(v->p->n + 1, 1);
	if (st.mine)
		st.mine[entry_index(v, st.sigxml)] = 1;
	if (ofd_xml_parse(&x, st.sigxml->data, st.sigxml->len, NULL) < 0) {
		free(st.mine);
		add(v, sr, ES_SEV_FAIL, "SIGNATURE_XML_MALFORMED", "签名描述文件格式错误",
		    "/%.200s is not well-formed XML", se->path);
		return;
	}
	root = xmlDocGetRootElement(x);
	si = ofd_xml_child(root, "SignedInfo");
	ofd_xml_text(ofd_xml_child(si, "SignatureDateTime"), buf, sizeof(buf));
	claimed_time(sr, buf);
	ofd_xml_text(ofd_xml_child(ofd_xml_child(si, "Seal"), "BaseLoc"), loc, sizeof(loc));
	if (loc[0])
		ofd_path_resolve(st.seal_file, sizeof(st.seal_file), se->path, loc);
	check_references(v, &st, si);
	stamp_position(v, &st, si);
	check_signed_value(v, &st, root);
	sr->integrity_ok = st.intact && !st.nonstd;
	sr->covers_whole = covers_all(v, &st);
	xmlFreeDoc(x);
	free(st.mine);
}

/* ---- files no signature protects ---- */

/* Parts that change what a reader sees: document structure, pages,
 * templates, resources, annotations, fonts and images. Attachments, tags,
 * custom data and metadata do not (GB/T 33190 clauses 7.5, 15-17, 19). */
static int affects_rendering(const char *name)
{
	static const char *quiet[] = {"Attachs/", "Attachments", "Tags/", "CustomTag", "Metadata", "Extensions"};
	size_t i;

	for (i = 0; i < ES_ARRAY_LEN(quiet); i++)
		if (strstr(name, quiet[i]))
			return 0;
	return 1;
}

static void check_unprotected(vctx *v)
{
	size_t i;

	for (i = 0; i < v->p->n; i++) {
		const ofd_entry *e = &v->p->e[i];

		if (e->is_dir || v->covered[i] || v->exempt[i])
			continue;
		if (affects_rendering(e->name)) {
			add(v, NULL, ES_SEV_FAIL, "UNPROTECTED_CONTENT", "存在未受签名保护且影响显示的文件",
			    "/%.200s is not protected by any signature and can change what the document shows", e->name);
		} else {
			add(v, NULL, ES_SEV_INFO, "UNPROTECTED_FILE", "存在未受签名保护的附属文件",
			    "/%.200s (attachment/tag/metadata) is not protected by any signature", e->name);
		}
	}
}

static int verify_pkg(vctx *v, es_err *err)
{
	es_err e2 = ES_ERR_INIT;
	size_t i;
	int rc;

	v->covered = calloc(v->p->n + 1, 1);
	v->exempt = calloc(v->p->n + 1, 1);
	if (v->covered == NULL || v->exempt == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	{
		const ofd_entry *root = ofd_pkg_find(v->p, "OFD.xml");
		xmlDocPtr x = NULL;

		if ((rc = ofd_xml_parse(&x, root->data, root->len, err)) < 0)
			return ES_EFORMAT; /* not an OFD we can read at all */
		xmlFreeDoc(x);
	}
	rc = ofd_doc_load(&v->doc, v->p, &e2);
	v->have_doc = rc == 0;
	if (rc < 0)
		add(v, NULL, ES_SEV_INFO, "DOCUMENT_STRUCTURE", "文档结构无法完整解析",
		    "the document structure cannot be read fully: %.200s", e2.msg);
	if (v->have_doc && v->doc.ofd_xml_docbody_sigs[0]) {
		snprintf(v->sigs_path, sizeof(v->sigs_path), "%s", v->doc.ofd_xml_docbody_sigs);
		if ((rc = load_sig_list(v, err)) < 0)
			return rc;
	}
	for (i = 0; i < v->nsigs; i++)
		verify_one(v, &v->sigs[i], i);
	if (v->r->nsigs == 0) {
		add(v, NULL, ES_SEV_INFO, "NO_SIGNATURES", "文档没有签章", "the OFD has no signatures");
		for (i = 0; i < v->p->n; i++)
			if (v->sigs_path[0] == 0 && strstr(v->p->e[i].name, "Signatures.xml"))
				add(v, NULL, ES_SEV_INFO, "SIGNATURES_NOT_REGISTERED", "签名列表未在OFD.xml中登记",
				    "/%.200s exists but OFD.xml does not name it; its signatures were not checked",
				    v->p->e[i].name);
	}
	else
		check_unprotected(v);
	return 0;
}

int es_ofd_verify_mem(es_report *r, const unsigned char *data, size_t len,
		      const es_verify_opts *o, es_err *err)
{
	ofd_pkg *p = NULL;
	vctx v;
	int rc;

	snprintf(r->file_type, sizeof(r->file_type), "ofd");
	(void)es_sha256_hex(r->file_sha256, data, len, NULL);
	if ((rc = ofd_pkg_open_mem(&p, data, len, err)) < 0)
		return rc == ES_ENOMEM ? rc : ES_EFORMAT;
	memset(&v, 0, sizeof(v));
	v.r = r;
	v.o = o;
	v.p = p;
	v.now = o && o->now ? o->now : time(NULL);
	rc = verify_pkg(&v, err);
	es_report_finish(r);
	free(v.covered);
	free(v.exempt);
	free(v.sigs);
	ofd_doc_clear(&v.doc);
	ofd_pkg_free(p);
	return rc;
}

int es_ofd_verify(es_report *r, const char *path, const es_verify_opts *o, es_err *err)
{
	es_buf b = {0};
	int rc;

	if ((rc = es_file_read(&b, path, OFD_MAX_TOTAL_BYTES, err)) < 0)
		return rc == ES_ERANGE ? ES_EFORMAT : ES_EIO;
	rc = es_ofd_verify_mem(r, b.data, b.len, o, err);
	es_buf_free(&b, 0);
	return rc;
}
