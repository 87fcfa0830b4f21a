"""One test per fault class: a copy of the data with one fault must fail with a message naming the file (and the
row and column where they exist), a non-zero exit code and no traceback; harmless input must pass. The command
line runs in this process (tests/inprocess.py); hostile input has its own battery, tests/test_hostile_input.py."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import threading
from pathlib import Path

import pytest

import kzutils as kz
from kzutils import build as kzbuild
from conftest import BOOK, edit_cell, read_rows, write_rows
from inprocess import run_here as run_cli


def validate_fails(data: Path, *expected: str, env: dict[str, str] | None = None) -> str:
    """`python -m kzutils validate` on `data` exits 1, prints every expected text and no traceback."""
    done = run_cli("--data", str(data), "validate", env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output, output
    for text in expected:
        assert text in done.stderr, f"{text!r} not in:\n{done.stderr}"
    return done.stderr


def validate_passes(data: Path) -> None:
    done = run_cli("--data", str(data), "validate")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


def row_of(path: Path, column: str, value: str) -> int:
    """The 1-based data row whose `column` holds `value`."""
    rows = read_rows(path)
    return next(i for i, r in enumerate(rows) if i and r[rows[0].index(column)] == value)


def edit_descriptor(data: Path, change) -> None:
    path = data / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    change(descriptor)
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


def entry(descriptor: dict, name: str) -> dict:
    return next(r for r in descriptor["resources"] if r["name"] == name)


# --- encodings and text ---------------------------------------------------------------------------------


def test_mojibake(data_copy: Path) -> None:
    row = row_of(data_copy / "glossary.csv", "kazakh", "äkimdik")
    edit_cell(data_copy / "glossary.csv", row, "kazakh", "äkimdik".encode().decode("latin-1"))
    validate_fails(data_copy, f"data/glossary.csv: row {row} (line {row + 1}), column 'kazakh'", "mojibake")


def test_control_character(data_copy: Path) -> None:
    edit_cell(data_copy / "votes.csv", 3, "title", "Presidential\x00election")
    validate_fails(data_copy, "data/votes.csv: row 3 (line 4), column 'title'", "U+0000")


def test_legacy_encoding(data_copy: Path) -> None:
    path = data_copy / "glossary.csv"
    path.write_bytes(path.read_bytes().replace("äkimdik".encode(), "äkimdik".encode("latin-1")))
    validate_fails(data_copy, "data/glossary.csv: line 3: byte 0xe4 is not UTF-8")


def test_byte_order_mark(data_copy: Path) -> None:
    path = data_copy / "events.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    stderr = validate_fails(data_copy, "data/events.csv: line 1: the file starts with a byte-order mark (BOM)")
    assert "is missing" not in stderr


# --- numbers and periods --------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["8_1.31", "８１.３１", "1e", "81,31", "8.1.3", "0x51", "81%"])
def test_number_not_written_as_the_package_says(data_copy: Path, written: str) -> None:
    edit_cell(data_copy / "vote_results.csv", 4, "share_pct", written)
    validate_fails(data_copy, "data/vote_results.csv: row 4 (line 5), column 'share_pct'", repr(written))


@pytest.mark.parametrize("written, value", [("81.", 81.0), (".5", 0.5), ("+8.1E1", 81.0)])
def test_number_written_as_the_table_schema_allows(data_copy: Path, written: str, value: float) -> None:
    """The Table Schema (and Frictionless) read a number with no digit before or after the point, a sign, an
    exponent: so does kzutils (tests/test_frictionless_agreement.py compares the two validators)."""
    edit_cell(data_copy / "votes.csv", 1, "turnout_pct", written)
    assert kz.load("votes", data_copy).loc[0, "turnout_pct"] == value


def test_thousands_separator_only_where_declared(data_copy: Path) -> None:
    path = data_copy / "observations.csv"
    row, big = next((i, r[2]) for i, r in enumerate(read_rows(path)) if i and r[2].isdigit() and len(r[2]) == 8)
    edit_cell(path, row, "value", f"{int(big):,}")
    validate_fails(data_copy, f"data/observations.csv: row {row} (line {row + 1}), column 'value'")
    edit_descriptor(data_copy, lambda d: next(f for f in entry(d, "observations")["schema"]["fields"]
                                              if f["name"] == "value").update(groupChar=","))
    validate_passes(data_copy)
    assert kz.load("observations", data_copy).loc[row - 1, "value"] == int(big)
    edit_cell(path, row, "value", f"{big[:1]},{big[1:5]},{big[5:]}")
    validate_fails(data_copy, "separator ',' in the wrong places")


def test_thousands_separator_in_a_whole_number_is_refused(data_copy: Path) -> None:
    """Frictionless reads groupChar only in number fields: declared for an integer, it would be read by one
    validator and not by the other, so the descriptor check refuses it."""
    edit_descriptor(data_copy, lambda d: next(f for f in entry(d, "votes")["schema"]["fields"]
                                              if f["name"] == "registered_voters").update(groupChar=","))
    validate_fails(data_copy, "data/datapackage.json: key 'resources[0].schema.fields[5].groupChar': Frictionless "
                   "reads a thousands separator only in a number field, not in an integer field")


@pytest.mark.parametrize("period", ["2022-02-30", "1850", "2022-13", "3024"])
def test_period_that_is_no_real_date_in_range(data_copy: Path, period: str) -> None:
    edit_cell(data_copy / "observations.csv", 5, "period", period)
    validate_fails(data_copy, "data/observations.csv: row 5 (line 6), column 'period'", repr(period))


# --- tables and files -----------------------------------------------------------------------------------


def test_header_only_table(data_copy: Path) -> None:
    path = data_copy / "seats.csv"
    write_rows(path, read_rows(path)[:1])
    validate_fails(data_copy, "data/seats.csv: the table has a header but no rows")
    done = run_cli("--data", str(data_copy), "facts")
    assert done.returncode == 1 and "Traceback" not in done.stderr and "argmax" not in done.stderr
    assert "data/seats.csv: the table has a header but no rows" in done.stderr


def test_undescribed_file(data_copy: Path) -> None:
    (data_copy / "README.md").write_text("Notes on the data.\n", encoding="utf-8")
    validate_passes(data_copy)  # documentation may sit beside the data
    shutil.copy(data_copy / "seats.csv", data_copy / "seats-old.csv")
    validate_fails(data_copy, "data/seats-old.csv: this file is not described in datapackage.json")


def test_deleted_csv(data_copy: Path) -> None:
    (data_copy / "priorities.csv").unlink()
    validate_fails(data_copy, "data/priorities.csv: the file listed in datapackage.json does not exist")


def test_quoted_newline_keeps_line_numbers(data_copy: Path) -> None:
    edit_cell(data_copy / "events.csv", 2, "title", "A title\nover two lines")
    edit_cell(data_copy / "events.csv", 5, "category", "gossip")
    validate_fails(data_copy, "data/events.csv: row 5 (line 7), column 'category'")


def test_foreign_key_names_the_column_at_fault(data_copy: Path) -> None:
    row = row_of(data_copy / "vote_results.csv", "vote_id", "pres-2015")
    edit_cell(data_copy / "vote_results.csv", row, "variant", "election_night")
    validate_fails(data_copy, f"data/vote_results.csv: row {row} (line {row + 1}), column 'variant'")


# --- the descriptor -------------------------------------------------------------------------------------


def test_descriptor_not_json(data_copy: Path) -> None:
    path = data_copy / "datapackage.json"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].rstrip(",")
    path.write_text("\n".join(lines), encoding="utf-8")
    validate_fails(data_copy, "data/datapackage.json: line 6: not valid JSON")


def test_resource_without_path(data_copy: Path) -> None:
    edit_descriptor(data_copy, lambda d: entry(d, "events").pop("path"))
    validate_fails(data_copy, "data/datapackage.json: key 'resources[3].path': is missing")


def test_tolerance_written_as_a_string(data_copy: Path) -> None:
    edit_descriptor(data_copy, lambda d: entry(d, "vote_results")["sumsTo"][0].update(tolerance="0.1"))
    validate_fails(data_copy, "data/datapackage.json: key 'resources[1].sumsTo[0].tolerance': must be a number")


def test_missing_descriptor(data_copy: Path) -> None:
    (data_copy / "datapackage.json").unlink()
    validate_fails(data_copy, "data/datapackage.json: the package descriptor does not exist")


# --- the bibliography -----------------------------------------------------------------------------------


def test_broken_bibliography(data_copy: Path) -> None:
    bib = data_copy.parent / "book" / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n@misc{broken,\n  title = {no end}\n", encoding="utf-8")
    validate_fails(data_copy, "book/references.bib: line", "not valid BibTeX")


def test_duplicated_bibliography(data_copy: Path) -> None:
    bib = data_copy.parent / "book" / "references.bib"
    text = bib.read_text(encoding="utf-8")
    bib.write_text(text + "\n" + text, encoding="utf-8")
    validate_fails(data_copy, "book/references.bib: line", "entry 'kazinform2022final': the entry key is defined 2 times")


def test_missing_bibliography(data_copy: Path) -> None:
    (data_copy.parent / "book" / "references.bib").unlink()
    validate_fails(data_copy, "book/references.bib: the bibliography does not exist")


def test_extra_bibtex_fields_are_accepted(data_copy: Path) -> None:
    bib = data_copy.parent / "book" / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n@misc{extra2026,\n  title = {A page},\n  kind = {syndicated},"
                   "\n  origin = {An outlet},\n  publisher = {Someone},\n  year = {2026}\n}\n", encoding="utf-8")
    validate_passes(data_copy)


# --- folders --------------------------------------------------------------------------------------------


def test_missing_data_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    validate_fails(missing, f"{missing}: the data folder given by --data does not exist")
    done = run_cli("validate", env={"KZ_DATA_DIR": str(missing)})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{missing}: the data folder given by $KZ_DATA_DIR does not exist" in done.stderr


# --- GeoJSON --------------------------------------------------------------------------------------------


def replace_shapes(data: Path, text: str) -> None:
    """Write new map outlines and record their checksum, as the map script would."""
    (data / "neighbours.geojson").write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()
    edit_descriptor(data, lambda d: entry(d, "neighbours").update(hash=f"sha256:{digest}"))


def test_geojson_problems(data_copy: Path) -> None:
    shapes = json.loads((data_copy / "neighbours.geojson").read_text(encoding="utf-8"))
    del shapes["features"][2]["properties"]["name"]
    shapes["features"][4]["geometry"] = None
    replace_shapes(data_copy, json.dumps(shapes))
    validate_fails(data_copy, "data/neighbours.geojson: key 'features[2].properties.name': feature has no name",
                   "data/neighbours.geojson: key 'features[4].geometry'")
    replace_shapes(data_copy, '{"type": "FeatureCollection",\n "features": [}')
    validate_fails(data_copy, "data/neighbours.geojson: line 2: not valid JSON")


# --- many faults at once --------------------------------------------------------------------------------


def test_every_fault_is_reported_in_one_run(data_copy: Path) -> None:
    edit_cell(data_copy / "votes.csv", 2, "turnout_pct", "lots")
    edit_cell(data_copy / "votes.csv", 5, "kind", "poll")
    edit_cell(data_copy / "events.csv", 3, "source", "nosuchkey")
    stderr = validate_fails(data_copy, "FAIL: 3 problems", "data/votes.csv: row 2 (line 3), column 'turnout_pct'",
                            "data/votes.csv: row 5 (line 6), column 'kind'",
                            "data/events.csv: row 3 (line 4), column 'source'")
    assert "ok   events" not in stderr


def test_many_faults_are_capped(data_copy: Path) -> None:
    path = data_copy / "observations.csv"
    rows = read_rows(path)
    for row in rows[1:61]:
        row[2] = "n/a"
    write_rows(path, rows)
    stderr = validate_fails(data_copy, "FAIL: 60 problems", "row 50 (line 51), column 'value'",
                            "... and 10 more problems")
    assert "row 51 (line 52)" not in stderr


# --- claims, build, lock, cache -------------------------------------------------------------------------


def test_failing_claim_names_claim_and_values() -> None:
    kz.check(2 > 1, "two is above one")
    seats, house = {"Amanat": 40}, 98
    with pytest.raises(kz.ClaimError) as caught:
        kz.check(seats["Amanat"] > house / 2, "an absolute majority", party="Amanat")
    assert str(caught.value) == ("the claim 'an absolute majority' (seats['Amanat'] > house / 2) does not hold for the "
                                 "data: seats['Amanat'] = 40, house / 2 = 49.0, party = 'Amanat'")
    with pytest.raises(AssertionError, match=r"the claim 'len\(seats\) == 2' does not hold .*: len\(seats\) = 1"):
        kz.check(len(seats) == 2)


def code_lines(page: Path) -> list[tuple[int, str]]:
    """(line number, text) of every line inside the page's code cells."""
    lines, fence = [], None
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        opening = re.match(r"(`{3,})\{code-cell\}", line)
        if fence is None and opening:
            fence = opening.group(1)
        elif fence is not None and line.rstrip() == fence:
            fence = None
        elif fence is not None:
            lines.append((number, line))
    return lines


