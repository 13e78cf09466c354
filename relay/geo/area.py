"""An area as CAP 1.2 `<area>` describes one: polygons ("lat,lon lat,lon ...", a closed ring), circles
("lat,lon radius_km") and geocodes (valueName=value); any mix. Parsed and checked here once, so every way
in (CLI, API, a CAP import, a GeoJSON file) refuses the same bad geometry with the same words.

Coordinates are WGS84 degrees, latitude first as CAP writes them; shapely's x is the longitude.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

import shapely
from shapely.geometry import Polygon as ShapelyPolygon

NO_LOCATION = ("include", "exclude")
CODE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,31}$")
MAX_VALUE = 64
MAX_RADIUS_KM = 20_038.0  # half the Earth's circumference: a circle beyond it covers everything


class GeoError(ValueError):
    """A location or an area that cannot be used; the message says which part and why."""


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise GeoError(f"{what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise GeoError(f"{what} {text!r} is not a finite number")
    return value


def parse_point(text: str, what: str = "point") -> tuple[float, float]:
    """"lat,lon" (spaces after the comma allowed) -> (lat, lon), range-checked."""
    parts = [p.strip() for p in text.strip().split(",")]
    if len(parts) != 2 or not all(parts):
        raise GeoError(f"{what} {text.strip()!r}: write it as lat,lon, e.g. 18.54,-72.34")
    return check_point(_number(parts[0], f"{what} latitude"), _number(parts[1], f"{what} longitude"), what)


def check_point(lat: float, lon: float, what: str = "point") -> tuple[float, float]:
    if not -90.0 <= lat <= 90.0:
        raise GeoError(f"{what}: latitude {lat:g} is out of range (-90 to 90)")
    if not -180.0 <= lon <= 180.0:
        raise GeoError(f"{what}: longitude {lon:g} is out of range (-180 to 180)")
    return lat, lon


def check_code(name: str, value: str, what: str = "geocode") -> tuple[str, str]:
    name, value = name.strip().upper(), value.strip()
    if not CODE_NAME.match(name):
        raise GeoError(f"{what} name {name[:40]!r}: letters, digits and _.:- only, at most 32 characters "
                       "(e.g. SAME, EMMA_ID, NUTS3, ISO3166-2)")
    if not value or len(value) > MAX_VALUE or any(c.isspace() for c in value):
        raise GeoError(f"{what} {name}: the value must be 1 to {MAX_VALUE} characters without spaces")
    return name, value


def parse_code(text: str, what: str = "geocode") -> tuple[str, str]:
    """"NAME=VALUE" (SAME=006113) -> (NAME, VALUE)."""
    name, sep, value = text.partition("=")
    if not sep:
        raise GeoError(f"{what} {text.strip()[:40]!r}: write it as NAME=VALUE, e.g. SAME=006113")
    return check_code(name, value, what)


KM_PER_DEGREE = 111.32  # along a meridian, and along the equator


@dataclass(frozen=True)
class _Part:
    """One part of an area, under its label. `as_json` is how the API, the audit log and the stored
    audience write it: the label and the part in CAP's text form (what `from_json` reads back)."""

    label: str
    kind: ClassVar[str]  # its key in the JSON: polygon | circle | geocode | region

    def cap_text(self) -> str:
        raise NotImplementedError

    def as_json(self) -> dict[str, str]:
        return {"label": self.label, self.kind: self.cap_text()}


@dataclass(frozen=True)
class PolygonPart(_Part):
    kind = "polygon"
    ring: tuple[tuple[float, float], ...]  # (lat, lon), closed: first == last

    def geometry(self) -> ShapelyPolygon:
        return ShapelyPolygon([(lon, lat) for lat, lon in self.ring])

    def cap_text(self) -> str:
        return " ".join(f"{lat:g},{lon:g}" for lat, lon in self.ring)


@dataclass(frozen=True)
class CirclePart(_Part):
    kind = "circle"
    lat: float
    lon: float
    radius_km: float

    def cap_text(self) -> str:
        return f"{self.lat:g},{self.lon:g} {self.radius_km:g}"

    def bbox(self) -> tuple[float, float, float, float]:
        """A box that holds the whole circle (generous near the poles: the full longitude range)."""
        dlat = self.radius_km / KM_PER_DEGREE
        lat_low, lat_high = max(-90.0, self.lat - dlat), min(90.0, self.lat + dlat)
        widest = max(abs(lat_low), abs(lat_high))
        if widest >= 89.0:
            return lat_low, -180.0, lat_high, 180.0
        dlon = self.radius_km / (KM_PER_DEGREE * math.cos(math.radians(widest)))
        if dlon >= 180.0 or self.lon - dlon < -180.0 or self.lon + dlon > 180.0:  # or across the antimeridian
            return lat_low, -180.0, lat_high, 180.0
        return lat_low, max(-180.0, self.lon - dlon), lat_high, min(180.0, self.lon + dlon)


@dataclass(frozen=True)
class CodePart(_Part):
    kind = "geocode"
    name: str
    value: str

    def cap_text(self) -> str:
        return f"{self.name}={self.value}"


@dataclass(frozen=True)
class RegionPart(_Part):
    """One of the operator's region names (a subscriber's `regions`), e.g. a CAP areaDesc. When an area
    names regions, a region tag counts as a location: tagged people are inside or outside by it."""

    kind = "region"
    region: str

    def cap_text(self) -> str:
        return self.region


