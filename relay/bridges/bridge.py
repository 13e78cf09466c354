"""Bridged rooms: a Telegram group, a Matrix room and an SMS list that act as one conversation.

A message posted in one member room (not a command) is relayed to every other member, in each room's
language, prefixed with the sender's name and channel. The copies are the deliveries of one broadcast
(kind notice, sender "bridge:<name>"), written in the transaction that records the inbound message:
durable before the provider is answered, paced and retried by the dispatcher, and claimed after any
crisis traffic. A per-bridge rate spaces the copies of a noisy room out in time.

Loop safety: the relay never relays its own messages (Telegram does not deliver a bot's own messages to
it; the Matrix adapter drops our own events and every `m.notice`), and an inbound message is processed
once per provider id. Every relayed message keeps its origin (`bridged_messages`), so an edit on
Telegram or Matrix edits the copies where the target supports it (Telegram, Matrix), a Matrix
redaction deletes them there, and SMS copies are left alone: no duplicate "edited" texts.

Before anything is relayed the message is screened for misinformation (`relay.integrity`, when it is
installed): a held message is not relayed until moderators release it.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from channels import registry
from relay.core import audit
from relay.delivery import outbox
from relay.bridges.models import Bridge, BridgedMessage, BridgeMember
from relay.inbound.commands import CommandContext, NotMine
from relay.core.models import BroadcastText, Delivery, DeliveryStatus, Endpoint
from relay.delivery.translation_hooks import session_translator

log = logging.getLogger("relay.bridges.bridge")

CHANNEL_LABEL = {spec.name: spec.label for spec in registry.SPECS}


class BridgeError(ValueError):
    """A bridge request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Origin:
    """Where a bridged message came from, and what it is (a new message, an edit, a redaction)."""

    channel: str
    room: str  # the member room's address: a Telegram group id, a Matrix room id, an SMS number
    key: str  # the message's stable identity in its room
    kind: str  # message | edit | redaction
    sender_name: str


# Bidi embeddings, overrides, isolates and marks (and Arabic's letter mark): a name holding U+202E shows
# its label reversed, "Name (Telegram):" can be made to read as someone else's. Line breaks and other
# control characters would start a fake second line. Both are dropped from the label; nothing else.
_LABEL_NOISE = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C], None)


def label_name(name: str, fallback: str = "someone") -> str:
    """A display name as it may stand in a bridged copy's `Name (Channel):` line."""
    cleaned = "".join(" " if unicodedata.category(c) == "Cc" else c for c in name.translate(_LABEL_NOISE))
    return " ".join(cleaned.split()) or fallback


def origin_of(context: CommandContext) -> Origin:
    origin = _origin_of(context)
    return replace(origin, sender_name=label_name(origin.sender_name))


def _origin_of(context: CommandContext) -> Origin:
    inbound = context.inbound
    name = inbound.display_name or (context.subscriber.name if context.subscriber is not None else None)
    return Origin(inbound.channel, inbound.where, inbound.key, inbound.kind, name or f"…{inbound.sender[-4:]}")


def _member(session: Session, channel: str, room: str) -> tuple[Bridge, Endpoint] | None:
    row = session.execute(
        select(Bridge, Endpoint)
        .join(BridgeMember, BridgeMember.bridge_id == Bridge.id)
        .join(Endpoint, Endpoint.id == BridgeMember.endpoint_id)
        .where(Endpoint.channel == channel, Endpoint.address == room)
    ).first()
    return (row[0], row[1]) if row else None


def prefixed(origin: Origin, text: str) -> str:
    return f"{label_name(origin.sender_name)} ({CHANNEL_LABEL.get(origin.channel, origin.channel)}):\n{text}"


def _keep_prefix(machine: outbox.MachineTranslate) -> outbox.MachineTranslate:
    """Translate the message, never the name line above it (names are not words to translate)."""

    def translate(body: str, source: str, target: str) -> tuple[str, str] | None:
        head, _, rest = body.partition("\n")
        result = machine(rest, source, target)
        return (f"{head}\n{result[0]}", result[1]) if result else None

    return translate


