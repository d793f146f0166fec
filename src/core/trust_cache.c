/* The one-shot verifier's trust file: the platform's anchors and CRLs, kept
 * beside the store (<data>/eseal.db-trust) so that `eseal verify` need not
 * open SQLite (≈ 1 ms of a 10 ms verification: the schema, the WAL index,
 * the master key, three queries).
 *
 * Freshness: the store removes the file before and after every change of
 * the revocations, holding the data directory locked meanwhile, and the
 * file is written only under a shared lock after checking that the
 * revocations are still those the CRLs were made from (src/store/sqlite.c,
 * "the verifiers' trust file").  It is used for at most ES_CRL_CACHE_SECS
 * after its oldest CRL was made, as the store's own CRL cache is.
 * Integrity: a SHA-256 of the content closes the file; anything that does
 * not parse exactly is not used (the store is read instead).  Identity: the
 * file names the store it was made from (device, inode and birth time of
 * eseal.db); a store made anew in the same directory (`eseal init` after
 * removing one) does not match, and init removes the file as well.
 *
 * Layout (integers big-endian):
 *   "ESTRUST2"  made (8: oldest CRL's time)  gen (8)  fams (4)  n (4)
 *   store device (8)  inode (8)  birth time (8: seconds, 16: + nanoseconds)
 *   n × { kind (1: 1 anchor, 2 CRL)  family index (1)  length (4)  DER }
 *   SHA-256 of everything before (32)
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "core.h"
#include "eseal/store.h"
#include "util/util.h"

#define TC_MAGIC "ESTRUST2"
#define TC_MAGIC_LEN 8
#define TC_OFF_MADE 8
#define TC_OFF_GEN 16
#define TC_OFF_FAMS 24
#define TC_OFF_N 28
#define TC_OFF_STORE 32
#define TC_STORE_ID_LEN 32
#define TC_HEAD_LEN (TC_OFF_STORE + TC_STORE_ID_LEN)
#define TC_ITEM_HEAD_LEN 6
#define TC_HASH_LEN 32
#define TC_MAX_LEN ((size_t)1024 * 1024)
#define TC_MAX_ITEMS 16
#define TC_ANCHOR 1
#define TC_CRL 2

static int trust_path(char *buf, size_t cap, const char *dir)
{
	int n = snprintf(buf, cap, "%s/%s%s", dir, ES_DB_FILE, ES_STORE_TRUST_SUFFIX);

	return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* Which store file this is: device, inode, birth time (0 where the file
 * system keeps none).  -1 when there is no store. */
static int store_id(unsigned char id[TC_STORE_ID_LEN], const char *dir)
{
	char db[PATH_MAX];
	struct statx sx;
	int n = snprintf(db, sizeof(db), "%s/%s", dir, ES_DB_FILE);

	if (n <= 0 || (size_t)n >= sizeof(db) ||
	    statx(AT_FDCWD, db, 0, STATX_INO | STATX_BTIME, &sx) != 0)
		return -1;
	es_put_be(id, ((uint64_t)sx.stx_dev_major << 32) | sx.stx_dev_minor, 8);
	es_put_be(id + 8, sx.stx_ino, 8);
	es_put_be(id + 16, (sx.stx_mask & STATX_BTIME) ? (uint64_t)sx.stx_btime.tv_sec : 0, 8);
	es_put_be(id + 24, (sx.stx_mask & STATX_BTIME) ? sx.stx_btime.tv_nsec : 0, 8);
	return 0;
}

/* Parse the items of families in fams onto a and c; 0 when all parse. */
static int read_items(const unsigned char *p, const unsigned char *end, uint32_t n, unsigned fams,
		      STACK_OF(X509) *a, STACK_OF(X509_CRL) *c)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		size_t len;
		int kind, fam;

		if ((size_t)(end - p) < TC_ITEM_HEAD_LEN)
			return -1;
		kind = p[0];
		fam = p[1];
		len = (size_t)es_get_be(p + 2, 4);
		p += TC_ITEM_HEAD_LEN;
		if (len == 0 || len > (size_t)(end - p) || fam >= ES_FAMILIES ||
		    (kind != TC_ANCHOR && kind != TC_CRL))
			return -1;
		if (fams & (1u << fam)) {
			const unsigned char *q = p;

			if (kind == TC_ANCHOR) {
				X509 *x = d2i_X509(NULL, &q, (long)len);

				if (x == NULL || q != p + len || !sk_X509_push(a, x)) {
					X509_free(x);
					return -1;
				}
			} else {
				X509_CRL *x = d2i_X509_CRL(NULL, &q, (long)len);

				if (x == NULL || q != p + len || !sk_X509_CRL_push(c, x)) {
					X509_CRL_free(x);
					return -1;
				}
			}
		}
		p += len;
	}
	return p == end ? 0 : -1;
}

