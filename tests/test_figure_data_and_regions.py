"""The data behind every figure (CSV links), and the regions and regional-results tables with their rules."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import kzutils as kz
from kzutils.build.pages import with_data_links
from kzutils.style import FIGURE_DATA, figure_csv, record_figure_data
from kzutils.validate import check_national_totals, check_percentages, check_region_dates
from conftest import BOOK, edit_cell, read_rows, write_rows

FIGURE = re.compile(r"^(`{3,}|:{3,})\{glue:figure\}\s+(\S+)", re.M)


def figure_names() -> dict[str, str]:
    """Every glued figure of the book's pages, with its page."""
    names = {}
    for page in sorted(BOOK.rglob("*.md")):
        if "_build" in page.parts:
            continue
        for _, name in FIGURE.findall(page.read_text(encoding="utf-8")):
            names[name] = page.relative_to(BOOK).with_suffix("").as_posix()
    return names


# --- the figure helper -------------------------------------------------------------------------------------------

def test_glue_figure_records_exactly_the_plotted_values() -> None:
    data = pd.DataFrame({"year": [2019, 2022], "value": [77.4, 68.0649], "source": ["a2019", "b2022"]})
    fig, ax = plt.subplots()
    ax.plot(data["year"], data["value"])
    kz.glue_figure("fig-test-values", fig, data, text="Source: test.")
    recorded = FIGURE_DATA["fig-test-values"]
    pd.testing.assert_frame_equal(recorded, data)
    back = pd.read_csv(io.StringIO(figure_csv(recorded)))
    pd.testing.assert_frame_equal(back, data)          # the CSV holds the values to full precision


def test_rows_without_a_source_column_get_the_figure_sources() -> None:
    table = record_figure_data("fig-test-sources", pd.DataFrame({"x": [1, 2]}), ["k1", "k2", "k1"])
    assert list(table["source"]) == ["k1; k2", "k1; k2"]


def test_a_figure_without_sources_is_refused() -> None:
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="source"):
        kz.glue_figure("fig-test-none", fig, pd.DataFrame({"x": [1]}))
    plt.close(fig)


def test_counts_with_sources_join_the_keys_of_each_group() -> None:
    rows = pd.DataFrame({"year": [2020, 2020, 2021], "source": ["b", "a", "c"]})
    counted = kz.count_with_sources(rows, ["year"])
    assert counted.to_dict("records") == [{"year": 2020, "count": 2, "source": "a; b"},
                                          {"year": 2021, "count": 1, "source": "c"}]


def test_a_data_link_follows_every_glued_figure() -> None:
    page = "Text.\n\n```{glue:figure} fig-a\n:name: fig-a\n\nCaption.\n```\n\nMore.\n\n:::{glue:figure} fig-b\n:::\n"
    linked = with_data_links(page)
    assert linked.count("{kz-figure-data} fig-a") == 1 and linked.count("{kz-figure-data} fig-b") == 1
    assert linked.index("Caption.") < linked.index("{kz-figure-data} fig-a") < linked.index("More.")


def test_every_figure_in_the_book_is_finished_with_glue_figure() -> None:
    for page in sorted(BOOK.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"glue\(\s*[\"']fig-", text), f"{page}: glue a figure with kz.glue_figure"
        for name in re.findall(r"^(?:`{3,}|:{3,})\{glue:figure\}\s+(\S+)", text, re.M):
            assert f'"{name}"' in text and "glue_figure" in text, f"{page}: {name} is not made by kz.glue_figure"


@pytest.mark.build
def test_every_built_figure_has_its_data_link_and_csv(built_book: Path) -> None:
    html_dir = built_book / "_build" / "html"
    names = figure_names()
    published = {csv_file.stem for csv_file in (html_dir / "_static" / "figure-data").glob("*.csv")}
    assert names and published == set(names), "the published figure data are exactly the book's figures"
    for name, page in names.items():
        csv_file = html_dir / "_static" / "figure-data" / f"{name}.csv"
        assert csv_file.is_file(), f"{name}: no CSV"
        table = pd.read_csv(csv_file)
        assert len(table) and "source" in table.columns, name
        # A cell the book has not read yet (the constitution page's "unread") has neither a value nor a source.
        unread = table["reading"].eq("unread") if "reading" in table.columns else pd.Series(False, index=table.index)
        assert table.loc[~unread, "source"].notna().all(), f"{name}: a plotted value without its source"
        if unread.any():
            assert table.loc[unread, "source"].isna().all() and table.loc[unread, "value"].isna().all(), name
        depth = "../" * page.count("/")
        assert f'href="{depth}_static/figure-data/{name}.csv"' in (html_dir / f"{page}.html").read_text(encoding="utf-8")
        # The published file is exactly what the figure's notebook glued when it ran.
        glued = json.loads((built_book / "_build" / "jupyter_execute" / f"{page}.glue.json").read_text(encoding="utf-8"))
        assert glued[f"{name}-data"]["data"]["text/csv"] == csv_file.read_text(encoding="utf-8"), name
    listing = (html_dir / "appendices" / "data-dictionary.html").read_text(encoding="utf-8")
    assert all(f"figure-data/{name}.csv" in listing for name in names)


