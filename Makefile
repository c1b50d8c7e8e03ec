# Thin entry points; the real work is in CMake, ctest and scripts/.
#   make deps   install the Debian packages (scripts/install-deps.sh)
#   make build  configure build/ (RelWithDebInfo) and build everything
#   make run    deps + build, then a whole suite in the foreground (scripts/run.sh;
#               CMTP_DOMAIN, CMTP_PORT, CMTP_STATE_DIR)
#   make test   deps + build + ctest, a fuzz smoke run, then the same tests again
#               built with clang under ASan/UBSan (build-asan/)

SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
# Per-test timeout (seconds); every test is meant to take seconds.
TEST_TIMEOUT ?= 300
# Total seconds scripts/fuzz-smoke.sh spends fuzzing (split across its targets).
FUZZ_SECONDS ?= 60
# The sanitizer pass builds and runs these test binaries: the codec, the
# crypto and the gateway, i.e. everything that parses bytes from the network.
# Widening it to the whole tree is an open point (the other parts have not yet
# been compiled with clang under -Werror).
ASAN_TARGETS ?= cmtp_wire_test crypto_golden_test crypto_xzibit_test crypto_sealed_test \
  crypto_inner_message_test crypto_protocol_signatures_test crypto_server_key_test \
  crypto_sodium_test crypto_log_entry_test gateway_session_basics_test gateway_mail_test \
  gateway_account_commands_test gateway_shutdown_test gateway_recipient_cache_test \
  gateway_options_test gateway_foreign_mail_test gateway_foreign_keys_test

export FUZZ_SECONDS

.PHONY: all deps build run test unit-tests fuzz-smoke asan-tests clean

all: build

deps:
	scripts/install-deps.sh

build:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR) -j$(JOBS)

run: deps build
	CMTP_BUILD_DIR=$(abspath $(BUILD_DIR)) scripts/run.sh

# One step after the other, even under make -j.
test: deps
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory unit-tests
	$(MAKE) --no-print-directory fuzz-smoke
	$(MAKE) --no-print-directory asan-tests

unit-tests:
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2 --timeout $(TEST_TIMEOUT)

fuzz-smoke:
	scripts/fuzz-smoke.sh

asan-tests:
	CC=clang CXX=clang++ cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DCMTP_SANITIZE=ON
	cmake --build $(ASAN_DIR) -j$(JOBS) --target $(ASAN_TARGETS)
	set -e; for t in $(ASAN_TARGETS); do \
	  bin=$$(find $(ASAN_DIR)/tests -type f -name $$t -perm -u+x | head -1); \
	  echo "asan: $$t"; \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    timeout $(TEST_TIMEOUT) $$bin --gtest_brief=1; \
	done

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
