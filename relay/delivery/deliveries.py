"""The delivery rows' state machine in SQL: claim, record outcomes, cancel, expire.

pending -> sending (claimed by one process) -> sent -> delivered | failed; pending -> expired | cancelled.
Every transition that a concurrent process could race is a guarded UPDATE (`WHERE status = ...
AND claimed_by = ...`), so a process that lost its claim can never overwrite the new owner's result.
Receipts (sent -> delivered | failed) are applied by `receipts`; what an outcome says about the endpoint
itself by `endpoints`; a broadcast's counts are read by `reach`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Literal, Sequence, get_args, get_type_hints

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from relay.core import audit, hooks
from relay.core.models import Broadcast, BroadcastText, Delivery, DeliveryStatus, Endpoint
from relay.delivery.endpoints import mark_endpoint, move_endpoint
from relay.delivery.receipts import apply_early_receipts

PENDING = DeliveryStatus.pending.value
SENDING = DeliveryStatus.sending.value
SENT = DeliveryStatus.sent.value


@dataclass(frozen=True)
class Claimed:
    id: int
    endpoint_id: int
    address: str
    broadcast_id: int
    language: str
    attempts: int
    prefix: str | None = None  # this recipient's own line before the text (a relay header)


@dataclass(frozen=True)
class Outcome:
    """What happened to one send, to be written by the recorder in a batch."""

    delivery_id: int
    # delivered: the channel has no later receipt; requeue: retry without using up an attempt; moved: the
    # endpoint has a new address (`moved_to`) and the delivery is requeued.
    kind: Literal["sent", "delivered", "retry", "requeue", "moved", "failed", "unreachable", "opted_out", "cancelled"]
    provider_message_id: str | None = None
    error: str | None = None
    retry_at: datetime | None = None
    endpoint_id: int | None = None
    moved_to: str | None = None

    def __post_init__(self) -> None:
        # The recorder files outcomes by kind; one it does not know would be filed nowhere and its delivery
        # would wait, claimed, for the stale-claim sweep. Refuse it where it is made.
        if self.kind not in OUTCOME_KINDS:
            raise ValueError(f"unknown delivery outcome {self.kind!r}; one of {', '.join(OUTCOME_KINDS)}")


OUTCOME_KINDS: tuple[str, ...] = get_args(get_type_hints(Outcome)["kind"])


def claim(session: Session, sender: str, worker: str, limit: int, now: datetime) -> list[Claimed]:
    """Take up to `limit` due deliveries of one sender, highest priority (crisis) first.

    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several processes claim side by side; on SQLite the
    transaction is BEGIN IMMEDIATE (see relay/core/db.py), which serialises claimers.
    """
    due = (
        select(Delivery.id)
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(
            Delivery.sender == sender,
            Delivery.status == PENDING,
            Delivery.next_attempt_at <= now,
            Broadcast.status == "queued",
            or_(Broadcast.expires_at.is_(None), Broadcast.expires_at > now),
            Endpoint.opted_out.is_(False),
            Endpoint.unreachable.is_(False),
        )
        .order_by(Delivery.priority, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Delivery)
    )
    ids = list(session.scalars(due))
    if not ids:
        return []
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids))
        .values(status=SENDING, claimed_by=worker, attempts=Delivery.attempts + 1)
    )
    rows = session.execute(
        select(Delivery.id, Delivery.endpoint_id, Endpoint.address, Delivery.broadcast_id, Delivery.language,
               Delivery.attempts, Delivery.prefix)
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.priority, Delivery.id)
    )
    return [Claimed(*row) for row in rows]


def still_reachable(session: Session, endpoint_ids: Iterable[int]) -> set[int]:
    """Re-check a claimed batch just before sending: a STOP that arrived meanwhile wins."""
    ids = set(endpoint_ids)
    if not ids:
        return set()
    rows = session.scalars(
        select(Endpoint.id).where(Endpoint.id.in_(ids), Endpoint.opted_out.is_(False), Endpoint.unreachable.is_(False))
    )
    return set(rows)


def release_orphans(session: Session, sender: str, now: datetime) -> int:
    """Called by the process that has just taken a sender's lease: rows left `sending` by the previous
    holder (which died mid-send) go back to pending. Some of them may have reached the provider: these
    are the duplicates bounded by the in-flight limit."""
    return session.execute(
        update(Delivery)
        .where(Delivery.sender == sender, Delivery.status == SENDING)
        .values(status=PENDING, claimed_by=None, next_attempt_at=now)
    ).rowcount


def give_back(session: Session, worker: str, ids: Sequence[int]) -> int:
    """Claimed rows this worker never handed to the provider go back to pending, untouched."""
    return session.execute(
        update(Delivery)
        .where(Delivery.id.in_(list(ids)), Delivery.status == SENDING, Delivery.claimed_by == worker)
        .values(status=PENDING, claimed_by=None, attempts=Delivery.attempts - 1)
    ).rowcount


def texts_for(session: Session, pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """The text of each (broadcast, language); a language with no row falls back to the original."""
    wanted = set(pairs)
    broadcast_ids = {b for b, _ in wanted}
    found: dict[tuple[int, str], str] = {}
    for row in session.execute(
        select(BroadcastText.broadcast_id, BroadcastText.language, BroadcastText.text).where(
            BroadcastText.broadcast_id.in_(broadcast_ids)
        )
    ):
        found[(row[0], row[1])] = row[2]
    originals = dict(session.execute(select(Broadcast.id, Broadcast.body).where(Broadcast.id.in_(broadcast_ids))).all())
    texts = {pair: found.get(pair, originals[pair[0]]) for pair in wanted}
    # Lines the features add (an official broadcast's verification code) go on their own line under whatever text was chosen
    # (original, human, machine or approved later), so translation and approval never touch it.
    codes = hooks.text_lines(session, broadcast_ids)
    return {pair: f"{text}\n{codes[pair[0]]}" if pair[0] in codes else text for pair, text in texts.items()}


def content_for(session: Session, channel: str, pairs: Iterable[tuple[int, str]]
                ) -> tuple[dict[tuple[int, str], str], dict[tuple[int, str], str]]:
    """`texts_for` and the features' recordings for the same pairs on `channel`, in one transaction."""
    wanted = set(pairs)
    return texts_for(session, wanted), hooks.media_for(session, channel, sorted(wanted))


