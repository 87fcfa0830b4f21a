"""Text from the data is shown as text, never read as markup: a CSV cell holding a <script> element
appears escaped in the HTML and runs nothing in a real browser.

A tiny copy of the project is built: the real data with one events.csv title and the 2022 winner's name
prefixed by a script, and a one-page book whose page shows them the ways the chapters show data -- a
table through `kz.show_table` and a number or name printed with the `{fact}` role (and its hover text).
"""

from __future__ import annotations

import html
import textwrap
from pathlib import Path

import pytest

from browser.support import chromium, serve
from conftest import read_rows, write_rows
from kzutils.build import build

pytestmark = pytest.mark.build

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = html.escape(PAYLOAD, quote=False)  # &lt;script&gt;alert(1)&lt;/script&gt;

PAGE = textwrap.dedent(
    """\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
        format_version: 0.13
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---

    # Escaping check

    ```{code-cell} ipython3
    :tags: [remove-input]

    import kzutils as kz

    events = kz.load("events")
    hostile = events[events["title"].str.contains("<script>", regex=False)]
    assert len(hostile) == 1
    kz.show_table(hostile[["date", "title", "source"]], caption="An event whose title holds a script")
    ```

    Printed as a fact: {fact}`presidential_2022_winner`.
    """
)


@pytest.fixture
def hostile_book(project_copy: Path) -> Path:
    """A one-page book over data whose first event title is a script element; returns the build's `out`."""
    book, data = project_copy / "book", project_copy / "data"
    rows = read_rows(data / "events.csv")
    title = rows[0].index("title")
    rows[1][title] = f"{PAYLOAD} {rows[1][title]}"
    write_rows(data / "events.csv", rows)
    results = read_rows(data / "vote_results.csv")
    winner = next(r for r in results if r[:2] == ["pres-2022", "final"] and "Tokayev" in r[2])
    winner[2] = f"{PAYLOAD} {winner[2]}"
    write_rows(data / "vote_results.csv", results)
    (book / "escaping.md").write_text(PAGE, encoding="utf-8")
    (book / "ledger.md").write_text("# Ledger\n\n```{kz-claims-ledger}\n```\n", encoding="utf-8")
    (book / "_toc.yml").write_text("format: jb-book\nroot: escaping\nchapters:\n  - file: ledger\n", encoding="utf-8")
    out = project_copy / "out"
    assert build(book, out, data) == 0
    return out


def test_a_script_in_a_data_cell_is_escaped_in_the_html(hostile_book: Path) -> None:
    # <wbr> marks where a long word of a table may break (kzutils.tables.breakable_html); the text is the same.
    raw = (hostile_book / "_build" / "html" / "escaping.html").read_text(encoding="utf-8").replace("<wbr>", "")
    assert PAYLOAD not in raw, "the data's <script> element reached the HTML as markup"
    assert raw.count(ESCAPED) >= 3, f"expected it escaped in the table, the fact and its hover text: {ESCAPED}"
    ledger = (hostile_book / "_build" / "html" / "ledger.html").read_text(encoding="utf-8").replace("<wbr>", "")
    assert PAYLOAD not in ledger and ESCAPED in ledger


def test_a_script_in_a_data_cell_runs_nothing_in_the_browser(hostile_book: Path) -> None:
    with chromium() as browser, serve(hostile_book / "_build" / "html") as base:
        context = browser.new_context()
        # Record any alert, even one the page might try to hide from the dialog event.
        context.add_init_script("window.__alerts = []; window.alert = (m) => window.__alerts.push(String(m));")
        tab = context.new_page()
        dialogs: list[str] = []
        tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        tab.goto(base + "escaping.html", wait_until="load")
        tab.wait_for_load_state("networkidle", timeout=10_000)
        assert dialogs == [] and tab.evaluate("window.__alerts") == [], "the data's script ran"
        assert tab.evaluate("[...document.scripts].filter(s => s.text.includes('alert(1)')).length") == 0
        shown = tab.evaluate("document.querySelector('main, article, body').innerText")
        assert shown.count(PAYLOAD) >= 2, "the data should be shown as text, in the table and in the prose"
        context.close()
