#!/usr/bin/env bash
# Start SupportDesk on the embedded profile with the demo store's knowledge base:
# create the virtual environment, install, migrate, load the demo, then run daphne and the
# django-q2 cluster until Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST="${SUPPORTDESK_HOST:-127.0.0.1}"
PORT="${SUPPORTDESK_PORT:-8000}"
export SUPPORTDESK_DATA_DIR="${SUPPORTDESK_DATA_DIR:-$PWD/var}"
export HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False

if [ ! -x .venv/bin/python ]; then
  python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py setup_demo
.venv/bin/python manage.py setup_schedules

.venv/bin/python manage.py qcluster &
cluster_pid=$!
.venv/bin/daphne -b "$HOST" -p "$PORT" supportdesk.asgi:application &
daphne_pid=$!
trap 'kill "$cluster_pid" "$daphne_pid" 2>/dev/null; wait' INT TERM EXIT

cat <<MESSAGE

SupportDesk is running (data in $SUPPORTDESK_DATA_DIR):
  Customer chat:   http://$HOST:$PORT/chat/
  Agent console:   http://$HOST:$PORT/agent/         (agent or senior / supportdesk-demo)
  Admin:           http://$HOST:$PORT/admin/          (manager or lead / supportdesk-demo)
Press Ctrl+C to stop.

MESSAGE
wait "$daphne_pid"
