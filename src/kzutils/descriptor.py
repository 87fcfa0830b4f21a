"""Check the shape of `datapackage.json` before any table is read: every mistake is named by its key."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Callable, Mapping

from kzutils.validate import (
    CONSTRAINTS,
    PARSERS,
    STRING_FORMATS,
    WEB_ADDRESS_PATTERN,
    DataValidationError,
    text_problem,
    web_address_problem,
)

Problems = list[DataValidationError]


class _Keys:
    """Collects problems at JSON keys of one descriptor file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: Problems = []

    def fail(self, key: str, problem: str) -> None:
        """Record a problem at `key` (a dotted path such as `resources[1].schema.fields`)."""
        self.problems.append(DataValidationError(self.path, None, key, problem, label="key"))

    def expect(self, value: Any, kind: type | tuple[type, ...], key: str, what: str) -> bool:
        """True if value has the type; else record a problem naming `what` was expected."""
        if isinstance(value, kind) and not isinstance(value, bool) or (kind is bool and isinstance(value, bool)):
            return True
        self.fail(key, f"must be {what}, not {value!r}" if value is not None else f"is missing; it must be {what}")
        return False


def check_descriptor(descriptor: Any, path: str) -> Problems:
    """Every structural problem of a parsed descriptor: names, paths, fields, keys, rules and their types."""
    keys = _Keys(path)
    if not keys.expect(descriptor, dict, "(top level)", "a JSON object"):
        return keys.problems
    _check_text(keys, descriptor, "")
    if keys.expect(descriptor.get("bibliography"), str, "bibliography", "the path of the BibTeX file"):
        _check_relative_path(keys, descriptor["bibliography"], "bibliography", "a .bib file inside the project",
                             parent_allowed=True)
    _check_links_out(keys, descriptor, "")
    if "missingValues" in descriptor:
        keys.fail("missingValues", "declare missingValues in each table's schema, where Frictionless reads them")
    resources = descriptor.get("resources")
    if not keys.expect(resources, list, "resources", "a list of resources"):
        return keys.problems
    if not resources:
        keys.fail("resources", "the package lists no resources")
    schemas: dict[str, list[str]] = {}
    for number, entry in enumerate(resources):
        where = f"resources[{number}]"
        if not keys.expect(entry, dict, where, "a JSON object"):
            continue
        name = entry.get("name")
        if keys.expect(name, str, f"{where}.name", "a resource name") and name in schemas:
            keys.fail(f"{where}.name", f"the resource name {name!r} is used twice")
        elif isinstance(name, str) and not _NAME.fullmatch(name):
            keys.fail(f"{where}.name", f"{name!r} must be lower-case letters, digits and -._/ (as Frictionless "
                      "requires)")
        if keys.expect(entry.get("path"), str, f"{where}.path", "the file's path inside data/"):
            _check_relative_path(keys, entry["path"], f"{where}.path", "a file inside data/")
        _check_links_out(keys, entry, f"{where}.")
        _check_file_properties(keys, entry, where)
        if "schema" in entry:
            schemas[str(name)] = _check_schema(keys, entry["schema"], f"{where}.schema")
            if "hash" in entry:
                _check_hash(keys, entry["hash"], f"{where}.hash")
        else:
            _check_hash(keys, entry.get("hash"), f"{where}.hash")
    for number, entry in enumerate(resources):
        if isinstance(entry, dict) and isinstance(entry.get("schema"), dict):
            _check_links(keys, entry, f"resources[{number}]", schemas)
    return keys.problems


def _check_text(keys: _Keys, value: Any, key: str) -> None:
    """Every text of the descriptor (titles and descriptions reach the book's pages) must be publishable."""
    if isinstance(value, dict):
        for name, item in value.items():
            at = f"{key}.{name}" if key else str(name)
            problem = text_problem(str(name))
            if problem:
                keys.fail(at, f"the key {problem[len('value '):]}")
            _check_text(keys, item, at)
    elif isinstance(value, list):
        for number, item in enumerate(value):
            _check_text(keys, item, f"{key}[{number}]")
    elif isinstance(value, str):
        problem = text_problem(value)
        if problem:
            keys.fail(key, problem)


