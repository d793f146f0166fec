/* eseal: the platform — data directory, PKI, organisations, users, seal
 * applications and seals.  This is what the CLI and the server call.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#ifndef ESEAL_PLATFORM_H
#define ESEAL_PLATFORM_H

#include <stdint.h>
#include <time.h>
#include <openssl/x509.h>
#include "eseal/err.h"
#include "eseal/report.h"
#include "eseal/store.h"
#include "eseal/pki.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct es_platform es_platform;

/** Resolve the data directory: explicit, else $ESEAL_DATA, else ./eseal-data. */
const char *es_data_dir(const char *explicit_dir);

typedef struct es_init_opts {
	int version;
	const char *name;        /**< platform name in CA subjects, default "eseal" */
	const char *base_url;    /**< CRL/OCSP URLs in certificates, default http://127.0.0.1:8600 */
	const char *area_code;   /**< 6-digit administrative area code for seal codes, default 110000 */
} es_init_opts;
#define ES_INIT_OPTS_INIT {1, NULL, NULL, NULL}

/** Create a new data dir (0700) with store, KEK and both PKI families.
 * Refuses an existing, initialised dir (ES_EEXISTS) and changes nothing. */
int es_platform_init(const char *dir, const es_init_opts *o, es_err *err);
int es_platform_open(es_platform **out, const char *dir, es_err *err);
void es_platform_close(es_platform *p);
es_store *es_platform_store(es_platform *p);

/** Print-ready description of the PKI: one line per certificate. */
int es_platform_pki_describe(es_platform *p, char **out, es_err *err);
/** Write sm2.crl, p256.crl (issuing CAs: seal certificates) and sm2-root.crl,
 * p256-root.crl (roots: the issuing CAs) as DER into outdir. */
int es_platform_write_crls(es_platform *p, const char *outdir, es_err *err);
/** CRL by its URL name: "sm2", "p256", "sm2-root", "p256-root" (DER, malloc'd). */
int es_platform_crl_named(es_platform *p, const char *name, unsigned char **der, size_t *len, es_err *err);
/** Current CRL of a family's issuing CA (DER), malloc'd. */
int es_platform_crl(es_platform *p, es_alg alg, unsigned char **der, size_t *len, es_err *err);
/** Trust anchors: both platform roots and issuing CAs (GB/T 38540 objects
 * carry only end certificates).  Free with sk_X509_pop_free(). */
int es_platform_anchors(es_platform *p, STACK_OF(X509) **out, es_err *err);
/** Borrowed family objects: all certificates and every private key (loaded on first use). */
int es_platform_family(es_platform *p, es_alg alg, const es_pki_family **out, es_err *err);
/** Keys es_platform_family_keys() can be asked for. */
#define ES_FAM_ROOT_KEY 1u
#define ES_FAM_ISSUING_KEY 2u
#define ES_FAM_TSA_KEY 4u
#define ES_FAM_OCSP_KEY 8u
#define ES_FAM_ALL_KEYS 15u
/** Not a key: the OCSP responder's certificate, parsed only when asked for
 * (implied by ES_FAM_OCSP_KEY). */
#define ES_FAM_OCSP_CERT 16u
/** Like es_platform_family() but unwraps only the keys named in `keys`; the
 * other key members may be NULL. */
int es_platform_family_keys(es_platform *p, es_alg alg, unsigned keys,
			    const es_pki_family **out, es_err *err);
int es_platform_maker(es_platform *p, X509 **cert, EVP_PKEY **key, es_err *err);

/* ---- organisations and users ---- */

/** Add an organisation; USCC checked (GB 32100).  *id set. */
int es_org_add(es_platform *p, const char *name, const char *uscc, const char *legal_rep,
	       const char *actor, int64_t *id, es_err *err);

typedef struct es_user_new {
	const char *login, *name, *id_number, *bank_card, *mobile;
	int64_t org_id;
	const char *const *roles;
	size_t nroles;
	const char *password;
} es_user_new;
/** Add a user: identity checked (built-in + $ESEAL_IDP_CMD), personal data
 * encrypted, password Argon2id. */
int es_user_add(es_platform *p, const es_user_new *u, const char *actor, int64_t *id, es_err *err);
/** Check a login's password and (if enrolled) TOTP code; lockout on repeats. */
int es_user_authenticate(es_platform *p, const char *login, const char *password,
			 const char *totp, es_err *err);
/** Valid role names. */
int es_role_valid(const char *role);

/* ---- seal applications and seals ---- */

typedef struct es_apply_req {
	const char *owner_kind;   /**< "org" or "user" */
	int64_t owner_org_id;
	const char *owner_login;
	const char *kind;         /**< company, contract, finance, invoice, legal-rep, personal */
	const char *text;         /**< seal name text / purpose; default from owner + kind */
	const char *template_name;
	const char *taxpayer_no;  /**< invoice seals; default the org's USCC */
	const char *applicant;    /**< login or NULL (operator) */
} es_apply_req;
int es_seal_apply(es_platform *p, const es_apply_req *req, int64_t *app_id, es_err *err);
/** Approve (issue the seal; *seal_code set) or reject an application. */
int es_seal_review(es_platform *p, int64_t app_id, int approve, const char *reason,
		   const char *reviewer, char seal_code[32], es_err *err);
