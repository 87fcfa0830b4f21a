"""Fill the book's execution cache on every core before Sphinx reads a page.

Jupyter Book executes notebooks one after another while Sphinx reads them. Here every page that the cache
does not hold yet is executed in a pool of worker processes, exactly as MyST-NB would execute it (the same
page text after kzutils.sphinx_ext's source-read edits, the same reader, working folder, timeout and
error setting) and stored in the cache; Sphinx then finds each page there. A page whose execution fails is
not stored, so MyST-NB executes it again itself and fails the build as before.

Run as `python -m kzutils.prefill BOOK CACHE [--edition student] [--workers N]` with the build's environment.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import tempfile
import sys
import traceback
from pathlib import Path
from typing import Any, Iterator

from kzutils import forkkernel, reads
from kzutils.build import book_config


def page_text(source: Path, edition: str) -> str:
    """The page as Sphinx hands it to MyST-NB: with the source-read edits of kzutils.sphinx_ext that touch code."""
    from kzutils.sphinx_ext import without_solutions

    text = source.read_text(encoding="utf-8")
    return without_solutions(text) if edition == "student" else text


def toc_pages(book: Path) -> list[Path]:
    """The executable pages that _toc.yml lists (only those are built)."""
    from kzutils.bib import toc_files
    from kzutils.notebooks import notebook_sources

    listed = {str(Path(f).with_suffix("")) for f in toc_files((book / "_toc.yml").read_text(encoding="utf-8"))}
    return [p for p in notebook_sources(book) if str(p.relative_to(book).with_suffix("")) in listed]


def read_notebook(source: Path, text: str, extensions: list[str]) -> Any:
    """The notebook MyST-NB reads from the page text."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    config = MdParserConfig(enable_extensions=set(extensions))
    return read_myst_markdown_notebook(text, config=config, add_source_map=True, path=str(source))


DEPS = "kz-deps.json"  # in the cache folder: for each executed notebook (by cache hash), the files it read
REEXECUTED = ".kz-reexecuted"  # in the build folder: the pages executed here, for Sphinx to read again


def execute(job: tuple[str, Any, int, str | None]) -> tuple[str, Any, float, str | None, list[str]]:
    """Execute one notebook in its page's folder, in a kernel forked by the server on the job's socket (if
    any; a kernel that cannot be had from it is started afresh); return it, the seconds taken, the error
    (None if none) and the files it read (kzutils.reads)."""
    import copy

    path, notebook, timeout, kernels = job
    if kernels:
        try:
            return _execute(path, copy.deepcopy(notebook), timeout, forkkernel.manager_class(Path(kernels)))
        except Exception as problem:  # not a cell's error (those are returned): the kernel could not be had
            print(f"kzutils build: {Path(path).stem}: no forked kernel ({type(problem).__name__}: {problem}); "
                  "starting one afresh", flush=True)
    try:
        return _execute(path, notebook, timeout, None)
    except Exception as problem:  # left for MyST-NB to execute again and report
        return path, notebook, 0.0, f"{type(problem).__name__}: {problem}", []


def _execute(path: str, notebook: Any, timeout: int, manager: type | None
             ) -> tuple[str, Any, float, str | None, list[str]]:
    from jupyter_cache.executors.utils import single_nb_execution

    from kzutils.reads import LOG_ENV

    forked = {"kernel_manager_class": manager} if manager else {}
    before = os.environ.get(LOG_ENV)
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "reads.log"
        log.touch()
        os.environ[LOG_ENV] = str(log)  # the kernel inherits it
        try:
            # Every output has arrived when the last cell returns: stop the kernel at once rather than wait
            # for a graceful exit (about half a second a notebook).
            result = single_nb_execution(notebook, cwd=str(Path(path).parent), allow_errors=False,
                                         timeout=timeout, meta_override=True, shutdown_kernel="immediate", **forked)
        finally:  # the log goes with its folder: no later reader of this process may write to it
            if before is None:
                os.environ.pop(LOG_ENV, None)
            else:
                os.environ[LOG_ENV] = before
        read = sorted(set(log.read_text(encoding="utf-8").splitlines()))
    return path, result.nb, result.time, None if result.err is None else result.exc_string, read


FORK_ENV = "KZ_FORK_KERNELS"  # "0": start every kernel afresh, as Jupyter does (to compare, or if forking fails)


@contextlib.contextmanager
def kernel_server() -> Iterator[forkkernel.Server | None]:
    """A kernel fork server (kzutils.forkkernel), started now, for this fill; None to start kernels afresh."""
    if os.environ.get(FORK_ENV) == "0" or not hasattr(os, "fork"):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="kz-kernels-") as folder, forkkernel.Server(Path(folder)) as server:
        yield server