_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_NAME = re.compile(r"[-a-z0-9._/]+")  # a resource's name, as Frictionless requires


def _check_relative_path(keys: _Keys, path: str, key: str, what: str, parent_allowed: bool = False) -> None:
    """A path written as the book writes them: relative, with '/' between plain names (letters, digits, '_', '-',
    '.'), no '.' or '..' segment (except leading '..' where `parent_allowed`), no scheme, no backslash."""
    parts = path.split("/")
    if parent_allowed:
        while parts and parts[0] == "..":
            parts = parts[1:]
    if not parts or not all(_SEGMENT.fullmatch(part) for part in parts):
        keys.fail(key, f"{path!r} must be {what}, written as a relative path with '/' between plain names (letters, "
                       "digits, '_', '-', '.'; no '..', no scheme such as https:, no backslash)")


_LINK_KEYS = ("homepage",)
_LINK_LISTS = ("sources", "licenses", "contributors")


def _check_links_out(keys: _Keys, entry: Mapping[str, Any], where: str) -> None:
    """The package's and a resource's homepage, and the `path` of its sources, licences and contributors, are
    http(s) web addresses (the only links the book builds)."""
    for name in _LINK_KEYS:
        if name in entry and keys.expect(entry[name], str, f"{where}{name}", "a web address"):
            problem = web_address_problem(entry[name])
            if problem:
                keys.fail(f"{where}{name}", problem)
    for name in _LINK_LISTS:
        for number, item in enumerate(entry.get(name) or []):
            for link in ("path", "url"):
                if isinstance(item, dict) and link in item:
                    at = f"{where}{name}[{number}].{link}"
                    if keys.expect(item[link], str, at, "a web address"):
                        problem = web_address_problem(item[link])
                        if problem:
                            keys.fail(at, problem)


_DIALECT_DEFAULTS = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True, "headerRow": 1,
                     "headerRows": [1], "skipInitialSpace": False, "lineTerminator": None, "caseSensitiveHeader": False}


def _check_file_properties(keys: _Keys, entry: Mapping[str, Any], where: str) -> None:
    """How the file is written: kzutils reads UTF-8 CSV with the default dialect; anything else is refused rather
    than read differently from Frictionless."""
    if "encoding" in entry and str(entry["encoding"]).lower().replace("_", "-") not in {"utf-8", "utf8"}:
        keys.fail(f"{where}.encoding", f"{entry['encoding']!r}: the book's files are UTF-8")
    for name in ("compression", "innerpath", "data", "dialect"):
        if name not in entry:
            continue
        if name == "dialect" and isinstance(entry[name], dict):
            for option, value in entry[name].items():
                if option in {"$schema", "name", "title", "description"}:
                    continue
                if option not in _DIALECT_DEFAULTS or (value != _DIALECT_DEFAULTS[option]
                                                       and option != "lineTerminator"):
                    keys.fail(f"{where}.dialect.{option}", f"{value!r}: kzutils reads CSV with the default "
                              "dialect only (comma, double quotes, one header row)")
        else:
            keys.fail(f"{where}.{name}", "kzutils reads plain files from data/ only (no compression, inline data "
                      "or dialect given as a path)")
    if "bytes" in entry:
        keys.expect(entry["bytes"], int, f"{where}.bytes", "the file's size in bytes, a whole number")
    if "schema" in entry and entry.get("format", "csv") != "csv":
        keys.fail(f"{where}.format", f"{entry.get('format')!r}: the book's tables are CSV files")


