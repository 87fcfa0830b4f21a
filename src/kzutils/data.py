"""Find the data package, read its descriptor, and load validated tables (each parsed once per process)."""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io
import json
import os
import re
import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from kzutils import bib
from kzutils.descriptor import check_descriptor
from kzutils.reads import record
from kzutils.validate import (
    BAD,
    HEADER as HEADER_ROW,
    Cell,
    DataValidationError,
    Table,
    check_article_limit,
    check_complete_grid,
    check_foreign_key,
    check_national_totals,
    check_percentages,
    check_region_dates,
    check_row_rule,
    check_header,
    check_sources,
    check_sums,
    check_unique,
    check_unique_values,
    combine,
    decode,
    parse_cell,
    raise_all,
    read_capped,
    stamp,
    text_problem,
    to_frame,
    web_address_problem,
)

DESCRIPTOR = "datapackage.json"
ENV_DATA_DIR = "KZ_DATA_DIR"
DOCUMENTATION = (".md", ".txt")  # files in data/ that need no entry in the descriptor (a README)


def find_data_dir(start: Path | None = None) -> Path:
    """Locate `data/`: $KZ_DATA_DIR, else the nearest `data/` above `start` (default: cwd)."""
    if os.environ.get(ENV_DATA_DIR):
        return existing_folder(Path(os.environ[ENV_DATA_DIR]), f"${ENV_DATA_DIR}")
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "data" / DESCRIPTOR).is_file():
            return folder / "data"
    packaged = Path(__file__).resolve().parents[2] / "data"
    if (packaged / DESCRIPTOR).is_file():
        return packaged
    raise DataValidationError(here, None, None, f"no data/{DESCRIPTOR} here or above; set ${ENV_DATA_DIR}")


def existing_folder(folder: Path, given_by: str) -> Path:
    """The folder, resolved, if it exists; else a clear error naming what gave it."""
    if not folder.is_dir():
        raise DataValidationError(folder, None, None, f"the data folder given by {given_by} does not exist")
    return folder.resolve()


def _resolve(data_dir: Path | str | None) -> Path:
    return existing_folder(Path(data_dir), "the caller") if data_dir is not None else find_data_dir()


def _read_text(path: Path, label: str, what: str = "the file listed in datapackage.json") -> str:
    """A file's text, strictly UTF-8; a clear error if it is missing, not a regular file, too large or not UTF-8."""
    if not path.exists():
        raise DataValidationError(label, None, None, f"{what} does not exist")
    if not path.is_file():
        raise DataValidationError(label, None, None, f"{what} is not a regular file (a folder, a device or a pipe)")
    return decode(read_capped(path, label), label)


def resource_path(folder: Path, entry: Mapping[str, Any]) -> Path:
    """The file of a resource, after checking that it lies inside data/ once every symbolic link is followed."""
    given = entry["path"]
    path = folder / given
    inside = folder.resolve()
    real = path.resolve()
    if inside not in real.parents:
        names = [r.get("name") for r in read_descriptor(folder)["resources"]]
        number = names.index(entry.get("name")) if entry.get("name") in names else "?"
        raise DataValidationError(_label(folder, folder / DESCRIPTOR), None, f"resources[{number}].path",
                                  f"resource '{entry.get('name')}': {given!r} leads to {real}, outside the data folder "
                                  f"{inside} (a symbolic link?): the book reads data only from files inside data/",
                                  label="key")
    return path


