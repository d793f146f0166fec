/* TOTP second factor: RFC 6238 (HMAC-SHA-1, 30 s steps, 6 digits) via liboath.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <liboath/oath.h>
#include <openssl/crypto.h>
#include "eseal/auth.h"
#include "util/util.h"

/* Base32 of 10..40 secret bytes (RFC 4226 section 4 asks for >= 128 bits;
 * we make 160 and accept what other enrolments may have stored). */
#define SECRET_B32_MIN 16
#define SECRET_B32_MAX 64
#define UNRESERVED "-._~"

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_init_rc = OATH_OK;

static void oath_setup(void)
{
	oath_init_rc = oath_init();
}

static int oath_ready(es_err *err)
{
	pthread_once(&oath_once, oath_setup);
	if (oath_init_rc != OATH_OK)
		return es_err_set(err, ES_ECRYPTO, "cannot initialise liboath: %s",
				  oath_strerror(oath_init_rc));
	return 0;
}

int es_totp_secret_new(char out[ES_TOTP_SECRET_B32_LEN], es_err *err)
{
	unsigned char raw[ES_TOTP_SECRET_BYTES];
	char *b32 = NULL;
	size_t b32len = 0;
	int rc, orc;

	out[0] = '\0';
	if ((rc = oath_ready(err)) < 0 || (rc = es_random(raw, sizeof(raw), err)) < 0)
		goto out;
	orc = oath_base32_encode((const char *)raw, sizeof(raw), &b32, &b32len);
	if (orc != OATH_OK || b32len + 1 != ES_TOTP_SECRET_B32_LEN) {
		rc = es_err_set(err, orc == OATH_MALLOC_ERROR ? ES_ENOMEM : ES_ECRYPTO,
				"cannot encode TOTP secret: %s", oath_strerror(orc));
		goto out;
	}
	memcpy(out, b32, b32len + 1);
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	if (b32 != NULL) {
		OPENSSL_cleanse(b32, b32len);
		free(b32);
	}
	return rc;
}

/* Canonical form only: upper-case RFC 4648 alphabet, no padding or spaces. */
static int secret_wellformed(const char *s)
{
	size_t len, i;

	if (s == NULL)
		return 0;
	len = strlen(s);
	if (len < SECRET_B32_MIN || len > SECRET_B32_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '2' && s[i] <= '7')))
			return 0;
	return 1;
}

static int secret_decode(char **raw, size_t *rawlen, const char *b32, es_err *err)
{
	int rc, orc;

	*raw = NULL;
	*rawlen = 0;
	if (!secret_wellformed(b32))
		return es_err_set(err, ES_EINVAL,
			"TOTP secret is malformed (expected %d..%d Base32 characters A-Z, 2-7); "
			"re-enrol the authenticator", SECRET_B32_MIN, SECRET_B32_MAX);
	if ((rc = oath_ready(err)) < 0)
		return rc;
	orc = oath_base32_decode(b32, strlen(b32), raw, rawlen);
	if (orc != OATH_OK)
		return es_err_set(err, orc == OATH_MALLOC_ERROR ? ES_ENOMEM : ES_EINVAL,
				  "TOTP secret is malformed: %s", oath_strerror(orc));
	return 0;
}

static void secret_free(char *raw, size_t rawlen)
{
	if (raw == NULL)
		return;
	OPENSSL_cleanse(raw, rawlen);
	free(raw);
}

int es_totp_uri(char *out, size_t cap, const char *login, const char *secret_b32, es_err *err)
{
	es_buf b = {0};
	size_t i;
	int rc;

	if (cap > 0)
		out[0] = '\0';
	if (login == NULL || login[0] == '\0')
		return es_err_set(err, ES_EINVAL, "TOTP URI needs a login name");
	if (!secret_wellformed(secret_b32))
		return es_err_set(err, ES_EINVAL, "TOTP secret is malformed; make a new one");
	/* Key URI format (Google Authenticator wiki): label "issuer:account",
	 * account percent-encoded (RFC 3986 unreserved characters kept). */
	if ((rc = es_buf_puts(&b, "otpauth://totp/" ES_TOTP_ISSUER ":", err)) < 0)
		goto out;
	for (i = 0; login[i] != '\0'; i++) {
		unsigned char c = (unsigned char)login[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c != '\0' && strchr(UNRESERVED, c) != NULL))
			rc = es_buf_append(&b, &login[i], 1, err);
		else
			rc = es_buf_printf(&b, err, "%%%02X", c);
		if (rc < 0)
			goto out;
	}
	if ((rc = es_buf_printf(&b, err, "?secret=%s&issuer=%s", secret_b32, ES_TOTP_ISSUER)) < 0)
		goto out;
	if (b.len + 1 > cap) {
		rc = es_err_set(err, ES_ERANGE, "buffer too small for the TOTP URI (%zu bytes)",
				b.len + 1);
		goto out;
	}
	memcpy(out, b.data, b.len);
	out[b.len] = '\0';
