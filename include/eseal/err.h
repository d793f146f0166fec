/* eseal: error convention shared by the whole library.
 *
 * Every fallible function returns 0 or a negative ES_E* code and fills a
 * caller-owned es_err (which may be NULL).  The message is set once, where the
 * failure is seen, and says what the user can do about it.  It never contains
 * secrets or unmasked personal data.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#ifndef ESEAL_ERR_H
#define ESEAL_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ES_ERR_MSG_LEN 256

enum {
	ES_OK = 0,
	ES_EINVAL = -1,    /**< bad argument or bad input value (user error) */
	ES_ENOMEM = -2,    /**< out of memory */
	ES_EIO = -3,       /**< file or device I/O failed */
	ES_ENOTFOUND = -4, /**< the named object does not exist */
	ES_EEXISTS = -5,   /**< the object exists already (duplicate) */
	ES_ESTATE = -6,    /**< wrong state (revoked seal, not approved ...) */
	ES_EAUTH = -7,     /**< authentication failed (wrong password/TOTP) */
	ES_EPERM = -8,     /**< authenticated but not allowed */
	ES_EFORMAT = -9,   /**< malformed input file (not a seal/PDF/OFD) */
	ES_ECRYPTO = -10,  /**< a cryptographic operation failed */
	ES_ESTORE = -11,   /**< the data store failed */
	ES_EPDF = -12,     /**< PDF processing failed */
	ES_EOFD = -13,     /**< OFD processing failed */
	ES_ERANGE = -14,   /**< value out of range / too large */
	ES_EIDENTITY = -15,/**< identity check failed (bad ID number, provider says no) */
	ES_ENOTSUP = -16,  /**< not supported */
	ES_EBUSY = -17,    /**< locked out / rate limited */
	ES_EVERIFY = -18,  /**< a signature or seal did not verify */
	ES_ENET = -19      /**< network service (TSA/OCSP) failed */
};

/** Caller-owned error buffer (as curl's CURL_ERROR_SIZE buffer). */
typedef struct es_err {
	int code;                 /**< last ES_E* code, 0 when none */
	char msg[ES_ERR_MSG_LEN]; /**< human-readable, actionable, no secrets */
} es_err;

#define ES_ERR_INIT {0, {0}}

/** Store code and printf-style message in err (NULL allowed); returns code. */
int es_err_set(es_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Like es_err_set() but appends OpenSSL's queued error reason, then clears the queue. */
int es_err_ssl(es_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Reset err to "no error". */
void es_err_clear(es_err *err);

/** Short English name of a code ("invalid input", "not found", ...). */
const char *es_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif
