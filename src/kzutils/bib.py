"""Read and check `book/references.bib` strictly: keys, credit lines for figures, the kind of every source
(who is speaking), the rules every entry follows, and the per-chapter count of citations by kind."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

import pandas as pd
from pybtex.database import BibliographyData, Entry, parse_string
from pybtex.exceptions import PybtexError

from kzutils.reads import record
from kzutils.validate import (
    MAX_FIELD_CHARACTERS,
    DataValidationError,
    Table,
    decode,
    escaped,
    raise_all,
    read_capped,
    shown,
    stamp,
    text_problem,
    web_address_problem,
)

_LATEX_BRACES = re.compile(r"[{}]")
_ENTRY = re.compile(r"^\s*@\s*(\w+)\s*[{(]\s*([^,\s]+)\s*,", re.M)
_SPACES = re.compile(r"[ \t\r\n]+")  # BibTeX wraps long fields over lines
_NOT_ENTRIES = {"comment", "string", "preamble"}


def read(path: Path) -> BibliographyData:
    """Parse a BibTeX file (cached until the file changes); any fault is a DataValidationError."""
    resolved = Path(path).resolve()
    record([resolved])
    result = _read_cached(resolved, stamp(resolved))
    if isinstance(result, DataValidationError):  # a broken file is parsed once, not once per table that cites it
        raise result.with_traceback(None)
    return result


def entry_lines(text: str) -> dict[str, list[int]]:
    """The line(s) where each entry key is defined (keys compared case-insensitively, as BibTeX does)."""
    lines: dict[str, list[int]] = {}
    line, counted = 1, 0  # count newlines once through the text, not from its start for every entry
    for match in _ENTRY.finditer(text):
        line += text.count("\n", counted, match.start(2))
        counted = match.start(2)
        if match.group(1).lower() not in _NOT_ENTRIES:
            lines.setdefault(match.group(2).lower(), []).append(line)
    return lines


@functools.lru_cache(maxsize=4)
def _read_cached(path: Path, _stamp: tuple[int, int, int] | None) -> BibliographyData | DataValidationError:
    try:
        return _read_checked(path, _stamp)
    except DataValidationError as error:
        return error


def _read_checked(path: Path, _stamp: tuple[int, int, int] | None) -> BibliographyData:
    label = f"{path.parent.name}/{path.name}"
    if _stamp is None:
        raise DataValidationError(label, None, None, "the bibliography does not exist")
    if not path.is_file():
        raise DataValidationError(label, None, None, "the bibliography is not a regular file")
    return _parse_checked(decode(read_capped(path, label), label), label)


KEY = re.compile(r"[a-z0-9][a-z0-9_:.-]*")
"""An entry key: lower-case ASCII letters, digits and `_:.-` (it becomes a page anchor, cite-KEY)."""

_LATEX_LINK = re.compile(r"\\(url|href|hyperlink|hyperref)\b")


def _parse_checked(text: str, label: str) -> BibliographyData:
    """The parsed bibliography, after checking for duplicate keys and unpublishable text."""
    lines = entry_lines(text)
    raise_all(DataValidationError(label, None, key, f"the entry key is defined {len(at)} times (lines "
                                  f"{', '.join(map(str, at))})", line=at[-1], label="entry")
              for key, at in lines.items() if len(at) > 1)
    try:
        data = parse_string(text, "bibtex")
    except PybtexError as exc:
        raise DataValidationError(label, None, None, f"not valid BibTeX: {exc}", line=getattr(exc, "lineno", None)) from None
    if not data.entries:
        raise DataValidationError(label, None, None, "the bibliography has no entries")
    raise_all(DataValidationError(label, None, key if KEY.fullmatch(key) else shown(key), problem,
                                  line=lines.get(key.lower(), [None])[0], label="entry")
              for key, entry in data.entries.items() for problem in _text_problems(key, entry))
    return data


def _text_problems(key: str, entry: Entry) -> list[str]:
    """What in one entry cannot be published: its key, and every field's and name's text."""
    problems = []
    if not KEY.fullmatch(key):
        problems.append("the entry key must be lower-case ASCII letters, digits and _:.- (it becomes a page "
                        "anchor)")
    texts = [(f"field '{name}'", value) for name, value in entry.fields.items()]
    texts += [(f"field '{role}'", str(person)) for role, people in entry.persons.items() for person in people]
    for where, value in texts:
        if len(value) > MAX_FIELD_CHARACTERS:
            problems.append(f"{where}: the value has {len(value):,} characters, over the book's limit of "
                            f"{MAX_FIELD_CHARACTERS:,} characters for one field "
                            "(kzutils.validate.MAX_FIELD_CHARACTERS)")
        elif problem := text_problem(_SPACES.sub(" ", value)):
            problems.append(f"{where}: {problem}")
        elif _LATEX_LINK.search(value):
            problems.append(f"{where}: holds a LaTeX link command ({_LATEX_LINK.search(value).group(0)}); write "
                            "the web address in the url field")
    return problems


def keys(path: Path) -> set[str]:
    """Every entry key in the BibTeX file."""
    return set(read(path).entries.keys())


def credit(path: Path, key: str) -> str:
    """A short credit for a figure's source line, e.g. 'Central Election Commission (2022)'."""
    entry = read(path).entries[key]
    fields = entry.fields
    if entry.persons.get("author"):
        names = [" ".join(p.last_names) for p in entry.persons["author"]]
        who = names[0] + (" et al." if len(names) > 2 else f" and {names[1]}" if len(names) == 2 else "")
    else:
        who = fields.get("organization") or fields.get("publisher") or fields.get("institution") or key
    return f"{_LATEX_BRACES.sub('', who)} ({fields.get('year', 'n.d.')})"


