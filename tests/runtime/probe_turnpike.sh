#!/usr/bin/env bash
# `turnpike probe` against a running turnpike on loopback, over UDP, TCP,
# TLS and DTLS (cli/probe/steps.h lists the steps).
#
#   probe_turnpike.sh TURNPIKE
#
# Passes with a user and password and with a REST secret (every step of
# every URL PASS, exit 0); fails, with exit 1 and the failing step named,
# on a wrong password, on a certificate it cannot trust, and when nothing
# listens; exits 2 on a bad URL. The certificate is made with openssl(1)
# for IP 127.0.0.1. Every probe run is bounded by timeout(1) and the
# probe's own --timeout; turnpike is stopped at exit.
set -u
turnpike=$1
# shellcheck source=tests/runtime/turnpike_process.sh
source "$(dirname "${BASH_SOURCE[0]}")/turnpike_process.sh"
begin_turnpike_test

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
  -subj /CN=turnpike.test -addext subjectAltName=IP:127.0.0.1 \
  >"$work/openssl.log" 2>&1 || fail "openssl could not make a certificate"

secret=probe-test-secret
start_turnpike "$work/server.log" --listen 127.0.0.1:0 \
  --listen tcp://127.0.0.1:0 --listen tls://127.0.0.1:0 \
  --listen dtls://127.0.0.1:0 --tls-cert "$work/cert.pem" \
  --tls-key "$work/key.pem" --relay-ip 127.0.0.1 --user alice:secret \
  --rest-secret "$secret" --min-port 1024
# "listening on udp 127.0.0.1:A, tcp 127.0.0.1:B, tls ..., dtls ...".
port_of() {
  sed -n "/listening on /s/.*[ ,]$1 [^ ,]*:\([0-9][0-9]*\).*/\1/p" "$work/server.log"
}
udp=$(port_of udp)
tcp=$(port_of tcp)
tls=$(port_of tls)
dtls=$(port_of dtls)
[[ -n $udp && -n $tcp && -n $tls && -n $dtls ]] || fail "a listening port is missing from the log"
urls=("turn:127.0.0.1:$udp" "turn:127.0.0.1:$tcp?transport=tcp"
  "turns:127.0.0.1:$tls" "turns:127.0.0.1:$dtls?transport=udp")

# probe NAME EXPECTED_STATUS ARG...: runs the probe, output in $work/NAME.out.
probe() {
  local name=$1 expected=$2
  shift 2
  local status=0
  timeout 60 "$turnpike" probe "$@" >"$work/$name.out" 2>&1 || status=$?
  fail_logs=("$work/$name.out:probe $name")
  [[ $status -eq $expected ]] ||
    fail "probe $name exited $status, expected $expected"
}
# Every step of every URL passed: each URL's summary says PASS, no step
# line says FAIL, and the relay steps ran both ways, both ways relayed.
expect_all_passed() {
  local name=$1 count=$2
  local out=$work/$name.out
  [[ $(grep -c ': PASS, [0-9]* steps$' "$out") -eq $count ]] ||
    fail "probe $name: not every URL passed"
  ! grep -q '^  FAIL' "$out" || fail "probe $name: a step failed"
  local step
  for step in 'Binding .*mapped 127.0.0.1:' 'Allocate B .*relayed 127.0.0.1:' \
    'Send A to B .*arrived as a Data indication' \
    'Send B to A .*arrived as a Data indication' \
    'ChannelData A to B .*arrived as ChannelData' \
    'ChannelData B to A .*arrived as ChannelData' \
    'Refresh B lifetime 0 .*allocation released'; do
    [[ $(grep -c "^  PASS  $step" "$out") -eq $count ]] ||
      fail "probe $name: '$step' did not pass for every URL"
  done
}

probe password 0 "${urls[@]}" --user alice --password secret \
  --ca "$work/cert.pem"
expect_all_passed password 4

probe rest 0 "${urls[0]}" "${urls[2]}" --rest-secret "$secret" --user bob \
  --ca "$work/cert.pem"
expect_all_passed rest 2

# stun: is a Binding alone (RFC 7064), no credentials needed.
probe stun 0 "stun:127.0.0.1:$udp"
grep -q "^stun:127.0.0.1:$udp: PASS, 1 step$" "$work/stun.out" ||
  fail "stun: did not pass with the Binding alone"

# The password on standard input keeps it out of the process list.
probe stdin_password 0 "${urls[0]}" --user alice <<<secret
expect_all_passed stdin_password 1

# Negative cases: exit 1 and the step that failed, with the server's code.
probe wrong_password 1 "${urls[0]}" --user alice --password wrong
grep -q "FAIL at Allocate A: server answered 401" "$work/wrong_password.out" ||
  fail "a wrong password was not reported as a 401 at Allocate A"

probe wrong_secret 1 "${urls[1]}" --rest-secret not-the-secret
grep -q "FAIL at Allocate A: server answered 401" "$work/wrong_secret.out" ||
  fail "a wrong REST secret was not reported as a 401 at Allocate A"

probe untrusted 1 "${urls[2]}" --user alice --password secret --timeout 5
grep -q "FAIL at Connect A: the server's certificate is not accepted" \
  "$work/untrusted.out" || fail "a self-signed certificate was accepted"

probe bad_url 2 "turn://127.0.0.1:$udp" --user alice --password secret
grep -q "no '//'" "$work/bad_url.out" || fail "turn:// was not explained"

stop_turnpike
# Nothing listens now on the ports turnpike had: UDP answers with ICMP
# port unreachable, TCP refuses the connection.
probe nothing_udp 1 "${urls[0]}" --user alice --password secret --timeout 3
grep -q "FAIL at Binding: .*refused" "$work/nothing_udp.out" ||
  fail "a dead UDP server was not reported at Binding"
probe nothing_tcp 1 "${urls[1]}" --user alice --password secret --timeout 3
grep -q "FAIL at Connect A: .*refused" "$work/nothing_tcp.out" ||
  fail "a dead TCP server was not reported at Connect A"
echo "PASS: turnpike probe against turnpike over udp, tcp, tls and dtls"
