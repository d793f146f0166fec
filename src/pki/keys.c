/* Key generation, key wrapping under the platform KEK, and the KEK file.
 *
 * Blob format (docs/keys.md): "ESK1" | nonce (12) | ciphertext | tag (16),
 * AES-256-GCM, AAD = "ESK1" || caller's aad.  Keys are wrapped as PKCS#8 DER.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include "eseal/pki.h"
#include "sigctx.h"
#include "util/util.h"

#define BLOB_MAGIC "ESK1"
#define BLOB_MAGIC_LEN 4
#define BLOB_NONCE_LEN 12
#define BLOB_TAG_LEN 16
#define BLOB_OVERHEAD (BLOB_MAGIC_LEN + BLOB_NONCE_LEN + BLOB_TAG_LEN)
#define KEK_HEX_LEN (2 * ES_KEK_LEN)
#define KEK_FILE_MAX_LEN 4096
#define KEK_FILE_NAME "master.key"
#define KEK_FILE_MODE 0600
#define DATA_DIR_MODE 0700

const char *es_alg_name(es_alg alg)
{
	switch (alg) {
	case ES_ALG_SM2: return "sm2";
	case ES_ALG_P256: return "p256";
	default: return "unknown";
	}
}

int es_key_generate(EVP_PKEY **out, es_alg alg, es_err *err)
{
	*out = NULL;
	if (alg == ES_ALG_SM2)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	else if (alg == ES_ALG_P256)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		return es_err_set(err, ES_EINVAL, "unknown key family %d; use SM2 or P-256", (int)alg);
	if (*out == NULL)
		return es_err_ssl(err, ES_ECRYPTO, "%s key generation failed", es_alg_name(alg));
	return 0;
}

/* AAD = magic || aad, fed to ctx (encrypting or decrypting). */
static int gcm_aad(EVP_CIPHER_CTX *ctx, const char *aad)
{
	int n;

	if (EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)BLOB_MAGIC, BLOB_MAGIC_LEN) != 1)
		return -1;
	if (aad != NULL && aad[0] != '\0' && strlen(aad) <= INT_MAX &&
	    EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) != 1)
		return -1;
	return 0;
}

int es_secret_seal(unsigned char **out, size_t *outlen, const unsigned char *plain,
		   size_t len, const unsigned char kek[ES_KEK_LEN], const char *aad, es_err *err)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *blob = NULL, *nonce, *ct;
	int n = 0, fin = 0, rc = 0;

	*out = NULL;
	*outlen = 0;
	if (len > (size_t)INT_MAX - BLOB_OVERHEAD || (aad != NULL && strlen(aad) > INT_MAX))
		return es_err_set(err, ES_ERANGE, "secret too large to encrypt");
	blob = malloc(len + BLOB_OVERHEAD);
	if (blob == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	memcpy(blob, BLOB_MAGIC, BLOB_MAGIC_LEN);
	nonce = blob + BLOB_MAGIC_LEN;
	ct = nonce + BLOB_NONCE_LEN;
	/* A random 96-bit nonce per blob: safe for far more than 2^32 blobs
	 * under one KEK only if the count stays below that (NIST SP 800-38D
	 * 8.3); a platform wraps thousands. */
	if ((rc = es_random(nonce, BLOB_NONCE_LEN, err)) < 0)
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, kek, nonce) != 1 ||
	    gcm_aad(ctx, aad) < 0 ||
	    (len > 0 && EVP_EncryptUpdate(ctx, ct, &n, plain, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(ctx, ct + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, BLOB_TAG_LEN, ct + len) != 1) {
		rc = es_err_ssl(err, ES_ECRYPTO, "AES-GCM encryption failed");
		goto out;
	}
	*out = blob;
	*outlen = len + BLOB_OVERHEAD;
	blob = NULL;
out:
	EVP_CIPHER_CTX_free(ctx);
	free(blob);
	return rc;
}

