# livret — the two commands of the README are `make run` and `make test`.
# Everything is installed into .venv by this file; nothing needs installing by hand
# beyond python3 (3.11+) with its venv module.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
SMTP_SINK_PORT ?= 1025

.PHONY: help run test screenshots check lint format typecheck migrations-check bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "livret needs Python 3.11 or newer as '$(PYTHON)' (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
	  { echo "cannot create a virtual environment: on Debian, apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP) ## install, set up the SQLite database with the presets and a demo, and serve
	@# HOST and PORT reach the demo too: without LIVRET_SITE_URL, its links and its probes
	@# follow the address it is served on (make run PORT=8001 watches port 8001).
	LIVRET_HOST=$(HOST) LIVRET_PORT=$(PORT) $(BIN)/livret demo
	@echo "open http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/, API: http://$(HOST):$(PORT)/api/docs)"
	@# Without LIVRET_SMTP_HOST, outgoing mail goes to a local sink that prints it here, decoded.
	@if [ -z "$$LIVRET_SMTP_HOST" ]; then \
	  echo "outgoing mail is printed below by a local SMTP sink on 127.0.0.1:$(SMTP_SINK_PORT)"; \
	  $(BIN)/python -m livret.mail.sink --host 127.0.0.1 --port $(SMTP_SINK_PORT) & sink=$$!; \
	  trap 'kill $$sink 2>/dev/null' EXIT INT TERM; \
	  LIVRET_SMTP_PORT=$(SMTP_SINK_PORT) $(BIN)/livret serve --host $(HOST) --port $(PORT) --with-worker; \
	else \
	  $(BIN)/livret serve --host $(HOST) --port $(PORT) --with-worker; \
	fi

test: $(STAMP) ## run the whole test suite (DATABASE_URL=postgres://… to run it on PostgreSQL)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

screenshots: $(STAMP) ## refresh docs/screenshots/ from the browser tests
	LIVRET_SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest tests/browser -q

check: lint typecheck migrations-check ## ruff, import layers, mypy and the migrations check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP) ## reformat the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy livret
	$(BIN)/mypy --strict livret/core

migrations-check: $(STAMP)
	LIVRET_DATA_DIR=$$(mktemp -d) $(BIN)/livret manage makemigrations --check --dry-run

bench: $(STAMP) ## run the benchmarks (slow; results go to docs/performance.md by hand)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench_calendar.py
	$(BIN)/python benchmarks/bench_availability.py
	$(BIN)/python benchmarks/bench_rules.py
	$(BIN)/python benchmarks/bench_probes.py
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_status_page.py

clean: ## remove the virtual environment and local data
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
