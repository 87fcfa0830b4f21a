"""Where the book that Sphinx is building keeps its data package and its bibliography."""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx

from kzutils.data import bibliography_path, find_data_dir


def book_data_dir(app: Sphinx) -> Path:
    """The data package the book reads: $KZ_DATA_DIR, else the nearest `data/` above the book's folder."""
    return find_data_dir(Path(app.srcdir))


def bibliography_file(app: Sphinx) -> Path:
    """The book's BibTeX file (the data package names it)."""
    return bibliography_path(book_data_dir(app))
