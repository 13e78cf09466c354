"""Which broadcast carried a bridged message: the bridge keeps it on its `bridged_messages` row, keyed by
the origin it gives to `screen` ("bridge:<bridge id>:message:<message id>"). Read here so that a
correction finds the copies without the bridge having to report them a second time."""

from __future__ import annotations

from sqlalchemy.orm import Session

from relay.bridges.models import BridgedMessage


def copies(session: Session, origin: str) -> list[int]:
    parts = origin.split(":")
    if len(parts) != 4 or parts[2] != "message" or not parts[3].isdigit():
        return []
    message = session.get(BridgedMessage, int(parts[3]))
    return [message.broadcast_id] if message is not None and message.broadcast_id is not None else []