out:
	es_buf_free(&b, 1);
	return rc;
}

static int hotp(char out[ES_TOTP_DIGITS + 1], const char *raw, size_t rawlen,
		uint64_t step, es_err *err)
{
	int orc = oath_hotp_generate(raw, rawlen, step, ES_TOTP_DIGITS, false,
				     OATH_HOTP_DYNAMIC_TRUNCATION, out);

	if (orc != OATH_OK)
		return es_err_set(err, ES_ECRYPTO, "cannot compute TOTP code: %s",
				  oath_strerror(orc));
	return 0;
}

int es_totp_code(const char *secret_b32, time_t now, char out[ES_TOTP_DIGITS + 1], es_err *err)
{
	char *raw = NULL;
	size_t rawlen = 0;
	int rc;

	out[0] = '\0';
	if (now < 0)
		return es_err_set(err, ES_EINVAL, "time before 1970 has no TOTP step");
	if ((rc = secret_decode(&raw, &rawlen, secret_b32, err)) < 0)
		goto out;
	rc = hotp(out, raw, rawlen, (uint64_t)now / ES_TOTP_STEP_S, err);
out:
	secret_free(raw, rawlen);
	return rc;
}

static int code_wellformed(const char *code)
{
	size_t i;

	if (code == NULL || strlen(code) != ES_TOTP_DIGITS)
		return 0;
	for (i = 0; i < ES_TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	return 1;
}

static int verify_window(const char *secret_b32, const char *code, time_t now,
			 int replay_check, uint64_t last_step, uint64_t *step_out, es_err *err)
{
	char *raw = NULL, cand[ES_TOTP_DIGITS + 1];
	size_t rawlen = 0;
	uint64_t cur, s, found = 0;
	int rc, matched = 0, eq;

	if (now < 0)
		return es_err_set(err, ES_EINVAL, "time before 1970 has no TOTP step");
	if ((rc = secret_decode(&raw, &rawlen, secret_b32, err)) < 0)
		goto out;
	if (!code_wellformed(code)) {
		rc = es_err_set(err, ES_EAUTH, "wrong one-time code (it has %d digits)",
				ES_TOTP_DIGITS);
		goto out;
	}
	cur = (uint64_t)now / ES_TOTP_STEP_S;
	s = cur >= ES_TOTP_WINDOW_STEPS ? cur - ES_TOTP_WINDOW_STEPS : 0;
	/* Try every step of the window without stopping early, so the time
	 * taken does not tell which step matched. */
	for (; s <= cur + ES_TOTP_WINDOW_STEPS; s++) {
		if ((rc = hotp(cand, raw, rawlen, s, err)) < 0)
			goto out;
		eq = CRYPTO_memcmp(cand, code, ES_TOTP_DIGITS) == 0;
		if (eq && (!replay_check || s > last_step) && !matched) {
			matched = 1;
			found = s;
		}
	}
	if (!matched) {
		rc = es_err_set(err, ES_EAUTH,
			"wrong or already used one-time code; check the clock of the "
			"authenticator and try the next code");
		goto out;
	}
	if (step_out != NULL)
		*step_out = found;
out:
	OPENSSL_cleanse(cand, sizeof(cand));
	secret_free(raw, rawlen);
	return rc;
}

int es_totp_verify_step(const char *secret_b32, const char *code, time_t now,
			uint64_t last_step, uint64_t *step_out, es_err *err)
{
	return verify_window(secret_b32, code, now, 1, last_step, step_out, err);
}

int es_totp_verify(const char *secret_b32, const char *code, time_t now, es_err *err)
{
	return verify_window(secret_b32, code, now, 0, 0, NULL, err);
}
