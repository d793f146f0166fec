/* eseal grant: seal grants (授权) from the console.  The same rules as
 * POST /api/v1/seals/{id}/grants, with the operator at the console allowed
 * to grant auto-sign (docs/server.md).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "cli.h"
#include "eseal/server_ops.h"
#include "eseal/store_server.h"

#define SECS_PER_DAY 86400L
#define MAX_GRANT_DAYS 36600L

static void fmt_time(char *b, size_t cap, time_t t)
{
	struct tm tm;

	if (t == 0) {
		snprintf(b, cap, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(b, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int grant_add(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"seal", required_argument, 0, 's'}, {"login", required_argument, 0, 'l'},
		{"days", required_argument, 0, 'd'}, {"max-uses", required_argument, 0, 'm'},
		{"needs-approval", no_argument, 0, 'n'}, {"auto-sign", no_argument, 0, 'a'},
		{"as", required_argument, 0, 'A'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	es_grant_new g = {0};
	const char *as = NULL;
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	int64_t id = 0, days = 0;
	int ch, rc;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's': g.seal_code = optarg; break;
		case 'l': g.login = optarg; break;
		case 'd':
			if (cli_parse_id(&days, optarg) < 0 || days > MAX_GRANT_DAYS)
				return cli_usage("--days wants a number of days from 1 to %ld", MAX_GRANT_DAYS);
			break;
		case 'm':
			if (cli_parse_id(&g.max_uses, optarg) < 0)
				return cli_usage("--max-uses wants a positive number");
			break;
		case 'n': g.needs_approval = 1; break;
		case 'a': g.auto_sign = 1; break;
		case 'A': as = optarg; break;
		case 'h':
			printf("usage: eseal grant add --seal SEAL --login USER [--days N] [--max-uses N]\n"
			       "                       [--needs-approval] [--auto-sign] [--as LOGIN]\n\n"
			       "Let USER seal with SEAL (授权): for N days (default: until removed), at most N\n"
			       "times (default: unlimited), each use after an approved use request\n"
			       "(--needs-approval), or unattended by an API token (--auto-sign, 自动签署).\n"
			       "USER must belong to the organisation that owns SEAL.  --as names who grants, for\n"
			       "the audit log (default: operator).\n");
			return EXIT_OK;
		default: return cli_bad_option("grant add", argv);
		}
	}
	if (g.seal_code == NULL || g.login == NULL || optind < argc)
		return cli_usage("usage: eseal grant add --seal SEAL --login USER; see 'eseal grant add --help'");
	if (days > 0)
		g.not_after = time(NULL) + (time_t)(days * SECS_PER_DAY);
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_grant_add(p, &g, as ? as : "operator", 1, "cli", &id, &err) < 0)
		rc = cli_fail(&err);
	else
		printf("grant %" PRId64 "\n", id);
	es_platform_close(p);
	return rc;
}

static json_t *grant_json(const es_grant_row *g)
{
	char na[32], at[32];

	fmt_time(na, sizeof(na), g->not_after);
	fmt_time(at, sizeof(at), g->created_at);
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:b,s:b,s:b,s:s}", "id", (json_int_t)g->id,
			 "seal_id", g->seal_code, "login", g->login, "granted_by", g->granted_by ? g->granted_by : "",
			 "not_after", na, "max_uses", (json_int_t)g->max_uses, "uses", (json_int_t)g->uses,
			 "needs_approval", g->needs_approval, "auto_sign", g->auto_sign, "revoked", g->revoked,
			 "created_at", at);
}

static int grant_list(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {{"seal", required_argument, 0, 's'}, {"login", required_argument, 0, 'l'},
					   {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *seal = NULL, *login = NULL;
	es_grant_row *rows = NULL;
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	size_t n = 0, i;
	int ch, rc, json = c->json;
	json_t *arr;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's': seal = optarg; break;
		case 'l': login = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: eseal grant list [--seal SEAL] [--login USER] [--json]\n\n"
			       "Grants of a seal and/or a user, removed ones too (state column).\n");
			return EXIT_OK;
		default: return cli_bad_option("grant list", argv);
		}
	}
	if ((seal == NULL && login == NULL) || optind < argc)
		return cli_usage("grant list wants --seal SEAL and/or --login USER");
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_store_grant_list(es_platform_store(p), seal, login, &rows, &n, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		char na[32], mu[24] = "unlimited";

		if (json) {
			json_array_append_new(arr, grant_json(&rows[i]));
			continue;
		}
		fmt_time(na, sizeof(na), rows[i].not_after);
		if (rows[i].max_uses > 0)
			snprintf(mu, sizeof(mu), "%" PRId64, rows[i].max_uses);
		printf("%" PRId64 "\t%s\t%s\t%s\tuntil %s\tuses %" PRId64 "/%s\t%s%s\n", rows[i].id,
		       rows[i].revoked ? "removed" : "active", rows[i].seal_code, rows[i].login, na, rows[i].uses,
		       mu, rows[i].needs_approval ? "approval " : "", rows[i].auto_sign ? "auto-sign" : "");
	}
	if (json) {
		char *s = json_dumps(arr, CLI_JSON_FLAGS);

		puts(s ? s : "[]");
		free(s);
	}
	json_decref(arr);
out:
	ES_ROWS_FREE(rows, n, es_grant_row_clear);
	es_platform_close(p);
	return rc;
}

static int grant_remove(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {{"as", required_argument, 0, 'A'}, {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *as = NULL;
	es_platform *p = NULL;
	es_err err = ES_ERR_INIT;
	int64_t id = 0;
	int ch, rc;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'A': as = optarg; break;
		case 'h':
			printf("usage: eseal grant remove ID [--as LOGIN]\n\nEnd a grant at once (kept in the list as removed).\n");
			return EXIT_OK;
		default: return cli_bad_option("grant remove", argv);
		}
	}
	if (optind + 1 != argc || cli_parse_id(&id, argv[optind]) < 0)
		return cli_usage("usage: eseal grant remove ID; see 'eseal grant remove --help'");
	if ((rc = cli_open(c, &p)) != 0)
		return rc;
	if (es_grant_remove(p, id, as ? as : "operator", "cli", &err) < 0)
		rc = cli_fail(&err);
	else
		printf("grant %" PRId64 " removed\n", id);
	es_platform_close(p);
	return rc;
}

int cmd_grant(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd sub[] = {
		{"add", grant_add, "let a user seal with a seal (授权)"},
		{"list", grant_list, "grants of a seal or a user"},
		{"remove", grant_remove, "end a grant"}, {0, 0, 0}};
	return cli_dispatch(c, "grant", sub, argc, argv);
}
