#!/usr/bin/env python3
"""Checks that every file and test case the documentation cites exists.

A citation is a repository path in backticks: `core/server.cc`,
`tests/core/scenario/auth_test.cc`, `tests/runtime/` (a directory),
`core/auth/nonce.{h,cc}` (one level of braces expands to several files).
A backticked token is taken for a path when it starts with a top-level
directory of the repository, or names a file by a source-like extension
(.cc, .h, .sh, .py, ...). Such a path must be written in full, from the
repository root, and must exist: a bare `auth_test.cc` is an error, so a
reader (and this script) never has to guess the directory.

Markdown links to local files ([text](style.md#anchor)) must resolve
too, relative to the document.

A test case citation is a test file followed by the case's exact name in
double quotes, `tests/core/auth/nonce_test.cc` "a stale nonce is 438", or
several names separated by commas or "and". Each name must be declared in
that file by TEST_CASE, SUBCASE, SCENARIO or TEST_CASE_FIXTURE.

  python3 scripts/check_doc_citations.py            # README.md and docs/*.md
  python3 scripts/check_doc_citations.py FILE.md ... # just those files

Exit 0 when every citation resolves, 1 (listing each bad one as
file:line: message) otherwise, 2 on a usage error. Run by CTest
(suite/doc_citations_exist) and so by scripts/test.sh in CI.
"""

import argparse
import os
import pathlib
import re
import sys

# Backticked names that look like files but are not in this repository;
# each says where it lives, so the exemption is a claim a reader can check.
EXTERNAL = {
    "read_write_pkt.cc": "ngtcp2's fuzzer, cited as the model for ours",
    "commands.txt": "written by bench/e2e/run.sh next to its results",
}

# Extensions that make a backticked token a file citation even without a
# directory part.
FILE_EXTENSIONS = (
    ".cc", ".h", ".sh", ".py", ".md", ".txt", ".json", ".cmake", ".dict",
    ".mjs", ".html", ".hex", ".yml", ".yaml",
)

BACKTICK = re.compile(r"`([^`\n]+)`")
# A Markdown link to a local file: [text](target), relative to the document.
LINK = re.compile(r"\]\(([^)\s]+)\)")
# Quoted names right after a citation: "a", "b" and "c", or in parentheses
# ("a", "b"). A name may wrap onto the next line (at most once); the line
# break reads as one space.
_NAME = r'"[^"\n]+(?:\n[^"\n]+)?"'
QUOTED_RUN = re.compile(rf"\s*\(?{_NAME}(?:\s*(?:,|and)\s*{_NAME})*")
QUOTED = re.compile(r'"([^"]+)"')
# A token that could be a repository path: path characters only, and at
# most one {a,b} group.
PATHLIKE = re.compile(r"^[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+{},-]*)*$|"
                      r"^[A-Za-z0-9_.+-]*\{[A-Za-z0-9_.,]+\}[A-Za-z0-9_.]*$")
CASE_DECLARATION = re.compile(
    r"\b(?:TEST_CASE|SUBCASE|SCENARIO)\s*\(|"
    r"\bTEST_CASE_FIXTURE\s*\(\s*[\w:]+\s*,")
STRING_LITERAL = re.compile(r'\s*"((?:[^"\\\n]|\\.)*)"')


def expand_braces(token):
    """`a.{h,cc}` -> [`a.h`, `a.cc`]; a token without braces -> [token]."""
    match = re.search(r"\{([^{}]*)\}", token)
    if not match:
        return [token]
    head, tail = token[:match.start()], token[match.end():]
    return [head + part + tail for part in match.group(1).split(",")]


def find_by_name(root, path):
    """Repository files whose path ends with `path` (for a hint)."""
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs
                      if not d.startswith(".") and d != "build"]
        for name in files + subdirs:
            relative = os.path.relpath(os.path.join(directory, name), root)
            if relative.endswith("/" + path):
                found.append(relative)
    return sorted(found)


