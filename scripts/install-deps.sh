#!/usr/bin/env bash
# Installs what turnpike needs to build, test and fuzz, from Debian 12's own
# packages (nothing is downloaded from anywhere else). Idempotent: when every
# package is already installed it only says so, without touching apt.
#
#   bash scripts/install-deps.sh [PACKAGE ...]
#
# Extra Debian packages named as arguments are installed too (the benchmark
# adds gnuplot-nox this way; CI passes none).
# Runs as root, or through sudo when it is available.
set -euo pipefail

readonly packages=(
  build-essential cmake ninja-build pkg-config  # toolchain (gcc 12, CMake 3.25)
  libabsl-dev libuv1-dev android-libboringssl-dev zlib1g-dev  # libraries
  libsqlite3-dev  # coturn's user database (userdb-sqlite); links no OpenSSL
  libsystemd-dev  # sd_notify: readiness, reload, stop and watchdog under systemd (Type=notify)
  groff-base man-db  # renders turnpike(8) in its test (tests/cli/man_page_render.sh)
  dpkg-dev systemd  # dpkg-shlibdeps for the .deb, systemd-analyze to verify its unit (scripts/package.sh)
  libcivetweb-dev nlohmann-json3-dev  # admin endpoint (HTTP without OpenSSL) and JSON
  prometheus  # promtool checks the /metrics output (tests/runtime/admin_endpoint.sh)
  doctest-dev librapidcheck-dev libbenchmark-dev  # tests and benchmarks
  clang libclang-rt-14-dev llvm-14  # libFuzzer and the sanitizer runtimes
  tshark  # independent STUN decoder for the Wireshark test
  coturn  # turnutils_* clients for interop tests, and the benchmark baseline
  openssl  # self-signed certificates for the TLS/DTLS interop tests (tests/runtime/uclient_interop.sh)
  stun-client  # Vovida `stun` 0.97, an RFC 3489 client (tests/runtime/rfc3489_stun_interop.sh)
  chromium nodejs  # a real WebRTC client and its driver (tests/webrtc)
  python3
  "$@"  # what the caller adds
)

missing=()
for package in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
  if [[ "$status" != *" ok installed" ]]; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages are already installed"
  exit 0
fi

if ((EUID == 0)); then
  as_root=(env)
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo env)
else
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run this script as root (or install sudo) to install them" >&2
  exit 1
fi
as_root+=(DEBIAN_FRONTEND=noninteractive)

echo "install-deps: installing ${missing[*]}"

# tshark asks whether non-root users may capture packets; answer "no" ahead of
# time so the install never stops at a prompt.
if [[ " ${missing[*]} " == *" tshark "* ]]; then
  echo "wireshark-common wireshark-common/install-setuid boolean false" |
    "${as_root[@]}" debconf-set-selections
fi

"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"

# Debian's coturn package enables and starts its turnserver under systemd, and
# that daemon takes UDP/TCP 3478, turnpike's default port. turnpike needs
# coturn's programs (the turnutils_* clients, and a turnserver that the
# benchmark starts on its own ports), not its service, so a coturn installed
# here is stopped and disabled again. (Without
# systemd, as in a container, the package starts nothing: its init script
# runs only with TURNSERVER_ENABLED=1 in /etc/default/coturn.) A coturn that
# was installed before this script ran is left alone.
if [[ " ${missing[*]} " == *" coturn "* && -d /run/systemd/system ]]; then
  echo "install-deps: disabling the coturn service the package started (it holds port 3478)"
  "${as_root[@]}" systemctl disable --now coturn.service
fi

still_missing=()
for package in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
  [[ "$status" == *" ok installed" ]] || still_missing+=("$package")
done
if ((${#still_missing[@]} > 0)); then
  echo "install-deps: still not installed: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-deps: all ${#packages[@]} packages are installed"
