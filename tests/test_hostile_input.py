"""Hostile input (issue 22): links that are not http(s), text that disguises itself, numbers that overflow or
underflow, a bare carriage return, fields over the book's size limit, and paths that lead out of the project.
Each is refused by `python -m kzutils validate` with the file, the row and the column (or the entry and its line,
or the descriptor's key), the value and the rule; never with a traceback, and never by reading what it points at.
The command line runs in this process (tests/inprocess.py)."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

import kzutils as kz
from kzutils import bib, validate
from conftest import BOOK, DATA, ROOT, data_copy_in, edit_cell, edit_entry, read_rows, shared_bibliography, write_rows
from inprocess import run_here


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_bibliography(tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def data(shared: Path) -> Path:
    """A copy of data/ that a test may corrupt (the bibliography is shared: a test that edits it uses `project`)."""
    return data_copy_in(shared)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A whole copy of what validation reads: data/, book/references.bib and CITATION.cff."""
    shutil.copytree(DATA, tmp_path / "data")
    (tmp_path / "book").mkdir()
    shutil.copy2(BOOK / "references.bib", tmp_path / "book" / "references.bib")
    shutil.copy2(ROOT / "CITATION.cff", tmp_path / "CITATION.cff")
    return tmp_path


@pytest.fixture
def one_entry(tmp_path: Path) -> Path:
    """book/references.bib holding only the entry KEY (line 1): fast to check field by field."""
    text = (BOOK / "references.bib").read_text(encoding="utf-8")
    found = re.search(r"@\w+\{" + re.escape(KEY) + r",\n.*?\n\}", text, re.S)
    path = tmp_path / "book" / "references.bib"
    path.parent.mkdir()
    path.write_text(found.group(0) + "\n", encoding="utf-8")
    return path


def clean(text: str) -> bool:
    return not any(validate.character_problem(char) for char in text.replace("\t", ""))


def refused(data: Path, *expected: str, table: str | None = None) -> str:
    """Validation of `data` exits 1 with every expected text in its message ("data/" standing for the copy's
    folder), no traceback and no character that could disguise the message itself. With `table`, only that table
    is loaded (kz.load raises the error whose lines validation prints): variants of one fault stay fast."""
    if table:
        with pytest.raises(kz.DataValidationError) as caught:
            kz.load(table, data)
        message = str(caught.value)
    else:
        done = run_here("--data", str(data), "validate")
        output = done.stdout + done.stderr
        assert done.returncode == 1, output
        assert "Traceback" not in output and "kzutils: " not in done.stderr, output  # no unforeseen error either
        message = done.stderr
    for text in expected:
        text = text.replace("data/", f"{data.name}/", 1) if text.startswith("data/") else text
        assert text in message, f"{text!r} not in:\n{message}"
    assert clean(message), "the message holds an invisible character"
    return message


def accepted(data: Path, table: str | None = None) -> None:
    if table:
        kz.load(table, data)
        return
    done = run_here("--data", str(data), "validate")
    assert done.returncode == 0, done.stdout + done.stderr


def entry_refused(path: Path, *expected: str) -> str:
    """Reading and checking the bibliography fails with every expected text (as validation prints it)."""
    with pytest.raises(kz.DataValidationError) as caught:
        bib.read(path)
        bib.check_entries(path)
    message = str(caught.value)
    for text in expected:
        assert text in message, f"{text!r} not in:\n{message}"
    assert clean(message)
    return message


def set_field(path: Path, key: str, name: str, value: str) -> int:
    """Set (or add) one field of one entry; return the entry's line."""
    def change(text: str) -> str:
        if re.search(rf"\n  {name} = \{{", text):
            return re.sub(rf"\n  {name} = \{{.*?\}},?\n", lambda m: f"\n  {name} = {{{value}}},\n", text, count=1,
                          flags=re.S)
        return text.replace(",\n", f",\n  {name} = {{{value}}},\n", 1)
    return edit_entry(path, key, change)


def edit_descriptor(data: Path, change) -> None:
    path = data / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    change(descriptor)
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False), encoding="utf-8")


def resource_entry(descriptor: dict, name: str) -> dict:
    return next(r for r in descriptor["resources"] if r["name"] == name)


KEY = "kazinform2022final"  # an entry the data rely on

