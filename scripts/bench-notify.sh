#!/usr/bin/env bash
# The notification-chain benchmark (release build): conversation POST → herald-app's `Notify` on
# the session bus of a real desktop (Xvfb, a private dbus-daemon, openbox, xfce4-notifyd), p50/p99
# as ratios to a floor measured in the same run (one loopback POST that commits + one raw
# `Notify` round trip to the same daemon). See tests/src/bin/herald-notify-bench.rs.
#
# Usage:
#   scripts/bench-notify.sh                          # 200 conversations, 10 warm-up
#   scripts/bench-notify.sh --conversations 500      # flags go to herald-notify-bench
#   scripts/bench-notify.sh --no-build               # use the binaries already in target/release
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

build=1
args=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    *) args+=("$a") ;;
  esac
done

ensure_desktop_packages
if [ "$build" = 1 ]; then
  ensure_system_packages
  ensure_rust_tools
  cargo build --release -p herald-workspace -p herald-e2e --bin herald-workspace --bin herald-notify-bench
fi

echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -srm); $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
target/release/herald-notify-bench "${args[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
