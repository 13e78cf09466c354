"""One-off messages to specific endpoints (a translator, a responder room, the citizen who reported),
sent through the outbox like any broadcast, so they are durable, rate-limited, retried and receipted.

A notice is a `Broadcast` of kind "notice" whose audience is a list of explicit endpoint ids, with one
text (its language) and one delivery row per endpoint, written in the caller's transaction: the notice
commits (or not) together with the decision that caused it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Sequence

from sqlalchemy.orm import Session

from relay.core import audit, subscribers
from relay.core.channels import planned_senders
from relay.core.config import Settings
from relay.core.models import (KIND_PRIORITY, Broadcast, BroadcastKind, BroadcastText, Delivery, DeliveryStatus,
                               Endpoint, Erasure, Subscriber)

log = logging.getLogger("relay.reports.notices")


def contact_endpoint(session: Session, channel: str, address: str, *, language: str, name: str | None = None,
                     timezone_name: str = "UTC") -> Endpoint:
    """The endpoint for `address`, made if missing: a citizen who only sent a report, a responder room.

    A new one gives no consent to broadcasts (it is there so we can answer about the report, not to
    subscribe anybody); a later JOIN is what subscribes it. A STOP sent before is honoured.
    """
    endpoint = subscribers.find_endpoint(session, channel, address)
    if endpoint is not None:
        return endpoint
    subscriber = Subscriber(language=language, name=name, timezone=timezone_name, consent_crisis=False,
                            consent_webinar=False, consent_notice=False)
    endpoint = Endpoint(channel=channel, address=address)
    tombstone = session.get(Erasure, subscribers.address_hash(channel, address))
    if tombstone is not None and tombstone.opted_out:
        endpoint.opted_out, endpoint.opted_out_at = True, datetime.now(timezone.utc)
    subscriber.endpoints.append(endpoint)
    session.add(subscriber)
    session.flush()
    return endpoint


def room_endpoint(session: Session, room: str, settings: Settings) -> Endpoint:
    """A configured room ("telegram:-1001234") as an endpoint."""
    channel, _, address = room.partition(":")
    return contact_endpoint(session, channel, address, language=settings.reports.pivot_language,
                            name=f"responders {room}", timezone_name=settings.default_timezone)


def send_notice(session: Session, settings: Settings, endpoints: Sequence[Endpoint], text: str, *, language: str,
                actor: str, subject: str, now: datetime | None = None) -> int | None:
    """Queue `text` to each endpoint (once each); returns the notice's broadcast id, or None when none of
    the endpoints is on a channel that can send."""
    senders = planned_senders(settings)
    unique = {endpoint.id: endpoint for endpoint in endpoints}
    sendable = [e for e in unique.values() if e.channel in senders and senders[e.channel]]
    for endpoint in unique.values():
        if endpoint not in sendable:
            log.warning("notice for %s: channel %s has no sender configured", subject, endpoint.channel)
    if not sendable:
        return None
    now = now or datetime.now(timezone.utc)
    priority = KIND_PRIORITY[BroadcastKind.notice]
    broadcast = Broadcast(kind=BroadcastKind.notice.value, source_language=language, body=text,
                          audience={"endpoints": sorted(unique)}, sender=actor, priority=priority,
                          texts=[BroadcastText(language=language, text=text, origin="original")])
    session.add(broadcast)
    session.flush()
    for endpoint in sendable:
        keys = senders[endpoint.channel]
        session.add(Delivery(broadcast_id=broadcast.id, endpoint_id=endpoint.id, channel=endpoint.channel,
                             sender=keys[endpoint.id % len(keys)], language=language, priority=priority,
                             status=DeliveryStatus.pending.value, attempts=0, next_attempt_at=now))
    audit.record(session, actor, "notice.create", subject, broadcast=broadcast.id,
                 endpoints=[e.id for e in sendable])
    return broadcast.id
