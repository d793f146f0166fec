/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include "eseal/err.h"

static void vset(es_err *err, int code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int es_err_set(es_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int es_err_ssl(es_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	unsigned long e = ERR_peek_last_error();
	char reason[128] = "";

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	if (reason[0] != '\0') {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, " (%s)", reason);
	}
	return code;
}

void es_err_clear(es_err *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

const char *es_strerror(int code)
{
	switch (code) {
	case ES_OK: return "ok";
	case ES_EINVAL: return "invalid input";
	case ES_ENOMEM: return "out of memory";
	case ES_EIO: return "I/O error";
	case ES_ENOTFOUND: return "not found";
	case ES_EEXISTS: return "already exists";
	case ES_ESTATE: return "wrong state";
	case ES_EAUTH: return "authentication failed";
	case ES_EPERM: return "permission denied";
	case ES_EFORMAT: return "malformed input";
	case ES_ECRYPTO: return "cryptographic failure";
	case ES_ESTORE: return "store failure";
	case ES_EPDF: return "PDF error";
	case ES_EOFD: return "OFD error";
	case ES_ERANGE: return "out of range";
	case ES_EIDENTITY: return "identity check failed";
	case ES_ENOTSUP: return "not supported";
	case ES_EBUSY: return "temporarily locked";
	case ES_EVERIFY: return "verification failed";
	case ES_ENET: return "network service failed";
	default: return "unknown error";
	}
}