int es_trust_cache_read(const char *dir, unsigned fams, STACK_OF(X509) *anchors,
			STACK_OF(X509_CRL) *crls)
{
	char path[PATH_MAX];
	unsigned char md[TC_HASH_LEN], id[TC_STORE_ID_LEN];
	es_buf b = {0};
	STACK_OF(X509) *a = NULL;
	STACK_OF(X509_CRL) *c = NULL;
	const unsigned char *end;
	time_t now = time(NULL), made;
	uint32_t n;
	int used = 0, i, na, nc;

	if (trust_path(path, sizeof(path), dir) < 0 || es_file_read(&b, path, TC_MAX_LEN, NULL) < 0 ||
	    b.len < TC_HEAD_LEN + TC_HASH_LEN)
		goto out;
	end = b.data + b.len - TC_HASH_LEN;
	if (EVP_Digest(b.data, (size_t)(end - b.data), md, NULL, EVP_sha256(), NULL) != 1 ||
	    CRYPTO_memcmp(md, end, TC_HASH_LEN) != 0 || memcmp(b.data, TC_MAGIC, TC_MAGIC_LEN) != 0)
		goto out;
	made = (time_t)es_get_be(b.data + TC_OFF_MADE, 8);
	n = (uint32_t)es_get_be(b.data + TC_OFF_N, 4);
	if (now < made || now - made >= ES_CRL_CACHE_SECS || n > TC_MAX_ITEMS ||
	    (fams & ~(unsigned)es_get_be(b.data + TC_OFF_FAMS, 4)) != 0 || store_id(id, dir) < 0 ||
	    memcmp(id, b.data + TC_OFF_STORE, TC_STORE_ID_LEN) != 0)
		goto out;
	if ((a = sk_X509_new_null()) == NULL || (c = sk_X509_CRL_new_null()) == NULL ||
	    read_items(b.data + TC_HEAD_LEN, end, n, fams, a, c) < 0 || sk_X509_CRL_num(c) == 0)
		goto out;
	na = sk_X509_num(anchors);
	nc = sk_X509_CRL_num(crls);
	for (i = 0; i < sk_X509_num(a); i++)
		if (!sk_X509_push(anchors, sk_X509_value(a, i)))
			goto undo;
	for (i = 0; i < sk_X509_CRL_num(c); i++)
		if (!sk_X509_CRL_push(crls, sk_X509_CRL_value(c, i)))
			goto undo;
	sk_X509_free(a);     /* the objects moved on */
	sk_X509_CRL_free(c);
	a = NULL;
	c = NULL;
	used = 1;
	goto out;
undo:
	/* out of memory: the caller's stacks as they were; a and c still own */
	while (sk_X509_num(anchors) > na)
		(void)sk_X509_pop(anchors);
	while (sk_X509_CRL_num(crls) > nc)
		(void)sk_X509_CRL_pop(crls);
out:
	sk_X509_pop_free(a, X509_free);
	sk_X509_CRL_pop_free(c, X509_CRL_free);
	es_buf_free(&b, 0);
	return used;
}

static int put_item(es_buf *b, int kind, int fam, const unsigned char *der, int len)
{
	unsigned char h[TC_ITEM_HEAD_LEN];

	if (len <= 0)
		return -1;
	h[0] = (unsigned char)kind;
	h[1] = (unsigned char)fam;
	es_put_be(h + 2, (uint64_t)len, 4);
	return es_buf_append(b, h, sizeof(h), NULL) < 0 || es_buf_append(b, der, (size_t)len, NULL) < 0 ? -1 : 0;
}

void es_trust_cache_write(es_platform *p, unsigned fams)
{
	unsigned char head[TC_HEAD_LEN], md[TC_HASH_LEN];
	es_buf b = {0};
	int64_t gen = 0;
	time_t made = 0;
	uint32_t n = 0;
	int k, j, fd = es_store_trust_lock_shared(p->st), ok = fd >= 0;

	/* the CRLs must still be those of the revocations as they are now */
	if (ok && es_store_revocation_generation(p->st, &gen, NULL) < 0)
		ok = 0;
	memset(head, 0, sizeof(head));
	if (ok && store_id(head + TC_OFF_STORE, p->dir) < 0)
		ok = 0;
	ok = ok && es_buf_append(&b, head, sizeof(head), NULL) == 0;
	for (k = 0; ok && k < ES_FAMILIES; k++) {
		unsigned char *der = NULL;
		int len;

		if (!(fams & (1u << k)))
			continue;
		if (p->crl[k] == NULL || p->crl_gen[k] != gen || p->anchors[k] == NULL) {
			ok = 0;
			break;
		}
		if (made == 0 || p->crl_made[k] < made)
			made = p->crl_made[k];
		for (j = 0; ok && j < sk_X509_num(p->anchors[k]); j++, n++) {
			len = i2d_X509(sk_X509_value(p->anchors[k], j), &der);
			ok = put_item(&b, TC_ANCHOR, k, der, len) == 0;
			OPENSSL_free(der);
			der = NULL;
		}
		len = i2d_X509_CRL(p->crl[k], &der);
		ok = ok && put_item(&b, TC_CRL, k, der, len) == 0;
		OPENSSL_free(der);
		n++;
	}
	if (ok && n > 0 && n <= TC_MAX_ITEMS) {
		memcpy(b.data, TC_MAGIC, TC_MAGIC_LEN);
		es_put_be(b.data + TC_OFF_MADE, (uint64_t)made, 8);
		es_put_be(b.data + TC_OFF_GEN, (uint64_t)gen, 8);
		es_put_be(b.data + TC_OFF_FAMS, fams, 4);
		es_put_be(b.data + TC_OFF_N, n, 4);
		if (EVP_Digest(b.data, b.len, md, NULL, EVP_sha256(), NULL) == 1 &&
		    es_buf_append(&b, md, sizeof(md), NULL) == 0 &&
		    es_file_write_atomic(es_store_trust_path(p->st), b.data, b.len, 0600, NULL) == 0) {
			int64_t now_gen = gen;

			/* a change that went ahead without the lock (a writer stopped
			 * too long) may have committed meanwhile: then it must go */
			if (es_store_revocation_generation(p->st, &now_gen, NULL) < 0 || now_gen != gen)
				(void)unlink(es_store_trust_path(p->st));
		}
	}
	es_store_trust_unlock(fd);
	es_buf_free(&b, 0);
}
