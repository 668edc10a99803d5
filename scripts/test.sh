#!/usr/bin/env bash
# Everything CI checks, from a fresh clone on Debian 12:
#   1. installs the Debian packages (scripts/install-deps.sh),
#   2. checks that core/ stays pure (scripts/check_core_purity.sh),
#   3. builds the `asan-ubsan` preset and runs every CTest test under
#      AddressSanitizer + UndefinedBehaviorSanitizer,
#   4. builds, under the `tsan` preset, only the targets of the multi-worker
#      tests (the binary and turnpike_multiworker_tests) and runs
#      `ctest -L multiworker` there under ThreadSanitizer,
#   5. builds the `release` turnpike target into a .deb and installs,
#      verifies, starts, probes and removes it (scripts/package.sh),
#   6. builds the `fuzz` preset and runs every libFuzzer target that
#      fuzz/CMakeLists.txt lists (TURNPIKE_FUZZERS) for TURNPIKE_FUZZ_SECONDS
#      (default 30) seconds on a copy of its seed corpus. The default was 60
#      until steps 4 and 5 came; 30 s per fuzzer pays for part of their time.
# Any failure, sanitizer report or fuzzer crash stops the script non-zero.
# Nothing is skipped silently: a skipped test fails the run unless this host
# truly lacks what it needs (probed here, e.g. an IPv6 loopback), and then it
# is named in the summary; a test CMake did not register because a program
# is missing fails the run; every listed fuzzer must run.
#
#   bash scripts/test.sh
#
# Knobs: TURNPIKE_FUZZ_SECONDS (per fuzzer, default 30; 0 skips fuzzing, for
# a developer's quick run only: refused when CI=true, and the summary says
# fuzzing was skipped), TURNPIKE_TEST_TIMEOUT (per CTest test, seconds,
# default 300).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly repo="$PWD"
readonly fuzz_seconds="${TURNPIKE_FUZZ_SECONDS:-30}"
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
# CI sets CI=true; any value but empty, 0 or false counts.
if ((fuzz_seconds == 0)) && [[ ! "${CI:-}" =~ ^(|0|false)$ ]]; then
  echo "test.sh: TURNPIKE_FUZZ_SECONDS=0 would skip fuzzing, which CI must" \
       "not do; unset it" >&2
  exit 2
fi

