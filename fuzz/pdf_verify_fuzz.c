/* libFuzzer target: strict PDF signature verifier (STYLE.md rule 12).
 * Uses the in-memory entry point es_pdf_verify_mem (src/verify/vint.h), so
 * no temporary files.  Build by hand, e.g.:
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude -Isrc fuzz/pdf_verify_fuzz.c \
 *     build/src/verify/libeseal_verify.a build/src/pki/libeseal_pki.a \
 *     build/src/util/libeseal_util.a -lmupdf -lmupdf-third <mupdf deps> \
 *     -lcrypto -ljansson -lcurl
 * Run: ./pdf_verify_fuzz -max_len=200000 -timeout=10 corpus/ shared/vectors/pdf/
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "eseal/report.h"
#include "eseal/verify.h"
#include "verify/vint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	es_verify_opts o = ES_VERIFY_OPTS_INIT;
	es_report r;
	char *json = NULL;

	memset(&r, 0, sizeof(r));
	o.now = (time_t)1700000000;  /* reproducible runs */
	if (es_pdf_verify_mem(&r, data, size, &o, NULL) == 0 &&
	    es_report_json(&json, &r, NULL) == 0)
		free(json);
	es_report_clear(&r);
	return 0;
}
