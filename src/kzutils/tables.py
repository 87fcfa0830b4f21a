"""Tables for the book: one look in HTML and in the PDF, and text from the data always escaped, never read as markup."""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any, Mapping

import pandas as pd
from pandas.io.formats.style import Styler

# Where a long identifier may break: after these characters, and between a letter and a digit.
BREAK_AFTER = "_/.-:=&?#@,;|)]}"
IDENTIFIER = re.compile(r"^\S{13,}$|^\S*[_/]\S*$")
NUMBER = re.compile(r"^[−\-+]?[\d.,\s  ]*\d[\d.,  ]*%?$")


def pieces(word: str, anywhere: bool = False) -> list[str]:
    """The pieces between which a word of a table cell may break: an identifier (a key, a fact name, an
    address) after punctuation and between letters and digits; with `anywhere`, between any two characters.
    Other words stay whole (TeX hyphenates ordinary words)."""
    if not IDENTIFIER.match(word) or NUMBER.match(word):
        return [word]
    if anywhere:
        return list(word)
    parts, current = [], ""
    for char in word:
        # never before punctuation: "K2600000000)," keeps its ")," on the line of the number
        if current and (char.isalnum() or char in "([{") and (
                current[-1] in BREAK_AFTER or (current[-1].isalpha() != char.isalpha()
                                               and (current[-1].isdigit() or char.isdigit()))):
            parts.append(current)
            current = ""
        current += char
    return parts + [current]


def breakable_html(text: Any) -> str:
    """A cell's text as escaped HTML in which a long key, name or address may break where `pieces` allows."""
    return "".join("<wbr>".join(html.escape(piece) for piece in pieces(word)) if word.strip() else word
                   for word in re.split(r"(\s+)", str(text)))


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
        """The pandas Styler for the web book: the same cell texts as the PDF (`cells`), HTML-escaped, with long
        keys free to break (so that a table fits the page where it can)."""
        styler = Styler(self.cells(), uuid=self.uuid, cell_ids=False).hide(axis="index")
        return styler.format(breakable_html).format_index(escape="html", axis=1)

    def to_html(self) -> str:
        """The table as HTML, with a caption if given, in a box of its own that scrolls sideways when the table is
        wider than the screen (a phone's), so the page never does. The box can take the keyboard's focus, so that
        it can be scrolled without a mouse, and is named after the caption for screen readers."""
        styler = self.styler().set_table_attributes('class="kz-table"')
        if self.caption:  # in a span that stays in view while a wide table scrolls (kz-layout.css)
            styler = styler.set_caption(f'<span class="kz-caption">{html.escape(self.caption)}</span>')
        table = styler.to_html()
        name = html.escape(" ".join((self.caption or "Table").split()), quote=True)
        return f'<div class="kz-table-scroll" role="region" tabindex="0" aria-label="{name}">\n{table}</div>\n'

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
