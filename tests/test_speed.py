"""Build speed without stale numbers: dependencies recorded when a notebook runs, edits that re-execute only
what they touch."""

from __future__ import annotations

import re
from pathlib import Path

BOOK = Path(__file__).resolve().parents[1] / "book"


# --- dependencies recorded when a notebook runs (kzutils.reads, kzutils.prefill) ---------------------------

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from conftest import edit_cell, read_rows  # noqa: E402
from kzutils.build import SPHINX_SIDE, build  # noqa: E402


def executed(output: str) -> set[str]:
    """The pages `kzutils build` executed before Sphinx, from its report line (none if it was up to date)."""
    if "it is up to date" in output:
        return set()
    line = next((l for l in output.splitlines() if "in parallel before Sphinx" in l), None)
    assert line is not None, f"the build did not report what it executed before Sphinx:\n{output}"
    names = line.split("Sphinx: ", 1)[1].strip()
    return set() if names == "none" else set(names.split(", "))


def readers(out: Path, name: str) -> set[str]:
    deps = json.loads((out / "_build" / ".jupyter_cache" / "kz-deps.json").read_text(encoding="utf-8"))
    return {Path(entry["page"]).stem for entry in deps.values()
            if any(f.split("::")[0].endswith("/" + name) for f in entry["files"])}


def html_text(out: Path, page: str) -> str:
    import html
    raw = (out / "_build" / "html" / f"{page}.html").read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


@pytest.mark.build
def test_a_changed_table_reexecutes_exactly_its_readers(project_copy: Path, capfd: pytest.CaptureFixture) -> None:
    book, data, out = project_copy / "book", project_copy / "data", project_copy / "out"
    assert build(book, out, data) == 0
    assert executed(capfd.readouterr().out) == {"intro", "elections", "bibliography", "how-to-cite"}
    assert build(book, out, data) == 0
    no_op = capfd.readouterr().out
    assert executed(no_op) == set() and "it is up to date" in no_op, "a no-op rebuild does nothing"
    votes = readers(out, "votes.csv")
    assert "elections" in votes and "how-to-cite" not in votes and "bibliography" not in votes
    rows = read_rows(data / "votes.csv")
    row = next(i for i, r in enumerate(rows) if r[:1] == ["pres-2022"] and r[4] == "final")
    edit_cell(data / "votes.csv", row, "turnout_pct", "69.43")
    assert build(book, out, data) == 0
    assert executed(capfd.readouterr().out) == votes  # the readers, no more and no fewer
    text = html_text(out, "chapters/elections")
    assert "turnout of 69.43%" in text and "turnout of 69.44%" not in text


@pytest.mark.build
def test_toc_and_config_edits_reexecute_no_notebook(project_copy: Path, capfd: pytest.CaptureFixture) -> None:
    book, data, out = project_copy / "book", project_copy / "data", project_copy / "out"
    assert build(book, out, data) == 0
    capfd.readouterr()
    config = book / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "Every number is computed", "Each number is computed"), encoding="utf-8")
    assert build(book, out, data) == 0
    assert executed(capfd.readouterr().out) == set()
    assert "Each number is computed" in (out / "_build" / "html" / "intro.html").read_text(encoding="utf-8")
    toc = book / "_toc.yml"
    toc.write_text(toc.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    assert build(book, out, data) == 0
    # The bibliography reads _toc.yml's chapter list, which a comment does not change.
    assert executed(capfd.readouterr().out) == set()
    assert readers(out, "_toc.yml") == {"bibliography"}


@pytest.mark.build
def test_a_chapter_edit_reexecutes_its_page_and_only_the_pages_that_use_what_changed(
        project_copy: Path, capfd: pytest.CaptureFixture) -> None:
    book, data, out = project_copy / "book", project_copy / "data", project_copy / "out"
    assert build(book, out, data) == 0
    capfd.readouterr()
    page = book / "chapters" / "elections.md"
    text = page.read_text(encoding="utf-8")
    marker = "```{code-cell} ipython3\n:tags: [remove-cell]\n\n"
    assert marker in text
    page.write_text(text.replace(marker, marker + "# an edit of the code only\n", 1), encoding="utf-8")
    assert build(book, out, data) == 0
    # The bibliography (its citations) reads a view of the page that did not change.
    assert executed(capfd.readouterr().out) == {"elections"}
    cited = "{cite:p}`crs2025kazakhstan`"
    page.write_text(page.read_text(encoding="utf-8").replace("\n## ", f"\nA new citation {cited}.\n\n## ", 1),
                    encoding="utf-8")
    assert build(book, out, data) == 0
    assert executed(capfd.readouterr().out) == {"bibliography"}  # its citations changed; its code did not


def test_notebooks_never_import_the_sphinx_side_modules() -> None:
    code = ("import sys, kzutils as kz, kzutils.facts, kzutils.style, kzutils.tables, kzutils.maps, kzutils.bib, "
            "kzutils.meta, kzutils.claims; "
            "print(sorted(m for m in sys.modules if m.startswith('kzutils.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for module in SPHINX_SIDE:
        assert f"'kzutils.{module.removesuffix('.py')}'" not in loaded


@pytest.mark.build
def test_student_edition_reexecutes_nothing_the_full_edition_ran(project_copy: Path,
                                                                    capfd: pytest.CaptureFixture) -> None:
    from kzutils.sphinx_ext import without_solutions

    book, data = project_copy / "book", project_copy / "data"
    assert build(book, book, data) == 0
    capfd.readouterr()
    assert build(book, book / "_build" / "student", data, edition="student") == 0
    # Only a page whose solutions hold code is a different notebook in the student edition.
    differ = {p.stem for p in book.rglob("*.md") if "_build" not in p.parts
              and without_solutions(p.read_text(encoding="utf-8")).count("{code-cell}")
              != p.read_text(encoding="utf-8").count("{code-cell}")}
    assert executed(capfd.readouterr().out) == differ & {"intro", "elections", "bibliography", "how-to-cite"}
