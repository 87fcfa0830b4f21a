"""Named facts for the prose: each computed from one data row, formatted once, carrying its source."""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

from kzutils.data import load
from kzutils.reads import capture, record


@dataclass(frozen=True)
class Fact:
    """One number (or name) the prose prints, with where it came from."""

    name: str
    value: Any
    text: str
    resource: str
    row: int | None  # 1-based data row; None when the fact combines several rows
    source: str
    description: str
    stage: str | None = None  # the stage of the count its row reports (election_night, interim, preliminary, final)
    as_of: str | None = None  # the time of that report, where the row gives one


COUNT_STAGES = ("election_night", "interim", "preliminary", "final")


def row_stage(row: pd.Series) -> tuple[str | None, str | None]:
    """The stage of a count a data row reports, and the report's time: a vote's `variant` and `as_of`, or an
    observation's `status` when it names a stage (an observation whose status does not has no stage)."""
    stage = row.get("variant", row.get("status"))
    as_of = row.get("as_of")
    return (stage if stage in COUNT_STAGES else None), (as_of if isinstance(as_of, str) and as_of else None)


def _trim(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def format_percent(value: float) -> str:
    """'81.31%' for 81.31, '5.8%' for 5.80: no more decimals than the data has."""
    return _trim(value) + "%"


def format_count(value: int) -> str:
    """'8,300,046' for 8300046."""
    return f"{int(value):,}"


def format_points(value: float) -> str:
    """'10.35 percentage points' for a difference of two shares."""
    return _trim(value) + " percentage points"


def _cell_fact(
    name: str, description: str, resource: str, row: pd.Series, column: str, fmt: Callable[[Any], str],
) -> Fact:
    value = row[column]
    if pd.isna(value):
        raise LookupError(f"fact {name!r}: {resource} row {row.name + 1} has no {column}")
    plain = value.item() if hasattr(value, "item") else value
    return Fact(name, plain, fmt(plain), resource, int(row.name) + 1, str(row["source"]), description,
                *row_stage(row))


# --- fact families, generated from the data ------------------------------------------------------


def _vote_facts(data_dir: Path | None) -> Iterator[Fact]:
    votes = load("votes", data_dir)
    results = load("vote_results", data_dir)
    for _, vote in votes.iterrows():
        suffix = "" if vote["variant"] == "final" else f"_{vote['variant']}"
        prefix = f"{vote['kind']}_{vote['date'].year}{suffix}"
        label = f"{vote['title']} ({vote['date'].day} {vote['date']:%B %Y}, {vote['variant'].replace('_', ' ')})"
        for column, what, fmt in (("turnout_pct", "Turnout", format_percent),
                                  ("registered_voters", "Registered voters", format_count),
                                  ("ballots_cast", "Voters who took part", format_count)):
            if not pd.isna(vote[column]):
                name = f"{prefix}_{column.removesuffix('_pct')}"
                yield _cell_fact(name, f"{what}, {label}", "votes", vote, column, fmt)
        options = results[(results["vote_id"] == vote["vote_id"]) & (results["variant"] == vote["variant"])]
        yield from _option_facts(prefix, label, options)


def _option_facts(prefix: str, label: str, options: pd.DataFrame) -> Iterator[Fact]:
    ranked = options.sort_values("share_pct", ascending=False)
    candidates = ranked[ranked["option_kind"].isin(["candidate", "party"])]
    if len(candidates):
        winner = candidates.iloc[0]
        yield _cell_fact(f"{prefix}_winner", f"Winner, {label}", "vote_results", winner, "option", str)
        yield _cell_fact(f"{prefix}_winner_share", f"Winner's share, {label}", "vote_results", winner,
                         "share_pct", format_percent)
        if not pd.isna(winner["votes"]):
            yield _cell_fact(f"{prefix}_winner_votes", f"Winner's votes, {label}", "vote_results",
                             winner, "votes", format_count)
    if len(candidates) > 1:
        second = candidates.iloc[1]
        yield _cell_fact(f"{prefix}_runner_up", f"Runner-up, {label}", "vote_results", second, "option", str)
        yield _cell_fact(f"{prefix}_runner_up_share", f"Runner-up's share, {label}", "vote_results",
                         second, "share_pct", format_percent)
    for kind in ("against_all", "yes", "no", "invalid", "not_counted"):
        for _, option in options[options["option_kind"] == kind].iterrows():
            yield _cell_fact(f"{prefix}_{kind}_share", f"Share '{option['option']}', {label}", "vote_results",
                             option, "share_pct", format_percent)
            if not pd.isna(option["votes"]):
                yield _cell_fact(f"{prefix}_{kind}_votes", f"Votes '{option['option']}', {label}", "vote_results",
                                 option, "votes", format_count)


def _reform_facts(data_dir: Path | None) -> Iterator[Fact]:
    reforms = load("reform_measures", data_dir)
    for _, step in reforms.iterrows():
        prefix = f"reform_{step['measure_id']}_{step['effective_year']}"
        label = f"{step['measure']} ({step['unit']}), change effective {step['effective_year']}"
        for column, when in (("value_before", "before"), ("value_after", "after")):
            yield _cell_fact(f"{prefix}_{when}", f"{label}: {when}", "reform_measures", step, column,
                             _format_measure(step["unit"]))


def _format_measure(unit: str) -> Callable[[Any], str]:
    if unit == "percent":
        return format_percent
    return lambda v: format_count(v) if float(v).is_integer() else f"{v:g}"


def format_in_unit(value: float, unit: str) -> str:
    """Print an observation in its series' unit: '200,000', '80%', '1.29', 'US$3.5 billion', '185 tenge'."""
    if unit == "percent":
        return format_percent(value)
    if unit in ("usd_billion", "usd_million"):
        return f"US${_trim(value) if not float(value).is_integer() else format_count(value)} {unit.removeprefix('usd_')}"
    if unit == "tonnes_million":
        return f"{_trim(value)} million tonnes"
    if unit in ("tenge", "tenge_per_usd", "tenge_per_litre"):
        amount = format_count(value) if float(value).is_integer() else _trim(value)
        return f"{amount} tenge"
    if unit == "usd":
        return f"US${format_count(value) if float(value).is_integer() else _trim(value)}"
    if unit in ("people", "count", "barrels_per_day", "years", "days") and float(value).is_integer():
        return format_count(value)
    return _trim(value)


def _seat_facts(data_dir: Path | None) -> Iterator[Fact]:
    seats = load("seats", data_dir)
    for vote_id, table in seats.groupby("vote_id", sort=False):
        prefix = f"mazhilis_{vote_id.split('-')[1]}_seats"
        for _, party in table.iterrows():
            slug = _slug(party["party"])
            for column, what in (("list_seats", "list"), ("district_seats", "district")):
                if not pd.isna(party[column]):
                    yield _cell_fact(f"{prefix}_{slug}_{what}", f"Seats won by {party['party']} ({what}), {vote_id}",
                                     "seats", party, column, format_count)
            total = int(party[["list_seats", "district_seats"]].fillna(0).sum())
            yield Fact(f"{prefix}_{slug}_total", total, format_count(total), "seats", int(party.name) + 1,
                       str(party["source"]), f"Seats won by {party['party']} in all, {vote_id}")
        house = int(table[["list_seats", "district_seats"]].fillna(0).to_numpy().sum())
        for _, party in table.iterrows():
            total = int(party[["list_seats", "district_seats"]].fillna(0).sum())
            share = round(100 * total / house, 2)
            yield Fact(f"{prefix}_{_slug(party['party'])}_share", share, format_percent(share), "seats",
                       int(party.name) + 1, str(party["source"]), f"Share of all seats won by {party['party']}, {vote_id}")
        sources = "; ".join(dict.fromkeys(table["source"]))
        for column, what in (("list_seats", "list"), ("district_seats", "district")):
            count = int(table[column].fillna(0).sum())
            yield Fact(f"{prefix}_{what}_total", count, format_count(count), "seats", None, sources,
                       f"All {what} seats filled, {vote_id}")
        count = int(table[["list_seats", "district_seats"]].fillna(0).to_numpy().sum())
        yield Fact(f"{prefix}_total", count, format_count(count), "seats", None, sources, f"All seats filled, {vote_id}")


def _slug(text: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def observation_fact_name(series_id: str, period: str) -> str:
    """The fact name of one observation: series and period, e.g. 'fh_fiw_total_2024'."""
    return f"{series_id}_{period.replace('-', '_')}"


def _observation_facts(data_dir: Path | None) -> Iterator[Fact]:
    series = load("series", data_dir).set_index("series_id")
    observations = load("observations", data_dir)
    for _, obs in observations.iterrows():
        meta = series.loc[obs["series_id"]]
        unit = str(meta["unit"])
        name = observation_fact_name(obs["series_id"], obs["period"])
        yield _cell_fact(name, f"{meta['label']}, {obs['period']} ({obs['status']})", "observations", obs, "value",
                         lambda v, unit=unit: format_in_unit(v, unit))


def final_candidates(data_dir: Path | str | None = None, kind: str = "presidential") -> pd.DataFrame:
    """Candidates in the final count of every vote of `kind`, with their `result_row` and `is_winner`."""
    votes = load("votes", data_dir)
    results = load("vote_results", data_dir)
    final_ids = votes.loc[(votes["kind"] == kind) & (votes["variant"] == "final"), "vote_id"]
    candidates = results[(results["variant"] == "final") & (results["option_kind"] == "candidate")
                         & results["vote_id"].isin(final_ids)].copy()
    candidates["result_row"] = candidates.index + 1
    candidates["is_winner"] = candidates["share_pct"] == candidates.groupby("vote_id")["share_pct"].transform("max")
    return candidates


def winner_shares(data_dir: Path | str | None = None, kind: str = "presidential") -> pd.DataFrame:
    """Final results: one row per vote of `kind` with date, turnout, winner and winner's share."""
    votes = load("votes", data_dir)
    final = votes[(votes["kind"] == kind) & (votes["variant"] == "final")]
    candidates = final_candidates(data_dir, kind)
    winners = candidates[candidates["is_winner"]]
    merged = final.merge(winners, on=["vote_id", "variant"], suffixes=("", "_result"))
    return merged.sort_values("date").reset_index(drop=True)


def _series_facts(data_dir: Path | None) -> Iterator[Fact]:
    series = winner_shares(data_dir)
    for label, pick in (("highest", series["share_pct"].idxmax()), ("lowest", series["share_pct"].idxmin())):
        row = series.loc[pick]
        share, year = float(row["share_pct"]), int(row["date"].year)
        at, source = int(row["result_row"]), str(row["source_result"])
        what = f"the {label} winner's share, presidential elections"
        yield Fact(f"presidential_{label}_winner_share", share, format_percent(share), "vote_results", at, source,
                   what.capitalize())
        yield Fact(f"presidential_{label}_winner_share_year", year, str(year), "vote_results", at, source,
                   f"Year of {what}")
    yield Fact("presidential_elections_count", len(series), str(len(series)), "votes", None,
               "; ".join(dict.fromkeys(series["source"])), "Presidential elections in the data (final results)")
    first, last = series.iloc[-2], series.iloc[-1]
    change = round(float(last["share_pct"] - first["share_pct"]), 2)
    yield Fact("presidential_winner_share_change_last", change, format_points(change), "vote_results", None,
               f"{first['source_result']}; {last['source_result']}",
               f"Change in the winner's share from {first['date'].year} to {last['date'].year}")


MISSION_SLUGS = {"OSCE/ODIHR": "odihr", "OSCE PA": "osce_pa", "CIS": "cis", "SCO": "sco", "OTS": "ots",
                 "TURKPA": "turkpa", "OIC": "oic"}


def observer_fact_prefix(vote_id: str, mission: str | None = None) -> str:
    """Fact-name prefix of one vote (and mission) in the observer tables, e.g. 'obs_pres_2022_sco'."""
    prefix = "obs_" + vote_id.replace("-", "_")
    return prefix if mission is None else f"{prefix}_{MISSION_SLUGS[mission]}"


def _observer_facts(data_dir: Path | None) -> Iterator[Fact]:
    rows = load("observer_assessments", data_dir)
    for column, what, unit in (("observers", "observers", "Observers"),
                               ("recommendations_made", "recommendations", "Recommendations offered"),
                               ("prior_recommendations_total", "prior_recommendations", "Earlier recommendations reviewed"),
                               ("prior_recommendations_addressed", "prior_recommendations_addressed",
                                "Earlier recommendations addressed")):
        for _, row in rows[rows[column].notna()].iterrows():
            name = f"{observer_fact_prefix(row['vote_id'], row['mission'])}_{what}"
            yield _cell_fact(name, f"{unit}, {row['mission']} at {row['vote_id']} ({row['document']})",
                             "observer_assessments", row, column, format_count)
    read = rows[rows["status"] == "verdict read"]
    for vote_id, table in rows.groupby("vote_id", sort=False):
        sources = "; ".join(dict.fromkeys(table["source"]))
        for name, value, what in (
            ("missions_count", table["mission"].nunique(), "Observer bodies recorded"),
            ("verdicts_read_count", read.loc[read["vote_id"] == vote_id, "mission"].nunique(),
             "Observer bodies whose verdict could be read"),
        ):
            yield Fact(f"{observer_fact_prefix(vote_id)}_{name}", int(value), format_count(int(value)),
                       "observer_assessments", None, sources, f"{what}, {vote_id}")
    everything = "; ".join(dict.fromkeys(rows["source"]))
    pairs = rows[["vote_id", "mission"]].drop_duplicates()
    missing = rows[rows["status"] == "verdict not found"][["vote_id", "mission"]].drop_duplicates()
    missing = missing.merge(read[["vote_id", "mission"]].drop_duplicates(), how="left", indicator=True)
    for name, value, what in (
        ("obs_votes_count", rows["vote_id"].nunique(), "National votes in the observer table"),
        ("obs_missions_count", len(pairs), "Observer missions (body and vote) in the observer table"),
        ("obs_verdicts_read_count", len(read[["vote_id", "mission"]].drop_duplicates()),
         "Observer missions whose verdict could be read"),
        ("obs_verdicts_not_found_count", int((missing["_merge"] == "left_only").sum()),
         "Observer missions whose verdict could not be read in any document"),
    ):
        yield Fact(name, int(value), format_count(int(value)), "observer_assessments", None, everything, what)


def _package_facts(data_dir: Path | None) -> Iterator[Fact]:
    from kzutils.bib import keys
    from kzutils.data import bibliography_path, load_all

    tables = load_all(data_dir)
    rows = sum(len(t) for t in tables.values())
    cited = set().union(*(set(t["source"].dropna()) for t in tables.values() if "source" in t))
    events = tables["events"]
    for name, value, what in (
        ("package_tables_count", len(tables), "Tables in the data package"),
        ("package_rows_count", rows, "Data rows in all tables of the package"),
        ("package_sources_cited_count", len(cited), "Distinct sources cited by data rows"),
        ("bibliography_entries_count", len(keys(bibliography_path(data_dir))), "Entries in the bibliography"),
        ("events_count", len(events), "Dated events in the events table"),
    ):
        yield Fact(name, value, format_count(value), "datapackage", None, "datapackage.json", what)


def regional_fact_name(vote_id: str, variant: str, as_of: str | None, measure: str, region_id: str) -> str:
    """'regional_ref_2022_election_night_2200_turnout_almaty_city': the name of one regional figure."""
    when = "_" + "".join(ch for ch in as_of if ch.isdigit()) if isinstance(as_of, str) and as_of[:1].isdigit() else ""
    return f"regional_{vote_id.replace('-', '_')}_{variant}{when}_{measure}_{region_id}"


def _regional_facts(data_dir: Path | None) -> Iterator[Fact]:
    from kzutils.maps import TURNOUT_REPORTS, units_on

    rows = load("regional_results", data_dir)
    regions = load("regions", data_dir)
    for row_number, row in enumerate(rows.itertuples(index=False), start=1):
        as_of = row.as_of if isinstance(row.as_of, str) else None
        name = regional_fact_name(row.vote_id, row.variant, as_of, row.measure, row.region_id)
        what = f"{row.measure.replace('_', ' ')} in {row.region_id}, {row.vote_id} ({row.variant}{', ' + as_of if as_of else ''})"
        yield Fact(name, float(row.value_pct), format_percent(float(row.value_pct)), "regional_results", row_number,
                   str(row.source), what.capitalize(), row.variant if row.variant in COUNT_STAGES else None, as_of)
    new = regions[regions["valid_from"].notna()]
    cities = regions[regions["kind"] != "region"]
    for name, value, source, what in (
        ("regions_units_before", units_on("2022-06-07", data_dir), "village2022regions", "First-level units before 8 June 2022"),
        ("regions_units_after", units_on("2022-06-08", data_dir), "village2022regions", "First-level units from 8 June 2022"),
        ("regions_new_count", len(new), "village2022regions", "Regions formed in 2022"),
        ("regions_cities_count", len(cities), str(cities["source"].iloc[0]), "Cities outside the regions (incl. the capital)"),
    ):
        yield Fact(name, value, str(value), "regions", None, source, what)
    picked = pd.concat([rows[(rows["vote_id"] == v) & (rows["variant"] == var) & (rows["measure"] == "turnout")
                             & ((rows["as_of"] == a) if a else True)] for v, var, a, _ in TURNOUT_REPORTS])
    almaty = picked[picked["region_id"] == "almaty_city"]
    for label, pick in (("min", almaty["value_pct"].idxmin()), ("max", almaty["value_pct"].idxmax())):
        value = float(almaty.loc[pick, "value_pct"])
        yield Fact(f"regions_almaty_turnout_{label}", value, format_percent(value), "regional_results", None,
                   str(almaty.loc[pick, "source"]), f"The {label}imum of Almaty city's turnout in the mapped reports")
    counts = (
        ("regions_reports_count", len(TURNOUT_REPORTS), "Votes in the small-multiples map of turnout",
         "; ".join(dict.fromkeys(picked["source"]))),
        ("regions_ref2026_night_units", int(((rows["vote_id"] == "ref-2026") & (rows["variant"] == "election_night")
                                             & (rows["measure"] == "turnout")).sum()),
         "Units with a close-of-polls turnout in the 2026 referendum", "mgorod2026refturnout; qonaevgorod2026refturnout"),
        ("regions_ref2022_no_units", int(((rows["vote_id"] == "ref-2022") & (rows["measure"] == "no_share")).sum()),
         "Units with a published preliminary no share, 2022 referendum", "informburo2022almaty"),
    )
    for name, value, what, source in counts:
        yield Fact(name, value, str(value), "regional_results", None, source, what)


def _constitution_facts(data_dir: Path | None) -> Iterator[Fact]:
    """The numbers in the constitution's provisions (a term in years, seats, chambers), and counts of the table:
    powers, versions, provisions by how they were read, and per step the powers that changed or cannot be compared."""
    from kzutils import constitution

    rows = load("constitution_provisions", data_dir)
    table = constitution.provisions(data_dir).set_index(["power_id", "version_id"])
    for row_number, row in enumerate(rows.itertuples(index=False), start=1):
        if pd.isna(row.value):
            continue
        value, unit = int(row.value), str(row.unit)
        text = f"{value} {unit.removesuffix('s') if value == 1 else unit}"
        where = table.loc[(row.power_id, row.version_id)]
        yield Fact(f"constitution_{row.power_id}_{row.version_id.replace('-', '_')}", value, text,
                   "constitution_provisions", row_number, str(row.source), f"{where['power']}, {where['version']}")
    counts = [("constitution_powers_count", rows["power_id"].nunique(), "Powers and rules compared"),
              ("constitution_versions_count", rows["version_id"].nunique(), "Versions of the constitution compared"),
              ("constitution_provisions_count", len(rows), "Provisions (one per power and version)")]
    counts += [(f"constitution_{reading}_count", int((rows["reading"] == reading).sum()), f"Provisions read as {reading}")
               for reading in ("text", "report", "inferred", "unread")]
    for before, after in constitution.steps(data_dir):
        step = f"{before.replace('-', '_')}_{after.replace('-', '_')}"
        counts += [(f"constitution_changed_{step}_count", len(constitution.changes(before, after, data_dir)),
                    f"Powers whose rule differs between {before} and {after}"),
                   (f"constitution_not_compared_{step}_count", len(constitution.not_compared(before, after, data_dir)),
                    f"Powers not read in {before} or in {after}")]
    for name, value, what in counts:
        yield Fact(name, int(value), format_count(int(value)), "datapackage", None, "datapackage.json", what)


FAMILIES: tuple[Callable[[Path | None], Iterator[Fact]], ...] = (
    _vote_facts, _reform_facts, _series_facts, _seat_facts, _observation_facts, _observer_facts, _package_facts,
    _regional_facts, _constitution_facts)


def all_facts(data_dir: Path | str | None = None) -> dict[str, Fact]:
    """Every named fact, computed from the data package (once per process until a file changes); in a
    notebook, reading one notes the files its value came from."""
    from kzutils.data import bibliography_path, existing_folder, find_data_dir
    from kzutils.validate import stamp

    folder = existing_folder(Path(data_dir), "the caller") if data_dir is not None else find_data_dir()
    with capture():  # finding the inputs is not reading a fact (a fact's files are logged when it is used)
        inputs = (*sorted(p for p in folder.rglob("*") if p.is_file()), bibliography_path(folder))
    facts, files_by_fact = _facts_cached(folder, tuple(stamp(p) for p in inputs))
    FACT_FILES.update(files_by_fact)
    return UsedFacts(facts)


@functools.lru_cache(maxsize=4)
def _facts_cached(folder: Path, _stamps: tuple[Any, ...]) -> tuple[dict[str, Fact], dict[str, frozenset[str]]]:
    return _compute_facts(folder)


def _compute_facts(folder: Path) -> tuple[dict[str, Fact], dict[str, frozenset[str]]]:
    """Every fact, and the files each one's family read."""
    facts: dict[str, Fact] = {}
    files_by_fact: dict[str, frozenset[str]] = {}
    for family in FAMILIES:
        with capture() as files:  # a fact's files are logged when the fact is used (kzutils.reads)
            made = list(family(folder))
        for fact in made:
            if fact.name in facts:
                raise ValueError(f"two facts are named {fact.name!r}: check the data for duplicates")
            facts[fact.name] = fact
            files_by_fact[fact.name] = frozenset(files)
    return facts, files_by_fact


FACT_FILES: dict[str, frozenset[str]] = {}  # the files each fact's family read, from the last all_facts()


class UsedFacts(dict):  # type: ignore[type-arg]
    """Every fact by name; reading one notes the files its value came from (kzutils.reads)."""

    def __getitem__(self, name: str) -> Fact:
        record(FACT_FILES.get(name, ()))
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        record(FACT_FILES.get(name, ()))
        return super().get(name, default)

    def _all(self) -> None:
        record(set().union(*FACT_FILES.values()))

    def values(self):  # type: ignore[no-untyped-def]
        self._all()
        return super().values()

    def items(self):  # type: ignore[no-untyped-def]
        self._all()
        return super().items()

    def __iter__(self):  # type: ignore[no-untyped-def]
        self._all()
        return super().__iter__()


def get(name: str, data_dir: Path | str | None = None) -> Fact:
    """One named fact; KeyError lists near names if it does not exist."""
    facts = all_facts(data_dir)
    if name not in facts:
        raise KeyError(f"no fact named {name!r}; similar: {difflib.get_close_matches(name, list(facts), n=5)}")
    record(FACT_FILES.get(name, ()))
    return facts[name]
