# Two commands do all set-up on a fresh machine (Python 3.11 and the package registries):
#   make book   -- create .venv, install pinned dependencies and kzutils, build the HTML book strictly
#   make test   -- the same set-up plus TeX and Chromium (Debian packages), then every test (.ci/run calls it)
# More:
#   make pdf       -- the PDF book through xelatex     make student   -- the HTML book without solutions
#   make notebooks -- regenerate notebooks/*.ipynb     make release   -- regenerate .zenodo.json
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: book test validate facts clean pdf student notebooks release tex-deps
TEX_PACKAGES := texlive-xetex texlive-latex-extra texlive-fonts-recommended latexmk fonts-freefont-otf poppler-utils

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	$(PY) -m kzutils validate
	$(PY) -m kzutils notebooks --book book --to notebooks >/dev/null
	$(PY) -m kzutils build --book book --out book
	@echo "HTML book: book/_build/html/index.html"

test: $(STAMP) tex-deps browser-deps
	$(PY) -m pytest

pdf: $(STAMP)
	@command -v xelatex >/dev/null && command -v latexmk >/dev/null || { \
	  echo "make pdf needs TeX. On Debian/Ubuntu: apt-get install --no-install-recommends $(TEX_PACKAGES)"; exit 1; }
	$(PY) -m kzutils validate
	$(PY) -m kzutils build --book book --out book --builder pdflatex
	@echo "PDF book: book/_build/latex/kazakhstan-in-transition.pdf"

student: $(STAMP)
	$(PY) -m kzutils validate
	$(PY) -m kzutils build --book book --out book/_build/student --edition student
	@echo "Student edition: book/_build/student/_build/html/index.html"

notebooks: $(STAMP)
	$(PY) -m kzutils notebooks --book book --to notebooks

release: $(STAMP)
	$(PY) -m kzutils release-metadata

# TeX for the PDF tests: installed from Debian only when missing (needs root, as on CI).
tex-deps:
	@command -v xelatex >/dev/null && command -v latexmk >/dev/null && command -v pdftotext >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES); }

validate: $(STAMP)
	$(PY) -m kzutils validate

facts: $(STAMP)
	$(PY) -m kzutils facts

clean:
	rm -rf book/_build

# ---- Browser checks (tests/test_browser.py, tests/test_escaping.py) --------------------------------
# Debian's Chromium (installed only when missing; needs root, as on CI) and axe-core from package-lock.json
# (re-installed with `npm ci` whenever package.json or package-lock.json is newer than node_modules).
CHROMIUM ?= /usr/bin/chromium
export KZ_CHROMIUM := $(CHROMIUM)

.PHONY: browser-deps
browser-deps: node_modules/.package-lock.json
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fonts-liberation; }
	@$(CHROMIUM) --version 2>/dev/null

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@
