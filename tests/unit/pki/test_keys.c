/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>
#include "pki_test.h"

static const unsigned char kek1[ES_KEK_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
#define AAD "seal:ES2026TEST0001:sm2"

static void alg_names_are_url_safe(void **state)
{
	(void)state;
	assert_string_equal(es_alg_name(ES_ALG_SM2), "sm2");
	assert_string_equal(es_alg_name(ES_ALG_P256), "p256");
	assert_string_equal(es_alg_name((es_alg)99), "unknown");
}

static void generate_makes_keys_of_each_family(void **state)
{
	EVP_PKEY *k = NULL;
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_key_generate(&k, ES_ALG_SM2, &err), 0);
	assert_true(EVP_PKEY_is_a(k, "SM2"));
	assert_int_equal(es_key_alg(k), ES_ALG_SM2);
	EVP_PKEY_free(k);
	assert_int_equal(es_key_generate(&k, ES_ALG_P256, &err), 0);
	assert_int_equal(es_key_alg(k), ES_ALG_P256);
	EVP_PKEY_free(k);
	assert_int_equal(es_key_generate(&k, (es_alg)7, &err), ES_EINVAL);
	assert_null(k);
}

static void wrap_then_unwrap_gives_the_same_key(void **state)
{
	es_alg algs[] = {ES_ALG_SM2, ES_ALG_P256};
	unsigned char *blob = NULL, *sig = NULL, msg[] = "hello";
	size_t i, len = 0, siglen = 0;
	EVP_PKEY *k = NULL, *back = NULL;
	es_err err = ES_ERR_INIT;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(es_key_generate(&k, algs[i], &err), 0);
		assert_int_equal(es_key_wrap(&blob, &len, k, kek1, AAD, &err), 0);
		assert_memory_equal(blob, "ESK1", 4);
		assert_int_equal(es_key_unwrap(&back, blob, len, kek1, AAD, &err), 0);
		assert_int_equal(EVP_PKEY_eq(k, back), 1);
		assert_int_equal(es_key_alg(back), algs[i]);
		free(blob);
		EVP_PKEY_free(k);
		if (algs[i] == ES_ALG_SM2) { /* still usable as an SM2 key */
			assert_int_equal(es_sm2_sign(&sig, &siglen, back, msg, sizeof(msg), &err), 0);
			assert_int_equal(es_sm2_verify(back, sig, siglen, msg, sizeof(msg), &err), 0);
			OPENSSL_free(sig);
		}
		EVP_PKEY_free(back);
	}
}

static void unwrap_fails_with_wrong_kek_or_aad(void **state)
{
	unsigned char kek2[ES_KEK_LEN], *blob = NULL;
	EVP_PKEY *k = NULL, *back = NULL;
	es_err err = ES_ERR_INIT;
	size_t len = 0;

	(void)state;
	memcpy(kek2, kek1, sizeof(kek2));
	kek2[31] ^= 0x80;
	assert_int_equal(es_key_generate(&k, ES_ALG_SM2, &err), 0);
	assert_int_equal(es_key_wrap(&blob, &len, k, kek1, AAD, &err), 0);
	assert_int_equal(es_key_unwrap(&back, blob, len, kek2, AAD, &err), ES_ECRYPTO);
	assert_null(back);
	assert_non_null(strstr(err.msg, "cannot decrypt"));
	assert_null(strstr(err.msg, AAD)); /* says nothing about the owner */
	assert_int_equal(es_key_unwrap(&back, blob, len, kek1, "seal:OTHER:sm2", &err), ES_ECRYPTO);
	assert_int_equal(es_key_unwrap(&back, blob, len, kek1, NULL, &err), ES_ECRYPTO);
	assert_null(back);
	free(blob);
	EVP_PKEY_free(k);
}

static void unwrap_detects_any_changed_byte(void **state)
{
	unsigned char *blob = NULL;
	EVP_PKEY *k = NULL, *back = NULL;
	es_err err = ES_ERR_INIT;
	size_t len = 0, i;
	int rc;

	(void)state;
	assert_int_equal(es_key_generate(&k, ES_ALG_P256, &err), 0);
	assert_int_equal(es_key_wrap(&blob, &len, k, kek1, AAD, &err), 0);
	for (i = 0; i < len; i++) {
		blob[i] ^= 0x01;
		rc = es_key_unwrap(&back, blob, len, kek1, AAD, &err);
		assert_int_equal(rc, i < 4 ? ES_EFORMAT : ES_ECRYPTO);
		assert_null(back);
		blob[i] ^= 0x01;
	}
	assert_int_equal(es_key_unwrap(&back, blob, len - 1, kek1, AAD, &err), ES_ECRYPTO);
	assert_int_equal(es_key_unwrap(&back, blob, 31, kek1, AAD, &err), ES_EFORMAT);
	assert_int_equal(es_key_unwrap(&back, blob, len, kek1, AAD, &err), 0);
	EVP_PKEY_free(back);
	free(blob);
	EVP_PKEY_free(k);
}

