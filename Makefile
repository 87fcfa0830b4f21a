# Two commands do all set-up on a fresh machine (Python 3.11 and the package registries):
#   make book   -- create .venv, install the book's pinned dependencies and kzutils, build the HTML book strictly
#   make test   -- the same set-up plus the test dependencies, TeX and Chromium, then every test (.ci/run calls it)
# More:
#   make check     -- the fast tier (under a minute): every test that needs no book build
#   make pdf       -- the PDF book through xelatex     make student   -- the HTML book without solutions
#   make notebooks -- regenerate notebooks/*.ipynb     make release   -- regenerate .zenodo.json and datapackage.json
#   make lock      -- recompile requirements*.txt from requirements*.in (make lock UPGRADE=--upgrade to upgrade)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
UV_VERSION := 0.13.9
# The oldest Python pyproject.toml accepts: the pins are resolved for it, so that they install on every Python the
# project claims (Debian 12's own python3.11 is 3.11.2). A test checks every pin's Requires-Python against it.
PYTHON_FLOOR := 3.11.0

.PHONY: book test check validate facts clean pdf student notebooks release lock tex-deps browser-deps axe-deps \
        system-packages

# The book's runtime (requirements.txt) and kzutils; the tests' extras (requirements-test.txt) on top.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	$(PIP) --no-deps -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) requirements-test.txt
	$(PIP) -r requirements-test.txt
	touch $(TEST_STAMP)

book: $(STAMP)
	$(PY) -m kzutils validate
	$(PY) -m kzutils notebooks --book book --to notebooks >/dev/null
	$(PY) -m kzutils build --book book --out book
	@echo "HTML book: book/_build/html/index.html"

# Every test. On CI (CI set) a missing tool fails its tests; elsewhere they are skipped and the set-up says
# what is missing and how to install it.
test: $(TEST_STAMP) tex-deps browser-deps
	$(PY) -m pytest

# The fast tier: every test that needs no book build (tests marked `build` are left out).
check: $(TEST_STAMP)
	$(PY) -m pytest -m "not build"

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

# Recompile the pins from the short input files with uv (pinned here); UPGRADE=--upgrade moves to the newest
# versions the input files allow.
lock: $(STAMP)
	$(PIP) uv==$(UV_VERSION)
	$(VENV)/bin/uv pip compile --quiet --python-version $(PYTHON_FLOOR) $(UPGRADE) requirements.in -o requirements.txt
	$(VENV)/bin/uv pip compile --quiet --python-version $(PYTHON_FLOOR) $(UPGRADE) requirements-test.in -o requirements-test.txt

validate: $(STAMP)
	$(PY) -m kzutils validate

facts: $(STAMP)
	$(PY) -m kzutils facts

clean:
	rm -rf book/_build

# ---- System packages for the PDF and browser tests ---------------------------------------------------
# Installed from Debian only when missing and only as root (as on CI). Without root the set-up never
# fails: it prints what is missing and the command that installs it, and the tests that need it skip
# (on CI, where CI is set, they fail instead).
TEX_PACKAGES := texlive-xetex texlive-latex-extra texlive-fonts-recommended latexmk fonts-freefont-otf poppler-utils
BROWSER_PACKAGES := chromium fonts-dejavu-core fonts-liberation
CHROMIUM ?= /usr/bin/chromium
export KZ_CHROMIUM := $(CHROMIUM)

# $(call system-deps,what,check command,packages)
define system-deps
	@if $(2); then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(3); \
	else \
	  echo "make test: $(1) missing, so its tests will be SKIPPED here (CI fails them). To install (Debian/Ubuntu):"; \
	  echo "  sudo apt-get install --no-install-recommends $(3)"; \
	fi
endef

system-packages:  # the Debian packages of the PDF tests, for an installer (.github/workflows/pages.yml)
	@echo $(TEX_PACKAGES)

tex-deps:
	$(call system-deps,TeX (xelatex/latexmk/pdftotext) is,command -v xelatex >/dev/null && command -v latexmk >/dev/null && command -v pdftotext >/dev/null,$(TEX_PACKAGES))

# Debian's Chromium, and axe-core from package-lock.json (`npm ci`, again whenever package*.json change).
browser-deps: axe-deps
	$(call system-deps,Chromium ($(CHROMIUM)) is,test -x $(CHROMIUM),$(BROWSER_PACKAGES))
	@test -x $(CHROMIUM) && $(CHROMIUM) --version 2>/dev/null || true

axe-deps:
	@if [ node_modules/.package-lock.json -nt package.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then :; \
	elif command -v npm >/dev/null; then npm ci --no-audit --no-fund && touch node_modules/.package-lock.json; \
	else echo "make test: npm is missing, so axe-core is too and the browser tests will be SKIPPED here (CI fails them)."; \
	  echo "  To install (Debian/Ubuntu): sudo apt-get install npm, then run make test again"; fi
