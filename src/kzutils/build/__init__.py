"""Build the book (`python -m kzutils build`, what `make book` runs): the build-only part of kzutils, which no
notebook imports.

A build validates the data first (bad data: nothing is built and the validator's message ends the log), then
runs Jupyter Book strictly (`-W -n --keep-going`) with Sphinx's parallel reading, so that notebooks execute
on every core in ordinary Jupyter kernels. What must be done again is decided by kzutils.build.freshness
(inside the Sphinx extension, so a plain `jupyter-book build book/` is never stale either). This module adds:
one build at a time per output folder (a lock), nothing done when nothing changed, the HTML site replaced as
a whole only after a successful build, and a clean stop on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Sequence

STRICT_FLAGS = ("-W", "-n", "--keep-going")
EDITIONS = ("full", "student")
LOCK = "_build.lock"
WORK = ".html-work"  # Sphinx writes the HTML here; a successful build then replaces _build/html with it
STOP_GRACE_SECONDS = 20


def build(book: Path, out: Path, data_dir: Path, builder: str = "html", extra: Sequence[str] = (),
          edition: str = "full", jobs: int | None = None) -> int:
    """Build the book into `out/_build`; return the exit code (0 when the build succeeded)."""
    from kzutils.data import check_package
    from kzutils.validate import summary

    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}, not {edition!r}")
    error = check_package(data_dir)[1]
    if error is not None:
        print(f"kzutils build: nothing was built. {summary(error)}", file=sys.stderr, flush=True)
        return 1
    with tempfile.TemporaryDirectory(prefix="kz-build-") as scratch, one_build_at_a_time(out):
        options = list(extra)
        if edition == "student":
            config = Path(scratch) / "_config.yml"
            config.write_text(student_config(book, shared_cache(out)), encoding="utf-8")
            options += ["--config", str(config)]
        return _build(book, out, data_dir, builder, list(extra), options, edition, jobs or os.cpu_count() or 1,
                      Path(scratch))


def _build(book: Path, out: Path, data_dir: Path, builder: str, extra: list[str], options: list[str], edition: str,
           jobs: int, scratch: Path) -> int:
    from kzutils import meta
    from kzutils.build import freshness

    build_dir = out / "_build"
    epoch = os.environ.get("SOURCE_DATE_EPOCH") or meta.release_epoch(data_dir)
    environment = freshness.environment_digest(book, epoch)
    sphinx = freshness.sphinx_digest(book, data_dir.parent)
    whole = freshness.whole_fingerprint(book, data_dir, environment, sphinx, [builder, edition, extra])
    state = freshness.read_state(build_dir)
    key = f"{builder}/{edition}"
    if state and state["succeeded"] and state.get("published", {}).get(key) == whole and output(build_dir, builder).is_dir():
        print(f"kzutils build: nothing has changed since the last {builder} build in {build_dir}; it is up to date",
              flush=True)
        return 0
    work = build_dir / WORK if builder == "html" else None
    if work is not None:
        shutil.rmtree(work, ignore_errors=True)
        if (build_dir / "html").is_dir():
            shutil.copytree(build_dir / "html", work, symlinks=True)
    env = {**os.environ, "KZ_DATA_DIR": str(data_dir), "SOURCE_DATE_EPOCH": epoch,
           "JUPYTER_RUNTIME_DIR": str(scratch / "jupyter-runtime")}
    if builder == "pdflatex" and freshness.book_config(book).get("latex", {}).get("latex_engine") == "xelatex":
        # Sphinx's LaTeX Makefile passes this to latexmk: every xelatex pass writes only its .xdv, and
        # xdvipdfmx makes the PDF once at the end, where each pass would otherwise make it.
        env.setdefault("LATEXMKOPTS", "-xelatex")
    code = run_stoppable(jupyter_book_command(book, out, builder, options, jobs, work), env)
    if code == 0:
        if work is not None:
            publish(work, build_dir / "html")
        state = freshness.read_state(build_dir)
        if state is not None:
            freshness.write_state(build_dir, {**state, "published": {**state.get("published", {}), key: whole}})
    else:  # a failed or stopped build leaves no temporary files (the last good site stays)
        for temporary in (work, build_dir / ".kz-reads"):
            if temporary is not None:
                shutil.rmtree(temporary, ignore_errors=True)
    return code


def jupyter_book_command(book: Path, out: Path, builder: str, options: Sequence[str], jobs: int,
                         work: Path | None) -> list[str]:
    """The strict `jupyter-book build` command, with `jobs` parallel Sphinx processes and HTML written to `work`."""
    return [sys.executable, "-m", "kzutils.build.run", str(jobs), str(work or ""), "build", str(book),
            "--path-output", str(out), "--builder", builder, *STRICT_FLAGS, *options]


def output(build_dir: Path, builder: str) -> Path:
    """Where jupyter-book writes a builder's output."""
    return build_dir / ("latex" if builder in ("latex", "pdflatex") else builder)


