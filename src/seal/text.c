/* UTF-8 handling for text taken from seals: report fields must stay valid
 * UTF-8 (JSON) and free of control characters (terminals), even when the seal
 * is hostile or a long name is cut to fit.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>
#include "seal_int.h"

#define REPLACEMENT '?'

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 table), 0 if none. */
size_t seal_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f; /* no UTF-16 surrogates */
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f; /* nothing above U+10FFFF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

int seal_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;

	while (n > 0) {
		k = seal_utf8_seq(p, n);
		if (k == 0)
			return 0;
		p += k;
		n -= k;
	}
	return 1;
}

void seal_text_copy(char *dst, size_t cap, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t n = strlen(src), out = 0, k;

	if (cap == 0)
		return;
	while (n > 0) {
		k = seal_utf8_seq(p, n);
		if (k == 0 || (k == 1 && (*p < 0x20 || *p == 0x7f))) {
			if (out + 1 >= cap)
				break;
			dst[out++] = REPLACEMENT;
			k = 1;
		} else {
			if (out + k >= cap)
				break; /* never cut a character in half */
			memcpy(dst + out, p, k);
			out += k;
		}
		p += k;
		n -= k;
	}
	dst[out] = '\0';
}
