"""`--area-file`: the areas of a CAP 1.2 alert (every `<area>` of its `<info>` blocks) or of a GeoJSON
file (Polygon, MultiPolygon, Feature, FeatureCollection; a Point with a `radius_km` property is a circle).

Parsed with defusedxml (no entity expansion, no external fetches) and json; the geometry itself is
checked by area.py like any other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

from relay.geo.area import Area, GeoError, build

CAP_NS = "{urn:oasis:names:tc:emergency:cap:1.2}"
MAX_BYTES = 5 * 2**20


def read_area_file(path: Path, no_location: str | None = None) -> Area:
    raw = path.read_bytes()
    if len(raw) > MAX_BYTES:
        raise GeoError(f"{path.name}: larger than {MAX_BYTES // 2**20} MiB")
    text = raw.decode("utf-8-sig", errors="strict").lstrip()
    if text.startswith("<"):
        polygons, circles, codes = cap_areas(text)
    else:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise GeoError(f"{path.name}: neither CAP XML nor GeoJSON ({exc})") from None
        polygons, circles, codes = geojson_areas(data)
    area = build(polygons, circles, codes, no_location)
    if not area:
        raise GeoError(f"{path.name}: no polygon, circle or geocode in it")
    return area


def cap_areas(document: str) -> tuple[list, list, list]:
    """(polygons, circles, geocodes) of every `<area>`, each labelled with its areaDesc."""
    try:
        root = ElementTree.fromstring(document)
    except Exception as exc:  # defusedxml's and the parser's errors alike
        raise GeoError(f"the CAP document is not well-formed XML: {exc}") from None
    polygons, circles, codes = [], [], []
    for area in root.iter(f"{CAP_NS}area"):
        label = (area.findtext(f"{CAP_NS}areaDesc") or "area").strip()
        for i, polygon in enumerate(area.findall(f"{CAP_NS}polygon"), 1):
            polygons.append((f"{label} (polygon {i})", polygon.text or ""))
        for i, circle in enumerate(area.findall(f"{CAP_NS}circle"), 1):
            circles.append((f"{label} (circle {i})", circle.text or ""))
        for geocode in area.findall(f"{CAP_NS}geocode"):
            name, value = geocode.findtext(f"{CAP_NS}valueName") or "", geocode.findtext(f"{CAP_NS}value") or ""
            codes.append((f"{label} ({name.strip()}={value.strip()})", f"{name}={value}"))
    return polygons, circles, codes


def _ring(coordinates: Any, label: str) -> str:
    try:
        return " ".join(f"{float(lat)!r},{float(lon)!r}" for lon, lat, *_ in coordinates)
    except (TypeError, ValueError):
        raise GeoError(f"{label}: coordinates must be [longitude, latitude] pairs") from None


def geojson_areas(data: Any) -> tuple[list, list, list]:
    polygons: list = []
    circles: list = []

    def visit(item: Any, label: str) -> None:
        if not isinstance(item, dict):
            raise GeoError(f"{label}: a GeoJSON object was expected")
        kind = item.get("type")
        if kind == "FeatureCollection":
            for i, feature in enumerate(item.get("features") or [], 1):
                visit(feature, f"feature {i}")
        elif kind == "Feature":
            properties = item.get("properties") or {}
            name = str(properties.get("name") or properties.get("areaDesc") or label)
            geometry = item.get("geometry")
            if isinstance(geometry, dict) and geometry.get("type") == "Point":
                if "radius_km" not in properties:
                    raise GeoError(f"{name}: a Point needs a radius_km property to be a circle")
                lon, lat, *_ = geometry.get("coordinates") or [None, None]
                circles.append((name, f"{lat},{lon} {properties['radius_km']}"))
            else:
                visit(geometry, name)
        elif kind in ("Polygon", "MultiPolygon"):
            shapes = [item.get("coordinates")] if kind == "Polygon" else list(item.get("coordinates") or [])
            for i, rings in enumerate(shapes, 1):
                if not isinstance(rings, list) or not rings:
                    raise GeoError(f"{label}: a polygon needs its coordinates")
                if len(rings) > 1:
                    raise GeoError(f"{label}: polygons with holes are not supported (CAP polygons have none)")
                polygons.append((label if len(shapes) == 1 else f"{label} ({i})", _ring(rings[0], label)))
        else:
            raise GeoError(f"{label}: GeoJSON type {kind!r} is not an area (Polygon, MultiPolygon, Feature, "
                           "FeatureCollection)")

    visit(data, "area")
    return polygons, circles, []
