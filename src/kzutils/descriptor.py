"""Check the shape of `datapackage.json` before any table is read: every mistake is named by its key."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Callable, Mapping

from kzutils.validate import PARSERS, DataValidationError

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
    keys.expect(descriptor.get("bibliography"), str, "bibliography", "the path of the BibTeX file")
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
        if keys.expect(entry.get("path"), str, f"{where}.path", "the file's path inside data/"):
            if entry["path"].startswith("/") or ".." in entry["path"].split("/"):
                keys.fail(f"{where}.path", f"{entry['path']!r} must be a path inside data/")
        if "schema" in entry:
            schemas[str(name)] = _check_schema(keys, entry["schema"], f"{where}.schema")
        else:
            _check_hash(keys, entry.get("hash"), f"{where}.hash")
    for number, entry in enumerate(resources):
        if isinstance(entry, dict) and isinstance(entry.get("schema"), dict):
            _check_links(keys, entry, f"resources[{number}]", schemas)
    return keys.problems


def _check_schema(keys: _Keys, schema: Any, where: str) -> list[str]:
    """Check the fields and primary key of one schema; return its field names."""
    if not keys.expect(schema, dict, where, "a JSON object") or not keys.expect(
            schema.get("fields"), list, f"{where}.fields", "a list of fields"):
        return []
    names = []
    for number, field in enumerate(schema["fields"]):
        at = f"{where}.fields[{number}]"
        if keys.expect(field, dict, at, "a JSON object") and keys.expect(field.get("name"), str, f"{at}.name", "a name"):
            names.append(field["name"])
            _check_field(keys, field, at)
    primary = schema.get("primaryKey", [])
    _check_names(keys, [primary] if isinstance(primary, str) else primary, names, f"{where}.primaryKey")
    return names


def _check_field(keys: _Keys, field: Mapping[str, Any], at: str) -> None:
    kind = field.get("type", "string")
    if kind not in PARSERS:
        keys.fail(f"{at}.type", f"{kind!r} is not one of the types {sorted(PARSERS)}")
        return
    constraints = field.get("constraints", {})
    if not keys.expect(constraints, dict, f"{at}.constraints", "a JSON object"):
        return
    for bound in ("minimum", "maximum"):
        if bound in constraints:
            _check_parses(keys, PARSERS[kind], constraints[bound], f"{at}.constraints.{bound}", f"a {kind}")
    if "enum" in constraints:
        keys.expect(constraints["enum"], list, f"{at}.constraints.enum", "a list of allowed values")
    if "pattern" in constraints and keys.expect(constraints["pattern"], str, f"{at}.constraints.pattern", "a regex"):
        try:
            re.compile(constraints["pattern"])
        except re.error as exc:
            keys.fail(f"{at}.constraints.pattern", f"is not a valid regular expression: {exc}")
    if "groupChar" in field:
        keys.expect(field["groupChar"], str, f"{at}.groupChar", "the thousands separator, a string")
    if "calendarPeriod" in field and keys.expect(field["calendarPeriod"], dict, f"{at}.calendarPeriod",
                                                 "an object with minimum and maximum dates"):
        for bound in ("minimum", "maximum"):
            _check_parses(keys, PARSERS["date"], field["calendarPeriod"].get(bound),
                          f"{at}.calendarPeriod.{bound}", "a date in YYYY-MM-DD form")


def _check_parses(keys: _Keys, parser: Callable[[str], Any], value: Any, key: str, what: str) -> None:
    try:
        parser(str(value))
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
        if algorithm not in hashlib.algorithms_available or not re.fullmatch(r"[0-9a-f]+", digest):
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
