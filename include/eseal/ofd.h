/* eseal: OFD (GB/T 33190) sealing, verification and rendering with
 * GB/T 38540 SES_Signature (SM2/SM3).
 *
 * Packages are untrusted: entry names, sizes, XML and paths are checked
 * (docs/ofd.md lists the limits).  Inputs are never modified; outputs are
 * written atomically (temp file in the output directory, fsync, rename).
 * Functions are thread-safe for distinct arguments.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#ifndef ESEAL_OFD_H
#define ESEAL_OFD_H

#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "eseal/err.h"
#include "eseal/pki.h"
#include "eseal/report.h"
#include "eseal/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How and where to seal. Start from ES_OFD_SIGN_OPTS_INIT. */
typedef struct es_ofd_sign_opts {
	int version;                 /**< ES_OFD_SIGN_OPTS_VERSION */
	int page;                    /**< 1-based page; -1 = last page */
	double x_mm, y_mm;           /**< seal centre, mm from the page's top-left
	                                  (the page's PhysicalBox origin is honoured) */
	const char *keyword;         /**< non-NULL: seal centred on this text (UTF-8,
	                                  searched in TextObject/TextCode); page/x/y ignored */
	int occurrence;              /**< keyword: 1-based occurrence, 0 = every occurrence */
	int cross_page;              /**< 1: 骑缝章 — one signature, one StampAnnot per page,
	                                  page i shows strip i of the picture at the right edge */
	int type_sign;               /**< 0: Type="Seal" (电子印章), 1: Type="Sign" (电子签名) */
	const unsigned char *seal;   /**< SESeal DER (GB/T 38540 v4), required */
	size_t seal_len;
	double width_mm, height_mm;  /**< stamp size; 0 = the seal picture's size */
	EVP_PKEY *key;               /**< SM2 signer key (seal holder) */
	X509 *cert;                  /**< signer certificate; must be in the seal's cert list */
	es_tsa_fn tsa;               /**< optional: timestamp over the signature value */
	void *tsa_ctx;
	const char *provider;        /**< Provider/@ProviderName; NULL = "eseal" */
} es_ofd_sign_opts;
#define ES_OFD_SIGN_OPTS_VERSION 1
#define ES_OFD_SIGN_OPTS_INIT {ES_OFD_SIGN_OPTS_VERSION, 1, 0, 0, NULL, 0, 0, 0, \
	NULL, 0, 0, 0, NULL, NULL, NULL, NULL, NULL}

/** Maximum stamps one es_ofd_sign() call places (keyword/cross-page). */
#define ES_OFD_MAX_STAMPS 64

/** Where the stamps of one signature went (mm from the page's top-left). */
typedef struct es_ofd_sign_result {
	char sign_path[128];         /**< "/Doc_0/Signs/Sign_N/Signature.xml" */
	size_t nstamps;
	struct {
		int page;            /**< 1-based */
		double x_mm, y_mm, w_mm, h_mm; /**< stamp box (top-left corner and size) */
	} stamps[ES_OFD_MAX_STAMPS];
} es_ofd_sign_result;

/** 1 when path is a zip package that contains OFD.xml, else 0. */
int es_ofd_is_ofd(const char *path);

/** Seal an OFD: writes Signatures.xml (created or extended), Sign_N/
 * Signature.xml, Seal.esl and SignedValue.dat (SES_Signature v4), and
 * references every package file except Signatures.xml.  The SES_Signature is
 * verified before the output is written.
 * @param res may be NULL.
 * @return 0; ES_EINVAL bad options or cert not in the seal; ES_ENOTFOUND
 *   keyword absent; ES_EFORMAT/ES_ERANGE unsafe or broken input; ES_EIO. */
int es_ofd_sign(const char *in_path, const char *out_path, const es_ofd_sign_opts *o,
		es_ofd_sign_result *res, es_err *err);

/** Number of pages. */
int es_ofd_page_count(int *out, const char *path, es_err *err);
/** Size of a page (1-based; -1 = last) in mm (its PhysicalBox). */
int es_ofd_page_size_mm(double *w, double *h, const char *path, int page, es_err *err);
/** Render a page (1-based; -1 = last) to PNG at dpi (36..600), seals drawn from
 * the embedded SESeal pictures.  *png malloc'd. */
int es_ofd_render_page(unsigned char **png, size_t *len, const char *path, int page, int dpi,
		       es_err *err);

/** Build a GB/T 38540 v4 SES_Signature: TBS_Sign{4, seal, when,
 * SM3(signature_xml), property_info}, signer cert, SM3withSM2 signature and,
 * with tsa, an RFC 3161 token over the signature value.  *der malloc'd. */
int es_ses_signature_make_v4(unsigned char **der, size_t *len, const unsigned char *seal,
			     size_t seal_len, const unsigned char *signature_xml, size_t xml_len,
			     const char *property_info, time_t when, EVP_PKEY *key, X509 *cert,
			     es_tsa_fn tsa, void *tsa_ctx, es_err *err);

/** Test generator: a valid unsigned OFD with npages A4 pages of Chinese text.
 * With keyword, the last page carries it once at ES_OFD_SAMPLE_KW_X_MM /
 * ES_OFD_SAMPLE_KW_Y_MM (top-left of the text, baseline at y + size). */
int es_ofd_make_sample(const char *out_path, int npages, const char *keyword, es_err *err);
#define ES_OFD_SAMPLE_KW_X_MM 120.0
#define ES_OFD_SAMPLE_KW_Y_MM 240.0
#define ES_OFD_SAMPLE_KW_SIZE_MM 6.0

#ifdef __cplusplus
}
#endif
#endif
