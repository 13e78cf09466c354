"""Corrections that reach exactly the endpoints that received the original, in their languages, at the
original's priority, referencing it.

"Received" is read from the original's delivery rows: sending, sent or delivered (a row in `sending`
may have reached the provider before a crash, so it counts; a failed one never arrived). Whatever of the
original is still unsent (pending or held) is cancelled in the same transaction: spreading a text we know
to be wrong any further would only make more corrections necessary.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from relay.core import audit
from relay.core.db import required
from relay.inbound import replies
from relay.integrity import pivot, verification
from relay.core.models import (
    Broadcast,
    BroadcastKind,
    BroadcastText,
    Delivery,
    DeliveryStatus,
    content_of,
    utcnow,
)
from relay.delivery.outbox import DELIVERY_COLUMNS, BroadcastError

if TYPE_CHECKING:
    from relay.core.config import Settings

RECEIVED = (DeliveryStatus.sending.value, DeliveryStatus.sent.value, DeliveryStatus.delivered.value)
UNSENT = (DeliveryStatus.pending.value, DeliveryStatus.held.value)


def _when(moment: datetime) -> str:
    return moment.strftime("%d %b %H:%M UTC")


def _body(body: str | None, source: str, language: str, settings: "Settings") -> str:
    """The correction's own words in `language`: the moderators' catalogue text when none is given, else
    the given text translated, else the given text under the untranslated note."""
    if body is None:
        return replies.reply("correction_default", language)
    if language == source:
        return body
    translated = pivot.translate(body, source, language, settings)
    if translated is not None:
        return translated
    from translation.fallback import untranslated_note

    note = untranslated_note(language)
    return f"{note}\n{body}" if note else body


def correct(session: Session, original_id: int, *, body: str | None, source_language: str, header: str,
            actor: str, settings: "Settings") -> tuple[int, int]:
    """Plan a correction of broadcast `original_id`; returns (correction broadcast id, deliveries).

    `header` is a reply key ("correction_of_broadcast" or "correction_of_relayed") taking `{when}`.
    """
    original = required(session.get(Broadcast, original_id), BroadcastError(f"no broadcast {original_id}"))
    if body is not None and not body.strip():
        raise BroadcastError("the correction text is empty")
    received = (Delivery.broadcast_id == original.id, Delivery.status.in_(RECEIVED))
    languages = sorted(set(session.scalars(select(Delivery.language).where(*received).distinct())))
    texts = []
    for language in sorted(set(languages) | {source_language}):
        line = replies.reply(header, language, when=_when(original.created_at))
        texts.append(BroadcastText(language=language, origin="human" if body is None else "machine",
                                   text=f"{line}\n{_body(body, source_language, language, settings)}"))
    source_text = next(t.text for t in texts if t.language == source_language)
    correction = Broadcast(
        **content_of(original, kind=BroadcastKind.correction.value, source_language=source_language, body=source_text),
        audience={"correction_of": original.id}, sender=actor, priority=original.priority,
        references_id=original.id, texts=texts,
    )
    session.add(correction)
    session.flush()
    verification.stamp(session, correction, verification.keyring(settings))
    now = utcnow()
    rows = select(
        literal(correction.id), Delivery.endpoint_id, Delivery.channel, Delivery.sender, Delivery.language,
        literal(original.priority), literal(DeliveryStatus.pending.value), literal(0),
        literal(now, type_=Delivery.__table__.c.next_attempt_at.type),
    ).where(*received)
    session.execute(insert(Delivery).from_select(DELIVERY_COLUMNS, rows))
    count = session.scalar(select(func.count()).where(Delivery.broadcast_id == correction.id)) or 0
    stopped = session.execute(
        update(Delivery).where(Delivery.broadcast_id == original.id, Delivery.status.in_(UNSENT))
        .values(status=DeliveryStatus.cancelled.value, finished_at=now, last_error="corrected before sending")
    ).rowcount
    audit.record(session, actor, "broadcast.correct", f"broadcast:{original.id}", correction=correction.id,
                 deliveries=count, cancelled_unsent=stopped, languages=languages)
    return correction.id, count
