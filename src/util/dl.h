/* Shared libraries loaded on first use.
 *
 * libcurl, libmicrohttpd and libxml2 pull in about forty further libraries
 * (GnuTLS, Kerberos, LDAP, ICU, ...).  Linked normally, the dynamic loader maps
 * and relocates all of them at every start of the `eseal` command, which
 * costs about 10 ms of a 15 ms `eseal --version` on the reference machine
 * (docs/PERFORMANCE.md), although a PDF signature uses none of them.  The
 * few functions eseal calls are therefore defined in small shim files
 * (src/pki/curl_shim.c, src/http/mhd_shim.c, src/ofd/xml_shim.c,
 * src/ofd/zip_shim.c: libzip brings libbz2 and the shared zlib,
 * src/store/sqlite_shim.c: a one-shot verification opens no store) under the
 * libraries' own names; each shim resolves the real function here the first
 * time it is needed.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_UTIL_DL_H
#define ES_UTIL_DL_H

#include <stddef.h>
#include "eseal/err.h"

/** One symbol to resolve into *slot (a function or data pointer). */
typedef struct es_dl_sym {
	const char *name;
	void **slot;
} es_dl_sym;

/** A library and the symbols eseal needs from it.  Define one per library as
 * a static with the first four fields set; the rest is filled in once. */
typedef struct es_dl_lib {
	const char *const *sonames; /**< candidates, NULL-terminated */
	const es_dl_sym *syms;
	size_t nsyms;
	const char *package;        /**< Debian package to name in the error */
	void (*after_load)(void);   /**< called once after loading, or NULL */
	int state;                  /**< 0 not tried, 1 loaded, -1 failed */
	char why[160];
} es_dl_lib;

/** Load lib and resolve all of its symbols, once per process (thread-safe).
 * 0 when every symbol is there; ES_ENOTSUP with the reason otherwise (and the
 * same answer on every later call). */
int es_dl_require(es_dl_lib *lib, es_err *err);

#endif
