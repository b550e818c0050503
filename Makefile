# Relintel: `make run` (fresh clone to a running demo) and `make test` (the whole suite).
# Needs only Python 3.11+ (with venv) and make; everything else goes into .venv.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.relintel-installed
MANAGE := $(PY) manage.py

# The demo runs with DEBUG on and, unless DATABASE_URL / CELERY_BROKER_URL are
# set, on the embedded SQLite file and filesystem broker under var/.
RUN_DEBUG ?= 1
# ... and connects the demo organization to the local Salesforce emulator, so a new user sees
# a live sync (set to 0 to leave it out). The sync needs PostgreSQL: with a PostgreSQL on
# 127.0.0.1:5432 and no DATABASE_URL, the demo uses its database relintel_demo
# (scripts/demo_database.py); without one it runs on SQLite, without the sync.
RELINTEL_DEMO_SALESFORCE ?= 1

# The test suite runs on the real PostgreSQL and Redis (see .ci/run).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/relintel
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: help install run test lint fmt lock clean bench-capture bench-sync bench-web

help:
	@echo "make run      create .venv, install, migrate, seed the demo, start web + worker + beat"
	@echo "make test     lint, then the whole pytest suite on PostgreSQL (DATABASE_URL, REDIS_URL)"
	@echo "make lint     ruff check, ruff format --check, mypy, makemigrations --check"
	@echo "make install  create .venv and install the project with its dev tools"
	@echo "make fmt      ruff format + ruff check --fix"
	@echo "make lock     re-pin indirect dependencies into requirements/constraints.txt"
	@echo "make bench-capture   capture throughput (mbox and IMAP) against parse-only baselines"
	@echo "make bench-sync      Salesforce push: API calls per record against the floor, emulator backfill + incremental"
	@echo "make bench-web       p50/p95 server time and SQL queries of the main pages on the large demo (100k contacts, 1M interactions)"

# --- virtualenv ----------------------------------------------------------------
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "Relintel needs Python 3.11 or newer as '$(PYTHON)' (try: make PYTHON=python3.12 ...)."; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { \
		rm -rf $(VENV); \
		v=$$($(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")'); \
		echo ""; \
		echo "Could not create $(VENV): this Python lacks venv/ensurepip."; \
		echo "On Debian/Ubuntu install it with:  sudo apt-get install python$$v-venv   (or python3-venv)"; \
		exit 1; }

# Reinstall only when the dependency list changed (the stamp is newer otherwise).
$(STAMP): pyproject.toml requirements/constraints.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements/constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

lock: $(STAMP)
	$(PY) scripts/lock_constraints.py

# --- run the demo ----------------------------------------------------------------
run: export DEBUG ?= $(RUN_DEBUG)
run: export RELINTEL_DEMO_SALESFORCE := $(RELINTEL_DEMO_SALESFORCE)
run: $(STAMP)
	@export DATABASE_URL="$$($(PY) scripts/demo_database.py)" && set -x && \
	$(MANAGE) migrate --noinput && \
	$(MANAGE) collectstatic --noinput --verbosity 0 && \
	$(MANAGE) seed_demo --if-empty && \
	exec $(PY) scripts/run_dev.py

# --- quality -------------------------------------------------------------------
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	DEBUG=1 DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" $(MANAGE) makemigrations --check --dry-run

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
		$(VENV)/bin/pytest $(PYTEST_ARGS)

# --- benchmarks (print figures, never assert; see BENCHMARKS.md) -------------------
bench-capture: $(STAMP)
	$(PY) benchmarks/capture.py

bench-sync: $(STAMP)
	$(PY) benchmarks/sync.py

bench-web: $(STAMP)
	$(PY) benchmarks/web.py

clean:
	rm -rf staticfiles .pytest_cache .mypy_cache .ruff_cache
