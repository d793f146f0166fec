# Thin wrapper over CMake.  `make run` and `make test` do all set-up.
# SPDX-License-Identifier: AGPL-3.0-or-later
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build asan test test-fast run bench fuzz screenshots clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DESEAL_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# Every test, the browser tests (chromium, against a real eseal serve), then
# every test again under ASan+UBSan, then a short libFuzzer run of each fuzz
# target (make fuzz runs them for an hour each).
FUZZ_SHORT_SECONDS ?= 20
test: build asan
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	sh tests/web/run.sh $(BUILD)/cli/eseal
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -LE noasan
	sh scripts/fuzz.sh $(FUZZ_SHORT_SECONDS)

test-fast: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

run: build
	@sh scripts/run.sh $(BUILD)/cli/eseal

bench: build
	@sh scripts/bench.sh $(BUILD)/cli/eseal

# The browser tests again, writing their screenshots into docs/screenshots/.
screenshots: build
	SHOTS=$(CURDIR)/docs/screenshots sh tests/web/run.sh $(BUILD)/cli/eseal

fuzz: deps
	@sh scripts/fuzz.sh $${FUZZ_SECONDS:-3600}

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
