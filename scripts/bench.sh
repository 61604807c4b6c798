#!/usr/bin/env bash
# Runs the workspace benchmark (release build). Extra arguments go to herald-bench, e.g.
#   scripts/bench.sh --agents 1000 --rates 50,100,200,400 --step-secs 5
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_system_packages
ensure_rust_tools
# 1,000 SSE clients and their server ends live in one process: raise the descriptor limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true
cargo build --release -p herald-e2e --bin herald-bench
exec target/release/herald-bench "$@"
