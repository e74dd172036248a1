# PaN Commons — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The test suite runs against real servers; defaults are the local ones (tests/services.sh starts them).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pancommons
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# Test processes (pytest-xdist); each takes its own Redis database counting down from TEST_REDIS_URL's.
TEST_PROCESSES ?= 2

# The H5Web viewer's bundle (landing/viewer/frontend → landing/static/viewer), rebuilt only when its sources change.
FRONTEND := landing/viewer/frontend
VIEWER_BUNDLE := landing/static/viewer/viewer.js

.PHONY: demo test install viewer lint format clean

$(VENV)/.installed: pyproject.toml
	@echo "Installing PaN Commons and its dependencies into $(VENV) (1–2 minutes the first time) …"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --progress-bar on -e '.[dev]'
	touch $@

install: $(VENV)/.installed

$(FRONTEND)/node_modules/.package-lock.json: $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund --loglevel=error

$(VIEWER_BUNDLE): $(FRONTEND)/node_modules/.package-lock.json $(FRONTEND)/vite.config.js $(wildcard $(FRONTEND)/src/*)
	cd $(FRONTEND) && npm run --silent build -- --logLevel warn

viewer: $(VIEWER_BUNDLE)

demo: install viewer
	DEBUG=$${DEBUG:-true} $(PY) manage.py demo --port $(PORT)

test: install
	bash tests/services.sh
	$(MAKE) --no-print-directory viewer
	$(VENV)/bin/ruff check .
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} DEBUG=true \
		$(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} DEBUG=true \
		$(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var test-artifacts $(FRONTEND)/node_modules landing/static/viewer