# --- links ------------------------------------------------------------------------------------------------------


def test_javascript_address_in_the_bibliography_is_refused_by_validation(project: Path) -> None:
    """The case of issue 22: a `javascript:` url passed validation and was published as a live link on the
    bibliography page and in the PDF. Validation runs before any build, so now nothing is published."""
    line = set_field(project / "book" / "references.bib", KEY, "url", "javascript:alert(document.domain)")
    refused(project / "data", f"book/references.bib: line {line}, entry '{KEY}', field 'url': "
            "'javascript:alert(document.domain)' uses the scheme 'javascript:'; only http:// and https:// web "
            "addresses are linked")
    done = run_here("--data", str(project / "data"), "build", "--book", str(project / "book"), "--out",
                    str(project / "out"))
    assert done.returncode == 1 and not (project / "out" / "_build").exists()


@pytest.mark.parametrize("url", [
    "javascript:alert(document.domain)",
    " javascript:alert(1)",
    "jAvAsCrIpT:alert(1)",
    "java\tscript:alert(1)",
    "javascript&#58;alert(1)",
    "\u200bjavascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "vbscript:msgbox(1)",
    "/relative/path.html",
    "page.html",
    "//evil.example/page",
    "https://www.inform.kz@evil.example/page",
    "https://www.inform.kz/a page",
    "https:\\\\evil.example\\page",
    "https://www.inform.kz/\"onmouseover=\"alert(1)",
])
def test_bibliography_url_that_is_not_http_is_refused(one_entry: Path, url: str) -> None:
    set_field(one_entry, KEY, "url", url)
    entry_refused(one_entry, f"book/references.bib: line 1, entry '{KEY}'",
                  "U+200B" if "\u200b" in url else "only http:// and https:// web addresses are linked")


@pytest.mark.parametrize("doi, ok", [
    ("10.1177/0192512102023001006", True),
    ("https://doi.org/10.1177/0192512102023001006", False),  # the bibliography would print doi.org twice
    ("javascript:alert(1)", False),
    ("http://doi.org/10.1177/0192512102023001006", False),
    ("https://evil.example/10.1177/0192512102023001006", False),
    ("10.1177/0192512102023001006 x", False),
    ("doi:10.1177/0192512102023001006", False),
])
def test_bibliography_doi_is_a_bare_doi(one_entry: Path, doi: str, ok: bool) -> None:
    set_field(one_entry, KEY, "doi", doi)
    if ok:
        bib.read(one_entry)
        bib.check_entries(one_entry)
    else:
        entry_refused(one_entry, f"book/references.bib: line 1, entry '{KEY}', field 'doi': ",
                      "is a link: write the bare DOI" if doi.startswith("https://doi.org/") else "is not a DOI")


@pytest.mark.parametrize("field", ["pubmed", "eprint"])
def test_other_linked_bibliography_fields(one_entry: Path, field: str) -> None:
    set_field(one_entry, KEY, field, "javascript:alert(1)")
    entry_refused(one_entry, f"book/references.bib: line 1, entry '{KEY}', field '{field}': ")


def test_latex_link_command_in_a_field_is_refused(one_entry: Path) -> None:
    set_field(one_entry, KEY, "note", r"see \href{javascript:alert(1)}{the page}")
    entry_refused(one_entry, f"book/references.bib: line 1, entry '{KEY}': field 'note': holds a LaTeX link command")


@pytest.mark.parametrize("where", ["homepage", "sources", "licenses", "resource sources"])
def test_descriptor_links_are_http(data: Path, where: str) -> None:
    def change(descriptor: dict) -> None:
        if where == "homepage":
            descriptor["homepage"] = "javascript:alert(1)"
        elif where == "resource sources":
            resource_entry(descriptor, "places")["sources"][0]["path"] = "file:///etc/passwd"
        else:
            descriptor[where][0]["path"] = "data:text/html,<script>alert(1)</script>"
    edit_descriptor(data, change)
    places = [r["name"] for r in json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))["resources"]]
    key = {"homepage": "homepage", "sources": "sources[0].path", "licenses": "licenses[0].path",
           "resource sources": f"resources[{places.index('places')}].sources[0].path"}[where]
    refused(data, f"data/datapackage.json: key '{key}': ", "only http:// and https:// web addresses are linked",
            table="votes")


