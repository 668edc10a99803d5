#!/usr/bin/env bash
# The binary reloads its credentials off the loop, without a SIGHUP, when
# the users file changes (cli/credential_reloader.h): a user added with
# `turnpike users add` is announced in a "reloaded" line, a broken file is
# refused with the old users kept, and SIGHUP still reloads. Each wait is on
# a log line, bounded to 10 s.
#
#   credential_reload.sh TURNPIKE
set -euo pipefail
turnpike=$1
# shellcheck source=tests/runtime/turnpike_process.sh
source "$(dirname "${BASH_SOURCE[0]}")/turnpike_process.sh"
begin_turnpike_test

users=$work/users
printf '# staff\nalice:secret\n' >"$users"
chmod 600 "$users"
start_turnpike "$work/server.log" --listen 127.0.0.1:0 --relay-ip 127.0.0.1 \
  --min-port 1024 --realm example.org --users-file "$users"

# wait_for_log COUNT PATTERN: until PATTERN has matched COUNT lines.
wait_for_log() {
  for _ in $(seq 100); do
    [[ $(grep -c -- "$2" "$work/server.log") -ge $1 ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || fail "turnpike exited"
    sleep 0.1
  done
  fail "no $1 log line(s) matching '$2' within 10 s"
}

"$turnpike" users add bob --users-file "$users" --realm example.org \
  --password pw >"$work/added" || fail "turnpike users add failed"
grep -q '^bob:0x[0-9a-f]\{32\}$' "$work/added" || fail "users add printed $(cat "$work/added")"
wait_for_log 1 'a credential file changed; reloaded: 2 users'

printf 'alice:secret\ncarol:0x12\n' >"$users.new" && mv "$users.new" "$users"
wait_for_log 1 'a credential file changed; reload refused.*users:2:'

printf 'alice:secret\n' >"$users.new" && mv "$users.new" "$users"
wait_for_log 1 'a credential file changed; reloaded: 1 users'
kill -HUP "$server_pid"
wait_for_log 1 'turnpike: reloaded: 1 users'

stop_turnpike
echo "PASS: credential files reload without SIGHUP, broken ones are refused"
