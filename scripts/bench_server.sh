#!/bin/sh
# Load benchmark of `eseal serve` (docs/PERFORMANCE-server.md): signing a
# one-page PDF with an auto-sign API token and public POST /verify, each at
# 1, 8 and 64 concurrent clients, with wrk against 127.0.0.1 only.
# usage: sh scripts/bench_server.sh path/to/eseal [SECONDS_PER_RUN]
# Prints a Markdown table (with the server's CPU time per request, from
# /proc/PID/stat); exits 1 when any request failed (non-2xx, socket errors).
# SPDX-License-Identifier: AGPL-3.0-or-later
set -eu
ESEAL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SECS=${2:-10}
top=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$top/../shared" 2>/dev/null && pwd || true)
B=${ESEAL_BENCH_DIR:-$top/build-bench/server}
THREADS=${ESEAL_BENCH_SERVER_THREADS:-4}
CLIENTS=${ESEAL_BENCH_CLIENTS:-"1 8 64"}
PW=bench-password-2026
# Accounts of this throw-away platform: cheap Argon2id (the login is not measured).
export ESEAL_ARGON2_M_KIB=1024 ESEAL_ARGON2_T=1

missing=""
for c in wrk curl jq python3; do command -v $c >/dev/null 2>&1 || missing="$missing $c"; done
if [ -n "$missing" ]; then
	echo "bench_server: installing$missing" >&2
	SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get install -y -qq $missing >/dev/null
fi

