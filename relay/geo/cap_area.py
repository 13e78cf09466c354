"""A CAP alert's own `<area>` blocks as a broadcast's area (what `alerts/cap.py` asks for through the
public API, `relay.area_extras_for_cap`): every polygon, circle and geocode, labelled with its areaDesc;
people without a location as `[geo] cap_no_location` says (nobody is there to ask)."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from relay.geo.area import build
from relay.geo.audience import EXTRAS_KEY
from relay.geo.settings import geo_settings


def extras_for_cap(areas: Iterable[Any], settings: Any) -> dict[str, Any]:
    """`areas`: objects with `description`, `polygons`, `circles`, `geocodes` (alerts' CapArea). {} when
    none of them has any geometry or geocode (the alert then targets its areaDescs as audience regions,
    as before geo-targeting)."""
    polygons: list[tuple[str, str]] = []
    circles: list[tuple[str, str]] = []
    codes: list[tuple[str, str]] = []
    areas = list(areas)
    for area in areas:
        label = area.description or "area"
        polygons += _labelled(label, "polygon", area.polygons)
        circles += _labelled(label, "circle", area.circles)
        codes += [(f"{label} ({name}={value})", f"{name}={value}") for name, value in area.geocodes]
    if not (polygons or circles or codes):
        return {}
    # The areaDescs stay regions of the area: a person the operator tagged "Ouest" is in the area "Ouest"
    # whether or not they gave a point.
    # (A description longer than a region tag can be names no tagged person.)
    regions = [a.description for a in areas if a.description and len(a.description) <= 100]
    area = build(polygons, circles, codes, geo_settings(settings).cap_no_location, regions)
    return {EXTRAS_KEY: area.as_json()}


def _labelled(label: str, kind: str, items: Sequence[str]) -> list[tuple[str, str]]:
    if len(items) == 1:
        return [(f"{label} ({kind})", items[0])]
    return [(f"{label} ({kind} {i})", text) for i, text in enumerate(items, 1)]
