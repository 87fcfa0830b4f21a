"""Enforce a Table Schema on one CSV: every failure names the file, the row and the column."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import sys
import unicodedata
from dataclasses import dataclass, field as dataclass_field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

HEADER = 0  # "row" used for problems with the header line itself
SHOWN = 50  # problems printed in full; the rest are counted

MAX_FIELD_CHARACTERS = 10_000
"""The book's limit on one CSV field or bibliography field, in characters: longer text is refused, whatever the csv
module (or Frictionless) would accept. The longest field of the data is a few hundred characters."""

MAX_FILE_BYTES = 32 * 1024 * 1024
"""The book's limit on one file that validation reads (a CSV, the descriptor, a map, the bibliography): 32 MiB."""

SHOWN_CHARACTERS = 60  # a value quoted in a message is cut after this many characters


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
        return escaped(": ".join([self.path, *([", ".join(parts)] if parts else []), self.problem]))

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


def read_capped(path: Path, label: str) -> bytes:
    """A regular file's bytes, if it is within the book's size limit (MAX_FILE_BYTES); else a clear error."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DataValidationError(label, None, None, f"the file has {size:,} bytes, over the book's limit of "
                                  f"{MAX_FILE_BYTES:,} bytes ({MAX_FILE_BYTES // 2**20} MiB) for one file "
                                  "(kzutils.validate.MAX_FILE_BYTES)")
    return path.read_bytes()


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


def shown(text: str) -> str:
    """A value as a message quotes it: cut short, and escaped, so that no character the book refuses (see
    character_problem) reaches the message itself: repr() escapes most, the rest are written as codes here."""
    quoted = escaped(repr(text[:SHOWN_CHARACTERS]))
    return quoted + (f"... ({len(text):,} characters)" if len(text) > SHOWN_CHARACTERS else "")


def escaped(text: str) -> str:
    """The text with every character the book refuses (see character_problem) written as its code, \\uXXXX."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(char if not character_problem(char) else f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF
                   else f"\\U{ord(char):08x}" for char in text)


# Invisible characters that are not in category Cf but are "default ignorable" in Unicode (DerivedCoreProperties):
# combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian variation selectors, variation
# selectors, reserved ranges and tags. With category Cf (format characters: bidirectional controls, zero-width
# spaces and joiners, soft hyphen, word joiner, byte-order mark...) they can make two texts look alike or reorder
# what a reader sees. None is needed to write English, Kazakh or Russian.
_INVISIBLE_RANGES = ((0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x2060, 0x206F),
                     (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
                     (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))
_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "a format character, invisible, that can disguise text",
    "Cs": "a lone surrogate",
    "Co": "a private-use character",
    "Cn": "a code point Unicode has not assigned",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}
_CONFUSABLE_SCRIPTS = {"LATIN": "Latin", "CYRILLIC": "Cyrillic", "GREEK": "Greek"}
_LETTERS = re.compile(r"[^\W\d_]+")


def _invisible(char: str) -> bool:
    code = ord(char)
    return any(start <= code <= end for start, end in _INVISIBLE_RANGES)


def character_problem(char: str) -> str | None:
    """Why one character may not be published (None if it may): see CONTRIBUTING.md, "Text the book refuses"."""
    if char == "\n":
        return None
    if char == "\r":
        return "a carriage return (\\r)"
    category = unicodedata.category(char)
    if category in _REFUSED_CATEGORIES:
        return _REFUSED_CATEGORIES[category]
    if _invisible(char):
        return "an invisible character that can disguise text"
    if char == "\ufffd":
        return "the replacement character, left where text was decoded wrongly"
    return None


def _mixed_script_word(text: str) -> tuple[str, list[str]] | None:
    """The first word that mixes Latin, Cyrillic or Greek letters (a look-alike letter disguising a name)."""
    for match in _LETTERS.finditer(text):
        word = match.group(0)
        if word.isascii():
            continue
        scripts = {_CONFUSABLE_SCRIPTS.get(unicodedata.name(char, "").split(" ", 1)[0]) for char in word} - {None}
        if len(scripts) > 1:
            return word, sorted(scripts)  # type: ignore[arg-type]
    return None


