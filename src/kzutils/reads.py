"""Which files a running notebook reads. While the book builds, $KZ_READ_LOG names a file for the page being
executed, and every file kzutils reads for it is appended there (one absolute path a line); the build then
re-executes a page only when a file it read has changed (kzutils.build.freshness). Outside a build nothing is
recorded."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterable, Iterator

LOG_ENV = "KZ_READ_LOG"
BUILDER_ENV = "KZ_READ_LOG_BUILDER"  # the Sphinx process that set the log: its own reads are not the notebook's
_captures: list[set[str]] = []


def record(paths: Iterable[Path | str]) -> None:
    """Note that these files were read: into the innermost capture if one is open, else into the log."""
    log = os.environ.get(LOG_ENV)
    if not log or os.environ.get(BUILDER_ENV) == str(os.getpid()):
        return
    names = {str(Path(p).resolve()) for p in paths}
    if _captures:
        _captures[-1].update(names)
        return
    with open(log, "a", encoding="utf-8") as handle:  # an empty record still marks the page as executed
        handle.writelines(f"{name}\n" for name in sorted(names))


@contextlib.contextmanager
def capture() -> Iterator[set[str]]:
    """Collect the files read inside the block instead of logging them (facts log theirs when one is used)."""
    files: set[str] = set()
    _captures.append(files)
    try:
        yield files
    finally:
        _captures.pop()
        if _captures:
            _captures[-1].update(files)


record(())  # importing kzutils in a page's kernel marks the page as executed, even if it reads nothing
