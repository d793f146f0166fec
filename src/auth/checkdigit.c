/* Check digits of Chinese identifiers: GB 32100, GB 11643, Luhn, mobile.
 * Messages name the rule broken and at most one character, never the number.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include "eseal/auth.h"

/* GB 32100-2015 clause 4 / table: the 31 code characters, in value order. */
static const char USCC_ALPHABET[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
#define USCC_MOD 31
static const int USCC_WEIGHTS[ES_USCC_LEN - 1] = {
	1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
/* GB 32100-2015 table 1 plus later assigned registration authorities
 * (2 foreign affairs .. 8 trade unions, A military, N agriculture). */
static const char USCC_AUTHORITIES[] = "123456789ANY";
/* Characters 3..8: GB/T 2260 administrative division code. */
#define USCC_DIVISION_FIRST 2
#define USCC_DIVISION_LAST 7

/* GB 11643-1999 clause 6: ISO 7064 MOD 11-2 weights 2^(i) mod 11. */
static const int RID_WEIGHTS[ES_RESIDENT_ID_LEN - 1] = {
	7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char RID_CHECK[] = "10X98765432";
#define RID_MOD 11
#define RID_BIRTH_OFFSET 6
#define RID_MIN_BIRTH_YEAR 1900
/* Birth dates are Beijing dates: compare with "today" in UTC+8. */
#define CST_OFFSET_S (8 * 3600)

/* Describe one offending character without exposing the rest. */
static void char_desc(char *buf, size_t cap, char c)
{
	if (isprint((unsigned char)c) && c != '\'')
		snprintf(buf, cap, " ('%c')", c);
	else
		buf[0] = '\0';
}

static int uscc_value(char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(USCC_ALPHABET, toupper((unsigned char)c));
	return p == NULL ? -1 : (int)(p - USCC_ALPHABET);
}

static int uscc_chars(const char *code, es_err *err)
{
	char d[8];
	size_t i;

	for (i = 0; i < ES_USCC_LEN; i++) {
		char_desc(d, sizeof(d), code[i]);
		if (uscc_value(code[i]) < 0)
			return es_err_set(err, ES_EIDENTITY,
				"unified social credit code: character %zu%s is not "
				"allowed (only 0-9 and A-Y without I O S V Z); check it",
				i + 1, d);
		if (i == 0 && strchr(USCC_AUTHORITIES, toupper((unsigned char)code[0])) == NULL)
			return es_err_set(err, ES_EIDENTITY,
				"unified social credit code: character 1%s is not a "
				"registration authority code (1-9, A, N, Y)", d);
		if (i >= USCC_DIVISION_FIRST && i <= USCC_DIVISION_LAST &&
		    !isdigit((unsigned char)code[i]))
			return es_err_set(err, ES_EIDENTITY,
				"unified social credit code: character %zu%s must be a "
				"digit (characters 3-8 are the administrative division)",
				i + 1, d);
	}
	return 0;
}

int es_uscc_normalise(char out[ES_USCC_LEN + 1], const char *code, es_err *err)
{
	size_t len, i;
	int sum = 0, rc;

	out[0] = '\0';
	if (code == NULL || code[0] == '\0')
		return es_err_set(err, ES_EIDENTITY, "unified social credit code is missing");
	len = strlen(code);
	if (len != ES_USCC_LEN)
		return es_err_set(err, ES_EIDENTITY,
			"unified social credit code must be %d characters, got %zu",
			ES_USCC_LEN, len);
	if ((rc = uscc_chars(code, err)) < 0)
		return rc;
	/* GB 32100-2015 clause 5: C18 = 31 - (sum Ci*Wi mod 31), 31 -> 0. */
	for (i = 0; i < ES_USCC_LEN - 1; i++)
		sum += uscc_value(code[i]) * USCC_WEIGHTS[i];
	if (uscc_value(code[ES_USCC_LEN - 1]) != (USCC_MOD - sum % USCC_MOD) % USCC_MOD)
		return es_err_set(err, ES_EIDENTITY,
			"unified social credit code: check character (18th) is wrong; "
			"the code was probably mistyped");
	for (i = 0; i < ES_USCC_LEN; i++)
		out[i] = (char)toupper((unsigned char)code[i]);
	out[ES_USCC_LEN] = '\0';
	return 0;
}

int es_uscc_check(const char *code, es_err *err)
{
	char tmp[ES_USCC_LEN + 1];

	return es_uscc_normalise(tmp, code, err);
}

static int two_digits(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* p: 8 digits YYYYMMDD (already known to be digits). */
static int rid_birth_date(const char *p, es_err *err)
{
	int y = two_digits(p) * 100 + two_digits(p + 2);
	int m = two_digits(p + 4), d = two_digits(p + 6);
	time_t now = time(NULL) + CST_OFFSET_S;
	struct tm today;

	if (y < RID_MIN_BIRTH_YEAR || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return es_err_set(err, ES_EIDENTITY,
			"resident ID number: characters 7-14 are not a valid birth "
			"date (YYYYMMDD, year 1900 or later)");
	gmtime_r(&now, &today);
	if (y * 10000 + m * 100 + d >
	    (today.tm_year + 1900) * 10000 + (today.tm_mon + 1) * 100 + today.tm_mday)
		return es_err_set(err, ES_EIDENTITY,
			"resident ID number: the birth date (characters 7-14) is in the future");
	return 0;
}

int es_resident_id_normalise(char out[ES_RESIDENT_ID_LEN + 1], const char *id, es_err *err)
{
	size_t len, i;
	int sum = 0, rc;
	char d[8], last;

	out[0] = '\0';
	if (id == NULL || id[0] == '\0')
		return es_err_set(err, ES_EIDENTITY, "resident ID number is missing");
	len = strlen(id);
	if (len != ES_RESIDENT_ID_LEN)
		return es_err_set(err, ES_EIDENTITY,
			"resident ID number must be %d characters, got %zu",
			ES_RESIDENT_ID_LEN, len);
	for (i = 0; i < ES_RESIDENT_ID_LEN - 1; i++) {
		char_desc(d, sizeof(d), id[i]);
		if (!isdigit((unsigned char)id[i]))
			return es_err_set(err, ES_EIDENTITY,
				"resident ID number: character %zu%s must be a digit", i + 1, d);
		sum += (id[i] - '0') * RID_WEIGHTS[i];
	}
	last = (char)toupper((unsigned char)id[ES_RESIDENT_ID_LEN - 1]);
	char_desc(d, sizeof(d), id[ES_RESIDENT_ID_LEN - 1]);
	if (!isdigit((unsigned char)last) && last != 'X')
		return es_err_set(err, ES_EIDENTITY,
			"resident ID number: character 18%s must be a digit or X", d);
	if ((rc = rid_birth_date(id + RID_BIRTH_OFFSET, err)) < 0)
		return rc;
	if (last != RID_CHECK[sum % RID_MOD])
		return es_err_set(err, ES_EIDENTITY,
			"resident ID number: check character (18th) is wrong; "
			"the number was probably mistyped");
	memcpy(out, id, ES_RESIDENT_ID_LEN - 1);
	out[ES_RESIDENT_ID_LEN - 1] = last;
	out[ES_RESIDENT_ID_LEN] = '\0';
	return 0;
}

int es_resident_id_check(const char *id, es_err *err)
{
	char tmp[ES_RESIDENT_ID_LEN + 1];
	int rc = es_resident_id_normalise(tmp, id, err);

	OPENSSL_cleanse(tmp, sizeof(tmp));
	return rc;
}

/* ISO/IEC 7812-1 annex B (Luhn): double every second digit from the right. */
static int luhn_ok(const char *digits, size_t n)
{
	int sum = 0, v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = digits[n - 1 - i] - '0';
		if (i % 2 == 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

int es_bank_card_normalise(char out[ES_BANK_CARD_MAX_DIGITS + 1], const char *pan, es_err *err)
{
	char digits[ES_BANK_CARD_MAX_DIGITS + 1], d[8];
	size_t n = 0, i;
	int rc = 0;

	out[0] = '\0';
	if (pan == NULL || pan[0] == '\0')
		return es_err_set(err, ES_EIDENTITY, "bank card number is missing");
	for (i = 0; pan[i] != '\0'; i++) {
		if (pan[i] == ' ')
			continue;
		char_desc(d, sizeof(d), pan[i]);
		if (!isdigit((unsigned char)pan[i])) {
			rc = es_err_set(err, ES_EIDENTITY,
				"bank card number: character %zu%s is not a digit or space",
				i + 1, d);
			goto out;
		}
		if (n < ES_BANK_CARD_MAX_DIGITS)
			digits[n] = pan[i];
		n++;
	}
	if (n < ES_BANK_CARD_MIN_DIGITS || n > ES_BANK_CARD_MAX_DIGITS) {
		rc = es_err_set(err, ES_EIDENTITY,
			"bank card number must have %d to %d digits, got %zu",
			ES_BANK_CARD_MIN_DIGITS, ES_BANK_CARD_MAX_DIGITS, n);
		goto out;
	}
	if (!luhn_ok(digits, n)) {
		rc = es_err_set(err, ES_EIDENTITY,
			"bank card number: check digit (last) is wrong; "
			"the number was probably mistyped");
		goto out;
	}
	memcpy(out, digits, n);
	out[n] = '\0';
out:
	OPENSSL_cleanse(digits, sizeof(digits));
	return rc;
}

int es_bank_card_check(const char *pan, es_err *err)
{
	char tmp[ES_BANK_CARD_MAX_DIGITS + 1];
	int rc = es_bank_card_normalise(tmp, pan, err);

	OPENSSL_cleanse(tmp, sizeof(tmp));
	return rc;
}

int es_mobile_check(const char *mobile, es_err *err)
{
	size_t len, i;
	char d[8];

	if (mobile == NULL || mobile[0] == '\0')
		return es_err_set(err, ES_EIDENTITY, "mobile number is missing");
	len = strlen(mobile);
	if (len != ES_MOBILE_LEN)
		return es_err_set(err, ES_EIDENTITY,
			"mobile number must be %d digits without +86 or spaces, got %zu characters",
			ES_MOBILE_LEN, len);
	for (i = 0; i < len; i++) {
		char_desc(d, sizeof(d), mobile[i]);
		if (!isdigit((unsigned char)mobile[i]))
			return es_err_set(err, ES_EIDENTITY,
				"mobile number: character %zu%s is not a digit", i + 1, d);
	}
	/* Mainland numbering plan: 13x..19x mobile prefixes. */
	if (mobile[0] != '1' || mobile[1] < '3')
		return es_err_set(err, ES_EIDENTITY,
			"mobile number must start with 13 to 19 (mainland China)");
	return 0;
}
