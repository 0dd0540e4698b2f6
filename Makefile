# The two user-facing commands: `make scenario=NAME` and `make test`.
# Both create the local virtual environment on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
scenario ?=

.PHONY: default run test tables figures bench lint clean-venv

default: $(STAMP)
ifeq ($(strip $(scenario)),)
	@echo "usage: make scenario=NAME   (NAME from scenarios/*.toml, e.g. na62_delta0p01)"
	@echo "       make test | make tables | make figures | make bench"
	@$(BIN)/dipscan list
else
	$(BIN)/dipscan run scenarios/$(scenario).toml
endif

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

tables: $(STAMP)
	$(BIN)/dipscan tables generate --all

figures: $(STAMP)
	$(BIN)/dipscan run scenarios/fig*.toml --workers 2
	$(BIN)/dipscan figure scenarios/figures/*.toml

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

lint: $(STAMP)
	$(BIN)/ruff check dipscan tests benchmarks

clean-venv:
	rm -rf $(VENV)