def parse_polygon(text: str, label: str = "") -> PolygonPart:
    """CAP's polygon: at least four "lat,lon" pairs separated by spaces, the first and last the same,
    a ring that does not cross itself."""
    label = label or "polygon"
    pairs = text.split()
    points = tuple(parse_point(pair, f"{label}: point {i}") for i, pair in enumerate(pairs, 1))
    if len(points) < 4:
        raise GeoError(f"{label}: a polygon needs at least 4 points (3 corners and the first again); got {len(points)}")
    if points[0] != points[-1]:
        raise GeoError(f"{label}: the ring is not closed: the first point {pairs[0]} and the last {pairs[-1]} "
                       "must be the same")
    part = PolygonPart(label, points)
    geometry = part.geometry()
    if not shapely.is_valid(geometry):
        reason = shapely.is_valid_reason(geometry)  # e.g. "Self-intersection[-72.3 18.5]"
        where = re.search(r"\[([-0-9.e]+) ([-0-9.e]+)\]", reason)
        at = f" near {float(where[2]):g},{float(where[1]):g}" if where else ""
        what = "crosses itself" if reason.startswith(("Self-intersection", "Ring Self-intersection")) else "is invalid"
        raise GeoError(f"{label}: the polygon {what}{at} ({reason.split('[')[0]}); list its corners in order "
                       "around the edge")
    if geometry.area == 0:
        raise GeoError(f"{label}: the polygon has no area (its points lie on one line)")
    return part


def parse_circle(text: str, label: str = "") -> CirclePart:
    """CAP's circle: "lat,lon radius" with the radius in kilometres."""
    label = label or "circle"
    center, _, radius = text.strip().partition(" ")
    if not radius.strip():
        raise GeoError(f"{label} {text.strip()!r}: write it as \"lat,lon radius_km\", e.g. \"18.54,-72.34 10\"")
    lat, lon = parse_point(center, f"{label}: centre")
    km = _number(radius.strip(), f"{label}: radius")
    if not 0 <= km <= MAX_RADIUS_KM:  # CAP allows 0: the point itself
        raise GeoError(f"{label}: radius {km:g} km must be from 0 to {MAX_RADIUS_KM:g}")
    return CirclePart(label, lat, lon, km)


@dataclass(frozen=True)
class Area:
    polygons: tuple[PolygonPart, ...] = ()
    circles: tuple[CirclePart, ...] = ()
    codes: tuple[CodePart, ...] = ()
    no_location: str | None = None  # include | exclude | None: not decided yet
    regions: tuple[RegionPart, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.polygons or self.circles or self.codes or self.regions)

    @property
    def parts(self) -> list[Any]:
        return [*self.polygons, *self.circles, *self.codes, *self.regions]

    def bboxes(self) -> list[tuple[float, float, float, float]]:
        """(min lat, min lon, max lat, max lon) of each polygon and circle: the SQL prefilter."""
        boxes = []
        for polygon in self.polygons:
            lats, lons = [p[0] for p in polygon.ring], [p[1] for p in polygon.ring]
            boxes.append((min(lats), min(lons), max(lats), max(lons)))
        boxes.extend(c.bbox() for c in self.circles)
        return boxes

    def as_json(self) -> dict[str, Any]:
        return {"parts": [p.as_json() for p in self.parts], "no_location": self.no_location}


def check_no_location(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value not in NO_LOCATION:
        raise GeoError(f"no-location {value!r}: expected include or exclude")
    return value


def build(polygons: Iterable[str | tuple[str, str]] = (), circles: Iterable[str | tuple[str, str]] = (),
          codes: Iterable[str | tuple[str, str]] = (), no_location: str | None = None,
          regions: Iterable[str] = ()) -> Area:
    """An area from CAP-style strings, each optionally with a label: ("Zone A", "18.5,-72.3 ...")."""
    def labelled(items, kind):
        for i, item in enumerate(items, 1):
            label, text = item if isinstance(item, tuple) else (f"{kind} {i}", item)
            yield label or f"{kind} {i}", text

    polygon_parts = tuple(parse_polygon(text, label) for label, text in labelled(polygons, "polygon"))
    circle_parts = tuple(parse_circle(text, label) for label, text in labelled(circles, "circle"))
    code_parts = []
    for label, text in labelled(codes, "geocode"):
        name, value = parse_code(text)
        code_parts.append(CodePart(label if not label.startswith("geocode ") else f"{name}={value}", name, value))
    region_parts = []
    for region in dict.fromkeys(r.strip() for r in regions):
        if not region or len(region) > 100:
            raise GeoError(f"region {region[:40]!r}: 1 to 100 characters")
        region_parts.append(RegionPart(region, region))
    return Area(polygon_parts, circle_parts, tuple(code_parts), check_no_location(no_location), tuple(region_parts))


def from_json(data: Any) -> Area:
    """The form kept in a request's extras and in `geo_broadcast_areas` (as `Area.as_json` writes it)."""
    if not isinstance(data, dict) or not isinstance(data.get("parts"), list):
        raise GeoError("an area must be an object with a list of parts")
    polygons, circles, codes, regions = [], [], [], []
    for part in data["parts"]:
        if not isinstance(part, dict):
            raise GeoError("each part of an area must be an object")
        label = str(part.get("label") or "")
        if "polygon" in part:
            polygons.append((label, str(part["polygon"])))
        elif "circle" in part:
            circles.append((label, str(part["circle"])))
        elif "geocode" in part:
            codes.append((label, str(part["geocode"])))
        elif "region" in part:
            regions.append(str(part["region"]))
        else:
            raise GeoError(f"area part {label!r}: give a polygon, a circle or a geocode")
    return build(polygons, circles, codes, data.get("no_location"), regions)
