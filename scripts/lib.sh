# Shared helpers for scripts/*.sh: install what a fresh Debian/Ubuntu machine lacks.
step() { printf '\n==> %s\n' "$*"; }

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# To build everything, the Tauri app included (WebKitGTK, GTK, appindicator for the tray).
APT_BUILD=(build-essential pkg-config curl ca-certificates libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev libasound2-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev)
# A real desktop for the tests (and Python's venv for Twilio's SDK, which signs test webhooks): X server, window manager, tray host, session bus, a notification
# daemon that draws action buttons, tools to look at and click on it, WebKitWebDriver, Chromium.
APT_DESKTOP=(xvfb xauth dbus dbus-x11 openbox trayer xfce4-notifyd xdotool x11-utils wmctrl imagemagick
  webkit2gtk-driver chromium python3-venv openssl mate-screensaver
  pulseaudio pulseaudio-utils libasound2-plugins xfconf dconf-service libglib2.0-bin gsettings-desktop-schemas)
# The story suite's second run, on PostgreSQL: each test starts its own server from Debian's
# package (initdb into a temp dir, pg_ctl on a free loopback port); the packaged cluster is unused.
# The workspace's container image is built and run with podman (runc: the runtime the test uses).
APT_TEST=(postgresql podman runc)

ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing system packages: ${missing[*]}"
    sudo_if_needed apt-get update -qq
    DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq "${missing[@]}"
  fi
}

ensure_system_packages() { ensure_packages "${APT_BUILD[@]}"; }
ensure_desktop_packages() { ensure_packages "${APT_DESKTOP[@]}"; }
ensure_test_packages() { ensure_packages "${APT_TEST[@]}"; ensure_nginx; }

# nginx (Debian's nginx-light) for the reverse-proxy test and the nchan benchmark, installed
# without starting Debian's own nginx service: a test starts its own on a free port and stops it.
ensure_nginx() {
  dpkg-query -W -f='${Status}' nginx-light 2>/dev/null | grep -q 'install ok installed' && return 0
  local policy=/usr/sbin/policy-rc.d made=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# scripts/lib.sh: no service starts while nginx-light is installed\nexit 101\n' | sudo_if_needed tee "$policy" >/dev/null
    sudo_if_needed chmod +x "$policy"
    made=1
  fi
  ensure_packages nginx-light
  if [ -n "$made" ]; then sudo_if_needed rm -f "$policy"; fi
}

ensure_rust_tools() {
  if ! command -v cargo >/dev/null 2>&1; then
    if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    step "installing the Rust toolchain (rustup)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    . "$HOME/.cargo/env"
  fi
  # The lint gate (scripts/lint.sh): rustfmt and clippy from rustup, unused dependencies by
  # cargo-machete.
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    step "installing rustfmt and clippy"
    rustup component add rustfmt clippy
  fi
  if ! cargo machete --version >/dev/null 2>&1; then
    step "installing cargo-machete"
    cargo install cargo-machete --version '^0.9' --locked
  fi
  if ! cargo nextest --version >/dev/null 2>&1; then
    step "installing cargo-nextest"
    cargo install cargo-nextest --locked
  fi
}

# Node.js ≥ 20.19 (Vite 8) and the UI's npm packages, exactly as locked.
ensure_node() {
  if ! command -v node >/dev/null 2>&1; then
    ensure_packages nodejs npm
  fi
  local v; v=$(node -p 'process.versions.node')
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)'; then
    echo "Node.js $v is too old: the UI's tools (Vite 8) need 20.19 or newer (see https://nodejs.org)." >&2
    exit 1
  fi
}

ensure_ui_packages() {
  ensure_node
  if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    step "installing the UI's npm packages (npm ci)"
    (cd ui && npm ci --no-audit --no-fund)
  fi
}

build_ui() {
  ensure_ui_packages
  step "building the UI (ui/dist)"
  (cd ui && npm run build --silent)
}