def _parse_json(text: str, label: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataValidationError(label, None, None, f"not valid JSON at character {exc.colno}: {exc.msg}",
                                  line=exc.lineno) from None
    except RecursionError:
        raise DataValidationError(label, None, None, "the JSON is nested too deeply to read") from None


def read_descriptor(data_dir: Path | str | None = None) -> dict[str, Any]:
    """Return the parsed `datapackage.json`, after checking its structure."""
    path = _resolve(data_dir) / DESCRIPTOR
    record([path])
    return _read_descriptor_cached(path, stamp(path))


@functools.lru_cache(maxsize=8)
def _read_descriptor_cached(path: Path, _stamp: tuple[int, int, int] | None) -> dict[str, Any]:
    label = _label(path.parent, path)
    descriptor = _parse_json(_read_text(path, label, "the package descriptor"), label)
    raise_all(check_descriptor(descriptor, label))
    return descriptor


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
    """The BibTeX file that the package's `source` keys refer to: a .bib file inside the project (the data folder's
    parent) once every symbolic link is followed."""
    folder = _resolve(data_dir)
    given = read_descriptor(folder)["bibliography"]
    real = (folder / given).resolve()
    project = folder.resolve().parent
    if project not in real.parents:
        raise DataValidationError(_label(folder, folder / DESCRIPTOR), None, "bibliography",
                                  f"{given!r} leads to {real}, outside the project {project}: the bibliography must "
                                  "be a file inside the project", label="key")
    if real.suffix != ".bib":
        raise DataValidationError(_label(folder, folder / DESCRIPTOR), None, "bibliography",
                                  f"{given!r} leads to {real}, which is not a BibTeX file (.bib)", label="key")
    return real


def dependencies(name: str, data_dir: Path | str | None = None) -> list[Path]:
    """Every file that the validated table `name` depends on: its CSV, the tables its rules refer to, the
    descriptor and the bibliography."""
    folder = _resolve(data_dir)
    names, queue = [], [name]
    while queue:
        current = queue.pop()
        if current in names:
            continue
        names.append(current)
        entry = resource(current, folder)
        queue += [f["reference"]["resource"] for f in entry.get("schema", {}).get("foreignKeys", [])]
        queue += [r["onlyWhere"]["resource"] for r in entry.get("sumsTo", []) if "onlyWhere" in r]
        queue += [entry["regionalChecks"][k] for k in ("regions", "votes") if k in entry.get("regionalChecks", {})]
    return [folder / DESCRIPTOR, bibliography_path(folder),
            *(resource_path(folder, resource(n, folder)) for n in names)]


def load(name: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """Return resource `name` as a typed DataFrame, validated against its schema."""
    folder = _resolve(data_dir)
    return _validated(folder, name)[1].copy()


def load_all(data_dir: Path | str | None = None) -> dict[str, pd.DataFrame]:
    """Load and validate every resource of the package."""
    folder = _resolve(data_dir)
    return {name: load(name, folder) for name in table_names(folder)}


def _validated(folder: Path, name: str) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Parsed records and frame of one table, cached until any file it depends on changes."""
    files = dependencies(name, folder)
    record(files)
    stamps = tuple(stamp(f) for f in files)
    return _load_cached(folder, name, tuple(files), stamps)


@functools.lru_cache(maxsize=64)
def _load_cached(folder: Path, name: str, files: tuple[Path, ...],
                 _stamps: tuple[Any, ...]) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    return _parse_and_check(folder, name)


def _parse_and_check(folder: Path, name: str) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Parsed records and typed frame of one table, after every check; all problems raised at once."""
    entry = resource(name, folder)
    if "schema" not in entry:
        raise KeyError(f"resource {name!r} is not a table; use load_shapes")
    table = _parse_records(folder, entry)
    try:
        _check_table(folder, entry, table)
    except DataValidationError as error:  # a table this one refers to, or the bibliography, is itself bad
        table.problems += error.problems
    raise_all(table.problems)
    return table.records, to_frame(table.records, entry["schema"]["fields"])


def load_shapes(name: str, data_dir: Path | str | None = None) -> dict[str, Any]:
    """Return a GeoJSON resource as a dict, after checking it against the checksum in datapackage.json."""
    folder = _resolve(data_dir)
    entry = resource(name, folder)
    path = resource_path(folder, entry)
    label = _label(folder, path)
    record([path])
    text = _read_text(path, label)
    _check_recorded_size(entry, text, label)
    shapes = _parse_json(text, label)
    raise_all(_shape_problems(shapes, label))
    return shapes


def _shape_problems(shapes: Any, label: str) -> list[DataValidationError]:
    """What keeps a GeoJSON FeatureCollection from drawing: a wrong type, a feature without name or geometry."""
    def fail(key: str, problem: str) -> DataValidationError:
        return DataValidationError(label, None, key, problem, label="key")

    if not isinstance(shapes, dict) or shapes.get("type") != "FeatureCollection":
        return [fail("type", "the file must be a GeoJSON FeatureCollection")]
    features = shapes.get("features")
    if not isinstance(features, list) or not features:
        return [fail("features", "a FeatureCollection needs a non-empty list of features")]
    problems = []
    for number, feature in enumerate(features):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        name = properties.get("name") if isinstance(properties, dict) else None
        if not isinstance(name, str) or not name:
            problems.append(fail(f"features[{number}].properties.name", "feature has no name"))
        elif text_problem(name):
            problems.append(fail(f"features[{number}].properties.name", str(text_problem(name))))
        if not isinstance(geometry, dict) or not geometry.get("type") or not isinstance(geometry.get("coordinates"), list):
            problems.append(fail(f"features[{number}].geometry", "feature has no geometry type and coordinates"))
    return problems


def _check_recorded_size(entry: Mapping[str, Any], text: str, label: str) -> None:
    """The file's `bytes` and `hash`, where the descriptor records them, must match (Frictionless checks both)."""
    content = text.encode("utf-8")
    if "bytes" in entry and entry["bytes"] != len(content):
        raise DataValidationError(label, None, None, f"the file has {len(content)} bytes, but datapackage.json "
                                  f"records {entry['bytes']}: update the record")
    if "hash" in entry:
        algorithm, _, expected = entry["hash"].rpartition(":")
        actual = hashlib.new(algorithm or "md5", content).hexdigest()
        if actual != expected:
            raise DataValidationError(label, None, None, f"{algorithm or 'md5'} is {actual}, but datapackage.json "
                                      f"records {expected}: regenerate the file with its script or update the record")


_CSV_LIMIT = threading.Lock()


@contextlib.contextmanager
def _csv_field_limit(characters: int):
    """Lift the csv module's own limit on a field for one read (it is global to the process, and importing
    Frictionless changes it): the book's limit, MAX_FIELD_CHARACTERS, is checked cell by cell instead."""
    with _CSV_LIMIT:
        old = csv.field_size_limit(max(characters, csv.field_size_limit()))
        try:
            yield
        finally:
            csv.field_size_limit(old)


def _bare_return_mark(text: str) -> str:
    """A character the text does not hold, to stand for a bare carriage return while the csv module reads it."""
    return next(chr(code) for code in range(0xE000, 0xF900) if chr(code) not in text)


def _read_rows(path: Path, label: str, entry: Mapping[str, Any]) -> tuple[list[str], list[tuple[int, list[str]]],
                                                                         str | None]:
    """Header, (starting line, cells) of every row, read strictly, and the mark that stands for a bare carriage
    return inside a field (None if the file has none): the csv module would end the row there."""
    text = _read_text(path, label)
    _check_recorded_size(entry, text, label)
    mark = None
    if re.search("\r(?!\n)", text):
        if "\n" not in text:
            raise DataValidationError(label, None, None, "the lines end with bare carriage returns (\\r); save the "
                                      "file with \\n (or \\r\\n) line ends", line=1)
        mark = _bare_return_mark(text)
        text = re.sub("\r(?!\n)", mark, text)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows, line = [], 1
    with _csv_field_limit(len(text) + 1):
        try:
            for row in reader:
                rows.append((line, row))
                line = reader.line_num + 1
        except csv.Error as exc:
            raise DataValidationError(label, None, None, f"not valid CSV: {exc}", line=reader.line_num) from None
    if not rows:
        raise DataValidationError(label, None, None, "the file is empty; it needs a header and rows")
    return rows[0][1], rows[1:], mark


BARE_RETURN = ("a bare carriage return (\\r) inside the field: a line ends with \\n or \\r\\n, and a carriage "
               "return alone belongs in no value")


def _parse_records(folder: Path, entry: Mapping[str, Any]) -> Table:
    path = resource_path(folder, entry)
    label = _label(folder, path)
    fields = entry["schema"]["fields"]
    missing = entry["schema"].get("missingValues", [""])
    header, rows, mark = _read_rows(path, label, entry)
    if mark and any(mark in name for name in header):
        column = next(name for name in header if mark in name)
        return Table(label, [], [], [DataValidationError(label, HEADER_ROW, column.replace(mark, "\\r"),
                                                         BARE_RETURN, line=1)])
    table = Table(label, [], [line for line, _ in rows], check_header(header, fields, label))
    if table.problems:
        return table
    if not rows:
        table.problems.append(DataValidationError(label, None, None, "the table has a header but no rows"))
    for number, (line, row) in enumerate(rows, start=1):
        if all(cell in missing for cell in row):
            table.fail(number, header[0], "the row is blank (every cell is empty): delete it")
            table.records.append(dict.fromkeys(header, BAD))
            continue
        if len(row) != len(header):
            table.fail(number, header[min(len(row), len(header)) - 1] if row else header[0],
                       f"row has {len(row)} cells but the header has {len(header)}")
            table.records.append(dict.fromkeys(header, BAD))
            continue
        table.records.append({f["name"]: _parse(raw, f, Cell(label, number, f["name"], line), table, missing, mark)
                              for f, raw in zip(fields, row)})
    return table


def _parse(raw: str, field: Mapping[str, Any], cell: Cell, table: Table, missing: list[str],
           mark: str | None) -> Any:
    """A parsed cell, or BAD after recording its problem in the table."""
    try:
        if mark and mark in raw:
            raise cell.fail(BARE_RETURN)
        return parse_cell(raw, field, cell, missing)
    except DataValidationError as problem:
        table.problems.append(problem)
        return BAD


def _check_table(folder: Path, entry: Mapping[str, Any], table: Table) -> None:
    schema = entry["schema"]
    key = schema.get("primaryKey")
    if key:
        check_unique(table, [key] if isinstance(key, str) else key)
    for field in schema["fields"]:
        if field.get("constraints", {}).get("unique"):
            check_unique_values(table, field["name"])
    for foreign in schema.get("foreignKeys", []):
        target = foreign["reference"]
        target_keys = _keys_of(folder, target["resource"], target["fields"])
        check_foreign_key(table, foreign["fields"], target_keys, target["resource"])
    for rule in entry.get("sumsTo", []) if not table.problems else []:  # sums of partly unreadable rows mislead
        condition = rule.get("onlyWhere")
        only = _keys_of(folder, condition["resource"], rule["groupBy"], condition["field"]) if condition else None
        check_sums(table, rule["field"], rule["groupBy"], rule["total"], rule["tolerance"], only)
    for field in schema["fields"]:
        if field.get("bibtexKey"):
            bibliography = bibliography_path(folder)
            bib.check_entries(bibliography)
            check_sources(table, field["name"], bib.keys(bibliography))
            bib.check_strong_sources(table, field["name"], bibliography)
    if "regionalChecks" in entry and not table.problems:  # rules over partly unreadable rows mislead
        _check_regional(folder, entry["regionalChecks"], table.records, table.path)
    for rule in entry.get("rowRules", []):
        check_row_rule(table, rule)
    if "completeGrid" in entry:
        grid = entry["completeGrid"]["fields"]
        check_complete_grid(table, grid, [_referenced_keys(folder, schema, field) for field in grid])
    if "articleLimit" in entry:
        limit = entry["articleLimit"]
        target = _reference_of(schema, limit["key"])
        rows, _ = _validated(folder, target["resource"])
        limits = {r[target["fields"][0]]: r[limit["limit"]] for r in rows}
        check_article_limit(table, limit["field"], limit["key"], limits)


def _reference_of(schema: Mapping[str, Any], field: str) -> Mapping[str, Any]:
    """The foreign-key reference of a single field (the descriptor check makes sure there is one)."""
    return next(f["reference"] for f in schema["foreignKeys"] if f["fields"] == [field])


def _referenced_keys(folder: Path, schema: Mapping[str, Any], field: str) -> list[Any]:
    """The keys, in file order, of the resource a single field refers to."""
    target = _reference_of(schema, field)
    rows, _ = _validated(folder, target["resource"])
    return [r[target["fields"][0]] for r in rows]


def _check_regional(folder: Path, rules: Mapping[str, Any], records: list[dict[str, Any]], label: str) -> None:
    """Rules of a table of results by unit: units existed on polling day, percentages in 0-100, sums match the nation."""
    units = _validated(folder, rules["regions"])[0]
    existed = {u["region_id"]: (u["valid_from"], u["valid_to"]) for u in units}
    check_region_dates(records, existed, label)
    check_percentages(records, "value_pct", label)

    def units_on(day: Any) -> set[str]:
        return {u for u, (start, end) in existed.items() if (start is None or start <= day) and (end is None or day <= end)}

    votes = _validated(folder, rules["votes"])[0]
    national = {(v["vote_id"], v["variant"]): (v["registered_voters"], v["ballots_cast"]) for v in votes}
    check_national_totals(records, units_on, national, float(rules["tolerance"]), label)


def _keys_of(folder: Path, name: str, fields: list[str], true_field: str | None = None) -> set[tuple[Any, ...]]:
    """Key tuples of another (validated) resource's rows (only rows whose boolean `true_field` is true, if given)."""
    rows, _ = _validated(folder, name)
    return {tuple(r[f] for f in fields) for r in rows if true_field is None or r[true_field]}


def undescribed_files(data_dir: Path | str | None = None) -> list[DataValidationError]:
    """A problem for every file in data/ that the descriptor does not describe (documentation excepted)."""
    folder = _resolve(data_dir)
    listed = {DESCRIPTOR, *(r["path"] for r in read_descriptor(folder)["resources"])}
    return [DataValidationError(_label(folder, path), None, None, "this file is not described in datapackage.json; "
                                "add a resource for it or move it out of data/")
            for path in sorted(folder.rglob("*")) if path.is_file() and not _hidden(path.relative_to(folder))
            and path.relative_to(folder).as_posix() not in listed and path.suffix.lower() not in DOCUMENTATION]


def _hidden(relative: Path) -> bool:
    """Dot-files and dot-folders (editor and system files) are never data."""
    return any(part.startswith(".") for part in relative.parts)


def check_package(data_dir: Path | str | None = None) -> tuple[dict[str, int], DataValidationError | None]:
    """Rows (or features) of every valid resource, and one error carrying every problem of the package."""
    folder = _resolve(data_dir)
    problems: list[DataValidationError] = []
    sizes: dict[str, int] = {}
    try:
        read_descriptor(folder)
        bib.read(bibliography_path(folder))
        bib.check_entries(bibliography_path(folder))
    except DataValidationError as error:
        problems.append(error)
    if problems and not _descriptor_ok(folder):
        return sizes, combine(problems)
    problems += undescribed_files(folder)
    problems += citation_link_problems(folder)
    for entry in read_descriptor(folder)["resources"]:
        try:
            sizes[entry["name"]] = (len(load(entry["name"], folder)) if "schema" in entry
                                    else len(load_shapes(entry["name"], folder)["features"]))
        except DataValidationError as error:
            problems.append(error)
    return sizes, combine(problems)


CITATION_LINKS = ("repository-code", "repository", "repository-artifact", "url")
"""Keys of CITATION.cff whose web address the book turns into links (the repository, issues, Binder, Colab)."""


def citation_link_problems(folder: Path) -> list[DataValidationError]:
    """A problem for every web address in the project's CITATION.cff that is not http(s) (none if it has none)."""
    import yaml

    path = folder.resolve().parent / "CITATION.cff"
    label = _label(folder, folder.parent / "CITATION.cff")
    if not path.is_file():
        return []
    try:
        record = yaml.safe_load(decode(read_capped(path, label), label))
    except DataValidationError as error:
        return [error]
    except yaml.YAMLError as exc:
        return [DataValidationError(label, None, None, f"not valid YAML: {str(exc).splitlines()[0]}")]
    problems = []
    for key in CITATION_LINKS:
        value = record.get(key) if isinstance(record, dict) else None
        if value is not None and not isinstance(value, str):
            problems.append(DataValidationError(label, None, key, "must be a web address, written as text",
                                                label="key"))
        elif value is not None and (problem := web_address_problem(value)):
            problems.append(DataValidationError(label, None, key, problem, label="key"))
    return problems


def _descriptor_ok(folder: Path) -> bool:
    try:
        read_descriptor(folder)
    except DataValidationError:
        return False
    return True


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


def _readable(value: Any) -> str:
    """A bound as a reader reads it: large whole numbers with thousands separators (years stay as they are)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:,}"
    return str(value)


def data_dictionary(data_dir: Path | str | None = None) -> pd.DataFrame:
    """One row per field of every resource: type, unit, constraints and description, from datapackage.json."""
    rows = []
    for entry in read_descriptor(data_dir)["resources"]:
        if "schema" not in entry:
            continue
        key = entry["schema"].get("primaryKey", [])
        for field in entry["schema"]["fields"]:
            constraints = dict(field.get("constraints", {}))
            rules = [f"{name}: {', '.join(map(str, value)) if isinstance(value, list) else _readable(value)}"
                     for name, value in constraints.items() if name != "required"]
            if field.get("bibtexKey"):
                rules.append("a key of book/references.bib")
            if field.get("calendarPeriod"):
                bounds = field["calendarPeriod"]
                rules.append(f"a real year, month or day from {bounds['minimum']} to {bounds['maximum']}")
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


MISSION_ORDER = ("OSCE/ODIHR", "OSCE PA", "CIS", "SCO", "OTS", "TURKPA", "OIC")
"""Observer bodies in the order the book lists them: OSCE first, then the other regional organisations."""


def _observer_rows(name: str, vote_id: str | Sequence[str] | None, data_dir: Path | str | None) -> pd.DataFrame:
    rows = load(name, data_dir)
    if vote_id is not None:
        wanted = [vote_id] if isinstance(vote_id, str) else list(vote_id)
        unknown = sorted(set(wanted) - set(rows["vote_id"]))
        if unknown:
            raise KeyError(f"no {name} rows for {unknown}; have {sorted(set(rows['vote_id']))}")
        rows = rows[rows["vote_id"].isin(wanted)]
    polling_day = load("observer_assessments", data_dir).groupby("vote_id")["vote_date"].first()
    rows = rows.assign(_day=rows["vote_id"].map(polling_day),
                       _order=rows["mission"].map({m: i for i, m in enumerate(MISSION_ORDER)}),
                       _row=range(len(rows)))
    rows = rows.sort_values(["_day", "_order", "_row"], kind="stable")
    return rows.drop(columns=["_day", "_order", "_row"]).reset_index(drop=True)


def observer_assessments(vote_id: str | Sequence[str] | None = None,
                         data_dir: Path | str | None = None) -> pd.DataFrame:
    """Observer missions' assessments (all votes, or the given ones): by year, then mission, then document."""
    return _observer_rows("observer_assessments", vote_id, data_dir)


def observer_findings(vote_id: str | Sequence[str] | None = None,
                      data_dir: Path | str | None = None) -> pd.DataFrame:
    """Observer missions' findings by theme (all votes, or the given ones), in the same order."""
    return _observer_rows("observer_findings", vote_id, data_dir)


def _verdict_text(row: pd.Series) -> str:
    status = row["status"]
    if status == "verdict read":
        quote = f"“{row['verdict_quote']}”"
        return quote + (" (Russian)" if row["quote_language"] == "ru" else "")
    return {"verdict not found": "not found", "mission announced": "no verdict (describes the mission)",
            "no mission deployed": "no mission deployed"}[status]


def observer_table(vote_id: str | Sequence[str], data_dir: Path | str | None = None,
                   with_vote: bool = False) -> pd.DataFrame:
    """One display row per document read: mission, kind, document, verdict quoted (or why not), observers, source."""
    rows = observer_assessments(vote_id, data_dir)
    table = pd.DataFrame({
        "Vote": rows["vote_date"].map(lambda day: f"{day.day} {day:%B %Y}"),
        "Mission": rows["mission"],
        "Kind of mission": rows["mission_type"],
        "Document": rows["document"],
        "Verdict, quoted": rows.apply(_verdict_text, axis=1),
        "Observers": rows["observers"],
        "Source": rows["source"],
    })
    return table if with_vote else table.drop(columns=["Vote"])
