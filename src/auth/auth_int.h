/* Private helpers of the auth concern.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_AUTH_INT_H
#define ES_AUTH_INT_H

#include <stddef.h>
#include <stdint.h>
#include "eseal/err.h"

/** Decode one UTF-8 sequence (RFC 3629: no overlongs, no surrogates,
 * <= U+10FFFF) from s[0..len).  Returns its length in bytes, or 0 when the
 * bytes are not valid UTF-8. */
size_t es_utf8_next(const char *s, size_t len, uint32_t *cp);

/** 1 when the whole string is valid UTF-8 without C0/C1 controls or DEL. */
int es_utf8_printable(const char *s);

/** Copy src into dst (cap bytes, NUL-terminated), cutting at a UTF-8
 * character boundary when it does not fit.  cap 0 writes nothing. */
void es_utf8_copy(char *dst, size_t cap, const char *src);

struct es_buf;

/** Run `/bin/sh -c cmd` in its own process group with in[0..inlen) on its
 * stdin; collect stdout into out (at most max_out bytes).  Waits until the
 * program exits or timeout_ms passes (then kills the group).  Returns 0 when
 * it exited with status 0, else ES_EIDENTITY "identity provider failed: ..."
 * (or ES_ENOMEM/ES_EIO for local failures). */
int es_idp_run(const char *cmd, const char *in, size_t inlen, long timeout_ms,
	       size_t max_out, struct es_buf *out, es_err *err);

#endif
