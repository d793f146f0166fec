/* eseal sign | render.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include "eseal/ofd.h"
#include "cli.h"

#define SECRET_MAX 1024
#define MAX_DPI 600

static int parse_mm(double *out, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || v < 0 || v > 10000)
		return -1;
	*out = v;
	return 0;
}

static int parse_level(int *out, const char *s)
{
	static const char *names[] = {"B-B", "B-T", "B-LT", "B-LTA"};
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i + 1;
			return 0;
		}
	return -1;
}

static int parse_certify(int *out, const char *s)
{
	if (s == NULL || strcmp(s, "no-changes") == 0)
		*out = 1;
	else if (strcmp(s, "form-fill") == 0)
		*out = 2;
	else if (strcmp(s, "annotations") == 0)
		*out = 3;
	else
		return -1;
	return 0;
}

static void sign_help(void)
{
	printf("usage: eseal sign --seal SEAL --as LOGIN --password-stdin --in IN --out OUT PLACEMENT [OPTIONS]\n\n"
	       "Seal a PDF (PAdES, ECDSA P-256) or an OFD (GB/T 38540, SM2/SM3); the format is detected\n"
	       "by content.  Standard input: line 1 the password, line 2 the TOTP code when enrolled.\n"
	       "Nothing is written when anything fails.\n\n"
	       "Placement (one of):\n"
	       "  --page N|last|all --x MM --y MM   seal centre, mm from the page's top-left corner\n"
	       "  --keyword TEXT [--occurrence K]   centre on TEXT (e.g. 盖章处); every occurrence unless K\n"
	       "  --cross-page [--y MM]             骑缝章: strips at the right edge of every page\n\n"
	       "Options:\n"
	       "  --level B-B|B-T|B-LT|B-LTA        PDF PAdES level (default B-T)\n"
	       "  --certify [no-changes|form-fill|annotations]  PDF certification (DocMDP), first signature only\n"
	       "  --reason TEXT, --location TEXT    PDF signature reason and location\n"
	       "  --tsa URL                         external RFC 3161 TSA (default: the platform's TSA)\n"
	       "  --type seal|sign                  OFD: 电子印章 (default) or 电子签名\n"
	       "  --json                            print what was done as JSON\n");
}

typedef struct sign_args {
	es_sign_req r;
	int pwstdin, json, have_x, have_y, have_page;
} sign_args;

static int sign_parse(sign_args *a, int argc, char **argv)
{
	static const struct option lo[] = {
		{"seal", required_argument, 0, 's'}, {"as", required_argument, 0, 'a'},
		{"password-stdin", no_argument, 0, 'P'}, {"in", required_argument, 0, 'i'},
		{"out", required_argument, 0, 'o'}, {"page", required_argument, 0, 'p'},
		{"x", required_argument, 0, 'x'}, {"y", required_argument, 0, 'y'},
		{"keyword", required_argument, 0, 'k'}, {"occurrence", required_argument, 0, 'K'},
		{"cross-page", no_argument, 0, 'c'}, {"level", required_argument, 0, 'l'},
		{"certify", optional_argument, 0, 'C'}, {"reason", required_argument, 0, 'r'},
		{"location", required_argument, 0, 'L'}, {"tsa", required_argument, 0, 't'},
		{"type", required_argument, 0, 'T'}, {"json", no_argument, 0, 'j'},
		{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	int ch;
	int64_t n;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's': a->r.seal_code = optarg; break;
		case 'a': a->r.login = optarg; break;
		case 'P': a->pwstdin = 1; break;
		case 'i': a->r.in_path = optarg; break;
		case 'o': a->r.out_path = optarg; break;
		case 'p':
			a->have_page = 1;
			if (strcmp(optarg, "last") == 0)
				a->r.page = -1;
			else if (strcmp(optarg, "all") == 0)
				a->r.page = -2;
			else if (cli_parse_id(&n, optarg) == 0 && n < 100000)
				a->r.page = (int)n;
			else
				return cli_usage("--page must be a page number, last or all");
			break;
		case 'x':
			if (parse_mm(&a->r.x_mm, optarg) < 0)
				return cli_usage("--x must be a distance in mm");
			a->have_x = 1;
			break;
		case 'y':
			if (parse_mm(&a->r.y_mm, optarg) < 0)
				return cli_usage("--y must be a distance in mm");
			a->have_y = 1;
			break;
		case 'k': a->r.keyword = optarg; break;
		case 'K':
			if (cli_parse_id(&n, optarg) < 0 || n > 10000)
				return cli_usage("--occurrence must be a positive number");
			a->r.occurrence = (int)n;
			break;
		case 'c': a->r.cross_page = 1; break;
		case 'l':
			if (parse_level(&a->r.level, optarg) < 0)
				return cli_usage("--level must be B-B, B-T, B-LT or B-LTA");
			break;
		case 'C':
			if (parse_certify(&a->r.certify, optarg) < 0)
				return cli_usage("--certify takes no-changes, form-fill or annotations");
			break;
		case 'r': a->r.reason = optarg; break;
		case 'L': a->r.location = optarg; break;
		case 't': a->r.tsa_url = optarg; break;
		case 'T':
			if (strcmp(optarg, "seal") == 0)
				a->r.ofd_type_sign = 0;
			else if (strcmp(optarg, "sign") == 0)
				a->r.ofd_type_sign = 1;
			else
				return cli_usage("--type must be seal or sign");
			break;
		case 'j': a->json = 1; break;
		case 'h': sign_help(); return -1;
		default:
			return cli_bad_option("sign", argv);
		}
	}
	if (!a->r.seal_code || !a->r.login || !a->r.in_path || !a->r.out_path)
		return cli_usage("sign needs --seal, --as, --in and --out; see 'eseal sign --help'");
	if (!a->pwstdin)
		return cli_usage("sign needs --password-stdin: the signer confirms with a password (and TOTP code)");
	if ((a->r.keyword != NULL) + a->r.cross_page + (a->have_x || a->have_page) > 1)
		return cli_usage("choose one placement: --page/--x/--y, --keyword or --cross-page");
	if (a->r.keyword == NULL && !a->r.cross_page && !(a->have_x && a->have_y))
		return cli_usage("sign needs a placement: --page N --x MM --y MM, --keyword TEXT or --cross-page");
	if (a->r.cross_page && !a->have_y)
		a->r.y_mm = -1;
	return 0;
}

int cmd_sign(cli_ctx *c, int argc, char **argv)
{
	sign_args a;
	es_sign_result res;
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	char pw[SECRET_MAX] = "", totp[64] = "";
	int rc;
	size_t i;

	memset(&a, 0, sizeof(a));
	a.r = (es_sign_req)ES_SIGN_REQ_INIT;
	a.r.client = "cli";
	if ((rc = sign_parse(&a, argc, argv)) != 0)
		return rc < 0 ? EXIT_OK : rc;
	if (cli_read_stdin_line(pw, sizeof(pw)) < 0)
		return cli_usage("cannot read the password from standard input");
	if (cli_read_stdin_line(totp, sizeof(totp)) == 0 && totp[0] != '\0')
		a.r.totp = totp;
	a.r.password = pw;
	if ((rc = cli_open(c, &p)) != 0)
		goto out;
	if (es_sign_document(p, &a.r, &res, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (a.json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "format", res.format, "seal", a.r.seal_code,
				      "out", a.r.out_path, "sha256_before", res.sha256_before,
				      "sha256_after", res.sha256_after);
		json_t *pl = json_array();
		char *s;
		for (i = 0; i < res.nplacements; i++)
			json_array_append_new(pl, json_pack("{s:i,s:f,s:f,s:f,s:f}", "page", res.placements[i].page,
				"x_mm", res.placements[i].x_mm, "y_mm", res.placements[i].y_mm,
				"w_mm", res.placements[i].w_mm, "h_mm", res.placements[i].h_mm));
		json_object_set_new(o, "placements", pl);
		s = json_dumps(o, CLI_JSON_FLAGS);
		puts(s);
		free(s);
		json_decref(o);
	} else {
		for (i = 0; i < res.nplacements; i++)
			fprintf(stderr, "eseal: seal on page %d at (%.1f, %.1f) mm, %.1f x %.1f mm\n",
				res.placements[i].page, res.placements[i].x_mm, res.placements[i].y_mm,
				res.placements[i].w_mm, res.placements[i].h_mm);
		printf("%s\n", a.r.out_path);
	}
	rc = EXIT_OK;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(totp, sizeof(totp));
	es_platform_close(p);
	return rc;
}

int cmd_render(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"page", required_argument, 0, 'p'}, {"out", required_argument, 0, 'o'},
		{"dpi", required_argument, 0, 'd'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *out = NULL;
	int64_t page = 1, dpi = 100;
	unsigned char *png = NULL;
	size_t len = 0;
	es_err err = ES_ERR_INIT;
	int ch, rc;

	(void)c;
	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (cli_parse_id(&page, optarg) < 0)
				return cli_usage("--page must be a page number");
			break;
		case 'o': out = optarg; break;
		case 'd':
			if (cli_parse_id(&dpi, optarg) < 0 || dpi > MAX_DPI)
				return cli_usage("--dpi must be 1..%d", MAX_DPI);
			break;
		case 'h':
			printf("usage: eseal render FILE.pdf|FILE.ofd [--page N] [--dpi D] --out PAGE.png\n\n"
			       "Render one page (default 1, 100 dpi) to PNG, seals included.\n");
			return EXIT_OK;
		default:
			return cli_bad_option("render", argv);
		}
	}
	if (optind >= argc || out == NULL)
		return cli_usage("render needs FILE and --out PAGE.png");
	if (es_render_page(argv[optind], (int)page, (int)dpi, &png, &len, &err) < 0)
		return cli_fail(&err);
	if ((rc = cli_write_file(out, png, len)) == 0)
		printf("%s\n", out);
	free(png);
	return rc;
}

int cmd_sample(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"pages", required_argument, 0, 'p'}, {"out", required_argument, 0, 'o'},
		{"keyword", required_argument, 0, 'k'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *out = NULL, *kw = "盖章处";
	int64_t pages = 2;
	es_err err = ES_ERR_INIT;
	int ch;

	(void)c;
	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (cli_parse_id(&pages, optarg) < 0 || pages > 1000)
				return cli_usage("--pages must be 1..1000");
			break;
		case 'o': out = optarg; break;
		case 'k': kw = optarg; break;
		case 'h':
			printf("usage: eseal sample --out FILE.ofd [--pages N] [--keyword TEXT]\n\n"
			       "Write an unsigned sample OFD (GB/T 33190) with Chinese text and the keyword\n"
			       "(default 盖章处) on the last page, to try sealing and verifying.\n");
			return EXIT_OK;
		default:
			return cli_bad_option("sample", argv);
		}
	}
	if (out == NULL)
		return cli_usage("sample needs --out FILE.ofd");
	if (es_ofd_make_sample(out, (int)pages, kw, &err) < 0)
		return cli_fail(&err);
	printf("%s\n", out);
	return EXIT_OK;
}