static void secret_seal_round_trips_including_empty(void **state)
{
	const char *plain = "110101199003074514";
	unsigned char *blob = NULL, *back = NULL, *blob2 = NULL;
	size_t len = 0, blen = 0, len2 = 0;
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_secret_seal(&blob, &len, (const unsigned char *)plain, strlen(plain),
					kek1, "user:7:id_number", &err), 0);
	assert_int_equal(len, strlen(plain) + 32);
	assert_null(memmem(blob, len, plain, strlen(plain)));
	/* same plaintext, fresh nonce: a different blob */
	assert_int_equal(es_secret_seal(&blob2, &len2, (const unsigned char *)plain, strlen(plain),
					kek1, "user:7:id_number", &err), 0);
	assert_memory_not_equal(blob + 4, blob2 + 4, 12);
	assert_int_equal(es_secret_open(&back, &blen, blob, len, kek1, "user:7:id_number", &err), 0);
	assert_int_equal(blen, strlen(plain));
	assert_string_equal((char *)back, plain); /* NUL-terminated */
	free(back);
	assert_int_equal(es_secret_open(&back, &blen, blob, len, kek1, "user:8:id_number", &err),
			 ES_ECRYPTO);
	free(blob);
	free(blob2);

	assert_int_equal(es_secret_seal(&blob, &len, NULL, 0, kek1, NULL, &err), 0);
	assert_int_equal(len, 32);
	assert_int_equal(es_secret_open(&back, &blen, blob, len, kek1, "", &err), 0);
	assert_int_equal(blen, 0);
	free(back);
	free(blob);
}

/* ---- KEK file ---- */

static void kek_is_created_once_with_mode_0600(void **state)
{
	char dir[64], sub[PT_PATH_LEN], path[PT_PATH_LEN];
	unsigned char a[ES_KEK_LEN], b[ES_KEK_LEN];
	es_err err = ES_ERR_INIT;
	struct stat st;

	(void)state;
	unsetenv("ESEAL_MASTER_KEY_FILE");
	pt_tmpdir(dir, sizeof(dir));
	pt_path(sub, dir, "data");
	assert_int_equal(es_kek_load(a, sub, 0, &err), ES_ENOTFOUND);
	assert_non_null(strstr(err.msg, "ESEAL_MASTER_KEY_FILE"));
	assert_int_equal(es_kek_load(a, sub, 1, &err), 0);
	pt_path(path, sub, "master.key");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 65);
	assert_int_equal(es_kek_load(b, sub, 1, &err), 0); /* not replaced */
	assert_memory_equal(a, b, ES_KEK_LEN);
	assert_int_equal(es_kek_load(b, sub, 0, &err), 0);
	assert_memory_equal(a, b, ES_KEK_LEN);
	pt_rmtree(dir);
}

static void kek_readable_by_others_is_refused(void **state)
{
	char dir[64], path[PT_PATH_LEN];
	unsigned char k[ES_KEK_LEN];
	es_err err = ES_ERR_INIT;

	(void)state;
	unsetenv("ESEAL_MASTER_KEY_FILE");
	pt_tmpdir(dir, sizeof(dir));
	assert_int_equal(es_kek_load(k, dir, 1, &err), 0);
	pt_path(path, dir, "master.key");
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(es_kek_load(k, dir, 0, &err), ES_EPERM);
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(es_kek_load(k, dir, 1, &err), ES_EPERM);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(es_kek_load(k, dir, 0, &err), 0);
	pt_rmtree(dir);
}

static void kek_file_from_environment_wins(void **state)
{
	char dir[64], path[PT_PATH_LEN], data[PT_PATH_LEN];
	static const char hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F\n";
	unsigned char k[ES_KEK_LEN];
	es_err err = ES_ERR_INIT;
	int i;

	(void)state;
	pt_tmpdir(dir, sizeof(dir));
	pt_write(dir, "kek.hex", hex, strlen(hex));
	pt_path(path, dir, "kek.hex");
	assert_int_equal(chmod(path, 0600), 0);
	pt_path(data, dir, "data");
	setenv("ESEAL_MASTER_KEY_FILE", path, 1);
	assert_int_equal(es_kek_load(k, data, 1, &err), 0);
	for (i = 0; i < ES_KEK_LEN; i++)
		assert_int_equal(k[i], i);
	assert_int_not_equal(access(data, F_OK), 0); /* data dir untouched */
	unsetenv("ESEAL_MASTER_KEY_FILE");
	pt_rmtree(dir);
}

static void kek_with_bad_content_is_rejected(void **state)
{
	char dir[64], path[PT_PATH_LEN];
	unsigned char k[ES_KEK_LEN];
	es_err err = ES_ERR_INIT;
	const char *bad[] = {"abcd\n", "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
			     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00", ""};
	size_t i;

	(void)state;
	pt_tmpdir(dir, sizeof(dir));
	pt_path(path, dir, "k");
	setenv("ESEAL_MASTER_KEY_FILE", path, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pt_write(dir, "k", bad[i], strlen(bad[i]));
		assert_int_equal(chmod(path, 0600), 0);
		assert_int_equal(es_kek_load(k, NULL, 1, &err), ES_EFORMAT);
		assert_non_null(strstr(err.msg, "64 hex"));
	}
	unsetenv("ESEAL_MASTER_KEY_FILE");
	assert_int_equal(es_kek_load(k, NULL, 1, &err), ES_EINVAL);
	pt_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alg_names_are_url_safe),
		cmocka_unit_test(generate_makes_keys_of_each_family),
		cmocka_unit_test(wrap_then_unwrap_gives_the_same_key),
		cmocka_unit_test(unwrap_fails_with_wrong_kek_or_aad),
		cmocka_unit_test(unwrap_detects_any_changed_byte),
		cmocka_unit_test(secret_seal_round_trips_including_empty),
		cmocka_unit_test(kek_is_created_once_with_mode_0600),
		cmocka_unit_test(kek_readable_by_others_is_refused),
		cmocka_unit_test(kek_file_from_environment_wins),
		cmocka_unit_test(kek_with_bad_content_is_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
