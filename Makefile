# One entry point. `make demo` sets everything up and runs the app; `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo setup run test lint check-migrations messages vendor chromium clean help bench chaos
.PHONY: multihost

help:
	@echo "make demo   - install, migrate, load demo data and run web + worker + beat (SQLite, no servers)"
	@echo "make test   - run the test suite (SQLite by default; set DATABASE_URL / REDIS_URL for PostgreSQL / Redis)"
	@echo "make lint   - ruff and the migrations check"

$(STAMP): requirements/base.txt requirements/dev.txt requirements/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt -c requirements/constraints.txt
	@touch $(STAMP)

setup: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py seed_demo

run: $(STAMP)
	@echo
	@echo "  Wallet follow-up is starting at http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password demo-password-2026): agent, agent2, manager, admin"
	@echo "  Then a code: authenticator key DEMODEMODEMODEMODEMODEMODEMODEMO, or DEBUG=1 $(BIN)/python manage.py demo_code"
	@echo "  Health: http://$(HOST):$(PORT)/health/    Stop with Ctrl-C."
	@echo
	PATH="$(abspath $(BIN)):$$PATH" DEBUG=1 HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho start -f Procfile.dev

demo: setup run

chromium:
	@test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" || { \
		echo "Installing Chromium from Debian for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) chromium
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-migrations: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

messages: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --no-wrap --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
	DEBUG=1 $(BIN)/python manage.py compilemessages -l zh_Hans --ignore '.venv/*'

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

vendor:
	scripts/vendor-assets.sh

# The fault scenarios against a whole stack of their own (PostgreSQL cluster, Redis, SMTP, gunicorn, Celery):
# one PASS/FAIL line each (bench/chaos.py; docs/benchmarks/chaos.md). Waits up to 31 min for a contact window
# to close. CHAOS_ARGS=--fast runs the CI subset.
chaos: $(STAMP)
	$(BIN)/python bench/chaos.py $(CHAOS_ARGS)

clean:
	rm -rf var

# The stack split across hosts (network namespaces; root): docs/benchmarks/multihost.md. MULTIHOST_ARGS=--check
# proves only the hosts and the queues; MULTIHOST_ARGS=--cleanup removes what a crashed run left.
multihost: $(STAMP)
	$(BIN)/python bench/multihost.py $(MULTIHOST_ARGS)
