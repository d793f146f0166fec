/* Helpers shared by the PKI unit tests: temp dirs, files, the openssl CLI.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_PKI_TEST_H
#define ES_PKI_TEST_H

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "eseal/pki.h"

#define PT_PATH_LEN 512
#define PT_OUT_LEN 8192

static inline void pt_tmpdir(char *buf, size_t cap)
{
	snprintf(buf, cap, "/tmp/eseal-pki-test-XXXXXX");
	assert_non_null(mkdtemp(buf));
}

static inline int pt_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void pt_rmtree(const char *dir)
{
	nftw(dir, pt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void pt_path(char *buf, const char *dir, const char *name)
{
	int n = snprintf(buf, PT_PATH_LEN, "%s/%s", dir, name);

	assert_true(n > 0 && n < PT_PATH_LEN);
}

static inline void pt_write(const char *dir, const char *name, const void *p, size_t n)
{
	char path[PT_PATH_LEN];
	FILE *f;

	pt_path(path, dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Append the PEM of each certificate (NULL-terminated list) to dir/name. */
static inline void pt_write_pems(const char *dir, const char *name, X509 *first, ...)
{
	char path[PT_PATH_LEN];
	va_list ap;
	X509 *c;
	FILE *f;

	pt_path(path, dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	va_start(ap, first);
	for (c = first; c != NULL; c = va_arg(ap, X509 *))
		assert_int_equal(PEM_write_X509(f, c), 1);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
}

/* Run a shell command in dir; output (stdout+stderr) into out; exit status. */
static inline int pt_run(char *out, size_t cap, const char *dir, const char *cmd)
{
	char full[PT_OUT_LEN];
	size_t n = 0, got;
	FILE *p;
	int st;

	snprintf(full, sizeof(full), "cd '%s' && %s 2>&1", dir, cmd);
	p = popen(full, "r");
	assert_non_null(p);
	while (n + 1 < cap && (got = fread(out + n, 1, cap - n - 1, p)) > 0)
		n += got;
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#endif
