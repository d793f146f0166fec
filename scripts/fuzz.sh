#!/bin/sh
# Build the libFuzzer targets with clang and run each for SECONDS (default 3600),
# seeded with fuzz/corpora/<target>/ and the shared vectors.  New corpus
# entries go to build-fuzz/corpus/<target>/; crashers to fuzz/corpora/<target>/.
# SPDX-License-Identifier: AGPL-3.0-or-later
set -eu
SECONDS_PER_TARGET=${1:-3600}
top=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$top/../shared" 2>/dev/null && pwd || echo "$top/../shared")
CC=clang cmake -S "$top" -B "$top/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DESEAL_FUZZ=ON >/dev/null
TARGETS="seal_parse_fuzz pdf_verify_fuzz ofd_verify_fuzz http_fuzz"
cmake --build "$top/build-fuzz" -j "$(nproc)" --target $TARGETS >/dev/null
for t in $TARGETS; do
	bin="$top/build-fuzz/fuzz/$t"
	[ -x "$bin" ] || { echo "fuzz: $t not built" >&2; exit 1; }
	case $t in
		pdf_*) seeds="$shared/vectors/pdf" ;;
		http_*) seeds="$top/fuzz/corpora/$t" ;;
		*) seeds="$shared/vectors/ofd" ;;
	esac
	mkdir -p "$top/build-fuzz/corpus/$t" "$top/fuzz/corpora/$t"
	echo "fuzz: $t for ${SECONDS_PER_TARGET}s"
	ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 \
		-timeout=20 -max_len=4000000 -artifact_prefix="$top/fuzz/corpora/$t/crash-" \
		"$top/build-fuzz/corpus/$t" "$top/fuzz/corpora/$t" "$seeds" 2>"$top/build-fuzz/$t.log" ||
		{ echo "fuzz: $t FAILED, see build-fuzz/$t.log and fuzz/corpora/$t/crash-*" >&2; tail -30 "$top/build-fuzz/$t.log" >&2; exit 1; }
	grep -E "Done|stat::number_of_executed_units" "$top/build-fuzz/$t.log" | tail -1
done
