/* libmicrohttpd glue: bodies, limits, headers, access log, one store
 * connection per worker thread.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include "http_int.h"
#include "util/util.h"

#define ES_CLIENT_LEN 64
#define ES_TLS_PEM_MAX (1024 * 1024)
#define ES_HTTP_STOP_WAIT_MS 15000
#define ES_HTTP_STOP_POLL_MS 10
#define ES_MS_PER_S 1000.0
#define ES_NS_PER_MS 1e6

extern const unsigned char es_openapi_json[];
extern const size_t es_openapi_json_len;

struct es_http_server {
	struct MHD_Daemon *d;
	es_http_opts o;
	char data_dir[PATH_MAX];
	pthread_mutex_t mu;
	es_platform **plats;           /* every per-thread platform, closed on stop */
	size_t nplats, cap;
	unsigned port;
	es_buf cert, key;
	atomic_int stopping;           /* set by es_http_stop(): new requests get 503 */
	atomic_int inflight;           /* requests begun and not completed */
};

typedef struct conn {
	es_buf body;
	int too_big;
	struct timespec t0;
} conn;

/* The worker thread's platform (one SQLite connection per thread). */
static _Thread_local struct { es_http_server *srv; es_platform *p; } tl;

const char *es_http_openapi(size_t *len)
{
	*len = es_openapi_json_len;
	return (const char *)es_openapi_json;
}

unsigned es_http_port(const es_http_server *s)
{
	return s->port;
}

static es_platform *thread_platform(es_http_server *s, es_err *err)
{
	es_platform *p = NULL, **grown;

	if (tl.srv == s && tl.p != NULL)
		return tl.p;
	if (es_platform_open(&p, s->data_dir, err) < 0)
		return NULL;
	pthread_mutex_lock(&s->mu);
	if (s->nplats == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		grown = realloc(s->plats, cap * sizeof(*grown));
		if (grown == NULL) {
			pthread_mutex_unlock(&s->mu);
			es_platform_close(p);
			es_err_set(err, ES_ENOMEM, "out of memory");
			return NULL;
		}
		s->plats = grown;
		s->cap = cap;
	}
	s->plats[s->nplats++] = p;
	pthread_mutex_unlock(&s->mu);
	tl.srv = s;
	tl.p = p;
	return p;
}

static const char *lookup(void *ctx, int kind, const char *name)
{
	enum MHD_ValueKind k = kind == ES_LK_HEADER ? MHD_HEADER_KIND :
			       kind == ES_LK_QUERY ? MHD_GET_ARGUMENT_KIND : MHD_COOKIE_KIND;
	return MHD_lookup_connection_value((struct MHD_Connection *)ctx, k, name);
}

/* The TCP peer, or behind a trusted proxy the address it forwards (proxy.c). */
static void client_addr(const es_http_server *s, struct MHD_Connection *mc, char *buf, size_t cap)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	char peer[ES_CLIENT_LEN] = "unknown";

	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, peer,
			  (socklen_t)sizeof(peer));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, peer,
			  (socklen_t)sizeof(peer));
	es_http_client_address(buf, cap, peer,
			       MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "X-Forwarded-For"),
			       s->o.trusted_proxies);
}

static void add_security_headers(struct MHD_Response *resp, int tls)
{
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; script-src 'self'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (tls)
		MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
}

