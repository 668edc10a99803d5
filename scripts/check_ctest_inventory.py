#!/usr/bin/env python3
"""Checks that CTest runs every doctest case exactly once, and nothing else.

doctest_discover_tests turns each case a test binary lists into a CTest
entry `binary --test-case=<name>`. A name containing ';' is split into two
entries whose filters match no case, so the case never runs while both
entries pass. This script compares the two inventories:

  * every case a binary lists (--list-test-cases) has exactly one entry,
  * every entry's filter, read as doctest reads it (',' separates
    patterns unless escaped, '*' and '?' are wildcards, case is ignored),
    matches exactly one case of its binary: its own,
  * no case name contains ';', which CMake would split,
  * every binary fails a run that executes no case (the guard in
    tests/doctest_run_guard.h), so a future mismatch fails loudly too.

  python3 scripts/check_ctest_inventory.py [--ctest CTEST] BUILD_DIR

Exit 0 when the inventories match, 1 (naming each mismatch) otherwise.
Registered with CTest as suite/ctest_entries_match_doctest_cases.
"""

import argparse
import collections
import json
import re
import subprocess
import sys

FILTER_OPTION = "--test-case="
# A name no case has; a run filtered on it must fail (the empty-run guard).
NO_SUCH_CASE = "turnpike-inventory-probe-no-such-case"
EMPTY_RUN_EXIT_CODE = 3  # kNoTestCaseExitCode in tests/doctest_run_guard.h


def ctest_entries(ctest, build_dir):
    """(name, command) of every CTest entry in build_dir."""
    listing = subprocess.run(
        [ctest, "--test-dir", build_dir, "--show-only=json-v1"],
        check=True, capture_output=True, text=True).stdout
    return [(t["name"], t.get("command", [])) for t in json.loads(listing)["tests"]]


def doctest_patterns(value):
    """The patterns doctest reads from a --test-case value: split at ','
    unless escaped as '\\,' ('\\\\' is a backslash); doctest's
    parseCommaSepArgs."""
    patterns, current, escaped = [], [], False
    for character in value:
        if escaped:
            escaped = False
            if character in ",\\":
                current.append(character)
                continue
            current.append("\\")
        if character == "\\":
            escaped = True
        elif character == ",":
            patterns.append("".join(current))
            current = []
        else:
            current.append(character)
    if escaped:
        current.append("\\")
    patterns.append("".join(current))
    return [p for p in patterns if p]


def doctest_matches(name, pattern):
    """doctest's wildcmp: '*' any run, '?' any character, case ignored."""
    expression = "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c)
        for c in pattern)
    return re.fullmatch(expression, name, re.IGNORECASE | re.DOTALL) is not None


def listed_cases(binary):
    """The case names `binary --list-test-cases` prints."""
    result = subprocess.run([binary, "--list-test-cases"],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{binary} --list-test-cases exited "
                           f"{result.returncode}: {result.stderr.strip()}")
    return [line for line in result.stdout.splitlines()
            if line and not line.startswith("[doctest] ")
            and line.strip("=") != ""]


def refuses_empty_run(binary):
    result = subprocess.run([binary, f"{FILTER_OPTION}{NO_SUCH_CASE}"],
                            capture_output=True, text=True, timeout=120)
    return result.returncode == EMPTY_RUN_EXIT_CODE


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build_dir")
    parser.add_argument("--ctest", default="ctest")
    args = parser.parse_args()

    filters = collections.defaultdict(list)  # binary -> [(entry, name)]
    other_entries = 0
    for name, command in ctest_entries(args.ctest, args.build_dir):
        options = [a for a in command[1:] if a.startswith(FILTER_OPTION)]
        if not options:
            other_entries += 1
            continue
        value = options[0][len(FILTER_OPTION):]
        filters[command[0]].append((name, value))

    problems = []
    cases_total = 0
    for binary in sorted(filters):
        cases = listed_cases(binary)
        cases_total += len(cases)
        runs = collections.Counter()  # case -> entries that run it
        for entry, value in filters[binary]:
            patterns = doctest_patterns(value)
            matched = [case for case in cases
                       if any(doctest_matches(case, p) for p in patterns)]
            runs.update(matched)
            if len(matched) != 1:
                problems.append(f"CTest entry \"{entry}\" (--test-case="
                                f"{value}) runs {len(matched)} cases of "
                                f"{binary}, not 1: {matched}")
        for case in cases:
            if runs[case] != 1:
                problems.append(f"{binary}: case \"{case}\" is run by "
                                f"{runs[case]} CTest entries, not 1")
            if ";" in case:
                problems.append(f"{binary}: case \"{case}\" contains ';', "
                                f"where doctest_discover_tests splits it "
                                f"into entries that run nothing: rename it")
        if not cases:
            problems.append(f"{binary} lists no test case")
        if not refuses_empty_run(binary):
            problems.append(f"{binary} does not fail a run that executes no "
                            f"case (expected exit {EMPTY_RUN_EXIT_CODE}): "
                            f"its main must use tests/doctest_run_guard.h")

    entries_total = sum(len(v) for v in filters.values())
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_ctest_inventory: {len(problems)} problem(s); "
              f"{entries_total} doctest entries for {cases_total} cases")
        return 1
    print(f"check_ctest_inventory: {entries_total} CTest entries run the "
          f"{cases_total} doctest cases of {len(filters)} binaries, one "
          f"each; every binary fails an empty run; {other_entries} other "
          f"entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
