/* Platform set-up: data directory, store, KEK, PKI.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include "core.h"
#include "util/util.h"

#define ES_DEFAULT_DATA_DIR "./eseal-data"
#define ES_DEFAULT_BASE_URL "http://127.0.0.1:8600"
#define ES_DEFAULT_AREA "110000"
#define ES_MAKER_DAYS (10 * 365)
#define ES_CRL_NEXT_UPDATE_DAYS 7

const char *es_data_dir(const char *explicit_dir)
{
	const char *env = getenv("ESEAL_DATA");

	if (explicit_dir != NULL && explicit_dir[0] != '\0')
		return explicit_dir;
	if (env != NULL && env[0] != '\0')
		return env;
	return ES_DEFAULT_DATA_DIR;
}

static int db_path(char *buf, size_t cap, const char *dir, const char *file, es_err *err)
{
	int n = snprintf(buf, cap, "%s/%s", dir, file);

	if (n < 0 || (size_t)n >= cap)
		return es_err_set(err, ES_EINVAL, "data directory path too long");
	return 0;
}

/* Remove SQLite's -wal and -shm files of the store at db. */
static void unlink_sidecars(const char *db)
{
	char side[PATH_MAX];

	if (snprintf(side, sizeof(side), "%s-wal", db) < (int)sizeof(side))
		(void)unlink(side);
	if (snprintf(side, sizeof(side), "%s-shm", db) < (int)sizeof(side))
		(void)unlink(side);
}

static const char *fam_prefix(es_alg alg)
{
	return es_alg_name(alg);
}

/* Store cert + wrapped key under name. */
static int put_pki(es_store *st, const unsigned char kek[ES_KEK_LEN], const char *name,
		   X509 *cert, EVP_PKEY *key, es_err *err)
{
	es_blob c = {0}, k = {0};
	char aad[96];
	int rc;

	snprintf(aad, sizeof(aad), "pki:%s", name);
	if ((rc = es_cert_to_der(&c.data, &c.len, cert, err)) < 0)
		goto out;
	if (key != NULL && (rc = es_key_wrap(&k.data, &k.len, key, kek, aad, err)) < 0)
		goto out;
	rc = es_store_pki_put(st, name, &c, key ? &k : NULL, err);
out:
	OPENSSL_free(c.data);
	free(k.data);
	return rc;
}

static int put_family(es_store *st, const unsigned char *kek, const es_pki_family *f, es_err *err)
{
	const char *pre = fam_prefix(f->alg);
	struct { const char *what; X509 *c; EVP_PKEY *k; } items[] = {
		{"root", f->root, f->root_key}, {"issuing", f->issuing, f->issuing_key},
		{"tsa", f->tsa, f->tsa_key}, {"ocsp", f->ocsp, f->ocsp_key},
	};
	char name[64];
	size_t i;
	int rc = 0;

	for (i = 0; i < ES_ARRAY_LEN(items) && rc == 0; i++) {
		snprintf(name, sizeof(name), "%s.%s", pre, items[i].what);
		rc = put_pki(st, kek, name, items[i].c, items[i].k, err);
	}
	return rc;
}

/* Build the whole PKI in memory and write it into st (inside a transaction). */
static int init_pki(es_store *st, const unsigned char *kek, const char *name,
		    const char *base_url, es_err *err)
{
	es_pki_family sm2 = {0}, p256 = {0};
	EVP_PKEY *maker_key = NULL;
	X509 *maker = NULL;
	char cn[192];
	es_cert_req req = {0};
	int rc;

	if ((rc = es_pki_family_create(&sm2, ES_ALG_SM2, name, base_url, err)) < 0 ||
	    (rc = es_pki_family_create(&p256, ES_ALG_P256, name, base_url, err)) < 0)
		goto out;
	if ((rc = es_key_generate(&maker_key, ES_ALG_SM2, err)) < 0)
		goto out;
	snprintf(cn, sizeof(cn), "%s Seal Maker", name);
	req.kind = ES_CERT_SEAL_MAKER;
	req.subject_key = maker_key;
	req.cn = cn;
	req.o = name;
	req.ou = "制章人";
	req.days = ES_MAKER_DAYS;
	req.base_url = base_url;
	if ((rc = es_cert_issue(&maker, &req, sm2.issuing, sm2.issuing_key, err)) < 0)
		goto out;
	if ((rc = put_family(st, kek, &sm2, err)) < 0 ||
	    (rc = put_family(st, kek, &p256, err)) < 0 ||
	    (rc = put_pki(st, kek, "maker", maker, maker_key, err)) < 0)
		goto out;
out:
	es_pki_family_clear(&sm2);
	es_pki_family_clear(&p256);
	EVP_PKEY_free(maker_key);
	X509_free(maker);
	return rc;
}

