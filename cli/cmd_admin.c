/* eseal init | pki | crl | org | user | audit.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <inttypes.h>
#include <limits.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include "eseal/auth.h"
#include "eseal/server_ops.h"
#include "cli.h"

#define PASSWORD_MAX 1024
#define MAX_ROLES 8


int cmd_init(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"name", required_argument, 0, 'n'}, {"base-url", required_argument, 0, 'b'},
		{"area", required_argument, 0, 'a'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	es_init_opts o = ES_INIT_OPTS_INIT;
	es_err err = ES_ERR_INIT;
	const char *dir = es_data_dir(c->data_dir);
	int ch;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'n': o.name = optarg; break;
		case 'b': o.base_url = optarg; break;
		case 'a': o.area_code = optarg; break;
		case 'h':
			printf("usage: eseal [--data DIR] init [--name NAME] [--base-url URL] [--area CODE]\n\n"
			       "Create the data directory (0700) with the store, the key-encryption key\n"
			       "(DATA/master.key, or $ESEAL_MASTER_KEY_FILE) and the platform PKI: SM2 and\n"
			       "P-256 root and issuing CAs, TSA and OCSP certificates, and the SM2 seal maker.\n"
			       "  --name NAME      platform name in certificate subjects (default eseal)\n"
			       "  --base-url URL   base of the CRL/OCSP URLs in certificates (default http://127.0.0.1:8600)\n"
			       "  --area CODE      6-digit administrative area code that starts seal codes (default 110000)\n"
			       "Refuses a directory that is already initialised.\n");
			return EXIT_OK;
		default: return cli_bad_option("init", argv);
		}
	}
	if (es_platform_init(dir, &o, &err) < 0)
		return cli_fail(&err);
	fprintf(stderr, "eseal: initialised %s\n", dir);
	printf("%s\n", dir);
	return EXIT_OK;
}

int cmd_pki(cli_ctx *c, int argc, char **argv)
{
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	char *text = NULL;
	int rc;

	if (argc < 2 || strcmp(argv[1], "show") != 0 || cli_wants_help(argc, argv)) {
		printf("usage: eseal pki show\n\nPrint the platform's certificates: both families'\n"
		       "root CA → issuing CA → TSA, OCSP responder and the SM2 seal maker.\n");
		return argc >= 2 && cli_wants_help(argc, argv) ? EXIT_OK : EXIT_USAGE;
	}
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_platform_pki_describe(p, &text, &err) < 0) {
		rc = cli_fail(&err);
	} else {
		fputs(text, stdout);
		rc = EXIT_OK;
	}
	free(text);
	es_platform_close(p);
	return rc;
}

int cmd_crl(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {{"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *out = NULL;
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	char def[4096];
	int ch, rc;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'o': out = optarg; break;
		case 'h':
			printf("usage: eseal crl [--out DIR]\n\nWrite sm2.crl and p256.crl (DER, signed by the issuing CAs) and\n"
			       "sm2-root.crl, p256-root.crl (signed by the roots) "
			       "into DIR (default DATA/crl).\n");
			return EXIT_OK;
		default: return cli_bad_option("crl", argv);
		}
	}
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (out == NULL) {
		snprintf(def, sizeof(def), "%s/crl", es_data_dir(c->data_dir));
		out = def;
	}
	if (es_platform_write_crls(p, out, &err) < 0) {
		rc = cli_fail(&err);
	} else {
		printf("%s/sm2.crl\n%s/p256.crl\n%s/sm2-root.crl\n%s/p256-root.crl\n", out, out, out, out);
		rc = EXIT_OK;
	}
	es_platform_close(p);
	return rc;
}

/* ---- org ---- */