rm -rf "$B"
mkdir -p "$B"
D=$B/data
E="$ESEAL --data $D"
SPID=""
stop() { [ -z "$SPID" ] || { kill -TERM "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null || true; SPID=""; }; }
trap stop EXIT INT TERM

# ---- platform state (untimed) ----
$E init --name "eseal server bench" >/dev/null 2>&1
ORG=$($E org add --name "基准测试有限公司" --uscc 91330106MA2B3C4D5D | awk '{print $NF}')
echo "$PW" | $E user add --login oa --name 管理员 --id-number 11010519491231002X --org "$ORG" \
	--role org-admin --password-stdin >/dev/null
echo "$PW" | $E user add --login mem --name 测试员 --id-number 330106199003071236 --org "$ORG" \
	--role member --password-stdin >/dev/null
APP=$($E seal apply --owner "org:$ORG" --kind contract | awk '{print $NF}')
SEAL=$($E seal review "$APP" --approve | awk '{print $NF}')
if [ -n "$shared" ] && [ -f "$shared/bench/genpdf.py" ]; then
	python3 "$shared/bench/genpdf.py" "$B/p1.pdf" 1 >/dev/null
else
	echo "bench_server: needs shared/bench/genpdf.py next to the source tree" >&2
	exit 2
fi

$E serve --listen 127.0.0.1:0 --threads "$THREADS" --quiet >"$B/serve.out" 2>"$B/serve.err" &
SPID=$!
i=0
while [ $i -lt 300 ] && ! grep -q "listening on" "$B/serve.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$B/serve.out")
[ -n "$PORT" ] || { echo "bench_server: server did not start" >&2; cat "$B/serve.err" >&2; exit 2; }
U=http://127.0.0.1:$PORT/api/v1
J="Content-Type: application/json"

# api WHO METHOD PATH [curl args]: body on stdout; fails on a non-2xx answer
api() {
	who=$1; m=$2; p=$3; shift 3
	if [ "$who" = oa ]; then
		curl -sf -b "$B/cj" -H "X-CSRF-Token: $CSRF" -X "$m" "$@" "$U$p"
	else
		curl -sf -H "Authorization: Bearer $TOK" -X "$m" "$@" "$U$p"
	fi
}
CSRF=$(curl -sf -c "$B/cj" -H "$J" -X POST "$U/session" \
	--data-binary "{\"login\":\"oa\",\"password\":\"$PW\"}" | jq -r .csrf_token)
api oa POST "/seals/$SEAL/grants" -H "$J" --data-binary '{"login":"mem","auto_sign":true}' >/dev/null
curl -sf -c "$B/cj.mem" -H "$J" -X POST "$U/session" \
	--data-binary "{\"login\":\"mem\",\"password\":\"$PW\"}" >"$B/login.mem"
TOK=$(curl -sf -b "$B/cj.mem" -H "X-CSRF-Token: $(jq -r .csrf_token "$B/login.mem")" -H "$J" \
	-X POST "$U/tokens" --data-binary '{"name":"bench"}' | jq -r .token)
DOC=$(api mem POST /documents -H "Content-Type: application/pdf" --data-binary @"$B/p1.pdf" | jq -r .id)
SIGN_BODY="{\"seal_id\":\"$SEAL\",\"placement\":{\"page\":1,\"x_mm\":100,\"y_mm\":100}}"
SIGNED=$(api mem POST "/documents/$DOC/sign" -H "$J" --data-binary "$SIGN_BODY" | jq -r .document_id)
api mem GET "/documents/$SIGNED/content" -o "$B/signed.pdf"
VERDICT=$(curl -sf -X POST -H "Content-Type: application/pdf" --data-binary @"$B/signed.pdf" "$U/verify" | jq -r .verdict)
[ "$VERDICT" = TOTAL_PASSED ] || { echo "bench_server: the signed PDF does not verify ($VERDICT)" >&2; exit 2; }

# ---- wrk scripts: one POST each, a machine-readable summary line ----
printf '%s' "$SIGN_BODY" >"$B/sign.json"
cat >"$B/post.lua" <<'LUA'
-- POST the file named by BODY_FILE with CONTENT_TYPE (and AUTH when set).
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE")
local auth = os.getenv("AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT %d %.1f %.1f %.1f %d %d\n", summary.requests,
		summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
		latency:percentile(99) / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
LUA

# CPU time of the server so far (utime + stime, clock ticks; /proc/PID/stat
# fields 14 and 15 — the command name "eseal" has no blank in it).
TICKS=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SPID/stat" 2>/dev/null || echo 0; }

# run KEY NAME CLIENTS PATH BODY CONTENT_TYPE AUTH → one table row
FAILED=0
run() {
	key=$1; name=$2; c=$3; path=$4
	out=$B/wrk.$key.$c.out
	t=2; [ "$c" -lt 2 ] && t=1
	cpu0=$(cpu_ticks)
	BODY_FILE=$5 CONTENT_TYPE=$6 AUTH=$7 wrk -t "$t" -c "$c" -d "${SECS}s" --timeout 30s \
		-s "$B/post.lua" "$U$path" >"$out" 2>&1 || true
	cpu1=$(cpu_ticks)
	set -- $(sed -n 's/^RESULT //p' "$out")
	if [ $# -ne 6 ]; then
		echo "bench_server: wrk failed:" >&2; cat "$out" >&2; FAILED=1; return
	fi
	[ "$5" -eq 0 ] && [ "$6" -eq 0 ] || FAILED=1
	# server CPU per request (ms): what two cores' worth of throughput is bounded by
	cpu_ms=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$TICKS" -v n="$1" \
		'BEGIN { if (n > 0) printf "%.2f", (b - a) * 1000 / t / n; else print "-" }')
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$c" "$1" "$2" "$3" "$4" "$cpu_ms" "$5" "$6"
}

echo "| request | clients | requests | requests/s | p50 ms | p99 ms | server CPU ms/req | non-2xx | socket errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in $CLIENTS; do
	run sign "sign (auto_sign token, 1-page PDF, B-T)" "$c" "/documents/$DOC/sign" "$B/sign.json" \
		application/json "Bearer $TOK"
done
for c in $CLIENTS; do
	run verify "POST /verify (signed 1-page PDF)" "$c" /verify "$B/signed.pdf" application/pdf ""
done
echo
echo "server: --threads $THREADS, ${SECS} s per run, $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
stop
exit $FAILED
