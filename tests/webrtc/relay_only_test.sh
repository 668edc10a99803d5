#!/usr/bin/env bash
# Interop: a real WebRTC client (Debian's headless Chromium) connects two
# RTCPeerConnections to each other through turnpike with
# iceTransportPolicy "relay" (GitHub issue #4, "Done when"; DESIGN.md
# testing pyramid, layer 5).
#
# How to run it by hand (from a build tree, as root for the namespace):
#
#   bash tests/webrtc/relay_only_test.sh build/asan-ubsan/cli/turnpike \
#        /usr/bin/chromium /usr/bin/node [udp|tcp|tls]
#
# The last argument is how Chromium reaches turnpike (default udp):
# turn:…?transport=udp, turn:…?transport=tcp (RFC 8656 §3.1) or turns:
# (TLS over TCP, with a self-signed certificate made here by openssl(1);
# Chromium has no TURN over DTLS).
#
# or `ctest --test-dir build/asan-ubsan -R webrtc --output-on-failure`.
# Needs the packages chromium and nodejs (scripts/install-deps.sh); nothing
# from npm: drive_chromium.mjs speaks the DevTools protocol over a pipe.
# Set WEBRTC_TEST_KEEP=1 to keep the work directory (turnpike's log and
# events, Chromium's logs) for a look afterwards; its path is printed.
# Set WEBRTC_TEST_HOST_NETWORK=1 to stay in the host's namespaces.
#
# What it does:
#  1. As root, it re-runs itself in new network and PID namespaces
#     (unshare): the network has only lo, so Chromium's sockets, turnpike's
#     listening and relayed addresses are all 127.0.0.1 (in the host's
#     namespace Chromium binds to the machine's own address instead;
#     /work/shared/INTEROP.md), and when the script ends every process it
#     started dies with the PID namespace. Not root: the host's
#     namespaces (Chromium's source address is then the machine's own).
#  2. Starts turnpike on 127.0.0.1 port 0 (the port is read from its
#     "listening on udp ADDR:PORT" log line) with a static user, loopback
#     relay addresses, peers in 127.0.0.0/8 allowed (the peers are the
#     other connection's relayed addresses) and an event file.
#  3. drive_chromium.mjs opens relay_only_page.html: the two connections
#     exchange SDP, open a data channel, send a message each way; getStats()
#     must show a relay candidate at both ends of the selected pair.
#  4. The event file must show allocation_created and channel_created or
#     permission_created.
#  5. Negative control: with a wrong credential no relay candidate is
#     gathered, the channel does not open, and turnpike creates no
#     allocation.
#  6. SIGTERM: turnpike must exit 0 (under ASan, also leak-free).
# Every wait is bounded: start-up 10 s, each browser run 32 s (timeout(1)),
# the stop 10 s, so at most 84 s, under CTest's 90 s; a passing run takes
# about 5 s.
# Exit 0 = pass, 77 = skipped (reason printed), other = fail.
set -u

if (($# != 3 && $# != 4)); then
  echo "usage: $0 TURNPIKE CHROMIUM NODE [udp|tcp|tls]" >&2
  exit 2
fi
turnpike=$1
chromium=$2
node=$3
transport=${4:-udp}
case $transport in
  udp | tcp | tls) ;;
  *)
    echo "usage: the transport is udp, tcp or tls, not $transport" >&2
    exit 2
    ;;
esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# --- 1. Namespaces ------------------------------------------------------------
# --mount-proc: Chromium reads /proc for its own child processes, which
# must then be the namespace's. --kill-child: should unshare be killed
# (CTest's timeout), the namespace's first process, and with it everything
# in the namespace, dies too.
readonly namespaces=(--net --pid --fork --mount-proc --kill-child=SIGKILL)
if [[ -z ${WEBRTC_TEST_IN_NAMESPACE:-} && -z ${WEBRTC_TEST_HOST_NETWORK:-} ]] &&
  ((EUID == 0)) && command -v unshare >/dev/null && command -v ip >/dev/null &&
  unshare "${namespaces[@]}" true 2>/dev/null; then
  WEBRTC_TEST_IN_NAMESPACE=1 exec unshare "${namespaces[@]}" bash "$0" "$@"
fi
if [[ -n ${WEBRTC_TEST_IN_NAMESPACE:-} ]]; then
  ip link set lo up || {
    echo "FAIL: cannot bring lo up in the new network namespace"
    exit 1
  }
  echo "running in a private network namespace (only lo)"