def _check_schema(keys: _Keys, schema: Any, where: str) -> list[str]:
    """Check the fields and primary key of one schema; return its field names."""
    if not keys.expect(schema, dict, where, "a JSON object") or not keys.expect(
            schema.get("fields"), list, f"{where}.fields", "a list of fields"):
        return []
    names = []
    for number, field in enumerate(schema["fields"]):
        at = f"{where}.fields[{number}]"
        if keys.expect(field, dict, at, "a JSON object") and keys.expect(field.get("name"), str, f"{at}.name", "a name"):
            if field["name"] in names:
                keys.fail(f"{at}.name", f"the field name {field['name']!r} is used twice")
            names.append(field["name"])
            _check_field(keys, field, at)
    primary = schema.get("primaryKey", [])
    _check_names(keys, [primary] if isinstance(primary, str) else primary, names, f"{where}.primaryKey")
    if "missingValues" in schema and (not keys.expect(schema["missingValues"], list, f"{where}.missingValues",
                                                      "a list of texts") or
                                      not all(isinstance(v, str) for v in schema["missingValues"])):
        keys.fail(f"{where}.missingValues", "must list texts, such as [\"\"] (the default)")
    for name in ("uniqueKeys", "fieldsMatch"):
        if name in schema:
            keys.fail(f"{where}.{name}", "is a version-2 Table Schema property that kzutils does not read")
    return names


_NUMERIC = ("integer", "number")


def _a(kind: str) -> str:
    return f"{'an' if kind == 'integer' else 'a'} {kind}"
_BOUNDS = "so that Frictionless refuses the infinities and overflows kzutils refuses"


def _check_field(keys: _Keys, field: Mapping[str, Any], at: str) -> None:
    kind = field.get("type", "string")
    if kind not in PARSERS:
        keys.fail(f"{at}.type", f"{kind!r} is not one of the types {sorted(PARSERS)}")
        return
    fmt = field.get("format", "default")
    if fmt != "default" and not (kind == "string" and fmt in STRING_FORMATS):
        keys.fail(f"{at}.format", f"{fmt!r}: kzutils reads only the default format"
                  + (f" and {[f for f in STRING_FORMATS if f != 'default']}" if kind == "string" else "")
                  + f" for {_a(kind)}")
    _check_type_properties(keys, field, kind, at)
    constraints = field.get("constraints", {})
    if not keys.expect(constraints, dict, f"{at}.constraints", "a JSON object"):
        return
    for name in constraints:
        if name not in CONSTRAINTS[kind]:
            keys.fail(f"{at}.constraints.{name}", f"is not a constraint of {_a(kind)} field (those are "
                      f"{list(CONSTRAINTS[kind])})")
    for name in ("required", "unique"):
        if name in constraints:
            keys.expect(constraints[name], bool, f"{at}.constraints.{name}", "true or false")
    for name in ("minLength", "maxLength"):
        if name in constraints:
            keys.expect(constraints[name], int, f"{at}.constraints.{name}", "a whole number")
    for name in ("minimum", "maximum"):
        if name in constraints:
            _check_parses(keys, PARSERS[kind], constraints[name], f"{at}.constraints.{name}", _a(kind), field)
        elif kind in _NUMERIC:
            keys.fail(f"{at}.constraints.{name}", f"is missing: {_a(kind)} field declares its minimum and maximum, "
                      + _BOUNDS)
    if "enum" in constraints and keys.expect(constraints["enum"], list, f"{at}.constraints.enum",
                                             "a list of allowed values"):
        for number, member in enumerate(constraints["enum"]):
            if not (kind == "boolean" and isinstance(member, bool)):
                _check_parses(keys, PARSERS[kind], member, f"{at}.constraints.enum[{number}]", _a(kind), field)
    if "pattern" in constraints and keys.expect(constraints["pattern"], str, f"{at}.constraints.pattern", "a regex"):
        try:
            re.compile(constraints["pattern"])
        except re.error as exc:
            keys.fail(f"{at}.constraints.pattern", f"is not a valid regular expression: {exc}")
    if fmt == "uri" and kind == "string" and constraints.get("pattern") != WEB_ADDRESS_PATTERN:
        keys.fail(f"{at}.constraints.pattern", "a field of web addresses (format uri) carries the pattern "
                  f"{WEB_ADDRESS_PATTERN!r} (kzutils.validate.WEB_ADDRESS_PATTERN), so that Frictionless also refuses "
                  "every address but http(s)")
    if "calendarPeriod" in field and keys.expect(field["calendarPeriod"], dict, f"{at}.calendarPeriod",
                                                 "an object with minimum and maximum dates"):
        for bound in ("minimum", "maximum"):
            _check_parses(keys, PARSERS["date"], field["calendarPeriod"].get(bound),
                          f"{at}.calendarPeriod.{bound}", "a date in YYYY-MM-DD form")


