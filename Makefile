# Koban. `make run` starts the dashboard with Lisbon demo data; `make test` runs every check.
SHELL := /bin/bash
VENV := .venv/bin
export DJANGO_SETTINGS_MODULE := koban.settings

.PHONY: setup run test lint format bench screenshots clean

setup:   ## install and start what is missing (apt, PostgreSQL+PostGIS, Redis, .venv, database)
	bash scripts/setup.sh

run: setup   ## migrate, load the demo, start web + Celery worker + beat (Ctrl-C stops all)
	bash scripts/run.sh

test: setup  ## Django checks, migrations up to date, ruff, then the whole pytest suite
	$(VENV)/python manage.py check --fail-level WARNING
	$(VENV)/python manage.py makemigrations --check --dry-run
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/pytest

lint:    ## ruff only
	$(VENV)/ruff check . && $(VENV)/ruff format --check .

format:  ## apply ruff fixes and formatting
	$(VENV)/ruff check --fix . && $(VENV)/ruff format .

bench: setup  ## benchmarks under bench/ (not part of make test)
	$(VENV)/python -m bench

clean:
	rm -rf .venv var .pytest_cache