@pytest.mark.build
def test_figure_csvs_hold_the_values_the_data_give(built_book: Path) -> None:
    """Re-derive two figures' values from the data tables and compare them with the published CSVs."""
    folder = built_book / "_build" / "html" / "_static" / "figure-data"
    turnout = pd.read_csv(folder / "fig-regions-turnout-multiples.csv")
    table = kz.load("regional_results")
    for row in turnout.itertuples():
        match = table[(table["vote_id"] == row.vote_id) & (table["variant"] == row.variant)
                      & (table["region_id"] == row.region_id) & (table["measure"] == "turnout")]
        if isinstance(row.as_of, str):
            match = match[match["as_of"] == row.as_of]
        assert match["value_pct"].tolist() == [row.value_pct] and match["source"].tolist() == [row.source]
    national = pd.read_csv(folder / "fig-elections-turnout.csv")
    votes = kz.load("votes").set_index(["vote_id", "variant"])
    for row in national.itertuples():
        assert votes.loc[(row.vote_id, row.variant), "turnout_pct"] == row.turnout_pct


# --- regions and regional results ---------------------------------------------------------------------------------

def test_the_map_has_seventeen_units_before_june_2022_and_twenty_after() -> None:
    assert kz.units_on("2022-06-05") == 17
    assert kz.units_on("2022-06-08") == 20
    assert len(kz.unit_shapes(17)) == 17 and len(kz.unit_shapes(20)) == 20
    regions = kz.load("regions")
    assert set(kz.unit_shapes(20)) == set(regions["region_id"])
    assert set(kz.unit_shapes(17)) == set(regions.loc[regions["valid_from"].isna(), "region_id"])


def test_regional_results_validate_and_every_vote_since_2019_has_turnout() -> None:
    rows = kz.load("regional_results")
    assert {"pres-2019", "mazhilis-2021", "ref-2022", "pres-2022", "mazhilis-2023", "ref-2024", "ref-2026"} <= set(rows["vote_id"])
    for vote_id, variant, as_of, _ in kz.TURNOUT_REPORTS:
        report = kz.regional_values(vote_id, variant, as_of=as_of)
        assert len(report) == kz.units_on(report["date"].iloc[0]), vote_id


def test_a_unit_used_before_it_existed_is_refused(data_copy: Path) -> None:
    rows = read_rows(data_copy / "regional_results.csv")
    header = rows[0]
    first_2019 = next(i for i, r in enumerate(rows) if r[header.index("vote_id")] == "pres-2019")
    edit_cell(data_copy / "regional_results.csv", first_2019, "region_id", "abai")
    with pytest.raises(kz.DataValidationError, match="did not exist on 2019-06-09"):
        kz.load("regional_results", data_copy)


def test_a_share_above_100_is_refused(data_copy: Path) -> None:
    edit_cell(data_copy / "regional_results.csv", 1, "value_pct", "100.5")
    with pytest.raises(kz.DataValidationError, match="value_pct"):
        kz.load("regional_results", data_copy)


def test_regional_counts_must_add_up_to_the_national_count(data_copy: Path) -> None:
    """Give every unit of the 2024 referendum's close-of-polls report counts, then break their sum."""
    rows = read_rows(data_copy / "regional_results.csv")
    header = rows[0]
    col = {name: header.index(name) for name in header}
    votes = read_rows(data_copy / "votes.csv")
    vote_header = votes[0]
    night = next(v for v in votes[1:] if v[0] == "ref-2024" and v[vote_header.index("variant")] == "election_night")
    night[vote_header.index("registered_voters")] = "20000"
    night[vote_header.index("ballots_cast")] = "12000"
    write_rows(data_copy / "votes.csv", votes)
    report = [r for r in rows[1:] if r[col["vote_id"]] == "ref-2024" and r[col["variant"]] == "election_night"]
    assert len(report) == 20
    for r in report:
        r[col["registered_voters"]], r[col["ballots_cast"]] = "1000", "600"
    write_rows(data_copy / "regional_results.csv", rows)
    assert len(kz.load("regional_results", data_copy)) == len(rows) - 1     # 20 x 1000 and 20 x 600: they match
    report[0][col["ballots_cast"]] = "900"                                   # 300 more than the nation counted
    write_rows(data_copy / "regional_results.csv", rows)
    with pytest.raises(kz.DataValidationError, match="add up to 12300"):
        kz.load("regional_results", data_copy)


def test_the_rules_as_functions() -> None:
    day = dt.date(2020, 1, 1)
    record = {"vote_id": "v", "variant": "final", "as_of": None, "date": day, "region_id": "new",
              "value_pct": 101.0, "registered_voters": 10, "ballots_cast": 5}
    with pytest.raises(kz.DataValidationError, match="did not exist"):
        check_region_dates([record], {"new": (dt.date(2022, 6, 8), None)}, "t.csv")
    check_region_dates([record], {"new": (None, None)}, "t.csv")
    with pytest.raises(kz.DataValidationError, match="within 0-100"):
        check_percentages([record], "value_pct", "t.csv")
    units = lambda _: {"new"}  # noqa: E731
    check_national_totals([record], units, {("v", "final"): (10, 5)}, 0.5, "t.csv")
    with pytest.raises(kz.DataValidationError, match="national count is 4"):
        check_national_totals([record], units, {("v", "final"): (10, 4)}, 0.5, "t.csv")
    check_national_totals([record], lambda _: {"new", "other"}, {("v", "final"): (10, 4)}, 0.5, "t.csv")  # incomplete


def test_region_map_outlines_match_their_checksum_and_the_regions_table() -> None:
    shapes = kz.load_shapes("region_shapes")
    ids = {f["properties"]["region_id"] for f in shapes["features"] if f["properties"]["units"] == 20}
    assert ids == set(kz.load("regions")["region_id"])


def test_every_regional_figure_is_a_named_fact() -> None:
    facts = kz.all_facts()
    rows = kz.load("regional_results")
    assert sum(name.startswith("regional_") for name in facts) == len(rows)
    assert facts["regional_ref_2022_election_night_2200_turnout_almaty_city"].text == "33.3%"
    assert facts["regions_units_before"].value == 17 and facts["regions_units_after"].value == 20
