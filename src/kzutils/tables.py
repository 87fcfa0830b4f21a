"""Tables for the book: one look, and text from the data always escaped, never read as markup."""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

import pandas as pd
from pandas.io.formats.style import Styler


def show_table(frame: pd.DataFrame, formats: Mapping[str, Any] | None = None, caption: str | None = None) -> Styler:
    """A styled table without the index, HTML-escaped, with optional column formats and caption."""
    # A content-derived id (pandas picks a random one) keeps rebuilt pages byte-identical.
    uuid = hashlib.sha256(frame.to_csv().encode("utf-8")).hexdigest()[:10]
    styler = Styler(frame, uuid=uuid, cell_ids=False).hide(axis="index").format(escape="html", na_rep="—")
    if formats:
        styler = styler.format(formats, escape="html", na_rep="—")
    if caption:
        styler = styler.set_caption(caption)
    return styler.set_table_attributes('class="kz-table"')