static int valid_area(const char *a)
{
	size_t i;

	if (strlen(a) != 6)
		return 0;
	for (i = 0; i < 6; i++)
		if (a[i] < '0' || a[i] > '9')
			return 0;
	return 1;
}

int es_platform_init(const char *dir, const es_init_opts *o, es_err *err)
{
	char db[PATH_MAX], tmpdb[PATH_MAX], kekpath[PATH_MAX], trust[PATH_MAX + 8];
	const char *name = o && o->name ? o->name : "eseal";
	const char *base = o && o->base_url ? o->base_url : ES_DEFAULT_BASE_URL;
	const char *area = o && o->area_code ? o->area_code : ES_DEFAULT_AREA;
	unsigned char kek[ES_KEK_LEN];
	int had_kek, rc;
	es_store *st = NULL;

	if (!valid_area(area))
		return es_err_set(err, ES_EINVAL, "area code must be 6 digits (GB/T 2260), got '%s'", area);
	if ((rc = db_path(db, sizeof(db), dir, ES_DB_FILE, err)) < 0 ||
	    (rc = db_path(tmpdb, sizeof(tmpdb), dir, ES_DB_FILE ".init", err)) < 0 ||
	    (rc = db_path(kekpath, sizeof(kekpath), dir, "master.key", err)) < 0)
		return rc;
	if (es_path_exists(db))
		return es_err_set(err, ES_EEXISTS,
			"%s is already an eseal data directory; refusing to initialise it again", dir);
	if ((rc = es_mkdir_p(dir, 0700, err)) < 0)
		return rc;
	if (chmod(dir, 0700) != 0 || access(dir, W_OK) != 0)
		return es_err_set(err, ES_EIO, "data directory %s is not writable: %s", dir, strerror(errno));
	had_kek = es_path_exists(kekpath) || getenv("ESEAL_MASTER_KEY_FILE") != NULL;
	if ((rc = es_kek_load(kek, dir, 1, err)) < 0)
		return rc;
	unlink(tmpdb);
	/* a trust file left by a store that was here before is not this one's */
	if (snprintf(trust, sizeof(trust), "%s%s", db, ES_STORE_TRUST_SUFFIX) < (int)sizeof(trust))
		(void)unlink(trust);
	if ((rc = es_store_open(&st, tmpdb, 1, err)) < 0)
		goto fail;
	if ((rc = es_store_begin(st, err)) < 0)
		goto fail;
	if ((rc = es_store_meta_put(st, "platform.name", name, strlen(name), err)) < 0 ||
	    (rc = es_store_meta_put(st, "platform.base_url", base, strlen(base), err)) < 0 ||
	    (rc = es_store_meta_put(st, "platform.area", area, strlen(area), err)) < 0 ||
	    (rc = init_pki(st, kek, name, base, err)) < 0) {
		es_store_rollback(st);
		goto fail;
	}
	if ((rc = es_store_commit(st, err)) < 0)
		goto fail;
	es_store_close(st);
	st = NULL;
	/* The WAL is checkpointed on close; only then publish the store.  Its
	 * emptied log and index (kept between processes) belong to the name
	 * it had. */
	unlink_sidecars(tmpdb);
	chmod(tmpdb, 0600);
	if (rename(tmpdb, db) != 0) {
		rc = es_err_set(err, ES_EIO, "cannot create %s: %s", db, strerror(errno));
		goto fail;
	}
	OPENSSL_cleanse(kek, sizeof(kek));
	return 0;
fail:
	es_store_close(st);
	unlink(tmpdb);
	unlink_sidecars(tmpdb);
	if (!had_kek)
		unlink(kekpath);
	OPENSSL_cleanse(kek, sizeof(kek));
	return rc;
}

