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
stop() {
  trap - INT TERM EXIT
  kill "$cluster_pid" "$daphne_pid" 2>/dev/null || true
  # The q2 cluster sometimes hangs while stopping; give it 10 s, then end it.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 "$cluster_pid" 2>/dev/null || kill -0 "$daphne_pid" 2>/dev/null || return 0
    sleep 1
  done
  kill -KILL "$cluster_pid" "$daphne_pid" 2>/dev/null || true
}
trap stop INT TERM EXIT

cat <<MESSAGE

SupportDesk is running (data in $SUPPORTDESK_DATA_DIR):
  Customer chat:   http://$HOST:$PORT/chat/
  Agent console:   http://$HOST:$PORT/agent/         (agent or senior / supportdesk-demo)
  Admin:           http://$HOST:$PORT/admin/          (manager or lead / supportdesk-demo)
Press Ctrl+C to stop.

MESSAGE
wait "$daphne_pid"
