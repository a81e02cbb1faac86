#!/usr/bin/env bash
# Idempotent set-up for `make run` and `make test` on Debian 12/13 as root: system packages,
# PostgreSQL + PostGIS, Redis, the virtualenv, the database. Skips whatever is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
PG_MAJOR=""
if [ -d /etc/postgresql ]; then PG_MAJOR="$(ls /etc/postgresql | sort -n | tail -1)"; fi

need_pkgs=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
if [ -z "$PG_MAJOR" ]; then need_pkgs+=(postgresql); fi
for p in gdal-bin redis-server chromium python3-venv; do have "$p" || need_pkgs+=("$p"); done
if [ -n "$PG_MAJOR" ]; then have "postgresql-$PG_MAJOR-postgis-3" || need_pkgs+=("postgresql-$PG_MAJOR-postgis-3"); fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  if [ -z "$PG_MAJOR" ]; then
    PG_MAJOR="$(ls /etc/postgresql | sort -n | tail -1)"
    apt-get install -y -qq "postgresql-$PG_MAJOR-postgis-3" >/dev/null
  fi
fi

# PostgreSQL running?
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  log "starting PostgreSQL $PG_MAJOR"
  pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# Role for the current user (root), as superuser: PostGIS is not a trusted extension.
if ! psql -d postgres -Atc "select 1" >/dev/null 2>&1; then
  log "creating PostgreSQL role $(whoami)"
  su postgres -c "createuser --superuser $(whoami)" || true
fi
# Redis running?
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 20); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.5; done
fi

# Virtualenv with the project; reinstall only when pyproject.toml changed.
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then log "creating .venv"; "$PY" -m venv .venv; fi
stamp=.venv/.koban-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  log "installing Python dependencies"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
  touch "$stamp"
fi

# Databases: the app's, and PostGIS in template1 so test databases get it from a superuser.
DB_NAME="${KOBAN_DB_NAME:-koban}"
PGOPTIONS=--client-min-messages=warning psql -d template1 -Atqc "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
if ! psql -d postgres -Atc "select 1 from pg_database where datname='$DB_NAME'" | grep -q 1; then
  log "creating database $DB_NAME"
  createdb "$DB_NAME"
fi
PGOPTIONS=--client-min-messages=warning psql -d "$DB_NAME" -Atqc "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
log "ready (PostgreSQL $PG_MAJOR, Redis, .venv)"