void es_core_meta_str(es_platform *p, const char *key, char *buf, size_t cap)
{
	es_blob b = {0};

	buf[0] = '\0';
	if (es_store_meta_get(p->st, key, &b, NULL) == 0)
		snprintf(buf, cap, "%.*s", (int)b.len, (const char *)b.data);
	free(b.data);
}

int es_platform_open(es_platform **out, const char *dir, es_err *err)
{
	char db[PATH_MAX];
	es_platform *p;
	int rc;

	*out = NULL;
	if ((rc = db_path(db, sizeof(db), dir, ES_DB_FILE, err)) < 0)
		return rc;
	if (!es_path_exists(db))
		return es_err_set(err, ES_ENOTFOUND,
			"%s is not an eseal data directory; run 'eseal init --data %s' first", dir, dir);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	p->seal_key_ttl_s = ES_SEAL_KEY_CACHE_TTL_S;
	if ((rc = es_kek_load(p->kek, dir, 0, err)) < 0 ||
	    (rc = es_store_open(&p->st, db, 0, err)) < 0) {
		es_platform_close(p);
		return rc;
	}
	es_core_meta_str(p, "platform.name", p->name, sizeof(p->name));
	es_core_meta_str(p, "platform.base_url", p->base_url, sizeof(p->base_url));
	es_core_meta_str(p, "platform.area", p->area, sizeof(p->area));
	*out = p;
	return 0;
}

void es_platform_close(es_platform *p)
{
	int i;

	if (p == NULL)
		return;
	es_core_seal_keys_drop(p, NULL);
	for (i = 0; i < ES_FAMILIES; i++)
		es_pki_family_clear(&p->fam[i]);
	X509_free(p->maker);
	EVP_PKEY_free(p->maker_key);
	sk_X509_pop_free(p->anchors[0], X509_free);
	sk_X509_pop_free(p->anchors[1], X509_free);
	for (i = 0; i < ES_FAMILIES; i++)
		X509_CRL_free(p->crl[i]);
	es_store_close(p->st);
	OPENSSL_cleanse(p->kek, sizeof(p->kek));
	free(p);
}

void es_platform_set_client(es_platform *p, const char *client)
{
	snprintf(p->client, sizeof(p->client), "%s", client ? client : "");
}

es_store *es_platform_store(es_platform *p)
{
	return p->st;
}

int es_core_load_pki(es_platform *p, const char *name, X509 **cert, EVP_PKEY **key, es_err *err)
{
	es_blob c = {0}, k = {0};
	char aad[96];
	int rc;

	*cert = NULL;
	if (key)
		*key = NULL;
	if ((rc = es_store_pki_get(p->st, name, &c, &k, err)) < 0)
		goto out;
	if ((rc = es_cert_from_der(cert, c.data, c.len, err)) < 0)
		goto out;
	if (key != NULL) {
		snprintf(aad, sizeof(aad), "pki:%s", name);
		if ((rc = es_key_unwrap(key, k.data, k.len, p->kek, aad, err)) < 0) {
			X509_free(*cert);
			*cert = NULL;
		}
	}
out:
	free(c.data);
	free(k.data);
	return rc;
}

int es_platform_family_keys(es_platform *p, es_alg alg, unsigned keys,
			    const es_pki_family **out, es_err *err)
{
	int i = es_fam_index(alg);
	es_pki_family *f = &p->fam[i];
	const char *pre = es_alg_name(alg);
	struct { unsigned bit; const char *what; X509 **c; EVP_PKEY **k; } parts[] = {
		{ES_FAM_ROOT_KEY, "root", &f->root, &f->root_key},
		{ES_FAM_ISSUING_KEY, "issuing", &f->issuing, &f->issuing_key},
		{ES_FAM_TSA_KEY, "tsa", &f->tsa, &f->tsa_key},
		{ES_FAM_OCSP_KEY, "ocsp", &f->ocsp, &f->ocsp_key},
	};
	char name[64];
	size_t j;
	int rc;

	/* Certificates once; each private key only when a caller needs it:
	 * unwrapping (PKCS#8 decoding) dominates a one-page seal otherwise.
	 * The OCSP responder's certificate too is parsed only when asked for
	 * (its key, or ES_FAM_OCSP_CERT): a B-T signature has no use for it. */
	f->alg = alg;
	for (j = 0; j < ES_ARRAY_LEN(parts); j++) {
		int want_key = (keys & parts[j].bit) && *parts[j].k == NULL;
		if (*parts[j].c != NULL && !want_key)
			continue;
		if (parts[j].bit == ES_FAM_OCSP_KEY && !(keys & (ES_FAM_OCSP_KEY | ES_FAM_OCSP_CERT)))
			continue;
		snprintf(name, sizeof(name), "%s.%s", pre, parts[j].what);
		X509_free(*parts[j].c);
		*parts[j].c = NULL;
		if ((rc = es_core_load_pki(p, name, parts[j].c, want_key ? parts[j].k : NULL, err)) < 0)
			return rc;
	}
	*out = f;
	return 0;
}

