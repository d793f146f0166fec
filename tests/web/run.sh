#!/bin/sh
# Browser end-to-end test of the web page against a real `eseal serve`.
#   tests/web/run.sh path/to/eseal
# Makes a fresh data dir with the CLI, starts the server on a free port, runs e2e.mjs in Debian's chromium,
# stops the server and prints "N passed, N failed". Screenshots go to a scratch directory, or to $SHOTS
# when set (`make screenshots` sets it to docs/screenshots/: tests never change tracked files).
# Needs unzip and zip too (the tampered OFD of ofd.mjs).
# SPDX-License-Identifier: AGPL-3.0-or-later
set -u
ESEAL=$(realpath "${1:?usage: run.sh path/to/eseal}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
T=$(mktemp -d /tmp/eseal-web-XXXXXX)
D="$T/data"
E="$ESEAL --data $D"
PW="correct horse battery"
SERVER=
cleanup() {
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
die() { echo "run.sh: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing (apt-get install -y chromium)"
command -v node >/dev/null || die "node is missing"
for tool in zip unzip; do command -v $tool >/dev/null || die "$tool is missing (apt-get install -y zip unzip)"; done
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
	(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) >&2 || die "npm ci failed"
fi

setup() {
	echo "+ $*" >"$T/last"
	"$@" >>"$T/setup.log" 2>&1 || { cat "$T/setup.log" >&2; die "set-up step failed: $*"; }
}
mkdir -p "${SHOTS:-$T/shots}"
setup $E init --name "示例平台"
setup $ESEAL sample --out "$T/contract.ofd" --pages 2
setup $E org add --name "杭州示例科技有限公司" --uscc 91330106MA2B3C4D5D
echo "$PW" >"$T/pw"
setup sh -c "$E user add --login alice --name 张三 --id-number 11010519491231002X --org 1 --role org-admin --password-stdin < $T/pw"
setup sh -c "$E user add --login rev --name 李审核 --id-number 330106199003071236 --role reviewer --password-stdin < $T/pw"
setup sh -c "$E user add --login bob --name 王五 --id-number 440305198512154561 --org 1 --role member --password-stdin < $T/pw"
setup sh -c "$E user add --login aud --name 赵六 --id-number 110101198001010010 --role auditor --password-stdin < $T/pw"
$E seal apply --owner org:1 --kind company --as alice >"$T/out" 2>&1 || { cat "$T/out" >&2; die "seal apply failed"; }
APP=$(tail -n 1 "$T/out" | awk '{print $NF}')
setup $E seal review "$APP" --approve --as rev

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
WEB=
if $ESEAL serve --help 2>/dev/null | grep -q -- '--web'; then WEB="--web $ROOT/web"; fi
$E serve --listen "127.0.0.1:$PORT" $WEB >"$T/serve.log" 2>&1 &
SERVER=$!
i=0
until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/v1/openapi.json" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$SERVER" 2>/dev/null; then cat "$T/serve.log" >&2; die "eseal serve did not come up on port $PORT"; fi
	sleep 0.1
done

BASE_URL="http://127.0.0.1:$PORT" PW="$PW" WORK="$T" SHOTS="${SHOTS:-$T/shots}" \
	ESEAL="$ESEAL" DATA="$D" OFD="$T/contract.ofd" node "$HERE/e2e.mjs"
rc=$?
if [ $rc -ne 0 ]; then echo "--- server log (tail) ---" >&2; tail -n 40 "$T/serve.log" >&2; fi
exit $rc