/** Renew a seal (续期): new SM2 and P-256 key pairs, holder certificates and
 * SESeal under the same code, name and picture, valid ES_SEAL_VALID_DAYS from
 * now.  The certificates it had are kept (es_store_seal_old_certs):
 * signatures made with them stay valid, and a later revocation or
 * suspension of the seal covers them too.  For an active seal, expired or
 * not; a suspended one is resumed first, a revoked one stays revoked.
 * Audited as seal.renew. */
int es_seal_renew(es_platform *p, const char *code, const char *reason, const char *actor,
		  es_err *err);
/** revoke | suspend | resume. */
int es_seal_change_state(es_platform *p, const char *code, const char *action,
			 const char *reason, const char *actor, es_err *err);
/** Usable for signing now: active and within validity.  ES_ESTATE otherwise. */
int es_seal_usable(const es_seal_row *s, time_t now, es_err *err);
/** Render the seal's picture: fmt "png", "svg" or "pdf". *out malloc'd. */
int es_platform_seal_render(es_platform *p, const char *code, const char *fmt,
			    unsigned char **out, size_t *len, es_err *err);

/* ---- signing documents ---- */

typedef struct es_sign_req {
	int version;
	const char *seal_code;
	const char *login;          /**< the signer */
	const char *password;       /**< identity proof (意愿确认): password ... */
	const char *totp;           /**< ... and TOTP code when enrolled */
	const char *in_path, *out_path;
	int page;                   /**< 1-based; -1 last; -2 all (PDF) */
	double x_mm, y_mm;          /**< seal centre, mm from the page's top-left */
	const char *keyword;        /**< centre on this text instead */
	int occurrence;             /**< keyword: 0 every, K the K-th */
	int cross_page;             /**< 骑缝章 */
	int level;                  /**< PDF: es_pades_level, 0 = B-T */
	int certify;                /**< PDF: 0, 1 no-changes, 2 form-fill, 3 annotations */
	const char *reason, *location;
	const char *tsa_url;        /**< external RFC 3161 TSA; NULL = the platform's */
	int ofd_type_sign;          /**< OFD: 1 = Type="Sign" (电子签名) */
	const char *client;         /**< for the audit log, e.g. "cli" or an IP */
	int preauthenticated;       /**< consent proven another way (auto-sign grant via API token, or an
	                                 earlier signature of the same request): skip password/TOTP */
	int cache_key;              /**< server, auto-sign: the seal's unwrapped key may be kept briefly */
} es_sign_req;
#define ES_SIGN_REQ_INIT {1, NULL, NULL, NULL, NULL, NULL, NULL, 1, 0, 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0, 0}
#define ES_SIGN_REQ_PREAUTHENTICATED 1

#define ES_SIGN_MAX_PLACEMENTS 64
typedef struct es_sign_result {
	char format[8];             /**< "pdf" or "ofd" */
	size_t nplacements;
	struct { int page; double x_mm, y_mm, w_mm, h_mm; } placements[ES_SIGN_MAX_PLACEMENTS];
	char sha256_before[65], sha256_after[65];
} es_sign_result;

/** Seal a PDF or OFD (detected by content).  Order: authenticate the signer
 * (password/TOTP) → check authorisation (owner, keeper, or a grant without
 * approval, which spends one use; given back when signing fails) and seal
 * state → unwrap the key → sign → audit.  Nothing is written on error.
 * res->sha256_before/after are the input's and output's SHA-256. */
int es_sign_document(es_platform *p, const es_sign_req *r, es_sign_result *res, es_err *err);
/** May login use the seal?  (owner, or keeper/admin of the owning org) */
int es_seal_authorised(es_platform *p, const es_seal_row *s, const char *login, es_err *err);
/** Render page N of a PDF or OFD to PNG. */
int es_render_page(const char *path, int page, int dpi, unsigned char **png, size_t *len, es_err *err);

/* ---- verification ---- */

/** Verify a file by content (seal DER, PDF, OFD) against the platform's
 * roots (when p != NULL) plus extra anchors. */
int es_verify_path(es_report *r, es_platform *p, const char *path,
		   STACK_OF(X509) *extra_anchors, es_err *err);
/** es_verify_path() for a one-shot command with data directory dir (NULL,
 * or a directory that is not one: no platform roots).  The anchors and CRLs
 * come from the directory's trust file while it is current (written by an
 * earlier verification, removed by every change of the revocations, at
 * most an hour old), else from its store, which the file is then refreshed
 * from: no SQLite is opened in the common case. */
int es_verify_path_in(es_report *r, const char *dir, const char *path,
		      STACK_OF(X509) *extra_anchors, unsigned flags, es_err *err);
/** es_verify_path_in() flag: map the file instead of reading it
 * (es_verify_opts.map_input; the caller handles SIGBUS). */
#define ES_VERIFY_MAP_INPUT 1u
/** es_verify_path() on bytes in memory (an upload): nothing is written to disk. */
int es_verify_mem(es_report *r, es_platform *p, const unsigned char *data, size_t len,
		  STACK_OF(X509) *extra_anchors, es_err *err);

/* ---- audit ---- */
/** Client address recorded by es_audit() from now on (the server sets it per request). */
void es_platform_set_client(es_platform *p, const char *client);
#define ES_PLATFORM_SET_CLIENT 1
int es_audit(es_platform *p, const char *actor, const char *action, const char *object,
	     const char *details, const char *outcome, es_err *err);
/** Walk the chain; *bad_id = first bad entry id or 0 when intact. */
int es_audit_verify(es_platform *p, int64_t *bad_id, size_t *count, char *why, size_t why_cap, es_err *err);

#ifdef __cplusplus
}
#endif
#endif