step="start"
summarized=0
scratch="$(mktemp -d)"
on_exit() {
  local status=$?
  rm -rf "$scratch"
  # After the summary its last line must stay last (CI reads it).
  if ((status != 0 && summarized == 0)); then
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
ctest_junit="$scratch/ctest.xml"
ctest_status=0
ctest --preset asan-ubsan --output-on-failure -j"$jobs" --timeout "$test_timeout" \
  --output-junit "$ctest_junit" 2>&1 | tee "$ctest_log" || ctest_status=$?

# What this host truly cannot run. A skip is allowed only for a reason found
# here; on a host with the capability the same skip fails the run.
allowed_skips=()
host_lacks=()
if ! python3 -c 'import socket
socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", 0))' 2>/dev/null; then
  host_lacks+=("an IPv6 loopback (::1)")
  allowed_skips+=(--allow "no IPv6 loopback")
fi

begin "ctest report"
ctest_summary="$scratch/ctest-summary.txt"
python3 scripts/ctest_report.py "$ctest_junit" "${allowed_skips[@]}" \
  --counts "$scratch/ctest-counts" > "$ctest_summary"
cat "$ctest_summary"
passed=0 failed=0 skipped=0 skipped_refused=0
# shellcheck source=/dev/null
source "$scratch/ctest-counts"  # sets the four counts above

# A test whose program or package is missing is not registered at all
# (find_program in the tests' CMakeLists.txt, Google Benchmark for the bench
# smoke tests): as silent as a skip, so it fails the run too.
unregistered=()
mapfile -t unregistered < <(sed -nE \
  's/^(TURNPIKE_[A-Z0-9_]+|benchmark_DIR):(FILE)?PATH=.*-NOTFOUND$/\1/p' \
  build/asan-ubsan/CMakeCache.txt)
for program in "${unregistered[@]}"; do
  echo "test.sh: $program not found at configure time: the tests that need" \
       "it were not registered (scripts/install-deps.sh installs it)" >&2
done

# Prints the summary from the counts so far; its last line is what CI reads.
tsan_status="not reached"
expected_fuzzers=()
fuzz_report=()
fuzz_failed=()
fuzz_skipped=()
package_result="not reached"
summary() {
  summarized=1
  local verdict=PASS
  local reasons=()
  ((ctest_status == 0)) || reasons+=("ctest exited $ctest_status")
  ((failed == 0)) || reasons+=("$failed test(s) failed")
  ((skipped_refused == 0)) ||
    reasons+=("$skipped_refused test(s) skipped on a host that can run them")
  ((${#unregistered[@]} == 0)) ||
    reasons+=("tests not registered: ${unregistered[*]} missing")
  [[ $package_result != FAILED ]] || reasons+=("the .deb check failed")
  [[ $tsan_status == 0 || $tsan_status == "not reached" ]] ||
    reasons+=("ctest tsan -L multiworker exited $tsan_status")
  ((${#fuzz_failed[@]} == 0)) || reasons+=("fuzzer(s) failed: ${fuzz_failed[*]}")
  ((${#reasons[@]} == 0)) || verdict=FAIL
  echo
  echo "=== [$(elapsed)] summary"
  echo "core purity: ok"
  echo "ctest (asan-ubsan):"
  sed 's/^/  /' "$ctest_summary"
  if ((${#host_lacks[@]} > 0)); then
    echo "  this host lacks: ${host_lacks[*]}"
  fi
  echo "package (.deb, scripts/package.sh): $package_result"
  case "$tsan_status" in
    0) echo "ctest (tsan, -L multiworker): ok" ;;
    "not reached") echo "ctest (tsan, -L multiworker): not reached" ;;
    *) echo "ctest (tsan, -L multiworker): FAILED (exit $tsan_status)" ;;
  esac
  if ((${#expected_fuzzers[@]} == 0)); then
    echo "fuzz: not reached"
  elif ((${#fuzz_skipped[@]} > 0)); then
    echo "fuzz: SKIPPED (TURNPIKE_FUZZ_SECONDS=0), not run: ${fuzz_skipped[*]}"
  else
    echo "fuzz (${fuzz_seconds}s each): ${#fuzz_report[@]} of" \
         "${#expected_fuzzers[@]} fuzzers ran"
    ((${#fuzz_report[@]} == 0)) || printf '  %s\n' "${fuzz_report[@]}"
  fi
  local all_passed=$((passed + ${#fuzz_report[@]}))
  local all_failed=$((failed + ${#fuzz_failed[@]}))
  local all_skipped=$((skipped + ${#fuzz_skipped[@]}))
  if [[ $verdict == PASS ]]; then
    echo "test.sh: PASS in $(elapsed)${fuzz_skipped[0]:+, but fuzzing was SKIPPED}"
  else
    local reason
    for reason in "${reasons[@]}"; do echo "test.sh: FAIL: $reason"; done
  fi
  echo "turnpike: $all_passed passed, $all_failed failed, $all_skipped skipped"
}

if ((ctest_status != 0 || failed > 0 || skipped_refused > 0 ||
     ${#unregistered[@]} > 0)); then
  step="ctest asan-ubsan"
  summary
  exit 1
fi

# --- Multi-worker tests under ThreadSanitizer --------------------------------
# Only what `ctest -L multiworker` runs is built (runtime/supervisor.h): the
# binary and turnpike_multiworker_tests, keeping this step to minutes.
begin "configure tsan"
cmake --preset tsan

begin "build tsan (multi-worker targets only)"
cmake --build --preset tsan -j"$jobs" --target turnpike turnpike_multiworker_tests

begin "ctest tsan -L multiworker"
tsan_status=0
ctest --preset tsan -L multiworker --output-on-failure -j"$jobs" \
  --timeout "$test_timeout" || tsan_status=$?
if ((tsan_status != 0)); then
  summary
  exit 1
fi

# --- The Debian package ------------------------------------------------------
# Release build of the turnpike target only, cpack, dpkg -i, systemd-analyze
# verify, the unit's own command line started and probed, dpkg -r.
begin "package"
if bash scripts/package.sh; then
  package_result=ok
else
  package_result=FAILED
  summary
  exit 1
fi

# --- Fuzzers -----------------------------------------------------------------
# The list fuzz/CMakeLists.txt builds: each one must run.
# The set() may span lines: take everything from "set(TURNPIKE_FUZZERS" to
# the closing parenthesis.
mapfile -t expected_fuzzers < <(sed -n '/^set(TURNPIKE_FUZZERS/,/)/p' \
                                  fuzz/CMakeLists.txt | tr '()' '  ' |
                                  tr -s ' \n' '\n' |
                                  sed -e '/^$/d' -e '/^set$/d' \
                                      -e '/^TURNPIKE_FUZZERS$/d')
if ((${#expected_fuzzers[@]} == 0)); then
  echo "test.sh: found no set(TURNPIKE_FUZZERS ...) in fuzz/CMakeLists.txt" >&2
  false
fi

begin "configure fuzz"
cmake --preset fuzz

begin "build fuzz"
cmake --build --preset fuzz -j"$jobs"

for name in "${expected_fuzzers[@]}"; do
  if [[ ! -x "build/fuzz/fuzz/${name}_fuzzer" ]]; then
    echo "test.sh: fuzz/CMakeLists.txt lists $name, but" \
         "build/fuzz/fuzz/${name}_fuzzer was not built" >&2
    step="fuzz $name"
    fuzz_failed+=("$name")
    summary
    exit 1
  fi
done

if ((fuzz_seconds == 0)); then
  echo "test.sh: TURNPIKE_FUZZ_SECONDS=0: fuzzing SKIPPED (not allowed in CI)"
  fuzz_skipped=("${expected_fuzzers[@]}")
else
  artifacts_root="$repo/build/fuzz/artifacts"
  logs_root="$repo/build/fuzz/logs"
  mkdir -p "$artifacts_root" "$logs_root"
  for name in "${expected_fuzzers[@]}"; do
    fuzzer="build/fuzz/fuzz/${name}_fuzzer"
    target="${name}_fuzzer"
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
      fuzz_failed+=("$name")
      summary
      exit 1
    fi
    runs="$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n1)"
    if ((${runs:-0} == 0)); then
      tail -n 20 "$log"
      echo "test.sh: $target exited 0 but executed no input (log: $log)" >&2
      step="fuzz $name"
      fuzz_failed+=("$name")
      summary
      exit 1
    fi
    cov="$(grep -oE 'cov: [0-9]+' "$log" | tail -n1 | grep -oE '[0-9]+' || true)"
    corpus_after="$(find "$corpus" -type f | wc -l)"
    line="$name: ${runs:-?} runs, coverage ${cov:-?}, corpus $seeds -> $corpus_after, no crash"
    echo "test.sh: $line"
    fuzz_report+=("$line")
  done
fi

# --- Summary -----------------------------------------------------------------
step="summary"
summary
