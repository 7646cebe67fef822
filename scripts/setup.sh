#!/usr/bin/env bash
# Creates .venv and installs the project with its test dependencies; re-runs
# pip only when pyproject.toml changed. Needs nothing but Python 3.11+ and pip.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  mkdir -p var
  # pip's chatter goes to a log; on failure it is shown whole.
  if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e ".[test]"; } > var/pip.log 2>&1; then
    cat var/pip.log >&2
    echo "installing the project failed; the log above is in var/pip.log" >&2
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
