/* eseal: PDF signing (PAdES baseline, ETSI EN 319 142-1) with a visible seal.
 *
 * es_pdf_sign() appends an incremental update to a PDF (the original bytes
 * stay unchanged in front) holding a signature field, one or more widgets whose
 * appearance is the seal's vector drawing, and a CAdES-detached CMS
 * (/SubFilter /ETSI.CAdES.detached, ECDSA P-256 / SHA-256).  B-LT adds a /DSS
 * update, B-LTA a document timestamp after that.  docs/pdf-signing.md lists
 * every object written.
 *
 * Coordinates are millimetres from the top-left corner of the page as a
 * reader displays it (after /CropBox, /Rotate and /UserUnit).  Pages are
 * numbered from 1.
 *
 * Thread-safety: every call uses its own MuPDF context; calls on different
 * files may run in parallel.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#ifndef ESEAL_PDF_H
#define ESEAL_PDF_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "eseal/err.h"
#include "eseal/pki.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Special values of es_pdf_sign_opts.page. */
enum { ES_PDF_PAGE_LAST = -1, ES_PDF_PAGE_ALL = -2 };

/** PAdES baseline levels (ETSI EN 319 142-1 §6). */
typedef enum {
	ES_PADES_B_B = 1, /**< CMS with signed attributes only */
	ES_PADES_B_T,     /**< + RFC 3161 signature timestamp (unsigned attribute) */
	ES_PADES_B_LT,    /**< + /DSS with certificates, CRLs, OCSP responses */
	ES_PADES_B_LTA    /**< + document timestamp (/ETSI.RFC3161) */
} es_pades_level;

/** Signing options; start from ES_PDF_SIGN_OPTS_INIT. */
typedef struct es_pdf_sign_opts {
	int version;         /**< 1 */
	int page;            /**< 1..n, ES_PDF_PAGE_LAST or ES_PDF_PAGE_ALL (a widget on every page);
	                          ignored with keyword (every page is searched) and cross_page */
	double x_mm, y_mm;   /**< seal centre, mm from the displayed top-left corner */
	const char *keyword; /**< UTF-8: centre the seal on this text instead of x/y */
	int occurrence;      /**< with keyword: 0 = every occurrence, K = the K-th (document order) */
	int cross_page;      /**< 骑缝章: seal cut in N vertical strips (N = page count); strip i on
	                          page i at the right edge, centred at y_mm (< 0: mid-page) */
	const char *appearance; /**< PDF content stream painting the seal in a box of
	                             width x height pt, origin bottom-left (es_picture_pdf_stream) */
	size_t appearance_len;
	double width_mm, height_mm; /**< seal size (real size on paper) */
	EVP_PKEY *key;       /**< P-256 private key of the signer */
	X509 *cert;          /**< signer certificate */
	STACK_OF(X509) *chain; /**< issuing CA [, root]; embedded in the CMS (may be NULL) */
	es_pades_level level;  /**< default ES_PADES_B_T */
	int certify;         /**< 0 approval; 1 certify no changes, 2 form fill + signing,
	                          3 + annotations (DocMDP /P); only for a document without signatures */
	const char *reason, *location, *name, *contact; /**< UTF-8, may be NULL */
	es_tsa_fn tsa;       /**< timestamp source, required from B-T up; called once per stamp,
	                          plus once per signature for a dry run that sizes /Contents when
	                          tsa_reserve is 0; *token must be malloc'd (es_tsa_stamp,
	                          es_tsa_fetch) and is freed with free() */
	void *tsa_ctx;
	const unsigned char *const *crls; /**< B-LT: DER CRLs for the DSS */
	const size_t *crl_lens;
	size_t ncrls;
	const unsigned char *const *ocsps; /**< B-LT: DER OCSP responses for the DSS */
	const size_t *ocsp_lens;
	size_t nocsps;
	STACK_OF(X509) *dss_certs; /**< B-LT: extra certificates (TSA chain ...) */
	size_t tsa_reserve;  /**< bytes to reserve for a timestamp token from tsa: when non-zero,
	                          /Contents is sized without calling tsa (its tokens must not be
	                          longer; es_tsa_token_max_len() gives this for es_tsa_stamp);
	                          0: a dry run asks tsa (external TSAs).  A token that does not
	                          fit is not fatal: the update is rebuilt larger and stamped again */
} es_pdf_sign_opts;

#define ES_PDF_SIGN_OPTS_INIT                                                  \
	{1, 1, 0, 0, NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL, NULL, ES_PADES_B_T, \
	 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, 0}

/** Where one widget landed: page (1-based) and box in displayed mm (x, y = top-left). */
typedef struct es_pdf_placement {
	int page;
	double x_mm, y_mm, w_mm, h_mm;
} es_pdf_placement;

#define ES_PDF_MAX_PLACEMENTS 64

typedef struct es_pdf_sign_result {
	char field[64];             /**< name (/T) of the new signature field */
	size_t nplacements;
	es_pdf_placement placements[ES_PDF_MAX_PLACEMENTS];
	size_t cms_len;             /**< DER length of the CMS written */
	size_t contents_reserved;   /**< bytes reserved in /Contents (>= cms_len) */
	char in_sha256[65];         /**< SHA-256 (lower-case hex) of the input bytes signed over */
	char out_sha256[65];        /**< SHA-256 of the output file as written; both computed
	                                 while copying, so callers need not read the files again */
} es_pdf_sign_result;

/** Seal a PDF.  Writes out_path atomically (temp file in its directory, fsync,
 * rename); in_path == out_path is allowed.  Nothing is written on error.
 * @param res may be NULL.
 * @return 0; ES_EINVAL bad options; ES_ENOTFOUND keyword not found;
 *   ES_ENOTSUP encrypted input; ES_EPDF / ES_EFORMAT unreadable input;
 *   ES_ESTATE certify asked on a signed document; ES_EPERM the document is
 *   certified with no changes allowed; ES_ERANGE too many widgets;
 *   ES_ECRYPTO / ES_ENET signing or timestamp failure; ES_EIO. */
int es_pdf_sign(const char *in_path, const char *out_path, const es_pdf_sign_opts *o,
		es_pdf_sign_result *res, es_err *err);

/** Number of pages. */
int es_pdf_page_count(int *out, const char *path, es_err *err);
/** Page size as displayed (after /CropBox, /Rotate, /UserUnit), in mm. */
int es_pdf_page_size_mm(double *w, double *h, const char *path, int page, es_err *err);
/** Render one page to PNG (RGB, no alpha) at dpi; *png malloc'd, free(). */
int es_pdf_render_page(unsigned char **png, size_t *len, const char *path, int page,
		       int dpi, es_err *err);

#ifdef __cplusplus
}
#endif
#endif
