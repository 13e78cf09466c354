"""Scheduled broadcasts and their sends, durable: the schedule is a row, and each send (one per
recipients' time zone for a local-time schedule, one "*" for a fixed moment) is a row whose primary key
is committed with the broadcast it planned, so no restart, race or second runner can send it twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from relay.core.models import Base, BroadcastContent, UTCDateTime, owned_by, stamped_now, utcnow

EVERYWHERE = "*"  # the zone key of a schedule for one fixed moment


class ScheduledBroadcast(BroadcastContent, Base):
    """Exactly one of `send_at` (an instant) and `local_time` (wall-clock "YYYY-MM-DDTHH:MM", read in
    each recipient's own time zone) is set."""

    __tablename__ = "scheduled_broadcasts"

    human_texts: Mapped[dict] = mapped_column(JSON, default=dict)
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    sender: Mapped[str] = mapped_column(String(200))
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    local_time: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)  # scheduled | sent | cancelled
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = stamped_now()
    updated_at: Mapped[datetime] = stamped_now(onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScheduledSend(Base):
    """One zone of a schedule, sent (or missed: later than the grace time) once."""

    __tablename__ = "scheduled_sends"

    schedule_id: Mapped[int] = owned_by("scheduled_broadcasts.id", primary_key=True)
    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # sent | missed
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"))
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
