"""The one place that reads the book's pages as text: which pages are notebooks, a page's title, the facts its
prose prints, its solutions and its figures. The Sphinx extension and the notebook copies use these."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Mapping

TITLE = re.compile(r"^# (.+)$", re.M)
FACT_ROLE = re.compile(r"\{fact\}`\s*(?P<name>\w+)\s*`")
SOLUTION_OPEN = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution(?P<gated>-start)?\}")
SOLUTION_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}")
GLUE_FIGURE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{glue:figure\}\s+(?P<name>\S+)\s*$")
SKIPPED_FOLDERS = {"_build", "__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


def book_pages(book: Path) -> list[Path]:
    """Every MyST page of the book, outside the build and cache folders."""
    return sorted(p for p in book.rglob("*.md") if not SKIPPED_FOLDERS & set(p.relative_to(book).parts))


def is_notebook(text: str) -> bool:
    """True for a page that is an executable notebook: MyST Markdown whose front matter names a kernel."""
    return text.startswith("---") and "kernelspec:" in text.split("\n---", 1)[0]


def notebook_sources(book: Path) -> list[Path]:
    """The book's executable pages: MyST Markdown files with a kernelspec."""
    return [p for p in book_pages(book) if is_notebook(p.read_text(encoding="utf-8"))]


def notebook_name(source: Path) -> str:
    """'background.ipynb' for book/chapters/background.md (page names are unique across folders)."""
    return source.stem + ".ipynb"


def page_title(text: str) -> str | None:
    """A page's `# ` heading as a reader sees it (no Markdown emphasis or code marks), or None."""
    heading = TITLE.search(text)
    return re.sub(r"[*_`{}]", "", heading.group(1)).strip() if heading else None


def fact_names(text: str) -> list[str]:
    """Every fact name a page prints with the `{fact}` role, sorted."""
    return sorted({found.group("name").strip() for found in FACT_ROLE.finditer(text)})


def near_names(name: str, names: Any) -> list[str]:
    """Up to five names close to `name`, for a message about a misspelt one."""
    return difflib.get_close_matches(name, list(names), n=5)


def fill_in(text: str, facts: Mapping[str, Any], where: str) -> str:
    """The text with every `{fact}` role replaced by the fact's printed value; an unknown name is an error
    naming `where`."""
    def printed(found: re.Match[str]) -> str:
        name = found.group("name").strip()
        if name not in facts:
            raise KeyError(f"{where}: no fact named {name!r}; similar: {near_names(name, facts)}")
        return facts[name].text

    return FACT_ROLE.sub(printed, text)


def without_solutions(text: str) -> str:
    """The page with every solution block removed: plain `solution` directives and gated
    `solution-start` ... `solution-end` pairs, with the code cells between them."""
    kept: list[str] = []
    lines = iter(text.splitlines(keepends=True))
    for line in lines:
        opening = SOLUTION_OPEN.match(line)
        if not opening:
            kept.append(line)
            continue
        fence = opening.group("fence")
        if opening.group("gated"):
            for skipped in lines:  # up to and including the solution-end directive and its closing fence
                end = SOLUTION_END.match(skipped)
                if end:
                    for closing in lines:
                        if closing.strip() == end.group(1):
                            break
                    break
        else:
            for skipped in lines:
                if skipped.strip() == fence:
                    break
    return "".join(kept)


def with_data_links(text: str) -> str:
    """The page with a `kz-figure-data` directive after every `glue:figure` block."""
    out: list[str] = []
    lines = iter(text.splitlines(keepends=True))
    for line in lines:
        out.append(line)
        opening = GLUE_FIGURE.match(line.rstrip("\n"))
        if not opening:
            continue
        for inner in lines:
            out.append(inner)
            if inner.strip() == opening.group("fence"):
                break
        out.append(f"\n```{{kz-figure-data}} {opening.group('name')}\n```\n")
    return "".join(out)
