"""When each person last wrote to the relay on a channel, from the inbound messages it stored.

A channel whose spec has a reply window (WhatsApp: free-form text only within 24 h of the person's last
message) is given `last_inbound` by the running relay, and the compose preview counts who is outside it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from relay.core.models import Endpoint, InboundMessage

_CHUNK = 500  # addresses per IN (...) list


def last_inbound(session: Session, channel: str, addresses: Sequence[str]) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    unique = sorted(set(addresses))
    for start in range(0, len(unique), _CHUNK):
        rows = session.execute(
            select(InboundMessage.sender, func.max(InboundMessage.received_at))
            .where(InboundMessage.channel == channel, InboundMessage.sender.in_(unique[start:start + _CHUNK]))
            .group_by(InboundMessage.sender))
        found.update({sender: at for sender, at in rows if at is not None})
    return found


def wrote_since(channel: str, since: datetime) -> ColumnElement[bool]:
    """An endpoint (of `channel`) whose person wrote to the relay after `since`: inside their window."""
    return (
        select(InboundMessage.id)
        .where(InboundMessage.channel == channel, InboundMessage.sender == Endpoint.address,
               InboundMessage.received_at > since)
        .exists()
    )


def window_start(now: datetime, hours: float) -> datetime:
    return now - timedelta(hours=hours)
