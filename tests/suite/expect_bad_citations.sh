#!/usr/bin/env bash
# Runs the documentation citation checker on a fixture with five bad
# citations and one good one, and checks that it exits 1, reports each bad
# one by file:line, and leaves the good one alone: a checker that stopped
# matching would otherwise pass every real document.
#   bash expect_bad_citations.sh CHECKER REPO_ROOT FIXTURE
set -euo pipefail
checker="$1"
root="$2"
fixture="$3"

status=0
output="$(python3 "$checker" --root "$root" "$fixture" 2>&1)" || status=$?
printf '%s\n' "$output"
if ((status != 1)); then
  echo "FAIL: the checker exited $status on $fixture; expected 1" >&2
  exit 1
fi

name="$(basename "$fixture")"
expected=(
  "$name:3: \`tests/core/no_such_test.cc\` does not exist"
  "$name:5: \`allocate_test.cc\` is not a path from the repository root"
  "$name:8: \`tests/core/auth/nonce_test.cc\` declares no test case or subcase \"a nonce that never was\""
  "$name:13: link target no_such_page.md does not exist"
  "$name:16: \`tests/core/auth/nonce_test.cc\` declares no test case or subcase \"valid until exactly its lifetime, then stole\""
)
missed=0
for line in "${expected[@]}"; do
  if ! grep -qF -- "$line" <<< "$output"; then
    echo "MISSED: $line" >&2
    missed=$((missed + 1))
  fi
done
if grep -qF -- "$name:11:" <<< "$output"; then
  echo "FAIL: the declared case on line 11 was reported" >&2
  exit 1
fi
if ((missed > 0)); then
  echo "FAIL: the checker missed $missed of ${#expected[@]} bad citations" >&2
  exit 1
fi
echo "ok: the checker reported all ${#expected[@]} bad citations and no good one"
