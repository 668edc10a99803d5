#!/usr/bin/env bash
# Runs the purity guard on a directory of fixtures and checks that it exits 1
# and reports, by file:line, every code line of every fixture there: each line
# that is neither blank nor a comment (// in .cc files, # in .cmake files).
#   bash expect_every_rule.sh GUARD FIXTURE_DIR
set -euo pipefail
guard="$1"
fixtures="$2"

status=0
output="$(bash "$guard" "$fixtures" 2>&1)" || status=$?
printf '%s\n' "$output"
if ((status != 1)); then
  echo "FAIL: the guard exited $status on $fixtures; expected 1" >&2
  exit 1
fi

missed=0
checked=0
for file in "$fixtures"/*.cc "$fixtures"/*.cmake; do
  [[ -e "$file" ]] || continue
  case "$file" in
    *.cmake) comment='^[[:space:]]*(#.*)?$' ;;
    *) comment='^[[:space:]]*(//.*)?$' ;;
  esac
  line_number=0
  while IFS= read -r line || [[ -n "$line" ]]; do
    line_number=$((line_number + 1))
    [[ "$line" =~ $comment ]] && continue
    checked=$((checked + 1))
    if ! grep -qF -- "$file:$line_number: " <<< "$output"; then
      echo "MISSED: $file:$line_number: $line" >&2
      missed=$((missed + 1))
    fi
  done < "$file"
done
if ((checked == 0 || missed > 0)); then
  echo "FAIL: the guard missed $missed of $checked violating lines" >&2
  exit 1
fi
echo "ok: the guard reported all $checked violating lines"
