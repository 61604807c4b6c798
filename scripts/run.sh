#!/usr/bin/env bash
# Sets up what is missing and runs Herald with demo traffic. Until the desktop app lands this is
# the workspace server on 127.0.0.1:8780 with a demo team; it prints where it listens, where its
# data lives, and the demo agent's and supervisor's tokens. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_system_packages
ensure_rust_tools
step "building the workspace"
cargo build -p herald-workspace
export HERALD_ADMIN_TOKEN="${HERALD_ADMIN_TOKEN:-herald-demo-admin}"
step "starting the workspace with demo traffic (admin token: $HERALD_ADMIN_TOKEN)"
exec target/debug/herald-workspace serve --demo "$@"
