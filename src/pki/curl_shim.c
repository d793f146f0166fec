/* libcurl, loaded on first use (see src/util/dl.h for why).
 *
 * Defines the libcurl functions eseal calls, under their own names; each
 * forwards to the real one in libcurl.so.4.  curl_easy_setopt() and
 * curl_easy_getinfo() are variadic: the argument's type follows from the
 * option number (CURLOPTTYPE_* ranges, CURLINFO_* always a pointer), so it is
 * read with that type and passed on.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#define CURL_DISABLE_TYPECHECK 1
#include <stdarg.h>
#include <curl/curl.h>
#include "curl_shim.h"
#include "util/dl.h"

typedef void (*any_fn)(void);

static __typeof__(curl_easy_init) *p_init;
static __typeof__(curl_easy_setopt) *p_setopt;
static __typeof__(curl_easy_perform) *p_perform;
static __typeof__(curl_easy_getinfo) *p_getinfo;
static __typeof__(curl_easy_strerror) *p_strerror;
static __typeof__(curl_easy_cleanup) *p_cleanup;
static __typeof__(curl_slist_append) *p_slist_append;
static __typeof__(curl_slist_free_all) *p_slist_free_all;

static const char *const curl_sonames[] = {"libcurl.so.4", "libcurl-gnutls.so.4", NULL};
static const es_dl_sym curl_syms[] = {
	{"curl_easy_init", (void **)&p_init},
	{"curl_easy_setopt", (void **)&p_setopt},
	{"curl_easy_perform", (void **)&p_perform},
	{"curl_easy_getinfo", (void **)&p_getinfo},
	{"curl_easy_strerror", (void **)&p_strerror},
	{"curl_easy_cleanup", (void **)&p_cleanup},
	{"curl_slist_append", (void **)&p_slist_append},
	{"curl_slist_free_all", (void **)&p_slist_free_all},
};
static es_dl_lib curl_lib = {curl_sonames, curl_syms, sizeof(curl_syms) / sizeof(curl_syms[0]),
			     "libcurl4", NULL, 0, ""};

int es_curl_require(es_err *err)
{
	return es_dl_require(&curl_lib, err);
}

CURL *curl_easy_init(void)
{
	return es_curl_require(NULL) == 0 ? p_init() : NULL;
}

CURLcode curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;

	if (es_curl_require(NULL) < 0)
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = p_setopt(c, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = p_setopt(c, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = p_setopt(c, opt, va_arg(ap, any_fn));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = p_setopt(c, opt, va_arg(ap, curl_off_t));
	else
		rc = p_setopt(c, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_perform(CURL *c)
{
	return es_curl_require(NULL) == 0 ? p_perform(c) : CURLE_FAILED_INIT;
}

CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	va_list ap;
	CURLcode rc;

	if (es_curl_require(NULL) < 0)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	rc = p_getinfo(c, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

const char *curl_easy_strerror(CURLcode code)
{
	return es_curl_require(NULL) == 0 ? p_strerror(code) : "libcurl is not available";
}

void curl_easy_cleanup(CURL *c)
{
	if (c != NULL && es_curl_require(NULL) == 0)
		p_cleanup(c);
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	return es_curl_require(NULL) == 0 ? p_slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
	if (l != NULL && es_curl_require(NULL) == 0)
		p_slist_free_all(l);
}
