"""Reading and writing `channel_state`: what an inbound loop resumes from after a restart."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from relay.core.models import ChannelState


def get(session: Session, key: str) -> str | None:
    row = session.get(ChannelState, key)
    return row.value if row is not None else None


def put(session: Session, key: str, value: str) -> None:
    row = session.get(ChannelState, key)
    if row is None:
        session.add(ChannelState(key=key, value=value))
    elif row.value != value:
        row.value = value


def with_prefix(session: Session, prefix: str) -> dict[str, str]:
    rows = session.scalars(select(ChannelState).where(ChannelState.key.startswith(prefix, autoescape=True)))
    return {row.key.removeprefix(prefix): row.value for row in rows}
