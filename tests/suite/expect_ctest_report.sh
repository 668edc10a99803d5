#!/usr/bin/env bash
# Runs scripts/ctest_report.py on a JUnit fixture holding one entry of each
# kind and checks how it counts them: a skip is never a pass, it is allowed
# only for a reason matching --allow, and an entry that never started is a
# failure. Both with and without the IPv6 allowance that test.sh passes on a
# host without ::1.
#   bash expect_ctest_report.sh REPORTER FIXTURE
set -euo pipefail
reporter="$1"
fixture="$2"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

failures=0
expect() {  # expect DESCRIPTION FILE FIXED_STRING
  if ! grep -qF -- "$3" "$2"; then
    echo "FAIL: $1: no line '$3' in:" >&2
    cat "$2" >&2
    failures=$((failures + 1))
  fi
}

# A host with an IPv6 loopback: every skip is refused.
python3 "$reporter" "$fixture" --counts "$scratch/counts" > "$scratch/out"
cat "$scratch/out"
expect "totals" "$scratch/out" "ctest: 1 passed, 2 failed, 3 skipped"
expect "failure named" "$scratch/out" "FAILED: runs/and fails"
expect "never started is a failure" "$scratch/out" \
  "FAILED: never/started (not run: Unable to find executable)"
expect "IPv6 skip refused" "$scratch/out" \
  "SKIPPED, NOT ALLOWED (this host should run it): skips/without ipv6:"
expect "counts" "$scratch/counts" "skipped_refused=3"

# A host without one: only the IPv6 skip is allowed, and named with why.
python3 "$reporter" "$fixture" --allow "no IPv6 loopback" \
  --counts "$scratch/counts" > "$scratch/out"
cat "$scratch/out"
expect "IPv6 skip allowed" "$scratch/out" \
  "skipped, allowed (this host lacks what it needs): skips/without ipv6: SKIPPED: this host has no IPv6 loopback (::1)"
expect "other skip refused" "$scratch/out" \
  "SKIPPED, NOT ALLOWED (this host should run it): skips/for another reason: SKIPPED: /usr/bin/chromium is not an executable file"
expect "silent skip refused" "$scratch/out" \
  "SKIPPED, NOT ALLOWED (this host should run it): skips/with no reason: (no reason printed)"
expect "counts" "$scratch/counts" "skipped_refused=2"
expect "counts" "$scratch/counts" "passed=1"

if ((failures > 0)); then
  echo "FAIL: $failures expectation(s) not met" >&2
  exit 1
fi
echo "ok: ctest_report.py counts passes, failures and skips as expected"
