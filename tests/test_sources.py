"""Who is speaking: every bibliography entry has a kind, a publisher and a real document URL; data rows do not rest
on copies or encyclopedias unless the entry is marked as not upgradable; the per-chapter summary counts kinds."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import kzutils as kz
from kzutils import bib
from conftest import BOOK, DATA, edit_cell, edit_entry

BIB = BOOK / "references.bib"


@pytest.fixture
def sources_copy(tmp_path: Path) -> Path:
    """A copy of data/ and book/references.bib (the descriptor points at ../book/references.bib)."""
    shutil.copytree(DATA, tmp_path / "data")
    (tmp_path / "book").mkdir()
    shutil.copy2(BIB, tmp_path / "book" / "references.bib")
    return tmp_path


def first_key_of_kind(kind: str) -> str:
    return next(key for key, value in bib.kinds(BIB).items() if value == kind)


def test_real_bibliography_passes() -> None:
    bib.check_entries(BIB)
    kinds = bib.kinds(BIB)
    assert len(kinds) > 300 and set(kinds.values()) <= set(bib.KINDS)
    assert set(bib.STATE_KINDS) | set(bib.WEAK_KINDS) <= set(bib.KINDS)


def test_vocabulary_is_the_fixed_one() -> None:
    assert list(bib.KINDS) == ["official", "state-media", "independent-media", "wire", "foreign-state-media",
                               "intl-org", "ngo", "academic", "encyclopedia", "syndicated"]


def test_entry_without_kind_is_rejected(sources_copy: Path) -> None:
    path = sources_copy / "book" / "references.bib"
    edit_entry(path, "kazinform2022final", lambda t: re.sub(r"\n  kind = \{[^}]*\},", "", t))
    with pytest.raises(bib.BibliographyError) as caught:
        bib.check_entries(path)
    assert caught.value.key == "kazinform2022final" and caught.value.column == "kind"
    assert "entry 'kazinform2022final', field 'kind': is missing" in str(caught.value)
    with pytest.raises(kz.DataValidationError):  # loading data checks the bibliography too
        kz.load("votes", sources_copy / "data")


def test_unknown_kind_is_rejected(sources_copy: Path) -> None:
    path = sources_copy / "book" / "references.bib"
    edit_entry(path, "kazinform2022final", lambda t: t.replace("kind = {state-media}", "kind = {news}"))
    with pytest.raises(bib.BibliographyError, match="'news' is not one of"):
        bib.check_entries(path)


def test_entry_without_publisher_is_rejected(sources_copy: Path) -> None:
    path = sources_copy / "book" / "references.bib"
    edit_entry(path, "kazinform2022final", lambda t: re.sub(r"\n  publisher = \{[^}]*\},", "", t))
    with pytest.raises(bib.BibliographyError, match="field 'publisher'"):
        bib.check_entries(path)


def test_syndicated_entry_needs_its_origin(sources_copy: Path) -> None:
    path = sources_copy / "book" / "references.bib"
    key = first_key_of_kind("syndicated")
    edit_entry(path, key, lambda t: re.sub(r"\n  origin = \{[^}]*\},", "", t))
    with pytest.raises(bib.BibliographyError, match="field 'origin'"):
        bib.check_entries(path)


@pytest.mark.parametrize("url, bare", [
    ("https://crsreports.congress.gov", True),
    ("https://silkroadstudies.org/", True),
    ("https://astanatimes.com/?p=8650", False),
    ("https://www.rferl.org/a/1063528.html", False),
])
def test_bare_homepage(url: str, bare: bool) -> None:
    assert bib.is_bare_homepage(url) is bare


def test_homepage_url_is_rejected(sources_copy: Path) -> None:
    path = sources_copy / "book" / "references.bib"
    edit_entry(path, "kazinform2022final", lambda t: re.sub(r"url = \{[^}]*\}", "url = {https://www.inform.kz/}", t))
    with pytest.raises(bib.BibliographyError, match="bare homepage"):
        bib.check_entries(path)


def test_anchor_documents_point_at_documents() -> None:
    entries = bib.read(BIB).entries
    for key in ("crs2022reforms", "crs2025kazakhstan", "civicus2022newkz", "cornellbarro2022"):
        url = entries[key].fields.get("url", "")
        assert not url or not bib.is_bare_homepage(url), key


def test_no_data_row_rests_on_a_copy_or_encyclopedia() -> None:
    """Every weak (syndicated or encyclopedia) source a data row names is marked `upgrade = {not found: ...}`."""
    entries = bib.read(BIB).entries
    kinds = bib.kinds(BIB)
    for name, frame in kz.load_all().items():
        for key in set(frame["source"].dropna()) if "source" in frame else ():
            if kinds[key] in bib.WEAK_KINDS:
                assert bib.is_unupgradable(entries[key]), f"{name}: {key} is {kinds[key]} and not marked"


def test_row_on_an_unmarked_copy_is_rejected(sources_copy: Path) -> None:
    key = first_key_of_kind("syndicated")
    path = sources_copy / "book" / "references.bib"
    edit_cell(sources_copy / "data" / "votes.csv", 1, "source", key)
    kz.load("votes", sources_copy / "data")  # marked `upgrade = {not found: ...}`: allowed
    edit_entry(path, key, lambda t: re.sub(r",\n  upgrade = \{.*?\}(?=\n|,)", "", t, flags=re.S))
    with pytest.raises(kz.DataValidationError) as caught:
        kz.load("votes", sources_copy / "data")
    assert caught.value.row == 1 and caught.value.column == "source" and "syndicated" in str(caught.value)


def test_upgrade_mark_must_say_not_found(sources_copy: Path) -> None:
    path = sources_copy / "book" / "references.bib"
    edit_entry(path, first_key_of_kind("syndicated"), lambda t: t.replace("upgrade = {not found:", "upgrade = {maybe:"))
    with pytest.raises(bib.BibliographyError, match="field 'upgrade'"):
        bib.check_entries(path)


def test_marked_copies_are_listed() -> None:
    listed = bib.not_upgraded(BIB)
    assert list(listed.columns) == ["key", "publisher", "origin", "searched"]
    assert all(text.strip() for text in listed["searched"])
    assert set(listed["key"]) == {k for k, e in bib.read(BIB).entries.items() if bib.is_unupgradable(e)}
    page = (BOOK / "bibliography.md").read_text(encoding="utf-8")
    for table in ("not-upgraded", "by-chapter", "sources"):
        assert f"```{{kz-bibliography-table}} {table}" in page


def test_kinds_by_page_counts_state_sources() -> None:
    state, wire = first_key_of_kind("state-media"), first_key_of_kind("wire")
    table = bib.kinds_by_page({"Page": [state, state, wire], "Empty": []}, BIB).set_index("chapter")
    assert table.loc["Page", "state-media"] == 2 and table.loc["Page", "wire"] == 1
    assert table.loc["Page", "total"] == 3 and table.loc["Page", "state sources"] == 2
    assert table.loc["Page", "state share (%)"] == pytest.approx(66.7)
    assert table.loc["Empty", "total"] == 0 and table.loc["Empty", "state share (%)"] == 0
