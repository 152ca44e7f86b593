# The two commands: `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: map-bundle run test check test-unit test-integration test-e2e test-faults bench exercise up up-cluster down lint contracts clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

system-deps:
	@sh infra/system-deps.sh

# Plotly's map bundle for the twin's pages (twin/ui/plotly_bundle.py: fetched with npm once, checked by its
# digest); without it the twin serves Dash's full bundle and the first map draws later
map-bundle: $(STAMP)
	@$(PY) -m twin.ui.plotly_bundle || true

run: $(STAMP) map-bundle
	$(PY) -m infra.run

test: $(STAMP) system-deps
	$(PY) -m pytest -q -ra

# the fast edit loop: lint, then the unit tests, stopping at the first failure (no system packages needed)
check: $(STAMP)
	$(PY) -m ruff check services twin infra bench tests
	$(PY) -m pytest -q -x tests/unit

test-unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

test-integration: $(STAMP)
	$(PY) -m pytest -q tests/integration

test-faults: $(STAMP)
	$(PY) -m pytest -q -ra tests/faults

test-e2e: $(STAMP) system-deps
	$(PY) -m pytest -q tests/e2e

bench: $(STAMP) map-bundle
	$(PY) -m bench

# make exercise SCENARIO=<built-in name or file> [SPEED=1..600]
SCENARIO ?= telecom-fraud
exercise: $(STAMP)
	$(PY) -m infra.exercise run $(SCENARIO) $(if $(SPEED),--speed $(SPEED))

# contracts/asyncapi.yaml from contracts/ and its HTML page (contracts/asyncapi.html, built, not kept in git);
# the event contracts against the previous release (BACKWARD); the AsyncAPI Initiative's parser when installed
contracts: $(STAMP)
	$(PY) -m services.common.contracts asyncapi > contracts/asyncapi.yaml
	$(PY) -m services.common.contracts html contracts/asyncapi.yaml > contracts/asyncapi.html
	$(PY) -m services.common.contracts compat
	@if command -v node >/dev/null 2>&1 && [ -d infra/asyncapi/node_modules ]; then \
	  node infra/asyncapi/check.mjs contracts/asyncapi.yaml; \
	else echo "note: run make system-deps to check contracts/asyncapi.yaml with the AsyncAPI parser"; fi

up:
	@test -f .env || { echo "error: no .env: cp .env.example .env, then set its passwords and keys"; exit 1; }
	docker compose up -d --build

up-cluster:
	@test -f .env || { echo "error: no .env: cp .env.example .env, then set its passwords and keys"; exit 1; }
	docker compose --env-file .env --env-file infra/compose/cluster.env up -d --build

down:
	docker compose --profile cluster down

lint: $(STAMP)
	$(PY) -m ruff check services twin infra bench tests

clean:
	rm -rf var .pytest_cache
