"""Tables of bridged rooms: a bridge, its member rooms (each an endpoint), and every relayed message.

A member is an endpoint (a Telegram group, a Matrix room, an SMS number), so the copies of a bridged
message are ordinary deliveries of one broadcast: they get the outbox's durability, the dispatcher's
rate limits and retries, and the provider ids that later edits and redactions need.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relay.core.models import Base, SerialKey, UTCDateTime, owned_by, stamped_now


class Bridge(SerialKey, Base):
    __tablename__ = "bridges"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Messages per minute this bridge may relay; beyond that copies are spaced out, so a noisy room
    # cannot crowd the senders (crisis deliveries are claimed first anyway).
    rate_per_minute: Mapped[float] = mapped_column(Float, default=20.0)
    next_slot_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = stamped_now()


class BridgeMember(SerialKey, Base):
    """One room of a bridge. A room belongs to one bridge at most, so an inbound message has one route."""

    __tablename__ = "bridge_members"

    bridge_id: Mapped[int] = owned_by("bridges.id", index=True)
    endpoint_id: Mapped[int] = owned_by("endpoints.id", unique=True)


class BridgedMessage(SerialKey, Base):
    """A message relayed through a bridge, keyed by its origin so that an edit finds its copies."""

    __tablename__ = "bridged_messages"
    __table_args__ = (UniqueConstraint("origin_channel", "origin_key", name="uq_bridged_messages_origin"),)

    bridge_id: Mapped[int] = owned_by("bridges.id", index=True)
    origin_endpoint_id: Mapped[int] = owned_by("endpoints.id")
    origin_channel: Mapped[str] = mapped_column(String(16))
    # Telegram "chat_id:message_id" (stable across edits), a Matrix event id, an SMS MessageSid.
    origin_key: Mapped[str] = mapped_column(String(255))
    sender_name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="relayed")  # relayed | held | deleted
    created_at: Mapped[datetime] = stamped_now()
