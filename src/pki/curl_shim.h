/* Internal to src/pki: libcurl loaded on first use (curl_shim.c).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_PKI_CURL_SHIM_H
#define ES_PKI_CURL_SHIM_H

#include "eseal/err.h"

/** Load libcurl now; ES_ENOTSUP with the reason when it is missing. */
int es_curl_require(es_err *err);

#endif