# --- who is speaking: the kind of every source ---------------------------------------------------

KINDS: dict[str, str] = {
    "official": "official body (government, commission, court, parliament, president's office)",
    "state-media": "Kazakh state-owned or state-aligned media",
    "independent-media": "independent national or international media",
    "wire": "international wire agency",
    "foreign-state-media": "media owned or funded by a foreign state",
    "intl-org": "international organisation or observer mission",
    "ngo": "NGO or human-rights group",
    "academic": "think tank or academic",
    "encyclopedia": "encyclopedia",
    "syndicated": "syndicated copy or aggregator",
}
"""The fixed vocabulary of the `kind` field, with a reader's label for each kind."""

STATE_KINDS: tuple[str, ...] = ("state-media", "official", "foreign-state-media")
"""Kinds through which a state speaks: counted together in the per-chapter summary."""

WEAK_KINDS: tuple[str, ...] = ("syndicated", "encyclopedia")
"""Kinds a data row may rest on only when the entry is marked as not upgradable (`upgrade = {not found: ...}`)."""

NOT_FOUND = re.compile(r"^\s*not[ -]found\b", re.I)


class BibliographyError(DataValidationError):
    """A bibliography entry breaks a rule: the message names the file, the entry (and its line) and the field."""

    def __init__(self, path: Path | str, key: str, field: str, problem: str, line: int | None = None) -> None:
        self.key = key
        super().__init__(path, None, field, problem, line=line)

    def describe(self) -> str:
        """Return the one-line message a reader sees."""
        where = f"line {self.line}, " if self.line is not None else ""
        return escaped(f"{self.path}: {where}entry '{self.key}', field '{self.column}': {self.problem}")


def _field(entry: Entry, name: str) -> str:
    return _LATEX_BRACES.sub("", entry.fields.get(name, "")).strip()


def _plain(text: str) -> str:
    """BibTeX-escaped text as a reader sees it (\\% -> %, \\& -> &, ...)."""
    return re.sub(r"\\([%$&#_])", r"\1", text)


def is_bare_homepage(url: str) -> bool:
    """True for a site's front page (no path beyond "/" and no query), which documents nothing."""
    parts = urlsplit(url)
    return parts.path.strip("/") == "" and not parts.query


def is_unupgradable(entry: Entry) -> bool:
    """True if the entry is marked `upgrade = {not found: ...}`: no original could be read."""
    return bool(NOT_FOUND.match(_field(entry, "upgrade")))


def check_entries(path: Path) -> None:
    """Every entry has a kind from KINDS, a publisher, an origin if syndicated, and no bare-homepage URL."""
    resolved = Path(path).resolve()
    problems = [BibliographyError(_label(path), *found) for found in _entry_problems_cached(resolved, stamp(resolved))]
    if problems:
        problems[0].others = problems[1:]
        raise problems[0]


@functools.lru_cache(maxsize=4)
def _entry_problems_cached(path: Path, _stamp: tuple[int, int, int] | None) -> tuple[tuple[Any, ...], ...]:
    """(key, field, problem, line) of every vocabulary problem, computed once until the file changes."""
    return tuple((key, field, problem, line)
                 for key, entry, line in _entries_with_lines(path) for field, problem in entry_problems(entry))


def _label(path: Path) -> str:
    return f"{Path(path).parent.name}/{Path(path).name}"


def _entries_with_lines(path: Path) -> list[tuple[str, Entry, int | None]]:
    entries = read(path).entries  # first: a missing or broken file gets its own clear message
    lines = entry_lines(Path(path).read_text(encoding="utf-8"))
    return [(key, entry, lines.get(key.lower(), [None])[0]) for key, entry in entries.items()]


def entry_problems(entry: Entry) -> list[tuple[str, str]]:
    """(field, problem) for every rule of the vocabulary that one entry breaks."""
    kind, upgrade, url = _field(entry, "kind"), _field(entry, "upgrade"), _field(entry, "url")
    problems = []
    if kind not in KINDS:
        problems.append(("kind", "is missing" if not kind else f"value {kind!r} is not one of {list(KINDS)}"))
    if not _field(entry, "publisher"):
        problems.append(("publisher", "is missing"))
    if kind == "syndicated" and not _field(entry, "origin"):
        problems.append(("origin", "a syndicated copy must name its original outlet"))
    problems += link_problems(entry)
    if url and not any(field == "url" for field, _ in problems) and is_bare_homepage(url):
        problems.append(("url", f"{url!r} is a bare homepage, not the document read"))
    if upgrade and not NOT_FOUND.match(upgrade):
        problems.append(("upgrade", f"value {upgrade!r} must start with 'not found:'"))
    if upgrade and kind not in WEAK_KINDS:
        problems.append(("upgrade", f"only {list(WEAK_KINDS)} entries are marked for upgrade"))
    return problems


