"""Tables in Sphinx: the `kz-table` directive through which a notebook's tables reach the PDF, the table nodes
it becomes, and the bibliography page's tables (built from the bibliography and from the citations Sphinx
found in the pages, so that no notebook reads the pages)."""

from __future__ import annotations

import json
import re
from typing import Any, Callable

import pandas as pd
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from kzutils.build.layout import layout
from kzutils.build.paths import bibliography_file
from kzutils.build.summaries import mark_summary
from kzutils.tables import pieces

LOGGER = logging.getLogger(__name__)


class book_table(nodes.General, nodes.Element):
    """A table as read from a `kz-table` output (its JSON in "spec"); a table node once a builder shows it."""


class BookTableDirective(SphinxDirective):
    """`kz-table` with a JSON body (kzutils.tables.Table.to_spec): kept as JSON while the page is read, so an
    HTML build, which shows the HTML form of the same output, never builds the table's nodes."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        text = "\n".join(self.content)
        try:
            spec = json.loads(text)
            if not isinstance(spec, dict) or not {"columns", "rows", "widths"} <= set(spec):
                raise ValueError("it needs columns, rows and widths")
        except ValueError as problem:
            LOGGER.warning(f"a kz-table that is not a table's JSON ({problem})", location=(self.env.docname, self.lineno))
            return []
        return [book_table(spec=text)]


def table_from_spec(spec: dict[str, Any], educate: Callable[[str], str] = str,
                    breaks: list[bool] | None = None) -> nodes.table:
    """The docutils table a MyST list-table with a caption, `:header-rows: 1`, `:class: longtable` and
    `:widths:` gives (a LaTeX longtable that breaks across pages), every text literal after `educate` (the
    smart quotes that Sphinx gives text it reads). Long identifiers get places where they may break
    (kzutils.tables.pieces); with `breaks` (one flag per column, for the PDF), anywhere in the columns flagged
    True."""
    table = nodes.table(classes=["colwidths-given", "longtable"])
    if spec.get("caption"):
        caption = educate(spec["caption"])
        table += nodes.title(caption, caption)
    group = nodes.tgroup(cols=len(spec["widths"]))
    table += group
    group += [nodes.colspec(colwidth=width) for width in spec["widths"]]

    def row(texts: list[str]) -> nodes.row:
        line = nodes.row()
        for column, text in enumerate(map(educate, texts)):
            anywhere = None if breaks is None else breaks[column]
            line += nodes.entry("", nodes.paragraph(text, "", *cell_text(text, anywhere)))
        return line

    group += nodes.thead("", row(spec["columns"]))
    group += nodes.tbody("", *(row(texts) for texts in spec["rows"]))
    return table


def cell_text(text: str, anywhere: bool | None) -> list[nodes.Node]:
    """A cell's text with places where a long identifier may break: for the web (`anywhere` None) after
    punctuation and between letters and digits; for the PDF the same, or anywhere in the columns flagged True."""
    found: list[nodes.Node] = []
    web = anywhere is None
    mark = nodes.raw("", "<wbr>", format="html") if web else nodes.raw("", r"\allowbreak{}", format="latex")
    for word in re.split(r"(\s+)", text):
        parts = pieces(word, bool(anywhere)) if word.strip() else [word]
        for number, part in enumerate(parts):
            if number:
                found.append(mark.deepcopy())
            found.append(nodes.Text(part))
    return found


def print_table(spec: dict[str, Any], educate: Callable[[str], str] = str) -> list[nodes.Node]:
    """A table as the PDF prints it (kzutils.build.layout): in the size that lets it fit, with column widths
    measured in the PDF's font, ragged right (numbers flush right), long keys free to break."""
    plan = layout(spec["columns"], spec["rows"])
    table = table_from_spec(spec, educate, plan.anywhere)
    return [nodes.raw("", plan.start(), format="latex"),
            addnodes.tabular_col_spec(spec=plan.colspec()), table,
            nodes.raw("", "\\endgroup\n", format="latex")]


class BookTables(SphinxPostTransform):
    """Build the tables of the outputs a builder shows (after myst-nb has chosen one format per output)."""

    default_priority = 5  # myst-nb's SelectMimeType runs at 4

    def run(self, **kwargs: Any) -> None:
        for placeholder in list(self.document.findall(book_table)):
            placeholder.replace_self(print_table(json.loads(placeholder["spec"]), self.educate))

    def educate(self, text: str) -> str:
        """The text with the smart quotes, dashes and ellipses Sphinx's SmartQuotes gives text it reads."""
        from docutils.utils import smartquotes

        if not self.config.smartquotes:
            return text
        language = self.env.settings.get("language_code") or "en"
        return "".join(smartquotes.educate_tokens([("text", text)], attr=self.config.smartquotes_action,
                                                  language=language))


