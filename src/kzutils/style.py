"""The book's one figure style: Okabe-Ito colours, print-friendly sizes, a source line under each figure."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import matplotlib as mpl
from matplotlib.figure import Figure

from kzutils import bib
from kzutils.data import bibliography_path

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.container import BarContainer

# Okabe & Ito (2008), distinguishable with the common colour-vision deficiencies and in greyscale order.
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}

# Freedom House's Nations in Transit Democracy Score runs from 1 (least democratic) to 7; plot it on all of it.
NIT_SCALE: tuple[float, float] = (1.0, 7.0)

# Size of the value labels on bars and points, in points.
VALUE_FONTSIZE: float = 8.5

HOUSE_RC: dict[str, object] = {
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE.values())),
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 10.5,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "lines.markersize": 6,
    # Fixed ids and no timestamps keep rebuilt figures byte-identical.
    "svg.hashsalt": "kz-transition-book",
    "svg.fonttype": "none",
}


def use_house_style() -> None:
    """Apply the house style to every figure made after this call, and print returned DataFrames as tables in
    the PDF (kzutils.tables.use_book_tables)."""
    from kzutils.tables import use_book_tables

    mpl.rcParams.update(HOUSE_RC)
    use_book_tables()


def label_bars(ax: "Axes", container: "BarContainer", fmt: str = "{:,.0f}", **kwargs: object) -> list:
    """Write each bar's value at its end with matplotlib's `bar_label`, in the house size (no annotate loops)."""
    kwargs.setdefault("fontsize", VALUE_FONTSIZE)
    kwargs.setdefault("padding", 2)
    return ax.bar_label(container, fmt=fmt, **kwargs)


def source_line(keys: Iterable[str], data_dir: Path | str | None = None) -> str:
    """'Source: A (2022); B (2019).' built from bibliography keys."""
    path = bibliography_path(data_dir)
    credits = [bib.credit(path, key) for key in dict.fromkeys(keys)]
    return "Source: " + "; ".join(credits) + "."


def add_source(fig: Figure, keys: Iterable[str], data_dir: Path | str | None = None, text: str | None = None) -> Figure:
    """Write the source line (from bibliography keys, or `text` as given) in small grey type under the figure."""
    line = text if text is not None else source_line(keys, data_dir)
    fig.text(0.01, 0.005, line, ha="left", va="bottom", fontsize=8, color="#555555", wrap=True)
    fig.subplots_adjust(bottom=max(0.2, fig.subplotpars.bottom))  # keep a larger margin a figure set itself
    return fig


def glue_figure(
    name: str,
    fig: Figure,
    data: "pd.DataFrame",
    sources: Iterable[str] | None = None,
    text: str | None = None,
    adjust: dict[str, float] | None = None,
) -> Figure:
    """Finish a figure: source line, glue under `name`, its plotted `data` as CSV under `name-data`, close it.
    `adjust` is passed to `fig.subplots_adjust` after the source line is placed (for margins it must override)."""
    import matplotlib.pyplot as plt
    from myst_nb import glue

    if "source" not in data.columns and sources is None:
        raise ValueError(f"figure {name!r}: the plotted data needs a 'source' column (or pass sources=)")
    cells = list(sources) if sources is not None else (
        [str(k) for k in data["source"].dropna()] if "source" in data.columns else [])
    keys = [key.strip() for cell in cells for key in cell.split(";") if key.strip()]
    add_source(fig, keys, text=text)
    if adjust:
        fig.subplots_adjust(**adjust)
    table = record_figure_data(name, data, keys)
    glue(name, fig, display=False)
    glue(f"{name}-data", FigureData(figure_csv(table)), display=False)
    plt.close(fig)
    return fig


FIGURE_DATA: dict[str, "pd.DataFrame"] = {}


def record_figure_data(name: str, data: "pd.DataFrame", sources: Iterable[str] = ()) -> "pd.DataFrame":
    """Keep the exact values a figure plots, keyed by the figure's glue name; rows without a `source`
    column get the figure's source keys, joined by '; '."""
    table = data.reset_index(drop=True).copy()
    if "source" not in table.columns:
        table["source"] = "; ".join(dict.fromkeys(sources))
    FIGURE_DATA[name] = table
    return table


def figure_csv(data: "pd.DataFrame") -> str:
    """The CSV text of a figure's data: no index, '\n' line ends, full float precision, stable across runs."""
    return data.to_csv(index=False, lineterminator="\n")


class FigureData:
    """A figure's plotted data as CSV text; glued with the mime type text/csv so the book can publish it."""

    def __init__(self, csv: str) -> None:
        self.csv = csv

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        rows = max(self.csv.count("\n") - 1, 0)
        return {"text/csv": self.csv, "text/plain": f"<figure data: {rows} rows>"}


def count_with_sources(rows: "pd.DataFrame", by: list[str], name: str = "count") -> "pd.DataFrame":
    """Rows counted per group of `by`, with the group's distinct source keys joined by '; ' (a figure's data)."""
    grouped = rows.groupby(by, sort=True, observed=True)
    return (grouped.size().rename(name).to_frame()
            .join(grouped["source"].agg(lambda keys: "; ".join(dict.fromkeys(sorted(map(str, keys))))))
            .reset_index())
