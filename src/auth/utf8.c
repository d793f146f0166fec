/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>
#include "auth_int.h"

#define UTF8_MAX_CP 0x10FFFFu

size_t es_utf8_next(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c, min;
	size_t n, i;

	if (len == 0)
		return 0;
	c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0) {
		n = 2;
		min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3;
		min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	c &= 0x7Fu >> n; /* payload bits of the lead byte */
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3F);
	}
	/* RFC 3629 section 3: overlong forms and surrogates are invalid. */
	if (c < min || c > UTF8_MAX_CP || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

int es_utf8_printable(const char *s)
{
	size_t len = strlen(s), i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = es_utf8_next(s + i, len - i, &cp);
		if (n == 0)
			return 0;
		if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
			return 0;
		i += n;
	}
	return 1;
}

void es_utf8_copy(char *dst, size_t cap, const char *src)
{
	size_t len = strlen(src), i = 0, n;
	uint32_t cp;

	if (cap == 0)
		return;
	while (i < len) {
		n = es_utf8_next(src + i, len - i, &cp);
		if (n == 0)
			n = 1; /* copy stray bytes one at a time */
		if (i + n > cap - 1)
			break;
		i += n;
	}
	memcpy(dst, src, i);
	dst[i] = '\0';
}
