#!/usr/bin/env bash
# End-to-end benchmark, one command: turnpike (one worker, and N workers once
# the binary takes --workers), Debian's coturn (its default relay threads,
# and --relay-threads 1) and the project's minimal forwarder
# (bench/e2e/min_forwarder.cc, the "what user space can do" baseline) on
# 127.0.0.1, each driven in turn by the same load from bench/e2e/turn_load.
# Writes a Markdown table (medians and [min-max] over the repetitions, and
# each server's CPU per relayed packet as a ratio to the minimal
# forwarder's), a PNG plot and the machine's description.
#
#   cmake --preset release
#   cmake --build build/release -j2 --target turnpike turn_load min_forwarder
#   bench/e2e/run.sh [--reps 3] [--seconds 10] [--clients 50] [--payload 100]
#                    [--rates "20000 100000"] [--workers N]
#                    [--load-threads N] [--peer-threads N] [--window 8]
#                    [--servers "turnpike turnpike-n coturn coturn-1 minfwd"]
#                    [--workloads "rate max alloc1k alloc10k"] [--out DIR]
#
# Workloads: "rate" is one open-loop run per rate in --rates (packets/s over
# all clients); "max" is closed loop (--window packets in flight per client:
# the unbounded rate); "alloc1k"/"alloc10k" open 1,000/10,000 authenticated
# allocations, each with a channel. Servers: "turnpike" (one worker),
# "turnpike-n" (--workers N, default one per CPU; skipped with a note while
# the binary rejects --workers), "turnpike-4m" (not run by default: 4 MiB
# relay-socket buffers too), "coturn" (its default: one relay thread per
# CPU), "coturn-1" (--relay-threads 1), "minfwd" (the minimal forwarder).
#
# Each workload gets a freshly started server, so the relay runs start from
# the same state and the allocation runs measure memory from a clean
# baseline. Missing coturn or gnuplot is installed (scripts/install-deps.sh
# gnuplot-nox, Debian packages). A benchmark, not a test: CTest runs only the short
# correctness smoke of the load client and the forwarder (e2e_load_smoke).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${BUILD_DIR:-$root/build/release}"
# Other binaries: BENCH_TURNPIKE, BENCH_TURN_LOAD, BENCH_MIN_FORWARDER. (Not
# TURNPIKE_*: turnpike reads every TURNPIKE_ variable as one of its options
# and refuses an unknown one.)
turnpike="${BENCH_TURNPIKE:-$build/cli/turnpike}"
load="${BENCH_TURN_LOAD:-$build/bench/e2e/turn_load}"
forwarder="${BENCH_MIN_FORWARDER:-$build/bench/e2e/min_forwarder}"
reps=3
seconds=10
clients=50
payload=100
rates="20000 100000"
window=8
workers="$(nproc)"
load_threads="$(nproc)"
peer_threads=1
servers="turnpike turnpike-n coturn coturn-1 minfwd"
workloads="rate max alloc1k alloc10k"
out=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --payload) payload="$2"; shift 2 ;;
    --rate | --rates) rates="$2"; shift 2 ;;
    --window) window="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --load-threads) load_threads="$2"; shift 2 ;;
    --peer-threads) peer_threads="$2"; shift 2 ;;
    --servers) servers="$2"; shift 2 ;;
    --workloads) workloads="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "run.sh: unknown option $1 (see the comment at the top)" >&2
       exit 2 ;;
  esac
done

for binary in "$turnpike" "$load" "$forwarder"; do
  if [[ ! -x "$binary" ]]; then
    echo "run.sh: $binary is missing: cmake --preset release &&" \
         "cmake --build build/release -j2 --target turnpike turn_load" \
         "min_forwarder" >&2
    exit 2
  fi
done
if ! command -v turnserver > /dev/null || ! command -v gnuplot > /dev/null; then
  echo "run.sh: coturn or gnuplot is missing: installing them"
  bash "$root/scripts/install-deps.sh" gnuplot-nox
fi

# turnpike's worker option, once it exists. A binary that rejects the flag
# gets no "--workers 1" either, and the N-worker run is skipped.
turnpike_workers=0
if "$turnpike" --workers 1 --version > /dev/null 2>&1; then
  turnpike_workers=1
fi

# 10,000 allocations hold 10,000 relay sockets in the server and as many
# client sockets in the load client.
ulimit -n "$(ulimit -Hn)"
if [[ "$(ulimit -n)" -lt 10300 ]]; then
  echo "run.sh: warning: ulimit -n is $(ulimit -n); 10,000 allocations" \
       "need about 10,100 descriptors per process" >&2
fi

if [[ -z "$out" ]]; then out="$(mktemp -d /tmp/turnpike-e2e.XXXXXX)"; fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
results="$out/results.txt"
: > "$results"
: > "$out/commands.txt"
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

