/* eseal: identity and authentication — check digits of Chinese identifiers,
 * masking of personal numbers, Argon2id passwords, TOTP second factor and the
 * pluggable identity provider (real-name verification).
 *
 * Every function here is thread-safe unless its comment says otherwise: none
 * keeps global mutable state (liboath is initialised once, internally).
 * Messages written to es_err never contain a full identity number, a
 * password or a TOTP secret; at most a single offending character and its
 * position.  Rules, formats and the provider protocol: docs/identity.md.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#ifndef ESEAL_AUTH_H
#define ESEAL_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "eseal/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- check digits (src/auth/checkdigit.c) ----
 *
 * All four return 0 when the value is well formed and its check character is
 * right, else ES_EIDENTITY with a message that names the problem (length,
 * character at position N (1-based), birth date, check character).  NULL
 * input is reported as ES_EIDENTITY "missing", not asserted, because these
 * are fed directly from forms. */

/** Length of a unified social credit code and of a resident ID number. */
#define ES_USCC_LEN 18
#define ES_RESIDENT_ID_LEN 18
/** Bank card numbers (PAN): ISO/IEC 7812 allows 12..19 digits. */
#define ES_BANK_CARD_MIN_DIGITS 12
#define ES_BANK_CARD_MAX_DIGITS 19
/** Mainland mobile numbers: 11 digits, "1" then 3..9. */
#define ES_MOBILE_LEN 11

/** Unified social credit code, GB 32100-2015 (统一社会信用代码).
 * 18 characters from 0-9 A-H J-N P-R T-U W-Y (no I O Z S V); first character
 * a registration authority code (1-9, A, N, Y); characters 3..8 the
 * administrative division (digits); character 18 the mod-31 check character.
 * Lower-case letters are accepted as their upper-case form (see
 * es_uscc_normalise()). */
int es_uscc_check(const char *code, es_err *err);

/** Check like es_uscc_check() and write the canonical upper-case form.
 * @param[out] out 19 bytes; on error it holds "". */
int es_uscc_normalise(char out[ES_USCC_LEN + 1], const char *code, es_err *err);

/** Resident identity number, GB 11643-1999 (公民身份号码): 17 digits and a
 * check character (0-9 or X; a lower-case x is accepted and means X, see
 * es_resident_id_normalise()).  Characters 7..14 must be a real calendar
 * date YYYYMMDD, year >= 1900 and not after today (UTC).  The check
 * character is ISO 7064 MOD 11-2. */
int es_resident_id_check(const char *id, es_err *err);

/** Check like es_resident_id_check() and write the canonical form (x -> X).
 * @param[out] out 19 bytes; on error it holds "". */
int es_resident_id_normalise(char out[ES_RESIDENT_ID_LEN + 1], const char *id,
			     es_err *err);

/** Bank card number: 12..19 digits after removing spaces, Luhn (ISO/IEC
 * 7812-1 annex B) check digit.  Any other character is an error. */
int es_bank_card_check(const char *pan, es_err *err);

/** Check like es_bank_card_check() and write the digits without spaces.
 * @param[out] out 20 bytes; on error it holds "". */
int es_bank_card_normalise(char out[ES_BANK_CARD_MAX_DIGITS + 1], const char *pan,
			   es_err *err);

/** Mainland China mobile number: exactly 11 digits matching 1[3-9]xxxxxxxxx.
 * No "+86", spaces or dashes. */
int es_mobile_check(const char *mobile, es_err *err);

/* ---- masking (src/auth/mask.c) ----
 *
 * Display forms for logs, receipts and screens.  Each writes a NUL-terminated
 * string into out (cap bytes) and returns 0, ES_ERANGE when cap is too small
 * (out then holds "" when cap > 0) or ES_EINVAL for NULL input / invalid
 * UTF-8.  They do not validate the number: anything too short to keep both
 * ends is masked completely. */

/** Enough for any masked value of a valid input (bank card: 19 digits and
 * 4 spaces; name: 32 code points of 4 bytes). */
