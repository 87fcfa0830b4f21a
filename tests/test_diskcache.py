"""kzutils.diskcache: validated tables and facts shared between processes, never stale, never hiding bad data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import kzutils as kz
from kzutils import data as kzdata
from kzutils import diskcache, facts as kzfacts
from kzutils.validate import DataValidationError
from conftest import edit_cell


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty disk cache for this test, and no table held in memory."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(diskcache.ENV, str(folder))
    kzdata._load_cached.cache_clear()
    yield folder
    kzdata._load_cached.cache_clear()


def fresh_process_title(data: Path, cache: Path) -> str:
    """The first event's title as another Python process loads it with the same cache."""
    code = "import kzutils, sys; print(kzutils.load('events', sys.argv[1]).loc[0, 'title'])"
    done = subprocess.run([sys.executable, "-c", code, str(data)], capture_output=True, text=True, check=True,
                          env={**__import__("os").environ, diskcache.ENV: str(cache)})
    return done.stdout.strip()


def test_a_second_process_reads_the_table_without_parsing_it(data_copy: Path, cache_dir: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    first = kz.load("events", data_copy)
    assert sorted(p.name.split("-")[1] for p in cache_dir.glob("table-*.pickle")) >= ["events"]
    kzdata._load_cached.cache_clear()  # as in a new notebook's kernel
    monkeypatch.setattr(kzdata, "_parse_and_check", lambda *a: pytest.fail("parsed again despite the cache"))
    again = kz.load("events", data_copy)
    assert again.equals(first)


def test_an_edited_csv_is_never_served_from_the_cache(data_copy: Path, cache_dir: Path) -> None:
    kz.load("events", data_copy)
    edit_cell(data_copy / "events.csv", 1, "title", "A title the cache has never seen")
    assert fresh_process_title(data_copy, cache_dir) == "A title the cache has never seen"
    kzdata._load_cached.cache_clear()
    assert kz.load("events", data_copy).loc[0, "title"] == "A title the cache has never seen"


def test_bad_data_raises_in_every_process_even_after_a_good_load(data_copy: Path, cache_dir: Path) -> None:
    kz.load("votes", data_copy)
    edit_cell(data_copy / "votes.csv", 2, "turnout_pct", "sixty")
    for _ in range(2):  # the failure is not stored: the second attempt fails the same way
        kzdata._load_cached.cache_clear()
        with pytest.raises(DataValidationError) as caught:
            kz.load("votes", data_copy)
        assert "votes.csv" in str(caught.value) and "turnout_pct" in str(caught.value)
        assert "row 2" in str(caught.value)


def test_a_damaged_entry_is_computed_again(data_copy: Path, cache_dir: Path) -> None:
    expected = kz.load("events", data_copy)
    for entry in cache_dir.glob("table-events-*.pickle"):
        entry.write_bytes(b"not a pickle")
    kzdata._load_cached.cache_clear()
    assert kz.load("events", data_copy).equals(expected)
    assert all(p.read_bytes() != b"not a pickle" for p in cache_dir.glob("table-events-*.pickle"))


def test_the_cache_can_be_switched_off(data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(diskcache.ENV, diskcache.OFF)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    kzdata._load_cached.cache_clear()
    kz.load("events", data_copy)
    kz.all_facts(data_copy)
    assert not (tmp_path / "xdg" / "kzutils").exists()  # (matplotlib may keep its font list there)


def test_facts_follow_the_data_and_keep_their_files(data_copy: Path, cache_dir: Path) -> None:
    before = kz.all_facts(data_copy)["events_count"]
    files = kzfacts.FACT_FILES["events_count"]
    kzfacts.FACT_FILES.clear()
    again = kz.all_facts(data_copy)  # read back from the disk cache
    assert again["events_count"] == before
    assert kzfacts.FACT_FILES["events_count"] == files  # what a page that prints it has read (kzutils.reads)
    lines = (data_copy / "events.csv").read_text(encoding="utf-8").splitlines()
    with (data_copy / "events.csv").open("a", encoding="utf-8") as handle:
        handle.write(lines[-1].replace(",", ",A second copy of ", 1) + "\n")  # same date, another title
    kzdata._load_cached.cache_clear()
    assert kz.all_facts(data_copy)["events_count"].value == before.value + 1
