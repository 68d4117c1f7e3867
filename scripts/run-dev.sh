#!/usr/bin/env bash
# `make run`: migrate, seed the demo once, then web + Celery worker with embedded beat.
# Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-1}"
export PYTHONUNBUFFERED=1
PORT="${PORT:-8000}"
# Links in e-mails (sent by the worker) point at this server, on whichever port it listens.
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
PY=.venv/bin/python
if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  echo "Opinia: ${DATABASE_URL:+PostgreSQL from DATABASE_URL}${DATABASE_URL:-SQLite in var/opinia.sqlite3} and ${REDIS_URL:+Redis from REDIS_URL}${REDIS_URL:-the embedded filesystem broker in var/broker} (set DATABASE_URL and REDIS_URL to use PostgreSQL and Redis)."
fi
$PY manage.py migrate --noinput -v0
$PY manage.py seed_demo
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "Stopping web, worker and beat..."
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 20); do
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.5
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT
# One worker consumes every queue (portal/queues.py); production runs a pool per queue.
.venv/bin/celery -A portal worker -B -Q celery,sweeps,photos,mail,webhooks --loglevel=INFO --concurrency=2 --without-gossip --without-mingle &
pids+=($!)
$PY manage.py runserver "127.0.0.1:$PORT" --noreload &
pids+=($!)
sleep 2
echo
echo "Opinia is running at http://127.0.0.1:$PORT/  (admin: http://127.0.0.1:$PORT/admin/) — Ctrl-C stops everything."
wait -n "${pids[@]}"
