"""alerts/ tables: crises with their milestones and hash-chained timeline, webinar series and sessions,
RSVPs, imported CAP alerts, the once-only guard for everything the scheduler sends, and APScheduler's
job table (declared here so that the migration creates it and the schema comparison knows it).

Built on relay.core.models.Base (its naming convention, UTC-aware datetimes); the core never imports this.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from relay import Base, SerialKey, UTCDateTime, owned_by, stamped_now


class Crisis(SerialKey, Base):
    __tablename__ = "crises"

    title: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | closed
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    activated_by: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    milestones: Mapped[list[Milestone]] = relationship(cascade="all, delete-orphan", order_by="Milestone.due_at")


class Milestone(SerialKey, Base):
    """One of the protocol's promises (response +24 h, assessment +72 h, action plan +7 d)."""

    __tablename__ = "crisis_milestones"
    __table_args__ = (UniqueConstraint("crisis_id", "key", name="uq_crisis_milestones_crisis_key"),)

    crisis_id: Mapped[int] = owned_by("crises.id")
    key: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(200))


class TimelineEntry(SerialKey, Base):
    """Append-only; `hash` covers this entry and the previous entry's hash, so altering, removing or
    reordering any entry breaks every hash after it."""

    __tablename__ = "crisis_timeline"
    __table_args__ = (UniqueConstraint("crisis_id", "seq", name="uq_crisis_timeline_crisis_seq"),)

    crisis_id: Mapped[int] = owned_by("crises.id")
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class CrisisBroadcast(Base):
    """A broadcast that belongs to a crisis (its alerts, reminders, escalations), for the timeline."""

    __tablename__ = "crisis_broadcasts"

    broadcast_id: Mapped[int] = owned_by("broadcasts.id", primary_key=True)
    crisis_id: Mapped[int] = owned_by("crises.id", index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # alert | reminder | escalation
    figures_recorded: Mapped[bool] = mapped_column(default=False)


class Firing(Base):
    """The once-only guard: one row per thing the scheduler sends (a reminder of one milestone at one
    offset, one session's notice...). Inserted in the transaction that plans the broadcast, so a second
    scheduler, a restart, or APScheduler firing twice on a daylight-saving night cannot send it again."""

    __tablename__ = "alert_firings"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # sent | missed
    broadcast_ids: Mapped[list] = mapped_column(JSON, default=list)


class WebinarSeries(SerialKey, Base):
    __tablename__ = "webinar_series"

    topic: Mapped[str] = mapped_column(String(200))
    rrule: Mapped[str] = mapped_column(Text)  # RFC 5545 RRULE, in the organiser's wall-clock time
    first_start: Mapped[str] = mapped_column(String(19))  # local wall-clock time, ISO without offset
    timezone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    join_link: Mapped[str] = mapped_column(String(500))
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | cancelled
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = stamped_now()
    # The secret part of the series' calendar links (/webinars/TOKEN/SESSION.ics): the .ics carries the
    # private meeting link, and session ids are sequential (migration 0020 gave older series one).
    ics_token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: new_ics_token())


def new_ics_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits, 32 URL-safe characters


class WebinarSession(SerialKey, Base):
    __tablename__ = "webinar_sessions"
    __table_args__ = (UniqueConstraint("series_id", "occurrence", name="uq_webinar_sessions_series_occurrence"),)

    series_id: Mapped[int] = owned_by("webinar_series.id", index=True)
    occurrence: Mapped[str] = mapped_column(String(19))  # the rule's local wall-clock time for it
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | cancelled


class WebinarBroadcast(Base):
    """Which broadcasts told people about a session: corrections go to exactly their recipients."""

    __tablename__ = "webinar_broadcasts"

    broadcast_id: Mapped[int] = owned_by("broadcasts.id", primary_key=True)
    session_id: Mapped[int] = owned_by("webinar_sessions.id", index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # notice | reminder | correction


class Rsvp(Base):
    __tablename__ = "webinar_rsvps"

    session_id: Mapped[int] = owned_by("webinar_sessions.id", primary_key=True)
    endpoint_id: Mapped[int] = owned_by("endpoints.id", primary_key=True)
    answer: Mapped[str] = mapped_column(String(8))  # yes | no
    at: Mapped[datetime] = stamped_now()


class CapAlert(SerialKey, Base):
    """An imported CAP alert and the broadcast it became; Update and Cancel find it by its references."""

    __tablename__ = "cap_alerts"
    __table_args__ = (UniqueConstraint("sender", "identifier", "sent", name="uq_cap_alerts_sender"),)

    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True)
    identifier: Mapped[str] = mapped_column(String(200))
    sender: Mapped[str] = mapped_column(String(200))
    sent: Mapped[str] = mapped_column(String(32))
    msg_type: Mapped[str] = mapped_column(String(16))
    infos: Mapped[list] = mapped_column(JSON, default=list)  # per <info>: the CAP fields a broadcast lacks
    # the whole alert as imported (validated CAP 1.2): an export keeps its structure (migration 0012)
    document: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = stamped_now()


# APScheduler 3's SQLAlchemyJobStore table, declared as it declares it (the store finds it and does not
# create it); the job store itself uses its own MetaData, so it never clashes with this declaration.
APSCHEDULER_TABLE = "apscheduler_jobs"
apscheduler_jobs = Table(
    APSCHEDULER_TABLE,
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)

