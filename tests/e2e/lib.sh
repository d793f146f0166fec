# Tiny assertion helpers for the end-to-end shell tests.
# SPDX-License-Identifier: AGPL-3.0-or-later
PASS=0
FAIL=0
T=$(mktemp -d /tmp/eseal-e2e-XXXXXX)
trap 'rm -rf "$T"' EXIT

ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*" >&2; }

# expect CODE DESCRIPTION -- command...   (stdout in $T/out, stderr in $T/err)
expect() {
	want=$1; what=$2; shift 3
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else
		bad "$what: exit $got, want $want"; sed 's/^/  stdout: /' "$T/out" | head -20 >&2; sed 's/^/  stderr: /' "$T/err" | head -20 >&2
	fi
}
# expect_in FILE PATTERN DESCRIPTION
expect_in() {
	if grep -q -- "$2" "$1"; then ok; else bad "$3: '$2' not in $(basename "$1")"; head -20 "$1" >&2; fi
}
expect_not_in() {
	if grep -q -- "$2" "$1"; then bad "$3: '$2' found in $(basename "$1")"; else ok; fi
}
last_word() { tail -n 1 "$T/out" | awk '{print $NF}'; }
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