def test_repository_address_in_citation_file(project: Path) -> None:
    path = project / "CITATION.cff"
    path.write_text(path.read_text(encoding="utf-8") + 'repository-code: "javascript:alert(1)"\n', encoding="utf-8")
    refused(project / "data", "CITATION.cff: key 'repository-code': 'javascript:alert(1)' uses the scheme "
            "'javascript:'")
    from kzutils import meta

    with pytest.raises(kz.DataValidationError, match="repository-code"):  # what a plain jupyter-book build asks
        meta.repository_url(project / "data")
    path.write_text(path.read_text(encoding="utf-8").replace("javascript:alert(1)", "https://github.com/o/r"),
                    encoding="utf-8")
    accepted(project / "data")


def add_link_column(data: Path, pattern: str | None = validate.WEB_ADDRESS_PATTERN) -> Path:
    """Give events.csv a `link` column of web addresses, declared `format: uri` (with the book's pattern)."""
    path = data / "events.csv"
    rows = read_rows(path)
    write_rows(path, [rows[0] + ["link"]] + [row + [f"https://example.org/events/{i}"] for i, row in
                                              enumerate(rows[1:], start=1)])
    field = {"name": "link", "type": "string", "format": "uri", "description": "Where the event is reported"}
    if pattern:
        field["constraints"] = {"pattern": pattern}
    edit_descriptor(data, lambda d: resource_entry(d, "events")["schema"]["fields"].append(field))
    return path


@pytest.mark.parametrize("value", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:,x", "/events/3",
                                   "https://a.example@b.example/"])
def test_data_column_of_web_addresses_holds_http_only(data: Path, value: str) -> None:
    path = add_link_column(data)
    accepted(data, "events")
    edit_cell(path, 3, "link", value)
    refused(data, "data/events.csv: row 3 (line 4), column 'link': value ", "only http:// and https://", table="events")


def test_web_address_column_must_declare_the_pattern(data: Path) -> None:
    add_link_column(data, pattern=None)
    refused(data, "data/datapackage.json: key 'resources[3].schema.fields[4].constraints.pattern': a field of web "
            "addresses (format uri) carries the pattern")


@pytest.mark.parametrize("value", ["javascript:alert(1)", "https://example.org/page", "data:text/html,x"])
def test_web_address_in_a_text_column_is_refused(data: Path, value: str) -> None:
    edit_cell(data / "events.csv", 2, "title", value)
    refused(data, "data/events.csv: row 2 (line 3), column 'title': ", "is a web address in a field not declared "
            "as one", table="events")


@pytest.mark.parametrize("value", ["=HYPERLINK(\"https://evil.example\",\"Amanat\")", "+cmd|' /C calc'!A0",
                                   "-2+3", "@SUM(A1:A9)"])
def test_text_a_spreadsheet_would_run_as_a_formula(data: Path, value: str) -> None:
    """The data files and every figure's data download are CSV files a reader may open in a spreadsheet."""
    edit_cell(data / "seats.csv", 2, "party", value)
    refused(data, "data/seats.csv: row 2 (line 3), column 'party': value ", "which a spreadsheet reads as a formula",
            table="seats")


def test_real_bibliography_and_data_pass() -> None:
    """Every url, doi and text of the real bibliography, and every file of the real data, pass."""
    bib.check_entries(BOOK / "references.bib")
    assert all(not bib.link_problems(entry) for entry in bib.read(BOOK / "references.bib").entries.values())
    sizes, error = kz.data.check_package(DATA)
    assert error is None, str(error)
    glossary = kz.load("glossary")
    assert glossary["kazakh"].str.contains("[әғқңөұүһі]", regex=True).any()  # Kazakh letters pass
    assert glossary["russian"].str.contains("[а-яё]", regex=True).any()


# --- text that disguises itself ---------------------------------------------------------------------------------