# Every server: UDP only on 127.0.0.1, relays on 127.0.0.1 (turnpike and
# coturn in 20000-65535; turnpike reaches its own addresses, loopback among
# them, only on relay ports, and the echo peer binds an ephemeral port),
# long-term credentials alice:secret in realm "turnpike", loopback peers
# allowed, no quotas or bandwidth limits, logs to a file.
start_server() {
  local name="$1" port="$2" log="$3"
  case "$name" in
    coturn | coturn-1)
      # coturn by default runs one relay thread per CPU; --relay-threads 1
      # is the closest to one turnpike worker (coturn still adds its
      # listener and authentication threads).
      local threads=()
      if [[ "$name" == coturn-1 ]]; then threads=(--relay-threads 1); fi
      turnserver -n --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 \
        --listening-port "$port" --min-port 20000 --max-port 65535 \
        --lt-cred-mech --user alice:secret --realm turnpike \
        --allow-loopback-peers --no-tls --no-dtls --no-tcp --no-cli \
        "${threads[@]}" --log-file stdout > "$log" 2>&1 &
      ;;
    turnpike | turnpike-n | turnpike-4m)
      # One user on one address makes every allocation: the per-user,
      # per-IP and unauthenticated limits are off, as they are in coturn
      # by default, so the relays are measured alike.
      local extra=()
      if [[ "$name" == turnpike-4m ]]; then
        extra=(--udp-receive-buffer 4M --udp-send-buffer 4M)
      fi
      if ((turnpike_workers)); then
        if [[ "$name" == turnpike-n ]]; then
          extra+=(--workers "$workers")
        else
          extra+=(--workers 1)
        fi
      fi
      "$turnpike" --listen "127.0.0.1:$port" --relay-ip 127.0.0.1 \
        --min-port 20000 --max-port 65535 \
        --user alice:secret --realm turnpike --peer-allow 127.0.0.0/8 \
        --max-allocations unlimited --user-quota unlimited \
        --ip-quota unlimited --bandwidth unlimited \
        --unauthenticated-rate unlimited \
        "${extra[@]}" > "$log" 2>&1 &
      ;;
    minfwd)
      "$forwarder" --listen "127.0.0.1:$port" --relay-ip 127.0.0.1 \
        --user alice:secret --realm turnpike > "$log" 2>&1 &
      ;;
    *) echo "run.sh: unknown server $name" >&2; exit 2 ;;
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
  log="$out/$name-$workload-$rep.log"
  start_server "$name" "$port" "$log"
  local common=(--server "127.0.0.1:$port" --user alice:secret
                --server-pid "$server_pid")
  local relay=(--mode relay --clients "$clients" --payload "$payload"
               --seconds "$seconds" --threads "$load_threads"
               --peer-threads "$peer_threads")
  local args
  case "$workload" in
    rate*) args=("${relay[@]}" --rate "${workload#rate}") ;;
    max) args=("${relay[@]}" --rate 0 --window "$window") ;;
    alloc1k) args=(--mode allocate --allocations 1000) ;;
    alloc10k) args=(--mode allocate --allocations 10000) ;;
  esac
  echo "+ $name: $(tr '\0' ' ' < "/proc/$server_pid/cmdline")" >> "$out/commands.txt"
  echo "+ $load ${common[*]} ${args[*]}" >> "$out/commands.txt"
  status=0
  line="$("$load" "${common[@]}" "${args[@]}" 2> "$out/load-$name-$workload-$rep.err")" ||
    status=$?
  threads="$(awk '/^Threads:/ {print $2}' "/proc/$server_pid/status" 2> /dev/null || echo '?')"
  stop_server
  if [[ $status -ne 0 ]]; then
    echo "run.sh: $name $workload (rep $rep) failed: $(tail -1 "$out/load-$name-$workload-$rep.err")" >&2
  fi
  echo "rep=$rep server=$name workload=$workload status=$status threads=$threads ${line#RESULT }" |
    tee -a "$results"
}

run_servers=()
notes=()
for name in $servers; do
  if [[ "$name" == turnpike-n ]] && ((!turnpike_workers)); then
    notes+=("turnpike-n skipped: this turnpike rejects --workers")
    continue
  fi
  run_servers+=("$name")
done
run_workloads=()
for workload in $workloads; do
  if [[ "$workload" == rate ]]; then
    for r in $rates; do run_workloads+=("rate$r"); done
  else
    run_workloads+=("$workload")
  fi
done

machine="$out/machine.md"
{
  echo "- CPUs: $(nproc) × $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo); kernel $(uname -r); $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "- turnpike: $("$turnpike" --version 2>&1 | head -1) (commit $(git -C "$root" rev-parse --short HEAD 2> /dev/null || echo '?')); coturn: $(turnserver --version 2>&1 | tail -1 | tr -s ' ')"
  echo "- load: $clients clients, $payload-byte payloads, $seconds s per relay run, $load_threads load threads, $peer_threads echo-peer threads, window $window; $reps repetitions"
  echo "- 1-minute load average before the run: $(cut -d' ' -f1 /proc/loadavg)"
  for note in "${notes[@]}"; do echo "- note: $note"; done
} > "$machine"
sed 's/^/# /' "$machine"
for rep in $(seq "$reps"); do
  for workload in "${run_workloads[@]}"; do
    for name in "${run_servers[@]}"; do
      run_one "$rep" "$name" "$workload"
    done
  done
done
echo "- 1-minute load average after the run: $(cut -d' ' -f1 /proc/loadavg)" >> "$machine"

python3 "$here/summarize.py" "$results" --plot-data "$out/plot.dat" > "$out/table.md"
gnuplot -e "data='$out/plot.dat'; output='$out/plot.png'" "$here/plot.gp"
cat "$machine" "$out/table.md"
echo "# table: $out/table.md, plot: $out/plot.png, machine: $machine," \
     "raw results, commands and logs: $out"
