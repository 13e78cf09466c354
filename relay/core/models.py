"""The relay's database schema (SQLAlchemy 2 declarative models).

The schema is the source of truth for every message's fate: a process may die at any line and the next
one continues from these rows. Alembic migrations in `relay/migrations/` create it; tests compare the two.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which stores naive text) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware datetimes")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:  # type: ignore[override]
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SerialKey:
    """The surrogate integer key of most tables, declared once; `sort_order=-1` keeps it first, where the
    migrations put it."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)


def owned_by(parent_key: str, **column: Any) -> Any:
    """A foreign key whose row is deleted with its parent (`ondelete="CASCADE"`): a subscriber's endpoints, a
    broadcast's deliveries. Why one helper: the cascade is the rule that keeps erasure and clean-up complete,
    so no table should be able to forget it by retyping the column."""
    return mapped_column(ForeignKey(parent_key, ondelete="CASCADE"), **column)


def stamped_now(**column: Any) -> Any:
    """A UTC time set to now when the row is inserted (`created_at`, `received_at`, ...)."""
    return mapped_column(UTCDateTime, default=utcnow, **column)


class Tier(str, enum.Enum):
    """The seed framework's participation tiers plus the operating roles."""

    observer = "observer"
    contributor = "contributor"
    partner = "partner"
    coordinator = "coordinator"
    moderator = "moderator"


class BroadcastKind(str, enum.Enum):
    crisis = "crisis"
    webinar = "webinar"
    notice = "notice"
    correction = "correction"


class DeliveryStatus(str, enum.Enum):
    held = "held"  # waiting for a human to approve its language's text
    pending = "pending"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    failed = "failed"
    expired = "expired"
    cancelled = "cancelled"


FINAL_STATUSES = frozenset(
    {DeliveryStatus.delivered, DeliveryStatus.failed, DeliveryStatus.expired, DeliveryStatus.cancelled}
)

# Lower number = claimed first. A correction carries the priority of what it corrects (set when planned).
KIND_PRIORITY = {
    BroadcastKind.crisis: 0,
    BroadcastKind.correction: 0,
    BroadcastKind.webinar: 5,
    BroadcastKind.notice: 5,
}


class Subscriber(SerialKey, Base):
    __tablename__ = "subscribers"

    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    tier: Mapped[str] = mapped_column(String(16), default=Tier.observer.value)
    consent_crisis: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_webinar: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_notice: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = stamped_now()
    updated_at: Mapped[datetime] = stamped_now(onupdate=utcnow)

    endpoints: Mapped[list[Endpoint]] = relationship(back_populates="subscriber", cascade="all, delete-orphan")
    regions: Mapped[list[SubscriberRegion]] = relationship(cascade="all, delete-orphan")
    topics: Mapped[list[SubscriberTopic]] = relationship(cascade="all, delete-orphan")


class SubscriberRegion(Base):
    """One row per region so that audience selection is a plain indexed join on every database."""

    __tablename__ = "subscriber_regions"

    subscriber_id: Mapped[int] = owned_by("subscribers.id", primary_key=True)
    region: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class SubscriberTopic(Base):
    __tablename__ = "subscriber_topics"

    subscriber_id: Mapped[int] = owned_by("subscribers.id", primary_key=True)
    topic: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class Endpoint(SerialKey, Base):
    """One way to reach a subscriber: a channel and an address on it."""

    __tablename__ = "endpoints"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_endpoints_channel_address"),)

    subscriber_id: Mapped[int] = owned_by("subscribers.id", index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(255))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    unreachable_reason: Mapped[str | None] = mapped_column(String(255))
    # The person's order of preference for failover (relay/networks/failover.py): among a subscriber's ranked
    # endpoints a broadcast goes to the lowest-ranked reachable one, and to the next one if that fails.
    # None (the default): this endpoint gets every broadcast on its own, as before.
    failover_rank: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = stamped_now()

    subscriber: Mapped[Subscriber] = relationship(back_populates="endpoints")


class Erasure(Base):
    """The anonymous tombstone left when a person's data is erased: a hash, so a STOP stays honoured."""

    __tablename__ = "erasures"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    erased_at: Mapped[datetime] = stamped_now()


