"""Asking the provider about deliveries whose receipt never came.

Twilio posts each status callback once and does not resend it when our answer is a 5xx or the
connection fails. A callback that arrives while the relay (or its database) is down is therefore lost,
and its delivery would stay `sent` for ever: the coordinator's report would never say whether the alert
reached the phone. The dispatcher's housekeeping finds such deliveries among the senders it holds and
asks the provider (`Channel.fetch_status`); the answer is stored exactly like a callback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from relay.core.models import Delivery, DeliveryStatus

# Lookups per housekeeping sweep (every 5 s): enough to catch up after an outage within minutes without
# spending the account's API concurrency that the sends need.
LOOKUPS_PER_SWEEP = 100


@dataclass(frozen=True)
class Overdue:
    delivery_id: int
    channel: str
    provider_message_id: str


def take_overdue(session: Session, senders: Sequence[str], now: datetime, after_seconds: float,
                 limit: int = LOOKUPS_PER_SWEEP) -> list[Overdue]:
    """Deliveries of `senders` still `sent` `after_seconds` after their send and not asked about in that
    long, oldest first; they are marked as asked in the same transaction, so a failed lookup waits a whole
    interval instead of hammering the provider."""
    if not senders:
        return []
    cutoff = now - timedelta(seconds=after_seconds)
    rows = session.execute(
        select(Delivery.id, Delivery.channel, Delivery.provider_message_id)
        .where(
            Delivery.sender.in_(list(senders)),
            Delivery.status == DeliveryStatus.sent.value,
            Delivery.provider_message_id.is_not(None),
            Delivery.sent_at < cutoff,
            or_(Delivery.receipt_checked_at.is_(None), Delivery.receipt_checked_at < cutoff),
        )
        .order_by(Delivery.sent_at, Delivery.id)
        .limit(limit)
    ).all()
    if rows:
        session.execute(update(Delivery).where(Delivery.id.in_([r[0] for r in rows])).values(receipt_checked_at=now))
    return [Overdue(*row) for row in rows]
