# shellcheck shell=bash
# shellcheck disable=SC2154  # $turnpike and fail() come from the caller
# Sourced by the shell tests that drive the real binary (uclient and
# stunclient interop, the Chromium test): start turnpike on port 0 and read
# the port it got, stop it and insist on a clean exit. Every wait is
# bounded. The caller sets $turnpike, and either calls begin_turnpike_test
# or defines $work, $server_pid, its own cleanup and fail().

# begin_turnpike_test: the scaffolding every such test shares. Makes $work
# (a scratch directory), clears $server_pid, and on exit kills a turnpike
# still running and removes $work. Defines fail MESSAGE, which prints the
# message, turnpike's output ($work/server.log) and every "FILE:LABEL" of
# the caller's fail_logs array that exists, then exits 1. Callers with more
# to clean up (uclient's peer, Chromium) define their own instead.
begin_turnpike_test() {
  work=$(mktemp -d)
  server_pid=
  fail_logs=()
  trap end_turnpike_test EXIT
  # Defined here, not at source time, so a caller's own fail() stands.
  # shellcheck disable=SC2317  # called by the test script, not here
  fail() { fail_with_logs "$@"; }
}

end_turnpike_test() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}

fail_with_logs() {
  echo "FAIL: $*"
  [[ -f $work/server.log ]] && { echo "--- turnpike output:"; cat "$work/server.log"; }
  local entry
  for entry in "${fail_logs[@]}"; do
    [[ -f ${entry%%:*} ]] && { echo "--- ${entry#*:} output:"; cat "${entry%%:*}"; }
  done
  exit 1
}

# start_turnpike LOG ARG...: starts "$turnpike ARG..." with its output in
# LOG, sets $server_pid, and sets $port from the "listening on udp ..." line
# (at most 10 s). TURNPIKE_* variables of the caller (test.sh knobs, say) are
# not passed on: the binary refuses names it does not know.
start_turnpike() {
  local log=$1
  shift
  local unset_env=()
  local name
  for name in $(compgen -e); do
    [[ $name == TURNPIKE_* ]] && unset_env+=(-u "$name")
  done
  : >"$log"
  env "${unset_env[@]}" "$turnpike" "$@" >"$log" 2>&1 &
  server_pid=$!
  port=
  for _ in $(seq 100); do
    # The first UDP listener's port ("listening on udp A:P, tcp B:Q").
    port=$(sed -n 's/.*listening on udp [^ ,]*:\([0-9][0-9]*\)\($\|,.*\)/\1/p' "$log")
    [[ -n $port ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || fail "turnpike exited during start-up"
    sleep 0.1
  done
  fail "turnpike did not report a listening port within 10 s"
}

# stop_turnpike: SIGTERM, then turnpike must exit 0 within 10 s.
stop_turnpike() {
  kill -TERM "$server_pid"
  for _ in $(seq 100); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      local status=0
      wait "$server_pid" || status=$?
      server_pid=
      [[ $status -eq 0 ]] || fail "turnpike exited with status $status after SIGTERM"
      return 0
    fi
    sleep 0.1
  done
  fail "turnpike still running 10 s after SIGTERM"
}
