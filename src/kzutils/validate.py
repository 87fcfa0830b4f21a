"""Enforce a Table Schema on one CSV: every failure names the file, the row and the column."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import unicodedata
from dataclasses import dataclass, field as dataclass_field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

HEADER = 0  # "row" used for problems with the header line itself
SHOWN = 50  # problems printed in full; the rest are counted


class DataValidationError(ValueError):
    """Bad data: the message names the file, and the row and the column where they exist."""

    def __init__(self, path: Path | str, row: int | None, column: str | None, problem: str,
                 line: int | None = None, label: str = "column") -> None:
        self.path = str(path)
        self.row = row
        self.column = column
        self.problem = problem
        self.line = line if line is not None or row is None else row + 1
        self.label = label
        self.others: list[DataValidationError] = []
        super().__init__(self.describe())

    def describe(self) -> str:
        """Return the one-line message for this problem alone."""
        parts = []
        if self.row == HEADER:
            parts.append(f"header (line {self.line})")
        elif self.row is not None:
            parts.append(f"row {self.row} (line {self.line})")
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"{self.label} '{self.column}'")
        return ": ".join([self.path, *([", ".join(parts)] if parts else []), self.problem])

    @property
    def problems(self) -> list[DataValidationError]:
        """This problem and every other one found in the same run."""
        return [self, *self.others]

    def __str__(self) -> str:
        return report(self.problems)


def report(problems: Sequence[DataValidationError], shown: int = SHOWN) -> str:
    """One line per problem, the first `shown` of them, then a count of the rest."""
    lines = [p.describe() for p in problems[:shown]]
    if len(problems) > shown:
        lines.append(f"... and {len(problems) - shown} more problems (fix these and run again)")
    return "\n".join(lines)


def summary(error: DataValidationError) -> str:
    """A count of the problems, then one line per problem (capped)."""
    count = len(error.problems)
    return f"{count} problem{'s' if count > 1 else ''} in the data:\n{error}"


def combine(problems: Iterable[DataValidationError]) -> DataValidationError | None:
    """One error carrying every distinct problem (the first one's fields), or None if there are none."""
    unique = list({p.describe(): p for e in problems for p in e.problems}.values())
    if not unique:
        return None
    first = _clone(unique[0])  # keeps a subclass's own message (e.g. a bibliography entry's)
    first.others = unique[1:]
    return first


def _clone(error: DataValidationError) -> DataValidationError:
    twin = type(error).__new__(type(error))
    twin.__dict__.update(error.__dict__)
    twin.args = error.args
    return twin


def raise_all(problems: Iterable[DataValidationError]) -> None:
    """Raise every problem at once, if there are any."""
    error = combine(problems)
    if error is not None:
        raise error


@dataclass(frozen=True)
class Cell:
    """Where a raw value sits: file, 1-based data row, column name, line in the file."""

    path: str
    row: int
    column: str
    line: int | None = None

    def fail(self, problem: str) -> DataValidationError:
        """Build the error for a problem found in this cell."""
        return DataValidationError(self.path, self.row, self.column, problem, self.line)


# --- reading text strictly ---------------------------------------------------------------------


def stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is edited or replaced (None if it does not exist), for caches."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


def decode(content: bytes, path: str) -> str:
    """UTF-8 text without a byte-order mark, or an error naming the line of the first bad byte."""
    if content.startswith(b"\xef\xbb\xbf"):
        raise DataValidationError(path, None, None, "the file starts with a byte-order mark (BOM); "
                                  "save it as UTF-8 without BOM", line=1)
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        raise DataValidationError(path, None, None, f"byte 0x{content[exc.start]:02x} is not UTF-8 ({exc.reason}); "
                                  "save the file as UTF-8", line=line) from None


def text_problem(text: str) -> str | None:
    """Why a piece of text cannot be published: control characters or mojibake; None if it is clean."""
    if text.isascii() and text.isprintable():  # no control character, and mojibake needs non-ASCII text
        return None
    for char in text:
        if char != "\n" and (unicodedata.category(char) in {"Cc", "Cs", "Co"} or char in "\ufeff\ufffd"):
            return f"value {text!r} holds the character U+{ord(char):04X} ({unicodedata.name(char, 'a control character')})"
    import ftfy
    import ftfy.badness

    if ftfy.badness.is_bad(text):
        return (f"value {text!r} looks like mis-decoded text (mojibake; perhaps {ftfy.fix_text(text)!r}); "
                "re-save the file as UTF-8")
    return None


# --- parsing one raw string by Table Schema type -------------------------------------------

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PERIOD = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def _ungroup(raw: str, group: str | None) -> str:
    """Remove a declared thousands separator, only where it separates groups of three digits."""
    if not group or group not in raw:
        return raw
    whole, dot, fraction = raw.partition(".")
    if not re.fullmatch(rf"[+-]?[0-9]{{1,3}}({re.escape(group)}[0-9]{{3}})+", whole):
        raise ValueError(f"has the separator {group!r} in the wrong places")
    return whole.replace(group, "") + dot + fraction


def _parse_integer(raw: str, group: str | None = None) -> int:
    plain = _ungroup(raw, group)
    if not _INTEGER.fullmatch(plain):
        raise ValueError("is not a whole number written in digits 0-9")
    return int(plain)


def _parse_number(raw: str, group: str | None = None) -> float:
    plain = _ungroup(raw, group)
    if not _NUMBER.fullmatch(plain):
        raise ValueError("is not a number written in digits 0-9 with '.' as the decimal point")
    value = float(plain)
    if not math.isfinite(value):
        raise ValueError("is not a finite number")
    return value


def _parse_date(raw: str, group: str | None = None) -> dt.date:
    try:
        if _DATE.fullmatch(raw):
            return dt.date.fromisoformat(raw)
    except ValueError:
        pass
    raise ValueError("is not a date in YYYY-MM-DD form")


def _parse_boolean(raw: str, group: str | None = None) -> bool:
    lowered = raw.lower()
    if lowered in {"true", "yes", "1"}:
        return True
    if lowered in {"false", "no", "0"}:
        return False
    raise ValueError("is not true or false")


def _parse_string(raw: str, group: str | None = None) -> str:
    return raw


def period_start(raw: str) -> dt.date:
    """The first day of a period written YYYY, YYYY-MM or YYYY-MM-DD; ValueError if it is no real period."""
    match = _PERIOD.fullmatch(raw)
    if not match:
        raise ValueError("is not a period written YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError("is not a real calendar period") from None


PARSERS: Mapping[str, Callable[..., Any]] = {
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
    problem = text_problem(raw)
    if problem:
        raise cell.fail(problem)
    kind = field.get("type", "string")
    try:
        value = PARSERS[kind](raw, field.get("groupChar"))
    except KeyError:
        raise cell.fail(f"the schema names an unknown type {kind!r}") from None
    except ValueError as exc:
        raise cell.fail(f"value {raw!r} {exc}") from None
    _check_constraints(value, raw, kind, constraints, cell)
    if "calendarPeriod" in field:
        _check_period(raw, field["calendarPeriod"], cell)
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


def _check_period(raw: str, bounds: Mapping[str, str], cell: Cell) -> None:
    try:
        start = period_start(raw)
    except ValueError as exc:
        raise cell.fail(f"value {raw!r} {exc}") from None
    if start < _parse_date(bounds["minimum"]) or start > _parse_date(bounds["maximum"]):
        raise cell.fail(f"period {raw!r} is outside {bounds['minimum']} to {bounds['maximum']}")


# --- whole-table rules -------------------------------------------------------------------------


class Bad:
    """Marks a cell that failed to parse, so that table rules skip its row."""

    def __repr__(self) -> str:
        return "<bad cell>"


BAD = Bad()


@dataclass
class Table:
    """Parsed rows of one CSV, the file line where each row starts, and the problems found so far."""

    path: str
    records: list[dict[str, Any]]
    lines: list[int]
    problems: list[DataValidationError] = dataclass_field(default_factory=list)

    def fail(self, row: int, column: str, problem: str) -> None:
        """Record a problem in a data row (1-based)."""
        self.problems.append(DataValidationError(self.path, row, column, problem, self.lines[row - 1]))

    def rows(self, columns: Sequence[str]) -> Iterable[tuple[int, tuple[Any, ...]]]:
        """(row number, values of `columns`) for every row whose cells in those columns parsed."""
        for row, record in enumerate(self.records, start=1):
            values = tuple(record[c] for c in columns)
            if not any(v is BAD for v in values):
                yield row, values


def check_header(header: Sequence[str], fields: Sequence[Mapping[str, Any]], path: str) -> list[DataValidationError]:
    """The CSV header must list exactly the schema's fields, in order."""
    expected = [f["name"] for f in fields]
    problems = [DataValidationError(path, HEADER, name, "this column is missing") for name in expected
                if name not in header]
    problems += [DataValidationError(path, HEADER, name, "this column is not in the schema") for name in header
                 if name not in expected]
    if not problems and list(header) != expected:
        problems.append(DataValidationError(path, HEADER, header[0], f"columns must be in schema order {expected}"))
    return problems


def check_unique(table: Table, key: Sequence[str]) -> None:
    """No two rows may share a primary key."""
    seen: dict[tuple[Any, ...], int] = {}
    for row, value in table.rows(key):
        if value in seen:
            table.fail(row, key[-1], f"primary key {dict(zip(key, value))} repeats row {seen[value]}")
        seen.setdefault(value, row)


def check_foreign_key(table: Table, fields: Sequence[str], target_keys: set[tuple[Any, ...]],
                      target_name: str) -> None:
    """Every row's key must exist in the referenced resource; the message names the first column at fault."""
    for row, value in table.rows(fields):
        if value in target_keys:
            continue
        column = fields[-1]
        for depth in range(1, len(fields)):
            if not any(key[:depth] == value[:depth] for key in target_keys):
                column = fields[depth - 1]
                break
        table.fail(row, column, f"{dict(zip(fields, value))} does not exist in resource '{target_name}'")


def check_sums(table: Table, field: str, group_by: Sequence[str], total: float, tolerance: float,
               only_groups: set[tuple[Any, ...]] | None = None) -> None:
    """Within each group (or each of `only_groups`) the field must add up to `total` within `tolerance`."""
    sums: dict[tuple[Any, ...], float] = {}
    rows: dict[tuple[Any, ...], list[int]] = {}
    for row, (value, *group_values) in table.rows([field, *group_by]):
        group = tuple(group_values)
        if value is None or (only_groups is not None and group not in only_groups):
            continue
        sums[group] = sums.get(group, 0.0) + value
        rows.setdefault(group, []).append(row)
    for group, value in sums.items():
        if abs(value - total) > tolerance:
            label = dict(zip(group_by, (str(g) for g in group)))
            table.fail(rows[group][-1], field, f"shares of {label} (rows {rows[group][0]}-{rows[group][-1]}) add up "
                       f"to {value:.2f}, not {total} within {tolerance}")


def check_sources(table: Table, column: str, known: Iterable[str]) -> None:
    """Every row's source must be a key of the bibliography (an optional source column may be empty)."""
    known_keys = set(known)
    for row, (key,) in table.rows([column]):
        if key is not None and key not in known_keys:
            table.fail(row, column, f"source key {key!r} is not in the bibliography")


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


# --- rules over the rows of one table, declared in datapackage.json --------------------------------


def _matches(value: Any, condition: Mapping[str, Any]) -> bool:
    """Whether one parsed cell meets a row rule's condition: {"in": [...]}, {"notIn": [...]} or {"present": bool}."""
    if "present" in condition:
        return (value is not None) == bool(condition["present"])
    if "in" in condition:
        return value in condition["in"]
    return value not in condition.get("notIn", [])


def _describe_when(when: Mapping[str, Mapping[str, Any]]) -> str:
    parts = []
    for field, condition in when.items():
        if "present" in condition:
            parts.append(f"'{field}' is {'filled' if condition['present'] else 'empty'}")
        elif "in" in condition:
            parts.append(f"'{field}' is {' or '.join(repr(v) for v in condition['in'])}")
        else:
            parts.append(f"'{field}' is not {' or '.join(repr(v) for v in condition['notIn'])}")
    return " and ".join(parts)


def check_row_rule(table: Table, rule: Mapping[str, Any]) -> None:
    """Where a row meets every condition of `rule["when"]`, the `required` cells must be filled and the `empty`
    cells empty; the message names the row, the column and the rule's reason (`why`)."""
    when = rule["when"]
    required, empty = list(rule.get("required", [])), list(rule.get("empty", []))
    columns = [*when, *required, *empty]
    reason = f" ({rule['why']})" if rule.get("why") else ""
    for row, values in table.rows(columns):
        cells = dict(zip(columns, values))
        if not all(_matches(cells[field], condition) for field, condition in when.items()):
            continue
        for field in required:
            if cells[field] is None:
                table.fail(row, field, f"a value is required where {_describe_when(when)}{reason}")
        for field in empty:
            if cells[field] is not None:
                table.fail(row, field, f"must be empty where {_describe_when(when)}, not {cells[field]!r}{reason}")


def check_complete_grid(table: Table, fields: Sequence[str], keys: Sequence[Sequence[Any]]) -> None:
    """Every combination of the referenced keys (one list per field) must have a row: a missing combination is
    reported at the last field's column, since the row that should hold it does not exist."""
    present = {values for _, values in table.rows(fields)}
    for combination in itertools.product(*keys):
        if combination not in present:
            named = ", ".join(f"{f} {v!r}" for f, v in zip(fields, combination))
            table.problems.append(DataValidationError(
                table.path, None, fields[-1], f"no row for {named}: every combination needs a row (write the rule, "
                "'not addressed' where the text is silent, or reading 'unread' with a note)"))


_ARTICLE_NUMBER = re.compile(r"Art\. ([0-9]+)")


def check_article_limit(table: Table, field: str, key: str, limits: Mapping[Any, int | None]) -> None:
    """No article cited for a version may lie beyond the number of articles that version's text has (where known)."""
    for row, (article, version) in table.rows([field, key]):
        limit = limits.get(version)
        if article is None or limit is None:
            continue
        for number in (int(n) for n in _ARTICLE_NUMBER.findall(article)):
            if number > limit:
                table.fail(row, field, f"article {number} is beyond the {limit} articles of {key} {version!r}")
