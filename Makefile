# Koban. `make run` starts the dashboard with Lisbon demo data; `make test` runs every check.
SHELL := /bin/bash
VENV := .venv/bin
export DJANGO_SETTINGS_MODULE := koban.settings
# Development settings (published key, plain HTTP) only where a target asks for them; production
# sets SECRET_KEY instead (docker-compose.yml). pytest sets KOBAN_DEV itself (pyproject.toml).
DEV := KOBAN_DEV=true

.PHONY: setup run test test-faults lint format bench screenshots clean

setup:   ## install and start what is missing (apt, PostgreSQL+PostGIS, Redis, .venv, database)
	bash scripts/setup.sh

run: setup   ## migrate, load the demo, start web (a process per core) + Celery worker + beat (Ctrl-C stops all)
	$(DEV) bash scripts/run.sh

test: setup  ## Django checks, migrations up to date, ruff, then the whole pytest suite
	$(DEV) $(VENV)/python manage.py check --fail-level WARNING
	$(DEV) $(VENV)/python manage.py makemigrations --check --dry-run
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/pytest

test-faults: setup  ## only the fault-injection tests (workers killed mid-sync, Redis frozen or killed, outbox lock held; also in make test)
	$(VENV)/pytest -m faults

lint:    ## ruff only
	$(VENV)/ruff check . && $(VENV)/ruff format --check .

format:  ## apply ruff fixes and formatting
	$(VENV)/ruff check --fix . && $(VENV)/ruff format .

bench: setup  ## benchmarks under bench/ (map and lists at BENCH_SIZE incidents, default 100000, live feed, API under load, insight pages), results in var/bench/; not part of make test (docs/performance.md)
	$(DEV) $(VENV)/python -m bench

clean:
	rm -rf .venv var .pytest_cache
