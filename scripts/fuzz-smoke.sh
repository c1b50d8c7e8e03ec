#!/usr/bin/env bash
# Fuzz smoke test of the wire codec: builds the libFuzzer targets in their own
# build folder (clang, -DCMTP_FUZZ=ON, ASan + UBSan) and runs each for a fixed
# time from the seed corpus in tests/fuzz/corpus. Fails on any crash, leak,
# sanitizer report or timeout; the input that caused it is kept under
# <build>/fuzz-artifacts/.
#
#   FUZZ_SECONDS    total fuzzing time, split evenly across the targets
#                   (default 90: 30 s each, the Makefile's budget; the
#                   targets run side by side, so this takes 30 s)
#   FUZZ_MAX_LEN    largest input libFuzzer generates (default 8192)
#   FUZZ_BUILD_DIR  build folder (default build-fuzz at the repository root)
#   FUZZ_JOBS       parallel compile jobs (default 2)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
total_seconds=${FUZZ_SECONDS:-90}
max_len=${FUZZ_MAX_LEN:-8192}
jobs=${FUZZ_JOBS:-2}

# target name -> seed corpus folder under tests/fuzz/corpus
targets=(request_parser_fuzzer reply_parser_fuzzer message_content_fuzzer)
corpora=(request reply content)

seconds_each=$(( total_seconds / ${#targets[@]} ))
(( seconds_each >= 1 )) || seconds_each=1

echo "fuzz-smoke: configuring $build"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMTP_FUZZ=ON >/dev/null
echo "fuzz-smoke: building ${targets[*]}"
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

mkdir -p "$build/fuzz-artifacts"
# The targets fuzz side by side (libFuzzer uses one core each), so the run
# takes seconds_each, not the total.
run_target() {
  local target=$1 seeds=$2 work=$3 log=$4
  "$build/tests/fuzz/$target" "$work" "$seeds" \
    -max_total_time="$seconds_each" -max_len="$max_len" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-artifacts/$target-" >"$log" 2>&1
}
pids=()
logs=()
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  seeds=$root/tests/fuzz/corpus/${corpora[$i]}
  # New inputs go to a corpus in the build folder; the checked-in seeds are
  # only read.
  work=$build/fuzz-corpus/$target
  mkdir -p "$work"
  log=$build/fuzz-artifacts/$target.log
  echo "fuzz-smoke: $target for ${seconds_each}s (max_len $max_len, log $log)"
  run_target "$target" "$seeds" "$work" "$log" &
  pids+=("$!")
  logs+=("$log")
done

failed=()
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  log=${logs[$i]}
  if wait "${pids[$i]}"; then
    echo "fuzz-smoke: $target:"
    grep -E "^stat::number_of_executed_units|^Done" "$log" || true
  else
    echo "fuzz-smoke: $target FAILED; the end of its log:" >&2
    tail -n 40 "$log" >&2
    failed+=("$target")
  fi
done

if (( ${#failed[@]} > 0 )); then
  echo "fuzz-smoke: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz-smoke: all targets ran ${seconds_each}s without a finding"