def is_path_citation(token, top_level):
    if not PATHLIKE.match(token) or token.startswith(("-", ".")):
        return False
    first = token.split("/", 1)[0]
    if "/" in token and first in top_level:
        return True
    return any(name.endswith(FILE_EXTENSIONS) for name in expand_braces(token))


def declared_cases(source):
    """Every test case and subcase name declared in a C++ test file."""
    names = set()
    for match in CASE_DECLARATION.finditer(source):
        pos, parts = match.end(), []
        while literal := STRING_LITERAL.match(source, pos):
            parts.append(literal.group(1))
            pos = literal.end()
        if parts:
            name = "".join(parts)
            names.add(name.replace('\\"', '"').replace("\\\\", "\\"))
    return names


def check_links(doc, shown, text):
    errors = []
    for number, line in enumerate(text.splitlines(), start=1):
        for link in LINK.finditer(line):
            target = link.group(1).split("#", 1)[0]
            if not target or re.match(r"^[a-z]+:", target):
                continue  # a URL or an anchor in the same document
            if not (doc.parent / target).exists():
                errors.append(
                    f"{shown}:{number}: link target {target} does not exist")
    return errors


def check_citation(where, token, names, root, case_cache):
    """Errors for one backticked path and the case names quoted after it."""
    paths = expand_braces(token)
    missing = [p for p in paths if not (root / p).exists()]
    if missing:
        hint = ""
        candidates = find_by_name(root, missing[0].rstrip("/"))
        if candidates:
            hint = " (did you mean " + ", ".join(
                f"`{c}`" for c in candidates[:3]) + "?)"
        what = ("does not exist" if "/" in token else
                "is not a path from the repository root")
        return [f"{where}: `{token}` {what}{hint}"]
    if not names:
        return []
    if len(paths) != 1 or not paths[0].endswith(".cc"):
        return [f"{where}: test case names {names} follow `{token}`, which "
                f"is not one C++ test file"]
    if paths[0] not in case_cache:
        case_cache[paths[0]] = declared_cases((root / paths[0]).read_text())
    return [f'{where}: `{token}` declares no test case or subcase "{name}"'
            for name in names if name not in case_cache[paths[0]]]


def check_file(doc, root, top_level, case_cache):
    shown = doc.relative_to(root) if doc.is_relative_to(root) else doc
    text = doc.read_text()
    errors = check_links(doc, shown, text)
    for tick in BACKTICK.finditer(text):
        token = tick.group(1).strip()
        if not is_path_citation(token, top_level) or token in EXTERNAL:
            continue
        where = f"{shown}:{text.count(chr(10), 0, tick.start()) + 1}"
        run = QUOTED_RUN.match(text, tick.end())
        names = [re.sub(r"\s*\n\s*", " ", name)
                 for name in QUOTED.findall(run.group(0))] if run else []
        errors += check_citation(where, token, names, root, case_cache)
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("docs", nargs="*", type=pathlib.Path,
                        help="Markdown files (default: README.md, docs/*.md)")
    parser.add_argument("--root", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parent.parent,
                        help="repository root (default: this script's ../)")
    args = parser.parse_args()
    root = args.root.resolve()
    docs = [d.resolve() for d in args.docs] or (
        [root / "README.md"] + sorted((root / "docs").glob("*.md")))
    top_level = {p.name for p in root.iterdir()
                 if p.is_dir() and not p.name.startswith(".")
                 and p.name != "build"}
    errors, cache = [], {}
    for doc in docs:
        if not doc.is_file():
            print(f"check_doc_citations: no such file {doc}", file=sys.stderr)
            return 2
        errors += check_file(doc, root, top_level, cache)
    for error in errors:
        print(error)
    if errors:
        print(f"check_doc_citations: {len(errors)} bad citation(s) in "
              f"{len(docs)} file(s)")
        return 1
    print(f"check_doc_citations: every citation in {len(docs)} file(s) "
          f"exists ({len(cache)} test file(s) with named cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
