#!/usr/bin/env bash
# Quick start 2: install, then run the whole test suite with the records
# database on SQLite, and again on PostgreSQL when one answers (127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PG_URL=${UBP_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
.venv/bin/python -m pytest "$@"
if .venv/bin/python -c "import sqlalchemy as sa, sys; sa.create_engine(sys.argv[1]).connect().close()" "$PG_URL" 2>/dev/null; then
  echo "--- again with the records database on PostgreSQL ($PG_URL)"
  DATABASE_URL=$PG_URL .venv/bin/python -m pytest "$@"
else
  echo "--- PostgreSQL not reachable at $PG_URL: the PostgreSQL pass was skipped"
fi
