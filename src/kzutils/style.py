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
) -> Figure:
    """Finish a figure: source line, glue under `name`, record the plotted `data`, close it."""
    import matplotlib.pyplot as plt
    from myst_nb import glue

    if "source" not in data.columns and sources is None and text is None:
        raise ValueError(f"figure {name!r}: the plotted data needs a 'source' column (or pass sources=)")
    cells = list(sources) if sources is not None else [str(k) for k in data["source"].dropna()]
    keys = [key.strip() for cell in cells for key in cell.split(";") if key.strip()]
    add_source(fig, keys, text=text)
    record_figure_data(name, data)
    glue(name, fig, display=False)
    plt.close(fig)
    return fig


FIGURE_DATA: dict[str, "pd.DataFrame"] = {}


def record_figure_data(name: str, data: "pd.DataFrame") -> None:
    """Keep the exact values a figure plots, keyed by the figure's glue name."""
    FIGURE_DATA[name] = data.reset_index(drop=True).copy()