DISGUISES = {
    "\u202e": "RIGHT-TO-LEFT OVERRIDE", "\u202a": "LEFT-TO-RIGHT EMBEDDING", "\u202d": "LEFT-TO-RIGHT OVERRIDE",
    "\u2066": "LEFT-TO-RIGHT ISOLATE", "\u2067": "RIGHT-TO-LEFT ISOLATE", "\u2069": "POP DIRECTIONAL ISOLATE",
    "\u200b": "ZERO WIDTH SPACE", "\u200c": "ZERO WIDTH NON-JOINER", "\u200d": "ZERO WIDTH JOINER",
    "\u200e": "LEFT-TO-RIGHT MARK", "\u200f": "RIGHT-TO-LEFT MARK", "\u2060": "WORD JOINER",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE", "\u00ad": "SOFT HYPHEN", "\u061c": "ARABIC LETTER MARK",
    "\u034f": "COMBINING GRAPHEME JOINER", "\ufe0f": "VARIATION SELECTOR-16", "\u3164": "HANGUL FILLER",
    "\U000e0041": "TAG LATIN CAPITAL LETTER A", "\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR",
    "\u180e": "MONGOLIAN VOWEL SEPARATOR", "\u2064": "INVISIBLE PLUS", "\x1b": "",
}


@pytest.mark.parametrize("char", list(DISGUISES), ids=[f"U+{ord(c):04X}" for c in DISGUISES])
def test_invisible_character_in_a_csv_field(data: Path, char: str) -> None:
    edit_cell(data / "seats.csv", 2, "party", f"Ama{char}nat")
    refused(data, "data/seats.csv: row 2 (line 3), column 'party': value ",
            f"holds the character U+{ord(char):04X}{f' ({DISGUISES[char]})' if DISGUISES[char] else ''}", table="seats")


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\u2066", "\ufeff", "\u034f"])
def test_invisible_character_in_the_bibliography(one_entry: Path, char: str) -> None:
    set_field(one_entry, KEY, "title", f"Final results{char} of the election")
    entry_refused(one_entry, f"book/references.bib: line 1, entry '{KEY}': field 'title': ", f"U+{ord(char):04X}")


def test_invisible_character_in_an_author_name(one_entry: Path) -> None:
    set_field(one_entry, KEY, "author", "Tokayev\u202e, Kassym-Jomart")
    entry_refused(one_entry, f"book/references.bib: line 1, entry '{KEY}': field 'author': ", "U+202E")


def test_entry_key_that_is_no_plain_name(one_entry: Path) -> None:
    one_entry.write_text(one_entry.read_text(encoding="utf-8").replace(KEY, "evil\u200bkey"), encoding="utf-8")
    entry_refused(one_entry, "book/references.bib: line 1, entry ''evil\\u200bkey'': the entry key must be "
                  "lower-case ASCII")


def test_invisible_character_in_the_descriptor(data: Path) -> None:
    edit_descriptor(data, lambda d: resource_entry(d, "votes").update(title="National \u202evotes"))
    refused(data, "data/datapackage.json: key 'resources[0].title': value 'National \\u202evotes' holds the "
            "character U+202E")


def test_text_not_in_normal_form(data: Path) -> None:
    rows = read_rows(data / "glossary.csv")
    column = rows[0].index("russian")
    row = next(i for i, r in enumerate(rows) if i and "й" in r[column])
    edit_cell(data / "glossary.csv", row, "russian", rows[row][column].replace("й", "и\u0306"))
    refused(data, f"data/glossary.csv: row {row} (line {row + 1}), column 'russian': ", "is not in Unicode normal "
            "form NFC")


@pytest.mark.parametrize("word, scripts", [("Tokаyev", "Cyrillic and Latin"), ("Тоkаев", "Cyrillic and Latin"),
                                           ("Nazarbαyev", "Greek and Latin")])
def test_word_mixing_alphabets(data: Path, word: str, scripts: str) -> None:
    edit_cell(data / "seats.csv", 2, "party", word)
    refused(data, "data/seats.csv: row 2 (line 3), column 'party': ", f"which mixes {scripts} letters", table="seats")


# --- numbers ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("written, rule", [
    ("1e-400", "too close to 0"), ("-1e-400", "too close to 0"), ("4e-320", "too close to 0"),
    ("1e400", "too large"), ("-1e400", "too large"), ("1" + "0" * 400, "too large"), ("1e999999999", "too large"),
    ("inf", "not a finite number"), ("-Infinity", "not a finite number"), ("nan", "not a finite number"),
    ("NaN", "not a finite number"), ("+INF", "not a finite number"),
])
def test_number_that_cannot_be_stored(data: Path, written: str, rule: str) -> None:
    edit_cell(data / "observations.csv", 3, "value", written)
    refused(data, "data/observations.csv: row 3 (line 4), column 'value': value ", rule, table="observations")
    with pytest.raises(kz.DataValidationError):
        kz.load("observations", data)


