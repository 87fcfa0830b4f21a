"""The observers' record: every national vote 2019-2026 is covered, verdicts are quoted or their search recorded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import kzutils as kz
from conftest import DATA, ROOT, edit_cell, read_rows, write_rows

VOTES_2019_2026 = ["pres-2019", "mazhilis-2021", "ref-2022", "pres-2022", "mazhilis-2023", "ref-2024", "ref-2026"]


@pytest.fixture
def observer_data(tmp_path: Path) -> Path:
    """A copy of data/ with the bibliography beside it, light enough to corrupt in every test."""
    shutil.copytree(DATA, tmp_path / "data")
    (tmp_path / "book").mkdir()
    shutil.copy2(ROOT / "book" / "references.bib", tmp_path / "book" / "references.bib")
    return tmp_path / "data"


def test_every_national_vote_since_2019_is_covered_in_date_order() -> None:
    rows = kz.observer_assessments()
    assert list(rows["vote_id"].drop_duplicates()) == VOTES_2019_2026
    assert rows["vote_date"].is_monotonic_increasing
    for vote_id in VOTES_2019_2026:
        assert "OSCE/ODIHR" in set(rows.loc[rows["vote_id"] == vote_id, "mission"]), vote_id


def test_a_verdict_is_quoted_exactly_when_it_was_read() -> None:
    rows = kz.observer_assessments()
    read = rows["status"] == "verdict read"
    assert rows.loc[read, "verdict_quote"].notna().all() and rows.loc[read, "quote_language"].notna().all()
    assert rows.loc[~read, "verdict_quote"].isna().all() and rows.loc[~read, "quote_language"].isna().all()
    assert (rows.loc[read, "verdict_quote"].str.split().str.len() <= 15).all(), "a verdict is quoted in a few words"


def test_what_could_not_be_read_keeps_its_queries() -> None:
    rows = kz.observer_assessments()
    missing = rows[rows["status"] == "verdict not found"]
    assert len(missing) and missing["searched"].notna().all()
    assert {("ref-2022", "OSCE/ODIHR"), ("ref-2026", "OSCE/ODIHR")} <= set(zip(missing["vote_id"], missing["mission"]))


def test_dates_agree_with_the_votes_table() -> None:
    votes = kz.load("votes").groupby("vote_id")["date"].first()
    for _, row in kz.observer_assessments().drop_duplicates("vote_id").iterrows():
        if row["vote_id"] in votes.index:
            assert votes[row["vote_id"]] == row["vote_date"], row["vote_id"]


def test_loaders_filter_by_vote_and_order_missions() -> None:
    rows = kz.observer_assessments(["ref-2024"])
    assert set(rows["vote_id"]) == {"ref-2024"} and rows["mission"].iloc[0] == "OSCE/ODIHR"
    findings = kz.observer_findings("pres-2019")
    assert set(findings["vote_id"]) == {"pres-2019"} and findings["mission"].iloc[0] == "OSCE/ODIHR"
    with pytest.raises(KeyError, match="pres-2031"):
        kz.observer_assessments("pres-2031")


def test_display_table_quotes_verdicts_and_says_why_one_is_missing() -> None:
    table = kz.observer_table("ref-2024")
    assert list(table.columns) == ["Mission", "Kind of mission", "Document", "Verdict, quoted", "Observers", "Source"]
    verdicts = dict(zip(table["Mission"], table["Verdict, quoted"]))
    assert verdicts["OSCE/ODIHR"] == "no mission deployed"
    assert verdicts["SCO"].startswith("“") and verdicts["SCO"].endswith("(Russian)")
    assert list(kz.observer_table(["pres-2019", "mazhilis-2021"], with_vote=True)["Vote"].unique()) == [
        "9 June 2019", "10 January 2021"]


def test_observer_facts_come_from_their_row(observer_data: Path) -> None:
    fact = kz.get("obs_mazhilis_2021_odihr_recommendations")
    row = kz.observer_assessments().query("source == @fact.source and mission == 'OSCE/ODIHR'")
    assert fact.text == f"{int(row['recommendations_made'].dropna().iloc[0]):,}"
    edit_cell(observer_data / "observer_assessments.csv", fact.row, "recommendations_made", "26")
    assert kz.get("obs_mazhilis_2021_odihr_recommendations", observer_data).text == "26"
    assert kz.get("obs_votes_count").value == len(VOTES_2019_2026)


def test_a_finding_must_belong_to_a_recorded_mission(observer_data: Path) -> None:
    path = observer_data / "observer_findings.csv"
    rows = read_rows(path)
    rows[1][rows[0].index("mission")] = "OIC"
    rows[1][rows[0].index("vote_id")] = "ref-2024"
    write_rows(path, rows)
    with pytest.raises(kz.DataValidationError, match="does not exist in resource 'observer_assessments'"):
        kz.load("observer_findings", observer_data)


def test_a_verdict_status_outside_the_vocabulary_fails(observer_data: Path) -> None:
    edit_cell(observer_data / "observer_assessments.csv", 1, "status", "approved")
    with pytest.raises(kz.DataValidationError, match="column 'status'"):
        kz.load("observer_assessments", observer_data)