# --- the bibliography page ---------------------------------------------------------------------------

KIND_COLUMNS = {
    "official": "official", "state-media": "state media", "foreign-state-media": "foreign state",
    "independent-media": "independent", "wire": "wire", "intl-org": "intl. org.", "ngo": "NGO",
    "academic": "academic", "encyclopedia": "encyclopedia", "syndicated": "copy", "total": "total",
    "state sources": "state", "state share (%)": "state (%)",
}


class citations_by_chapter(nodes.General, nodes.Element):
    """Placeholder for the citations-by-kind table, filled once every page has been read."""


def shown_table(frame: pd.DataFrame, caption: str, formats: dict[str, str] | None = None) -> list[nodes.Node]:
    """A table as the book shows data tables: kzutils' escaped HTML on the web, a longtable in the PDF."""
    from kzutils.tables import show_table

    table = show_table(frame, formats, caption)
    return [addnodes.only("", nodes.raw("", table.to_html(), format="html"), expr="html"),
            addnodes.only("", book_table(spec=json.dumps(table.to_spec())), expr="not html")]


class BibliographyTableDirective(SphinxDirective):
    """`kz-bibliography-table sources|not-upgraded|by-chapter`: one of the bibliography page's tables."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        from kzutils import bib
        path = bibliography_file(self.env.app)
        which = self.arguments[0]
        self.env.note_dependency(str(path))
        if which == "sources":
            frame = bib.sources_table(path).rename(columns={"origin": "original outlet (for copies)"})
            return shown_table(frame, "Every bibliography entry with its kind and publisher")
        if which == "not-upgraded":
            frame = bib.not_upgraded(path).rename(columns={"origin": "original outlet", "searched": "what was searched"})
            return shown_table(frame, "Copies and encyclopedias kept because no original could be read")
        if which == "by-chapter":
            mark_summary(self.env, "citations-by-chapter")
            return [citations_by_chapter()]
        LOGGER.warning(f"kz-bibliography-table: unknown table {which!r}", location=(self.env.docname, self.lineno))
        return []


def chapter_citations(env: Any) -> dict[str, list[str]]:
    """For every numbered chapter, in order, the keys its citations cite (once per citation)."""
    chapters = sorted((number, doc) for doc, numbers in env.toc_secnumbers.items() if (number := numbers.get("")))
    cited: dict[str, list[str]] = {doc: [] for _, doc in chapters}
    for ref in env.get_domain("cite").citation_refs:
        if ref.docname in cited:
            cited[ref.docname] += [target.key for target in ref.targets]
    # The number and the title's first part ("1. Background"): the whole title made the table's first column
    # wrap into rows of six lines on a printed page and on a phone.
    return {f"{'.'.join(map(str, number))}. {env.titles[doc].astext().split(':')[0].strip()}": cited[doc]
            for number, doc in chapters}


def fill_citations_by_chapter(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace the placeholder with the table of citations by kind for every chapter."""
    from kzutils import bib
    from kzutils.tables import show_table

    placeholders = list(doctree.findall(citations_by_chapter))
    if not placeholders:
        return
    frame = bib.kinds_by_page(chapter_citations(app.env), bibliography_file(app)).rename(columns=KIND_COLUMNS)
    table = show_table(frame, {"state (%)": "{:.1f}"},
                       "Citations per chapter by kind of source (each key counted once per citation)")
    shown = ([nodes.raw("", table.to_html(), format="html")] if app.builder.format == "html"
             else print_table(table.to_spec()))
    for placeholder in placeholders:
        placeholder.replace_self([node.deepcopy() for node in shown])


def setup(app: Sphinx) -> None:
    """Register the table directives, nodes and hooks."""
    app.add_node(book_table)
    app.add_directive("kz-table", BookTableDirective)
    app.add_post_transform(BookTables)
    app.add_node(citations_by_chapter)
    app.add_directive("kz-bibliography-table", BibliographyTableDirective)
    app.connect("doctree-resolved", fill_citations_by_chapter)
