"""What a reader and a publisher get: the licence and the buttons the configuration asks for, no link to a
repository that is not configured (and every link once it is), a data package the official Frictionless
validator accepts, a Binder set-up, pinned requirements and installable packaging, and plain
`jupyter-book build` runs that are as safe as `kzutils build`."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

import kzutils as kz
from kzutils import meta
from kzutils.build import notebooks as nb
from kzutils.build.freshness import read_state
from kzutils.meta import release_epoch
from conftest import BOOK, DATA, ROOT, edit_cell, read_rows

FAKE_REPO = "https://github.com/example-owner/example-book"  # a test value, never published
PLACEHOLDER = "/".join(["kz-transition-book", "kazakhstan-transition"])  # the invented address once used
REPOSITORY_HOSTS = ("github.com", "gitlab.com", "mybinder.org", "colab.research.google.com", "executablebooks")


def pages(out: Path) -> dict[str, str]:
    """Every built HTML page of the table of contents, by name."""
    html_dir = out / "_build" / "html"
    return {p.relative_to(html_dir).as_posix(): p.read_text(encoding="utf-8") for p in html_dir.rglob("*.html")
            if "_static" not in p.parts and "_sources" not in p.parts}


def set_repository(project: Path, url: str | None) -> None:
    """Set (or with None, remove) CITATION.cff's repository-code in a project copy."""
    cff = project / "CITATION.cff"
    text = re.sub(r"(?m)^repository-code:.*\n", "", cff.read_text(encoding="utf-8"))
    cff.write_text(text + (f'repository-code: "{url}"\n' if url else ""), encoding="utf-8")


# --- one repository setting, unset today --------------------------------------------------------------------


