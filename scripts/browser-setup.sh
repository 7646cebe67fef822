#!/usr/bin/env bash
# Chromium for the Temporal UI test (tests/test_temporal_ui.py): Debian's
# package, driven by the Playwright Python package from the test extra, which
# downloads no browser of its own. Installs it when missing (apt-get, as root or
# through sudo). Exits 0 when Chromium is there; otherwise prints why it cannot
# be installed on stdout (for the test's skip message) and exits 1.
set -uo pipefail
cd "$(dirname "$0")/.."
CHROMIUM=${UBP_CHROMIUM:-/usr/bin/chromium}
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
