#!/usr/bin/env bash
# Makes the lock files from pyproject.toml, after a dependency there changed:
#   requirements/main.lock  what the image installs (the project's dependencies);
#   requirements/dev.lock   the same pins (main.lock is its constraint) and the test extra,
#                           which scripts/setup.sh installs beside main.lock.
# Two locks, so that the image carries no test tools (pytest, mypy, Playwright, pip-audit),
# and one set of pins for what both have: the tests run on exactly what production runs.
# Both with every file's hash, for Python 3.11 on any platform (--universal). A version a
# lock already names is kept unless pyproject.toml asks for another; `--upgrade` (passed on
# to uv) moves every unpinned dependency to its newest release.
set -euo pipefail
cd "$(dirname "$0")/.."
compile=(.venv/bin/uv pip compile --quiet --python-version 3.11 --universal --generate-hashes --no-header)
"${compile[@]}" "$@" pyproject.toml requirements/build.in -o requirements/main.lock
"${compile[@]}" "$@" pyproject.toml requirements/build.in --extra test -c requirements/main.lock -o requirements/dev.lock
# The generated-client test's generator, in a venv of its own (scripts/setup.sh).
"${compile[@]}" "$@" requirements/openapi-client.in -o requirements/openapi-client.lock
