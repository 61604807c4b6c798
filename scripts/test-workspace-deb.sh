#!/usr/bin/env bash
# The workspace as a service, tested as an operator installs it: builds the .deb (debug binary),
# installs it with dpkg, checks the unit with `systemd-analyze verify`, runs the installed binary
# as the unit would (user `herald`, /etc/herald/workspace.env, /var/lib/herald) until /healthz
# answers and the database is in the state directory, then purges the package again.
# Needs root (or sudo): it installs a package and creates the system user `herald`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
fail() { echo "workspace .deb: $*" >&2; exit 1; }
deb=$(scripts/package-workspace.sh --profile dev)
if dpkg-query -W -f='${Status}' herald-workspace 2>/dev/null | grep -q 'install ok installed'; then
  fail "herald-workspace is already installed on this machine; this test would replace it"
fi
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if pgrep -u herald -f /usr/bin/herald-workspace >/dev/null 2>&1; then
    echo "workspace .deb: the server outlived the test" >&2; pkill -u herald -f /usr/bin/herald-workspace || true; exit 1
  fi
  rm -f "${log:-}"
  sudo_if_needed dpkg --purge herald-workspace >/dev/null 2>&1 || true
  sudo_if_needed rm -f /var/lib/herald/workspace.db /var/lib/herald/workspace.db-wal /var/lib/herald/workspace.db-shm
}
trap cleanup EXIT
sudo_if_needed dpkg -i "$deb" >/dev/null
getent passwd herald >/dev/null || fail "the package did not create the user herald"
[ "$(stat -c '%U:%G %a' /etc/herald/workspace.env)" = "root:herald 640" ] || fail "workspace.env is not root:herald 0640"
[ "$(stat -c '%U' /var/lib/herald)" = herald ] || fail "/var/lib/herald is not owned by herald"
out=$(systemd-analyze verify /lib/systemd/system/herald-workspace.service 2>&1) || fail "systemd-analyze verify failed: $out"
[ -z "$out" ] || fail "systemd-analyze verify complains: $out"
score=$(systemd-analyze security --offline=true /lib/systemd/system/herald-workspace.service 2>/dev/null | tail -1 || true)
echo "systemd-analyze security: ${score:-not available here}"
# As the unit runs it: its user, its environment file, its working directory — on a free port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# setpriv execs (no runuser parent left holding the server): $pid is the server itself, and the
# trap's kill stops it.
log=$(mktemp)
as_root=(); [ "$(id -u)" -eq 0 ] || as_root=(sudo)  # not the shell function: `&` would fork a subshell
"${as_root[@]}" setpriv --reuid=herald --regid=herald --init-groups -- sh -c "cd /var/lib/herald && set -a && \
  . /etc/herald/workspace.env && set +a && HERALD_LISTEN=127.0.0.1:$port HERALD_ADMIN_TOKEN=deb-test \
  exec /usr/bin/herald-workspace serve" >"$log" 2>&1 &
pid=$!
# Wait for the server's own start-up line (it is printed once the socket listens), at most 30 s;
# `tail --pid` ends with the server, so a crash ends the wait at once.
ok=
if timeout 30 grep -q -m1 'Herald workspace listening' <(tail -n +1 -F --pid="$pid" "$log" 2>/dev/null) \
  && curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; then ok=1; fi
[ -n "$ok" ] || { cat "$log" >&2; fail "the installed binary did not answer /healthz as the unit would run it"; }
curl -sf -H "Authorization: Bearer deb-test" "http://127.0.0.1:$port/v1/admin/queues" | grep -q '"Default"' || fail "the admin API did not answer"
[ "$(stat -c '%U' /var/lib/herald/workspace.db)" = herald ] || fail "the database is not in /var/lib/herald, owned by herald"
echo "workspace .deb: installed, unit verified, served /healthz as user herald on 127.0.0.1:$port; removing it again"
