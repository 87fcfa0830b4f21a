"""A build a maintainer can trust: stock kernels with a working cell timeout and dead-kernel check, one
freshness model (kzutils.build.freshness) whose state file can be damaged without harm, numbers resolved in
Sphinx, a clean stop on Ctrl-C, and edits that redo exactly what they touch. The build tests read the build's
own record (`_build/.kz-state.json`: which pages executed), not its log."""

from __future__ import annotations

import ast
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import ROOT, edit_cell, read_rows
from kzutils.build import build, freshness
from kzutils.build.pages import without_solutions

SRC = ROOT / "src" / "kzutils"


def executed(out: Path) -> set[str]:
    """The pages whose notebooks the last build of `out` executed, from its state file."""
    state = freshness.read_state(out / "_build")
    assert state is not None and state["succeeded"], "the build left no record of success"
    return set(state["executed"])


def html_text(out: Path, page: str) -> str:
    raw = (out / "_build" / "html" / f"{page}.html").read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def set_pres_2022_turnout(data: Path, value: str) -> None:
    rows = read_rows(data / "votes.csv")
    row = next(i for i, r in enumerate(rows) if r[:1] == ["pres-2022"] and r[4] == "final")
    edit_cell(data / "votes.csv", row, "turnout_pct", value)


def add_cell(page: Path, code: str) -> None:
    """Append a code cell to a page, after its first hidden cell."""
    text = page.read_text(encoding="utf-8")
    marker = "```{code-cell} ipython3\n:tags: [remove-cell]\n"
    end = text.index("```\n", text.index(marker) + len(marker)) + 4
    page.write_text(text[:end] + f"\n```{{code-cell}} ipython3\n{code}\n```\n" + text[end:], encoding="utf-8")


def run_build_command(project: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """`python -m kzutils build` on a project copy, as `make book` runs it; stopped whole if it overruns."""
    command = [sys.executable, "-m", "kzutils", "--data", str(project / "data"), "build",
               "--book", str(project / "book"), "--out", str(project / "out")]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        raise
    return subprocess.CompletedProcess(command, child.returncode, out, err)


# --- layout -------------------------------------------------------------------------------------------------


def imports_of(module: Path, modules: set[str]) -> set[str]:
    """The kzutils modules a module imports (at any depth of its code): `from kzutils import bib` imports
    kzutils.bib, not the package."""
    found = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kzutils"):
            named = {f"{node.module}.{a.name}" for a in node.names} & modules
            found |= named or {node.module}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("kzutils")}
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_cycles_and_chapters_never_import_the_build() -> None:
    modules = {module_name(p): p for p in SRC.rglob("*.py")}
    graph = {name: {m for m in imports_of(path, set(modules)) if m in modules and m != name}
             for name, path in modules.items()}
    chapter_side = {n for n in modules if not n.startswith("kzutils.build") and n != "kzutils.__main__"}
    for name in chapter_side:
        assert not {m for m in graph[name] if m.startswith("kzutils.build")}, f"{name} imports the build"

    def cycle_from(start: str, path: list[str]) -> list[str] | None:
        for nxt in graph[path[-1]]:
            if nxt == start:
                return path + [nxt]
            if nxt not in path and nxt > start:  # each cycle found once, from its smallest module
                found = cycle_from(start, path + [nxt])
                if found:
                    return found
        return None

    cycles = [c for name in sorted(graph) if (c := cycle_from(name, [name]))]
    assert not cycles, f"import cycles: {cycles}"


