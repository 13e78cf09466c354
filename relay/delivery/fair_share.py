"""How many senders one dispatcher process should drive when several share a database.

Each process writes a heartbeat row (`channel_state`, key `dispatcher:<id>`) every few seconds and counts
the processes seen recently; its share is the senders divided by that count, rounded up. A process takes
a sender's lease only while it holds fewer than its share, so N workers started together split the
senders evenly instead of the first one taking them all. When a worker dies its heartbeat goes stale, the
others' shares grow, and they take over its senders (its leases were released the moment it died).
A new worker joining later takes only free senders: leases are never handed back mid-broadcast, since
that would resend whatever the holder had in flight.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from relay.core import channel_state
from relay.core.models import ChannelState

PREFIX = "dispatcher:"
STALE_SECONDS = 10.0


def beat(session: Session, worker_id: str, now: datetime) -> int:
    """Record that `worker_id` is alive; return how many dispatchers are (this one included)."""
    channel_state.put(session, PREFIX + worker_id, now.isoformat())
    cutoff = now - timedelta(seconds=STALE_SECONDS)
    live = 0
    for key, value in session.execute(select(ChannelState.key, ChannelState.value)
                                      .where(ChannelState.key.startswith(PREFIX))):
        try:
            seen = datetime.fromisoformat(value)
        except ValueError:
            continue
        seen = seen if seen.tzinfo else seen.replace(tzinfo=timezone.utc)
        if seen >= cutoff or key == PREFIX + worker_id:
            live += 1
        elif seen < now - timedelta(seconds=6 * STALE_SECONDS):
            session.execute(delete(ChannelState).where(ChannelState.key == key))
    return max(1, live)


def leave(session: Session, worker_id: str) -> None:
    session.execute(delete(ChannelState).where(ChannelState.key == PREFIX + worker_id))


def share(senders: int, live: int) -> int:
    return max(1, math.ceil(senders / max(1, live)))
