#!/usr/bin/env bash
# `make run`: migrate, load the Lisbon demo, then web (gunicorn: one uvicorn process per core,
# KOBAN_WEB_WORKERS to change it; koban/server.py), Celery worker and beat together.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export KOBAN_PORT="${KOBAN_PORT:-8000}"
# A development machine: the published development key, plain HTTP on loopback, static files
# served from the source folders (no collectstatic). Production runs docker-compose.yml instead.
export KOBAN_DEV=true
python manage.py migrate --noinput
python manage.py load_demo
# Example sources (disabled placeholders for the city's systems), kept as a versioned file.
python manage.py apply_sources data/demo/sources.yaml
cat <<MSG

  Koban is starting on http://127.0.0.1:${KOBAN_PORT}/  (Ctrl-C stops the web server,
  the Celery worker and Celery beat together)

MSG
exec honcho -f Procfile start
