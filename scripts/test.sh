#!/usr/bin/env bash
# Quick start 2: install, check lint, format and types, then run the whole test
# suite with the records database on SQLite, and again on PostgreSQL when one
# answers (127.0.0.1:5432). Any finding of ruff or mypy fails the run.
#
# Chromium, for the browser tests (the Temporal UI, the inbox, the board
# report), is installed from Debian when missing, and axe-core fetched for their
# accessibility checks (scripts/browser-setup.sh); only when that cannot be done
# are they skipped, saying why. They run in the SQLite pass only.
#
# The pure tests run in a process of their own: hypothesis (and the layering
# test) parse sources with `ast`, and CPython 3.11's AST converter is not safe
# while other threads (the Temporal worker's) use it too ("SystemError: AST
# constructor recursion depth mismatch").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PG_URL=${UBP_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
PURE=(tests/test_policy_rules.py tests/test_policy_properties.py tests/test_dates.py tests/test_contact_gate.py tests/test_layout.py tests/test_permission_docs.py tests/test_claims_rules.py tests/test_audit.py)
IGNORE_PURE=()
for f in "${PURE[@]}"; do IGNORE_PURE+=(--ignore "$f"); done
# The production image (built with Podman, then started) runs in a process of its own beside the passes.
IMAGE_TESTS=tests/test_image.py
IGNORE_PURE+=(--ignore "$IMAGE_TESTS")

# pytest exits 5 when `-k` or `-m` leaves nothing to run in one of the passes.
run_pytest() {
  local rc=0
  .venv/bin/python -m pytest "$@" || rc=$?
  [ "$rc" -eq 5 ] && rc=0
  return "$rc"
}

# The locked dependencies against known vulnerabilities (scripts/audit.py says what passes),
# beside the rest: it mostly waits on the advisory service. Its verdict is read at the end.
mkdir -p var
audit_log=var/test-audit.log
.venv/bin/python scripts/audit.py > "$audit_log" 2>&1 &
audit_pid=$!
echo "--- Chromium and axe-core for the browser tests"
if ! browser_problem=$(bash scripts/browser-setup.sh); then
  export UBP_BROWSER_UNAVAILABLE="$browser_problem"
  echo "the browser tests will be skipped: $browser_problem"
fi
echo "--- lint, import order and format (ruff), types (mypy)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
echo "--- the policy's rules and the layering (pure, no servers)"
run_pytest "${PURE[@]}" "$@"
# The two passes run side by side: most of their time is spent waiting on the
# Temporal servers each pass starts for itself (on ports of their own), so the
# suite takes little more than its longer pass. The dev keys are made first, once,
# so the two passes (and the worker processes they start) share them.
.venv/bin/python -c "from settings import Settings; from client.keys import dev_key_ring; from client.door import dev_door_keys; s = Settings(); dev_key_ring(s); dev_door_keys(s)"
pg_pid=
mkdir -p var
# The image test mostly waits on Podman, pip and apt (cold: installing Podman, debootstrap of the
# base, the image's dependencies, a few minutes; warm, from the caches in /var/cache/ubp: under a
# minute), so it runs beside the passes too; it skips, saying why, where no container can run.
image_log=var/test-image.log
run_pytest "$IMAGE_TESTS" -p no:cacheprovider -rs "$@" > "$image_log" 2>&1 &
image_pid=$!
pg_log=var/test-postgres.log
if .venv/bin/python -c "import sqlalchemy as sa, sys; sa.create_engine(sys.argv[1]).connect().close()" "$PG_URL" 2>/dev/null; then
  echo "--- with Temporal, records database on PostgreSQL ($PG_URL), beside the SQLite pass; its output follows that pass's"
  # The browser tests read the records through the same pages either way: once, on SQLite, is enough.
  DATABASE_URL=$PG_URL run_pytest "${IGNORE_PURE[@]}" -m "not browser" -p no:cacheprovider "$@" > "$pg_log" 2>&1 &
  pg_pid=$!
else
  echo "--- PostgreSQL not reachable at $PG_URL: the PostgreSQL pass was skipped"
fi
echo "--- with Temporal, records database on SQLite"
sqlite_rc=0
run_pytest "${IGNORE_PURE[@]}" "$@" || sqlite_rc=$?
# The side jobs' output first, so that the passes' own summaries close the run.
audit_rc=0
wait "$audit_pid" || audit_rc=$?
echo "--- known vulnerabilities in the locked dependencies (pip-audit)"
cat "$audit_log"
image_rc=0
wait "$image_pid" || image_rc=$?
echo "--- the production image: built from the tree, started against the dev server and the records database"
cat "$image_log"
pg_rc=0
if [ -n "$pg_pid" ]; then
  wait "$pg_pid" || pg_rc=$?
  echo "--- with Temporal, records database on PostgreSQL ($PG_URL)"
  cat "$pg_log"
fi
[ "$sqlite_rc" -eq 0 ] && [ "$pg_rc" -eq 0 ] && [ "$image_rc" -eq 0 ] && [ "$audit_rc" -eq 0 ]
