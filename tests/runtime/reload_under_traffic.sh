#!/usr/bin/env bash
# Reload under traffic (issue 12, hot reload): turnpike with two workers
# relays a steady load (bench/e2e/turn_load: 8 allocations with channels,
# 400 packets/s for 20 s) while the test rewrites its configuration file and sends
# SIGHUP again and again: a second UDP+TCP listener comes and goes, the log
# level flips, a user is added, a peer-deny rule comes and goes. Each reload
# must be applied ("reloaded:"), `turnpike probe` must pass on the new
# listener while it exists and TCP must be refused there once it is gone,
# a second load whose listener is removed under it keeps relaying through
# the retired socket, no load may lose a packet, and no allocation may end
# before SIGTERM (which then deletes each with reason "shutdown").
#
#   reload_under_traffic.sh TURNPIKE TURN_LOAD
set -euo pipefail
turnpike=$1
load=$2
# shellcheck source=tests/runtime/turnpike_process.sh
source "$(dirname "${BASH_SOURCE[0]}")/turnpike_process.sh"
begin_turnpike_test
fail_logs=("$work/load.out:turn_load" "$work/probe.out:turnpike probe")

# Two free ports: the first for the listeners that stay, the second for the
# ones a reload adds and removes.
read -r port_a port_b < <(python3 -c '
import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

users=$work/users
printf 'alice:secret\n' >"$users"
chmod 600 "$users"
config=$work/turnpike.conf
# write_config EXTRA_LISTENER(0/1) LEVEL DENY(0/1)
write_config() {
  {
    echo "listen = udp://127.0.0.1:$port_a"
    echo "listen = tcp://127.0.0.1:$port_a"
    if [[ $1 == 1 ]]; then
      echo "listen = udp://127.0.0.1:$port_b"
      echo "listen = tcp://127.0.0.1:$port_b"
    fi
    echo "relay-ip = 127.0.0.1"
    echo "min-port = 1024"
    echo "peer-allow = 127.0.0.0/8"
    echo "realm = example.org"
    echo "users-file = $users"
    echo "workers = 2"
    echo "log-level = $2"
    echo "event-output = $work/events.jsonl"
    [[ $3 == 1 ]] && echo "peer-deny = 198.51.100.0/24"
    true
  } >"$config.new"
  mv "$config.new" "$config"
}
write_config 0 info 0
start_turnpike "$work/server.log" --config "$config"
[[ $port == "$port_a" ]] || fail "listening on $port, not $port_a"

reloads=0
# reload: SIGHUP, then wait (at most 10 s) for its "reloaded:" line.
reload() {
  kill -HUP "$server_pid"
  reloads=$((reloads + 1))
  for _ in $(seq 100); do
    grep -q 'reload refused' "$work/server.log" && fail "a reload was refused"
    [[ $(grep -c 'reloaded: ' "$work/server.log") -ge $reloads ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || fail "turnpike exited"
    sleep 0.1
  done
  fail "reload $reloads was not applied within 10 s"
}

probe() {
  "$turnpike" probe --user alice --password secret --timeout 3 "$@" \
    >"$work/probe.out" 2>&1
}

timeout 60 "$load" --server "127.0.0.1:$port_a" --user alice:secret \
  --server-pid "$server_pid" --mode relay --clients 8 --rate 400 --seconds 20 \
  --payload 100 --threads 2 --peer-threads 2 --burst 2 --drain 1 \
  >"$work/load.out" 2>&1 &
load_pid=$!

# Six rounds, each two reloads: add the second listener (and probe it),
# then take it away again (and see TCP refused there).
for round in 1 2 3 4 5 6; do
  level=info deny=0
  ((round % 2 == 0)) && level=debug
  ((round % 3 == 0)) && deny=1
  printf 'alice:secret\nuser%d:pw\n' "$round" >"$users"
  write_config 1 "$level" "$deny"
  reload
  grep -q "listening on udp://127.0.0.1:$port_b" "$work/server.log" ||
    fail "round $round: the added UDP listener was not opened"
  probe "turn:127.0.0.1:$port_b" "turn:127.0.0.1:$port_b?transport=tcp" ||
    fail "round $round: probe failed on the added listeners"
  if ((round == 1)); then
    # A second load on the listener about to go: its allocations must go
    # on relaying through the retired UDP socket.
    timeout 60 "$load" --server "127.0.0.1:$port_b" --user alice:secret \
      --server-pid "$server_pid" --mode relay --clients 4 --rate 200 \
      --seconds 4 --payload 100 --threads 1 --peer-threads 1 --drain 1 \
      >"$work/load_b.out" 2>&1 &
    load_b_pid=$!
    # Its 4 channels (beside the probe's 4 on this port) exist before the
    # listener is retired: at most 10 s.
    for _ in $(seq 100); do
      (($(grep '"channel_created"' "$work/events.jsonl" |
        grep -c "\"server\":\"127.0.0.1:$port_b\"") >= 8)) && break
      sleep 0.1
    done
    (($(grep '"channel_created"' "$work/events.jsonl" |
      grep -c "\"server\":\"127.0.0.1:$port_b\"") >= 8)) ||
      fail "the second load set up no channels within 10 s"
  fi
  write_config 0 info 0
  reload
  if probe "turn:127.0.0.1:$port_b?transport=tcp"; then
    fail "round $round: TCP still accepted on the removed listener"
  fi
done

kill -0 "$load_pid" 2>/dev/null ||
  fail "the load ended before the reloads did: they were not under traffic"
load_status=0
wait "$load_pid" || load_status=$?
((load_status == 0)) || fail "turn_load exited $load_status"
result=$(grep '^RESULT ' "$work/load.out") || fail "turn_load printed no RESULT"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
sent=$(field sent)
((sent >= 2000)) || fail "only $sent packets sent"
[[ $(field received) == "$sent" ]] || fail "sent $sent, $(field received) came back"
[[ $(field loss_pct) == 0.000 ]] || fail "loss $(field loss_pct)%"

wait "$load_b_pid" || fail "the load on the removed listener failed: $(cat "$work/load_b.out")"
result_b=$(grep '^RESULT ' "$work/load_b.out") || fail "the second turn_load printed no RESULT"
sent_b=$(sed -n 's/.* sent=\([^ ]*\).*/\1/p' <<<"$result_b")
((sent_b >= 400)) || fail "only $sent_b packets sent on the removed listener"
grep -q ' loss_pct=0.000' <<<"$result_b" ||
  fail "packets lost through the retired listener: $result_b"

# Only the probes' own allocations ended (they release them) before the
# stop; the load's eight lived through every reload.
if grep '"allocation_deleted"' "$work/events.jsonl" |
  grep -v '"reason":"client_deleted"' | grep -q .; then
  fail "an allocation ended during the reloads: $(grep '"allocation_deleted"' "$work/events.jsonl" | grep -v client_deleted | head -3)"
fi
stop_turnpike
shutdown=$(grep '"allocation_deleted"' "$work/events.jsonl" | grep -c '"reason":"shutdown"' || true)
((shutdown == 12)) || fail "$shutdown allocations deleted at shutdown, not 12"
echo "PASS: $reloads reloads under traffic, $sent packets each way, none lost"
