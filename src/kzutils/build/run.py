"""`python -m kzutils.build.run JOBS HTML_FOLDER <jupyter-book arguments>`: Jupyter Book's own command line,
with two settings its command line does not offer: Sphinx's number of parallel jobs (pages are read, and
their notebooks executed, on every core) and the folder the HTML is written to (empty: jupyter-book's own)."""

from __future__ import annotations

import sys

import jupyter_book.sphinx
from jupyter_book.cli.main import main


def run(jobs: int, html_folder: str, arguments: list[str]) -> None:
    """Run `jupyter-book ARGUMENTS` with `jobs` parallel Sphinx processes, writing HTML into `html_folder`."""
    original = jupyter_book.sphinx.build_sphinx

    def build_sphinx(sourcedir, outputdir, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["jobs"] = jobs
        if html_folder and kwargs.get("builder", "html") == "html":
            outputdir = html_folder  # in the same _build folder, so Sphinx keeps its doctrees where they were
        return original(sourcedir, outputdir, *args, **kwargs)

    jupyter_book.sphinx.build_sphinx = build_sphinx
    main(arguments, prog_name="jupyter-book")


if __name__ == "__main__":
    run(int(sys.argv[1]), sys.argv[2], sys.argv[3:])