int es_platform_family(es_platform *p, es_alg alg, const es_pki_family **out, es_err *err)
{
	return es_platform_family_keys(p, alg, ES_FAM_ALL_KEYS, out, err);
}

int es_platform_maker(es_platform *p, X509 **cert, EVP_PKEY **key, es_err *err)
{
	int rc;

	if (p->maker == NULL &&
	    (rc = es_core_load_pki(p, "maker", &p->maker, &p->maker_key, err)) < 0)
		return rc;
	*cert = p->maker;
	*key = p->maker_key;
	return 0;
}

#define CRL_STORED_HEAD 16 /* revocation generation + time made, 8 bytes each, big-endian */

/* The CRL last made for this family, kept in the store by an earlier process
 * while it is current (same revocation generation, younger than the cache
 * time): a one-shot `eseal verify` then signs no CRL.  NULL when there is none
 * to reuse.  The verifier checks its signature like any other CRL's. */
static X509_CRL *crl_stored(es_platform *p, es_alg alg, int64_t gen, time_t now, time_t *made)
{
	char key[32];
	es_blob b = {0};
	const unsigned char *q;
	X509_CRL *c = NULL;

	snprintf(key, sizeof(key), "crl.%s.cache", es_alg_name(alg));
	if (es_store_meta_get(p->st, key, &b, NULL) == 0 && b.len > CRL_STORED_HEAD &&
	    (int64_t)es_get_be(b.data, 8) == gen && now - (time_t)es_get_be(b.data + 8, 8) < ES_CRL_CACHE_SECS &&
	    now >= (time_t)es_get_be(b.data + 8, 8)) {
		q = b.data + CRL_STORED_HEAD;
		c = d2i_X509_CRL(NULL, &q, (long)(b.len - CRL_STORED_HEAD));
		if (c != NULL && q != b.data + b.len) {
			X509_CRL_free(c);
			c = NULL;
		}
		*made = (time_t)es_get_be(b.data + 8, 8);
	}
	free(b.data);
	return c;
}

/* Keep a new CRL for later processes; a store that cannot be written (a
 * read-only data directory) only loses the saving. */
static void crl_store(es_platform *p, es_alg alg, int64_t gen, time_t now, const unsigned char *der,
		      size_t len)
{
	char key[32];
	unsigned char *b = malloc(CRL_STORED_HEAD + len);

	if (b == NULL)
		return;
	es_put_be(b, (uint64_t)gen, 8);
	es_put_be(b + 8, (uint64_t)now, 8);
	memcpy(b + CRL_STORED_HEAD, der, len);
	snprintf(key, sizeof(key), "crl.%s.cache", es_alg_name(alg));
	(void)es_store_meta_put(p->st, key, b, CRL_STORED_HEAD + len, NULL);
	free(b);
}

/* The named PKI certificates as a new stack (no keys). */
static int load_certs(es_platform *p, const char *const *names, size_t n, STACK_OF(X509) **out, es_err *err)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	size_t i;
	int rc = 0;

	if (sk == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	for (i = 0; i < n && rc == 0; i++) {
		X509 *c = NULL;

		if ((rc = es_core_load_pki(p, names[i], &c, NULL, err)) == 0 && !sk_X509_push(sk, c)) {
			X509_free(c);
			rc = es_err_set(err, ES_ENOMEM, "out of memory");
		}
	}
	if (rc < 0) {
		sk_X509_pop_free(sk, X509_free);
		return rc;
	}
	*out = sk;
	return 0;
}

