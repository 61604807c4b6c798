#!/usr/bin/env bash
# The workspace benchmark (release build). The workspace runs as its own process (the
# `herald-workspace` binary), the load generators as others. Three parts, all in one run:
#
#   routing  herald-bench: N agents on SSE, conversations at increasing rates (each offered,
#            accepted and closed over HTTP); routed/s and offer latency p50/p99 as ratios to a
#            floor measured in the same run (one loopback HTTP round trip + one store commit).
#   memory   herald-sse-hold: the workspace's RSS/PSS with 1,000 and 10,000 agents holding
#            GET /v1/events open.
#   nchan    the same 10,000 EventSource subscribers (on 10,000 channels) held on nginx + nchan
#            (Debian's nginx-light + libnginx-mod-nchan, one worker), as the reference.
#   cluster  (only with --only cluster) herald-cluster-bench: three instances on one PostgreSQL —
#            routing through a follower beside one instance alone, and kill -9 of the leader.
#
# Usage:
#   scripts/bench.sh                                   # everything, defaults
#   scripts/bench.sh --agents 1000 --rates 50,100,200  # unknown flags go to herald-bench
#   scripts/bench.sh --only routing|memory|cluster     # one part (memory includes nchan)
#   scripts/bench.sh --subscribers 1000,10000          # memory checkpoints
#   scripts/bench.sh --no-build                        # use the binaries already in target/release
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

only=all
subscribers=1000,10000
build=1
bench_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only=$2; shift 2 ;;
    --subscribers) subscribers=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) bench_args+=("$1"); shift ;;
  esac
done

if [ "$build" = 1 ]; then
  ensure_system_packages
  ensure_rust_tools
  cargo build --release -p herald-workspace -p herald-e2e --bins
fi
if [ "$only" != routing ]; then
  ensure_nginx
  ensure_packages libnginx-mod-nchan
fi
# 10,000 connections per process: raise the descriptor limit (inherited by the children).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true

bin=target/release
tmp=$(mktemp -d /tmp/herald-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
token=bench-admin-token

# Starts a workspace on a fresh database; sets $ws_pid and $ws_url.
start_workspace() {
  local name=$1
  RUST_LOG=warn,herald_workspace=info NO_COLOR=1 "$bin/herald-workspace" serve --listen 127.0.0.1:0 \
    --database "sqlite://$tmp/$name.db" --admin-token "$token" --metrics-token "$token" >"$tmp/$name.log" 2>&1 &
  ws_pid=$!
  pids+=("$ws_pid")
  for _ in $(seq 200); do
    local port
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$tmp/$name.log" | head -1 | grep -o '[0-9]*$' || true)
    if [ -n "$port" ]; then ws_url="http://127.0.0.1:$port"; return; fi
    sleep 0.1
  done
  cat "$tmp/$name.log" >&2
  exit 1
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

if [ "$only" = all ] || [ "$only" = routing ]; then
  start_workspace routing
  "$bin/herald-bench" --url "$ws_url" --admin-token "$token" --metrics-token "$token" --server-pid "$ws_pid" --store-dir "$tmp" "${bench_args[@]}"
  stop "$ws_pid"
fi

if [ "$only" = all ] || [ "$only" = memory ]; then
  echo
  echo "Memory: $subscribers SSE subscribers held by one load-generator process"
  start_workspace memory
  "$bin/herald-sse-hold" --target herald --url "$ws_url" --admin-token "$token" --pids "$ws_pid" \
    --subscribers "$subscribers" --label herald | tee "$tmp/herald-memory.txt"
  stop "$ws_pid"

  module=$(find /usr/lib/nginx/modules /usr/lib/x86_64-linux-gnu/nginx -name 'ngx_nchan_module.so' 2>/dev/null | head -1 || true)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$tmp/nginx/tmp"
  cat >"$tmp/nginx/nginx.conf" <<EOF
load_module $module;
daemon off;
worker_processes 1;
worker_rlimit_nofile $(ulimit -n);
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections $(($(ulimit -n) - 100)); }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/tmp/body;
  proxy_temp_path $tmp/nginx/tmp/proxy;
  fastcgi_temp_path $tmp/nginx/tmp/fastcgi;
  uwsgi_temp_path $tmp/nginx/tmp/uwsgi;
  scgi_temp_path $tmp/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    location ~ ^/sub/(\w+)$ { nchan_subscriber; nchan_channel_id \$1; }
    location ~ ^/pub/(\w+)$ { nchan_publisher; nchan_channel_id \$1; }
  }
}
EOF
  nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
  nginx_pid=$!
  pids+=("$nginx_pid")
  for _ in $(seq 100); do [ -s "$tmp/nginx/nginx.pid" ] && break; sleep 0.1; done
  sleep 0.5
  workers=$(pgrep -P "$nginx_pid" | paste -sd, - || true)
  "$bin/herald-sse-hold" --target nchan --url "http://127.0.0.1:$port" --pids "$nginx_pid,$workers" \
    --subscribers "$subscribers" --label nginx+nchan | tee "$tmp/nchan-memory.txt"
  stop "$nginx_pid"

  # The largest checkpoint, side by side.
  last() { grep 'subscribers=' "$1" | tail -1 | grep -o "$2=[0-9]*" | cut -d= -f2; }
  h_rss=$(last "$tmp/herald-memory.txt" rss_kib); h_pss=$(last "$tmp/herald-memory.txt" pss_kib)
  n_rss=$(last "$tmp/nchan-memory.txt" rss_kib); n_pss=$(last "$tmp/nchan-memory.txt" pss_kib)
  subs=$(last "$tmp/herald-memory.txt" subscribers)
  echo
  awk -v s="$subs" -v hr="$h_rss" -v hp="$h_pss" -v nr="$n_rss" -v np="$n_pss" 'BEGIN {
    printf "at %d subscribers: Herald RSS %.1f MiB (PSS %.1f), nginx+nchan RSS %.1f MiB (PSS %.1f): Herald/nchan %.2fx by RSS, %.2fx by PSS\n",
      s, hr / 1024, hp / 1024, nr / 1024, np / 1024, hr / nr, hp / np }'
fi

if [ "$only" = cluster ]; then
  # Several instances on one PostgreSQL (started by the bench from Debian's package): routing
  # through a follower next to one instance alone, then kill -9 the leader several times.
  ensure_test_packages
  "$bin/herald-cluster-bench" "${bench_args[@]}"
fi
