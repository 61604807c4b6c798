#!/usr/bin/env bash
# Sets up what is missing on a fresh Debian/Ubuntu machine and runs every test.
# Used by the README's test command and by .ci/run. Every server a test needs (workspace,
# Xvfb, D-Bus session bus, notification daemon, Chromium) is started by that test, on loopback,
# and stopped by it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
# One full build, not an edit loop: incremental caches would only double the target directory's
# size on disk (CI machines may have little to spare), so they are off for this command.
export CARGO_INCREMENTAL=0
target_dir=${CARGO_TARGET_DIR:-target}
report_disk() { echo "disk: target directory $(du -sh "$target_dir" 2>/dev/null | cut -f1), free $(df -h --output=avail . | tail -1 | tr -d ' ')"; }
trap report_disk EXIT
ensure_system_packages
ensure_desktop_packages
ensure_test_packages
ensure_rust_tools
ensure_ui_packages

step "checking dependency direction and file sizes"
scripts/check-architecture.sh


step "UI: type check, unit tests, page flows in headless Chromium (builds ui/dist)"
(cd ui && npm run check --silent && npm run test:all --silent)

# After the UI step: clippy compiles the Tauri shell, whose generate_context! needs ui/dist.
step "lint: rustfmt, clippy with -D warnings, unused dependencies (cargo-machete)"
scripts/lint.sh

step "the workspace as a service: its .deb installs, its unit verifies, it serves as the unit would"
scripts/test-workspace-deb.sh

step "the workspace as a container image: built FROM scratch with podman, run, /healthz"
scripts/test-workspace-container.sh

step "running every Rust test (cargo nextest)"
# (No doc tests exist; nextest's summary is the last line CI reads.)
cargo nextest run --workspace --all-targets --no-fail-fast --profile ci

step "the story suite again, on PostgreSQL (each test starts its own server)"
# (--workspace with a filter, not -p: the same feature set as above, so nothing is rebuilt.)
HERALD_TEST_DATABASE=postgres cargo nextest run --workspace --all-targets --no-fail-fast --profile ci -E 'package(herald-e2e)'

# Last: bundling patches the tested binary (the bundle type), which nothing after this runs.
step "the tray app as a package: .deb and .rpm built, the .deb installed and run, autostart, removed"
scripts/test-app-package.sh
