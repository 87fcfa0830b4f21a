"""The data behind every figure: a "data" link under each figure to a CSV of the values it plots (written at
build time from what the figure's notebook recorded with `kz.glue_figure`), and the index of all of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from kzutils.build.pages import with_data_links
from kzutils.build.summaries import mark_summary

FIGURE_DATA_DIR = "_static/figure-data"
LOGGER = logging.getLogger(__name__)


def add_data_links(app: Sphinx, docname: str, source: list[str]) -> None:
    """Add the data link under each glued figure of a page as it is read."""
    if "{glue:figure}" in source[0]:
        source[0] = with_data_links(source[0])


class figure_data(nodes.General, nodes.Inline, nodes.Element):
    """A link to the CSV behind one figure (HTML), or its path in words (PDF)."""


class figure_data_index(nodes.General, nodes.Element):
    """Placeholder for the list of every figure's data file, filled once all pages are read."""


def csv_path(name: str) -> str:
    """Where a figure's CSV lives in the HTML site."""
    return f"{FIGURE_DATA_DIR}/{name}.csv"


class FigureDataDirective(SphinxDirective):
    """`kz-figure-data NAME`: publish the CSV glued under NAME-data and link it here."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        from myst_nb.ext.glue.utils import RetrievalError, retrieve_glue_data

        name = self.arguments[0]
        try:
            csv = retrieve_glue_data(self.state.document, f"{name}-data").data["text/csv"]
        except (RetrievalError, KeyError):
            LOGGER.warning(f"figure {name!r} has no glued data: finish it with kz.glue_figure(...)",
                           location=(self.env.docname, self.lineno))
            return []
        store = self.env.__dict__.setdefault("kz_figure_data", {})
        store[name] = {"docname": self.env.docname, "csv": csv}
        depth = "../" * self.env.docname.count("/")
        return [figure_data(name=name, href=depth + csv_path(name), classes=["kz-figure-data"])]


class FigureDataIndexDirective(SphinxDirective):
    """`kz-figure-data-index`: a list of every figure's data file, with the page it is on."""

    def run(self) -> list[nodes.Node]:
        mark_summary(self.env, "figure-index")
        return [figure_data_index()]


def visit_figure_data_html(self: Any, node: figure_data) -> None:
    """<p><a href=...csv download>Data behind this figure (CSV)</a></p> under a figure; the bare link in a list."""
    link = f'<a class="reference download" href="{node["href"]}" download>'
    if isinstance(node.parent, nodes.TextElement):
        self.body.append(f'{link}<code>{node["name"]}.csv</code></a>')
    else:
        self.body.append(f'<p class="kz-figure-data">{link}'
                         f'Data behind this figure (CSV, <code>{node["name"]}.csv</code>)</a></p>\n')
    raise nodes.SkipNode


def visit_figure_data_latex(self: Any, node: figure_data) -> None:
    """In the PDF: the file's path in the HTML edition, in words."""
    path = "\\texttt{" + csv_path(node["name"]).replace("_", r"\_") + "}"
    if isinstance(node.parent, nodes.TextElement):
        self.body.append(path)
    else:
        self.body.append("\n\\par\\noindent{\\small Data behind this figure: " + path
                         + " in the HTML edition of the book.}\\par\n")
    raise nodes.SkipNode


def visit_figure_data_text(self: Any, node: figure_data) -> None:
    """Other builders: nothing."""
    raise nodes.SkipNode


def fill_figure_data_index(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace the index placeholder with one item per figure: its name, its page and its data link."""
    store = getattr(app.env, "kz_figure_data", {})
    for placeholder in doctree.findall(figure_data_index):
        items = nodes.bullet_list()
        depth = "../" * docname.count("/")
        for name in sorted(store):
            page = store[name]["docname"]
            title = app.env.titles[page].astext() if page in app.env.titles else page
            rows = max(store[name]["csv"].count("\n") - 1, 0)
            paragraph = nodes.paragraph()
            paragraph += nodes.literal(text=name)
            paragraph += nodes.Text(f" ({title}, {rows} rows): ")
            paragraph += figure_data(name=name, href=depth + csv_path(name))
            items += nodes.list_item("", paragraph)
        placeholder.replace_self(items if store else nodes.paragraph(text="No figures."))


def purge_figure_data(app: Sphinx, env: Any, docname: str) -> None:
    """Forget the figures of a page that is read again."""
    store = getattr(env, "kz_figure_data", {})
    for name in [n for n, entry in store.items() if entry["docname"] == docname]:
        del store[name]


def merge_figure_data(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    """Parallel reads: gather the figures read by the workers."""
    env.__dict__.setdefault("kz_figure_data", {}).update(getattr(other, "kz_figure_data", {}))


def write_figure_data(app: Sphinx, exception: Exception | None) -> None:
    """Write every figure's CSV into the HTML site's _static/figure-data/ (sorted, byte-stable)."""
    if exception is not None or app.builder.format != "html":
        return
    folder = Path(app.outdir) / FIGURE_DATA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    store = getattr(app.env, "kz_figure_data", {})
    for stale in folder.glob("*.csv"):
        if stale.stem not in store:
            stale.unlink()
    for name, entry in sorted(store.items()):
        target = folder / f"{name}.csv"
        if not target.exists() or target.read_text(encoding="utf-8") != entry["csv"]:
            target.write_text(entry["csv"], encoding="utf-8", newline="\n")


def setup(app: Sphinx) -> None:
    """Register the figure-data directives, nodes and hooks."""
    app.connect("source-read", add_data_links)
    app.add_node(figure_data, html=(visit_figure_data_html, None), latex=(visit_figure_data_latex, None),
                 text=(visit_figure_data_text, None))
    app.add_node(figure_data_index)
    app.add_directive("kz-figure-data", FigureDataDirective)
    app.add_directive("kz-figure-data-index", FigureDataIndexDirective)
    app.connect("doctree-resolved", fill_figure_data_index)
    app.connect("env-purge-doc", purge_figure_data)
    app.connect("env-merge-info", merge_figure_data)
    app.connect("build-finished", write_figure_data)
