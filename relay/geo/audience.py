"""An area as part of a broadcast's audience, in two steps that together give exactly the people inside.

1. In SQL, with the outbox's own audience filter (the `audience_filters` hook): people whose point lies in
   the bounding box of a polygon or circle, people with one of the area's geocodes, and, when the
   broadcast includes them, people with no location at all. A superset of the answer, cheap to ask.
2. In the broadcast's planning transaction (the plan hook): the exact test (matching.py) on the points of
   the people planned, and their delivery rows removed when they are outside every part and have none of
   the geocodes. People without a location are counted; a broadcast that has some and did not say
   whether to include them is refused, never planned with them silently dropped.

The area rides in `request.extras["geo"]` (Area.as_json), so every way a broadcast is planned (CLI, API,
a CAP import, a scheduled send) gets the same treatment.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from relay.core import audit
from relay.core.models import Broadcast, Delivery, Endpoint, Subscriber, SubscriberRegion
from relay.delivery import outbox
from relay.delivery.outbox import BroadcastError
from relay.geo.area import Area, GeoError, from_json
from relay.geo.matching import match_points
from relay.geo.models import BroadcastArea, GeoCode, GeoLocation

EXTRAS_KEY = "geo"
CHUNK = 5_000  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


def area_of(request: Any) -> Area | None:
    spec = (getattr(request, "extras", None) or {}).get(EXTRAS_KEY)
    if not spec:
        return None
    try:
        return from_json(spec)
    except GeoError as exc:
        raise BroadcastError(f"area: {exc}") from None


def _has_point():
    return exists().where(GeoLocation.subscriber_id == Subscriber.id, GeoLocation.lat.is_not(None))


def _has_code():
    return exists().where(GeoCode.subscriber_id == Subscriber.id)


def _has_region():
    return exists().where(SubscriberRegion.subscriber_id == Subscriber.id)


def _unlocated(area: Area):
    """No point and no geocode (and no region tag, when the area names regions: then a tag is a place)."""
    terms = [~_has_point(), ~_has_code()]
    if area.regions:
        terms.append(~_has_region())
    return and_(*terms)


def _code_terms(area: Area):
    return or_(*(and_(GeoCode.name == c.name, GeoCode.value == c.value) for c in area.codes))


def audience_filter(request: Any):
    """Audience hook (relay/core/hooks.py): the SQL superset described above, or None without an area."""
    area = area_of(request)
    if area is None:
        return None
    terms = []
    boxes = area.bboxes()
    if boxes:
        terms.append(exists().where(GeoLocation.subscriber_id == Subscriber.id, or_(*(
            and_(GeoLocation.lat.between(la, ha), GeoLocation.lon.between(lo, ho)) for la, lo, ha, ho in boxes))))
    if area.codes:
        terms.append(exists().where(GeoCode.subscriber_id == Subscriber.id, _code_terms(area)))
    if area.regions:
        terms.append(exists().where(SubscriberRegion.subscriber_id == Subscriber.id,
                                    SubscriberRegion.region.in_([r.region for r in area.regions])))
    if area.no_location != "exclude":  # None: kept so that the plan hook can count them and ask
        terms.append(_unlocated(area))
    return or_(*terms)


@dataclass
class Assessment:
    """What an area makes of a set of people: how many each part reaches, how many have no location,
    and who is outside (to be removed)."""

    parts: list[dict[str, Any]] = field(default_factory=list)
    inside: int = 0
    no_location: int = 0
    outside: list[int] = field(default_factory=list)

    def as_json(self, policy: str | None) -> dict[str, Any]:
        return {"parts": self.parts, "inside": self.inside, "no_location": self.no_location,
                "no_location_policy": policy, "outside_removed": len(self.outside)}


def assess(session: Session, area: Area, people: Select) -> Assessment:
    """`people`: a SELECT of subscriber ids (the broadcast's, or the audience's for a preview)."""
    ids = people.distinct().subquery()
    person = ids.c[0]
    coded: dict[tuple[str, str], set[int]] = {}
    if area.codes:
        for subscriber_id, name, value in session.execute(
                select(GeoCode.subscriber_id, GeoCode.name, GeoCode.value)
                .where(GeoCode.subscriber_id.in_(select(person)), _code_terms(area))):
            coded.setdefault((name, value), set()).add(subscriber_id)
    rows = session.execute(select(GeoLocation.subscriber_id, GeoLocation.lat, GeoLocation.lon)
                           .where(GeoLocation.subscriber_id.in_(select(person)), GeoLocation.lat.is_not(None))).all()
    located = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    matched = match_points(area, [r[1] for r in rows], [r[2] for r in rows])
    result = Assessment()
    shapes = [*area.polygons, *area.circles]
    for shape, found in zip(shapes, matched.per_part):
        result.parts.append({**shape.as_json(), "people": int(len(found))})
    by_code: set[int] = set()
    for code in area.codes:
        members = coded.get((code.name, code.value), set())
        by_code |= members
        result.parts.append({**code.as_json(), "people": len(members)})
    if area.regions:
        tagged: dict[str, set[int]] = {}
        for subscriber_id, region in session.execute(
                select(SubscriberRegion.subscriber_id, SubscriberRegion.region)
                .where(SubscriberRegion.subscriber_id.in_(select(person)),
                       SubscriberRegion.region.in_([r.region for r in area.regions]))):
            tagged.setdefault(region, set()).add(subscriber_id)
        for region in area.regions:
            members = tagged.get(region.region, set())
            by_code |= members
            result.parts.append({"label": region.label, "region": region.region, "people": len(members)})
    inside_points = set(located[matched.inside].tolist())
    result.inside = len(inside_points | by_code)
    result.outside = sorted(set(located.tolist()) - inside_points - by_code)
    return result


def no_location_count(session: Session, request: Any, channels: Sequence[str]) -> int:
    """People of the audience (before the area) who have neither a point nor a geocode."""
    spec = dict(request.extras[EXTRAS_KEY])
    probe = replace(request, extras={**request.extras, EXTRAS_KEY: {**spec, "no_location": "include"}})
    return int(session.scalar(
        select(func.count(func.distinct(Subscriber.id))).select_from(Endpoint)
        .join(Subscriber, Endpoint.subscriber_id == Subscriber.id)
        .where(outbox._audience_filter(probe, list(channels)), _unlocated(from_json(spec)))) or 0)


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def no_location_refusal(count: int) -> str:
    return (f"{count:,} people in this audience have no location: say whether to include them or leave them "
            "out (--no-location include|exclude; API: area.no_location)")


def on_planned(session: Session, broadcast: Broadcast, request, senders: Mapping[str, Sequence[str]],
               now: datetime) -> None:
    """Plan hook: keep exactly the people inside the area (and those without a location, if included)."""
    area = area_of(request)
    if area is None:
        return
    people = (select(Endpoint.subscriber_id).join(Delivery, Delivery.endpoint_id == Endpoint.id)
              .where(Delivery.broadcast_id == broadcast.id))
    found = assess(session, area, people)
    found.no_location = no_location_count(session, request, sorted(senders))
    if found.no_location and area.no_location is None:
        raise BroadcastError(no_location_refusal(found.no_location))
    for chunk in _chunks(found.outside):
        session.execute(delete(Delivery).where(
            Delivery.broadcast_id == broadcast.id,
            Delivery.endpoint_id.in_(select(Endpoint.id).where(Endpoint.subscriber_id.in_(list(chunk)))))
            .execution_options(synchronize_session=False))
    policy = area.no_location or "exclude"  # none to decide about
    reached = found.inside + (found.no_location if policy == "include" else 0)
    session.add(BroadcastArea(broadcast_id=broadcast.id, area=area.as_json(), no_location=policy,
                              counts=found.as_json(policy), people=reached))
    session.flush()
    audit.record(session, "relay.geo", "broadcast.area", f"broadcast:{broadcast.id}", inside=found.inside,
                 no_location=found.no_location, no_location_policy=policy, parts=found.parts)


def preview(session: Session, request: Any, channels: Sequence[str]) -> tuple[dict[str, Any], list[int]] | None:
    """Before sending: people per part of the area, inside in all, without a location; and the people the
    SQL prefilter let through who are outside (the caller takes them off its counts). None: no area."""
    area = area_of(request)
    if area is None:
        return None
    people = (select(Endpoint.subscriber_id).join(Subscriber, Endpoint.subscriber_id == Subscriber.id)
              .where(outbox._audience_filter(request, list(channels))))
    found = assess(session, area, people)
    found.no_location = no_location_count(session, request, channels)
    summary = found.as_json(area.no_location)
    summary.pop("outside_removed")
    summary["message"] = no_location_line(found.no_location, area.no_location)
    return summary, found.outside


def outside_cells(session: Session, request: Any, channels: Sequence[str], outside: Sequence[int]) -> dict[tuple[str, str], int]:
    """(channel, language) -> endpoints of `outside` people that the audience filter counted."""
    cells: dict[tuple[str, str], int] = {}
    for chunk in _chunks(list(outside)):
        for channel, language, n in session.execute(
                select(Endpoint.channel, Subscriber.language, func.count()).select_from(Endpoint)
                .join(Subscriber, Endpoint.subscriber_id == Subscriber.id)
                .where(outbox._audience_filter(request, list(channels)), Subscriber.id.in_(list(chunk)))
                .group_by(Endpoint.channel, Subscriber.language)):
            cells[(channel, language)] = cells.get((channel, language), 0) + int(n)
    return cells


def no_location_line(count: int, policy: str | None) -> str:
    """What a coordinator reads: "12,400 people have no location: included" (or the question)."""
    if not count:
        return "everyone in this audience has a location"
    said = {"include": "included", "exclude": "left out"}.get(policy or "", "include them or leave them out?")
    return f"{count:,} {'person has' if count == 1 else 'people have'} no location: {said}"