int es_secret_open(unsigned char **out, size_t *outlen, const unsigned char *blob,
		   size_t len, const unsigned char kek[ES_KEK_LEN], const char *aad, es_err *err)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *plain = NULL, tag[BLOB_TAG_LEN];
	const unsigned char *nonce, *ct;
	size_t ctlen;
	int n = 0, fin = 0, rc = 0;

	*out = NULL;
	*outlen = 0;
	if (len < BLOB_OVERHEAD || memcmp(blob, BLOB_MAGIC, BLOB_MAGIC_LEN) != 0)
		return es_err_set(err, ES_EFORMAT, "not an eseal encrypted blob (ESK1)");
	if (len - BLOB_OVERHEAD > (size_t)INT_MAX || (aad != NULL && strlen(aad) > INT_MAX))
		return es_err_set(err, ES_ERANGE, "encrypted blob too large");
	nonce = blob + BLOB_MAGIC_LEN;
	ct = nonce + BLOB_NONCE_LEN;
	ctlen = len - BLOB_OVERHEAD;
	memcpy(tag, ct + ctlen, BLOB_TAG_LEN);
	/* +1: malloc(0) may return NULL, and callers like a NUL after text. */
	plain = malloc(ctlen + 1);
	if (plain == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, kek, nonce) != 1 ||
	    gcm_aad(ctx, aad) < 0 ||
	    (ctlen > 0 && EVP_DecryptUpdate(ctx, plain, &n, ct, (int)ctlen) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, BLOB_TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, plain + n, &fin) != 1) {
		/* Wrong KEK, wrong owner (aad) and tampering look the same on
		 * purpose: say nothing that tells them apart. */
		ERR_clear_error();
		rc = es_err_set(err, ES_ECRYPTO,
				"cannot decrypt: wrong master key, or the data was changed or belongs elsewhere");
		goto out;
	}
	plain[ctlen] = '\0';
	*out = plain;
	*outlen = ctlen;
	plain = NULL;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (plain != NULL) {
		OPENSSL_cleanse(plain, ctlen + 1);
		free(plain);
	}
	return rc;
}

int es_key_wrap(unsigned char **out, size_t *outlen, EVP_PKEY *key,
		const unsigned char kek[ES_KEK_LEN], const char *aad, es_err *err)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *der = NULL;
	int n = 0, rc;

	*out = NULL;
	*outlen = 0;
	p8 = EVP_PKEY2PKCS8(key);
	if (p8 != NULL)
		n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	if (n <= 0) {
		rc = es_err_ssl(err, ES_ECRYPTO, "cannot encode the private key (PKCS#8)");
		goto out;
	}
	rc = es_secret_seal(out, outlen, der, (size_t)n, kek, aad, err);
out:
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)n);
	PKCS8_PRIV_KEY_INFO_free(p8); /* frees its key octets with cleanse */
	return rc;
}

/* ---- EC private keys without OSSL_DECODER ----
 *
 * OpenSSL 3.0's EVP_PKCS82PKEY() builds a decoder chain for every key it
 * reads: millions of instructions, twice per signature (seal key, TSA key).
 * Our wrapped keys are PKCS#8 (RFC 5208) holding an ECPrivateKey (RFC 5915)
 * on P-256 or the SM2 curve, so those are read here with plain DER and
 * built with EVP_PKEY_fromdata().  Anything else takes the decoder's path. */

#define DER_SEQUENCE 0x30
#define DER_INTEGER 0x02
#define DER_OCTET_STRING 0x04
#define DER_BIT_STRING 0x03
#define DER_OID 0x06
#define DER_CTX0 0xa0 /* [0] EXPLICIT */
#define DER_CTX1 0xa1 /* [1] EXPLICIT */
#define DER_HIGH_TAG 0x1f
#define DER_LONG_LEN 0x80
#define DER_MAX_LEN_OCTETS 4
#define EC_PRIVKEY_VERSION 1
#define EC_FIELD_MAX_LEN 32 /* P-256 and the SM2 curve: 256-bit fields */
#define EC_POINT_MAX_LEN (1 + 2 * EC_FIELD_MAX_LEN)

typedef struct der_tlv {
	int tag;
	const unsigned char *v;
	size_t len;
} der_tlv;

