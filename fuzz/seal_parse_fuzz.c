/* libFuzzer target: SESeal DER parser and checker (STYLE.md rule 12).
 * Build by hand, e.g.:
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude -Isrc fuzz/seal_parse_fuzz.c \
 *     build/src/seal/libeseal_seal.a build/src/pki/libeseal_pki.a \
 *     build/src/util/libeseal_util.a -lcrypto -ljansson -lcurl
 * Seeds: shared/vectors/ofd/\*.esl.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "eseal/report.h"
#include "eseal/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	es_seal *s = NULL;
	es_report r;
	es_sig_report *sig = NULL;

	memset(&r, 0, sizeof(r));
	if (es_seal_parse(&s, data, size, NULL) == 0 &&
	    es_report_add_sig(&r, &sig, "seal", NULL) == 0) {
		/* no anchors; a fixed time keeps runs reproducible */
		(void)es_seal_check(s, &r, sig, NULL, (time_t)1700000000, NULL);
		es_report_finish(&r);
	}
	es_report_clear(&r);
	es_seal_free(s);
	return 0;
}
