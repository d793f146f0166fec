/* eseal verify.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/pem.h>
#include "eseal/verify.h"
#include "cli.h"

/* Load one PEM or DER certificate. */
static X509 *load_cert(const char *path)
{
	FILE *f = fopen(path, "rb");
	X509 *c;

	if (f == NULL)
		return NULL;
	c = PEM_read_X509(f, NULL, NULL, NULL);
	if (c == NULL) {
		rewind(f);
		c = d2i_X509_fp(f, NULL);
	}
	fclose(f);
	return c;
}

static void on_sigbus(int sig)
{
	static const char msg[] = "eseal: the file changed (it was cut short) while it was being "
				  "verified; verify it again once nothing writes it\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to try */
	}
	_exit(EXIT_USAGE);
}

int cmd_verify(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"json", no_argument, 0, 'j'}, {"trust", required_argument, 0, 't'},
		{"lang", required_argument, 0, 'l'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	STACK_OF(X509) *trust = sk_X509_new_null();
	es_report r = {0};
	es_err err = ES_ERR_INIT;
	char *out = NULL;
	int json = 0, ch, rc;
	const char *dir;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'l': c->lang = optarg; break;
		case 't': {
			X509 *x = load_cert(optarg);
			if (x == NULL) {
				sk_X509_pop_free(trust, X509_free);
				return cli_usage("cannot read certificate %s (PEM or DER)", optarg);
			}
			sk_X509_push(trust, x);
			break;
		}
		case 'h':
			printf("usage: eseal verify FILE [--json] [--trust CERT]... [--lang zh|en]\n\n"
			       "Verify a seal (.esl, GB/T 38540 v4 or GM/T 0031 v1), a signed PDF (strict PAdES\n"
			       "with revision analysis) or an OFD (GB/T 38540 signatures).  The file type is\n"
			       "detected by content.  Trust anchors: the platform roots of the data directory\n"
			       "(when it exists) plus every --trust certificate (PEM or DER).\n\n"
			       "Exit codes (ETSI EN 319 102-1):\n"
			       "  0 TOTAL_PASSED   intact and trusted\n"
			       "  1 TOTAL_FAILED   broken signature, tampering or a disallowed change\n"
			       "  2                unreadable, not a seal/PDF/OFD, or usage error\n"
			       "  3 INDETERMINATE  intact, but the chain does not reach a trust anchor or\n"
			       "                   revocation/validity cannot be confirmed\n"
			       "The JSON report is described in docs/verify-report.md.\n");
			sk_X509_pop_free(trust, X509_free);
			return EXIT_OK;
		default:
			sk_X509_pop_free(trust, X509_free);
			return cli_bad_option("verify", argv);
		}
	}
	if (optind >= argc) {
		sk_X509_pop_free(trust, X509_free);
		return cli_usage("verify needs a FILE; see 'eseal verify --help'");
	}
	dir = es_data_dir(c->data_dir);
	/* The file is mapped, not copied; should another process truncate it
	 * meanwhile, reading the lost pages raises SIGBUS: say so and exit 2. */
	signal(SIGBUS, on_sigbus);
	rc = es_verify_path_in(&r, dir, argv[optind], trust, ES_VERIFY_MAP_INPUT, &err);
	signal(SIGBUS, SIG_DFL);
	if (rc < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	es_report_finish(&r);
	if (json)
		rc = es_report_json(&out, &r, &err);
	else
		rc = es_report_text(&out, &r, c->lang, &err);
	if (rc < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	fputs(out, stdout);
	if (json)
		fputc('\n', stdout);
	rc = (int)r.verdict;
out:
	free(out);
	es_report_clear(&r);
	sk_X509_pop_free(trust, X509_free);
	return rc;
}
