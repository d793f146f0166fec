/* Digests of the signed byte ranges, sharing one pass over the file.
 *
 * Every signature covers [0, a) and [b, c) of the file (ISO 32000-2
 * §12.8.1), and the report carries the SHA-256 of the whole file: all of
 * them start with the same prefix.  The file is hashed once per digest
 * algorithm; the hash state is copied at each signature's gap start a, and
 * a signature's digest continues from that copy over [b, c) only.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <pthread.h>
#include <string.h>
#include <openssl/evp.h>
#include "vint.h"

#define DIGEST_CHUNK_LEN 65536

void rh_init(range_hasher *h, const unsigned char *file, size_t len)
{
	memset(h, 0, sizeof(*h));
	h->file = file;
	h->len = len;
}

void rh_add_cut(range_hasher *h, size_t cut)
{
	int i, j;

	if (h->nalg > 0 || cut > h->len || h->ncut >= ES_PDF_MAX_SIGS)
		return;  /* too late or out of range: rh_digest hashes directly */
	for (i = 0; i < h->ncut && h->cut[i] < cut; i++)
		;
	if (i < h->ncut && h->cut[i] == cut)
		return;
	for (j = h->ncut; j > i; j--)
		h->cut[j] = h->cut[j - 1];
	h->cut[i] = cut;
	h->ncut++;
}

static int update(EVP_MD_CTX *c, const unsigned char *p, size_t n)
{
	while (n > 0) {
		size_t step = n < DIGEST_CHUNK_LEN ? n : DIGEST_CHUNK_LEN;

		if (EVP_DigestUpdate(c, p, step) != 1)
			return -1;
		p += step;
		n -= step;
	}
	return 0;
}

/* Hash the file into a: states at every cut and at the end (a->end stays
 * NULL on failure). */
static void fill(const range_hasher *h, struct rh_alg *a, const EVP_MD *md)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t pos = 0;
	int k;

	if (c == NULL || EVP_DigestInit_ex(c, md, NULL) != 1)
		goto fail;
	for (k = 0; k < h->ncut; k++) {
		if (update(c, h->file + pos, h->cut[k] - pos) < 0)
			goto fail;
		a->at[k] = EVP_MD_CTX_new();
		if (a->at[k] == NULL || EVP_MD_CTX_copy_ex(a->at[k], c) != 1)
			goto fail;
		pos = h->cut[k];
	}
	if (update(c, h->file + pos, h->len - pos) < 0)
		goto fail;
	a->end = c;
	return;
fail:
	EVP_MD_CTX_free(c);
}

static void *async_fill(void *arg)
{
	range_hasher *h = arg;

	fill(h, &h->alg[0], EVP_sha256());
	return NULL;
}

static void join(range_hasher *h)
{
	if (h->async) {
		pthread_join(h->thread, NULL);
		h->async = 0;
	}
}

void rh_start_async(range_hasher *h, const size_t *cuts, int n)
{
	int i;

	if (h->len < RH_ASYNC_MIN_LEN || h->nalg > 0 || h->ncut > 0)
		return;
	for (i = 0; i < n; i++)
		rh_add_cut(h, cuts[i]);
	h->alg[0].type = EVP_MD_get_type(EVP_sha256());
	h->nalg = 1;
	if (pthread_create(&h->thread, NULL, async_fill, h) == 0)
		h->async = 1;
	else
		fill(h, &h->alg[0], EVP_sha256());  /* no thread: here and now */
}

/* The pass for md: states at every cut and at the end.  NULL on failure. */
static struct rh_alg *pass(range_hasher *h, const EVP_MD *md)
{
	struct rh_alg *a;
	int i;

	join(h);
	for (i = 0; i < h->nalg; i++)
		if (h->alg[i].type == EVP_MD_get_type(md))
			return h->alg[i].end != NULL ? &h->alg[i] : NULL;
	if (h->nalg >= RH_MAX_ALGS)
		return NULL;
	a = &h->alg[h->nalg++];
	a->type = EVP_MD_get_type(md);
	fill(h, a, md);
	return a->end != NULL ? a : NULL;
}

/* Without a saved state: both ranges from the start. */
static int direct(const range_hasher *h, const EVP_MD *md, const long long br[4],
		  unsigned char *out, unsigned int *outlen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c != NULL && EVP_DigestInit_ex(c, md, NULL) == 1;
	int k;

	for (k = 0; k < 2 && ok; k++)
		ok = update(c, h->file + br[2 * k], (size_t)br[2 * k + 1]) == 0;
	ok = ok && EVP_DigestFinal_ex(c, out, outlen) == 1;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

static int finish_from(const EVP_MD_CTX *from, const unsigned char *p, size_t n,
		       unsigned char *out, unsigned int *outlen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c != NULL && EVP_MD_CTX_copy_ex(c, from) == 1 && update(c, p, n) == 0 &&
		 EVP_DigestFinal_ex(c, out, outlen) == 1;

	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

int rh_digest(range_hasher *h, const EVP_MD *md, const long long br[4], unsigned char *out,
	      unsigned int *outlen)
{
	struct rh_alg *a;
	int k;

	if (br[0] < 0 || br[1] < 0 || br[2] < 0 || br[3] < 0 ||
	    (unsigned long long)br[0] + (unsigned long long)br[1] > h->len ||
	    (unsigned long long)br[2] + (unsigned long long)br[3] > h->len)
		return -1;
	for (k = 0; br[0] == 0 && k < h->ncut; k++)
		if (h->cut[k] == (size_t)br[1])
			break;
	a = br[0] == 0 && k < h->ncut ? pass(h, md) : NULL;
	if (a == NULL)
		return direct(h, md, br, out, outlen);
	return finish_from(a->at[k], h->file + br[2], (size_t)br[3], out, outlen);
}

int rh_file_digest(range_hasher *h, const EVP_MD *md, unsigned char *out, unsigned int *outlen)
{
	struct rh_alg *a = pass(h, md);
	long long whole[4] = {0, 0, 0, 0};

	whole[3] = (long long)h->len;
	if (a == NULL)
		return direct(h, md, whole, out, outlen);
	return finish_from(a->end, h->file, 0, out, outlen);
}

void rh_clear(range_hasher *h)
{
	int i, k;

	join(h);
	for (i = 0; i < h->nalg; i++) {
		for (k = 0; k < h->ncut; k++)
			EVP_MD_CTX_free(h->alg[i].at[k]);
		EVP_MD_CTX_free(h->alg[i].end);
	}
	memset(h, 0, sizeof(*h));
}