def record(session: Session, worker: str, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Write a batch of outcomes in one transaction (the dispatcher's hot path: executemany, no ORM)."""
    table = Delivery.__table__
    guard = and_(table.c.id == bindparam("b_id"), table.c.status == SENDING, table.c.claimed_by == worker)
    sent = [o for o in outcomes if o.kind in ("sent", "delivered")]
    if sent:
        session.execute(
            update(table).where(guard).values(
                status=bindparam("b_status"), provider_message_id=bindparam("b_pmid"), sent_at=now,
                finished_at=bindparam("b_done"), last_error=None, claimed_by=None,
            ),
            [{"b_id": o.delivery_id, "b_pmid": o.provider_message_id, "b_status": o.kind,
              "b_done": now if o.kind == "delivered" else None} for o in sent],
        )
    for outcome in outcomes:  # before the requeue below, so the next claim reads the new address
        if outcome.kind == "moved" and outcome.endpoint_id is not None and outcome.moved_to:
            move_endpoint(session, outcome.endpoint_id, outcome.moved_to)
    retry = [o for o in outcomes if o.kind in ("retry", "requeue", "moved")]
    if retry:
        session.execute(
            update(table).where(guard).values(
                status=PENDING, next_attempt_at=bindparam("b_at"), last_error=bindparam("b_err"), claimed_by=None,
                attempts=table.c.attempts - bindparam("b_refund"),
            ),
            [{"b_id": o.delivery_id, "b_at": o.retry_at, "b_err": o.error, "b_refund": int(o.kind != "retry")}
             for o in retry],
        )
    final = [o for o in outcomes if o.kind in ("failed", "unreachable", "opted_out", "cancelled")]
    if final:
        session.execute(
            update(table).where(guard).values(
                status=bindparam("b_status"), last_error=bindparam("b_err"), finished_at=now, claimed_by=None
            ),
            [
                {
                    "b_id": o.delivery_id,
                    "b_status": DeliveryStatus.cancelled.value if o.kind == "cancelled" else DeliveryStatus.failed.value,
                    "b_err": o.error,
                }
                for o in final
            ],
        )
    for outcome in outcomes:
        if outcome.kind in ("unreachable", "opted_out") and outcome.endpoint_id is not None:
            mark_endpoint(session, outcome.endpoint_id, opted_out=outcome.kind == "opted_out",
                          reason=outcome.error or "", now=now)
    if sent:
        apply_early_receipts(session, [o.provider_message_id for o in sent if o.provider_message_id])


def expire_due(session: Session, now: datetime) -> int:
    """Deliveries of broadcasts past their expiry stop being sent."""
    expired = select(Broadcast.id).where(Broadcast.expires_at.is_not(None), Broadcast.expires_at <= now)
    return session.execute(
        update(Delivery)
        .where(Delivery.status == PENDING, Delivery.broadcast_id.in_(expired))
        .values(status=DeliveryStatus.expired.value, finished_at=now, last_error="broadcast expired")
    ).rowcount


def cancel(session: Session, broadcast: Broadcast, *, actor: str) -> int:
    """Stop what is not yet sent; what is already with the provider cannot be recalled."""
    now = datetime.now(timezone.utc)
    broadcast.status = "cancelled"
    broadcast.cancelled_at = now
    count = session.execute(
        update(Delivery)
        .where(Delivery.broadcast_id == broadcast.id, Delivery.status == PENDING)
        .values(status=DeliveryStatus.cancelled.value, finished_at=now, last_error="broadcast cancelled")
    ).rowcount
    audit.record(session, actor, "broadcast.cancel", f"broadcast:{broadcast.id}", cancelled=count)
    return count


def retry_time(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
