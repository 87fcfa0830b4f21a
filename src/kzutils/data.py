"""Find the data package, read its descriptor, and load validated, cached tables."""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from kzutils import bib
from kzutils.validate import (
    Cell,
    DataValidationError,
    HEADER,
    check_foreign_key,
    check_national_totals,
    check_percentages,
    check_region_dates,
    check_header,
    check_sources,
    check_sums,
    check_unique,
    parse_cell,
    to_frame,
)

DESCRIPTOR = "datapackage.json"
ENV_DATA_DIR = "KZ_DATA_DIR"


def find_data_dir(start: Path | None = None) -> Path:
    """Locate `data/`: $KZ_DATA_DIR, else the nearest `data/` above `start` (default: cwd)."""
    if os.environ.get(ENV_DATA_DIR):
        return Path(os.environ[ENV_DATA_DIR]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "data" / DESCRIPTOR).is_file():
            return folder / "data"
    packaged = Path(__file__).resolve().parents[2] / "data"
    if (packaged / DESCRIPTOR).is_file():
        return packaged
    raise FileNotFoundError(f"no data/{DESCRIPTOR} above {here}; set ${ENV_DATA_DIR}")


def _resolve(data_dir: Path | str | None) -> Path:
    return Path(data_dir).resolve() if data_dir is not None else find_data_dir()


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def read_descriptor(data_dir: Path | str | None = None) -> dict[str, Any]:
    """Return the parsed `datapackage.json`."""
    path = _resolve(data_dir) / DESCRIPTOR
    return _read_descriptor_cached(path, _stamp(path))


@functools.lru_cache(maxsize=8)
def _read_descriptor_cached(path: Path, _stamp: tuple[int, int]) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataValidationError(path, HEADER, "-", f"not valid JSON: {exc}") from None


def resource_names(data_dir: Path | str | None = None) -> list[str]:
    """Names of every resource in the package, in descriptor order."""
    return [r["name"] for r in read_descriptor(data_dir)["resources"]]


def table_names(data_dir: Path | str | None = None) -> list[str]:
    """Names of the tabular (CSV) resources, in descriptor order."""
    return [r["name"] for r in read_descriptor(data_dir)["resources"] if "schema" in r]


def resource(name: str, data_dir: Path | str | None = None) -> dict[str, Any]:
    """The descriptor entry of one resource."""
    for entry in read_descriptor(data_dir)["resources"]:
        if entry["name"] == name:
            return entry
    raise KeyError(f"no resource named {name!r} in {DESCRIPTOR}; have {resource_names(data_dir)}")


def bibliography_path(data_dir: Path | str | None = None) -> Path:
    """The BibTeX file that the package's `source` keys refer to."""
    folder = _resolve(data_dir)
    return (folder / read_descriptor(folder)["bibliography"]).resolve()


