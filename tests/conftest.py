"""Shared fixtures: temporary copies of the project's data (and book) that a test may corrupt."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from itertools import count
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
BOOK = ROOT / "book"


def missing_system_tool(message: str) -> None:
    """A test's system tool is missing: fail on CI (CI set), where `make test` installs it; skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} -- CI must run these tests", pytrace=False)
    pytest.skip(message)


ROOT_FILES = ("CITATION.cff",)
# Build-machinery tests need real executed pages, not the whole book: the other pages become short stubs
# that keep their labels, so cross-references still resolve and the build stays fast.
KEPT_PAGES = {"intro.md", "chapters/elections.md", "bibliography.md", "how-to-cite.md", "appendices/claims-ledger.md"}


def stub_page(text: str) -> str:
    """A plain Markdown page with the same labels and title as `text`, and nothing to execute."""
    labels = re.findall(r"^\([\w-]+\)=$", text, re.M)
    title = re.search(r"^# .+$", text, re.M)
    return "\n".join([*labels, title.group(0) if title else "# Page", "", "A stub for the build tests.", ""])


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the project's data, notebooks and book (no build output; pages other than KEPT_PAGES stubbed)."""
    shutil.copytree(DATA, tmp_path / "data")
    shutil.copytree(BOOK, tmp_path / "book", ignore=shutil.ignore_patterns("_build", ".pytest_cache", "__pycache__"))
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    for name in ROOT_FILES:
        shutil.copy2(ROOT / name, tmp_path / name)
    book = tmp_path / "book"
    for page in book.rglob("*.md"):
        if page.relative_to(book).as_posix() not in KEPT_PAGES:
            page.write_text(stub_page(page.read_text(encoding="utf-8")), encoding="utf-8")
    return tmp_path


@pytest.fixture
def data_copy(project_copy: Path) -> Path:
    """The data/ folder of a project copy."""
    return project_copy / "data"


_data_copies = count()


def shared_bibliography(root: Path) -> Path:
    """ROOT with a copy of book/references.bib: copies of data/ made in it (`data_copy_in`) share one
    bibliography, which validation then parses once for all of them."""
    (root / "book").mkdir()
    shutil.copy2(BOOK / "references.bib", root / "book" / "references.bib")
    return root


def data_copy_in(root: Path) -> Path:
    """A fresh copy of data/ in ROOT, under a name no earlier copy used."""
    folder = root / f"data_{next(_data_copies)}"
    shutil.copytree(DATA, folder)
    return folder


def edit_entry(path: Path, key: str, change) -> int:
    """Rewrite one entry of the bibliography `path` with `change(text)`; return the line where the entry starts."""
    text = path.read_text(encoding="utf-8")
    found = re.search(r"@\w+\{" + re.escape(key) + r",\n.*?\n\}", text, re.S)
    assert found, key
    path.write_text(text[:found.start()] + change(found.group(0)) + text[found.end():], encoding="utf-8")
    return text.count("\n", 0, found.start()) + 1


def edit_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell of a CSV (row is 1-based, counting data rows)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[row][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def read_rows(path: Path) -> list[list[str]]:
    """All rows of a CSV, header first."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    """Overwrite a CSV with rows."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m kzutils ARGS` from the project root and capture its output."""
    return subprocess.run([sys.executable, "-m", "kzutils", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, check=False)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One strict HTML build of the real book, shared by every test that reads the built pages."""
    from kzutils.build import build

    out = tmp_path_factory.mktemp("built-book")
    assert build(BOOK, out, DATA) == 0
    return out


@pytest.fixture(scope="session")
def built_copy(built_book: Path, tmp_path_factory: pytest.TempPathFactory):
    """A factory of private copies of the built book (same execution cache, so further builds re-use outputs)."""

    def make(name: str) -> Path:
        target = tmp_path_factory.mktemp(name)
        shutil.copytree(built_book / "_build", target / "_build", symlinks=True)
        return target

    return make


def squash(text: str) -> str:
    """Text compared across HTML and PDF: one kind of quote and dash, no hyphenation, single spaces."""
    text = unicodedata.normalize("NFC", text)
    for fancy, plain in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'"), ("–", "-"), ("—", "-"), ("\u00ad", "")):
        text = text.replace(fancy, plain)
    text = re.sub(r"-\n", "-", text)
    return " ".join(text.split())


@pytest.fixture(scope="session")
def pdf_text(request: pytest.FixtureRequest) -> tuple[str, Path]:
    """The PDF book built from a copy of the HTML build (same execution cache), as `pdftotext -layout` text."""
    from kzutils.build import build

    missing = [tool for tool in ("xelatex", "latexmk", "pdftotext") if shutil.which(tool) is None]
    if missing:
        missing_system_tool(f"PDF tools missing: {missing}; `make test` installs them as root (Makefile tex-deps), "
                            "or: apt-get install --no-install-recommends texlive-xetex texlive-latex-extra "
                            "texlive-fonts-recommended latexmk fonts-freefont-otf poppler-utils")
    out = request.getfixturevalue("built_copy")("pdf")  # only once the tools are known to be there
    assert build(BOOK, out, DATA, builder="pdflatex") == 0
    pdf = out / "_build" / "latex" / "kazakhstan-in-transition.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text, pdf

