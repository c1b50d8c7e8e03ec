# Thin entry points; the real work is in CMake, ctest and scripts/.
#   make deps   install the Debian packages (scripts/install-deps.sh)
#   make build  configure build/ (RelWithDebInfo, -g1, unity files: see CMakeLists.txt)
#               and build everything
#   make run    deps + build, then a whole suite in the foreground (scripts/run.sh;
#               CMTP_DOMAIN, CMTP_PORT, CMTP_STATE_DIR)
#   make test   deps + build + ctest, the k8s/ manifests check, a fuzz smoke
#               run, then the whole tree again built with clang under
#               ASan/UBSan (build-asan/) and its whole ctest suite

SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
# Unity builds (CMAKE_UNITY_BUILD): eight .cc files of a target compiled as
# one, which parses the heavy headers once instead of eight times (a third
# off a whole build; see CMakeLists.txt). UNITY=OFF for one object per file,
# quicker to rebuild after editing a single file.
UNITY ?= ON
# Per-test timeout (seconds); every test is meant to take seconds.
TEST_TIMEOUT ?= 300
# Total seconds scripts/fuzz-smoke.sh spends fuzzing, split across its targets,
# which run side by side (90: three targets for 30 s each, 30 s of wall time
# on two cores).
FUZZ_SECONDS ?= 90
# The sanitizer pass builds every target (services, tools, bench, tests) with
# clang under ASan + UBSan and runs the whole ctest suite of $(ASAN_DIR). Its
# ctest run as a whole is cut off after ASAN_RUN_TIMEOUT seconds.
ASAN_RUN_TIMEOUT ?= 900
# ctest labels the sanitizer pass leaves out (a regex for ctest -LE; empty:
# none). Nothing is left out today: bench/ has no ctest tests, and every
# timing bound in the tests has room for a sanitized build.
ASAN_EXCLUDE_LABELS ?=
# Sanitizer reports of every process (test binaries and the services,
# tools and helpers they start) go to files here, so that a report from a
# child process whose exit status a test does not look at still fails the run.
ASAN_LOG_DIR = $(ASAN_DIR)/sanitizer-logs
# (ASan and UBSan share one runtime and so one log file per process.)
ASAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$(abspath $(ASAN_LOG_DIR))/report \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(abspath $(ASAN_LOG_DIR))/report

export FUZZ_SECONDS

.PHONY: all deps build run test unit-tests k8s-check fuzz-smoke asan-tests clean

all: build

deps:
	scripts/install-deps.sh

build:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_UNITY_BUILD=$(UNITY)
	cmake --build $(BUILD_DIR) -j$(JOBS)

run: deps build
	CMTP_BUILD_DIR=$(abspath $(BUILD_DIR)) scripts/run.sh

# One step after the other, even under make -j.
test: deps
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory unit-tests
	$(MAKE) --no-print-directory k8s-check
	$(MAKE) --no-print-directory fuzz-smoke
	$(MAKE) --no-print-directory asan-tests

unit-tests:
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2 --timeout $(TEST_TIMEOUT)

# Renders and validates k8s/ and runs the rendered suite from $(BUILD_DIR)'s
# binaries (needs kubectl, node and npm; runs npm ci on first use).
k8s-check:
	scripts/k8s-check.sh $(abspath $(BUILD_DIR))

fuzz-smoke:
	scripts/fuzz-smoke.sh

asan-tests:
	CC=clang CXX=clang++ cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DCMTP_SANITIZE=ON \
	  -DCMAKE_UNITY_BUILD=$(UNITY)
	cmake --build $(ASAN_DIR) -j$(JOBS)
	rm -rf $(ASAN_LOG_DIR) && mkdir -p $(ASAN_LOG_DIR)
	status=0; \
	$(ASAN_ENV) timeout $(ASAN_RUN_TIMEOUT) ctest --test-dir $(ASAN_DIR) --output-on-failure \
	  -j2 --timeout $(TEST_TIMEOUT) $(if $(ASAN_EXCLUDE_LABELS),-LE '$(ASAN_EXCLUDE_LABELS)') \
	  || status=$$?; \
	for log in $(ASAN_LOG_DIR)/*; do \
	  [ -e "$$log" ] || continue; \
	  echo "asan-tests: sanitizer report $$log:"; cat "$$log"; status=1; \
	done; \
	exit $$status

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
