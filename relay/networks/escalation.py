"""Escalation when a relay node has not acknowledged in time: first its backups, then its community's
own subscribers directly, then its hub. Every step is in the audit log.

`escalate_due(session, now, ...)` is a plain function of the database and a clock, so tests drive it
with a controlled clock; `relay run` calls it periodically (relay/networks/service.py). Step k is due at
`asked_at + k × ack_minutes[severity]`; a step with nobody to reach (no backups, no hub) is recorded and
passed. A relay whose every delivery of the alert failed (or that had no reachable endpoint) cannot
acknowledge: its step 1 is due at once. An acknowledgement, from the node or a backup, stops what is not yet done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Sequence

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from relay.core import audit
from relay.core.models import Broadcast, Delivery, DeliveryStatus, Endpoint, Subscriber, SubscriberRegion
from relay.networks.relays import NETWORK_ACTOR, deliver_with_header, first_endpoint, send_note
from relay.networks.models import RelayAck, RelayBackup, RelayNode
from relay.networks.settings import NetworkSettings
from relay.inbound.replies import reply

STEPS = {1: "backups", 2: "community", 3: "hub"}
LAST_STEP = 3
GONE = (DeliveryStatus.failed.value, DeliveryStatus.cancelled.value, DeliveryStatus.expired.value)
CHUNK = 5000  # people per query (bound parameters stay well under SQLite's limit)


@dataclass(frozen=True)
class Step:
    broadcast_id: int
    node_id: int
    community: str
    step: str
    reached: int


def escalate_due(session: Session, now: datetime, settings: NetworkSettings,
                 senders: Mapping[str, Sequence[str]]) -> list[Step]:
    """Take every overdue step of every open relay request; return what was done."""
    done: list[Step] = []
    rows = session.execute(
        select(RelayAck, Broadcast)
        .join(Broadcast, Broadcast.id == RelayAck.broadcast_id)
        .where(RelayAck.acked_at.is_(None), RelayAck.step < LAST_STEP, Broadcast.status == "queued",
               or_(Broadcast.expires_at.is_(None), Broadcast.expires_at > now))
        .order_by(RelayAck.id)
        .with_for_update(of=RelayAck, skip_locked=True)
    ).all()
    for ack, broadcast in rows:
        delay = timedelta(minutes=settings.delay_minutes(broadcast.severity))
        due = min(LAST_STEP, int((now - ack.asked_at) / delay))
        node = session.get(RelayNode, ack.node_id)
        if due == 0 and ack.step == 0 and not _may_reach(session, broadcast.id, node.subscriber_id):
            due = 1  # a relay the alert cannot reach cannot acknowledge it: ask the backups now
        while ack.step < due:
            step = ack.step + 1
            reached = _STEP_ACTIONS[step](session, broadcast, node, ack, senders, now)
            ack.step, ack.escalated_at = step, now
            audit.record(session, NETWORK_ACTOR, f"relay.escalate.{STEPS[step]}", f"broadcast:{broadcast.id}",
                         node=node.id, community=node.community, code=ack.code, reached=reached,
                         due_at=(ack.asked_at + step * delay).isoformat())
            done.append(Step(broadcast.id, node.id, node.community, STEPS[step], reached))
    session.flush()
    return done


def _may_reach(session: Session, broadcast_id: int, subscriber_id: int) -> bool:
    """Whether some delivery of this broadcast to the person is still on its way or arrived."""
    return session.scalar(
        select(Delivery.id).join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(Delivery.broadcast_id == broadcast_id, Endpoint.subscriber_id == subscriber_id,
               Delivery.status.not_in(GONE)).limit(1)) is not None


def _backups(session: Session, broadcast: Broadcast, node: RelayNode, ack: RelayAck,
             senders: Mapping[str, Sequence[str]], now: datetime) -> int:
    reached = 0
    ranked = session.scalars(select(RelayBackup.subscriber_id).where(RelayBackup.node_id == node.id)
                             .order_by(RelayBackup.rank))
    for subscriber_id in list(ranked):
        subscriber = session.get(Subscriber, subscriber_id)
        result = deliver_with_header(session, broadcast, subscriber, "relay_backup_header", node.community,
                                     ack.code, senders, now)
        reached += result.how != "none"
    return reached


def _community(session: Session, broadcast: Broadcast, node: RelayNode, ack: RelayAck,
               senders: Mapping[str, Sequence[str]], now: datetime) -> int:
    """Everyone who carries the community's region and has not had this broadcast on any endpoint gets
    it directly, on their first reachable channel (failover order), if they consent to its kind.

    Decided in Python over the community's own rows, fetched by the region's index and by primary key:
    a single INSERT ... SELECT here is planned by SQLite from the whole endpoints table (by channel), so
    each step would cost the size of the relay's audience instead of the village's (bench/network.py)."""
    consent = {"crisis": Subscriber.consent_crisis, "webinar": Subscriber.consent_webinar,
               "notice": Subscriber.consent_notice}.get(broadcast.kind, Subscriber.consent_crisis)
    people = list(session.scalars(select(SubscriberRegion.subscriber_id)
                                  .where(SubscriberRegion.region == node.region)))
    rows, reached = [], set()
    for start in range(0, len(people), CHUNK):
        chunk = people[start:start + CHUNK]
        rows += session.execute(
            select(Endpoint.id, Endpoint.subscriber_id, Endpoint.channel, Endpoint.failover_rank, Subscriber.language)
            .join(Subscriber, Subscriber.id == Endpoint.subscriber_id)
            .where(Endpoint.subscriber_id.in_(chunk), Endpoint.opted_out.is_(False), Endpoint.unreachable.is_(False),
                   consent.is_(True))).all()
        reached |= set(session.scalars(
            select(Endpoint.subscriber_id).join(Delivery, Delivery.endpoint_id == Endpoint.id)
            .where(Delivery.broadcast_id == broadcast.id, Endpoint.subscriber_id.in_(chunk))))
    chosen: dict[int, list] = {}
    for row in sorted(rows, key=lambda r: (r.subscriber_id, r.failover_rank is None, r.failover_rank or 0, r.id)):
        if row.subscriber_id in reached or row.channel not in senders:
            continue
        mine = chosen.setdefault(row.subscriber_id, [])
        if row.failover_rank is None or not any(r.failover_rank is not None for r in mine):
            mine.append(row)  # unranked endpoints each get it; of the ranked ones, the first reachable
    deliveries = [
        {"broadcast_id": broadcast.id, "endpoint_id": row.id, "channel": row.channel,
         "sender": senders[row.channel][row.id % len(senders[row.channel])], "language": row.language,
         "priority": broadcast.priority, "status": DeliveryStatus.pending.value, "attempts": 0, "next_attempt_at": now}
        for mine in chosen.values() for row in mine]
    if deliveries:
        session.execute(insert(Delivery), deliveries)
    return len(deliveries)


def _hub(session: Session, broadcast: Broadcast, node: RelayNode, ack: RelayAck,
         senders: Mapping[str, Sequence[str]], now: datetime) -> int:
    if node.hub_id is None:
        return 0
    hub = session.get(RelayNode, node.hub_id)
    subscriber = session.get(Subscriber, hub.subscriber_id)
    endpoint = first_endpoint(session, subscriber.id, senders)
    if endpoint is None:
        return 0
    text = reply("relay_hub_notice", subscriber.language, community=node.community, broadcast=str(broadcast.id))
    send_note(session, broadcast, endpoint, subscriber.language, text, senders, now)
    return 1


_STEP_ACTIONS = {1: _backups, 2: _community, 3: _hub}
