"""Which files a running notebook reads: when $KZ_READ_LOG names a file, every file kzutils reads for it is
appended there (one absolute path a line), so a build can re-execute exactly the notebooks a change touches.

A reader that uses only part of a file names a view of it (`VIEWS`): the chapter list of `_toc.yml`, the
citations of a page. The file counts as changed only when that part does, so editing a
chapter's code does not re-execute the pages that list its citations."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
from pathlib import Path
from typing import Iterable, Iterator

LOG_ENV = "KZ_READ_LOG"
VIEW_MARK = "::"  # "PATH::VIEW": only that view of the file was read
# A view's name: the function (module:name) that takes the file's text and returns what the reader uses.
VIEWS = {
    "toc-chapters": "kzutils.bib:toc_chapter_files",
    "title": "kzutils.bib:page_title",
    "citations": "kzutils.bib:cited_keys",
}
_captures: list[set[str]] = []


def record(paths: Iterable[Path | str], view: str | None = None) -> None:
    """Note that these files (or only their `view`, one of VIEWS) were read: into the innermost capture if one
    is open, else into the log."""
    log = os.environ.get(LOG_ENV)
    if not log:
        return  # nobody is listening: outside a build, reading costs nothing extra
    if view is not None and view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; known: {sorted(VIEWS)}")
    suffix = f"{VIEW_MARK}{view}" if view else ""
    names = {f"{Path(p).resolve()}{suffix}" for p in paths}
    if _captures:
        _captures[-1].update(names)
        return
    if names:
        with open(log, "a", encoding="utf-8") as handle:
            handle.writelines(f"{name}\n" for name in sorted(names))


@contextlib.contextmanager
def capture() -> Iterator[set[str]]:
    """Collect the files read inside the block instead of logging them (facts log them when used)."""
    files: set[str] = set()
    _captures.append(files)
    try:
        yield files
    finally:
        _captures.pop()
        if _captures:
            _captures[-1].update(files)


def digest(entry: str) -> str | None:
    """SHA-256 of what a log entry stands for: a file's bytes, or the JSON of its view; None if it is gone."""
    path, _, view = entry.partition(VIEW_MARK)
    try:
        content = Path(path).read_bytes()
    except OSError:
        return None
    if not view:
        return hashlib.sha256(content).hexdigest()
    module, _, name = VIEWS[view].partition(":")
    used = getattr(importlib.import_module(module), name)(content.decode("utf-8"))
    return hashlib.sha256(json.dumps(used, sort_keys=True).encode()).hexdigest()