#define ES_MASK_LEN 130

/** "110***********123X": keep the first 3 and the last 4 characters. */
int es_mask_id(char *out, size_t cap, const char *id, es_err *err);
/** "6222 **** **** 1234": spaces in the input are ignored; keep the first 4
 * and last 4 digits; groups of 4, the last 4 always a group of their own
 * (19 digits: "6222 **** **** *** 1234"). */
int es_mask_bank_card(char *out, size_t cap, const char *pan, es_err *err);
/** "138****5678": keep the first 3 and the last 4 characters. */
int es_mask_mobile(char *out, size_t cap, const char *mobile, es_err *err);
/** Names, UTF-8 aware: one character -> "*", two -> "张*", three or more keep
 * the first and the last character and replace each one between by "*"
 * ("张*明", "欧**锋"). */
int es_mask_name(char *out, size_t cap, const char *name, es_err *err);

/* ---- passwords (src/auth/password.c) ---- */

/** Argon2id (RFC 9106) default cost: 3 passes over 64 MiB, 1 lane.  The
 * measured time on the reference machine is in docs/identity.md.  For test
 * suites only, $ESEAL_ARGON2_M_KIB and $ESEAL_ARGON2_T override memory and
 * passes of new hashes (verification always uses the parameters stored in
 * the hash). */
#define ES_ARGON2_T_COST 3u
#define ES_ARGON2_M_COST_KIB (64u * 1024u)
#define ES_ARGON2_PARALLELISM 1u
#define ES_ARGON2_SALT_LEN 16u
#define ES_ARGON2_HASH_LEN 32u
/** Buffer for the encoded hash "$argon2id$v=19$m=65536,t=3,p=1$salt$hash"
 * with NUL, for any allowed parameters. */
#define ES_PASSWORD_HASH_LEN 128
/** Policy: at least 10 characters (code points), at most 1024 bytes. */
#define ES_PASSWORD_MIN_CHARS 10
#define ES_PASSWORD_MAX_BYTES 1024

/** Hash a password with Argon2id and a fresh 16-byte random salt.
 * @param[out] out the standard encoded string, NUL-terminated.
 * @return 0; ES_EINVAL when an override variable is malformed or out of range
 *   or the password is longer than ES_PASSWORD_MAX_BYTES; ES_ECRYPTO or
 *   ES_ENOMEM when Argon2 fails. */
int es_password_hash(char out[ES_PASSWORD_HASH_LEN], const char *password, es_err *err);

/** Verify password against an encoded Argon2id hash in constant time.
 * @return 0 on match, ES_EAUTH on mismatch, ES_EFORMAT when encoded is not an
 *   Argon2id hash, ES_ECRYPTO/ES_ENOMEM when Argon2 fails. */
int es_password_verify(const char *encoded, const char *password, es_err *err);

/** 1 when encoded is weaker than what es_password_hash() would make now
 * (fewer passes or less memory: re-hash after a successful login), 0 when it
 * is as strong or stronger (never weakened), ES_EFORMAT when it cannot be
 * parsed. */
int es_password_needs_rehash(const char *encoded, es_err *err);

/** Password policy: at least ES_PASSWORD_MIN_CHARS characters, valid UTF-8,
 * no control characters, and characters from at least two classes (lower
 * case, upper case, digits, other).  Returns 0 or ES_EINVAL saying what is
 * wrong (never echoing the password). */
int es_password_policy_check(const char *password, es_err *err);

/* ---- TOTP (src/auth/totp.c), RFC 6238 with HMAC-SHA-1, 30 s, 6 digits ---- */

#define ES_TOTP_SECRET_BYTES 20
/** Base32 of 20 bytes is 32 characters, no padding; plus NUL. */
#define ES_TOTP_SECRET_B32_LEN 33
#define ES_TOTP_DIGITS 6
#define ES_TOTP_STEP_S 30
/** Steps accepted either side of the current one. */
#define ES_TOTP_WINDOW_STEPS 1
#define ES_TOTP_ISSUER "eseal"

