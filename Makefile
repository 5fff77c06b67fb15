# Vobiz Team Portal. `make demo` runs it locally; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
LINT_PATHS := core sync portal simulator accounts trunks phone_numbers billing monitoring credentials vobiz loadtest tests bench manage.py

.PHONY: demo test lint venv serve clean-demo loadtest

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

.env: | venv
	$(PY) -m portal.envfile .env

demo: venv .env
	DEMO_ADDR=$(HOST):$(PORT) $(PY) -m portal.demo

test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(PY) manage.py check --settings=portal.test_settings
	$(PY) manage.py makemigrations --check --dry-run --settings=portal.test_settings

# Portal and Vobiz path under load, on 127.0.0.1 only; stops by itself within 10 min.
# Report: var/loadtest/index.html. LOADTEST_ARGS=--quick: 100k CDRs, short phases.
LOADTEST_ARGS ?=
loadtest: venv
	$(PY) -m loadtest $(LOADTEST_ARGS)

clean-demo:
	rm -rf var .env
