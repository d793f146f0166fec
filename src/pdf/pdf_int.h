/* Private to src/pdf: MuPDF-backed reading, incremental-update writing, CMS.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_PDF_INT_H
#define ES_PDF_INT_H

#include <stdint.h>
#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include "eseal/pdf.h"
#include "util/util.h"

#define ES_PT_PER_MM (72.0 / 25.4)
/* Extra /Contents room over the dry-run CMS size: ECDSA values and TSA
 * tokens vary by a few bytes between runs; a real TSA may add more. */
#define ES_PDF_CONTENTS_MARGIN 2048
/* With es_pdf_sign_opts.tsa_reserve: room for the unsigned attribute that
 * carries the token (RFC 5652 5.3: [1] SET, Attribute SEQUENCE, OID, SET;
 * 25 octets at most here) and for the enclosing lengths growing. */
#define ES_PDF_TST_ATTR_MAX 64
#define ES_PDF_MAX_PAGES_SCANNED 100000
#define ES_PDF_TAIL_LEN 2048

/** One opened revision of a PDF (the input, or our temp file later). */
typedef struct pdfdoc {
	char path[4096];
	fz_context *ctx;
	pdf_document *doc;
	int64_t file_len;
	int64_t startxref;     /**< offset of the last xref section */
	int xref_stream;       /**< 1 when that section is an xref stream */
	int ends_with_eol;     /**< last byte is CR or LF */
	int next_num;          /**< first free object number */
	int npages;
	char root_ref[48];     /**< "n g R" */
	char info_ref[48];     /**< "" when none */
	char id0[80], id1[80]; /**< hex of /ID strings, "" when none */
} pdfdoc;

int pdfdoc_open(pdfdoc *d, const char *path, es_err *err);
/** Same, naming the file name (not path) in messages: for a copy. */
int pdfdoc_open_as(pdfdoc *d, const char *path, const char *name, es_err *err);
void pdfdoc_close(pdfdoc *d);

/** A widget to place: page (0-based), box in display points (page bounds
 * space: origin top-left, y down), and for cross-page strips the offset of
 * the strip inside the seal drawing. */
typedef struct pdfwidget {
	int page;
	fz_rect box;
	fz_matrix disp_to_user; /**< display points -> default user space */
	int strip;             /**< 1: box shows seal x in [strip_x0, strip_x0 + width) */
	double strip_x0_pt;
	double seal_w_pt, seal_h_pt;
	int hidden;            /**< doc timestamp: no appearance, /Rect [0 0 0 0] */
} pdfwidget;

/** Resolve options into widgets (ES_ENOTFOUND when the keyword is absent). */
int pdf_place(pdfwidget **out, size_t *n, pdfdoc *d, const es_pdf_sign_opts *o, es_err *err);

/* ---- incremental update writer (pdf_write.c) ---- */
typedef struct updobj {
	int num, gen;
	size_t off;
} updobj;

typedef struct pdfupd {
	es_buf b;          /**< bytes appended to the file */
	int64_t base;      /**< file offset of b.data[0] */
	int next_num;
	updobj *objs;
	size_t nobjs, cap;
} pdfupd;

void upd_init(pdfupd *u, pdfdoc *d);
void upd_free(pdfupd *u);
int upd_alloc(pdfupd *u);
int upd_obj(pdfupd *u, int num, int gen, es_err *err);
int upd_endobj(pdfupd *u, es_err *err);
/** A stream object; dict_extra goes inside << >> before /Length.  flate:
 * deflate data (results remembered per process by exact content, so a
 * seal drawing is compressed once per server rather than per signature). */
int upd_stream(pdfupd *u, int num, const char *dict_extra, const void *data, size_t len,
	       int flate, es_err *err);
/** xref section (table or stream like the previous one) + trailer + %%EOF. */
int upd_finish(pdfupd *u, const pdfdoc *d, es_err *err);
/** A PDF real, short and locale-free. */
int buf_num(es_buf *b, double v, es_err *err);
/** UTF-8 -> PDF text string <FEFF...> (UTF-16BE). */
int buf_text(es_buf *b, const char *utf8, es_err *err);

/* ---- exact copies of existing objects (pdf_raw.c) ---- */
typedef struct rawval {
	const unsigned char *p; /**< NULL when absent */
	size_t n;
} rawval;
typedef struct rawent {
	size_t k0, k1, v0, v1; /**< key and value spans */
} rawent;
#define RAW_MAX_ENTRIES 512

int raw_entries(const unsigned char *p, size_t n, rawent *e, size_t max, size_t *count);
int raw_name_is(const unsigned char *p, size_t k0, size_t k1, const char *want);
int raw_ref(const unsigned char *p, size_t v0, size_t v1, int *num);
/** Source bytes of object num's value (as in the file, or its object
 * stream), plus a trailing newline.  May throw: call inside fz_try. */
int raw_object(es_buf *out, pdfdoc *d, int num, es_err *err);
/** dict[key], following one indirect reference (loaded into store). */
int raw_lookup(rawval *v, pdfdoc *d, const rawval *dict, const char *key, es_buf *store,
	       es_err *err);
/** Append a dict's "key value" pairs except skip[] / an array's items, verbatim. */
int raw_copy_entries(es_buf *b, const rawval *dict, const char *const *skip, es_err *err);
int raw_copy_items(es_buf *b, const rawval *arr, es_err *err);

/* ---- CMS (pdf_cms.c) ---- */
/** PAdES CMS over a SHA-256 digest of the ByteRange bytes (B-T adds the TST).
 * dry_run: for sizing only; the signature value is a placeholder of the
 * key's largest signature size, and with o->tsa_reserve no TST is asked. */
int pdf_cms_make(unsigned char **der, size_t *len, const unsigned char digest[32],
		 const es_pdf_sign_opts *o, int dry_run, es_err *err);

#endif
