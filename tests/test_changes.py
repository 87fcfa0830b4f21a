"""The "Changes between versions" page keeps pace with the version in CITATION.cff."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

from kzutils import meta
from conftest import BOOK

PAGE = BOOK / "changes.md"
VERSION_HEADING = re.compile(r"^## Version `(?P<version>\d+\.\d+\.\d+)`, released (?P<date>\d{1,2} [A-Z][a-z]+ \d{4})$",
                             re.M)


def key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def entries(text: str) -> list[tuple[str, dt.date, str]]:
    """(version, release date, body) of every released version's entry, in page order."""
    found = list(VERSION_HEADING.finditer(text))
    ends = [m.start() for m in found[1:]] + [len(text)]
    return [(m["version"], dt.datetime.strptime(m["date"], "%d %B %Y").date(), text[m.end():end])
            for m, end in zip(found, ends)]


def check(text: str, version: str, released: str) -> None:
    """Raise AssertionError unless `text` has a proper entry for `version` released on `released`."""
    listed = entries(text)
    versions = [v for v, _, _ in listed]
    assert version in versions, f"changes.md has no entry '## Version `{version}`, released ...' (CITATION.cff)"
    assert versions == sorted(versions, key=key, reverse=True), "entries must run newest first"
    assert len(set(versions)) == len(versions), "a version is listed twice"
    newer = [v for v in versions if key(v) > key(version)]
    assert not newer, f"entries for versions not yet released in CITATION.cff: {newer} (use 'Next release')"
    _, date, body = listed[versions.index(version)]
    assert date == dt.date.fromisoformat(released), f"version {version}: date {date} != date-released {released}"
    subsections = re.findall(r"^### (.+)$", body, re.M)
    assert subsections[:1] == ["Corrections of facts"], f"version {version}: 'Corrections of facts' must come first"


def test_the_current_version_has_an_entry() -> None:
    record = meta.citation()
    check(PAGE.read_text(encoding="utf-8"), record["version"], record["date-released"])


def test_the_changes_page_is_in_the_table_of_contents() -> None:
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text(encoding="utf-8"))
    using = next(part for part in toc["parts"] if part["caption"] == "Using the book")
    assert "changes" in [chapter["file"] for chapter in using["chapters"]]


def test_a_version_without_an_entry_fails() -> None:
    text = PAGE.read_text(encoding="utf-8")
    with pytest.raises(AssertionError, match="no entry"):
        check(text, "9.9.9", "2030-01-01")
    raised = text.replace("## Next release (not yet released)", "## Version `9.9.9`, released 1 January 2030")
    check(raised, "9.9.9", "2030-01-01")  # renaming the next-release heading is what a release does
    with pytest.raises(AssertionError, match="not yet released"):
        check(raised, meta.citation()["version"], meta.citation()["date-released"])
    with pytest.raises(AssertionError, match="date"):
        check(raised, "9.9.9", "2030-01-02")
