/* Argon2id password hashing (RFC 9106) and the password policy.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <argon2.h>
#include <openssl/crypto.h>
#include "eseal/auth.h"
#include "util/util.h"
#include "auth_int.h"

#define ENV_M_KIB "ESEAL_ARGON2_M_KIB"
#define ENV_T "ESEAL_ARGON2_T"
/* Accepted range of overrides and of parameters found in stored hashes:
 * libargon2's minimum (8 KiB) up to 4 GiB of memory, 1..64 passes. */
#define M_KIB_MIN 8L
#define M_KIB_MAX (4L * 1024 * 1024)
#define T_MIN 1L
#define T_MAX 64L
#define ENCODED_PREFIX "$argon2id$v=19$m="

typedef struct params {
	uint32_t t, m_kib, p;
} params;

static int env_param(uint32_t *v, const char *name, long min, long max, es_err *err)
{
	const char *s = getenv(name);
	long l;

	if (s == NULL || s[0] == '\0')
		return 0;
	if (es_parse_long(&l, s, min, max) < 0)
		return es_err_set(err, ES_EINVAL,
			"%s must be a whole number from %ld to %ld; fix or unset it",
			name, min, max);
	*v = (uint32_t)l;
	return 0;
}

static int current_params(params *pp, es_err *err)
{
	int rc;

	pp->t = ES_ARGON2_T_COST;
	pp->m_kib = ES_ARGON2_M_COST_KIB;
	pp->p = ES_ARGON2_PARALLELISM;
	if ((rc = env_param(&pp->m_kib, ENV_M_KIB, M_KIB_MIN, M_KIB_MAX, err)) < 0)
		return rc;
	return env_param(&pp->t, ENV_T, T_MIN, T_MAX, err);
}

/* Read "<digits>" then expect `next`; advances *s. */
static int take_num(const char **s, uint32_t *v, const char *next, long max)
{
	char *end;
	unsigned long l;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	l = strtoul(*s, &end, 10);
	if (errno != 0 || l > (unsigned long)max || strncmp(end, next, strlen(next)) != 0)
		return -1;
	*v = (uint32_t)l;
	*s = end + strlen(next);
	return 0;
}

/* "$argon2id$v=19$m=M,t=T,p=P$..." -> params, within our accepted range. */
static int parse_params(params *pp, const char *encoded, es_err *err)
{
	const char *s = encoded;

	if (encoded == NULL || strncmp(s, ENCODED_PREFIX, strlen(ENCODED_PREFIX)) != 0)
		return es_err_set(err, ES_EFORMAT,
			"stored password hash is not an Argon2id v19 hash; reset the password");
	s += strlen(ENCODED_PREFIX);
	if (take_num(&s, &pp->m_kib, ",t=", M_KIB_MAX) < 0 ||
	    take_num(&s, &pp->t, ",p=", T_MAX) < 0 ||
	    take_num(&s, &pp->p, "$", ARGON2_MAX_LANES) < 0 ||
	    pp->m_kib < M_KIB_MIN || pp->t < T_MIN || pp->p < 1)
		return es_err_set(err, ES_EFORMAT,
			"stored password hash has unreadable or out-of-range parameters; "
			"reset the password");
	return 0;
}

static int check_len(const char *password, es_err *err)
{
	if (strlen(password) > ES_PASSWORD_MAX_BYTES)
		return es_err_set(err, ES_EINVAL, "password is longer than %d bytes",
				  ES_PASSWORD_MAX_BYTES);
	return 0;
}

int es_password_hash(char out[ES_PASSWORD_HASH_LEN], const char *password, es_err *err)
{
	unsigned char salt[ES_ARGON2_SALT_LEN];
	char enc[ES_PASSWORD_HASH_LEN];
	params pp;
	int rc, arc;

	out[0] = '\0';
	if ((rc = check_len(password, err)) < 0 || (rc = current_params(&pp, err)) < 0)
		return rc;
	if (argon2_encodedlen(pp.t, pp.m_kib, pp.p, ES_ARGON2_SALT_LEN, ES_ARGON2_HASH_LEN,
			      Argon2_id) > sizeof(enc))
		return es_err_set(err, ES_ERANGE, "Argon2 parameters give too long a hash");
	if ((rc = es_random(salt, sizeof(salt), err)) < 0)
		return rc;
	arc = argon2id_hash_encoded(pp.t, pp.m_kib, pp.p, password, strlen(password),
				    salt, sizeof(salt), ES_ARGON2_HASH_LEN, enc, sizeof(enc));
	if (arc != ARGON2_OK) {
		rc = es_err_set(err, arc == ARGON2_MEMORY_ALLOCATION_ERROR ? ES_ENOMEM : ES_ECRYPTO,
				"cannot hash password: %s", argon2_error_message(arc));
		goto out;
	}
	memcpy(out, enc, sizeof(enc));
out:
	OPENSSL_cleanse(enc, sizeof(enc));
	return rc;
}