static int org_add(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"name", required_argument, 0, 'n'}, {"uscc", required_argument, 0, 'u'},
		{"legal-rep", required_argument, 0, 'l'}, {"as", required_argument, 0, 'a'},
		{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *name = NULL, *uscc = NULL, *rep = NULL, *as = NULL;
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	int64_t id = 0;
	int ch, rc;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'n': name = optarg; break;
		case 'u': uscc = optarg; break;
		case 'l': rep = optarg; break;
		case 'a': as = optarg; break;
		case 'h':
			printf("usage: eseal org add --name NAME --uscc CODE [--legal-rep LOGIN] [--as LOGIN]\n\n"
			       "Register an organisation.  The unified social credit code is checked\n"
			       "(GB 32100-2015: 18 characters, alphabet, check character).  Prints the new id last.\n");
			return EXIT_OK;
		default: return cli_bad_option("org add", argv);
		}
	}
	if (name == NULL || uscc == NULL)
		return cli_usage("org add needs --name and --uscc; see 'eseal org add --help'");
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_org_add(p, name, uscc, rep, as, &id, &err) < 0)
		rc = cli_fail(&err);
	else
		printf("organisation %" PRId64 "\n", id);
	es_platform_close(p);
	return rc;
}

static int org_list(cli_ctx *c, int argc, char **argv)
{
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	es_org_row *rows = NULL;
	size_t n = 0, i;
	int rc;

	(void)argv;
	if (cli_wants_help(argc, argv)) {
		printf("usage: eseal org list [--json]\n");
		return EXIT_OK;
	}
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_store_org_list(es_platform_store(p), &rows, &n, &err) < 0) {
		rc = cli_fail(&err);
	} else {
		json_t *a = json_array();
		int json = argc > 1 && strcmp(argv[1], "--json") == 0;
		for (i = 0; i < n; i++) {
			if (json)
				json_array_append_new(a, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)rows[i].id,
					"name", rows[i].name, "uscc", rows[i].uscc));
			else
				printf("%" PRId64 "\t%s\t%s\n", rows[i].id, rows[i].uscc, rows[i].name);
		}
		if (json) {
			char *s = json_dumps(a, CLI_JSON_FLAGS);
			puts(s);
			free(s);
		}
		json_decref(a);
	}
	ES_ROWS_FREE(rows, n, es_org_row_clear);
	es_platform_close(p);
	return rc;
}

int cmd_org(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd sub[] = {
		{"add", org_add, "register an organisation (USCC checked)"},
		{"list", org_list, "list organisations"}, {0, 0, 0}};
	return cli_dispatch(c, "org", sub, argc, argv);
}

/* ---- user ---- */

static int user_add(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"login", required_argument, 0, 'l'}, {"name", required_argument, 0, 'n'},
		{"id-number", required_argument, 0, 'i'}, {"bank-card", required_argument, 0, 'b'},
		{"mobile", required_argument, 0, 'm'}, {"org", required_argument, 0, 'o'},
		{"role", required_argument, 0, 'r'}, {"password-stdin", no_argument, 0, 'p'},
		{"as", required_argument, 0, 'a'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *roles[MAX_ROLES];
	es_user_new u = {0};
	const char *as = NULL;
	char pw[PASSWORD_MAX];
	int pwstdin = 0, ch, rc;
	int64_t id = 0;
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'l': u.login = optarg; break;
		case 'n': u.name = optarg; break;
		case 'i': u.id_number = optarg; break;
		case 'b': u.bank_card = optarg; break;
		case 'm': u.mobile = optarg; break;
		case 'o':
			if (cli_parse_id(&u.org_id, optarg) < 0)
				return cli_usage("--org needs an organisation id (a positive number)");
			break;
		case 'r':
			if (u.nroles == MAX_ROLES)
				return cli_usage("too many --role options");
			roles[u.nroles++] = optarg;
			break;
		case 'p': pwstdin = 1; break;
		case 'a': as = optarg; break;
		case 'h':
			printf("usage: eseal user add --login L --name NAME --id-number ID [--bank-card N]\n"
			       "       [--mobile M] [--org ORG] [--role R]... --password-stdin [--as LOGIN]\n\n"
			       "Register a person.  The resident ID (GB 11643 check digit, birth date), bank card\n"
			       "(Luhn) and mobile are checked, then $ESEAL_IDP_CMD (if set) confirms the identity.\n"
			       "Personal data is stored encrypted and shown masked.  The password (Argon2id,\n"
			       "at least 10 characters) is read from the first line of standard input.\n"
			       "Roles: platform-admin, reviewer, org-admin, seal-keeper, member, auditor.\n");
			return EXIT_OK;
		default: return cli_bad_option("user add", argv);
		}
	}
	if (u.login == NULL || u.name == NULL || u.id_number == NULL)
		return cli_usage("user add needs --login, --name and --id-number; see 'eseal user add --help'");
	if (!pwstdin)
		return cli_usage("user add needs --password-stdin (passwords never go on the command line)");
	if (cli_read_stdin_line(pw, sizeof(pw)) < 0)
		return cli_usage("cannot read the password from standard input");
	u.password = pw;
	u.roles = roles;
	if (u.nroles == 0) {
		roles[0] = "member";
		u.nroles = 1;
	}
	if ((rc = cli_open(c, &p)) == 0) {
		if (es_user_add(p, &u, as, &id, &err) < 0)
			rc = cli_fail(&err);
		else
			printf("user %s %" PRId64 "\n", u.login, id);
		es_platform_close(p);
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}

