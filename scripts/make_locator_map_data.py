"""Derive data/neighbours.geojson (Kazakhstan and its region) from the npm package world-atlas.

Run once, by hand, when the map data should change; the book never downloads anything:

    npm pack world-atlas@2.0.2            # from the npm registry
    tar xzf world-atlas-2.0.2.tgz
    python scripts/make_locator_map_data.py package/countries-50m.json data/neighbours.geojson

world-atlas ships Natural Earth's 1:50m admin-0 countries (public domain) as TopoJSON.
This script decodes the arcs, keeps the countries of the region, clips them to a box
around Kazakhstan and rounds coordinates to 0.01 degree (about 1 km) to keep the file small.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

# ISO 3166-1 numeric codes (the `id` of world-atlas features) and alpha-3 codes.
REGION = {
    "398": "KAZ", "643": "RUS", "156": "CHN", "417": "KGZ", "860": "UZB", "795": "TKM",
    "762": "TJK", "496": "MNG", "004": "AFG", "364": "IRN", "031": "AZE", "268": "GEO", "051": "ARM",
}
BOX = (40.0, 34.0, 96.0, 60.0)  # west, south, east, north (degrees)


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Absolute lon/lat arcs from a quantised, delta-encoded TopoJSON topology."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """Join arcs into one closed ring; a negative index ~i means arc i reversed."""
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def clip(points: list[tuple[float, float]], box: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    """Sutherland–Hodgman clipping of a ring to an axis-aligned box."""
    west, south, east, north = box
    edges = [(lambda p: p[0] >= west, lambda a, b: _cross_x(a, b, west)),
             (lambda p: p[0] <= east, lambda a, b: _cross_x(a, b, east)),
             (lambda p: p[1] >= south, lambda a, b: _cross_y(a, b, south)),
             (lambda p: p[1] <= north, lambda a, b: _cross_y(a, b, north))]
    for inside, cross in edges:
        if not points:
            break
        output = []
        previous = points[-1]
        for current in points:
            if inside(current):
                if not inside(previous):
                    output.append(cross(previous, current))
                output.append(current)
            elif inside(previous):
                output.append(cross(previous, current))
            previous = current
        points = output
    return points


def _cross_x(a: tuple[float, float], b: tuple[float, float], x: float) -> tuple[float, float]:
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _cross_y(a: tuple[float, float], b: tuple[float, float], y: float) -> tuple[float, float]:
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def rounded(points: list[tuple[float, float]]) -> list[list[float]]:
    """Round to 0.01 degree, drop repeated points and close the ring."""
    out: list[list[float]] = []
    for x, y in points:
        point = [round(x, 2), round(y, 2)]
        if not out or out[-1] != point:
            out.append(point)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out


def features(topology: dict) -> list[dict]:
    """GeoJSON features of the region's countries, clipped and rounded."""
    arcs = decode_arcs(topology)
    result = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("id") not in REGION:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        kept = []
        for polygon in polygons:
            rings = [rounded(clip(ring(r, arcs), BOX)) for r in polygon]
            if len(rings[0]) >= 4:
                kept.append([r for r in rings if len(r) >= 4])
        if kept:
            result.append({
                "type": "Feature",
                "properties": {"name": geometry["properties"]["name"], "iso_a3": REGION[geometry["id"]],
                               "iso_n3": geometry["id"]},
                "geometry": {"type": "MultiPolygon", "coordinates": kept},
            })
    return sorted(result, key=lambda f: f["properties"]["iso_a3"])


def main(source: str, target: str) -> None:
    """Write the clipped region as a compact GeoJSON FeatureCollection."""
    topology = json.loads(Path(source).read_text(encoding="utf-8"))
    collection = {"type": "FeatureCollection", "bbox": list(BOX), "features": features(topology)}
    Path(target).write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")
    digest = hashlib.sha256(Path(target).read_bytes()).hexdigest()
    print(f'wrote {target}: record it in data/datapackage.json as "hash": "sha256:{digest}"')


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python scripts/make_locator_map_data.py package/countries-50m.json data/neighbours.geojson")
    main(*sys.argv[1:3])
