#!/usr/bin/env bash
# What the browser tests need (tests/browser.py): Chromium, Debian's package,
# driven by the Playwright Python package from the test extra, which downloads no
# browser of its own; and axe-core for the inbox's accessibility checks, the
# pinned release from the npm registry (scripts/fetch_axe.py, into var/).
# Installs Chromium when missing (apt-get, as root or through sudo). Exits 0 when
# Chromium is there; otherwise prints why it cannot be installed on stdout (for
# the tests' skip message) and exits 1. Without axe-core only the tests that need
# it skip, saying how to get it.
set -uo pipefail
cd "$(dirname "$0")/.."
CHROMIUM=${UBP_CHROMIUM:-/usr/bin/chromium}
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] && PYTHON=.venv/bin/python
if ! axe_problem=$("$PYTHON" scripts/fetch_axe.py); then
  echo "axe-core: $axe_problem; the accessibility tests will be skipped" >&2
fi
[ -x "$CHROMIUM" ] && exit 0
if [ -n "${UBP_CHROMIUM:-}" ]; then
  echo "UBP_CHROMIUM=$UBP_CHROMIUM is not an executable"
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "Chromium is not at $CHROMIUM and there is no apt-get to install it: install Chromium and set UBP_CHROMIUM"
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "Chromium is not at $CHROMIUM, and installing it needs root: sudo apt-get install -y chromium"
  exit 1
fi
mkdir -p var
# apt's chatter goes to a log; on failure its tail is shown.
if ! { "${as_root[@]}" apt-get update && DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y chromium; } \
    > var/apt.log 2>&1; then
  tail -n 20 var/apt.log >&2
  echo "apt-get install chromium failed (the log is in var/apt.log)"
  exit 1
fi
[ -x "$CHROMIUM" ] || { echo "apt-get installed chromium, but not at $CHROMIUM: set UBP_CHROMIUM"; exit 1; }
