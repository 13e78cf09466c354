"""A person approves (or replaces) a machine translation that a severe crisis broadcast waited for.

Held deliveries are released with the approved text. Where the original already went out with a note,
the approved text follows as a new broadcast to exactly the endpoints that got that language's
original, referencing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from relay.core import audit
from relay.core.db import required
from relay.core.models import Broadcast, BroadcastText, Delivery, DeliveryStatus, content_of
from relay.delivery.outbox import DELIVERY_COLUMNS, BroadcastError


@dataclass(frozen=True)
class Approval:
    language: str
    released: int = 0  # held deliveries now pending
    follow_up: int | None = None  # the broadcast carrying the approved text, when the original went first
    follow_up_deliveries: int = 0


def pending(session: Session, broadcast_id: int) -> list[BroadcastText]:
    return list(session.scalars(select(BroadcastText).where(
        BroadcastText.broadcast_id == broadcast_id, BroadcastText.status == "pending_approval")))


def approve(session: Session, broadcast_id: int, language: str, *, text: str | None, actor: str) -> Approval:
    broadcast = required(session.get(Broadcast, broadcast_id), BroadcastError(f"no broadcast {broadcast_id}"))
    entry = session.get(BroadcastText, (broadcast_id, language))
    if entry is None or entry.status != "pending_approval":
        waiting = ", ".join(t.language for t in pending(session, broadcast_id)) or "none"
        raise BroadcastError(f"broadcast {broadcast_id} has no {language} text waiting for approval "
                             f"(waiting: {waiting})")
    if text is not None and not text.strip():
        raise BroadcastError("the approved text is empty")
    final = text if text is not None else entry.draft or entry.text
    now = datetime.now(timezone.utc)
    entry.status, entry.approved_by, entry.approved_at = "approved", actor, now
    held = session.execute(
        update(Delivery)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.language == language,
               Delivery.status == DeliveryStatus.held.value)
        .values(status=DeliveryStatus.pending.value, next_attempt_at=now)
    ).rowcount
    if held or entry.origin != "untranslated":  # nothing was sent yet in this language: send the approved text
        entry.text, entry.origin = final, "human" if text is not None else "machine"
        result = Approval(language, released=held)
    else:
        result = _follow_up(session, broadcast, language, final, actor, now)
    audit.record(session, actor, "broadcast.approve", f"broadcast:{broadcast_id}", language=language,
                 edited=text is not None, released=result.released, follow_up=result.follow_up)
    return result


def _follow_up(session: Session, original: Broadcast, language: str, text: str, actor: str,
               now: datetime) -> Approval:
    follow = Broadcast(
        **content_of(original, source_language=language, body=text),
        audience={"follow_up_of": original.id, "language": language},
        sender=actor, priority=original.priority, expires_at=original.expires_at, references_id=original.id,
        texts=[BroadcastText(language=language, text=text, origin="human", status="ready")],
    )
    session.add(follow)
    session.flush()
    reached = (
        select(literal(follow.id), Delivery.endpoint_id, Delivery.channel, Delivery.sender, Delivery.language,
               literal(original.priority), literal(DeliveryStatus.pending.value), literal(0),
               literal(now, type_=Delivery.__table__.c.next_attempt_at.type))
        .where(Delivery.broadcast_id == original.id, Delivery.language == language,
               Delivery.status.not_in([DeliveryStatus.cancelled.value, DeliveryStatus.expired.value]))
    )
    session.execute(insert(Delivery).from_select(DELIVERY_COLUMNS, reached))
    count = session.scalar(select(func.count()).where(Delivery.broadcast_id == follow.id)) or 0
    return Approval(language, follow_up=follow.id, follow_up_deliveries=count)
