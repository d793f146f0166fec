/* Private interface of the PDF signature verifier (src/verify).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_VERIFY_VINT_H
#define ES_VERIFY_VINT_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "eseal/report.h"
#include "eseal/verify.h"
#include "util/util.h"

/* Hard caps on work so hostile input cannot make us hang (fuzzing). */
#define ES_PDF_MAX_FILE_LEN ((size_t)512 * 1024 * 1024)
#define ES_PDF_MAX_REVISIONS 256
#define ES_PDF_MAX_SIGS 64
#define ES_PDF_MAX_FIELDS 4096
#define ES_PDF_MAX_OBJECTS 400000
#define ES_PDF_MAX_DEPTH 48
#define ES_PDF_MAX_PAGES 20000
#define ES_PDF_MAX_CONTENTS_LEN ((size_t)1024 * 1024)

/* ---- raw lexer (lex.c): works on the file bytes, never trusts MuPDF ---- */

/** Token kinds of the raw lexer. */
typedef enum lx_kind {
	LX_EOF = 0, LX_ERR, LX_NAME, LX_INT, LX_REAL, LX_STR, LX_HEX,
	LX_DICT_OPEN, LX_DICT_CLOSE, LX_ARR_OPEN, LX_ARR_CLOSE, LX_KEYWORD
} lx_kind;

typedef struct lx_tok {
	lx_kind kind;
	size_t start, end;  /**< byte span [start, end) */
	long long ival;     /**< LX_INT value (saturated) */
} lx_tok;

/** Next token at or after *pos; advances *pos past it. */
lx_tok lx_next(const unsigned char *b, size_t len, size_t *pos);
/** Span of one complete value starting at pos (dict, array, ref, ...). 0 ok. */
int lx_value(const unsigned char *b, size_t len, size_t pos, size_t *vstart,
	     size_t *vend, int depth);
/** In the dict that opens at dict_ofs ('<<'), find key (without '/').
 * Returns the number of times the key occurs at depth 1 (value span of the
 * first), or -1 when the dict is malformed. */
int lx_dict_find(const unsigned char *b, size_t len, size_t dict_ofs,
		 const char *key, size_t *vstart, size_t *vend);
/** At ofs expect "num gen obj"; *body = offset of the first token after obj. */
int lx_obj_header(const unsigned char *b, size_t len, size_t ofs, int num,
		  size_t *body);

/** Revision layout of the file. */
typedef struct pdf_revs {
	size_t ends[ES_PDF_MAX_REVISIONS];   /**< after %%EOF + optional EOL */
	size_t eof_at[ES_PDF_MAX_REVISIONS]; /**< just after "%%EOF" */
	int n;
	int chain_len;      /**< xref sections reached by startxref + /Prev */
	int chain_ok;       /**< startxref chain parsed without error or loop */
	size_t tail_len;    /**< bytes after the last revision end */
	int tail_ws_only;   /**< tail is whitespace/NUL only */
} pdf_revs;

void pdf_revs_scan(pdf_revs *rv, const unsigned char *b, size_t len);
/** 1 when off is a revision end (after %%EOF, with or without its EOL). */
int pdf_revs_is_end(const pdf_revs *rv, size_t off);

/* ---- the file to verify (vfile.c) ---- */

/** A whole file in memory. */
typedef struct vfile {
	unsigned char *data;
	size_t len;
	void *map;          /**< mapping holding data (anonymous, or the file), or NULL */
	size_t map_len;
	es_buf generic;     /**< used instead when not a regular file */
} vfile;

/** Read path like es_file_read (same error codes), faster for large files.
 * map: map a regular file instead of reading it (es_verify_opts.map_input). */
int vfile_read(vfile *f, const char *path, size_t max_len, int map, es_err *err);
void vfile_free(vfile *f);

/* ---- digests of signed byte ranges (digest.c) ---- */

#define RH_MAX_ALGS 4

/** One pass over the file per digest algorithm, with the state saved at
 * every signature's /ByteRange gap: each signature then only hashes the
 * bytes after its /Contents, and the file digest comes out of the same pass. */
typedef struct range_hasher {
	const unsigned char *file;
	size_t len;
	size_t cut[ES_PDF_MAX_SIGS];  /**< sorted, distinct gap starts (br[1]) */
	int ncut;
	struct rh_alg {
		int type;                         /**< EVP_MD_get_type */
		EVP_MD_CTX *at[ES_PDF_MAX_SIGS];  /**< state after [0, cut[k]) */
		EVP_MD_CTX *end;                  /**< state after the whole file */
	} alg[RH_MAX_ALGS];
	int nalg;
	int async;                    /**< 1 while a thread makes alg[0] (SHA-256) */
	pthread_t thread;
} range_hasher;

