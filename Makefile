# m2gui developer commands. Every target creates .venv if it is missing and
# installs the project (with its test extra) into it when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export QT_API := pyside6

.PHONY: run sim test lint format bench screenshot clean wheel-check

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "m2gui needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## Start m2gui against the embedded controller simulator.
run: $(STAMP)
	$(BIN)/m2gui --simulate $(ARGS)

## Start the standalone controller simulator (Ctrl+C to stop).
sim: $(STAMP)
	$(BIN)/m2gui-sim $(ARGS)

## Run the whole test suite headless. The broker tests run in processes of
## their own, and the two that run aiomqtt on a qasync loop each alone: after
## them, a later test in the same process was seen to hang with the Qt loop
## idle, or to crash in pytest-qt's event processing (stale Qt objects of a
## closed qasync loop; see tests/broker/conftest.py).
QASYNC_BROKER := tests/broker/test_qasync.py tests/broker/test_windows.py
test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest --ignore=tests/broker $(ARGS)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/broker $(foreach f,$(QASYNC_BROKER),--ignore=$(f)) $(ARGS)
	for f in $(QASYNC_BROKER); do QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $$f $(ARGS) || exit 1; done

## Lint, format check, type check and layering contracts.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy m2gui
	$(BIN)/lint-imports

## Build the wheel, install it into a fresh venv and start m2gui from it.
wheel-check: $(STAMP)
	PYTHON=$(CURDIR)/$(BIN)/python .ci/check-wheel

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Print the benchmark figures (one JSON object per line).
bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "# $$b"; QT_QPA_PLATFORM=offscreen $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
