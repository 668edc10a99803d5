#!/usr/bin/env bash
# Installs what the end-to-end benchmark (bench/e2e/run.sh) needs beyond the
# build: Debian's coturn (the server it compares against) and gnuplot-nox
# (the plot). Kept apart from scripts/install-deps.sh, which CI runs: the
# tests need coturn's clients, but nothing in CI draws a plot.
#
#   bash bench/e2e/install-deps.sh
#
# Runs as root, or through sudo when it is available. Idempotent.
set -euo pipefail

readonly packages=(coturn gnuplot-nox)

missing=()
for package in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
  [[ "$status" == *" ok installed" ]] || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  echo "bench install-deps: ${packages[*]} already installed"
  exit 0
fi

if ((EUID == 0)); then
  as_root=(env)
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo env)
else
  echo "bench install-deps: missing ${missing[*]}; run as root to install them" >&2
  exit 1
fi
as_root+=(DEBIAN_FRONTEND=noninteractive)
echo "bench install-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"

# Debian's coturn package starts its turnserver under systemd on UDP/TCP
# 3478; the benchmark starts its own on other ports and needs no service.
if [[ " ${missing[*]} " == *" coturn "* && -d /run/systemd/system ]]; then
  "${as_root[@]}" systemctl disable --now coturn.service
fi
