"""How far a broadcast has got: its counts by status, channel and language, and who is not reached yet
(the CLI's `status`, the API, the console and alerts' crisis timeline read these)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relay.core.models import FINAL_STATUSES, Delivery, DeliveryStatus, Endpoint
from relay.delivery import tallies


@dataclass(frozen=True)
class BroadcastReport:
    broadcast_id: int
    total: int
    by_status: dict[str, int]
    by_channel: dict[str, dict[str, int]]
    by_language: dict[str, dict[str, int]]

    @property
    def final(self) -> int:
        return sum(n for status, n in self.by_status.items() if DeliveryStatus(status) in FINAL_STATUSES)

    @property
    def done(self) -> bool:
        return self.final == self.total

    def as_json(self) -> dict:
        return {"id": self.broadcast_id, "total": self.total, "final": self.final, "by_status": self.by_status,
                "by_channel": self.by_channel, "by_language": self.by_language}


def report(session: Session, broadcast_id: int) -> BroadcastReport:
    """The broadcast's counts: its rows, plus those the retention purge folded into tallies."""
    counts = [*session.execute(
        select(Delivery.channel, Delivery.language, Delivery.status, func.count())
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.channel, Delivery.language, Delivery.status)
    ).all(), *tallies.counts(session, broadcast_id)]
    by_status: Counter[str] = Counter()
    by_channel: dict[str, Counter[str]] = {}
    by_language: dict[str, Counter[str]] = {}
    for channel, language, status, n in counts:
        by_status[status] += n
        by_channel.setdefault(channel, Counter())[status] += n
        by_language.setdefault(language, Counter())[status] += n
    return BroadcastReport(
        broadcast_id,
        sum(by_status.values()),
        dict(by_status),
        {k: dict(v) for k, v in by_channel.items()},
        {k: dict(v) for k, v in by_language.items()},
    )


def unreached(session: Session, broadcast_id: int, limit: int = 50) -> list[tuple[str, str, str, str | None]]:
    """Who has not been reached (yet): channel, address, status, last error."""
    rows = session.execute(
        select(Delivery.channel, Endpoint.address, Delivery.status, Delivery.last_error)
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status != DeliveryStatus.delivered.value)
        .order_by(Delivery.id)
        .limit(limit)
    )
    return [tuple(r) for r in rows]