/* One TLV at *p: one-octet tags, definite lengths of at most 4 octets. */
static int der_next(der_tlv *t, const unsigned char **p, const unsigned char *end)
{
	const unsigned char *q = *p;
	size_t len, k;

	if (end - q < 2 || (q[0] & DER_HIGH_TAG) == DER_HIGH_TAG)
		return -1;
	t->tag = q[0];
	len = q[1];
	q += 2;
	if (len & DER_LONG_LEN) {
		k = len & ~(size_t)DER_LONG_LEN;
		if (k == 0 || k > DER_MAX_LEN_OCTETS || (size_t)(end - q) < k)
			return -1;
		for (len = 0; k > 0; k--)
			len = (len << 8) | *q++;
	}
	if (len > (size_t)(end - q))
		return -1;
	t->v = q;
	t->len = len;
	*p = q + len;
	return 0;
}

/* The single TLV inside an EXPLICIT tag. */
static int der_inner(der_tlv *in, const der_tlv *outer)
{
	const unsigned char *q = outer->v, *end = outer->v + outer->len;

	return der_next(in, &q, end) == 0 && q == end ? 0 : -1;
}

/* The curves we build keys on, by OID; NID_undef for any other. */
static int curve_nid(const unsigned char *oid, size_t len)
{
	static const int known[] = {NID_X9_62_prime256v1, NID_sm2};
	const ASN1_OBJECT *o;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		o = OBJ_nid2obj(known[i]);
		if (o != NULL && (size_t)OBJ_length(o) == len && memcmp(OBJ_get0_data(o), oid, len) == 0)
			return known[i];
	}
	return NID_undef;
}

/* The parts of an ECPrivateKey we use; pointers borrow the DER. */
typedef struct ec_priv_der {
	const unsigned char *priv; /**< privateKey octets */
	size_t priv_len;
	int nid;                   /**< curve of [0] parameters, NID_undef when absent */
	const unsigned char *pub;  /**< publicKey point (after the unused-bits octet) */
	size_t pub_len;            /**< 0 when absent */
} ec_priv_der;

/* SEQUENCE { INTEGER 1, OCTET STRING, [0] namedCurve OPTIONAL,
 * [1] BIT STRING OPTIONAL } (RFC 5915 3) and nothing more. */
static int ec_priv_parse(ec_priv_der *k, const unsigned char *der, size_t len)
{
	const unsigned char *p = der, *end = der + len;
	der_tlv seq, t, in;

	memset(k, 0, sizeof(*k));
	k->nid = NID_undef;
	if (der_next(&seq, &p, end) < 0 || seq.tag != DER_SEQUENCE || p != end)
		return -1;
	p = seq.v;
	end = seq.v + seq.len;
	if (der_next(&t, &p, end) < 0 || t.tag != DER_INTEGER || t.len != 1 ||
	    t.v[0] != EC_PRIVKEY_VERSION || der_next(&t, &p, end) < 0 ||
	    t.tag != DER_OCTET_STRING || t.len == 0 || t.len > EC_FIELD_MAX_LEN)
		return -1;
	k->priv = t.v;
	k->priv_len = t.len;
	if (p < end && p[0] == DER_CTX0) {
		/* explicit curve parameters are not a namedCurve: not ours */
		if (der_next(&t, &p, end) < 0 || der_inner(&in, &t) < 0 || in.tag != DER_OID ||
		    (k->nid = curve_nid(in.v, in.len)) == NID_undef)
			return -1;
	}
	if (p < end && p[0] == DER_CTX1) {
		if (der_next(&t, &p, end) < 0 || der_inner(&in, &t) < 0 || in.tag != DER_BIT_STRING ||
		    in.len < 2 || in.v[0] != 0 || in.len - 1 > EC_POINT_MAX_LEN)
			return -1;
		k->pub = in.v + 1;
		k->pub_len = in.len - 1;
	}
	return p == end ? 0 : -1;
}

