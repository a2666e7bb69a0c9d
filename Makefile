# The two commands of the README: `make demo` and `make test`. Both build .venv themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_ORDERS ?= 5000
DEMO_SEED ?= 2026
DEMO_DIR := var/demo
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install test check demo demo-data bench clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check pip==26.3 setuptools==80.10.2
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

## The whole suite; on PostgreSQL too when it answers on 127.0.0.1:5432.
test: install
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		echo "PostgreSQL answers: store tests run on SQLite and PostgreSQL"; \
		export CBEC_TEST_POSTGRES_URL="$(PG_URL)"; \
	else echo "PostgreSQL not reachable: store tests run on SQLite only"; fi; \
	$(BIN)/pytest -n 2 -q

## Lint, format check and types (run before each commit).
check: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

## A synthetic day: generate it, file the registry, ingest and clear it, then serve the API.
demo: install
	rm -rf $(DEMO_DIR) var/cbec.db var/cbec.db-wal var/cbec.db-shm
	mkdir -p $(DEMO_DIR)
	$(BIN)/cbec db upgrade
	$(BIN)/cbec catalog seed
	$(BIN)/cbec sim --orders $(DEMO_ORDERS) --seed $(DEMO_SEED) --out $(DEMO_DIR)
	$(BIN)/cbec registry import $(DEMO_DIR)/registry.json --keys-out $(DEMO_DIR)/keys.json
	@$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(12))" > $(DEMO_DIR)/officer-password
	@$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(24))" > $(DEMO_DIR)/admin-token
	$(BIN)/cbec officers add demo --name "Demo Officer" --role administrator --role reviewer \
		--role inspector --role risk_analyst --password-stdin < $(DEMO_DIR)/officer-password
	$(BIN)/cbec ingest $(DEMO_DIR)/messages --workers 1
	$(BIN)/cbec clearance status
	@echo "Officer login: demo / $$(cat $(DEMO_DIR)/officer-password)  (POST /api/v1/officers/login)"
	@echo "Administrator token (registry routes): $$(cat $(DEMO_DIR)/admin-token)"
	@echo "Enterprise API keys: $(DEMO_DIR)/keys.json; ground truth of the injected fraud: $(DEMO_DIR)/labels.json"
	@echo "Serving the API on http://127.0.0.1:8000 (OpenAPI docs: http://127.0.0.1:8000/docs); Ctrl-C stops it"
	CBEC_ADMIN_TOKEN=$$(cat $(DEMO_DIR)/admin-token) $(BIN)/cbec serve

bench: install
	$(BIN)/cbec bench ingest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
