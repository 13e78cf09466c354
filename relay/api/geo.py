"""relay/geo over HTTP: a subscriber's location (read, replace), and the `area` of a broadcast request
(checked by the same rules as the CLI and CAP imports; a bad polygon is a 400 that names it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from relay.api.auth import Principal, allow, principal
from relay.api.common import PROBLEMS, Id, Relay, relay
from relay.api.schemas import AreaIn, LocationIn, LocationOut
from relay.core.models import Subscriber
from relay.delivery.outbox import BroadcastError
from relay.geo import locations
from relay.geo.area import GeoError, build
from relay.geo.audience import EXTRAS_KEY
from relay.geo.settings import geo_settings

router = APIRouter(prefix="/api", tags=["subscribers"], responses=PROBLEMS)


def area_extras(data: AreaIn, settings: Any) -> dict[str, Any]:
    policy = data.no_location or geo_settings(settings).default_policy()
    try:
        area = build(data.polygons, data.circles, data.geocodes, policy)
    except GeoError as exc:
        raise BroadcastError(f"area: {exc}") from None
    if not area:
        raise BroadcastError("area: give at least one polygon, circle or geocode (or leave area out)")
    return {EXTRAS_KEY: area.as_json()}


def _out(subscriber_id: int, location: locations.Location) -> dict:
    return {"subscriber": subscriber_id, **location.as_json()}


@router.get("/subscribers/{subscriber_id}/location", response_model=LocationOut)
def get_location(subscriber_id: Id, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    allow(r.database, who, "subscribers.view", f"subscriber:{subscriber_id}")
    with r.database.sessions() as session:
        if session.get(Subscriber, subscriber_id) is None:
            raise HTTPException(404, f"no subscriber {subscriber_id}")
        return _out(subscriber_id, locations.read(session, subscriber_id))


@router.put("/subscribers/{subscriber_id}/location", response_model=LocationOut)
def put_location(subscriber_id: Id, data: LocationIn, who: Principal = Depends(principal),
                 r: Relay = Depends(relay)) -> dict:
    """Replace a person's location: a point (latitude and longitude together) and/or geocodes; all
    empty clears it."""
    allow(r.database, who, "subscribers.manage", f"subscriber:{subscriber_id}")
    if (data.latitude is None) != (data.longitude is None):
        raise HTTPException(422, "latitude and longitude go together: give both or neither")
    try:
        codes = locations.codes_of(data.geocodes)
    except GeoError as exc:
        raise HTTPException(422, f"geocodes: {exc}") from None
    point = (data.latitude, data.longitude) if data.latitude is not None else None
    with r.database.sessions.begin() as session:
        if session.get(Subscriber, subscriber_id) is None:
            raise HTTPException(404, f"no subscriber {subscriber_id}")
        stored = locations.store(session, subscriber_id, point=point, codes=codes, source="api", actor=who.actor)
        return _out(subscriber_id, stored)
