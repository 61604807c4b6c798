#!/usr/bin/env bash
# Fuzzes the workspace API with schemathesis (an independent peer that reads our OpenAPI):
# no request may cause a 5xx, every status must be documented, every body must match its schema.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_system_packages
ensure_rust_tools
venv="${HERALD_FUZZ_VENV:-target/fuzz-venv}"
[ -x "$venv/bin/schemathesis" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q schemathesis; }
cargo build -p herald-workspace
dir=$(mktemp -d)
port=18791
# The web chat's rate limits are off here: with them, most generated chat starts and messages
# would be refused with a (documented) 429 before the handler validates anything.
HERALD_CHAT_START_BURST=0 HERALD_CHAT_MESSAGE_BURST=0 \
HERALD_ADMIN_TOKEN=fuzz-admin target/debug/herald-workspace serve --listen "127.0.0.1:$port" \
  --database "sqlite://$dir/w.db" --demo --demo-rate 30 >"$dir/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
# The event stream never ends, and sign-out / token revocation would revoke the fuzzer's own token.
"$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" -H "Authorization: Bearer fuzz-admin" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance --max-examples "${MAX_EXAMPLES:-60}" \
  --exclude-path /v1/events --exclude-path /v1/auth/sign-out --exclude-path-regex tokens
