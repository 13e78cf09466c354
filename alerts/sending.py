"""How alerts/ hands messages to the core: through `relay.delivery.outbox.plan_broadcast`, the same path as
`relay broadcast send` (senders from configuration, the machine translator, the untranslated note),
in the caller's transaction so that the once-only guard and the broadcast commit together.

Corrections go to exactly the people an earlier broadcast reached: a new broadcast referencing it,
its delivery rows copied from the earlier one's in one INSERT ... SELECT (as approvals do).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping, Sequence

from sqlalchemy import func, insert, literal, select
from sqlalchemy.orm import Session, sessionmaker

from relay import audit
from relay import outbox
from relay import planned_senders
from relay import Settings
from relay import KIND_PRIORITY, Broadcast, BroadcastKind, BroadcastText, Delivery, DeliveryStatus
from relay import DELIVERY_COLUMNS, BroadcastRequest, MachineTranslate, PlannedBroadcast

REACHED = (DeliveryStatus.sending.value, DeliveryStatus.sent.value, DeliveryStatus.delivered.value)
NOT_YET_SENT = (DeliveryStatus.pending.value, DeliveryStatus.held.value)


@dataclass
class Sender:
    """Per-process: the database, the planned senders and (lazily) the machine translator."""

    settings: Settings
    sessions: sessionmaker[Session]
    translate: bool = True  # tests of timing and wording may switch machine translation off
    marks: dict = field(default_factory=dict)  # the scheduler's per-process read marks (see alerts.tick)

    @property
    def senders(self) -> dict[str, list[str]]:
        return planned_senders(self.settings)

    def machine(self, session: Session) -> MachineTranslate | None:
        """The engine chain, its memory read and written in `session`: alerts/ translates inside the
        transaction that plans the broadcast, and on SQLite a second connection would wait for the very
        lock that transaction holds."""
        if not self.translate:
            return None
        from relay import session_translator

        return session_translator(self.settings, session)

    def note(self, language: str) -> str | None:
        from relay import untranslated_note

        return untranslated_note(language)

    def plan(self, session: Session, request: BroadcastRequest, *, actor: str) -> PlannedBroadcast:
        return outbox.plan_broadcast(self.sessions, request, senders=self.senders, machine=self.machine(session),
                                     note=self.note, actor=actor, session=session)

    def languages(self, session: Session, request: BroadcastRequest) -> list[str]:
        return outbox.audience_languages(session, request, sorted(self.senders))

    def texts(self, session: Session, body: str, source: str, languages: Iterable[str],
              human: Mapping[str, str]) -> dict[str, tuple[str, str, str | None]]:
        """One text per language, with its origin and engine: ours where we wrote one (or the original),
        else the machine's, else the body with the untranslated note."""
        request = BroadcastRequest(kind="notice", body=body, source_language=source, sender="alerts",
                                   human_texts=dict(human))
        chosen = outbox.texts_for_languages(request, sorted(set(languages)), self.machine(session), self.note)
        return {language: (text.text, text.origin, text.engine) for language, text in chosen.items()}


def recipients_languages(session: Session, originals: Sequence[int], statuses: Sequence[str]) -> list[str]:
    return sorted(session.scalars(select(Delivery.language).where(
        Delivery.broadcast_id.in_(originals), Delivery.status.in_(statuses)).distinct()))


def follow_up(
    session: Session,
    originals: Sequence[int],
    texts: Mapping[str, "str | tuple[str, str, str | None]"],
    *,
    statuses: Sequence[str],
    actor: str,
    source_language: str,
    kind: str = BroadcastKind.correction.value,
    severity: str = "Unknown",
    urgency: str = "Unknown",
    certainty: str = "Unknown",
    endpoint_filter: Callable | None = None,
    now: datetime | None = None,
) -> tuple[int, int]:
    """A broadcast to the endpoints whose deliveries of `originals` are in `statuses`, once each, from
    the same sender that reached them. Returns (broadcast id, deliveries)."""
    now = now or datetime.now(timezone.utc)
    texts = {lang: (value, "human", None) if isinstance(value, str) else value for lang, value in texts.items()}
    reference = min(originals)
    original = session.get(Broadcast, reference)
    priority = original.priority if original is not None else KIND_PRIORITY[BroadcastKind(kind)]
    source = source_language if source_language in texts else next(iter(sorted(texts)))
    follow = Broadcast(
        kind=kind, severity=severity, urgency=urgency, certainty=certainty, source_language=source,
        body=texts[source][0], audience={"follow_up_of": list(originals)}, sender=actor, priority=priority,
        references_id=reference,
        texts=[BroadcastText(language=lang, text=text, origin=origin, engine=engine, status="ready")
               for lang, (text, origin, engine) in texts.items()],
    )
    session.add(follow)
    session.flush()
    conditions = [Delivery.broadcast_id.in_(list(originals)), Delivery.status.in_(list(statuses)),
                  Delivery.language.in_(list(texts))]
    if endpoint_filter is not None:
        conditions.append(endpoint_filter)
    reached = (
        select(literal(follow.id), Delivery.endpoint_id, func.min(Delivery.channel), func.min(Delivery.sender),
               func.min(Delivery.language), literal(priority), literal(DeliveryStatus.pending.value), literal(0),
               literal(now, type_=Delivery.__table__.c.next_attempt_at.type))
        .where(*conditions)
        .group_by(Delivery.endpoint_id)
    )
    session.execute(insert(Delivery).from_select(DELIVERY_COLUMNS, reached))
    count = int(session.scalar(select(func.count()).where(Delivery.broadcast_id == follow.id)) or 0)
    audit.record(session, actor, "broadcast.follow_up", f"broadcast:{follow.id}", references=list(originals),
                 kind=kind, deliveries=count)
    return follow.id, count


def cancel_unsent(session: Session, broadcast_ids: Sequence[int], *, actor: str) -> int:
    from relay import deliveries

    stopped = 0
    for broadcast_id in broadcast_ids:
        broadcast = session.get(Broadcast, broadcast_id)
        if broadcast is not None:
            stopped += deliveries.cancel(session, broadcast, actor=actor)
    return stopped

