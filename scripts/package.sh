#!/usr/bin/env bash
# Builds turnpike's .deb from the `release` preset and checks it as a
# Debian 12 machine would use it, on a machine where systemd is not PID 1
# (CI containers): the package installs with dpkg, systemd-analyze accepts
# its unit (verify, and a sandboxing score), the binary starts with the
# unit's own ExecStart line, user and configuration, answers `--version`
# and passes `turnpike probe` over UDP and TCP, stops cleanly, and the package removes
# (keeping its conffile) and purges.
#
#   bash scripts/package.sh [--keep]
#
# --keep leaves the package installed at the end. Needs root, or sudo; a
# turnpike package installed before the run is refused (it would be
# replaced and removed). Run by scripts/test.sh; about a minute on 2 cores
# when ccache has the objects.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
keep=0
[[ ${1:-} == --keep ]] && keep=1

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "package.sh: installing a .deb needs root (or sudo)" >&2
  exit 1
fi

step=start
work=$(mktemp -d)
chmod 0755 "$work"  # the unit's user reads nothing here, but may cd
server_pid=
installed_by_us=0
on_exit() {
  local status=$?
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if ((installed_by_us && !keep)); then
    "${as_root[@]}" dpkg --purge turnpike >/dev/null 2>&1 || true
  fi
  if ((status != 0)); then
    echo "package.sh: FAILED at '$step'" >&2
    [[ -s $work/server.log ]] && { echo "--- turnpike output:"; tail -40 "$work/server.log"; }
  fi
  rm -rf "$work"
}
trap on_exit EXIT
fail() {
  echo "package.sh: $*" >&2
  exit 1
}
begin() {
  step=$1
  echo "package.sh: [$SECONDS s] $step"
}

if dpkg-query -W -f='${Status}' turnpike 2>/dev/null | grep -q ' installed$'; then
  fail "a turnpike package is already installed; this check would replace" \
       "and remove it (dpkg --purge turnpike first)"
fi

begin "build the release turnpike target"
# The .deb installs under /usr: /etc/turnpike and /lib/systemd/system
# (packaging/CMakeLists.txt). Only the binary and its man page are built.
cmake --preset release -DCMAKE_INSTALL_PREFIX=/usr >"$work/configure.log" ||
  { cat "$work/configure.log"; fail "cmake --preset release failed"; }
cmake --build --preset release -j2 --target turnpike

