#!/usr/bin/env bash
# End-to-end benchmark: turnpike against coturn's turnserver on loopback,
# the same load from bench/e2e/turn_load against each in turn, a side-by-side
# table of medians (and min-max over the repetitions) at the end.
#
#   cmake --preset release
#   cmake --build build/release -j2 --target turnpike turn_load
#   bench/e2e/run.sh [--reps 3] [--seconds 10] [--clients 50] [--rate 20000]
#                    [--servers "coturn turnpike"]
#                    [--workloads "rate max alloc1k alloc10k"]
#
# "turnpike" runs with its defaults (4 MiB buffers on the listening socket,
# as coturn gives itself: ss -m shows rb4194304 for both, the kernel's
# net.core.rmem_max on this machine); "turnpike-4m" (not run by default)
# adds --udp-receive-buffer 4M --udp-send-buffer 4M, which now also
# enlarges the relay sockets' buffers.
#
# Each workload gets a freshly started server, so the relay runs start from
# the same state and the allocation runs measure memory from a clean
# baseline. A benchmark, not a test: nothing registers it with CTest.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${BUILD_DIR:-$root/build/release}"
turnpike="${TURNPIKE_BIN:-$build/cli/turnpike}"
load="${TURN_LOAD_BIN:-$build/bench/e2e/turn_load}"
reps=3
seconds=10
clients=50
rate=20000
servers="coturn turnpike"
workloads="rate max alloc1k alloc10k"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --servers) servers="$2"; shift 2 ;;
    --workloads) workloads="$2"; shift 2 ;;
    *) echo "run.sh: unknown option $1 (see the comment at the top)" >&2
       exit 2 ;;
  esac
done

for binary in "$turnpike" "$load"; do
  if [[ ! -x "$binary" ]]; then
    echo "run.sh: $binary is missing: cmake --preset release &&" \
         "cmake --build build/release -j2 --target turnpike turn_load" >&2
    exit 2
  fi
done
if ! command -v turnserver > /dev/null; then
  echo "run.sh: coturn's turnserver is missing (apt-get install coturn)" >&2
  exit 2
fi

# 10,000 allocations hold 10,000 relay sockets in the server and as many
# client sockets in the load client.
ulimit -n "$(ulimit -Hn)"
if [[ "$(ulimit -n)" -lt 10300 ]]; then
  echo "run.sh: warning: ulimit -n is $(ulimit -n); 10,000 allocations" \
       "need about 10,100 descriptors per process" >&2
fi

work="$(mktemp -d /tmp/turnpike-e2e.XXXXXX)"
results="$work/results.txt"
: > "$results"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2> /dev/null || true; fi
}
trap cleanup EXIT

# A UDP port nothing listens on, outside the relay range (20000-60000) and
# the kernel's ephemeral range, so that no relay or client socket takes it.
free_port() {
  local port
  while :; do
    port=$((61000 + RANDOM % 4000))
    if [[ -z "$(ss -Hlun "sport = :$port")" ]]; then
      echo "$port"
      return
    fi
  done
}

# Both servers: UDP only on 127.0.0.1, relays on 127.0.0.1 in 20000-65535
# (turnpike reaches its own addresses, loopback among them, only on relay
# ports, and the echo peer binds an ephemeral port), long-term credentials alice:secret in realm "turnpike", loopback peers
# allowed, no quotas or bandwidth limits (both default to none), logs to a
# file at their default level.
start_server() {
  local name="$1" port="$2" log="$3"
  case "$name" in
    coturn)
      # --relay-threads 1: one relay thread (coturn adds its listener and
      # authentication threads), the closest to turnpike's single loop.
      turnserver -n --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 \
        --listening-port "$port" --min-port 20000 --max-port 65535 \
        --lt-cred-mech --user alice:secret --realm turnpike \
        --allow-loopback-peers --no-tls --no-dtls --no-tcp --no-cli \
        --relay-threads 1 --log-file stdout > "$log" 2>&1 &
      ;;
    turnpike | turnpike-4m)
      # One user on one address makes every allocation: the per-user,
      # per-IP and unauthenticated limits are off, as they are in coturn
      # by default, so both relays are measured alike.
      local buffers=()
      if [[ "$name" == turnpike-4m ]]; then
        buffers=(--udp-receive-buffer 4M --udp-send-buffer 4M)
      fi
      "$turnpike" --listen "127.0.0.1:$port" --relay-ip 127.0.0.1 \
        --min-port 20000 --max-port 65535 \
        --user alice:secret --realm turnpike --peer-allow 127.0.0.0/8 \
        --max-allocations unlimited --user-quota unlimited \
        --ip-quota unlimited --bandwidth unlimited \
        --unauthenticated-rate unlimited \
        "${buffers[@]}" > "$log" 2>&1 &
      ;;
  esac
  server_pid=$!
  for _ in $(seq 100); do
    if [[ -n "$(ss -Hlun "sport = :$port")" ]]; then
      sleep 0.5  # let it finish starting its other threads
      return 0
    fi
    if ! kill -0 "$server_pid" 2> /dev/null; then break; fi
    sleep 0.1
  done
  echo "run.sh: $name did not start listening on 127.0.0.1:$port; log:" >&2
  tail -20 "$log" >&2
  exit 1
}

stop_server() {
  kill "$server_pid" 2> /dev/null || true
  wait "$server_pid" 2> /dev/null || true
  server_pid=""
}

run_one() {
  local rep="$1" name="$2" workload="$3" port log threads line status
  port="$(free_port)"
  log="$work/$name-$workload-$rep.log"
  start_server "$name" "$port" "$log"
  local common=(--server "127.0.0.1:$port" --user alice:secret
                --server-pid "$server_pid")
  local args
  case "$workload" in
    rate) args=(--mode relay --clients "$clients" --rate "$rate"
                --seconds "$seconds") ;;
    max) args=(--mode relay --clients "$clients" --rate 0 --window 8
               --seconds "$seconds") ;;
    alloc1k) args=(--mode allocate --allocations 1000) ;;
    alloc10k) args=(--mode allocate --allocations 10000) ;;
  esac
  echo "+ $name: $(tr '\0' ' ' < "/proc/$server_pid/cmdline")" >> "$work/commands.txt"
  echo "+ $load ${common[*]} ${args[*]}" >> "$work/commands.txt"
  status=0
  line="$("$load" "${common[@]}" "${args[@]}" 2> "$work/load-$name-$workload-$rep.err")" ||
    status=$?
  threads="$(awk '/^Threads:/ {print $2}' "/proc/$server_pid/status" 2> /dev/null || echo '?')"
  stop_server
  if [[ $status -ne 0 ]]; then
    echo "run.sh: $name $workload (rep $rep) failed: $(tail -1 "$work/load-$name-$workload-$rep.err")" >&2
  fi
  echo "rep=$rep server=$name workload=$workload status=$status threads=$threads ${line#RESULT }" |
    tee -a "$results"
}

echo "# $(nproc) CPUs: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
     "kernel $(uname -r), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# turnpike $("$turnpike" --version 2>&1 | head -1); $(turnserver --version 2>&1 | tail -1 | tr -s ' ')"
for rep in $(seq "$reps"); do
  for workload in $workloads; do
    for name in $servers; do
      run_one "$rep" "$name" "$workload"
    done
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg); raw results and logs in $work"

python3 "$here/summarize.py" "$results"