def text_problem(text: str) -> str | None:
    """Why a piece of text cannot be published, or None if it is clean: control, format and other invisible
    characters, text not in Unicode NFC, a word mixing Latin, Cyrillic or Greek letters, or mojibake."""
    if text.isascii() and text.isprintable():  # the common case: nothing below can apply
        return None
    for char in text:
        problem = character_problem(char)
        if problem:
            name = unicodedata.name(char, "")
            return f"value {shown(text)} holds the character U+{ord(char):04X}{f' ({name})' if name else ''}, {problem}"
    if not unicodedata.is_normalized("NFC", text):
        return (f"value {shown(text)} is not in Unicode normal form NFC (a letter is written as a base and a "
                "combining mark); save the text normalised to NFC")
    mixed = _mixed_script_word(text)
    if mixed:
        return (f"value {shown(text)} has the word {mixed[0]!r}, which mixes {' and '.join(mixed[1])} letters "
                "(a look-alike letter can disguise a name); write each word in one alphabet")
    import ftfy
    import ftfy.badness

    if ftfy.badness.is_bad(text):
        return (f"value {shown(text)} looks like mis-decoded text (mojibake; perhaps {shown(ftfy.fix_text(text))}); "
                "re-save the file as UTF-8")
    return None


WEB_ADDRESS_PATTERN = (r"https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\.?(:[0-9]{1,5})?"
                       r"([/?#][^\s<>\"{}|\\^`]*)?")
"""The only web addresses the book links to: http or https, a plain host name (no user name before an @), then
a path without spaces, quotes, braces or backslashes. A field declared `"format": "uri"` must carry this pattern,
so that Frictionless enforces it too."""

_WEB_ADDRESS = re.compile(WEB_ADDRESS_PATTERN)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,31}):")
_LINK_SCHEMES = {"http", "https", "ftp", "ftps", "sftp", "file", "data", "javascript", "vbscript", "mailto", "blob",
                 "about", "ws", "wss", "tel", "sms", "intent", "jar", "view-source", "chrome", "ms-settings"}


def web_address_problem(value: str) -> str | None:
    """Why a value cannot be published as a link (None if it is an http(s) web address)."""
    if _WEB_ADDRESS.fullmatch(value):
        return None
    scheme = _SCHEME.match(value.strip().lstrip("\ufeff\u200b"))
    if value != value.strip():
        why = "has spaces around it"
    elif scheme and scheme.group(1).lower() not in {"http", "https"}:
        why = f"uses the scheme '{scheme.group(1)}:'"
    elif scheme:
        why = ("is not a plain http(s) address (http:// or https:// in lower case, a host name, then a path "
               "without spaces, quotes or backslashes)")
    else:
        why = "is not an absolute address"
    return f"{shown(value)} {why}; only http:// and https:// web addresses are linked"


def looks_like_link(value: str) -> bool:
    """True for a value that a browser or a Markdown reader could take as a link: a known scheme, or '//'."""
    scheme = _SCHEME.match(value)
    return bool(scheme) and (scheme.group(1).lower() in _LINK_SCHEMES or value[scheme.end():].startswith("//"))


# --- parsing one raw string by Table Schema type -------------------------------------------
#
# kzutils reads values as the Table Schema specification writes them, with Frictionless's defaults, so that
# `frictionless validate` and `python -m kzutils validate` give the same verdict on a file. Where the frictionless
# library reads more than the specification (spaces around a number or a date, Python's digit underscores, digits
# of other scripts, one-digit months and days), kzutils keeps to the specification; CONTRIBUTING.md lists these
# cases and tests/test_frictionless_agreement.py checks them.

DEFAULT_MISSING_VALUES = ("",)
DEFAULT_TRUE_VALUES = ("true", "True", "TRUE", "1")
DEFAULT_FALSE_VALUES = ("false", "False", "FALSE", "0")
LARGEST_INTEGER = 2**63 - 1  # what a table's integer column (pandas Int64) holds

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_NOT_FINITE = re.compile(r"[+-]?(nan|inf|infinity)", re.I)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PERIOD = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_NO_FIELD: Mapping[str, Any] = {}


def _ungroup(raw: str, group: str | None) -> str:
    """Remove a declared thousands separator, only where it separates groups of three digits."""
    if not group or group not in raw:
        return raw
    whole, dot, fraction = raw.partition(".")
    if not re.fullmatch(rf"[+-]?[0-9]{{1,3}}({re.escape(group)}[0-9]{{3}})+", whole):
        raise ValueError(f"has the separator {group!r} in the wrong places")
    return whole.replace(group, "") + dot + fraction


def _parse_integer(raw: str, field: Mapping[str, Any] = _NO_FIELD) -> int:
    if not _INTEGER.fullmatch(raw):
        raise ValueError("is not a whole number written in digits 0-9")
    if len(raw.lstrip("+-").lstrip("0")) > len(str(LARGEST_INTEGER)) or abs(int(raw)) > LARGEST_INTEGER:
        raise ValueError(f"is beyond the largest whole number a table holds ({LARGEST_INTEGER:,} either side of 0)")
    return int(raw)


