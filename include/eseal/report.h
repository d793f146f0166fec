/* eseal: verification report shared by seal, PDF and OFD verifiers.
 *
 * Verdicts follow ETSI EN 319 102-1 and are the CLI exit codes:
 *   0 TOTAL_PASSED   intact and trusted
 *   1 TOTAL_FAILED   broken signature, tampering, disallowed change
 *   2 UNREADABLE     not a seal/PDF/OFD, unreadable, usage error
 *   3 INDETERMINATE  intact, but chain not trusted / revocation unknown / expired
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#ifndef ESEAL_REPORT_H
#define ESEAL_REPORT_H

#include "eseal/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum es_verdict {
	ES_TOTAL_PASSED = 0,
	ES_TOTAL_FAILED = 1,
	ES_UNREADABLE = 2,
	ES_INDETERMINATE = 3
} es_verdict;

/** Severity of one finding; the worst finding decides a signature's verdict. */
typedef enum es_severity {
	ES_SEV_INFO = 0,   /**< a fact worth telling (no effect on the verdict) */
	ES_SEV_INDET = 3,  /**< makes the result INDETERMINATE at best */
	ES_SEV_FAIL = 1    /**< makes the result TOTAL_FAILED */
} es_severity;

/** One finding: stable machine code + English and Chinese text. */
typedef struct es_finding {
	es_severity severity;
	char code[48];      /**< e.g. "DIGEST_MISMATCH", "CHAIN_UNTRUSTED" (stable, documented) */
	char en[256];
	char zh[256];
} es_finding;

/** What one signature (or a standalone seal) was found to be. */
typedef struct es_sig_report {
	es_verdict verdict;       /**< computed by es_report_finish() from findings */
	char kind[24];            /**< "seal", "pades", "doc-timestamp", "ofd-seal", "ofd-sign" */
	char field[128];          /**< PDF field name / OFD Sign id */
	char seal_name[256];      /**< SESeal property name, UTF-8 */
	char seal_code[128];      /**< esID */
	char seal_maker[256];     /**< maker certificate subject CN */
	char signer[256];         /**< signer certificate subject CN */
	char organisation[256];   /**< signer certificate subject O */
	char signing_time[32];    /**< ISO 8601 UTC, "" when unknown */
	char time_source[24];     /**< "timestamp", "untrusted-timestamp", "claimed", "none" */
	char level[16];           /**< "B-B","B-T","B-LT","B-LTA","SES-v4","SES-v1", "" */
	char revocation[16];      /**< "good", "revoked", "unknown", "not-checked" */
	char valid_from[32], valid_to[32]; /**< seal or certificate validity */
	int chain_trusted;        /**< 1 reaches a trust anchor */
	int integrity_ok;         /**< 1 cryptographically intact */
	int covers_whole;         /**< 1 covers the whole current document */
	int page;                 /**< 1-based page of the picture, 0 none */
	double x_mm, y_mm, w_mm, h_mm; /**< picture box, mm from page top-left */
	es_finding *findings;
	size_t nfindings;
} es_sig_report;

/** The report for a file. */
typedef struct es_report {
	es_verdict verdict;       /**< worst of the signatures (ordered FAILED > INDET > PASSED) */
	char file_type[8];        /**< "seal", "pdf", "ofd" */
	char file_sha256[65];
	es_sig_report *sigs;
	size_t nsigs;
	es_finding *findings;     /**< document-level findings (e.g. unprotected files) */
	size_t nfindings;
} es_report;

/** Append a fresh zeroed signature entry; *out borrowed until the report is freed. */
int es_report_add_sig(es_report *r, es_sig_report **out, const char *kind, es_err *err);
/** Add a finding to a signature (sig != NULL) or to the document (sig == NULL). */
int es_report_add(es_report *r, es_sig_report *sig, es_severity sev, const char *code,
		  const char *en, const char *zh, es_err *err);
/** Compute every verdict from the findings.  A report with no signature is
 * UNREADABLE unless a document-level finding says FAILED. */
void es_report_finish(es_report *r);
/** Render as stable JSON (docs/verify-report.md); caller frees *out. */
int es_report_json(char **out, const es_report *r, es_err *err);
/** Render for people; lang "zh" or "en".  caller frees *out. */
int es_report_text(char **out, const es_report *r, const char *lang, es_err *err);
/** Free contents (not r itself). */
void es_report_clear(es_report *r);

/** Word for a verdict: TOTAL_PASSED, TOTAL_FAILED, UNREADABLE, INDETERMINATE. */
const char *es_verdict_name(es_verdict v);

#ifdef __cplusplus
}
#endif
#endif
