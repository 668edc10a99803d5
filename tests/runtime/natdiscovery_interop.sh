#!/usr/bin/env bash
# Interop: coturn's turnutils_natdiscovery (Debian package coturn) runs RFC
# 5780 NAT behaviour discovery (mapping and filtering) against our binary
# on two loopback addresses, 127.0.0.1 and 127.0.0.2, each listening on the
# same two ports (RFC 5780 §4.1).
#
#   natdiscovery_interop.sh TURNPIKE TURNUTILS_NATDISCOVERY
#
# On loopback there is no NAT, so a working server makes the tool report
# endpoint-independent mapping and filtering, which it can only conclude
# from answers sent from the other address and port (CHANGE-REQUEST) and
# from OTHER-ADDRESS. Negative control: the same listeners without
# --nat-discovery must not get that far, or this test could not fail.
# Every run is bounded by timeout(1). Exit 0 = pass, other = fail.
set -u

turnpike=$1
natdiscovery=$2
# shellcheck source=tests/runtime/turnpike_process.sh
source "$(dirname "${BASH_SOURCE[0]}")/turnpike_process.sh"
begin_turnpike_test
fail_logs=("$work/discovery.log:turnutils_natdiscovery")

# RFC 5780 needs the same two ports on both IPs, so they cannot be port 0:
# pick a pair below the kernel's ephemeral range that ss(8) shows free.
port_in_use() {
  command -v ss >/dev/null &&
    ss -Hluan "( sport = :$1 or sport = :$(($1 + 1)) )" 2>/dev/null | grep -q .
}
base=
for _ in $(seq 20); do
  candidate=$((20000 + RANDOM % 10000))
  port_in_use "$candidate" && continue
  base=$candidate
  break
done
[[ -n $base ]] || fail "no free pair of UDP ports found"
alt=$((base + 1))
listeners=(--listen "127.0.0.1:$base" --listen "127.0.0.1:$alt"
  --listen "127.0.0.2:$base" --listen "127.0.0.2:$alt")

# discover: mapping (-m) and filtering (-f) against 127.0.0.1:$base.
discover() {
  timeout 30 "$natdiscovery" -m -f -p "$base" 127.0.0.1 >"$work/discovery.log" 2>&1
}

expect_line() {
  grep -Fq -- "$1" "$work/discovery.log" || fail "no '$1' in turnutils_natdiscovery's output"
}

start_turnpike "$work/server.log" "${listeners[@]}" --relay-ip 127.0.0.1 \
  --user alice:secret --nat-discovery
discover
status=$?
[[ $status -eq 0 ]] || fail "turnutils_natdiscovery exited with $status"
cat "$work/discovery.log"
# RFC 5780 §7.4: OTHER-ADDRESS is the other IP and the other port.
expect_line "Other addr: : 127.0.0.2:$alt"
# §7.3 RESPONSE-ORIGIN of the answers to CHANGE-REQUEST (§6.1): change IP
# (mapping test II), change IP and port (filtering test II).
expect_line "Response origin: : 127.0.0.2:$base"
expect_line "Response origin: : 127.0.0.2:$alt"
expect_line "NAT with Endpoint Independent Mapping!"
expect_line "NAT with Endpoint Independent Filtering!"
stop_turnpike

# Negative control: the same listeners without --nat-discovery.
start_turnpike "$work/server.log" "${listeners[@]}" --relay-ip 127.0.0.1 \
  --user alice:secret
discover
if grep -Eq "Other addr|Endpoint Independent" "$work/discovery.log"; then
  fail "turnutils_natdiscovery reported RFC 5780 results with --nat-discovery off"
fi
echo "negative control: no RFC 5780 results without --nat-discovery"
stop_turnpike
echo PASS
