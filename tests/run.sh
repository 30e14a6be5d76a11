#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine, then runs lint, types and the whole suite.
#   bash tests/run.sh            # from the repository root (README's test command; CI runs it)
# Extra arguments go to pytest, e.g. bash tests/run.sh -k overview
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium drives the browser tests (playwright downloads no browser of its own), a
# Java runtime runs the Spark engine's tests on local[2],
# Debian's PostgreSQL server backs the database tests (each run starts a throwaway cluster), and a
# Chinese font (WenQuanYi Zen Hei, 7 MB against Noto CJK's 60) lets the 中文 browser tests check
# that Chinese text renders as glyphs, not as empty boxes.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v java >/dev/null || missing+=(default-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements-dev.txt

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

# The browser, PostgreSQL, Spark and reference-dataset tests must run here, not skip: a missing
# browser, server, Java or ../shared/datasets folder fails the run. pytest exits 5 when it collects no test; set -e makes that a failure too.
# Two workers (pytest-xdist) that take work from each other when one runs out (worksteal): the
# suite fits the CI time budget on two cores. Module fixtures (a browser, a served app, a
# PostgreSQL cluster) are started once per worker that runs tests of that module.
MARKETLENS_REQUIRE_E2E=1 MARKETLENS_REQUIRE_POSTGRES=1 MARKETLENS_REQUIRE_DATASETS=1 \
  MARKETLENS_REQUIRE_SPARK=1 \
  .venv/bin/python -m pytest -n "${MARKETLENS_TEST_WORKERS:-2}" --dist worksteal --durations=15 "$@"