def test_underflow_is_refused_not_turned_into_0(data: Path) -> None:
    """The case of issue 22: 1e-400 silently became 0."""
    edit_cell(data / "observations.csv", 3, "value", "1e-400")
    refused(data, "data/observations.csv: row 3 (line 4), column 'value': value '1e-400' is too close to 0 to store "
            "as a number")


@pytest.mark.parametrize("written", ["9" * 30, "-" + "9" * 19, "9223372036854775808"])
def test_whole_number_beyond_64_bits(data: Path, written: str) -> None:
    edit_cell(data / "votes.csv", 2, "registered_voters", written)
    refused(data, "data/votes.csv: row 2 (line 3), column 'registered_voters': value ",
            "beyond the largest whole number a table holds", table="votes")


def test_exact_zero_in_any_spelling_is_a_number() -> None:
    assert validate._parse_number("0e-400") == 0.0 and validate._parse_number("-0.000") == 0.0
    assert validate._parse_number("2.5e-300") == 2.5e-300


def test_number_field_without_bounds_is_refused(data: Path) -> None:
    edit_descriptor(data, lambda d: next(f for f in resource_entry(d, "observations")["schema"]["fields"]
                                         if f["name"] == "value")["constraints"].pop("maximum"))
    refused(data, "data/datapackage.json: key 'resources[6].schema.fields[2].constraints.maximum': is missing: "
            "a number field declares its minimum and maximum")


# --- a bare carriage return -------------------------------------------------------------------------------------


def replace_text(path: Path, old: str, new: str) -> None:
    text = path.read_bytes().decode("utf-8")
    assert old in text
    path.write_bytes(text.replace(old, new, 1).encode("utf-8"))


def test_bare_carriage_return_inside_an_unquoted_field(data: Path) -> None:
    path = data / "seats.csv"
    party = read_rows(path)[2][1]
    replace_text(path, f",{party},", f",{party[:3]}\r{party[3:]},")
    stderr = refused(data, "data/seats.csv: row 2 (line 3), column 'party': a bare carriage return (\\r) inside "
                     "the field")
    assert "cells but the header" not in stderr


def test_bare_carriage_return_inside_a_quoted_field(data: Path) -> None:
    edit_cell(data / "events.csv", 4, "title", "Two\rlines")  # the csv writer quotes it
    refused(data, "data/events.csv: row 4 (line 5), column 'title': a bare carriage return (\\r) inside the field")


def test_windows_line_ends_pass_and_old_mac_line_ends_are_named(data: Path) -> None:
    path = data / "seats.csv"
    text = path.read_bytes().decode("utf-8")
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    accepted(data)
    path.write_bytes(text.replace("\n", "\r").encode("utf-8"))
    refused(data, "data/seats.csv: line 1: the lines end with bare carriage returns (\\r)")


# --- sizes ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("characters", [validate.MAX_FIELD_CHARACTERS + 1, 200_000])
def test_field_over_the_books_limit(data: Path, characters: int) -> None:
    previous = csv.field_size_limit(131_072)  # the csv module's default, whatever another library set
    try:
        edit_cell(data / "events.csv", 2, "title", "x" * characters)
        stderr = refused(data, f"data/events.csv: row 2 (line 3), column 'title': the value has {characters:,} "
                         f"characters, over the book's limit of {validate.MAX_FIELD_CHARACTERS:,} characters for "
                         "one field (kzutils.validate.MAX_FIELD_CHARACTERS)")
        assert "field larger than field limit" not in stderr and len(stderr) < 5_000
        assert csv.field_size_limit() == 131_072, "the csv module's limit is restored"
    finally:
        csv.field_size_limit(previous)


def test_field_at_the_books_limit_passes(data: Path) -> None:
    edit_cell(data / "events.csv", 2, "title", "x" * validate.MAX_FIELD_CHARACTERS)
    accepted(data)


