/* eseal seal ...  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "eseal/seal.h"
#include "cli.h"


int cli_parse_id(int64_t *out, const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v <= 0)
		return -1;
	*out = v;
	return 0;
}

static int seal_apply(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"owner", required_argument, 0, 'o'}, {"kind", required_argument, 0, 'k'},
		{"text", required_argument, 0, 't'}, {"template", required_argument, 0, 'T'},
		{"taxpayer", required_argument, 0, 'x'}, {"as", required_argument, 0, 'a'},
		{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	es_apply_req r = {0};
	const char *owner = NULL;
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	int64_t id = 0;
	int ch, rc;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'o': owner = optarg; break;
		case 'k': r.kind = optarg; break;
		case 't': r.text = optarg; break;
		case 'T': r.template_name = optarg; break;
		case 'x': r.taxpayer_no = optarg; break;
		case 'a': r.applicant = optarg; break;
		case 'h':
			printf("usage: eseal seal apply --owner org:ID|user:LOGIN --kind KIND [--text TEXT]\n"
			       "       [--template NAME] [--taxpayer NUMBER] [--as LOGIN]\n\n"
			       "Apply for a seal.  Kinds: company (公章), contract (合同专用章), finance (财务专用章),\n"
			       "invoice (发票专用章; taxpayer number defaults to the USCC), legal-rep (法定代表人章),\n"
			       "personal (个人名章; needs a user with checked identity).  --text replaces the name\n"
			       "drawn on the seal.  Templates: docs/templates.md.  Prints the application id last.\n");
			return EXIT_OK;
		default: return cli_bad_option("seal apply", argv);
		}
	}
	if (owner == NULL || r.kind == NULL)
		return cli_usage("seal apply needs --owner and --kind; see 'eseal seal apply --help'");
	if (strncmp(owner, "org:", 4) == 0) {
		r.owner_kind = "org";
		if (cli_parse_id(&r.owner_org_id, owner + 4) < 0)
			return cli_usage("--owner org:ID needs a numeric organisation id");
	} else if (strncmp(owner, "user:", 5) == 0 && owner[5] != '\0') {
		r.owner_kind = "user";
		r.owner_login = owner + 5;
	} else {
		return cli_usage("--owner must be org:ID or user:LOGIN");
	}
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_seal_apply(p, &r, &id, &err) < 0)
		rc = cli_fail(&err);
	else
		printf("application %" PRId64 "\n", id);
	es_platform_close(p);
	return rc;
}

static int seal_review(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"approve", no_argument, 0, 'y'}, {"reject", no_argument, 0, 'n'},
		{"reason", required_argument, 0, 'r'}, {"as", required_argument, 0, 'a'},
		{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *reason = NULL, *as = NULL;
	int approve = -1, ch, rc;
	int64_t app = 0;
	char code[32] = "";
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'y': approve = approve == 0 ? 2 : 1; break;
		case 'n': approve = approve == 1 ? 2 : 0; break;
		case 'r': reason = optarg; break;
		case 'a': as = optarg; break;
		case 'h':
			printf("usage: eseal seal review APP --approve|--reject [--reason TEXT] [--as LOGIN]\n\n"
			       "Decide a seal application.  Approving issues the seal: SM2 and P-256 keys\n"
			       "(encrypted at rest), holder certificates, the picture and a GB/T 38540 v4 SESeal\n"
			       "signed by the seal maker.  Prints the seal code last.  With --as the reviewer needs\n"
			       "the reviewer role and cannot decide their own application.\n");
			return EXIT_OK;
		default: return cli_bad_option("seal review", argv);
		}
	}
	if (optind >= argc || cli_parse_id(&app, argv[optind]) < 0)
		return cli_usage("seal review needs an application id; see 'eseal seal review --help'");
	if (approve < 0 || approve == 2)
		return cli_usage("seal review needs exactly one of --approve or --reject");
	if (approve == 0 && (reason == NULL || *reason == '\0'))
		return cli_usage("a rejection needs --reason");
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_seal_review(p, app, approve, reason, as, code, &err) < 0)
		rc = cli_fail(&err);
	else if (approve)
		printf("seal %s\n", code);
	else
		printf("rejected %" PRId64 "\n", app);
	es_platform_close(p);
	return rc;
}

static void fmt_date(char *buf, size_t cap, time_t t)
{
	strftime(buf, cap, "%Y-%m-%d", gmtime(&t));
}

static json_t *seal_json(const es_seal_row *s)
{
	char a[16], b[16];

	fmt_date(a, sizeof(a), s->valid_start);
	fmt_date(b, sizeof(b), s->valid_end);
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:f,s:f}",
		"code", s->code, "name", s->name, "kind", s->kind, "owner_kind", s->owner_kind,
		"owner_org_id", (json_int_t)s->owner_org_id, "owner_login", s->owner_login,
		"state", s->state, "valid_from", a, "valid_to", b, "width_mm", s->width_mm,
		"height_mm", s->height_mm);
}

static int seal_list(cli_ctx *c, int argc, char **argv)
{
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	es_seal_row *rows = NULL;
	size_t n = 0, i;
	int json = argc > 1 && strcmp(argv[1], "--json") == 0, rc;

	if (cli_wants_help(argc, argv)) {
		printf("usage: eseal seal list [--json]\n");
		return EXIT_OK;
	}
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_store_seal_list(es_platform_store(p), &rows, &n, &err) < 0) {
		rc = cli_fail(&err);
	} else {
		json_t *arr = json_array();
		for (i = 0; i < n; i++) {
			char b[16];
			fmt_date(b, sizeof(b), rows[i].valid_end);
			if (json)
				json_array_append_new(arr, seal_json(&rows[i]));
			else
				printf("%s\t%-9s\t%-10s\t%s\t%s\n", rows[i].code, rows[i].state, rows[i].kind, b, rows[i].name);
		}
		if (json) {
			char *s = json_dumps(arr, CLI_JSON_FLAGS);
			puts(s);
			free(s);
		}
		json_decref(arr);
	}
	ES_ROWS_FREE(rows, n, es_seal_row_clear);
	es_platform_close(p);
	return rc;
}

static int seal_show(cli_ctx *c, int argc, char **argv)
{
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	es_seal_row s = {0};
	const char *code = NULL;
	int json = 0, rc, k;

	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0)
			json = 1;
		else if (strcmp(argv[k], "--help") == 0) {
			printf("usage: eseal seal show SEAL [--json]\n");
			return EXIT_OK;
		} else
			code = argv[k];
	}
	if (code == NULL)
		return cli_usage("seal show needs a seal code");
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_store_seal_get(es_platform_store(p), code, &s, &err) < 0) {
		rc = cli_fail(&err);
	} else {
		json_t *o = seal_json(&s);
		es_seal_cert_row *old = NULL;
		size_t nold = 0;

		/* each renewal kept the seal's two earlier certificates */
		if (es_store_seal_old_certs(es_platform_store(p), code, &old, &nold, NULL) == 0)
			json_object_set_new(o, "renewals", json_integer((json_int_t)(nold / 2)));
		es_seal_cert_rows_free(old, nold);
		if (json) {
			char *t = json_dumps(o, CLI_JSON_FLAGS);
			puts(t);
			free(t);
		} else {
			const char *key;
			json_t *v;
			json_object_foreach(o, key, v) {
				if (json_is_string(v))
					printf("%-13s %s\n", key, json_string_value(v));
				else if (json_is_real(v))
					printf("%-13s %.1f\n", key, json_real_value(v));
				else
					printf("%-13s %" JSON_INTEGER_FORMAT "\n", key, json_integer_value(v));
			}
			if (s.state_reason && *s.state_reason)
				printf("%-13s %s\n", "state_reason", s.state_reason);
		}
		json_decref(o);
	}
	es_seal_row_clear(&s);
	es_platform_close(p);
	return rc;
}

