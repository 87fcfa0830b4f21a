"""Whole-book builds: strict HTML, the facts in the pages, never stale, never a hidden failure."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml

import kzutils as kz
from kzutils.build import build
from kzutils.build.freshness import read_state
from conftest import edit_cell, read_rows

pytestmark = pytest.mark.build


def page_text(out: Path, page: str) -> str:
    """The visible text of one built HTML page."""
    raw = (out / "_build" / "html" / f"{page}.html").read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def toc_pages(book: Path) -> list[str]:
    toc = yaml.safe_load((book / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part["chapters"]]
    return pages


def fact_keys(page: Path) -> set[str]:
    return set(re.findall(r"\{fact\}`\s*(\w+)\s*`", page.read_text(encoding="utf-8")))


@pytest.fixture
def built(built_book: Path) -> Path:
    """The shared strict build of the real book."""
    return built_book


def test_build_is_strict_and_complete(built: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    for page in toc_pages(root / "book"):
        assert (built / "_build" / "html" / f"{page}.html").is_file(), page
    assert read_state(built / "_build")["succeeded"]


def test_every_printed_fact_is_in_the_html(built: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    facts = kz.all_facts()
    for page in toc_pages(root / "book"):
        source = root / "book" / f"{page}.md"
        text = page_text(built, page)
        for key in fact_keys(source):
            assert key in facts, f"{page}: {key} is not a named fact"
            assert facts[key].text in text, f"{page}: {key} = {facts[key].text} not in the HTML"


def test_chapter_shows_table_figure_and_citations(built: Path) -> None:
    raw = (built / "_build" / "html" / "chapters" / "elections.html").read_text(encoding="utf-8")
    assert 'alt="Line chart of two series' in raw
    assert "Kazhyken" in raw and "Against all" in raw
    assert raw.count('class="reference internal" href="../bibliography.html#cite-') >= 10


def test_editing_data_reexecutes_the_notebooks(project_copy: Path) -> None:
    book, data, out = project_copy / "book", project_copy / "data", project_copy / "out"
    assert build(book, out, data) == 0
    assert "turnout of 69.44% is the lowest" in page_text(out, "chapters/elections")
    rows = read_rows(data / "votes.csv")
    row = next(i for i, r in enumerate(rows) if r[:1] == ["pres-2022"] and r[4] == "final")
    edit_cell(data / "votes.csv", row, "turnout_pct", "69.43")
    assert build(book, out, data) == 0
    text = page_text(out, "chapters/elections")
    assert "turnout of 69.43% is the lowest" in text and "69.44% is the lowest" not in text


def test_a_failing_cell_fails_every_build(project_copy: Path) -> None:
    book, data, out = project_copy / "book", project_copy / "data", project_copy / "out"
    assert build(book, out, data) == 0
    chapter = book / "chapters" / "elections.md"
    good = chapter.read_text(encoding="utf-8")
    chapter.write_text(good.replace("facts = kz.all_facts()", "facts = kz.all_facts()\nraise RuntimeError('boom')"))
    assert build(book, out, data) != 0
    assert build(book, out, data) != 0, "the second build after a failure must fail too"
    chapter.write_text(good)
    assert build(book, out, data) == 0


def test_building_inside_the_book_folder_keeps_the_sources(project_copy: Path) -> None:
    book, data = project_copy / "book", project_copy / "data"
    edit_cell(data / "events.csv", 1, "title", "Nazarbayev announces his resignation")
    (book / "_build").mkdir()
    assert build(book, book, data) == 0  # a clean build here must remove only book/_build
    assert (book / "_toc.yml").is_file() and (book / "_build" / "html" / "index.html").is_file()


def test_bad_data_fails_the_build(project_copy: Path) -> None:
    book, data, out = project_copy / "book", project_copy / "data", project_copy / "out"
    edit_cell(data / "vote_results.csv", 1, "share_pct", "198.78")
    assert build(book, out, data) != 0
    assert build(book, out, data) != 0
