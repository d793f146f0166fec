/* Parsed certificates by their DER bytes, shared by every verification in
 * the process.
 *
 * OpenSSL 3.0 decodes a certificate's public key through the OSSL_DECODER
 * framework while parsing it (d2i_X509 builds a decoder chain each time,
 * ≈ 1.4 M instructions), and a PAdES signature carries the same CA and TSA
 * certificates in its CMS, in its timestamp token and in the /DSS.  The same
 * bytes always give the same certificate (RFC 5280 DER is one encoding), so
 * an earlier parse is reused; certificates are reference-counted and only
 * read after parsing, so sharing them between threads is safe.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>
#include "vint.h"

#define VCERT_SLOTS 64
#define FNV64_OFFSET 14695981039346656037ULL
#define FNV64_PRIME 1099511628211ULL

typedef struct vcert_slot {
	uint64_t hash;
	unsigned char *der;
	size_t len;
	X509 *cert;
	unsigned long used;   /* tick of the last hit: the oldest is replaced */
} vcert_slot;

static vcert_slot slots[VCERT_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long tick, n_hits, n_misses;

static uint64_t der_hash(const unsigned char *d, size_t n)
{
	uint64_t h = FNV64_OFFSET;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ d[i]) * FNV64_PRIME;
	return h;
}

/* Slot holding these bytes, or NULL.  Caller holds the lock. */
static vcert_slot *find_locked(uint64_t h, const unsigned char *der, size_t len)
{
	int i;

	for (i = 0; i < VCERT_SLOTS; i++)
		if (slots[i].cert != NULL && slots[i].hash == h && slots[i].len == len &&
		    memcmp(slots[i].der, der, len) == 0)
			return &slots[i];
	return NULL;
}

/* Keep cert (up-ref'd) under der unless the bytes are there already.
 * Caller holds the lock.  Failing to cache is harmless. */
static void insert_locked(uint64_t h, const unsigned char *der, size_t len, X509 *cert)
{
	vcert_slot *s = &slots[0];
	unsigned char *copy;
	int i;

	if (find_locked(h, der, len) != NULL)
		return;
	for (i = 0; i < VCERT_SLOTS; i++) {
		if (slots[i].cert == NULL) {
			s = &slots[i];
			break;
		}
		if (slots[i].used < s->used)
			s = &slots[i];
	}
	copy = malloc(len ? len : 1);
	if (copy == NULL || X509_up_ref(cert) != 1) {
		free(copy);
		return;
	}
	memcpy(copy, der, len);
	X509_free(s->cert);
	free(s->der);
	s->hash = h;
	s->der = copy;
	s->len = len;
	s->cert = cert;
	s->used = ++tick;
}

/* Length of the definite-length DER element at d (header + content), or 0
 * when it is malformed or BER indefinite (those are parsed without cache). */
static size_t element_len(const unsigned char *d, long n)
{
	const unsigned char *p = d;
	long clen = 0;
	int tag, cls, ret = ASN1_get_object(&p, &clen, &tag, &cls, n);

	if ((ret & 0x80) || (ret & 1))
		return 0;
	return (size_t)(p - d) + (size_t)clen;
}

X509 *vcert_d2i(const unsigned char **pp, long n)
{
	size_t len = n > 0 ? element_len(*pp, n) : 0;
	const unsigned char *p = *pp;
	vcert_slot *s;
	uint64_t h;
	X509 *c;

	if (len == 0)
		return d2i_X509(NULL, pp, n);
	h = der_hash(*pp, len);
	pthread_mutex_lock(&cache_lock);
	s = find_locked(h, *pp, len);
	c = s != NULL && X509_up_ref(s->cert) == 1 ? s->cert : NULL;
	if (c != NULL) {
		s->used = ++tick;
		n_hits++;
	} else {
		n_misses++;
	}
	pthread_mutex_unlock(&cache_lock);
	if (c != NULL) {
		*pp += len;
		return c;
	}
	/* parse outside the lock: it is the slow part */
	c = d2i_X509(NULL, &p, (long)len);
	if (c == NULL || (size_t)(p - *pp) != len) {
		/* what d2i_X509 on the whole input does, error queue included */
		X509_free(c);
		return d2i_X509(NULL, pp, n);
	}
	pthread_mutex_lock(&cache_lock);
	insert_locked(h, *pp, len, c);
	pthread_mutex_unlock(&cache_lock);
	*pp += len;
	return c;
}

void vcert_remember(X509 *cert)
{
	unsigned char *der = NULL;
	int i, len, known = 0;

	if (cert == NULL)
		return;
	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < VCERT_SLOTS && !known; i++)
		known = slots[i].cert == cert;
	pthread_mutex_unlock(&cache_lock);
	if (known)
		return;
	len = i2d_X509(cert, &der);
	if (len <= 0) {
		OPENSSL_free(der);
		return;
	}
	pthread_mutex_lock(&cache_lock);
	insert_locked(der_hash(der, (size_t)len), der, (size_t)len, cert);
	pthread_mutex_unlock(&cache_lock);
	OPENSSL_free(der);
}

void vcert_cache_stats(unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&cache_lock);
	*hits = n_hits;
	*misses = n_misses;
	pthread_mutex_unlock(&cache_lock);
}

void vcert_cache_flush(void)
{
	int i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < VCERT_SLOTS; i++) {
		X509_free(slots[i].cert);
		free(slots[i].der);
		memset(&slots[i], 0, sizeof(slots[i]));
	}
	n_hits = n_misses = 0;
	pthread_mutex_unlock(&cache_lock);
}
