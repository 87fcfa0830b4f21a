"""Sphinx extension: a "Cite this chapter" box, with notebook links, at the end of every chapter."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from kzutils import meta
from kzutils.notebooks import notebook_name

CITED_PAGES = re.compile(r"^(intro|chapters/.+)$")
TITLE = re.compile(r"^# (.+)$", re.M)


def cite_box(title: str, docname: str, notebook: str) -> str:
    """The MyST text of the box: formatted reference, BibTeX entry and links to the chapter as a notebook."""
    record = meta.citation()
    depth = "../" * (docname.count("/") + 1)
    colab = (record["repository-code"].replace("https://github.com/", "https://colab.research.google.com/github/")
             + f"/blob/main/notebooks/{notebook}")
    return f"""

`````{{admonition}} Cite this chapter, or run it as a notebook
:class: note kz-cite-box

{meta.chapter_reference(title, docname)}

```bibtex
{meta.chapter_bibtex(title, docname)}
```

Run it yourself: {{download}}`download this chapter as a Jupyter notebook <{depth}notebooks/{notebook}>`
(it runs in JupyterLab from the repository's `notebooks/` folder), or [open it in Colab]({colab}).
See also {{doc}}`/how-to-cite`.
`````
"""


SOLUTION_OPEN = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution(?P<gated>-start)?\}")
SOLUTION_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}")


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


def remove_solutions(app: Sphinx, docname: str, source: list[str]) -> None:
    """In the student edition, drop the solutions from every page as it is read."""
    if app.config.kz_edition == "student":
        source[0] = without_solutions(source[0])


def add_cite_box(app: Sphinx, docname: str, source: list[str]) -> None:
    """Append the cite box to the chapters' sources as they are read."""
    if not CITED_PAGES.match(docname):
        return
    found = TITLE.search(source[0])
    if found is None:
        return
    title = re.sub(r"[*_`]", "", found.group(1)).strip()
    source[0] = source[0].rstrip("\n") + cite_box(title, docname, notebook_name(Path(docname)))


def drop_repeated_scripts(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Keep one copy of each script: sphinx-thebe registers its inline configuration once per read phase, and a
    page that declares the same `const` twice stops with a JavaScript error."""
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for script in context.get("script_files", []):
        key = (str(getattr(script, "filename", script) or ""), tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the source-read and page-context hooks."""
    app.add_config_value("kz_edition", "full", "env")
    app.connect("source-read", remove_solutions)
    app.connect("source-read", add_cite_box)
    app.connect("html-page-context", drop_repeated_scripts, priority=1000)  # after the themes add theirs
    return {"parallel_read_safe": True, "parallel_write_safe": True}