def test_a_notebook_loads_no_build_module() -> None:
    code = ("import sys, kzutils as kz; kz.load('votes'); kz.all_facts(); kz.use_house_style(); kz.bib; "
            "import kzutils.maps, kzutils.tables, kzutils.claims, kzutils.meta; "
            "print(sorted(m for m in sys.modules if m.startswith('kzutils.build')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.strip() == "[]"


# --- the state file -----------------------------------------------------------------------------------------


def test_a_damaged_or_missing_state_means_start_over(tmp_path: Path) -> None:
    assert freshness.plan(freshness.read_state(tmp_path), "e", "s").start_over
    (tmp_path / freshness.STATE).write_text('{"version": 1, "environment": "e"', encoding="utf-8")
    assert freshness.read_state(tmp_path) is None
    (tmp_path / freshness.STATE).write_text(json.dumps({"version": 1, "environment": "e", "sphinx": "s",
                                                         "files": [], "reads": {}, "succeeded": True}))
    assert freshness.read_state(tmp_path) is None, "a state of the wrong shape is not trusted"


def test_the_state_file_is_replaced_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = freshness.new_state(None, "e", "s", ROOT / "data", {}, succeeded=True)
    freshness.write_state(tmp_path, good)
    monkeypatch.setattr(json, "dump", lambda *args, **kwargs: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        freshness.write_state(tmp_path, {**good, "succeeded": False})
    assert freshness.read_state(tmp_path) == good and [p.name for p in tmp_path.iterdir()] == [freshness.STATE]


def test_a_new_library_version_is_a_new_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def install(version: str) -> str:
        for old in tmp_path.glob("*.dist-info"):
            for f in old.iterdir():
                f.unlink()
            old.rmdir()
        info = tmp_path / f"pandas_stand_in-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: pandas-stand-in\nVersion: {version}\n")
        return freshness.environment_digest(ROOT / "book", "0")

    monkeypatch.syspath_prepend(str(tmp_path))
    before, after = install("3.1.1"), install("3.2.0")
    assert before != after
    state = freshness.new_state(None, before, "s", ROOT / "data", {}, succeeded=True)
    assert freshness.plan(state, after, "s").start_over


def test_a_changed_file_reexecutes_its_readers_only(tmp_path: Path) -> None:
    read, other = tmp_path / "read.csv", tmp_path / "other.csv"
    read.write_text("a\n")
    other.write_text("b\n")
    data = tmp_path / "data"
    data.mkdir()
    state = freshness.new_state(None, "e", "s", data, {"chapters/x": [str(read)], "chapters/y": [str(other)]},
                                succeeded=True)
    read.write_text("a changed\n")
    plan = freshness.plan(state, "e", "s")
    assert plan.reexecute == {"chapters/x"} and not plan.start_over and not plan.read_all
    assert freshness.plan({**state, "succeeded": False}, "e", "s").read_all, "after a failure every page is read"


# --- builds -------------------------------------------------------------------------------------------------


@pytest.mark.build
def test_edits_redo_exactly_what_they_touch(project_copy: Path) -> None:
    book, data, out = project_copy / "book", project_copy / "data", project_copy / "out"
    assert build(book, out, data) == 0
    assert executed(out) == {"intro", "chapters/elections", "how-to-cite"}
    state = (out / "_build" / freshness.STATE).read_bytes()
    assert build(book, out, data) == 0
    assert (out / "_build" / freshness.STATE).read_bytes() == state, "a no-op build changes nothing"
    readers = {page for page, files in freshness.read_state(out / "_build")["reads"].items()
               if any(f.endswith("/votes.csv") for f in files)}
    assert "chapters/elections" in readers and "how-to-cite" not in readers

    set_pres_2022_turnout(data, "69.43")
    assert build(book, out, data) == 0
    assert executed(out) == readers, "a CSV edit re-executes exactly the notebooks that read it"
    assert "turnout of 69.43% is the lowest" in html_text(out, "chapters/elections")
    ledger = (out / "_build" / "html" / "appendices" / "claims-ledger.html").read_text(encoding="utf-8")
    row = ledger.split('id="fact-presidential-2022-turnout"', 1)[1].split("</tr>", 1)[0]
    assert "69.43%" in row and "69.44%" not in row, "the claims ledger follows the data"

    page = book / "chapters" / "elections.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "\n## ", "\nIn 2019 turnout was {fact}`presidential_2019_turnout`, a number printed for the first time.\n\n## ",
        1), encoding="utf-8")
    toc = book / "_toc.yml"
    toc.write_text(toc.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    config = book / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("Every number is computed", "Each number is computed"),
                      encoding="utf-8")
    assert build(book, out, data) == 0
    assert executed(out) == set(), "prose, _toc.yml and _config.yml edits execute no notebook"
    assert "a number printed for the first time" in html_text(out, "chapters/elections")

    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("kz.use_house_style()", "kz.use_house_style()  # an edit of the code", 1))
    assert build(book, out, data) == 0
    assert executed(out) == {"chapters/elections"}