/** New random TOTP secret, Base32 (RFC 4648, upper case, no padding).
 * The caller stores it sealed (es_secret_seal) and wipes its copy. */
int es_totp_secret_new(char out[ES_TOTP_SECRET_B32_LEN], es_err *err);

/** Key URI for authenticator apps:
 * "otpauth://totp/eseal:LOGIN?secret=SECRET&issuer=eseal" with LOGIN
 * percent-encoded.  Returns ES_ERANGE when cap is too small, ES_EINVAL for an
 * empty login or a malformed secret. */
int es_totp_uri(char *out, size_t cap, const char *login, const char *secret_b32,
		es_err *err);

/** The 6-digit code for time now (for tests and enrolment screens).
 * @param[out] out 7 bytes. */
int es_totp_code(const char *secret_b32, time_t now,
		 char out[ES_TOTP_DIGITS + 1], es_err *err);

/** Verify a 6-digit code against now-30 s, now and now+30 s.  All candidates
 * are compared in constant time.  Does not prevent replay within the window:
 * use es_totp_verify_step() for that.
 * @return 0 when valid, ES_EAUTH when not (including a code that is not 6
 *   digits), ES_EINVAL for a malformed secret. */
int es_totp_verify(const char *secret_b32, const char *code, time_t now, es_err *err);

/** Like es_totp_verify() but rejects any time step <= last_step (replay of a
 * code already used; pass 0 the first time) and reports the matched step in
 * *step_out, which the caller must persist as the new last_step. */
int es_totp_verify_step(const char *secret_b32, const char *code, time_t now,
			uint64_t last_step, uint64_t *step_out, es_err *err);

/* ---- identity verification (src/auth/identity.c) ---- */

/** Who is being verified.  Fields that do not apply are NULL (or "").
 * kind "person" needs name + id_number; "organisation" needs name + uscc;
 * "bank-card" needs name + bank_card (with id_number and mobile present this
 * is the usual 3/4-factor bank check). */
typedef struct es_identity {
	const char *kind; /* "person" | "organisation" | "bank-card" */
	const char *name;
	const char *id_number;
	const char *bank_card;
	const char *mobile;
	const char *uscc;
} es_identity;

/** Default provider timeout; $ESEAL_IDP_TIMEOUT_MS (1..600000) overrides. */
#define ES_IDP_TIMEOUT_MS 10000
/** Largest provider reply read; more is a provider failure. */
#define ES_IDP_OUTPUT_MAX (64 * 1024)
/** Longest provider reason kept (bytes, cut at a UTF-8 boundary). */
#define ES_IDP_REASON_MAX 200

/** Verify an identity: first the built-in checks (kind, required fields,
 * format and check digits of every field present); then, when
 * $ESEAL_IDP_CMD is set, the external provider: `/bin/sh -c "$ESEAL_IDP_CMD"`
 * is started with the identity as JSON on stdin (no data on the command
 * line or in the environment) and must answer {"match": bool, "reason": "..."}
 * on stdout within the timeout.  Protocol: docs/identity.md.
 *
 * @param reason  optional (NULL, 0 allowed): receives a short user-facing
 *   explanation — the failed check, the provider's sanitised reason, or a
 *   note that the identity was accepted.  Never contains a full number.
 * @return 0 when all checks pass and the provider (if any) says match;
 *   ES_EIDENTITY when a check fails, the provider says no, or the provider
 *   fails (message "identity provider failed: ..." naming not found / exit
 *   status / signal / timeout / bad reply / reply too large); ES_ENOMEM or
 *   ES_EIO for local failures.
 * Blocks for up to the timeout; safe to call from several threads. */
int es_identity_verify(const es_identity *id, char *reason, size_t reason_cap,
		       es_err *err);

#ifdef __cplusplus
}
#endif
#endif
