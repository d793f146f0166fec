/* Internal helpers shared by every concern: buffers, files, encodings.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_UTIL_H
#define ES_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/evp.h>
#include "eseal/err.h"

/** Growable byte buffer.  Zero-initialise ({0}) to start empty. */
typedef struct es_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
} es_buf;

int es_buf_reserve(es_buf *b, size_t extra, es_err *err);
int es_buf_append(es_buf *b, const void *p, size_t n, es_err *err);
int es_buf_puts(es_buf *b, const char *s, es_err *err);
int es_buf_printf(es_buf *b, es_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** Free the buffer's memory (wiped first when secret != 0) and zero it. */
void es_buf_free(es_buf *b, int secret);

/** Read a whole file (at most max_len bytes; ES_ERANGE when larger). */
int es_file_read(es_buf *out, const char *path, size_t max_len, es_err *err);
/** Write a file atomically: temp file in the same directory, fsync, rename,
 * fsync the directory.  mode e.g. 0600.  Never leaves a half-written file. */
int es_file_write_atomic(const char *path, const void *data, size_t len,
			 int mode, es_err *err);
/** fsync a file or a directory by name. */
int es_fsync_path(const char *path, es_err *err);
/** fsync the directory that holds path (after a rename or create in it). */
int es_fsync_parent(const char *path, es_err *err);
/** Lower-case hex SHA-256 of n bytes. */
int es_sha256_hex(char out[65], const void *data, size_t n, es_err *err);
/** Lower-case hex SHA-256 of a file, streamed. */
int es_file_sha256(char out[65], const char *path, es_err *err);
/** Feed the bytes of path from offset `from` to its end into c; *total (may
 * be NULL) = the file's size. */
int es_file_digest_update(EVP_MD_CTX *c, const char *path, long long from,
			  long long *total, es_err *err);
/** Finish a SHA-256 into lower-case hex. */
int es_digest_final_hex(char out[65], EVP_MD_CTX *c, es_err *err);
/** mkdir -p with mode for the last component. */
int es_mkdir_p(const char *path, int mode, es_err *err);
int es_path_exists(const char *path);

/** Lower-case hex of n bytes into out (2n+1 bytes). */
void es_hex_encode(char *out, const unsigned char *p, size_t n);
/** Value of one hex digit (either case), or -1. */
int es_hex_value(int c);
/** The n-byte (n <= 8) big-endian unsigned integer at b. */
uint64_t es_get_be(const unsigned char *b, int n);
/** Write v as an n-byte (n <= 8) big-endian integer at b. */
void es_put_be(unsigned char *b, uint64_t v, int n);
/** Decode hex (case-insensitive); returns bytes written or -1. */
long es_hex_decode(unsigned char *out, size_t cap, const char *hex, size_t hexlen);
/** Standard Base64 with padding; caller frees *out. */
int es_base64_encode(char **out, const unsigned char *p, size_t n, es_err *err);
/** Decodes Base64 (ignores whitespace). */
int es_base64_decode(es_buf *out, const char *s, size_t slen, es_err *err);

/** Fill with cryptographically strong random bytes (OpenSSL RAND_bytes). */
int es_random(void *p, size_t n, es_err *err);

/** "2026-11-25T19:46:09Z" into buf (>= 21 bytes). */
void es_time_iso(char *buf, size_t cap, time_t t);

/** strdup that reports ES_ENOMEM. */
int es_strdup(char **out, const char *s, es_err *err);
/** Checked strtol for a whole string.  Returns 0 or ES_EINVAL. */
int es_parse_long(long *out, const char *s, long min, long max);

#define ES_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
