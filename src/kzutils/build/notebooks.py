"""Plain .ipynb copies of the book's MyST notebooks, for JupyterLab and Colab: generated, never edited by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import jupytext
import nbformat

from kzutils.build.pages import fill_in, notebook_name, notebook_sources

COLAB_SETUP = '''# On Google Colab this cell fetches the book's data and kzutils; anywhere else it does nothing.
import sys
if "google.colab" in sys.modules:
    import os, subprocess
    subprocess.run(["git", "clone", "--depth", "1", "{repo}", "/content/kz-book"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "/content/kz-book", "myst-nb"], check=True)
    os.chdir("/content/kz-book/notebooks")'''

HEADER = ("*Generated from `book/{source}` by `python -m kzutils notebooks`; edit the book's source, not this "
          "file.* Run it from the repository's `notebooks/` folder after `pip install -r requirements.txt` and "
          "`pip install -e .`")
HEADER_COLAB = ", or open it in Colab, where the first cell fetches what it needs."


def to_notebook(book: Path, source: Path, repo_url: str | None, facts: Mapping[str, Any]) -> nbformat.NotebookNode:
    """The page as a notebook without outputs, its numbers filled in from `facts`, with a provenance note first
    and, when the book has a public repository (`repo_url`), a Colab set-up cell that clones it."""
    notebook = jupytext.read(source)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = fill_in(cell.source, facts, str(source.relative_to(book)))
    header = HEADER.format(source=source.relative_to(book).as_posix()) + (HEADER_COLAB if repo_url else ".")
    notebook.cells[:0] = [nbformat.v4.new_markdown_cell(header)]
    if repo_url:
        notebook.cells.insert(1, nbformat.v4.new_code_cell(COLAB_SETUP.format(repo=repo_url)))
    for number, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{number}"  # stable ids keep regenerated files identical
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata.pop("jupytext", None)
    return notebook


def render(notebook: nbformat.NotebookNode) -> str:
    """The notebook as the exact text written to disk."""
    return json.dumps(nbformat.from_dict(notebook), indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def export(book: Path, target: Path, repo_url: str | None, facts: Mapping[str, Any]) -> list[Path]:
    """Write every page's .ipynb into `target` where it changed (removing stale ones); return the paths written."""
    target.mkdir(parents=True, exist_ok=True)
    expected, written = set(), []
    for source in notebook_sources(book):
        path = target / notebook_name(source)
        expected.add(path)
        text = render(to_notebook(book, source, repo_url, facts))
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    for stale in set(target.glob("*.ipynb")) - expected:
        stale.unlink()
    return written


def out_of_date(book: Path, target: Path, repo_url: str | None, facts: Mapping[str, Any]) -> list[str]:
    """Names of notebooks in `target` that are missing, stale or extra compared with the book's pages."""
    expected = {notebook_name(s): render(to_notebook(book, s, repo_url, facts)) for s in notebook_sources(book)}
    present = {p.name: p.read_text(encoding="utf-8") for p in target.glob("*.ipynb")} if target.is_dir() else {}
    return sorted(n for n in expected.keys() | present.keys() if expected.get(n) != present.get(n))
