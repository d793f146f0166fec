/* Private MuPDF side of the PDF verifier (MuPDF stays inside src/verify).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_VERIFY_VPDF_H
#define ES_VERIFY_VPDF_H

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include "vint.h"

#define DIFF_MAX_NOTES 4
#define DIFF_NOTE_LEN 200

/** Outcome of comparing a signed revision with the current document. */
typedef struct diff_result {
	int disallowed;                            /**< count of disallowed changes */
	int allowed;                               /**< count of whitelisted changes */
	char notes[DIFF_MAX_NOTES][DIFF_NOTE_LEN]; /**< first disallowed changes, English */
	int nnotes;
} diff_result;

/** A page tree node being walked: its /Kids, the next kid, how many page
 * indexes a lookup routes into it (limit) and has passed (acc). */
typedef struct pt_frame {
	pdf_obj *kids;
	int num, len, i, limit, acc;
} pt_frame;

/** Pages in order from one walk of the page tree (pages.c).  Zero it
 * before use; free with page_iter_drop(). */
typedef struct page_iter {
	const unsigned char *buf;  /**< the file MuPDF reads, or NULL: page_plain_names() */
	size_t len;
	pdf_document *doc;         /**< set by page_iter_get() */
	pt_frame st[ES_PDF_MAX_DEPTH + 1];
	int depth;
	pdf_obj **pages;     /**< kept references */
	int *names;          /**< page_plain_names() of each, when the walk read it */
	int n, cap;
	int started, dead, repaired, budget;
} page_iter;

/** What pdf_lookup_page_obj(ctx, doc, i) returns (borrowed), in linear
 * total time when i = 0, 1, 2, ... are asked in order.  May throw. */
pdf_obj *page_iter_get(fz_context *ctx, pdf_document *doc, page_iter *it, int i);
void page_iter_drop(fz_context *ctx, page_iter *it);

#define PAGE_HAS_ANNOTS 1
#define PAGE_HAS_KIDS 2
#define PAGE_HAS_PAGES 4
/** Which of the names /Annots, /Kids and /Pages (PAGE_HAS_*) the object ref
 * points to contains, read from buf (the bytes doc was opened from) without
 * parsing it; -1 when only parsing can tell (compressed, already parsed or
 * not of the plain kind that every lexer reads alike).  May throw. */
int page_plain_names(fz_context *ctx, pdf_document *doc, const unsigned char *buf, size_t len,
		     pdf_obj *ref);
/** page_plain_names() of page i as the walk found it, or PAGE_NAMES_UNKNOWN
 * when the walk did not give page i itself. */
#define PAGE_NAMES_UNKNOWN (-2)
int page_iter_names(const page_iter *it, int i);

/** Compare the signed revision ds with the full document df object by
 * object and classify every change (docs/pdf-verification.md, "Allowed
 * changes").  buf/len: the whole file (df); ds is its prefix up to
 * signed_end.  mdp_p: DocMDP permission 1, 2 or 3 (2 when none).
 * Throws MuPDF exceptions; the caller catches. */
void rev_diff(fz_context *ctx, pdf_document *ds, pdf_document *df, const unsigned char *buf,
	      size_t len, size_t signed_end, int mdp_p, diff_result *out);

#endif