else
  echo "running in the host's network namespace" \
    "(WEBRTC_TEST_HOST_NETWORK set, not root, or no unshare/ip)"
fi

for tool in "$turnpike" "$chromium" "$node"; do
  if [[ ! -x $tool ]]; then
    echo "SKIPPED: $tool is not an executable file"
    exit 77
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/turnpike-webrtc.XXXXXX")
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  if [[ -n ${WEBRTC_TEST_KEEP:-} ]]; then
    echo "work directory kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  for log in "$work/server.log" "$work/events.jsonl"; do
    [[ -s $log ]] && { echo "--- $log:"; tail -n 60 "$log"; }
  done
  for log in "$work"/profile-*/chromium.log; do
    [[ -s $log ]] && { echo "--- $log (last lines):"; tail -n 20 "$log"; }
  done
  exit 1
}

# --- 2. turnpike --------------------------------------------------------------
readonly user=webrtc-test
readonly password=relay-only-pass
# shellcheck source=tests/runtime/turnpike_process.sh
source "$here/../runtime/turnpike_process.sh"
listen=(--listen "$transport://127.0.0.1:0")
if [[ $transport == tls ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
    -subj /CN=turnpike.test >"$work/openssl.log" 2>&1 ||
    fail "openssl could not make a certificate"
  listen+=(--tls-cert "$work/cert.pem" --tls-key "$work/key.pem")
fi
start_turnpike "$work/server.log" "${listen[@]}" --relay-ip 127.0.0.1 \
  --user "$user:$password" --peer-allow 127.0.0.0/8 \
  --event-output "$work/events.jsonl"
echo "turnpike listens on $transport 127.0.0.1:$port"
case $transport in
  udp) turn_url="turn:127.0.0.1:$port?transport=udp" ;;
  tcp) turn_url="turn:127.0.0.1:$port?transport=tcp" ;;
  tls) turn_url="turns:127.0.0.1:$port?transport=tcp" ;;
esac

# run_browser NAME CREDENTIAL EXPECT: one Chromium run with a fresh profile.
# timeout(1) is a second bound on top of the driver's own (page 10 s, plus
# 12 s for start-up and 7 s for closing the browser).
run_browser() {
  mkdir "$work/profile-$1"
  timeout -k 2 30 "$node" "$here/drive_chromium.mjs" \
    --chromium "$chromium" --page "$here/relay_only_page.html" \
    --profile "$work/profile-$1" --turn-url "$turn_url" \
    --username "$user" --credential "$2" --expect "$3" --timeout-ms 10000 \
    --relay-protocol "$transport"
}

count_events() {  # count_events NAME [FROM_LINE]: lines with "event":"NAME"
  tail -n "+${2:-1}" "$work/events.jsonl" 2>/dev/null |
    grep -c "\"event\":\"$1\"" || true
}

# --- 3. and 4. A relay-only connection ----------------------------------------
run_browser relay "$password" connect || fail "Chromium did not connect through turnpike relay-only"
allocations=$(count_events allocation_created)
channels=$(count_events channel_created)
permissions=$(count_events permission_created)
echo "events: allocation_created=$allocations channel_created=$channels permission_created=$permissions"
# One allocation per RTCPeerConnection (RFC 8656 §7.1).
((allocations >= 2)) || fail "expected at least 2 allocation_created events, saw $allocations"
((channels + permissions >= 1)) ||
  fail "expected a channel_created or permission_created event"

# --- 5. Negative control: a wrong credential ----------------------------------
events_before=$(($(wc -l <"$work/events.jsonl") + 1))
run_browser wrong-credential "not-$password" refuse ||
  fail "with a wrong credential Chromium still got a relay candidate"
late_allocations=$(count_events allocation_created "$events_before")
((late_allocations == 0)) ||
  fail "turnpike created $late_allocations allocation(s) for a wrong credential"

# --- 6. A clean stop ----------------------------------------------------------
stop_turnpike
# Refusals of requests that proved no password are summed up in
# auth_failures lines (docs/security.md); the stop writes the last one.
refusals=$(tail -n "+$events_before" "$work/events.jsonl" |
  grep '"event":"auth_failures"' | grep -c '"bad_integrity":' || true)
((refusals >= 1)) || fail "no auth_failures line counting the wrong credential"
echo "negative control: no relay candidate, $refusals auth_failures line(s) with bad_integrity"
echo PASS
