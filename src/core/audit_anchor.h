/* Audit head anchoring: the platform TSA timestamps the head of the audit
 * chain every N entries or T minutes (docs/server.md "Audit").
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_AUDIT_ANCHOR_H
#define ES_AUDIT_ANCHOR_H

#include "eseal/platform.h"
#include "eseal/store.h"

#define ES_AUDIT_ANCHOR_EVERY_DEFAULT 20
#define ES_AUDIT_ANCHOR_MINUTES_DEFAULT 10

/** Called after entry head_id was appended: anchor it when
 * $ESEAL_AUDIT_ANCHOR_EVERY (default 20) entries passed since the last
 * anchor, $ESEAL_AUDIT_ANCHOR_MINUTES (default 10) minutes elapsed, or the
 * log has no anchor yet.  Runs inside the caller's transaction if any. */
int es_audit_anchor_after_append(es_platform *p, int64_t head_id, es_err *err);

/** Check every anchor against an intact chain rows[0..n) (ids 1..n): the
 * token verifies with the platform's P-256 TSA certificate over the entry's
 * hash, and the entry still exists with that hash.  On a problem *bad_id is
 * set (the first missing entry when the log was cut) and why says what. */
int es_audit_anchors_check(es_platform *p, const es_audit_row *rows, size_t n, int64_t *bad_id,
			   char *why, size_t why_cap, es_err *err);

#endif
