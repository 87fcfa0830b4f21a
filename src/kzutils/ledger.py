"""The claims ledger: every number the prose prints, where it came from and which pages print it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kzutils.facts import all_facts, glued_names
from kzutils.meta import project_root
from kzutils.reads import record


def glue_uses(book: Path) -> dict[str, list[str]]:
    """For every glue key printed in the book's pages, the pages (docnames) that print it."""
    uses: dict[str, list[str]] = {}
    for page in sorted(p for p in book.rglob("*.md") if "_build" not in p.parts):
        docname = page.relative_to(book).with_suffix("").as_posix()
        record([page], view="glued-names")
        for key in glued_names(page.read_text(encoding="utf-8")):
            uses.setdefault(key, []).append(docname)
    return uses


def book_dir(data_dir: Path | str | None = None) -> Path:
    """The book folder that sits beside the data folder."""
    return project_root(data_dir) / "book"


def ledger(book: Path | None = None, data_dir: Path | str | None = None) -> pd.DataFrame:
    """One row per glued fact: name, value as printed, dataset and row, source key(s) and the pages using it."""
    book = book if book is not None else book_dir(data_dir)
    facts = all_facts(data_dir)
    uses = glue_uses(book)
    unknown = sorted(set(uses) - set(facts))
    if unknown:
        raise KeyError(f"the prose glues names that are not facts: {unknown} (pages: "
                       f"{sorted({p for k in unknown for p in uses[k]})})")
    rows = [{
        "fact": name,
        "printed": facts[name].text,
        "what": facts[name].description,
        "dataset": facts[name].resource,
        "row": facts[name].row,
        "source": facts[name].source,
        "pages": ", ".join(uses[name]),
    } for name in sorted(uses)]
    return pd.DataFrame(rows).astype({"row": "Int64"})
