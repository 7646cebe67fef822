#!/usr/bin/env bash
# Quick start 1: install, then run the Temporal dev server (SQLite under var/),
# the worker and the demo parties, in the foreground until Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p var
exec .venv/bin/ubp dev --seed-demo
