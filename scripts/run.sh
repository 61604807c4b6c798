#!/usr/bin/env bash
# Sets up what is missing and runs the Herald tray app on its embedded workspace with demo
# traffic. Herald starts hidden in the tray; desktop notifications with Accept/Reject arrive
# within seconds. Click the tray icon (or run this again) to open the window. Quit from the tray.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_system_packages
ensure_rust_tools
build_ui
step "building the tray app (the first build takes about 10 minutes)"
cargo build -p herald-desktop
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No graphical session (DISPLAY/WAYLAND_DISPLAY unset): Herald is a desktop tray app." >&2
  echo "Run this from a desktop session, or see scripts/memory.sh for running it under Xvfb." >&2
  exit 1
fi
step "starting Herald (data in ${HERALD_DATA_DIR:-the platform data dir}; workspace: embedded demo)"
exec target/debug/herald-desktop "$@"
