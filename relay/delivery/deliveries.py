"""The delivery rows' state machine in SQL: claim, record outcomes, apply receipts, cancel, report.

pending -> sending (claimed by one process) -> sent -> delivered | failed; pending -> expired | cancelled.
Every transition that a concurrent process could race is a guarded UPDATE (`WHERE status = ...
AND claimed_by = ...`), so a process that lost its claim can never overwrite the new owner's result.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Sequence

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from channels.base import StatusUpdate
from relay.core import audit, consent, hooks
from relay.core.consent import ConsentAction
from relay.delivery import tallies
from relay.core.models import (
    FINAL_STATUSES,
    Broadcast,
    BroadcastText,
    Delivery,
    DeliveryStatus,
    Endpoint,
    ProviderReceipt,
)

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
    # sent | delivered (the channel has no later receipt) | retry | requeue (retry without using up an
    # attempt) | failed | unreachable | opted_out | cancelled
    kind: str
    provider_message_id: str | None = None
    error: str | None = None
    retry_at: datetime | None = None
    endpoint_id: int | None = None
    moved_to: str | None = None  # kind "moved": the endpoint's new address; the delivery is requeued


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


def move_endpoint(session: Session, endpoint_id: int, address: str) -> None:
    """The provider moved the chat (a Telegram group became a supergroup): the endpoint takes the new
    address, so its subscriber, bridges and queued deliveries follow without a row being copied. When an
    endpoint already has that address (the relay met the supergroup first), the old one's bridge
    memberships and still queued deliveries move to it, and the old one is marked unreachable."""
    endpoint = session.get(Endpoint, endpoint_id)
    if endpoint is None or endpoint.address == address:
        return
    existing = session.scalar(select(Endpoint).where(Endpoint.channel == endpoint.channel, Endpoint.address == address))
    old = endpoint.address
    if existing is None:
        endpoint.address = address
    else:
        from relay.bridge_models import BridgeMember  # a feature's table: imported only when a chat moved

        session.execute(update(BridgeMember).where(BridgeMember.endpoint_id == endpoint_id)
                        .values(endpoint_id=existing.id))
        taken = select(Delivery.broadcast_id).where(Delivery.endpoint_id == existing.id).scalar_subquery()
        session.execute(update(Delivery).where(Delivery.endpoint_id == endpoint_id, Delivery.status == PENDING,
                                               Delivery.broadcast_id.not_in(taken)).values(endpoint_id=existing.id))
        session.execute(update(Delivery).where(Delivery.endpoint_id == endpoint_id, Delivery.status == PENDING)
                        .values(status=DeliveryStatus.cancelled.value, last_error=f"the chat moved to {address}, "
                                "which has its own copy", finished_at=datetime.now(timezone.utc)))
        endpoint.unreachable, endpoint.unreachable_reason = True, f"moved to {address}"
    session.flush()
    audit.record(session, "dispatcher", "endpoint.moved", f"endpoint:{endpoint_id}", old=old, new=address,
                 merged_into=existing.id if existing is not None else None)


def mark_endpoint(session: Session, endpoint_id: int, *, opted_out: bool, reason: str, now: datetime) -> None:
    """The provider says this endpoint is gone (or its owner unsubscribed there): stop queuing to it."""
    values = {"opted_out": True, "opted_out_at": now} if opted_out else {"unreachable": True, "unreachable_reason": reason[:255]}
    session.execute(update(Endpoint).where(Endpoint.id == endpoint_id).values(**values))
    session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id == endpoint_id, Delivery.status == PENDING)
        .values(status=DeliveryStatus.cancelled.value, last_error=f"endpoint unreachable: {reason}", finished_at=now)
    )
    audit.record(session, "dispatcher", "endpoint.opt_out" if opted_out else "endpoint.unreachable",
                 f"endpoint:{endpoint_id}", reason=reason)
    endpoint = session.get(Endpoint, endpoint_id) if opted_out else None
    if endpoint is not None:  # the carrier's own opt-out (STOP said to the carrier) is consent withdrawn too
        consent.record(session, channel=endpoint.channel, address=endpoint.address, action=ConsentAction.opt_out,
                       source="provider", words=f"the provider reported an opt-out: {reason}", actor="dispatcher",
                       endpoint=endpoint, at=now)


# "read" (WhatsApp) is kept as a receipt of its own (provider_receipts) and, should it come first, means
# delivered.
# A call's words (channels/voice.py): "voicemail" (left after the beep) is delivered; "busy" and "no-answer"
# fail, unless the receipt carries `retry_after` (the channel's retry schedule is not used up yet): then the
# delivery goes back to pending and is called again after that many seconds.
RECEIPT_STATUS = {"delivered": DeliveryStatus.delivered.value, "undelivered": DeliveryStatus.failed.value,
                  "failed": DeliveryStatus.failed.value, "read": DeliveryStatus.delivered.value,
                  "voicemail": DeliveryStatus.delivered.value, "busy": DeliveryStatus.failed.value,
                  "no-answer": DeliveryStatus.failed.value}


def _apply(session: Session, updates: Sequence[StatusUpdate], now: datetime) -> None:
    """Move `sent` deliveries to what their receipts say (executemany: receipts come in thousands)."""
    rows, again = [], []
    for u in updates:
        target = RECEIPT_STATUS.get(u.status)
        if target is None:  # queued / sending / sent: nothing to move
            continue
        if u.retry_after is not None and target == DeliveryStatus.failed.value:
            again.append({"b_pmid": u.provider_message_id, "b_channel": u.channel,
                          "b_at": now + timedelta(seconds=u.retry_after), "b_err": f"provider reported {u.status}; "
                          f"trying again in {u.retry_after:g} s"})
            continue
        error = None if target == DeliveryStatus.delivered.value else (
            f"provider reported {u.status}" + (f" (error {u.error_code})" if u.error_code else ""))
        rows.append({"b_pmid": u.provider_message_id, "b_channel": u.channel, "b_status": target, "b_err": error})
    table = Delivery.__table__
    if again:
        session.connection().execute(
            update(table)
            .where(table.c.provider_message_id == bindparam("b_pmid"), table.c.channel == bindparam("b_channel"),
                   table.c.status == SENT)
            .values(status=PENDING, next_attempt_at=bindparam("b_at"), last_error=bindparam("b_err"),
                    claimed_by=None),
            again,
        )
    if not rows:
        return
    session.connection().execute(
        update(table)
        .where(table.c.provider_message_id == bindparam("b_pmid"), table.c.channel == bindparam("b_channel"),
               table.c.status == SENT)
        .values(status=bindparam("b_status"), finished_at=now, last_error=bindparam("b_err")),
        rows,
    )


def store_receipts(session: Session, updates: Sequence[StatusUpdate], now: datetime) -> None:
    """Keep the receipts, then apply them; a receipt for a send not recorded yet is applied by the
    recorder when it writes that send (see `apply_early_receipts`)."""
    session.connection().execute(insert(ProviderReceipt.__table__), [
        {"channel": u.channel, "provider_message_id": u.provider_message_id, "status": u.status,
         "error_code": u.error_code, "received_at": now, "retry_after": u.retry_after} for u in updates])
    _apply(session, updates, now)


def apply_early_receipts(session: Session, provider_ids: Sequence[str]) -> None:
    if not provider_ids:
        return
    rows = session.execute(
        select(ProviderReceipt.channel, ProviderReceipt.provider_message_id, ProviderReceipt.status,
               ProviderReceipt.error_code, ProviderReceipt.retry_after)
        .where(ProviderReceipt.provider_message_id.in_(list(provider_ids)))
        .order_by(ProviderReceipt.id)
    )
    _apply(session, [StatusUpdate(*row) for row in rows], datetime.now(timezone.utc))


def apply_stranded_receipts(session: Session, now: datetime, *, older_than: float = 2.0, limit: int = 10_000) -> int:
    """Apply receipts that both sides missed: with several processes, a status callback stored by one
    (`store_receipts`) while another was recording the very send it reports on (`record`) is seen by
    neither transaction, and the delivery would stay `sent` for ever. Housekeeping sweeps them up."""
    cutoff = now - timedelta(seconds=older_than)
    rows = session.execute(
        select(ProviderReceipt.channel, ProviderReceipt.provider_message_id, ProviderReceipt.status,
               ProviderReceipt.error_code, ProviderReceipt.retry_after)
        .join(Delivery, and_(Delivery.provider_message_id == ProviderReceipt.provider_message_id,
                             Delivery.channel == ProviderReceipt.channel))
        .where(Delivery.status == SENT, Delivery.sent_at < cutoff, ProviderReceipt.status.in_(list(RECEIPT_STATUS)))
        .order_by(ProviderReceipt.id)
        .limit(limit)
    ).all()
    _apply(session, [StatusUpdate(*row) for row in rows], now)
    return len(rows)


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


@dataclass(frozen=True)
class BroadcastReport:
    broadcast_id: int
    total: int
    by_status: dict[str, int]
    by_channel: dict[str, dict[str, int]]
    by_language: dict[str, dict[str, int]]

    @property
    def final(self) -> int:
        return sum(n for status, n in self.by_status.items() if DeliveryStatus(status) in FINAL_STATUSES)

    @property
    def done(self) -> bool:
        return self.final == self.total

    def as_json(self) -> dict:
        return {"id": self.broadcast_id, "total": self.total, "final": self.final, "by_status": self.by_status,
                "by_channel": self.by_channel, "by_language": self.by_language}


def report(session: Session, broadcast_id: int) -> BroadcastReport:
    """The broadcast's counts: its rows, plus those the retention purge folded into tallies."""
    counts = [*session.execute(
        select(Delivery.channel, Delivery.language, Delivery.status, func.count())
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.channel, Delivery.language, Delivery.status)
    ).all(), *tallies.counts(session, broadcast_id)]
    by_status: Counter[str] = Counter()
    by_channel: dict[str, Counter[str]] = {}
    by_language: dict[str, Counter[str]] = {}
    for channel, language, status, n in counts:
        by_status[status] += n
        by_channel.setdefault(channel, Counter())[status] += n
        by_language.setdefault(language, Counter())[status] += n
    return BroadcastReport(
        broadcast_id,
        sum(by_status.values()),
        dict(by_status),
        {k: dict(v) for k, v in by_channel.items()},
        {k: dict(v) for k, v in by_language.items()},
    )


def unreached(session: Session, broadcast_id: int, limit: int = 50) -> list[tuple[str, str, str, str | None]]:
    """Who has not been reached (yet): channel, address, status, last error."""
    rows = session.execute(
        select(Delivery.channel, Endpoint.address, Delivery.status, Delivery.last_error)
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status != DeliveryStatus.delivered.value)
        .order_by(Delivery.id)
        .limit(limit)
    )
    return [tuple(r) for r in rows]


def retry_time(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
