"""Numbers in the prose: the `{fact}` role, which prints a named fact of the data package and, in HTML, links
it to its source and shows where it came from on hover; and the claims ledger, which lists every number the
pages printed in the same build."""

from __future__ import annotations

from typing import Any, Callable

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

from kzutils.build.pages import near_names
from kzutils.build.paths import bibliography_file, book_data_dir
from kzutils.build.summaries import mark_summary, pages_with_summary
from kzutils.build.tables import print_table, table_from_spec



class fact_number(nodes.Inline, nodes.TextElement):
    """A number the prose prints from a named fact (its name in "fact"); a link to its source in HTML."""


class claims_ledger(nodes.General, nodes.Element):
    """Placeholder for the claims ledger, filled once every page has been read."""


FACT_USES = "kz_fact_uses"


def book_facts(app: Sphinx) -> dict[str, Any]:
    """Every named fact of the book's data, computed once per Sphinx process (bad data stops the build)."""
    if not hasattr(app, "kz_facts"):
        from kzutils.facts import all_facts

        app.kz_facts = dict(all_facts(book_data_dir(app)))  # type: ignore[attr-defined]
    return app.kz_facts  # type: ignore[attr-defined]


def fact_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None,
              content: Any = None) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """`{fact}`NAME``: the fact's value as the data package formats it."""
    env = inliner.document.settings.env
    key = text.strip()
    facts = book_facts(env.app)
    if key not in facts:
        message = inliner.reporter.error(f"no fact named {key!r}; similar: {near_names(key, facts)}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    env.__dict__.setdefault(FACT_USES, {}).setdefault(env.docname, set()).add(key)
    return [fact_number(facts[key].text, facts[key].text, fact=key)], []


def fact_title(fact: Any, credits: Callable[[str], str]) -> str:
    """What a reader sees on hover: the value, what it measures, its source and its data row."""
    where = f"table {fact.resource}" + (f", row {fact.row}" if fact.row is not None else "")
    sources = "; ".join(credits(key.strip()) for key in str(fact.source).split(";"))
    return f"{fact.text}: {fact.description}. Source: {sources}; data: {where}."


def single_source(fact: Any, known: set[str]) -> str | None:
    """The fact's one bibliography key, or None when it combines several sources or none."""
    key = str(fact.source).strip()
    return key if key in known else None


class FactLinks(SphinxPostTransform):
    """HTML: each number links to its bibliography entry (or, for a number combining several sources, to its
    line in the claims ledger) and shows its source on hover. Other formats: the number as plain text."""

    default_priority = 20

    def run(self, **kwargs: Any) -> None:
        from docutils.nodes import make_id

        from kzutils import bib

        facts = book_facts(self.app)
        html = self.app.builder.format == "html"
        path = bibliography_file(self.app) if html else None
        known = bib.keys(path) if path else set()
        ledger = pages_with_summary(self.env, "ledger")
        for node in list(self.document.findall(fact_number)):
            fact = facts[node["fact"]]
            if not html:
                node.replace_self(nodes.Text(fact.text))
                continue
            key = single_source(fact, known) if BIBLIOGRAPHY in self.env.all_docs else None
            if key is not None:
                target = self.app.builder.get_relative_uri(self.env.docname, BIBLIOGRAPHY) + "#" + make_id(f"cite-{key}")
            elif ledger:
                target = self.app.builder.get_relative_uri(self.env.docname, ledger[0]) + "#" + make_id(f"fact-{fact.name}")
            else:
                node.replace_self(nodes.Text(fact.text))
                continue
            link = nodes.reference(fact.text, fact.text, refuri=target, internal=True, classes=["kz-fact"],
                                   reftitle=fact_title(fact, lambda k: bib.credit(path, k) if k in known else k))
            node.replace_self(link)


BIBLIOGRAPHY = "bibliography"  # the page that lists every entry (its ids follow bibtex_cite_id)


class ClaimsLedgerDirective(SphinxDirective):
    """`kz-claims-ledger`: every number the prose prints, with its data row, its source and its pages."""

    def run(self) -> list[nodes.Node]:
        mark_summary(self.env, "ledger")
        return [claims_ledger()]


def page_label(env: Any, docname: str) -> str:
    """'ch. 6' for a numbered chapter, else the page's title."""
    number = env.toc_secnumbers.get(docname, {}).get("")
    if number:
        return "ch. " + ".".join(map(str, number))
    return env.titles[docname].astext() if docname in env.titles else docname


def ledger_rows(facts: dict[str, Any], uses: dict[str, set[str]]) -> list[tuple[str, list[str]]]:
    """(fact name, cells) for every fact some page prints: number, what, data row, source, pages."""
    pages: dict[str, list[str]] = {}
    for docname in sorted(uses):
        for name in uses[docname]:
            pages.setdefault(name, []).append(docname)
    rows = []
    for name in sorted(pages):
        fact = facts[name]
        data = fact.resource + (f", row {fact.row}" if fact.row is not None else "")
        rows.append((name, [fact.text, f"{fact.description} ({name})", data, str(fact.source), pages[name]]))
    return rows


def fill_claims_ledger(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace the ledger placeholder with a table of every number the book's pages print."""
    placeholders = list(doctree.findall(claims_ledger))
    if not placeholders:
        return
    rows = ledger_rows(book_facts(app), getattr(app.env, FACT_USES, {}))
    spec = {"caption": "Every number printed in the text, with its data row and source",
            "columns": ["Number", "What it measures (fact name)", "Data row", "Source", "Pages"],
            "widths": [12, 38, 19, 18, 13],
            "rows": [[*cells[:4], ", ".join(page_label(app.env, d) for d in cells[4])] for _, cells in rows]}
    shown = [table_from_spec(spec)] if app.builder.format == "html" else print_table(spec)
    table = next(node for node in shown if isinstance(node, nodes.table))
    table["ids"].append("claims-ledger-table")
    for row, (name, _) in zip(table.findall(nodes.row), [("", None), *rows]):
        if name:
            row["ids"].append(nodes.make_id(f"fact-{name}"))
    for placeholder in placeholders:
        placeholder.replace_self([node.deepcopy() for node in shown])


def purge_fact_uses(app: Sphinx, env: Any, docname: str) -> None:
    """Forget the numbers of a page that is read again."""
    getattr(env, FACT_USES, {}).pop(docname, None)


def merge_fact_uses(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    """Parallel reads: gather the numbers the workers' pages print."""
    env.__dict__.setdefault(FACT_USES, {}).update(getattr(other, FACT_USES, {}))


def setup(app: Sphinx) -> None:
    """Register the role, the ledger directive and their hooks."""
    app.add_node(fact_number)
    app.add_role("fact", fact_role)
    app.add_post_transform(FactLinks)
    app.add_node(claims_ledger)
    app.add_directive("kz-claims-ledger", ClaimsLedgerDirective)
    app.connect("doctree-resolved", fill_claims_ledger)
    app.connect("env-purge-doc", purge_fact_uses)
    app.connect("env-merge-info", merge_fact_uses)