DOI = re.compile(r"10\.[0-9]{4,9}/[^\s<>\"{}|\\^`]+")
"""A DOI as BibTeX's `doi` field holds it (the bibliography links it as https://doi.org/<doi>)."""

DOI_LINK = re.compile(r"https://(dx\.)?doi\.org/" + DOI.pattern)

LINKED_FIELDS = {"eprint": re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]*"), "pubmed": re.compile(r"[0-9]+")}
"""Fields the bibliography style turns into links on fixed https sites (arXiv, PubMed), with what they may hold."""


def link_problems(entry: Entry) -> list[tuple[str, str]]:
    """(field, problem) for every field that the bibliography page and the PDF turn into a link, unless it is an
    http(s) web address (`url`), a DOI (bare, or as an https DOI link) or an identifier of the form expected."""
    problems = []
    if "url" in entry.fields:
        problem = web_address_problem(entry.fields["url"])
        if problem:
            problems.append(("url", problem))
    if "doi" in entry.fields:
        doi = entry.fields["doi"]
        if DOI_LINK.fullmatch(doi):  # the bibliography adds https://doi.org/ itself: a link would be doubled
            problems.append(("doi", f"{shown(doi)} is a link: write the bare DOI (10.<registrant>/<suffix>)"))
        elif not DOI.fullmatch(doi):
            problems.append(("doi", f"{shown(doi)} is not a DOI (10.<registrant>/<suffix>)"))
    for name, form in LINKED_FIELDS.items():
        if name in entry.fields and not form.fullmatch(entry.fields[name]):
            problems.append((name, f"{shown(entry.fields[name])} is not an identifier the bibliography can link"))
    return problems


def check_strong_sources(table: Table, column: str, path: Path) -> None:
    """No data row may rest on a syndicated copy or encyclopedia unless the entry is marked not upgradable."""
    entries = read(path).entries
    for row, (key,) in table.rows([column]):
        entry = entries.get(key) if key is not None else None  # an optional source may be empty
        if entry is not None and _field(entry, "kind") in WEAK_KINDS and not is_unupgradable(entry):
            table.fail(row, column, f"source {key!r} is a {_field(entry, 'kind')} entry: cite the original, or "
                       "mark the entry `upgrade = {not found: <what was searched>}`")


def kinds(path: Path) -> dict[str, str]:
    """The kind of every entry, by key."""
    return {key: _field(entry, "kind") for key, entry in read(path).entries.items()}


def sources_table(path: Path) -> pd.DataFrame:
    """One row per entry: key, kind, publisher and (for copies) original outlet, sorted by kind then key."""
    rows = [
        {"key": key, "kind": _field(e, "kind"), "publisher": _field(e, "publisher"), "origin": _field(e, "origin")}
        for key, e in read(path).entries.items()
    ]
    order = {kind: i for i, kind in enumerate(KINDS)}
    frame = pd.DataFrame(rows, columns=["key", "kind", "publisher", "origin"])
    return frame.sort_values(["kind", "key"], key=lambda s: s.map(order) if s.name == "kind" else s.str.lower(),
                             ignore_index=True)


def not_upgraded(path: Path) -> pd.DataFrame:
    """The entries marked `upgrade = {not found: ...}`: key, publisher, original outlet and what was searched."""
    rows = [
        {"key": key, "publisher": _field(e, "publisher"), "origin": _field(e, "origin"),
         "searched": _plain(NOT_FOUND.sub("", _field(e, "upgrade")).lstrip(" :"))}
        for key, e in read(path).entries.items() if is_unupgradable(e)
    ]
    return pd.DataFrame(rows, columns=["key", "publisher", "origin", "searched"])


def kinds_by_page(citations: Mapping[str, list[str]], path: Path) -> pd.DataFrame:
    """Citations per kind for each page ({page label: the keys it cites, once per citation}), with a
    state-sources column (state-media + official + foreign-state-media) and its share of the page's citations."""
    by_key = kinds(path)
    rows = []
    for page, cited in citations.items():
        counts = {kind: sum(1 for key in cited if by_key.get(key) == kind) for kind in KINDS}
        total = len(cited)
        state = sum(counts[k] for k in STATE_KINDS)
        rows.append({"chapter": page, **counts, "total": total, "state sources": state,
                     "state share (%)": round(100 * state / total, 1) if total else 0.0})
    return pd.DataFrame(rows, columns=["chapter", *KINDS, "total", "state sources", "state share (%)"])
