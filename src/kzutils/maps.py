"""Region maps: illustrative choropleths of Kazakhstan's first-level units, drawn with matplotlib from data/regions.geojson."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

import matplotlib as mpl
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.colors import Normalize
from matplotlib.patches import Polygon

from kzutils.data import load, load_shapes

ASPECT = 1.5  # rough correction for the narrowing of longitude degrees at these latitudes, as in the locator map
MISSING = "#f2f2f2"
SMALL_UNITS = {"almaty_city", "astana", "shymkent"}  # too small to hold a label inside: labelled with a leader line
# The report mapped for each vote in the small multiples: the commission's list at the close of polls wherever one
# was found (stage `election_night`), so that the panels of one figure show one stage of the count. The Mazhilis
# election of 2021 and the referendum of 2026 are the exceptions: the only complete list of 2021 is from 20:00, before
# the polls closed in the west, and the close-of-polls list of 2026 could be read for 16 of its 20 units only, so its
# panel shows the complete list of 18:00. Each title names the report's time.
TURNOUT_REPORTS: list[tuple[str, str, str | None, str]] = [  # (vote, variant, time of report or None, panel title)
    ("pres-2019", "election_night", None, "President, 2019\nclose of polls"),
    ("mazhilis-2021", "interim", "20:00", "Mazhilis, 2021\n20:00, west still voting"),
    ("ref-2022", "election_night", None, "Referendum, June 2022\nclose of polls, 22:00"),
    ("pres-2022", "election_night", None, "President, Nov 2022\nclose of polls, 22:00"),
    ("mazhilis-2023", "election_night", "22:10", "Mazhilis, 2023\nclose of polls, 22:10"),
    ("ref-2024", "election_night", None, "Referendum, 2024\nclose of polls, 20:00"),
    ("ref-2026", "interim", "18:00", "Referendum, 2026\n18:00, polls still open"),
]
NUDGE = {"almaty_city": (-1.2, -1.6), "astana": (-3.8, -0.9), "shymkent": (-3.4, -0.6)}


def units_on(date: Any, data_dir: Path | str | None = None) -> int:
    """How many first-level units the map had on `date`: 17 before 8 June 2022, 20 from then."""
    regions = load("regions", data_dir)
    day = pd.Timestamp(date)
    existed = regions[(regions["valid_from"].isna() | (regions["valid_from"] <= day))
                      & (regions["valid_to"].isna() | (regions["valid_to"] >= day))]
    return len(existed)


def _rings(geometry: Mapping[str, Any]) -> list[list[list[float]]]:
    """Outer rings of a Polygon or MultiPolygon (holes are ignored: the units have none that matter at this scale)."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    return [polygon[0] for polygon in geometry["coordinates"]]


def _centre(ring: list[list[float]]) -> tuple[float, float, float]:
    """Area and centroid of a ring (shoelace formula)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    area /= 2
    if area == 0:
        return 0.0, ring[0][0], ring[0][1]
    return abs(area), cx / (6 * area), cy / (6 * area)


def unit_shapes(units: int, data_dir: Path | str | None = None) -> dict[str, dict[str, Any]]:
    """The outlines of the 17-unit or 20-unit map, by region_id: rings and label position."""
    shapes = load_shapes("region_shapes", data_dir)
    out = {}
    for feature in shapes["features"]:
        props = feature["properties"]
        if props["units"] != units:
            continue
        rings = _rings(feature["geometry"])
        _, x, y = max(_centre(r) for r in rings)
        out[props["region_id"]] = {"rings": rings, "label": props["name"], "x": x, "y": y}
    if len(out) != units:
        raise ValueError(f"region_shapes holds {len(out)} units of the {units}-unit map")
    return out


def choropleth(
    ax: Axes,
    values: Mapping[str, float],
    units: int,
    norm: Normalize,
    cmap: str = "cividis",
    labels: bool = True,
    fontsize: float = 6.5,
    data_dir: Path | str | None = None,
    fills: Mapping[str, str] | None = None,
) -> None:
    """Fill each unit by its value (units without a value are pale grey and hatched); label units where they fit.
    With `fills` (a colour per unit, for a map of categories) the units take those colours, `values` and `norm`
    are not used, and the labels give the names only."""
    shapes = unit_shapes(units, data_dir)
    unknown = set(fills if fills is not None else values) - set(shapes)
    if unknown:
        raise KeyError(f"values for units not on the {units}-unit map: {sorted(unknown)}")
    colours = mpl.colormaps[cmap]
    patches, faces, hatched = [], [], []
    for region_id in sorted(shapes):
        value = values.get(region_id)
        for ring in shapes[region_id]["rings"]:
            patch = Polygon(ring, closed=True)
            if fills is not None and region_id in fills:
                patches.append(patch)
                faces.append(fills[region_id])
            elif fills is not None or value is None or pd.isna(value):
                hatched.append(patch)
            else:
                patches.append(patch)
                faces.append(colours(norm(value)))
    ax.add_collection(PatchCollection(patches, facecolors=faces, edgecolors="white", linewidths=0.5, zorder=2))
    ax.add_collection(PatchCollection(hatched, facecolors=MISSING, edgecolors="#999999", linewidths=0.5,
                                      hatch="////", zorder=2))
    if labels:
        for region_id, unit in sorted(shapes.items()):
            value = None if fills is not None else values.get(region_id)
            text = unit["label"] if value is None or pd.isna(value) else f"{unit['label']}\n{value:.1f}"
            if fills is not None and region_id in fills:
                red, green, blue = mpl.colors.to_rgb(fills[region_id])
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
            else:
                dark = value is not None and not pd.isna(value) and norm(value) < 0.55
            if region_id in SMALL_UNITS:
                dx, dy = NUDGE[region_id]
                ax.annotate(text, (unit["x"], unit["y"]), xytext=(unit["x"] + dx, unit["y"] + dy),
                            ha="center", va="center", fontsize=fontsize, color="#222222", zorder=4,
                            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
                            arrowprops={"arrowstyle": "-", "color": "#555555", "lw": 0.5})
            else:
                ax.text(unit["x"], unit["y"], text, ha="center", va="center", fontsize=fontsize, zorder=3,
                        color="white" if dark else "#222222")
    ax.set_xlim(46.0, 87.8)
    ax.set_ylim(40.2, 55.8)
    ax.set_aspect(ASPECT)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)


def regional_values(vote_id: str, variant: str, measure: str = "turnout", as_of: str | None = None,
                    data_dir: Path | str | None = None) -> pd.DataFrame:
    """Rows of regional_results for one report of one vote, with each unit's label; `as_of` picks among reports."""
    rows = load("regional_results", data_dir)
    chosen = rows[(rows["vote_id"] == vote_id) & (rows["variant"] == variant) & (rows["measure"] == measure)]
    if as_of is not None:
        chosen = chosen[chosen["as_of"] == as_of]
    if chosen.empty:
        raise KeyError(f"no regional {measure} for {vote_id} ({variant}, {as_of})")
    labels = load("regions", data_dir).set_index("region_id")["label"]
    return chosen.assign(label=chosen["region_id"].map(labels)).reset_index(drop=True)


def colour_bar(fig: Any, axes: Iterable[Axes] | Axes, norm: Normalize, label: str, cmap: str = "cividis") -> Any:
    """A horizontal colour bar under the given axes, for a legend of the fill colours."""
    mappable = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(mappable, ax=axes, orientation="horizontal", fraction=0.05, pad=0.02, shrink=0.6)
    bar.set_label(label, fontsize=8.5)
    bar.ax.tick_params(labelsize=8)
    return bar
