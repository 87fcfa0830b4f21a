"""Facts from indicator series and seats, the map outlines' checksum, and the generated data dictionary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kzutils as kz
from kzutils.facts import all_facts, format_in_unit, observation_fact_name
from conftest import read_rows, write_rows


def test_every_observation_is_a_fact_named_after_series_and_period() -> None:
    facts = all_facts()
    observations = kz.load("observations")
    for row in observations.itertuples():
        fact = facts[observation_fact_name(row.series_id, row.period)]
        assert fact.value == row.value and fact.resource == "observations" and fact.source == row.source


def test_units_are_printed_as_readers_expect() -> None:
    assert format_in_unit(200000, "people") == "200,000"
    assert format_in_unit(80.0, "percent") == "80%"
    assert format_in_unit(1.29, "index") == "1.29"
    assert format_in_unit(3.5, "usd_billion") == "US$3.5 billion"
    assert format_in_unit(63.0, "tonnes_million") == "63 million tonnes"
    assert format_in_unit(155.5, "tenge_per_usd") == "155.5 tenge"
    assert format_in_unit(50000.0, "tenge") == "50,000 tenge"
    assert format_in_unit(14770.0, "usd") == "US$14,770"


def test_seat_facts_add_up_to_the_chamber() -> None:
    facts = all_facts()
    seats = kz.load("seats")
    assert facts["mazhilis_2023_seats_total"].value == int(seats[["list_seats", "district_seats"]].fillna(0).sum().sum())
    assert (facts["mazhilis_2023_seats_list_total"].value + facts["mazhilis_2023_seats_district_total"].value
            == facts["mazhilis_2023_seats_total"].value)
    # Independent of the seat table: the chamber's size in the reform data (a missing party row fails here).
    assert facts["mazhilis_2023_seats_total"].value == facts["reform_mazhilis_size_2023_after"].value
    amanat = seats[seats["party"] == "Amanat"].iloc[0]
    assert facts["mazhilis_2023_seats_amanat_total"].value == amanat["list_seats"] + amanat["district_seats"]


def test_seat_share_facts_are_shares_of_the_whole_chamber() -> None:
    facts = all_facts()
    total = facts["mazhilis_2023_seats_total"].value
    amanat = facts["mazhilis_2023_seats_amanat_share"]
    assert amanat.value == round(100 * facts["mazhilis_2023_seats_amanat_total"].value / total, 2)
    assert amanat.text.endswith("%") and amanat.resource == "seats"
    shares = [f.value for n, f in facts.items() if n.startswith("mazhilis_2023_seats_") and n.endswith("_share")]
    assert abs(sum(shares) - 100) < 0.1


def test_an_observation_of_an_unknown_series_names_the_row(data_copy: Path) -> None:
    rows = read_rows(data_copy / "observations.csv")
    rows.append(["no_such_series", "2024", "1", "official", "", rows[1][-1]])
    write_rows(data_copy / "observations.csv", rows)
    with pytest.raises(kz.DataValidationError) as caught:
        kz.load("observations", data_copy)
    assert f"data/observations.csv: row {len(rows) - 1}" in str(caught.value)
    assert "series_id" in str(caught.value)


def test_a_bad_period_names_file_row_and_column(data_copy: Path) -> None:
    rows = read_rows(data_copy / "observations.csv")
    rows[1][1] = "2024/10"
    write_rows(data_copy / "observations.csv", rows)
    with pytest.raises(kz.DataValidationError, match=r"data/observations.csv: row 1 \(line 2\), column 'period'"):
        kz.load("observations", data_copy)


def test_map_outlines_load_with_kazakhstan_and_its_neighbours() -> None:
    shapes = kz.load_shapes("neighbours")
    names = {f["properties"]["iso_a3"] for f in shapes["features"]}
    assert {"KAZ", "RUS", "CHN", "KGZ", "UZB", "TKM"} <= names
    for feature in shapes["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            assert all(ring[0] == ring[-1] for ring in polygon)


def test_edited_map_outlines_fail_their_checksum(data_copy: Path) -> None:
    path = data_copy / "neighbours.geojson"
    shapes = json.loads(path.read_text(encoding="utf-8"))
    shapes["features"][0]["properties"]["name"] = "Somewhere else"
    path.write_text(json.dumps(shapes), encoding="utf-8")
    with pytest.raises(kz.DataValidationError, match=r"data/neighbours.geojson: .*sha256"):
        kz.load_shapes("neighbours", data_copy)


def test_data_dictionary_lists_every_field_of_every_table() -> None:
    dictionary = kz.data_dictionary()
    descriptor = kz.read_descriptor()
    expected = {(r["name"], f["name"]) for r in descriptor["resources"] if "schema" in r for f in r["schema"]["fields"]}
    assert set(zip(dictionary["resource"], dictionary["field"])) == expected
    source = dictionary[(dictionary["resource"] == "votes") & (dictionary["field"] == "source")].iloc[0]
    assert source["required"] and "references.bib" in source["rules"]


def test_tables_escape_text_from_the_data() -> None:
    import pandas as pd

    html = kz.show_table(pd.DataFrame({"title": ["<script>alert(1)</script>"]})).to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html


def pdf_table(table: "kz.show_table") -> dict:
    """The JSON body of a table's `kz-table` directive (what the PDF prints)."""
    import json

    markdown = table.to_markdown()
    assert markdown.startswith("```{kz-table}\n") and markdown.endswith("\n```\n")
    return json.loads(markdown.split("\n")[1])


