/* Digests of signed byte ranges from one shared pass (src/verify/digest.c)
 * and the verifier's file reader (src/verify/vfile.c).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "verify/vint.h"

#define FILE_LEN 300000
#define BIG_FILE_LEN ((size_t)5 * 1024 * 1024 + 123)

static unsigned char *test_bytes(size_t n)
{
	unsigned char *b = malloc(n);
	size_t i;
	uint32_t x = 2463534242u;

	assert_non_null(b);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (unsigned char)x;
	}
	return b;
}

/* What the verifier used to compute: both ranges, hashed directly. */
static void reference(const EVP_MD *md, const unsigned char *f, const long long br[4],
		      unsigned char *out, unsigned int *outlen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	assert_non_null(c);
	assert_int_equal(EVP_DigestInit_ex(c, md, NULL), 1);
	assert_int_equal(EVP_DigestUpdate(c, f + br[0], (size_t)br[1]), 1);
	assert_int_equal(EVP_DigestUpdate(c, f + br[2], (size_t)br[3]), 1);
	assert_int_equal(EVP_DigestFinal_ex(c, out, outlen), 1);
	EVP_MD_CTX_free(c);
}

static void shared_pass_gives_each_signature_its_own_digest(void **state)
{
	unsigned char *f = test_bytes(FILE_LEN);
	/* three signatures of three revisions, and one sharing a gap start */
	const long long brs[][4] = {
		{0, 1000, 3000, 17000}, {0, 50000, 52000, 48000},
		{0, 200000, 210000, FILE_LEN - 210000}, {0, 1000, 2500, 500},
	};
	const EVP_MD *mds[] = {EVP_sha256(), EVP_sha1(), EVP_sha512(), EVP_sha384(), EVP_sha224()};
	range_hasher h;
	size_t k, m;

	(void)state;
	rh_init(&h, f, FILE_LEN);
	for (k = 0; k < sizeof(brs) / sizeof(brs[0]); k++)
		rh_add_cut(&h, (size_t)brs[k][1]);
	for (m = 0; m < sizeof(mds) / sizeof(mds[0]); m++)
		for (k = 0; k < sizeof(brs) / sizeof(brs[0]); k++) {
			unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
			unsigned int al = 0, bl = 0;

			assert_int_equal(rh_digest(&h, mds[m], brs[k], a, &al), 0);
			reference(mds[m], f, brs[k], b, &bl);
			assert_int_equal(al, bl);
			assert_memory_equal(a, b, al);
		}
	rh_clear(&h);
	free(f);
}

static void shared_pass_gives_the_file_digest(void **state)
{
	unsigned char *f = test_bytes(FILE_LEN), a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
	const long long br[4] = {0, 7000, 9000, FILE_LEN - 9000};
	unsigned int al = 0, bl = 0;
	range_hasher h;

	(void)state;
	rh_init(&h, f, FILE_LEN);
	rh_add_cut(&h, 7000);
	assert_int_equal(rh_digest(&h, EVP_sha256(), br, a, &al), 0);
	assert_int_equal(rh_file_digest(&h, EVP_sha256(), a, &al), 0);
	assert_int_equal(EVP_Digest(f, FILE_LEN, b, &bl, EVP_sha256(), NULL), 1);
	assert_int_equal(al, bl);
	assert_memory_equal(a, b, al);
	/* a digest never asked for before: its own pass */
	assert_int_equal(rh_file_digest(&h, EVP_sha1(), a, &al), 0);
	assert_int_equal(EVP_Digest(f, FILE_LEN, b, &bl, EVP_sha1(), NULL), 1);
	assert_memory_equal(a, b, al);
	rh_clear(&h);
	free(f);
}

static void unannounced_or_invalid_ranges_are_still_right_or_refused(void **state)
{
	unsigned char *f = test_bytes(FILE_LEN), a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
	const long long late[4] = {0, 1234, 2000, 3000};
	const long long shifted[4] = {10, 100, 2000, 3000};
	const long long beyond[4] = {0, 100, FILE_LEN - 10, 11};
	const long long negative[4] = {0, -1, 10, 10};
	unsigned int al = 0, bl = 0;
	range_hasher h;

	(void)state;
	rh_init(&h, f, FILE_LEN);
	rh_add_cut(&h, 500);
	assert_int_equal(rh_digest(&h, EVP_sha256(), late, a, &al), 0);
	rh_add_cut(&h, 1234);  /* after the pass: ignored, hashed directly */
	assert_int_equal(rh_digest(&h, EVP_sha256(), late, a, &al), 0);
	reference(EVP_sha256(), f, late, b, &bl);
	assert_memory_equal(a, b, al);
	assert_int_equal(rh_digest(&h, EVP_sha256(), shifted, a, &al), 0);
	reference(EVP_sha256(), f, shifted, b, &bl);
	assert_memory_equal(a, b, al);
	assert_int_equal(rh_digest(&h, EVP_sha256(), beyond, a, &al), -1);
	assert_int_equal(rh_digest(&h, EVP_sha256(), negative, a, &al), -1);
	rh_clear(&h);
	free(f);
}

static void write_file(const char *path, const unsigned char *d, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(d, 1, n, f), n);
	fclose(f);
}

static void file_reader_reads_small_large_and_empty_files(void **state)
{
	char dir[] = "/tmp/es-vfile-XXXXXX", path[64];
	unsigned char *big = test_bytes(BIG_FILE_LEN);
	size_t sizes[] = {1, 4096, BIG_FILE_LEN, 0};
	size_t k;
	vfile f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	for (k = 0; k < 2 * sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k % (sizeof(sizes) / sizeof(sizes[0]))];
		int map = k >= sizeof(sizes) / sizeof(sizes[0]);  /* read, then mapped */

		write_file(path, big, n);
		assert_int_equal(vfile_read(&f, path, BIG_FILE_LEN, map, NULL), 0);
		assert_int_equal(f.len, n);
		assert_non_null(f.data);
		if (n > 0)
			assert_memory_equal(f.data, big, n);
		vfile_free(&f);
	}
	unlink(path);
	rmdir(dir);
	free(big);
}

static void file_reader_keeps_the_generic_error_codes(void **state)
{
	char dir[] = "/tmp/es-vfile-XXXXXX", path[64];
	unsigned char *b = test_bytes(FILE_LEN);
	es_err err = ES_ERR_INIT;
	vfile f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	write_file(path, b, FILE_LEN);
	assert_int_equal(vfile_read(&f, path, FILE_LEN - 1, 1, &err), ES_ERANGE);
	assert_int_equal(vfile_read(&f, "/nonexistent/none.pdf", FILE_LEN, 1, &err), ES_ENOTFOUND);
	/* not a regular file: the generic reader */
	assert_int_equal(vfile_read(&f, "/dev/null", FILE_LEN, 1, &err), 0);
	assert_int_equal(f.len, 0);
	vfile_free(&f);
	assert_true(vfile_read(&f, dir, FILE_LEN, 1, &err) < 0);
	unlink(path);
	rmdir(dir);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shared_pass_gives_each_signature_its_own_digest),
		cmocka_unit_test(shared_pass_gives_the_file_digest),
		cmocka_unit_test(unannounced_or_invalid_ranges_are_still_right_or_refused),
		cmocka_unit_test(file_reader_reads_small_large_and_empty_files),
		cmocka_unit_test(file_reader_keeps_the_generic_error_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
