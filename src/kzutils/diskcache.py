"""Keep validated tables and computed facts on disk, keyed by the bytes they come from, so that each of a
build's notebooks (one process each) does not parse, validate and compute the same package again.

An entry's key is a SHA-256 over everything its value depends on: the kzutils source, the Python and pandas
versions, the data folder's path and the bytes of every file read. A changed byte is a new key, so an entry
is never stale; a failure (bad data) is never stored, so it is raised again by every process. The folder is
$KZ_CACHE_DIR (`kzutils build` points it into the build folder), else the user's cache folder; set
KZ_CACHE_DIR=off to compute everything in memory as before.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterable, TypeVar

ENV = "KZ_CACHE_DIR"
OFF = "off"
T = TypeVar("T")


def folder() -> Path | None:
    """Where entries live, or None when the disk cache is off."""
    chosen = os.environ.get(ENV)
    if chosen == OFF:
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache" if Path.home().is_dir() else None)
    return Path(base) / "kzutils" if base else None


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 of the kzutils modules and the library versions that shape a cached value."""
    import pandas as pd
    import pybtex

    versions = f"{sys.version}|{pd.__version__}|{pybtex.__version__}|{pickle.HIGHEST_PROTOCOL}"
    digest = hashlib.sha256(versions.encode())
    for module in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(module.name.encode())
        digest.update(module.read_bytes())
    return digest.hexdigest()


def key(kind: str, scope: Path, files: Iterable[Path]) -> str:
    """The entry's name: its kind, and a digest of the code, the scope (a data folder) and the files' bytes."""
    digest = hashlib.sha256(f"{code_digest()}|{kind}|{Path(scope).resolve()}".encode())
    for path in files:
        digest.update(str(path).encode())
        try:
            digest.update(Path(path).read_bytes())
        except OSError:
            digest.update(b"\0missing")
    return f"{kind}-{digest.hexdigest()[:40]}"


def cached(kind: str, scope: Path, files: Iterable[Path], compute: Callable[[], T]) -> T:
    """The stored value for these files' bytes, else `compute()`, stored when it returns (never when it raises)."""
    where = folder()
    if where is None:
        return compute()
    path = where / f"{key(kind, scope, files)}.pickle"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        pass
    except Exception:  # a damaged or foreign entry: compute afresh and replace it
        path.unlink(missing_ok=True)
    value = compute()
    _store(path, value)
    return value


def _store(path: Path, value: object) -> None:
    """Write the entry atomically; a cache that cannot be written is no error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except Exception:  # unwritable or unpicklable: leave no half-written file
        Path(temporary).unlink(missing_ok=True)