/* Public point d*G, uncompressed (RFC 5915 makes publicKey optional). */
static int ec_pub_derive(unsigned char pub[EC_POINT_MAX_LEN], size_t *len, int nid,
			 const BIGNUM *d)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name_ex(NULL, NULL, nid);
	EC_POINT *pt = g != NULL ? EC_POINT_new(g) : NULL;
	int ok = pt != NULL && EC_POINT_mul(g, pt, d, NULL, NULL, NULL) == 1;

	*len = ok ? EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub,
				       EC_POINT_MAX_LEN, NULL) : 0;
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return *len > 0 ? 0 : -1;
}

/* EVP_PKEY ("SM2" for the SM2 curve, as OpenSSL's decoder makes it; "EC"
 * otherwise) from the parsed parts; NULL on any failure. */
static EVP_PKEY *ec_key_build(int nid, const ec_priv_der *k)
{
	unsigned char pub[EC_POINT_MAX_LEN];
	size_t pub_len = k->pub_len;
	BIGNUM *d = BN_secure_new();
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	if (d == NULL || BN_bin2bn(k->priv, (int)k->priv_len, d) == NULL || BN_is_zero(d))
		goto out;
	if (pub_len > 0)
		memcpy(pub, k->pub, pub_len);
	else if (ec_pub_derive(pub, &pub_len, nid, d) < 0)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, OBJ_nid2sn(nid), 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, nid == NID_sm2 ? "SM2" : "EC", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params); /* clears the secure part holding d */
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return key;
}

EVP_PKEY *es_ec_key_from_p8(const PKCS8_PRIV_KEY_INFO *p8)
{
	const ASN1_OBJECT *alg_oid = NULL;
	const X509_ALGOR *alg = NULL;
	const unsigned char *pk = NULL;
	const void *pval = NULL;
	int pklen = 0, ptype = V_ASN1_UNDEF, nid = NID_undef;
	ec_priv_der k;
	EVP_PKEY *key;

	if (PKCS8_pkey_get0(&alg_oid, &pk, &pklen, &alg, p8) != 1 ||
	    OBJ_obj2nid(alg_oid) != NID_X9_62_id_ecPublicKey || pklen <= 0 ||
	    ec_priv_parse(&k, pk, (size_t)pklen) < 0)
		return NULL;
	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	if (ptype == V_ASN1_OBJECT)
		nid = OBJ_obj2nid(pval);
	else if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)
		return NULL;
	/* The curve may be named in either place; both must then agree. */
	if (nid == NID_undef)
		nid = k.nid;
	if ((nid != NID_X9_62_prime256v1 && nid != NID_sm2) || (k.nid != NID_undef && k.nid != nid))
		return NULL;
	ERR_set_mark();
	key = ec_key_build(nid, &k);
	ERR_pop_to_mark();
	return key;
}

int es_key_unwrap(EVP_PKEY **out, const unsigned char *blob, size_t len,
		  const unsigned char kek[ES_KEK_LEN], const char *aad, es_err *err)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t n = 0;
	int rc;

	*out = NULL;
	if ((rc = es_secret_open(&der, &n, blob, len, kek, aad, err)) < 0)
		return rc;
	p = der;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)n);
	if (p8 != NULL && p == der + n && (*out = es_ec_key_from_p8(p8)) == NULL)
		*out = EVP_PKCS82PKEY(p8);
	if (*out == NULL) {
		rc = es_err_ssl(err, ES_EFORMAT, "decrypted data is not a PKCS#8 private key");
		goto out;
	}
	if (es_key_alg(*out) == 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
		rc = es_err_set(err, ES_ENOTSUP, "wrapped key is neither SM2 nor P-256");
	}
out:
	PKCS8_PRIV_KEY_INFO_free(p8);
	OPENSSL_cleanse(der, n);
	free(der);
	return rc;
}

/* ---- the KEK file ---- */

static int kek_path(char *buf, size_t cap, const char *data_dir, int *from_env, es_err *err)
{
	const char *env = getenv("ESEAL_MASTER_KEY_FILE");
	int n;

	*from_env = env != NULL && env[0] != '\0';
	if (*from_env)
		n = snprintf(buf, cap, "%s", env);
	else if (data_dir != NULL && data_dir[0] != '\0')
		n = snprintf(buf, cap, "%s/%s", data_dir, KEK_FILE_NAME);
	else
		return es_err_set(err, ES_EINVAL,
				  "no data directory and no ESEAL_MASTER_KEY_FILE; set one of them");
	if (n < 0 || (size_t)n >= cap)
		return es_err_set(err, ES_EINVAL, "master key path too long");
	return 0;
}

