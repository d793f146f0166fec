/* eseal command-line front-end.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "cli.h"

static const cli_cmd commands[] = {
	{"init", cmd_init, "create a data directory with the platform PKI"},
	{"pki", cmd_pki, "show the platform certificate chain (pki show)"},
	{"crl", cmd_crl, "write the current CRLs (DER) of both issuing CAs"},
	{"org", cmd_org, "organisations: add, list"},
	{"user", cmd_user, "users: add, list, show"},
	{"seal", cmd_seal, "seals: apply, review, list, show, export, render, revoke, suspend, resume"},
	{"grant", cmd_grant, "seal grants (授权): add, list, remove"},
	{"sign", cmd_sign, "seal a PDF or OFD document"},
	{"verify", cmd_verify, "verify a seal (.esl), PDF or OFD"},
	{"render", cmd_render, "render a PDF or OFD page to PNG"},
	{"sample", cmd_sample, "write an unsigned sample OFD to try things out"},
	{"audit", cmd_audit, "audit log: verify, list"},
	{"backup", cmd_backup, "copy the data directory into a checkable backup"},
	{"restore", cmd_restore, "restore a backup into a new data directory"},
	{"serve", cmd_serve, "serve the REST API and the web page (docs/server.md)"},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: eseal [--data DIR] [--lang zh|en] COMMAND [ARGS]\n\n"
		   "Electronic seals (电子印章): make, use and verify GB/T 38540 seals, PAdES PDFs and OFDs.\n\n"
		   "Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nGlobal options:\n"
		   "  --data DIR   data directory (default: $ESEAL_DATA, else ./eseal-data)\n"
		   "  --lang L     language of reports: zh or en (default from $LANG)\n"
		   "  --version    print the version\n"
		   "  --help       this text; 'eseal COMMAND --help' for a command\n\n"
		   "Exit codes: 0 success / TOTAL_PASSED, 1 TOTAL_FAILED, 2 usage or input error,\n"
		   "3 INDETERMINATE.\n");
}

static const char *default_lang(void)
{
	const char *l = getenv("LC_ALL");

	if (l == NULL || *l == '\0')
		l = getenv("LANG");
	if (l != NULL && strncmp(l, "en", 2) == 0)
		return "en";
	return "zh";
}

int main(int argc, char **argv)
{
	cli_ctx c = {NULL, NULL, 0};
	int i = 1;
	size_t k;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("eseal %s\n", ESEAL_VERSION);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
			c.data_dir = argv[++i];
		} else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) {
			c.lang = argv[++i];
		} else {
			return cli_usage("unknown option %s; see 'eseal --help'", argv[i]);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (c.lang == NULL)
		c.lang = default_lang();
	/* The process ends right after the command: OpenSSL's exit-time cleanup
	 * (freeing every provider table, ≈ 0.8 M instructions) would only give
	 * memory back to a process about to disappear.  Keys are cleansed where
	 * they are freed, not by this handler. */
	/* `eseal verify` makes no connection and uses only the default
	 * provider's algorithms: it skips the system's openssl.cnf (parsing it
	 * is ≈ 5 % of a one-page verification) and OpenSSL's error texts (4 %:
	 * its findings are eseal's own words; a rare OpenSSL error shows as
	 * codes).  Every other command reads both (the configuration's TLS
	 * settings matter to an external TSA). */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT |
			    (strcmp(argv[i], "verify") == 0 ?
			     OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS : 0), NULL);
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			return commands[k].fn(&c, argc - i, argv + i);
	return cli_usage("unknown command '%s'; see 'eseal --help'", argv[i]);
}

int cli_fail(const es_err *err)
{
	fprintf(stderr, "eseal: %s\n", err->msg[0] ? err->msg : es_strerror(err->code));
	return EXIT_USAGE;
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("eseal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

int cli_open(cli_ctx *c, es_platform **p)
{
	es_err err = ES_ERR_INIT;

	if (es_platform_open(p, es_data_dir(c->data_dir), &err) < 0)
		return cli_fail(&err);
	return 0;
}

int cli_read_stdin_line(char *buf, size_t cap)
{
	size_t n;

	if (fgets(buf, (int)cap, stdin) == NULL)
		return -1;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] != '\n' && !feof(stdin)) {
		OPENSSL_cleanse(buf, cap);
		return -1; /* too long */
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

int cli_bad_option(const char *cmd, char **argv)
{
	return cli_usage("unknown or incomplete option '%s'; see 'eseal %s --help'", argv[optind - 1], cmd);
}

int cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

int cli_dispatch(cli_ctx *c, const char *group, const cli_cmd *cmds, int argc, char **argv)
{
	const cli_cmd *k;

	if (argc < 2 || (argv[1][0] == '-' && cli_wants_help(argc, argv))) {
		FILE *f = argc < 2 ? stderr : stdout;
		fprintf(f, "usage: eseal %s SUBCOMMAND [ARGS]\n\n", group);
		for (k = cmds; k->name; k++)
			fprintf(f, "  %-8s %s\n", k->name, k->summary);
		fprintf(f, "\n'eseal %s SUBCOMMAND --help' shows the options.\n", group);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (k = cmds; k->name; k++)
		if (strcmp(argv[1], k->name) == 0)
			return k->fn(c, argc - 1, argv + 1);
	return cli_usage("unknown subcommand 'eseal %s %s'; see 'eseal %s --help'", group, argv[1], group);
}

/* Write bytes to a file atomically (temp + fsync + rename) via a public helper. */
int cli_write_file(const char *path, const unsigned char *d, size_t n)
{
	char tmp[4200];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return cli_usage("output path too long");
	f = fopen(tmp, "wb");
	if (f == NULL || fwrite(d, 1, n, f) != n || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		if (f)
			fclose(f);
		remove(tmp);
		return cli_usage("cannot write %s", path);
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		remove(tmp);
		return cli_usage("cannot write %s", path);
	}
	return 0;
}
