"""Two clean builds of the same sources give the same HTML and figures, byte for byte.

The first build is the session's shared one (`built_book`, tests/conftest.py); the second starts from a fresh
copy of the project in another folder, with an empty execution cache, as a second clone would. Every
file of the HTML site (pages, figures in _images/, search index, static files) and every figure the
notebooks wrote is compared. Executed notebooks (.ipynb) and Sphinx's pickles are build by-products,
not the published book, and are left out. Fields that are dates by design are masked before comparing
(DATE_FIELDS); today there are none in the output.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from browser.support import copy_project
from kzutils.build import build

pytestmark = pytest.mark.build

# Parts of a page that are dates by design, e.g. Sphinx's "Last updated on ..." if html_last_updated_fmt is set.
DATE_FIELDS = [re.compile(rb"Last updated on [^<]*")]
FIGURES = {".png", ".svg", ".jpg", ".jpeg", ".gif", ".pdf", ".webp"}


def published_files(out: Path) -> dict[str, Path]:
    """The site and the figures of one build, keyed by path relative to _build."""
    build_dir = out / "_build"
    files = [p for p in (build_dir / "html").rglob("*") if p.is_file()]
    files += [p for p in (build_dir / "jupyter_execute").rglob("*") if p.is_file() and p.suffix.lower() in FIGURES]
    return {p.relative_to(build_dir).as_posix(): p for p in files}


def masked(data: bytes) -> bytes:
    for pattern in DATE_FIELDS:
        data = pattern.sub(b"<date>", data)
    return data


def first_difference(a: bytes, b: bytes) -> str:
    """A short, readable account of where two files differ."""
    try:
        left, right = a.decode("utf-8").splitlines(), b.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        return f"binary files differ from byte {at} (sizes {len(a)} and {len(b)})"
    diff = list(difflib.unified_diff(left, right, lineterm="", n=0))[2:8]
    return "\n      ".join(line[:200] for line in diff)


def test_two_clean_builds_are_byte_identical(built_book: Path, tmp_path: Path) -> None:
    first = built_book
    clone = copy_project(tmp_path / "clone")
    second = tmp_path / "out"
    assert build(clone / "book", second, clone / "data") == 0

    one, two = published_files(first), published_files(second)
    assert sorted(one) == sorted(two), (
        f"the builds wrote different files: only in the first {sorted(set(one) - set(two))[:10]}, "
        f"only in the second {sorted(set(two) - set(one))[:10]}"
    )
    differ = []
    for name in sorted(one):
        a, b = one[name].read_bytes(), two[name].read_bytes()
        if a != b and masked(a) != masked(b):
            differ.append(f"{name}:\n      {first_difference(a, b)}")
    assert not differ, f"{len(differ)} file(s) differ between two clean builds:\n  " + "\n  ".join(differ)


def test_an_incremental_build_gives_the_same_site_as_a_clean_one(tmp_path: Path) -> None:
    from conftest import BOOK, DATA, ROOT, edit_cell, read_rows

    def project(name: str) -> Path:
        import shutil

        folder = tmp_path / name
        shutil.copytree(DATA, folder / "data")
        shutil.copytree(BOOK, folder / "book", ignore=shutil.ignore_patterns("_build", ".pytest_cache", "__pycache__"))
        shutil.copytree(ROOT / "notebooks", folder / "notebooks")
        shutil.copy2(ROOT / "CITATION.cff", folder / "CITATION.cff")
        return folder

    def edit(folder: Path) -> None:
        rows = read_rows(folder / "data" / "votes.csv")
        row = next(i for i, r in enumerate(rows) if r[:1] == ["pres-2022"] and r[4] == "final")
        edit_cell(folder / "data" / "votes.csv", row, "turnout_pct", "69.43")

    incremental, clean = project("incremental"), project("clean")
    assert build(incremental / "book", incremental / "out", incremental / "data") == 0
    edit(incremental)
    assert build(incremental / "book", incremental / "out", incremental / "data") == 0
    edit(clean)
    assert build(clean / "book", clean / "out", clean / "data") == 0
    site = lambda out: {k: v for k, v in published_files(out).items() if k.startswith("html/")}  # noqa: E731
    one, two = site(incremental / "out"), site(clean / "out")
    assert sorted(one) == sorted(two), sorted(set(one) ^ set(two))[:10]
    differ = [f"{name}:\n      {first_difference(one[name].read_bytes(), two[name].read_bytes())}"
              for name in sorted(one) if masked(one[name].read_bytes()) != masked(two[name].read_bytes())]
    assert not differ, f"{len(differ)} file(s) differ between an incremental and a clean build:\n  " + "\n  ".join(differ)
