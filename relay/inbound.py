"""Acting on what people send: keyword commands, processed exactly once per provider message id.

The inbound row is written in the same transaction as the command's effect, before the provider gets
its answer; a replayed webhook finds the row and gets the same answer without acting twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import Inbound
from relay import audit, keywords, subscribers
from relay.config import Settings
from relay.models import Endpoint, Erasure, InboundMessage, Subscriber
from relay.replies import reply


@dataclass(frozen=True)
class InboundResult:
    reply: str | None
    duplicate: bool = False


def handle(session: Session, inbound: Inbound, settings: Settings) -> InboundResult:
    existing = session.scalar(
        select(InboundMessage).where(
            InboundMessage.channel == inbound.channel,
            InboundMessage.provider_message_id == inbound.provider_message_id,
        )
    )
    if existing is not None:
        return InboundResult(existing.reply, duplicate=True)
    record = InboundMessage(
        channel=inbound.channel,
        provider_message_id=inbound.provider_message_id,
        sender=inbound.sender,
        recipient=inbound.recipient,
        text=inbound.text,
        received_at=inbound.received_at,
    )
    session.add(record)
    session.flush()  # the unique key makes a concurrent replay fail here, before anything is acted on
    record.reply = _act(session, inbound, settings)
    return InboundResult(record.reply)


def _act(session: Session, inbound: Inbound, settings: Settings) -> str:
    actor = f"{inbound.channel}:{inbound.sender}"
    endpoint = subscribers.find_endpoint(session, inbound.channel, inbound.sender)
    language = endpoint.subscriber.language if endpoint else None
    command = keywords.parse(inbound.text)
    if command is None:
        return reply("unknown_command", language)
    if command.name == "help":
        return reply("help", language)
    if command.name == "stop":
        if endpoint is not None:
            subscribers.opt_out(session, endpoint, actor=actor, reason=f"{inbound.text.strip().upper()} received")
        else:  # a stranger's STOP still binds: if this number is imported later, it stays stopped
            key = subscribers.address_hash(inbound.channel, inbound.sender)
            tombstone = session.get(Erasure, key) or Erasure(address_hash=key)
            tombstone.opted_out = True
            session.add(tombstone)
        return reply("stopped", language)
    if command.name in ("join", "lang"):
        chosen = command.argument or (language if command.name == "join" else None) or settings.default_language
        if (command.name == "lang" and command.argument is None) or chosen not in settings.languages:
            return reply("unknown_language", language, code=chosen or "?", languages=" ".join(settings.languages))
        if endpoint is None:
            if command.name == "lang":
                return reply("not_subscribed", chosen)
            endpoint = _new_endpoint(session, inbound, chosen, settings)
        endpoint.subscriber.language = chosen
        if command.name == "join" and endpoint.opted_out:
            subscribers.opt_in(session, endpoint, actor=actor)
        return reply("subscribed" if command.name == "join" else "language_set", chosen)
    if command.name == "start":
        if endpoint is None:
            return reply("not_subscribed", language)
        subscribers.opt_in(session, endpoint, actor=actor)
        return reply("started", language)
    return reply("unknown_command", language)


def _new_endpoint(session: Session, inbound: Inbound, language: str, settings: Settings) -> Endpoint:
    subscriber = Subscriber(language=language, timezone=settings.default_timezone)
    endpoint = Endpoint(channel=inbound.channel, address=inbound.sender)
    subscriber.endpoints.append(endpoint)
    session.add(subscriber)
    # JOIN is an explicit opt-in: it lifts an earlier STOP's tombstone.
    session.query(Erasure).filter(
        Erasure.address_hash == subscribers.address_hash(inbound.channel, inbound.sender)
    ).delete()
    session.flush()
    audit.record(session, f"{inbound.channel}:{inbound.sender}", "subscriber.join",
                             f"subscriber:{subscriber.id}", language=language)
    return endpoint
