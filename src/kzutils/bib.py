"""Read `book/references.bib` strictly: its keys, and a short credit line per entry for figures."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from pybtex.database import BibliographyData, parse_string
from pybtex.exceptions import PybtexError

from kzutils.validate import DataValidationError, decode, raise_all, stamp, text_problem

_LATEX_BRACES = re.compile(r"[{}]")
_ENTRY = re.compile(r"^\s*@\s*(\w+)\s*[{(]\s*([^,\s]+)\s*,", re.M)
_SPACES = re.compile(r"[ \t\r\n]+")  # BibTeX wraps long fields over lines
_NOT_ENTRIES = {"comment", "string", "preamble"}


def read(path: Path) -> BibliographyData:
    """Parse a BibTeX file (cached until the file changes); any fault is a DataValidationError."""
    resolved = Path(path).resolve()
    return _read_cached(resolved, stamp(resolved))


def entry_lines(text: str) -> dict[str, list[int]]:
    """The line(s) where each entry key is defined (keys compared case-insensitively, as BibTeX does)."""
    lines: dict[str, list[int]] = {}
    for match in _ENTRY.finditer(text):
        if match.group(1).lower() not in _NOT_ENTRIES:
            lines.setdefault(match.group(2).lower(), []).append(text.count("\n", 0, match.start(2)) + 1)
    return lines


@functools.lru_cache(maxsize=4)
def _read_cached(path: Path, _stamp: tuple[int, int, int] | None) -> BibliographyData:
    label = f"{path.parent.name}/{path.name}"
    if _stamp is None:
        raise DataValidationError(label, None, None, "the bibliography does not exist")
    text = decode(path.read_bytes(), label)
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
    raise_all(DataValidationError(label, None, key, f"field '{name}': {problem}",
                                  line=lines.get(key.lower(), [None])[0], label="entry")
              for key, entry in data.entries.items() for name, value in entry.fields.items()
              if (problem := text_problem(_SPACES.sub(" ", value))))
    return data


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
