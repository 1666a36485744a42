# Quickstart: `make demo` (runs the tool on the embedded sandbox) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXAMPLE ?= examples/quickstart

.PHONY: demo demo-workfront demo-creative-cloud test lint typecheck schema clean venv

$(BIN)/reconciler: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/reconciler

venv: $(BIN)/reconciler

## demo: validate -> apply (which prints the plan, once) -> plan on examples/quickstart against the embedded sandbox
demo: venv
	rm -rf $(EXAMPLE)/.reconciler
	$(BIN)/reconciler validate $(EXAMPLE)
	$(BIN)/reconciler apply --auto-approve $(EXAMPLE)
	$(BIN)/reconciler plan --detailed-exitcode $(EXAMPLE)

## demo-workfront: the same on examples/workfront (native Workfront integration, linked folders, metadata mapping)
demo-workfront:
	$(MAKE) demo EXAMPLE=examples/workfront

## demo-creative-cloud: seed 001 (connect AEM Assets to the Creative Cloud org of another IMS org)
demo-creative-cloud:
	$(MAKE) demo EXAMPLE=examples/creative-cloud

## test: the whole suite (PostgreSQL tests start a throw-away server: scripts/pg_throwaway.py, needs initdb/pg_ctl), then ruff and mypy
test: venv
	$(BIN)/pytest -n auto
	$(BIN)/ruff check reconciler tests
	$(BIN)/mypy reconciler
	$(BIN)/mypy --strict reconciler/engine

## schema: regenerate the configuration JSON Schema (packaged copy and the published one in schemas/)
schema: venv
	$(BIN)/python -m reconciler.schemagen > reconciler/data/config.schema.json
	cp reconciler/data/config.schema.json reconciler/data/plan.schema.json reconciler/data/workfront-features.yaml schemas/

clean:
	rm -rf $(VENV) .reconciler examples/*/.reconciler .pytest_cache .mypy_cache .ruff_cache
