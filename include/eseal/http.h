/* eseal: the REST server (`eseal serve`) — libmicrohttpd + jansson.
 *
 * One es_platform (SQLite connection) per worker thread; every route with
 * its allowed roles and object scope lives in one table (src/http/router.c,
 * es_http_routes()), so authorisation is decided in one place.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#ifndef ESEAL_HTTP_H
#define ESEAL_HTTP_H

#include <stddef.h>
#include "eseal/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ES_HTTP_DEFAULT_LISTEN "127.0.0.1:8600"
#define ES_HTTP_DEFAULT_MAX_BODY ((size_t)100 * 1024 * 1024)
#define ES_HTTP_DEFAULT_THREADS 4
#define ES_HTTP_DEFAULT_CONN_TIMEOUT_S 60
#define ES_HTTP_DEFAULT_ADDR_FAILURES 20
#define ES_HTTP_JSON_MAX_DEPTH 32
#define ES_HTTP_JSON_MAX_BYTES (1024 * 1024)

typedef struct es_http_opts {
	int version;
	const char *data_dir;
	const char *listen;          /**< "HOST:PORT"; port 0 picks a free one */
	const char *base_url;        /**< public URL (for logs and links); NULL = from listen */
	const char *tls_cert, *tls_key; /**< PEM files: HTTPS and Secure cookies */
	size_t max_body;             /**< upload cap in bytes */
	unsigned threads;            /**< worker threads (each has its own store connection) */
	unsigned conn_timeout_s;
	int addr_failures;           /**< failed logins per client address before back-off */
	int quiet;                   /**< no access log */
	const char *web_dir;         /**< the web page (web/); NULL: $ESEAL_WEB_DIR, else the source tree's */
	const char *trusted_proxies; /**< comma-separated proxy addresses whose X-Forwarded-For is believed */
} es_http_opts;
#define ES_HTTP_OPTS_INIT {1, NULL, ES_HTTP_DEFAULT_LISTEN, NULL, NULL, NULL, \
	ES_HTTP_DEFAULT_MAX_BODY, ES_HTTP_DEFAULT_THREADS, ES_HTTP_DEFAULT_CONN_TIMEOUT_S, \
	ES_HTTP_DEFAULT_ADDR_FAILURES, 0, NULL, NULL}

typedef struct es_http_server es_http_server;

/** Check the data dir, bind and start serving in background threads. */
int es_http_start(es_http_server **out, const es_http_opts *o, es_err *err);
/** Port actually bound (useful with port 0). */
unsigned es_http_port(const es_http_server *s);
/** Stop accepting, finish running requests, close every store connection. */
void es_http_stop(es_http_server *s);

/** The embedded docs/openapi.json (NUL-terminated). */
const char *es_http_openapi(size_t *len);

#ifdef __cplusplus
}
#endif
#endif
