"""Where a person is, and which area a broadcast was aimed at, beside the shared subscriber row.

A point and geocodes are separate facts: a person may give a GPS point (Telegram location, `LOC 18.54,
-72.34`), a region code (`LOC Ouest`, a CSV `geocodes` column), or both. Geocodes are rows rather than a
JSON list so that matching an area's geocode is an indexed join, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from relay.core.models import Base, owned_by, stamped_now, utcnow


class GeoLocation(Base):
    """A person's point (WGS84 degrees). No row, or a row without lat/lon: no point."""

    __tablename__ = "geo_locations"

    subscriber_id: Mapped[int] = owned_by("subscribers.id", primary_key=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16), default="api")  # sms | chat | csv | api | cli
    updated_at: Mapped[datetime] = stamped_now(onupdate=utcnow)


class GeoCode(Base):
    """One CAP geocode of a person: `name` as CAP's valueName (SAME, EMMA_ID, NUTS3, ISO3166-2, or an
    operator's own), upper case; `value` as written."""

    __tablename__ = "geo_codes"
    __table_args__ = (Index("ix_geo_codes_name_value", "name", "value"),)

    subscriber_id: Mapped[int] = owned_by("subscribers.id", primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)


class BroadcastArea(Base):
    """The area a broadcast was planned for, what was decided about people without a location, and how
    many people each part of the area reached (what `relay geo status` and the audit show)."""

    __tablename__ = "geo_broadcast_areas"

    broadcast_id: Mapped[int] = owned_by("broadcasts.id", primary_key=True)
    area: Mapped[dict] = mapped_column(JSON)
    no_location: Mapped[str] = mapped_column(String(16))  # include | exclude
    counts: Mapped[dict] = mapped_column(JSON)  # {"parts": [{"label", "people"}], "inside", "no_location"}
    people: Mapped[int] = mapped_column(Integer, default=0)
