/* Signature checks known to have passed, process-wide (sigctx.h).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "sigctx.h"

#define HALF (ES_SIG_MEMO_KEY_LEN / 2)

int es_sig_memo_key(unsigned char key[ES_SIG_MEMO_KEY_LEN], const unsigned char object_sha256[32],
		    X509 *issuer)
{
	unsigned char *spki = NULL;
	unsigned int n = 0;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
	int ok = len > 0 && EVP_Digest(spki, (size_t)len, key + HALF, &n, EVP_sha256(), NULL) == 1 && n == HALF;

	OPENSSL_free(spki);
	if (!ok)
		return -1;
	memcpy(key, object_sha256, HALF);
	return 0;
}

int es_sig_memo_known(es_sig_memo *m, const unsigned char key[ES_SIG_MEMO_KEY_LEN])
{
	int i, hit = 0;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->n && !hit; i++)
		hit = CRYPTO_memcmp(m->slot[i], key, ES_SIG_MEMO_KEY_LEN) == 0;
	pthread_mutex_unlock(&m->lock);
	return hit;
}

void es_sig_memo_add(es_sig_memo *m, const unsigned char key[ES_SIG_MEMO_KEY_LEN])
{
	pthread_mutex_lock(&m->lock);
	memcpy(m->slot[m->next], key, ES_SIG_MEMO_KEY_LEN);
	m->next = (m->next + 1) % m->cap;
	if (m->n < m->cap)
		m->n++;
	pthread_mutex_unlock(&m->lock);
}
