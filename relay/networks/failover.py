"""Channel failover: a message that failed for good on one of a person's channels goes out on the next.

The order of preference is `endpoints.failover_rank` (set with `relay failover order`): a broadcast is
planned onto the lowest-ranked reachable endpoint only (relay/delivery/outbox.py), and when that delivery fails
permanently (a blocked bot, an unknown chat, an invalid number) `fail_over_due` gives the same message,
with the same per-recipient header, to the next ranked endpoint on a channel this person has not been
tried on for this broadcast. Never twice on one channel; each failure is carried over once (the
`failovers` row); a person with no channel left is recorded as exhausted.

"Not read within N minutes" (`[failover] unread_minutes`) also carries a message over, on channels whose
spec reports reading (`read_receipts`: WhatsApp's `read` status callback). SMS and Telegram report no
reading, and Matrix's adapter does not report it yet, so there failover is on permanent failure only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from channels import registry
from relay.core import audit
from relay.core.db import required
from relay.core.models import Broadcast, Delivery, DeliveryStatus, Endpoint, ProviderReceipt, Subscriber
from relay.networks.relays import add_delivery
from relay.networks.models import Failover


class FailoverError(ValueError):
    """A failover order that cannot be accepted; the message says why."""


@dataclass(frozen=True)
class Carried:
    failed_delivery_id: int
    next_delivery_id: int | None
    channel: str | None


def set_order(session: Session, subscriber_id: int, channels: Sequence[str], *, actor: str) -> list[Endpoint]:
    """Rank a person's endpoints by channel, in the order given; endpoints on other channels stay unranked
    (they keep getting every broadcast on their own)."""
    subscriber = required(session.get(Subscriber, subscriber_id), FailoverError(f"no subscriber {subscriber_id}"))
    if len(set(channels)) != len(channels) or not channels:
        raise FailoverError("give each channel once, most preferred first, e.g. telegram sms")
    by_channel = {e.channel: e for e in sorted(subscriber.endpoints, key=lambda e: e.id)}
    missing = [c for c in channels if c not in by_channel]
    if missing:
        have = ", ".join(sorted(by_channel)) or "none"
        raise FailoverError(f"subscriber {subscriber_id} has no endpoint on {', '.join(missing)} (has: {have})")
    for endpoint in subscriber.endpoints:
        endpoint.failover_rank = channels.index(endpoint.channel) if endpoint.channel in channels else None
    audit.record(session, actor, "failover.order", f"subscriber:{subscriber_id}", channels=list(channels))
    return [by_channel[c] for c in channels]


def fail_over_due(session: Session, now: datetime, senders: Mapping[str, Sequence[str]],
                  limit: int = 1000, *, unread_minutes: float | None = None) -> list[Carried]:
    """Carry each permanently failed delivery not yet looked at to the person's next channel, and, with
    `unread_minutes`, each one a reading channel reached that long ago without a `read` receipt."""
    carried = _carry(session, now, senders, _candidates(now, limit).where(
        Delivery.status == DeliveryStatus.failed.value), lambda delivery: delivery.last_error or "failed")
    reading = [spec.name for spec in registry.SPECS if spec.capabilities.read_receipts]
    if unread_minutes and reading:
        read = (select(ProviderReceipt.id)
                .where(ProviderReceipt.provider_message_id == Delivery.provider_message_id,
                       ProviderReceipt.channel == Delivery.channel, ProviderReceipt.status == "read")
                .exists())
        unread = _candidates(now, limit).where(
            Delivery.channel.in_(reading),
            Delivery.status.in_([DeliveryStatus.sent.value, DeliveryStatus.delivered.value]),
            Delivery.sent_at < now - timedelta(minutes=unread_minutes), ~read)
        carried += _carry(session, now, senders, unread, lambda _: f"not read within {unread_minutes:g} minutes")
    return carried


def _candidates(now: datetime, limit: int):
    return (
        select(Delivery, Endpoint.subscriber_id, Broadcast)
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .outerjoin(Failover, Failover.failed_delivery_id == Delivery.id)
        .where(Failover.failed_delivery_id.is_(None), Endpoint.failover_rank.is_not(None),
               Broadcast.status == "queued", or_(Broadcast.expires_at.is_(None), Broadcast.expires_at > now))
        .order_by(Delivery.id)
        .limit(limit)
        .with_for_update(of=Delivery, skip_locked=True)
    )


def _carry(session: Session, now: datetime, senders: Mapping[str, Sequence[str]], query, why) -> list[Carried]:
    carried = []
    for delivery, subscriber_id, broadcast in session.execute(query).all():
        endpoint = _next_endpoint(session, broadcast.id, subscriber_id, senders)
        reason = why(delivery)[:255]
        following = None
        if endpoint is not None:
            following = add_delivery(session, broadcast, endpoint, delivery.language, senders, now,
                                     prefix=delivery.prefix)
        session.add(Failover(failed_delivery_id=delivery.id, next_delivery_id=following.id if following else None,
                             reason=reason, exhausted=following is None, at=now))
        audit.record(session, "failover", "delivery.failover" if following else "delivery.failover.exhausted",
                     f"broadcast:{broadcast.id}", subscriber=subscriber_id, failed=delivery.channel,
                     next=endpoint.channel if endpoint else None, reason=reason)
        carried.append(Carried(delivery.id, following.id if following else None,
                               endpoint.channel if endpoint else None))
    session.flush()
    return carried


def _next_endpoint(session: Session, broadcast_id: int, subscriber_id: int,
                   senders: Mapping[str, Sequence[str]]) -> Endpoint | None:
    tried = set(session.scalars(
        select(Delivery.channel).join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(Delivery.broadcast_id == broadcast_id, Endpoint.subscriber_id == subscriber_id)))
    return session.scalar(
        select(Endpoint)
        .where(Endpoint.subscriber_id == subscriber_id, Endpoint.failover_rank.is_not(None),
               Endpoint.channel.in_(sorted(set(senders) - tried)), Endpoint.opted_out.is_(False),
               Endpoint.unreachable.is_(False))
        .order_by(Endpoint.failover_rank, Endpoint.id)
        .limit(1))


@dataclass(frozen=True)
class Path:
    """How one person was tried for one broadcast: channels in order, and the last delivery's status."""

    subscriber_id: int
    name: str | None
    channels: tuple[str, ...]
    status: str


def report(session: Session, broadcast_id: int) -> list[Path]:
    """For every person whose message was carried over: the channels tried and which one reached them."""
    first = aliased(Delivery)
    people = session.scalars(
        select(Endpoint.subscriber_id).join(first, first.endpoint_id == Endpoint.id)
        .join(Failover, Failover.failed_delivery_id == first.id)
        .where(first.broadcast_id == broadcast_id).distinct())
    paths = []
    for subscriber_id in sorted(set(people)):
        rows = session.execute(
            select(Delivery.channel, Delivery.status, Subscriber.name)
            .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
            .join(Subscriber, Subscriber.id == Endpoint.subscriber_id)
            .where(Delivery.broadcast_id == broadcast_id, Endpoint.subscriber_id == subscriber_id)
            .order_by(Delivery.id)).all()
        paths.append(Path(subscriber_id, rows[0][2], tuple(r[0] for r in rows), rows[-1][1]))
    return paths
