"""One truth about types: `python -m kzutils validate` and `frictionless validate` give the same verdict on the
same faulty files. kzutils reads values as the Table Schema specification writes them, with Frictionless's
defaults; where the book is stricter on purpose, the rule is declared in datapackage.json so that Frictionless
enforces it too (minimum and maximum on every number, the http(s) pattern on web addresses). The few cases where
the frictionless library reads more than the specification allows, or where the book's text rules go beyond any
schema, are listed in STRICTER and in CONTRIBUTING.md ("What validation refuses")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest

import kzutils as kz
from conftest import DATA, data_copy_in, edit_cell, read_rows, shared_bibliography, write_rows

frictionless = pytest.importorskip("frictionless")

@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_bibliography(tmp_path_factory.mktemp("agreement"))


def field_of(descriptor: dict, resource: str, field: str) -> dict:
    entry = next(r for r in descriptor["resources"] if r["name"] == resource)
    return next(f for f in entry["schema"]["fields"] if f["name"] == field)


def cell(resource: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    return lambda data: edit_cell(data / f"{resource}.csv", row, column, value)


def descriptor(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(data: Path) -> None:
        path = data / "datapackage.json"
        parsed = json.loads(path.read_text(encoding="utf-8"))
        change(parsed)
        path.write_text(json.dumps(parsed, indent=2, ensure_ascii=False), encoding="utf-8")
    return edit


def both(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(data: Path) -> None:
        for one in edits:
            one(data)
    return edit


def rows(resource: str, change: Callable[[list[list[str]]], list[list[str]]]) -> Callable[[Path], None]:
    return lambda data: write_rows(data / f"{resource}.csv", change(read_rows(data / f"{resource}.csv")))


def raw(resource: str, change: Callable[[str], str]) -> Callable[[Path], None]:
    def edit(data: Path) -> None:
        path = data / f"{resource}.csv"
        path.write_bytes(change(path.read_bytes().decode("utf-8")).encode("utf-8"))
    return edit


def declare(resource: str, field: str, **properties) -> Callable[[Path], None]:
    return descriptor(lambda d: field_of(d, resource, field).update(properties))


def constrain(resource: str, field: str, **constraints) -> Callable[[Path], None]:
    return descriptor(lambda d: field_of(d, resource, field)["constraints"].update(constraints))


TRUE = ("votes", 1, "results_complete")
DAY = ("votes", 1, "date")
SHARE = ("votes", 1, "turnout_pct")
COUNT = ("votes", 1, "registered_voters")
VALUE = ("observations", 1, "value")  # unit: that of its series; bounds ±10^15
TITLE = ("votes", 1, "title")
VOTER_LIST, BIG = next((i, r[2]) for i, r in enumerate(read_rows(DATA / "observations.csv"))
                       if i and r[2].isdigit() and len(r[2]) == 8)  # a value of eight digits: 12,345,678

SAME = {
    # booleans: Frictionless's default true and false values, case and all
    "boolean yes": ("votes", cell(*TRUE, "yes"), False),
    "boolean no": ("votes", cell(*TRUE, "no"), False),
    "boolean tRuE": ("votes", cell(*TRUE, "tRuE"), False),
    "boolean TRUE": ("votes", cell(*TRUE, "TRUE"), True),
    "boolean 0": ("votes", cell(*TRUE, "0"), True),
    "boolean yes, declared": ("votes", both(cell(*TRUE, "yes"), declare(
        "votes", "results_complete", trueValues=["true", "yes"], falseValues=["false", "no"])), True),
    "boolean true, not declared": ("votes", declare("votes", "results_complete", trueValues=["yes"],
                                                     falseValues=["no"]), False),
    # numbers as the specification writes them
    "number 81.": ("votes", cell(*SHARE, "81."), True),
    "number .5": ("votes", cell(*SHARE, ".5"), True),
    "number +8.1E1": ("votes", cell(*SHARE, "+8.1E1"), True),
    "number 81,5": ("votes", cell(*SHARE, "81,5"), False),
    "number with an undeclared thousands separator": ("votes", cell(*COUNT, "11,960,364"), False),
    "number with a declared thousands separator": (
        "observations", both(cell("observations", VOTER_LIST, "value", f"{int(BIG):,}"),
                             declare("observations", "value", groupChar=",")), True),
    "integer with a thousands separator declared": (
        "votes", both(cell(*COUNT, "11,960,364"), declare("votes", "registered_voters", groupChar=",")), False),
    "integer 1e6": ("votes", cell(*COUNT, "1e6"), False),
    "integer 12.0": ("votes", cell(*COUNT, "12.0"), False),
    "integer +12": ("votes", cell(*COUNT, "+12"), True),
    # out of range, overflow, infinity, NaN: refused by the declared minimum and maximum too
    "number above the maximum": ("votes", cell(*SHARE, "101"), False),
    "number below the minimum": ("votes", cell(*SHARE, "-0.5"), False),
    "number 1e400": ("observations", cell(*VALUE, "1e400"), False),
    "number -1e400": ("observations", cell(*VALUE, "-1e400"), False),
    "number inf": ("observations", cell(*VALUE, "inf"), False),
    "number -INF": ("observations", cell(*VALUE, "-INF"), False),
    "number NaN": ("observations", cell(*VALUE, "NaN"), False),
    "integer beyond 64 bits": ("votes", cell(*COUNT, "99999999999999999999999"), False),
    "date out of range": ("votes", cell(*DAY, "2099-01-10"), False),
    # dates in another format
    "date 05/12/2019": ("votes", cell(*DAY, "05/12/2019"), False),
    "date 2019.06.09": ("votes", cell(*DAY, "2019.06.09"), False),
    "date 20190609": ("votes", cell(*DAY, "20190609"), False),
    "date 9 June 2019": ("votes", cell(*DAY, "9 June 2019"), False),
    "date 2019-02-30": ("votes", cell(*DAY, "2019-02-30"), False),
    # missing values, enums, patterns, lengths
    "missing required value": ("votes", cell(*TITLE, ""), False),
    "missing optional value": ("votes", cell(*COUNT, ""), True),
    "declared missing value in an optional field": (
        "votes", both(cell(*COUNT, "n/a"), descriptor(lambda d: next(
            r for r in d["resources"] if r["name"] == "votes")["schema"].update(missingValues=["", "n/a"]))), True),
    "declared missing value in a required field": (
        "votes", both(cell(*TITLE, "n/a"), descriptor(lambda d: next(
            r for r in d["resources"] if r["name"] == "votes")["schema"].update(missingValues=["", "n/a"]))), False),
    "value not in the enum": ("votes", cell("votes", 1, "kind", "poll"), False),
    "value not matching the pattern": ("votes", cell("votes", 1, "vote_id", "president 1999"), False),
    "string over maxLength": ("votes", constrain("votes", "title", maxLength=5), False),
    # rows and keys
    "duplicate primary key": ("events", rows("events", lambda r: r + [r[3]]), False),
    "duplicate unique value": ("places", both(constrain("places", "label", unique=True),
                                             cell("places", 2, "label", "Astana")), False),
    "unknown foreign key": ("vote_results", cell("vote_results", 6, "vote_id", "pres-2001"), False),
    "row with a missing cell": ("events", rows("events", lambda r: r[:2] + [r[2][:-1]] + r[3:]), False),
    "row with an extra cell": ("events", rows("events", lambda r: r[:2] + [r[2] + ["x"]] + r[3:]), False),
    "blank row": ("events", raw("events", lambda t: t.replace("\n", "\n,,,\n", 1)), False),
    "empty line": ("events", raw("events", lambda t: t.replace("\n", "\n\n", 2).replace("\n\n", "\n", 1)), False),
    "renamed column": ("events", raw("events", lambda t: t.replace("category", "kind", 1)), False),
    "bare carriage return": ("events", cell("events", 2, "title", "Two\rlines"), False),
    # the descriptor
    "field name used twice": ("events", descriptor(lambda d: next(r for r in d["resources"] if r["name"] == "events")[
        "schema"]["fields"].append({"name": "date", "type": "date"})), False),
    "resource name in capitals": ("events", descriptor(lambda d: next(
        r for r in d["resources"] if r["name"] == "seats").update(name="Seats")), False),
    "recorded size that differs": ("events", descriptor(lambda d: next(
        r for r in d["resources"] if r["name"] == "events").update(bytes=5)), False),
    "recorded hash that differs": ("events", descriptor(lambda d: next(
        r for r in d["resources"] if r["name"] == "events").update(hash="sha256:" + "0" * 64)), False),
}

STRICTER = {
    # The frictionless library reads more than the Table Schema specification: kzutils keeps to it.
    "number with spaces around it": ("votes", cell(*SHARE, " 81.5")),
    "number with Python's digit underscore": ("votes", cell(*SHARE, "8_1.5")),
    "number in fullwidth digits": ("votes", cell(*SHARE, "８１.５")),
    "thousands separator in the wrong places": (
        "observations", both(cell("observations", VOTER_LIST, "value", f"{BIG[:1]},{BIG[1:5]},{BIG[5:]}"),
                             declare("observations", "value", groupChar=","))),
    "date with one-digit month and day": ("votes", cell(*DAY, "2019-6-9")),
    "date in fullwidth digits": ("votes", cell(*DAY, "２０１９-06-09")),
    # The book refuses what it cannot store exactly; no schema rule can say so for a number.
    "number that underflows to 0": ("observations", cell(*VALUE, "1e-400")),
    # The book's text rules hold for every text field; no schema rule says them for all fields at once.
    "text of spaces only in a required field": ("votes", cell(*TITLE, "   ")),
    "text with a trailing space": ("votes", cell(*TITLE, "Presidential election ")),
    "text with a right-to-left override": ("votes", cell(*TITLE, "Presidential \u202enoitcele")),
    "text with a zero-width space": ("votes", cell(*TITLE, "Presidential\u200b election")),
    "text not in NFC": ("glossary", cell("glossary", 1, "russian", "\u0438\u0306")),
    "word mixing Latin and Cyrillic letters": ("votes", cell(*TITLE, "Presidential el\u0435ction")),
    "field over the book's size limit": ("votes", cell(*TITLE, "x" * (kz.validate.MAX_FIELD_CHARACTERS + 1))),
    "web address in a text field": ("events", cell("events", 2, "title", "javascript:alert(1)")),
    "text a spreadsheet would run as a formula": ("events", cell("events", 2, "title", "=1+1")),
}


def kzutils_accepts(data: Path, name: str) -> tuple[bool, str]:
    try:
        kz.load(name, data)
    except kz.DataValidationError as error:
        return False, str(error)
    return True, ""


def frictionless_accepts(data: Path, name: str) -> tuple[bool, str]:
    try:
        report = frictionless.Package(str(data / "datapackage.json")).get_resource(name).validate()
    except frictionless.FrictionlessException as error:
        return False, str(error)
    return report.valid, "; ".join(str(task.errors[:2]) for task in report.tasks if task.errors)


@pytest.mark.parametrize("case", list(SAME))
def test_both_validators_give_the_same_verdict(project: Path, case: str) -> None:
    name, edit, valid = SAME[case]
    data = data_copy_in(project)
    edit(data)
    ours, why_ours = kzutils_accepts(data, name)
    theirs, why_theirs = frictionless_accepts(data, name)
    assert (ours, theirs) == (valid, valid), f"kzutils: {why_ours or 'valid'}\nfrictionless: {why_theirs or 'valid'}"


@pytest.mark.parametrize("case", list(STRICTER))
def test_where_the_book_is_stricter_than_frictionless(project: Path, case: str) -> None:
    """Each case that CONTRIBUTING.md lists as refused by kzutils alone: kzutils refuses it, Frictionless does not."""
    name, edit = STRICTER[case]
    data = data_copy_in(project)
    edit(data)
    ours, why = kzutils_accepts(data, name)
    theirs, _ = frictionless_accepts(data, name)
    assert not ours and theirs, why
    assert "Traceback" not in why and f"data_" in why


def test_the_real_package_passes_both(project: Path) -> None:
    data = data_copy_in(project)
    assert kzutils_accepts(data, "votes")[0]
    assert frictionless.Package(str(data / "datapackage.json")).get_resource("vote_results").validate().valid
