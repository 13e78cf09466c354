"""API tokens and the console's two-person drafts.

A token is shown once, when it is made; only its SHA-256 is stored, so a copy of the database does not
let anyone in. Each token belongs to a subscriber and acts with that subscriber's tier, so the API and
the chat commands go through the same permission table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from relay.core.models import Base, SerialKey, UTCDateTime, owned_by, stamped_now


class ApiToken(SerialKey, Base):
    __tablename__ = "api_tokens"

    subscriber_id: Mapped[int] = owned_by("subscribers.id", index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, shown in lists to tell tokens apart
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = stamped_now()
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BroadcastDraft(SerialKey, Base):
    """An Extreme broadcast that waits for a second coordinator (`[console] two_person_extreme`).

    Nothing is planned until the second person approves: the request is kept as it was submitted and
    planned then, so both people approved exactly the same text and audience.
    """

    __tablename__ = "api_broadcast_drafts"

    request: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = stamped_now()
    status: Mapped[str] = mapped_column(String(16), default="waiting")  # waiting | approved | rejected
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"))
