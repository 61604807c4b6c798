#!/usr/bin/env bash
# Type-checks (and lints) herald-notify's Windows and macOS backends on this Linux machine: no
# Windows or macOS standard library can be had here, so std is checked from its source
# (`-Z build-std`, allowed on stable by RUSTC_BOOTSTRAP for this check only). Nothing is linked
# or run: that is the GitHub workflow's job on real Windows and macOS runners. About 5–8 minutes
# on two cores, so it is not part of scripts/test.sh; run it after touching
# crates/herald-notify/src/{windows,macos,winrt,usernotifications}.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
rustup component add rust-src >/dev/null
export CARGO_TARGET_DIR=${PLATFORMS_TARGET_DIR:-${CARGO_TARGET_DIR:-target}/platforms}
for target in x86_64-pc-windows-msvc aarch64-apple-darwin; do
  step "herald-notify for $target: clippy on the library and its tests, -D warnings"
  RUSTC_BOOTSTRAP=1 cargo clippy --locked -Zbuild-std=std,panic_abort --target "$target" -p herald-notify --lib --tests -- -D warnings
done
