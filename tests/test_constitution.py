"""The constitution tables: every power in every version, unread versions stated as such, articles in a checked
form and within the version's text; each rule's bad input names the file, the row and the column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kzutils as kz
from conftest import edit_cell, read_rows, write_rows

PROVISIONS = "data/constitution_provisions.csv"


def load_error(data_dir: Path, name: str = "constitution_provisions") -> kz.DataValidationError:
    with pytest.raises(kz.DataValidationError) as caught:
        kz.load(name, data_dir)
    return caught.value


def messages(error: kz.DataValidationError) -> list[str]:
    return [problem.describe() for problem in error.problems]


def row_of(path: Path, power: str, version: str) -> int:
    """The 1-based data row of one power and version."""
    rows = read_rows(path)
    return next(i for i, r in enumerate(rows) if i and r[:2] == [power, version])


def test_every_power_has_a_row_in_every_version() -> None:
    provisions = kz.load("constitution_provisions")
    powers = kz.load("constitution_powers")
    versions = kz.load("constitution_versions")
    assert len(powers) >= 25 and len(versions) >= 7
    grid = provisions.groupby(["power_id", "version_id"]).size()
    assert len(grid) == len(powers) * len(versions) == len(provisions)
    assert {"1995", "1998", "2007", "2011", "2017", "2026"} <= set(versions["version_id"])
    assert set(versions["version_id"]) & {"2022-06", "2022-09"} == {"2022-06", "2022-09"}


def test_unread_versions_state_no_rule_and_read_ones_name_their_source() -> None:
    provisions = kz.load("constitution_provisions")
    unread = provisions[provisions["reading"] == "unread"]
    assert unread[["holder", "rule", "article", "source"]].isna().all().all()
    assert unread["note"].notna().all()
    read = provisions[provisions["reading"] != "unread"]
    assert read[["holder", "rule", "source"]].notna().all().all()
    text = read[(read["reading"] == "text") & (read["holder"] != "not addressed")]
    assert text["article"].notna().all()


def test_unread_row_with_a_rule(data_copy: Path) -> None:
    path = data_copy / "constitution_provisions.csv"
    row = row_of(path, "term_length", "1998")
    edit_cell(path, row, "reading", "unread")
    found = messages(load_error(data_copy))
    assert f"{PROVISIONS}: row {row} (line {row + 1}), column 'holder': must be empty where 'reading' is 'unread', " \
           "not 'rule' (an unread version states no rule; the note says what was searched)" in found
    assert any(f"row {row} (line {row + 1}), column 'article'" in m for m in found)


def test_read_row_without_its_holder(data_copy: Path) -> None:
    path = data_copy / "constitution_provisions.csv"
    row = row_of(path, "pm_appointment", "2011")
    edit_cell(path, row, "holder", "")
    found = messages(load_error(data_copy))
    assert any(m.startswith(f"{PROVISIONS}: row {row} (line {row + 1}), column 'holder': a value is required where "
                            "'reading' is 'text' or 'report' or 'inferred'") for m in found), found


def test_text_reading_without_an_article(data_copy: Path) -> None:
    path = data_copy / "constitution_provisions.csv"
    row = row_of(path, "term_length", "2011")
    edit_cell(path, row, "article", "")
    assert f"{PROVISIONS}: row {row} (line {row + 1}), column 'article': a value is required where 'reading' is " \
           "'text' and 'holder' is not 'not addressed' (a rule read in the text names its article)" \
           in messages(load_error(data_copy))


def test_number_without_its_unit(data_copy: Path) -> None:
    path = data_copy / "constitution_provisions.csv"
    row = row_of(path, "senate_appointees", "2017")
    edit_cell(path, row, "unit", "")
    assert any(m.startswith(f"{PROVISIONS}: row {row} (line {row + 1}), column 'unit': a value is required")
               for m in messages(load_error(data_copy)))


def test_missing_power_version_pair(data_copy: Path) -> None:
    path = data_copy / "constitution_provisions.csv"
    row = row_of(path, "death_penalty", "2011")
    rows = read_rows(path)
    write_rows(path, rows[:row] + rows[row + 1:])
    error = load_error(data_copy)
    assert f"{PROVISIONS}: column 'version_id': no row for power_id 'death_penalty', version_id '2011': every " \
           "combination needs a row" in str(error)


def test_new_version_needs_a_row_for_every_power(data_copy: Path) -> None:
    path = data_copy / "constitution_versions.csv"
    rows = read_rows(path)
    write_rows(path, rows + [["2019", "2019", "Amendment of 23 March 2019", "amendment", "2019-03-23", "",
                              "parliament", "", "constitutionkzindex", ""]])
    found = messages(load_error(data_copy))
    powers = len(kz.load("constitution_powers", data_copy))
    assert len([m for m in found if "version_id '2019'" in m]) == powers


@pytest.mark.parametrize("article", ["Article 44", "Art. 44.3", "Art 44(3)", "Art. 0", "Art. 44(3), Art. 45"])
def test_article_in_an_unchecked_form(data_copy: Path, article: str) -> None:
    path = data_copy / "constitution_provisions.csv"
    row = row_of(path, "pm_appointment", "2022-09")
    edit_cell(path, row, "article", article)
    error = load_error(data_copy)
    assert (error.path, error.row, error.column) == (PROVISIONS, row, "article")
    assert "does not match the pattern" in str(error)


def test_article_beyond_the_version_text(data_copy: Path) -> None:
    path = data_copy / "constitution_provisions.csv"
    row = row_of(path, "dissolution", "2026")
    edit_cell(path, row, "article", "Art. 46(2); Art. 146(1)")
    assert f"{PROVISIONS}: row {row} (line {row + 1}), column 'article': article 146 is beyond the 96 articles of " \
           "version_id '2026'" in messages(load_error(data_copy))


def test_holder_outside_the_vocabulary(data_copy: Path) -> None:
    path = data_copy / "constitution_provisions.csv"
    row = row_of(path, "dissolution", "2017")
    edit_cell(path, row, "holder", "Nazarbayev")
    error = load_error(data_copy)
    assert (error.row, error.column) == (row, "holder") and "not one of the allowed values" in str(error)


def test_row_rule_naming_an_unknown_field(data_copy: Path) -> None:
    path = data_copy / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    number, resource = next((n, r) for n, r in enumerate(descriptor["resources"])
                            if r["name"] == "constitution_provisions")
    resource["rowRules"][0]["required"] = ["holdr"]
    resource["rowRules"][1]["when"]["reading"] = {"in": "text"}
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    found = messages(load_error(data_copy))
    assert any(m.startswith(f"data/datapackage.json: key 'resources[{number}].rowRules[0].required': names fields "
                            "that do not exist: ['holdr']") for m in found), found
    assert f"data/datapackage.json: key 'resources[{number}].rowRules[1].when.reading': must be " \
           '{"in": [...]}, {"notIn": [...]} or {"present": true|false}' in found


def test_grid_field_without_a_foreign_key(data_copy: Path) -> None:
    path = data_copy / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    number, resource = next((n, r) for n, r in enumerate(descriptor["resources"])
                            if r["name"] == "constitution_provisions")
    resource["completeGrid"]["fields"] = ["power_id", "reading"]
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    assert f"data/datapackage.json: key 'resources[{number}].completeGrid.fields': field 'reading' needs a " \
           "foreign key of its own" in messages(load_error(data_copy))


# --- the page's helpers and facts -------------------------------------------------------------------------


def test_each_step_compares_only_powers_read_on_both_sides() -> None:
    from kzutils import constitution as kc

    table = kc.provisions()
    for before, after in kc.steps():
        changed = kc.changes(before, after)
        open_ = kc.not_compared(before, after)
        assert not set(changed["power_id"]) & set(open_["power_id"])
        assert (changed["reading_before"] != "unread").all() and (changed["reading_after"] != "unread").all()
        same = len(table[table["version_id"] == before]) - len(changed) - len(open_)
        assert same >= 0


def test_change_tables_mark_carried_rules_and_name_a_read_source() -> None:
    from kzutils import constitution as kc

    table = kc.provisions().set_index(["power_id", "version_id"])
    for before, after in kc.steps():
        printed = kc.change_table(before, after)
        found = kc.changes(before, after)
        for (_, row), power in zip(printed.iterrows(), found["power_id"]):
            for version, column in ((before, printed.columns[1]), (after, printed.columns[2])):
                assert row[column].endswith(kc.INFERRED_MARK) == (table.loc[(power, version), "reading"] == "inferred")
                source = kc.read_source(power, version)
                assert source in row["Read in"]
                read = table.reset_index()
                assert ((read["source"] == source) & read["reading"].isin(["text", "report"])).any()


def test_constitution_facts() -> None:
    facts = kz.all_facts()
    assert facts["constitution_term_length_2026"].text == "7 years"
    assert facts["constitution_term_limit_2022_09"].text == "1 term"
    assert facts["constitution_chambers_2026"].text == "1 chamber"
    assert facts["constitution_term_length_2026"].source == "onenews2026term"
    total = sum(facts[f"constitution_{r}_count"].value for r in ("text", "report", "inferred", "unread"))
    assert total == facts["constitution_provisions_count"].value == (
        facts["constitution_powers_count"].value * facts["constitution_versions_count"].value)