def publish(work: Path, site: Path) -> None:
    """Replace the HTML site by the one just built, as a whole: a reader (or a killed build) finds the old site
    or the new one, never a mixture."""
    staged = site.with_name(".html-new")
    shutil.rmtree(staged, ignore_errors=True)
    work.rename(staged)
    old = site.with_name(".html-old")
    shutil.rmtree(old, ignore_errors=True)
    if site.exists():
        site.rename(old)
    staged.rename(site)
    shutil.rmtree(old, ignore_errors=True)


def run_stoppable(command: list[str], env: dict[str, str]) -> int:
    """Run the build; on Ctrl-C or SIGTERM stop it cleanly before returning. Sphinx takes the interrupt, stops its
    workers, and each kernel exits on its own when the process that started it is gone (ipykernel checks)."""
    child = subprocess.Popen(command, env=env)
    stopping: list[int] = []

    def stop(signum: int, frame: object) -> None:
        stopping.append(signum)
        if child.poll() is None:
            child.send_signal(signal.SIGINT)

    # Only the main thread may set signal handlers (a caller running builds in threads keeps Python's own).
    main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)} if main else {}
    try:
        code = child.wait()
        if stopping:  # the interrupt may have reached Sphinx before us (Ctrl-C goes to the whole terminal group)
            try:
                child.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if stopping:
        print("kzutils build: stopped", file=sys.stderr, flush=True)
        return 128 + stopping[0]
    return code


def lock_files(out: Path) -> list[Path]:
    """The lock of `out`, after the lock of every build folder that holds it (the student edition's build
    folder lies inside the full edition's, whose clean start would remove it)."""
    return [*(folder.parent / LOCK for folder in reversed(out.resolve().parents) if folder.name == "_build"),
            out.resolve() / LOCK]


class one_build_at_a_time:
    """Hold the locks of an output folder; while another build holds one, say so and wait."""

    def __init__(self, out: Path) -> None:
        from filelock import FileLock

        out.mkdir(parents=True, exist_ok=True)
        self.locks = [FileLock(str(path)) for path in lock_files(out)]

    def __enter__(self) -> None:
        from filelock import Timeout

        for lock in self.locks:
            try:
                lock.acquire(timeout=0)
            except Timeout:
                print(f"kzutils build: another build holds {lock.lock_file}; waiting for it to finish", flush=True)
                lock.acquire()

    def __exit__(self, *exc: object) -> None:
        for lock in reversed(self.locks):
            lock.release()


def shared_cache(out: Path) -> Path:
    """The execution cache of a build into `out`: that of the nearest enclosing build folder (the student edition
    in book/_build/student re-uses the full edition's notebooks), else out/_build's own."""
    for folder in out.resolve().parents:
        if folder.name == "_build":
            return folder / ".jupyter_cache"
    return out / "_build" / ".jupyter_cache"


def student_config(book: Path, cache: Path | None = None) -> str:
    """The book's _config.yml for the student edition: solutions left out (kzutils.build.sphinx_ext), title
    marked, and executed notebooks shared with the full edition through `cache`."""
    import yaml

    from kzutils.build.freshness import book_config

    config = book_config(book)
    config["title"] = f"{config['title']} (student edition)"
    config.setdefault("sphinx", {}).setdefault("config", {})["kz_edition"] = "student"
    if cache is not None:
        config.setdefault("execute", {})["cache"] = str(cache)
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
