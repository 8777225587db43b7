# The README's two commands: `make book` and `make test`. Each sets up what it needs first.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
JB_FLAGS := -W -n --keep-going

.PHONY: setup book test lab clean help

help:
	@echo "make book   build the book into _build/html (sets everything up first)"
	@echo "make test   run every check: lint, unit tests, notebooks, the strict book build"
	@echo "make lab    open JupyterLab on notebooks/ for a training session"
	@echo "make clean  remove build output and the execution cache"

setup:
	@bash scripts/setup.sh

book: setup
	@set -eo pipefail; $(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "The book is at $(CURDIR)/_build/html/index.html"

test: setup
	@set -eo pipefail; $(BIN)/ruff check . && $(BIN)/ruff format --check .
	@$(BIN)/python -m pytest tests notebooks --nbmake -n 2 --dist loadfile

lab: setup
	@$(BIN)/jupyter lab --notebook-dir=notebooks

clean:
	rm -rf _build .pytest_cache .ruff_cache
