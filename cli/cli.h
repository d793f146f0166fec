/* eseal CLI: shared helpers.  SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ESEAL_CLI_H
#define ESEAL_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include "eseal/err.h"
#include "eseal/platform.h"

/* Exit codes (README "Exit codes"). */
#define EXIT_OK 0
#define EXIT_VERIFY_FAILED 1
#define EXIT_USAGE 2
#define EXIT_INDETERMINATE 3

/* Pretty, ordered JSON with mm values to 6 significant digits. */
#define CLI_JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))

typedef struct cli_ctx {
	const char *data_dir;  /* --data, resolved by es_data_dir() */
	const char *lang;      /* zh | en */
	int json;
} cli_ctx;

typedef int (*cli_fn)(cli_ctx *c, int argc, char **argv);
typedef struct cli_cmd {
	const char *name;
	cli_fn fn;
	const char *summary;
} cli_cmd;

/* Print "eseal: <msg>" to stderr and return EXIT_USAGE. */
int cli_fail(const es_err *err);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open the platform of c->data_dir, printing errors. */
int cli_open(cli_ctx *c, es_platform **p);
/* Read a secret line from stdin (no echo handling: stdin is a pipe or file). */
int cli_read_stdin_line(char *buf, size_t cap);
/* Run a sub-command table. */
int cli_dispatch(cli_ctx *c, const char *group, const cli_cmd *cmds, int argc, char **argv);
/* True when argv has --help / -h. */
int cli_wants_help(int argc, char **argv);
/* getopt_long over argv[0..argc) where argv[0] is the sub-command name. */
#define CLI_GETOPT_RESET() (optind = 0, opterr = 0)
/* "unknown or incomplete option" for the option getopt_long just refused. */
int cli_bad_option(const char *cmd, char **argv);
/* Write a file: temp + fsync + rename; prints the error itself. */
int cli_write_file(const char *path, const unsigned char *d, size_t n);
/* Positive decimal id. */
int cli_parse_id(int64_t *out, const char *s);

int cmd_init(cli_ctx *c, int argc, char **argv);
int cmd_pki(cli_ctx *c, int argc, char **argv);
int cmd_crl(cli_ctx *c, int argc, char **argv);
int cmd_backup(cli_ctx *c, int argc, char **argv);
int cmd_grant(cli_ctx *c, int argc, char **argv);
int cmd_restore(cli_ctx *c, int argc, char **argv);
int cmd_org(cli_ctx *c, int argc, char **argv);
int cmd_user(cli_ctx *c, int argc, char **argv);
int cmd_seal(cli_ctx *c, int argc, char **argv);
int cmd_verify(cli_ctx *c, int argc, char **argv);
int cmd_sign(cli_ctx *c, int argc, char **argv);
int cmd_render(cli_ctx *c, int argc, char **argv);
int cmd_sample(cli_ctx *c, int argc, char **argv);
int cmd_audit(cli_ctx *c, int argc, char **argv);
int cmd_serve(cli_ctx *c, int argc, char **argv);

#endif