def _check_type_properties(keys: _Keys, field: Mapping[str, Any], kind: str, at: str) -> None:
    """Properties that change how a value is read must be ones kzutils reads as Frictionless does."""
    if "groupChar" in field:
        if kind != "number":
            keys.fail(f"{at}.groupChar", f"Frictionless reads a thousands separator only in a number field, not in "
                      f"{_a(kind)} field")
        elif keys.expect(field["groupChar"], str, f"{at}.groupChar", "the thousands separator, a string") and (
                len(field["groupChar"]) != 1 or field["groupChar"] in "0123456789.+-eE"):
            keys.fail(f"{at}.groupChar", f"{field['groupChar']!r} must be one character that is no digit, sign or '.'")
    if field.get("decimalChar", ".") != ".":
        keys.fail(f"{at}.decimalChar", "the book's numbers use '.' as the decimal point")
    if field.get("bareNumber", True) is not True:
        keys.fail(f"{at}.bareNumber", "the book's numbers are bare numbers (no text around them)")
    if "missingValues" in field:
        keys.fail(f"{at}.missingValues", "declare missingValues for the whole schema, where Frictionless reads them")
    for name in ("trueValues", "falseValues"):
        if name in field:
            if kind != "boolean":
                keys.fail(f"{at}.{name}", f"belongs to a boolean field, not {_a(kind)} field")
            elif not keys.expect(field[name], list, f"{at}.{name}", "a list of texts") or not all(
                    isinstance(v, str) and v for v in field[name]):
                keys.fail(f"{at}.{name}", "must list non-empty texts")
    if set(field.get("trueValues", [])) & set(field.get("falseValues", [])):
        keys.fail(f"{at}.falseValues", "a text cannot mean both true and false")


def _check_parses(keys: _Keys, parser: Callable[..., Any], value: Any, key: str, what: str,
                  field: Mapping[str, Any] | None = None) -> None:
    try:
        if value is None or isinstance(value, (bool, dict, list)):
            raise ValueError
        parser(str(value), field or {})
    except ValueError:
        keys.fail(key, f"must be {what}, not {value!r}")


def _check_names(keys: _Keys, chosen: Any, names: list[str], key: str) -> bool:
    """`chosen` must be a list of existing field names; True if it is."""
    if not keys.expect(chosen, list, key, "a list of field names"):
        return False
    unknown = [c for c in chosen if c not in names]
    if unknown:
        keys.fail(key, f"names fields that do not exist: {unknown} (fields: {names})")
    return not unknown


def _check_hash(keys: _Keys, value: Any, key: str) -> None:
    if keys.expect(value, str, key, "'<algorithm>:<hex digest>' for a file without a schema"):
        algorithm, _, digest = value.partition(":")
        if algorithm not in hashlib.algorithms_guaranteed or not re.fullmatch(r"[0-9a-f]+", digest):
            keys.fail(key, f"{value!r} is not '<algorithm>:<hex digest>', e.g. 'sha256:...'")


