# The README's two commands: `make book` and `make test`. Each sets up what it needs first.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
JB_FLAGS := -W -n --keep-going

.PHONY: setup book pdf test check lab clean help mutation

help:
	@echo "make book   build the book into _build/html (sets everything up first)"
	@echo "make pdf    build the whole book as a PDF into _build/latex/book.pdf (LaTeX, offline)"
	@echo "make test   run every check: lint, unit tests, notebooks, the strict book build, PDF, browser"
	@echo "make check  the contributor checks alone: ruff, spelling, notebook outputs, sizes, terms"
	@echo "make mutation  mutation testing of the engine, text cleaning, keys and verify (slow)"
	@echo "make lab    open JupyterLab on notebooks/ for a training session"
	@echo "make clean  remove build output and the execution cache"

setup:
	@bash scripts/setup.sh

book: setup
	@set -eo pipefail; $(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "The book is at $(CURDIR)/_build/html/index.html"

pdf: setup
	@set -eo pipefail; rm -f _build/latex/book.pdf; $(BIN)/jupyter-book build . --builder pdflatex $(JB_FLAGS)
	@test -s _build/latex/book.pdf && echo "The PDF is at $(CURDIR)/_build/latex/book.pdf"

# The checks pre-commit runs (.pre-commit-config.yaml), run from the venv without network.
check: setup
	@set -eo pipefail; $(BIN)/ruff check . && $(BIN)/ruff format --check .
	@$(BIN)/codespell
	@git ls-files -z --cached --others --exclude-standard '*.ipynb' | xargs -0 -r $(BIN)/nbstripout --verify --keep-id
	@$(BIN)/python scripts/check_sizes.py
	@$(BIN)/python scripts/check_terms.py

# The reader-view, PDF and browser tests build into _build/ themselves, so they run after the
# parallel suite, one at a time (two builds at once would share _build/ and the execution cache).
# IMGSHARE_REQUIRE_ALL=1: a test whose component (Tesseract, Orthanc, Chromium, the BIDS
# validator) is missing fails instead of skipping (tests/conftest.py); the set-up installs them.
LAST := tests/test_reader_view.py tests/test_pdf.py tests/test_browser.py
test: setup check
	@IMGSHARE_REQUIRE_ALL=1 $(BIN)/python -m pytest tests notebooks --nbmake -n 2 --dist loadfile $(LAST:%=--ignore=%)
	@IMGSHARE_REQUIRE_ALL=1 $(BIN)/python -m pytest $(LAST)

# Mutation testing (mutmut, pinned): not part of `make test`; tens of minutes on two cores.
# One target at a time: make mutation TARGETS=verify (engine, text, keys, verify).
TARGETS ?= engine text keys verify
mutation: setup
	@$(BIN)/python scripts/mutation.py $(TARGETS)

# JupyterLab refuses to start as root ("Running as root is not recommended") unless told to.
# Training laptops and containers often run as root, so --allow-root is passed then, and only
# then. LAB_ARGS adds options, e.g. make lab LAB_ARGS="--no-browser --port=8899".
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
lab: setup
	@$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

clean:
	rm -rf _build .pytest_cache .ruff_cache
