"""Tables of citizen reports, volunteer translators and their translation offers.

A report is durable (in the transaction of its inbound message) before the sender is answered. Its text
and the sender's address are personal data: they are read through `relay/reports/privacy.py`, which
masks them for whoever does not need them and audits whoever sees them.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relay.core.models import Base, SerialKey, UTCDateTime, owned_by, stamped_now


class ReportStatus(str, enum.Enum):
    received = "received"  # stored and acknowledged; the service translates and routes it next
    translating = "translating"  # offered to volunteer translators, waiting for the first reply
    translated = "translated"  # has its pivot text; the next step of the service routes it
    routed = "routed"  # sent to its responder groups
    claimed = "claimed"  # a responder took it
    resolved = "resolved"  # handled; the sender was told
    cancelled = "cancelled"  # the sender no longer needs help
    linked = "linked"  # a near-duplicate of another report, handled with it


OPEN_STATUSES = frozenset({ReportStatus.received.value, ReportStatus.translating.value,
                           ReportStatus.translated.value, ReportStatus.routed.value, ReportStatus.claimed.value})


class Report(SerialKey, Base):
    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_status_due", "status", "due_at"),)

    reference: Mapped[str] = mapped_column(String(12), unique=True)  # what the sender quotes: "4821"
    channel: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(255), index=True)  # personal data: never shown to responders
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("endpoints.id", ondelete="SET NULL"))
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)  # as sent (personal data)
    language: Mapped[str | None] = mapped_column(String(16))  # detected; None when unsure
    english: Mapped[str | None] = mapped_column(Text)  # the pivot text triage reads
    english_origin: Mapped[str | None] = mapped_column(String(16))  # original | machine | human
    translated_by: Mapped[str | None] = mapped_column(String(200))  # the translator's actor id, or the engine
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.received.value)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    rooms: Mapped[list] = mapped_column(JSON, default=list)  # responder rooms it was sent to
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"), index=True)
    resends: Mapped[int] = mapped_column(Integer, default=0)  # the same person sending it again
    # When the service looks at it next: translator round timeout, or urgent escalation.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = stamped_now(index=True)


class Translator(SerialKey, Base):
    """A subscriber's chat endpoint that volunteers to translate `source` into `target`."""

    __tablename__ = "translators"
    __table_args__ = (UniqueConstraint("endpoint_id", "source", "target", name="uq_translators_endpoint_pair"),)

    endpoint_id: Mapped[int] = owned_by("endpoints.id", index=True)
    source: Mapped[str] = mapped_column(String(16), index=True)
    target: Mapped[str] = mapped_column(String(16))
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    added_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = stamped_now()


class TranslationOffer(SerialKey, Base):
    """A report sent to one translator; the first complete answer wins, later ones are thanked."""

    __tablename__ = "translation_offers"
    __table_args__ = (UniqueConstraint("report_id", "translator_id", name="uq_translation_offers_report_translator"),)

    report_id: Mapped[int] = owned_by("reports.id", index=True)
    translator_id: Mapped[int] = owned_by("translators.id", index=True)
    round: Mapped[int] = mapped_column(Integer)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str | None] = mapped_column(Text)  # what this translator answered
