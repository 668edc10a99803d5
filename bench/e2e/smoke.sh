#!/usr/bin/env bash
# e2e_load_smoke (CTest): the benchmark's tools still work together. Starts
# min_forwarder on 127.0.0.1 (port 0), has turn_load open 8 authenticated
# allocations with channels through it and relay a low fixed rate for ~2 s
# over two load threads and two echo-peer threads (500 packets/s, and up to
# 1 s of quiet before the last answer is given up, so that a loaded CI
# machine running the sanitizers makes no false loss), then checks
# correctness, not speed: every packet sent came back (zero loss, none
# malformed, none refused), the peer saw each once, the round trip was
# timed, and the forwarder's own counters agree and it exits 0 on SIGTERM.
#
#   smoke.sh MIN_FORWARDER TURN_LOAD
set -euo pipefail

forwarder="$1"
load="$2"
work="$(mktemp -d /tmp/turnpike-e2e-smoke.XXXXXX)"
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "e2e_load_smoke: FAIL: $*" >&2
  echo "--- forwarder output:" >&2
  cat "$work/forwarder.log" >&2 || true
  exit 1
}

"$forwarder" --listen 127.0.0.1:0 --relay-ip 127.0.0.1 --user alice:secret \
  --realm turnpike > "$work/forwarder.log" 2>&1 &
pid=$!
# Wait for its "listening on" line: at most 10 s.
port=""
for _ in $(seq 200); do
  port="$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/forwarder.log")"
  [[ -n "$port" ]] && break
  kill -0 "$pid" 2> /dev/null || fail "the forwarder exited before listening"
  sleep 0.05
done
[[ -n "$port" ]] || fail "the forwarder did not print 'listening on' in 10 s"

status=0
line="$(timeout 60 "$load" --server "127.0.0.1:$port" --user alice:secret \
  --server-pid "$pid" --mode relay --clients 8 --rate 500 --seconds 2 \
  --payload 100 --threads 2 --peer-threads 2 --burst 2 --drain 1 \
  2> "$work/load.err")" ||
  status=$?
echo "$line"
cat "$work/load.err" >&2
((status == 0)) || fail "turn_load exited $status"

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$line"; }
sent="$(field sent)"
[[ -n "$sent" ]] || fail "no RESULT line"
# 500 packets/s for 2 s: about 1000 sent; far fewer means the pacing broke.
((sent >= 750)) || fail "only $sent packets sent"
[[ "$(field received)" == "$sent" ]] || fail "sent $sent, $(field received) came back"
[[ "$(field peer_received)" == "$sent" ]] || fail "sent $sent, the peer got $(field peer_received)"
[[ "$(field malformed)" == 0 ]] || fail "$(field malformed) malformed frames came back"
[[ "$(field send_failures)" == 0 ]] || fail "$(field send_failures) sends refused"
[[ "$(field loss_pct)" == 0.000 ]] || fail "loss $(field loss_pct)%"
awk -v p50="$(field rtt_p50_us)" -v p99="$(field rtt_p99_us)" \
  'BEGIN { exit !(p50 > 0 && p99 >= p50) }' ||
  fail "round trips not timed: p50 $(field rtt_p50_us) µs, p99 $(field rtt_p99_us) µs"

kill -TERM "$pid"
forwarder_status=0
wait "$pid" || forwarder_status=$?
pid=""
((forwarder_status == 0)) || fail "the forwarder exited $forwarder_status on SIGTERM"
counters="$(grep '^min_forwarder: ' "$work/forwarder.log")" ||
  fail "the forwarder printed no counters"
echo "$counters"
grep -q " to_peer=$sent to_client=$sent " <<< "$counters " ||
  fail "the forwarder's counters disagree with $sent packets each way"
grep -q " dropped=0 send_errors=0" <<< "$counters" ||
  fail "the forwarder dropped packets"
echo "e2e_load_smoke: OK: $sent packets each way, none lost"
