"""The consent history: every opt-in, opt-out and change of what a person agreed to receive, with the
time, the channel and the words used ("JOIN es", "STOP", "/start fr", a CSV import, an API call).

Carriers ask for this record (US A2P 10DLC campaigns want proof of each opt-in and opt-out), so it is
append-only like the audit log: nothing updates or deletes a row. It lives in the core because opting
in and out happens in the core and the inbound layer (`subscribers.opt_in/opt_out`, JOIN/STOP/START),
below every feature.

When a person is erased (`relay subscribers forget`), their rows lose the link to them (the foreign
keys are SET NULL) and keep only the address's hash, as the erasure tombstone does: the record that a
STOP was received and honoured survives; who sent it does not.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from relay.core.models import Base, Endpoint, SerialKey, stamped_now

WORDS_MAX = 200


class ConsentAction(str, enum.Enum):
    opt_in = "opt_in"  # JOIN, START, /start, an import or API call that adds an address
    opt_out = "opt_out"  # STOP (and its synonyms), a carrier-level opt-out reported by the provider
    crisis_only = "crisis_only"  # LESS: crisis alerts only, no webinars or notices
    all_kinds = "all_kinds"  # MORE: everything again
    erased = "erased"  # the person's data was erased; the STOP (if any) stays honoured by the tombstone


class ConsentEvent(SerialKey, Base):
    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_subscriber_at", "subscriber_id", "at"),)

    at: Mapped[datetime] = stamped_now()
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id", ondelete="SET NULL"))
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("endpoints.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    # sha256 of "channel:address" (subscribers.address_hash): finds a stranger's STOP and outlives erasure
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(16))
    # how it came: sms | telegram | matrix | whatsapp (the person wrote), csv, cli, api, provider
    source: Mapped[str] = mapped_column(String(16))
    words: Mapped[str] = mapped_column(String(WORDS_MAX))  # what the person wrote, or what the operator did
    actor: Mapped[str] = mapped_column(String(200))


def address_hash(channel: str, address: str) -> str:
    from relay.core.subscribers import address_hash as digest

    return digest(channel, address)


def record(session: Session, *, channel: str, address: str, action: ConsentAction, source: str, words: str,
           actor: str, endpoint: Endpoint | None = None, subscriber_id: int | None = None,
           at: datetime | None = None) -> ConsentEvent:
    """Add one event in the caller's transaction, so it commits (or fails) with the change it records."""
    if endpoint is not None:
        session.flush()  # a new endpoint needs its id
        subscriber_id = subscriber_id if subscriber_id is not None else endpoint.subscriber_id
    event = ConsentEvent(
        at=at or datetime.now(timezone.utc), subscriber_id=subscriber_id,
        endpoint_id=endpoint.id if endpoint is not None else None, channel=channel[:16],
        address_hash=address_hash(channel, address), action=action.value, source=source[:16],
        words=" ".join(words.split())[:WORDS_MAX] or "(empty)", actor=actor[:200],
    )
    session.add(event)
    return event


def history(session: Session, *, subscriber_id: int | None, hashes: list[str]) -> list[ConsentEvent]:
    """A person's events, oldest first: those linked to them, and those made before they had an endpoint
    (a STOP sent as a stranger) or after their link was erased, found by their addresses' hashes."""
    from sqlalchemy import or_, select

    conditions = [ConsentEvent.address_hash.in_(hashes)] if hashes else []
    if subscriber_id is not None:
        conditions.append(ConsentEvent.subscriber_id == subscriber_id)
    if not conditions:
        return []
    return list(session.scalars(select(ConsentEvent).where(or_(*conditions)).order_by(ConsentEvent.at, ConsentEvent.id)))
