/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "util.h"

int es_buf_reserve(es_buf *b, size_t extra, es_err *err)
{
	size_t need, cap;
	unsigned char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return es_err_set(err, ES_ENOMEM, "buffer too large");
	need = b->len + extra + 1; /* keep room for a NUL terminator */
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	b->data = p;
	b->cap = cap;
	return 0;
}

int es_buf_append(es_buf *b, const void *p, size_t n, es_err *err)
{
	int rc;

	if ((rc = es_buf_reserve(b, n, err)) < 0)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int es_buf_puts(es_buf *b, const char *s, es_err *err)
{
	return es_buf_append(b, s, strlen(s), err);
}

int es_buf_printf(es_buf *b, es_err *err, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return es_err_set(err, ES_EINVAL, "bad format");
	if ((rc = es_buf_reserve(b, (size_t)n, err)) < 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void es_buf_free(es_buf *b, int secret)
{
	if (b == NULL)
		return;
	if (secret && b->data != NULL)
		OPENSSL_cleanse(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int es_file_read(es_buf *out, const char *path, size_t max_len, es_err *err)
{
	FILE *f;
	unsigned char chunk[65536];
	struct stat sb;
	size_t n;
	int rc = 0;

	f = fopen(path, "rb");
	if (f == NULL)
		return es_err_set(err, errno == ENOENT ? ES_ENOTFOUND : ES_EIO,
				  "cannot open %s: %s", path, strerror(errno));
	/* A regular file's size is known: one allocation instead of doubling. */
	if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
	    (uint64_t)sb.st_size <= max_len && (rc = es_buf_reserve(out, (size_t)sb.st_size, err)) < 0) {
		fclose(f);
		return rc;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > max_len) {
			rc = es_err_set(err, ES_ERANGE, "%s is larger than %zu bytes", path, max_len);
			break;
		}
		if ((rc = es_buf_append(out, chunk, n, err)) < 0)
			break;
	}
	if (rc == 0 && ferror(f))
		rc = es_err_set(err, ES_EIO, "cannot read %s", path);
	fclose(f);
	if (rc == 0 && out->data == NULL)
		rc = es_buf_reserve(out, 0, err); /* empty file: still a valid buffer */
	return rc;
}

int es_sha256_hex(char out[65], const void *data, size_t n, es_err *err)
{
	unsigned char md[32];
	unsigned int len = 0;

	if (EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) != 1 || len != sizeof(md))
		return es_err_ssl(err, ES_ECRYPTO, "SHA-256 failed");
	es_hex_encode(out, md, sizeof(md));
	return 0;
}

int es_fsync_path(const char *path, es_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return es_err_set(err, ES_EIO, "cannot open %s to sync it: %s", path, strerror(errno));
	ok = fsync(fd) == 0;
	close(fd);
	return ok ? 0 : es_err_set(err, ES_EIO, "cannot sync %s: %s", path, strerror(errno));
}

int es_fsync_parent(const char *path, es_err *err)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return es_err_set(err, ES_ERANGE, "path too long: %s", path);
	return es_fsync_path(dirname(tmp), err);
}

int es_file_write_atomic(const char *path, const void *data, size_t len,
			 int mode, es_err *err)
{
	char tmp[PATH_MAX];
	const unsigned char *p = data;
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return es_err_set(err, ES_EINVAL, "path too long: %s", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return es_err_set(err, ES_EIO, "cannot create %s: %s", tmp, strerror(errno));
	if (fchmod(fd, (mode_t)mode) != 0)
		goto fail;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	(void)es_fsync_parent(path, NULL);
	return 0;
fail:
	n = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return es_err_set(err, ES_EIO, "cannot write %s: %s", path, strerror(n));
}

int es_file_digest_update(EVP_MD_CTX *c, const char *path, long long from,
			  long long *total, es_err *err)
{
	unsigned char buf[65536];
	FILE *f = fopen(path, "rb");
	long long n_total = 0;
	size_t n;
	int rc = 0;

	if (f == NULL || (from > 0 && fseeko(f, (off_t)from, SEEK_SET) != 0)) {
		rc = es_err_set(err, ES_EIO, "cannot read %s", path);
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (EVP_DigestUpdate(c, buf, n) != 1) {
			rc = es_err_set(err, ES_ECRYPTO, "digest failed");
			goto out;
		}
		n_total += (long long)n;
	}
	if (ferror(f))
		rc = es_err_set(err, ES_EIO, "cannot read %s", path);
	if (total != NULL)
		*total = from + n_total;
out:
	if (f)
		fclose(f);
	return rc;
}

int es_digest_final_hex(char out[65], EVP_MD_CTX *c, es_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(c, md, &n) != 1 || n != 32)
		return es_err_set(err, ES_ECRYPTO, "digest failed");
	es_hex_encode(out, md, n);
	return 0;
}

int es_file_sha256(char out[65], const char *path, es_err *err)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int rc;

	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
	else if ((rc = es_file_digest_update(c, path, 0, NULL, err)) == 0)
		rc = es_digest_final_hex(out, c, err);
	EVP_MD_CTX_free(c);
	return rc;
}