def test_pdf_tables_carry_text_from_the_data_literally() -> None:
    import pandas as pd

    table = kz.show_table(pd.DataFrame({"title": ["<b>*bold*</b> | 50% ```", None]}), caption="A & B")
    assert "`" not in table.to_markdown().split("\n", 1)[1].rsplit("```", 1)[0]  # nothing closes the fence early
    spec = pdf_table(table)
    assert spec["caption"] == "A & B" and spec["columns"] == ["title"]
    assert spec["rows"] == [["<b>*bold*</b> | 50% ```"], ["—"]]  # the missing value prints as a dash


def test_web_and_pdf_tables_print_the_same_values() -> None:
    import pandas as pd

    frame = pd.DataFrame({"share": [69.44, None], "votes": [1234567, 2], "name": ["Amanat", "Baytaq"]})
    table = kz.show_table(frame, formats={"votes": "{:,.0f}"})
    html, spec = table.to_html(), pdf_table(table)
    for shown in ("69.44", "1,234,567", "Amanat"):
        assert f">{shown}</td>" in html and shown in spec["rows"][0], shown
    assert "69.440000" not in html and html.count(">—</td>") == 1 and spec["rows"][1][0] == "—"


def test_pdf_tables_become_longtables_with_the_given_widths() -> None:
    import pandas as pd
    from docutils import nodes

    from kzutils.build.tables import table_from_spec

    table = table_from_spec(pdf_table(kz.show_table(pd.DataFrame({"a": ["x * y"], "b": [2]}), caption="Cap")))
    assert table["classes"] == ["colwidths-given", "longtable"]
    assert table.next_node(nodes.title).astext() == "Cap"
    assert [c["colwidth"] for c in table.findall(nodes.colspec)] == [5, 4]
    assert [e.astext() for e in table.next_node(nodes.thead).findall(nodes.entry)] == ["a", "b"]
    assert [e.astext() for e in table.next_node(nodes.tbody).findall(nodes.entry)] == ["x * y", "2"]


def test_student_edition_drops_every_kind_of_solution() -> None:
    from kzutils.build.pages import without_solutions

    page = "\n".join([
        "Intro.", "````{exercise}", ":label: ex-a", "", "Question.", "````", "",
        "````{solution-start} ex-a", ":class: dropdown", "````", "", "Worked answer.", "",
        "```{code-cell} ipython3", "answer = 42", "```", "", "````{solution-end}", "````", "",
        "````{solution} ex-b", ":class: dropdown", "", "Plain answer.", "````", "", "Outro.", "",
    ])
    kept = without_solutions(page)
    assert "Question." in kept and "Intro." in kept and "Outro." in kept
    assert "solution" not in kept and "answer" not in kept.lower()


def test_an_observation_series_comes_back_in_time_order() -> None:
    deaths = kz.observation_series("jan2022_deaths_official")
    assert list(deaths["date"]) == sorted(deaths["date"]) and len(deaths) > 1
    assert set(deaths["series_id"]) == {"jan2022_deaths_official"}
    assert kz.observation_series("fh_fiw_total")["year"].tolist() == sorted(kz.observation_series("fh_fiw_total")["year"])
    with pytest.raises(KeyError, match="no_such_series"):
        kz.observation_series("no_such_series")
