"""Enforce a Table Schema on one CSV: every failure names the file, the row and the column."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

HEADER = 0  # "row" used for problems with the header line itself


class DataValidationError(ValueError):
    """Bad data: the message names the file, the row and the column."""

    def __init__(self, path: Path | str, row: int, column: str, problem: str) -> None:
        self.path = str(path)
        self.row = row
        self.column = column
        self.problem = problem
        super().__init__(self.describe())

    def describe(self) -> str:
        """Return the one-line message a reader sees."""
        where = "header (line 1)" if self.row == HEADER else f"row {self.row} (line {self.row + 1})"
        return f"{self.path}: {where}, column '{self.column}': {self.problem}"


@dataclass(frozen=True)
class Cell:
    """Where a raw value sits: file, 1-based data row, column name."""

    path: str
    row: int
    column: str

    def fail(self, problem: str) -> DataValidationError:
        """Build the error for a problem found in this cell."""
        return DataValidationError(self.path, self.row, self.column, problem)


# --- parsing one raw string by Table Schema type -------------------------------------------


def _parse_integer(raw: str) -> int:
    if not raw.lstrip("-").isdigit():
        raise ValueError("is not a whole number")
    return int(raw)


def _parse_number(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(value):
        raise ValueError("is not a finite number")
    return value


def _parse_date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError("is not a date in YYYY-MM-DD form") from None


def _parse_boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"true", "yes", "1"}:
        return True
    if lowered in {"false", "no", "0"}:
        return False
    raise ValueError("is not true or false")


def _parse_string(raw: str) -> str:
    return raw


PARSERS: Mapping[str, Callable[[str], Any]] = {
    "integer": _parse_integer,
    "number": _parse_number,
    "date": _parse_date,
    "boolean": _parse_boolean,
    "string": _parse_string,
}

PANDAS_DTYPES: Mapping[str, str] = {
    "integer": "Int64",
    "number": "Float64",
    "boolean": "boolean",
    "string": "string",
}


def parse_cell(raw: str, field: Mapping[str, Any], cell: Cell) -> Any:
    """Parse one raw CSV value by its field's type and constraints; None if missing."""
    constraints = field.get("constraints", {})
    if raw.strip() == "":
        if constraints.get("required", False):
            raise cell.fail("a value is required but the cell is empty")
        return None
    if raw != raw.strip():
        raise cell.fail(f"value {raw!r} has leading or trailing spaces")
    kind = field.get("type", "string")
    try:
        value = PARSERS[kind](raw)
    except KeyError:
        raise cell.fail(f"the schema names an unknown type {kind!r}") from None
    except ValueError as exc:
        raise cell.fail(f"value {raw!r} {exc}") from None
    _check_constraints(value, raw, kind, constraints, cell)
    return value


def _check_constraints(value: Any, raw: str, kind: str, constraints: Mapping[str, Any], cell: Cell) -> None:
    allowed = constraints.get("enum")
    if allowed is not None and raw not in allowed:
        raise cell.fail(f"value {raw!r} is not one of the allowed values {allowed}")
    pattern = constraints.get("pattern")
    if pattern is not None and not re.fullmatch(pattern, raw):
        raise cell.fail(f"value {raw!r} does not match the pattern {pattern}")
    bound_parser = PARSERS.get(kind, _parse_string)
    if "minimum" in constraints and value < bound_parser(str(constraints["minimum"])):
        raise cell.fail(f"value {raw!r} is below the minimum {constraints['minimum']}")
    if "maximum" in constraints and value > bound_parser(str(constraints["maximum"])):
        raise cell.fail(f"value {raw!r} is above the maximum {constraints['maximum']}")


# --- whole-table rules -------------------------------------------------------------------------


def check_header(header: Sequence[str], fields: Sequence[Mapping[str, Any]], path: str) -> None:
    """The CSV header must list exactly the schema's fields, in order."""
    expected = [f["name"] for f in fields]
    for name in expected:
        if name not in header:
            raise DataValidationError(path, HEADER, name, "this column is missing")
    for name in header:
        if name not in expected:
            raise DataValidationError(path, HEADER, name, "this column is not in the schema")
    if list(header) != expected:
        raise DataValidationError(path, HEADER, header[0], f"columns must be in schema order {expected}")


def check_unique(records: Sequence[Mapping[str, Any]], key: Sequence[str], path: str) -> None:
    """No two rows may share a primary key."""
    seen: dict[tuple[Any, ...], int] = {}
    for row, record in enumerate(records, start=1):
        value = tuple(record[k] for k in key)
        if value in seen:
            raise DataValidationError(
                path, row, key[-1], f"primary key {dict(zip(key, value))} repeats row {seen[value]}"
            )
        seen[value] = row


