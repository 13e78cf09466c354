"""Broadcast texts that no engine could translate, or whose machine text failed the quality gate,
translated by volunteers.

The outbox never silences a language: with no engine for it, the original goes out at once with a
one-line note. If volunteers translate from the broadcast's language into that one, the report service
offers them the text (`offer_untranslated`, each pass); the first `/tr B12 <text>` is the approved
translation, and it follows the original to exactly the people who got it (relay/delivery/approvals.py, the
same path as a coordinator approving a machine text). The text waits as "pending_approval" meanwhile,
so `relay broadcast texts 12` shows that a person is on it. A machine text that failed the gate is
already waiting ("pending_approval", the failed draft kept for the record); it is offered the same way.
Each offer states its deadline (`[translation.gate] volunteer_deadline_minutes`), stored with the text.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from relay.delivery import approvals
from relay.core import audit
from relay.inbound.commands import CommandContext
from relay.core.config import Settings
from relay.core.models import Broadcast, BroadcastKind, BroadcastText, Endpoint, TranslationMemoryEntry
from relay.delivery.outbox import BroadcastError
from relay.reports.models import Translator
from relay.reports.notices import send_notice
from translation.memory import MemoryKey

WINDOW = timedelta(hours=24)  # older broadcasts are not worth translating after the fact


def _volunteers(session: Session, source: str, target: str) -> list[Translator]:
    rows = session.scalars(
        select(Translator).join(Endpoint, Endpoint.id == Translator.endpoint_id)
        .where(Translator.available.is_(True), Translator.source == source, Translator.target == target,
               Endpoint.opted_out.is_(False), Endpoint.unreachable.is_(False))
        .order_by(Translator.id)
    )
    seen, found = set(), []
    for row in rows:
        if row.endpoint_id not in seen:
            seen.add(row.endpoint_id)
            found.append(row)
    return found


def offer_untranslated(session: Session, settings: Settings, now: datetime) -> int:
    """Offer each recent untranslated broadcast text to its language's volunteers; returns how many."""
    rows = session.execute(
        select(BroadcastText, Broadcast).join(Broadcast, Broadcast.id == BroadcastText.broadcast_id)
        .where(or_(and_(BroadcastText.origin == "untranslated", BroadcastText.status == "ready"),
                   and_(BroadcastText.gate_verdict == "fail", BroadcastText.status == "pending_approval",
                        BroadcastText.offer_deadline.is_(None))),
               Broadcast.status == "queued", Broadcast.kind != BroadcastKind.notice.value,
               Broadcast.created_at >= now - WINDOW)
    ).all()
    offered = 0
    deadline = now + timedelta(minutes=settings.translation.gate.volunteer_deadline_minutes)
    for text, broadcast in rows:
        volunteers = _volunteers(session, broadcast.source_language, text.language)
        if not volunteers:
            continue
        text.status, text.offer_deadline = "pending_approval", deadline
        message = (f"Please translate broadcast {broadcast.id} ({broadcast.source_language} -> {text.language}). "
                   f"Reply: /tr B{broadcast.id} <translation> (by {deadline:%H:%M} UTC)\n{broadcast.body}")
        endpoints = [session.get(Endpoint, v.endpoint_id) for v in volunteers]
        send_notice(session, settings, endpoints, message, language=broadcast.source_language,
                    actor="translators", subject=f"broadcast:{broadcast.id}", now=now)
        audit.record(session, "translators", "broadcast.offered", f"broadcast:{broadcast.id}",
                     language=text.language, translators=[v.id for v in volunteers],
                     deadline=deadline.isoformat(), gate_failed=text.gate_verdict == "fail")
        offered += 1
    return offered


def accept(context: CommandContext, broadcast_id: int, text: str) -> str:
    """`/tr B12 <text>`: the first volunteer's text becomes broadcast 12's text in their target language."""
    session = context.session
    broadcast = session.get(Broadcast, broadcast_id)
    mine = [] if context.endpoint is None or broadcast is None else list(session.scalars(
        select(Translator).where(Translator.endpoint_id == context.endpoint.id,
                                 Translator.source == broadcast.source_language)))
    if not mine:
        return context.reply("tr_not_translator") if broadcast else context.reply("tr_unknown", reference=f"B{broadcast_id}")
    waiting = {t.language for t in approvals.pending(session, broadcast_id)}
    targets = [t.target for t in mine if t.target in waiting]
    if not targets:
        return context.reply("tr_already", reference=f"B{broadcast_id}")
    try:
        result = approvals.approve(session, broadcast_id, targets[0], text=text, actor=context.actor)
    except BroadcastError:
        return context.reply("tr_already", reference=f"B{broadcast_id}")
    key = MemoryKey.of(broadcast.body, broadcast.source_language, targets[0], "human")
    if session.get(TranslationMemoryEntry, (key.text_hash, key.source, key.target, key.engine)) is None:
        session.add(TranslationMemoryEntry(text_hash=key.text_hash, source=key.source, target=key.target,
                                           engine=key.engine, text=text))
    audit.record(session, context.actor, "broadcast.translated", f"broadcast:{broadcast_id}",
                 language=targets[0], follow_up=result.follow_up)
    return context.reply("tr_broadcast_thanks", reference=f"B{broadcast_id}", target=targets[0],
                         people=str(result.follow_up_deliveries or result.released))
