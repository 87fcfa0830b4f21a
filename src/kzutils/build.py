"""Build the book strictly, and never from stale outputs.

Jupyter Book's execution cache keys only on a notebook's code cells, and Sphinx re-reads only the
pages whose text changed. So a build is made clean (every notebook re-executed) whenever anything a
notebook reads has changed since the last successful build -- the data package, the bibliography,
kzutils itself or the book's configuration -- and after any failed build, so that a failing cell
fails every build, not only the one that first ran it.

The data are validated before anything runs: bad data stops the build with the validator's message as
its last lines. One build at a time writes an output folder: a second one waits for the first's lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Sequence

STAMP = ".kz-inputs.sha256"
LOCK = "_build.lock"
STRICT_FLAGS = ("-W", "-n", "--keep-going")
MANAGED_ENV = "KZ_INPUTS_SHA256"  # tells kzutils.sphinx_ext that this build checked its inputs already


def input_files(book: Path, data_dir: Path) -> list[Path]:
    """Every file whose change must re-execute all notebooks."""
    package = Path(__file__).resolve().parent
    files = [p for p in sorted(data_dir.rglob("*")) if p.is_file()]
    files += sorted(package.glob("*.py"))
    files += [book / name for name in ("_config.yml", "_toc.yml", "references.bib") if (book / name).is_file()]
    # The version and release date in the cite boxes, how-to-cite's BibTeX and SOURCE_DATE_EPOCH.
    files += [p for p in (data_dir.parent / "CITATION.cff",) if p.is_file()]
    files += sorted(p for p in book.rglob("*.py") if "_build" not in p.parts)
    return files


def fingerprint(files: Iterable[Path]) -> str:
    """SHA-256 over the files' names and contents."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def release_epoch(data_dir: Path) -> str:
    """The release date in CITATION.cff as seconds since 1970, for SOURCE_DATE_EPOCH."""
    import datetime as dt

    from kzutils.meta import citation

    released = dt.date.fromisoformat(citation(data_dir)["date-released"])
    return str(int(dt.datetime(released.year, released.month, released.day, tzinfo=dt.timezone.utc).timestamp()))


def needs_clean_build(build_dir: Path, current: str) -> bool:
    """True when the last build failed or its inputs differ from now."""
    stamp = build_dir / STAMP
    return not stamp.is_file() or stamp.read_text().strip() != current


def jupyter_book_command(book: Path, out: Path, builder: str, extra: Sequence[str] = ()) -> list[str]:
    """The strict `jupyter-book build` command line."""
    return [
        sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
        "build", str(book), "--path-output", str(out), "--builder", builder, *STRICT_FLAGS, *extra,
    ]


EDITIONS = ("full", "student")


def student_config(book: Path) -> str:
    """The book's _config.yml for the student edition: solutions left out (kzutils.sphinx_ext), title marked."""
    import yaml

    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = f"{config['title']} (student edition)"
    config.setdefault("sphinx", {}).setdefault("config", {})["kz_edition"] = "student"
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def build(book: Path, out: Path, data_dir: Path, builder: str = "html", extra: Sequence[str] = (),
          edition: str = "full") -> int:
    """Build the book into `out/_build`, clean when inputs changed or the last build failed; return the exit code."""
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}, not {edition!r}")
    from kzutils.data import check_package
    from kzutils.validate import summary

    error = check_package(data_dir)[1]
    if error is not None:
        print(f"kzutils build: nothing was built. {summary(error)}", file=sys.stderr, flush=True)
        return 1
    if edition == "student":
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "_config.yml"
            config.write_text(student_config(book), encoding="utf-8")
            return _build(book, out, data_dir, builder, (*extra, "--config", str(config)))
    return _build(book, out, data_dir, builder, extra)


def lock_files(out: Path) -> list[Path]:
    """The lock of `out`, after the lock of every build folder that holds it (outermost first)."""
    return [*(folder.parent / LOCK for folder in reversed(out.parents) if folder.name == "_build"), out / LOCK]


@contextlib.contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """Hold the build locks of `out`; while another build holds one, say so and wait for it."""
    with contextlib.ExitStack() as stack:
        for path in lock_files(out):
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = stack.enter_context(path.open("a+", encoding="utf-8"))
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                print(f"kzutils build: another build ({handle.read().strip() or 'unknown'}) holds {path}; "
                      "waiting for it to finish", flush=True)
                fcntl.flock(handle, fcntl.LOCK_EX)
            handle.truncate(0)
            handle.write(f"pid {os.getpid()}\n")
            handle.flush()
        yield


def _build(book: Path, out: Path, data_dir: Path, builder: str, extra: Sequence[str]) -> int:
    with exclusive(out):
        return _build_locked(book, out, data_dir, builder, extra)


def _build_locked(book: Path, out: Path, data_dir: Path, builder: str, extra: Sequence[str]) -> int:
    current = fingerprint(input_files(book, data_dir))
    build_dir = out / "_build"  # where jupyter-book writes; `out` itself may be the book folder
    if needs_clean_build(build_dir, current) and build_dir.exists():
        print(f"kzutils build: inputs changed or last build failed: cleaning {build_dir}", flush=True)
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    (build_dir / STAMP).unlink(missing_ok=True)
    env = {**os.environ, "KZ_DATA_DIR": str(data_dir), MANAGED_ENV: current}
    # Matplotlib stamps SVG and PDF figures with the build date unless this is set; the release date keeps
    # rebuilds of the same sources byte-identical whatever format a chapter chooses.
    env.setdefault("SOURCE_DATE_EPOCH", release_epoch(data_dir))
    code = subprocess.run(jupyter_book_command(book, out, builder, extra), env=env, check=False).returncode
    if code == 0:
        (build_dir / STAMP).write_text(current + "\n")
    return code
