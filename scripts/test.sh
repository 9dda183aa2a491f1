#!/usr/bin/env bash
# Run every check of SupportDesk: lint, format, types, migrations, then the whole test suite.
# Creates .venv and installs the pinned requirements first, so it works on a clean clone.
set -euo pipefail
cd "$(dirname "$0")/.."

export HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False
# Static checks import the settings, which create the data folder: keep it out of the tree.
check_data_dir="$(mktemp -d)"
trap 'rm -rf "$check_data_dir"' EXIT

if [ ! -x .venv/bin/python ]; then
  python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt

# Browser tests drive Debian's Chromium through Playwright (never `playwright install`).
# Without root it cannot be installed here, and those tests skip, saying why.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update
    apt-get install -y chromium
  else
    echo "Chromium is missing at /usr/bin/chromium and installing it needs root: browser tests will be skipped." >&2
  fi
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
SUPPORTDESK_DATA_DIR="$check_data_dir" .venv/bin/mypy .
SUPPORTDESK_DATA_DIR="$check_data_dir" .venv/bin/python manage.py makemigrations --check --dry-run
.venv/bin/python -m pytest "$@"
