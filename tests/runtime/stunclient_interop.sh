#!/usr/bin/env bash
# Interop: coturn's turnutils_stunclient (Debian package coturn) asks our
# binary for its reflexive address over UDP on loopback (DESIGN.md testing
# pyramid, layer 5).
#
#   stunclient_interop.sh TURNPIKE TURNUTILS_STUNCLIENT ipv4|ipv6
#
# turnpike listens on port 0 and its log names the port it got, so there is
# no free-port race. Negative control: once turnpike has stopped, the same
# client against the same port must fail, or this test could not fail.
# turnutils_stunclient never gives up on its own, so every run is bounded by
# timeout(1). Exit 0 = pass, 77 = skipped (reason printed), other = fail.
set -u

turnpike=$1
stunclient=$2
family=$3
# shellcheck source=tests/runtime/turnpike_process.sh
source "$(dirname "${BASH_SOURCE[0]}")/turnpike_process.sh"
begin_turnpike_test

# check_family LISTEN_ADDR CLIENT_TARGET FAMILY_LABEL MAPPED_IP_REGEX
check_family() {
  start_turnpike "$work/server.log" --listen "$1"
  local out
  out=$(timeout 10 "$stunclient" -p "$port" "$2" 2>&1)
  local status=$?
  echo "$out"
  [[ $status -eq 0 ]] || fail "turnutils_stunclient exited with $status against $2 port $port"
  # Its report line looks like "0: : IPv4. UDP reflexive addr: 127.0.0.1:54321".
  grep -Eq "$3\. UDP reflexive addr: $4:[0-9]+\$" <<<"$out" ||
    fail "no '$3 UDP reflexive addr: $4:PORT' in turnutils_stunclient's output"
  stop_turnpike

  # Negative control: nothing listens on $port now; the client must not succeed.
  timeout 3 "$stunclient" -p "$port" "$2" >"$work/negative.log" 2>&1
  status=$?
  if [[ $status -eq 0 ]] || grep -q "reflexive addr" "$work/negative.log"; then
    fail "turnutils_stunclient did not fail with no server on port $port"
  fi
  echo "negative control: turnutils_stunclient failed as expected (status $status)"
}

case $family in
  ipv4)
    check_family "127.0.0.1:0" "127.0.0.1" "IPv4" '127\.0\.0\.1'
    ;;
  ipv6)
    # ::1 is configured when lo has the address 0000...0001 (Linux).
    if ! grep -qs '^00000000000000000000000000000001 ' /proc/net/if_inet6; then
      echo "SKIPPED: no IPv6 loopback (::1) on this host"
      exit 77
    fi
    check_family "[::1]:0" "::1" "IPv6" '::1'
    ;;
  *)
    echo "usage: $0 TURNPIKE TURNUTILS_STUNCLIENT ipv4|ipv6" >&2
    exit 2
    ;;
esac
echo PASS
