/* Private MuPDF side of the PDF verifier (MuPDF stays inside src/verify).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_VERIFY_VPDF_H
#define ES_VERIFY_VPDF_H

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>

#define DIFF_MAX_NOTES 4
#define DIFF_NOTE_LEN 200

/** Outcome of comparing a signed revision with the current document. */
typedef struct diff_result {
	int disallowed;                            /**< count of disallowed changes */
	int allowed;                               /**< count of whitelisted changes */
	char notes[DIFF_MAX_NOTES][DIFF_NOTE_LEN]; /**< first disallowed changes, English */
	int nnotes;
} diff_result;

/** Compare the signed revision ds with the full document df object by
 * object and classify every change (docs/pdf-verification.md, "Allowed
 * changes").  mdp_p: DocMDP permission 1, 2 or 3 (2 when none).
 * Throws MuPDF exceptions; the caller catches. */
void rev_diff(fz_context *ctx, pdf_document *ds, pdf_document *df, int mdp_p,
	      diff_result *out);

#endif
