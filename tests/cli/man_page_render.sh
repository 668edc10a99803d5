#!/usr/bin/env bash
# turnpike(8) as the build wrote it (cli/man_page.cc) renders cleanly: groff
# with every warning on and man(1) both print nothing on stderr, and the
# rendered page names every option that `turnpike --help` lists. (Debian's
# groff sets - and \- alike, so how dashes are escaped is checked by
# `tests/cli/man_page_test.cc` on the roff source instead.)
#
#   man_page_render.sh TURNPIKE MANPAGE GROFF MAN
#
# Exit 0 = pass, 1 = fail.
set -u
turnpike=$1
page=$2
groff=$3
man=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*"
  exit 1
}

[[ -s $page ]] || fail "$page is missing or empty (the turnpike target writes it)"

"$groff" -man -Tutf8 -ww -z "$page" 2>"$work/groff.err" ||
  fail "groff exited non-zero"
[[ ! -s $work/groff.err ]] && echo "groff -ww: no warnings" ||
  { cat "$work/groff.err"; fail "groff warned about $page"; }

LC_ALL=C.UTF-8 MANWIDTH=200 "$man" --warnings -l "$page" \
  >"$work/page.txt" 2>"$work/man.err" || fail "man -l exited non-zero"
[[ ! -s $work/man.err ]] ||
  { cat "$work/man.err"; fail "man -l warned about $page"; }
grep -q '^NAME' "$work/page.txt" || fail "the rendered page has no NAME section"

# Every --option of the help has its own entry: a tag line at the indent
# of OPTIONS ("       -f FILE, --config FILE", "       --debug[=BOOL]").
mapfile -t options < <("$turnpike" --help |
  sed -nE 's/^  (-[a-z], )?(--[a-z0-9-]+).*/\2/p')
((${#options[@]} > 10)) || fail "could not read the options from --help"
missing=()
for option in "${options[@]}"; do
  grep -qE -- "^ {7}(-[a-zA-Z]( [A-Z]+)?, )?${option}([[ ]|$)" \
    "$work/page.txt" ||
    missing+=("$option")
done
((${#missing[@]} == 0)) || fail "the rendered page lacks ${missing[*]}"
echo "PASS: ${#options[@]} options rendered"
