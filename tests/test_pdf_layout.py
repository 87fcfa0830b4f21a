"""The PDF keeps every exercise whole (its text inside its box) and prints the tables that solutions return
as tables, not as pandas' monospaced text."""

from __future__ import annotations

import re

import pandas as pd

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


def test_returned_frames_and_series_become_list_tables() -> None:
    frame = pd.DataFrame({"year": [2019, 2022], "events": [3, 40]}).set_index("year")
    table = output_table(frame)
    assert table.startswith("```{list-table}") and "* - year\n  - events" in table and "  - 40" in table
    counts = pd.Series({"reform": 18, "justice": 16}, name="count")
    assert "* - reform\n  - 18" in output_table(counts)
    dates = pd.DataFrame({"date": pd.to_datetime(["2022-01-05"]), "title": ["<b>x</b>"]})
    text = output_table(dates)
    assert "2022\\-01\\-05" in text and "00:00" not in text and "\\<b\\>x\\<\\/b\\>" in text
    assert "First 10 of 100 rows" in output_table(pd.DataFrame({"n": range(100)}))


def test_every_page_with_exercises_is_found() -> None:
    pages = [p for p in BOOK.rglob("*.md") if "_build" not in p.parts and "{exercise}" in p.read_text(encoding="utf-8")]
    assert pages and all(exercises(p.read_text(encoding="utf-8")) for p in pages)
