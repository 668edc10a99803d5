#!/usr/bin/env bash
# Interop: coturn's turnutils_uclient (Debian package coturn) relays through
# our binary over UDP on loopback to coturn's turnutils_peer, an echo peer
# (DESIGN.md testing pyramid, layer 5).
#
#   uclient_interop.sh TURNPIKE TURNUTILS_UCLIENT TURNUTILS_PEER MODE
#
# channel: uclient's default, ChannelBind + ChannelData (RFC 8656 §12);
# send:    -s, Send and Data indications (RFC 8656 §11);
# tcp:     -t, channels over a TCP connection to the server (RFC 8656 §3.1,
#          ChannelData padded to 4 on the stream, §12.5). Over TCP nothing
#          may be lost between client and server, so the only loss
#          tolerated is the UDP leg's, counted by the kernel as below;
# tls:     -S -t, the same over TLS to a tls:// listener (RFC 8656 §3.1);
# dtls:    -S, channels over DTLS to a dtls:// listener (RFC 7350).
# tls and dtls make a self-signed certificate with openssl(1).
#
# Pass: uclient exits 0 and its summary counts as many messages received as
# sent (more than zero), or the kernel counted enough socket buffer
# overflows during the run to explain the difference. Negative control: the
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
  tcp) mode_flags=(-t) ;;
  tls) mode_flags=(-S -t) ;;
  dtls) mode_flags=(-S) ;;
  *)
    echo "usage: $0 TURNPIKE TURNUTILS_UCLIENT TURNUTILS_PEER channel|send|tcp|tls|dtls" >&2
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
secure_flags=()
if [[ $mode == tls || $mode == dtls ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
    -subj /CN=turnpike.test >"$work/openssl.log" 2>&1 ||
    fail "openssl could not make a certificate"
  secure_flags=(--listen "$mode://127.0.0.1:0" --tls-cert "$work/cert.pem"
    --tls-key "$work/key.pem")
fi
start_turnpike "$work/server.log" --listen 127.0.0.1:0 --listen tcp://127.0.0.1:0 \
  "${secure_flags[@]}" --relay-ip 127.0.0.1 --user alice:secret \
  --peer-allow 127.0.0.0/8 --min-port 1024
# "listening on udp 127.0.0.1:A, tcp 127.0.0.1:B, tls 127.0.0.1:C": the port
# of the mode's transport.
case $mode in
  tcp | tls | dtls) transport=$mode ;;
  *) transport=udp ;;
esac
port=$(sed -n "/listening on /s/.*[ ,]$transport [^ ,]*:\([0-9][0-9]*\).*/\1/p" \
  "$work/server.log")
[[ -n $port ]] || fail "no $mode listening port in the log"

# turnutils_peer takes a fixed port and binds it and the next one (for
# uclient's RTCP companion allocations). Pick one below the kernel's
# ephemeral range. A port someone else holds
# must not be used: turnutils_peer does not exit when a bind fails, it only
# logs errno=98, and then another program gets part of the relayed traffic.
# So: skip ports that ss(8) shows in use, wait until the peer's own sockets
# hold both ports, and check the peer's log.
port_in_use() {
  command -v ss >/dev/null &&
    ss -Hluan "( sport = :$1 or sport = :$(($1 + 1)) )" 2>/dev/null | grep -q .
}
# udp_port_owned_by PORT PID: a UDP socket of process PID is bound to PORT
# (/proc/net/udp's inode column against the sockets in /proc/PID/fd).
udp_port_owned_by() {
  local hex
  hex=$(printf ':%04X' "$1")
  local inodes
  inodes=$(find "/proc/$2/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null |
    sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
  [[ -n $inodes ]] || return 1
  awk -v port="$hex" 'NR > 1 && substr($2, length($2) - 4) == port { print $10 }' \
    /proc/net/udp | grep -qxF -f <(printf '%s\n' "$inodes")
}
# wait_for_peer PORT: up to 10 s for the peer to hold PORT and PORT+1;
# fails early when it exits.
wait_for_peer() {
  for _ in $(seq 200); do
    kill -0 "$peer_pid" 2>/dev/null || return 1
    udp_port_owned_by "$1" "$peer_pid" &&
      udp_port_owned_by $(($1 + 1)) "$peer_pid" && return 0
    sleep 0.05
  done
  return 1
}
peer_port=
for _ in $(seq 10); do
  candidate=$((20000 + RANDOM % 10000))
  port_in_use "$candidate" && continue
  "$peer" -L 127.0.0.1 -p "$candidate" >"$work/peer.log" 2>&1 &
  peer_pid=$!
  if wait_for_peer "$candidate" &&
    ! grep -Eq 'errno=98|Address already in use' "$work/peer.log"; then
    peer_port=$candidate
    break
  fi
  kill -KILL "$peer_pid" 2>/dev/null
  wait "$peer_pid" 2>/dev/null
  peer_pid=
done
[[ -n $peer_port ]] || fail "turnutils_peer could not bind a port"

# UDP datagrams dropped by the kernel for a full socket buffer, host-wide
# (RcvbufErrors + SndbufErrors of /proc/net/snmp): on a busy machine a
# process that is not scheduled for a while loses datagrams this way, which
# is UDP's nature and not a relay bug. turnpike's own drops on a full send
# buffer (EAGAIN) are counted there too.
udp_buffer_drops() {
  awk '$1 == "Udp:" && !names { for (i = 2; i <= NF; i++) col[$i] = i; names = 1; next }
       $1 == "Udp:" && names { print $col["RcvbufErrors"] + $col["SndbufErrors"]; exit }' \
    /proc/net/snmp
}

# run_uclient PASSWORD: 4 clients, 100 messages of 120 bytes each, 10 ms apart.
run_uclient() {
  timeout 60 "$uclient" "${mode_flags[@]}" -n 100 -m 4 -l 120 -z 10 \
    -u alice -w "$1" -e 127.0.0.1 -r "$peer_port" -p "$port" 127.0.0.1 \
    >"$work/uclient.log" 2>&1
}

drops_before=$(udp_buffer_drops)
run_uclient secret
status=$?
drops=$(($(udp_buffer_drops) - drops_before))
[[ $status -eq 0 ]] || fail "turnutils_uclient exited with $status"
# The totals line reads "...: start_mclient: tot_send_msgs=400, tot_recv_msgs=400".
totals=$(grep -E 'start_mclient: tot_send_msgs=[0-9]+, tot_recv_msgs=[0-9]+$' \
  "$work/uclient.log" | tail -1)
[[ -n $totals ]] || fail "no tot_send_msgs/tot_recv_msgs summary line"
sent=$(sed -E 's/.*tot_send_msgs=([0-9]+).*/\1/' <<<"$totals")
received=$(sed -E 's/.*tot_recv_msgs=([0-9]+).*/\1/' <<<"$totals")
echo "$mode: sent $sent, received $received"
[[ $sent -gt 0 ]] || fail "turnutils_uclient sent nothing"
[[ $received -le $sent ]] || fail "received $received messages but sent $sent"
# Every message comes back, unless the kernel counted at least as many
# buffer overflows meanwhile: then the loss is the busy host's (uclient
# waits 10 s for stragglers, so lateness alone is not loss).
lost=$((sent - received))
if [[ $lost -gt 0 ]]; then
  [[ $drops -ge $lost ]] ||
    fail "lost $lost of $sent messages, and the kernel counted only $drops socket buffer overflows"
  echo "lost $lost of $sent messages to full socket buffers (the kernel counted $drops overflows meanwhile)"
fi

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
