#!/usr/bin/env bash
# The core purity guard (DESIGN.md: "core/ never reads a clock, never touches a
# socket or a file, never starts a thread, never calls a random source it was
# not given").
#
#   bash scripts/check_core_purity.sh [DIR]      # DIR defaults to core/
#
# Scans the C/C++ sources under DIR and every CMake file there (the core must
# not link libuv either). Comments are ignored: // to the end of the line and
# /* ... */ blocks. String literals are scanned, so `#include "uv.h"` is caught.
# Exit status: 0 clean, 1 violations (listed as file:line: rule: code),
# 2 usage error.
set -euo pipefail
shopt -s nullglob

readonly dir="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/core}"
if [[ ! -d "$dir" ]]; then
  echo "check_core_purity: no such directory: $dir" >&2
  exit 2
fi

# One rule per line: an extended regular expression (GNU grep -E), a tab, and
# what the rule protects. Identifiers are matched on word boundaries so that
# `snprintf`, `Lifetime(` or `operand(` do not trip `printf(`, `time(` or
# `rand(`.
readonly source_rules='std::chrono::[a-z_]*clock::now	reads a clock (take a Now as input)
[a-z_]*clock::now\b	reads a clock (take a Now as input)
absl::(Now|GetCurrentTimeNanos)\b	reads a clock (take a Now as input)
(^|[^[:alnum:]_.>])time\(	reads a clock (take a Now as input)
\bgettimeofday\b	reads a clock (take a Now as input)
\bclock_gettime\b	reads a clock (take a Now as input)
\bstd::this_thread\b	sleeps or yields a thread
\buv_	libuv belongs to runtime/
#[[:space:]]*include[[:space:]]*[<"]uv\.h[>"]	libuv belongs to runtime/
#[[:space:]]*include[[:space:]]*<sys/(socket|time|select|epoll|ioctl)\.h>	sockets and clocks belong to runtime/
#[[:space:]]*include[[:space:]]*<(netinet|linux)/	sockets belong to runtime/
#[[:space:]]*include[[:space:]]*<(arpa/inet|netdb|unistd|fcntl|poll|pthread)\.h>	sockets, files and threads belong to runtime/
#[[:space:]]*include[[:space:]]*<(thread|mutex|shared_mutex|condition_variable|future|stop_token)>	threads belong to runtime/
#[[:space:]]*include[[:space:]]*<(fstream|iostream|filesystem|random)>	files, console and randomness belong to runtime/
#[[:space:]]*include[[:space:]]*"absl/(random|synchronization)/	ambient randomness and locks belong to runtime/
\bstd::(thread|jthread|async|mutex|random_device|mt19937|mt19937_64|filesystem|ifstream|ofstream|fstream|cout|cerr|clog|cin)\b	threads, randomness, files and console belong to runtime/
\babsl::(BitGen|InsecureBitGen|Mutex)\b	ambient randomness and locks belong to runtime/
\bs?rand\(	ambient randomness (use the injected Random)
\b(getrandom|arc4random|arc4random_buf)\b	ambient randomness (use the injected Random)
/dev/u?random	ambient randomness (use the injected Random)
\bRAND_(bytes|priv_bytes|pseudo_bytes)\b	ambient randomness (use the injected Random)
\b(secure_)?getenv\b	the environment belongs to cli/
\b(fopen|freopen|fdopen|popen|opendir)\b	files belong to runtime/
\bf?printf\(	console output belongs to runtime/ (snprintf is fine)
\b(puts|perror|fputs|fwrite)\(	console output belongs to runtime/
\bpthread_[a-z_]+\(	threads belong to runtime/
(^|[^[:alnum:]_.>])(recvfrom|sendto|recvmsg|sendmsg|setsockopt|getsockopt)\(	sockets belong to runtime/'

# CMake files: the core must not link libuv.
readonly cmake_rules='LIBUV|\blibuv\b|\buv\b|uv_a	libuv belongs to runtime/ (do not link it into the core)'

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# Copies each file named on stdin (NUL-separated) to $scratch/$2.NNNNNN with its
# comments blanked out, one output line per input line so that line numbers
# survive; prints the names in order. $1 is the comment syntax: c or cmake.
strip_comments() {
  local syntax="$1" tag="$2" paths=() path
  while IFS= read -r -d '' path; do paths+=("$path"); done
  ((${#paths[@]} > 0)) || return 0
  printf '%s\n' "${paths[@]}"
  awk -v syntax="$syntax" -v prefix="$scratch/$tag." '
    function strip_c(line,    out, n, i, c, two, q, prev) {
      out = ""; n = length(line); i = 1
      while (i <= n) {
        c = substr(line, i, 1); two = substr(line, i, 2)
        if (in_block) {
          if (two == "*/") { in_block = 0; out = out " "; i += 2 } else { i++ }
          continue
        }
        if (two == "//") break
        if (two == "/*") { in_block = 1; i += 2; continue }
        prev = substr(out, length(out), 1)
        # A quote starts a literal; a single quote after an identifier or
        # digit is a digit separator (1'\''000) or a prefix, not a literal.
        if (c == "\"" || (c == "'\''" && prev !~ /[A-Za-z0-9_]/)) {
          q = c; out = out c; i++
          while (i <= n) {
            c = substr(line, i, 1)
            if (c == "\\") { out = out substr(line, i, 2); i += 2; continue }
            out = out c; i++
            if (c == q) break
          }
          continue
        }
        out = out c; i++
      }
      return out
    }
    function strip_cmake(line,    out, n, i, c, in_str) {
      out = ""; n = length(line); in_str = 0
      for (i = 1; i <= n; i++) {
        c = substr(line, i, 1)
        if (c == "\"") in_str = !in_str
        if (c == "#" && !in_str) break
        out = out c
      }
      return out
    }
    # Files are numbered by their position on the command line (an empty
    # file has no FNR == 1 record, so counting records would drift).
    BEGIN { for (a = 1; a < ARGC; a++) position[ARGV[a]] = a }
    FNR == 1 {
      if (out != "") close(out)
      out = prefix sprintf("%06d", position[FILENAME]); in_block = 0
    }
    { print (syntax == "cmake" ? strip_cmake($0) : strip_c($0)) > out }
  ' "${paths[@]}"
}

# report ORIGINAL STRIPPED RULES: prints one line per violation (each file:line
# and reason once).
report() {
  local file="$1" stripped="$2" rules="$3" regex why line code lines=()
  mapfile -t lines < "$file"
  while IFS=$'\t' read -r regex why; do
    [[ -n "$regex" ]] || continue
    while IFS=: read -r line _; do
      code="${lines[line - 1]}"
      code="${code#"${code%%[![:space:]]*}"}"
      printf '%s:%s: %s: %s\n' "$file" "$line" "$why" "$code"
    done < <(grep -nE -e "$regex" "$stripped" || true)
  done <<< "$rules" | sort -t: -k2,2n -s | awk '!seen[$0]++'
}

# scan SYNTAX TAG RULES < NUL-separated files: reports the violations and
# counts scanned files in $files and offending files in $bad_files.
files=0
bad_files=0
scan() {
  local syntax="$1" tag="$2" rules="$3" names=() stripped=() candidate
  mapfile -t names < <(strip_comments "$syntax" "$tag")
  files=$((files + ${#names[@]}))
  stripped=("$scratch/$tag".*)  # nullglob: none when every file was empty
  ((${#stripped[@]} > 0)) || return 0
  # One grep over every file with every rule finds the few files to explain.
  while IFS= read -r candidate; do
    report "${names[10#${candidate##*.} - 1]}" "$candidate" "$rules"
    bad_files=$((bad_files + 1))
  done < <(grep -lE -f <(cut -f1 <<< "$rules") "${stripped[@]}" || true)
}

scan c src "$source_rules" < <(find "$dir" -type f \( -name '*.h' -o -name '*.hh' \
  -o -name '*.hpp' -o -name '*.hxx' -o -name '*.inc' -o -name '*.ipp' \
  -o -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.cxx' \) -print0 | sort -z)
scan cmake cmake "$cmake_rules" < <(find "$dir" -type f \( -name 'CMakeLists.txt' \
  -o -name '*.cmake' \) -print0 | sort -z)

if ((bad_files > 0)); then
  echo "check_core_purity: FAILED: $bad_files file(s) under $dir break the core's purity rule" \
       "(DESIGN.md: time, randomness and I/O are inputs to the core, never ambient)" >&2
  exit 1
fi
echo "check_core_purity: OK: $files file(s) under $dir are free of clocks, I/O, threads and ambient randomness"
