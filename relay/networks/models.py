"""Tables of community relay networks, confirmation polls and channel failover.

A relay node is a subscriber who passes alerts on to a named community (a phone tree, a noticeboard, a
group elsewhere). Each broadcast that covers a node's region gives the node one `relay_acks` row: its
ACK code, and how far escalation went. Polls hang off a broadcast; answers are one row per person.
`failovers` remembers which failed delivery was already carried over to the next channel, so a
failure is carried over once and a channel is never tried twice for one message.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relay.core.models import Base, SerialKey, UTCDateTime, owned_by, stamped_now

DELIVERY_ID = BigInteger().with_variant(Integer, "sqlite")


class RelayNode(SerialKey, Base):
    """A subscriber who relays for a community. `region` is the community's own region tag: its members
    carry it, and a broadcast reaches it when its audience names that region or a parent of it
    ("north" covers "north/riverside")."""

    __tablename__ = "relay_nodes"

    subscriber_id: Mapped[int] = owned_by("subscribers.id", index=True)
    community: Mapped[str] = mapped_column(String(200), unique=True)
    region: Mapped[str] = mapped_column(String(100), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    hub_id: Mapped[int | None] = mapped_column(ForeignKey("relay_nodes.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = stamped_now()


class RelayBackup(Base):
    """A node's backups, asked in `rank` order when the node does not acknowledge in time."""

    __tablename__ = "relay_backups"

    node_id: Mapped[int] = owned_by("relay_nodes.id", primary_key=True)
    subscriber_id: Mapped[int] = owned_by("subscribers.id", primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, default=0)


class RelayAck(SerialKey, Base):
    """One node's duty for one broadcast. `step`: 0 asked, 1 backups asked, 2 community reached
    directly, 3 hub told; `acked_at` set ends the escalation."""

    __tablename__ = "relay_acks"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "node_id", name="uq_relay_acks_broadcast_node"),
        UniqueConstraint("broadcast_id", "code", name="uq_relay_acks_broadcast_code"),
        Index("ix_relay_acks_open", "acked_at", "step"),
    )

    broadcast_id: Mapped[int] = owned_by("broadcasts.id")
    node_id: Mapped[int] = owned_by("relay_nodes.id", index=True)
    code: Mapped[str] = mapped_column(String(8), index=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    step: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_by: Mapped[str | None] = mapped_column(String(255))


class Poll(SerialKey, Base):
    """A broadcast that asks a question with numbered answers."""

    __tablename__ = "polls"

    broadcast_id: Mapped[int] = owned_by("broadcasts.id", unique=True)
    # [{"number": 1, "key": "safe", "help": false, "words": {"en": ["safe"], "es": ["bien"]}}, ...]
    options: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = stamped_now()
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reask_after_minutes: Mapped[int | None] = mapped_column(Integer)
    reasked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reask_broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"))


class PollAnswer(Base):
    """A person's answer (the last one counts), with the channel and region it is counted under."""

    __tablename__ = "poll_answers"

    poll_id: Mapped[int] = owned_by("polls.id", primary_key=True)
    subscriber_id: Mapped[int] = owned_by("subscribers.id", primary_key=True)
    option: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(255))
    region: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Failover(Base):
    """A delivery that failed for good, and the delivery that carried its message to the next channel
    (None when the person had no channel left: recorded so the failure is looked at once)."""

    __tablename__ = "failovers"

    failed_delivery_id: Mapped[int] = mapped_column(
        DELIVERY_ID, ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    next_delivery_id: Mapped[int | None] = mapped_column(DELIVERY_ID, ForeignKey("deliveries.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(255))
    exhausted: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
