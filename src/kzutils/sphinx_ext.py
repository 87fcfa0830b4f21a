"""Sphinx extension: a "Cite this chapter" box, with notebook links, at the end of every chapter; the
repository and launch buttons from CITATION.cff; and, for a plain `jupyter-book build book/`, the same
never-stale builds and SOURCE_DATE_EPOCH as `python -m kzutils build`."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms.post_transforms import SphinxPostTransform

from kzutils import build as kzbuild
from kzutils import meta
from kzutils.data import find_data_dir
from kzutils.notebooks import notebook_name

CITED_PAGES = re.compile(r"^(intro|chapters/.+)$")
TITLE = re.compile(r"^# (.+)$", re.M)


def cite_box(title: str, docname: str, notebook: str) -> str:
    """The MyST text of the box: formatted reference, BibTeX entry and links to the chapter as a notebook."""
    depth = "../" * (docname.count("/") + 1)
    repo = meta.repository_url()
    colab = (f", or [open it in Colab]({repo.replace('https://github.com/', 'https://colab.research.google.com/github/')}"
             f"/blob/main/notebooks/{notebook})" if repo else "")
    return f"""

`````{{admonition}} Cite this chapter, or run it as a notebook
:class: note kz-cite-box

{meta.chapter_reference(title, docname)}

```bibtex
{meta.chapter_bibtex(title, docname)}
```

Run it yourself: {{download}}`download this chapter as a Jupyter notebook <{depth}notebooks/{notebook}>`
(it runs in JupyterLab from the repository's `notebooks/` folder){colab}.
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


class ExerciseTextInItsBox(SphinxPostTransform):
    """LaTeX only: unwrap the section that sphinx-exercise puts around an exercise's or a solution's text.
    Jupyter Book's LaTeX layout moves every section of the root page to the page's end, which left the
    introduction's exercise boxes empty in the PDF with their text after them."""

    default_priority = 600  # before sphinx_jupyterbook_latex's LatexRootDocPostTransforms (700)
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        from sphinx_exercise.nodes import is_extension_node

        for section in list(self.document.findall(nodes.section)):
            if is_extension_node(section.parent):
                section.replace_self(section.children)


def book_data_dir(app: Sphinx) -> Path:
    """The data package the book reads: $KZ_DATA_DIR, else the nearest `data/` above the book's folder."""
    return find_data_dir(Path(app.srcdir))


LAUNCH_URLS = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url")
REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button")


def repository_settings(app: Sphinx, config: Config) -> None:
    """Point the theme's repository, issues and launch buttons at CITATION.cff's `repository-code`; while it is
    unset, drop them all (Jupyter Book would otherwise fill in its own repository)."""
    repo = meta.repository_url(book_data_dir(app))
    options = dict(config.html_theme_options or {})
    launch = dict(options.get("launch_buttons") or {})
    if repo:
        options["repository_url"] = repo
    else:
        options.update({"repository_url": "", **{button: False for button in REPOSITORY_BUTTONS}})
        launch.update({"thebe": False, **{key: "" for key in LAUNCH_URLS}})
    options["launch_buttons"] = launch
    config.html_theme_options = options


def fresh_inputs(app: Sphinx, config: Config) -> None:
    """Make any build as safe as `kzutils build`: SOURCE_DATE_EPOCH from the release date, and a clean build
    (every notebook re-executed) when the inputs changed since the last successful build or it failed."""
    data_dir = book_data_dir(app)
    os.environ.setdefault("SOURCE_DATE_EPOCH", kzbuild.release_epoch(data_dir))
    current = kzbuild.fingerprint(kzbuild.input_files(Path(app.srcdir), data_dir))
    if os.environ.get(kzbuild.MANAGED_ENV) == current:  # `kzutils build` checked already
        return
    build_dir = Path(app.doctreedir).parent
    if kzbuild.needs_clean_build(build_dir, current) and build_dir.is_dir() and any(build_dir.iterdir()):
        print(f"kzutils: inputs changed or last build failed: cleaning {build_dir}", flush=True)
        for child in build_dir.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        Path(app.outdir).mkdir(parents=True, exist_ok=True)
    (build_dir / kzbuild.STAMP).unlink(missing_ok=True)
    app.kz_fingerprint = current  # type: ignore[attr-defined]


def record_fresh_inputs(app: Sphinx, exception: Exception | None) -> None:
    """After a successful build, record the inputs it was built from (never after a failure)."""
    current = getattr(app, "kz_fingerprint", None)
    if current and exception is None and not (app.warningiserror and app._warncount):
        (Path(app.doctreedir).parent / kzbuild.STAMP).write_text(current + "\n")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the configuration, source-read, page-context and build-finished hooks."""
    app.add_config_value("kz_edition", "full", "env")
    app.connect("config-inited", fresh_inputs, priority=100)  # first: it may empty the build folder
    app.connect("config-inited", repository_settings)
    app.connect("build-finished", record_fresh_inputs)
    app.add_post_transform(ExerciseTextInItsBox)
    app.connect("source-read", remove_solutions)
    app.connect("source-read", add_cite_box)
    app.connect("html-page-context", drop_repeated_scripts, priority=1000)  # after the themes add theirs
    return {"parallel_read_safe": True, "parallel_write_safe": True}
