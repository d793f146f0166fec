/* Internal state of an open platform.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_CORE_H
#define ES_CORE_H

#include <limits.h>
#include "eseal/platform.h"

#define ES_DB_FILE "eseal.db"
#define ES_FAMILIES 2
/* Unwrapped seal keys kept for auto-sign requests (src/core/sign.c): a few
 * seals per platform (per server thread), for a short time only. */
#define ES_SEAL_KEY_CACHE_SLOTS 8
#define ES_SEAL_KEY_CACHE_TTL_S 30
#define ES_SEAL_CODE_CAP 32
#define ES_SEAL_KEY_AAD_CAP 96

/* One unwrapped seal key and its decoded certificate, with the stored bytes
 * they came from: a new key or certificate of the seal never matches. */
typedef struct es_seal_key_slot {
	char code[ES_SEAL_CODE_CAP];
	char aad[ES_SEAL_KEY_AAD_CAP];   /* "seal:CODE:p256" | "seal:CODE:sm2" */
	unsigned char *wrapped, *cert_der;
	size_t wrapped_len, cert_der_len;
	EVP_PKEY *key;                   /* NULL: slot free */
	X509 *cert;
	time_t expires;
} es_seal_key_slot;

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
	STACK_OF(X509) *anchors[ES_FAMILIES];
	X509_CRL *crl[ES_FAMILIES];
	int64_t crl_gen[ES_FAMILIES];
	time_t crl_made[ES_FAMILIES];
	/* auto-sign seal keys (es_core_sign); state and grants are checked
	 * before every use, so the cache only saves the unwrapping */
	es_seal_key_slot seal_keys[ES_SEAL_KEY_CACHE_SLOTS];
	int seal_key_ttl_s;
	int doc_dir_ready;   /* <data>/documents exists (server_ops.c) */
};

/* Sign r->in_path (format "pdf" or "ofd" as the store classified it; NULL:
 * look at the file) into r->out_path with the seal row s, freshly loaded by
 * the caller, which also checked that r->login may use it.  Authenticates
 * r->login first unless r->preauthenticated, then checks the seal is usable
 * (es_seal_usable); a preauthenticated (auto-sign) request reuses the seal's
 * unwrapped key for up to ES_SEAL_KEY_CACHE_TTL_S.
 * Audits a refusal ("document.sign", like es_sign_document) but leaves the
 * "ok" entry to the caller: es_core_sign_audit() inside its transaction. */
int es_core_sign(es_platform *p, const es_sign_req *r, const es_seal_row *s, const char *format,
		 es_sign_result *res, es_err *err);
/* The "document.sign" audit entry of es_sign_document(), appended without
 * anchoring; *id (may be NULL) is its entry id. */
int es_core_sign_audit(es_platform *p, const es_sign_req *r, const es_sign_result *res,
		       const char *outcome, int64_t *id, es_err *err);
/* May login sign with seal s from the console (es_sign_document)?  0 with
 * *grant_id 0 for its owner or a keeper, 0 with the id of a usable grant that
 * needs no approval (the caller takes one use of it), else ES_EPERM. */
int es_core_sign_grant(es_platform *p, const es_seal_row *s, const char *login, int64_t *grant_id,
		       es_err *err);
/* Forget the cached keys of seal code (NULL: all), wiping them. */
void es_core_seal_keys_drop(es_platform *p, const char *code);
/* How many seal keys are cached, after dropping the expired ones (tests). */
size_t es_core_seal_keys_cached(es_platform *p);

/* The anchors (root and issuing CA) and the issuing CA's current CRL of each
 * family whose bit (1 << es_fam_index(alg)) is in fams, pushed (up-ref'd)
 * onto anchors and crls.  Kept per platform: certificates parsed once, a
 * CRL rebuilt when the revocations change or it is older than an hour. */
int es_platform_verify_inputs(es_platform *p, unsigned fams, STACK_OF(X509) *anchors,
			      STACK_OF(X509_CRL) *crls, es_err *err);

/* A CRL made by the platform is reused this long (and while the revocations
 * stay as they were). */
#define ES_CRL_CACHE_SECS 3600

/* The one-shot verifier's trust file (<data>/eseal.db-trust,
 * src/core/trust_cache.c).  Read: 1 with the anchors and CRLs of every
 * family in fams pushed onto anchors and crls, when the file is intact,
 * current and has them all; else 0 and nothing pushed.  Write: from what
 * es_platform_verify_inputs() just loaded for fams, unless the revocations
 * changed meanwhile or are changing; best effort. */
int es_trust_cache_read(const char *dir, unsigned fams, STACK_OF(X509) *anchors,
			STACK_OF(X509_CRL) *crls);
void es_trust_cache_write(es_platform *p, unsigned fams);

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
/* es_core_audit() without the anchoring: for a caller that appends several
 * entries in one transaction and anchors the head after its commit
 * (es_audit_anchor_after_append).  *id (may be NULL) is the new entry's id. */
int es_core_audit_append(es_platform *p, const char *actor, const char *action, const char *object,
			 const char *details, const char *outcome, const char *client, int64_t *id,
			 es_err *err);
/* Setting from meta as string into buf ("" when missing). */
void es_core_meta_str(es_platform *p, const char *key, char *buf, size_t cap);

#endif
