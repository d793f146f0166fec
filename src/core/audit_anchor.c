/* Audit head anchoring.  The hash chain alone cannot show that its last
 * entries were cut off: what remains is still a valid chain.  So every N
 * entries or T minutes the platform TSA (P-256 family, RFC 3161) stamps the
 * head entry's hash; an anchor that points past the end of the log, or at an
 * entry whose hash changed, proves entries were removed or rewritten.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "eseal/store_server.h"
#include "audit_anchor.h"
#include "core.h"
#include "util/util.h"

#define ES_SHA256_LEN 32
#define ES_SHA256_HEX_LEN 64
#define ES_SECONDS_PER_MINUTE 60
#define ES_ANCHOR_SETTING_MAX 1000000L
/* The entry is written, then stamped: the token cannot be older than the entry
 * (one second of slack for the entry's whole-second time). */
#define ES_ANCHOR_CLOCK_SLACK_S 1

/* Positive integer from the environment, else def. */
static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	char *end = NULL;
	long n;

	if (v == NULL || *v == '\0')
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1 || n > ES_ANCHOR_SETTING_MAX)
		return def;
	return n;
}

/* What the TSA stamps: SHA-256 of the 32 bytes of the entry's hash. */
static int anchor_digest(unsigned char md[ES_SHA256_LEN], const char *hash_hex, es_err *err)
{
	unsigned char raw[ES_SHA256_LEN];
	unsigned int mdlen = 0;

	if (strlen(hash_hex) != ES_SHA256_HEX_LEN ||
	    es_hex_decode(raw, sizeof(raw), hash_hex, ES_SHA256_HEX_LEN) != ES_SHA256_LEN)
		return es_err_set(err, ES_EFORMAT, "audit hash is not 64 hex digits");
	if (EVP_Digest(raw, sizeof(raw), md, &mdlen, EVP_sha256(), NULL) != 1)
		return es_err_set(err, ES_ECRYPTO, "SHA-256 failed");
	return 0;
}

/* Is an anchor due after entry head_id?  1 yes, 0 no, <0 error. */
static int anchor_due(es_platform *p, int64_t head_id, time_t now, es_err *err)
{
	es_audit_anchor_row last;
	long every = env_long("ESEAL_AUDIT_ANCHOR_EVERY", ES_AUDIT_ANCHOR_EVERY_DEFAULT);
	long minutes = env_long("ESEAL_AUDIT_ANCHOR_MINUTES", ES_AUDIT_ANCHOR_MINUTES_DEFAULT);
	int rc = es_store_audit_anchor_last(p->st, &last, err);

	if (rc == ES_ENOTFOUND) {
		es_err_clear(err);
		return 1;
	}
	if (rc < 0)
		return rc;
	rc = head_id > last.audit_id &&
	     (head_id - last.audit_id >= every || now - last.created_at >= minutes * ES_SECONDS_PER_MINUTE);
	es_audit_anchor_row_clear(&last);
	return rc;
}

int es_audit_anchor_after_append(es_platform *p, int64_t head_id, es_err *err)
{
	const es_pki_family *fam = NULL;
	es_audit_anchor_row a;
	unsigned char md[ES_SHA256_LEN];
	char hash[ES_SHA256_HEX_LEN + 1];
	time_t now = time(NULL);
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = anchor_due(p, head_id, now, err)) <= 0)
		return rc;
	if ((rc = es_store_audit_hash_get(p->st, head_id, hash, err)) < 0 ||
	    (rc = anchor_digest(md, hash, err)) < 0 ||
	    (rc = es_platform_family_keys(p, ES_ALG_P256, ES_FAM_TSA_KEY, &fam, err)) < 0)
		return rc;
	if ((rc = es_tsa_stamp(&a.tst.data, &a.tst.len, md, sizeof(md), NID_sha256, fam->tsa,
			       fam->tsa_key, NULL, err)) < 0)
		goto out;
	a.audit_id = head_id;
	a.head_hash = hash;
	a.created_at = now;
	rc = es_store_audit_anchor_insert(p->st, &a, err);
out:
	free(a.tst.data);
	return rc;
}

/* One anchor against the chain; 1 when it shows a problem (why filled). */
static int anchor_check_one(const es_audit_anchor_row *a, X509 *tsa, const es_audit_row *rows, size_t n,
			    int64_t *bad_id, char *why, size_t why_cap, es_err *err)
{
	const es_audit_row *e;
	unsigned char md[ES_SHA256_LEN];
	time_t gen = 0;
	int rc;

	if (a->audit_id < 1) {
		*bad_id = 1;
		snprintf(why, why_cap, "audit anchor %lld names no entry (%lld)", (long long)a->id,
			 (long long)a->audit_id);
		return 1;
	}
	if ((uint64_t)a->audit_id > (uint64_t)n) {
		*bad_id = (int64_t)n + 1;
		snprintf(why, why_cap, "entries %zu to %lld were removed: audit anchor %lld timestamped entry %lld,"
			 " but the log ends at entry %zu", n + 1, (long long)a->audit_id, (long long)a->id,
			 (long long)a->audit_id, n);
		return 1;
	}
	e = &rows[a->audit_id - 1];
	*bad_id = e->id;
	if (strcmp(e->hash, a->head_hash) != 0) {
		snprintf(why, why_cap, "entry %lld is not the entry audit anchor %lld timestamped:"
			 " the log up to it was rewritten", (long long)e->id, (long long)a->id);
		return 1;
	}
	if ((rc = anchor_digest(md, e->hash, err)) < 0)
		return rc;
	rc = es_tsa_token_verify(&gen, NULL, a->tst.data, a->tst.len, md, sizeof(md), NID_sha256, tsa, NULL);
	if (rc < 0) {
		snprintf(why, why_cap, "the timestamp of audit anchor %lld (entry %lld) does not verify"
			 " with the platform TSA", (long long)a->id, (long long)e->id);
		return 1;
	}
	if (e->ts > gen + ES_ANCHOR_CLOCK_SLACK_S) {
		snprintf(why, why_cap, "entry %lld is dated after the timestamp of audit anchor %lld",
			 (long long)e->id, (long long)a->id);
		return 1;
	}
	*bad_id = 0;
	return 0;
}

int es_audit_anchors_check(es_platform *p, const es_audit_row *rows, size_t n, int64_t *bad_id,
			   char *why, size_t why_cap, es_err *err)
{
	const es_pki_family *fam = NULL;
	es_audit_anchor_row *anchors = NULL;
	size_t na = 0, i;
	int rc;

	*bad_id = 0;
	if ((rc = es_platform_family_keys(p, ES_ALG_P256, 0, &fam, err)) < 0 ||
	    (rc = es_store_audit_anchor_list(p->st, &anchors, &na, err)) < 0)
		return rc;
	for (i = 0; i < na; i++) {
		rc = anchor_check_one(&anchors[i], fam->tsa, rows, n, bad_id, why, why_cap, err);
		if (rc != 0)
			break;
	}
	ES_ROWS_FREE(anchors, na, es_audit_anchor_row_clear);
	return rc < 0 ? rc : 0;
}
