# Astral: `make run` serves the demo club, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SERVICES_DIR ?= .services

.PHONY: run install test lint format services services-stop worker beat bench loadtest fuzz clean browser-deps

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:$(PORT)

browser-deps:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v chromium >/dev/null || { echo "chromium could not be installed" >&2; exit 1; }

test: install browser-deps
	scripts/test.sh

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

services:
	scripts/services.sh start $(SERVICES_DIR)
	@echo "Now: . $(SERVICES_DIR)/env && make run   (and make worker, make beat in other shells)"

services-stop:
	scripts/services.sh stop $(SERVICES_DIR)

worker: install
	$(VENV)/bin/celery -A astral worker --loglevel=INFO --concurrency=2

beat: install
	$(VENV)/bin/celery -A astral beat --loglevel=INFO --schedule=$(SERVICES_DIR)/celerybeat-schedule

bench: install
	scripts/bench.sh

loadtest: install
	scripts/bench.sh --loadtest

fuzz: install
	ASTRAL_FUZZ_EXAMPLES=50 scripts/test.sh tests/integration/hardening/test_fuzz.py

clean:
	rm -rf $(VENV) db.sqlite3 test-output bench-output
