"""Sphinx extension: a "Cite this chapter" box, with notebook links, at the end of every chapter; the
repository and launch buttons from CITATION.cff; for a plain `jupyter-book build book/`, the same never-stale
builds and SOURCE_DATE_EPOCH as `python -m kzutils build`; and a "data" link under every figure to a CSV of
the values it plots (written at build time from the glued data)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Callable

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from kzutils import build as kzbuild
from kzutils import meta
from kzutils.data import find_data_dir
from kzutils.notebooks import notebook_name

CITED_PAGES = re.compile(r"^(intro|chapters/.+)$")
TITLE = re.compile(r"^# (.+)$", re.M)


def cite_box(title: str, docname: str, notebook: str) -> str:
    """The MyST text of the box: formatted reference, BibTeX entry and links to the chapter as a notebook."""
    depth = "../" * (docname.count("/") + 1)
    repo = meta.repository_url()
    colab = (f", or [open it in Colab]({repo.replace('https://github.com/', 'https://colab.research.google.com/github/')}"
             f"/blob/main/notebooks/{notebook})" if repo else "")
    return f"""

`````{{admonition}} Cite this chapter, or run it as a notebook
:class: note kz-cite-box

{meta.chapter_reference(title, docname)}

```bibtex
{meta.chapter_bibtex(title, docname)}
```

Run it yourself: {{download}}`download this chapter as a Jupyter notebook <{depth}notebooks/{notebook}>`
(it runs in JupyterLab from the repository's `notebooks/` folder){colab}.
See also {{doc}}`/how-to-cite`.
`````
"""


SOLUTION_OPEN = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution(?P<gated>-start)?\}")
SOLUTION_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}")


def without_solutions(text: str) -> str:
    """The page with every solution block removed: plain `solution` directives and gated
    `solution-start` ... `solution-end` pairs, with the code cells between them."""
    kept: list[str] = []
    lines = iter(text.splitlines(keepends=True))
    for line in lines:
        opening = SOLUTION_OPEN.match(line)
        if not opening:
            kept.append(line)
            continue
        fence = opening.group("fence")
        if opening.group("gated"):
            for skipped in lines:  # up to and including the solution-end directive and its closing fence
                end = SOLUTION_END.match(skipped)
                if end:
                    for closing in lines:
                        if closing.strip() == end.group(1):
                            break
                    break
        else:
            for skipped in lines:
                if skipped.strip() == fence:
                    break
    return "".join(kept)


def remove_solutions(app: Sphinx, docname: str, source: list[str]) -> None:
    """In the student edition, drop the solutions from every page as it is read."""
    if app.config.kz_edition == "student":
        source[0] = without_solutions(source[0])


def add_cite_box(app: Sphinx, docname: str, source: list[str]) -> None:
    """Append the cite box to the chapters' sources as they are read."""
    if not CITED_PAGES.match(docname):
        return
    found = TITLE.search(source[0])
    if found is None:
        return
    title = re.sub(r"[*_`]", "", found.group(1)).strip()
    source[0] = source[0].rstrip("\n") + cite_box(title, docname, notebook_name(Path(docname)))


