"""Helpers for the report tests: people writing to the relay through `inbound.handle` (the one function
every channel's webhook or polling loop calls), and reading what the outbox queued for whom."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

from sqlalchemy import select

from channels.base import Inbound
from relay.inbound import handling as inbound
from relay.core.models import Broadcast, BroadcastText, Delivery, Endpoint

_ids = itertools.count(1)
RELAY_NUMBER = "+12015550100"
BOT = "7000000001"


def sms(session, settings, sender: str, text: str, sid: str | None = None):
    message = Inbound("sms", sid or f"SM{next(_ids):032d}", sender, RELAY_NUMBER, text, datetime.now(timezone.utc))
    return inbound.handle(session, message, settings)


def telegram(session, settings, user: int, text: str, group: int | None = None):
    chat = group if group is not None else user
    raw = {"chat_id": str(chat), "chat_type": "supergroup" if group is not None else "private"}
    sender = f"{chat}:{user}" if group is not None else str(user)
    # As channels/telegram_updates.py states them: the speaker, the chat answers go to, whether it is a group.
    message = Inbound("telegram", f"u{next(_ids)}", sender, BOT, text, datetime.now(timezone.utc), raw,
                      person=str(user), conversation=str(chat), group=group is not None)
    return inbound.handle(session, message, settings)


def queued(session, channel: str, address: str) -> list[str]:
    """Texts the outbox holds for one endpoint, oldest first."""
    rows = session.execute(
        select(BroadcastText.text)
        .join(Delivery, (Delivery.broadcast_id == BroadcastText.broadcast_id) & (Delivery.language == BroadcastText.language))
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(Endpoint.channel == channel, Endpoint.address == address)
        .order_by(Delivery.id)
    )
    return [row[0] for row in rows]
