#!/usr/bin/env python3
"""Summarises a CTest JUnit report for scripts/test.sh, skips by name.

A skipped test (exit 77, SKIP_RETURN_CODE) is not a pass. Each one is
listed with the reason it printed (its "SKIPPED: ..." line), and is allowed
only when that reason matches an --allow pattern, which scripts/test.sh
passes only after probing that this host really lacks the capability
(e.g. an IPv6 loopback). An entry CTest did not run for another reason
(executable missing, disabled) counts as failed.

  python3 scripts/ctest_report.py REPORT.xml [--allow REGEX]... \\
      [--counts FILE]

Prints the summary; writes shell assignments (passed=, failed=, skipped=,
skipped_refused=) to FILE for test.sh to read. Exit 0 when the report was
read (the counts say whether the run passed), 2 when it could not be.
"""

import argparse
import re
import sys
import xml.etree.ElementTree as ElementTree


def skip_reason(case):
    out = case.findtext("system-out") or ""
    for line in out.splitlines():
        if "SKIPPED" in line:  # from the "SKIPPED: why" the test printed
            return line[line.index("SKIPPED"):].strip()
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    return lines[-1] if lines else "(no reason printed)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("report")
    parser.add_argument("--allow", action="append", default=[],
                        help="a skip whose reason matches this is allowed")
    parser.add_argument("--counts")
    args = parser.parse_args()
    try:
        cases = ElementTree.parse(args.report).getroot().iter("testcase")
    except (OSError, ElementTree.ParseError) as error:
        print(f"ctest_report: cannot read {args.report}: {error}",
              file=sys.stderr)
        return 2

    passed, failed, allowed, refused = [], [], [], []
    for case in cases:
        name, status = case.get("name"), case.get("status")
        skipped = case.find("skipped")
        if status == "run":
            passed.append(name)
        elif status == "fail":
            failed.append(f"{name}")
        elif (skipped is not None and
              skipped.get("message", "").startswith("SKIP_RETURN_CODE")):
            reason = skip_reason(case)
            if any(re.search(p, reason) for p in args.allow):
                allowed.append(f"{name}: {reason}")
            else:
                refused.append(f"{name}: {reason}")
        else:
            message = skipped.get("message") if skipped is not None else status
            failed.append(f"{name} (not run: {message})")

    skipped_total = len(allowed) + len(refused)
    print(f"ctest: {len(passed)} passed, {len(failed)} failed, "
          f"{skipped_total} skipped")
    for line in failed:
        print(f"  FAILED: {line}")
    for line in refused:
        print(f"  SKIPPED, NOT ALLOWED (this host should run it): {line}")
    for line in allowed:
        print(f"  skipped, allowed (this host lacks what it needs): {line}")
    if args.counts:
        with open(args.counts, "w") as counts:
            counts.write(f"passed={len(passed)}\nfailed={len(failed)}\n"
                         f"skipped={skipped_total}\n"
                         f"skipped_refused={len(refused)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