def kernel_socket(server: forkkernel.Server | None) -> str | None:
    """The server's socket once it is ready; None (kernels start afresh) if there is none or it failed."""
    if server is None:
        return None
    try:
        return str(server.socket())
    except RuntimeError as problem:
        print(f"kzutils build: kernels start afresh ({problem})", flush=True)
        return None


def warm_data_cache() -> None:
    """Validate the tables and compute the facts into kzutils.diskcache while the kernel server imports, so
    the first notebooks read them rather than each computing them. A failure is left to the notebooks."""
    from kzutils import diskcache

    if diskcache.folder() is None:
        return
    with contextlib.suppress(Exception):
        from kzutils.facts import all_facts

        all_facts()


def stale(entry: dict[str, Any] | None, hashkey: str) -> bool:
    """True unless the cached execution's recorded reads are all unchanged (no record: stale)."""
    if not entry or entry.get("hashkey") != hashkey or entry.get("data") != os.environ.get("KZ_DATA_DIR"):
        return True
    return any(reads.digest(path) != digest for path, digest in entry["files"].items())


def prefill(book: Path, cache_path: Path, edition: str = "full", workers: int | None = None,
            build_dir: Path | None = None) -> list[str]:
    """Execute, `workers` at a time, every page the cache lacks or whose recorded reads changed, and store the
    successes with what they read; return their paths (also written to `build_dir`/.kz-reexecuted)."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    config = book_config(book)
    execute_cfg = config.get("execute", {})
    if execute_cfg.get("execute_notebooks", "auto") != "cache" or execute_cfg.get("run_in_temp"):
        return []  # only the book's own set-up is reproduced here
    extensions = list(config.get("parse", {}).get("myst_enable_extensions", []))
    timeout = int(execute_cfg.get("timeout", 30))
    cache = get_cache(str(cache_path))
    deps_file = cache_path / DEPS
    deps = json.loads(deps_file.read_text(encoding="utf-8")) if deps_file.is_file() else {}
    jobs, done = [], []
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(kernel_server())  # imports in the background while this process reads pages
        warm_data_cache()
        for source in toc_pages(book):
            notebook = read_notebook(source, page_text(source, edition), extensions)
            try:
                record = cache.match_cache_notebook(notebook)
            except KeyError:
                record = None
            if record is not None and stale(deps.get(record.hashkey), record.hashkey):
                cache.remove_cache(record.pk)  # a file it read has changed since: execute it again
                record = None
            if record is None:
                jobs.append((str(source), notebook, timeout))
        # Longest pages first (by their code), so that no core waits at the end while one long page runs.
        jobs.sort(key=lambda job: -sum(len(cell.source) for cell in job[1].cells if cell.cell_type == "code"))
        # One more worker than cores: a kernel waits on messages now and then, and another can use the core.
        workers = workers or min(len(jobs), len(os.sched_getaffinity(0)) + 1) or 1
        kernels = kernel_socket(server) if jobs else None
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
            for path, notebook, seconds, error, read in pool.map(execute, [(*job, kernels) for job in jobs]):
                done.append(path)
                if error is None:  # a failure is left for MyST-NB to run again and report
                    record = cache.cache_notebook_bundle(
                        CacheBundleIn(notebook, path, data={"execution_seconds": seconds}), check_validity=False,
                        overwrite=True)
                    deps[record.hashkey] = {"hashkey": record.hashkey, "page": path,
                                            "data": os.environ.get("KZ_DATA_DIR"),
                                            "files": {f: reads.digest(f) for f in read}}
    kept = {r.hashkey for r in cache.list_cache_records()}
    deps = {key: entry for key, entry in deps.items() if key in kept}
    cache_path.mkdir(parents=True, exist_ok=True)
    deps_file.write_text(json.dumps(deps, indent=1, sort_keys=True), encoding="utf-8")
    if build_dir is not None:
        build_dir.mkdir(parents=True, exist_ok=True)
        (build_dir / REEXECUTED).write_text("".join(f"{p}\n" for p in done), encoding="utf-8")
    return done


def main(argv: list[str] | None = None) -> int:
    """Command line: fill the cache; always exit 0 (the build itself reports failures)."""
    parser = argparse.ArgumentParser(prog="python -m kzutils.prefill")
    parser.add_argument("book", type=Path)
    parser.add_argument("cache", type=Path)
    parser.add_argument("--edition", default="full")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--build-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        done = prefill(args.book.resolve(), args.cache.resolve(), args.edition, args.workers,
                       args.build_dir.resolve() if args.build_dir else None)
    except Exception:  # Sphinx executes what is missing itself: slower, never wrong
        traceback.print_exc()
        print("kzutils build: executing notebooks before Sphinx stopped (the traceback above says why); "
              "Sphinx executes the rest itself", flush=True)
        return 0
    print(f"kzutils build: executed {len(done)} notebook(s) in parallel before Sphinx: "
          f"{', '.join(Path(p).stem for p in done) or 'none'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