@pytest.mark.build
def test_a_damaged_state_file_never_publishes_an_old_number(project_copy: Path) -> None:
    book, data, out = project_copy / "book", project_copy / "data", project_copy / "out"
    assert build(book, out, data) == 0
    (out / "_build" / freshness.STATE).write_text("{ not json", encoding="utf-8")
    set_pres_2022_turnout(data, "69.43")
    assert build(book, out, data) == 0
    assert "turnout of 69.43% is the lowest" in html_text(out, "chapters/elections")
    assert executed(out) >= {"chapters/elections", "intro"}, "a damaged record means executing everything again"


@pytest.mark.build
def test_an_endless_cell_times_out_naming_the_page(project_copy: Path) -> None:
    config = project_copy / "book" / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("timeout: 300", "timeout: 15"), encoding="utf-8")
    add_cell(project_copy / "book" / "chapters" / "elections.md", "while True:\n    pass")
    started = time.monotonic()
    done = run_build_command(project_copy)
    assert done.returncode != 0
    assert time.monotonic() - started < 300, "the cell timeout was not enforced"
    log = done.stdout + done.stderr
    assert "elections" in log and re.search(r"timed out|TimeoutError|CellTimeoutError", log), log[-3000:]


@pytest.mark.build
def test_a_dying_kernel_fails_the_build_naming_the_page(project_copy: Path) -> None:
    add_cell(project_copy / "book" / "chapters" / "elections.md", "import os\nos._exit(1)")
    done = run_build_command(project_copy, timeout=400)
    assert done.returncode != 0
    log = done.stdout + done.stderr
    assert "elections" in log and re.search(r"DeadKernel|Kernel died|kernel died", log), log[-3000:]


def processes_with(marker: str) -> list[int]:
    """The processes whose environment holds `marker` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.build
def test_ctrl_c_stops_every_worker_and_kernel_and_keeps_the_last_site(project_copy: Path) -> None:
    book, data, out = project_copy / "book", project_copy / "data", project_copy / "out"
    assert build(book, out, data) == 0
    site = (out / "_build" / "html" / "chapters" / "elections.html").read_bytes()
    add_cell(book / "chapters" / "elections.md", "import time\ntime.sleep(600)")
    marker = f"KZ_TEST_MARKER={uuid.uuid4()}"
    child = subprocess.Popen([sys.executable, "-m", "kzutils", "--data", str(data), "build", "--book", str(book),
                              "--out", str(out)], env={**os.environ, marker.split("=")[0]: marker.split("=")[1]})
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not any(
            b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in processes_with(marker)
            if Path(f"/proc/{pid}/cmdline").exists()):
        time.sleep(1)
    assert time.monotonic() < deadline, "no kernel started"
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=60) != 0
    deadline = time.monotonic() + 20
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not processes_with(marker), "workers or kernels outlived the stopped build"
    assert (out / "_build" / "html" / "chapters" / "elections.html").read_bytes() == site, "the last site stays"
    assert not (out / "_build" / ".html-work").exists() and not (out / "_build" / ".kz-reads").exists()


@pytest.mark.build
def test_an_output_over_the_limit_fails_fast_naming_page_and_cell(project_copy: Path) -> None:
    add_cell(project_copy / "book" / "chapters" / "elections.md", "print('x' * 3_000_000)")
    started = time.monotonic()
    done = run_build_command(project_copy)
    assert done.returncode != 0
    assert time.monotonic() - started < 300
    log = done.stdout + done.stderr
    assert re.search(r"elections.*cell \d+: an output of 3,000,\d+ characters is over the book's limit", log), log[-3000:]


@pytest.mark.build
def test_student_edition_reexecutes_nothing_the_full_edition_ran(project_copy: Path) -> None:
    book, data = project_copy / "book", project_copy / "data"
    assert build(book, book, data) == 0
    student = book / "_build" / "student"
    assert build(book, student, data, edition="student") == 0
    # Only a page whose solutions hold code is a different notebook in the student edition.
    differ = {p.relative_to(book).with_suffix("").as_posix() for p in book.rglob("*.md") if "_build" not in p.parts
              and without_solutions(p.read_text(encoding="utf-8")).count("{code-cell}")
              != p.read_text(encoding="utf-8").count("{code-cell}")}
    assert executed(student) == differ & {"intro", "chapters/elections", "how-to-cite"}