void rh_init(range_hasher *h, const unsigned char *file, size_t len);
/** Announce a signature whose gap starts at cut (before the first digest). */
void rh_add_cut(range_hasher *h, size_t cut);
/** Digest of [br0, br0+br1) + [br2, br2+br3) of the file.  0 or -1. */
int rh_digest(range_hasher *h, const EVP_MD *md, const long long br[4], unsigned char *out,
	      unsigned int *outlen);
/** Digest of the whole file.  0 or -1. */
int rh_file_digest(range_hasher *h, const EVP_MD *md, unsigned char *out, unsigned int *outlen);
void rh_clear(range_hasher *h);
/** Start the SHA-256 pass on a second thread, with the states saved at
 * cuts[0..n) (the gap starts the file's bytes suggest, before the document
 * is parsed): the main thread parses and checks meanwhile.  Later
 * rh_add_cut() calls are ignored; a signature whose gap was not guessed is
 * hashed on its own (same digest, more work).  Files below RH_ASYNC_MIN_LEN
 * are hashed when asked, as before. */
#define RH_ASYNC_MIN_LEN ((size_t)1024 * 1024)
void rh_start_async(range_hasher *h, const size_t *cuts, int n);

/* ---- CMS (cms.c) ---- */

/** Data being signed: the file buffer and the byte range. */
typedef struct sig_input {
	const unsigned char *file;
	size_t file_len;
	long long br[4];
	const unsigned char *der;  /**< decoded /Contents */
	size_t der_len;
	const char *subfilter;
	int doc_ts;                /**< /Type /DocTimeStamp or ETSI.RFC3161 */
	const char *claimed_m;     /**< /M as ISO time or "" */
	range_hasher *rh;          /**< shared digests of the byte ranges; may be NULL */
} sig_input;

/** What the CMS check learnt, used for the level and the revocation step. */
typedef struct cms_out {
	int crypto_ok;       /**< CMS signature + digest verified */
	int has_tst;         /**< valid signature timestamp */
	time_t sign_time;    /**< best signing time (tst or claimed), 0 unknown */
	X509 *signer;        /**< owned (up-ref'd) */
	X509 *tsa;           /**< owned: signer of the signature timestamp, when has_tst */
	STACK_OF(X509) *certs;     /**< owned: every certificate seen */
	STACK_OF(X509_CRL) *crls;  /**< owned: CRLs from CMS */
	/* the signed message digest, compared by cms_check_digest() */
	int digest_pending;
	const EVP_MD *md;
	unsigned char want[EVP_MAX_MD_SIZE];
	unsigned int want_len;     /**< 0: no messageDigest attribute */
} cms_out;

void cms_out_clear(cms_out *c);
/** Verify one signature's CMS; fills the report (findings, signer fields).
 * Everything but the digest of the signed bytes: crypto_ok says whether the
 * rest holds until cms_check_digest() has compared it too (the digest is
 * asked for last, so that a large file is hashed on a second thread while
 * this and the trust checks run; digest.c). */
int cms_check(es_report *r, es_sig_report *s, const sig_input *in, cms_out *out,
	      es_err *err);
/** The digest of the signed byte ranges against the signed messageDigest. */
void cms_check_digest(es_report *r, es_sig_report *s, const sig_input *in, cms_out *out,
		      es_err *err);
/** Chain and revocation for the signer; dss_* from the /DSS (may be NULL). */
typedef struct dss_data {
	STACK_OF(X509) *certs;      /**< owned */
	STACK_OF(X509_CRL) *crls;   /**< owned */
	unsigned char **ocsps;      /**< owned DER OCSPResponses */
	size_t *ocsp_lens;
	size_t nocsps;
} dss_data;
void dss_data_clear(dss_data *d);
/** Chain and revocation for the signer.  *lt = 1 when the /DSS alone holds
 * revocation data for the signer certificate. */
int cms_trust(es_report *r, es_sig_report *s, cms_out *c, const es_verify_opts *o,
	      const dss_data *dss, int *lt, es_err *err);

/* ---- parsed certificates, shared by all verifications (certcache.c) ---- */

/** d2i_X509 with the same contract (advances *pp), reusing an earlier parse
 * of the same DER bytes.  Returns a new reference or NULL.  Thread-safe. */
X509 *vcert_d2i(const unsigned char **pp, long n);
/** Make cert (e.g. a trust anchor) the parse of its DER encoding. */
void vcert_remember(X509 *cert);
/** Cache lookups since start (or the last flush) that hit / missed. */
void vcert_cache_stats(unsigned long *hits, unsigned long *misses);
/** Drop every cached certificate (tests). */
void vcert_cache_flush(void);

/** es_report_add with printf-formatted English and Chinese text. */
int vfind(es_report *r, es_sig_report *s, es_severity sev, const char *code,
	  es_err *err, const char *en, const char *zh, ...);

/** es_pdf_verify on bytes in memory (fuzz target, tests).  Same contract. */
int es_pdf_verify_mem(es_report *r, const unsigned char *buf, size_t len,
		      const es_verify_opts *o, es_err *err);

#endif
