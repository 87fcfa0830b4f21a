"""Which files a running notebook reads: when $KZ_READ_LOG names a file, every file kzutils reads for it is
appended there (one absolute path a line), so a build can re-execute exactly the notebooks a change touches."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterable, Iterator

LOG_ENV = "KZ_READ_LOG"
_captures: list[set[str]] = []


def record(paths: Iterable[Path | str]) -> None:
    """Note that these files were read: into the innermost capture if one is open, else into the log."""
    log = os.environ.get(LOG_ENV)
    if not log:
        return  # nobody is listening: outside a build, reading costs nothing extra
    names = {str(Path(p).resolve()) for p in paths}
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
