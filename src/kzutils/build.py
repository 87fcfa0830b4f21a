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
from typing import Any, Iterable, Iterator, Sequence

from kzutils import diskcache

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


SPHINX_SIDE = ("__main__.py", "build.py", "prefill.py", "sphinx_ext.py")  # never imported by a notebook
CACHE = ".jupyter_cache"
TABLES = ".kz-tables"  # kzutils.diskcache's entries: keyed by content, so they survive a clean build
EXEC_STAMP = "kz-execution.sha256"  # in the cache folder


def sphinx_files(book: Path, data_dir: Path) -> list[Path]:
    """The files whose change makes Sphinx read every page again (notebooks come from the cache): the inputs
    less the data files, whose readers are re-executed one by one (kzutils.prefill)."""
    return [p for p in input_files(book, data_dir) if data_dir.resolve() not in p.resolve().parents]


def execution_fingerprint(book: Path, data_dir: Path) -> str:
    """SHA-256 over what every notebook depends on but does not record reading: the kzutils modules a kernel
    imports, the book's own Python files, _config.yml's execution settings and the release date."""
    package = Path(__file__).resolve().parent
    files = [p for p in sorted(package.glob("*.py")) if p.name not in SPHINX_SIDE]
    files += sorted(p for p in book.rglob("*.py") if "_build" not in p.parts)
    digest = hashlib.sha256(fingerprint(files).encode())
    config = book_config(book)
    digest.update(repr(sorted((config.get("execute") or {}).items())).encode())
    digest.update(repr(config.get("parse")).encode())  # how code cells are read from the pages
    digest.update(release_epoch(data_dir).encode())
    return digest.hexdigest()


def fingerprint(files: Iterable[Path]) -> str:
    """SHA-256 over the files' names and contents."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def book_config(book: Path) -> dict[str, Any]:
    """The book's _config.yml."""
    import yaml

    return yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8")) or {}


def latex_engine(book: Path) -> str | None:
    """The LaTeX engine the book's _config.yml asks for."""
    return (book_config(book).get("latex") or {}).get("latex_engine")


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


def shared_cache(out: Path) -> Path:
    """The execution cache of a build into `out`: that of the nearest enclosing build folder (the student edition
    in book/_build/student re-uses the full edition's notebooks), else out/_build's own."""
    for folder in out.resolve().parents:
        if folder.name == "_build":
            return folder / CACHE
    return out / "_build" / CACHE


def student_config(book: Path, cache: Path | None = None) -> str:
    """The book's _config.yml for the student edition: solutions left out (kzutils.sphinx_ext), title marked,
    and executed notebooks shared with the full edition through `cache`."""
    import yaml

    config = book_config(book)
    config["title"] = f"{config['title']} (student edition)"
    config.setdefault("sphinx", {}).setdefault("config", {})["kz_edition"] = "student"
    if cache is not None:
        config.setdefault("execute", {})["cache"] = str(cache)
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def build(book: Path, out: Path, data_dir: Path, builder: str = "html", extra: Sequence[str] = (),
          edition: str = "full") -> int:
    """Build the book into `out/_build`, clean when inputs changed or the last build failed; return the exit code."""
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}, not {edition!r}")
    from kzutils.data import check_package
    from kzutils.validate import summary

    with cache_setting(tables_dir(out, edition)):  # the validated tables are then the notebooks' to read
        error = check_package(data_dir)[1]
    if error is not None:
        print(f"kzutils build: nothing was built. {summary(error)}", file=sys.stderr, flush=True)
        return 1
    if edition == "student":
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "_config.yml"
            config.write_text(student_config(book, shared_cache(out)), encoding="utf-8")
            return _build(book, out, data_dir, builder, (*extra, "--config", str(config)), edition, extra)
    return _build(book, out, data_dir, builder, extra, edition, extra)


def tables_dir(out: Path, edition: str) -> Path:
    """Where a build's notebooks keep validated tables and facts (kzutils.diskcache): beside the execution cache
    they use."""
    cache = shared_cache(out) if edition == "student" else out / "_build" / CACHE
    return cache.parent / TABLES


@contextlib.contextmanager
def cache_setting(folder: Path) -> Iterator[None]:
    """$KZ_CACHE_DIR set to `folder` for the block, unless the caller has set it."""
    if os.environ.get(diskcache.ENV):
        yield
        return
    os.environ[diskcache.ENV] = str(folder)
    try:
        yield
    finally:
        os.environ.pop(diskcache.ENV, None)


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


def _build(book: Path, out: Path, data_dir: Path, builder: str, extra: Sequence[str], edition: str = "full",
           options: Sequence[str] = ()) -> int:
    """Build under the output's lock, unless nothing changed since the last success (`options`: the caller's
    own extra arguments, without the temporary configuration file of the student edition)."""
    with exclusive(out):
        build_dir = out / "_build"
        done = build_dir / f".kz-built-{builder}.sha256"
        everything = whole_build_fingerprint(book, data_dir, builder, options, edition)
        if done.is_file() and done.read_text().strip() == everything and output_folder(build_dir, builder).is_dir():
            print(f"kzutils build: nothing has changed since the last successful {builder} build in {build_dir}; "
                  "it is up to date", flush=True)
            return 0
        done.unlink(missing_ok=True)
        code = _build_locked(book, out, data_dir, builder, extra, edition)
        if code == 0:
            done.write_text(everything + "\n")
        return code


