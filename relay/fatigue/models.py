"""A person's own fatigue preferences, beside the subscriber row (which every feature shares)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from relay.core.models import Base, UTCDateTime, utcnow


class FatiguePreference(Base):
    """`quiet_hours`: "HH:MM-HH:MM", "off", or None for the configured default."""

    __tablename__ = "fatigue_preferences"

    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True)
    quiet_hours: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