static enum MHD_Result send_resp(es_http_server *s, struct MHD_Connection *mc, es_hresp *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char ra[32];

	if (r->body != NULL)
		resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(r->body);
		r->body = NULL;
		return MHD_NO;
	}
	r->body = NULL; /* MHD frees it */
	add_security_headers(resp, s->o.tls_cert != NULL);
	if (r->ctype[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
	if (r->set_cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
	if (r->disposition[0])
		MHD_add_response_header(resp, "Content-Disposition", r->disposition);
	if (r->retry_after > 0) {
		snprintf(ra, sizeof(ra), "%ld", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	ret = MHD_queue_response(mc, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* One JSON line per request: no query strings, bodies, cookies or tokens. */
static void access_log(es_http_server *s, const char *method, const char *url, int status,
		       const struct timespec *t0, const es_hreq *q)
{
	struct timespec t1;
	double ms;
	json_t *j;
	char *line;

	if (s->o.quiet)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0->tv_sec) * ES_MS_PER_S + (double)(t1.tv_nsec - t0->tv_nsec) / ES_NS_PER_MS;
	j = json_pack("{s:I,s:s,s:s,s:i,s:f,s:s}", "ts", (json_int_t)time(NULL), "method", method,
		      "path", url, "status", status, "ms", ms,
		      "user", q && q->authed ? q->who.login : "-");
	line = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(4)) : NULL;
	if (line != NULL)
		fprintf(stderr, "%s\n", line);
	free(line);
	json_decref(j);
}

static enum MHD_Result stopping_reply(es_http_server *s, struct MHD_Connection *mc, const char *method,
				      const char *url, conn *c)
{
	es_hresp r;

	memset(&r, 0, sizeof(r));
	es_resp_error(&r, 503, "stopping", "the server is shutting down; retry in a moment");
	access_log(s, method, url, 503, &c->t0, NULL);
	return send_resp(s, mc, &r);
}

static enum MHD_Result too_large(es_http_server *s, struct MHD_Connection *mc, const char *method,
				 const char *url, conn *c)
{
	es_hresp r;

	memset(&r, 0, sizeof(r));
	es_resp_error(&r, 413, "too_large", "the request body is larger than the server accepts (--max-body)");
	access_log(s, method, url, 413, &c->t0, NULL);
	return send_resp(s, mc, &r);
}

static enum MHD_Result handle(es_http_server *s, struct MHD_Connection *mc, const char *method,
			      const char *url, conn *c)
{
	char client[ES_CLIENT_LEN];
	es_err err = ES_ERR_INIT;
	es_hreq q;
	es_hresp r;
	enum MHD_Result ret;

	memset(&q, 0, sizeof(q));
	memset(&r, 0, sizeof(r));
	client_addr(s, mc, client, sizeof(client));
	q.method = method;
	q.path = url;
	q.body = c->body.data;
	q.body_len = c->body.len;
	q.client = client;
	q.tls = s->o.tls_cert != NULL;
	q.lookup = lookup;
	q.ctx = mc;
	q.opts = &s->o;
	q.web_dir = s->o.web_dir;
	q.p = thread_platform(s, &err);
	if (q.p == NULL) {
		es_resp_err(&r, &err);
	} else {
#ifdef ES_PLATFORM_SET_CLIENT
		/* Core operations (es_audit) record the client address too. */
		es_platform_set_client(q.p, client);
#endif
		es_http_dispatch(&q, &r);
	}
	access_log(s, method, url, r.status, &c->t0, &q);
	ret = send_resp(s, mc, &r);
	OPENSSL_cleanse(&q.who, sizeof(q.who));
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	es_http_server *s = cls;
	conn *c = *con_cls;

	(void)version;
	if (c == NULL) {
		const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		long n = 0;
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &c->t0);
		*con_cls = c;
		atomic_fetch_add(&s->inflight, 1);
		if (atomic_load(&s->stopping))
			return stopping_reply(s, mc, method, url, c);
		if (cl != NULL && (es_parse_long(&n, cl, 0, LONG_MAX) < 0 || (size_t)n > s->o.max_body)) {
			c->too_big = 1;
			return too_large(s, mc, method, url, c);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!c->too_big && c->body.len + *upload_data_size > s->o.max_body) {
			c->too_big = 1;
			es_buf_free(&c->body, 1);
		}
		if (!c->too_big && es_buf_append(&c->body, upload_data, *upload_data_size, NULL) < 0) {
			c->too_big = 1;
			es_buf_free(&c->body, 1);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (c->too_big)
		return too_large(s, mc, method, url, c);
	return handle(s, mc, method, url, c);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	es_http_server *s = cls;
	conn *c = *con_cls;

	(void)mc;
	(void)toe;
	if (c == NULL)
		return;
	atomic_fetch_sub(&s->inflight, 1);
	/* Bodies may hold passwords (JSON) or documents: wipe. */
	es_buf_free(&c->body, 1);
	free(c);
	*con_cls = NULL;
}

/* "HOST:PORT", "[V6]:PORT". */
static int parse_listen(const char *l, struct sockaddr_storage *ss, socklen_t *sl, int *v6, es_err *err)
{
	char host[128];
	const char *colon = strrchr(l, ':');
	long port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (colon == NULL || es_parse_long(&port, colon + 1, 0, 65535) < 0)
		return es_err_set(err, ES_EINVAL, "--listen wants HOST:PORT, e.g. 127.0.0.1:8600");
	hl = (size_t)(colon - l);
	if (hl >= 2 && l[0] == '[' && l[hl - 1] == ']') {
		l++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return es_err_set(err, ES_EINVAL, "--listen host too long");
	memcpy(host, l, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*sl = sizeof(struct sockaddr_in);
		*v6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		*sl = sizeof(struct sockaddr_in6);
		*v6 = 1;
		return 0;
	}
	return es_err_set(err, ES_EINVAL, "--listen host must be a numeric IPv4 or IPv6 address, got '%s'", host);
}

static int load_tls(es_http_server *s, es_err *err)
{
	int rc;

	if (s->o.tls_cert == NULL && s->o.tls_key == NULL)
		return 0;
	if (s->o.tls_cert == NULL || s->o.tls_key == NULL)
		return es_err_set(err, ES_EINVAL, "--tls-cert and --tls-key go together");
	if ((rc = es_file_read(&s->cert, s->o.tls_cert, ES_TLS_PEM_MAX, err)) < 0 ||
	    (rc = es_file_read(&s->key, s->o.tls_key, ES_TLS_PEM_MAX, err)) < 0 ||
	    (rc = es_buf_append(&s->cert, "", 1, err)) < 0 || (rc = es_buf_append(&s->key, "", 1, err)) < 0)
		return rc;
	return 0;
}

static void server_free(es_http_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nplats; i++)
		es_platform_close(s->plats[i]);
	free(s->plats);
	es_buf_free(&s->cert, 0);
	es_buf_free(&s->key, 1);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int es_http_start(es_http_server **out, const es_http_opts *o, es_err *err)
{
	es_http_server *s;
	es_platform *probe = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	const union MHD_DaemonInfo *di;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	int v6 = 0, rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	pthread_mutex_init(&s->mu, NULL);
	s->o = *o;
	snprintf(s->data_dir, sizeof(s->data_dir), "%s", es_data_dir(o->data_dir));
	if (s->o.max_body == 0)
		s->o.max_body = ES_HTTP_DEFAULT_MAX_BODY;
	if (s->o.threads == 0)
		s->o.threads = ES_HTTP_DEFAULT_THREADS;
	if (s->o.addr_failures <= 0)
		s->o.addr_failures = ES_HTTP_DEFAULT_ADDR_FAILURES;
	if (o->trusted_proxies != NULL && !es_http_proxy_list_valid(o->trusted_proxies)) {
		rc = es_err_set(err, ES_EINVAL,
				"--trusted-proxy wants numeric IP addresses separated by commas, e.g. 127.0.0.1,::1");
		goto fail;
	}
	/* Fail early, before binding, when the data dir is not usable. */
	if ((rc = es_platform_open(&probe, s->data_dir, err)) < 0)
		goto fail;
	es_platform_close(probe);
	if ((rc = parse_listen(o->listen ? o->listen : ES_HTTP_DEFAULT_LISTEN, &ss, &sl, &v6, err)) < 0 ||
	    (rc = load_tls(s, err)) < 0 || (rc = es_mhd_require(err)) < 0)
		goto fail;
	if (v6)
		flags |= MHD_USE_IPv6;
	if (s->cert.data != NULL)
		flags |= MHD_USE_TLS;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)s->o.threads,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->o.conn_timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		s->cert.data ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, (const char *)s->cert.data,
		MHD_OPTION_HTTPS_MEM_KEY, (const char *)s->key.data,
		MHD_OPTION_END);
	if (s->d == NULL) {
		rc = es_err_set(err, ES_EIO, "cannot listen on %s (address in use, or no permission)",
				o->listen ? o->listen : ES_HTTP_DEFAULT_LISTEN);
		goto fail;
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	(void)sl;
	*out = s;
	return 0;
fail:
	server_free(s);
	return rc;
}

void es_http_stop(es_http_server *s)
{
	int waited_ms;

	if (s == NULL)
		return;
	/* Graceful stop without MHD_quiesce_daemon(): with epoll and a thread
	 * pool it races with the workers (libmicrohttpd 0.9.75 aborts on the
	 * ENOENT of a doubled EPOLL_CTL_DEL).  New requests get 503 while the
	 * ones in flight finish, bounded by ES_HTTP_STOP_WAIT_MS. */
	atomic_store(&s->stopping, 1);
	for (waited_ms = 0; atomic_load(&s->inflight) > 0 && waited_ms < ES_HTTP_STOP_WAIT_MS;
	     waited_ms += ES_HTTP_STOP_POLL_MS) {
		struct timespec ts = {0, ES_HTTP_STOP_POLL_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (s->d != NULL)
		MHD_stop_daemon(s->d);
	server_free(s);
}
