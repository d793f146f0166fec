/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <openssl/pem.h>
#include "eseal/pki.h"

static EVP_PKEY *load_vector_key(void)
{
	FILE *f = fopen(ESEAL_SHARED_DIR "/vectors/ofd/ofdrw-sign_key.pem", "r");
	EVP_PKEY *k;

	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

static void sm2_signature_verifies_and_detects_change(void **state)
{
	EVP_PKEY *k = load_vector_key();
	unsigned char *sig = NULL, msg[] = "seal me";
	size_t siglen = 0;

	(void)state;
	assert_int_equal(es_sm2_sign(&sig, &siglen, k, msg, sizeof(msg), NULL), 0);
	assert_true(siglen >= 68 && siglen <= 72);
	assert_int_equal(es_sm2_verify(k, sig, siglen, msg, sizeof(msg), NULL), 0);
	msg[0] ^= 1;
	assert_int_equal(es_sm2_verify(k, sig, siglen, msg, sizeof(msg), NULL), ES_EVERIFY);
	OPENSSL_free(sig);
	EVP_PKEY_free(k);
}

static void sm3_of_abc_matches_gbt32905(void **state)
{
	/* GB/T 32905-2016 Appendix A example 1 */
	static const unsigned char want[32] = {
		0x66, 0xc7, 0xf0, 0xf4, 0x62, 0xee, 0xed, 0xd9, 0xd1, 0xf2, 0xd4, 0x6b,
		0xdc, 0x10, 0xe4, 0xe2, 0x41, 0x67, 0xc4, 0x87, 0x5c, 0xf2, 0xf7, 0xa2,
		0x29, 0x7d, 0xa0, 0x2b, 0x8f, 0x4b, 0xa8, 0xe0};
	unsigned char out[32];

	(void)state;
	assert_int_equal(es_sm3(out, (const unsigned char *)"abc", 3, NULL), 0);
	assert_memory_equal(out, want, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sm2_signature_verifies_and_detects_change),
		cmocka_unit_test(sm3_of_abc_matches_gbt32905),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
