#!/usr/bin/env bash
# Quick start 2: install, then run the whole test suite on SQLite, and the
# records-database tests again on PostgreSQL when one answers on 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PG_URL=${UBP_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
.venv/bin/python -m pytest "$@"
if .venv/bin/python -c "import sqlalchemy as sa, sys; sa.create_engine(sys.argv[1]).connect().close()" "$PG_URL" 2>/dev/null; then
  echo "--- again on PostgreSQL ($PG_URL): tests that touch the records database"
  DATABASE_URL=$PG_URL .venv/bin/python -m pytest -m "records" "$@"
else
  echo "--- PostgreSQL not reachable at $PG_URL: the PostgreSQL pass was skipped"
fi
