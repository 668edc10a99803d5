#!/usr/bin/env bash
# Interop: coturn's turnutils_uclient (Debian package coturn) relays through
# our binary over UDP on loopback to coturn's turnutils_peer, an echo peer
# (DESIGN.md testing pyramid, layer 5).
#
#   uclient_interop.sh TURNPIKE TURNUTILS_UCLIENT TURNUTILS_PEER channel|send
#
# channel: uclient's default, ChannelBind + ChannelData (RFC 8656 §12);
# send:    -s, Send and Data indications (RFC 8656 §11).
#
# Pass: uclient exits 0, its summary counts as many messages received as
# sent (more than zero) and "Total lost packets 0". Negative control: the
# same run with a wrong password must fail, or this test could not fail.
# turnpike listens on port 0 and its log names the port. Every client run is
# bounded by timeout(1); whatever was started is killed at exit.
# Exit 0 = pass, other = fail.
set -u

turnpike=$1
uclient=$2
peer=$3
mode=$4
work=$(mktemp -d)
server_pid=
peer_pid=
cleanup() {
  for pid in $server_pid $peer_pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  for log in server peer uclient; do
    [[ -s $work/$log.log ]] && { echo "--- $log output:"; tail -40 "$work/$log.log"; }
  done
  exit 1
}

case $mode in
  channel) mode_flags=() ;;
  send) mode_flags=(-s) ;;
  *)
    echo "usage: $0 TURNPIKE TURNUTILS_UCLIENT TURNUTILS_PEER channel|send" >&2
    exit 2
    ;;
esac

# turnpike on 127.0.0.1:0; $port from its "listening on udp ..." line (10 s).
# turnutils_uclient talks to a loopback peer, which turnpike refuses unless
# told otherwise (the default peer policy), hence --peer-allow; and loopback
# is the relay's own address, reachable only on relay ports
# (docs/security.md), hence a relay range that holds the peer's port.
# shellcheck source=tests/runtime/turnpike_process.sh
source "$(dirname "${BASH_SOURCE[0]}")/turnpike_process.sh"
start_turnpike "$work/server.log" --listen 127.0.0.1:0 --relay-ip 127.0.0.1 \
  --user alice:secret --peer-allow 127.0.0.0/8 --min-port 1024

# turnutils_peer takes a fixed port and binds it and the next one (for
# uclient's RTCP companion allocations). Pick one below the kernel's
# ephemeral range. A port someone else holds
# must not be used: turnutils_peer does not exit when a bind fails, it only
# logs errno=98, and then another program gets part of the relayed traffic.
# So: skip ports that ss(8) shows in use, and check the peer's log.
port_in_use() {
  command -v ss >/dev/null &&
    ss -Hluan "( sport = :$1 or sport = :$(($1 + 1)) )" 2>/dev/null | grep -q .
}
peer_port=
for _ in $(seq 10); do
  candidate=$((20000 + RANDOM % 10000))
  port_in_use "$candidate" && continue
  "$peer" -L 127.0.0.1 -p "$candidate" >"$work/peer.log" 2>&1 &
  peer_pid=$!
  sleep 0.3
  if kill -0 "$peer_pid" 2>/dev/null &&
    ! grep -Eq 'errno=98|Address already in use' "$work/peer.log"; then
    peer_port=$candidate
    break
  fi
  kill -KILL "$peer_pid" 2>/dev/null
  wait "$peer_pid" 2>/dev/null
  peer_pid=
done
[[ -n $peer_port ]] || fail "turnutils_peer could not bind a port"

# run_uclient PASSWORD: 4 clients, 100 messages of 120 bytes each, 5 ms apart.
run_uclient() {
  timeout 60 "$uclient" "${mode_flags[@]}" -n 100 -m 4 -l 120 -z 5 \
    -u alice -w "$1" -e 127.0.0.1 -r "$peer_port" -p "$port" 127.0.0.1 \
    >"$work/uclient.log" 2>&1
}

run_uclient secret
status=$?
[[ $status -eq 0 ]] || fail "turnutils_uclient exited with $status"
# The totals line reads "...: start_mclient: tot_send_msgs=400, tot_recv_msgs=400".
totals=$(grep -E 'start_mclient: tot_send_msgs=[0-9]+, tot_recv_msgs=[0-9]+$' \
  "$work/uclient.log" | tail -1)
[[ -n $totals ]] || fail "no tot_send_msgs/tot_recv_msgs summary line"
sent=$(sed -E 's/.*tot_send_msgs=([0-9]+).*/\1/' <<<"$totals")
received=$(sed -E 's/.*tot_recv_msgs=([0-9]+).*/\1/' <<<"$totals")
echo "$mode: sent $sent, received $received"
[[ $sent -gt 0 ]] || fail "turnutils_uclient sent nothing"
[[ $sent -eq $received ]] || fail "sent $sent messages but received $received"
grep -q 'Total lost packets 0 (' "$work/uclient.log" ||
  fail "turnutils_uclient reports lost packets"

# Negative control: a wrong password must not get an allocation.
run_uclient wrong-password
status=$?
if [[ $status -eq 0 ]]; then
  fail "turnutils_uclient succeeded with a wrong password"
fi
grep -q 'Cannot complete Allocation' "$work/uclient.log" ||
  fail "wrong password: uclient failed, but not at Allocate (status $status)"
echo "negative control: wrong password failed as expected (status $status)"

# turnpike must still stop cleanly.
stop_turnpike
echo PASS