def output_folder(build_dir: Path, builder: str) -> Path:
    """Where jupyter-book writes a builder's output."""
    return build_dir / ("latex" if builder in ("latex", "pdflatex") else builder)


def book_files(book: Path) -> list[Path]:
    """Every file of the book's sources: pages, configuration, bibliography, static files (no build output)."""
    skip = {"_build", "__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
    found = []
    for folder, folders, files in os.walk(book):
        folders[:] = sorted(name for name in folders if name not in skip)
        found += [Path(folder) / name for name in sorted(files)]
    return found


def installed_distributions() -> list[str]:
    """The name-version of every installed distribution on sys.path (a changed library is a changed build)."""
    names = []
    for entry in sys.path:
        with contextlib.suppress(OSError):
            names += sorted(name for name in os.listdir(entry or ".") if name.endswith((".dist-info", ".egg-info")))
    return names


def whole_build_fingerprint(book: Path, data_dir: Path, builder: str, extra: Sequence[str], edition: str) -> str:
    """SHA-256 over everything a build's output follows from: the book's, the data's and the notebooks' files,
    kzutils, the release metadata, the installed libraries, the build's options and its KZ_* settings. Equal to the last
    successful build's: nothing to do (Sphinx would read, execute and write nothing)."""
    package = Path(__file__).resolve().parent
    citation = [p for p in (data_dir.parent / "CITATION.cff",) if p.is_file()]
    notebooks = data_dir.parent / "notebooks"  # each chapter's download link copies its notebook from here
    files = [*book_files(book), *sorted(p for p in data_dir.rglob("*") if p.is_file()),
             *(book_files(notebooks) if notebooks.is_dir() else []), *sorted(package.glob("*.py")), *citation]
    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith("KZ_") or k == "SOURCE_DATE_EPOCH")
    everything = (fingerprint(files), [str(f) for f in files], sys.executable, sys.version, builder, list(extra),
                  edition, str(data_dir), settings, installed_distributions())
    return hashlib.sha256(repr(everything).encode()).hexdigest()


def prefill_command(book: Path, out: Path, edition: str, cache: Path) -> list[str]:
    """The command that executes the notebooks the cache lacks on every core before Sphinx reads (kzutils.prefill)."""
    return [sys.executable, "-m", "kzutils.prefill", str(book), str(cache),
            "--edition", edition, "--build-dir", str(out / "_build")]


def _build_locked(book: Path, out: Path, data_dir: Path, builder: str, extra: Sequence[str],
                  edition: str = "full") -> int:
    current = fingerprint(input_files(book, data_dir))  # what kzutils.sphinx_ext checks for plain builds
    sphinx_current = fingerprint(sphinx_files(book, data_dir))
    build_dir = out / "_build"  # where jupyter-book writes; `out` itself may be the book folder
    if needs_clean_build(build_dir, sphinx_current) and build_dir.exists():
        # Sphinx reads every page again; the executed notebooks stay (each was a success, and
        # kzutils.prefill re-executes those whose recorded reads or whose code changed).
        print(f"kzutils build: inputs changed or last build failed: cleaning {build_dir} (not its {CACHE})",
              flush=True)
        for child in build_dir.iterdir():
            if child.name not in (CACHE, TABLES, LOCK):
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    cache = shared_cache(out) if edition == "student" else build_dir / CACHE  # as student_config sets it
    executing = execution_fingerprint(book, data_dir)
    if cache.exists() and not (cache / EXEC_STAMP).is_file() or (
            (cache / EXEC_STAMP).is_file() and (cache / EXEC_STAMP).read_text().strip() != executing):
        print(f"kzutils build: code the notebooks run has changed: emptying {cache}", flush=True)
        shutil.rmtree(cache)
    build_dir.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    (cache / EXEC_STAMP).write_text(executing + "\n")
    (build_dir / STAMP).unlink(missing_ok=True)
    env = {**os.environ, "KZ_DATA_DIR": str(data_dir), MANAGED_ENV: current}
    # Validated tables and facts, computed by the first notebook that needs them and read back by the others.
    env.setdefault(diskcache.ENV, str(tables_dir(out, edition)))
    # Matplotlib stamps SVG and PDF figures with the build date unless this is set; the release date keeps
    # rebuilds of the same sources byte-identical whatever format a chapter chooses.
    env.setdefault("SOURCE_DATE_EPOCH", release_epoch(data_dir))
    if builder == "pdflatex" and latex_engine(book) == "xelatex":
        # Sphinx's LaTeX Makefile passes this to latexmk: every xelatex pass writes only its .xdv, and
        # xdvipdfmx makes the PDF once at the end, where each pass would otherwise make it (about 2.5 s each).
        env.setdefault("LATEXMKOPTS", "-xelatex")
    subprocess.run(prefill_command(book, out, edition, cache), env=env, check=False)
    code = subprocess.run(jupyter_book_command(book, out, builder, extra), env=env, check=False).returncode
    if code == 0:
        (build_dir / STAMP).write_text(sphinx_current + "\n")
    return code
