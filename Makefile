# The two commands of the README, and a few developer targets.
#   make demo   installs what is missing, builds, runs the whole monitoring story (scripts/demo.sh)
#   make test   installs what is missing, builds with ASan+UBSan, runs every test (unit, golden, CLI,
#               service with real clients, fuzz smoke)
SHELL := /bin/bash
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 15

.PHONY: all demo test build deps test-deps fuzz fuzz-smoke mutants bench format clean

all: build

deps:
	@scripts/deps.sh build

test-deps:
	@scripts/deps.sh test

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBM_TESTS=OFF >/dev/null
	@cmake --build build -j $(JOBS)

demo: build
	@scripts/demo.sh build/biasmon

test: test-deps
	@cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DBM_SANITIZE=ON >/dev/null
	@cmake --build build-test -j $(JOBS)
	@# every stage runs even when an earlier one fails; the target fails if any did
	@status=0; \
	(cd build-test && ctest --output-on-failure -j $(JOBS)) || status=1; \
	$(MAKE) --no-print-directory fuzz-smoke || status=1; \
	exit $$status

fuzz: test-deps
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBM_FUZZ=ON -DBM_TESTS=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS)

# A short run of every fuzz target on its committed corpus (FUZZ_SECONDS each).
fuzz-smoke: fuzz
	@scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

# Breaks each rule the README states in a scratch copy and expects the tests to notice
# (scripts/mutants.sh, docs/testing.md). Not part of `make test`: it rebuilds once per mutant.
mutants: test-deps
	@scripts/mutants.sh -j $(JOBS)

bench: build
	@echo "benchmarks are built in build/: see docs/performance.md"

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-test build-fuzz
