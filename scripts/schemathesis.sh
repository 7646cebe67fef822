#!/usr/bin/env bash
# The HTTP API against its OpenAPI document: starts the dev stack (Temporal dev
# server, worker, API) on free ports with its files in a temporary folder, signs
# in a case-system member of staff, runs `schemathesis run --checks all`, stops
# the stack. Extra arguments go to schemathesis (e.g. --seed 1, --max-examples 50).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
work=$(mktemp -d)
free_port() { .venv/bin/python -c "from devstack.server import free_port; print(free_port())"; }
export UBP_TEMPORAL_ADDRESS="127.0.0.1:$(free_port)" UBP_TEMPORAL_UI_PORT="$(free_port)" UBP_API_PORT="$(free_port)"
export UBP_TEMPORAL_DB_FILE="$work/temporal.db" DATABASE_URL="sqlite:///$work/records.db" UBP_TASK_QUEUE="schemathesis"
# The dev identity provider on a free port too; and no rate limit in the way of the run.
export UBP_DEV_IDP_PORT="$(free_port)" UBP_REQUESTS_PER_MINUTE=1000000
.venv/bin/ubp dev > "$work/dev.log" 2>&1 &
stack=$!
trap 'kill -INT $stack 2>/dev/null; wait $stack 2>/dev/null; rm -rf "$work"' EXIT
api="http://127.0.0.1:$UBP_API_PORT"
for _ in $(seq 120); do
  curl -fs "$api/healthz" > /dev/null 2>&1 && break
  sleep 0.5
done
.venv/bin/ubp staff add case-system --name "Case system" --role colleague --role manager > /dev/null
token=$(.venv/bin/ubp staff token case-system)
# filter_too_much is about generating data, not about the API: a restriction's body (measure
# names or terms objects, each id a pattern) makes Hypothesis discard many drafts, and on some
# seeds the health check stops the operation's fuzzing before it found anything either way.
.venv/bin/schemathesis run "$api/openapi.json" --checks all --suppress-health-check filter_too_much \
  -H "Authorization: Bearer $token" "$@"