def drop_repeated_scripts(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Keep one copy of each script: sphinx-thebe registers its inline configuration once per read phase, and a
    page that declares the same `const` twice stops with a JavaScript error."""
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for script in context.get("script_files", []):
        key = (str(getattr(script, "filename", script) or ""), tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


class ExerciseTextInItsBox(SphinxPostTransform):
    """LaTeX only: unwrap the section that sphinx-exercise puts around an exercise's or a solution's text.
    Jupyter Book's LaTeX layout moves every section of the root page to the page's end, which left the
    introduction's exercise boxes empty in the PDF with their text after them."""

    default_priority = 600  # before sphinx_jupyterbook_latex's LatexRootDocPostTransforms (700)
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        from sphinx_exercise.nodes import is_extension_node

        for section in list(self.document.findall(nodes.section)):
            if is_extension_node(section.parent):
                section.replace_self(section.children)


def book_data_dir(app: Sphinx) -> Path:
    """The data package the book reads: $KZ_DATA_DIR, else the nearest `data/` above the book's folder."""
    return find_data_dir(Path(app.srcdir))


LAUNCH_URLS = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url")
REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button")


def repository_settings(app: Sphinx, config: Config) -> None:
    """Point the theme's repository, issues and launch buttons at CITATION.cff's `repository-code`; while it is
    unset, drop them all (Jupyter Book would otherwise fill in its own repository)."""
    repo = meta.repository_url(book_data_dir(app))
    options = dict(config.html_theme_options or {})
    launch = dict(options.get("launch_buttons") or {})
    if repo:
        options["repository_url"] = repo
    else:
        options.update({"repository_url": "", **{button: False for button in REPOSITORY_BUTTONS}})
        launch.update({"thebe": False, **{key: "" for key in LAUNCH_URLS}})
    options["launch_buttons"] = launch
    config.html_theme_options = options


def fresh_inputs(app: Sphinx, config: Config) -> None:
    """Make any build as safe as `kzutils build`: SOURCE_DATE_EPOCH from the release date, and a clean build
    (every notebook re-executed) when the inputs changed since the last successful build or it failed."""
    data_dir = book_data_dir(app)
    os.environ.setdefault("SOURCE_DATE_EPOCH", kzbuild.release_epoch(data_dir))
    current = kzbuild.fingerprint(kzbuild.input_files(Path(app.srcdir), data_dir))
    if os.environ.get(kzbuild.MANAGED_ENV) == current:  # `kzutils build` checked already
        return
    build_dir = Path(app.doctreedir).parent
    if kzbuild.needs_clean_build(build_dir, current) and build_dir.is_dir() and any(build_dir.iterdir()):
        print(f"kzutils: inputs changed or last build failed: cleaning {build_dir}", flush=True)
        for child in build_dir.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        Path(app.outdir).mkdir(parents=True, exist_ok=True)
    (build_dir / kzbuild.STAMP).unlink(missing_ok=True)
    app.kz_fingerprint = current  # type: ignore[attr-defined]


def reexecuted_pages(app: Sphinx, env: Any, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    """The pages whose notebooks `kzutils build` has just executed again (a file they read changed): Sphinx
    reads them again even though their text did not change."""
    listed = Path(app.doctreedir).parent / ".kz-reexecuted"
    if not listed.is_file():
        return []
    pages = [env.path2doc(line) for line in listed.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sorted(p for p in pages if p and p not in added | changed | removed)


def record_fresh_inputs(app: Sphinx, exception: Exception | None) -> None:
    """After a successful build, record the inputs it was built from (never after a failure)."""
    current = getattr(app, "kz_fingerprint", None)
    if current and exception is None and not (app.warningiserror and app._warncount):
        (Path(app.doctreedir).parent / kzbuild.STAMP).write_text(current + "\n")


FIGURE_DATA_DIR = "_static/figure-data"
GLUE_FIGURE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{glue:figure\}\s+(?P<name>\S+)\s*$")
LOGGER = logging.getLogger(__name__)


def with_data_links(text: str) -> str:
    """The page with a `kz-figure-data` directive after every `glue:figure` block."""
    out: list[str] = []
    lines = iter(text.splitlines(keepends=True))
    for line in lines:
        out.append(line)
        opening = GLUE_FIGURE.match(line.rstrip("\n"))
        if not opening:
            continue
        for inner in lines:
            out.append(inner)
            if inner.strip() == opening.group("fence"):
                break
        out.append(f"\n```{{kz-figure-data}} {opening.group('name')}\n```\n")
    return "".join(out)


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


def table_from_spec(spec: dict[str, Any], educate: Callable[[str], str] = str) -> nodes.table:
    """The docutils table a MyST list-table with a caption, `:header-rows: 1`, `:class: longtable` and
    `:widths:` gives (a LaTeX longtable that breaks across pages), every text literal after `educate` (the
    smart quotes that Sphinx gives text it reads)."""
    table = nodes.table(classes=["colwidths-given", "longtable"])
    if spec.get("caption"):
        caption = educate(spec["caption"])
        table += nodes.title(caption, caption)
    group = nodes.tgroup(cols=len(spec["widths"]))
    table += group
    group += [nodes.colspec(colwidth=width) for width in spec["widths"]]

    def row(texts: list[str]) -> nodes.row:
        line = nodes.row()
        for text in map(educate, texts):
            line += nodes.entry("", nodes.paragraph(text, text))
        return line

    group += nodes.thead("", row(spec["columns"]))
    group += nodes.tbody("", *(row(texts) for texts in spec["rows"]))
    return table


class BookTables(SphinxPostTransform):
    """Build the tables of the outputs a builder shows (after myst-nb has chosen one format per output)."""

    default_priority = 5  # myst-nb's SelectMimeType runs at 4

    def run(self, **kwargs: Any) -> None:
        for placeholder in list(self.document.findall(book_table)):
            placeholder.replace_self(table_from_spec(json.loads(placeholder["spec"]), self.educate))

    def educate(self, text: str) -> str:
        """The text with the smart quotes, dashes and ellipses Sphinx's SmartQuotes gives text it reads."""
        from docutils.utils import smartquotes

        if not self.config.smartquotes:
            return text
        language = self.env.settings.get("language_code") or "en"
        return "".join(smartquotes.educate_tokens([("text", text)], attr=self.config.smartquotes_action,
                                                  language=language))


# --- numbers in the prose: the {fact} role and the claims ledger ------------------------------------


class fact_number(nodes.Inline, nodes.TextElement):
    """A number the prose prints from a named fact (its name in "fact"); a link to its source in HTML."""


class claims_ledger(nodes.General, nodes.Element):
    """Placeholder for the claims ledger, filled once every page has been read."""


LEDGER_DOCS = "kz_ledger_docs"
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
    from kzutils.facts import near_names

    env = inliner.document.settings.env
    key = text.strip()
    facts = book_facts(env.app)
    if key not in facts:
        message = inliner.reporter.error(f"no fact named {key!r}; similar: {near_names(key, facts)}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    env.__dict__.setdefault(FACT_USES, {}).setdefault(env.docname, set()).add(key)
    # A page's numbers follow the data: Sphinx reads the page again when any file of the package changes.
    data_dir = book_data_dir(env.app)
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        env.note_dependency(str(path))
    env.note_dependency(str(bibliography_file(env.app)))
    return [fact_number(facts[key].text, facts[key].text, fact=key)], []


def bibliography_file(app: Sphinx) -> Path:
    """The book's BibTeX file (the data package names it)."""
    from kzutils.data import bibliography_path

    return bibliography_path(book_data_dir(app))


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
        ledger = sorted(getattr(self.env, LEDGER_DOCS, set()))
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
        self.env.__dict__.setdefault(LEDGER_DOCS, set()).add(self.env.docname)
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
            "widths": [12, 40, 16, 18, 14],
            "rows": [[*cells[:4], ", ".join(page_label(app.env, d) for d in cells[4])] for _, cells in rows]}
    table = table_from_spec(spec)
    table["ids"].append("claims-ledger-table")
    for row, (name, _) in zip(table.findall(nodes.row), [("", None), *rows]):
        if name:
            row["ids"].append(nodes.make_id(f"fact-{name}"))
    for placeholder in placeholders:
        placeholder.replace_self(table.deepcopy())


def purge_fact_uses(app: Sphinx, env: Any, docname: str) -> None:
    """Forget the numbers of a page that is read again."""
    getattr(env, FACT_USES, {}).pop(docname, None)
    getattr(env, LEDGER_DOCS, set()).discard(docname)


def merge_fact_uses(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    """Parallel reads: gather the numbers the workers' pages print."""
    env.__dict__.setdefault(FACT_USES, {}).update(getattr(other, FACT_USES, {}))
    env.__dict__.setdefault(LEDGER_DOCS, set()).update(getattr(other, LEDGER_DOCS, set()))


def rewrite_ledger(app: Sphinx, env: Any) -> list[str]:
    """The ledger page is written again on every build: it lists what every other page prints."""
    return sorted(getattr(env, LEDGER_DOCS, set()))


def figure_numbering_needs_no_reread(config: Config) -> None:
    """Let the PDF build reuse the pages the HTML build read.

    sphinx-jupyterbook-latex sets `numfig_secnum_depth` to 2 for LaTeX (LaTeX then numbers figures within
    chapters, as the web book does at depth 1), and Sphinx declares the setting one that needs every page read
    again. It does not: figure numbers are assigned afresh from the read pages on every build, and the LaTeX
    writer takes the setting at writing time. Re-reading the book cost the PDF build about ten seconds."""
    from sphinx.config import _Opt

    options = getattr(config, "_options", None)
    option = options.get("numfig_secnum_depth") if isinstance(options, dict) else None
    if isinstance(option, _Opt) and option.rebuild == "env":
        options["numfig_secnum_depth"] = _Opt(option.default, "html", option.valid_types, option.description)


def remember_bibtex_plugins() -> None:
    """Look each pybtex plugin up once per build, not once per citation.

    pybtex scans every installed package's entry points on each lookup, and sphinxcontrib-bibtex looks its
    style and backend up for every citation it resolves: on this book about a third of the HTML build's time.
    Installed entry points do not change while Sphinx runs; plugins registered at run time are still checked
    first, as before."""
    import functools

    import pybtex.plugin

    if getattr(pybtex.plugin.entry_points, "kz_cached", False):
        return
    scan = pybtex.plugin.entry_points

    @functools.lru_cache(maxsize=None)
    def cached(**selection: str) -> tuple[Any, ...]:
        return tuple(scan(**selection))

    cached.kz_cached = True  # type: ignore[attr-defined]
    pybtex.plugin.entry_points = cached


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the configuration, source-read, page-context and build-finished hooks, and the figure-data directives."""
    app.add_config_value("kz_edition", "full", "env")
    remember_bibtex_plugins()
    figure_numbering_needs_no_reread(app.config)
    app.connect("config-inited", fresh_inputs, priority=100)  # first: it may empty the build folder
    app.connect("config-inited", repository_settings)
    app.connect("build-finished", record_fresh_inputs)
    app.connect("env-get-outdated", reexecuted_pages)
    app.add_post_transform(ExerciseTextInItsBox)
    app.add_node(book_table)
    app.add_directive("kz-table", BookTableDirective)
    app.add_post_transform(BookTables)
    app.add_node(fact_number)
    app.add_role("fact", fact_role)
    app.add_post_transform(FactLinks)
    app.add_node(claims_ledger)
    app.add_directive("kz-claims-ledger", ClaimsLedgerDirective)
    app.connect("doctree-resolved", fill_claims_ledger)
    app.connect("env-purge-doc", purge_fact_uses)
    app.connect("env-merge-info", merge_fact_uses)
    app.connect("env-updated", rewrite_ledger)
    app.connect("source-read", remove_solutions)
    app.connect("source-read", add_cite_box)
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
    app.connect("html-page-context", drop_repeated_scripts, priority=1000)  # after the themes add theirs
    return {"parallel_read_safe": True, "parallel_write_safe": True}
