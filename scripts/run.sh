#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds the `release` preset and starts the
# relay in the foreground. Arguments go to the turnpike binary unchanged:
#
#   bash scripts/run.sh                # embedded defaults: STUN on UDP 3478
#   bash scripts/run.sh --help
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
cmake --preset release
# Only the relay binary: the tests and benchmarks are not needed to run it.
cmake --build --preset release -j2 --target turnpike

readonly binary=build/release/cli/turnpike
if [[ ! -x "$binary" ]]; then
  echo "run.sh: the build did not produce $binary" >&2
  exit 1
fi
exec "$binary" "$@"