static json_t *user_json(const es_user_row *u)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s*,s:s*,s:I,s:b,s:b}",
		"login", u->login, "name", u->name, "id_number", u->id_number_masked,
		"bank_card", u->bank_card_masked[0] ? u->bank_card_masked : NULL,
		"mobile", u->mobile_masked[0] ? u->mobile_masked : NULL,
		"org_id", (json_int_t)u->org_id, "identity_checked", u->identity_checked,
		"totp", u->totp_enc.len > 0);
	json_t *r = json_array();
	size_t i;

	for (i = 0; i < u->nroles; i++)
		json_array_append_new(r, json_string(u->roles[i]));
	json_object_set_new(o, "roles", r);
	return o;
}

static int user_show_or_list(cli_ctx *c, int argc, char **argv, int list)
{
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	es_user_row *rows = NULL, one = {0};
	size_t n = 0, i;
	int json = 0, rc, k;
	const char *login = NULL;

	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0)
			json = 1;
		else if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
			printf(list ? "usage: eseal user list [--json]\n" : "usage: eseal user show LOGIN [--json]\n");
			printf("Personal data is always shown masked.\n");
			return EXIT_OK;
		} else if (argv[k][0] != '-' && login == NULL)
			login = argv[k];
		else
			return cli_usage("unknown option %s", argv[k]);
	}
	if (!list && login == NULL)
		return cli_usage("user show needs a LOGIN");
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (list)
		rc = es_store_user_list(es_platform_store(p), 0, &rows, &n, &err);
	else if ((rc = es_store_user_get(es_platform_store(p), login, &one, &err)) == 0) {
		rows = &one;
		n = 1;
	}
	if (rc < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (json) {
			json_t *o = user_json(&rows[i]);
			char *s = json_dumps(o, CLI_JSON_FLAGS);
			puts(s);
			free(s);
			json_decref(o);
		} else {
			size_t r;
			printf("%s\t%s\t%s\t%s\t%s\t", rows[i].login, rows[i].name, rows[i].id_number_masked,
			       rows[i].bank_card_masked[0] ? rows[i].bank_card_masked : "-",
			       rows[i].mobile_masked[0] ? rows[i].mobile_masked : "-");
			for (r = 0; r < rows[i].nroles; r++)
				printf("%s%s", r ? "," : "", rows[i].roles[r]);
			printf("\n");
		}
	}
	rc = EXIT_OK;
out:
	if (list)
		ES_ROWS_FREE(rows, n, es_user_row_clear);
	else
		es_user_row_clear(&one);
	es_platform_close(p);
	return rc;
}

