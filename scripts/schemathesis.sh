#!/usr/bin/env bash
# Runs schemathesis 4.x (positive and negative cases) against a fresh server built from this
# checkout, on a temporary SQLite database. Needs Python 3; installs schemathesis into
# .venv-st on first use. Extra arguments go to `schemathesis run` (e.g. `--max-examples 200`).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-st
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
fi

cargo build --quiet
work=$(mktemp -d)
port=${PORT:-18080}
export ADMIN_TOKEN=${ADMIN_TOKEN:-schemathesis-admin-token-0123456789}
DATABASE_URL="sqlite://$work/st.db" SESSION_KEY_FILE="$work/session-key.pem" \
    BIND_ADDR="127.0.0.1:$port" RUST_LOG=warn target/debug/vipps-identity serve &
server=$!
trap 'kill "$server"; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.2
done

"$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    -H "Authorization: Bearer $ADMIN_TOKEN" "$@"