static int seal_export(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {{"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *out = NULL;
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	es_seal_row s = {0};
	int ch, rc;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'o': out = optarg; break;
		case 'h':
			printf("usage: eseal seal export SEAL --out FILE.esl\n\nWrite the seal's GB/T 38540 SESeal (DER).\n");
			return EXIT_OK;
		default: return cli_bad_option("seal export", argv);
		}
	}
	if (optind >= argc || out == NULL)
		return cli_usage("seal export needs SEAL and --out FILE");
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_store_seal_get(es_platform_store(p), argv[optind], &s, &err) < 0)
		rc = cli_fail(&err);
	else if ((rc = cli_write_file(out, s.esl.data, s.esl.len)) == 0)
		printf("%s\n", out);
	es_seal_row_clear(&s);
	es_platform_close(p);
	return rc;
}

static int seal_render(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {{"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *out = NULL, *ext;
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	unsigned char *data = NULL;
	size_t len = 0;
	int ch, rc;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'o': out = optarg; break;
		case 'h':
			printf("usage: eseal seal render SEAL --out FILE.png|FILE.svg|FILE.pdf\n\n"
			       "Draw the seal's vector picture: PNG (300 dpi, transparent), SVG, or a one-page PDF\n"
			       "at real size.  The format follows the file extension.\n");
			return EXIT_OK;
		default: return cli_bad_option("seal render", argv);
		}
	}
	if (optind >= argc || out == NULL)
		return cli_usage("seal render needs SEAL and --out FILE");
	ext = strrchr(out, '.');
	if (ext == NULL || (strcmp(ext, ".png") && strcmp(ext, ".svg") && strcmp(ext, ".pdf")))
		return cli_usage("--out must end in .png, .svg or .pdf");
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_platform_seal_render(p, argv[optind], ext + 1, &data, &len, &err) < 0)
		rc = cli_fail(&err);
	else if ((rc = cli_write_file(out, data, len)) == 0)
		printf("%s\n", out);
	free(data);
	es_platform_close(p);
	return rc;
}