static int kek_parse(unsigned char kek[ES_KEK_LEN], const es_buf *b, const char *path,
		     es_err *err)
{
	size_t n = b->len;

	while (n > 0 && (b->data[n - 1] == '\n' || b->data[n - 1] == '\r' ||
			 b->data[n - 1] == ' ' || b->data[n - 1] == '\t'))
		n--;
	if (n != KEK_HEX_LEN ||
	    es_hex_decode(kek, ES_KEK_LEN, (const char *)b->data, n) != ES_KEK_LEN) {
		OPENSSL_cleanse(kek, ES_KEK_LEN);
		return es_err_set(err, ES_EFORMAT,
				  "%s must hold exactly %d hex characters (a 256-bit key)",
				  path, KEK_HEX_LEN);
	}
	return 0;
}

static int kek_read(unsigned char kek[ES_KEK_LEN], const char *path, es_err *err)
{
	es_buf b = {0};
	struct stat st;
	int rc;

	if (stat(path, &st) != 0)
		return es_err_set(err, errno == ENOENT ? ES_ENOTFOUND : ES_EIO,
				  "cannot read master key %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return es_err_set(err, ES_EINVAL, "master key %s is not a regular file", path);
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return es_err_set(err, ES_EPERM,
				  "master key %s is accessible by group or others; run chmod 600 %s",
				  path, path);
	if ((rc = es_file_read(&b, path, KEK_FILE_MAX_LEN, err)) == 0)
		rc = kek_parse(kek, &b, path, err);
	es_buf_free(&b, 1);
	return rc;
}

/* Write a fresh key to a private temp file, then link() it into place:
 * unlike rename(), link() fails when another process created the key first,
 * so two concurrent first starts cannot end up with different keys. */
static int kek_create(const char *path, int from_env, const char *data_dir, es_err *err)
{
	unsigned char raw[ES_KEK_LEN];
	char hex[KEK_HEX_LEN + 2], tmp[PATH_MAX], tag[17];
	unsigned char rnd[8];
	int n, rc;

	if (!from_env && (rc = es_mkdir_p(data_dir, DATA_DIR_MODE, err)) < 0)
		return rc;
	if ((rc = es_random(raw, sizeof(raw), err)) < 0 || (rc = es_random(rnd, sizeof(rnd), err)) < 0)
		goto out;
	es_hex_encode(hex, raw, sizeof(raw));
	hex[KEK_HEX_LEN] = '\n';
	hex[KEK_HEX_LEN + 1] = '\0';
	es_hex_encode(tag, rnd, sizeof(rnd));
	n = snprintf(tmp, sizeof(tmp), "%s.new.%s", path, tag);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		rc = es_err_set(err, ES_EINVAL, "master key path too long");
		goto out;
	}
	if ((rc = es_file_write_atomic(tmp, hex, KEK_HEX_LEN + 1, KEK_FILE_MODE, err)) < 0)
		goto out;
	if (link(tmp, path) != 0 && errno != EEXIST)
		rc = es_err_set(err, ES_EIO, "cannot create master key %s: %s", path, strerror(errno));
	unlink(tmp);
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}

int es_kek_load(unsigned char kek[ES_KEK_LEN], const char *data_dir, int create, es_err *err)
{
	char path[PATH_MAX];
	int from_env, rc;

	if ((rc = kek_path(path, sizeof(path), data_dir, &from_env, err)) < 0)
		return rc;
	rc = kek_read(kek, path, err);
	if (rc != ES_ENOTFOUND)
		return rc;
	if (!create)
		return es_err_set(err, ES_ENOTFOUND,
				  "no master key at %s; initialise the data directory, restore the key "
				  "from its backup, or point ESEAL_MASTER_KEY_FILE at it", path);
	if ((rc = kek_create(path, from_env, data_dir, err)) < 0)
		return rc;
	return kek_read(kek, path, err);
}
