#!/usr/bin/env bash
# Sets up what is missing on a fresh Debian/Ubuntu machine and runs every test.
# Used by the README's test command and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_system_packages
ensure_rust_tools

step "checking generated TypeScript and dependency direction"
scripts/check-architecture.sh

step "running every test (cargo nextest)"
# (No doc tests exist; nextest's summary is the last line CI reads.)
cargo nextest run --workspace --all-targets --no-fail-fast --profile ci
