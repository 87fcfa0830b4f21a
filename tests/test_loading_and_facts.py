"""kzutils: typed loading, caching, named facts, glue, style and the command line."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import kzutils as kz
from kzutils import data as kzdata
from kzutils.build.pages import fact_names, fill_in
from kzutils.facts import format_count, format_percent, format_points, winner_shares
from conftest import ROOT, edit_cell, run_cli


def test_types_are_coerced() -> None:
    votes = kz.load("votes")
    assert pd.api.types.is_datetime64_any_dtype(votes["date"])
    assert str(votes["registered_voters"].dtype) == "Int64"
    assert str(votes["turnout_pct"].dtype) == "Float64"
    assert str(votes["results_complete"].dtype) == "boolean"
    assert votes["registered_voters"].isna().any()  # missing stays missing, not zero


def test_loading_is_cached_until_the_file_changes(data_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = kzdata._parse_records
    monkeypatch.setattr(kzdata, "_parse_records", lambda *a: calls.append(a[1]["name"]) or real(*a))
    kzdata._load_cached.cache_clear()
    first = kz.load("events", data_copy)
    kz.load("events", data_copy)
    assert calls == ["events"]
    edit_cell(data_copy / "events.csv", 1, "title", "Nazarbayev announces his resignation")
    os.utime(data_copy / "events.csv", ns=(1, 1))
    second = kz.load("events", data_copy)
    assert calls == ["events", "events"]
    assert second.loc[0, "title"] != first.loc[0, "title"]


def test_loaded_frames_are_copies() -> None:
    frame = kz.load("events")
    frame.loc[0, "title"] = "changed by a notebook"
    assert kz.load("events").loc[0, "title"] != "changed by a notebook"


def test_formats() -> None:
    assert format_percent(81.31) == "81.31%"
    assert format_percent(5.8) == "5.8%"
    assert format_percent(30.0) == "30%"
    assert format_count(8300046) == "8,300,046"
    assert format_points(10.35) == "10.35 percentage points"


def test_facts_come_from_the_data_row_they_name() -> None:
    facts = kz.all_facts()
    results = kz.load("vote_results")
    for fact in facts.values():
        if fact.resource == "vote_results" and fact.row is not None and fact.name.endswith("_share"):
            row = results.iloc[fact.row - 1]
            assert format_percent(float(row["share_pct"])) == fact.text
            assert row["source"] == fact.source


def test_key_facts_match_official_results() -> None:
    assert kz.get("presidential_2022_winner_share").text == "81.31%"
    assert kz.get("presidential_2022_winner").text == "Kassym-Jomart Tokayev"
    assert kz.get("presidential_2022_turnout").text == "69.44%"
    assert kz.get("presidential_2022_runner_up_share").text == "3.42%"
    assert kz.get("referendum_2022_yes_share").text == "77.18%"


def test_every_fact_source_is_in_the_bibliography() -> None:
    from kzutils import bib

    keys = bib.keys(ROOT / "book" / "references.bib")
    for fact in kz.all_facts().values():
        if fact.resource == "datapackage":  # counts of the package itself: their source is datapackage.json
            assert fact.source == "datapackage.json"
            continue
        assert set(fact.source.split("; ")) <= keys, fact.name


def test_facts_follow_the_data(data_copy: Path) -> None:
    rows = kz.load("vote_results", data_copy)
    row = rows.index[(rows["vote_id"] == "pres-2022") & (rows["variant"] == "final")
                     & (rows["option_kind"] == "against_all")][0] + 1
    edit_cell(data_copy / "vote_results.csv", row, "votes", "460485")
    assert kz.get("presidential_2022_against_all_votes", data_copy).text == "460,485"


def test_unknown_fact_names_near_ones() -> None:
    with pytest.raises(KeyError, match="presidential_2022_winner_share"):
        kz.get("presidential_2022_winer_share")


def test_the_fact_role_is_read_and_filled_in() -> None:
    text = "Won {fact}`presidential_2022_winner_share` on {fact}` presidential_2022_turnout ` (not {cite:p}`x`)."
    assert fact_names(text) == ["presidential_2022_turnout", "presidential_2022_winner_share"]
    assert fill_in(text, kz.all_facts(), "page.md") == "Won 81.31% on 69.44% (not {cite:p}`x`)."
    with pytest.raises(KeyError, match="page.md: no fact named 'presidential_2022_winer_share'.*winner_share"):
        fill_in("{fact}`presidential_2022_winer_share`", kz.all_facts(), "page.md")


def test_winner_series_is_ordered_and_complete() -> None:
    series = winner_shares()
    assert list(series["date"].dt.year) == [1991, 1999, 2005, 2011, 2015, 2019, 2022]
    assert series["share_pct"].between(0, 100).all()


def test_source_line_uses_bibliography() -> None:
    line = kz.source_line(["kazinform2022final", "cornellbarro2022", "kazinform2022final"])
    assert line == "Source: Kazinform (2022); Cornell and Barro (2022)."


def test_house_style_and_source_under_figure() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kz.use_house_style()
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    assert colours[:3] == [kz.PALETTE["blue"], kz.PALETTE["orange"], kz.PALETTE["green"]]
    fig, _ = plt.subplots()
    kz.add_source(fig, ["crs2022reforms"])
    assert [t.get_text() for t in fig.texts] == ["Source: Congressional Research Service (2022)."]
    plt.close(fig)


def test_cli_validate_ok() -> None:
    done = run_cli("validate")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.split()[1] for line in lines] == [*kz.resource_names(), "bibliography"]
    assert all(line.startswith("ok") for line in lines)


def test_cli_validate_names_the_corrupt_cell(data_copy: Path) -> None:
    edit_cell(data_copy / "votes.csv", 12, "turnout_pct", "sixty-nine")
    done = run_cli("--data", str(data_copy), "validate")
    assert done.returncode == 1
    assert "data/votes.csv: row 12 (line 13), column 'turnout_pct'" in done.stderr


def test_cli_validate_finds_data_from_environment(data_copy: Path) -> None:
    edit_cell(data_copy / "events.csv", 2, "source", "unknown")
    done = run_cli("validate", env={"KZ_DATA_DIR": str(data_copy)})
    assert done.returncode == 1 and "data/events.csv: row 2 (line 3), column 'source'" in done.stderr


def test_cli_facts_lists_every_fact() -> None:
    done = run_cli("facts")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == len(kz.all_facts())
    assert "presidential_2022_winner_share" in done.stdout and "[kazinform2022final]" in done.stdout


def test_final_candidates_mark_one_winner_per_election() -> None:
    from kzutils.facts import final_candidates

    candidates = final_candidates()
    assert (candidates.groupby("vote_id")["is_winner"].sum() == 1).all()
    results = kz.load("vote_results")
    for _, row in candidates.iterrows():
        assert results.iloc[row["result_row"] - 1]["option"] == row["option"]


def test_numbers_shown_together_must_come_from_one_stage_of_one_count() -> None:
    facts = kz.all_facts()
    kz.same_stage(facts["presidential_2022_winner_share"], facts["presidential_2022_turnout"])  # both final
    with pytest.raises(kz.ClaimError) as mixed:
        kz.same_stage(facts["referendum_2022_yes_share"], facts["referendum_2022_election_night_turnout"])
    share, turnout = facts["referendum_2022_yes_share"], facts["referendum_2022_election_night_turnout"]
    assert f"vote_results row {share.row}: stage 'final'" in str(mixed.value)
    assert f"votes row {turnout.row}: stage 'election_night'" in str(mixed.value)


def test_a_number_without_a_stage_cannot_be_paired() -> None:
    from kzutils.facts import Fact

    stated = Fact("a", 1.0, "1%", "observations", 3, "x", "A", stage="final")
    unstated = Fact("b", 2.0, "2%", "observations", 4, "x", "B")
    with pytest.raises(kz.ClaimError, match=r"b = 2% \(observations row 4: no stage of the count given\)"):
        kz.same_stage(stated, unstated)
    night = [Fact(n, 1.0, "1%", "regional_results", i, "x", n, stage="election_night", as_of=t)
             for i, (n, t) in enumerate([("p", "20:00"), ("q", "22:10")], start=1)]
    kz.same_stage(*night, same_time=False)  # map panels of different votes: the same stage, each at its own time
    with pytest.raises(kz.ClaimError, match="as of '22:10'"):
        kz.same_stage(*night)
