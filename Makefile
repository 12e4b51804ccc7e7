# Everything a fresh machine needs, from Python ≥ 3.11 and make alone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
Q ?= What does Russia plan to give North Korea?
# Each test file runs whole in one of three workers, so a file's bot process starts once; three
# on two cores, as much of the suite waits on processes starting and on sockets.
PYTEST_ARGS ?= -n 3 --dist loadfile

.PHONY: help install ask test lint typecheck pytest format clean

help:
	@echo "make ask Q='your question'   answer a question from seeds/ in the terminal"
	@echo "make test                    lint, type-check and run the whole test suite"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

ask: $(STAMP)
	$(BIN)/corpusbot ask "$(Q)"

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench scripts
	$(BIN)/ruff format --check bot tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

format: $(STAMP)
	$(BIN)/ruff format bot tests bench scripts
	$(BIN)/ruff check --fix bot tests bench scripts

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