int es_mkdir_p(const char *path, int mode, es_err *err)
{
	char tmp[PATH_MAX];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return es_err_set(err, ES_EINVAL, "bad directory path");
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, i == n ? (mode_t)mode : 0755) != 0 && errno != EEXIST)
			return es_err_set(err, ES_EIO, "cannot create directory %s: %s",
					  tmp, strerror(errno));
		tmp[i] = i == n ? '\0' : '/';
	}
	return 0;
}

int es_path_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

void es_hex_encode(char *out, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int es_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint64_t es_get_be(const unsigned char *b, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

void es_put_be(unsigned char *b, uint64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)v;
}

long es_hex_decode(unsigned char *out, size_t cap, const char *hex, size_t hexlen)
{
	size_t i;

	if (hexlen % 2 != 0 || hexlen / 2 > cap)
		return -1;
	for (i = 0; i < hexlen / 2; i++) {
		int hi = es_hex_value((unsigned char)hex[2 * i]);
		int lo = es_hex_value((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(hexlen / 2);
}

int es_base64_encode(char **out, const unsigned char *p, size_t n, es_err *err)
{
	size_t cap = 4 * ((n + 2) / 3) + 1;
	char *s;

	if (n > (size_t)INT_MAX / 2)
		return es_err_set(err, ES_ERANGE, "data too large for Base64");
	s = malloc(cap);
	if (s == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	*out = s;
	return 0;
}

int es_base64_decode(es_buf *out, const char *s, size_t slen, es_err *err)
{
	es_buf clean = {0};
	size_t i, pad = 0;
	int n, rc;

	for (i = 0; i < slen; i++) {
		char c = s[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if ((rc = es_buf_append(&clean, &c, 1, err)) < 0)
			goto out;
	}
	if (clean.len == 0 || clean.len % 4 != 0 || clean.len > INT_MAX) {
		rc = es_err_set(err, ES_EFORMAT, "bad Base64 text");
		goto out;
	}
	if (clean.data[clean.len - 1] == '=')
		pad++;
	if (clean.data[clean.len - 2] == '=')
		pad++;
	if ((rc = es_buf_reserve(out, clean.len / 4 * 3, err)) < 0)
		goto out;
	n = EVP_DecodeBlock(out->data + out->len, clean.data, (int)clean.len);
	if (n < 0 || (size_t)n < pad) {
		rc = es_err_set(err, ES_EFORMAT, "bad Base64 text");
		goto out;
	}
	out->len += (size_t)n - pad;
	out->data[out->len] = '\0';
	rc = 0;
out:
	es_buf_free(&clean, 0);
	return rc;
}

int es_random(void *p, size_t n, es_err *err)
{
	if (n > INT_MAX || RAND_bytes(p, (int)n) != 1)
		return es_err_ssl(err, ES_ECRYPTO, "random number generator failed");
	return 0;
}

void es_time_iso(char *buf, size_t cap, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int es_strdup(char **out, const char *s, es_err *err)
{
	*out = strdup(s ? s : "");
	if (*out == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	return 0;
}

int es_parse_long(long *out, const char *s, long min, long max)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return ES_EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return ES_EINVAL;
	*out = v;
	return 0;
}