static int seal_state(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"reason", required_argument, 0, 'r'}, {"as", required_argument, 0, 'a'},
		{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *reason = NULL, *as = NULL, *action = argv[0];
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	int ch, rc;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'r': reason = optarg; break;
		case 'a': as = optarg; break;
		case 'h':
			printf("usage: eseal seal %s SEAL --reason TEXT [--as LOGIN]\n\n"
			       "revoke: final; the holder certificates go on the CRL (cessationOfOperation).\n"
			       "suspend: temporarily unusable; certificates on the CRL as certificateHold.\n"
			       "resume: back to active; taken off the CRL.\n"
			       "renew: new keys, certificates and SESeal under the same code, valid for\n"
			       "        three years from now; the earlier certificates are kept, so what was\n"
			       "        signed with them stays valid, and a later revocation covers them.\n",
			       action);
			return EXIT_OK;
		default: return cli_bad_option(action, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("seal %s needs a seal code", action);
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if ((strcmp(action, "renew") == 0 ? es_seal_renew(p, argv[optind], reason, as, &err)
					  : es_seal_change_state(p, argv[optind], action, reason, as, &err)) < 0)
		rc = cli_fail(&err);
	else
		printf("%s %s\n", action, argv[optind]);
	es_platform_close(p);
	return rc;
}

int cmd_seal(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd sub[] = {
		{"apply", seal_apply, "apply for a seal"},
		{"review", seal_review, "approve (issue) or reject an application"},
		{"list", seal_list, "list seals"},
		{"show", seal_show, "show one seal"},
		{"export", seal_export, "write the SESeal (DER .esl)"},
		{"render", seal_render, "draw the seal picture (PNG, SVG, PDF)"},
		{"revoke", seal_state, "revoke a seal (final, CRL)"},
		{"suspend", seal_state, "suspend a seal"},
		{"resume", seal_state, "resume a suspended seal"},
		{"renew", seal_state, "renew a seal (new keys and certificates, same code)"}, {0, 0, 0}};
	return cli_dispatch(c, "seal", sub, argc, argv);
}
