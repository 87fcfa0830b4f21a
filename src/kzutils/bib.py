"""Read `book/references.bib`: its keys, and a short credit line per entry for figures."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from pybtex.database import BibliographyData, parse_file

_LATEX_BRACES = re.compile(r"[{}]")


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def read(path: Path) -> BibliographyData:
    """Parse a BibTeX file (cached until the file changes)."""
    return _read_cached(Path(path).resolve(), _stamp(Path(path)))


@functools.lru_cache(maxsize=4)
def _read_cached(path: Path, _stamp: tuple[int, int]) -> BibliographyData:
    return parse_file(str(path), bib_format="bibtex")


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
