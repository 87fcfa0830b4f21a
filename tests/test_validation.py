"""One bad-input test per validation rule: each names the file, the row and the column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import kzutils as kz
from conftest import edit_cell, read_rows, write_rows


def assert_names(error: kz.DataValidationError, file: str, row: int, column: str) -> None:
    """The message must name the file, the row (data row and line) and the column."""
    message = str(error)
    assert error.path.endswith(file) and file in message
    assert error.row == row and (f"row {row} (line {row + 1})" in message if row else "header" in message)
    assert error.column == column and f"column '{column}'" in message


def load_error(data_dir: Path, name: str) -> kz.DataValidationError:
    with pytest.raises(kz.DataValidationError) as caught:
        kz.load(name, data_dir)
    return caught.value


def test_real_data_is_valid() -> None:
    frames = kz.load_all()
    assert set(frames) == set(kz.table_names()) >= {"votes", "vote_results", "reform_measures", "events", "observations"}
    assert all(len(frame) > 0 for frame in frames.values())


def test_missing_column(data_copy: Path) -> None:
    path = data_copy / "votes.csv"
    rows = read_rows(path)
    drop = rows[0].index("turnout_pct")
    write_rows(path, [r[:drop] + r[drop + 1:] for r in rows])
    assert_names(load_error(data_copy, "votes"), "data/votes.csv", 0, "turnout_pct")


def test_non_numeric_value(data_copy: Path) -> None:
    edit_cell(data_copy / "vote_results.csv", 5, "share_pct", "eleven")
    error = load_error(data_copy, "vote_results")
    assert_names(error, "data/vote_results.csv", 5, "share_pct")
    assert "'eleven' is not a number" in str(error)


def test_non_integer_count(data_copy: Path) -> None:
    edit_cell(data_copy / "vote_results.csv", 2, "votes", "107252.5")
    assert_names(load_error(data_copy, "vote_results"), "data/vote_results.csv", 2, "votes")


def test_duplicate_key(data_copy: Path) -> None:
    path = data_copy / "events.csv"
    rows = read_rows(path)
    write_rows(path, rows + [rows[3]])
    error = load_error(data_copy, "events")
    assert_names(error, "data/events.csv", len(rows), "title")
    assert "repeats row 3" in str(error)


def test_unknown_source_key(data_copy: Path) -> None:
    edit_cell(data_copy / "events.csv", 7, "source", "nosuchkey2099")
    error = load_error(data_copy, "events")
    assert_names(error, "data/events.csv", 7, "source")
    assert "'nosuchkey2099' is not in the bibliography" in str(error)


def test_unknown_key_in_second_source_column(data_copy: Path) -> None:
    edit_cell(data_copy / "reform_measures.csv", 2, "effective_source", "madeup")
    assert_names(load_error(data_copy, "reform_measures"), "data/reform_measures.csv", 2, "effective_source")


def test_shares_not_summing_to_100(data_copy: Path) -> None:
    path = data_copy / "vote_results.csv"
    rows = read_rows(path)
    row = next(i for i, r in enumerate(rows) if r[:3] == ["pres-2022", "final", "Zhiguli Dairabayev"])
    edit_cell(path, row, "share_pct", "4.42")
    error = load_error(data_copy, "vote_results")
    assert error.column == "share_pct" and "data/vote_results.csv" in str(error)
    assert re.search(r"add up to 101\.00, not 100", str(error))
    group = [i for i, r in enumerate(rows) if r[:2] == ["pres-2022", "final"]]
    assert error.row == group[-1] and f"(rows {group[0]}-{group[-1]})" in str(error)


def test_incomplete_results_are_not_summed(data_copy: Path) -> None:
    votes = kz.load("votes", data_copy)
    incomplete = votes[~votes["results_complete"].astype(bool)]
    assert len(incomplete) > 0
    kz.load("vote_results", data_copy)  # 1999's shares add up to less than 100 and must pass


def test_impossible_date(data_copy: Path) -> None:
    edit_cell(data_copy / "events.csv", 4, "date", "2022-02-30")
    error = load_error(data_copy, "events")
    assert_names(error, "data/events.csv", 4, "date")
    assert "not a date" in str(error)


def test_date_out_of_range(data_copy: Path) -> None:
    edit_cell(data_copy / "votes.csv", 2, "date", "2099-01-10")
    error = load_error(data_copy, "votes")
    assert_names(error, "data/votes.csv", 2, "date")
    assert "above the maximum" in str(error)


def test_percentage_above_100(data_copy: Path) -> None:
    edit_cell(data_copy / "votes.csv", 1, "turnout_pct", "188.2")
    assert_names(load_error(data_copy, "votes"), "data/votes.csv", 1, "turnout_pct")


def test_value_not_allowed(data_copy: Path) -> None:
    edit_cell(data_copy / "events.csv", 1, "category", "gossip")
    error = load_error(data_copy, "events")
    assert_names(error, "data/events.csv", 1, "category")
    assert "not one of the allowed values" in str(error)


def test_missing_required_value(data_copy: Path) -> None:
    edit_cell(data_copy / "vote_results.csv", 3, "option", "")
    assert_names(load_error(data_copy, "vote_results"), "data/vote_results.csv", 3, "option")


def test_pattern(data_copy: Path) -> None:
    edit_cell(data_copy / "votes.csv", 3, "vote_id", "president 1999")
    assert_names(load_error(data_copy, "votes"), "data/votes.csv", 3, "vote_id")


def test_foreign_key(data_copy: Path) -> None:
    edit_cell(data_copy / "vote_results.csv", 6, "vote_id", "pres-2001")
    error = load_error(data_copy, "vote_results")
    assert_names(error, "data/vote_results.csv", 6, "vote_id")  # the column at fault: no vote pres-2001 exists
    assert "does not exist in resource 'votes'" in str(error)


def test_ragged_row(data_copy: Path) -> None:
    path = data_copy / "events.csv"
    rows = read_rows(path)
    rows[2] = rows[2][:2]
    write_rows(path, rows)
    assert load_error(data_copy, "events").row == 2


def test_stray_spaces(data_copy: Path) -> None:
    edit_cell(data_copy / "events.csv", 5, "category", " unrest")
    assert_names(load_error(data_copy, "events"), "data/events.csv", 5, "category")


def test_descriptor_documents_every_resource() -> None:
    from kzutils.data import find_data_dir, read_descriptor

    folder = find_data_dir()
    descriptor = read_descriptor(folder)
    assert descriptor["licenses"] and descriptor["bibliography"] == "../book/references.bib"
    listed = {r["path"] for r in descriptor["resources"]}
    data_files = {p.name for p in folder.iterdir() if p.suffix in {".csv", ".geojson"}}
    assert listed == data_files, "every data file must be described, and only those"
    for entry in descriptor["resources"]:
        assert entry["title"] and entry["description"] and entry["licenses"] and entry["sources"]
        if "schema" not in entry:  # a non-tabular file: provenance by checksum and bibliography key
            assert entry["hash"].startswith("sha256:") and entry["bibtexKey"], entry["name"]
            continue
        fields = entry["schema"]["fields"]
        assert all(f.get("type") in {"string", "integer", "number", "date", "boolean"} for f in fields)
        assert any(f.get("bibtexKey") for f in fields), f"{entry['name']} has no source column"
        assert entry["schema"]["primaryKey"]
        numeric = [f for f in fields if f["type"] in {"integer", "number"}]
        assert all("unit" in f for f in numeric if not f["name"].endswith("_year")), entry["name"]
