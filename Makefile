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

.PHONY: demo test test-fast install viewer lint format mypy-baseline clean

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

# Settings for the checks that import Django (mypy's Django plugin, makemigrations) and for the tests.
TEST_ENV = DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} DEBUG=true
# mypy over the whole tree (pyproject.toml); only the errors listed in mypy-baseline.txt pass.
MYPY = $(TEST_ENV) $(VENV)/bin/mypy | $(VENV)/bin/mypy-baseline filter

test: install
	bash tests/services.sh
	$(MAKE) --no-print-directory viewer
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(MYPY)
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) \
		$(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

# The quick tier while working: no headless browser, no Celery worker or other server process, no notebook kernel
# (pytest markers browser, worker, notebook); no viewer build, lint or type check; the test databases of the last
# run kept (new migrations are applied; PYTEST_ARGS=--create-db starts afresh).
test-fast: install
	bash tests/services.sh
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile --reuse-db \
		-m "not browser and not worker and not notebook and not slow" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(MYPY)

# After fixing errors of mypy-baseline.txt: the list without them.
mypy-baseline: install
	$(TEST_ENV) $(VENV)/bin/mypy | $(VENV)/bin/mypy-baseline sync

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var test-artifacts $(FRONTEND)/node_modules landing/static/viewer
