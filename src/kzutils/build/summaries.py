"""Pages that summarise every other page: the claims ledger, the index of figure data and the bibliography's
count of citations by chapter.

Sphinx writes a page again only when its own text changed, but a summary changes whenever any page does. A
summary's directive therefore marks its page while the page is read, and every build hands the marked pages
back to Sphinx to be written again."""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

SUMMARY_PAGES = "kz_summary_pages"  # on Sphinx's environment: {page: {kind of summary, ...}}


def mark_summary(env: Any, kind: str) -> None:
    """Remember that the page being read holds a summary of this kind ("ledger", "figure-index", ...)."""
    env.__dict__.setdefault(SUMMARY_PAGES, {}).setdefault(env.docname, set()).add(kind)


def pages_with_summary(env: Any, kind: str) -> list[str]:
    """The pages that hold a summary of this kind, in order."""
    return sorted(page for page, kinds in getattr(env, SUMMARY_PAGES, {}).items() if kind in kinds)


def forget_page(app: Sphinx, env: Any, docname: str) -> None:
    """A page read again marks itself again."""
    getattr(env, SUMMARY_PAGES, {}).pop(docname, None)


def merge_marks(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    """Parallel reads: gather the marks of the workers' pages."""
    marks = env.__dict__.setdefault(SUMMARY_PAGES, {})
    for page, kinds in getattr(other, SUMMARY_PAGES, {}).items():
        marks.setdefault(page, set()).update(kinds)


def write_summaries_again(app: Sphinx, env: Any) -> list[str]:
    """Every page that holds a summary is written again on every build."""
    return sorted(getattr(env, SUMMARY_PAGES, {}))


def setup(app: Sphinx) -> None:
    """Register the hooks that keep the summary pages current."""
    app.connect("env-purge-doc", forget_page)
    app.connect("env-merge-info", merge_marks)
    app.connect("env-updated", write_summaries_again)
