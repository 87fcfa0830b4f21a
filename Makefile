# Two commands do all set-up on a fresh machine (Python 3.11 and the package registries):
#   make book   -- create .venv, install pinned dependencies and kzutils, build the HTML book strictly
#   make test   -- the same set-up, then every test (this is what .ci/run calls)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: book test validate facts clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	$(PY) -m kzutils validate
	$(PY) -m kzutils build --book book --out book
	@echo "HTML book: book/_build/html/index.html"

test: $(STAMP)
	$(PY) -m pytest

validate: $(STAMP)
	$(PY) -m kzutils validate

facts: $(STAMP)
	$(PY) -m kzutils facts

clean:
	rm -rf book/_build
