/* libFuzzer target: the whole OFD verifier from memory — zip reader, XML,
 * SES_Signature / SignedData DER, seal checks (STYLE.md rule 12).
 * Build and run by hand (see docs/ofd.md "Fuzzing"), seeds: shared/vectors/ofd/\*.ofd.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "eseal/report.h"
#include "eseal/verify.h"
#include "ofd/ofd_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	es_verify_opts o = ES_VERIFY_OPTS_INIT;
	es_report r;

	memset(&r, 0, sizeof(r));
	o.now = (time_t)1700000000; /* reproducible runs */
	(void)es_ofd_verify_mem(&r, data, size, &o, NULL);
	es_report_clear(&r);
	return 0;
}
