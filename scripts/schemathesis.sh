#!/usr/bin/env bash
# Runs schemathesis 4.x (positive and negative cases) against a fresh server built from this
# checkout, on a temporary SQLite database, with the mock Vipps provider as both issuers.
# Needs Python 3; installs schemathesis into .venv-st on first use. Extra arguments go to
# `schemathesis run` (e.g. `--max-examples 300`); PORT picks the server's port (the mock
# takes the next one).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-st
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
fi

cargo build --quiet
work=$(mktemp -d)
port=${PORT:-18480}
mock_port=$((port + 1))
export ADMIN_TOKEN=${ADMIN_TOKEN:-schemathesis-admin-token-0123456789}
# The mock knows the client of the create example in openapi.json, whose secret reference
# is `env://VIPPS_SECRET_NY_KLINIKK`, so logins of that organization reach a real provider.
secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
MOCK_VIPPS_BIND="127.0.0.1:$mock_port" MOCK_VIPPS_CLIENT_ID=fb492b5e-7907-4d83-ba20-c7fb60ca35de \
    MOCK_VIPPS_CLIENT_SECRET="$secret" MOCK_VIPPS_REDIRECT_URI=https://ny-klinikk.no/auth/vipps/callback \
    RUST_LOG=warn target/debug/vipps-identity mock-vipps &
mock=$!
trap 'kill "$mock"; rm -rf "$work"' EXIT
issuer="http://127.0.0.1:$mock_port/access-management-1.0/access/"
VIPPS_SECRET_NY_KLINIKK="$secret" VIPPS_PRODUCTION_ISSUER="$issuer" VIPPS_TEST_ISSUER="$issuer" \
    DATABASE_URL="sqlite://$work/st.db" SESSION_KEY_FILE="$work/session-key.pem" \
    BIND_ADDR="127.0.0.1:$port" RUST_LOG=warn target/debug/vipps-identity serve &
server=$!
trap 'kill "$server" "$mock"; wait "$server" "$mock" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do
    if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null &&
        curl -sf "${issuer}.well-known/openid-configuration" >/dev/null; then
        break
    fi
    sleep 0.2
done

"$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    -H "Authorization: Bearer $ADMIN_TOKEN" "$@"