class BroadcastContent:
    """What a broadcast says and how urgent it is (CAP's severity, urgency and certainty): the columns of a
    broadcast and of a scheduled one (relay/schedules), which becomes a broadcast with the same content.
    `sort_order=-1` keeps them first in each table, where the migrations put them."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)
    kind: Mapped[str] = mapped_column(String(16), sort_order=-1)
    severity: Mapped[str] = mapped_column(String(16), default="Unknown", sort_order=-1)
    urgency: Mapped[str] = mapped_column(String(16), default="Unknown", sort_order=-1)
    certainty: Mapped[str] = mapped_column(String(16), default="Unknown", sort_order=-1)
    source_language: Mapped[str] = mapped_column(String(16), sort_order=-1)
    body: Mapped[str] = mapped_column(Text, sort_order=-1)


CONTENT_COLUMNS = tuple(name for name in BroadcastContent.__annotations__ if name != "id")


def content_of(source: Any, **changes: Any) -> dict[str, Any]:
    """BroadcastContent's columns read from `source` (a BroadcastRequest, a broadcast, a scheduled one),
    with `changes` over them: the keyword arguments of a broadcast that says the same, or nearly (a
    follow-up in another language, a correction)."""
    return {**{name: getattr(source, name) for name in CONTENT_COLUMNS}, **changes}


class Broadcast(BroadcastContent, Base):
    __tablename__ = "broadcasts"

    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    sender: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=5)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | cancelled
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = stamped_now()
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    references_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))

    texts: Mapped[list[BroadcastText]] = relationship(cascade="all, delete-orphan")


class BroadcastText(Base):
    """The text one language's recipients get: the original, a machine translation, or a human one."""

    __tablename__ = "broadcast_texts"

    broadcast_id: Mapped[int] = owned_by("broadcasts.id", primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(16))  # original | human | machine | untranslated
    engine: Mapped[str | None] = mapped_column(String(100))
    # ready | pending_approval | approved. While pending, `draft` holds the machine text a person must
    # approve (or replace); `text` is what is sent meanwhile (the draft itself once approved).
    status: Mapped[str] = mapped_column(String(20), default="ready", server_default="ready")
    draft: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The quality gate's answer for a machine text (pass | fail) and each check's result
    # (translation/gate.py, Verdict.as_json()); None for texts no machine made.
    gate_verdict: Mapped[str | None] = mapped_column(String(8))
    gate_checks: Mapped[dict | None] = mapped_column(JSON)
    # When volunteer translators were offered this text, and until when their text is wanted.
    offer_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = stamped_now()


class Delivery(Base):
    """One message to one endpoint: the unit the dispatcher claims, sends, retries and reports."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "endpoint_id", name="uq_deliveries_broadcast_endpoint"),
        # The claim query: one sender's due work in priority order.
        Index("ix_deliveries_claim", "sender", "status", "priority", "next_attempt_at", "id"),
        Index("ix_deliveries_broadcast_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    broadcast_id: Mapped[int] = owned_by("broadcasts.id")
    endpoint_id: Mapped[int] = owned_by("endpoints.id", index=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    provider_message_id: Mapped[str | None] = mapped_column(String(100), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A line for this recipient only, sent before the broadcast's text (a relay's header and ACK code).
    prefix: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the provider was last asked for this delivery's status because its receipt never came.
    receipt_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProviderReceipt(SerialKey, Base):
    """A status callback, kept even when it arrives before we recorded the send it reports on."""

    __tablename__ = "provider_receipts"

    channel: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime] = stamped_now()
    retry_after: Mapped[float | None] = mapped_column(Float)  # "call again in N s" (a busy line): see StatusUpdate


class InboundMessage(SerialKey, Base):
    """Every accepted inbound message, keyed by the provider's id so that a replay is processed once."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id", name="uq_inbound_channel_provider_id"),
        # When each person last wrote on a channel: WhatsApp's 24-hour window (relay/inbound/history.py).
        Index("ix_inbound_channel_sender_received", "channel", "sender", "received_at"),
    )

    channel: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[str] = mapped_column(String(100))
    sender: Mapped[str] = mapped_column(String(255))
    recipient: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    # Chat channels answer with a message of their own, sent after the commit: `reply_to` is the chat or
    # room, `reply_sent_at` stays empty until the channel accepted it, so a restart sends what is owed.
    reply_to: Mapped[str | None] = mapped_column(String(255))
    reply_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = stamped_now()


class ChannelState(Base):
    """Small durable facts a channel's inbound loop resumes from: Telegram's update offset, Matrix's
    `next_batch`, the direct room opened for a Matrix user, an access token obtained by password login."""

    __tablename__ = "channel_state"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = stamped_now(onupdate=utcnow)


class AuditEntry(SerialKey, Base):
    """Append-only: who did what, when. Nothing in the code updates or deletes these rows."""

    __tablename__ = "audit_log"

    at: Mapped[datetime] = stamped_now(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class TranslationMemoryEntry(Base):
    """A translation already paid for: keyed by the source text's hash, the pair and the engine version,
    so a broadcast is translated once per language and bridged rooms reuse it."""

    __tablename__ = "translation_memory"

    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    target: Mapped[str] = mapped_column(String(16), primary_key=True)
    engine: Mapped[str] = mapped_column(String(100), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = stamped_now()