/* Root and issuing CA of one family, parsed once per platform. */
static int family_anchors(es_platform *p, es_alg alg, STACK_OF(X509) **out, es_err *err)
{
	char root[32], issuing[32];
	const char *names[] = {root, issuing};

	if (*out != NULL)
		return 0;
	snprintf(root, sizeof(root), "%s.root", es_alg_name(alg));
	snprintf(issuing, sizeof(issuing), "%s.issuing", es_alg_name(alg));
	return load_certs(p, names, ES_ARRAY_LEN(names), out, err);
}

int es_platform_verify_inputs(es_platform *p, unsigned fams, STACK_OF(X509) *anchors,
			      STACK_OF(X509_CRL) *crls, es_err *err)
{
	static const es_alg algs[ES_FAMILIES] = {ES_ALG_SM2, ES_ALG_P256};
	time_t now = time(NULL);
	int64_t gen = 0;
	int i, j, rc;

	if ((rc = es_store_revocation_generation(p->st, &gen, err)) < 0)
		return rc;
	for (i = 0; i < ES_FAMILIES; i++) {
		unsigned char *der = NULL;
		const unsigned char *q;
		size_t len = 0;
		time_t made;
		X509_CRL *c;
		int k = es_fam_index(algs[i]);

		if (!(fams & (1u << k)))
			continue;
		if ((rc = family_anchors(p, algs[i], &p->anchors[k], err)) < 0)
			return rc;
		for (j = 0; j < sk_X509_num(p->anchors[k]); j++) {
			X509 *a = sk_X509_value(p->anchors[k], j);

			if (!sk_X509_push(anchors, a))
				return es_err_set(err, ES_ENOMEM, "out of memory");
			X509_up_ref(a);
		}
		if (p->crl[k] == NULL || p->crl_gen[k] != gen || now - p->crl_made[k] >= ES_CRL_CACHE_SECS) {
			made = now;
			if ((c = crl_stored(p, algs[i], gen, now, &made)) == NULL) {
				made = now;
				if ((rc = es_platform_crl(p, algs[i], &der, &len, err)) < 0)
					return rc;
				q = der;
				c = d2i_X509_CRL(NULL, &q, (long)len);
				if (c != NULL)
					crl_store(p, algs[i], gen, now, der, len);
				free(der);
				if (c == NULL)
					return es_err_ssl(err, ES_ECRYPTO, "cannot read the platform's own CRL");
			}
			X509_CRL_free(p->crl[k]);
			p->crl[k] = c;
			p->crl_gen[k] = gen;
			p->crl_made[k] = made;
		}
		if (!sk_X509_CRL_push(crls, p->crl[k]))
			return es_err_set(err, ES_ENOMEM, "out of memory");
		X509_CRL_up_ref(p->crl[k]);
	}
	return 0;
}

int es_platform_anchors(es_platform *p, STACK_OF(X509) **out, es_err *err)
{
	/* The issuing CAs are anchors too: SESeal and SES_Signature carry only the
	 * end certificate, so without them no platform seal chain could be built. */
	static const char *const names[] = {"sm2.root", "p256.root", "sm2.issuing", "p256.issuing"};

	return load_certs(p, names, ES_ARRAY_LEN(names), out, err);
}

static int describe_cert(es_buf *b, const char *label, X509 *c, es_err *err)
{
	char cn[256], serial[80], nb[32], na[32];
	const ASN1_TIME *t;
	struct tm tm;

	es_cert_cn(c, cn, sizeof(cn));
	es_cert_serial_hex(c, serial, sizeof(serial));
	t = X509_get0_notBefore(c);
	ASN1_TIME_to_tm(t, &tm);
	strftime(nb, sizeof(nb), "%Y-%m-%d", &tm);
	t = X509_get0_notAfter(c);
	ASN1_TIME_to_tm(t, &tm);
	strftime(na, sizeof(na), "%Y-%m-%d", &tm);
	return es_buf_printf(b, err, "%-14s %-40s serial %s  %s .. %s\n", label, cn, serial, nb, na);
}

