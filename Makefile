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
# Front-end libraries of the pages (pinned in frontend/package-lock.json), copied by
# `npm run build` to where cbec serves them from; not in git.
WEB_VENDOR := src/cbec/web/static/vendor
WEB_STAMP := $(WEB_VENDOR)/.installed
DEMO_PORT ?= 8000
# Share (%) of the day's messages held back and fed while the server runs, so that the
# monitoring screen moves (0: ingest the whole day first).
DEMO_LIVE ?= 15
# A small export month ingested by the demo (waybills, arrivals, departures, summary).
DEMO_EXPORT_MONTH ?= 2026-10
DEMO_EXPORT_LISTS ?= 800
DEMO_EXPORT_ON ?= 2026-11-10
DEMO_URL := http://127.0.0.1:$(DEMO_PORT)

.PHONY: install test check demo demo-data bench clean browser

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check pip==26.3 setuptools==80.10.2
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(WEB_STAMP): frontend/package.json frontend/package-lock.json frontend/copy-assets.mjs
	@command -v npm >/dev/null 2>&1 || { \
		echo "error: npm was not found. The monitoring screen's libraries (ECharts, the China map)" >&2; \
		echo "come from the npm registry at install time: install Node.js 18+ with npm" >&2; \
		echo "(e.g. apt-get install nodejs npm) and run make again." >&2; exit 1; }
	cd frontend && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	cd frontend && npm run --silent build
	touch $@

# The pages' Chinese catalogue, compiled from the .po in git (the .mo is not in git).
WEB_MO := src/cbec/web/locale/zh_CN/LC_MESSAGES/messages.mo
$(WEB_MO): $(WEB_MO:.mo=.po) $(STAMP)
	$(BIN)/pybabel compile --statistics -d src/cbec/web/locale -D messages

install: $(STAMP) $(WEB_STAMP) $(WEB_MO)

## Debian's chromium and a Chinese font (fonts-noto-cjk) for the browser tests, installed when missing (as root with apt-get);
## without it those tests are skipped and say why.
browser:
	@if command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/opentype/noto ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium (and a Chinese font for its screenshots) for the browser tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; } \
			|| echo "chromium could not be installed: the browser tests will be skipped"; \
	else echo "no chromium, and no root apt-get to install it: the browser tests will be skipped"; fi

