#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine, then runs lint, types and the whole suite.
#   bash tests/run.sh            # from the repository root (README's test command; CI runs it)
# Extra arguments go to pytest, e.g. bash tests/run.sh -k overview
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium drives the browser tests (playwright downloads no browser of its own).
if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements-dev.txt

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

# The browser tests must run here, not skip: a missing browser fails the run.
# pytest exits 5 when it collects no test; set -e makes that a failure too.
MARKETLENS_REQUIRE_E2E=1 .venv/bin/python -m pytest "$@"