def test_bibliography_field_over_the_books_limit(one_entry: Path) -> None:
    set_field(one_entry, KEY, "note", "x" * (validate.MAX_FIELD_CHARACTERS + 1))
    entry_refused(one_entry, f"book/references.bib: line 1, entry '{KEY}': field 'note': the value has", "over the "
                  "book's limit")


def test_file_over_the_books_limit(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate, "MAX_FILE_BYTES", 100_000)
    size = (data / "regions.geojson").stat().st_size
    refused(data, f"data/regions.geojson: the file has {size:,} bytes, over the book's limit of 100,000 bytes")


# --- paths ------------------------------------------------------------------------------------------------------


def test_data_file_that_is_a_link_out_of_the_data_folder(data: Path, tmp_path: Path) -> None:
    outside = tmp_path / "events.csv"
    shutil.copy2(data / "events.csv", outside)
    (data / "events.csv").unlink()
    (data / "events.csv").symlink_to(outside)
    refused(data, "data/datapackage.json: key 'resources[3].path': resource 'events': 'events.csv' leads to "
            f"{outside.resolve()}, outside the data folder")


def test_data_file_that_is_a_link_to_a_device(data: Path) -> None:
    (data / "events.csv").unlink()
    (data / "events.csv").symlink_to("/dev/zero")
    refused(data, "key 'resources[3].path': resource 'events': 'events.csv' leads to /dev/zero")


def test_data_file_that_is_a_pipe_does_not_hang(data: Path) -> None:
    (data / "events.csv").unlink()
    os.mkfifo(data / "events.csv")
    finished: list[str] = []
    worker = threading.Thread(target=lambda: finished.append(refused(data)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert finished, "validation hung on a named pipe"
    assert f"{data.name}/events.csv: the file listed in datapackage.json is not a regular file" in finished[0]


@pytest.mark.parametrize("path", ["../outside.csv", "/etc/passwd", "https://example.org/events.csv",
                                  "sub\\events.csv", "./events.csv", "events.csv/..", "~/events.csv", ""])
def test_resource_path_that_is_no_plain_path_inside_data(data: Path, path: str) -> None:
    edit_descriptor(data, lambda d: resource_entry(d, "events").update(path=path))
    refused(data, "data/datapackage.json: key 'resources[3].path': ", "must be a file inside data/", table="votes")


@pytest.mark.parametrize("given", ["../../../../../../../../etc/passwd", "/etc/hostname", "../book/references.txt",
                                   "https://example.org/references.bib"])
def test_bibliography_outside_the_project(data: Path, given: str) -> None:
    edit_descriptor(data, lambda d: d.update(bibliography=given))
    stderr = refused(data, "data/datapackage.json: key 'bibliography': ", table="votes")
    assert "empty bibliography" not in stderr and "no entries" not in stderr


def test_bibliography_that_is_a_link_out_of_the_project(project: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "references.bib"
    bib_path = project / "book" / "references.bib"
    shutil.copy2(bib_path, outside)
    bib_path.unlink()
    bib_path.symlink_to(outside)
    refused(project / "data", "data/datapackage.json: key 'bibliography': '../book/references.bib' leads to "
            f"{outside.resolve()}, outside the project")


def test_the_guide_states_the_limits_the_code_enforces() -> None:
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert f"longer than {validate.MAX_FIELD_CHARACTERS:,} characters" in guide
    assert f"larger than {validate.MAX_FILE_BYTES // 2**20} MiB" in guide
    assert "kzutils.validate.WEB_ADDRESS_PATTERN" in guide and "## What validation refuses" in guide


# --- structures that run away -----------------------------------------------------------------------------------


def test_descriptor_nested_too_deeply(data: Path) -> None:
    (data / "datapackage.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    refused(data, "data/datapackage.json: the JSON is nested too deeply to read")


def test_citation_address_that_is_no_text(project: Path) -> None:
    """An alias bomb in CITATION.cff is never turned into text (it would be a hundred million characters)."""
    aliases = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 8))
    path = project / "CITATION.cff"
    path.write_text(path.read_text(encoding="utf-8") + aliases + "repository-code: *a7\n", encoding="utf-8")
    refused(project / "data", "CITATION.cff: key 'repository-code': must be a web address, written as text")