int es_password_verify(const char *encoded, const char *password, es_err *err)
{
	params pp;
	int rc, arc;

	if ((rc = parse_params(&pp, encoded, err)) < 0)
		return rc;
	if (strlen(password) > ES_PASSWORD_MAX_BYTES)
		return es_err_set(err, ES_EAUTH, "wrong login or password");
	/* argon2id_verify recomputes the tag and compares it in constant time. */
	arc = argon2id_verify(encoded, password, strlen(password));
	switch (arc) {
	case ARGON2_OK:
		return 0;
	case ARGON2_VERIFY_MISMATCH:
		return es_err_set(err, ES_EAUTH, "wrong login or password");
	case ARGON2_MEMORY_ALLOCATION_ERROR:
		return es_err_set(err, ES_ENOMEM, "cannot verify password: out of memory");
	case ARGON2_DECODING_FAIL:
	case ARGON2_INCORRECT_TYPE:
	case ARGON2_SALT_TOO_SHORT:
	case ARGON2_OUTPUT_TOO_SHORT:
		return es_err_set(err, ES_EFORMAT,
			"stored password hash is damaged (%s); reset the password",
			argon2_error_message(arc));
	default:
		return es_err_set(err, ES_ECRYPTO, "cannot verify password: %s",
				  argon2_error_message(arc));
	}
}

int es_password_needs_rehash(const char *encoded, es_err *err)
{
	params have, want;
	int rc;

	if ((rc = parse_params(&have, encoded, err)) < 0 ||
	    (rc = current_params(&want, err)) < 0)
		return rc;
	/* Upgrade only: a hash stronger than today's parameters (an operator
	 * lowered them, or a test override) is kept, never weakened. */
	return have.t < want.t || have.m_kib < want.m_kib;
}

enum { CLASS_LOWER = 1, CLASS_UPPER = 2, CLASS_DIGIT = 4, CLASS_OTHER = 8 };

static const char *class_name(int c)
{
	switch (c) {
	case CLASS_LOWER: return "lower-case letters";
	case CLASS_UPPER: return "upper-case letters";
	case CLASS_DIGIT: return "digits";
	default: return "symbols or non-Latin characters";
	}
}

int es_password_policy_check(const char *password, es_err *err)
{
	size_t len, i = 0, n, chars = 0;
	uint32_t cp;
	int classes = 0;

	if (password == NULL || password[0] == '\0')
		return es_err_set(err, ES_EINVAL, "password is empty");
	len = strlen(password);
	if (len > ES_PASSWORD_MAX_BYTES)
		return es_err_set(err, ES_EINVAL, "password is longer than %d bytes",
				  ES_PASSWORD_MAX_BYTES);
	while (i < len) {
		n = es_utf8_next(password + i, len - i, &cp);
		if (n == 0)
			return es_err_set(err, ES_EINVAL, "password is not valid UTF-8 text");
		if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
			return es_err_set(err, ES_EINVAL,
				"password contains a control character; use printable characters");
		if (cp >= 'a' && cp <= 'z')
			classes |= CLASS_LOWER;
		else if (cp >= 'A' && cp <= 'Z')
			classes |= CLASS_UPPER;
		else if (cp >= '0' && cp <= '9')
			classes |= CLASS_DIGIT;
		else
			classes |= CLASS_OTHER;
		chars++;
		i += n;
	}
	if (chars < ES_PASSWORD_MIN_CHARS)
		return es_err_set(err, ES_EINVAL,
			"password is too short: use at least %d characters",
			ES_PASSWORD_MIN_CHARS);
	if ((classes & (classes - 1)) == 0)
		return es_err_set(err, ES_EINVAL,
			"password uses only %s: mix in another kind (lower case, upper "
			"case, digits, symbols)", class_name(classes));
	return 0;
}