def test_chapters_check_claims_with_kz_check() -> None:
    bare = [f"{page.relative_to(BOOK)}:{number}" for page in sorted(BOOK.rglob("*.md")) if "_build" not in page.parts
            for number, line in code_lines(page) if re.match(r"\s*assert\b", line)]
    assert not bare, f"write kz.check(condition, 'claim') instead of a bare assert in: {bare}"


def test_build_validates_first_and_ends_with_the_message(project_copy: Path) -> None:
    book, data, out = project_copy / "book", project_copy / "data", project_copy / "out"
    edit_cell(data / "votes.csv", 2, "turnout_pct", "１２")
    done = run_cli("--data", str(data), "build", "--book", str(book), "--out", str(out))
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("data/votes.csv: row 2 (line 3), column 'turnout_pct'")
    assert not (out / "_build").exists(), "no notebook may run on bad data"


@pytest.mark.build  # runs two builds, so it belongs to the full tier, not `make check`
def test_two_builds_at_once_take_turns(project_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    book, data, out = project_copy / "book", project_copy / "data", project_copy / "out"
    log = project_copy / "log.txt"
    step = (f"import time; log = open({str(log)!r}, 'a'); log.write('start\\n'); log.flush(); time.sleep(2); "
            "log.write('end\\n')")
    monkeypatch.setattr(kzbuild, "jupyter_book_command", lambda *args: [sys.executable, "-c", step])
    monkeypatch.setattr(kzbuild, "publish", lambda work, site: None)  # the stand-in build writes no site
    codes: list[int] = []
    builds = [threading.Thread(target=lambda: codes.append(kzbuild.build(book, out, data))) for _ in range(2)]
    for thread in builds:
        thread.start()
    for thread in builds:
        thread.join()
    assert codes == [0, 0]
    assert log.read_text().split() == ["start", "end", "start", "end"], "the builds overlapped"
    assert "waiting for it to finish" in capsys.readouterr().out


def test_cache_follows_every_file_a_table_depends_on(data_copy: Path) -> None:
    assert len(kz.load("vote_results", data_copy)) > 0
    rows = read_rows(data_copy / "votes.csv")
    write_rows(data_copy / "votes.csv", [r for r in rows if (r[0], r[4]) != ("pres-2019", "final")])
    with pytest.raises(kz.DataValidationError, match="does not exist in resource 'votes'"):
        kz.load("vote_results", data_copy)
    write_rows(data_copy / "votes.csv", rows)
    assert len(kz.load("events", data_copy)) > 0
    bib = data_copy.parent / "book" / "references.bib"
    key = read_rows(data_copy / "events.csv")[1][-1]
    bib.write_text(bib.read_text(encoding="utf-8").replace(f"{{{key},", f"{{{key}-renamed,"), encoding="utf-8")
    with pytest.raises(kz.DataValidationError, match=f"source key '{key}' is not in the bibliography"):
        kz.load("events", data_copy)
