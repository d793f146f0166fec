#!/bin/sh
# make bench: time eseal sign/verify against the peers (shared/bench/peers.sh)
# on the same inputs.  Results: build-bench/work/results.tsv; copy the table
# into docs/PERFORMANCE.md with the machine description.
# SPDX-License-Identifier: AGPL-3.0-or-later
set -eu
ESEAL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
top=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$top/../shared" && pwd)
B=$top/build-bench
missing=""
for p in hyperfine time libnss3-tools mupdf-tools nodejs npm python3; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "bench: installing$missing" >&2
	SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get install -y -qq $missing >/dev/null
fi
rm -rf "$B/data"
mkdir -p "$B"
[ -f "$B/inputs/p1000.pdf" ] || sh "$shared/bench/mkinputs.sh" "$B/inputs" >/dev/null

# Platform state (untimed): one company seal kept by user "bench".
PW=${ESEAL_BENCH_PASSWORD:-bench-password-2026}
export ESEAL_DATA="$B/data"
$ESEAL init --name "eseal bench" >/dev/null
ORG=$($ESEAL org add --name "基准测试有限公司" --uscc 91330106MA2B3C4D5D | awk '{print $NF}')
echo "$PW" | $ESEAL user add --login bench --name 测试员 --id-number 11010519491231002X \
	--org "$ORG" --role seal-keeper --password-stdin >/dev/null
APP=$($ESEAL seal apply --owner "org:$ORG" --kind company | awk '{print $NF}')
SEAL=$($ESEAL seal review "$APP" --approve | awk '{print $NF}')

ESEAL="$ESEAL" ESEAL_SEAL="$SEAL" ESEAL_AS=bench ESEAL_PASSWORD="$PW" RUNS=${RUNS:-5} \
	bash "$shared/bench/peers.sh" "$B/inputs" "$B/work"
echo
echo "bench: eseal rows include one Argon2id password check per sign (t=3, 64 MiB), as in production."
