#!/usr/bin/env bash
# Everything CI checks, from a fresh clone on Debian 12:
#   1. installs the Debian packages (scripts/install-deps.sh),
#   2. checks that core/ stays pure (scripts/check_core_purity.sh),
#   3. builds the `asan-ubsan` preset and runs every CTest test under
#      AddressSanitizer + UndefinedBehaviorSanitizer,
#   4. builds the `fuzz` preset and runs every libFuzzer target for
#      TURNPIKE_FUZZ_SECONDS (default 60) seconds on a copy of its seed corpus.
# Any failure, sanitizer report or fuzzer crash stops the script non-zero.
#
#   bash scripts/test.sh
#
# Knobs: TURNPIKE_FUZZ_SECONDS (per fuzzer, default 60; 0 skips fuzzing),
# TURNPIKE_TEST_TIMEOUT (per CTest test, seconds, default 300).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly repo="$PWD"
readonly fuzz_seconds="${TURNPIKE_FUZZ_SECONDS:-60}"
readonly test_timeout="${TURNPIKE_TEST_TIMEOUT:-300}"
readonly jobs=2
# The binary refuses unknown TURNPIKE_* variables (a typo must not pass
# silently), so the knobs are not passed on to the tests it runs.
unset TURNPIKE_FUZZ_SECONDS TURNPIKE_TEST_TIMEOUT
for knob in fuzz_seconds test_timeout; do
  if [[ ! "${!knob}" =~ ^[0-9]+$ ]]; then
    echo "test.sh: $knob must be a whole number of seconds, got '${!knob}'" >&2
    exit 2
  fi
done

step="start"
scratch="$(mktemp -d)"
on_exit() {
  local status=$?
  rm -rf "$scratch"
  if ((status != 0)); then
    echo
    echo "test.sh: FAILED at step '$step' (exit $status) after $(elapsed)"
  fi
}
trap on_exit EXIT
elapsed() { printf '%dm%02ds' $((SECONDS / 60)) $((SECONDS % 60)); }
begin() {
  step="$1"
  echo
  echo "=== [$(elapsed)] $step"
}

begin "install dependencies"
bash scripts/install-deps.sh

begin "core purity guard"
bash scripts/check_core_purity.sh core

# --- Tests under ASan + UBSan ------------------------------------------------
begin "configure asan-ubsan"
cmake --preset asan-ubsan

begin "build asan-ubsan"
cmake --build --preset asan-ubsan -j"$jobs"

begin "ctest asan-ubsan"
ctest_log="$scratch/ctest.log"
ctest --preset asan-ubsan --output-on-failure -j"$jobs" --timeout "$test_timeout" \
  2>&1 | tee "$ctest_log"
# "100% tests passed, 0 tests failed out of 57"
tests_total="$(sed -nE 's/.* tests failed out of ([0-9]+).*/\1/p' "$ctest_log" | tail -n1)"
tests_total="${tests_total:-0}"
if ((tests_total == 0)); then
  echo "test.sh: ctest ran no test" >&2
  false
fi

# --- Fuzzers -----------------------------------------------------------------
begin "configure fuzz"
cmake --preset fuzz

begin "build fuzz"
cmake --build --preset fuzz -j"$jobs"

fuzzers=()
if [[ -d build/fuzz/fuzz ]]; then
  mapfile -t fuzzers < <(find build/fuzz/fuzz -maxdepth 1 -type f -name '*_fuzzer' \
                           -perm -u+x | sort)
fi

fuzz_report=()
if ((${#fuzzers[@]} == 0)); then
  echo "test.sh: no fuzzers found in build/fuzz/fuzz/ (nothing named *_fuzzer); skipping fuzzing"
elif ((fuzz_seconds == 0)); then
  echo "test.sh: TURNPIKE_FUZZ_SECONDS=0; skipping fuzzing"
else
  artifacts_root="$repo/build/fuzz/artifacts"
  logs_root="$repo/build/fuzz/logs"
  mkdir -p "$artifacts_root" "$logs_root"
  for fuzzer in "${fuzzers[@]}"; do
    target="$(basename "$fuzzer")"
    name="${target%_fuzzer}"
    begin "fuzz $name for ${fuzz_seconds}s"

    # libFuzzer adds what it finds to the first corpus directory: give it a
    # copy so the checkout stays untouched. Crash regressions, when present,
    # are replayed too (libFuzzer only reads the other directories).
    corpus="$scratch/corpus-$name"
    mkdir -p "$corpus"
    seeds=0
    if [[ -d "fuzz/corpus/$name" ]]; then
      cp -R "fuzz/corpus/$name/." "$corpus/"
      seeds="$(find "$corpus" -type f | wc -l)"
    else
      echo "test.sh: no seed corpus fuzz/corpus/$name/; starting from an empty one"
    fi
    extra_dirs=()
    if [[ -d "fuzz/regressions/$name" ]]; then
      extra_dirs+=("$repo/fuzz/regressions/$name")
    fi
    dict_args=()
    if [[ -f "fuzz/$name.dict" ]]; then
      dict_args+=("-dict=$repo/fuzz/$name.dict")
    elif [[ -f fuzz/stun.dict ]]; then
      dict_args+=("-dict=$repo/fuzz/stun.dict")
    fi

    mkdir -p "$artifacts_root/$name"
    log="$logs_root/$name.log"
    echo "test.sh: $target: $seeds seed(s)${dict_args:+, ${dict_args[0]#-dict=}}; log in $log"
    # -timeout: one input running longer than that is a hang, and fails.
    # The outer `timeout` is a backstop in case the fuzzer itself wedges.
    status=0
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" \
      timeout --kill-after=10 $((fuzz_seconds + 120)) \
      "$fuzzer" -max_total_time="$fuzz_seconds" -timeout=30 -rss_limit_mb=2048 \
        -print_final_stats=1 "${dict_args[@]}" \
        -artifact_prefix="$artifacts_root/$name/" \
        "$corpus" "${extra_dirs[@]}" > "$log" 2>&1 || status=$?
    if ((status != 0)); then
      tail -n 60 "$log"
      echo "test.sh: $target failed (exit $status); the input that broke it is in" \
           "$artifacts_root/$name/ (reproduce: $fuzzer <file>)" >&2
      step="fuzz $name"
      exit 1
    fi
    runs="$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n1)"
    cov="$(grep -oE 'cov: [0-9]+' "$log" | tail -n1 | grep -oE '[0-9]+' || true)"
    corpus_after="$(find "$corpus" -type f | wc -l)"
    line="$name: ${runs:-?} runs, coverage ${cov:-?}, corpus $seeds -> $corpus_after, no crash"
    echo "test.sh: $line"
    fuzz_report+=("$line")
  done
fi

# --- Summary -----------------------------------------------------------------
step="summary"
echo
echo "=== [$(elapsed)] summary"
echo "core purity: ok"
echo "ctest (asan-ubsan): all $tests_total tests passed"
if ((${#fuzz_report[@]} > 0)); then
  echo "fuzz (${fuzz_seconds}s each):"
  printf '  %s\n' "${fuzz_report[@]}"
else
  echo "fuzz: no fuzzer run"
fi
echo "test.sh: PASS in $(elapsed): $tests_total tests and ${#fuzz_report[@]} fuzzers, no failure"
echo "turnpike: $((tests_total + ${#fuzz_report[@]})) passed, 0 failed"
