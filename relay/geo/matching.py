"""Which points lie inside an area's polygons and circles (geocodes are matched in SQL, audience.py).

One STRtree over the candidates' points (shapely 2, built once per match); each polygon is prepared and
asks the tree for the points it covers; each circle asks the tree for the points in its bounding box and
keeps those whose great-circle (haversine) distance from the centre is at most the radius.

Why haversine and not a geodesic on the ellipsoid (pyproj): a sphere of the mean radius is within 0.5 %
of the WGS84 distance, i.e. 50 m on a 10 km circle, far below the precision of a CAP circle or of a
phone's location; pyproj would add a large dependency (PROJ and its data) for a difference no alert
area can express. The bounding-box prefilter keeps the exact test to the few points near the circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import shapely
from shapely import STRtree, box

from relay.geo.area import Area, CirclePart

EARTH_RADIUS_KM = 6371.0088  # the IUGG mean radius


def haversine_km(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    phi, phi0 = np.radians(lat), np.radians(lat0)
    dphi, dlmb = phi - phi0, np.radians(lon - lon0)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi) * np.cos(phi0) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass(frozen=True)
class Matched:
    """For each polygon and circle of the area (in `Area.parts` order), the indices of the points inside;
    `inside`: a boolean per point, inside any of them."""

    per_part: list[np.ndarray]
    inside: np.ndarray


def match_points(area: Area, lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray) -> Matched:
    lat = np.asarray(lats, dtype=float)
    lon = np.asarray(lons, dtype=float)
    inside = np.zeros(len(lat), dtype=bool)
    per_part: list[np.ndarray] = []
    if len(lat) == 0 or not (area.polygons or area.circles):
        return Matched([np.empty(0, dtype=int) for _ in (*area.polygons, *area.circles)], inside)
    tree = STRtree(shapely.points(lon, lat))
    for polygon in area.polygons:
        geometry = polygon.geometry()
        shapely.prepare(geometry)
        found = np.sort(tree.query(geometry, predicate="intersects"))  # the edge counts as inside
        per_part.append(found)
        inside[found] = True
    for circle in area.circles:
        found = _in_circle(tree, lat, lon, circle)
        per_part.append(found)
        inside[found] = True
    return Matched(per_part, inside)


def _in_circle(tree: STRtree, lat: np.ndarray, lon: np.ndarray, circle: CirclePart) -> np.ndarray:
    lat_low, lon_low, lat_high, lon_high = circle.bbox()
    candidates = tree.query(box(lon_low, lat_low, lon_high, lat_high))
    distance = haversine_km(lat[candidates], lon[candidates], circle.lat, circle.lon)
    return np.sort(candidates[distance <= circle.radius_km])