def relay_message(context: CommandContext) -> str | None | object:
    """The fallthrough handler: a message from a member room is relayed; anything else is not ours."""
    origin = origin_of(context)
    found = _member(context.session, origin.channel, origin.room)
    if found is None:
        return NotMine
    bridge, member = found
    if origin.kind in ("edit", "redaction"):
        _relay_change(context, bridge, origin)
        return None
    if not context.inbound.text.strip():
        return None
    session = context.session
    message = BridgedMessage(bridge_id=bridge.id, origin_channel=origin.channel, origin_key=origin.key,
                             origin_endpoint_id=member.id, sender_name=origin.sender_name[:200],
                             text=context.inbound.text)
    session.add(message)
    session.flush()
    warning = None
    screen = context.extras.get("screen")
    if screen is not None:
        verdict = screen(session, text=context.analysed_text, language=member.subscriber.language,
                         channel=origin.channel, sender=context.actor, origin=f"bridge:{bridge.id}:message:{message.id}",
                         settings=context.settings)
        if verdict.action == "hold":
            message.status = "held"
            audit.record(session, "bridge", "bridge.held", f"bridge:{bridge.id}", message=message.id,
                         flag=verdict.flag_id, reasons=list(verdict.reasons))
            return None
        warning = verdict.warning if verdict.action == "warn" else None
    _plan_copies(context, bridge, member, message, warning)
    return None


def release(session: Session, origin: str, warning: str | None, *, settings) -> None:
    """Relay a held message after moderators released it (registered as the integrity release hook for
    origins "bridge:<bridge id>:message:<message id>")."""
    _, bridge_id, _, message_id = origin.split(":")
    message = session.get(BridgedMessage, int(message_id))
    if message is None or message.status != "held":
        return
    bridge = session.get(Bridge, int(bridge_id))
    member = session.get(Endpoint, message.origin_endpoint_id)
    message.status = "relayed"
    audit.record(session, "moderation", "bridge.released", f"bridge:{bridge.id}", message=message.id)
    _plan_copies_for(session, bridge, member, message, warning, settings)


def _plan_copies(context: CommandContext, bridge: Bridge, member: Endpoint, message: BridgedMessage,
                 warning: str | None) -> None:
    _plan_copies_for(context.session, bridge, member, message, warning, context.settings)
    wake = context.extras.get("wake_dispatcher")
    if wake is not None and "after_commit" in context.extras:
        context.extras["after_commit"].append(wake)


def _plan_copies_for(session: Session, bridge: Bridge, member: Endpoint, message: BridgedMessage,
                     warning: str | None, settings) -> None:
    others = [endpoint_id for endpoint_id in session.scalars(
        select(BridgeMember.endpoint_id).where(BridgeMember.bridge_id == bridge.id,
                                               BridgeMember.endpoint_id != member.id))]
    if not others:
        return
    origin = Origin(member.channel, member.address, message.origin_key, "message", message.sender_name)
    body = prefixed(origin, message.text)
    if warning:
        body = f"{body}\n{warning}"
    from relay.core.channels import planned_senders

    request = outbox.BroadcastRequest(
        kind="notice", body=body, source_language=member.subscriber.language, sender=f"bridge:{bridge.name}",
        audience=outbox.Audience(endpoint_ids=tuple(others)),
    )
    machine = _keep_prefix(session_translator(settings, session))
    planned = outbox.plan_broadcast(None, request, senders=planned_senders(settings), machine=machine,
                                    note=None, actor=f"bridge:{bridge.name}", session=session)
    message.broadcast_id = planned.id
    now = datetime.now(timezone.utc)
    slot = max(now, bridge.next_slot_at or now)
    bridge.next_slot_at = slot + timedelta(seconds=60.0 / bridge.rate_per_minute)
    if slot > now:
        session.execute(update(Delivery).where(Delivery.broadcast_id == planned.id).values(next_attempt_at=slot))


def _relay_change(context: CommandContext, bridge: Bridge, origin: Origin) -> None:
    """An edit or a redaction of a bridged message: change the copies where the target can."""
    session = context.session
    message = session.scalar(select(BridgedMessage).where(BridgedMessage.origin_channel == origin.channel,
                                                          BridgedMessage.origin_key == origin.key))
    if message is None or message.broadcast_id is None:
        return
    channels = context.extras.get("channels", {})
    machine = _keep_prefix(session_translator(context.settings, session))
    source = session.get(Endpoint, message.origin_endpoint_id).subscriber.language
    # Locked: a copy cannot be claimed between this read and the commit of the new text, so each copy is
    # either sent later with the new text, or already with the provider and changed below.
    copies = session.execute(
        select(Delivery.id, Delivery.channel, Delivery.status, Delivery.provider_message_id, Delivery.language,
               Endpoint.address)
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(Delivery.broadcast_id == message.broadcast_id)
        .with_for_update(of=Delivery)
    ).all()
    if origin.kind == "redaction":
        message.status = "deleted"
        texts = {}
    else:
        message.text = context.inbound.text
        body = prefixed(origin, message.text)
        texts = {}
        for language in {copy.language for copy in copies}:
            result = machine(body, source, language) if language != source else None
            texts[language] = result[0] if result else body
        # Copies not yet sent go out with the new text.
        for row in session.scalars(select(BroadcastText).where(BroadcastText.broadcast_id == message.broadcast_id)):
            row.text = texts.get(row.language, body)
    audit.record(session, context.actor, f"bridge.{origin.kind}", f"bridge:{bridge.id}", message=message.id)
    after = context.extras.get("after_commit")
    if after is None:
        return
    database, background = context.extras.get("database"), context.extras.get("background")
    for copy in copies:
        channel = channels.get(copy.channel)
        if channel is None or not registry.spec(copy.channel).capabilities.edits:
            continue  # SMS cannot edit or unsend: the copy stays as it was
        change = _change_action(channel, copy.address, texts.get(copy.language))
        if copy.provider_message_id:
            after.append(lambda change=change, pmid=copy.provider_message_id: change(pmid))
        elif copy.status == DeliveryStatus.sending.value and database is not None and background is not None:
            wait = _once_recorded(database, copy.id, change)
            after.append(lambda wait=wait, name=f"bridge-change:{copy.id}": _in_background(background, wait, name))


