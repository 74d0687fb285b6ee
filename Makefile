# The two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres bench lint format messages clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## Set up (venv, install, migrate, demo data when empty) and serve on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/aftersales setup
	$(BIN)/aftersales serve --host 127.0.0.1 --port 8000

## Run the whole suite on SQLite, and again on PostgreSQL + Redis when the test URLs are set
test: $(STAMP)
	@$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$AFTERSALES_TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "AFTERSALES_TEST_DATABASE_URL is not set: the PostgreSQL run was not made (.ci/run makes it)."; fi

test-sqlite: $(STAMP)
	env -u AFTERSALES_TEST_DATABASE_URL -u AFTERSALES_TEST_REDIS_URL $(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS)

test-postgres: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS)

## Benchmarks: figures into bench/results/*.json
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

messages: $(STAMP)
	cd src/aftersales && ../../$(BIN)/python -m django makemessages -l es --ignore='tests/*' --settings=aftersales.settings
	cd src/aftersales && ../../$(BIN)/python -m django compilemessages --settings=aftersales.settings

clean:
	rm -rf $(VENV) build *.egg-info