## The whole suite; on PostgreSQL too when it answers on 127.0.0.1:5432.
test: install browser
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
	$(BIN)/cbec sim --orders $(DEMO_ORDERS) --seed $(DEMO_SEED) --out $(DEMO_DIR) --bonded-stock
	$(BIN)/cbec registry import $(DEMO_DIR)/registry.json --keys-out $(DEMO_DIR)/keys.json
	$(BIN)/cbec portrait catalogue import $(DEMO_DIR)/catalogues.json
	@$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(12))" > $(DEMO_DIR)/officer-password
	@$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(24))" > $(DEMO_DIR)/admin-token
	$(BIN)/cbec officers add demo --name "Demo Officer" --role administrator --role reviewer \
		--role inspector --role risk_analyst --password-stdin < $(DEMO_DIR)/officer-password
	@n=$$(ls $(DEMO_DIR)/messages | wc -l); held=$$((n * $(DEMO_LIVE) / 100)); \
	if [ $$held -gt 0 ]; then mkdir -p $(DEMO_DIR)/live; \
		ls $(DEMO_DIR)/messages | tail -n $$held | sed 's|^|$(DEMO_DIR)/messages/|' \
			| xargs mv -t $(DEMO_DIR)/live; \
		echo "holding back $$held of $$n messages, fed while the server runs"; fi
	@# Stock the bonded warehouse first, so that the day's 1210 lists move the ledger.
	$(BIN)/cbec ingest $(DEMO_DIR)/bonded --workers 1
	$(BIN)/cbec ingest $(DEMO_DIR)/messages --workers 1
	$(BIN)/cbec clearance status
	@# A month of exports: lists released on waybill + arrival, closed on departure, summarised.
	$(BIN)/cbec sim-exports --month $(DEMO_EXPORT_MONTH) --lists $(DEMO_EXPORT_LISTS) \
		--seed $(DEMO_SEED) --out $(DEMO_DIR)/exports
	$(BIN)/cbec registry import $(DEMO_DIR)/exports/registry.json
	$(BIN)/cbec ingest $(DEMO_DIR)/exports/messages --workers 1
	$(BIN)/cbec export summarise --month $(DEMO_EXPORT_MONTH) --on $(DEMO_EXPORT_ON)
	$(BIN)/cbec export stats --month $(DEMO_EXPORT_MONTH)
	@# Consumer-end monitoring and network discovery over the day (flags, networks, case clues).
	$(BIN)/cbec network run
	@# One officer per role besides "demo" (who holds them all); passwords shown here only.
	@creds=""; for pair in reviewer:demo.reviewer inspector:demo.inspector risk_analyst:demo.analyst; do \
		role=$${pair%%:*}; user=$${pair#*:}; \
		pw=$$($(BIN)/python -c "import secrets; print(secrets.token_urlsafe(12))"); \
		printf '%s\n' "$$pw" | $(BIN)/cbec officers add $$user --name "Demo $$role" --role $$role \
			--password-stdin >/dev/null || exit 1; \
		creds="$$creds$$(printf '\n  %-16s %-18s %s' $$user $$pw $$role)"; \
	done; \
	echo; \
	echo "Officers (sign in at $(DEMO_URL)/login):"; \
	printf '  %-16s %-18s %s' demo "$$(cat $(DEMO_DIR)/officer-password)" "every role"; \
	echo "$$creds"; \
	echo "Administrator token (registry routes): $$(cat $(DEMO_DIR)/admin-token)"; \
	echo "Enterprise API keys: $(DEMO_DIR)/keys.json; ground truth of the injected fraud: $(DEMO_DIR)/labels.json"; \
	echo "API: $(DEMO_URL) (OpenAPI docs: $(DEMO_URL)/docs)"; \
	echo "Consumer quota page:  $(DEMO_URL)/consumer"; \
	echo "Monitoring screen:    $(DEMO_URL)/monitor"; \
	echo "Officer workbench:    $(DEMO_URL)/workbench"; \
	echo "Networks:             $(DEMO_URL)/networks"; \
	echo "Serving; Ctrl-C stops it"
	@# The held-back messages arrive 50 at a time while the server runs.
	@feed() { sleep 8; mkdir -p $(DEMO_DIR)/feed; \
		for f in $$(ls $(DEMO_DIR)/live 2>/dev/null); do mv $(DEMO_DIR)/live/$$f $(DEMO_DIR)/feed/; \
			if [ $$(ls $(DEMO_DIR)/feed | wc -l) -ge 50 ]; then \
				$(BIN)/cbec ingest $(DEMO_DIR)/feed --workers 0 >/dev/null 2>&1; \
				mv $(DEMO_DIR)/feed/* $(DEMO_DIR)/messages/; sleep 2; fi; done; \
		$(BIN)/cbec ingest $(DEMO_DIR)/feed --workers 0 >/dev/null 2>&1; \
		mv $(DEMO_DIR)/feed/* $(DEMO_DIR)/messages/ 2>/dev/null; rmdir $(DEMO_DIR)/feed $(DEMO_DIR)/live; }; \
	feed & feeder=$$!; trap 'kill $$feeder 2>/dev/null' EXIT; \
	CBEC_ADMIN_TOKEN=$$(cat $(DEMO_DIR)/admin-token) $(BIN)/cbec serve --port $(DEMO_PORT)

bench: install
	$(BIN)/cbec bench ingest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache frontend/node_modules $(WEB_VENDOR)
