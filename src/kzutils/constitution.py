"""The constitution power by power: the provisions table in book order, and what changed between two versions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kzutils.data import load

INFERRED_MARK = " †"
"""Appended to a rule carried from neighbouring versions (reading 'inferred') where a table prints it."""


def versions(data_dir: Path | str | None = None) -> pd.DataFrame:
    """The versions of the constitution, oldest first."""
    return load("constitution_versions", data_dir).sort_values("date", kind="stable").reset_index(drop=True)


def provisions(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Every provision with its power's label and group and its version's label, in the book's order
    (powers by position, versions by date)."""
    powers = load("constitution_powers", data_dir)[["power_id", "position", "group", "label"]]
    table = load("constitution_provisions", data_dir)
    order = {v: i for i, v in enumerate(versions(data_dir)["version_id"])}
    merged = table.merge(powers.rename(columns={"label": "power"}), on="power_id", validate="many_to_one")
    merged = merged.merge(versions(data_dir)[["version_id", "label"]].rename(columns={"label": "version"}),
                          on="version_id", validate="many_to_one")
    merged["_order"] = merged["version_id"].map(order)
    return merged.sort_values(["position", "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)


def steps(data_dir: Path | str | None = None) -> list[tuple[str, str]]:
    """Each pair of consecutive versions, oldest first: [("1995", "1998"), ...]."""
    ids = list(versions(data_dir)["version_id"])
    return list(zip(ids, ids[1:]))


def _pair(before: str, after: str, data_dir: Path | str | None) -> pd.DataFrame:
    table = provisions(data_dir)
    left = table[table["version_id"] == before].set_index("power_id")
    right = table[table["version_id"] == after].set_index("power_id")
    return left.merge(right, left_index=True, right_index=True, suffixes=("_before", "_after"))


def changes(before: str, after: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """Powers read (or inferred) in both versions whose holder, rule or number differs, in book order."""
    pair = _pair(before, after, data_dir)
    both = pair[(pair["reading_before"] != "unread") & (pair["reading_after"] != "unread")]
    differ = ((both["holder_before"] != both["holder_after"]) | (both["rule_before"] != both["rule_after"])
              | (both["value_before"].fillna(-1) != both["value_after"].fillna(-1)))
    return both[differ].reset_index()


def not_compared(before: str, after: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """Powers that cannot be compared across the step because one of the two versions was not read."""
    pair = _pair(before, after, data_dir)
    return pair[(pair["reading_before"] == "unread") | (pair["reading_after"] == "unread")].reset_index()


def marked(rule: str, reading: str) -> str:
    """A rule as a table prints it: inferred rules carry INFERRED_MARK."""
    return rule + (INFERRED_MARK if reading == "inferred" else "")


def read_source(power_id: str, version_id: str, data_dir: Path | str | None = None) -> str:
    """The source a provision's rule was read in: its own, or for an inferred provision that of the nearest
    version read (text or report) with the same holder and rule."""
    table = provisions(data_dir)
    rows = table[table["power_id"] == power_id].reset_index(drop=True)
    here = rows.index[rows["version_id"] == version_id][0]
    row = rows.loc[here]
    if row["reading"] != "inferred":
        return str(row["source"])
    same = rows[rows["reading"].isin(["text", "report"]) & (rows["holder"] == row["holder"])
                & (rows["rule"] == row["rule"])]
    if same.empty:
        return str(row["source"])
    nearest = min(same.index, key=lambda i: (abs(i - here), i))
    return str(same.loc[nearest, "source"])


def change_table(before: str, after: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """The printed "what changed" table of one step: power, the rule before, the rule after, where each was read."""
    found = changes(before, after, data_dir)
    labels = versions(data_dir).set_index("version_id")["label"]
    sources = [", ".join(dict.fromkeys([read_source(p, before, data_dir), read_source(p, after, data_dir)]))
               for p in found["power_id"]]
    return pd.DataFrame({
        "Power": found["power_before"],
        f"Before ({labels[before]})": [marked(r, g) for r, g in zip(found["rule_before"], found["reading_before"])],
        f"After ({labels[after]})": [marked(r, g) for r, g in zip(found["rule_after"], found["reading_after"])],
        "Read in": sources,
    })


def reading_counts(data_dir: Path | str | None = None) -> pd.DataFrame:
    """How many provisions of each version were read in the text, in a report, inferred or not read."""
    table = provisions(data_dir)
    counts = pd.crosstab(table["version_id"], table["reading"]).reindex(columns=["text", "report", "inferred", "unread"],
                                                                         fill_value=0)
    return counts.reindex(versions(data_dir)["version_id"])
