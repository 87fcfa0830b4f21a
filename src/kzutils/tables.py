"""Tables for the book: one look in HTML and in the PDF, and text from the data always escaped, never read as markup."""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any, Mapping

import pandas as pd
from pandas.io.formats.style import Styler

TABLE_DIRECTIVE = "kz-table"  # kzutils.build.tables turns it into a table, when a builder (the PDF's) shows it


class Table:
    """A data table: escaped HTML in the web book, a `kz-table` directive (a LaTeX longtable) in the PDF."""

    def __init__(self, frame: pd.DataFrame, formats: Mapping[str, Any] | None = None,
                 caption: str | None = None) -> None:
        self.frame = frame
        self.formats = dict(formats or {})
        self.caption = caption
        # A content-derived id (pandas picks a random one) keeps rebuilt pages byte-identical.
        self.uuid = hashlib.sha256(frame.to_csv().encode("utf-8")).hexdigest()[:10]

    def styler(self) -> Styler:
        """The pandas Styler for the web book: the same cell texts as the PDF (`cells`), HTML-escaped."""
        styler = Styler(self.cells(), uuid=self.uuid, cell_ids=False).hide(axis="index")
        return styler.format(escape="html").format_index(escape="html", axis=1)

    def to_html(self) -> str:
        """The table as HTML, with a caption if given."""
        styler = self.styler().set_table_attributes('class="kz-table"')
        return (styler.set_caption(html.escape(self.caption)) if self.caption else styler).to_html()

    def cells(self) -> pd.DataFrame:
        """Every value as the text it is printed as (column formats applied, missing values as a dash)."""
        def text(column: str, value: Any) -> str:
            if pd.isna(value):
                return "—"
            fmt = self.formats.get(column)
            if fmt is None:
                return str(value)
            return fmt(value) if callable(fmt) else fmt.format(value)

        return pd.DataFrame({c: [text(c, v) for v in self.frame[c].tolist()] for c in self.frame.columns})

    def to_markdown(self) -> str:
        """The table for the PDF: a `kz-table` directive whose body is the JSON of its texts (`to_spec`).

        Sphinx reads every output of a notebook, whichever format a builder shows; a directive with a JSON
        body reads in no time, where a MyST list-table parsed each cell as Markdown on every HTML build too."""
        body = json.dumps(self.to_spec(), ensure_ascii=True).replace("`", "\\u0060")  # never closes the fence
        return f"```{{{TABLE_DIRECTIVE}}}\n{body}\n```\n"

    def to_spec(self) -> dict[str, Any]:
        """Caption, column names, relative widths and every row, as the texts the table prints."""
        cells = self.cells()
        return {"caption": " ".join((self.caption or "").split()), "columns": [str(c) for c in cells.columns],
                "widths": column_weights(cells),
                "rows": [[" ".join(str(value).split()) or "—" for value in row] for row in cells.values.tolist()]}

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_markdown_(self) -> str:
        # Only LaTeX builds pick this output (see nb_mime_priority_overrides in _config.yml).
        return self.to_markdown()


def column_weights(cells: pd.DataFrame) -> list[int]:
    """Relative column widths: the longest entry of each column, capped, so long texts wrap."""
    return [max(4, min(60, max([len(str(name))] + [len(v) for v in cells[name]]))) for name in cells.columns]


def show_table(frame: pd.DataFrame, formats: Mapping[str, Any] | None = None, caption: str | None = None) -> Table:
    """A table for the book, escaped for HTML and LaTeX, without the index, with optional formats and caption."""
    return Table(frame, formats, caption)


def output_table(data: pd.DataFrame | pd.Series) -> str | None:
    """A DataFrame or Series that a cell returns, as the book's `kz-table` for the PDF (its index kept as
    leading columns unless it is a plain row number; long outputs cut like pandas' own text); None if it cannot."""
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    if isinstance(frame.columns, pd.MultiIndex):
        return None
    plain_index = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    try:
        frame = frame.reset_index(drop=plain_index)
    except ValueError:  # the index's name is also a column's
        return None
    frame.columns = [str(c) for c in frame.columns]
    if frame.columns.has_duplicates:
        return None
    caption = None
    if len(frame) > pd.get_option("display.max_rows"):
        caption = f"First {pd.get_option('display.min_rows')} of {len(frame)} rows"
        frame = frame.head(pd.get_option("display.min_rows"))
    dates = {c: "{:%Y-%m-%d}" for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])
             and (frame[c].dropna() == frame[c].dropna().dt.normalize()).all()}
    return Table(frame, formats=dates, caption=caption).to_markdown()


def use_book_tables() -> None:
    """In a notebook kernel, give every DataFrame or Series a cell returns a text/markdown form (`output_table`):
    the PDF then prints it as a table, where it would print pandas' monospaced text; HTML keeps pandas' own."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["text/markdown"]
    formatter.for_type(pd.DataFrame, output_table)
    formatter.for_type(pd.Series, output_table)