static int user_list(cli_ctx *c, int argc, char **argv) { return user_show_or_list(c, argc, argv, 1); }
static int user_show(cli_ctx *c, int argc, char **argv) { return user_show_or_list(c, argc, argv, 0); }

/* The operator sets a new password (a forgotten one): the user's sessions end. */
static int user_passwd(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {{"password-stdin", no_argument, 0, 'p'}, {"as", required_argument, 0, 'a'},
					   {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *as = NULL;
	char pw[ES_PASSWORD_MAX_BYTES + 2];
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	int ch, rc, from_stdin = 0;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'p': from_stdin = 1; break;
		case 'a': as = optarg; break;
		case 'h':
			printf("usage: eseal user passwd LOGIN --password-stdin [--as LOGIN]\n\n"
			       "Set a new password for LOGIN (read from the first line of standard input;\n"
			       "same policy as 'user add'): ends the user's lock-out and every session.\n");
			return EXIT_OK;
		default: return cli_bad_option("user passwd", argv);
		}
	}
	if (optind + 1 != argc || !from_stdin)
		return cli_usage("usage: eseal user passwd LOGIN --password-stdin; see 'eseal user passwd --help'");
	if (cli_read_stdin_line(pw, sizeof(pw)) < 0)
		return cli_usage("no password on standard input");
	if ((rc = cli_open(c, &p)) == 0) {
		if (es_user_set_password(p, argv[optind], pw, NULL, as ? as : "operator", "cli", &err) < 0)
			rc = cli_fail(&err);
		else
			printf("password of %s changed\n", argv[optind]);
		es_platform_close(p);
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}

int cmd_user(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd sub[] = {
		{"add", user_add, "register a person (identity checked, data encrypted)"},
		{"list", user_list, "list users (masked)"},
		{"show", user_show, "show one user (masked)"},
		{"passwd", user_passwd, "set a new password (operator reset)"}, {0, 0, 0}};
	return cli_dispatch(c, "user", sub, argc, argv);
}

/* ---- audit ---- */

static int audit_verify(cli_ctx *c, int argc, char **argv)
{
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	int64_t bad = 0;
	size_t n = 0;
	char why[256];
	int rc;

	if (cli_wants_help(argc, argv)) {
		printf("usage: eseal audit verify\n\nRe-compute the audit log's hash chain. Exit 0 when intact,\n"
		       "1 with the first broken entry when an entry was edited, removed or reordered.\n");
		return EXIT_OK;
	}
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_audit_verify(p, &bad, &n, why, sizeof(why), &err) < 0) {
		rc = cli_fail(&err);
	} else if (bad != 0) {
		printf("audit chain BROKEN at entry %" PRId64 ": %s\n", bad, why);
		rc = EXIT_VERIFY_FAILED;
	} else {
		printf("audit chain intact: %zu entries\n", n);
		rc = EXIT_OK;
	}
	es_platform_close(p);
	return rc;
}

static int audit_list(cli_ctx *c, int argc, char **argv)
{
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	es_audit_row *rows = NULL;
	size_t n = 0, i;
	int rc;

	if (cli_wants_help(argc, argv)) {
		printf("usage: eseal audit list\n");
		return EXIT_OK;
	}
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_store_audit_list(es_platform_store(p), &rows, &n, &err) < 0)
		rc = cli_fail(&err);
	for (i = 0; i < n; i++) {
		char t[32];
		strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", gmtime(&rows[i].ts));
		printf("%" PRId64 "\t%s\t%s\t%s\t%s\t%s\n", rows[i].id, t, rows[i].actor,
		       rows[i].action, rows[i].object, rows[i].outcome);
	}
	ES_ROWS_FREE(rows, n, es_audit_row_clear);
	es_platform_close(p);
	return rc;
}

int cmd_audit(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd sub[] = {
		{"verify", audit_verify, "check the hash chain of the audit log"},
		{"list", audit_list, "list audit entries"}, {0, 0, 0}};
	return cli_dispatch(c, "audit", sub, argc, argv);
}
