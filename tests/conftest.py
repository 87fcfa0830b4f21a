"""Shared fixtures: temporary copies of the project's data (and book) that a test may corrupt."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
BOOK = ROOT / "book"


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of data/ and book/ (without build output) under tmp_path."""
    shutil.copytree(DATA, tmp_path / "data")
    shutil.copytree(BOOK, tmp_path / "book", ignore=shutil.ignore_patterns("_build", ".pytest_cache", "__pycache__"))
    return tmp_path


@pytest.fixture
def data_copy(project_copy: Path) -> Path:
    """The data/ folder of a project copy."""
    return project_copy / "data"


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
