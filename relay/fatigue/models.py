"""A person's own fatigue preferences, beside the subscriber row (which every feature shares)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from relay.core.models import Base, owned_by, stamped_now, utcnow


class FatiguePreference(Base):
    """`quiet_hours`: "HH:MM-HH:MM", "off", or None for the configured default."""

    __tablename__ = "fatigue_preferences"

    subscriber_id: Mapped[int] = owned_by("subscribers.id", primary_key=True)
    quiet_hours: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = stamped_now(onupdate=utcnow)
