#!/usr/bin/env bash
# Interop: `turnpike probe` against coturn's turnserver (Debian package
# coturn), over UDP, TCP, TLS and DTLS: proof that the probe is a real TURN
# client and not only a mirror of turnpike's own server. Then the same with
# coturn's REST secret (use-auth-secret), and a wrong password that must
# fail at Allocate A with coturn's 401.
#
#   probe_coturn.sh TURNPIKE TURNSERVER
#
# turnserver needs fixed ports: two are taken from the kernel (bind to
# port 0, then released) and the test waits until turnserver holds them.
# Every wait is bounded; turnserver is killed at exit.
set -u
turnpike=$1
turnserver=$2
work=$(mktemp -d)
coturn_pid=
cleanup() {
  if [[ -n $coturn_pid ]] && kill -0 "$coturn_pid" 2>/dev/null; then
    kill -KILL "$coturn_pid" 2>/dev/null
    wait "$coturn_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for log in "$work"/*.out "$work/coturn.log"; do
    [[ -f $log ]] && { echo "--- $log:"; tail -40 "$log"; }
  done
  exit 1
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
  -subj /CN=coturn.test -addext subjectAltName=IP:127.0.0.1 \
  >"$work/openssl.log" 2>&1 || fail "openssl could not make a certificate"

free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_coturn AUTH_FLAG...: turnserver on 127.0.0.1 (plain port $plain,
# TLS and DTLS port $secure), waiting up to 10 s for both listeners.
start_coturn() {
  plain=$(free_port)
  secure=$(free_port)
  [[ $plain != "$secure" ]] || secure=$(free_port)
  "$turnserver" -n --listening-ip 127.0.0.1 --listening-port "$plain" \
    --tls-listening-port "$secure" --relay-ip 127.0.0.1 \
    --min-port 49152 --max-port 65535 --realm probe.test \
    --allow-loopback-peers --no-cli --cert "$work/cert.pem" \
    --pkey "$work/key.pem" --log-file stdout --simple-log "$@" \
    >"$work/coturn.log" 2>&1 &
  coturn_pid=$!
  for _ in $(seq 100); do
    if ss -Hlun "sport = :$plain" | grep -q . &&
      ss -Hltn "sport = :$plain" | grep -q . &&
      ss -Hlun "sport = :$secure" | grep -q . &&
      ss -Hltn "sport = :$secure" | grep -q .; then
      return 0
    fi
    kill -0 "$coturn_pid" 2>/dev/null || fail "turnserver exited during start-up"
    sleep 0.1
  done
  fail "turnserver did not listen on $plain and $secure within 10 s"
}
stop_coturn() {
  kill -TERM "$coturn_pid"
  for _ in $(seq 50); do
    kill -0 "$coturn_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$coturn_pid" 2>/dev/null
  wait "$coturn_pid" 2>/dev/null
  coturn_pid=
}

probe() {
  local name=$1 expected=$2
  shift 2
  local status=0
  timeout 60 "$turnpike" probe "$@" --timeout 5 >"$work/$name.out" 2>&1 ||
    status=$?
  [[ $status -eq $expected ]] ||
    fail "probe $name exited $status, expected $expected"
}
expect_all_passed() {
  local name=$1 count=$2
  [[ $(grep -c ': PASS, [0-9]* steps$' "$work/$name.out") -eq $count ]] ||
    fail "probe $name: not every URL passed"
  ! grep -q '^  FAIL' "$work/$name.out" || fail "probe $name: a step failed"
  [[ $(grep -c '^  PASS  ChannelData B to A .*arrived' "$work/$name.out") -eq $count ]] ||
    fail "probe $name: ChannelData did not arrive for every URL"
}

start_coturn --lt-cred-mech --user alice:secret
urls=("turn:127.0.0.1:$plain" "turn:127.0.0.1:$plain?transport=tcp"
  "turns:127.0.0.1:$secure" "turns:127.0.0.1:$secure?transport=udp")
probe password 0 "${urls[@]}" --user alice --password secret --ca "$work/cert.pem"
expect_all_passed password 4
probe wrong_password 1 "${urls[0]}" --user alice --password wrong
grep -q "FAIL at Allocate A: server answered 401" "$work/wrong_password.out" ||
  fail "coturn's 401 for a wrong password was not reported at Allocate A"
stop_coturn

start_coturn --use-auth-secret --static-auth-secret probe-secret
probe rest 0 "turn:127.0.0.1:$plain" "turns:127.0.0.1:$secure" \
  --rest-secret probe-secret --ca "$work/cert.pem"
expect_all_passed rest 2
stop_coturn
echo "PASS: turnpike probe against coturn over udp, tcp, tls and dtls"
