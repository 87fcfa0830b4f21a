"""The book's Sphinx extension (listed in `book/_config.yml`). It wires together:

- freshness (kzutils.build.freshness): at start, what must be read or executed again; while a page's notebook
  runs, which files it reads; after a successful build, the record of it all;
- numbers in the prose and the claims ledger (kzutils.build.numbers);
- the figures' data links (kzutils.build.figures) and the book's tables (kzutils.build.tables);
- a "Cite this chapter" box under every chapter, the repository and launch buttons from CITATION.cff, and the
  student edition (solutions left out);
- a cap on the size of any one notebook output (kzutils.build.outputs).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from kzutils import meta, reads
from kzutils.build import figures, freshness, numbers, summaries, tables
from kzutils.build.paths import book_data_dir
from kzutils.build.pages import is_notebook, notebook_name, page_title, without_solutions

LOGGER = logging.getLogger(__name__)
CITED_PAGES = ("intro", "chapters/", "documents/")
KERNEL_PROFILE = {"IPKernelApp": {"log_level": "ERROR"}}


# --- freshness ------------------------------------------------------------------------------------------


def build_folder(app: Sphinx) -> Path:
    """The build folder (`_build`) that holds the state file, the outputs and the execution cache."""
    return Path(app.doctreedir).parent


def plan_build(app: Sphinx, config: Config) -> None:
    """Before Sphinx loads anything: decide what must be done again (freshness.plan), and do the removals."""
    data_dir, book, build_dir = book_data_dir(app), Path(app.srcdir), build_folder(app)
    os.environ.setdefault("SOURCE_DATE_EPOCH", meta.release_epoch(data_dir))
    environment = freshness.environment_digest(book, os.environ["SOURCE_DATE_EPOCH"])
    sphinx = freshness.sphinx_digest(book, data_dir.parent)
    state = freshness.read_state(build_dir)
    plan = freshness.plan(state, environment, sphinx)
    cache = Path(config.nb_execution_cache_path or build_dir / ".jupyter_cache")
    if plan.start_over:
        if build_dir.is_dir() and any(build_dir.iterdir()):
            print(f"kzutils: building from nothing ({plan.reason})", flush=True)
        published = build_dir / "html"
        for child in (build_dir.iterdir() if build_dir.is_dir() else []):
            if child != published or Path(app.outdir) == published:
                remove(child)
        if cache.parent == build_dir or not shared_cache_is_current(cache, environment):
            remove(cache)
        state = None
    elif plan.read_all:
        print(f"kzutils: reading every page again ({plan.reason})", flush=True)
        remove(Path(app.doctreedir))
        remove(Path(app.outdir))
    forget_pages(cache, book, plan.reexecute)
    create_cache(cache)
    Path(app.outdir).mkdir(parents=True, exist_ok=True)
    app.kz_freshness = {"state": state, "environment": environment, "sphinx": sphinx, "plan": plan}  # type: ignore[attr-defined]
    freshness.write_state(build_dir, freshness.new_state(state, environment, sphinx, data_dir, {}, succeeded=False))
    use_build_profile(build_dir)


def shared_cache_is_current(cache: Path, environment: str) -> bool:
    """A cache shared with an enclosing build (the student edition uses the full edition's) is the enclosing
    build's to keep: it stays if that build recorded the same environment."""
    owner = freshness.read_state(cache.parent)
    return owner is not None and owner["environment"] == environment


def fail_on_failed_notebooks(app: Sphinx, env: Any) -> None:
    """Stop the build (strict or not) when any page's notebook failed; MyST-NB has logged the page, the error
    and its traceback above. A failed notebook is never cached, so it fails every build until it is mended."""
    from sphinx.errors import ExtensionError
    from myst_nb.sphinx_ import NbMetadataCollector

    failed = sorted(doc for doc in env.found_docs if doc in NbMetadataCollector.get_doc_data(env)
                    and (NbMetadataCollector.get_exec_data(env, doc) or {}).get("succeeded") is False)
    if failed:
        raise ExtensionError(f"the notebooks of these pages failed to run (the error is above): {', '.join(failed)}")


def remove(path: Path) -> None:
    """Delete a file or a folder, if it is there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def forget_pages(cache: Path, book: Path, docnames: set[str]) -> None:
    """Drop the cached executions of these pages, so that MyST-NB executes them again."""
    if not docnames or not cache.is_dir():
        return
    from jupyter_cache import get_cache

    sources = {str(path) for doc in docnames for path in book.glob(f"{doc}.*")}
    store = get_cache(str(cache))
    for record in store.list_cache_records():
        if record.uri in sources:
            store.remove_cache(record.pk)


def create_cache(cache: Path) -> None:
    """Create the execution cache's database before parallel readers start (two of them creating it at once
    fail with "table already exists")."""
    from jupyter_cache import get_cache

    get_cache(str(cache)).list_cache_records()


def use_build_profile(build_dir: Path) -> None:
    """Kernels start with the build's own IPython profile: no user start-up files can change an output, and the
    kernel's own start-up chatter (a warning about unencrypted local connections that a reader cannot act on)
    stays out of the log."""
    import json

    profile = build_dir / ".ipython" / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.json").write_text(json.dumps(KERNEL_PROFILE), encoding="utf-8")
    os.environ["IPYTHONDIR"] = str(profile.parent)


def outdated_pages(app: Sphinx, env: Any, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    """Pages Sphinx must read again although their text did not change: those whose notebooks run again, and,
    when the data changed, every page that prints facts."""
    plan = app.kz_freshness["plan"]  # type: ignore[attr-defined]
    pages = set(plan.reexecute)
    if plan.changed_files:
        pages |= set(getattr(env, numbers.FACT_USES, {}))
    return sorted(pages & env.found_docs - added - changed - removed)


def read_log(app: Sphinx, docname: str) -> Path:
    """Where the notebook of `docname` notes the files it reads while it runs."""
    return build_folder(app) / ".kz-reads" / (docname.replace("/", "--") + ".log")


def start_read_log(app: Sphinx, docname: str, source: list[str]) -> None:
    """Before a page is read (and its notebook perhaps executed), point its kernel at a fresh read log."""
    log = read_log(app, docname)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    os.environ[reads.LOG_ENV] = str(log)
    os.environ[reads.BUILDER_ENV] = str(os.getpid())  # what Sphinx itself reads for the page is not recorded


def collect_read_log(app: Sphinx, doctree: nodes.document) -> None:
    """After a page is read: if its notebook ran, keep the files it read."""
    os.environ.pop(reads.LOG_ENV, None)
    os.environ.pop(reads.BUILDER_ENV, None)
    log = read_log(app, app.env.docname)
    if log.is_file():
        files = sorted(set(log.read_text(encoding="utf-8").split()))
        app.env.__dict__.setdefault("kz_executed", {})[app.env.docname] = files
        log.unlink()


def forget_executed(app: Sphinx, env: Any, docnames: list[str]) -> None:
    """Before Sphinx reads: no page has executed in this build yet (the environment Sphinx saved keeps the
    last build's list)."""
    env.kz_executed = {}


def merge_executed(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    """Parallel reads: gather what the workers' notebooks read."""
    env.__dict__.setdefault("kz_executed", {}).update(getattr(other, "kz_executed", {}))


def record_build(app: Sphinx, exception: Exception | None) -> None:
    """After the build: record what it was built from; mark it succeeded only if nothing failed."""
    found = getattr(app, "kz_freshness", None)
    if found is None:
        return
    succeeded = exception is None and not (app.warningiserror and app._warncount)
    executed = getattr(app.env, "kz_executed", {}) if app.env else {}
    state = freshness.new_state(found["state"], found["environment"], found["sphinx"], book_data_dir(app),
                                executed, succeeded)
    freshness.write_state(build_folder(app), state)
    remove(build_folder(app) / ".kz-reads")


def fresh_static_folder(app: Sphinx) -> None:
    """HTML: remove `_static` before pages are written (Sphinx copies it again at the end). Sphinx stamps a
    page's links to static files with their checksum only when the files already exist, so without this a
    page written in an incremental build would differ from the same page written in a clean build."""
    if app.builder.format == "html":
        remove(Path(app.outdir) / "_static")


def prune_stale_outputs(app: Sphinx, exception: Exception | None) -> None:
    """HTML: remove what no page of this build uses any more (an old figure, a removed page, its source copy),
    so that an incremental build leaves the same files as a clean one (Sphinx itself only adds files)."""
    if exception is not None or app.builder.format != "html":
        return
    outdir, env = Path(app.outdir), app.env
    keep = {"_images": {name for _, name in env.images.values()},
            "_downloads": {dest.split("/")[0] for _, dest in env.dlfiles.values()}}
    for folder, names in keep.items():
        for path in (outdir / folder).iterdir() if (outdir / folder).is_dir() else ():
            if path.name not in names:
                remove(path)
    pages = set(env.all_docs) | {"genindex", "search", "index", "py-modindex"}
    for page in outdir.rglob("*.html"):
        relative = page.relative_to(outdir)
        if relative.parts[0] not in ("_static", "_images", "_downloads", "_sources") and \
                relative.with_suffix("").as_posix() not in pages:
            page.unlink()
    sources = outdir / "_sources"
    for copy in sources.rglob("*.txt") if sources.is_dir() else ():
        if copy.relative_to(sources).as_posix().split(".")[0] not in pages:
            copy.unlink()


# --- pages as they are read ------------------------------------------------------------------------------


def remove_solutions(app: Sphinx, docname: str, source: list[str]) -> None:
    """In the student edition, drop the solutions from every page as it is read."""
    if app.config.kz_edition == "student":
        source[0] = without_solutions(source[0])


def cite_box(title: str, docname: str, notebook: str | None, data_dir: Path) -> str:
    """The MyST text of the box: formatted reference, BibTeX entry and, for a page that is a notebook, links
    to it as a notebook."""
    depth = "../" * (docname.count("/") + 1)
    repo = meta.repository_url(data_dir)
    colab = (f", or [open it in Colab]({repo.replace('https://github.com/', 'https://colab.research.google.com/github/')}"
             f"/blob/main/notebooks/{notebook})" if repo else "")
    run = (f"Run it yourself: {{download}}`download this chapter as a Jupyter notebook <{depth}notebooks/{notebook}>`\n"
           f"(it runs in JupyterLab from the repository's `notebooks/` folder){colab}.\n") if notebook else ""
    heading = "Cite this chapter, or run it as a notebook" if notebook else "Cite this page"
    return f"""

`````{{admonition}} {heading}
:class: note kz-cite-box

{meta.chapter_reference(title, docname, data_dir)}

```bibtex
{meta.chapter_bibtex(title, docname, data_dir)}
```

{run}See also {{doc}}`/how-to-cite`.
`````
"""


def add_cite_box(app: Sphinx, docname: str, source: list[str]) -> None:
    """Append the cite box to the chapters' and documents' sources as they are read."""
    title = page_title(source[0])
    if docname.startswith(CITED_PAGES) and title:
        notebook = notebook_name(Path(docname)) if is_notebook(source[0]) else None
        source[0] = source[0].rstrip("\n") + cite_box(title, docname, notebook, book_data_dir(app))


# --- the theme and the PDF -------------------------------------------------------------------------------

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


class ExerciseLabelsForOtherPages(SphinxPostTransform):
    """LaTeX only: a label `<page>:<label>` for every exercise, carrying its number if it has one. sphinx-exercise
    labels an exercise `exercise:<label>` only, which a reference from the same page uses; a reference from
    another page (the teachers' guide to a chapter's exercises) asks for `<page>:<label>` and printed
    "Exercise ??" in the PDF, or linked nowhere. `\\kzlabel` is defined in _latex/kzbook.sty."""

    default_priority = 25  # after sphinx-exercise has numbered the exercises' titles (20)
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        import re

        from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node

        for exercise in list(self.document.findall(lambda n: isinstance(n, (exercise_enumerable_node, exercise_node)))):
            numbered = isinstance(exercise, exercise_enumerable_node) and exercise.children
            number = re.search(r"\d+(?:\.\d+)*", exercise.children[0].astext()) if numbered else None
            label, docname = exercise.get("label"), exercise.get("docname") or self.env.docname
            if label:  # an exercise without a number gets the anchor only (a link prints its title)
                exercise.parent.insert(exercise.parent.index(exercise), nodes.raw(
                    "", f"\\kzlabel{{{number.group() if number else ''}}}{{\\detokenize{{{docname}:{label}}}}}\n",
                    format="latex"))


def remember_bibtex_plugins() -> None:
    """Look each pybtex plugin up once per build, not once per citation.

    pybtex scans every installed package's entry points on each lookup, and sphinxcontrib-bibtex looks its
    style and backend up for every citation it resolves: on this book about a third of the HTML build's time.
    Installed entry points do not change while Sphinx runs; plugins registered at run time are still checked
    first, as before."""
    import functools

    import pybtex.plugin

    if getattr(pybtex.plugin.entry_points, "kz_cached", False):
        return
    scan = pybtex.plugin.entry_points

    @functools.lru_cache(maxsize=None)
    def cached(**selection: str) -> tuple[Any, ...]:
        return tuple(scan(**selection))

    cached.kz_cached = True  # type: ignore[attr-defined]
    pybtex.plugin.entry_points = cached


def read_in_parallel(app: Sphinx) -> None:
    """Let Sphinx read pages (and execute their notebooks) in parallel. Two extensions that Jupyter Book loads
    do not declare whether that is safe, so Sphinx would read one page at a time: sphinx-multitoc-numbering
    only changes how sections are numbered once every page is read, in the main process; and the transforms
    sphinx-jupyterbook-latex applies while a page is read change that page's own nodes only."""
    for name in ("sphinx_multitoc_numbering", "sphinx_jupyterbook_latex"):
        extension = app.extensions.get(name)
        if extension is not None and extension.parallel_read_safe is None:
            extension.parallel_read_safe = True


def setup(app: Sphinx) -> dict[str, Any]:
    """Register every hook, role, directive and node of the book's extension."""
    app.add_config_value("kz_edition", "full", "env")
    remember_bibtex_plugins()
    app.connect("config-inited", plan_build, priority=100)  # first: it may empty the build folder
    app.connect("config-inited", repository_settings)
    app.connect("builder-inited", read_in_parallel)
    app.connect("builder-inited", fresh_static_folder)
    app.connect("env-get-outdated", outdated_pages)
    app.connect("source-read", start_read_log)
    app.connect("env-before-read-docs", forget_executed)
    app.connect("doctree-read", collect_read_log)
    app.connect("env-merge-info", merge_executed)
    app.connect("env-updated", fail_on_failed_notebooks)
    app.connect("build-finished", prune_stale_outputs, priority=800)
    app.connect("build-finished", record_build, priority=900)  # last: after the outputs are written
    app.connect("source-read", remove_solutions)
    app.connect("source-read", add_cite_box)
    app.add_post_transform(ExerciseTextInItsBox)
    app.add_post_transform(ExerciseLabelsForOtherPages)
    app.connect("html-page-context", drop_repeated_scripts, priority=1000)  # after the themes add theirs
    numbers.setup(app)
    figures.setup(app)
    tables.setup(app)
    summaries.setup(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
