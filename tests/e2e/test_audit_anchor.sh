#!/bin/sh
# Audit head anchoring: the platform TSA timestamps the chain's head every N
# entries, so `audit verify` notices entries cut off the end of the log and a
# rewritten chain, not just an edited entry.
# SPDX-License-Identifier: AGPL-3.0-or-later
ESEAL=$1
. "$(dirname "$0")/lib.sh"
D="$T/data"
E="$ESEAL --data $D"
ESEAL_AUDIT_ANCHOR_EVERY=3
export ESEAL_AUDIT_ANCHOR_EVERY

if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "SKIP: the sqlite3 command-line shell is needed to tamper with the store"
	exit 0
fi
q() { sqlite3 "$1/eseal.db" "$2"; }
# fresh copy of the data dir to tamper with
copy() { rm -rf "$T/$1" && cp -r "$D" "$T/$1"; }

expect 0 "init" -- $E init --name "示例平台"
expect 0 "org add" -- $E org add --name "杭州示例科技有限公司" --uscc 91330106MA2B3C4D5D
PW="correct horse battery"
echo "$PW" >"$T/pw"
expect 0 "user add admin" -- sh -c "$E user add --login admin --name 管理员 --id-number 11010519491231002X --role platform-admin --password-stdin < $T/pw"
for i in 1 2 3 4 5 6 7 8 9 10; do
	expect 0 "seal apply $i" -- $E seal apply --owner org:1 --kind contract --text "合同专用章$i"
done
N=$(q "$D" "SELECT COUNT(*) FROM audit")
[ "$N" -ge 11 ] && ok || bad "expected at least 11 audit entries, got $N"
expect 0 "intact log verifies" -- $E audit verify
expect_in "$T/out" "intact: $N entries" "intact log counts its entries"

# anchors: the first entry, then every 3rd; each with a token
A=$(q "$D" "SELECT COUNT(*) FROM audit_anchors")
[ "$A" -ge 3 ] && ok || bad "expected at least 3 anchors for $N entries, got $A"
GAP=$(q "$D" "SELECT MAX(b.audit_id - a.audit_id) FROM audit_anchors a JOIN audit_anchors b ON b.id = a.id + 1")
[ "$GAP" = 3 ] && ok || bad "anchors are $GAP entries apart, want 3"
[ "$(q "$D" "SELECT MIN(length(tst)) > 200 FROM audit_anchors")" = 1 ] && ok || bad "anchor without a token"
LAST=$(q "$D" "SELECT MAX(audit_id) FROM audit_anchors")
PREV=$(q "$D" "SELECT MAX(audit_id) FROM audit_anchors WHERE audit_id < $LAST")

# removing the last entries, back past an anchor
copy cut
q "$T/cut" "DELETE FROM audit WHERE id > $PREV"
expect 1 "tail cut past an anchor" -- $ESEAL --data "$T/cut" audit verify
expect_in "$T/out" "BROKEN at entry $((PREV + 1))" "names the first missing entry"
expect_in "$T/out" "were removed" "says entries were removed"
# ... and then writing new entries in their place
expect 0 "append after the cut" -- $ESEAL --data "$T/cut" seal apply --owner org:1 --kind finance
expect 1 "new entries do not hide the cut" -- $ESEAL --data "$T/cut" audit verify
expect_in "$T/out" "BROKEN" "still broken after appending"

# the server's GET /audit/verify says the same
if command -v curl >/dev/null 2>&1 && command -v jq >/dev/null 2>&1; then
	$ESEAL --data "$T/cut" serve --listen 127.0.0.1:0 --threads 1 --quiet >"$T/serve.out" 2>"$T/serve.err" &
	SPID=$!
	i=0
	while [ $i -lt 300 ] && ! grep -q "listening on" "$T/serve.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	U=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$T/serve.out")/api/v1
	curl -s -c "$T/cj" -o /dev/null -H "Content-Type: application/json" -X POST "$U/session" \
		--data-binary "{\"login\":\"admin\",\"password\":\"$PW\"}"
	curl -s -b "$T/cj" -o "$T/av.json" "$U/audit/verify"
	kill -TERM $SPID 2>/dev/null
	wait $SPID
	[ "$(jq -r .intact "$T/av.json")" = false ] && ok || bad "GET /audit/verify: $(cat "$T/av.json")"
	expect_in "$T/av.json" "were removed" "GET /audit/verify names the cut"