def _check_links(keys: _Keys, entry: Mapping[str, Any], where: str, schemas: Mapping[str, list[str]]) -> None:
    """Foreign keys and sum rules must point at resources and fields that exist, with numbers as numbers."""
    names = schemas.get(str(entry.get("name")), [])
    foreign_keys = entry["schema"].get("foreignKeys", [])
    for number, foreign in enumerate(foreign_keys if keys.expect(foreign_keys, list, f"{where}.schema.foreignKeys",
                                                                  "a list") else []):
        at = f"{where}.schema.foreignKeys[{number}]"
        if not keys.expect(foreign, dict, at, "a JSON object") or not keys.expect(
                foreign.get("reference"), dict, f"{at}.reference", "an object with resource and fields"):
            continue
        _check_names(keys, foreign.get("fields"), names, f"{at}.fields")
        target = _target(keys, foreign["reference"].get("resource"), schemas, f"{at}.reference.resource")
        if target is not None:
            _check_names(keys, foreign["reference"].get("fields"), target, f"{at}.reference.fields")
    _check_row_rules(keys, entry, where, names)
    rules = entry.get("sumsTo", [])
    for number, rule in enumerate(rules if keys.expect(rules, list, f"{where}.sumsTo", "a list") else []):
        at = f"{where}.sumsTo[{number}]"
        if not keys.expect(rule, dict, at, "a JSON object"):
            continue
        _check_names(keys, [rule.get("field")], names, f"{at}.field")
        _check_names(keys, rule.get("groupBy"), names, f"{at}.groupBy")
        for number_key in ("total", "tolerance"):
            keys.expect(rule.get(number_key), (int, float), f"{at}.{number_key}", "a number (no quotes)")
        if "onlyWhere" in rule and keys.expect(rule["onlyWhere"], dict, f"{at}.onlyWhere", "a JSON object"):
            target = _target(keys, rule["onlyWhere"].get("resource"), schemas, f"{at}.onlyWhere.resource")
            if target is not None:
                _check_names(keys, [rule["onlyWhere"].get("field"), *(rule.get("groupBy") or [])], target,
                             f"{at}.onlyWhere.field")


def _check_row_rules(keys: _Keys, entry: Mapping[str, Any], where: str, names: list[str]) -> None:
    """rowRules, completeGrid and articleLimit must name fields that exist (and, for the last two, single-field
    foreign keys), with conditions of a known form."""
    rules = entry.get("rowRules", [])
    for number, rule in enumerate(rules if keys.expect(rules, list, f"{where}.rowRules", "a list") else []):
        at = f"{where}.rowRules[{number}]"
        if not keys.expect(rule, dict, at, "a JSON object") or not keys.expect(
                rule.get("when"), dict, f"{at}.when", "an object of field: condition"):
            continue
        _check_names(keys, list(rule["when"]), names, f"{at}.when")
        for field, condition in rule["when"].items():
            if not isinstance(condition, dict) or len(condition) != 1 or not (
                    isinstance(condition.get("in", condition.get("notIn")), list)
                    or isinstance(condition.get("present"), bool)):
                keys.fail(f"{at}.when.{field}", 'must be {"in": [...]}, {"notIn": [...]} or {"present": true|false}')
        for part in ("required", "empty"):
            if part in rule:
                _check_names(keys, rule[part], names, f"{at}.{part}")
    single = {tuple(f.get("fields", [])): f.get("reference", {}) for f in entry["schema"].get("foreignKeys", [])
              if isinstance(f, dict)}
    if "completeGrid" in entry and keys.expect(entry["completeGrid"], dict, f"{where}.completeGrid", "a JSON object"):
        grid = entry["completeGrid"].get("fields")
        if _check_names(keys, grid, names, f"{where}.completeGrid.fields"):
            for field in grid:
                if (field,) not in single:
                    keys.fail(f"{where}.completeGrid.fields", f"field {field!r} needs a foreign key of its own")
    if "articleLimit" in entry and keys.expect(entry["articleLimit"], dict, f"{where}.articleLimit", "a JSON object"):
        limit = entry["articleLimit"]
        _check_names(keys, [limit.get("field"), limit.get("key")], names, f"{where}.articleLimit")
        if (limit.get("key"),) not in single:
            keys.fail(f"{where}.articleLimit.key", f"field {limit.get('key')!r} needs a foreign key of its own")


def _target(keys: _Keys, name: Any, schemas: Mapping[str, list[str]], key: str) -> list[str] | None:
    """The field names of the tabular resource `name`, or None (with a problem) if there is none."""
    if name not in schemas:
        keys.fail(key, f"{name!r} is not a tabular resource of this package (have {sorted(schemas)})")
        return None
    return schemas[name]
