#!/usr/bin/env bash
# The workspace as a container image, tested as an operator runs it: builds the image FROM
# scratch from the debug binary (scripts/container.sh), runs it with podman on a free loopback
# port with a named data volume and an admin token, waits for /healthz, asks the admin API,
# checks the server runs as uid 10001, stops it with SIGTERM, checks the exit was clean and the
# database is in the volume, and removes container, volume and image again.
# Needs the debug binary (an earlier step of scripts/test.sh builds it) and root (or sudo): the
# container runs rootful, as a server's would.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
fail() { echo "workspace container: $*" >&2; exit 1; }
bin=${CARGO_TARGET_DIR:-target}/debug/herald-workspace
[ -x "$bin" ] || fail "$bin is not built (cargo build -p herald-workspace)"
ensure_packages podman runc
as_root=(); [ "$(id -u)" -eq 0 ] || as_root=(sudo)
# This test machine's needs, not the image's (plain `podman run` works elsewhere): the vfs storage
# driver (overlay needs kernel support a nested container lacks), runc with cgroupfs (crun fails
# on this sandbox's cgroups), and file/process limits no higher than the sandbox lets us raise.
# PODMAN_STORAGE_DRIVER= (empty) uses the driver podman is configured with instead.
driver=${PODMAN_STORAGE_DRIVER-vfs}
podman=("${as_root[@]}" podman ${driver:+--storage-driver="$driver"} --runtime runc --cgroup-manager=cgroupfs)
limits=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

# Its own tag and volume, so an image or volume of the same name on this machine is never touched.
suffix=test-$$-$RANDOM
tag=localhost/herald-workspace:$suffix
vol=herald-workspace-$suffix
cid='' pid=''
cleanup() {
  local status=$?
  if [ -n "$cid" ]; then
    if [ "$status" -ne 0 ]; then "${podman[@]}" logs "$cid" 2>&1 | tail -20 >&2 || true; fi
    "${podman[@]}" rm -f -t 0 "$cid" >/dev/null 2>&1 || true
  fi
  "${podman[@]}" volume rm -f "$vol" >/dev/null 2>&1 || true
  "${podman[@]}" rmi -f "$tag" >/dev/null 2>&1 || true
  if [ -n "$pid" ] && [ -e "/proc/$pid" ] && [ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" = "/usr/bin/herald-workspace serve " ]; then
    echo "workspace container: the server outlived the test" >&2; exit 1
  fi
}
trap cleanup EXIT

"${as_root[@]}" env PODMAN_STORAGE_DRIVER="$driver" scripts/container.sh "$bin" "$tag" >/dev/null
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$tag")
[ "$("${podman[@]}" image inspect --format '{{.Config.User}}' "$tag")" = 10001:10001 ] || fail "the image does not run as 10001:10001"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
cid=$("${podman[@]}" run -d "${limits[@]}" --network=host -v "$vol:/var/lib/herald" \
  -e HERALD_LISTEN="127.0.0.1:$port" -e HERALD_ADMIN_TOKEN="$token" "$tag")
pid=$("${podman[@]}" inspect --format '{{.State.Pid}}' "$cid")

# /healthz: 200 once the socket listens and the database answers; at most 30 s, and a server that
# dies ends the wait at once.
ok='' deadline=$((SECONDS + 30))
while [ "$SECONDS" -lt "$deadline" ]; do
  if curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz"; then ok=1; break; fi
  [ -e "/proc/$pid" ] || break
  sleep 0.1
done
if [ -z "$ok" ]; then
  [ -e "/proc/$pid" ] || fail "the server exited (code $("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$cid")) before answering /healthz"
  fail "the container did not answer /healthz on 127.0.0.1:$port within 30 s"
fi

[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/admin/queues")" = 401 ] || fail "the admin API answered without a token"
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/admin/queues" | grep -q '"Default"' \
  || fail "the admin API did not answer the seeded admin token"

# The container's main process, seen from the host: the server itself, as herald (10001).
[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "/usr/bin/herald-workspace serve " ] || fail "process $pid is not the server"
grep -Eq '^Uid:\s+10001\s+10001\s+10001\s+10001$' "/proc/$pid/status" || fail "the server does not run as uid 10001: $(grep '^Uid:' "/proc/$pid/status")"
grep -Eq '^Gid:\s+10001\s+10001\s+10001\s+10001$' "/proc/$pid/status" || fail "the server does not run as gid 10001: $(grep '^Gid:' "/proc/$pid/status")"

# SIGTERM (the image's STOPSIGNAL): a clean exit well within the 30 s grace, not a SIGKILL (137).
start=$SECONDS
"${podman[@]}" stop -t 30 "$cid" >/dev/null
took=$((SECONDS - start))
code=$("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$cid")
[ "$code" = 0 ] || fail "the server exited with $code on SIGTERM"
"${podman[@]}" logs "$cid" 2>&1 | grep -q 'shutting down' || fail "the server did not log its shutdown"
mnt=$("${podman[@]}" volume inspect --format '{{.Mountpoint}}' "$vol")
[ "$("${as_root[@]}" stat -c '%u' "$mnt/workspace.db")" = 10001 ] || fail "no workspace.db owned by 10001 in the volume"

echo "workspace container: $tag ($size bytes, $(numfmt --to=iec --suffix=B "$size")) served /healthz and the admin API as uid 10001 on 127.0.0.1:$port, stopped cleanly on SIGTERM in ${took} s, database in the volume; removing it again"
