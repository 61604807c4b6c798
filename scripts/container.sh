#!/usr/bin/env bash
# Builds the workspace's container image (packaging/workspace/Containerfile) with podman, FROM
# scratch: the server binary, the shared libraries it links (as `ldd` lists them, the dynamic
# loader included), /etc/passwd and /etc/group with the user herald (10001), the CA bundle when
# the binary links OpenSSL (reqwest's native-tls reads the system's roots), /tmp and the data
# directory /var/lib/herald. Prints the image's tag and size.
#   scripts/container.sh target/release/herald-workspace              # → localhost/herald-workspace:<version>
#   scripts/container.sh target/release/herald-workspace my/tag:1     # another tag
# PODMAN_STORAGE_DRIVER=vfs selects podman's storage driver (the test command does; unset: the one
# podman is configured with). Needs podman (installed with apt when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
fail() { echo "container.sh: $*" >&2; exit 1; }
if [ $# -lt 1 ] || [ $# -gt 2 ]; then fail "usage: scripts/container.sh BINARY [TAG]"; fi
bin=$1
if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then fail "$bin is not an executable file (build it first: cargo build --release -p herald-workspace)"; fi
version=$(awk -F'"' '/^\[/ { s = ($0 == "[workspace.package]") } s && /^version *=/ { print $2; exit }' Cargo.toml)
[ -n "$version" ] || fail "no version under [workspace.package] in Cargo.toml"
tag=${2:-localhost/herald-workspace:$version}
ensure_packages podman
podman=(podman ${PODMAN_STORAGE_DRIVER:+--storage-driver="$PODMAN_STORAGE_DRIVER"})

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
root=$ctx/rootfs
install -d -m0755 "$root/usr/bin" "$root/etc"
# Without its debugging sections (line tables): a third of a release binary. The symbols stay, so
# a backtrace still names its functions.
if command -v strip >/dev/null 2>&1; then
  strip --strip-debug -o "$root/usr/bin/herald-workspace" "$bin"
  chmod 0755 "$root/usr/bin/herald-workspace"
else
  install -m0755 "$bin" "$root/usr/bin/herald-workspace"
fi

# Every library at the path the dynamic loader resolved it to on this machine (the loader itself
# at the binary's interpreter path), so the image resolves them exactly as this machine does.
# A static binary (musl) lists none.
links_openssl=
if libs=$(ldd "$bin" 2>/dev/null); then
  ! grep -q 'not found' <<<"$libs" || fail "$bin links libraries this machine lacks: $(grep 'not found' <<<"$libs" | tr -s '\t\n' ' ')"
  while read -r lib; do
    install -D -m0755 "$(readlink -f "$lib")" "$root$lib"
    case $lib in */libssl.so*) links_openssl=1 ;; esac
  done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// { print $1 }' <<<"$libs")
fi
if [ -n "$links_openssl" ]; then
  ensure_packages ca-certificates
  install -D -m0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
fi

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
herald:x:10001:10001:Herald workspace:/var/lib/herald:/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
herald:x:10001:
EOF
# Names from /etc/hosts (which the engine mounts) before DNS, as on a host.
cat >"$root/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF
chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf"
install -d -m1777 "$root/tmp"
install -d -m0755 "$root/var/lib"
# The data directory, copied with --chown=10001:10001 by the Containerfile (COPY makes everything
# else root's, whoever owns it here); 0750 like the systemd unit's StateDirectoryMode.
install -d -m0750 "$ctx/state/herald"

"${podman[@]}" build --quiet --layers=false -t "$tag" --build-arg VERSION="$version" \
  --build-arg SOURCE_URL="$(git remote get-url origin 2>/dev/null || true)" -f packaging/workspace/Containerfile "$ctx" >/dev/null
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$tag")
echo "$tag"
echo "image size: $size bytes ($(numfmt --to=iec --suffix=B "$size"))" >&2
