"""Each author-year label stands for one source (issue 21, section 2): "Qazinform, 2026" once named thirteen
different entries in one chapter. Labels get a suffix on the year (2026a, 2026b) across the whole bibliography
(kzutils.build.citations), and the text and the bibliography print the same label."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from pathlib import Path

import pytest
from pybtex.database import parse_string

from kzutils.build.citations import LabelStyle, SortingStyle, suffix
from conftest import BOOK

BIB = """
@misc{b, author = {{Qazinform}}, title = {{Second}}, year = {2026}, month = mar, day = {2}}
@misc{a, author = {{Qazinform}}, title = {{First}}, year = {2026}, month = jan, day = {20}}
@misc{c, author = {{Qazinform}}, title = {{Other year}}, year = {2025}}
@misc{d, author = {Luca Anceschi and Paul Smith and Ann Jones}, title = {{Three authors}}, year = {2020}}
@misc{e, title = {{Kurchatov}}, year = {n.d.}}
"""


def labels(bib: str) -> dict[str, str]:
    entries = SortingStyle().sort(parse_string(bib, "bibtex").entries.values())
    return {entry.key: label for entry, label in zip(entries, LabelStyle().format_labels(entries))}


def test_labels_shared_by_two_entries_get_suffixes_in_date_order() -> None:
    found = labels(BIB)
    assert found["a"] == "Qazinform, 2026a" and found["b"] == "Qazinform, 2026b"  # January before March
    assert found["c"] == "Qazinform, 2025"  # alone in its year: no suffix
    assert found["d"] == "Anceschi et al., 2020" and found["e"] == "Kurchatov, n.d."
    assert [suffix(n) for n in (0, 1, 25, 26, 27)] == ["a", "b", "z", "aa", "ab"]


def test_every_label_of_the_bibliography_is_unique() -> None:
    found = labels((BOOK / "references.bib").read_text(encoding="utf-8"))
    shared = defaultdict(list)
    for key, label in found.items():
        shared[label].append(key)
    assert not {label: keys for label, keys in shared.items() if len(keys) > 1}


CITATION = re.compile(r'<span class="bibtex-citation"[^>]*>(.*?)</span>', re.S)
LINK = re.compile(r'<a class="reference internal" href="[^"]*bibliography\.html#cite-([^"]+)"[^>]*>(.*?)</a>', re.S)


def page_labels(page: str) -> dict[str, set[str]]:
    """Every label the citations of a built page print (for `{cite:t}`, the author before the linked year),
    with the entries it links to."""
    found: dict[str, set[str]] = defaultdict(set)
    for citation in CITATION.findall(page):
        author = html.unescape(re.sub(r"<[^>]+>", "", citation.split("<a ", 1)[0])).strip(" [(")
        for key, text in LINK.findall(citation):
            text = html.unescape(re.sub(r"<[^>]+>", "", text))
            found[f"{author}, {text}" if author else text].add(key)
    return found


@pytest.mark.build
def test_no_label_stands_for_two_sources(built_book: Path) -> None:
    """On the built HTML: across the whole book, no label links to two entries, and each entry's label in the
    text is the label printed in front of it in the bibliography."""
    site = built_book / "_build" / "html"
    book: dict[str, set[str]] = defaultdict(set)
    pages: dict[str, set[str]] = defaultdict(set)
    for path in sorted(site.rglob("*.html")):
        for label, keys in page_labels(path.read_text(encoding="utf-8")).items():
            book[label] |= keys
            pages[label].add(path.relative_to(site).as_posix())
    assert book, "no citations found in the built pages"
    shared = [f"{label!r} stands for {sorted(keys)} on {sorted(pages[label])}" for label, keys in book.items()
              if len(keys) > 1]
    assert not shared, "labels that stand for more than one source:\n  " + "\n  ".join(shared)
    listed = dict(re.findall(r'<div class="citation" id="cite-([^"]+)"[^>]*>\s*<span class="label">'
                             r'<span class="fn-bracket">\[</span>(.*?)<span class="fn-bracket">\]</span>',
                             (site / "bibliography.html").read_text(encoding="utf-8")))
    listed = {key: html.unescape(label) for key, label in listed.items()}
    differ = [f"{key}: text {label!r}, bibliography {listed.get(key)!r}" for label, keys in book.items()
              for key in keys if listed.get(key) != label]
    assert not differ, "labels in the text that differ from the bibliography's:\n  " + "\n  ".join(differ[:20])