def _parse_number(raw: str, field: Mapping[str, Any] = _NO_FIELD) -> float:
    plain = _ungroup(raw, field.get("groupChar"))
    if _NOT_FINITE.fullmatch(plain):
        raise ValueError("is not a finite number (the book stores no NaN or infinity)")
    if not _NUMBER.fullmatch(plain):
        raise ValueError("is not a number written in digits 0-9 with '.' as the decimal point")
    value = float(plain)
    if math.isinf(value):
        raise ValueError(f"is too large to store as a number (beyond {sys.float_info.max:.4g} either side of 0), "
                         "not infinity")
    mantissa = re.split("[eE]", plain)[0]
    if re.search("[1-9]", mantissa) and abs(value) < sys.float_info.min:
        raise ValueError(f"is too close to 0 to store as a number (nearer than {sys.float_info.min:.4g}): it would "
                         "become 0 or lose its digits")
    return value


def _parse_date(raw: str, field: Mapping[str, Any] = _NO_FIELD) -> dt.date:
    try:
        if _DATE.fullmatch(raw):
            return dt.date.fromisoformat(raw)
    except ValueError:
        pass
    raise ValueError("is not a date in YYYY-MM-DD form")


def _parse_boolean(raw: str, field: Mapping[str, Any] = _NO_FIELD) -> bool:
    true_values = field.get("trueValues", DEFAULT_TRUE_VALUES)
    false_values = field.get("falseValues", DEFAULT_FALSE_VALUES)
    if raw in true_values:
        return True
    if raw in false_values:
        return False
    raise ValueError(f"is not one of the values for true {list(true_values)} or false {list(false_values)}")


def _parse_string(raw: str, field: Mapping[str, Any] = _NO_FIELD) -> str:
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

CONSTRAINTS: Mapping[str, tuple[str, ...]] = {
    "string": ("required", "unique", "enum", "pattern", "minLength", "maxLength"),
    "integer": ("required", "unique", "enum", "minimum", "maximum"),
    "number": ("required", "unique", "enum", "minimum", "maximum"),
    "date": ("required", "unique", "enum", "minimum", "maximum"),
    "boolean": ("required", "unique", "enum"),
}
"""The constraints kzutils enforces for each type: those Frictionless supports for it (exclusiveMinimum and
exclusiveMaximum need a version-2 data package; write minimum and maximum)."""

STRING_FORMATS = ("default", "uri")
"""String formats kzutils reads: plain text, and `uri` (a web address; the book accepts only http(s))."""

def parse_cell(raw: str, field: Mapping[str, Any], cell: Cell,
               missing_values: Sequence[str] = DEFAULT_MISSING_VALUES) -> Any:
    """Parse one raw CSV value by its field's type and constraints; None if it is a missing value."""
    constraints = field.get("constraints", {})
    if len(raw) > MAX_FIELD_CHARACTERS:
        raise cell.fail(f"the value has {len(raw):,} characters, over the book's limit of {MAX_FIELD_CHARACTERS:,} "
                        "characters for one field (kzutils.validate.MAX_FIELD_CHARACTERS)")
    if raw in missing_values:
        if constraints.get("required", False):
            raise cell.fail("a value is required but the cell is empty")
        return None
    if raw.strip() == "":
        raise cell.fail(f"value {shown(raw)} holds only spaces: leave the cell empty, or write the value")
    if raw != raw.strip():
        raise cell.fail(f"value {shown(raw)} has leading or trailing spaces")
    problem = text_problem(raw)
    if problem:
        raise cell.fail(problem)
    kind = field.get("type", "string")
    try:
        value = PARSERS[kind](raw, field)
    except KeyError:
        raise cell.fail(f"the schema names an unknown type {kind!r}") from None
    except ValueError as exc:
        raise cell.fail(f"value {shown(raw)} {exc}") from None
    if kind == "string":
        _check_formula(raw, cell)
        _check_link(raw, field, cell)
    _check_constraints(value, raw, field, cell)
    if "calendarPeriod" in field:
        _check_period(raw, field["calendarPeriod"], cell)
    return value


FORMULA_STARTS = ("=", "+", "-", "@")
"""A text cell may not start with these: a spreadsheet opening the data, or a figure's data download, would run
it as a formula (CSV injection)."""


def _check_formula(raw: str, cell: Cell) -> None:
    if raw.startswith(FORMULA_STARTS):
        raise cell.fail(f"value {shown(raw)} starts with {raw[0]!r}, which a spreadsheet reads as a formula; "
                        "reword it so that it starts with another character")


