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
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
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
	if (p8 != NULL && p == der + n)
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
