# Two commands matter: `make demo` and `make test`. Both create .venv when it is missing.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(DEVSTAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEVSTAMP)

demo: $(STAMP)
	$(BIN)/policyc check policies/cs_levels_2021.policy
	$(BIN)/policyc eval policies/cs_levels_2021.policy examples/cs_levels_2021/records.csv --format table
	$(BIN)/policyc explain policies/cs_levels_2021.policy examples/cs_levels_2021/records.csv --employee E2110002 --period 2021-06

lint: $(DEVSTAMP)
	$(BIN)/ruff check policyc tests bench
	$(BIN)/ruff format --check policyc tests bench
	$(BIN)/mypy

test: $(DEVSTAMP) lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info