def _check_link(raw: str, field: Mapping[str, Any], cell: Cell) -> None:
    """A field declared `format: uri` holds http(s) addresses only; any other field holds no address at all."""
    if field.get("format") == "uri":
        problem = web_address_problem(raw)
        if problem:
            raise cell.fail(f"value {problem}")
    elif looks_like_link(raw):
        raise cell.fail(f"value {shown(raw)} is a web address in a field not declared as one: declare the field "
                        f'"format": "uri" with the pattern kzutils.validate.WEB_ADDRESS_PATTERN, or write the text '
                        "without the scheme")


def bound(field: Mapping[str, Any], name: str) -> Any:
    """A constraint's value (minimum, maximum, enum members) read as the field's type."""
    value = field["constraints"][name]
    parser = PARSERS.get(field.get("type", "string"), _parse_string)
    if isinstance(value, list):
        return [_read_bound(parser, member, field) for member in value]
    return _read_bound(parser, value, field)


def _read_bound(parser: Callable[..., Any], value: Any, field: Mapping[str, Any]) -> Any:
    if isinstance(value, bool):  # JSON true/false for a boolean field's enum
        return value
    return parser(str(value), field)


def _check_constraints(value: Any, raw: str, field: Mapping[str, Any], cell: Cell) -> None:
    constraints = field.get("constraints", {})
    if "enum" in constraints and value not in bound(field, "enum"):
        raise cell.fail(f"value {shown(raw)} is not one of the allowed values {constraints['enum']}")
    pattern = constraints.get("pattern")
    if pattern is not None and not re.fullmatch(pattern, raw):
        raise cell.fail(f"value {shown(raw)} does not match the pattern {pattern}")
    if "minLength" in constraints and len(value) < constraints["minLength"]:
        raise cell.fail(f"value {shown(raw)} is shorter than the minimum length {constraints['minLength']}")
    if "maxLength" in constraints and len(value) > constraints["maxLength"]:
        raise cell.fail(f"value {shown(raw)} is longer than the maximum length {constraints['maxLength']}")
    if "minimum" in constraints and value < bound(field, "minimum"):
        raise cell.fail(f"value {shown(raw)} is below the minimum {constraints['minimum']}")
    if "maximum" in constraints and value > bound(field, "maximum"):
        raise cell.fail(f"value {shown(raw)} is above the maximum {constraints['maximum']}")


def _check_period(raw: str, bounds: Mapping[str, str], cell: Cell) -> None:
    try:
        start = period_start(raw)
    except ValueError as exc:
        raise cell.fail(f"value {shown(raw)} {exc}") from None
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


def _key_text(fields: Sequence[str], values: Sequence[Any]) -> str:
    """{field: value, ...} as a message prints it (long values cut short)."""
    return "{" + ", ".join(f"{f!r}: {shown(v) if isinstance(v, str) else repr(v)}" for f, v in zip(fields, values)) + "}"


def check_unique(table: Table, key: Sequence[str]) -> None:
    """No two rows may share a primary key, and no row may leave every cell of it empty (as Frictionless)."""
    seen: dict[tuple[Any, ...], int] = {}
    for row, value in table.rows(key):
        if all(v is None for v in value):
            table.fail(row, key[0], f"every cell of the primary key {list(key)} is empty")
            continue
        if value in seen:
            table.fail(row, key[-1], f"primary key {_key_text(key, value)} repeats row {seen[value]}")
        seen.setdefault(value, row)


def check_unique_values(table: Table, field: str) -> None:
    """A field declared `unique` holds no value twice (empty cells aside, as Frictionless)."""
    seen: dict[Any, int] = {}
    for row, (value,) in table.rows([field]):
        if value is None:
            continue
        if value in seen:
            text = shown(value) if isinstance(value, str) else repr(value)
            table.fail(row, field, f"value {text} repeats row {seen[value]}, but the field is declared unique")
        seen.setdefault(value, row)


def check_foreign_key(table: Table, fields: Sequence[str], target_keys: set[tuple[Any, ...]],
                      target_name: str) -> None:
    """Every row's key must exist in the referenced resource (a key left wholly empty refers to nothing, as in
    Frictionless); the message names the first column at fault."""
    for row, value in table.rows(fields):
        if value in target_keys or all(v is None for v in value):
            continue
        column = fields[-1]
        for depth in range(1, len(fields)):
            if not any(key[:depth] == value[:depth] for key in target_keys):
                column = fields[depth - 1]
                break
        table.fail(row, column, f"{_key_text(fields, value)} does not exist in resource '{target_name}'")


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
            table.fail(row, column, f"source key {shown(key)} is not in the bibliography")


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
