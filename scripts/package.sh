#!/usr/bin/env bash
# Builds the packages people install, in release mode, and prints their file names:
#  - the tray app: a .deb and an .rpm from the Tauri bundler (@tauri-apps/cli 2.x, from ui/'s
#    npm packages), with the desktop entry, the icons and the AppStream metadata;
#  - the workspace: a .deb with its systemd unit (scripts/package-workspace.sh).
# AppImage is not built: its bundler downloads tools from outside the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_system_packages
ensure_rust_tools
ensure_ui_packages
build_ui
target=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
step "the tray app (release): .deb and .rpm"
rm -rf "$target/release/bundle"
(cd src-tauri && ../ui/node_modules/.bin/tauri build --bundles deb,rpm)
step "the workspace (release): .deb"
workspace=$(scripts/package-workspace.sh | tail -1)
step "packages"
ls "$target"/release/bundle/deb/*.deb "$target"/release/bundle/rpm/*.rpm
echo "$workspace"
