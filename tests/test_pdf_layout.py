"""The PDF keeps every exercise whole (its text inside its box), prints the tables that solutions return as
tables, not as pandas' monospaced text, and prints every table's cells whole, inside their columns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from kzutils.tables import output_table
from conftest import BOOK

EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}[^\n]*\n(?P<body>.*?)^\1\s*$", re.M | re.S)


def exercises(page_text: str) -> list[tuple[str, str]]:
    """(label, first words of the text) of every exercise on a page, in order."""
    found = []
    for match in EXERCISE.finditer(page_text):
        body = match.group("body")
        label = re.search(r"^:label:\s*(\S+)", body, re.M)
        text = " ".join(line for line in body.splitlines() if line.strip() and not line.startswith(":"))
        found.append((label.group(1) if label else "", text))
    return found


def test_returned_frames_and_series_become_pdf_tables() -> None:
    import json

    def spec(data: pd.DataFrame | pd.Series) -> dict:
        text = output_table(data)
        assert text.startswith("```{kz-table}\n")
        return json.loads(text.split("\n")[1])

    frame = pd.DataFrame({"year": [2019, 2022], "events": [3, 40]}).set_index("year")
    assert spec(frame)["columns"] == ["year", "events"] and spec(frame)["rows"][1] == ["2022", "40"]
    counts = pd.Series({"reform": 18, "justice": 16}, name="count")
    assert spec(counts)["rows"][0] == ["reform", "18"]
    dates = pd.DataFrame({"date": pd.to_datetime(["2022-01-05"]), "title": ["<b>x</b>"]})
    assert spec(dates)["rows"] == [["2022-01-05", "<b>x</b>"]]
    assert spec(pd.DataFrame({"n": range(100)}))["caption"] == "First 10 of 100 rows"
    pivot = pd.DataFrame({"date": ["d1"], "vote": ["v1"], "final": [69.4]}).set_index(["date", "vote"])
    assert spec(pivot)["columns"] == ["date", "vote", "final"]


def test_every_page_with_exercises_is_found() -> None:
    pages = [p for p in BOOK.rglob("*.md") if "_build" not in p.parts and "{exercise}" in p.read_text(encoding="utf-8")]
    assert pages and all(exercises(p.read_text(encoding="utf-8")) for p in pages)


def letters(text: str) -> str:
    """Only letters and digits, lower case: PDF text compared across line breaks, hyphenation and markup."""
    return re.sub(r"[\W_]+", "", text).lower()


def opening_words(body: str, count: int = 8) -> str:
    """The first words of an exercise's Markdown text up to its first role (a citation prints differently),
    without inline code marks or emphasis."""
    before_role = re.split(r"\{[a-z:-]+\}`", body, maxsplit=1)[0]
    plain = re.sub(r"[`*_]", "", before_role if len(before_role.split()) >= 3 else body)
    return " ".join(plain.split()[:count])


def pages_in_order() -> list[Path]:
    import yaml

    toc = yaml.safe_load((BOOK / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [BOOK / f"{name}.md" for name in names]


def without_running_heads(text: str) -> str:
    """The PDF's text without each page's first and last line (running head, page number and chapter name)."""
    kept = []
    for page in text.split("\f"):
        lines = [line for line in page.splitlines() if line.strip()]
        kept += lines[1:-1] if len(lines) > 2 else lines
    return "\n".join(kept)


@pytest.mark.build
def test_every_exercise_text_sits_in_its_box(pdf_text: tuple[str, Path]) -> None:
    text = letters(without_running_heads(pdf_text[0]))
    misplaced, position = [], 0
    for page in pages_in_order():
        for label, body in exercises(page.read_text(encoding="utf-8")):
            needle = letters(opening_words(body))
            at = text.find(needle, position)
            assert at >= 0, f"{page.name} {label}: exercise text not in the PDF: {opening_words(body)!r}"
            title = text.rfind("exercise", position, at)
            between = text[title:at] if title >= 0 else ""
            # The box's title ("Exercise 3", with an optional title) comes right before the text, with no
            # other box (a solution, the cite box) in between.
            if title < 0 or len(between) > 120 or "solutionto" in between or "citethischapter" in between:
                misplaced.append(f"{page.name} {label}: {between[:80]!r}")
            position = at + len(needle)  # the next exercise may open with the same words
    assert not misplaced, "exercise text not in its box:\n  " + "\n  ".join(misplaced)


@pytest.mark.build
def test_solution_tables_are_tables_in_the_pdf(pdf_text: tuple[str, Path]) -> None:
    tex = pdf_text[1].with_suffix(".tex").read_text(encoding="utf-8")
    solutions = re.findall(r"\\begin\{sphinxadmonition\}\{note\}\{Solution to.*?\\end\{sphinxadmonition\}", tex, re.S)
    assert solutions, "no solutions in the PDF"
    outputs = [(s[:60], out) for s in solutions for out in re.findall(
        r"\\begin\{sphinxuseclass\}\{cell_output\}\s*\\begin\{sphinxVerbatim\}[^\n]*\n(.*?)\\end\{sphinxVerbatim\}", s, re.S)]
    # pandas' text: "dtype: ..." under a Series, "[n rows x m columns]", or columns aligned by runs of spaces.
    dumps = [title for title, out in outputs
             if re.search(r"dtype: |\[\d+ rows x \d+ columns\]", out) or re.match(r"\s*\S+(\s{2,}\S+)+\s*\n.*\S\s{2,}\S", out)]
    assert not dumps, f"solutions print tables as monospaced text: {dumps}"
    assert any("longtable" in s for s in solutions), "no solution prints a table"


# --- tables that fit the page (issue 21, section 4) -----------------------------------------------------------

# One table of every kind the book prints, by the start of its caption: the claims ledger, the bibliography's
# three tables, an observer table, the data dictionary and a chapter's table of results.
SAMPLE = {
    "claims ledger": "Every number printed in the text",
    "bibliography: sources": "Every bibliography entry with its kind",
    "bibliography: copies": "Copies and encyclopedias kept",
    "bibliography: citations by kind": "Citations per chapter by kind",
    "observer table": "Observer missions at the elections of 2019",
    "data dictionary": "Every field:",
    "chapter table": "Early presidential election of 20 November 2022",
}
LONGTABLE = re.compile(r"\\begin\{longtable\}.*?\\end\{longtable\}", re.S)


def latex_text(cell: str) -> str:
    """The text of a LaTeX table cell as Sphinx wrote it: commands and braces dropped (a command's argument,
    such as emphasised text, kept), escaped characters kept."""
    cell = cell.replace("\\\\", " ")  # the end of a row (a backslash in the text is \textbackslash{})
    cell = re.sub(r"\\(sphinxhyphen|textendash|textemdash)\{\}", "-", cell)
    cell = re.sub(r"\\([&%#$_{}])", r"\1", cell)
    cell = re.sub(r"\\[A-Za-z@]+\*?(\[[^\]]*\])?", " ", cell)
    return " ".join(cell.replace("{", " ").replace("}", " ").split())


@dataclass
class PrintedTable:
    caption: str
    rows: list[list[str]]  # the header row first
    lines: tuple[int, int]  # first and last line of the table in the .tex


def printed_tables(tex: str) -> list[PrintedTable]:
    """Every longtable of the PDF's LaTeX: its caption, header and body rows (cells as text), and its lines."""
    found = []
    for match in LONGTABLE.finditer(tex):
        body = match.group()
        caption = re.search(r"\\caption\{(.*?)\\strut\}", body)
        header = body.split("\\sphinxtoprule", 1)[-1].split("\\endfirsthead", 1)[0]
        rows = [header] + re.split(r"\\\\\s*\n", body.split("\\endlastfoot", 1)[-1].rsplit("\\end{longtable}", 1)[0])
        cells = [[latex_text(cell) for cell in re.split(r"(?<!\\)&", row)] for row in rows]
        first = tex.count("\n", 0, match.start()) + 1
        found.append(PrintedTable(latex_text(caption.group(1)) if caption else "", [r for r in cells if any(r)],
                                  (first, first + body.count("\n"))))
    return found