int es_platform_pki_describe(es_platform *p, char **out, es_err *err)
{
	es_buf b = {0};
	const es_pki_family *f;
	X509 *maker;
	EVP_PKEY *mk;
	int rc = 0, i;
	es_alg algs[] = {ES_ALG_SM2, ES_ALG_P256};

	for (i = 0; i < 2 && rc == 0; i++) {
		char lab[32];
		if ((rc = es_platform_family_keys(p, algs[i], ES_FAM_OCSP_CERT, &f, err)) < 0)
			break;
		rc = es_buf_printf(&b, err, "[%s]\n", algs[i] == ES_ALG_SM2 ? "SM2/SM3" : "ECDSA P-256/SHA-256");
		snprintf(lab, sizeof(lab), "root CA");
		if (rc == 0) rc = describe_cert(&b, lab, f->root, err);
		if (rc == 0) rc = describe_cert(&b, "  issuing CA", f->issuing, err);
		if (rc == 0) rc = describe_cert(&b, "    TSA", f->tsa, err);
		if (rc == 0) rc = describe_cert(&b, "    OCSP", f->ocsp, err);
		if (rc == 0 && algs[i] == ES_ALG_SM2 && (rc = es_platform_maker(p, &maker, &mk, err)) == 0)
			rc = describe_cert(&b, "    seal maker", maker, err);
	}
	if (rc < 0) {
		es_buf_free(&b, 0);
		return rc;
	}
	*out = (char *)b.data;
	return 0;
}

int es_platform_crl_named(es_platform *p, const char *name, unsigned char **der, size_t *len, es_err *err)
{
	const es_pki_family *f;
	es_revocation_row *rows = NULL;
	es_revoked *list = NULL;
	size_t n = 0, i;
	es_alg alg;
	int root, rc;

	if (strcmp(name, "sm2") == 0 || strcmp(name, "sm2-root") == 0)
		alg = ES_ALG_SM2;
	else if (strcmp(name, "p256") == 0 || strcmp(name, "p256-root") == 0)
		alg = ES_ALG_P256;
	else
		return es_err_set(err, ES_ENOTFOUND, "no CRL named %s (sm2, p256, sm2-root, p256-root)", name);
	root = strstr(name, "-root") != NULL;
	if ((rc = es_platform_family_keys(p, alg, root ? ES_FAM_ROOT_KEY : ES_FAM_ISSUING_KEY, &f, err)) < 0)
		return rc;
	/* The root only ever certifies the issuing CA: its CRL lists no seal. */
	if (!root && (rc = es_store_revocation_list(p->st, es_alg_name(alg), &rows, &n, err)) < 0)
		return rc;
	list = calloc(n ? n : 1, sizeof(*list));
	if (list == NULL) {
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		list[i].serial_hex = rows[i].serial_hex;
		list[i].when = rows[i].when;
		list[i].reason = rows[i].reason;
	}
	rc = es_crl_make(der, len, root ? f->root : f->issuing, root ? f->root_key : f->issuing_key,
			 list, n, ES_CRL_NEXT_UPDATE_DAYS, err);
out:
	free(list);
	ES_ROWS_FREE(rows, n, es_revocation_row_clear);
	return rc;
}

int es_platform_crl(es_platform *p, es_alg alg, unsigned char **der, size_t *len, es_err *err)
{
	return es_platform_crl_named(p, es_alg_name(alg), der, len, err);
}

int es_platform_write_crls(es_platform *p, const char *outdir, es_err *err)
{
	static const char *const names[] = {"sm2", "p256", "sm2-root", "p256-root"};
	char path[PATH_MAX];
	size_t i;
	int rc = 0;

	if ((rc = es_mkdir_p(outdir, 0755, err)) < 0)
		return rc;
	for (i = 0; i < ES_ARRAY_LEN(names) && rc == 0; i++) {
		unsigned char *der = NULL;
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/%s.crl", outdir, names[i]);
		if ((rc = es_platform_crl_named(p, names[i], &der, &len, err)) == 0)
			rc = es_file_write_atomic(path, der, len, 0644, err);
		free(der);
	}
	return rc;
}
