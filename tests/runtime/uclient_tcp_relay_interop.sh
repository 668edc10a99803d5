#!/usr/bin/env bash
# Interop: coturn's turnutils_uclient (Debian package coturn) in RFC 6062
# mode (-T) through our binary on loopback. -T implies -t (TCP to the
# server) and -y (client to client): each pair of clients makes two TCP
# allocations, one Connects to the other's relayed address (RFC 6062 §5.2),
# the other's relay listener accepts it and sends ConnectionAttempt (§5.3),
# both sides ConnectionBind a data connection (§5.4), and the messages go
# through the two splices. No separate peer is needed.
#
#   uclient_tcp_relay_interop.sh TURNPIKE TURNUTILS_UCLIENT [TURNPIKE-ARGS...]
#
# Extra arguments go to turnpike: `--workers 2` makes the kernel put some
# ConnectionBind connections on another worker than their allocation's,
# which must then hand them over (runtime/worker_connection_handoff.cc).
#
# Pass: uclient exits 0, its summary counts as many messages received as
# sent (more than zero) with 0 lost (TCP loses nothing), and turnpike's
# exit log counts peers connected, peers accepted and spliced bytes both
# ways. Negative control: a wrong password must fail at Allocate.
# Exit 0 = pass, other = fail.
set -u

turnpike=$1
uclient=$2
shift 2

# shellcheck source=tests/runtime/turnpike_process.sh
source "$(dirname "${BASH_SOURCE[0]}")/turnpike_process.sh"
begin_turnpike_test
fail_logs=("$work/uclient.log:turnutils_uclient")

# Loopback relayed addresses reach each other (a relay address passes the
# default peer ranges, docs/security.md); --min-port 1024 keeps every
# loopback port in the relay range.
start_turnpike "$work/server.log" --listen 127.0.0.1:0 \
  --listen tcp://127.0.0.1:0 --relay-ip 127.0.0.1 --user alice:secret \
  --min-port 1024 "$@"
tcp_port=$(sed -n 's/.*listening on .*tcp 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
  "$work/server.log")
[[ -n $tcp_port ]] || fail "no tcp listener in turnpike's log"

# run_uclient PASSWORD: 4 clients (2 pairs), 200 messages of 170 bytes each.
run_uclient() {
  timeout 60 "$uclient" -T -n 200 -m 4 -l 170 -z 5 -u alice -w "$1" \
    -p "$tcp_port" 127.0.0.1 >"$work/uclient.log" 2>&1
}

run_uclient secret
status=$?
[[ $status -eq 0 ]] || fail "turnutils_uclient exited with $status"
totals=$(grep -E 'start_mclient: tot_send_msgs=[0-9]+, tot_recv_msgs=[0-9]+$' \
  "$work/uclient.log" | tail -1)
[[ -n $totals ]] || fail "no tot_send_msgs/tot_recv_msgs summary line"
sent=$(sed -E 's/.*tot_send_msgs=([0-9]+).*/\1/' <<<"$totals")
received=$(sed -E 's/.*tot_recv_msgs=([0-9]+).*/\1/' <<<"$totals")
echo "tcp relay: sent $sent, received $received"
[[ $sent -gt 0 ]] || fail "turnutils_uclient sent nothing"
[[ $received -eq $sent ]] || fail "received $received messages but sent $sent"
grep -Eq 'Total lost packets 0 ' "$work/uclient.log" ||
  fail "turnutils_uclient lost packets"

# Negative control: a wrong password must not get an allocation.
run_uclient wrong-password
status=$?
[[ $status -ne 0 ]] || fail "turnutils_uclient succeeded with a wrong password"
grep -q 'Cannot complete Allocation' "$work/uclient.log" ||
  fail "wrong password: uclient failed, but not at Allocate (status $status)"
echo "negative control: wrong password failed as expected (status $status)"

stop_turnpike
# The bytes went through the runtime's splices, both ways.
summary=$(grep -E 'tcp relays: ' "$work/server.log" | tail -1)
[[ -n $summary ]] || fail "turnpike logged no tcp relay summary"
echo "$summary"
grep -E 'ConnectionBind across workers: ' "$work/server.log" | tail -1
read -r connected accepted to_peers to_clients < <(sed -E \
  's/.* ([0-9]+) peers connected, [0-9]+ connects failed, ([0-9]+) peers accepted, ([0-9]+) bytes spliced to peers, ([0-9]+) to clients.*/\1 \2 \3 \4/' \
  <<<"$summary")
[[ $connected -gt 0 && $accepted -gt 0 ]] ||
  fail "no peer connection was both connected and accepted"
# Each message crosses two splices (client → peer relay → other client).
[[ $to_peers -ge $((sent * 170)) && $to_clients -ge $((sent * 170)) ]] ||
  fail "spliced bytes ($to_peers, $to_clients) fewer than the messages carried"
echo PASS