begin "cpack the .deb"
rm -f build/release/turnpike_*.deb
(cd build/release && cpack -G DEB >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
debs=(build/release/turnpike_*.deb)
[[ -f ${debs[0]} && ${#debs[@]} -eq 1 ]] || fail "expected one .deb, found: ${debs[*]}"
deb=${debs[0]}
echo "package.sh: $deb, $(du -k "$deb" | cut -f1) KiB"

begin "check the package's contents"
dpkg-deb --contents "$deb" >"$work/contents"
for path in ./usr/bin/turnpike ./usr/share/man/man8/turnpike.8.gz \
            ./etc/turnpike/turnpike.conf ./lib/systemd/system/turnpike.service; do
  grep -q " $path\$" "$work/contents" || fail "the .deb lacks $path"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles >"$work/conffiles"
grep -qx /etc/turnpike/turnpike.conf "$work/conffiles" ||
  fail "/etc/turnpike/turnpike.conf is not a conffile"
depends=$(dpkg-deb --field "$deb" Depends)
echo "package.sh: Depends: $depends"
# dpkg-shlibdeps found the libraries the binary links.
for library in libuv1 android-libboringssl libsystemd0 libsqlite3-0 adduser; do
  grep -q "$library" <<<"$depends" || fail "Depends lacks $library"
done

begin "install it with dpkg"
installed_by_us=1
if ! "${as_root[@]}" dpkg -i "$deb" >"$work/dpkg.log" 2>&1; then
  # Missing dependencies leave it unconfigured; apt installs them and
  # finishes the configuration.
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -f -y --no-install-recommends \
    >>"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i failed"; }
fi
dpkg-query -W -f='${Status}' turnpike | grep -q ' installed$' ||
  { cat "$work/dpkg.log"; fail "turnpike is not installed after dpkg -i"; }
getent passwd turnpike >/dev/null || fail "the postinst made no turnpike user"
unit=/lib/systemd/system/turnpike.service

begin "systemd-analyze verify the installed unit"
# verify loads the unit offline (no running systemd needed): it checks the
# directives, that ExecStart's program exists and that Documentation's
# man page is installed.
if ! systemd-analyze verify "$unit" >"$work/verify.log" 2>&1 || [[ -s $work/verify.log ]]; then
  cat "$work/verify.log"
  fail "systemd-analyze verify rejected $unit"
fi
# The sandbox as systemd scores it (0 = locked down, 10 = exposed); the
# unit must stay below 2.5 ("OK").
systemd-analyze security --offline=yes --threshold=25 "$unit" >"$work/security.log" 2>&1 ||
  { tail -30 "$work/security.log"; fail "the unit's exposure is above 2.5"; }
grep 'Overall exposure level' "$work/security.log" | sed 's/^/package.sh: /'

begin "start the installed binary as the unit would"
# ExecStart, User= and Group= read from the installed unit: the command line
# and configuration under test are the package's own.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
unit_user=$(sed -n 's/^User=//p' "$unit")
unit_group=$(sed -n 's/^Group=//p' "$unit")
[[ -n $exec_start && -n $unit_user && -n $unit_group ]] ||
  fail "$unit has no ExecStart, User or Group line"
[[ $exec_start =~ ^[@+!:-] ]] && fail "ExecStart has a prefix this check does not model: $exec_start"
read -ra command <<<"$exec_start"
[[ -x ${command[0]} ]] || fail "ExecStart's ${command[0]} is not executable"
echo "package.sh: ExecStart: ${command[*]} (as $unit_user:$unit_group)"
# The installed configuration is used as it is; on a CI machine port 3478
# of every address may be taken, so the listener and the relay move to
# loopback through the environment (which the unit does not set), the way
# an operator's drop-in would. With no user configured, the binary makes
# up a credential and prints it: read it back as an operator would from
# the journal.
unset_env=()
for name in $(compgen -e); do
  [[ $name == TURNPIKE_* ]] && unset_env+=(-u "$name")
done
"${as_root[@]}" env "${unset_env[@]}" TURNPIKE_LISTEN=127.0.0.1:0,tcp://127.0.0.1:0 \
  TURNPIKE_RELAY_IP=127.0.0.1 \
  setpriv --reuid="$unit_user" --regid="$unit_group" --init-groups \
    --no-new-privs -- "${command[@]}" >"$work/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 150); do
  port=$(sed -n 's/.*listening on udp 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/server.log")
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || fail "turnpike exited during start-up"
  sleep 0.1
done
[[ -n $port ]] || fail "turnpike did not report a listening port within 15 s"
user=$(sed -n 's/^  username: //p' "$work/server.log")
password=$(sed -n 's/^  password: //p' "$work/server.log")
[[ -n $user && -n $password ]] || fail "no generated credential in turnpike's output"

begin "turnpike --version"
version=$("${command[0]}" --version)
echo "package.sh: $version"
[[ $version =~ ^turnpike\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "unexpected --version: $version"
deb_version=$(dpkg-query -W -f='${Version}' turnpike)
[[ $version == "turnpike ${deb_version%%-*}" ]] ||
  fail "--version says '$version' but the package is $deb_version"

begin "turnpike probe against it"
# The installed binary's own self-test, on every URL the start-up banner
# printed (what an operator pastes): Binding, two allocations relaying to
# each other both ways, release. The password goes through stdin.
mapfile -t urls < <(sed -n '/^  url:/,/^  iceServers:/{/iceServers/!p;}' \
  "$work/server.log" |
  grep -oE 'turns?:[^ ]+')
((${#urls[@]} == 2)) || fail "expected a udp and a tcp URL in the banner, got: ${urls[*]}"
probe_status=0
timeout 60 "${command[0]}" probe "${urls[@]}" --user "$user" --timeout 10 \
  <<<"$password" >"$work/probe.log" 2>&1 || probe_status=$?
sed 's/^/package.sh: probe: /' "$work/probe.log"
((probe_status == 0)) || fail "turnpike probe exited $probe_status"
[[ $(grep -c ': PASS, [0-9]* steps$' "$work/probe.log") -eq ${#urls[@]} ]] ||
  fail "turnpike probe did not pass every URL"

begin "stop it"
"${as_root[@]}" kill -TERM "$server_pid"
for _ in $(seq 100); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && fail "turnpike still running 10 s after SIGTERM"
status=0
wait "$server_pid" || status=$?
server_pid=
((status == 0)) || fail "turnpike exited with status $status after SIGTERM"

if ((keep)); then
  echo "package.sh: PASS; turnpike stays installed (--keep)"
  installed_by_us=0
  exit 0
fi

begin "remove and purge it"
"${as_root[@]}" dpkg -r turnpike >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log"; fail "dpkg -r failed"; }
[[ ! -e /usr/bin/turnpike && ! -e $unit ]] || fail "dpkg -r left the binary or the unit"
[[ -f /etc/turnpike/turnpike.conf ]] || fail "dpkg -r removed the conffile (only purge may)"
"${as_root[@]}" dpkg --purge turnpike >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log"; fail "dpkg --purge failed"; }
[[ ! -e /etc/turnpike/turnpike.conf ]] || fail "dpkg --purge left the conffile"
installed_by_us=0
echo "package.sh: PASS in ${SECONDS}s"
