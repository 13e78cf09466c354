"""Delivery counts that outlive their rows: what a broadcast's report reads once the retention purge
(relay/privacy) has removed final delivery rows, which say who got which message.

A purge deletes a batch of final rows and, in the same transaction, adds what it deleted to one tally
per (broadcast, channel, language, status): `relay broadcast status`, the API's report, the crisis
timeline's figures and the Prometheus gauge read live rows plus tallies, so their numbers do not move.
The counts come from the DELETE's own RETURNING, so two purges racing over one batch cannot count a row
twice (each counts only the rows it removed).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Sequence

from sqlalchemy import Integer, String, delete, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from relay.core.models import FINAL_STATUSES, Base, Delivery, owned_by

FINAL = [status.value for status in FINAL_STATUSES]


class DeliveryTally(Base):
    """How many deliveries of a broadcast, on a channel, in a language, ended in a status and were purged."""

    __tablename__ = "delivery_tallies"

    broadcast_id: Mapped[int] = owned_by("broadcasts.id", primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


def counts(session: Session, broadcast_id: int) -> list[tuple[str, str, str, int]]:
    """(channel, language, status, n) of a broadcast's purged rows, in the shape of the live rows' query."""
    return [tuple(row) for row in session.execute(
        select(DeliveryTally.channel, DeliveryTally.language, DeliveryTally.status, DeliveryTally.count)
        .where(DeliveryTally.broadcast_id == broadcast_id))]


def by_channel_status(session: Session) -> list[tuple[str, str, int]]:
    return [tuple(row) for row in session.execute(
        select(DeliveryTally.channel, DeliveryTally.status, func.sum(DeliveryTally.count))
        .group_by(DeliveryTally.channel, DeliveryTally.status))]


def _finished(cutoff: datetime):
    moment = func.coalesce(Delivery.finished_at, Delivery.sent_at, Delivery.next_attempt_at)
    return (Delivery.status.in_(FINAL), moment < cutoff)


def purgeable(session: Session, cutoff: datetime) -> int:
    """How many final rows finished before `cutoff`."""
    return int(session.scalar(select(func.count()).select_from(Delivery).where(*_finished(cutoff))) or 0)


def fold(session: Session, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` final rows finished before `cutoff`, adding them to the tallies; returns how many."""
    ids = list(session.scalars(select(Delivery.id).where(*_finished(cutoff)).order_by(Delivery.id).limit(limit)))
    if not ids:
        return 0
    removed = session.execute(
        delete(Delivery).where(Delivery.id.in_(ids), Delivery.status.in_(FINAL))
        .returning(Delivery.broadcast_id, Delivery.channel, Delivery.language, Delivery.status)
        .execution_options(synchronize_session=False)
    ).all()
    _add(session, Counter(tuple(row) for row in removed))
    return len(removed)


def _add(session: Session, counted: Counter) -> None:
    if not counted:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert  # PostgreSQL's dialect (~0.1 s) only where it is in use
    else:
        insert = sqlite_insert
    rows: Sequence[dict] = [{"broadcast_id": b, "channel": c, "language": l, "status": s, "count": n}
                            for (b, c, l, s), n in sorted(counted.items())]
    statement = insert(DeliveryTally).values(rows)
    session.execute(statement.on_conflict_do_update(
        index_elements=["broadcast_id", "channel", "language", "status"],
        set_={"count": DeliveryTally.count + statement.excluded["count"]},
    ))
