"""The book's other forms: PDF, student edition, notebooks, citation metadata and the claims ledger."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import nbformat
import pytest
import yaml
from nbclient import NotebookClient

import kzutils as kz
from kzutils import meta
from kzutils.build import notebooks as nb
from kzutils.build import build
from kzutils.build.pages import fact_names
from kzutils.build.numbers import ledger_rows
from conftest import BOOK, DATA, ROOT, squash

CHAPTER_PAGES = sorted(p for p in (BOOK / "chapters").glob("*.md"))


def fact_uses(book: Path) -> dict[str, set[str]]:
    """For every page (docname), the facts its text prints."""
    return {page.relative_to(book).with_suffix("").as_posix(): set(fact_names(page.read_text(encoding="utf-8")))
            for page in sorted(book.rglob("*.md")) if "_build" not in page.parts}


def toc_pages() -> list[str]:
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]


def title_of(page: Path) -> str:
    return re.search(r"^# (.+)$", page.read_text(encoding="utf-8"), re.M).group(1).strip()


# --- citation metadata ---------------------------------------------------------------------------


def test_citation_cff_is_valid() -> None:
    schema = json.loads((ROOT / "tests" / "schemas" / "citation-file-format-1.2.0.json").read_text(encoding="utf-8"))
    record = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    record = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in record.items()}
    jsonschema.validate(record, schema)


def test_an_invalid_citation_file_is_rejected() -> None:
    schema = json.loads((ROOT / "tests" / "schemas" / "citation-file-format-1.2.0.json").read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"cff-version": "1.2.0", "title": "no authors or message"}, schema)


def test_the_version_lives_only_in_citation_cff() -> None:
    version = meta.citation()["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert "version" not in kz.read_descriptor()
    assert "version" not in yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))
    zenodo = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert zenodo["version"] == version


def test_release_metadata_is_generated_from_citation_cff() -> None:
    assert (ROOT / ".zenodo.json").read_text(encoding="utf-8") == meta.zenodo_json()


def test_chapter_citation_carries_version_and_date() -> None:
    record = meta.citation()
    reference = meta.chapter_reference("Background", "chapters/background")
    entry = meta.chapter_bibtex("Background", "chapters/background")
    for text in (reference, entry):
        assert record["version"] in text and record["date-released"] in text
    assert entry.startswith("@incollection{") and entry.rstrip().endswith("}")


def test_a_new_version_in_citation_cff_makes_sphinx_read_every_page_again(project_copy: Path) -> None:
    from kzutils.build.freshness import sphinx_digest

    book, data = project_copy / "book", project_copy / "data"
    before = sphinx_digest(book, project_copy)
    cff = project_copy / "CITATION.cff"
    cff.write_text(re.sub(r"(?m)^version: .*$", 'version: "9.9.9"', cff.read_text(encoding="utf-8")), encoding="utf-8")
    assert meta.citation(data)["version"] == "9.9.9"
    assert sphinx_digest(book, project_copy) != before, "cite boxes would keep the old version"


# --- notebooks -----------------------------------------------------------------------------------


def test_notebook_copies_are_generated_and_current() -> None:
    repo = meta.repository_url()
    assert nb.out_of_date(BOOK, ROOT / "notebooks", repo, kz.all_facts(DATA)) == [], "run `make notebooks`"
    assert {p.stem for p in CHAPTER_PAGES} <= {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}


def test_an_edited_chapter_makes_its_copy_stale(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(BOOK, book, ignore=shutil.ignore_patterns("_build"))
    facts = kz.all_facts(DATA)
    nb.export(book, tmp_path / "notebooks", "https://example.org/repo", facts)
    chapter = book / "chapters" / "elections.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    assert nb.out_of_date(book, tmp_path / "notebooks", "https://example.org/repo", facts) == ["elections.ipynb"]
    untouched = tmp_path / "notebooks" / "background.ipynb"
    before = untouched.stat().st_mtime_ns
    assert nb.export(book, tmp_path / "notebooks", "https://example.org/repo", facts) == [
        tmp_path / "notebooks" / "elections.ipynb"], "only the changed copy is written again"
    assert untouched.stat().st_mtime_ns == before


def test_notebook_copies_print_the_numbers() -> None:
    facts = kz.all_facts(DATA)
    page = BOOK / "chapters" / "referendum-2022.md"
    names = fact_names(page.read_text(encoding="utf-8"))
    notebook = nb.to_notebook(BOOK, page, None, facts)
    prose = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert names and "{fact}" not in prose
    assert all(facts[name].text in prose for name in names)


def test_a_notebook_copy_refuses_an_unknown_fact(tmp_path: Path) -> None:
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    page = book / "chapters" / "x.md"
    page.write_text("---\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n# X\n\n"
                    "Turnout was {fact}`no_such_fact`.\n", encoding="utf-8")
    with pytest.raises(KeyError, match="chapters/x.md: no fact named 'no_such_fact'"):
        nb.to_notebook(book, page, None, kz.all_facts(DATA))


@pytest.mark.build
@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_each_notebook_runs_top_to_bottom_in_a_fresh_kernel(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KZ_DATA_DIR", raising=False)  # find data/ the way a student's JupyterLab would
    notebook = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


# --- claims ledger -------------------------------------------------------------------------------


def test_the_ledger_rows_cover_every_printed_number() -> None:
    facts = kz.all_facts(DATA)
    uses = {"chapters/a": {"presidential_2022_winner_share", "referendum_2022_turnout"},
            "chapters/b": {"referendum_2022_turnout"}}
    rows = dict(ledger_rows(facts, uses))
    assert set(rows) == {"presidential_2022_winner_share", "referendum_2022_turnout"}
    number, what, data, source, pages = rows["referendum_2022_turnout"]
    fact = facts["referendum_2022_turnout"]
    assert (number, source, pages) == (fact.text, fact.source, ["chapters/a", "chapters/b"])
    assert what.endswith("(referendum_2022_turnout)") and data == f"{fact.resource}, row {fact.row}"


@pytest.mark.build
def test_the_ledger_page_lists_every_printed_number(built_book: Path) -> None:
    raw = (built_book / "_build" / "html" / "appendices" / "claims-ledger.html").read_text(encoding="utf-8")
    facts = kz.all_facts(DATA)
    printed = set().union(*fact_uses(BOOK).values())
    listed = set(re.findall(r'<tr class="row-(?:odd|even)" id="fact-([^"]+)"', raw))
    assert listed == {name.replace("_", "-") for name in printed}
    text = html.unescape(re.sub(r"<[^>]+>", " ", raw.replace("<wbr>", "")))  # <wbr>: where a long name may break
    for name in printed:
        assert f"({name})" in text and facts[name].text in text, f"{name} missing from the claims ledger page"


@pytest.mark.build
def test_every_number_links_to_its_source_and_shows_it(built_book: Path) -> None:
    facts = kz.all_facts(DATA)
    raw = (built_book / "_build" / "html" / "chapters" / "referendum-2022.html").read_text(encoding="utf-8")
    links = re.findall(r'<a class="kz-fact reference internal" href="([^"]+)" title="([^"]+)">([^<]+)</a>', raw)
    assert len(links) >= len(fact_names((BOOK / "chapters" / "referendum-2022.md").read_text(encoding="utf-8")))
    turnout = facts["referendum_2022_turnout"]
    href, title, text = next(link for link in links if link[2] == turnout.text)
    assert href == f"../bibliography.html#cite-{turnout.source}"
    assert turnout.description in html.unescape(title) and f"row {turnout.row}" in title
    bibliography = (built_book / "_build" / "html" / "bibliography.html").read_text(encoding="utf-8")
    assert f'id="cite-{turnout.source}"' in bibliography


# --- cite boxes and the student edition ----------------------------------------------------------


@pytest.mark.build
def test_every_chapter_ends_with_a_cite_box(built_book: Path) -> None:
    record = meta.citation()
    for page in ["intro"] + [p.relative_to(BOOK).with_suffix("").as_posix() for p in CHAPTER_PAGES]:
        raw = (built_book / "_build" / "html" / f"{page}.html").read_text(encoding="utf-8")
        text = html.unescape(re.sub(r"<[^>]+>", "", raw))
        assert "Cite this chapter" in text, page
        assert f"version {record['version']}, released {record['date-released']}" in text, page
        assert "@incollection{" in text, page
        assert re.search(r'href="[^"]*_downloads/[0-9a-f]+/' + re.escape(page.split("/")[-1]) + r'\.ipynb"', raw), page
    for page in sorted((BOOK / "documents").glob("*.md")):
        name = page.relative_to(BOOK).with_suffix("").as_posix()
        raw = (built_book / "_build" / "html" / f"{name}.html").read_text(encoding="utf-8")
        text = html.unescape(re.sub(r"<[^>]+>", "", raw))
        notebook = "kernelspec:" in page.read_text(encoding="utf-8").split("\n---", 1)[0]
        assert ("Cite this chapter, or run it as a notebook" if notebook else "Cite this page") in text, name
        assert bool(re.search(r"_downloads/[0-9a-f]+/[\w-]+\.ipynb", raw)) == notebook, name


@pytest.mark.build
def test_student_edition_has_no_solutions(built_book: Path, built_copy) -> None:
    full = (built_book / "_build" / "html" / "chapters" / "elections.html").read_text(encoding="utf-8")
    assert 'class="solution' in full and 'class="exercise' in full
    out = built_copy("student")
    assert build(BOOK, out, DATA, edition="student") == 0
    for page in toc_pages():
        raw = (out / "_build" / "html" / f"{page}.html").read_text(encoding="utf-8")
        assert 'class="solution' not in raw, page
    student = (out / "_build" / "html" / "chapters" / "elections.html").read_text(encoding="utf-8")
    assert 'class="exercise' in student and "student edition" in student


# --- PDF -----------------------------------------------------------------------------------------


@pytest.mark.build
def test_pdf_has_every_chapter_contents_and_bibliography(pdf_text: tuple[str, Path]) -> None:
    text = squash(pdf_text[0])
    assert "contents" in text.lower() and "bibliography" in text.lower()
    for page in [BOOK / "intro.md", *CHAPTER_PAGES]:
        title = squash(title_of(page)).replace("`", "")
        assert title[:40] in text, f"chapter title not in the PDF: {title}"


@pytest.mark.build
def test_pdf_prints_the_numbers_and_kazakh_letters(pdf_text: tuple[str, Path]) -> None:
    text = squash(pdf_text[0])
    facts = kz.all_facts(DATA)
    used = sorted(set().union(*fact_uses(BOOK).values()))
    sample = used[:: max(1, len(used) // 25)]
    missing = [k for k in sample if squash(facts[k].text) not in text]
    assert not missing, f"numbers not in the PDF: {[(k, facts[k].text) for k in missing]}"
    glossary = kz.load("glossary")
    kazakh_letters = set("".join(glossary["kazakh"].dropna())) & set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
    cyrillic = {c for c in "".join(glossary["russian"].dropna()) if "\u0400" <= c <= "\u04ff"}
    assert kazakh_letters and cyrillic, "the glossary should give Kazakh and Russian forms"
    assert kazakh_letters <= set(text), f"Kazakh letters missing from the PDF: {sorted(kazakh_letters - set(text))}"
    assert cyrillic <= set(text), f"Cyrillic letters missing from the PDF: {sorted(cyrillic - set(text))}"


@pytest.mark.build
def test_pdf_has_the_figures(pdf_text: tuple[str, Path]) -> None:
    listing = subprocess.run(["pdfimages", "-list", str(pdf_text[1])], capture_output=True, text=True, check=True)
    # Rows after the two header lines; a PNG with transparency is listed twice ("image" and its "smask").
    images = sum(1 for row in listing.stdout.splitlines()[2:] if row.split()[2:3] == ["image"])
    figures = sum(p.read_text(encoding="utf-8").count("```{glue:figure}") for p in BOOK.rglob("*.md")
                  if "_build" not in p.parts)
    assert figures >= len(CHAPTER_PAGES)
    assert images >= figures, f"{images} images in the PDF for {figures} figures"
