/* Certificate names, SM2-aware signature checks and chain building.
 *
 * OpenSSL 3.0 verifies an SM3withSM2 certificate signature only when the
 * certificate carries the SM2 distinguishing identifier (GM/T 0009 default
 * "1234567812345678"); X509_verify_cert() does not set one, so the chain is
 * walked here by hand: issuer name (and AKID/keyUsage via X509_check_issued),
 * signature, validity and basicConstraints at every step.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <pthread.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "eseal/pki.h"
#include "sigctx.h"

/* A path longer than this is not something a seal platform issues. */
#define CHAIN_MAX_DEPTH 8
/* Certificate signatures known to verify (see sig_memo_*). */
#define SIG_MEMO_SLOTS 256

static void name_entry(const X509 *c, int nid, char *buf, size_t cap)
{
	const X509_NAME *name;
	const X509_NAME_ENTRY *e;
	unsigned char *utf8 = NULL;
	int idx, len;
	size_t n;

	if (cap == 0)
		return;
	buf[0] = '\0';
	if (c == NULL)
		return;
	name = X509_get_subject_name(c);
	idx = X509_NAME_get_index_by_NID(name, nid, -1);
	if (idx < 0)
		return;
	e = X509_NAME_get_entry(name, idx);
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
	if (len < 0)
		return;
	n = (size_t)len < cap - 1 ? (size_t)len : cap - 1;
	/* cut between characters: back off over UTF-8 continuation bytes */
	while (n > 0 && n < (size_t)len && (utf8[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, utf8, n);
	buf[n] = '\0';
	OPENSSL_free(utf8);
}

void es_cert_cn(const X509 *c, char *buf, size_t cap)
{
	name_entry(c, NID_commonName, buf, cap);
}

void es_cert_o(const X509 *c, char *buf, size_t cap)
{
	name_entry(c, NID_organizationName, buf, cap);
}

void es_cert_serial_hex(const X509 *c, char *buf, size_t cap)
{
	BIGNUM *bn = NULL;
	char *hex = NULL;

	if (cap == 0)
		return;
	buf[0] = '\0';
	if (c == NULL)
		return;
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL);
	if (bn != NULL)
		hex = BN_bn2hex(bn);
	if (hex != NULL)
		snprintf(buf, cap, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
}

/* Positive results of es_cert_check_signature, process-wide.  The same
 * seal, TSA and CA certificates come back in every document a server
 * verifies and in every signature of one document; a signature check
 * (ECDSA ≈ 0.9 M, SM2 ≈ 4 M instructions) is done once per pair. */
static unsigned char sig_memo_slots[SIG_MEMO_SLOTS][ES_SIG_MEMO_KEY_LEN];
static es_sig_memo sig_memo = ES_SIG_MEMO_INIT(sig_memo_slots);

static int sig_memo_key(unsigned char key[ES_SIG_MEMO_KEY_LEN], X509 *cert, X509 *issuer)
{
	unsigned char md[32];
	unsigned int n = 0;

	if (X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != sizeof(md))
		return -1;
	return es_sig_memo_key(key, md, issuer);
}

static int is_sm2_signed(const X509 *cert)
{
	return X509_get_signature_nid(cert) == NID_SM2_with_SM3;
}

/* A private copy of an SM3withSM2-signed cert carrying the default SM2 id:
 * setting the id on the caller's object would race when it is shared. */
static X509 *sm2_copy_with_id(X509 *cert)
{
	X509 *copy = X509_dup(cert);
	ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();

	if (copy == NULL || id == NULL ||
	    ASN1_OCTET_STRING_set(id, (const unsigned char *)ES_SM2_DEFAULT_ID,
				  (int)strlen(ES_SM2_DEFAULT_ID)) != 1) {
		X509_free(copy);
		ASN1_OCTET_STRING_free(id);
		return NULL;
	}
	/* GM/T 0009: ZA uses the default id unless the profile says otherwise. */
	X509_set0_distinguishing_id(copy, id); /* copy owns id now */
	return copy;
}

int es_cert_check_signature(X509 *cert, X509 *issuer, es_err *err)
{
	unsigned char key[ES_SIG_MEMO_KEY_LEN];
	EVP_PKEY *pub;
	X509 *copy = NULL;
	int ok, memo;

	if (cert == NULL || issuer == NULL)
		return es_err_set(err, ES_EINVAL, "no certificate or issuer to check");
	pub = X509_get0_pubkey(issuer);
	if (pub == NULL)
		return es_err_ssl(err, ES_EFORMAT, "issuer public key is unreadable");
	memo = sig_memo_key(key, cert, issuer) == 0;
	if (memo && es_sig_memo_known(&sig_memo, key))
		return 0;
	if (is_sm2_signed(cert)) {
		copy = sm2_copy_with_id(cert);
		if (copy == NULL)
			return es_err_ssl(err, ES_ENOMEM, "cannot copy the certificate");
	}
	ok = X509_verify(copy != NULL ? copy : cert, pub);
	X509_free(copy);
	if (ok == 1 && memo)
		es_sig_memo_add(&sig_memo, key);
	if (ok == 1)
		return 0;
	if (ok == 0)
		return es_err_ssl(err, ES_EVERIFY,
			"certificate signature does not verify with the issuer's key");
	return es_err_ssl(err, ES_ECRYPTO,
		"cannot check the certificate signature (unsupported algorithm?)");
}

/* 1 when cert is valid at t, 0 when expired / not yet valid or unreadable. */
static int valid_at(const X509 *cert, time_t t)
{
	int nb = ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert), t);
	int na = ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert), t);

	return nb != -2 && na != -2 && nb <= 0 && na >= 0;
}