@pytest.fixture(scope="module")
def pdf_tables(pdf_text: tuple[str, Path]) -> tuple[list[PrintedTable], str, str]:
    """The PDF's tables (from its LaTeX), its text in content order (`pdftotext -raw`, in which a table cell's
    lines stay together), and its LaTeX log."""
    import subprocess

    pdf = pdf_text[1]
    raw = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    tables = printed_tables(pdf.with_suffix(".tex").read_text(encoding="utf-8"))
    return tables, letters(raw), pdf.with_suffix(".log").read_text(encoding="utf-8", errors="replace")


@pytest.mark.build
def test_the_sample_covers_every_kind_of_table(pdf_tables: tuple[list[PrintedTable], str, str]) -> None:
    captions = [table.caption for table in pdf_tables[0]]
    missing = [kind for kind, start in SAMPLE.items() if not any(c.startswith(start) for c in captions)]
    assert not missing, f"no table of these kinds in the PDF (caption changed?): {missing}"


@pytest.mark.build
def test_every_cell_of_every_table_is_printed_whole(pdf_tables: tuple[list[PrintedTable], str, str]) -> None:
    """Each table's cells are found in the PDF's text in order, each whole (across line breaks and hyphens)."""
    tables, text, _ = pdf_tables
    assert len(tables) >= len(SAMPLE)
    lost = []
    for table in tables:
        position = text.find(letters(table.caption)) if table.caption else 0
        for row in table.rows:
            for cell in filter(None, map(letters, row)):
                at = text.find(cell, max(position, 0))
                if at < 0:
                    lost.append(f"{table.caption[:50]!r}: {cell[:60]!r}")
                else:
                    position = at + len(cell)
    assert not lost, f"{len(lost)} table cells not printed whole:\n  " + "\n  ".join(lost[:30])


