"""Setting and reading a person's location (a point and/or geocodes), from every way in: LOC by SMS,
a Telegram location, the CSV columns `latitude`, `longitude`, `geocodes`, the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from relay.core import audit
from relay.core.hooks import SubscriberColumns
from relay.geo.area import GeoError, check_code, check_point, parse_code
from relay.geo.models import GeoCode, GeoLocation

CSV_COLUMNS = ("latitude", "longitude", "geocodes")
KEEP = object()  # "leave this part as it is"


@dataclass(frozen=True)
class Location:
    point: tuple[float, float] | None
    codes: tuple[tuple[str, str], ...]

    @property
    def empty(self) -> bool:
        return self.point is None and not self.codes

    def as_json(self) -> dict[str, Any]:
        return {"latitude": self.point[0] if self.point else None, "longitude": self.point[1] if self.point else None,
                "geocodes": [f"{n}={v}" for n, v in self.codes]}


def read(session: Session, subscriber_id: int) -> Location:
    row = session.get(GeoLocation, subscriber_id)
    point = (row.lat, row.lon) if row is not None and row.lat is not None and row.lon is not None else None
    codes = tuple((n, v) for n, v in session.execute(select(GeoCode.name, GeoCode.value).where(GeoCode.subscriber_id == subscriber_id)
                                  .order_by(GeoCode.name, GeoCode.value)).all())
    return Location(point, codes)


def store(session: Session, subscriber_id: int, *, point: Any = KEEP, codes: Any = KEEP, source: str,
          actor: str) -> Location:
    """Replace the point (a (lat, lon) or None to clear) and/or the geocodes (an iterable of pairs) that
    are given; KEEP leaves that part. Values are checked again here: every caller gets the same rules."""
    if point is not KEEP:
        if point is not None:
            point = check_point(float(point[0]), float(point[1]))
        row = session.get(GeoLocation, subscriber_id)
        if row is None:
            row = GeoLocation(subscriber_id=subscriber_id)
            session.add(row)
        row.lat, row.lon = point if point is not None else (None, None)
        row.source = source
    if codes is not KEEP:
        pairs = sorted({check_code(n, v) for n, v in codes})
        session.execute(delete(GeoCode).where(GeoCode.subscriber_id == subscriber_id))
        session.add_all(GeoCode(subscriber_id=subscriber_id, name=n, value=v) for n, v in pairs)
    session.flush()
    now = read(session, subscriber_id)
    audit.record(session, actor, "subscriber.location", f"subscriber:{subscriber_id}", source=source,
                 point=bool(now.point), geocodes=len(now.codes))  # not the place itself: the log is widely read
    return now


def parse_codes(text: str) -> list[tuple[str, str]]:
    """"SAME=006113;EMMA_ID=HT001" -> pairs (the CSV `geocodes` column)."""
    return [parse_code(part) for part in text.split(";") if part.strip()]


# -- the CSV columns (relay/core/hooks.py SubscriberColumns) -------------------------------------------


def _csv_parse(row: Mapping[str, str]) -> dict[str, Any]:
    lat_text, lon_text = (row.get("latitude") or "").strip(), (row.get("longitude") or "").strip()
    parsed: dict[str, Any] = {}
    if "latitude" in row or "longitude" in row:
        if bool(lat_text) != bool(lon_text):
            raise GeoError("latitude and longitude go together: give both or neither")
        point = None
        if lat_text:
            lat, lon = _column_number(lat_text, "latitude"), _column_number(lon_text, "longitude")
            if not -90 <= lat <= 90:
                raise GeoError(f"latitude {lat_text!r} is out of range (-90 to 90)")
            if not -180 <= lon <= 180:
                raise GeoError(f"longitude {lon_text!r} is out of range (-180 to 180)")
            point = (lat, lon)
        parsed["point"] = point
    if "geocodes" in row:
        try:
            parsed["codes"] = parse_codes(row.get("geocodes") or "")
        except GeoError as exc:
            raise GeoError(f"geocodes: {exc}") from None
    return parsed


def _column_number(text: str, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise GeoError(f"{column} {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise GeoError(f"{column} {text!r} is not a finite number")
    return value


def _csv_store(session: Session, subscriber: Any, parsed: dict[str, Any]) -> None:
    if parsed:
        store(session, subscriber.id, point=parsed.get("point", KEEP), codes=parsed.get("codes", KEEP),
              source="csv", actor="subscribers.import")


CSV = SubscriberColumns(columns=CSV_COLUMNS, parse=_csv_parse, store=_csv_store)


def describe(location: Location) -> str:
    parts = []
    if location.point:
        parts.append(f"{location.point[0]:.5g},{location.point[1]:.5g}")
    parts.extend(f"{n}={v}" for n, v in location.codes)
    return " ".join(parts) or "none"


def codes_of(values: Iterable[str]) -> list[tuple[str, str]]:
    return [parse_code(v) for v in values]