static int in_stack(STACK_OF(X509) *sk, X509 *c)
{
	int i;

	for (i = 0; i < sk_X509_num(sk); i++)
		if (X509_cmp(sk_X509_value(sk, i), c) == 0)
			return 1;
	return 0;
}

/* Result of looking for the issuer of cur in one stack. */
typedef enum issuer_find {
	FOUND_NONE = 0,   /* no candidate names cur's issuer */
	FOUND_OK,         /* candidate with a good signature: *out */
	FOUND_BAD_SIG     /* candidates exist, none signed cur */
} issuer_find;

static issuer_find find_issuer(X509 **out, X509 *cur, STACK_OF(X509) *sk)
{
	issuer_find res = FOUND_NONE;
	int i;

	*out = NULL;
	for (i = 0; i < sk_X509_num(sk); i++) {
		X509 *cand = sk_X509_value(sk, i);

		if (X509_cmp(cand, cur) == 0)
			continue;
		/* Name match, AKID/SKID and keyUsage keyCertSign when present. */
		if (X509_check_issued(cand, cur) != X509_V_OK)
			continue;
		/* RFC 5280 4.2.1.9: only a CA may issue; v1 self-signed roots count. */
		if (X509_check_ca(cand) == 0)
			continue;
		if (es_cert_check_signature(cur, cand, NULL) == 0) {
			*out = cand;
			return FOUND_OK;
		}
		res = FOUND_BAD_SIG;
	}
	return res;
}

int es_chain_check(es_chain_status *out, X509 *leaf, STACK_OF(X509) *extra,
		   STACK_OF(X509) *anchors, time_t at, es_err *err)
{
	X509 *cur = leaf, *next = NULL;
	int expired = 0, depth;
	issuer_find f;

	*out = ES_CHAIN_UNTRUSTED;
	if (leaf == NULL)
		return es_err_set(err, ES_EINVAL, "no certificate to check");
	if (at == 0)
		at = time(NULL);
	ERR_clear_error();
	for (depth = 0; depth < CHAIN_MAX_DEPTH; depth++) {
		if (!valid_at(cur, at))
			expired = 1;
		if (in_stack(anchors, cur)) {
			*out = expired ? ES_CHAIN_EXPIRED : ES_CHAIN_OK;
			return 0;
		}
		f = find_issuer(&next, cur, anchors);
		if (f != FOUND_OK) {
			issuer_find g = find_issuer(&next, cur, extra);

			if (g != FOUND_NONE)
				f = g;
		}
		if (f == FOUND_BAD_SIG) {
			*out = ES_CHAIN_BAD_SIGNATURE;
			return 0;
		}
		if (f == FOUND_NONE)
			return 0; /* UNTRUSTED: path ends before an anchor */
		cur = next;
	}
	return 0; /* too long or a loop through extra: UNTRUSTED */
}
