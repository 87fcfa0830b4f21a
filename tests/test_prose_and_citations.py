"""The prose holds no hand-typed statistics, and every citation resolves to a sourced entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kzutils import bib
from conftest import BOOK

PAGES = sorted(p for p in BOOK.rglob("*.md") if "_build" not in p.parts)
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"

# Fenced blocks whose body is code, not prose: code cells and literal blocks (```python, ```bibtex, ...).
CODE_DIRECTIVES = {"code-cell", "code", "code-block", "literalinclude"}
FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\s*(?P<info>\S*)")
# Directive options that hold names, not prose (:alt: and captions stay prose and are checked).
OPTION = re.compile(r"^:(name|label|tags|width|height|align|class|figwidth|scale):.*$")
# Inline markup that is not prose: roles (fact, cite, refs), inline code, link targets, URLs, labels.
INLINE = [
    re.compile(r"\{[a-z:-]+\}`[^`]*`"),
    re.compile(r"`[^`]*`"),
    re.compile(r"\]\([^)]*\)"),
    re.compile(r"https?://\S+"),
    re.compile(r"^\([\w-]+\)=$", re.M),
]
ALLOWED = [
    re.compile(rf"\b\d{{1,2}}\s+(?:{MONTHS})\b"),  # 5 June
    re.compile(rf"\b(?:{MONTHS})\s+\d{{1,2}}\b"),  # June 5
    re.compile(r"\b(?:19|20)\d\d(?:s|–(?:19|20)\d\d)?\b"),  # years, decades and year ranges
    re.compile(r"\bArticles? \d+(?:[.-]\d+)?(?:\(\d+\))?(?:(?:,| and| or) \d+(?:\(\d+\))?)*"),  # legal articles: names
]


def prose_lines(markdown: str) -> list[str]:
    """The lines a reader sees as text: no front matter, no code, no directive names or options."""
    text = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.S)
    kept: list[str] = []
    stack: list[tuple[str, int, bool]] = []  # (fence character, fence length, body is code)
    for line in text.splitlines():
        match = FENCE.match(line)
        if match:
            fence = match.group("fence")
            if stack and fence[0] == stack[-1][0] and len(fence) >= stack[-1][1] and not line.strip(fence[0]).strip():
                stack.pop()
                continue
            if not (stack and stack[-1][2]):
                info = match.group("info")
                directive = re.fullmatch(r"\{([\w:-]+)\}", info)
                is_code = directive is None or directive.group(1) in CODE_DIRECTIVES
                stack.append((fence[0], len(fence), is_code))
                continue
        if stack and stack[-1][2]:
            continue
        if stack and OPTION.match(line):
            continue
        kept.append(line)
    return kept


def hand_typed_numbers(markdown: str) -> list[str]:
    """Digits left in the prose once code, markup, facts, citations, dates and years are taken out."""
    text = "\n".join(prose_lines(markdown))
    for pattern in INLINE + ALLOWED:
        text = pattern.sub(" ", text)
    return re.findall(r"[^\s]*\d[^\s]*", text)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(BOOK)))
def test_no_hand_typed_statistics(page: Path) -> None:
    assert hand_typed_numbers(page.read_text(encoding="utf-8")) == []


def test_the_checker_catches_typed_numbers() -> None:
    assert hand_typed_numbers("Tokayev won 81.3% on 20 November 2022.") == ["81.3%"]
    assert hand_typed_numbers("about 2,500 troops") == ["2,500"]
    assert hand_typed_numbers("Tokayev won {fact}`share` in 2022 {cite:p}`crs2022`.") == []
    assert hand_typed_numbers("```{code-cell} ipython3\nx = 81.31\n```\n") == []
    assert hand_typed_numbers("Article 174 and Articles 405 and 258 name offences; 174 people do not.") == ["174"]


def test_the_checker_reads_prose_between_and_inside_blocks() -> None:
    page = "```{code-cell} ipython3\nx = 1\n```\n\nTurnout was 54.2% that day.\n\n```{glue:figure} fig\n:name: fig-1\n:alt: A chart of 3 bars\n\nCaption with 12 items.\n```\n"
    assert hand_typed_numbers(page) == ["54.2%", "3", "12"]
    nested = "````{exercise}\n:label: ex-a-1\n\nCount 7 things.\n````\n\n````{solution-start} ex-a-1\n````\n\n```{code-cell} ipython3\ny = 2\n```\n"
    assert hand_typed_numbers(nested) == ["7"]
    assert hand_typed_numbers("```bibtex\n@book{x, year = {2026}, edition = {1.2}}\n```\nFine.\n") == []


CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]*)`")


def cited_keys() -> set[str]:
    keys: set[str] = set()
    for page in PAGES:
        for group in CITE.findall(page.read_text(encoding="utf-8")):
            keys.update(k.strip() for k in group.split(","))
    return keys


def test_every_cited_key_exists() -> None:
    missing = cited_keys() - bib.keys(BOOK / "references.bib")
    assert not missing, f"cited but not in references.bib: {sorted(missing)}"


def test_the_four_anchor_sources_are_cited() -> None:
    assert {"crs2022reforms", "crs2025kazakhstan", "civicus2022newkz", "cornellbarro2022"} <= cited_keys()


def test_every_entry_can_be_followed() -> None:
    entries = bib.read(BOOK / "references.bib").entries
    assert entries
    for key, entry in entries.items():
        fields = {name.lower() for name in entry.fields}
        assert fields & {"url", "doi", "publisher"}, f"{key} has no url, doi or publisher"
        assert "year" in fields, f"{key} has no year"


def test_every_entry_formats_in_the_book_style() -> None:
    from pybtex.plugin import find_plugin

    style = find_plugin("pybtex.style.formatting", "plain")()
    text = find_plugin("pybtex.backends", "text")()  # found once: each render_as() looks the backend up again
    for key, entry in bib.read(BOOK / "references.bib").entries.items():
        formatted = list(style.format_entries([entry]))
        assert formatted[0].text.render(text), key