fi

# removing everything
copy empty
q "$T/empty" "DELETE FROM audit"
expect 1 "emptied log" -- $ESEAL --data "$T/empty" audit verify
expect_in "$T/out" "BROKEN at entry 1" "emptied log: entry 1 is missing"

# editing an anchored entry (chain not recomputed)
copy edit
q "$T/edit" "UPDATE audit SET outcome = 'denied' WHERE id = $PREV"
expect 1 "edited anchored entry" -- $ESEAL --data "$T/edit" audit verify
expect_in "$T/out" "BROKEN at entry $PREV" "names the edited entry"

# editing an anchored entry and recomputing its hash: the chain is consistent
# again (entries after it are dropped), only the anchor shows the forgery
copy forge
q "$T/forge" "DELETE FROM audit WHERE id > $LAST; UPDATE audit SET outcome = 'denied' WHERE id = $LAST"
row=$(q "$T/forge" "SELECT id || '|' || ts || '|' || length(CAST(actor AS BLOB)) || ':' || actor || '|' ||
	length(CAST(action AS BLOB)) || ':' || action || '|' || length(CAST(object AS BLOB)) || ':' || object || '|' ||
	length(CAST(details AS BLOB)) || ':' || details || '|' || length(CAST(client AS BLOB)) || ':' || client || '|' ||
	length(CAST(outcome AS BLOB)) || ':' || outcome || '|' || prev_hash FROM audit WHERE id = $LAST")
h=$(printf 'eseal-audit-v1|%s' "$row" | sha256sum | cut -c1-64)
q "$T/forge" "UPDATE audit SET hash = '$h' WHERE id = $LAST"
q "$T/forge" "DELETE FROM audit_anchors WHERE audit_id = $LAST"
expect 0 "the recomputed hash is right (chain alone is fooled)" -- $ESEAL --data "$T/forge" audit verify
copy forge2
q "$T/forge2" "DELETE FROM audit WHERE id > $LAST; UPDATE audit SET outcome = 'denied', hash = '$h' WHERE id = $LAST"
expect 1 "rewritten anchored entry" -- $ESEAL --data "$T/forge2" audit verify
expect_in "$T/out" "BROKEN at entry $LAST" "names the rewritten entry"
expect_in "$T/out" "anchor" "says the anchor disagrees"

# changing the anchor's hash with the entry does not help: the token covers it
q "$T/forge2" "UPDATE audit_anchors SET head_hash = '$h' WHERE audit_id = $LAST"
expect 1 "rewritten entry and anchor hash" -- $ESEAL --data "$T/forge2" audit verify
expect_in "$T/out" "does not verify" "the timestamp no longer matches"

# a damaged token
copy tok
q "$T/tok" "UPDATE audit_anchors SET tst = CAST(substr(tst, 1, 80) ||
	CASE WHEN substr(tst, 81, 1) = x'41' THEN x'42' ELSE x'41' END || substr(tst, 82) AS BLOB) WHERE audit_id = $PREV"
expect 1 "damaged anchor token" -- $ESEAL --data "$T/tok" audit verify
expect_in "$T/out" "does not verify with the platform TSA" "names the bad timestamp"

# T minutes since the last anchor: the next entry is anchored even before N entries
copy late
q "$T/late" "DELETE FROM audit WHERE id > $LAST; UPDATE audit_anchors SET created_at = created_at - 3600 WHERE audit_id = $LAST"
expect 0 "one entry an hour after the last anchor" -- $ESEAL --data "$T/late" seal apply --owner org:1 --kind finance
[ "$(q "$T/late" "SELECT MAX(audit_id) FROM audit_anchors")" = $((LAST + 1)) ] && ok || bad "no anchor after 60 minutes"
copy soon
q "$T/soon" "DELETE FROM audit WHERE id > $LAST"
expect 0 "one entry right after the last anchor" -- $ESEAL --data "$T/soon" seal apply --owner org:1 --kind finance
[ "$(q "$T/soon" "SELECT MAX(audit_id) FROM audit_anchors")" = "$LAST" ] && ok || bad "anchored before N entries or T minutes"

# the original is untouched and still intact
expect 0 "original still intact" -- $E audit verify
finish
