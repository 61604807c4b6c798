#!/usr/bin/env bash
# The tray app as people install it (the installable issue, item 1), on this machine:
#  - bundles the debug binary the tests ran into a .deb and an .rpm with the Tauri bundler
#    (@tauri-apps/cli 2.x from ui/'s npm packages: `tauri bundle`), and checks what they hold:
#    the two programs (the tray process and the window), the desktop entry, the icons, the AppStream metadata;
#  - installs the .deb with dpkg, starts the installed /usr/bin/herald-desktop on a private
#    desktop (Xvfb, session bus, xfce4-notifyd) with a fresh home — the embedded demo workspace
#    and its traffic, as a new user gets it — and sees its first toast carry Accept and Reject on
#    the bus; a second start opens the window (the installed herald-window);
#  - sees the login autostart entry written when the setting is on and removed when it is off;
#  - removes the package again.
# Release packages for people: scripts/package.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. scripts/desktop-session.sh
target=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

step "bundling the tray app (.deb, .rpm) with the Tauri bundler"
cargo build -q -p herald-desktop
rm -rf "$target/debug/bundle"
(cd src-tauri && ../ui/node_modules/.bin/tauri bundle --debug --bundles deb,rpm >/dev/null)
deb=$(ls "$target"/debug/bundle/deb/Herald_*_amd64.deb)
rpm=$(ls "$target"/debug/bundle/rpm/Herald-*.x86_64.rpm)
echo "built: $deb"
echo "built: $rpm"
held=$(dpkg -c "$deb" | awk '{print $6}')
for f in usr/bin/herald-desktop usr/bin/herald-window usr/share/applications/Herald.desktop \
  usr/share/icons/hicolor/128x128/apps/herald-desktop.png usr/share/metainfo/org.herald.desktop.metainfo.xml; do
  grep -qx "$f" <<<"$held" || { echo "the .deb lacks $f" >&2; exit 1; }
done
[ "$(head -c 4 "$rpm" | od -An -tx1 | tr -d ' ')" = edabeedb ] || { echo "$rpm is not an RPM file" >&2; exit 1; }

step "installing the .deb and starting the installed app with a fresh home"
if dpkg -s herald >/dev/null 2>&1; then echo "a herald package is installed already: not touching it" >&2; exit 1; fi
APP=""
cleanup() {
  [ -n "$APP" ] && kill "$APP" 2>/dev/null && wait "$APP" 2>/dev/null || true
  stop_desktop
  dpkg -r herald >/dev/null 2>&1 || true
}
trap cleanup EXIT
dpkg -i "$deb" >/dev/null
[ -x /usr/bin/herald-desktop ] || { echo "dpkg -i did not install /usr/bin/herald-desktop" >&2; exit 1; }
grep -q '^Exec=herald-desktop' /usr/share/applications/Herald.desktop || { echo "the desktop entry does not start herald-desktop" >&2; exit 1; }

start_desktop
home=$(mktemp -d "$DESKTOP_DIR/home.XXXXXX")
export HOME=$home XDG_CONFIG_HOME=$home/.config XDG_DATA_HOME=$home/.local/share XDG_CACHE_HOME=$home/.cache
export HERALD_SECRETS=file HERALD_DEMO_RATE=30 NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory
data=$XDG_DATA_HOME/herald
dbus-monitor --session "interface='org.freedesktop.Notifications',member='Notify'" >"$DESKTOP_DIR/bus.log" 2>&1 &
DESKTOP_PIDS+=($!)
run_app() { /usr/bin/herald-desktop >>"$DESKTOP_DIR/app.log" 2>&1 & APP=$!; }
stop_app() { kill "$APP"; wait "$APP" 2>/dev/null || true; APP=""; }
wait_until() { # seconds, what, command…
  local secs=$1 what=$2; shift 2
  for _ in $(seq $((secs * 10))); do "$@" && return 0; sleep 0.1; done
  echo "not within ${secs}s: $what; the app said:" >&2; tail -20 "$DESKTOP_DIR/app.log" >&2; exit 1
}
toast_with_buttons() { grep -q '"accept"' "$DESKTOP_DIR/bus.log" && grep -q '"Accept"' "$DESKTOP_DIR/bus.log" && grep -q '"Reject"' "$DESKTOP_DIR/bus.log"; }
run_app
wait_until 60 "the first demo request's toast with Accept and Reject" toast_with_buttons
# Starting it again hands over to the one running, which opens its window: the installed
# herald-window beside the installed tray program.
/usr/bin/herald-desktop --show >>"$DESKTOP_DIR/app.log" 2>&1 || { echo "a second start did not hand over to the running Herald" >&2; exit 1; }
wait_until 60 "the installed window opens" bash -c "xdotool search --onlyvisible --name '^Herald\$' >/dev/null"
pgrep -x herald-window >/dev/null || { echo "the window is not the installed herald-window process" >&2; exit 1; }
[ -f "$data/settings.json" ] || [ -d "$data" ] || { echo "the app made no data folder in the fresh home" >&2; exit 1; }
stop_app

step "the login autostart entry follows the setting"
entry=$XDG_CONFIG_HOME/autostart/Herald.desktop
[ ! -e "$entry" ] || { echo "an autostart entry exists before it was asked for" >&2; exit 1; }
mkdir -p "$data"
echo '{"autostart": true, "demo_traffic": false}' >"$data/settings.json"
run_app
wait_until 30 "the autostart entry is written" test -f "$entry"
grep -q '^Exec=.*herald-desktop.*--hidden' "$entry" || { echo "the autostart entry does not start Herald hidden: $(cat "$entry")" >&2; exit 1; }
stop_app
echo '{"autostart": false, "demo_traffic": false}' >"$data/settings.json"
run_app
wait_until 30 "the autostart entry is removed" test ! -e "$entry"
stop_app

step "removing the package"
dpkg -r herald >/dev/null
[ ! -e /usr/bin/herald-desktop ] || { echo "dpkg -r left /usr/bin/herald-desktop" >&2; exit 1; }
echo "the tray app's package: built, installed, ran with Accept/Reject, autostart on and off, removed"