@pytest.mark.build
def test_no_table_sticks_out_of_its_columns(pdf_tables: tuple[list[PrintedTable], str, str]) -> None:
    """No line of any table is overfull: an entry wider than its column runs under the next column's shading,
    which hides it (as the claims ledger's keys and the data dictionary's names were in 0.3.0)."""
    from kzutils.build.layout import overfull_lines

    tables, _, log = pdf_tables
    over = [(pt, first) for pt, first, last in overfull_lines(log) if pt > 1.0]
    found = [f"{table.caption[:50]!r}, .tex line {first}: {pt:.1f} pt too wide" for table in tables
             for pt, first in over if table.lines[0] <= first <= table.lines[1]]
    assert not found, "table lines wider than their column:\n  " + "\n  ".join(found[:30])


@pytest.mark.build
def test_every_cross_reference_resolves_in_the_pdf(pdf_tables: tuple[list[PrintedTable], str, str]) -> None:
    """No "??" and no dead link: a reference from one page to another page's exercise asked for a label that
    sphinx-exercise does not define (kzutils.build.sphinx_ext.ExerciseLabelsForOtherPages)."""
    undefined = {" ".join(label.split()) for label in
                 re.findall(r"[Rr]eference `([^']+)'\s+on\s+page", pdf_tables[2])}
    assert not undefined, f"references the PDF could not resolve: {sorted(undefined)}"


@pytest.mark.build
def test_the_pdf_build_reports_its_overfull_lines(pdf_text: tuple[str, Path], capsys: pytest.CaptureFixture) -> None:
    """Every PDF build prints the count of its overfull lines (kzutils.build.report_overfull), as a figure to
    watch rather than a pass or fail."""
    from kzutils.build import report_overfull

    report_overfull(pdf_text[1].parent)
    printed = capsys.readouterr().out
    with capsys.disabled():
        print(f"\n{printed.strip()}")
    assert re.search(r"the PDF has \d+ overfull lines, \d+ of them by more than 20 pt", printed)