async def _in_background(background, wait, name: str) -> None:
    background(wait(), name=name)


# How long a change waits for a copy in flight to be recorded: past the longest send (its timeout).
RECORD_WAIT_SECONDS = 60.0


def _once_recorded(database, delivery_id: int, change):
    """A copy that was in flight when its message changed left with the old text, and its message id is
    not recorded yet: wait for the record, then change it. If it comes back to pending instead (a retry),
    it will be sent with the new text and nothing is left to change."""

    def look(session: Session) -> tuple[str, str | None]:
        return session.execute(select(Delivery.status, Delivery.provider_message_id)
                               .where(Delivery.id == delivery_id)).one()

    async def act() -> None:
        deadline = asyncio.get_running_loop().time() + RECORD_WAIT_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            status, provider_message_id = await database.run(look)
            if provider_message_id:
                await change(provider_message_id)
                return
            if status != DeliveryStatus.sending.value:
                return
            await asyncio.sleep(0.2)
        log.warning("bridged copy %s was not recorded within %.0f s; its edit is dropped", delivery_id,
                    RECORD_WAIT_SECONDS)

    return act


def _change_action(channel, room: str, text: str | None):
    async def act(provider_message_id: str) -> None:
        await channel.change(room, provider_message_id, text)  # an edit, or a removal when text is None

    return act


# -- managing bridges (the CLI) ---------------------------------------------------------------------------


def create(session: Session, name: str, *, rate_per_minute: float = 20.0, actor: str) -> Bridge:
    if not name.strip() or len(name) > 100:
        raise BridgeError("a bridge needs a name of 1 to 100 characters")
    if rate_per_minute <= 0:
        raise BridgeError(f"rate {rate_per_minute} must be a positive number of messages per minute")
    if session.scalar(select(Bridge).where(Bridge.name == name)) is not None:
        raise BridgeError(f"a bridge named {name!r} exists already")
    bridge = Bridge(name=name, rate_per_minute=rate_per_minute)
    session.add(bridge)
    session.flush()
    audit.record(session, actor, "bridge.create", f"bridge:{bridge.id}", name=name)
    return bridge


def add_member(session: Session, bridge: Bridge, endpoint: Endpoint, *, actor: str) -> None:
    existing = session.scalar(select(BridgeMember).where(BridgeMember.endpoint_id == endpoint.id))
    if existing is not None:
        other = session.get(Bridge, existing.bridge_id)
        raise BridgeError(f"{endpoint.channel} {endpoint.address} is already in bridge {other.name!r}")
    session.add(BridgeMember(bridge_id=bridge.id, endpoint_id=endpoint.id))
    audit.record(session, actor, "bridge.member.add", f"bridge:{bridge.id}", channel=endpoint.channel,
                 address=endpoint.address)


def find(session: Session, name: str) -> Bridge:
    bridge = session.scalar(select(Bridge).where(Bridge.name == name))
    if bridge is None:
        raise BridgeError(f"no bridge named {name!r} (see `relay bridges list`)")
    return bridge


def members(session: Session, bridge: Bridge) -> list[Endpoint]:
    return list(session.scalars(
        select(Endpoint).join(BridgeMember, BridgeMember.endpoint_id == Endpoint.id)
        .where(BridgeMember.bridge_id == bridge.id).order_by(Endpoint.channel, Endpoint.address)))


def remove(session: Session, bridge: Bridge, *, actor: str) -> None:
    audit.record(session, actor, "bridge.remove", f"bridge:{bridge.id}", name=bridge.name)
    session.delete(bridge)
