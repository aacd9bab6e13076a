# The two commands of the README:  make run  (whole OMS, embedded)  and  make test  (the test suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Tests run on the local PostgreSQL unless DATABASE_URL says otherwise (the suite makes its own database).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?=

.PHONY: run test install lint security audit format browser-deps screenshots bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Options of runoms: make run ARGS="--port 8001 --no-demo-data"
ARGS ?=
run: install
	$(PY) manage.py runoms $(ARGS)

browser-deps:
	bash scripts/ensure_chromium.sh

test: install browser-deps
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Static security analysis of the project's code (config and justifications: pyproject.toml, docs/security.md).
security: install
	$(VENV)/bin/bandit -c pyproject.toml -r . -q

# Known vulnerabilities of the pinned runtime packages. Needs PyPI's per-release JSON API (or OSV with
# PIP_AUDIT_SERVICE=osv); --strict fails when a package could not be checked instead of passing silently.
PIP_AUDIT_SERVICE ?= pypi
audit: install
	$(VENV)/bin/pip-audit -r requirements.txt --no-deps --strict --vulnerability-service $(PIP_AUDIT_SERVICE)

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Screenshots of the storefront for docs/screenshots/: the browser tests save the pages they visit.
screenshots: install browser-deps
	OMS_SCREENSHOTS_DIR=docs/screenshots DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m pytest -q -p no:cacheprovider tests/browser
