#!/usr/bin/env bash
# Builds the herald-workspace .deb: the server binary, its systemd unit (own user `herald`, data
# in /var/lib/herald, hardening), the settings file /etc/herald/workspace.env (a conffile), and
# the README. Prints the file it wrote.
#   scripts/package-workspace.sh                 # release build → target/debian/ (or $CARGO_TARGET_DIR/debian/)
#   scripts/package-workspace.sh --profile dev   # the debug binary (what the tests install)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release
if [ "${1:-}" = --profile ]; then profile=$2; fi
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
# The admin console's pages are built into the binary from ui/dist.
[ -f ui/dist/admin.html ] || echo "note: ui/dist is not built, so this package has no admin console (scripts/package.sh builds both)" >&2
cargo build -p herald-workspace --bin herald-workspace --profile "$profile" --quiet
read -r version target < <(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; m=json.load(sys.stdin); \
  print(next(p["version"] for p in m["packages"] if p["name"]=="herald-workspace"), m["target_directory"])')
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
install -Dm0755 "$target/$dir/herald-workspace" "$stage/usr/bin/herald-workspace"
install -Dm0644 packaging/workspace/herald-workspace.service "$stage/lib/systemd/system/herald-workspace.service"
install -Dm0640 packaging/workspace/workspace.env "$stage/etc/herald/workspace.env"
install -Dm0644 README.md "$stage/usr/share/doc/herald-workspace/README.md"
install -d "$stage/DEBIAN"
install -m0755 packaging/workspace/postinst packaging/workspace/prerm packaging/workspace/postrm "$stage/DEBIAN/"
echo /etc/herald/workspace.env >"$stage/DEBIAN/conffiles"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: herald-workspace
Version: $version
Architecture: $arch
Maintainer: Herald developers <herald@example.org>
Section: net
Priority: optional
Depends: adduser, libc6, libgcc-s1, libssl3
Installed-Size: $(du -ks "$stage" | cut -f1)
Description: Herald workspace: routes customer conversations to contact-centre agents
 The server of Herald: turns chats, SMS, calls and cases into work items, offers them to
 agents with deadlines, applies presence and routing rules, and streams events to the agents'
 tray apps. Runs as the systemd service herald-workspace; settings in
 /etc/herald/workspace.env, data in /var/lib/herald.
CONTROL
mkdir -p "$target/debian"
out="$target/debian/herald-workspace_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$stage" "$out" >/dev/null
echo "$out"
