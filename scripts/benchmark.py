"""Performance figures for the book (issue 23's budget), measured against stock Jupyter Book on the same machine.

    .venv/bin/python scripts/benchmark.py            # about 5-8 minutes on 2 cores

Prints (not a test: it never fails on a slow figure, it says which figure misses its budget):
  - cold HTML build from an empty cache, seconds and ratio to the stock serial `jupyter-book build book/` of the
    same book (one notebook at a time, in the same run);
  - no-op rebuild, seconds and ratio to the bare Jupyter Book template's no-op rebuild;
  - the notebooks re-executed after editing one CSV (exactly its recorded readers), _toc.yml, _config.yml and the
    prose (none), one chapter's code (that chapter), and by the student edition;
  - PDF build (xelatex), when TeX is installed;
  - `import kzutils` plus loading every data resource, in a fresh interpreter, beside `import pandas` alone;
  - the size of every HTML page with the images it shows.
Every build runs on a copy of the working tree in a temporary folder, so the repository is untouched.
"""

from __future__ import annotations

import argparse
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

from kzutils.build import STRICT_FLAGS
from kzutils.build.freshness import read_state

ROOT = Path(__file__).resolve().parents[1]
STRICT = list(STRICT_FLAGS)  # the floor is built as strictly as the book
IGNORE = shutil.ignore_patterns(".git", ".venv", "node_modules", "_build", ".pytest_cache", "__pycache__",
                                "*.egg-info", ".ipynb_checkpoints")

# The budget for a 2-core machine (issue 23; ARCHITECTURE.md, "Performance").
COLD_RATIO, NOOP_RATIO, IMPORT_SECONDS, PDF_SECONDS, PAGE_BYTES = 0.75, 1.5, 0.3, 30.0, 1.5 * 1024 * 1024


def reexecuted(project: Path, build_folder: str = "out/_build") -> list[str]:
    """The pages whose notebooks the last build executed, from the build's own record."""
    state = read_state(project / build_folder)
    return sorted(state["executed"]) if state else []


