#!/usr/bin/env bash
# Fails when a crate imports what the architecture forbids (shared/design/architecture.md).
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
deny() { # crate, forbidden dependency
  if cargo tree -p "$1" -e normal --prefix none 2>/dev/null | awk '{print $1}' | grep -qx "$2"; then
    echo "architecture: $1 must not depend on $2"; fail=1
  fi
}
for forbidden in tokio axum sqlx tauri reqwest herald-protocol herald-workspace herald-client; do
  deny herald-core "$forbidden"
done
for forbidden in herald-client herald-desktop; do deny herald-workspace "$forbidden"; done
for forbidden in herald-workspace axum sqlx; do deny herald-client "$forbidden"; done
for forbidden in tauri herald-workspace herald-client; do deny herald-notify "$forbidden"; done
for forbidden in tauri wry; do deny herald-app "$forbidden"; done
exit $fail
