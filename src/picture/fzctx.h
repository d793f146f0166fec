/* MuPDF context for one call; only src/picture/ includes this.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_PICTURE_FZCTX_H
#define ES_PICTURE_FZCTX_H

#include <mupdf/fitz.h>

/** A fresh context (NULL when out of memory) that keeps MuPDF's own error
 * and warning prints off stderr: every failure reaches the caller as an
 * es_err instead.  One per call, so threads never share one. */
fz_context *es_fz_new_context(void);

#endif
