"""What is fresh: the one place that decides what a build of the book must do again.

Jupyter Book's execution cache keys a notebook on its code cells only, and Sphinx reads again only pages
whose text changed. Neither notices an edited CSV, a new pandas or a new version of kzutils. Each build
folder therefore keeps one state file, `_build/.kz-state.json` (written whole, never in place), holding:

- `environment`: a digest of what every notebook depends on without reading it: the Python version, every
  installed distribution and its version, kzutils' chapter-side modules, `_config.yml`'s execute and parse
  settings and the release date. When it changes, the build starts from nothing.
- `sphinx`: a digest of what every page's rendering depends on besides its own text and notebook: the rest
  of `_config.yml`, `_toc.yml`, the bibliography, `CITATION.cff`, `_static/`, `_latex/` and kzutils' build
  modules. When it changes, Sphinx reads every page again; notebooks come from the execution cache.
- `files`: the digest of every file of the data package and of every file a notebook read.
- `reads`: for every page whose notebook ran, the files it read (kzutils.reads).
- `succeeded`: false from the moment a build starts until it ends without error. After a failed or killed
  build Sphinx reads every page again, so that a failure is never hidden by an incremental build.
- `executed`: the pages whose notebooks ran in the last build.
- `published`: for `kzutils build`, the fingerprint of everything the last published output was built from.

A changed file in `files` re-executes exactly the pages whose notebooks read it, and makes Sphinx read again
every page that prints facts (their numbers come from the data). A missing or damaged state file means
"start from nothing", never "reuse".
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

STATE = ".kz-state.json"
VERSION = 1
KZUTILS = Path(__file__).resolve().parents[1]  # src/kzutils
BUILD_MODULES = Path(__file__).resolve().parent  # src/kzutils/build: never imported by a notebook
SPHINX_FILES = ("_toc.yml", "references.bib")
SPHINX_FOLDERS = ("_static", "_latex")


def digest_file(path: Path) -> str | None:
    """SHA-256 of a file's bytes (None if it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _files_digest(paths: Iterable[Path]) -> list[tuple[str, str | None]]:
    return [(str(p), digest_file(p)) for p in paths]


def installed_distributions() -> list[tuple[str, str]]:
    """(name, version) of every installed distribution: a new library version is a new environment."""
    return sorted({(d.metadata["Name"] or "?", d.version) for d in importlib.metadata.distributions()})


def chapter_modules() -> list[Path]:
    """kzutils' modules a notebook may import (everything but the build subpackage)."""
    return sorted(p for p in KZUTILS.rglob("*.py") if BUILD_MODULES not in p.parents)


def book_config(book: Path) -> dict[str, Any]:
    """The book's _config.yml (empty if it is missing or empty)."""
    import yaml

    path = book / "_config.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.is_file() else {}


def environment_digest(book: Path, release_epoch: str) -> str:
    """What every notebook depends on without reading it."""
    config = book_config(book)
    return _digest(sys.version, installed_distributions(), _files_digest(chapter_modules()),
                   config.get("execute"), config.get("parse"), release_epoch)


def sphinx_digest(book: Path, project: Path) -> str:
    """What the rendering of every page depends on besides its own text and notebook."""
    config = {k: v for k, v in book_config(book).items() if k not in ("execute", "parse")}
    files = [book / name for name in SPHINX_FILES] + [project / "CITATION.cff"]
    files += sorted(p for folder in SPHINX_FOLDERS for p in (book / folder).rglob("*") if p.is_file())
    files += sorted(BUILD_MODULES.rglob("*.py"))
    return _digest(config, _files_digest(files))


def data_files(data_dir: Path) -> list[Path]:
    """Every file of the data package."""
    return sorted(p for p in data_dir.rglob("*") if p.is_file())


@dataclass
class Plan:
    """What a build must do again, and why."""

    start_over: bool = False  # remove everything: execution cache, Sphinx's environment, outputs
    read_all: bool = False  # Sphinx reads every page again (notebooks from the cache)
    reexecute: set[str] = field(default_factory=set)  # pages whose notebooks must run again
    changed_files: set[str] = field(default_factory=set)
    reason: str = ""


def read_state(build_dir: Path) -> dict[str, Any] | None:
    """The state of the last build in `build_dir`, or None if there is none or it cannot be trusted."""
    try:
        state = json.loads((build_dir / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    expected = {"version": int, "environment": str, "sphinx": str, "files": dict, "reads": dict, "succeeded": bool}
    if not isinstance(state, dict) or any(not isinstance(state.get(k), t) for k, t in expected.items()):
        return None
    if state["version"] != VERSION or not all(isinstance(v, list) for v in state["reads"].values()):
        return None
    return state


def write_state(build_dir: Path, state: dict[str, Any]) -> None:
    """Write the state file whole: to a temporary file first, then renamed over the old one."""
    build_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=build_dir, prefix=STATE, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(state, out, indent=1, sort_keys=True)
        os.replace(temporary, build_dir / STATE)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def plan(state: dict[str, Any] | None, environment: str, sphinx: str) -> Plan:
    """Compare the last build's state with now."""
    if state is None:
        return Plan(start_over=True, reason="no usable record of an earlier build")
    if state["environment"] != environment:
        return Plan(start_over=True, reason="Python, a library, kzutils or the execution settings changed")
    changed = {path for path, old in state["files"].items() if digest_file(Path(path)) != old}
    readers = {page for page, files in state["reads"].items() if changed & set(files)}
    read_all = state["sphinx"] != sphinx or not state["succeeded"]
    why = ("the last build failed or was stopped" if not state["succeeded"] else
           "the configuration, the bibliography or the build code changed" if read_all else "")
    return Plan(read_all=read_all, reexecute=readers, changed_files=changed, reason=why)


def new_state(old: dict[str, Any] | None, environment: str, sphinx: str, data_dir: Path,
              executed: dict[str, list[str]], succeeded: bool) -> dict[str, Any]:
    """The state after a build: the reads of the pages executed now, those of the others from before, and the
    digest of every data file and of every file a notebook read."""
    reads = {**(old or {}).get("reads", {}), **executed}
    paths = {str(p) for p in data_files(data_dir)} | {f for files in reads.values() for f in files}
    return {"version": VERSION, "environment": environment, "sphinx": sphinx, "succeeded": succeeded,
            "files": {p: digest_file(Path(p)) for p in sorted(paths)}, "reads": reads, "executed": sorted(executed),
            "published": (old or {}).get("published", {})}


def whole_fingerprint(book: Path, data_dir: Path, environment: str, sphinx: str, options: Any) -> str:
    """Everything an output is built from: the environment, the Sphinx-side files, every page and data file,
    the notebook copies the pages link to, and the build's options."""
    from kzutils.build.pages import SKIPPED_FOLDERS

    notebooks = data_dir.parent / "notebooks"
    files = [p for p in sorted(book.rglob("*")) if p.is_file() and not SKIPPED_FOLDERS & set(p.relative_to(book).parts)]
    files += data_files(data_dir) + (sorted(notebooks.glob("*.ipynb")) if notebooks.is_dir() else [])
    return _digest(environment, sphinx, _files_digest(files), options)
