#!/usr/bin/env bash
# Creates .venv and installs the project with its test dependencies from the lock
# files; re-runs pip only when they or pyproject.toml changed. Needs Python 3.11+ and pip, and the
# system libraries below, which it installs from Debian when missing (as root
# or through sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

# The letters (activities/letters.py): WeasyPrint lays them out with Pango and
# HarfBuzz, in the Liberation fonts (Arial's metrics) and DejaVu; the tests read
# them back with poppler-utils (pdftotext, pdfinfo, pdftoppm).
letter_packages=()
ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || letter_packages+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p | grep -q 'libharfbuzz-subset.so.0' || letter_packages+=(libharfbuzz-subset0)
fc-list 2>/dev/null | grep -q 'Liberation Sans' || letter_packages+=(fontconfig fonts-liberation fonts-dejavu-core)
command -v pdftoppm >/dev/null || letter_packages+=(poppler-utils)
if [ ${#letter_packages[@]} -gt 0 ]; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
  mkdir -p var
  # apt's chatter goes to a log; on failure its tail is shown.
  if ! { "${as_root[@]}" apt-get update && DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y \
      --no-install-recommends "${letter_packages[@]}"; } > var/apt-letters.log 2>&1; then
    tail -n 20 var/apt-letters.log >&2
    echo "installing ${letter_packages[*]} for the letters failed (the log is in var/apt-letters.log)" >&2
    exit 1
  fi
fi
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Every package comes from the lock files (scripts/lock.sh makes them), each checked against
# its hashes: requirements/main.lock is what the image installs, requirements/dev.lock the
# same pins plus the test tools. The project itself goes in editable, adding nothing (--no-deps)
# and built by the locked setuptools (--no-build-isolation), so nothing comes in unhashed.
stamp=.venv/.installed-$(cat pyproject.toml requirements/main.lock requirements/dev.lock | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  mkdir -p var
  # pip's chatter goes to a log; on failure it is shown whole.
  # An egg-info left in the tree by an older build would shadow the installed metadata
  # (the version `ubp --version` reports) for anything run from here.
  rm -rf ubp_orchestrator.egg-info
  if ! { .venv/bin/python -m pip install --require-hashes --no-deps -r requirements/main.lock -r requirements/dev.lock \
      && .venv/bin/python -m pip install --no-deps --no-build-isolation -e . \
      && .venv/bin/python -m pip check; } > var/pip.log 2>&1; then
    cat var/pip.log >&2
    echo "installing the project failed; the log above is in var/pip.log (a dependency added to pyproject.toml? bash scripts/lock.sh puts it in the locks)" >&2
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# The client generator of tests/test_generated_client.py (openapi-python-client), from its own lock
# into a venv of its own: it pins a Typer older than the project's, so the two cannot share one.
# Again only when its lock changed. Without it, that test is skipped, saying why.
openapi_stamp=.venv-openapi/.installed-$(sha256sum requirements/openapi-client.lock | cut -c1-16)
if [ ! -f "$openapi_stamp" ]; then
  mkdir -p var
  if ! { "$PYTHON" -m venv .venv-openapi \
      && .venv-openapi/bin/python -m pip install --require-hashes --no-deps -r requirements/openapi-client.lock; } \
      > var/pip-openapi.log 2>&1; then
    cat var/pip-openapi.log >&2
    echo "installing the client generator failed; the log above is in var/pip-openapi.log" >&2
    exit 1
  fi
  rm -f .venv-openapi/.installed-*
  touch "$openapi_stamp"
fi
# The dev stack's and the tests' OpenID provider (devstack/oidc, the `oidc-provider` npm
# package), from its lock file; again only when the lock changed. Without Node and npm the
# dev stack needs a provider of its own (UBP_OIDC_ISSUER) and the sign-in tests skip, saying why.
if command -v npm >/dev/null; then
  idp_stamp=devstack/oidc/node_modules/.installed-$(sha256sum devstack/oidc/package-lock.json | cut -c1-16)
  if [ ! -f "$idp_stamp" ]; then
    if ! npm ci --prefix devstack/oidc --no-audit --no-fund > var/npm.log 2>&1; then
      cat var/npm.log >&2
      echo "installing the dev identity provider failed; the log above is in var/npm.log" >&2
      exit 1
    fi
    touch "$idp_stamp"
  fi
else
  echo "npm not found: the dev identity provider (devstack/oidc) is not installed" >&2
fi
# The staff pages' styles: GOV.UK Frontend (npm `govuk-frontend`, pinned in web/frontend's lock
# to the release govuk-frontend-jinja was made for) compiled by Dart Sass into
# web/frontend/build/pages.css, which the app serves itself; again only when the lock or the
# stylesheet changed. Without npm the pages work, unstyled.
if command -v npm >/dev/null; then
  pages_stamp=web/frontend/build/.built-$(cat web/frontend/package-lock.json web/frontend/pages.scss | sha256sum | cut -c1-16)
  if [ ! -f "$pages_stamp" ]; then
    mkdir -p var
    if ! { npm ci --prefix web/frontend --no-audit --no-fund \
        && web/frontend/node_modules/.bin/sass --load-path=web/frontend/node_modules --pkg-importer=node \
          --style=compressed --no-source-map web/frontend/pages.scss web/frontend/build/pages.css; } > var/npm-pages.log 2>&1; then
      cat var/npm-pages.log >&2
      echo "building the pages' styles failed; the log above is in var/npm-pages.log" >&2
      exit 1
    fi
    rm -f web/frontend/build/.built-*
    touch "$pages_stamp"
  fi
else
  echo "npm not found: the staff pages' styles (web/frontend) are not built, and the pages show unstyled" >&2
fi
