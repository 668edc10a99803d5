#!/usr/bin/env bash
# `turnpike probe` against servers that answer with garbage, with
# well-formed answers to someone else's transaction, or with a stream that
# never completes a frame (tests/runtime/probe_hostile_server.py): the
# probe must fail the first step with exit 1 and a reason, within its
# timeout, and never crash (the test runs the sanitizer build).
#
#   probe_hostile.sh TURNPIKE
set -u
turnpike=$1
server=$(dirname "${BASH_SOURCE[0]}")/probe_hostile_server.py
work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  [[ -f $work/probe.out ]] && { echo "--- probe output:"; cat "$work/probe.out"; }
  exit 1
}

# hostile MODE URL_TEMPLATE EXPECTED_LINE: URL_TEMPLATE has UDP or TCP for
# the port of that transport.
hostile() {
  local mode=$1 template=$2 expected=$3
  : >"$work/ports"
  python3 "$server" "$mode" >"$work/ports" 2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 100); do
    [[ $(wc -l <"$work/ports") -ge 2 ]] && break
    sleep 0.1
  done
  local udp tcp
  udp=$(sed -n 's/^udp //p' "$work/ports")
  tcp=$(sed -n 's/^tcp //p' "$work/ports")
  [[ -n $udp && -n $tcp ]] || fail "the hostile server did not start"
  local url=${template/UDP/$udp}
  url=${url/TCP/$tcp}
  local status=0
  local start=$SECONDS
  timeout 30 "$turnpike" probe "$url" --user alice --password secret \
    --timeout 1 >"$work/probe.out" 2>&1 || status=$?
  ((status == 1)) || fail "$mode $url: probe exited $status, expected 1"
  ((SECONDS - start <= 10)) || fail "$mode $url: the probe took $((SECONDS - start)) s"
  grep -q "$expected" "$work/probe.out" ||
    fail "$mode $url: no line matching '$expected'"
  kill -KILL "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=
}

hostile garbage "turn:127.0.0.1:UDP" "FAIL at Binding: no answer within 1 s"
hostile mimic "turn:127.0.0.1:UDP" "FAIL at Binding: no answer within 1 s"
hostile garbage "turn:127.0.0.1:TCP?transport=tcp" \
  "FAIL at Binding: the server sent bytes that are not STUN or ChannelData"
hostile mimic "turn:127.0.0.1:TCP?transport=tcp" "FAIL at Binding: no answer within 1 s"
hostile flood "turn:127.0.0.1:TCP?transport=tcp" "FAIL at Binding: no answer within 1 s"
echo "PASS: the probe fails cleanly against hostile servers"
