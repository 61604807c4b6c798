#!/usr/bin/env bash
# Measures the tray app's memory: the PSS (proportional set size, /proc/PID/smaps_rollup) of the
# whole process tree — the app and its WebKit processes — while hidden in the tray, with the
# window shown, and hidden again after the window was closed (the webview is released).
# Runs on a private Xvfb desktop with a notification daemon; the embedded workspace without demo
# traffic, so nothing changes while measuring. Figures are printed as MB and as ratios against
# the first hidden reading taken in the same run. Also the CPU the tree uses idling in the tray.
#   scripts/memory.sh            debug build (as the tests use)
#   PROFILE=release scripts/memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. scripts/desktop-session.sh
ensure_system_packages
ensure_desktop_packages
ensure_rust_tools
build_ui
PROFILE=${PROFILE:-debug}
step "building herald-desktop ($PROFILE)"
if [ "$PROFILE" = release ]; then cargo build -q --release -p herald-desktop; else cargo build -q -p herald-desktop; fi
BIN=${CARGO_TARGET_DIR:-target}/$PROFILE/herald-desktop

trap 'kill "$APP" 2>/dev/null || true; stop_desktop' EXIT
start_desktop
export HERALD_DATA_DIR="$DESKTOP_DIR/data" HERALD_SECRETS=file
mkdir -p "$HERALD_DATA_DIR"
echo '{"demo_traffic": false}' >"$HERALD_DATA_DIR/settings.json"
"$BIN" >"$DESKTOP_DIR/app.log" 2>&1 &
APP=$!

tree_pids() { # the app and all its descendants
  local all=("$1") i=0
  while [ $i -lt ${#all[@]} ]; do
    for c in $(cat /proc/"${all[$i]}"/task/*/children 2>/dev/null); do all+=("$c"); done
    i=$((i+1))
  done
  echo "${all[@]}"
}
tree_sum() { # /proc/PID/<file>, awk program printing one number: summed over the tree
  local total=0 p v
  for p in $(tree_pids "$APP"); do
    v=$(awk "$2" /proc/"$p"/"$1" 2>/dev/null || echo 0)
    total=$((total + ${v:-0}))
  done
  echo $total
}
pss_kb() { tree_sum smaps_rollup '/^Pss:/ {print $2}'; }
cpu_ticks() { tree_sum stat '{print $14 + $15}'; } # user + system clock ticks
settled_pss() { # wait until two readings 1 s apart differ by < 1 %, then report the last
  local prev=0 cur
  for _ in $(seq 30); do
    cur=$(pss_kb)
    if [ "$prev" -gt 0 ] && [ $(( (cur > prev ? cur - prev : prev - cur) * 100 )) -lt "$cur" ]; then break; fi
    prev=$cur; sleep 1
  done
  echo "$cur"
}
wait_for() { # description, command…
  local what=$1; shift
  for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "timed out waiting for $what" >&2; tail -20 "$DESKTOP_DIR/app.log" >&2; exit 1
}
webkit_running() { for p in $(tree_pids "$APP"); do grep -q WebKitWebProcess /proc/"$p"/cmdline 2>/dev/null && return 0; done; return 1; }

wait_for "the app to start" grep -q "running in the tray" "$DESKTOP_DIR/app.log"
hidden=$(settled_pss)
# Idle CPU while hidden: ticks used over 10 s, against the 10 s of one core.
t0=$(cpu_ticks); sleep 10; t1=$(cpu_ticks)
idle_cpu=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f %% of one core", 100 * t / hz / 10 }')
"$BIN" --show >/dev/null 2>&1          # a second start shows the window of the running one
wait_for "the window" xdotool search --onlyvisible --name '^Herald$'
wait_for "the webview" webkit_running
shown=$(settled_pss)
wmctrl -c Herald
wait_for "the window to close" bash -c "! xdotool search --onlyvisible --name '^Herald\$'"
wait_for "the webview to be released" bash -c "! ( $(declare -f tree_pids webkit_running); APP=$APP; webkit_running )"
closed=$(settled_pss)
if [ -n "${MEMORY_DETAIL:-}" ]; then for p in $(tree_pids "$APP"); do printf "    %-40s %s kB\n" "$(tr "\0" " " </proc/$p/cmdline | cut -c1-40)" "$(awk "/^Pss:/ {print \$2}" /proc/$p/smaps_rollup)"; done; fi
kill -0 "$APP" || { echo "Herald exited when its window closed" >&2; exit 1; }

mb() { awk -v k="$1" 'BEGIN { printf "%.0f MB", k/1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a/b }'; }
step "Herald process tree PSS ($PROFILE build)"
printf '  hidden in the tray (start)      %8s  %s\n' "$(mb "$hidden")" "$(ratio "$hidden" "$hidden")"
printf '  window shown                    %8s  %s\n' "$(mb "$shown")" "$(ratio "$shown" "$hidden")"
printf '  hidden again (window closed)    %8s  %s\n' "$(mb "$closed")" "$(ratio "$closed" "$hidden")"
printf '  CPU while idle in the tray      %s (10 s, no demo traffic)\n' "$idle_cpu"
