# The two commands: `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-unit test-integration test-e2e bench exercise up down lint contracts clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

system-deps:
	@sh infra/system-deps.sh

run: $(STAMP)
	$(PY) -m infra.run

test: $(STAMP) system-deps
	$(PY) -m pytest -q -ra

test-unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

test-integration: $(STAMP)
	$(PY) -m pytest -q tests/integration

test-e2e: $(STAMP) system-deps
	$(PY) -m pytest -q tests/e2e

bench: $(STAMP)
	$(PY) -m bench

contracts: $(STAMP)
	$(PY) -m services.common.contracts asyncapi > contracts/asyncapi.yaml

up:
	docker compose up --build

down:
	docker compose down

lint: $(STAMP)
	$(PY) -m ruff check services twin infra bench tests

clean:
	rm -rf var .pytest_cache
