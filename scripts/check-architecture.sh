#!/usr/bin/env bash
# Fails when a crate imports what the architecture forbids (docs/architecture.md), and when the
# dependency graph cannot be read at all (a check that cannot run must not pass).
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
deny() { # crate, forbidden dependency
  local tree
  if ! tree=$(cargo tree -p "$1" -e normal --prefix none 2>&1); then
    echo "architecture: cannot read the dependency tree of $1:" >&2
    echo "$tree" >&2
    exit 2
  fi
  if printf '%s\n' "$tree" | awk '{print $1}' | grep -qx "$2"; then
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
# The tray process links no web engine (the never-miss issue, item 6: its memory all day).
for forbidden in tauri wry webkit2gtk javascriptcore-rs herald-desktop; do deny herald-tray "$forbidden"; done
# Inside the server: the channels never reach into the staff API's module, and no channel
# imports another channel's helpers (shared ones live in channels/mod.rs and channels/twilio.rs).
if grep -rnE '^[^/]*(crate::http\b|super::super::http)' crates/herald-workspace/src/channels crates/herald-workspace/src/edge; then
  echo "architecture: channels/ and edge/ must not import crate::http (http merges channels::routes())"; fail=1
fi
if grep -rnE 'super::(sms|voice|webchat|bot)::' crates/herald-workspace/src/channels; then
  echo "architecture: a channel imports another channel's module"; fail=1
fi
# No Rust source file outside tests grows past 600 lines: split it by its chapters.
while IFS= read -r f; do
  n=$(wc -l <"$f")
  if [ "$n" -gt 600 ]; then echo "architecture: $f has $n lines (at most 600 outside tests)"; fail=1; fi
done < <(git ls-files '*.rs' | grep -vE '(^|/)tests/')
exit $fail