def test_no_placeholder_or_invented_repository_url_anywhere() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        path = ROOT / name
        if path.suffix in {".png", ".pdf", ".geojson"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        assert PLACEHOLDER not in text, name


def test_the_repository_is_one_setting_in_citation_cff() -> None:
    repo = meta.repository_url()  # unset while the book has no public home (README, "Publishing the book")
    assert "url" not in meta.citation(), "CITATION.cff's `url` would be a second place for the address"
    config = (BOOK / "_config.yml").read_text(encoding="utf-8")
    assert "url:" not in config.split("repository:")[1].split("\n\n")[0], "_config.yml must not hold the URL"
    assert "repository_url" not in config
    assert json.loads((DATA / "datapackage.json").read_text(encoding="utf-8")).get("homepage") == repo
    identifiers = meta.zenodo_metadata().get("related_identifiers", [])
    assert [i["identifier"] for i in identifiers] == ([repo] if repo else [])


def test_without_a_repository_citations_and_notebooks_have_no_url(project_copy: Path) -> None:
    set_repository(project_copy, None)
    data = project_copy / "data"
    assert meta.repository_url(data) is None
    assert "http" not in meta.chapter_reference("Background", "chapters/background", data)
    assert "url" not in meta.chapter_bibtex("Background", "chapters/background", data)
    assert "url" not in meta.book_bibtex(data)
    notebook = nb.to_notebook(BOOK, BOOK / "intro.md", None, kz.all_facts())
    text = nb.render(notebook)
    assert "clone" not in text and "google.colab" not in text and "open it in Colab" not in text


def test_a_set_repository_reaches_citations_notebooks_and_metadata(project_copy: Path) -> None:
    set_repository(project_copy, FAKE_REPO)
    data = project_copy / "data"
    assert meta.repository_url(data) == FAKE_REPO
    assert FAKE_REPO in meta.chapter_reference("Background", "chapters/background", data)
    assert f"url       = {{{FAKE_REPO}}}" in meta.chapter_bibtex("Background", "chapters/background", data)
    assert meta.zenodo_metadata(data)["related_identifiers"][0]["identifier"] == FAKE_REPO
    assert json.loads(meta.datapackage_json(data))["homepage"] == FAKE_REPO
    text = nb.render(nb.to_notebook(BOOK, BOOK / "intro.md", FAKE_REPO, kz.all_facts()))
    assert f'"git", "clone", "--depth", "1", "{FAKE_REPO}"' in text.replace('\\"', '"')


def test_release_metadata_is_current() -> None:
    done = subprocess.run([sys.executable, "-m", "kzutils", "release-metadata", "--check"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


# --- the data package -----------------------------------------------------------------------------------


def test_frictionless_validates_the_data_package() -> None:
    frictionless = Path(sys.executable).parent / "frictionless"
    done = subprocess.run([str(frictionless), "validate", "data/datapackage.json"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_the_data_package_is_created_at_the_release_date() -> None:
    descriptor = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["created"] == f"{meta.citation()['date-released']}T00:00:00Z"


# --- requirements, packaging, Binder --------------------------------------------------------------------


def pins(path: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", path.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in found}


@pytest.mark.parametrize("name", ["requirements", "requirements-test"])
def test_compiled_requirements_hold_every_pin_of_their_input(name: str) -> None:
    wanted, locked = pins(ROOT / f"{name}.in"), pins(ROOT / f"{name}.txt")
    assert wanted and all(locked.get(package) == version for package, version in wanted.items()), (
        f"{name}.txt is older than {name}.in: run `make lock`")
    assert "frictionless" in pins(ROOT / "requirements-test.txt")
    assert not {"pytest", "playwright", "frictionless"} & set(pins(ROOT / "requirements.txt")), "test-only pins"


def test_test_requirements_agree_with_the_runtime_pins() -> None:
    runtime, test = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-test.txt")
    assert {p: v for p, v in test.items() if runtime.get(p, v) != v} == {}


def test_every_pin_installs_on_the_oldest_python_the_project_accepts() -> None:
    from importlib.metadata import PackageNotFoundError, metadata

    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floor = re.search(r"PYTHON_FLOOR := (\S+)", (ROOT / "Makefile").read_text(encoding="utf-8")).group(1)
    assert SpecifierSet(project["requires-python"]).contains(floor), "make lock resolves for the project's floor"
    assert not SpecifierSet(project["requires-python"]).contains(str(Version(floor).release[0]) + "."
                                                                 + str(Version(floor).release[1] - 1)), "floor"
    refused, checked = [], 0
    for name, version in {**pins(ROOT / "requirements.txt"), **pins(ROOT / "requirements-test.txt")}.items():
        try:
            info = metadata(name)
        except PackageNotFoundError:
            continue  # not installed here (a platform marker): its metadata cannot be read
        assert info["Version"] == version, f"{name}: installed {info['Version']}, pinned {version}: run make check"
        checked += 1
        if info["Requires-Python"] and not SpecifierSet(info["Requires-Python"]).contains(floor):
            refused.append(f"{name}=={version} needs Python {info['Requires-Python']}")
    assert checked > 100 and not refused, refused


def test_packaging_metadata_needs_a_setuptools_that_reads_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"  # a licence expression: setuptools 77 or later
    assert any(re.fullmatch(r"setuptools>=(7[7-9]|[89]\d)(\.\d+)*", r) for r in project["build-system"]["requires"])


def test_binder_installs_the_runtime_and_kzutils() -> None:
    requirements = (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8")
    assert "-r ../requirements.txt" in requirements.splitlines()
    post_build = ROOT / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK)
    assert "pip install --no-deps -e ." in post_build.read_text(encoding="utf-8")


# --- built pages --------------------------------------------------------------------------------------------


@pytest.mark.build
def test_built_pages_show_the_licence_and_the_buttons_asked_for(built_book: Path) -> None:
    built = pages(built_book)
    for name in ("intro.html", "chapters/elections.html", "changes.html"):
        raw = built[name]
        footer = html.unescape(re.sub(r"<[^>]+>", "", raw.split('class="bd-footer-content', 1)[1]))
        assert "CC BY 4.0" in footer and "MIT" in footer, f"{name}: no licence in the footer"
        assert "btn-download-source-button" in raw and "btn-fullscreen-button" in raw, name
        assert raw.count("search-button-field") == 1, f"{name}: more than one search box"
        nav = raw.split("bd-docs-nav", 1)[1].split("</nav>", 1)[0]
        assert "bd-sidenav__home-link" in nav and "Kazakhstan in Transition" in nav, f"{name}: no home-page link"


@pytest.mark.build
def test_no_repository_links_while_none_is_configured(built_book: Path) -> None:
    if meta.repository_url():
        pytest.skip("a repository is configured: test_a_configured_repository_adds_every_link covers the links")
    for name, raw in pages(built_book).items():
        header = raw.split('class="bd-article"', 1)[0]  # theme buttons; the article may cite web pages
        assert not [host for host in REPOSITORY_HOSTS if host in header], f"{name}: repository or launch link"
        assert "Open in Colab" not in raw and "open it in Colab" not in raw, name


@pytest.mark.build
def test_a_configured_repository_adds_every_link(project_copy: Path) -> None:
    from kzutils.build import build

    set_repository(project_copy, FAKE_REPO)
    out = project_copy / "out"
    assert build(project_copy / "book", out, project_copy / "data") == 0
    raw = pages(out)["chapters/elections.html"]
    assert f'href="{FAKE_REPO}"' in raw, "repository button"
    assert f'href="{FAKE_REPO}/issues/new?title=' in raw, "issues button"
    assert "https://mybinder.org/v2/gh/example-owner/example-book/main?urlpath=" in raw, "Binder button"
    assert "https://colab.research.google.com/github/example-owner/example-book/blob/main/" in raw, "Colab"
    text = html.unescape(re.sub(r"<[^>]+>", "", raw))
    assert f"{FAKE_REPO}/blob/main/book/chapters/elections.md" in text and "open it in Colab" in text, "cite box"


# --- plain `jupyter-book build book/` ---------------------------------------------------------------------


def plain_build(project: Path) -> subprocess.CompletedProcess[str]:
    """`jupyter-book build book/` as a user types it, without anything `kzutils build` would set."""
    env = {k: v for k, v in os.environ.items() if k not in {"KZ_DATA_DIR", "SOURCE_DATE_EPOCH", "KZ_INPUTS_SHA256"}}
    return subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", "book/"], cwd=project, env=env,
                          capture_output=True, text=True, check=False)


def elections_text(project: Path) -> str:
    raw = (project / "book" / "_build" / "html" / "chapters" / "elections.html").read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


@pytest.mark.build
def test_plain_jupyter_book_build_is_never_stale(project_copy: Path) -> None:
    done = plain_build(project_copy)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = elections_text(project_copy)
    assert "turnout of 69.44% is the lowest" in text
    rows = read_rows(project_copy / "data" / "votes.csv")
    row = next(i for i, r in enumerate(rows) if r[:1] == ["pres-2022"] and r[4] == "final")
    edit_cell(project_copy / "data" / "votes.csv", row, "turnout_pct", "69.43")
    done = plain_build(project_copy)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "chapters/elections" in read_state(project_copy / "book" / "_build")["executed"]
    text = elections_text(project_copy)
    assert "turnout of 69.43% is the lowest" in text and "69.44% is the lowest" not in text


@pytest.mark.build
def test_plain_jupyter_book_build_sets_source_date_epoch(project_copy: Path) -> None:
    chapter = project_copy / "book" / "chapters" / "elections.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "facts = kz.all_facts()", "facts = kz.all_facts()\nimport os\nprint('epoch=' + os.environ['SOURCE_DATE_EPOCH'])",
        1).replace(":tags: [remove-cell]", ":tags: [remove-input]", 1), encoding="utf-8")
    done = plain_build(project_copy)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"epoch={release_epoch(project_copy / 'data')}" in elections_text(project_copy)


@pytest.mark.build
def test_plain_jupyter_book_build_fails_every_time_after_a_failing_cell(project_copy: Path) -> None:
    assert plain_build(project_copy).returncode == 0
    chapter = project_copy / "book" / "chapters" / "elections.md"
    good = chapter.read_text(encoding="utf-8")
    chapter.write_text(good.replace("facts = kz.all_facts()", "facts = kz.all_facts()\nraise RuntimeError('boom')"))
    assert plain_build(project_copy).returncode != 0
    assert plain_build(project_copy).returncode != 0, "the second plain build after a failure must fail too"
    chapter.write_text(good)
    assert plain_build(project_copy).returncode == 0
