# A private desktop for scripts (source it): Xvfb, a session D-Bus, openbox and xfce4-notifyd.
# start_desktop exports DISPLAY and DBUS_SESSION_BUS_ADDRESS; stop_desktop (run on EXIT) stops
# everything it started. The Rust tests use the same recipe (tests/src/desktop.rs).
DESKTOP_PIDS=()

start_desktop() {
  DESKTOP_DIR=$(mktemp -d /tmp/herald-desktop.XXXXXX)
  exec 7>"$DESKTOP_DIR/displayfd"
  Xvfb -displayfd 7 -screen 0 1280x800x24 -nolisten tcp >"$DESKTOP_DIR/xvfb.log" 2>&1 &
  DESKTOP_PIDS+=($!)
  local n=""
  for _ in $(seq 100); do n=$(cat "$DESKTOP_DIR/displayfd" 2>/dev/null | tr -d '\n'); [ -n "$n" ] && break; sleep 0.1; done
  [ -n "$n" ] || { echo "Xvfb did not start: $(cat "$DESKTOP_DIR/xvfb.log")" >&2; return 1; }
  export DISPLAY=":$n"
  eval "$(dbus-launch --sh-syntax)"
  DESKTOP_PIDS+=("$DBUS_SESSION_BUS_PID")
  export DBUS_SESSION_BUS_ADDRESS
  openbox >"$DESKTOP_DIR/openbox.log" 2>&1 &
  DESKTOP_PIDS+=($!)
  /usr/lib/x86_64-linux-gnu/xfce4/notifyd/xfce4-notifyd >"$DESKTOP_DIR/notifyd.log" 2>&1 &
  DESKTOP_PIDS+=($!)
  for _ in $(seq 100); do
    dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
      string:org.freedesktop.Notifications 2>/dev/null | grep -q true && return 0
    sleep 0.1
  done
  echo "the notification daemon did not start: $(cat "$DESKTOP_DIR/notifyd.log")" >&2
  return 1
}

stop_desktop() {
  local i
  for ((i=${#DESKTOP_PIDS[@]}-1; i>=0; i--)); do kill "${DESKTOP_PIDS[$i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
