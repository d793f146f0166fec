/* Internal state of an open platform.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_CORE_H
#define ES_CORE_H

#include <limits.h>
#include "eseal/platform.h"

#define ES_DB_FILE "eseal.db"
#define ES_FAMILIES 2

struct es_platform {
	char dir[PATH_MAX];
	es_store *st;
	unsigned char kek[ES_KEK_LEN];
	es_pki_family fam[ES_FAMILIES];
	X509 *maker;
	EVP_PKEY *maker_key;
	char name[128];
	char base_url[256];
	char area[8];
	char client[64];     /* es_platform_set_client(): recorded by es_audit() */
	/* verification inputs, reused while valid (es_platform_verify_inputs) */
	STACK_OF(X509) *anchors;
	X509_CRL *crl[ES_FAMILIES];
	int64_t crl_gen[ES_FAMILIES];
	time_t crl_made[ES_FAMILIES];
};

/* Anchors and the issuing CAs' current CRLs for verification; borrowed,
 * rebuilt when the revocations change or the CRL is older than an hour. */
int es_platform_verify_inputs(es_platform *p, STACK_OF(X509) **anchors,
			      X509_CRL *crls[ES_FAMILIES], es_err *err);

/* Index of a family in fam[]. */
static inline int es_fam_index(es_alg alg) { return alg == ES_ALG_SM2 ? 0 : 1; }

/* Load a PKI object (cert + optionally its unwrapped key) from the store. */
int es_core_load_pki(es_platform *p, const char *name, X509 **cert, EVP_PKEY **key, es_err *err);
/* The seal's vector picture, drawn from its stored text and kind (src/core/seals.c). */
struct es_picture;
int es_core_seal_picture(const es_seal_row *s, struct es_picture **out, es_err *err);
/* Append an audit entry with an explicit client address, then anchor the
 * head when due (es_audit uses the platform's client; the server passes its own). */
int es_core_audit(es_platform *p, const char *actor, const char *action, const char *object,
		  const char *details, const char *outcome, const char *client, es_err *err);
/* Setting from meta as string into buf ("" when missing). */
void es_core_meta_str(es_platform *p, const char *key, char *buf, size_t cap);

#endif