def load(name: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """Return resource `name` as a typed DataFrame, validated against its schema."""
    folder = _resolve(data_dir)
    files = [folder / DESCRIPTOR, folder / resource(name, folder)["path"], bibliography_path(folder)]
    stamps = tuple(_stamp(f) for f in files)
    return _load_cached(folder, name, stamps).copy()


def load_all(data_dir: Path | str | None = None) -> dict[str, pd.DataFrame]:
    """Load and validate every resource of the package."""
    folder = _resolve(data_dir)
    return {name: load(name, folder) for name in table_names(folder)}


@functools.lru_cache(maxsize=64)
def _load_cached(folder: Path, name: str, _stamps: tuple[Any, ...]) -> pd.DataFrame:
    entry = resource(name, folder)
    records = _parse_records(folder, entry)
    _check_table(folder, entry, records)
    return to_frame(records, entry["schema"]["fields"])


def load_shapes(name: str, data_dir: Path | str | None = None) -> dict[str, Any]:
    """Return a GeoJSON resource as a dict, after checking it against the checksum in datapackage.json."""
    folder = _resolve(data_dir)
    entry = resource(name, folder)
    path = folder / entry["path"]
    label = _label(folder, path)
    if not path.is_file():
        raise DataValidationError(label, HEADER, "-", "the file listed in datapackage.json does not exist")
    content = path.read_bytes()
    algorithm, _, expected = entry["hash"].partition(":")
    actual = hashlib.new(algorithm, content).hexdigest()
    if actual != expected:
        raise DataValidationError(label, HEADER, "-", f"{algorithm} is {actual}, but datapackage.json records "
                                  f"{expected}: regenerate the file with its script or update the record")
    shapes = json.loads(content)
    for number, feature in enumerate(shapes.get("features", []), start=1):
        if not feature.get("properties", {}).get("name"):
            raise DataValidationError(label, number, "name", "feature has no name")
    return shapes


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise DataValidationError(path, HEADER, "-", "the file listed in datapackage.json does not exist")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise DataValidationError(path, HEADER, "-", "the file is empty")
    return rows[0], rows[1:]


def _parse_records(folder: Path, entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    path = folder / entry["path"]
    label = _label(folder, path)
    fields = entry["schema"]["fields"]
    header, rows = _read_rows(path)
    check_header(header, fields, label)
    records = []
    for number, row in enumerate(rows, start=1):
        if len(row) != len(header):
            raise DataValidationError(
                label, number, header[min(len(row), len(header)) - 1],
                f"row has {len(row)} cells but the header has {len(header)}",
            )
        records.append(
            {f["name"]: parse_cell(raw, f, Cell(label, number, f["name"])) for f, raw in zip(fields, row)}
        )
    return records


def _check_table(folder: Path, entry: Mapping[str, Any], records: list[dict[str, Any]]) -> None:
    label = _label(folder, folder / entry["path"])
    schema = entry["schema"]
    key = schema.get("primaryKey")
    if key:
        check_unique(records, [key] if isinstance(key, str) else key, label)
    for foreign in schema.get("foreignKeys", []):
        target = foreign["reference"]
        target_keys = _keys_of(folder, target["resource"], target["fields"])
        check_foreign_key(records, foreign["fields"], target_keys, target["resource"], label)
    for rule in entry.get("sumsTo", []):
        condition = rule.get("onlyWhere")
        only = _keys_of(folder, condition["resource"], rule["groupBy"], condition["field"]) if condition else None
        check_sums(records, rule["field"], rule["groupBy"], rule["total"], rule["tolerance"], label, only)
    for field in schema["fields"]:
        if field.get("bibtexKey"):
            check_sources(records, field["name"], bib.keys(bibliography_path(folder)), label)
    if "regionalChecks" in entry:
        _check_regional(folder, entry["regionalChecks"], records, label)


def _check_regional(folder: Path, rules: Mapping[str, Any], records: list[dict[str, Any]], label: str) -> None:
    """Rules of a table of results by unit: units existed on polling day, percentages in 0-100, sums match the nation."""
    units = _parse_records(folder, resource(rules["regions"], folder))
    existed = {u["region_id"]: (u["valid_from"], u["valid_to"]) for u in units}
    check_region_dates(records, existed, label)
    check_percentages(records, "value_pct", label)

    def units_on(day: Any) -> set[str]:
        return {u for u, (start, end) in existed.items() if (start is None or start <= day) and (end is None or day <= end)}

    votes = _parse_records(folder, resource(rules["votes"], folder))
    national = {(v["vote_id"], v["variant"]): (v["registered_voters"], v["ballots_cast"]) for v in votes}
    check_national_totals(records, units_on, national, float(rules["tolerance"]), label)


def _keys_of(folder: Path, name: str, fields: list[str], true_field: str | None = None) -> set[tuple[Any, ...]]:
    """Key tuples of another resource's rows (only rows whose boolean `true_field` is true, if given)."""
    rows = _parse_records(folder, resource(name, folder))
    return {tuple(r[f] for f in fields) for r in rows if true_field is None or r[true_field]}


def _label(folder: Path, path: Path) -> str:
    """Name a file as a reader finds it: relative to the project root where possible."""
    try:
        return str(path.relative_to(folder.parent))
    except ValueError:
        return str(path)


def observation_series(series_id: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """One series of observations.csv, oldest first, with `date` (the start of each period) and `year`."""
    observations = load("observations", data_dir)
    rows = observations[observations["series_id"] == series_id]
    if rows.empty:
        raise KeyError(f"no observations of series {series_id!r} in observations.csv")
    dates = pd.to_datetime(rows["period"], format="mixed")
    rows = rows.assign(date=dates, year=dates.dt.year)
    return rows.sort_values("date", kind="stable").reset_index(drop=True)


def data_dictionary(data_dir: Path | str | None = None) -> pd.DataFrame:
    """One row per field of every resource: type, unit, constraints and description, from datapackage.json."""
    rows = []
    for entry in read_descriptor(data_dir)["resources"]:
        if "schema" not in entry:
            continue
        key = entry["schema"].get("primaryKey", [])
        for field in entry["schema"]["fields"]:
            constraints = dict(field.get("constraints", {}))
            rules = [f"{name}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
                     for name, value in constraints.items() if name != "required"]
            if field.get("bibtexKey"):
                rules.append("a key of book/references.bib")
            rows.append({
                "resource": entry["name"],
                "file": entry["path"],
                "field": field["name"],
                "type": field["type"],
                "unit": field.get("unit", ""),
                "required": bool(constraints.get("required")) or field["name"] in key,
                "key": field["name"] in key,
                "rules": "; ".join(rules),
                "description": field.get("description", ""),
            })
    return pd.DataFrame(rows)