def check_foreign_key(
    records: Sequence[Mapping[str, Any]],
    fields: Sequence[str],
    target_keys: set[tuple[Any, ...]],
    target_name: str,
    path: str,
) -> None:
    """Every row's key must exist in the referenced resource."""
    for row, record in enumerate(records, start=1):
        value = tuple(record[f] for f in fields)
        if value not in target_keys:
            raise DataValidationError(
                path, row, fields[-1], f"{dict(zip(fields, value))} does not exist in resource '{target_name}'"
            )


def check_sums(
    records: Sequence[Mapping[str, Any]],
    field: str,
    group_by: Sequence[str],
    total: float,
    tolerance: float,
    path: str,
    only_groups: set[tuple[Any, ...]] | None = None,
) -> None:
    """Within each group (or each of `only_groups`) the field must add up to `total` within `tolerance`."""
    sums: dict[tuple[Any, ...], float] = {}
    rows: dict[tuple[Any, ...], list[int]] = {}
    for row, record in enumerate(records, start=1):
        group = tuple(record[g] for g in group_by)
        if record[field] is None or (only_groups is not None and group not in only_groups):
            continue
        sums[group] = sums.get(group, 0.0) + record[field]
        rows.setdefault(group, []).append(row)
    for group, value in sums.items():
        if abs(value - total) > tolerance:
            label = dict(zip(group_by, (str(g) for g in group)))
            raise DataValidationError(
                path,
                rows[group][-1],
                field,
                f"shares of {label} (rows {rows[group][0]}-{rows[group][-1]}) add up to "
                f"{value:.2f}, not {total} within {tolerance}",
            )


def check_sources(records: Sequence[Mapping[str, Any]], column: str, known: Iterable[str], path: str) -> None:
    """Every row's source must be a key of the bibliography (an optional source column may be empty)."""
    known_keys = set(known)
    for row, record in enumerate(records, start=1):
        key = record[column]
        if key is not None and key not in known_keys:
            raise DataValidationError(path, row, column, f"source key {key!r} is not in the bibliography")


def to_frame(records: Sequence[Mapping[str, Any]], fields: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a typed DataFrame from parsed records."""
    columns: dict[str, pd.Series] = {}
    for field in fields:
        name, kind = field["name"], field.get("type", "string")
        values = [r[name] for r in records]
        if kind == "date":
            columns[name] = pd.Series(pd.to_datetime(values), name=name)
        else:
            columns[name] = pd.Series(values, dtype=PANDAS_DTYPES[kind], name=name)
    return pd.DataFrame(columns)


def check_region_dates(
    records: Sequence[Mapping[str, Any]],
    existed: Mapping[str, tuple[dt.date | None, dt.date | None]],
    path: str,
) -> None:
    """Every row's unit must have existed on the row's polling day (`existed` maps a unit to its first and last day)."""
    for row, record in enumerate(records, start=1):
        start, end = existed[record["region_id"]]
        if (start is not None and record["date"] < start) or (end is not None and record["date"] > end):
            span = f"{start or 'before 2019'} to {end or 'today'}"
            raise DataValidationError(path, row, "region_id",
                                      f"unit {record['region_id']!r} did not exist on {record['date']} (it existed {span})")


def check_percentages(records: Sequence[Mapping[str, Any]], field: str, path: str) -> None:
    """Every percentage must lie within 0-100."""
    for row, record in enumerate(records, start=1):
        value = record[field]
        if value is not None and not 0 <= value <= 100:
            raise DataValidationError(path, row, field, f"{value} is not a percentage within 0-100")


def check_national_totals(
    records: Sequence[Mapping[str, Any]],
    units_on: Callable[[dt.date], set[str]],
    national: Mapping[tuple[str, str], tuple[int | None, int | None]],
    tolerance_pct: float,
    path: str,
) -> None:
    """Where every unit of a report gives registered voters and ballots, their sums must match the national
    count of the same vote and variant (`national`: (registered, ballots)) within `tolerance_pct` per cent."""
    reports: dict[tuple[Any, ...], dict[str, tuple[int | None, int | None, int]]] = {}
    for row, record in enumerate(records, start=1):
        report = (record["vote_id"], record["variant"], record["as_of"], record["date"])
        reports.setdefault(report, {})[record["region_id"]] = (record["registered_voters"], record["ballots_cast"], row)
    for (vote_id, variant, _, date), units in reports.items():
        if set(units) != units_on(date) or (vote_id, variant) not in national:
            continue
        for column, index in (("registered_voters", 0), ("ballots_cast", 1)):
            expected = national[(vote_id, variant)][index]
            values = [unit[index] for unit in units.values()]
            if expected is None or any(v is None for v in values):
                continue
            total = sum(values)
            if abs(total - expected) > expected * tolerance_pct / 100:
                last = max(unit[2] for unit in units.values())
                raise DataValidationError(path, last, column,
                                          f"the units of {vote_id} ({variant}) add up to {total}, but the national "
                                          f"count is {expected} (tolerance {tolerance_pct}%)")
