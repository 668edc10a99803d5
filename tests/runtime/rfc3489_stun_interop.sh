#!/usr/bin/env bash
# Interop: an RFC 3489 ("classic") STUN client, Vovida's `stun` 0.97 (Debian
# package stun-client), asks our binary for its mapped address over UDP on
# loopback. Its requests carry no magic cookie; turnpike must answer them as
# RFC 8489 §12.2 says (MAPPED-ADDRESS, the whole 16-byte transaction ID
# echoed), or the client hears nothing and the test fails.
#
#   rfc3489_stun_interop.sh TURNPIKE STUN
#
# `stun HOST:PORT 1 -v` runs RFC 3489 test I once (a Binding request with a
# CHANGE-REQUEST asking for no change) and prints the answer it parsed,
# e.g. "mappedAddr=127.0.0.1:23705", where 23705 is the port it "Opened".
# The mapped address must be exactly that: loopback and the client's port.
# Negative control: once turnpike has stopped, the same run must fail.
# `stun` retries for a while, so every run is bounded by timeout(1).
# Exit 0 = pass, other = fail.
set -u

turnpike=$1
stun=$2
# shellcheck source=tests/runtime/turnpike_process.sh
source "$(dirname "${BASH_SOURCE[0]}")/turnpike_process.sh"
begin_turnpike_test

start_turnpike "$work/server.log" --listen 127.0.0.1:0
out=$(timeout 10 "$stun" "127.0.0.1:$port" 1 -v 2>&1)
status=$?
echo "$out"
[[ $status -eq 0 ]] || fail "stun exited with $status against 127.0.0.1:$port (no answer?)"
client_port=$(sed -n 's/^Opened port \([0-9][0-9]*\) with fd.*/\1/p' <<<"$out" | head -1)
[[ -n $client_port ]] || fail "stun did not say which port it opened"
grep -q "^MappedAddress = 127\.0\.0\.1:$client_port\$" <<<"$out" ||
  fail "no 'MappedAddress = 127.0.0.1:$client_port' in stun's output"
grep -Eq "^[[:space:]]*mappedAddr=127\.0\.0\.1:$client_port\$" <<<"$out" ||
  fail "no 'mappedAddr=127.0.0.1:$client_port' in stun's output"
stop_turnpike

# Negative control: nothing listens on $port now; the client must not succeed.
timeout 5 "$stun" "127.0.0.1:$port" 1 -v >"$work/negative.log" 2>&1
status=$?
if [[ $status -eq 0 ]] || grep -q "mappedAddr=" "$work/negative.log"; then
  fail "stun did not fail with no server on port $port"
fi
echo "negative control: stun failed as expected (status $status)"
echo PASS
