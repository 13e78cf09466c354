"""Acting on what people send, on any channel, exactly once per provider message id.

The inbound row is written in the same transaction as the command's effect, before the provider gets
its answer; a replayed webhook (or a redelivered Telegram update, or a Matrix event seen again after a
restart) finds the row and gets the same answer without acting twice. What to do is looked up in the
command table (`relay/inbound/commands.py`); a message that is no command goes to the fallthrough handlers
(bridged rooms, later citizen reports).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import Inbound
from relay.inbound import commands, keywords
from relay.core import subscribers
from relay.core.config import Settings
from relay.core.models import Endpoint, InboundMessage


@dataclass(frozen=True)
class InboundResult:
    reply: str | None
    duplicate: bool = False
    reply_to: str | None = None  # where the reply goes on chat channels (a chat id, a room id)


def person_address(inbound: Inbound) -> str:
    """The speaker's own address on the channel (in a Telegram group, the user rather than the group)."""
    return inbound.speaker


def reply_address(inbound: Inbound) -> str:
    """Where an answer goes: the chat or room the message came from; on SMS the sender's number."""
    return inbound.where


# A person is named "channel:address" in the audit log, reports, claims and every other actor column
# (String(200)): an address that cannot fit there cannot be answered, recorded or audited. Real ones are far
# shorter (E.164 16, Telegram ids 20, WhatsApp 25); only a Matrix id of over 193 characters (the spec
# allows 255) is refused for it.
ACTOR_LIMIT = 200


class Unstorable(ValueError):
    """A message that can never be stored as it is; refusing it loses nothing that could be handled."""


def check(inbound: Inbound) -> None:
    """Refuse, with a reason, what cannot be stored as it is (a provider id, an address beyond its column,
    a NUL character that PostgreSQL rejects): a clear 400 for a webhook, a skipped message for a loop."""
    if not inbound.provider_message_id or len(inbound.provider_message_id) > 100:
        raise Unstorable("the provider message id is empty or longer than 100 characters")
    if len(inbound.recipient) > 255:
        raise Unstorable("the recipient address is longer than 255 characters")
    for role, address in (("sender", inbound.sender), ("speaker", inbound.person),
                          ("conversation", inbound.conversation)):
        if len(inbound.channel) + 1 + len(address) > ACTOR_LIMIT:
            raise Unstorable(f"the {role} address is longer than the {ACTOR_LIMIT - len(inbound.channel) - 1} "
                             f"characters that name a person on {inbound.channel} (channel:address)")
    if any("\x00" in value for value in (inbound.text, inbound.sender, inbound.recipient, *inbound.raw.values())):
        raise Unstorable("the message contains a NUL character")


def handle(session: Session, inbound: Inbound, settings: Settings, extras: dict | None = None) -> InboundResult:
    check(inbound)
    existing = session.scalar(
        select(InboundMessage).where(
            InboundMessage.channel == inbound.channel,
            InboundMessage.provider_message_id == inbound.provider_message_id,
        )
    )
    if existing is not None:
        return InboundResult(existing.reply, duplicate=True, reply_to=existing.reply_to)
    record = InboundMessage(
        channel=inbound.channel,
        provider_message_id=inbound.provider_message_id,
        sender=inbound.sender,
        recipient=inbound.recipient,
        text=inbound.text,
        received_at=inbound.received_at,
        reply_to=reply_address(inbound),
    )
    session.add(record)
    session.flush()  # the unique key makes a concurrent replay fail here, before anything is acted on
    record.reply = _act(session, inbound, settings, extras or {})
    return InboundResult(record.reply, reply_to=record.reply_to)


def _act(session: Session, inbound: Inbound, settings: Settings, extras: dict) -> str | None:
    endpoint: Endpoint | None = subscribers.find_endpoint(session, inbound.channel, person_address(inbound))
    language = endpoint.subscriber.language if endpoint else None
    command = keywords.parse(inbound.text)
    context = commands.CommandContext(
        session=session, inbound=inbound, settings=settings,
        command=command or keywords.Command("message", None, inbound.text),
        endpoint=endpoint, language=language, extras=extras,
    )
    if command is None:
        return commands.dispatch_message(context)
    return commands.dispatch(context)
