/* Display masks for personal numbers and names.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>
#include <openssl/crypto.h>
#include "eseal/auth.h"
#include "auth_int.h"

#define ID_KEEP_HEAD 3
#define ID_KEEP_TAIL 4
#define CARD_KEEP_HEAD 4
#define CARD_KEEP_TAIL 4
#define CARD_GROUP 4
#define MASK_CHAR '*'
/* Longest card input we format (digits without spaces). */
#define CARD_MAX_INPUT 64

static int too_small(char *out, size_t cap, es_err *err)
{
	if (cap > 0)
		out[0] = '\0';
	return es_err_set(err, ES_ERANGE, "output buffer too small for the masked value");
}

/* Keep head and tail characters of an ASCII string, mask the rest; values
 * too short to keep both ends with something masked are masked completely. */
static int mask_ends(char *out, size_t cap, const char *s, size_t head, size_t tail,
		     es_err *err)
{
	size_t len, i;

	if (s == NULL)
		return es_err_set(err, ES_EINVAL, "nothing to mask");
	len = strlen(s);
	if (len + 1 > cap)
		return too_small(out, cap, err);
	if (len <= head + tail)
		head = tail = 0;
	for (i = 0; i < len; i++)
		out[i] = (i < head || i >= len - tail) ? s[i] : MASK_CHAR;
	out[len] = '\0';
	return 0;
}

int es_mask_id(char *out, size_t cap, const char *id, es_err *err)
{
	return mask_ends(out, cap, id, ID_KEEP_HEAD, ID_KEEP_TAIL, err);
}

int es_mask_mobile(char *out, size_t cap, const char *mobile, es_err *err)
{
	return mask_ends(out, cap, mobile, ID_KEEP_HEAD, ID_KEEP_TAIL, err);
}

/* Append c to out at *pos, leaving room for the NUL. */
static int put(char *out, size_t cap, size_t *pos, char c)
{
	if (*pos + 1 >= cap)
		return -1;
	out[(*pos)++] = c;
	return 0;
}

int es_mask_bank_card(char *out, size_t cap, const char *pan, es_err *err)
{
	char d[CARD_MAX_INPUT];
	size_t n = 0, i, pos = 0, head = CARD_KEEP_HEAD, tail = CARD_KEEP_TAIL;
	int rc = 0;

	if (pan == NULL)
		return es_err_set(err, ES_EINVAL, "nothing to mask");
	for (i = 0; pan[i] != '\0'; i++) {
		if (pan[i] == ' ')
			continue;
		if (n == sizeof(d)) {
			rc = es_err_set(err, ES_EINVAL, "card number too long to mask");
			goto out;
		}
		d[n++] = pan[i];
	}
	if (n <= head + tail)
		head = tail = 0;
	for (i = 0; i < n; i++) {
		int start_group = i > 0 && (i < n - tail ? i % CARD_GROUP == 0 : i == n - tail);

		if ((start_group && put(out, cap, &pos, ' ') < 0) ||
		    put(out, cap, &pos, (i < head || i >= n - tail) ? d[i] : MASK_CHAR) < 0) {
			rc = too_small(out, cap, err);
			goto out;
		}
	}
	if (cap == 0) {
		rc = too_small(out, cap, err);
		goto out;
	}
	out[pos] = '\0';
out:
	OPENSSL_cleanse(d, sizeof(d));
	return rc;
}

int es_mask_name(char *out, size_t cap, const char *name, es_err *err)
{
	size_t len, i = 0, n, count = 0, first_len = 0, last_off = 0, pos, k;
	uint32_t cp;

	if (name == NULL)
		return es_err_set(err, ES_EINVAL, "nothing to mask");
	len = strlen(name);
	while (i < len) {
		n = es_utf8_next(name + i, len - i, &cp);
		if (n == 0) {
			if (cap > 0)
				out[0] = '\0';
			return es_err_set(err, ES_EINVAL, "name is not valid UTF-8");
		}
		if (count == 0)
			first_len = n;
		last_off = i;
		count++;
		i += n;
	}
	if (count <= 1) /* "" stays "", one character becomes "*" */
		return mask_ends(out, cap, count == 0 ? "" : "*", 0, 0, err);
	/* first + (count - 2 or 1) stars + last (when count >= 3) */
	n = first_len + (count == 2 ? 1 : count - 2) + (count == 2 ? 0 : len - last_off);
	if (n + 1 > cap)
		return too_small(out, cap, err);
	memcpy(out, name, first_len);
	pos = first_len;
	for (k = 0; k < (count == 2 ? 1 : count - 2); k++)
		out[pos++] = MASK_CHAR;
	if (count > 2) {
		memcpy(out + pos, name + last_off, len - last_off);
		pos += len - last_off;
	}
	out[pos] = '\0';
	return 0;
}