def run(command: list[str], cwd: Path, log: Path) -> tuple[float, int, str]:
    """Run a command; return wall seconds, exit code and its output (also written to log)."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    seconds = time.perf_counter() - start
    log.write_text(done.stdout, encoding="utf-8")
    return seconds, done.returncode, done.stdout


def jupyter_book(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())", *args]


def kzutils_build(project: Path, builder: str = "html") -> list[str]:
    return [sys.executable, "-m", "kzutils", "--data", str(project / "data"), "build", "--book", str(project / "book"),
            "--out", str(project / "out"), "--builder", builder]


def verdict(ok: bool) -> str:
    return "within budget" if ok else "MISSES the budget"


def edit_one_chapter(book: Path) -> str:
    """Change the code of the first chapter (in table-of-contents order) that has a code cell; return its name."""
    for path in sorted((book / "chapters").glob("*.md")):
        name = path.stem
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        marker = "```{code-cell} ipython3\n"
        at = text.find(marker)
        if at < 0:
            continue
        # Past the cell's options (":tags: ..." lines and the blank line after them), add a comment line.
        body = at + len(marker)
        lines = text[body:].split("\n")
        skip = 0
        while skip < len(lines) and lines[skip].startswith(":"):
            skip += 1
        if skip and skip < len(lines) and lines[skip] == "":
            skip += 1
        lines.insert(skip, f"# benchmark edit {time.time_ns()}")
        path.write_text(text[:body] + "\n".join(lines), encoding="utf-8")
        return name
    raise SystemExit("no chapter with a code cell to edit")


class _Images(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "img" and attributes.get("src"):
            self.sources.append(attributes["src"] or "")
        if tag == "object" and attributes.get("data"):
            self.sources.append(attributes["data"] or "")


def page_sizes(site: Path) -> list[tuple[str, int, int, int]]:
    """(page, html bytes, image bytes, image count) for every HTML page of a built site."""
    rows = []
    for page in sorted(site.rglob("*.html")):
        if page.relative_to(site).parts[0] in ("_static", "_sources", "_images"):
            continue
        parser = _Images()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        images = set()
        for source in parser.sources:
            parsed = urlparse(source)
            if parsed.scheme or parsed.netloc:
                continue  # a data: URI is inside the page's bytes already; other hosts are not part of the book
            target = (page.parent / unquote(parsed.path)).resolve()
            if target.is_file():
                images.add(target)
        image_bytes = sum(path.stat().st_size for path in images)
        rows.append((page.relative_to(site).as_posix(), page.stat().st_size, image_bytes, len(images)))
    return rows


def import_and_load_seconds(project: Path, code: str = "import kzutils; kzutils.load_all()") -> float:
    """Best of three fresh interpreters: seconds from before `import kzutils` to every resource loaded (or
    for other `code`)."""
    timed = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    env = {**os.environ, "KZ_DATA_DIR": str(project / "data")}
    times = []
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", timed], cwd=project, env=env, capture_output=True, text=True,
                              check=True)
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF build")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="kz-benchmark-"))
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    print(f"kzutils benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}, work folder {work}")

    # The floor: Jupyter Book's own template, built the same way (strict, cached execution where it asks).
    floor = work / "floor"
    shutil.rmtree(floor, ignore_errors=True)
    subprocess.run(jupyter_book("create", str(floor)), check=True, capture_output=True)
    floor_cmd = jupyter_book("build", str(floor), "--path-output", str(work / "floor-out"), *STRICT)
    floor_cold, code, _ = run(floor_cmd, work, logs / "floor-cold.log")
    if code:
        raise SystemExit(f"the template book did not build (see {logs / 'floor-cold.log'})")
    floor_noop, _, _ = run(floor_cmd, work, logs / "floor-noop.log")
    print(f"floor (bare template book): cold {floor_cold:.1f} s, no-op rebuild {floor_noop:.1f} s")

    # The stock build: the same book, `jupyter-book build book/` as a user types it, one notebook at a time.
    stock = work / "stock"
    shutil.rmtree(stock, ignore_errors=True)
    shutil.copytree(ROOT, stock, ignore=IGNORE)
    start = time.perf_counter()
    done = subprocess.run(jupyter_book("build", "book/"), cwd=stock, capture_output=True, text=True, check=False)
    stock_cold = time.perf_counter() - start
    (logs / "stock-cold.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode:
        raise SystemExit(f"the stock build failed (see {logs / 'stock-cold.log'})")
    print(f"stock serial `jupyter-book build book/`: cold {stock_cold:.1f} s")

    # The book, from a copy of the working tree, with an empty execution cache.
    project = work / "project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(ROOT, project, ignore=IGNORE)
    cold, code, output = run(kzutils_build(project), project, logs / "cold.log")
    if code:
        raise SystemExit(f"the book did not build (exit {code}; see {logs / 'cold.log'})")
    ok = cold <= COLD_RATIO * stock_cold
    print(f"cold HTML build:       {cold:6.1f} s = {cold / stock_cold:4.2f}x the stock serial build, "
          f"{len(reexecuted(project))} notebooks executed   [budget <= {COLD_RATIO:g}x: {verdict(ok)}]")

    state = (project / "out" / "_build" / ".kz-state.json").read_bytes()
    noop, code, output = run(kzutils_build(project), project, logs / "noop.log")
    ok = code == 0 and noop <= NOOP_RATIO * floor_noop
    how = "nothing done" if (project / "out" / "_build" / ".kz-state.json").read_bytes() == state else "Sphinx ran"
    print(f"no-op rebuild:         {noop:6.1f} s = {noop / floor_noop:4.2f}x template no-op, {how}   "
          f"[budget <= {NOOP_RATIO:g}x: {verdict(ok)}]")

    import csv as csvlib

    csv = project / "data" / "events.csv"
    recorded = read_state(project / "out" / "_build")["reads"]
    readers = sorted(page for page, files in recorded.items() if str(csv.resolve()) in files)
    with csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csvlib.reader(handle))
    rows[1][rows[0].index("title")] += " (benchmark edit)"
    with csv.open("w", newline="", encoding="utf-8") as handle:
        csvlib.writer(handle, lineterminator="\n").writerows(rows)
    seconds, code, output = run(kzutils_build(project), project, logs / "csv.log")
    names = reexecuted(project)
    ok = code == 0 and names == readers
    print(f"edit one CSV ({csv.name}): {seconds:6.1f} s, re-executed {names}; its recorded readers {readers}   "
          f"[budget exactly the readers: {verdict(ok)}]")

    for what, path, old, new in (
            ("_toc.yml (a comment)", project / "book" / "_toc.yml", None, "# benchmark edit\n"),
            ("_config.yml (footer)", project / "book" / "_config.yml", "Every number is computed",
             "Each number is computed"),
            ("prose (a sentence printing a fact)", project / "book" / "chapters" / "elections.md", "\n## ",
             "\nA benchmark sentence: {fact}`presidential_2019_turnout`.\n\n## ")):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(old, new, 1) if old else text + new, encoding="utf-8")
        seconds, code, output = run(kzutils_build(project), project, logs / f"edit-{path.name}.log")
        names = reexecuted(project)
        print(f"edit {what}: {seconds:6.1f} s, re-executed {names or 'none'}   [budget none: "
              f"{verdict(code == 0 and not names)}]")
    print("edit a build module (kzutils/build/): Sphinx reads every page again and executes none (no notebook "
          "imports the build: tests/test_freshness.py)")

    chapter = edit_one_chapter(project / "book")
    edit, code, output = run(kzutils_build(project), project, logs / "edit.log")
    names = reexecuted(project)
    ok = code == 0 and len(names) == 1
    print(f"one-chapter edit:      {edit:6.1f} s, edited {chapter}, re-executed {names}   [budget exactly 1: {verdict(ok)}]")

    student = [sys.executable, "-m", "kzutils", "--data", str(project / "data"), "build", "--book",
               str(project / "book"), "--out", str(project / "out" / "_build" / "student"), "--edition", "student"]
    seconds, code, output = run(student, project, logs / "student.log")
    names = reexecuted(project, "out/_build/student/_build")
    print(f"student edition after the full one: {seconds:6.1f} s, executed {names or 'none'} (only pages whose "
          f"solutions hold code differ)   {'ok' if code == 0 else 'FAILED (see the log student.log)'}")

    if args.no_pdf:
        print("PDF: skipped (--no-pdf)")
    elif shutil.which("xelatex") and shutil.which("latexmk"):
        pdf, code, _ = run(kzutils_build(project, "pdflatex"), project, logs / "pdf.log")
        found = sorted((project / "out" / "_build" / "latex").glob("*.pdf"))
        size = f", {found[0].name} {found[0].stat().st_size / 1e6:.1f} MB" if found else ""
        state = "ok" if code == 0 and found else f"FAILED (exit {code}; see {logs / 'pdf.log'})"
        print(f"PDF build (xelatex):   {pdf:6.1f} s after the HTML build (cache warm){size}: {state}   "
              f"[budget <= {PDF_SECONDS:g} s: {verdict(pdf <= PDF_SECONDS)}]")
    else:
        print("PDF: not available (xelatex and latexmk are not installed; `make tex-deps` installs them)")

    seconds = import_and_load_seconds(project)
    floor = import_and_load_seconds(project, "import pandas")
    print(f"import kzutils + load every resource: {seconds:.3f} s, of which importing pandas alone takes "
          f"{floor:.3f} s   [budget <= {IMPORT_SECONDS:g} s: {verdict(seconds <= IMPORT_SECONDS)}]")

    rows = page_sizes(project / "out" / "_build" / "html")
    width = max(len(row[0]) for row in rows)
    print(f"page sizes (HTML + the images it shows; budget <= {PAGE_BYTES / 2**20:g} MB each):")
    over = []
    for page, html_bytes, image_bytes, count in rows:
        total = html_bytes + image_bytes
        flag = "" if total <= PAGE_BYTES else "   MISSES the budget"
        if flag:
            over.append(page)
        print(f"  {page:<{width}}  {total / 2**20:5.2f} MB  (HTML {html_bytes / 1024:6.0f} KB, "
              f"{count} image(s) {image_bytes / 1024:6.0f} KB){flag}")
    print(f"largest page: {max(rows, key=lambda r: r[1] + r[2])[0]}; pages over budget: {', '.join(over) or 'none'}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
