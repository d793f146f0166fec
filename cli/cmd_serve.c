/* eseal serve: the REST API.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eseal/http.h"
#include "cli.h"

#define ES_MIB (1024L * 1024L)
#define ES_MAX_BODY_MIB_LIMIT 4096L
#define ES_MAX_THREADS 64L
#define ES_MAX_TIMEOUT_S 3600L

static void serve_help(void)
{
	printf("usage: eseal [--data DIR] serve [--listen HOST:PORT] [--base-url URL]\n"
	       "                         [--tls-cert FILE --tls-key FILE] [--max-body MIB]\n"
	       "                         [--threads N] [--timeout S] [--addr-failures N]\n"
	       "                         [--trusted-proxy ADDR[,ADDR...]] [--web DIR] [--quiet]\n\n"
	       "Serve the REST API under /api/v1 (docs/server.md, /api/v1/openapi.json).\n"
	       "  --listen HOST:PORT  address to bind (default 127.0.0.1:8600; port 0 picks a free\n"
	       "                      port); the bound address is printed on stdout\n"
	       "  --base-url URL      public URL of the server (behind a reverse proxy)\n"
	       "  --tls-cert FILE     PEM certificate: serve HTTPS, cookies get Secure\n"
	       "  --tls-key FILE      PEM private key of --tls-cert\n"
	       "  --max-body MIB      largest accepted request body (default 100)\n"
	       "  --threads N         worker threads, each with its own store connection (default 4)\n"
	       "  --timeout S         idle connection timeout in seconds (default 60)\n"
	       "  --addr-failures N   failed logins per client address before back-off (default 20)\n"
	       "  --trusted-proxy A   reverse proxies (numeric addresses, comma-separated) whose\n"
	       "                      X-Forwarded-For names the client; ignored from anyone else\n"
	       "  --web DIR           serve the web page from DIR at / (default $ESEAL_WEB_DIR, else\n"
	       "                      the source tree's web/)\n"
	       "  --quiet             no access log on stderr\n"
	       "Stops cleanly on SIGTERM or SIGINT.\n");
}

static int num_opt(long *out, const char *name, const char *v, long min, long max)
{
	char *end = NULL;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return cli_usage("%s wants a number from %ld to %ld", name, min, max);
	*out = n;
	return 0;
}

static int parse(es_http_opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{"listen", required_argument, 0, 'l'}, {"base-url", required_argument, 0, 'b'},
		{"tls-cert", required_argument, 0, 'c'}, {"tls-key", required_argument, 0, 'k'},
		{"max-body", required_argument, 0, 'm'}, {"threads", required_argument, 0, 't'},
		{"timeout", required_argument, 0, 'T'}, {"addr-failures", required_argument, 0, 'f'},
		{"quiet", no_argument, 0, 'q'}, {"web", required_argument, 0, 'w'},
		{"trusted-proxy", required_argument, 0, 'P'},
		{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	long v;
	int ch;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'l': o->listen = optarg; break;
		case 'b': o->base_url = optarg; break;
		case 'c': o->tls_cert = optarg; break;
		case 'k': o->tls_key = optarg; break;
		case 'm':
			if (num_opt(&v, "--max-body", optarg, 1, ES_MAX_BODY_MIB_LIMIT))
				return EXIT_USAGE;
			o->max_body = (size_t)v * (size_t)ES_MIB;
			break;
		case 't':
			if (num_opt(&v, "--threads", optarg, 1, ES_MAX_THREADS))
				return EXIT_USAGE;
			o->threads = (unsigned)v;
			break;
		case 'T':
			if (num_opt(&v, "--timeout", optarg, 1, ES_MAX_TIMEOUT_S))
				return EXIT_USAGE;
			o->conn_timeout_s = (unsigned)v;
			break;
		case 'f':
			if (num_opt(&v, "--addr-failures", optarg, 1, INT_MAX))
				return EXIT_USAGE;
			o->addr_failures = (int)v;
			break;
		case 'q': o->quiet = 1; break;
		case 'w': o->web_dir = optarg; break;
		case 'P': o->trusted_proxies = optarg; break;
		case 'h': serve_help(); return -1;
		default:
			return cli_bad_option("serve", argv);
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'; see 'eseal serve --help'", argv[optind]);
	return 0;
}

int cmd_serve(cli_ctx *c, int argc, char **argv)
{
	es_http_opts o = ES_HTTP_OPTS_INIT;
	es_http_server *s = NULL;
	es_err err = ES_ERR_INIT;
	sigset_t set;
	int rc, sig = 0;

	if ((rc = parse(&o, argc, argv)) != 0)
		return rc < 0 ? EXIT_OK : rc;
	o.data_dir = es_data_dir(c->data_dir);
	/* Block the stop signals in every thread; this one waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (es_http_start(&s, &o, &err) < 0)
		return cli_fail(&err);
	printf("listening on %s://%.*s:%u\n", o.tls_cert ? "https" : "http",
	       (int)(strrchr(o.listen, ':') - o.listen), o.listen, es_http_port(s));
	fprintf(stderr, "eseal: serving %s on port %u%s%s; stop with SIGTERM or Ctrl-C\n", o.data_dir,
		es_http_port(s), o.base_url ? " as " : "", o.base_url ? o.base_url : "");
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;
	fprintf(stderr, "eseal: signal %d, finishing requests and stopping\n", sig);
	es_http_stop(s);
	return EXIT_OK;
}
